//! The placement restrictions and embargo list, and recording and lifting one. The checks are
//! core's `NewRestriction::parse`, the same as the quality status page's.

use super::all_service_options;
use super::forms::{self, FormErrors, Pairs, f, field, form_date, with_hint, with_options};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::restrictions::{NewRestriction, RestrictionForm, RestrictionKind};
use minijinja::context;
use serde_json::json;

fn restriction_fields(form: &Pairs, services: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    vec![
        with_options(f("select", "service_id", "Service", field(form, "service_id")), services),
        with_options(
            f("radios", "kind", "Kind", field(form, "kind")),
            RestrictionKind::ALL
                .iter()
                .map(|k| {
                    let hint = match k {
                        RestrictionKind::Embargo => "No new placements or packages",
                        RestrictionKind::Restriction => "Limited, as the scope says",
                    };
                    json!({"value": k.as_str(), "text": k.label(), "hint": hint})
                })
                .collect(),
        ),
        with_hint(f("input", "scope", "Scope (for a restriction)", field(form, "scope")), "For example, no new nursing placements"),
        with_hint(f("textarea", "reason", "Reason", field(form, "reason")), "Do not write any resident's name"),
        f("date", "starts_on", "Start date", forms::date_parts(form, "starts_on")),
        with_hint(f("date", "ends_on", "End date (optional)", forms::date_parts(form, "ends_on")), "Leave blank until it is lifted"),
    ]
}

pub(super) async fn restrictions(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ViewCapacity)?;
    render_restrictions(&state, &user, &vec![], &FormErrors::default(), StatusCode::OK).await
}

pub(super) async fn render_restrictions(
    state: &AppState,
    user: &CurrentUser,
    form: &Pairs,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let today = caremarket_store::today();
    let active = state.store.restrictions(Some(today)).await?;
    let all = state.store.restrictions(None).await?;
    let ended: Vec<_> = all.into_iter().filter(|r| !active.iter().any(|a| a.id == r.id)).collect();
    let can = user.role().can(Permission::RecordRestrictions);
    let fields = if can { restriction_fields(form, all_service_options(state, vec![]).await?) } else { vec![] };
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "capacity_restrictions.html",
        &ctx,
        context! { active => active, ended => ended, can_record => can, fields => fields, errors => errors.list, field_errors => errors.by_field },
    )?;
    Ok((status, Html(html)).into_response())
}

pub(super) async fn restriction_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordRestrictions)?;
    let mut errors = FormErrors::new(&["starts_on", "ends_on"]);
    if let Some(r) = parse_restriction(&form, field(&form, "service_id"), "reason", &mut errors) {
        match state.store.record_restriction(&user.actor(), &r).await {
            Ok(_) => return Ok(Redirect::to("/capacity/restrictions").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_restrictions(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}

pub(super) async fn restriction_lift(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordRestrictions)?;
    state.store.lift_restriction(&user.actor(), &id, caremarket_store::today()).await?;
    Ok(Redirect::to("/capacity/restrictions").into_response())
}

/// A submitted restriction checked by core's [`NewRestriction::parse`] (the one validation, which
/// the quality status page uses too), its failures in the form's order. A date input that could
/// not be read says what is wrong with it; `reason_field` is the form's name for the reason.
pub(crate) fn parse_restriction(form: &Pairs, service_id: &str, reason_field: &str, errors: &mut FormErrors) -> Option<NewRestriction> {
    let starts = form_date(form, "starts_on", "Start date");
    let ends = form_date(form, "ends_on", "End date");
    let parsed = NewRestriction::parse(RestrictionForm {
        service_id,
        kind: field(form, "kind"),
        scope: field(form, "scope"),
        reason: field(form, reason_field),
        starts_on: starts.clone().ok().flatten(),
        ends_on: ends.clone().ok().flatten(),
    });
    let mut failures = match parsed {
        Ok(r) if starts.is_ok() && ends.is_ok() => return Some(r),
        Ok(_) => Vec::new(),
        Err(e) => e.0,
    };
    if let Err(m) = ends {
        failures.retain(|f| f.field != "ends_on");
        failures.push(caremarket_core::FieldError::new("ends_on", m));
    }
    for f in failures {
        let message = match (&starts, f.field.as_str()) {
            (Err(m), "starts_on") => m.clone(),
            _ => f.message,
        };
        let name = if f.field == "reason" { reason_field } else { f.field.as_str() };
        errors.add(name, &message);
    }
    None
}
