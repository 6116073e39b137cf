//! A direct payment's own rules: how it is held, the period its budget covers, what an officer
//! must enter to record one (`DpDraft`), when it may end (`check_end`) and which days spend can
//! be recorded against it (`spend_allowed`).

use super::{BUDGET_PERIODS, HOLDINGS, code_enum, div_round, normalise_person_ref, parse_money, valid_person_ref};
use crate::{Date, FieldError, FieldErrors};

code_enum!(
    /// How a DP is held ([`HOLDINGS`]).
    Holding, HOLDINGS, {
        OwnAccount = "own_account",
        PrepaidCard = "prepaid_card",
        ManagedAccount = "managed_account",
    }
);

impl Holding {
    /// Holdings where the person (or their representative) holds the budget themselves: the
    /// numerator of "% holding their own budget" (`000`: 33% → 41.3%).
    pub fn own_budget(self) -> bool {
        matches!(self, Holding::OwnAccount | Holding::PrepaidCard)
    }
}

code_enum!(
    /// The period a budget amount covers ([`BUDGET_PERIODS`]).
    BudgetPeriod, BUDGET_PERIODS, {
        Weekly = "weekly",
        FourWeekly = "four_weekly",
        Monthly = "monthly",
        Annual = "annual",
    }
);

impl BudgetPeriod {
    /// An amount over this period as a yearly amount in pence.
    pub fn annual_pence(self, amount: i64) -> i64 {
        match self {
            BudgetPeriod::Weekly => amount * 52,
            BudgetPeriod::FourWeekly => amount * 13,
            BudgetPeriod::Monthly => amount * 12,
            BudgetPeriod::Annual => amount,
        }
    }

    /// An amount over this period as a weekly amount in pence (rounded to the penny).
    pub fn weekly_pence(self, amount: i64) -> i64 {
        div_round(self.annual_pence(amount), 52)
    }
}

/// The largest budget for one period: a guard against a misplaced decimal point.
const MAX_BUDGET_PENCE: i64 = 100_000_000;

/// What an officer enters to record a DP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpDraft {
    pub person_ref: String,
    pub service_area: String,
    pub is_child: bool,
    pub budget_pence: i64,
    pub budget_period: BudgetPeriod,
    pub holding: Holding,
    pub mm_provider_id: Option<String>,
    pub start_date: Date,
}

/// The record form as typed, before it is checked. The start date is read by the caller (a
/// GOV.UK date input has three parts and its own messages); `None` when it could not be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DpInput {
    pub person_ref: String,
    pub service_area: String,
    /// "0" for an adult, "1" for a child.
    pub is_child: String,
    pub budget: String,
    pub budget_period: String,
    pub holding: String,
    pub mm_provider_id: String,
    pub start_date: Option<Date>,
}

