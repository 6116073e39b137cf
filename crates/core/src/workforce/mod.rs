//! Workforce returns and the Ethical Care Charter (issue 13 items 1-3; capability C8 of
//! `domain.md`, `004`).
//!
//! A provider returns, per service and calendar quarter, its staff in aggregate (no names): the
//! headcount and full-time equivalent by role, vacancies, starters and leavers over the last 12
//! months (so the vacancy rate and turnover are computed, never typed, as Skills for Care
//! computes them), staff on zero-hours and guaranteed-hours contracts, agency hours, the lowest
//! hourly rate paid to care workers, occupational sick pay, qualification shares (level 2 and
//! level 3 under the RQF or the QCF it replaced in 2017: both accepted), medication training and
//! whether its Adult Social Care Workforce Data Set (ASC-WDS) return is complete.
//!
//! The market's figures are pooled over the returns of a quarter, and the zero-hours share is
//! also shown as `004` states it: "the average percentage of staff per provider on zero hours
//! contracts" (a mean of each provider's share), beside the pooled share.

use crate::{Date, FieldError, FieldErrors};
use serde::Serialize;
use std::collections::BTreeMap;

mod charter;
pub use charter::*;

/// A calendar quarter, the period of a workforce return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Quarter {
    pub year: i16,
    /// 1 (January to March) to 4 (October to December).
    pub q: i8,
}

const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

impl Quarter {
    pub fn of(d: Date) -> Quarter {
        Quarter { year: d.year(), q: (d.month() - 1) / 3 + 1 }
    }
    pub fn first_day(self) -> Date {
        jiff::civil::date(self.year, (self.q - 1) * 3 + 1, 1)
    }
    pub fn last_day(self) -> Date {
        jiff::civil::date(self.year, self.q * 3, 1).last_of_month()
    }
    pub fn previous(self) -> Quarter {
        if self.q == 1 { Quarter { year: self.year - 1, q: 4 } } else { Quarter { year: self.year, q: self.q - 1 } }
    }
    /// "2025-Q2", as addresses and files write it.
    pub fn code(self) -> String {
        format!("{:04}-Q{}", self.year, self.q)
    }
    /// "April to June 2025".
    pub fn label(self) -> String {
        let first = ((self.q - 1) * 3) as usize;
        format!("{} to {} {}", MONTHS[first], MONTHS[first + 2], self.year)
    }
    /// The quarter's last month as monthly returns write it ("2025-06"): a workforce return is
    /// the position at the quarter's end.
    pub fn last_month(self) -> String {
        format!("{:04}-{:02}", self.year, self.q * 3)
    }
    /// "2025-Q2" (or "2025 Q2", "Q2 2025"); not a quarter that has not started by `today`.
    pub fn parse(field: &str, raw: &str, today: Date) -> Result<Quarter, FieldError> {
        let t = raw.trim().to_ascii_uppercase();
        if t.is_empty() {
            return Err(FieldError::new(field, "Enter the quarter, like 2025-Q2"));
        }
        let bad = || FieldError::new(field, format!("'{}' is not a quarter: write it like 2025-Q2", raw.trim()));
        let compact: String = t.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let (y, q) = if let Some(rest) = compact.strip_prefix('Q') {
            let (q, y) = rest.split_at(rest.len().min(1));
            (y.to_string(), q.to_string())
        } else if let Some((y, q)) = compact.split_once('Q') {
            (y.to_string(), q.to_string())
        } else {
            return Err(bad());
        };
        let (Ok(year), Ok(q)) = (y.parse::<i16>(), q.parse::<i8>()) else { return Err(bad()) };
        if !(2000..=2100).contains(&year) || !(1..=4).contains(&q) {
            return Err(bad());
        }
        let p = Quarter { year, q };
        if p.first_day() > today {
            return Err(FieldError::new(field, format!("{} is in the future: a return is for a quarter that has started", p.label())));
        }
        Ok(p)
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code())
    }
}

