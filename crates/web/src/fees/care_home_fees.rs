//! Care home fees (issue 11 item 3): weekly fees per home and bed type with their history, the
//! FNC rate, placements by case reference, and each placement's weekly cost line by line, per
//! home and in total, every figure linked to the placements behind it. Reading needs
//! `ViewFees`, every change `ManageFees`; the rules are core's (`fees::care_home_fees`).

use super::render;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors as Errors, date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::money::money;
use caremarket_core::fees::care_home_fees::{
    BedType, CareHomeFeeDraft, CareHomePlacement, CostGap, CostTotals, FncDraft, FundingBasis, PlacementDraft, TopUpPayer, WeeklyCost,
    fee_in_force, fnc_in_force, totals_by_home, weekly_cost,
};
use caremarket_core::fees::financial_year;
use caremarket_core::fees::rates::long_date;
use caremarket_store::fees::{CareHome, CareHomeFeeRecord, CareHomePlacementRecord};
use minijinja::{Value, context};
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/fees/care-homes", get(overview))
        .route("/fees/care-homes/fees/new", get(new_fee).post(create_fee))
        .route("/fees/care-homes/homes/{id}", get(home))
        .route("/fees/care-homes/fnc", get(fnc_page).post(create_fnc))
        .route("/fees/care-homes/placements", get(placements))
        .route("/fees/care-homes/placements/new", get(new_placement).post(create_placement))
        .route("/fees/care-homes/placements/{id}", get(placement))
        .route("/fees/care-homes/placements/{id}/end", post(end_placement))
}

/// How the pages say the rounding rule.
const ROUNDING: &str = "All figures are in pounds and pence, added and taken away in whole pence: nothing is rounded.";

/// The date figures are given on: `on-day`, `on-month`, `on-year`, or today. A bad date is an
/// error on the `on` field and today's figures are shown.
fn figures_date(q: &[(String, String)], e: &mut Errors) -> Date {
    match form_date(q, "on", "The date") {
        Ok(Some(d)) => d,
        Ok(None) => caremarket_store::today(),
        Err(m) => {
            e.add("on", &m);
            caremarket_store::today()
        }
    }
}

/// The query string that asks for the same date: "&on-day=1&on-month=6&on-year=2025".
fn on_query(on: Date) -> String {
    format!("on-day={}&on-month={}&on-year={}", on.day(), on.month(), on.year())
}

