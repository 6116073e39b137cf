//! Committees' work programmes and forward plans (`004`): committees, their meetings, the items
//! at each meeting and on the forward plan, each item's officer, paper and cover sheet (`001`,
//! `003`), and the options appraisal kept with the item whose decision it informed (`001`).

use super::plain_text;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, field};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::governance::committees::{
    AppraisedOption, CoverSheet, Item, ItemFields, KeyDecisionReason, Meeting, NewCommittee, NewItem, NewMeeting, NewOption, OptionOutcome,
    SCHEDULE_12A_PARAGRAPHS, WorkProgramme, outcome_counts,
};
use caremarket_store::StoreError;
use caremarket_store::versions::Versioned;
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/governance/committees", get(index))
        .route("/governance/committees/new", get(new_committee_form).post(create_committee))
        .route("/governance/committees/{cid}", get(show_committee))
        .route("/governance/committees/{cid}/edit", get(edit_committee_form).post(edit_committee))
        .route("/governance/committees/{cid}/meetings/new", get(new_meeting_form).post(create_meeting))
        .route("/governance/committees/{cid}/meetings/{mid}", get(show_meeting))
        .route("/governance/committees/{cid}/meetings/{mid}/edit", get(edit_meeting_form).post(edit_meeting))
        .route("/governance/committees/{cid}/items/new", get(new_item_form).post(create_item))
        .route("/governance/committees/{cid}/items/{iid}", get(show_item).post(add_option))
        .route("/governance/committees/{cid}/items/{iid}/edit", get(edit_item_form).post(edit_item))
        .route("/governance/committees/{cid}/items/{iid}/options/{oid}/edit", get(edit_option_form).post(edit_option))
}

type Form = Vec<(String, String)>;

/// After a refused save (decision 25): what was typed, now carrying the record's current
/// version, so saving it again is a deliberate replacement.
fn kept(form: &Form, current: i64) -> Form {
    let mut kept: Form = form.iter().filter(|(k, _)| k != "version").cloned().collect();
    kept.push(("version".into(), current.to_string()));
    kept
}

async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<Response, AppError> {
    render_status(state, user, template, page, StatusCode::OK).await
}

async fn render_status(
    state: &AppState,
    user: &CurrentUser,
    template: &str,
    page: Value,
    status: StatusCode,
) -> Result<Response, AppError> {
    let base = user.context(state).await?;
    Ok((status, Html(state.renderer.render(template, &base, page)?)).into_response())
}

fn format_date(d: Date) -> String {
    crate::render::format_date(&d.to_string())
}

fn status_of(errors: &FormErrors) -> StatusCode {
    if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST }
}

fn banner(saved: Option<&str>) -> Option<&'static str> {
    match saved? {
        "committee" => Some("Committee saved"),
        "meeting" => Some("Meeting saved"),
        "item" => Some("Item saved"),
        "option" => Some("Option saved"),
        _ => None,
    }
}

#[derive(Debug, Default, Deserialize)]
struct Saved {
    saved: Option<String>,
    meeting: Option<String>,
}

fn yes_no_text(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "Yes",
        Some(false) => "No",
        None => "Not answered",
    }
}

/// The cover sheet as a page reads it.
fn cover_view(c: &CoverSheet) -> Value {
    let eia = match c.eia_undertaken {
        Some(true) => format!("Yes, reference {}", c.eia_reference),
        other => yes_no_text(other).to_string(),
    };
    let exempt = match (c.exempt, c.exempt_paragraph) {
        (Some(true), Some(p)) => {
            let what = SCHEDULE_12A_PARAGRAPHS.iter().find(|(n, _)| *n == p).map(|(_, t)| *t).unwrap_or("");
            let part = if c.exempt_detail.is_empty() { String::new() } else { format!(" ({})", plain_text(&c.exempt_detail)) };
            format!("Yes, paragraph {p} of Schedule 12A: {what}{part}")
        }
        (other, _) => yes_no_text(other).to_string(),
    };
    let key = match c.key_decision {
        Some(true) => format!("Yes: {}", c.key_decision_reasons.iter().map(|r| r.label()).collect::<Vec<_>>().join("; ")),
        other => yes_no_text(other).to_string(),
    };
    context! {
        eia => eia, exempt => exempt, key_decision => key, is_exempt => c.is_exempt(), is_key => c.key_decision == Some(true),
        unanswered => c.unanswered().join(", "),
    }
}

