-- Each user's connections to their own external calendars (Google, Outlook), made through the
-- OAuth 2.0 authorization-code flow, and what the worker's sync keeps about each: the tokens
-- (sealed with the tenant's data key), where the next incremental read starts, the push
-- channel or subscription, the health shown to the user, and one link per synced event.

-- An authorization the user started and has not finished: the `state` sent to the provider
-- (only its hash is kept) and the PKCE verifier (sealed). It lives ten minutes.
CREATE TABLE calendar_authorizations (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    state_hash       bytea NOT NULL,
    user_id          uuid NOT NULL,
    provider         text NOT NULL CHECK (provider IN ('google', 'microsoft')),
    verifier_cipher  bytea NOT NULL,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, state_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE calendar_connections (
    tenant_id             uuid NOT NULL REFERENCES tenants (id),
    id                    uuid NOT NULL,
    user_id               uuid NOT NULL,
    provider              text NOT NULL CHECK (provider IN ('google', 'microsoft')),
    -- The calendar synced: Google's `primary`, Graph's default calendar.
    calendar_id           text NOT NULL DEFAULT 'primary' CHECK (length(calendar_id) BETWEEN 1 AND 300),
    access_token_cipher   bytea NOT NULL,
    refresh_token_cipher  bytea,
    access_expires_at     timestamptz,
    -- When the provider last gave tokens (the connection or the last refresh).
    tokens_issued_at      timestamptz NOT NULL DEFAULT now(),
    -- `reauthorize`: the provider refused the refresh token; the user must connect again.
    status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'reauthorize')),
    -- Where the next incremental read starts (Google's sync token, Graph's deltaLink); NULL:
    -- the next read is a full one.
    sync_cursor           text,
    -- The push channel (Google) or subscription (Graph) and when it expires.
    channel_id            text,
    channel_resource_id   text,
    channel_expires_at    timestamptz,
    -- When the worker's reconciliation syncs it next, even without a push.
    next_sync_at          timestamptz NOT NULL DEFAULT now(),
    last_sync_at          timestamptz,
    last_success_at       timestamptz,
    last_error            text CHECK (length(last_error) <= 1000),
    changes_in            bigint NOT NULL DEFAULT 0,
    changes_out           bigint NOT NULL DEFAULT 0,
    connected_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_id, provider),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
-- The reconciliation's due connections.
CREATE INDEX calendar_connections_due ON calendar_connections (tenant_id, next_sync_at)
    WHERE status = 'active';

-- One link between an activity and its copy in one connected calendar: a sync never makes a
-- second copy, and one meeting in several teammates' calendars (one iCalendar UID) is one
-- activity with one link per calendar.
CREATE TABLE calendar_event_links (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    connection_id   uuid NOT NULL,
    external_id     text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 1024),
    activity_id     uuid NOT NULL,
    ical_uid        text CHECK (length(ical_uid) <= 1024),
    -- The provider's version of the event as last read or written (its ETag): an event read
    -- back with it is our own write coming back, not a change.
    etag            text,
    -- The activity's version the event last matched.
    activity_version integer NOT NULL,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    -- Both sides had changed since the last sync; the rule's outcome, shown on the activity.
    conflict        text CHECK (length(conflict) <= 500),
    PRIMARY KEY (tenant_id, connection_id, external_id),
    UNIQUE (tenant_id, connection_id, activity_id),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES calendar_connections (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, activity_id) REFERENCES activities (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX calendar_event_links_uid ON calendar_event_links (tenant_id, ical_uid);
CREATE INDEX calendar_event_links_activity ON calendar_event_links (tenant_id, activity_id);

-- Events a sync could not read, with why; a later good read of the event takes it away.
CREATE TABLE calendar_events_set_aside (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    connection_id   uuid NOT NULL,
    external_id     text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 1024),
    error           text NOT NULL CHECK (length(error) <= 1000),
    seen_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, connection_id, external_id),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES calendar_connections (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE calendar_authorizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_authorizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON calendar_authorizations USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
ALTER TABLE calendar_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_connections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON calendar_connections USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
ALTER TABLE calendar_event_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_event_links FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON calendar_event_links USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
ALTER TABLE calendar_events_set_aside ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_events_set_aside FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON calendar_events_set_aside USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_authorizations, calendar_connections,
    calendar_event_links, calendar_events_set_aside TO crm_app;
