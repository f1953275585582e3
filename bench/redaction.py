#!/usr/bin/env python3
"""Mantra's redaction benchmark: Mantra's secret scanner against secretlint on a labeled corpus.

The corpus is tests/redaction/ (positives.jsonl: {"id","rule","text","secret"}; negatives.jsonl:
{"id","text","why"}; see make_corpus.py there). Every sample is written to its own file,
<id>.txt, in a temporary folder; then each tool scans that folder once:

  * Mantra:     `mantra scan --json DIR`, which prints
                {"findings":[{"rule","file","line","column","length"}],"files","bytes","seconds"}
                (line and column 1-based; the secret itself is never printed);
  * secretlint: `npx secretlint --format json "DIR/**/*"`, run from bench/secretlint (pinned
                secretlint 12.0.0 with the recommend preset; `npm ci` is run there first when
                node_modules is missing).

What is reported:

  * per rule of the corpus: the number of positives, Mantra's recall with the labeled rule id
    ("rule"), Mantra's recall with any finding in the file ("any"), the share whose whole secret
    lies inside one of Mantra's findings ("span": what redaction would fully remove), and
    secretlint's recall (any finding in the file, and "span" the same way; secretlint has rule ids
    of its own, so only these two apply);
  * overall: recall, false positives on negatives (files flagged, listed with ids and the rules
    that fired), file-level precision (flagged positives / all flagged files) and finding-level
    precision (findings that overlap their file's labeled secret / all findings), per tool;
  * false positives by negative category, and the wall time of each tool.

Spans: a finding's [column, column + length) is placed on its line counting bytes of UTF-8, and,
when that does not fit, code points; secretlint's "range" is in UTF-16 code units of the file
(the corpus has no character outside the BMP, so code points). A finding "overlaps" the secret
when the two ranges intersect and "covers" it when it contains it.

It is a benchmark, not a test: low recall or false positives are reported, never a failure. The
exit status is 1 only when a tool could not run (mantra missing or its scan failing, npm or
secretlint failing; the other tool's figures are still printed), 2 on a usage error.
Python 3 standard library only.

Usage: python3 bench/redaction.py [--mantra build-redact/mantra] [--corpus tests/redaction]
                                  [--skip-mantra] [--skip-secretlint] [--keep] [--json-out FILE]
                                  [--list N]
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SECRETLINT_DIR = os.path.join(HERE, "secretlint")


class CannotRun(Exception):
    pass


# --- corpus ------------------------------------------------------------------------------------

def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_corpus(folder):
    positives = load_jsonl(os.path.join(folder, "positives.jsonl"))
    negatives = load_jsonl(os.path.join(folder, "negatives.jsonl"))
    for s in positives:
        if s["secret"] not in s["text"]:
            raise CannotRun("corpus: %s's secret is not in its text" % s["id"])
    ids = [s["id"] for s in positives + negatives]
    if len(set(ids)) != len(ids):
        raise CannotRun("corpus: duplicate ids")
    return positives, negatives


def write_samples(samples, folder):
    paths = {}
    for s in samples:
        path = os.path.join(folder, s["id"] + ".txt")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(s["text"])
        paths[s["id"]] = path
    return paths


def sample_id(path):
    name = os.path.basename(path)
    return name[:-4] if name.endswith(".txt") else name


# --- spans -------------------------------------------------------------------------------------

class Spans:
    """Character ranges of a sample's text, with line/column (bytes or code points) conversions."""

    def __init__(self, text, secret=None):
        self.text = text
        self.lines = text.split("\n")
        self.starts = []  # code-point offset of each line
        off = 0
        for line in self.lines:
            self.starts.append(off)
            off += len(line) + 1
        self.secrets = []
        if secret:
            i = text.find(secret)
            while i >= 0:  # a secret may occur more than once; every occurrence must go
                self.secrets.append((i, i + len(secret)))
                i = text.find(secret, i + 1)

    def from_line_column(self, line, column, length):
        """[start, end) in code points for a 1-based line/column and a length, or None.

        Tries bytes of UTF-8 first (the column and length counted in bytes), then code points."""
        if not isinstance(line, int) or not isinstance(column, int) or line < 1 or line > len(self.lines):
            return None
        length = length if isinstance(length, int) and length > 0 else 1
        line_text = self.lines[line - 1]
        col = column - 1 if column >= 1 else 0
        raw = line_text.encode("utf-8")
        rest = ("\n".join(self.lines[line - 1:])).encode("utf-8")
        if col <= len(raw) and col + length <= len(rest):
            try:
                start = self.starts[line - 1] + len(raw[:col].decode("utf-8"))
                end = start + len(rest[col:col + length].decode("utf-8"))
                return start, end
            except UnicodeDecodeError:
                pass
        start = self.starts[line - 1] + min(col, len(line_text))
        return start, min(start + length, len(self.text))

    def overlaps(self, rng):
        return rng is not None and any(rng[0] < e and s < rng[1] for s, e in self.secrets)

    def covers(self, ranges):
        """Whether every occurrence of the secret lies inside one of `ranges`."""
        ranges = [r for r in ranges if r is not None]
        return bool(self.secrets) and all(any(r[0] <= s and e <= r[1] for r in ranges) for s, e in self.secrets)


