use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn ts(s: &str) -> Timestamp {
    parse_timestamp(s.as_bytes()).unwrap_or_else(|| panic!("bad test timestamp {s}"))
}

type P<'a> = (i64, &'a str, &'a str, i64, i64, i64); // id, provider, start, minutes, carers, rate
type A<'a> = (Option<i64>, &'a str, &'a str, &'a str, &'a str); // id, provider, person, start, end

fn run(planned: &[P<'_>], actual: &[A<'_>], options: &Options) -> String {
    let mut ps = PlannedSet::default();
    for &(id, prov, start, min, carers, rate) in planned {
        ps.push(PlannedVisit {
            visit_id: id,
            provider_id: prov.as_bytes(),
            planned_start: ts(start),
            planned_minutes: min as u32,
            carers: carers as u32,
            rate_pence_per_hour: rate as u32,
        });
    }
    let mut acts = ActualSet::default();
    for &(id, prov, person, s, e) in actual {
        acts.push(ActualRow {
            visit_id: id,
            provider_id: prov.as_bytes(),
            person_ref: person.as_bytes(),
            actual_start: ts(s),
            actual_end: ts(e),
        });
    }
    let figures = reconcile(ps, acts, options).expect("reconcile");
    let mut out = Vec::new();
    write_csv(&figures, &mut out);
    String::from_utf8(out).expect("utf8")
}

/// The straightforward reading of the rules, with jiff for dates and strings for everything:
/// written apart from the product's code, to check it.
fn naive(planned: &[P<'_>], actual: &[A<'_>], from: jiff::civil::Date, n: i64, cap: bool) -> String {
    use jiff::civil::{Date, DateTime};
    #[derive(Default, Clone)]
    struct F {
        pv: i64,
        pcm: i64,
        dv: i64,
        dcm: i64,
        missed: i64,
        short: i64,
        late: i64,
        early: i64,
        extras: i64,
        umin: i64,
        inv: i64,
        pay: i64,
        bad: i64,
        dup: i64,
        rep: i64,
        unk: i64,
    }
    let dt = |s: &str| -> DateTime { s.parse().unwrap() };
    let period = |s: &str| -> Date {
        let date = dt(s).date();
        let days = i64::from(from.until(date).unwrap().get_days());
        let k = if days >= 0 { days / n } else { -((-days + n - 1) / n) };
        from.checked_add(jiff::Span::new().days(k * n)).unwrap()
    };
    let secs = |a: &str, b: &str| -> i64 { dt(a).duration_until(dt(b)).as_secs() };
    let minutes = |a: &str, b: &str| -> i64 {
        let s = secs(a, b);
        if s >= 0 { s / 60 } else { -((-s + 59) / 60) }
    };
    let pence = |rate: i64, m: i64, c: i64| (rate * m * c + 30) / 60;
    let mut figs: BTreeMap<(String, Date), F> = BTreeMap::new();
    let mut seen: Vec<A<'_>> = Vec::new();
    for row in actual {
        let f = figs.entry((row.1.to_string(), period(row.3))).or_default();
        if seen.contains(row) {
            f.dup += 1;
        } else {
            seen.push(*row);
        }
    }
    let mut groups: BTreeMap<i64, Vec<A<'_>>> = BTreeMap::new();
    for row in &seen {
        let f = figs.get_mut(&(row.1.to_string(), period(row.3))).unwrap();
        if dt(row.4) < dt(row.3) {
            f.bad += 1;
        } else if let Some(id) = row.0 {
            groups.entry(id).or_default().push(*row);
        } else {
            f.extras += 1;
            f.umin += minutes(row.3, row.4);
        }
    }
    let planned_ids: Vec<i64> = planned.iter().map(|p| p.0).collect();
    let mut records: BTreeMap<i64, A<'_>> = BTreeMap::new();
    for (id, rows) in &mut groups {
        rows.sort_by(|a, b| (dt(a.3), dt(a.4), a.1, a.2).cmp(&(dt(b.3), dt(b.4), b.1, b.2)));
        for (i, row) in rows.iter().enumerate() {
            let f = figs.get_mut(&(row.1.to_string(), period(row.3))).unwrap();
            if !planned_ids.contains(id) {
                f.unk += 1;
            } else if i == 0 {
                records.insert(*id, *row);
            } else {
                f.rep += 1;
            }
        }
    }
    for &(id, prov, start, min, carers, rate) in planned {
        let f = figs.entry((prov.to_string(), period(start))).or_default();
        f.pv += 1;
        f.pcm += min * carers;
        f.inv += pence(rate, min, carers);
        if let Some(rec) = records.get(&id) {
            let actual = minutes(rec.3, rec.4);
            let paid = if cap && actual > min { min } else { actual };
            f.dv += 1;
            f.dcm += paid * carers;
            f.pay += pence(rate, paid, carers);
            if min - actual > 15 {
                f.short += 1;
            }
            let lateness = secs(start, rec.3);
            if lateness > 1800 {
                f.late += 1;
            }
            if lateness < -1800 {
                f.early += 1;
            }
        } else {
            f.missed += 1;
        }
    }
    let hours = |m: i64| {
        let c = (m * 100 + 30) / 60;
        format!("{}.{:02}", c / 100, c % 100)
    };
    let mut out = String::from(
        "provider_id,period_start,planned_visits,planned_carer_minutes,planned_carer_hours,delivered_visits,\
         delivered_carer_minutes,delivered_carer_hours,missed_visits,short_visits,late_visits,early_visits,\
         unplanned_extras,unplanned_minutes,invoiced_pence,payable_pence,variance_pence,bad_end_before_start,\
         duplicate_rows,repeat_visit_rows,unknown_visit_rows\n",
    );
    for ((prov, date), f) in &figs {
        out.push_str(&format!(
            "{prov},{date},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            f.pv,
            f.pcm,
            hours(f.pcm),
            f.dv,
            f.dcm,
            hours(f.dcm),
            f.missed,
            f.short,
            f.late,
            f.early,
            f.extras,
            f.umin,
            f.inv,
            f.pay,
            f.inv - f.pay,
            f.bad,
            f.dup,
            f.rep,
            f.unk
        ));
    }
    out
}

