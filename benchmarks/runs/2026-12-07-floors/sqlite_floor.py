"""The same rows a first CQC import writes, written by SQLite alone.

Reads the rows of providers, services, service_specialisms and rating_history from a database
that `caremarket import cqc` filled (in the order they were inserted), then writes them into a
copy of an empty, migrated caremarket database (the same schema: indexes, foreign keys, the
kept-figure triggers), in one transaction, with the import's pragmas. Two ways:
- executemany: Python's sqlite3 binds each row and steps a prepared INSERT (what any client pays
  at least: no SQL parsed per batch, no driver between);
- insert-select: INSERT INTO t SELECT * FROM the filled database, attached (no client at all).
Prints seconds and locations/s for each, three times each.
Usage: sqlite_floor.py FILLED.db EMPTY_MIGRATED.db WORKDIR
"""
import shutil, sqlite3, sys, time, os

filled, empty, work = sys.argv[1:4]
TABLES = ["providers", "services", "service_specialisms", "rating_history"]

def open_copy():
    path = os.path.join(work, "w.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    shutil.copy(empty, path)
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA foreign_keys=ON")
    c.execute("PRAGMA synchronous=NORMAL")
    c.execute("PRAGMA cache_size=-65536")
    return c

src = sqlite3.connect(filled)
rows, cols = {}, {}
for t in TABLES:
    cur = src.execute(f"SELECT * FROM {t} ORDER BY rowid")
    cols[t] = [d[0] for d in cur.description]
    rows[t] = cur.fetchall()
locations = len(rows["services"])
print(f"rows: " + ", ".join(f"{t} {len(rows[t]):,}" for t in TABLES) + f"; sqlite {sqlite3.sqlite_version}")

def executemany():
    c = open_copy()
    t0 = time.perf_counter()
    c.execute("BEGIN")
    for t in TABLES:
        marks = ", ".join("?" for _ in cols[t])
        c.executemany(f"INSERT INTO {t} ({', '.join(cols[t])}) VALUES ({marks})", rows[t])
    c.execute("COMMIT")
    return time.perf_counter() - t0, c

def insert_select():
    c = open_copy()
    c.execute("ATTACH DATABASE ? AS src", (filled,))
    t0 = time.perf_counter()
    c.execute("BEGIN")
    for t in TABLES:
        c.execute(f"INSERT INTO main.{t} ({', '.join(cols[t])}) SELECT {', '.join(cols[t])} FROM src.{t} ORDER BY rowid")
    c.execute("COMMIT")
    return time.perf_counter() - t0, c

for name, f in (("executemany", executemany), ("insert-select", insert_select)):
    for i in range(3):
        secs, c = f()
        kept = c.execute("SELECT count(*) FROM kept_changes").fetchone()[0]
        n = c.execute("SELECT count(*) FROM services").fetchone()[0]
        c.close()
        assert n == locations
        print(f"{name} run {i+1}: {secs:.2f} s, {locations/secs:,.0f} locations/s ({kept:,} kept_changes rows written by the triggers)")
