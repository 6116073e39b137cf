//! A deterministic, realistic file in the 45-column adult social care locations export layout,
//! for the 50,000-location import benchmark and for tests.
//!
//! The header is the real one (as in `Locations-head.csv`); values follow the real sample's mix:
//! about half care homes, half community services; a quarter not yet rated; "Requires
//! improvement" in both capitalisations; the export's own date forms (`2025-01-02` for the start
//! date, `1/2/2025 12:00:00 AM` month first for the publication dates); a few names with stray
//! spaces. Locations, people and organisations are invented; local authorities and regions are
//! real.

use caremarket_core::Date;
use std::io::{self, Write};

/// The 45 columns of CQC's adult social care locations export, in order.
pub const LOCATIONS_EXPORT_HEADER: [&str; 45] = [
    "Location Name",
    "Location ID",
    "Comments within last month / comments last recorded",
    "Registered manager",
    "Location UPRN",
    "Location telephone number",
    "Location Web Address",
    "Location Local Authority",
    "Location ADASS Region",
    "Primary inspection category",
    "Service Types",
    "Care homes beds",
    "Location HSCA start date",
    "Location HSCA end date",
    "Dormant",
    "Location Latest Overall Rating",
    "Publication Date",
    "Service users supported",
    "Size of care home (bands by number of beds)",
    "Location length of service (bands by number of years)",
    "Location safe rating",
    "Location effective rating",
    "Location caring rating",
    "Location responsive rating",
    "Location well-led rating",
    "Provider Name",
    "Provider ID",
    "Provider HSCA start date",
    "Provider length of service (bands by number of years)",
    "Provider Ownership Type",
    "Provider Companies House Number",
    "Provider characteristic - number of locations",
    "Provider characteristic - national group size (based on locations)",
    "Provider characteristic - number of beds",
    "Provider characteristic - share of beds (nationally)",
    "Provider characteristic - number of local authority areas where it has locations",
    "Provider characteristic - % of local authority areas where it has locations",
    "Brand Name",
    "Brand ID",
    "Brand characteristic - number of locations",
    "Brand characteristic -national group size (based on locations)",
    "Brand characteristic - number of beds",
    "Brand characteristic - share of beds (nationally)",
    "Brand characteristic - % of local authority areas where it has locations",
    "Brand characteristic - number of local authority areas where it has locations",
];

/// splitmix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Pick by weight (weights need not sum to 100).
    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut roll = self.below(total);
        for (item, w) in items {
            if roll < u64::from(*w) {
                return item;
            }
            roll -= u64::from(*w);
        }
        &items[items.len() - 1].0
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const AUTHORITIES: [(&str, &str); 24] = [
    ("Essex", "East (ADASS Region)"),
    ("Hertfordshire", "East (ADASS Region)"),
    ("Norfolk", "East (ADASS Region)"),
    ("Hampshire", "South East (ADASS Region)"),
    ("Kent", "South East (ADASS Region)"),
    ("Surrey", "South East (ADASS Region)"),
    ("Birmingham", "West Midlands (ADASS Region)"),
    ("Staffordshire", "West Midlands (ADASS Region)"),
    ("Lancashire", "North West (ADASS Region)"),
    ("Oldham", "North West (ADASS Region)"),
    ("Manchester", "North West (ADASS Region)"),
    ("Liverpool", "North West (ADASS Region)"),
    ("Leeds", "Yorkshire and Humber (ADASS Region)"),
    ("Sheffield", "Yorkshire and Humber (ADASS Region)"),
    ("Kirklees", "Yorkshire and Humber (ADASS Region)"),
    ("Leicester", "East Midlands (ADASS Region)"),
    ("Nottinghamshire", "East Midlands (ADASS Region)"),
    ("Stockton-on-Tees", "North East (ADASS Region)"),
    ("Newcastle upon Tyne", "North East (ADASS Region)"),
    ("Devon", "South West (ADASS Region)"),
    ("Dorset", "South West (ADASS Region)"),
    ("Croydon", "Greater London (ADASS Region)"),
    ("Barnet", "Greater London (ADASS Region)"),
    ("Southwark", "Greater London (ADASS Region)"),
];

const FIRST: [&str; 24] = [
    "Oak", "Willow", "Beech", "Rowan", "Elm", "Ash", "Cedar", "Maple", "Hazel", "Holly", "Ivy", "Laurel", "Meadow", "Brook", "Park",
    "Abbey", "Church", "Heath", "Moor", "Ridge", "Vale", "Orchard", "Rose", "Primrose",
];

