//! The DP list and search, recording a DP, one DP's page (spend, monitoring due and done) and
//! ending a DP.

use super::monitoring::MonitoringForm;
use super::{DateInputs, Lists, PageErrors, label_owned, lists, new_errors, non_empty, options, options_owned, page, parse_iso};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormErrors;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::equality::Equality;
use caremarket_core::direct_payments::monitoring::{KINDS, MonitoringKind};
use caremarket_core::direct_payments::{self as dp, BUDGET_PERIODS, CATEGORIES, DpDraft, DpInput, EndInput, HOLDINGS, label_of, money};
use caremarket_core::register::ServiceKind;
use caremarket_store::StoreError;
use caremarket_store::direct_payments::{DirectPayment, DpFilter, NewDirectPayment};
use caremarket_store::register::ServiceFilter;
use minijinja::{Value, context};
use serde::Deserialize;

// ----- list -----

#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
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

pub(super) fn dp_row(d: &DirectPayment, l: &Lists) -> Value {
    context! {
        id => d.id, person_ref => d.person_ref, area => label_owned(&l.areas, &d.service_area), is_child => d.is_child,
        budget => format!("{} {}", money(d.budget_pence), d.budget_period.label().to_lowercase()),
        holding => d.holding.label(), mm_provider_name => d.mm_provider_name, start_date => d.start_date,
        end_date => d.end_date, closure_reason => d.closure_reason.as_deref().map(|r| label_owned(&l.reasons, r)),
        officer_name => d.officer_name,
        ethnicity => d.equality.ethnicity.as_deref().map(|c| label_owned(&l.ethnicities, c)).unwrap_or_else(|| "Not recorded".into()),
        religion => d.equality.religion.as_deref().map(|c| label_owned(&l.religions, c)).unwrap_or_else(|| "Not recorded".into()),
    }
}

/// A list's choices for an optional select: "Not recorded" first.
fn equality_options(list: &[(String, String)]) -> Vec<Value> {
    std::iter::once(context! { value => "", text => "Not recorded" })
        .chain(list.iter().map(|(c, t)| context! { value => c, text => t }))
        .collect()
}

fn parse_equality(l: &Lists, ethnicity: &str, religion: &str) -> Result<Equality, caremarket_core::FieldErrors> {
    let codes = |v: &[(String, String)]| v.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>();
    Equality::parse(ethnicity, religion, &codes(&l.ethnicities), &codes(&l.religions))
}

pub(super) async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
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

/// The record form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct NewDpForm {
    person_ref: String,
    is_child: String,
    service_area: String,
    budget: String,
    budget_period: String,
    holding: String,
    mm_provider_id: String,
    officer_id: String,
    ethnicity: String,
    religion: String,
    #[serde(flatten)]
    dates: DateInputs,
}

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

pub(super) async fn officers(state: &AppState) -> Result<Vec<(String, String)>, AppError> {
    Ok(state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active && u.role.can(Permission::EditDirectPayments))
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// `form` is `None` for a blank form (the officer is then the one signed in).
async fn render_new(
    state: &AppState,
    user: &CurrentUser,
    form: Option<&NewDpForm>,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let l = lists(state).await?;
    let blank = NewDpForm::default();
    let officer = form.map(|f| f.officer_id.clone()).unwrap_or_else(|| user.user.id.clone());
    let f = form.unwrap_or(&blank);
    page(
        state,
        user,
        "dp_new.html",
        status,
        context! {
            errors => errors.list, field_errors => errors.by_field,
            person_ref => f.person_ref, service_area => f.service_area,
            area_options => l.areas_in_use.iter().map(|(c, t)| context!{ value => c, text => t }).collect::<Vec<_>>(),
            is_child => f.is_child, budget => f.budget, budget_period => f.budget_period,
            period_options => options(&BUDGET_PERIODS, None), holding => f.holding, holding_options => options(&HOLDINGS, None),
            mm_provider_id => f.mm_provider_id, mm_options => options_owned(&mm_companies(state).await?, Some("Choose a company (managed accounts only)")),
            start_date => f.dates.parts("start_date"), officer_id => officer, officer_options => options_owned(&officers(state).await?, Some("No named officer yet")),
            ethnicity => f.ethnicity, religion => f.religion,
            ethnicity_options => equality_options(&l.ethnicities), religion_options => equality_options(&l.religions),
        },
    )
    .await
}

pub(super) async fn new_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    render_new(&state, &user, None, &new_errors(), StatusCode::OK).await
}

