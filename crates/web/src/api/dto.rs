//! What the API sends and receives. These types are the API's contract, kept apart from the
//! store's types so that a change in storage does not silently change the API, and each carries
//! its OpenAPI schema.
//!
//! Enumerations are written as the codes the register stores and the web pages use in their
//! addresses (`care_home_nursing`, `dps`, `requires_improvement`), so a value read from the API
//! can be put straight into a filter.

use caremarket_core::register::{ContractStatus, KeyQuestion, Rating, ServiceKind, Specialism};
use caremarket_store::register as store;
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, ToSchema};

/// A string schema whose values are `codes`, described with each code's label.
fn code_schema<'a>(what: &str, codes: impl IntoIterator<Item = (&'a str, &'a str)>) -> RefOr<Schema> {
    let codes: Vec<(&str, &str)> = codes.into_iter().collect();
    let listed = codes.iter().map(|(c, l)| format!("`{c}` ({l})")).collect::<Vec<_>>().join(", ");
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(format!("{what}: {listed}.")))
        .enum_values(Some(codes.iter().map(|(c, _)| *c)))
        .into()
}

/// A core enumeration as its code in JSON, with a named schema listing every code.
macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $core:ty, $schema_name:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub $core);

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.0.as_str())
            }
        }

        impl From<$core> for $name {
            fn from(v: $core) -> Self {
                $name(v)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                code_schema($what, <$core>::ALL.iter().map(|v| (v.as_str(), v.label())))
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($schema_name)
            }
        }
    };
}

code_type!(
    /// A kind of service.
    ServiceKindCode, ServiceKind, "ServiceKind", "Kind of service"
);
code_type!(
    /// How the council buys from a service.
    ContractStatusCode, ContractStatus, "ContractStatus", "How the council buys from the service"
);
code_type!(
    /// A CQC rating or CQC's non-ratings.
    RatingCode, Rating, "Rating", "CQC rating"
);
code_type!(
    /// A specialism (CQC service user band or specialism).
    SpecialismCode, Specialism, "Specialism", "Specialism"
);
code_type!(
    /// One of CQC's five key questions.
    KeyQuestionCode, KeyQuestion, "KeyQuestion", "CQC key question"
);

/// The values of the service list's `rating` filter: a rating, or a band.
#[derive(Debug, Clone, Copy)]
pub struct RatingFilter;

pub const RATING_BANDS: [(&str, &str); 3] = [
    ("good_or_outstanding", "rated Good or Outstanding"),
    ("rated", "any of the four ratings"),
    ("unrated", "no rating, or one of CQC's non-ratings"),
];

impl utoipa::PartialSchema for RatingFilter {
    fn schema() -> RefOr<Schema> {
        code_schema("Overall rating, or a band", Rating::ALL.iter().map(|r| (r.as_str(), r.label())).chain(RATING_BANDS.iter().copied()))
    }
}

impl ToSchema for RatingFilter {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("RatingFilter")
    }
}

/// Whether a service is on CQC's register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RegistrationCode(pub String);

pub const REGISTRATION_STATUSES: [(&str, &str); 3] =
    [("registered", "registered with CQC"), ("deregistered", "left CQC's register"), ("not_registered", "a service CQC does not regulate")];

impl utoipa::PartialSchema for RegistrationCode {
    fn schema() -> RefOr<Schema> {
        code_schema("CQC registration", REGISTRATION_STATUSES)
    }
}

impl ToSchema for RegistrationCode {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("RegistrationStatus")
    }
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in words a person can act on.
    #[schema(example = "kind: 'care_homes' is not a kind of service; use one of care_home_residential, care_home_nursing, ...")]
    pub error: String,
    /// The parameter or field at fault, for 400 responses about one.
    #[schema(example = "kind")]
    pub field: Option<String>,
    /// The HTTP status code, repeated.
    #[schema(example = 400)]
    pub status: u16,
}

/// A service's current ratings: overall and the five key questions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CurrentRatings {
    pub overall: Option<RatingCode>,
    pub safe: Option<RatingCode>,
    pub effective: Option<RatingCode>,
    pub caring: Option<RatingCode>,
    pub responsive: Option<RatingCode>,
    pub well_led: Option<RatingCode>,
    /// Publication date of the current rating.
    #[schema(format = Date)]
    pub rating_date: Option<String>,
    #[schema(format = Date)]
    pub last_inspection_date: Option<String>,
}

