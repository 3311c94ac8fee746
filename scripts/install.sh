#!/usr/bin/env bash
# Install or update the development environment in the repository:
#   .venv/            Python 3.11 virtual environment with the project
#                     installed in editable mode, with its [test] extra
#   var/sao/package/  the sao 8.0 npm package and its node_modules
#   var/sao/web/      the web root trytond serves ([web] root): only the
#                     files sao loads (scripts/sao_webroot.py)
#   var/db/           SQLite databases and attachments of trytond.conf
# Idempotent and fast when nothing changed: pip runs only when pyproject.toml
# (or the Python version) changed since the last run, sao is fetched only
# when missing.  Missing system tools (python3.11-venv, nodejs, npm) are
# installed with apt-get when running as root.
#
# Environment:
#   PYTHON        interpreter for a new venv (default python3.11)
#   SAO_VERSION   npm version range of tryton-sao (default 8.0)
#   SAO_TARBALL   use this already downloaded tryton-sao-*.tgz instead of
#                 `npm pack`
#   FORCE=1       reinstall the Python packages and sao
set -euo pipefail
LOG_TAG=install
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

PYTHON=${PYTHON:-python3.11}
VENV=$ROOT/.venv
VPY=$VENV/bin/python
SAO_VERSION=${SAO_VERSION:-8.0}
SAO_DIR=$ROOT/var/sao
MODULES=(reguarantee_base reguarantee_cms reguarantee_api reguarantee_fees
    reguarantee_risk reguarantee_filing reguarantee_review
    reguarantee_monitoring reguarantee_direct reguarantee_credit
    authentication_totp)
START=$SECONDS

# --- Python virtual environment ---------------------------------------------
venv_ok() {
    [ -x "$VPY" ] && "$VPY" -c \
        'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null
}

if ! venv_ok; then
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        apt_install python3.11 python3.11-venv
    fi
    if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        apt_install python3.11-venv
    fi
    log "creating $VENV with $PYTHON"
    if [ -e "$VENV" ]; then
        "$PYTHON" -m venv --clear "$VENV"
    else
        "$PYTHON" -m venv "$VENV"
    fi
    rm -f "$VENV/.reguarantee-install.stamp"
fi

# --- the project, editable, with the test extra -----------------------------
STAMP=$VENV/.reguarantee-install.stamp
stamp_value() {
    {
        "$VPY" -c 'import sys; print(sys.version)'
        cat "$ROOT/pyproject.toml"
    } | sha256sum | cut -d' ' -f1
}

modules_importable() {
    "$VPY" - "${MODULES[@]}" <<'EOF' 2>/dev/null
import importlib.util
import sys
from importlib.metadata import entry_points

names = {ep.name for ep in entry_points(group='trytond.modules')}
for module in sys.argv[1:]:
    assert module in names, module
    assert importlib.util.find_spec(f'trytond.modules.{module}'), module
EOF
}

if [ -n "${FORCE:-}" ] || [ ! -f "$STAMP" ] \
        || [ "$(cat "$STAMP")" != "$(stamp_value)" ] \
        || ! modules_importable; then
    log "pip install -e '.[test]'"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VPY" -m pip install -q \
        -e "$ROOT[test]"
    modules_importable \
        || die "trytond.modules.{$(IFS=,; echo "${MODULES[*]}")} are not" \
            "importable after pip install -e"
    stamp_value > "$STAMP"
else
    log "Python packages up to date (pyproject.toml unchanged)"
fi

# --- sao, the web client -----------------------------------------------------
if [ -n "${FORCE:-}" ] || [ ! -f "$SAO_DIR/.installed" ] \
        || [ ! -f "$SAO_DIR/package/index.html" ] \
        || [ ! -d "$SAO_DIR/package/node_modules" ]; then
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1
    then
        apt_install nodejs npm
    fi
    log "installing sao $SAO_VERSION into $SAO_DIR/package"
    mkdir -p "$ROOT/var"
    TMP=$(mktemp -d "$ROOT/var/sao.tmp.XXXXXX")
    trap 'rm -rf "$TMP"' EXIT
    if [ -n "${SAO_TARBALL:-}" ]; then
        TARBALL=$SAO_TARBALL
    else
        (cd "$TMP" && npm pack --silent "tryton-sao@$SAO_VERSION" >/dev/null)
        TARBALL=$(ls "$TMP"/tryton-sao-*.tgz)
    fi
    tar -xzf "$TARBALL" -C "$TMP"
    (cd "$TMP/package" \
        && npm install --omit=dev --legacy-peer-deps --no-audit --no-fund \
            --loglevel=error >&2)
    [ -f "$TMP/package/node_modules/jquery/dist/jquery.js" ] \
        || die "sao's npm install did not install its dependencies"
    rm -rf "$SAO_DIR"
    mkdir -p "$SAO_DIR"
    mv "$TMP/package" "$SAO_DIR/package"
    node -p 'require(process.argv[1]).version' \
        "$SAO_DIR/package/package.json" > "$SAO_DIR/.installed"
    rm -rf "$TMP"
    trap - EXIT
else
    log "sao $(cat "$SAO_DIR/.installed") already installed"
fi

# --- sao's patches -----------------------------------------------------------
# scripts/patch_sao.py fixes what sao 8.0 lacks (board actions without their
# domain; no list column for datetime and timestamp fields), once, and stops
# the install when the code it patches is not found (a new sao release).
SAO_JS=$SAO_DIR/package/dist/tryton-sao.js
PATCHED=$("$VPY" "$ROOT/scripts/patch_sao.py" "$SAO_JS") \
    || die "could not patch sao ($SAO_JS): see scripts/patch_sao.py"
while IFS= read -r name; do
    [ -n "$name" ] && log "sao: $name"
done <<< "$PATCHED"

# --- sao's Chinese ------------------------------------------------------------
# sao 8.0's zh_CN.json leaves out the strings its zh_CN.po marks fuzzy
# ("Email...", "Help...", ...): add ours (scripts/sao-zh_CN.json), so that
# the Chinese users see no English in sao's own menus.
SAO_ZH=$SAO_DIR/package/locale/zh_CN.json
"$VPY" - "$SAO_ZH" "$ROOT/scripts/sao-zh_CN.json" <<'EOF'
import json
import sys

path, ours = sys.argv[1:]
with open(path, encoding='utf-8') as file:
    translations = json.load(file)
with open(ours, encoding='utf-8') as file:
    missing = {
        source: [None, target] for source, target in json.load(file).items()
        if source not in translations}
if missing:
    translations.update(missing)
    with open(path, 'w', encoding='utf-8') as file:
        json.dump(translations, file, ensure_ascii=False)
    print(f"[install] sao: {len(missing)} zh_CN strings added",
        file=sys.stderr)
EOF

# --- the web root: only what sao loads ---------------------------------------
# trytond serves every file below [web] root to anyone; sao's package also
# holds its sources, tests, package.json and node_modules.  Built from the
# package after every patch above, on every run (about 0.1 s).
"$VPY" "$ROOT/scripts/sao_webroot.py" "$SAO_DIR/package" "$SAO_DIR/web" \
    | while read -r line; do log "$line"; done

mkdir -p "$ROOT/var/db"
log "done in $((SECONDS - START)) s"