# --- tools -------------------------------------------------------------------------------------

def run_mantra(binary, folder):
    if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
        raise CannotRun("mantra binary not found or not executable: %s" % binary)
    cmd = [binary, "scan", "--json", folder]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    try:
        out = json.loads(proc.stdout)
        findings = out["findings"]
    except (ValueError, KeyError, TypeError):
        raise CannotRun("`%s` exited %d without the scan JSON: %s" % (
            " ".join(cmd), proc.returncode, (proc.stderr or proc.stdout).strip()[:400]))
    result = collections.defaultdict(list)
    for f in findings:
        result[sample_id(f.get("file", ""))].append({
            "rule": f.get("rule"), "line": f.get("line"), "column": f.get("column"), "length": f.get("length")})
    return result, {"wall_s": wall, "files": out.get("files"), "bytes": out.get("bytes"),
                    "seconds": out.get("seconds"), "exit": proc.returncode}


def secretlint_ready(log):
    """Installs bench/secretlint's node_modules with `npm ci` when missing; raises when it can't."""
    if os.path.isfile(os.path.join(SECRETLINT_DIR, "node_modules", ".bin", "secretlint")):
        return
    if shutil.which("npm") is None:
        raise CannotRun("npm not found: secretlint skipped")
    log("bench/secretlint/node_modules is missing: running `npm ci` there")
    proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=SECRETLINT_DIR,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise CannotRun("`npm ci` in bench/secretlint failed (exit %d): secretlint skipped\n%s" % (
            proc.returncode, proc.stderr.strip()[-800:]))


def run_secretlint(folder, log):
    secretlint_ready(log)
    # The report goes to a file: secretlint's stdout is cut short when large and piped.
    report_path = os.path.join(os.path.dirname(folder), os.path.basename(folder) + "-secretlint.json")
    cmd = ["npx", "--no-install", "secretlint", "--secretlintrc", ".secretlintrc.json", "--format", "json",
           "--output", report_path, os.path.join(folder, "**", "*")]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=SECRETLINT_DIR, capture_output=True, text=True)
    wall = time.monotonic() - t0
    try:
        with open(report_path, encoding="utf-8") as f:
            files = json.load(f)
        assert isinstance(files, list)
    except (OSError, ValueError, AssertionError):
        raise CannotRun("secretlint exited %d without its JSON report: %s" % (
            proc.returncode, (proc.stderr or proc.stdout).strip()[:400]))
    finally:
        if os.path.exists(report_path):
            os.remove(report_path)
    result = collections.defaultdict(list)
    for entry in files:
        for m in entry.get("messages", []):
            rng = m.get("range")
            result[sample_id(entry.get("filePath", ""))].append({
                "rule": (m.get("ruleId") or "").replace("@secretlint/secretlint-rule-", ""),
                "range": tuple(rng) if isinstance(rng, list) and len(rng) == 2 else None})
    proc_v = subprocess.run(["npx", "--no-install", "secretlint", "--version"], cwd=SECRETLINT_DIR,
                            capture_output=True, text=True)
    return result, {"wall_s": wall, "files": len(files), "exit": proc.returncode,
                    "version": proc_v.stdout.strip()}


# --- scoring -----------------------------------------------------------------------------------