/// A service (a CQC location, or a service CQC does not regulate) with what the council owns.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Service {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub provider_id: String,
    pub provider_name: String,
    /// CQC's location id, e.g. `1-123456789`.
    pub cqc_location_id: Option<String>,
    pub name: String,
    pub kind: ServiceKindCode,
    pub address_line: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    /// The local authority CQC places the service in.
    pub local_authority: Option<String>,
    pub region: Option<String>,
    /// Whether the service is in the council's area.
    pub in_area: bool,
    #[schema(format = Uuid)]
    pub area_id: Option<String>,
    pub area_name: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub registration_status: RegistrationCode,
    #[schema(format = Date)]
    pub registration_date: Option<String>,
    #[schema(format = Date)]
    pub deregistration_date: Option<String>,
    pub beds: Option<i64>,
    /// CQC's service types, as CQC publishes them.
    pub service_types: Vec<String>,
    pub specialisms: Vec<SpecialismCode>,
    pub ratings: CurrentRatings,
    /// Council-owned.
    pub contract_status: ContractStatusCode,
    /// Council-owned; set only for `framework` services.
    #[schema(format = Uuid)]
    pub framework_id: Option<String>,
    pub framework_name: Option<String>,
    /// Council-owned; a lot of the service's framework.
    #[schema(format = Uuid)]
    pub lot_id: Option<String>,
    pub lot_name: Option<String>,
    /// Council-owned.
    #[schema(format = Date)]
    pub contract_start: Option<String>,
    /// Council-owned.
    #[schema(format = Date)]
    pub contract_end: Option<String>,
    /// Council-owned.
    pub council_notes: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<store::Service> for Service {
    fn from(s: store::Service) -> Self {
        Service {
            id: s.id,
            provider_id: s.provider_id,
            provider_name: s.provider_name,
            cqc_location_id: s.cqc_location_id,
            name: s.name,
            kind: s.kind.into(),
            address_line: s.address_line,
            town: s.town,
            postcode: s.postcode,
            local_authority: s.local_authority,
            region: s.region,
            in_area: s.in_area,
            area_id: s.area_id,
            area_name: s.area_name,
            phone: s.phone,
            website: s.website,
            registration_status: RegistrationCode(s.registration_status),
            registration_date: s.registration_date,
            deregistration_date: s.deregistration_date,
            beds: s.beds,
            service_types: s.service_types,
            specialisms: s.specialisms.into_iter().map(SpecialismCode).collect(),
            ratings: CurrentRatings {
                overall: s.ratings.overall.map(RatingCode),
                safe: s.ratings.safe.map(RatingCode),
                effective: s.ratings.effective.map(RatingCode),
                caring: s.ratings.caring.map(RatingCode),
                responsive: s.ratings.responsive.map(RatingCode),
                well_led: s.ratings.well_led.map(RatingCode),
                rating_date: s.ratings.rating_date,
                last_inspection_date: s.ratings.last_inspection_date,
            },
            contract_status: s.contract_status.into(),
            framework_id: s.framework_id,
            framework_name: s.framework_name,
            lot_id: s.lot_id,
            lot_name: s.lot_name,
            contract_start: s.contract_start,
            contract_end: s.contract_end,
            council_notes: s.council_notes,
            updated_at: s.updated_at,
        }
    }
}

/// A CQC predecessor or successor of a service.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Relationship {
    /// As CQC writes it, e.g. "HSCA Predecessor".
    pub kind: String,
    pub location_id: String,
    pub name: Option<String>,
}

/// One published rating in a service's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingHistoryEntry {
    #[schema(format = Uuid)]
    pub id: String,
    pub overall: Option<RatingCode>,
    pub safe: Option<RatingCode>,
    pub effective: Option<RatingCode>,
    pub caring: Option<RatingCode>,
    pub responsive: Option<RatingCode>,
    pub well_led: Option<RatingCode>,
    /// CQC's report publication date.
    #[schema(format = Date)]
    pub report_date: Option<String>,
    /// The overall rating this one replaced.
    pub previous_overall: Option<RatingCode>,
    #[schema(format = DateTime)]
    pub recorded_at: String,
    /// Where the rating came from (an import, the demo, an officer).
    pub source: String,
}

impl From<store::RatingHistoryEntry> for RatingHistoryEntry {
    fn from(h: store::RatingHistoryEntry) -> Self {
        RatingHistoryEntry {
            id: h.id,
            overall: h.overall.map(RatingCode),
            safe: h.safe.map(RatingCode),
            effective: h.effective.map(RatingCode),
            caring: h.caring.map(RatingCode),
            responsive: h.responsive.map(RatingCode),
            well_led: h.well_led.map(RatingCode),
            report_date: h.report_date,
            previous_overall: h.previous_overall.map(RatingCode),
            recorded_at: h.recorded_at,
            source: h.source,
        }
    }
}

