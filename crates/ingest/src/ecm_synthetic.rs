//! A deterministic, realistic pair of ECM reconciliation files (planned visits and the call
//! monitoring export) with the faults seen in real exports injected at known rates, for tests,
//! benchmarks and demonstrations (issue 11 item 7: "your own deterministic generator").
//!
//! `visits` planned visits of 15 to 60 minutes (a tenth with two carers) between 07:00 and
//! 22:00, spread over 52 weeks from 2025-03-31 (a week before the default first period, so some
//! fall before it), for about one provider per 20,000 visits (at least 3, at most 60, named
//! `HC1`, `HC2`, ... `HC10`, ... so byte order is not number order) and one person per 40 visits.
//! Each provider has its own hourly rate (£19.23 to £23.11). The call monitoring rows:
//!
//! | what | share of visits |
//! |---|---|
//! | missed (no row) | 3% |
//! | late (31 to 90 minutes after the plan) / early (31 to 60 minutes before) | 2% / 1% |
//! | short (16 minutes to half the visit short) | 4% |
//! | the same row twice (a duplicate) | 1.5% |
//! | a second, later row for the visit (a repeat) | 1% |
//! | a row ending before it starts, beside the good one | 0.3% |
//! | a row under another provider's id | 0.2% |
//! | an unplanned extra visit (blank visit id) | 0.5% |
//! | a row with a visit id that was never planned | 0.3% |
//!
//! Other visits start within 10 minutes of the plan, to the second, and last the planned time
//! give or take 8 minutes. Neither file is in visit id order, and the two are in different
//! orders. The same `visits` and `seed` always give the same bytes.

use caremarket_core::ecm::{ACTUAL_COLUMNS, PLANNED_COLUMNS, civil_from_days, days_from_civil};
use std::io::{self, Write};

struct Rng(u64);

impl Rng {
    fn new(seed: u64, i: u64) -> Rng {
        let mut r = Rng(seed ^ i.wrapping_mul(0xA076_1D64_78BD_642F));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// Whether an event of `per_mille` in a thousand happens (tenths of a per mille: `per_10k`).
    fn chance(&mut self, per_10k: u64) -> bool {
        self.below(10_000) < per_10k
    }
}

fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 1;
    }
    true
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// One planned visit and what the call monitoring recorded for it.
struct Visit {
    id: u64,
    person: u64,
    provider: u64,
    start: i64,
    minutes: i64,
    carers: u64,
    rate: u64,
}

/// The shape of a generated pair of files.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub visits: u64,
    pub seed: u64,
}

impl Shape {
    fn providers(&self) -> u64 {
        (self.visits / 20_000).clamp(3, 60)
    }
    fn persons(&self) -> u64 {
        (self.visits / 40).max(1)
    }
    /// The prime the visit ids are taken modulo: the first above 1.3 × visits + 1000.
    fn modulus(&self) -> u64 {
        let mut p = self.visits + self.visits * 3 / 10 + 1_000;
        while !is_prime(p) {
            p += 1;
        }
        p
    }
    fn visit(&self, i: u64, modulus: u64) -> Visit {
        let mut r = Rng::new(self.seed, i);
        let person = r.below(self.persons());
        let provider = person % self.providers() + 1;
        let day0 = days_from_civil(2025, 3, 31);
        let day = day0 + r.below(364) as i64;
        let slot = 7 * 60 + 15 * r.below(61) as i64; // 07:00 to 22:00 in quarter hours
        let minutes = [15, 30, 30, 45, 60][r.below(5) as usize];
        let carers = if r.chance(1_000) { 2 } else { 1 };
        let rate = 1_923 + (provider * 37) % 389;
        Visit { id: (i + 1) * 7_919 % modulus, person, provider, start: day * 86_400 + slot * 60, minutes, carers, rate }
    }
}

fn timestamp(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", s / 3_600, s / 60 % 60, s % 60)
}

/// Write the planned visits file.
pub fn write_planned<W: Write>(shape: Shape, out: W) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    writeln!(out, "{}", PLANNED_COLUMNS.join(","))?;
    let m = shape.modulus();
    for i in 0..shape.visits {
        let v = shape.visit(i, m);
        writeln!(out, "{},PR{:06},HC{},{},{},{},{}", v.id, v.person, v.provider, timestamp(v.start), v.minutes, v.carers, v.rate)?;
    }
    out.flush()
}

