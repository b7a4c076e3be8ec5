#!/bin/sh
# The upstream image's first-start contract, as far as docker-compose.yml relies on it.
set -eu
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    password="$(cat "${POSTGRES_PASSWORD_FILE:?}")"
    printf '%s' "$password" > /tmp/pwfile && chown postgres /tmp/pwfile
    su postgres -c "initdb -D '$PGDATA' -U '${POSTGRES_USER:?}' --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256" >/dev/null
    rm -f /tmp/pwfile
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    su postgres -c "pg_ctl -D '$PGDATA' -o '-c listen_addresses=' -w start" >/dev/null
    su postgres -c "createdb -U '$POSTGRES_USER' '${POSTGRES_DB:-$POSTGRES_USER}'" 2>/dev/null || true
    su postgres -c "pg_ctl -D '$PGDATA' -m fast -w stop" >/dev/null
fi
exec su postgres -c "exec postgres -D '$PGDATA' -c listen_addresses='*'"
