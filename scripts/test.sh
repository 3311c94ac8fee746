#!/usr/bin/env bash
# Run the whole test suite; exit non-zero when any stage fails.
#
# Stages, in order:
#   install      scripts/install.sh (aborts the run when it fails)
#   lint         flake8 and isort --check on the Python folders
#   then two lanes at the same time (one per core), the second's lines
#   printed when both are done:
#     sqlite:<m>   each module's unittest + scenario doctests on SQLite
#     pytest       the cross-module tests in tests/ (not tests/browser)
#     browser      scripts/browser-test.sh, when it exists
#   and
#     failover     tests/test_failover.py: a synchronous standby promoted
#                  while projects are submitted (scripts/pg-standby.sh)
#     postgresql:<m>  the module tests again on a throwaway PostgreSQL
# The last line printed is "N passed, M failed", counting stages.  Each
# stage's output goes to var/test-logs/<stage>.log and is shown when the
# stage fails.  A module stage is scripts/module-test.sh (see there for the
# unittest / DB_CACHE details, and to run one module by hand).
#
# Environment:
#   MODULES="a b"     only test these modules (default: every modules/*)
#   SKIP="lint postgresql browser"  skip stages by name (install, lint,
#                     sqlite, pytest, failover, postgresql, browser)
#   FAIL_FAST=1       stop at the first failed stage
#   STAGE_TIMEOUT=900 seconds before a stage is killed
#   BROWSER_TIMEOUT=2400  the same for the browser stage
#   VERBOSE=1         stream every stage's output instead of logging it
set -uo pipefail
LOG_TAG=test
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

VPY=$ROOT/.venv/bin/python
LOGS=$ROOT/var/test-logs
STAGE_TIMEOUT=${STAGE_TIMEOUT:-900}
BROWSER_TIMEOUT=${BROWSER_TIMEOUT:-2400}
SKIP=" ${SKIP:-} "
PASSED=0
FAILED=0
FAILED_STAGES=()
START=$SECONDS
PG_TMPDIR=
STAGE_PID=
LANE_PID=

cleanup() {
    if [ -n "${LANE_PID:-}" ] && kill -0 "$LANE_PID" 2>/dev/null; then
        kill -TERM "$LANE_PID" 2>/dev/null
        wait "$LANE_PID" 2>/dev/null
        LANE_PID=
    fi
    if [ -n "$STAGE_PID" ] && kill -0 "$STAGE_PID" 2>/dev/null; then
        kill -TERM "$STAGE_PID" 2>/dev/null
        wait "$STAGE_PID" 2>/dev/null
        STAGE_PID=
    fi
    if [ -n "$PG_TMPDIR" ]; then
        "$ROOT/scripts/pg.sh" stop "$PG_TMPDIR" || true
        PG_TMPDIR=
    fi
}
trap cleanup EXIT
trap 'echo; log "interrupted"; exit 130' INT TERM

