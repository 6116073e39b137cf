//! Provider exit plans (`000` RPL removal and provider failure; `004`): the commissioning view of
//! every exit plan (quality's `provider_exit` and direct payments' `rpl_removal`), opening a plan
//! for a provider or one of its services with everyone affected gathered from the records, and
//! tracking each person to a new arrangement. Exit plans list people by case reference, so only
//! the roles that find them new arrangements see them (ViewExitPlans; ManageExitPlans to change).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::{Permission, Role};
use caremarket_store::StoreError;
use caremarket_store::exit_plans::{EXIT_REASONS, ExitPlanView, NewProviderExit, source_label};
use minijinja::{Value, context};
use serde_json::json;

/// The GOV.UK date inputs of the exit plan forms (their errors link to the day field).
const EXIT_DATES: [&str; 3] = ["opened_on", "target_date", "done_on"];

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/exits", get(list))
        .route("/quality/exits/new", get(new_form).post(create))
        .route("/quality/exits/{id}", get(show))
        .route("/quality/exits/{id}/people", post(add_person))
        .route("/quality/exits/{id}/items/{item_id}", get(item_form).post(item_save))
}

/// Where an item came from, linked when the user may open that record.
fn source_link(role: Role, source_type: &str, source_id: Option<&str>) -> Option<String> {
    let id = source_id?;
    match source_type {
        "placement" if role.can(Permission::ViewPlacements) => Some("/placements".into()),
        "package" if role.can(Permission::ViewBrokerage) => Some(format!("/brokerage/requests/{id}")),
        "isf" if role.can(Permission::ViewDirectPayments) => Some("/direct-payments/isfs".into()),
        "direct_payment" if role.can(Permission::ViewDirectPayments) => Some(format!("/direct-payments/{id}")),
        _ => None,
    }
}

fn context_label(c: &str) -> &str {
    match c {
        "provider_exit" => "Provider exit",
        "rpl_removal" => "Removal from the Recognised Provider List",
        other => other,
    }
}

fn plan_row(v: &ExitPlanView) -> Value {
    context! {
        id => v.plan.id, provider_name => v.plan.provider_name, provider_id => v.plan.provider_id,
        service_id => v.service_id, service_name => v.service_name, reason => v.plan.reason, planned => v.plan.planned,
        context => context_label(&v.plan.context), opened_on => v.plan.opened_on, target_date => v.plan.target_date,
        closed_on => v.plan.closed_on, done => v.done, total => v.total, open => v.total - v.done, overdue => v.overdue,
    }
}

/// A brokerage package's case reference is shown only to roles that manage brokerage (issue 17
/// item 12); a quality officer working the exit plan sees that a package is affected, not whose.
fn shown_ref(role: Role, person_ref: &str, source_type: &str) -> String {
    if source_type == "package" && !role.can(Permission::ManageBrokerage) {
        "Brokerage package (case reference shown to brokerage officers)".to_string()
    } else {
        person_ref.to_string()
    }
}

async fn list(user: CurrentUser, State(state): State<AppState>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewExitPlans)?;
    let plans = state.store.exit_plan_views(caremarket_store::today()).await?;
    let rows: Vec<Value> = plans.iter().map(plan_row).collect();
    let open = plans.iter().filter(|p| p.plan.closed_on.is_none()).count();
    let base = user.context(&state).await?;
    Ok(Html(state.renderer.render(
        "quality_exits.html",
        &base,
        context! { plans => rows, open => open, can_manage => user.role().can(Permission::ManageExitPlans) },
    )?))
}

// ----- opening a plan -----

