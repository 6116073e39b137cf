//! Scrutiny recommendations (`002`): the reviews, a review with its recommendations and agreed
//! actions, the forms that keep them, an action's dated progress updates (evidence, grade,
//! impact; never overwritten), and the progress update document in `002`'s shape with a summary
//! of grades and each grade that worsened since the action's last update flagged. Everyone who
//! reads governance reads these (`ViewGovernance`, councillors included); `ManageScrutiny` keeps
//! them.

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
use caremarket_core::governance::scrutiny::{
    ActionStanding, Grade, GradeSummary, NewAction, NewProgress, NewRecommendation, Progress, Review, ReviewHeader,
};
use caremarket_store::StoreError;
use caremarket_store::versions::Versioned;
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/governance/scrutiny", get(index))
        .route("/governance/scrutiny/new", get(new_form).post(create))
        .route("/governance/scrutiny/{id}", get(show))
        .route("/governance/scrutiny/{id}/edit", get(edit_form).post(edit))
        .route("/governance/scrutiny/{id}/import", get(import_form).post(import))
        .route("/governance/scrutiny/{id}/progress", get(document))
        .route("/governance/scrutiny/{id}/progress.docx", get(super::scrutiny_docx::download))
        .route("/governance/scrutiny/{id}/recommendations/new", get(recommendation_new_form).post(recommendation_create))
        .route("/governance/scrutiny/{id}/recommendations/{rid}/edit", get(recommendation_edit_form).post(recommendation_edit))
        .route("/governance/scrutiny/{id}/recommendations/{rid}/actions/new", get(action_new_form).post(action_create))
        .route("/governance/scrutiny/{id}/actions/{aid}/edit", get(action_edit_form).post(action_edit))
        .route("/governance/scrutiny/{id}/actions/{aid}", get(action).post(record_progress))
}

async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<String, AppError> {
    let base = user.context(state).await?;
    state.renderer.render(template, &base, page)
}

fn page(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

pub(super) fn format_date(d: Date) -> String {
    crate::render::format_date(&d.to_string())
}

/// "March 2024": how `002` names the progress update it reports.
pub(super) fn month_year(d: Date) -> String {
    d.strftime("%B %Y").to_string()
}

fn grade_view(g: Grade) -> Value {
    context! { number => g.number(), label => g.label(), written => g.written(), class => crate::tags::grade(Some(g)) }
}

fn progress_view(p: &Progress) -> Value {
    context! {
        id => p.id, dated_on => format_date(p.dated_on), month => month_year(p.dated_on),
        evidence => plain_text(&p.evidence), impact => plain_text(&p.impact), grade => grade_view(p.grade),
        recorded_by => p.recorded_by, recorded_at => crate::render::format_date(&p.recorded_at),
    }
}

fn standing_view(review_id: &str, s: &ActionStanding<'_>) -> Value {
    let a = s.action;
    context! {
        id => a.id, href => format!("/governance/scrutiny/{review_id}/actions/{}", a.id),
        action => plain_text(&a.action), responsibility => plain_text(&a.responsibility), due => plain_text(&a.due.text),
        success_measure => plain_text(&a.success_measure),
        current => s.current.map(progress_view), previous => s.previous.map(progress_view), worsened => s.worsened,
        updates => a.updates.len(),
    }
}

fn summary_view(s: &GradeSummary) -> Value {
    let rows: Vec<Value> = Grade::ALL.iter().map(|g| context! { grade => grade_view(*g), count => s.count(*g) }).collect();
    context! { rows => rows, ungraded => s.ungraded, graded => s.graded(), total => s.graded() + s.ungraded }
}

fn key_view() -> Vec<Value> {
    Grade::ALL.iter().map(|g| grade_view(*g)).collect()
}

/// The review as it stood at the end of `as_at`: each recommendation with its actions.
fn recommendations_view(review: &Review, as_at: Date) -> Vec<Value> {
    review
        .as_at(as_at)
        .into_iter()
        .map(|(r, actions)| {
            let worsened = actions.iter().filter(|s| s.worsened).count();
            let actions: Vec<Value> = actions.iter().map(|s| standing_view(&review.id, s)).collect();
            context! { id => r.id, number => r.number, text => plain_text(&r.text), actions => actions, worsened => worsened }
        })
        .collect()
}

fn header_view(h: &ReviewHeader) -> Value {
    context! {
        title => h.title, committee => h.committee, link_officers => h.link_officers,
        plan_agreed => h.plan_agreed.text, updates_due => h.updates_due.text,
    }
}

// ----- the list -----

async fn index(user: CurrentUser, State(state): State<AppState>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewGovernance)?;
    let reviews: Vec<Value> = state
        .store
        .scrutiny_reviews()
        .await?
        .into_iter()
        .map(|r| {
            context! {
                id => r.id, title => r.title, committee => r.committee, recommendations => r.recommendations, actions => r.actions,
                last_update => r.last_update.as_deref().map(crate::render::format_date),
            }
        })
        .collect();
    let can_manage = user.role().can(Permission::ManageScrutiny);
    Ok(Html(render(&state, &user, "governance_scrutiny.html", context! { reviews => reviews, can_manage => can_manage }).await?))
}

