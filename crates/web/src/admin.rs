//! Administration: user accounts (Permission::ManageUsers) and the audit log
//! (Permission::ReadAudit). Every change an account makes is audited by the store.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::render::format_date;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::{Permission, Role};
use caremarket_core::passwords::{self, PasswordContext};
use caremarket_store::users::NewUser;
use caremarket_store::{AuditQuery, StoreError};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;

const AUDIT_PAGE_SIZE: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users))
        .route("/admin/users/new", get(new_user_form).post(create_user))
        .route("/admin/users/{id}/active", post(set_active))
        .route("/admin/users/{id}/reset-password", get(confirm_reset).post(reset_password))
        .route("/admin/audit", get(audit))
}

// ----- users -----

/// What each permission lets someone do, in words, for the role choices (from the rules in
/// `caremarket_core::access`, so the hints cannot disagree with what is enforced).
const PERMISSION_TEXT: [(Permission, &str); 12] = [
    (Permission::ViewRegister, "see the register"),
    (Permission::EditCouncilFields, "change contract details"),
    (Permission::ImportCqc, "import CQC data"),
    (Permission::ViewPlacements, "see out-of-area placements"),
    (Permission::EditPlacements, "record and end placements"),
    (Permission::ReadAudit, "read the audit log"),
    (Permission::ManageUsers, "manage users"),
    (Permission::UseApiTokens, "use API tokens"),
    (Permission::ProviderPortal, "see only their own provider's services"),
    (Permission::ViewGovernance, "read governance papers"),
    (Permission::ManageScrutiny, "keep scrutiny reviews"),
    (Permission::ViewReports, "read reports"),
];

fn role_summary(role: Role) -> String {
    let can: Vec<&str> = PERMISSION_TEXT.iter().filter(|(p, _)| role.can(*p)).map(|(_, t)| *t).collect();
    match can.split_last() {
        None => "Cannot do anything".to_string(),
        Some((last, [])) => format!("Can {last}"),
        Some((last, rest)) => format!("Can {} and {last}", rest.join(", ")),
    }
}

#[derive(Debug, Serialize)]
struct UserRow {
    id: String,
    email: String,
    display_name: String,
    role: &'static str,
    provider_name: Option<String>,
    active: bool,
    last_sign_in_at: Option<String>,
    must_change_password: bool,
    is_me: bool,
}

#[derive(Debug, Default, Deserialize)]
struct UsersQuery {
    added: Option<String>,
    changed: Option<String>,
}

async fn users(user: CurrentUser, State(state): State<AppState>, Query(q): Query<UsersQuery>) -> Result<Html<String>, AppError> {
    user.require(Permission::ManageUsers)?;
    let providers: HashMap<String, String> = state.store.provider_choices().await?.into_iter().map(|p| (p.id, p.name)).collect();
    let rows: Vec<UserRow> = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            is_me: u.id == user.user.id,
            provider_name: u.provider_id.as_ref().map(|id| providers.get(id).cloned().unwrap_or_else(|| "Unknown provider".into())),
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role.label(),
            active: u.active,
            last_sign_in_at: u.last_sign_in_at,
            must_change_password: u.must_change_password,
        })
        .collect();
    let banner = match (q.added.is_some(), q.changed.is_some()) {
        (true, _) => Some(
            "User added. Give them their email address and initial password by a separate, secure route. They must choose their own password when they first sign in.",
        ),
        (_, true) => Some("Account updated"),
        _ => None,
    };
    let ctx = user.context(&state).await?;
    Ok(Html(state.renderer.render("admin_users.html", &ctx, context! { users => rows, banner => banner })?))
}

/// The new account form's fields (the CSRF token is checked by [`CsrfForm`] and not kept).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewUserForm {
    email: String,
    display_name: String,
    password: String,
    role: String,
    provider_id: String,
}

