//! The Market Sustainability Delivery Plan (`000`): the plan as it stood at the end of a chosen
//! quarter, its header, themes and milestones, each milestone's dated updates, and the import of
//! a council's own table (CSV or XLSX).

use super::plain_text;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::governance::delivery_plan::{NewUpdate, Plan, PlanHeader, PlanStatus, Update, parse_milestone, parse_theme};
use caremarket_core::governance::quarter::Quarter;
use caremarket_core::quality::Rag;
use caremarket_ingest::governance::read_delivery_plan;
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/governance", get(index))
        .route("/governance/delivery-plans/new", get(new_form).post(create))
        .route("/governance/delivery-plans/{id}", get(show))
        .route("/governance/delivery-plans/{id}/edit", get(edit_form).post(edit))
        .route("/governance/delivery-plans/{id}/themes/new", get(theme_form).post(add_theme))
        .route("/governance/delivery-plans/{id}/themes/{theme_id}/milestones/new", get(milestone_form).post(add_milestone))
        .route("/governance/delivery-plans/{id}/milestones/{milestone_id}", get(milestone).post(add_update))
        .route("/governance/delivery-plans/{id}/import", get(import_form).post(import))
}

async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<String, AppError> {
    let base = user.context(state).await?;
    state.renderer.render(template, &base, page)
}

fn page(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

fn format_date(d: Date) -> String {
    crate::render::format_date(&d.to_string())
}

/// The date a new update speaks for unless the officer says otherwise: the end of the last
/// quarter, as plans are updated for the quarter just ended.
fn last_quarter_end() -> Date {
    Quarter::containing(caremarket_store::today()).previous().end()
}

fn update_view(u: &Update) -> Value {
    context! {
        id => u.id,
        dated_on => format_date(u.dated_on),
        text => plain_text(&u.text),
        by_when => plain_text(&u.by_when.text),
        by_when_date => u.by_when.date.map(format_date),
        status => u.status.map(|s| s.label()).unwrap_or("No status stated"),
        status_class => crate::tags::plan_status(u.status),
        status_as_written => u.status_as_written.as_deref().filter(|w| u.status.is_none_or(|s| !w.eq_ignore_ascii_case(s.label()))),
        rag => u.rag.map(|r| r.label()),
        rag_class => u.rag.map(|r| crate::tags::rag(Some(r))),
        recorded_by => u.recorded_by,
        recorded_at => crate::render::format_date(&u.recorded_at),
    }
}

fn status_options() -> Vec<serde_json::Value> {
    let mut v = vec![json!({"value": "", "text": "Select the status"})];
    v.extend(PlanStatus::ALL.iter().map(|s| json!({"value": s.as_str(), "text": s.label()})));
    v
}

fn rag_options() -> Vec<serde_json::Value> {
    let mut v = vec![json!({"value": "", "text": "No RAG"})];
    v.extend(Rag::ALL.iter().map(|r| json!({"value": r.as_str(), "text": r.label()})));
    v
}

// ----- the list -----

async fn index(user: CurrentUser, State(state): State<AppState>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewGovernance)?;
    let plans: Vec<Value> = state
        .store
        .delivery_plans()
        .await?
        .into_iter()
        .map(|p| {
            context! {
                id => p.id, title => p.title, committee => p.committee, milestones => p.milestones,
                updated => crate::render::format_date(&p.updated_at),
            }
        })
        .collect();
    let can_manage = user.role().can(Permission::ManageGovernance);
    Ok(Html(render(&state, &user, "governance.html", context! { plans => plans, can_manage => can_manage }).await?))
}

// ----- one plan, as at a date -----

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    as_at: Option<String>,
    saved: Option<String>,
}