fn status(e: &Errors) -> StatusCode {
    if e.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn totals_view(t: &CostTotals) -> Value {
    context! {
        placements => t.placements, placements_text => plural(t.placements, "placement", "placements"),
        gross => money(t.gross_pence), fnc => money(t.fnc_pence), contribution => money(t.contribution_pence),
        top_up => money(t.top_up_pence), council => money(t.council_pence), without_cost => t.without_cost,
        without_cost_text => (t.without_cost > 0).then(|| plural(t.without_cost, "placement has", "placements have") + " no cost on this date"),
    }
}

fn home_options(homes: &[CareHome], first: &str) -> Vec<serde_json::Value> {
    let mut v = vec![json!({"value": "", "text": first})];
    v.extend(
        homes
            .iter()
            .map(|h| json!({"value": h.id, "text": format!("{} ({}, {})", h.name, h.provider_name, h.kind.label().to_lowercase())})),
    );
    v
}

fn bed_options() -> Vec<serde_json::Value> {
    BedType::ALL
        .iter()
        .map(|b| {
            let hint = if b.is_nursing() { Some("Only at a home registered with nursing. The NHS pays FNC for it.") } else { None };
            json!({"value": b.as_str(), "text": b.label(), "hint": hint})
        })
        .collect()
}

/// The weekly cost lines of a placement on a date, or why there is none.
fn cost_view(p: &CareHomePlacement, cost: &Result<WeeklyCost, CostGap>) -> Value {
    match cost {
        Ok(c) => context! {
            ok => true, gross => money(c.gross_pence), fnc => money(c.fnc_pence), contribution => money(c.contribution_pence),
            council => money(c.council_pence), top_up => money(c.top_up_pence), has_top_up => c.top_up_pence > 0,
            nursing => p.bed_type.is_nursing(), net => p.funding == FundingBasis::Net,
            fee_from => long_date(c.fee.effective_from), fee_year => financial_year(c.fee.effective_from),
            fnc_from => c.fnc.as_ref().map(|r| long_date(r.effective_from)), covers => c.contribution_covers_fee,
        },
        Err(gap) => context! { ok => false, gap => gap.text() },
    }
}

fn placement_row(r: &CareHomePlacementRecord, cost: &Result<WeeklyCost, CostGap>) -> Value {
    let p = &r.placement;
    context! {
        id => p.id, case_ref => p.case_ref, home => r.home_name, home_id => p.service_id, bed => p.bed_type.label(),
        start => p.start_date.to_string(), end => p.end_date.map(|d| d.to_string()), funding => p.funding.short(),
        cost => cost_view(p, cost),
    }
}

struct Facts {
    homes: Vec<CareHome>,
    fees: Vec<CareHomeFeeRecord>,
    fnc: Vec<caremarket_core::fees::care_home_fees::FncRate>,
    placements: Vec<CareHomePlacementRecord>,
}

async fn facts(state: &AppState) -> Result<Facts, AppError> {
    Ok(Facts {
        homes: state.store.care_homes().await?,
        fees: state.store.care_home_fees().await?,
        fnc: state.store.fnc_rates().await?.into_iter().map(|r| r.rate).collect(),
        placements: state.store.care_home_placements().await?,
    })
}

impl Facts {
    fn fee_versions(&self) -> Vec<caremarket_core::fees::care_home_fees::CareHomeFee> {
        self.fees.iter().map(|r| r.fee.clone()).collect()
    }
    fn plain_placements(&self) -> Vec<CareHomePlacement> {
        self.placements.iter().map(|r| r.placement.clone()).collect()
    }
}

/// The overview: per home and in total on a date, the fees in force, and the FNC rate.
async fn overview(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ViewFees)?;
    let mut e = Errors::new(&["on"]);
    let on = figures_date(&q, &mut e);
    let f = facts(&state).await?;
    let fees = f.fee_versions();
    let (per, total) = totals_by_home(&f.plain_placements(), &fees, &f.fnc, on);
    let oq = on_query(on);
    let rows: Vec<Value> = per
        .iter()
        .map(|(id, t)| {
            let name = f.placements.iter().find(|r| &r.placement.service_id == id).map(|r| r.home_name.clone()).unwrap_or_default();
            context! { id => id, name => name, t => totals_view(t), href => format!("/fees/care-homes/placements?home={id}&{oq}") }
        })
        .collect();
    let fee_rows: Vec<Value> = f
        .homes
        .iter()
        .filter(|h| fees.iter().any(|x| x.service_id == h.id))
        .map(|h| {
            let cells: Vec<Option<String>> = BedType::ALL
                .iter()
                .map(|b| {
                    if b.is_nursing() && h.kind != caremarket_core::register::ServiceKind::CareHomeNursing {
                        return Some("No nursing".to_string());
                    }
                    fee_in_force(&fees, &h.id, *b, on).map(|x| format!("{} a week", money(x.weekly_pence)))
                })
                .collect();
            context! { id => h.id, name => h.name, provider => h.provider_name, cells => cells }
        })
        .collect();
    let banner = match field(&q, "saved") {
        "placement" => Some("Placement recorded"),
        _ => None,
    };
    let fnc_now = fnc_in_force(&f.fnc, on).map(
        |r| context! { weekly => money(r.weekly_pence), from => long_date(r.effective_from), year => financial_year(r.effective_from) },
    );
    let html = render(
        &state,
        &user,
        "fees_care_homes.html",
        context! {
            errors => e.list, field_errors => e.by_field, on => date_parts(&q, "on"), on_text => long_date(on), year => financial_year(on),
            rows => rows, total => totals_view(&total), total_href => format!("/fees/care-homes/placements?{oq}"),
            fee_rows => fee_rows, bed_labels => BedType::ALL.iter().map(|b| b.label()).collect::<Vec<_>>(),
            fnc => fnc_now, can_manage => user.role().can(Permission::ManageFees), rounding => ROUNDING, banner => banner,
        },
    )
    .await?;
    Ok((status(&e), Html(html)).into_response())
}

