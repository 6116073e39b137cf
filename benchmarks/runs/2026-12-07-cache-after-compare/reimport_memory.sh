#!/bin/sh
# An unchanged re-import by `caremarket import cqc`, two builds taking turns on the same SQLite
# database: wall time and peak resident memory of the whole process (/usr/bin/time), round by round.
# usage: reimport_memory.sh BEFORE_BINARY AFTER_BINARY FILE ROUNDS
before=$1; after=$2; file=$3; rounds=$4
dir=$(mktemp -d)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$after" import cqc --database-url "sqlite://$dir/c.db" "$file" > /dev/null 2>&1 || { echo "first import failed"; exit 1; }
echo "| Round | Build | Unchanged | Wall | Peak RSS |"
echo "|---:|---|---:|---:|---:|"
r=1
while [ "$r" -le "$rounds" ]; do
  if [ $((r % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
  for which in $order; do
    if [ "$which" = before ]; then bin=$before; else bin=$after; fi
    /usr/bin/time -f "%e %M" -o "$dir/time" "$bin" import cqc --database-url "sqlite://$dir/c.db" "$file" > "$dir/out" 2>&1 || { echo "import failed"; cat "$dir/out"; exit 1; }
    unchanged=$(awk '/^  Unchanged/ {print $2}' "$dir/out")
    read -r wall kib < "$dir/time"
    echo "| $r | $which | $unchanged | $wall s | $((kib / 1024)) MiB |"
  done
  r=$((r + 1))
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$dir"
