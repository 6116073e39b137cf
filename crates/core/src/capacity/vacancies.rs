//! Care home vacancies (`000` "Accommodation with Care", November 2024 table; domain C3).

use super::whole_percent;
use crate::{Date, FieldError};
use serde::{Deserialize, Serialize};

/// The four bed types of `000`'s vacancy table, in the table's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum BedType {
    DementiaNursing,
    DementiaResidential,
    GeneralNursing,
    GeneralResidential,
}

impl BedType {
    pub const ALL: [BedType; 4] =
        [BedType::DementiaNursing, BedType::DementiaResidential, BedType::GeneralNursing, BedType::GeneralResidential];

    pub fn as_str(self) -> &'static str {
        match self {
            BedType::DementiaNursing => "dementia_nursing",
            BedType::DementiaResidential => "dementia_residential",
            BedType::GeneralNursing => "general_nursing",
            BedType::GeneralResidential => "general_residential",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BedType::DementiaNursing => "Dementia Nursing",
            BedType::DementiaResidential => "Dementia Residential",
            BedType::GeneralNursing => "General Nursing",
            BedType::GeneralResidential => "General Residential",
        }
    }

    pub fn parse(s: &str) -> Option<BedType> {
        let l = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        BedType::ALL.into_iter().find(|b| b.as_str() == l || b.label().eq_ignore_ascii_case(s.trim()))
    }

    /// The bed type a return without types is counted as (NHS Capacity Tracker exports give
    /// one total per home): nursing or residential from the kind of home, dementia when the
    /// home lists dementia as a specialism.
    pub fn default_for(nursing: bool, dementia: bool) -> BedType {
        match (dementia, nursing) {
            (true, true) => BedType::DementiaNursing,
            (true, false) => BedType::DementiaResidential,
            (false, true) => BedType::GeneralNursing,
            (false, false) => BedType::GeneralResidential,
        }
    }
}

/// Kinds of block-contracted temporary bed (`000` "Our temporary care contractual arrangements").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum BlockBedKind {
    // serde uses the stored code; the alias reads older JSON.
    #[serde(rename = "s2a", alias = "somewhere_else_to_assess")]
    SomewhereElseToAssess,
    Emergency,
    PlannedRespite,
}

impl BlockBedKind {
    pub const ALL: [BlockBedKind; 3] = [BlockBedKind::SomewhereElseToAssess, BlockBedKind::Emergency, BlockBedKind::PlannedRespite];
    pub fn as_str(self) -> &'static str {
        match self {
            BlockBedKind::SomewhereElseToAssess => "s2a",
            BlockBedKind::Emergency => "emergency",
            BlockBedKind::PlannedRespite => "planned_respite",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            BlockBedKind::SomewhereElseToAssess => "Somewhere Else to Assess",
            BlockBedKind::Emergency => "Emergency residential",
            BlockBedKind::PlannedRespite => "Planned respite",
        }
    }
    pub fn parse(s: &str) -> Option<BlockBedKind> {
        BlockBedKind::ALL.into_iter().find(|k| k.as_str() == s.trim() || k.label().eq_ignore_ascii_case(s.trim()))
    }
}

/// One bed type's line of a vacancy return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VacancyLine {
    pub bed_type: BedType,
    pub occupied: i64,
    pub vacant: i64,
}

/// How far ahead of today a return may be dated: a return reports the day it is made, so a
/// day's grace covers clocks and time zones and nothing more.
pub const MAX_DAYS_AHEAD: i64 = 1;

