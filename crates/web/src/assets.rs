//! Front-end assets built from the pinned govuk-frontend package (see docs/frontend.md),
//! embedded in the binary so nothing is fetched at run time.

use crate::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../assets/dist/"]
struct Assets;

pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{*path}", get(asset)).route("/favicon.ico", get(favicon))
}

async fn asset(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => {
            let mime = mime_guess::from_path(&path).first_or_octet_stream();
            (
                [(header::CONTENT_TYPE, mime.as_ref().to_string()), (header::CACHE_CONTROL, "public, max-age=3600".to_string())],
                file.data.into_owned(),
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The site's stylesheet, for documents that carry their own (the report written to a file).
pub fn stylesheet() -> String {
    Assets::get("caremarket.css").map(|f| String::from_utf8_lossy(&f.data).into_owned()).unwrap_or_default()
}

async fn favicon() -> Response {
    asset(Path("images/favicon.ico".to_string())).await
}
