#!/usr/bin/env bash
# Issue 18 item 4: the scale curve, every figure three times, at one commit, both databases.
# Import: files of 5,000, 50,000 and 150,000 locations (about scales 1, 10 and 30), three rounds.
# Pages: the demo at scales 1, 10 and 30, three rounds each, 32 clients, 1,000 requests a page.
# Needs a release build (cargo build --release -p caremarket-bench) and PostgreSQL on 127.0.0.1.
# Usage: benchmarks/runs/2026-12-07-scale-curve/curve.sh OUTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=${1:?OUTDIR}
bench=$repo/target/release/caremarket-bench
pg=postgres://postgres@127.0.0.1:5432/postgres
mkdir -p "$out"
echo "commit $(git -C "$repo" rev-parse --short HEAD), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)" > "$out/machine.txt"
for round in 1 2 3; do
  "$bench" import --scale-curve --postgres-url "$pg" > "$out/import-round$round.md" 2>&1
done
for scale in 1 10 30; do
  "$bench" pages --scale "$scale" --requests 1000 --rounds 3 --postgres-url "$pg" > "$out/pages-scale$scale.md" 2>&1
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
