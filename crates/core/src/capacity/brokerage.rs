//! Home care package requests, who may be offered them, and the awaiting-care figures
//! (`004` "Proposed Home Care Model", §4.8, §4.10, Appendix A and Appendix 2; `000` "Home Care";
//! domain C4).

use super::whole_percent;
use crate::FieldError;
use crate::register::{ContractStatus, Rating};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// The two lots of `004`'s model: "Two Lots – general and high dependency".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Lot {
    General,
    HighDependency,
}

impl Lot {
    pub const ALL: [Lot; 2] = [Lot::General, Lot::HighDependency];
    pub fn as_str(self) -> &'static str {
        match self {
            Lot::General => "general",
            Lot::HighDependency => "high_dependency",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Lot::General => "General",
            Lot::HighDependency => "High Dependency",
        }
    }
    pub fn parse(s: &str) -> Option<Lot> {
        let l = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Lot::ALL.into_iter().find(|x| x.as_str() == l || x.label().eq_ignore_ascii_case(s.trim()))
    }
    /// The lot a framework lot's name stands for ("General", "High Dependency", "Lot 2 complex").
    pub fn from_lot_name(name: &str) -> Option<Lot> {
        let l = name.to_ascii_lowercase();
        if l.contains("high") || l.contains("complex") || l.contains("lot 2") {
            Some(Lot::HighDependency)
        } else if l.contains("general") || l.contains("standard") || l.contains("generic") || l.contains("lot 1") {
            Some(Lot::General)
        } else {
            None
        }
    }
}

/// Spare capacity a provider declares: hours a week (stored as minutes) or beds, not negative
/// and not more hours than a service could deliver in a week.
pub fn check_spare_capacity(unit: &str, amount: i64) -> Result<(), FieldError> {
    if amount < 0 {
        return Err(FieldError::new("amount", format!("Spare capacity cannot be negative (found {amount})")));
    }
    if !matches!(unit, "minutes" | "beds") {
        return Err(FieldError::new("unit", "Spare capacity is in hours a week or beds"));
    }
    if unit == "minutes" && amount > 168 * 60 * 1000 {
        return Err(FieldError::new("amount", "That is more hours than a service could deliver in a week"));
    }
    Ok(())
}

/// The needs that put a package in the High Dependency lot (`004`: "The High Dependency Lot
/// requires clinical oversight and enhanced skills and qualifications").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum HighDependencyNeed {
    DelegatedHealthTasks,
    ComplexMentalHealth,
    DualSensoryImpairment,
    Besd,
    Dementia,
    LearningDisabilities,
    Hoarding,
    NightTime,
    EndOfLife,
}

impl HighDependencyNeed {
    pub const ALL: [HighDependencyNeed; 9] = [
        HighDependencyNeed::DelegatedHealthTasks,
        HighDependencyNeed::ComplexMentalHealth,
        HighDependencyNeed::DualSensoryImpairment,
        HighDependencyNeed::Besd,
        HighDependencyNeed::Dementia,
        HighDependencyNeed::LearningDisabilities,
        HighDependencyNeed::Hoarding,
        HighDependencyNeed::NightTime,
        HighDependencyNeed::EndOfLife,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            HighDependencyNeed::DelegatedHealthTasks => "delegated_health_tasks",
            HighDependencyNeed::ComplexMentalHealth => "complex_mental_health",
            HighDependencyNeed::DualSensoryImpairment => "dual_sensory_impairment",
            HighDependencyNeed::Besd => "besd",
            HighDependencyNeed::Dementia => "dementia",
            HighDependencyNeed::LearningDisabilities => "learning_disabilities",
            HighDependencyNeed::Hoarding => "hoarding",
            HighDependencyNeed::NightTime => "night_time",
            HighDependencyNeed::EndOfLife => "end_of_life",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            HighDependencyNeed::DelegatedHealthTasks => "Delegated health care tasks",
            HighDependencyNeed::ComplexMentalHealth => "Complex and enduring mental health needs",
            HighDependencyNeed::DualSensoryImpairment => "Dual sensory impairment",
            HighDependencyNeed::Besd => "Behavioural, emotional and social difficulties (BESD)",
            HighDependencyNeed::Dementia => "Moderate to severe dementia",
            HighDependencyNeed::LearningDisabilities => "Moderate to severe learning disabilities",
            HighDependencyNeed::Hoarding => "Hoarding behaviours",
            HighDependencyNeed::NightTime => "Night-time support needs",
            HighDependencyNeed::EndOfLife => "End of life or palliative care",
        }
    }
    pub fn parse(s: &str) -> Option<HighDependencyNeed> {
        HighDependencyNeed::ALL.into_iter().find(|n| n.as_str() == s.trim())
    }
}

