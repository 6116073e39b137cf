#!/usr/bin/env bash
# Paired rounds of the web upload's peak memory (issue 18 item 1): the build before this change
# (the upload parsed whole and held; a pending upload saved as parsed JSON) and after it (read as
# it is applied; a pending upload kept as its file), at 50,000 and 500,000 locations, applied at
# once and awaiting confirmation. Three rounds; each run a fresh SQLite database.
#
#   paired.sh BEFORE_BIN AFTER_BIN FILE_50000 FILE_500000 > rounds.txt
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2 3; do
  for size in 50000 500000; do
    FILE=$3; [ "$size" = 500000 ] && FILE=$4
    for mode in direct pending; do
      for build in before after; do
        BIN=$1; [ "$build" = after ] && BIN=$2
        echo "## round $round, $size locations, $mode, $build"
        "$HERE/upload_memory.sh" "$BIN" "$FILE" "$mode" 2>&1
      done
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
