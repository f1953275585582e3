#!/usr/bin/env bash
# End-to-end test of the extension in a real VS Code (code-server 4.100.3), offline, driven by
# playwright-core with Debian's chromium. Installs what is missing, then:
#   1. builds the extension and packages it as a .vsix (vsce);
#   2. builds `mantra` (or uses $MANTRA_BIN) and indexes a fixture session, rewritten so its
#      project is a temp workspace folder, into a temp database (plus a second agent's session
#      in another project, which the history panel must not list);
#   3. installs the .vsix into a fresh code-server profile and runs test/e2e/run.mjs.
# Screenshots of failed checks go to $E2E_ARTIFACTS (default clients/vscode/.e2e-artifacts).
# Environment: MANTRA_BIN (a built mantra), MANTRA_CODE_SERVER_DIR (code-server cache folder),
# E2E_KEEP=1 keeps the temp folder.
set -euo pipefail
cd "$(dirname "$0")/.."
here="$(pwd)"
root="$(cd ../.. && pwd)"
t0=$(date +%s)
log() { echo "e2e: [$(($(date +%s) - t0))s] $*" >&2; }

# --- Debian packages (chromium, and what code-server's native modules build with) -------------
need=()
for p in chromium libkrb5-dev ripgrep make python3 g++; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing Debian packages: ${need[*]}"
  bash "$root/scripts/setup.sh" "${need[@]}"
fi

# --- npm dependencies, extension build, .vsix --------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
log "packaging the extension"
npm run --silent package >/dev/null
vsix="$here/dist/mantra.vsix"

# --- the server ---------------------------------------------------------------------------------
mantra="${MANTRA_BIN:-}"
if [ -z "$mantra" ]; then
  for b in "$root/build/mantra" "$root/build-vscode/mantra"; do
    [ -x "$b" ] && mantra="$b" && break
  done
fi
if [ -z "$mantra" ]; then
  log "building mantra (build-vscode)"
  cmake -S "$root" -B "$root/build-vscode" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$root/build-vscode" -j2 --target mantra >/dev/null
  mantra="$root/build-vscode/mantra"
fi

# --- code-server ---------------------------------------------------------------------------------
code_server="$(bash scripts/install-code-server.sh)"

# --- fixture: the claude session, moved into a temp workspace ------------------------------------
tmp="$(mktemp -d /tmp/mantra-vscode-e2e.XXXXXX)"
cleanup() { [ "${E2E_KEEP:-}" = 1 ] && echo "e2e: kept $tmp" >&2 || rm -rf "$tmp"; }
trap cleanup EXIT
ws="$tmp/work-rich-claude"
home="$tmp/home"
mkdir -p "$ws" "$home"
cp -r "$root/tests/fixtures/generated/claude/home/." "$home/"
chmod -R u+w "$home"
# The work dir the fixture session ran in, as its EXPECTED.json records it.
old="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cwd"])' \
  "$root/tests/fixtures/generated/claude/EXPECTED.json")"
slug_old="$(echo "$old" | tr '/.' '--')"
slug_new="$(echo "$ws" | tr '/.' '--')"
mv "$home/.claude/projects/$slug_old" "$home/.claude/projects/$slug_new"
find "$home" -name '*.jsonl' -exec sed -i "s#$old#$ws#g" {} +
db="$tmp/mantra.db"
"$mantra" index --db "$db" "$home" >/dev/null
"$mantra" index --db "$db" "$root/tests/fixtures/generated/codex/home" >/dev/null
session="$("$mantra" sessions --db "$db" --project "$ws" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessions"][0]["id"])')"
last="$("$mantra" sessions --db "$db" --project "$ws" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessions"][0]["events"])')"
# The workspace holds the files as the session left them (for the hover).
"$mantra" files --db "$db" --json "$session" | python3 -c 'import json,sys; [print(f["path"]) for f in json.load(sys.stdin)["files"]]' |
  while read -r f; do
    mkdir -p "$ws/$(dirname "$f")"
    "$mantra" file --db "$db" "$session" "$last" "$f" >"$ws/$f" 2>/dev/null || rm -f "$ws/$f"
  done

log "running the UI checks (code-server $("$code_server" --version | head -1 | cut -d' ' -f1))"
export E2E_CODE_SERVER="$code_server" E2E_VSIX="$vsix" E2E_MANTRA="$mantra" E2E_DB="$db" \
  E2E_WORKSPACE="$ws" E2E_SESSION="$session" E2E_TMP="$tmp" \
  E2E_ARTIFACTS="${E2E_ARTIFACTS:-$here/.e2e-artifacts}"
rm -rf "$E2E_ARTIFACTS"
status=0
node test/e2e/run.mjs || status=$?
log "done"
exit $status
