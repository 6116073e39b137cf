//! Rate cards (domain C7): what the council pays, per service kind and financial year (Sheffield
//! home care £22.96 an hour in 24/25, `000`), per framework lot with its maximum framework rate
//! (Leicester Lot 1 £19.23–£20.31, Lot 2 £19.23–£21.11, "within a financial envelope set by the
//! council", the cost model setting the maximum, `004` §5.1), and per provider within a lot.
//! Sleep-in support is one payment per night; supported living has community and discounted
//! rates (`000`).
//!
//! A rate is never overwritten: each change is a new version with the date it takes effect, and
//! the rate in force on a date is the approved version of its line with the latest effective date
//! not after it. A provider's rate above its lot's maximum needs a reason and a second approver.

use crate::direct_payments::money::money;
use crate::register::ServiceKind;
use crate::{Date, FieldError, FieldErrors};
use serde::Serialize;

/// What a rate is paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateCategory {
    /// An hour of care (home care, supported living where there is one rate).
    Hourly,
    /// Supported living's community rate, an hour (`000`: geographical rates "rationalised into
    /// community or discounted rates").
    CommunityHourly,
    /// Supported living's discounted rate, an hour.
    DiscountedHourly,
    /// Sleep-in support: "a single payment per night" (`000`), never hours.
    SleepInNight,
    /// A bed a week (care homes, extra care).
    Weekly,
}

impl RateCategory {
    pub const ALL: [RateCategory; 5] = [
        RateCategory::Hourly,
        RateCategory::CommunityHourly,
        RateCategory::DiscountedHourly,
        RateCategory::SleepInNight,
        RateCategory::Weekly,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RateCategory::Hourly => "hourly",
            RateCategory::CommunityHourly => "community_hourly",
            RateCategory::DiscountedHourly => "discounted_hourly",
            RateCategory::SleepInNight => "sleep_in_night",
            RateCategory::Weekly => "weekly",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            RateCategory::Hourly => "Hourly rate",
            RateCategory::CommunityHourly => "Community rate (supported living), hourly",
            RateCategory::DiscountedHourly => "Discounted rate (supported living), hourly",
            RateCategory::SleepInNight => "Sleep-in, one payment a night",
            RateCategory::Weekly => "Weekly rate (a bed a week)",
        }
    }
    /// What one payment is for: "an hour", "a night", "a week".
    pub fn unit(self) -> &'static str {
        match self {
            RateCategory::Hourly | RateCategory::CommunityHourly | RateCategory::DiscountedHourly => "an hour",
            RateCategory::SleepInNight => "a night",
            RateCategory::Weekly => "a week",
        }
    }
    pub fn is_hourly(self) -> bool {
        matches!(self, RateCategory::Hourly | RateCategory::CommunityHourly | RateCategory::DiscountedHourly)
    }
    pub fn parse(s: &str) -> Option<RateCategory> {
        RateCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::str::FromStr for RateCategory {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        RateCategory::parse(s).ok_or(())
    }
}

/// Whose rate it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateLevel {
    /// The council's rate for a kind of service (paid to a provider with no rate of its own).
    Council,
    /// A framework lot's maximum rate, set by the council's cost model (`004` §5.1): a ceiling,
    /// not a payment.
    LotMaximum,
    /// The rate a provider is paid (on a lot: the rate it bid within the envelope).
    Provider,
}

impl RateLevel {
    pub const ALL: [RateLevel; 3] = [RateLevel::Council, RateLevel::LotMaximum, RateLevel::Provider];
    pub fn as_str(self) -> &'static str {
        match self {
            RateLevel::Council => "council",
            RateLevel::LotMaximum => "lot_maximum",
            RateLevel::Provider => "provider",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            RateLevel::Council => "Council rate",
            RateLevel::LotMaximum => "Lot maximum",
            RateLevel::Provider => "Provider rate",
        }
    }
    pub fn parse(s: &str) -> Option<RateLevel> {
        RateLevel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::str::FromStr for RateLevel {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        RateLevel::parse(s).ok_or(())
    }
}

/// Where a version stands: only approved versions are ever paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateStatus {
    Approved,
    /// Above the lot's maximum: waits for a second person's approval.
    AwaitingApproval,
    /// The second person refused it: kept in the history, never paid.
    Refused,
}

