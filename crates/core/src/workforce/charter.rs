//! UNISON's Ethical Care Charter (`004`, appendix 2): its twelve elements in three stages, the
//! council's position on each (agreed, working towards, not accepted) and what a provider's
//! workforce returns and planned visits say against the elements that can be measured.

use super::{LivingWageRate, Quarter, WorkforceReturn, living_wage_for, percent_text, permille};
use serde::Serialize;

/// What a provider's records can say about an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Measure {
    /// Stage 1.2: no 15-minute visits (from planned visits).
    NoShortVisits,
    /// Stage 2.1: the same care workers wherever possible (from care monitoring).
    Continuity,
    /// Stage 2.2: zero-hours contracts not used in place of permanent contracts.
    ZeroHours,
    /// Stage 3.1: paid at least the real Living Wage.
    LivingWage,
    /// Stage 3.2: an occupational sick pay scheme.
    SickPay,
}

/// One element of the charter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Element {
    /// "1.2": stage and number, as the charter's tables number them.
    pub key: &'static str,
    pub stage: u8,
    pub text: &'static str,
    pub measure: Option<Measure>,
}

/// The twelve elements as the charter words them (`004`, appendix 2).
pub const ELEMENTS: [Element; 12] = [
    Element {
        key: "1.1",
        stage: 1,
        text: "The starting point for commissioning of visits will be client need and not minutes or tasks. Workers will have the freedom to provide appropriate care and will be given time to talk to their clients.",
        measure: None,
    },
    Element {
        key: "1.2",
        stage: 1,
        text: "The time allocated to visits will match the needs of the clients. In general, 15-minute visits will not be used as they undermine the dignity of the clients.",
        measure: Some(Measure::NoShortVisits),
    },
    Element {
        key: "1.3",
        stage: 1,
        text: "Homecare workers will be paid for their travel time, their travel costs and other necessary expenses such as mobile phones.",
        measure: None,
    },
    Element {
        key: "1.4",
        stage: 1,
        text: "Visits will be scheduled so that homecare workers are not forced to rush their time with clients or leave their clients early to get to the next one on time.",
        measure: None,
    },
    Element { key: "1.5", stage: 1, text: "Those homecare workers who are eligible must be paid statutory sick pay.", measure: None },
    Element {
        key: "2.1",
        stage: 2,
        text: "Clients will be allocated the same homecare worker(s) wherever possible.",
        measure: Some(Measure::Continuity),
    },
    Element {
        key: "2.2",
        stage: 2,
        text: "Zero hour contracts will not be used in place of permanent contracts.",
        measure: Some(Measure::ZeroHours),
    },
    Element {
        key: "2.3",
        stage: 2,
        text: "Providers will have a clear and accountable procedure for following up staff concerns about their clients' wellbeing.",
        measure: None,
    },
    Element {
        key: "2.4",
        stage: 2,
        text: "All homecare workers will be regularly trained to the necessary standard to provide a good service (at no cost to themselves and in work time).",
        measure: None,
    },
    Element {
        key: "2.5",
        stage: 2,
        text: "Homecare workers will be given the opportunity to regularly meet co-workers to share best practice and limit their isolation.",
        measure: None,
    },
    Element {
        key: "3.1",
        stage: 3,
        text: "All homecare workers will be paid at least the Living Wage. If Council employed homecare workers paid above this rate are outsourced it should be on the basis that the provider is required, and is funded, to maintain these pay levels throughout the contract.",
        measure: Some(Measure::LivingWage),
    },
    Element {
        key: "3.2",
        stage: 3,
        text: "All homecare workers will be covered by an occupational sick pay scheme to ensure that staff do not feel pressurised to work when they are ill in order to protect the welfare of their vulnerable clients.",
        measure: Some(Measure::SickPay),
    },
];

pub fn element(key: &str) -> Option<&'static Element> {
    ELEMENTS.iter().find(|e| e.key == key)
}

/// The council's position on an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Position {
    Agreed,
    WorkingTowards,
    NotAccepted,
}

impl Position {
    pub const ALL: [Position; 3] = [Position::Agreed, Position::WorkingTowards, Position::NotAccepted];
    pub fn as_str(self) -> &'static str {
        match self {
            Position::Agreed => "agreed",
            Position::WorkingTowards => "working_towards",
            Position::NotAccepted => "not_accepted",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Position::Agreed => "Agreed",
            Position::WorkingTowards => "Working towards",
            Position::NotAccepted => "Not accepted",
        }
    }
    pub fn parse(s: &str) -> Option<Position> {
        Position::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }
}

/// A check of an element against a provider's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    Met,
    NotMet,
    /// No records to judge by (no return, or no planned visits).
    NoRecords,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Met => "Met",
            Status::NotMet => "Not met",
            Status::NoRecords => "No records",
        }
    }
}

/// What one provider's records say against one measurable element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub key: &'static str,
    pub status: Status,
    pub detail: String,
}

