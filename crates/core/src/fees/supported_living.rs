//! Supported living actuals (issue 11 item 5; domain C7; seed `000`: "verify commissioned hours
//! against 'actuals' in supported living ... challenge providers on support hours submitted;
//! resolve complex payment queries and historical reconciliations ... Track TUPE premium
//! payments").
//!
//! - Commissioned hours are the council's record: a person's weekly hours with a provider, by
//!   case reference (never a name), versioned like rates (a change is a new version from a date;
//!   0 hours a week ends the commission). A month's commissioned minutes are the sum over its
//!   days of the weekly minutes in force that day, divided by 7, rounded to the nearest minute.
//! - Providers return delivered hours per person and calendar month. The variance is delivered
//!   less commissioned (minutes), as a percentage of the commissioned, and in pounds at the
//!   provider's supported living hourly rate in force on the month's first day (the person's
//!   rate category: community or discounted), rounded to the penny (halves away from zero).
//! - A provider's month is flagged when its variance is more than the threshold (a setting, per
//!   cent of the commissioned hours), either way; delivered hours with nothing commissioned are
//!   always flagged.
//! - A flagged month is challenged: queried → explained (by the provider) → accepted, or
//!   recovered (an amount) → closed. The council may ask again after an explanation.
//! - One-off payments and historical reconciliations are recorded against the provider.

use super::rates::{RateCategory, RateVersion, paid_on};
use crate::direct_payments::{normalise_person_ref, valid_person_ref};
use crate::quality::RowProblem;
use crate::register::ServiceKind;
use crate::{Date, FieldError, FieldErrors};
use serde::Serialize;

/// The setting that holds the threshold, in basis points of the commissioned hours.
pub const THRESHOLD_SETTING: &str = "supported_living_variance_threshold_bp";
/// The threshold when the setting is absent: 10%.
pub const DEFAULT_THRESHOLD_BP: i64 = 1000;
/// The most hours a person may be commissioned a week (every hour of it).
pub const MAX_WEEKLY_MINUTES: i64 = 168 * 60;
/// The rate categories a commission may be paid at.
pub const RATE_CATEGORIES: [RateCategory; 3] = [RateCategory::CommunityHourly, RateCategory::DiscountedHourly, RateCategory::Hourly];
/// The CSV columns of a return upload (`provider_id` only in the council's upload).
pub const CSV_COLUMNS: [&str; 4] = ["provider_id", "period", "case_reference", "delivered_hours"];
/// Longest note kept.
pub const MAX_NOTE_LEN: usize = 2000;
const CASE_REF_MESSAGE: &str =
    "Enter the person's case reference (letters, numbers, - or /, up to 20 characters, with at least one number), not their name";

/// A calendar month, the period a return covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Period {
    pub year: i16,
    pub month: i8,
}

impl Period {
    pub fn of(d: Date) -> Period {
        Period { year: d.year(), month: d.month() }
    }
    pub fn first_day(self) -> Date {
        jiff::civil::date(self.year, self.month, 1)
    }
    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }
    pub fn days(self) -> i64 {
        i64::from(self.first_day().days_in_month())
    }
    pub fn previous(self) -> Period {
        if self.month == 1 { Period { year: self.year - 1, month: 12 } } else { Period { year: self.year, month: self.month - 1 } }
    }
    /// "2025-04", as addresses and files write it.
    pub fn code(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
    /// "April 2025".
    pub fn label(self) -> String {
        const MONTHS: [&str; 12] =
            ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
        format!("{} {}", MONTHS[(self.month as usize).saturating_sub(1).min(11)], self.year)
    }
    /// A month as "2025-04" (or "04/2025"), not after the month of `today` (a return is for
    /// hours already delivered).
    pub fn parse(field: &str, raw: &str, today: Date) -> Result<Period, FieldError> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(FieldError::new(field, "Enter the month, like 2025-04"));
        }
        let bad = || FieldError::new(field, format!("'{t}' is not a month: write it like 2025-04"));
        let (y, m) = match (t.split_once('-'), t.split_once('/')) {
            (Some((y, m)), _) => (y, m),
            (None, Some((m, y))) => (y, m),
            _ => return Err(bad()),
        };
        let (Ok(year), Ok(month)) = (y.trim().parse::<i16>(), m.trim().parse::<i8>()) else { return Err(bad()) };
        if !(2000..=2100).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        let p = Period { year, month };
        if p > Period::of(today) {
            return Err(FieldError::new(field, format!("{} is in the future: a return is for hours already delivered", p.label())));
        }
        Ok(p)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code())
    }
}

