//! Workforce (issue 13 items 1-3; capability C8): the market's workforce figures per market
//! (service kind) for a quarter, with the trend over quarters (a chart and the same figures in a
//! table), the services that have not returned, every figure drilling down to the returns
//! behind it; one return in full; and the Ethical Care Charter: the council's position on each
//! element with its history, and each provider's records against the measurable elements.
//!
//! Reading needs `ViewWorkforce` (every council officer: the figures are about staff in
//! aggregate, no names); recording charter positions needs `ManageWorkforce`. Providers send
//! returns through the portal (`crate::portal::workforce`).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use crate::render::field_error;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::money::money_typed;
use caremarket_core::quality::RowProblem;
use caremarket_core::register::ServiceKind;
use caremarket_core::workforce::{
    Draft, ELEMENTS, FIELDS, Figures, LivingWageRate, Position, Quarter, ReturnFacts, check_return, figures, hundredths_text,
    living_wage_for, percent_text, provider_checks,
};
pub(crate) use caremarket_ingest::uploads::workforce::{csv_columns, parse_csv};
use caremarket_store::workforce::{WorkforceFilter, WorkforceReturnRecord};
use minijinja::{Value, context};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/workforce", get(overview))
        .route("/workforce/returns", get(returns))
        .route("/workforce/returns/{id}", get(one_return))
        .route("/workforce/upload", get(upload_form).post(upload))
        .route("/workforce/profile", get(profile).post(add_profile))
        .route("/workforce/charter", get(charter))
        .route("/workforce/charter/{element}", get(charter_element).post(set_position))
        .route("/workforce/living-wage", get(living_wage_form).post(save_living_wage))
        .route("/api/v1/workforce/returns", axum::routing::post(api_submit))
}

/// A workforce return for one service and quarter.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = WorkforceReturnInput)]
pub(crate) struct ApiReturnIn {
    /// The service's id in the register.
    service_id: String,
    /// The calendar quarter, like `2025-Q2`: not one that has not started.
    #[schema(example = "2025-Q2")]
    period: String,
    /// Every other field of the return, by the names in docs/workforce.md (`care_workers`,
    /// `nurses`, `managers`, `other_staff`, their `_fte`, `vacancies`, `starters`, `leavers`,
    /// `zero_hours_staff`, `guaranteed_hours_staff`, `agency_hours`, `lowest_hourly_pay` in
    /// pounds, `sick_pay`, `care_certificate_percent`, `level2_percent`, `level3_percent`,
    /// `qualification_framework` RQF or QCF, `medication_training_percent`, `asc_wds_complete`):
    /// numbers or text, yes/no as booleans or text.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    fields: BTreeMap<String, serde_json::Value>,
}

/// What was recorded.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = WorkforceReturnCreated)]
pub(crate) struct ApiReturnCreated {
    id: String,
    service_id: String,
    period: String,
    /// Whether it replaced an earlier return for the service and quarter.
    replaced: bool,
}

/// Submit a service's workforce return for a quarter (replacing any earlier one for it). Provider
/// accounts may submit for their own services only; council accounts need ManageWorkforce.
#[utoipa::path(
    post,
    path = "/api/v1/workforce/returns",
    operation_id = "submit_workforce_return",
    tag = "workforce",
    request_body = ApiReturnIn,
    responses(
        (status = 201, description = "The return was recorded", body = ApiReturnCreated),
        (status = 400, description = "The return was refused; `field` names what is wrong (more leavers than staff, a negative count, a percentage over 100, pay below zero, a quarter in the future)", body = crate::api::dto::ErrorBody),
        (status = 401, description = "No API token, or not a valid one", body = crate::api::dto::ErrorBody),
        (status = 403, description = "The token's account may not submit workforce returns", body = crate::api::dto::ErrorBody),
        (status = 404, description = "No such service among those the account may submit for", body = crate::api::dto::ErrorBody),
    )
)]
pub(crate) async fn api_submit(
    user: crate::api::auth::ApiUser,
    State(state): State<AppState>,
    body: Result<axum::Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, crate::api::error::ApiError> {
    use crate::api::error::ApiError;
    use caremarket_core::access::Role;
    let own = if user.user.role == Role::Provider {
        Some(user.user.provider_id.clone().ok_or_else(|| ApiError::forbidden("This provider account is not linked to a provider."))?)
    } else {
        user.require(Permission::ManageWorkforce)?;
        None
    };
    let r: ApiReturnIn = crate::api::body::typed(body, r#"{"service_id": "...", "period": "2025-Q2", "care_workers": 40, ...}"#)?;
    let mut draft = Draft::new();
    for (k, v) in &r.fields {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        draft.insert(k.clone(), text);
    }
    draft.insert("period".into(), r.period.clone());
    // Another provider's service is "not found", so the API does not confirm it exists.
    let service = state.store.service(&r.service_id).await.ok().filter(|s| own.as_deref().is_none_or(|p| s.provider_id == p));
    let Some(service) = service else { return Err(ApiError::not_found("No such service among those you may submit for")) };
    let checked =
        check_return(&draft, caremarket_store::today()).map_err(|e| ApiError::from(caremarket_store::StoreError::InvalidFields(e)))?;
    let sent_by = if own.is_some() {
        caremarket_store::fees::cost_of_care::SentBy::Provider
    } else {
        caremarket_store::fees::cost_of_care::SentBy::Council
    };
    let (id, replaced) =
        state.store.submit_workforce_return(&user.actor(), &service.id, &checked, sent_by, own.as_deref()).await.map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, axum::Json(ApiReturnCreated { id, service_id: service.id, period: checked.period.code(), replaced }))
        .into_response())
}

