//! Assemble the quarterly report as at a date: load the facts from the store, make each figure
//! with core's rule for it (the same functions the dashboards use), and put the officers'
//! narrative beside them. Written once: the pages, the Word document and the CLI all call
//! [`build_quarterly`].

use caremarket_core::Date;
use caremarket_core::capacity::brokerage::{awaiting, discharge_within_48_hours};
use caremarket_core::capacity::vacancies::{BlockBedKind, occupancy_table};
use caremarket_core::direct_payments::equality::{SUPPRESS_BELOW, count_by, publishable, published_count};
use caremarket_core::direct_payments::figures as dp;
use caremarket_core::governance::quarter::Quarter;
use caremarket_core::register::{ClosureReason, ContractStatus, ServiceKind, count_closures};
use caremarket_core::register::{CountedService, market_counts};
use caremarket_core::reports::quarterly::{
    Chart, Figure, Market, QuarterlyReport, Section, SectionReport, Table, Unit, When, format_value, long_date, whole_percent,
};
use caremarket_store::reports::ServiceFact;
use caremarket_store::{Store, StoreError};
use std::collections::{BTreeMap, BTreeSet};

type Result<T> = std::result::Result<T, StoreError>;

/// The window a "over the last year" figure counts: the 12 months ending on the date.
fn year_to(as_at: Date) -> Date {
    as_at.checked_sub(jiff::Span::new().years(1)).and_then(|d| d.tomorrow()).unwrap_or(as_at)
}

/// The financial year to date: 1 April to the date.
fn financial_year_to(as_at: Date) -> Date {
    let q = Quarter::containing(as_at);
    Date::new(q.year, 4, 1).unwrap_or(as_at)
}

/// The six months ending on the date (`000`: "Between May 2024 to November 2024").
fn six_months_to(as_at: Date) -> Date {
    as_at.checked_sub(jiff::Span::new().months(6)).and_then(|d| d.tomorrow()).unwrap_or(as_at)
}

struct F<'a> {
    key: &'a str,
    label: &'a str,
    value: Option<i64>,
    unit: Unit,
    context: String,
    definition: &'a str,
    when: When,
    source: &'a str,
    link: Option<String>,
}

fn figure(f: F<'_>) -> Figure {
    Figure {
        key: f.key.to_string(),
        label: f.label.to_string(),
        value: f.value,
        unit: f.unit,
        context: f.context,
        definition: f.definition.to_string(),
        when: f.when,
        source: f.source.to_string(),
        link: f.link,
    }
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{} {one}s", count(n as i64)) }
}

fn count(n: i64) -> String {
    format_value(n, Unit::Count)
}

fn kinds_query(kinds: &[ServiceKind]) -> String {
    kinds.iter().map(|k| format!("kind={}", k.as_str())).collect::<Vec<_>>().join("&")
}

/// Everything the report reads, loaded once.
struct Facts {
    as_at: Date,
    services: Vec<ServiceFact>,
    national: BTreeMap<ServiceKind, (f64, String)>,
}

/// Build the report as at `as_at`. A published quarter is returned as it was frozen.
pub async fn build_quarterly(store: &Store, as_at: Date) -> Result<QuarterlyReport> {
    if let Some(r) = store.published_report(as_at).await? {
        return Ok(r);
    }
    let council = store.setting("council_name").await?.unwrap_or_else(|| "Council".to_string());
    let markets = store.report_market_kinds().await?;
    let facts = Facts {
        as_at,
        services: store.service_facts_as_at(as_at).await?,
        national: store.national_benchmarks().await?.into_iter().map(|b| (b.kind, (b.percent_good_or_outstanding, b.as_at))).collect(),
    };
    let narratives = store.report_narratives(as_at).await?;
    let mut sections = Vec::new();
    for market in Market::ALL {
        let kinds = markets.kinds(market).to_vec();
        for &section in market.sections() {
            let (figures, tables) = match (market, section) {
                (Market::SelfDirectedSupport, Section::Sufficiency) => sds_sufficiency(store, as_at).await?,
                (Market::SelfDirectedSupport, _) => sds_value(store, as_at).await?,
                (_, Section::Sufficiency) => sufficiency(store, &facts, market, &kinds).await?,
                (_, Section::Quality) => quality(store, &facts, market, &kinds).await?,
                (_, Section::ValueForMoney) => (Vec::new(), Vec::new()),
            };
            let n = narratives.iter().find(|n| n.market == market && n.section == section);
            sections.push(SectionReport {
                market,
                section,
                figures,
                tables,
                narrative: n.map(|n| n.narrative.clone()).unwrap_or_default(),
                action_plan: n.map(|n| n.action_plan.clone()).unwrap_or_default(),
            });
        }
    }
    Ok(QuarterlyReport {
        council,
        as_at,
        title: QuarterlyReport::title_for(as_at),
        front_matter: store.report_front_matter().await?,
        delivery_plan: delivery_plan(store, as_at).await?,
        sections,
        computed_at: caremarket_store::now_timestamp(),
        published: None,
    })
}

