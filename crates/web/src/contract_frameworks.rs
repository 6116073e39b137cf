//! Contract frameworks on GOV.UK pages (domain C1; seeds `004` §5.1): every member of staff
//! who reads the register sees them; commissioners and administrators
//! (`ManageContractFrameworks`) create and edit them and put services on their lots. The rules
//! are `caremarket_core::register::framework`'s; the store audits every change. Not the quality
//! "assessment frameworks" (`/quality/frameworks`).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors as Errors, date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_core::register::ServiceKind;
use caremarket_core::register::framework::FrameworkDraft;
use caremarket_store::contract_frameworks::ContractFramework;
use caremarket_store::register::ServiceFilter;
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/frameworks", get(list))
        .route("/frameworks/new", get(new_form).post(create))
        .route("/frameworks/{id}", get(show))
        .route("/frameworks/{id}/edit", get(edit_form).post(edit))
        .route("/frameworks/{id}/members", post(add_member))
        .route("/frameworks/{id}/members/{service_id}/remove", post(remove_member))
}

/// This page's forms: the framework's dates are GOV.UK date inputs.
fn new_errors() -> Errors {
    Errors::new(&["starts_on", "ends_on"])
}

async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<String, AppError> {
    let base = user.context(state).await?;
    state.renderer.render(template, &base, page)
}

/// Lot names as one line, for the list of what differs.
fn lot_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.map(str::trim).filter(|n| !n.is_empty()).collect::<Vec<_>>().join(", ")
}

/// Kinds in the register's order, as the store keeps them, so that a form's order is not a change.
fn ordered(kinds: &[ServiceKind]) -> Vec<ServiceKind> {
    ServiceKind::ALL.into_iter().filter(|k| kinds.contains(k)).collect()
}

fn kinds_text(kinds: &[ServiceKind]) -> String {
    kinds.iter().map(|k| k.label()).collect::<Vec<_>>().join(", ")
}

fn framework_view(f: &ContractFramework) -> Value {
    context! {
        id => f.id, name => f.name, starts_on => f.starts_on, ends_on => f.ends_on,
        kinds => kinds_text(&f.kinds), lots => f.lots, members => f.members,
    }
}

async fn list(user: CurrentUser, State(state): State<AppState>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewRegister)?;
    let frameworks: Vec<Value> = state.store.contract_frameworks().await?.iter().map(framework_view).collect();
    let can_manage = user.role().can(Permission::ManageContractFrameworks);
    Ok(Html(render(&state, &user, "frameworks.html", context! { frameworks => frameworks, can_manage => can_manage }).await?))
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    saved: Option<String>,
}

async fn render_show(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    banner: Option<&str>,
    errors: &Errors,
    form: &[(String, String)],
    status: StatusCode,
) -> Result<Response, AppError> {
    let f = state.store.contract_framework(id).await?;
    let members = state.store.framework_members(id).await?;
    let can_manage = user.role().can(Permission::ManageContractFrameworks);
    // Services that could join: of a covered kind, active, and not on another framework.
    let mut candidates = Vec::new();
    if can_manage {
        let filter = ServiceFilter {
            kinds: f.kinds.clone(),
            any_area: true,
            registration: Some("active".into()),
            sort: Some("name".into()),
            page: 1,
            per_page: 1000,
            ..Default::default()
        };
        for s in state.store.services(&filter).await?.items {
            if s.framework_id.is_none() {
                candidates.push(json!({"value": s.id, "text": format!("{} ({}, {})", s.name, s.provider_name, s.kind.label())}));
            }
        }
    }
    let mut service_options = vec![json!({"value": "", "text": "Choose a service"})];
    service_options.extend(candidates);
    let mut lot_options = vec![json!({"value": "", "text": "Choose a lot"})];
    lot_options.extend(f.lots.iter().map(|l| json!({"value": l.id, "text": l.name})));
    let lots: Vec<Value> = f
        .lots
        .iter()
        .map(|l| {
            let on_lot: Vec<Value> = members
                .iter()
                .filter(|m| m.lot_id == l.id)
                .map(|m| context! { service_id => m.service_id, name => m.service_name, provider => m.provider_name, kind => m.kind.label() })
                .collect();
            context! { id => l.id, name => l.name, members => on_lot }
        })
        .collect();
    let html = render(
        state,
        user,
        "framework.html",
        context! {
            framework => framework_view(&f), lots => lots, can_manage => can_manage, banner => banner,
            errors => errors.list, field_errors => errors.by_field,
            service_options => service_options, lot_options => lot_options,
            service_id => field(form, "service_id"), lot_id => field(form, "lot_id"),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewRegister)?;
    let banner = match q.saved.as_deref() {
        Some("created") => Some("Framework added"),
        Some("edited") => Some("Framework saved"),
        Some("added") => Some("Service added to the framework"),
        Some("removed") => Some("Service removed from the framework"),
        _ => None,
    };
    render_show(&state, &user, &id, banner, &new_errors(), &[], StatusCode::OK).await
}

fn kind_options() -> Vec<serde_json::Value> {
    ServiceKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})).collect()
}

/// The draft a form describes, and the errors only the form can find (dates that are not dates,
/// kinds that are not kinds); the rest is the core's to check.
fn read_draft(form: &[(String, String)], errors: &mut Errors) -> FrameworkDraft {
    let mut date = |name: &str, label: &str| match form_date(form, name, label) {
        Ok(d) => d,
        Err(m) => {
            errors.add(name, &m);
            None
        }
    };
    let starts_on = date("starts_on", "The start date");
    let ends_on = date("ends_on", "The end date");
    let mut kinds = Vec::new();
    for (k, v) in form {
        if k == "kinds" {
            match ServiceKind::parse(v) {
                Some(kind) => kinds.push(kind),
                None => errors.add("kinds", "Select the types of service from the list"),
            }
        }
    }
    FrameworkDraft {
        name: field(form, "name").to_string(),
        lots: field(form, "lots").lines().map(str::to_string).collect(),
        starts_on,
        ends_on,
        kinds,
    }
}

