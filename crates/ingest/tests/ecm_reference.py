#!/usr/bin/env python3
"""An independent reference implementation of the ECM reconciliation rules of issue 11 item 7.

Written apart from the Rust code, in the plainest way: dictionaries, lists and the standard
library. Used by ecm_golden.rs to produce the expected output of the hand-made fixture.

    ecm_reference.py PLANNED ACTUAL [--periods-from YYYY-MM-DD] [--period-days N] [--no-cap]
"""
import argparse
import csv
import datetime
import sys

FMT = "%Y-%m-%dT%H:%M:%S"
COLUMNS = ["provider_id", "period_start", "planned_visits", "planned_carer_minutes", "planned_carer_hours",
           "delivered_visits", "delivered_carer_minutes", "delivered_carer_hours", "missed_visits", "short_visits",
           "late_visits", "early_visits", "unplanned_extras", "unplanned_minutes", "invoiced_pence", "payable_pence",
           "variance_pence", "bad_end_before_start", "duplicate_rows", "repeat_visit_rows", "unknown_visit_rows"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("planned")
    ap.add_argument("actual")
    ap.add_argument("--periods-from", default="2025-04-07")
    ap.add_argument("--period-days", type=int, default=28)
    ap.add_argument("--no-cap", action="store_true")
    args = ap.parse_args()
    start_of_periods = datetime.date.fromisoformat(args.periods_from)
    n = args.period_days

    def period(ts):
        days = (ts.date() - start_of_periods).days
        return start_of_periods + datetime.timedelta(days=n * (days // n))  # // floors

    figures = {}

    def fig(provider, ts):
        key = (provider.encode(), period(ts))
        if key not in figures:
            figures[key] = {c: 0 for c in COLUMNS[2:]}
        return figures[key]

    planned = {}
    with open(args.planned, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            visit = {
                "provider": row["provider_id"],
                "start": datetime.datetime.strptime(row["planned_start"], FMT),
                "minutes": int(row["planned_minutes"]),
                "carers": int(row["carers"]),
                "rate": int(row["rate_pence_per_hour"]),
            }
            planned[int(row["visit_id"])] = visit

    seen = set()
    distinct = []
    with open(args.actual, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            vid = None if row["visit_id"].strip() == "" else int(row["visit_id"])
            start = datetime.datetime.strptime(row["actual_start"], FMT)
            end = datetime.datetime.strptime(row["actual_end"], FMT)
            key = (vid, row["provider_id"], row["person_ref"], start, end)
            f_ = fig(row["provider_id"], start)
            if key in seen:
                f_["duplicate_rows"] += 1
            else:
                seen.add(key)
                distinct.append(key)

    def minutes(start, end):
        return int((end - start).total_seconds()) // 60

    by_id = {}
    for vid, provider, person, start, end in distinct:
        f_ = fig(provider, start)
        if end < start:
            f_["bad_end_before_start"] += 1
        elif vid is None:
            f_["unplanned_extras"] += 1
            f_["unplanned_minutes"] += minutes(start, end)
        else:
            by_id.setdefault(vid, []).append((start, end, provider.encode(), person.encode()))

    record = {}
    for vid, rows in by_id.items():
        rows.sort()
        for i, (start, end, provider, person) in enumerate(rows):
            f_ = fig(provider.decode(), start)
            if vid not in planned:
                f_["unknown_visit_rows"] += 1
            elif i == 0:
                record[vid] = (start, end)
            else:
                f_["repeat_visit_rows"] += 1

    def pence(rate, mins, carers):
        return (rate * mins * carers + 30) // 60

    for vid, v in planned.items():
        f_ = fig(v["provider"], v["start"])
        f_["planned_visits"] += 1
        f_["planned_carer_minutes"] += v["minutes"] * v["carers"]
        f_["invoiced_pence"] += pence(v["rate"], v["minutes"], v["carers"])
        if vid in record:
            start, end = record[vid]
            actual = minutes(start, end)
            paid = actual if args.no_cap else min(actual, v["minutes"])
            f_["delivered_visits"] += 1
            f_["delivered_carer_minutes"] += paid * v["carers"]
            f_["payable_pence"] += pence(v["rate"], paid, v["carers"])
            if v["minutes"] - actual > 15:
                f_["short_visits"] += 1
            late_by = (start - v["start"]).total_seconds()
            if late_by > 1800:
                f_["late_visits"] += 1
            if late_by < -1800:
                f_["early_visits"] += 1
        else:
            f_["missed_visits"] += 1

    def hours(m):
        c = (m * 100 + 30) // 60
        return "%d.%02d" % (c // 100, c % 100)

    out = sys.stdout.buffer
    out.write((",".join(COLUMNS) + "\n").encode())
    for (provider, period_start) in sorted(figures):
        f_ = figures[(provider, period_start)]
        f_["planned_carer_hours"] = hours(f_["planned_carer_minutes"])
        f_["delivered_carer_hours"] = hours(f_["delivered_carer_minutes"])
        f_["variance_pence"] = f_["invoiced_pence"] - f_["payable_pence"]
        values = [provider.decode(), period_start.isoformat()] + [str(f_[c]) for c in COLUMNS[2:]]
        out.write((",".join(values) + "\n").encode())


if __name__ == "__main__":
    main()