async fn delivery_plan(store: &Store, as_at: Date) -> Result<Option<Table>> {
    let Some(summary) = store.delivery_plans().await?.into_iter().next() else { return Ok(None) };
    let plan = store.delivery_plan(&summary.id).await?;
    let mut rows = Vec::new();
    for (theme, standing) in plan.as_at(as_at) {
        for (i, (m, u)) in standing.into_iter().enumerate() {
            rows.push(vec![
                if i == 0 { crate::governance::plain_text(&theme.title) } else { String::new() },
                crate::governance::plain_text(&m.action),
                u.map(|u| crate::governance::plain_text(&u.text)).unwrap_or_default(),
                u.map(|u| crate::governance::plain_text(&u.by_when.text)).unwrap_or_default(),
                u.and_then(|u| u.status).map(|s| s.label().to_string()).unwrap_or_else(|| "No status".into()),
            ]);
        }
    }
    Ok(Some(Table {
        key: "delivery_plan".into(),
        caption: format!("{}: the plan as it stood on {}", plan.header.title, long_date(as_at)),
        head: ["Theme / indicator", "Milestone / action", "Update", "By when", "Status"].map(String::from).to_vec(),
        rows,
        definition: "Each milestone on the plan by the date, with its latest update dated on or before it".into(),
        when: When::AsAt { date: as_at },
        source: "Delivery plan".into(),
        link: Some(format!("/governance/delivery-plans/{}?as_at={as_at}", plan.id)),
        chart: None,
    }))
}

/// Services of the market's kinds in the council's area on CQC's register on the date.
fn market_services<'a>(facts: &'a Facts, kinds: &[ServiceKind]) -> Vec<&'a ServiceFact> {
    facts.services.iter().filter(|s| s.in_area && kinds.contains(&s.kind) && s.registered_on(facts.as_at)).collect()
}