fn opts(cap: bool) -> Options {
    Options::new(jiff::civil::date(2025, 4, 7), 28, cap).unwrap()
}

fn line<'a>(csv: &'a str, provider: &str, period: &str) -> Vec<&'a str> {
    csv.lines()
        .find(|l| l.starts_with(&format!("{provider},{period},")))
        .unwrap_or_else(|| panic!("no line for {provider} {period} in\n{csv}"))
        .split(',')
        .collect()
}

fn col(fields: &[&str], name: &str) -> String {
    let i = OUTPUT_COLUMNS.iter().position(|c| *c == name).unwrap();
    fields[i].to_string()
}

#[test]
fn timestamps_parse_exactly() {
    assert_eq!(parse_timestamp(b"1970-01-01T00:00:00"), Some(Timestamp(0)));
    assert_eq!(parse_timestamp(b"1970-01-02T00:00:01"), Some(Timestamp(86_401)));
    assert_eq!(parse_timestamp(b"1969-12-31T23:59:59"), Some(Timestamp(-1)));
    assert_eq!(parse_timestamp(b"2024-02-29T12:00:00").map(|t| t.day()), Some(days_from_civil(2024, 2, 29)));
    for bad in [
        "2025-02-29T10:00:00",
        "2025-13-01T10:00:00",
        "2025-04-31T10:00:00",
        "2025-04-07 10:00:00",
        "2025-04-07T24:00:00",
        "2025-04-07T10:60:00",
        "2025-04-07T10:00:60",
        "2025-04-07T10:00",
        "2025-04-07T10:00:00Z",
        "2025-4-07T10:00:000",
        "",
    ] {
        assert_eq!(parse_timestamp(bad.as_bytes()), None, "{bad}");
    }
}

