//! Officers' approval limits (issue 16 item 16), kept by an administrator (ManageUsers): the
//! council's defaults, and each officer's own limits for reclaims and for packages a week. The
//! store audits every change; core's `approvals` has the rules the limits feed.

use crate::AppState;
use crate::auth::{CurrentUser, page};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use crate::versions::{Reply, setting_expected, setting_versions_now, setting_versions_sent, settings_stale};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::{Permission, Role};
use caremarket_core::approvals::parse_limit;
use caremarket_core::direct_payments::money;
use caremarket_core::direct_payments::money::money_typed;
use caremarket_store::StoreError;
use caremarket_store::approvals::DEFAULT_LIMIT_SETTINGS;
use minijinja::{Value, context};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/approval-limits", get(list).post(save_defaults))
        .route("/admin/approval-limits/{user_id}", get(officer_form).post(save_officer))
}

#[derive(Debug, Default, Deserialize)]
struct Saved {
    saved: Option<String>,
}

/// The form as it was sent, carrying `version` in place of the one it was opened at: after a
/// refused save (decision 25), saving it again replaces what is there now.
fn with_version(form: &[(String, String)], version: i64) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "version").cloned().collect();
    kept.push(("version".into(), version.to_string()));
    kept
}

/// `form`: what was sent (None: the limits as they are, at their versions now).
async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    form: Option<&[(String, String)]>,
    errors: &FormErrors,
    banner: Option<&str>,
    reply: Reply,
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
    let (reclaim, package, versions) = match form {
        // After a refused save the form keeps what was typed but carries the versions now, so
        // that saving again is a deliberate replacement.
        Some(f) if reply.stale.is_some() => {
            (field(f, "reclaim").to_string(), field(f, "package").to_string(), setting_versions_now(state, &DEFAULT_LIMIT_SETTINGS).await?)
        }
        Some(f) => (field(f, "reclaim").to_string(), field(f, "package").to_string(), setting_versions_sent(f, &DEFAULT_LIMIT_SETTINGS)),
        None => (money_typed(dr), money_typed(dp), setting_versions_now(state, &DEFAULT_LIMIT_SETTINGS).await?),
    };
    let ctx = context! {
        officers => officers, reclaim => reclaim, package => package, banner => banner, setting_versions => versions,
        errors => errors.list, field_errors => errors.by_field, stale => reply.stale,
    };
    page(state, user, "admin_approval_limits.html", reply.status, ctx).await
}

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Saved>) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    let banner = q.saved.is_some().then_some("Approval limits saved");
    render_list(&state, &user, None, &FormErrors::default(), banner, Reply::status(StatusCode::OK)).await
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
    let expected = DEFAULT_LIMIT_SETTINGS.map(|key| setting_expected(&form, key));
    if let (Some(r), Some(p)) = (reclaim, package) {
        match state.store.set_default_limits(&user.actor(), r, p, Some(expected)).await {
            Ok(()) => return Ok(Redirect::to("/admin/approval-limits?saved=1").into_response()),
            Err(StoreError::Stale { .. }) => {
                let (dr, dp) = state.store.default_limits().await?;
                let changes = caremarket_core::versions::changes([
                    ("Reclaim limit", money(dr), money(r)),
                    ("Package limit a week", money(dp), money(p)),
                ]);
                let stale = settings_stale(&state, &form, &DEFAULT_LIMIT_SETTINGS, changes).await?;
                return render_list(&state, &user, Some(&form), &errors, None, Reply::stale(stale.notice)).await;
            }
            Err(e) => errors.add_store(e)?,
        }
    }
    render_list(&state, &user, Some(&form), &errors, None, Reply::status(StatusCode::BAD_REQUEST)).await
}

/// `form`: what was sent (None: the officer's limits as they are, at their version now).
async fn render_officer(
    state: &AppState,
    user: &CurrentUser,
    user_id: &str,
    form: Option<&[(String, String)]>,
    errors: &FormErrors,
    reply: Reply,
) -> Result<Response, AppError> {
    let Some(o) = state.store.officer_limits().await?.into_iter().find(|o| o.user_id == user_id) else {
        return Err(AppError::NotFound);
    };
    let (dr, dp) = state.store.default_limits().await?;
    let (reclaim, package, version) = match form {
        Some(f) => (field(f, "reclaim").to_string(), field(f, "package").to_string(), field(f, "version").to_string()),
        None => (
            if o.limits.own_reclaim { money_typed(o.limits.reclaim_pence) } else { String::new() },
            if o.limits.own_package { money_typed(o.limits.package_weekly_pence) } else { String::new() },
            state.store.approval_limits_version(user_id).await?.to_string(),
        ),
    };
    let ctx = context! {
        user_id => o.user_id, name => o.name, reclaim => reclaim, package => package, version => version,
        default_reclaim => money(dr), default_package => money(dp),
        errors => errors.list, field_errors => errors.by_field, stale => reply.stale,
    };
    page(state, user, "admin_approval_limits_officer.html", reply.status, ctx).await
}

async fn officer_form(user: CurrentUser, State(state): State<AppState>, Path(user_id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    render_officer(&state, &user, &user_id, None, &FormErrors::default(), Reply::status(StatusCode::OK)).await
}

/// An officer's own limit as the page reads it: the amount, or that the default applies.
fn own_limit(pence: Option<i64>) -> String {
    pence.map(money).unwrap_or_else(|| "The council's default".to_string())
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
    let expected = crate::versions::from_form(&form);
    if let (Some(r), Some(p)) = (reclaim, package)
        && errors.is_empty()
    {
        match state.store.set_approval_limits(&user.actor(), &user_id, r, p, Some(expected)).await {
            Ok(()) => return Ok(Redirect::to("/admin/approval-limits?saved=1").into_response()),
            Err(StoreError::Stale { current }) => {
                let now = state.store.approval_limits(Some(&user_id)).await?;
                let changes = caremarket_core::versions::changes([
                    ("Reclaim limit", own_limit(now.own_reclaim.then_some(now.reclaim_pence)), own_limit(r)),
                    ("Package limit a week", own_limit(now.own_package.then_some(now.package_weekly_pence)), own_limit(p)),
                ]);
                let stale = crate::versions::stale(&state, "approval_limits", &user_id, current, expected, changes).await?;
                let kept = with_version(&form, stale.current);
                return render_officer(&state, &user, &user_id, Some(&kept), &errors, Reply::stale(stale.notice)).await;
            }
            Err(e) => errors.add_store(e)?,
        }
    }
    render_officer(&state, &user, &user_id, Some(&form), &errors, Reply::status(StatusCode::BAD_REQUEST)).await
}
