#!/usr/bin/env bash
# Every test, from a fresh Debian 12 machine: install what is missing, build with warnings as
# errors, run the whole suite through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh neovim
scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)"
cd ..

# The VS Code client: type check, formatting and unit tests, then end to end in a real VS Code
# (code-server from npm, installed outside git by the script) driven through chromium.
cd clients/vscode
npm ci --no-audit --no-fund
npm test
MANTRA_BIN="$(cd ../.. && pwd)/build/mantra" npm run e2e