/// A home: the fee in force on a date per bed type, every version of each, and its placements.
async fn home(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewFees)?;
    let mut e = Errors::new(&["on"]);
    let on = figures_date(&q, &mut e);
    let f = facts(&state).await?;
    let Some(h) = f.homes.iter().find(|h| h.id == id) else {
        return Err(caremarket_store::StoreError::NotFound(format!("care home {id}")).into());
    };
    let fees = f.fee_versions();
    // A home without nursing has no nursing beds to show.
    let beds: Vec<Value> = BedType::ALL
        .iter()
        .filter(|b| !b.is_nursing() || h.kind == caremarket_core::register::ServiceKind::CareHomeNursing)
        .map(|b| {
            let mut versions: Vec<&CareHomeFeeRecord> = f.fees.iter().filter(|r| r.fee.service_id == id && r.fee.bed_type == *b).collect();
            versions.sort_by_key(|r| std::cmp::Reverse(r.fee.effective_from));
            let now = fee_in_force(&fees, &id, *b, on);
            context! {
                label => b.label(), now => now.map(|x| money(x.weekly_pence)), now_from => now.map(|x| long_date(x.effective_from)),
                versions => versions.iter().map(|r| context! {
                    weekly => money(r.fee.weekly_pence), from => r.fee.effective_from.to_string(), year => financial_year(r.fee.effective_from),
                    set_by => r.created_by_label, in_force => now.is_some_and(|n| n.id == r.fee.id),
                }).collect::<Vec<_>>(),
            }
        })
        .collect();
    let placements = f.plain_placements();
    let here: Vec<CareHomePlacement> = placements.into_iter().filter(|p| p.service_id == id).collect();
    let (_, t) = totals_by_home(&here, &fees, &f.fnc, on);
    let banner = (field(&q, "saved") == "fee").then_some("Weekly fee saved");
    let html = render(
        &state,
        &user,
        "fees_care_home.html",
        context! {
            errors => e.list, field_errors => e.by_field, on => date_parts(&q, "on"), on_text => long_date(on),
            home => context! { id => h.id, name => h.name, provider => h.provider_name, kind => h.kind.label(), town => h.town },
            beds => beds, totals => totals_view(&t), placements_href => format!("/fees/care-homes/placements?home={id}&{}", on_query(on)),
            can_manage => user.role().can(Permission::ManageFees), banner => banner, rounding => ROUNDING,
        },
    )
    .await?;
    Ok((status(&e), Html(html)).into_response())
}

async fn render_fee_form(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    e: &Errors,
    code: StatusCode,
) -> Result<Response, AppError> {
    let homes = state.store.care_homes().await?;
    let html = render(
        state,
        user,
        "fees_care_home_fee_form.html",
        context! {
            errors => e.list, field_errors => e.by_field, service_id => field(form, "service_id"), bed_type => field(form, "bed_type"),
            weekly => field(form, "weekly"), effective_from => date_parts(form, "effective_from"),
            home_options => home_options(&homes, "Choose the care home"), bed_options => bed_options(),
        },
    )
    .await?;
    Ok((code, Html(html)).into_response())
}

async fn new_fee(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    let form = vec![("service_id".to_string(), field(&q, "home").to_string())];
    render_fee_form(&state, &user, &form, &Errors::new(&["effective_from"]), StatusCode::OK).await
}

async fn create_fee(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    let mut e = Errors::new(&["effective_from"]);
    let effective_from = match form_date(&form, "effective_from", "The date the fee takes effect") {
        Ok(d) => d,
        Err(m) => {
            e.add("effective_from", &m);
            None
        }
    };
    let draft = CareHomeFeeDraft {
        service_id: Some(field(&form, "service_id").to_string()).filter(|s| !s.is_empty()),
        bed_type: BedType::parse(field(&form, "bed_type")),
        weekly: field(&form, "weekly").to_string(),
        effective_from,
    };
    if e.is_empty() {
        match state.store.add_care_home_fee(&user.actor(), &draft).await {
            Ok(_) => {
                let home = draft.service_id.unwrap_or_default();
                return Ok(Redirect::to(&format!("/fees/care-homes/homes/{home}?saved=fee")).into_response());
            }
            Err(err) => e.add_store(err)?,
        }
    } else if let Err(all) = draft.check(None, &[]) {
        // The date was not a date: show the other problems too (the home is checked on saving).
        e.extend(caremarket_core::FieldErrors(all.0.into_iter().filter(|f| f.field != "service_id").collect()));
    }
    render_fee_form(&state, &user, &form, &e, StatusCode::BAD_REQUEST).await
}

