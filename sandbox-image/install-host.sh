#!/bin/bash
# Prepares a host to run sandboxes: installs QEMU and the image build tools (as root on
# Debian/Ubuntu; elsewhere it names the packages) and builds the guest image once
# (cached by content hash, so a second run returns at once).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# podman: the real-engine export test (HostPodmanExportTest) and the kata-docker tests (they skip
# where podman is absent); catatonit: podman kube play's pause image (PodManifestKubePlayIT);
# and the shell linter the project's own build runs on bootstrap/ and sandbox-image/ (shellcheck)
PACKAGES=(qemu-system-x86 qemu-utils mmdebstrap e2fsprogs busybox-static cpio kmod xz-utils zstd util-linux podman catatonit shellcheck)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "[install-host] installing ${missing[*]}" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
    else
        echo "[install-host] missing packages: ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) and run this again." >&2
        exit 2
    fi
fi
command -v mvn >/dev/null || { echo "[install-host] Maven is missing: install it (sudo apt-get install maven)." >&2; exit 2; }
"$HERE/build.sh"
