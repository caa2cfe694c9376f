#!/usr/bin/env bash
# Starts a mail catcher for local runs: maildev (pinned by tools/mail-catcher/package-lock.json)
# with SMTP on 127.0.0.1:1025 and its web inbox and REST API (/email) on 127.0.0.1:1080,
# in the background, logging to target/dev/mail-catcher.log. Does nothing when the SMTP port
# already answers. `scripts/mail-catcher.sh stop` stops the one this script started.
# Point a tenant's e-mail channel at host 127.0.0.1, port 1025, security "none".
set -euo pipefail
cd "$(dirname "$0")/.."

SMTP_PORT=${MAIL_CATCHER_SMTP_PORT:-1025}
WEB_PORT=${MAIL_CATCHER_WEB_PORT:-1080}
DIR=tools/mail-catcher
LOG=target/dev/mail-catcher.log
PID=target/dev/mail-catcher.pid
INBOX="http://127.0.0.1:$WEB_PORT/"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ "${1:-}" = stop ]; then
  if [ -f "$PID" ] && kill "$(cat "$PID")" 2>/dev/null; then echo "mail catcher stopped"; fi
  rm -f "$PID"
  exit 0
fi

if listening "$SMTP_PORT"; then
  echo "mail catcher: something already listens on 127.0.0.1:$SMTP_PORT; inbox at $INBOX"
  exit 0
fi

if [ ! -d "$DIR/node_modules" ] || [ "$DIR/package-lock.json" -nt "$DIR/node_modules" ]; then
  echo "installing maildev..."
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi

mkdir -p target/dev
# Started from a script, the background job ignores Ctrl-C: it outlives `scripts/dev.sh`.
nohup "$DIR/node_modules/.bin/maildev" --smtp "$SMTP_PORT" --ip 127.0.0.1 \
  --web "$WEB_PORT" --web-ip 127.0.0.1 >>"$LOG" 2>&1 &
echo $! >"$PID"

for _ in $(seq 1 75); do
  listening "$SMTP_PORT" && listening "$WEB_PORT" && break
  sleep 0.2
done
if ! { listening "$SMTP_PORT" && listening "$WEB_PORT"; }; then
  echo "mail-catcher.sh: maildev did not come up; the end of $LOG:" >&2
  tail -n 20 "$LOG" >&2
  exit 1
fi
echo "mail catcher: SMTP on 127.0.0.1:$SMTP_PORT, inbox at $INBOX (log: $LOG)"