/// Write the call monitoring export, in another order than the plan.
pub fn write_actual<W: Write>(shape: Shape, out: W) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    writeln!(out, "{}", ACTUAL_COLUMNS.join(","))?;
    let m = shape.modulus();
    let n = shape.visits;
    let mut step = (n / 2 + 1).max(1) | 1;
    while n > 0 && gcd(step, n) != 1 {
        step += 2;
    }
    for k in 0..n {
        let i = (k * step) % n;
        let v = shape.visit(i, m);
        // The visit's own stream of chances, apart from the one that made the plan.
        let mut r = Rng::new(shape.seed ^ 0x5EED, i);
        let row = |out: &mut io::BufWriter<W>, id: Option<u64>, provider: u64, start: i64, end: i64| -> io::Result<()> {
            if let Some(id) = id {
                write!(out, "{id}")?;
            }
            writeln!(out, ",HC{provider},PR{:06},{},{}", v.person, timestamp(start), timestamp(end))
        };
        if r.chance(300) {
            continue; // missed
        }
        let offset = if r.chance(200) {
            (31 + r.below(60) as i64) * 60 + r.below(60) as i64
        } else if r.chance(100) {
            -((31 + r.below(30) as i64) * 60 + r.below(60) as i64)
        } else {
            r.below(1_201) as i64 - 600
        };
        let length = if r.chance(400) {
            let short_by = 16 + r.below((v.minutes as u64 / 2).max(1)) as i64;
            (v.minutes - short_by).max(0) * 60 + r.below(60) as i64
        } else {
            (v.minutes + r.below(17) as i64 - 8).max(1) * 60 + r.below(60) as i64
        };
        let provider = if r.chance(20) { v.provider % shape.providers() + 1 } else { v.provider };
        let start = v.start + offset;
        row(&mut out, Some(v.id), provider, start, start + length)?;
        if r.chance(150) {
            row(&mut out, Some(v.id), provider, start, start + length)?;
        }
        if r.chance(100) {
            let again = start + length + 60 * (1 + r.below(30) as i64);
            row(&mut out, Some(v.id), provider, again, again + 600 + r.below(600) as i64)?;
        }
        if r.chance(30) {
            row(&mut out, Some(v.id), provider, start + length, start)?;
        }
        if r.chance(50) {
            let extra = v.start + 3_600 * (1 + r.below(3) as i64);
            row(&mut out, None, v.provider, extra, extra + 60 * (10 + r.below(40) as i64) + r.below(60) as i64)?;
        }
        if r.chance(30) {
            let unknown = m + 1 + r.below(1_000_000);
            row(&mut out, Some(unknown), v.provider, start + 7_200, start + 7_200 + length)?;
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecm::{reconcile_bytes, to_csv};
    use caremarket_core::ecm::Options;

    #[test]
    fn the_same_shape_gives_the_same_files_and_every_fault() {
        let shape = Shape { visits: 20_000, seed: 3 };
        let (mut p, mut a, mut a2) = (Vec::new(), Vec::new(), Vec::new());
        write_planned(shape, &mut p).unwrap();
        write_actual(shape, &mut a).unwrap();
        write_actual(shape, &mut a2).unwrap();
        assert_eq!(a, a2);
        assert_eq!(p.iter().filter(|b| **b == b'\n').count(), 20_001);
        let figures = reconcile_bytes(&p, "p", &a, "a", &Options::default()).unwrap();
        let sum = |f: fn(&caremarket_core::ecm::PeriodFigures) -> u64| figures.iter().map(f).sum::<u64>();
        assert_eq!(sum(|f| f.planned_visits), 20_000);
        for (name, total) in [
            ("missed", sum(|f| f.missed_visits)),
            ("late", sum(|f| f.late_visits)),
            ("early", sum(|f| f.early_visits)),
            ("short", sum(|f| f.short_visits)),
            ("duplicates", sum(|f| f.duplicate_rows)),
            ("repeats", sum(|f| f.repeat_visit_rows)),
            ("bad", sum(|f| f.bad_end_before_start)),
            ("extras", sum(|f| f.unplanned_extras)),
            ("unknown", sum(|f| f.unknown_visit_rows)),
        ] {
            assert!(total > 10, "{name}: {total}");
        }
        // Periods before the first (the week from 2025-03-31) and a dozen after it.
        let csv = String::from_utf8(to_csv(&figures)).unwrap();
        assert!(csv.contains("HC1,2025-03-10,"), "{}", &csv[..500]);
        assert!(csv.lines().count() > 3 * 13);
    }
}