/// The qualification framework a provider reports levels under: RQF replaced QCF in 2017, and
/// both are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Framework {
    Rqf,
    Qcf,
}

impl Framework {
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Rqf => "rqf",
            Framework::Qcf => "qcf",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Framework::Rqf => "RQF",
            Framework::Qcf => "QCF",
        }
    }
    pub fn parse(s: &str) -> Option<Framework> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rqf" => Some(Framework::Rqf),
            "qcf" => Some(Framework::Qcf),
            _ => None,
        }
    }
}

/// One service's workforce return for a quarter, checked. Counts are people; `*_fte` are
/// hundredths of a full-time equivalent; percentages are tenths of a percent (0 to 1000).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkforceReturn {
    pub period: Quarter,
    pub care_workers: i64,
    pub nurses: i64,
    pub managers: i64,
    pub other_staff: i64,
    pub care_workers_fte: i64,
    pub nurses_fte: i64,
    pub managers_fte: i64,
    pub other_staff_fte: i64,
    pub vacancies: i64,
    /// Starters and leavers in the 12 months to the quarter's end.
    pub starters: i64,
    pub leavers: i64,
    pub zero_hours_staff: i64,
    pub guaranteed_hours_staff: i64,
    /// Agency staff hours worked in the quarter.
    pub agency_hours: i64,
    /// The lowest hourly rate paid to any care worker, in pence.
    pub lowest_hourly_pay_pence: i64,
    pub sick_pay: bool,
    pub care_certificate_permille: i64,
    pub level2_permille: i64,
    pub level3_permille: i64,
    pub qualification_framework: Framework,
    pub medication_training_permille: i64,
    pub asc_wds_complete: bool,
}

impl WorkforceReturn {
    /// Everyone employed at the service (all roles).
    pub fn staff(&self) -> i64 {
        self.care_workers + self.nurses + self.managers + self.other_staff
    }
    pub fn fte(&self) -> i64 {
        self.care_workers_fte + self.nurses_fte + self.managers_fte + self.other_staff_fte
    }
    /// Vacancies as a share of all posts (staff plus vacancies), as Skills for Care computes it.
    pub fn vacancy_rate(&self) -> Option<i64> {
        permille(self.vacancies, self.staff() + self.vacancies)
    }
    /// Leavers in the last 12 months as a share of staff.
    pub fn turnover(&self) -> Option<i64> {
        permille(self.leavers, self.staff())
    }
    pub fn zero_hours_share(&self) -> Option<i64> {
        permille(self.zero_hours_staff, self.staff())
    }
}

/// The form's and the file's fields, in the order the form shows them, with their labels (for
/// messages) and what kind of value each takes.
pub const FIELDS: [(&str, &str); 23] = [
    ("care_workers", "Care workers"),
    ("nurses", "Nurses"),
    ("managers", "Managers"),
    ("other_staff", "Other staff"),
    ("care_workers_fte", "Care workers (full-time equivalent)"),
    ("nurses_fte", "Nurses (full-time equivalent)"),
    ("managers_fte", "Managers (full-time equivalent)"),
    ("other_staff_fte", "Other staff (full-time equivalent)"),
    ("vacancies", "Vacancies"),
    ("starters", "Starters in the last 12 months"),
    ("leavers", "Leavers in the last 12 months"),
    ("zero_hours_staff", "Staff on zero-hours contracts"),
    ("guaranteed_hours_staff", "Staff on guaranteed-hours contracts"),
    ("agency_hours", "Agency hours in the quarter"),
    ("lowest_hourly_pay", "Lowest hourly pay to care workers"),
    ("sick_pay", "Occupational sick pay"),
    ("care_certificate_percent", "Care Certificate"),
    ("level2_percent", "Level 2 qualification"),
    ("level3_percent", "Level 3 qualification"),
    ("qualification_framework", "Qualification framework"),
    ("medication_training_percent", "Medication training"),
    ("asc_wds_complete", "ASC-WDS return complete"),
    ("period", "Quarter"),
];

