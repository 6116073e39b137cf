#!/bin/sh
# Three paired rounds of PostgreSQL imports at 50,000 locations: the bench built before
# (c5648e5) and after, in turn (round 2 runs the after binary first).
# usage: paired_postgres.sh BEFORE_BENCH AFTER_BENCH FILE_DIR POSTGRES_URL
before=$1; after=$2; dir=$3; pg=$4
for r in 1 2 3; do
  if [ "$r" = 2 ]; then order="after before"; else order="before after"; fi
  for which in $order; do
    if [ "$which" = before ]; then bin=$before; else bin=$after; fi
    out=postgres-round$r-$which.md
    { echo "uptime before: $(uptime)"
      "$bin" import --rows 50000 --skip-sqlite --keep-file "$dir" --postgres-url "$pg"
      echo "uptime after: $(uptime)"; } > "$out" 2>&1
  done
done
