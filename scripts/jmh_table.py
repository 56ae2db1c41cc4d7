#!/usr/bin/env python3
"""Turns a JMH JSON result into markdown tables. Benchmarks named bareJca* are baselines: every
other benchmark of the same class and parameters is shown with its ratio to bareJcaSeal (seal,
egress) or bareJcaOpen (open, ingress) measured in the same run. Benchmarks of a class without
baselines are listed plainly. Usage: jmh_table.py RESULT.json "COMMAND" "TITLE" """
import json
import sys
from collections import defaultdict
from datetime import date


def fmt(x):
    if not isinstance(x, (int, float)) or x != x:
        return "n/a"
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.0f} K"


def alloc(v):
    return "" if v is None else f"{v:.0f}"


results = json.load(open(sys.argv[1]))
command, title = sys.argv[2], sys.argv[3]
by_class = defaultdict(dict)
for r in results:
    cls, name = r["benchmark"].rsplit(".", 2)[1:]
    params = tuple(sorted(r.get("params", {}).items()))
    metric = r["primaryMetric"]
    gc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
    by_class[cls][(name, params)] = (metric["score"], metric["scoreError"], gc)

print(f"# {title}\n\nMeasured {date.today()} with `{command}` (JMH, one fork, one thread, `-prof gc`) on this "
      "project's 2-core machine; operations/s per core. Baseline: bare JCA `AES/GCM/NoPadding` on the same "
      "bytes in the same run (init + 16-byte AAD + doFinal, in place).\n")
for cls, rows in sorted(by_class.items()):
    has_baseline = any(name.startswith("bareJca") for name, _ in rows)
    print(f"## {cls}\n")
    if has_baseline:
        print("| operation | parameters | ops/s | ± | bare JCA ops/s | ratio | B/op | B/op (JCA) |\n|---|---|---|---|---|---|---|---|")
    else:
        print("| operation | parameters | ops/s | ± | B/op |\n|---|---|---|---|---|")
    def order(item):
        (name, params), _ = item
        return name, [(k, int(v) if str(v).isdigit() else v) for k, v in params]

    for (name, params), (score, err, gc) in sorted(rows.items(), key=order):
        if name.startswith("bareJca"):
            continue
        shown = ", ".join(f"{k}={v}" for k, v in params) or "-"
        if not has_baseline:
            print(f"| {name} | {shown} | {fmt(score)} | {fmt(err)} | {alloc(gc)} |")
            continue
        lower = name.lower()
        base_name = "bareJcaSeal" if ("seal" in lower or "egress" in lower) else "bareJcaOpen"
        base = rows.get((base_name, params))
        ratio = f"{score / base[0]:.2f}×" if base else "n/a"
        print(f"| {name} | {shown} | {fmt(score)} | {fmt(err)} | {fmt(base[0]) if base else 'n/a'} | {ratio} | "
              f"{alloc(gc)} | {alloc(base[2]) if base else ''} |")
    print()
