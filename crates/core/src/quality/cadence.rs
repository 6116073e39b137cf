//! Cadence: when each service is next due a quality visit or meeting, and what is due soon or
//! overdue (`000` "Provider Visits & Monitoring"; `004` §4.22 for services CQC has not rated).
//!
//! The rules are data (table `cadence_rules`); the defaults come from `000`:
//! - care homes and supported living visited at least once a year;
//! - services in escalation reviewed at least every 14 weeks;
//! - care homes in the joint council/ICB risk management process met every 4 to 6 weeks (the
//!   default rule uses the outer bound, 42 days, with a 14-day warning from the inner bound);
//! - home care providers on the main contract have quarterly performance meetings;
//!
//! and from `004` §4.22: every service CQC has not rated had a council visit.
//!
//! This module decides, for one rule and one service, whether the rule applies and when the
//! service is next due. It does no I/O; the store gathers the facts.

use super::{Activity, EscalationLevel};
use crate::register::{ContractStatus, ServiceKind};
use crate::{Date, FieldError};
use serde::{Deserialize, Serialize};

/// Which services a rule applies to, beyond their kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Every service of the rule's kinds.
    All,
    /// Services on the council's main contract (see [`is_main_contract`]).
    Contracted,
    /// Services in any escalation (enhanced monitoring or risk management).
    Escalated,
    /// Services in the joint council/ICB risk management process.
    RiskManagement,
    /// Services with no CQC overall rating (`004` §4.22).
    Uninspected,
    /// Services whose last finalised quality visit's overall result was Requires Improvement or
    /// Poor: a re-visit about six months later (PAMMS, issue 16 item 14; see [`super::fact_check`]).
    LastVisitRequiresImprovement,
}

impl Condition {
    pub const ALL: [Condition; 6] = [
        Condition::All,
        Condition::Contracted,
        Condition::Escalated,
        Condition::RiskManagement,
        Condition::Uninspected,
        Condition::LastVisitRequiresImprovement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Condition::All => "all",
            Condition::Contracted => "contracted",
            Condition::Escalated => "escalated",
            Condition::RiskManagement => "risk_management",
            Condition::Uninspected => "uninspected",
            Condition::LastVisitRequiresImprovement => "last_visit_requires_improvement",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Condition::All => "Every service of these kinds",
            Condition::Contracted => "On the main contract (framework, dynamic purchasing system or block contract)",
            Condition::Escalated => "In escalation (enhanced monitoring or risk management)",
            Condition::RiskManagement => "In joint council/ICB risk management",
            Condition::Uninspected => "No CQC overall rating",
            Condition::LastVisitRequiresImprovement => "Last quality visit's result was Requires Improvement or Poor",
        }
    }

    pub fn parse(s: &str) -> Option<Condition> {
        let s = s.trim();
        Condition::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Rules under escalation count from the start of the escalation as well as the last activity.
    pub fn counts_from_escalation(self) -> bool {
        matches!(self, Condition::Escalated | Condition::RiskManagement)
    }
}

/// "The main contract" of `000` ("home care providers on the main contract"): framework,
/// dynamic purchasing system and block contracts. Spot purchases, direct awards, in-house
/// services, the Recognised Provider List and uncontracted services are not on it.
pub fn is_main_contract(cs: ContractStatus) -> bool {
    matches!(cs, ContractStatus::Framework | ContractStatus::DynamicPurchasingSystem | ContractStatus::BlockContract)
}

/// The activity a rule counts: one kind of visit or meeting, or any.
pub fn parse_activity(s: &str) -> Option<Option<Activity>> {
    let s = s.trim();
    if s == "any" { Some(None) } else { Activity::ALL.iter().copied().find(|a| a.as_str() == s).map(Some) }
}

pub fn activity_code(a: Option<Activity>) -> &'static str {
    a.map(Activity::as_str).unwrap_or("any")
}

pub fn activity_label(a: Option<Activity>) -> &'static str {
    a.map(Activity::label).unwrap_or("Any visit or meeting")
}