def score(tool, findings, positives, negatives, spans):
    """Per-sample outcome and totals for one tool. `findings[id]` is its list of findings."""
    def ranges(sid):
        sp = spans[sid]
        if tool == "mantra":
            return [sp.from_line_column(f["line"], f["column"], f["length"]) for f in findings.get(sid, [])]
        return [f["range"] for f in findings.get(sid, [])]

    per_pos = {}
    good_findings = all_findings = 0
    for s in positives:
        fs = findings.get(s["id"], [])
        rs = ranges(s["id"])
        sp = spans[s["id"]]
        per_pos[s["id"]] = {
            "rule": any(f["rule"] == s["rule"] for f in fs),
            "any": bool(fs),
            "span": sp.covers(rs),
            "rules": sorted({f["rule"] for f in fs}),
        }
        all_findings += len(fs)
        good_findings += sum(1 for r in rs if sp.overlaps(r))
    fp = {}
    for s in negatives:
        fs = findings.get(s["id"], [])
        all_findings += len(fs)
        if fs:
            fp[s["id"]] = sorted({f["rule"] for f in fs})
    unknown = sorted(set(findings) - set(spans))
    key = "rule" if tool == "mantra" else "any"
    flagged_pos = sum(1 for v in per_pos.values() if v[key])
    flagged = flagged_pos + len(fp)
    return {
        "per_positive": per_pos,
        "false_positives": fp,
        "recall_rule": sum(v["rule"] for v in per_pos.values()) / len(positives),
        "recall_any": sum(v["any"] for v in per_pos.values()) / len(positives),
        "recall_span": sum(v["span"] for v in per_pos.values()) / len(positives),
        "fp_files": len(fp),
        "fp_rate": len(fp) / len(negatives),
        "file_precision": flagged_pos / flagged if flagged else None,
        "finding_precision": good_findings / all_findings if all_findings else None,
        "findings": all_findings,
        "unknown_files": unknown,
    }


def pct(x):
    return "   -  " if x is None else "%5.1f%%" % (100 * x)


def frac(n, d):
    return "%3d/%-3d %5.1f%%" % (n, d, 100 * n / d) if d else "-"


