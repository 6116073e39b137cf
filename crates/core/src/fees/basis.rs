//! Each contract's payment basis (domain C7): Sheffield pays home care on planned hours (`000`);
//! others pay delivered time capped at planned; Leicester pays at least 30 minutes for every call
//! (`004`); and a contract says how a second carer on a double-handed call is paid.

use crate::{FieldErrors, direct_payments::money::div_round};
use serde::Serialize;

/// What a visit's paid time is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PayOn {
    /// Planned time, whatever was delivered (a missed visit is not paid).
    PlannedHours,
    /// Delivered time, never more than planned.
    DeliveredCapped,
    /// Delivered time as recorded.
    Delivered,
}

impl PayOn {
    pub const ALL: [PayOn; 3] = [PayOn::PlannedHours, PayOn::DeliveredCapped, PayOn::Delivered];
    pub fn as_str(self) -> &'static str {
        match self {
            PayOn::PlannedHours => "planned_hours",
            PayOn::DeliveredCapped => "delivered_capped",
            PayOn::Delivered => "delivered",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            PayOn::PlannedHours => "Planned hours",
            PayOn::DeliveredCapped => "Delivered time, capped at planned",
            PayOn::Delivered => "Delivered time",
        }
    }
    pub fn parse(s: &str) -> Option<PayOn> {
        PayOn::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::str::FromStr for PayOn {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        PayOn::parse(s).ok_or(())
    }
}

/// How the second carer on a double-handed visit is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SecondCarer {
    /// At the full rate, like the first.
    FullRate,
    /// At a share of the rate, in basis points (7,500 = 75%).
    Share(i64),
    /// Not paid separately (the rate covers both).
    NotPaid,
}

impl SecondCarer {
    pub fn as_str(self) -> &'static str {
        match self {
            SecondCarer::FullRate => "full_rate",
            SecondCarer::Share(_) => "share",
            SecondCarer::NotPaid => "not_paid",
        }
    }
    pub fn share_bp(self) -> Option<i64> {
        match self {
            SecondCarer::Share(bp) => Some(bp),
            _ => None,
        }
    }
    pub fn from_parts(kind: &str, share_bp: Option<i64>) -> Option<SecondCarer> {
        match (kind, share_bp) {
            ("full_rate", _) => Some(SecondCarer::FullRate),
            ("not_paid", _) => Some(SecondCarer::NotPaid),
            ("share", Some(bp)) => Some(SecondCarer::Share(bp)),
            _ => None,
        }
    }
    pub fn text(self) -> String {
        match self {
            SecondCarer::FullRate => "At the full rate".into(),
            SecondCarer::Share(bp) => format!("At {} of the rate", super::percent_text(bp)),
            SecondCarer::NotPaid => "Not paid separately".into(),
        }
    }
}

/// A contract's payment basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PaymentBasis {
    pub pay_on: PayOn,
    /// Every delivered call is paid at least this long (`004`: 30 minutes).
    pub minimum_call_minutes: Option<i64>,
    pub second_carer: SecondCarer,
}

impl PaymentBasis {
    /// Read the form's fields: `pay_on`, `minimum_call_minutes` (blank for none),
    /// `second_carer` and, for a share, `second_carer_share` (a percentage).
    pub fn parse(pay_on: &str, minimum: &str, second: &str, share: &str) -> Result<PaymentBasis, FieldErrors> {
        let mut e = FieldErrors::new();
        let pay_on = PayOn::parse(pay_on);
        if pay_on.is_none() {
            e.add("pay_on", "Choose what the contract pays on");
        }
        let minimum = minimum.trim();
        let minimum_call_minutes = if minimum.is_empty() {
            None
        } else {
            match minimum.parse::<i64>() {
                Ok(m) if (1..=240).contains(&m) => Some(m),
                _ => {
                    e.add("minimum_call_minutes", "The minimum paid call length must be a whole number of minutes from 1 to 240, or blank");
                    None
                }
            }
        };
        let second_carer = match second {
            "full_rate" => Some(SecondCarer::FullRate),
            "not_paid" => Some(SecondCarer::NotPaid),
            "share" => e.check(super::parse_percent_bp("second_carer_share", "The second carer's share", share)).map(SecondCarer::Share),
            _ => {
                e.add("second_carer", "Choose how a second carer is paid");
                None
            }
        };
        let (Some(pay_on), Some(second_carer)) = (pay_on, second_carer) else { return Err(e) };
        e.into_result(PaymentBasis { pay_on, minimum_call_minutes, second_carer })
    }

    /// The minutes a visit is paid for, for one carer: planned minutes, or delivered (`None`
    /// when missed) capped or not, then raised to the minimum call length when delivered.
    pub fn paid_minutes(&self, planned: i64, delivered: Option<i64>) -> i64 {
        let Some(actual) = delivered else { return 0 };
        let base = match self.pay_on {
            PayOn::PlannedHours => planned,
            PayOn::DeliveredCapped => actual.min(planned),
            PayOn::Delivered => actual,
        };
        base.max(self.minimum_call_minutes.unwrap_or(0))
    }

    /// A visit's pay in pence at `rate_pence` an hour with `carers` carers: paid minutes × rate
    /// ÷ 60 for the first carer, and the second carer's share for each further one, rounded to
    /// the penny (halves up) once, at the end.
    pub fn visit_pence(&self, rate_pence: i64, planned: i64, delivered: Option<i64>, carers: i64) -> i64 {
        let minutes = self.paid_minutes(planned, delivered);
        let extra = (carers - 1).max(0);
        let extra_bp = match self.second_carer {
            SecondCarer::FullRate => 10_000,
            SecondCarer::Share(bp) => bp,
            SecondCarer::NotPaid => 0,
        };
        let carer_bp = 10_000 + extra * extra_bp;
        div_round(rate_pence * minutes * carer_bp, 60 * 10_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leicester_pays_at_least_thirty_minutes_for_every_call() {
        let b = PaymentBasis::parse("delivered_capped", "30", "full_rate", "").expect("valid");
        assert_eq!(b.paid_minutes(15, Some(12)), 30);
        assert_eq!(b.paid_minutes(45, Some(50)), 45, "capped at planned");
        assert_eq!(b.paid_minutes(45, None), 0, "a missed call is not paid");
        // £19.23 an hour, a 30-minute call, two carers at the full rate: 2 × £9.615 = £19.23.
        assert_eq!(b.visit_pence(1923, 15, Some(12), 2), 1923);
    }

    #[test]
    fn sheffield_pays_on_planned_hours() {
        let b = PaymentBasis::parse("planned_hours", "", "share", "50").expect("valid");
        assert_eq!(b.paid_minutes(60, Some(40)), 60);
        // £22.96 an hour, 60 minutes, a second carer at half: £22.96 × 1.5 = £34.44.
        assert_eq!(b.visit_pence(2296, 60, Some(40), 2), 3444);
        let d = PaymentBasis::parse("delivered", "", "not_paid", "").expect("valid");
        assert_eq!(d.paid_minutes(30, Some(41)), 41);
        assert_eq!(d.visit_pence(2296, 30, Some(30), 2), 1148);
    }

    #[test]
    fn each_problem_is_named() {
        let e = PaymentBasis::parse("", "abc", "share", "").expect_err("bad");
        assert_eq!(e.0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["pay_on", "minimum_call_minutes", "second_carer_share"]);
        let e = PaymentBasis::parse("planned_hours", "0", "", "").expect_err("bad");
        assert_eq!(e.0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["minimum_call_minutes", "second_carer"]);
    }
}
