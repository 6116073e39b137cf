//! The provider portal's supported living returns (ProviderPortal; issue 11 item 5): a provider
//! user returns the hours it delivered to each person (by case reference) in a month, on a form
//! listing the people the council commissioned from it or as a CSV file (all or nothing), sees
//! its own months against the commissioned hours, and answers the council's queries. Sending a
//! month again replaces its earlier return. The provider comes from the account, never the
//! request; the council's pounds figures are not shown here.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::fees::supported_living::{Period, QueryStatus, QueryStep, StepDraft, check_return_lines, hours_input, hours_text};
use caremarket_store::fees::cost_of_care::SentBy;
use minijinja::{Value, context};
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/supported-living", get(list))
        .route("/portal/supported-living/return", get(form).post(submit))
        .route("/portal/supported-living/upload", post(upload))
        .route("/portal/supported-living/{period}", get(month))
        .route("/portal/supported-living/{period}/explain", post(explain))
}

/// The months a provider may return: this month and the eleven before it.
fn period_options() -> Vec<serde_json::Value> {
    let mut p = Period::of(caremarket_store::today());
    let mut v = vec![json!({"value": "", "text": "Choose a month"})];
    for _ in 0..12 {
        v.push(json!({"value": p.code(), "text": p.label()}));
        p = p.previous();
    }
    v
}

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    render_list(&state, &user, &provider_id, &q, Vec::new(), &FormErrors::new(&[]), StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    provider_id: &str,
    q: &[(String, String)],
    upload_errors: Vec<Value>,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let provider = state.store.provider(provider_id).await?;
    let returns: Vec<Value> = state
        .store
        .sl_returns(Some(provider_id), None)
        .await?
        .iter()
        .filter(|r| r.provider_id == provider_id)
        .map(|r| {
            context! {
                period => r.period.code(), label => r.period.label(), people => r.lines.len(),
                delivered => hours_text(r.lines.iter().map(|(_, m)| m).sum()), at => r.submitted_at,
            }
        })
        .collect();
    let queries = state.store.sl_queries(Some(provider_id)).await?;
    let waiting: Vec<Value> = queries
        .iter()
        .filter(|x| x.provider_id == provider_id && x.status == QueryStatus::Queried)
        .map(crate::fees::sl_query_view)
        .collect();
    let others: Vec<Value> = queries
        .iter()
        .filter(|x| x.provider_id == provider_id && x.status != QueryStatus::Queried && x.status.is_open())
        .map(crate::fees::sl_query_view)
        .collect();
    let banner = match field(q, "saved") {
        "sent" => Some(format!(
            "Supported living return sent for {}",
            Period::parse("p", field(q, "period"), caremarket_store::today()).map(|p| p.label()).unwrap_or_default()
        )),
        "replaced" => Some(format!(
            "Supported living return sent for {}: it replaces the one you sent before",
            Period::parse("p", field(q, "period"), caremarket_store::today()).map(|p| p.label()).unwrap_or_default()
        )),
        "uploaded" => Some(format!("{} supported living returns saved from your file", field(q, "n"))),
        "explained" => Some("Explanation sent to the council".to_string()),
        _ => None,
    };
    let mut all_errors = errors.list.clone();
    all_errors.extend(upload_errors.iter().cloned());
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "portal_supported_living.html",
        &ctx,
        context! {
            provider_name => provider.name, returns => returns, waiting => waiting, others => others,
            period_options => period_options(), period => field(q, "period"), banner => banner,
            errors => all_errors, field_errors => errors.by_field,
            upload_error => (!upload_errors.is_empty()).then(|| upload_errors.iter().map(|e| e.get_attr("message").map(|t| t.to_string()).unwrap_or_default()).collect::<Vec<_>>().join(". ")),
        },
    )?;
    Ok((status, Html(html)).into_response())
}

