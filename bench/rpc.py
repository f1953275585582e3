#!/usr/bin/env python3
"""Times the sidecar through its real pipe: spawn -> `initialize` answered, then p50/p95 of
mantra/search, mantra/sessions, mantra/session and mantra/event, one request in flight at a time,
each timed from writing the request to reading the whole response. Optionally the same while an
index run goes on (--reindex). Python 3 standard library only.

    python3 bench/rpc.py --db /path/to/mantra.db [--mantra build/mantra]

The database is only read, unless --reindex is given (the run writes what it finds to it).
The server runs with HOME set to an empty folder and its start-up index turned off, so that
the figures are the queries' own.
"""
import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The shared benchmark's targets (../shared/bench/README.md) for what this script measures.
TARGETS = {
    "sidecar start": "≤ 50 ms",
    "search p50": "≤ 5 ms",
    "search p95": "≤ 30 ms",
    "open a session p95": "≤ 20 ms",
    "idle serve RSS": "≤ 40 MB",
}
DEFAULT_QUERIES = ["verbose", "test", "calc cli", '"verbose flag"', "pars*", "error", "socket",
                   "reconn*", "add a flag", "unittest"]


def frame(msg):
    body = json.dumps(msg).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Server:
    """A `mantra serve` child and a minimal LSP-framed client for it."""

    def __init__(self, mantra, db, home):
        env = {k: v for k, v in os.environ.items()
               if k not in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "MANTRA_DB")}
        env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
        self.started = time.perf_counter()
        self.p = subprocess.Popen([mantra, "--db", db, "serve"], env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.fd = self.p.stdout.fileno()
        self.buf = b""
        self.pending = []  # messages read but not asked for yet
        self.next_id = 0

    def send(self, msg):
        self.p.stdin.write(frame(msg))
        self.p.stdin.flush()

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            raise TimeoutError("no answer from mantra serve")
        chunk = os.read(self.fd, 1 << 20)
        if not chunk:
            raise EOFError("mantra serve closed its output")
        self.buf += chunk
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            n = int(self.buf[16:end])
            if len(self.buf) < end + 4 + n:
                return
            self.pending.append(json.loads(self.buf[end + 4:end + 4 + n]))
            self.buf = self.buf[end + 4 + n:]

    def wait_for(self, pred, timeout=60):
        deadline = time.perf_counter() + timeout
        while True:
            for i, m in enumerate(self.pending):
                if pred(m):
                    return self.pending.pop(i)
            self._read(max(0.0, deadline - time.perf_counter()))

    def request(self, method, params=None):
        """Sends a request, returns (seconds until its response was read, the response)."""
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        i = self.next_id
        t0 = time.perf_counter()
        self.send(msg)
        resp = self.wait_for(lambda m: m.get("id") == i and ("result" in m or "error" in m))
        dt = time.perf_counter() - t0
        if "error" in resp:
            raise RuntimeError(f"{method} {params}: {resp['error']}")
        return dt, resp["result"]

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def initialize(self, index=False):
        _, result = self.request("initialize", {
            "clientInfo": {"name": "bench/rpc.py"},
            "initializationOptions": {"backgroundIndex": index}})
        since_spawn = time.perf_counter() - self.started
        self.notify("initialized")
        return since_spawn, result

    def rss_mb(self):
        """VmRSS, RssAnon (heap, stacks) and RssFile (mapped files: the mmap'ed database) in MB."""
        fields = {}
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile"):
                    fields[key] = int(value.split()[0]) / 1024
        return fields.get("VmRSS", 0.0), fields.get("RssAnon", 0.0), fields.get("RssFile", 0.0)

    def close(self):
        try:
            self.request("shutdown")
            self.notify("exit")
            self.p.stdin.close()
            return self.p.wait(timeout=30)
        except Exception:
            self.p.kill()
            return self.p.wait()


def pct(xs, p):
    """Nearest-rank percentile of a list of seconds, in ms."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k] * 1000


def measure_spawn(args, home):
    since = []
    for _ in range(args.spawns):
        s = Server(args.mantra, args.db, home)
        since.append(s.initialize()[0])
        s.close()
    return since


def query_plan(s, args):
    """The requests each figure cycles through, taken from the database itself."""
    _, listed = s.request("mantra/sessions", {"limit": 50})
    sessions = listed["sessions"]
    if not sessions:
        sys.exit("rpc.py: the database holds no session; index something first")
    queries = args.query or DEFAULT_QUERIES
    steps = [(x["id"], 1 + k % max(1, x["events"])) for x in sessions for k in range(0, 40, 7)]
    return {
        "search": [("mantra/search", {"query": q, "limit": 20}) for q in queries],
        "sessions": [("mantra/sessions", {"limit": 20}),
                     ("mantra/sessions", {"limit": 100})],
        "open a session": [("mantra/session", {"session": x["id"], "from": 1, "to": 200})
                           for x in sessions],
        "event": [("mantra/event", {"session": sid, "seq": seq}) for sid, seq in steps],
    }


def run_plan(s, plan, samples, stop=None, warm=True):
    """Cycles through each figure's requests: one untimed warm-up each (when `warm`), then
    `samples` timed, or fewer when `stop()` says so."""
    times = {name: [] for name in plan}
    for name, reqs in plan.items():
        for method, params in reqs if warm else []:
            s.request(method, params)
    for i in range(samples):
        for name, reqs in plan.items():
            method, params = reqs[i % len(reqs)]
            times[name].append(s.request(method, params)[0])
        if stop and stop():
            break
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mantra", default=os.path.join(ROOT, "build", "mantra"))
    ap.add_argument("--db", required=True, help="an indexed database (only read)")
    ap.add_argument("--spawns", type=int, default=20, help="server starts timed")
    ap.add_argument("--samples", type=int, default=200, help="timed requests per figure")
    ap.add_argument("--query", action="append", help="a search query (repeatable)")
    ap.add_argument("--reindex", metavar="PATH", action="append",
                    help="also time the queries while `mantra/reindex PATH` runs (writes to --db)")
    ap.add_argument("--json-out", help="write every figure and sample here")
    args = ap.parse_args()
    args.mantra = os.path.abspath(args.mantra)
    if not os.path.exists(args.mantra):
        sys.exit(f"rpc.py: no binary at {args.mantra} (build first, or pass --mantra)")
    if not os.path.exists(args.db):
        sys.exit(f"rpc.py: no database at {args.db}")

    rows, out = [], {}
    with tempfile.TemporaryDirectory() as home:
        since = measure_spawn(args, home)
        rows.append(("sidecar start p50 / p95", f"{pct(since, 50):.1f} / {pct(since, 95):.1f} ms",
                     TARGETS["sidecar start"],
                     f"spawn -> initialize answered, {len(since)} starts"))
        out["spawn"] = since

        s = Server(args.mantra, args.db, home)
        s.initialize()
        plan = query_plan(s, args)
        times = run_plan(s, plan, args.samples)
        for name, xs in times.items():
            target = " / ".join(filter(None, [TARGETS.get(f"{name} p50", ""),
                                              TARGETS.get(f"{name} p95", "")]))
            rows.append((f"{name} p50 / p95", f"{pct(xs, 50):.2f} / {pct(xs, 95):.2f} ms",
                         target, f"{len(xs)} requests over {len(plan[name])} distinct"))
        out["quiet"] = times
        rss, anon, mapped = s.rss_mb()
        rows.append(("idle serve RSS", f"{rss:.1f} MB", TARGETS["idle serve RSS"],
                     f"after the requests above: {anon:.1f} MB anonymous, {mapped:.1f} MB "
                     "mapped files (the database's mmap)"))

        if args.reindex:
            paths = [os.path.abspath(p) for p in args.reindex]
            _, started = s.request("mantra/reindex", {"paths": paths})
            run = started["run"]
            ended = []

            def stop():
                for m in list(s.pending):
                    if m.get("method") == "mantra/indexProgress" and \
                            m["params"].get("state") == "end" and m["params"].get("run") == run:
                        ended.append(m["params"])
                return bool(ended)

            t0 = time.perf_counter()
            busy = run_plan(s, plan, 10 ** 9, stop, warm=False)
            if not ended:
                s.wait_for(lambda m: m.get("method") == "mantra/indexProgress"
                           and m["params"].get("state") == "end", timeout=3600)
            took = time.perf_counter() - t0
            for name, xs in busy.items():
                rows.append((f"{name} p50 / p95 while indexing",
                             f"{pct(xs, 50):.2f} / {pct(xs, 95):.2f} ms", "",
                             f"{len(xs)} requests during a {took:.1f} s run"))
            out["indexing"] = busy
        s.close()

    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'measured':<22}  {'target':<16}  note")
    for name, value, target, note in rows:
        print(f"{name:<{width}}  {value:<22}  {target:<16}  {note}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    main()
