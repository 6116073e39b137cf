//! Supported living actuals (issue 11 item 5): commissioned hours against the hours providers
//! return, per provider and month, with the variance in hours, per cent and pounds (at the rate
//! the rate card says the provider was paid), flagged over the threshold setting; each figure
//! drills down to the people behind it. A flagged month is challenged step by step with its
//! history; one-off payments and historical reconciliations are recorded against the provider.
//!
//! Reading needs `ViewFinance` (commissioners and administrators); every change `ManageFees` as
//! well. Providers return hours and explain through the portal (`crate::portal::supported_living`).

use super::render;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, field, form_date};
use crate::render::field_error;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::money::money;
use caremarket_core::fees::RateLevel;
use caremarket_core::fees::rates::{RateCategory, long_date};
use caremarket_core::fees::supported_living::{
    CommissionDraft, PaymentDraft, PaymentKind, Period, ProviderMonth, QueryStatus, QueryStep, RATE_CATEGORIES, StepDraft, hours_text,
    percent_text,
};
use caremarket_core::quality::RowProblem;
use caremarket_store::fees::cost_of_care::SentBy;
use caremarket_store::fees::supported_living::{MonthRecord, QueryRecord};
use minijinja::{Value, context};
use serde_json::json;

const MAX_PROBLEMS: usize = 100;

/// How the variance is priced, said on the pages and in `docs/fees.md`.
pub(crate) const PRICING: &str = "A month's commissioned hours are each day's weekly hours divided by 7, added up over the month and \
    rounded to the nearest minute. The variance is the hours delivered less the hours commissioned (a person missing from a return \
    counts as none delivered). It is priced person by person at the provider's supported living hourly rate in force on the first \
    day of the month for the person's rate (community or discounted; the provider's own rate, else the council's), rounded to the \
    penny.";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/fees/supported-living", get(overview))
        .route("/fees/supported-living/commissioned", get(commissioned).post(add_commission))
        .route("/fees/supported-living/upload", get(upload_form).post(upload))
        .route("/fees/supported-living/payments", get(payments).post(add_payment))
        .route("/fees/supported-living/settings", get(settings).post(save_settings))
        .route("/fees/supported-living/{provider_id}/{period}", get(month_page))
        .route("/fees/supported-living/{provider_id}/{period}/query", post(step))
}

fn require_view(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Permission::ViewFinance)
}

fn require_change(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Permission::ViewFinance)?;
    user.require(Permission::ManageFees)
}

/// The month asked for ("2025-04"), else the latest month with a return, else last month.
fn chosen_period(q: &[(String, String)], periods: &[Period]) -> Period {
    let today = caremarket_store::today();
    Period::parse("period", field(q, "period"), today).ok().unwrap_or_else(|| {
        let last = Period::of(today).previous();
        periods.iter().copied().find(|p| *p <= last).unwrap_or(last)
    })
}

fn period_options(periods: &[Period], chosen: Period) -> Vec<serde_json::Value> {
    let mut v: Vec<Period> = periods.to_vec();
    if !v.contains(&chosen) {
        v.push(chosen);
        v.sort();
        v.reverse();
    }
    v.iter().map(|p| json!({"value": p.code(), "text": p.label()})).collect()
}

/// "£21.50 an hour, community rate (Acme's own rate from 1 April 2025)".
pub(crate) fn rate_text(r: &caremarket_core::fees::RateVersion) -> String {
    let whose = match r.line.level {
        RateLevel::Provider => "the provider's own rate",
        _ => "the council's rate",
    };
    format!("{}: {} ({whose} from {})", r.line.category.label(), r.amount_text(), long_date(r.effective_from))
}

fn signed_hours(m: i64) -> String {
    if m > 0 { format!("+{}", hours_text(m)) } else { hours_text(m) }
}

fn signed_money(p: i64) -> String {
    if p > 0 { format!("+{}", money(p)) } else { money(p) }
}

