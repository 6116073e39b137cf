//! PA checks before listing (issue 16 item 17): a personal assistant on the register is offered
//! to employers only when the council's required checks are complete and in date: a DBS check
//! of the required type, references received and checked, and the required training. Checks
//! expire: a DBS certificate after the council's period unless the PA is on the DBS Update
//! Service, a course after its own period.
//!
//! The rule "is this PA listable on date D" is [`listable`], and nothing else decides it: the
//! search, approval and the expiry work list all ask it.

use super::{Choice, code_enum, label_of};
use crate::{Date, FieldError, FieldErrors};
use serde::Serialize;

pub const DBS_TYPES: [Choice; 4] = [
    ("basic", "Basic"),
    ("standard", "Standard"),
    ("enhanced", "Enhanced"),
    ("enhanced_barred_adults", "Enhanced with the adults' barred list"),
];

code_enum!(
    /// The level of a DBS certificate. Each level covers the ones before it.
    DbsType, DBS_TYPES, {
        Basic = "basic",
        Standard = "standard",
        Enhanced = "enhanced",
        EnhancedBarredAdults = "enhanced_barred_adults",
    }
);

impl DbsType {
    fn level(self) -> u8 {
        match self {
            DbsType::Basic => 1,
            DbsType::Standard => 2,
            DbsType::Enhanced => 3,
            DbsType::EnhancedBarredAdults => 4,
        }
    }

    /// Whether a certificate of this type meets a requirement for `required`.
    pub fn covers(self, required: DbsType) -> bool {
        self.level() >= required.level()
    }
}

/// Who a referee is to the PA: all the register keeps of them. The referee's name and contact
/// details stay in the officer's correspondence, not here.
pub const REFEREE_RELATIONSHIPS: [Choice; 5] = [
    ("employer", "Current or most recent employer"),
    ("care_employer", "Previous employer in care work"),
    ("education", "Tutor, teacher or training provider"),
    ("professional", "Professional who knows them (not family)"),
    ("character", "Character referee (not family)"),
];

/// The courses a council asks about, with its defaults: the list and each course's rule are
/// data (the `pa_training_courses` table), these are what a new database starts with.
pub const DEFAULT_COURSES: [(&str, &str, bool, Option<i32>); 5] = [
    ("care_certificate", "Care Certificate", true, None),
    ("safeguarding_adults", "Safeguarding adults", true, Some(36)),
    ("moving_handling", "Moving and handling", true, Some(12)),
    ("first_aid", "First aid", false, Some(36)),
    ("medication", "Medication", false, Some(12)),
];

/// How soon before it ends a check is shown as expiring.
pub const EXPIRING_DAYS: i64 = 30;

/// One course the council records, whether it is required for listing, and for how many months
/// a completion counts (`None`: it does not expire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CourseRule {
    pub code: String,
    pub label: String,
    pub required: bool,
    pub valid_months: Option<i32>,
}

/// The council's required checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckRules {
    pub dbs_type: DbsType,
    /// Months a certificate counts from its issue date (`None`: no expiry).
    pub dbs_valid_months: Option<i32>,
    /// A certificate kept on the DBS Update Service does not expire.
    pub update_service_keeps_current: bool,
    /// References received and checked.
    pub references: u8,
    pub courses: Vec<CourseRule>,
}

impl Default for CheckRules {
    fn default() -> Self {
        CheckRules {
            dbs_type: DbsType::EnhancedBarredAdults,
            dbs_valid_months: Some(36),
            update_service_keeps_current: true,
            references: 2,
            courses: DEFAULT_COURSES
                .iter()
                .map(|(code, label, required, months)| CourseRule {
                    code: code.to_string(),
                    label: label.to_string(),
                    required: *required,
                    valid_months: *months,
                })
                .collect(),
        }
    }
}

/// A PA's DBS check as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbsCheck {
    pub dbs_type: DbsType,
    pub certificate_number: Option<String>,
    pub issued_on: Option<Date>,
    pub update_service: bool,
}

/// One reference: who the referee is to the PA, when it came and when it was checked, by whom.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub relationship: Option<String>,
    pub received_on: Option<Date>,
    pub checked_on: Option<Date>,
    pub checked_by: Option<String>,
}

