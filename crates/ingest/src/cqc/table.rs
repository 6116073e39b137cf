//! The row sink behind every table layout: finds the header, maps rows, keeps the first of
//! duplicate ids, pivots `Latest_ratings`, joins HSCA sheets.

use super::layout::{
    self, Field, HEADER_SEARCH_ROWS, HeaderMap, expected_columns, is_deactivated_locations, map_header, missing_keys, recognise,
};
use super::map::{ListMemo, Row, RowView, Value, map_row, merge_patch, normalise_postcode, parse_rating, provider_row, tidy};
use super::{CqcFormat, Each, ParseOutcome};
use crate::IngestError;
use crate::error::UnknownLayout;
use crate::sheet::{Cell, Flow, RowSink, TextRow};
use caremarket_core::Date;
use caremarket_core::register::import_plan::{FieldSet, location_key};
use caremarket_core::register::{CqcLocation, CqcProvider, CqcRatingSet, KeyQuestion, Rejection};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

enum SheetState {
    Searching {
        rows: u64,
    },
    Data(Box<HeaderMap>),
    /// Some HSCA columns of rows whose other columns are on another sheet, joined by Location ID.
    Supplement(Box<HeaderMap>),
    Skipping,
}

struct Supplement {
    sheet: String,
    row: u64,
    id: String,
    patch: CqcLocation,
}

/// Where a row was, for messages: the sheet as its index in [`TableParser::sheets`] (the top 16
/// bits) and the row (the low 48), so that the place of each of a national file's ids is 8 bytes
/// and an entry of the parser's map of them 16 (it was 24, about 26 MiB at 500,000 locations).
/// A workbook has far fewer than 65,536 sheets and a file fewer than 2^48 rows; a place past
/// either is kept as the last one that fits, for a message only.
#[derive(Clone, Copy)]
struct Place(u64);

impl Place {
    const ROW_BITS: u32 = 48;
    const MAX_ROW: u64 = (1 << Self::ROW_BITS) - 1;

    fn new(sheet: usize, row: u64) -> Place {
        let sheet = u64::try_from(sheet).unwrap_or(u64::MAX).min(u64::from(u16::MAX));
        Place((sheet << Self::ROW_BITS) | row.min(Self::MAX_ROW))
    }

    fn sheet(self) -> usize {
        (self.0 >> Self::ROW_BITS) as usize
    }

    fn row(self) -> u64 {
        self.0 & Self::MAX_ROW
    }
}

pub(crate) struct TableParser<'a> {
    file: String,
    /// Where each location goes as it is read, instead of `records` (see `parse_cqc_file_each`).
    each: Option<&'a mut dyn FnMut(CqcLocation)>,
    sheet: String,
    state: SheetState,
    any_row: bool,
    format: Option<CqcFormat>,
    /// Sheets rows were taken from (data or supplement).
    used_sheets: Vec<String>,
    records: Vec<CqcLocation>,
    rejections: Vec<(Rejection, String)>,
    /// Where each id was first seen, ids that pack into a number (all but odd ones) apart from
    /// the rest. Hashed with foldhash (seeded per parser): the std hasher was a twentieth of
    /// parsing.
    seen: HashMap<u64, Place, foldhash::fast::RandomState>,
    /// Every id a location is parsed with packs; this keeps the rule whole if that changes.
    seen_other: HashMap<Box<str>, Place, foldhash::fast::RandomState>,
    /// On a second reading, the only ids to remember (`reread_cqc_file`); every id otherwise.
    remember_only: Option<&'a HashSet<String>>,
    /// Every sheet started, in order; the last is the one being read.
    sheets: Vec<String>,
    rows_read: u64,
    /// The most header-like row seen while searching, for the unknown-layout message.
    best_header: (usize, Vec<String>),
    deactivated: bool,
    pivot: RatingsPivot,
    supplements: Vec<Supplement>,
    supplement_seen: HashMap<String, Place>,
    /// The 18-column directory's provider rows (issue 14 item 11).
    providers: Vec<CqcProvider>,
    /// Fields in the header row and in the row being read, as the file holds them (CSV only).
    header_width: Option<usize>,
    row_width: Option<usize>,
    /// The register fields the used sheets' headers carry.
    carried: FieldSet,
    lists: ListMemo,
}

impl<'a> TableParser<'a> {
    pub fn new(file: &str) -> Self {
        TableParser {
            file: file.to_string(),
            each: None,
            sheet: String::new(),
            state: SheetState::Searching { rows: 0 },
            any_row: false,
            format: None,
            used_sheets: Vec::new(),
            records: Vec::new(),
            rejections: Vec::new(),
            seen: HashMap::default(),
            seen_other: HashMap::default(),
            remember_only: None,
            sheets: Vec::new(),
            rows_read: 0,
            best_header: (0, Vec::new()),
            deactivated: false,
            pivot: RatingsPivot::default(),
            supplements: Vec::new(),
            supplement_seen: HashMap::new(),
            providers: Vec::new(),
            header_width: None,
            row_width: None,
            carried: FieldSet::default(),
            lists: ListMemo::default(),
        }
    }