/// The quarter ends a reader may choose, latest first, and today.
fn as_at_options(today: Date, chosen: Date) -> Vec<serde_json::Value> {
    let mut v = vec![json!({"value": today.to_string(), "text": format!("Today ({})", format_date(today))})];
    for q in Quarter::recent(today, 8, false) {
        v.push(json!({"value": q.end().to_string(), "text": format!("End of {} ({})", q.label(), format_date(q.end()))}));
    }
    if !v.iter().any(|o| o["value"] == chosen.to_string()) {
        v.push(json!({"value": chosen.to_string(), "text": format_date(chosen)}));
    }
    v
}

fn plan_view(plan: &Plan, as_at: Date) -> Vec<Value> {
    plan.as_at(as_at)
        .into_iter()
        .map(|(theme, milestones)| {
            let rows: Vec<Value> = milestones
                .into_iter()
                .map(|(m, u)| {
                    context! {
                        id => m.id, action => plain_text(&m.action), update => u.map(update_view),
                        updates => m.updates.iter().filter(|x| x.dated_on <= as_at).count(),
                    }
                })
                .collect();
            context! { id => theme.id, title => plain_text(&theme.title), milestones => rows }
        })
        .collect()
}

async fn show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    let today = caremarket_store::today();
    let as_at = match q.as_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => today,
        Some(s) => s.parse::<Date>().map_err(|_| AppError::BadRequest(format!("as_at must be a date like 2024-12-31; found '{s}'")))?,
    };
    let plan = state.store.delivery_plan(&id).await?;
    let counts: Vec<Value> = plan
        .status_counts(as_at)
        .into_iter()
        .map(|(s, n)| context! { status => s.map(|s| s.label()).unwrap_or("No status stated"), class => crate::tags::plan_status(s), count => n })
        .collect();
    let themes_empty: Vec<Value> =
        plan.themes.iter().filter(|t| t.milestones.is_empty()).map(|t| context! { id => t.id, title => plain_text(&t.title) }).collect();
    let banner = match q.saved.as_deref() {
        Some("created") => Some("Delivery plan created"),
        Some("edited") => Some("Plan details saved"),
        Some("theme") => Some("Theme added"),
        Some("milestone") => Some("Milestone added"),
        Some("update") => Some("Update recorded"),
        _ => None,
    };
    let html = render(
        &state,
        &user,
        "governance_plan.html",
        context! {
            plan => context! { id => plan.id, header => plan.header },
            ambition => plain_text(&plan.header.ambition), context_text => plain_text(&plan.header.context),
            themes => plan_view(&plan, as_at), empty_themes => themes_empty,
            counts => counts, as_at => as_at.to_string(), as_at_text => format_date(as_at),
            is_today => as_at == today, as_at_options => as_at_options(today, as_at),
            can_manage => user.role().can(Permission::ManageGovernance), banner => banner,
        },
    )
    .await?;
    Ok(page(StatusCode::OK, html))
}

// ----- the header -----

fn header_from(form: &[(String, String)]) -> Result<PlanHeader, caremarket_core::FieldErrors> {
    PlanHeader::parse(
        field(form, "title"),
        field(form, "ambition"),
        field(form, "context"),
        field(form, "accountable_officer"),
        field(form, "lead"),
        field(form, "committee"),
    )
}

async fn render_header_form(
    state: &AppState,
    user: &CurrentUser,
    id: Option<&str>,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    render_header_reply(state, user, id, form, errors, crate::versions::Reply::status(status)).await
}

/// `reply`: the status and, after a save refused because the plan's details changed since the
/// form was opened (decision 25), the notice.
async fn render_header_reply(
    state: &AppState,
    user: &CurrentUser,
    id: Option<&str>,
    form: &[(String, String)],
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let html = render(
        state,
        user,
        "governance_plan_form.html",
        context! {
            id => id, errors => errors.list, field_errors => errors.by_field,
            title => field(form, "title"), ambition => field(form, "ambition"), context_text => field(form, "context"),
            accountable_officer => field(form, "accountable_officer"), lead => field(form, "lead"), committee => field(form, "committee"),
            version => field(form, "version"), stale => reply.stale,
        },
    )
    .await?;
    Ok(page(reply.status, html))
}