#[test]
fn pence_and_hours_round_half_up_from_integers() {
    // £22.96 an hour for 30 minutes, one carer: 2296 × 30 / 60 = 1148 exactly.
    assert_eq!(visit_pence(2296, 30, 1), 1148);
    // 1999 × 1 / 60 = 33.316… → 33; 2010 × 1 / 60 = 33.5 → 34 (half up).
    assert_eq!(visit_pence(1999, 1, 1), 33);
    assert_eq!(visit_pence(2010, 1, 1), 34);
    assert_eq!(visit_pence(2296, 45, 2), 3444);
    assert_eq!(hours_text(0), "0.00");
    assert_eq!(hours_text(60), "1.00");
    // 1 minute = 0.01666… h → 0.02; 89 minutes = 1.48333… → 1.48; 3 minutes = 0.05 exactly.
    assert_eq!(hours_text(1), "0.02");
    assert_eq!(hours_text(89), "1.48");
    assert_eq!(hours_text(3), "0.05");
    // 0.3 minutes never arises; 9 minutes = 0.15 exactly, 1,501 minutes = 25.01666 → 25.02.
    assert_eq!(hours_text(9), "0.15");
    assert_eq!(hours_text(1_501), "25.02");
}

#[test]
fn short_late_and_early_at_their_boundaries() {
    assert!(!is_short(45, 30)); // 15 minutes short is not short
    assert!(is_short(45, 29)); // 16 is
    let planned = ts("2025-04-07T08:00:00");
    assert!(!is_late(planned, ts("2025-04-07T08:30:00"))); // exactly 1,800 s
    assert!(is_late(planned, ts("2025-04-07T08:30:01")));
    assert!(!is_early(planned, ts("2025-04-07T07:30:00")));
    assert!(is_early(planned, ts("2025-04-07T07:29:59")));
    // Actual minutes are floored: 29 min 59 s is 29 minutes.
    assert_eq!(actual_minutes(ts("2025-04-07T08:00:00"), ts("2025-04-07T08:29:59")), 29);
}

#[test]
fn periods_start_on_the_day_given_and_run_backwards_too() {
    let o = opts(true);
    let day = |s: &str| period_start(&o, ts(s));
    let d = |y, m, dd| days_from_civil(y, m, dd);
    assert_eq!(day("2025-04-07T00:00:00"), d(2025, 4, 7));
    assert_eq!(day("2025-05-04T23:59:59"), d(2025, 4, 7)); // day 27
    assert_eq!(day("2025-05-05T00:00:00"), d(2025, 5, 5)); // day 28
    assert_eq!(day("2025-04-06T23:59:59"), d(2025, 3, 10)); // day −1 → the period before
    assert_eq!(Options::new(jiff::civil::date(2025, 4, 7), 0, true).unwrap_err().field, "period-days");
}

