//! Turning one table row into a [`CqcLocation`], with a reason an officer can act on for every
//! value that cannot be used.

use super::CqcFormat;
use super::layout::{Field, FlagKind, HeaderMap};
use crate::sheet::{Cell, TextRow, text_as_date};
use caremarket_core::Date;
use caremarket_core::register::{CqcLocation, CqcProvider, CqcRatingSet, Rating, RegistrationStatus, Specialism};
pub(crate) use caremarket_core::text::{normalise_postcode, tidy};
use std::borrow::Cow;
use std::collections::HashMap;

/// [`tidy`] without a copy when the text is tidy already (most values are): no space at either
/// end, no two together, no other whitespace. Bytes that may start a non-ASCII whitespace
/// character (U+0085, U+00A0, U+1680, U+2000 to U+205F, U+3000) are left to [`tidy`].
pub(crate) fn tidied(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let mut after_space = true;
    let tidy_already = b.iter().all(|&c| {
        let ok = match c {
            b' ' => !after_space,
            0x09..=0x0d | 0xc2 | 0xe1..=0xe3 => false,
            _ => true,
        };
        after_space = c == b' ';
        ok
    }) && !after_space;
    if tidy_already || b.is_empty() { Cow::Borrowed(s) } else { Cow::Owned(tidy(s)) }
}

/// `None` for an empty or whitespace-only value, else the tidied value (core's `non_empty`,
/// copying only what it keeps).
pub(crate) fn non_empty(s: &str) -> Option<String> {
    let t = tidied(s);
    if t.is_empty() { None } else { Some(t.into_owned()) }
}

/// Why a location id cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IdProblem {
    Empty,
    Malformed(String),
}

/// Check a CQC location id. CQC's ids are `1-` and digits (`1-113831768`, `1-21268168552`); NHS
/// trusts' and other NHS bodies' locations use their ODS site code instead (`RX3LD`, `RT2F3`,
/// `TADHQ`, `5J501`: 3 to 7 capital letters and digits, at least one a letter), and CQC's own
/// files carry both.
pub(crate) fn check_location_id(raw: &str) -> Result<String, IdProblem> {
    let id = raw.trim().trim_matches('\u{feff}');
    if id.is_empty() {
        return Err(IdProblem::Empty);
    }
    if is_location_id(id) {
        return Ok(id.to_string());
    }
    Err(IdProblem::Malformed(id.to_string()))
}

pub(crate) fn is_location_id(id: &str) -> bool {
    match id.strip_prefix("1-") {
        Some(digits) => (4..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
        None => is_ods_code(id),
    }
}

fn is_ods_code(id: &str) -> bool {
    (3..=7).contains(&id.len())
        && id.bytes().any(|b| b.is_ascii_uppercase())
        && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

pub(crate) fn id_problem_text(column: &str, problem: &IdProblem) -> String {
    match problem {
        IdProblem::Empty => format!("'{column}' is empty"),
        IdProblem::Malformed(id) => {
            format!("'{column}' '{id}' is not a CQC location id (they look like 1-123456789, or an NHS site code such as RX3LD)")
        }
    }
}

/// A rating as CQC spells it. Besides [`Rating::parse_cqc`]'s spellings, CQC's ratings file uses
/// "Not applicable" (no rating for that key question: read as no rating) and "No approved
/// rating" (read as "No published rating").
pub(crate) fn parse_rating(raw: &str) -> Result<Option<Rating>, String> {
    // The spellings CQC's files use, read without the allocations of the general case (six
    // ratings a row); each gives what the general case gives.
    if raw.is_empty() {
        return Ok(None);
    }
    for (spelling, rating) in COMMON_RATINGS {
        if raw.eq_ignore_ascii_case(spelling) {
            return Ok(Some(rating));
        }
    }
    let l = tidy(raw).to_ascii_lowercase();
    match l.as_str() {
        "not applicable" => Ok(None),
        "no approved rating" => Ok(Some(Rating::NoPublishedRating)),
        _ => Rating::parse_cqc(raw),
    }
}

const COMMON_RATINGS: [(&str, Rating); 6] = [
    ("good", Rating::Good),
    ("outstanding", Rating::Outstanding),
    ("requires improvement", Rating::RequiresImprovement),
    ("inadequate", Rating::Inadequate),
    ("inspected but not rated", Rating::InspectedButNotRated),
    ("no published rating", Rating::NoPublishedRating),
];

/// How a list is written in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListSep {
    /// `Homecare agencies|Supported living` (the 15-column directory).
    Pipe,
    /// `Sensory impairments,Dementia` or `Domiciliary care service, Supported living service`.
    /// Some items themselves contain a comma ("Treatment of disease, disorder or injury",
    /// "Hospital services for people with mental health needs, learning disabilities and
    /// problems with substance misuse"): every CQC item starts with a capital letter, so a piece
    /// starting with a small letter continues the previous item.
    Comma,
}

pub(crate) fn split_list(raw: &str, sep: ListSep) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    match sep {
        ListSep::Pipe => {
            for piece in raw.split('|') {
                if let Some(item) = non_empty(piece) {
                    push_unique(&mut out, item);
                }
            }
        }
        ListSep::Comma => {
            let mut items: Vec<String> = Vec::new();
            for piece in raw.split(',') {
                let t = tidied(piece);
                if t.is_empty() {
                    continue;
                }
                let continues = t.chars().next().is_some_and(|c| c.is_lowercase());
                match items.last_mut() {
                    Some(last) if continues => {
                        last.push_str(", ");
                        last.push_str(&t);
                    }
                    _ => items.push(t.into_owned()),
                }
            }
            for item in items {
                push_unique(&mut out, item);
            }
        }
    }
    out
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, item: T) {
    if !v.contains(&item) {
        v.push(item);
    }
}