impl RateStatus {
    pub const ALL: [RateStatus; 3] = [RateStatus::Approved, RateStatus::AwaitingApproval, RateStatus::Refused];
    pub fn as_str(self) -> &'static str {
        match self {
            RateStatus::Approved => "approved",
            RateStatus::AwaitingApproval => "awaiting_approval",
            RateStatus::Refused => "refused",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            RateStatus::Approved => "Approved",
            RateStatus::AwaitingApproval => "Awaiting approval",
            RateStatus::Refused => "Refused",
        }
    }
    pub fn parse(s: &str) -> Option<RateStatus> {
        RateStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::str::FromStr for RateStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        RateStatus::parse(s).ok_or(())
    }
}

/// One line of the rate card: whose rate, for what. Its versions are its history.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RateLine {
    pub level: RateLevel,
    pub kind: ServiceKind,
    pub category: RateCategory,
    /// The lot (lot maximum; a provider's rate on a lot).
    pub lot_id: Option<String>,
    /// The provider (provider rates only).
    pub provider_id: Option<String>,
}

/// One version of a line: an amount from a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateVersion {
    pub id: String,
    pub line: RateLine,
    pub amount_pence: i64,
    pub effective_from: Date,
    pub status: RateStatus,
    /// Why (required above a lot's maximum; the uplift's name when an uplift wrote it).
    pub reason: Option<String>,
    /// The uplift that wrote this version, if one did.
    pub uplift_id: Option<String>,
    /// Who proposed it (a user id), for the second-approver rule.
    pub created_by: Option<String>,
    /// Names to show (loaded with the version).
    pub lot_name: Option<String>,
    pub provider_name: Option<String>,
}

impl RateVersion {
    /// "£22.96 an hour".
    pub fn amount_text(&self) -> String {
        format!("{} {}", money(self.amount_pence), self.line.category.unit())
    }
    /// The line as a person reads it: "Home care, hourly rate, General lot, Acme Care".
    pub fn line_text(&self) -> String {
        let mut parts = vec![self.line.kind.label().to_string(), self.line.category.label().to_lowercase()];
        match self.line.level {
            RateLevel::Council => parts.push("council rate".into()),
            RateLevel::LotMaximum => parts.push(format!("maximum of lot {}", self.lot_name.as_deref().unwrap_or("?"))),
            RateLevel::Provider => {
                parts.push(self.provider_name.clone().unwrap_or_else(|| "provider".into()));
                if let Some(l) = &self.lot_name {
                    parts.push(format!("lot {l}"));
                }
            }
        }
        parts.join(", ")
    }
}

/// The version of `line` in force on `date`: approved, effective on or before the date, the
/// latest such. `None` before the line's first approved version.
pub fn in_force<'a>(versions: &'a [RateVersion], line: &RateLine, date: Date) -> Option<&'a RateVersion> {
    versions
        .iter()
        .filter(|v| v.status == RateStatus::Approved && &v.line == line && v.effective_from <= date)
        .max_by_key(|v| v.effective_from)
}

/// Every line that has a version (any status), in a stable order.
pub fn lines(versions: &[RateVersion]) -> Vec<RateLine> {
    let mut v: Vec<RateLine> = versions.iter().map(|v| v.line.clone()).collect();
    v.sort();
    v.dedup();
    v
}

/// Where a paid rate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PaidFrom {
    /// The provider's own rate.
    ProviderRate,
    /// No rate of its own in force: the council's rate for the kind.
    CouncilRate,
}

/// One answer to "what did we pay provider P for kind K on date D".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaidRate {
    pub version: RateVersion,
    pub from: PaidFrom,
}

/// What the council paid `provider_id` for `kind` on `date`, for each category the provider
/// (or, failing that, the council) had a rate for that day: the provider's own rate in force
/// (one per lot it has a rate on), else the council's rate for the kind. Past dates answer from
/// the history, as it stood that day; versions awaiting approval or refused were never paid.
pub fn paid_on(versions: &[RateVersion], provider_id: &str, kind: ServiceKind, date: Date) -> Vec<PaidRate> {
    let mut out = Vec::new();
    for category in RateCategory::ALL {
        let own: Vec<RateLine> = lines(versions)
            .into_iter()
            .filter(|l| {
                l.level == RateLevel::Provider && l.kind == kind && l.category == category && l.provider_id.as_deref() == Some(provider_id)
            })
            .collect();
        let mut found = false;
        for l in &own {
            if let Some(v) = in_force(versions, l, date) {
                out.push(PaidRate { version: v.clone(), from: PaidFrom::ProviderRate });
                found = true;
            }
        }
        if !found {
            let council = RateLine { level: RateLevel::Council, kind, category, lot_id: None, provider_id: None };
            if let Some(v) = in_force(versions, &council, date) {
                out.push(PaidRate { version: v.clone(), from: PaidFrom::CouncilRate });
            }
        }
    }
    out
}