pub(crate) async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<String, AppError> {
    let base = user.context(state).await?;
    state.renderer.render(template, &base, page)
}

pub(crate) fn pct(p: Option<i64>) -> String {
    p.map(percent_text).unwrap_or_else(|| "No staff".to_string())
}

pub(crate) fn pounds(pence: i64) -> String {
    format!("£{}.{:02}", pence / 100, pence % 100)
}

fn facts(r: &WorkforceReturnRecord) -> ReturnFacts {
    ReturnFacts { id: r.id.clone(), provider_id: r.provider_id.clone(), service_id: r.service_id.clone(), r: r.r.clone() }
}

/// A drill-down address to the returns behind a figure.
fn drill(period: Option<Quarter>, kind: Option<ServiceKind>, extra: &str) -> String {
    let mut q = Vec::new();
    if let Some(p) = period {
        q.push(format!("period={}", p.code()));
    }
    if let Some(k) = kind {
        q.push(format!("kind={}", k.as_str()));
    }
    if !extra.is_empty() {
        q.push(extra.to_string());
    }
    format!("/workforce/returns?{}", q.join("&amp;"))
}

/// The figures as the pages show them.
fn figures_view(f: &Figures) -> Value {
    context! {
        returns => f.returns, providers => f.providers, staff => f.staff, care_workers => f.care_workers,
        nurses => f.nurses, managers => f.managers, other_staff => f.other_staff,
        fte => hundredths_text(f.fte), vacancies => f.vacancies, leavers => f.leavers, starters => f.starters,
        vacancy_rate => pct(f.vacancy_rate), turnover => pct(f.turnover),
        zero_hours_mean => pct(f.zero_hours_mean), zero_hours_pooled => pct(f.zero_hours_pooled), zero_hours_staff => f.zero_hours_staff,
        guaranteed_hours_staff => f.guaranteed_hours_staff, agency_hours => f.agency_hours,
        below_lw => f.below_living_wage_returns, below_lw_care_workers => f.below_living_wage_care_workers,
        lw_unknown => f.living_wage_unknown_returns, sick_pay => f.sick_pay_returns,
        care_certificate => pct(f.care_certificate), level2 => pct(f.level2), level3 => pct(f.level3),
        medication => pct(f.medication_training), asc_wds => pct(f.asc_wds_complete), asc_wds_returns => f.asc_wds_complete_returns,
    }
}

fn period_options(periods: &[Quarter], chosen: Option<Quarter>) -> Vec<serde_json::Value> {
    let mut all: BTreeSet<Quarter> = periods.iter().copied().collect();
    if let Some(c) = chosen {
        all.insert(c);
    }
    all.iter().rev().map(|p| json!({"value": p.code(), "text": p.label()})).collect()
}

fn rate_text(rate: Option<&LivingWageRate>) -> Option<String> {
    rate.map(|r| {
        format!(
            "{} an hour ({} rate outside London, announced {}, paid from {})",
            pounds(r.pence),
            r.year,
            crate::render::format_date(&r.announced_on.to_string()),
            crate::render::format_date(&r.applies_from.to_string())
        )
    })
}

