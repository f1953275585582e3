#!/usr/bin/env python3
"""Search quality: recall@1, recall@5 and MRR of `mantra search` over a set of queries whose right
session is known (tests/search/queries.json), on a database indexed from the project's fixtures
(tests/fixtures/: the generated Claude/Codex/Gemini sessions, Aider, Cline, Cursor's databases
built from their JSON) and the search samples (tests/search/samples/).

    python3 bench/search_quality.py [--mantra build/mantra] [--json-out FILE] [--verbose]

A query's rank is the place of its expected session in the grouped result (`mantra search
--json --limit 10`); a session absent from the first 10 counts 0 in MRR. Queries run in the
project folder. Prints one line per miss (rank > 1) and the three figures; exits 1 when a query
fails to run, 0 otherwise (a quality figure is reported, not enforced). Python 3 standard library.
"""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
QUERIES = os.path.join(ROOT, "tests", "search", "queries.json")
SAMPLES = os.path.join(ROOT, "tests", "search", "samples")
CURSOR_AGENT = "6f0d2c4a-8e1b-4a3c-9d5e-7b2f4a6c8e0d"  # the CLI store's agent (cli-store.json)


def build_state(path, tables):
    """A Cursor state.vscdb holding the fixture's tables (as tests/unit/CursorAdapterTests.cpp)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    db.execute("CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    for table in ("ItemTable", "cursorDiskKV"):
        for k, v in tables.get(table, {}).items():
            db.execute(f"INSERT INTO {table}(key, value) VALUES(?, ?)",
                       (k, v.encode() if isinstance(v, str) else json.dumps(v)))
    db.commit()
    db.close()


def build_cli_store(path, fx):
    """Cursor CLI's store.db: meta as hex JSON, blobs by id (as CursorAdapterTests.cpp)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE blobs (id TEXT PRIMARY KEY, data BLOB)")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT INTO meta VALUES('0', ?)",
               (json.dumps(fx["meta"], separators=(",", ":")).encode().hex(),))
    for i, b in enumerate(fx["blobs"]):
        if "json" in b:
            data = json.dumps(b["json"], separators=(",", ":")).encode()
        else:
            data = (b"\x0a\x20" + b"\x5a" * 32 + b"\x12\x01" +
                    json.dumps(b["binary"], separators=(",", ":")).encode() + b"\x18\x01")
        db.execute("INSERT INTO blobs VALUES(?, ?)", ("%064x" % (i + 1), data))
    db.commit()
    db.close()


def cursor_tree(work):
    """The Cursor fixtures as the databases Cursor writes; returns the folders to index."""
    load = lambda name: json.load(open(os.path.join(FIXTURES, "cursor", name)))
    user = os.path.join(work, "cursor", "User")
    build_state(os.path.join(user, "globalStorage", "state.vscdb"), load("global-state.json"))
    ws = os.path.join(user, "workspaceStorage", "3f1c9e2a7b5d4c8e9a0b1c2d3e4f5a6b")
    build_state(os.path.join(ws, "state.vscdb"), load("workspace-state.json"))
    shutil.copy(os.path.join(FIXTURES, "cursor", "workspace.json"), os.path.join(ws, "workspace.json"))
    store = os.path.join(work, "cursor", "chats", "0f6d1c3b5a7e9d2c4b6a8e0f1d3c5b7a", CURSOR_AGENT, "store.db")
    build_cli_store(store, load("cli-store.json"))
    return [user, store]


def index(mantra, db, work):
    paths = [os.path.join(FIXTURES, "generated"), os.path.join(FIXTURES, "aider"),
             os.path.join(FIXTURES, "cline"), SAMPLES] + cursor_tree(work)
    env = dict(os.environ, HOME=os.path.join(work, "home"))
    os.makedirs(env["HOME"], exist_ok=True)
    r = subprocess.run([mantra, "--db", db, "index", "--json"] + paths, env=env, capture_output=True,
                       text=True)
    if r.returncode != 0:
        sys.exit(f"search_quality: mantra index failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def run_query(mantra, db, query, env):
    t0 = time.perf_counter()
    r = subprocess.run([mantra, "--db", db, "search", "--json", "--limit", "10", "--", query],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    wall = (time.perf_counter() - t0) * 1000
    if r.returncode != 0:
        return None, r.stderr.strip(), wall
    return json.loads(r.stdout), "", wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mantra", default=os.path.join(ROOT, "build", "mantra"))
    ap.add_argument("--queries", default=QUERIES)
    ap.add_argument("--json-out")
    ap.add_argument("--verbose", action="store_true", help="print every query, not only misses")
    args = ap.parse_args()
    mantra = os.path.abspath(args.mantra)
    if not os.access(mantra, os.X_OK):
        sys.exit(f"search_quality: no mantra binary at {mantra}")
    queries = json.load(open(args.queries))
    ids = json.load(open(os.path.join(SAMPLES, "ids.json")))
    work = tempfile.mkdtemp(prefix="mantra-search-quality-")
    try:
        db = os.path.join(work, "mantra.db")
        report = index(mantra, db, work)
        env = dict(os.environ, HOME=os.path.join(work, "home"))
        rows, failures = [], 0
        for q in queries:
            want = ids.get(q["expect"], q["expect"])  # a sample's name, or a session id
            res, err, wall = run_query(mantra, db, q["query"], env)
            if res is None:
                failures += 1
                print(f"FAIL  {q['query']!r}: {err}")
                continue
            got = [s["session"]["id"] for s in res["sessions"]]
            if want.startswith("aider:"):
                # An Aider id hashes the folder the fixture sits in: compare the start time only.
                got = [want if g.startswith("aider:") and g.rsplit("-", 1)[-1] ==
                       want.rsplit("-", 1)[-1] else g for g in got]
            rank = got.index(want) + 1 if want in got else None
            rows.append(dict(query=q["query"], expect=want, rank=rank, top=got[:3], ms=res["ms"],
                             wall_ms=wall))
            if args.verbose or rank != 1:
                mark = "ok  " if rank == 1 else "MISS"
                print(f"{mark}  rank {rank or '-':>2}  {q['query']!r} → want {want}; top {got[:3]}")
        n = len(rows)
        ranks = [r["rank"] for r in rows]
        figures = dict(
            queries=n,
            sessions=report["sessions"],
            recall1=sum(1 for k in ranks if k == 1) / n if n else 0,
            recall5=sum(1 for k in ranks if k and k <= 5) / n if n else 0,
            mrr=sum(1.0 / k for k in ranks if k) / n if n else 0,
            ms_p50=sorted(r["ms"] for r in rows)[n // 2] if n else None,
        )
        print(f"\n{n} queries over {report['sessions']} sessions ({report['events']} steps): "
              f"recall@1 {figures['recall1']:.3f}, recall@5 {figures['recall5']:.3f}, "
              f"MRR {figures['mrr']:.3f}; in-process median {figures['ms_p50']:.2f} ms")
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump(dict(figures=figures, rows=rows), f, indent=1)
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