fn option_view(o: &AppraisedOption) -> Value {
    context! {
        id => o.id, option => plain_text(&o.option), outcome => o.outcome.label(), outcome_class => crate::tags::option_outcome(o.outcome),
        core_reason => plain_text(&o.core_reason),
    }
}

fn item_view(i: &Item) -> Value {
    let counts: Vec<Value> = outcome_counts(&i.options)
        .into_iter()
        .map(|(o, n)| context! { outcome => o.label(), class => crate::tags::option_outcome(o), count => n })
        .collect();
    context! {
        id => i.id, title => plain_text(&i.title), detail => plain_text(&i.detail), officer => i.officer,
        proposed => i.proposed.text, proposed_date => i.proposed.date.map(format_date),
        paper_title => i.paper_title, paper_url => i.paper.as_ref().map(|p| p.url().to_string()),
        paper_internal => i.paper.as_ref().is_some_and(|p| p.is_internal()),
        recommendations => plain_text(&i.recommendations), progress => plain_text(&i.progress),
        cover => cover_view(&i.cover), options => i.options.iter().map(option_view).collect::<Vec<_>>(), outcome_counts => counts,
    }
}

fn meeting_view(m: &Meeting, items: &[Item]) -> Value {
    context! {
        id => m.id, meets_on => format_date(m.meets_on), starts_at => m.starts_at, place => m.place,
        items => items.iter().map(item_view).collect::<Vec<_>>(),
    }
}

// ----- committees -----

async fn index(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    let committees: Vec<Value> = state
        .store
        .committees(caremarket_store::today())
        .await?
        .into_iter()
        .map(|c| {
            context! {
                id => c.id, name => c.name, meetings => c.meetings, forward_plan => c.forward_plan,
                next_meeting => c.next_meeting.as_deref().map(crate::render::format_date),
            }
        })
        .collect();
    let can_manage = user.role().can(Permission::ManageGovernance);
    render(&state, &user, "governance_committees.html", context! { committees => committees, can_manage => can_manage }).await
}

async fn committee_form(
    state: &AppState,
    user: &CurrentUser,
    id: Option<&str>,
    form: &Form,
    errors: &FormErrors,
) -> Result<Response, AppError> {
    committee_reply(state, user, id, form, errors, crate::versions::Reply::status(status_of(errors))).await
}

/// `reply`: the status and, after a save refused because the committee changed since its form
/// was opened (decision 25), the notice.
async fn committee_reply(
    state: &AppState,
    user: &CurrentUser,
    id: Option<&str>,
    form: &Form,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let page = context! {
        id => id, errors => errors.list, field_errors => errors.by_field, name => field(form, "name"), remit => field(form, "remit"),
        version => field(form, "version"), stale => reply.stale,
    };
    render_status(state, user, "governance_committee_form.html", page, reply.status).await
}

async fn new_committee_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    committee_form(&state, &user, None, &Vec::new(), &FormErrors::default()).await
}

