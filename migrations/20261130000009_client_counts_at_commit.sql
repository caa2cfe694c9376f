-- Client counts that writers of one tenant no longer queue on.
--
-- Before: one counter row per tenant, updated by each statement that changed a count, so every
-- transaction creating, converting or deleting a client held that row's lock from its first such
-- statement until it committed: a POST /clients waited for any running 500-row import batch.
--
-- Now a transaction only gathers its changes while it runs (per tenant, in a transaction-local
-- setting) and adds them to the counters as it commits, from a deferred constraint trigger: the
-- row lock is held for the commit alone. And the counters are 16 slots per tenant: a transaction
-- adds to the slot its transaction id picks, so two committing writers meet one time in 16, and a
-- transaction holds one slot per tenant (no two writers take slots in opposite orders). A KPI
-- read sums the tenant's slots.

ALTER TABLE client_stats ADD COLUMN slot smallint NOT NULL DEFAULT 0
    CHECK (slot >= 0 AND slot < 16);
ALTER TABLE client_stats DROP CONSTRAINT client_stats_pkey;
ALTER TABLE client_stats ADD PRIMARY KEY (tenant_id, slot);

-- Adds the live rows of `added` and subtracts those of `removed` to this transaction's pending
-- changes: {"<tenant id>": [total, leads, clients], ...} in `crm.client_stats_pending`.
CREATE OR REPLACE FUNCTION client_stats_apply() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_delta jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT jsonb_object_agg(tenant_id, jsonb_build_array(n, l, c)) INTO v_delta
          FROM (SELECT tenant_id, count(*) AS n, count(*) FILTER (WHERE status = 'lead') AS l,
                       count(*) FILTER (WHERE status = 'client') AS c
                  FROM added WHERE deleted_at IS NULL GROUP BY tenant_id) d;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT jsonb_object_agg(tenant_id, jsonb_build_array(-n, -l, -c)) INTO v_delta
          FROM (SELECT tenant_id, count(*) AS n, count(*) FILTER (WHERE status = 'lead') AS l,
                       count(*) FILTER (WHERE status = 'client') AS c
                  FROM removed WHERE deleted_at IS NULL GROUP BY tenant_id) d;
    ELSE
        SELECT jsonb_object_agg(tenant_id, jsonb_build_array(n, l, c)) INTO v_delta
          FROM (SELECT tenant_id, sum(k) AS n,
                       coalesce(sum(k) FILTER (WHERE status = 'lead'), 0) AS l,
                       coalesce(sum(k) FILTER (WHERE status = 'client'), 0) AS c
                  FROM (SELECT tenant_id, status, 1 AS k FROM added WHERE deleted_at IS NULL
                        UNION ALL
                        SELECT tenant_id, status, -1 FROM removed WHERE deleted_at IS NULL) r
                 GROUP BY tenant_id) d
         WHERE n <> 0 OR l <> 0 OR c <> 0;
    END IF;
    IF v_delta IS NOT NULL THEN
        PERFORM set_config('crm.client_stats_pending', (
            SELECT jsonb_object_agg(key, jsonb_build_array(n, l, c))::text
              FROM (SELECT key, sum((v->>0)::bigint) AS n, sum((v->>1)::bigint) AS l,
                           sum((v->>2)::bigint) AS c
                      FROM (SELECT key, value AS v
                              FROM jsonb_each(coalesce(nullif(current_setting(
                                       'crm.client_stats_pending', true), ''), '{}')::jsonb)
                            UNION ALL
                            SELECT key, value FROM jsonb_each(v_delta)) e
                     GROUP BY key) t), true);
    END IF;
    RETURN NULL;
END $$;

-- At commit: adds the transaction's pending changes to its slot of each tenant's counters, once
-- (the first of the deferred row events does it; the others find nothing left).
CREATE FUNCTION client_stats_flush() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_pending text := nullif(current_setting('crm.client_stats_pending', true), '');
BEGIN
    IF v_pending IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('crm.client_stats_pending', '', true);
    INSERT INTO client_stats AS s (tenant_id, slot, total, leads, clients)
    SELECT key::uuid, mod(txid_current(), 16), (value->>0)::bigint, (value->>1)::bigint,
           (value->>2)::bigint
      FROM jsonb_each(v_pending::jsonb)
     WHERE value <> '[0, 0, 0]'::jsonb
     ORDER BY 1
    ON CONFLICT (tenant_id, slot) DO UPDATE
       SET total = s.total + excluded.total, leads = s.leads + excluded.leads,
           clients = s.clients + excluded.clients;
    RETURN NULL;
END $$;

-- Only rows whose change may move a count queue a commit-time event (a `last_contact_at` touch
-- does not).
CREATE CONSTRAINT TRIGGER client_stats_flush_insert_delete AFTER INSERT OR DELETE ON clients
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION client_stats_flush();
CREATE CONSTRAINT TRIGGER client_stats_flush_update AFTER UPDATE ON clients
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION client_stats_flush();