const HOME_SUFFIX: [&str; 8] = ["House", "Lodge", "Court", "Manor", "Grange", "View", "Gardens", "Hall"];

const AGENCY_SUFFIX: [&str; 6] = ["Homecare", "Care Services", "Support", "Care at Home", "Healthcare", "Community Care"];

const SURNAMES: [&str; 12] =
    ["Smith", "Jones", "Patel", "Khan", "Williams", "Brown", "Taylor", "Ahmed", "Wilson", "Evans", "Okafor", "Nowak"];

const FORENAMES: [&str; 12] =
    ["Sarah", "Mohammed", "Emma", "David", "Aisha", "James", "Grace", "Daniel", "Priya", "Helen", "Tomasz", "Ngozi"];

const CARE_HOME_BANDS: [&str; 6] = [
    "Caring for adults over 65 yrs",
    "Dementia",
    "Physical disabilities",
    "Sensory impairment",
    "Mental health conditions",
    "Caring for adults under 65 yrs",
];

const COMMUNITY_BANDS: [&str; 7] = [
    "Caring for adults under 65 yrs",
    "Caring for adults over 65 yrs",
    "Dementia",
    "Learning Disabilities or autistic spectrum disorder",
    "Mental health conditions",
    "Physical disabilities",
    "Sensory impairment",
];

#[derive(Clone, Copy)]
enum Kind {
    Residential,
    Nursing,
    Domiciliary,
    DomiciliaryAndSupportedLiving,
    SupportedLiving,
    ExtraCare,
}

const KINDS: [(Kind, u32); 6] = [
    (Kind::Residential, 40),
    (Kind::Nursing, 8),
    (Kind::Domiciliary, 33),
    (Kind::DomiciliaryAndSupportedLiving, 11),
    (Kind::SupportedLiving, 4),
    (Kind::ExtraCare, 1),
];

const OVERALL: [(&str, u32); 6] = [
    ("Good", 625),
    ("Requires improvement", 66),
    ("Requires Improvement", 29),
    ("Outstanding", 21),
    ("Inadequate", 6),
    ("Inspected but not rated", 1),
];

fn days_after(base: Date, days: u64) -> Date {
    let span = jiff::Span::new().days(i64::try_from(days).unwrap_or(0));
    base.checked_add(span).unwrap_or(base)
}

fn us_date(d: Date) -> String {
    format!("{}/{}/{} 12:00:00 AM", d.month(), d.day(), d.year())
}

fn years_band(start: Date, as_at: Date) -> &'static str {
    let years = (as_at.year() - start.year()) as i32;
    match years {
        i32::MIN..=0 => "",
        1..=2 => "More than 1 year but less than 3 years",
        3..=4 => "More than 3 years but less than 5 years",
        5..=7 => "More than 5 years but less than 8 years",
        _ => "More than 8 years",
    }
}

fn beds_band(beds: u64) -> &'static str {
    match beds {
        0 => "",
        1..=9 => "1-9 beds",
        10..=24 => "10-24 beds",
        25..=39 => "25-39 beds",
        40..=60 => "40-60 beds",
        _ => "61 beds and over",
    }
}

fn write_field<W: Write>(w: &mut W, value: &str, last: bool) -> io::Result<()> {
    w.write_all(b"\"")?;
    w.write_all(value.replace('"', "\"\"").as_bytes())?;
    w.write_all(if last { b"\"\n" } else { b"\"," })
}