async fn render_user_form(
    state: &AppState,
    user: &CurrentUser,
    form: &NewUserForm,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let role_options: Vec<serde_json::Value> =
        Role::ALL.iter().map(|r| json!({"value": r.as_str(), "text": r.label(), "hint": role_summary(*r)})).collect();
    let mut provider_options = vec![json!({"value": "", "text": "Not a provider user"})];
    provider_options.extend(state.store.provider_choices().await?.into_iter().map(|p| json!({"value": p.id, "text": p.name})));
    let ctx = user.context(state).await?;
    // The password is never shown back.
    let html = state.renderer.render(
        "admin_user_new.html",
        &ctx,
        context! {
            errors => errors.list,
            field_errors => errors.by_field,
            email => form.email,
            display_name => form.display_name,
            role => form.role,
            provider_id => form.provider_id,
            role_options => role_options,
            provider_options => provider_options,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn new_user_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    render_user_form(&state, &user, &NewUserForm::default(), &FormErrors::default(), StatusCode::OK).await
}

async fn create_user(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<NewUserForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    let mut errors = FormErrors::default();
    let email = form.email.trim();
    let display_name = form.display_name.trim();
    let password = form.password.as_str();
    let provider_id = Some(form.provider_id.trim()).filter(|p| !p.is_empty());
    if email.is_empty() {
        errors.add("email", "Enter the person's email address");
    }
    if display_name.is_empty() {
        errors.add("display_name", "Enter the person's name");
    }
    let role = Role::parse(&form.role);
    match role {
        None => errors.add("role", "Choose the person's role"),
        Some(Role::Provider) if provider_id.is_none() => errors.add("provider_id", "Choose the provider this person works for"),
        Some(r) if r != Role::Provider && provider_id.is_some() => {
            errors.add("provider_id", "Only provider users belong to a provider: choose 'Not a provider user'")
        }
        _ => {}
    }
    if password.is_empty() {
        errors.add("password", "Enter an initial password");
    } else {
        // The policy is checked here too, so that every problem is shown at once; the store
        // checks it again whoever calls it.
        let council_name = state.store.setting("council_name").await?.unwrap_or_default();
        let ctx = PasswordContext { email: &email.to_lowercase(), display_name, council_name: &council_name };
        errors.check_field(passwords::check("password", password, &ctx));
    }
    if errors.is_empty()
        && let Some(role) = role
    {
        // Someone else chose this password: the person chooses their own at first sign-in.
        let new = NewUser { email, display_name, password, role, provider_id, must_change_password: true };
        match state.store.create_user(&user.actor(), new).await {
            Ok(_) => return Ok(Redirect::to("/admin/users?added=1").into_response()),
            Err(StoreError::NotFound(_)) => errors.add("provider_id", "Choose a provider from the list"),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_user_form(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}

#[derive(Debug, Deserialize)]
struct ActiveForm {
    active: String,
}

async fn set_active(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<CsrfForm<ActiveForm>, Response>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    let form = match form {
        Ok(CsrfForm(f)) => f,
        Err(refusal) => return Ok(refusal),
    };
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest("The form could not be read.".into())),
    };
    if !active && id == user.user.id {
        return Err(AppError::BadRequest("You cannot deactivate your own account. Ask another administrator.".into()));
    }
    state.store.set_user_active(&user.actor(), &id, active).await?;
    Ok(Redirect::to("/admin/users?changed=1").into_response())
}

// ----- password reset -----

/// The account whose password is reset, as the page shows it.
#[derive(Debug, Serialize)]
struct ResetAccount {
    id: String,
    email: String,
    display_name: String,
}

async fn reset_target(state: &AppState, user: &CurrentUser, id: &str) -> Result<ResetAccount, AppError> {
    user.require(Permission::ManageUsers)?;
    if id == user.user.id {
        return Err(AppError::BadRequest("You cannot reset your own password here. Use ‘Change password’ at the top of the page.".into()));
    }
    let account = match state.store.user(id).await {
        Ok(a) => a,
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    Ok(ResetAccount { id: account.id, email: account.email, display_name: account.display_name })
}

async fn render_reset(
    state: &AppState,
    user: &CurrentUser,
    account: &ResetAccount,
    errors: &FormErrors,
    temporary: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "admin_user_reset.html",
        &ctx,
        context! { account => account, errors => errors.list, temporary => temporary },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn confirm_reset(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let account = reset_target(&state, &user, &id).await?;
    render_reset(&state, &user, &account, &FormErrors::default(), None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
struct ResetForm {}

/// Reset: the temporary password is shown in this response only (never in a URL or a log).
async fn reset_password(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<ResetForm>,
) -> Result<Response, AppError> {
    let account = reset_target(&state, &user, &id).await?;
    let mut errors = FormErrors::default();
    match state.store.reset_password(&user.actor(), &account.id).await {
        Ok(temporary) => {
            tracing::info!(user_id = %user.user.id, account_id = %account.id, "reset a password");
            return render_reset(&state, &user, &account, &errors, Some(&temporary), StatusCode::OK).await;
        }
        Err(e) => errors.add_store(e)?,
    }
    render_reset(&state, &user, &account, &errors, None, StatusCode::BAD_REQUEST).await
}

// ----- audit log -----

#[derive(Debug, Default, Deserialize)]
struct AuditParams {
    entity_type: Option<String>,
    actor: Option<String>,
    page: Option<String>,
}

#[derive(Debug, Serialize)]
struct AuditRow {
    at: String,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    entity_href: Option<String>,
    summary: String,
    before: Option<String>,
    after: Option<String>,
}

/// "2024-02-03T10:04:05.123456Z" -> "3 February 2024, 10:04:05 UTC".
fn format_at(at: &str) -> String {
    match at.parse::<jiff::Timestamp>() {
        Ok(ts) => format!("{}, {} UTC", format_date(at), ts.strftime("%H:%M:%S")),
        Err(_) => at.to_string(),
    }
}

fn pretty(json: Option<&str>) -> Option<String> {
    let s = json?;
    Some(serde_json::from_str::<serde_json::Value>(s).and_then(|v| serde_json::to_string_pretty(&v)).unwrap_or_else(|_| s.to_string()))
}

fn entity_href(entity_type: &str, id: Option<&str>) -> Option<String> {
    let id = id?;
    match entity_type {
        // Ratings are recorded against the service they belong to.
        "service" | "rating" => Some(format!("/services/{id}")),
        "provider" => Some(format!("/providers/{id}")),
        _ => None,
    }
}

async fn audit(user: CurrentUser, State(state): State<AppState>, Query(p): Query<AuditParams>) -> Result<Html<String>, AppError> {
    user.require(Permission::ReadAudit)?;
    let clean = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let entity_type = clean(&p.entity_type);
    let actor = clean(&p.actor);
    let page = clean(&p.page).and_then(|v| v.parse::<i64>().ok()).unwrap_or(1).clamp(1, 1_000_000);
    let (entries, total) = state
        .store
        .audit_entries(&AuditQuery {
            entity_type: entity_type.clone(),
            entity_id: None,
            actor: actor.clone(),
            limit: AUDIT_PAGE_SIZE,
            offset: (page - 1) * AUDIT_PAGE_SIZE,
        })
        .await?;
    let rows: Vec<AuditRow> = entries
        .into_iter()
        .map(|e| AuditRow {
            at: format_at(&e.at),
            entity_href: entity_href(&e.entity_type, e.entity_id.as_deref()),
            actor: e.actor_label,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            summary: e.summary,
            before: pretty(e.before_json.as_deref()),
            after: pretty(e.after_json.as_deref()),
        })
        .collect();
    let pages = ((total + AUDIT_PAGE_SIZE - 1) / AUDIT_PAGE_SIZE).max(1);
    let href = |n: &str| {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(t) = &entity_type {
            pairs.push(("entity_type", t));
        }
        if let Some(a) = &actor {
            pairs.push(("actor", a));
        }
        pairs.push(("page", n));
        format!("/admin/audit?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    };
    let mut type_options = vec![json!({"value": "", "text": "All"})];
    type_options.extend(state.store.audit_entity_types().await?.into_iter().map(|t| json!({"value": t, "text": t.replace('_', " ")})));
    let ctx = user.context(&state).await?;
    let html = state.renderer.render(
        "admin_audit.html",
        &ctx,
        context! {
            entries => rows,
            total => total,
            page => page,
            pages => pages,
            prev_href => (page > 1).then(|| href(&(page - 1).to_string())),
            next_href => (page < pages).then(|| href(&(page + 1).to_string())),
            page_href => href("{page}"),
            entity_type => entity_type.unwrap_or_default(),
            actor => actor.unwrap_or_default(),
            type_options => type_options,
        },
    )?;
    Ok(Html(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_formatting() {
        assert_eq!(format_at("2024-02-03T10:04:05.123456Z"), "3 February 2024, 10:04:05 UTC");
        assert_eq!(pretty(Some("{\"a\":1}")).as_deref(), Some("{\n  \"a\": 1\n}"));
        assert_eq!(entity_href("provider", Some("x")).as_deref(), Some("/providers/x"));
        assert_eq!(entity_href("user", Some("x")), None);
        assert_eq!(role_summary(Role::Viewer), "Can see the register, use API tokens, read governance papers and read reports");
        assert_eq!(role_summary(Role::Councillor), "Can read governance papers and read reports");
        assert_eq!(role_summary(Role::ScrutinyOfficer), "Can read governance papers, keep scrutiny reviews and read reports");
    }
}