/// Specialisms from CQC's service-user-band and specialism phrases. "Learning disabilities or
/// autistic spectrum disorder" counts for both learning disabilities and autism.
pub(crate) fn specialisms_from<S: AsRef<str>>(phrases: &[S]) -> Vec<Specialism> {
    let mut out = Vec::new();
    for phrase in phrases {
        let phrase = phrase.as_ref();
        if let Some(s) = Specialism::from_cqc(phrase) {
            push_unique(&mut out, s);
        }
        if contains_ignore_ascii_case(phrase, "autis") {
            push_unique(&mut out, Specialism::Autism);
        }
    }
    out
}

/// A phone number as published, with the leading zero restored when a spreadsheet has eaten it
/// (UK numbers are 0 and ten digits; CQC's own directory CSV has `7436315363`).
pub(crate) fn normalise_phone(raw: &str) -> Option<String> {
    let t = non_empty(raw)?;
    if t.len() == 10 && t.bytes().all(|b| b.is_ascii_digit()) && !t.starts_with('0') {
        return Some(format!("0{t}"));
    }
    Some(t)
}

/// Split a one-cell address (the 15-column directory's "Address", a quoted multi-line field, or
/// comma-separated) into the street part and the town: the town is the last line.
pub(crate) fn split_address(raw: &str) -> (Option<String>, Option<String>) {
    let parts: Vec<String> =
        if raw.contains('\n') { raw.lines().filter_map(non_empty).collect() } else { raw.split(',').filter_map(non_empty).collect() };
    match parts.split_last() {
        None => (None, None),
        Some((only, [])) => (Some(only.clone()), None),
        Some((town, rest)) => (Some(rest.join(", ")), Some(town.clone())),
    }
}

fn join_address(parts: &[Option<String>]) -> Option<String> {
    let parts: Vec<&str> = parts.iter().flatten().map(String::as_str).collect();
    if parts.is_empty() { None } else { Some(parts.join(", ")) }
}

/// Whether CQC service types describe a care home ("Care home service with nursing",
/// "Residential homes", "Nursing homes"). `None` when there are no service types.
pub(crate) fn care_home_from_service_types(types: &[String]) -> Option<bool> {
    if types.is_empty() {
        return None;
    }
    Some(types.iter().any(|t| {
        contains_ignore_ascii_case(t, "care home service")
            || contains_ignore_ascii_case(t, "nursing home")
            || contains_ignore_ascii_case(t, "residential home")
    }))
}