async fn overview(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ViewWorkforce)?;
    let today = caremarket_store::today();
    let periods = state.store.workforce_periods().await?;
    let mut errors = FormErrors::new(&[]);
    let chosen = match field(&q, "period") {
        "" => periods.first().copied().unwrap_or_else(|| Quarter::of(today).previous()),
        raw => errors
            .check_field(Quarter::parse("period", raw, today))
            .unwrap_or_else(|| periods.first().copied().unwrap_or(Quarter::of(today))),
    };
    let rates = state.store.living_wage_rates().await?;
    let all = state.store.workforce_returns(&WorkforceFilter::default()).await?;
    let this: Vec<&WorkforceReturnRecord> = all.iter().filter(|r| r.r.period == chosen).collect();
    let this_facts: Vec<ReturnFacts> = this.iter().map(|r| facts(r)).collect();
    let expected = state.store.workforce_expected(None).await?;
    // Markets: every kind with an expected service or a return this quarter, in the register's order.
    let kinds: Vec<ServiceKind> =
        ServiceKind::ALL.into_iter().filter(|k| expected.iter().any(|e| e.kind == *k) || this.iter().any(|r| r.kind == *k)).collect();
    let returned: BTreeSet<&str> = this.iter().map(|r| r.service_id.as_str()).collect();
    let markets: Vec<Value> = kinds
        .iter()
        .map(|k| {
            let rs: Vec<&ReturnFacts> = this_facts.iter().zip(this.iter()).filter(|(_, r)| r.kind == *k).map(|(f, _)| f).collect();
            let f = figures(&rs, &rates);
            let exp = expected.iter().filter(|e| e.kind == *k).count();
            let missing = expected.iter().filter(|e| e.kind == *k && !returned.contains(e.service_id.as_str())).count();
            context! {
                name => k.label(), kind => k.as_str(), f => figures_view(&f), expected => exp, missing => missing,
                href => drill(Some(chosen), Some(*k), ""), below_href => drill(Some(chosen), Some(*k), "below_living_wage=1"),
            }
        })
        .collect();
    let all_refs: Vec<&ReturnFacts> = this_facts.iter().collect();
    let total = figures(&all_refs, &rates);
    // Trend: every quarter with returns, oldest first, all markets.
    let mut trend_rows = Vec::new();
    let mut bars = Vec::new();
    for p in periods.iter().rev() {
        let fs: Vec<ReturnFacts> = all.iter().filter(|r| r.r.period == *p).map(facts).collect();
        let refs: Vec<&ReturnFacts> = fs.iter().collect();
        let f = figures(&refs, &rates);
        bars.push((p.label(), (f.vacancy_rate.unwrap_or(0) + 5) / 10));
        trend_rows.push(context! { label => p.label(), href => drill(Some(*p), None, ""), f => figures_view(&f) });
    }
    let chart = caremarket_core::charts::bar_chart_svg("vacancy-trend", "Staff vacancy rate by quarter, every market", &bars, "%");
    let missing: Vec<Value> = {
        let mut by_provider: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for e in expected.iter().filter(|e| !returned.contains(e.service_id.as_str())) {
            by_provider.entry((e.provider_name.clone(), e.provider_id.clone())).or_default().push(e.service_name.clone());
        }
        by_provider
            .into_iter()
            .map(|((name, id), services)| context! { provider => name, provider_id => id, services => services })
            .collect()
    };
    let html = render(
        &state,
        &user,
        "workforce.html",
        context! {
            period => chosen.code(), period_label => chosen.label(), periods => period_options(&periods, Some(chosen)),
            markets => markets, total => figures_view(&total), total_href => drill(Some(chosen), None, ""),
            total_below_href => drill(Some(chosen), None, "below_living_wage=1"),
            expected => expected.len(), missing => missing, trend => trend_rows, chart => Value::from_safe_string(chart),
            living_wage => rate_text(living_wage_for(&rates, chosen)), profile => profile_rows(&state).await?,
            errors => errors.list, field_errors => errors.by_field,
        },
    )
    .await?;
    Ok((if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST }, Html(html)).into_response())
}

