#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install what is missing, build, index this
# machine's agent sessions (or, when it has none, the sample sessions shipped in
# tests/fixtures/generated into a throwaway database) and show the newest sessions, a search, and
# the files the newest editing session changed with the diff of its first change.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh --target mantra >/dev/null
mantra=build/mantra

if [ -n "$("$mantra" index --dry-run 2>/dev/null | head -n 1)" ]; then
  echo "== Indexing this machine's sessions into ${MANTRA_DB:-the default database}"
  args=()
  query=${1:-error}
else
  db_dir=$(mktemp -d)
  trap 'rm -rf "$db_dir"' EXIT
  export MANTRA_DB="$db_dir/mantra.db"
  echo "== No agent sessions on this machine: indexing the bundled samples into a throwaway database"
  args=(tests/fixtures/generated) # genuine sessions written by the real agent CLIs
  query=${1:-"failing test"}
fi
"$mantra" index "${args[@]}"
echo
echo "== Newest sessions (mantra sessions --limit 10)"
"$mantra" sessions --limit 10
echo
echo "== mantra search --limit 5 \"$query\""
"$mantra" search --limit 5 "$query"
# The newest session that changed files: what it touched and the diff of its first change.
newest=$("$mantra" sessions --json --limit 50 | python3 -c '
import json, subprocess, sys
for s in json.load(sys.stdin)["sessions"]:
    out = subprocess.run([sys.argv[1], "files", "--json", s["id"]], capture_output=True, text=True)
    if out.returncode == 0:
        changed = [f for f in json.loads(out.stdout)["files"] if f["changedAt"]]
        if changed:
            print(s["id"], changed[0]["changedAt"][0], changed[0]["path"])
            break
' "$mantra" || true)
if [ -n "$newest" ]; then
  read -r sid seq path <<<"$newest"
  echo
  echo "== Files the newest editing session touched (mantra files $sid)"
  "$mantra" files "$sid" | head -n 20
  echo
  echo "== What step #$seq did to $path (mantra diff $sid $seq $path)"
  "$mantra" diff "$sid" "$seq" "$path" | head -n 40
fi
echo
echo "Next: build/mantra show <session>   ·   build/mantra file <session> <step> <path>   ·   build/mantra search <words>   ·   build/mantra help"