/// Check a vacancy return: whole non-negative numbers, a bed type at most once, a date not in
/// the future, and never more beds (occupied plus vacant, or occupied alone) than the home is
/// registered for (`registered_beds`, from CQC), less any block-contracted beds counted apart.
pub fn validate_return(date: Date, today: Date, registered_beds: Option<i64>, lines: &[VacancyLine]) -> Result<(), FieldError> {
    if lines.is_empty() {
        return Err(FieldError::new("lines", "Enter the beds occupied and vacant for at least one bed type"));
    }
    let ahead = today.until(date).map(|s| s.get_days() as i64).unwrap_or(0);
    if date > today && ahead > MAX_DAYS_AHEAD {
        return Err(FieldError::new(
            "return_date",
            format!("The return date {date} is in the future: a return reports beds on the day it is made (today is {today})"),
        ));
    }
    if date < today.saturating_sub(jiff::Span::new().years(2)) {
        return Err(FieldError::new("return_date", format!("The return date {date} is more than 2 years ago")));
    }
    let mut seen = Vec::new();
    for l in lines {
        let f = l.bed_type.as_str();
        if l.occupied < 0 {
            return Err(FieldError::new(
                format!("{f}_occupied"),
                format!("{} occupied beds cannot be negative (found {})", l.bed_type.label(), l.occupied),
            ));
        }
        if l.vacant < 0 {
            return Err(FieldError::new(
                format!("{f}_vacant"),
                format!("{} vacancies cannot be negative (found {})", l.bed_type.label(), l.vacant),
            ));
        }
        if seen.contains(&l.bed_type) {
            return Err(FieldError::new(format!("{f}_occupied"), format!("{} appears more than once", l.bed_type.label())));
        }
        seen.push(l.bed_type);
    }
    if let Some(reg) = registered_beds {
        let occupied: i64 = lines.iter().map(|l| l.occupied).sum();
        let total: i64 = lines.iter().map(|l| l.occupied + l.vacant).sum();
        if occupied > reg {
            return Err(FieldError::new(
                "lines",
                format!("{occupied} beds occupied is more than the {reg} beds the home is registered for with CQC"),
            ));
        }
        if total > reg {
            return Err(FieldError::new(
                "lines",
                format!(
                    "{occupied} occupied and {} vacant make {total} beds, more than the {reg} the home is registered for with CQC",
                    total - occupied
                ),
            ));
        }
    }
    Ok(())
}

/// One row of the occupancy table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OccupancyRow {
    pub bed_type: BedType,
    pub label: &'static str,
    pub occupied: i64,
    pub vacancies: i64,
    /// Whole per cent, as `000` prints it.
    pub occupied_percent: Option<i64>,
}

/// `000`'s table: for each bed type, occupied %, occupied and vacancies, summed over the lines
/// given (the latest return of each home). Every bed type has a row, in the seed's order.
pub fn occupancy_table<'a>(lines: impl IntoIterator<Item = &'a VacancyLine>) -> Vec<OccupancyRow> {
    let mut occ = [0i64; 4];
    let mut vac = [0i64; 4];
    for l in lines {
        let i = BedType::ALL.iter().position(|b| *b == l.bed_type).unwrap_or(0);
        occ[i] += l.occupied;
        vac[i] += l.vacant;
    }
    BedType::ALL
        .iter()
        .enumerate()
        .map(|(i, b)| OccupancyRow {
            bed_type: *b,
            label: b.label(),
            occupied: occ[i],
            vacancies: vac[i],
            occupied_percent: whole_percent(occ[i], occ[i] + vac[i]),
        })
        .collect()
}

/// Occupancy of a set of lines as a fraction 0..=1 (None when there are no beds).
pub fn occupancy(lines: &[VacancyLine]) -> Option<f64> {
    let occ: i64 = lines.iter().map(|l| l.occupied).sum();
    let total: i64 = lines.iter().map(|l| l.occupied + l.vacant).sum();
    if total <= 0 { None } else { Some(occ as f64 / total as f64) }
}

/// Thresholds for the flags on the capacity page; the council may change them (settings).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CapacityThresholds {
    /// A home whose latest return is older than this many days is flagged as stale.
    pub stale_after_days: i64,
    /// Below this occupancy (per cent) a home is flagged as a quality risk: `000` "Low
    /// occupancy levels increase the risk of poorer quality provision and unsafe practices as
    /// the financial impact affects staffing, morale, and the risk of accepting residents whose
    /// needs cannot be met to increase income."
    pub low_occupancy_percent: i64,
}

