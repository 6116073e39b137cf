"""The peer for `caremarket-bench import`: DuckDB keeping the same register from the same file.

What the issue 18 peer does (a data engineer's DuckDB import): the 45-column CQC export read as
text, a content hash per location, a register table of locations with their provider, a rating
history (a new row when the location's rating or its date differs from the latest held),
deregistration of locations missing from the file, and an import record, all in one transaction.
Run: python import_duckdb.py FILE.csv [runs]. Each run: a new database file, a first import and a
re-import of the same file (which must change nothing); wall time includes reading the file.
"""
import os
import sys
import tempfile
import time

import duckdb

FILE = sys.argv[1]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3

SCHEMA = """
CREATE TABLE providers (provider_id TEXT PRIMARY KEY, name TEXT);
CREATE TABLE locations (location_id TEXT PRIMARY KEY, provider_id TEXT, name TEXT, local_authority TEXT, region TEXT,
    service_types TEXT, beds TEXT, start_date TEXT, end_date TEXT, rating TEXT, rating_date TEXT, safe TEXT, effective TEXT,
    caring TEXT, responsive TEXT, well_led TEXT, specialisms TEXT, status TEXT, content_hash TEXT);
CREATE TABLE rating_history (location_id TEXT, overall TEXT, report_date TEXT, safe TEXT, effective TEXT, caring TEXT,
    responsive TEXT, well_led TEXT, import_id INTEGER);
CREATE TABLE imports (id INTEGER, file TEXT, new_count BIGINT, changed_count BIGINT, unchanged_count BIGINT, deregistered BIGINT);
"""

IMPORT = """
CREATE OR REPLACE TEMP TABLE incoming AS
SELECT "Location ID" AS location_id, "Provider ID" AS provider_id, "Provider Name" AS provider_name,
       trim(regexp_replace("Location Name", ' +', ' ', 'g')) AS name, "Location Local Authority" AS local_authority,
       "Location ADASS Region" AS region, "Service Types" AS service_types, "Care homes beds" AS beds,
       "Location HSCA start date" AS start_date, "Location HSCA end date" AS end_date,
       "Location Latest Overall Rating" AS rating, "Publication Date" AS rating_date, "Location safe rating" AS safe,
       "Location effective rating" AS effective, "Location caring rating" AS caring,
       "Location responsive rating" AS responsive, "Location well-led rating" AS well_led,
       "Service users supported" AS specialisms,
       CASE WHEN coalesce("Location HSCA end date", '') = '' THEN 'registered' ELSE 'deregistered' END AS status,
       md5(concat_ws('|', COLUMNS(*))) AS content_hash
FROM read_csv(?, all_varchar = true, header = true);
"""


def one_import(con, import_id):
    con.execute("BEGIN TRANSACTION")
    con.execute(IMPORT, [FILE])
    new = con.execute("SELECT count(*) FROM incoming i ANTI JOIN locations l USING (location_id)").fetchone()[0]
    changed = con.execute(
        "SELECT count(*) FROM incoming i JOIN locations l USING (location_id) WHERE l.content_hash <> i.content_hash").fetchone()[0]
    unchanged = con.execute(
        "SELECT count(*) FROM incoming i JOIN locations l USING (location_id) WHERE l.content_hash = i.content_hash").fetchone()[0]
    con.execute("""INSERT INTO providers SELECT provider_id, any_value(provider_name) FROM incoming
                   WHERE provider_id NOT IN (SELECT provider_id FROM providers) GROUP BY provider_id""")
    # A rating history row when the rating or its date is new for the location.
    con.execute("""INSERT INTO rating_history
                   SELECT i.location_id, i.rating, i.rating_date, i.safe, i.effective, i.caring, i.responsive, i.well_led, ?
                   FROM incoming i LEFT JOIN locations l USING (location_id)
                   WHERE coalesce(i.rating, '') <> '' AND (l.location_id IS NULL OR l.rating IS DISTINCT FROM i.rating
                         OR l.rating_date IS DISTINCT FROM i.rating_date)""", [import_id])
    con.execute("""INSERT OR REPLACE INTO locations
                   SELECT i.location_id, i.provider_id, i.name, i.local_authority, i.region, i.service_types, i.beds, i.start_date,
                          i.end_date, i.rating, i.rating_date, i.safe, i.effective, i.caring, i.responsive, i.well_led,
                          i.specialisms, i.status, i.content_hash
                   FROM incoming i LEFT JOIN locations l USING (location_id)
                   WHERE l.location_id IS NULL OR l.content_hash <> i.content_hash""")
    dereg = con.execute("""UPDATE locations SET status = 'deregistered', content_hash = NULL
                           WHERE status = 'registered' AND location_id NOT IN (SELECT location_id FROM incoming)""").fetchone()[0]
    con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?)", [import_id, FILE, new, changed, unchanged, dereg])
    con.execute("COMMIT")
    return new, changed, unchanged, dereg


def main():
    rows = None
    print(f"DuckDB {duckdb.__version__}, file {FILE} ({os.path.getsize(FILE) / 1048576:.1f} MiB)")
    print("| Run | Rows | First import | Rows/s | Re-import, unchanged | Rows/s | Parse only | Rows/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for run in range(1, RUNS + 1):
        with tempfile.TemporaryDirectory() as d:
            con = duckdb.connect(os.path.join(d, "register.duckdb"))
            con.execute(SCHEMA)
            t = time.perf_counter()
            new, changed, unchanged, dereg = one_import(con, 1)
            first = time.perf_counter() - t
            rows = new + changed + unchanged
            t = time.perf_counter()
            n2, c2, u2, d2 = one_import(con, 2)
            again = time.perf_counter() - t
            assert (n2, c2, u2, d2) == (0, 0, rows, 0), (n2, c2, u2, d2)
            t = time.perf_counter()
            parsed = con.execute("SELECT count(*) FROM read_csv(?, all_varchar = true, header = true)", [FILE]).fetchone()[0]
            parse = time.perf_counter() - t
            assert parsed == rows
            con.close()
        print(f"| {run} | {rows:,} | {first:.2f} s | {rows / first:,.0f} | {again:.2f} s | {rows / again:,.0f} | {parse:.2f} s | {rows / parse:,.0f} |")


main()
