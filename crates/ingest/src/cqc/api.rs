//! CQC syndication API location documents (`GET /locations/{id}`), read as loosely typed JSON so
//! that a field CQC adds, drops or retypes costs one value, not the document.
//!
//! Mapping (checked against 451 real documents for Oldham):
//! - `locationId`, `providerId`, `name`, `postalAddressLine1` + `postalAddressLine2`,
//!   `postalAddressTownCity`, `postalCode`, `localAuthority`, `region`, `mainPhoneNumber`,
//!   `website`, `registrationStatus` ("Registered" / "Deregistered"), `registrationDate`,
//!   `deregistrationDate`, `careHome` ("Y" / "N"), `numberOfBeds`;
//! - `gacServiceTypes[].name` to service types ("Nursing homes", "Homecare agencies"),
//!   `regulatedActivities[].name`, `specialisms[].name` to specialisms;
//! - `currentRatings.overall` (`rating`, `reportDate`, `keyQuestionRatings[]`) to the current
//!   rating; `historicRatings[]` (CQC lists them in no fixed order) sorted oldest first to the
//!   rating history; `lastInspection.date`; `relationships[]` (`type` "HSCA Predecessor" /
//!   "HSCA Successor", `relatedLocationId`, `relatedLocationName`);
//! - the single assessment framework block (`assessment[].ratings.asgRatings[]`): when it rates
//!   the location (one assessment service group with a rating) and is newer than
//!   `currentRatings`, it becomes the current rating (dated by `assessmentPlanPublishedDateTime`),
//!   and the rating it replaces moves to the history. Its "Regulations met" / "Regulations not
//!   met" (dentists) are not ratings. Its `assessmentDate` counts as an inspection date.
//!
//! The API gives no provider name on a location: `provider_name` stays empty, and the names come
//! from provider documents (`GET /providers/{id}`: `providerId`, `name`) or a `/providers` list
//! page (`providers[].providerId`, `providerName`), read into [`ParseOutcome::providers`].
//!
//! Scope: only social care locations are the register's (`type` "Social Care Org"; see core's
//! `out_of_scope_reason`). Dentists, GP practices, hospitals and other healthcare locations are
//! counted in [`ParseOutcome::skipped`] with the reason, not mapped and not rejected.

use super::map::{check_location_id, id_problem_text, non_empty, normalise_phone, normalise_postcode, parse_rating, specialisms_from};
use super::{CqcFormat, ParseOutcome};
use crate::IngestError;
use crate::dates::parse_date_text;
use caremarket_core::Date;
use caremarket_core::register::{
    CqcLocation, CqcProvider, CqcRatingSet, KeyQuestion, Rating, RegistrationStatus, Rejection, Relationship, out_of_scope_reason,
};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Documents read so far, across the files of a folder.
#[derive(Default)]
pub(crate) struct ApiAccumulator {
    records: Vec<CqcLocation>,
    rejections: Vec<Rejection>,
    skipped: Vec<Rejection>,
    providers: Vec<CqcProvider>,
    seen: HashMap<String, u64>,
    documents: u64,
}

impl ApiAccumulator {
    pub fn finish(self) -> ParseOutcome {
        ParseOutcome {
            format: CqcFormat::ApiLocationJson,
            records: self.records,
            rejections: self.rejections,
            rows_read: self.documents,
            is_complete_register: CqcFormat::ApiLocationJson.is_complete_register(),
            skipped: self.skipped,
            providers: self.providers,
            carried: caremarket_core::register::import_plan::FieldSet::all(),
        }
    }

    fn reject(&mut self, location_id: Option<String>, reason: String) {
        self.rejections.push(Rejection { row: self.documents, location_id, reason });
    }