async fn render_new(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let q = field(form, "q");
    let provider_id = field(form, "provider_id");
    let providers = state.store.providers(Some(q), 1, 200).await?;
    let mut provider_options = vec![json!({"value": "", "text": "Choose a provider"})];
    provider_options.extend(providers.items.iter().map(|p| json!({"value": p.id, "text": p.name})));
    let (provider, services, affected) = if provider_id.is_empty() {
        (None, Vec::new(), Vec::new())
    } else {
        match state.store.provider(provider_id).await {
            Ok(p) => {
                if !providers.items.iter().any(|x| x.id == p.id) {
                    provider_options.push(json!({"value": p.id, "text": p.name}));
                }
                let services = state
                    .store
                    .services(&caremarket_store::register::ServiceFilter {
                        provider_id: Some(p.id.clone()),
                        any_area: true,
                        sort: Some("name".into()),
                        per_page: 500,
                        ..Default::default()
                    })
                    .await?
                    .items;
                let affected = state.store.exit_affected(&p.id, None).await?;
                (Some(p), services, affected)
            }
            Err(_) => (None, Vec::new(), Vec::new()),
        }
    };
    let mut service_options = vec![json!({"value": "", "text": "All of the provider's services"})];
    service_options.extend(services.iter().map(|s| json!({"value": s.id, "text": format!("{} ({})", s.name, s.kind.label())})));
    let affected: Vec<Value> = affected
        .iter()
        .map(|a| context! { person_ref => shown_ref(user.role(), &a.person_ref, &a.source_type), source => source_label(&a.source_type), detail => a.detail })
        .collect();
    let reasons: Vec<serde_json::Value> = EXIT_REASONS.iter().map(|(v, t)| json!({"value": v, "text": t})).collect();
    let base = user.context(state).await?;
    let html = state.renderer.render(
        "quality_exit_new.html",
        &base,
        context! {
            errors => errors.list, field_errors => errors.by_field, q => q, provider_options => provider_options,
            provider_id => provider_id, provider => provider, service_options => service_options, service_id => field(form, "service_id"),
            affected => affected, reasons => reasons, reason => field(form, "reason"), detail => field(form, "detail"),
            planned => field(form, "planned"), target_date => date_parts(form, "target_date"), extra_refs => field(form, "extra_refs"),
            embargo => field(form, "embargo") == "1",
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn new_form(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ManageExitPlans)?;
    render_new(&state, &user, &q, &FormErrors::default(), StatusCode::OK).await
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageExitPlans)?;
    let mut errors = FormErrors::new(&EXIT_DATES);
    let provider_id = field(&form, "provider_id").trim().to_string();
    if provider_id.is_empty() {
        errors.add("provider_id", "Choose the provider that is exiting");
    }
    let planned = match field(&form, "planned") {
        "planned" => Some(true),
        "unplanned" => Some(false),
        _ => {
            errors.add("planned", "Say whether the exit is planned or unplanned");
            None
        }
    };
    if field(&form, "reason").is_empty() {
        errors.add("reason", "Choose why the provider is exiting");
    }
    let target = match form_date(&form, "target_date", "The target date") {
        Ok(d) => d,
        Err(m) => {
            errors.add("target_date", &m);
            None
        }
    };
    if errors.is_empty()
        && let Some(planned) = planned
    {
        let e = NewProviderExit {
            provider_id,
            service_id: Some(field(&form, "service_id").trim().to_string()).filter(|s| !s.is_empty()),
            planned,
            reason: field(&form, "reason").to_string(),
            detail: Some(field(&form, "detail").to_string()),
            opened_on: caremarket_store::today(),
            target_date: target,
            extra_refs: field(&form, "extra_refs").lines().map(str::to_string).collect(),
            embargo: field(&form, "embargo") == "1",
        };
        match state.store.open_provider_exit(&user.actor(), &e).await {
            Ok(id) => return Ok(Redirect::to(&format!("/quality/exits/{id}?opened=1")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_new(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}

// ----- one plan -----

async fn render_show(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    banner: Option<&str>,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let v = state.store.exit_plan_view(id, caremarket_store::today()).await?;
    let role = user.role();
    let items: Vec<Value> = v
        .plan
        .items
        .iter()
        .map(|i| {
            context! {
                id => i.id, person_ref => shown_ref(role, &i.person_ref, &i.source_type), source => source_label(&i.source_type),
                href => source_link(role, &i.source_type, i.source_id.as_deref()), detail => i.notes,
                status => i.status, new_arrangement => i.new_arrangement, done_on => i.done_on,
            }
        })
        .collect();
    let base = user.context(state).await?;
    let html = state.renderer.render(
        "quality_exit.html",
        &base,
        context! {
            plan => plan_row(&v), people => items, banner => banner, can_manage => role.can(Permission::ManageExitPlans),
            errors => errors.list, field_errors => errors.by_field, person_ref => field(form, "person_ref"),
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewExitPlans)?;
    let banner = if !field(&q, "opened").is_empty() {
        Some("Exit plan opened")
    } else if !field(&q, "saved").is_empty() {
        Some("New arrangement recorded")
    } else if !field(&q, "added").is_empty() {
        Some("Person added to the plan")
    } else {
        None
    };
    render_show(&state, &user, &id, banner, &[], &FormErrors::default(), StatusCode::OK).await
}

async fn add_person(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageExitPlans)?;
    let mut errors = FormErrors::new(&EXIT_DATES);
    match state.store.add_exit_reference(&user.actor(), &id, field(&form, "person_ref")).await {
        Ok(_) => return Ok(Redirect::to(&format!("/quality/exits/{id}?added=1")).into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_show(&state, &user, &id, None, &form, &errors, StatusCode::BAD_REQUEST).await
}

// ----- one person's new arrangement -----

/// `form`: what was sent (None: the person's arrangement as it is, at its version now);
/// `reply`: the status and, after a save refused because someone else saved it first
/// (decision 25), the notice.
async fn render_item(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    item_id: &str,
    form: Option<&[(String, String)]>,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let v = state.store.exit_plan_view(id, caremarket_store::today()).await?;
    let item = v.plan.items.iter().find(|i| i.id == item_id).ok_or(AppError::NotFound)?;
    let (arrangement, done, done_on, version) = match form {
        Some(f) => {
            (field(f, "new_arrangement").to_string(), field(f, "done") == "1", date_parts(f, "done_on"), field(f, "version").to_string())
        }
        None => (
            item.new_arrangement.clone().unwrap_or_default(),
            item.status == "done",
            Value::from(item.done_on.clone()),
            item.version.to_string(),
        ),
    };
    let base = user.context(state).await?;
    let html = state.renderer.render(
        "quality_exit_item.html",
        &base,
        context! {
            plan => plan_row(&v), item => context! {
                id => item.id, person_ref => shown_ref(user.role(), &item.person_ref, &item.source_type), source => source_label(&item.source_type), detail => item.notes, status => item.status,
            },
            new_arrangement => arrangement, done => done, done_on => done_on, version => version,
            errors => errors.list, field_errors => errors.by_field, stale => reply.stale,
        },
    )?;
    Ok((reply.status, Html(html)).into_response())
}

async fn item_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, item_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageExitPlans)?;
    render_item(&state, &user, &id, &item_id, None, &FormErrors::default(), crate::versions::Reply::status(StatusCode::OK)).await
}

/// A person's arrangement as the form shows it: what it is, whether they have moved, and when.
fn arrangement_fields(new_arrangement: &str, done_on: Option<String>) -> [(&'static str, String); 3] {
    [
        ("New arrangement", new_arrangement.to_string()),
        ("Moved to the new arrangement", if done_on.is_some() { "Yes" } else { "No" }.to_string()),
        ("Date they moved", done_on.unwrap_or_default()),
    ]
}

async fn item_save(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, item_id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageExitPlans)?;
    let mut errors = FormErrors::new(&EXIT_DATES);
    let done = field(&form, "done") == "1";
    if field(&form, "new_arrangement").trim().is_empty() {
        errors.add("new_arrangement", "Enter the person's new arrangement");
    }
    let done_on = if done {
        match form_date(&form, "done_on", "The date the move was done") {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                errors.add("done_on", "Enter the date the person moved to their new arrangement");
                None
            }
            Err(m) => {
                errors.add("done_on", &m);
                None
            }
        }
    } else {
        None
    };
    let expected = crate::versions::from_form(&form);
    if errors.is_empty() {
        match state.store.record_exit_arrangement(&user.actor(), &id, &item_id, field(&form, "new_arrangement"), done_on, expected).await {
            Ok(()) => return Ok(Redirect::to(&format!("/quality/exits/{id}?saved=1")).into_response()),
            Err(StoreError::Stale { current }) => {
                let plan = state.store.exit_plan(&id).await?;
                let now = plan.items.iter().find(|i| i.id == item_id).ok_or(AppError::NotFound)?;
                let long =
                    |d: &str| d.parse::<caremarket_core::Date>().map(caremarket_core::text::long_date).unwrap_or_else(|_| d.to_string());
                let now_fields = arrangement_fields(now.new_arrangement.as_deref().unwrap_or_default(), now.done_on.as_deref().map(long));
                let sent_fields = arrangement_fields(field(&form, "new_arrangement"), done_on.map(caremarket_core::text::long_date));
                let changes = caremarket_core::versions::changes(
                    now_fields.into_iter().zip(sent_fields).map(|((label, now), (_, sent))| (label, now, sent)),
                );
                let stale = crate::versions::stale(&state, "exit_plan_item", &item_id, current, expected, changes).await?;
                let mut kept: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "version").cloned().collect();
                kept.push(("version".into(), stale.current.to_string()));
                let reply = crate::versions::Reply::stale(stale.notice);
                return render_item(&state, &user, &id, &item_id, Some(&kept), &FormErrors::new(&EXIT_DATES), reply).await;
            }
            Err(e) => errors.add_store(e)?,
        }
    }
    render_item(&state, &user, &id, &item_id, Some(&form), &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

/// This part's section of a service's quality tab (`_quality_section_exit.html`): exit plans for
/// the service or for its whole provider, with progress.
pub(super) async fn service_section(
    state: &AppState,
    user: &CurrentUser,
    service_id: &str,
) -> Result<Option<minijinja::Value>, crate::error::AppError> {
    if !user.role().can(Permission::ViewExitPlans) {
        return Ok(None);
    }
    let plans = state.store.exit_plans_for_service(service_id, caremarket_store::today()).await?;
    let rows: Vec<Value> = plans.iter().map(plan_row).collect();
    Ok(Some(context! { plans => rows, can_manage => user.role().can(Permission::ManageExitPlans) }))
}