impl Default for CapacityThresholds {
    fn default() -> Self {
        CapacityThresholds { stale_after_days: 14, low_occupancy_percent: 80 }
    }
}

impl CapacityThresholds {
    /// The council's choice, checked: a return goes stale after 1 to 90 days (the return window
    /// is weekly, so fewer than 7 flags every home between returns, and more than 90 hides a home
    /// that stopped returning for a quarter); low occupancy is below 1 to 100 per cent.
    /// A value that could not be read as a number is `None`, its failure already in `e`; every
    /// failure is reported at once.
    pub fn parse(
        stale_after_days: Option<i64>,
        low_occupancy_percent: Option<i64>,
        mut e: crate::FieldErrors,
    ) -> Result<CapacityThresholds, crate::FieldErrors> {
        if stale_after_days.is_some_and(|d| !(1..=90).contains(&d)) {
            e.add("stale_after_days", "The days after which a return is stale must be from 1 to 90");
        }
        if low_occupancy_percent.is_some_and(|p| !(1..=100).contains(&p)) {
            e.add("low_occupancy_percent", "The low occupancy threshold must be a percentage from 1 to 100");
        }
        // The error summary lists failures in the form's order, whichever was found first.
        let order = ["stale_after_days", "low_occupancy_percent"];
        e.0.sort_by_key(|f| order.iter().position(|n| *n == f.field).unwrap_or(order.len()));
        match (stale_after_days, low_occupancy_percent) {
            (Some(stale_after_days), Some(low_occupancy_percent)) => {
                e.into_result(CapacityThresholds { stale_after_days, low_occupancy_percent })
            }
            _ => Err(e),
        }
    }

    /// A home's latest return date is stale (or missing) as at `today`.
    pub fn is_stale(&self, latest: Option<Date>, today: Date) -> bool {
        match latest {
            None => true,
            Some(d) => d.until(today).map(|s| s.get_days() as i64).unwrap_or(0) > self.stale_after_days,
        }
    }

    pub fn is_low_occupancy(&self, lines: &[VacancyLine]) -> bool {
        let occ: i64 = lines.iter().map(|l| l.occupied).sum();
        let total: i64 = lines.iter().map(|l| l.occupied + l.vacant).sum();
        total > 0 && occ * 100 < self.low_occupancy_percent * total
    }
}

/// A column of a vacancy-return CSV: ours, or the NHS Capacity Tracker's export names
/// (`../shared/data/capacity-tracker-formats/`: cqcid, location, maxcapacity, usedbeds,
/// declaredvacancies, lastupdatedbst/utc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvColumn {
    CqcLocationId,
    ServiceId,
    LocationName,
    Date,
    BedType,
    Occupied,
    Vacant,
    MaxCapacity,
}

/// Recognise a header cell (case, spaces and underscores ignored). Unknown columns (the
/// tracker's many workforce columns) are `None` and skipped.
pub fn csv_column(header: &str) -> Option<CsvColumn> {
    let h: String =
        header.trim().trim_start_matches('\u{feff}').to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    Some(match h.as_str() {
        "cqcid" | "cqclocationid" | "locationid" => CsvColumn::CqcLocationId,
        "serviceid" => CsvColumn::ServiceId,
        "location" | "locationname" | "servicename" | "carehome" => CsvColumn::LocationName,
        "date" | "returndate" | "lastupdatedbst" | "lastupdatedutc" | "asat" => CsvColumn::Date,
        "bedtype" | "vacancytype" => CsvColumn::BedType,
        "occupied" | "usedbeds" | "occupiedbeds" => CsvColumn::Occupied,
        "vacant" | "vacancies" | "declaredvacancies" | "vacantbeds" => CsvColumn::Vacant,
        "maxcapacity" | "registeredbeds" => CsvColumn::MaxCapacity,
        _ => return None,
    })
}

