# shellcheck shell=bash
# Shared by build.sh and samples/build.sh (sourced, not run): logging, host tools, the root
# check, the work directory that becomes a cache entry only when complete, Debian root trees.
# The sourcing script sets TAG (its log prefix) first.
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
SECURITY=http://deb.debian.org/debian-security
START=$SECONDS

log() { echo "[$TAG] $(( SECONDS - START ))s $*" >&2; }

# missing_packages CMD:PACKAGE...: prints the package of every command not on the PATH
missing_packages() {
    local t
    for t in "$@"; do command -v "${t%%:*}" >/dev/null || echo "${t#*:}"; done
}

# install_packages PACKAGE...: installs them as root on Debian/Ubuntu, else names them and exits
install_packages() {
    [ $# -gt 0 ] || return 0
    if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
        log "installing host packages: $*"
        apt-get install -y --no-install-recommends "$@" >&2
    else
        echo "[$TAG] missing host tools: run 'apt-get install $*' as root (Debian/Ubuntu)." >&2
        exit 2
    fi
}

# require_root: mmdebstrap root mode, device nodes and file ownership in the images need root
require_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "[$TAG] $0 must run as root (e.g. sudo MICROVM_SANDBOX_CACHE=\"$(dirname "$CACHE")\" $0)." >&2
        exit 2
    fi
}

# start_work: sets WORK, a directory next to $OUT that is removed on exit unless published
start_work() {
    mkdir -p "$CACHE"
    find "$CACHE" -maxdepth 1 -name '*.partial.*' -mtime +0 -exec rm -rf {} + 2>/dev/null || true
    WORK=$OUT.partial.$$
    trap 'rm -rf "$WORK"' EXIT
    mkdir -p "$WORK"
}

# publish: makes $WORK the cache entry $OUT in one rename
publish() {
    # -T: if a concurrent build published first, keep its result and drop ours
    mv -T "$WORK" "$OUT" 2>/dev/null || log "already built by another process"
    log "done: $OUT"
}

# debian_tree VARIANT PACKAGES DEST [MMDEBSTRAP-OPTION...]: a $SUITE tree without docs, man
# pages, locales or apt lists; the mmdebstrap log's tail goes to stderr if it fails
debian_tree() {
    local variant=$1 packages=$2 dest=$3; shift 3
    # shellcheck disable=SC2016 # "$1" in a hook is the tree, expanded by mmdebstrap's hook shell
    mmdebstrap --variant="$variant" --mode=root --include="$packages" \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*' \
        "$@" \
        "$SUITE" "$dest" \
        "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY $SUITE-security main" \
        </dev/null > "$dest.mmdebstrap.log" 2>&1 || { tail -20 "$dest.mmdebstrap.log" >&2; exit 1; }
    rm -f "$dest.mmdebstrap.log"
}