/// The figures of a provider's month as every page shows them.
pub(crate) fn month_figures(m: &ProviderMonth, threshold_bp: i64) -> Value {
    let variance = m.variance_minutes();
    context! {
        commissioned => hours_text(m.commissioned_minutes()),
        delivered => m.delivered_minutes().map(hours_text),
        variance => variance.map(signed_hours),
        percent => m.variance_bp().map(|b| if b > 0 { format!("+{}", percent_text(b)) } else { percent_text(b) }),
        pounds => m.variance_pence().map(signed_money),
        no_rate => m.returned && m.variance_pence().is_none(),
        returned => m.returned,
        flagged => m.flagged(threshold_bp),
        people => m.lines.len(),
        rates => m.rates().iter().map(|r| rate_text(r)).collect::<Vec<_>>(),
    }
}

/// A month's people, each line's figures.
pub(crate) fn person_lines(m: &ProviderMonth) -> Vec<Value> {
    m.lines
        .iter()
        .map(|l| {
            context! {
                case_ref => l.case_ref, commissioned => hours_text(l.commissioned_minutes),
                delivered => l.delivered_minutes.map(hours_text).unwrap_or_else(|| if m.returned { "Not on the return".into() } else { "Not returned".into() }),
                variance => m.returned.then(|| signed_hours(l.delivered_minutes.unwrap_or(0) - l.commissioned_minutes)),
                pounds => m.returned.then(|| l.rate.as_ref().map(|r| signed_money(caremarket_core::fees::supported_living::pounds_for(l.delivered_minutes.unwrap_or(0) - l.commissioned_minutes, r.amount_pence))).unwrap_or_else(|| "No rate".into())),
                rate => l.rate.as_ref().map(|r| r.amount_text()).unwrap_or_else(|| format!("No {} in force", l.rate_category.label().to_lowercase())),
                category => l.rate_category.label(),
                not_commissioned => l.commissioned_minutes == 0,
            }
        })
        .collect()
}

/// A query's status and history as pages show them.
pub(crate) fn query_view(q: &QueryRecord) -> Value {
    let steps: Vec<Value> = q
        .steps
        .iter()
        .map(|s| {
            context! {
                step => s.step.label(), note => s.note, amount => s.amount_pence.map(money), on => s.taken_on,
                by => s.taken_by_label, at => s.taken_at,
            }
        })
        .collect();
    context! {
        status => q.status.label(), status_code => q.status.as_str(), open => q.status.is_open(),
        recovered => q.recovered_pence.map(money), steps => steps, question => q.question(),
        period => q.period.code(), period_label => q.period.label(), provider => q.provider_name, provider_id => q.provider_id,
    }
}

fn status_tag(r: &MonthRecord, threshold_bp: i64) -> (&'static str, &'static str) {
    if !r.month.returned {
        ("Return not received", "govuk-tag--grey")
    } else if let Some(q) = &r.query {
        match q.status {
            QueryStatus::Queried => ("Queried", "govuk-tag--orange"),
            QueryStatus::Explained => ("Explained", "govuk-tag--yellow"),
            QueryStatus::Accepted => ("Accepted", "govuk-tag--green"),
            QueryStatus::Recovered => ("Recovered", "govuk-tag--purple"),
            QueryStatus::Closed => ("Closed", "govuk-tag--grey"),
        }
    } else if r.month.flagged(threshold_bp) {
        ("Over the threshold", "govuk-tag--red")
    } else {
        ("Within the threshold", "govuk-tag--green")
    }
}