pub(super) async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<NewDpForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = new_errors();
    let mut read = PageErrors::default();
    let input = DpInput {
        person_ref: form.person_ref.clone(),
        service_area: form.service_area.clone(),
        is_child: form.is_child.clone(),
        budget: form.budget.clone(),
        budget_period: form.budget_period.clone(),
        holding: form.holding.clone(),
        mm_provider_id: form.mm_provider_id.clone(),
        start_date: form.dates.required(&mut read, "start_date", "Start date"),
    };
    let l = lists(&state).await?;
    let areas: Vec<String> = l.areas_in_use.iter().map(|(c, _)| c.clone()).collect();
    let equality = parse_equality(&l, &form.ethnicity, &form.religion);
    match (DpDraft::parse(&input, &areas), equality) {
        (Ok(draft), Ok(equality)) => {
            let n = NewDirectPayment { draft, officer_id: non_empty(&form.officer_id), equality };
            match state.store.create_direct_payment(&user.actor(), &n).await {
                Ok(id) => return Ok(Redirect::to(&format!("/direct-payments/{id}?recorded=1")).into_response()),
                Err(e) => errors.add_store(e)?,
            }
        }
        (draft, equality) => {
            read.merge_into(&mut errors, draft.err());
            if let Err(e) = equality {
                errors.extend(e);
            }
        }
    }
    render_new(&state, &user, Some(&form), &errors, StatusCode::BAD_REQUEST).await
}

// ----- one DP -----

#[derive(Debug, Default, Deserialize)]
pub(super) struct ShowQuery {
    recorded: Option<String>,
    ended: Option<String>,
    monitored: Option<String>,
    equality: Option<String>,
    officer: Option<String>,
}

/// One DP's page; `form` is the monitoring form sent back with its errors.
pub(super) async fn render_show(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    form: &MonitoringForm,
    errors: &FormErrors,
    status: StatusCode,
    banner: Option<&str>,
) -> Result<Response, AppError> {
    let d = state.store.direct_payment(id).await?;
    let l = lists(state).await?;
    let (by_cat, lines) = state.store.dp_spend(id).await?;
    let total: i64 = by_cat.iter().map(|(_, v)| v).sum();
    let records = state.store.monitoring_for(id).await?;
    let flagged = state.store.flagged_spend(false, Some(id)).await?;
    let policy = state.store.dp_policy().await?;
    let last = |k: MonitoringKind| records.iter().filter(|r| r.kind == k).map(|r| r.completed_on).max();
    let today = caremarket_store::today();
    let due = dp::monitoring::due(
        &policy,
        d.start_date,
        d.end_date,
        last(MonitoringKind::CheckIn),
        last(MonitoringKind::Review),
        last(MonitoringKind::Financial),
        today,
    );
    let due: Vec<Value> = due.iter().map(|x| context! { kind => x.kind.label(), due => x.due.to_string(), overdue => x.overdue }).collect();
    let recs: Vec<Value> = records
        .iter()
        .map(|r| {
            let period = r.period_start.map(|s| format!("{s} to {}", r.period_end.map(|e| e.to_string()).unwrap_or_default()));
            context! {
                id => r.id, kind => r.kind.label(), completed_on => r.completed_on, period => period,
                balance => r.balance_pence.map(money), allowed => r.allowed_contingency_pence.map(money), weeks => r.contingency_weeks,
                surplus => r.surplus_pence.map(money), requested => r.requested_pence.map(money), requested_pence => r.requested_pence.unwrap_or(0),
                returned => r.returned_pence.map(money), returned_on => r.returned_on, notes => r.notes, officer => r.officer_label,
                awaiting => r.approval == "awaiting", approved_by => r.approved_by_label,
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
            flagged => flagged.iter().map(|f| context!{ date => f.spend_date, amount => money(f.amount_pence), merchant => format!("{} {}", f.merchant_category, f.merchant_label) }).collect::<Vec<_>>(),
            can_edit => user.role().can(Permission::EditDirectPayments),
            reclaim_limit => money(state.store.approval_limits(user.actor().user_id.as_deref()).await?.reclaim_pence),
            errors => errors.list, field_errors => errors.by_field,
            kind => form.kind, kind_options => options(&KINDS, None), completed_on => form.dates.parts("completed_on"),
            period_start => form.dates.parts("period_start"), period_end => form.dates.parts("period_end"),
            balance => form.balance, requested => form.requested, notes => form.notes,
        },
    )
    .await
}

pub(super) async fn show(
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
    } else if q.equality.is_some() {
        Some("Equality monitoring saved")
    } else if q.officer.is_some() {
        Some("Named officer saved")
    } else {
        None
    };
    render_show(&state, &user, &id, &MonitoringForm::default(), &new_errors(), StatusCode::OK, banner).await
}

// ----- equality monitoring -----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct EqualityForm {
    ethnicity: String,
    religion: String,
    /// The agreement's version the form was opened at (decision 25).
    version: String,
}

/// The version a form of this area was opened at (see `crate::versions::from_form`).
pub(super) fn form_version(version: &str) -> caremarket_core::versions::Version {
    crate::versions::from_form(&[("version".to_string(), version.to_string())])
}

async fn render_equality(
    state: &AppState,
    user: &CurrentUser,
    d: &DirectPayment,
    form: &EqualityForm,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let l = lists(state).await?;
    page(
        state,
        user,
        "dp_equality.html",
        reply.status,
        context! {
            dp => dp_row(d, &l), errors => errors.list, field_errors => errors.by_field, stale => reply.stale, version => form.version,
            ethnicity => form.ethnicity, religion => form.religion,
            ethnicity_options => equality_options(&l.ethnicities), religion_options => equality_options(&l.religions),
        },
    )
    .await
}