summary() {
    local total=$((SECONDS - START))
    echo
    echo "== summary ($((total / 60)) min $((total % 60)) s)"
    if [ ${#FAILED_STAGES[@]} -gt 0 ]; then
        echo "failed stages: ${FAILED_STAGES[*]}"
    fi
    echo "$PASSED passed, $FAILED failed"
}

skipped() {
    case "$SKIP" in
        *" $1 "*) return 0 ;;
    esac
    return 1
}

# stage NAME CMD...: run CMD, log its output, print one result line.
stage() {
    local name=$1
    shift
    local log_file="$LOGS/${name//[:\/]/-}.log"
    local t0=$SECONDS status=0 detail
    mkdir -p "$LOGS"
    printf '== %-32s ' "$name"
    # In the background + wait, so that an interrupt is handled at once
    # (timeout runs the stage in its own process group: cleanup stops it).
    if [ -n "${VERBOSE:-}" ]; then
        echo
        timeout --kill-after=30 "$STAGE_TIMEOUT" "$@" \
            > >(tee "$log_file") 2>&1 &
    else
        timeout --kill-after=30 "$STAGE_TIMEOUT" "$@" >"$log_file" 2>&1 &
    fi
    STAGE_PID=$!
    wait "$STAGE_PID" || status=$?
    STAGE_PID=
    detail=$(stage_detail "$log_file")
    if [ $status -eq 0 ]; then
        PASSED=$((PASSED + 1))
        echo "ok${detail:+: $detail} ($((SECONDS - t0)) s)"
    else
        FAILED=$((FAILED + 1))
        FAILED_STAGES+=("$name")
        [ $status -eq 124 ] && detail="timed out after $STAGE_TIMEOUT s"
        echo "FAILED${detail:+: $detail} ($((SECONDS - t0)) s," \
            "exit $status, log: ${log_file#"$ROOT"/})"
        if [ -z "${VERBOSE:-}" ]; then
            tail -n 60 "$log_file" | sed 's/^/    | /'
        fi
        if [ -n "${FAIL_FAST:-}" ]; then
            summary
            exit 1
        fi
    fi
    return $status
}

# One-line digest of a unittest or pytest log.
stage_detail() {
    local ran result
    ran=$(grep -Eo '^Ran [0-9]+ tests?' "$1" | tail -n 1)
    result=$(grep -E '^(OK|FAILED)( \(.*\))?$' "$1" | tail -n 1)
    if [ -n "$ran" ]; then
        echo "${ran#Ran } ${result}"
        return
    fi
    grep -E '^(=+ )?([0-9]+ (passed|failed|errors?|skipped)|no tests ran)' \
        "$1" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//'
}

# The modules to test: every folder of modules/ unless MODULES is set.
modules() {
    if [ -n "${MODULES:-}" ]; then
        echo "$MODULES"
    else
        for dir in "$ROOT"/modules/*/; do
            basename "$dir"
        done
    fi
}

# --- install ---------------------------------------------------------------
if ! skipped install; then
    if ! stage install "$ROOT/scripts/install.sh"; then
        log "installation failed; not running the tests"
        summary
        exit 1
    fi
fi
[ -x "$VPY" ] || die "$VPY is missing: run scripts/install.sh"

# --- lint --------------------------------------------------------------------
if ! skipped lint; then
    LINT_DIRS=()
    for dir in modules tests scripts simulators bench; do
        [ -d "$ROOT/$dir" ] && LINT_DIRS+=("$dir")
    done
    stage lint bash -c '"$0" -m flake8 "$@" && echo "flake8 ok" \
        && "$0" -m isort --check-only --diff "$@" && echo "isort ok"' \
        "$VPY" "${LINT_DIRS[@]}"
fi

# The SQLite lane (module tests, pytest, then the browser) and the
# PostgreSQL lane (failover, then the module tests on PostgreSQL) are
# independent: they run at the same time, one on each core; the PostgreSQL lane's result lines
# are printed when both are done.

sqlite_lane() {
    # --- module tests on SQLite ----------------------------------------------
    if ! skipped sqlite; then
        for module in $(modules); do
            stage "sqlite:$module" env -u DB_CACHE -u DB_NAME \
                TRYTOND_DATABASE__URI=sqlite:// \
                "$ROOT/scripts/module-test.sh" "$module" -v
        done
    fi

    # --- cross-module tests (pytest) -----------------------------------------
    if ! skipped pytest; then
        if compgen -G "$ROOT/tests/test_*.py" >/dev/null \
                || compgen -G "$ROOT/tests/*/test_*.py" >/dev/null; then
            stage pytest bash -c '"$0" -m pytest -q -rfE --durations=10 \
                "$1" --ignore="$1/browser" --ignore="$1/test_failover.py"; \
                s=$?; [ $s -eq 5 ] && s=0; exit $s' \
                "$VPY" "$ROOT/tests"
        fi
    fi

    # --- browser tests -------------------------------------------------------
    # Last on this lane: it overlaps the end of the PostgreSQL lane, which
    # runs about five minutes longer than module tests and pytest here.
    if ! skipped browser; then
        if [ -f "$ROOT/scripts/browser-test.sh" ]; then
            # the crawl alone opens every screen of every role: a stage of
            # its own size
            STAGE_TIMEOUT=$BROWSER_TIMEOUT stage browser \
                bash "$ROOT/scripts/browser-test.sh"
        else
            echo "== browser                          skipped" \
                "(scripts/browser-test.sh not found)"
        fi
    fi
}

postgresql_lane() {
    # --- failover to the synchronous standby (tests/test_failover.py) --------
    # Two PostgreSQL clusters and a database to initialise (about a minute).
    if ! skipped failover; then
        stage failover "$VPY" -m pytest -q -rfE -s \
            "$ROOT/tests/test_failover.py"
    fi

    # --- module tests on PostgreSQL ------------------------------------------
    if ! skipped postgresql; then
        mkdir -p "$LOGS"
        if PG_OUT=$("$ROOT/scripts/pg.sh" start \
                2>"$LOGS/postgresql-cluster.log"); then
            eval "$PG_OUT"
            # DB_CACHE=postgresql://... keeps activated databases as
            # templates in the throwaway cluster (test_tryton.py: _pg_dump/
            # _pg_restore "dump_on_template"/"restore_from_template"),
            # shared by the modules.
            for module in $(modules); do
                stage "postgresql:$module" env -u DB_CACHE -u DB_NAME \
                    TRYTOND_DATABASE__URI="$PG_URI" PG_BINDIR="$PG_BINDIR" \
                    "$ROOT/scripts/module-test.sh" "$module" -v
            done
            cleanup
        else
            cat "$LOGS/postgresql-cluster.log" >&2
            stage postgresql false
        fi
    fi
}

# The PostgreSQL lane in a subshell of its own: its results come back
# through LANE_RESULT (passed, failed, then the failed stages' names).
mkdir -p "$LOGS"
LANE_OUT=$LOGS/postgresql-lane.out
LANE_RESULT=$LOGS/postgresql-lane.result
rm -f "$LANE_RESULT"
(
    STAGE_PID=
    PG_TMPDIR=
    PASSED=0
    FAILED=0
    FAILED_STAGES=()
    trap 'cleanup; echo "$PASSED $FAILED ${FAILED_STAGES[*]}" \
        > "$LANE_RESULT"' EXIT
    trap 'exit 130' INT TERM
    postgresql_lane
) > "$LANE_OUT" 2>&1 &
LANE_PID=$!
sqlite_lane
wait "$LANE_PID"
LANE_PID=
cat "$LANE_OUT"
if [ -s "$LANE_RESULT" ]; then
    read -r lane_passed lane_failed lane_stages < "$LANE_RESULT"
    PASSED=$((PASSED + lane_passed))
    FAILED=$((FAILED + lane_failed))
    if [ -n "$lane_stages" ]; then
        # shellcheck disable=SC2206
        FAILED_STAGES+=($lane_stages)
    fi
else
    FAILED=$((FAILED + 1))
    FAILED_STAGES+=("postgresql-lane")
fi
summary
[ "$FAILED" -eq 0 ]
