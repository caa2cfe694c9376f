-- The calendar's activities: a call, meeting, task, demo or deadline for a client, once or
-- recurring (an RFC 5545 RRULE expanded in the activity's time zone, minus its exceptions).

CREATE TABLE activities (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    client_id       uuid NOT NULL,
    contact_id      uuid,
    opportunity_id  uuid,
    ticket_id       uuid,
    kind            text NOT NULL CHECK (kind IN ('call', 'meeting', 'task', 'demo', 'deadline')),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    notes           text CHECK (length(notes) <= 5000),
    -- The first occurrence; an all-day activity runs from midnight to midnight in time_zone.
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL CHECK (ends_at >= starts_at),
    all_day         boolean NOT NULL DEFAULT false,
    -- The IANA zone its times are given in and its recurrence is expanded in.
    time_zone       text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
    location        text CHECK (length(location) <= 500),
    video_url       text CHECK (length(video_url) <= 2000),
    -- The users it is assigned to (users of the tenant, checked by the service).
    assignee_ids    uuid[] NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'done', 'cancelled')),
    outcome         text CHECK (length(outcome) <= 2000),
    completed_at    timestamptz,
    -- The RRULE (without "RRULE:"), NULL for a single activity, and the occurrences (by their
    -- start) taken out of the series.
    recurrence      text CHECK (length(recurrence) BETWEEN 1 AND 500),
    exceptions      timestamptz[] NOT NULL DEFAULT '{}',
    -- The end of its last occurrence (ends_at for a single activity); NULL for a series that
    -- never ends. What a range query looks up.
    occurs_until    timestamptz CHECK (occurs_until >= ends_at),
    created_by      uuid,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (recurrence IS NOT NULL OR occurs_until = ends_at),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE SET NULL (contact_id),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id) ON DELETE SET NULL (opportunity_id),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE SET NULL (ticket_id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id) ON DELETE SET NULL (created_by)
);
-- A calendar view asks for the activities whose span meets a window: years of history and
-- open-ended series are found without reading what lies outside it.
CREATE INDEX activities_span ON activities USING gist (tstzrange(starts_at, occurs_until, '[]'));
-- The client page's activities, newest first.
CREATE INDEX activities_client ON activities (tenant_id, client_id, starts_at DESC);
CREATE INDEX activities_assignees ON activities USING gin (assignee_ids);

ALTER TABLE activities ENABLE ROW LEVEL SECURITY;
ALTER TABLE activities FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON activities USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON activities TO crm_app;
