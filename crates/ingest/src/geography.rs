//! Postcode coordinates from the ONS National Statistics Postcode Directory (NSPD).
//!
//! The NSPD gives every postcode's grid reference on the British National Grid (OSGB36,
//! eastings and northings in metres). Open Referral UK locations carry WGS84 latitude and
//! longitude, so each grid reference is converted here once, at import, with `proj4rs` (a Rust
//! port of PROJ.4): the inverse transverse Mercator of the National Grid on the Airy 1830
//! ellipsoid, then the published seven-parameter Helmert shift to WGS84. The Helmert shift is
//! good to about 5 metres, plenty for a directory's map pin (OSTN15's centimetres are not needed).
//!
//! Northern Ireland (`BT`) postcodes are on the Irish Grid, not the National Grid: they are
//! skipped, as are postcodes without a grid reference (terminated or not yet placed).

use crate::IngestError;
use proj4rs::proj::Proj;
use std::io::Read;
use std::path::Path;

/// EPSG:27700, British National Grid, with the OS's Helmert parameters to WGS84.
const BRITISH_NATIONAL_GRID: &str = "+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 \
     +ellps=airy +towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs";
const WGS84: &str = "+proj=longlat +datum=WGS84 +no_defs";

/// A postcode's position, as Open Referral wants it.
#[derive(Debug, Clone, PartialEq)]
pub struct PostcodePoint {
    /// Upper case with one space before the inward code ("OL1 1AA").
    pub postcode: String,
    pub latitude: f64,
    pub longitude: f64,
}

/// Converts National Grid references to WGS84.
pub struct GridConverter {
    from: Proj,
    to: Proj,
}

impl GridConverter {
    pub fn new() -> GridConverter {
        // Both definitions are constants that parse; a failure here is a programming error
        // caught by the unit tests, not something input can cause.
        GridConverter {
            from: Proj::from_proj_string(BRITISH_NATIONAL_GRID).expect("the National Grid definition parses"),
            to: Proj::from_proj_string(WGS84).expect("the WGS84 definition parses"),
        }
    }

    /// (latitude, longitude) in degrees for an easting and northing in metres, or `None` for a
    /// point off the grid.
    pub fn to_wgs84(&self, easting: f64, northing: f64) -> Option<(f64, f64)> {
        if !(0.0..=700_000.0).contains(&easting) || !(0.0..=1_300_000.0).contains(&northing) {
            return None;
        }
        let (lon, lat) = proj4rs::adaptors::transform_xy(&self.from, &self.to, easting, northing).ok()?;
        let (lon, lat) = (lon.to_degrees(), lat.to_degrees());
        (lat.is_finite() && lon.is_finite()).then_some((round6(lat), round6(lon)))
    }
}

impl Default for GridConverter {
    fn default() -> Self {
        GridConverter::new()
    }
}

/// Six decimal places is about 10 cm: more would be false precision.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// "ol11aa", "OL1  1AA" -> "OL1 1AA"; `None` for something that is not shaped like a UK postcode.
pub fn normalise_postcode(raw: &str) -> Option<String> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    if !(5..=7).contains(&compact.len()) || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let mut inward_chars = inward.chars();
    let inward_ok = inward_chars.next().is_some_and(|c| c.is_ascii_digit()) && inward_chars.all(|c| c.is_ascii_alphabetic());
    if !inward_ok || !outward.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    Some(format!("{outward} {inward}"))
}

/// What reading a postcode file gave.
#[derive(Debug, Default)]
pub struct PostcodeFile {
    pub points: Vec<PostcodePoint>,
    pub rows_read: u64,
    /// Northern Ireland postcodes (Irish Grid).
    pub skipped_northern_ireland: u64,
    /// Postcodes without a usable grid reference.
    pub skipped_no_grid: u64,
}

/// Read the NSPD extract (`pcd,laua,oseast1m,osnrth1m`, plain or gzipped CSV). The columns are
/// found by name, so the full NSPD file with its many other columns reads the same. A row
/// whose postcode or grid reference is malformed refuses the whole file with its line number:
/// the file is ONS's, so a bad row means a damaged download rather than one bad record.
pub fn read_postcode_file(path: &Path) -> Result<PostcodeFile, IngestError> {
    let file_name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| IngestError::Io { path: file_name.clone(), source })?;
    let gz = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let reader: Box<dyn Read> = if gz { Box::new(flate2::read::MultiGzDecoder::new(file)) } else { Box::new(file) };
    read_postcodes(reader, &file_name)
}

