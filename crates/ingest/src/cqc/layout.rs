//! The CQC table layouts: which columns identify each one, and which column holds each field.
//!
//! A layout is recognised from its header row (not the file name): the first row, within the
//! first [`HEADER_SEARCH_ROWS`] rows of a sheet, that has all of a layout's identifying columns.
//! Column names are compared ignoring case, spacing and a byte-order mark.

use super::CqcFormat;
use caremarket_core::register::import_plan::{CqcField, FieldSet};

/// How far down a sheet to look for the header row (CQC's directory CSV has a few lines of
/// preamble; 2026 HSCA files have notices above the header).
pub(crate) const HEADER_SEARCH_ROWS: u64 = 50;

/// The fields the mappers read. Each layout names the column (or columns: aliases) holding each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    LocationId,
    Name,
    ProviderId,
    ProviderName,
    Phone,
    Website,
    LocalAuthority,
    Region,
    ServiceTypes,
    Specialisms,
    CareHome,
    Beds,
    StartDate,
    EndDate,
    Overall,
    Safe,
    Effective,
    Caring,
    Responsive,
    WellLed,
    PublicationDate,
    LatestCheck,
    Address,
    Address1,
    Address2,
    Town,
    Postcode,
    Url,
    ServiceGroup,
    Domain,
    LatestRating,
}

/// How many [`Field`]s there are: the size of [`HeaderMap`]'s index by field.
const FIELDS: usize = Field::LatestRating as usize + 1;

/// One field's column: the names it goes by (display form; first is canonical) and whether a
/// header must have it for the layout to be recognised.
pub(crate) struct Column {
    pub field: Field,
    pub names: &'static [&'static str],
    pub identifies: bool,
}

const fn col(field: Field, names: &'static [&'static str]) -> Column {
    Column { field, names, identifies: false }
}

const fn key(field: Field, names: &'static [&'static str]) -> Column {
    Column { field, names, identifies: true }
}

/// Flag columns of the HSCA file: "Regulated activity - Personal care" = "Y".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagKind {
    RegulatedActivity,
    ServiceType,
    ServiceUserBand,
}

pub(crate) const FLAG_PREFIXES: [(&str, FlagKind); 3] = [
    ("regulated activity - ", FlagKind::RegulatedActivity),
    ("service type - ", FlagKind::ServiceType),
    ("service user band - ", FlagKind::ServiceUserBand),
];

/// The 45-column adult social care locations export (the sample `Locations-head.csv`).
pub(crate) const EXPORT_45: &[Column] = &[
    key(Field::LocationId, &["Location ID"]),
    key(Field::Name, &["Location Name"]),
    key(Field::Overall, &["Location Latest Overall Rating"]),
    key(Field::Safe, &["Location safe rating"]),
    key(Field::ServiceTypes, &["Service Types"]),
    col(Field::Effective, &["Location effective rating"]),
    col(Field::Caring, &["Location caring rating"]),
    col(Field::Responsive, &["Location responsive rating"]),
    col(Field::WellLed, &["Location well-led rating", "Location well led rating"]),
    col(Field::PublicationDate, &["Publication Date"]),
    col(Field::Phone, &["Location telephone number"]),
    col(Field::Website, &["Location Web Address"]),
    col(Field::LocalAuthority, &["Location Local Authority"]),
    col(Field::Region, &["Location ADASS Region", "Location Region"]),
    col(Field::Beds, &["Care homes beds"]),
    col(Field::StartDate, &["Location HSCA start date"]),
    col(Field::EndDate, &["Location HSCA end date"]),
    col(Field::Specialisms, &["Service users supported"]),
    col(Field::ProviderName, &["Provider Name"]),
    col(Field::ProviderId, &["Provider ID"]),
];