pub(crate) fn return_row(r: &WorkforceReturnRecord, rates: &[LivingWageRate], href: String) -> Value {
    let lw = living_wage_for(rates, r.r.period);
    context! {
        id => r.id, href => href, service => r.service_name, provider => r.provider_name, kind => r.kind.label(),
        period => r.r.period.code(), period_label => r.r.period.label(), staff => r.r.staff(), fte => hundredths_text(r.r.fte()),
        vacancies => r.r.vacancies, leavers => r.r.leavers, vacancy_rate => pct(r.r.vacancy_rate()), turnover => pct(r.r.turnover()),
        zero_hours => r.r.zero_hours_staff, zero_hours_share => pct(r.r.zero_hours_share()), pay => pounds(r.r.lowest_hourly_pay_pence),
        below_lw => lw.is_some_and(|l| r.r.lowest_hourly_pay_pence < l.pence), sent => r.submitted_at,
    }
}

async fn returns(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ViewWorkforce)?;
    let today = caremarket_store::today();
    let mut errors = FormErrors::new(&[]);
    let period = match field(&q, "period") {
        "" => None,
        raw => errors.check_field(Quarter::parse("period", raw, today)),
    };
    let kind = match field(&q, "kind") {
        "" => None,
        raw => ServiceKind::parse(raw).or_else(|| {
            errors.add("kind", "Choose a market from the list");
            None
        }),
    };
    let provider_id = Some(field(&q, "provider_id").to_string()).filter(|s| !s.is_empty());
    let below = field(&q, "below_living_wage") == "1";
    let rates = state.store.living_wage_rates().await?;
    let mut list =
        state.store.workforce_returns(&WorkforceFilter { provider_id: provider_id.clone(), period, kind, service_id: None }).await?;
    if below {
        list.retain(|r| living_wage_for(&rates, r.r.period).is_some_and(|l| r.r.lowest_hourly_pay_pence < l.pence));
    }
    let fs: Vec<ReturnFacts> = list.iter().map(facts).collect();
    let refs: Vec<&ReturnFacts> = fs.iter().collect();
    let total = figures(&refs, &rates);
    let rows: Vec<Value> = list.iter().map(|r| return_row(r, &rates, format!("/workforce/returns/{}", r.id))).collect();
    let periods = state.store.workforce_periods().await?;
    let mut period_opts = vec![json!({"value": "", "text": "Every quarter"})];
    period_opts.extend(period_options(&periods, period));
    let mut kind_opts = vec![json!({"value": "", "text": "Every market"})];
    kind_opts.extend(ServiceKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})));
    let mut what = Vec::new();
    if let Some(k) = kind {
        what.push(k.label().to_string());
    }
    if let Some(p) = period {
        what.push(p.label());
    }
    if let Some(first) = list.first().filter(|_| provider_id.is_some()) {
        what.push(first.provider_name.clone());
    }
    if below {
        what.push("paying below the real Living Wage".to_string());
    }
    let html = render(
        &state,
        &user,
        "workforce_returns.html",
        context! {
            rows => rows, total => figures_view(&total), what => what.join(", "), periods => period_opts, kinds => kind_opts,
            period => period.map(|p| p.code()), kind => kind.map(|k| k.as_str()), provider_id => provider_id, below => below,
            uploaded => Some(field(&q, "uploaded")).filter(|n| !n.is_empty()), can_upload => user.role().can(Permission::ManageWorkforce),
            errors => errors.list, field_errors => errors.by_field,
        },
    )
    .await?;
    Ok((if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST }, Html(html)).into_response())
}

async fn render_upload(state: &AppState, user: &CurrentUser, errors: Vec<Value>, status: StatusCode) -> Result<Response, AppError> {
    let message = (!errors.is_empty())
        .then(|| errors.iter().map(|e| e.get_attr("message").map(|t| t.to_string()).unwrap_or_default()).collect::<Vec<_>>().join(". "));
    let html = render(
        state,
        user,
        "workforce_upload.html",
        context! { errors => errors, upload_error => message, columns => csv_columns().join(", ") },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn upload_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkforce)?;
    render_upload(&state, &user, Vec::new(), StatusCode::OK).await
}

/// The council uploads returns on providers' behalf (any provider's services), all or none.
async fn upload(user: CurrentUser, State(state): State<AppState>, multipart: crate::csrf::LateMultipart) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkforce)?;
    let multipart = crate::csrf::opened(multipart)?;
    let Some(bytes) = crate::capacity::read_upload(&user, multipart).await? else {
        return render_upload(&state, &user, vec![field_error("file", "Select a CSV file")], StatusCode::BAD_REQUEST).await;
    };
    let rows = match parse_csv(&bytes) {
        Ok(rows) => rows,
        Err(p) => return render_upload(&state, &user, problem_errors(&p), StatusCode::BAD_REQUEST).await,
    };
    let sent_by = caremarket_store::fees::cost_of_care::SentBy::Council;
    match state.store.import_workforce_returns(&user.actor(), &rows, None, sent_by, caremarket_store::today()).await? {
        Ok(n) => Ok(Redirect::to(&format!("/workforce/returns?uploaded={n}")).into_response()),
        Err(p) => render_upload(&state, &user, problem_errors(&p), StatusCode::BAD_REQUEST).await,
    }
}