    /// A parser that hands each location to `each`: row by row where a location is whole in its
    /// row, at the end where rows or sheets are joined first (`Latest_ratings`, HSCA workbooks).
    pub fn each(file: &str, each: Each<'a>) -> Self {
        TableParser { each: Some(each.to), remember_only: each.remember_only, ..TableParser::new(file) }
    }

    fn place(&self, row: u64) -> Place {
        Place::new(self.sheets.len().saturating_sub(1), row)
    }

    fn sheet_name(&self, place: Place) -> &str {
        self.sheets.get(place.sheet()).map_or("", String::as_str)
    }

    /// Where `id` was first seen, or `None` when it is new (and is remembered at `row`).
    fn first_seen(&mut self, id: &str, row: u64) -> Option<Place> {
        if self.remember_only.is_some_and(|only| !only.contains(id)) {
            return None;
        }
        let here = self.place(row);
        match location_key(id) {
            Some(key) => first_place(&mut self.seen, key, here),
            None => first_place(&mut self.seen_other, id.into(), here),
        }
    }

    fn reject(&mut self, row: u64, location_id: Option<String>, reason: String) {
        self.rejections.push((Rejection { row, location_id, reason }, self.sheet.clone()));
    }

    fn search(&mut self, cells: Row<'_>, rows: u64) -> Flow {
        let texts: Vec<String> = (0..cells.len()).filter_map(|i| cells.get(i)).map(|c| tidy(&c.as_text())).collect();
        if let Some(header) = recognise(&texts) {
            if header.format == CqcFormat::HscaActiveLocations && is_deactivated_locations(&texts) {
                self.deactivated = true;
                self.state = SheetState::Skipping;
                return Flow::SkipSheet;
            }
            match self.format {
                Some(f) if f != header.format => {
                    // A sheet of another layout in the same workbook: not ours to mix in.
                    self.state = SheetState::Skipping;
                    return Flow::SkipSheet;
                }
                _ => {}
            }
            self.format = Some(header.format);
            self.used_sheets.push(self.sheet.clone());
            self.header_width = self.row_width;
            for f in header.carried().iter() {
                self.carried.insert(f);
            }
            self.state = SheetState::Data(Box::new(header));
            return Flow::Continue;
        }
        // Part of an HSCA table split over sheets: Location ID plus other HSCA columns.
        let partial = map_header(CqcFormat::HscaActiveLocations, &texts);
        if partial.has(Field::LocationId) && !partial.has(Field::Name) && partial.mapped() >= 3 {
            self.used_sheets.push(self.sheet.clone());
            for f in partial.carried().iter() {
                self.carried.insert(f);
            }
            self.state = SheetState::Supplement(Box::new(partial));
            return Flow::Continue;
        }
        let score = layout::LAYOUTS.iter().map(|(f, _)| map_header(*f, &texts).mapped()).max().unwrap_or(0);
        let filled = texts.iter().filter(|t| !t.is_empty()).count();
        if score > self.best_header.0 || (self.best_header.1.is_empty() && filled > 0) {
            self.best_header = (score, texts.into_iter().filter(|t| !t.is_empty()).collect());
        }
        if rows >= HEADER_SEARCH_ROWS {
            self.state = SheetState::Skipping;
            return Flow::SkipSheet;
        }
        Flow::Continue
    }

    /// Problems that make a row unusable before its values are read: a wrong number of fields
    /// (a stray comma or quote shifts every column after it) and values too long to be real.
    fn shape_problems(&self, header: &HeaderMap, cells: Row<'_>) -> Vec<String> {
        let mut problems = Vec::new();
        if let (Some(expected), Some(found)) = (self.header_width, self.row_width)
            && expected != found
        {
            problems.push(format!(
                "the row has {found} fields where the header has {expected}: a field is missing or extra (look for a stray comma or quote)"
            ));
        }
        for (field, index, name) in header.mapped_columns() {
            let Some(cell) = cells.get(index) else { continue };
            let max = field.max_chars();
            // A value no longer in bytes than the limit is within it in characters.
            let len = match cell {
                Value::Text(t) if t.len() <= max => continue,
                Value::Text(t) => t.chars().count(),
                other => other.as_text().chars().count(),
            };
            if len > max {
                problems.push(format!("'{name}' is {len} characters long; at most {max} are accepted"));
            }
        }
        problems
    }

    /// The row's location id when it can be read, for a rejection.
    fn readable_id(header: &HeaderMap, cells: Row<'_>) -> Option<String> {
        let raw = header.index(Field::LocationId).and_then(|i| cells.get(i)).map(|c| c.as_text())?;
        super::map::check_location_id(&raw).ok()
    }