/// The older 18-column `CQC_directory.csv` (the sample `output-head.csv`).
pub(crate) const DIRECTORY_18: &[Column] = &[
    key(Field::Name, &["Name"]),
    key(Field::Address1, &["Address 1"]),
    key(Field::Postcode, &["Postcode"]),
    key(
        Field::LocationId,
        &[
            "CQC Location ID (for office use only)",
            "CQC Location (for office use only)",
            "CQC Location (for office use only",
            "CQC Location ID",
        ],
    ),
    col(Field::Address2, &["Address 2"]),
    col(Field::Town, &["Town/City"]),
    col(Field::Phone, &["Phone number"]),
    col(Field::ProviderId, &["CQC Provider ID (for office use only)", "CQC Provider ID"]),
    col(Field::Website, &["Website"]),
    col(Field::LocalAuthority, &["Local authority"]),
    col(Field::Region, &["Region"]),
    col(Field::PublicationDate, &["Report publication date"]),
    col(Field::Url, &["URL"]),
    col(Field::Specialisms, &["Specialisms/services"]),
    col(Field::ServiceTypes, &["Service types"]),
    col(Field::ProviderName, &["Provider name"]),
];

/// The current 15-column `CQC_directory.csv`.
pub(crate) const DIRECTORY_15: &[Column] = &[
    key(Field::Name, &["Name"]),
    key(Field::Address, &["Address"]),
    key(Field::Postcode, &["Postcode"]),
    key(Field::LatestCheck, &["Date of latest check"]),
    key(
        Field::LocationId,
        &[
            "CQC Location ID (for office use only)",
            "CQC Location (for office use only)",
            "CQC Location (for office use only",
            "CQC Location ID",
        ],
    ),
    col(Field::Phone, &["Phone number"]),
    col(Field::Website, &["Service's website (if available)", "Services website (if available)", "Website"]),
    col(Field::ServiceTypes, &["Service types"]),
    col(Field::Specialisms, &["Specialisms/services"]),
    col(Field::ProviderName, &["Provider name"]),
    col(Field::LocalAuthority, &["Local authority"]),
    col(Field::Region, &["Region"]),
    col(Field::Url, &["Location URL"]),
    col(Field::ProviderId, &["CQC Provider ID (for office use only)", "CQC Provider ID"]),
];

/// `HSCA_Active_Locations` ("care directory with filters"): about 122 columns, plus the
/// "Regulated activity - ", "Service type - " and "Service user band - " flag columns.
pub(crate) const HSCA: &[Column] = &[
    key(Field::LocationId, &["Location ID"]),
    key(Field::Name, &["Location Name"]),
    key(Field::CareHome, &["Care home?"]),
    key(Field::StartDate, &["Location HSCA start date"]),
    col(Field::Beds, &["Care homes beds"]),
    col(Field::Phone, &["Location Telephone Number"]),
    col(Field::Website, &["Location Web Address"]),
    col(Field::Overall, &["Location Latest Overall Rating"]),
    col(Field::PublicationDate, &["Publication Date"]),
    col(Field::Region, &["Location Region"]),
    col(Field::LocalAuthority, &["Location Local Authority"]),
    col(Field::Address1, &["Location Street Address"]),
    col(Field::Address2, &["Location Address Line 2"]),
    col(Field::Town, &["Location City"]),
    col(Field::Postcode, &["Location Postal Code"]),
    col(Field::ProviderId, &["Provider ID"]),
    col(Field::ProviderName, &["Provider Name"]),
    col(Field::EndDate, &["Location HSCA End Date"]),
];

/// `Latest_ratings`, sheet "Locations": one row per location, service or population group, and
/// domain (Overall or a key question).
pub(crate) const LATEST_RATINGS: &[Column] = &[
    key(Field::LocationId, &["Location ID"]),
    key(Field::ServiceGroup, &["Service / Population Group", "Service/Population Group"]),
    key(Field::Domain, &["Domain"]),
    key(Field::LatestRating, &["Latest Rating"]),
    col(Field::Name, &["Location Name"]),
    col(Field::CareHome, &["Care Home?", "Care home?"]),
    col(Field::Address1, &["Location Street Address"]),
    col(Field::Address2, &["Location Address Line 2"]),
    col(Field::Town, &["Location City"]),
    col(Field::Postcode, &["Location Post Code", "Location Postal Code"]),
    col(Field::LocalAuthority, &["Location Local Authority"]),
    col(Field::Region, &["Location Region"]),
    col(Field::PublicationDate, &["Publication Date"]),
    col(Field::ProviderId, &["Provider ID"]),
    col(Field::ProviderName, &["Provider Name"]),
];