async fn sufficiency(store: &Store, facts: &Facts, market: Market, kinds: &[ServiceKind]) -> Result<(Vec<Figure>, Vec<Table>)> {
    let as_at = facts.as_at;
    let at = When::AsAt { date: as_at };
    let services = market_services(facts, kinds);
    let mut figures = Vec::new();
    let mut tables = Vec::new();
    let providers: BTreeSet<&str> = services.iter().map(|s| s.provider_id.as_str()).collect();
    figures.push(figure(F {
        key: "services",
        label: "Registered services",
        value: (!services.is_empty()).then_some(services.len() as i64),
        unit: Unit::Count,
        context: format!("run by {}", plural(providers.len(), "provider")),
        definition: "Services of this market's kinds in the council's area on CQC's register on the date",
        when: at,
        source: "Register (CQC data)",
        link: Some(format!("/services?{}", kinds_query(kinds))),
    }));
    // By kind and contract status (`000`: "46 providers … through Direct Awards").
    let mut rows = Vec::new();
    for k in kinds {
        let of_kind: Vec<&&ServiceFact> = services.iter().filter(|s| s.kind == *k).collect();
        if of_kind.is_empty() {
            continue;
        }
        let on = |c: ContractStatus| of_kind.iter().filter(|s| s.contract_status == c).count();
        let framework_providers: BTreeSet<&str> =
            of_kind.iter().filter(|s| s.contract_status == ContractStatus::Framework).map(|s| s.provider_id.as_str()).collect();
        rows.push(vec![
            k.label().to_string(),
            of_kind.len().to_string(),
            format!("{} ({})", on(ContractStatus::Framework), plural(framework_providers.len(), "provider")),
            of_kind
                .iter()
                .filter(|s| s.contract_status.is_contracted() && s.contract_status != ContractStatus::Framework)
                .count()
                .to_string(),
            of_kind.iter().filter(|s| !s.contract_status.is_contracted()).count().to_string(),
        ]);
    }
    if !rows.is_empty() {
        tables.push(Table {
            key: "by_contract".into(),
            caption: "Services by kind and contract".into(),
            head: ["Kind", "Services", "On a framework", "Other contracts (spot, block, DPS, direct award)", "No contract"]
                .map(String::from)
                .to_vec(),
            rows,
            definition: "Registered services of each kind on the date, by the contract the council held with them at the end of that day"
                .into(),
            when: at,
            source: "Register and contract frameworks".into(),
            link: Some(format!("/services?{}", kinds_query(kinds))),
            chart: None,
        });
    }
    // Entries and exits over the year (`000`: "No new entrants in last year").
    let from = year_to(as_at);
    let window = When::Between { from, to: as_at };
    let in_market = |s: &&ServiceFact| s.in_area && kinds.contains(&s.kind);
    let entered = facts.services.iter().filter(in_market).filter(|s| s.registered_on.is_some_and(|d| d >= from && d <= as_at)).count();
    let left = facts.services.iter().filter(in_market).filter(|s| s.deregistered_on.is_some_and(|d| d >= from && d <= as_at)).count();
    let any_history = facts.services.iter().filter(in_market).any(|s| s.registered_on.is_some());
    figures.push(figure(F {
        key: "entries",
        label: "Services that entered the market",
        value: any_history.then_some(entered as i64),
        unit: Unit::Count,
        context: String::new(),
        definition: "Services of this market's kinds in the area first registered with CQC in the window",
        when: window,
        source: "Register (CQC registration dates)",
        link: None,
    }));
    figures.push(figure(F {
        key: "exits",
        label: "Services that left the market",
        value: any_history.then_some(left as i64),
        unit: Unit::Count,
        context: String::new(),
        definition: "Services of this market's kinds in the area deregistered by CQC in the window",
        when: window,
        source: "Register (CQC deregistration dates)",
        link: Some("/services?registration=deregistered".into()),
    }));
    if let Some(t) = closures_by_reason(facts, kinds, from) {
        tables.push(t);
    }
    if market == Market::LivingAndAgeingWell {
        care_homes(store, as_at, kinds, &mut figures, &mut tables).await?;
        home_care(store, as_at, &mut figures).await?;
    }
    Ok((figures, tables))
}

/// Closures by the reason the council recorded, in the year and since the first closure on
/// record (`000`: "Since 2015, 5 homes have closed related to practice, and 13 for financial
/// reasons"). Services with no reason recorded are counted on their own row, so the columns add
/// up to the services that left.
fn closures_by_reason(facts: &Facts, kinds: &[ServiceKind], from: Date) -> Option<Table> {
    let as_at = facts.as_at;
    let closed: Vec<(Date, Option<ClosureReason>)> = facts
        .services
        .iter()
        .filter(|s| s.in_area && kinds.contains(&s.kind))
        .filter_map(|s| Some((s.deregistered_on.filter(|d| *d <= as_at)?, s.closure_reason)))
        .collect();
    let since = closed.iter().map(|(d, _)| *d).min()?;
    let year = count_closures(closed.iter().copied(), Some(from), as_at);
    let all = count_closures(closed.iter().copied(), None, as_at);
    let mut rows: Vec<Vec<String>> =
        year.by_reason.iter().zip(&all.by_reason).map(|((r, y), (_, a))| vec![r.label().to_string(), count(*y), count(*a)]).collect();
    if all.not_recorded > 0 {
        rows.push(vec!["Reason not recorded".into(), count(year.not_recorded), count(all.not_recorded)]);
    }
    rows.push(vec!["All closures".into(), count(year.total()), count(all.total())]);
    Some(Table {
        key: "closures_by_reason".into(),
        caption: "Services that closed, by reason".into(),
        head: vec!["Reason".into(), When::Between { from, to: as_at }.label(), format!("Since {}", long_date(since))],
        rows,
        definition: "Services of this market's kinds in the area deregistered by CQC, by the reason the council recorded against each"
            .into(),
        when: When::Between { from: since, to: as_at },
        source: "Register (CQC deregistration dates; closure reasons recorded by the council)".into(),
        link: Some(format!("/services?registration=deregistered&{}", kinds_query(kinds))),
        chart: Some(Chart {
            title: format!("Services that closed by reason, since {}", long_date(since)),
            bars: all.by_reason.iter().map(|(r, n)| (r.label().to_string(), *n)).collect(),
            suffix: String::new(),
        }),
    })
}