    fn data_row(&mut self, header: &HeaderMap, row: u64, cells: Row<'_>) {
        self.rows_read += 1;
        let problems = self.shape_problems(header, cells);
        if !problems.is_empty() {
            self.reject(row, Self::readable_id(header, cells), problems.join("; "));
            return;
        }
        if header.format == CqcFormat::LatestRatings {
            let sheet = self.sheet.clone();
            let rejections = self.pivot.row(header, &sheet, row, cells);
            for (id, reason) in rejections {
                self.reject(row, id, reason);
            }
            return;
        }
        let mut view = RowView::new(header, cells);
        if let Some(provider) = provider_row(&view) {
            self.providers.push(provider);
            return;
        }
        match map_row(&mut view, false, &mut self.lists) {
            Err((id, reason)) => self.reject(row, id, reason),
            Ok(loc) => match self.first_seen(&loc.location_id, row) {
                Some(first) => {
                    let reason = duplicate_reason(
                        &header.name(Field::LocationId),
                        &loc.location_id,
                        self.sheet_name(first),
                        first.row(),
                        &self.sheet,
                    );
                    self.reject(row, Some(loc.location_id), reason);
                }
                None => {
                    match self.each.as_mut() {
                        // An HSCA location may still be joined with another sheet's columns.
                        Some(each) if header.format != CqcFormat::HscaActiveLocations => each(loc),
                        _ => self.records.push(loc),
                    }
                }
            },
        }
    }

    fn supplement_row(&mut self, header: &HeaderMap, row: u64, cells: Row<'_>) {
        self.rows_read += 1;
        let problems = self.shape_problems(header, cells);
        if !problems.is_empty() {
            self.reject(row, Self::readable_id(header, cells), problems.join("; "));
            return;
        }
        let mut view = RowView::new(header, cells);
        match map_row(&mut view, true, &mut self.lists) {
            Err((id, reason)) => self.reject(row, id, reason),
            Ok(patch) => {
                let id = patch.location_id.clone();
                if let Some(first) = self.supplement_seen.get(&id) {
                    let reason = duplicate_reason(&header.name(Field::LocationId), &id, self.sheet_name(*first), first.row(), &self.sheet);
                    self.reject(row, Some(id), reason);
                } else {
                    self.supplement_seen.insert(id.clone(), self.place(row));
                    self.supplements.push(Supplement { sheet: self.sheet.clone(), row, id, patch });
                }
            }
        }
    }

    /// A row of the sheet being read, from either kind of reader.
    fn take_row(&mut self, row: u64, cells: Row<'_>) -> Flow {
        self.any_row = true;
        let state = std::mem::replace(&mut self.state, SheetState::Skipping);
        let (next, flow) = match state {
            SheetState::Searching { rows } => {
                let rows = rows + 1;
                self.state = SheetState::Searching { rows };
                let flow = self.search(cells, rows);
                return flow;
            }
            SheetState::Data(header) => {
                self.data_row(&header, row, cells);
                (SheetState::Data(header), Flow::Continue)
            }
            SheetState::Supplement(header) => {
                self.supplement_row(&header, row, cells);
                (SheetState::Supplement(header), Flow::Continue)
            }
            SheetState::Skipping => (SheetState::Skipping, Flow::SkipSheet),
        };
        self.state = next;
        flow
    }

    /// The outcome, or a file-level error when no sheet had a CQC layout.
    pub fn finish(mut self) -> Result<ParseOutcome, IngestError> {
        if self.deactivated && self.format.is_none() {
            return Err(IngestError::WrongFile {
                file: self.file,
                reason: "is CQC's Deactivated_Locations list (closed locations only), which caremarket does not import as a \
                         register: import HSCA_Active_Locations or CQC_directory instead"
                    .to_string(),
            });
        }
        let Some(format) = self.format else {
            if !self.any_row {
                return Err(IngestError::Empty { file: self.file });
            }
            let found = self.best_header.1.clone();
            let closest = layout::LAYOUTS
                .iter()
                .map(|(f, cols)| {
                    let header = map_header(*f, &found);
                    let keys = cols.iter().filter(|c| c.identifies).count();
                    let missing = missing_keys(*f, &header);
                    (keys - missing.len(), f.label().to_string(), missing)
                })
                .filter(|(matched, _, _)| *matched > 0)
                .max_by_key(|(matched, _, missing)| (*matched, usize::MAX - missing.len()))
                .map(|(_, label, missing)| (label, missing));
            return Err(IngestError::UnknownLayout {
                file: self.file,
                layout: UnknownLayout { expected: expected_columns(), found, closest },
            });
        };

        if format == CqcFormat::LatestRatings {
            self.records = std::mem::take(&mut self.pivot).finish();
        }

        // Join HSCA sheets that hold the rest of the columns.
        if !self.supplements.is_empty() {
            if format == CqcFormat::HscaActiveLocations {
                let index: HashMap<String, usize> = self.records.iter().enumerate().map(|(i, r)| (r.location_id.clone(), i)).collect();
                for s in std::mem::take(&mut self.supplements) {
                    match index.get(&s.id) {
                        Some(i) => merge_patch(&mut self.records[*i], s.patch),
                        None => self.rejections.push((
                            Rejection {
                                row: s.row,
                                location_id: Some(s.id.clone()),
                                reason: format!(
                                    "'Location ID' {} is on this sheet but on no row of the sheet with 'Location Name', so there is \
                                     nothing to join it to",
                                    s.id
                                ),
                            },
                            s.sheet,
                        )),
                    }
                }
            } else {
                // Not an HSCA file: those rows were never used.
                let kept: Vec<String> = self.used_sheets.clone();
                self.rejections.retain(|(_, sheet)| kept.contains(sheet));
            }
        }

        let several_sheets = {
            let mut sheets: Vec<&String> = self.used_sheets.iter().collect();
            sheets.sort();
            sheets.dedup();
            sheets.len() > 1
        };
        let rejections = self
            .rejections
            .into_iter()
            .map(|(mut r, sheet)| {
                if several_sheets {
                    r.reason = format!("{} (sheet '{sheet}')", r.reason);
                }
                r
            })
            .collect();
        let records = match self.each {
            Some(each) => {
                self.records.into_iter().for_each(each);
                Vec::new()
            }
            None => self.records,
        };
        Ok(ParseOutcome {
            format,
            records,
            rejections,
            rows_read: self.rows_read,
            is_complete_register: format.is_complete_register(),
            skipped: Vec::new(),
            providers: self.providers,
            carried: self.carried,
        })
    }
}