/// A service with its CQC links and its full rating history, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceDetail {
    #[serde(flatten)]
    pub service: Service,
    pub relationships: Vec<Relationship>,
    pub rating_history: Vec<RatingHistoryEntry>,
    /// The version of the council's fields: send it back as `version` when changing them
    /// (`PATCH /api/v1/services/{id}`); a change made from an older version is refused with 409.
    pub version: i64,
}

impl ServiceDetail {
    pub fn new(s: store::Service, history: Vec<store::RatingHistoryEntry>) -> Self {
        // Written by the importer from CQC's data; unreadable text is shown as no links rather
        // than failing the whole record.
        let relationships = s
            .relationships_json
            .as_deref()
            .and_then(|j| serde_json::from_str::<Vec<caremarket_core::register::Relationship>>(j).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|r| Relationship { kind: r.kind, location_id: r.location_id, name: r.name })
            .collect();
        let version = s.version;
        ServiceDetail { service: s.into(), relationships, rating_history: history.into_iter().map(Into::into).collect(), version }
    }
}

/// One page of services.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServicePage {
    pub items: Vec<Service>,
    /// How many services match the filter, on all pages.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl From<store::Page<store::Service>> for ServicePage {
    fn from(p: store::Page<store::Service>) -> Self {
        ServicePage { items: p.items.into_iter().map(Into::into).collect(), total: p.total, page: p.page, per_page: p.per_page }
    }
}

/// The changes the council may make to a service. Every field is optional; a field left out
/// keeps its value, `null` clears it. CQC's fields (name, address, ratings, ...) cannot be
/// changed. Changing `contract_status` away from `framework` clears the framework and lot
/// unless they are given; changing the framework clears the lot unless it is given.
#[derive(Debug, Clone, ToSchema)]
pub struct ServicePatch {
    pub contract_status: Option<ContractStatusCode>,
    /// Required when `contract_status` is `framework`; must be empty otherwise.
    #[schema(format = Uuid, nullable)]
    pub framework_id: Option<String>,
    /// A lot of the framework given (or the service's framework).
    #[schema(format = Uuid, nullable)]
    pub lot_id: Option<String>,
    #[schema(format = Date, nullable)]
    pub contract_start: Option<String>,
    /// On or after `contract_start`.
    #[schema(format = Date, nullable)]
    pub contract_end: Option<String>,
    #[schema(nullable)]
    pub council_notes: Option<String>,
    /// Overrides the kind CQC's service types imply. Cannot be cleared.
    pub kind: Option<ServiceKindCode>,
    /// Required: the `version` of the service the change was made from, as `GET` returned it. If
    /// the service has been changed since, nothing is changed and the answer is 409 naming the
    /// version it is at now.
    pub version: i64,
}

/// A provider (a CQC provider, or an organisation the council buys from).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Provider {
    #[schema(format = Uuid)]
    pub id: String,
    /// CQC's provider id, e.g. `1-101234567`.
    pub cqc_provider_id: Option<String>,
    pub name: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub notes: Option<String>,
    /// Services not deregistered (in lists), or all services (on one provider).
    pub service_count: i64,
}

impl From<store::Provider> for Provider {
    fn from(p: store::Provider) -> Self {
        Provider {
            id: p.id,
            cqc_provider_id: p.cqc_provider_id,
            name: p.name,
            address: p.address,
            postcode: p.postcode,
            phone: p.phone,
            website: p.website,
            notes: p.notes,
            service_count: p.service_count,
        }
    }
}

/// A provider with all its services, in and out of area, including deregistered ones.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderDetail {
    #[serde(flatten)]
    pub provider: Provider,
    pub services: Vec<Service>,
}