pub fn read_postcodes(reader: impl Read, file: &str) -> Result<PostcodeFile, IngestError> {
    let mut csv = csv::ReaderBuilder::new().flexible(false).from_reader(reader);
    let headers = csv.headers().map_err(|e| IngestError::Csv { file: file.to_string(), detail: e.to_string() })?.clone();
    let col = |names: &[&str]| headers.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)));
    let (Some(pcd), Some(east), Some(north)) = (col(&["pcd", "pcds", "pcd7"]), col(&["oseast1m", "east1m"]), col(&["osnrth1m", "north1m"]))
    else {
        return Err(IngestError::WrongFile {
            file: file.to_string(),
            reason: "is not an ONS postcode directory file: it needs the columns pcd, oseast1m and osnrth1m".to_string(),
        });
    };
    let converter = GridConverter::new();
    let mut out = PostcodeFile::default();
    for (i, record) in csv.records().enumerate() {
        // Line 1 is the header.
        let line = i as u64 + 2;
        let record = record.map_err(|e| IngestError::Csv { file: file.to_string(), detail: format!("line {line}: {e}") })?;
        out.rows_read += 1;
        let raw = record.get(pcd).unwrap_or_default();
        let Some(postcode) = normalise_postcode(raw) else {
            return Err(IngestError::Csv { file: file.to_string(), detail: format!("line {line}: column pcd: '{raw}' is not a postcode") });
        };
        if postcode.starts_with("BT") {
            out.skipped_northern_ireland += 1;
            continue;
        }
        let (e, n) = (record.get(east).unwrap_or_default().trim(), record.get(north).unwrap_or_default().trim());
        if e.is_empty() || n.is_empty() {
            out.skipped_no_grid += 1;
            continue;
        }
        let parse = |name: &str, v: &str| {
            v.parse::<f64>().map_err(|_| IngestError::Csv {
                file: file.to_string(),
                detail: format!("line {line}: column {name}: '{v}' is not a number"),
            })
        };
        let (e, n) = (parse("oseast1m", e)?, parse("osnrth1m", n)?);
        match converter.to_wgs84(e, n) {
            // ONS marks postcodes it cannot place with a grid reference of 0,0 or at the grid's edge.
            Some((latitude, longitude)) if e > 0.0 && n > 0.0 => out.points.push(PostcodePoint { postcode, latitude, longitude }),
            _ => out.skipped_no_grid += 1,
        }
    }
    if out.rows_read == 0 {
        return Err(IngestError::Empty { file: file.to_string() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordnance_survey_worked_example() {
        // The OS's "A guide to coordinate systems in Great Britain", annex C: the grid reference
        // E 651409.903, N 313177.270 is 52°39'27.2531"N 1°43'4.5177"E on OSGB36 (Airy 1830).
        // Checked here against the projection alone (OSGB36 geographic), so the Helmert shift
        // does not hide an error in the transverse Mercator.
        let from = Proj::from_proj_string(BRITISH_NATIONAL_GRID).expect("bng");
        let osgb36 = Proj::from_proj_string("+proj=longlat +ellps=airy +towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +no_defs")
            .expect("osgb36");
        let p = proj4rs::adaptors::transform_xy(&from, &osgb36, 651409.903, 313177.270).expect("transform");
        let lat = 52.0 + 39.0 / 60.0 + 27.2531 / 3600.0;
        let lon = 1.0 + 43.0 / 60.0 + 4.5177 / 3600.0;
        assert!((p.1.to_degrees() - lat).abs() < 1e-6, "{}", p.1.to_degrees());
        assert!((p.0.to_degrees() - lon).abs() < 1e-6, "{}", p.0.to_degrees());

        // On WGS84 the same point moves by the datum shift (a hundred metres or so in Great
        // Britain): bounded loosely here, the exact figure is PROJ's.
        let (wlat, wlon) = GridConverter::new().to_wgs84(651409.903, 313177.270).expect("on grid");
        assert!((wlat - lat).abs() < 0.0015 && (wlon - lon).abs() < 0.0025, "{wlat} {wlon}");
        assert!(wlon != lon);

        // OL1 1AA (NSPD: 393482, 404988) is in Oldham town centre, about 53.54 N 2.10 W.
        let (lat, lon) = GridConverter::new().to_wgs84(393482.0, 404988.0).expect("on grid");
        assert!((lat - 53.54).abs() < 0.01 && (lon + 2.10).abs() < 0.01, "{lat} {lon}");
    }

    #[test]
    fn postcodes_are_normalised_or_refused() {
        assert_eq!(normalise_postcode("ol11aa").as_deref(), Some("OL1 1AA"));
        assert_eq!(normalise_postcode(" OL1   1AA ").as_deref(), Some("OL1 1AA"));
        assert_eq!(normalise_postcode("SW1A 1AA").as_deref(), Some("SW1A 1AA"));
        assert_eq!(normalise_postcode("OL1"), None);
        assert_eq!(normalise_postcode("OL1 AAA"), None);
        assert_eq!(normalise_postcode("12345"), None);
    }

    #[test]
    fn off_grid_points_have_no_position() {
        let c = GridConverter::new();
        assert_eq!(c.to_wgs84(-1.0, 100.0), None);
        assert_eq!(c.to_wgs84(100.0, 9_999_999.0), None);
    }

    #[test]
    fn a_damaged_row_names_its_line_and_column() {
        let data = "pcd,laua,oseast1m,osnrth1m\nOL1 1AA,E08000004,393482.0,404988.0\nOL1 1UT,E08000004,abc,405087.0\n";
        let e = read_postcodes(data.as_bytes(), "x.csv").expect_err("refused");
        assert!(e.to_string().contains("line 3: column oseast1m: 'abc' is not a number"), "{e}");
        let e = read_postcodes("a,b\n1,2\n".as_bytes(), "y.csv").expect_err("refused");
        assert!(e.to_string().contains("needs the columns pcd, oseast1m and osnrth1m"), "{e}");
        let e = read_postcodes("pcd,oseast1m,osnrth1m\n".as_bytes(), "z.csv").expect_err("refused");
        assert!(e.to_string().contains("is empty"), "{e}");
    }
}