/// Hours typed as "12", "12.5", "12.25" or "12:30" as whole minutes: not negative, at most
/// `max_minutes`, and a whole number of minutes (so 12.1 is 12:06 but 12.01 is refused).
pub fn parse_hours(field: &str, what: &str, raw: &str, max_minutes: i64) -> Result<i64, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, format!("Enter the {what}, 0 if none")));
    }
    let bad = || FieldError::new(field, format!("The {what} must be hours, like 12.5 or 12:30"));
    if t.starts_with('-') {
        return Err(FieldError::new(field, format!("The {what} cannot be negative")));
    }
    let digits = |s: &str| !s.is_empty() && s.len() <= 6 && s.chars().all(|c| c.is_ascii_digit());
    let minutes = if let Some((h, m)) = t.split_once(':') {
        if !digits(h) || !digits(m) || m.len() != 2 {
            return Err(bad());
        }
        let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if m >= 60 {
            return Err(bad());
        }
        h * 60 + m
    } else {
        let (w, f) = t.split_once('.').unwrap_or((t, ""));
        if !(digits(w) || (w.is_empty() && !f.is_empty())) || !(f.is_empty() || digits(f)) || f.len() > 2 {
            return Err(bad());
        }
        let whole: i64 = if w.is_empty() { 0 } else { w.parse().map_err(|_| bad())? };
        let hundredths: i64 = match f.len() {
            0 => 0,
            1 => f.parse::<i64>().map_err(|_| bad())? * 10,
            _ => f.parse().map_err(|_| bad())?,
        };
        // Hundredths of an hour are whole minutes only in steps of 5 (0.05 h = 3 minutes).
        if (hundredths * 60) % 100 != 0 {
            return Err(FieldError::new(
                field,
                format!("The {what} must be a whole number of minutes: write {t} as hours:minutes, like 12:30"),
            ));
        }
        whole * 60 + hundredths * 60 / 100
    };
    if minutes > max_minutes {
        return Err(FieldError::new(field, format!("The {what} must be {} or fewer", hours_text(max_minutes))));
    }
    Ok(minutes)
}

/// Minutes as a person reads hours: "12h 30m", "-3h 05m", "0h 00m".
pub fn hours_text(minutes: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let m = minutes.abs();
    format!("{sign}{}h {:02}m", m / 60, m % 60)
}

/// Minutes as hours a form shows back: "12:30".
pub fn hours_input(minutes: i64) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// `n / d` rounded to the nearest whole number, halves away from zero (`d` > 0).
fn div_round(n: i64, d: i64) -> i64 {
    if n >= 0 { (n + d / 2) / d } else { -((-n + d / 2) / d) }
}

/// One version of a person's commission with a provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commission {
    pub id: String,
    pub provider_id: String,
    pub case_ref: String,
    pub weekly_minutes: i64,
    pub rate_category: RateCategory,
    pub effective_from: Date,
}

/// The weekly minutes commissioned for a person on a day: the version with the latest date not
/// after it (0 before the first).
pub fn weekly_on<'a>(versions: &[&'a Commission], on: Date) -> Option<&'a Commission> {
    versions.iter().copied().filter(|c| c.effective_from <= on).max_by_key(|c| c.effective_from)
}

/// A person's commissioned minutes in a month: the weekly minutes in force each day, summed,
/// divided by 7, rounded to the nearest minute. `versions` are one person's with one provider.
pub fn commissioned_minutes(versions: &[&Commission], period: Period) -> i64 {
    let mut total = 0;
    let mut d = period.first_day();
    while d <= period.last_day() {
        total += weekly_on(versions, d).map(|c| c.weekly_minutes).unwrap_or(0);
        match d.tomorrow() {
            Ok(n) => d = n,
            Err(_) => break,
        }
    }
    div_round(total, 7)
}

/// A commission as an officer types it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommissionDraft {
    pub provider_id: Option<String>,
    pub case_ref: String,
    pub weekly_hours: String,
    pub rate_category: Option<RateCategory>,
    pub effective_from: Option<Date>,
}

/// A checked commission, ready to save.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCommission {
    pub provider_id: String,
    pub case_ref: String,
    pub weekly_minutes: i64,
    pub rate_category: RateCategory,
    pub effective_from: Date,
}

impl CommissionDraft {
    /// Every problem, each naming its field: a provider; a case reference (not a name); weekly
    /// hours from 0 (ends the commission) to 168; a supported living hourly rate category; the
    /// date it takes effect, not a second version of the person's commission from the same date.
    pub fn check(&self, existing: &[Commission]) -> Result<NewCommission, FieldErrors> {
        let mut e = FieldErrors::new();
        let provider_id = self.provider_id.clone().filter(|p| !p.trim().is_empty());
        if provider_id.is_none() {
            e.add("provider_id", "Choose the provider");
        }
        let case_ref = normalise_person_ref(&self.case_ref);
        if !valid_person_ref(&case_ref) {
            e.add("case_ref", CASE_REF_MESSAGE);
        }
        let minutes = e.check(parse_hours("weekly_hours", "weekly hours", &self.weekly_hours, MAX_WEEKLY_MINUTES));
        let category = self.rate_category.filter(|c| RATE_CATEGORIES.contains(c));
        if category.is_none() {
            e.add("rate_category", "Choose the rate the hours are paid at");
        }
        if self.effective_from.is_none() {
            e.add("effective_from", "Enter the date the hours start");
        }
        let (Some(provider_id), Some(minutes), Some(category), Some(from)) = (provider_id, minutes, category, self.effective_from) else {
            return Err(e);
        };
        if let Some(same) = existing.iter().find(|c| c.provider_id == provider_id && c.case_ref == case_ref && c.effective_from == from) {
            e.add(
                "effective_from",
                format!(
                    "{case_ref} already has {} a week from {}: choose another date (commissions are never overwritten)",
                    hours_text(same.weekly_minutes),
                    super::rates::long_date(from)
                ),
            );
        }
        e.into_result(NewCommission { provider_id, case_ref, weekly_minutes: minutes, rate_category: category, effective_from: from })
    }
}