#[test]
fn each_rule_on_a_small_plan() {
    let planned: Vec<P<'_>> = vec![
        (1, "P1", "2025-04-07T08:00:00", 30, 1, 2400), // delivered on time, capped
        (2, "P1", "2025-04-07T12:00:00", 45, 2, 2400), // short (29 min), late
        (3, "P1", "2025-04-08T09:00:00", 30, 1, 2400), // missed
        (4, "P2", "2025-05-05T09:00:00", 60, 1, 1800), // next period; early; repeat rows
    ];
    let actual: Vec<A<'_>> = vec![
        (Some(1), "P1", "A", "2025-04-07T08:00:00", "2025-04-07T08:40:00"),
        (Some(1), "P1", "A", "2025-04-07T08:00:00", "2025-04-07T08:40:00"), // duplicate
        (Some(2), "P1", "B", "2025-04-07T12:30:01", "2025-04-07T13:00:00"),
        (Some(4), "P2", "C", "2025-05-05T08:29:00", "2025-05-05T09:29:00"),
        (Some(4), "P2", "C", "2025-05-05T10:00:00", "2025-05-05T10:10:00"), // repeat
        (Some(4), "P2", "C", "2025-05-05T11:00:00", "2025-05-05T10:10:00"), // end before start
        (None, "P2", "D", "2025-05-06T10:00:00", "2025-05-06T10:20:30"),    // unplanned, 20 min
        (Some(99), "P3", "E", "2025-04-10T10:00:00", "2025-04-10T10:30:00"), // unknown id
    ];
    let csv = run(&planned, &actual, &opts(true));
    let p1 = line(&csv, "P1", "2025-04-07");
    assert_eq!(col(&p1, "planned_visits"), "3");
    assert_eq!(col(&p1, "planned_carer_minutes"), "150"); // 30 + 45 × 2 + 30
    assert_eq!(col(&p1, "planned_carer_hours"), "2.50");
    assert_eq!(col(&p1, "delivered_visits"), "2");
    assert_eq!(col(&p1, "delivered_carer_minutes"), "88"); // 30 (capped) + 29 × 2
    assert_eq!(col(&p1, "missed_visits"), "1");
    assert_eq!(col(&p1, "short_visits"), "1");
    assert_eq!(col(&p1, "late_visits"), "1");
    assert_eq!(col(&p1, "duplicate_rows"), "1");
    // invoiced: 2400×30/60 = 1200; 2400×45×2/60 = 3600; 1200 → 6000. payable: 1200 + 2400×29×2/60 = 2320 → 3520.
    assert_eq!(col(&p1, "invoiced_pence"), "6000");
    assert_eq!(col(&p1, "payable_pence"), "3520");
    assert_eq!(col(&p1, "variance_pence"), "2480");
    let p2 = line(&csv, "P2", "2025-05-05");
    assert_eq!(col(&p2, "early_visits"), "1");
    assert_eq!(col(&p2, "repeat_visit_rows"), "1");
    assert_eq!(col(&p2, "bad_end_before_start"), "1");
    assert_eq!(col(&p2, "unplanned_extras"), "1");
    assert_eq!(col(&p2, "unplanned_minutes"), "20");
    let p3 = line(&csv, "P3", "2025-04-07");
    assert_eq!(col(&p3, "unknown_visit_rows"), "1");
    assert_eq!(col(&p3, "planned_visits"), "0");

    // --no-cap: visit 1 is paid its 40 minutes.
    let uncapped = run(&planned, &actual, &opts(false));
    let p1 = line(&uncapped, "P1", "2025-04-07");
    assert_eq!(col(&p1, "delivered_carer_minutes"), "98");
    assert_eq!(col(&p1, "payable_pence"), "3920"); // 1600 + 2320
}

#[test]
fn the_record_is_the_first_valid_row_and_an_actual_row_makes_its_own_line() {
    // The earliest row is end-before-start, so the record is the second; its provider differs
    // from the plan's and its start falls in the next period: that (provider, period) has a
    // line of zeros.
    let planned: Vec<P<'_>> = vec![(7, "B", "2025-05-04T23:50:00", 30, 1, 600)];
    let actual: Vec<A<'_>> = vec![
        (Some(7), "A", "x", "2025-05-05T00:05:00", "2025-05-05T00:35:00"),
        (Some(7), "A", "x", "2025-05-04T23:59:00", "2025-05-04T23:58:00"),
    ];
    let csv = run(&planned, &actual, &opts(true));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].starts_with("A,2025-04-07,0,"), "{csv}"); // the bad row's period
    assert!(lines[2].starts_with("A,2025-05-05,0,0,0.00,0,0,0.00,0,0,0,0,0,0,0,0,0,0,0,0,0"), "{csv}");
    let b = line(&csv, "B", "2025-04-07");
    assert_eq!(col(&b, "delivered_visits"), "1");
    assert_eq!(col(&b, "late_visits"), "0"); // 15 minutes after the plan
}

