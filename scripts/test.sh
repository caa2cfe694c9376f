#!/usr/bin/env bash
# Runs every test against real Postgres and Redis (installed/started when missing).
# Each test gets a fresh database copied from a migrated template; they are dropped here.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
scripts/assets.sh
scripts/validate-deploy.sh
scripts/browser-deps.sh  # also pdftotext, which the proposal PDF tests of the next step use

drop_test_databases() {
  psql "postgres://postgres@127.0.0.1:5432/postgres" -qAtc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'crm\_t\_%'" |
    while read -r db; do
      psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true
    done
}
drop_test_databases
trap drop_test_databases EXIT

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi

scripts/browser-test.sh  # the web console in Debian's chromium (tests/browser)

# The OpenAPI document as a contract: validated, then fuzzed against the real server.
scripts/api-contract.sh
