//! Provider monthly returns (`002` rec 4): complaints and staffing per service and month.
//! Officers (ViewSignals to read, RecordSignals to upload) see every return and upload a CSV for
//! any service; providers send theirs through the portal (`crate::portal::returns`). Uploads are
//! read by `caremarket_ingest::uploads::quality_returns` and are all-or-nothing: every bad row is
//! listed with its number.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::forms::field;
use crate::paging::{PER_PAGE, Paging};
use crate::render::field_error;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_ingest::uploads::quality_returns;
use caremarket_store::quality::returns::{COLUMNS, RowProblem};
use minijinja::{Value, context};

/// How many problems an upload lists before saying "and N more".
const MAX_PROBLEMS: usize = 100;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/quality/returns", get(officer_page)).route("/quality/returns/upload", post(officer_upload))
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

/// Check and save an uploaded file (officers' and providers'): `Ok(n)` saved, or the problems
/// to show.
pub(crate) async fn upload(
    state: &AppState,
    user: &CurrentUser,
    file: Option<Vec<u8>>,
    kind: &str,
    only_provider: Option<&str>,
) -> Result<Result<usize, Vec<Value>>, AppError> {
    let Some(bytes) = file else {
        return Ok(Err(vec![field_error("file", "Select a CSV file")]));
    };
    let rows = match quality_returns::parse(&bytes) {
        Ok(rows) => rows,
        Err(p) => return Ok(Err(problem_errors(&p))),
    };
    match state.store.import_monthly_returns(&user.actor(), &rows, kind, only_provider, caremarket_store::today()).await? {
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
    query: &[(String, String)],
) -> Result<Response, AppError> {
    let returns = state.store.monthly_returns(None, None, 100_000).await?;
    let paging = Paging::new("/quality/returns", query, returns.len(), PER_PAGE)?;
    let returns = paging.slice(returns);
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "quality_returns.html",
        &ctx,
        context! {
            returns => returns,
            paging => paging.context(),
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
    render_officer(&state, &user, Vec::new(), saved, StatusCode::OK, &q).await
}

async fn officer_upload(
    user: CurrentUser,
    State(state): State<AppState>,
    multipart: crate::csrf::LateMultipart,
) -> Result<Response, AppError> {
    user.require(Permission::RecordSignals)?;
    let multipart = crate::csrf::opened(multipart)?;
    let file = crate::capacity::read_upload(&user, multipart).await?;
    match upload(&state, &user, file, "officer", None).await? {
        Ok(n) => Ok(Redirect::to(&format!("/quality/returns?saved={n}")).into_response()),
        Err(errors) => render_officer(&state, &user, errors, None, StatusCode::BAD_REQUEST, &[]).await,
    }
}
