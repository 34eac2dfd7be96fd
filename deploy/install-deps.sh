#!/usr/bin/env bash
# Installs the system libraries Growda builds against (Debian/Ubuntu; libgdcm-dev reads DICOM), the tools the
# multi-host test (deploy/netns-test.sh) uses: iproute2 (ip, tc) and jq, and chromium for the headless console
# tests.
# A no-op when they are already present; runs `apt-get update` once, only when something is missing.
set -euo pipefail

packages=(libzmq3-dev libsodium-dev libpng-dev libopenblas-dev libgdcm-dev chromium pkg-config iproute2 jq)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all system packages present (${packages[*]})"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "install-deps: need root to install: ${missing[*]}" >&2
        echo "install-deps: run as root, or install them with your package manager" >&2
        exit 1
    fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
