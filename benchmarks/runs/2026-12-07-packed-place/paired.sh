#!/bin/sh
# Before (bda97d0) and after (the parser's places packed in 8 bytes), in turn, three rounds:
# parsing alone (the bench's --parse-only, three times a run) at 500,000 locations, then
# `caremarket import cqc` of 500,000 locations into SQLite and into PostgreSQL under
# /usr/bin/time -v (peak resident memory of the whole process, the first reading included).
# usage: paired.sh BEFORE_DIR AFTER_DIR FILE_DIR   (each DIR holds caremarket-bench and caremarket)
before=$1; after=$2; dir=$3
for r in 1 2 3; do
  if [ "$r" = 2 ]; then order="after before"; else order="before after"; fi
  for which in $order; do
    if [ "$which" = before ]; then bin=$before; else bin=$after; fi
    env -u CAREMARKET_TEST_POSTGRES_URL "$bin/caremarket-bench" import --rows 500000 --parse-only 3 > "parse-round$r-$which.md" 2>&1
    sh ../2026-12-06-reader-thread/command_line.sh "$bin/caremarket" "$dir/cqc-locations-export-500000.csv" > "sqlite-memory-round$r-$which.md" 2>&1
    sh ../2026-12-07-second-reading/command_line_postgres.sh "$bin/caremarket" "$dir/cqc-locations-export-500000.csv" > "postgres-memory-round$r-$which.md" 2>&1
  done
done
