-- Typo search by edit distance as well as by trigrams. Trigram similarity misses short typos:
-- swapping two letters of "garcia" leaves 3 of its 7 trigrams, so "garica" found nothing. A query
-- word now also matches the tenant's words within Elasticsearch's AUTO fuzziness (one edit for 3
-- to 5 letters, two from 6 on; a swap of neighbouring letters is one edit) that start with the
-- same letter. The first letter is kept, as Elasticsearch's `prefix_length: 1` keeps it, so the
-- candidates are one short index range (same first letter, length within the allowed edits) and
-- never the whole vocabulary; words of digits (phone numbers, ids) are matched exactly or as
-- substrings only. Typos in the first letter of a long word are still found by trigrams.

CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- Whether `b` is `a` with two neighbouring (different) letters swapped.
CREATE FUNCTION search_one_swap(a text, b text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
        SELECT length(a) = length(b) AND EXISTS (
            SELECT 1 FROM generate_series(1, length(a) - 1) i
             WHERE substr(a, i, 1) <> substr(a, i + 1, 1)
               AND overlay(a PLACING substr(a, i + 1, 1) || substr(a, i, 1) FROM i FOR 2) = b)
    $$;

-- The edits a query word of `n` characters may carry (Elasticsearch's AUTO:3,6).
CREATE FUNCTION search_fuzziness(n integer) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT CASE WHEN n < 3 THEN 0 WHEN n < 6 THEN 1 ELSE 2 END $$;

-- The edit-distance candidates of a query word: one range of this index per word.
CREATE INDEX search_vocabulary_edits
    ON search_vocabulary (tenant_id, left(word, 1), length(word)) INCLUDE (word, key);

-- As before (20261125000007), with one more way for a query word to match: a word of the
-- tenant within its fuzziness. The 50 words a query word stands for are chosen exact first,
-- then words it begins, then by edit distance, then by trigram similarity.
CREATE OR REPLACE FUNCTION client_search_ids(p_text text, p_tax_hash bytea)
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
    v_edits  integer;
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
        -- Only a word the tenant does not have is corrected (a real word asks for itself), and
        -- never digits; levenshtein takes at most 255 characters.
        v_edits := CASE WHEN v_token ~ '[0-9]' OR length(v_token) > 64
                          OR EXISTS (SELECT 1 FROM search_vocabulary v
                                      WHERE v.tenant_id = v_tenant AND v.word = v_token) THEN 0
                        ELSE search_fuzziness(length(v_token)) END;
        -- The words this one stands for; a swap is two edits to levenshtein, one here. Planned
        -- for these values each time (a generic plan would read the tenant's whole vocabulary),
        -- and without the edit-distance part when there are no edits to allow.
        EXECUTE 'SELECT ARRAY(
            SELECT m.word FROM (
                SELECT v.word, v.key, NULL::integer AS edits FROM search_vocabulary v
                 WHERE v.tenant_id = $1
                   AND ($3 <<% v.key OR (length($2) >= 4 AND v.key LIKE $4))'
            || CASE WHEN v_edits = 0 THEN '' ELSE '
                UNION ALL
                SELECT e.word, e.key, e.edits FROM (
                    SELECT v.word, v.key,
                           CASE WHEN d.lev = 2 AND search_one_swap($2, v.word) THEN 1
                                ELSE d.lev END AS edits
                      FROM search_vocabulary v,
                           LATERAL (SELECT levenshtein_less_equal($2, v.word, 2) AS lev) d
                     WHERE v.tenant_id = $1 AND left(v.word, 1) = left($2, 1)
                       AND length(v.word) BETWEEN length($2) - $5 AND length($2) + $5) e
                 WHERE e.edits <= $5' END || ') m
             GROUP BY m.word, m.key
             ORDER BY m.word = $2 DESC, m.key LIKE $4 DESC, min(m.edits) NULLS LAST,
                      strict_word_similarity($3, m.key) DESC, length(m.word), m.word
             LIMIT 50)'
           INTO v_words USING v_tenant, v_token, v_key, v_prefix, v_edits;
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