/// `hay.to_ascii_lowercase().contains(needle)` for a lowercase ASCII `needle`, without the copy.
fn contains_ignore_ascii_case(hay: &str, needle: &str) -> bool {
    hay.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Service types and specialisms by the text of their cells. CQC's files repeat a few dozen
/// combinations on row after row; splitting and classifying each again was a sixth of parsing an
/// export. Holds at most [`ListMemo::MAX`] texts of each; others are worked out every time.
#[derive(Default)]
pub(crate) struct ListMemo {
    /// The separator the texts were split by (one a layout, so one a file).
    sep: Option<ListSep>,
    service_types: HashMap<String, Vec<String>, foldhash::fast::RandomState>,
    specialisms: HashMap<String, Vec<Specialism>, foldhash::fast::RandomState>,
}

impl ListMemo {
    const MAX: usize = 1_024;

    fn split_by(&mut self, sep: ListSep) {
        if self.sep != Some(sep) {
            *self = ListMemo { sep: Some(sep), ..ListMemo::default() };
        }
    }

    /// [`split_list`] of `raw`.
    fn service_types(&mut self, raw: &str, sep: ListSep) -> Vec<String> {
        self.split_by(sep);
        remembered(&mut self.service_types, raw, || split_list(raw, sep))
    }

    /// [`specialisms_from`] the phrases of `raw`.
    fn specialisms(&mut self, raw: &str, sep: ListSep) -> Vec<Specialism> {
        self.split_by(sep);
        remembered(&mut self.specialisms, raw, || specialisms_from(&split_list(raw, sep)))
    }
}

fn remembered<T: Clone>(memo: &mut HashMap<String, T, foldhash::fast::RandomState>, raw: &str, work: impl FnOnce() -> T) -> T {
    if let Some(known) = memo.get(raw) {
        return known.clone();
    }
    let value = work();
    if memo.len() < ListMemo::MAX {
        memo.insert(raw.to_string(), value.clone());
    }
    value
}

/// A row's cells as its reader gave them: a spreadsheet's cells, or a CSV row's fields.
#[derive(Clone, Copy)]
pub(crate) enum Row<'a> {
    Cells(&'a [Cell]),
    Text(TextRow<'a>),
}

impl<'a> Row<'a> {
    pub fn len(&self) -> usize {
        match self {
            Row::Cells(cells) => cells.len(),
            Row::Text(fields) => fields.len(),
        }
    }

    pub fn get(&self, i: usize) -> Option<Value<'a>> {
        match self {
            Row::Cells(cells) => cells.get(i).map(|c| match c {
                Cell::Empty => Value::Text(""),
                Cell::Text(s) => Value::Text(s),
                other => Value::Cell(other),
            }),
            Row::Text(fields) => fields.get(i).map(Value::Text),
        }
    }
}

/// One cell of a [`Row`], borrowed: text (an empty cell is empty text) or a typed cell.
#[derive(Clone, Copy)]
pub(crate) enum Value<'a> {
    Text(&'a str),
    Cell(&'a Cell),
}

impl<'a> Value<'a> {
    /// As [`Cell::as_text`].
    pub fn as_text(&self) -> Cow<'a, str> {
        match self {
            Value::Text(s) => Cow::Borrowed(s),
            Value::Cell(c) => Cow::Owned(c.as_text()),
        }
    }

    /// As [`Cell::as_date`].
    fn as_date(&self) -> Result<Option<Date>, ()> {
        match self {
            Value::Text(s) => text_as_date(s),
            Value::Cell(c) => c.as_date(),
        }
    }
}

/// A row being read, collecting every problem rather than stopping at the first, so an officer
/// can fix a row in one go.
pub(crate) struct RowView<'a> {
    header: &'a HeaderMap,
    row: Row<'a>,
    pub problems: Vec<String>,
}

impl<'a> RowView<'a> {
    pub fn new(header: &'a HeaderMap, row: Row<'a>) -> Self {
        RowView { header, row, problems: Vec::new() }
    }

