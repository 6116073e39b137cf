//! One CQC location as every importer produces it, whatever file or API it came from.

use super::{Rating, ServiceKind, Specialism};
use crate::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    Registered,
    Deregistered,
}

impl RegistrationStatus {
    /// As stored on a service (which may also be `not_registered`: a service CQC does not
    /// regulate, added by the council).
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Registered => "registered",
            RegistrationStatus::Deregistered => "deregistered",
        }
    }
}

/// A set of ratings published together: overall and the five key questions, with its date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CqcRatingSet {
    pub overall: Option<Rating>,
    pub safe: Option<Rating>,
    pub effective: Option<Rating>,
    pub caring: Option<Rating>,
    pub responsive: Option<Rating>,
    pub well_led: Option<Rating>,
    /// The report publication date CQC gives with the rating.
    pub report_date: Option<Date>,
}

impl CqcRatingSet {
    pub fn is_empty(&self) -> bool {
        self.overall.is_none()
            && self.safe.is_none()
            && self.effective.is_none()
            && self.caring.is_none()
            && self.responsive.is_none()
            && self.well_led.is_none()
    }

    /// Same ratings (ignoring date): a re-published unchanged rating is not a change.
    pub fn same_ratings(&self, other: &CqcRatingSet) -> bool {
        self.overall == other.overall
            && self.safe == other.safe
            && self.effective == other.effective
            && self.caring == other.caring
            && self.responsive == other.responsive
            && self.well_led == other.well_led
    }
}

/// A CQC predecessor/successor link (the API's `relationships`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relationship {
    /// e.g. "HSCA Predecessor", "HSCA Successor".
    pub kind: String,
    pub location_id: String,
    pub name: Option<String>,
}

/// A CQC location normalised from any of CQC's layouts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CqcLocation {
    pub location_id: String,
    pub provider_id: Option<String>,
    pub provider_name: Option<String>,
    pub name: String,
    pub address_line: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    /// Local authority name as CQC writes it ("Oldham").
    pub local_authority: Option<String>,
    pub region: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub registration_status: RegistrationStatus,
    pub registration_date: Option<Date>,
    pub deregistration_date: Option<Date>,
    pub care_home: Option<bool>,
    pub beds: Option<i64>,
    /// CQC's service types ("Nursing homes", "Homecare agencies", ...), as published.
    pub service_types: Vec<String>,
    pub regulated_activities: Vec<String>,
    pub specialisms: Vec<Specialism>,
    /// The current rating, if the source gives one.
    pub rating: Option<CqcRatingSet>,
    /// Earlier ratings (the API's `historicRatings`), oldest first.
    pub rating_history: Vec<CqcRatingSet>,
    pub last_inspection_date: Option<Date>,
    pub relationships: Vec<Relationship>,
}

impl CqcLocation {
    pub fn new(location_id: impl Into<String>, name: impl Into<String>) -> Self {
        CqcLocation {
            location_id: location_id.into(),
            provider_id: None,
            provider_name: None,
            name: name.into(),
            address_line: None,
            town: None,
            postcode: None,
            local_authority: None,
            region: None,
            phone: None,
            website: None,
            registration_status: RegistrationStatus::Registered,
            registration_date: None,
            deregistration_date: None,
            care_home: None,
            beds: None,
            service_types: Vec::new(),
            regulated_activities: Vec::new(),
            specialisms: Vec::new(),
            rating: None,
            rating_history: Vec::new(),
            last_inspection_date: None,
            relationships: Vec::new(),
        }
    }

    pub fn kind(&self) -> ServiceKind {
        ServiceKind::from_cqc_service_types(&self.service_types, self.care_home)
    }

    /// A digest of everything the register keeps from CQC, so that re-importing an unchanged
    /// file can be recognised cheaply and changes nothing.
    pub fn content_hash(&self) -> String {
        let mut c = self.clone();
        c.specialisms.sort();
        c.specialisms.dedup();
        c.service_types.sort();
        c.regulated_activities.sort();
        let json = serde_json::to_vec(&c).unwrap_or_default();
        hex::encode(Sha256::digest(&json))
    }
}

/// A source row the importer refused, with the row number a person can find in the file
/// (1-based, counting the header as row 1 for tables; the document number for API files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub row: u64,
    pub location_id: Option<String>,
    pub reason: String,
}

/// A CQC provider's name as CQC publishes it: from an API provider document
/// (`GET /providers/{id}`: `providerId`, `name`), an API provider list page (`providers[]`:
/// `providerId`, `providerName`) or a provider row of the 18-column directory. The API's location
/// documents carry only `providerId`, so these are where a provider's real name comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CqcProvider {
    pub provider_id: String,
    pub name: String,
}