/// One person's line of a provider's month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonLine {
    pub case_ref: String,
    pub commissioned_minutes: i64,
    /// `None` when the provider's return does not list the person.
    pub delivered_minutes: Option<i64>,
    pub rate_category: RateCategory,
    /// The hourly rate the variance is priced at, when the provider has one.
    pub rate: Option<RateVersion>,
}

impl PersonLine {
    pub fn variance_minutes(&self) -> Option<i64> {
        self.delivered_minutes.map(|d| d - self.commissioned_minutes)
    }
    pub fn variance_pence(&self) -> Option<i64> {
        Some(pounds_for(self.variance_minutes()?, self.rate.as_ref()?.amount_pence))
    }
}

/// Minutes at an hourly rate, in pence, rounded to the penny (halves away from zero).
pub fn pounds_for(minutes: i64, hourly_pence: i64) -> i64 {
    div_round(minutes * hourly_pence, 60)
}

/// A variance as a percentage of the commissioned, in basis points rounded halves away from
/// zero; `None` when nothing was commissioned.
pub fn percent_bp(variance: i64, commissioned: i64) -> Option<i64> {
    (commissioned > 0).then(|| div_round(variance * 10_000, commissioned))
}

/// Basis points as "12.50%", "-3.25%".
pub fn percent_text(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}%", bp.abs() / 100, bp.abs() % 100)
}

/// Whether a variance is over the threshold: its percentage, either way, more than the
/// threshold; or hours delivered where none were commissioned.
pub fn is_flagged(variance: i64, commissioned: i64, threshold_bp: i64) -> bool {
    match percent_bp(variance, commissioned) {
        Some(p) => p.abs() > threshold_bp,
        None => variance != 0,
    }
}

/// A provider's month: every person commissioned in it or on its return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderMonth {
    pub provider_id: String,
    pub period: Period,
    pub lines: Vec<PersonLine>,
    /// Whether the provider's return for the month has been received.
    pub returned: bool,
}

impl ProviderMonth {
    pub fn commissioned_minutes(&self) -> i64 {
        self.lines.iter().map(|l| l.commissioned_minutes).sum()
    }
    /// Delivered minutes, when the return has been received.
    pub fn delivered_minutes(&self) -> Option<i64> {
        self.returned.then(|| self.lines.iter().filter_map(|l| l.delivered_minutes).sum())
    }
    /// Delivered less commissioned (people missing from a return count as 0 delivered).
    pub fn variance_minutes(&self) -> Option<i64> {
        self.delivered_minutes().map(|d| d - self.commissioned_minutes())
    }
    pub fn variance_bp(&self) -> Option<i64> {
        percent_bp(self.variance_minutes()?, self.commissioned_minutes())
    }
    /// The variance in pounds: each person's at their rate, summed; `None` when a line with a
    /// variance has no rate (the page says so).
    pub fn variance_pence(&self) -> Option<i64> {
        if !self.returned {
            return None;
        }
        let mut total = 0;
        for l in &self.lines {
            let v = l.delivered_minutes.unwrap_or(0) - l.commissioned_minutes;
            if v != 0 {
                total += pounds_for(v, l.rate.as_ref()?.amount_pence);
            }
        }
        Some(total)
    }
    pub fn flagged(&self, threshold_bp: i64) -> bool {
        self.variance_minutes().is_some_and(|v| is_flagged(v, self.commissioned_minutes(), threshold_bp))
    }
    /// The rates the month is priced at, once each.
    pub fn rates(&self) -> Vec<&RateVersion> {
        let mut v: Vec<&RateVersion> = Vec::new();
        for r in self.lines.iter().filter_map(|l| l.rate.as_ref()) {
            if !v.iter().any(|x| x.id == r.id) {
                v.push(r);
            }
        }
        v
    }
}

/// The rate a provider is paid for supported living in `category` on `on` (its own, else the
/// council's), from the rate card's history.
pub fn rate_for(versions: &[RateVersion], provider_id: &str, category: RateCategory, on: Date) -> Option<RateVersion> {
    paid_on(versions, provider_id, ServiceKind::SupportedLiving, on)
        .into_iter()
        .find(|p| p.version.line.category == category)
        .map(|p| p.version)
}

