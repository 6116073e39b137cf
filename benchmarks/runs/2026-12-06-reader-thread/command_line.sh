#!/bin/sh
# `caremarket import cqc FILE` into a new SQLite database, then again, under /usr/bin/time -v:
# the whole process's wall time and peak resident memory, first reading included.
# usage: command_line.sh CAREMARKET_BINARY FILE
bin=$1; file=$2
dir=$(mktemp -d)
echo "$(uptime)"
for run in first again; do
  echo "## $run"
  /usr/bin/time -v "$bin" import cqc --database-url "sqlite://$dir/c.db" "$file" > "$dir/out" 2> "$dir/err"
  echo "exit $?"
  grep -E "^Imported|^  (New|Unchanged)" "$dir/out"
  grep -E "Elapsed|Maximum resident" "$dir/err"
done
echo "$(uptime)"
rm -rf "$dir"
