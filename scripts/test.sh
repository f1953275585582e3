#!/usr/bin/env bash
# Every test, from a fresh Debian 12 machine: install what is missing, build with warnings as
# errors, run the whole suite through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh neovim
scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)"