/// A rate as an officer types it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateDraft {
    pub level: Option<RateLevel>,
    pub kind: Option<ServiceKind>,
    pub category: Option<RateCategory>,
    pub lot_id: Option<String>,
    pub provider_id: Option<String>,
    pub amount: String,
    pub effective_from: Option<Date>,
    pub reason: String,
}

/// A checked rate, ready to save.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRate {
    pub line: RateLine,
    pub amount_pence: i64,
    pub effective_from: Date,
    pub reason: Option<String>,
    /// Approved at once, or awaiting a second person (above the lot's maximum).
    pub status: RateStatus,
    /// The lot's maximum in force on the effective date, when there is one.
    pub lot_maximum_pence: Option<i64>,
}

/// Longest reason kept.
pub const MAX_REASON_LEN: usize = 2000;

impl RateDraft {
    /// Check a rate against the history of rates (`existing`, every version of every line).
    /// Every problem is returned, each naming its field:
    /// - level, kind and category chosen; a lot for a lot maximum, a provider for a provider
    ///   rate, neither for a council rate;
    /// - an amount of money more than £0, and the date it takes effect;
    /// - not a second version of the same line from the same date (versions never overlap);
    /// - a provider's rate on a lot above the lot's maximum in force that day needs a reason,
    ///   and then waits for a second person's approval.
    pub fn check(&self, existing: &[RateVersion]) -> Result<NewRate, FieldErrors> {
        let mut e = FieldErrors::new();
        if self.level.is_none() {
            e.add("level", "Choose whose rate this is");
        }
        if self.kind.is_none() {
            e.add("kind", "Choose the type of service");
        }
        if self.category.is_none() {
            e.add("category", "Choose what the rate is paid for");
        }
        let lot_id = self.lot_id.clone().filter(|s| !s.trim().is_empty());
        let provider_id = self.provider_id.clone().filter(|s| !s.trim().is_empty());
        match self.level {
            Some(RateLevel::LotMaximum) if lot_id.is_none() => e.add("lot_id", "Choose the lot whose maximum rate this is"),
            Some(RateLevel::Provider) if provider_id.is_none() => e.add("provider_id", "Choose the provider"),
            _ => {}
        }
        let amount = e.check(super::parse_pounds("amount", "rate", &self.amount));
        if self.effective_from.is_none() {
            e.add("effective_from", "Enter the date the rate takes effect");
        }
        let reason = crate::text::tidy(&self.reason);
        if reason.chars().count() > MAX_REASON_LEN {
            e.add("reason", format!("The reason must be {MAX_REASON_LEN} characters or fewer"));
        }
        let (Some(level), Some(kind), Some(category), Some(amount), Some(from)) =
            (self.level, self.kind, self.category, amount, self.effective_from)
        else {
            return Err(e);
        };
        let line = RateLine {
            level,
            kind,
            category,
            lot_id: if level == RateLevel::Council { None } else { lot_id },
            provider_id: if level == RateLevel::Provider { provider_id } else { None },
        };
        if let Some(same) = existing.iter().find(|v| v.line == line && v.effective_from == from && v.status != RateStatus::Refused) {
            e.add(
                "effective_from",
                format!(
                    "There is already a version of this rate from {} ({}): rates are never overwritten, so choose another date",
                    long_date(from),
                    same.amount_text()
                ),
            );
        }
        let mut status = RateStatus::Approved;
        let mut lot_maximum_pence = None;
        if let (RateLevel::Provider, Some(lot)) = (level, &line.lot_id) {
            let max_line = RateLine { level: RateLevel::LotMaximum, kind, category, lot_id: Some(lot.clone()), provider_id: None };
            if let Some(max) = in_force(existing, &max_line, from) {
                lot_maximum_pence = Some(max.amount_pence);
                if amount > max.amount_pence {
                    if reason.is_empty() {
                        e.add(
                            "reason",
                            format!(
                                "The rate is above the lot's maximum of {}: give the reason (a second person must then approve it)",
                                max.amount_text()
                            ),
                        );
                    }
                    status = RateStatus::AwaitingApproval;
                }
            }
        }
        e.into_result(NewRate {
            line,
            amount_pence: amount,
            effective_from: from,
            reason: Some(reason).filter(|r| !r.is_empty()),
            status,
            lot_maximum_pence,
        })
    }
}

