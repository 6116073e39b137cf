#!/usr/bin/env bash
# Issue 18 item 4: does PostgreSQL's configuration, not the import, make a first import of
# 150,000 locations slower per location than one of 50,000? Three private clusters of the
# machine's PostgreSQL (initdb, trust, fsync and synchronous_commit on in all), taking turns for
# three rounds of `caremarket-bench import --scale-curve --skip-sqlite`:
#   default  - initdb's defaults (shared_buffers 128MB, max_wal_size 1GB), as the machine's own;
#   wal      - max_wal_size 8GB, so no checkpoint is forced part-way through an import;
#   tuned    - max_wal_size 8GB and shared_buffers 2GB, so the register's tables and indexes
#              (424 MiB at 150,000 locations) stay in PostgreSQL's own buffers.
# Run as root (the clusters run as the postgres user). Usage: pg_config.sh OUTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=${1:?OUTDIR}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/pg-config.XXXXXX)
chown postgres "$work"
mkdir -p "$out"
declare -A port=([default]=5441 [wal]=5442 [tuned]=5443)
declare -A opts=([default]="" [wal]="-c max_wal_size=8GB" [tuned]="-c max_wal_size=8GB -c shared_buffers=2GB")
stop() { for c in default wal tuned; do su postgres -c "$bin/pg_ctl -D $work/$c -m fast stop" > /dev/null 2>&1 || true; done; rm -rf "$work"; }
trap stop EXIT
for c in default wal tuned; do
  su postgres -c "$bin/initdb -D $work/$c -A trust -U postgres" > /dev/null
  su postgres -c "$bin/pg_ctl -D $work/$c -l $work/$c.log -w -o '-p ${port[$c]} -k $work ${opts[$c]}' start" > /dev/null
  psql -h 127.0.0.1 -p "${port[$c]}" -U postgres -Atc "SELECT '$c: shared_buffers ' || current_setting('shared_buffers') || ', max_wal_size ' || current_setting('max_wal_size')" >> "$out/pg-config-settings.txt"
done
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/pg-config-settings.txt"
for round in 1 2 3; do
  for c in default wal tuned; do
    "$repo/target/release/caremarket-bench" import --scale-curve --skip-sqlite \
      --postgres-url "postgres://postgres@127.0.0.1:${port[$c]}/postgres" > "$out/pg-config-$c-round$round.md" 2>&1
    psql -h 127.0.0.1 -p "${port[$c]}" -U postgres -Atc "SELECT '$c round $round: checkpoints requested ' || checkpoints_req || ', timed ' || checkpoints_timed || ', buffers written by backends ' || buffers_backend FROM pg_stat_bgwriter" >> "$out/pg-config-settings.txt"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/pg-config-settings.txt"