// ----- one review -----

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    as_at: Option<String>,
    saved: Option<String>,
}

fn parse_as_at(q: Option<&str>) -> Result<Option<Date>, AppError> {
    match q.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            s.parse::<Date>().map(Some).map_err(|_| AppError::BadRequest(format!("as_at must be a date like 2024-03-31; found '{s}'")))
        }
    }
}

async fn show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    let today = caremarket_store::today();
    let as_at = parse_as_at(q.as_at.as_deref())?.unwrap_or(today);
    let review = state.store.scrutiny_review(&id).await?;
    let banner = match q.saved.as_deref() {
        Some("created") => Some("Review created"),
        Some("edited") => Some("Review details saved"),
        Some("recommendation") => Some("Recommendation saved"),
        Some("action") => Some("Agreed action saved"),
        Some("progress") => Some("Progress update recorded"),
        _ => None,
    };
    let html = render(
        &state,
        &user,
        "governance_scrutiny_review.html",
        context! {
            id => review.id, header => header_view(&review.header),
            summary => summary_view(&review.grade_summary(as_at)), recommendations => recommendations_view(&review, as_at),
            as_at_text => format_date(as_at), is_today => as_at == today,
            update_dates => review.update_dates().into_iter().map(|d| context! { value => d.to_string(), text => format_date(d) }).collect::<Vec<_>>(),
            can_manage => user.role().can(Permission::ManageScrutiny), banner => banner,
        },
    )
    .await?;
    Ok(page(StatusCode::OK, html))
}

// ----- the progress update document -----

/// The date the document speaks for: the one asked for, else the latest progress update's, else today.
pub(super) fn document_date(review: &Review, asked: Option<Date>) -> Date {
    asked.or_else(|| review.update_dates().first().copied()).unwrap_or_else(caremarket_store::today)
}

async fn document(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    let review = state.store.scrutiny_review(&id).await?;
    let as_at = document_date(&review, parse_as_at(q.as_at.as_deref())?);
    let mut options: Vec<Value> =
        review.update_dates().into_iter().map(|d| context! { value => d.to_string(), text => format_date(d) }).collect();
    if !review.update_dates().contains(&as_at) {
        options.push(context! { value => as_at.to_string(), text => format_date(as_at) });
    }
    let recommendations = recommendations_view(&review, as_at);
    let worsened: Vec<Value> = review
        .as_at(as_at)
        .into_iter()
        .flat_map(|(r, actions)| {
            actions.into_iter().filter(|s| s.worsened).map(move |s| {
                context! {
                    number => r.number, action => plain_text(&s.action.action),
                    now => s.current.map(|p| p.grade.written()), before => s.previous.map(|p| p.grade.written()),
                    before_on => s.previous.map(|p| format_date(p.dated_on)),
                }
            })
        })
        .collect();
    let html = render(
        &state,
        &user,
        "governance_scrutiny_document.html",
        context! {
            id => review.id, header => header_view(&review.header), month => month_year(as_at), as_at => as_at.to_string(),
            as_at_text => format_date(as_at), options => options,
            summary => summary_view(&review.grade_summary(as_at)), recommendations => recommendations,
            worsened => worsened, key => key_view(),
        },
    )
    .await?;
    Ok(page(StatusCode::OK, html))
}

// ----- forms -----

