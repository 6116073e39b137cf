//! What a CQC file may change: which stored fields it carries (and so may overwrite), which
//! services it may mark deregistered, whether it may set the national figures, and how long a
//! value may be. Pure decisions, used by the importer (store), the command line and the web.
//!
//! Rules (docs/register.md, issue 14 items 3 to 6):
//! - a layout that lacks a field leaves the stored value alone; a field the layout carries, blank
//!   in the file, is a real blank ([`merge_location`]);
//! - only a file that is complete for the local authorities it covers may deregister, and only
//!   services of the kinds it covers ([`plan_deregistration`]); the officer says whether a file is
//!   complete, and a large number of deregistrations needs their confirmation;
//! - national figures come only from a complete national file ([`is_national_file`]).

use super::{ContractStatus, CountedService, CqcLocation, RegistrationStatus, ServiceKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};

/// A group of values the register keeps from CQC, as far as a file can carry or lack it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CqcField {
    Name,
    ProviderId,
    ProviderName,
    /// Street address and town.
    Address,
    Postcode,
    LocalAuthority,
    Region,
    Phone,
    Website,
    RegistrationDate,
    DeregistrationDate,
    /// Whether it is a care home (a "Care home?" column, or read from the service types).
    CareHome,
    /// Care home beds.
    Beds,
    /// Service types and regulated activities.
    ServiceTypes,
    Specialisms,
    /// The current rating and the rating history.
    Rating,
    LastInspection,
    /// CQC's predecessor and successor links (API documents only).
    Relationships,
    /// A column kept only for messages (CQC's page address, a ratings row's domain).
    Other,
}

impl CqcField {
    pub const ALL: [CqcField; 18] = [
        CqcField::Name,
        CqcField::ProviderId,
        CqcField::ProviderName,
        CqcField::Address,
        CqcField::Postcode,
        CqcField::LocalAuthority,
        CqcField::Region,
        CqcField::Phone,
        CqcField::Website,
        CqcField::RegistrationDate,
        CqcField::DeregistrationDate,
        CqcField::CareHome,
        CqcField::Beds,
        CqcField::ServiceTypes,
        CqcField::Specialisms,
        CqcField::Rating,
        CqcField::LastInspection,
        CqcField::Relationships,
    ];

    /// The longest value accepted in one cell for this field, in characters. Generous against
    /// CQC's real data (the longest location name in the national files is under 120 characters;
    /// service-type lists run to a few hundred) but far below what breaks a page: a 1 MB name
    /// was once stored and rendered.
    pub fn max_chars(self) -> usize {
        match self {
            CqcField::Name | CqcField::ProviderName => 300,
            CqcField::ProviderId => 30,
            CqcField::Address => 500,
            CqcField::Postcode => 20,
            CqcField::LocalAuthority | CqcField::Region => 100,
            CqcField::Phone => 50,
            CqcField::Website => 500,
            CqcField::RegistrationDate | CqcField::DeregistrationDate | CqcField::LastInspection => 40,
            CqcField::CareHome | CqcField::Beds => 20,
            CqcField::ServiceTypes | CqcField::Specialisms => 3000,
            CqcField::Rating => 60,
            CqcField::Relationships | CqcField::Other => 1000,
        }
    }
}

/// The values of a location longer than their field allows, as "the name is 1048576 characters
/// long; at most 300 are accepted", for sources whose values are not read from named columns
/// (API documents). Table layouts check each column as read, naming the column.
pub fn over_long_values(loc: &CqcLocation) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |what: &str, field: CqcField, value: Option<&str>| {
        let len = value.map(|v| v.chars().count()).unwrap_or(0);
        if len > field.max_chars() {
            out.push(format!("the {what} is {len} characters long; at most {} are accepted", field.max_chars()));
        }
    };
    check("name", CqcField::Name, Some(&loc.name));
    check("provider name", CqcField::ProviderName, loc.provider_name.as_deref());
    check("provider id", CqcField::ProviderId, loc.provider_id.as_deref());
    check("address", CqcField::Address, loc.address_line.as_deref());
    check("town", CqcField::Address, loc.town.as_deref());
    check("postcode", CqcField::Postcode, loc.postcode.as_deref());
    check("local authority", CqcField::LocalAuthority, loc.local_authority.as_deref());
    check("region", CqcField::Region, loc.region.as_deref());
    check("phone number", CqcField::Phone, loc.phone.as_deref());
    check("website", CqcField::Website, loc.website.as_deref());
    check("list of service types", CqcField::ServiceTypes, Some(&loc.service_types.join(", ")));
    check("list of regulated activities", CqcField::ServiceTypes, Some(&loc.regulated_activities.join(", ")));
    out
}

