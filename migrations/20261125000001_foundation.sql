-- Platform foundation: tenants, users, sessions, roles, API keys, audit, idempotency.
--
-- Runs as the schema owner. The application connects as `crm_app`, which owns nothing,
-- has no BYPASSRLS and only the grants below. Authorization policies are read across
-- tenants through one SECURITY DEFINER function owned by `crm_authz`, a NOLOGIN role
-- that can only SELECT the three tables that hold policies.

DO $$
BEGIN
    CREATE ROLE crm_app LOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

DO $$
BEGIN
    CREATE ROLE crm_authz NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

GRANT USAGE ON SCHEMA public TO crm_app, crm_authz;

-- The tenant of the current transaction, or NULL (which matches no row) when unset.
CREATE FUNCTION current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    time_zone   text NOT NULL DEFAULT 'Europe/Madrid',
    currency    char(3) NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
    locale      text NOT NULL DEFAULT 'es' CHECK (locale IN ('es', 'en')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- The tenant registry is not tenant-owned: sign-in resolves a slug before any tenant is set.
GRANT SELECT, INSERT, UPDATE ON tenants TO crm_app;

CREATE TABLE users (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    email         text NOT NULL CHECK (email = lower(email)),
    display_name  text NOT NULL,
    password_hash text,
    status        text NOT NULL CHECK (status IN ('active', 'invited', 'disabled')),
    invite_hash   bytea,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_email_uq ON users (tenant_id, email) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_invite_uq ON users (tenant_id, invite_hash) WHERE invite_hash IS NOT NULL;

-- Custom roles of a tenant. Built-in roles live in code and are not rows.
CREATE TABLE roles (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    name         text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_-]{1,39}$'),
    description  text NOT NULL DEFAULT '',
    permissions  text[] NOT NULL DEFAULT '{}',
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE user_roles (
    tenant_id  uuid NOT NULL,
    user_id    uuid NOT NULL,
    role_name  text NOT NULL,
    PRIMARY KEY (tenant_id, user_id, role_name),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_roles_role ON user_roles (tenant_id, role_name);

-- A sign-in session: one family of rotating refresh tokens.
CREATE TABLE auth_sessions (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    user_id     uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    revoke_reason text,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX auth_sessions_user ON auth_sessions (tenant_id, user_id);

CREATE TABLE refresh_tokens (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    session_id  uuid NOT NULL,
    token_hash  bytea NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, session_id) REFERENCES auth_sessions (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX refresh_tokens_hash ON refresh_tokens (tenant_id, token_hash);

CREATE TABLE api_keys (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role_name    text NOT NULL,
    secret_hash  bytea NOT NULL,
    created_by   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE audit_events (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor_type   text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
    actor_id     uuid,
    action       text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    target_type  text NOT NULL,
    target_id    text,
    before       jsonb,
    after        jsonb,
    ip           text,
    user_agent   text,
    request_id   text,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_events_time ON audit_events (tenant_id, occurred_at DESC, id DESC);
CREATE INDEX audit_events_action ON audit_events (tenant_id, action, occurred_at DESC);
CREATE INDEX audit_events_actor ON audit_events (tenant_id, actor_id, occurred_at DESC);
CREATE INDEX audit_events_target ON audit_events (tenant_id, target_type, target_id);

CREATE TABLE idempotency_keys (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    principal        text NOT NULL,
    key              text NOT NULL,
    request_hash     bytea NOT NULL,
    state            text NOT NULL CHECK (state IN ('in_progress', 'done')),
    response_status  smallint,
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, principal, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (tenant_id, created_at);

-- Row-level security on every tenant-owned table, forced even for the owner, fail-closed.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'roles', 'user_roles', 'auth_sessions', 'refresh_tokens',
                             'api_keys', 'audit_events', 'idempotency_keys']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id()) '
                       'WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON users, roles, user_roles, auth_sessions, refresh_tokens,
    api_keys, idempotency_keys TO crm_app;
-- Audit rows are append-only for the application.
GRANT SELECT, INSERT ON audit_events TO crm_app;

-- Policy loading across tenants for the authorization cache in every API process.
GRANT SELECT ON roles, user_roles TO crm_authz;
CREATE POLICY authz_loader ON roles FOR SELECT TO crm_authz USING (true);
CREATE POLICY authz_loader ON user_roles FOR SELECT TO crm_authz USING (true);

CREATE FUNCTION authz_policy_rows()
    RETURNS TABLE (kind text, subject text, domain text, object text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT 'p', r.name, r.tenant_id::text, perm
          FROM roles r, unnest(r.permissions) AS perm
        UNION ALL
        SELECT 'g', ur.user_id::text, ur.role_name, ur.tenant_id::text
          FROM user_roles ur
    $$;
ALTER FUNCTION authz_policy_rows() OWNER TO crm_authz;
REVOKE ALL ON FUNCTION authz_policy_rows() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz_policy_rows() TO crm_app;

-- Liveness of `crm worker` processes, written by the heartbeat job.
CREATE TABLE worker_heartbeats (
    worker_id   text PRIMARY KEY,
    last_beat   timestamptz NOT NULL,
    beats       bigint NOT NULL DEFAULT 0
);
GRANT SELECT, INSERT, UPDATE ON worker_heartbeats TO crm_app;

-- Enter a tenant as a signed-in user in one round trip: sets the tenant for the rest of the
-- transaction and answers whether the tenant, the user and the session are all still live.
CREATE FUNCTION enter_tenant_as_user(p_tenant uuid, p_user uuid, p_session uuid)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    AS $$
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN EXISTS (
        SELECT 1
          FROM users u
          JOIN tenants t ON t.id = u.tenant_id
          JOIN auth_sessions s ON s.tenant_id = u.tenant_id AND s.user_id = u.id
         WHERE u.id = p_user AND s.id = p_session
           AND u.status = 'active' AND u.deleted_at IS NULL
           AND t.status = 'active' AND s.revoked_at IS NULL
    );
END $$;
GRANT EXECUTE ON FUNCTION enter_tenant_as_user(uuid, uuid, uuid) TO crm_app;