/// One return's fields as label and shown value, in the form's order.
pub(crate) fn return_fields(r: &WorkforceReturnRecord) -> Vec<Value> {
    let d = caremarket_core::workforce::to_draft(&r.r);
    FIELDS
        .iter()
        .filter(|(name, _)| *name != "period")
        .map(|(name, label)| {
            let raw = d.get(*name).cloned().unwrap_or_default();
            let shown = match *name {
                "lowest_hourly_pay" => pounds(r.r.lowest_hourly_pay_pence),
                n if n.ends_with("_percent") => format!("{}%", raw.trim_end_matches(".0")),
                n if n.ends_with("_fte") => hundredths_text(raw.replace('.', "").parse().unwrap_or(0)),
                "sick_pay" | "asc_wds_complete" => if raw == "yes" { "Yes" } else { "No" }.to_string(),
                _ => raw,
            };
            context! { label => label, value => shown, id => name }
        })
        .collect()
}

async fn one_return(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ViewWorkforce)?;
    let r = match state.store.workforce_return(&id).await {
        Ok(r) => r,
        Err(caremarket_store::StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let rates = state.store.living_wage_rates().await?;
    let html = render(
        &state,
        &user,
        "workforce_return.html",
        context! {
            r => return_row(&r, &rates, String::new()), fields => return_fields(&r), sent_by => r.sent_by.label(),
            sent_by_label => r.sent_by_label, living_wage => rate_text(living_wage_for(&rates, r.r.period)),
            provider_href => format!("/workforce/returns?provider_id={}", r.provider_id),
        },
    )
    .await?;
    Ok(Html(html).into_response())
}

/// The latest figure of each market and measure, with the earlier ones counted.
async fn profile_rows(state: &AppState) -> Result<Vec<Value>, AppError> {
    let all = state.store.workforce_profile().await?;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for p in &all {
        if seen.insert((p.kind.map(|k| k.as_str()), p.measure.as_str())) {
            let earlier = all.iter().filter(|x| x.kind == p.kind && x.measure == p.measure).count() - 1;
            out.push(context! {
                market => p.kind.map(|k| k.label()).unwrap_or("Every market"), measure => p.measure.label(), value => p.measure.text(p.value),
                source => p.source, as_of => p.as_of, earlier => earlier,
            });
        }
    }
    Ok(out)
}

async fn render_profile(
    state: &AppState,
    user: &CurrentUser,
    typed: &[(String, String)],
    saved: bool,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let history: Vec<Value> = state
        .store
        .workforce_profile()
        .await?
        .iter()
        .map(|p| {
            context! { market => p.kind.map(|k| k.label()).unwrap_or("Every market"), measure => p.measure.label(),
            value => p.measure.text(p.value), source => p.source, as_of => p.as_of, by => p.set_by_label }
        })
        .collect();
    let mut kinds = vec![json!({"value": "", "text": "Every market"})];
    kinds.extend(ServiceKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})));
    let mut measures = vec![json!({"value": "", "text": "Choose a measure"})];
    measures.extend(caremarket_core::workforce::ProfileMeasure::ALL.iter().map(|m| json!({"value": m.as_str(), "text": m.label()})));
    let html = render(
        state,
        user,
        "workforce_profile.html",
        context! {
            current => profile_rows(state).await?, history => history, kinds => kinds, measures => measures,
            kind => field(typed, "kind"), measure => field(typed, "measure"), value => field(typed, "value"), source => field(typed, "source"),
            saved => saved, can_change => user.role().can(Permission::ManageWorkforce), errors => errors.list, field_errors => errors.by_field,
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn profile(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ViewWorkforce)?;
    render_profile(&state, &user, &[], field(&q, "saved") == "1", &FormErrors::new(&[]), StatusCode::OK).await
}

async fn add_profile(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkforce)?;
    let today = caremarket_store::today();
    match state
        .store
        .add_workforce_profile(
            &user.actor(),
            field(&form, "kind"),
            field(&form, "measure"),
            field(&form, "value"),
            field(&form, "source"),
            today,
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/workforce/profile?saved=1").into_response()),
        Err(e) => {
            let mut errors = FormErrors::new(&[]);
            errors.add_store(e)?;
            render_profile(&state, &user, &form, false, &errors, StatusCode::BAD_REQUEST).await
        }
    }
}

