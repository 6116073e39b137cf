"""The ECM reconciliation rules of issue 11 item 7 as one DuckDB SQL query, for
`caremarket-bench ecm` to time beside `caremarket ecm reconcile` and compare byte for byte.

    python ecm_duckdb.py PLANNED ACTUAL OUT [--periods-from YYYY-MM-DD] [--period-days N] [--no-cap]
"""
import argparse
import duckdb

ap = argparse.ArgumentParser()
ap.add_argument("planned")
ap.add_argument("actual")
ap.add_argument("out")
ap.add_argument("--periods-from", default="2025-04-07")
ap.add_argument("--period-days", type=int, default=28)
ap.add_argument("--no-cap", action="store_true")
args = ap.parse_args()

FROM = args.periods_from
N = int(args.period_days)
PAID = "a_min" if args.no_cap else "least(a_min, pm)"


def period(ts):
    d = f"date_diff('day', DATE '{FROM}', CAST({ts} AS DATE))"
    return f"(DATE '{FROM}' + CAST({d} - ((({d}) % {N}) + {N}) % {N} AS INTEGER))"


TS = "timestampformat='%Y-%m-%dT%H:%M:%S'"
SQL = f"""
WITH
p AS (
  SELECT visit_id, provider_id, planned_start AS ps, planned_minutes AS pm, carers, rate_pence_per_hour AS rate
  FROM read_csv(?, header=true, {TS}, columns={{'visit_id':'BIGINT','person_ref':'VARCHAR','provider_id':'VARCHAR',
    'planned_start':'TIMESTAMP','planned_minutes':'BIGINT','carers':'BIGINT','rate_pence_per_hour':'BIGINT'}})
),
d AS (
  SELECT visit_id, provider_id, coalesce(person_ref, '') AS person_ref, actual_start AS s, actual_end AS e,
         count(*) - 1 AS dups
  FROM read_csv(?, header=true, {TS}, columns={{'visit_id':'BIGINT','provider_id':'VARCHAR','person_ref':'VARCHAR',
    'actual_start':'TIMESTAMP','actual_end':'TIMESTAMP'}})
  GROUP BY ALL
),
dk AS (
  SELECT d.*, {period('s')} AS per, e < s AS bad, pid.visit_id IS NOT NULL AS planned
  FROM d LEFT JOIN (SELECT visit_id FROM p) pid ON d.visit_id = pid.visit_id
),
rec AS (
  SELECT visit_id, min({{'s': s, 'e': e, 'pr': provider_id, 'pe': person_ref}}) AS r
  FROM dk WHERE NOT bad AND planned GROUP BY visit_id
),
rows_f AS (
  SELECT provider_id, per,
    sum(dups) AS duplicate_rows,
    count(*) FILTER (WHERE bad) AS bad_end_before_start,
    count(*) FILTER (WHERE NOT bad AND visit_id IS NULL) AS unplanned_extras,
    coalesce(sum(date_diff('second', s, e) // 60) FILTER (WHERE NOT bad AND visit_id IS NULL), 0) AS unplanned_minutes,
    count(*) FILTER (WHERE NOT bad AND visit_id IS NOT NULL AND NOT planned) AS unknown_visit_rows,
    count(*) FILTER (WHERE NOT bad AND planned) AS planned_rows
  FROM dk GROUP BY ALL
),
rec_f AS (
  SELECT r.pr AS provider_id, {period('r.s')} AS per, count(*) AS records FROM rec GROUP BY ALL
),
v AS (
  SELECT p.provider_id, {period('p.ps')} AS per, p.pm, p.carers, p.rate,
         rec.visit_id IS NOT NULL AS delivered,
         date_diff('second', rec.r.s, rec.r.e) // 60 AS a_min,
         date_diff('second', p.ps, rec.r.s) AS lateness
  FROM p LEFT JOIN rec ON p.visit_id = rec.visit_id
),
visits_f AS (
  SELECT provider_id, per,
    count(*) AS planned_visits,
    sum(pm * carers) AS planned_carer_minutes,
    count(*) FILTER (WHERE delivered) AS delivered_visits,
    coalesce(sum({PAID} * carers) FILTER (WHERE delivered), 0) AS delivered_carer_minutes,
    count(*) FILTER (WHERE NOT delivered) AS missed_visits,
    count(*) FILTER (WHERE delivered AND pm - a_min > 15) AS short_visits,
    count(*) FILTER (WHERE delivered AND lateness > 1800) AS late_visits,
    count(*) FILTER (WHERE delivered AND lateness < -1800) AS early_visits,
    sum((rate * pm * carers + 30) // 60) AS invoiced_pence,
    coalesce(sum((rate * {PAID} * carers + 30) // 60) FILTER (WHERE delivered), 0) AS payable_pence
  FROM v GROUP BY ALL
),
keys AS (
  SELECT provider_id, per FROM visits_f UNION SELECT provider_id, per FROM rows_f
)
SELECT k.provider_id, strftime(k.per, '%Y-%m-%d'),
  coalesce(planned_visits, 0), coalesce(planned_carer_minutes, 0),
  coalesce(delivered_visits, 0), coalesce(delivered_carer_minutes, 0),
  coalesce(missed_visits, 0), coalesce(short_visits, 0), coalesce(late_visits, 0), coalesce(early_visits, 0),
  coalesce(unplanned_extras, 0), coalesce(unplanned_minutes, 0),
  coalesce(invoiced_pence, 0), coalesce(payable_pence, 0),
  coalesce(bad_end_before_start, 0), coalesce(duplicate_rows, 0),
  coalesce(planned_rows, 0) - coalesce(records, 0), coalesce(unknown_visit_rows, 0)
FROM keys k
LEFT JOIN visits_f USING (provider_id, per)
LEFT JOIN rows_f USING (provider_id, per)
LEFT JOIN rec_f USING (provider_id, per)
ORDER BY k.provider_id, k.per
"""


def hours(m):
    c = (m * 100 + 30) // 60
    return "%d.%02d" % (c // 100, c % 100)


rows = duckdb.connect().execute(SQL, [args.planned, args.actual]).fetchall()
lines = ["provider_id,period_start,planned_visits,planned_carer_minutes,planned_carer_hours,delivered_visits,"
         "delivered_carer_minutes,delivered_carer_hours,missed_visits,short_visits,late_visits,early_visits,"
         "unplanned_extras,unplanned_minutes,invoiced_pence,payable_pence,variance_pence,bad_end_before_start,"
         "duplicate_rows,repeat_visit_rows,unknown_visit_rows"]
for (prov, per, pv, pcm, dv, dcm, missed, short, late, early, ux, um, inv, pay, bad, dup, rep, unk) in rows:
    pv, pcm, dv, dcm = int(pv), int(pcm), int(dv), int(dcm)
    inv, pay = int(inv), int(pay)
    lines.append(",".join(str(x) for x in [prov, per, pv, pcm, hours(pcm), dv, dcm, hours(dcm), missed, short, late, early,
                                           ux, um, inv, pay, inv - pay, bad, dup, rep, unk]))
with open(args.out, "w", newline="\n") as f:
    f.write("\n".join(lines) + "\n")