impl DpDraft {
    /// Read the record form: every field's failure at once. `areas` is the service-area list
    /// in use (the defaults or the council's own).
    pub fn parse(input: &DpInput, areas: &[String]) -> Result<DpDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        if input.person_ref.trim().is_empty() {
            e.add("person_ref", "Enter the person's case reference");
        } else if !valid_person_ref(&input.person_ref) {
            e.add("person_ref", PERSON_REF_MESSAGE);
        }
        if !areas.iter().any(|a| a == &input.service_area) {
            e.add("service_area", "Choose the funding service area");
        }
        let is_child = match input.is_child.as_str() {
            "0" => Some(false),
            "1" => Some(true),
            _ => {
                e.add("is_child", "Choose whether this is an adult's or a child's direct payment");
                None
            }
        };
        let budget = input.budget.trim();
        let budget_pence = if budget.is_empty() {
            e.add("budget", "Enter the budget");
            None
        } else {
            match parse_money(budget) {
                Some(b) => e.check(check_budget(b).map(|()| b)),
                None => {
                    e.add("budget", "The budget must be an amount of money, like 250.00");
                    None
                }
            }
        };
        let budget_period = e.check(
            input
                .budget_period
                .parse::<BudgetPeriod>()
                .map_err(|_| FieldError::new("budget_period", "Choose the period the budget covers")),
        );
        let holding =
            e.check(input.holding.parse::<Holding>().map_err(|_| FieldError::new("holding", "Choose how the direct payment is held")));
        let mm = Some(input.mm_provider_id.trim().to_string()).filter(|s| !s.is_empty());
        if holding == Some(Holding::ManagedAccount) && mm.is_none() {
            e.add("mm_provider_id", MM_MESSAGE);
        }
        if input.start_date.is_none() {
            e.add("start_date", "Enter the start date");
        }
        match (is_child, budget_pence, budget_period, holding, input.start_date) {
            (Some(is_child), Some(budget_pence), Some(budget_period), Some(holding), Some(start_date)) if e.is_empty() => DpDraft {
                person_ref: input.person_ref.clone(),
                service_area: input.service_area.clone(),
                is_child,
                budget_pence,
                budget_period,
                holding,
                mm_provider_id: mm,
                start_date,
            }
            .validated(areas),
            _ => Err(e),
        }
    }

    /// The rules that do not need the database: the reference is not a name, the service area
    /// is one in use, the budget is positive and sane, a managed account names its money
    /// management company. The draft comes back as stored: the reference trimmed and
    /// upper-cased, and a company only for a managed account.
    pub fn validated(&self, areas: &[String]) -> Result<DpDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        for f in validate_draft(self, areas) {
            e.add(f.field, f.message);
        }
        let mm = match self.holding {
            Holding::ManagedAccount => self.mm_provider_id.clone().filter(|s| !s.trim().is_empty()),
            _ => None,
        };
        e.into_result(DpDraft { person_ref: normalise_person_ref(&self.person_ref), mm_provider_id: mm, ..self.clone() })
    }
}

const PERSON_REF_MESSAGE: &str =
    "Enter the person's case reference (letters, numbers, - or /, up to 20 characters, with at least one number), not their name";
const MM_MESSAGE: &str = "Choose the money management company that holds the managed account";

fn check_budget(pence: i64) -> Result<(), FieldError> {
    if pence <= 0 {
        Err(FieldError::new("budget", "The budget must be more than £0: enter the amount agreed in the support plan"))
    } else if pence > MAX_BUDGET_PENCE {
        Err(FieldError::new("budget", "The budget must be less than £1,000,000 for the period"))
    } else {
        Ok(())
    }
}

/// Check a DP against the rules that do not need the database (see [`DpDraft::validated`]).
pub fn validate_draft(d: &DpDraft, areas: &[String]) -> Vec<FieldError> {
    let mut e = Vec::new();
    if !valid_person_ref(&d.person_ref) {
        e.push(FieldError::new("person_ref", PERSON_REF_MESSAGE));
    }
    if !areas.iter().any(|a| a == &d.service_area) {
        e.push(FieldError::new("service_area", "Choose the funding service area"));
    }
    if let Err(f) = check_budget(d.budget_pence) {
        e.push(f);
    }
    if d.holding == Holding::ManagedAccount && d.mm_provider_id.as_deref().unwrap_or("").trim().is_empty() {
        e.push(FieldError::new("mm_provider_id", MM_MESSAGE));
    }
    e
}

/// The end form as typed: the date (read by the caller) and the closure reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndInput {
    pub end_date: Option<Date>,
    pub closure_reason: String,
}

impl EndInput {
    /// What can be checked before the record is read: a reason is chosen and the end is not
    /// in the future.
    pub fn parse(&self, today: Date) -> Result<(Date, String), FieldErrors> {
        let mut e = FieldErrors::new();
        let reason = self.closure_reason.trim();
        if reason.is_empty() {
            e.add("closure_reason", "Choose why the direct payment ended");
        }
        match self.end_date {
            None => e.add("end_date", "Enter the end date"),
            Some(end) if end > today => e.add("end_date", "The end date must be today or in the past"),
            Some(_) => {}
        }
        match self.end_date {
            Some(end) if e.is_empty() => Ok((end, reason.to_string())),
            _ => Err(e),
        }
    }
}

