#!/usr/bin/env bash
# Stop the servers started by scripts/demo.sh (`make stop`): the processes
# whose ids are in var/run/<name>.pid (trytond, trytond-cron, trytond-worker,
# the simulators).  A pid file whose process is gone, or is no longer one of
# these, is just removed.  Exits 0 when nothing runs.
set -euo pipefail
LOG_TAG=stop
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

RUN_DIR=$ROOT/var/run

is_trytond() {  # is_trytond PID: it runs one of trytond's scripts or a
    # simulator
    tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null \
        | grep -q -e 'trytond' -e '-m simulators '
}

stop_pid() {  # stop_pid NAME PID: TERM, wait up to 10 s, then KILL
    local name=$1 pid=$2
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    log "$name (pid $pid) did not stop, killing it"
    kill -KILL "$pid" 2>/dev/null || true
}

for name in trytond-cron trytond-worker trytond simulator-fund \
        simulator-cms simulator-credit simulator-credit_bureau; do
    pidfile=$RUN_DIR/$name.pid
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
            && is_trytond "$pid"; then
        # trytond-cron runs its tasks in child processes that outlive it
        # when it is killed: stop them too, by their ids.
        children=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
        log "stopping $name (pid $pid)"
        stop_pid "$name" "$pid"
        for child in $children; do
            if kill -0 "$child" 2>/dev/null && is_trytond "$child"; then
                stop_pid "$name" "$child"
            fi
        done
    fi
    rm -f "$pidfile" "$RUN_DIR/$name.port"
done
