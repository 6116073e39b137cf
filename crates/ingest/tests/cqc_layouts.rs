//! Each CQC layout parses to the expected locations, with real values checked.

use crate::common;

use caremarket_core::register::{Rating, RegistrationStatus, ServiceKind, Specialism};
use caremarket_ingest::CqcFormat;
use common::{date, find, fixture, parse};

#[test]
fn locations_export_45() {
    let out = parse("locations-export-45.csv");
    assert_eq!(out.format, CqcFormat::LocationsExport45);
    assert!(out.is_complete_register);
    assert_eq!((out.rows_read, out.records.len(), out.rejections.len()), (30, 30, 0), "{:?}", out.rejection_messages());

    // A leading space and a doubled space in names are tidied.
    let ability = find(&out, "1-21268168552");
    assert_eq!(ability.name, "AbilityAvenue Care");
    assert_eq!(find(&out, "1-23893489694").name, "247 Somerset Care Services Ltd");
    assert_eq!(ability.provider_name.as_deref(), Some("AbilityAvenue Care Ltd"));
    assert_eq!(ability.provider_id.as_deref(), Some("1-18392978582"));
    assert_eq!(ability.phone.as_deref(), Some("07999902195"));
    assert_eq!(ability.registration_date, date(2025, 1, 2));
    assert_eq!(ability.rating, None);
    assert_eq!(ability.care_home, Some(false));
    assert_eq!(ability.beds, None);
    assert_eq!(ability.kind(), ServiceKind::SupportedLiving);
    assert_eq!(ability.postcode, None, "the 45-column export has no address");
    assert!(ability.specialisms.contains(&Specialism::LearningDisabilities));
    assert!(ability.specialisms.contains(&Specialism::Autism));

    // A nursing home rated "Requires Improvement" (capital I, as CQC writes it at times).
    let abbot = find(&out, "1-2791347320");
    assert_eq!(abbot.name, "Abbot Care Home");
    assert_eq!(abbot.beds, Some(117));
    assert_eq!(abbot.care_home, Some(true));
    assert_eq!(abbot.kind(), ServiceKind::CareHomeNursing);
    assert_eq!(abbot.local_authority.as_deref(), Some("Essex"));
    assert_eq!(abbot.provider_name.as_deref(), Some("Abbot Care Centre Limited"));
    let rating = abbot.rating.clone().unwrap_or_default();
    assert_eq!(rating.overall, Some(Rating::RequiresImprovement));
    assert_eq!(rating.safe, Some(Rating::RequiresImprovement));
    assert_eq!(rating.caring, Some(Rating::Good));
    assert_eq!(rating.well_led, Some(Rating::RequiresImprovement));
    // "Publication Date" in this export is the registration date: not used as the report date.
    assert_eq!(abbot.registration_date, date(2016, 7, 26));
    assert_eq!(rating.report_date, None);

    // An NHS trust's location id is its site code.
    let nhs = find(&out, "RX3LD");
    assert_eq!(nhs.provider_id.as_deref(), Some("RX3"));
    assert_eq!(nhs.beds, Some(5));

    let guardian = find(&out, "1-10882226473").rating.clone().unwrap_or_default();
    assert_eq!((guardian.overall, guardian.effective), (Some(Rating::Good), Some(Rating::NoPublishedRating)));
    let access = find(&out, "1-3081023799").rating.clone().unwrap_or_default();
    assert_eq!(access.overall, Some(Rating::InspectedButNotRated));
    assert_eq!(find(&out, "1-408272533").rating.as_ref().and_then(|r| r.overall), Some(Rating::Inadequate));
}

