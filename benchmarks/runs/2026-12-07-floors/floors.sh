#!/usr/bin/env bash
# Issue 18 item 1: the databases' own floors for what a first CQC import writes, beside the
# import and the DuckDB peer, in one run. Needs a release build (caremarket, caremarket-bench),
# PostgreSQL on 127.0.0.1:5432 and a DuckDB venv at /tmp/duckdb (benchmarks/README.md).
# Usage: benchmarks/runs/2026-12-07-floors/floors.sh WORKDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=${1:?WORKDIR}
bin=$repo/target/release
pg=postgres://postgres@127.0.0.1:5432
mkdir -p "$work"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin/caremarket-bench" import --rows 50000 --parse-only 1 --keep-file "$work" > /dev/null
file=$work/cqc-locations-export-50000.csv
rm -f "$work"/filled.db* "$work"/empty.db*
"$bin/caremarket" --database-url "sqlite://$work/empty.db" migrate > /dev/null
start=$(date +%s.%N)
"$bin/caremarket" --database-url "sqlite://$work/filled.db" import cqc "$file" > /dev/null
end=$(date +%s.%N)
echo "caremarket import cqc (SQLite, first import, the whole command: migrations, both readings, apply): $(echo "$end - $start" | bc) s"
python3 -c "
import sqlite3
for p in ('$work/empty.db', '$work/filled.db'):
    c = sqlite3.connect(p); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close()"
echo "## SQLite: the same rows, written by SQLite alone"
python3 "$here/sqlite_floor.py" "$work/filled.db" "$work/empty.db" "$work"
echo "## SQLite: where its own time goes"
python3 "$here/sqlite_floor_parts.py" "$work/filled.db" "$work/empty.db" "$work"
echo "## SQLite: what an unchanged re-import must read"
python3 "$here/sqlite_reimport_floor.py" "$work/filled.db"
echo "## PostgreSQL: the same rows by COPY"
for i in 1 2 3; do
  psql "$pg/postgres" -qc 'DROP DATABASE IF EXISTS caremarket_floor WITH (FORCE)' -c 'CREATE DATABASE caremarket_floor' 2> /dev/null
  "$bin/caremarket" --database-url "$pg/caremarket_floor" migrate > /dev/null
  python3 "$here/pg_floor.py" "$work/filled.db" "$pg/caremarket_floor" "$work" | tail -1
done
psql "$pg/postgres" -qc 'DROP DATABASE IF EXISTS caremarket_floor WITH (FORCE)'
echo "## The import (the bench, streamed), three times"
for i in 1 2 3; do
  "$bin/caremarket-bench" import --rows 50000 --postgres-url "$pg/postgres" 2>/dev/null | grep -E '^\| (SQLite|PostgreSQL) '
done
echo "## DuckDB, three times"
for i in 1 2 3; do /tmp/duckdb/bin/python "$repo/benchmarks/runs/2026-12-04/import_duckdb.py" "$file" 1 | grep -E "^\| [0-9]"; done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