#[test]
fn providers_are_ordered_by_bytes() {
    let planned: Vec<P<'_>> = vec![
        (1, "b", "2025-04-07T08:00:00", 30, 1, 100),
        (2, "B", "2025-04-07T08:00:00", 30, 1, 100),
        (3, "B10", "2025-04-07T08:00:00", 30, 1, 100),
        (4, "B2", "2025-04-07T08:00:00", 30, 1, 100),
    ];
    let csv = run(&planned, &[], &opts(true));
    let order: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(order, ["B", "B10", "B2", "b"]);
}

#[test]
fn a_visit_planned_twice_is_refused() {
    let mut ps = PlannedSet::default();
    for _ in 0..2 {
        ps.push(PlannedVisit {
            visit_id: 5,
            provider_id: b"P",
            planned_start: Timestamp(0),
            planned_minutes: 1,
            carers: 1,
            rate_pence_per_hour: 1,
        });
    }
    assert_eq!(reconcile(ps, ActualSet::default(), &opts(true)), Err(ReconcileError::DuplicatePlannedVisit { visit_id: 5 }));
}

const STARTS: [&str; 10] = [
    "2025-04-07T08:00:00",
    "2025-04-07T08:30:00",
    "2025-04-07T08:30:01",
    "2025-04-07T07:29:59",
    "2025-04-07T08:14:59",
    "2025-05-04T23:59:59",
    "2025-05-05T00:00:00",
    "2025-04-06T23:00:00",
    "2025-04-07T08:45:00",
    "2025-04-07T07:59:00",
];

fn arb_planned() -> impl Strategy<Value = Vec<(i64, usize, usize, i64, i64, i64)>> {
    prop::collection::btree_map(0i64..12, (0usize..3, 0usize..STARTS.len(), 0i64..90, 1i64..3, 0i64..3000), 0..10)
        .prop_map(|m| m.into_iter().map(|(id, (p, s, min, c, r))| (id, p, s, min, c, r)).collect())
}

fn arb_actual() -> impl Strategy<Value = Vec<(Option<i64>, usize, usize, usize, usize)>> {
    prop::collection::vec((prop::option::weighted(0.8, 0i64..14), 0usize..3, 0usize..2, 0usize..STARTS.len(), 0usize..STARTS.len()), 0..25)
        .prop_flat_map(|rows| {
            // Repeat some rows exactly so duplicates are common.
            let n = rows.len();
            (Just(rows), prop::collection::vec(0..n.max(1), 0..4))
        })
        .prop_map(|(mut rows, copies)| {
            for i in copies {
                if let Some(r) = rows.get(i).copied() {
                    rows.push(r);
                }
            }
            rows
        })
}

const PROVIDERS: [&str; 3] = ["P2", "P10", "p1"];
const PERSONS: [&str; 2] = ["x", "X"];

proptest! {
    #[test]
    fn parse_matches_jiff(y in 1i16..9999, m in 1i8..13, d in 1i8..32, h in 0i8..24, mi in 0i8..60, s in 0i8..60) {
        let text = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
        let ours = parse_timestamp(text.as_bytes());
        let theirs = text.parse::<jiff::civil::DateTime>().ok();
        prop_assert_eq!(ours.is_some(), theirs.is_some());
        if let (Some(o), Some(t)) = (ours, theirs) {
            let epoch = jiff::civil::date(1970, 1, 1).at(0, 0, 0, 0);
            prop_assert_eq!(o.0, epoch.duration_until(t).as_secs());
            let (yy, mm, dd) = civil_from_days(o.day());
            prop_assert_eq!((yy, mm, dd), (i64::from(y), i64::from(m), i64::from(d)));
        }
    }

    #[test]
    fn reconcile_matches_the_naive_reading(planned in arb_planned(), actual in arb_actual(), cap: bool, n in 1i64..40) {
        let planned: Vec<P<'_>> = planned.iter().map(|&(id, p, s, min, c, r)| (id, PROVIDERS[p], STARTS[s], min, c, r)).collect();
        let actual: Vec<A<'_>> = actual.iter().map(|&(id, p, person, s, e)| (id, PROVIDERS[p], PERSONS[person], STARTS[s], STARTS[e])).collect();
        let from = jiff::civil::date(2025, 4, 7);
        let options = Options::new(from, n as u32, cap).unwrap();
        prop_assert_eq!(run(&planned, &actual, &options), naive(&planned, &actual, from, n, cap));
    }
}