/// Planned home care visits of a provider, as the no-15-minute-visits check reads them. A visit
/// of 15 minutes or less counts unless two carers were planned (to hoist, `004`) or it is at an
/// Extra Care scheme (the ECM import's `extra_care` column): those are counted apart and never
/// in `planned`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct VisitFacts {
    pub planned: i64,
    /// Planned for 15 minutes or less with one carer.
    pub short_single: i64,
    /// Planned for 15 minutes or less with two or more carers (allowed).
    pub short_double: i64,
    /// Planned at an Extra Care scheme (left out of the check, `004`).
    pub extra_care: i64,
}

/// The share of visits made by people's usual care workers (`crate::ecm::continuity`) at or
/// above which "the same homecare worker(s) wherever possible" is met: 80%.
pub const CONTINUITY_MET_BP: i64 = 8_000;

/// Check a provider's latest returns (one per service, all of one quarter) and visits against
/// the measurable elements, in the charter's order.
pub fn provider_checks(
    latest: &[&WorkforceReturn],
    rates: &[LivingWageRate],
    visits: Option<VisitFacts>,
    continuity: Option<crate::ecm::Continuity>,
) -> Vec<Check> {
    let mut out = Vec::new();
    let period: Option<Quarter> = latest.iter().map(|r| r.period).max();
    let no_return = || "No workforce return".to_string();
    for e in ELEMENTS.iter() {
        let Some(m) = e.measure else { continue };
        let (status, detail) = match m {
            Measure::NoShortVisits => match visits {
                Some(v) if v.planned > 0 => {
                    let left_out = if v.extra_care > 0 {
                        format!("; {} at Extra Care schemes left out", crate::text::count(v.extra_care, "visit", None))
                    } else {
                        String::new()
                    };
                    let (status, detail) = if v.short_single == 0 {
                        (
                            Status::Met,
                            format!(
                                "None of {} planned visits is 15 minutes or less with one carer{}",
                                v.planned,
                                if v.short_double > 0 {
                                    format!(" ({} two-carer visits of 15 minutes)", v.short_double)
                                } else {
                                    String::new()
                                }
                            ),
                        )
                    } else {
                        (
                            Status::NotMet,
                            format!(
                                "{} of {} planned visits {} 15 minutes or less with one carer",
                                v.short_single,
                                v.planned,
                                if v.short_single == 1 { "is" } else { "are" }
                            ),
                        )
                    };
                    (status, format!("{detail}{left_out}"))
                }
                Some(v) if v.extra_care > 0 => (
                    Status::NoRecords,
                    format!("Every planned visit ({}) is at an Extra Care scheme, where short visits are allowed", v.extra_care),
                ),
                _ => (Status::NoRecords, "No planned home care visits".to_string()),
            },
            Measure::Continuity => match continuity {
                Some(c) if c.visits > 0 => {
                    let bp = c.pooled_share_bp().unwrap_or(0);
                    let text = format!(
                        "{} of {} visits to {} people ({}) were by each person's {} usual care workers",
                        c.by_usual,
                        c.visits,
                        c.persons,
                        percent_text((bp + 5) / 10),
                        crate::ecm::USUAL_WORKERS
                    );
                    (if bp >= CONTINUITY_MET_BP { Status::Met } else { Status::NotMet }, text)
                }
                _ => (Status::NoRecords, "No care monitoring with care worker references".to_string()),
            },
            Measure::ZeroHours => {
                if latest.is_empty() {
                    (Status::NoRecords, no_return())
                } else {
                    let z: i64 = latest.iter().map(|r| r.zero_hours_staff).sum();
                    let g: i64 = latest.iter().map(|r| r.guaranteed_hours_staff).sum();
                    let staff: i64 = latest.iter().map(|r| r.staff()).sum();
                    let text = format!(
                        "{z} of {staff} staff ({}) on zero-hours contracts, {g} on guaranteed hours",
                        percent_text(permille(z, staff).unwrap_or(0))
                    );
                    // Zero-hours contracts used for fewer staff than have permanent (guaranteed or
                    // full-time) contracts: the rest of the staff.
                    (if z * 2 <= staff { Status::Met } else { Status::NotMet }, text)
                }
            }
            Measure::LivingWage => match period.and_then(|p| living_wage_for(rates, p)) {
                _ if latest.is_empty() => (Status::NoRecords, no_return()),
                None => (Status::NoRecords, "No real Living Wage rate recorded for the quarter".to_string()),
                Some(rate) => {
                    let lowest = latest.iter().map(|r| r.lowest_hourly_pay_pence).min().unwrap_or(0);
                    let text = format!(
                        "Lowest hourly pay £{}.{:02} against the real Living Wage of £{}.{:02} ({})",
                        lowest / 100,
                        lowest % 100,
                        rate.pence / 100,
                        rate.pence % 100,
                        rate.year
                    );
                    (if lowest >= rate.pence { Status::Met } else { Status::NotMet }, text)
                }
            },
            Measure::SickPay => {
                if latest.is_empty() {
                    (Status::NoRecords, no_return())
                } else {
                    let with = latest.iter().filter(|r| r.sick_pay).count();
                    let n = latest.len();
                    let text = if n == 1 {
                        format!("{with} of 1 service offers occupational sick pay")
                    } else {
                        format!("{with} of {n} services offer occupational sick pay")
                    };
                    (if with == latest.len() { Status::Met } else { Status::NotMet }, text)
                }
            }
        };
        out.push(Check { key: e.key, status, detail });
    }
    out
}
