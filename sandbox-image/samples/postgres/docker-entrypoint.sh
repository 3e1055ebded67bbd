#!/bin/sh
# samples/postgres: the entrypoint of the official postgres image, as Testcontainers' modules use
# it, for Debian's PostgreSQL: on first start initdb as $POSTGRES_USER (UTF-8), a temporary
# socket-only server creates $POSTGRES_DB and runs /docker-entrypoint-initdb.d/*, then the real
# server starts, listening on all addresses with password authentication. Every server line goes
# to stderr, so "database system is ready to accept connections" appears twice on a first start.
set -eu

if [ "${1#-}" != "$1" ]; then
    set -- postgres "$@"
fi

if [ "$1" != postgres ]; then
    exec "$@"
fi

PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /run/postgresql
    chown postgres:postgres "$PGDATA" /run/postgresql
    chmod 700 "$PGDATA"
    chmod 3777 /run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

log() { echo "$0: $*" >&2; }

initdb_once() {
    [ -s "$PGDATA/PG_VERSION" ] && return 0
    POSTGRES_USER=${POSTGRES_USER:-postgres}
    POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
    auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
        log "error: the database is uninitialized and POSTGRES_PASSWORD is not set."
        log "Set POSTGRES_PASSWORD to a non-empty value for the superuser, or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password."
        exit 1
    fi

    pwfile=$(mktemp)
    printf '%s\n' "${POSTGRES_PASSWORD:-}" > "$pwfile"
    # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options, as in the official image
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
        ${POSTGRES_INITDB_ARGS:-} >&2
    rm -f "$pwfile"
    printf '\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"

    # the temporary server: the server options of the command line, no TCP listener
    shift
    PGUSER=$POSTGRES_USER PGPASSWORD=${POSTGRES_PASSWORD:-} \
        pg_ctl -D "$PGDATA" -o "$* -c listen_addresses='' -p 5432" -w start >&2

    psql_run() {
        PGPASSWORD=${POSTGRES_PASSWORD:-} psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password \
            --no-psqlrc "$@"
    }
    if [ "$POSTGRES_DB" != postgres ]; then
        # psql replaces :'db' and :"db" in what it reads, not in -c
        exists=$(psql_run --dbname postgres -tA --set db="$POSTGRES_DB" <<'SQL'
SELECT 1 FROM pg_database WHERE datname = :'db';
SQL
        )
        [ "$exists" = 1 ] || psql_run --dbname postgres --set db="$POSTGRES_DB" <<'SQL' >&2
CREATE DATABASE :"db";
SQL
    fi

    for f in /docker-entrypoint-initdb.d/*; do
        [ -e "$f" ] || continue
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then
                    log "running $f"
                    "$f"
                else
                    log "sourcing $f"
                    # shellcheck disable=SC1090 # the user's script, known only at run time
                    . "$f"
                fi
                ;;
            *.sql) log "running $f"; psql_run --dbname "$POSTGRES_DB" -f "$f" >&2 ;;
            *.sql.gz) log "running $f"; gzip -dc "$f" | psql_run --dbname "$POSTGRES_DB" >&2 ;;
            *) log "ignoring $f" ;;
        esac
    done

    pg_ctl -D "$PGDATA" -m fast -w stop >&2
    log "PostgreSQL init process complete; ready for start up."
}

initdb_once "$@"
exec "$@"
