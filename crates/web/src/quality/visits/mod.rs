//! Quality visits and meetings (`000` Provider Visits & Monitoring): the list with filters (the
//! dashboard's "visits January to October" links here), recording a visit, scoring it on the
//! framework for the service's kind (and the Making it Real I statements), writing the report,
//! and finalising it, which raises an action for every Requires Improvement or Poor judgement.
//!
//! Staff with ViewQuality read; quality officers (RecordQuality) record. Provider users are
//! refused: they see their action plans through the portal, not the officers' visit records.

pub(crate) mod fact_check;
mod scoring;

use super::options;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, field, form_date};
use crate::paging::{PER_PAGE, Paging};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::quality::{Activity, VisitStatus, VisitType};
use caremarket_core::register::ServiceKind;
use caremarket_store::quality::visits::{NewVisit, Visit, VisitFilter};
use minijinja::{Value, context};
use serde::Serialize;
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/visits", get(list))
        .route("/quality/visits/new", get(new_form).post(create))
        .route("/quality/visits/{id}/edit", get(edit_form).post(edit))
        .merge(scoring::routes())
        .merge(fact_check::routes())
}

/// The visit forms' GOV.UK date inputs (per-standard due dates are `due_on-<standard id>`).
const DATE_FIELDS: [&str; 2] = ["visit_date", "due_on"];

fn form_errors() -> FormErrors {
    FormErrors::new(&DATE_FIELDS)
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

pub(super) async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<String, AppError> {
    let base = user.context(state).await?;
    state.renderer.render(template, &base, page)
}

// ----- the list -----

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewQuality)?;
    let mut errors = FormErrors::new(&[]);
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
    let status = VisitStatus::parse(field(&q, "status"));
    let mut filter = VisitFilter {
        from,
        to,
        activities: activities.clone(),
        visit_type,
        kinds: kinds.clone(),
        service_id: service_id.clone(),
        status,
        limit: 1,
        ..Default::default()
    };
    // The count first, so that the page asked for is known to exist before it is read.
    let (total, _) = state.store.visits(&filter).await?;
    let paging = Paging::new("/quality/visits", &q, usize::try_from(total).unwrap_or(0), PER_PAGE)?;
    filter.limit = PER_PAGE as i64;
    filter.offset = paging.range().start as i64;
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
            paging => paging.context(),
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
            status => status.map(|s| s.as_str()),
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
fn read_visit(form: &[(String, String)], service_id: &str, errors: &mut FormErrors) -> Option<NewVisit> {
    // What the form could not read, by field; what a visit must say is core's `NewVisit::check`.
    let mut unread: Vec<(&str, String)> = Vec::new();
    let activity = Activity::parse(field(form, "activity"));
    if activity.is_none() {
        unread.push(("activity", "Choose what kind of visit or meeting it was".into()));
    }
    let visit_type = VisitType::parse(field(form, "visit_type"));
    if visit_type.is_none() {
        unread.push(("visit_type", "Choose routine or responsive".into()));
    }
    let announced = match field(form, "announced") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            unread.push(("announced", "Choose whether the visit was announced".into()));
            None
        }
    };
    let visit_date = match form_date(form, "visit_date", "Date of the visit") {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            unread.push(("visit_date", "Enter the date of the visit".into()));
            None
        }
        Err(m) => {
            unread.push(("visit_date", m));
            None
        }
    };
    let mut count = |name: &'static str, what: &str| -> i64 {
        let v = field(form, name).trim();
        if v.is_empty() {
            return 0;
        }
        v.parse::<i64>()
            .map_err(|_| unread.push((name, format!("The number of {what} spoken to must be a whole number, 0 or more"))))
            .unwrap_or(0)
    };
    let people = count("people_spoken_to", "people using the service");
    let relatives = count("relatives_spoken_to", "relatives");
    let staff = count("staff_spoken_to", "staff");
    let opt = |name: &str| Some(field(form, name).trim().to_string()).filter(|s| !s.is_empty());
    let today = caremarket_store::today();
    // Core checks what was read; a field the form could not read stands in as a valid value.
    let visit = NewVisit {
        service_id: service_id.to_string(),
        activity: activity.unwrap_or(Activity::QualityVisit),
        visit_type: visit_type.unwrap_or(VisitType::Routine),
        announced: announced.unwrap_or(true),
        visit_date: visit_date.unwrap_or(today),
        officers: field(form, "officers").trim().to_string(),
        people_spoken_to: people,
        relatives_spoken_to: relatives,
        staff_spoken_to: staff,
        framework_id: opt("framework_id"),
        outcomes_framework_id: opt("outcomes_framework_id"),
        feedback_given_on_day: yes(form, "feedback_given_on_day"),
    };
    let checked = visit.check(today).err().unwrap_or_default();
    for f in ["activity", "visit_type", "announced", "visit_date", "officers", "people_spoken_to", "relatives_spoken_to", "staff_spoken_to"]
    {
        if let Some((_, m)) = unread.iter().find(|(u, _)| *u == f) {
            errors.add(f, m);
        } else if let Some(e) = checked.0.iter().find(|e| e.field == f) {
            errors.add(f, &e.message);
        }
    }
    errors.is_empty().then_some(visit)
}