/// `000`'s occupancy table by bed type, homes and beds on the framework, and block beds.
async fn care_homes(store: &Store, as_at: Date, kinds: &[ServiceKind], figures: &mut Vec<Figure>, tables: &mut Vec<Table>) -> Result<()> {
    let at = When::AsAt { date: as_at };
    let homes: Vec<_> = store.latest_vacancy_returns(as_at).await?.into_iter().filter(|h| kinds.contains(&h.kind)).collect();
    let returned: Vec<_> = homes.iter().filter(|h| h.return_date.is_some()).collect();
    if !returned.is_empty() {
        let table = occupancy_table(returned.iter().flat_map(|h| h.lines.iter()));
        tables.push(Table {
            key: "occupancy".into(),
            caption: format!("Care home occupancy by bed type, {}", long_date(as_at)),
            head: ["Vacancy type", "Occupied %", "Occupied", "Vacancies"].map(String::from).to_vec(),
            rows: table
                .iter()
                .map(|r| {
                    vec![
                        r.label.to_string(),
                        r.occupied_percent.map(|p| format!("{p}%")).unwrap_or_else(|| "No beds".into()),
                        r.occupied.to_string(),
                        r.vacancies.to_string(),
                    ]
                })
                .collect(),
            definition: "Beds occupied and vacant in each home's latest vacancy return on or before the date, summed by bed type".into(),
            when: at,
            source: "Care home vacancy returns".into(),
            link: Some(format!("/capacity/homes?as_at={as_at}")),
            chart: Some(Chart {
                title: format!("Care home beds occupied by bed type, {}", long_date(as_at)),
                bars: table.iter().filter_map(|r| Some((r.label.to_string(), r.occupied_percent?))).collect(),
                suffix: "%".into(),
            }),
        });
        let occ: i64 = returned.iter().map(|h| h.occupied()).sum();
        let vac: i64 = returned.iter().map(|h| h.vacant()).sum();
        figures.push(figure(F {
            key: "occupancy",
            label: "Care home beds occupied",
            value: whole_percent(occ, occ + vac),
            unit: Unit::Percent,
            context: format!("({} of {} beds in {} of {} homes with a return)", count(occ), count(occ + vac), returned.len(), homes.len()),
            definition: "Occupied beds as a share of occupied and vacant beds in each home's latest return on or before the date",
            when: at,
            source: "Care home vacancy returns",
            link: Some(format!("/capacity/homes?as_at={as_at}")),
        }));
    }
    let framework: Vec<_> = homes.iter().filter(|h| h.on_framework()).collect();
    let fw_providers: BTreeSet<&str> = framework.iter().map(|h| h.provider_id.as_str()).collect();
    let fw_beds: i64 = framework.iter().filter_map(|h| h.beds).sum();
    figures.push(figure(F {
        key: "framework_homes",
        label: "Care homes on the framework",
        value: (!homes.is_empty()).then_some(framework.len() as i64),
        unit: Unit::Count,
        context: format!("run by {}, with {} registered beds", plural(fw_providers.len(), "provider"), count(fw_beds)),
        definition: "Care homes whose contract with the council is a framework place, with their providers and CQC registered beds",
        when: at,
        source: "Register and contract frameworks",
        link: Some("/services?contract_status=framework&kind=care_home_residential&kind=care_home_nursing".into()),
    }));
    let blocks = store.block_beds(as_at).await?;
    if !blocks.is_empty() {
        let rows = [BlockBedKind::SomewhereElseToAssess, BlockBedKind::Emergency, BlockBedKind::PlannedRespite]
            .into_iter()
            .filter_map(|k| {
                let of: Vec<_> = blocks.iter().filter(|b| b.kind == k).collect();
                let homes: BTreeSet<&str> = of.iter().map(|b| b.service_id.as_str()).collect();
                (!of.is_empty())
                    .then(|| vec![k.label().to_string(), homes.len().to_string(), of.iter().map(|b| b.beds).sum::<i64>().to_string()])
            })
            .collect();
        tables.push(Table {
            key: "block_beds".into(),
            caption: "Beds under block contract".into(),
            head: ["Arrangement", "Care homes", "Beds"].map(String::from).to_vec(),
            rows,
            definition: "Block contracts in force on the date, by arrangement".into(),
            when: at,
            source: "Block bed contracts".into(),
            link: Some("/capacity".into()),
            chart: None,
        });
    }
    Ok(())
}

