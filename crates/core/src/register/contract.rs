use crate::{Date, FieldError};
use serde::{Deserialize, Serialize};

/// How the council buys from a service (`000`, `001`, `004`; domain C1). Framework services also
/// carry which framework and lot; money management companies sit on the Recognised Provider List.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    Framework,
    // serde uses the stored code; the aliases read JSON written before the two agreed.
    #[serde(rename = "dps", alias = "dynamic_purchasing_system")]
    DynamicPurchasingSystem,
    DirectAward,
    #[serde(rename = "spot", alias = "spot_purchase")]
    SpotPurchase,
    #[serde(rename = "block", alias = "block_contract")]
    BlockContract,
    InHouse,
    #[serde(rename = "rpl", alias = "recognised_provider_list")]
    RecognisedProviderList,
    NotContracted,
}

impl ContractStatus {
    pub const ALL: [ContractStatus; 8] = [
        ContractStatus::Framework,
        ContractStatus::DynamicPurchasingSystem,
        ContractStatus::DirectAward,
        ContractStatus::SpotPurchase,
        ContractStatus::BlockContract,
        ContractStatus::InHouse,
        ContractStatus::RecognisedProviderList,
        ContractStatus::NotContracted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Framework => "framework",
            ContractStatus::DynamicPurchasingSystem => "dps",
            ContractStatus::DirectAward => "direct_award",
            ContractStatus::SpotPurchase => "spot",
            ContractStatus::BlockContract => "block",
            ContractStatus::InHouse => "in_house",
            ContractStatus::RecognisedProviderList => "rpl",
            ContractStatus::NotContracted => "not_contracted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ContractStatus::Framework => "Framework",
            ContractStatus::DynamicPurchasingSystem => "Dynamic purchasing system",
            ContractStatus::DirectAward => "Direct award",
            ContractStatus::SpotPurchase => "Spot purchase",
            ContractStatus::BlockContract => "Block contract",
            ContractStatus::InHouse => "In-house",
            ContractStatus::RecognisedProviderList => "Recognised Provider List",
            ContractStatus::NotContracted => "Not contracted",
        }
    }

    pub fn parse(s: &str) -> Option<ContractStatus> {
        let s = s.trim();
        ContractStatus::ALL.into_iter().find(|k| k.as_str() == s || k.label().eq_ignore_ascii_case(s))
    }

    /// Whether the council has a contract of any kind with the service.
    pub fn is_contracted(self) -> bool {
        self != ContractStatus::NotContracted
    }

    /// Only framework services have a framework and lot.
    pub fn takes_framework(self) -> bool {
        self == ContractStatus::Framework
    }

    /// What a service's contract must name: its framework when the status takes one, no
    /// framework or lot otherwise, and a lot only within a framework.
    pub fn check_framework(self, framework_id: Option<&str>, lot_id: Option<&str>) -> Result<(), FieldError> {
        if self.takes_framework() && framework_id.is_none() {
            return Err(FieldError::new("framework_id", "Choose the framework this service is on"));
        }
        if !self.takes_framework() && (framework_id.is_some() || lot_id.is_some()) {
            return Err(FieldError::new(
                "framework_id",
                format!("A service on '{}' is not on a framework: clear the framework and lot", self.label()),
            ));
        }
        if lot_id.is_some() && framework_id.is_none() {
            return Err(FieldError::new("lot_id", "Choose a framework before a lot"));
        }
        Ok(())
    }
}

/// A recorded change of a service's contract status: the day it was made and the status before
/// and after (each edit of the council's fields and each framework membership change is one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractChange {
    pub on: Date,
    pub before: ContractStatus,
    pub after: ContractStatus,
}

/// The contract status a service had at the end of `day`, from its recorded changes (oldest
/// first) and its status now: the last change made on or before the day; before the first
/// change, the status that change replaced; with no changes, the status now. A change made
/// during a day counts for that day, as a report "as at" a date reads the end of it.
pub fn contract_status_on(current: ContractStatus, changes: &[ContractChange], day: Date) -> ContractStatus {
    match changes.iter().rev().find(|c| c.on <= day) {
        Some(c) => c.after,
        None => changes.first().map(|c| c.before).unwrap_or(current),
    }
}

/// A contract ends on or after the day it starts.
pub fn check_contract_dates(start: Option<Date>, end: Option<Date>) -> Result<(), FieldError> {
    match (start, end) {
        (Some(a), Some(b)) if b < a => Err(FieldError::new("contract_end", "The contract end date must be on or after its start date")),
        _ => Ok(()),
    }
}

impl std::fmt::Display for ContractStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_on_a_day_is_the_last_change_made_by_then() {
        let d = |m: i8, day: i8| Date::constant(2024, m, day);
        let changes = [
            ContractChange { on: d(3, 1), before: ContractStatus::SpotPurchase, after: ContractStatus::Framework },
            ContractChange { on: d(9, 15), before: ContractStatus::Framework, after: ContractStatus::DirectAward },
        ];
        let now = ContractStatus::DirectAward;
        assert_eq!(contract_status_on(now, &changes, d(1, 31)), ContractStatus::SpotPurchase, "before any change");
        assert_eq!(contract_status_on(now, &changes, d(3, 1)), ContractStatus::Framework, "a change counts on its own day");
        assert_eq!(contract_status_on(now, &changes, d(9, 14)), ContractStatus::Framework);
        assert_eq!(contract_status_on(now, &changes, d(12, 31)), ContractStatus::DirectAward);
        assert_eq!(contract_status_on(ContractStatus::InHouse, &[], d(1, 1)), ContractStatus::InHouse, "never changed");
    }

    #[test]
    fn only_framework_services_name_a_framework_and_lots_sit_in_one() {
        assert!(ContractStatus::Framework.check_framework(Some("f"), Some("l")).is_ok());
        assert_eq!(ContractStatus::Framework.check_framework(None, None).unwrap_err().field, "framework_id");
        let e = ContractStatus::SpotPurchase.check_framework(None, Some("l")).unwrap_err();
        assert_eq!(e.message, "A service on 'Spot purchase' is not on a framework: clear the framework and lot");
        assert!(ContractStatus::SpotPurchase.check_framework(None, None).is_ok());
    }

    #[test]
    fn a_contract_ends_on_or_after_its_start() {
        let d = |m| Date::constant(2025, m, 1);
        assert!(check_contract_dates(Some(d(1)), Some(d(1))).is_ok());
        assert!(check_contract_dates(None, Some(d(1))).is_ok());
        assert_eq!(check_contract_dates(Some(d(2)), Some(d(1))).unwrap_err().field, "contract_end");
    }
}
