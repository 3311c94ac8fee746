#!/usr/bin/env bash
# Run one module's tests (tests/test_*.py, including the scenario doctests
# that tests/test_scenario.py loads) on SQLite, or on PostgreSQL.
#
#   scripts/module-test.sh MODULE [UNITTEST-ARGS...]
#   scripts/module-test.sh --postgresql MODULE [UNITTEST-ARGS...]
#
# e.g. scripts/module-test.sh reguarantee_base -k test_depends
#      scripts/module-test.sh reguarantee_base -k scenario_project.rst
#
# SQLite (default): in-memory databases; activated databases are cached in
# var/cache/sqlite/<key>/ where <key> hashes the content of modules/ (except
# the tests/scenario_* and tests/test_* files) and the installed Tryton
# versions.  Tryton's own DB_CACHE key is only the list of module names, so
# without this a cache made before a change of a module's XML would be
# reused silently.  Set DB_CACHE to use another folder.
#
# PostgreSQL: when TRYTOND_DATABASE__URI is already a postgresql:// URI it is
# used as is (scripts/test.sh does this with one throwaway cluster for all
# modules); otherwise --postgresql starts a throwaway cluster with
# scripts/pg.sh for this run.  DB_CACHE defaults to the same URI: activated
# databases are then kept as template databases in that cluster (see
# _pg_dump/_pg_restore in trytond/tests/test_tryton.py).
#
# How the tests are found: like Tryton's own modules (`python -m unittest
# discover -s tests` in the module folder), with tests/ as the top-level
# folder, so the files are imported as top-level test_module, test_scenario;
# they import the module's code absolutely (trytond.modules.<module>...),
# which is the installed (editable) package.
set -euo pipefail
LOG_TAG=module-test
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

VPY=$ROOT/.venv/bin/python
POSTGRESQL=
if [ "${1:-}" = --postgresql ]; then
    POSTGRESQL=1
    shift
fi
MODULE=${1:?usage: module-test.sh [--postgresql] MODULE [UNITTEST-ARGS...]}
shift
MODULE=${MODULE%/}
MODULE=${MODULE##*/}
DIR=$ROOT/modules/$MODULE

[ -x "$VPY" ] || die "$VPY is missing: run scripts/install.sh"
[ -f "$DIR/tryton.cfg" ] || die "$DIR/tryton.cfg is missing"
[ -d "$DIR/tests" ] || die "$DIR/tests is missing"
"$VPY" -c "import trytond.modules.$MODULE" \
    || die "trytond.modules.$MODULE is not importable: is it in" \
        "pyproject.toml? run scripts/install.sh"

URI=${TRYTOND_DATABASE__URI:-sqlite://}
if [ -n "$POSTGRESQL" ] && [ "${URI#postgresql://}" = "$URI" ]; then
    exec "$ROOT/scripts/pg.sh" run "$0" "$MODULE" "$@"
fi

# The tests never read trytond.conf: the database comes from the variables.
unset TRYTOND_CONFIG
export TRYTOND_DATABASE__URI=$URI
export TRYTOND_DATABASE_URI=$URI

sqlite_cache_dir() {
    local base=$ROOT/var/cache/sqlite key purelib
    purelib=$("$VPY" -c \
        'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    key=$({
        find modules -type f -not -path '*/__pycache__/*' \
            -not -path '*/tests/scenario_*' -not -path '*/tests/test_*' \
            -print0 | sort -z | xargs -0 sha256sum
        ls "$purelib" | grep -i -e '^trytond' -e '^proteus'
    } | sha256sum | cut -c1-16)
    if [ -d "$base" ]; then
        find "$base" -mindepth 1 -maxdepth 1 -type d -not -name "$key" \
            -exec rm -rf {} +
    fi
    mkdir -p "$base/$key"
    echo "$base/$key"
}

case "$URI" in
    sqlite:*)
        export DB_NAME=${DB_NAME:-:memory:}
        export DB_CACHE=${DB_CACHE:-$(sqlite_cache_dir)}
        ;;
    postgresql:*)
        export DB_NAME=${DB_NAME:-test_$MODULE}
        export DB_CACHE=${DB_CACHE:-$URI}
        if [ -n "${PG_BINDIR:-}" ]; then
            export PATH=$PG_BINDIR:$PATH
        fi
        ;;
esac

log "$MODULE on ${URI%%:*} (DB_NAME=$DB_NAME, DB_CACHE=$DB_CACHE)"
exec "$VPY" -m unittest discover -s "$DIR/tests" -t "$DIR/tests" \
    -p 'test_*.py' "$@"
