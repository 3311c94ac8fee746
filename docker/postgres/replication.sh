#!/bin/bash
# Run once by the postgres image when it initialises its data
# (/docker-entrypoint-initdb.d): let the `tryton` role connect for
# replication (the synchronous standby, service postgres-standby).  An
# existing data volume needs the same line added to its pg_hba.conf by hand,
# then `SELECT pg_reload_conf()`.
set -euo pipefail
echo "host replication ${POSTGRES_USER:-tryton} all scram-sha-256" \
    >> "$PGDATA/pg_hba.conf"