/// A cadence rule: services of `applies_to` (empty = any kind) meeting `condition` must have an
/// `activity` at least every `interval_days`; they are due soon from `warn_days` before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CadenceRule {
    pub name: String,
    pub applies_to: Vec<ServiceKind>,
    pub condition: Condition,
    /// `None` = any activity satisfies the rule.
    pub activity: Option<Activity>,
    pub interval_days: i64,
    pub warn_days: i64,
}

/// What the rules need to know about a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFacts {
    pub kind: ServiceKind,
    pub contract_status: ContractStatus,
    /// Current escalation level.
    pub escalation: EscalationLevel,
    /// When the current spell of escalation (any level above none) began.
    pub escalated_since: Option<Date>,
    /// When the current spell of risk management began.
    pub risk_management_since: Option<Date>,
    /// Whether CQC has given the service an overall rating.
    pub cqc_rated: bool,
    /// The overall result of the service's last finalised quality visit, if it had one.
    pub last_visit_result: Option<super::Judgement>,
}

impl CadenceRule {
    /// Check a rule as an officer entered it; the error names the field.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.name.trim().is_empty() {
            return Err(FieldError::new("name", "Enter a name for the rule"));
        }
        if self.interval_days <= 0 {
            return Err(FieldError::new("interval_days", "The interval must be more than 0 days"));
        }
        if self.interval_days > 3660 {
            return Err(FieldError::new("interval_days", "The interval must be 3,660 days (10 years) or fewer"));
        }
        if self.warn_days < 0 {
            return Err(FieldError::new("warn_days", "Warning days cannot be negative"));
        }
        if self.warn_days >= self.interval_days {
            return Err(FieldError::new(
                "warn_days",
                format!("Warning days must be fewer than the interval ({} days)", self.interval_days),
            ));
        }
        Ok(())
    }

    /// Whether the rule applies to a service: its kind is one of the rule's kinds (or the rule
    /// is for any kind) and it meets the condition.
    pub fn applies(&self, f: &ServiceFacts) -> bool {
        if !self.applies_to.is_empty() && !self.applies_to.contains(&f.kind) {
            return false;
        }
        match self.condition {
            Condition::All => true,
            Condition::Contracted => is_main_contract(f.contract_status),
            Condition::Escalated => f.escalation != EscalationLevel::None,
            Condition::RiskManagement => f.escalation == EscalationLevel::RiskManagement,
            // Only services CQC regulates can be "uninspected"; day services are never rated.
            Condition::Uninspected => !f.cqc_rated && f.kind.cqc_regulated(),
            Condition::LastVisitRequiresImprovement => super::fact_check::needs_action_plan(f.last_visit_result),
        }
    }

    /// Whether a recorded activity counts towards this rule.
    pub fn satisfied_by(&self, a: Activity) -> bool {
        self.activity.is_none_or(|x| x == a)
    }

    /// The latest visit or meeting that counts towards this rule, from the latest date of each
    /// kind of activity.
    pub fn last_satisfying(&self, latest: impl Fn(Activity) -> Option<Date>) -> Option<Date> {
        Activity::ALL.iter().copied().filter(|a| self.satisfied_by(*a)).filter_map(latest).max()
    }

    /// When the service is next due under this rule, counted from `last_activity` (the latest
    /// satisfying visit or meeting on or before `on`). For escalation rules the count starts
    /// again when the escalation began, if that is later. With nothing to count from, the
    /// service is due on `on` ("no visit on record").
    pub fn due(&self, f: &ServiceFacts, last_activity: Option<Date>, on: Date) -> Due {
        let since = match self.condition {
            Condition::Escalated => f.escalated_since,
            Condition::RiskManagement => f.risk_management_since,
            _ => None,
        };
        let counted_from = match (last_activity, since) {
            (Some(a), Some(s)) => Some(a.max(s)),
            (a, s) => a.or(s),
        };
        let next_due = match counted_from {
            Some(d) => add_days(d, self.interval_days),
            None => on,
        };
        Due::at(next_due, on, self.warn_days, counted_from, last_activity.is_none())
    }
}

