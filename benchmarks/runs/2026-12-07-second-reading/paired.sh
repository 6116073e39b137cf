#!/bin/sh
# Three paired rounds at 50,000 locations, SQLite and PostgreSQL in each run: the bench built
# before (ac4ab62, the second reading remembering every id and the import gathering them again) and after (bda97d0,
# the second reading remembering only rejected ids, the import taking the first reading's list), in turn (round 2 runs the after binary first). Then the
# command line's peak memory at 50,000 and 500,000 locations, three times each way.
# usage: paired.sh BEFORE_DIR AFTER_DIR FILE_DIR POSTGRES_URL  (each DIR holds caremarket-bench and caremarket)
before=$1; after=$2; dir=$3; pg=$4
memory=../2026-12-06-reader-thread/command_line.sh
for r in 1 2 3; do
  if [ "$r" = 2 ]; then order="after before"; else order="before after"; fi
  for which in $order; do
    if [ "$which" = before ]; then bin=$before; else bin=$after; fi
    { echo "uptime before: $(uptime)"
      "$bin/caremarket-bench" import --rows 50000 --keep-file "$dir" --postgres-url "$pg"
      echo "uptime after: $(uptime)"; } > "round$r-$which.md" 2>&1
  done
done
for r in 1 2 3; do
  for which in before after; do
    if [ "$which" = before ]; then bin=$before; else bin=$after; fi
    for n in 50000 500000; do
      sh "$memory" "$bin/caremarket" "$dir/cqc-locations-export-$n.csv" > "memory-$n-round$r-$which.md" 2>&1
    done
  done
done
