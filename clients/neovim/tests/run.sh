#!/usr/bin/env bash
# Runs the Neovim client's tests: headless Neovim (0.7.2 or newer) against a real `mantra serve`
# on the fixture sessions in tests/fixtures/generated/.
#   clients/neovim/tests/run.sh [MANTRA_BINARY]     (default: $MANTRA_BIN, else build/mantra)
# MANTRA_TEST_ONLY=PATTERN runs only the tests whose name matches the Lua pattern.
# Exit code 0 when every test passed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
client=$(dirname "$here")
root=$(cd "$client/../.." && pwd)
bin=${1:-${MANTRA_BIN:-$root/build/mantra}}
if [[ ! -x $bin ]]; then
  echo "run.sh: no mantra executable at '$bin' (build it, or pass its path)" >&2
  exit 2
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
if ! command -v nvim >/dev/null; then
  echo "run.sh: nvim not found (apt-get install neovim)" >&2
  exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Neither the tests nor the server read or write this user's config, data or cache.
export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache XDG_STATE_HOME=$tmp/state
unset MANTRA_DB

db=$tmp/mantra.db
for agent in claude codex gemini; do
  "$bin" --db "$db" index "$root/tests/fixtures/generated/$agent/home" >/dev/null
done

cd "$root"
echo "Neovim: $(nvim --version | head -1); mantra: $("$bin" --version)"
MANTRA_TEST_BIN=$bin MANTRA_TEST_DB=$db MANTRA_TEST_TMP=$tmp \
  MANTRA_TEST_FIXTURES=$root/tests/fixtures/generated \
  timeout 120 nvim --headless -u NONE -i NONE -n --cmd "set rtp+=$client" \
  -c "luafile $here/run.lua" -c 'cquit 1'
