"""The same rows a first CQC import writes, loaded into PostgreSQL by COPY (psql \\copy from
text files), in one transaction, with the secondary indexes and foreign keys of services,
service_specialisms and rating_history dropped before and made again after, as the first import
does (crates/store/src/import/indexes.rs): what PostgreSQL's own work costs with the least a
client can send.
Usage: pg_floor.py FILLED_SQLITE.db PG_URL_OF_EMPTY_MIGRATED_DB WORKDIR"""
import sqlite3, subprocess, sys, time, os
filled, url, work = sys.argv[1:4]
TABLES = ["providers", "services", "service_specialisms", "rating_history"]
src = sqlite3.connect(filled)

def esc(v):
    if v is None: return r"\N"
    s = str(v)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

def psql(sql):
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql], check=True, capture_output=True, text=True).stdout

cols = {}
for t in TABLES:
    pg_cols = set(psql(f"SELECT column_name FROM information_schema.columns WHERE table_name = '{t}'").split())
    cur = src.execute(f"SELECT * FROM {t} ORDER BY rowid")
    names = [d[0] for d in cur.description]
    keep = [i for i, n in enumerate(names) if n in pg_cols]
    cols[t] = [names[i] for i in keep]
    with open(os.path.join(work, f"{t}.txt"), "w") as f:
        for row in cur:
            f.write("\t".join(esc(row[i]) for i in keep) + "\n")
    missing = pg_cols - set(cols[t])
    print(f"{t}: {len(cols[t])} columns copied; left to their defaults: {sorted(missing)}")

idx = psql("SELECT indexdef FROM pg_indexes i WHERE tablename IN ('services','service_specialisms','rating_history') AND NOT EXISTS (SELECT 1 FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE c.relname = i.indexname AND (x.indisunique OR x.indisprimary))").strip().splitlines()
idx_names = [d.split(" INDEX ")[1].split(" ON ")[0] for d in idx]
fks = [l.split("|") for l in psql("SELECT conrelid::regclass, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN ('services','service_specialisms','rating_history') AND confrelid::regclass::text IN ('providers','services')").strip().splitlines()]

script = ["\\set ON_ERROR_STOP 1", "BEGIN;"]
script += [f"ALTER TABLE {t} DROP CONSTRAINT {n};" for t, n, _ in fks]
script += [f"DROP INDEX {n};" for n in idx_names]
for t in TABLES:
    script.append(f"\\copy {t} ({', '.join(cols[t])}) FROM '{os.path.join(work, t + '.txt')}'")
script += [d + ";" for d in idx]
script += [f"ALTER TABLE {t} ADD CONSTRAINT {n} {d};" for t, n, d in fks]
script.append("COMMIT;")
path = os.path.join(work, "load.sql")
open(path, "w").write("\n".join(script) + "\n")
t0 = time.perf_counter()
subprocess.run(["psql", url, "-q", "-f", path], check=True)
secs = time.perf_counter() - t0
n = int(psql("SELECT count(*) FROM services"))
print(f"COPY load: {secs:.2f} s for {n:,} services, {n/secs:,.0f} locations/s ({len(idx_names)} indexes and {len(fks)} foreign keys made after)")
