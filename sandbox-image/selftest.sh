#!/bin/bash
# Boots the built guest under QEMU the way the Java QEMU backend does and proves it works.
# Usage: sandbox-image/selftest.sh            full self-test (podman load/run/build/network)
#        sandbox-image/selftest.sh --ready N  boot N times to MSB-READY only, print the times
# Exit 0 when the guest printed MSB-SELFTEST-OK (or MSB-READY for --ready).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$("$HERE/build.sh" | tail -1)
RUNS=0
[ "${1:-}" = --ready ] && RUNS=${2:-3}

TMP=$(mktemp -d /tmp/msb-selftest.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/cp"   # the classpath share; empty here (no agent in the self-test)

# /dev/kvm here may be unusable (PVM); TCG always works
ACCEL=tcg
[ "${MSB_ACCEL:-}" = kvm ] && ACCEL=kvm
# Under TCG the guest TSC runs at the host TSC rate, but the kernel's PIT calibration of it
# fails on a busy host and the boot then hangs for ever (no timer ticks). Tell the kernel
# the rate instead (host "cpu MHz"; constant_tsc hosts). Not needed with KVM (kvm-clock).
TSC=
if [ "$ACCEL" = tcg ]; then
    khz=$(awk -F: '/^cpu MHz/ {printf "%d", $2 * 1000; exit}' /proc/cpuinfo)
    [ -n "$khz" ] && TSC="tsc_early_khz=$khz"
fi

scratch() {   # per-VM scratch disk: sparse, formatted on the host (the guest only mounts it)
    rm -f "$TMP/scratch.ext4" "$TMP/console.log"
    truncate -s 8G "$TMP/scratch.ext4"
    mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 "$TMP/scratch.ext4"
}

boot() {   # CMDLINE-EXTRA LOGFILE: one boot; console goes to LOGFILE
    timeout 300 qemu-system-x86_64 \
        -M microvm -accel $ACCEL,tb-size=128 -cpu max -smp 2 -m 2048 \
        -nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot \
        -kernel "$OUT/vmlinux" -initrd "$OUT/initrd.img" \
        -append "console=ttyS0 quiet panic=-1 reboot=t $TSC $1" \
        -drive id=root,file="$OUT/rootfs.ext4",format=raw,if=none,readonly=on -device virtio-blk-device,drive=root \
        -drive id=scratch,file="$TMP/scratch.ext4",format=raw,if=none -device virtio-blk-device,drive=scratch \
        -device virtio-rng-device \
        -device virtio-serial-device -chardev socket,id=ch0,path="$TMP/channel.sock",server=on,wait=off \
        -device virtserialport,chardev=ch0,name=msb.0 \
        -fsdev local,id=fs0,path="$TMP/cp",security_model=none,readonly=on -device virtio-9p-device,fsdev=fs0,mount_tag=msb-cp \
        -fsdev local,id=fs1,path="$OUT/images",security_model=none,readonly=on -device virtio-9p-device,fsdev=fs1,mount_tag=msb-images \
        < /dev/null > "$2" 2>&1 || true
}

if [ "$RUNS" -gt 0 ]; then
    times=()
    for i in $(seq "$RUNS"); do
        scratch
        t0=$(date +%s.%N)
        boot "" "$TMP/console.log" &
        pid=$!
        # boot-to-ready as the host sees it: QEMU start until the MSB-READY line
        until grep -q MSB-READY "$TMP/console.log" 2>/dev/null || ! kill -0 $pid 2>/dev/null; do sleep 0.05; done
        t1=$(date +%s.%N)
        wait $pid
        grep MSB-READY "$TMP/console.log" >&2 || { cat "$TMP/console.log" >&2; exit 1; }
        times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}')")
        echo "boot $i: ${times[-1]} s to MSB-READY" >&2
    done
    echo "median boot-to-ready: $(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p") s"
    exit 0
fi

scratch
t0=$SECONDS
boot msb.selftest=1 "$TMP/console.log"
cat "$TMP/console.log"
echo "selftest wall time: $(( SECONDS - t0 )) s (QEMU start to power-off)"
grep -q MSB-SELFTEST-OK "$TMP/console.log"