/// The label of a field, for messages.
pub fn field_label(name: &str) -> &'static str {
    FIELDS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l).unwrap_or("This field")
}

/// A return as typed (a form, a CSV row or a JSON body): field name to raw text.
pub type Draft = BTreeMap<String, String>;

fn count(d: &Draft, name: &str) -> Result<i64, FieldError> {
    let label = field_label(name);
    let raw = d.get(name).map(|s| s.trim()).unwrap_or("");
    if raw.is_empty() {
        return Err(FieldError::new(name, format!("Enter {} (0 if none)", label.to_lowercase())));
    }
    let v: i64 = raw.replace(',', "").parse().map_err(|_| FieldError::new(name, format!("{label} must be a whole number, like 12")))?;
    if v < 0 {
        return Err(FieldError::new(name, format!("{label} cannot be negative")));
    }
    if v > 1_000_000 {
        return Err(FieldError::new(name, format!("{label} must be 1,000,000 or fewer")));
    }
    Ok(v)
}

/// A decimal with up to `places` places as an integer of that scale ("12.5", 2 → 1250). `Err`
/// holds what was wrong, `Ok(None)` a blank.
fn decimal(raw: &str, places: u32) -> Result<Option<i64>, ()> {
    let t = raw.trim().trim_start_matches('£').trim_end_matches('%').trim().replace(',', "");
    if t.is_empty() {
        return Ok(None);
    }
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, t),
    };
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > places as usize {
        return Err(());
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) || whole.len() > 9 {
        return Err(());
    }
    let scale = 10i64.pow(places);
    let w: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| ())? };
    let f: i64 = if frac.is_empty() { 0 } else { frac.parse::<i64>().map_err(|_| ())? * 10i64.pow(places - frac.len() as u32) };
    let v = w * scale + f;
    Ok(Some(if neg { -v } else { v }))
}

fn fte(d: &Draft, name: &str) -> Result<i64, FieldError> {
    let label = field_label(name);
    match decimal(d.get(name).map(String::as_str).unwrap_or(""), 2) {
        Ok(Some(v)) if v < 0 => Err(FieldError::new(name, format!("{label} cannot be negative"))),
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(FieldError::new(name, format!("Enter {} (0 if none)", label.to_lowercase()))),
        Err(()) => Err(FieldError::new(name, format!("{label} must be a number with up to 2 decimal places, like 12.5"))),
    }
}

fn percent(d: &Draft, name: &str) -> Result<i64, FieldError> {
    let label = field_label(name);
    match decimal(d.get(name).map(String::as_str).unwrap_or(""), 1) {
        Ok(Some(v)) if v < 0 => Err(FieldError::new(name, format!("{label} cannot be a negative percentage"))),
        Ok(Some(v)) if v > 1000 => Err(FieldError::new(name, format!("{label} cannot be more than 100%"))),
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(FieldError::new(name, format!("Enter the percentage of staff with {} (0 if none)", label.to_lowercase()))),
        Err(()) => Err(FieldError::new(name, format!("{label} must be a percentage, like 62 or 62.5"))),
    }
}

fn yes_no(d: &Draft, name: &str) -> Result<bool, FieldError> {
    match d.get(name).map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("yes" | "y" | "true" | "1") => Ok(true),
        Some("no" | "n" | "false" | "0") => Ok(false),
        Some("") | None => Err(FieldError::new(name, format!("Say whether: {}", field_label(name).to_lowercase()))),
        Some(_) => Err(FieldError::new(name, format!("{} must be yes or no", field_label(name)))),
    }
}

