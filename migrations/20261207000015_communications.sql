-- Communications: messages to and from a client on e-mail, WhatsApp, SMS and phone, the
-- templates they are written from, and each tenant's channel settings (credentials encrypted
-- with the tenant's data key).

CREATE TABLE channel_settings (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    channel          text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'sms')),
    enabled          boolean NOT NULL DEFAULT true,
    -- The parts that are not secret (SMTP host and port, sender, phone number id ...).
    settings         jsonb NOT NULL DEFAULT '{}',
    -- The secret parts (passwords, tokens, app secrets) as JSON sealed by db::crypto.
    secrets_cipher   bytea,
    -- Most messages the worker hands to the provider per minute, for this tenant and channel.
    per_minute_limit integer NOT NULL DEFAULT 600 CHECK (per_minute_limit BETWEEN 1 AND 100000),
    version          integer NOT NULL DEFAULT 1,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, channel)
);

CREATE TABLE message_templates (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    channel          text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'sms')),
    subject          text NOT NULL DEFAULT '' CHECK (length(subject) <= 300),
    body             text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    -- WhatsApp: the name and language of the template Meta approved, which is what may be
    -- sent outside the 24-hour customer-service window.
    provider_name    text CHECK (length(provider_name) BETWEEN 1 AND 512),
    provider_language text CHECK (length(provider_language) BETWEEN 2 AND 15),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX message_templates_name ON message_templates (tenant_id, lower(name));

CREATE TABLE communications (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL,
    client_id          uuid NOT NULL,
    contact_id         uuid,
    channel            text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'sms', 'phone')),
    direction          text NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    -- The address or number it went to (outbound) or came from (inbound).
    counterpart        text NOT NULL DEFAULT '' CHECK (length(counterpart) <= 320),
    subject            text NOT NULL DEFAULT '' CHECK (length(subject) <= 300),
    body               text NOT NULL DEFAULT '' CHECK (length(body) <= 100000),
    -- The HTML part of an e-mail, rendered from its template at send time.
    body_html          text CHECK (length(body_html) <= 200000),
    template_id        uuid,
    status             text NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed', 'received', 'logged')),
    failure_reason     text CHECK (length(failure_reason) <= 1000),
    -- The id that travels with every attempt (the e-mail's Message-ID, the provider's client
    -- reference), fixed when the message is queued.
    message_key        text NOT NULL,
    provider_message_id text CHECK (length(provider_message_id) <= 200),
    -- The message this one answers (e-mail threading, response times).
    reply_to_id        uuid,
    -- Phone calls.
    duration_seconds   integer CHECK (duration_seconds BETWEEN 0 AND 86400),
    outcome            text CHECK (outcome IN ('answered', 'no_answer', 'busy', 'voicemail', 'wrong_number')),
    sentiment_score    real CHECK (sentiment_score BETWEEN -1 AND 1),
    -- Delivery: attempts made, and the start of one whose outcome is not recorded yet (set
    -- before the provider call, cleared with its outcome; found set, the last attempt's
    -- outcome is unknown).
    attempts           integer NOT NULL DEFAULT 0,
    attempt_started_at timestamptz,
    sent_at            timestamptz,
    delivered_at       timestamptz,
    read_at            timestamptz,
    failed_at          timestamptz,
    -- Engagement.
    opened_at          timestamptz,
    open_count         integer NOT NULL DEFAULT 0,
    clicked_at         timestamptz,
    click_count        integer NOT NULL DEFAULT 0,
    replied_at         timestamptz,
    -- Inbound: when someone of the tenant first looked at it (the inbox's unread mark).
    seen_at            timestamptz,
    created_by         uuid,
    occurred_at        timestamptz NOT NULL DEFAULT now(),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE SET NULL (contact_id),
    FOREIGN KEY (tenant_id, template_id) REFERENCES message_templates (tenant_id, id) ON DELETE SET NULL (template_id)
);
CREATE INDEX communications_recent ON communications (tenant_id, id DESC);
CREATE INDEX communications_client ON communications (tenant_id, client_id, id DESC);
CREATE INDEX communications_unseen ON communications (tenant_id, id DESC)
    WHERE direction = 'inbound' AND seen_at IS NULL;
CREATE INDEX communications_provider_id ON communications (tenant_id, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
-- A provider's webhook retries deliver an inbound message once.
CREATE UNIQUE INDEX communications_inbound_once ON communications (tenant_id, channel, provider_message_id)
    WHERE direction = 'inbound' AND provider_message_id IS NOT NULL;
-- An inbound message is matched to the client last written to at its sender's address.
CREATE INDEX communications_counterpart ON communications (tenant_id, counterpart, id DESC);
-- ... or to the client with that phone number.
CREATE INDEX clients_phones ON clients USING gin (phones) WHERE deleted_at IS NULL;
-- The per-minute send limit counts a tenant's attempts on a channel in the last minute.
CREATE INDEX communications_attempts ON communications (tenant_id, channel, sent_at)
    WHERE direction = 'outbound' AND sent_at IS NOT NULL;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['channel_settings', 'message_templates', 'communications']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id()) '
                       'WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON channel_settings, message_templates TO crm_app;
GRANT SELECT, INSERT, UPDATE ON communications TO crm_app;