/// Write an `n`-row file in the 45-column export layout. The same `seed` gives the same bytes.
pub fn write_locations_export_csv<W: Write>(w: &mut W, n: usize, seed: u64) -> io::Result<()> {
    for (i, h) in LOCATIONS_EXPORT_HEADER.iter().enumerate() {
        write_field(w, h, i + 1 == LOCATIONS_EXPORT_HEADER.len())?;
    }
    let mut rng = Rng(seed ^ 0x00C0_FFEE);
    let hsca_start = Date::constant(2010, 10, 1);
    let as_at = Date::constant(2025, 8, 1);
    let span_days = 5_400; // to mid-2025
    for i in 0..n {
        let kind = *rng.weighted(&KINDS);
        let care_home = matches!(kind, Kind::Residential | Kind::Nursing);
        let (la, region) = *rng.pick(&AUTHORITIES);
        let first = *rng.pick(&FIRST);
        let mut name =
            if care_home { format!("{first} {}", rng.pick(&HOME_SUFFIX)) } else { format!("{first} {} {}", rng.pick(&AGENCY_SUFFIX), la) };
        // The real export has names with stray spaces.
        if rng.chance(1) {
            name.insert(0, ' ');
        } else if rng.chance(1) {
            name = name.replacen(' ', "  ", 1);
        }
        let location_id = format!("1-{}", 1_000_000_000u64 + (i as u64) * 37 + seed % 37);
        let provider_index = (i / 3) as u64;
        let provider_first = FIRST[((provider_index.wrapping_mul(7) ^ seed) % FIRST.len() as u64) as usize];
        let provider_name = format!("{provider_first} Care Group Ltd");
        let provider_id = format!("1-{}", 100_000_000u64 + provider_index * 53 + seed % 53);
        let manager = if rng.chance(87) {
            format!("{}, {}, {}", rng.pick(&SURNAMES), rng.pick(&FORENAMES), rng.pick(&["Mrs", "Mr", "Ms", "Miss"]))
        } else {
            String::new()
        };
        let uprn = if rng.chance(93) { format!("{}", 10_000_000_000u64 + rng.below(90_000_000_000)) } else { String::new() };
        let phone = format!("0{}", 1_000_000_000u64 + rng.below(8_999_999_999));
        let web = if rng.chance(40) { format!("www.{}.co.uk", first.to_ascii_lowercase()) } else { String::new() };
        let (category, service_types) = match kind {
            Kind::Residential => ("Residential social care", "Care home service without nursing"),
            Kind::Nursing => ("Residential social care", "Care home service with nursing"),
            Kind::Domiciliary => ("Community based adult social care services", "Domiciliary care service"),
            Kind::DomiciliaryAndSupportedLiving => {
                ("Community based adult social care services", "Domiciliary care service, Supported living service")
            }
            Kind::SupportedLiving => ("Community based adult social care services", "Supported living service"),
            Kind::ExtraCare => ("Community based adult social care services", "Extra Care housing services"),
        };
        let beds = match kind {
            Kind::Residential => 3 + rng.below(60),
            Kind::Nursing => 20 + rng.below(100),
            _ => 0,
        };
        let start = days_after(hsca_start, rng.below(span_days));
        let dormant = if rng.chance(5) { "Y" } else { "N" };
        let rated = rng.chance(75);
        let (overall, publication, kq): (&str, Date, [&str; 5]) = if rated {
            let overall = *rng.weighted(&OVERALL);
            let published = days_after(start, 120 + rng.below(1_500)).min(as_at);
            let mut kq = [overall; 5];
            for r in kq.iter_mut() {
                if rng.chance(15) {
                    *r = *rng.weighted(&OVERALL);
                }
            }
            (overall, published, kq)
        } else {
            ("", start, [""; 5])
        };
        let bands_source: &[&str] = if care_home { &CARE_HOME_BANDS } else { &COMMUNITY_BANDS };
        let mut bands: Vec<&str> = bands_source.iter().copied().filter(|_| rng.chance(45)).collect();
        if bands.is_empty() {
            bands.push(bands_source[0]);
        }
        let provider_start = days_after(hsca_start, rng.below(span_days)).min(start);
        let provider_years = (as_at.year() - provider_start.year()).max(0).to_string();

        let fields: [String; 45] = [
            name,
            location_id,
            String::new(),
            manager,
            uprn,
            phone,
            web,
            la.to_string(),
            region.to_string(),
            category.to_string(),
            service_types.to_string(),
            beds.to_string(),
            start.to_string(),
            String::new(),
            dormant.to_string(),
            overall.to_string(),
            us_date(publication),
            bands.join(", "),
            beds_band(beds).to_string(),
            years_band(start, as_at).to_string(),
            kq[0].to_string(),
            kq[1].to_string(),
            kq[2].to_string(),
            kq[3].to_string(),
            kq[4].to_string(),
            provider_name,
            provider_id,
            us_date(provider_start),
            provider_years,
            "Organisation".to_string(),
            format!("{:08}", 1_000_000 + provider_index),
            "3".to_string(),
            "2 - 5 locations".to_string(),
            (beds * 3).to_string(),
            "0".to_string(),
            "1".to_string(),
            "1.00%".to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            "0".to_string(),
            String::new(),
            String::new(),
        ];
        for (j, f) in fields.iter().enumerate() {
            write_field(w, f, j + 1 == fields.len())?;
        }
    }
    Ok(())
}

/// An `n`-row file in the 45-column export layout, as a string. Deterministic in `seed`.
pub fn generate_locations_export_csv(n: usize, seed: u64) -> String {
    let mut out = Vec::with_capacity(n * 700 + 2_000);
    // Writing to a Vec cannot fail.
    let _ = write_locations_export_csv(&mut out, n, seed);
    String::from_utf8(out).unwrap_or_default()
}
