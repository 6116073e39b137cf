//! Officers' approval limits (issue 16 item 16), kept by an administrator (ManageUsers): the
//! council's defaults, and each officer's own limits for reclaims and for packages a week. The
//! store audits every change; core's `approvals` has the rules the limits feed.

use crate::AppState;
use crate::auth::{CurrentUser, page};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::{Permission, Role};
use caremarket_core::approvals::parse_limit;
use caremarket_core::direct_payments::money;
use minijinja::{Value, context};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/approval-limits", get(list).post(save_defaults))
        .route("/admin/approval-limits/{user_id}", get(officer_form).post(save_officer))
}

/// Pounds as typed back into a form ("1500.00").
fn pounds(pence: i64) -> String {
    format!("{}.{:02}", pence / 100, pence % 100)
}

#[derive(Debug, Default, Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    form: Option<&[(String, String)]>,
    errors: &FormErrors,
    banner: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (dr, dp) = state.store.default_limits().await?;
    let officers: Vec<Value> = state
        .store
        .officer_limits()
        .await?
        .into_iter()
        .map(|o| {
            let role = Role::parse(&o.role).map(|r| r.label()).unwrap_or("Unknown role");
            context! {
                user_id => o.user_id, name => o.name, role => role,
                reclaim => money(o.limits.reclaim_pence), own_reclaim => o.limits.own_reclaim,
                package => money(o.limits.package_weekly_pence), own_package => o.limits.own_package,
            }
        })
        .collect();
    let (reclaim, package) = match form {
        Some(f) => (field(f, "reclaim").to_string(), field(f, "package").to_string()),
        None => (pounds(dr), pounds(dp)),
    };
    let ctx = context! {
        officers => officers, reclaim => reclaim, package => package, banner => banner,
        errors => errors.list, field_errors => errors.by_field,
    };
    page(state, user, "admin_approval_limits.html", status, ctx).await
}

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Saved>) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    let banner = q.saved.is_some().then_some("Approval limits saved");
    render_list(&state, &user, None, &FormErrors::default(), banner, StatusCode::OK).await
}

async fn save_defaults(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    let mut errors = FormErrors::default();
    let reclaim = errors.check_field(parse_limit("reclaim", "Reclaim limit", field(&form, "reclaim")));
    let package = errors.check_field(parse_limit("package", "Package limit a week", field(&form, "package")));
    if let (Some(r), Some(p)) = (reclaim, package) {
        match state.store.set_default_limits(&user.actor(), r, p).await {
            Ok(()) => return Ok(Redirect::to("/admin/approval-limits?saved=1").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_list(&state, &user, Some(&form), &errors, None, StatusCode::BAD_REQUEST).await
}

async fn render_officer(
    state: &AppState,
    user: &CurrentUser,
    user_id: &str,
    form: Option<&[(String, String)]>,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Some(o) = state.store.officer_limits().await?.into_iter().find(|o| o.user_id == user_id) else {
        return Err(AppError::NotFound);
    };
    let (dr, dp) = state.store.default_limits().await?;
    let (reclaim, package) = match form {
        Some(f) => (field(f, "reclaim").to_string(), field(f, "package").to_string()),
        None => (
            if o.limits.own_reclaim { pounds(o.limits.reclaim_pence) } else { String::new() },
            if o.limits.own_package { pounds(o.limits.package_weekly_pence) } else { String::new() },
        ),
    };
    let ctx = context! {
        user_id => o.user_id, name => o.name, reclaim => reclaim, package => package,
        default_reclaim => money(dr), default_package => money(dp),
        errors => errors.list, field_errors => errors.by_field,
    };
    page(state, user, "admin_approval_limits_officer.html", status, ctx).await
}

async fn officer_form(user: CurrentUser, State(state): State<AppState>, Path(user_id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    render_officer(&state, &user, &user_id, None, &FormErrors::default(), StatusCode::OK).await
}

/// A limit left blank is the council's default.
fn optional_limit(errors: &mut FormErrors, form: &[(String, String)], name: &str, label: &str) -> Option<Option<i64>> {
    match field(form, name).trim() {
        "" => Some(None),
        t => errors.check_field(parse_limit(name, label, t)).map(Some),
    }
}

async fn save_officer(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    let mut errors = FormErrors::default();
    let reclaim = optional_limit(&mut errors, &form, "reclaim", "Reclaim limit");
    let package = optional_limit(&mut errors, &form, "package", "Package limit a week");
    if let (Some(r), Some(p)) = (reclaim, package)
        && errors.is_empty()
    {
        match state.store.set_approval_limits(&user.actor(), &user_id, r, p).await {
            Ok(()) => return Ok(Redirect::to("/admin/approval-limits?saved=1").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_officer(&state, &user, &user_id, Some(&form), &errors, StatusCode::BAD_REQUEST).await
}
