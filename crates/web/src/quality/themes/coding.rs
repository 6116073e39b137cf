//! Coding issues from a CQC report to themes: a form of several issues of one report, a CSV
//! upload (read by `caremarket_ingest::uploads::quality_themes`), and changing or deleting a
//! coded issue. Quality officers only (RecordQuality).

use super::form_errors;
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
use caremarket_core::quality::themes::parse_issue_field;
use caremarket_store::quality::themes::NewCoding;
use caremarket_store::register::ServiceFilter;
use minijinja::{Value, context};
use serde_json::json;

/// How many issue rows the coding form offers at once.
const CODING_ROWS: usize = 8;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/themes/code", get(code_form).post(code_submit))
        .route("/quality/themes/upload", post(upload))
        .route("/quality/theme-codings/{id}", get(edit_coding_form).post(edit_coding))
        .route("/quality/theme-codings/{id}/delete", post(delete_coding))
}

/// The coding form's name for a field core names: the `n`th issue's theme is `theme-<n>`.
fn form_field(core_field: &str) -> String {
    match parse_issue_field(core_field) {
        Some((n, field)) => format!("{field}-{n}"),
        None => core_field.to_string(),
    }
}

fn service_option(s: &caremarket_store::register::Service) -> serde_json::Value {
    json!({"value": s.id, "text": format!("{} – {} ({})", s.name, s.provider_name, s.kind.label())})
}

async fn service_options(state: &AppState, q: &str, chosen: &str) -> Result<(Vec<serde_json::Value>, i64), AppError> {
    let page = state
        .store
        .services(&ServiceFilter {
            q: Some(q.trim().to_string()).filter(|q| !q.is_empty()),
            any_area: true,
            registration: Some("all".into()),
            sort: Some("name".into()),
            per_page: 200,
            ..Default::default()
        })
        .await?;
    let mut options = vec![json!({"value": "", "text": "Choose a service"})];
    if !chosen.is_empty()
        && !page.items.iter().any(|s| s.id == chosen)
        && let Ok(s) = state.store.service(chosen).await
    {
        options.push(service_option(&s));
    }
    options.extend(page.items.iter().map(service_option));
    Ok((options, page.total))
}

async fn theme_options(state: &AppState) -> Result<Vec<serde_json::Value>, AppError> {
    let mut v = vec![json!({"value": "", "text": "Choose a theme"})];
    v.extend(state.store.cqc_themes().await?.iter().map(|t| json!({"value": t.code, "text": t.name})));
    Ok(v)
}

async fn render_code_form(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    problems: &[String],
    status: StatusCode,
) -> Result<Response, AppError> {
    let q = field(form, "q");
    let service_id = field(form, "service_id");
    let (services, matches) = service_options(state, q, service_id).await?;
    let rows: Vec<Value> = (1..=CODING_ROWS)
        .map(|n| {
            context! {
                n => n, theme => field(form, &format!("theme-{n}")), issue => field(form, &format!("issue-{n}")),
                theme_error => errors.by_field.get(&format!("theme-{n}")), issue_error => errors.by_field.get(&format!("issue-{n}")),
            }
        })
        .collect();
    let base = user.context(state).await?;
    let html = state.renderer.render(
        "quality_theme_code.html",
        &base,
        context! {
            errors => errors.list, field_errors => errors.by_field, problems => problems,
            q => q, matches => matches, services => services, service_id => service_id,
            report_date => date_parts(form, "report_date"), rows => rows, theme_options => theme_options(state).await?,
            coded => field(form, "coded"),
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn code_form(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    render_code_form(&state, &user, &q, &form_errors(), &[], StatusCode::OK).await
}

async fn code_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let mut errors = form_errors();
    let service_id = field(&form, "service_id").trim().to_string();
    if service_id.is_empty() {
        errors.add("service_id", "Choose the service the CQC report is about");
    }
    let report_date = match form_date(&form, "report_date", "The report date") {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.add("report_date", "Enter the date of the CQC report");
            None
        }
        Err(m) => {
            errors.add("report_date", &m);
            None
        }
    };
    let mut rows: Vec<(usize, String, String)> = Vec::new();
    for n in 1..=CODING_ROWS {
        let theme = field(&form, &format!("theme-{n}")).trim().to_string();
        let issue = field(&form, &format!("issue-{n}")).to_string();
        if theme.is_empty() && issue.trim().is_empty() {
            continue;
        }
        if theme.is_empty() {
            errors.add(&format!("theme-{n}"), &format!("Choose the theme for issue {n}"));
        }
        rows.push((n, theme, issue));
    }
    if rows.is_empty() {
        errors.add("issue-1", "Enter at least one issue found in the report");
    }
    if errors.is_empty()
        && let Some(d) = report_date
    {
        let codings: Vec<(usize, NewCoding)> = rows
            .into_iter()
            .map(|(n, theme, issue)| (n, NewCoding { service_id: service_id.clone(), report_date: d, theme, issue }))
            .collect();
        match state.store.code_theme_issues(&user.actor(), &codings).await {
            Ok(ids) => {
                return Ok(Redirect::to(&format!("/quality/themes/code?service_id={service_id}&coded={}", ids.len())).into_response());
            }
            Err(e) => super::super::add_store_as(&mut errors, e, form_field)?,
        }
    }
    render_code_form(&state, &user, &form, &errors, &[], StatusCode::BAD_REQUEST).await
}

async fn upload(user: CurrentUser, State(state): State<AppState>, multipart: crate::csrf::LateMultipart) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let mut multipart = crate::csrf::opened(multipart)?;
    let mut token: Option<String> = None;
    let mut file: Option<Vec<u8>> = None;
    while let Some(f) =
        multipart.next_field().await.map_err(|_| AppError::BadRequest("The file could not be uploaded – try again".into()))?
    {
        match f.name() {
            Some("csrf_token") => token = f.text().await.ok(),
            Some("file") => {
                let bytes = f.bytes().await.map_err(|_| AppError::BadRequest("The file could not be uploaded – try again".into()))?;
                file = Some(bytes.to_vec());
            }
            _ => {}
        }
    }
    crate::csrf::verify_token(&user.session, token.as_deref()).await?;
    let mut errors = form_errors();
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        errors.add("file", "Select a CSV file of coded issues");
        return render_code_form(&state, &user, &[], &errors, &[], StatusCode::BAD_REQUEST).await;
    };
    let rows = match caremarket_ingest::uploads::quality_themes::parse(&bytes) {
        Ok(r) => r,
        Err(m) => {
            errors.add("file", &m);
            return render_code_form(&state, &user, &[], &errors, &[], StatusCode::BAD_REQUEST).await;
        }
    };
    match state.store.import_theme_codings(&user.actor(), &rows).await? {
        Ok(n) => Ok(Redirect::to(&format!("/quality/themes/code?coded={n}")).into_response()),
        Err(problems) => {
            errors.add(
                "file",
                &format!(
                    "The file has {}: nothing was coded. Correct {} and upload it again.",
                    caremarket_core::text::count(problems.len() as i64, "problem", None),
                    if problems.len() == 1 { "it" } else { "them" }
                ),
            );
            let list: Vec<String> = problems.iter().take(100).map(|p| p.to_string()).collect();
            render_code_form(&state, &user, &[], &errors, &list, StatusCode::BAD_REQUEST).await
        }
    }
}

