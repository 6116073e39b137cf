//! Direct payments (domain C5; issue 5): the list and search, recording and ending a DP,
//! spend import, monitoring due and overdue per officer, reclaims, the Self-Directed Support
//! figures of `000`, money management companies on the Recognised Provider List with exit
//! plans, and Individual Service Funds. The PA register and the rate tools are in `pa` and
//! `rates`.
//!
//! DP records name people by case reference: only direct payments roles see them
//! (`ViewDirectPayments`); commissioners see the figures and the rate tools. References never go
//! into a URL or a log line.

mod pa;
mod rates;

use crate::AppState;
use crate::auth::{CurrentUser, session_context};
use crate::csrf::CsrfForm;
use crate::error::AppError;
pub(crate) use crate::forms::{date_parts, field, form_date};
use crate::render::field_error;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::figures::{self, percent};
use caremarket_core::direct_payments::monitoring::KINDS;
use caremarket_core::direct_payments::{
    self as dp, BUDGET_PERIODS, CATEGORIES, DpDraft, HOLDINGS, label_of, money, money_pounds, parse_money,
};
use caremarket_core::register::ServiceKind;
use caremarket_store::StoreError;
use caremarket_store::direct_payments::{DirectPayment, DpFilter, NewDirectPayment, NewMonitoring, QA_RESULTS, SpendRow};
use caremarket_store::register::ServiceFilter;
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/direct-payments", get(list))
        .route("/direct-payments/new", get(new_form).post(create))
        .route("/direct-payments/figures", get(figures_page))
        .route("/direct-payments/monitoring", get(monitoring_due))
        .route("/direct-payments/reclaims", get(reclaims))
        .route("/direct-payments/settings", post(save_settings))
        .route("/direct-payments/spend/import", get(import_form).post(import_upload))
        .route("/direct-payments/rpl", get(rpl_list))
        .route("/direct-payments/rpl/{provider_id}", get(rpl_company))
        .route("/direct-payments/rpl/{provider_id}/qa", post(rpl_qa))
        .route("/direct-payments/rpl/{provider_id}/remove", post(rpl_remove))
        .route("/direct-payments/exit-plans/{id}", get(exit_plan))
        .route("/direct-payments/exit-plans/{id}/items/{item_id}", post(exit_item))
        .route("/direct-payments/isfs", get(isfs).post(create_isf))
        .route("/direct-payments/monitoring/{mid}/returned", post(returned))
        .route("/direct-payments/{id}", get(show))
        .route("/direct-payments/{id}/end", get(end_form).post(end))
        .route("/direct-payments/{id}/monitoring", post(record_monitoring))
        .merge(pa::routes())
        .merge(rates::routes())
}

// ----- shared form helpers -----

pub(crate) fn all<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}

/// A GOV.UK date input's three fields as a date. `Ok(None)` when all are empty.
fn input_id(field: &str) -> String {
    match field {
        "start_date" | "end_date" | "completed_on" | "period_start" | "period_end" | "dbs_date" | "assessed_on" | "effective_from"
        | "gathered_on" | "returned_on" => {
            format!("{field}-day")
        }
        other => other.to_string(),
    }
}

#[derive(Default)]
pub(crate) struct Errors {
    pub list: Vec<Value>,
    pub by_field: BTreeMap<String, String>,
}

impl Errors {
    pub fn add(&mut self, field: &str, message: &str) {
        if self.by_field.contains_key(field) {
            return;
        }
        self.list.push(field_error(&input_id(field), message));
        self.by_field.insert(field.to_string(), message.to_string());
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    pub fn add_store(&mut self, e: StoreError) -> Result<(), AppError> {
        match e {
            StoreError::Invalid(fe) => {
                self.add(&fe.field, &fe.message);
                Ok(())
            }
            other => Err(other.into()),
        }
    }
    /// A required date field.
    pub fn date(&mut self, form: &[(String, String)], name: &str, label: &str) -> Option<Date> {
        match form_date(form, name, label) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                self.add(name, &format!("Enter the {}", label.to_lowercase()));
                None
            }
            Err(m) => {
                self.add(name, &m);
                None
            }
        }
    }
    /// A required amount of money, more than zero unless `allow_zero`.
    pub fn money(&mut self, form: &[(String, String)], name: &str, label: &str, allow_zero: bool) -> Option<i64> {
        let raw = field(form, name).trim();
        if raw.is_empty() {
            self.add(name, &format!("Enter the {}", label.to_lowercase()));
            return None;
        }
        match parse_money(raw) {
            Some(v) if v < 0 => {
                self.add(name, &format!("{label} cannot be negative"));
                None
            }
            Some(0) if !allow_zero => {
                self.add(name, &format!("{label} must be more than £0"));
                None
            }
            Some(v) => Some(v),
            None => {
                self.add(name, &format!("{label} must be an amount of money, like 250.00"));
                None
            }
        }
    }
}

