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
        hex::encode(self.content_digest())
    }

    /// [`CqcLocation::content_hash`] as bytes: SHA-256 of the location's JSON with its
    /// specialisms sorted and deduplicated and its service types and regulated activities sorted.
    /// Written from a borrowed view in the same field order, so the JSON (and so every digest a
    /// register holds) is what serialising a sorted copy gives, without copying the location:
    /// the copy was about a quarter of the digest's cost (benchmarks/import.md, session 43), and
    /// an import makes a digest of every location.
    pub fn content_digest(&self) -> [u8; 32] {
        let mut specialisms: Vec<Specialism> = self.specialisms.clone();
        specialisms.sort();
        specialisms.dedup();
        let mut service_types: Vec<&str> = self.service_types.iter().map(String::as_str).collect();
        service_types.sort_unstable();
        let mut regulated_activities: Vec<&str> = self.regulated_activities.iter().map(String::as_str).collect();
        regulated_activities.sort_unstable();
        let view = DigestView {
            location_id: &self.location_id,
            provider_id: &self.provider_id,
            provider_name: &self.provider_name,
            name: &self.name,
            address_line: &self.address_line,
            town: &self.town,
            postcode: &self.postcode,
            local_authority: &self.local_authority,
            region: &self.region,
            phone: &self.phone,
            website: &self.website,
            registration_status: self.registration_status,
            registration_date: &self.registration_date,
            deregistration_date: &self.deregistration_date,
            care_home: self.care_home,
            beds: self.beds,
            service_types,
            regulated_activities,
            specialisms,
            rating: &self.rating,
            rating_history: &self.rating_history,
            last_inspection_date: &self.last_inspection_date,
            relationships: &self.relationships,
        };
        // The JSON is written whole and then digested: serde_json writes a field at a time, and
        // feeding the digest that many small pieces cost more than the buffer.
        let mut json = Vec::with_capacity(1024);
        // Writing to a vector cannot fail, and every field serialises (the derive on
        // `CqcLocation` would fail on the same values).
        let _ = serde_json::to_writer(&mut json, &view);
        Sha256::digest(&json).into()
    }
}

/// [`CqcLocation`]'s fields in its order and with its names, borrowed: serialises to the same
/// JSON as a sorted copy would. A field added to `CqcLocation` must be added here, in the same
/// place (`content_digest_is_the_sorted_copys_json` fails until it is).
#[derive(Serialize)]
struct DigestView<'a> {
    location_id: &'a str,
    provider_id: &'a Option<String>,
    provider_name: &'a Option<String>,
    name: &'a str,
    address_line: &'a Option<String>,
    town: &'a Option<String>,
    postcode: &'a Option<String>,
    local_authority: &'a Option<String>,
    region: &'a Option<String>,
    phone: &'a Option<String>,
    website: &'a Option<String>,
    registration_status: RegistrationStatus,
    registration_date: &'a Option<Date>,
    deregistration_date: &'a Option<Date>,
    care_home: Option<bool>,
    beds: Option<i64>,
    service_types: Vec<&'a str>,
    regulated_activities: Vec<&'a str>,
    specialisms: Vec<Specialism>,
    rating: &'a Option<CqcRatingSet>,
    rating_history: &'a [CqcRatingSet],
    last_inspection_date: &'a Option<Date>,
    relationships: &'a [Relationship],
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The digest as every earlier version made it (and as registers hold it): the JSON of a
    /// sorted copy.
    fn digest_of_sorted_copy(loc: &CqcLocation) -> String {
        let mut c = loc.clone();
        c.specialisms.sort();
        c.specialisms.dedup();
        c.service_types.sort();
        c.regulated_activities.sort();
        hex::encode(Sha256::digest(serde_json::to_vec(&c).expect("a location serialises")))
    }

    const SPECIALISMS: [Specialism; 4] = [Specialism::Dementia, Specialism::OlderPeople, Specialism::Autism, Specialism::MentalHealth];
    const RATINGS: [Rating; 4] = [Rating::Good, Rating::Inadequate, Rating::InspectedButNotRated, Rating::Outstanding];

    fn text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of("[ -~é\"\\\\]{0,12}")
    }

    fn date() -> impl Strategy<Value = Option<Date>> {
        proptest::option::of((2010i16..2027, 1i8..13, 1i8..29).prop_map(|(y, m, d)| Date::new(y, m, d).expect("a real date")))
    }

    fn rating_set() -> impl Strategy<Value = CqcRatingSet> {
        (proptest::option::of(0usize..4), proptest::option::of(0usize..4), date()).prop_map(|(overall, safe, report_date)| CqcRatingSet {
            overall: overall.map(|i| RATINGS[i]),
            safe: safe.map(|i| RATINGS[i]),
            report_date,
            ..Default::default()
        })
    }

    fn location() -> impl Strategy<Value = CqcLocation> {
        (
            ("1-[0-9]{1,10}", "[ -~]{1,20}", text(), text(), text(), text()),
            (proptest::bool::ANY, date(), date(), proptest::option::of(proptest::bool::ANY), proptest::option::of(-5i64..500)),
            (
                proptest::collection::vec("[A-Za-z ]{0,8}", 0..4),
                proptest::collection::vec("[A-Za-z ]{0,8}", 0..4),
                proptest::collection::vec(0usize..4, 0..6),
            ),
            (
                proptest::option::of(rating_set()),
                proptest::collection::vec(rating_set(), 0..3),
                date(),
                proptest::collection::vec(text(), 0..2),
            ),
        )
            .prop_map(|((id, name, provider, town, postcode, website), (registered, from, to, care_home, beds), lists, rest)| {
                let (service_types, regulated_activities, specialisms) = lists;
                let (rating, rating_history, last_inspection_date, relationships) = rest;
                CqcLocation {
                    provider_id: provider.clone(),
                    provider_name: provider,
                    town,
                    postcode,
                    website,
                    registration_status: if registered { RegistrationStatus::Registered } else { RegistrationStatus::Deregistered },
                    registration_date: from,
                    deregistration_date: to,
                    care_home,
                    beds,
                    service_types,
                    regulated_activities,
                    specialisms: specialisms.into_iter().map(|i| SPECIALISMS[i]).collect(),
                    rating,
                    rating_history,
                    last_inspection_date,
                    relationships: relationships
                        .into_iter()
                        .map(|name| Relationship { kind: "HSCA Predecessor".into(), location_id: "1-2".into(), name })
                        .collect(),
                    ..CqcLocation::new(id, name)
                }
            })
    }

    proptest! {
        /// A register's stored digests were made from a sorted copy; an import that made them
        /// differently would take every stored location as changed.
        #[test]
        fn content_digest_is_the_sorted_copys_json(loc in location()) {
            prop_assert_eq!(loc.content_hash(), digest_of_sorted_copy(&loc));
        }
    }

    #[test]
    fn content_digest_ignores_the_order_of_lists_and_repeated_specialisms() {
        let mut a = CqcLocation::new("1-101", "Oak House");
        a.service_types = vec!["Nursing homes".into(), "Care home service with nursing".into()];
        a.specialisms = vec![Specialism::OlderPeople, Specialism::Dementia, Specialism::OlderPeople];
        let mut b = a.clone();
        b.service_types.reverse();
        b.specialisms = vec![Specialism::Dementia, Specialism::OlderPeople];
        assert_eq!(a.content_hash(), b.content_hash());
        b.name = "Oak House Nursing".into();
        assert_ne!(a.content_hash(), b.content_hash());
    }
}