/// Home care: packages awaiting care on the date, and hospital discharges started within 48 hours.
async fn home_care(store: &Store, as_at: Date, figures: &mut Vec<Figure>) -> Result<()> {
    let tz = jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC);
    let end = as_at.tomorrow().ok().and_then(|d| d.to_zoned(tz.clone()).ok()).map(|z| z.timestamp()).unwrap_or_else(jiff::Timestamp::now);
    let all = store.package_requests("all").await?;
    // Waiting at the end of the date: requested by then, not started by then, not cancelled.
    let waiting: Vec<(String, jiff::Timestamp)> = all
        .iter()
        .filter(|r| r.status != "cancelled")
        .filter_map(|r| {
            let req = r.requested().ok()?;
            let started = r.started_at.as_deref().and_then(|s| s.parse::<jiff::Timestamp>().ok());
            (req < end && started.is_none_or(|s| s >= end) && (started.is_some() || r.is_waiting())).then(|| (r.person_ref.clone(), req))
        })
        .collect();
    let a = awaiting(&waiting, end);
    figures.push(figure(F {
        key: "awaiting",
        label: "Home care packages awaiting a provider",
        value: (!all.is_empty()).then_some(a.packages_waiting),
        unit: Unit::Count,
        context: format!(
            "with {} waiting over 4 hours",
            if a.people_waiting_over_4_hours == 1 { "1 person".to_string() } else { format!("{} people", a.people_waiting_over_4_hours) }
        ),
        definition: "Package requests made by the end of the date and not started by then (cancelled requests excluded)",
        when: When::AsAt { date: as_at },
        source: "Brokerage",
        link: Some("/brokerage".into()),
    }));
    let from = six_months_to(as_at);
    let d = store.discharge_packages(from, as_at).await?;
    let pairs: Vec<_> =
        d.iter().filter_map(|r| r.requested().ok().map(|t| (t, r.started_at.as_deref().and_then(|s| s.parse().ok())))).collect();
    let f = discharge_within_48_hours(&pairs);
    figures.push(figure(F {
        key: "discharge_48h",
        label: "Hospital discharge packages started within 48 hours",
        value: f.percent,
        unit: Unit::Percent,
        context: format!("({} of {} brokered)", f.started_within_48_hours, f.brokered),
        definition: "Hospital discharge packages requested in the window that started no more than 48 hours after the request",
        when: When::Between { from, to: as_at },
        source: "Brokerage",
        link: Some(format!("/brokerage/discharge?from={from}&to={as_at}")),
    }));
    Ok(())
}