/// The layouts in the order they are tried: the most specific first.
pub(crate) const LAYOUTS: [(CqcFormat, &[Column]); 5] = [
    (CqcFormat::LatestRatings, LATEST_RATINGS),
    (CqcFormat::LocationsExport45, EXPORT_45),
    (CqcFormat::HscaActiveLocations, HSCA),
    (CqcFormat::Directory15, DIRECTORY_15),
    (CqcFormat::Directory18, DIRECTORY_18),
];

pub(crate) fn columns_of(format: CqcFormat) -> &'static [Column] {
    LAYOUTS.iter().find(|(f, _)| *f == format).map(|(_, c)| *c).unwrap_or(&[])
}

/// A header cell as compared: lowercase, single spaces, no byte-order mark.
pub(crate) fn normalise_header(s: &str) -> String {
    s.trim_start_matches('\u{feff}').split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// A recognised header row: where each field is, and the flag columns.
#[derive(Debug, Clone)]
pub(crate) struct HeaderMap {
    pub format: CqcFormat,
    /// Column index and the column's name as the file writes it, per field.
    columns: Vec<(Field, usize, String)>,
    pub flags: Vec<(usize, FlagKind, String)>,
    /// Each field's column index, looked up directly: a row reads some twenty fields.
    by_field: [Option<usize>; FIELDS],
}

impl HeaderMap {
    pub fn index(&self, field: Field) -> Option<usize> {
        self.by_field[field as usize]
    }

    pub fn has(&self, field: Field) -> bool {
        self.index(field).is_some()
    }

    /// The column's name as written in the file, for messages.
    pub fn name(&self, field: Field) -> String {
        self.columns
            .iter()
            .find(|(f, _, _)| *f == field)
            .map(|(_, _, n)| n.clone())
            .or_else(|| columns_of(self.format).iter().find(|c| c.field == field).and_then(|c| c.names.first()).map(|s| s.to_string()))
            .unwrap_or_default()
    }

    /// The register's fields this header carries, so an import overwrites those and keeps the
    /// stored value of every other (issue 14 item 4: the 45-column export has no address, the
    /// 18-column directory no beds).
    pub fn carried(&self) -> FieldSet {
        let mut set: FieldSet = self.columns.iter().map(|(f, _, _)| register_field(self.format, *f)).collect();
        for (_, kind, _) in &self.flags {
            set.insert(match kind {
                FlagKind::RegulatedActivity | FlagKind::ServiceType => CqcField::ServiceTypes,
                FlagKind::ServiceUserBand => CqcField::Specialisms,
            });
        }
        // Without a "Care home?" column, whether it is a care home is read from the service types.
        if set.contains(CqcField::ServiceTypes) {
            set.insert(CqcField::CareHome);
        }
        set
    }

    /// Each mapped column with the register field it feeds, for length checks.
    pub fn mapped_columns(&self) -> impl Iterator<Item = (CqcField, usize, &str)> + '_ {
        self.columns.iter().map(|(f, i, n)| (register_field(self.format, *f), *i, n.as_str()))
    }

    /// How many fields (and flag columns) this header maps.
    pub fn mapped(&self) -> usize {
        self.columns.len() + self.flags.len()
    }
}