#[test]
fn directory_18() {
    let out = parse("directory-18.csv");
    assert_eq!(out.format, CqcFormat::Directory18);
    assert!(out.is_complete_register);
    // Provider rows (no location id, a /provider/ page) are provider names, not rejections; the
    // one rejection is the real duplicate 1-19666812212.
    let text = std::fs::read_to_string(fixture("directory-18.csv")).expect("fixture");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let provider_rows: Vec<(String, String)> = reader
        .records()
        .map(|r| r.expect("row"))
        .filter(|r| r[8].trim().is_empty() && r[13].contains("/provider/"))
        .map(|r| (r[7].trim().to_string(), r[0].trim().to_string()))
        .collect();
    assert_eq!(provider_rows.len(), 4);
    assert_eq!((out.rows_read, out.records.len(), out.rejections.len()), (30, 30 - 4 - 1, 1), "{:?}", out.rejection_messages());
    assert!(out.rejections[0].reason.contains("1-19666812212"), "{:?}", out.rejections);
    let read: Vec<(String, String)> = out.providers.iter().map(|p| (p.provider_id.clone(), p.name.clone())).collect();
    assert_eq!(read, provider_rows);

    let asp = find(&out, "1-22940471514");
    assert_eq!(asp.name, "ASP Healthcare Services Ltd");
    assert_eq!(asp.postcode.as_deref(), Some("GL2 0XE"));
    assert_eq!(asp.address_line.as_deref(), Some("5 Tainmor Close, Longlevens"));
    assert_eq!(asp.town.as_deref(), Some("Gloucester"));
    assert_eq!(asp.phone.as_deref(), Some("01452471471"));
    assert_eq!(asp.service_types, vec!["Homecare agencies"]);
    assert_eq!(asp.kind(), ServiceKind::HomeCare);
    assert_eq!(asp.specialisms, vec![Specialism::SensoryImpairment, Specialism::Dementia, Specialism::PhysicalDisability]);
    assert_eq!(asp.registration_status, RegistrationStatus::Registered);

    let courtyard = find(&out, "1-2310061252");
    assert_eq!(courtyard.last_inspection_date, date(2023, 5, 3));
    assert_eq!(courtyard.postcode.as_deref(), Some("BL1 8PB"));
    // NHS site codes as location ids.
    find(&out, "RX601");
    find(&out, "TADHQ");

    // The real file lists 1-19666812212 twice: the first is kept.
    let dup = out.rejections.iter().find(|r| r.location_id.as_deref() == Some("1-19666812212"));
    assert_eq!(dup.map(|r| (r.row, r.reason.contains("already on row 30"))), Some((31, true)));
    assert_eq!(out.records.iter().filter(|r| r.location_id == "1-19666812212").count(), 1);
}

#[test]
fn directory_15_with_preamble_and_multiline_addresses() {
    let out = parse("directory-15.csv");
    assert_eq!(out.format, CqcFormat::Directory15);
    assert!(out.is_complete_register);
    assert_eq!((out.rows_read, out.records.len(), out.rejections.len()), (28, 27, 1));
    // Preamble rows 1-4, header row 5: the duplicate is on row 31, its first on row 30.
    assert_eq!(out.rejections[0].row, 31);
    assert!(out.rejections[0].reason.contains("already on row 30"), "{}", out.rejections[0].reason);

    // A multi-line address: the last line is the town.
    let asp = find(&out, "1-22940471514");
    assert_eq!(asp.address_line.as_deref(), Some("5 Tainmor Close, Longlevens"));
    assert_eq!(asp.town.as_deref(), Some("Gloucester"));
    assert_eq!(asp.postcode.as_deref(), Some("GL2 0XE"));

    // Rows as captured from CQC's real September 2026 file.
    let dental = find(&out, "1-10552899555");
    assert_eq!(dental.name, "Square Mile Dental Centre");
    assert_eq!(dental.address_line.as_deref(), Some("7-9 White Kennet Street"));
    assert_eq!(dental.town.as_deref(), Some("London"));
    assert_eq!(dental.postcode.as_deref(), Some("E1 7BS"));
    assert_eq!(dental.phone.as_deref(), Some("02073770990"), "the leading zero CQC's file lost is restored");
    assert_eq!(dental.last_inspection_date, date(2018, 1, 9));
    assert_eq!(dental.provider_id.as_deref(), Some("1-10006912129"));
    let mansfield = find(&out, "1-10553191017");
    assert_eq!(mansfield.service_types, vec!["Homecare agencies"]);
    assert_eq!(
        mansfield.specialisms,
        vec![Specialism::YoungerAdults, Specialism::Dementia, Specialism::OlderPeople, Specialism::PhysicalDisability]
    );
    assert_eq!(mansfield.town.as_deref(), Some("Mansfield"));
    assert_eq!(mansfield.last_inspection_date, date(2022, 5, 19));
    assert_eq!(mansfield.provider_name.as_deref(), Some("Midshires Care Limited"));
}

