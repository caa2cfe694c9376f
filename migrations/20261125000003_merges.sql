-- Merges of duplicate clients, kept so a merge can be undone.

ALTER TABLE clients ADD COLUMN merged_into uuid;

CREATE TABLE client_merges (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    survivor_id      uuid NOT NULL,
    merged_id        uuid NOT NULL,
    -- Both rows as they were before the merge (sensitive columns stay encrypted).
    survivor_before  jsonb NOT NULL,
    merged_before    jsonb NOT NULL,
    moved_contacts   uuid[] NOT NULL DEFAULT '{}',
    moved_events     uuid[] NOT NULL DEFAULT '{}',
    merged_by        uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    undone_at        timestamptz,
    undone_by        uuid,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX client_merges_survivor ON client_merges (tenant_id, survivor_id);

ALTER TABLE client_merges ENABLE ROW LEVEL SECURITY;
ALTER TABLE client_merges FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON client_merges USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON client_merges TO crm_app;
