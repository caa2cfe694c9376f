#!/usr/bin/env bash
# Refreshes .sqlx/ (the query data that lets every build compile without a database):
# migrates a scratch database, then compiles our crates against it with the macros saving
# what they learn (only the db crate holds query macros). Run it after changing a query or a
# migration, and commit .sqlx/.
set -euo pipefail
cd "$(dirname "$0")/.."
PGURL_ADMIN=${PGURL_ADMIN:-postgres://postgres@127.0.0.1:5432}
DB=crm_sqlx_prepare

psql "$PGURL_ADMIN/postgres" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
for f in migrations/*.sql; do
  psql "$PGURL_ADMIN/$DB" -q -v ON_ERROR_STOP=1 -f "$f" >/dev/null
done
# The job queue's schema, from the apalis-postgres package cargo resolved.
apalis_dir=$(cargo metadata --format-version 1 --locked |
  python3 -c 'import json,sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"]=="apalis-postgres").rsplit("/",1)[0])')
for f in "$apalis_dir"/migrations/*.sql; do
  psql "$PGURL_ADMIN/$DB" -q -v ON_ERROR_STOP=1 -f "$f" >/dev/null 2>&1
done

rm -rf .sqlx && mkdir .sqlx
cargo clean -p db >/dev/null 2>&1 || true
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$PWD/.sqlx" DATABASE_URL="$PGURL_ADMIN/$DB" \
  cargo check --workspace --all-targets --quiet
echo "wrote $(ls .sqlx | wc -l) query files to .sqlx/"
