#!/usr/bin/env python3
"""Mantra's benchmark: index a generated corpus of session logs and time what a user waits for.

It generates (or reuses) a deterministic corpus with gen_corpus.py, then measures, with the
`mantra` CLI as a user runs it:

  * full index, cold: `mantra index` into a fresh empty database (median of --runs), the
    throughput in MiB/s of log bytes indexed, and the peak RSS of the indexing process;
  * re-index with nothing changed (median of --runs);
  * the database size (main file + -wal + -shm) against the raw logs it indexed;
  * search: for every needle of needles.json whose agent is indexed, `mantra search --json --limit 10 QUERY`,
    both the in-process time the CLI reports ("ms") and the wall time including process start;
    whether the needle's session comes first (rank-1 count, recall@5, MRR); plus a few
    common-word / phrase / prefix queries, the expensive case for a full-text index, and a few
    with filters and parts of identifiers (the query language of issue 8);
  * open a session: `mantra show --json SESSION --to 200` (wall time, process start included);
  * the same needle found by `rg -l -F PHRASE` over the raw logs, and the ratio rg/mantra.

Only the agents Mantra has an adapter for are indexed: the script asks `mantra index --dry-run`
which files it would read, and every per-byte figure is over those files.

It is a benchmark, not a test: a missed target is reported, never a failure. The exit status is
non-zero only when something could not run (binary missing, corpus generation or a mantra
command failed). Python 3 standard library only.

Usage: python3 bench/run.py [--size-mb 200] [--seed 11] [--runs 3] [--mantra build/mantra]
                            [--corpus DIR] [--work DIR] [--json-out FILE]
"""
import argparse
import datetime
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024  # gen_corpus.py's --size-mb counts MiB; every "MB" figure here is MiB too

# The targets of ../shared/bench/README.md ("What is measured, and the targets"), for 1 GiB of
# logs. Each is (text shown, predicate on the measured value or None when not comparable).
TARGETS = {
    "index_mbps": ("≥ 50 MB/s", lambda v: v >= 50),
    "reindex_s": ("≤ 1 s", lambda v: v <= 1.0),
    "rss_mb": ("≤ 150 MB (1 GiB)", lambda v: v <= 150),
    "db_ratio": ("≤ 0.35×", lambda v: v <= 0.35),
    "search_p50": ("≤ 5 ms", lambda v: v <= 5),
    "search_p95": ("≤ 30 ms", lambda v: v <= 30),
    "other_p50_p95": ("≤ 5 / ≤ 30 ms", lambda v: v[0] <= 5 and v[1] <= 30),
    "vs_rg": ("≥ 50×", lambda v: v >= 50),
    "show_ms": ("≤ 20 ms", lambda v: v <= 20),
    "file_p95": ("≤ 10 ms", lambda v: v <= 10),
    "redact_mbps": ("≥ 200 MB/s", lambda v: v >= 200),
}


class CannotRun(Exception):
    """Something the benchmark needs could not run; main() reports it and exits non-zero."""


def log(msg):
    """Progress goes to stderr so that stdout holds only the report."""
    print(msg, file=sys.stderr, flush=True)


# --- running a child and measuring it -------------------------------------------------------

class Child:
    """What one finished child process left: exit code, wall seconds, peak RSS, output."""

    def __init__(self, rc, wall, maxrss_kb, out, err):
        self.rc, self.wall, self.maxrss_kb, self.out, self.err = rc, wall, maxrss_kb, out, err