/// A date cell: ISO `2024-11-08`, UK `08/11/2024`, or a timestamp whose date part is one of
/// those (`2024-11-08 09:12:00`, as the tracker's last-updated columns are).
pub fn parse_csv_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let head = s.split([' ', 'T']).next().unwrap_or(s);
    if let Ok(d) = head.parse::<Date>() {
        return Some(d);
    }
    let parts: Vec<&str> = head.split('/').collect();
    if parts.len() == 3 {
        let (d, m, y) = (parts[0].parse::<i8>().ok()?, parts[1].parse::<i8>().ok()?, parts[2].parse::<i16>().ok()?);
        return Date::new(y, m, d).ok();
    }
    None
}

/// Beds block-contracted at a care home: more than none, no more than it is registered for,
/// ending on or after they start.
pub fn check_block_beds(
    home: &str,
    is_care_home: bool,
    registered_beds: Option<i64>,
    beds: i64,
    starts_on: Date,
    ends_on: Option<Date>,
) -> Result<(), FieldError> {
    if !is_care_home {
        return Err(FieldError::new("service_id", format!("{home} is not a care home")));
    }
    if beds <= 0 {
        return Err(FieldError::new("beds", "Enter the number of beds, more than 0"));
    }
    if let Some(reg) = registered_beds
        && beds > reg
    {
        return Err(FieldError::new("beds", format!("{beds} block beds is more than the {reg} beds {home} is registered for")));
    }
    if ends_on.is_some_and(|e| e < starts_on) {
        return Err(FieldError::new("ends_on", "The end date must be on or after the start date"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn l(b: BedType, o: i64, v: i64) -> VacancyLine {
        VacancyLine { bed_type: b, occupied: o, vacant: v }
    }

    #[test]
    fn the_seed_table() {
        // `000` "Accommodation with Care", November 2024.
        let lines = [
            l(BedType::DementiaNursing, 514, 47),
            l(BedType::DementiaResidential, 1070, 98),
            l(BedType::GeneralNursing, 589, 161),
            l(BedType::GeneralResidential, 843, 137),
        ];
        let t = occupancy_table(&lines);
        let pc: Vec<_> = t.iter().map(|r| r.occupied_percent).collect();
        assert_eq!(pc, vec![Some(92), Some(92), Some(79), Some(86)]);
        assert_eq!(t[1].label, "Dementia Residential");
        assert_eq!((t[2].occupied, t[2].vacancies), (589, 161));
    }

    #[test]
    fn refuses_bad_returns() {
        let today = jiff::civil::date(2024, 11, 8);
        let ok = [l(BedType::GeneralResidential, 20, 5)];
        assert!(validate_return(today, today, Some(25), &ok).is_ok());
        let e = validate_return(today, today, Some(24), &[l(BedType::GeneralResidential, 25, 0)]).unwrap_err();
        assert!(e.message.contains("more than the 24 beds"), "{e}");
        let e = validate_return(today, today, Some(24), &ok).unwrap_err();
        assert!(e.message.contains("25 beds"), "{e}");
        let e = validate_return(today, today, None, &[l(BedType::GeneralNursing, -1, 0)]).unwrap_err();
        assert!(e.message.contains("negative"), "{e}");
        assert_eq!(e.field, "general_nursing_occupied");
        let e = validate_return(jiff::civil::date(2025, 6, 1), today, None, &ok).unwrap_err();
        assert_eq!(e.field, "return_date");
        assert!(validate_return(jiff::civil::date(2024, 11, 9), today, None, &ok).is_ok());
    }

    #[test]
    fn flags() {
        let t = CapacityThresholds::default();
        let today = jiff::civil::date(2024, 11, 30);
        assert!(t.is_stale(Some(jiff::civil::date(2024, 11, 1)), today));
        assert!(!t.is_stale(Some(jiff::civil::date(2024, 11, 20)), today));
        assert!(t.is_stale(None, today));
        let ok = CapacityThresholds::parse(Some(21), Some(75), crate::FieldErrors::new());
        assert_eq!(ok, Ok(CapacityThresholds { stale_after_days: 21, low_occupancy_percent: 75 }));
        let e = CapacityThresholds::parse(Some(0), Some(101), crate::FieldErrors::new()).expect_err("out of range");
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["stale_after_days", "low_occupancy_percent"]);
        assert!(t.is_low_occupancy(&[l(BedType::GeneralNursing, 589, 161)])); // 79%
        assert!(!t.is_low_occupancy(&[l(BedType::GeneralResidential, 843, 137)])); // 86%
    }

    #[test]
    fn tracker_columns() {
        assert_eq!(csv_column("usedbeds"), Some(CsvColumn::Occupied));
        assert_eq!(csv_column("declaredvacancies"), Some(CsvColumn::Vacant));
        assert_eq!(csv_column("cqcid"), Some(CsvColumn::CqcLocationId));
        assert_eq!(csv_column("lastupdatedbst"), Some(CsvColumn::Date));
        assert_eq!(csv_column("Bed type"), Some(CsvColumn::BedType));
        assert_eq!(csv_column("nursesemployed"), None);
        assert_eq!(parse_csv_date("08/11/2024"), Some(jiff::civil::date(2024, 11, 8)));
        assert_eq!(parse_csv_date("2024-11-08 10:00:00"), Some(jiff::civil::date(2024, 11, 8)));
        assert_eq!(BedType::parse("Dementia Nursing"), Some(BedType::DementiaNursing));
        assert_eq!(BedType::default_for(true, false), BedType::GeneralNursing);
    }

    proptest! {
        #[test]
        fn table_sums_what_it_is_given(v in proptest::collection::vec((0usize..4, 0i64..500, 0i64..500), 0..40)) {
            let lines: Vec<_> = v.iter().map(|(i, o, va)| l(BedType::ALL[*i], *o, *va)).collect();
            let t = occupancy_table(&lines);
            prop_assert_eq!(t.iter().map(|r| r.occupied).sum::<i64>(), lines.iter().map(|l| l.occupied).sum::<i64>());
            prop_assert_eq!(t.iter().map(|r| r.vacancies).sum::<i64>(), lines.iter().map(|l| l.vacant).sum::<i64>());
            for r in &t {
                if let Some(p) = r.occupied_percent { prop_assert!((0..=100).contains(&p)); }
            }
        }

        #[test]
        fn a_valid_return_never_exceeds_registered_beds(o in 0i64..100, va in 0i64..100, reg in 0i64..150) {
            let today = jiff::civil::date(2024, 11, 8);
            let r = validate_return(today, today, Some(reg), &[l(BedType::GeneralNursing, o, va)]);
            prop_assert_eq!(r.is_ok(), o + va <= reg);
        }
    }

    #[test]
    fn block_beds_fit_the_home() {
        let d = |day| Date::constant(2025, 1, day);
        assert!(check_block_beds("Oak", true, Some(10), 10, d(1), Some(d(1))).is_ok());
        assert_eq!(check_block_beds("Oak", false, None, 1, d(1), None).unwrap_err().message, "Oak is not a care home");
        assert_eq!(check_block_beds("Oak", true, None, 0, d(1), None).unwrap_err().field, "beds");
        assert_eq!(
            check_block_beds("Oak", true, Some(4), 5, d(1), None).unwrap_err().message,
            "5 block beds is more than the 4 beds Oak is registered for"
        );
        assert_eq!(check_block_beds("Oak", true, None, 2, d(2), Some(d(1))).unwrap_err().field, "ends_on");
    }
}
