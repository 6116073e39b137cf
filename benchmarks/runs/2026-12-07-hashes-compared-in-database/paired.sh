#!/usr/bin/env bash
# Paired rounds: the import before (every service of a batch read and its hash compared by the
# import) and after (the batch's ids and hashes sent to the database, which returns only the
# services that differ and the ids it does not hold), at 50,000 locations on SQLite and
# PostgreSQL, with DuckDB on the same file in each round.
#
#   paired.sh BEFORE_BENCH AFTER_BENCH DUCKDB_PYTHON > rounds.txt
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
PG=postgres://postgres@127.0.0.1:5432/postgres
FILE_DIR=$(mktemp -d /tmp/bench-hashes-XXXXXX)
for round in 1 2 3; do
  for build in before after; do
    BIN=$1; [ "$build" = after ] && BIN=$2
    echo "## round $round, $build"
    "$BIN" import --rows 50000 --postgres-url $PG --keep-file "$FILE_DIR" 2>&1 | grep -E "^\| (SQLite|PostgreSQL)|Load average"
  done
  echo "## round $round, DuckDB"
  "$3" "$REPO/benchmarks/runs/2026-12-04/import_duckdb.py" "$FILE_DIR/cqc-locations-export-50000.csv" 1 2>&1 | tail -4
done
rm -rf "$FILE_DIR"
