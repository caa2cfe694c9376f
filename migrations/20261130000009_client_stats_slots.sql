-- Client counts in 16 slots per tenant instead of one row. With one row, every transaction that
-- created, converted or deleted a client of a tenant held that row's lock until it committed,
-- so a tenant's writers (an import batch of 500 rows above all) queued behind each other. Now a
-- transaction adds its change to the slot its transaction id picks: concurrent writers of one
-- tenant meet on a slot one time in 16, and one transaction holds only one slot (no deadlock
-- between two writers taking slots in opposite orders). A KPI read sums the tenant's slots.

ALTER TABLE client_stats ADD COLUMN slot smallint NOT NULL DEFAULT 0
    CHECK (slot >= 0 AND slot < 16);
ALTER TABLE client_stats DROP CONSTRAINT client_stats_pkey;
ALTER TABLE client_stats ADD PRIMARY KEY (tenant_id, slot);

-- Adds the live rows of `added` and subtracts those of `removed` in this transaction's slot; no
-- write (and no lock) when the change moves no count, as for a touch of `last_contact_at`.
CREATE OR REPLACE FUNCTION client_stats_apply() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_slot smallint := mod(txid_current(), 16);
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO client_stats AS s (tenant_id, slot, total, leads, clients)
        SELECT tenant_id, v_slot, count(*), count(*) FILTER (WHERE status = 'lead'),
               count(*) FILTER (WHERE status = 'client')
          FROM added WHERE deleted_at IS NULL GROUP BY tenant_id
        ON CONFLICT (tenant_id, slot) DO UPDATE
           SET total = s.total + excluded.total, leads = s.leads + excluded.leads,
               clients = s.clients + excluded.clients;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO client_stats AS s (tenant_id, slot, total, leads, clients)
        SELECT tenant_id, v_slot, -count(*), -count(*) FILTER (WHERE status = 'lead'),
               -count(*) FILTER (WHERE status = 'client')
          FROM removed WHERE deleted_at IS NULL GROUP BY tenant_id
        ON CONFLICT (tenant_id, slot) DO UPDATE
           SET total = s.total + excluded.total, leads = s.leads + excluded.leads,
               clients = s.clients + excluded.clients;
    ELSE
        INSERT INTO client_stats AS s (tenant_id, slot, total, leads, clients)
        SELECT tenant_id, v_slot, total, leads, clients FROM (
            SELECT tenant_id, sum(n) AS total,
                   coalesce(sum(n) FILTER (WHERE status = 'lead'), 0) AS leads,
                   coalesce(sum(n) FILTER (WHERE status = 'client'), 0) AS clients
              FROM (SELECT tenant_id, status, 1 AS n FROM added WHERE deleted_at IS NULL
                    UNION ALL
                    SELECT tenant_id, status, -1 FROM removed WHERE deleted_at IS NULL) d
             GROUP BY tenant_id) delta
         WHERE total <> 0 OR leads <> 0 OR clients <> 0
        ON CONFLICT (tenant_id, slot) DO UPDATE
           SET total = s.total + excluded.total, leads = s.leads + excluded.leads,
               clients = s.clients + excluded.clients;
    END IF;
    RETURN NULL;
END $$;