// ----- changing or deleting a coded issue -----

async fn render_edit(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    form: Option<&[(String, String)]>,
    errors: &FormErrors,
    version: String,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let c = state.store.theme_coding(id).await?;
    let (theme, issue, date) = match form {
        Some(f) => (field(f, "theme").to_string(), field(f, "issue").to_string(), date_parts(f, "report_date")),
        None => (c.theme_code.clone(), c.issue.clone(), Value::from(c.report_date.clone())),
    };
    let base = user.context(state).await?;
    let html = state.renderer.render(
        "quality_theme_coding_edit.html",
        &base,
        context! {
            coding => c, theme => theme, issue => issue, report_date => date, theme_options => theme_options(state).await?,
            errors => errors.list, field_errors => errors.by_field, version => version, stale => reply.stale,
        },
    )?;
    Ok((reply.status, Html(html)).into_response())
}

async fn edit_coding_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let version = state.store.version_of(caremarket_store::versions::Versioned::ThemeCodings, &id).await?.to_string();
    render_edit(&state, &user, &id, None, &form_errors(), version, crate::versions::Reply::status(StatusCode::OK)).await
}

async fn edit_coding(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let c = state.store.theme_coding(&id).await?;
    let theme_names: Vec<(String, String)> = state.store.cqc_themes().await?.into_iter().map(|t| (t.code, t.name)).collect();
    let mut errors = form_errors();
    let theme = field(&form, "theme").trim().to_string();
    if theme.is_empty() {
        errors.add("theme", "Choose the theme");
    }
    let date: Option<Date> = match form_date(&form, "report_date", "The report date") {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.add("report_date", "Enter the date of the CQC report");
            None
        }
        Err(m) => {
            errors.add("report_date", &m);
            None
        }
    };
    if errors.is_empty()
        && let Some(d) = date
    {
        let n = NewCoding { service_id: c.service_id.clone(), report_date: d, theme, issue: field(&form, "issue").to_string() };
        let expected = crate::versions::from_form(&form);
        match state.store.update_theme_coding_at(&user.actor(), &id, &n, expected).await {
            Ok(()) => return Ok(Redirect::to(&format!("/quality/themes/{}?saved=coding", n_theme(&state, &id).await?)).into_response()),
            Err(caremarket_store::StoreError::Stale { current }) => {
                let now = state.store.theme_coding(&id).await?;
                let theme_name =
                    |code: &str| theme_names.iter().find(|(c, _)| c == code).map(|(_, n)| n.clone()).unwrap_or_else(|| code.to_string());
                let date_text = |s: &str| s.parse::<Date>().map(|d| d.strftime("%-d %B %Y").to_string()).unwrap_or_else(|_| s.to_string());
                let changes = caremarket_core::versions::changes([
                    ("Date of the CQC report", date_text(&now.report_date), d.strftime("%-d %B %Y").to_string()),
                    ("Theme", now.theme_name.clone(), theme_name(&n.theme)),
                    ("What the report found", now.issue.clone(), n.issue.clone()),
                ]);
                let stale = crate::versions::stale(&state, "theme_coding", &id, current, expected, changes).await?;
                let reply = crate::versions::Reply::stale(stale.notice);
                return render_edit(&state, &user, &id, Some(&form), &errors, current.to_string(), reply).await;
            }
            Err(e) => errors.add_store(e)?,
        }
    }
    let version = field(&form, "version").to_string();
    render_edit(&state, &user, &id, Some(&form), &errors, version, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

async fn n_theme(state: &AppState, id: &str) -> Result<String, AppError> {
    Ok(state.store.theme_coding(id).await?.theme_code)
}

async fn delete_coding(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let c = state.store.theme_coding(&id).await?;
    state.store.delete_theme_coding(&user.actor(), &id).await?;
    Ok(Redirect::to(&format!("/quality/themes/{}?saved=deleted", c.theme_code)).into_response())
}
