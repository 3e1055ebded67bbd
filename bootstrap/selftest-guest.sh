#!/bin/sh
# Image self-test, run by bootstrap/init when the kernel command line has msb.selftest=1.
# Proves podman (crun, cgroupfs, overlay), cgroup delegation, image load, run, build and
# bridge networking with port mapping. Prints MSB-SELFTEST-OK or MSB-SELFTEST-FAIL.
set -u
IMG=localhost/microvm-sandbox/busybox
fails=0
t0=$(cut -d' ' -f1 /proc/uptime)
step() {   # NAME EXPECTED-SUBSTRING COMMAND...: run, show output tail, check it
    name=$1 want=$2; shift 2
    out=$("$@" 2>&1); rc=$?
    case "$out" in
        *"$want"*) [ $rc = 0 ] && { echo "SELFTEST $name ok: $(echo "$out" | tail -1)"; return 0; };;
    esac
    echo "SELFTEST $name FAILED (rc=$rc):"; echo "$out" | tail -5
    fails=$((fails + 1)); return 1
}

echo "SELFTEST kernel $(uname -r)"
step info "crun cgroupfs overlay" podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}} {{.Store.GraphDriverName}}'
step cgroups "memory pids" cat /sys/fs/cgroup/cgroup.subtree_control

mkdir -p /run/msb/images
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro msb-images /run/msb/images \
    || echo "SELFTEST no msb-images share"
step load "$IMG" podman load -i /run/msb/images/busybox.tar
step run RUN_OK podman run --rm $IMG echo RUN_OK

ctx=$(mktemp -d)
printf 'FROM %s\nRUN echo built > /built\n' "$IMG" > "$ctx/Containerfile"
step build "" podman build --isolation=chroot -t localhost/selftest/built "$ctx"
step build-run BUILD_OK podman run --rm localhost/selftest/built sh -c 'grep -q built /built && echo BUILD_OK'

step httpd "" podman run -d --name web -p 8080:80 $IMG \
    sh -c 'mkdir -p /www && echo NET_OK > /www/index.html && exec httpd -f -p 80 -h /www'
i=0; ok=
while [ $i -lt 50 ]; do   # httpd needs a moment to listen
    ok=$(curl -fsS -m 2 http://127.0.0.1:8080/ 2>/dev/null) && break
    i=$((i + 1)); sleep 0.2
done
step net NET_OK echo "$ok"
podman rm -f -t 0 web >/dev/null 2>&1

echo "SELFTEST took $(awk -v a="$t0" '{printf "%.1f", $1 - a}' /proc/uptime) s"
if [ $fails = 0 ]; then echo MSB-SELFTEST-OK; else echo "MSB-SELFTEST-FAIL $fails"; fi
[ $fails = 0 ]
