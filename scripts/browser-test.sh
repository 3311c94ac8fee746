#!/usr/bin/env bash
# Run the browser tests (tests/browser/, Playwright + pytest) against a
# throwaway database: the fixtures create it in a temporary folder, start
# the Fund's and the CMS's simulators, trytond with sao on a free port of
# 127.0.0.1 and the queue worker, and always stop them at the end.
# Screenshots, pages and logs of failed tests go to var/test-artifacts/; the
# crawl (test_crawl.py) saves a screenshot of every screen in
# var/test-logs/crawl/.
# Exits with pytest's status (non-zero on failure).
#
#   scripts/browser-test.sh                 all browser tests
#   scripts/browser-test.sh -k approval     extra arguments go to pytest
#   BROWSER_TEST_LANG=zh_CN scripts/browser-test.sh   as Chinese users
#
# Needs `make install` (.venv with playwright and pytest, var/sao/web)
# and a Chromium: /usr/bin/chromium (apt-get install chromium), or CHROMIUM.
set -euo pipefail
LOG_TAG=browser-test
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

VPY=$ROOT/.venv/bin/python
[ -x "$VPY" ] || die "$VPY is missing: run \`make install\` first"
"$VPY" -c 'import playwright, pytest' 2>/dev/null \
    || die "playwright and pytest are missing from .venv: run \`make install\`"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    apt_install chromium fonts-wqy-zenhei
fi
export CHROMIUM
SAO_ROOT=${SAO_ROOT:-$ROOT/var/sao/web}
[ -f "$SAO_ROOT/index.html" ] \
    || die "sao is missing in $SAO_ROOT: run \`make install\` first"
export SAO_ROOT

ARTIFACTS=${BROWSER_TEST_ARTIFACTS:-$ROOT/var/test-artifacts}
export BROWSER_TEST_ARTIFACTS=$ARTIFACTS
mkdir -p "$ARTIFACTS"
# Only this run's artifacts
find "$ARTIFACTS" -mindepth 1 -maxdepth 1 -type f -delete

# The fixtures stop their processes themselves (trytond, the queue worker,
# the simulators); should pytest be killed before, stop them here from the
# pids they record, one a line.
PIDFILE=$(mktemp "${TMPDIR:-/tmp}/browser-test-trytond.XXXXXX")
export BROWSER_TEST_PIDFILE=$PIDFILE
cleanup() {
    local pid
    while read -r pid; do
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
                && tr '\0' ' ' < "/proc/$pid/cmdline" \
                    | grep -qE 'trytond|simulators'; then
            log "stopping pid $pid"
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done < "$PIDFILE"
    rm -f "$PIDFILE"
}
trap cleanup EXIT

log "running the browser tests (chromium: $CHROMIUM)"
# pytest runs in the background so that a TERM/INT reaches this script at
# once: it is passed on to pytest (which then stops its fixtures: trytond and
# chromium) and the EXIT trap stops trytond should pytest not have.
"$VPY" -m pytest tests/browser -ra --durations=20 -p no:cacheprovider "$@" &
PYTEST_PID=$!
trap 'kill -TERM "$PYTEST_PID" 2>/dev/null; wait "$PYTEST_PID"; exit 130' \
    INT TERM
status=0
wait "$PYTEST_PID" || status=$?
if [ "$status" -ne 0 ] && [ -n "$(ls -A "$ARTIFACTS" 2>/dev/null)" ]; then
    log "failure artifacts in $ARTIFACTS:"
    ls -1 "$ARTIFACTS" >&2
fi
exit "$status"
