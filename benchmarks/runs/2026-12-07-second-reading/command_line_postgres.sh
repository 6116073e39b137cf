#!/bin/sh
# `caremarket import cqc` of FILE into a new PostgreSQL database, then again, under /usr/bin/time -v:
# the whole process's wall time and peak resident memory (the client's: the server's is its own).
# usage: command_line_postgres.sh CAREMARKET_BINARY FILE   (PostgreSQL on 127.0.0.1:5432, trust auth)
bin=$1; file=$2
db=caremarket_memory_$$
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" postgres
echo "$(uptime)"
for run in first again; do
  echo "## $run"
  /usr/bin/time -v "$bin" import cqc --database-url "postgres://postgres@127.0.0.1:5432/$db" "$file" > /tmp/$db.out 2> /tmp/$db.err
  echo "exit $?"
  grep -E "^Imported|^  (New|Unchanged)" /tmp/$db.out
  grep -E "Elapsed|Maximum resident" /tmp/$db.err
done
echo "$(uptime)"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE $db WITH (FORCE)" postgres
rm -f /tmp/$db.out /tmp/$db.err
