//! CQC changes to acknowledge (issue 16 item 13): the demo council has imported CQC's API
//! documents twice since its register was set up, through the same import a council runs. The
//! earlier import's changes (a few ratings moved, a new home care agency, a home that left the
//! register) have been acknowledged by the commissioner and a quality officer, with notes; the
//! latest import's (ratings that moved in the last month, two new services, a deregistration)
//! wait to be acknowledged.

use crate::DemoError;
use crate::geo::LOCAL_AUTHORITY;
use crate::plan::{Plan, PlannedService};
use caremarket_core::Date;
use caremarket_core::register::import_plan::Completeness;
use caremarket_core::register::{CqcLocation, CqcRatingSet, Rating, RegistrationStatus, ServiceKind};
use caremarket_store::import::ImportOptions;
use caremarket_store::register::CqcChangeFilter;
use caremarket_store::{Actor, Store};
use jiff::ToSpan;

/// A service's location as CQC's API would describe it now, from the plan.
fn location(plan: &Plan, s: &PlannedService) -> Option<CqcLocation> {
    let provider = plan.providers.get(s.provider)?;
    let mut l = CqcLocation::new(s.cqc_location_id.clone()?, s.name.clone());
    l.provider_id = Some(provider.cqc_provider_id.clone()?);
    l.provider_name = Some(provider.name.clone());
    l.address_line = Some(s.address_line.clone());
    l.town = Some(s.town.clone());
    l.postcode = Some(s.postcode.clone());
    l.local_authority = Some(s.local_authority.clone());
    l.region = Some(s.region.clone());
    l.phone = s.phone.clone();
    l.website = s.website.clone();
    l.registration_date = s.registration_date;
    l.care_home = Some(matches!(s.kind, ServiceKind::CareHomeResidential | ServiceKind::CareHomeNursing));
    l.beds = s.beds;
    l.service_types = s.service_types.clone();
    l.specialisms = s.specialisms.clone();
    let sets: Vec<CqcRatingSet> = s.ratings.iter().map(|r| rated(r.overall, r.report_date)).collect();
    l.last_inspection_date = s.ratings.iter().filter_map(|r| r.report_date).max();
    let (current, history) = sets.split_last()?;
    l.rating = Some(current.clone());
    l.rating_history = history.to_vec();
    (l.kind() == s.kind).then_some(l)
}

fn rated(overall: Rating, on: Option<Date>) -> CqcRatingSet {
    CqcRatingSet {
        overall: Some(overall),
        safe: Some(overall),
        effective: Some(overall),
        caring: Some(if overall == Rating::Inadequate { Rating::RequiresImprovement } else { Rating::Good }),
        responsive: Some(overall),
        well_led: Some(overall),
        report_date: on,
    }
}

/// A new report for a location: its current rating is pushed into the history.
fn reported(mut l: CqcLocation, overall: Rating, on: Date) -> CqcLocation {
    if let Some(current) = l.rating.take() {
        l.rating_history.push(current);
    }
    l.rating = Some(rated(overall, Some(on)));
    l.last_inspection_date = Some(on);
    l
}

/// The grade a report moves a service to: a fall for some, a rise for others.
fn moved(from: Rating, fall: bool) -> Rating {
    match (from, fall) {
        (Rating::Outstanding, _) => Rating::Good,
        (Rating::Good, true) => Rating::RequiresImprovement,
        (Rating::Good, false) => Rating::Outstanding,
        (Rating::RequiresImprovement, true) => Rating::Inadequate,
        (Rating::RequiresImprovement, false) | (Rating::Inadequate, _) => Rating::Good,
        (other, _) => other,
    }
}

/// A service newly registered in the area, at the address of an existing one nearby.
fn new_location(id: &str, name: &str, address: &str, like: &CqcLocation, registered: Date) -> CqcLocation {
    let mut l = like.clone();
    l.location_id = id.to_string();
    l.name = name.to_string();
    l.address_line = Some(address.to_string());
    l.registration_date = Some(registered);
    l.rating = None;
    l.rating_history = Vec::new();
    l.last_inspection_date = None;
    l.phone = None;
    l.website = None;
    l
}

fn options(file_name: &str) -> ImportOptions {
    ImportOptions {
        file_name: file_name.to_string(),
        format: "CQC API location documents".to_string(),
        council_local_authorities: vec![LOCAL_AUTHORITY.to_string()],
        completeness: Completeness::Partial,
        ..Default::default()
    }
}

