//! Monitoring a direct payment: when each check is due, and the surplus a financial monitoring
//! period finds.
//!
//! - `001` 1.4.4 workstream 2: "an initial 3-month check-in call, named officer ... 'Direct
//!   Payment monitoring'" (periodic financial monitoring, formerly audits).
//! - Care and Support Statutory Guidance ch. 12 (12.66–12.67): review the making of the DP
//!   within the first six months, then at least annually.
//! - `000` / `001`: monitoring finds unspent money and reclaims it ("£2.85m requested, £2.37m
//!   returned"). The surplus is the balance held beyond the allowed contingency, which is a
//!   number of weeks of the budget (configurable per council).

use super::{BudgetPeriod, code_enum, div_round, not_future};
use crate::{Date, FieldError, FieldErrors};
use jiff::ToSpan;
use serde::Serialize;
use std::collections::BTreeMap;

/// A council's monitoring policy. Defaults: check-in at 3 months (`001`), first review at 6
/// months then every 12 (statutory guidance ch. 12), financial monitoring every 12 months, and
/// a contingency of 4 weeks' budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub check_in_months: i32,
    pub first_review_months: i32,
    pub review_interval_months: i32,
    pub financial_interval_months: i32,
    pub contingency_weeks: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            check_in_months: 3,
            first_review_months: 6,
            review_interval_months: 12,
            financial_interval_months: 12,
            contingency_weeks: 4,
        }
    }
}

/// The kinds of monitoring recorded against a DP.
pub const KINDS: [super::Choice; 3] = [
    ("check_in", "3-month check-in call"),
    ("review", "Review (statutory: first within 6 months, then annually)"),
    ("financial", "Financial monitoring"),
];

code_enum!(
    /// A kind of monitoring ([`KINDS`]).
    MonitoringKind, KINDS, {
        CheckIn = "check_in",
        Review = "review",
        Financial = "financial",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    pub kind: MonitoringKind,
    pub due: Date,
    pub overdue: bool,
}

fn add_months(d: Date, m: i32) -> Date {
    d.checked_add(m.months()).unwrap_or(d)
}

/// What is due next for an open DP that started on `start`, given the dates each kind was last
/// completed. The check-in is due once; the review `first_review_months` after the start and
/// then every `review_interval_months` after the last; financial monitoring every
/// `financial_interval_months` after the start or the last one. Nothing is due for an ended DP.
pub fn due(
    policy: &Policy,
    start: Date,
    end: Option<Date>,
    last_check_in: Option<Date>,
    last_review: Option<Date>,
    last_financial: Option<Date>,
    today: Date,
) -> Vec<Due> {
    if end.is_some_and(|e| e <= today) {
        return Vec::new();
    }
    let mut v = Vec::new();
    if last_check_in.is_none() {
        let d = add_months(start, policy.check_in_months);
        v.push(Due { kind: MonitoringKind::CheckIn, due: d, overdue: d < today });
    }
    let review = match last_review {
        None => add_months(start, policy.first_review_months),
        Some(l) => add_months(l, policy.review_interval_months),
    };
    v.push(Due { kind: MonitoringKind::Review, due: review, overdue: review < today });
    let fin = add_months(last_financial.unwrap_or(start), policy.financial_interval_months);
    v.push(Due { kind: MonitoringKind::Financial, due: fin, overdue: fin < today });
    v.sort_by_key(|d| d.due);
    v
}

/// The surplus found by financial monitoring, with its working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Surplus {
    pub balance_pence: i64,
    pub weekly_budget_pence: i64,
    pub contingency_weeks: i64,
    pub allowed_contingency_pence: i64,
    pub surplus_pence: i64,
}

/// Surplus = balance held beyond the allowed contingency (`contingency_weeks` × the weekly
/// budget), never below zero.
pub fn surplus(balance_pence: i64, budget_pence: i64, period: BudgetPeriod, contingency_weeks: i64) -> Surplus {
    let weekly = period.weekly_pence(budget_pence);
    let allowed = weekly * contingency_weeks.max(0);
    Surplus {
        balance_pence,
        weekly_budget_pence: weekly,
        contingency_weeks: contingency_weeks.max(0),
        allowed_contingency_pence: allowed,
        surplus_pence: (balance_pence - allowed).max(0),
    }
}