def run_child(argv, env=None):
    """Runs argv to completion and returns a Child.

    Wall time runs from just before the spawn to the reap, so it includes process start, as a
    user (or a client that shells out) sees it. Peak RSS comes from os.wait4's rusage for this
    one child (ru_maxrss, KiB on Linux), not from RUSAGE_CHILDREN, which is the maximum over all
    children so far. Output goes to temporary files so that a large output cannot block on a
    full pipe while we wait.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        try:
            p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        except OSError as e:
            raise CannotRun(f"cannot start {argv[0]}: {e}") from e
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped by us; tell Popen
        out.seek(0)
        err.seek(0)
        return Child(p.returncode, wall, usage.ru_maxrss, out.read().decode("utf-8", "replace"),
                     err.read().decode("utf-8", "replace"))


def redaction_throughput(mantra, files, work, runs, cap=64 * MIB):
    """MB/s of `mantra redact` over raw log text (up to `cap` bytes of the indexed logs).

    The redactor reads stdin and writes it back redacted; the figure is the bytes over the wall
    time minus that of the same command on empty input (process start and rule compilation),
    so it is the engine's own speed over text like the logs. Median of `runs`.
    """
    sample = os.path.join(work, "redact-sample.txt")
    size = 0
    with open(sample, "wb") as out:
        for f in files:
            with open(f, "rb") as fh:
                data = fh.read()
            out.write(data)
            size += len(data)
            if size >= cap:
                break

    def timed(path):
        with open(path, "rb") as inp, open(os.devnull, "wb") as devnull:
            t0 = time.perf_counter()
            rc = subprocess.call([mantra, "redact"], stdin=inp, stdout=devnull)
            wall = time.perf_counter() - t0
        if rc != 0:
            raise CannotRun(f"mantra redact exited {rc}")
        return wall

    empty = os.path.join(work, "redact-empty.txt")
    open(empty, "wb").close()
    base = median([timed(empty) for _ in range(runs)])
    walls = [timed(sample) for _ in range(runs)]
    os.unlink(sample)
    return dict(bytes=size, wall_s=walls, base_s=base,
                mbps=size / MIB / max(1e-9, median(walls) - base))


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def median(values):
    return statistics.median(values) if values else None


# --- the corpus -----------------------------------------------------------------------------

MARKER = "bench-corpus.json"  # written next to manifest.json: the size/seed it was made with


def corpus_matches(corpus, size_mb, seed):
    """True when CORPUS already holds a corpus generated with this size and seed."""
    try:
        with open(os.path.join(corpus, "manifest.json")) as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return False
    if manifest.get("seed") != seed:
        return False
    try:
        with open(os.path.join(corpus, MARKER)) as f:
            marker = json.load(f)
        return float(marker.get("size_mb", -1)) == float(size_mb) and marker.get("seed") == seed
    except (OSError, ValueError):
        pass
    # Made by hand with gen_corpus.py: it stops at the first session that crosses the target,
    # so the same size gives a byte count just above size_mb MiB.
    target = size_mb * MIB
    return target <= manifest.get("bytes", 0) < target + MIB


def ensure_corpus(corpus, size_mb, seed):
    """Reuses CORPUS when it matches --size-mb/--seed, else generates it with gen_corpus.py."""
    if corpus_matches(corpus, size_mb, seed):
        log(f"reusing the corpus in {corpus}")
        return
    if os.path.isdir(corpus) and os.listdir(corpus):
        # gen_corpus.py adds to what is there; only clear a folder we generated ourselves.
        if not os.path.exists(os.path.join(corpus, MARKER)):
            raise CannotRun(f"{corpus} is not empty and does not hold a {size_mb} MB corpus of "
                            f"seed {seed}; pass an empty or new folder with --corpus")
        log(f"{corpus} holds another corpus; generating it again")
        for name in ("claude", "codex", "gemini"):
            shutil.rmtree(os.path.join(corpus, name), ignore_errors=True)
        for name in ("manifest.json", "needles.json", MARKER):
            if os.path.exists(os.path.join(corpus, name)):
                os.remove(os.path.join(corpus, name))
    log(f"generating a {size_mb} MB corpus (seed {seed}) in {corpus} ...")
    gen = os.path.join(HERE, "gen_corpus.py")
    r = subprocess.run([sys.executable, gen, "--out", corpus, "--size-mb", str(size_mb),
                        "--seed", str(seed)], capture_output=True, text=True)
    if r.returncode != 0:
        raise CannotRun(f"gen_corpus.py failed ({r.returncode}):\n{r.stderr.strip()}")
    log("  " + r.stdout.strip())
    with open(os.path.join(corpus, MARKER), "w") as f:
        json.dump({"size_mb": size_mb, "seed": seed}, f)


def indexed_logs(mantra, corpus):
    """The files `mantra index OUT` would read (asked with --dry-run), their total size in bytes,
    and the agents they belong to."""
    try:
        r = subprocess.run([mantra, "index", "--dry-run", "--json", corpus], capture_output=True,
                           text=True)
    except OSError as e:
        raise CannotRun(f"cannot start {mantra}: {e}") from e
    if r.returncode != 0:
        raise CannotRun(f"mantra index --dry-run exited {r.returncode}: {r.stderr.strip()}")
    listed = json.loads(r.stdout).get("files", [])
    files = [f["path"] for f in listed]
    return files, sum(f["size"] for f in listed), sorted({f["agent"] for f in listed})


def prime_page_cache(files):
    """Reads every log once so that all index runs and rg start from the same warm page cache
    (the corpus was usually just written or reused; a first cold-disk run would be an outlier)."""
    for path in files:
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass


# --- the measurements -----------------------------------------------------------------------

def ranked_sessions(res):
    """The session ids of a search result in rank order, and its top step as a flat hit: from
    the grouped result, or from the flat one older builds printed."""
    if "sessions" in res:
        ids = [x["session"]["id"] for x in res["sessions"]]
        top = None
        if res["sessions"] and res["sessions"][0].get("steps"):
            st = res["sessions"][0]["steps"][0]
            top = dict(session=ids[0], seq=st["seq"], kind=st["kind"], snippet=st["snippet"])
        return ids, top
    hits = res.get("hits", [])
    ids = []
    for h in hits:
        if h.get("session") not in ids:
            ids.append(h.get("session"))
    return ids, hits[0] if hits else None


class Bench:
    def __init__(self, args, corpus, work):
        self.mantra = args.mantra
        self.runs = args.runs
        self.corpus = corpus
        self.root = corpus
        self.db = os.path.join(work, "mantra.db")
        # The database is named twice on purpose: MANTRA_DB in the environment and --db on the
        # command line, so neither a stray user setting nor the default path can be picked up.
        self.env = dict(os.environ, MANTRA_DB=self.db)
        self.failures = []  # commands that did not run; reported and turned into exit 1

    def mantra_cmd(self, *argv):
        return [self.mantra, argv[0], "--db", self.db, *argv[1:]]

    def remove_db(self):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.db + suffix):
                os.remove(self.db + suffix)

    def index_once(self):
        """One `mantra index --json OUT`; returns (Child, parsed report)."""
        c = run_child(self.mantra_cmd("index", "--json", self.root), self.env)
        if c.rc != 0:
            raise CannotRun(f"mantra index exited with {c.rc}: {c.err.strip() or '(no message)'}")
        try:
            return c, json.loads(c.out)
        except ValueError as e:
            raise CannotRun(f"mantra index --json printed no JSON: {e}\n{c.out[:500]}") from e

    def index_cold(self):
        """Full index into a fresh, empty database, --runs times. Wall time is the figure (it is
        what a user waits for); mantra's own "seconds" (indexer only, no process start, no
        database open) is kept beside it. Peak RSS is the maximum over the runs."""
        walls, inproc, rss, report = [], [], [], None
        for i in range(self.runs):
            self.remove_db()
            log(f"cold index {i + 1}/{self.runs} ...")
            c, report = self.index_once()
            walls.append(c.wall)
            inproc.append(report.get("seconds", float("nan")))
            rss.append(c.maxrss_kb / 1024.0)
            log(f"  {c.wall:.2f} s, peak RSS {c.maxrss_kb / 1024.0:.1f} MB")
        return dict(wall_s=walls, inproc_s=inproc, rss_mb=rss, report=report)

    def index_unchanged(self):
        """Index the same folder again, nothing changed: mantra should stat each file and skip."""
        walls, report = [], None
        for i in range(self.runs):
            c, report = self.index_once()
            walls.append(c.wall)
            if report.get("filesRead"):
                log(f"  re-index {i + 1} read {report['filesRead']} files again (expected 0)")
        return dict(wall_s=walls, report=report)

    def db_size(self):
        """Main file plus the -wal and -shm files, after the indexing process exited."""
        parts = {s or "main": os.path.getsize(self.db + s) if os.path.exists(self.db + s) else 0
                 for s in ("", "-wal", "-shm")}
        return dict(parts=parts, total=sum(parts.values()))

    def search(self, query):
        """One `mantra search --json --limit 10 QUERY`; returns (Child, parsed JSON or None)."""
        c = run_child(self.mantra_cmd("search", "--json", "--limit", "10", query), self.env)
        if c.rc != 0:
            self.failures.append(f"mantra search {query!r} exited with {c.rc}: {c.err.strip()}")
            return c, None
        try:
            return c, json.loads(c.out)
        except ValueError:
            self.failures.append(f"mantra search {query!r} printed no JSON")
            return c, None

    def timed_search(self, query):
        """One untimed warm-up, then --runs timed searches. Returns the in-process "ms" samples,
        the wall samples in ms and the last parsed result."""
        self.search(query)
        ms, wall, result = [], [], None
        for _ in range(self.runs):
            c, res = self.search(query)
            if res is None:
                continue
            result = res
            ms.append(float(res.get("ms", float("nan"))))
            wall.append(c.wall * 1000.0)
        return ms, wall, result

    def needles(self, needles):
        """Search every needle of an indexed agent: latency and whether its one right session comes first.

        A session's rank is its place in the grouped result (or, from a build that answered
        one hit per step, among the distinct sessions in hit order)."""
        rows = []
        for n in needles:
            want = n["agent"] + ":" + n["native_id"]
            ms, wall, res = self.timed_search(n["query"])
            sessions, top = ranked_sessions(res or {})
            rank = sessions.index(want) + 1 if want in sessions else None
            rows.append(dict(query=n["query"], session=want, ms=ms, wall_ms=wall, rank=rank,
                             top=top, hits=len(sessions)))
        return rows

    def other_queries(self):
        """Common words, a phrase and a prefix: many matches to score, the costly case for FTS.
        Every word is from gen_corpus.py's vocabulary; the phrase is in every needle prompt."""
        queries = ["socket", "retry timeout", '"stack trace"', "reconn*", '"laptop sleeps"',
                   "npm test"]
        return self.query_rows(queries)

    def language_queries(self):
        """The query language on the corpus: parts of identifiers, exclusions, OR, filters alone
        and with words (the corpus has no branches but main, no sub-agents, one model each)."""
        queries = ["socketRecon", "retry -timeout", "socket OR cache", "agent:codex retry",
                   "failed", "cmd:\"npm test\" failed", "file:*.ts socket", "after:2025-07-01 cache"]
        return self.query_rows(queries)

    def query_rows(self, queries):
        rows = []
        for q in queries:
            ms, wall, res = self.timed_search(q)
            rows.append(dict(query=q, ms=ms, wall_ms=wall, hits=len(ranked_sessions(res or {})[0])))
        return rows

    def show(self, needles):
        """Open each needle session: metadata and its first 200 steps, as `show --json` prints
        them. The CLI reports no in-process time here, so this is wall time, start included."""
        walls = []
        for n in needles:
            argv = self.mantra_cmd("show", "--json", n["agent"] + ":" + n["native_id"], "--to",
                                   "200")
            run_child(argv, self.env)  # warm-up
            for _ in range(self.runs):
                c = run_child(argv, self.env)
                if c.rc != 0:
                    self.failures.append(f"mantra show {n['native_id']} exited with {c.rc}: "
                                         f"{c.err.strip()}")
                    break
                walls.append(c.wall * 1000.0)
        return walls

    def file_at(self, samples=60):
        """Any touched file at any step: sessions with edits are listed (`files --json`), then
        `file --json SESSION SEQ PATH` runs for random (session, step, path) picks, each step
        drawn from the whole session (not only the steps that changed the file). Returns the
        in-process "ms" samples and the wall times."""
        rnd = random.Random(7)
        c = run_child(self.mantra_cmd("sessions", "--json", "--limit", "400"), self.env)
        if c.rc != 0:
            self.failures.append(f"mantra sessions exited with {c.rc}: {c.err.strip()}")
            return [], [], 0
        picks = []
        for s in json.loads(c.out)["sessions"]:
            if len(picks) >= samples:
                break
            f = run_child(self.mantra_cmd("files", "--json", s["id"]), self.env)
            if f.rc != 0:
                self.failures.append(f"mantra files {s['id']} exited with {f.rc}: {f.err.strip()}")
                continue
            touched = [x for x in json.loads(f.out)["files"] if x["changedAt"]]
            for x in rnd.sample(touched, min(2, len(touched))):
                picks.append((s["id"], rnd.randint(1, max(1, s["events"])), x["path"]))
        ms, walls, known = [], [], 0
        for sid, seq, path in picks:
            argv = self.mantra_cmd("file", "--json", sid, str(seq), path)
            run_child(argv, self.env)  # warm-up
            c = run_child(argv, self.env)
            if c.rc != 0:
                self.failures.append(f"mantra file {sid} {seq} {path} exited with {c.rc}: "
                                     f"{c.err.strip()}")
                continue
            out = json.loads(c.out)
            ms.append(out.get("ms", float("nan")))
            walls.append(c.wall * 1000.0)
            known += out.get("content") is not None
        return ms, walls, known

    def ripgrep(self, rg, needles):
        """`rg -l -F PHRASE OUT` per needle: the literal planted phrase, as someone
        without an index would look for it. Median of --runs after a warm-up, per needle; also
        checks that rg lists exactly the needle's file, so both tools answer the same question."""
        rows = []
        for n in needles:
            argv = [rg, "-l", "-F", "-g", "!needles.json", "-g", "!manifest.json", n["phrase"],
                    self.root]
            run_child(argv)
            walls, found = [], None
            for _ in range(self.runs):
                c = run_child(argv)
                if c.rc not in (0, 1):  # 1 means "no match", still a valid run
                    self.failures.append(f"rg exited with {c.rc}: {c.err.strip()}")
                    break
                walls.append(c.wall * 1000.0)
                got = [os.path.relpath(p, self.corpus) for p in c.out.split("\n") if p]
                found = got == [n["source"]]
            rows.append(dict(query=n["phrase"], median_ms=median(walls), exact=found))
        return rows