/// Where a request comes from: `000` counts hospital discharge packages separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    HospitalDischarge,
    Community,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::HospitalDischarge => "hospital_discharge",
            Route::Community => "community",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Route::HospitalDischarge => "Hospital discharge",
            Route::Community => "Community",
        }
    }
    pub fn parse(s: &str) -> Option<Route> {
        [Route::HospitalDischarge, Route::Community].into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// The minimum paid call (`004` §4.10: "paid for a minimum of 30 minutes for all calls").
pub const MIN_CALL_MINUTES: i64 = 30;

/// What a package asks for, enough to check it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PackageShape {
    pub minutes_per_week: i64,
    pub visits_per_day: i64,
    /// Visits a week needing two carers.
    pub double_up_visits_per_week: i64,
    pub lot: Lot,
    pub needs: Vec<HighDependencyNeed>,
}

/// Check a package request: hours bought by the hour or half hour (`004` "Packages will be
/// purchased on an hourly or half hourly basis"), 1–6 visits a day, no call shorter than 30
/// minutes unless two carers are needed (`004` Appendix 2, item 2, and §4.10), double-ups no more
/// than the visits, and High Dependency needs only (and at least one) in the High Dependency lot.
pub fn validate_package(p: &PackageShape) -> Result<(), FieldError> {
    if p.minutes_per_week <= 0 {
        return Err(FieldError::new("hours_per_week", "Enter the hours a week, more than 0"));
    }
    if p.minutes_per_week > 168 * 60 {
        return Err(FieldError::new("hours_per_week", "Hours a week cannot be more than 168"));
    }
    if p.minutes_per_week % 30 != 0 {
        return Err(FieldError::new("hours_per_week", "Packages are bought by the hour or half hour: enter hours like 10 or 10.5"));
    }
    if !(1..=6).contains(&p.visits_per_day) {
        return Err(FieldError::new("visits_per_day", "Visits a day must be between 1 and 6"));
    }
    let visits_per_week = p.visits_per_day * 7;
    if p.double_up_visits_per_week < 0 || p.double_up_visits_per_week > visits_per_week {
        return Err(FieldError::new(
            "double_up_visits",
            format!("Double-up visits a week must be between 0 and the {visits_per_week} visits a week"),
        ));
    }
    let avg = p.minutes_per_week / visits_per_week;
    if avg < MIN_CALL_MINUTES && p.double_up_visits_per_week == 0 {
        return Err(FieldError::new(
            "visits_per_day",
            format!("Calls would average {avg} minutes: the minimum call is 30 minutes unless two carers are needed (double-up)"),
        ));
    }
    match p.lot {
        Lot::HighDependency if p.needs.is_empty() => {
            Err(FieldError::new("needs", "Choose the needs that put this package in the High Dependency lot"))
        }
        Lot::General if !p.needs.is_empty() => {
            Err(FieldError::new("lot", "High Dependency needs were chosen: choose the High Dependency lot, or clear the needs"))
        }
        _ => Ok(()),
    }
}

/// The rating rule for offering work (`004` §4.8(a) and Appendix A(k), (l)): registered with
/// CQC, inspected at least once, overall at least Requires Improvement with Good in Well-led.
/// Councils set their own thresholds (stored as the `brokerage_rating_rule` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingRule {
    pub min_overall: Rating,
    /// `None` to not check Well-led.
    pub min_well_led: Option<Rating>,
    pub require_inspection: bool,
    /// Offer to contracted providers off the framework (direct award, spot) when no framework
    /// provider can take the work; they are listed after framework providers.
    pub allow_off_framework: bool,
}