/// A rule as an officer entered it: kinds, condition and activity as codes, so that unknown
/// ones are refused naming the field.
#[derive(Debug, Clone, Default)]
pub struct RuleInput {
    /// Only used when creating a rule; a rule's code never changes.
    pub code: String,
    pub name: String,
    pub applies_to: Vec<String>,
    pub condition: String,
    pub activity: String,
    pub interval_days: i64,
    pub warn_days: i64,
    pub team: Option<String>,
    pub active: bool,
}

impl RuleInput {
    /// Check and convert; the error names the field.
    pub fn to_rule(&self) -> Result<CadenceRule, FieldError> {
        let mut applies_to = Vec::new();
        for k in &self.applies_to {
            match ServiceKind::parse(k) {
                Some(k) if !applies_to.contains(&k) => applies_to.push(k),
                Some(_) => {}
                None => return Err(FieldError::new("applies_to", format!("'{k}' is not a kind of service"))),
            }
        }
        let condition = Condition::parse(&self.condition).ok_or_else(|| {
            FieldError::new(
                "condition",
                format!("Choose a condition: one of {}", Condition::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")),
            )
        })?;
        let activity = parse_activity(&self.activity).ok_or_else(|| {
            FieldError::new(
                "activity",
                format!("Choose an activity: any, or one of {}", Activity::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")),
            )
        })?;
        let rule = CadenceRule {
            name: self.name.trim().to_string(),
            applies_to,
            condition,
            activity,
            interval_days: self.interval_days,
            warn_days: self.warn_days,
        };
        rule.validate()?;
        Ok(rule)
    }

    /// The team a rule's services fall to, trimmed; blank is none.
    pub fn team(&self) -> Option<String> {
        self.team.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
    }

    /// A new rule's code: letters, numbers and underscores, lower-cased, at most 60 characters.
    pub fn new_code(&self) -> Result<String, FieldError> {
        let code = self.code.trim().to_ascii_lowercase();
        if code.is_empty() || code.len() > 60 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(FieldError::new("code", "Enter a short code of lower-case letters, numbers and underscores, with no spaces"));
        }
        Ok(code)
    }
}

/// Where a service stands against a rule on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    Overdue,
    DueSoon,
    NotYetDue,
}

impl DueState {
    pub const ALL: [DueState; 3] = [DueState::Overdue, DueState::DueSoon, DueState::NotYetDue];

    pub fn as_str(self) -> &'static str {
        match self {
            DueState::Overdue => "overdue",
            DueState::DueSoon => "due_soon",
            DueState::NotYetDue => "not_yet_due",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DueState::Overdue => "Overdue",
            DueState::DueSoon => "Due",
            DueState::NotYetDue => "Not yet due",
        }
    }

    pub fn parse(s: &str) -> Option<DueState> {
        DueState::ALL.into_iter().find(|d| d.as_str() == s.trim())
    }
}

/// The next due date and state of one service under one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Due {
    pub next_due: Date,
    pub state: DueState,
    /// Days past the due date (0 unless overdue).
    pub days_overdue: i64,
    /// Days until the due date (0 when due today or overdue).
    pub days_until: i64,
    /// The date the interval was counted from (last activity or escalation start).
    pub counted_from: Option<Date>,
    /// No satisfying visit or meeting on record.
    pub no_visit_on_record: bool,
}

impl Due {
    /// Overdue when `on` is after `next_due`; due soon from `warn_days` before it, up to and
    /// including the day itself.
    pub fn at(next_due: Date, on: Date, warn_days: i64, counted_from: Option<Date>, no_visit_on_record: bool) -> Due {
        let diff = days_between(next_due, on);
        let state = if diff > 0 {
            DueState::Overdue
        } else if -diff <= warn_days {
            DueState::DueSoon
        } else {
            DueState::NotYetDue
        };
        Due { next_due, state, days_overdue: diff.max(0), days_until: (-diff).max(0), counted_from, no_visit_on_record }
    }
}

