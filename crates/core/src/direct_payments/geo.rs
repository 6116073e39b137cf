//! Distances between postcode districts (outward codes) from their centroids, for PA matching.
//!
//! The centroids are ONS National Statistics Postcode Directory (Nov 2025) data committed in
//! `fixtures/geography/` (see its README for the attribution: Contains OS data © Crown copyright
//! and database right; Contains Royal Mail data © Royal Mail copyright and database right;
//! Source: Office for National Statistics licensed under OGL v3.0). Eastings and northings are
//! British National Grid metres, so distance is plain Euclidean. Northern Ireland (BT) districts
//! use another grid and are left out.

use std::collections::HashMap;
use std::sync::OnceLock;

const CSV: &str = include_str!("../../../../fixtures/geography/outcode_centroids_osgb_nspd_nov2025.csv");

fn table() -> &'static HashMap<String, (i64, i64)> {
    static T: OnceLock<HashMap<String, (i64, i64)>> = OnceLock::new();
    T.get_or_init(|| {
        CSV.lines()
            .skip(1)
            .filter_map(|l| {
                let mut it = l.split(',');
                let code = it.next()?;
                if code.starts_with("BT") {
                    return None;
                }
                let _total = it.next()?;
                let _with = it.next()?;
                let e = it.next()?.trim().parse::<f64>().ok()?;
                let n = it.next()?.trim().parse::<f64>().ok()?;
                Some((code.to_string(), (e.round() as i64, n.round() as i64)))
            })
            .collect()
    })
}

/// An outward code in canonical form ("ol1" → "OL1"), if it is one we know.
pub fn known_outward(code: &str) -> Option<String> {
    let c = code.trim().to_uppercase();
    table().contains_key(&c).then_some(c)
}

/// Metres between the centroids of two districts, or `None` if either is unknown.
pub fn distance_m(a: &str, b: &str) -> Option<i64> {
    let t = table();
    let (ea, na) = t.get(&a.trim().to_uppercase())?;
    let (eb, nb) = t.get(&b.trim().to_uppercase())?;
    let (de, dn) = ((ea - eb) as f64, (na - nb) as f64);
    Some((de * de + dn * dn).sqrt().round() as i64)
}

/// How many districts the fixture holds (3,125 less the BT ones and those without a grid
/// reference).
pub fn district_count() -> usize {
    table().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldham_districts_are_close_and_far_ones_far() {
        assert_eq!(distance_m("OL1", "OL1"), Some(0));
        let ol1_ol8 = distance_m("OL1", "ol8").expect("known");
        assert!(ol1_ol8 > 500 && ol1_ol8 < 6_000, "{ol1_ol8}");
        let ol1_ab10 = distance_m("OL1", "AB10").expect("known");
        assert!(ol1_ab10 > 350_000, "{ol1_ab10}");
        assert_eq!(distance_m("OL1", "ZZ99"), None);
        assert_eq!(distance_m("OL1", "BT1"), None);
        assert_eq!(known_outward(" m35 "), Some("M35".into()));
        assert!(district_count() > 2_900);
    }
}
