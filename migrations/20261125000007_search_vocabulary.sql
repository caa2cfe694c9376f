-- Typo search through each tenant's vocabulary. Word similarity over a client's whole search
-- text made the trigram index lossy: a typo of a common word ("foracion") matched the trigrams
-- of thousands of rows ("corporacion", "asociacion") that the exact check then threw away, one
-- heap row at a time. Now a query word is first compared with the tenant's distinct words (a
-- small table, short rows), and the clients holding the close words come from an exact index on
-- the words of each client. The whole query as a substring of the search text stays, through the
-- trigram index over a stored copy of the text, so its recheck no longer recomputes the
-- per-group permutation row by row.

-- The words of a search text: split at spaces and inside e-mails and domains, so the parts of
-- `info@innovest.es` are words of their own.
CREATE FUNCTION search_words(p_text text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT array_remove(string_to_array(translate(p_text, '@.+', '   '), ' '), '') $$;

-- `p_text` for a LIKE pattern: its own `\`, `%` and `_` stand for themselves (normalised
-- search text has none, but callers vary).
CREATE FUNCTION like_literal(p_text text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT replace(replace(replace(p_text, '\', '\\'), '%', '\%'), '_', '\_') $$;

-- The search text as the trigram index sees it (see search_scramble in the previous migration).
ALTER TABLE clients
    ADD COLUMN search_key text GENERATED ALWAYS AS (search_scramble(search_text, tenant_id)) STORED;

-- The search indexes take each write directly (fastupdate off): with a pending list, every
-- search would also read up to gin_pending_list_limit of unsorted entries until it is flushed.
DROP INDEX clients_search;
CREATE INDEX clients_search ON clients USING gin (tenant_id, search_key gin_trgm_ops)
    WITH (fastupdate = off) WHERE deleted_at IS NULL;
CREATE INDEX clients_words ON clients USING gin (tenant_id, search_words(search_text))
    WITH (fastupdate = off) WHERE deleted_at IS NULL;

-- Every word of a live client of the tenant (and, until the prune job passes, words that no
-- client has any more: they match nothing, so they only cost a little space).
CREATE TABLE search_vocabulary (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    word      text NOT NULL,
    key       text GENERATED ALWAYS AS (search_scramble(word, tenant_id)) STORED,
    PRIMARY KEY (tenant_id, word)
);

-- Words some client stopped having (its text changed, or it was deleted): what the prune job
-- looks at.
CREATE TABLE search_vocabulary_dropped (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    word      text NOT NULL,
    PRIMARY KEY (tenant_id, word)
);

-- Words the prune job removed, kept until every transaction that could have relied on them has
-- ended; then any still in use go back (see search_vocabulary_repair).
CREATE TABLE search_vocabulary_recheck (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    word           text NOT NULL,
    pruned_before  xid8 NOT NULL,
    PRIMARY KEY (tenant_id, word)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['search_vocabulary', 'search_vocabulary_dropped',
                             'search_vocabulary_recheck'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id()) '
                       'WITH CHECK (tenant_id = current_tenant_id())', t);
        -- The maintenance functions below run as crm_search across tenants.
        EXECUTE format('CREATE POLICY search_maintainer ON %I TO crm_search USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;

-- The triggers run as the writer (crm_app, inside its tenant).
GRANT SELECT, INSERT ON search_vocabulary, search_vocabulary_dropped TO crm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON search_vocabulary, search_vocabulary_dropped,
    search_vocabulary_recheck TO crm_search;
GRANT SELECT (search_key) ON clients TO crm_search;

-- Keeps the vocabulary in the transaction of every client change. Inserting a word that exists
-- takes no lock, so writers of the same tenant never wait on each other here; words are taken
-- in one order so two writers adding the same new words cannot deadlock.
CREATE FUNCTION search_vocabulary_apply() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_vocabulary (tenant_id, word)
        SELECT DISTINCT a.tenant_id, w FROM added a, unnest(search_words(a.search_text)) w
         WHERE a.deleted_at IS NULL
         ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Rows whose text changed, or that came back from deletion, bring their words.
        INSERT INTO search_vocabulary (tenant_id, word)
        SELECT DISTINCT a.tenant_id, w
          FROM added a JOIN removed r ON r.id = a.id, unnest(search_words(a.search_text)) w
         WHERE a.deleted_at IS NULL
           AND (r.deleted_at IS NOT NULL OR r.search_text IS DISTINCT FROM a.search_text)
         ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
        -- Words a row no longer has are left for the prune job to check.
        INSERT INTO search_vocabulary_dropped (tenant_id, word)
        SELECT DISTINCT r.tenant_id, w
          FROM removed r JOIN added a ON a.id = r.id, unnest(search_words(r.search_text)) w
         WHERE r.deleted_at IS NULL
           AND (a.deleted_at IS NOT NULL OR r.search_text IS DISTINCT FROM a.search_text)
           AND (a.deleted_at IS NOT NULL OR NOT w = ANY(search_words(a.search_text)))
         ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO search_vocabulary_dropped (tenant_id, word)
        SELECT DISTINCT r.tenant_id, w FROM removed r, unnest(search_words(r.search_text)) w
         WHERE r.deleted_at IS NULL
         ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER search_vocabulary_insert AFTER INSERT ON clients
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION search_vocabulary_apply();
CREATE TRIGGER search_vocabulary_update AFTER UPDATE ON clients
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION search_vocabulary_apply();
CREATE TRIGGER search_vocabulary_delete AFTER DELETE ON clients
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION search_vocabulary_apply();

-- Removes up to `p_limit` dropped words that no live client of their tenant has any more; the
-- removed words wait in search_vocabulary_recheck. Returns how many it removed.
--
-- A writer that found a word present (and so inserted nothing) may still be running when this
-- removes it; its client is invisible here. So every removed word is checked again by
-- search_vocabulary_repair once all transactions older than the removal have ended.
CREATE FUNCTION search_vocabulary_prune(p_limit integer) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    removed integer;
BEGIN
    WITH picked AS (
        DELETE FROM search_vocabulary_dropped x
         WHERE (x.tenant_id, x.word) IN (SELECT tenant_id, word FROM search_vocabulary_dropped
                                          LIMIT p_limit FOR UPDATE SKIP LOCKED)
        RETURNING x.tenant_id, x.word
    ), gone AS (
        DELETE FROM search_vocabulary v USING picked p
         WHERE v.tenant_id = p.tenant_id AND v.word = p.word
           AND NOT EXISTS (SELECT 1 FROM clients c
                            WHERE c.tenant_id = p.tenant_id AND c.deleted_at IS NULL
                              AND search_words(c.search_text) @> ARRAY[p.word])
        RETURNING v.tenant_id, v.word
    )
    INSERT INTO search_vocabulary_recheck (tenant_id, word, pruned_before)
    SELECT tenant_id, word, '0'::xid8 FROM gone
    ON CONFLICT (tenant_id, word) DO UPDATE SET pruned_before = '0'::xid8;
    GET DIAGNOSTICS removed = ROW_COUNT;
    -- A new statement, so a new snapshot: every writer that could have seen a removed word
    -- before the removal already has a transaction id below this bound.
    UPDATE search_vocabulary_recheck SET pruned_before = pg_snapshot_xmax(pg_current_snapshot())
     WHERE pruned_before = '0'::xid8;
    RETURN removed;
END $$;

-- Puts back the removed words that a live client has, for every removal whose concurrent
-- transactions have all ended; returns how many removals are still waiting.
CREATE FUNCTION search_vocabulary_repair() RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    waiting integer;
BEGIN
    WITH done AS (
        DELETE FROM search_vocabulary_recheck r
         WHERE r.pruned_before <> '0'::xid8
           AND r.pruned_before <= pg_snapshot_xmin(pg_current_snapshot())
        RETURNING r.tenant_id, r.word
    )
    INSERT INTO search_vocabulary (tenant_id, word)
    SELECT d.tenant_id, d.word FROM done d
     WHERE EXISTS (SELECT 1 FROM clients c
                    WHERE c.tenant_id = d.tenant_id AND c.deleted_at IS NULL
                      AND search_words(c.search_text) @> ARRAY[d.word])
     ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
    SELECT count(*) INTO waiting FROM search_vocabulary_recheck;
    RETURN waiting;
END $$;

-- Ids of the caller's live clients that the search text finds (see docs/decisions.md):
--   * the whole text is a substring of the client's search text, or
--   * every word of it (two characters or more) is close to a word of the client: a word whose
--     strict word similarity is at least pg_trgm.strict_word_similarity_threshold (0.5 unless
--     the server says otherwise) or, for query words of four characters or more, a word it
--     begins; of those, the 50 closest words count (as Elasticsearch's fuzzy query keeps 50
--     expansions), or
--   * the tax id has the keyed hash `p_tax_hash`.
-- PL/pgSQL, so each connection plans these statements once, not on every call.
DROP FUNCTION client_search_ids(text, bytea);
CREATE FUNCTION client_search_ids(p_text text, p_tax_hash bytea)
    RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    ROWS 50
    AS $$
DECLARE
    v_tenant uuid := current_tenant_id();
    v_query  text;
    v_token  text;
    v_key    text;
    v_prefix text;
    v_words  text[];
    v_ids    uuid[];
    v_found  uuid[] := '{}';
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;
    END IF;
    IF p_tax_hash IS NOT NULL THEN
        v_found := ARRAY(SELECT c.id FROM clients c
                          WHERE c.tenant_id = v_tenant AND c.deleted_at IS NULL
                            AND c.tax_id_hash = p_tax_hash);
    END IF;
    IF coalesce(p_text, '') = '' THEN
        RETURN QUERY SELECT unnest(v_found);
        RETURN;
    END IF;
    v_query := like_literal(search_scramble(p_text, v_tenant));
    v_found := v_found || ARRAY(SELECT c.id FROM clients c
                                 WHERE c.tenant_id = v_tenant AND c.deleted_at IS NULL
                                   AND c.search_key LIKE '%' || v_query || '%');
    FOR v_token IN SELECT DISTINCT w FROM unnest(search_words(p_text)) w WHERE length(w) >= 2
    LOOP
        v_key := search_scramble(v_token, v_tenant);
        v_prefix := like_literal(v_key) || '%';
        v_words := ARRAY(
            SELECT v.word FROM search_vocabulary v
             WHERE v.tenant_id = v_tenant
               AND (v_key <<% v.key OR (length(v_token) >= 4 AND v.key LIKE v_prefix))
             ORDER BY v.word = v_token DESC, strict_word_similarity(v_key, v.key) DESC,
                      length(v.word), v.word
             LIMIT 50);
        IF v_ids IS NULL THEN
            v_ids := ARRAY(SELECT c.id FROM clients c
                            WHERE c.tenant_id = v_tenant AND c.deleted_at IS NULL
                              AND search_words(c.search_text) && v_words);
        ELSE
            v_ids := ARRAY(SELECT unnest(v_ids)
                           INTERSECT
                           SELECT c.id FROM clients c
                            WHERE c.tenant_id = v_tenant AND c.deleted_at IS NULL
                              AND search_words(c.search_text) && v_words);
        END IF;
        EXIT WHEN cardinality(v_ids) = 0;
    END LOOP;
    -- Each id once, whichever ways found it.
    RETURN QUERY SELECT unnest(v_found) UNION SELECT unnest(v_ids);
END $$;
ALTER FUNCTION client_search_ids(text, bytea) OWNER TO crm_search;
REVOKE ALL ON FUNCTION client_search_ids(text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION client_search_ids(text, bytea) TO crm_app;

-- Ids of the caller's live clients whose search text is like a whole name (word similarity over
-- the text, or a substring): the looser match the duplicate finder wants, where a legal form
-- more or less ("S.L.") must not hide a likely duplicate. One client at a time, so the cost of
-- rechecking a common name's candidates is paid rarely.
CREATE FUNCTION client_similar_ids(p_text text)
    RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    ROWS 20
    AS $$
        SELECT id FROM clients
         WHERE tenant_id = current_tenant_id() AND deleted_at IS NULL
           AND (search_scramble(p_text, current_tenant_id()) <% search_key
                OR search_key LIKE '%' || search_scramble(p_text, current_tenant_id()) || '%')
    $$;
ALTER FUNCTION client_similar_ids(text) OWNER TO crm_search;
REVOKE ALL ON FUNCTION client_similar_ids(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION client_similar_ids(text) TO crm_app;

ALTER FUNCTION search_vocabulary_prune(integer) OWNER TO crm_search;
ALTER FUNCTION search_vocabulary_repair() OWNER TO crm_search;
REVOKE ALL ON FUNCTION search_vocabulary_prune(integer), search_vocabulary_repair() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION search_vocabulary_prune(integer), search_vocabulary_repair() TO crm_app;

-- The words of the clients that exist already (the owner reads and writes every tenant only
-- while the policies are not forced on it).
ALTER TABLE clients NO FORCE ROW LEVEL SECURITY;
ALTER TABLE search_vocabulary NO FORCE ROW LEVEL SECURITY;
INSERT INTO search_vocabulary (tenant_id, word)
SELECT DISTINCT tenant_id, w FROM clients, unnest(search_words(search_text)) w
 WHERE deleted_at IS NULL;
ALTER TABLE search_vocabulary FORCE ROW LEVEL SECURITY;
ALTER TABLE clients FORCE ROW LEVEL SECURITY;
CREATE INDEX search_vocabulary_trgm ON search_vocabulary USING gin (tenant_id, key gin_trgm_ops)
    WITH (fastupdate = off);
