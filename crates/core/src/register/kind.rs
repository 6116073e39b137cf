use serde::{Deserialize, Serialize};

/// The kinds of service a council commissions (`000`, `004`; domain C1). Care homes split by
/// whether they provide nursing, as CQC registers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    CareHomeResidential,
    CareHomeNursing,
    HomeCare,
    SupportedLiving,
    EnhancedSupportedLiving,
    ExtraCare,
    DayServices,
    ShortBreaks,
    MentalHealthSupport,
    SupportedAccommodation,
    SharedLives,
    MoneyManagement,
    Other,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 13] = [
        ServiceKind::CareHomeResidential,
        ServiceKind::CareHomeNursing,
        ServiceKind::HomeCare,
        ServiceKind::SupportedLiving,
        ServiceKind::EnhancedSupportedLiving,
        ServiceKind::ExtraCare,
        ServiceKind::DayServices,
        ServiceKind::ShortBreaks,
        ServiceKind::MentalHealthSupport,
        ServiceKind::SupportedAccommodation,
        ServiceKind::SharedLives,
        ServiceKind::MoneyManagement,
        ServiceKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::CareHomeResidential => "care_home_residential",
            ServiceKind::CareHomeNursing => "care_home_nursing",
            ServiceKind::HomeCare => "home_care",
            ServiceKind::SupportedLiving => "supported_living",
            ServiceKind::EnhancedSupportedLiving => "enhanced_supported_living",
            ServiceKind::ExtraCare => "extra_care",
            ServiceKind::DayServices => "day_services",
            ServiceKind::ShortBreaks => "short_breaks",
            ServiceKind::MentalHealthSupport => "mental_health_support",
            ServiceKind::SupportedAccommodation => "supported_accommodation",
            ServiceKind::SharedLives => "shared_lives",
            ServiceKind::MoneyManagement => "money_management",
            ServiceKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ServiceKind::CareHomeResidential => "Care home (residential)",
            ServiceKind::CareHomeNursing => "Care home (nursing)",
            ServiceKind::HomeCare => "Home care",
            ServiceKind::SupportedLiving => "Supported living",
            ServiceKind::EnhancedSupportedLiving => "Enhanced supported living",
            ServiceKind::ExtraCare => "Extra care",
            ServiceKind::DayServices => "Day services",
            ServiceKind::ShortBreaks => "Short breaks (overnight respite)",
            ServiceKind::MentalHealthSupport => "Mental health community support",
            ServiceKind::SupportedAccommodation => "Supported accommodation",
            ServiceKind::SharedLives => "Shared Lives",
            ServiceKind::MoneyManagement => "Money management",
            ServiceKind::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Option<ServiceKind> {
        let s = s.trim();
        ServiceKind::ALL.into_iter().find(|k| k.as_str() == s || k.label().eq_ignore_ascii_case(s))
    }

    pub fn is_care_home(self) -> bool {
        matches!(self, ServiceKind::CareHomeResidential | ServiceKind::CareHomeNursing)
    }

    /// Whether CQC regulates this kind of service. Day services and money management are not
    /// registered with CQC (`004` day centres; `000` money management companies).
    pub fn cqc_regulated(self) -> bool {
        !matches!(self, ServiceKind::DayServices | ServiceKind::MoneyManagement | ServiceKind::Other)
    }

    /// Classify a CQC location from the service types CQC records for it ("Nursing homes",
    /// "Residential homes", "Homecare agencies", "Supported living", "Extra Care housing
    /// services", "Shared Lives", "Community based services for people with mental health
    /// needs", ...). A location with several types takes the most intensive: nursing over
    /// residential over everything else, because that is how commissioners count homes.
    pub fn from_cqc_service_types<S: AsRef<str>>(types: &[S], care_home_flag: Option<bool>) -> ServiceKind {
        let has = |needle: &str| types.iter().any(|t| t.as_ref().to_ascii_lowercase().contains(needle));
        if has("nursing home") || has("care home service with nursing") {
            ServiceKind::CareHomeNursing
        } else if has("residential home") || has("care home service without nursing") || care_home_flag == Some(true) {
            ServiceKind::CareHomeResidential
        } else if has("supported living") {
            ServiceKind::SupportedLiving
        } else if has("extra care") {
            ServiceKind::ExtraCare
        } else if has("shared lives") {
            ServiceKind::SharedLives
        } else if has("mental health") {
            ServiceKind::MentalHealthSupport
        } else if has("homecare") || has("home care") || has("domiciliary") {
            ServiceKind::HomeCare
        } else {
            ServiceKind::Other
        }
    }
}

impl std::fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Specialisms (CQC "service user bands" and "specialisms") that brokerage and the public filter by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Specialism {
    Dementia,
    LearningDisabilities,
    Autism,
    MentalHealth,
    PhysicalDisability,
    SensoryImpairment,
    OlderPeople,
    YoungerAdults,
    SubstanceMisuse,
    EatingDisorders,
    WholePopulation,
}

