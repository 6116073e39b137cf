//! The CQC local authority assessment self-assessment (`004`): the quality statements by theme,
//! strengths and areas for improvement per statement with the evidence each cites, and the
//! evidence library with its checks (items cited nowhere, citations of items that do not exist,
//! statements with no evidence).

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
use caremarket_core::governance::self_assessment::{
    ClaimKind, EvidenceChecks, NewAssessment, NewClaim, NewEvidence, check, parse_citations,
};
use caremarket_store::StoreError;
use caremarket_store::governance::self_assessment::SelfAssessment;
use caremarket_store::versions::Versioned;
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/governance/self-assessment", get(index).post(create))
        .route("/governance/self-assessment/{id}", get(show))
        .route("/governance/self-assessment/{id}/statements/{sid}/claims/new", get(new_claim_form).post(create_claim))
        .route("/governance/self-assessment/{id}/claims/{cid}/edit", get(edit_claim_form).post(edit_claim))
        .route("/governance/self-assessment/{id}/evidence", get(library))
        .route("/governance/self-assessment/{id}/evidence/new", get(new_evidence_form).post(create_evidence))
        .route("/governance/self-assessment/{id}/evidence/{eid}/edit", get(edit_evidence_form).post(edit_evidence))
}

type Form = Vec<(String, String)>;

/// After a refused save (decision 25): what was typed, now carrying the record's current
/// version, so saving it again is a deliberate replacement.
fn kept(form: &Form, current: i64) -> Form {
    let mut kept: Form = form.iter().filter(|(k, _)| k != "version").cloned().collect();
    kept.push(("version".into(), current.to_string()));
    kept
}

async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value, status: StatusCode) -> Result<Response, AppError> {
    let base = user.context(state).await?;
    Ok((status, Html(state.renderer.render(template, &base, page)?)).into_response())
}

fn status_of(errors: &FormErrors) -> StatusCode {
    if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST }
}

fn format_date(d: Date) -> String {
    crate::render::format_date(&d.to_string())
}

fn assessment_head(a: &SelfAssessment) -> Value {
    context! { id => a.id, title => a.title, dated_on => format_date(a.dated_on) }
}

/// "D20" or "D20 and E83" or "D20, E21 and E83".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn checks_view(a: &SelfAssessment, c: &EvidenceChecks) -> Value {
    let title_of = |n: i64| a.statements.iter().find(|s| s.statement.number == n).map(|s| s.statement.title.clone()).unwrap_or_default();
    let missing: Vec<Value> = c
        .missing
        .iter()
        .map(|m| {
            let claim = a.claims.iter().find(|x| x.id == m.claim_id);
            context! {
                reference => m.reference, statement => title_of(m.statement_number), claim_id => m.claim_id,
                claim => claim.map(|x| plain_text(&x.text).chars().take(120).collect::<String>()),
            }
        })
        .collect();
    let without: Vec<Value> = c.statements_without_evidence.iter().map(|n| context! { number => n, title => title_of(*n) }).collect();
    context! {
        cited_nowhere => c.cited_nowhere, missing => missing, without => without, problems => c.problems(),
        cited_nowhere_count => c.cited_nowhere.len(), missing_count => c.missing.len(), without_count => c.statements_without_evidence.len(),
    }
}

#[derive(Debug, Default, Deserialize)]
struct Saved {
    saved: Option<String>,
    missing: Option<String>,
}

/// The banner after a save: a claim citing items the library does not hold is saved, and says so.
fn banner(q: &Saved) -> Option<String> {
    let saved = match q.saved.as_deref()? {
        "created" => "Self-assessment started",
        "claim" => "Claim saved",
        "evidence" => "Evidence item saved",
        _ => return None,
    };
    let missing = q.missing.as_deref().and_then(|m| parse_citations(m).ok()).unwrap_or_default();
    Some(match missing.as_slice() {
        [] => saved.to_string(),
        [one] => {
            format!("{saved}. It cites {one}, which is not in the evidence library: add the item to the library or correct the reference.")
        }
        many => format!(
            "{saved}. It cites {}, which are not in the evidence library: add the items to the library or correct the references.",
            and_list(many)
        ),
    })
}

