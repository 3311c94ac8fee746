# Shared helpers for the scripts in this folder; source it, do not run it.
#   . "$(dirname "$0")/lib.sh"
# Sets ROOT (the repository root) and defines log/die/need_root_for,
# apt_install, as_owner and python_bin.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export ROOT

log() {
    printf '[%s] %s\n' "${LOG_TAG:-$(basename "$0" .sh)}" "$*" >&2
}

die() {
    printf '[%s] ERROR: %s\n' "${LOG_TAG:-$(basename "$0" .sh)}" "$*" >&2
    exit 1
}

# apt_install PACKAGE...: install Debian packages when running as root;
# otherwise stop and say what to install.  `apt-get update` runs once per
# process.
apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        die "missing system packages: $*
    install them first (as root): apt-get update && apt-get install -y $*"
    fi
    command -v apt-get >/dev/null 2>&1 \
        || die "missing system packages ($*) and apt-get is not available"
    if [ -z "${_APT_UPDATED:-}" ]; then
        log "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        _APT_UPDATED=1
    fi
    log "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "$@" >&2
}

# free_port: print a free TCP port on 127.0.0.1.
free_port() {
    "${PYTHON:-python3}" - <<'EOF'
import socket
with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    print(s.getsockname()[1])
EOF
}

# as_owner CMD...: run CMD as the PostgreSQL cluster owner (postgres when
# root).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# python_bin: the project's Python (.venv) or the system's.
python_bin() {
    if [ -x "$ROOT/.venv/bin/python" ]; then
        echo "$ROOT/.venv/bin/python"
    else
        echo python3
    fi
}
