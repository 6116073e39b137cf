//! CQC imports from the web, for administrators (`Permission::ImportCqc`): upload CQC files,
//! see what each import changed, and look back at past imports.
//!
//! Every file is read before anything is applied, so a file that cannot be read changes nothing
//! (it is recorded as a failed import and the upload page says why). Parsing runs on a blocking
//! thread; applying is one transaction per file in the store.

use crate::AppState;
use crate::auth::{CurrentUser, session_context};
use crate::error::AppError;
use crate::render::field_error;
use axum::Router;
use axum::body::Bytes;
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_store::import::{ImportOptions, ImportReport};
use minijinja::Value;
use serde::{Deserialize, Serialize};

/// At most this many rejected rows are shown on the report page; all are in the CSV download.
const REJECTIONS_SHOWN: usize = 1000;
const IMPORTS_LISTED: i64 = 200;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/imports", get(list).post(upload))
        .route("/imports/new", get(new_page))
        .route("/imports/{id}", get(show))
        .route("/imports/{id}/rejections.csv", get(rejections_csv))
}

/// "2024-02-03T14:05:00.000000Z" -> "3 February 2024 at 2:05pm" (UK time).
fn when(ts: &str) -> String {
    match ts.parse::<jiff::Timestamp>() {
        Ok(t) => {
            let tz = jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC);
            let z = t.to_zoned(tz);
            let hour = match z.hour() % 12 {
                0 => 12,
                h => h,
            };
            let ampm = if z.hour() < 12 { "am" } else { "pm" };
            format!("{} at {}:{:02}{}", z.strftime("%-d %B %Y"), hour, z.minute(), ampm)
        }
        Err(_) => ts.to_string(),
    }
}

fn status_label(status: &str) -> (&'static str, &'static str) {
    match status {
        "completed" => ("Completed", "govuk-tag--green"),
        "failed" => ("Failed", "govuk-tag--red"),
        _ => ("In progress", "govuk-tag--grey"),
    }
}

fn tag_html(status: &str) -> Value {
    let (text, class) = status_label(status);
    Value::from_safe_string(format!("<strong class=\"govuk-tag {class}\">{text}</strong>"))
}

fn link(text: impl Into<String>, href: impl Into<String>) -> Value {
    minijinja::context! { text => text.into(), href => href.into() }
}

#[derive(Deserialize)]
struct ListQuery {
    imported: Option<usize>,
}

async fn list(State(state): State<AppState>, user: CurrentUser, Query(q): Query<ListQuery>) -> Result<Html<String>, AppError> {
    user.require(Permission::ImportCqc)?;
    let ctx = session_context(&state, &user.session).await?;
    let imports = state.store.imports(IMPORTS_LISTED).await?;
    let rows: Vec<Vec<Value>> = imports
        .iter()
        .map(|i| {
            let failed = i.status == "failed";
            let count = |n: i64| if failed { Value::from("–") } else { Value::from(n.to_string()) };
            vec![
                link(when(&i.started_at), format!("/imports/{}", i.id)),
                Value::from(i.file_name.clone()),
                Value::from(if failed { "–".to_string() } else { i.format.clone() }),
                Value::from(i.actor_label.clone()),
                minijinja::context! { html => tag_html(&i.status) },
                count(i.new),
                count(i.updated),
                count(i.unchanged),
                count(i.deregistered),
                count(i.rejected),
            ]
        })
        .collect();
    Ok(Html(state.renderer.render("imports.html", &ctx, minijinja::context! { rows => rows, imported => q.imported })?))
}

/// The upload page, with any errors from a previous attempt.
fn render_new(
    state: &AppState,
    ctx: &crate::render::BaseContext,
    errors: Vec<Value>,
    file_error: Option<String>,
) -> Result<String, AppError> {
    let max_mb = state.settings.max_upload_bytes / (1024 * 1024);
    state.renderer.render(
        "imports_new.html",
        ctx,
        minijinja::context! { errors => errors, file_error => file_error, max_upload_mb => max_mb },
    )
}

