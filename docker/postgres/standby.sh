#!/bin/bash
# Entry point of the postgres-standby service (docker-compose.yml, profile
# "standby"): on its first start, copy the primary with pg_basebackup through
# the replication slot `reguarantee_standby` (created when missing) and
# write standby.signal and primary_conninfo (-R; application_name=standby1,
# the name the primary's synchronous_standby_names refers to); then run
# postgres as a hot standby streaming from the primary.
# Runs as the postgres user; PGPASSWORD is the tryton role's password.
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}"
PRIMARY=${POSTGRES_PRIMARY_HOST:-postgres}
NAME=${POSTGRES_STANDBY_NAME:-standby1}
SLOT=${POSTGRES_STANDBY_SLOT:-reguarantee_standby}
USER=${POSTGRES_USER:-tryton}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -q -h "$PRIMARY" -U "$USER" -d postgres; do
        echo "waiting for the primary $PRIMARY" >&2
        sleep 2
    done
    psql -h "$PRIMARY" -U "$USER" -d postgres -v ON_ERROR_STOP=1 -q -c \
        "SELECT pg_create_physical_replication_slot('$SLOT')
         WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots
             WHERE slot_name = '$SLOT')"
    pg_basebackup -D "$PGDATA" -R -X stream -S "$SLOT" -P \
        -d "host=$PRIMARY user=$USER application_name=$NAME"
    chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on "$@"