async fn quality(store: &Store, facts: &Facts, market: Market, kinds: &[ServiceKind]) -> Result<(Vec<Figure>, Vec<Table>)> {
    let as_at = facts.as_at;
    let at = When::AsAt { date: as_at };
    let counted: Vec<CountedService> = market_services(facts, kinds)
        .into_iter()
        .map(|s| CountedService { kind: s.kind, contract_status: s.contract_status, overall: s.overall })
        .collect();
    let counts = market_counts(&counted, |k| facts.national.get(&k).map(|n| n.0));
    let mut figures = Vec::new();
    let mut tables = Vec::new();
    let rated: i64 = counts.by_kind.iter().map(|k| k.rated).sum();
    let good: i64 = counts.by_kind.iter().map(|k| k.good_or_outstanding).sum();
    figures.push(figure(F {
        key: "good_or_outstanding",
        label: "Services rated Good or Outstanding by CQC",
        value: whole_percent(good, rated),
        unit: Unit::Percent,
        context: format!("({good} of {rated} rated services)"),
        definition: "Overall CQC rating of the latest report published on or before the date, of rated services of this market's kinds in the area",
        when: at,
        source: "Register (CQC ratings)",
        link: Some(format!("/services?{}&rating=good_or_outstanding", kinds_query(kinds))),
    }));
    let rows: Vec<Vec<String>> = counts
        .by_kind
        .iter()
        .map(|k| {
            vec![
                k.kind.label().to_string(),
                k.rated.to_string(),
                k.good_or_outstanding.to_string(),
                k.percent_good_or_outstanding.map(|p| format!("{}%", p.round())).unwrap_or_else(|| "None rated".into()),
                k.national_percent.map(|p| format!("{}%", p.round())).unwrap_or_else(|| "Not known".into()),
            ]
        })
        .collect();
    if !rows.is_empty() {
        let sources: BTreeSet<String> = counts
            .by_kind
            .iter()
            .filter_map(|k| facts.national.get(&k.kind))
            .map(|(_, a)| a.get(..10).and_then(|d| d.parse::<Date>().ok()).map(long_date).unwrap_or_else(|| a.clone()))
            .collect();
        tables.push(Table {
            key: "ratings_by_kind".into(),
            caption: "CQC ratings by kind, against England".into(),
            head: ["Kind", "Rated", "Good or Outstanding", "Share", "England"].map(String::from).to_vec(),
            rows,
            definition: format!(
                "Share of rated services Good or Outstanding on the date; England's share from CQC's national register file{}",
                if sources.is_empty() { String::new() } else { format!(" as at {}", sources.into_iter().collect::<Vec<_>>().join(", ")) }
            ),
            when: at,
            source: "Register (CQC ratings) and CQC national figures".into(),
            link: Some("/dashboard".into()),
            chart: None,
        });
    }
    // Quality assurance: RAG of monitored services and visits over the financial year.
    let from = financial_year_to(as_at);
    let q = store.quality_figures(as_at, from, as_at).await?;
    let (mut amber, mut red, mut monitored) = (0, 0, 0);
    for k in q.rag_by_kind.iter().filter(|k| kinds.contains(&k.kind)) {
        amber += k.counts.amber;
        red += k.counts.red;
        monitored += k.counts.green + k.counts.amber + k.counts.red + k.counts.not_assessed;
    }
    figures.push(figure(F {
        key: "rag_amber",
        label: "Services rated Amber by the council's monitoring",
        value: (monitored > 0).then_some(amber),
        unit: Unit::Count,
        context: format!("of {monitored} monitored"),
        definition: "Services of this market's kinds whose latest RAG set on or before the date is Amber",
        when: at,
        source: "Quality assurance",
        link: Some("/quality/rag?rag=amber".into()),
    }));
    figures.push(figure(F {
        key: "rag_red",
        label: "Services rated Red by the council's monitoring",
        value: (monitored > 0).then_some(red),
        unit: Unit::Count,
        context: format!("of {monitored} monitored"),
        definition: "Services of this market's kinds whose latest RAG set on or before the date is Red",
        when: at,
        source: "Quality assurance",
        link: Some("/quality/rag?rag=red".into()),
    }));
    if market == Market::LivingAndAgeingWell {
        figures.push(figure(F {
            key: "care_home_visits",
            label: "Quality monitoring visits to care homes",
            value: (q.care_homes > 0).then_some(q.care_home_visits),
            unit: Unit::Count,
            context: format!("reaching {} of {}", q.care_homes_visited, plural(q.care_homes as usize, "care home")),
            definition: "Quality visits (not meetings) to care homes in the window",
            when: When::Between { from, to: as_at },
            source: "Quality assurance visits",
            link: Some(format!("/quality/visits?from={from}&to={as_at}")),
        }));
        figures.push(figure(F {
            key: "restrictions",
            label: "Care homes with an embargo or placement restriction",
            value: (q.care_homes > 0).then_some(q.embargoes + q.restrictions),
            unit: Unit::Count,
            context: format!(
                "({}, {})",
                caremarket_core::text::count(q.embargoes, "embargo", Some("embargoes")),
                caremarket_core::text::count(q.restrictions, "restriction", None)
            ),
            definition: "Embargoes and restrictions in force on the date",
            when: at,
            source: "Quality assurance",
            link: Some("/capacity/restrictions".into()),
        }));
    }
    Ok((figures, tables))
}

