-- The calendar's window under row-level security. Postgres will not use an operator that is
-- not LEAKPROOF (`&&` on ranges, `@>` on arrays) as an index condition ahead of a row policy,
-- so under the policy a window read every activity of the tenant (a second for a busy user
-- over years of history: calendar-bench). As for client search (`…000006_fast_client_reads`),
-- `activity_ids_in_window` runs as `crm_search`, which may read only the columns a window
-- filters on, is scoped here to the caller's tenant (`current_tenant_id()`, NULL when unset,
-- matches nothing) and answers only ids, which the caller reads under its own policy. The span
-- index leads with the tenant (btree_gist), so one tenant's month does not walk every
-- tenant's.

CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX activities_tenant_span
    ON activities USING gist (tenant_id, tstzrange(starts_at, occurs_until, '[]'));
DROP INDEX activities_span;

GRANT SELECT (tenant_id, id, client_id, starts_at, occurs_until, assignee_ids, status)
    ON activities TO crm_search;
CREATE POLICY window_reader ON activities FOR SELECT TO crm_search USING (true);

-- Ids of the caller's activities whose span (first start to last end) meets [p_from, p_to),
-- assigned to p_assignee, of p_client and with p_status when given, earliest first, at most
-- p_limit. PL/pgSQL with EXECUTE so each call is planned with its own values and predicates:
-- the assignee's index or the span's, whichever finds fewer.
CREATE FUNCTION activity_ids_in_window(
    p_from timestamptz, p_to timestamptz, p_assignee uuid, p_client uuid, p_status text,
    p_limit bigint)
    RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    ROWS 100
    AS $$
BEGIN
    RETURN QUERY EXECUTE
        'SELECT id FROM activities
          WHERE tenant_id = current_tenant_id()
            AND tstzrange(starts_at, occurs_until, ''[]'') && tstzrange($1, $2, ''[)'')'
        || CASE WHEN p_assignee IS NULL THEN '' ELSE ' AND assignee_ids @> ARRAY[$3]' END
        || CASE WHEN p_client IS NULL THEN '' ELSE ' AND client_id = $4' END
        || CASE WHEN p_status IS NULL THEN '' ELSE ' AND status = $5' END
        || ' ORDER BY starts_at, id LIMIT $6'
        USING p_from, p_to, p_assignee, p_client, p_status, p_limit;
END
$$;
ALTER FUNCTION activity_ids_in_window(timestamptz, timestamptz, uuid, uuid, text, bigint)
    OWNER TO crm_search;
REVOKE ALL ON FUNCTION activity_ids_in_window(timestamptz, timestamptz, uuid, uuid, text, bigint)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION activity_ids_in_window(timestamptz, timestamptz, uuid, uuid, text, bigint)
    TO crm_app;