// ----- the list and starting one -----

async fn render_index(state: &AppState, user: &CurrentUser, form: &Form, errors: &FormErrors) -> Result<Response, AppError> {
    let list: Vec<Value> = state
        .store
        .self_assessments()
        .await?
        .into_iter()
        .map(|a| context! { id => a.id, title => a.title, dated_on => crate::render::format_date(&a.dated_on), claims => a.claims, evidence => a.evidence })
        .collect();
    let page = context! {
        assessments => list, can_manage => user.role().can(Permission::ManageGovernance),
        errors => errors.list, field_errors => errors.by_field, title => field(form, "title"),
        dated_on => if form.is_empty() { Value::from(caremarket_store::today().to_string()) } else { date_parts(form, "dated_on") },
    };
    render(state, user, "governance_self_assessments.html", page, status_of(errors)).await
}

async fn index(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    render_index(&state, &user, &Vec::new(), &FormErrors::new(&["dated_on"])).await
}

async fn create(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<Form>) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let mut errors = FormErrors::new(&["dated_on"]);
    let dated_on = errors.check("dated_on", form_date(&form, "dated_on", "Date of the self-assessment")).flatten();
    match NewAssessment::parse(field(&form, "title"), dated_on, caremarket_store::today()) {
        Ok(a) if errors.is_empty() => match state.store.create_self_assessment(&user.actor(), &a.title, a.dated_on).await {
            Ok(id) => return Ok(Redirect::to(&format!("/governance/self-assessment/{id}?saved=created")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Ok(_) => {}
        Err(e) => errors.extend(e),
    }
    render_index(&state, &user, &form, &errors).await
}

// ----- one self-assessment -----

async fn show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    let a = state.store.self_assessment(&id).await?;
    let checks = check(&a.statement_numbers(), &a.claims, &a.evidence);
    let held: BTreeSet<&str> = a.evidence.iter().map(|e| e.reference.as_str()).collect();
    let mut themes: Vec<Value> = Vec::new();
    let mut theme_numbers: Vec<i64> = a.statements.iter().map(|s| s.statement.theme_number).collect();
    theme_numbers.dedup();
    for t in theme_numbers {
        let statements: Vec<Value> = a
            .statements
            .iter()
            .filter(|s| s.statement.theme_number == t)
            .map(|s| {
                let kinds: Vec<Value> = ClaimKind::ALL
                    .iter()
                    .map(|k| {
                        let claims: Vec<Value> = a
                            .claims
                            .iter()
                            .filter(|c| c.statement_number == s.statement.number && c.kind == *k)
                            .map(|c| {
                                let cites: Vec<Value> =
                                    c.citations.iter().map(|r| context! { reference => r, held => held.contains(r.as_str()) }).collect();
                                context! { id => c.id, text => plain_text(&c.text), citations => cites }
                            })
                            .collect();
                        context! { label => k.plural(), class => crate::tags::claim_kind(*k), claims => claims }
                    })
                    .collect();
                context! {
                    id => s.id, number => s.statement.number, title => s.statement.title, kinds => kinds,
                    no_evidence => checks.statements_without_evidence.contains(&s.statement.number),
                }
            })
            .collect();
        let name = a.statements.iter().find(|s| s.statement.theme_number == t).map(|s| s.statement.theme.clone()).unwrap_or_default();
        themes.push(context! { number => t, name => name, statements => statements });
    }
    // The committee items this self-assessment is the paper of (`004`: it went to scrutiny).
    let mut papers: Vec<Value> = Vec::new();
    for item in state.store.committee_items_for_paper(&format!("/governance/self-assessment/{id}")).await? {
        let committee = state.store.committee(&item.committee_id).await?;
        let meeting = match item.meeting_id.as_deref() {
            Some(mid) => Some(format_date(state.store.meeting(mid).await?.meets_on)),
            None => None,
        };
        papers.push(context! {
            href => format!("/governance/committees/{}/items/{}", committee.id, item.id), title => plain_text(&item.title),
            committee => committee.name, meeting => meeting,
        });
    }
    let page = context! {
        assessment => assessment_head(&a), themes => themes, checks => checks_view(&a, &checks), papers => papers,
        claims => a.claims.len(), evidence => a.evidence.len(),
        can_manage => user.role().can(Permission::ManageGovernance), banner => banner(&q),
    };
    render(&state, &user, "governance_self_assessment.html", page, StatusCode::OK).await
}

// ----- claims -----

fn kind_options() -> Vec<serde_json::Value> {
    ClaimKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})).collect()
}

