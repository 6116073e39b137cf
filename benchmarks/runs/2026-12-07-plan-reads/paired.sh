#!/bin/sh
# Paired rounds at 50,000 locations, both databases: release builds of the bench, each a label
# and a binary, run in turn on the same file; each round reverses the order of the one before.
# usage: paired.sh ROUNDS FILE_DIR POSTGRES_URL LABEL=BENCH [LABEL=BENCH ...]
rounds=$1; dir=$2; pg=$3; shift 3
r=1
while [ "$r" -le "$rounds" ]; do
  if [ $((r % 2)) = 0 ]; then list=$(for b in "$@"; do echo "$b"; done | tac); else list=$(for b in "$@"; do echo "$b"; done); fi
  for pair in $list; do
    label=${pair%%=*}; bin=${pair#*=}
    { echo "uptime before: $(uptime)"
      "$bin" import --rows 50000 --keep-file "$dir" --postgres-url "$pg"
      echo "uptime after: $(uptime)"; } > "round$r-$label.md" 2>&1
  done
  r=$((r + 1))
done