async fn render_fnc(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    e: &Errors,
    banner: Option<&str>,
) -> Result<Response, AppError> {
    let today = caremarket_store::today();
    let mut rates = state.store.fnc_rates().await?;
    let plain: Vec<_> = rates.iter().map(|r| r.rate.clone()).collect();
    let now = fnc_in_force(&plain, today).map(|r| r.id.clone());
    rates.reverse();
    let rows: Vec<Value> = rates
        .iter()
        .map(|r| {
            context! {
                weekly => money(r.rate.weekly_pence), from => r.rate.effective_from.to_string(), year => financial_year(r.rate.effective_from),
                source => r.source, set_by => r.created_by_label, in_force => now.as_deref() == Some(r.rate.id.as_str()),
            }
        })
        .collect();
    let html = render(
        state,
        user,
        "fees_care_home_fnc.html",
        context! {
            errors => e.list, field_errors => e.by_field, rows => rows, banner => banner, can_manage => user.role().can(Permission::ManageFees),
            weekly => field(form, "weekly"), source => field(form, "source"), effective_from => date_parts(form, "effective_from"),
        },
    )
    .await?;
    Ok((status(e), Html(html)).into_response())
}

async fn fnc_page(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ViewFees)?;
    let banner = (field(&q, "saved") == "fnc").then_some("FNC rate saved");
    render_fnc(&state, &user, &[], &Errors::new(&["effective_from"]), banner).await
}

async fn create_fnc(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    let mut e = Errors::new(&["effective_from"]);
    let effective_from = match form_date(&form, "effective_from", "The date the rate takes effect") {
        Ok(d) => d,
        Err(m) => {
            e.add("effective_from", &m);
            None
        }
    };
    let draft = FncDraft { weekly: field(&form, "weekly").to_string(), effective_from };
    if e.is_empty() {
        match state.store.add_fnc_rate(&user.actor(), &draft, field(&form, "source")).await {
            Ok(_) => return Ok(Redirect::to("/fees/care-homes/fnc?saved=fnc").into_response()),
            Err(err) => e.add_store(err)?,
        }
    } else if let Err(all) = draft.check(&[]) {
        e.extend(all);
    }
    render_fnc(&state, &user, &form, &e, None).await
}

/// The placements in a home (or all) active on a date, each with its weekly cost: the page
/// every figure of the overview links to.
async fn placements(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewFees)?;
    let mut e = Errors::new(&["on"]);
    let on = figures_date(&q, &mut e);
    let f = facts(&state).await?;
    let fees = f.fee_versions();
    let home_id = field(&q, "home");
    let home = f.homes.iter().find(|h| h.id == home_id);
    if !home_id.is_empty() && home.is_none() {
        e.add("home", "Choose a care home from the list");
    }
    let mut total = CostTotals::default();
    let rows: Vec<Value> = f
        .placements
        .iter()
        .filter(|r| r.placement.active_on(on) && (home.is_none() || r.placement.service_id == home_id))
        .map(|r| {
            let cost = weekly_cost(&r.placement, &fees, &f.fnc, on);
            total.add(&cost);
            placement_row(r, &cost)
        })
        .collect();
    let html = render(
        &state,
        &user,
        "fees_care_home_placements.html",
        context! {
            errors => e.list, field_errors => e.by_field, on => date_parts(&q, "on"), on_text => long_date(on), on_query => on_query(on),
            home => home.map(|h| context! { id => h.id, name => h.name }), home_id => home_id,
            home_options => home_options(&f.homes, "All care homes"), rows => rows, total => totals_view(&total),
            can_manage => user.role().can(Permission::ManageFees), rounding => ROUNDING,
        },
    )
    .await?;
    Ok((status(&e), Html(html)).into_response())
}

fn placement_errors() -> Errors {
    Errors::new(&["start_date", "end_date"])
}

async fn render_placement_form(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    e: &Errors,
    code: StatusCode,
) -> Result<Response, AppError> {
    let homes = state.store.care_homes().await?;
    let mut payers = vec![json!({"value": "", "text": "No top-up"})];
    payers.extend(TopUpPayer::ALL.iter().map(|p| json!({"value": p.as_str(), "text": p.label()})));
    let html = render(
        state,
        user,
        "fees_care_home_placement_form.html",
        context! {
            errors => e.list, field_errors => e.by_field,
            case_ref => field(form, "case_ref"), service_id => field(form, "service_id"), bed_type => field(form, "bed_type"),
            start_date => date_parts(form, "start_date"), funding => field(form, "funding"), contribution => field(form, "contribution"),
            top_up => field(form, "top_up"), top_up_payer => field(form, "top_up_payer"),
            home_options => home_options(&homes, "Choose the care home"), bed_options => bed_options(),
            funding_options => FundingBasis::ALL.iter().map(|b| json!({"value": b.as_str(), "text": b.label()})).collect::<Vec<_>>(),
            payer_options => payers,
        },
    )
    .await?;
    Ok((code, Html(html)).into_response())
}