async fn overview(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    require_view(&user)?;
    let periods = state.store.sl_periods().await?;
    let period = chosen_period(&q, &periods);
    let threshold = state.store.sl_threshold_bp().await?;
    let months = state.store.sl_months(period).await?;
    let rows: Vec<Value> = months
        .iter()
        .map(|r| {
            let (tag, colour) = status_tag(r, threshold);
            context! {
                provider => r.provider_name, href => format!("/fees/supported-living/{}/{}", r.month.provider_id, period.code()),
                f => month_figures(&r.month, threshold), tag => tag, colour => colour,
            }
        })
        .collect();
    let returned: Vec<&MonthRecord> = months.iter().filter(|m| m.month.returned).collect();
    let commissioned: i64 = returned.iter().map(|m| m.month.commissioned_minutes()).sum();
    let delivered: i64 = returned.iter().filter_map(|m| m.month.delivered_minutes()).sum();
    let missing: Vec<Value> = months
        .iter()
        .filter(|m| !m.month.returned)
        .map(|m| context! { provider => m.provider_name, commissioned => hours_text(m.month.commissioned_minutes()), href => format!("/fees/supported-living/{}/{}", m.month.provider_id, period.code()) })
        .collect();
    let open: Vec<Value> = state.store.sl_queries(None).await?.iter().filter(|q| q.status.is_open()).map(query_view).collect();
    let html = render(
        &state,
        &user,
        "fees_supported_living.html",
        context! {
            period => period.code(), period_label => period.label(), periods => period_options(&periods, period), rows => rows,
            flagged => months.iter().filter(|m| m.month.flagged(threshold)).count(), threshold => percent_text(threshold),
            returned => returned.len(), missing => missing, open => open, pricing => PRICING,
            total_commissioned => hours_text(commissioned), total_delivered => hours_text(delivered), total_variance => signed_hours(delivered - commissioned),
            can_change => user.role().can(Permission::ManageFees), saved => field(&q, "saved"),
        },
    )
    .await?;
    Ok(Html(html).into_response())
}