#[test]
fn records_round_trip_through_bytes() {
    let p = Planned { visit_id: -5, start: Timestamp(-86_401), provider: 7, minutes: 45, carers: 2, rate: 2296 };
    assert_eq!(Planned::from_bytes(&p.to_bytes()), p);
    let a = Actual { visit_id: i64::MAX, start: Timestamp(1), end: Timestamp(-1), provider: u32::MAX, person: 3 };
    assert_eq!(Actual::from_bytes(&a.to_bytes()), a);
}

proptest! {
    /// Split by visit id into any number of parts, tallied part by part, the figures are the same.
    #[test]
    fn tallying_in_parts_by_visit_id_changes_nothing(planned in arb_planned(), actual in arb_actual(), parts in 1i64..5) {
        let options = opts(true);
        let build = || {
            let mut ps = PlannedSet::default();
            for &(id, p, s, min, c, r) in &planned {
                ps.push(PlannedVisit { visit_id: id, provider_id: PROVIDERS[p].as_bytes(), planned_start: ts(STARTS[s]), planned_minutes: min as u32, carers: c as u32, rate_pence_per_hour: r as u32 });
            }
            let mut acts = ActualSet::default();
            for &(id, p, person, s, e) in &actual {
                acts.push(ActualRow { visit_id: id, provider_id: PROVIDERS[p].as_bytes(), person_ref: PERSONS[person].as_bytes(), actual_start: ts(STARTS[s]), actual_end: ts(STARTS[e]) });
            }
            (ps, acts)
        };
        let (ps, acts) = build();
        let whole = reconcile(ps, acts, &options).unwrap();
        let (ps, acts) = build();
        let ranks = Ranks::new(&ps, &acts);
        let mut tally = Tally::new(options);
        let mut blanks = acts.blank_id.clone();
        tally.add_blank_rows(&ranks, &mut blanks);
        for part in 0..parts {
            let mut plan: Vec<Planned> = ps.visits.iter().filter(|p| p.visit_id.rem_euclid(parts) == part).copied().collect();
            let mut rows: Vec<Actual> = acts.with_id.iter().filter(|a| a.visit_id.rem_euclid(parts) == part).copied().collect();
            tally.add_visits(&ranks, &mut plan, &mut rows).unwrap();
        }
        prop_assert_eq!(tally.finish(&ranks), whole);
    }
}

#[test]
fn references_with_a_common_prefix_spread_over_the_buckets() {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let build = BuildHasherDefault::<FastHasher>::default();
    let low: std::collections::HashSet<u64> = (0..1000).map(|i| build.hash_one(format!("PR{i:06}").as_bytes()) & 0xFFF).collect();
    assert!(low.len() > 600, "{} distinct low bits of 1000", low.len());
}

/// Collects what an observer is told, keyed as the figures are: (provider text, period).
struct Seen {
    figures: BTreeMap<(Vec<u8>, i64), PeriodFigures>,
    persons: Vec<Vec<u8>>,
    options: Options,
}

impl Default for Seen {
    fn default() -> Seen {
        Seen { figures: BTreeMap::new(), persons: Vec::new(), options: opts(true) }
    }
}