/// The fields a file carries: the ones it may overwrite.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FieldSet(BTreeSet<CqcField>);

impl FieldSet {
    /// Every field (CQC API documents carry them all).
    pub fn all() -> Self {
        FieldSet(CqcField::ALL.into_iter().collect())
    }

    pub fn contains(&self, f: CqcField) -> bool {
        self.0.contains(&f)
    }

    pub fn insert(&mut self, f: CqcField) {
        self.0.insert(f);
    }

    pub fn iter(&self) -> impl Iterator<Item = CqcField> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<CqcField> for FieldSet {
    fn from_iter<I: IntoIterator<Item = CqcField>>(iter: I) -> Self {
        FieldSet(iter.into_iter().collect())
    }
}

/// The location to store: the file's values for the fields it carries (a blank there is a real
/// blank), the stored values for the rest. Without a stored location the file's values are
/// taken as they are. The location id, name and registration status always come from the file:
/// every layout names the location, and a file listing a location says it is registered unless
/// it gives an end date.
pub fn merge_location(stored: Option<&CqcLocation>, incoming: &CqcLocation, carried: &FieldSet) -> CqcLocation {
    let Some(stored) = stored else {
        return incoming.clone();
    };
    let mut out = incoming.clone();
    let keep = |f: CqcField| !carried.contains(f);
    if keep(CqcField::Name) || out.name.is_empty() {
        out.name = stored.name.clone();
    }
    if keep(CqcField::ProviderId) {
        out.provider_id = stored.provider_id.clone();
    }
    if keep(CqcField::ProviderName) {
        out.provider_name = stored.provider_name.clone();
    }
    if keep(CqcField::Address) {
        out.address_line = stored.address_line.clone();
        out.town = stored.town.clone();
    }
    if keep(CqcField::Postcode) {
        out.postcode = stored.postcode.clone();
    }
    if keep(CqcField::LocalAuthority) {
        out.local_authority = stored.local_authority.clone();
    }
    if keep(CqcField::Region) {
        out.region = stored.region.clone();
    }
    if keep(CqcField::Phone) {
        out.phone = stored.phone.clone();
    }
    if keep(CqcField::Website) {
        out.website = stored.website.clone();
    }
    if keep(CqcField::RegistrationDate) {
        out.registration_date = stored.registration_date;
    }
    if keep(CqcField::DeregistrationDate) && out.registration_status == RegistrationStatus::Deregistered {
        out.deregistration_date = out.deregistration_date.or(stored.deregistration_date);
    }
    if keep(CqcField::CareHome) {
        out.care_home = stored.care_home;
    }
    if keep(CqcField::Beds) {
        out.beds = stored.beds;
    }
    if keep(CqcField::ServiceTypes) {
        out.service_types = stored.service_types.clone();
        out.regulated_activities = stored.regulated_activities.clone();
    }
    if keep(CqcField::Specialisms) {
        out.specialisms = stored.specialisms.clone();
    }
    if keep(CqcField::Rating) {
        out.rating = stored.rating.clone();
        out.rating_history = stored.rating_history.clone();
    }
    if keep(CqcField::LastInspection) {
        out.last_inspection_date = stored.last_inspection_date;
    }
    if keep(CqcField::Relationships) {
        out.relationships = stored.relationships.clone();
    }
    out
}

/// Whether the officer says a file is complete for the areas it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Completeness {
    /// Every registered location of each local authority in the file is in it (CQC's whole
    /// directory, or a download of it filtered by local authority).
    Complete,
    /// Some rows only (a sample, an extract, rows picked by hand): nothing is deregistered.
    Partial,
}

