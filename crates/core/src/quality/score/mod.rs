//! The early-warning score (`000`, `004`: "identify risks early", "predict provider failure").
//!
//! A sum of capped points, one factor per signal, so every point on the score can be explained
//! in a sentence ("Safe rated Inadequate: +15"). Every number is written down, with why, in
//! `docs/early-warning.md`; change the constants there and here together.
//!
//! Properties (tested below): the total is between 0 and 100; making any one bad signal worse
//! never lowers it; things the score does not use (names, ids, other key questions, signals
//! older than [`WINDOW_DAYS`]) never change it; the factor points add up to the raw total, which
//! is then capped at [`MAX_SCORE`].

mod cqc;
mod facts;

pub use cqc::{RatedReport, cqc_inputs};
pub use facts::{ScoreFacts, return_in_window, signal_window};

use super::{EscalationLevel, Rag};
use crate::register::Rating;
use serde::Serialize;

/// The highest score shown; the raw sum of factors can be higher (see [`Score::raw_total`]).
pub const MAX_SCORE: i64 = 100;
/// Signals (complaints, safeguarding, whistleblowing, early indicators) count for this many days.
pub const WINDOW_DAYS: i64 = 90;
/// A fall in the overall rating counts for this many days (two years).
pub const FALL_WINDOW_DAYS: i64 = 730;
/// Places assumed when a service's size (beds, or people supported) is unknown: a small service,
/// so that per-place rates err towards attention rather than away from it.
pub const FALLBACK_SIZE: i64 = 20;
/// Occupancy threshold used when the council has not set one (issue 4's capacity settings).
pub const DEFAULT_LOW_OCCUPANCY_PERCENT: i64 = 80;

/// What the score is computed from. Every field is a fact the council holds on the date scored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ScoreInputs {
    /// The CQC overall rating in force; `None` when the service has no published rating.
    pub overall: Option<Rating>,
    pub safe: Option<Rating>,
    pub well_led: Option<Rating>,
    /// Days since the report of the rating in force; `None` when never inspected.
    pub days_since_inspection: Option<i64>,
    /// The overall rating before the latest fall, when the overall rating fell within
    /// [`FALL_WINDOW_DAYS`] (from, to).
    pub rating_fall: Option<(Rating, Rating)>,
    /// The council's own RAG status, when set.
    pub rag: Option<Rag>,
    pub escalation: Option<EscalationLevel>,
    /// Actions on the service's action plan not accepted and past their due date.
    pub open_overdue_actions: i64,
    /// Complaints in the last [`WINDOW_DAYS`].
    pub complaints: i64,
    /// Safeguarding concerns in the last [`WINDOW_DAYS`].
    pub safeguarding: i64,
    /// Whistleblowing and early indicators of concern in the last [`WINDOW_DAYS`].
    pub concerns: i64,
    /// Notifiable incidents in the last [`WINDOW_DAYS`].
    pub incidents: i64,
    /// Beds for a care home; people supported otherwise; `None` when unknown.
    pub size: Option<i64>,
    /// Beds occupied, per cent, from the latest vacancy return; `None` when unknown.
    pub occupancy_percent: Option<i64>,
    /// Below this occupancy a home is a quality risk (issue 4's `low_occupancy_percent`).
    pub low_occupancy_percent: i64,
    /// Staff vacancies as a percentage of posts (in post + vacant), latest monthly return.
    pub vacancy_rate_percent: Option<i64>,
}

/// How worried to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Low,
    Medium,
    High,
    VeryHigh,
}

impl Band {
    pub const ALL: &'static [Band] = &[Band::Low, Band::Medium, Band::High, Band::VeryHigh];

    /// The band a total falls in: 0-14 low, 15-29 medium, 30-49 high, 50 and over very high.
    pub fn of(total: i64) -> Band {
        match total {
            i64::MIN..=14 => Band::Low,
            15..=29 => Band::Medium,
            30..=49 => Band::High,
            _ => Band::VeryHigh,
        }
    }

