//! The provider portal's workforce returns (ProviderPortal; issue 13 item 1): a provider user
//! returns each service's staff in aggregate for a quarter (no names) on a form or as a CSV
//! file (all or nothing, each problem named by row and column), and sees its own returns.
//! Sending a quarter again replaces the earlier return (audited). The provider comes from the
//! account, never the request: a service of another provider is refused.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use crate::workforce::{csv_columns, parse_csv, problem_errors, render, return_row};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::workforce::{Draft, FIELDS, Quarter, check_return, to_draft};
use caremarket_store::fees::cost_of_care::SentBy;
use caremarket_store::workforce::WorkforceFilter;
use minijinja::{Value, context};
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/workforce", get(list))
        .route("/portal/workforce/return", get(form).post(submit))
        .route("/portal/workforce/upload", post(upload))
}

/// The quarters a provider may return: this one and the seven before it.
fn period_options() -> Vec<serde_json::Value> {
    let mut p = Quarter::of(caremarket_store::today());
    let mut v = vec![json!({"value": "", "text": "Choose a quarter"})];
    for _ in 0..8 {
        v.push(json!({"value": p.code(), "text": p.label()}));
        p = p.previous();
    }
    v
}

async fn own_services(state: &AppState, provider_id: &str) -> Result<Vec<serde_json::Value>, AppError> {
    let mut v = vec![json!({"value": "", "text": "Choose a service"})];
    for s in state.store.workforce_services_of(provider_id).await?.iter().filter(|s| s.provider_id == provider_id) {
        v.push(json!({"value": s.service_id, "text": format!("{} ({})", s.service_name, s.kind.label())}));
    }
    Ok(v)
}

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    render_list(&state, &user, &provider_id, &q, Vec::new(), StatusCode::OK).await
}

async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    provider_id: &str,
    q: &[(String, String)],
    upload_errors: Vec<Value>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let provider = state.store.provider(provider_id).await?;
    let rates = state.store.living_wage_rates().await?;
    let rows: Vec<Value> = state
        .store
        .workforce_returns(&WorkforceFilter { provider_id: Some(provider_id.to_string()), ..Default::default() })
        .await?
        .iter()
        .filter(|r| r.provider_id == provider_id)
        .map(|r| return_row(r, &rates, format!("/portal/workforce/return?service_id={}&amp;period={}", r.service_id, r.r.period.code())))
        .collect();
    let label = || Quarter::parse("p", field(q, "period"), caremarket_store::today()).map(|p| p.label()).unwrap_or_default();
    let banner = match field(q, "saved") {
        "sent" => Some(format!("Workforce return sent for {}", label())),
        "replaced" => Some(format!("Workforce return sent for {}: it replaces the one you sent before", label())),
        "uploaded" => Some(format!("{} workforce returns saved from your file", field(q, "n"))),
        _ => None,
    };
    let html = render(
        state,
        user,
        "portal_workforce.html",
        context! {
            provider_name => provider.name, rows => rows, banner => banner, columns => csv_columns().join(", "),
            errors => upload_errors.clone(),
            upload_error => (!upload_errors.is_empty()).then(|| upload_errors.iter().map(|e| e.get_attr("message").map(|t| t.to_string()).unwrap_or_default()).collect::<Vec<_>>().join(". ")),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    provider_id: &str,
    values: &Draft,
    service_id: &str,
    replacing: bool,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let provider = state.store.provider(provider_id).await?;
    let fields: Vec<Value> = FIELDS
        .iter()
        .filter(|(n, _)| *n != "period")
        .map(|(n, l)| context! { name => n, label => l, value => values.get(*n).cloned().unwrap_or_default(), error => errors.by_field.get(*n) })
        .collect();
    let html = render(
        state,
        user,
        "portal_workforce_form.html",
        context! {
            provider_name => provider.name, services => own_services(state, provider_id).await?, service_id => service_id,
            periods => period_options(), period => values.get("period").cloned().unwrap_or_default(), fields => fields,
            replacing => replacing, errors => errors.list, field_errors => errors.by_field,
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn form(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let service_id = field(&q, "service_id");
    let mut values = Draft::new();
    values.insert("period".into(), field(&q, "period").to_string());
    let mut replacing = false;
    // The earlier return of the service and quarter (its own only), to change and send again.
    if let Ok(p) = Quarter::parse("period", field(&q, "period"), caremarket_store::today())
        && !service_id.is_empty()
    {
        let earlier = state
            .store
            .workforce_returns(&WorkforceFilter {
                provider_id: Some(provider_id.clone()),
                service_id: Some(service_id.to_string()),
                period: Some(p),
                kind: None,
            })
            .await?;
        if let Some(e) = earlier.iter().find(|r| r.provider_id == provider_id) {
            values = to_draft(&e.r);
            replacing = true;
        }
    }
    render_form(&state, &user, &provider_id, &values, service_id, replacing, &FormErrors::new(&[]), StatusCode::OK).await
}

async fn submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let draft: Draft = form.iter().filter(|(k, _)| k != "csrf_token" && k != "service_id").cloned().collect();
    let service_id = field(&form, "service_id");
    let mut errors = FormErrors::new(&[]);
    if service_id.is_empty() {
        errors.add("service_id", "Choose the service the return is for");
    }
    match check_return(&draft, caremarket_store::today()) {
        Ok(r) if errors.is_empty() => {
            match state.store.submit_workforce_return(&user.actor(), service_id, &r, SentBy::Provider, Some(&provider_id)).await {
                Ok((_, replaced)) => {
                    let saved = if replaced { "replaced" } else { "sent" };
                    return Ok(Redirect::to(&format!("/portal/workforce?saved={saved}&period={}", r.period.code())).into_response());
                }
                Err(e) => errors.add_store(e)?,
            }
        }
        Ok(_) => {}
        Err(e) => errors.extend(e),
    }
    render_form(&state, &user, &provider_id, &draft, service_id, false, &errors, StatusCode::BAD_REQUEST).await
}

async fn upload(user: CurrentUser, State(state): State<AppState>, multipart: crate::csrf::LateMultipart) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let multipart = crate::csrf::opened(multipart)?;
    let Some(bytes) = crate::capacity::read_upload(&user, multipart).await? else {
        let e = vec![crate::render::field_error("file", "Select a CSV file")];
        return render_list(&state, &user, &provider_id, &[], e, StatusCode::BAD_REQUEST).await;
    };
    let rows = match parse_csv(&bytes) {
        Ok(rows) => rows,
        Err(p) => return render_list(&state, &user, &provider_id, &[], problem_errors(&p), StatusCode::BAD_REQUEST).await,
    };
    match state
        .store
        .import_workforce_returns(&user.actor(), &rows, Some(&provider_id), SentBy::Provider, caremarket_store::today())
        .await?
    {
        Ok(n) => Ok(Redirect::to(&format!("/portal/workforce?saved=uploaded&n={n}")).into_response()),
        Err(p) => render_list(&state, &user, &provider_id, &[], problem_errors(&p), StatusCode::BAD_REQUEST).await,
    }
}
