//! Care home vacancy returns uploaded as CSV: our layout (cqc_location_id or service_id, date,
//! bed_type, occupied, vacant), or the NHS Capacity Tracker's care home export as it is (cqcid,
//! usedbeds, declaredvacancies, lastupdatedbst; its one total per home counts as the home's main
//! bed type). Core's [`csv_column`] names the columns and [`validate_return`] checks each return.
//!
//! Reading is in two steps because each row names a home the register must be asked about:
//! [`read_vacancy_csv`] reads the file and [`VacancyCsv::homes`] lists the homes it names; the
//! caller looks them up and [`VacancyCsv::check`] turns the rows into returns.

use caremarket_core::Date;
use caremarket_core::capacity::vacancies::{BedType, CsvColumn, VacancyLine, csv_column, parse_csv_date, validate_return};
use caremarket_core::register::ServiceKind;
use std::collections::BTreeMap;

/// How a row names its home: the register's id, or else CQC's location id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum HomeRef {
    ServiceId(String),
    CqcLocationId(String),
}

/// What the register holds about a home a row names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub id: String,
    pub provider_id: String,
    pub name: String,
    pub kind: ServiceKind,
    pub beds: Option<i64>,
    /// The home lists dementia among its specialisms (a row without a bed type counts as it).
    pub dementia: bool,
}

/// One home's return on one day, from one or more rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacancyReturnRows {
    pub service_id: String,
    pub return_date: Date,
    pub lines: Vec<VacancyLine>,
}

#[derive(Debug, Clone)]
struct Row {
    row: usize,
    service_id: String,
    location_id: String,
    date: String,
    bed_type: String,
    occupied: String,
    vacant: String,
}

/// A file whose header names the columns a return needs, read row by row.
#[derive(Debug, Clone)]
pub struct VacancyCsv {
    rows: Vec<Result<Row, String>>,
}

/// Read the file: its rows, or why it cannot be used at all.
pub fn read_vacancy_csv(bytes: &[u8]) -> Result<VacancyCsv, Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![format!("The file could not be read as CSV: {e}")]),
    };
    let cols: Vec<Option<CsvColumn>> = headers.iter().map(csv_column).collect();
    let has = |c: CsvColumn| cols.contains(&Some(c));
    if !(has(CsvColumn::CqcLocationId) || has(CsvColumn::ServiceId))
        || !has(CsvColumn::Occupied)
        || !has(CsvColumn::Vacant)
        || !has(CsvColumn::Date)
    {
        return Err(vec![
            "The file needs columns for the home (cqc_location_id, service_id or cqcid), the date (date or lastupdatedbst), occupied (or usedbeds) and vacant (or declaredvacancies)".into(),
        ]);
    }
    let rows = rdr
        .records()
        .enumerate()
        .map(|(i, rec)| {
            let row = i + 2;
            let rec = rec.map_err(|e| format!("row {row}: {e}"))?;
            let get = |c: CsvColumn| cols.iter().position(|x| *x == Some(c)).and_then(|p| rec.get(p)).unwrap_or("").trim().to_string();
            Ok(Row {
                row,
                service_id: get(CsvColumn::ServiceId),
                location_id: get(CsvColumn::CqcLocationId),
                date: get(CsvColumn::Date),
                bed_type: get(CsvColumn::BedType),
                occupied: get(CsvColumn::Occupied),
                vacant: get(CsvColumn::Vacant),
            })
        })
        .collect();
    Ok(VacancyCsv { rows })
}

impl Row {
    fn home(&self) -> HomeRef {
        if self.service_id.is_empty() {
            HomeRef::CqcLocationId(self.location_id.clone())
        } else {
            HomeRef::ServiceId(self.service_id.clone())
        }
    }
}

impl VacancyCsv {
    /// The homes the rows name, each once, in the order they first appear.
    pub fn homes(&self) -> Vec<HomeRef> {
        let mut out: Vec<HomeRef> = Vec::new();
        for r in self.rows.iter().flatten() {
            let h = r.home();
            if !out.contains(&h) {
                out.push(h);
            }
        }
        out
    }

