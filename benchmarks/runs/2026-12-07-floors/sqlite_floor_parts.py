"""Where SQLite's own time goes when it writes a first import's rows (insert-select, no client):
the tables a few at a time (providers and services first: the others refer to them), and the whole with parts of the schema taken away (measured only; the
variants are not proposals). Usage: sqlite_floor_parts.py FILLED.db EMPTY_MIGRATED.db WORKDIR"""
import shutil, sqlite3, sys, time, os
filled, empty, work = sys.argv[1:4]
TABLES = ["providers", "services", "service_specialisms", "rating_history"]

def open_copy(prep=()):
    path = os.path.join(work, "w.db")
    for s in ("", "-wal", "-shm"):
        if os.path.exists(path + s): os.remove(path + s)
    shutil.copy(empty, path)
    c = sqlite3.connect(path, isolation_level=None)
    for p in ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL", "PRAGMA cache_size=-65536"):
        c.execute(p)
    for sql in prep: c.execute(sql)
    c.execute("ATTACH DATABASE ? AS src", (filled,))
    return c

def cols(c, t):
    return [r[1] for r in c.execute(f"PRAGMA main.table_info({t})")]

def run(label, prep=(), service_cols=None, tables=TABLES, after=()):
    times = []
    for _ in range(3):
        c = open_copy(prep)
        t0 = time.perf_counter()
        c.execute("BEGIN")
        for t in tables:
            cs = cols(c, t)
            sel = cs if not (t == "services" and service_cols) else [service_cols.get(x, x) for x in cs]
            c.execute(f"INSERT INTO main.{t} ({', '.join(cs)}) SELECT {', '.join(sel)} FROM src.{t} ORDER BY rowid")
        for sql in after: c.execute(sql)
        c.execute("COMMIT")
        times.append(time.perf_counter() - t0)
        c.close()
    print(f"| {label} | " + " | ".join(f"{s:.2f} s" for s in times) + f" | {50000/min(times):,.0f} |")

c0 = sqlite3.connect(empty)
secondary = [(n, s) for n, s in c0.execute("SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN ('services','service_specialisms','rating_history','providers')")]
triggers = [(n, s) for n, s in c0.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name IN ('services','service_specialisms','rating_history','providers')")]
c0.close()
print("| Variant | Run 1 | Run 2 | Run 3 | Locations/s (best) |\n|---|---:|---:|---:|---:|")
run("as the schema is")
run("providers only", tables=["providers"])
run("providers, services", tables=["providers", "services"])
run("providers, services, service_specialisms", tables=["providers", "services", "service_specialisms"])
run("providers, services, rating_history", tables=["providers", "services", "rating_history"])
run("no secondary indexes while loading, built after", prep=[f"DROP INDEX {n}" for n, _ in secondary], after=[s for _, s in secondary])
run("no secondary indexes at all", prep=[f"DROP INDEX {n}" for n, _ in secondary])
run("no kept-figure triggers", prep=[f"DROP TRIGGER {n}" for n, _ in triggers])
run("services without cqc_json (NULL)", service_cols={"cqc_json": "NULL"})
run("no foreign-key checks", prep=["PRAGMA foreign_keys=OFF"])
run("all four: no indexes, triggers, cqc_json, foreign keys", prep=[f"DROP INDEX {n}" for n, _ in secondary] + [f"DROP TRIGGER {n}" for n, _ in triggers] + ["PRAGMA foreign_keys=OFF"], service_cols={"cqc_json": "NULL"})
