//! Providers' requests for fee increases outside the annual uplift (`000`: "a process has been
//! developed for all fee increase requests outside this process to support consistency and
//! market management"): recorded with the provider's reason, then agreed (a new rate version
//! from a date) or refused, always with the council's reason.

use super::rates::{MAX_REASON_LEN, RateCategory};
use crate::register::ServiceKind;
use crate::{Date, FieldErrors};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Open,
    Agreed,
    Refused,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 3] = [RequestStatus::Open, RequestStatus::Agreed, RequestStatus::Refused];
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Open => "open",
            RequestStatus::Agreed => "agreed",
            RequestStatus::Refused => "refused",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::Open => "Open",
            RequestStatus::Agreed => "Agreed",
            RequestStatus::Refused => "Refused",
        }
    }
    pub fn parse(s: &str) -> Option<RequestStatus> {
        RequestStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::str::FromStr for RequestStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        RequestStatus::parse(s).ok_or(())
    }
}

/// A request as recorded by an officer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeeRequestDraft {
    pub provider_id: String,
    pub kind: Option<ServiceKind>,
    pub category: Option<RateCategory>,
    pub requested: String,
    pub received_on: Option<Date>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewFeeRequest {
    pub provider_id: String,
    pub kind: ServiceKind,
    pub category: RateCategory,
    pub requested_pence: i64,
    pub received_on: Date,
    pub reason: String,
}

impl FeeRequestDraft {
    pub fn check(&self, today: Date) -> Result<NewFeeRequest, FieldErrors> {
        let mut e = FieldErrors::new();
        if self.provider_id.trim().is_empty() {
            e.add("provider_id", "Choose the provider asking for the increase");
        }
        if self.kind.is_none() {
            e.add("kind", "Choose the type of service");
        }
        if self.category.is_none() {
            e.add("category", "Choose which rate the provider wants increased");
        }
        let requested = e.check(super::parse_pounds("requested", "rate asked for", &self.requested));
        match self.received_on {
            None => e.add("received_on", "Enter the date the request was received"),
            Some(d) if d > today => e.add("received_on", "The date received cannot be in the future"),
            _ => {}
        }
        let reason = crate::text::tidy(&self.reason);
        if reason.is_empty() {
            e.add("reason", "Enter the provider's reason for asking");
        } else if reason.chars().count() > MAX_REASON_LEN {
            e.add("reason", format!("The reason must be {MAX_REASON_LEN} characters or fewer"));
        }
        let (Some(kind), Some(category), Some(requested_pence), Some(received_on)) =
            (self.kind, self.category, requested, self.received_on)
        else {
            return Err(e);
        };
        e.into_result(NewFeeRequest {
            provider_id: self.provider_id.trim().to_string(),
            kind,
            category,
            requested_pence,
            received_on,
            reason,
        })
    }
}

/// The council's decision on an open request.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestDecision {
    /// Agreed at an amount (perhaps less than asked) from a date.
    Agree {
        amount_pence: i64,
        effective_from: Date,
        reason: String,
    },
    Refuse {
        reason: String,
    },
}

impl RequestDecision {
    /// Read a decision: `decision` "agree" or "refuse", the council's `reason` (always), and
    /// for an agreement the amount and the date it takes effect (not before the request came).
    pub fn parse(
        decision: &str,
        amount: &str,
        effective_from: Option<Date>,
        reason: &str,
        received_on: Date,
    ) -> Result<RequestDecision, FieldErrors> {
        let mut e = FieldErrors::new();
        let reason = crate::text::tidy(reason);
        let agree = match decision {
            "agree" => Some(true),
            "refuse" => Some(false),
            _ => {
                e.add("decision", "Choose whether the increase is agreed or refused");
                None
            }
        };
        let mut out = None;
        if agree == Some(true) {
            let amount = e.check(super::parse_pounds("amount", "agreed rate", amount));
            match effective_from {
                None => e.add("effective_from", "Enter the date the agreed rate takes effect"),
                Some(d) if d < received_on => e.add("effective_from", "The agreed rate cannot take effect before the request was received"),
                _ => {}
            }
            if let (Some(a), Some(d)) = (amount, effective_from) {
                out = Some(RequestDecision::Agree { amount_pence: a, effective_from: d, reason: reason.clone() });
            }
        } else if agree == Some(false) {
            out = Some(RequestDecision::Refuse { reason: reason.clone() });
        }
        if reason.is_empty() {
            e.add("decision_reason", "Enter the reason for the decision");
        } else if reason.chars().count() > MAX_REASON_LEN {
            e.add("decision_reason", format!("The reason must be {MAX_REASON_LEN} characters or fewer"));
        }
        match out {
            Some(d) => e.into_result(d),
            None => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_request_needs_every_field_and_a_decision_needs_a_reason() {
        let e = FeeRequestDraft::default().check(date(2025, 1, 1)).expect_err("empty");
        assert_eq!(
            e.0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["provider_id", "kind", "category", "requested", "received_on", "reason"]
        );
        let ok = FeeRequestDraft {
            provider_id: "p".into(),
            kind: Some(ServiceKind::HomeCare),
            category: Some(RateCategory::Hourly),
            requested: "24.50".into(),
            received_on: Some(date(2024, 9, 2)),
            reason: "Fuel costs for rural rounds".into(),
        }
        .check(date(2025, 1, 1))
        .expect("valid");
        assert_eq!(ok.requested_pence, 2450);

        let e = RequestDecision::parse("agree", "", Some(date(2024, 8, 1)), " ", date(2024, 9, 2)).expect_err("bad");
        assert_eq!(e.0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["amount", "effective_from", "decision_reason"]);
        let d = RequestDecision::parse("agree", "23.75", Some(date(2024, 10, 1)), "Evidence of costs accepted", date(2024, 9, 2))
            .expect("agreed");
        assert_eq!(
            d,
            RequestDecision::Agree { amount_pence: 2375, effective_from: date(2024, 10, 1), reason: "Evidence of costs accepted".into() }
        );
        let d = RequestDecision::parse("refuse", "", None, "Within the annual uplift", date(2024, 9, 2)).expect("refused");
        assert_eq!(d, RequestDecision::Refuse { reason: "Within the annual uplift".into() });
        assert_eq!(RequestDecision::parse("", "", None, "x", date(2024, 9, 2)).expect_err("none").0[0].field, "decision");
    }
}