    pub fn cell(&self, field: Field) -> Option<Value<'a>> {
        self.header.index(field).and_then(|i| self.row.get(i))
    }

    /// The cell's text as it is in the file, borrowed where the cell holds text.
    pub fn raw(&self, field: Field) -> Cow<'a, str> {
        self.cell(field).map_or(Cow::Borrowed(""), |c| c.as_text())
    }

    pub fn text(&self, field: Field) -> Option<String> {
        non_empty(&self.raw(field))
    }

    pub fn column(&self, field: Field) -> String {
        self.header.name(field)
    }

    pub fn date(&mut self, field: Field) -> Option<Date> {
        let cell = self.cell(field)?;
        match cell.as_date() {
            Ok(d) => d,
            Err(()) => {
                self.problems.push(format!("'{}' '{}' is not a date", self.column(field), tidy(&cell.as_text())));
                None
            }
        }
    }

    pub fn rating(&mut self, field: Field) -> Option<Rating> {
        let raw = self.raw(field);
        match parse_rating(&raw) {
            Ok(r) => r,
            Err(e) => {
                self.problems.push(format!("'{}' {e}", self.column(field)));
                None
            }
        }
    }

    pub fn whole_number(&mut self, field: Field) -> Option<i64> {
        let cell = self.cell(field)?;
        let parsed = match cell {
            Value::Cell(Cell::Number(n)) if n.fract() == 0.0 && n.abs() < 1e12 => Ok(Some(*n as i64)),
            Value::Text(s) if s.trim().is_empty() || s.trim() == "-" => Ok(None),
            Value::Text(s) => s.trim().parse::<i64>().map(Some).map_err(|_| ()),
            _ => Err(()),
        };
        match parsed {
            Ok(n) if n.is_some_and(|n| n < 0) => {
                self.problems.push(format!("'{}' '{}' is not a number of beds", self.column(field), cell.as_text()));
                None
            }
            Ok(n) => n,
            Err(()) => {
                self.problems.push(format!("'{}' '{}' is not a whole number", self.column(field), tidy(&cell.as_text())));
                None
            }
        }
    }

    pub fn yes_no(&mut self, field: Field) -> Option<bool> {
        let raw = self.raw(field);
        let t = tidied(&raw);
        for (spelling, answer) in [("y", true), ("yes", true), ("true", true), ("n", false), ("no", false), ("false", false)] {
            if t.eq_ignore_ascii_case(spelling) {
                return Some(answer);
            }
        }
        if t.is_empty() {
            return None;
        }
        self.problems.push(format!("'{}' must be Y or N; found '{}'", self.column(field), tidy(&raw)));
        None
    }

    fn flag_set(&self, index: usize) -> bool {
        match self.row.get(index) {
            Some(Value::Cell(Cell::Bool(b))) => *b,
            Some(c) => {
                let l = tidy(&c.as_text()).to_ascii_lowercase();
                !matches!(l.as_str(), "" | "n" | "no" | "false" | "0" | "-")
            }
            None => false,
        }
    }

    /// The location id, checked. A problem is recorded if it is empty or malformed.
    pub fn location_id(&mut self) -> Option<String> {
        let raw = self.raw(Field::LocationId);
        match check_location_id(&raw) {
            Ok(id) => Some(id),
            Err(problem) => {
                let mut reason = id_problem_text(&self.column(Field::LocationId), &problem);
                // The 18-column directory lists providers too, with a provider page and no location id.
                if problem == IdProblem::Empty
                    && let Some(url) = self.text(Field::Url).filter(|u| u.contains("/provider/"))
                {
                    reason.push_str(&format!(" (this row is a provider, {url}, not a location)"));
                }
                self.problems.push(reason);
                None
            }
        }
    }
}

/// A provider row of the 18-column directory: no location id, a provider page as its URL
/// (`https://www.cqc.org.uk/provider/1-1379610354`), "Organisation" as its service type. It gives
/// the provider's name ("Name") for its provider id ("CQC Provider ID (for office use only)").
pub(crate) fn provider_row(view: &RowView<'_>) -> Option<CqcProvider> {
    if view.header.format != CqcFormat::Directory18 || view.text(Field::LocationId).is_some() {
        return None;
    }
    view.text(Field::Url).filter(|u| u.contains("/provider/"))?;
    let provider_id = view.text(Field::ProviderId)?;
    let name = view.text(Field::Name).or_else(|| view.text(Field::ProviderName))?;
    Some(CqcProvider { provider_id, name })
}