async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    id: Option<&str>,
    form: &[(String, String)],
    errors: &Errors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let selected: Vec<&str> = form.iter().filter(|(k, _)| k == "kinds").map(|(_, v)| v.as_str()).collect();
    let dates = |name: &str| -> Value {
        // A value from the store is ISO text; what was typed comes back as its parts.
        let iso = field(form, name);
        if iso.is_empty() { date_parts(form, name) } else { Value::from(iso) }
    };
    let html = render(
        state,
        user,
        "framework_form.html",
        context! {
            id => id, errors => errors.list, field_errors => errors.by_field,
            name => field(form, "name"), lots => field(form, "lots"),
            starts_on => dates("starts_on"), ends_on => dates("ends_on"),
            kinds => selected, kind_options => kind_options(),
            version => field(form, "version"), stale => reply.stale,
        },
    )
    .await?;
    Ok((reply.status, Html(html)).into_response())
}

async fn new_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManageContractFrameworks)?;
    render_form(&state, &user, None, &[], &new_errors(), crate::versions::Reply::status(StatusCode::OK)).await
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageContractFrameworks)?;
    let mut errors = new_errors();
    let draft = read_draft(&form, &mut errors);
    if let Err(all) = draft.validated() {
        all.iter().for_each(|e| errors.add(&e.field, &e.message));
    }
    if errors.list.is_empty() {
        match state.store.create_contract_framework(&user.actor(), &draft).await {
            Ok(id) => return Ok(Redirect::to(&format!("/frameworks/{id}?saved=created")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_form(&state, &user, None, &form, &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

async fn edit_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageContractFrameworks)?;
    let f = state.store.contract_framework(&id).await?;
    let mut form: Vec<(String, String)> = vec![
        ("name".into(), f.name.clone()),
        ("lots".into(), f.lots.iter().map(|l| l.name.clone()).collect::<Vec<_>>().join("\n")),
        ("starts_on".into(), f.starts_on.clone().unwrap_or_default()),
        ("ends_on".into(), f.ends_on.clone().unwrap_or_default()),
        ("version".into(), f.version.to_string()),
    ];
    form.extend(f.kinds.iter().map(|k| ("kinds".to_string(), k.as_str().to_string())));
    render_form(&state, &user, Some(&id), &form, &new_errors(), crate::versions::Reply::status(StatusCode::OK)).await
}

async fn edit(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageContractFrameworks)?;
    state.store.contract_framework(&id).await?;
    let mut errors = new_errors();
    let draft = read_draft(&form, &mut errors);
    if let Err(all) = draft.validated() {
        all.iter().for_each(|e| errors.add(&e.field, &e.message));
    }
    if errors.list.is_empty() {
        let expected = crate::versions::from_form(&form);
        match state.store.update_contract_framework(&user.actor(), &id, &draft, expected).await {
            Ok(()) => return Ok(Redirect::to(&format!("/frameworks/{id}?saved=edited")).into_response()),
            Err(caremarket_store::StoreError::Stale { current }) => {
                let now = state.store.contract_framework(&id).await?;
                let date = |d: Option<String>| d.map(|d| crate::render::format_date(&d)).unwrap_or_default();
                let changes = caremarket_core::versions::changes([
                    ("Name", now.name.clone(), draft.name.clone()),
                    ("Lots", lot_list(now.lots.iter().map(|l| l.name.as_str())), lot_list(draft.lots.iter().map(String::as_str))),
                    ("Start date", date(now.starts_on.clone()), date(draft.starts_on.map(|d| d.to_string()))),
                    ("End date", date(now.ends_on.clone()), date(draft.ends_on.map(|d| d.to_string()))),
                    ("Types of service", kinds_text(&now.kinds), kinds_text(&ordered(&draft.kinds))),
                ]);
                let stale = crate::versions::stale(&state, "framework", &id, current, expected, changes).await?;
                let mut kept: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "version").cloned().collect();
                kept.push(("version".into(), stale.current.to_string()));
                return render_form(&state, &user, Some(&id), &kept, &errors, crate::versions::Reply::stale(stale.notice)).await;
            }
            Err(e) => errors.add_store(e)?,
        }
    }
    render_form(&state, &user, Some(&id), &form, &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

async fn add_member(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageContractFrameworks)?;
    let mut errors = new_errors();
    let (service_id, lot_id) = (field(&form, "service_id").trim(), field(&form, "lot_id").trim());
    if service_id.is_empty() {
        errors.add("service_id", "Choose a service");
    }
    if lot_id.is_empty() {
        errors.add("lot_id", "Choose a lot");
    }
    if errors.list.is_empty() {
        match state.store.add_framework_member(&user.actor(), &id, lot_id, service_id).await {
            Ok(()) => return Ok(Redirect::to(&format!("/frameworks/{id}?saved=added")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_show(&state, &user, &id, None, &errors, &form, StatusCode::BAD_REQUEST).await
}

async fn remove_member(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, service_id)): Path<(String, String)>,
    CsrfForm(_form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageContractFrameworks)?;
    let mut errors = new_errors();
    match state.store.remove_framework_member(&user.actor(), &id, &service_id).await {
        Ok(()) => return Ok(Redirect::to(&format!("/frameworks/{id}?saved=removed")).into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_show(&state, &user, &id, None, &errors, &[], StatusCode::BAD_REQUEST).await
}
