-- CSV imports of clients: the uploaded file, its progress and a per-row error report.

CREATE TABLE client_imports (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    status          text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    dry_run         boolean NOT NULL,
    -- The file as uploaded; cleared when the import ends.
    content         bytea,
    total_rows      integer NOT NULL,
    processed_rows  integer NOT NULL DEFAULT 0,
    imported_rows   integer NOT NULL DEFAULT 0,
    error_rows      integer NOT NULL DEFAULT 0,
    errors          jsonb NOT NULL DEFAULT '[]',
    created_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    PRIMARY KEY (tenant_id, id)
);

ALTER TABLE client_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE client_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON client_imports USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON client_imports TO crm_app;