/// Map one row of a table layout (not `Latest_ratings`, which is pivoted elsewhere).
///
/// `partial` is for an HSCA sheet that holds only some columns of rows whose name and other
/// columns are on another sheet: a missing name is then not a problem.
/// Returns the location, or the location id (when readable) and the reasons it cannot be used,
/// joined with "; ".
pub(crate) fn map_row(view: &mut RowView<'_>, partial: bool, memo: &mut ListMemo) -> Result<CqcLocation, (Option<String>, String)> {
    let format = view.header.format;
    let id = view.location_id();
    let name = view.text(Field::Name);
    if name.is_none() && !partial {
        let column = view.column(Field::Name);
        view.problems.push(format!("'{column}' is empty"));
    }
    let mut loc = CqcLocation::new(id.unwrap_or_default(), name.unwrap_or_default());
    loc.provider_id = view.text(Field::ProviderId);
    loc.provider_name = view.text(Field::ProviderName);
    loc.phone = normalise_phone(&view.raw(Field::Phone));
    loc.website = view.text(Field::Website);
    loc.local_authority = view.text(Field::LocalAuthority);
    loc.region = view.text(Field::Region);
    loc.postcode = view.text(Field::Postcode).and_then(|p| normalise_postcode(&p));

    // Address and town.
    if view.header.has(Field::Address) {
        let (line, town) = split_address(&view.raw(Field::Address));
        loc.address_line = line;
        loc.town = town;
    } else {
        loc.address_line = join_address(&[view.text(Field::Address1), view.text(Field::Address2)]);
        loc.town = view.text(Field::Town);
    }

    // Service types, specialisms, regulated activities.
    let list_sep = if format == CqcFormat::Directory15 { ListSep::Pipe } else { ListSep::Comma };
    loc.service_types = memo.service_types(&view.raw(Field::ServiceTypes), list_sep);
    if view.header.flags.is_empty() {
        loc.specialisms = memo.specialisms(&view.raw(Field::Specialisms), list_sep);
    } else {
        let mut bands = split_list(&view.raw(Field::Specialisms), list_sep);
        for (index, kind, label) in &view.header.flags {
            if view.flag_set(*index) {
                match kind {
                    FlagKind::RegulatedActivity => push_unique(&mut loc.regulated_activities, label.clone()),
                    FlagKind::ServiceType => push_unique(&mut loc.service_types, label.clone()),
                    FlagKind::ServiceUserBand => push_unique(&mut bands, label.clone()),
                }
            }
        }
        loc.specialisms = specialisms_from(&bands);
    }

    // Care home and beds.
    loc.care_home =
        if view.header.has(Field::CareHome) { view.yes_no(Field::CareHome) } else { care_home_from_service_types(&loc.service_types) };
    let beds = view.whole_number(Field::Beds);
    loc.beds = beds.filter(|b| *b > 0 || loc.care_home == Some(true));

    // Registration.
    loc.registration_date = view.date(Field::StartDate);
    loc.deregistration_date = view.date(Field::EndDate);
    if loc.deregistration_date.is_some() {
        loc.registration_status = RegistrationStatus::Deregistered;
    }

    // Ratings. A publication date alone is not a rating.
    let set = CqcRatingSet {
        overall: view.rating(Field::Overall),
        safe: view.rating(Field::Safe),
        effective: view.rating(Field::Effective),
        caring: view.rating(Field::Caring),
        responsive: view.rating(Field::Responsive),
        well_led: view.rating(Field::WellLed),
        report_date: None,
    };
    match format {
        CqcFormat::LocationsExport45 | CqcFormat::HscaActiveLocations => {
            let mut date = view.date(Field::PublicationDate);
            // In the 45-column export "Publication Date" is the location's registration date
            // (all 999 rows of the August 2025 sample, rated or not): it says nothing about the
            // report, so it is not used as the rating's date when it equals "Location HSCA start
            // date".
            if format == CqcFormat::LocationsExport45 && date.is_some() && date == loc.registration_date {
                date = None;
            }
            if !set.is_empty() {
                loc.rating = Some(CqcRatingSet { report_date: date, ..set });
            }
        }
        CqcFormat::Directory18 => {
            // "Report publication date": the directory's only sign of when CQC last looked.
            loc.last_inspection_date = view.date(Field::PublicationDate);
        }
        CqcFormat::Directory15 => loc.last_inspection_date = view.date(Field::LatestCheck),
        CqcFormat::LatestRatings | CqcFormat::ApiLocationJson => {}
    }

    if view.problems.is_empty() {
        Ok(loc)
    } else {
        let id = Some(loc.location_id).filter(|id| !id.is_empty());
        Err((id, view.problems.join("; ")))
    }
}