/// Build a provider's month from its commissions (any person, any date), its return's lines
/// (case reference, delivered minutes; `None` when not received) and the rate card. A person on
/// the return with nothing commissioned is priced at the community rate.
pub fn provider_month(
    provider_id: &str,
    period: Period,
    commissions: &[Commission],
    returned: Option<&[(String, i64)]>,
    rates: &[RateVersion],
) -> ProviderMonth {
    let mine: Vec<&Commission> = commissions.iter().filter(|c| c.provider_id == provider_id).collect();
    let mut refs: Vec<String> = mine.iter().map(|c| c.case_ref.clone()).collect();
    refs.extend(returned.unwrap_or(&[]).iter().map(|(r, _)| r.clone()));
    refs.sort();
    refs.dedup();
    let first = period.first_day();
    let mut lines = Vec::new();
    for case_ref in refs {
        let versions: Vec<&Commission> = mine.iter().copied().filter(|c| c.case_ref == case_ref).collect();
        let commissioned = commissioned_minutes(&versions, period);
        let delivered = returned.and_then(|r| r.iter().find(|(c, _)| *c == case_ref).map(|(_, m)| *m));
        if commissioned == 0 && delivered.is_none() {
            continue;
        }
        // The category of the latest version in force in the month (or the first after it).
        let category = weekly_on(&versions, period.last_day())
            .or_else(|| versions.iter().copied().min_by_key(|c| c.effective_from))
            .map(|c| c.rate_category)
            .unwrap_or(RateCategory::CommunityHourly);
        lines.push(PersonLine {
            rate: rate_for(rates, provider_id, category, first),
            case_ref,
            commissioned_minutes: commissioned,
            delivered_minutes: delivered,
            rate_category: category,
        });
    }
    ProviderMonth { provider_id: provider_id.to_string(), period, lines, returned: returned.is_some() }
}

/// A return's hours as a provider types them: one box per person.
pub fn check_return_lines(lines: &[(String, String)]) -> Result<Vec<(String, i64)>, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut out: Vec<(String, i64)> = Vec::new();
    for (case_ref, hours) in lines {
        let r = normalise_person_ref(case_ref);
        let field = format!("hours-{r}");
        if !valid_person_ref(&r) {
            e.add(field.clone(), CASE_REF_MESSAGE);
        } else if out.iter().any(|(c, _)| *c == r) {
            e.add(field.clone(), format!("{r} is listed twice"));
        }
        if let Some(m) = e.check(parse_hours(&field, &format!("hours delivered to {r}"), hours, max_month_minutes())) {
            out.push((r, m));
        }
    }
    if lines.is_empty() {
        e.add("lines", "Enter the hours delivered to at least one person");
    }
    e.into_result(out)
}

/// The most hours a person can be delivered in a month (every hour of 31 days).
pub fn max_month_minutes() -> i64 {
    31 * 24 * 60
}

/// One row of a returns CSV as read: the provider (or the problem with it) and what was typed.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    pub row: usize,
    pub provider_id: Result<String, RowProblem>,
    pub period: String,
    pub case_ref: String,
    pub hours: String,
}

/// A checked return from a CSV: a provider's month and its people's delivered minutes.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvReturn {
    pub provider_id: String,
    pub period: Period,
    pub lines: Vec<(String, i64)>,
}

/// Turn a CSV's rows into returns, one for each provider and month, all or none: every problem
/// named by its row and column. A person may appear once in a provider's month.
pub fn plan_csv(rows: &[CsvRow], today: Date) -> Result<Vec<CsvReturn>, Vec<RowProblem>> {
    let mut problems = Vec::new();
    let mut out: Vec<CsvReturn> = Vec::new();
    for r in rows {
        let provider = match &r.provider_id {
            Ok(p) => Some(p.clone()),
            Err(p) => {
                problems.push(p.clone());
                None
            }
        };
        let period = match Period::parse("period", &r.period, today) {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(RowProblem::new(r.row, "period", e.message));
                None
            }
        };
        let case_ref = normalise_person_ref(&r.case_ref);
        if !valid_person_ref(&case_ref) {
            problems.push(RowProblem::new(r.row, "case_reference", CASE_REF_MESSAGE));
        }
        let hours = match parse_hours("delivered_hours", "hours delivered", &r.hours, max_month_minutes()) {
            Ok(m) => Some(m),
            Err(e) => {
                problems.push(RowProblem::new(r.row, "delivered_hours", e.message));
                None
            }
        };
        let (Some(provider), Some(period), Some(hours)) = (provider, period, hours) else { continue };
        if !valid_person_ref(&case_ref) {
            continue;
        }
        match out.iter_mut().find(|x| x.provider_id == provider && x.period == period) {
            Some(x) if x.lines.iter().any(|(c, _)| *c == case_ref) => problems.push(RowProblem::new(
                r.row,
                "case_reference",
                format!("{case_ref} is already on an earlier row for {}: give each person once a month", period.label()),
            )),
            Some(x) => x.lines.push((case_ref, hours)),
            None => out.push(CsvReturn { provider_id: provider, period, lines: vec![(case_ref, hours)] }),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// Where a challenge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryStatus {
    /// The council has asked; waiting on the provider.
    Queried,
    /// The provider has explained; waiting on the council.
    Explained,
    Accepted,
    Recovered,
    Closed,
}

impl QueryStatus {
    pub const ALL: [QueryStatus; 5] =
        [QueryStatus::Queried, QueryStatus::Explained, QueryStatus::Accepted, QueryStatus::Recovered, QueryStatus::Closed];
    pub fn as_str(self) -> &'static str {
        match self {
            QueryStatus::Queried => "queried",
            QueryStatus::Explained => "explained",
            QueryStatus::Accepted => "accepted",
            QueryStatus::Recovered => "recovered",
            QueryStatus::Closed => "closed",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            QueryStatus::Queried => "Queried: waiting for the provider",
            QueryStatus::Explained => "Explained: waiting for the council",
            QueryStatus::Accepted => "Accepted",
            QueryStatus::Recovered => "Recovered",
            QueryStatus::Closed => "Closed",
        }
    }
    pub fn parse(s: &str) -> Option<QueryStatus> {
        QueryStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn is_open(self) -> bool {
        self != QueryStatus::Closed
    }
}

/// A step of the challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryStep {
    /// The council asks (or asks again after an explanation).
    Query,
    /// The provider explains (in the portal).
    Explain,
    /// The council accepts the explanation.
    Accept,
    /// The council recovers an amount.
    Recover,
    /// The council closes an accepted or recovered query.
    Close,
}