/// Check a typed return: every problem, each naming its field. Leavers may not exceed staff,
/// nor zero-hours and guaranteed-hours staff together; counts may not be negative, percentages
/// not over 100, the pay rate not below zero, the quarter not in the future.
pub fn check_return(d: &Draft, today: Date) -> Result<WorkforceReturn, FieldErrors> {
    let mut e = FieldErrors::new();
    let period = e.check(Quarter::parse("period", d.get("period").map(String::as_str).unwrap_or(""), today));
    let mut c = |name: &str| e.check(count(d, name));
    let (care_workers, nurses, managers, other_staff) = (c("care_workers"), c("nurses"), c("managers"), c("other_staff"));
    let mut f = |name: &str| e.check(fte(d, name));
    let (care_workers_fte, nurses_fte, managers_fte, other_staff_fte) =
        (f("care_workers_fte"), f("nurses_fte"), f("managers_fte"), f("other_staff_fte"));
    let mut c = |name: &str| e.check(count(d, name));
    let (vacancies, starters, leavers, zero_hours_staff, guaranteed_hours_staff, agency_hours) =
        (c("vacancies"), c("starters"), c("leavers"), c("zero_hours_staff"), c("guaranteed_hours_staff"), c("agency_hours"));
    let pay = match decimal(d.get("lowest_hourly_pay").map(String::as_str).unwrap_or(""), 2) {
        Ok(Some(v)) if v < 0 => {
            e.add("lowest_hourly_pay", "Lowest hourly pay to care workers cannot be below zero");
            None
        }
        Ok(Some(v)) if v > 100_000 => {
            e.add("lowest_hourly_pay", "Lowest hourly pay to care workers must be an hourly rate, like 12.60");
            None
        }
        Ok(Some(v)) => Some(v),
        Ok(None) => {
            e.add("lowest_hourly_pay", "Enter the lowest hourly pay to care workers, like 12.60");
            None
        }
        Err(()) => {
            e.add("lowest_hourly_pay", "Lowest hourly pay to care workers must be in pounds and pence, like 12.60");
            None
        }
    };
    let sick_pay = e.check(yes_no(d, "sick_pay"));
    let mut p = |name: &str| e.check(percent(d, name));
    let (cc, l2, l3) = (p("care_certificate_percent"), p("level2_percent"), p("level3_percent"));
    let framework = match d.get("qualification_framework").map(|s| s.trim()).unwrap_or("") {
        "" => {
            e.add("qualification_framework", "Say whether levels are under the RQF or the QCF");
            None
        }
        s => match Framework::parse(s) {
            Some(f) => Some(f),
            None => {
                e.add("qualification_framework", format!("Qualification framework '{s}' must be RQF or QCF"));
                None
            }
        },
    };
    let med = e.check(percent(d, "medication_training_percent"));
    let asc = e.check(yes_no(d, "asc_wds_complete"));
    if let (Some(a), Some(b), Some(c2), Some(d2)) = (care_workers, nurses, managers, other_staff) {
        let staff = a + b + c2 + d2;
        if staff == 0 {
            e.add("care_workers", "A return needs at least one member of staff");
        }
        if let Some(l) = leavers
            && l > staff
        {
            e.add("leavers", format!("Leavers in the last 12 months ({l}) cannot be more than staff ({staff}): count people who left"));
        }
        if let (Some(z), Some(g)) = (zero_hours_staff, guaranteed_hours_staff) {
            if z > staff {
                e.add("zero_hours_staff", format!("Staff on zero-hours contracts ({z}) cannot be more than staff ({staff})"));
            } else if z + g > staff {
                e.add(
                    "guaranteed_hours_staff",
                    format!("Staff on zero-hours ({z}) and guaranteed-hours ({g}) contracts together cannot be more than staff ({staff})"),
                );
            }
        }
    }
    let (
        Some(period),
        Some(care_workers),
        Some(nurses),
        Some(managers),
        Some(other_staff),
        Some(care_workers_fte),
        Some(nurses_fte),
        Some(managers_fte),
        Some(other_staff_fte),
    ) = (period, care_workers, nurses, managers, other_staff, care_workers_fte, nurses_fte, managers_fte, other_staff_fte)
    else {
        return Err(e);
    };
    let (
        Some(vacancies),
        Some(starters),
        Some(leavers),
        Some(zero_hours_staff),
        Some(guaranteed_hours_staff),
        Some(agency_hours),
        Some(lowest_hourly_pay_pence),
        Some(sick_pay),
    ) = (vacancies, starters, leavers, zero_hours_staff, guaranteed_hours_staff, agency_hours, pay, sick_pay)
    else {
        return Err(e);
    };
    let (Some(care_certificate_permille), Some(level2_permille), Some(level3_permille), Some(qualification_framework), Some(m), Some(a)) =
        (cc, l2, l3, framework, med, asc)
    else {
        return Err(e);
    };
    e.into_result(WorkforceReturn {
        period,
        care_workers,
        nurses,
        managers,
        other_staff,
        care_workers_fte,
        nurses_fte,
        managers_fte,
        other_staff_fte,
        vacancies,
        starters,
        leavers,
        zero_hours_staff,
        guaranteed_hours_staff,
        agency_hours,
        lowest_hourly_pay_pence,
        sick_pay,
        care_certificate_permille,
        level2_permille,
        level3_permille,
        qualification_framework,
        medication_training_permille: m,
        asc_wds_complete: a,
    })
}

