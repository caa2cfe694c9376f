-- Commercial proposals (issue 16, second half): versioned templates, proposals with line items
-- and exact totals, the stage a sent proposal moves its opportunity to, and files attached to
-- e-mails (a proposal's PDF).

-- The open stage an opportunity moves to when a proposal for it is sent; one per pipeline.
ALTER TABLE pipeline_stages ADD COLUMN on_proposal_sent boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX pipeline_stages_proposal_sent ON pipeline_stages (tenant_id, pipeline_id)
    WHERE on_proposal_sent;
UPDATE pipeline_stages s SET on_proposal_sent = true
  FROM pipelines p
 WHERE p.tenant_id = s.tenant_id AND p.id = s.pipeline_id AND p.is_default
   AND s.position = 2 AND s.kind = 'open' AND s.name IN ('Propuesta', 'Proposal');

CREATE TABLE proposal_templates (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The newest version's number; every change of the content adds a version.
    version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX proposal_templates_name ON proposal_templates (tenant_id, lower(name));

-- Each version's content, kept for the proposals made from it.
CREATE TABLE proposal_template_versions (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    template_id uuid NOT NULL,
    version     integer NOT NULL CHECK (version >= 1),
    -- [{"title": "...", "body": "..."}], bodies with {{variables}}.
    sections    jsonb NOT NULL CHECK (jsonb_typeof(sections) = 'array'),
    -- The variables the template declares: [{"name", "type", "label"}].
    variables   jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(variables) = 'array'),
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, template_id, version),
    FOREIGN KEY (tenant_id, template_id) REFERENCES proposal_templates (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE proposals (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    client_id        uuid NOT NULL,
    opportunity_id   uuid,
    template_id      uuid NOT NULL,
    template_version integer NOT NULL,
    -- Revisions of one proposal share its first version's id; `revision` counts from 1.
    first_id         uuid NOT NULL,
    revision         integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- The lines with their computed figures, every number a decimal string.
    items            jsonb NOT NULL CHECK (jsonb_typeof(items) = 'array'),
    subtotal         numeric(16, 2) NOT NULL CHECK (subtotal >= 0),
    tax_total        numeric(16, 2) NOT NULL CHECK (tax_total >= 0),
    total            numeric(16, 2) NOT NULL CHECK (total >= 0),
    -- Values given for the template's declared variables.
    variables        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(variables) = 'object'),
    -- Every variable's text as it was rendered when the proposal was sent.
    variables_used   jsonb CHECK (jsonb_typeof(variables_used) = 'object'),
    -- The HTML the client received (fixed at sending).
    sent_html        text,
    valid_until      date NOT NULL,
    status           text NOT NULL CHECK (status IN ('draft', 'sent', 'accepted', 'rejected', 'expired')),
    owner_id         uuid,
    sent_at          timestamptz,
    decided_at       timestamptz,
    decision_note    text CHECK (length(decision_note) <= 1000),
    reminded_at      timestamptz,
    -- The first time the client opened it through its public link.
    viewed_at        timestamptz,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, first_id, revision),
    CHECK ((status = 'draft') = (sent_at IS NULL)),
    CHECK ((status IN ('accepted', 'rejected', 'expired')) = (decided_at IS NOT NULL)),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id) ON DELETE SET NULL (opportunity_id),
    FOREIGN KEY (tenant_id, template_id, template_version) REFERENCES proposal_template_versions (tenant_id, template_id, version),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id) ON DELETE SET NULL (owner_id)
);
CREATE INDEX proposals_list ON proposals (tenant_id, id DESC);
CREATE INDEX proposals_client ON proposals (tenant_id, client_id);
CREATE INDEX proposals_opportunity ON proposals (tenant_id, opportunity_id);
-- The worker's sweep: sent proposals by validity.
CREATE INDEX proposals_pending ON proposals (tenant_id, valid_until) WHERE status = 'sent';

-- Files sent with an e-mail (a proposal's PDF), kept with the message so that every delivery
-- attempt sends the same bytes.
CREATE TABLE communication_attachments (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    communication_id uuid NOT NULL,
    position         smallint NOT NULL CHECK (position >= 0),
    filename         text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
    content_type     text NOT NULL CHECK (length(content_type) BETWEEN 3 AND 100),
    content          bytea NOT NULL CHECK (length(content) <= 10485760),
    PRIMARY KEY (tenant_id, communication_id, position),
    FOREIGN KEY (tenant_id, communication_id) REFERENCES communications (tenant_id, id) ON DELETE CASCADE
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['proposal_templates', 'proposal_template_versions', 'proposals',
                             'communication_attachments']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id()) '
                       'WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON proposal_templates, proposal_template_versions, proposals,
    communication_attachments TO crm_app;

-- The reminder to a proposal's owner that it expires soon goes through the platform's mail.
ALTER TABLE platform_mails DROP CONSTRAINT platform_mails_kind_check;
ALTER TABLE platform_mails ADD CONSTRAINT platform_mails_kind_check
    CHECK (kind IN ('invitation', 'password_reset', 'sla_breach', 'proposal_expiring'));