async fn create_committee(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<Form>) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let mut errors = FormErrors::default();
    match NewCommittee::parse(field(&form, "name"), field(&form, "remit")) {
        Ok(c) => match state.store.create_committee(&user.actor(), &c).await {
            Ok(id) => return Ok(Redirect::to(&format!("/governance/committees/{id}?saved=committee")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    committee_form(&state, &user, None, &form, &errors).await
}

async fn edit_committee_form(user: CurrentUser, State(state): State<AppState>, Path(cid): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let c = state.store.committee(&cid).await?;
    let version = state.store.version_of(Versioned::Committees, &cid).await?;
    let form = vec![("name".to_string(), c.name), ("remit".to_string(), c.remit), ("version".to_string(), version.to_string())];
    committee_form(&state, &user, Some(&cid), &form, &FormErrors::default()).await
}

async fn edit_committee(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(cid): Path<String>,
    CsrfForm(form): CsrfForm<Form>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let mut errors = FormErrors::default();
    let expected = crate::versions::from_form(&form);
    match NewCommittee::parse(field(&form, "name"), field(&form, "remit")) {
        Ok(c) => match state.store.update_committee(&user.actor(), &cid, &c, expected).await {
            Ok(()) => return Ok(Redirect::to(&format!("/governance/committees/{cid}?saved=committee")).into_response()),
            Err(StoreError::Stale { current }) => {
                let now = state.store.committee(&cid).await?;
                let changes = caremarket_core::versions::changes([
                    ("Name of the committee", now.name.clone(), field(&form, "name").to_string()),
                    ("Remit", now.remit.clone(), field(&form, "remit").to_string()),
                ]);
                let stale = crate::versions::stale(&state, "committee", &cid, current, expected, changes).await?;
                let mut kept: Form = form.iter().filter(|(k, _)| k != "version").cloned().collect();
                kept.push(("version".into(), stale.current.to_string()));
                let reply = crate::versions::Reply::stale(stale.notice);
                return committee_reply(&state, &user, Some(&cid), &kept, &errors, reply).await;
            }
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    committee_form(&state, &user, Some(&cid), &form, &errors).await
}

async fn show_committee(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(cid): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    let wp: WorkProgramme = state.store.work_programme(&cid).await?;
    let today = caremarket_store::today();
    let (coming, past) = wp.split_at(today);
    let coming: Vec<Value> = coming.into_iter().map(|(m, items)| meeting_view(m, items)).collect();
    let past: Vec<Value> = past.into_iter().rev().map(|(m, items)| meeting_view(m, items)).collect();
    let page = context! {
        committee => context! { id => wp.committee.id, name => wp.committee.name, remit => plain_text(&wp.committee.remit) },
        coming => coming, past => past, forward_plan => wp.forward_plan.iter().map(item_view).collect::<Vec<_>>(),
        can_manage => user.role().can(Permission::ManageGovernance), banner => banner(q.saved.as_deref()),
    };
    render(&state, &user, "governance_committee.html", page).await
}

// ----- meetings -----

async fn meeting_in(state: &AppState, cid: &str, mid: &str) -> Result<Meeting, AppError> {
    let m = state.store.meeting(mid).await?;
    if m.committee_id != cid {
        return Err(AppError::NotFound);
    }
    Ok(m)
}

async fn meeting_form(
    state: &AppState,
    user: &CurrentUser,
    cid: &str,
    mid: Option<&str>,
    form: &Form,
    errors: &FormErrors,
) -> Result<Response, AppError> {
    meeting_reply(state, user, cid, mid, form, errors, crate::versions::Reply::status(status_of(errors))).await
}

/// `reply`: the status and, after a save refused because the meeting changed since its form was
/// opened (decision 25), the notice.
async fn meeting_reply(
    state: &AppState,
    user: &CurrentUser,
    cid: &str,
    mid: Option<&str>,
    form: &Form,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let committee = state.store.committee(cid).await?;
    let meets_on: Value = if let Some(iso) = form.iter().find(|(k, _)| k == "meets_on").map(|(_, v)| v.clone()) {
        Value::from(iso)
    } else {
        date_parts(form, "meets_on")
    };
    let page = context! {
        committee => context! { id => committee.id, name => committee.name }, mid => mid,
        errors => errors.list, field_errors => errors.by_field, meets_on => meets_on,
        starts_at => field(form, "starts_at"), place => field(form, "place"),
        version => field(form, "version"), stale => reply.stale,
    };
    render_status(state, user, "governance_meeting_form.html", page, reply.status).await
}

fn meeting_from(form: &Form, errors: &mut FormErrors) -> Option<NewMeeting> {
    let date = errors.date(form, "meets_on", "Date of the meeting");
    match NewMeeting::parse(date, field(form, "starts_at"), field(form, "place")) {
        Ok(m) if errors.is_empty() => Some(m),
        Ok(_) => None,
        Err(e) => {
            errors.extend(e);
            None
        }
    }
}

async fn new_meeting_form(user: CurrentUser, State(state): State<AppState>, Path(cid): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    meeting_form(&state, &user, &cid, None, &Vec::new(), &FormErrors::new(&["meets_on"])).await
}

async fn create_meeting(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(cid): Path<String>,
    CsrfForm(form): CsrfForm<Form>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let mut errors = FormErrors::new(&["meets_on"]);
    if let Some(m) = meeting_from(&form, &mut errors) {
        match state.store.add_meeting(&user.actor(), &cid, &m).await {
            Ok(mid) => return Ok(Redirect::to(&format!("/governance/committees/{cid}/meetings/{mid}?saved=meeting")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    meeting_form(&state, &user, &cid, None, &form, &errors).await
}

async fn edit_meeting_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((cid, mid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let m = meeting_in(&state, &cid, &mid).await?;
    let version = state.store.version_of(Versioned::CommitteeMeetings, &mid).await?;
    let form = vec![
        ("meets_on".to_string(), m.meets_on.to_string()),
        ("starts_at".to_string(), m.starts_at),
        ("place".to_string(), m.place),
        ("version".to_string(), version.to_string()),
    ];
    meeting_form(&state, &user, &cid, Some(&mid), &form, &FormErrors::new(&["meets_on"])).await
}

async fn edit_meeting(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((cid, mid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Form>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    meeting_in(&state, &cid, &mid).await?;
    let mut errors = FormErrors::new(&["meets_on"]);
    let expected = crate::versions::from_form(&form);
    if let Some(m) = meeting_from(&form, &mut errors) {
        match state.store.update_meeting(&user.actor(), &mid, &m, expected).await {
            Ok(()) => return Ok(Redirect::to(&format!("/governance/committees/{cid}/meetings/{mid}?saved=meeting")).into_response()),
            Err(StoreError::Stale { current }) => {
                let now = state.store.meeting(&mid).await?;
                let changes = caremarket_core::versions::changes([
                    ("Date of the meeting", format_date(now.meets_on), format_date(m.meets_on)),
                    ("Time", now.starts_at.clone(), m.starts_at.clone()),
                    ("Place", now.place.clone(), m.place.clone()),
                ]);
                let stale = crate::versions::stale(&state, "committee_meeting", &mid, current, expected, changes).await?;
                let reply = crate::versions::Reply::stale(stale.notice);
                return meeting_reply(&state, &user, &cid, Some(&mid), &kept(&form, stale.current), &errors, reply).await;
            }
            Err(e) => errors.add_store(e)?,
        }
    }
    meeting_form(&state, &user, &cid, Some(&mid), &form, &errors).await
}

async fn show_meeting(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((cid, mid)): Path<(String, String)>,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    let wp = state.store.work_programme(&cid).await?;
    let Some((m, items)) = wp.meetings.iter().find(|(m, _)| m.id == mid) else {
        return Err(AppError::NotFound);
    };
    let page = context! {
        committee => context! { id => wp.committee.id, name => wp.committee.name }, meeting => meeting_view(m, items),
        can_manage => user.role().can(Permission::ManageGovernance), banner => banner(q.saved.as_deref()),
    };
    render(&state, &user, "governance_meeting.html", page).await
}

// ----- items -----

const ITEM_TEXT_FIELDS: [&str; 9] =
    ["meeting_id", "title", "detail", "officer", "proposed", "paper_title", "paper_url", "recommendations", "progress"];

fn item_from(form: &Form, meetings: &[&str]) -> Result<NewItem, caremarket_core::FieldErrors> {
    let reasons: Vec<&str> = form.iter().filter(|(k, _)| k == "key_decision_reasons").map(|(_, v)| v.as_str()).collect();
    let cover = CoverSheet::parse(
        field(form, "eia"),
        field(form, "eia_reference"),
        field(form, "exempt"),
        field(form, "exempt_paragraph"),
        field(form, "exempt_detail"),
        field(form, "key_decision"),
        &reasons,
    );
    let f = ItemFields {
        meeting_id: field(form, "meeting_id"),
        title: field(form, "title"),
        detail: field(form, "detail"),
        officer: field(form, "officer"),
        proposed: field(form, "proposed"),
        paper_title: field(form, "paper_title"),
        paper_url: field(form, "paper_url"),
        recommendations: field(form, "recommendations"),
        progress: field(form, "progress"),
    };
    NewItem::parse(&f, cover, meetings)
}

fn item_form_values(i: &Item) -> Form {
    let yes_no = |v: Option<bool>| match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    };
    let mut form: Form = vec![
        ("meeting_id", i.meeting_id.clone().unwrap_or_default()),
        ("title", i.title.clone()),
        ("detail", i.detail.clone()),
        ("officer", i.officer.clone()),
        ("proposed", i.proposed.text.clone()),
        ("paper_title", i.paper_title.clone()),
        ("paper_url", i.paper.as_ref().map(|p| p.url().to_string()).unwrap_or_default()),
        ("recommendations", i.recommendations.clone()),
        ("progress", i.progress.clone()),
        ("eia", yes_no(i.cover.eia_undertaken).to_string()),
        ("eia_reference", i.cover.eia_reference.clone()),
        ("exempt", yes_no(i.cover.exempt).to_string()),
        ("exempt_paragraph", i.cover.exempt_paragraph.map(|p| p.to_string()).unwrap_or_default()),
        ("exempt_detail", i.cover.exempt_detail.clone()),
        ("key_decision", yes_no(i.cover.key_decision).to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    form.extend(i.cover.key_decision_reasons.iter().map(|r| ("key_decision_reasons".to_string(), r.as_str().to_string())));
    form
}

/// An item as it is kept, in the shape of a save, so that the item now and a refused save read
/// the same way.
fn as_new_item(i: &Item) -> NewItem {
    NewItem {
        meeting_id: i.meeting_id.clone(),
        title: i.title.clone(),
        detail: i.detail.clone(),
        officer: i.officer.clone(),
        proposed: i.proposed.clone(),
        paper_title: i.paper_title.clone(),
        paper: i.paper.clone(),
        recommendations: i.recommendations.clone(),
        progress: i.progress.clone(),
        cover: i.cover.clone(),
    }
}

/// Each field of the item form with its value as an officer reads it (the meeting by its date,
/// yes or no answers in words), for the fields that differ after a refused save.
fn item_shown(i: &NewItem, meetings: &[(Meeting, Vec<Item>)]) -> Vec<(&'static str, String)> {
    let meeting = match i.meeting_id.as_deref() {
        None => "The forward plan (not yet at a meeting)".to_string(),
        Some(id) => meetings
            .iter()
            .find(|(m, _)| m.id == id)
            .map(|(m, _)| format!("Meeting of {}", format_date(m.meets_on)))
            .unwrap_or_else(|| id.to_string()),
    };
    let c = &i.cover;
    let answer = |v: Option<bool>| yes_no_text(v).to_string();
    vec![
        ("Item", i.title.clone()),
        ("Detail", i.detail.clone()),
        ("Meeting", meeting),
        ("Proposed date", i.proposed.text.clone()),
        ("Officer", i.officer.clone()),
        ("Title of the paper", i.paper_title.clone()),
        ("Link to the paper", i.paper.as_ref().map(|p| p.url().to_string()).unwrap_or_default()),
        ("Equality Impact Assessment undertaken", answer(c.eia_undertaken)),
        ("EIA reference number", c.eia_reference.clone()),
        ("Confidential or exempt information", answer(c.exempt)),
        ("Paragraph of Schedule 12A", c.exempt_paragraph.map(|p| format!("Paragraph {p}")).unwrap_or_default()),
        ("Which part is exempt", c.exempt_detail.clone()),
        ("Key decision", answer(c.key_decision)),
        ("Why it is a key decision", c.key_decision_reasons.iter().map(|r| r.label()).collect::<Vec<_>>().join("; ")),
        ("Recommendations / actions", i.recommendations.clone()),
        ("Progress", i.progress.clone()),
    ]
}

async fn item_form(
    state: &AppState,
    user: &CurrentUser,
    cid: &str,
    iid: Option<&str>,
    form: &Form,
    errors: &FormErrors,
) -> Result<Response, AppError> {
    item_reply(state, user, cid, iid, form, errors, crate::versions::Reply::status(status_of(errors))).await
}

/// `reply`: the status and, after a save refused because the item changed since its form was
/// opened (decision 25), the notice.
async fn item_reply(
    state: &AppState,
    user: &CurrentUser,
    cid: &str,
    iid: Option<&str>,
    form: &Form,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let wp = state.store.work_programme(cid).await?;
    let mut meetings = vec![json!({"value": "", "text": "The forward plan (not yet at a meeting)"})];
    meetings.extend(wp.meetings.iter().map(|(m, _)| json!({"value": m.id, "text": format!("Meeting of {}", format_date(m.meets_on))})));
    let yes_no = vec![json!({"value": "yes", "text": "Yes"}), json!({"value": "no", "text": "No"})];
    let mut paragraphs = vec![json!({"value": "", "text": "Select the paragraph"})];
    paragraphs.extend(SCHEDULE_12A_PARAGRAPHS.iter().map(|(n, t)| json!({"value": n.to_string(), "text": format!("Paragraph {n}: {t}")})));
    let reasons: Vec<serde_json::Value> = KeyDecisionReason::ALL.iter().map(|r| json!({"value": r.as_str(), "text": r.label()})).collect();
    let chosen: Vec<&str> = form.iter().filter(|(k, _)| k == "key_decision_reasons").map(|(_, v)| v.as_str()).collect();
    let mut values = serde_json::Map::new();
    for k in ITEM_TEXT_FIELDS.iter().chain(["eia", "eia_reference", "exempt", "exempt_paragraph", "exempt_detail", "key_decision"].iter()) {
        values.insert(k.to_string(), json!(field(form, k)));
    }
    let page = context! {
        committee => context! { id => wp.committee.id, name => wp.committee.name }, iid => iid,
        errors => errors.list, field_errors => errors.by_field, v => values, meetings => meetings, yes_no => yes_no,
        paragraphs => paragraphs, reasons => reasons, chosen_reasons => chosen,
        version => field(form, "version"), stale => reply.stale,
    };
    render_status(state, user, "governance_item_form.html", page, reply.status).await
}

async fn new_item_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(cid): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let form: Form = q.meeting.map(|m| vec![("meeting_id".to_string(), m)]).unwrap_or_default();
    item_form(&state, &user, &cid, None, &form, &FormErrors::default()).await
}

async fn meeting_ids(state: &AppState, cid: &str) -> Result<Vec<String>, AppError> {
    Ok(state.store.work_programme(cid).await?.meetings.into_iter().map(|(m, _)| m.id).collect())
}

async fn create_item(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(cid): Path<String>,
    CsrfForm(form): CsrfForm<Form>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let ids = meeting_ids(&state, &cid).await?;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut errors = FormErrors::default();
    match item_from(&form, &ids) {
        Ok(i) => match state.store.add_committee_item(&user.actor(), &cid, &i).await {
            Ok(iid) => return Ok(Redirect::to(&format!("/governance/committees/{cid}/items/{iid}?saved=item")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    item_form(&state, &user, &cid, None, &form, &errors).await
}

async fn item_in(state: &AppState, cid: &str, iid: &str) -> Result<Item, AppError> {
    let i = state.store.committee_item(iid).await?;
    if i.committee_id != cid {
        return Err(AppError::NotFound);
    }
    Ok(i)
}

async fn edit_item_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((cid, iid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let i = item_in(&state, &cid, &iid).await?;
    let mut form = item_form_values(&i);
    form.push(("version".to_string(), state.store.version_of(Versioned::CommitteeItems, &iid).await?.to_string()));
    item_form(&state, &user, &cid, Some(&iid), &form, &FormErrors::default()).await
}

async fn edit_item(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((cid, iid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Form>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    item_in(&state, &cid, &iid).await?;
    let ids = meeting_ids(&state, &cid).await?;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut errors = FormErrors::default();
    let expected = crate::versions::from_form(&form);
    match item_from(&form, &ids) {
        Ok(i) => match state.store.update_committee_item(&user.actor(), &iid, &i, expected).await {
            Ok(()) => return Ok(Redirect::to(&format!("/governance/committees/{cid}/items/{iid}?saved=item")).into_response()),
            Err(StoreError::Stale { current }) => {
                let now = state.store.committee_item(&iid).await?;
                let meetings = state.store.work_programme(&cid).await?.meetings;
                let now = item_shown(&as_new_item(&now), &meetings);
                let sent = item_shown(&i, &meetings);
                let changes =
                    caremarket_core::versions::changes(now.into_iter().zip(sent).map(|((label, now), (_, sent))| (label, now, sent)));
                let stale = crate::versions::stale(&state, "committee_item", &iid, current, expected, changes).await?;
                let reply = crate::versions::Reply::stale(stale.notice);
                return item_reply(&state, &user, &cid, Some(&iid), &kept(&form, stale.current), &errors, reply).await;
            }
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    item_form(&state, &user, &cid, Some(&iid), &form, &errors).await
}

fn outcome_options() -> Vec<serde_json::Value> {
    OptionOutcome::ALL.iter().map(|o| json!({"value": o.as_str(), "text": o.label()})).collect()
}

async fn render_item(
    state: &AppState,
    user: &CurrentUser,
    cid: &str,
    iid: &str,
    form: &Form,
    errors: &FormErrors,
    saved: Option<&str>,
) -> Result<Response, AppError> {
    let wp = state.store.work_programme(cid).await?;
    let i = item_in(state, cid, iid).await?;
    let meeting = i.meeting_id.as_deref().and_then(|mid| wp.meetings.iter().find(|(m, _)| m.id == mid)).map(|(m, _)| {
        context! { id => m.id, meets_on => format_date(m.meets_on) }
    });
    let page = context! {
        committee => context! { id => wp.committee.id, name => wp.committee.name }, item => item_view(&i), meeting => meeting,
        can_manage => user.role().can(Permission::ManageGovernance), banner => banner(saved),
        errors => errors.list, field_errors => errors.by_field, outcome_options => outcome_options(),
        option => field(form, "option"), outcome => field(form, "outcome"), core_reason => field(form, "core_reason"),
    };
    render_status(state, user, "governance_item.html", page, status_of(errors)).await
}

async fn show_item(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((cid, iid)): Path<(String, String)>,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    render_item(&state, &user, &cid, &iid, &Vec::new(), &FormErrors::default(), q.saved.as_deref()).await
}

/// The text of the item's preferred option other than `except`, for core's one-preferred check.
fn other_preferred(i: &Item, except: Option<&str>) -> Option<String> {
    i.options.iter().find(|o| o.outcome == OptionOutcome::Preferred && Some(o.id.as_str()) != except).map(|o| plain_text(&o.option))
}

async fn add_option(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((cid, iid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Form>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let i = item_in(&state, &cid, &iid).await?;
    let mut errors = FormErrors::default();
    let preferred = other_preferred(&i, None);
    match NewOption::parse(field(&form, "option"), field(&form, "outcome"), field(&form, "core_reason"), preferred.as_deref()) {
        Ok(o) => match state.store.add_appraisal_option(&user.actor(), &iid, &o).await {
            Ok(_) => return Ok(Redirect::to(&format!("/governance/committees/{cid}/items/{iid}?saved=option#options")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    render_item(&state, &user, &cid, &iid, &form, &errors, None).await
}

async fn option_form(
    state: &AppState,
    user: &CurrentUser,
    i: &Item,
    oid: &str,
    form: &Form,
    errors: &FormErrors,
) -> Result<Response, AppError> {
    option_reply(state, user, i, oid, form, errors, crate::versions::Reply::status(status_of(errors))).await
}

/// `reply`: the status and, after a save refused because the option changed since its form was
/// opened (decision 25), the notice.
async fn option_reply(
    state: &AppState,
    user: &CurrentUser,
    i: &Item,
    oid: &str,
    form: &Form,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let committee = state.store.committee(&i.committee_id).await?;
    let page = context! {
        committee => context! { id => committee.id, name => committee.name }, item => context! { id => i.id, title => plain_text(&i.title) },
        oid => oid, errors => errors.list, field_errors => errors.by_field, outcome_options => outcome_options(),
        option => field(form, "option"), outcome => field(form, "outcome"), core_reason => field(form, "core_reason"),
        version => field(form, "version"), stale => reply.stale,
    };
    render_status(state, user, "governance_option_form.html", page, reply.status).await
}

async fn edit_option_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((cid, iid, oid)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let i = item_in(&state, &cid, &iid).await?;
    let o = i.options.iter().find(|o| o.id == oid).ok_or(AppError::NotFound)?;
    let form: Form = vec![
        ("option".to_string(), o.option.clone()),
        ("outcome".to_string(), o.outcome.as_str().to_string()),
        ("core_reason".to_string(), o.core_reason.clone()),
        ("version".to_string(), state.store.version_of(Versioned::AppraisalOptions, &oid).await?.to_string()),
    ];
    option_form(&state, &user, &i, &oid, &form, &FormErrors::default()).await
}

async fn edit_option(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((cid, iid, oid)): Path<(String, String, String)>,
    CsrfForm(form): CsrfForm<Form>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let i = item_in(&state, &cid, &iid).await?;
    if !i.options.iter().any(|o| o.id == oid) {
        return Err(AppError::NotFound);
    }
    let mut errors = FormErrors::default();
    let expected = crate::versions::from_form(&form);
    let preferred = other_preferred(&i, Some(&oid));
    match NewOption::parse(field(&form, "option"), field(&form, "outcome"), field(&form, "core_reason"), preferred.as_deref()) {
        Ok(o) => match state.store.update_appraisal_option(&user.actor(), &iid, &oid, &o, expected).await {
            Ok(()) => return Ok(Redirect::to(&format!("/governance/committees/{cid}/items/{iid}?saved=option#options")).into_response()),
            Err(StoreError::Stale { current }) => {
                let i = item_in(&state, &cid, &iid).await?;
                let now = i.options.iter().find(|x| x.id == oid).ok_or(AppError::NotFound)?;
                let changes = caremarket_core::versions::changes([
                    ("Option", now.option.clone(), o.option.clone()),
                    ("Outcome", now.outcome.label().to_string(), o.outcome.label().to_string()),
                    ("Core reason", now.core_reason.clone(), o.core_reason.clone()),
                ]);
                let stale = crate::versions::stale(&state, "appraisal_option", &oid, current, expected, changes).await?;
                let reply = crate::versions::Reply::stale(stale.notice);
                return option_reply(&state, &user, &i, &oid, &kept(&form, stale.current), &errors, reply).await;
            }
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    option_form(&state, &user, &i, &oid, &form, &errors).await
}
