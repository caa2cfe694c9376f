#!/usr/bin/env bash
# Proves that the OpenAPI document is a contract a client generator can trust: serves the real
# `crm` on a fresh database, validates the document it publishes (openapi-spec-validator), then
# fuzzes every operation with Schemathesis (all checks) as a signed-in tenant owner. Fails if
# either finds anything. Part of scripts/test.sh; Postgres and Redis must be up
# (scripts/services.sh). Tools are pinned and cached in target/contract-venv.
#
#   CONTRACT_MAX_EXAMPLES  test cases per operation and phase (default 50)
#   CONTRACT_SEED          Schemathesis seed, to replay a run (default fixed)
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VALIDATOR_VERSION=0.9.0
MAX_EXAMPLES=${CONTRACT_MAX_EXAMPLES:-50}
SEED=${CONTRACT_SEED:-13}
PG=postgres://postgres@127.0.0.1:5432
VENV=target/contract-venv
OUT=target/contract
started=$(date +%s)

pinned="$VENV/pinned-$SCHEMATHESIS_VERSION-$VALIDATOR_VERSION"
if [ ! -e "$pinned" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$VALIDATOR_VERSION"
  touch "$pinned"
fi

cargo build -q -p crm

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

db="crm_contract_$$"
rm -rf "$OUT" && mkdir -p "$OUT"
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
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
export CRM_SHUTDOWN_DELAY=0
export CRM_ACCESS_TOKEN_TTL_SECS=3600
# Sign-in limits are counted in Redis by client address: every test before this one and the
# fuzzer itself sign in from 127.0.0.1, which would leave this script's own sign-in refused.
export CRM_LOGIN_LIMIT_PER_IP=1000000
export CRM_LOG_FORMAT=json
export CRM_LOG=${CRM_LOG:-warn}

target/debug/crm migrate
password=quokka-lantern-ferry-contract
target/debug/crm tenant create --slug contract --name "Contract Test" \
  --admin-email owner@contract.example --admin-password "$password" >/dev/null
target/debug/crm serve 2>"$OUT/server.log" &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

CONTRACT_BEARER_TOKEN=$(curl -fsS "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"tenant\":\"contract\",\"email\":\"owner@contract.example\",\"password\":\"$password\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
export CONTRACT_BEARER_TOKEN
curl -fsS "$base/api/v1/openapi.json" -o "$OUT/openapi.json"

echo "api-contract: validating the document"
"$VENV/bin/openapi-spec-validator" "$OUT/openapi.json"

echo "api-contract: fuzzing $base (max $MAX_EXAMPLES examples per operation, seed $SEED)"
# One worker: Hypothesis compiles code at run time, and CPython 3.11 (the machine's only
# Python) shares the AST constructor's recursion counter between threads (CPython gh-106905),
# so two worker threads now and then stop the run with "SystemError: AST constructor
# recursion depth mismatch" while every check passes.
"$VENV/bin/schemathesis" --config-file scripts/api-contract.toml run "$OUT/openapi.json" \
  --url "$base" \
  --checks all \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers 1 \
  --request-timeout 30 \
  --no-color \
  --report junit,ndjson --report-dir "$OUT"

echo "api-contract: passed in $(($(date +%s) - started)) s"
