//! The whole fictional market, decided before anything is written: providers, services with
//! their contracts and rating histories, and out-of-area placements. Planning is pure and
//! seeded, so the same seed, scale and date always give the same plan; writing it to a store
//! only adds ids.
//!
//! Sizes at scale 1 follow the seeds (domain C1, C3):
//! - care homes: about 100 ("100+ care homes", `000`; Leicester's 93, `004` §4.2–4.3), 55
//!   residential and 45 nursing, 80 for older people and 20 for working-age adults with learning
//!   disabilities or mental health needs; 48 older people's homes on the Care Homes Framework
//!   ("27 providers with 48 care homes", `000`);
//! - home care: 190 registered agencies, 32 of them contracted, 30 on the Home Care Framework
//!   2024 (`004` §4.4: "190 registered providers... a contract in place with 32");
//! - supported living: 67 services, 40 on the Supported Living Framework and 27 by direct award
//!   (`000`'s 67 framework and 46 direct-award providers, scaled to 67 in all at the same 59:41
//!   ratio), plus 8 enhanced supported living services on the same framework's own lot;
//! - day services: 63, 31 on the Day Services Framework and 32 by direct award, none CQC
//!   registered, plus 3 in-house (`000`);
//! - overnight short breaks: 4 external and 1 in-house (`000`);
//! - extra care 8; mental health community support 12 on a framework and 4 by direct award
//!   (`000`: "12 Mental Health Independence providers... approx. 8... direct award"); 3
//!   supported accommodation schemes on block contracts (`000`); 2 Shared Lives schemes;
//!   5 money management companies on the Recognised Provider List;
//! - 25 services in neighbouring councils and 20 people placed in them.
//!
//! Every count is multiplied by the scale.

use crate::dates::{add_days, between, date};
use crate::geo::{self, District};
use crate::names::{Names, pick, street_address};
use crate::ratings::{self, PlannedRating, Profile};
use crate::{DemoError, DemoOptions};
use caremarket_core::Date;
use caremarket_core::register::{ContractStatus, Rating, ServiceKind, Specialism};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// A framework the demo council runs; services refer to it by index into [`FRAMEWORKS`].
#[derive(Debug, Clone, Copy)]
pub struct FrameworkDef {
    pub name: &'static str,
    pub kind: Option<ServiceKind>,
    pub starts_on: (i16, i8, i8),
    pub ends_on: (i16, i8, i8),
    pub lots: &'static [&'static str],
}

pub const CARE_HOMES_FW: usize = 0;
pub const HOME_CARE_FW: usize = 1;
pub const SUPPORTED_LIVING_FW: usize = 2;
pub const DAY_SERVICES_FW: usize = 3;
pub const MENTAL_HEALTH_FW: usize = 4;