/// The form's rows: the people commissioned in the month and any on the earlier return, with
/// the hours returned before (or typed).
async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    provider_id: &str,
    period: Period,
    typed: Option<&[(String, String)]>,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let m = state.store.sl_month(provider_id, period).await.ok();
    let earlier = m.as_ref().and_then(|m| m.returned.clone());
    let rows: Vec<Value> = m
        .as_ref()
        .map(|m| m.month.lines.iter().filter(|l| l.commissioned_minutes > 0 || l.delivered_minutes.is_some()).collect::<Vec<_>>())
        .unwrap_or_default()
        .iter()
        .map(|l| {
            let value = match typed {
                Some(t) => t
                    .iter()
                    .zip(t.iter().skip(1))
                    .find(|(a, _)| a.0 == "case_ref" && a.1 == l.case_ref)
                    .map(|(_, b)| b.1.clone())
                    .unwrap_or_default(),
                None => l.delivered_minutes.map(hours_input).unwrap_or_default(),
            };
            let name = format!("hours-{}", l.case_ref);
            context! {
                case_ref => l.case_ref, commissioned => hours_text(l.commissioned_minutes), value => value,
                error => errors.by_field.get(&name), id => name,
            }
        })
        .collect();
    let provider = state.store.provider(provider_id).await?;
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "portal_supported_living_form.html",
        &ctx,
        context! {
            provider_name => provider.name, period => period.code(), period_label => period.label(), rows => rows,
            replacing => earlier.is_some(), errors => errors.list, field_errors => errors.by_field,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn form(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    match Period::parse("period", field(&q, "period"), caremarket_store::today()) {
        Ok(p) => render_form(&state, &user, &provider_id, p, None, &FormErrors::new(&[]), StatusCode::OK).await,
        Err(e) => {
            let mut errors = FormErrors::new(&[]);
            errors.add(&e.field, &e.message);
            render_list(&state, &user, &provider_id, &q, Vec::new(), &errors, StatusCode::BAD_REQUEST).await
        }
    }
}

async fn submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let today = caremarket_store::today();
    let period = match Period::parse("period", field(&form, "period"), today) {
        Ok(p) => p,
        Err(e) => {
            let mut errors = FormErrors::new(&[]);
            errors.add(&e.field, &e.message);
            return render_list(&state, &user, &provider_id, &[], Vec::new(), &errors, StatusCode::BAD_REQUEST).await;
        }
    };
    // Each row is a case_ref field followed by its hours field; extra rows left blank are skipped.
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut pending: Option<String> = None;
    for (k, v) in &form {
        match k.as_str() {
            "case_ref" => pending = Some(v.clone()),
            "hours" => {
                let c = pending.take().unwrap_or_default();
                if !(c.trim().is_empty() && v.trim().is_empty()) {
                    lines.push((c, v.clone()));
                }
            }
            _ => {}
        }
    }
    let mut errors = FormErrors::new(&[]);
    match check_return_lines(&lines) {
        Ok(checked) => match state.store.submit_sl_return(&user.actor(), &provider_id, period, &checked, SentBy::Provider).await {
            Ok((_, replaced)) => {
                let saved = if replaced { "replaced" } else { "sent" };
                return Ok(Redirect::to(&format!("/portal/supported-living?saved={saved}&period={}", period.code())).into_response());
            }
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    render_form(&state, &user, &provider_id, period, Some(&form), &errors, StatusCode::BAD_REQUEST).await
}

async fn upload(user: CurrentUser, State(state): State<AppState>, multipart: crate::csrf::LateMultipart) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let multipart = crate::csrf::opened(multipart)?;
    let fail = |p: Vec<Value>| (p, StatusCode::BAD_REQUEST);
    let Some(bytes) = crate::capacity::read_upload(&user, multipart).await? else {
        let (p, s) = fail(vec![crate::render::field_error("file", "Select a CSV file")]);
        return render_list(&state, &user, &provider_id, &[], p, &FormErrors::new(&[]), s).await;
    };
    let rows = match caremarket_ingest::uploads::supported_living::parse(&bytes, Some(&provider_id)) {
        Ok(rows) => rows,
        Err(p) => {
            return render_list(
                &state,
                &user,
                &provider_id,
                &[],
                crate::fees::sl_problem_errors(&p),
                &FormErrors::new(&[]),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    match state.store.import_sl_returns(&user.actor(), &rows, Some(&provider_id), SentBy::Provider, caremarket_store::today()).await? {
        Ok(n) => Ok(Redirect::to(&format!("/portal/supported-living?saved=uploaded&n={n}")).into_response()),
        Err(p) => {
            render_list(
                &state,
                &user,
                &provider_id,
                &[],
                crate::fees::sl_problem_errors(&p),
                &FormErrors::new(&[]),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

async fn own_month(
    state: &AppState,
    provider_id: &str,
    period: &str,
) -> Result<caremarket_store::fees::supported_living::MonthRecord, AppError> {
    let Ok(p) = Period::parse("period", period, caremarket_store::today()) else { return Err(AppError::NotFound) };
    match state.store.sl_month(provider_id, p).await {
        Ok(m) if m.month.provider_id == provider_id => Ok(m),
        Ok(_) | Err(caremarket_store::StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn render_month(
    state: &AppState,
    user: &CurrentUser,
    m: &caremarket_store::fees::supported_living::MonthRecord,
    note: &str,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let lines: Vec<Value> = crate::fees::sl_person_lines(&m.month)
        .into_iter()
        .map(|l| {
            context! {
                case_ref => l.get_attr("case_ref").ok(), commissioned => l.get_attr("commissioned").ok(),
                delivered => l.get_attr("delivered").ok(), variance => l.get_attr("variance").ok(),
            }
        })
        .collect();
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "portal_supported_living_month.html",
        &ctx,
        context! {
            provider_name => m.provider_name, period => m.month.period.code(), period_label => m.month.period.label(),
            commissioned => hours_text(m.month.commissioned_minutes()), delivered => m.month.delivered_minutes().map(hours_text),
            lines => lines, query => m.query.as_ref().map(crate::fees::sl_query_view),
            can_explain => m.query.as_ref().is_some_and(|q| q.status == QueryStatus::Queried),
            note => note, errors => errors.list, field_errors => errors.by_field,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn month(user: CurrentUser, State(state): State<AppState>, Path(period): Path<String>) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let m = own_month(&state, &provider_id, &period).await?;
    render_month(&state, &user, &m, "", &FormErrors::new(&[]), StatusCode::OK).await
}

async fn explain(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(period): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let m = own_month(&state, &provider_id, &period).await?;
    let draft = StepDraft { note: field(&form, "note").to_string(), amount: String::new() };
    match state
        .store
        .sl_query_step(&user.actor(), &provider_id, m.month.period, QueryStep::Explain, &draft, true, caremarket_store::today())
        .await
    {
        Ok(_) => Ok(Redirect::to("/portal/supported-living?saved=explained").into_response()),
        Err(e) => {
            let mut errors = FormErrors::new(&[]);
            errors.add_store(e)?;
            render_month(&state, &user, &m, field(&form, "note"), &errors, StatusCode::BAD_REQUEST).await
        }
    }
}