/// A field of one of the simple forms (review, recommendation, action).
fn text_field(kind: &str, name: &str, label: &str, hint: &str, value: &str) -> serde_json::Value {
    json!({"kind": kind, "name": name, "label": label, "hint": hint, "value": value})
}

struct FormPage<'a> {
    title: &'a str,
    caption: String,
    action: String,
    back: String,
    button: &'a str,
    fields: Vec<serde_json::Value>,
    /// The version of the record a change form was opened at (decision 25); none on a form
    /// that adds one.
    version: Option<String>,
}

/// The form's `version` when it changes a record.
fn version_of(editing: bool, form: &[(String, String)]) -> Option<String> {
    editing.then(|| field(form, "version").to_string())
}

async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    f: FormPage<'_>,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    render_reply(state, user, f, errors, crate::versions::Reply::status(status)).await
}

async fn render_reply(
    state: &AppState,
    user: &CurrentUser,
    f: FormPage<'_>,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let html = render(
        state,
        user,
        "governance_scrutiny_form.html",
        context! {
            title => f.title, caption => f.caption, action => f.action, back => f.back, button => f.button, fields => f.fields,
            version => f.version, stale => reply.stale, errors => errors.list, field_errors => errors.by_field,
        },
    )
    .await?;
    Ok(page(reply.status, html))
}

/// A save refused because the record changed since its form was opened (decision 25): the form
/// again with what was typed, carrying the version now, and each field whose value now (`now`,
/// the form as it opens on the record today) differs from what was sent.
#[allow(clippy::too_many_arguments)]
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    entity_type: &str,
    record_id: &str,
    current: i64,
    now: FormPage<'_>,
    sent: &[(String, String)],
    page_for: impl Fn(&[(String, String)]) -> FormPage<'static>,
) -> Result<Response, AppError> {
    let expected = crate::versions::from_form(sent);
    let rows: Vec<(String, String, String)> = now
        .fields
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (text("label"), text("value"), field(sent, &text("name")).to_string())
        })
        .collect();
    let changes = caremarket_core::versions::changes(rows.iter().map(|(l, n, s)| (l.as_str(), n.clone(), s.clone())));
    let stale = crate::versions::stale(state, entity_type, record_id, current, expected, changes).await?;
    let mut kept: Vec<(String, String)> = sent.iter().filter(|(k, _)| k != "version").cloned().collect();
    kept.push(("version".into(), stale.current.to_string()));
    render_reply(state, user, page_for(&kept), &FormErrors::default(), crate::versions::Reply::stale(stale.notice)).await
}

fn review_form(id: Option<&str>, form: &[(String, String)]) -> FormPage<'static> {
    let v = |n: &str| field(form, n).to_string();
    FormPage {
        title: if id.is_some() { "Change the review's details" } else { "Add a scrutiny review" },
        caption: "Scrutiny".into(),
        action: id.map(|i| format!("/governance/scrutiny/{i}/edit")).unwrap_or_else(|| "/governance/scrutiny/new".into()),
        back: id.map(|i| format!("/governance/scrutiny/{i}")).unwrap_or_else(|| "/governance/scrutiny".into()),
        button: if id.is_some() { "Save the review's details" } else { "Add the review" },
        version: version_of(id.is_some(), form),
        fields: vec![
            text_field("input", "title", "Review", "The review's title, for example Care at Home.", &v("title")),
            text_field(
                "input",
                "committee",
                "Select committee (optional)",
                "For example, Adult Social Care and Health Select Committee.",
                &v("committee"),
            ),
            text_field(
                "input",
                "link_officers",
                "Link officers (optional)",
                "The officers who link the service to the committee.",
                &v("link_officers"),
            ),
            text_field(
                "input",
                "plan_agreed",
                "When the action plan was agreed",
                "A date or a month, for example February 2023.",
                &v("plan_agreed"),
            ),
            text_field(
                "input",
                "updates_due",
                "When progress updates are due (optional)",
                "Leave blank for about 12 months after the action plan was agreed.",
                &v("updates_due"),
            ),
        ],
    }
}

