#!/bin/bash
# Builds the microvm-sandbox guest from Debian packages only:
#   vmlinux (uncompressed stock Debian kernel), initrd.img (busybox + a few modules),
#   rootfs.ext4 (read-only root: podman, crun, JRE 17, bootstrap), images/busybox.tar,
#   manifest.json (with size and sha256 of each of those files).
# Usage: sandbox-image/build.sh [--oci] [--print-dir]
# The last line on stdout is the output directory; progress goes to stderr.
# --print-dir: only print the directory this source tree builds to (exit 1 if not built).
# --oci: build the same root filesystem (without the kernel) as a container image archive,
#        sandbox.tar, for the Kata backends (see oci-archive.sh), into .../oci/<hash>/.
set -euo pipefail
MODE=vm
PRINT_DIR=
for arg in "$@"; do
    case $arg in
        --oci) MODE=oci ;;
        --print-dir) PRINT_DIR=1 ;;
        *) echo "usage: $0 [--oci] [--print-dir]" >&2; exit 2 ;;
    esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
# shellcheck disable=SC2034 # the log prefix common.sh reads
TAG=sandbox-image
. "$HERE/common.sh"
. "$HERE/oci-archive.sh"
PACKAGES=podman,crun,conmon,netavark,aardvark-dns,catatonit,iptables,nftables,iproute2,openjdk-17-jre-headless,junit5,busybox,kmod,ca-certificates,curl,linux-image-amd64
# modules the initramfs loads: those it needs to reach the root, and the balloon that gives freed
# guest memory back to the host (dependencies are resolved below)
INITRD_MODULES="virtio_mmio virtio_blk virtio_console virtio_rng virtio_balloon ext4 overlay 9p 9pnet_virtio"

# ---- cache key: content of every file under sandbox-image/ and bootstrap/ --------------
# (samples/, host-tools/, README.md, selftest.sh and install-host.sh are left out: they do not
# change the image)
hash=$(cd "$REPO" && find sandbox-image bootstrap \( -path sandbox-image/samples -o -path sandbox-image/host-tools \) -prune \
           -o -type f ! -name README.md ! -name selftest.sh ! -name install-host.sh -print | LC_ALL=C sort |
       while IFS= read -r f; do printf '%s\0' "$f"; cat "$f"; done | sha256sum | cut -c1-16)
CACHE=${MICROVM_SANDBOX_CACHE:-$HOME/.cache/microvm-sandbox}/guest
[ "$MODE" = oci ] && CACHE=$(dirname "$CACHE")/oci
OUT=$CACHE/$hash

if [ -f "$OUT/manifest.json" ]; then echo "$OUT"; exit 0; fi
if [ -n "$PRINT_DIR" ]; then echo "$OUT"; exit 1; fi

# ---- host tools, root, work directory ----------------------------------------------------
mapfile -t need < <(missing_packages mmdebstrap:mmdebstrap mkfs.ext4:e2fsprogs cpio:cpio depmod:kmod \
                        modprobe:kmod xz:xz-utils zstd:zstd sha256sum:coreutils)
# the initramfs and the test image need a static busybox (ldd fails on static binaries)
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need+=(busybox-static)
install_packages "${need[@]}"
require_root
start_work
ROOT=$WORK/root

# ---- root filesystem ---------------------------------------------------------------------
log "mmdebstrap $SUITE (minbase + podman, JRE 17, kernel modules)"
t=$SECONDS
# INITRD=No: the kernel's postinst would otherwise spend ~15 s on an initramfs we never use.
# man1 must exist for the JRE's update-alternatives.
# A container runs on its VM's kernel: the OCI image leaves the kernel package (the last) out.
[ "$MODE" = oci ] && PACKAGES=${PACKAGES%,linux-image-amd64}
# shellcheck disable=SC2016 # $1 is expanded by mmdebstrap's hook shell, not here
INITRD=No debian_tree minbase "$PACKAGES" "$ROOT" --setup-hook='mkdir -p "$1/usr/share/man/man1"'
log "mmdebstrap done in $(( SECONDS - t ))s"

if [ "$MODE" = vm ]; then
    for dir in "$ROOT"/lib/modules/*/; do KVER=$(basename "$dir"); break; done
    MODDIR=$ROOT/lib/modules/$KVER

    # Prune kernel modules no VM without hardware needs (saves ~250 MB); keep net, fs,
    # crypto, lib, virtio, block, char and the virtual network drivers (veth, bridge, ...).
    rm -rf "$MODDIR"/kernel/sound "$MODDIR"/kernel/net/{bluetooth,wireless,mac80211}
    for d in "$MODDIR"/kernel/drivers/*; do
        case ${d##*/} in block|char|virtio|net|crypto|md) ;; *) rm -rf "$d" ;; esac
    done
    rm -rf "$MODDIR"/kernel/drivers/net/{ethernet,wireless,usb,can,phy,wwan,ieee802154,hamradio,arcnet,fddi,appletalk,wan,dsa,mdio,pcs,plip,slip,fjes,hyperv,thunderbolt}
    depmod -b "$ROOT" "$KVER"
fi

