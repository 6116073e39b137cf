#!/bin/sh
# Three paired rounds at 50,000 locations, both databases: the bench built before (bafcd93) and
# after the digest moved to the reading thread, in turn (round 2 runs the after binary first).
# usage: paired.sh BEFORE_BENCH AFTER_BENCH FILE_DIR POSTGRES_URL
before=$1; after=$2; dir=$3; pg=$4
for r in 1 2 3; do
  if [ "$r" = 2 ]; then order="after before"; else order="before after"; fi
  for which in $order; do
    if [ "$which" = before ]; then bin=$before; else bin=$after; fi
    out=round$r-$which.md
    { echo "uptime before: $(uptime)"
      "$bin" import --rows 50000 --keep-file "$dir" --postgres-url "$pg"
      echo "uptime after: $(uptime)"; } > "$out" 2>&1
  done
done
