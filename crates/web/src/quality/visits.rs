//! Quality visits and meetings (`000` Provider Visits & Monitoring): the list with filters (the
//! dashboard's "visits January to October" links here), recording a visit, scoring it on the
//! framework for the service's kind (and the Making it Real I statements), writing the report,
//! and finalising it, which raises an action for every Requires Improvement or Poor judgement.
//!
//! Staff with ViewQuality read; quality officers (RecordQuality) record. Provider users are
//! refused: they see their action plans through the portal, not the officers' visit records.

use crate::AppState;
use crate::auth::{CurrentUser, session_context};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{date_parts, field, form_date};
use crate::render::field_error;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::quality::{Activity, Judgement, VisitType};
use caremarket_core::register::ServiceKind;
use caremarket_store::StoreError;
use caremarket_store::quality::frameworks::Standard;
use caremarket_store::quality::visits::{ActionDraft, NewVisit, ScoreInput, Visit, VisitFilter};
use minijinja::{Value, context};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/visits", get(list))
        .route("/quality/visits/new", get(new_form).post(create))
        .route("/quality/visits/{id}", get(show))
        .route("/quality/visits/{id}/edit", get(edit_form).post(edit))
        .route("/quality/visits/{id}/score", get(score_form).post(score))
        .route("/quality/visits/{id}/finalise", get(finalise_form).post(finalise))
}

// ----- shared by the quality pages' forms -----

/// Field errors for a form: the GOV.UK error summary's list and the inline message per field.
#[derive(Default)]
pub(super) struct Errors {
    pub(super) list: Vec<Value>,
    pub(super) by_field: BTreeMap<String, String>,
}

/// Date inputs are linked to their day field.
pub(super) const DATE_FIELDS: [&str; 3] = ["visit_date", "due_on", "accepted_on"];

impl Errors {
    pub(super) fn add(&mut self, field: &str, message: &str) {
        if self.by_field.contains_key(field) {
            return;
        }
        let is_date = DATE_FIELDS.iter().any(|d| field == *d || field.starts_with(&format!("{d}-")));
        let target = if is_date { format!("{field}-day") } else { field.to_string() };
        self.list.push(field_error(&target, message));
        self.by_field.insert(field.to_string(), message.to_string());
    }
    pub(super) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    /// A validation error from the store becomes a field error; anything else stays an error.
    pub(super) fn add_store(&mut self, e: StoreError) -> Result<(), AppError> {
        match e {
            StoreError::Invalid(fe) => {
                self.add(&fe.field, &fe.message);
                Ok(())
            }
            StoreError::Conflict(m) => {
                self.list.push(field_error("", &m));
                Ok(())
            }
            other => Err(other.into()),
        }
    }
}

pub(super) fn options<T: Copy>(all: &[T], value: impl Fn(T) -> &'static str, text: impl Fn(T) -> &'static str) -> Vec<serde_json::Value> {
    all.iter().map(|v| json!({"value": value(*v), "text": text(*v)})).collect()
}

fn judgement_options() -> Vec<serde_json::Value> {
    let mut v = vec![json!({"value": "", "text": "Not assessed"})];
    v.extend(options(Judgement::ALL, Judgement::as_str, Judgement::label));
    v
}

