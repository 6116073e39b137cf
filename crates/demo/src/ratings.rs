//! CQC-style ratings: a current rating drawn from a realistic mix per kind of service, the five
//! key questions consistent with it under CQC's aggregation rules, and a history going back
//! to 2016 in which services that were rated Requires improvement or Inadequate are
//! re-inspected sooner.

use crate::DemoError;
use crate::dates::{add_days, between, date};
use caremarket_core::Date;
use caremarket_core::register::{Rating, ServiceKind};
use rand::Rng;
use rand::rngs::StdRng;

/// One published rating (or a "No published rating" entry, which has no report date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRating {
    pub overall: Rating,
    /// Safe, Effective, Caring, Responsive, Well-led (in `KeyQuestion::ALL` order).
    pub key_questions: Option<[Rating; 5]>,
    pub report_date: Option<Date>,
}

/// What story a service's ratings tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Inspected at least once, most recently between 2020 and 91 days before `today`.
    Established,
    /// Established, with a given current rating (out-of-area services the demo needs to be poor).
    EstablishedAs(Rating),
    /// Last inspected before 2020 (`004` §4.22).
    Stale,
    /// Rating changed in the last 90 days: from, to.
    Changed(Rating, Rating),
    /// Registered recently and not yet inspected; `true` when CQC lists "No published rating".
    New(bool),
}

/// Percentages of Outstanding, Good, Requires improvement, Inadequate by kind. Care homes
/// follow the brief (4 / 78 / 15 / 3); others are set near England's published shares.
fn mix(kind: ServiceKind) -> [u32; 4] {
    match kind {
        ServiceKind::CareHomeResidential | ServiceKind::CareHomeNursing => [4, 78, 15, 3],
        ServiceKind::HomeCare => [5, 79, 14, 2],
        ServiceKind::SupportedLiving | ServiceKind::EnhancedSupportedLiving => [6, 84, 9, 1],
        ServiceKind::ExtraCare | ServiceKind::ShortBreaks => [5, 84, 10, 1],
        ServiceKind::SharedLives => [15, 83, 2, 0],
        _ => [4, 80, 14, 2],
    }
}

fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> Option<T> {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    if total == 0 {
        return None;
    }
    let mut n = rng.gen_range(0..total);
    for (v, w) in items {
        if n < *w {
            return Some(*v);
        }
        n -= w;
    }
    None
}

pub fn draw_overall(rng: &mut StdRng, kind: ServiceKind) -> Rating {
    let m = mix(kind);
    let items: Vec<(Rating, u32)> = Rating::GRADES.iter().copied().zip(m).collect();
    weighted(rng, &items).unwrap_or(Rating::Good)
}

/// Choose `n` distinct key questions, more likely the heavier ones.
fn choose_kqs(rng: &mut StdRng, weights: [u32; 5], n: usize) -> Vec<usize> {
    let mut left: Vec<(usize, u32)> = (0..5).map(|i| (i, weights[i])).collect();
    let mut out = Vec::new();
    while out.len() < n && !left.is_empty() {
        match weighted(rng, &left) {
            Some(i) => {
                out.push(i);
                left.retain(|(j, _)| *j != i);
            }
            None => break,
        }
    }
    out
}

// Index order: Safe, Effective, Caring, Responsive, Well-led. Safe and Well-led are the key
// questions most often rated down; Caring least often.
const WEAK: [u32; 5] = [40, 12, 3, 8, 37];
const STRONG: [u32; 5] = [3, 12, 40, 30, 15];

/// Five key-question ratings that aggregate to `overall` under CQC's rules (two or more
/// Inadequate: Inadequate; one Inadequate or two or more Requires improvement: Requires
/// improvement; two or more Outstanding and the rest Good: Outstanding; otherwise Good).
pub fn key_questions(rng: &mut StdRng, overall: Rating) -> [Rating; 5] {
    use Rating::*;
    let mut k = [Good; 5];
    match overall {
        Outstanding => {
            let n = if rng.gen_bool(0.75) { 2 } else { 3 };
            for i in choose_kqs(rng, STRONG, n) {
                k[i] = Outstanding;
            }
        }
        Good => {
            let r: f64 = rng.gen_range(0.0..1.0);
            if r < 0.22 {
                for i in choose_kqs(rng, WEAK, 1) {
                    k[i] = RequiresImprovement;
                }
            } else if r < 0.30 {
                for i in choose_kqs(rng, STRONG, 1) {
                    k[i] = Outstanding;
                }
            }
        }
        RequiresImprovement => {
            if rng.gen_bool(0.15) {
                let picked = choose_kqs(rng, WEAK, 2);
                if let Some(&i) = picked.first() {
                    k[i] = Inadequate;
                }
                if let Some(&i) = picked.get(1) {
                    k[i] = RequiresImprovement;
                }
            } else {
                let n = rng.gen_range(2..=4);
                for i in choose_kqs(rng, WEAK, n) {
                    k[i] = RequiresImprovement;
                }
            }
        }
        Inadequate => {
            k = [RequiresImprovement; 5];
            let n = if rng.gen_bool(0.7) { 2 } else { 3 };
            for i in choose_kqs(rng, WEAK, n) {
                k[i] = Inadequate;
            }
            if rng.gen_bool(0.6) {
                k[2] = if k[2] == Inadequate { Inadequate } else { Good };
            }
        }
        _ => {}
    }
    k
}

