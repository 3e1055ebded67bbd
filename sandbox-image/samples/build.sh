#!/bin/bash
# Builds the container images the sample projects use, from Debian packages only, as
# docker-archive files that `podman load` (and `docker load`) accept:
#   redis.tar     localhost/samples/redis:7 (also :7-alpine)   Debian redis-server, no config
#                                                               file, port 6379
#   webapp.tar    localhost/samples/webapp:1   busybox httpd + a CGI that INCRs "hits" in redis
#                                              (host alias "redis"), port 8080
#   postgres.tar  localhost/samples/postgres:16-alpine (also :15)   Debian's PostgreSQL 15 with
#                 the official image's entrypoint contract (POSTGRES_USER/PASSWORD/DB, initdb,
#                 /docker-entrypoint-initdb.d), port 5432; without LLVM (JIT), perl or locales
# The tags are the ones Testcontainers' modules ask for (postgres:16-alpine, redis:7-alpine): in
# the sandbox a requested name finds the preloaded image with the same repository and tag.
# No docker or podman on the build host: mmdebstrap makes the root filesystem, the layer tar,
# image config and manifest.json are written here.
#
# Usage: sandbox-image/samples/build.sh [--print-dir] [--link DIR]
#   The output directory is ${MICROVM_SANDBOX_CACHE:-~/.cache/microvm-sandbox}/sample-images/<hash>,
#   <hash> covering every file under samples/ and ../common.sh. The last line on stdout is that directory;
#   progress goes to stderr.
#   --print-dir  only print the directory this source tree builds to (exit 1 if not built)
#   --link DIR   also make DIR/<name>.tar symlinks to the built archives (used by the samples'
#                poms: target/sample-images/redis.tar)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TAG=sample-images
. "$HERE/../common.sh"
CREATED=1970-01-01T00:00:00Z
PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

PRINT_DIR=0
LINK_DIR=
while [ $# -gt 0 ]; do
    case "$1" in
        --print-dir) PRINT_DIR=1 ;;
        --link) LINK_DIR=${2:?--link needs a directory}; shift ;;
        *) echo "usage: $0 [--print-dir] [--link DIR]" >&2; exit 2 ;;
    esac
    shift
done

# ---- cache key: path, mode and content of every file under samples/, and common.sh -------
hash=$(cd "$HERE" && { find . -type f ! -name README.md -print; echo ../common.sh; } | LC_ALL=C sort |
       while IFS= read -r f; do printf '%s\0%s\0' "$f" "$(stat -c %a "$f")"; cat "$f"; done |
       sha256sum | cut -c1-16)
CACHE=${MICROVM_SANDBOX_CACHE:-$HOME/.cache/microvm-sandbox}/sample-images
OUT=$CACHE/$hash