impl Completeness {
    pub fn parse(s: &str) -> Option<Completeness> {
        match s.trim() {
            "complete" => Some(Completeness::Complete),
            "partial" => Some(Completeness::Partial),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Completeness::Complete => "complete",
            Completeness::Partial => "partial",
        }
    }
}

/// What a file lists, as deregistration and the national figures need it: each location's id
/// and the local authorities named. Gathered as locations are read, so that an import streamed
/// from a file holds these and not the locations themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listed {
    pub ids: ListedIds,
    /// As CQC writes them.
    pub local_authorities: BTreeSet<String>,
    /// Locations listed (a repeated id counts each time, as an import applies each).
    pub locations: u64,
    /// Each location's content digest and what the national figures count of it, when the
    /// reading made them (the command line's and the web upload's first reading): an import
    /// that finds every location stored as listed then need not read the file again.
    pub digests: Option<ListedDigests>,
}

/// What a first reading made of each location, in the file's order, for an import that compares
/// the file with the register before reading it again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedDigests {
    /// The first half of each location's content digest ([`CqcLocation::content_digest`]): 16
    /// bytes a location, half what the whole digest would hold at a national file's scale, and
    /// still far beyond any chance of two locations' contents sharing one.
    pub each: Vec<[u8; LISTED_DIGEST_BYTES]>,
    /// Each registered location as the national figures count it (issue 14 item 6).
    pub registered: Vec<CountedService>,
}

/// The bytes of a location's content digest a listing keeps.
pub const LISTED_DIGEST_BYTES: usize = 16;

impl ListedDigests {
    /// The kept part of a digest.
    pub fn part(digest: &[u8; 32]) -> [u8; LISTED_DIGEST_BYTES] {
        let mut part = [0u8; LISTED_DIGEST_BYTES];
        part.copy_from_slice(&digest[..LISTED_DIGEST_BYTES]);
        part
    }

    /// The kept part of a digest stored as hex text (`services.cqc_hash`); `None` for text that
    /// is not one.
    pub fn part_of_hex(hex_digest: &str) -> Option<[u8; LISTED_DIGEST_BYTES]> {
        let mut part = [0u8; LISTED_DIGEST_BYTES];
        hex::decode_to_slice(hex_digest.get(..2 * LISTED_DIGEST_BYTES)?, &mut part).ok()?;
        Some(part)
    }

    /// Add a location read, with its whole digest.
    pub fn add(&mut self, loc: &CqcLocation, digest: &[u8; 32]) {
        self.each.push(Self::part(digest));
        if loc.registration_status == RegistrationStatus::Registered {
            self.registered.push(counted_as_listed(loc));
        }
    }
}

/// A registered location of a CQC file as the national figures count it: CQC's kind and current
/// overall rating; no council contracts a national comparator.
pub fn counted_as_listed(loc: &CqcLocation) -> CountedService {
    CountedService {
        kind: loc.kind(),
        contract_status: ContractStatus::NotContracted,
        overall: loc.rating.as_ref().and_then(|r| r.overall),
    }
}

impl Listed {
    pub fn of(records: &[CqcLocation]) -> Self {
        let mut listed = Listed::default();
        for loc in records {
            listed.add(loc);
        }
        listed
    }

    pub fn add(&mut self, loc: &CqcLocation) {
        self.locations += 1;
        self.ids.insert(&loc.location_id);
        if let Some(la) = &loc.local_authority
            && !self.local_authorities.contains(la)
        {
            self.local_authorities.insert(la.clone());
        }
    }
}

