use serde::{Deserialize, Serialize};

/// How the council buys from a service (`000`, `001`, `004`; domain C1). Framework services also
/// carry which framework and lot; money management companies sit on the Recognised Provider List.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    Framework,
    DynamicPurchasingSystem,
    DirectAward,
    SpotPurchase,
    BlockContract,
    InHouse,
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
}

impl std::fmt::Display for ContractStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}
