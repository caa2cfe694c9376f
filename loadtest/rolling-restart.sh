#!/usr/bin/env bash
# "Several pods on one machine": two `crm serve` and two `crm worker` behind nginx, against one
# Postgres and Redis, under closed-loop load (`loadtest rolling-restart`), while each api and then
# each worker is restarted in turn with SIGTERM. The load test counts failed requests and checks
# in Postgres that no job was lost or run twice; this script exits non-zero when a goal is missed.
#
#   loadtest/rolling-restart.sh [flags of `loadtest rolling-restart`, e.g. --concurrency 16]
#
# Results: loadtest/results/rolling-restart.{json,md}; logs of the last run: target/rolling-restart/.
# Settings (environment): ROLLING_DB (crm_rolling, dropped and recreated), ROLLING_PORT_BASE
# (18480: nginx; +1/+2 the apis; +11/+12 their metrics; +21/+22 the workers' metrics),
# ROLLING_BASELINE_SECS (10), ROLLING_PAUSE_SECS (5), ROLLING_RESTART_WORKERS (1),
# ROLLING_ROUNDS (1: times through the restart sequence), ROLLING_DB_POOL (10),
# ROLLING_NO_BUILD (unset).
set -euo pipefail
cd "$(dirname "$0")/.."

DB=${ROLLING_DB:-crm_rolling}
BASE=${ROLLING_PORT_BASE:-18480}
BASELINE_SECS=${ROLLING_BASELINE_SECS:-10}
PAUSE_SECS=${ROLLING_PAUSE_SECS:-5}
RESTART_WORKERS=${ROLLING_RESTART_WORKERS:-1}
ROUNDS=${ROLLING_ROUNDS:-1}
GRACE=20
DELAY=5
PG=postgres://postgres@127.0.0.1:5432
TARGET=${CARGO_TARGET_DIR:-target}
RUN=$PWD/$TARGET/rolling-restart
LB_PORT=$BASE
declare -A PORT=([api1]=$((BASE + 1)) [api2]=$((BASE + 2)))
declare -A METRICS=([api1]=$((BASE + 11)) [api2]=$((BASE + 12)) [worker1]=$((BASE + 21)) [worker2]=$((BASE + 22)))
declare -A PIDS=()
declare -A GENERATION=()
NGINX_PID=""
LOAD_PID=""

# The scratch database is dropped every run: never let a setting point it at real data.
if ! [[ $DB =~ ^crm_rolling[a-z0-9_]*$ ]]; then
  echo "rolling-restart: ROLLING_DB must start with crm_rolling (got '$DB')" >&2
  exit 2
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "rolling-restart: please install $* yourself (no apt-get here)" >&2
    exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