impl Observer for Seen {
    fn visit(&mut self, ranks: &Ranks, p: &Planned, o: &VisitOutcome) {
        // The record is an actual row: it gives its own provider and period a line.
        if let Some(rec) = o.record {
            let period = period_start(&self.options, rec.start());
            self.figures.entry((ranks.provider_name(rec.provider()).to_vec(), period)).or_default();
        }
        let f = self.figures.entry((ranks.provider_name(p.provider()).to_vec(), o.period_start)).or_default();
        let carers = u64::from(p.carers());
        f.planned_visits += 1;
        f.planned_carer_minutes += u64::from(p.minutes()) * carers;
        f.invoiced_pence += o.invoiced_pence;
        if let Some(rec) = o.record {
            self.persons.push(ranks.person_name(rec.person()).to_vec());
            f.delivered_visits += 1;
            f.delivered_carer_minutes += o.paid_minutes as u64 * carers;
            f.payable_pence += o.payable_pence;
            f.short_visits += u64::from(o.short);
            f.late_visits += u64::from(o.late);
            f.early_visits += u64::from(o.early);
        } else {
            f.missed_visits += 1;
        }
    }
    fn fault(&mut self, ranks: &Ranks, fault: Fault, row: &Actual, period: i64) {
        self.persons.push(ranks.person_name(row.person()).to_vec());
        let f = self.figures.entry((ranks.provider_name(row.provider()).to_vec(), period)).or_default();
        match fault {
            Fault::Duplicate => f.duplicate_rows += 1,
            Fault::EndBeforeStart => f.bad_end_before_start += 1,
            Fault::Unplanned => {
                f.unplanned_extras += 1;
                f.unplanned_minutes += actual_minutes(row.start(), row.end()) as u64;
            }
            Fault::Repeat => f.repeat_visit_rows += 1,
            Fault::Unknown => f.unknown_visit_rows += 1,
        }
    }
}

proptest! {
    /// What the observer is told of each visit and faulty row adds up to the figures exactly, so
    /// every figure can be traced to its visits and rows; persons are named as the file names them.
    #[test]
    fn observed_visits_and_faults_add_up_to_the_figures(planned in arb_planned(), actual in arb_actual(), cap: bool) {
        let options = opts(cap);
        let mut ps = PlannedSet::default();
        for &(id, p, s, min, c, r) in &planned {
            ps.push(PlannedVisit { visit_id: id, provider_id: PROVIDERS[p].as_bytes(), planned_start: ts(STARTS[s]), planned_minutes: min as u32, carers: c as u32, rate_pence_per_hour: r as u32 });
        }
        let mut acts = ActualSet::default();
        for &(id, p, person, s, e) in &actual {
            acts.push(ActualRow { visit_id: id, provider_id: PROVIDERS[p].as_bytes(), person_ref: PERSONS[person].as_bytes(), actual_start: ts(STARTS[s]), actual_end: ts(STARTS[e]) });
        }
        let mut seen = Seen { options, ..Seen::default() };
        let figures = reconcile_observed(ps, acts, &options, &mut seen).expect("reconcile");
        let from_seen: Vec<PeriodFigures> = seen.figures.into_iter().map(|((p, period), mut f)| { f.provider_id = p; f.period_start = period; f }).collect();
        prop_assert_eq!(from_seen, figures);
        for person in &seen.persons {
            prop_assert!(PERSONS.iter().any(|p| p.as_bytes() == &person[..]), "{:?}", person);
        }
    }
}

#[test]
fn continuity_counts_visits_by_each_persons_three_most_frequent_workers() {
    // Person a: W1 ×3, W2 ×2, W3 ×1, W4 ×1 (ties to the lower code: W3 is usual, W4 is not).
    // Person b: one worker, twice. A visit with no code is left out.
    let visits =
        [("a", "W1"), ("a", "W1"), ("a", "W1"), ("a", "W2"), ("a", "W2"), ("a", "W4"), ("a", "W3"), ("b", "X"), ("b", "X"), ("b", "")];
    let c = continuity(visits);
    assert_eq!((c.persons, c.visits, c.by_usual), (2, 9, 8));
    // a: 6 of 7 = 85.71% → 8571 bp; b: 100%. Mean (8571 + 10000) / 2 = 9285.5 → 9286 (half up).
    assert_eq!(c.mean_share_bp, Some(9286));
    // Pooled: 8 of 9 = 88.89%.
    assert_eq!(c.pooled_share_bp(), Some(8889));
    assert_eq!(continuity([]).pooled_share_bp(), None);
}