/// A checked return as the form's fields again (for editing, the API and tests).
pub fn to_draft(r: &WorkforceReturn) -> Draft {
    let dec = |v: i64, places: u32| {
        let s = 10i64.pow(places);
        format!("{}.{:0width$}", v / s, v % s, width = places as usize)
    };
    let yn = |b: bool| if b { "yes" } else { "no" }.to_string();
    let mut d = Draft::new();
    d.insert("period".into(), r.period.code());
    for (k, v) in [
        ("care_workers", r.care_workers),
        ("nurses", r.nurses),
        ("managers", r.managers),
        ("other_staff", r.other_staff),
        ("vacancies", r.vacancies),
        ("starters", r.starters),
        ("leavers", r.leavers),
        ("zero_hours_staff", r.zero_hours_staff),
        ("guaranteed_hours_staff", r.guaranteed_hours_staff),
        ("agency_hours", r.agency_hours),
    ] {
        d.insert(k.into(), v.to_string());
    }
    for (k, v) in [
        ("care_workers_fte", r.care_workers_fte),
        ("nurses_fte", r.nurses_fte),
        ("managers_fte", r.managers_fte),
        ("other_staff_fte", r.other_staff_fte),
        ("lowest_hourly_pay", r.lowest_hourly_pay_pence),
    ] {
        d.insert(k.into(), dec(v, 2));
    }
    for (k, v) in [
        ("care_certificate_percent", r.care_certificate_permille),
        ("level2_percent", r.level2_permille),
        ("level3_percent", r.level3_permille),
        ("medication_training_percent", r.medication_training_permille),
    ] {
        d.insert(k.into(), dec(v, 1));
    }
    d.insert("sick_pay".into(), yn(r.sick_pay));
    d.insert("asc_wds_complete".into(), yn(r.asc_wds_complete));
    d.insert("qualification_framework".into(), r.qualification_framework.label().to_string());
    d
}

/// `part` of `whole` in tenths of a percent, rounded half up; `None` when `whole` is 0.
pub fn permille(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (part * 1000 + whole / 2) / whole)
}

/// Tenths of a percent as the pages print them: "75.2%".
pub fn percent_text(p: i64) -> String {
    format!("{}.{}%", p / 10, p % 10)
}

