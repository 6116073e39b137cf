//! Capacity and sufficiency pages (issue 4; domain C3, C4): care home vacancies as `000` shows
//! them, block beds, placement restrictions, declared spare capacity, weekly activity
//! (supported living 1:1 and shared hours), brokerage ([`brokerage`]), continuity
//! ([`continuity`]), the provider portal's returns and offers ([`portal`]) and the vacancy API
//! ([`api`]). Every route checks a permission.

mod api;
mod brokerage;
mod chart;
mod continuity;
pub(crate) mod forms;

use crate::AppState;
use crate::auth::{CurrentUser, session_context};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::capacity::supported_living::{SupportWeek, sentence, total};
use caremarket_core::capacity::vacancies::{
    BedType, BlockBedKind, CapacityThresholds, CsvColumn, VacancyLine, csv_column, occupancy_table, parse_csv_date,
};
use caremarket_core::register::ServiceKind;
use caremarket_store::capacity::{HomeLatest, NewActivity, NewRestriction, NewVacancyReturn};
use caremarket_store::register::ServiceFilter;
use forms::{Errors, FormPage, Pairs, f, field, form_date, int, opt, render_form, with_hint, with_options};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/capacity", get(overview))
        .route("/capacity/homes", get(homes))
        .route("/capacity/returns/new", get(return_form).post(return_submit))
        .route("/capacity/returns/upload", get(upload_form).post(upload_submit))
        .route("/capacity/block-beds/new", get(block_form).post(block_submit))
        .route("/capacity/restrictions", get(restrictions).post(restriction_submit))
        .route("/capacity/restrictions/{id}/lift", post(restriction_lift))
        .route("/capacity/spare", get(spare_form).post(spare_submit))
        .route("/capacity/activity", get(activity_form).post(activity_submit))
        .merge(continuity::routes())
        .merge(brokerage::routes())
        .merge(api::routes())
}

pub(crate) async fn thresholds(state: &AppState) -> CapacityThresholds {
    state.store.setting("capacity_thresholds").await.ok().flatten().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
}

#[derive(Debug, Serialize)]
struct HomeRow {
    service_id: String,
    name: String,
    provider_name: String,
    area_name: Option<String>,
    kind_label: &'static str,
    beds: Option<i64>,
    framework: bool,
    return_date: Option<String>,
    occupied: i64,
    vacant: i64,
    percent: Option<i64>,
    stale: bool,
    low: bool,
    restriction: Option<String>,
}

fn home_row(h: &HomeLatest, t: &CapacityThresholds, today: Date, restriction: Option<String>) -> HomeRow {
    let latest = h.return_date.as_deref().and_then(|d| d.parse::<Date>().ok());
    HomeRow {
        service_id: h.service_id.clone(),
        name: h.name.clone(),
        provider_name: h.provider_name.clone(),
        area_name: h.area_name.clone(),
        kind_label: h.kind.label(),
        beds: h.beds,
        framework: h.on_framework(),
        return_date: h.return_date.clone(),
        occupied: h.occupied(),
        vacant: h.vacant(),
        percent: caremarket_core::capacity::whole_percent(h.occupied(), h.occupied() + h.vacant()),
        stale: t.is_stale(latest, today),
        low: t.is_low_occupancy(&h.lines),
        restriction,
    }
}

#[derive(Debug, Default, Deserialize)]
struct OverviewQuery {
    as_at: Option<String>,
    saved: Option<String>,
}