/// A location id as a number where it can be one, so that a set of a national file's ids holds
/// 8 bytes an id rather than a string: `1-` and 1 to 15 digits is the digits' value and count (so
/// `1-0123` and `1-123` differ); an NHS site code or other id of up to 7 bytes not starting `1-`
/// is its bytes, with the top bit set. `None` for any other id (none the parsers accept).
pub fn location_key(id: &str) -> Option<u64> {
    if let Some(digits) = id.strip_prefix("1-")
        && (1..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(value) = digits.parse::<u64>()
    {
        return Some(((digits.len() as u64) << 50) | value);
    }
    if (1..=7).contains(&id.len()) && !id.starts_with("1-") {
        let bytes = id.bytes().fold(0u64, |acc, b| (acc << 8) | u64::from(b));
        return Some((1 << 63) | ((id.len() as u64) << 56) | bytes);
    }
    None
}

/// The distinct location ids a file lists, held as [`location_key`]s where they pack: at 500,000 locations a
/// set of strings was about 35 MB of an import's memory, this about 9 MB (issue 18 item 1).
/// Hashed with foldhash, as the parser's own sets are, not with the standard library's SipHash,
/// whose rounds were about 2% of the CPU of a 50,000-location file's first reading (`perf`,
/// session 44).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedIds {
    packed: HashSet<u64, foldhash::fast::RandomState>,
    other: BTreeSet<Box<str>>,
}

impl ListedIds {
    pub fn insert(&mut self, id: &str) {
        match location_key(id) {
            Some(key) => {
                self.packed.insert(key);
            }
            None if !self.other.contains(id) => {
                self.other.insert(id.into());
            }
            None => {}
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        match location_key(id) {
            Some(key) => self.packed.contains(&key),
            None => self.other.contains(id),
        }
    }

    pub fn len(&self) -> usize {
        self.packed.len() + self.other.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<S: AsRef<str>> FromIterator<S> for ListedIds {
    fn from_iter<I: IntoIterator<Item = S>>(ids: I) -> Self {
        let mut set = ListedIds::default();
        for id in ids {
            set.insert(id.as_ref());
        }
        set
    }
}

/// Which services a file speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCoverage {
    /// The layout lists every location CQC registers (directory and export layouts; not API
    /// documents, which each give their own status, nor `Latest_ratings`, which lists only rated
    /// locations).
    pub register_layout: bool,
    /// What the officer said about the file.
    pub completeness: Completeness,
    /// The 45-column export lists social care locations only: it cannot say a healthcare
    /// location has closed.
    pub social_care_only: bool,
    /// The local authorities with at least one row in the file, as CQC writes them.
    pub local_authorities: BTreeSet<String>,
}

impl FileCoverage {
    /// Whether this file may deregister anything at all.
    pub fn may_deregister(&self) -> bool {
        self.register_layout && self.completeness == Completeness::Complete && !self.local_authorities.is_empty()
    }

    fn covers_area(&self, la: Option<&str>) -> bool {
        la.is_some_and(|la| self.local_authorities.iter().any(|c| c.eq_ignore_ascii_case(la.trim())))
    }

    fn covers_kind(&self, kind: ServiceKind) -> bool {
        // Healthcare locations (GP practices, dentists, hospitals) are classified as Other.
        !self.social_care_only || kind != ServiceKind::Other
    }
}

/// A registered CQC service as the register holds it, for deciding what a file deregisters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredService {
    pub id: String,
    pub location_id: String,
    pub name: String,
    pub local_authority: Option<String>,
    pub kind: ServiceKind,
}

/// More deregistrations than this from one file need the officer to confirm them, having seen
/// the list. A council's monthly directory closes a handful of services; a partial file taken for
/// a complete one closes hundreds.
pub const CONFIRM_DEREGISTRATIONS_ABOVE: usize = 10;

/// What a file would deregister.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeregistrationPlan {
    /// The services to mark deregistered, in register order.
    pub services: Vec<RegisteredService>,
    /// Why nothing may be deregistered, when that is so (for the report).
    pub not_deregistering_because: Option<String>,
}

impl DeregistrationPlan {
    pub fn needs_confirmation(&self) -> bool {
        self.services.len() > CONFIRM_DEREGISTRATIONS_ABOVE
    }
}