/// A course completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Training {
    pub course: String,
    pub completed_on: Date,
}

/// Everything recorded about a PA's checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PaChecks {
    pub dbs: Option<DbsCheck>,
    /// In order: reference 1, reference 2, ...
    pub references: Vec<Reference>,
    pub training: Vec<Training>,
}

/// Where one check stands on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CheckState {
    /// Done and in date; `expires_on` when it will end.
    Complete {
        expires_on: Option<Date>,
    },
    /// In date, but ends within [`EXPIRING_DAYS`].
    Expiring {
        expires_on: Date,
    },
    Expired {
        expired_on: Date,
    },
    /// Not done, with what is missing.
    Missing {
        reason: String,
    },
}

impl CheckState {
    /// Counts towards listing.
    pub fn in_date(&self) -> bool {
        matches!(self, CheckState::Complete { .. } | CheckState::Expiring { .. })
    }

    /// The day it ends, if it ends.
    pub fn ends_on(&self) -> Option<Date> {
        match self {
            CheckState::Complete { expires_on } => *expires_on,
            CheckState::Expiring { expires_on } => Some(*expires_on),
            CheckState::Expired { expired_on } => Some(*expired_on),
            CheckState::Missing { .. } => None,
        }
    }
}

/// One line of a PA's checks as an officer reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckLine {
    /// "DBS check", "Reference 1", "Care Certificate".
    pub name: String,
    pub required: bool,
    pub state: CheckState,
    /// What was recorded, in words.
    pub detail: String,
}

pub use crate::text::long_date;

fn add_months(d: Date, months: i32) -> Date {
    d.checked_add(jiff::Span::new().months(months)).unwrap_or(Date::MAX)
}

/// A check done on `from`, valid for `months` (if it expires), as at `on`.
fn dated(from: Date, months: Option<i32>, on: Date) -> CheckState {
    match months {
        None => CheckState::Complete { expires_on: None },
        Some(m) => {
            let ends = add_months(from, m);
            if on >= ends {
                CheckState::Expired { expired_on: ends }
            } else if on.until(ends).map(|s| i64::from(s.get_days())).unwrap_or(i64::MAX) <= EXPIRING_DAYS {
                CheckState::Expiring { expires_on: ends }
            } else {
                CheckState::Complete { expires_on: Some(ends) }
            }
        }
    }
}

fn dbs_line(dbs: Option<&DbsCheck>, rules: &CheckRules, on: Date) -> CheckLine {
    let name = "DBS check".to_string();
    let Some(d) = dbs else {
        return CheckLine {
            name,
            required: true,
            state: CheckState::Missing { reason: "No DBS check recorded".into() },
            detail: String::new(),
        };
    };
    let mut detail = d.dbs_type.label().to_string();
    if let Some(n) = &d.certificate_number {
        detail.push_str(&format!(", certificate {n}"));
    }
    if let Some(i) = d.issued_on {
        detail.push_str(&format!(", issued {}", long_date(i)));
    }
    if d.update_service {
        detail.push_str(", on the DBS Update Service");
    }
    let state = if !d.dbs_type.covers(rules.dbs_type) {
        CheckState::Missing {
            reason: format!("{} check recorded; the council needs {}", d.dbs_type.label(), rules.dbs_type.label().to_lowercase()),
        }
    } else if d.certificate_number.is_none() {
        CheckState::Missing { reason: "No certificate number".into() }
    } else if let Some(issued) = d.issued_on {
        let months = if d.update_service && rules.update_service_keeps_current { None } else { rules.dbs_valid_months };
        dated(issued, months, on)
    } else {
        CheckState::Missing { reason: "No issue date".into() }
    };
    CheckLine { name, required: true, state, detail }
}

fn reference_line(n: usize, r: Option<&Reference>, required: bool) -> CheckLine {
    let name = format!("Reference {n}");
    let r = r.cloned().unwrap_or_default();
    let mut detail = r.relationship.as_deref().map(|c| label_of(&REFEREE_RELATIONSHIPS, c).to_string()).unwrap_or_default();
    if let Some(d) = r.received_on {
        detail.push_str(&format!("{}received {}", if detail.is_empty() { "" } else { ", " }, long_date(d)));
    }
    if let Some(d) = r.checked_on {
        detail.push_str(&format!(", checked {}", long_date(d)));
        if let Some(by) = &r.checked_by {
            detail.push_str(&format!(" by {by}"));
        }
    }
    let state = match (r.received_on, r.checked_on) {
        (None, _) => CheckState::Missing { reason: "Not received".into() },
        (Some(_), None) => CheckState::Missing { reason: "Received, not checked".into() },
        (Some(_), Some(_)) => CheckState::Complete { expires_on: None },
    };
    CheckLine { name, required, state, detail }
}

