#!/usr/bin/env bash
# The VM integration tests (extension's *IT) and the hostile project with every VM confined to
# half a CPU (qemu-half-cpu as microvm.sandbox.qemu), every test bound scaled by SCALE: proof that
# no verdict depends on the machine's speed. Not part of the default suite; run it before a change
# to timing, on an otherwise idle machine. Needs root (cgroups) and a built library.
#   sandbox-image/host-tools/slow-suite.sh [SCALE [MAVEN ARGS...]]   SCALE: whole number, default 3;
#   for example: sandbox-image/host-tools/slow-suite.sh 3 -Dit.test=StopCauseIT -Dinvoker.skip
set -euo pipefail
cd "$(dirname "$0")/../.."
scale=${1:-3}
[ $# -gt 0 ] && shift
case "$scale" in '' | *[!0-9]* | 0) echo "slow-suite: SCALE must be a whole number >= 1, was '$scale'" >&2; exit 2;; esac
start=$SECONDS
rc=0
# -Dtest=none: no unit tests, Failsafe and the Invoker still run
mvn -B verify -pl .,extension,integration-tests \
    -Dmicrovm.sandbox.qemu="$PWD/sandbox-image/host-tools/qemu-half-cpu" \
    -Dtest.timeScale="$scale" -Dit.timeoutInSeconds=$((3600 * scale)) \
    -Dmicrovm.sandbox.bootTimeout=$((3 * scale))m \
    -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dinvoker.test=hostile "$@" || rc=$?
java .ci/Timings.java . || true
table=integration-tests/target/it-projects/hostile/target/attack-table.md
[ -f "$table" ] && cat "$table"
# the per-VM cgroups qemu-half-cpu made; each is empty once its qemu has exited
for cg in /sys/fs/cgroup/cpu/microvm-sandbox-slow/* /sys/fs/cgroup/microvm-sandbox-slow/*; do
    if [ -d "$cg" ]; then rmdir "$cg" 2>/dev/null || true; fi
done
rmdir /sys/fs/cgroup/cpu/microvm-sandbox-slow /sys/fs/cgroup/microvm-sandbox-slow 2>/dev/null || true
echo "slow-suite: done in $(( (SECONDS - start) / 60 )) min at half a CPU per VM, bounds x$scale (exit code $rc)"
exit "$rc"
