#!/usr/bin/env python3
"""Summarize several `engines --json FILE` results (separate invocations) as a Markdown table.

Per engine: MB/s as the median over invocations of each invocation's median-of-runs (wall clock
and process CPU time), the lowest and highest invocation medians (wall), setup time, findings,
agreement with engine 1, and extra peak memory (medians). Python 3 standard library only.

Usage: python3 bench/engines/summarize.py results-1.json [results-2.json ...]
"""
import json
import statistics
import sys


def main(paths):
    runs = [json.load(open(p)) for p in paths]
    prints = {r.get("ruleFingerprint") for r in runs}
    if len(prints) != 1:
        sys.exit("results come from different rule tables: %s" % prints)
    first = runs[0]
    print("%d invocation(s) x median of %d runs; %.1f MB of string values in %d texts; "
          "rule table fingerprint %x\n" % (len(runs), len(first["results"][0]["secs"]),
                                            first["bytes"] / 1e6, first["texts"],
                                            first["ruleFingerprint"]))
    print("| engine | MB/s (wall) | MB/s (CPU) | wall range | setup ms | findings | "
          "vs (1): common / only here / only (1) | +peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    for i, r0 in enumerate(first["results"]):
        rows = [r["results"][i] for r in runs]
        if any("error" in x for x in rows):
            print("| %s | error | | | | | | |" % r0["name"])
            continue
        wall = [x["mbps"] for x in rows]
        cpu = [x["mbpsCpu"] for x in rows]
        setup = statistics.median(x["compileMs"] for x in rows)
        peak = statistics.median(x["extraPeakKb"] for x in rows) / 1024
        find, agree = "-", "-"
        if "findings" in r0:
            find = str(r0["findings"])
            agree = ("n/a (after checks and merge)" if r0.get("valueSpans")
                     else "%d / %d / %d" % (r0["common"], r0["onlyHere"], r0["onlyRef"]))
        mb = r0["bytes"] / 1e6
        name = r0["name"] + ("" if mb > 10 else " [%.1f MB sample]" % mb)
        print("| %s | %.1f | %.1f | %.1f–%.1f | %.0f | %s | %s | %.1f |" % (
            name, statistics.median(wall), statistics.median(cpu), min(wall), max(wall), setup,
            find, agree, peak))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