fn course_line(c: &CourseRule, checks: &PaChecks, on: Date) -> CheckLine {
    let latest = checks.training.iter().filter(|t| t.course == c.code).map(|t| t.completed_on).max();
    let (state, detail) = match latest {
        None => (CheckState::Missing { reason: "Not completed".into() }, String::new()),
        Some(d) => (dated(d, c.valid_months, on), format!("Completed {}", long_date(d))),
    };
    CheckLine { name: c.label.clone(), required: c.required, state, detail }
}

/// Every check the council asks about, as at `on`: the DBS check, the required references (and
/// any more recorded), and every course on its list (required or not).
pub fn assess(checks: &PaChecks, rules: &CheckRules, on: Date) -> Vec<CheckLine> {
    let mut lines = vec![dbs_line(checks.dbs.as_ref(), rules, on)];
    let refs = checks.references.len().max(usize::from(rules.references));
    for i in 0..refs {
        lines.push(reference_line(i + 1, checks.references.get(i), i < usize::from(rules.references)));
    }
    lines.extend(rules.courses.iter().map(|c| course_line(c, checks, on)));
    lines
}

/// The required checks that are not complete and in date on `on`, each named with why.
pub fn missing(checks: &PaChecks, rules: &CheckRules, on: Date) -> Vec<String> {
    assess(checks, rules, on)
        .into_iter()
        .filter(|l| l.required && !l.state.in_date())
        .map(|l| match l.state {
            CheckState::Expired { expired_on } => format!("{}: expired on {}", l.name, long_date(expired_on)),
            CheckState::Missing { reason } => format!("{}: {}", l.name, reason.to_lowercase_first()),
            _ => l.name,
        })
        .collect()
}

trait LowerFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowerFirst for String {
    /// "No issue date" reads "no issue date" after a colon, but "DBS" stays in capitals.
    fn to_lowercase_first(&self) -> String {
        let mut c = self.chars();
        match (c.next(), c.clone().next()) {
            (Some(f), Some(s)) if f.is_uppercase() && s.is_lowercase() => f.to_lowercase().chain(c).collect(),
            _ => self.clone(),
        }
    }
}

/// Whether a PA may be offered to employers on `on`: every required check complete and in date.
pub fn listable(checks: &PaChecks, rules: &CheckRules, on: Date) -> bool {
    missing(checks, rules, on).is_empty()
}

/// Approval of a PA on `on` is refused while required checks are missing, naming them.
pub fn check_approval(checks: &PaChecks, rules: &CheckRules, on: Date) -> Result<(), FieldError> {
    let m = missing(checks, rules, on);
    if m.is_empty() {
        Ok(())
    } else {
        Err(FieldError::new("checks", format!("This PA cannot be approved until their checks are complete. Missing: {}", m.join("; "))))
    }
}

/// The required checks of a PA whose checks were all done that have ended or end within
/// [`EXPIRING_DAYS`] of `on`, earliest first: what the work list shows. A PA with a required
/// check never done has none here: they were never listed, and their page says what is missing.
pub fn expiring(checks: &PaChecks, rules: &CheckRules, on: Date) -> Vec<CheckLine> {
    let lines = assess(checks, rules, on);
    if lines.iter().any(|l| l.required && matches!(l.state, CheckState::Missing { .. })) {
        return Vec::new();
    }
    let mut v: Vec<CheckLine> =
        lines.into_iter().filter(|l| l.required && matches!(l.state, CheckState::Expiring { .. } | CheckState::Expired { .. })).collect();
    v.sort_by_key(|l| l.state.ends_on());
    v
}