/// Two imports of CQC's changes, the first acknowledged. `acknowledgers` are the commissioner's
/// and a quality officer's (user id, email). Returns how many services and ratings the imports
/// added to the register.
pub(crate) async fn generate_cqc_changes(
    store: &Store,
    plan: &Plan,
    today: Date,
    acknowledgers: &[(String, String)],
) -> Result<(usize, usize), DemoError> {
    // Registered, rated CQC services in the area that the rest of the demo left registered.
    let mut candidates: Vec<CqcLocation> = Vec::new();
    for s in plan
        .services
        .iter()
        .filter(|s| s.in_area && s.local_authority == LOCAL_AUTHORITY && s.registration_status == "registered" && s.profile.is_some())
    {
        let Some(l) = location(plan, s) else { continue };
        let Some(stored) = store.service_by_location_id(&l.location_id).await? else { continue };
        if stored.registration_status == "registered" && l.rating.as_ref().and_then(|r| r.overall).is_some_and(|r| r.is_grade()) {
            candidates.push(l);
        }
    }
    // Spread over the register, the same services for the same seed.
    let step = (candidates.len() / 14).max(1);
    let mut picked = candidates.into_iter().step_by(step);
    let mut next = || picked.next().ok_or_else(|| DemoError::Invalid("too few rated services for the CQC changes".into()));
    let grade = |l: &CqcLocation| l.rating.as_ref().and_then(|r| r.overall).unwrap_or(Rating::Good);
    let system = Actor::system("CQC API sync");

    // The earlier import, six weeks ago's reports: three ratings moved, a new home care agency,
    // a care home that left the register.
    let mut earlier = Vec::new();
    for (i, days) in [(0, 52), (1, 47), (2, 44)] {
        let l = next()?;
        let to = moved(grade(&l), i != 1);
        earlier.push(reported(l, to, today.checked_sub(days.days())?));
    }
    let like = next()?;
    let mut home_care =
        new_location("1-19990000101", "Brightwater Home Support (Northmoor)", "Suite 4, Mill House", &like, today.checked_sub(60.days())?);
    home_care.service_types = vec!["Homecare agencies".into()];
    home_care.care_home = Some(false);
    home_care.beds = None;
    earlier.push(home_care);
    let mut gone = next()?;
    gone.registration_status = RegistrationStatus::Deregistered;
    gone.deregistration_date = Some(today.checked_sub(40.days())?);
    earlier.push(gone);
    let first = store.import_cqc(&system, &options("CQC API changes, 6 weeks ago"), &earlier, Vec::new(), &mut |_, _| {}).await?;
    if acknowledgers.is_empty() {
        return Err(DemoError::Missing("a commissioner to acknowledge the CQC changes".into()));
    }
    let found = store.cqc_changes(&CqcChangeFilter::default()).await?;
    let notes = ["Discussed at the quality meeting; visit booked", "Noted: no placements affected", "Provider contacted"];
    for (n, chunk) in found.chunks(2).enumerate() {
        let (id, email) = &acknowledgers[n % acknowledgers.len()];
        let ids: Vec<String> = chunk.iter().map(|c| c.id.clone()).collect();
        store.acknowledge_cqc_changes(&Actor::user(id, email), &ids, Some(notes[n % notes.len()])).await?;
    }

    // The latest import, this month's reports: four ratings moved (three falls), a new care home
    // and a new supported living service, and a home care agency that deregistered.
    let mut latest = Vec::new();
    for (i, days) in [(0, 12), (1, 9), (2, 6), (3, 3)] {
        let l = next()?;
        let to = moved(grade(&l), i != 2);
        latest.push(reported(l, to, today.checked_sub(days.days())?));
    }
    let like = next()?;
    let mut home = new_location("1-19990000102", "Moss Bank View Care Home", "14 Moss Bank Road", &like, today.checked_sub(21.days())?);
    home.service_types = vec!["Residential homes".into()];
    home.care_home = Some(true);
    home.beds = Some(34);
    latest.push(home);
    let like = next()?;
    let mut living = new_location("1-19990000103", "Scarbrook Supported Living", "3 Brook Street", &like, today.checked_sub(16.days())?);
    living.service_types = vec!["Homecare agencies".into(), "Supported living".into()];
    living.care_home = Some(false);
    living.beds = None;
    latest.push(living);
    let mut gone = next()?;
    gone.registration_status = RegistrationStatus::Deregistered;
    gone.deregistration_date = Some(today.checked_sub(8.days())?);
    latest.push(gone);
    let second = store.import_cqc(&system, &options("CQC API changes, this week"), &latest, Vec::new(), &mut |_, _| {}).await?;
    // Each rated location brought one new report.
    Ok(((first.new + second.new) as usize, 7))
}