now_ms() { date +%s%3N; }
# One timeline shared with the load test: unix ms, process, event, detail.
event() { printf '%s\t%s\t%s\t%s\n' "$(now_ms)" "$1" "$2" "${3:-}" >>"$RUN/events.tsv"; }
running() { [[ -r /proc/$1/stat ]] && [[ $(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) != Z ]]; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
answers() { curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null; }

stop_pid() { # pid: SIGTERM, then SIGKILL after the grace (shutdown of the run, not a test)
  local pid=$1 deadline
  running "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$(($(now_ms) + (GRACE + 5) * 1000))
  while running "$pid" && (($(now_ms) < deadline)); do sleep 0.1; done
  if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
}

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  local pids=("${PIDS[@]}" "$NGINX_PID" "$LOAD_PID")
  for pid in "${pids[@]}"; do
    [ -n "$pid" ] && stop_pid "$pid" &
  done
  wait 2>/dev/null || true
  if [ "$code" != 0 ]; then
    echo "rolling-restart: FAILED (exit $code); logs in $RUN" >&2
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scripts/services.sh
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || [ ! -x /usr/sbin/nginx ] || NGINX=/usr/sbin/nginx
if [ -z "$NGINX" ]; then
  echo "installing nginx..."
  apt_install nginx-light || apt_install nginx
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
command -v openssl >/dev/null || apt_install openssl
command -v curl >/dev/null || apt_install curl

for port in "$LB_PORT" "${PORT[@]}" "${METRICS[@]}"; do
  if port_busy "$port"; then
    echo "rolling-restart: port $port is in use (set ROLLING_PORT_BASE)" >&2
    exit 1
  fi
done

if [ -z "${ROLLING_NO_BUILD:-}" ]; then
  cargo build --release -p crm -p loadtest
fi
CRM=$PWD/$TARGET/release/crm
LOADTEST=$PWD/$TARGET/release/loadtest

rm -rf "$RUN"
mkdir -p "$RUN/logs" "$RUN/pids" "$RUN/nginx/tmp"
: >"$RUN/events.tsv"

PGOPTIONS="-c client_min_messages=warning" psql "$PG/postgres" -qAt -v ON_ERROR_STOP=1 \
  -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"

# One signing key and one master key shared by every process, as a Secret would be in a cluster.
openssl genpkey -algorithm ed25519 -out "$RUN/jwt.pem" 2>/dev/null
export DATABASE_URL=postgres://crm_app@127.0.0.1:5432/$DB
export CRM_MIGRATE_DATABASE_URL=$PG/$DB
export REDIS_URL=redis://127.0.0.1:6379
export CRM_JWT_PRIVATE_KEY_FILE=$RUN/jwt.pem
CRM_MASTER_KEYS="rolling:$(openssl rand -base64 32)"
export CRM_MASTER_KEYS
export CRM_ACCESS_TOKEN_TTL_SECS=3600
export CRM_TRUST_FORWARDED_FOR=true
export CRM_DB_MAX_CONNECTIONS=${ROLLING_DB_POOL:-10}
export CRM_SHUTDOWN_GRACE=$GRACE
export CRM_SHUTDOWN_DELAY=$DELAY
export CRM_LOG_FORMAT=json
export CRM_LOG=${CRM_LOG:-info,sqlx=warn}

"$CRM" migrate >>"$RUN/logs/setup.log" 2>&1
TENANT=rolling
EMAIL=owner@rolling.example
PASSWORD=orchid-lantern-ferry
"$CRM" tenant create --slug "$TENANT" --name "Rolling Restart S.L." \
  --admin-email "$EMAIL" --admin-password "$PASSWORD" >>"$RUN/logs/setup.log" 2>&1

start() { # api1|api2|worker1|worker2
  local name=$1 gen=${GENERATION[$1]:-0}
  GENERATION[$name]=$((gen + 1))
  case $name in
    api*)
      CRM_HTTP_ADDR=127.0.0.1:${PORT[$name]} CRM_METRICS_ADDR=127.0.0.1:${METRICS[$name]} \
        "$CRM" serve >>"$RUN/logs/$name.log" 2>&1 &
      ;;
    worker*)
      CRM_WORKER_METRICS_ADDR=127.0.0.1:${METRICS[$name]} CRM_WORKER_ID="$name-g$gen" \
        "$CRM" worker >>"$RUN/logs/$name.log" 2>&1 &
      ;;
  esac
  PIDS[$name]=$!
  echo "${PIDS[$name]}" >"$RUN/pids/$name"
  event "$name" started "pid=${PIDS[$name]}"
}

wait_ready() { # name: /readyz of an api, /metrics of a worker, within 60 s
  local name=$1 url deadline
  case $name in
    api*) url=http://127.0.0.1:${PORT[$name]}/readyz ;;
    worker*) url=http://127.0.0.1:${METRICS[$name]}/metrics ;;
  esac
  deadline=$(($(now_ms) + 60000))
  until answers "$url"; do
    if ! running "${PIDS[$name]}" || (($(now_ms) > deadline)); then
      echo "rolling-restart: $name did not become ready; see $RUN/logs/$name.log" >&2
      exit 1
    fi
    sleep 0.05
  done
  event "$name" ready
}

restart() { # name: SIGTERM, wait for the exit, start again on the same port, wait until ready
  local name=$1 pid=${PIDS[$1]} code=0 deadline
  event "$name" sigterm "pid=$pid"
  kill -TERM "$pid"
  deadline=$(($(now_ms) + (GRACE + 10) * 1000))
  while running "$pid"; do
    if (($(now_ms) > deadline)); then
      kill -KILL "$pid"
      event "$name" sigkill "pid=$pid"
      deadline=$((deadline + 3600000))
    fi
    sleep 0.02
  done
  wait "$pid" || code=$?
  event "$name" exited "code=$code"
  start "$name"
  wait_ready "$name"
}

for name in api1 api2 worker1 worker2; do start "$name"; done
for name in api1 api2 worker1 worker2; do wait_ready "$name"; done

