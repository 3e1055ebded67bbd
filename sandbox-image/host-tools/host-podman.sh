#!/bin/bash
# The host's own podman as a Docker API for plain (unsandboxed) test runs, the baseline that
# sandboxed runs are compared with. Everything lives under DIR: the API socket, an image store of
# its own (other users of the host's podman see none of it) and the service's log; its runtime
# state is in /run/host-podman-<hash of DIR> (podman takes no runroot longer than 50 characters).
#
# Usage: sandbox-image/host-tools/host-podman.sh start DIR [IDLE]
#            prints DOCKER_HOST=unix://DIR/podman.sock; the service ends after IDLE seconds
#            unused (default 0: never)
#        sandbox-image/host-tools/host-podman.sh load DIR ARCHIVE [NAME...]
#            podman load, then tag each NAME
#        sandbox-image/host-tools/host-podman.sh stop DIR
#            removes the containers, stops the service
#
# Two adjustments this host kind needs (see the README): crun refuses cgroup v1 with a cgroup2
# mount at /sys/fs/cgroup/unified ("hybrid mode"), so the service runs in a private mount
# namespace without it; crun cannot raise nofile/nproc past the host's hard limits, so a
# containers.conf asks for no more than those.
set -euo pipefail

TAG=host-podman
log() { echo "[$TAG] $*" >&2; }

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|load|stop DIR [ARCHIVE NAME...]" >&2
    exit 2
fi
command -v podman >/dev/null || { log "podman is not installed (apt-get install podman)"; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
sock=$dir/podman.sock
# podman refuses a runroot longer than 50 characters: a short one named after DIR
runroot=/run/host-podman-$(printf '%s' "$dir" | sha256sum | cut -c1-12)
store=(--root "$dir/storage" --runroot "$runroot")

service_pid() {
    local pid
    pid=$(cat "$dir/service.pid" 2>/dev/null) || return 1
    kill -0 "$pid" 2>/dev/null && echo "$pid"
}

remote() { podman --remote --url "unix://$sock" "$@"; }

case "$cmd" in
start)
    if pid=$(service_pid); then
        log "already running (pid $pid)"
        echo "DOCKER_HOST=unix://$sock"
        exit 0
    fi
    # podman itself lowers nproc to the kernel's pid_max
    nofile=$(ulimit -Hn); nproc=$(ulimit -Hu); pid_max=$(cat /proc/sys/kernel/pid_max)
    [ "$nofile" = unlimited ] && nofile=1048576
    if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ]; then nproc=$pid_max; fi
    cat > "$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "crun"
EOF
    rm -f "$sock"
    # shellcheck disable=SC2016 # $1..$4 belong to the inner shell
    CONTAINERS_CONF=$dir/containers.conf setsid unshare -m --propagation private sh -c '
        if grep -q " /sys/fs/cgroup/unified " /proc/self/mounts; then umount /sys/fs/cgroup/unified; fi
        exec podman --root "$1" --runroot "$2" system service --time="$4" "unix://$3"
    ' host-podman "$dir/storage" "$runroot" "$sock" "${3:-0}" > "$dir/service.log" 2>&1 < /dev/null &
    echo $! > "$dir/service.pid"
    for _ in $(seq 1 300); do
        if curl -fsS --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; then
            log "podman API on unix://$sock (pid $(cat "$dir/service.pid"), store $dir/storage)"
            echo "DOCKER_HOST=unix://$sock"
            exit 0
        fi
        service_pid >/dev/null || break
        sleep 0.2
    done
    log "podman did not answer on $sock; its log:"
    tail -20 "$dir/service.log" >&2
    exit 1
    ;;
load)
    archive=${3:?load needs an archive}
    shift 3
    CONTAINERS_CONF=$dir/containers.conf podman "${store[@]}" load -q -i "$archive" >&2
    for name in "$@"; do
        source=$(tar -xOf "$archive" manifest.json 2>/dev/null || tar -xOf "$archive" ./manifest.json)
        first=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RepoTags"][0])' <<< "$source")
        CONTAINERS_CONF=$dir/containers.conf podman "${store[@]}" tag "$first" "$name"
        log "$name is $first"
    done
    ;;
stop)
    if pid=$(service_pid); then
        remote rm -af -t 0 >/dev/null 2>&1 || log "could not remove the containers (see $dir/service.log)"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do service_pid >/dev/null || break; sleep 0.2; done
        if pid=$(service_pid); then kill -9 "$pid" 2>/dev/null || true; fi
        log "stopped"
    else
        log "not running"
    fi
    rm -f "$dir/service.pid" "$sock"
    rm -rf "$runroot"
    ;;
*)
    echo "usage: $0 start|load|stop DIR [ARCHIVE NAME...]" >&2
    exit 2
    ;;
esac