async fn overview(user: CurrentUser, State(state): State<AppState>, Query(q): Query<OverviewQuery>) -> Result<Response, AppError> {
    user.require(Permission::ViewCapacity)?;
    let today = caremarket_store::today();
    let as_at = q.as_at.as_deref().and_then(|s| s.parse::<Date>().ok()).filter(|d| *d <= today).unwrap_or(today);
    let t = thresholds(&state).await;
    let homes = state.store.latest_vacancy_returns(as_at).await?;
    // Stale returns are shown (and flagged), not left out: a stale figure is still the latest.
    let lines: Vec<VacancyLine> = homes.iter().flat_map(|h| h.lines.clone()).collect();
    let table = occupancy_table(&lines);
    let mut by_area: BTreeMap<String, Vec<VacancyLine>> = BTreeMap::new();
    for h in &homes {
        by_area.entry(h.area_name.clone().unwrap_or_else(|| "No area".into())).or_default().extend(h.lines.iter().copied());
    }
    let areas: Vec<_> = by_area.iter().map(|(a, l)| context! { area => a, rows => occupancy_table(l) }).collect();
    let restrictions = state.store.restrictions(Some(today)).await?;
    let restriction_of = |id: &str| restrictions.iter().find(|r| r.service_id == id).map(|r| r.describe());
    let rows: Vec<HomeRow> = homes.iter().map(|h| home_row(h, &t, as_at, restriction_of(&h.service_id))).collect();
    let stale = rows.iter().filter(|r| r.stale).count();
    let low = rows.iter().filter(|r| r.low && !r.stale).count();
    // Twelve weeks of history for the chart, a point a week ending at `as_at`.
    let mut series = Vec::new();
    for w in (0..12).rev() {
        let d = as_at.checked_sub(jiff::Span::new().weeks(w)).unwrap_or(as_at);
        let hs = state.store.latest_vacancy_returns(d).await?;
        let ls: Vec<VacancyLine> = hs.iter().flat_map(|h| h.lines.clone()).collect();
        series.push((d, occupancy_table(&ls)));
    }
    let chart_svg = chart::occupancy_chart(&series);
    let history: Vec<_> = series
        .iter()
        .map(|(d, rows)| context! { date => d.to_string(), percents => rows.iter().map(|r| r.occupied_percent).collect::<Vec<_>>() })
        .collect();
    let block = state.store.block_beds(today).await?;
    let block_summary: Vec<_> = BlockBedKind::ALL
        .iter()
        .map(|k| {
            let of: Vec<_> = block.iter().filter(|b| b.kind == *k).collect();
            let homes: std::collections::BTreeSet<&str> = of.iter().map(|b| b.service_id.as_str()).collect();
            context! { label => k.label(), beds => of.iter().map(|b| b.beds).sum::<i64>(), homes => homes.len() }
        })
        .collect();
    let activity = state.store.latest_activity().await?;
    let sl_kinds = [ServiceKind::SupportedLiving, ServiceKind::EnhancedSupportedLiving, ServiceKind::DayServices];
    let support: Vec<_> = sl_kinds
        .iter()
        .map(|k| {
            let weeks: Vec<SupportWeek> = activity.iter().filter(|a| a.kind == *k).map(|a| a.support).collect();
            let fw: Vec<SupportWeek> = activity.iter().filter(|a| a.kind == *k && a.contract_status == caremarket_core::register::ContractStatus::Framework).map(|a| a.support).collect();
            let t = total(&weeks);
            context! { label => k.label(), services => weeks.len(), total => t, sentence => sentence(&t), framework_sentence => sentence(&total(&fw)) }
        })
        .collect();
    let hc: Vec<_> = activity.iter().filter(|a| a.kind == ServiceKind::HomeCare).collect();
    let home_care = context! {
        services => hc.len(),
        people => hc.iter().map(|a| a.people).sum::<i64>(),
        packages => hc.iter().map(|a| a.packages).sum::<i64>(),
        hours => hc.iter().map(|a| a.minutes_per_week).sum::<i64>() / 60,
    };
    let ctx = session_context(&state, &user.session).await?;
    let html = state.renderer.render(
        "capacity.html",
        &ctx,
        context! {
            as_at => as_at.to_string(), today => today.to_string(), table => table, areas => areas, homes => rows.len(),
            returned => homes.iter().filter(|h| !h.lines.is_empty()).count(),
            stale => stale, low => low, thresholds => t,
            chart_svg => minijinja::Value::from_safe_string(chart_svg), history => history,
            bed_labels => BedType::ALL.iter().map(|b| b.label()).collect::<Vec<_>>(),
            block => block, block_summary => block_summary, support => support, home_care => home_care,
            restrictions => restrictions.len(),
            can_submit => user.role().can(Permission::SubmitVacancies),
            can_restrict => user.role().can(Permission::RecordRestrictions),
            saved => q.saved,
        },
    )?;
    Ok(Html(html).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct HomesQuery {
    bed_type: Option<String>,
    area: Option<String>,
    flag: Option<String>,
}

/// The homes behind a figure: a bed type's row, an area, the stale or low-occupancy flags.
async fn homes(user: CurrentUser, State(state): State<AppState>, Query(q): Query<HomesQuery>) -> Result<Response, AppError> {
    user.require(Permission::ViewCapacity)?;
    let today = caremarket_store::today();
    let t = thresholds(&state).await;
    let bed_type = q.bed_type.as_deref().and_then(BedType::parse);
    let restrictions = state.store.restrictions(Some(today)).await?;
    let mut rows = Vec::new();
    for h in state.store.latest_vacancy_returns(today).await? {
        let mut h = h;
        if let Some(b) = bed_type {
            h.lines.retain(|l| l.bed_type == b);
            if h.lines.is_empty() {
                continue;
            }
        }
        if let Some(a) = q.area.as_deref().filter(|a| !a.is_empty())
            && h.area_name.as_deref().unwrap_or("No area") != a
        {
            continue;
        }
        let r = home_row(&h, &t, today, restrictions.iter().find(|r| r.service_id == h.service_id).map(|r| r.describe()));
        match q.flag.as_deref() {
            Some("stale") if !r.stale => continue,
            Some("low") if !r.low || r.stale => continue,
            _ => {}
        }
        rows.push(r);
    }
    let described = [
        bed_type.map(|b| b.label().to_string()),
        q.area.clone().filter(|a| !a.is_empty()),
        match q.flag.as_deref() {
            Some("stale") => Some(format!("no return in the last {} days", t.stale_after_days)),
            Some("low") => Some(format!("occupancy below {}%", t.low_occupancy_percent)),
            _ => None,
        },
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let ctx = session_context(&state, &user.session).await?;
    let occupied: i64 = rows.iter().map(|r| r.occupied).sum();
    let vacant: i64 = rows.iter().map(|r| r.vacant).sum();
    Ok(Html(state.renderer.render(
        "capacity_homes.html",
        &ctx,
        context! { rows => rows, described => described, occupied => occupied, vacant => vacant },
    )?)
    .into_response())
}

// ----- a vacancy return typed by an officer -----

async fn care_home_options(state: &AppState, provider_id: Option<&str>) -> Result<Vec<serde_json::Value>, AppError> {
    let page = state
        .store
        .services(&ServiceFilter {
            kinds: vec![ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing],
            provider_id: provider_id.map(str::to_string),
            any_area: provider_id.is_some(),
            sort: Some("name".into()),
            per_page: 1000,
            ..Default::default()
        })
        .await?;
    let mut v = vec![opt("", "Choose a care home")];
    v.extend(page.items.iter().filter(|s| provider_id.is_none_or(|p| s.provider_id == p)).map(|s| {
        let beds = s.beds.map(|b| format!(", {b} beds")).unwrap_or_default();
        opt(&s.id, &format!("{} – {}{beds}", s.name, s.provider_name))
    }));
    Ok(v)
}

pub(crate) fn return_fields(form: &Pairs, homes: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    let mut v = vec![
        with_options(f("select", "service_id", "Care home", field(form, "service_id")), homes),
        with_hint(
            f("date", "return_date", "Date of the return", forms::date_parts(form, "return_date")),
            "The day the beds were counted, for example 8 11 2024",
        ),
    ];
    for b in BedType::ALL {
        v.push(with_hint(
            f("heading", &format!("{}_heading", b.as_str()), b.label(), ""),
            "Leave both blank if the home has no beds of this type.",
        ));
        v.push(f(
            "numeric",
            &format!("{}_occupied", b.as_str()),
            &format!("{} beds occupied", b.label()),
            field(form, &format!("{}_occupied", b.as_str())),
        ));
        v.push(f(
            "numeric",
            &format!("{}_vacant", b.as_str()),
            &format!("{} vacancies", b.label()),
            field(form, &format!("{}_vacant", b.as_str())),
        ));
    }
    v
}

/// Read the return's lines from the form; a bed type left blank is not reported.
pub(crate) fn return_lines(form: &Pairs, errors: &mut Errors) -> Vec<VacancyLine> {
    let mut lines = Vec::new();
    for b in BedType::ALL {
        let (on, vn) = (format!("{}_occupied", b.as_str()), format!("{}_vacant", b.as_str()));
        if field(form, &on).trim().is_empty() && field(form, &vn).trim().is_empty() {
            continue;
        }
        let o = errors.check(&on, int(form, &on, &format!("{} beds occupied", b.label()), Some(0)));
        let v = errors.check(&vn, int(form, &vn, &format!("{} vacancies", b.label()), Some(0)));
        if let (Some(o), Some(v)) = (o, v) {
            lines.push(VacancyLine { bed_type: b, occupied: o, vacant: v });
        }
    }
    lines
}

fn return_page(fields: Vec<serde_json::Value>) -> FormPage<'static> {
    FormPage {
        title: "Record a vacancy return",
        caption: Some("Care home capacity"),
        intro: Some("Beds occupied and vacant by type on the day. Do not include block-contracted beds' occupants' details.".into()),
        action: "/capacity/returns/new",
        back: "/capacity",
        button: "Save return",
        fields,
        multipart: false,
    }
}

async fn return_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let form: Pairs = vec![];
    let fields = return_fields(&form, care_home_options(&state, None).await?);
    render_form(&state, &user, return_page(fields), &Errors::default(), StatusCode::OK).await
}

async fn return_submit(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<Pairs>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let mut errors = Errors::new(&["return_date"], Some("dementia_nursing_occupied"));
    let today = caremarket_store::today();
    let service_id = field(&form, "service_id").to_string();
    if service_id.is_empty() {
        errors.add("service_id", "Choose a care home");
    }
    let date = errors.check("return_date", form_date(&form, "return_date", "Date of the return")).flatten();
    if date.is_none() && !errors.by_field.contains_key("return_date") {
        errors.add("return_date", "Enter the date of the return");
    }
    let lines = return_lines(&form, &mut errors);
    if errors.is_empty()
        && let Some(d) = date
    {
        match state
            .store
            .submit_vacancy_return(&user.actor(), &NewVacancyReturn { service_id, return_date: d, lines, source: "officer" }, today)
            .await
        {
            Ok(_) => return Ok(Redirect::to("/capacity?saved=return").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    let fields = return_fields(&form, care_home_options(&state, None).await?);
    render_form(&state, &user, return_page(fields), &errors, StatusCode::BAD_REQUEST).await
}

// ----- CSV upload (ours, or the NHS Capacity Tracker's export) -----

fn upload_page() -> FormPage<'static> {
    FormPage {
        title: "Upload vacancy returns",
        caption: Some("Care home capacity"),
        intro: Some("A CSV with a row per home (and bed type). Columns: cqc_location_id (or service_id), date, bed_type, occupied, vacant. An NHS Capacity Tracker care home export is accepted as it is: cqcid, usedbeds, declaredvacancies and lastupdatedbst are read, and its one total per home is counted as the home's main bed type (nursing or residential, dementia if the home lists it). Nothing is saved unless every row is valid.".into()),
        action: "/capacity/returns/upload",
        back: "/capacity",
        button: "Upload returns",
        fields: vec![f("file", "file", "CSV file", "")],
        multipart: true,
    }
}

async fn upload_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    render_form(&state, &user, upload_page(), &Errors::default(), StatusCode::OK).await
}

/// Parse and check every row; returns the returns to save or the row-numbered problems.
pub(crate) async fn parse_returns_csv(
    state: &AppState,
    bytes: &[u8],
    today: Date,
    only_provider: Option<&str>,
) -> Result<Result<Vec<NewVacancyReturn>, Vec<String>>, AppError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Ok(Err(vec![format!("The file could not be read as CSV: {e}")])),
    };
    let cols: Vec<Option<CsvColumn>> = headers.iter().map(csv_column).collect();
    let has = |c: CsvColumn| cols.contains(&Some(c));
    let mut problems = Vec::new();
    if !(has(CsvColumn::CqcLocationId) || has(CsvColumn::ServiceId))
        || !has(CsvColumn::Occupied)
        || !has(CsvColumn::Vacant)
        || !has(CsvColumn::Date)
    {
        return Ok(Err(vec![
            "The file needs columns for the home (cqc_location_id, service_id or cqcid), the date (date or lastupdatedbst), occupied (or usedbeds) and vacant (or declaredvacancies)".into(),
        ]));
    }
    let mut grouped: BTreeMap<(String, Date), Vec<(usize, VacancyLine)>> = BTreeMap::new();
    let mut services: BTreeMap<String, caremarket_store::register::Service> = BTreeMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("row {row}: {e}"));
                continue;
            }
        };
        let get = |c: CsvColumn| cols.iter().position(|x| *x == Some(c)).and_then(|p| rec.get(p)).unwrap_or("").trim().to_string();
        let service = if !get(CsvColumn::ServiceId).is_empty() {
            state.store.service(&get(CsvColumn::ServiceId)).await.ok()
        } else {
            state.store.service_by_location_id(&get(CsvColumn::CqcLocationId)).await?
        };
        let Some(service) = service else {
            problems.push(format!(
                "row {row}: no service in the register has the location '{}{}'",
                get(CsvColumn::CqcLocationId),
                get(CsvColumn::ServiceId)
            ));
            continue;
        };
        if let Some(p) = only_provider
            && service.provider_id != p
        {
            problems.push(format!("row {row}: '{}' is not one of your services", service.name));
            continue;
        }
        let Some(date) = parse_csv_date(&get(CsvColumn::Date)) else {
            problems.push(format!("row {row}: '{}' is not a date (use 2024-11-08 or 08/11/2024)", get(CsvColumn::Date)));
            continue;
        };
        let bt = get(CsvColumn::BedType);
        let bed_type = if bt.is_empty() {
            BedType::default_for(
                service.kind == ServiceKind::CareHomeNursing,
                service.specialisms.contains(&caremarket_core::register::Specialism::Dementia),
            )
        } else if let Some(b) = BedType::parse(&bt) {
            b
        } else {
            problems.push(format!("row {row}: 'bed_type' must be one of Dementia Nursing, Dementia Residential, General Nursing, General Residential; found '{bt}'"));
            continue;
        };
        let num = |c: CsvColumn, name: &str| -> Result<i64, String> {
            let v = get(c);
            v.parse::<i64>().map_err(|_| format!("row {row}: '{name}' must be a whole number; found '{v}'"))
        };
        match (num(CsvColumn::Occupied, "occupied"), num(CsvColumn::Vacant, "vacant")) {
            (Ok(o), Ok(v)) => {
                grouped.entry((service.id.clone(), date)).or_default().push((row, VacancyLine { bed_type, occupied: o, vacant: v }));
                services.insert(service.id.clone(), service);
            }
            (Err(e), _) | (_, Err(e)) => problems.push(e),
        }
    }
    let mut out = Vec::new();
    for ((sid, date), lines) in grouped {
        let first_row = lines.first().map(|l| l.0).unwrap_or(0);
        let lines: Vec<VacancyLine> = lines.into_iter().map(|l| l.1).collect();
        let svc = services.get(&sid);
        if let Some(s) = svc
            && !s.kind.is_care_home()
        {
            problems.push(format!("row {first_row}: {} is not a care home", s.name));
            continue;
        }
        if let Err(e) = caremarket_core::capacity::vacancies::validate_return(date, today, svc.and_then(|s| s.beds), &lines) {
            problems.push(format!("row {first_row} ({}): {}", svc.map(|s| s.name.as_str()).unwrap_or(""), e.message));
            continue;
        }
        out.push(NewVacancyReturn { service_id: sid, return_date: date, lines, source: "csv" });
    }
    if out.is_empty() && problems.is_empty() {
        problems.push("The file has no rows".into());
    }
    Ok(if problems.is_empty() { Ok(out) } else { Err(problems) })
}