# nginx as a user-level process: its own prefix, pid, logs and temp paths, in the foreground.
cat >"$RUN/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $RUN/nginx/nginx.pid;
error_log $RUN/nginx/error.log info;
events { worker_connections 4096; }
http {
  log_format lb '\$msec \$request_method \$uri \$status \$request_time '
                'upstream=\$upstream_addr upstream_status=\$upstream_status';
  access_log $RUN/nginx/access.log lb buffer=256k flush=1s;
  client_body_temp_path $RUN/nginx/tmp/body;
  proxy_temp_path $RUN/nginx/tmp/proxy;
  fastcgi_temp_path $RUN/nginx/tmp/fastcgi;
  uwsgi_temp_path $RUN/nginx/tmp/uwsgi;
  scgi_temp_path $RUN/nginx/tmp/scgi;
  client_max_body_size 64m;
  client_body_buffer_size 1m;

  upstream crm_api {
    # Shared by all nginx workers, so a failed peer is skipped by every one of them.
    zone crm_api 64k;
    server 127.0.0.1:${PORT[api1]} max_fails=1 fail_timeout=2s;
    server 127.0.0.1:${PORT[api2]} max_fails=1 fail_timeout=2s;
    keepalive 64;
    keepalive_timeout 30s;
  }

  # When an api closes its listener, it also closes its idle keep-alive connections; a request
  # nginx wrote into one at that instant is never read, and nginx sees a reset. nginx retries
  # that on the other api for idempotent methods, but by default never for a POST it has sent.
  # A POST carrying an Idempotency-Key is safe to send again (the API replays the first answer,
  # or answers 409 while it still runs), so those are retried too; other POSTs and PATCHes not.
  map "\$request_method:\$http_idempotency_key" \$replay_unsafe {
    default 0;
    "~^POST:."  0;
    "~^(POST|PATCH|LOCK):" 1;
  }

  server {
    listen 127.0.0.1:$LB_PORT;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host \$host;
    proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;

    location / {
      error_page 418 = @no_replay;
      if (\$replay_unsafe) { return 418; }
      proxy_pass http://crm_api;
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
    }
    location @no_replay {
      proxy_pass http://crm_api;
      proxy_next_upstream error timeout http_502 http_503;
    }
  }
}
EOF
"$NGINX" -p "$RUN/nginx/" -c "$RUN/nginx/nginx.conf" -e "$RUN/nginx/error.log" -g 'daemon off;' \
  >>"$RUN/logs/nginx.log" 2>&1 &
NGINX_PID=$!
deadline=$(($(now_ms) + 10000))
until answers "http://127.0.0.1:$LB_PORT/readyz"; do
  if ! running "$NGINX_PID" || (($(now_ms) > deadline)); then
    echo "rolling-restart: nginx did not start; see $RUN/nginx/error.log" >&2
    exit 1
  fi
  sleep 0.05
done
echo "nginx on 127.0.0.1:$LB_PORT -> apis on ${PORT[api1]}, ${PORT[api2]}; logs in $RUN"

"$LOADTEST" rolling-restart \
  --lb "127.0.0.1:$LB_PORT" --database "$DB" \
  --tenant "$TENANT" --email "$EMAIL" --password "$PASSWORD" \
  --events "$RUN/events.tsv" --pid-dir "$RUN/pids" --shutdown-grace "$GRACE" "$@" &
LOAD_PID=$!

deadline=$(($(now_ms) + 60000))
until grep -q $'\tload\tstart' "$RUN/events.tsv"; do
  if ! running "$LOAD_PID" || (($(now_ms) > deadline)); then
    echo "rolling-restart: the load test did not start" >&2
    wait "$LOAD_PID" || true
    exit 1
  fi
  sleep 0.1
done

sleep "$BASELINE_SECS"
order=(api1 api2)
if [ "$RESTART_WORKERS" = 1 ]; then order+=(worker1 worker2); fi
for round in $(seq 1 "$ROUNDS"); do
  for name in "${order[@]}"; do
    echo "round $round/$ROUNDS: restarting $name (SIGTERM)"
    restart "$name"
    sleep "$PAUSE_SECS"
  done
done
event script restarts-done

code=0
wait "$LOAD_PID" || code=$?
LOAD_PID=""
exit "$code"
