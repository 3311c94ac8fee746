#!/usr/bin/env bash
# Run the demo (`make demo`, after `make install`):
#   1. create the SQLite database var/db/demo.sqlite with the reguarantee
#      modules, English and Chinese (zh_CN) when it is missing, or update
#      its modules when it exists;
#   2. load the demo data (scripts/demo_data.py: company, one user per role,
#      institutions, products, contracts in several states), idempotently;
#   3. (re)start the simulators of the National Fund (port 8101) and of the
#      customer management system (port 8102), docs/interfaces/, with
#      their tokens in var/demo-fund-token and var/demo-cms-token; the demo
#      data configures the endpoints (DEMO_FUND_URL, DEMO_CMS_URL, ...);
#   4. (re)start trytond (web client sao on http://127.0.0.1:8000/),
#      trytond-cron and the queue worker in the background: pid files in
#      var/run/, logs in var/log/;
#   5. print the address and the logins.
# Stop the servers with scripts/stop.sh (`make stop`).
#
# Environment:
#   DEMO_DB        database name (default demo)
#   DEMO_PORT      HTTP port (default 8000), DEMO_HOST (default 127.0.0.1)
#   DEMO_FUND_PORT, DEMO_CMS_PORT, DEMO_CREDIT_PORT, DEMO_CREDIT_BUREAU_PORT
#                  the simulators' ports (8101, 8102, 8104, 8105)
#   DEMO_MODULES   modules to activate (default: every modules/*/tryton.cfg)
#   SAO_ROOT       the web root of sao (default var/sao/web, built by
#                  scripts/install.sh: only the files sao loads)
#   TRYTOND_CONFIG configuration file (default trytond.conf when present)
set -euo pipefail
LOG_TAG=demo
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

VENV=$ROOT/.venv
VPY=$VENV/bin/python
DB=${DEMO_DB:-demo}
HOST=${DEMO_HOST:-127.0.0.1}
PORT=${DEMO_PORT:-8000}
URL="http://$HOST:$PORT/"
DB_DIR=$ROOT/var/db
SAO_ROOT=${SAO_ROOT:-$ROOT/var/sao/web}
RUN_DIR=$ROOT/var/run
LOG_DIR=$ROOT/var/log
PASSFILE=$ROOT/var/demo-admin-password
FUND_PORT=${DEMO_FUND_PORT:-8101}
CMS_PORT=${DEMO_CMS_PORT:-8102}
CREDIT_PORT=${DEMO_CREDIT_PORT:-8104}
BUREAU_PORT=${DEMO_CREDIT_BUREAU_PORT:-8105}
USERS_FILE=$ROOT/var/demo-users.txt

[ -x "$VPY" ] || die "$VPY is missing: run \`make install\` first"
[ -f "$SAO_ROOT/index.html" ] \
    || die "sao is missing in $SAO_ROOT: run \`make install\` first"
"$VPY" -c 'import trytond.modules.reguarantee_base' 2>/dev/null \
    || die "the reguarantee modules are not installed: run \`make install\`"

mkdir -p "$DB_DIR" "$RUN_DIR" "$LOG_DIR"

# The project's configuration, then the demo's database, address and web
# client in a second file: a file loaded later wins (environment variables
# would not override values of trytond.conf).
DEMO_CONF=$ROOT/var/demo.conf
cat > "$DEMO_CONF" <<EOF
# Written by scripts/demo.sh, loaded after trytond.conf
[database]
uri = sqlite://
path = $DB_DIR

[web]
listen = $HOST:$PORT
root = $SAO_ROOT

[queue]
# tasks (National Fund filings) are run by the worker started below
worker = True
EOF
CONFIG=${TRYTOND_CONFIG:-}
if [ -z "$CONFIG" ] && [ -f "$ROOT/trytond.conf" ]; then
    CONFIG=$ROOT/trytond.conf