pub(crate) async fn read_upload(user: &CurrentUser, mut multipart: Multipart) -> Result<Option<Vec<u8>>, AppError> {
    let mut token = None;
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))? {
        match field.name() {
            Some("csrf_token") => token = Some(field.text().await.map_err(|e| AppError::BadRequest(e.to_string()))?),
            Some("file") => {
                let b = field.bytes().await.map_err(|e| AppError::BadRequest(e.to_string()))?;
                if !b.is_empty() {
                    file = Some(b.to_vec());
                }
            }
            _ => {}
        }
    }
    crate::csrf::verify_token(&user.session, token.as_deref()).await?;
    Ok(file)
}

async fn upload_submit(user: CurrentUser, State(state): State<AppState>, multipart: Multipart) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let file = read_upload(&user, multipart).await?;
    let mut errors = Errors::default();
    match file {
        None => errors.add("file", "Select a CSV file"),
        Some(bytes) => match parse_returns_csv(&state, &bytes, caremarket_store::today(), None).await? {
            Ok(returns) => {
                for r in &returns {
                    state.store.submit_vacancy_return(&user.actor(), r, caremarket_store::today()).await?;
                }
                return Ok(Redirect::to(&format!("/capacity?saved=upload-{}", returns.len())).into_response());
            }
            Err(problems) => {
                for p in problems.iter().take(50) {
                    errors.list.push(crate::render::field_error("file", p));
                }
                errors.by_field.insert("file".into(), format!("{} problems were found: nothing was saved", problems.len()));
            }
        },
    }
    render_form(&state, &user, upload_page(), &errors, StatusCode::BAD_REQUEST).await
}

