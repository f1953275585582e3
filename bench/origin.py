#!/usr/bin/env python3
"""Line origins: how often `mantra/origin` names the step that wrote a line, and how fast.

Indexes, into one fresh database, the generated fixtures (tests/fixtures/generated: sessions
written by the real CLIs, with the exact content of every touched file after each turn), the
real fixtures of other projects (../shared/fixtures/real, when present) and a generated corpus
(gen_corpus.py, --size-mb; 0 skips it). Then asks a `mantra serve` about lines, as an editor's
hover does (path, line, text and the three lines above and below), and compares with what is
known to be true:

  * generated fixtures: every non-blank line of every touched file after the last turn. The turn
    that wrote each line comes from EXPECTED.json's contents (a line the turn inserted, compared
    without whitespace; a renamed file keeps its lines' authors). Right = the fixture's session
    and that turn's prompt. Lines already in the original files are "unwritten": a confident
    answer for one is wrong.
  * real fixtures and the corpus: for sampled sessions, every line each change added, from the
    server's own file states (mantra/files, mantra/fileAt before and after the step). Right = the
    same session and step.
  * unwritten lines: lines of Mantra's own sources, asked as if they were in a file of a corpus
    project; no session wrote them.

Printed: recall (right answers / lines asked), precision (right / answered), the rate of
confident answers for unwritten lines (target: near 0), and the time per question (client round
trip and the server's own "ms"), p50 / p95 against the target p95 ≤ 5 ms.

It is a benchmark, not a test: figures are printed, nothing fails. Python 3 standard library.

Usage: python3 bench/origin.py [--mantra build/mantra] [--size-mb 20] [--seed 11]
                               [--corpus DIR] [--work DIR] [--samples 60] [--json-out FILE]
"""
import argparse
import difflib
import glob
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from rpc import Server  # noqa: E402

WS = re.compile(r"\s+")


def norm(line):
    return WS.sub("", line)