/// One page of providers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderPage {
    pub items: Vec<Provider>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl From<store::Page<store::Provider>> for ProviderPage {
    fn from(p: store::Page<store::Provider>) -> Self {
        ProviderPage { items: p.items.into_iter().map(Into::into).collect(), total: p.total, page: p.page, per_page: p.per_page }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Lot {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
}

/// A framework agreement and its lots.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Framework {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub kind: Option<ServiceKindCode>,
    #[schema(format = Date)]
    pub starts_on: Option<String>,
    #[schema(format = Date)]
    pub ends_on: Option<String>,
    pub lots: Vec<Lot>,
}

impl From<store::Framework> for Framework {
    fn from(f: store::Framework) -> Self {
        Framework {
            id: f.id,
            name: f.name,
            kind: f.kind.map(ServiceKindCode),
            starts_on: f.starts_on,
            ends_on: f.ends_on,
            lots: f.lots.into_iter().map(|l| Lot { id: l.id, name: l.name }).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FrameworkList {
    pub items: Vec<Framework>,
}

/// A part of the council's area, defined by postcode districts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Area {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    /// Postcode districts, e.g. `OL1`.
    pub outward_codes: Vec<String>,
}

impl From<store::Area> for Area {
    fn from(a: store::Area) -> Self {
        Area { id: a.id, name: a.name, outward_codes: a.outward_codes }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaList {
    pub items: Vec<Area>,
}

/// The national comparator for a kind of service.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NationalFigure {
    pub percent_good_or_outstanding: f64,
    pub rated_services: Option<i64>,
    /// When the national figure was taken.
    pub as_at: String,
    pub source: String,
}

/// One kind of service in the council's area (registered or not regulated; not deregistered).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindFigures {
    pub kind: ServiceKindCode,
    pub services: i64,
    /// Services with a contract of any kind.
    pub contracted: i64,
    /// Services with one of the four ratings.
    pub rated: i64,
    pub good_or_outstanding: i64,
    /// `good_or_outstanding` as a percentage of `rated`, to one decimal place.
    pub percent_good_or_outstanding: Option<f64>,
    pub national: Option<NationalFigure>,
    /// The services counted in `services`.
    pub services_url: String,
}

/// Services in the area by contract status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractFigure {
    pub contract_status: ContractStatusCode,
    pub services: i64,
    pub services_url: String,
}

/// Services in the area of one kind and contract status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindContractFigure {
    pub kind: ServiceKindCode,
    pub contract_status: ContractStatusCode,
    pub services: i64,
    pub services_url: String,
}

/// A change of overall rating.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingChange {
    #[schema(format = Uuid)]
    pub service_id: String,
    pub service_name: String,
    pub kind: ServiceKindCode,
    pub from: Option<RatingCode>,
    pub to: Option<RatingCode>,
    #[schema(format = Date)]
    pub report_date: Option<String>,
}

/// The market at a glance, as on the dashboard. Each count has the address of the list of
/// services behind it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarketFigures {
    #[schema(format = DateTime)]
    pub as_at: String,
    pub total_services: i64,
    pub total_providers: i64,
    pub by_kind: Vec<KindFigures>,
    pub by_contract: Vec<ContractFigure>,
    pub kind_by_contract: Vec<KindContractFigure>,
    /// Registered services with no inspection and no rating yet.
    pub never_inspected: i64,
    pub never_inspected_url: String,
    /// Registered services last inspected before `not_inspected_since_date`.
    pub not_inspected_since: i64,
    #[schema(format = Date)]
    pub not_inspected_since_date: String,
    pub not_inspected_since_url: String,
    /// Changes of overall rating published on or after this date.
    #[schema(format = Date)]
    pub rating_changes_since: String,
    pub rating_changes: Vec<RatingChange>,
    /// Services whose overall rating changed (from one of the four grades to another) since
    /// `rating_changes_since`: the services `rating_changes_url` lists.
    pub rating_changed_services: i64,
    pub rating_changes_url: String,
    /// Open out-of-area placements.
    pub out_of_area_placements: i64,
}

