//! Money management companies on the Recognised Provider List (`001` workstream 3): their
//! annual quality assurance, removal from the list, and Individual Service Funds held by
//! providers.

use super::{BudgetPeriod, Choice, code_enum, normalise_person_ref, not_future, parse_amount, valid_person_ref};
use crate::{Date, FieldError, FieldErrors};

pub const QA_RESULTS: [Choice; 3] = [
    ("meets", "Meets the RPL standards"),
    ("meets_with_actions", "Meets the standards with actions"),
    ("does_not_meet", "Does not meet the standards"),
];

code_enum!(
    /// The result of a company's quality assurance ([`QA_RESULTS`]).
    QaResult, QA_RESULTS, {
        Meets = "meets",
        MeetsWithActions = "meets_with_actions",
        DoesNotMeet = "does_not_meet",
    }
);

/// Quality assurance is due a year after the last one.
pub fn qa_due(last: Option<Date>) -> Option<Date> {
    last.and_then(|d| d.checked_add(jiff::Span::new().years(1)).ok())
}

/// A company on the list is overdue when it has never been assured or its next is past.
pub fn qa_overdue(on_list: bool, due: Option<Date>, today: Date) -> bool {
    on_list && due.is_none_or(|d| d < today)
}

/// A quality assurance as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQa {
    pub assessed_on: Date,
    pub result: QaResult,
    pub notes: Option<String>,
}

impl NewQa {
    /// `assessed_on` is `None` when the form's date could not be read (the caller says why).
    pub fn parse(assessed_on: Option<Date>, result: &str, notes: Option<&str>, today: Date) -> Result<NewQa, FieldErrors> {
        let mut e = FieldErrors::new();
        let on = match assessed_on {
            Some(on) => e.check(not_future("assessed_on", on, today)),
            None => {
                e.add("assessed_on", "Enter the date of the quality assurance");
                None
            }
        };
        let result =
            e.check(result.parse::<QaResult>().map_err(|_| FieldError::new("result", "Choose the result of the quality assurance")));
        match (on, result) {
            (Some(assessed_on), Some(result)) if e.is_empty() => {
                Ok(NewQa { assessed_on, result, notes: notes.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string) })
            }
            _ => Err(e),
        }
    }
}

/// Why a company is being removed from the list: required.
pub fn removal_reason(reason: &str) -> Result<String, FieldError> {
    let r = reason.trim();
    if r.is_empty() { Err(FieldError::new("reason", "Enter why the company is being removed from the list")) } else { Ok(r.to_string()) }
}

/// An Individual Service Fund as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsfDraft {
    pub person_ref: String,
    pub provider_id: String,
    pub budget_pence: i64,
    pub budget_period: BudgetPeriod,
    pub start_date: Date,
}

/// The ISF form as typed; the start date read by the caller (`None` when it could not be).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IsfInput {
    pub person_ref: String,
    pub provider_id: String,
    pub budget: String,
    pub budget_period: String,
    pub start_date: Option<Date>,
}

impl IsfDraft {
    pub fn parse(input: &IsfInput) -> Result<IsfDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        if input.person_ref.trim().is_empty() {
            e.add("person_ref", "Enter the person's case reference");
        }
        if input.provider_id.trim().is_empty() {
            e.add("provider_id", "Choose the provider holding the fund");
        }
        let budget = e.check(parse_amount("budget", "The budget", &input.budget, false));
        let period = e.check(
            input
                .budget_period
                .parse::<BudgetPeriod>()
                .map_err(|_| FieldError::new("budget_period", "Choose the period the budget covers")),
        );
        if input.start_date.is_none() {
            e.add("start_date", "Enter the start date");
        }
        let draft = match (budget, period, input.start_date) {
            (Some(budget_pence), Some(budget_period), Some(start_date)) => IsfDraft {
                person_ref: input.person_ref.clone(),
                provider_id: input.provider_id.trim().to_string(),
                budget_pence,
                budget_period,
                start_date,
            },
            _ => return Err(e),
        };
        match draft.validated() {
            Ok(d) if e.is_empty() => Ok(d),
            Ok(_) => Err(e),
            Err(more) => {
                more.0.into_iter().for_each(|f| e.add(f.field, f.message));
                Err(e)
            }
        }
    }

    /// The fund names a case reference (not a name) and a budget of more than nothing; the
    /// reference comes back as stored.
    pub fn validated(&self) -> Result<IsfDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        if !valid_person_ref(&self.person_ref) {
            e.add("person_ref", "Enter the person's case reference, not their name");
        }
        if self.budget_pence <= 0 {
            e.add("budget", "The budget must be more than £0");
        }
        e.into_result(IsfDraft { person_ref: normalise_person_ref(&self.person_ref), ..self.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::constant(y, m, day)
    }

    #[test]
    fn quality_assurance_is_annual() {
        let last = d(2024, 2, 1);
        assert_eq!(qa_due(Some(last)), Some(d(2025, 2, 1)));
        assert!(qa_overdue(true, qa_due(Some(last)), d(2025, 3, 1)));
        assert!(!qa_overdue(true, qa_due(Some(last)), d(2025, 2, 1)));
        assert!(qa_overdue(true, None, d(2025, 2, 1)));
        assert!(!qa_overdue(false, None, d(2025, 2, 1)));
    }

    #[test]
    fn recording_quality_assurance() {
        let today = d(2025, 1, 1);
        let qa = NewQa::parse(Some(d(2024, 6, 1)), "meets", Some("  "), today).expect("valid");
        assert_eq!((qa.result, qa.notes), (QaResult::Meets, None));
        let e = NewQa::parse(Some(d(2025, 1, 2)), "great", None, today).expect_err("bad");
        assert_eq!(e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["assessed_on", "result"]);
        assert!(removal_reason("  ").is_err());
        assert_eq!(removal_reason(" Failed QA "), Ok("Failed QA".into()));
    }

    #[test]
    fn isfs() {
        let input = IsfInput {
            person_ref: " is500 ".into(),
            provider_id: "p".into(),
            budget: "900".into(),
            budget_period: "monthly".into(),
            start_date: Some(d(2024, 4, 1)),
        };
        let isf = IsfDraft::parse(&input).expect("valid");
        assert_eq!((isf.person_ref.as_str(), isf.budget_pence, isf.budget_period), ("IS500", 90_000, BudgetPeriod::Monthly));
        let e = IsfDraft::parse(&IsfInput { budget: "-10".into(), ..input.clone() }).expect_err("negative");
        assert_eq!(e.0[0].message, "The budget cannot be negative");
        let e = IsfDraft::parse(&IsfInput { person_ref: "Jane Smith".into(), ..input }).expect_err("name");
        assert_eq!(e.0[0].message, "Enter the person's case reference, not their name");
        let zero = IsfDraft { budget_pence: 0, ..isf };
        assert_eq!(zero.validated().expect_err("zero").0[0].field, "budget");
    }
}