fn header_from(form: &[(String, String)]) -> Result<ReviewHeader, caremarket_core::FieldErrors> {
    ReviewHeader::parse(
        field(form, "title"),
        field(form, "committee"),
        field(form, "link_officers"),
        field(form, "plan_agreed"),
        field(form, "updates_due"),
        caremarket_store::today(),
    )
}

async fn new_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    render_form(&state, &user, review_form(None, &[]), &FormErrors::default(), StatusCode::OK).await
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    let mut errors = FormErrors::default();
    match header_from(&form) {
        Ok(h) => match state.store.create_scrutiny_review(&user.actor(), &h).await {
            Ok(id) => return Ok(Redirect::to(&format!("/governance/scrutiny/{id}?saved=created")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    render_form(&state, &user, review_form(None, &form), &errors, StatusCode::BAD_REQUEST).await
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The review's details as its change form opens on them, with their version.
async fn review_values(state: &AppState, id: &str) -> Result<Vec<(String, String)>, AppError> {
    let h = state.store.scrutiny_review(id).await?.header;
    let version = state.store.version_of(Versioned::ScrutinyReviews, id).await?.to_string();
    Ok(pairs(&[
        ("title", &h.title),
        ("committee", &h.committee),
        ("link_officers", &h.link_officers),
        ("plan_agreed", &h.plan_agreed.text),
        ("updates_due", &h.updates_due.text),
        ("version", &version),
    ]))
}

async fn edit_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    let form = review_values(&state, &id).await?;
    render_form(&state, &user, review_form(Some(&id), &form), &FormErrors::default(), StatusCode::OK).await
}

async fn edit(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    let mut errors = FormErrors::default();
    match header_from(&form) {
        Ok(h) => match state.store.update_scrutiny_review(&user.actor(), &id, &h, crate::versions::from_form(&form)).await {
            Ok(()) => return Ok(Redirect::to(&format!("/governance/scrutiny/{id}?saved=edited")).into_response()),
            Err(StoreError::Stale { current }) => {
                let now = review_form(Some(&id), &review_values(&state, &id).await?);
                return refused(&state, &user, "scrutiny_review", &id, current, now, &form, |f| review_form(Some(&id), f)).await;
            }
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    render_form(&state, &user, review_form(Some(&id), &form), &errors, StatusCode::BAD_REQUEST).await
}

// ----- recommendations -----

fn recommendation_form(id: &str, rid: Option<&str>, title: &str, form: &[(String, String)]) -> FormPage<'static> {
    FormPage {
        title: if rid.is_some() { "Change a recommendation" } else { "Add a recommendation" },
        caption: title.to_string(),
        action: match rid {
            Some(r) => format!("/governance/scrutiny/{id}/recommendations/{r}/edit"),
            None => format!("/governance/scrutiny/{id}/recommendations/new"),
        },
        back: format!("/governance/scrutiny/{id}"),
        button: "Save the recommendation",
        version: version_of(rid.is_some(), form),
        fields: vec![
            text_field("number", "number", "Recommendation number", "As the committee numbered it, for example 4.", field(form, "number")),
            text_field("textarea", "text", "Recommendation", "The recommendation as the committee agreed it.", field(form, "text")),
        ],
    }
}

async fn recommendation_new_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    let review = state.store.scrutiny_review(&id).await?;
    let next = review.recommendations.iter().map(|r| r.number).max().unwrap_or(0) + 1;
    let form = pairs(&[("number", &next.to_string())]);
    render_form(&state, &user, recommendation_form(&id, None, &review.header.title, &form), &FormErrors::default(), StatusCode::OK).await
}

async fn save_recommendation(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    rid: Option<&str>,
    form: &[(String, String)],
) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    let review = state.store.scrutiny_review(id).await?;
    if let Some(r) = rid
        && !review.recommendations.iter().any(|x| x.id == r)
    {
        return Err(AppError::NotFound);
    }
    let mut errors = FormErrors::default();
    match NewRecommendation::parse(field(form, "number"), field(form, "text")) {
        Ok(r) => {
            let saved = match rid {
                Some(rid) => state.store.update_scrutiny_recommendation(&user.actor(), rid, &r, crate::versions::from_form(form)).await,
                None => state.store.add_scrutiny_recommendation(&user.actor(), id, &r).await.map(|_| ()),
            };
            match (saved, rid) {
                (Ok(()), _) => return Ok(Redirect::to(&format!("/governance/scrutiny/{id}?saved=recommendation")).into_response()),
                (Err(StoreError::Stale { current }), Some(rid)) => {
                    let review = state.store.scrutiny_review(id).await?;
                    let now = recommendation_form(id, Some(rid), &review.header.title, &recommendation_values(state, &review, rid).await?);
                    let title = review.header.title.clone();
                    let page_for = |f: &[(String, String)]| recommendation_form(id, Some(rid), &title, f);
                    return refused(state, user, "scrutiny_recommendation", rid, current, now, form, page_for).await;
                }
                (Err(e), _) => errors.add_store(e)?,
            }
        }
        Err(e) => errors.extend(e),
    }
    render_form(state, user, recommendation_form(id, rid, &review.header.title, form), &errors, StatusCode::BAD_REQUEST).await
}

async fn recommendation_create(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    save_recommendation(&state, &user, &id, None, &form).await
}

/// A recommendation as its change form opens on it, with its version.
async fn recommendation_values(state: &AppState, review: &Review, rid: &str) -> Result<Vec<(String, String)>, AppError> {
    let r = review.recommendations.iter().find(|r| r.id == rid).ok_or(AppError::NotFound)?;
    let version = state.store.version_of(Versioned::ScrutinyRecommendations, rid).await?.to_string();
    Ok(pairs(&[("number", &r.number.to_string()), ("text", &r.text), ("version", &version)]))
}

async fn recommendation_edit_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, rid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    let review = state.store.scrutiny_review(&id).await?;
    let form = recommendation_values(&state, &review, &rid).await?;
    render_form(&state, &user, recommendation_form(&id, Some(&rid), &review.header.title, &form), &FormErrors::default(), StatusCode::OK)
        .await
}

async fn recommendation_edit(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, rid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    save_recommendation(&state, &user, &id, Some(&rid), &form).await
}

// ----- agreed actions -----

fn action_form(id: &str, target: ActionTarget<'_>, caption: String, form: &[(String, String)]) -> FormPage<'static> {
    let (title, action) = match target {
        ActionTarget::New(rid) => ("Add an agreed action", format!("/governance/scrutiny/{id}/recommendations/{rid}/actions/new")),
        ActionTarget::Edit(aid) => ("Change an agreed action", format!("/governance/scrutiny/{id}/actions/{aid}/edit")),
    };
    FormPage {
        title,
        caption,
        action,
        back: format!("/governance/scrutiny/{id}"),
        button: "Save the action",
        version: version_of(matches!(target, ActionTarget::Edit(_)), form),
        fields: vec![
            text_field("textarea", "action", "Agreed action", "What the council agreed to do.", field(form, "action")),
            text_field(
                "input",
                "responsibility",
                "Responsible officers or teams",
                "For example, Catherine Buller / Quality and Compliance Team.",
                field(form, "responsibility"),
            ),
            text_field("input", "due", "Due date", "A date, a month such as April 2023, or Ongoing.", field(form, "due")),
            text_field(
                "textarea",
                "success_measure",
                "Agreed success measure (optional)",
                "How the committee will know it is done.",
                field(form, "success_measure"),
            ),
        ],
    }
}

#[derive(Clone, Copy)]
enum ActionTarget<'a> {
    New(&'a str),
    Edit(&'a str),
}

fn recommendation_caption(review: &Review, rid: &str) -> Result<String, AppError> {
    review.recommendations.iter().find(|r| r.id == rid).map(|r| format!("Recommendation {}", r.number)).ok_or(AppError::NotFound)
}

fn action_caption(review: &Review, aid: &str) -> Result<String, AppError> {
    review
        .recommendations
        .iter()
        .find(|r| r.actions.iter().any(|a| a.id == aid))
        .map(|r| format!("Recommendation {}", r.number))
        .ok_or(AppError::NotFound)
}

async fn action_new_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, rid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    let review = state.store.scrutiny_review(&id).await?;
    let caption = recommendation_caption(&review, &rid)?;
    render_form(&state, &user, action_form(&id, ActionTarget::New(&rid), caption, &[]), &FormErrors::default(), StatusCode::OK).await
}

async fn save_action(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    target: ActionTarget<'_>,
    form: &[(String, String)],
) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    let review = state.store.scrutiny_review(id).await?;
    let caption = match target {
        ActionTarget::New(rid) => recommendation_caption(&review, rid)?,
        ActionTarget::Edit(aid) => action_caption(&review, aid)?,
    };
    let mut errors = FormErrors::default();
    match NewAction::parse(field(form, "action"), field(form, "responsibility"), field(form, "due"), field(form, "success_measure")) {
        Ok(a) => {
            let saved = match target {
                ActionTarget::New(rid) => state.store.add_scrutiny_action(&user.actor(), rid, &a).await.map(|_| ()),
                ActionTarget::Edit(aid) => {
                    state.store.update_scrutiny_action(&user.actor(), aid, &a, crate::versions::from_form(form)).await
                }
            };
            match (saved, target) {
                (Ok(()), _) => return Ok(Redirect::to(&format!("/governance/scrutiny/{id}?saved=action")).into_response()),
                (Err(StoreError::Stale { current }), ActionTarget::Edit(aid)) => {
                    let review = state.store.scrutiny_review(id).await?;
                    let now = action_form(id, target, caption.clone(), &action_values(state, &review, aid).await?);
                    let page_for = |f: &[(String, String)]| action_form(id, target, caption.clone(), f);
                    return refused(state, user, "scrutiny_action", aid, current, now, form, page_for).await;
                }
                (Err(e), _) => errors.add_store(e)?,
            }
        }
        Err(e) => errors.extend(e),
    }
    render_form(state, user, action_form(id, target, caption, form), &errors, StatusCode::BAD_REQUEST).await
}

async fn action_create(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, rid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    save_action(&state, &user, &id, ActionTarget::New(&rid), &form).await
}

/// An agreed action as its change form opens on it, with its version.
async fn action_values(state: &AppState, review: &Review, aid: &str) -> Result<Vec<(String, String)>, AppError> {
    let a = review.actions().find(|a| a.id == aid).ok_or(AppError::NotFound)?;
    let version = state.store.version_of(Versioned::ScrutinyActions, aid).await?.to_string();
    Ok(pairs(&[
        ("action", &a.action),
        ("responsibility", &a.responsibility),
        ("due", &a.due.text),
        ("success_measure", &a.success_measure),
        ("version", &version),
    ]))
}

async fn action_edit_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, aid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    let review = state.store.scrutiny_review(&id).await?;
    let caption = action_caption(&review, &aid)?;
    let form = action_values(&state, &review, &aid).await?;
    render_form(&state, &user, action_form(&id, ActionTarget::Edit(&aid), caption, &form), &FormErrors::default(), StatusCode::OK).await
}

