//! The officer's side of a visit report's fact-check (issue 16 item 14, decision 42): the
//! provider's corrections, accepting or declining each (declining needs a reason), publishing,
//! and whether the action plan a Requires Improvement or Poor result needs has come.
//!
//! Staff with ViewQuality read; quality officers (RecordQuality) decide and publish. The
//! provider's side is `portal::reports`.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::quality::fact_check::{Decision, FACT_CHECK_DAYS, Stage};
use caremarket_core::text::long_date;
use caremarket_store::StoreError;
use caremarket_store::quality::fact_check::{Correction, VisitReport};
use minijinja::{Value, context};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/visits/{id}/fact-check", get(show))
        .route("/quality/visits/{id}/fact-check/publish", post(publish))
        .route("/quality/visits/{id}/fact-check/{correction_id}", post(decide))
}

fn date_text(d: &str) -> String {
    d.parse::<Date>().map(long_date).unwrap_or_else(|_| d.to_string())
}

/// One correction as pages show it (both the officer's and the provider's).
pub(crate) fn correction_row(c: &Correction) -> Value {
    context! {
        id => c.id,
        part_label => c.part_label,
        correction => c.correction,
        sent_by => c.sent_by,
        sent_on => date_text(c.sent_at.get(..10).unwrap_or("")),
        decided => c.decision.is_some(),
        decision => c.decision.map(|d| d.label()),
        decision_tag => c.decision.map(|d| if d == Decision::Accepted { "govuk-tag--green" } else { "govuk-tag--red" }),
        reason => c.reason,
        decided_by => c.decided_by,
        decided_on => c.decided_at.as_deref().and_then(|d| d.get(..10)).map(date_text),
    }
}

/// A report's facts as pages show them: the stage in words, the window, the overall result and
/// the action plan's state.
pub(crate) fn report_row(r: &VisitReport, today: Date) -> Result<Value, AppError> {
    let stage = r.stage(today)?;
    let plan = if !r.needs_action_plan() {
        None
    } else if let Some(sent) = &r.action_plan_sent_on {
        Some(format!("Sent on {}", date_text(sent)))
    } else if let Some(due) = &r.action_plan_due_on {
        Some(if r.action_plan_overdue(today) {
            format!("Overdue: it was due on {}", date_text(due))
        } else {
            format!("Due by {}", date_text(due))
        })
    } else {
        Some(format!("Due {} days after the report is published", caremarket_core::quality::fact_check::ACTION_PLAN_DAYS))
    };
    Ok(context! {
        visit_id => r.visit_id,
        service_id => r.service_id,
        service_name => r.service_name,
        provider_name => r.provider_name,
        visit_date => date_text(&r.visit_date),
        sent_on => date_text(&r.sent_on),
        check_ends_on => date_text(&r.check_ends_on),
        window_open => !r.is_published() && r.check_ends_on.parse::<Date>().is_ok_and(|d| today <= d),
        overall => r.overall.map(|o| o.label()),
        overall_tag => r.overall.map(crate::tags::judgement),
        stage => stage.label(),
        stage_code => stage.as_str(),
        published => r.is_published(),
        published_on => r.published_on.as_deref().map(date_text),
        published_by => r.published_by,
        corrections => r.corrections,
        undecided => r.undecided,
        needs_plan => r.needs_action_plan(),
        plan => plan,
        plan_overdue => r.action_plan_overdue(today),
        plan_sent => r.action_plan_sent_on.is_some(),
        action_plan => r.action_plan,
        action_plan_sent_by => r.action_plan_sent_by,
        days => FACT_CHECK_DAYS,
    })
}

/// The report of a visit, or "not found" when it has none (a draft, a meeting, or a visit
/// finalised before fact-checks).
async fn report_of(state: &AppState, id: &str) -> Result<VisitReport, AppError> {
    state.store.visit_report(id).await?.ok_or(AppError::NotFound)
}

#[derive(Debug, serde::Deserialize, Default)]
struct ShowQuery {
    done: Option<String>,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    r: &VisitReport,
    banner: Option<String>,
    errors: &FormErrors,
    form: &[(String, String)],
    status: StatusCode,
) -> Result<Response, AppError> {
    let today = caremarket_store::today();
    let corrections: Vec<Value> = state.store.visit_corrections(&r.visit_id).await?.iter().map(correction_row).collect();
    let decision_options = vec![
        serde_json::json!({"value": Decision::Accepted.as_str(), "text": "Accept: the correction is published beside the report, marked accepted"}),
        serde_json::json!({"value": Decision::Declined.as_str(), "text": "Decline: the report stands as written"}),
    ];
    let stage = r.stage(today)?;
    crate::auth::page(
        state,
        user,
        "quality_visit_fact_check.html",
        status,
        context! {
            report => report_row(r, today)?,
            corrections => corrections,
            decision_options => decision_options,
            can_record => user.role().can(Permission::RecordQuality),
            can_publish => stage == Stage::ReadyToPublish,
            banner => banner,
            errors => errors.list,
            field_errors => errors.by_field,
            form => form.iter().cloned().collect::<std::collections::BTreeMap<String, String>>(),
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
    user.require(Permission::ViewQuality)?;
    let r = report_of(&state, &id).await?;
    let banner = match q.done.as_deref() {
        Some("accepted") => Some("Correction accepted".to_string()),
        Some("declined") => Some("Correction declined".to_string()),
        Some("published") => Some("Report published: the provider can now see it and your decisions".to_string()),
        _ => None,
    };
    render(&state, &user, &r, banner, &FormErrors::new(&[]), &[], StatusCode::OK).await
}

async fn decide(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, correction_id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let r = report_of(&state, &id).await?;
    let decision_field = format!("decision-{correction_id}");
    let reason_field = format!("reason-{correction_id}");
    let decision = Decision::parse(field(&form, &decision_field));
    let mut errors = FormErrors::new(&[]);
    match state.store.decide_correction(&user.actor(), &id, &correction_id, decision, field(&form, &reason_field)).await {
        Ok(d) => return Ok(Redirect::to(&format!("/quality/visits/{id}/fact-check?done={}", d.as_str())).into_response()),
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(StoreError::InvalidFields(fes)) => {
            for e in fes.0 {
                errors.add(&format!("{}-{correction_id}", e.field), &e.message);
            }
        }
        Err(e) => errors.add_store(e)?,
    }
    render(&state, &user, &r, None, &errors, &form, StatusCode::BAD_REQUEST).await
}

async fn publish(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let r = report_of(&state, &id).await?;
    let mut errors = FormErrors::new(&[]).with_whole_form_link("publish");
    match state.store.publish_visit_report(&user.actor(), &id, caremarket_store::today()).await {
        Ok(()) => return Ok(Redirect::to(&format!("/quality/visits/{id}/fact-check?done=published")).into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render(&state, &user, &r, None, &errors, &form, StatusCode::BAD_REQUEST).await
}