fn status_colour(s: caremarket_core::workforce::Status) -> &'static str {
    use caremarket_core::workforce::Status;
    match s {
        Status::Met => "govuk-tag--green",
        Status::NotMet => "govuk-tag--red",
        Status::NoRecords => "govuk-tag--grey",
    }
}

fn position_colour(p: Position) -> &'static str {
    match p {
        Position::Agreed => "govuk-tag--green",
        Position::WorkingTowards => "govuk-tag--yellow",
        Position::NotAccepted => "govuk-tag--red",
    }
}

async fn charter(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ViewWorkforce)?;
    let positions = state.store.charter_positions().await?;
    let elements: Vec<Value> = ELEMENTS
        .iter()
        .map(|e| {
            let history: Vec<_> = positions.iter().filter(|p| p.element == e.key).collect();
            let current = history.first();
            context! {
                key => e.key, stage => e.stage, text => e.text,
                position => current.map(|p| p.position.label()), colour => current.map(|p| position_colour(p.position)),
                note => current.map(|p| p.note.clone()), set_on => current.map(|p| p.set_on.clone()),
                earlier => history.len().saturating_sub(1), href => format!("/workforce/charter/{}", e.key),
            }
        })
        .collect();
    let count =
        |p: Position| ELEMENTS.iter().filter(|e| positions.iter().find(|x| x.element == e.key).is_some_and(|x| x.position == p)).count();
    let rates = state.store.living_wage_rates().await?;
    // Each provider with a workforce return: its latest quarter's returns and its visits.
    let all = state.store.workforce_returns(&WorkforceFilter::default()).await?;
    let mut providers: BTreeMap<(String, String), Vec<&WorkforceReturnRecord>> = BTreeMap::new();
    for r in &all {
        providers.entry((r.provider_name.clone(), r.provider_id.clone())).or_default().push(r);
    }
    let mut rows = Vec::new();
    for ((name, id), rs) in &providers {
        let latest = rs.iter().map(|r| r.r.period).max();
        let this: Vec<&caremarket_core::workforce::WorkforceReturn> =
            rs.iter().filter(|r| Some(r.r.period) == latest).map(|r| &r.r).collect();
        let visits = state.store.workforce_visit_facts(id).await?;
        let continuity = state.store.workforce_continuity(id).await?;
        let checks: Vec<Value> = provider_checks(&this, &rates, visits, continuity)
            .into_iter()
            .map(|c| context! { key => c.key, status => c.status.label(), colour => status_colour(c.status), detail => c.detail })
            .collect();
        rows.push(context! {
            provider => name, href => format!("/workforce/returns?provider_id={id}&amp;period={}", latest.map(|p| p.code()).unwrap_or_default()),
            period => latest.map(|p| p.label()), checks => checks,
        });
    }
    let rate_rows: Vec<Value> = rates
        .iter()
        .map(|r| {
            context! { year => r.year, rate => pounds(r.pence), london => pounds(r.london_pence),
            announced => r.announced_on.to_string(), applies => r.applies_from.to_string(),
            correct_href => format!("/workforce/living-wage?year={}", r.year.replace('/', "%2F")) }
        })
        .collect();
    let saved = element_of(field(&q, "saved"));
    let rate_saved = field(&q, "rate_saved") == "1";
    let html = render(
        &state,
        &user,
        "workforce_charter.html",
        context! {
            elements => elements, agreed => count(Position::Agreed), towards => count(Position::WorkingTowards),
            not_accepted => count(Position::NotAccepted), unset => ELEMENTS.len() - positions.iter().map(|p| p.element.as_str()).collect::<BTreeSet<_>>().len(),
            providers => rows, rates => rate_rows, saved => saved.map(|e| e.key), rate_saved => rate_saved,
            can_change => user.role().can(Permission::ManageWorkforce),
        },
    )
    .await?;
    Ok(Html(html).into_response())
}

fn element_of(key: &str) -> Option<&'static caremarket_core::workforce::Element> {
    caremarket_core::workforce::element(key)
}

