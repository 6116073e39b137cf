//! A deterministic, seeded generator of a realistic (and entirely fictional) council's adult
//! social care market: Northmoor Borough Council. Used by `caremarket demo`, by tests that need
//! a populated register, and at larger scales by benchmarks.
//!
//! The market is first planned ([`plan::plan`], pure and seeded) and then written through the
//! store's API, so demo data passes the same validation as real data. The largest generated sets
//! go through the store's bulk path (`caremarket_store::bulk`): the same checks, many rows per
//! statement, one audit entry per batch; everything else has an audit entry per record. The same
//! seed, scale and "as at" date always give the same names, ratings and figures; only record ids
//! (UUID v7) and audit timestamps differ.
//!
//! See `docs/demo.md` for the fictional council and how its sizes map to the seeds.

mod budgets;
pub mod capacity;
mod care_home_fees;
mod closures;
mod committees;
mod cost_of_care;
mod cqc_changes;
mod dates;
pub mod direct_payments;
pub mod ecm;
mod evidence;
mod fees;
mod geo;
mod governance;
mod names;
pub mod outcomes;
pub mod plan;
pub mod quality;
pub mod ratings;
mod scrutiny;
pub mod supported_living;
pub mod workforce;

use caremarket_core::Date;
use caremarket_core::access::Role;
use caremarket_core::register::ServiceKind;
use caremarket_store::bulk::NewRatedService;
use caremarket_store::placements::NewPlacement;
use caremarket_store::register::{NationalBenchmark, NewProvider, NewService, RatingRecord};
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, Store, StoreError};
use std::collections::BTreeMap;

pub use evidence::seed_evidence;
pub use geo::{AREAS, COUNCIL_NAME, LOCAL_AUTHORITY};
pub use plan::{FRAMEWORKS, Plan};

/// The password of every demo account. Demo data is for trying the system out, never for
/// real records.
pub const DEMO_PASSWORD: &str = "demo-password-1";

/// The seed `caremarket demo` uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 2024;

/// Source label on every demo rating and national comparator.
pub const DEMO_SOURCE: &str = "demo";

const BENCHMARK_SOURCE: &str = "Demo figure (illustrative, not CQC data)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    pub seed: u64,
    /// 1 is a council of real size (about 500 services); every count is multiplied by it.
    pub scale: u32,
    /// The "as at" date: ratings, contracts and placements are dated relative to it.
    pub today: Date,
}

impl DemoOptions {
    /// The default seed at scale 1, as at `today`.
    pub fn as_at(today: Date) -> Self {
        DemoOptions { seed: DEFAULT_SEED, scale: 1, today }
    }
}

/// How long one part of the generation took, so a slow part can be found (`caremarket-bench demo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartTiming {
    pub part: &'static str,
    pub elapsed: std::time::Duration,
}

#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub providers: usize,
    pub services: usize,
    pub ratings: usize,
    /// Every demo account, with its role; all share [`DEMO_PASSWORD`].
    pub users: Vec<(String, Role)>,
    pub placements: usize,
    pub password: &'static str,
    /// Each part of the generation in the order it ran.
    pub timings: Vec<PartTiming>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("date out of range: {0}")]
    Date(#[from] jiff::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("this database already has users: demo data goes only into an empty database")]
    AlreadySeeded,
    #[error("the demo plan refers to {0}, which was not created")]
    Missing(String),
}

/// Whether the database already holds data (any user account), so `caremarket demo` can skip
/// generation. Users are written last, so a run that failed part-way does not count.
pub async fn is_seeded(store: &Store) -> Result<bool, DemoError> {
    Ok(store.count_users().await? > 0)
}

/// Generate the demo council into an empty database.
pub async fn generate(store: &Store, opts: &DemoOptions) -> Result<DemoSummary, DemoError> {
    generate_with_progress(store, opts, &mut |_, _| {}).await
}