/// The registered services a file would mark deregistered: those of a local authority the file
/// covers, of a kind it covers, that it does not list. Nothing unless the file may deregister.
pub fn plan_deregistration(coverage: &FileCoverage, registered: &[RegisteredService], listed: &ListedIds) -> DeregistrationPlan {
    if !coverage.register_layout {
        return DeregistrationPlan {
            services: Vec::new(),
            not_deregistering_because: Some(
                "this kind of file does not list every registered service, so a service missing from it has not closed".into(),
            ),
        };
    }
    if coverage.completeness == Completeness::Partial {
        return DeregistrationPlan {
            services: Vec::new(),
            not_deregistering_because: Some(
                "the file was imported as partial (some rows only), so a service missing from it has not closed".into(),
            ),
        };
    }
    let services = registered
        .iter()
        .filter(|s| coverage.covers_area(s.local_authority.as_deref()))
        .filter(|s| coverage.covers_kind(s.kind))
        .filter(|s| !listed.contains(&s.location_id))
        .cloned()
        .collect();
    DeregistrationPlan { services, not_deregistering_because: None }
}

/// CQC's files cover 153 local authorities in England. A file with rows for fewer than this
/// many is not national, whatever else it is.
pub const NATIONAL_MIN_LOCAL_AUTHORITIES: usize = 140;

/// Whether a file may set the national comparators: a complete register file covering (nearly)
/// every local authority in England. A regional extract, a sample of the national file or a
/// truncated download is not national.
pub fn is_national_file(coverage: &FileCoverage) -> bool {
    coverage.may_deregister() && coverage.local_authorities.len() >= NATIONAL_MIN_LOCAL_AUTHORITIES
}

/// Whether a service is in the council's area: its local authority is one of the council's
/// (compared ignoring case). No local authorities set: every service is in the area.
pub fn in_council_area(council_local_authorities: &[String], service_local_authority: Option<&str>) -> bool {
    council_local_authorities.is_empty()
        || service_local_authority.is_some_and(|la| council_local_authorities.iter().any(|c| c.trim().eq_ignore_ascii_case(la.trim())))
}

