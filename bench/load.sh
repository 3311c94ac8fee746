#!/usr/bin/env bash
# Load test of trytond under gunicorn on PostgreSQL with the demo's data:
#
#   bench/load.sh [USERS...]          (default: 10 50 200)
#
# 1. a throwaway PostgreSQL cluster (scripts/pg.sh);
# 2. the database `load` with every module, English and Chinese, and the
#    demo data (scripts/demo_data.py, as scripts/demo.sh; without the
#    simulators: no National Fund nor CMS configured), the REST API key of
#    the demo's operator;
# 3. gunicorn with LOAD_WORKERS sync workers (default 4) on a free port of
#    127.0.0.1: `python -O -m gunicorn trytond.application:app`, as
#    docker-compose runs it;
# 4. bench/load.py: one run of LOAD_DURATION seconds (default 60) per
#    number of simulated users; results on the terminal and in
#    LOAD_JSON (default var/load.json).
# Everything stops and is deleted at the end (the gunicorn log is kept in
# var/log/load-gunicorn.log).  Other knobs: LOAD_THINK="1 3" (seconds
# between a user's actions), LOAD_TIMEOUT (60 s per call), LOAD_THREADS
# (gunicorn threads per worker, default 1).
set -euo pipefail
LOG_TAG=load
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

VPY=$ROOT/.venv/bin/python
[ -x "$VPY" ] || die "$VPY is missing: run \`make install\` first"
USERS=("$@")
[ ${#USERS[@]} -gt 0 ] || USERS=(10 50 200)
WORKERS=${LOAD_WORKERS:-4}
THREADS=${LOAD_THREADS:-1}
DURATION=${LOAD_DURATION:-60}
read -r -a THINK <<< "${LOAD_THINK:-1 3}"
JSON=${LOAD_JSON:-$ROOT/var/load.json}
DB=load

if ! "$VPY" -c 'import gunicorn' 2>/dev/null; then
    # the 'production' extra of pyproject.toml
    log "installing gunicorn"
    "$VPY" -m pip install -q gunicorn
fi

WORK=$(mktemp -d /tmp/reguarantee-load.XXXXXX)
GUNICORN_PID=
cleanup() {
    if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill "$GUNICORN_PID"
        wait "$GUNICORN_PID" 2>/dev/null || true
    fi
    [ -z "${PG_TMPDIR:-}" ] || "$ROOT/scripts/pg.sh" stop "$PG_TMPDIR"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
eval "$("$ROOT/scripts/pg.sh" start)"
"$PG_BINDIR/psql" -X -q "${PG_URI}postgres" \
    -c "CREATE DATABASE $DB TEMPLATE template0 ENCODING 'UTF8'"

export TRYTOND_DATABASE__URI=$PG_URI
export TRYTOND_DATABASE__PATH=$WORK/db
unset TRYTOND_CONFIG
mkdir -p "$WORK/db" "$ROOT/var/log"
CONFIG=(-c "$ROOT/trytond.conf")
MODULES=()
for cfg in "$ROOT"/modules/*/tryton.cfg; do
    MODULES+=("$(basename "$(dirname "$cfg")")")
done
echo load-admin-password > "$WORK/admin-password"
log "creating the database $DB with ${MODULES[*]}"
TRYTONPASSFILE=$WORK/admin-password "$VPY" -O "$ROOT/.venv/bin/trytond-admin" \
    "${CONFIG[@]}" -d "$DB" -u "${MODULES[@]}" --activate-dependencies \
    -l zh_CN --email admin@example.com </dev/null >"$WORK/admin.log" 2>&1 \
    || { tail -n 30 "$WORK/admin.log" >&2; die "trytond-admin failed"; }
log "loading the demo data"
"$VPY" "$ROOT/scripts/demo_data.py" "${CONFIG[@]}" -d "$DB" \
    >"$WORK/demo.log" 2>&1 \
    || { tail -n 30 "$WORK/demo.log" >&2; die "demo_data.py failed"; }
read -r API_KEY ID_NUMBER < <("$VPY" - "$DB" "$ROOT/trytond.conf" \
    "$ROOT/scripts" 2>>"$WORK/demo.log" <<'EOF'
import sys
sys.path.insert(0, sys.argv[3])
import demo_data as demo
from demo_integration import setup_api_key
from decimal import Decimal
demo.connect(sys.argv[1], sys.argv[2])
# The demo's limits (GI001's quota of 5 million, an industry limit, the
# concentration on net assets) would refuse most projects of the load:
# lifted, the checks still run.
Institution = demo.model('reguarantee.institution', 'manager')
for institution in Institution.find([('quota_amount', '!=', None)]):
    institution.quota_amount = Decimal('1000000000000.00')
    institution.save()
Product = demo.model('reguarantee.product', 'manager')
for product in Product.find([('industry_limit', '!=', None)]):
    product.industry_limit = None
    product.save()
configuration = demo.model('reguarantee.configuration', 'manager')(1)
configuration.net_assets = Decimal('1000000000000.00')
# The review committee decides big projects in its meetings, not within a
# minute of their submission: the load files and approves below its amount.
if 'review_project_amount' in configuration._fields:
    configuration.review_project_amount = Decimal('1000000000000.00')
configuration.save()
print(setup_api_key(demo.as_user('admin'), 'operator'),
    demo.make_uscc('340100', 501))
EOF
)

# A signed contract's quota changes only by an amendment, which the load
# does not play: its 800 million would refuse the submissions after a few
# minutes of 200 users.  Lifted in the database, the check still runs.
"$PG_BINDIR/psql" -X -q "${PG_URI}$DB" -c \
    "UPDATE reguarantee_contract SET quota_amount = 1000000000000 \
     WHERE quota_amount IS NOT NULL"

PORT=$(PYTHON=$VPY free_port)
log "gunicorn: $WORKERS workers x $THREADS threads on 127.0.0.1:$PORT"
TRYTOND_CONFIG=$ROOT/trytond.conf TRYTOND_DATABASE_NAMES=$DB \
    "$VPY" -O -m gunicorn --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
    --threads "$THREADS" --timeout 300 --access-logfile - \
    trytond.application:app >"$ROOT/var/log/load-gunicorn.log" 2>&1 &
GUNICORN_PID=$!
# up when it answers anything, even an error
if ! "$VPY" - "http://127.0.0.1:$PORT/" "$GUNICORN_PID" <<'EOF'
import os, sys, time, urllib.error, urllib.request
deadline = time.monotonic() + 180
while time.monotonic() < deadline:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=5)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)
    except OSError:
        os.kill(int(sys.argv[2]), 0)
        time.sleep(0.5)
sys.exit(1)
EOF
then
    tail -n 30 "$ROOT/var/log/load-gunicorn.log" >&2
    die "gunicorn does not answer"
fi

log "load: ${USERS[*]} users, $DURATION s each (load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg))"
"$VPY" -O "$ROOT/bench/load.py" --url "http://127.0.0.1:$PORT/" \
    --database "$DB" --api-key "$API_KEY" --id-number "$ID_NUMBER" \
    --users "${USERS[@]}" --duration "$DURATION" \
    --think "${THINK[@]}" --timeout "${LOAD_TIMEOUT:-60}" --json "$JSON"
