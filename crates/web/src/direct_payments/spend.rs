//! Importing spend from the council's finance system: the file is read by
//! `caremarket_ingest::uploads::direct_payments`, checked all or nothing by core, and every bad
//! row is listed with its row number.

use super::page;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::render::field_error;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::{CATEGORIES, money};
use caremarket_ingest::uploads::direct_payments::read_spend_csv;
use minijinja::{Value, context};

pub(super) async fn import_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    render_import(&state, &user, &[], None, StatusCode::OK).await
}

async fn render_import(
    state: &AppState,
    user: &CurrentUser,
    problems: &[String],
    done: Option<Value>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let errors: Vec<Value> =
        problems.iter().map(|p| field_error(if problems.len() == 1 && p.starts_with("Select") { "file" } else { "" }, p)).collect();
    page(
        state,
        user,
        "dp_import.html",
        status,
        context! { errors => errors, problems => problems, done => done, categories => CATEGORIES.iter().map(|(_, l)| *l).collect::<Vec<_>>() },
    )
    .await
}

pub(super) async fn import_upload(
    user: CurrentUser,
    State(state): State<AppState>,
    multipart: crate::csrf::LateMultipart,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut multipart = crate::csrf::opened(multipart)?;
    let mut token: Option<String> = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(f) =
        multipart.next_field().await.map_err(|_| AppError::BadRequest("The file could not be uploaded – try again".into()))?
    {
        match f.name() {
            Some("csrf_token") => token = f.text().await.ok(),
            Some("file") => {
                let name = f.file_name().unwrap_or("spend.csv").to_string();
                let bytes = f.bytes().await.map_err(|_| AppError::BadRequest("The file could not be uploaded – try again".into()))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    crate::csrf::verify_token(&user.session, token.as_deref()).await?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return render_import(&state, &user, &["Select a CSV file of spend".into()], None, StatusCode::BAD_REQUEST).await;
    };
    let rows = match read_spend_csv(&bytes) {
        Ok(r) => r,
        Err(m) => return render_import(&state, &user, &[m], None, StatusCode::BAD_REQUEST).await,
    };
    match state.store.import_spend(&user.actor(), &name, &rows).await? {
        Ok(done) => {
            render_import(
                &state,
                &user,
                &[],
                Some(context! { rows => done.rows, total => money(done.total_pence), file => name }),
                StatusCode::OK,
            )
            .await
        }
        Err(problems) => {
            let mut p = vec![format!(
                "Nothing was imported: {} {} to fix",
                problems.len(),
                if problems.len() == 1 { "row needs" } else { "rows need" }
            )];
            p.extend(problems.into_iter().take(500));
            render_import(&state, &user, &p, None, StatusCode::BAD_REQUEST).await
        }
    }
}
