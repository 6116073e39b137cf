//! Action plans: the officers' list (open, overdue, submitted; by service or provider), adding an
//! action by hand, each action's history with the officer's accept / reopen decision and internal
//! note. The provider portal's view of its own actions is `crate::portal::actions`, built from
//! the rows here ([`row`], [`update_row`]), which never carry the officer's internal note.

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
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::quality::ActionStatus;
use caremarket_store::StoreError;
use caremarket_store::quality::actions::{Action, ActionFilter, ActionUpdate, NewAction};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/actions", get(list))
        .route("/quality/actions/new", get(new_form).post(create))
        .route("/quality/actions/{id}", get(show))
        .route("/quality/actions/{id}/decision", post(decide))
        .route("/quality/actions/{id}/note", post(note))
}

fn form_errors() -> FormErrors {
    FormErrors::new(&["due_on", "accepted_on"])
}

/// What a provider may see of an action: everything but the officer's internal note.
#[derive(Debug, Serialize)]
pub(crate) struct ActionRow {
    id: String,
    pub(crate) service_id: String,
    pub(crate) service_name: String,
    provider_id: String,
    provider_name: String,
    title: String,
    detail: Option<String>,
    owner: String,
    pub(crate) due_on: String,
    status: &'static str,
    pub(crate) status_code: &'static str,
    status_tag: &'static str,
    pub(crate) open: bool,
    pub(crate) overdue: bool,
    standard: Option<String>,
    judgement: Option<&'static str>,
    judgement_tag: Option<&'static str>,
    visit_id: Option<String>,
    visit_date: Option<String>,
    accepted_on: Option<String>,
}

pub(crate) fn row(a: &Action, today: Date) -> ActionRow {
    ActionRow {
        id: a.id.clone(),
        service_id: a.service_id.clone(),
        service_name: a.service_name.clone(),
        provider_id: a.provider_id.clone(),
        provider_name: a.provider_name.clone(),
        title: a.title.clone(),
        detail: a.detail.clone(),
        owner: a.owner.clone(),
        due_on: a.due_on.clone(),
        status: a.status.label(),
        status_code: a.status.as_str(),
        status_tag: crate::tags::action_status(a.status),
        open: a.status.is_open(),
        overdue: a.is_overdue(today),
        standard: a.standard_code.as_ref().map(|c| format!("{c} {}", a.standard_title.clone().unwrap_or_default())),
        judgement: a.judgement.map(|j| j.label()),
        judgement_tag: a.judgement.map(crate::tags::judgement),
        visit_id: a.visit_id.clone(),
        visit_date: a.visit_date.clone(),
        accepted_on: a.accepted_on.clone(),
    }
}

/// One entry of an action's history; `for_provider` names the council's officers only as "Council officer".
pub(crate) fn update_row(u: &ActionUpdate, for_provider: bool) -> Value {
    context! {
        at => u.created_at,
        who => if u.author_kind == "provider" { if for_provider { u.author.clone() } else { format!("Provider ({})", u.author) } } else if for_provider { "Council officer".to_string() } else { u.author.clone() },
        kind => u.author_kind,
        note => u.note,
        evidence => u.evidence,
        status => u.status_after.label(),
        status_tag => crate::tags::action_status(u.status_after),
    }
}

pub(crate) async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<String, AppError> {
    let base = user.context(state).await?;
    state.renderer.render(template, &base, page)
}

// ----- officers -----

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    state: Option<String>,
    service_id: Option<String>,
    provider_id: Option<String>,
    recorded: Option<String>,
}

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<ListQuery>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewQuality)?;
    let today = caremarket_store::today();
    let st = q
        .state
        .clone()
        .filter(|s| ["open", "overdue", "submitted", "accepted", "all"].contains(&s.as_str()))
        .unwrap_or_else(|| "open".into());
    let filter = ActionFilter {
        state: Some(st.clone()).filter(|s| s != "all"),
        service_id: q.service_id.clone().filter(|s| !s.is_empty()),
        provider_id: q.provider_id.clone().filter(|s| !s.is_empty()),
        on: Some(today),
    };
    let actions = state.store.actions(&filter).await?;
    let rows: Vec<ActionRow> = actions.iter().map(|a| row(a, today)).collect();
    let overdue = rows.iter().filter(|r| r.overdue).count();
    let scope = match (&filter.service_id, &filter.provider_id) {
        (Some(s), _) => state.store.service(s).await.ok().map(|s| s.name),
        (None, Some(p)) => state.store.provider(p).await.ok().map(|p| p.name),
        _ => None,
    };
    let mut qs = String::new();
    if let Some(s) = &filter.service_id {
        qs.push_str(&format!("&service_id={s}"));
    }
    if let Some(p) = &filter.provider_id {
        qs.push_str(&format!("&provider_id={p}"));
    }
    let tabs: Vec<Value> =
        [("open", "Open"), ("overdue", "Overdue"), ("submitted", "Submitted for review"), ("accepted", "Accepted"), ("all", "All")]
            .iter()
            .map(|(k, t)| context! { href => format!("/quality/actions?state={k}{qs}"), text => t, current => *k == st })
            .collect();
    let html = render(
        &state,
        &user,
        "quality_actions.html",
        context! { actions => rows, overdue => overdue, state => st, tabs => tabs, scope => scope, service_id => filter.service_id, banner => q.recorded.is_some(), can_record => user.role().can(Permission::RecordQuality) },
    )
    .await?;
    Ok(Html(html))
}