/// As [`generate`], reporting (done, total) steps as it writes, for a progress bar.
pub async fn generate_with_progress(
    store: &Store,
    opts: &DemoOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<DemoSummary, DemoError> {
    if is_seeded(store).await? {
        return Err(DemoError::AlreadySeeded);
    }
    let mut clock = Clock::default();
    let plan = plan::plan(opts)?;
    clock.lap("plan");
    let actor = Actor::system("demo");
    let total = (plan.providers.len() + plan.services.len() + plan.rating_count() + plan.placements.len() + USERS.len()) as u64;
    let mut done = 0u64;
    let mut step = |n: usize| {
        done += n as u64;
        if done % 100 < n as u64 || done == total {
            progress(done, total);
        }
    };

    store.set_setting("council_name", COUNCIL_NAME).await?;
    store.set_setting("council_local_authorities", LOCAL_AUTHORITY).await?;
    store.set_setting("demo_options", &format!("seed={} scale={} today={}", opts.seed, opts.scale, opts.today)).await?;
    for (name, districts) in AREAS {
        store.create_area(&actor, name, districts).await?;
    }

    // Frameworks, and their lots by name.
    for fw in FRAMEWORKS {
        let (y, m, d) = fw.starts_on;
        let starts = Date::new(y, m, d)?;
        let (y, m, d) = fw.ends_on;
        let ends = Date::new(y, m, d)?;
        // Through the commissioner's own path, so the demo's frameworks name the kinds they
        // cover; a framework of no one kind is the care homes', residential and nursing.
        let kinds = match fw.kind {
            Some(k) => vec![k],
            None => vec![ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing],
        };
        let draft = caremarket_core::register::framework::FrameworkDraft {
            name: fw.name.to_string(),
            lots: fw.lots.iter().map(|l| l.to_string()).collect(),
            starts_on: Some(starts),
            ends_on: Some(ends),
            kinds,
        };
        store.create_contract_framework(&actor, &draft).await?;
    }
    clock.lap("settings, areas and frameworks");
    let mut lots: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for fw in store.frameworks().await? {
        for lot in &fw.lots {
            lots.insert((fw.name.clone(), lot.name.clone()), (fw.id.clone(), lot.id.clone()));
        }
    }

    for (kind, percent) in BENCHMARKS {
        store
            .set_national_benchmark(
                &actor,
                &NationalBenchmark {
                    kind,
                    percent_good_or_outstanding: percent,
                    rated_services: None,
                    as_at: opts.today.to_string(),
                    source: BENCHMARK_SOURCE.to_string(),
                },
            )
            .await?;
    }

    // Every provider in one batch: the rows create_provider would write, one audit entry.
    let new_providers: Vec<NewProvider> = plan
        .providers
        .iter()
        .map(|p| NewProvider {
            cqc_provider_id: p.cqc_provider_id.clone(),
            name: p.name.clone(),
            address: p.address.clone(),
            postcode: p.postcode.clone(),
        })
        .collect();
    let provider_ids = store.bulk_create_providers(&actor, &new_providers).await?;
    step(provider_ids.len());
    clock.lap("providers");

    // Every service and its ratings in one batch: the rows create_service and add_rating would
    // write, one audit entry (Store::bulk_create_services).
    let mut batch = Vec::with_capacity(plan.services.len());
    for s in &plan.services {
        let provider_id = provider_ids.get(s.provider).ok_or_else(|| DemoError::Missing(format!("provider of {}", s.name)))?;
        let (framework_id, lot_id) = match (s.contract.framework.and_then(|i| FRAMEWORKS.get(i)), s.contract.lot) {
            (Some(fw), Some(lot)) => {
                let (f, l) = lots
                    .get(&(fw.name.to_string(), lot.to_string()))
                    .ok_or_else(|| DemoError::Missing(format!("lot {lot} of {}", fw.name)))?;
                (Some(f.clone()), Some(l.clone()))
            }
            _ => (None, None),
        };
        let new = NewService {
            provider_id: provider_id.clone(),
            cqc_location_id: s.cqc_location_id.clone(),
            name: s.name.clone(),
            kind: s.kind,
            address_line: Some(s.address_line.clone()),
            town: Some(s.town.clone()),
            postcode: Some(s.postcode.clone()),
            local_authority: Some(s.local_authority.clone()),
            region: Some(s.region.clone()),
            in_area: s.in_area,
            phone: s.phone.clone(),
            website: s.website.clone(),
            registration_status: s.registration_status.to_string(),
            registration_date: s.registration_date,
            beds: s.beds,
            service_types: s.service_types.clone(),
            specialisms: s.specialisms.clone(),
            contract_status: s.contract.status,
            framework_id,
            lot_id,
            contract_start: s.contract.start,
            contract_end: s.contract.end,
            council_notes: s.council_notes.clone(),
        };
        batch.push(NewRatedService { service: new, ratings: s.ratings.iter().map(to_record).collect() });
    }
    let rating_count: usize = batch.iter().map(|s| s.ratings.len()).sum();
    let service_ids = store.bulk_create_services(&actor, &batch, DEMO_SOURCE).await?;
    step(service_ids.len() + rating_count);
    clock.lap("services and ratings");

    let mut placement_count = 0usize;
    for p in &plan.placements {
        let service_id = service_ids.get(p.service).ok_or_else(|| DemoError::Missing(format!("service for {}", p.person_ref)))?;
        store
            .create_placement(
                &actor,
                &NewPlacement {
                    person_ref: p.person_ref.clone(),
                    service_id: service_id.clone(),
                    host_authority: Some(p.host_authority.clone()),
                    funder: p.funder.to_string(),
                    reason: Some(p.reason.to_string()),
                    start_date: p.start_date,
                    host_restrictions: p.host_restrictions.clone(),
                },
            )
            .await?;
        placement_count += 1;
        step(1);
    }
    clock.lap("placements");

    // Capacity and direct payments data (issues 4 and 5) hang off the register above.
    capacity::generate_capacity(store, opts.seed, opts.scale, opts.today).await?;
    clock.lap("capacity");
    direct_payments::generate_direct_payments(store, opts.seed, opts.scale, opts.today, &mut |part| clock.lap(part)).await?;
    clock.lap("direct payments: the PA register");
    quality::generate_quality(store, opts.seed, opts.scale, opts.today, &mut |part| clock.lap(part)).await?;
    governance::generate_governance(store, opts.today).await?;
    clock.lap("governance");
    let closed_homes = closures::generate_closures(store, &plan, &provider_ids, opts.today).await?;
    clock.lap("closures");
    // Fees (issue 11): the rate card and its uplift history, over the frameworks and packages above.
    fees::generate_fees(store, opts.today).await?;
    clock.lap("fees");
    // Cost of care returns for 2025/26 (issue 11 item 4); none from the portal provider.
    let portal_provider_id = provider_ids.get(plan.portal_provider).cloned().unwrap_or_default();
    cost_of_care::generate_cost_of_care(store, opts.seed, &portal_provider_id, opts.today).await?;
    clock.lap("cost of care");
    care_home_fees::generate_care_home_fees(store, opts.today).await?;
    clock.lap("care home fees");
    // Supported living actuals (issue 11 item 5): commissioned hours, returns, queries, payments.
    supported_living::generate_supported_living(store, opts.seed, &portal_provider_id, opts.today).await?;
    clock.lap("supported living");
    // Budgets and a year of spend from the finance system (issue 11 item 6).
    budgets::generate_budgets(store, opts.seed, opts.scale, opts.today).await?;
    clock.lap("budgets");

    // Accounts last: their presence marks a complete demo database (see `is_seeded`).
    let portal_provider = provider_ids.get(plan.portal_provider).ok_or_else(|| DemoError::Missing("the portal provider".into()))?;
    let mut users = Vec::new();
    for (email, display_name, role) in USERS {
        store
            .create_user(
                &actor,
                NewUser {
                    email,
                    display_name,
                    password: DEMO_PASSWORD,
                    role,
                    provider_id: (role == Role::Provider).then_some(portal_provider.as_str()),
                    must_change_password: false,
                },
            )
            .await?;
        users.push((email.to_string(), role));
        step(1);
    }
    // CQC changes found by two imports since the register was set up (issue 16 item 13): the
    // earlier acknowledged by the commissioner and a quality officer, the latest still new.
    let mut acknowledgers = Vec::new();
    for u in store.users().await? {
        if matches!(u.role, Role::Commissioner | Role::QualityOfficer) {
            acknowledgers.push((u.id, u.email));
        }
    }
    let (services_added, ratings_added) = cqc_changes::generate_cqc_changes(store, &plan, opts.today, &acknowledgers).await?;
    clock.lap("users and CQC changes");
    quality::assign_officers(store, opts.seed, opts.today).await?;
    clock.lap("quality officers");
    direct_payments::assign_officers(store).await?;
    direct_payments::queue_for_approval(store, opts.today).await?;
    capacity::assign_brokerage(store, opts.today).await?;
    clock.lap("direct payment officers and brokerage");
    // Home care visits against call monitoring (issue 11 item 7), with its provider's account.
    ecm::generate_ecm(store, opts.seed, opts.today).await?;
    clock.lap("call monitoring");
    // Outcomes-based contracts (issue 13 items 4-7), with the special purpose vehicle's account.
    outcomes::generate_outcomes(store, opts.seed, opts.today).await?;
    clock.lap("outcomes");
    // Workforce returns and the Ethical Care Charter's positions (issue 13 items 1-3).
    workforce::generate_workforce(store, opts.seed, &portal_provider_id, opts.today).await?;
    clock.lap("workforce");
    // Visit reports' fact-checks (issue 16 item 14): published, awaiting the portal provider's
    // check, and with its corrections waiting for the council.
    quality::fact_check::generate(store, &portal_provider_id, opts.today).await?;
    clock.lap("fact checks");

    Ok(DemoSummary {
        providers: provider_ids.len(),
        services: service_ids.len() + closed_homes + services_added,
        ratings: rating_count + ratings_added,
        users,
        placements: placement_count,
        password: DEMO_PASSWORD,
        timings: clock.parts,
    })
}

/// Two summaries are equal when they describe the same council: how long each part took is not
/// part of what was made.
impl PartialEq for DemoSummary {
    fn eq(&self, other: &Self) -> bool {
        self.providers == other.providers
            && self.services == other.services
            && self.ratings == other.ratings
            && self.users == other.users
            && self.placements == other.placements
            && self.password == other.password
    }
}

impl Eq for DemoSummary {}

/// Times the parts of the generation, each from the end of the one before.
struct Clock {
    since: std::time::Instant,
    parts: Vec<PartTiming>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock { since: std::time::Instant::now(), parts: Vec::new() }
    }
}

