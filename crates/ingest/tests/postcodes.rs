//! The ONS postcode directory excerpt (fixtures/geography) read as `caremarket import postcodes`
//! reads it: counts checked against the file itself, positions on the WGS84 map.

use caremarket_ingest::geography::read_postcode_file;
use std::path::Path;

#[test]
fn the_nspd_excerpt_gives_wgs84_positions_and_skips_northern_ireland() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/geography/postcodes-oldham-excerpt.csv");
    let text = std::fs::read_to_string(&path).expect("fixture");
    let rows: Vec<&str> = text.lines().skip(1).filter(|l| !l.trim().is_empty()).collect();
    let belfast = rows.iter().filter(|l| l.starts_with("BT")).count();

    let file = read_postcode_file(&path).expect("read");
    assert_eq!(file.rows_read as usize, rows.len());
    assert_eq!(file.skipped_northern_ireland as usize, belfast);
    assert_eq!(file.points.len(), rows.len() - belfast);
    for p in &file.points {
        // Every Oldham postcode lies within Oldham's bounds (about 53.48-53.63 N, 1.91-2.21 W).
        assert!((53.48..53.63).contains(&p.latitude) && (-2.21..-1.91).contains(&p.longitude), "{p:?}");
        assert!(rows.iter().any(|r| r.starts_with(&format!("{},", p.postcode))), "{p:?}");
    }
}

#[test]
fn a_gzipped_file_reads_the_same() {
    use std::io::Write;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/geography/postcodes-oldham-excerpt.csv");
    let plain = read_postcode_file(&path).expect("plain");
    let gz_path = std::env::temp_dir().join(format!("caremarket-nspd-{}.csv.gz", std::process::id()));
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz_path).expect("create"), flate2::Compression::fast());
    enc.write_all(&std::fs::read(&path).expect("read")).expect("write");
    enc.finish().expect("finish");
    let gz = read_postcode_file(&gz_path).expect("gz");
    let _ = std::fs::remove_file(&gz_path);
    assert_eq!(gz.points, plain.points);
}
