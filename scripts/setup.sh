#!/usr/bin/env bash
# Installs the Debian 12 packages Mantra builds and tests with, when any is missing.
# Uses sudo when not root. Safe to run again: does nothing when all are present.
set -euo pipefail

packages=(cmake g++ make pkg-config git python3 nlohmann-json3-dev libasio-dev libsqlite3-dev
          libgit2-dev libdtl-dev catch2 libpcre2-dev libhyperscan-dev libzstd-dev)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "setup: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