async fn action_edit(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, aid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    save_action(&state, &user, &id, ActionTarget::Edit(&aid), &form).await
}

// ----- an action's progress updates -----

fn grade_options() -> Vec<serde_json::Value> {
    Grade::ALL.iter().map(|g| json!({"value": g.as_str(), "text": g.written()})).collect()
}

async fn render_action(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    aid: &str,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let review = state.store.scrutiny_review(id).await?;
    let Some((r, a)) = review.recommendations.iter().find_map(|r| r.actions.iter().find(|a| a.id == aid).map(|a| (r, a))) else {
        return Err(AppError::NotFound);
    };
    // Newest first, each flagged when its grade is worse than the update before it.
    let updates: Vec<Value> = a
        .updates
        .iter()
        .enumerate()
        .rev()
        .map(|(i, u)| {
            let s = a.standing(u.dated_on);
            let is_standing = s.current.map(|c| c.id == u.id).unwrap_or(false);
            let worsened = is_standing && s.worsened;
            // A correction recorded later the same day replaced this one.
            let replaced = !is_standing && a.updates[i + 1..].iter().any(|later| later.dated_on == u.dated_on);
            context! { ..progress_view(u), ..context! { worsened => worsened, replaced => replaced } }
        })
        .collect();
    let dated_on: Value = if form.is_empty() { Value::from(caremarket_store::today().to_string()) } else { date_parts(form, "dated_on") };
    let html = render(
        state,
        user,
        "governance_scrutiny_action.html",
        context! {
            id => review.id, title => review.header.title, number => r.number, recommendation => plain_text(&r.text),
            action => standing_view(&review.id, &a.standing(caremarket_store::today())), updates => updates,
            can_manage => user.role().can(Permission::ManageScrutiny), grade_options => grade_options(),
            errors => errors.list, field_errors => errors.by_field,
            dated_on => dated_on, evidence => field(form, "evidence"), grade => field(form, "grade"), impact => field(form, "impact"),
        },
    )
    .await?;
    Ok(page(status, html))
}