def report(positives, negatives, results, list_n, out):
    rules = []
    for s in positives:
        if s["rule"] not in rules:
            rules.append(s["rule"])
    m, sl = results.get("mantra"), results.get("secretlint")
    w = out.write

    w("\nPer rule (positives)      n | %s | %s\n" % (
        "Mantra rule   any  span" if m else "Mantra (not run)      ",
        "secretlint any  span" if sl else "secretlint (not run)"))
    w("-" * 78 + "\n")
    for r in rules:
        ids = [s["id"] for s in positives if s["rule"] == r]
        n = len(ids)
        cell = lambda res, k: "%5.0f%%" % (100 * sum(res["per_positive"][i][k] for i in ids) / n)
        mc = "%s %s %s" % (cell(m, "rule"), cell(m, "any"), cell(m, "span")) if m else " " * 20
        sc = "%s %s" % (cell(sl, "any"), cell(sl, "span")) if sl else ""
        w("%-24s %3d | %s | %s\n" % (r, n, mc, sc))
    w("-" * 78 + "\n")

    for name, res in (("Mantra", m), ("secretlint", sl)):
        if not res:
            continue
        w("\n%s\n" % name)
        if name == "Mantra":
            w("  recall, labeled rule    %s\n" % frac(round(res["recall_rule"] * len(positives)), len(positives)))
        w("  recall, any finding     %s\n" % frac(round(res["recall_any"] * len(positives)), len(positives)))
        w("  recall, secret covered  %s\n" % frac(round(res["recall_span"] * len(positives)), len(positives)))
        w("  false positives         %s of the negatives' files\n" % frac(res["fp_files"], len(negatives)))
        w("  precision, files        %s   (flagged positives / all flagged files)\n" % pct(res["file_precision"]))
        w("  precision, findings     %s   (%d findings; those overlapping their file's secret / all)\n" % (
            pct(res["finding_precision"]), res["findings"]))
        if res["unknown_files"]:
            w("  findings in files not in the corpus: %s\n" % ", ".join(res["unknown_files"][:5]))
        fps = list(res["false_positives"].items())
        if fps:
            why = {s["id"]: s["why"] for s in negatives}
            w("  false positives (first %d of %d):\n" % (min(list_n, len(fps)), len(fps)))
            for sid, rs in fps[:list_n]:
                w("    %s  %-16s %s\n" % (sid, why[sid], ", ".join(rs)))
        missed = [s for s in positives if not res["per_positive"][s["id"]]["rule" if name == "Mantra" else "any"]]
        if missed:
            w("  missed positives (first %d of %d):\n" % (min(list_n, len(missed)), len(missed)))
            for s in missed[:list_n]:
                got = res["per_positive"][s["id"]]["rules"]
                w("    %s  %-22s%s\n" % (s["id"], s["rule"], ("  (found as: %s)" % ", ".join(got)) if got else ""))

    cats = collections.Counter(s["why"] for s in negatives)
    w("\nFalse positives by negative category   n | %s\n" % " | ".join(
        n for n, r in (("Mantra", m), ("secretlint", sl)) if r))
    for why, n in sorted(cats.items(), key=lambda kv: (-kv[1], kv[0])):
        ids = {s["id"] for s in negatives if s["why"] == why}
        cells = ["%6d" % len(ids & set(r["false_positives"])) for r in (m, sl) if r]
        w("  %-34s %3d | %s\n" % (why, n, " | ".join(cells)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_mantra = next((p for p in (os.path.join(ROOT, "build-redact", "mantra"), os.path.join(ROOT, "build", "mantra"))
                           if os.path.exists(p)), os.path.join(ROOT, "build-redact", "mantra"))
    ap.add_argument("--mantra", default=default_mantra, help="the mantra binary (default: %(default)s)")
    ap.add_argument("--corpus", default=os.path.join(ROOT, "tests", "redaction"), help="folder of the two .jsonl files")
    ap.add_argument("--skip-mantra", action="store_true")
    ap.add_argument("--skip-secretlint", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the folder of sample files and print its path")
    ap.add_argument("--json-out", help="also write every figure and per-sample outcome as JSON")
    ap.add_argument("--list", type=int, default=8, help="how many false positives / misses to list (default 8)")
    args = ap.parse_args()

    log = lambda msg: print(msg, file=sys.stderr, flush=True)
    failures = []
    try:
        positives, negatives = load_corpus(args.corpus)
    except (OSError, ValueError, KeyError, CannotRun) as e:
        log("cannot load the corpus: %s" % e)
        return 1
    folder = tempfile.mkdtemp(prefix="mantra-redaction-")
    try:
        write_samples(positives + negatives, folder)
        spans = {s["id"]: Spans(s["text"], s.get("secret")) for s in positives + negatives}
        print("corpus: %d positives over %d rules, %d negatives; %s" % (
            len(positives), len({s["rule"] for s in positives}), len(negatives), args.corpus))
        results, runs = {}, {}
        if not args.skip_mantra:
            try:
                findings, runs["mantra"] = run_mantra(os.path.abspath(args.mantra), folder)
                results["mantra"] = score("mantra", findings, positives, negatives, spans)
                r = runs["mantra"]
                print("mantra: %s scan: %s files, %s bytes, %.2f s wall (%s s reported), exit %d" % (
                    args.mantra, r["files"], r["bytes"], r["wall_s"], r["seconds"], r["exit"]))
            except (CannotRun, OSError) as e:
                failures.append("mantra: %s" % e)
                log("mantra: %s" % e)
        if not args.skip_secretlint:
            try:
                findings, runs["secretlint"] = run_secretlint(folder, log)
                results["secretlint"] = score("secretlint", findings, positives, negatives, spans)
                r = runs["secretlint"]
                print("secretlint %s (recommend preset, AWS id scan on): %d files, %.2f s wall, exit %d" % (
                    r["version"], r["files"], r["wall_s"], r["exit"]))
            except (CannotRun, OSError) as e:
                failures.append("secretlint: %s" % e)
                log("secretlint: %s" % e)
        if results:
            report(positives, negatives, results, args.list, sys.stdout)
        if args.json_out:
            with open(args.json_out, "w", encoding="utf-8") as f:
                json.dump({"runs": runs, "results": results, "failures": failures}, f, indent=1)
        if args.keep:
            print("\nsample files kept in %s" % folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    for msg in failures:
        print("COULD NOT RUN: %s" % msg.splitlines()[0])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
