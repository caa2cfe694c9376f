#!/usr/bin/env bash
# Typo search in the database alone, without HTTP: how many one-typo words `client_search_ids`
# finds, and how long it takes for them and for the words they came from.
#
# Usage: loadtest/search-in-db.sh [database (crm_large)] [tenant slug (big)] [terms (300)]
#
# Takes one alphabetic word of six letters or more from each of the first clients of the tenant
# (in a fixed order), makes one typo in it as clients-bench does (a letter dropped, swapped with
# the next or replaced, never the first; fixed seed), and times each call in a PL/pgSQL loop as
# `crm_app` with the tenant set. Prints found / p50 / p95 / max per kind of term.
set -euo pipefail
db=${1:-crm_large}
tenant_slug=${2:-big}
count=${3:-300}
psql=(psql -h 127.0.0.1 -U postgres -X -q -v ON_ERROR_STOP=1 -d "$db")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tenant=$("${psql[@]}" -At -c "SELECT id FROM tenants WHERE slug = '$tenant_slug'")
[ -n "$tenant" ] || { echo "no tenant $tenant_slug in $db" >&2; exit 1; }
"${psql[@]}" -At -c "SELECT search_text FROM clients
                      WHERE tenant_id = '$tenant' AND deleted_at IS NULL
                      ORDER BY md5(id::text) LIMIT $((count * 2))" >"$work/texts"

python3 - "$work/texts" "$count" >"$work/terms.tsv" <<'EOF'
import random, sys
random.seed(7)
kinds = ["dropped", "swapped", "replaced"]
out = []
for line in open(sys.argv[1]):
    words = [w for w in line.split() if len(w) >= 6 and w.isalpha()]
    if not words:
        continue
    word = list(random.choice(words))
    typo = word[:]
    at = random.randrange(1, len(word) - 1)
    kind = random.randrange(3)
    if kind == 0:
        del typo[at]
    elif kind == 1:
        typo[at], typo[at + 1] = typo[at + 1], typo[at]
    else:
        c = random.choice("aeioulrnst")
        typo[at] = "x" if typo[at] == c else c
    if typo == word:
        del typo[at]
        kind = 0
    out.append(("".join(typo), "".join(word), kinds[kind]))
    if len(out) == int(sys.argv[2]):
        break
for t in out:
    print("\t".join(t))
EOF

"${psql[@]}" <<EOF
CREATE TEMP TABLE terms (term text, word text, kind text);
\copy terms FROM '$work/terms.tsv'
INSERT INTO terms SELECT DISTINCT word, word, 'the word itself' FROM terms;
GRANT SELECT ON terms TO crm_app;
SET ROLE crm_app;
SELECT set_config('app.tenant_id', '$tenant', false) \g /dev/null
CREATE TEMP TABLE results (kind text, ms float8, found boolean);
DO \$\$
DECLARE r record; t0 timestamptz; ids uuid[]; ms float8;
BEGIN
    FOR r IN SELECT * FROM terms LOOP
        t0 := clock_timestamp();
        ids := ARRAY(SELECT client_search_ids(r.term, NULL));
        ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
        INSERT INTO results
        SELECT r.kind, ms, EXISTS (SELECT 1 FROM clients c
                                    WHERE c.id = ANY(ids) AND r.word = ANY(search_words(c.search_text)));
    END LOOP;
END \$\$;
\pset footer off
SELECT terms, n AS count, found AS found_the_word, p50 AS p50_ms, p95 AS p95_ms, top AS max_ms
  FROM (SELECT kind AS terms, kind = 'the word itself' AS last, count(*) AS n,
               count(*) FILTER (WHERE found) AS found,
               round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p50,
               round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p95,
               round(max(ms)::numeric, 2) AS top
          FROM results GROUP BY kind
        UNION ALL
        SELECT 'all typos', false, count(*), count(*) FILTER (WHERE found),
               round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2),
               round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 2),
               round(max(ms)::numeric, 2)
          FROM results WHERE kind <> 'the word itself') t
 ORDER BY last, terms = 'all typos', terms;
EOF
