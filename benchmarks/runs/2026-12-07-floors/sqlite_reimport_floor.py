"""What an unchanged re-import must read from SQLite at least: the import's own query of each
stored location's id, content digest, status, rating date and rating (crates/store/src/import/stored.rs,
KEPT_SELECT), 500 location ids a statement as the import asks, through Python's sqlite3 on a
new connection. Three times. Usage: sqlite_reimport_floor.py FILLED.db"""
import sqlite3, sys, time
filled = sys.argv[1]
SELECT = ("SELECT id, cqc_location_id, cqc_hash, registration_status, rating_date, rating_overall, kind_set_by_council "
          "FROM services WHERE cqc_location_id IS NOT NULL AND cqc_location_id IN (%s)")
ids = [r[0] for r in sqlite3.connect(filled).execute("SELECT cqc_location_id FROM services ORDER BY rowid")]
for i in range(3):
    c = sqlite3.connect(filled)
    c.execute("PRAGMA cache_size=-65536")
    t0 = time.perf_counter()
    n = 0
    for k in range(0, len(ids), 500):
        chunk = ids[k:k + 500]
        n += len(c.execute(SELECT % ",".join("?" * len(chunk)), chunk).fetchall())
    secs = time.perf_counter() - t0
    c.close()
    print(f"read run {i + 1}: {secs:.3f} s for {n:,} stored locations, {n / secs:,.0f} a second")