impl Default for RatingRule {
    fn default() -> Self {
        RatingRule {
            min_overall: Rating::RequiresImprovement,
            min_well_led: Some(Rating::Good),
            require_inspection: true,
            allow_off_framework: false,
        }
    }
}

impl RatingRule {
    /// The rule as an officer chooses it on the brokerage settings page: the lowest overall
    /// rating offered to (one of the four grades), the lowest Well-led rating (`any` not to
    /// check it), and yes or no to needing an inspection and to offering off the framework.
    pub fn from_form(
        min_overall: &str,
        min_well_led: &str,
        require_inspection: &str,
        allow_off_framework: &str,
    ) -> Result<RatingRule, crate::FieldErrors> {
        let mut e = crate::FieldErrors::new();
        let grade = |s: &str| Rating::GRADES.into_iter().find(|r| r.as_str() == s);
        let min_overall = e.check(
            grade(min_overall).ok_or_else(|| FieldError::new("min_overall", "Choose the lowest overall rating a provider may have")),
        );
        let min_well_led = match min_well_led {
            "any" => Some(None),
            s => e.check(grade(s).map(Some).ok_or_else(|| FieldError::new("min_well_led", "Choose the lowest Well-led rating, or any"))),
        };
        let yes_no = |field: &str, s: &str, message: &str| match s {
            "yes" => Ok(true),
            "no" => Ok(false),
            _ => Err(FieldError::new(field, message)),
        };
        let require_inspection =
            e.check(yes_no("require_inspection", require_inspection, "Choose whether a provider must have been inspected"));
        let allow_off_framework = e.check(yes_no(
            "allow_off_framework",
            allow_off_framework,
            "Choose whether packages may be offered to providers off the framework",
        ));
        match (min_overall, min_well_led, require_inspection, allow_off_framework) {
            (Some(min_overall), Some(min_well_led), Some(require_inspection), Some(allow_off_framework)) if e.is_empty() => {
                Ok(RatingRule { min_overall, min_well_led, require_inspection, allow_off_framework })
            }
            _ => Err(e),
        }
    }

    /// The rule in a sentence, as the pages state it.
    pub fn describe(&self) -> String {
        let mut s = format!("rated {} or better overall", self.min_overall.label());
        if let Some(w) = self.min_well_led {
            s.push_str(&format!(" and {} or better for Well-led", w.label()));
        }
        s.push_str(if self.require_inspection { ", inspected" } else { ", inspected or not" });
        s.push_str(if self.allow_off_framework {
            "; providers off the framework are offered work when no framework provider can take it"
        } else {
            "; framework providers only"
        });
        s
    }
}

fn at_least(r: Option<Rating>, min: Rating) -> bool {
    match (r.and_then(Rating::score), min.score()) {
        (Some(a), Some(b)) => a >= b,
        _ => false,
    }
}

/// A home care service that might be offered a request, with what the rule looks at.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub service_id: String,
    pub provider_id: String,
    pub name: String,
    pub provider_name: String,
    pub contract_status: ContractStatus,
    /// The service's framework lot, if on the home care framework.
    pub lot: Option<Lot>,
    pub registered: bool,
    pub overall: Option<Rating>,
    pub well_led: Option<Rating>,
    pub inspected: bool,
    /// An active placement restriction or embargo, described.
    pub restriction: Option<String>,
    /// Declared spare hours a week in the request's area for the request's lot.
    pub spare_minutes_in_area: i64,
    pub already_offered: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub candidate: Candidate,
    pub eligible: bool,
    pub on_framework: bool,
    /// Why not, one sentence each; empty when eligible.
    pub reasons: Vec<String>,
}

