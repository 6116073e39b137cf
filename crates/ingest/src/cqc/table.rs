//! The row sink behind every table layout: finds the header, maps rows, keeps the first of
//! duplicate ids, pivots `Latest_ratings`, joins HSCA sheets.

use super::layout::{
    self, Field, HEADER_SEARCH_ROWS, HeaderMap, expected_columns, is_deactivated_locations, map_header, missing_keys, recognise,
};
use super::map::{RowView, map_row, merge_patch, normalise_postcode, parse_rating, provider_row, tidy};
use super::{CqcFormat, ParseOutcome};
use crate::IngestError;
use crate::error::UnknownLayout;
use crate::sheet::{Cell, Flow, RowSink};
use caremarket_core::Date;
use caremarket_core::register::import_plan::FieldSet;
use caremarket_core::register::{CqcLocation, CqcProvider, CqcRatingSet, KeyQuestion, Rejection};
use std::collections::HashMap;

enum SheetState {
    Searching {
        rows: u64,
    },
    Data(HeaderMap),
    /// Some HSCA columns of rows whose other columns are on another sheet, joined by Location ID.
    Supplement(HeaderMap),
    Skipping,
}

struct Supplement {
    sheet: String,
    row: u64,
    id: String,
    patch: CqcLocation,
}

/// Where a row was, for messages.
#[derive(Clone)]
struct Place {
    sheet: String,
    row: u64,
}

pub(crate) struct TableParser {
    file: String,
    sheet: String,
    state: SheetState,
    any_row: bool,
    format: Option<CqcFormat>,
    /// Sheets rows were taken from (data or supplement).
    used_sheets: Vec<String>,
    records: Vec<CqcLocation>,
    rejections: Vec<(Rejection, String)>,
    seen: HashMap<String, Place>,
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
}

impl TableParser {
    pub fn new(file: &str) -> Self {
        TableParser {
            file: file.to_string(),
            sheet: String::new(),
            state: SheetState::Searching { rows: 0 },
            any_row: false,
            format: None,
            used_sheets: Vec::new(),
            records: Vec::new(),
            rejections: Vec::new(),
            seen: HashMap::new(),
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
        }
    }

    fn reject(&mut self, row: u64, location_id: Option<String>, reason: String) {
        self.rejections.push((Rejection { row, location_id, reason }, self.sheet.clone()));
    }

    fn search(&mut self, cells: &[Cell], rows: u64) -> Flow {
        let texts: Vec<String> = cells.iter().map(|c| tidy(&c.as_text())).collect();
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
            self.state = SheetState::Data(header);
            return Flow::Continue;
        }
        // Part of an HSCA table split over sheets: Location ID plus other HSCA columns.
        let partial = map_header(CqcFormat::HscaActiveLocations, &texts);
        if partial.has(Field::LocationId) && !partial.has(Field::Name) && partial.mapped() >= 3 {
            self.used_sheets.push(self.sheet.clone());
            for f in partial.carried().iter() {
                self.carried.insert(f);
            }
            self.state = SheetState::Supplement(partial);
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
    fn shape_problems(&self, header: &HeaderMap, cells: &[Cell]) -> Vec<String> {
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
                Cell::Text(t) if t.len() <= max => continue,
                Cell::Text(t) => t.chars().count(),
                other => other.as_text().chars().count(),
            };
            if len > max {
                problems.push(format!("'{name}' is {len} characters long; at most {max} are accepted"));
            }
        }
        problems
    }

    /// The row's location id when it can be read, for a rejection.
    fn readable_id(header: &HeaderMap, cells: &[Cell]) -> Option<String> {
        let raw = header.index(Field::LocationId).and_then(|i| cells.get(i)).map(Cell::as_text)?;
        super::map::check_location_id(&raw).ok()
    }

    fn data_row(&mut self, header: &HeaderMap, row: u64, cells: &[Cell]) {
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
        match map_row(&mut view, false) {
            (id, Err(reason)) => self.reject(row, id, reason),
            (_, Ok(loc)) => {
                if let Some(first) = self.seen.get(&loc.location_id) {
                    let reason = duplicate_reason(&header.name(Field::LocationId), &loc.location_id, first, &self.sheet);
                    self.reject(row, Some(loc.location_id.clone()), reason);
                } else {
                    self.seen.insert(loc.location_id.clone(), Place { sheet: self.sheet.clone(), row });
                    self.records.push(loc);
                }
            }
        }
    }

    fn supplement_row(&mut self, header: &HeaderMap, row: u64, cells: &[Cell]) {
        self.rows_read += 1;
        let problems = self.shape_problems(header, cells);
        if !problems.is_empty() {
            self.reject(row, Self::readable_id(header, cells), problems.join("; "));
            return;
        }
        let mut view = RowView::new(header, cells);
        match map_row(&mut view, true) {
            (id, Err(reason)) => self.reject(row, id, reason),
            (_, Ok(patch)) => {
                let id = patch.location_id.clone();
                if let Some(first) = self.supplement_seen.get(&id) {
                    let reason = duplicate_reason(&header.name(Field::LocationId), &id, first, &self.sheet);
                    self.reject(row, Some(id), reason);
                } else {
                    self.supplement_seen.insert(id.clone(), Place { sheet: self.sheet.clone(), row });
                    self.supplements.push(Supplement { sheet: self.sheet.clone(), row, id, patch });
                }
            }
        }
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
        Ok(ParseOutcome {
            format,
            records: self.records,
            rejections,
            rows_read: self.rows_read,
            is_complete_register: format.is_complete_register(),
            skipped: Vec::new(),
            providers: self.providers,
            carried: self.carried,
        })
    }
}

fn duplicate_reason(column: &str, id: &str, first: &Place, sheet: &str) -> String {
    if first.sheet == sheet {
        format!("'{column}' {id} is repeated: it is already on row {} (that row is kept)", first.row)
    } else {
        format!("'{column}' {id} is repeated: it is already on row {} of sheet '{}' (that row is kept)", first.row, first.sheet)
    }
}

impl RowSink for TableParser {
    fn start_sheet(&mut self, name: &str) {
        self.sheet = name.to_string();
        self.state = SheetState::Searching { rows: 0 };
    }

    fn row(&mut self, row: u64, cells: &[Cell]) -> Result<Flow, IngestError> {
        self.any_row = true;
        let state = std::mem::replace(&mut self.state, SheetState::Skipping);
        let (next, flow) = match state {
            SheetState::Searching { rows } => {
                let rows = rows + 1;
                self.state = SheetState::Searching { rows };
                let flow = self.search(cells, rows);
                return Ok(flow);
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
        Ok(flow)
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
    fn row(&mut self, header: &HeaderMap, _sheet: &str, row: u64, cells: &[Cell]) -> Vec<(Option<String>, String)> {
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