    /// Read one location document. `prefix` names the file in a folder ("location_1-1.json: ").
    fn document(&mut self, doc: &Value, prefix: &str) {
        self.documents += 1;
        // Scope first: a dentist's document is not the register's to check.
        if let Some(reason) = out_of_scope_reason(text(doc, "type").as_deref(), text(doc, "inspectionDirectorate").as_deref()) {
            let id = text(doc, "locationId");
            self.skipped.push(Rejection { row: self.documents, location_id: id, reason: format!("{prefix}{reason}") });
            return;
        }
        let (id, result) = map_document(doc);
        match result {
            Err(reason) => self.reject(id, format!("{prefix}{reason}")),
            Ok(loc) => {
                let too_long = caremarket_core::register::import_plan::over_long_values(&loc);
                if !too_long.is_empty() {
                    self.reject(Some(loc.location_id), format!("{prefix}{}", too_long.join("; ")));
                } else if let Some(first) = self.seen.get(&loc.location_id) {
                    let reason =
                        format!("{prefix}'locationId' {} is repeated: it is already document {first} (that one is kept)", loc.location_id);
                    self.reject(Some(loc.location_id), reason);
                } else {
                    self.seen.insert(loc.location_id.clone(), self.documents);
                    self.records.push(loc);
                }
            }
        }
    }

    fn provider(&mut self, provider_id: Option<String>, name: Option<String>) {
        if let (Some(provider_id), Some(name)) = (provider_id, name) {
            self.providers.push(CqcProvider { provider_id, name });
        }
    }

    /// Take what a file holds. `Err` says why the file is not a CQC document at all.
    fn take(&mut self, value: &Value, prefix: &str) -> Result<(), String> {
        match shape(value) {
            Shape::Documents(docs) => {
                for doc in docs {
                    if is_provider(doc) && !is_location(doc) {
                        // A provider document in an array of documents.
                        self.provider(text(doc, "providerId"), text(doc, "name"));
                    } else {
                        self.document(doc, prefix);
                    }
                }
            }
            Shape::Provider => self.provider(text(value, "providerId"), text(value, "name")),
            Shape::ProviderListPage => {
                for p in items(value, "providers") {
                    self.provider(text(p, "providerId"), text(p, "providerName"));
                }
            }
            Shape::ListPage => {
                return Err("is a CQC API list page (each location's id, name and postcode only): import the /locations/{id} \
                            documents instead"
                    .to_string());
            }
            Shape::NotCqc(why) => return Err(why),
        }
        Ok(())
    }
}

/// What a JSON file holds at its top level.
enum Shape<'a> {
    /// Location documents (and, in an array, perhaps provider documents).
    Documents(Vec<&'a Value>),
    /// A `/locations` list page.
    ListPage,
    /// A `/providers/{id}` document: `providerId`, `name`, `locationIds`.
    Provider,
    /// A `/providers` list page: `providers[]` of `providerId` and `providerName`.
    ProviderListPage,
    /// Not a CQC document (a `package-lock.json`, say): why.
    NotCqc(String),
}

const NOT_CQC: &str = "is not a CQC API document: caremarket reads CQC's /locations/{id} and /providers/{id} documents (each has a \
                       'locationId' or 'providerId'), CQC's /providers list pages, or CQC's CSV, XLSX and ODS files";

fn is_location(v: &Value) -> bool {
    v.get("locationId").is_some()
}

fn is_provider(v: &Value) -> bool {
    v.get("providerId").is_some() && v.get("locationIds").is_some()
}

fn shape(v: &Value) -> Shape<'_> {
    match v {
        // An array is taken as documents when at least one item is a CQC location or provider
        // document; the others are then rejected one by one.
        Value::Array(items) if items.iter().any(|i| is_location(i) || is_provider(i)) => Shape::Documents(items.iter().collect()),
        Value::Array(items) if items.is_empty() => Shape::NotCqc("holds no documents (an empty JSON array)".to_string()),
        Value::Array(_) => Shape::NotCqc(NOT_CQC.to_string()),
        Value::Object(map) if map.contains_key("locationId") => Shape::Documents(vec![v]),
        Value::Object(map) if map.contains_key("locations") && map.contains_key("totalPages") => Shape::ListPage,
        Value::Object(map) if map.contains_key("providers") && map.contains_key("totalPages") => Shape::ProviderListPage,
        Value::Object(_) if is_provider(v) => Shape::Provider,
        _ => Shape::NotCqc(NOT_CQC.to_string()),
    }
}