/// The register field a column feeds. "Publication Date" is the rating's date in the export and
/// HSCA layouts, and the directory's only sign of the last inspection in the 18-column layout.
pub(crate) fn register_field(format: CqcFormat, field: Field) -> CqcField {
    match field {
        Field::LocationId | Field::Url | Field::ServiceGroup | Field::Domain => CqcField::Other,
        Field::Name => CqcField::Name,
        Field::ProviderId => CqcField::ProviderId,
        Field::ProviderName => CqcField::ProviderName,
        Field::Phone => CqcField::Phone,
        Field::Website => CqcField::Website,
        Field::LocalAuthority => CqcField::LocalAuthority,
        Field::Region => CqcField::Region,
        Field::ServiceTypes => CqcField::ServiceTypes,
        Field::Specialisms => CqcField::Specialisms,
        Field::CareHome => CqcField::CareHome,
        Field::Beds => CqcField::Beds,
        Field::StartDate => CqcField::RegistrationDate,
        Field::EndDate => CqcField::DeregistrationDate,
        Field::Overall | Field::Safe | Field::Effective | Field::Caring | Field::Responsive | Field::WellLed | Field::LatestRating => {
            CqcField::Rating
        }
        Field::PublicationDate if format == CqcFormat::Directory18 => CqcField::LastInspection,
        Field::PublicationDate => CqcField::Rating,
        Field::LatestCheck => CqcField::LastInspection,
        Field::Address | Field::Address1 | Field::Address2 | Field::Town => CqcField::Address,
        Field::Postcode => CqcField::Postcode,
    }
}

/// Map a header row against one layout's columns, whether or not it has the identifying ones.
pub(crate) fn map_header(format: CqcFormat, cells: &[String]) -> HeaderMap {
    let normalised: Vec<String> = cells.iter().map(|c| normalise_header(c)).collect();
    let mut columns = Vec::new();
    for column in columns_of(format) {
        let found = column.names.iter().find_map(|name| {
            let n = normalise_header(name);
            normalised.iter().position(|h| *h == n)
        });
        if let Some(i) = found {
            columns.push((column.field, i, cells[i].trim().to_string()));
        }
    }
    let mut flags = Vec::new();
    if format == CqcFormat::HscaActiveLocations {
        for (i, h) in normalised.iter().enumerate() {
            for (prefix, kind) in FLAG_PREFIXES {
                if h.starts_with(prefix) {
                    let label = cells[i].split_once('-').map(|(_, rest)| rest).unwrap_or_default();
                    flags.push((i, kind, crate::cqc::map::tidy(label)));
                }
            }
        }
    }
    let mut by_field = [None; FIELDS];
    for (field, i, _) in &columns {
        by_field[*field as usize].get_or_insert(*i);
    }
    HeaderMap { format, columns, flags, by_field }
}

/// The identifying columns a header lacks for a layout.
pub(crate) fn missing_keys(format: CqcFormat, header: &HeaderMap) -> Vec<String> {
    columns_of(format)
        .iter()
        .filter(|c| c.identifies && !header.has(c.field))
        .filter_map(|c| c.names.first().map(|s| s.to_string()))
        .collect()
}

/// The first layout whose identifying columns are all in `cells`.
pub(crate) fn recognise(cells: &[String]) -> Option<HeaderMap> {
    LAYOUTS.iter().map(|(format, _)| map_header(*format, cells)).find(|h| missing_keys(h.format, h).is_empty())
}

/// Columns that mark CQC's `Deactivated_Locations` file, which must not be imported as a
/// register (it lists closed locations only).
pub(crate) fn is_deactivated_locations(cells: &[String]) -> bool {
    cells.iter().map(|c| normalise_header(c)).any(|h| h == "care homes beds at point location de-activated" || h == "location status")
}

/// Each layout's label and identifying columns, for the unknown-layout message.
pub(crate) fn expected_columns() -> Vec<(String, Vec<String>)> {
    LAYOUTS
        .iter()
        .map(|(format, cols)| {
            (
                format.label().to_string(),
                cols.iter().filter(|c| c.identifies).filter_map(|c| c.names.first().map(|s| s.to_string())).collect(),
            )
        })
        .collect()
}