pub(crate) fn options(list: &[(&str, &str)], first: Option<&str>) -> Vec<Value> {
    let mut v: Vec<Value> = first.map(|f| vec![context! { value => "", text => f }]).unwrap_or_default();
    v.extend(list.iter().map(|(c, l)| context! { value => *c, text => *l }));
    v
}

fn options_owned(list: &[(String, String)], first: Option<&str>) -> Vec<Value> {
    let mut v: Vec<Value> = first.map(|f| vec![context! { value => "", text => f }]).unwrap_or_default();
    v.extend(list.iter().map(|(c, l)| context! { value => c, text => l }));
    v
}

fn label_owned(list: &[(String, String)], code: &str) -> String {
    list.iter().find(|(c, _)| c == code).map(|(_, l)| l.clone()).unwrap_or_else(|| code.to_string())
}

pub(crate) async fn page(
    state: &AppState,
    user: &CurrentUser,
    template: &str,
    status: StatusCode,
    ctx: Value,
) -> Result<Response, AppError> {
    let base = session_context(state, &user.session).await?;
    Ok((status, Html(state.renderer.render(template, &base, ctx)?)).into_response())
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn parse_iso(s: Option<&str>) -> Option<Date> {
    s.and_then(|s| s.trim().parse().ok())
}

fn year_ago(today: Date) -> Date {
    today.checked_sub(jiff::Span::new().years(1)).unwrap_or(today)
}

// ----- list -----

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    service_area: Option<String>,
    holding: Option<String>,
    officer_id: Option<String>,
    mm_provider_id: Option<String>,
    closure_reason: Option<String>,
    category: Option<String>,
    started_since: Option<String>,
    ended_since: Option<String>,
    spend_since: Option<String>,
    child: Option<String>,
    page: Option<i64>,
    recorded: Option<String>,
}

struct Lists {
    areas: Vec<(String, String)>,
    reasons: Vec<(String, String)>,
}

async fn lists(state: &AppState) -> Result<Lists, AppError> {
    Ok(Lists { areas: state.store.dp_reference("service_area").await?, reasons: state.store.dp_reference("closure_reason").await? })
}

fn dp_row(d: &DirectPayment, l: &Lists) -> Value {
    context! {
        id => d.id, person_ref => d.person_ref, area => label_owned(&l.areas, &d.service_area), is_child => d.is_child,
        budget => format!("{} {}", money(d.budget_pence), label_of(&BUDGET_PERIODS, &d.budget_period).to_lowercase()),
        holding => label_of(&HOLDINGS, &d.holding), mm_provider_name => d.mm_provider_name, start_date => d.start_date,
        end_date => d.end_date, closure_reason => d.closure_reason.as_deref().map(|r| label_owned(&l.reasons, r)),
        officer_name => d.officer_name,
    }
}

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    if !user.role().can(Permission::ViewDirectPayments) {
        // Commissioners see the figures, not the records.
        user.require(Permission::ViewDirectPaymentFigures)?;
        return Ok(Redirect::to("/direct-payments/figures").into_response());
    }
    let l = lists(&state).await?;
    let ne = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    let filter = DpFilter {
        q: ne(&q.q),
        status: ne(&q.status),
        service_area: ne(&q.service_area),
        holding: ne(&q.holding),
        officer_id: ne(&q.officer_id),
        mm_provider_id: ne(&q.mm_provider_id),
        closure_reason: ne(&q.closure_reason),
        category: ne(&q.category),
        started_since: parse_iso(q.started_since.as_deref()),
        ended_since: parse_iso(q.ended_since.as_deref()),
        spend_since: parse_iso(q.spend_since.as_deref()),
        is_child: q.child.as_deref().map(|c| c == "1"),
        page: q.page.unwrap_or(1),
        per_page: 50,
    };
    let result = state.store.direct_payments(&filter).await?;
    let rows: Vec<Value> = result.items.iter().map(|d| dp_row(d, &l)).collect();
    // Links to other pages keep every filter but the page.
    let mut params: Vec<(String, String)> = Vec::new();
    for (k, v) in [
        ("q", &q.q),
        ("status", &q.status),
        ("service_area", &q.service_area),
        ("holding", &q.holding),
        ("officer_id", &q.officer_id),
        ("mm_provider_id", &q.mm_provider_id),
        ("closure_reason", &q.closure_reason),
        ("category", &q.category),
        ("started_since", &q.started_since),
        ("ended_since", &q.ended_since),
        ("spend_since", &q.spend_since),
        ("child", &q.child),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            params.push((k.to_string(), v.clone()));
        }
    }
    let base_qs = serde_urlencoded::to_string(&params).unwrap_or_default();
    let pages = result.pages();
    let href = |p: i64| format!("/direct-payments?{base_qs}{}page={p}", if base_qs.is_empty() { "" } else { "&" });
    let mut described: Vec<String> = Vec::new();
    if let Some(a) = &filter.service_area {
        described.push(format!("service area: {}", label_owned(&l.areas, a)));
    }
    if let Some(c) = &filter.category {
        described.push(format!("buying {}", label_of(&CATEGORIES, c)));
    }
    if let Some(r) = &filter.closure_reason {
        described.push(format!("ended: {}", label_owned(&l.reasons, r)));
    }
    if let Some(h) = &filter.holding {
        described.push(format!("held: {}", label_of(&HOLDINGS, h)));
    }
    if let Some(s) = filter.started_since {
        described.push(format!("started since {s}"));
    }
    if let Some(s) = filter.ended_since {
        described.push(format!("ended since {s}"));
    }
    if let Some(c) = filter.is_child {
        described.push(if c { "children".into() } else { "adults".into() });
    }
    page(
        &state,
        &user,
        "dp_list.html",
        StatusCode::OK,
        context! {
            rows => rows, total => result.total, page => result.page, pages => pages,
            prev_href => (result.page > 1).then(|| href(result.page - 1)), next_href => (result.page < pages).then(|| href(result.page + 1)),
            q => q.q.clone().unwrap_or_default(), status => q.status.clone().unwrap_or_default(), service_area => q.service_area.clone().unwrap_or_default(),
            holding => q.holding.clone().unwrap_or_default(),
            status_options => options(&[("open", "Open"), ("ended", "Ended"), ("all", "All")], None),
            area_options => options_owned(&l.areas, Some("Any service area")),
            holding_options => options(&HOLDINGS, Some("Any")),
            described => described.join(", "),
            can_edit => user.role().can(Permission::EditDirectPayments),
            recorded => q.recorded.is_some(),
        },
    )
    .await
}