/// Hundredths as "12.5" (full-time equivalents).
pub fn hundredths_text(v: i64) -> String {
    let s = format!("{}.{:02}", v / 100, v % 100);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A Living Wage Foundation rate (the real Living Wage, not the statutory National Living
/// Wage): announced each autumn, employers accredited by the Foundation pay it by 1 May after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LivingWageRate {
    /// "2024/25".
    pub year: String,
    /// Outside London, pence an hour.
    pub pence: i64,
    pub london_pence: i64,
    pub announced_on: Date,
    /// When employers pay it by (the 1 May after the announcement).
    pub applies_from: Date,
}

/// A year's real Living Wage rates as a commissioner types them, each autumn when the Foundation
/// announces them: the year ("2026/27"), the rates in pounds, the day announced and the day
/// employers pay them by. Every problem at once, by field.
pub fn check_living_wage_rate(
    year: &str,
    rate: &str,
    london: &str,
    announced_on: Option<Date>,
    applies_from: Option<Date>,
) -> Result<LivingWageRate, FieldErrors> {
    let mut errors = Vec::new();
    let year = year.trim();
    let year_ok = year
        .split_once('/')
        .and_then(|(a, b)| Some((a.parse::<i32>().ok()?, b.parse::<i32>().ok()?, a.len(), b.len())))
        .is_some_and(|(a, b, la, lb)| la == 4 && lb == 2 && (2000..=2099).contains(&a) && b == (a + 1) % 100);
    if year.is_empty() {
        errors.push(FieldError::new("year", "Enter the year the rate is for, like 2026/27"));
    } else if !year_ok {
        errors.push(FieldError::new("year", "The year must be written like 2026/27: the first year and the next"));
    }
    let pence = crate::fees::parse_pounds("rate", "rate outside London", rate).map_err(|e| errors.push(e)).ok();
    let london_pence = crate::fees::parse_pounds("london_rate", "London rate", london).map_err(|e| errors.push(e)).ok();
    if let (Some(p), Some(l)) = (pence, london_pence)
        && l < p
    {
        errors.push(FieldError::new("london_rate", "The London rate cannot be lower than the rate outside London"));
    }
    if announced_on.is_none() {
        errors.push(FieldError::new("announced_on", "Enter the date the rate was announced"));
    }
    if applies_from.is_none() {
        errors.push(FieldError::new("applies_from", "Enter the date employers pay it from"));
    }
    if let (Some(a), Some(f)) = (announced_on, applies_from)
        && f <= a
    {
        errors.push(FieldError::new("applies_from", "The date employers pay it from must be after the date it was announced"));
    }
    match (errors.is_empty(), pence, london_pence, announced_on, applies_from) {
        (true, Some(pence), Some(london_pence), Some(announced_on), Some(applies_from)) => {
            Ok(LivingWageRate { year: year.to_string(), pence, london_pence, announced_on, applies_from })
        }
        _ => Err(FieldErrors(errors)),
    }
}

/// The rate a return for `period` is checked against: the newest that applied by the quarter's
/// last day.
pub fn living_wage_for(rates: &[LivingWageRate], period: Quarter) -> Option<&LivingWageRate> {
    rates.iter().filter(|r| r.applies_from <= period.last_day()).max_by_key(|r| r.applies_from)
}

/// A return with the service and provider it is for, as the market's figures read it.
#[derive(Debug, Clone, Serialize)]
pub struct ReturnFacts {
    pub id: String,
    pub provider_id: String,
    pub service_id: String,
    pub r: WorkforceReturn,
}

/// The figures of a set of returns (one quarter, one market or all).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub returns: usize,
    pub providers: usize,
    pub staff: i64,
    pub care_workers: i64,
    pub nurses: i64,
    pub managers: i64,
    pub other_staff: i64,
    /// Hundredths.
    pub fte: i64,
    pub vacancies: i64,
    pub leavers: i64,
    pub starters: i64,
    pub vacancy_rate: Option<i64>,
    pub turnover: Option<i64>,
    pub zero_hours_staff: i64,
    pub guaranteed_hours_staff: i64,
    /// All returns' zero-hours staff over all their staff.
    pub zero_hours_pooled: Option<i64>,
    /// The mean of each provider's share (its returns pooled), as `004` states it.
    pub zero_hours_mean: Option<i64>,
    pub agency_hours: i64,
    /// Returns whose lowest care worker pay is below the real Living Wage for their quarter,
    /// and those services' care workers.
    pub below_living_wage_returns: usize,
    pub below_living_wage_care_workers: i64,
    pub living_wage_unknown_returns: usize,
    pub sick_pay_returns: usize,
    /// Each qualification's share of staff, weighting each return's percentage by its staff.
    pub care_certificate: Option<i64>,
    pub level2: Option<i64>,
    pub level3: Option<i64>,
    pub medication_training: Option<i64>,
    pub asc_wds_complete_returns: usize,
    pub asc_wds_complete: Option<i64>,
}