impl Specialism {
    pub const ALL: [Specialism; 11] = [
        Specialism::Dementia,
        Specialism::LearningDisabilities,
        Specialism::Autism,
        Specialism::MentalHealth,
        Specialism::PhysicalDisability,
        Specialism::SensoryImpairment,
        Specialism::OlderPeople,
        Specialism::YoungerAdults,
        Specialism::SubstanceMisuse,
        Specialism::EatingDisorders,
        Specialism::WholePopulation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Specialism::Dementia => "dementia",
            Specialism::LearningDisabilities => "learning_disabilities",
            Specialism::Autism => "autism",
            Specialism::MentalHealth => "mental_health",
            Specialism::PhysicalDisability => "physical_disability",
            Specialism::SensoryImpairment => "sensory_impairment",
            Specialism::OlderPeople => "older_people",
            Specialism::YoungerAdults => "younger_adults",
            Specialism::SubstanceMisuse => "substance_misuse",
            Specialism::EatingDisorders => "eating_disorders",
            Specialism::WholePopulation => "whole_population",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Specialism::Dementia => "Dementia",
            Specialism::LearningDisabilities => "Learning disabilities",
            Specialism::Autism => "Autism",
            Specialism::MentalHealth => "Mental health",
            Specialism::PhysicalDisability => "Physical disability",
            Specialism::SensoryImpairment => "Sensory impairment",
            Specialism::OlderPeople => "Older people",
            Specialism::YoungerAdults => "Younger adults",
            Specialism::SubstanceMisuse => "Substance misuse",
            Specialism::EatingDisorders => "Eating disorders",
            Specialism::WholePopulation => "Whole population",
        }
    }

    pub fn parse(s: &str) -> Option<Specialism> {
        let s = s.trim();
        Specialism::ALL.into_iter().find(|k| k.as_str() == s || k.label().eq_ignore_ascii_case(s))
    }

    /// Map a CQC service-user-band or specialism phrase ("Caring for adults over 65 yrs",
    /// "Dementia", "Learning disabilities", "Mental health conditions", "Sensory impairments",
    /// "Physical disabilities", "Caring for people whose rights are restricted under the Mental
    /// Health Act", "Substance misuse problems", "Eating disorders", "Autism"...).
    pub fn from_cqc(s: &str) -> Option<Specialism> {
        let l = s.to_ascii_lowercase();
        let l = l.trim();
        if l.is_empty() {
            return None;
        }
        Some(if l.contains("dementia") {
            Specialism::Dementia
        } else if l.contains("learning disab") {
            Specialism::LearningDisabilities
        } else if l.contains("autis") {
            Specialism::Autism
        } else if l.contains("mental health") {
            Specialism::MentalHealth
        } else if l.contains("physical disab") {
            Specialism::PhysicalDisability
        } else if l.contains("sensory") {
            Specialism::SensoryImpairment
        } else if l.contains("over 65") || l.contains("older people") {
            Specialism::OlderPeople
        } else if l.contains("under 65") || l.contains("younger adults") {
            Specialism::YoungerAdults
        } else if l.contains("substance") || l.contains("drug") || l.contains("alcohol") {
            Specialism::SubstanceMisuse
        } else if l.contains("eating disorder") {
            Specialism::EatingDisorders
        } else if l.contains("whole population") {
            Specialism::WholePopulation
        } else {
            return None;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_cqc_service_types() {
        assert_eq!(ServiceKind::from_cqc_service_types(&["Nursing homes", "Residential homes"], Some(true)), ServiceKind::CareHomeNursing);
        assert_eq!(ServiceKind::from_cqc_service_types(&["Residential homes"], None), ServiceKind::CareHomeResidential);
        assert_eq!(ServiceKind::from_cqc_service_types(&["Homecare agencies"], Some(false)), ServiceKind::HomeCare);
        assert_eq!(
            ServiceKind::from_cqc_service_types(&["Homecare agencies", "Supported living"], Some(false)),
            ServiceKind::SupportedLiving
        );
        assert_eq!(ServiceKind::from_cqc_service_types(&["Care home service with nursing"], None), ServiceKind::CareHomeNursing);
        assert_eq!(ServiceKind::from_cqc_service_types::<&str>(&[], Some(true)), ServiceKind::CareHomeResidential);
        for k in ServiceKind::ALL {
            assert_eq!(ServiceKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn maps_cqc_specialisms() {
        assert_eq!(Specialism::from_cqc("Caring for adults over 65 yrs"), Some(Specialism::OlderPeople));
        assert_eq!(Specialism::from_cqc("Dementia"), Some(Specialism::Dementia));
        assert_eq!(Specialism::from_cqc("Learning disabilities"), Some(Specialism::LearningDisabilities));
        assert_eq!(Specialism::from_cqc("Treatment of disease, disorder or injury"), None);
    }
}
