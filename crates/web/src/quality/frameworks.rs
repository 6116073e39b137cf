//! Assessment frameworks as data: every member of staff with ViewQuality reads them; quality
//! officers (ManageFrameworks) add and edit standards and deactivate or reactivate them. Standards
//! are never deleted: past visit scores refer to them. Inferred standards (PAMMS 11-16) are
//! marked on every page that shows them.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::forms::field;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_core::register::ServiceKind;
use caremarket_store::quality::frameworks::{NewFramework, QaFramework, Standard, StandardInput};
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/frameworks", get(list))
        .route("/quality/frameworks/new", get(upload_form).post(upload))
        .route("/quality/frameworks/{id}", get(show))
        .route("/quality/frameworks/{id}/standards/new", get(new_form).post(create))
        .route("/quality/standards/{id}/edit", get(edit_form).post(edit))
        .route("/quality/standards/{id}/active", post(set_active))
}

async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<String, AppError> {
    let base = user.context(state).await?;
    state.renderer.render(template, &base, page)
}

fn framework_view(f: &QaFramework) -> Value {
    context! {
        id => f.id, code => f.code, name => f.name, purpose => if f.is_outcomes() { "Outcome measures" } else { "Standards" },
        applies_to => f.applies_to_label(), source => f.source, notes => f.notes, standards => f.standards, inferred => f.inferred,
    }
}

async fn list(user: CurrentUser, State(state): State<AppState>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewQuality)?;
    let frameworks: Vec<Value> = state.store.qa_frameworks().await?.iter().map(framework_view).collect();
    Ok(Html(
        render(
            &state,
            &user,
            "quality_frameworks.html",
            context! { frameworks => frameworks, can_manage => user.role().can(Permission::ManageFrameworks) },
        )
        .await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    saved: Option<String>,
}

async fn show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewQuality)?;
    let f = state.store.qa_framework(&id).await?;
    let standards = state.store.qa_standards(&id, true).await?;
    let mut domains: Vec<(String, Vec<&Standard>)> = Vec::new();
    for s in &standards {
        match domains.iter_mut().find(|(d, _)| *d == s.domain) {
            Some((_, v)) => v.push(s),
            None => domains.push((s.domain.clone(), vec![s])),
        }
    }
    let domains: Vec<Value> = domains.iter().map(|(d, v)| context! { domain => d, standards => v }).collect();
    Ok(Html(
        render(
            &state,
            &user,
            "quality_framework.html",
            context! { framework => framework_view(&f), domains => domains, saved => q.saved, can_manage => user.role().can(Permission::ManageFrameworks) },
        )
        .await?,
    ))
}

fn provenance_options() -> Vec<serde_json::Value> {
    vec![
        json!({"value": "confirmed", "text": "Confirmed", "hint": "From a published source or the council's own framework."}),
        json!({"value": "inferred", "text": "Inferred", "hint": "Reconstructed, not checked against the source: shown as \"inferred: check against your PAMMS\"."}),
    ]
}

async fn render_standard_form(
    state: &AppState,
    user: &CurrentUser,
    f: &QaFramework,
    standard_id: Option<&str>,
    form: &[(String, String)],
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let domains: Vec<String> = {
        let mut d: Vec<String> = state.store.qa_standards(&f.id, true).await?.into_iter().map(|s| s.domain).collect();
        d.dedup();
        d
    };
    let html = render(
        state,
        user,
        "quality_framework_standard.html",
        context! {
            framework => framework_view(f),
            standard_id => standard_id,
            domains => domains,
            errors => errors.list,
            field_errors => errors.by_field,
            domain => field(form, "domain"),
            code => field(form, "code"),
            title => field(form, "title"),
            guidance => field(form, "guidance"),
            provenance => field(form, "provenance"),
            provenance_options => provenance_options(),
            version => field(form, "version"),
            stale => reply.stale,
        },
    )
    .await?;
    Ok((reply.status, Html(html)).into_response())
}

fn read_standard(form: &[(String, String)]) -> StandardInput {
    StandardInput {
        domain: field(form, "domain").into(),
        code: field(form, "code").into(),
        title: field(form, "title").into(),
        guidance: Some(field(form, "guidance").to_string()),
        provenance: field(form, "provenance").into(),
    }
}

