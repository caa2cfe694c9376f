-- Support tickets: business calendars, categories with their SLA policy, tickets with their
-- comments and SLA pauses, and the escalation actions taken (each at most once per ticket,
-- target and action, whichever worker gets there first).

CREATE TABLE business_calendars (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- domain::tickets::BusinessCalendar: time zone, weekly hours, holidays.
    calendar    jsonb NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE ticket_categories (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- NULL: the SLA clock runs 24/7.
    calendar_id      uuid,
    -- domain::tickets::SlaPolicy: targets per priority, in business minutes.
    sla              jsonb NOT NULL DEFAULT '{}',
    default_priority text CHECK (default_priority IN ('urgent', 'high', 'normal', 'low')),
    -- Escalation policy: warn at this share of a target; on breach raise the priority and
    -- hand the ticket to the team lead.
    warn_at_percent  integer NOT NULL DEFAULT 80 CHECK (warn_at_percent BETWEEN 1 AND 99),
    team_lead_id     uuid,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, calendar_id) REFERENCES business_calendars (tenant_id, id)
);
CREATE UNIQUE INDEX ticket_categories_name ON ticket_categories (tenant_id, lower(name));

CREATE TABLE tickets (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    id                  uuid NOT NULL,
    client_id           uuid NOT NULL,
    contact_id          uuid,
    category_id         uuid,
    title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description         text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    status              text NOT NULL CHECK (status IN ('new', 'open', 'pending_customer', 'on_hold', 'resolved', 'closed')),
    priority            text NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
    priority_reason     text NOT NULL DEFAULT '',
    assignee_id         uuid,
    team                text CHECK (length(team) BETWEEN 1 AND 100),
    -- The SLA clock's inputs (domain::tickets::SlaClock).
    first_response_at   timestamptz,
    last_customer_at    timestamptz,
    last_agent_reply_at timestamptz,
    resolved_at         timestamptz,
    closed_at           timestamptz,
    satisfaction        smallint CHECK (satisfaction BETWEEN 1 AND 5),
    -- The nearest due time of a target not met yet (NULL while paused, or when none is
    -- open): what the escalation pass reads, kept by the service on every change.
    next_due_at         timestamptz,
    -- The earliest instant a target not met yet crosses the category's `warn_at_percent` of
    -- its time (NULL as next_due_at is): from then until next_due_at the ticket is at risk.
    next_warn_at        timestamptz,
    -- The escalation pass's latest estimate that a target will be breached, and why.
    breach_risk         real CHECK (breach_risk BETWEEN 0 AND 1),
    breach_risk_reason  text,
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id),
    -- A contact removed from the client leaves its tickets without a contact.
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE SET NULL (contact_id),
    FOREIGN KEY (tenant_id, category_id) REFERENCES ticket_categories (tenant_id, id)
);
CREATE INDEX tickets_queue ON tickets (tenant_id, id DESC);
CREATE INDEX tickets_client ON tickets (tenant_id, client_id, id DESC);
CREATE INDEX tickets_assignee ON tickets (tenant_id, assignee_id, id DESC)
    WHERE status IN ('new', 'open', 'pending_customer', 'on_hold');
CREATE INDEX tickets_due ON tickets (tenant_id, next_due_at) WHERE next_due_at IS NOT NULL;

CREATE TABLE ticket_comments (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    ticket_id   uuid NOT NULL,
    -- `agent` (staff, through the console or the API) or `customer` (the client's side).
    author_kind text NOT NULL CHECK (author_kind IN ('agent', 'customer')),
    author_id   uuid,
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    -- A public comment is a reply the client sees; otherwise an internal note.
    public      boolean NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id)
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (tenant_id, ticket_id, id);

-- The SLA clock stops while a ticket waits for the customer or is on hold.
CREATE TABLE ticket_pauses (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    ticket_id   uuid NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz CHECK (ended_at >= started_at),
    -- The status that stopped the clock; `resolved` is the stretch a reopened ticket stood
    -- resolved (or closed), recorded when it reopens.
    reason      text NOT NULL CHECK (reason IN ('pending_customer', 'on_hold', 'resolved')),
    -- Why, in the agent's words (optional).
    note        text CHECK (length(note) BETWEEN 1 AND 500),
    PRIMARY KEY (tenant_id, ticket_id, started_at),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id)
);

-- What escalation did, once per ticket, target and action: the primary key makes the second
-- worker's insert a no-op, across restarts too.
CREATE TABLE ticket_escalations (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    ticket_id   uuid NOT NULL,
    target      text NOT NULL CHECK (target IN ('first_response', 'next_response', 'resolution')),
    -- `warned`, `breached` or `predicted` (escalated early on the breach estimate). A target
    -- restarted by a customer reply is a new round: `round` is that message's time in
    -- microseconds (0 for the other targets).
    action      text NOT NULL CHECK (action IN ('warned', 'breached', 'predicted')),
    round       bigint NOT NULL DEFAULT 0,
    taken_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, ticket_id, target, action, round),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['business_calendars', 'ticket_categories', 'tickets',
                             'ticket_comments', 'ticket_pauses', 'ticket_escalations']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id()) '
                       'WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON business_calendars, ticket_categories TO crm_app;
GRANT SELECT, INSERT, UPDATE ON tickets, ticket_pauses TO crm_app;
-- Comments and escalations are history: written once, never changed.
GRANT SELECT, INSERT ON ticket_comments, ticket_escalations TO crm_app;
