//! Provider monthly returns (`002` rec 4): complaints and staffing per service and month.
//! Officers (ViewSignals to read, RecordSignals to upload) see every return and upload a CSV for
//! any service; a provider user (ProviderPortal) sees and sends returns for its own services only,
//! as a CSV or one month at a time, at `/portal/returns`. The provider comes from the account,
//! never the request. Uploads are all-or-nothing: every bad row is listed with its number.

use crate::AppState;
use crate::auth::{CurrentUser, session_context};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::field;
use crate::render::field_error;
use axum::Router;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_store::StoreError;
use caremarket_store::quality::returns::{COLUMNS, NewMonthlyReturn, ReturnsTable, RowProblem};
use caremarket_store::register::ServiceFilter;
use minijinja::{Value, context};
use serde_json::json;
use std::collections::BTreeMap;

/// How many problems an upload lists before saying "and N more".
const MAX_PROBLEMS: usize = 100;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/returns", get(officer_page))
        .route("/quality/returns/upload", post(officer_upload))
        .route("/portal/returns", get(portal_page).post(portal_submit))
        .route("/portal/returns/upload", post(portal_upload))
}

/// Read a CSV into a table of text; a file that is not CSV is one problem.
fn read_csv(bytes: &[u8]) -> Result<ReturnsTable, Vec<RowProblem>> {
    let whole = |m: String| vec![RowProblem { row: 0, field: String::new(), message: m }];
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let headers = match rdr.headers() {
        Ok(h) => h.iter().map(|h| h.trim_start_matches('\u{feff}').to_string()).collect(),
        Err(e) => return Err(whole(format!("The file could not be read as CSV: {e}"))),
    };
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        match rec {
            Ok(r) => rows.push(r.iter().map(str::to_string).collect()),
            Err(e) => {
                problems.push(RowProblem { row: i + 2, field: String::new(), message: format!("row {}: could not be read ({e})", i + 2) });
                rows.push(Vec::new());
            }
        }
    }
    if problems.is_empty() { Ok(ReturnsTable { headers, rows }) } else { Err(problems) }
}

fn problem_errors(problems: &[RowProblem]) -> Vec<Value> {
    let mut v: Vec<Value> = problems
        .iter()
        .take(MAX_PROBLEMS)
        .map(|p| field_error("file", &if p.row > 0 && p.field.is_empty() { p.message.clone() } else { p.to_string() }))
        .collect();
    if problems.len() > MAX_PROBLEMS {
        v.push(field_error("file", &format!("and {} more problems", problems.len() - MAX_PROBLEMS)));
    }
    v
}

/// Check and save an uploaded file: `Ok(n)` saved, or the problems to show.
async fn upload(
    state: &AppState,
    user: &CurrentUser,
    file: Option<Vec<u8>>,
    kind: &str,
    only_provider: Option<&str>,
) -> Result<Result<usize, Vec<Value>>, AppError> {
    let Some(bytes) = file else {
        return Ok(Err(vec![field_error("file", "Select a CSV file")]));
    };
    let table = match read_csv(&bytes) {
        Ok(t) => t,
        Err(p) => return Ok(Err(problem_errors(&p))),
    };
    match state.store.import_monthly_returns(&user.actor(), &table, kind, only_provider, caremarket_store::today()).await? {
        Ok(n) => Ok(Ok(n)),
        Err(p) => Ok(Err(problem_errors(&p))),
    }
}

// ----- officers -----