/// The place already held for `key`, or `None` after holding `here` for it.
fn first_place<K: Hash + Eq>(seen: &mut HashMap<K, Place, foldhash::fast::RandomState>, key: K, here: Place) -> Option<Place> {
    match seen.entry(key) {
        Entry::Occupied(first) => Some(*first.get()),
        Entry::Vacant(slot) => {
            slot.insert(here);
            None
        }
    }
}

fn duplicate_reason(column: &str, id: &str, first_sheet: &str, first_row: u64, sheet: &str) -> String {
    if first_sheet == sheet {
        format!("'{column}' {id} is repeated: it is already on row {first_row} (that row is kept)")
    } else {
        format!("'{column}' {id} is repeated: it is already on row {first_row} of sheet '{first_sheet}' (that row is kept)")
    }
}

impl RowSink for TableParser<'_> {
    fn start_sheet(&mut self, name: &str) {
        self.sheet = name.to_string();
        self.sheets.push(name.to_string());
        self.state = SheetState::Searching { rows: 0 };
    }

    fn row(&mut self, row: u64, cells: &[Cell]) -> Result<Flow, IngestError> {
        Ok(self.take_row(row, Row::Cells(cells)))
    }

    fn text_row(&mut self, row: u64, fields: TextRow<'_>) -> Result<Flow, IngestError> {
        Ok(self.take_row(row, Row::Text(fields)))
    }

    fn expect_rows(&mut self, rows: usize) {
        if matches!(self.state, SheetState::Data(_)) {
            if self.each.is_none() {
                self.records.reserve(rows);
            }
            if self.remember_only.is_none() {
                self.seen.reserve(rows);
            }
        }
    }

    fn end_sheet(&mut self) {
        self.state = SheetState::Skipping;
    }

    fn record_width(&mut self, fields: usize) -> bool {
        self.row_width = Some(fields);
        matches!(self.state, SheetState::Data(_) | SheetState::Supplement(_))
    }
}

/// `Latest_ratings` pivoted: one location per Location ID, its ratings from the rows whose
/// "Service / Population Group" is "Overall" (healthcare locations also have rows per service
/// and population group: those are not location ratings and are passed over).
#[derive(Default)]
struct RatingsPivot {
    order: Vec<String>,
    by_id: HashMap<String, Pivoted>,
}

