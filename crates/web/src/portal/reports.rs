//! The provider portal's visit reports (issue 16 item 14, decision 42): a finalised quality
//! visit's report arrives as a draft for a factual accuracy check; the provider sends corrections
//! within 14 days, sees the council's decisions and the published report, and sends the action
//! plan a Requires Improvement or Poor result needs.
//!
//! The provider comes from the signed-in account, never from the request: another provider's
//! report is "not found". The officers' internal notes are not shown; the report, the
//! judgements and the evidence are what the provider is checking.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use crate::quality::visits::fact_check::{correction_row, report_row};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_store::StoreError;
use caremarket_store::quality::fact_check::{ReportFilter, VisitReport};
use minijinja::{Value, context};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/reports", get(list))
        .route("/portal/reports/{id}", get(show))
        .route("/portal/reports/{id}/corrections", post(correct))
        .route("/portal/reports/{id}/action-plan", post(action_plan))
}

/// The signed-in provider user's provider id.
fn provider_of(user: &CurrentUser) -> Result<String, AppError> {
    user.require(Permission::ProviderPortal)?;
    user.user.provider_id.clone().ok_or(AppError::Forbidden)
}

/// One of the provider's own reports, or "not found" (whether it exists elsewhere or not).
async fn own_report(state: &AppState, provider_id: &str, id: &str) -> Result<VisitReport, AppError> {
    match state.store.visit_report(id).await? {
        Some(r) if r.provider_id == provider_id => Ok(r),
        _ => Err(AppError::NotFound),
    }
}

/// The provider's reports, checked again so that a query bug cannot show another provider's.
pub(super) async fn own_reports(state: &AppState, provider_id: &str) -> Result<Vec<VisitReport>, AppError> {
    Ok(state
        .store
        .visit_reports(&ReportFilter { provider_id: Some(provider_id.to_string()), ..Default::default() })
        .await?
        .into_iter()
        .filter(|r| r.provider_id == provider_id)
        .collect())
}

async fn list(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let provider = state.store.provider(&provider_id).await?;
    let today = caremarket_store::today();
    let rows: Vec<Value> = own_reports(&state, &provider_id).await?.iter().map(|r| report_row(r, today)).collect::<Result<_, _>>()?;
    crate::auth::page(&state, &user, "portal_reports.html", StatusCode::OK, context! { provider_name => provider.name, reports => rows })
        .await
}

#[derive(Debug, serde::Deserialize, Default)]
struct ShowQuery {
    sent: Option<String>,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    r: &VisitReport,
    banner: Option<&str>,
    errors: &FormErrors,
    form: &[(String, String)],
    status: StatusCode,
) -> Result<Response, AppError> {
    let today = caremarket_store::today();
    let visit = state.store.visit(&r.visit_id).await?;
    let scores: Vec<Value> = state
        .store
        .visit_scores(&r.visit_id)
        .await?
        .iter()
        .map(|s| {
            context! {
                code => s.code, title => s.title, domain => s.domain, judgement => s.judgement.label(),
                tag => crate::tags::judgement(s.judgement), evidence => s.evidence,
            }
        })
        .collect();
    let corrections: Vec<Value> = state.store.visit_corrections(&r.visit_id).await?.iter().map(correction_row).collect();
    let mut part_options = vec![serde_json::json!({"value": "", "text": "Choose the part of the report"})];
    part_options.extend(
        state.store.report_parts(&r.visit_id).await?.into_iter().map(|(value, text)| serde_json::json!({"value": value, "text": text})),
    );
    crate::auth::page(
        state,
        user,
        "portal_report.html",
        status,
        context! {
            report => report_row(r, today)?,
            written => visit.report,
            framework => visit.framework_name,
            scores => scores,
            corrections => corrections,
            part_options => part_options,
            part => field(form, "part"),
            correction => field(form, "correction"),
            action_plan => field(form, "action_plan"),
            banner => banner,
            errors => errors.list,
            field_errors => errors.by_field,
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
    let provider_id = provider_of(&user)?;
    let r = own_report(&state, &provider_id, &id).await?;
    let banner = match q.sent.as_deref() {
        Some("correction") => Some("Correction sent: the council will accept or decline it before publishing the report"),
        Some("action_plan") => Some("Action plan sent to the council"),
        _ => None,
    };
    render(&state, &user, &r, banner, &FormErrors::new(&[]), &[], StatusCode::OK).await
}

async fn correct(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let r = own_report(&state, &provider_id, &id).await?;
    let mut errors = FormErrors::new(&[]);
    let today = caremarket_store::today();
    match state.store.send_correction(&user.actor(), &provider_id, &id, field(&form, "part"), field(&form, "correction"), today).await {
        Ok(_) => return Ok(Redirect::to(&format!("/portal/reports/{id}?sent=correction")).into_response()),
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => errors.add_store(e)?,
    }
    render(&state, &user, &r, None, &errors, &form, StatusCode::BAD_REQUEST).await
}

async fn action_plan(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let r = own_report(&state, &provider_id, &id).await?;
    let mut errors = FormErrors::new(&[]);
    let today = caremarket_store::today();
    match state.store.send_action_plan(&user.actor(), &provider_id, &id, field(&form, "action_plan"), today).await {
        Ok(()) => return Ok(Redirect::to(&format!("/portal/reports/{id}?sent=action_plan")).into_response()),
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => errors.add_store(e)?,
    }
    render(&state, &user, &r, None, &errors, &form, StatusCode::BAD_REQUEST).await
}
