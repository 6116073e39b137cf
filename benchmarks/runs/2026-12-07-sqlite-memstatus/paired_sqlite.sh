#!/bin/sh
# Three paired rounds of SQLite imports at 50,000 locations: the bench built before (83390fe, SQLite
# with its memory statistics) and after (the same source built with .cargo/config.toml's
# LIBSQLITE3_FLAGS), in turn (round 2 runs the after binary first). No PostgreSQL URL: SQLite only.
# usage: env -u CAREMARKET_TEST_POSTGRES_URL paired_sqlite.sh BEFORE_BENCH AFTER_BENCH FILE_DIR
before=$1; after=$2; dir=$3
for r in 1 2 3; do
  if [ "$r" = 2 ]; then order="after before"; else order="before after"; fi
  for which in $order; do
    if [ "$which" = before ]; then bin=$before; else bin=$after; fi
    out=sqlite-round$r-$which.md
    { echo "uptime before: $(uptime)"
      "$bin" import --rows 50000 --keep-file "$dir"
      echo "uptime after: $(uptime)"; } > "$out" 2>&1
  done
done