/// Fill what `into` lacks from `patch` (the same location's row on another sheet).
pub(crate) fn merge_patch(into: &mut CqcLocation, patch: CqcLocation) {
    fn fill<T>(a: &mut Option<T>, b: Option<T>) {
        if a.is_none() {
            *a = b;
        }
    }
    if into.name.is_empty() {
        into.name = patch.name;
    }
    fill(&mut into.provider_id, patch.provider_id);
    fill(&mut into.provider_name, patch.provider_name);
    fill(&mut into.address_line, patch.address_line);
    fill(&mut into.town, patch.town);
    fill(&mut into.postcode, patch.postcode);
    fill(&mut into.local_authority, patch.local_authority);
    fill(&mut into.region, patch.region);
    fill(&mut into.phone, patch.phone);
    fill(&mut into.website, patch.website);
    fill(&mut into.registration_date, patch.registration_date);
    if into.deregistration_date.is_none() && patch.deregistration_date.is_some() {
        into.deregistration_date = patch.deregistration_date;
        into.registration_status = RegistrationStatus::Deregistered;
    }
    fill(&mut into.care_home, patch.care_home);
    fill(&mut into.beds, patch.beds);
    for t in patch.service_types {
        push_unique(&mut into.service_types, t);
    }
    for t in patch.regulated_activities {
        push_unique(&mut into.regulated_activities, t);
    }
    for s in patch.specialisms {
        push_unique(&mut into.specialisms, s);
    }
    fill(&mut into.rating, patch.rating);
    fill(&mut into.last_inspection_date, patch.last_inspection_date);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_ids() {
        assert_eq!(check_location_id(" 1-113831768 "), Ok("1-113831768".to_string()));
        assert_eq!(check_location_id("RX3LD"), Ok("RX3LD".to_string()));
        assert_eq!(check_location_id("TADHQ"), Ok("TADHQ".to_string()));
        assert_eq!(check_location_id(""), Err(IdProblem::Empty));
        assert!(matches!(check_location_id("12345"), Err(IdProblem::Malformed(_))));
        assert!(matches!(check_location_id("1-12a45"), Err(IdProblem::Malformed(_))));
        assert!(matches!(check_location_id("Gud Care"), Err(IdProblem::Malformed(_))));
        assert!(matches!(check_location_id("Gud"), Err(IdProblem::Malformed(_))));
        assert_eq!(check_location_id("5J501"), Ok("5J501".to_string()));
    }

    #[test]
    fn common_rating_spellings_read_as_the_general_case_reads_them() {
        let general = |raw: &str| match tidy(raw).to_ascii_lowercase().as_str() {
            "not applicable" => Ok(None),
            "no approved rating" => Ok(Some(Rating::NoPublishedRating)),
            _ => Rating::parse_cqc(raw),
        };
        for raw in [
            "",
            "Good",
            "GOOD",
            " Good ",
            "Requires Improvement",
            "requires  improvement",
            "Inadequate",
            "Outstanding",
            "Inspected but not rated",
            "No published rating",
            "Not applicable",
            "No approved rating",
            "Not yet rated",
            "Gud",
        ] {
            assert_eq!(parse_rating(raw), general(raw), "{raw:?}");
        }
    }

    #[test]
    fn lists_keep_items_with_commas_inside() {
        assert_eq!(
            split_list("Maternity and midwifery services,Treatment of disease, disorder or injury,Surgical procedures", ListSep::Comma),
            vec!["Maternity and midwifery services", "Treatment of disease, disorder or injury", "Surgical procedures"]
        );
        assert_eq!(split_list("Doctors/GPs,Doctors/GPs", ListSep::Comma), vec!["Doctors/GPs"]);
        assert_eq!(
            split_list("Domiciliary care service, Supported living service", ListSep::Comma),
            vec!["Domiciliary care service", "Supported living service"]
        );
        assert_eq!(split_list("Homecare agencies| Supported living|", ListSep::Pipe), vec!["Homecare agencies", "Supported living"]);
    }

    #[test]
    fn specialisms_phones_addresses() {
        assert_eq!(
            specialisms_from(&["Caring for adults under 65 yrs", "Learning Disabilities or autistic spectrum disorder"]),
            vec![Specialism::YoungerAdults, Specialism::LearningDisabilities, Specialism::Autism]
        );
        assert_eq!(normalise_phone("7436315363").as_deref(), Some("07436315363"));
        assert_eq!(normalise_phone("01452 471471").as_deref(), Some("01452 471471"));
        assert_eq!(split_address("1 Road\r\nCoppice\nOldham"), (Some("1 Road, Coppice".to_string()), Some("Oldham".to_string())));
        assert_eq!(
            split_address("7-9 White Kennet Street,London"),
            (Some("7-9 White Kennet Street".to_string()), Some("London".to_string()))
        );
        assert_eq!(parse_rating("Not applicable"), Ok(None));
        assert!(parse_rating("Gud").is_err());
    }
}
