#!/usr/bin/env bash
# A throwaway primary PostgreSQL cluster with a synchronous streaming standby,
# for the failover test (tests/test_failover.py); both are scripts/pg.sh
# clusters (temporary folders, free ports of 127.0.0.1, deleted at the end).
#
#   scripts/pg-standby.sh start     start a primary (scripts/pg.sh start with
#                                   synchronous_commit=on), copy it with
#                                   pg_basebackup into a standby streaming
#                                   through the replication slot
#                                   `reguarantee_standby`, then make the
#                                   standby synchronous on the primary
#                                   (synchronous_standby_names = 'standby1')
#                                   and wait until it is; print shell
#                                   assignments to eval:
#                                     PG_TMPDIR, PG_URI, PG_BINDIR  primary
#                                     STANDBY_TMPDIR, STANDBY_URI   standby
#                                     PG_HOSTS_URI  both hosts, for trytond:
#                                       postgresql://postgres@127.0.0.1:P,
#                                       127.0.0.1:S/?target_session_attrs=
#                                       read-write
#   scripts/pg-standby.sh crash PG_TMPDIR
#                                   stop the primary as a crash would
#                                   (immediate shutdown), keep its folder
#   scripts/pg-standby.sh promote STANDBY_TMPDIR
#                                   promote the standby: it becomes a
#                                   primary, alone (no synchronous standby:
#                                   its commits do not wait)
#   scripts/pg-standby.sh status DIR
#                                   print `primary` or `standby` and the
#                                   replication state of a running cluster
#   scripts/pg-standby.sh stop DIR...
#                                   stop and delete the clusters
#
# With synchronous_commit = on and the standby named in
# synchronous_standby_names, a COMMIT returns only once the standby has
# flushed its WAL: whatever a client saw committed survives the loss of the
# primary.  The primary's command line keeps pg.sh's fsync=off (a crash of
# the process, not of the machine, loses nothing the OS has).
set -euo pipefail
LOG_TAG=pg-standby
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

STANDBY_NAME=standby1
SLOT=reguarantee_standby
MARKER=.reguarantee-throwaway-cluster
PG=$ROOT/scripts/pg.sh

# cluster DIR: check DIR is a throwaway cluster; set BINDIR and PORT
cluster() {
    local dir=${1:?a cluster folder is required}
    [ -f "$dir/$MARKER" ] || die "$dir is not a throwaway cluster folder"
    BINDIR=$(cat "$dir/bindir")
    PORT=
    if [ -f "$dir/port" ]; then
        PORT=$(sed -n 's/^port = //p' "$dir/port")
    elif [ -f "$dir/data/postmaster.pid" ]; then
        # scripts/pg.sh passes the port on postgres' command line
        PORT=$(sed -n 4p "$dir/data/postmaster.pid")
    fi
}

# sql DIR QUERY: run QUERY on the cluster of DIR, print the rows
sql() {
    cluster "$1"
    "$BINDIR/psql" -X -q -A -t -h "$1" -p "$PORT" -U postgres \
        -d postgres -v ON_ERROR_STOP=1 -c "$2"
}

start() {
    local primary port dir sport i state
    primary=$(PG_SERVER_OPTIONS="-c synchronous_commit=on" "$PG" start)
    eval "$primary"
    port=${PG_URI##*:}
    port=${port%/}
    # stop everything if what follows fails
    # shellcheck disable=SC2064
    trap "'$PG' stop '$PG_TMPDIR'; [ -z \"\${dir:-}\" ] \
        || '$PG' stop \"\$dir\"" ERR
    dir=$(mktemp -d "${PG_TMPROOT:-/tmp}/reguarantee-pg.XXXXXX")
    touch "$dir/$MARKER"
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir"
    fi
    echo "$PG_BINDIR" > "$dir/bindir"
    # -R writes standby.signal and primary_conninfo (with the standby's
    # name, which synchronous_standby_names refers to); -C -S: the primary
    # keeps the WAL the standby has not received in the slot
    as_owner "$PG_BINDIR/pg_basebackup" -D "$dir/data" -R -X stream \
        -C -S "$SLOT" --no-sync \
        -d "host=127.0.0.1 port=$port user=postgres \
application_name=$STANDBY_NAME" >"$dir/basebackup.log" 2>&1 \
        || { cat "$dir/basebackup.log" >&2; false; }
    sport=$(PYTHON=$(python_bin) free_port)
    echo "port = $sport" > "$dir/port"
    as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -t 60 start -o "-c listen_addresses=127.0.0.1 -c port=$sport \
-c unix_socket_directories=$dir -c fsync=off -c full_page_writes=off \
-c max_connections=200 -c hot_standby=on" >/dev/null \
        || { cat "$dir/server.log" >&2; false; }
    # only now: with a synchronous standby named but absent, every commit
    # of the primary would wait (and the standby must not inherit it from
    # the base backup, or its own commits would wait once promoted)
    sql "$PG_TMPDIR" "ALTER SYSTEM SET synchronous_standby_names \
= '$STANDBY_NAME'" >/dev/null
    sql "$PG_TMPDIR" "SELECT pg_reload_conf()" >/dev/null
    for i in $(seq 1 120); do
        state=$(sql "$PG_TMPDIR" "SELECT sync_state FROM \
pg_stat_replication WHERE application_name = '$STANDBY_NAME'")
        [ "$state" = sync ] && break
        [ "$i" -lt 120 ] || { cat "$dir/server.log" >&2;
            die "the standby is not synchronous ($state)"; }
        sleep 0.5
    done
    trap - ERR
    log "synchronous standby $STANDBY_NAME running in $dir on" \
        "127.0.0.1:$sport (primary on 127.0.0.1:$port)"
    printf '%s\n' "$primary"
    printf "STANDBY_TMPDIR='%s'\n" "$dir"
    printf "STANDBY_URI='postgresql://postgres@127.0.0.1:%s/'\n" "$sport"
    printf "PG_HOSTS_URI='postgresql://postgres@127.0.0.1:%s,127.0.0.1:%s\
/?target_session_attrs=read-write'\n" "$port" "$sport"
}

crash() {
    cluster "$1"
    as_owner "$BINDIR/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null
    log "primary in $1 stopped (immediate shutdown)"
}

promote() {
    cluster "$1"
    as_owner "$BINDIR/pg_ctl" -D "$1/data" -w -t 60 promote >/dev/null
    log "standby in $1 promoted"
}

status() {
    local standby
    standby=$(sql "$1" "SELECT pg_is_in_recovery()")
    if [ "$standby" = t ]; then
        echo standby
        sql "$1" "SELECT status, sender_host, sender_port, slot_name \
FROM pg_stat_wal_receiver"
    else
        echo primary
        sql "$1" "SELECT application_name, state, sync_state \
FROM pg_stat_replication"
    fi
}

stop() {
    local dir
    for dir in "$@"; do
        "$PG" stop "$dir"
    done
}

case "${1:-}" in
    start) start ;;
    crash) shift; crash "$@" ;;
    promote) shift; promote "$@" ;;
    status) shift; status "$@" ;;
    stop) shift; stop "$@" ;;
    *) die "usage: pg-standby.sh start | crash PG_TMPDIR | promote" \
        "STANDBY_TMPDIR | status DIR | stop DIR..." ;;
esac