fn weighted(rs: &[&ReturnFacts], f: impl Fn(&WorkforceReturn) -> i64) -> Option<i64> {
    let staff: i64 = rs.iter().map(|x| x.r.staff()).sum();
    let held: i64 = rs.iter().map(|x| f(&x.r) * x.r.staff()).sum();
    // held is in tenths of a percent times staff: a share in tenths of a percent.
    (staff > 0).then(|| (held + staff / 2) / staff)
}

/// The figures of `returns`, each checked against the real Living Wage of its quarter.
pub fn figures(returns: &[&ReturnFacts], rates: &[LivingWageRate]) -> Figures {
    let mut f = Figures { returns: returns.len(), ..Default::default() };
    let mut by_provider: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for x in returns {
        let r = &x.r;
        f.staff += r.staff();
        f.care_workers += r.care_workers;
        f.nurses += r.nurses;
        f.managers += r.managers;
        f.other_staff += r.other_staff;
        f.fte += r.fte();
        f.vacancies += r.vacancies;
        f.leavers += r.leavers;
        f.starters += r.starters;
        f.zero_hours_staff += r.zero_hours_staff;
        f.guaranteed_hours_staff += r.guaranteed_hours_staff;
        f.agency_hours += r.agency_hours;
        match living_wage_for(rates, r.period) {
            Some(rate) if r.lowest_hourly_pay_pence < rate.pence => {
                f.below_living_wage_returns += 1;
                f.below_living_wage_care_workers += r.care_workers;
            }
            Some(_) => {}
            None => f.living_wage_unknown_returns += 1,
        }
        if r.sick_pay {
            f.sick_pay_returns += 1;
        }
        if r.asc_wds_complete {
            f.asc_wds_complete_returns += 1;
        }
        let p = by_provider.entry(&x.provider_id).or_default();
        p.0 += r.zero_hours_staff;
        p.1 += r.staff();
    }
    f.providers = by_provider.len();
    f.vacancy_rate = permille(f.vacancies, f.staff + f.vacancies);
    f.turnover = permille(f.leavers, f.staff);
    f.zero_hours_pooled = permille(f.zero_hours_staff, f.staff);
    f.zero_hours_mean = mean_share(by_provider.values().copied());
    f.care_certificate = weighted(returns, |r| r.care_certificate_permille);
    f.level2 = weighted(returns, |r| r.level2_permille);
    f.level3 = weighted(returns, |r| r.level3_permille);
    f.medication_training = weighted(returns, |r| r.medication_training_permille);
    f.asc_wds_complete = permille(f.asc_wds_complete_returns as i64, f.returns as i64);
    f
}

/// The mean of shares (part, whole) in tenths of a percent, rounded half up, over those with a
/// whole. Each share is taken to twelve decimal places (integer arithmetic, no floating point)
/// before the one rounding, so the result is exact unless the true mean lies within a billionth
/// of a half-tenth.
pub fn mean_share(shares: impl IntoIterator<Item = (i64, i64)>) -> Option<i64> {
    const SCALE: i128 = 1_000_000_000_000;
    let (mut sum, mut n) = (0i128, 0i128);
    for (p, w) in shares.into_iter().filter(|(_, w)| *w > 0) {
        sum += i128::from(p) * SCALE / i128::from(w);
        n += 1;
    }
    if n == 0 {
        return None;
    }
    // sum / n is the mean share scaled by 10^12; tenths of a percent are 10^9 of that.
    let unit = n * SCALE / 1000;
    i64::try_from((sum * 2 + unit) / (unit * 2)).ok()
}