/// The visit form for a service, new (`visit` none) or editing a draft.
async fn render_visit_form(
    state: &AppState,
    user: &CurrentUser,
    service_id: &str,
    visit: Option<&Visit>,
    form: &[(String, String)],
    errors: &FormErrors,
    reply: crate::versions::Reply,
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
            version => field(form, "version"),
            stale => reply.stale,
        },
    )
    .await?;
    Ok((reply.status, Html(html)).into_response())
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
    render_visit_form(&state, &user, &service_id, None, &form, &form_errors(), crate::versions::Reply::status(StatusCode::OK)).await
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
    let mut errors = form_errors();
    if let Some(v) = read_visit(&form, &service_id, &mut errors) {
        match state.store.create_visit(&user.actor(), &v, caremarket_store::today()).await {
            Ok(id) => return Ok(Redirect::to(&format!("/quality/visits/{id}/score")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_visit_form(&state, &user, &service_id, None, &form, &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

pub(super) async fn draft_visit(state: &AppState, id: &str) -> Result<Visit, AppError> {
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
        ("version".into(), v.version.to_string()),
    ];
    if v.feedback_given_on_day {
        form.push(("feedback_given_on_day".into(), "yes".into()));
    }
    render_visit_form(&state, &user, &v.service_id, Some(&v), &form, &form_errors(), crate::versions::Reply::status(StatusCode::OK)).await
}

async fn edit(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let v = draft_visit(&state, &id).await?;
    let mut errors = form_errors();
    if let Some(nv) = read_visit(&form, &v.service_id, &mut errors) {
        let expected = crate::versions::from_form(&form);
        match state.store.update_visit(&user.actor(), &id, &nv, caremarket_store::today(), expected).await {
            Ok(()) => return Ok(Redirect::to(&format!("/quality/visits/{id}")).into_response()),
            Err(caremarket_store::StoreError::Stale { current }) => {
                let now = state.store.visit(&id).await?;
                let changes = visit_changes(&state, &now, &nv).await?;
                let stale = crate::versions::stale(&state, "quality_visit", &id, current, expected, changes).await?;
                let mut kept: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "version").cloned().collect();
                kept.push(("version".into(), stale.current.to_string()));
                return render_visit_form(
                    &state,
                    &user,
                    &now.service_id,
                    Some(&now),
                    &kept,
                    &errors,
                    crate::versions::Reply::stale(stale.notice),
                )
                .await;
            }
            Err(e) => errors.add_store(e)?,
        }
    }
    render_visit_form(&state, &user, &v.service_id, Some(&v), &form, &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

/// Each field of the visit form that differs between the visit now and what was submitted.
async fn visit_changes(
    state: &AppState,
    now: &Visit,
    nv: &caremarket_store::quality::visits::NewVisit,
) -> Result<Vec<caremarket_core::versions::FieldChange>, AppError> {
    let yes_no = |b: bool| if b { "Yes" } else { "No" }.to_string();
    let framework = async |id: &Option<String>| -> Result<String, AppError> {
        Ok(match id {
            Some(id) => state.store.qa_framework(id).await.map(|f| f.name).unwrap_or_default(),
            None => String::new(),
        })
    };
    Ok(caremarket_core::versions::changes([
        ("Activity", now.activity.label().to_string(), nv.activity.label().to_string()),
        ("Type of visit", now.visit_type.label().to_string(), nv.visit_type.label().to_string()),
        ("Announced", yes_no(now.announced), yes_no(nv.announced)),
        ("Date", crate::render::format_date(&now.visit_date), crate::render::format_date(&nv.visit_date.to_string())),
        ("Officers", now.officers.clone(), nv.officers.clone()),
        ("People spoken to", now.people_spoken_to.to_string(), nv.people_spoken_to.to_string()),
        ("Relatives spoken to", now.relatives_spoken_to.to_string(), nv.relatives_spoken_to.to_string()),
        ("Staff spoken to", now.staff_spoken_to.to_string(), nv.staff_spoken_to.to_string()),
        ("Framework", now.framework_name.clone().unwrap_or_default(), framework(&nv.framework_id).await?),
        ("Outcomes framework", now.outcomes_framework_name.clone().unwrap_or_default(), framework(&nv.outcomes_framework_id).await?),
        ("Feedback given on the day", yes_no(now.feedback_given_on_day), yes_no(nv.feedback_given_on_day)),
    ]))
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