#[test]
fn hsca_active_locations_ods() {
    let out = parse("hsca-active-locations.ods");
    assert_eq!(out.format, CqcFormat::HscaActiveLocations);
    assert!(out.is_complete_register);
    assert_eq!((out.rows_read, out.records.len(), out.rejections.len()), (30, 30, 0), "{:?}", out.rejection_messages());

    let abbot = find(&out, "1-2791347320");
    assert_eq!(abbot.care_home, Some(true));
    assert_eq!(abbot.beds, Some(117));
    assert_eq!(abbot.service_types, vec!["Care home service with nursing"]);
    assert_eq!(abbot.kind(), ServiceKind::CareHomeNursing);
    assert!(abbot.regulated_activities.iter().any(|a| a == "Accommodation for persons who require nursing or personal care"));
    assert_eq!(abbot.rating.as_ref().and_then(|r| r.overall), Some(Rating::RequiresImprovement));
    assert_eq!(abbot.registration_date, date(2016, 7, 26));

    let wolverton = find(&out, "1-121963720");
    assert_eq!(wolverton.postcode.as_deref(), Some("RH6 7LX"));
    assert_eq!(wolverton.region.as_deref(), Some("South East"));
    let rating = wolverton.rating.clone().unwrap_or_default();
    assert_eq!((rating.overall, rating.report_date), (Some(Rating::Good), date(2020, 2, 11)));
    assert_eq!(wolverton.specialisms, vec![Specialism::LearningDisabilities, Specialism::Autism, Specialism::OlderPeople]);
    assert_eq!(find(&out, "1-21268168552").kind(), ServiceKind::SupportedLiving);
}

#[test]
fn hsca_split_over_two_sheets_is_joined_by_location_id() {
    let whole = parse("hsca-active-locations.ods");
    let split = parse("hsca-active-locations-split.ods");
    assert_eq!(split.format, CqcFormat::HscaActiveLocations);
    assert_eq!(split.rows_read, 60);
    assert!(split.rejections.is_empty(), "{:?}", split.rejection_messages());
    assert_eq!(split.records, whole.records);
}

#[test]
fn latest_ratings_pivoted() {
    for name in ["latest-ratings.ods", "latest-ratings.csv"] {
        let out = parse(name);
        assert_eq!(out.format, CqcFormat::LatestRatings);
        assert!(!out.is_complete_register, "unrated locations are not in Latest_ratings");
        assert_eq!((out.rows_read, out.records.len(), out.rejections.len()), (67, 11, 0), "{name}");

        let park = find(&out, "1-113831768");
        assert_eq!(park.name, "Park Hills Nursing Home");
        assert_eq!(park.postcode.as_deref(), Some("OL8 4DJ"));
        assert_eq!(park.care_home, Some(true));
        assert_eq!(park.provider_id.as_deref(), Some("1-101633224"));
        let rating = park.rating.clone().unwrap_or_default();
        assert_eq!(rating.overall, Some(Rating::Good));
        assert_eq!(rating.caring, Some(Rating::Good));
        assert_eq!(rating.report_date, date(2022, 8, 26), "the Overall row's date");

        let dental = find(&out, "1-10431632309").rating.clone().unwrap_or_default();
        assert_eq!((dental.overall, dental.safe), (Some(Rating::InspectedButNotRated), Some(Rating::NoPublishedRating)));
        // A service-level row ("diagnostics") is not a location rating.
        let sonography = find(&out, "1-12287951775").rating.clone().unwrap_or_default();
        assert_eq!(sonography.overall, Some(Rating::Good));
    }
}