struct Pivoted {
    loc: CqcLocation,
    set: CqcRatingSet,
    overall_date: Option<Date>,
    latest_date: Option<Date>,
    domains: Vec<(&'static str, u64)>,
    rejected: bool,
}

impl RatingsPivot {
    /// Read one long row; returns the rejections it causes.
    fn row(&mut self, header: &HeaderMap, _sheet: &str, row: u64, cells: Row<'_>) -> Vec<(Option<String>, String)> {
        let mut view = RowView::new(header, cells);
        let Some(id) = view.location_id() else {
            return vec![(None, view.problems.join("; "))];
        };
        if !self.by_id.contains_key(&id) {
            let name = view.text(Field::Name);
            let mut loc = CqcLocation::new(id.clone(), name.clone().unwrap_or_default());
            loc.provider_id = view.text(Field::ProviderId);
            loc.provider_name = view.text(Field::ProviderName);
            let address: Vec<String> = [view.text(Field::Address1), view.text(Field::Address2)].into_iter().flatten().collect();
            loc.address_line = if address.is_empty() { None } else { Some(address.join(", ")) };
            loc.town = view.text(Field::Town);
            loc.postcode = view.text(Field::Postcode).and_then(|p| normalise_postcode(&p));
            loc.local_authority = view.text(Field::LocalAuthority);
            loc.region = view.text(Field::Region);
            loc.care_home = view.yes_no(Field::CareHome);
            let mut rejected = false;
            let mut problems = std::mem::take(&mut view.problems);
            if name.is_none() && header.has(Field::Name) {
                problems.push(format!("'{}' is empty", header.name(Field::Name)));
            }
            if !problems.is_empty() {
                rejected = true;
            }
            self.order.push(id.clone());
            self.by_id.insert(
                id.clone(),
                Pivoted { loc, set: CqcRatingSet::default(), overall_date: None, latest_date: None, domains: Vec::new(), rejected },
            );
            if rejected {
                return vec![(Some(id), problems.join("; "))];
            }
        }
        let Some(entry) = self.by_id.get_mut(&id) else {
            return Vec::new();
        };
        if entry.rejected {
            return Vec::new();
        }
        let group = view.text(Field::ServiceGroup).unwrap_or_default();
        if !group.eq_ignore_ascii_case("overall") {
            return Vec::new();
        }
        let domain_raw = view.text(Field::Domain).unwrap_or_default();
        let domain: Option<&'static str> = if domain_raw.eq_ignore_ascii_case("overall") {
            Some("Overall")
        } else {
            KeyQuestion::parse(&domain_raw).map(KeyQuestion::label)
        };
        let Some(domain) = domain else {
            entry.rejected = true;
            return vec![(
                Some(id),
                format!(
                    "'{}' must be one of Overall, Safe, Effective, Caring, Responsive, Well-led; found '{domain_raw}'",
                    header.name(Field::Domain)
                ),
            )];
        };
        if let Some((_, first)) = entry.domains.iter().find(|(d, _)| *d == domain) {
            return vec![(
                Some(id.clone()),
                format!(
                    "'{}' {domain} of the Overall group of location {id} is repeated: it is already on row {first} (that row is kept)",
                    header.name(Field::Domain)
                ),
            )];
        }
        entry.domains.push((domain, row));
        let raw = view.raw(Field::LatestRating);
        let rating = match parse_rating(&raw) {
            Ok(r) => r,
            Err(e) => {
                view.problems.push(format!("'{}' {e}", header.name(Field::LatestRating)));
                None
            }
        };
        let date = view.date(Field::PublicationDate);
        if !view.problems.is_empty() {
            entry.rejected = true;
            return vec![(Some(id), view.problems.join("; "))];
        }
        match domain {
            "Overall" => {
                entry.set.overall = rating;
                entry.overall_date = date;
            }
            other => {
                match KeyQuestion::parse(other) {
                    Some(KeyQuestion::Safe) => entry.set.safe = rating,
                    Some(KeyQuestion::Effective) => entry.set.effective = rating,
                    Some(KeyQuestion::Caring) => entry.set.caring = rating,
                    Some(KeyQuestion::Responsive) => entry.set.responsive = rating,
                    Some(KeyQuestion::WellLed) => entry.set.well_led = rating,
                    None => {}
                }
                if date > entry.latest_date {
                    entry.latest_date = date;
                }
            }
        }
        Vec::new()
    }