fn decode<'a>(file: &str, bytes: &'a [u8]) -> Result<Value, IngestError> {
    let text: &'a str = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64 + 1;
            return Err(IngestError::NotUtf8 { file: file.to_string(), line });
        }
    };
    if text.trim().is_empty() {
        return Err(IngestError::Empty { file: file.to_string() });
    }
    serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| IngestError::Json { file: file.to_string(), detail: e.to_string() })
}

/// One JSON file: a location document or an array of them, a provider document, or a
/// `/providers` list page (provider names). Anything else is refused whole.
pub(crate) fn parse_json_bytes(file: &str, bytes: &[u8]) -> Result<ParseOutcome, IngestError> {
    let value = decode(file, bytes)?;
    let mut acc = ApiAccumulator::default();
    acc.take(&value, "").map_err(|reason| IngestError::WrongFile { file: file.to_string(), reason })?;
    Ok(acc.finish())
}

/// Every `*.json` in a folder and its subfolders (CQC downloads keep `location_details/` and
/// `provider_details/` side by side), in path order. A file that cannot be read is one rejection
/// naming the file; the rest are still used. A `/locations` list page in a folder is an index
/// of the documents beside it and is passed over. If no file holds a CQC document, the folder
/// is refused.
pub(crate) fn parse_json_folder(dir: &Path, progress: &mut dyn FnMut(u64, Option<u64>)) -> Result<ParseOutcome, IngestError> {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    collect_json(dir, &mut files, 0)?;
    files.sort();
    if files.is_empty() {
        return Err(IngestError::EmptyFolder { path: dir.display().to_string() });
    }
    let total = files.len() as u64;
    let mut acc = ApiAccumulator::default();
    let mut not_cqc = 0u64;
    for (i, path) in files.iter().enumerate() {
        let name = path.strip_prefix(dir).unwrap_or(path).display().to_string();
        let prefix = format!("{name}: ");
        let bytes = std::fs::read(path).map_err(|e| IngestError::Io { path: path.display().to_string(), source: e })?;
        match decode(&name, &bytes) {
            Err(e) => {
                acc.documents += 1;
                acc.reject(None, format!("{prefix}{e}"));
            }
            Ok(value) => {
                if matches!(shape(&value), Shape::ListPage) {
                    // locations.json beside location_details/: nothing to take from it.
                } else if let Err(reason) = acc.take(&value, &prefix) {
                    not_cqc += 1;
                    acc.documents += 1;
                    acc.reject(None, format!("{prefix}{reason}"));
                }
            }
        }
        progress(i as u64 + 1, Some(total));
    }
    if not_cqc == total {
        return Err(IngestError::WrongFile {
            file: dir.display().to_string(),
            reason: format!("holds no CQC API documents: its files {NOT_CQC}"),
        });
    }
    Ok(acc.finish())
}

/// Depth limit for subfolders: CQC downloads are one level deep; this stops a link loop.
const MAX_FOLDER_DEPTH: u32 = 4;

fn collect_json(dir: &Path, out: &mut Vec<std::path::PathBuf>, depth: u32) -> Result<(), IngestError> {
    let io = |e: std::io::Error| IngestError::Io { path: dir.display().to_string(), source: e };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            if depth < MAX_FOLDER_DEPTH {
                collect_json(&path, out, depth + 1)?;
            }
        } else if path.is_file() && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            out.push(path);
        }
    }
    Ok(())
}

