#!/bin/sh
# edoburu/pgbouncer's start contract, as far as docker-compose.yml relies on it: DATABASE_URL
# names the server, database, user and password; LISTEN_PORT, POOL_MODE, AUTH_TYPE,
# DEFAULT_POOL_SIZE, MAX_CLIENT_CONN and IGNORE_STARTUP_PARAMETERS become pgbouncer.ini's
# settings; the user list holds the password in plain text for scram-sha-256 (PgBouncer
# reuses it for its own login to the server). Then it runs its arguments.
set -eu
dir="${PG_CONFIG_DIR:-/etc/pgbouncer}"  # as the upstream script names it; tests set it
url="${DATABASE_URL:?DATABASE_URL is required}"
rest="${url#*://}"
userinfo="${rest%@*}"
hostpart="${rest##*@}"
DB_USER="${userinfo%%:*}"
DB_PASSWORD="${userinfo#*:}"
hostport="${hostpart%%/*}"
DB_NAME="${hostpart#*/}"
DB_NAME="${DB_NAME%%\?*}"
DB_HOST="${hostport%%:*}"
case "$hostport" in *:*) DB_PORT="${hostport##*:}" ;; *) DB_PORT=5432 ;; esac
AUTH_TYPE="${AUTH_TYPE:-md5}"
if [ "$AUTH_TYPE" = "md5" ]; then
    secret="md5$(printf '%s%s' "$DB_PASSWORD" "$DB_USER" | md5sum | cut -d' ' -f1)"
else
    secret="$DB_PASSWORD"
fi
umask 077
printf '"%s" "%s"\n' "$DB_USER" "$secret" > "$dir/userlist.txt"
cat > "$dir/pgbouncer.ini" <<INI
[databases]
${DB_NAME:-*} = host=$DB_HOST port=$DB_PORT user=$DB_USER

[pgbouncer]
listen_addr = ${LISTEN_ADDR:-0.0.0.0}
listen_port = ${LISTEN_PORT:-5432}
unix_socket_dir =
auth_file = $dir/userlist.txt
auth_type = $AUTH_TYPE
pool_mode = ${POOL_MODE:-session}
max_client_conn = ${MAX_CLIENT_CONN:-100}
default_pool_size = ${DEFAULT_POOL_SIZE:-20}
ignore_startup_parameters = ${IGNORE_STARTUP_PARAMETERS:-extra_float_digits}
INI
echo "Starting $*..."
exec "$@"
