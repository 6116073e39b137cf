#!/bin/sh
# Three paired rounds at 50,000 locations, SQLite and PostgreSQL in each run: the bench built
# before (ac4ab62, the second reading remembering every id and the import gathering them again) and after (bda97d0,
# the second reading remembering only rejected ids, the import taking the first reading's list), in turn (round 2 runs the after binary first). Then the
# command line's peak memory at 50,000 and 500,000 locations, three times each way.
# usage: paired.sh BEFORE_DIR AFTER_DIR FILE_DIR POSTGRES_URL  (each DIR holds caremarket-bench and caremarket)
# The rounds are those of ../2026-12-07-providers-by-batch/paired.sh, whose body this ran; run from
# this folder, so the outputs land here.
exec sh ../2026-12-07-providers-by-batch/paired.sh "$@"