/// `to - from` in days.
pub fn days_between(from: Date, to: Date) -> i64 {
    to.duration_since(from).as_secs().div_euclid(86_400)
}

/// `d` plus `n` days, saturating at the ends of the calendar.
pub fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(jiff::Span::new().days(n)).unwrap_or(if n >= 0 { Date::MAX } else { Date::MIN })
}

/// When the current spell began, from an escalation history (oldest first): the date of the
/// earliest entry in the unbroken run of latest entries for which `in_spell` holds. `None` when
/// the latest entry is not in the spell.
pub fn spell_start(history: &[(Date, EscalationLevel)], in_spell: impl Fn(EscalationLevel) -> bool) -> Option<Date> {
    let mut start = None;
    for (d, level) in history.iter().rev() {
        if in_spell(*level) {
            start = Some(*d);
        } else {
            break;
        }
    }
    start
}

/// The facts about escalation from a service's history (oldest first): current level, start of
/// the current escalation and of the current risk management spell.
pub fn escalation_facts(history: &[(Date, EscalationLevel)]) -> (EscalationLevel, Option<Date>, Option<Date>) {
    let level = history.last().map(|h| h.1).unwrap_or(EscalationLevel::None);
    let escalated = spell_start(history, |l| l != EscalationLevel::None);
    let risk = spell_start(history, |l| l == EscalationLevel::RiskManagement);
    (level, escalated, risk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn facts(kind: ServiceKind) -> ServiceFacts {
        ServiceFacts {
            kind,
            contract_status: ContractStatus::SpotPurchase,
            escalation: EscalationLevel::None,
            escalated_since: None,
            risk_management_since: None,
            cqc_rated: true,
            last_visit_result: None,
        }
    }

    /// The six default rules of migration 0004, as the store loads them.
    fn defaults() -> Vec<CadenceRule> {
        let homes = vec![ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing];
        let r = |name: &str, applies_to: Vec<ServiceKind>, condition, activity, interval_days, warn_days| CadenceRule {
            name: name.into(),
            applies_to,
            condition,
            activity,
            interval_days,
            warn_days,
        };
        vec![
            r("annual care home", homes.clone(), Condition::All, Some(Activity::QualityVisit), 365, 30),
            r(
                "annual supported living",
                vec![ServiceKind::SupportedLiving, ServiceKind::EnhancedSupportedLiving],
                Condition::All,
                Some(Activity::QualityVisit),
                365,
                30,
            ),
            r("escalation", vec![], Condition::Escalated, None, 98, 14),
            r("risk management", homes, Condition::RiskManagement, Some(Activity::RiskManagementMeeting), 42, 14),
            r("home care quarterly", vec![ServiceKind::HomeCare], Condition::Contracted, Some(Activity::PerformanceMeeting), 91, 14),
            r("uninspected", vec![], Condition::Uninspected, Some(Activity::QualityVisit), 365, 30),
        ]
    }

    const ON: Date = date(2026, 11, 23);

    #[test]
    fn seed_rules_give_due_and_overdue() {
        let rules = defaults();
        let home = facts(ServiceKind::CareHomeResidential);
        // `000`: care homes at least once a year. Visited 400 days ago: 35 days overdue.
        let d = rules[0].due(&home, Some(add_days(ON, -400)), ON);
        assert_eq!((d.state, d.days_overdue), (DueState::Overdue, 35));
        assert_eq!(d.next_due, add_days(ON, -35));
        // 300 days ago: not yet due (due in 65 days, warning from 30).
        let d = rules[0].due(&home, Some(add_days(ON, -300)), ON);
        assert_eq!((d.state, d.days_until), (DueState::NotYetDue, 65));
        // 350 days ago: due soon (15 days left, within the 30-day warning).
        assert_eq!(rules[0].due(&home, Some(add_days(ON, -350)), ON).state, DueState::DueSoon);
        // Never visited: due now, no visit on record.
        let d = rules[0].due(&home, None, ON);
        assert_eq!((d.next_due, d.state, d.no_visit_on_record), (ON, DueState::DueSoon, true));

        // Risk management: met 50 days ago against a 42-day rule is 8 days overdue.
        let rm = ServiceFacts {
            escalation: EscalationLevel::RiskManagement,
            escalated_since: Some(add_days(ON, -200)),
            risk_management_since: Some(add_days(ON, -120)),
            ..home.clone()
        };
        assert!(rules[3].applies(&rm) && !rules[3].applies(&home));
        let d = rules[3].due(&rm, Some(add_days(ON, -50)), ON);
        assert_eq!((d.state, d.days_overdue), (DueState::Overdue, 8));
        // Escalation reviewed at least every 14 weeks (98 days): escalated 90 days ago, never
        // reviewed since: counted from the escalation start, due in 8 days (within warning).
        let em = ServiceFacts { escalation: EscalationLevel::EnhancedMonitoring, escalated_since: Some(add_days(ON, -90)), ..home.clone() };
        let d = rules[2].due(&em, None, ON);
        assert_eq!((d.state, d.days_until, d.counted_from), (DueState::DueSoon, 8, Some(add_days(ON, -90))));
        assert!(d.no_visit_on_record);
        // A review long before the escalation began does not count: the start does.
        let d = rules[2].due(&em, Some(add_days(ON, -400)), ON);
        assert_eq!(d.counted_from, Some(add_days(ON, -90)));
        // 100 days after the escalation, no review: 2 days overdue.
        let em100 = ServiceFacts { escalated_since: Some(add_days(ON, -100)), ..em };
        assert_eq!(rules[2].due(&em100, None, ON).days_overdue, 2);

        // Home care on the main contract: quarterly performance meeting, 100 days ago is overdue.
        let hc = ServiceFacts { contract_status: ContractStatus::Framework, ..facts(ServiceKind::HomeCare) };
        assert!(rules[4].applies(&hc));
        assert!(!rules[4].applies(&facts(ServiceKind::HomeCare)), "spot purchase is not the main contract");
        assert_eq!(rules[4].due(&hc, Some(add_days(ON, -100)), ON).days_overdue, 9);

        // Uninspected: only services CQC regulates and has not rated.
        let new_home = ServiceFacts { cqc_rated: false, ..home.clone() };
        assert!(rules[5].applies(&new_home) && !rules[5].applies(&home));
        assert!(!rules[5].applies(&ServiceFacts { cqc_rated: false, ..facts(ServiceKind::DayServices) }));
    }

    #[test]
    fn rule_validation_names_the_field() {
        let mut r = defaults()[0].clone();
        assert!(r.validate().is_ok());
        r.interval_days = 0;
        assert_eq!(r.validate().map_err(|e| e.field), Err("interval_days".into()));
        r.interval_days = 30;
        r.warn_days = 30;
        assert_eq!(r.validate().map_err(|e| e.field), Err("warn_days".into()));
        r.warn_days = -1;
        assert_eq!(r.validate().map_err(|e| e.field), Err("warn_days".into()));
        r.warn_days = 0;
        r.name = " ".into();
        assert_eq!(r.validate().map_err(|e| e.field), Err("name".into()));
    }

    #[test]
    fn rules_as_entered_are_refused_naming_the_field() {
        let input = RuleInput {
            code: " Annual_Extra_Care ".into(),
            name: " Annual visit ".into(),
            applies_to: vec!["extra_care".into(), "extra_care".into()],
            condition: "all".into(),
            activity: "any".into(),
            interval_days: 365,
            warn_days: 30,
            team: Some("  ".into()),
            active: true,
        };
        let rule = input.to_rule().expect("rule");
        assert_eq!((rule.name.as_str(), rule.applies_to.len(), rule.activity), ("Annual visit", 1, None));
        assert_eq!((input.new_code().as_deref(), input.team()), (Ok("annual_extra_care"), None));
        let field = |i: RuleInput| i.to_rule().unwrap_err().field;
        assert_eq!(field(RuleInput { applies_to: vec!["castle".into()], ..input.clone() }), "applies_to");
        assert_eq!(field(RuleInput { condition: "sometimes".into(), ..input.clone() }), "condition");
        assert_eq!(field(RuleInput { activity: "tea".into(), ..input.clone() }), "activity");
        assert_eq!(field(RuleInput { warn_days: 400, ..input.clone() }), "warn_days");
        assert_eq!(RuleInput { code: "a b".into(), ..input }.new_code().unwrap_err().field, "code");
    }

    #[test]
    fn the_last_visit_that_counts() {
        let latest = |a: Activity| match a {
            Activity::QualityVisit => Some(date(2024, 3, 1)),
            Activity::PerformanceMeeting => Some(date(2024, 9, 1)),
            _ => None,
        };
        let mut rule = defaults()[0].clone();
        rule.activity = Some(Activity::QualityVisit);
        assert_eq!(rule.last_satisfying(latest), Some(date(2024, 3, 1)));
        rule.activity = None;
        assert_eq!(rule.last_satisfying(latest), Some(date(2024, 9, 1)), "any activity: the latest of all");
        rule.activity = Some(Activity::EscalationReview);
        assert_eq!(rule.last_satisfying(latest), None);
    }

    #[test]
    fn a_requires_improvement_or_poor_visit_is_revisited_about_six_months_later() {
        use crate::quality::Judgement;
        let rule = CadenceRule {
            name: "Re-visit".into(),
            applies_to: vec![],
            condition: Condition::LastVisitRequiresImprovement,
            activity: Some(Activity::QualityVisit),
            interval_days: 182,
            warn_days: 30,
        };
        let home = facts(ServiceKind::CareHomeResidential);
        assert!(!rule.applies(&home), "no visit result: no re-visit rule");
        assert!(!rule.applies(&ServiceFacts { last_visit_result: Some(Judgement::Good), ..home.clone() }));
        let ri = ServiceFacts { last_visit_result: Some(Judgement::RequiresImprovement), ..home.clone() };
        assert!(rule.applies(&ri) && rule.applies(&ServiceFacts { last_visit_result: Some(Judgement::Poor), ..home }));
        let visited = add_days(ON, -160);
        let d = rule.due(&ri, Some(visited), ON);
        assert_eq!((d.next_due, d.state), (add_days(visited, rule.interval_days), DueState::DueSoon));
    }

    #[test]
    fn vocabulary_parses() {
        for c in Condition::ALL {
            assert_eq!(Condition::parse(c.as_str()), Some(c));
        }
        assert_eq!(Condition::parse("sometimes"), None);
        assert_eq!(parse_activity("any"), Some(None));
        assert_eq!(parse_activity("performance_meeting"), Some(Some(Activity::PerformanceMeeting)));
        assert_eq!(parse_activity("tea"), None);
        for s in DueState::ALL {
            assert_eq!(DueState::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn escalation_spells_start_where_the_run_begins() {
        use EscalationLevel::*;
        let h = vec![
            (date(2025, 1, 1), EnhancedMonitoring),
            (date(2025, 3, 1), None),
            (date(2025, 6, 1), EnhancedMonitoring),
            (date(2025, 8, 1), RiskManagement),
            (date(2025, 9, 1), RiskManagement),
        ];
        assert_eq!(escalation_facts(&h), (RiskManagement, Some(date(2025, 6, 1)), Some(date(2025, 8, 1))));
        let back = [h.clone(), vec![(date(2025, 10, 1), EnhancedMonitoring)]].concat();
        assert_eq!(escalation_facts(&back), (EnhancedMonitoring, Some(date(2025, 6, 1)), Option::None));
        let ended = [h, vec![(date(2025, 10, 1), None)]].concat();
        assert_eq!(escalation_facts(&ended), (None, Option::None, Option::None));
        assert_eq!(escalation_facts(&[]), (None, Option::None, Option::None));
    }

    fn any_kind() -> impl Strategy<Value = ServiceKind> {
        prop::sample::select(ServiceKind::ALL.to_vec())
    }

    fn any_facts() -> impl Strategy<Value = ServiceFacts> {
        (
            any_kind(),
            prop::sample::select(ContractStatus::ALL.to_vec()),
            prop::sample::select(EscalationLevel::ALL.to_vec()),
            prop::option::of(0i64..2000),
            prop::option::of(0i64..2000),
            any::<bool>(),
        )
            .prop_map(|(kind, contract_status, escalation, e, r, cqc_rated)| ServiceFacts {
                kind,
                contract_status,
                escalation,
                escalated_since: e.map(|n| add_days(ON, -n)),
                risk_management_since: r.map(|n| add_days(ON, -n)),
                cqc_rated,
                last_visit_result: None,
            })
    }

    fn any_rule() -> impl Strategy<Value = CadenceRule> {
        (
            prop::collection::vec(any_kind(), 0..4),
            prop::sample::select(Condition::ALL.to_vec()),
            prop::option::of(prop::sample::select(Activity::ALL.to_vec())),
            1i64..800,
            0i64..800,
        )
            .prop_map(|(applies_to, condition, activity, interval_days, w)| CadenceRule {
                name: "r".into(),
                applies_to,
                condition,
                activity,
                interval_days,
                warn_days: w % interval_days,
            })
    }

    proptest! {
        #[test]
        fn next_due_is_monotone_in_the_last_visit(rule in any_rule(), f in any_facts(), a in 0i64..3000, b in 0i64..3000) {
            let (earlier, later) = (add_days(ON, -a.max(b)), add_days(ON, -a.min(b)));
            let d1 = rule.due(&f, Some(earlier), ON);
            let d2 = rule.due(&f, Some(later), ON);
            prop_assert!(d1.next_due <= d2.next_due);
            // A later visit never makes the state worse.
            prop_assert!(d1.state <= d2.state);
        }

        #[test]
        fn overdue_exactly_when_past_the_due_date(rule in any_rule(), f in any_facts(), last in prop::option::of(0i64..3000), on_off in -400i64..400) {
            let on = add_days(ON, on_off);
            let d = rule.due(&f, last.map(|n| add_days(ON, -n)), on);
            prop_assert_eq!(d.state == DueState::Overdue, on > d.next_due);
            prop_assert_eq!(d.days_overdue > 0, on > d.next_due);
            prop_assert!(d.days_overdue >= 0 && d.days_until >= 0);
            if d.state == DueState::NotYetDue {
                prop_assert!(d.days_until > rule.warn_days);
            }
            if let Some(from) = d.counted_from {
                prop_assert_eq!(d.next_due, add_days(from, rule.interval_days));
            }
        }

        #[test]
        fn rules_apply_only_to_their_kinds_and_conditions(rule in any_rule(), f in any_facts()) {
            let applies = rule.applies(&f);
            if !rule.applies_to.is_empty() && !rule.applies_to.contains(&f.kind) {
                prop_assert!(!applies);
            }
            match rule.condition {
                Condition::Contracted if !is_main_contract(f.contract_status) => prop_assert!(!applies),
                Condition::Escalated if f.escalation == EscalationLevel::None => prop_assert!(!applies),
                Condition::RiskManagement if f.escalation != EscalationLevel::RiskManagement => prop_assert!(!applies),
                Condition::Uninspected if f.cqc_rated => prop_assert!(!applies),
                _ => {}
            }
            // A rule for any kind with condition "all" applies to everything.
            let all = CadenceRule { applies_to: vec![], condition: Condition::All, ..rule };
            prop_assert!(all.applies(&f));
        }
    }
}