async fn new_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let f = state.store.qa_framework(&id).await?;
    render_standard_form(
        &state,
        &user,
        &f,
        None,
        &[("provenance".into(), "confirmed".into())],
        &FormErrors::new(&[]),
        crate::versions::Reply::status(StatusCode::OK),
    )
    .await
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let f = state.store.qa_framework(&id).await?;
    let mut errors = FormErrors::new(&[]);
    match state.store.add_standard(&user.actor(), &id, &read_standard(&form)).await {
        Ok(_) => return Ok(Redirect::to(&format!("/quality/frameworks/{id}?saved=1")).into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_standard_form(&state, &user, &f, None, &form, &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

async fn edit_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let s = state.store.qa_standard(&id).await?;
    let f = state.store.qa_framework(&s.framework_id).await?;
    let form: Vec<(String, String)> = vec![
        ("domain".into(), s.domain.clone()),
        ("code".into(), s.code.clone()),
        ("title".into(), s.title.clone()),
        ("guidance".into(), s.guidance.clone().unwrap_or_default()),
        ("provenance".into(), s.provenance.clone()),
        ("version".into(), s.version.to_string()),
    ];
    render_standard_form(&state, &user, &f, Some(&id), &form, &FormErrors::new(&[]), crate::versions::Reply::status(StatusCode::OK)).await
}

async fn edit(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let s = state.store.qa_standard(&id).await?;
    let f = state.store.qa_framework(&s.framework_id).await?;
    let mut errors = FormErrors::new(&[]);
    let input = read_standard(&form);
    let expected = crate::versions::from_form(&form);
    match state.store.update_standard(&user.actor(), &id, &input, expected).await {
        Ok(()) => return Ok(Redirect::to(&format!("/quality/frameworks/{}?saved=1", f.id)).into_response()),
        Err(caremarket_store::StoreError::Stale { current }) => {
            let now = state.store.qa_standard(&id).await?;
            let provenance = |p: &str| match p {
                "confirmed" => "Confirmed".to_string(),
                "inferred" => "Inferred".to_string(),
                other => other.to_string(),
            };
            let changes = caremarket_core::versions::changes([
                ("Domain", now.domain.clone(), field(&form, "domain").to_string()),
                ("Code", now.code.clone(), field(&form, "code").to_string()),
                ("Title", now.title.clone(), field(&form, "title").to_string()),
                ("Guidance", now.guidance.clone().unwrap_or_default(), field(&form, "guidance").to_string()),
                ("Provenance", provenance(&now.provenance), provenance(field(&form, "provenance"))),
            ]);
            let stale = crate::versions::stale(&state, "qa_standard", &id, current, expected, changes).await?;
            let mut kept: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "version").cloned().collect();
            kept.push(("version".into(), stale.current.to_string()));
            return render_standard_form(&state, &user, &f, Some(&id), &kept, &errors, crate::versions::Reply::stale(stale.notice)).await;
        }
        Err(e) => errors.add_store(e)?,
    }
    render_standard_form(&state, &user, &f, Some(&id), &form, &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

async fn set_active(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let s = state.store.qa_standard(&id).await?;
    let active = match field(&form, "active") {
        "1" => true,
        "0" => false,
        _ => return Err(AppError::BadRequest("Choose whether to deactivate or reactivate the standard.".into())),
    };
    state.store.set_standard_active(&user.actor(), &id, active).await?;
    Ok(Redirect::to(&format!("/quality/frameworks/{}?saved=1", s.framework_id)).into_response())
}

// ----- a new framework from a CSV file -----

fn purpose_options() -> Vec<serde_json::Value> {
    vec![
        json!({"value": "standards", "text": "Standards", "hint": "Judged on the four-point scale; Requires Improvement and Poor raise actions."}),
        json!({"value": "outcomes", "text": "Outcome measures", "hint": "Such as I statements, judged from talking to people who draw on support."}),
    ]
}

async fn render_upload(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let kinds: Vec<serde_json::Value> = ServiceKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})).collect();
    let chosen: Vec<&str> = form.iter().filter(|(k, _)| k == "applies_to").map(|(_, v)| v.as_str()).collect();
    let html = render(
        state,
        user,
        "quality_framework_new.html",
        context! {
            errors => errors.list,
            field_errors => errors.by_field,
            name => field(form, "name"),
            code => field(form, "code"),
            purpose => field(form, "purpose"),
            purpose_options => purpose_options(),
            source => field(form, "source"),
            kind_options => kinds,
            applies_to => chosen,
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn upload_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    render_upload(&state, &user, &[("purpose".into(), "standards".into())], &FormErrors::new(&[]), StatusCode::OK).await
}

async fn upload(user: CurrentUser, State(state): State<AppState>, multipart: crate::csrf::LateMultipart) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let mut multipart = crate::csrf::opened(multipart)?;
    let mut form: Vec<(String, String)> = Vec::new();
    let mut file: Option<Vec<u8>> = None;
    let mut problem: Option<String> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or("").to_string();
                if name == "file" {
                    match f.bytes().await {
                        Ok(b) if !b.is_empty() => file = Some(b.to_vec()),
                        Ok(_) => {}
                        Err(_) => {
                            problem = Some("The selected file could not be uploaded – try again".into());
                            break;
                        }
                    }
                } else {
                    match f.text().await {
                        Ok(t) => form.push((name, t)),
                        Err(_) => {
                            problem = Some("The form could not be read – try again".into());
                            break;
                        }
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                problem = Some("The selected file could not be uploaded: it may be too large".into());
                break;
            }
        }
    }
    if problem.is_none() {
        crate::csrf::verify_token(&user.session, Some(field(&form, "csrf_token"))).await?;
    }
    let mut errors = FormErrors::new(&[]);
    if let Some(p) = problem {
        errors.add("file", &p);
        return render_upload(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await;
    }
    let rows = match file.as_deref().map(caremarket_ingest::uploads::quality_frameworks::parse) {
        None => {
            errors.add("file", "Select a CSV file of standards");
            None
        }
        Some(Err(m)) => {
            errors.add("file", &m);
            None
        }
        Some(Ok(rows)) => Some(rows),
    };
    if let Some(rows) = rows {
        let new = NewFramework {
            code: field(&form, "code").into(),
            name: field(&form, "name").into(),
            purpose: field(&form, "purpose").into(),
            applies_to: form.iter().filter(|(k, _)| k == "applies_to").filter_map(|(_, v)| ServiceKind::parse(v)).collect(),
            source: field(&form, "source").into(),
        };
        match state.store.create_qa_framework(&user.actor(), &new, &rows).await {
            Ok(id) => return Ok(Redirect::to(&format!("/quality/frameworks/{id}?saved=1")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_upload(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}
