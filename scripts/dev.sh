#!/usr/bin/env bash
# Runs the product on this machine: Postgres and Redis (installed/started when missing),
# browser assets, the mail catcher (scripts/mail-catcher.sh: the demo tenant's e-mail channel
# sends to it, its inbox at http://127.0.0.1:1080/), the `crm` database, migrations, the demo
# tenant, and API + worker on localhost (the console at http://127.0.0.1:8080/, API docs at
# /docs). Ctrl-C stops the product; the mail catcher keeps running (`scripts/mail-catcher.sh
# stop` stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
scripts/assets.sh
scripts/mail-catcher.sh
psql "postgres://postgres@127.0.0.1:5432/postgres" -qAtc "SELECT 1 FROM pg_database WHERE datname = 'crm'" | grep -q 1 ||
  psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "CREATE DATABASE crm"
cargo build -p crm
export DATABASE_URL=${DATABASE_URL:-postgres://crm_app@127.0.0.1:5432/crm}
export CRM_MIGRATE_DATABASE_URL=${CRM_MIGRATE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/crm}
export CRM_LOG_FORMAT=${CRM_LOG_FORMAT:-pretty}
echo "E-mails the demo tenant sends arrive in the mail catcher's inbox: http://127.0.0.1:${MAIL_CATCHER_WEB_PORT:-1080}/"
exec target/debug/crm dev
