#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install what is missing, build, index this
# machine's agent sessions (or, when it has none, the sample sessions shipped in
# tests/fixtures/generated into a throwaway database) and show the newest sessions and a search.
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
echo
echo "Next: build/mantra show <session id or prefix>   ·   build/mantra search <words>   ·   build/mantra help"