    /// The lowest total in the band.
    pub fn floor(self) -> i64 {
        match self {
            Band::Low => 0,
            Band::Medium => 15,
            Band::High => 30,
            Band::VeryHigh => 50,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Low => "low",
            Band::Medium => "medium",
            Band::High => "high",
            Band::VeryHigh => "very_high",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Band::Low => "Low",
            Band::Medium => "Medium",
            Band::High => "High",
            Band::VeryHigh => "Very high",
        }
    }

    pub fn parse(s: &str) -> Option<Band> {
        let s = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Band::ALL.iter().copied().find(|b| b.as_str() == s)
    }
}

/// One line of the explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Factor {
    /// Stable code, e.g. "safe".
    pub code: &'static str,
    /// What the factor looks at, e.g. "CQC Safe rating".
    pub name: &'static str,
    pub points: i64,
    /// The most this factor can add.
    pub cap: i64,
    /// Plain English, e.g. "Safe rated Inadequate: +15".
    pub reason: String,
}

/// The score with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    /// `min(raw_total, MAX_SCORE)`.
    pub total: i64,
    /// The sum of every factor's points.
    pub raw_total: i64,
    pub band: Band,
    /// Every factor, those adding points first (most first), then those adding none.
    pub factors: Vec<Factor>,
}

impl Score {
    /// The factors that add points, most first, at most `n`.
    pub fn top(&self, n: usize) -> Vec<&Factor> {
        self.factors.iter().filter(|f| f.points > 0).take(n).collect()
    }
}

fn grade_points(r: Option<Rating>, ri: i64, inadequate: i64, unrated: i64) -> i64 {
    match r {
        Some(Rating::Inadequate) => inadequate,
        Some(Rating::RequiresImprovement) => ri,
        Some(Rating::Good) | Some(Rating::Outstanding) => 0,
        _ => unrated,
    }
}

fn rating_text(r: Option<Rating>) -> &'static str {
    r.map(Rating::label).unwrap_or("No published rating")
}

/// Per-place rate points: `per_ten` points for each event per 10 places, rounded down, capped.
fn per_place(count: i64, size: Option<i64>, per_ten: i64, cap: i64) -> i64 {
    let size = size.filter(|s| *s > 0).unwrap_or(FALLBACK_SIZE);
    (count.max(0).saturating_mul(per_ten).saturating_mul(10) / size).min(cap)
}

/// Number of grades fallen (Outstanding to Requires improvement = 2); 0 when not a fall.
pub fn grades_fallen(from: Rating, to: Rating) -> i64 {
    match (from.score(), to.score()) {
        (Some(a), Some(b)) if a > b => i64::from(a - b),
        _ => 0,
    }
}

fn factor(code: &'static str, name: &'static str, points: i64, cap: i64, what: String) -> Factor {
    let points = points.clamp(0, cap);
    Factor { code, name, points, cap, reason: format!("{what}: +{points}") }
}