pub(super) async fn equality_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let d = state.store.direct_payment(&id).await?;
    let form = EqualityForm {
        ethnicity: d.equality.ethnicity.clone().unwrap_or_default(),
        religion: d.equality.religion.clone().unwrap_or_default(),
        version: d.version.to_string(),
    };
    render_equality(&state, &user, &d, &form, &new_errors(), crate::versions::Reply::status(StatusCode::OK)).await
}

pub(super) async fn save_equality(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(mut form): CsrfForm<EqualityForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let d = state.store.direct_payment(&id).await?;
    let l = lists(&state).await?;
    let mut errors = new_errors();
    let expected = form_version(&form.version);
    match parse_equality(&l, &form.ethnicity, &form.religion) {
        Ok(e) => match state.store.set_dp_equality(&user.actor(), &id, &e, expected).await {
            Ok(()) => return Ok(Redirect::to(&format!("/direct-payments/{id}?equality=1")).into_response()),
            Err(StoreError::Stale { current }) => {
                let now = state.store.direct_payment(&id).await?;
                let shown = |list: &[(String, String)], code: &str| if code.is_empty() { String::new() } else { label_owned(list, code) };
                let changes = caremarket_core::versions::changes([
                    (
                        "Ethnic group",
                        shown(&l.ethnicities, now.equality.ethnicity.as_deref().unwrap_or("")),
                        shown(&l.ethnicities, &form.ethnicity),
                    ),
                    ("Religion", shown(&l.religions, now.equality.religion.as_deref().unwrap_or("")), shown(&l.religions, &form.religion)),
                ]);
                let stale = crate::versions::stale(&state, "direct_payment", &id, current, expected, changes).await?;
                form.version = stale.current.to_string();
                return render_equality(&state, &user, &now, &form, &errors, crate::versions::Reply::stale(stale.notice)).await;
            }
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    render_equality(&state, &user, &d, &form, &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

// ----- end -----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct EndForm {
    closure_reason: String,
    /// The agreement's version the form was opened at (decision 25).
    version: String,
    #[serde(flatten)]
    dates: DateInputs,
}

async fn render_end(
    state: &AppState,
    user: &CurrentUser,
    d: &DirectPayment,
    form: &EndForm,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let l = lists(state).await?;
    page(
        state,
        user,
        "dp_end.html",
        reply.status,
        context! {
            dp => dp_row(d, &l), errors => errors.list, field_errors => errors.by_field, stale => reply.stale, version => form.version,
            end_date => form.dates.parts("end_date"), closure_reason => form.closure_reason,
            reason_options => l.reasons_in_use.iter().map(|(c, t)| context!{ value => c, text => t }).collect::<Vec<_>>(),
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

pub(super) async fn end_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let d = open_dp(&state, &id).await?;
    let form = EndForm { version: d.version.to_string(), ..EndForm::default() };
    render_end(&state, &user, &d, &form, &new_errors(), crate::versions::Reply::status(StatusCode::OK)).await
}

pub(super) async fn end(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(mut form): CsrfForm<EndForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let expected = form_version(&form.version);
    let d = state.store.direct_payment(&id).await?;
    // Ended by someone else since the form was opened: say who and what, below (the store
    // refuses the stale save first); ended at the form's own version cannot be ended again.
    if d.version == expected.get() {
        open_dp(&state, &id).await?;
    }
    let mut errors = new_errors();
    let mut read = PageErrors::default();
    let input = EndInput { end_date: form.dates.required(&mut read, "end_date", "End date"), closure_reason: form.closure_reason.clone() };
    match input.parse(caremarket_store::today()) {
        Ok((on, reason)) => match state.store.end_direct_payment(&user.actor(), &id, on, &reason, expected).await {
            Ok(()) => return Ok(Redirect::to(&format!("/direct-payments/{id}?ended=1")).into_response()),
            Err(StoreError::Stale { current }) => {
                let now = state.store.direct_payment(&id).await?;
                let l = lists(&state).await?;
                let reason_label = |code: &str| if code.is_empty() { String::new() } else { label_owned(&l.reasons, code) };
                let changes = caremarket_core::versions::changes([
                    (
                        "End date",
                        now.end_date.map(caremarket_core::text::long_date).unwrap_or_default(),
                        caremarket_core::text::long_date(on),
                    ),
                    ("Why did it end?", reason_label(now.closure_reason.as_deref().unwrap_or("")), reason_label(&reason)),
                ]);
                let stale = crate::versions::stale(&state, "direct_payment", &id, current, expected, changes).await?;
                form.version = stale.current.to_string();
                return render_end(&state, &user, &now, &form, &errors, crate::versions::Reply::stale(stale.notice)).await;
            }
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => read.merge_into(&mut errors, Some(e)),
    }
    render_end(&state, &user, &d, &form, &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}