/// A DBS certificate number: 12 digits (spaces allowed when typed).
pub fn certificate_number(raw: &str) -> Result<String, FieldError> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if s.len() == 12 && s.chars().all(|c| c.is_ascii_digit()) {
        Ok(s)
    } else {
        Err(FieldError::new("dbs_number", "DBS certificate number must be 12 digits, like 001234567890"))
    }
}

/// The checks form as typed (dates already read by the caller from their inputs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChecksInput {
    pub dbs_type: String,
    pub dbs_number: String,
    pub dbs_issued: Option<Date>,
    pub dbs_update_service: bool,
    /// (relationship, received, checked) per reference, in order.
    pub references: Vec<(String, Option<Date>, Option<Date>)>,
    /// (course code, completed) for every course on the list.
    pub training: Vec<(String, Option<Date>)>,
}

impl ChecksInput {
    /// The checks the form describes, or every failure of it, each naming its field
    /// (`dbs_type`, `dbs_number`, `dbs_issued`, `ref_relationship-1`, `ref_received-1`,
    /// `ref_checked-1`, ..., `training-<course>`). `before` are the checks as stored, whose
    /// "checked by" is kept where the checked date is unchanged; `by` is who checks now.
    pub fn parse(&self, rules: &CheckRules, before: &PaChecks, by: &str, today: Date) -> Result<PaChecks, FieldErrors> {
        let mut e = FieldErrors::new();
        let future = |d: Option<Date>| d.is_some_and(|d| d > today);
        let dbs_given = !self.dbs_type.trim().is_empty() || !self.dbs_number.trim().is_empty() || self.dbs_issued.is_some();
        let mut dbs = None;
        if dbs_given {
            let t = self.dbs_type.parse::<DbsType>().ok();
            if t.is_none() {
                e.add("dbs_type", "Choose the type of DBS check");
            }
            let number = if self.dbs_number.trim().is_empty() { None } else { e.check(certificate_number(&self.dbs_number)) };
            if future(self.dbs_issued) {
                e.add("dbs_issued", "DBS certificate issue date must be today or in the past");
            }
            if let Some(t) = t {
                dbs = Some(DbsCheck {
                    dbs_type: t,
                    certificate_number: number,
                    issued_on: self.dbs_issued,
                    update_service: self.dbs_update_service,
                });
            }
        }
        let mut references = Vec::new();
        for (i, (rel, received, checked)) in self.references.iter().enumerate() {
            let n = i + 1;
            let rel = rel.trim();
            if !rel.is_empty() && !REFEREE_RELATIONSHIPS.iter().any(|(c, _)| *c == rel) {
                e.add(format!("ref_relationship-{n}"), format!("Choose who referee {n} is to the PA"));
            }
            if received.is_some() && rel.is_empty() {
                e.add(format!("ref_relationship-{n}"), format!("Choose who referee {n} is to the PA"));
            }
            if future(*received) {
                e.add(format!("ref_received-{n}"), format!("Date reference {n} was received must be today or in the past"));
            }
            if future(*checked) {
                e.add(format!("ref_checked-{n}"), format!("Date reference {n} was checked must be today or in the past"));
            }
            if checked.is_some() && received.is_none() {
                e.add(format!("ref_received-{n}"), format!("Enter the date reference {n} was received before the date it was checked"));
            } else if let (Some(r), Some(c)) = (received, checked)
                && c < r
            {
                e.add(format!("ref_checked-{n}"), format!("Date reference {n} was checked must be on or after the date it was received"));
            }
            let old = before.references.get(i);
            let checked_by = checked.map(|c| match old {
                Some(o) if o.checked_on == Some(c) && o.checked_by.is_some() => o.checked_by.clone().unwrap_or_default(),
                _ => by.to_string(),
            });
            references.push(Reference {
                relationship: Some(rel.to_string()).filter(|r| !r.is_empty()),
                received_on: *received,
                checked_on: *checked,
                checked_by,
            });
        }
        while references.last().is_some_and(|r| r == &Reference::default()) {
            references.pop();
        }
        let mut training = Vec::new();
        for (course, done) in &self.training {
            let Some(rule) = rules.courses.iter().find(|c| &c.code == course) else {
                e.add(format!("training-{course}"), "Choose a course from the list");
                continue;
            };
            if future(*done) {
                e.add(format!("training-{course}"), format!("Date {} was completed must be today or in the past", rule.label));
            } else if let Some(d) = done {
                training.push(Training { course: course.clone(), completed_on: *d });
            }
        }
        e.into_result(PaChecks { dbs, references, training })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::constant(y, m, day)
    }