/// The council's local authorities as an officer enters them: tidied, each once (ignoring
/// case), none with the `;` the setting is stored with, none longer than CQC's field. `known`: the
/// local authorities of the register's services (lower case); a name none of them has is
/// refused (a misspelling would put every service out of area), unless the register has none.
pub fn council_local_authorities(names: &[String], known: &BTreeSet<String>) -> Result<Vec<String>, crate::FieldError> {
    use crate::FieldError;
    let mut cleaned: Vec<String> = Vec::new();
    for n in names {
        let n = crate::text::tidy(n);
        if n.is_empty() {
            continue;
        }
        if n.contains(';') {
            return Err(FieldError::new("local_authorities", format!("'{n}' is not a local authority name: put each on its own line")));
        }
        if n.chars().count() > CqcField::LocalAuthority.max_chars() {
            return Err(FieldError::new(
                "local_authorities",
                format!("A local authority name must be {} characters or fewer", CqcField::LocalAuthority.max_chars()),
            ));
        }
        if !cleaned.iter().any(|c| c.eq_ignore_ascii_case(&n)) {
            cleaned.push(n);
        }
    }
    if !known.is_empty()
        && let Some(unknown) = cleaned.iter().find(|n| !known.contains(&n.to_lowercase()))
    {
        return Err(FieldError::new(
            "local_authorities",
            format!("No service in the register is in '{unknown}': enter the local authority as CQC writes it, like 'Oldham'"),
        ));
    }
    Ok(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::{CqcRatingSet, Rating, Specialism};

    fn rich() -> CqcLocation {
        let mut l = CqcLocation::new("1-100", "Alder House");
        l.address_line = Some("1 Road".into());
        l.town = Some("Oldham".into());
        l.postcode = Some("OL1 1AA".into());
        l.beds = Some(40);
        l.care_home = Some(true);
        l.service_types = vec!["Residential homes".into()];
        l.specialisms = vec![Specialism::Dementia];
        l.rating = Some(CqcRatingSet { overall: Some(Rating::Good), ..Default::default() });
        l
    }

    #[test]
    fn a_layout_without_a_field_keeps_the_stored_value() {
        let stored = rich();
        let mut incoming = CqcLocation::new("1-100", "Alder House");
        incoming.service_types = vec!["Residential homes".into()];
        let carried: FieldSet = [CqcField::Name, CqcField::ServiceTypes, CqcField::CareHome].into_iter().collect();
        let merged = merge_location(Some(&stored), &incoming, &carried);
        assert_eq!(merged.postcode.as_deref(), Some("OL1 1AA"));
        assert_eq!(merged.address_line.as_deref(), Some("1 Road"));
        assert_eq!(merged.beds, Some(40));
        assert_eq!(merged.rating, stored.rating);
        assert_eq!(merged.specialisms, vec![Specialism::Dementia]);
    }

    #[test]
    fn a_carried_field_blank_in_the_file_is_a_real_blank() {
        let stored = rich();
        let incoming = CqcLocation::new("1-100", "Alder House");
        let carried: FieldSet = [CqcField::Name, CqcField::Postcode, CqcField::Beds].into_iter().collect();
        let merged = merge_location(Some(&stored), &incoming, &carried);
        assert_eq!(merged.postcode, None);
        assert_eq!(merged.beds, None);
        assert_eq!(merged.town.as_deref(), Some("Oldham"), "address not carried: kept");
    }

    #[test]
    fn merging_in_either_order_gives_the_same_location() {
        let a_fields: FieldSet = [CqcField::Name, CqcField::Address, CqcField::Postcode].into_iter().collect();
        let b_fields: FieldSet = [CqcField::Name, CqcField::Beds, CqcField::Rating].into_iter().collect();
        let mut a = CqcLocation::new("1-1", "X");
        a.postcode = Some("OL1 1AA".into());
        a.address_line = Some("1 Road".into());
        let mut b = CqcLocation::new("1-1", "X");
        b.beds = Some(12);
        b.rating = Some(CqcRatingSet { overall: Some(Rating::Good), ..Default::default() });
        let ab = merge_location(Some(&merge_location(None, &a, &a_fields)), &b, &b_fields);
        let ba = merge_location(Some(&merge_location(None, &b, &b_fields)), &a, &a_fields);
        assert_eq!(ab, ba);
        assert_eq!(ab.postcode.as_deref(), Some("OL1 1AA"));
        assert_eq!(ab.beds, Some(12));
    }

    fn svc(id: &str, la: &str, kind: ServiceKind) -> RegisteredService {
        RegisteredService {
            id: format!("s{id}"),
            location_id: id.into(),
            name: format!("Service {id}"),
            local_authority: Some(la.into()),
            kind,
        }
    }

    fn coverage(completeness: Completeness, social_care_only: bool) -> FileCoverage {
        FileCoverage { register_layout: true, completeness, social_care_only, local_authorities: ["Oldham".to_string()].into() }
    }

    #[test]
    fn only_a_complete_register_file_deregisters_and_only_in_its_areas_and_kinds() {
        let registered = vec![
            svc("1-1", "Oldham", ServiceKind::HomeCare),
            svc("1-2", "Oldham", ServiceKind::Other),
            svc("1-3", "Rochdale", ServiceKind::HomeCare),
            svc("1-4", "oldham", ServiceKind::CareHomeNursing),
        ];
        let listed: ListedIds = ["1-4"].into_iter().collect();
        let plan = plan_deregistration(&coverage(Completeness::Complete, false), &registered, &listed);
        let ids: Vec<&str> = plan.services.iter().map(|s| s.location_id.as_str()).collect();
        assert_eq!(ids, vec!["1-1", "1-2"]);
        let plan = plan_deregistration(&coverage(Completeness::Complete, true), &registered, &listed);
        let ids: Vec<&str> = plan.services.iter().map(|s| s.location_id.as_str()).collect();
        assert_eq!(ids, vec!["1-1"], "a social-care-only file cannot close a healthcare location");
        let plan = plan_deregistration(&coverage(Completeness::Partial, false), &registered, &listed);
        assert!(plan.services.is_empty());
        assert!(plan.not_deregistering_because.is_some_and(|r| r.contains("partial")));
        let mut api = coverage(Completeness::Complete, false);
        api.register_layout = false;
        assert!(plan_deregistration(&api, &registered, &listed).services.is_empty());
    }

    #[test]
    fn many_deregistrations_need_confirmation() {
        let registered: Vec<RegisteredService> =
            (0..=CONFIRM_DEREGISTRATIONS_ABOVE).map(|i| svc(&format!("1-{i}"), "Oldham", ServiceKind::HomeCare)).collect();
        let plan = plan_deregistration(&coverage(Completeness::Complete, false), &registered, &ListedIds::default());
        assert_eq!(plan.services.len(), CONFIRM_DEREGISTRATIONS_ABOVE + 1);
        assert!(plan.needs_confirmation());
        let plan = plan_deregistration(&coverage(Completeness::Complete, false), &registered[1..], &ListedIds::default());
        assert!(!plan.needs_confirmation());
    }

    #[test]
    fn national_needs_a_complete_file_of_nearly_every_local_authority() {
        let las: BTreeSet<String> = (0..NATIONAL_MIN_LOCAL_AUTHORITIES).map(|i| format!("LA {i}")).collect();
        let mut c =
            FileCoverage { register_layout: true, completeness: Completeness::Complete, social_care_only: true, local_authorities: las };
        assert!(is_national_file(&c));
        c.completeness = Completeness::Partial;
        assert!(!is_national_file(&c), "a partial file is never national");
        c.completeness = Completeness::Complete;
        c.local_authorities = (0..29).map(|i| format!("LA {i}")).collect();
        assert!(!is_national_file(&c), "29 authorities is not England");
    }

    #[test]
    fn over_long_values_are_named() {
        let mut l = CqcLocation::new("1-1", "x".repeat(CqcField::Name.max_chars()));
        assert!(over_long_values(&l).is_empty());
        l.name.push('x');
        l.website = Some("w".repeat(10_000));
        let got = over_long_values(&l);
        assert_eq!(got.len(), 2);
        assert!(got[0].starts_with("the name is 301 characters long; at most 300"), "{got:?}");
        assert!(got[1].starts_with("the website is 10000 characters long"), "{got:?}");
    }

    #[test]
    fn council_area() {
        let las = vec!["Oldham".to_string()];
        assert!(in_council_area(&las, Some("oldham ")));
        assert!(!in_council_area(&las, Some("Rochdale")));
        assert!(!in_council_area(&las, None));
        assert!(in_council_area(&[], Some("Rochdale")));
    }

    #[test]
    fn council_local_authorities_are_tidied_once_each_and_known() {
        let known: BTreeSet<String> = ["oldham".to_string(), "rochdale".to_string()].into();
        let names = vec![" Oldham ".to_string(), "OLDHAM".into(), "".into(), "Rochdale".into()];
        assert_eq!(council_local_authorities(&names, &known), Ok(vec!["Oldham".to_string(), "Rochdale".into()]));
        assert!(council_local_authorities(&["Oldam".to_string()], &known).unwrap_err().message.contains("'Oldam'"));
        assert!(council_local_authorities(&["A;B".to_string()], &known).is_err());
        assert_eq!(council_local_authorities(&["Anywhere".to_string()], &BTreeSet::new()), Ok(vec!["Anywhere".to_string()]));
    }

    #[test]
    fn location_keys_tell_every_id_apart() {
        let ids = [
            "1-1234",
            "1-01234",
            "1-0001234",
            "1-123456789012345",
            "1-1234567890123456",
            "1-12345",
            "RX3LD",
            "RX3L",
            "5J501",
            "TADHQ",
            "1-x",
            "1-",
            "ABCDEFGH",
            "ABCDEFGI",
        ];
        // An id that does not pack is kept as itself.
        let key = |id: &'static str| location_key(id).ok_or(id);
        for a in ids {
            for b in ids {
                assert_eq!(key(a) == key(b), a == b, "{a} {b}");
            }
        }
        let half: ListedIds = ids.iter().step_by(2).collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(half.contains(id), i % 2 == 0, "{id}");
        }
        assert_eq!(half.len(), ids.len().div_ceil(2));
        let twice: ListedIds = ids.iter().chain(ids.iter()).collect();
        assert_eq!(twice.len(), ids.len(), "an id listed twice is held once");
    }
}
