#!/bin/bash
# Benchmark: the wall time of the service sample's `mvn verify`, without the sandbox (Testcontainers
# against the host's own podman) and sandboxed (the strict setup, the test JVM in a microVM),
# in one run, one after the other on the same machine. Prints a table; run it on an otherwise idle machine.
#
# Usage: sandbox-image/host-tools/bench-service.sh [ROUNDS]     (default 1 round of each)
#
# The library is installed into target/bench/m2 (never ~/.m2); the sample is copied to
# target/bench/service; the host's podman keeps its store in target/bench/host-podman.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-1}
WORK=$REPO/target/bench
M2=$WORK/m2
PODMAN=$WORK/host-podman
log() { echo "[bench-service] $*" >&2; }

mkdir -p "$WORK"
sed "s#@localRepositoryUrl@#file://$HOME/.m2/repository#" "$REPO/src/it/settings.xml" > "$WORK/settings.xml"
MVN=(mvn -B -q -s "$WORK/settings.xml" -Dmaven.repo.local="$M2")

log "installing the library into $M2"
(cd "$REPO" && "${MVN[@]}" install -DskipTests -Dinvoker.skip -Dspotless.check.skip -Dexec.skip)
images=$("$REPO/sandbox-image/samples/build.sh" | tail -1)
"$REPO/sandbox-image/build.sh" >/dev/null

"$REPO/sandbox-image/host-tools/host-podman.sh" start "$PODMAN" 3600 >/dev/null
trap '"$REPO/sandbox-image/host-tools/host-podman.sh" stop "$PODMAN" >/dev/null' EXIT
"$REPO/sandbox-image/host-tools/host-podman.sh" load "$PODMAN" "$images/postgres.tar" docker.io/library/postgres:16-alpine

# run NAME ARGS...: one clean `mvn verify` of a fresh copy of the sample; prints its seconds
run() {
    local name=$1; shift
    rm -rf "$WORK/service"
    cp -r "$REPO/sample-projects/service" "$WORK/service"
    rm -rf "$WORK/service/target"
    local start=$SECONDS
    if ! (cd "$WORK/service" && mvn -B -s "$WORK/settings.xml" -Dmaven.repo.local="$M2" verify \
            -Dsample.images.script="$REPO/sandbox-image/samples/build.sh" "$@" > "$WORK/$name.log" 2>&1); then
        log "$name failed; see $WORK/$name.log"
        exit 1
    fi
    echo $(( SECONDS - start ))
}

export DOCKER_HOST=unix://$PODMAN/podman.sock TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_CHECKS_DISABLE=true
plain=(); sandboxed=()
for i in $(seq 1 "$ROUNDS"); do
    log "round $i: without the sandbox"
    plain+=("$(run without-sandbox -Pwithout-sandbox)")
    log "round $i: sandboxed"
    sandboxed+=("$(run sandboxed)")
done

echo "| run (service sample, mvn verify, $(nproc) cores) | wall time per round (s) |"
echo "| --- | --- |"
echo "| without the sandbox (host podman) | ${plain[*]} |"
# the launcher's ready line: "sandbox vm1 ready in 39.5 s (TCG because ...)"
accel=$(grep -o 'sandbox [^ ]* ready in [0-9.]* s ([A-Z]*' "$WORK/sandboxed.log" | head -1 | sed 's/.*(//')
echo "| sandboxed (strict setup, ${accel:-accelerator not logged}) | ${sandboxed[*]} |"
echo "| ratio sandboxed / without, round 1 | $(awk -v a="${sandboxed[0]}" -v b="${plain[0]}" 'BEGIN { printf "%.1f", a / b }') |"