async fn render_officer(
    state: &AppState,
    user: &CurrentUser,
    errors: Vec<Value>,
    saved: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let returns = state.store.monthly_returns(None, None, 300).await?;
    let ctx = session_context(state, &user.session).await?;
    let html = state.renderer.render(
        "quality_returns.html",
        &ctx,
        context! {
            returns => returns,
            errors => errors,
            saved => saved,
            columns => COLUMNS,
            can_upload => user.role().can(Permission::RecordSignals),
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn officer_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewSignals)?;
    let saved = Some(field(&q, "saved").to_string()).filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
    render_officer(&state, &user, Vec::new(), saved, StatusCode::OK).await
}

async fn officer_upload(user: CurrentUser, State(state): State<AppState>, multipart: Multipart) -> Result<Response, AppError> {
    user.require(Permission::RecordSignals)?;
    let file = crate::capacity::read_upload(&user, multipart).await?;
    match upload(&state, &user, file, "officer", None).await? {
        Ok(n) => Ok(Redirect::to(&format!("/quality/returns?saved={n}")).into_response()),
        Err(errors) => render_officer(&state, &user, errors, None, StatusCode::BAD_REQUEST).await,
    }
}

// ----- the provider portal -----

fn provider_of(user: &CurrentUser) -> Result<String, AppError> {
    user.require(Permission::ProviderPortal)?;
    user.user.provider_id.clone().ok_or(AppError::Forbidden)
}

#[derive(Default)]
struct FormErrors {
    list: Vec<Value>,
    by_field: BTreeMap<String, String>,
}

impl FormErrors {
    fn add(&mut self, field: &str, message: &str) {
        if !self.by_field.contains_key(field) {
            self.list.push(field_error(field, message));
            self.by_field.insert(field.to_string(), message.to_string());
        }
    }
}

const NUMBER_FIELDS: [(&str, &str, bool); 7] = [
    ("complaints", "Complaints received", true),
    ("complaints_via_council", "Complaints made via the council", false),
    ("complaints_resolved_in_house", "Complaints resolved in house", false),
    ("staff_in_post", "Staff in post", false),
    ("staff_vacancies", "Staff vacancies", false),
    ("staff_leavers", "Staff who left in the month", false),
    ("agency_hours", "Agency hours", false),
];

#[allow(clippy::too_many_arguments)]
async fn render_portal(
    state: &AppState,
    user: &CurrentUser,
    provider_id: &str,
    form: &[(String, String)],
    errors: &FormErrors,
    upload_errors: Vec<Value>,
    saved: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let provider = state.store.provider(provider_id).await?;
    let services = state
        .store
        .services(&ServiceFilter {
            provider_id: Some(provider_id.to_string()),
            any_area: true,
            per_page: 1000,
            sort: Some("name".into()),
            ..Default::default()
        })
        .await?;
    let mut options = vec![json!({"value": "", "text": "Choose a service"})];
    options.extend(services.items.iter().filter(|s| s.provider_id == provider_id).map(|s| json!({"value": s.id, "text": s.name})));
    let returns = state.store.monthly_returns(None, Some(provider_id), 300).await?;
    let numbers: Vec<serde_json::Value> = NUMBER_FIELDS
        .iter()
        .map(|(name, label, required)| {
            json!({"name": name, "label": if *required { label.to_string() } else { format!("{label} (optional)") }, "value": field(form, name), "error": errors.by_field.get(*name)})
        })
        .collect();
    let mut all_errors = errors.list.clone();
    all_errors.extend(upload_errors);
    let ctx = session_context(state, &user.session).await?;
    let html = state.renderer.render(
        "portal_returns.html",
        &ctx,
        context! {
            provider_name => provider.name,
            returns => returns,
            service_options => options,
            service_id => field(form, "service_id"),
            month => field(form, "month"),
            numbers => numbers,
            errors => all_errors,
            field_errors => errors.by_field,
            saved => saved,
            columns => COLUMNS,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn portal_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let saved = Some(field(&q, "saved").to_string()).filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
    render_portal(&state, &user, &provider_id, &[], &FormErrors::default(), Vec::new(), saved, StatusCode::OK).await
}

async fn portal_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let mut errors = FormErrors::default();
    let service_id = field(&form, "service_id").trim().to_string();
    if service_id.is_empty() {
        errors.add("service_id", "Choose the service");
    }
    let month = field(&form, "month").trim().to_string();
    if month.is_empty() {
        errors.add("month", "Enter the month, like 2024-11");
    }
    let mut nums: BTreeMap<&str, Option<i64>> = BTreeMap::new();
    for (name, label, required) in NUMBER_FIELDS {
        let v = field(&form, name).trim().replace(',', "");
        if v.is_empty() {
            if required {
                errors.add(name, &format!("Enter the number of {} (0 if none)", label.to_lowercase()));
            }
            nums.insert(name, None);
        } else {
            match v.parse::<i64>() {
                Ok(n) => {
                    nums.insert(name, Some(n));
                }
                Err(_) => errors.add(name, &format!("{label} must be a whole number")),
            }
        }
    }
    if errors.list.is_empty() {
        let n = |k: &str| nums.get(k).copied().flatten();
        let r = NewMonthlyReturn {
            service_id,
            month,
            complaints: n("complaints").unwrap_or(0),
            complaints_via_council: n("complaints_via_council").unwrap_or(0),
            complaints_resolved_in_house: n("complaints_resolved_in_house").unwrap_or(0),
            staff_in_post: n("staff_in_post"),
            staff_vacancies: n("staff_vacancies"),
            staff_leavers: n("staff_leavers"),
            agency_hours: n("agency_hours"),
        };
        match state.store.submit_monthly_return(&user.actor(), &r, "provider", Some(&provider_id), caremarket_store::today()).await {
            Ok(_) => return Ok(Redirect::to("/portal/returns?saved=1").into_response()),
            Err(StoreError::Invalid(fe)) => errors.add(&fe.field, &fe.message),
            Err(e) => return Err(e.into()),
        }
    }
    render_portal(&state, &user, &provider_id, &form, &errors, Vec::new(), None, StatusCode::BAD_REQUEST).await
}

async fn portal_upload(user: CurrentUser, State(state): State<AppState>, multipart: Multipart) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let file = crate::capacity::read_upload(&user, multipart).await?;
    match upload(&state, &user, file, "provider", Some(&provider_id)).await? {
        Ok(n) => Ok(Redirect::to(&format!("/portal/returns?saved={n}")).into_response()),
        Err(errs) => render_portal(&state, &user, &provider_id, &[], &FormErrors::default(), errs, None, StatusCode::BAD_REQUEST).await,
    }
}