/// A standard with what was recorded against it, for the scoring form and the visit page.
#[derive(Debug, Serialize)]
struct StandardRow {
    id: String,
    code: String,
    title: String,
    guidance: Option<String>,
    inferred: bool,
    judgement: String,
    judgement_label: Option<&'static str>,
    tag_class: Option<&'static str>,
    evidence: String,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct DomainGroup {
    framework: String,
    domain: String,
    standards: Vec<StandardRow>,
}

/// Standards grouped by domain in framework order.
fn group(framework: &str, rows: Vec<(Standard, StandardRow)>, out: &mut Vec<DomainGroup>) {
    for (s, row) in rows {
        match out.last_mut() {
            Some(g) if g.domain == s.domain && g.framework == framework => g.standards.push(row),
            _ => out.push(DomainGroup { framework: framework.to_string(), domain: s.domain.clone(), standards: vec![row] }),
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct VisitRow {
    id: String,
    service_id: String,
    service_name: String,
    provider_name: String,
    kind_label: &'static str,
    visit_date: String,
    activity: &'static str,
    visit_type: &'static str,
    announced: &'static str,
    framework: Option<String>,
    status: &'static str,
    is_final: bool,
    ri_or_poor: i64,
    scored: i64,
}

pub(super) fn visit_row(v: &Visit) -> VisitRow {
    VisitRow {
        id: v.id.clone(),
        service_id: v.service_id.clone(),
        service_name: v.service_name.clone(),
        provider_name: v.provider_name.clone(),
        kind_label: v.service_kind.label(),
        visit_date: v.visit_date.clone(),
        activity: v.activity.label(),
        visit_type: v.visit_type.label(),
        announced: if v.announced { "Announced" } else { "Unannounced" },
        framework: v.framework_name.clone(),
        status: if v.is_final() { "Final" } else { "Draft" },
        is_final: v.is_final(),
        ri_or_poor: v.ri_or_poor,
        scored: v.scored,
    }
}

async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<String, AppError> {
    let base = session_context(state, &user.session).await?;
    state.renderer.render(template, &base, page)
}

// ----- the list -----

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewQuality)?;
    let mut errors = Errors::default();
    let mut date_q = |name: &str, label: &str| -> Option<Date> {
        let v = field(&q, name).trim();
        if v.is_empty() {
            return None;
        }
        match v.parse::<Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.add(name, &format!("{label} must be a date like 2024-01-31"));
                None
            }
        }
    };
    let from = date_q("from", "From");
    let to = date_q("to", "To");
    let values = |name: &str| q.iter().filter(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
    let activities: Vec<Activity> = values("activity").into_iter().filter_map(Activity::parse).collect();
    let kinds: Vec<ServiceKind> = values("kind").into_iter().filter_map(ServiceKind::parse).collect();
    let visit_type = VisitType::parse(field(&q, "visit_type"));
    let service_id = Some(field(&q, "service_id").trim().to_string()).filter(|s| !s.is_empty());
    let status = Some(field(&q, "status").trim().to_string()).filter(|s| s == "draft" || s == "final");
    let filter = VisitFilter {
        from,
        to,
        activities: activities.clone(),
        visit_type,
        kinds: kinds.clone(),
        service_id: service_id.clone(),
        status: status.clone(),
        limit: 500,
        ..Default::default()
    };
    let (total, visits) = state.store.visits(&filter).await?;
    let service_name = match &service_id {
        Some(id) => state.store.service(id).await.ok().map(|s| s.name),
        None => None,
    };
    let rows: Vec<VisitRow> = visits.iter().map(visit_row).collect();
    let kind_options: Vec<serde_json::Value> = ServiceKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})).collect();
    let mut activity_options = vec![json!({"value": "", "text": "Any"})];
    activity_options.extend(options(Activity::ALL, Activity::as_str, Activity::label));
    let mut type_options = vec![json!({"value": "", "text": "Any"})];
    type_options.extend(options(VisitType::ALL, VisitType::as_str, VisitType::label));
    let html = render(
        &state,
        &user,
        "quality_visits.html",
        context! {
            errors => errors.list,
            field_errors => errors.by_field,
            total => total,
            shown => rows.len(),
            visits => rows,
            from => field(&q, "from"),
            to => field(&q, "to"),
            activity => activities.first().map(|a| a.as_str()).unwrap_or(""),
            activity_options => activity_options,
            visit_type => visit_type.map(|t| t.as_str()).unwrap_or(""),
            type_options => type_options,
            kinds => kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            kind_options => kind_options,
            kind_labels => kinds.iter().map(|k| k.label()).collect::<Vec<_>>(),
            activity_labels => activities.iter().map(|a| a.label()).collect::<Vec<_>>(),
            service_id => service_id,
            service_name => service_name,
            status => status,
            can_record => user.role().can(Permission::RecordQuality),
        },
    )
    .await?;
    Ok(Html(html))
}

// ----- recording and editing a visit -----

fn yes(form: &[(String, String)], name: &str) -> bool {
    matches!(field(form, name), "yes" | "1" | "true" | "on")
}