/// Whether a DP that started on `start` (and ended on `ended`, if it has) may end on `end` for
/// `reason`: not already ended, not before the start or the last recorded spend, not in the
/// future, and for one of the closure reasons in use.
pub fn check_end(
    start: Date,
    ended: Option<Date>,
    last_spend: Option<Date>,
    end: Date,
    reason: &str,
    reasons: &[String],
    today: Date,
) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    if ended.is_some() {
        e.add("end_date", "This direct payment has already ended");
    }
    if end < start {
        e.add("end_date", format!("The end date must be on or after the start date ({start})"));
    }
    if let Some(ls) = last_spend
        && ls > end
    {
        e.add("end_date", format!("Spend is recorded up to {ls}: the end date cannot be before it"));
    }
    if end > today {
        e.add("end_date", "The end date must be today or in the past");
    }
    if !reasons.iter().any(|r| r == reason) {
        e.add("closure_reason", "Choose why the direct payment ended");
    }
    e.into_result(())
}

/// Spend can only be recorded against a DP that was open on the day of the spend.
pub fn spend_allowed(start: Date, end: Option<Date>, on: Date) -> Result<(), String> {
    if on < start {
        return Err(format!("the direct payment started on {start}, after this spend"));
    }
    if let Some(end) = end
        && on > end
    {
        return Err(format!("the direct payment closed on {end}: spend after closure cannot be recorded"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn draft() -> DpDraft {
        DpDraft {
            person_ref: "AB12345".into(),
            service_area: "older_people".into(),
            is_child: false,
            budget_pence: 25_000,
            budget_period: BudgetPeriod::Weekly,
            holding: Holding::OwnAccount,
            mm_provider_id: None,
            start_date: Date::constant(2024, 4, 1),
        }
    }

    fn areas() -> Vec<String> {
        super::super::SERVICE_AREAS.iter().map(|(c, _)| c.to_string()).collect()
    }

    fn input() -> DpInput {
        DpInput {
            person_ref: " ab12345 ".into(),
            service_area: "older_people".into(),
            is_child: "0".into(),
            budget: "£250.00".into(),
            budget_period: "weekly".into(),
            holding: "own_account".into(),
            mm_provider_id: "company-1".into(),
            start_date: Some(Date::constant(2024, 4, 1)),
        }
    }

    fn fields(e: &FieldErrors) -> Vec<&str> {
        e.0.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn negative_and_zero_budgets_are_refused() {
        assert!(validate_draft(&draft(), &areas()).is_empty());
        for b in [0, -1, -25_000] {
            let e = validate_draft(&DpDraft { budget_pence: b, ..draft() }, &areas());
            assert_eq!(e.len(), 1);
            assert_eq!(e[0].field, "budget");
        }
        let e = validate_draft(&DpDraft { budget_pence: MAX_BUDGET_PENCE + 1, ..draft() }, &areas());
        assert_eq!(e[0].message, "The budget must be less than £1,000,000 for the period");
    }

    #[test]
    fn managed_account_needs_a_company_and_names_are_refused() {
        let e = validate_draft(&DpDraft { holding: Holding::ManagedAccount, ..draft() }, &areas());
        assert_eq!(e[0].field, "mm_provider_id");
        let e = validate_draft(&DpDraft { person_ref: "Jane Smith".into(), ..draft() }, &areas());
        assert_eq!(e[0].field, "person_ref");
    }

    #[test]
    fn the_form_is_read_into_a_draft_as_stored() {
        let d = DpDraft::parse(&input(), &areas()).expect("valid");
        assert_eq!(d.person_ref, "AB12345");
        assert_eq!(d.budget_pence, 25_000);
        // A company chosen for an account the person holds is dropped.
        assert_eq!(d.mm_provider_id, None);
        let managed = DpDraft::parse(&DpInput { holding: "managed_account".into(), ..input() }, &areas()).expect("valid");
        assert_eq!(managed.mm_provider_id.as_deref(), Some("company-1"));
    }

    #[test]
    fn every_failure_of_the_form_at_once() {
        let blank = DpInput::default();
        let e = DpDraft::parse(&blank, &areas()).expect_err("blank");
        assert_eq!(fields(&e), ["person_ref", "service_area", "is_child", "budget", "budget_period", "holding", "start_date"]);
        assert_eq!(e.0[0].message, "Enter the person's case reference");
        let e = DpDraft::parse(&DpInput { budget: "-250".into(), ..input() }, &areas()).expect_err("negative");
        assert_eq!(e.0[0].message, "The budget must be more than £0: enter the amount agreed in the support plan");
        let e = DpDraft::parse(&DpInput { budget: "lots".into(), person_ref: "Jane Smith".into(), ..input() }, &areas()).expect_err("two");
        assert_eq!(fields(&e), ["person_ref", "budget"]);
        assert!(e.0[0].message.ends_with("not their name"));
    }

    #[test]
    fn ending_a_direct_payment() {
        let reasons: Vec<String> = super::super::CLOSURE_REASONS.iter().map(|(c, _)| c.to_string()).collect();
        let s = Date::constant(2024, 4, 1);
        let today = Date::constant(2024, 12, 1);
        let end = |ended, last, on, reason: &str| check_end(s, ended, last, on, reason, &reasons, today);
        let e = end(None, None, Date::constant(2024, 3, 31), "deceased").expect_err("before start");
        assert_eq!(e.0[0].message, "The end date must be on or after the start date (2024-04-01)");
        assert!(end(None, None, s, "deceased").is_ok());
        assert_eq!(end(None, None, s, "nonsense").expect_err("reason").0[0].field, "closure_reason");
        let e = end(None, Some(Date::constant(2024, 6, 1)), Date::constant(2024, 5, 1), "other").expect_err("spend after");
        assert_eq!(e.0[0].message, "Spend is recorded up to 2024-06-01: the end date cannot be before it");
        let e = end(Some(s), None, s, "other").expect_err("ended");
        assert_eq!(e.0[0].message, "This direct payment has already ended");
        assert!(end(None, None, Date::constant(2024, 12, 2), "other").is_err());
        let form = EndInput { end_date: Some(Date::constant(2025, 1, 1)), closure_reason: String::new() };
        let e = form.parse(today).expect_err("future, no reason");
        assert_eq!(fields(&e), ["closure_reason", "end_date"]);
        assert_eq!(EndInput { end_date: Some(s), closure_reason: "deceased".into() }.parse(today), Ok((s, "deceased".into())));
    }

    #[test]
    fn spend_only_while_open() {
        let s = Date::constant(2024, 4, 1);
        assert!(spend_allowed(s, Some(Date::constant(2024, 6, 30)), Date::constant(2024, 7, 1)).is_err());
        assert!(spend_allowed(s, Some(Date::constant(2024, 6, 30)), Date::constant(2024, 6, 30)).is_ok());
        assert!(spend_allowed(s, None, Date::constant(2024, 3, 1)).is_err());
    }

    #[test]
    fn budget_periods_convert() {
        assert_eq!(BudgetPeriod::Weekly.annual_pence(10_000), 520_000);
        assert_eq!(BudgetPeriod::Annual.weekly_pence(520_000), 10_000);
        // £1,000 every four weeks is £13,000 a year, £250 a week.
        assert_eq!(BudgetPeriod::FourWeekly.weekly_pence(100_000), 25_000);
        assert_eq!(BudgetPeriod::Monthly.annual_pence(100), 1_200);
    }

    proptest! {
        #[test]
        fn weekly_of_weekly_is_identity(p in 0i64..100_000_000) {
            prop_assert_eq!(BudgetPeriod::Weekly.weekly_pence(p), p);
        }
    }
}
