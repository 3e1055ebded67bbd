#!/bin/bash
# Builds a kernel for this guest, to measure it against the stock one (the README's Numbers say
# what it gave): Debian's linux-source-6.1, configured from the stock kernel's own config with
# every module the guest loads built in (localyesconfig of the list below, taken from a guest
# that ran a container with a published port) and every other module left out, without debug
# info. Writes a copy of a built guest image that differs only in vmlinux and an initrd.img that
# loads no modules; run sandboxes on it with -Dmicrovm.sandbox.image=OUT.
# Usage: sandbox-image/host-tools/build-kernel.sh [--vmlinux FILE] [GUEST_IMAGE_DIR] OUT_DIR
#   (as root; the build took 50 min on 2 cores here, with other work running)
# GUEST_IMAGE_DIR defaults to the image this source tree builds (sandbox-image/build.sh).
# --vmlinux FILE: pair a kernel an earlier run built (OUT_DIR/vmlinux) with this guest image, no build.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2034 # the log prefix common.sh reads
TAG=build-kernel
. "$HERE/../common.sh"
PREBUILT=
if [ "${1:-}" = --vmlinux ]; then PREBUILT=$(realpath "$2"); shift 2; fi
case $# in
    1) IMAGE=$("$HERE/../build.sh" | tail -1); OUT=$1 ;;
    2) IMAGE=$1; OUT=$2 ;;
    *) echo "usage: $0 [--vmlinux FILE] [GUEST_IMAGE_DIR] OUT_DIR" >&2; exit 2 ;;
esac
[ -f "$IMAGE/manifest.json" ] || { echo "[build-kernel] no guest image in $IMAGE" >&2; exit 1; }
# OUT is replaced at the end: only ever an image this script wrote
if [ -e "$OUT" ] && ! grep -qs '"hash":"[0-9a-f]*-msb"' "$OUT/manifest.json"; then
    echo "[build-kernel] $OUT exists and is not a guest image this script wrote: not replacing it" >&2; exit 1
fi
# what the guest loads: the initramfs's modules and what podman and netavark load for a
# container with a published port (bridge, veth, nf_tables and the iptables compatibility)
MODULES="virtio_mmio virtio_blk virtio_console virtio_rng virtio_balloon virtio_ring virtio
ext4 jbd2 mbcache crc16 crc32c_generic crc32c_intel overlay 9p 9pnet 9pnet_virtio netfs fscache
nfnetlink nf_tables nft_compat nft_chain_nat x_tables xt_addrtype xt_nat xt_tcpudp xt_mark
xt_conntrack xt_comment xt_MASQUERADE nf_nat nf_conntrack nf_defrag_ipv4 nf_defrag_ipv6 libcrc32c
veth bridge stp llc br_netfilter tun"

mapfile -t need < <(missing_packages gcc:gcc make:make bc:bc flex:flex bison:bison cpio:cpio \
                        debugfs:e2fsprogs xz:xz-utils perl:perl)
[ -f /usr/include/libelf.h ] || need+=(libelf-dev)
[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
[ -n "$PREBUILT" ] || [ -f /usr/src/linux-source-6.1.tar.xz ] || need+=(linux-source-6.1)
install_packages "${need[@]}"
CACHE=$(dirname "$OUT")
require_root
start_work

build_vmlinux() {
    log "unpacking /usr/src/linux-source-6.1.tar.xz"
    tar -C "$WORK" -xf /usr/src/linux-source-6.1.tar.xz
    SRC=$WORK/linux-source-6.1
    KVER=$(sed -n 's/.*"kernelVersion":"\([^"]*\)".*/\1/p' "$IMAGE/manifest.json")
    debugfs -R "cat /boot/config-$KVER" "$IMAGE/rootfs.ext4" > "$SRC/.config" 2>/dev/null
    grep -q '^CONFIG_PVH=y' "$SRC/.config" || { echo "[build-kernel] no stock config in the image" >&2; exit 1; }
    { echo "Module Size Used"; for m in $MODULES; do echo "$m 0 0"; done; } > "$WORK/lsmod"
    cd "$SRC"
    scripts/config --set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
        --disable MODULE_SIG --disable DEBUG_INFO --disable DEBUG_INFO_DWARF5 \
        --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT --disable DEBUG_INFO_BTF --enable DEBUG_INFO_NONE \
        --set-str LOCALVERSION "-msb" --disable LOCALVERSION_AUTO
    make -s olddefconfig
    { yes '' || true; } | make -s LSMOD="$WORK/lsmod" localyesconfig >/dev/null
    for m in VIRTIO_MMIO VIRTIO_BLK VIRTIO_CONSOLE EXT4_FS OVERLAY_FS 9P_FS NET_9P_VIRTIO NF_TABLES BRIDGE VETH; do
        grep -q "^CONFIG_$m=y" .config || { echo "[build-kernel] CONFIG_$m is not built in" >&2; exit 1; }
    done
    log "building vmlinux ($(grep -c '=m$' .config) modules left as modules, none installed)"
    t=$SECONDS
    make -s -j"$(nproc)" vmlinux
    log "vmlinux built in $(( SECONDS - t ))s"
    strip --strip-all -o "$WORK/vmlinux" vmlinux   # symbols only; the PVH note stays
    RELEASE=$(cat include/config/kernel.release)
    cd "$WORK"
}

if [ -n "$PREBUILT" ]; then
    strip --strip-all -o "$WORK/vmlinux" "$PREBUILT"
    RELEASE=$(strings "$WORK/vmlinux" | sed -n 's/^Linux version \([^ ]*\) .*/\1/p' | head -1)
else
    build_vmlinux
fi

# the image: the same root, this kernel, the same initramfs init with no module to load
mkdir -p "$WORK/out/images" "$WORK/ir"
mv "$WORK/vmlinux" "$WORK/out/vmlinux"
cp "$IMAGE"/images/*.tar "$WORK/out/images/"
ln "$IMAGE/rootfs.ext4" "$WORK/out/rootfs.ext4" 2>/dev/null || cp "$IMAGE/rootfs.ext4" "$WORK/out/rootfs.ext4"
(cd "$WORK/ir" && cpio -idm --quiet < "$IMAGE/initrd.img" && rm -rf lib/modules/* && : > modules.list &&
    find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) > "$WORK/out/initrd.img"
cd "$WORK/out"
files=$(for f in vmlinux initrd.img rootfs.ext4 images/*.tar; do
    printf '%s\n  "%s":{"bytes":%s,"sha256":"%s"}' "${sep:-}" "$f" "$(stat -c %s "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"; sep=,
done)
cat > manifest.json <<EOF
{"hash":"$(sed -n 's/.*"hash":"\([^"]*\)".*/\1/p' "$IMAGE/manifest.json")-msb","kernelVersion":"$RELEASE","builtAt":"$(date -u +%Y-%m-%dT%H:%M:%SZ)","buildSeconds":$(( SECONDS - START )),
 "rootfsBytes":$(stat -c %s rootfs.ext4),"vmlinuxBytes":$(stat -c %s vmlinux),"initrdBytes":$(stat -c %s initrd.img),
 "javaVersion":"17",
 "files":{$files}}
EOF
rm -rf "$OUT" && mkdir -p "$(dirname "$OUT")" && mv "$WORK/out" "$OUT"
log "guest image with this kernel in $OUT"
echo "$OUT"
