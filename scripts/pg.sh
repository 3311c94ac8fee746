#!/usr/bin/env bash
# A throwaway PostgreSQL cluster in a temporary folder, for tests.
#
#   scripts/pg.sh start          create and start a cluster; print shell
#                                assignments to eval:
#                                  PG_TMPDIR=...  PG_URI=postgresql://...
#   scripts/pg.sh stop PG_TMPDIR stop the cluster and delete its folder
#   scripts/pg.sh run CMD [ARG]  start, run CMD with TRYTOND_DATABASE__URI,
#                                DB_CACHE (template databases) and PG_URI
#                                set, then always stop and delete; exits
#                                with CMD's status
#
# Typical use in a script:
#   eval "$(scripts/pg.sh start)"
#   trap 'scripts/pg.sh stop "$PG_TMPDIR"' EXIT
#   TRYTOND_DATABASE__URI=$PG_URI ...
#
# The server listens on 127.0.0.1 on a free port (and on a socket in the
# folder), trusts every local connection (user postgres, no password) and
# trades durability for speed (fsync off).  PG_SERVER_OPTIONS adds server
# options after these (the last one wins), e.g.
# PG_SERVER_OPTIONS='-c synchronous_commit=on' (scripts/pg-standby.sh).
# The binaries are taken from
# /usr/lib/postgresql/<version>/bin (the newest; PG_BINDIR overrides); when
# they are missing the Debian package `postgresql` is installed if running
# as root.  initdb refuses to run as root, so as root the cluster runs as the
# `postgres` system user.
set -euo pipefail
LOG_TAG=pg
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

MARKER=.reguarantee-throwaway-cluster

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        echo "$PG_BINDIR"
        return
    fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        echo "$dir"
    fi
}

start() {
    local bindir dir port
    bindir=$(find_bindir)
    if [ -z "$bindir" ]; then
        apt_install postgresql
        bindir=$(find_bindir)
        [ -n "$bindir" ] || die "PostgreSQL binaries not found after install"
    fi
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        die "running as root but there is no 'postgres' system user to" \
            "run initdb (install the Debian package postgresql)"
    fi
    dir=$(mktemp -d "${PG_TMPROOT:-/tmp}/reguarantee-pg.XXXXXX")
    touch "$dir/$MARKER"
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir"
    fi
    port=$(PYTHON=$(python_bin) free_port)
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust \
        -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; rm -rf "$dir";
            die "initdb failed"; }
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -t 60 start -o "-c listen_addresses=127.0.0.1 -c port=$port \
-c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c max_connections=200 \
${PG_SERVER_OPTIONS:-}" >/dev/null \
        || { cat "$dir/server.log" >&2; rm -rf "$dir";
            die "PostgreSQL did not start"; }
    echo "$bindir" > "$dir/bindir"
    # pg_trgm in every database created from template1, as the production
    # database has it (docker/postgres/extensions.sql)
    "$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d template1 \
        -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm' >/dev/null \
        || die "pg_trgm is missing (Debian package postgresql-contrib)"
    log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}')" \
        "running in $dir on 127.0.0.1:$port"
    printf "PG_TMPDIR='%s'\n" "$dir"
    printf "PG_URI='postgresql://postgres@127.0.0.1:%s/'\n" "$port"
    printf "PG_BINDIR='%s'\n" "$bindir"
}

stop() {
    local dir=${1:?usage: pg.sh stop PG_TMPDIR}
    [ -d "$dir" ] || return 0
    [ -f "$dir/$MARKER" ] || die "$dir is not a throwaway cluster folder"
    local bindir
    bindir=$(cat "$dir/bindir" 2>/dev/null || find_bindir)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop \
            >/dev/null 2>&1 || log "pg_ctl stop failed (already stopped?)"
    fi
    rm -rf "$dir"
    log "stopped and deleted $dir"
}

run() {
    [ $# -gt 0 ] || die "usage: pg.sh run CMD [ARG...]"
    local out
    out=$(start)
    eval "$out"
    # shellcheck disable=SC2064
    trap "'$0' stop '$PG_TMPDIR'" EXIT
    trap 'exit 130' INT TERM
    local status=0
    TRYTOND_DATABASE__URI=$PG_URI DB_CACHE=$PG_URI PG_URI=$PG_URI \
        PG_TMPDIR=$PG_TMPDIR PATH="$PG_BINDIR:$PATH" "$@" || status=$?
    return $status
}

case "${1:-}" in
    start) start ;;
    stop) shift; stop "$@" ;;
    run) shift; run "$@" ;;
    *) die "usage: pg.sh start | stop PG_TMPDIR | run CMD [ARG...]" ;;
esac