async fn claim_form(
    state: &AppState,
    user: &CurrentUser,
    a: &SelfAssessment,
    statement_id: &str,
    claim_id: Option<&str>,
    form: &Form,
    errors: &FormErrors,
) -> Result<Response, AppError> {
    let reply = crate::versions::Reply::status(status_of(errors));
    claim_reply(state, user, a, (statement_id, claim_id), form, errors, reply).await
}

/// `at`: the statement and, when changing one, the claim. `reply`: the status and, after a save
/// refused because the claim changed since its form was opened (decision 25), the notice.
async fn claim_reply(
    state: &AppState,
    user: &CurrentUser,
    a: &SelfAssessment,
    at: (&str, Option<&str>),
    form: &Form,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let (statement_id, claim_id) = at;
    let s = a.statements.iter().find(|s| s.id == statement_id).ok_or(AppError::NotFound)?;
    let page = context! {
        assessment => assessment_head(a), statement => context! { id => s.id, number => s.statement.number, title => s.statement.title, theme => s.statement.theme },
        claim_id => claim_id, errors => errors.list, field_errors => errors.by_field, kind_options => kind_options(),
        kind => field(form, "kind"), text => field(form, "text"), citations => field(form, "citations"),
        version => field(form, "version"), stale => reply.stale,
    };
    render(state, user, "governance_claim_form.html", page, reply.status).await
}

fn saved_claim_url(a: &SelfAssessment, c: &NewClaim) -> String {
    let held: BTreeSet<&str> = a.evidence.iter().map(|e| e.reference.as_str()).collect();
    let missing: Vec<&str> = c.citations.iter().map(String::as_str).filter(|r| !held.contains(r)).collect();
    if missing.is_empty() {
        format!("/governance/self-assessment/{}?saved=claim", a.id)
    } else {
        format!("/governance/self-assessment/{}?saved=claim&missing={}", a.id, missing.join("+"))
    }
}

async fn new_claim_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let a = state.store.self_assessment(&id).await?;
    claim_form(&state, &user, &a, &sid, None, &Vec::new(), &FormErrors::default()).await
}

