"""Ranges over the rounds of the scale curve's outputs (issue 18 item 4).
Usage: summary.py OUTDIR   (reads import-round*.md, pages-scale*.md, pg-config-*-round*.md)"""
import glob, os, re, sys
from collections import defaultdict

out = sys.argv[1]

def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]

def num(s):
    return float(re.sub(r"[^0-9.]", "", s))

def rng(vals, fmt):
    lo, hi = min(vals), max(vals)
    return fmt(lo) if lo == hi else f"{fmt(lo)}–{fmt(hi)}"

def imports(pattern, title):
    rows = defaultdict(lambda: defaultdict(list))
    for path in sorted(glob.glob(os.path.join(out, pattern))):
        for line in open(path):
            if line.startswith("| SQLite") or line.startswith("| PostgreSQL"):
                c = cells(line)
                if len(c) < 9 or not c[2][0].isdigit():
                    continue
                key = (c[0], c[1], int(num(c[2])))
                rows[key]["apply s"].append(num(c[4]))
                rows[key]["overall rows/s"].append(num(c[8]))
                rows[key]["peak apply MiB"].append(num(c[11]))
    print(f"## {title}\n")
    print("| Backend | Run | Locations | Rounds | Apply | Parse + apply, rows/s | Peak RSS apply |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (b, run, n), v in sorted(rows.items(), key=lambda kv: (kv[0][0] != "SQLite", kv[0][1], kv[0][2])):
        print(f"| {b} | {run} | {n:,} | {len(v['apply s'])} | {rng(v['apply s'], lambda x: f'{x:.2f} s')} | "
              f"{rng(v['overall rows/s'], lambda x: f'{x:,.0f}')} | {rng(v['peak apply MiB'], lambda x: f'{x:.0f} MiB')} |")
    print()

def pages():
    print("## Pages under 32 clients, 1,000 requests a page, three rounds\n")
    print("| Scale | Backend | Page | Share of bare | Median | p99 | req/s |")
    print("|---:|---|---|---:|---:|---:|---:|")
    for path in sorted(glob.glob(os.path.join(out, "pages-scale*.md")), key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0])):
        scale = int(re.findall(r"\d+", os.path.basename(path))[0])
        rows = defaultdict(lambda: defaultdict(list))
        for line in open(path):
            c = cells(line)
            if len(c) == 13 and c[1].isdigit():
                key = (c[0], c[2])
                rows[key]["share"].append(num(c[10]))
                rows[key]["median"].append(num(c[4]))
                rows[key]["p99"].append(num(c[6]))
                rows[key]["rps"].append(num(c[9]))
        for (b, page), v in rows.items():
            print(f"| {scale} | {b} | {page} | {rng(v['share'], lambda x: f'{x:.1f}%')} | {rng(v['median'], lambda x: f'{x:.1f} ms')} | "
                  f"{rng(v['p99'], lambda x: f'{x:.1f} ms')} | {rng(v['rps'], lambda x: f'{x:,.0f}')} |")
    print()

imports("import-round*.md", "CQC import, three rounds (machine's PostgreSQL, default configuration)")
for c in ("default", "wal", "tuned"):
    if glob.glob(os.path.join(out, f"pg-config-{c}-round*.md")):
        imports(f"pg-config-{c}-round*.md", f"PostgreSQL configuration: {c}")
pages()