#[test]
fn api_folder() {
    let out = parse("api");
    assert_eq!(out.format, CqcFormat::ApiLocationJson);
    assert!(!out.is_complete_register);
    // Documents that are not social care locations are skipped (counted with the reason).
    let social_care = std::fs::read_dir(fixture("api"))
        .expect("fixture folder")
        .map(|e| serde_json::from_slice::<serde_json::Value>(&std::fs::read(e.expect("entry").path()).expect("read")).expect("json"))
        .filter(|d| d["type"] == "Social Care Org")
        .count();
    assert_eq!((out.rows_read, out.records.len(), out.rejections.len()), (20, social_care, 0), "{:?}", out.rejection_messages());
    assert_eq!(out.skipped.len(), 20 - social_care);

    let park = find(&out, "1-113831768");
    assert_eq!(park.registration_status, RegistrationStatus::Deregistered);
    assert_eq!(park.deregistration_date, date(2024, 2, 1));
    assert_eq!(park.beds, Some(17));
    assert_eq!(park.postcode.as_deref(), Some("OL8 4DJ"));
    assert_eq!(park.address_line.as_deref(), Some("199 Chamber Road, Coppice"));
    assert_eq!(park.kind(), ServiceKind::CareHomeNursing);
    let rating = park.rating.clone().unwrap_or_default();
    assert_eq!((rating.overall, rating.report_date), (Some(Rating::Good), date(2022, 8, 26)));
    let history: Vec<_> = park.rating_history.iter().map(|h| (h.report_date, h.overall)).collect();
    assert_eq!(
        history,
        vec![
            (date(2016, 4, 22), Some(Rating::Good)),
            (date(2018, 8, 11), Some(Rating::Good)),
            (date(2020, 10, 13), Some(Rating::InspectedButNotRated)),
        ],
        "oldest first"
    );
    assert_eq!(park.last_inspection_date, date(2022, 8, 2));
    assert_eq!(park.relationships.len(), 1);
    assert_eq!(park.relationships[0].kind, "HSCA Successor");
    assert_eq!(park.relationships[0].location_id, "1-18437805065");
    assert_eq!(find(&out, "1-18437805065").relationships[0].kind, "HSCA Predecessor");
    assert_eq!(find(&out, "1-2034328584").relationships.len(), 2);

    let coppice = find(&out, "1-115962630");
    assert_eq!(coppice.rating.as_ref().and_then(|r| r.overall), Some(Rating::NoPublishedRating));
    assert_eq!(coppice.registration_status, RegistrationStatus::Deregistered);
    // A dentist, an independent clinic and an NHS site are not social care: skipped, with why.
    let skipped = |id: &str| out.skipped.iter().find(|s| s.location_id.as_deref() == Some(id)).map(|s| s.reason.clone());
    assert_eq!(
        skipped("1-11045232435").as_deref(),
        Some("location_1-11045232435.json: not a social care location (CQC type 'Primary Dental Care')")
    );
    assert!(skipped("1-4804318345").is_some_and(|r| r.contains("'Independent Healthcare Org'")));
    assert!(skipped("RT2F3").is_some_and(|r| r.contains("'NHS Healthcare Organisation'")));
    assert!(skipped("1-16561595022").is_some());
    let never = find(&out, "1-10024040008");
    assert_eq!((never.rating.clone(), never.registration_status), (None, RegistrationStatus::Registered));

    // The single assessment framework block: the newer rating is current, the old one history.
    let treetops = find(&out, "1-5203053560");
    let rating = treetops.rating.clone().unwrap_or_default();
    assert_eq!((rating.overall, rating.report_date), (Some(Rating::Good), date(2024, 9, 17)));
    assert_eq!(treetops.rating_history.last().map(|h| h.report_date), Some(date(2020, 12, 18)));
    assert_eq!(treetops.last_inspection_date, date(2024, 7, 15));
}

#[test]
fn api_array_file_keeps_the_first_of_a_repeated_document() {
    let out = parse("api-array.json");
    assert_eq!((out.rows_read, out.records.len()), (3, 2));
    assert_eq!(out.rejections.len(), 1);
    assert_eq!(out.rejections[0].row, 3);
    assert_eq!(
        out.rejection_messages()[0],
        "document 3: 'locationId' 1-117886088 is repeated: it is already document 1 (that one is kept)"
    );
    let elizabeth = find(&out, "1-117886088");
    assert_eq!(elizabeth.rating.as_ref().and_then(|r| r.overall), Some(Rating::RequiresImprovement));
    assert_eq!(elizabeth.beds, Some(30));
}