async fn new_placement(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    render_placement_form(&state, &user, &[], &placement_errors(), StatusCode::OK).await
}

async fn create_placement(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    let mut e = placement_errors();
    let start_date = match form_date(&form, "start_date", "The start date") {
        Ok(d) => d,
        Err(m) => {
            e.add("start_date", &m);
            None
        }
    };
    let draft = PlacementDraft {
        case_ref: field(&form, "case_ref").to_string(),
        service_id: Some(field(&form, "service_id").to_string()).filter(|s| !s.is_empty()),
        bed_type: BedType::parse(field(&form, "bed_type")),
        start_date,
        end_date: None,
        funding: FundingBasis::parse(field(&form, "funding")),
        contribution: field(&form, "contribution").to_string(),
        top_up: field(&form, "top_up").to_string(),
        top_up_payer: TopUpPayer::parse(field(&form, "top_up_payer")),
    };
    if e.is_empty() {
        match state.store.record_care_home_placement(&user.actor(), &draft).await {
            Ok(id) => return Ok(Redirect::to(&format!("/fees/care-homes/placements/{id}?saved=recorded")).into_response()),
            Err(err) => e.add_store(err)?,
        }
    } else if let Err(all) = draft.check(None) {
        e.extend(caremarket_core::FieldErrors(all.0.into_iter().filter(|f| f.field != "service_id" && f.field != "start_date").collect()));
    }
    render_placement_form(&state, &user, &form, &e, StatusCode::BAD_REQUEST).await
}

async fn render_placement(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    q: &[(String, String)],
    mut e: Errors,
    form: &[(String, String)],
) -> Result<Response, AppError> {
    let r = state.store.care_home_placement(id).await?;
    let on = figures_date(q, &mut e);
    let fees: Vec<_> = state.store.care_home_fees().await?.into_iter().map(|x| x.fee).collect();
    let fnc: Vec<_> = state.store.fnc_rates().await?.into_iter().map(|x| x.rate).collect();
    let p = &r.placement;
    let cost = weekly_cost(p, &fees, &fnc, on);
    let banner = match field(q, "saved") {
        "recorded" => Some("Placement recorded"),
        "ended" => Some("Placement ended"),
        _ => None,
    };
    let html = render(
        state,
        user,
        "fees_care_home_placement.html",
        context! {
            errors => e.list, field_errors => e.by_field, on => date_parts(q, "on"), on_text => long_date(on), banner => banner,
            p => context! {
                id => p.id, case_ref => p.case_ref, home => r.home_name, home_id => p.service_id, provider => r.provider_name,
                bed => p.bed_type.label(), bed_lower => p.bed_type.label().to_lowercase(), nursing => p.bed_type.is_nursing(),
                start => p.start_date.to_string(), end => p.end_date.map(|d| d.to_string()),
                funding => p.funding.label(), net => p.funding == FundingBasis::Net, contribution => money(p.contribution_pence),
                top_up => (p.top_up_pence > 0).then(|| money(p.top_up_pence)),
                payer => p.top_up_payer.map(|x| x.label().to_lowercase()), active => p.active_on(on),
                recorded_by => r.created_by_label,
            },
            cost => cost_view(p, &cost), end_date => date_parts(form, "end_date"),
            can_manage => user.role().can(Permission::ManageFees), rounding => ROUNDING,
        },
    )
    .await?;
    Ok((status(&e), Html(html)).into_response())
}

async fn placement(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewFees)?;
    render_placement(&state, &user, &id, &q, Errors::new(&["on", "end_date"]), &[]).await
}

async fn end_placement(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    let mut e = Errors::new(&["on", "end_date"]);
    if let Some(end) = e.date(&form, "end_date", "End date") {
        match state.store.end_care_home_placement(&user.actor(), &id, end).await {
            Ok(()) => return Ok(Redirect::to(&format!("/fees/care-homes/placements/{id}?saved=ended")).into_response()),
            Err(err) => e.add_store(err)?,
        }
    }
    render_placement(&state, &user, &id, &[], e, &form).await
}