# --- the report -----------------------------------------------------------------------------

def verdict(key, value):
    """ok / MISS against the target, or blank when there is nothing to compare."""
    if value is None or key not in TARGETS:
        return ""
    return "ok" if TARGETS[key][1](value) else "MISS"


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def report(res):
    """Prints the figures as a table with the targets beside them, then the details."""
    r = res
    idx = r["index"]
    lines = []
    add = lines.append
    add(f"Mantra benchmark, {r['date']}, {r['machine']}")
    add(f"{r['mantra_version']} ({r['mantra']})")
    add(f"corpus: {r['corpus']['size_mb']} MB, seed {r['corpus']['seed']}, "
        f"{r['corpus']['manifest'].get('bytes', 0) / MIB:.1f} MiB in all, "
        f"sessions {r['corpus']['manifest'].get('sessions')}")
    ix = r["indexed"]
    add(f"indexed: the agents mantra has adapters for ({', '.join(ix['agents'])}): {ix['files']} "
        f"files ({100.0 * ix['session_share']:.0f} % of the sessions), "
        f"{ix['bytes'] / MIB:.1f} MiB ({100.0 * ix['byte_share']:.0f} % of the bytes); "
        f"MB/s and the size ratio are over these bytes")
    add(f"runs per figure: {r['runs']} (medians); page cache warm; shared, noisy machine")
    add("")
    rows = []

    def row(name, value, key=None, note=""):
        target = TARGETS[key][0] if key in TARGETS else ""
        rows.append((name, value, target, verdict(key, r["figures"].get(key)) if key else "",
                     note))

    f = r["figures"]
    row("full index, cold (wall)", f"{fmt(f['index_s'], '.2f')} s", None,
        f"in-process {fmt(f['index_inproc_s'], '.2f')} s")
    row("index throughput", f"{fmt(f['index_mbps'], '.1f')} MB/s", "index_mbps",
        f"{r['indexed']['bytes'] / MIB:.0f} MiB of indexed logs")
    row("peak RSS while indexing", f"{fmt(f['rss_mb'], '.1f')} MB", "rss_mb",
        "max over runs")
    row("re-index, nothing changed", f"{fmt(f['reindex_s'], '.3f')} s", "reindex_s")
    row("database size", f"{fmt(f['db_mb'], '.1f')} MB", None, "main + -wal + -shm")
    row("database / raw logs", f"{fmt(f['db_ratio'], '.2f')}×", "db_ratio",
        "logs = the indexed logs")
    n = f["needles"]
    row("needle search p50 (in-process)", f"{fmt(f['search_p50'], '.1f')} ms", "search_p50",
        f"{n} needles × {r['runs']} runs; CLI 'ms', 1 ms resolution")
    row("needle search p95 (in-process)", f"{fmt(f['search_p95'], '.1f')} ms", "search_p95")
    row("needle search p50 (wall)", f"{fmt(f['search_wall_p50'], '.1f')} ms", None,
        "process start included")
    row("needle search p95 (wall)", f"{fmt(f['search_wall_p95'], '.1f')} ms")
    row("other queries p50 / p95 (in-process)",
        f"{fmt(f['other_p50'], '.1f')} / {fmt(f['other_p95'], '.1f')} ms", "other_p50_p95",
        f"{f['other_queries']} common-word / phrase / prefix queries × {r['runs']} runs")
    row("other queries p50 / p95 (wall)",
        f"{fmt(f['other_wall_p50'], '.1f')} / {fmt(f['other_wall_p95'], '.1f')} ms")
    if f.get("lang_queries"):
        row("language queries p50 / p95 (in-process)",
            f"{fmt(f['lang_p50'], '.1f')} / {fmt(f['lang_p95'], '.1f')} ms", "other_p50_p95",
            f"{f['lang_queries']} queries with filters / identifier parts × {r['runs']} runs")
    row("needle at rank 1", f"{f['rank1']}/{n}", None, "the needle's session first")
    row("recall@5 / MRR", f"{fmt(f['recall5'], '.2f')} / {fmt(f['mrr'], '.3f')}", None,
        "over the first 10 sessions")
    if f.get("rg_ms") is not None:
        row("rg -l -F PHRASE, median", f"{f['rg_ms']:.1f} ms", None,
            f"{f['rg_exact']}/{n} listed exactly the needle file")
        row("rg / mantra (wall)", f"{fmt(f['vs_rg'], '.1f')}×", "vs_rg",
            "median rg ÷ median mantra wall")
        row("rg / mantra (in-process)", f"{fmt(f['vs_rg_inproc'], '.1f')}×", None,
            "median rg ÷ median CLI 'ms'")
    else:
        row("rg comparison", "skipped", None, r.get("rg_note", ""))
    row("open a session (wall)", f"{fmt(f['show_ms'], '.1f')} ms", "show_ms",
        "show --to 200, median, process start included")
    red = r["redaction"]
    row("file at step N p95 (in-process)", f"{fmt(f['file_p95'], '.2f')} ms", "file_p95",
        f"{f['file_samples']} picks, {f['file_known']} with known content; "
        f"p50 {fmt(f['file_p50'], '.2f')} ms, wall p95 {fmt(f['file_wall_p95'], '.1f')} ms")
    row("redaction throughput", f"{fmt(f['redact_mbps'], '.0f')} MB/s", "redact_mbps",
        f"mantra redact over {red['bytes'] / MIB:.0f} MiB of raw logs, start-up "
        f"({red['base_s'] * 1000:.0f} ms) subtracted")

    widths = [max(len(str(x[i])) for x in rows + [("figure", "measured", "target", "", "")])
              for i in range(4)]
    header = ("figure", "measured", "target", "")
    add("  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  note")
    add("  ".join("-" * w for w in widths) + "  " + "-" * 4)
    for name, value, target, ok, note in rows:
        add(("  ".join(str(x).ljust(w) for x, w in zip((name, value, target, ok), widths))
             + "  " + note).rstrip())
    add("")
    add("Targets are for a 1 GiB corpus (../shared/bench/README.md); a miss is reported, "
        "not failed.")
    add("Not measured here: live update and origin of a line (no command for them yet); the "
        "sidecar's start and its queries through the pipe are measured by bench/rpc.py.")

    rep = idx["report"] or {}
    add(f"index: {rep.get('sessions')} sessions, {rep.get('events')} events, "
        f"{rep.get('filesRead')} files, {rep.get('bytesRead', 0) / MIB:.1f} MiB read, "
        f"{rep.get('skipped')} skipped, {rep.get('unknown')} unknown, "
        f"{len(rep.get('errors', []))} errors; manifest sessions "
        f"{r['corpus']['manifest'].get('sessions', {})}")
    for e in rep.get("errors", [])[:5]:
        add(f"  index error: {e.get('file')}:{e.get('line')}: {e.get('message')}")
    for row_ in r["needle_rows"]:
        if row_["rank"] != 1:
            top = row_["top"] or {}
            add(f"needle {row_['query']!r} ({row_['session']}): rank {row_['rank']} "
                f"of {row_['hits']} hits; top hit {top.get('session')} #{top.get('seq')} "
                f"{top.get('kind')}: {str(top.get('snippet'))[:100]!r}")
    for q in r["other_rows"] + r.get("lang_rows", []):
        add(f"query {q['query']!r}: {q['hits']} sessions, in-process median "
            f"{fmt(median(q['ms']), '.1f')} ms, wall median {fmt(median(q['wall_ms']), '.1f')} ms")
    for msg in r["failures"]:
        add(f"FAILED: {msg}")
    print("\n".join(lines))