link_outputs() {
    [ -n "$LINK_DIR" ] || return 0
    mkdir -p "$LINK_DIR"
    for f in "$OUT"/*.tar; do ln -sfn "$f" "$LINK_DIR/$(basename "$f")"; done
    log "linked $(cd "$OUT" && echo *.tar) into $LINK_DIR"
}

if [ -f "$OUT/images.json" ]; then link_outputs; echo "$OUT"; exit 0; fi
if [ "$PRINT_DIR" = 1 ]; then echo "$OUT"; exit 1; fi

# ---- host tools, root, work directory ----------------------------------------------------
mapfile -t need < <(missing_packages mmdebstrap:mmdebstrap sha256sum:coreutils python3:python3-minimal)
install_packages "${need[@]}"
require_root
start_work

# rootfs NAME PACKAGES [HOOK...]: mmdebstrap --variant=essential (dash for /bin/sh, grep,
# coreutils: what Testcontainers' port wait runs in the container) plus PACKAGES.
rootfs() {
    local name=$1 packages=$2; shift 2
    local t=$SECONDS
    log "$name: mmdebstrap $SUITE essential + $packages"
    # shellcheck disable=SC2016 # "$1" in a hook is the tree, expanded by mmdebstrap's hook shell
    debian_tree essential "$packages" "$WORK/$name.root" \
        --customize-hook='rm -f "$1"/etc/hostname "$1"/etc/resolv.conf' "$@"
    for tool in bin/sh bin/grep; do
        [ -e "$WORK/$name.root/$tool" ] || { echo "[$TAG] $name: /$tool missing" >&2; exit 1; }
    done
    log "$name: rootfs in $(( SECONDS - t ))s ($(du -sm "$WORK/$name.root" | cut -f1) MiB)"
}

# archive NAME "REF..." CONFIG_JSON: one-layer docker-archive $WORK/NAME.tar from $WORK/NAME.root,
# named by every REF (space-separated). CONFIG_JSON is the image's "config" object (Cmd, Env,
# ExposedPorts, ...).
archive() {
    local name=$1 refs=$2 config=$3
    local A=$WORK/$name.archive
    mkdir -p "$A"
    # device nodes, mounts and runtime state are the container engine's business, not the image's
    tar -C "$WORK/$name.root" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
        --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' --exclude='./run/*' --exclude='./tmp/*' \
        -cf "$A/layer.tar" .
    rm -rf "$WORK/$name.root"
    local layer; layer=$(sha256sum < "$A/layer.tar" | cut -d' ' -f1)
    mkdir -p "$A/$layer"
    mv "$A/layer.tar" "$A/$layer/layer.tar"
    python3 - "$A" "$layer" "$refs" "$config" "$CREATED" <<'PY'
import hashlib, json, sys
a, layer, refs, config, created = sys.argv[1:]
refs = refs.split()
cfg = {"architecture": "amd64", "os": "linux", "created": created,
       "config": json.loads(config),
       "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer]},
       "history": [{"created": created, "created_by": "microvm-sandbox sandbox-image/samples/build.sh (mmdebstrap)"}]}
data = json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()
digest = hashlib.sha256(data).hexdigest()
open(f"{a}/{digest}.json", "wb").write(data)
repositories = {}
for ref in refs:
    repo, tag = ref.rsplit(":", 1)
    repositories.setdefault(repo, {})[tag] = layer
json.dump([{"Config": f"{digest}.json", "RepoTags": refs, "Layers": [f"{layer}/layer.tar"]}],
          open(f"{a}/manifest.json", "w"))
json.dump(repositories, open(f"{a}/repositories", "w"))
PY
    tar -C "$A" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$WORK/$name.tar" .
    rm -rf "$A"
    log "$name: $name.tar ($refs, $(( $(stat -c %s "$WORK/$name.tar") / 1048576 )) MiB)"
}

# ---- redis: Debian's redis-server, run with no config file (Debian's binds 127.0.0.1 and
#      logs to a file); it logs "Ready to accept connections" to stdout ----------------------
rootfs redis redis-server
archive redis "localhost/samples/redis:7 localhost/samples/redis:7-alpine" '{
  "Env":["'"$PATH_ENV"'"],
  "Cmd":["redis-server","--protected-mode","no"],
  "ExposedPorts":{"6379/tcp":{}},
  "WorkingDir":"/var/lib/redis",
  "Labels":{"org.opencontainers.image.title":"samples/redis","org.opencontainers.image.description":"Debian bookworm redis-server"}}'

# ---- webapp: busybox httpd with a CGI shell script calling redis-cli -h redis INCR hits;
#      logs "webapp listening on port 8080" once the socket listens --------------------------
# shellcheck disable=SC2016 # "$1" in a hook is the tree, expanded by mmdebstrap's hook shell
rootfs webapp busybox,redis-tools \
    --customize-hook="cp -a '$HERE/webapp/srv/.' \"\$1/srv/\"" \
    --customize-hook="install -m 0755 '$HERE/webapp/webapp' \"\$1/usr/local/bin/webapp\"" \
    --customize-hook='chroot "$1" busybox --list | grep -qx httpd'
archive webapp localhost/samples/webapp:1 '{
  "Env":["'"$PATH_ENV"'","PORT=8080","REDIS_HOST=redis"],
  "Cmd":["/usr/local/bin/webapp"],
  "ExposedPorts":{"8080/tcp":{}},
  "Labels":{"org.opencontainers.image.title":"samples/webapp","org.opencontainers.image.description":"busybox httpd + redis-cli counter"}}'

# ---- postgres: Debian's postgresql-15 behind the official image's entrypoint contract
#      (postgres/docker-entrypoint.sh); postgres/customize.sh purges what the server does not
#      need to start (LLVM, perl, locales, ...) and installs the entrypoint ----------------------
PG_BIN=/usr/lib/postgresql/15/bin
rootfs postgres postgresql-15 \
    --dpkgopt='path-exclude=/usr/lib/postgresql/15/lib/bitcode/*' \
    --dpkgopt='path-exclude=/usr/lib/postgresql/15/lib/llvmjit*' \
    --customize-hook="$HERE/postgres/customize.sh"
archive postgres "localhost/samples/postgres:16-alpine localhost/samples/postgres:15" '{
  "Env":["PATH='"$PG_BIN"':/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8","PGDATA=/var/lib/postgresql/data"],
  "Entrypoint":["docker-entrypoint.sh"],
  "Cmd":["postgres"],
  "StopSignal":"SIGINT",
  "ExposedPorts":{"5432/tcp":{}},
  "Volumes":{"/var/lib/postgresql/data":{}},
  "Labels":{"org.opencontainers.image.title":"samples/postgres","org.opencontainers.image.description":"Debian bookworm postgresql-15 behind the official postgres image entrypoint contract"}}'

# ---- index, then publish atomically ------------------------------------------------------
python3 - "$WORK" "$hash" <<'PY'
import hashlib, json, os, sys, tarfile
work, h = sys.argv[1:]
images = {}
for f in sorted(os.listdir(work)):
    if not f.endswith(".tar"):
        continue
    p = os.path.join(work, f)
    with tarfile.open(p) as t:
        manifest = json.load(t.extractfile("./manifest.json"))
    sha = hashlib.sha256()
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    images[f] = {"format": "docker-archive", "refs": manifest[0]["RepoTags"],
                 "sha256": sha.hexdigest(), "bytes": os.path.getsize(p)}
json.dump({"hash": h, "images": images}, open(os.path.join(work, "images.json"), "w"), indent=1)
PY
publish
link_outputs
echo "$OUT"
