//! A visit's page, scoring it and finalising it. What scoring accepts and what finalising raises
//! are core's decisions; this maps the form's per-standard fields (`judgement-<id>`,
//! `evidence-<id>`, `title-<id>`, `owner-<id>`, `due_on-<id>`) to core's inputs and core's
//! errors back to those fields.

use super::{draft_visit, form_errors, render, visit_row};
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
use caremarket_core::access::Permission;
use caremarket_core::quality::Judgement;
use caremarket_core::quality::visits::parse_standard_field;
use caremarket_store::quality::frameworks::Standard;
use caremarket_store::quality::visits::{ActionDraft, ScoreInput, Visit};
use minijinja::context;
use serde::Serialize;
use std::collections::BTreeMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/visits/{id}", get(show))
        .route("/quality/visits/{id}/score", get(score_form).post(score))
        .route("/quality/visits/{id}/finalise", get(finalise_form).post(finalise))
}

/// This form's name for a field core names: a standard's input is `<input>-<standard id>`.
fn form_field(core_field: &str) -> String {
    match parse_standard_field(core_field) {
        Some((id, input)) => format!("{}-{id}", input.as_str()),
        None => core_field.to_string(),
    }
}

fn judgement_options() -> Vec<serde_json::Value> {
    let mut v = vec![serde_json::json!({"value": "", "text": "Not assessed"})];
    v.extend(super::super::options(Judgement::ALL, Judgement::as_str, Judgement::label));
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

/// The standards of the visit's frameworks (active ones, plus any inactive one already scored)
/// grouped by domain, with what the form or the record says about each.
async fn standard_groups(
    state: &AppState,
    v: &Visit,
    judged: impl Fn(&str) -> (String, String),
    errors: &FormErrors,
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
                    tag_class: parsed.map(crate::tags::judgement),
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
    Query(evidence): Query<crate::evidence::EvidenceQuery>,
) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewQuality)?;
    let v = state.store.visit(&id).await?;
    let evidence = crate::evidence::section(&state, &user, caremarket_core::evidence::RecordKind::Visit, &id, &evidence).await?;
    let scores = state.store.visit_scores(&id).await?;
    let by_id: BTreeMap<String, (String, String)> = scores
        .iter()
        .map(|s| (s.standard_id.clone(), (s.judgement.as_str().to_string(), s.evidence.clone().unwrap_or_default())))
        .collect();
    let groups = standard_groups(&state, &v, |sid| by_id.get(sid).cloned().unwrap_or_default(), &form_errors(), true).await?;
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
    // The provider's fact-check of the report (decision 42), once the visit is finalised.
    let fact_check = match state.store.visit_report(&id).await? {
        Some(r) => Some(super::fact_check::report_row(&r, caremarket_store::today())?),
        None => None,
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
            evidence_section => evidence,
            fact_check => fact_check,
        },
    )
    .await?;
    Ok(Html(html))
}

/// `form`: what was sent, to show again (its `version` included); `reply`: the status and, after
/// a refused save, the notice.
async fn render_score(
    state: &AppState,
    user: &CurrentUser,
    v: &Visit,
    form: Option<&[(String, String)]>,
    errors: &FormErrors,
    reply: crate::versions::Reply,
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
            version => form.map(|f| field(f, "version").to_string()).unwrap_or_else(|| v.version.to_string()),
            stale => reply.stale,
            errors => errors.list,
            field_errors => errors.by_field,
        },
    )
    .await?;
    Ok((reply.status, Html(html)).into_response())
}

async fn score_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let v = draft_visit(&state, &id).await?;
    render_score(&state, &user, &v, None, &form_errors(), crate::versions::Reply::status(StatusCode::OK)).await
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
    let mut errors = form_errors();
    let expected = crate::versions::from_form(&form);
    match state.store.score_visit(&user.actor(), &id, &scores, Some(field(&form, "report")), expected).await {
        Ok(()) => {
            let next = if field(&form, "next") == "finalise" {
                format!("/quality/visits/{id}/finalise")
            } else {
                format!("/quality/visits/{id}?saved=1")
            };
            return Ok(Redirect::to(&next).into_response());
        }
        Err(caremarket_store::StoreError::Stale { current }) => {
            let now = state.store.visit(&id).await?;
            let changes = score_changes(&state, &now, &form).await?;
            let stale = crate::versions::stale(&state, "quality_visit", &id, current, expected, changes).await?;
            let mut kept: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "version").cloned().collect();
            kept.push(("version".into(), stale.current.to_string()));
            return render_score(&state, &user, &now, Some(&kept), &errors, crate::versions::Reply::stale(stale.notice)).await;
        }
        Err(e) => super::super::add_store_as(&mut errors, e, form_field)?,
    }
    render_score(&state, &user, &v, Some(&form), &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

/// Each judgement, piece of evidence and the report where what the visit holds now differs from
/// what was submitted, standard by standard in framework order.
async fn score_changes(
    state: &AppState,
    now: &Visit,
    form: &[(String, String)],
) -> Result<Vec<caremarket_core::versions::FieldChange>, AppError> {
    let saved = state.store.visit_scores(&now.id).await?;
    let judgement = |j: &str| Judgement::parse(j).map(|j| j.label().to_string()).unwrap_or_else(|| "Not assessed".to_string());
    let mut fields: Vec<(String, String, String)> = Vec::new();
    for fid in [&now.framework_id, &now.outcomes_framework_id].into_iter().flatten() {
        for st in state.store.qa_standards(fid, true).await? {
            let held = saved.iter().find(|x| x.standard_id == st.id);
            fields.push((
                format!("{} judgement", st.code),
                held.map(|x| x.judgement.label().to_string()).unwrap_or_else(|| "Not assessed".to_string()),
                judgement(field(form, &format!("judgement-{}", st.id))),
            ));
            fields.push((
                format!("{} evidence", st.code),
                held.and_then(|x| x.evidence.clone()).unwrap_or_default(),
                field(form, &format!("evidence-{}", st.id)).to_string(),
            ));
        }
    }
    fields.push(("Report".to_string(), now.report.clone().unwrap_or_default(), field(form, "report").to_string()));
    Ok(caremarket_core::versions::changes(fields.iter().map(|(l, n, s)| (l.as_str(), n.clone(), s.clone()))))
}

async fn render_finalise(
    state: &AppState,
    user: &CurrentUser,
    v: &Visit,
    form: &[(String, String)],
    errors: &FormErrors,
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
                tag_class => crate::tags::judgement(s.judgement),
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
    render_finalise(&state, &user, &v, &[], &form_errors(), StatusCode::OK).await
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
    let mut errors = form_errors();
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
            Err(e) => super::super::add_store_as(&mut errors, e, form_field)?,
        }
    }
    render_finalise(&state, &user, &v, &form, &errors, StatusCode::BAD_REQUEST).await
}