async fn sds_sufficiency(store: &Store, as_at: Date) -> Result<(Vec<Figure>, Vec<Table>)> {
    let at = When::AsAt { date: as_at };
    let facts = store.dp_facts().await?;
    let f = dp::compute(&facts, as_at, store.long_term_support().await?, &[]);
    let any = !facts.is_empty();
    let from = year_to(as_at);
    let year = When::Between { from, to: as_at };
    let mut figures = vec![
        figure(F {
            key: "dp_adults",
            label: "Adults with a direct payment",
            value: any.then_some(f.adult_recipients),
            unit: Unit::Count,
            context: f
                .share_of_long_term_bp
                .map(|bp| format!("{} of people receiving long-term support", dp::percent(bp)))
                .unwrap_or_default(),
            definition: "Adults' direct payments open on the date (started on or before it, not ended)",
            when: at,
            source: "Direct payments",
            link: Some(format!("/direct-payments/figures?as_at={as_at}")),
        }),
        figure(F {
            key: "dp_children",
            label: "Children and young people with a direct payment",
            value: any.then_some(f.child_recipients),
            unit: Unit::Count,
            context: String::new(),
            definition: "Children's direct payments open on the date",
            when: at,
            source: "Direct payments",
            link: Some(format!("/direct-payments/figures?as_at={as_at}")),
        }),
        figure(F {
            key: "dp_starts",
            label: "Direct payments started",
            value: any.then_some(f.starts_12m),
            unit: Unit::Count,
            context: String::new(),
            definition: "Adults' direct payments that started in the window",
            when: year,
            source: "Direct payments",
            link: Some(format!("/direct-payments/figures?as_at={as_at}")),
        }),
        figure(F {
            key: "dp_ends",
            label: "Direct payments ended",
            value: any.then_some(f.ends_12m),
            unit: Unit::Count,
            context: String::new(),
            definition: "Adults' direct payments that ended in the window",
            when: year,
            source: "Direct payments",
            link: Some(format!("/direct-payments/figures?as_at={as_at}")),
        }),
        figure(F {
            key: "dp_own_budget",
            label: "People holding and managing their own budget",
            value: (any && f.own_budget + f.managed > 0).then_some(f.own_budget_bp),
            unit: Unit::BasisPoints,
            context: format!("({} of {}; {} with a managed account)", f.own_budget, f.own_budget + f.managed, f.managed),
            definition: "Adults' direct payments open on the date held by the person (not a managed account)",
            when: at,
            source: "Direct payments",
            link: Some(format!("/direct-payments/figures?as_at={as_at}")),
        }),
    ];
    let reasons: BTreeMap<String, String> = store.dp_reference_labels("closure_reason").await?.into_iter().collect();
    let areas: BTreeMap<String, String> = store.dp_reference_labels("service_area").await?.into_iter().collect();
    let mut tables = Vec::new();
    if f.ends_12m > 0 {
        tables.push(Table {
            key: "dp_ends_by_reason".into(),
            caption: "Ended direct payments by closure reason".into(),
            head: ["Closure reason", "Ended", "Share"].map(String::from).to_vec(),
            rows: f
                .ends_by_reason
                .iter()
                .map(|(c, n)| {
                    vec![reasons.get(c).cloned().unwrap_or_else(|| c.clone()), n.to_string(), dp::percent(dp::share_bp(*n, f.ends_12m))]
                })
                .collect(),
            definition: "Adults' direct payments ended in the window, by the reason recorded".into(),
            when: year,
            source: "Direct payments".into(),
            link: Some(format!("/direct-payments/figures?as_at={as_at}")),
            chart: Some(Chart {
                title: format!("Ended direct payments by closure reason, {}", year.text()),
                bars: f.ends_by_reason.iter().map(|(c, n)| (reasons.get(c).cloned().unwrap_or_else(|| c.clone()), *n)).collect(),
                suffix: String::new(),
            }),
        });
    }
    if f.adult_recipients > 0 {
        tables.push(Table {
            key: "dp_by_area".into(),
            caption: "Direct payments by service area".into(),
            head: ["Service area", "Adults", "Share"].map(String::from).to_vec(),
            rows: f
                .by_service_area
                .iter()
                .map(|(c, n)| {
                    vec![
                        areas.get(c).cloned().unwrap_or_else(|| c.clone()),
                        n.to_string(),
                        dp::percent(dp::share_bp(*n, f.adult_recipients)),
                    ]
                })
                .collect(),
            definition: "Adults' direct payments open on the date, by the service area funding them".into(),
            when: at,
            source: "Direct payments".into(),
            link: Some(format!("/direct-payments/figures?as_at={as_at}")),
            chart: None,
        });
    }
    if f.adult_recipients > 0 {
        // `000`: "The breakdown of people accessing Direct Payments by ethnicity and religion".
        let open: Vec<&dp::DpFact> = facts.iter().filter(|d| !d.is_child && d.open_on(as_at)).collect();
        for (key, list, caption, column, pick) in [
            ("dp_by_ethnicity", "ethnicity", "Direct payments by ethnic group", "Ethnic group", 0),
            ("dp_by_religion", "religion", "Direct payments by religion", "Religion", 1),
        ] {
            let labels = store.dp_reference_labels(list).await?;
            let codes: Vec<String> = labels.iter().map(|(c, _)| c.clone()).collect();
            let counts = count_by(open.iter().map(|d| if pick == 0 { d.ethnicity.as_deref() } else { d.religion.as_deref() }), &codes);
            let label = |c: &str| {
                if c.is_empty() {
                    "Not recorded".to_string()
                } else {
                    labels.iter().find(|(x, _)| x == c).map(|(_, l)| l.clone()).unwrap_or_else(|| c.to_string())
                }
            };
            tables.push(Table {
                key: key.into(),
                caption: caption.into(),
                head: [column, "Adults", "Share"].map(String::from).to_vec(),
                rows: counts
                    .iter()
                    .map(|(c, n)| {
                        let share = if publishable(*n).is_some() { dp::percent(dp::share_bp(*n, f.adult_recipients)) } else { "–".into() };
                        vec![label(c), published_count(*n), share]
                    })
                    .collect(),
                definition: format!(
                    "Adults' direct payments open on the date, by the {list} the person told the council; counts from 1 to {} are shown as ‘fewer than {}’",
                    SUPPRESS_BELOW - 1,
                    SUPPRESS_BELOW
                ),
                when: at,
                source: "Direct payments (equality monitoring)".into(),
                link: Some(format!("/direct-payments/figures?as_at={as_at}")),
                chart: Some(Chart {
                    title: format!("{caption}, {}", long_date(as_at)),
                    bars: counts.iter().filter_map(|(c, n)| Some((label(c), publishable(*n)?))).collect(),
                    suffix: String::new(),
                }),
            });
        }
    }
    let pa = store.pa_counts(as_at).await?;
    let any_pa = pa.employers + pa.pas + pa.introductions > 0;
    figures.push(figure(F {
        key: "pa_register",
        label: "Personal assistants on the PA register",
        value: any_pa.then_some(pa.pas),
        unit: Unit::Count,
        context: format!("and {}; {} in the last 12 months", caremarket_core::text::count(pa.employers, "individual employer", None), caremarket_core::text::count(pa.introductions_12m, "introduction", None)),
        definition: "Approved personal assistants and individual employers on the register, and introductions made in the 12 months to the date",
        when: at,
        source: "PA register",
        link: Some("/pa-register".into()),
    }));
    Ok((figures, tables))
}