#[allow(clippy::too_many_arguments)]
async fn render_element(
    state: &AppState,
    user: &CurrentUser,
    e: &caremarket_core::workforce::Element,
    typed: Option<(&str, &str)>,
    errors: &FormErrors,
    version: String,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let history: Vec<Value> = state
        .store
        .charter_positions()
        .await?
        .into_iter()
        .filter(|p| p.element == e.key)
        .map(|p| {
            context! { position => p.position.label(), colour => position_colour(p.position), note => p.note, set_on => p.set_on,
            by => p.set_by_label, at => p.set_at }
        })
        .collect();
    let current = history.first().and_then(|h| h.get_attr("position").ok()).map(|v| v.to_string());
    let current_code = Position::ALL.into_iter().find(|p| Some(p.label().to_string()) == current).map(|p| p.as_str());
    let options: Vec<serde_json::Value> = Position::ALL.iter().map(|p| json!({"value": p.as_str(), "text": p.label()})).collect();
    let html = render(
        state,
        user,
        "workforce_charter_element.html",
        context! {
            key => e.key, stage => e.stage, text => e.text, history => history, options => options,
            position => typed.map(|t| t.0.to_string()).or(current_code.map(str::to_string)), note => typed.map(|t| t.1.to_string()),
            can_change => user.role().can(Permission::ManageWorkforce), errors => errors.list, field_errors => errors.by_field,
            version => version, stale => reply.stale,
        },
    )
    .await?;
    Ok((reply.status, Html(html)).into_response())
}

async fn charter_element(user: CurrentUser, State(state): State<AppState>, Path(key): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ViewWorkforce)?;
    let Some(e) = element_of(&key) else { return Err(AppError::NotFound) };
    let version = state.store.charter_version(e.key).await?.to_string();
    render_element(&state, &user, e, None, &FormErrors::new(&[]), version, crate::versions::Reply::status(StatusCode::OK)).await
}

async fn set_position(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(key): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkforce)?;
    let Some(e) = element_of(&key) else { return Err(AppError::NotFound) };
    let (position, note) = (field(&form, "position"), field(&form, "note"));
    let expected = crate::versions::from_form(&form);
    match state.store.set_charter_position_at(&user.actor(), e.key, (position, note), caremarket_store::today(), expected).await {
        Ok(_) => Ok(Redirect::to(&format!("/workforce/charter?saved={}", e.key)).into_response()),
        Err(caremarket_store::StoreError::Stale { current }) => {
            let latest = state.store.charter_positions().await?.into_iter().find(|p| p.element == e.key);
            let label = |code: &str| Position::parse(code).map(|p| p.label().to_string()).unwrap_or_else(|| code.to_string());
            let (now_position, now_note) = latest.as_ref().map(|p| (p.position.label().to_string(), p.note.clone())).unwrap_or_default();
            let changes = caremarket_core::versions::changes([
                ("The council's position", now_position, label(position)),
                ("Note", now_note, note.to_string()),
            ]);
            let id = latest.map(|p| p.id).unwrap_or_default();
            let stale = crate::versions::stale(&state, "charter_position", &id, current, expected, changes).await?;
            let reply = crate::versions::Reply::stale(stale.notice);
            render_element(&state, &user, e, Some((position, note)), &FormErrors::new(&[]), current.to_string(), reply).await
        }
        Err(err) => {
            let mut errors = FormErrors::new(&[]);
            errors.add_store(err)?;
            let version = field(&form, "version").to_string();
            let reply = crate::versions::Reply::status(StatusCode::BAD_REQUEST);
            render_element(&state, &user, e, Some((position, note)), &errors, version, reply).await
        }
    }
}

/// A year's real Living Wage rates, typed in each autumn when the Foundation announces them (or a
/// recorded year corrected): the charter's check 3.1 and the market's figures read them. Adding
/// uses the blank form; correcting opens the year's own form (`?year=`), which carries its
/// version (decision 25).
async fn render_living_wage(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    version: Option<String>,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let page = context! {
        year => field(form, "year"), rate => field(form, "rate"), london_rate => field(form, "london_rate"),
        announced_on => crate::forms::date_parts(form, "announced_on"), applies_from => crate::forms::date_parts(form, "applies_from"),
        errors => errors.list, field_errors => errors.by_field, version => version, stale => reply.stale,
    };
    Ok((reply.status, Html(render(state, user, "workforce_living_wage.html", page).await?)).into_response())
}