async fn month_record(state: &AppState, provider_id: &str, period: &str) -> Result<MonthRecord, AppError> {
    let Ok(period) = Period::parse("period", period, caremarket_store::today()) else { return Err(AppError::NotFound) };
    match state.store.sl_month(provider_id, period).await {
        Ok(m) => Ok(m),
        Err(caremarket_store::StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn month_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((provider_id, period)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_view(&user)?;
    let m = month_record(&state, &provider_id, &period).await?;
    render_month(&state, &user, &m, &[], &FormErrors::new(&[]), field(&q, "saved"), StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render_month(
    state: &AppState,
    user: &CurrentUser,
    m: &MonthRecord,
    form: &[(String, String)],
    errors: &FormErrors,
    saved: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    let threshold = state.store.sl_threshold_bp().await?;
    let current = m.query.as_ref().map(|q| q.status);
    let flagged = m.month.flagged(threshold);
    // The council's steps that may follow now (core refuses the rest anyway).
    let steps: Vec<QueryStep> = [QueryStep::Query, QueryStep::Accept, QueryStep::Recover, QueryStep::Close]
        .into_iter()
        .filter(|s| {
            caremarket_core::fees::supported_living::check_step(current, *s, flagged, &StepDraft { note: "x".into(), amount: "1".into() })
                .is_ok()
        })
        .collect();
    let can_recover = steps.contains(&QueryStep::Recover);
    let steps: Vec<Value> = steps
        .iter()
        .map(|s| {
            let text = match s {
                QueryStep::Query if current.is_some() => "Ask the provider again",
                QueryStep::Query => "Query the hours with the provider",
                QueryStep::Accept => "Accept the explanation",
                QueryStep::Recover => "Recover an amount",
                _ => "Close the query",
            };
            context! { value => s.as_str(), text => text }
        })
        .collect();
    let banner = match saved {
        "query" => Some("Query sent to the provider"),
        "accept" => Some("Explanation accepted"),
        "recover" => Some("Recovery recorded"),
        "close" => Some("Query closed"),
        _ => None,
    };
    let html = render(
        state,
        user,
        "fees_supported_living_month.html",
        context! {
            provider => m.provider_name, provider_id => m.month.provider_id, period => m.month.period.code(), period_label => m.month.period.label(),
            f => month_figures(&m.month, threshold), lines => person_lines(&m.month), threshold => percent_text(threshold),
            query => m.query.as_ref().map(query_view), steps => steps, can_recover => can_recover, flagged => flagged,
            returned => m.returned.as_ref().map(|r| context! { sent_by => r.sent_by.label(), by => r.sent_by_label, at => r.submitted_at }),
            can_change => user.role().can(Permission::ManageFees), pricing => PRICING,
            note => field(form, "note"), amount => field(form, "amount"), chosen_step => field(form, "step"),
            errors => errors.list, field_errors => errors.by_field, banner => banner,
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn step(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((provider_id, period)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_change(&user)?;
    let m = month_record(&state, &provider_id, &period).await?;
    let mut errors = FormErrors::new(&[]);
    let Some(s) = QueryStep::parse(field(&form, "step")).filter(|s| !s.is_providers()) else {
        errors.add("step", "Choose what to do");
        return render_month(&state, &user, &m, &form, &errors, "", StatusCode::BAD_REQUEST).await;
    };
    let draft = StepDraft { note: field(&form, "note").to_string(), amount: field(&form, "amount").to_string() };
    match state.store.sl_query_step(&user.actor(), &provider_id, m.month.period, s, &draft, false, caremarket_store::today()).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/fees/supported-living/{provider_id}/{}?saved={}", m.month.period.code(), s.as_str()))
                .into_response())
        }
        Err(e) => {
            errors.add_store(e)?;
            let m = month_record(&state, &provider_id, &period).await?;
            render_month(&state, &user, &m, &form, &errors, "", StatusCode::BAD_REQUEST).await
        }
    }
}

fn category_options() -> Vec<serde_json::Value> {
    RATE_CATEGORIES.iter().map(|c| json!({"value": c.as_str(), "text": c.label()})).collect()
}

async fn commissioned(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_view(&user)?;
    render_commissioned(&state, &user, &[], &FormErrors::new(&["effective_from"]), field(&q, "saved") == "1", StatusCode::OK).await
}

async fn render_commissioned(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    saved: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let today = caremarket_store::today();
    let all = state.store.sl_commissions(None).await?;
    let rows: Vec<Value> = all
        .iter()
        .map(|c| {
            let x = &c.commission;
            let same: Vec<&caremarket_core::fees::supported_living::Commission> =
                all.iter().map(|o| &o.commission).filter(|o| o.provider_id == x.provider_id && o.case_ref == x.case_ref).collect();
            let current = caremarket_core::fees::supported_living::weekly_on(&same, today).is_some_and(|v| v.id == x.id);
            context! {
                provider => c.provider_name, case_ref => x.case_ref, weekly => hours_text(x.weekly_minutes),
                category => x.rate_category.label(), from => long_date(x.effective_from), current => current,
                future => x.effective_from > today, by => c.created_by_label,
            }
        })
        .collect();
    let html = render(
        state,
        user,
        "fees_supported_living_commissioned.html",
        context! {
            rows => rows, providers => super::provider_options(state, "Choose a provider").await?, categories => category_options(),
            provider_id => field(form, "provider_id"), case_ref => field(form, "case_ref"), weekly_hours => field(form, "weekly_hours"),
            rate_category => Some(field(form, "rate_category")).filter(|s| !s.is_empty()).unwrap_or(RateCategory::CommunityHourly.as_str()),
            effective_from => date_parts(form, "effective_from"), can_change => user.role().can(Permission::ManageFees),
            errors => errors.list, field_errors => errors.by_field, saved => saved,
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn add_commission(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_change(&user)?;
    let mut errors = FormErrors::new(&["effective_from"]);
    let effective_from = match form_date(&form, "effective_from", "The date the hours start") {
        Ok(d) => d,
        Err(m) => {
            errors.add("effective_from", &m);
            None
        }
    };
    let draft = CommissionDraft {
        provider_id: Some(field(&form, "provider_id").to_string()),
        case_ref: field(&form, "case_ref").to_string(),
        weekly_hours: field(&form, "weekly_hours").to_string(),
        rate_category: RateCategory::parse(field(&form, "rate_category")),
        effective_from,
    };
    if errors.is_empty() {
        match state.store.add_sl_commission(&user.actor(), &draft).await {
            Ok(_) => return Ok(Redirect::to("/fees/supported-living/commissioned?saved=1").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    } else if let Err(all) = draft.check(&[]) {
        errors.extend(caremarket_core::FieldErrors(all.0.into_iter().filter(|f| f.field != "effective_from").collect()));
    }
    render_commissioned(&state, &user, &form, &errors, false, StatusCode::BAD_REQUEST).await
}

pub(crate) fn problem_errors(problems: &[RowProblem]) -> Vec<Value> {
    let mut v: Vec<Value> = problems.iter().take(MAX_PROBLEMS).map(|p| field_error("file", &p.to_string())).collect();
    if problems.len() > MAX_PROBLEMS {
        v.push(field_error("file", &format!("and {} more problems", problems.len() - MAX_PROBLEMS)));
    }
    v
}

async fn render_upload(state: &AppState, user: &CurrentUser, errors: Vec<Value>, status: StatusCode) -> Result<Response, AppError> {
    let html = render(state, user, "fees_supported_living_upload.html", context! { errors => errors }).await?;
    Ok((status, Html(html)).into_response())
}

async fn upload_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    require_change(&user)?;
    render_upload(&state, &user, Vec::new(), StatusCode::OK).await
}

async fn upload(user: CurrentUser, State(state): State<AppState>, multipart: crate::csrf::LateMultipart) -> Result<Response, AppError> {
    require_change(&user)?;
    let multipart = crate::csrf::opened(multipart)?;
    let Some(bytes) = crate::capacity::read_upload(&user, multipart).await? else {
        return render_upload(&state, &user, vec![field_error("file", "Select a CSV file")], StatusCode::BAD_REQUEST).await;
    };
    let rows = match caremarket_ingest::uploads::supported_living::parse(&bytes, None) {
        Ok(rows) => rows,
        Err(p) => return render_upload(&state, &user, problem_errors(&p), StatusCode::BAD_REQUEST).await,
    };
    match state.store.import_sl_returns(&user.actor(), &rows, None, SentBy::Council, caremarket_store::today()).await? {
        Ok(n) => Ok(Redirect::to(&format!("/fees/supported-living?saved={n}")).into_response()),
        Err(p) => render_upload(&state, &user, problem_errors(&p), StatusCode::BAD_REQUEST).await,
    }
}

fn kind_options() -> Vec<serde_json::Value> {
    PaymentKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})).collect()
}

async fn payments(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    require_view(&user)?;
    render_payments(&state, &user, &[], &FormErrors::new(&["paid_on"]), field(&q, "saved") == "1", StatusCode::OK).await
}

async fn render_payments(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    saved: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let all = state.store.sl_payments(None).await?;
    let mut providers: Vec<(String, String)> = all.iter().map(|p| (p.provider_name.clone(), p.provider_id.clone())).collect();
    providers.dedup();
    let groups: Vec<Value> = providers
        .iter()
        .map(|(name, id)| {
            let mine: Vec<_> = all.iter().filter(|p| p.provider_id == *id).collect();
            let by_kind: Vec<Value> = PaymentKind::ALL
                .iter()
                .filter_map(|k| {
                    let of: Vec<i64> = mine.iter().filter(|p| p.kind == *k).map(|p| p.amount_pence).collect();
                    (!of.is_empty()).then(|| context! { kind => k.label(), count => of.len(), total => money(of.iter().sum()) })
                })
                .collect();
            context! {
                provider => name,
                rows => mine.iter().map(|p| context! { kind => p.kind.label(), amount => money(p.amount_pence), paid_on => long_date(p.paid_on), reason => p.reason, by => p.created_by_label }).collect::<Vec<_>>(),
                total => money(mine.iter().map(|p| p.amount_pence).sum()), by_kind => by_kind,
            }
        })
        .collect();
    let html = render(
        state,
        user,
        "fees_supported_living_payments.html",
        context! {
            groups => groups, providers => super::provider_options(state, "Choose a provider").await?, kinds => kind_options(),
            provider_id => field(form, "provider_id"), kind => field(form, "kind"), amount => field(form, "amount"), reason => field(form, "reason"),
            paid_on => date_parts(form, "paid_on"), can_change => user.role().can(Permission::ManageFees),
            errors => errors.list, field_errors => errors.by_field, saved => saved,
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn add_payment(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_change(&user)?;
    let mut errors = FormErrors::new(&["paid_on"]);
    let paid_on = match form_date(&form, "paid_on", "The date of the payment") {
        Ok(d) => d,
        Err(m) => {
            errors.add("paid_on", &m);
            None
        }
    };
    let draft = PaymentDraft {
        provider_id: Some(field(&form, "provider_id").to_string()),
        kind: PaymentKind::parse(field(&form, "kind")),
        amount: field(&form, "amount").to_string(),
        paid_on,
        reason: field(&form, "reason").to_string(),
    };
    let today = caremarket_store::today();
    if errors.is_empty() {
        match state.store.add_sl_payment(&user.actor(), &draft, today).await {
            Ok(_) => return Ok(Redirect::to("/fees/supported-living/payments?saved=1").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    } else if let Err(all) = draft.check(today) {
        errors.extend(caremarket_core::FieldErrors(all.0.into_iter().filter(|f| f.field != "paid_on").collect()));
    }
    render_payments(&state, &user, &form, &errors, false, StatusCode::BAD_REQUEST).await
}

/// The one setting this page saves, carrying its version (decision 25).
const SETTING_KEYS: [&str; 1] = [caremarket_core::fees::supported_living::THRESHOLD_SETTING];

/// The threshold as the form shows it: "10", "7.5".
fn threshold_shown(bp: i64) -> String {
    percent_text(bp).trim_end_matches('%').trim_end_matches("00").trim_end_matches('.').to_string()
}

async fn settings(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    require_change(&user)?;
    let value = threshold_shown(state.store.sl_threshold_bp().await?);
    let versions = crate::versions::setting_versions_now(&state, &SETTING_KEYS).await?;
    let reply = crate::versions::Reply::status(StatusCode::OK);
    render_settings(&state, &user, &value, &FormErrors::new(&[]), field(&q, "saved") == "1", versions, reply).await
}

#[allow(clippy::too_many_arguments)]
async fn render_settings(
    state: &AppState,
    user: &CurrentUser,
    value: &str,
    errors: &FormErrors,
    saved: bool,
    setting_versions: Vec<Value>,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let html = render(
        state,
        user,
        "fees_supported_living_settings.html",
        context! {
            threshold => value, errors => errors.list, field_errors => errors.by_field, saved => saved,
            setting_versions => setting_versions, stale => reply.stale,
        },
    )
    .await?;
    Ok((reply.status, Html(html)).into_response())
}

async fn save_settings(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_change(&user)?;
    let typed = field(&form, "threshold");
    let expected = crate::versions::setting_expected(&form, SETTING_KEYS[0]);
    match state.store.set_sl_threshold_at(&user.actor(), typed, expected).await {
        Ok(_) => Ok(Redirect::to("/fees/supported-living/settings?saved=1").into_response()),
        Err(caremarket_store::StoreError::Stale { .. }) => {
            let now = threshold_shown(state.store.sl_threshold_bp().await?);
            let changes = caremarket_core::versions::changes([("Variance threshold (per cent)", now, typed.to_string())]);
            let stale = crate::versions::settings_stale(&state, &form, &SETTING_KEYS, changes).await?;
            let versions = crate::versions::setting_versions_now(&state, &SETTING_KEYS).await?;
            let reply = crate::versions::Reply::stale(stale.notice);
            render_settings(&state, &user, typed, &FormErrors::new(&[]), false, versions, reply).await
        }
        Err(e) => {
            let mut errors = FormErrors::new(&[]);
            errors.add_store(e)?;
            let versions = crate::versions::setting_versions_sent(&form, &SETTING_KEYS);
            let reply = crate::versions::Reply::status(StatusCode::BAD_REQUEST);
            render_settings(&state, &user, typed, &errors, false, versions, reply).await
        }
    }
}