impl From<store::MarketFigures> for MarketFigures {
    fn from(m: store::MarketFigures) -> Self {
        const LIST: &str = "/api/v1/services";
        MarketFigures {
            as_at: m.as_at,
            total_services: m.total_services,
            total_providers: m.total_providers,
            by_kind: m
                .by_kind
                .into_iter()
                .map(|k| KindFigures {
                    services_url: format!("{LIST}?kind={}", k.kind.as_str()),
                    kind: k.kind.into(),
                    services: k.services,
                    contracted: k.contracted,
                    rated: k.rated,
                    good_or_outstanding: k.good_or_outstanding,
                    percent_good_or_outstanding: k.percent_good_or_outstanding,
                    national: k.national.map(|n| NationalFigure {
                        percent_good_or_outstanding: n.percent_good_or_outstanding,
                        rated_services: n.rated_services,
                        as_at: n.as_at,
                        source: n.source,
                    }),
                })
                .collect(),
            by_contract: m
                .by_contract
                .into_iter()
                .map(|(cs, n)| ContractFigure {
                    services_url: format!("{LIST}?contract_status={}", cs.as_str()),
                    contract_status: cs.into(),
                    services: n,
                })
                .collect(),
            kind_by_contract: m
                .kind_by_contract
                .into_iter()
                .flat_map(|(kind, by_cs)| {
                    by_cs.into_iter().map(move |(cs, n)| KindContractFigure {
                        services_url: format!("{LIST}?kind={}&contract_status={}", kind.as_str(), cs.as_str()),
                        kind: kind.into(),
                        contract_status: cs.into(),
                        services: n,
                    })
                })
                .collect(),
            never_inspected: m.never_inspected,
            never_inspected_url: format!("{LIST}?never_inspected=true"),
            not_inspected_since: m.not_inspected_since,
            not_inspected_since_url: format!("{LIST}?not_inspected_since={}", m.not_inspected_since_date),
            not_inspected_since_date: m.not_inspected_since_date,
            rating_changes_url: format!("{LIST}?rating_changed_since={}", m.rating_changes_since),
            rating_changed_services: m.rating_changed_services,
            rating_changes_since: m.rating_changes_since,
            rating_changes: m
                .rating_changes
                .into_iter()
                .map(|c| RatingChange {
                    service_id: c.service_id,
                    service_name: c.service_name,
                    kind: c.kind.into(),
                    from: c.from.map(RatingCode),
                    to: c.to.map(RatingCode),
                    report_date: c.report_date,
                })
                .collect(),
            out_of_area_placements: m.out_of_area_placements,
        }
    }
}

/// The query parameters of `GET /api/v1/services` (documentation; read by `params`).
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// Words in the service's or provider's name, postcode, town or CQC location id.
    pub q: Option<String>,
    /// Kinds of service: repeat the parameter (`kind=home_care&kind=extra_care`) or separate with commas.
    #[param(explode = true)]
    pub kind: Option<Vec<ServiceKindCode>>,
    /// Overall rating, or a band: `good_or_outstanding`, `rated` (any of the four ratings), `unrated`.
    pub rating: Option<RatingFilter>,
    /// With `key_question_rating`: services rated so on this key question.
    pub key_question: Option<KeyQuestionCode>,
    /// With `key_question`.
    pub key_question_rating: Option<RatingCode>,
    pub contract_status: Option<ContractStatusCode>,
    /// `true`: any contract; `false`: not contracted.
    pub contracted: Option<bool>,
    #[param(format = Uuid)]
    pub framework_id: Option<String>,
    #[param(format = Uuid)]
    pub lot_id: Option<String>,
    #[param(format = Uuid)]
    pub area_id: Option<String>,
    pub specialism: Option<SpecialismCode>,
    /// `true` (default): in the council's area; `false`: outside it; `all`: both.
    #[param(value_type = Option<String>, pattern = "^(true|false|all)$")]
    pub in_area: Option<String>,
    /// `active` (default: registered, or not regulated by CQC), `registered`, `deregistered`, `all`.
    #[param(value_type = Option<String>, pattern = "^(active|registered|deregistered|all)$")]
    pub registration: Option<String>,
    /// Registered services with no inspection and no rating yet.
    pub never_inspected: Option<bool>,
    /// Registered services last inspected before this date.
    #[param(format = Date)]
    pub not_inspected_since: Option<String>,
    /// Services whose overall rating changed in a report published on or after this date.
    #[param(format = Date)]
    pub rating_changed_since: Option<String>,
    #[param(format = Uuid)]
    pub provider_id: Option<String>,
    /// `name` (default), `rating` (worst first), `inspected` (longest ago first), `kind`, `provider`.
    #[param(value_type = Option<String>, pattern = "^(name|rating|inspected|kind|provider)$")]
    pub sort: Option<String>,
    /// From 1 (default 1).
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub per_page: Option<i64>,
}

/// The query parameters of `GET /api/v1/providers`.
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProviderQuery {
    /// Words in the provider's name or CQC provider id.
    pub q: Option<String>,
    /// From 1 (default 1).
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<i64>,
}

/// The query parameters of `GET /api/v1/figures/market`.
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MarketQuery {
    /// Count registered services last inspected before this date (default 2020-01-01).
    #[param(format = Date)]
    pub not_inspected_before: Option<String>,
    /// List rating changes published on or after this date (default 90 days ago).
    #[param(format = Date)]
    pub changes_since: Option<String>,
}
