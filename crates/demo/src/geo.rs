//! Where the fictional council is. Northmoor borrows the real postcode districts of Oldham
//! (OL1, OL2, OL3, OL4, OL8, OL9, OL16 and M35) so that distance features work on real
//! geography, but every full postcode is made up: the inward code is a digit followed by "ZZ"
//! ("OL1 9ZZ"), a unit chosen to look fictional. Town and street names are invented too.
//! Out-of-area services use real districts of neighbouring councils in the same way.

use crate::names::pick;
use rand::Rng;
use rand::rngs::StdRng;

pub const COUNCIL_NAME: &str = "Northmoor Borough Council";
pub const LOCAL_AUTHORITY: &str = "Northmoor";
pub const REGION: &str = "North West";

/// The council's five areas and their postcode districts.
pub const AREAS: [(&str, &[&str]); 5] =
    [("Central", &["OL1", "OL8"]), ("North", &["OL2", "OL16"]), ("East", &["OL3", "OL4"]), ("West", &["OL9"]), ("South", &["M35"])];

/// A postcode district with its (fictional, for Northmoor) locality and a weight for how
/// much of the market sits there.
#[derive(Debug, Clone, Copy)]
pub struct District {
    pub outward: &'static str,
    pub town: &'static str,
    pub local_authority: &'static str,
    pub region: &'static str,
    pub weight: u32,
}

impl Default for District {
    fn default() -> Self {
        IN_AREA[0]
    }
}

const fn d(outward: &'static str, town: &'static str, local_authority: &'static str, region: &'static str, weight: u32) -> District {
    District { outward, town, local_authority, region, weight }
}

pub const IN_AREA: [District; 8] = [
    d("OL1", "Northmoor", LOCAL_AUTHORITY, REGION, 20),
    d("OL8", "Kestrel Hey", LOCAL_AUTHORITY, REGION, 14),
    d("OL2", "Scarbrook", LOCAL_AUTHORITY, REGION, 11),
    d("OL16", "Whinfell", LOCAL_AUTHORITY, REGION, 9),
    d("OL3", "Greyfield", LOCAL_AUTHORITY, REGION, 8),
    d("OL4", "Hollowmoor", LOCAL_AUTHORITY, REGION, 14),
    d("OL9", "Chadbeck", LOCAL_AUTHORITY, REGION, 14),
    d("M35", "Failsmere", LOCAL_AUTHORITY, REGION, 10),
];

/// Neighbouring councils where Northmoor places people out of area.
pub const OUT_OF_AREA: [District; 10] = [
    d("OL11", "Rochdale", "Rochdale", REGION, 3),
    d("OL12", "Rochdale", "Rochdale", REGION, 2),
    d("OL6", "Ashton-under-Lyne", "Tameside", REGION, 3),
    d("OL7", "Ashton-under-Lyne", "Tameside", REGION, 2),
    d("M8", "Manchester", "Manchester", REGION, 2),
    d("M9", "Manchester", "Manchester", REGION, 2),
    d("M40", "Manchester", "Manchester", REGION, 2),
    d("HD1", "Huddersfield", "Kirklees", "Yorkshire and The Humber", 2),
    d("HD3", "Huddersfield", "Kirklees", "Yorkshire and The Humber", 1),
    d("BL9", "Bury", "Bury", REGION, 1),
];

pub fn pick_district(rng: &mut StdRng, districts: &[District]) -> District {
    let total: u32 = districts.iter().map(|d| d.weight).sum();
    let mut n = rng.gen_range(0..total.max(1));
    for d in districts {
        if n < d.weight {
            return *d;
        }
        n -= d.weight;
    }
    pick(rng, districts)
}

/// A made-up full postcode in a real district: "OL1 9ZZ".
pub fn postcode(rng: &mut StdRng, district: &District) -> String {
    format!("{} {}ZZ", district.outward, rng.gen_range(0..10))
}

pub fn in_greater_manchester(district: &District) -> bool {
    district.region == REGION
}