/// Totals of reclaims: what was requested back and what came back, with the share returned
/// in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct ReclaimTotals {
    pub requested_pence: i64,
    pub returned_pence: i64,
    pub returned_bp: i64,
}

impl ReclaimTotals {
    pub fn new(requested_pence: i64, returned_pence: i64) -> Self {
        let returned_bp = if requested_pence > 0 { div_round(returned_pence * 10_000, requested_pence) } else { 0 };
        ReclaimTotals { requested_pence, returned_pence, returned_bp }
    }

    /// "£2.85m requested, £2.37m returned" (`000`).
    pub fn headline(&self) -> String {
        format!("{} requested, {} returned", super::money_millions(self.requested_pence), super::money_millions(self.returned_pence))
    }
}

/// The amount requested back cannot exceed the surplus found, and what is returned cannot be
/// more than was requested or negative.
pub fn check_reclaim(surplus_pence: i64, requested: i64, returned: Option<i64>) -> Result<(), FieldError> {
    if requested < 0 {
        return Err(FieldError::new("requested", "The amount requested back cannot be negative"));
    }
    if requested > surplus_pence {
        return Err(FieldError::new(
            "requested",
            format!("The amount requested back cannot be more than the surplus of {}", super::money(surplus_pence)),
        ));
    }
    if let Some(r) = returned {
        if r < 0 {
            return Err(FieldError::new("returned", "The amount returned cannot be negative"));
        }
        if r > requested {
            return Err(FieldError::new(
                "returned",
                format!("The amount returned cannot be more than the {} requested", super::money(requested)),
            ));
        }
    }
    Ok(())
}

/// A check-in, review or financial monitoring period as entered. `kind` is a code of [`KINDS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewMonitoring {
    pub kind: String,
    pub completed_on: Option<Date>,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    pub balance_pence: Option<i64>,
    pub requested_pence: Option<i64>,
    pub notes: Option<String>,
}

/// What the DP's own record says that monitoring depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpTerms {
    pub start: Date,
    /// When it ended, if it has: nothing is paid in from then.
    pub end: Option<Date>,
    pub budget_pence: i64,
    pub budget_period: BudgetPeriod,
    /// What earlier financial monitoring already asked back of it.
    pub already_requested_pence: i64,
}

/// Monitoring as it is recorded: for financial monitoring, the period, the balance and the
/// surplus it leaves, and what is requested back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitoring {
    pub kind: MonitoringKind,
    pub completed_on: Date,
    pub period: Option<(Date, Date)>,
    pub surplus: Option<Surplus>,
    pub requested_pence: Option<i64>,
    pub notes: Option<String>,
}

impl NewMonitoring {
    /// Check monitoring of the DP `dp`: a known kind, done on a date between the DP's start and
    /// `today`; financial monitoring names its period and the balance held, and the amount
    /// requested back (none when not given) cannot exceed the surplus under `policy`.
    pub fn decide(&self, dp: &DpTerms, policy: &Policy, today: Date) -> Result<Monitoring, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind =
            e.check(self.kind.parse::<MonitoringKind>().map_err(|_| FieldError::new("kind", "Choose what kind of monitoring this was")));
        let done = match self.completed_on {
            None => {
                e.add("completed_on", "Enter the date it was done");
                None
            }
            Some(d) if d < dp.start => {
                e.add("completed_on", "The date must be on or after the direct payment started");
                None
            }
            Some(d) => e.check(not_future("completed_on", d, today)),
        };
        let (mut period, mut surplus, mut requested) = (None, None, None);
        if kind == Some(MonitoringKind::Financial) {
            match (self.period_start, self.period_end) {
                (Some(ps), Some(pe)) if pe < ps => e.add("period_end", "The end of the period must be on or after its start"),
                (Some(ps), Some(pe)) => period = Some((ps, pe)),
                _ => e.add("period_start", "Enter the start and end of the period monitored"),
            }
            match self.balance_pence {
                None => e.add("balance", "Enter the balance held at the end of the period"),
                Some(b) => {
                    let s = self::surplus(b, dp.budget_pence, dp.budget_period, policy.contingency_weeks);
                    let req = self.requested_pence.unwrap_or(0);
                    // A reclaim is bounded by the surplus, and never more than was paid into the
                    // DP up to the end of the period, less what was asked back before.
                    let within_surplus = e.check(check_reclaim(s.surplus_pence, req, None)).is_some();
                    let within_paid_in = match period {
                        Some((_, end)) => {
                            let paid = crate::approvals::paid_in(dp.start, dp.end, dp.budget_pence, dp.budget_period, end);
                            e.check(crate::approvals::check_paid_in(req, paid, dp.already_requested_pence, end)).is_some()
                        }
                        None => true,
                    };
                    if within_surplus && within_paid_in {
                        requested = Some(req);
                    }
                    surplus = Some(s);
                }
            }
        }
        match (kind, done) {
            (Some(kind), Some(completed_on)) if e.is_empty() => Ok(Monitoring {
                kind,
                completed_on,
                period,
                surplus,
                requested_pence: requested,
                notes: self.notes.clone().filter(|s| !s.trim().is_empty()),
            }),
            _ => Err(e),
        }
    }
}