/// Whether `c` may be offered a request for `lot` needing `minutes_per_week`, and every reason
/// it may not (all reasons, not the first, so officers can see what would change the answer).
pub fn assess(lot: Lot, minutes_per_week: i64, c: &Candidate, rule: &RatingRule) -> Assessment {
    let mut reasons = Vec::new();
    let on_framework = c.contract_status == ContractStatus::Framework;
    if on_framework {
        match c.lot {
            Some(l) if l == lot || (lot == Lot::General && l == Lot::HighDependency) => {}
            Some(l) => reasons.push(format!("On the framework's {} lot, not the {} lot", l.label(), lot.label())),
            None => reasons.push(format!("Not on the framework's {} lot", lot.label())),
        }
    } else if !c.contract_status.is_contracted() {
        reasons.push("Not contracted with the council".into());
    } else if !rule.allow_off_framework {
        reasons.push(format!("Not on the framework ({})", c.contract_status.label()));
    }
    if !c.registered {
        reasons.push("Not registered with CQC".into());
    }
    if rule.require_inspection && !c.inspected {
        reasons.push("Not yet inspected by CQC".into());
    }
    if !at_least(c.overall, rule.min_overall) {
        reasons.push(format!(
            "Rated {} overall; at least {} is needed",
            c.overall.map(Rating::label).unwrap_or("not rated"),
            rule.min_overall.label()
        ));
    }
    if let Some(min) = rule.min_well_led
        && !at_least(c.well_led, min)
    {
        reasons.push(format!(
            "Rated {} for Well-led; at least {} is needed",
            c.well_led.map(Rating::label).unwrap_or("not rated"),
            min.label()
        ));
    }
    if let Some(r) = &c.restriction {
        reasons.push(format!("Under a placement restriction: {r}"));
    }
    if c.spare_minutes_in_area < minutes_per_week {
        reasons.push(format!(
            "Declared spare capacity in the area is {} hours a week; the package needs {}",
            hours(c.spare_minutes_in_area),
            hours(minutes_per_week)
        ));
    }
    if c.already_offered {
        reasons.push("Already offered this package".into());
    }
    Assessment { eligible: reasons.is_empty(), on_framework, reasons, candidate: c.clone() }
}

/// Minutes as hours for messages: "10", "10.5".
pub fn hours(minutes: i64) -> String {
    if minutes % 60 == 0 { format!("{}", minutes / 60) } else { format!("{:.1}", minutes as f64 / 60.0) }
}

/// Assess every candidate; eligible first, framework before the rest, then most spare capacity,
/// then name (so the order is stable).
pub fn eligible_providers(lot: Lot, minutes_per_week: i64, candidates: &[Candidate], rule: &RatingRule) -> Vec<Assessment> {
    let mut v: Vec<Assessment> = candidates.iter().map(|c| assess(lot, minutes_per_week, c, rule)).collect();
    v.sort_by(|a, b| {
        (!a.eligible, !a.on_framework, -a.candidate.spare_minutes_in_area, &a.candidate.name).cmp(&(
            !b.eligible,
            !b.on_framework,
            -b.candidate.spare_minutes_in_area,
            &b.candidate.name,
        ))
    });
    v
}

/// The awaiting-care figures (`000` "Home Care": "The number of packages waiting as of the 8th
/// November 2024 was 12, with 7 people waiting over 4 hours. The longest wait dates from 4th
/// November.").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AwaitingFigures {
    pub packages_waiting: i64,
    pub people_waiting_over_4_hours: i64,
    pub longest_wait_since: Option<Timestamp>,
}

/// A person waits "more than 4 hours" when their oldest waiting request was made more than 4
/// hours before `now`; people are counted once however many packages they wait for.
pub fn awaiting(waiting: &[(String, Timestamp)], now: Timestamp) -> AwaitingFigures {
    let limit = now - SignedDuration::from_hours(4);
    let mut over: Vec<&str> = waiting.iter().filter(|(_, t)| *t < limit).map(|(p, _)| p.as_str()).collect();
    over.sort_unstable();
    over.dedup();
    AwaitingFigures {
        packages_waiting: waiting.len() as i64,
        people_waiting_over_4_hours: over.len() as i64,
        longest_wait_since: waiting.iter().map(|(_, t)| *t).min(),
    }
}

/// Hospital discharge packages started within 48 hours (`000`: "Between May 2024 to November
/// 2024, 291 new hospital discharge packages were brokered to the Independent Sector. Of these
/// 54% (157) were started within 48 hours.").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DischargeFigure {
    pub brokered: i64,
    pub started_within_48_hours: i64,
    pub percent: Option<i64>,
}

