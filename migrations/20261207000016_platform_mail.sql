-- The platform's own mail to users (invitations, password resets, SLA breach notices): an outbox the worker sends
-- from through the platform's SMTP server, and the password-reset tokens of users.

CREATE TABLE platform_mails (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('invitation', 'password_reset', 'sla_breach')),
    recipient      text NOT NULL,
    subject        text NOT NULL,
    -- The text, sealed with the tenant's data key (it holds a one-time link); dropped once
    -- the mail is sent or given up.
    body_cipher    bytea,
    status         text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts       integer NOT NULL DEFAULT 0,
    failure_reason text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    PRIMARY KEY (tenant_id, id)
);

ALTER TABLE platform_mails ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_mails FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON platform_mails USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON platform_mails TO crm_app;

-- A password reset: the digest of the token e-mailed to the user, valid until it expires or
-- is used (a new request replaces it).
ALTER TABLE users ADD COLUMN reset_hash bytea, ADD COLUMN reset_expires_at timestamptz;
CREATE UNIQUE INDEX users_reset_uq ON users (tenant_id, reset_hash) WHERE reset_hash IS NOT NULL;