// ----- record -----

async fn mm_companies(state: &AppState) -> Result<Vec<(String, String)>, AppError> {
    let page = state
        .store
        .services(&ServiceFilter {
            kinds: vec![ServiceKind::MoneyManagement],
            contract_status: Some(caremarket_core::register::ContractStatus::RecognisedProviderList),
            any_area: true,
            registration: Some("all".into()),
            sort: Some("name".into()),
            per_page: 500,
            ..Default::default()
        })
        .await?;
    let mut v: Vec<(String, String)> = page.items.iter().map(|s| (s.provider_id.clone(), s.provider_name.clone())).collect();
    v.sort();
    v.dedup();
    Ok(v)
}

async fn officers(state: &AppState) -> Result<Vec<(String, String)>, AppError> {
    Ok(state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active && u.role.can(Permission::EditDirectPayments))
        .map(|u| (u.id, u.display_name))
        .collect())
}

async fn render_new(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let l = lists(state).await?;
    let officer = if form.is_empty() { user.user.id.clone() } else { field(form, "officer_id").to_string() };
    page(
        state,
        user,
        "dp_new.html",
        status,
        context! {
            errors => errors.list, field_errors => errors.by_field,
            person_ref => field(form, "person_ref"), service_area => field(form, "service_area"),
            area_options => l.areas.iter().map(|(c, t)| context!{ value => c, text => t }).collect::<Vec<_>>(),
            is_child => field(form, "is_child"), budget => field(form, "budget"), budget_period => field(form, "budget_period"),
            period_options => options(&BUDGET_PERIODS, None), holding => field(form, "holding"), holding_options => options(&HOLDINGS, None),
            mm_provider_id => field(form, "mm_provider_id"), mm_options => options_owned(&mm_companies(state).await?, Some("Choose a company (managed accounts only)")),
            start_date => date_parts(form, "start_date"), officer_id => officer, officer_options => options_owned(&officers(state).await?, Some("No named officer yet")),
        },
    )
    .await
}

