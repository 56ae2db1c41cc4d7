#!/usr/bin/env python3
"""Turns a JMH JSON result of the PSP benchmarks into a markdown table with ratios to the
bare-JCA baseline measured in the same run. Usage: jmh_table.py RESULT.json COMMAND"""
import json
import sys
from datetime import date

results = json.load(open(sys.argv[1]))
command = sys.argv[2]
rows = {}
for r in results:
    name = r["benchmark"].rsplit(".", 1)[1]
    cls = r["benchmark"].rsplit(".", 2)[1]
    params = r.get("params", {})
    score = r["primaryMetric"]["score"]
    err = r["primaryMetric"]["scoreError"]
    alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
    rows[(cls, name, params.get("version"), params.get("size"))] = (score, err, alloc)

def fmt(x):
    if not isinstance(x, (int, float)) or x != x:
        return "n/a"
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.0f} K"

print(f"# PSP core benchmarks\n\nMeasured {date.today()} with `{command}` (JMH, one fork, "
      "one thread, `-prof gc`) on this project's 2-core machine. Packets/s per core; the ratio is to bare "
      "JCA `AES/GCM/NoPadding` on the same bytes in the same run (init + 16-byte AAD + doFinal, in place).\n")
print("| operation | version | inner bytes | packets/s | ± | bare JCA packets/s | ratio | B/op (ours) | B/op (JCA) |")
print("|---|---|---|---|---|---|---|---|---|")
for (cls, name, version, size), (score, err, alloc) in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][2] or "", int(kv[0][3] or 0))):
    if cls != "PspCodecBenchmark" or not name.startswith("psp"):
        continue
    base_name = "bareJcaSeal" if name == "pspSeal" else "bareJcaOpen"
    base = rows.get((cls, base_name, version, size))
    ratio = f"{score / base[0]:.2f}×" if base else "n/a"
    print(f"| {name[3:].lower()} | {version} | {size} | {fmt(score)} | {fmt(err)} | {fmt(base[0]) if base else 'n/a'} | "
          f"{ratio} | {alloc:.0f} | {base[2]:.0f} |" if alloc is not None and base and base[2] is not None else
          f"| {name[3:].lower()} | {version} | {size} | {fmt(score)} | {fmt(err)} | {fmt(base[0]) if base else 'n/a'} | {ratio} | | |")
print("\n| key derivation | derivations/s | ± | B/op |\n|---|---|---|---|")
for (cls, name, version, size), (score, err, alloc) in sorted(rows.items()):
    if cls == "KeyDerivationBenchmark":
        print(f"| {version} | {fmt(score)} | {fmt(err)} | {alloc:.0f} |" if alloc is not None else f"| {version} | {fmt(score)} | {fmt(err)} | |")