/// A string (or number) field, tidied; `None` when absent, null or blank.
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => non_empty(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn items<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn names(v: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items(v, key) {
        if let Some(n) = text(item, "name")
            && !out.contains(&n)
        {
            out.push(n);
        }
    }
    out
}

struct Problems(Vec<String>);

impl Problems {
    fn date(&mut self, v: &Value, key: &str, path: &str) -> Option<Date> {
        let raw = text(v, key)?;
        match parse_date_text(&raw) {
            Some(d) => Some(d),
            None => {
                self.0.push(format!("'{path}' '{raw}' is not a date"));
                None
            }
        }
    }

    fn rating(&mut self, v: &Value, path: &str, assessment: bool) -> Option<Rating> {
        let raw = text(v, "rating").unwrap_or_default();
        if assessment && raw.to_ascii_lowercase().starts_with("regulations") {
            return None;
        }
        match parse_rating(&raw) {
            Ok(r) => r,
            Err(e) => {
                self.0.push(format!("'{path}' {e}"));
                None
            }
        }
    }

    /// A rating set from an object with `rating` and `keyQuestionRatings`.
    fn rating_set(&mut self, overall: &Value, path: &str, assessment: bool) -> CqcRatingSet {
        let mut set = CqcRatingSet { overall: self.rating(overall, &format!("{path}.rating"), assessment), ..CqcRatingSet::default() };
        for kq in items(overall, "keyQuestionRatings") {
            let name = text(kq, "name").unwrap_or_default();
            let rating = self.rating(kq, &format!("{path}.keyQuestionRatings[{name}].rating"), assessment);
            match KeyQuestion::parse(&name) {
                Some(KeyQuestion::Safe) => set.safe = rating,
                Some(KeyQuestion::Effective) => set.effective = rating,
                Some(KeyQuestion::Caring) => set.caring = rating,
                Some(KeyQuestion::Responsive) => set.responsive = rating,
                Some(KeyQuestion::WellLed) => set.well_led = rating,
                None => {}
            }
        }
        set
    }
}

fn map_document(doc: &Value) -> (Option<String>, Result<CqcLocation, String>) {
    let mut p = Problems(Vec::new());
    if !doc.is_object() {
        return (None, Err("is not a CQC location document (not a JSON object)".to_string()));
    }
    let id = match check_location_id(&text(doc, "locationId").unwrap_or_default()) {
        Ok(id) => Some(id),
        Err(problem) => {
            p.0.push(id_problem_text("locationId", &problem));
            None
        }
    };
    let name = text(doc, "name");
    if name.is_none() {
        p.0.push("'name' is empty".to_string());
    }
    let mut loc = CqcLocation::new(id.clone().unwrap_or_default(), name.unwrap_or_default());
    loc.provider_id = text(doc, "providerId");
    let lines: Vec<String> = [text(doc, "postalAddressLine1"), text(doc, "postalAddressLine2")].into_iter().flatten().collect();
    loc.address_line = if lines.is_empty() { None } else { Some(lines.join(", ")) };
    loc.town = text(doc, "postalAddressTownCity");
    loc.postcode = text(doc, "postalCode").and_then(|pc| normalise_postcode(&pc));
    loc.local_authority = text(doc, "localAuthority");
    loc.region = text(doc, "region");
    loc.phone = text(doc, "mainPhoneNumber").and_then(|ph| normalise_phone(&ph));
    loc.website = text(doc, "website");

    loc.registration_date = p.date(doc, "registrationDate", "registrationDate");
    loc.deregistration_date = p.date(doc, "deregistrationDate", "deregistrationDate");
    loc.registration_status = match text(doc, "registrationStatus").map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("registered") => RegistrationStatus::Registered,
        Some("deregistered") => RegistrationStatus::Deregistered,
        None if loc.deregistration_date.is_some() => RegistrationStatus::Deregistered,
        None => RegistrationStatus::Registered,
        Some(_) => {
            p.0.push(format!(
                "'registrationStatus' must be Registered or Deregistered; found '{}'",
                text(doc, "registrationStatus").unwrap_or_default()
            ));
            RegistrationStatus::Registered
        }
    };

    loc.care_home = match text(doc, "careHome").map(|s| s.to_ascii_uppercase()).as_deref() {
        Some("Y") | Some("YES") => Some(true),
        Some("N") | Some("NO") => Some(false),
        None => None,
        Some(other) => {
            p.0.push(format!("'careHome' must be Y or N; found '{other}'"));
            None
        }
    };
    loc.beds = match doc.get("numberOfBeds") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(b) if b >= 0 => Some(b),
            _ => {
                p.0.push(format!("'numberOfBeds' '{n}' is not a number of beds"));
                None
            }
        },
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => match s.trim().parse::<i64>() {
            Ok(b) if b >= 0 => Some(b),
            _ => {
                p.0.push(format!("'numberOfBeds' '{s}' is not a number of beds"));
                None
            }
        },
        Some(other) => {
            p.0.push(format!("'numberOfBeds' '{other}' is not a number of beds"));
            None
        }
    }
    .filter(|b| *b > 0 || loc.care_home == Some(true));

    loc.service_types = names(doc, "gacServiceTypes");
    loc.regulated_activities = names(doc, "regulatedActivities");
    loc.specialisms = specialisms_from(&names(doc, "specialisms"));

    // The current rating.
    let mut current: Option<CqcRatingSet> = None;
    if let Some(cr) = doc.get("currentRatings").filter(|v| v.is_object())
        && let Some(overall) = cr.get("overall").filter(|v| v.is_object())
    {
        let mut set = p.rating_set(overall, "currentRatings.overall", false);
        set.report_date = p
            .date(overall, "reportDate", "currentRatings.overall.reportDate")
            .or_else(|| p.date(cr, "reportDate", "currentRatings.reportDate"));
        if !set.is_empty() {
            current = Some(set);
        }
    }

    // The history, oldest first.
    let mut history: Vec<CqcRatingSet> = Vec::new();
    for (i, h) in items(doc, "historicRatings").iter().enumerate() {
        let path = format!("historicRatings[{i}]");
        let mut set = match h.get("overall").filter(|v| v.is_object()) {
            Some(overall) => p.rating_set(overall, &format!("{path}.overall"), false),
            None => CqcRatingSet::default(),
        };
        set.report_date = p.date(h, "reportDate", &format!("{path}.reportDate"));
        if !set.is_empty() {
            history.push(set);
        }
    }
    history.sort_by_key(|s| s.report_date);

    // The single assessment framework block.
    let mut last_inspection = doc.get("lastInspection").and_then(|li| p.date(li, "date", "lastInspection.date"));
    let mut assessed: Option<CqcRatingSet> = None;
    for (i, a) in items(doc, "assessment").iter().enumerate() {
        let published = p.date(a, "assessmentPlanPublishedDateTime", &format!("assessment[{i}].assessmentPlanPublishedDateTime"));
        let groups = a.get("ratings").map(|r| items(r, "asgRatings")).unwrap_or(&[]);
        let mut rated: Vec<CqcRatingSet> = Vec::new();
        for (j, g) in groups.iter().enumerate() {
            let path = format!("assessment[{i}].ratings.asgRatings[{j}]");
            let assessment_date = p.date(g, "assessmentDate", &format!("{path}.assessmentDate"));
            if assessment_date > last_inspection {
                last_inspection = assessment_date;
            }
            let mut set = p.rating_set(g, &path, true);
            set.report_date = published.or(assessment_date);
            if set.overall.is_some() {
                rated.push(set);
            }
        }
        // Several rated service groups: CQC no longer gives the location one rating.
        if let [only] = rated.as_slice()
            && assessed.as_ref().is_none_or(|prev| only.report_date > prev.report_date)
        {
            assessed = Some(only.clone());
        }
    }
    if let Some(set) = assessed
        && current.as_ref().is_none_or(|c| set.report_date > c.report_date)
    {
        if let Some(old) = current.take()
            && !history.iter().any(|h| h.report_date == old.report_date)
        {
            history.push(old);
            history.sort_by_key(|s| s.report_date);
        }
        current = Some(set);
    }
    loc.rating = current;
    loc.rating_history = history;
    loc.last_inspection_date = last_inspection;

    loc.relationships = items(doc, "relationships")
        .iter()
        .filter_map(|r| {
            Some(Relationship {
                kind: text(r, "type").unwrap_or_else(|| "Related".to_string()),
                location_id: text(r, "relatedLocationId")?,
                name: text(r, "relatedLocationName"),
            })
        })
        .collect();

    if p.0.is_empty() { (id, Ok(loc)) } else { (id, Err(p.0.join("; "))) }
}