async fn create_claim(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Form>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let a = state.store.self_assessment(&id).await?;
    if !a.statements.iter().any(|s| s.id == sid) {
        return Err(AppError::NotFound);
    }
    let mut errors = FormErrors::default();
    match NewClaim::parse(field(&form, "kind"), field(&form, "text"), field(&form, "citations")) {
        Ok(c) => match state.store.add_claim(&user.actor(), &sid, &c).await {
            Ok(_) => return Ok(Redirect::to(&saved_claim_url(&a, &c)).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    claim_form(&state, &user, &a, &sid, None, &form, &errors).await
}

fn statement_of_claim(a: &SelfAssessment, cid: &str) -> Result<String, AppError> {
    let c = a.claims.iter().find(|c| c.id == cid).ok_or(AppError::NotFound)?;
    a.statements.iter().find(|s| s.statement.number == c.statement_number).map(|s| s.id.clone()).ok_or(AppError::NotFound)
}

async fn edit_claim_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, cid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let a = state.store.self_assessment(&id).await?;
    let sid = statement_of_claim(&a, &cid)?;
    let c = a.claims.iter().find(|c| c.id == cid).ok_or(AppError::NotFound)?;
    let form: Form = vec![
        ("kind".to_string(), c.kind.as_str().to_string()),
        ("text".to_string(), c.text.clone()),
        ("citations".to_string(), c.citations.join(", ")),
        ("version".to_string(), state.store.version_of(Versioned::AssessmentClaims, &cid).await?.to_string()),
    ];
    claim_form(&state, &user, &a, &sid, Some(&cid), &form, &FormErrors::default()).await
}

async fn edit_claim(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, cid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Form>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let a = state.store.self_assessment(&id).await?;
    let sid = statement_of_claim(&a, &cid)?;
    let mut errors = FormErrors::default();
    let expected = crate::versions::from_form(&form);
    match NewClaim::parse(field(&form, "kind"), field(&form, "text"), field(&form, "citations")) {
        Ok(c) => match state.store.update_claim(&user.actor(), &id, &cid, &c, expected).await {
            Ok(()) => return Ok(Redirect::to(&saved_claim_url(&a, &c)).into_response()),
            Err(StoreError::Stale { current }) => {
                let a = state.store.self_assessment(&id).await?;
                let now = a.claims.iter().find(|x| x.id == cid).ok_or(AppError::NotFound)?;
                let changes = caremarket_core::versions::changes([
                    ("Strength or area for improvement", now.kind.label().to_string(), c.kind.label().to_string()),
                    ("The claim", now.text.clone(), c.text.clone()),
                    ("Evidence cited", now.citations.join(", "), c.citations.join(", ")),
                ]);
                let stale = crate::versions::stale(&state, "assessment_claim", &cid, current, expected, changes).await?;
                let reply = crate::versions::Reply::stale(stale.notice);
                return claim_reply(&state, &user, &a, (&sid, Some(&cid)), &kept(&form, stale.current), &errors, reply).await;
            }
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    claim_form(&state, &user, &a, &sid, Some(&cid), &form, &errors).await
}

// ----- the evidence library -----

async fn library(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    let a = state.store.self_assessment(&id).await?;
    let checks = check(&a.statement_numbers(), &a.claims, &a.evidence);
    let items: Vec<Value> = a
        .evidence
        .iter()
        .map(|e| {
            context! {
                id => e.id, reference => e.reference, title => e.title, owner => e.owner, location => e.location,
                dated_on => e.dated_on.map(format_date), cited_by => checks.cited_by.get(&e.reference).copied().unwrap_or(0),
            }
        })
        .collect();
    let page = context! {
        assessment => assessment_head(&a), evidence_items => items, checks => checks_view(&a, &checks),
        can_manage => user.role().can(Permission::ManageGovernance), banner => banner(&q),
    };
    render(&state, &user, "governance_evidence.html", page, StatusCode::OK).await
}

async fn evidence_form(
    state: &AppState,
    user: &CurrentUser,
    a: &SelfAssessment,
    eid: Option<&str>,
    form: &Form,
    errors: &FormErrors,
) -> Result<Response, AppError> {
    evidence_reply(state, user, a, eid, form, errors, crate::versions::Reply::status(status_of(errors))).await
}

/// `reply`: the status and, after a save refused because the item changed since its form was
/// opened (decision 25), the notice.
async fn evidence_reply(
    state: &AppState,
    user: &CurrentUser,
    a: &SelfAssessment,
    eid: Option<&str>,
    form: &Form,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let dated_on: Value = match form.iter().find(|(k, _)| k == "dated_on") {
        Some((_, iso)) => Value::from(iso.clone()),
        None => date_parts(form, "dated_on"),
    };
    let page = context! {
        assessment => assessment_head(a), eid => eid, errors => errors.list, field_errors => errors.by_field,
        reference => field(form, "reference"), title => field(form, "title"), owner => field(form, "owner"),
        location => field(form, "location"), dated_on => dated_on,
        version => field(form, "version"), stale => reply.stale,
    };
    render(state, user, "governance_evidence_form.html", page, reply.status).await
}

fn evidence_from(form: &Form, errors: &mut FormErrors) -> Option<NewEvidence> {
    let dated_on = errors.check("dated_on", form_date(form, "dated_on", "Date of the evidence")).flatten();
    match NewEvidence::parse(
        field(form, "reference"),
        field(form, "title"),
        field(form, "owner"),
        dated_on,
        field(form, "location"),
        caremarket_store::today(),
    ) {
        Ok(e) if errors.is_empty() => Some(e),
        Ok(_) => None,
        Err(e) => {
            errors.extend(e);
            None
        }
    }
}

async fn new_evidence_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let a = state.store.self_assessment(&id).await?;
    evidence_form(&state, &user, &a, None, &Vec::new(), &FormErrors::new(&["dated_on"])).await
}

async fn create_evidence(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Form>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let a = state.store.self_assessment(&id).await?;
    let mut errors = FormErrors::new(&["dated_on"]);
    if let Some(e) = evidence_from(&form, &mut errors) {
        match state.store.add_evidence(&user.actor(), &id, &e).await {
            Ok(_) => return Ok(Redirect::to(&format!("/governance/self-assessment/{id}/evidence?saved=evidence")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    evidence_form(&state, &user, &a, None, &form, &errors).await
}

async fn edit_evidence_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, eid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let a = state.store.self_assessment(&id).await?;
    let e = a.evidence.iter().find(|e| e.id == eid).ok_or(AppError::NotFound)?;
    let mut form: Form = vec![
        ("reference".to_string(), e.reference.clone()),
        ("title".to_string(), e.title.clone()),
        ("owner".to_string(), e.owner.clone()),
        ("location".to_string(), e.location.clone()),
        ("version".to_string(), state.store.version_of(Versioned::AssessmentEvidence, &eid).await?.to_string()),
    ];
    if let Some(d) = e.dated_on {
        form.push(("dated_on".to_string(), d.to_string()));
    }
    evidence_form(&state, &user, &a, Some(&eid), &form, &FormErrors::new(&["dated_on"])).await
}

async fn edit_evidence(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, eid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Form>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageGovernance)?;
    let a = state.store.self_assessment(&id).await?;
    if !a.evidence.iter().any(|e| e.id == eid) {
        return Err(AppError::NotFound);
    }
    let mut errors = FormErrors::new(&["dated_on"]);
    let expected = crate::versions::from_form(&form);
    if let Some(e) = evidence_from(&form, &mut errors) {
        match state.store.update_evidence(&user.actor(), &id, &eid, &e, expected).await {
            Ok(()) => return Ok(Redirect::to(&format!("/governance/self-assessment/{id}/evidence?saved=evidence")).into_response()),
            Err(StoreError::Stale { current }) => {
                let a = state.store.self_assessment(&id).await?;
                let now = a.evidence.iter().find(|x| x.id == eid).ok_or(AppError::NotFound)?;
                let date = |d: Option<Date>| d.map(format_date).unwrap_or_default();
                let changes = caremarket_core::versions::changes([
                    ("Reference", now.reference.clone(), e.reference.clone()),
                    ("Title", now.title.clone(), e.title.clone()),
                    ("Owner", now.owner.clone(), e.owner.clone()),
                    ("Date of the evidence", date(now.dated_on), date(e.dated_on)),
                    ("Where it is kept", now.location.clone(), e.location.clone()),
                ]);
                let stale = crate::versions::stale(&state, "assessment_evidence", &eid, current, expected, changes).await?;
                let reply = crate::versions::Reply::stale(stale.notice);
                return evidence_reply(&state, &user, &a, Some(&eid), &kept(&form, stale.current), &errors, reply).await;
            }
            Err(e) => errors.add_store(e)?,
        }
    }
    evidence_form(&state, &user, &a, Some(&eid), &form, &errors).await
}
