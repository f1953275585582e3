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
  # The prompt behind a line that step added: in the file as it is on disk when it is there,
  # else (the bundled samples' work dirs do not exist here) by the line's text alone — the first
  # added line distinctive enough to be recognized without its neighbours.
  mapfile -d '' -t origin_args < <(python3 -c '
import json, os, subprocess, sys
session, mantra = sys.argv[1], sys.argv[2]
def run(*args):
    r = subprocess.run([mantra, *args], capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 else None
proj = run("show", "--json", session, "--to", "1")["session"].get("project") or "/"
steps = [(seq, f["path"]) for f in run("files", "--json", session)["files"] for seq in f["changedAt"]]
for seq, rel in steps[:12]:
    full = rel if rel.startswith("/") else os.path.join(proj, rel)
    on_disk = open(full, errors="replace").read().split("\n") if os.path.isfile(full) else None
    for d in run("diff", "--json", session, str(seq), rel)["diffs"]:
        hunk = [l for l in (d["diff"] or "").splitlines()[2:] if l[:1] in (" ", "+")]
        for i, l in enumerate(hunk):
            line = l[1:]
            if not l.startswith("+") or len(line.strip()) < 12:
                continue
            if on_disk is not None:
                if line in on_disk:
                    print(f"{full}:{on_disk.index(line) + 1}", end="\0")
                    sys.exit()
                continue
            args = ["--text", line]
            for a in hunk[max(0, i - 3):i]:
                args += ["--above", a[1:]]
            for b in hunk[i + 1:i + 4]:
                args += ["--below", b[1:]]
            args.append(f"{full}:1")
            answer = run("origin", "--json", *args)
            if answer and answer["origin"]:
                print("\0".join(args), end="\0")
                sys.exit()
' "$sid" "$mantra" || true)
  if [ "${#origin_args[@]}" -gt 0 ]; then
    echo
    echo "== Which prompt wrote a line of it (mantra origin)"
    "$mantra" origin "${origin_args[@]}" | head -n 12
  fi
fi
echo
echo "Next: build/mantra show <session>   ·   build/mantra file <session> <step> <path>   ·   build/mantra origin <file>:<line>   ·   build/mantra search <words>   ·   build/mantra help"