    /// Everything the default rules ask for, done on `on`.
    fn complete(on: Date) -> PaChecks {
        PaChecks {
            dbs: Some(DbsCheck {
                dbs_type: DbsType::EnhancedBarredAdults,
                certificate_number: Some("001234567890".into()),
                issued_on: Some(on),
                update_service: false,
            }),
            references: (0..2)
                .map(|_| Reference {
                    relationship: Some("employer".into()),
                    received_on: Some(on),
                    checked_on: Some(on),
                    checked_by: Some("Ola".into()),
                })
                .collect(),
            training: ["care_certificate", "safeguarding_adults", "moving_handling"]
                .iter()
                .map(|c| Training { course: c.to_string(), completed_on: on })
                .collect(),
        }
    }

    #[test]
    fn complete_checks_list_until_the_first_expiry() {
        let rules = CheckRules::default();
        let done = d(2025, 3, 10);
        let c = complete(done);
        assert!(listable(&c, &rules, done));
        // Moving and handling lasts 12 months: it ends on 10 March 2026, the first to end.
        assert!(listable(&c, &rules, d(2026, 3, 9)));
        assert!(!listable(&c, &rules, d(2026, 3, 10)));
        assert_eq!(missing(&c, &rules, d(2026, 3, 10)), ["Moving and handling: expired on 10 March 2026"]);
        // Refreshing it moves the end to the DBS check's 3 years: 10 March 2028.
        let mut c2 = c.clone();
        c2.training.push(Training { course: "moving_handling".into(), completed_on: d(2027, 6, 1) });
        c2.training.push(Training { course: "safeguarding_adults".into(), completed_on: d(2027, 3, 1) });
        assert!(listable(&c2, &rules, d(2028, 3, 9)));
        assert_eq!(missing(&c2, &rules, d(2028, 3, 10)), ["DBS check: expired on 10 March 2028"]);
    }

    #[test]
    fn the_update_service_keeps_a_certificate_current() {
        let rules = CheckRules { courses: vec![], ..CheckRules::default() };
        let mut c = complete(d(2020, 1, 1));
        assert!(!listable(&c, &rules, d(2024, 1, 1)));
        if let Some(dbs) = c.dbs.as_mut() {
            dbs.update_service = true;
        }
        assert!(listable(&c, &rules, d(2030, 1, 1)));
        // Unless the council says otherwise.
        let strict = CheckRules { update_service_keeps_current: false, ..rules };
        assert!(!listable(&c, &strict, d(2024, 1, 1)));
    }

    #[test]
    fn each_missing_check_is_named() {
        let rules = CheckRules::default();
        let on = d(2025, 6, 1);
        let none = PaChecks::default();
        assert_eq!(
            missing(&none, &rules, on),
            [
                "DBS check: no DBS check recorded",
                "Reference 1: not received",
                "Reference 2: not received",
                "Care Certificate: not completed",
                "Safeguarding adults: not completed",
                "Moving and handling: not completed",
            ]
        );
        let mut c = complete(on);
        c.dbs = Some(DbsCheck {
            dbs_type: DbsType::Enhanced,
            certificate_number: Some("001234567890".into()),
            issued_on: Some(on),
            update_service: false,
        });
        c.references[1].checked_on = None;
        assert_eq!(
            missing(&c, &rules, on),
            [
                "DBS check: enhanced check recorded; the council needs enhanced with the adults' barred list",
                "Reference 2: received, not checked"
            ]
        );
        let e = check_approval(&c, &rules, on).expect_err("refused");
        assert_eq!(e.field, "checks");
        assert!(e.message.contains("Reference 2: received, not checked"), "{}", e.message);
        // A council that asks for an enhanced check only accepts it; optional courses never block.
        let lenient = CheckRules { dbs_type: DbsType::Enhanced, references: 1, ..CheckRules::default() };
        assert!(listable(&c, &lenient, on));
        assert!(check_approval(&complete(on), &rules, on).is_ok());
    }

