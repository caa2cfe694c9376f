-- The sales pipeline: pipelines with ordered stages, the opportunities on them, and each
-- opportunity's stay in each stage (what conversion and velocity are measured from).

CREATE TABLE pipelines (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The pipeline an opportunity goes to when none is named; one per tenant.
    is_default  boolean NOT NULL DEFAULT false,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX pipelines_name ON pipelines (tenant_id, lower(name));
CREATE UNIQUE INDEX pipelines_one_default ON pipelines (tenant_id) WHERE is_default;

CREATE TABLE pipeline_stages (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    pipeline_id  uuid NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- 0-based order on the board.
    position     integer NOT NULL CHECK (position >= 0),
    -- Win probability in percent: the weight of the stage's value in the forecast.
    probability  smallint NOT NULL CHECK (probability BETWEEN 0 AND 100),
    kind         text NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    -- An open opportunity this many days in the stage is rotting.
    rot_days     integer CHECK (rot_days BETWEEN 1 AND 3650),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, pipeline_id, id),
    FOREIGN KEY (tenant_id, pipeline_id) REFERENCES pipelines (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX pipeline_stages_order ON pipeline_stages (tenant_id, pipeline_id, position);

CREATE TABLE opportunities (
    tenant_id             uuid NOT NULL REFERENCES tenants (id),
    id                    uuid NOT NULL,
    pipeline_id           uuid NOT NULL,
    stage_id              uuid NOT NULL,
    client_id             uuid NOT NULL,
    title                 text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    estimated_value       numeric(16, 2) NOT NULL DEFAULT 0 CHECK (estimated_value >= 0),
    currency              text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Order within the stage: sparse (steps of 1024) so that a move writes one row; the
    -- service renumbers a stage whose neighbours have no room left between them.
    rank                  bigint NOT NULL,
    expected_close_date   date,
    owner_id              uuid,
    completion_percentage smallint NOT NULL DEFAULT 0 CHECK (completion_percentage BETWEEN 0 AND 100),
    lost_reason           text CHECK (length(lost_reason) BETWEEN 1 AND 500),
    stage_entered_at      timestamptz NOT NULL DEFAULT now(),
    -- When it entered a won or lost stage (NULL while open).
    closed_at             timestamptz,
    version               integer NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    -- The stage is one of the opportunity's pipeline.
    FOREIGN KEY (tenant_id, pipeline_id, stage_id) REFERENCES pipeline_stages (tenant_id, pipeline_id, id),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id) ON DELETE SET NULL (owner_id),
    -- The board reads each stage's cards in order; a move finds its neighbours here. Checked
    -- at commit, so that renumbering a stage may pass through equal ranks.
    CONSTRAINT opportunities_stage_rank UNIQUE (tenant_id, stage_id, rank) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX opportunities_pipeline ON opportunities (tenant_id, pipeline_id, stage_id);
CREATE INDEX opportunities_client ON opportunities (tenant_id, client_id);
CREATE INDEX opportunities_list ON opportunities (tenant_id, id DESC);

-- Each stay of an opportunity in a stage: entered, and left (NULL while it is there).
CREATE TABLE opportunity_stage_stays (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    opportunity_id  uuid NOT NULL,
    stage_id        uuid NOT NULL,
    entered_at      timestamptz NOT NULL,
    left_at         timestamptz CHECK (left_at >= entered_at),
    PRIMARY KEY (tenant_id, opportunity_id, entered_at),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, stage_id) REFERENCES pipeline_stages (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX opportunity_stage_stays_stage ON opportunity_stage_stays (tenant_id, stage_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pipelines', 'pipeline_stages', 'opportunities', 'opportunity_stage_stays']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id()) '
                       'WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON pipelines, pipeline_stages, opportunities,
    opportunity_stage_stays TO crm_app;

-- Tenants that exist already get the default pipeline new tenants get from
-- services::pipeline::defaults (the same stages, by the tenant's language).
INSERT INTO pipelines (tenant_id, id, name, is_default)
SELECT t.id, gen_random_uuid(), CASE WHEN t.locale = 'en' THEN 'Sales' ELSE 'Ventas' END, true
  FROM tenants t;
INSERT INTO pipeline_stages (tenant_id, id, pipeline_id, name, position, probability, kind, rot_days)
SELECT p.tenant_id, gen_random_uuid(), p.id,
       CASE WHEN t.locale = 'en' THEN s.en ELSE s.es END, s.position, s.probability, s.kind, s.rot_days
  FROM pipelines p
  JOIN tenants t ON t.id = p.tenant_id
 CROSS JOIN (VALUES (0, 'Nuevo', 'New', 10, 'open', 14),
                    (1, 'Cualificado', 'Qualified', 25, 'open', 21),
                    (2, 'Propuesta', 'Proposal', 50, 'open', 21),
                    (3, 'Negociación', 'Negotiation', 75, 'open', 14),
                    (4, 'Ganado', 'Won', 100, 'won', NULL),
                    (5, 'Perdido', 'Lost', 0, 'lost', NULL))
       AS s (position, es, en, probability, kind, rot_days);
