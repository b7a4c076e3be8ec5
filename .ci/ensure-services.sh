#!/usr/bin/env bash
# Make sure PostgreSQL, Redis and RabbitMQ answer on 127.0.0.1, starting each one that is
# installed but stopped. Tests talk to these real services; nothing is mocked.
set -uo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # port, seconds
  local i
  for ((i = 0; i < $2 * 4; i++)); do answers "$1" && return 0; sleep 0.25; done
  return 1
}

failed=0

if answers 5432; then
  echo "PostgreSQL answers on 5432"
elif command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "Starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_for 5432 30 || { echo "PostgreSQL did not start"; failed=1; }
else
  echo "PostgreSQL is not installed: apt-get install postgresql (trust auth for 127.0.0.1)"; failed=1
fi

if answers 6379; then
  echo "Redis answers on 6379"
elif command -v redis-server >/dev/null; then
  echo "Starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for 6379 15 || { echo "Redis did not start"; failed=1; }
else
  echo "Redis is not installed: apt-get install redis-server"; failed=1
fi

if answers 5672; then
  echo "RabbitMQ answers on 5672"
elif command -v rabbitmq-server >/dev/null; then
  echo "Starting RabbitMQ"
  rabbitmq-server -detached
  # It needs a few seconds before await_startup can even reach it.
  for _ in $(seq 1 30); do
    rabbitmqctl await_startup --timeout 10 >/dev/null 2>&1 && break
    sleep 2
  done
  wait_for 5672 30 || { echo "RabbitMQ did not start"; failed=1; }
else
  echo "RabbitMQ is not installed: apt-get install rabbitmq-server"; failed=1
fi

# Tools the tests run: promtool and prometheus, amtool, nginx, pgbouncer (Debian packages).
missing=()
command -v nginx >/dev/null || missing+=(nginx)
command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)
command -v amtool >/dev/null || missing+=(prometheus-alertmanager)
# tests/scaling/test_pgbouncer.py and bench/rush.py run a real PgBouncer.
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
# The report download page's script is run by the tests as a browser would.
command -v node >/dev/null || missing+=(nodejs)
# tests/browser: axe-core comes from the npm registry (npm), the browser is Debian's Chromium
# driven by Playwright (never a browser download, which fails here).
command -v npm >/dev/null || missing+=(npm)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing ${missing[*]}"
    # policy-rc.d: install the binaries, start no daemon.
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
      made_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; } \
      || { echo "Could not install ${missing[*]}"; failed=1; }
    [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  else
    echo "Missing ${missing[*]}: apt-get install ${missing[*]}"; failed=1
  fi
fi

exit "$failed"
