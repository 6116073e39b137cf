#!/bin/sh
# Paired parses of one file: the ingest crate's `cqc_parse` example built before and after
# (each prints the time `parse_cqc_file` took), run in turn so that drift falls on both alike.
# usage: parse_pairs.sh BEFORE_BINARY AFTER_BINARY FILE PAIRS
before=$1; after=$2; file=$3; pairs=${4:-10}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
i=1
while [ "$i" -le "$pairs" ]; do
  b=$("$before" "$file" | sed -n 's/.*(\(.*\))$/\1/p')
  a=$("$after" "$file" | sed -n 's/.*(\(.*\))$/\1/p')
  echo "| $i | $b | $a |"
  i=$((i + 1))
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
