#!/usr/bin/env bash
# Runs the product on this machine: Postgres and Redis (installed/started when missing),
# browser assets, the `crm` database, migrations, the demo tenant, and API + worker on
# localhost (the console at http://127.0.0.1:8080/, API docs at /docs). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
scripts/assets.sh
psql "postgres://postgres@127.0.0.1:5432/postgres" -qAtc "SELECT 1 FROM pg_database WHERE datname = 'crm'" | grep -q 1 ||
  psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "CREATE DATABASE crm"
cargo build -p crm
export DATABASE_URL=${DATABASE_URL:-postgres://crm_app@127.0.0.1:5432/crm}
export CRM_MIGRATE_DATABASE_URL=${CRM_MIGRATE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/crm}
export CRM_LOG_FORMAT=${CRM_LOG_FORMAT:-pretty}
exec target/debug/crm dev