async fn new_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    render_new(&state, &user, &[], &Errors::default(), StatusCode::OK).await
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = Errors::default();
    if field(&form, "person_ref").trim().is_empty() {
        errors.add("person_ref", "Enter the person's case reference");
    }
    if field(&form, "service_area").is_empty() {
        errors.add("service_area", "Choose the funding service area");
    }
    if !matches!(field(&form, "is_child"), "0" | "1") {
        errors.add("is_child", "Choose whether this is an adult's or a child's direct payment");
    }
    let raw_budget = field(&form, "budget").trim();
    let budget = if raw_budget.is_empty() {
        errors.add("budget", "Enter the budget");
        None
    } else {
        match parse_money(raw_budget) {
            Some(b) if b <= 0 => {
                errors.add("budget", "The budget must be more than £0: enter the amount agreed in the support plan");
                None
            }
            Some(b) => Some(b),
            None => {
                errors.add("budget", "The budget must be an amount of money, like 250.00");
                None
            }
        }
    };
    if field(&form, "budget_period").is_empty() {
        errors.add("budget_period", "Choose the period the budget covers");
    }
    if field(&form, "holding").is_empty() {
        errors.add("holding", "Choose how the direct payment is held");
    }
    let start = errors.date(&form, "start_date", "Start date");
    if errors.is_empty()
        && let (Some(budget), Some(start)) = (budget, start)
    {
        let n = NewDirectPayment {
            draft: DpDraft {
                person_ref: field(&form, "person_ref").to_string(),
                service_area: field(&form, "service_area").to_string(),
                is_child: field(&form, "is_child") == "1",
                budget_pence: budget,
                budget_period: field(&form, "budget_period").to_string(),
                holding: field(&form, "holding").to_string(),
                mm_provider_id: non_empty(field(&form, "mm_provider_id")),
                start_date: start,
            },
            officer_id: non_empty(field(&form, "officer_id")),
        };
        match state.store.create_direct_payment(&user.actor(), &n).await {
            Ok(id) => return Ok(Redirect::to(&format!("/direct-payments/{id}?recorded=1")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_new(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}

// ----- one DP -----

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    recorded: Option<String>,
    ended: Option<String>,
    monitored: Option<String>,
}

async fn render_show(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    form: &[(String, String)],
    errors: &Errors,
    status: StatusCode,
    banner: Option<&str>,
) -> Result<Response, AppError> {
    let d = state.store.direct_payment(id).await?;
    let l = lists(state).await?;
    let (by_cat, lines) = state.store.dp_spend(id).await?;
    let total: i64 = by_cat.iter().map(|(_, v)| v).sum();
    let records = state.store.monitoring_for(id).await?;
    let policy = state.store.dp_policy().await?;
    let last = |k: &str| records.iter().filter(|r| r.kind == k).filter_map(|r| r.completed_on.parse::<Date>().ok()).max();
    let today = caremarket_store::today();
    let due = match d.start() {
        Some(s) => dp::monitoring::due(&policy, s, d.end(), last("check_in"), last("review"), last("financial"), today),
        None => Vec::new(),
    };
    let due: Vec<Value> =
        due.iter().map(|x| context! { kind => label_of(&KINDS, x.kind), due => x.due.to_string(), overdue => x.overdue }).collect();
    let recs: Vec<Value> = records
        .iter()
        .map(|r| {
            context! {
                id => r.id, kind => label_of(&KINDS, &r.kind), completed_on => r.completed_on, period => r.period_start.as_ref().map(|s| format!("{s} to {}", r.period_end.clone().unwrap_or_default())),
                balance => r.balance_pence.map(money), allowed => r.allowed_contingency_pence.map(money), weeks => r.contingency_weeks,
                surplus => r.surplus_pence.map(money), requested => r.requested_pence.map(money), requested_pence => r.requested_pence.unwrap_or(0),
                returned => r.returned_pence.map(money), returned_on => r.returned_on, notes => r.notes, officer => r.officer_label,
            }
        })
        .collect();
    page(
        state,
        user,
        "dp_show.html",
        status,
        context! {
            dp => dp_row(&d, &l), open => d.end_date.is_none(), banner => banner,
            spend_total => money(total), spend_by_category => by_cat.iter().map(|(c, v)| context!{ category => label_of(&CATEGORIES, c), amount => money(*v) }).collect::<Vec<_>>(),
            spend_lines => lines.iter().map(|s| context!{ date => s.spend_date, amount => money(s.amount_pence), category => label_of(&CATEGORIES, &s.category) }).collect::<Vec<_>>(),
            due => due, records => recs, contingency_weeks => policy.contingency_weeks,
            can_edit => user.role().can(Permission::EditDirectPayments),
            errors => errors.list, field_errors => errors.by_field,
            kind => field(form, "kind"), kind_options => options(&KINDS, None), completed_on => date_parts(form, "completed_on"),
            period_start => date_parts(form, "period_start"), period_end => date_parts(form, "period_end"),
            balance => field(form, "balance"), requested => field(form, "requested"), notes => field(form, "notes"),
        },
    )
    .await
}

async fn show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    let banner = if q.recorded.is_some() {
        Some("Direct payment recorded")
    } else if q.ended.is_some() {
        Some("Direct payment ended")
    } else if q.monitored.is_some() {
        Some("Monitoring recorded")
    } else {
        None
    };
    render_show(&state, &user, &id, &[], &Errors::default(), StatusCode::OK, banner).await
}

async fn record_monitoring(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = Errors::default();
    let kind = field(&form, "kind").to_string();
    if kind.is_empty() {
        errors.add("kind", "Choose what kind of monitoring this was");
    }
    let done = errors.date(&form, "completed_on", "Date done");
    let mut m = NewMonitoring { kind: kind.clone(), completed_on: done, notes: non_empty(field(&form, "notes")), ..Default::default() };
    if kind == "financial" {
        m.period_start = errors.date(&form, "period_start", "Start of the period");
        m.period_end = errors.date(&form, "period_end", "End of the period");
        m.balance_pence = errors.money(&form, "balance", "Balance held", true);
        m.requested_pence = if field(&form, "requested").trim().is_empty() {
            Some(0)
        } else {
            errors.money(&form, "requested", "Amount requested back", true)
        };
    }
    if errors.is_empty() {
        match state.store.record_monitoring(&user.actor(), &id, &m).await {
            Ok(_) => return Ok(Redirect::to(&format!("/direct-payments/{id}?monitored=1")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_show(&state, &user, &id, &form, &errors, StatusCode::BAD_REQUEST, None).await
}

async fn returned(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(mid): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let dp_id = field(&form, "dp_id").to_string();
    let mut errors = Errors::default();
    let amount = errors.money(&form, "returned", "Amount returned", true);
    let on = errors.date(&form, "returned_on", "Date returned");
    if let (Some(a), Some(on)) = (amount, on) {
        match state.store.record_returned(&user.actor(), &mid, a, on).await {
            Ok(()) => return Ok(Redirect::to(&format!("/direct-payments/{dp_id}?monitored=1")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    let msg = errors.by_field.values().cloned().collect::<Vec<_>>().join(". ");
    Err(AppError::BadRequest(format!("The amount returned was not recorded: {msg}. Go back and try again.")))
}

// ----- end -----

async fn render_end(
    state: &AppState,
    user: &CurrentUser,
    d: &DirectPayment,
    form: &[(String, String)],
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let l = lists(state).await?;
    page(
        state,
        user,
        "dp_end.html",
        status,
        context! {
            dp => dp_row(d, &l), errors => errors.list, field_errors => errors.by_field,
            end_date => date_parts(form, "end_date"), closure_reason => field(form, "closure_reason"),
            reason_options => l.reasons.iter().map(|(c, t)| context!{ value => c, text => t }).collect::<Vec<_>>(),
        },
    )
    .await
}

async fn open_dp(state: &AppState, id: &str) -> Result<DirectPayment, AppError> {
    let d = state.store.direct_payment(id).await?;
    if d.end_date.is_some() {
        return Err(AppError::BadRequest("This direct payment has already ended.".into()));
    }
    Ok(d)
}

async fn end_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let d = open_dp(&state, &id).await?;
    render_end(&state, &user, &d, &[], &Errors::default(), StatusCode::OK).await
}

async fn end(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let d = open_dp(&state, &id).await?;
    let mut errors = Errors::default();
    let on = errors.date(&form, "end_date", "End date");
    let reason = field(&form, "closure_reason");
    if reason.is_empty() {
        errors.add("closure_reason", "Choose why the direct payment ended");
    }
    if let Some(on) = on
        && on > caremarket_store::today()
    {
        errors.add("end_date", "The end date must be today or in the past");
    }
    if errors.is_empty()
        && let Some(on) = on
    {
        match state.store.end_direct_payment(&user.actor(), &id, on, reason).await {
            Ok(()) => return Ok(Redirect::to(&format!("/direct-payments/{id}?ended=1")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_end(&state, &user, &d, &form, &errors, StatusCode::BAD_REQUEST).await
}

// ----- spend import -----

async fn import_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    render_import(&state, &user, &[], None, StatusCode::OK).await
}

async fn render_import(
    state: &AppState,
    user: &CurrentUser,
    problems: &[String],
    done: Option<Value>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let errors: Vec<Value> =
        problems.iter().map(|p| field_error(if problems.len() == 1 && p.starts_with("Select") { "file" } else { "" }, p)).collect();
    page(
        state,
        user,
        "dp_import.html",
        status,
        context! { errors => errors, problems => problems, done => done, categories => CATEGORIES.iter().map(|(_, l)| *l).collect::<Vec<_>>() },
    )
    .await
}

/// Read a finance CSV with the columns date, dp, amount, category (any order, named in a header
/// row; "DP", "DP id", "reference" accepted for dp). Row numbers count the header as row 1.
fn read_spend_csv(bytes: &[u8]) -> Result<Vec<SpendRow>, String> {
    let rows = crate::forms::csv_rows(
        bytes,
        "date, dp, amount and category",
        &[
            &["date", "spend date", "transaction date"],
            &["dp", "dp id", "dp_id", "direct payment", "reference", "person_ref", "case reference"],
            &["amount", "value", "amount (£)"],
            &["category", "spend category"],
        ],
    )?;
    if rows.len() > 200_000 {
        return Err("The file has more than 200,000 rows: split it and import each part".into());
    }
    Ok(rows
        .into_iter()
        .map(|(row, v)| {
            let [date, dp, amount, category] = <[String; 4]>::try_from(v).unwrap_or_default();
            SpendRow { row, date, dp, amount, category }
        })
        .collect())
}

async fn import_upload(user: CurrentUser, State(state): State<AppState>, mut multipart: Multipart) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut token: Option<String> = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(f) =
        multipart.next_field().await.map_err(|_| AppError::BadRequest("The file could not be uploaded – try again".into()))?
    {
        match f.name() {
            Some("csrf_token") => token = f.text().await.ok(),
            Some("file") => {
                let name = f.file_name().unwrap_or("spend.csv").to_string();
                let bytes = f.bytes().await.map_err(|_| AppError::BadRequest("The file could not be uploaded – try again".into()))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    crate::csrf::verify_token(&user.session, token.as_deref()).await?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return render_import(&state, &user, &["Select a CSV file of spend".into()], None, StatusCode::BAD_REQUEST).await;
    };
    let rows = match read_spend_csv(&bytes) {
        Ok(r) => r,
        Err(m) => return render_import(&state, &user, &[m], None, StatusCode::BAD_REQUEST).await,
    };
    match state.store.import_spend(&user.actor(), &name, &rows).await? {
        Ok(done) => {
            render_import(
                &state,
                &user,
                &[],
                Some(context! { rows => done.rows, total => money(done.total_pence), file => name }),
                StatusCode::OK,
            )
            .await
        }
        Err(problems) => {
            let mut p = vec![format!(
                "Nothing was imported: {} {} to fix",
                problems.len(),
                if problems.len() == 1 { "row needs" } else { "rows need" }
            )];
            p.extend(problems.into_iter().take(500));
            render_import(&state, &user, &p, None, StatusCode::BAD_REQUEST).await
        }
    }
}

// ----- monitoring due, reclaims, settings -----

#[derive(Debug, Default, Deserialize)]
struct DueQuery {
    officer_id: Option<String>,
    days: Option<i64>,
}

async fn monitoring_due(user: CurrentUser, State(state): State<AppState>, Query(q): Query<DueQuery>) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    let days = q.days.unwrap_or(30).clamp(0, 365);
    let mut rows = state.store.monitoring_due(caremarket_store::today(), days).await?;
    if let Some(o) = q.officer_id.as_deref().filter(|s| !s.is_empty()) {
        rows.retain(|r| r.officer_id.as_deref() == Some(o) || (o == "none" && r.officer_id.is_none()));
    }
    let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut counts: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in &rows {
        let who = r.officer_name.clone().unwrap_or_else(|| "No named officer".into());
        let c = counts.entry(who.clone()).or_default();
        c.0 += 1;
        if r.overdue {
            c.1 += 1;
        }
        groups.entry(who).or_default().push(
            context! { dp_id => r.dp_id, person_ref => r.person_ref, kind => label_of(&KINDS, r.kind), due => r.due, overdue => r.overdue },
        );
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(who, items)| {
            let (n, o) = counts.get(&who).copied().unwrap_or_default();
            context! { officer => who, items => items, due => n, overdue => o }
        })
        .collect();
    let overdue = rows.iter().filter(|r| r.overdue).count();
    page(
        &state,
        &user,
        "dp_monitoring.html",
        StatusCode::OK,
        context! { groups => groups, total => rows.len(), overdue => overdue, days => days, officer_id => q.officer_id.unwrap_or_default(), officer_options => options_owned(&officers(&state).await?, Some("All officers")) },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct ReclaimQuery {
    since: Option<String>,
    saved: Option<String>,
}

async fn reclaims(user: CurrentUser, State(state): State<AppState>, Query(q): Query<ReclaimQuery>) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    let since = parse_iso(q.since.as_deref());
    let (totals, recs) = state.store.reclaims(since).await?;
    let rows: Vec<Value> = recs
        .iter()
        .map(|r| {
            context! { dp_id => r.dp_id, completed_on => r.completed_on, surplus => r.surplus_pence.map(money), requested => r.requested_pence.map(money),
                returned => r.returned_pence.map(money), outstanding => money(r.requested_pence.unwrap_or(0) - r.returned_pence.unwrap_or(0)) }
        })
        .collect();
    page(
        &state,
        &user,
        "dp_reclaims.html",
        StatusCode::OK,
        context! {
            headline => totals.headline(), requested => money_pounds(totals.requested_pence), returned => money_pounds(totals.returned_pence),
            returned_share => percent(totals.returned_bp), rows => rows, since => q.since.unwrap_or_default(),
            contingency_weeks => state.store.dp_policy().await?.contingency_weeks, long_term_support => state.store.long_term_support().await?,
            can_edit => user.role().can(Permission::EditDirectPayments), saved => q.saved.is_some(),
        },
    )
    .await
}

async fn save_settings(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let weeks = field(&form, "contingency_weeks").trim();
    let lts = field(&form, "long_term_support").trim();
    let bad = |m: &str| AppError::BadRequest(format!("{m}. Go back and try again."));
    let w: i64 = weeks.parse().map_err(|_| bad("The allowed contingency must be a whole number of weeks"))?;
    state.store.set_dp_contingency_weeks(&user.actor(), w).await?;
    if !lts.is_empty() {
        let n: i64 = lts.replace(',', "").parse().map_err(|_| bad("People on long-term support must be a whole number"))?;
        state.store.set_long_term_support(&user.actor(), n).await?;
    }
    Ok(Redirect::to("/direct-payments/reclaims?saved=1").into_response())
}

// ----- figures -----

#[derive(Debug, Default, Deserialize)]
struct FiguresQuery {
    as_at: Option<String>,
}

async fn figures_page(user: CurrentUser, State(state): State<AppState>, Query(q): Query<FiguresQuery>) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPaymentFigures)?;
    let today = parse_iso(q.as_at.as_deref()).unwrap_or_else(caremarket_store::today);
    let from = year_ago(today);
    let l = lists(&state).await?;
    let facts = state.store.dp_facts().await?;
    let trend: Vec<Date> = (0..5).rev().filter_map(|i| today.checked_sub(jiff::Span::new().months(i * 3)).ok()).collect();
    let f = figures::compute(&facts, today, state.store.long_term_support().await?, &trend);
    let spend_from = from.checked_add(jiff::Span::new().days(1)).unwrap_or(from);
    let cats = state.store.spend_by_category(spend_from, today, false).await?;
    let areas = state.store.spend_by_area(spend_from, today, false).await?;
    let child_spend: i64 = state.store.spend_by_area(spend_from, today, true).await?.iter().map(|(_, v)| v).sum();
    let drill = user.role().can(Permission::ViewDirectPayments);
    let since = spend_from.to_string();
    let bars: Vec<(String, i64)> = l.reasons.iter().map(|(c, t)| (t.clone(), f.ends_by_reason.get(c).copied().unwrap_or(0))).collect();
    let svg = figures::bar_chart_svg(&format!("Ended direct payments by closure reason, {} to {today}", spend_from), &bars);
    let ends: Vec<Value> = l
        .reasons
        .iter()
        .map(|(c, t)| {
            let n = f.ends_by_reason.get(c).copied().unwrap_or(0);
            context! { label => t, n => n, share => percent(figures::share_bp(n, f.ends_12m)), href => format!("/direct-payments?status=ended&child=0&closure_reason={c}&ended_since={since}") }
        })
        .collect();
    let by_area: Vec<Value> = l
        .areas
        .iter()
        .map(|(c, t)| {
            let spend = areas.iter().find(|(a, _)| a == c).map(|(_, v)| *v).unwrap_or(0);
            context! { label => t, n => f.by_service_area.get(c).copied().unwrap_or(0), spend => money_pounds(spend), href => format!("/direct-payments?child=0&service_area={c}") }
        })
        .collect();
    let by_cat: Vec<Value> = CATEGORIES
        .iter()
        .map(|(c, t)| {
            let (people, spend) = cats.iter().find(|(k, _, _)| k == c).map(|(_, p, s)| (*p, *s)).unwrap_or((0, 0));
            context! { label => *t, n => people, spend => money_pounds(spend), href => format!("/direct-payments?status=all&child=0&category={c}&spend_since={since}") }
        })
        .collect();
    let total_spend: i64 = cats.iter().map(|(_, _, s)| s).sum();
    let trend: Vec<Value> = f.own_budget_trend.iter().map(|(d, bp)| context! { as_at => d, share => percent(*bp) }).collect();
    page(
        &state,
        &user,
        "dp_figures.html",
        StatusCode::OK,
        context! {
            f => f, as_at => today.to_string(), from => since, drill => drill,
            share => f.share_of_long_term_bp.map(percent), own_share => percent(f.own_budget_bp), managed_share => percent(10_000 - f.own_budget_bp),
            ends => ends, chart => Value::from_safe_string(svg), by_area => by_area, by_cat => by_cat, trend => trend,
            total_spend => money_pounds(total_spend), child_spend => money_pounds(child_spend),
            pa => state.store.pa_counts(today).await?,
            reclaim_headline => state.store.reclaims(Some(spend_from)).await?.0.headline(),
        },
    )
    .await
}

// ----- RPL, exit plans, ISFs -----

async fn rpl_list(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    let companies = state.store.rpl_companies(caremarket_store::today()).await?;
    let plans = state.store.exit_plans(None).await?;
    let rows: Vec<Value> = companies
        .iter()
        .map(|c| {
            context! { c => c, result => c.last_result.as_deref().map(|r| label_of(&QA_RESULTS, r)) }
        })
        .collect();
    page(&state, &user, "dp_rpl.html", StatusCode::OK, context! { companies => rows, plans => plans }).await
}

async fn render_company(
    state: &AppState,
    user: &CurrentUser,
    provider_id: &str,
    form: &[(String, String)],
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let provider = state.store.provider(provider_id).await?;
    let today = caremarket_store::today();
    let company = state.store.rpl_companies(today).await?.into_iter().find(|c| c.provider_id == provider_id).ok_or(AppError::NotFound)?;
    let history: Vec<Value> = state
        .store
        .rpl_qa_history(provider_id)
        .await?
        .iter()
        .map(|q| context! { assessed_on => q.assessed_on, result => label_of(&QA_RESULTS, &q.result), notes => q.notes, by => q.actor_label })
        .collect();
    page(
        state,
        user,
        "dp_rpl_company.html",
        status,
        context! {
            provider => provider, company => company, history => history, plans => state.store.exit_plans(Some(provider_id)).await?,
            errors => errors.list, field_errors => errors.by_field, can_edit => user.role().can(Permission::EditDirectPayments),
            assessed_on => date_parts(form, "assessed_on"), result => field(form, "result"), result_options => options(&QA_RESULTS, None), notes => field(form, "notes"),
            reason => field(form, "reason"), planned => field(form, "planned"), target_date => date_parts(form, "target_date"),
        },
    )
    .await
}

async fn rpl_company(user: CurrentUser, State(state): State<AppState>, Path(provider_id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    render_company(&state, &user, &provider_id, &[], &Errors::default(), StatusCode::OK).await
}

async fn rpl_qa(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = Errors::default();
    let on = errors.date(&form, "assessed_on", "Date of the quality assurance");
    if field(&form, "result").is_empty() {
        errors.add("result", "Choose the result of the quality assurance");
    }
    if errors.is_empty()
        && let Some(on) = on
    {
        match state
            .store
            .record_rpl_qa(&user.actor(), &provider_id, on, field(&form, "result"), non_empty(field(&form, "notes")).as_deref())
            .await
        {
            Ok(()) => return Ok(Redirect::to(&format!("/direct-payments/rpl/{provider_id}")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_company(&state, &user, &provider_id, &form, &errors, StatusCode::BAD_REQUEST).await
}

async fn rpl_remove(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = Errors::default();
    let reason = field(&form, "reason").trim().to_string();
    if reason.is_empty() {
        errors.add("reason", "Enter why the company is being removed from the list");
    }
    let target = match form_date(&form, "target_date", "Target date") {
        Ok(d) => d,
        Err(m) => {
            errors.add("target_date", &m);
            None
        }
    };
    if errors.is_empty() {
        match state
            .store
            .remove_from_rpl(&user.actor(), &provider_id, &reason, field(&form, "planned") != "0", caremarket_store::today(), target)
            .await
        {
            Ok(plan) => return Ok(Redirect::to(&format!("/direct-payments/exit-plans/{plan}")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_company(&state, &user, &provider_id, &form, &errors, StatusCode::BAD_REQUEST).await
}

async fn exit_plan(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    let plan = state.store.exit_plan(&id).await?;
    page(
        &state,
        &user,
        "dp_exit_plan.html",
        StatusCode::OK,
        context! { plan => plan, can_edit => user.role().can(Permission::EditDirectPayments) },
    )
    .await
}

async fn exit_item(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, item_id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    state
        .store
        .update_exit_item(&user.actor(), &item_id, field(&form, "new_arrangement"), field(&form, "done") == "1", caremarket_store::today())
        .await?;
    Ok(Redirect::to(&format!("/direct-payments/exit-plans/{id}")).into_response())
}

async fn render_isfs(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let isfs: Vec<Value> = state
        .store
        .isfs()
        .await?
        .iter()
        .map(|i| context! { i => i, budget => format!("{} {}", money(i.budget_pence), label_of(&BUDGET_PERIODS, &i.budget_period).to_lowercase()) })
        .collect();
    let providers = state.store.providers(None, 1, 500).await?;
    let provider_options: Vec<(String, String)> = providers.items.iter().map(|p| (p.id.clone(), p.name.clone())).collect();
    page(
        state,
        user,
        "dp_isfs.html",
        status,
        context! {
            isfs => isfs, errors => errors.list, field_errors => errors.by_field, can_edit => user.role().can(Permission::EditDirectPayments),
            person_ref => field(form, "person_ref"), provider_id => field(form, "provider_id"), provider_options => options_owned(&provider_options, Some("Choose a provider")),
            budget => field(form, "budget"), budget_period => field(form, "budget_period"), period_options => options(&BUDGET_PERIODS, None), start_date => date_parts(form, "start_date"),
        },
    )
    .await
}

async fn isfs(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    render_isfs(&state, &user, &[], &Errors::default(), StatusCode::OK).await
}

async fn create_isf(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = Errors::default();
    if field(&form, "person_ref").trim().is_empty() {
        errors.add("person_ref", "Enter the person's case reference");
    }
    if field(&form, "provider_id").is_empty() {
        errors.add("provider_id", "Choose the provider holding the fund");
    }
    let budget = errors.money(&form, "budget", "The budget", false);
    let start = errors.date(&form, "start_date", "Start date");
    if errors.is_empty()
        && let (Some(b), Some(s)) = (budget, start)
    {
        match state
            .store
            .create_isf(&user.actor(), field(&form, "person_ref"), field(&form, "provider_id"), b, field(&form, "budget_period"), s)
            .await
        {
            Ok(_) => return Ok(Redirect::to("/direct-payments/isfs").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_isfs(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}