async fn new_page(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
    user.require(Permission::ImportCqc)?;
    let ctx = session_context(&state, &user.session).await?;
    Ok(Html(render_new(&state, &ctx, Vec::new(), None)?))
}

/// A message as a sentence: capital first letter, no closing full stop (the caller adds one).
fn sentence(s: &str) -> String {
    let s = s.trim().trim_end_matches('.');
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

struct Upload {
    name: String,
    bytes: Bytes,
}

/// The file's own name: some browsers send the whole path on the user's computer.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    base.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Why a multipart body could not be read, as a person can act on it.
fn multipart_problem(e: &MultipartError, max_mb: usize) -> String {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        format!("The selected file must be smaller than {max_mb} MB")
    } else {
        "The selected file could not be uploaded – try again".to_string()
    }
}

async fn upload(State(state): State<AppState>, user: CurrentUser, mut multipart: Multipart) -> Result<Response, AppError> {
    user.require(Permission::ImportCqc)?;
    let max_mb = state.settings.max_upload_bytes / (1024 * 1024);
    let mut token: Option<String> = None;
    let mut files: Vec<Upload> = Vec::new();
    let mut problem: Option<String> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                problem = Some(multipart_problem(&e, max_mb));
                break;
            }
        };
        match field.name() {
            Some("csrf_token") => match field.text().await {
                Ok(t) => token = Some(t),
                Err(e) => {
                    problem = Some(multipart_problem(&e, max_mb));
                    break;
                }
            },
            Some("file") => {
                let name = field.file_name().map(clean_file_name).unwrap_or_default();
                match field.bytes().await {
                    // A form sent with no file chosen has an empty, unnamed file part.
                    Ok(bytes) if name.is_empty() && bytes.is_empty() => {}
                    Ok(bytes) => files.push(Upload { name: if name.is_empty() { "upload".into() } else { name }, bytes }),
                    Err(e) => {
                        problem = Some(multipart_problem(&e, max_mb));
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    // The token is checked before any file is used. If the body could not be read, the token
    // may not have arrived: then the page is shown again and nothing is done.
    if problem.is_none() {
        crate::csrf::verify_token(&user.session, token.as_deref()).await?;
    }
    let ctx = session_context(&state, &user.session).await?;
    let again = |errors: Vec<Value>, file_error: String| -> Result<Response, AppError> {
        let html = render_new(&state, &ctx, errors, Some(file_error))?;
        Ok((StatusCode::BAD_REQUEST, Html(html)).into_response())
    };
    if let Some(p) = problem {
        return again(vec![field_error("file", &p)], p);
    }
    if files.is_empty() {
        let msg = "Select a CQC file";
        return again(vec![field_error("file", msg)], msg.to_string());
    }

    // Read every file first; apply none if any cannot be read.
    let actor = user.actor();
    let mut parsed = Vec::new();
    let mut failures: Vec<(String, String)> = Vec::new();
    for f in files {
        let name = f.name.clone();
        let result = tokio::task::spawn_blocking(move || {
            caremarket_ingest::parse_cqc_bytes(&f.name, &f.bytes, &mut |_, _| {}).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| AppError::Internal(format!("CQC parser task: {e}")))?;
        match result {
            Ok(outcome) => parsed.push((name, outcome)),
            Err(reason) => {
                state.store.record_failed_import(&actor, &name, &reason).await?;
                failures.push((name, reason));
            }
        }
    }
    if !failures.is_empty() {
        let errors: Vec<Value> =
            failures.iter().map(|(_, reason)| field_error("file", &format!("{}. Nothing was imported.", sentence(reason)))).collect();
        // The parser's messages name the file and say what to do.
        let inline = match failures.as_slice() {
            [(_, reason)] => sentence(reason),
            many => {
                format!("{} files could not be read: {}", many.len(), many.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "))
            }
        };
        return again(errors, inline);
    }

    let council_las = state.store.council_local_authorities().await?;
    let mut ids = Vec::new();
    for (name, outcome) in parsed {
        let options = ImportOptions {
            file_name: name,
            format: outcome.format.label().to_string(),
            complete_register: outcome.is_complete_register,
            council_local_authorities: council_las.clone(),
        };
        let report = state.store.import_cqc(&actor, &options, &outcome.records, outcome.rejections, &mut |_, _| {}).await?;
        tracing::info!(import_id = %report.id, new = report.new, updated = report.updated, rejected = report.rejected, "CQC import from the web");
        ids.push(report.id);
    }
    Ok(match ids.as_slice() {
        [id] => Redirect::to(&format!("/imports/{id}")).into_response(),
        many => Redirect::to(&format!("/imports?imported={}", many.len())).into_response(),
    })
}

#[derive(Serialize)]
struct SummaryRow {
    key: &'static str,
    value: String,
}

fn summary_rows(r: &ImportReport) -> Vec<SummaryRow> {
    let mut rows = vec![
        SummaryRow { key: "File", value: r.file_name.clone() },
        SummaryRow { key: "Format", value: if r.status == "failed" { "Not recognised".into() } else { r.format.clone() } },
        SummaryRow { key: "Imported", value: when(&r.started_at) },
        SummaryRow { key: "Imported by", value: r.actor_label.clone() },
        SummaryRow { key: "Status", value: status_label(&r.status).0.to_string() },
    ];
    if r.status != "failed" {
        rows.extend([
            SummaryRow { key: "New services", value: r.new.to_string() },
            SummaryRow { key: "Updated", value: r.updated.to_string() },
            SummaryRow { key: "Unchanged", value: r.unchanged.to_string() },
            SummaryRow { key: "Deregistered", value: r.deregistered.to_string() },
            SummaryRow { key: "Rejected rows", value: r.rejected.to_string() },
        ]);
    }
    rows
}

async fn show(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Html<String>, AppError> {
    user.require(Permission::ImportCqc)?;
    let report = state.store.import(&id).await?;
    let ctx = session_context(&state, &user.session).await?;
    let rejections: Vec<Vec<String>> = report
        .rejections
        .iter()
        .take(REJECTIONS_SHOWN)
        .map(|r| vec![r.row.to_string(), r.location_id.clone().unwrap_or_default(), r.reason.clone()])
        .collect();
    Ok(Html(state.renderer.render(
        "imports_show.html",
        &ctx,
        minijinja::context! {
            import => Value::from_serialize(&report),
            summary => summary_rows(&report),
            status_label => status_label(&report.status).0,
            rejections => rejections,
            // API documents are numbered by document, tables by spreadsheet row.
            row_label => if report.format == caremarket_ingest::CqcFormat::ApiLocationJson.label() { "Document" } else { "Row" },
            rejections_total => report.rejections.len(),
            rejections_shown => report.rejections.len().min(REJECTIONS_SHOWN),
        },
    )?))
}

fn csv_field(s: &str) -> String {
    // Cells starting with a formula character are prefixed so spreadsheets do not run them.
    let s = caremarket_core::text::spreadsheet_cell(s).into_owned();
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// Every rejected row of an import, for a spreadsheet.
async fn rejections_csv(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ImportCqc)?;
    let report = state.store.import(&id).await?;
    let mut out = String::from("Row,Location ID,Reason\r\n");
    for r in &report.rejections {
        out.push_str(&format!("{},{},{}\r\n", r.row, csv_field(r.location_id.as_deref().unwrap_or("")), csv_field(&r.reason)));
    }
    let stem: String = report.file_name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"rejected-rows-{stem}.csv\"")),
        ],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_uk_time() {
        assert_eq!(when("2024-07-03T13:05:00.000000Z"), "3 July 2024 at 2:05pm");
        assert_eq!(when("2024-01-03T00:30:00Z"), "3 January 2024 at 12:30am");
        assert_eq!(when("not a time"), "not a time");
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(sentence("the file 'a.csv' is empty"), "The file 'a.csv' is empty");
        assert_eq!(sentence("'a.csv' is bad."), "'a.csv' is bad");
    }

    #[test]
    fn file_names_lose_their_folders() {
        assert_eq!(clean_file_name("C:\\Users\\me\\CQC_directory.csv"), "CQC_directory.csv");
        assert_eq!(clean_file_name("/tmp/a.ods"), "a.ods");
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
    }
}