    #[test]
    fn states_for_tags_and_the_work_list() {
        let rules = CheckRules::default();
        let c = complete(d(2025, 3, 10));
        // 30 days before moving and handling ends (10 March 2026): expiring.
        let on = d(2026, 2, 8);
        let lines = assess(&c, &rules, on);
        let mh = lines.iter().find(|l| l.name == "Moving and handling").expect("line");
        assert_eq!(mh.state, CheckState::Expiring { expires_on: d(2026, 3, 10) });
        let sg = lines.iter().find(|l| l.name == "Safeguarding adults").expect("line");
        assert_eq!(sg.state, CheckState::Complete { expires_on: Some(d(2028, 3, 10)) });
        let first_aid = lines.iter().find(|l| l.name == "First aid").expect("line");
        assert!(!first_aid.required && !first_aid.state.in_date());
        assert_eq!(expiring(&c, &rules, on).iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["Moving and handling"]);
        // 31 days before: not yet.
        assert!(expiring(&c, &rules, d(2026, 2, 7)).is_empty());
        // A PA with a check never done is not on the work list, even with a course ending.
        let mut partial = c.clone();
        partial.references.pop();
        assert!(expiring(&partial, &rules, on).is_empty());
    }

    #[test]
    fn the_form_names_each_bad_field() {
        let rules = CheckRules::default();
        let today = d(2025, 6, 1);
        let input = ChecksInput {
            dbs_type: "enhanced_barred_adults".into(),
            dbs_number: "1234".into(),
            dbs_issued: Some(d(2025, 7, 1)),
            references: vec![("employer".into(), Some(d(2025, 5, 1)), Some(d(2025, 4, 1))), (String::new(), Some(d(2025, 5, 1)), None)],
            training: vec![("care_certificate".into(), Some(d(2025, 1, 1))), ("juggling".into(), None)],
            ..Default::default()
        };
        let e = input.parse(&rules, &PaChecks::default(), "Ola", today).expect_err("bad");
        assert_eq!(
            e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            ["dbs_number", "dbs_issued", "ref_checked-1", "ref_relationship-2", "training-juggling"]
        );
        assert_eq!(e.0[0].message, "DBS certificate number must be 12 digits, like 001234567890");
        assert_eq!(certificate_number(" 0012 3456 7890 "), Ok("001234567890".into()));
        assert!(certificate_number("00123456789X").is_err());
    }

    #[test]
    fn checked_by_is_kept_until_the_checked_date_changes() {
        let rules = CheckRules::default();
        let today = d(2025, 6, 1);
        let before = complete(d(2025, 5, 1));
        let input = ChecksInput {
            references: vec![
                ("employer".into(), Some(d(2025, 5, 1)), Some(d(2025, 5, 1))),
                ("character".into(), Some(d(2025, 5, 1)), Some(d(2025, 5, 20))),
                (String::new(), None, None),
            ],
            ..Default::default()
        };
        let c = input.parse(&rules, &before, "Sam", today).expect("valid");
        assert_eq!(c.references.len(), 2, "an empty trailing reference is not kept");
        assert_eq!(c.references[0].checked_by.as_deref(), Some("Ola"));
        assert_eq!(c.references[1].checked_by.as_deref(), Some("Sam"));
        assert_eq!(c.dbs, None);
    }

    proptest::proptest! {
        /// With everything else complete, a DBS certificate not on the Update Service lists a
        /// PA exactly while `on` is before its issue date plus the council's months.
        #[test]
        fn dbs_expiry_decides_listing(issued_days in 0i64..3000, on_days in 0i64..4000, months in 1i32..60) {
            let base = d(2018, 1, 1);
            let issued = base.checked_add(jiff::Span::new().days(issued_days)).expect("date");
            let on = base.checked_add(jiff::Span::new().days(on_days)).expect("date");
            let rules = CheckRules { dbs_valid_months: Some(months), courses: vec![], ..CheckRules::default() };
            let mut c = complete(issued);
            let ends = issued.checked_add(jiff::Span::new().months(months)).expect("date");
            proptest::prop_assert_eq!(listable(&c, &rules, on), on < ends);
            // The Update Service never takes a PA off the list.
            if let Some(dbs) = c.dbs.as_mut() { dbs.update_service = true; }
            proptest::prop_assert!(listable(&c, &rules, on));
        }
    }
}