/// Whether `approver` may approve or refuse `version`, proposed by its `created_by`: only a
/// version awaiting approval, and only by a different person (the second approver).
pub fn check_approver(version: &RateVersion, approver_user_id: &str) -> Result<(), FieldError> {
    if version.status != RateStatus::AwaitingApproval {
        return Err(FieldError::new("decision", format!("This rate is {}, not awaiting approval", version.status.label().to_lowercase())));
    }
    if version.created_by.as_deref() == Some(approver_user_id) {
        return Err(FieldError::new("decision", "You proposed this rate: a different person must approve it"));
    }
    Ok(())
}

pub use crate::text::long_date;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use jiff::civil::date;

    pub(crate) fn version(id: &str, line: &RateLine, pence: i64, from: Date) -> RateVersion {
        RateVersion {
            id: id.into(),
            line: line.clone(),
            amount_pence: pence,
            effective_from: from,
            status: RateStatus::Approved,
            reason: None,
            uplift_id: None,
            created_by: Some("u1".into()),
            lot_name: line.lot_id.clone(),
            provider_name: line.provider_id.clone(),
        }
    }

    pub(crate) fn council(kind: ServiceKind) -> RateLine {
        RateLine { level: RateLevel::Council, kind, category: RateCategory::Hourly, lot_id: None, provider_id: None }
    }
    pub(crate) fn provider(p: &str, lot: Option<&str>) -> RateLine {
        RateLine {
            level: RateLevel::Provider,
            kind: ServiceKind::HomeCare,
            category: RateCategory::Hourly,
            lot_id: lot.map(str::to_string),
            provider_id: Some(p.into()),
        }
    }
    pub(crate) fn lot_max(lot: &str) -> RateLine {
        RateLine {
            level: RateLevel::LotMaximum,
            kind: ServiceKind::HomeCare,
            category: RateCategory::Hourly,
            lot_id: Some(lot.into()),
            provider_id: None,
        }
    }

    #[test]
    fn the_rate_in_force_is_the_latest_approved_version_on_or_before_the_date() {
        let l = council(ServiceKind::HomeCare);
        let mut v = vec![
            version("a", &l, 2150, date(2023, 4, 1)),
            version("b", &l, 2296, date(2024, 4, 1)),
            version("c", &l, 2400, date(2025, 4, 1)),
        ];
        v[2].status = RateStatus::AwaitingApproval;
        assert_eq!(in_force(&v, &l, date(2023, 3, 31)), None);
        assert_eq!(in_force(&v, &l, date(2023, 4, 1)).map(|v| v.amount_pence), Some(2150));
        assert_eq!(in_force(&v, &l, date(2024, 3, 31)).map(|v| v.amount_pence), Some(2150));
        // Sheffield's 24/25 home care rate, £22.96 an hour (`000`).
        let r = in_force(&v, &l, date(2024, 12, 1)).expect("in force");
        assert_eq!(r.amount_text(), "£22.96 an hour");
        assert_eq!(super::super::financial_year(r.effective_from), "2024/25");
        // Awaiting approval: never in force.
        assert_eq!(in_force(&v, &l, date(2026, 1, 1)).map(|v| v.amount_pence), Some(2296));
    }

    #[test]
    fn what_we_paid_a_provider_on_a_past_date() {
        let c = council(ServiceKind::HomeCare);
        let own = provider("p1", Some("lot1"));
        let sleep = RateLine {
            level: RateLevel::Council,
            kind: ServiceKind::HomeCare,
            category: RateCategory::SleepInNight,
            lot_id: None,
            provider_id: None,
        };
        let v = vec![
            version("c1", &c, 2000, date(2023, 4, 1)),
            version("c2", &c, 2296, date(2024, 4, 1)),
            version("p1", &own, 1923, date(2023, 10, 1)),
            version("p2", &own, 2031, date(2024, 4, 1)),
            version("s1", &sleep, 9500, date(2024, 1, 1)),
        ];
        // Before the provider's own rate: the council's rate.
        let paid = paid_on(&v, "p1", ServiceKind::HomeCare, date(2023, 6, 1));
        assert_eq!(paid.len(), 1);
        assert_eq!((paid[0].version.amount_pence, paid[0].from), (2000, PaidFrom::CouncilRate));
        // With its own rate: its own, whichever is higher; sleep-ins from the council's card.
        let paid = paid_on(&v, "p1", ServiceKind::HomeCare, date(2024, 3, 31));
        assert_eq!(
            paid.iter().map(|p| (p.version.line.category, p.version.amount_pence, p.from)).collect::<Vec<_>>(),
            [(RateCategory::Hourly, 1923, PaidFrom::ProviderRate), (RateCategory::SleepInNight, 9500, PaidFrom::CouncilRate)]
        );
        let paid = paid_on(&v, "p1", ServiceKind::HomeCare, date(2024, 4, 1));
        assert_eq!(paid[0].version.amount_pence, 2031);
        // Another provider: the council's rate; another kind: nothing.
        assert_eq!(paid_on(&v, "p2", ServiceKind::HomeCare, date(2024, 4, 1))[0].version.amount_pence, 2296);
        assert!(paid_on(&v, "p1", ServiceKind::SupportedLiving, date(2024, 4, 1)).is_empty());
    }

    fn draft() -> RateDraft {
        RateDraft {
            level: Some(RateLevel::Provider),
            kind: Some(ServiceKind::HomeCare),
            category: Some(RateCategory::Hourly),
            lot_id: Some("lot1".into()),
            provider_id: Some("p1".into()),
            amount: "20.31".into(),
            effective_from: Some(date(2024, 4, 1)),
            reason: String::new(),
        }
    }

    fn fields(e: FieldErrors) -> Vec<String> {
        e.0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_rate_within_the_lot_maximum_is_approved_at_once() {
        // Leicester Lot 1: rates £19.23 to £20.31 (`004` §5.1); the maximum here is £20.31.
        let existing = vec![version("m", &lot_max("lot1"), 2031, date(2024, 4, 1))];
        let r = draft().check(&existing).expect("valid");
        assert_eq!((r.amount_pence, r.status, r.lot_maximum_pence), (2031, RateStatus::Approved, Some(2031)));
        assert_eq!(r.line, provider("p1", Some("lot1")));
    }

    #[test]
    fn a_rate_above_the_lot_maximum_needs_a_reason_and_then_waits_for_approval() {
        let existing = vec![version("m", &lot_max("lot1"), 2031, date(2024, 4, 1))];
        let e = RateDraft { amount: "20.32".into(), ..draft() }.check(&existing).expect_err("no reason");
        assert_eq!(e.0[0].field, "reason");
        assert!(e.0[0].message.contains("above the lot's maximum of £20.31 an hour"), "{}", e.0[0].message);
        let r =
            RateDraft { amount: "20.32".into(), reason: "Rural round, agreed at panel".into(), ..draft() }.check(&existing).expect("valid");
        assert_eq!(r.status, RateStatus::AwaitingApproval);
        // The second approver is a different person.
        let mut v = version("x", &r.line, r.amount_pence, r.effective_from);
        v.status = r.status;
        assert_eq!(check_approver(&v, "u1").map_err(|e| e.field), Err("decision".to_string()));
        assert!(check_approver(&v, "u2").is_ok());
        v.status = RateStatus::Approved;
        assert!(check_approver(&v, "u2").is_err());
    }

    #[test]
    fn every_problem_is_named_and_versions_never_overlap() {
        let e = RateDraft::default().check(&[]).expect_err("empty");
        assert_eq!(fields(e), ["level", "kind", "category", "amount", "effective_from"]);
        let e = RateDraft { provider_id: None, amount: "-1".into(), ..draft() }.check(&[]).expect_err("bad");
        assert_eq!(fields(e.clone()), ["provider_id", "amount"]);
        assert_eq!(e.0[1].message, "The rate cannot be negative");
        let e = RateDraft { level: Some(RateLevel::LotMaximum), lot_id: None, ..draft() }.check(&[]).expect_err("lot");
        assert_eq!(fields(e), ["lot_id"]);
        let existing = vec![version("a", &provider("p1", Some("lot1")), 1923, date(2024, 4, 1))];
        let e = draft().check(&existing).expect_err("overlap");
        assert_eq!(fields(e.clone()), ["effective_from"]);
        assert!(
            e.0[0].message.starts_with("There is already a version of this rate from 1 April 2024 (£19.23 an hour)"),
            "{}",
            e.0[0].message
        );
        // A council rate ignores a lot or provider sent with it.
        let r = RateDraft { level: Some(RateLevel::Council), ..draft() }.check(&existing).expect("valid");
        assert_eq!(r.line, council(ServiceKind::HomeCare));
    }
}
