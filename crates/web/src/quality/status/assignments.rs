//! Who looks after each service's quality: one service at a time, or every unassigned service of
//! some kinds (in an area) at once.

use super::{Pairs, add_store_error, parse_kinds};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::capacity::forms::{all, opt};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_core::register::ServiceKind;
use caremarket_store::StoreError;
use minijinja::context;
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/quality/assignments", get(assignments).post(assignments_submit))
}

fn can_assign(user: &CurrentUser) -> bool {
    user.role().can(Permission::SetQualityStatus) || user.role().can(Permission::RecordQuality)
}

async fn assignments(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    // A row's Change link opens the service's own form, at the version its assignment is at now.
    let service = field(&q, "service");
    let change = if service.is_empty() || !can_assign(&user) {
        None
    } else {
        let s = state.store.service(service).await.map_err(|_| AppError::NotFound)?;
        let now = state.store.quality_assignment(service).await?;
        let version = state.store.quality_assignment_version(service).await?;
        Some(Change {
            service_id: s.id,
            name: s.name,
            officer_id: now.as_ref().and_then(|a| a.officer_id.clone()).unwrap_or_default(),
            team: now.and_then(|a| a.team).unwrap_or_default(),
            version,
        })
    };
    let notice = match field(&q, "saved") {
        "" => None,
        id => state.store.service(id).await.ok().map(|s| format!("{}: quality officer and team saved", s.name)),
    };
    let reply = crate::versions::Reply::status(StatusCode::OK);
    render_assignments(&state, &user, &q, &vec![], &FormErrors::new(&[]), notice, change, reply).await
}

/// One service's own assignment form (its row's Change link): the service is fixed, and the
/// form carries the version of its assignment when opened (decision 25).
#[derive(serde::Serialize)]
struct Change {
    service_id: String,
    name: String,
    officer_id: String,
    team: String,
    version: i64,
}

#[allow(clippy::too_many_arguments)]
async fn render_assignments(
    state: &AppState,
    user: &CurrentUser,
    q: &[(String, String)],
    form: &Pairs,
    errors: &FormErrors,
    notice: Option<String>,
    change: Option<Change>,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let kinds = parse_kinds(q)?;
    let rows = state.store.assignment_rows(&kinds, None).await?;
    let officers = state.store.quality_officers().await?;
    let mut officer_options = vec![opt("", "No officer")];
    officer_options.extend(officers.iter().map(|u| opt(&u.id, &u.display_name)));
    let mut service_options = vec![opt("", "Choose a service")];
    service_options.extend(
        state
            .store
            .assignment_rows(&[], None)
            .await?
            .iter()
            .map(|r| opt(&r.service_id, &format!("{} – {} ({})", r.name, r.provider_name, r.kind.label()))),
    );
    let kind_options: Vec<_> = ServiceKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})).collect();
    let mut area_options = vec![opt("", "Any area")];
    area_options.extend(state.store.areas().await?.iter().map(|a| opt(&a.id, &a.name)));
    let mode = field(form, "mode");
    let vals = |m: &str, name: &str| if mode == m { field(form, name).to_string() } else { String::new() };
    let base = user.context(state).await?;
    let html = state.renderer.render(
        "quality_status_assignments.html",
        &base,
        context! {
            rows => rows.iter().map(|r| context! { r => r, kind_label => r.kind.label() }).collect::<Vec<_>>(),
            can_assign => can_assign(user), officer_options => officer_options, service_options => service_options,
            kind_options => kind_options, area_options => area_options,
            filter_kinds => kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            one => context! { service_id => vals("one", "service_id"), officer_id => vals("one", "officer_id"), team => vals("one", "team") },
            bulk => context! {
                kinds => if mode == "bulk" { all(form, "bulk_kind").iter().map(|s| s.to_string()).collect::<Vec<_>>() } else { vec![] },
                area_id => vals("bulk", "area_id"), officer_id => vals("bulk", "bulk_officer_id"), team => vals("bulk", "bulk_team"),
            },
            notice => notice, errors => errors.list, field_errors => errors.by_field, change => change, stale => reply.stale,
        },
    )?;
    Ok((reply.status, Html(html)).into_response())
}