/// Read the visit form into a `NewVisit`, or the errors that stop it.
fn read_visit(form: &[(String, String)], service_id: &str, errors: &mut Errors) -> Option<NewVisit> {
    let activity = Activity::parse(field(form, "activity"));
    if activity.is_none() {
        errors.add("activity", "Choose what kind of visit or meeting it was");
    }
    let visit_type = VisitType::parse(field(form, "visit_type"));
    if visit_type.is_none() {
        errors.add("visit_type", "Choose routine or responsive");
    }
    let announced = match field(form, "announced") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add("announced", "Choose whether the visit was announced");
            None
        }
    };
    let visit_date = match form_date(form, "visit_date", "Date of the visit") {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.add("visit_date", "Enter the date of the visit");
            None
        }
        Err(m) => {
            errors.add("visit_date", &m);
            None
        }
    };
    let officers = field(form, "officers").trim().to_string();
    if officers.is_empty() {
        errors.add("officers", "Enter the officers who carried out the visit");
    }
    let mut count = |name: &str, what: &str| -> i64 {
        let v = field(form, name).trim();
        if v.is_empty() {
            return 0;
        }
        match v.parse::<i64>() {
            Ok(n) if (0..=10_000).contains(&n) => n,
            _ => {
                errors.add(name, &format!("The number of {what} spoken to must be a whole number, 0 or more"));
                0
            }
        }
    };
    let people = count("people_spoken_to", "people using the service");
    let relatives = count("relatives_spoken_to", "relatives");
    let staff = count("staff_spoken_to", "staff");
    let opt = |name: &str| Some(field(form, name).trim().to_string()).filter(|s| !s.is_empty());
    if !errors.is_empty() {
        return None;
    }
    Some(NewVisit {
        service_id: service_id.to_string(),
        activity: activity?,
        visit_type: visit_type?,
        announced: announced?,
        visit_date: visit_date?,
        officers,
        people_spoken_to: people,
        relatives_spoken_to: relatives,
        staff_spoken_to: staff,
        framework_id: opt("framework_id"),
        outcomes_framework_id: opt("outcomes_framework_id"),
        feedback_given_on_day: yes(form, "feedback_given_on_day"),
    })
}