impl Clock {
    fn lap(&mut self, part: &'static str) {
        let now = std::time::Instant::now();
        self.parts.push(PartTiming { part, elapsed: now - self.since });
        self.since = now;
    }
}

/// Illustrative national comparators (share rated Good or Outstanding) for each CQC-regulated
/// kind. Not CQC data: a real council imports CQC's national file, which computes them.
pub const BENCHMARKS: [(ServiceKind, f64); 9] = [
    (ServiceKind::CareHomeResidential, 82.0),
    (ServiceKind::CareHomeNursing, 78.0),
    (ServiceKind::HomeCare, 84.0),
    (ServiceKind::SupportedLiving, 87.0),
    (ServiceKind::EnhancedSupportedLiving, 85.0),
    (ServiceKind::ExtraCare, 86.0),
    (ServiceKind::MentalHealthSupport, 83.0),
    (ServiceKind::ShortBreaks, 85.0),
    (ServiceKind::SharedLives, 94.0),
];

/// The demo accounts: email, display name (clearly fictional), role.
pub const USERS: [(&str, &str, Role); 9] = [
    ("admin@demo.caremarket.test", "Ada Ashworth (demo administrator)", Role::Admin),
    ("commissioner@demo.caremarket.test", "Cam Holroyd (demo commissioner)", Role::Commissioner),
    ("quality@demo.caremarket.test", "Quinn Lees (demo quality officer)", Role::QualityOfficer),
    ("brokerage@demo.caremarket.test", "Bev Schofield (demo brokerage officer)", Role::BrokerageOfficer),
    ("dp@demo.caremarket.test", "Dev Ogden (demo direct payments officer)", Role::DirectPaymentsOfficer),
    ("viewer@demo.caremarket.test", "Vic Buckley (demo viewer)", Role::Viewer),
    ("councillor@demo.caremarket.test", "Cllr Chris Ainsworth (demo councillor)", Role::Councillor),
    ("scrutiny@demo.caremarket.test", "Sam Entwistle (demo scrutiny officer)", Role::ScrutinyOfficer),
    ("provider@demo.caremarket.test", "Pat Kershaw (demo provider user)", Role::Provider),
];

fn to_record(r: &ratings::PlannedRating) -> RatingRecord {
    let k = r.key_questions;
    let kq = |i: usize| k.and_then(|k| k.get(i).copied());
    RatingRecord {
        overall: Some(r.overall),
        safe: kq(0),
        effective: kq(1),
        caring: kq(2),
        responsive: kq(3),
        well_led: kq(4),
        report_date: r.report_date,
    }
}
