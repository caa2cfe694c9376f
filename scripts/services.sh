#!/usr/bin/env bash
# Makes sure Postgres (127.0.0.1:5432, superuser `postgres` reachable without a password) and
# Redis (127.0.0.1:6379) are running: starts them if installed, installs them (Debian/Ubuntu,
# as root or with sudo) if missing. Local development and CI only.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

pg_up() { psql "postgres://postgres@127.0.0.1:5432/postgres" -qAtc 'select 1' >/dev/null 2>&1; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }

apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "services.sh: please install $* yourself (no apt-get here)" >&2
    exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! pg_up; then
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "installing PostgreSQL..."
    apt_install postgresql postgresql-client
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  # A development database: the loopback address is trusted, as on the CI machines.
  if ! $SUDO grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null ||
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  for _ in $(seq 1 50); do pg_up && break; sleep 0.2; done
  pg_up || { echo "services.sh: PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
fi

if ! command -v redis-server >/dev/null; then
  echo "installing Redis..."
  apt_install redis-server
fi
if ! redis_up; then
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/crm-dev.log
  for _ in $(seq 1 50); do redis_up && break; sleep 0.2; done
  redis_up || { echo "services.sh: Redis did not come up on 127.0.0.1:6379" >&2; exit 1; }
fi
echo "postgres and redis are up"