// ----- block beds -----

fn block_fields(form: &Pairs, homes: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    vec![
        with_options(f("select", "service_id", "Care home", field(form, "service_id")), homes),
        with_options(
            f("radios", "kind", "Kind of block contract", field(form, "kind")),
            BlockBedKind::ALL.iter().map(|k| opt(k.as_str(), k.label())).collect(),
        ),
        f("numeric", "beds", "Beds", field(form, "beds")),
        f("date", "starts_on", "Start date", forms::date_parts(form, "starts_on")),
        with_hint(
            f("date", "ends_on", "End date (optional)", forms::date_parts(form, "ends_on")),
            "Leave blank if the contract has no end date yet",
        ),
    ]
}

fn block_page(fields: Vec<serde_json::Value>) -> FormPage<'static> {
    FormPage {
        title: "Record block-contracted beds",
        caption: Some("Care home capacity"),
        intro: Some("Somewhere Else to Assess, emergency and planned respite beds are counted apart from the home's other beds.".into()),
        action: "/capacity/block-beds/new",
        back: "/capacity",
        button: "Save block beds",
        fields,
        multipart: false,
    }
}

async fn block_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let fields = block_fields(&vec![], care_home_options(&state, None).await?);
    render_form(&state, &user, block_page(fields), &Errors::default(), StatusCode::OK).await
}