# our files: static config, bootstrap; nothing from the build host (resolv.conf!)
cp -a "$HERE/rootfs-overlay/." "$ROOT/"
mkdir -p "$ROOT/sandbox/bootstrap"
cp -a "$REPO/bootstrap/." "$ROOT/sandbox/bootstrap/"
chmod 0755 "$ROOT"/sandbox/bootstrap/*
mkdir -p "$ROOT/var/lib/containers" "$ROOT/work"

if [ "$MODE" = oci ]; then
    write_oci_archive "$ROOT" "$WORK" "localhost/microvm-sandbox/sandbox:$hash" "$hash"
    rm -rf "$ROOT"
    publish
    echo "$OUT"
    exit 0
fi

# ---- kernel: uncompressed vmlinux (PVH entry; no decompression under TCG) ------------------
VMLINUZ=$ROOT/boot/vmlinuz-$KVER
extract_vmlinux() {   # like the kernel's scripts/extract-vmlinux
    local magic cmd pos
    for pair in 'fd377a585a00:xz -dc' '28b52ffd:zstd -dc' '1f8b0800:gzip -dc'; do
        magic=${pair%%:*} cmd=${pair#*:}
        # shellcheck disable=SC2001,SC2013 # sed turns hex pairs into \x escapes; grep prints one offset a word
        for pos in $(LC_ALL=C grep -obUaP "$(echo "$magic" | sed 's/../\\x&/g')" "$VMLINUZ" | cut -d: -f1); do
            tail -c +$((pos + 1)) "$VMLINUZ" | $cmd > "$WORK/vmlinux" 2>/dev/null || true
            if [ "$(head -c 4 "$WORK/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then return 0; fi
        done
    done
    return 1
}
extract_vmlinux || { echo "[sandbox-image] cannot extract vmlinux from $VMLINUZ" >&2; exit 1; }
rm -f "$ROOT"/boot/vmlinuz* "$ROOT"/boot/initrd.img* "$ROOT"/vmlinuz* "$ROOT"/initrd.img*
log "vmlinux $KVER extracted"

# ---- initramfs --------------------------------------------------------------------------
IR=$WORK/initramfs
mkdir -p "$IR"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$IR/bin/busybox"
cp "$HERE/initramfs-init" "$IR/init"
chmod 0755 "$IR/init"
mknod -m 600 "$IR/dev/console" c 5 1   # the kernel opens it before /init runs
: > "$IR/modules.list"
for m in $INITRD_MODULES; do
    modprobe -d "$ROOT" -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while IFS= read -r ko; do
    name=$(basename "$ko")
    cp "$ko" "$IR/lib/modules/$name"
    echo "$name" >> "$IR/modules.list"
done
# uncompressed: gzip would save ~2 MB but costs decompression time under TCG
(cd "$IR" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) > "$WORK/initrd.img"
log "initramfs: $(wc -l < "$IR/modules.list") modules"

# ---- test container image: busybox as a docker-archive ------------------------------------
# hand-written layer, config and manifest: no docker or podman on the build host
TI=$WORK/testimage
mkdir -p "$TI/rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,root,var} "$WORK/images"
chmod 1777 "$TI/rootfs/tmp"
cp /bin/busybox "$TI/rootfs/bin/busybox"
for a in $(/bin/busybox --list-full); do
    [ "$a" = bin/busybox ] || [ -e "$TI/rootfs/$a" ] || ln -s /bin/busybox "$TI/rootfs/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$TI/rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$TI/rootfs/etc/group"
tar -C "$TI/rootfs" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$TI/layer.tar" .
layer=$(sha256sum < "$TI/layer.tar" | cut -d' ' -f1)
mkdir -p "$TI/archive/$layer"
mv "$TI/layer.tar" "$TI/archive/$layer/layer.tar"
cat > "$TI/config.json" <<EOF
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:$layer"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"microvm-sandbox build.sh: busybox-static"}]}
EOF
config=$(sha256sum < "$TI/config.json" | cut -d' ' -f1)
mv "$TI/config.json" "$TI/archive/$config.json"
printf '[{"Config":"%s.json","RepoTags":["localhost/microvm-sandbox/busybox:latest"],"Layers":["%s/layer.tar"]}]\n' \
    "$config" "$layer" > "$TI/archive/manifest.json"
tar -C "$TI/archive" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$WORK/images/busybox.tar" .
rm -rf "$TI" "$IR"
log "test image images/busybox.tar"

# ---- root image: ext4 from the directory (no loop device), no journal (read-only) ---------
t=$SECONDS
kb=$(du -sk --apparent-size "$ROOT" | cut -f1)
files=$(find "$ROOT" -xdev | wc -l)
size_kb=$(( kb + kb / 10 + 65536 ))   # content + 10% + 64 MiB for metadata
rm -f "$WORK/rootfs.ext4"
mkfs.ext4 -q -F -L msb-root -O ^has_journal -m 0 -N $(( files + files / 2 + 1024 )) \
    -d "$ROOT" "$WORK/rootfs.ext4" "${size_kb}k" >&2
rm -rf "$ROOT"
log "rootfs.ext4 made in $(( SECONDS - t ))s"

# ---- manifest, then publish atomically ----------------------------------------------------
size() { stat -c %s "$1"; }
# size and sha256 of every file the host hands to qemu: GuestImage checks them on use
files=$(cd "$WORK" && for f in vmlinux initrd.img rootfs.ext4 images/*.tar; do
    printf '%s\n  "%s":{"bytes":%s,"sha256":"%s"}' "${sep:-}" "$f" "$(size "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"; sep=,
done)
cat > "$WORK/manifest.json" <<EOF
{"hash":"$hash","kernelVersion":"$KVER","builtAt":"$(date -u +%Y-%m-%dT%H:%M:%SZ)","buildSeconds":$(( SECONDS - START )),
 "rootfsBytes":$(size "$WORK/rootfs.ext4"),"vmlinuxBytes":$(size "$WORK/vmlinux"),"initrdBytes":$(size "$WORK/initrd.img"),
 "javaVersion":"17",
 "files":{$files}}
EOF
publish
echo "$OUT"