    fn finish(mut self) -> Vec<CqcLocation> {
        let mut out = Vec::with_capacity(self.order.len());
        for id in &self.order {
            let Some(p) = self.by_id.remove(id) else {
                continue;
            };
            if p.rejected {
                continue;
            }
            let mut loc = p.loc;
            if !p.set.is_empty() {
                loc.rating = Some(CqcRatingSet { report_date: p.overall_date.or(p.latest_date), ..p.set });
            }
            out.push(loc);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::{Trickle, read_csv};
    use crate::synthetic::LOCATIONS_EXPORT_HEADER;
    use caremarket_core::register::{Rating, RegistrationStatus, Specialism};

    /// A place gives back the sheet and row it was made with, and one past what 8 bytes hold is
    /// kept as the last that fits, never another sheet's.
    #[test]
    fn a_place_keeps_its_sheet_and_row_in_eight_bytes() {
        assert_eq!(std::mem::size_of::<Place>(), 8);
        for (sheet, row) in [(0, 1), (0, 1_048_576), (3, 500_001), (65_535, (1 << 48) - 1)] {
            let place = Place::new(sheet, row);
            assert_eq!((place.sheet(), place.row()), (sheet, row));
        }
        let past = Place::new(70_000, u64::MAX);
        assert_eq!((past.sheet(), past.row()), (65_535, (1 << 48) - 1));
    }

    /// The table parser fed as a spreadsheet feeds it: every row as owned cells, never borrowed
    /// text. What it gives is what parsing gave before rows were borrowed.
    struct CellsOnly(TableParser<'static>);

    impl RowSink for CellsOnly {
        fn start_sheet(&mut self, name: &str) {
            self.0.start_sheet(name);
        }
        fn row(&mut self, row: u64, cells: &[Cell]) -> Result<Flow, IngestError> {
            self.0.row(row, cells)
        }
        fn end_sheet(&mut self) {
            self.0.end_sheet();
        }
        fn record_width(&mut self, fields: usize) -> bool {
            self.0.record_width(fields)
        }
    }

    /// The outcome (or error, as text) of parsing `bytes` as CSV with borrowed fields and with
    /// owned cells.
    fn both_ways(name: &str, bytes: &[u8]) -> (Result<ParseOutcome, String>, Result<ParseOutcome, String>) {
        let total = Some(bytes.len() as u64);
        let mut fast = TableParser::new(name);
        let fast = read_csv(name, bytes, total, &mut fast, &mut |_, _| {}).and_then(|()| fast.finish());
        let mut cells = CellsOnly(TableParser::new(name));
        let cells = read_csv(name, bytes, total, &mut cells, &mut |_, _| {}).and_then(|()| cells.0.finish());
        (fast.map_err(|e| e.to_string()), cells.map_err(|e| e.to_string()))
    }

    /// One 45-column export row: `values` by column name, every other column empty.
    fn export_row(values: &[(&str, &str)]) -> Vec<String> {
        LOCATIONS_EXPORT_HEADER
            .iter()
            .map(|h| values.iter().find(|(name, _)| name == h).map(|(_, v)| v.to_string()).unwrap_or_default())
            .collect()
    }

    /// A field as CSV writes it: quoted when it must be (or when `quote_all`), quotes doubled.
    fn field(value: &str, quote_all: bool) -> String {
        if quote_all || value.contains([',', '"', '\r', '\n']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value.to_string() }
    }

    fn line(fields: &[String], quote_all: bool) -> String {
        fields.iter().map(|f| field(f, quote_all)).collect::<Vec<_>>().join(",")
    }

    fn d(y: i16, m: i8, day: i8) -> Option<Date> {
        Date::new(y, m, day).ok()
    }

    /// A file with what real exports and hand-edited files hold: a byte-order mark, CRLF line
    /// ends, quoted and unquoted fields, doubled quotes, line breaks inside values, blank cells,
    /// blank lines, trailing empty cells, whitespace to tidy (ASCII and not), and bad rows.
    fn awkward_export(newline: &str) -> String {
        let rows: Vec<(Vec<String>, bool)> = vec![
            // Row 2: a care home, every field quoted, a doubled quote in its name.
            (
                export_row(&[
                    ("Location Name", "The \"Oaks\"  Care Home"),
                    ("Location ID", "1-1000000001"),
                    ("Location telephone number", "1614567890"),
                    ("Location Web Address", "www.oaks.co.uk"),
                    ("Location Local Authority", "Oldham"),
                    ("Location ADASS Region", "North West"),
                    ("Service Types", "Care home service with nursing, Care home service without nursing"),
                    ("Care homes beds", "42"),
                    ("Location HSCA start date", "2015-03-04"),
                    ("Location Latest Overall Rating", "Good"),
                    ("Publication Date", "13/2/2024 12:00:00 AM"),
                    (
                        "Service users supported",
                        "Dementia, Caring for adults over 65 yrs, Learning disabilities or autistic spectrum disorder",
                    ),
                    ("Location safe rating", "Requires improvement"),
                    ("Location effective rating", "good"),
                    ("Location caring rating", "Outstanding"),
                    ("Location responsive rating", "Good"),
                    ("Location well-led rating", " Good "),
                    ("Provider Name", "Oaks Care Group Ltd"),
                    ("Provider ID", "1-200000001"),
                ]),
                true,
            ),
            // Row 3: a home care agency, unquoted where it can be, a line break in its name,
            // a non-breaking space to tidy, no rating.
            (
                export_row(&[
                    ("Location Name", &format!("Café\u{a0}Rose{newline}Homecare")),
                    ("Location ID", "1-0001234"),
                    ("Location Local Authority", " Rochdale"),
                    ("Service Types", "Domiciliary care service"),
                    ("Care homes beds", "0"),
                    ("Location HSCA start date", "2019-11-30"),
                    ("Publication Date", "2019-11-30"),
                    ("Service users supported", "Caring for adults under 65 yrs"),
                    ("Provider ID", "1-200000002"),
                ]),
                false,
            ),
            // Row 4: an NHS site code, a deregistration, a US date with a day first.
            (
                export_row(&[
                    ("Location Name", "Trust Site"),
                    ("Location ID", "RX3LD"),
                    ("Service Types", "Supported living service"),
                    ("Location HSCA start date", "2012-01-01"),
                    ("Location HSCA end date", "2024-06-30"),
                    ("Location Latest Overall Rating", "Inadequate"),
                    ("Publication Date", "1/2/2025 12:00:00 PM"),
                ]),
                false,
            ),
            // Row 5: a bad rating, a bad date and negative beds: one rejection with all three.
            (
                export_row(&[
                    ("Location Name", "Gud Care"),
                    ("Location ID", "1-1000000005"),
                    ("Location Latest Overall Rating", "Gud"),
                    ("Location HSCA start date", "31/02/2024"),
                    ("Care homes beds", "-3"),
                ]),
                true,
            ),
            // Row 6: the same id as row 2.
            (export_row(&[("Location Name", "Oaks Again"), ("Location ID", "1-1000000001")]), false),
            // Row 7: "1-1234" is not "1-0001234" (row 3).
            (export_row(&[("Location Name", "Short Id"), ("Location ID", "1-1234")]), false),
            // Row 8: no name, a malformed id.
            (export_row(&[("Location ID", "Gud Care")]), false),
        ];
        let mut text = String::from("\u{feff}");
        text.push_str(&line(&LOCATIONS_EXPORT_HEADER.iter().map(|h| h.to_string()).collect::<Vec<_>>(), true));
        text.push_str(newline);
        for (fields, quote_all) in &rows {
            text.push_str(&line(fields, *quote_all));
            text.push_str(newline);
        }
        // Row 9: blank; row 10: blank cells only (no row); row 11: a field short (a stray
        // comma lost); row 12: trailing empty cells, left off as read; row 13: blank, a CR alone.
        text.push_str(newline);
        text.push_str(&" ,".repeat(44));
        text.push_str(newline);
        let short = export_row(&[("Location Name", "Short Row"), ("Location ID", "1-1000000011")]);
        text.push_str(&line(&short[..44], false));
        text.push_str(newline);
        text.push_str("Last Home,1-1000000012");
        text.push_str(&",".repeat(43));
        text.push_str(newline);
        text.push('\r');
        text.push_str(&line(&export_row(&[("Location Name", "After CR"), ("Location ID", "1-1000000014")]), false));
        text.push_str(newline);
        text
    }

    #[test]
    fn borrowed_fields_parse_as_owned_cells_do() {
        for newline in ["\r\n", "\n"] {
            let text = awkward_export(newline);
            let (fast, cells) = both_ways("awkward.csv", text.as_bytes());
            assert_eq!(fast, cells, "{newline:?}");
            let outcome = fast.unwrap_or_else(|e| panic!("{e}"));

            // Computed here from the rows written above, not by the parser.
            let mut oaks = CqcLocation::new("1-1000000001", "The \"Oaks\" Care Home");
            oaks.provider_id = Some("1-200000001".into());
            oaks.provider_name = Some("Oaks Care Group Ltd".into());
            oaks.phone = Some("01614567890".into());
            oaks.website = Some("www.oaks.co.uk".into());
            oaks.local_authority = Some("Oldham".into());
            oaks.region = Some("North West".into());
            oaks.service_types = vec!["Care home service with nursing".into(), "Care home service without nursing".into()];
            oaks.specialisms = vec![Specialism::Dementia, Specialism::OlderPeople, Specialism::LearningDisabilities, Specialism::Autism];
            oaks.care_home = Some(true);
            oaks.beds = Some(42);
            oaks.registration_date = d(2015, 3, 4);
            oaks.rating = Some(CqcRatingSet {
                overall: Some(Rating::Good),
                safe: Some(Rating::RequiresImprovement),
                effective: Some(Rating::Good),
                caring: Some(Rating::Outstanding),
                responsive: Some(Rating::Good),
                well_led: Some(Rating::Good),
                report_date: d(2024, 2, 13),
            });
            let mut rose = CqcLocation::new("1-0001234", "Café Rose Homecare");
            rose.provider_id = Some("1-200000002".into());
            rose.local_authority = Some("Rochdale".into());
            rose.service_types = vec!["Domiciliary care service".into()];
            rose.specialisms = vec![Specialism::YoungerAdults];
            rose.care_home = Some(false);
            rose.registration_date = d(2019, 11, 30);
            let mut trust = CqcLocation::new("RX3LD", "Trust Site");
            trust.service_types = vec!["Supported living service".into()];
            trust.care_home = Some(false);
            trust.registration_date = d(2012, 1, 1);
            trust.deregistration_date = d(2024, 6, 30);
            trust.registration_status = RegistrationStatus::Deregistered;
            trust.rating = Some(CqcRatingSet { overall: Some(Rating::Inadequate), report_date: d(2025, 1, 2), ..Default::default() });
            let short_id = CqcLocation::new("1-1234", "Short Id");
            let last = CqcLocation::new("1-1000000012", "Last Home");
            let after_cr = CqcLocation::new("1-1000000014", "After CR");
            assert_eq!(outcome.records, vec![oaks, rose, trust, short_id, last, after_cr], "{newline:?}");

            let rejected: Vec<(u64, Option<&str>)> = outcome.rejections.iter().map(|r| (r.row, r.location_id.as_deref())).collect();
            assert_eq!(
                rejected,
                vec![(5, Some("1-1000000005")), (6, Some("1-1000000001")), (8, None), (11, Some("1-1000000011"))],
                "{newline:?}"
            );
            let reasons: Vec<&str> = outcome.rejections.iter().map(|r| r.reason.as_str()).collect();
            assert!(reasons[0].contains("'Location Latest Overall Rating'") && reasons[0].contains("Gud"), "{}", reasons[0]);
            assert!(reasons[0].contains("'Location HSCA start date' '31/02/2024' is not a date"), "{}", reasons[0]);
            assert!(reasons[0].contains("'Care homes beds' '-3' is not a number of beds"), "{}", reasons[0]);
            assert_eq!(reasons[1], "'Location ID' 1-1000000001 is repeated: it is already on row 2 (that row is kept)");
            assert!(
                reasons[2].contains("'Location ID' 'Gud Care' is not a CQC location id") && reasons[2].contains("'Location Name' is empty")
            );
            assert!(reasons[3].starts_with("the row has 44 fields where the header has 45"), "{}", reasons[3]);
            assert_eq!(outcome.rows_read, 10, "{newline:?}");
        }
    }

    #[test]
    fn rows_are_numbered_alike_however_the_bytes_arrive() {
        for newline in ["\r\n", "\n"] {
            let text = awkward_export(newline);
            let (whole, _) = both_ways("awkward.csv", text.as_bytes());
            // From 4 bytes: the csv crate strips a byte-order mark only when its first read
            // holds all of it (and reads none of the file when that read holds it exactly).
            for n in [4, 5, 7, 64] {
                let mut parser = TableParser::new("awkward.csv");
                let trickled = read_csv("awkward.csv", Trickle(text.as_bytes(), n), None, &mut parser, &mut |_, _| {})
                    .and_then(|()| parser.finish())
                    .map_err(|e| e.to_string());
                assert_eq!(trickled, whole, "{newline:?}, {n} bytes a read");
            }
        }
    }

    #[test]
    fn cut_off_and_not_utf8_files_fail_alike_both_ways() {
        let text = awkward_export("\r\n");
        let cut = &text.as_bytes()[..text.len() - 2];
        let (fast, cells) = both_ways("cut.csv", cut);
        assert!(fast.as_ref().is_err_and(|e| e.contains("row 14")), "{fast:?}");
        assert_eq!(fast, cells);
        let mut bad = text.into_bytes();
        let at = bad.len() - 20;
        bad[at] = 0xe9;
        let (fast, cells) = both_ways("bad.csv", &bad);
        assert!(fast.is_err(), "{fast:?}");
        assert_eq!(fast, cells);
    }

    #[test]
    fn every_csv_fixture_parses_as_owned_cells_do() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cqc");
        let mut read = 0;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "csv") {
                let bytes = std::fs::read(&path).unwrap_or_default();
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let (fast, cells) = both_ways(&name, &bytes);
                assert_eq!(fast, cells, "{name}");
                read += 1;
            }
        }
        assert!(read >= 8, "only {read} CSV fixtures in {}", dir.display());
    }