impl QueryStep {
    pub const ALL: [QueryStep; 5] = [QueryStep::Query, QueryStep::Explain, QueryStep::Accept, QueryStep::Recover, QueryStep::Close];
    pub fn as_str(self) -> &'static str {
        match self {
            QueryStep::Query => "query",
            QueryStep::Explain => "explain",
            QueryStep::Accept => "accept",
            QueryStep::Recover => "recover",
            QueryStep::Close => "close",
        }
    }
    /// As the history reads: "Queried", "Explained".
    pub fn label(self) -> &'static str {
        match self {
            QueryStep::Query => "Queried",
            QueryStep::Explain => "Explained",
            QueryStep::Accept => "Accepted",
            QueryStep::Recover => "Recovered",
            QueryStep::Close => "Closed",
        }
    }
    pub fn parse(s: &str) -> Option<QueryStep> {
        QueryStep::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// "Accepting": the step as the refusals name it.
    pub fn doing(self) -> &'static str {
        match self {
            QueryStep::Query => "Querying",
            QueryStep::Explain => "Explaining",
            QueryStep::Accept => "Accepting",
            QueryStep::Recover => "Recovering an amount",
            QueryStep::Close => "Closing",
        }
    }
    pub fn status(self) -> QueryStatus {
        match self {
            QueryStep::Query => QueryStatus::Queried,
            QueryStep::Explain => QueryStatus::Explained,
            QueryStep::Accept => QueryStatus::Accepted,
            QueryStep::Recover => QueryStatus::Recovered,
            QueryStep::Close => QueryStatus::Closed,
        }
    }
    /// Whether the provider takes the step (the rest are the council's).
    pub fn is_providers(self) -> bool {
        self == QueryStep::Explain
    }
}

/// A step as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepDraft {
    pub note: String,
    /// Pounds, for a recovery.
    pub amount: String,
}

/// A checked step.
#[derive(Debug, Clone, PartialEq)]
pub struct NewStep {
    pub step: QueryStep,
    pub status: QueryStatus,
    pub note: Option<String>,
    pub amount_pence: Option<i64>,
}

/// Check a step against where the query stands (`None`: no query yet) and whether the month is
/// flagged. Refusals name the field `step` (a step that cannot follow), `note` or `amount`:
/// - a query needs a flagged month with no open query (or an explained one: asking again), and
///   the question;
/// - an explanation only answers an open question, and says something;
/// - accept or recover only an explained query; a recovery needs an amount more than £0;
/// - close only an accepted or recovered query.
pub fn check_step(current: Option<QueryStatus>, step: QueryStep, flagged: bool, d: &StepDraft) -> Result<NewStep, FieldErrors> {
    let mut e = FieldErrors::new();
    let allowed = match (current, step) {
        (None, QueryStep::Query) => {
            if !flagged {
                e.add("step", "This month's variance is within the threshold, so there is nothing to query");
            }
            true
        }
        (None, _) => false,
        (Some(QueryStatus::Closed), QueryStep::Query) => {
            e.add("step", "This month's query is closed: it cannot be queried again");
            true
        }
        (Some(QueryStatus::Explained), QueryStep::Query | QueryStep::Accept | QueryStep::Recover) => true,
        (Some(QueryStatus::Queried), QueryStep::Explain) => true,
        (Some(QueryStatus::Accepted | QueryStatus::Recovered), QueryStep::Close) => true,
        _ => false,
    };
    if !allowed {
        let now = current.map(|c| c.as_str()).unwrap_or("not queried");
        let need = match step {
            QueryStep::Query => "a flagged month that is not already queried",
            QueryStep::Explain => "an open question from the council",
            QueryStep::Accept | QueryStep::Recover => "the provider's explanation",
            QueryStep::Close => "the query accepted or an amount recovered",
        };
        e.add("step", format!("{} needs {need} (this month's query is {now})", step.doing()));
    }
    let note = crate::text::tidy(&d.note);
    if note.chars().count() > MAX_NOTE_LEN {
        e.add("note", format!("The note must be {MAX_NOTE_LEN} characters or fewer"));
    }
    match step {
        QueryStep::Query if note.is_empty() => e.add("note", "Enter the question for the provider"),
        QueryStep::Explain if note.is_empty() => e.add("note", "Enter your explanation of the hours"),
        _ => {}
    }
    let amount = if step == QueryStep::Recover { e.check(super::parse_pounds("amount", "amount to recover", &d.amount)) } else { None };
    e.into_result(NewStep { step, status: step.status(), note: Some(note).filter(|n| !n.is_empty()), amount_pence: amount })
}