/// CQC's aggregation of five key-question ratings to an overall rating (used by tests to check
/// that generated ratings are consistent).
pub fn aggregate(k: &[Rating; 5]) -> Rating {
    let count = |r: Rating| k.iter().filter(|x| **x == r).count();
    if count(Rating::Inadequate) >= 2 {
        Rating::Inadequate
    } else if count(Rating::Inadequate) == 1 || count(Rating::RequiresImprovement) >= 2 {
        Rating::RequiresImprovement
    } else if count(Rating::Outstanding) >= 2 && count(Rating::RequiresImprovement) == 0 {
        Rating::Outstanding
    } else {
        Rating::Good
    }
}

/// The rating before `next`, walking back through a history.
fn previous_of(rng: &mut StdRng, next: Rating) -> Rating {
    use Rating::*;
    let items: &[(Rating, u32)] = match next {
        Outstanding => &[(Outstanding, 45), (Good, 55)],
        Good => &[(Outstanding, 4), (Good, 66), (RequiresImprovement, 26), (Inadequate, 4)],
        RequiresImprovement => &[(Good, 45), (RequiresImprovement, 38), (Inadequate, 17)],
        _ => &[(Good, 35), (RequiresImprovement, 65)],
    };
    weighted(rng, items).unwrap_or(Good)
}

/// Days from an inspection to the next one: CQC returns sooner after a poor rating.
fn gap_after(rng: &mut StdRng, r: Rating) -> i64 {
    match r {
        Rating::Inadequate => rng.gen_range(150..=240),
        Rating::RequiresImprovement => rng.gen_range(240..=480),
        _ => rng.gen_range(540..=1100),
    }
}

fn rated(rng: &mut StdRng, overall: Rating, report_date: Date) -> PlannedRating {
    PlannedRating { overall, key_questions: Some(key_questions(rng, overall)), report_date: Some(report_date) }
}

/// When the service was registered with CQC, to fit its profile.
pub fn registration_date(rng: &mut StdRng, profile: Profile, today: Date) -> Result<Date, DemoError> {
    Ok(match profile {
        Profile::New(_) => between(rng, add_days(today, -330)?, add_days(today, -30)?)?,
        Profile::Stale => between(rng, date(2010, 10, 1)?, date(2017, 6, 1)?)?,
        _ => between(rng, date(2010, 10, 1)?, add_days(today, -3 * 365)?)?,
    })
}

/// A service's rating history, oldest first.
pub fn history(
    rng: &mut StdRng,
    kind: ServiceKind,
    profile: Profile,
    registered: Date,
    today: Date,
) -> Result<Vec<PlannedRating>, DemoError> {
    let earliest = add_days(registered, 120)?.max(date(2016, 1, 1)?);
    let (latest, latest_date, mut extra) = match profile {
        Profile::New(true) => {
            return Ok(vec![PlannedRating { overall: Rating::NoPublishedRating, key_questions: None, report_date: None }]);
        }
        Profile::New(false) => return Ok(Vec::new()),
        Profile::Established | Profile::EstablishedAs(_) => {
            let overall = match profile {
                Profile::EstablishedAs(r) => r,
                _ => draw_overall(rng, kind),
            };
            // CQC returns within months to a service rated Inadequate and within a year or two to
            // one rated Requires improvement, so poor ratings are recent ones.
            let window = match overall {
                Rating::Inadequate => add_days(today, -300)?,
                Rating::RequiresImprovement => add_days(today, -730)?,
                _ => date(2020, 1, 15)?,
            };
            let from = add_days(registered, 180)?.max(window);
            (overall, between(rng, from, add_days(today, -91)?)?, Vec::new())
        }
        Profile::Stale => {
            let overall = if rng.gen_bool(0.1) { Rating::Outstanding } else { Rating::Good };
            let from = add_days(registered, 180)?.max(date(2016, 6, 1)?);
            (overall, between(rng, from, date(2019, 12, 20)?)?, Vec::new())
        }
        Profile::Changed(from, to) => {
            let d = between(rng, add_days(today, -85)?, add_days(today, -3)?)?;
            let prev_date = add_days(d, -gap_after(rng, from))?.max(earliest);
            (to, d, vec![rated(rng, from, prev_date)])
        }
    };
    let mut out = vec![rated(rng, latest, latest_date)];
    out.append(&mut extra);
    // Up to three earlier ratings in all, as far back as the service and 2016 allow.
    let more = match rng.gen_range(0..100) {
        0..25 => 0,
        25..60 => 1,
        60..85 => 2,
        _ => 3,
    };
    for _ in 0..more {
        if out.len() >= 4 {
            break;
        }
        let Some(last) = out.last() else { break };
        let Some(last_date) = last.report_date else {
            break;
        };
        let prev = previous_of(rng, last.overall);
        let d = add_days(last_date, -gap_after(rng, prev))?;
        if d < earliest {
            break;
        }
        out.push(rated(rng, prev, d));
    }
    out.reverse();
    Ok(out)
}