#[cfg(test)]
mod tests;

/// A market-level figure of the workforce's profile, as Skills for Care publishes it (`004`:
/// "an average age of 43 ... 40% white and 60% from black and ethnic minority communities. 79% of
/// staff were female ... 44% of staff are recruited from within the sector"). Entered by the
/// commissioner with its source: providers' returns do not carry it (no personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ProfileMeasure {
    AverageAge,
    Female,
    Male,
    White,
    EthnicMinority,
    WithinSector,
}

impl ProfileMeasure {
    pub const ALL: [ProfileMeasure; 6] = [
        ProfileMeasure::AverageAge,
        ProfileMeasure::Female,
        ProfileMeasure::Male,
        ProfileMeasure::White,
        ProfileMeasure::EthnicMinority,
        ProfileMeasure::WithinSector,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileMeasure::AverageAge => "average_age",
            ProfileMeasure::Female => "female",
            ProfileMeasure::Male => "male",
            ProfileMeasure::White => "white",
            ProfileMeasure::EthnicMinority => "ethnic_minority",
            ProfileMeasure::WithinSector => "within_sector",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ProfileMeasure::AverageAge => "Average age",
            ProfileMeasure::Female => "Female",
            ProfileMeasure::Male => "Male",
            ProfileMeasure::White => "White",
            ProfileMeasure::EthnicMinority => "From black and minority ethnic communities",
            ProfileMeasure::WithinSector => "Recruited from within the sector",
        }
    }
    pub fn parse(s: &str) -> Option<ProfileMeasure> {
        ProfileMeasure::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }
    /// A value in tenths (of a year, or of a percent) as the pages print it.
    pub fn text(self, tenths: i64) -> String {
        match self {
            ProfileMeasure::AverageAge => format!("{}.{} years", tenths / 10, tenths % 10).replace(".0 years", " years"),
            _ => percent_text(tenths).replace(".0%", "%"),
        }
    }
}

/// A profile figure as typed, checked: the measure, the value in tenths, the source.
pub fn check_profile(measure: &str, value: &str, source: &str) -> Result<(ProfileMeasure, i64, String), FieldErrors> {
    let mut e = FieldErrors::new();
    let m = ProfileMeasure::parse(measure);
    if m.is_none() {
        e.add("measure", "Choose what the figure measures");
    }
    let v = match decimal(value, 1) {
        Ok(Some(v)) if v < 0 => {
            e.add("value", "The figure cannot be negative");
            None
        }
        Ok(Some(v)) if m != Some(ProfileMeasure::AverageAge) && v > 1000 => {
            e.add("value", "A percentage cannot be more than 100%");
            None
        }
        Ok(Some(v)) if m == Some(ProfileMeasure::AverageAge) && !(160..=800).contains(&v) => {
            e.add("value", "An average age must be between 16 and 80");
            None
        }
        Ok(Some(v)) => Some(v),
        Ok(None) => {
            e.add("value", "Enter the figure, like 43 or 79.5");
            None
        }
        Err(()) => {
            e.add("value", "The figure must be a number with up to one decimal place, like 79.5");
            None
        }
    };
    let source = source.trim();
    if source.is_empty() {
        e.add("source", "Enter where the figure comes from, like Skills for Care, 2021/22");
    } else if source.chars().count() > 500 {
        e.add("source", "The source must be 500 characters or fewer");
    }
    match (m, v) {
        (Some(m), Some(v)) if e.is_empty() => Ok((m, v, source.to_string())),
        _ => Err(e),
    }
}