async fn block_submit(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<Pairs>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let mut errors = Errors::new(&["starts_on", "ends_on"], None);
    let kind = BlockBedKind::parse(field(&form, "kind"));
    if kind.is_none() {
        errors.add("kind", "Choose the kind of block contract");
    }
    let beds = errors.check("beds", int(&form, "beds", "Beds", None));
    let starts = errors.check("starts_on", form_date(&form, "starts_on", "Start date")).flatten();
    if starts.is_none() && !errors.by_field.contains_key("starts_on") {
        errors.add("starts_on", "Enter the start date");
    }
    let ends = errors.check("ends_on", form_date(&form, "ends_on", "End date")).flatten();
    if errors.is_empty()
        && let (Some(kind), Some(beds), Some(starts)) = (kind, beds, starts)
    {
        match state.store.add_block_beds(&user.actor(), field(&form, "service_id"), kind, beds, starts, ends).await {
            Ok(_) => return Ok(Redirect::to("/capacity?saved=block").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    let fields = block_fields(&form, care_home_options(&state, None).await?);
    render_form(&state, &user, block_page(fields), &errors, StatusCode::BAD_REQUEST).await
}

// ----- placement restrictions -----

async fn all_service_options(state: &AppState, kinds: Vec<ServiceKind>) -> Result<Vec<serde_json::Value>, AppError> {
    let page = state.store.services(&ServiceFilter { kinds, sort: Some("name".into()), per_page: 1000, ..Default::default() }).await?;
    let mut v = vec![opt("", "Choose a service")];
    v.extend(page.items.iter().map(|s| opt(&s.id, &format!("{} – {} ({})", s.name, s.provider_name, s.kind.label()))));
    Ok(v)
}

fn restriction_fields(form: &Pairs, services: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    vec![
        with_options(f("select", "service_id", "Service", field(form, "service_id")), services),
        with_options(
            f("radios", "kind", "Kind", field(form, "kind")),
            vec![
                json!({"value": "embargo", "text": "Embargo", "hint": "No new placements or packages"}),
                json!({"value": "restriction", "text": "Restriction", "hint": "Limited, as the scope says"}),
            ],
        ),
        with_hint(f("input", "scope", "Scope (for a restriction)", field(form, "scope")), "For example, no new nursing placements"),
        with_hint(f("textarea", "reason", "Reason", field(form, "reason")), "Do not write any resident's name"),
        f("date", "starts_on", "Start date", forms::date_parts(form, "starts_on")),
        with_hint(f("date", "ends_on", "End date (optional)", forms::date_parts(form, "ends_on")), "Leave blank until it is lifted"),
    ]
}

async fn restrictions(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ViewCapacity)?;
    render_restrictions(&state, &user, &vec![], &Errors::default(), StatusCode::OK).await
}

async fn render_restrictions(
    state: &AppState,
    user: &CurrentUser,
    form: &Pairs,
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let today = caremarket_store::today();
    let active = state.store.restrictions(Some(today)).await?;
    let all = state.store.restrictions(None).await?;
    let ended: Vec<_> = all.into_iter().filter(|r| !active.iter().any(|a| a.id == r.id)).collect();
    let can = user.role().can(Permission::RecordRestrictions);
    let fields = if can { restriction_fields(form, all_service_options(state, vec![]).await?) } else { vec![] };
    let ctx = session_context(state, &user.session).await?;
    let html = state.renderer.render(
        "capacity_restrictions.html",
        &ctx,
        context! { active => active, ended => ended, can_record => can, fields => fields, errors => errors.list, field_errors => errors.by_field },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn restriction_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordRestrictions)?;
    let mut errors = Errors::new(&["starts_on", "ends_on"], None);
    if field(&form, "service_id").is_empty() {
        errors.add("service_id", "Choose a service");
    }
    if field(&form, "kind").is_empty() {
        errors.add("kind", "Choose embargo or restriction");
    }
    let starts = errors.check("starts_on", form_date(&form, "starts_on", "Start date")).flatten();
    if starts.is_none() && !errors.by_field.contains_key("starts_on") {
        errors.add("starts_on", "Enter the start date");
    }
    let ends = errors.check("ends_on", form_date(&form, "ends_on", "End date")).flatten();
    if errors.is_empty()
        && let Some(starts) = starts
    {
        let r = NewRestriction {
            service_id: field(&form, "service_id").into(),
            kind: field(&form, "kind").into(),
            scope: Some(field(&form, "scope").to_string()),
            reason: field(&form, "reason").into(),
            starts_on: starts,
            ends_on: ends,
        };
        match state.store.record_restriction(&user.actor(), &r).await {
            Ok(_) => return Ok(Redirect::to("/capacity/restrictions").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_restrictions(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}

async fn restriction_lift(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordRestrictions)?;
    state.store.lift_restriction(&user.actor(), &id, caremarket_store::today()).await?;
    Ok(Redirect::to("/capacity/restrictions").into_response())
}

// ----- spare capacity (home care hours by area and lot) -----

pub(crate) async fn area_options(state: &AppState) -> Result<Vec<serde_json::Value>, AppError> {
    let mut v = vec![opt("", "Choose an area")];
    v.extend(state.store.areas().await?.iter().map(|a| opt(&a.id, &a.name)));
    Ok(v)
}

pub(crate) fn lot_options() -> Vec<serde_json::Value> {
    caremarket_core::capacity::brokerage::Lot::ALL.iter().map(|l| opt(l.as_str(), l.label())).collect()
}

pub(crate) fn spare_fields(
    form: &Pairs,
    services: Option<Vec<serde_json::Value>>,
    areas: Vec<serde_json::Value>,
) -> Vec<serde_json::Value> {
    let mut v = Vec::new();
    if let Some(s) = services {
        v.push(with_options(f("select", "service_id", "Home care service", field(form, "service_id")), s));
    }
    v.push(with_options(f("select", "area_id", "Area", field(form, "area_id")), areas));
    v.push(with_options(f("radios", "lot", "Lot", field(form, "lot")), lot_options()));
    v.push(with_hint(
        f("numeric", "hours", "Spare hours a week", field(form, "hours")),
        "Hours of care the service could start this week in the area",
    ));
    v
}

/// Read and save a spare capacity declaration; `Ok(true)` when saved.
pub(crate) async fn save_spare(
    state: &AppState,
    user: &CurrentUser,
    form: &Pairs,
    errors: &mut Errors,
    service_id: &str,
) -> Result<bool, AppError> {
    if service_id.is_empty() {
        errors.add("service_id", "Choose a home care service");
    }
    if field(form, "area_id").is_empty() {
        errors.add("area_id", "Choose an area");
    }
    let lot = caremarket_core::capacity::brokerage::Lot::parse(field(form, "lot"));
    if lot.is_none() {
        errors.add("lot", "Choose the lot");
    }
    let hours = errors.check("hours", int(form, "hours", "Spare hours a week", None));
    if !errors.is_empty() {
        return Ok(false);
    }
    let (Some(lot), Some(hours)) = (lot, hours) else { return Ok(false) };
    match state
        .store
        .declare_spare_capacity(
            &user.actor(),
            service_id,
            Some(field(form, "area_id")),
            lot.as_str(),
            "minutes",
            hours.saturating_mul(60),
            caremarket_store::today(),
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => {
            let e = match e {
                caremarket_store::StoreError::Invalid(fe) if fe.field == "amount" => {
                    caremarket_store::StoreError::invalid("hours", fe.message)
                }
                other => other,
            };
            errors.add_store(e)?;
            Ok(false)
        }
    }
}

fn spare_page(fields: Vec<serde_json::Value>) -> FormPage<'static> {
    FormPage { title: "Declare spare home care capacity", caption: Some("Home care capacity"), intro: Some("Brokerage offers packages only to providers with spare capacity declared in the person's area and lot. The latest declaration for an area and lot replaces earlier ones.".into()), action: "/capacity/spare", back: "/capacity", button: "Save", fields, multipart: false }
}

async fn spare_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let fields = spare_fields(&vec![], Some(all_service_options(&state, vec![ServiceKind::HomeCare]).await?), area_options(&state).await?);
    render_form(&state, &user, spare_page(fields), &Errors::default(), StatusCode::OK).await
}

async fn spare_submit(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<Pairs>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let mut errors = Errors::default();
    if save_spare(&state, &user, &form, &mut errors, field(&form, "service_id")).await? {
        return Ok(Redirect::to("/capacity?saved=spare").into_response());
    }
    let fields = spare_fields(&form, Some(all_service_options(&state, vec![ServiceKind::HomeCare]).await?), area_options(&state).await?);
    render_form(&state, &user, spare_page(fields), &errors, StatusCode::BAD_REQUEST).await
}

// ----- weekly activity: home care people and hours; supported living and day services hours -----

fn activity_fields(form: &Pairs, services: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    vec![
        with_options(f("select", "service_id", "Service", field(form, "service_id")), services),
        with_hint(f("date", "week_of", "Week beginning", forms::date_parts(form, "week_of")), "For example 4 11 2024"),
        with_hint(f("heading", "home_care", "Home care", ""), "For home care services."),
        f("numeric", "packages", "Packages of care", field(form, "packages")),
        f("numeric", "hc_hours", "Hours of care a week", field(form, "hc_hours")),
        with_hint(
            f("heading", "support", "Supported living and day services", ""),
            "`000`: hours of 1:1 support, people supported, and those who also receive shared support.",
        ),
        f("numeric", "one_to_one_hours", "Hours of 1:1 support a week", field(form, "one_to_one_hours")),
        f("numeric", "shared_hours", "Hours of shared support a week", field(form, "shared_hours")),
        f("numeric", "people_shared", "People who also receive shared support", field(form, "people_shared")),
        f("numeric", "people", "People supported", field(form, "people")),
    ]
}

fn activity_page(fields: Vec<serde_json::Value>) -> FormPage<'static> {
    FormPage { title: "Record a week's care delivered", caption: Some("Capacity"), intro: Some("The people supported and hours delivered in a week. These figures are what the continuity page counts as affected if the provider exits.".into()), action: "/capacity/activity", back: "/capacity", button: "Save", fields, multipart: false }
}

async fn activity_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let kinds = vec![ServiceKind::HomeCare, ServiceKind::SupportedLiving, ServiceKind::EnhancedSupportedLiving, ServiceKind::DayServices];
    let fields = activity_fields(&vec![], all_service_options(&state, kinds).await?);
    render_form(&state, &user, activity_page(fields), &Errors::default(), StatusCode::OK).await
}

async fn activity_submit(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<Pairs>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let mut errors = Errors::new(&["week_of"], None);
    if field(&form, "service_id").is_empty() {
        errors.add("service_id", "Choose a service");
    }
    let week = errors.check("week_of", form_date(&form, "week_of", "Week beginning")).flatten();
    if week.is_none() && !errors.by_field.contains_key("week_of") {
        errors.add("week_of", "Enter the week beginning");
    }
    let n = |errors: &mut Errors, name: &str, label: &str| errors.check(name, int(&form, name, label, Some(0))).unwrap_or(0);
    let a = NewActivity {
        service_id: field(&form, "service_id").into(),
        week_of: week,
        people: n(&mut errors, "people", "People supported"),
        packages: n(&mut errors, "packages", "Packages of care"),
        minutes_per_week: n(&mut errors, "hc_hours", "Hours of care a week").saturating_mul(60),
        support: SupportWeek {
            one_to_one_hours: n(&mut errors, "one_to_one_hours", "Hours of 1:1 support"),
            people: n(&mut errors, "people", "People supported"),
            shared_hours: n(&mut errors, "shared_hours", "Hours of shared support"),
            people_shared: n(&mut errors, "people_shared", "People who also receive shared support"),
        },
        source: "officer",
    };
    if errors.is_empty() {
        match state.store.record_activity(&user.actor(), &a, caremarket_store::today()).await {
            Ok(_) => return Ok(Redirect::to("/capacity?saved=activity").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    let kinds = vec![ServiceKind::HomeCare, ServiceKind::SupportedLiving, ServiceKind::EnhancedSupportedLiving, ServiceKind::DayServices];
    let fields = activity_fields(&form, all_service_options(&state, kinds).await?);
    render_form(&state, &user, activity_page(fields), &errors, StatusCode::BAD_REQUEST).await
}