pub const FRAMEWORKS: [FrameworkDef; 5] = [
    FrameworkDef {
        name: "Care Homes Framework",
        kind: None,
        starts_on: (2024, 2, 1),
        ends_on: (2031, 1, 31),
        lots: &["Residential", "Nursing", "Dementia"],
    },
    FrameworkDef {
        name: "Home Care Framework 2024",
        kind: Some(ServiceKind::HomeCare),
        starts_on: (2024, 6, 1),
        ends_on: (2029, 5, 31),
        lots: &["General", "High Dependency"],
    },
    FrameworkDef {
        name: "Supported Living Framework",
        kind: Some(ServiceKind::SupportedLiving),
        starts_on: (2023, 9, 1),
        ends_on: (2030, 8, 31),
        lots: &["Supported Living", "Enhanced Supported Living"],
    },
    FrameworkDef {
        name: "Day Services Framework",
        kind: Some(ServiceKind::DayServices),
        starts_on: (2023, 9, 1),
        ends_on: (2030, 8, 31),
        lots: &["Building based", "Community based"],
    },
    FrameworkDef {
        name: "Mental Health Independence and Support Framework",
        kind: Some(ServiceKind::MentalHealthSupport),
        starts_on: (2023, 4, 1),
        ends_on: (2028, 3, 31),
        lots: &["Targeted Help", "Ongoing Care"],
    },
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedContract {
    pub status: ContractStatus,
    /// Index into [`FRAMEWORKS`].
    pub framework: Option<usize>,
    pub lot: Option<&'static str>,
    pub start: Option<Date>,
    pub end: Option<Date>,
}

impl PlannedContract {
    fn simple(status: ContractStatus) -> Self {
        PlannedContract { status, framework: None, lot: None, start: None, end: None }
    }
    fn framework(fw: usize, lot: &'static str) -> Self {
        PlannedContract { status: ContractStatus::Framework, framework: Some(fw), lot: Some(lot), start: None, end: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedProvider {
    pub name: String,
    pub cqc_provider_id: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedService {
    /// Index into [`Plan::providers`].
    pub provider: usize,
    pub name: String,
    pub kind: ServiceKind,
    pub cqc_location_id: Option<String>,
    pub address_line: String,
    pub town: String,
    pub postcode: String,
    pub local_authority: String,
    pub region: String,
    pub in_area: bool,
    pub phone: Option<String>,
    pub website: Option<String>,
    /// "registered" or "not_registered".
    pub registration_status: &'static str,
    pub registration_date: Option<Date>,
    pub beds: Option<i64>,
    pub service_types: Vec<String>,
    pub specialisms: Vec<Specialism>,
    pub contract: PlannedContract,
    pub council_notes: Option<String>,
    /// `None` for services CQC does not register.
    pub profile: Option<Profile>,
    /// Oldest first.
    pub ratings: Vec<PlannedRating>,
}

impl PlannedService {
    pub fn current_rating(&self) -> Option<Rating> {
        self.ratings.last().map(|r| r.overall)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPlacement {
    pub person_ref: String,
    /// Index into [`Plan::services`].
    pub service: usize,
    pub host_authority: String,
    pub funder: &'static str,
    pub reason: &'static str,
    pub start_date: Date,
    pub host_restrictions: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub providers: Vec<PlannedProvider>,
    pub services: Vec<PlannedService>,
    pub placements: Vec<PlannedPlacement>,
    /// The care home group the demo provider user belongs to.
    pub portal_provider: usize,
}

impl Plan {
    pub fn rating_count(&self) -> usize {
        self.services.iter().map(|s| s.ratings.len()).sum()
    }
}

/// How a service is named, and its provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    CareHome,
    HomeCare,
    SupportedLiving,
    Enhanced,
    Day,
    ShortBreak,
    ExtraCare,
    MentalHealth,
    Accommodation,
    SharedLives,
    Money,
}

/// A service before it has a provider and a name.
#[derive(Debug, Clone)]
struct Draft {
    kind: ServiceKind,
    style: Style,
    contract: PlannedContract,
    specialisms: Vec<Specialism>,
    beds: Option<i64>,
    district: District,
    in_area: bool,
    notes: Option<String>,
    forced: Option<Rating>,
}

struct Builder {
    rng: StdRng,
    names: Names,
    today: Date,
    scale: usize,
    salt: u64,
    providers: Vec<PlannedProvider>,
    services: Vec<PlannedService>,
    /// Per provider, whether it is a care home group (for the portal user).
    care_home_groups: Vec<(usize, usize)>,
}

/// A bijection on 0..10^9 (the multiplier is coprime to 10), so generated ids never collide.
fn scramble(n: u64, salt: u64) -> u64 {
    (n.wrapping_mul(736_481_903).wrapping_add(salt)) % 1_000_000_000
}

fn sub_rng(seed: u64, part: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ part.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

pub fn plan(opts: &DemoOptions) -> Result<Plan, DemoError> {
    if opts.scale == 0 {
        return Err(DemoError::Invalid("scale must be 1 or more".into()));
    }
    if opts.today < date(2021, 1, 1)? {
        return Err(DemoError::Invalid("the demo date must be 2021-01-01 or later".into()));
    }
    let mut b = Builder {
        rng: sub_rng(opts.seed, 1),
        names: Names::default(),
        today: opts.today,
        scale: opts.scale as usize,
        salt: opts.seed % 1_000_000_000,
        providers: Vec::new(),
        services: Vec::new(),
        care_home_groups: Vec::new(),
    };
    b.in_house()?;
    b.care_homes()?;
    b.home_care()?;
    let sl_providers = b.supported_living()?;
    b.day_services(&sl_providers)?;
    b.short_breaks(&sl_providers)?;
    b.extra_care()?;
    b.mental_health()?;
    b.money_management()?;
    let out_of_area = b.out_of_area()?;
    b.assign_profiles(opts.seed)?;
    b.finish_providers();
    let placements = placements(opts, &b.services, &out_of_area)?;
    let portal_provider = b.care_home_groups.iter().max_by_key(|(p, n)| (*n, std::cmp::Reverse(*p))).map(|(p, _)| *p).unwrap_or(0);
    Ok(Plan { providers: b.providers, services: b.services, placements, portal_provider })
}

fn specialisms(rng: &mut StdRng, always: &[Specialism], sometimes: &[(Specialism, f64)]) -> Vec<Specialism> {
    let mut v: Vec<Specialism> = always.to_vec();
    for (s, p) in sometimes {
        if rng.gen_bool(*p) {
            v.push(*s);
        }
    }
    v.sort();
    v.dedup();
    v
}

fn service_types(kind: ServiceKind) -> Vec<String> {
    let t: &[&str] = match kind {
        ServiceKind::CareHomeResidential | ServiceKind::ShortBreaks => &["Residential homes"],
        ServiceKind::CareHomeNursing => &["Nursing homes"],
        ServiceKind::HomeCare => &["Homecare agencies"],
        ServiceKind::SupportedLiving | ServiceKind::EnhancedSupportedLiving => &["Homecare agencies", "Supported living"],
        ServiceKind::ExtraCare => &["Extra Care housing services", "Homecare agencies"],
        ServiceKind::MentalHealthSupport | ServiceKind::SupportedAccommodation => {
            &["Community based services for people with mental health needs"]
        }
        ServiceKind::SharedLives => &["Shared Lives"],
        _ => &[],
    };
    t.iter().map(|s| s.to_string()).collect()
}

impl Builder {
    fn n(&self, base: usize) -> usize {
        base * self.scale
    }

    fn district(&mut self) -> District {
        geo::pick_district(&mut self.rng, &geo::IN_AREA)
    }

    fn draft(&mut self, kind: ServiceKind, style: Style, contract: PlannedContract, specialisms: Vec<Specialism>) -> Draft {
        let district = self.district();
        Draft { kind, style, contract, specialisms, beds: None, district, in_area: true, notes: None, forced: None }
    }

    fn contract_dates(&mut self, c: &mut PlannedContract) -> Result<(), DemoError> {
        let today = self.today;
        match c.status {
            ContractStatus::Framework => {
                if let Some(fw) = c.framework.and_then(|i| FRAMEWORKS.get(i)) {
                    let (y, m, d) = fw.starts_on;
                    let start = date(y, m, d)?;
                    // A quarter of framework services joined when it reopened a year in.
                    let start = if self.rng.gen_bool(0.25) { add_days(start, 365)? } else { start };
                    let (y, m, d) = fw.ends_on;
                    c.start = Some(start.min(today));
                    c.end = Some(date(y, m, d)?);
                }
            }
            ContractStatus::DirectAward => {
                let start = between(&mut self.rng, add_days(today, -4 * 365)?, add_days(today, -60)?)?;
                c.start = Some(start);
                c.end = Some(add_days(start, 5 * 365 - 1)?);
            }
            ContractStatus::BlockContract => {
                let start = between(&mut self.rng, add_days(today, -3 * 365)?, add_days(today, -90)?)?;
                c.start = Some(start);
                c.end = Some(add_days(start, 3 * 365 - 1)?);
            }
            ContractStatus::DynamicPurchasingSystem => {
                c.start = Some(between(&mut self.rng, date(2022, 4, 1)?, add_days(today, -30)?)?);
                c.end = Some(date(2029, 3, 31)?.max(add_days(today, 365)?));
            }
            ContractStatus::RecognisedProviderList => {
                c.start = Some(between(&mut self.rng, date(2019, 4, 1)?, add_days(today, -60)?)?);
            }
            _ => {}
        }
        Ok(())
    }

    /// A shuffled list of `counts` copies of each contract.
    fn contracts(&mut self, counts: &[(usize, PlannedContract)]) -> Result<Vec<PlannedContract>, DemoError> {
        let mut v = Vec::new();
        for (n, c) in counts {
            for _ in 0..*n {
                let mut c = c.clone();
                self.contract_dates(&mut c)?;
                v.push(c);
            }
        }
        v.shuffle(&mut self.rng);
        Ok(v)
    }

    fn add_provider(&mut self, name: String) -> usize {
        self.providers.push(PlannedProvider { name, cqc_provider_id: None, address: None, postcode: None });
        self.providers.len() - 1
    }

    fn add_service(&mut self, provider: usize, name: String, d: Draft) {
        let registered = d.kind.cqc_regulated();
        let gm = geo::in_greater_manchester(&d.district);
        let phone = Some(crate::names::phone(&mut self.rng, gm));
        let website = if self.rng.gen_bool(0.7) { Some(crate::names::website(&self.providers[provider].name)) } else { None };
        let address_line = street_address(&mut self.rng);
        let postcode = geo::postcode(&mut self.rng, &d.district);
        self.services.push(PlannedService {
            provider,
            name,
            kind: d.kind,
            cqc_location_id: None,
            address_line,
            town: d.district.town.to_string(),
            postcode,
            local_authority: d.district.local_authority.to_string(),
            region: d.district.region.to_string(),
            in_area: d.in_area,
            phone,
            website,
            registration_status: if registered { "registered" } else { "not_registered" },
            registration_date: None,
            beds: d.beds,
            service_types: if registered { service_types(d.kind) } else { Vec::new() },
            specialisms: d.specialisms,
            contract: d.contract,
            council_notes: d.notes,
            profile: d.forced.map(Profile::EstablishedAs),
            ratings: Vec::new(),
        });
    }

    /// Give drafts providers: `group_share` of them go to groups of `sizes`, the rest to
    /// single-service providers; some may join an existing provider from `attach`.
    fn assign(&mut self, mut drafts: Vec<Draft>, group_share: f64, sizes: (usize, usize), attach: &[usize], attach_p: f64) -> Vec<usize> {
        drafts.shuffle(&mut self.rng);
        let mut made = Vec::new();
        let target = (drafts.len() as f64 * group_share).round() as usize;
        let mut grouped = 0;
        let mut queue = drafts.into_iter();
        while grouped < target {
            let size = self.rng.gen_range(sizes.0..=sizes.1).min(target - grouped).max(1);
            let members: Vec<Draft> = queue.by_ref().take(size).collect();
            if members.is_empty() {
                break;
            }
            grouped += members.len();
            let Some(style) = members.first().map(|m| m.style) else {
                break;
            };
            let brand = self.names.compound(&mut self.rng);
            let pname = self.provider_name(style, &brand, true);
            let p = self.add_provider(pname);
            if style == Style::CareHome {
                self.care_home_groups.push((p, members.len()));
            }
            made.push(p);
            for d in members {
                let name = self.service_name(&d, &brand, true);
                self.add_service(p, name, d);
            }
        }
        for d in queue {
            if !attach.is_empty() && self.rng.gen_bool(attach_p) {
                let p = pick(&mut self.rng, attach);
                let brand = self.names.compound(&mut self.rng);
                let name = self.service_name(&d, &brand, true);
                self.add_service(p, name, d);
                continue;
            }
            let brand = self.names.compound(&mut self.rng);
            let pname = self.provider_name(d.style, &brand, false);
            let p = self.add_provider(pname);
            made.push(p);
            let name = self.service_name(&d, &brand, false);
            self.add_service(p, name, d);
        }
        made
    }

    fn provider_name(&mut self, style: Style, brand: &str, group: bool) -> String {
        let brand = brand.to_string();
        let mut tries = 0;
        self.names.provider(&mut self.rng, |rng, names| {
            // The brand first (half the time with a second suffix); after a clash, a fresh brand.
            tries += 1;
            let b = if tries <= 2 { brand.clone() } else { names.compound(rng) };
            let suffix: &[&str] = match (style, group) {
                (Style::CareHome, true) => &["Care Group Ltd", "Healthcare Group Ltd", "Lifecare Ltd", "Living Ltd"],
                (Style::CareHome, false) => &["Care Ltd", "Healthcare Ltd", "Care Homes Ltd", "Residential Care Ltd"],
                (Style::HomeCare, true) => &["Homecare Group Ltd", "Home Care Services Ltd"],
                (Style::HomeCare, false) => &["Homecare Ltd", "Care Services Ltd", "Home Care Ltd", "Care at Home Ltd"],
                (Style::SupportedLiving | Style::Enhanced | Style::ShortBreak, _) => {
                    &["Support Ltd", "Care and Support Ltd", "Trust", "Foundation", "Community Care Ltd"]
                }
                (Style::Day, _) => &["Community Trust", "CIC", "Activities Ltd", "Day Opportunities CIC"],
                (Style::ExtraCare, _) => &["Housing and Care Ltd", "Homecare Ltd"],
                (Style::MentalHealth, _) => &["Wellbeing Ltd", "Recovery Trust", "Mental Health Support CIC"],
                (Style::Accommodation, _) => &["Housing Association"],
                (Style::SharedLives, _) => &["Shared Lives Ltd"],
                (Style::Money, _) => &["Money Management Ltd", "Payroll Services Ltd", "Financial Support CIC"],
            };
            format!("{b} {}", pick(rng, suffix))
        })
    }

    fn service_name(&mut self, d: &Draft, brand: &str, group: bool) -> String {
        let brand = brand.to_string();
        let town = d.district.town;
        let nursing = d.kind == ServiceKind::CareHomeNursing;
        let style = d.style;
        let mut tries = 0;
        self.names.service(&mut self.rng, |rng, names| {
            // Most single-service providers name the service after themselves.
            tries += 1;
            let b = if tries == 1 && !group && rng.gen_bool(0.6) { brand.clone() } else { names.compound(rng) };
            match style {
                Style::CareHome => match rng.gen_range(0..10) {
                    0..5 => format!("{b} {}", pick(rng, &["House", "Lodge", "Court", "Manor", "Hall", "Grange"])),
                    5..7 => format!("The {} {}", names.trees(rng), if nursing { "Nursing Home" } else { "Care Home" }),
                    7..9 => format!("{b} {}", if nursing { "Nursing Home" } else { "Care Home" }),
                    _ => format!("{b} {}", pick(rng, &["Park", "Gardens", "View"])),
                },
                Style::HomeCare if group => {
                    // A group's branches are named by town; a second branch in the same town
                    // takes a neighbouring town's name.
                    let t = if rng.gen_bool(0.6) { town } else { pick(rng, &geo::IN_AREA).town };
                    format!("{brand} Homecare ({t})")
                }
                Style::HomeCare => {
                    format!("{b} {}", pick(rng, &["Homecare", "Home Care", "Care at Home", "Care Services", "Home Support"]))
                }
                Style::SupportedLiving if group && rng.gen_bool(0.6) => {
                    format!("{brand} Supported Living ({town})")
                }
                Style::SupportedLiving => {
                    format!(
                        "{b} {}",
                        pick(rng, &["Supported Living", "Support Services", "Community Support", "Independent Living Service"])
                    )
                }
                Style::Enhanced => format!("{b} {}", pick(rng, &["Enhanced Support Service", "Complex Care Service"])),
                Style::Day => match rng.gen_range(0..8) {
                    0 => format!("The {b} Club"),
                    n => format!(
                        "{b} {}",
                        [
                            "Day Centre",
                            "Resource Centre",
                            "Community Hub",
                            "Arts Project",
                            "Gardening Project",
                            "Activity Centre",
                            "Day Opportunities"
                        ]
                        .get(n - 1)
                        .copied()
                        .unwrap_or("Day Centre")
                    ),
                },
                Style::ShortBreak => format!("{b} {}", pick(rng, &["House Short Breaks", "Respite Service", "Short Breaks"])),
                Style::ExtraCare => format!("{b} {}", pick(rng, &["Court Extra Care", "Gardens Extra Care Housing", "Extra Care Scheme"])),
                Style::MentalHealth => format!("{b} {}", pick(rng, &["Recovery Service", "Mental Health Outreach", "Wellbeing Support"])),
                Style::Accommodation => format!("{b} {}", pick(rng, &["House", "Lodge", "Place"])),
                Style::SharedLives => format!("{b} Shared Lives"),
                Style::Money => format!("{b} {}", pick(rng, &["Money Management", "Managed Accounts", "Payroll Service"])),
            }
        })
    }

    /// The council's own services (contract status in-house), run by the council as provider.
    fn in_house(&mut self) -> Result<(), DemoError> {
        self.names.claim_provider(geo::COUNCIL_NAME);
        let p = self.add_provider(geo::COUNCIL_NAME.to_string());
        let s = self.scale;
        let mut items: Vec<(String, ServiceKind, Style, Vec<Specialism>)> = Vec::new();
        for i in 0..s {
            let n = if s == 1 { String::new() } else { format!(" {}", i + 1) };
            use Specialism::*;
            items.push((
                format!("Northmoor Reablement Service{n}"),
                ServiceKind::HomeCare,
                Style::HomeCare,
                vec![OlderPeople, PhysicalDisability, Dementia],
            ));
            items.push((
                format!("Northmoor Shared Lives{n}"),
                ServiceKind::SharedLives,
                Style::SharedLives,
                vec![LearningDisabilities, OlderPeople, MentalHealth],
            ));
            items.push((
                format!("Northmoor Short Breaks House{n}"),
                ServiceKind::ShortBreaks,
                Style::ShortBreak,
                vec![LearningDisabilities, Autism, PhysicalDisability, YoungerAdults],
            ));
            for centre in ["Scarbrook Day Centre", "Chadbeck Resource Centre", "Northmoor Community Support Team"] {
                items.push((
                    format!("{centre}{n}"),
                    ServiceKind::DayServices,
                    Style::Day,
                    vec![LearningDisabilities, Autism, PhysicalDisability],
                ));
            }
        }
        for (name, kind, style, specialisms) in items {
            self.names.claim_service(&name);
            let mut d = self.draft(kind, style, PlannedContract::simple(ContractStatus::InHouse), specialisms);
            if kind == ServiceKind::ShortBreaks {
                d.beds = Some(12);
            }
            self.add_service(p, name, d);
        }
        Ok(())
    }

    fn care_homes(&mut self) -> Result<(), DemoError> {
        use Specialism::*;
        let mut drafts = Vec::new();
        // Older people's homes: 39 residential, 41 nursing (per scale).
        let older = self.contracts(&[
            (self.n(48), PlannedContract::framework(CARE_HOMES_FW, "")),
            (self.n(6), PlannedContract::simple(ContractStatus::BlockContract)),
            (self.n(20), PlannedContract::simple(ContractStatus::SpotPurchase)),
            (self.n(6), PlannedContract::simple(ContractStatus::NotContracted)),
        ])?;
        let nursing_older = self.n(41);
        for (i, mut c) in older.into_iter().enumerate() {
            let kind = if i < nursing_older { ServiceKind::CareHomeNursing } else { ServiceKind::CareHomeResidential };
            let sp = specialisms(
                &mut self.rng,
                &[OlderPeople],
                &[(Dementia, 0.6), (PhysicalDisability, 0.3), (SensoryImpairment, 0.15), (MentalHealth, 0.1)],
            );
            if c.status == ContractStatus::Framework {
                c.lot = Some(if sp.contains(&Dementia) {
                    "Dementia"
                } else if kind == ServiceKind::CareHomeNursing {
                    "Nursing"
                } else {
                    "Residential"
                });
            }
            let mut d = self.draft(kind, Style::CareHome, c, sp);
            d.beds = Some(if kind == ServiceKind::CareHomeNursing { self.rng.gen_range(36..=90) } else { self.rng.gen_range(20..=64) });
            if d.contract.status == ContractStatus::BlockContract {
                let beds = self.rng.gen_range(2..=5);
                d.notes = Some(match self.rng.gen_range(0..3) {
                    0 => format!("Somewhere Else to Assess: {beds} beds block-contracted for hospital discharge"),
                    1 => "Emergency residential bed: 1 bed block-contracted".to_string(),
                    _ => format!("Planned respite: {beds} beds block-contracted"),
                });
            }
            drafts.push(d);
        }
        // Working-age homes: 16 residential, 4 nursing (mental health).
        let working = self.contracts(&[
            (self.n(8), PlannedContract::simple(ContractStatus::DynamicPurchasingSystem)),
            (self.n(10), PlannedContract::simple(ContractStatus::SpotPurchase)),
            (self.n(2), PlannedContract::simple(ContractStatus::NotContracted)),
        ])?;
        let wa_nursing = self.n(4);
        let wa_ld = self.n(12);
        for (i, c) in working.into_iter().enumerate() {
            let kind = if i < wa_nursing { ServiceKind::CareHomeNursing } else { ServiceKind::CareHomeResidential };
            let learning = i >= wa_nursing && i < wa_nursing + wa_ld;
            let sp = if learning {
                specialisms(
                    &mut self.rng,
                    &[LearningDisabilities, YoungerAdults],
                    &[(Autism, 0.6), (PhysicalDisability, 0.3), (SensoryImpairment, 0.1)],
                )
            } else {
                specialisms(&mut self.rng, &[MentalHealth, YoungerAdults], &[(SubstanceMisuse, 0.25), (EatingDisorders, 0.05)])
            };
            let mut d = self.draft(kind, Style::CareHome, c, sp);
            d.beds = Some(self.rng.gen_range(20..=40));
            drafts.push(d);
        }
        self.assign(drafts, 0.3, (2, 6), &[], 0.0);
        Ok(())
    }

    fn home_care(&mut self) -> Result<(), DemoError> {
        use Specialism::*;
        let contracts = self.contracts(&[
            (self.n(20), PlannedContract::framework(HOME_CARE_FW, "General")),
            (self.n(10), PlannedContract::framework(HOME_CARE_FW, "High Dependency")),
            (self.n(2), PlannedContract::simple(ContractStatus::SpotPurchase)),
            (self.n(157), PlannedContract::simple(ContractStatus::NotContracted)),
        ])?;
        let mut drafts = Vec::new();
        for c in contracts {
            let sp = specialisms(
                &mut self.rng,
                &[],
                &[
                    (OlderPeople, 0.95),
                    (Dementia, 0.7),
                    (PhysicalDisability, 0.6),
                    (SensoryImpairment, 0.3),
                    (YoungerAdults, 0.5),
                    (LearningDisabilities, 0.3),
                    (MentalHealth, 0.3),
                ],
            );
            drafts.push(self.draft(ServiceKind::HomeCare, Style::HomeCare, c, sp));
        }
        self.assign(drafts, 0.12, (2, 3), &[], 0.0);
        Ok(())
    }

    fn supported_living(&mut self) -> Result<Vec<usize>, DemoError> {
        use Specialism::*;
        let contracts = self.contracts(&[
            (self.n(40), PlannedContract::framework(SUPPORTED_LIVING_FW, "Supported Living")),
            (self.n(27), PlannedContract::simple(ContractStatus::DirectAward)),
        ])?;
        let mut drafts = Vec::new();
        for c in contracts {
            let sp = specialisms(
                &mut self.rng,
                &[YoungerAdults],
                &[(LearningDisabilities, 0.8), (Autism, 0.6), (MentalHealth, 0.3), (PhysicalDisability, 0.25)],
            );
            drafts.push(self.draft(ServiceKind::SupportedLiving, Style::SupportedLiving, c, sp));
        }
        let mut providers = self.assign(drafts, 0.25, (2, 4), &[], 0.0);
        let enhanced = self.contracts(&[(self.n(8), PlannedContract::framework(SUPPORTED_LIVING_FW, "Enhanced Supported Living"))])?;
        let mut drafts = Vec::new();
        for c in enhanced {
            let sp = specialisms(&mut self.rng, &[LearningDisabilities, YoungerAdults], &[(Autism, 0.8), (MentalHealth, 0.3)]);
            drafts.push(self.draft(ServiceKind::EnhancedSupportedLiving, Style::Enhanced, c, sp));
        }
        // Half the enhanced services are run by supported living providers.
        let sl = providers.clone();
        providers.extend(self.assign(drafts, 0.0, (1, 1), &sl, 0.5));
        Ok(providers)
    }

    fn day_services(&mut self, sl_providers: &[usize]) -> Result<(), DemoError> {
        use Specialism::*;
        let contracts = self.contracts(&[
            (self.n(16), PlannedContract::framework(DAY_SERVICES_FW, "Building based")),
            (self.n(15), PlannedContract::framework(DAY_SERVICES_FW, "Community based")),
            (self.n(32), PlannedContract::simple(ContractStatus::DirectAward)),
        ])?;
        let mut drafts = Vec::new();
        for c in contracts {
            let sp = specialisms(
                &mut self.rng,
                &[],
                &[(LearningDisabilities, 0.8), (Autism, 0.5), (PhysicalDisability, 0.3), (OlderPeople, 0.25), (Dementia, 0.15)],
            );
            drafts.push(self.draft(ServiceKind::DayServices, Style::Day, c, sp));
        }
        self.assign(drafts, 0.1, (2, 3), sl_providers, 0.15);
        Ok(())
    }

    fn short_breaks(&mut self, sl_providers: &[usize]) -> Result<(), DemoError> {
        use Specialism::*;
        let contracts = self.contracts(&[
            (self.n(3), PlannedContract::simple(ContractStatus::DirectAward)),
            (self.n(1), PlannedContract::simple(ContractStatus::SpotPurchase)),
        ])?;
        let mut drafts = Vec::new();
        for c in contracts {
            let sp = specialisms(&mut self.rng, &[LearningDisabilities, YoungerAdults], &[(Autism, 0.7), (PhysicalDisability, 0.6)]);
            let mut d = self.draft(ServiceKind::ShortBreaks, Style::ShortBreak, c, sp);
            d.beds = Some(self.rng.gen_range(4..=10));
            drafts.push(d);
        }
        self.assign(drafts, 0.0, (1, 1), sl_providers, 0.5);
        Ok(())
    }

    fn extra_care(&mut self) -> Result<(), DemoError> {
        use Specialism::*;
        let contracts = self.contracts(&[
            (self.n(5), PlannedContract::simple(ContractStatus::BlockContract)),
            (self.n(2), PlannedContract::simple(ContractStatus::DirectAward)),
            (self.n(1), PlannedContract::simple(ContractStatus::NotContracted)),
        ])?;
        let mut drafts = Vec::new();
        for c in contracts {
            let sp = specialisms(&mut self.rng, &[OlderPeople], &[(Dementia, 0.4), (PhysicalDisability, 0.5)]);
            drafts.push(self.draft(ServiceKind::ExtraCare, Style::ExtraCare, c, sp));
        }
        self.assign(drafts, 0.25, (2, 2), &[], 0.0);
        Ok(())
    }

    fn mental_health(&mut self) -> Result<(), DemoError> {
        use Specialism::*;
        let contracts = self.contracts(&[
            (self.n(5), PlannedContract::framework(MENTAL_HEALTH_FW, "Targeted Help")),
            (self.n(7), PlannedContract::framework(MENTAL_HEALTH_FW, "Ongoing Care")),
            (self.n(4), PlannedContract::simple(ContractStatus::DirectAward)),
        ])?;
        let mut drafts = Vec::new();
        for c in contracts {
            let sp = specialisms(&mut self.rng, &[MentalHealth, YoungerAdults], &[(SubstanceMisuse, 0.3)]);
            drafts.push(self.draft(ServiceKind::MentalHealthSupport, Style::MentalHealth, c, sp));
        }
        let mh = self.assign(drafts, 0.0, (1, 1), &[], 0.0);
        // Supported accommodation schemes, commissioned directly on block contracts; one is run
        // by a framework provider alongside its outreach support (`000`).
        let contracts = self.contracts(&[(self.n(3), PlannedContract::simple(ContractStatus::BlockContract))])?;
        let mut drafts = Vec::new();
        for c in contracts {
            let sp = specialisms(&mut self.rng, &[MentalHealth], &[(SubstanceMisuse, 0.3)]);
            drafts.push(self.draft(ServiceKind::SupportedAccommodation, Style::Accommodation, c, sp));
        }
        self.assign(drafts, 0.0, (1, 1), &mh, 0.34);
        // An independent Shared Lives scheme alongside the council's own.
        let contracts = self.contracts(&[(self.n(1), PlannedContract::simple(ContractStatus::DirectAward))])?;
        let mut drafts = Vec::new();
        for c in contracts {
            let sp = specialisms(&mut self.rng, &[LearningDisabilities], &[(OlderPeople, 0.5), (MentalHealth, 0.5)]);
            drafts.push(self.draft(ServiceKind::SharedLives, Style::SharedLives, c, sp));
        }
        self.assign(drafts, 0.0, (1, 1), &[], 0.0);
        Ok(())
    }

    fn money_management(&mut self) -> Result<(), DemoError> {
        let contracts = self.contracts(&[(self.n(5), PlannedContract::simple(ContractStatus::RecognisedProviderList))])?;
        let mut drafts = Vec::new();
        for c in contracts {
            drafts.push(self.draft(ServiceKind::MoneyManagement, Style::Money, c, Vec::new()));
        }
        self.assign(drafts, 0.0, (1, 1), &[], 0.0);
        Ok(())
    }

    /// Services in neighbouring councils where Northmoor places people; returns their indices,
    /// the ones bought by spot purchase (where people are placed) first.
    fn out_of_area(&mut self) -> Result<Vec<usize>, DemoError> {
        use Specialism::*;
        let first = self.services.len();
        let mut drafts = Vec::new();
        let kinds = [
            (self.n(8), ServiceKind::CareHomeNursing, Style::CareHome),
            (self.n(9), ServiceKind::CareHomeResidential, Style::CareHome),
            (self.n(5), ServiceKind::SupportedLiving, Style::SupportedLiving),
            (self.n(3), ServiceKind::EnhancedSupportedLiving, Style::Enhanced),
        ];
        for (n, kind, style) in kinds {
            for _ in 0..n {
                let sp = match kind {
                    ServiceKind::CareHomeNursing if self.rng.gen_bool(0.7) => {
                        specialisms(&mut self.rng, &[OlderPeople, Dementia], &[(PhysicalDisability, 0.4)])
                    }
                    ServiceKind::CareHomeNursing => specialisms(&mut self.rng, &[MentalHealth, YoungerAdults], &[]),
                    ServiceKind::CareHomeResidential if self.rng.gen_bool(0.5) => {
                        specialisms(&mut self.rng, &[LearningDisabilities, YoungerAdults], &[(Autism, 0.7)])
                    }
                    ServiceKind::CareHomeResidential => {
                        specialisms(&mut self.rng, &[MentalHealth, YoungerAdults], &[(SubstanceMisuse, 0.3)])
                    }
                    _ => specialisms(&mut self.rng, &[LearningDisabilities, YoungerAdults], &[(Autism, 0.7)]),
                };
                let district = geo::pick_district(&mut self.rng, &geo::OUT_OF_AREA);
                let beds = if kind.is_care_home() { Some(self.rng.gen_range(20..=70)) } else { None };
                drafts.push(Draft {
                    kind,
                    style,
                    contract: PlannedContract::simple(ContractStatus::SpotPurchase),
                    specialisms: sp,
                    beds,
                    district,
                    in_area: false,
                    notes: None,
                    forced: None,
                });
            }
        }
        drafts.shuffle(&mut self.rng);
        // The last three per scale are not contracted; two (per scale) placements' homes are
        // poorly rated so the placements page has something to flag.
        let total = drafts.len();
        for (i, d) in drafts.iter_mut().enumerate() {
            if i >= total - self.n(3) {
                d.contract = PlannedContract::simple(ContractStatus::NotContracted);
            } else if i % 25 == 0 {
                d.forced = Some(Rating::RequiresImprovement);
            } else if i % 25 == 1 {
                d.forced = Some(Rating::Inadequate);
            }
        }
        // Keep the draft order so the forced ratings land where intended.
        for d in drafts {
            let brand = self.names.compound(&mut self.rng);
            let pname = self.provider_name(d.style, &brand, false);
            let p = self.add_provider(pname);
            let name = self.service_name(&d, &brand, false);
            self.add_service(p, name, d);
        }
        Ok((first..self.services.len())
            .filter(|&i| self.services.get(i).is_some_and(|s| s.contract.status == ContractStatus::SpotPurchase))
            .collect())
    }

    /// Decide each CQC-registered service's rating story, then its registration date and
    /// history. Quotas per scale: 8 new services (2 care homes, `004` §4.22's "2 recently opened
    /// homes"), 16 last inspected before 2020 (`004` §4.22), 8 rating changes in the last 90
    /// days (5 falls, 3 rises).
    fn assign_profiles(&mut self, seed: u64) -> Result<(), DemoError> {
        let mut rng = sub_rng(seed, 2);
        let today = self.today;
        let eligible = |s: &PlannedService, kinds: &[ServiceKind]| {
            s.in_area && s.registration_status == "registered" && s.profile.is_none() && kinds.contains(&s.kind)
        };
        // New services are not yet on a framework or in-house.
        let new_quota = [
            (ServiceKind::CareHomeResidential, self.n(1)),
            (ServiceKind::CareHomeNursing, self.n(1)),
            (ServiceKind::HomeCare, self.n(4)),
            (ServiceKind::SupportedLiving, self.n(2)),
        ];
        let mut count = 0usize;
        for (kind, quota) in new_quota {
            let mut pool: Vec<usize> = (0..self.services.len())
                .filter(|&i| {
                    self.services.get(i).is_some_and(|s| {
                        eligible(s, &[kind]) && !matches!(s.contract.status, ContractStatus::Framework | ContractStatus::InHouse)
                    })
                })
                .collect();
            pool.shuffle(&mut rng);
            for i in pool.into_iter().take(quota) {
                if let Some(s) = self.services.get_mut(i) {
                    s.profile = Some(Profile::New(count.is_multiple_of(2)));
                    count += 1;
                }
            }
        }
        let main_kinds =
            [ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing, ServiceKind::HomeCare, ServiceKind::SupportedLiving];
        let mut pool: Vec<usize> =
            (0..self.services.len()).filter(|&i| self.services.get(i).is_some_and(|s| eligible(s, &main_kinds))).collect();
        pool.shuffle(&mut rng);
        let mut pool = pool.into_iter();
        use Rating::*;
        let changes = [
            (Good, RequiresImprovement),
            (Good, RequiresImprovement),
            (RequiresImprovement, Inadequate),
            (Good, Inadequate),
            (Good, RequiresImprovement),
            (RequiresImprovement, Good),
            (Inadequate, RequiresImprovement),
            (Good, Outstanding),
        ];
        for _ in 0..self.scale {
            for (from, to) in changes {
                if let Some(s) = pool.next().and_then(|i| self.services.get_mut(i)) {
                    s.profile = Some(Profile::Changed(from, to));
                }
            }
        }
        for _ in 0..self.n(16) {
            if let Some(s) = pool.next().and_then(|i| self.services.get_mut(i)) {
                s.profile = Some(Profile::Stale);
            }
        }
        for s in self.services.iter_mut() {
            if s.registration_status != "registered" {
                continue;
            }
            let profile = s.profile.unwrap_or(Profile::Established);
            s.profile = Some(profile);
            let registered = ratings::registration_date(&mut rng, profile, today)?;
            s.registration_date = Some(registered);
            s.ratings = ratings::history(&mut rng, s.kind, profile, registered, today)?;
            // A contract cannot start before the service was registered.
            if let Some(start) = s.contract.start
                && start < registered
            {
                s.contract.start = Some(add_days(registered, 30)?.min(today));
            }
        }
        Ok(())
    }

    /// CQC provider ids for providers with a registered service, CQC location ids, and each
    /// provider's address (its first service's).
    fn finish_providers(&mut self) {
        let mut loc = 0u64;
        let salt = self.salt;
        for s in self.services.iter_mut() {
            if s.registration_status == "registered" {
                loc += 1;
                s.cqc_location_id = Some(format!("1-9{:09}", scramble(loc, salt)));
            }
        }
        let mut first: Vec<Option<usize>> = vec![None; self.providers.len()];
        let mut registered = vec![false; self.providers.len()];
        for (i, s) in self.services.iter().enumerate() {
            if let Some(f) = first.get_mut(s.provider) {
                f.get_or_insert(i);
            }
            if let Some(r) = registered.get_mut(s.provider) {
                *r |= s.registration_status == "registered";
            }
        }
        let mut n = 0u64;
        for (i, p) in self.providers.iter_mut().enumerate() {
            if registered.get(i).copied().unwrap_or(false) {
                n += 1;
                p.cqc_provider_id = Some(format!("1-8{:09}", scramble(n, salt ^ 0x5A5A)));
            }
            if let Some(s) = first.get(i).copied().flatten().and_then(|f| self.services.get(f)) {
                p.address = Some(format!("{}, {}", s.address_line, s.town));
                p.postcode = Some(s.postcode.clone());
            }
        }
    }
}

const REASONS: [(&str, u32); 7] = [
    ("Family nearby", 6),
    ("Specialist placement not available locally", 6),
    ("Person's choice", 3),
    ("Specialist dementia nursing care", 2),
    ("Emergency placement: no local vacancy at the time", 2),
    ("Forensic mental health step-down", 1),
    ("Moved with their provider when the service relocated", 1),
];

/// About 20 (per scale) people placed at out-of-area services by spot purchase.
fn placements(opts: &DemoOptions, services: &[PlannedService], spot: &[usize]) -> Result<Vec<PlannedPlacement>, DemoError> {
    let mut rng = sub_rng(opts.seed, 3);
    let mut out = Vec::new();
    if spot.is_empty() {
        return Ok(out);
    }
    // create_placement refuses a start date after the real today.
    let latest_start = add_days(opts.today, -14)?.min(caremarket_store::today());
    let n = 20 * opts.scale as usize;
    let salt = opts.seed % 900_000;
    // Poorly rated services first, so each has someone placed; then at random.
    let poorly_rated: Vec<usize> =
        spot.iter().copied().filter(|&i| services.get(i).is_some_and(|s| matches!(s.profile, Some(Profile::EstablishedAs(_))))).collect();
    for i in 0..n {
        let service = match poorly_rated.get(i) {
            Some(&s) => s,
            None => pick(&mut rng, spot),
        };
        let Some(s) = services.get(service) else {
            continue;
        };
        let reason = {
            let total: u32 = REASONS.iter().map(|r| r.1).sum();
            let mut k = rng.gen_range(0..total);
            let mut chosen = REASONS[0].0;
            for (r, w) in REASONS {
                if k < w {
                    chosen = r;
                    break;
                }
                k -= w;
            }
            chosen
        };
        let funder = match rng.gen_range(0..20) {
            0..15 => "council",
            15..19 => "nhs",
            _ => "other_council",
        };
        let earliest = s.registration_date.map_or(Ok(add_days(opts.today, -6 * 365)?), |d| add_days(d, 30))?;
        let start = between(&mut rng, earliest.max(add_days(opts.today, -6 * 365)?), latest_start)?.min(latest_start);
        let host_restrictions = match s.current_rating() {
            Some(Rating::Inadequate) => Some(format!("{} has placed an embargo on new placements at this service", s.local_authority)),
            // A fact about the service, so the same for everyone placed there.
            Some(Rating::RequiresImprovement) if service % 2 == 0 => {
                Some(format!("{} is monitoring an action plan; check before any new placement", s.local_authority))
            }
            _ => None,
        };
        out.push(PlannedPlacement {
            // A bijection on 0..900,000 (614,657 is coprime to it): references never repeat.
            person_ref: format!("NM-{}", 100_000 + ((i as u64 + 1) * 614_657 + salt) % 900_000),
            service,
            host_authority: s.local_authority.clone(),
            funder,
            reason,
            start_date: start,
            host_restrictions,
        });
    }
    Ok(out)
}