/// What came back of a reclaim made by financial monitoring that found `surplus_pence` and
/// asked for `requested_pence` back (both `None` for any other monitoring).
pub fn check_returned(
    surplus_pence: Option<i64>,
    requested_pence: Option<i64>,
    returned: i64,
    on: Date,
    today: Date,
) -> Result<(), FieldErrors> {
    let (Some(s), Some(req)) = (surplus_pence, requested_pence) else {
        return Err(FieldError::new("returned", "Only financial monitoring with a reclaim can record money returned").into());
    };
    check_reclaim(s, req, Some(returned))?;
    not_future("returned_on", on, today)?;
    Ok(())
}

/// An open DP as the monitoring lists need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDp {
    pub dp_id: String,
    pub person_ref: String,
    pub officer_id: Option<String>,
    pub officer_name: Option<String>,
    pub start: Date,
    pub end: Option<Date>,
}

/// One check due for one DP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueRow {
    pub dp_id: String,
    pub person_ref: String,
    pub officer_id: Option<String>,
    pub officer_name: Option<String>,
    pub kind: MonitoringKind,
    pub due: Date,
    pub overdue: bool,
}

/// Everything due (and overdue) for `dps` by `horizon`, given the date each kind was last
/// done for each DP: by officer (those without one last), then by date.
pub fn due_list(
    policy: &Policy,
    dps: &[OpenDp],
    last: &BTreeMap<(String, MonitoringKind), Date>,
    today: Date,
    horizon: Date,
) -> Vec<DueRow> {
    let mut out = Vec::new();
    for d in dps {
        let get = |k: MonitoringKind| last.get(&(d.dp_id.clone(), k)).copied();
        let dues =
            due(policy, d.start, d.end, get(MonitoringKind::CheckIn), get(MonitoringKind::Review), get(MonitoringKind::Financial), today);
        for x in dues.into_iter().filter(|x| x.due <= horizon) {
            out.push(DueRow {
                dp_id: d.dp_id.clone(),
                person_ref: d.person_ref.clone(),
                officer_id: d.officer_id.clone(),
                officer_name: d.officer_name.clone(),
                kind: x.kind,
                due: x.due,
                overdue: x.overdue,
            });
        }
    }
    out.sort_by(|a, b| (a.officer_name.as_deref().unwrap_or("~"), a.due).cmp(&(b.officer_name.as_deref().unwrap_or("~"), b.due)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::constant(y, m, day)
    }

    #[test]
    fn check_in_three_months_then_review_at_six_then_annual() {
        let p = Policy::default();
        let start = d(2024, 1, 15);
        let v = due(&p, start, None, None, None, None, d(2024, 5, 1));
        assert_eq!(v[0], Due { kind: MonitoringKind::CheckIn, due: d(2024, 4, 15), overdue: true });
        assert_eq!(v[1], Due { kind: MonitoringKind::Review, due: d(2024, 7, 15), overdue: false });
        assert_eq!(v[2], Due { kind: MonitoringKind::Financial, due: d(2025, 1, 15), overdue: false });
        // After the first review, the next is a year later; the check-in is done.
        let v = due(&p, start, None, Some(d(2024, 4, 10)), Some(d(2024, 7, 1)), None, d(2024, 8, 1));
        assert_eq!(v.len(), 2);
        assert!(v.iter().any(|x| x.kind == MonitoringKind::Review && x.due == d(2025, 7, 1)));
        // Nothing is due once ended.
        assert!(due(&p, start, Some(d(2024, 3, 1)), None, None, None, d(2024, 5, 1)).is_empty());
    }

    #[test]
    fn surplus_is_balance_beyond_contingency() {
        // £250 a week, 4 weeks allowed = £1,000; a £3,400 balance leaves £2,400 surplus.
        let weekly = 25_000;
        let s = surplus(340_000, weekly, BudgetPeriod::Weekly, 4);
        assert_eq!(s.allowed_contingency_pence, 4 * weekly);
        assert_eq!(s.surplus_pence, 340_000 - 4 * weekly);
        assert_eq!(surplus(90_000, weekly, BudgetPeriod::Weekly, 4).surplus_pence, 0);
        // £13,000 a year is £250 a week: 8 weeks allow £2,000, more than the £1,000 held.
        assert_eq!(surplus(100_000, 1_300_000, BudgetPeriod::Annual, 8).allowed_contingency_pence, 8 * 1_300_000 / 52);
        assert_eq!(surplus(100_000, 1_300_000, BudgetPeriod::Annual, 8).surplus_pence, 0);
    }

    #[test]
    fn reclaim_headline_uses_000s_numbers() {
        let t = ReclaimTotals::new(285_000_000, 237_000_000);
        assert_eq!(t.headline(), "£2.85m requested, £2.37m returned");
        assert_eq!(t.returned_bp, 8_316); // 83.2% returned
    }

    #[test]
    fn reclaims_are_bounded() {
        assert!(check_reclaim(1_000, 1_001, None).is_err());
        assert!(check_reclaim(1_000, -1, None).is_err());
        assert!(check_reclaim(1_000, 800, Some(900)).is_err());
        assert!(check_reclaim(1_000, 800, Some(800)).is_ok());
    }

    fn terms() -> DpTerms {
        DpTerms { start: d(2024, 1, 15), end: None, budget_pence: 25_000, budget_period: BudgetPeriod::Weekly, already_requested_pence: 0 }
    }

    fn financial(balance: i64, requested: Option<i64>) -> NewMonitoring {
        NewMonitoring {
            kind: "financial".into(),
            completed_on: Some(d(2024, 10, 1)),
            period_start: Some(d(2024, 1, 15)),
            period_end: Some(d(2024, 9, 30)),
            balance_pence: Some(balance),
            requested_pence: requested,
            notes: Some("  ".into()),
        }
    }

    #[test]
    fn a_reclaim_is_never_more_than_was_paid_in() {
        let (p, today) = (Policy::default(), d(2024, 12, 1));
        // £250 a week from Monday 15 January 2024: paid on 15 January and every 7 days after,
        // the 38th on 30 September (259 days later), the period's end.
        let payments = (d(2024, 9, 30) - d(2024, 1, 15)).get_days() as i64 / 7 + 1;
        let paid = payments * 25_000;
        // A balance typed with an extra nought shows a surplus larger than was ever paid in.
        let m = financial(paid * 10, Some(paid + 1)).decide(&terms(), &p, today).expect_err("more than paid in");
        let msg = m.0.iter().find(|e| e.field == "requested").map(|e| e.message.as_str()).unwrap_or_default();
        assert!(msg.contains("£9,500.00 was paid in up to 30 September 2024"), "{m:?}");
        assert_eq!(financial(paid * 10, Some(paid)).decide(&terms(), &p, today).expect("valid").requested_pence, Some(paid));
        // With £1,000 asked back before, £1,000 less can be asked now.
        let earlier = DpTerms { already_requested_pence: 100_000, ..terms() };
        assert!(financial(paid * 10, Some(paid - 100_000 + 1)).decide(&earlier, &p, today).is_err());
        assert!(financial(paid * 10, Some(paid - 100_000)).decide(&earlier, &p, today).is_ok());
    }

    #[test]
    fn financial_monitoring_finds_the_surplus_and_bounds_the_reclaim() {
        let (p, today) = (Policy::default(), d(2024, 12, 1));
        let surplus_found = 340_000 - 4 * 25_000;
        let m = financial(340_000, Some(surplus_found)).decide(&terms(), &p, today).expect("valid");
        assert_eq!(m.kind, MonitoringKind::Financial);
        assert_eq!(m.surplus.map(|s| s.surplus_pence), Some(surplus_found));
        assert_eq!(m.requested_pence, Some(surplus_found));
        assert_eq!(m.notes, None);
        // Nothing asked back is a reclaim of nothing.
        assert_eq!(financial(340_000, None).decide(&terms(), &p, today).expect("valid").requested_pence, Some(0));
        let e = financial(340_000, Some(surplus_found + 1)).decide(&terms(), &p, today).expect_err("over");
        assert_eq!(e.0[0].message, "The amount requested back cannot be more than the surplus of £2,400.00");
        let bad = NewMonitoring { period_end: Some(d(2024, 1, 1)), balance_pence: None, ..financial(0, None) };
        let e = bad.decide(&terms(), &p, today).expect_err("period");
        assert_eq!(e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["period_end", "balance"]);
    }

    #[test]
    fn monitoring_dates_and_kinds() {
        let (p, today) = (Policy::default(), d(2024, 12, 1));
        let check = |kind: &str, on: Option<Date>| {
            NewMonitoring { kind: kind.into(), completed_on: on, ..Default::default() }.decide(&terms(), &p, today)
        };
        assert_eq!(check("review", Some(d(2024, 7, 1))).map(|m| (m.kind, m.surplus)), Ok((MonitoringKind::Review, None)));
        assert_eq!(check("audit", Some(d(2024, 7, 1))).expect_err("kind").0[0].field, "kind");
        assert_eq!(check("review", None).expect_err("date").0[0].message, "Enter the date it was done");
        assert_eq!(
            check("review", Some(d(2024, 1, 1))).expect_err("before").0[0].message,
            "The date must be on or after the direct payment started"
        );
        assert_eq!(check("review", Some(d(2024, 12, 2))).expect_err("future").0[0].message, "The date must be today or in the past");
    }

    #[test]
    fn money_returned() {
        let today = d(2024, 12, 1);
        assert!(check_returned(Some(1_000), Some(800), 800, today, today).is_ok());
        assert_eq!(check_returned(None, None, 1, today, today).expect_err("not financial").0[0].field, "returned");
        assert_eq!(check_returned(Some(1_000), Some(800), 801, today, today).expect_err("too much").0[0].field, "returned");
        assert_eq!(check_returned(Some(1_000), Some(800), 1, d(2024, 12, 2), today).expect_err("future").0[0].field, "returned_on");
    }

    #[test]
    fn due_lists_group_by_officer_within_the_horizon() {
        let p = Policy::default();
        let dp = |id: &str, officer: Option<&str>, start: Date| OpenDp {
            dp_id: id.into(),
            person_ref: id.to_uppercase(),
            officer_id: officer.map(str::to_string),
            officer_name: officer.map(str::to_string),
            start,
            end: None,
        };
        let dps = [dp("a", None, d(2024, 1, 15)), dp("b", Some("Dee"), d(2024, 2, 1))];
        let mut last = BTreeMap::new();
        last.insert(("a".to_string(), MonitoringKind::CheckIn), d(2024, 4, 1));
        let today = d(2024, 5, 1);
        let v = due_list(&p, &dps, &last, today, d(2024, 7, 31));
        let got: Vec<(&str, MonitoringKind, Date)> = v.iter().map(|r| (r.dp_id.as_str(), r.kind, r.due)).collect();
        // Dee's DP first (its check-in 3 months after 1 Feb; its review on 1 Aug is beyond the
        // horizon), then the DP without an officer, whose check-in is done.
        assert_eq!(got, [("b", MonitoringKind::CheckIn, d(2024, 5, 1)), ("a", MonitoringKind::Review, d(2024, 7, 15))]);
        assert!(!v[0].overdue);
    }

    proptest! {
        #[test]
        fn surplus_never_negative_nor_above_balance(bal in -1_000_000i64..10_000_000, b in 1i64..1_000_000, w in 0i64..52) {
            let s = surplus(bal, b, BudgetPeriod::Weekly, w);
            prop_assert!(s.surplus_pence >= 0);
            prop_assert!(s.surplus_pence <= bal.max(0));
        }
    }
}
