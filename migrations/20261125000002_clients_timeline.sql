-- Clients and leads, their contacts, tenant-defined custom fields, and the one timeline.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE TABLE custom_field_definitions (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    key         text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
    definition  jsonb NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);

CREATE TABLE clients (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    company_name   text NOT NULL CHECK (length(company_name) BETWEEN 1 AND 300),
    -- The tax id is kept encrypted; the keyed hash beside it serves exact-match search.
    tax_id_cipher  bytea,
    tax_id_hash    bytea,
    tax_id_country char(2),
    emails         text[] NOT NULL DEFAULT '{}',
    phones         text[] NOT NULL DEFAULT '{}',
    sector         text,
    address        jsonb,
    website        text,
    status         text NOT NULL CHECK (status IN ('lead', 'client', 'inactive', 'lost')),
    owner_id       uuid,
    source         text,
    tags           text[] NOT NULL DEFAULT '{}',
    custom_fields  jsonb NOT NULL DEFAULT '{}',
    -- Lower-case, accent-free name, e-mails and phones, for typo-tolerant search.
    search_text    text NOT NULL DEFAULT '',
    converted_at   timestamptz,
    converted_by   uuid,
    last_contact_at timestamptz,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX clients_list ON clients (tenant_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX clients_status ON clients (tenant_id, status, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX clients_owner ON clients (tenant_id, owner_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX clients_created ON clients (tenant_id, created_at);
CREATE INDEX clients_tax_hash ON clients (tenant_id, tax_id_hash) WHERE tax_id_hash IS NOT NULL;
CREATE INDEX clients_search ON clients USING gin (tenant_id, search_text gin_trgm_ops);
CREATE INDEX clients_tags ON clients USING gin (tenant_id, tags);
CREATE INDEX clients_emails ON clients USING gin (tenant_id, emails);

CREATE TABLE contacts (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    client_id     uuid NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role          text,
    emails        text[] NOT NULL DEFAULT '{}',
    -- Phone numbers of people are personal data: encrypted, with keyed hashes for lookup.
    phones_cipher bytea,
    phone_hashes  bytea[] NOT NULL DEFAULT '{}',
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    erased_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id)
);
CREATE INDEX contacts_client ON contacts (tenant_id, client_id, id);

-- Per-tenant data keys, wrapped by the master key from the environment.
CREATE TABLE tenant_data_keys (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    key_id      text NOT NULL,
    wrapped_key bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key_id)
);

-- The one append-only history of everything that happened with a client.
CREATE TABLE timeline_events (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    client_id     uuid,
    event_type    text NOT NULL CHECK (event_type ~ '^[a-z_]+(\.[a-z_]+)+$'),
    description   text NOT NULL,
    event_date    timestamptz NOT NULL DEFAULT now(),
    actor_type    text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system', 'automation', 'integration')),
    actor_id      text,
    entity_type   text,
    entity_id     text,
    payload       jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX timeline_client ON timeline_events (tenant_id, client_id, event_date DESC, id DESC);
CREATE INDEX timeline_all ON timeline_events (tenant_id, event_date DESC, id DESC);
CREATE INDEX timeline_type ON timeline_events (tenant_id, event_type, event_date DESC);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['custom_field_definitions', 'clients', 'contacts', 'tenant_data_keys',
                             'timeline_events']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id()) '
                       'WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON custom_field_definitions, clients, contacts TO crm_app;
GRANT SELECT, INSERT ON tenant_data_keys TO crm_app;
-- The timeline is append-only, except that a GDPR erasure may scrub payloads and a merge may
-- move events between clients: both through UPDATE, never DELETE.
GRANT SELECT, INSERT, UPDATE ON timeline_events TO crm_app;