    #[test]
    fn a_synthetic_export_parses_as_owned_cells_do() {
        let text = crate::synthetic::generate_locations_export_csv(2_000, 7);
        let (fast, cells) = both_ways("synthetic.csv", text.as_bytes());
        assert_eq!(fast, cells);
        assert_eq!(fast.map(|o| o.records.len()), Ok(2_000));
    }

    /// A repeated id names the sheet of the row kept when that is another sheet, and not when
    /// it is the same one, for CQC's ids and NHS site codes alike.
    #[test]
    fn a_repeated_id_names_the_sheet_it_was_first_on() {
        let header: Vec<Cell> = [
            "Name",
            "Also known as",
            "Address",
            "Postcode",
            "Phone number",
            "Service's website (if available)",
            "Service types",
            "Date of latest check",
            "Specialisms/services",
            "Provider name",
            "Local authority",
            "Region",
            "Location URL",
            "CQC Location ID (for office use only)",
            "CQC Provider ID (for office use only)",
        ]
        .iter()
        .map(|t| Cell::text(t))
        .collect();
        let row = |name: &str, id: &str| -> Vec<Cell> {
            let cells = [
                name,
                "",
                "1 Road, Oldham",
                "OL1 1AA",
                "0161 000 0000",
                "",
                "Homecare agencies",
                "",
                "Dementia",
                "Provider",
                "Oldham",
                "North West",
                "",
                id,
                "1-900",
            ];
            cells.iter().map(|t| Cell::text(t)).collect()
        };
        let mut parser = TableParser::new("book.xlsx");
        parser.start_sheet("North");
        for (n, cells) in [header.clone(), row("A", "1-1010"), row("B", "RX3LD"), row("C", "1-1010")].iter().enumerate() {
            parser.row(n as u64 + 1, cells).expect("row");
        }
        parser.end_sheet();
        parser.start_sheet("South");
        for (n, cells) in [header, row("D", "RX3LD"), row("E", "1-1020"), row("F", "1-1010")].iter().enumerate() {
            parser.row(n as u64 + 1, cells).expect("row");
        }
        parser.end_sheet();
        let outcome = parser.finish().expect("parsed");
        let kept: Vec<&str> = outcome.records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(kept, vec!["A", "B", "E"]);
        let reasons: Vec<(u64, &str)> = outcome.rejections.iter().map(|r| (r.row, r.reason.as_str())).collect();
        let id = "'CQC Location ID (for office use only)'";
        assert_eq!(
            reasons,
            vec![
                (4, format!("{id} 1-1010 is repeated: it is already on row 2 (that row is kept) (sheet 'North')").as_str()),
                (2, format!("{id} RX3LD is repeated: it is already on row 3 of sheet 'North' (that row is kept) (sheet 'South')").as_str()),
                (
                    4,
                    format!("{id} 1-1010 is repeated: it is already on row 2 of sheet 'North' (that row is kept) (sheet 'South')").as_str()
                ),
            ]
        );
    }
}