/// A recorded year's rates as the form's fields.
fn living_wage_fields(r: &caremarket_core::workforce::LivingWageRate) -> Vec<(String, String)> {
    let mut form = vec![
        ("year".to_string(), r.year.clone()),
        ("rate".to_string(), money_typed(r.pence)),
        ("london_rate".to_string(), money_typed(r.london_pence)),
    ];
    for (name, d) in [("announced_on", r.announced_on), ("applies_from", r.applies_from)] {
        crate::forms::push_date_fields(&mut form, name, d);
    }
    form
}

#[derive(Debug, Default, serde::Deserialize)]
struct LivingWageQuery {
    year: Option<String>,
}

async fn living_wage_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<LivingWageQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkforce)?;
    let reply = crate::versions::Reply::status(StatusCode::OK);
    let Some(year) = q.year.filter(|y| !y.is_empty()) else {
        return render_living_wage(&state, &user, &[], &FormErrors::new(&[]), None, reply).await;
    };
    let Some(r) = state.store.living_wage_rates().await?.into_iter().find(|r| r.year == year) else { return Err(AppError::NotFound) };
    let version = state.store.living_wage_rate_version(&r.year).await?.to_string();
    render_living_wage(&state, &user, &living_wage_fields(&r), &FormErrors::new(&[]), Some(version), reply).await
}

async fn save_living_wage(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkforce)?;
    let mut errors = FormErrors::new(&["announced_on", "applies_from"]);
    // A date typed wrongly is named as such; a blank one is core's "Enter the date...".
    let date = |errors: &mut FormErrors, name: &str, label: &str| match crate::forms::form_date(&form, name, label) {
        Ok(d) => d,
        Err(m) => {
            errors.add(name, &m);
            None
        }
    };
    let announced = date(&mut errors, "announced_on", "The date it was announced");
    let applies = date(&mut errors, "applies_from", "The date employers pay it from");
    // The year's own form (correcting) carries a version; the blank one (adding) does not.
    let correcting = form.iter().any(|(k, _)| k == "version");
    let expected = crate::versions::from_form(&form);
    match caremarket_core::workforce::check_living_wage_rate(
        field(&form, "year"),
        field(&form, "rate"),
        field(&form, "london_rate"),
        announced,
        applies,
    ) {
        Ok(rate) if errors.is_empty() => {
            let saved = if correcting {
                state.store.correct_living_wage_rate_at(&user.actor(), &rate, expected).await
            } else {
                state.store.add_living_wage_rate(&user.actor(), &rate).await
            };
            match saved {
                Ok(()) => return Ok(Redirect::to("/workforce/charter?rate_saved=1#living-wage").into_response()),
                Err(caremarket_store::StoreError::Stale { current }) => {
                    let now = state.store.living_wage_rates().await?.into_iter().find(|r| r.year == rate.year);
                    let Some(now) = now else { return Err(AppError::NotFound) };
                    let date_text = |d: caremarket_core::Date| d.strftime("%-d %B %Y").to_string();
                    let changes = caremarket_core::versions::changes([
                        ("Rate outside London", pounds(now.pence), pounds(rate.pence)),
                        ("London rate", pounds(now.london_pence), pounds(rate.london_pence)),
                        ("Date announced", date_text(now.announced_on), date_text(rate.announced_on)),
                        ("Date employers pay it from", date_text(now.applies_from), date_text(rate.applies_from)),
                    ]);
                    let stale = crate::versions::stale(&state, "living_wage_rate", &rate.year, current, expected, changes).await?;
                    let reply = crate::versions::Reply::stale(stale.notice);
                    return render_living_wage(&state, &user, &form, &errors, Some(current.to_string()), reply).await;
                }
                Err(caremarket_store::StoreError::NotFound(_)) => return Err(AppError::NotFound),
                Err(e) => errors.add_store(e)?,
            }
        }
        Ok(_) => {}
        Err(fes) => errors.extend(fes),
    }
    let version = correcting.then(|| field(&form, "version").to_string());
    render_living_wage(&state, &user, &form, &errors, version, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

/// A file's problems for the error summary, against the file input.
pub(crate) fn problem_errors(problems: &[RowProblem]) -> Vec<Value> {
    const MAX: usize = 100;
    let mut v: Vec<Value> = problems.iter().take(MAX).map(|p| field_error("file", &p.to_string())).collect();
    if problems.len() > MAX {
        v.push(field_error("file", &format!("and {} more problems", problems.len() - MAX)));
    }
    v
}