/// What a one-off payment or reconciliation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// A TUPE premium payment (`000`: "Track TUPE premium payments").
    TupePremium,
    /// A historical reconciliation of hours paid against hours delivered.
    HistoricalReconciliation,
    /// Any other one-off payment.
    OneOff,
}

impl PaymentKind {
    pub const ALL: [PaymentKind; 3] = [PaymentKind::TupePremium, PaymentKind::HistoricalReconciliation, PaymentKind::OneOff];
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKind::TupePremium => "tupe_premium",
            PaymentKind::HistoricalReconciliation => "historical_reconciliation",
            PaymentKind::OneOff => "one_off",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            PaymentKind::TupePremium => "TUPE premium payment",
            PaymentKind::HistoricalReconciliation => "Historical reconciliation",
            PaymentKind::OneOff => "Other one-off payment",
        }
    }
    pub fn parse(s: &str) -> Option<PaymentKind> {
        PaymentKind::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A payment as an officer types it. A negative amount is money back from the provider.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaymentDraft {
    pub provider_id: Option<String>,
    pub kind: Option<PaymentKind>,
    pub amount: String,
    pub paid_on: Option<Date>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPayment {
    pub provider_id: String,
    pub kind: PaymentKind,
    pub amount_pence: i64,
    pub paid_on: Date,
    pub reason: String,
}

impl PaymentDraft {
    /// A provider, a kind, an amount that is not £0 (negative: recovered from the provider), the
    /// date (not in the future) and the reason.
    pub fn check(&self, today: Date) -> Result<NewPayment, FieldErrors> {
        let mut e = FieldErrors::new();
        let provider_id = self.provider_id.clone().filter(|p| !p.trim().is_empty());
        if provider_id.is_none() {
            e.add("provider_id", "Choose the provider");
        }
        if self.kind.is_none() {
            e.add("kind", "Choose what the payment is");
        }
        let amount = match crate::direct_payments::money::parse_money(&self.amount) {
            _ if self.amount.trim().is_empty() => {
                e.add("amount", "Enter the amount");
                None
            }
            Some(0) => {
                e.add("amount", "The amount cannot be £0");
                None
            }
            Some(v) => Some(v),
            None => {
                e.add("amount", "The amount must be an amount of money, like 1250.00 (negative for money back from the provider)");
                None
            }
        };
        match self.paid_on {
            None => e.add("paid_on", "Enter the date of the payment"),
            Some(d) if d > today => e.add("paid_on", "The date of the payment must be today or in the past"),
            _ => {}
        }
        let reason = crate::text::tidy(&self.reason);
        if reason.is_empty() {
            e.add("reason", "Enter the reason for the payment");
        } else if reason.chars().count() > MAX_NOTE_LEN {
            e.add("reason", format!("The reason must be {MAX_NOTE_LEN} characters or fewer"));
        }
        let (Some(provider_id), Some(kind), Some(amount), Some(paid_on)) = (provider_id, self.kind, amount, self.paid_on) else {
            return Err(e);
        };
        e.into_result(NewPayment { provider_id, kind, amount_pence: amount, paid_on, reason })
    }
}

/// A threshold typed as a percentage ("10", "12.5%") as basis points: more than 0, at most 100.
pub fn parse_threshold(raw: &str) -> Result<i64, FieldError> {
    super::parse_percent_bp("threshold", "The threshold", raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fees::rates::tests::version;
    use crate::fees::{RateLevel, RateLine};
    use jiff::civil::date;

    fn commission(case_ref: &str, weekly_minutes: i64, from: Date) -> Commission {
        Commission {
            id: format!("{case_ref}-{from}"),
            provider_id: "p1".into(),
            case_ref: case_ref.into(),
            weekly_minutes,
            rate_category: RateCategory::CommunityHourly,
            effective_from: from,
        }
    }

    #[test]
    fn hours_are_whole_minutes() {
        assert_eq!(parse_hours("h", "hours", "12", 10_000), Ok(720));
        assert_eq!(parse_hours("h", "hours", "12.5", 10_000), Ok(750));
        assert_eq!(parse_hours("h", "hours", "12.25", 10_000), Ok(735));
        assert_eq!(parse_hours("h", "hours", "12:05", 10_000), Ok(725));
        assert_eq!(parse_hours("h", "hours", "0", 10_000), Ok(0));
        assert_eq!(parse_hours("h", "hours", ".5", 10_000), Ok(30));
        for bad in ["", "-1", "abc", "12.01", "12:60", "12:5", "1.2.3", "200"] {
            let e = parse_hours("h", "hours", bad, 10_000).expect_err(bad);
            assert_eq!(e.field, "h", "{bad}");
        }
        assert_eq!(hours_text(735), "12h 15m");
        assert_eq!(hours_text(-65), "-1h 05m");
    }

    #[test]
    fn a_month_commissions_the_weekly_hours_of_each_day() {
        // 14 hours a week through April (30 days): 14 × 60 × 30 / 7 = 3,600 minutes.
        let a = commission("AB1", 14 * 60, date(2025, 1, 1));
        assert_eq!(commissioned_minutes(&[&a], Period { year: 2025, month: 4 }), 14 * 60 * 30 / 7);
        // Raised to 21 hours from 16 April: 15 days at 14, 15 at 21.
        let b = commission("AB1", 21 * 60, date(2025, 4, 16));
        let expected = (15 * 14 * 60 + 15 * 21 * 60 + 3) / 7;
        assert_eq!(commissioned_minutes(&[&a, &b], Period { year: 2025, month: 4 }), expected);
        // Ended (0 a week) from 11 April: 10 days.
        let end = commission("AB1", 0, date(2025, 4, 11));
        assert_eq!(commissioned_minutes(&[&a, &end], Period { year: 2025, month: 4 }), 10 * 14 * 60 / 7);
        // Started 1 May: nothing in April.
        let later = commission("AB1", 600, date(2025, 5, 1));
        assert_eq!(commissioned_minutes(&[&later], Period { year: 2025, month: 4 }), 0);
    }

    #[test]
    fn variances_are_priced_at_the_rate_in_force_on_the_first_day() {
        let line = RateLine {
            level: RateLevel::Council,
            kind: ServiceKind::SupportedLiving,
            category: RateCategory::CommunityHourly,
            lot_id: None,
            provider_id: None,
        };
        let rates = vec![version("r1", &line, 2000, date(2024, 4, 1)), version("r2", &line, 2150, date(2025, 4, 1))];
        let c = vec![commission("AB1", 10 * 60, date(2025, 1, 1)), commission("CD2", 7 * 60, date(2025, 1, 1))];
        let april = Period { year: 2025, month: 4 };
        let delivered = vec![("AB1".to_string(), 5000), ("CD2".to_string(), 1800), ("EF3".to_string(), 90)];
        let m = provider_month("p1", april, &c, Some(&delivered), &rates);
        let ab = 10 * 60 * 30 / 7; // 2571.4 → 2571
        let cd = 7 * 60 * 30 / 7;
        assert_eq!(m.commissioned_minutes(), ab + cd);
        assert_eq!(m.delivered_minutes(), Some(5000 + 1800 + 90));
        let var = 5000 + 1800 + 90 - ab - cd;
        assert_eq!(m.variance_minutes(), Some(var));
        let expected_pence = [5000 - ab, 1800 - cd, 90].iter().map(|v| div_round(v * 2150, 60)).sum::<i64>();
        assert_eq!(m.variance_pence(), Some(expected_pence));
        assert_eq!(m.rates().len(), 1);
        assert_eq!(m.rates()[0].id, "r2");
        // A person not commissioned is still a line, at the community rate.
        assert!(m.lines.iter().any(|l| l.case_ref == "EF3" && l.commissioned_minutes == 0));
        // In March the earlier rate applies.
        let march = provider_month("p1", Period { year: 2025, month: 3 }, &c, None, &rates);
        assert_eq!(march.lines[0].rate.as_ref().map(|r| r.id.as_str()), Some("r1"));
        assert_eq!(march.delivered_minutes(), None);
        assert!(!march.flagged(1000));
    }

    #[test]
    fn flags_are_over_the_threshold_either_way() {
        assert!(!is_flagged(100, 1000, 1000)); // exactly 10%
        assert!(is_flagged(101, 1000, 1000));
        assert!(is_flagged(-101, 1000, 1000));
        assert!(is_flagged(5, 0, 1000));
        assert!(!is_flagged(0, 0, 1000));
        assert_eq!(percent_bp(-1, 3), Some(-3333));
        assert_eq!(percent_text(-3333), "-33.33%");
    }

    #[test]
    fn the_challenge_runs_in_order() {
        let note = StepDraft { note: "Why?".into(), amount: String::new() };
        let s = check_step(None, QueryStep::Query, true, &note).expect("query");
        assert_eq!(s.status, QueryStatus::Queried);
        // Not flagged: nothing to query.
        assert_eq!(check_step(None, QueryStep::Query, false, &note).expect_err("not flagged").0[0].field, "step");
        // The question is needed.
        let e = check_step(None, QueryStep::Query, true, &StepDraft::default()).expect_err("no note");
        assert_eq!(e.0[0].field, "note");
        // Accept before an explanation is refused, naming the step.
        let e = check_step(Some(QueryStatus::Queried), QueryStep::Accept, true, &note).expect_err("accept early");
        assert_eq!(e.0[0].field, "step");
        assert!(e.0[0].message.contains("queried"), "{}", e.0[0].message);
        assert_eq!(
            check_step(Some(QueryStatus::Queried), QueryStep::Explain, true, &note).expect("explain").status,
            QueryStatus::Explained
        );
        let e = check_step(Some(QueryStatus::Explained), QueryStep::Recover, true, &note).expect_err("no amount");
        assert_eq!(e.0[0].field, "amount");
        let r =
            check_step(Some(QueryStatus::Explained), QueryStep::Recover, true, &StepDraft { note: String::new(), amount: "120.50".into() })
                .expect("recover");
        assert_eq!(r.amount_pence, Some(12050));
        assert_eq!(
            check_step(Some(QueryStatus::Explained), QueryStep::Query, true, &note).expect("ask again").status,
            QueryStatus::Queried
        );
        assert!(check_step(Some(QueryStatus::Explained), QueryStep::Close, true, &note).is_err());
        assert_eq!(
            check_step(Some(QueryStatus::Recovered), QueryStep::Close, true, &StepDraft::default()).expect("close").status,
            QueryStatus::Closed
        );
        assert_eq!(
            check_step(Some(QueryStatus::Accepted), QueryStep::Close, true, &StepDraft::default()).expect("close").status,
            QueryStatus::Closed
        );
        assert!(check_step(Some(QueryStatus::Closed), QueryStep::Query, true, &note).is_err());
        assert!(check_step(Some(QueryStatus::Closed), QueryStep::Explain, true, &note).is_err());
    }

    #[test]
    fn a_csv_becomes_returns_or_every_problem() {
        let row = |row, p: &str, period: &str, c: &str, h: &str| CsvRow {
            row,
            provider_id: Ok(p.to_string()),
            period: period.into(),
            case_ref: c.into(),
            hours: h.into(),
        };
        let today = date(2025, 6, 10);
        let ok = plan_csv(
            &[row(2, "p1", "2025-04", "ab1", "10.5"), row(3, "p1", "2025-04", "CD2", "3:15"), row(4, "p2", "2025-05", "EF3", "0")],
            today,
        )
        .expect("plan");
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].lines, vec![("AB1".to_string(), 630), ("CD2".to_string(), 195)]);
        let bad = plan_csv(
            &[
                row(2, "p1", "2025-13", "AB1", "1"),
                row(3, "p1", "2025-04", "Jane Smith", "1"),
                row(4, "p1", "2025-04", "AB1", "x"),
                row(5, "p1", "2025-04", "AB1", "1"),
                row(6, "p1", "2025-04", "AB1", "2"),
                row(7, "p1", "2025-07", "AB1", "2"),
            ],
            today,
        )
        .expect_err("problems");
        let named: Vec<(usize, &str)> = bad.iter().map(|p| (p.row, p.field.as_str())).collect();
        assert_eq!(named, vec![(2, "period"), (3, "case_reference"), (4, "delivered_hours"), (6, "case_reference"), (7, "period")]);
    }

    #[test]
    fn commissions_and_payments_are_checked() {
        let d = CommissionDraft {
            provider_id: Some("p1".into()),
            case_ref: "ab1".into(),
            weekly_hours: "14".into(),
            rate_category: Some(RateCategory::CommunityHourly),
            effective_from: Some(date(2025, 1, 1)),
        };
        let c = d.check(&[]).expect("ok");
        assert_eq!((c.case_ref.as_str(), c.weekly_minutes), ("AB1", 840));
        let e = d.check(&[commission("AB1", 600, date(2025, 1, 1))]).expect_err("same date");
        assert_eq!(e.0[0].field, "effective_from");
        let e = CommissionDraft { case_ref: "Jane Smith".into(), weekly_hours: "169".into(), ..d.clone() }.check(&[]).expect_err("bad");
        assert_eq!(e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), vec!["case_ref", "weekly_hours"]);
        let p = PaymentDraft {
            provider_id: Some("p1".into()),
            kind: Some(PaymentKind::TupePremium),
            amount: "-1,250.00".into(),
            paid_on: Some(date(2025, 3, 1)),
            reason: "Reconciled".into(),
        };
        assert_eq!(p.check(date(2025, 6, 1)).expect("ok").amount_pence, -125_000);
        let e = PaymentDraft { amount: "0".into(), paid_on: Some(date(2026, 1, 1)), reason: String::new(), ..p }
            .check(date(2025, 6, 1))
            .expect_err("bad");
        assert_eq!(e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), vec!["amount", "paid_on", "reason"]);
    }
}