async fn render_new(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let service = state.store.service(field(form, "service_id")).await?;
    let html = render(
        state,
        user,
        "quality_action_new.html",
        context! {
            service => context! { id => service.id, name => service.name, provider_name => service.provider_name },
            errors => errors.list,
            field_errors => errors.by_field,
            title => field(form, "title"),
            detail => field(form, "detail"),
            owner => field(form, "owner"),
            due_on => date_parts(form, "due_on"),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

#[derive(Debug, Deserialize)]
struct NewQuery {
    service_id: Option<String>,
}

async fn new_form(user: CurrentUser, State(state): State<AppState>, Query(q): Query<NewQuery>) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let Some(sid) = q.service_id.filter(|s| !s.is_empty()) else {
        return Err(AppError::BadRequest("Choose a service first: add an action from the service's quality tab.".into()));
    };
    render_new(&state, &user, &[("service_id".into(), sid)], &form_errors(), StatusCode::OK).await
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let service_id = field(&form, "service_id").to_string();
    if state.store.service(&service_id).await.is_err() {
        return Err(AppError::BadRequest("Choose a service from the register.".into()));
    }
    let mut errors = form_errors();
    let due_on = form_date(&form, "due_on", "Due date");
    let new = NewAction {
        service_id: service_id.clone(),
        title: field(&form, "title").into(),
        detail: Some(field(&form, "detail").to_string()),
        owner: field(&form, "owner").into(),
        due_on: due_on.clone().ok().flatten(),
    };
    // Core says what an action needs; a date typed wrongly is reported as typed.
    match new.check() {
        Err(e) => errors.extend(super::with_typed_date(e, "due_on", &due_on)),
        Ok(_) => {
            if let Err(m) = &due_on {
                errors.add("due_on", m);
            }
        }
    }
    if errors.is_empty() {
        match state.store.create_action(&user.actor(), &new).await {
            Ok(id) => return Ok(Redirect::to(&format!("/quality/actions/{id}?recorded=1")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_new(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    recorded: Option<String>,
    decided: Option<String>,
    noted: Option<String>,
}

/// An officer's decision on an action, as the form sends it, with the version of the action's
/// status it was made from (decision 25).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
struct DecisionForm {
    decision: String,
    note: String,
    version: String,
}

/// The officer's internal note, as the form sends it, with the version of the note it was
/// made from.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
struct NoteForm {
    officer_note: String,
    version: String,
}

/// What the page shows again after a save that was not made: the decision or the note as sent
/// (with the version it now carries), and the notice of a refused save.
#[derive(Default)]
struct Sent {
    decision: Option<DecisionForm>,
    note: Option<NoteForm>,
    stale: Option<Value>,
}

/// The notice for a save refused because the action's status changed since the page was
/// opened: who moved it on and when, from the action's own history (which a provider reads
/// with the council's officers unnamed, as on its page).
pub(crate) async fn status_stale(
    state: &AppState,
    id: &str,
    expected: caremarket_core::versions::Version,
    changes: Vec<caremarket_core::versions::FieldChange>,
    for_provider: bool,
) -> Result<Value, AppError> {
    let unversioned = expected == caremarket_core::versions::Version::STALE_FORM;
    let last = if unversioned { None } else { state.store.action_updates(id).await?.pop() };
    let by = last
        .as_ref()
        .map(|u| if u.author_kind == "provider" || !for_provider { u.author.clone() } else { "A council officer".to_string() });
    Ok(context! {
        by => by,
        at => last.map(|u| u.created_at),
        unversioned => unversioned,
        changes => changes,
    })
}

/// `sent`: the decision or note sent, to show again with its errors or the stale notice.
#[allow(clippy::too_many_arguments)]
async fn render_show(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    sent: Sent,
    errors: &FormErrors,
    banner: Option<&str>,
    status: StatusCode,
    evidence: &crate::evidence::EvidenceQuery,
) -> Result<Response, AppError> {
    let a = state.store.action(id).await?;
    let form = sent.decision.as_ref();
    let evidence = crate::evidence::section(state, user, caremarket_core::evidence::RecordKind::Action, id, evidence).await?;
    let today = caremarket_store::today();
    let history: Vec<Value> = state.store.action_updates(id).await?.iter().map(|u| update_row(u, false)).collect();
    let decisions = if a.status == ActionStatus::Accepted {
        vec![json!({"value": "reopen", "text": "Reopen the action"})]
    } else if matches!(a.status, ActionStatus::Open | ActionStatus::Reopened) {
        vec![json!({"value": "accept", "text": "Accept: the action is done"})]
    } else {
        vec![json!({"value": "accept", "text": "Accept: the action is done"}), json!({"value": "reopen", "text": "Reopen: more is needed"})]
    };
    let html = render(
        state,
        user,
        "quality_action.html",
        context! {
            action => row(&a, today),
            officer_note => a.officer_note,
            history => history,
            decisions => decisions,
            decision => form.map(|f| f.decision.as_str()).unwrap_or(""),
            note => form.map(|f| f.note.as_str()).unwrap_or(""),
            decision_version => form.map(|f| f.version.clone()).unwrap_or_else(|| a.version.to_string()),
            // A decision sent back with its errors does not carry the note's form.
            officer_note_value => match (&sent.note, form) {
                (Some(n), _) => n.officer_note.clone(),
                (None, None) => a.officer_note.clone().unwrap_or_default(),
                (None, Some(_)) => String::new(),
            },
            note_version => sent.note.as_ref().map(|n| n.version.clone()).unwrap_or_else(|| a.note_version.to_string()),
            stale => sent.stale,
            errors => errors.list,
            field_errors => errors.by_field,
            banner => banner,
            can_record => user.role().can(Permission::RecordQuality),
            evidence_section => evidence,
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
    Query(evidence): Query<crate::evidence::EvidenceQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let banner = if q.recorded.is_some() {
        Some("Action added to the plan")
    } else if q.decided.is_some() {
        Some("Decision recorded")
    } else if q.noted.is_some() {
        Some("Internal note saved")
    } else {
        None
    };
    render_show(&state, &user, &id, Sent::default(), &form_errors(), banner, StatusCode::OK, &evidence).await
}

async fn decide(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let mut errors = form_errors();
    let note = form.note.as_str();
    let expected = crate::versions::from_form(&[("version".to_string(), form.version.clone())]);
    let result = match form.decision.as_str() {
        "accept" => Some(state.store.accept_action(&user.actor(), &id, note, caremarket_store::today(), expected).await),
        "reopen" => Some(state.store.reopen_action(&user.actor(), &id, note, expected).await),
        _ => {
            errors.add("decision", "Choose whether to accept or reopen the action");
            None
        }
    };
    match result {
        Some(Ok(())) => return Ok(Redirect::to(&format!("/quality/actions/{id}?decided=1")).into_response()),
        Some(Err(StoreError::Stale { current })) => {
            let now = state.store.action(&id).await?;
            let chosen = match form.decision.as_str() {
                "accept" => ActionStatus::Accepted.label(),
                _ => ActionStatus::Reopened.label(),
            };
            let changes = caremarket_core::versions::changes([("Status", now.status.label().to_string(), chosen.to_string())]);
            let stale = status_stale(&state, &id, expected, changes, false).await?;
            let kept = DecisionForm { version: current.to_string(), ..form };
            let sent = Sent { decision: Some(kept), note: None, stale: Some(stale) };
            return render_show(&state, &user, &id, sent, &errors, None, crate::versions::STATUS, &Default::default()).await;
        }
        // Core's reason for reopening is this form's note.
        Some(Err(e)) => super::add_store_as(&mut errors, e, |f| if f == "reason" { "note".into() } else { f.to_string() })?,
        None => {}
    }
    let sent = Sent { decision: Some(form), ..Default::default() };
    render_show(&state, &user, &id, sent, &errors, None, StatusCode::BAD_REQUEST, &Default::default()).await
}

async fn note(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<NoteForm>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let expected = crate::versions::from_form(&[("version".to_string(), form.version.clone())]);
    match state.store.set_action_officer_note(&user.actor(), &id, &form.officer_note, expected).await {
        Ok(()) => Ok(Redirect::to(&format!("/quality/actions/{id}?noted=1")).into_response()),
        Err(StoreError::Stale { current }) => {
            let now = state.store.action(&id).await?;
            let changes = caremarket_core::versions::changes([(
                "Officer note",
                now.officer_note.clone().unwrap_or_default(),
                form.officer_note.clone(),
            )]);
            let stale = crate::versions::stale(&state, "quality_action", &id, current, expected, changes).await?;
            let kept = NoteForm { version: stale.current.to_string(), ..form };
            let sent = Sent { decision: None, note: Some(kept), stale: Some(stale.notice) };
            render_show(&state, &user, &id, sent, &form_errors(), None, crate::versions::STATUS, &Default::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// This part's section of a service's quality tab (`_quality_section_actions.html`): the
/// service's action plan, open first with overdue flagged, or none when the user may not see it.
pub(super) async fn service_section(state: &AppState, user: &CurrentUser, service_id: &str) -> Result<Option<Value>, AppError> {
    if !user.role().can(Permission::ViewQuality) {
        return Ok(None);
    }
    let today = caremarket_store::today();
    let rows: Vec<ActionRow> = state.store.actions_for_service(service_id).await?.iter().map(|a| row(a, today)).collect();
    Ok(Some(context! {
        open => rows.iter().filter(|r| r.open).count(),
        overdue => rows.iter().filter(|r| r.overdue).count(),
        actions => rows,
        can_record => user.role().can(Permission::RecordQuality),
    }))
}