async fn sds_value(store: &Store, as_at: Date) -> Result<(Vec<Figure>, Vec<Table>)> {
    let from = financial_year_to(as_at);
    let window = When::Between { from, to: as_at };
    let cats = store.spend_by_category(from, as_at, false).await?;
    let total: i64 = cats.iter().map(|(_, _, t)| t).sum();
    let figures = vec![figure(F {
        key: "dp_spend",
        label: "Direct payment spend (adults)",
        value: (!cats.is_empty()).then_some(total),
        unit: Unit::Pence,
        context: String::new(),
        definition: "Adults' direct payment spend recorded in the financial year to the date",
        when: window,
        source: "Direct payment spend returns",
        link: Some(format!("/direct-payments/figures?as_at={as_at}")),
    })];
    let mut tables = Vec::new();
    if !cats.is_empty() {
        tables.push(Table {
            key: "dp_spend_by_category".into(),
            caption: "Direct payment spend by service type".into(),
            head: ["Direct payment service type", "People", "Spend"].map(String::from).to_vec(),
            rows: cats
                .iter()
                .map(|(c, p, t)| {
                    vec![
                        caremarket_core::direct_payments::label_of(&caremarket_core::direct_payments::CATEGORIES, c).to_string(),
                        p.to_string(),
                        format_value(*t, Unit::Pence),
                    ]
                })
                .collect(),
            definition: "Spend recorded against each service type in the window".into(),
            when: window,
            source: "Direct payment spend returns".into(),
            link: Some(format!("/direct-payments/figures?as_at={as_at}")),
            chart: None,
        });
    }
    Ok((figures, tables))
}