/// The early-warning score of one service.
pub fn score(i: &ScoreInputs) -> Score {
    let size_text = match i.size.filter(|s| *s > 0) {
        Some(s) => format!("{s} places"),
        None => format!("size unknown, counted as {FALLBACK_SIZE} places"),
    };
    let mut factors = vec![
        factor(
            "overall",
            "CQC overall rating",
            grade_points(i.overall, 12, 25, 6),
            25,
            match i.overall {
                Some(r) if r.is_grade() => format!("Overall rated {}", r.label()),
                _ => "No CQC overall rating".to_string(),
            },
        ),
        factor("safe", "CQC Safe rating", grade_points(i.safe, 8, 15, 0), 15, format!("Safe rated {}", rating_text(i.safe))),
        factor(
            "well_led",
            "CQC Well-led rating",
            grade_points(i.well_led, 6, 12, 0),
            12,
            format!("Well-led rated {}", rating_text(i.well_led)),
        ),
        {
            let (p, what) = match i.days_since_inspection {
                None => (6, "Never inspected by CQC".to_string()),
                Some(d) if d > 4 * 365 => (6, format!("Last CQC inspection report {} years ago", d / 365)),
                Some(d) if d > 2 * 365 => (3, format!("Last CQC inspection report {} years ago", d / 365)),
                Some(d) => (0, format!("Last CQC inspection report {} days ago", d.max(0))),
            };
            factor("inspection_age", "Time since CQC inspection", p, 6, what)
        },
        {
            let (p, what) = match i.rating_fall {
                Some((from, to)) if grades_fallen(from, to) > 0 => {
                    let n = grades_fallen(from, to);
                    (
                        if n >= 2 { 10 } else { 6 },
                        format!("Overall rating fell from {} to {} in the last 2 years", from.label(), to.label()),
                    )
                }
                _ => (0, "No fall in the overall rating in the last 2 years".to_string()),
            };
            factor("rating_fall", "Fall in CQC overall rating", p, 10, what)
        },
        {
            let p = match i.rag {
                Some(Rag::Red) => 15,
                Some(Rag::Amber) => 8,
                _ => 0,
            };
            factor("rag", "Council RAG status", p, 15, format!("Council RAG status {}", i.rag.map(Rag::label).unwrap_or("not set")))
        },
        {
            let p = match i.escalation {
                Some(EscalationLevel::RiskManagement) => 12,
                Some(EscalationLevel::EnhancedMonitoring) => 6,
                _ => 0,
            };
            factor(
                "escalation",
                "Escalation",
                p,
                12,
                match i.escalation {
                    Some(e) if e != EscalationLevel::None => format!("Escalation: {}", e.label()),
                    _ => "Not in escalation".to_string(),
                },
            )
        },
        factor(
            "overdue_actions",
            "Overdue actions",
            i.open_overdue_actions.max(0).saturating_mul(2),
            10,
            format!("{} open action{} past due", i.open_overdue_actions.max(0), plural(i.open_overdue_actions)),
        ),
        factor(
            "complaints",
            "Complaints per place",
            per_place(i.complaints, i.size, 2, 8),
            8,
            format!("{} complaint{} in the last {WINDOW_DAYS} days ({size_text})", i.complaints.max(0), plural(i.complaints)),
        ),
        factor(
            "safeguarding",
            "Safeguarding concerns per place",
            per_place(i.safeguarding, i.size, 4, 12),
            12,
            format!(
                "{} safeguarding concern{} in the last {WINDOW_DAYS} days ({size_text})",
                i.safeguarding.max(0),
                plural(i.safeguarding)
            ),
        ),
        factor(
            "concerns",
            "Whistleblowing and early indicators",
            i.concerns.max(0).saturating_mul(4),
            8,
            format!(
                "{} whistleblowing or early indicator{} of concern in the last {WINDOW_DAYS} days",
                i.concerns.max(0),
                plural(i.concerns)
            ),
        ),
        factor(
            "incidents",
            "Notifiable incidents per place",
            per_place(i.incidents, i.size, 1, 4),
            4,
            format!("{} notifiable incident{} in the last {WINDOW_DAYS} days ({size_text})", i.incidents.max(0), plural(i.incidents)),
        ),
        {
            let (p, what) = match i.occupancy_percent {
                Some(o) if o < i.low_occupancy_percent => (
                    3 + (i.low_occupancy_percent - o) / 5,
                    format!("Occupancy {o}%, below the council's {}% threshold", i.low_occupancy_percent),
                ),
                Some(o) => (0, format!("Occupancy {o}%")),
                None => (0, "Occupancy not known".to_string()),
            };
            factor("occupancy", "Low occupancy", p, 8, what)
        },
        {
            let (p, what) = match i.vacancy_rate_percent {
                Some(v) => ((v - 5) / 5, format!("Staff vacancy rate {v}% in the latest monthly return")),
                None => (0, "Staff vacancy rate not known".to_string()),
            };
            factor("staff_vacancies", "Staff vacancies", p, 6, what)
        },
    ];
    let raw_total: i64 = factors.iter().map(|f| f.points).sum();
    let total = raw_total.clamp(0, MAX_SCORE);
    // Most points first; ties keep the order above (a stable sort).
    factors.sort_by_key(|f| std::cmp::Reverse(f.points));
    Score { total, raw_total, band: Band::of(total), factors }
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The highest raw total the factors can reach (the sum of the caps).
pub fn max_raw_total() -> i64 {
    score(&ScoreInputs::default()).factors.iter().map(|f| f.cap).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Date;
    use proptest::prelude::*;

    fn good() -> ScoreInputs {
        ScoreInputs {
            overall: Some(Rating::Good),
            safe: Some(Rating::Good),
            well_led: Some(Rating::Good),
            days_since_inspection: Some(200),
            size: Some(40),
            low_occupancy_percent: DEFAULT_LOW_OCCUPANCY_PERCENT,
            ..Default::default()
        }
    }

    #[test]
    fn a_good_quiet_service_scores_nothing() {
        let s = score(&good());
        assert_eq!((s.total, s.band), (0, Band::Low));
        assert!(s.top(3).is_empty());
        assert_eq!(s.factors.len(), 14);
    }

    #[test]
    fn each_factor_explains_its_points() {
        let mut i = good();
        i.safe = Some(Rating::Inadequate);
        i.overall = Some(Rating::RequiresImprovement);
        i.rag = Some(Rag::Red);
        let s = score(&i);
        assert_eq!(s.total, 12 + 15 + 15);
        assert_eq!(s.band, Band::High);
        let top: Vec<&str> = s.top(3).iter().map(|f| f.reason.as_str()).collect();
        assert_eq!(top, vec!["Safe rated Inadequate: +15", "Council RAG status Red: +15", "Overall rated Requires improvement: +12"]);
    }

    #[test]
    fn per_place_rates_use_size_and_a_documented_fallback() {
        let mut i = good();
        i.safeguarding = 2;
        i.size = Some(40); // 2 concerns per 40 places = 0.5 per 10 places = 2 points
        assert_eq!(score(&i).factors.iter().find(|f| f.code == "safeguarding").map(|f| f.points), Some(2));
        i.size = None; // counted as 20 places: 1 per 10 places = 4 points
        let f = score(&i).factors.into_iter().find(|f| f.code == "safeguarding").expect("factor");
        assert_eq!(f.points, 4);
        assert!(f.reason.contains("size unknown, counted as 20 places"), "{}", f.reason);
    }

    #[test]
    fn the_total_is_capped_at_100_and_the_raw_sum_is_kept() {
        let worst = ScoreInputs {
            overall: Some(Rating::Inadequate),
            safe: Some(Rating::Inadequate),
            well_led: Some(Rating::Inadequate),
            days_since_inspection: Some(3000),
            rating_fall: Some((Rating::Outstanding, Rating::Inadequate)),
            rag: Some(Rag::Red),
            escalation: Some(EscalationLevel::RiskManagement),
            open_overdue_actions: 50,
            complaints: 50,
            safeguarding: 50,
            concerns: 50,
            incidents: 50,
            size: Some(5),
            occupancy_percent: Some(10),
            low_occupancy_percent: 80,
            vacancy_rate_percent: Some(90),
        };
        let s = score(&worst);
        assert_eq!(s.raw_total, max_raw_total());
        assert_eq!(s.raw_total, 151);
        assert_eq!((s.total, s.band), (100, Band::VeryHigh));
    }

    #[test]
    fn bands_and_labels() {
        assert_eq!(Band::of(0), Band::Low);
        assert_eq!(Band::of(14), Band::Low);
        assert_eq!(Band::of(15), Band::Medium);
        assert_eq!(Band::of(30), Band::High);
        assert_eq!(Band::of(50), Band::VeryHigh);
        for b in Band::ALL {
            assert_eq!(Band::parse(b.as_str()), Some(*b));
            assert_eq!(Band::of(b.floor()), *b);
        }
        assert_eq!(Band::parse("very high"), Some(Band::VeryHigh));
    }

    fn report(y: i16, m: i8, o: Rating, s: Rating, w: Rating) -> RatedReport {
        RatedReport { report_date: Date::constant(y, m, 1), overall: Some(o), safe: Some(s), well_led: Some(w) }
    }

    #[test]
    fn cqc_inputs_use_only_what_was_known() {
        use Rating::*;
        let reports = vec![
            report(2023, 6, RequiresImprovement, Inadequate, RequiresImprovement),
            report(2016, 1, Outstanding, Good, Outstanding),
            report(2021, 3, Good, Good, Good),
            RatedReport { report_date: Date::constant(2022, 1, 1), overall: Some(InspectedButNotRated), safe: None, well_led: None },
        ];
        let before = cqc_inputs(&reports, Date::constant(2015, 1, 1));
        assert_eq!((before.overall, before.days_since_inspection), (None, None));
        let y2020 = cqc_inputs(&reports, Date::constant(2020, 1, 1));
        assert_eq!(y2020.overall, Some(Outstanding));
        assert_eq!(y2020.rating_fall, None);
        // Outstanding (2016) to Good (2021) is a fall, within two years of 2022-06-01; the
        // unrated 2022 report counts as an inspection but leaves the Good rating in force.
        let y2022 = cqc_inputs(&reports, Date::constant(2022, 6, 1));
        assert_eq!((y2022.overall, y2022.rating_fall), (Some(Good), Some((Outstanding, Good))));
        assert_eq!(y2022.days_since_inspection, Some(151));
        let y2024 = cqc_inputs(&reports, Date::constant(2024, 1, 1));
        assert_eq!((y2024.safe, y2024.rating_fall), (Some(Inadequate), Some((Good, RequiresImprovement))));
        // Two years after the last fall it no longer counts.
        assert_eq!(cqc_inputs(&reports, Date::constant(2025, 7, 1)).rating_fall, None);
    }

    fn rating() -> impl Strategy<Value = Option<Rating>> {
        prop::option::of(prop::sample::select(Rating::ALL.to_vec()))
    }

    fn inputs() -> impl Strategy<Value = ScoreInputs> {
        (
            (rating(), rating(), rating(), prop::option::of(0i64..5000), prop::option::of((0usize..4, 0usize..4))),
            (prop::option::of(0usize..3), prop::option::of(0usize..3), 0i64..20, 0i64..40, 0i64..40, 0i64..10, 0i64..20),
            (prop::option::of(1i64..200), prop::option::of(0i64..=100), 50i64..95, prop::option::of(0i64..=100)),
        )
            .prop_map(|((o, s, w, d, f), (rag, esc, act, c, sg, con, inc), (size, occ, low, vac))| ScoreInputs {
                overall: o,
                safe: s,
                well_led: w,
                days_since_inspection: d,
                rating_fall: f.map(|(a, b)| (Rating::GRADES[a], Rating::GRADES[b])),
                rag: rag.map(|r| Rag::ALL[r]),
                escalation: esc.map(|e| EscalationLevel::ALL[e]),
                open_overdue_actions: act,
                complaints: c,
                safeguarding: sg,
                concerns: con,
                incidents: inc,
                size,
                occupancy_percent: occ,
                low_occupancy_percent: low,
                vacancy_rate_percent: vac,
            })
    }

    /// One grade worse, or the same when already the worst or not a grade.
    fn worse(r: Option<Rating>) -> Option<Rating> {
        match r {
            Some(Rating::Outstanding) => Some(Rating::Good),
            Some(Rating::Good) => Some(Rating::RequiresImprovement),
            Some(Rating::RequiresImprovement) => Some(Rating::Inadequate),
            other => other,
        }
    }

    /// Every way of making exactly one bad signal worse.
    fn worsenings(i: &ScoreInputs) -> Vec<ScoreInputs> {
        let mut v = Vec::new();
        let mut push = |f: &dyn Fn(&mut ScoreInputs)| {
            let mut j = i.clone();
            f(&mut j);
            v.push(j);
        };
        push(&|j| j.overall = worse(j.overall));
        push(&|j| j.safe = worse(j.safe));
        push(&|j| j.well_led = worse(j.well_led));
        push(&|j| j.days_since_inspection = j.days_since_inspection.map(|d| d + 400));
        push(&|j| j.days_since_inspection = None);
        push(&|j| j.rating_fall = j.rating_fall.map(|(from, to)| (from, worse(Some(to)).unwrap_or(to))));
        push(&|j| j.rating_fall = j.rating_fall.map(|(_, to)| (Rating::Outstanding, to)));
        push(&|j| {
            j.rag = Some(match j.rag {
                None | Some(Rag::Green) => Rag::Amber,
                _ => Rag::Red,
            })
        });
        push(&|j| {
            j.escalation = Some(match j.escalation {
                None | Some(EscalationLevel::None) => EscalationLevel::EnhancedMonitoring,
                _ => EscalationLevel::RiskManagement,
            })
        });
        push(&|j| j.open_overdue_actions += 1);
        push(&|j| j.complaints += 1);
        push(&|j| j.safeguarding += 1);
        push(&|j| j.concerns += 1);
        push(&|j| j.incidents += 1);
        push(&|j| j.occupancy_percent = j.occupancy_percent.map(|o| (o - 7).max(0)));
        push(&|j| j.vacancy_rate_percent = j.vacancy_rate_percent.map(|v| (v + 6).min(100)));
        v
    }

    proptest! {
        #[test]
        fn bounded_and_factors_sum_to_the_raw_total(i in inputs()) {
            let s = score(&i);
            prop_assert!((0..=MAX_SCORE).contains(&s.total));
            prop_assert_eq!(s.factors.iter().map(|f| f.points).sum::<i64>(), s.raw_total);
            prop_assert_eq!(s.total, s.raw_total.min(MAX_SCORE));
            prop_assert!(s.raw_total <= max_raw_total());
            for f in &s.factors {
                prop_assert!(f.points >= 0 && f.points <= f.cap, "{:?}", f);
                let suffix = format!(": +{}", f.points);
                prop_assert!(f.reason.ends_with(&suffix), "{:?}", f);
            }
            prop_assert_eq!(s.band, Band::of(s.total));
        }

        #[test]
        fn monotone_in_each_bad_signal(i in inputs()) {
            let base = score(&i);
            for j in worsenings(&i) {
                let s = score(&j);
                prop_assert!(s.raw_total >= base.raw_total, "{:?} -> {:?}", i, j);
                prop_assert!(s.total >= base.total);
            }
        }

        #[test]
        fn stable_under_irrelevant_changes(i in inputs(), extra in 0i64..50) {
            let base = score(&i);
            // Occupancy at or above the threshold and vacancy rates up to 9% add nothing.
            let mut j = i.clone();
            if j.occupancy_percent.is_some_and(|o| o >= j.low_occupancy_percent) {
                j.occupancy_percent = Some((j.low_occupancy_percent + extra).min(100));
            }
            // A rise is not a fall.
            if j.rating_fall.is_some_and(|(a, b)| grades_fallen(a, b) == 0) {
                j.rating_fall = None;
            }
            // Good and Outstanding score the same on every key question.
            let flip = |r: Option<Rating>| match r {
                Some(Rating::Good) => Some(Rating::Outstanding),
                Some(Rating::Outstanding) => Some(Rating::Good),
                other => other,
            };
            j.safe = flip(j.safe);
            j.well_led = flip(j.well_led);
            prop_assert_eq!(score(&j).total, base.total);
        }
    }
}