def lines_of(text):
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def carry(prev_lines, prev_labels, cur_lines, label):
    """Labels for cur_lines: a line kept from prev keeps its label, an inserted one gets `label`."""
    out = [label] * len(cur_lines)
    sm = difflib.SequenceMatcher(None, [norm(x) for x in prev_lines], [norm(x) for x in cur_lines],
                                 autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out[j1:j2] = prev_labels[i1:i2]
    return out


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


class Tally:
    def __init__(self, name):
        self.name = name
        self.asked = self.right = self.answered = 0
        self.wrong = []
        self.missed = []  # asked, no answer

    def add(self, result, is_right, example):
        self.asked += 1
        if not result.get("origin") and len(self.missed) < 8:
            self.missed.append(f"{example} — {result.get('reason')}")
        if result.get("origin"):
            self.answered += 1
            if is_right(result["origin"]):
                self.right += 1
            elif len(self.wrong) < 5:
                self.wrong.append(example)

    def figures(self):
        return {"asked": self.asked, "answered": self.answered, "right": self.right,
                "recall": self.right / self.asked if self.asked else float("nan"),
                "precision": self.right / self.answered if self.answered else float("nan")}


class Bench:
    def __init__(self, server):
        self.server = server
        self.client_ms = []
        self.server_ms = []
        self.unwritten = Tally("unwritten")

    def ask(self, path, lines, i):
        params = {"path": path, "line": i + 1, "text": lines[i],
                  "above": lines[max(0, i - 3):i], "below": lines[i + 1:i + 4]}
        dt, r = self.server.request("mantra/origin", params)
        self.client_ms.append(dt * 1000)
        self.server_ms.append(r.get("ms", float("nan")))
        return r

    # --- generated fixtures: the truth from EXPECTED.json -------------------------------------
    def generated(self, root):
        t = Tally("generated fixtures")
        for exp_path in sorted(glob.glob(os.path.join(root, "*", "EXPECTED.json"))):
            with open(exp_path) as f:
                e = json.load(f)
            prompts = [x["prompt"] for x in e["turns"]]
            turns = len(prompts)
            files = e["files"]
            # Labels of every file after each turn (0: the original; k: written by turn k).
            labels = {p: (lines_of(v["before"]), [0] * len(lines_of(v["before"])))
                      for p, v in files.items() if v.get("before") is not None}
            for k in range(1, turns + 1):
                key = f"after_turn_{k}"
                gone = {p: labels[p] for p, v in files.items()
                        if p in labels and v.get(key) is None}
                nxt = {}
                for p, v in files.items():
                    cur = v.get(key)
                    if cur is None:
                        continue
                    cur_lines = lines_of(cur)
                    if p in labels:
                        prev_lines, prev_labels = labels[p]
                    else:  # new here: a rename keeps the authors of the lines it carried
                        best = max(gone.items(), default=None, key=lambda kv: difflib.SequenceMatcher(
                            None, kv[1][0], cur_lines).ratio())
                        if best and difflib.SequenceMatcher(None, best[1][0], cur_lines).ratio() > 0.6:
                            prev_lines, prev_labels = best[1]
                        else:
                            prev_lines, prev_labels = [], []
                    nxt[p] = (cur_lines, carry(prev_lines, prev_labels, cur_lines, k))
                labels = nxt
            native = e["session_id"]
            for p, (lines, labs) in sorted(labels.items()):
                path = os.path.join(e["cwd"], p)
                for i, lab in enumerate(labs):
                    if not lines[i].strip():
                        continue
                    r = self.ask(path, lines, i)
                    example = f"{e['agent']} {p}:{i + 1} {lines[i].strip()[:60]!r}"
                    if lab == 0:
                        self.unwritten.add(r, lambda o: False, example + f" → {r.get('origin')}")
                    else:
                        want = prompts[lab - 1].strip()
                        t.add(r, lambda o: o["session"].endswith(native) and
                              o["prompt"].strip() == want,
                              example + f" (turn {lab}) → {(r.get('origin') or {}).get('prompt', '')[:40]!r}")
        return t

    # --- indexed sessions: the truth from the server's own file states ------------------------
    def from_states(self, name, sessions, samples, rnd):
        t = Tally(name)
        picked = 0
        for s in sessions:
            if picked >= samples:
                break
            _, files = self.server.request("mantra/files", {"session": s["id"]})
            changed = [f for f in files["files"] if f["changedAt"]]
            if not changed:
                continue
            picked += 1
            for f in changed[:4]:
                for seq in f["changedAt"][:6]:
                    _, after = self.server.request("mantra/fileAt", {"session": s["id"], "seq": seq,
                                                                     "path": f["path"]})
                    _, before = self.server.request("mantra/fileAt", {"session": s["id"],
                                                                      "seq": seq - 1,
                                                                      "path": f["path"]})
                    if after.get("content") is None:
                        continue
                    if before.get("content") is None and before.get("exists", True):
                        continue  # unknown before: the truth is not known either
                    cur = lines_of(after["content"])
                    prev = lines_of(before["content"] or "")
                    labs = carry(prev, [0] * len(prev), cur, 1)
                    path = f["path"] if f["path"].startswith("/") else \
                        os.path.join(s.get("project") or "/", f["path"])
                    added = [i for i, lab in enumerate(labs) if lab == 1 and cur[i].strip()]
                    for i in rnd.sample(added, min(len(added), 25)):
                        r = self.ask(path, cur, i)
                        t.add(r, lambda o: o["session"] == s["id"] and o["seq"] == seq,
                              f"{s['id']} #{seq} {f['path']}:{i + 1} {cur[i].strip()[:50]!r} → "
                              f"{(r.get('origin') or {}).get('session')} "
                              f"#{(r.get('origin') or {}).get('seq')}")
        return t

    def own_sources(self, projects, count, rnd):
        """Lines of Mantra's own sources, asked as if in a file of an indexed project."""
        lines = []
        for path in sorted(glob.glob(os.path.join(ROOT, "server", "**", "*.cpp"), recursive=True)):
            with open(path, encoding="utf-8", errors="replace") as f:
                src = f.read().split("\n")
            lines.append(src)
        for n in range(count):
            src = rnd.choice(lines)
            i = rnd.randrange(len(src))
            if not src[i].strip():
                continue
            project = rnd.choice(projects) if projects else "/tmp/nowhere"
            path = os.path.join(project, "src", f"unwritten_{n}.cpp")
            r = self.ask(path, src, i)
            self.unwritten.add(r, lambda o: False,
                               f"{src[i].strip()[:60]!r} → {(r.get('origin') or {}).get('session')}"
                               f" ({(r.get('origin') or {}).get('confidence')})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mantra", default=os.path.join(ROOT, "build", "mantra"))
    ap.add_argument("--size-mb", type=float, default=20, help="corpus size in MiB (20; 0: none)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--corpus", help="corpus folder (default: a temporary one)")
    ap.add_argument("--work", help="folder for the database (default: a temporary one)")
    ap.add_argument("--samples", type=int, default=60, help="sessions sampled per source (60)")
    ap.add_argument("--json-out", help="also write the figures as JSON to this file")
    args = ap.parse_args()
    mantra = os.path.abspath(args.mantra)
    if not os.access(mantra, os.X_OK):
        sys.exit(f"origin.py: no mantra binary at {mantra} (build first)")
    work = args.work or tempfile.mkdtemp(prefix="mantra-origin-")
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, "origin.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    generated = os.path.join(ROOT, "tests", "fixtures", "generated")
    real = os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "real")
    paths = sorted(glob.glob(os.path.join(generated, "*", "home")))
    if os.path.isdir(real):
        paths.append(real)
    else:
        print(f"(no {real}: the real fixtures are skipped)")
    corpus = None
    if args.size_mb > 0:
        corpus = args.corpus or os.path.join(work, "corpus")
        if not os.path.exists(os.path.join(corpus, "manifest.json")):
            print(f"generating a {args.size_mb} MiB corpus (seed {args.seed}) in {corpus} ...")
            subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), "--out", corpus,
                            "--size-mb", str(args.size_mb), "--seed", str(args.seed)], check=True,
                           stdout=subprocess.DEVNULL)
        paths.append(corpus)
    print(f"indexing {len(paths)} folders into {db} ...")
    env = dict(os.environ, MANTRA_DB=db)
    r = subprocess.run([mantra, "index", "--db", db, "--json", *paths], env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"origin.py: mantra index exited {r.returncode}: {r.stderr.strip()}")

    home = os.path.join(work, "home")
    os.makedirs(home, exist_ok=True)
    server = Server(mantra, db, home)
    server.initialize(index=False)
    bench = Bench(server)
    rnd = random.Random(5)
    tallies = [bench.generated(generated)]
    _, listed = server.request("mantra/sessions", {"limit": 100000})
    sessions = listed["sessions"]
    rnd.shuffle(sessions)

    gen_ids = set()
    for exp in glob.glob(os.path.join(generated, "*", "EXPECTED.json")):
        with open(exp) as f:
            gen_ids.add(json.load(f)["session_id"])
    others = [s for s in sessions if not any(s["id"].endswith(g) for g in gen_ids)]
    corpus_projects = sorted({s.get("project") for s in others if s.get("project")})
    tallies.append(bench.from_states("indexed sessions (real fixtures + corpus)", others,
                                     args.samples, rnd))
    bench.own_sources(corpus_projects, 300, rnd)
    server.close()

    print()
    print(f"{'set':44} {'asked':>6} {'answered':>9} {'right':>6} {'recall':>7} {'precision':>9}")
    out = {}
    for t in tallies:
        f = t.figures()
        out[t.name] = f
        print(f"{t.name:44} {f['asked']:6d} {f['answered']:9d} {f['right']:6d} "
              f"{f['recall']:7.1%} {f['precision']:9.1%}")
    u = bench.unwritten
    rate = u.answered / u.asked if u.asked else float("nan")
    out["unwritten"] = {"asked": u.asked, "confident": u.answered, "rate": rate}
    print(f"{'unwritten lines: confident answers':44} {u.asked:6d} {u.answered:9d} {'':6} "
          f"{rate:7.1%}   (target: near 0)")
    p50c, p95c = percentile(bench.client_ms, 50), percentile(bench.client_ms, 95)
    p50s, p95s = percentile(bench.server_ms, 50), percentile(bench.server_ms, 95)
    out["time_ms"] = {"client_p50": p50c, "client_p95": p95c, "server_p50": p50s,
                      "server_p95": p95s, "questions": len(bench.client_ms)}
    print(f"\ntime per question ({len(bench.client_ms)} asked): server p50 {p50s:.2f} ms, "
          f"p95 {p95s:.2f} ms; round trip p50 {p50c:.2f} ms, p95 {p95c:.2f} ms "
          f"(target p95 ≤ 5 ms{', met' if p95c <= 5 else ', MISSED'})")
    for t in tallies + [u]:
        if t.wrong:
            print(f"\nexamples of wrong answers ({t.name}):")
            for w in t.wrong:
                print("  " + w)
    for t in tallies:
        if t.missed:
            print(f"\nexamples of lines left unanswered ({t.name}):")
            for m in t.missed:
                print("  " + m)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(out, f, indent=2)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