fi
CONFIG_ARGS=(-c ${CONFIG:+"$CONFIG"} "$DEMO_CONF")
unset TRYTOND_CONFIG

if [ -n "${DEMO_MODULES:-}" ]; then
    read -r -a MODULES <<< "$DEMO_MODULES"
else
    MODULES=()
    for cfg in "$ROOT"/modules/*/tryton.cfg; do
        [ -f "$cfg" ] && MODULES+=("$(basename "$(dirname "$cfg")")")
    done
fi
[ ${#MODULES[@]} -gt 0 ] || die "no module found in modules/"

# The servers keep the database open: stop them before updating it.
"$ROOT/scripts/stop.sh"

secret_file() {  # secret_file FILE: a random secret in FILE, kept
    if [ ! -s "$1" ]; then
        (umask 077 \
            && "$VPY" -c 'import secrets; print(secrets.token_urlsafe(12))' \
            > "$1")
    fi
}
secret_file "$PASSFILE"
secret_file "$ROOT/var/demo-fund-token"
secret_file "$ROOT/var/demo-cms-token"
secret_file "$ROOT/var/demo-credit-token"
secret_file "$ROOT/var/demo-credit_bureau-token"

db_initialized() {
    [ -s "$DB_DIR/$DB.sqlite" ] && "$VPY" - "$DB_DIR/$DB.sqlite" <<'EOF'
import sqlite3
import sys
connection = sqlite3.connect(sys.argv[1])
row = connection.execute(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ir_module'"
    ).fetchone()
sys.exit(0 if row else 1)
EOF
}

ADMIN=("$VPY" "$VENV/bin/trytond-admin" "${CONFIG_ARGS[@]}" -d "$DB")
if db_initialized; then
    log "updating ${MODULES[*]} in $DB_DIR/$DB.sqlite"
    # -p: admin's password is the one printed below, whatever happened
    TRYTONPASSFILE=$PASSFILE "${ADMIN[@]}" -u "${MODULES[@]}" \
        --activate-dependencies -l zh_CN -p </dev/null
else
    log "creating $DB_DIR/$DB.sqlite with ${MODULES[*]} (about a minute)"
    rm -f "$DB_DIR/$DB.sqlite"
    : > "$DB_DIR/$DB.sqlite"
    if ! TRYTONPASSFILE=$PASSFILE "${ADMIN[@]}" -u "${MODULES[@]}" \
            --activate-dependencies -l zh_CN --email admin@example.com \
            </dev/null; then
        rm -f "$DB_DIR/$DB.sqlite"
        die "could not create the database"
    fi
fi

start() {  # start NAME COMMAND...: run in the background, pid in var/run
    local name=$1
    shift
    # the previous run's log is kept as NAME.log.1
    if [ -f "$LOG_DIR/$name.log" ]; then
        mv -f "$LOG_DIR/$name.log" "$LOG_DIR/$name.log.1"
    fi
    nohup "$@" > "$LOG_DIR/$name.log" 2>&1 < /dev/null &
    echo $! > "$RUN_DIR/$name.pid"
}

start_simulator() {  # start_simulator NAME PORT: python -m simulators
    local name=$1 port=$2
    log "starting the $name simulator on http://$HOST:$port/" \
        "(log: var/log/simulator-$name.log)"
    rm -f "$RUN_DIR/simulator-$name.port"
    local config=()
    if [ -f "$ROOT/scripts/demo-$name.json" ]; then
        config=(--config "$ROOT/scripts/demo-$name.json")
    fi
    start "simulator-$name" "$VPY" -m simulators "$name" --host "$HOST" \
        --port "$port" --token-file "$ROOT/var/demo-$name-token" \
        --port-file "$RUN_DIR/simulator-$name.port" "${config[@]}"
    for _ in $(seq 1 50); do
        [ -s "$RUN_DIR/simulator-$name.port" ] && return 0
        kill -0 "$(cat "$RUN_DIR/simulator-$name.pid")" 2>/dev/null || break
        sleep 0.2
    done
    tail -n 20 "$LOG_DIR/simulator-$name.log" >&2 || true
    die "the $name simulator did not start, see var/log/simulator-$name.log"
}
start_simulator fund "$FUND_PORT"
start_simulator cms "$CMS_PORT"
start_simulator credit "$CREDIT_PORT"
start_simulator credit_bureau "$BUREAU_PORT"
export DEMO_FUND_URL=http://$HOST:$FUND_PORT/
export DEMO_CMS_URL=http://$HOST:$CMS_PORT/
export DEMO_CREDIT_URL=http://$HOST:$CREDIT_PORT/
export DEMO_CREDIT_BUREAU_URL=http://$HOST:$BUREAU_PORT/
# The tokens of the outside systems are the servers' configuration
# ([reguarantee] fund_token, cms_token), never stored in the database: the
# demo data, trytond, its cron and the queue worker read them from here.
TRYTOND_REGUARANTEE__FUND_TOKEN=$(cat "$ROOT/var/demo-fund-token")
TRYTOND_REGUARANTEE__CMS_TOKEN=$(cat "$ROOT/var/demo-cms-token")
TRYTOND_REGUARANTEE__CREDIT_TOKEN=$(cat "$ROOT/var/demo-credit-token")
TRYTOND_REGUARANTEE__CREDIT_BUREAU_TOKEN=$(cat "$ROOT/var/demo-credit_bureau-token")
export TRYTOND_REGUARANTEE__FUND_TOKEN TRYTOND_REGUARANTEE__CMS_TOKEN \
    TRYTOND_REGUARANTEE__CREDIT_TOKEN TRYTOND_REGUARANTEE__CREDIT_BUREAU_TOKEN

log "loading the demo data"
"$VPY" "$ROOT/scripts/demo_data.py" "${CONFIG_ARGS[@]}" -d "$DB" \
    --print-users > "$USERS_FILE"

log "starting trytond on $URL (log: var/log/trytond.log)"
start trytond "$VPY" -O "$VENV/bin/trytond" "${CONFIG_ARGS[@]}" -d "$DB"
log "starting trytond-cron (log: var/log/trytond-cron.log)"
start trytond-cron "$VPY" -O "$VENV/bin/trytond-cron" "${CONFIG_ARGS[@]}" \
    -d "$DB"
# trytond-worker needs PostgreSQL (it waits for its notifications): on
# SQLite the queue is polled by reguarantee_base's queue_worker
log "starting the queue worker (log: var/log/trytond-worker.log)"
start trytond-worker "$VPY" -O -m \
    trytond.modules.reguarantee_base.queue_worker "${CONFIG_ARGS[@]}" \
    -d "$DB"

# Wait for sao's page
for _ in $(seq 1 120); do
    state=$(ps -o stat= -p "$(cat "$RUN_DIR/trytond.pid")" 2>/dev/null || true)
    if [ -z "$state" ] || [[ "$state" == Z* ]]; then
        tail -n 30 "$LOG_DIR/trytond.log" >&2 || true
        die "trytond stopped, see var/log/trytond.log"
    fi
    if "$VPY" - "$URL" <<'EOF' 2>/dev/null
import sys
import urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
    sys.exit(0 if b'tryton-sao' in response.read() else 1)
EOF
    then
        READY=1
        break
    fi
    sleep 0.5
done
[ -n "${READY:-}" ] \
    || die "trytond does not answer on $URL, see var/log/trytond.log"

cat <<EOF

Re-guarantee demo is running: $URL  (database: $DB)
Simulators: National Fund $DEMO_FUND_URL, CMS $DEMO_CMS_URL

$(printf '  %-10s %-20s %s\n' login password role \
    admin "$(cat "$PASSFILE")" "Tryton administrator")
$(cat "$USERS_FILE")

sao asks for the user name first, then for the password.
Stop the servers with \`make stop\` (scripts/stop.sh).
EOF