    /// Every row checked against the homes the caller found (`home`), grouped into one return
    /// per home and day; or every problem. `only_provider`: a provider may upload only for its
    /// own homes.
    pub fn check<'a>(
        &self,
        home: impl Fn(&HomeRef) -> Option<&'a Home>,
        only_provider: Option<&str>,
        today: Date,
    ) -> Result<Vec<VacancyReturnRows>, Vec<String>> {
        let mut problems = Vec::new();
        let mut grouped: BTreeMap<(String, Date), Vec<(usize, VacancyLine)>> = BTreeMap::new();
        let mut homes: BTreeMap<String, &Home> = BTreeMap::new();
        for r in &self.rows {
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    problems.push(e.clone());
                    continue;
                }
            };
            let row = r.row;
            let Some(service) = home(&r.home()) else {
                problems.push(format!("row {row}: no service in the register has the location '{}{}'", r.location_id, r.service_id));
                continue;
            };
            if let Some(p) = only_provider
                && service.provider_id != p
            {
                problems.push(format!("row {row}: '{}' is not one of your services", service.name));
                continue;
            }
            let Some(date) = parse_csv_date(&r.date) else {
                problems.push(format!("row {row}: '{}' is not a date (use 2024-11-08 or 08/11/2024)", r.date));
                continue;
            };
            let bed_type = if r.bed_type.is_empty() {
                BedType::default_for(service.kind == ServiceKind::CareHomeNursing, service.dementia)
            } else if let Some(b) = BedType::parse(&r.bed_type) {
                b
            } else {
                problems.push(format!(
                    "row {row}: 'bed_type' must be one of Dementia Nursing, Dementia Residential, General Nursing, General Residential; found '{}'",
                    r.bed_type
                ));
                continue;
            };
            let num = |v: &str, name: &str| -> Result<i64, String> {
                v.parse::<i64>().map_err(|_| format!("row {row}: '{name}' must be a whole number; found '{v}'"))
            };
            match (num(&r.occupied, "occupied"), num(&r.vacant, "vacant")) {
                (Ok(o), Ok(v)) => {
                    grouped.entry((service.id.clone(), date)).or_default().push((row, VacancyLine { bed_type, occupied: o, vacant: v }));
                    homes.insert(service.id.clone(), service);
                }
                (Err(e), _) | (_, Err(e)) => problems.push(e),
            }
        }
        let mut out = Vec::new();
        for ((sid, date), lines) in grouped {
            let first_row = lines.first().map(|l| l.0).unwrap_or(0);
            let lines: Vec<VacancyLine> = lines.into_iter().map(|l| l.1).collect();
            let svc = homes.get(&sid);
            if let Some(s) = svc
                && !s.kind.is_care_home()
            {
                problems.push(format!("row {first_row}: {} is not a care home", s.name));
                continue;
            }
            if let Err(e) = validate_return(date, today, svc.and_then(|s| s.beds), &lines) {
                problems.push(format!("row {first_row} ({}): {}", svc.map(|s| s.name.as_str()).unwrap_or(""), e.message));
                continue;
            }
            out.push(VacancyReturnRows { service_id: sid, return_date: date, lines });
        }
        if out.is_empty() && problems.is_empty() {
            problems.push("The file has no rows".into());
        }
        if problems.is_empty() { Ok(out) } else { Err(problems) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oak() -> Home {
        Home {
            id: "oak".into(),
            provider_id: "p1".into(),
            name: "Oak House".into(),
            kind: ServiceKind::CareHomeNursing,
            beds: Some(40),
            dementia: true,
        }
    }

    fn today() -> Date {
        Date::constant(2024, 11, 20)
    }

    #[test]
    fn a_capacity_tracker_export_counts_as_the_homes_main_bed_type() {
        let csv = read_vacancy_csv(b"cqcid,usedbeds,declaredvacancies,lastupdatedbst\n1-1,30,2,08/11/2024 10:00\n").expect("read");
        assert_eq!(csv.homes(), [HomeRef::CqcLocationId("1-1".into())]);
        let home = oak();
        let returns = csv.check(|_| Some(&home), None, today()).expect("valid");
        assert_eq!(
            returns,
            [VacancyReturnRows {
                service_id: "oak".into(),
                return_date: Date::constant(2024, 11, 8),
                lines: vec![VacancyLine { bed_type: BedType::DementiaNursing, occupied: 30, vacant: 2 }],
            }]
        );
    }

    #[test]
    fn every_problem_with_its_row() {
        assert_eq!(
            read_vacancy_csv(b"name,beds\nx,1\n").unwrap_err()[0],
            "The file needs columns for the home (cqc_location_id, service_id or cqcid), the date (date or lastupdatedbst), occupied (or usedbeds) and vacant (or declaredvacancies)"
        );
        let csv = read_vacancy_csv(
            b"service_id,cqc_location_id,date,bed_type,occupied,vacant\nnone,,2024-11-08,,1,1\noak,,soon,,1,1\noak,,2024-11-08,attic,1,1\noak,,2024-11-08,,x,1\n",
        )
        .expect("read");
        let home = oak();
        let problems = csv.check(|h| (h == &HomeRef::ServiceId("oak".into())).then_some(&home), Some("p2"), today()).unwrap_err();
        assert_eq!(problems[0], "row 2: no service in the register has the location 'none'");
        assert_eq!(problems[1], "row 3: 'Oak House' is not one of your services");
        let problems = csv.check(|h| (h == &HomeRef::ServiceId("oak".into())).then_some(&home), None, today()).unwrap_err();
        assert_eq!(
            problems[1..],
            [
                "row 3: 'soon' is not a date (use 2024-11-08 or 08/11/2024)".to_string(),
                "row 4: 'bed_type' must be one of Dementia Nursing, Dementia Residential, General Nursing, General Residential; found 'attic'".into(),
                "row 5: 'occupied' must be a whole number; found 'x'".into(),
            ]
        );
        let empty = read_vacancy_csv(b"service_id,date,occupied,vacant\n").expect("read");
        assert_eq!(empty.check(|_| None, None, today()).unwrap_err(), ["The file has no rows"]);
    }
}