/// `packages`: (requested at, started at) of the hospital discharge packages brokered in the
/// period. Started within 48 hours means started no more than 48 hours after the request.
pub fn discharge_within_48_hours(packages: &[(Timestamp, Option<Timestamp>)]) -> DischargeFigure {
    let within = packages.iter().filter(|(r, s)| s.is_some_and(|s| started_within_48_hours(*r, s))).count() as i64;
    let n = packages.len() as i64;
    DischargeFigure { brokered: n, started_within_48_hours: within, percent: whole_percent(within, n) }
}

pub fn started_within_48_hours(requested: Timestamp, started: Timestamp) -> bool {
    started >= requested && started.duration_since(requested) <= SignedDuration::from_hours(48)
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_rating_rule_is_chosen_on_a_form() {
        let r = RatingRule::from_form("good", "any", "no", "yes").expect("valid");
        assert_eq!(r, RatingRule { min_overall: Rating::Good, min_well_led: None, require_inspection: false, allow_off_framework: true });
        assert_eq!(
            r.describe(),
            "rated Good or better overall, inspected or not; providers off the framework are offered work when no framework provider can take it"
        );
        assert_eq!(
            RatingRule::default().describe(),
            "rated Requires improvement or better overall and Good or better for Well-led, inspected; framework providers only"
        );
        let e = RatingRule::from_form("inspected_not_rated", "", "maybe", "").expect_err("bad");
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["min_overall", "min_well_led", "require_inspection", "allow_off_framework"]);
    }
    use super::*;
    use proptest::prelude::*;

    fn cand(name: &str) -> Candidate {
        Candidate {
            service_id: name.into(),
            provider_id: name.into(),
            name: name.into(),
            provider_name: name.into(),
            contract_status: ContractStatus::Framework,
            lot: Some(Lot::General),
            registered: true,
            overall: Some(Rating::Good),
            well_led: Some(Rating::Good),
            inspected: true,
            restriction: None,
            spare_minutes_in_area: 20 * 60,
            already_offered: false,
        }
    }

    #[test]
    fn the_4_8_rule() {
        let rule = RatingRule::default();
        let ok = cand("A");
        assert!(assess(Lot::General, 600, &ok, &rule).eligible);
        // RI overall with Good Well-led passes (§4.8(a)).
        let ri = Candidate { overall: Some(Rating::RequiresImprovement), ..cand("B") };
        assert!(assess(Lot::General, 600, &ri, &rule).eligible);
        // RI Well-led fails.
        let wl = Candidate { well_led: Some(Rating::RequiresImprovement), ..cand("C") };
        let a = assess(Lot::General, 600, &wl, &rule);
        assert!(!a.eligible);
        assert!(a.reasons[0].contains("Well-led"), "{:?}", a.reasons);
        // Never inspected fails (Appendix A(l)).
        let new = Candidate { inspected: false, overall: None, well_led: None, ..cand("D") };
        assert_eq!(assess(Lot::General, 600, &new, &rule).reasons.len(), 3);
        // A stricter council: Good overall.
        let strict = RatingRule { min_overall: Rating::Good, ..rule };
        assert!(!assess(Lot::General, 600, &ri, &strict).eligible);
    }

    #[test]
    fn lot_restriction_capacity_and_framework_first() {
        let rule = RatingRule::default();
        let general = cand("General only");
        let a = assess(Lot::HighDependency, 600, &general, &rule);
        assert!(a.reasons.iter().any(|r| r.contains("General lot")), "{:?}", a.reasons);
        let hd = Candidate { lot: Some(Lot::HighDependency), ..cand("HD") };
        assert!(assess(Lot::General, 600, &hd, &rule).eligible);
        let restricted = Candidate { restriction: Some("embargo".into()), ..cand("R") };
        assert!(!assess(Lot::General, 600, &restricted, &rule).eligible);
        let full = Candidate { spare_minutes_in_area: 300, ..cand("F") };
        assert!(assess(Lot::General, 600, &full, &rule).reasons[0].contains("5 hours"));
        let spot = Candidate { contract_status: ContractStatus::SpotPurchase, lot: None, spare_minutes_in_area: 100 * 60, ..cand("Spot") };
        assert!(!assess(Lot::General, 600, &spot, &rule).eligible);
        let open = RatingRule { allow_off_framework: true, ..rule };
        let list = eligible_providers(Lot::General, 600, &[spot.clone(), cand("Fw"), full], &open);
        assert_eq!(list.iter().map(|a| a.candidate.name.as_str()).collect::<Vec<_>>(), vec!["Fw", "Spot", "F"]);
    }

    #[test]
    fn package_rules() {
        let p =
            PackageShape { minutes_per_week: 14 * 60, visits_per_day: 2, double_up_visits_per_week: 0, lot: Lot::General, needs: vec![] };
        assert!(validate_package(&p).is_ok());
        // 7 hours, 4 visits a day: 15-minute calls, refused unless double-up.
        let short = PackageShape { minutes_per_week: 7 * 60, visits_per_day: 4, ..p.clone() };
        assert_eq!(validate_package(&short).unwrap_err().field, "visits_per_day");
        assert!(validate_package(&PackageShape { double_up_visits_per_week: 7, ..short }).is_ok());
        assert_eq!(validate_package(&PackageShape { minutes_per_week: 615, ..p.clone() }).unwrap_err().field, "hours_per_week");
        assert_eq!(validate_package(&PackageShape { lot: Lot::HighDependency, ..p.clone() }).unwrap_err().field, "needs");
        assert_eq!(validate_package(&PackageShape { needs: vec![HighDependencyNeed::Dementia], ..p.clone() }).unwrap_err().field, "lot");
        assert_eq!(validate_package(&PackageShape { minutes_per_week: -60, ..p }).unwrap_err().field, "hours_per_week");
    }

    #[test]
    fn the_seed_awaiting_figures() {
        // 8 November 2024, 12 packages waiting, 7 people over 4 hours, longest since 4 November.
        let now: Timestamp = "2024-11-08T12:00:00Z".parse().unwrap();
        let mut w = Vec::new();
        w.push(("P1".to_string(), "2024-11-04T09:00:00Z".parse().unwrap()));
        for i in 2..=7 {
            w.push((format!("P{i}"), "2024-11-07T10:00:00Z".parse().unwrap()));
        }
        // Two packages for the same person: counted once.
        w.push(("P7".to_string(), "2024-11-08T07:00:00Z".parse().unwrap()));
        for i in 8..=11 {
            w.push((format!("P{i}"), "2024-11-08T10:00:00Z".parse().unwrap()));
        }
        let f = awaiting(&w, now);
        assert_eq!(f.packages_waiting, 12);
        assert_eq!(f.people_waiting_over_4_hours, 7);
        assert_eq!(f.longest_wait_since.map(|t| t.to_string()), Some("2024-11-04T09:00:00Z".into()));
    }

    #[test]
    fn the_seed_discharge_figure() {
        let r: Timestamp = "2024-06-01T10:00:00Z".parse().unwrap();
        let mut v = Vec::new();
        for i in 0..291 {
            let started = if i < 157 {
                Some(r + SignedDuration::from_hours(47))
            } else if i < 250 {
                Some(r + SignedDuration::from_hours(49))
            } else {
                None
            };
            v.push((r, started));
        }
        let f = discharge_within_48_hours(&v);
        assert_eq!((f.brokered, f.started_within_48_hours, f.percent), (291, 157, Some(54)));
        assert!(started_within_48_hours(r, r + SignedDuration::from_hours(48)));
    }

    proptest! {
        #[test]
        fn eligible_means_no_reasons_and_eligible_come_first(spares in proptest::collection::vec(0i64..3000, 1..20), need in 30i64..2000) {
            let rule = RatingRule::default();
            let cands: Vec<Candidate> = spares.iter().enumerate().map(|(i, s)| Candidate { spare_minutes_in_area: *s, ..cand(&format!("C{i:02}")) }).collect();
            let list = eligible_providers(Lot::General, need, &cands, &rule);
            let first_ineligible = list.iter().position(|a| !a.eligible).unwrap_or(list.len());
            prop_assert!(list[first_ineligible..].iter().all(|a| !a.eligible));
            for a in &list {
                prop_assert_eq!(a.eligible, a.candidate.spare_minutes_in_area >= need);
            }
        }
    }
}