async fn assignments_submit(
    State(state): State<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    if !can_assign(&user) {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::new(&[]);
    let actor = user.actor();
    let opt_str = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
    if field(&form, "mode") == "bulk" {
        let mut kinds = Vec::new();
        for k in all(&form, "bulk_kind") {
            match ServiceKind::parse(k) {
                Some(k) => kinds.push(k),
                None => errors.add("bulk_kind", &format!("'{k}' is not a kind of service")),
            }
        }
        if kinds.is_empty() && errors.is_empty() {
            errors.add("bulk_kind", "Choose at least one kind of service");
        }
        let officer = opt_str(field(&form, "bulk_officer_id"));
        if officer.is_none() {
            errors.add("bulk_officer_id", "Choose the officer to assign");
        }
        let area = opt_str(field(&form, "area_id"));
        if let (Some(officer), true) = (officer, errors.is_empty()) {
            let team = opt_str(field(&form, "bulk_team"));
            match state.store.assign_unassigned(&actor, &kinds, area.as_deref(), &officer, team.as_deref()).await {
                Ok(n) => {
                    let notice = format!("{n} service{} without an officer assigned", if n == 1 { "" } else { "s" });
                    let reply = crate::versions::Reply::status(StatusCode::OK);
                    return render_assignments(&state, &user, &[], &vec![], &FormErrors::new(&[]), Some(notice), None, reply).await;
                }
                Err(e) => add_store_error(&mut errors, e, &[("officer_id", "bulk_officer_id"), ("team", "bulk_team")])?,
            }
        }
    } else {
        let service_id = field(&form, "service_id");
        if service_id.is_empty() {
            errors.add("service_id", "Choose a service");
        }
        // From a row's Change form (it carries a version) the service's assignment is replaced;
        // from the blank form only a service nothing is recorded for is assigned.
        let from_row = form.iter().any(|(k, _)| k == "version");
        let expected = crate::versions::from_form(&form);
        let officer = opt_str(field(&form, "officer_id"));
        let team = opt_str(field(&form, "team"));
        let change = |version: i64, name: String| Change {
            service_id: service_id.to_string(),
            name,
            officer_id: field(&form, "officer_id").to_string(),
            team: field(&form, "team").to_string(),
            version,
        };
        if errors.is_empty() {
            let chosen = (officer.as_deref(), team.as_deref());
            let saved = if from_row {
                state.store.assign_quality_officer_at(&actor, service_id, chosen, expected).await
            } else {
                state.store.assign_new_service(&actor, service_id, chosen).await
            };
            match saved {
                Ok(()) => {
                    let query = serde_urlencoded::to_string([("saved", service_id)]).unwrap_or_default();
                    return Ok(Redirect::to(&format!("/quality/assignments?{query}")).into_response());
                }
                Err(StoreError::NotFound(_)) => errors.add("service_id", "Choose a service from the list"),
                Err(StoreError::Stale { current }) => {
                    let s = state.store.service(service_id).await?;
                    let now = state.store.quality_assignment(service_id).await?;
                    let officers = state.store.quality_officers().await?;
                    let name_of = |id: Option<&str>| match id {
                        None => "No officer".to_string(),
                        Some(id) => officers.iter().find(|u| u.id == id).map(|u| u.display_name.clone()).unwrap_or_else(|| id.to_string()),
                    };
                    let changes = caremarket_core::versions::changes([
                        (
                            "Quality officer",
                            now.as_ref().and_then(|a| a.officer_name.clone()).unwrap_or_else(|| "No officer".to_string()),
                            name_of(officer.as_deref()),
                        ),
                        ("Team (optional)", now.and_then(|a| a.team).unwrap_or_default(), team.clone().unwrap_or_default()),
                    ]);
                    let stale = crate::versions::stale(&state, "quality_assignment", service_id, current, expected, changes).await?;
                    let reply = crate::versions::Reply::stale(stale.notice);
                    let change = Some(change(current, s.name));
                    return render_assignments(&state, &user, &[], &vec![], &FormErrors::new(&[]), None, change, reply).await;
                }
                Err(e) => add_store_error(&mut errors, e, &[])?,
            }
        }
        if from_row && let Ok(s) = state.store.service(service_id).await {
            let bad = crate::versions::Reply::status(StatusCode::BAD_REQUEST);
            let change = Some(change(expected.get(), s.name));
            return render_assignments(&state, &user, &[], &vec![], &errors, None, change, bad).await;
        }
    }
    let bad = crate::versions::Reply::status(StatusCode::BAD_REQUEST);
    render_assignments(&state, &user, &[], &form, &errors, None, None, bad).await
}
