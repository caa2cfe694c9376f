#!/usr/bin/env bash
# The whole benchmark on the seeded large data set, in one command (about 15 minutes here after
# the build): seed-large when its database is missing, then clients-bench, working-day,
# escalation-bench, and deliver-bench, board-bench and proposal-bench (each on a scratch database
# of its own).
# Needs Postgres (trust auth for postgres and crm_app) and Redis on 127.0.0.1, and pgbench.
# Results: loadtest/results/{seed-large,clients-bench,working-day}.{json,md},
# loadtest/results/{escalation-bench,deliver-bench,board-bench,proposal-bench}/*.{json,md}
# (CRM_BENCH_OUT=<dir> writes them elsewhere; CRM_BENCH_DATABASE=<name> uses another database).
set -euo pipefail
cd "$(dirname "$0")/.."

db=${CRM_BENCH_DATABASE:-crm_large}
out=${CRM_BENCH_OUT:-loadtest/results}
psql=(psql -h 127.0.0.1 -U postgres -X -At)

# working-day holds 1,000 connections: its side of each plus pools needs file descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
  echo "the open-file limit is $(ulimit -n) (hard $(ulimit -Hn)); 4096 or more is needed" >&2
  exit 1
fi

cargo build --release -p loadtest -p crm
bin=target/release/loadtest

exists=$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'")
if [ "$exists" != 1 ]; then
  echo "== seed-large: $db is missing, loading it (a few minutes)"
  "$bin" seed-large --database "$db" --out "$out"
elif [ "$("${psql[@]}" -d "$db" -c 'SELECT 1 FROM loadtest_seed_info WHERE id = 1' 2>/dev/null)" != 1 ]; then
  echo "$db exists but was not seeded to the end; reload it with:" >&2
  echo "  $bin seed-large --database $db --drop" >&2
  exit 1
fi

status=0
echo "== clients-bench"
"$bin" clients-bench --database "$db" --out "$out" || status=$?
echo "== working-day"
"$bin" working-day --database "$db" --out "$out" || status=$?
echo "== escalation-bench"
"$bin" escalation-bench --database "$db" --out "$out/escalation-bench" || status=$?
echo "== deliver-bench"
"$bin" deliver-bench --out "$out/deliver-bench" || status=$?
echo "== board-bench"
"$bin" board-bench --out "$out/board-bench" || status=$?
echo "== proposal-bench"
"$bin" proposal-bench --out "$out/proposal-bench" || status=$?
exit "$status"