# --- main -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mantra", default=os.path.join(HERE, "..", "build", "mantra"),
                    help="the mantra binary (default: ../build/mantra beside this script)")
    ap.add_argument("--size-mb", type=float, default=200, help="corpus size in MiB (200)")
    ap.add_argument("--seed", type=int, default=11, help="corpus seed (11)")
    ap.add_argument("--corpus", help="corpus folder, reused when it matches size and seed "
                    "(default: mantra-bench-corpus-<size>mb-s<seed> in the temp folder)")
    ap.add_argument("--work", help="folder for the database (default: a temporary folder, "
                    "removed afterwards)")
    ap.add_argument("--runs", type=int, default=3, help="runs per figure, for medians (3)")
    ap.add_argument("--json-out", help="also write the figures as JSON to this file")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    size_mb = int(args.size_mb) if args.size_mb == int(args.size_mb) else args.size_mb
    args.mantra = os.path.abspath(args.mantra)
    if not (os.path.isfile(args.mantra) and os.access(args.mantra, os.X_OK)):
        raise CannotRun(f"no mantra binary at {args.mantra}; build it (cmake --build build) "
                        f"or pass --mantra PATH")

    corpus = os.path.abspath(args.corpus or os.path.join(
        tempfile.gettempdir(), f"mantra-bench-corpus-{size_mb}mb-s{args.seed}"))
    ensure_corpus(corpus, size_mb, args.seed)
    with open(os.path.join(corpus, "manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(corpus, "needles.json")) as f:
        # "query" is the word meant for an index (the needle's unique tag); "phrase" is the
        # whole sentence planted in the prompt, which is what rg looks for literally.
        all_needles = json.load(f)
    sessions = manifest.get("sessions", {})
    files, indexed_bytes, agents = indexed_logs(args.mantra, corpus)
    if not files:
        raise CannotRun(f"mantra finds no session files under {corpus}")
    needles = [n for n in all_needles if n.get("agent") in agents]
    if not needles:
        log("note: no needles for the indexed agents in this corpus (gen_corpus.py plants one "
            "per 97 sessions); use --size-mb 20 or more for search figures")
    prime_page_cache(files)

    made_work = args.work is None
    work = os.path.abspath(args.work or tempfile.mkdtemp(prefix="mantra-bench-"))
    os.makedirs(work, exist_ok=True)
    try:
        # Early builds rejected `--version` as an unknown option; `version` works in all.
        version = next((c.out.strip() for c in (run_child([args.mantra, v])
                                                for v in ("--version", "version"))
                        if c.rc == 0 and c.out.strip()), "(version unknown)")
        b = Bench(args, corpus, work)
        idx = b.index_cold()
        log("re-index, nothing changed ...")
        reidx = b.index_unchanged()
        size = b.db_size()
        log(f"searching {len(needles)} needles ...")
        nrows = b.needles(needles)
        log("other queries ...")
        orows = b.other_queries()
        lrows = b.language_queries()
        log("open a session ...")
        show = b.show(needles)
        log("file at step N ...")
        fms, fwall, fknown = b.file_at()
        log("redaction throughput ...")
        red = redaction_throughput(args.mantra, files, work, args.runs)
        rg = shutil.which("rg")
        rg_rows, rg_note = [], ""
        if not needles:
            rg_note = "no needles to look for"
        elif rg:
            log("rg ...")
            rg_rows = b.ripgrep(rg, needles)
        else:
            rg_note = "rg (ripgrep) not found on PATH; install it to compare"
            log(rg_note)
    finally:
        if made_work:
            shutil.rmtree(work, ignore_errors=True)

    # Figures: medians of the runs; percentiles over every (needle, run) sample.
    ms = [x for r in nrows for x in r["ms"]]
    wall = [x for r in nrows for x in r["wall_ms"]]
    lms = [x for r in lrows for x in r["ms"]]
    oms = [x for r in orows for x in r["ms"]]
    owall = [x for r in orows for x in r["wall_ms"]]
    ranks = [r["rank"] for r in nrows]
    index_s = median(idx["wall_s"])
    rg_med = median([r["median_ms"] for r in rg_rows if r["median_ms"] is not None])
    wall_med, ms_med = median([median(r["wall_ms"]) for r in nrows if r["wall_ms"]]), \
        median([median(r["ms"]) for r in nrows if r["ms"]])
    figures = dict(
        index_s=index_s,
        index_inproc_s=median(idx["inproc_s"]),
        index_mbps=indexed_bytes / MIB / index_s,
        rss_mb=max(idx["rss_mb"]),
        reindex_s=median(reidx["wall_s"]),
        db_mb=size["total"] / MIB,
        db_ratio=size["total"] / indexed_bytes,
        needles=len(nrows),
        search_p50=percentile(ms, 50) if ms else None,
        search_p95=percentile(ms, 95) if ms else None,
        search_wall_p50=percentile(wall, 50) if wall else None,
        search_wall_p95=percentile(wall, 95) if wall else None,
        lang_queries=len(lrows),
        lang_p50=percentile(lms, 50) if lms else None,
        lang_p95=percentile(lms, 95) if lms else None,
        other_queries=len(orows),
        other_p50=percentile(oms, 50) if oms else None,
        other_p95=percentile(oms, 95) if oms else None,
        other_p50_p95=(percentile(oms, 50), percentile(oms, 95)) if oms else None,
        other_wall_p50=percentile(owall, 50) if owall else None,
        other_wall_p95=percentile(owall, 95) if owall else None,
        rank1=sum(1 for k in ranks if k == 1),
        recall5=(sum(1 for k in ranks if k and k <= 5) / len(ranks)) if ranks else None,
        mrr=(sum(1.0 / k for k in ranks if k) / len(ranks)) if ranks else None,
        rg_ms=rg_med,
        rg_exact=sum(1 for r in rg_rows if r["exact"]),
        # rg against mantra, both as processes started from the shell: the fair comparison.
        vs_rg=(rg_med / wall_med) if rg_med and wall_med else None,
        # Against the in-process figure (a resident server); the CLI's "ms" may read 0.
        vs_rg_inproc=(rg_med / ms_med) if rg_med and ms_med else None,
        show_ms=median(show),
        redact_mbps=red["mbps"],
        file_samples=len(fms),
        file_known=fknown,
        file_p50=percentile(fms, 50) if fms else None,
        file_p95=percentile(fms, 95) if fms else None,
        file_wall_p95=percentile(fwall, 95) if fwall else None,
    )
    res = dict(
        date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        machine=f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        mantra=args.mantra, mantra_version=version, runs=args.runs,
        corpus=dict(path=corpus, size_mb=size_mb, seed=args.seed, manifest=manifest),
        indexed=dict(files=len(files), bytes=indexed_bytes,
                     byte_share=indexed_bytes / max(1, manifest.get("bytes", indexed_bytes)),
                     agents=agents,
                     session_share=sum(sessions.get(a, 0) for a in agents)
                     / max(1, sum(sessions.values()))),
        figures=figures, index=idx, reindex=reidx, db=size, needle_rows=nrows, other_rows=orows,
        lang_rows=lrows,
        show_ms=show, redaction=red, rg_rows=rg_rows, rg_note=rg_note, failures=b.failures,
        targets={k: v[0] for k, v in TARGETS.items()},
    )
    report(res)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(res, f, indent=1, ensure_ascii=False)
    return 1 if b.failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CannotRun as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
