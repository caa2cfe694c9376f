#!/usr/bin/env bash
# End-to-end tests of the web console in a real browser: serves the real `crm` on a fresh,
# migrated database with the demo tenant, then runs tests/browser/specs/*.test.mjs with Node's
# own test runner (playwright-core driving Debian's chromium, axe-core for accessibility).
# Part of scripts/test.sh; Postgres and Redis must be up (scripts/services.sh).
# Screenshots, the JUnit report and the server log go to target/browser/.
#
#   BROWSER_SPECS   spec files to run (default all of tests/browser/specs/*.test.mjs)
set -euo pipefail
cd "$(dirname "$0")/.."

PG=postgres://postgres@127.0.0.1:5432
OUT=$PWD/target/browser
started=$(date +%s)

scripts/browser-deps.sh
scripts/assets.sh >/dev/null
cargo build -q -p crm

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

db="crm_browser_$$"
rm -rf "$OUT" && mkdir -p "$OUT"
server=""
worker=""
cleanup() {
  for pid in $server $worker; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
}
trap cleanup EXIT

psql "$PG/postgres" -qc "CREATE DATABASE $db"
port=$(free_port)
export DATABASE_URL="postgres://crm_app@127.0.0.1:5432/$db"
export CRM_MIGRATE_DATABASE_URL="$PG/$db"
CRM_JWT_PRIVATE_KEY=$(openssl genpkey -algorithm ed25519)
export CRM_JWT_PRIVATE_KEY
export CRM_MASTER_KEYS="k1:$(openssl rand -base64 32)"
export CRM_HTTP_ADDR="127.0.0.1:$port"
export CRM_METRICS_ADDR="127.0.0.1:$(free_port)"
export CRM_ASSETS_DIR="$PWD/assets/dist"
export CRM_SHUTDOWN_DELAY=0
# The browser reaches the server over plain http://127.0.0.1: the console's cookies go
# without `Secure` here (crates/crm/src/settings.rs).
export CRM_SECURE_COOKIES=false
# Sign-in limits are counted in Redis by client address and account: the tests before this
# one sign in from 127.0.0.1 too, and the specs sign the demo owner in several times.
export CRM_LOGIN_LIMIT_PER_IP=1000000
export CRM_LOGIN_LIMIT_PER_ACCOUNT=1000
export CRM_LOG_FORMAT=json
export CRM_LOG=${CRM_LOG:-warn}

# Google Calendar registered with a fake of its OAuth and Calendar endpoints, which the
# calendar connections spec serves on this port (a user connects and disconnects for real).
fake_google_port=$(free_port)
fake_google="http://127.0.0.1:$fake_google_port"
export CRM_GOOGLE_CLIENT_ID=browser-test CRM_GOOGLE_CLIENT_SECRET=browser-secret
export CRM_GOOGLE_AUTHORIZE_URL="$fake_google/authorize" CRM_GOOGLE_TOKEN_URL="$fake_google/token"
export CRM_GOOGLE_REVOKE_URL="$fake_google/revoke" CRM_GOOGLE_CALENDAR_BASE_URL="$fake_google"

target/debug/crm migrate
target/debug/crm seed-demo >/dev/null
target/debug/crm serve 2>"$OUT/server.log" &
server=$!
# The worker runs what the console queues (CSV imports, messages); the communications spec's
# SMTP stub listens on 127.0.0.1, an address tenants' channels may not use elsewhere.
CRM_WORKER_METRICS_ADDR="127.0.0.1:$(free_port)" CRM_ALLOW_INTERNAL_SMTP=true \
  target/debug/crm worker 2>"$OUT/worker.log" &
worker=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 150); do
  curl -fs "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
if ! curl -fs "$base/readyz" >/dev/null 2>&1; then
  echo "browser-test: the server did not become ready; its log:" >&2
  tail -n 50 "$OUT/server.log" >&2
  exit 1
fi

echo "browser-test: running the specs against $base"
cd tests/browser
status=0
# shellcheck disable=SC2086 # BROWSER_SPECS is a list of files
BASE_URL="$base" BROWSER_OUT_DIR="$OUT" FAKE_GOOGLE_PORT="$fake_google_port" node --test --test-timeout=120000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="$OUT/junit.xml" \
  ${BROWSER_SPECS:-specs/*.test.mjs} || status=$?

echo "browser-test: $([ "$status" = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - started)) s" \
  "(screenshots and junit.xml in target/browser/)"
exit "$status"