async fn new_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    render_header_form(&state, &user, None, &[], &FormErrors::default(), StatusCode::OK).await
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let mut errors = FormErrors::default();
    match header_from(&form) {
        Ok(h) => match state.store.create_delivery_plan(&user.actor(), &h).await {
            Ok(id) => return Ok(Redirect::to(&format!("/governance/delivery-plans/{id}?saved=created")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    render_header_form(&state, &user, None, &form, &errors, StatusCode::BAD_REQUEST).await
}

/// The plan's details as the change form opens on them, with their version.
async fn header_values(state: &AppState, id: &str) -> Result<Vec<(String, String)>, AppError> {
    let h = state.store.delivery_plan(id).await?.header;
    let version = state.store.version_of(caremarket_store::versions::Versioned::DeliveryPlans, id).await?;
    Ok([
        ("title", h.title),
        ("ambition", h.ambition),
        ("context", h.context),
        ("accountable_officer", h.accountable_officer),
        ("lead", h.lead),
        ("committee", h.committee),
        ("version", version.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect())
}

/// The labels of the plan's details, as the form shows them.
const HEADER_LABELS: [(&str, &str); 6] = [
    ("title", "Title"),
    ("ambition", "Ambition"),
    ("context", "Context"),
    ("accountable_officer", "Accountable officer"),
    ("lead", "Lead"),
    ("committee", "Accountable committee or board"),
];

async fn edit_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let form = header_values(&state, &id).await?;
    render_header_form(&state, &user, Some(&id), &form, &FormErrors::default(), StatusCode::OK).await
}

async fn edit(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let mut errors = FormErrors::default();
    let expected = crate::versions::from_form(&form);
    match header_from(&form) {
        Ok(h) => match state.store.update_delivery_plan_header(&user.actor(), &id, &h, expected).await {
            Ok(()) => return Ok(Redirect::to(&format!("/governance/delivery-plans/{id}?saved=edited")).into_response()),
            Err(caremarket_store::StoreError::Stale { current }) => {
                let now = header_values(&state, &id).await?;
                let changes = caremarket_core::versions::changes(
                    HEADER_LABELS.iter().map(|(k, label)| (*label, field(&now, k).to_string(), field(&form, k).to_string())),
                );
                let stale = crate::versions::stale(&state, "delivery_plan", &id, current, expected, changes).await?;
                let mut kept: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "version").cloned().collect();
                kept.push(("version".into(), stale.current.to_string()));
                let reply = crate::versions::Reply::stale(stale.notice);
                return render_header_reply(&state, &user, Some(&id), &kept, &errors, reply).await;
            }
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    render_header_form(&state, &user, Some(&id), &form, &errors, StatusCode::BAD_REQUEST).await
}

// ----- themes and milestones -----

struct TextForm<'a> {
    title: &'a str,
    name: &'a str,
    label: &'a str,
    hint: &'a str,
    action: String,
    back: String,
    button: &'a str,
}

async fn render_text_form(
    state: &AppState,
    user: &CurrentUser,
    f: &TextForm<'_>,
    plan_title: &str,
    value: &str,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let html = render(
        state,
        user,
        "governance_text_form.html",
        context! {
            title => f.title, name => f.name, label => f.label, hint => f.hint, action => f.action, back => f.back,
            button => f.button, plan_title => plan_title, value => value,
            errors => errors.list, field_errors => errors.by_field,
        },
    )
    .await?;
    Ok(page(status, html))
}

fn theme_page(id: &str) -> TextForm<'static> {
    TextForm {
        title: "Add a theme",
        name: "title",
        label: "Theme or sustainability indicator",
        hint: "For example, A sufficient supply of services to ensure continuity of care.",
        action: format!("/governance/delivery-plans/{id}/themes/new"),
        back: format!("/governance/delivery-plans/{id}"),
        button: "Add theme",
    }
}

async fn theme_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let plan = state.store.delivery_plan(&id).await?;
    render_text_form(&state, &user, &theme_page(&id), &plan.header.title, "", &FormErrors::default(), StatusCode::OK).await
}

async fn add_theme(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let plan = state.store.delivery_plan(&id).await?;
    let mut errors = FormErrors::default();
    match parse_theme(field(&form, "title")) {
        Ok(title) => match state.store.add_plan_theme(&user.actor(), &id, &title).await {
            Ok(_) => return Ok(Redirect::to(&format!("/governance/delivery-plans/{id}?saved=theme")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    render_text_form(&state, &user, &theme_page(&id), &plan.header.title, field(&form, "title"), &errors, StatusCode::BAD_REQUEST).await
}

fn milestone_page(id: &str, theme_id: &str) -> TextForm<'static> {
    TextForm {
        title: "Add a milestone or action",
        name: "action",
        label: "Milestone or action",
        hint: "What will be done. Record its progress, by when and status as an update once it is added.",
        action: format!("/governance/delivery-plans/{id}/themes/{theme_id}/milestones/new"),
        back: format!("/governance/delivery-plans/{id}"),
        button: "Add milestone",
    }
}

fn theme_title(plan: &Plan, theme_id: &str) -> Result<String, AppError> {
    plan.themes.iter().find(|t| t.id == theme_id).map(|t| plain_text(&t.title)).ok_or(AppError::NotFound)
}

async fn milestone_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, theme_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let plan = state.store.delivery_plan(&id).await?;
    let theme = theme_title(&plan, &theme_id)?;
    render_text_form(&state, &user, &milestone_page(&id, &theme_id), &theme, "", &FormErrors::default(), StatusCode::OK).await
}

async fn add_milestone(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, theme_id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let plan = state.store.delivery_plan(&id).await?;
    let theme = theme_title(&plan, &theme_id)?;
    let mut errors = FormErrors::default();
    match parse_milestone(field(&form, "action")) {
        Ok(action) => match state.store.add_plan_milestone(&user.actor(), &theme_id, &action, caremarket_store::today()).await {
            Ok(_) => return Ok(Redirect::to(&format!("/governance/delivery-plans/{id}?saved=milestone")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    render_text_form(&state, &user, &milestone_page(&id, &theme_id), &theme, field(&form, "action"), &errors, StatusCode::BAD_REQUEST).await
}

// ----- a milestone's updates -----

async fn render_milestone(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    milestone_id: &str,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let plan = state.store.delivery_plan(id).await?;
    let Some((theme, m)) = plan.themes.iter().find_map(|t| t.milestones.iter().find(|m| m.id == milestone_id).map(|m| (t, m))) else {
        return Err(AppError::NotFound);
    };
    let today = caremarket_store::today();
    let latest = m.standing(today);
    // A new update starts from the last one's words, as officers carry them forward each quarter.
    let by_when =
        if form.is_empty() { latest.map(|u| u.by_when.text.clone()).unwrap_or_default() } else { field(form, "by_when").to_string() };
    let status_value = if form.is_empty() {
        latest.and_then(|u| u.status).map(|s| s.as_str().to_string()).unwrap_or_default()
    } else {
        field(form, "status").to_string()
    };
    let dated_on: Value = if form.is_empty() { Value::from(last_quarter_end().to_string()) } else { date_parts(form, "dated_on") };
    let updates: Vec<Value> = m.updates.iter().rev().map(update_view).collect();
    let html = render(
        state,
        user,
        "governance_milestone.html",
        context! {
            plan_id => plan.id, plan_title => plan.header.title, theme => plain_text(&theme.title),
            milestone => context! { id => m.id, action => plain_text(&m.action), added_on => format_date(m.added_on) },
            updates => updates, can_manage => user.role().can(Permission::ManageGovernance),
            errors => errors.list, field_errors => errors.by_field,
            update => field(form, "update"), by_when => by_when, status => status_value, rag => field(form, "rag"),
            dated_on => dated_on, status_options => status_options(), rag_options => rag_options(),
        },
    )
    .await?;
    Ok(page(status, html))
}

async fn milestone(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, milestone_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    render_milestone(&state, &user, &id, &milestone_id, &[], &FormErrors::default(), StatusCode::OK).await
}

async fn add_update(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, milestone_id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let mut errors = FormErrors::new(&["dated_on"]);
    let dated_on = errors.check("dated_on", form_date(&form, "dated_on", "Date of the update")).flatten();
    let parsed = NewUpdate::parse(
        dated_on,
        field(&form, "update"),
        field(&form, "by_when"),
        field(&form, "status"),
        field(&form, "rag"),
        caremarket_store::today(),
    );
    match parsed {
        Ok(u) if errors.is_empty() => match state.store.record_plan_update(&user.actor(), &milestone_id, &u).await {
            Ok(_) => return Ok(Redirect::to(&format!("/governance/delivery-plans/{id}?saved=update")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Ok(_) => {}
        // A date that did not parse has its own message already; core's "Enter the date" would repeat it.
        Err(e) => errors.extend(e),
    }
    render_milestone(&state, &user, &id, &milestone_id, &form, &errors, StatusCode::BAD_REQUEST).await
}

// ----- import -----

async fn render_import(
    state: &AppState,
    user: &CurrentUser,
    plan: &Plan,
    form: &[(String, String)],
    errors: &FormErrors,
    result: Option<Value>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let dated_on: Value = if form.is_empty() { Value::from(last_quarter_end().to_string()) } else { date_parts(form, "dated_on") };
    let html = render(
        state,
        user,
        "governance_plan_import.html",
        context! {
            plan_id => plan.id, plan_title => plan.header.title, errors => errors.list, field_errors => errors.by_field,
            dated_on => dated_on, result => result,
        },
    )
    .await?;
    Ok(page(status, html))
}

async fn import_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let plan = state.store.delivery_plan(&id).await?;
    render_import(&state, &user, &plan, &[], &FormErrors::default(), None, StatusCode::OK).await
}

async fn import(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    multipart: crate::csrf::LateMultipart,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let multipart = crate::csrf::opened(multipart)?;
    let plan = state.store.delivery_plan(&id).await?;
    let upload = crate::forms::read_upload(&user, multipart).await?;
    let form = upload.fields;
    let mut errors = FormErrors::new(&["dated_on"]);
    if let Some(p) = upload.problem {
        errors.add("file", &p);
    }
    let dated_on = match form_date(&form, "dated_on", "Date of the updates") {
        Ok(Some(d)) if d > caremarket_store::today() => {
            errors.add("dated_on", "The date of the updates must be today or in the past");
            None
        }
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.add("dated_on", "Enter the date the table's updates speak for");
            None
        }
        Err(m) => {
            errors.add("dated_on", &m);
            None
        }
    };
    let rows = match &upload.file {
        None if errors.by_field.contains_key("file") => None,
        None => {
            errors.add("file", "Select a CSV or XLSX file of the delivery plan table");
            None
        }
        Some((name, bytes)) => match read_delivery_plan(name, bytes) {
            Ok(rows) => Some(rows),
            Err(e) => {
                errors.add("file", &e.to_string());
                None
            }
        },
    };
    if let (Some(rows), Some(dated_on), true) = (rows, dated_on, errors.is_empty()) {
        match state.store.import_delivery_plan(&user.actor(), &id, &rows, dated_on).await {
            Ok(summary) => {
                let unmapped: Vec<Value> = summary.unmapped.iter().map(|(row, words)| context! { row => row, words => words }).collect();
                let result = context! {
                    themes_added => summary.themes_added, milestones_added => summary.milestones_added,
                    updates => summary.updates, unmapped => unmapped, dated_on => format_date(dated_on),
                };
                return render_import(&state, &user, &plan, &[], &FormErrors::default(), Some(result), StatusCode::OK).await;
            }
            Err(e) => errors.add_store(e)?,
        }
    }
    render_import(&state, &user, &plan, &form, &errors, None, StatusCode::BAD_REQUEST).await
}