async fn action(user: CurrentUser, State(state): State<AppState>, Path((id, aid)): Path<(String, String)>) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    render_action(&state, &user, &id, &aid, &[], &FormErrors::default(), StatusCode::OK).await
}

async fn record_progress(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, aid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    let review = state.store.scrutiny_review(&id).await?;
    if !review.actions().any(|a| a.id == aid) {
        return Err(AppError::NotFound);
    }
    let mut errors = FormErrors::new(&["dated_on"]);
    let dated_on = errors.check("dated_on", form_date(&form, "dated_on", "Date of the progress update")).flatten();
    let parsed =
        NewProgress::parse(dated_on, field(&form, "evidence"), field(&form, "grade"), field(&form, "impact"), caremarket_store::today());
    match parsed {
        Ok(p) if errors.is_empty() => match state.store.record_scrutiny_progress(&user.actor(), &aid, &p).await {
            Ok(_) => return Ok(Redirect::to(&format!("/governance/scrutiny/{id}?saved=progress")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Ok(_) => {}
        Err(e) => errors.extend(e),
    }
    render_action(&state, &user, &id, &aid, &form, &errors, StatusCode::BAD_REQUEST).await
}

// ----- import -----

async fn render_import(
    state: &AppState,
    user: &CurrentUser,
    review: &Review,
    form: &[(String, String)],
    errors: &FormErrors,
    result: Option<Value>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let dated_on: Value = if form.is_empty() { Value::from(caremarket_store::today().to_string()) } else { date_parts(form, "dated_on") };
    let html = render(
        state,
        user,
        "governance_scrutiny_import.html",
        context! {
            id => review.id, title => review.header.title, errors => errors.list, field_errors => errors.by_field,
            dated_on => dated_on, result => result,
        },
    )
    .await?;
    Ok(page(status, html))
}

async fn import_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    let review = state.store.scrutiny_review(&id).await?;
    render_import(&state, &user, &review, &[], &FormErrors::default(), None, StatusCode::OK).await
}

async fn import(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    multipart: crate::csrf::LateMultipart,
) -> Result<Response, AppError> {
    user.require(Permission::ManageScrutiny)?;
    let multipart = crate::csrf::opened(multipart)?;
    let review = state.store.scrutiny_review(&id).await?;
    let upload = crate::forms::read_upload(&user, multipart).await?;
    let form = upload.fields;
    let mut errors = FormErrors::new(&["dated_on"]);
    if let Some(p) = upload.problem {
        errors.add("file", &p);
    }
    let dated_on = match form_date(&form, "dated_on", "Date of the progress update") {
        Ok(Some(d)) if d > caremarket_store::today() => {
            errors.add("dated_on", "The date of the progress update must be today or in the past");
            None
        }
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.add("dated_on", "Enter the date of the progress update");
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
            errors.add("file", "Select a CSV or XLSX file of the progress update table");
            None
        }
        Some((name, bytes)) => match caremarket_ingest::governance::scrutiny::read_scrutiny(name, bytes) {
            Ok(rows) => Some(rows),
            Err(e) => {
                errors.add("file", &e.to_string());
                None
            }
        },
    };
    if let (Some(rows), Some(dated_on), true) = (rows, dated_on, errors.is_empty()) {
        match state.store.import_scrutiny(&user.actor(), &id, &rows, dated_on).await {
            Ok(summary) => {
                let result = context! {
                    recommendations_added => summary.recommendations_added, actions_added => summary.actions_added,
                    updates => summary.updates, without_progress => summary.without_progress, dated_on => format_date(dated_on),
                };
                return render_import(&state, &user, &review, &[], &FormErrors::default(), Some(result), StatusCode::OK).await;
            }
            Err(e) => errors.add_store(e)?,
        }
    }
    render_import(&state, &user, &review, &form, &errors, None, StatusCode::BAD_REQUEST).await
}