/// The visit form for a service, new (`visit` none) or editing a draft.
async fn render_visit_form(
    state: &AppState,
    user: &CurrentUser,
    service_id: &str,
    visit: Option<&Visit>,
    form: &[(String, String)],
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let service = state.store.service(service_id).await?;
    let mut framework_options = vec![json!({"value": "", "text": "No framework (a meeting without scores)"})];
    framework_options.extend(
        state.store.qa_frameworks_for_kind(service.kind, "standards").await?.iter().map(|f| json!({"value": f.id, "text": f.name})),
    );
    let mut outcomes_options = vec![json!({"value": "", "text": "Not used on this visit"})];
    outcomes_options
        .extend(state.store.qa_frameworks_for_kind(service.kind, "outcomes").await?.iter().map(|f| json!({"value": f.id, "text": f.name})));
    let yes_no = vec![json!({"value": "yes", "text": "Yes"}), json!({"value": "no", "text": "No"})];
    let html = render(
        state,
        user,
        "quality_visit_form.html",
        context! {
            service => context! { id => service.id, name => service.name, provider_name => service.provider_name, kind_label => service.kind.label() },
            visit_id => visit.map(|v| v.id.clone()),
            errors => errors.list,
            field_errors => errors.by_field,
            activity => field(form, "activity"),
            activity_options => options(Activity::ALL, Activity::as_str, Activity::label),
            visit_type => field(form, "visit_type"),
            type_options => options(VisitType::ALL, VisitType::as_str, VisitType::label),
            announced => field(form, "announced"),
            yes_no => yes_no,
            visit_date => date_parts(form, "visit_date"),
            officers => field(form, "officers"),
            people_spoken_to => field(form, "people_spoken_to"),
            relatives_spoken_to => field(form, "relatives_spoken_to"),
            staff_spoken_to => field(form, "staff_spoken_to"),
            framework_id => field(form, "framework_id"),
            framework_options => framework_options,
            outcomes_framework_id => field(form, "outcomes_framework_id"),
            outcomes_options => outcomes_options,
            feedback => if yes(form, "feedback_given_on_day") { vec!["yes"] } else { vec![] },
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

#[derive(Debug, serde::Deserialize)]
struct NewQuery {
    service_id: Option<String>,
}

async fn new_form(user: CurrentUser, State(state): State<AppState>, Query(q): Query<NewQuery>) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let Some(service_id) = q.service_id.filter(|s| !s.trim().is_empty()) else {
        return Err(AppError::BadRequest("Choose a service first: open the service's quality tab and record a visit from there.".into()));
    };
    let service = state.store.service(&service_id).await?;
    // Sensible defaults: a routine, announced quality visit on the framework for its kind.
    let first = state.store.qa_frameworks_for_kind(service.kind, "standards").await?;
    let preferred = first.iter().find(|f| !f.applies_to.is_empty()).or(first.first()).map(|f| f.id.clone()).unwrap_or_default();
    let form = vec![
        ("activity".to_string(), "quality_visit".to_string()),
        ("visit_type".into(), "routine".into()),
        ("announced".into(), "yes".into()),
        ("framework_id".into(), preferred),
    ];
    render_visit_form(&state, &user, &service_id, None, &form, &Errors::default(), StatusCode::OK).await
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let service_id = field(&form, "service_id").trim().to_string();
    if state.store.service(&service_id).await.is_err() {
        return Err(AppError::BadRequest("Choose a service from the register.".into()));
    }
    let mut errors = Errors::default();
    if let Some(v) = read_visit(&form, &service_id, &mut errors) {
        match state.store.create_visit(&user.actor(), &v, caremarket_store::today()).await {
            Ok(id) => return Ok(Redirect::to(&format!("/quality/visits/{id}/score")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_visit_form(&state, &user, &service_id, None, &form, &errors, StatusCode::BAD_REQUEST).await
}

async fn draft_visit(state: &AppState, id: &str) -> Result<Visit, AppError> {
    let v = state.store.visit(id).await?;
    if v.is_final() {
        return Err(AppError::BadRequest("This visit has been finalised: its record and scores can no longer be changed.".into()));
    }
    Ok(v)
}

async fn edit_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let v = draft_visit(&state, &id).await?;
    let (y, m, d) = v.visit_date.split_once('-').and_then(|(y, r)| r.split_once('-').map(|(m, d)| (y, m, d))).unwrap_or(("", "", ""));
    let mut form: Vec<(String, String)> = vec![
        ("activity".into(), v.activity.as_str().into()),
        ("visit_type".into(), v.visit_type.as_str().into()),
        ("announced".into(), if v.announced { "yes" } else { "no" }.into()),
        ("visit_date-day".into(), d.trim_start_matches('0').into()),
        ("visit_date-month".into(), m.trim_start_matches('0').into()),
        ("visit_date-year".into(), y.into()),
        ("officers".into(), v.officers.clone()),
        ("people_spoken_to".into(), v.people_spoken_to.to_string()),
        ("relatives_spoken_to".into(), v.relatives_spoken_to.to_string()),
        ("staff_spoken_to".into(), v.staff_spoken_to.to_string()),
        ("framework_id".into(), v.framework_id.clone().unwrap_or_default()),
        ("outcomes_framework_id".into(), v.outcomes_framework_id.clone().unwrap_or_default()),
    ];
    if v.feedback_given_on_day {
        form.push(("feedback_given_on_day".into(), "yes".into()));
    }
    render_visit_form(&state, &user, &v.service_id, Some(&v), &form, &Errors::default(), StatusCode::OK).await
}

async fn edit(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let v = draft_visit(&state, &id).await?;
    let mut errors = Errors::default();
    if let Some(nv) = read_visit(&form, &v.service_id, &mut errors) {
        match state.store.update_visit(&user.actor(), &id, &nv, caremarket_store::today()).await {
            Ok(()) => return Ok(Redirect::to(&format!("/quality/visits/{id}")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_visit_form(&state, &user, &v.service_id, Some(&v), &form, &errors, StatusCode::BAD_REQUEST).await
}

// ----- the visit page, scoring and finalising -----

/// The standards of the visit's frameworks (active ones, plus any inactive one already scored)
/// grouped by domain, with what the form or the record says about each.
async fn standard_groups(
    state: &AppState,
    v: &Visit,
    judged: impl Fn(&str) -> (String, String),
    errors: &Errors,
    scored_only: bool,
) -> Result<Vec<DomainGroup>, AppError> {
    let mut groups = Vec::new();
    for (fid, fname) in [(&v.framework_id, &v.framework_name), (&v.outcomes_framework_id, &v.outcomes_framework_name)] {
        let (Some(fid), Some(fname)) = (fid, fname) else { continue };
        let rows: Vec<(Standard, StandardRow)> = state
            .store
            .qa_standards(fid, true)
            .await?
            .into_iter()
            .filter_map(|s| {
                let (j, evidence) = judged(&s.id);
                if (scored_only || !s.active) && j.is_empty() {
                    return None;
                }
                let parsed = Judgement::parse(&j);
                let row = StandardRow {
                    id: s.id.clone(),
                    code: s.code.clone(),
                    title: s.title.clone(),
                    guidance: s.guidance.clone(),
                    inferred: s.inferred(),
                    judgement: parsed.map(|p| p.as_str().to_string()).unwrap_or(j),
                    judgement_label: parsed.map(Judgement::label),
                    tag_class: parsed.map(Judgement::tag_class),
                    evidence,
                    error: errors.by_field.get(&format!("judgement-{}", s.id)).cloned(),
                };
                Some((s, row))
            })
            .collect();
        group(fname, rows, &mut groups);
    }
    Ok(groups)
}

#[derive(Debug, serde::Deserialize, Default)]
struct ShowQuery {
    saved: Option<String>,
    finalised: Option<String>,
}

async fn show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewQuality)?;
    let v = state.store.visit(&id).await?;
    let scores = state.store.visit_scores(&id).await?;
    let by_id: BTreeMap<String, (String, String)> = scores
        .iter()
        .map(|s| (s.standard_id.clone(), (s.judgement.as_str().to_string(), s.evidence.clone().unwrap_or_default())))
        .collect();
    let groups = standard_groups(&state, &v, |sid| by_id.get(sid).cloned().unwrap_or_default(), &Errors::default(), true).await?;
    let actions = state.store.actions_for_service(&v.service_id).await?;
    let raised: Vec<_> = actions
        .iter()
        .filter(|a| a.visit_id.as_deref() == Some(id.as_str()))
        .map(|a| context! { id => a.id, title => a.title, owner => a.owner, due_on => a.due_on, status => a.status.label() })
        .collect();
    let counts: Vec<(&'static str, usize)> =
        Judgement::ALL.iter().map(|j| (j.label(), scores.iter().filter(|s| s.judgement == *j).count())).collect();
    let banner = if q.finalised.is_some() {
        Some(format!(
            "Visit finalised: {} raised",
            if raised.len() == 1 { "1 action".to_string() } else { format!("{} actions", raised.len()) }
        ))
    } else if q.saved.is_some() {
        Some("Scores and report saved".to_string())
    } else {
        None
    };
    let html = render(
        &state,
        &user,
        "quality_visit.html",
        context! {
            visit => v,
            row => visit_row(&v),
            groups => groups,
            counts => counts,
            actions => raised,
            banner => banner,
            can_record => user.role().can(Permission::RecordQuality),
        },
    )
    .await?;
    Ok(Html(html))
}

async fn render_score(
    state: &AppState,
    user: &CurrentUser,
    v: &Visit,
    form: Option<&[(String, String)]>,
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let saved = state.store.visit_scores(&v.id).await?;
    let by_id: BTreeMap<String, (String, String)> =
        saved.iter().map(|s| (s.standard_id.clone(), (s.judgement.as_str().to_string(), s.evidence.clone().unwrap_or_default()))).collect();
    let judged = |sid: &str| match form {
        Some(f) => (field(f, &format!("judgement-{sid}")).to_string(), field(f, &format!("evidence-{sid}")).to_string()),
        None => by_id.get(sid).cloned().unwrap_or_default(),
    };
    let groups = standard_groups(state, v, judged, errors, false).await?;
    let report = match form {
        Some(f) => field(f, "report").to_string(),
        None => v.report.clone().unwrap_or_default(),
    };
    let html = render(
        state,
        user,
        "quality_visit_score.html",
        context! {
            visit => v,
            row => visit_row(v),
            groups => groups,
            judgement_options => judgement_options(),
            report => report,
            errors => errors.list,
            field_errors => errors.by_field,
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn score_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let v = draft_visit(&state, &id).await?;
    render_score(&state, &user, &v, None, &Errors::default(), StatusCode::OK).await
}

async fn score(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let v = draft_visit(&state, &id).await?;
    let scores: Vec<ScoreInput> = form
        .iter()
        .filter_map(|(k, val)| k.strip_prefix("judgement-").map(|sid| (sid, val)))
        .map(|(sid, val)| ScoreInput {
            standard_id: sid.to_string(),
            judgement: val.clone(),
            evidence: Some(field(&form, &format!("evidence-{sid}")).to_string()),
        })
        .collect();
    let mut errors = Errors::default();
    match state.store.score_visit(&user.actor(), &id, &scores, Some(field(&form, "report"))).await {
        Ok(()) => {
            let next = if field(&form, "next") == "finalise" {
                format!("/quality/visits/{id}/finalise")
            } else {
                format!("/quality/visits/{id}?saved=1")
            };
            return Ok(Redirect::to(&next).into_response());
        }
        Err(e) => errors.add_store(e)?,
    }
    render_score(&state, &user, &v, Some(&form), &errors, StatusCode::BAD_REQUEST).await
}

async fn render_finalise(
    state: &AppState,
    user: &CurrentUser,
    v: &Visit,
    form: &[(String, String)],
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let needing: Vec<_> = state
        .store
        .visit_scores(&v.id)
        .await?
        .into_iter()
        .filter(|s| s.judgement.raises_action())
        .map(|s| {
            let sid = s.standard_id.clone();
            let get = |p: &str| field(form, &format!("{p}-{sid}")).to_string();
            context! {
                id => sid,
                code => s.code,
                title => s.title,
                judgement => s.judgement.label(),
                tag_class => s.judgement.tag_class(),
                evidence => s.evidence,
                action_title => get("title"),
                owner => get("owner"),
                due_on => date_parts(form, &format!("due_on-{sid}")),
                title_error => errors.by_field.get(&format!("title-{sid}")).cloned(),
                owner_error => errors.by_field.get(&format!("owner-{sid}")).cloned(),
                due_error => errors.by_field.get(&format!("due_on-{sid}")).cloned(),
            }
        })
        .collect();
    let html = render(
        state,
        user,
        "quality_visit_finalise.html",
        context! {
            visit => v,
            row => visit_row(v),
            needing => needing,
            has_report => v.report.as_deref().is_some_and(|r| !r.trim().is_empty()),
            errors => errors.list,
            field_errors => errors.by_field,
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn finalise_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let v = draft_visit(&state, &id).await?;
    render_finalise(&state, &user, &v, &[], &Errors::default(), StatusCode::OK).await
}

async fn finalise(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let v = state.store.visit(&id).await?;
    if v.is_final() {
        // Finalising twice raises nothing more: back to the visit.
        return Ok(Redirect::to(&format!("/quality/visits/{id}")).into_response());
    }
    let mut errors = Errors::default();
    let mut drafts = Vec::new();
    for (k, _) in form.iter().filter(|(k, _)| k.starts_with("owner-")) {
        let sid = &k["owner-".len()..];
        let due_on = match form_date(&form, &format!("due_on-{sid}"), "The due date") {
            Ok(d) => d,
            Err(m) => {
                errors.add(&format!("due_on-{sid}"), &m);
                None
            }
        };
        drafts.push(ActionDraft {
            standard_id: sid.to_string(),
            title: field(&form, &format!("title-{sid}")).to_string(),
            owner: field(&form, k).to_string(),
            due_on,
        });
    }
    if errors.is_empty() {
        match state.store.finalise_visit(&user.actor(), &id, &drafts).await {
            Ok(_) => return Ok(Redirect::to(&format!("/quality/visits/{id}?finalised=1")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_finalise(&state, &user, &v, &form, &errors, StatusCode::BAD_REQUEST).await
}

/// This part's section of a service's quality tab (`_quality_section_visits.html`): recent visits
/// and meetings, or none when the user may not see it.
pub(super) async fn service_section(state: &AppState, user: &CurrentUser, service_id: &str) -> Result<Option<Value>, AppError> {
    if !user.role().can(Permission::ViewQuality) {
        return Ok(None);
    }
    let (total, visits) =
        state.store.visits(&VisitFilter { service_id: Some(service_id.to_string()), limit: 10, ..Default::default() }).await?;
    let rows: Vec<VisitRow> = visits.iter().map(visit_row).collect();
    Ok(Some(context! {
        total => total,
        visits => rows,
        can_record => user.role().can(Permission::RecordQuality),
        service_id => service_id,
    }))
}
