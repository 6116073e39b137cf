//! CQC imports from the web, for administrators (`Permission::ImportCqc`): upload CQC files,
//! see what each import changed, and look back at past imports.
//!
//! Every file is read before anything is applied, so a file that cannot be read changes nothing
//! (it is recorded as a failed import and the upload page says why). Parsing runs on a blocking
//! thread; applying is one transaction per file in the store.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::render::field_error;
use axum::Router;
use axum::extract::multipart::MultipartError;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_core::register::import_plan::{Completeness, DeregistrationPlan, Listed};
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
        .route("/imports/pending/{id}", get(pending_page).post(confirm_pending))
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
    let ctx = user.context(&state).await?;
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

/// The choice of whether the uploaded files are complete, as radios.
fn completeness_options() -> Vec<Value> {
    vec![
        minijinja::context! {
            value => "complete",
            text => "Complete: CQC's whole file, or every location of the local authorities in it",
            hint => "A registered service of those local authorities that the file does not list has closed, and is marked deregistered. You are shown the list first if there are more than a few.",
        },
        minijinja::context! {
            value => "partial",
            text => "Partial: some rows only, such as a sample or an extract",
            hint => "Services are added and updated; nothing is marked deregistered.",
        },
    ]
}

/// The upload page, with any errors from a previous attempt.
fn render_new(
    state: &AppState,
    ctx: &crate::render::BaseContext,
    errors: Vec<Value>,
    file_error: Option<String>,
    completeness: Option<&str>,
    completeness_error: Option<String>,
) -> Result<String, AppError> {
    let max_mb = state.settings.max_upload_bytes / (1024 * 1024);
    state.renderer.render(
        "imports_new.html",
        ctx,
        minijinja::context! {
            errors => errors, file_error => file_error, max_upload_mb => max_mb,
            completeness_options => completeness_options(), completeness => completeness, completeness_error => completeness_error,
        },
    )
}

async fn new_page(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
    user.require(Permission::ImportCqc)?;
    let ctx = user.context(&state).await?;
    Ok(Html(render_new(&state, &ctx, Vec::new(), None, None, None)?))
}

/// How a parsed file is applied: the officer's completeness, and the file's own facts. The
/// command line's import uses this too, so the two cannot disagree.
pub fn options_for(
    name: &str,
    outcome: &caremarket_ingest::ParseOutcome,
    completeness: Completeness,
    council_las: &[String],
) -> ImportOptions {
    ImportOptions {
        file_name: name.to_string(),
        format: outcome.format.label().to_string(),
        complete_register: outcome.is_complete_register,
        council_local_authorities: council_las.to_vec(),
        skipped: outcome.skipped.clone(),
        providers: outcome.providers.clone(),
        completeness,
        social_care_only: outcome.format.social_care_only(),
        carried: outcome.carried.clone(),
        confirmed_deregistrations: None,
    }
}

/// Import a file from disk as it is read, after a first reading ([`caremarket_ingest::list_cqc_file`])
/// gave `options`, its `rejections` and what it `listed`: the command line's import, which holds
/// a batch of locations at a time instead of the file's (issue 18 item 1). The file is read again
/// ([`caremarket_ingest::reread_cqc_file`]) on a thread of its own while the database writes. A
/// file that no longer reads as it did the first time changes nothing.
pub async fn import_cqc_file_streamed(
    store: &caremarket_store::Store,
    actor: &caremarket_store::Actor,
    path: &std::path::Path,
    options: &ImportOptions,
    listed: Listed,
    rejections: Vec<caremarket_core::register::Rejection>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<ImportReport, caremarket_store::StoreError> {
    let path = path.to_path_buf();
    let display = path.display().to_string();
    let reread: Reread = Box::new(move |first, each| caremarket_ingest::reread_cqc_file(&path, first, each, &mut |_, _| {}));
    import_read_again(store, actor, options, listed, rejections, progress, display, reread).await
}

/// A file's second reading: given the first reading's rejections, it hands on each location.
type Reread = Box<
    dyn FnOnce(
            &[caremarket_core::register::Rejection],
            &mut dyn FnMut(caremarket_core::register::CqcLocation),
        ) -> Result<caremarket_ingest::ParseOutcome, caremarket_ingest::IngestError>
        + Send,
>;

/// The import of a file as it is read again (the command line's and the web upload's): `reread`
/// runs on a thread of its own and hands each location to the import a batch at a time. `file`
/// names the file if it no longer lists what its first reading did.
#[allow(clippy::too_many_arguments)]
async fn import_read_again(
    store: &caremarket_store::Store,
    actor: &caremarket_store::Actor,
    options: &ImportOptions,
    listed: Listed,
    rejections: Vec<caremarket_core::register::Rejection>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
    file: String,
    reread: Reread,
) -> Result<ImportReport, caremarket_store::StoreError> {
    let locations = listed.locations;
    let (mut sender, stream) = caremarket_store::import::location_stream(listed);
    let first_rejections = rejections.clone();
    let reader = tokio::task::spawn_blocking(move || {
        // The import first compares what the first reading listed with the register; a file
        // whose every location is stored as listed is not read again (decision 57).
        if *sender.wanted() == caremarket_store::import::Wanted::None {
            sender.end(Ok(()));
            return;
        }
        // Every location goes to the sender, which passes on the ones the import wants.
        let mut read_again = 0u64;
        let read = reread(&first_rejections, &mut |loc| {
            read_again += 1;
            sender.send(loc);
        });
        let read = match read {
            Ok(_) if read_again == locations => Ok(()),
            Ok(_) => Err(format!("{file} changed since it was first read: it listed {locations} locations then and {read_again} now")),
            Err(e) => Err(e.to_string()),
        };
        sender.end(read);
    });
    let report = store.import_cqc_streamed(actor, options, stream, rejections, progress).await;
    // The reader has ended or, the import having stopped, is reading on to no one; a reader that
    // failed has already failed the import.
    let _ = reader.await;
    report
}

/// An uploaded file after its first reading: what it lists and its outcome without its
/// locations, with the temporary file it is read from again when it is applied. Neither reading
/// holds the file's locations (issue 18 item 1).
struct FirstReading {
    name: String,
    file: std::fs::File,
    outcome: caremarket_ingest::ParseOutcome,
    listed: Listed,
}

/// Read a kept file for the first time, on a blocking thread; the parser's message if it cannot
/// be read.
async fn first_reading(name: String, file: std::fs::File) -> Result<Result<FirstReading, String>, AppError> {
    tokio::task::spawn_blocking(move || {
        let copy = file.try_clone().map_err(|e| format!("{name} could not be read again: {e}"))?;
        let (outcome, listed) = caremarket_ingest::list_cqc_open_file(&name, &name, copy, &mut |_, _| {}).map_err(|e| e.to_string())?;
        Ok(FirstReading { name, file, outcome, listed })
    })
    .await
    .map_err(|e| AppError::Internal(format!("CQC parser task: {e}")))
}

/// Apply files in order, each read again as it is applied; `confirmed[i]` is the number of
/// deregistrations the officer confirmed for file i. Redirects to the report (one file) or the list.
async fn apply_files(
    state: &AppState,
    user: &CurrentUser,
    readings: Vec<FirstReading>,
    completeness: Completeness,
    confirmed: &[Option<usize>],
) -> Result<Response, AppError> {
    let actor = user.actor();
    let council_las = state.store.council_local_authorities().await?;
    let mut ids = Vec::new();
    for (i, reading) in readings.into_iter().enumerate() {
        let FirstReading { name, file, outcome, listed } = reading;
        let mut options = options_for(&name, &outcome, completeness, &council_las);
        options.confirmed_deregistrations = confirmed.get(i).copied().flatten();
        let display = name.clone();
        let reread: Reread =
            Box::new(move |first, each| caremarket_ingest::reread_cqc_open_file(&name, &name, file, first, each, &mut |_, _| {}));
        let report = import_read_again(&state.store, &actor, &options, listed, outcome.rejections, &mut |_, _| {}, display, reread).await?;
        tracing::info!(import_id = %report.id, new = report.new, updated = report.updated, deregistered = report.deregistered, rejected = report.rejected, "CQC import from the web");
        ids.push(report.id);
    }
    Ok(match ids.as_slice() {
        [id] => Redirect::to(&format!("/imports/{id}")).into_response(),
        many => Redirect::to(&format!("/imports?imported={}", many.len())).into_response(),
    })
}

/// Each file's deregistrations, for the confirmation page and check.
async fn previews(state: &AppState, readings: &[FirstReading], completeness: Completeness) -> Result<Vec<DeregistrationPlan>, AppError> {
    let council_las = state.store.council_local_authorities().await?;
    let mut plans = Vec::new();
    for r in readings {
        plans.push(state.store.preview_deregistrations(&options_for(&r.name, &r.outcome, completeness, &council_las), &r.listed).await?);
    }
    Ok(plans)
}

/// The confirmation page: what each file would deregister.
async fn render_pending(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    readings: &[FirstReading],
    plans: &[DeregistrationPlan],
    errors: Vec<Value>,
) -> Result<String, AppError> {
    let ctx = user.context(state).await?;
    let files: Vec<Value> = readings
        .iter()
        .map(|r| &r.name)
        .zip(plans)
        .map(|(name, plan)| {
            let rows: Vec<Vec<String>> = plan
                .services
                .iter()
                .map(|s| {
                    vec![s.name.clone(), s.location_id.clone(), s.local_authority.clone().unwrap_or_default(), s.kind.label().to_string()]
                })
                .collect();
            minijinja::context! { name => name, count => plan.services.len(), rows => rows }
        })
        .collect();
    let total: usize = plans.iter().map(|p| p.services.len()).sum();
    state.renderer.render("imports_confirm.html", &ctx, minijinja::context! { id => id, files => files, total => total, errors => errors })
}

/// The files waiting for confirmation: each written back to a temporary file a chunk at a time
/// and read for the first time again, so that what the officer is shown is worked out from the
/// bytes that will be applied.
async fn load_pending(state: &AppState, user: &CurrentUser, id: &str) -> Result<(Completeness, Vec<FirstReading>), AppError> {
    use tokio::io::AsyncWriteExt;
    let (completeness, files) = state.store.pending_import(id, user.actor().user_id.as_deref()).await?;
    let mut readings = Vec::new();
    for f in files {
        let disk = |e: std::io::Error| AppError::Internal(format!("pending import {id}: keeping {} on disk: {e}", f.name));
        let file = tokio::task::spawn_blocking(tempfile::tempfile).await.map_err(|e| AppError::Internal(e.to_string()))?.map_err(disk)?;
        let mut out = tokio::fs::File::from_std(file);
        for seq in 0..f.chunks {
            out.write_all(&state.store.pending_import_chunk(id, &f, seq).await?).await.map_err(disk)?;
        }
        out.flush().await.map_err(disk)?;
        let file = out.into_std().await;
        match first_reading(f.name.clone(), file).await? {
            Ok(reading) => readings.push(reading),
            // It was read when it was uploaded: only a release that reads it differently fails here.
            Err(reason) => return Err(AppError::Internal(format!("pending import {id}: {reason}"))),
        }
    }
    Ok((completeness, readings))
}

/// Keep the upload's files, as they arrived, until the officer confirms; its id.
async fn save_pending(
    state: &AppState,
    user: &CurrentUser,
    readings: &[FirstReading],
    completeness: Completeness,
) -> Result<String, AppError> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let names: Vec<String> = readings.iter().map(|r| r.name.clone()).collect();
    let mut writer = state.store.start_pending_import(user.actor().user_id.as_deref(), completeness, &names).await?;
    let chunk_bytes = caremarket_store::import::PENDING_CHUNK_BYTES;
    let mut chunk = Vec::with_capacity(chunk_bytes);
    for (position, r) in readings.iter().enumerate() {
        let disk = |e: std::io::Error| AppError::Internal(format!("keeping {} for confirmation: {e}", r.name));
        let mut file = tokio::fs::File::from_std(r.file.try_clone().map_err(disk)?);
        file.seek(std::io::SeekFrom::Start(0)).await.map_err(disk)?;
        // Every chunk but the last is full: `take` reads until it has a chunk or the file ends.
        loop {
            chunk.clear();
            if (&mut file).take(chunk_bytes as u64).read_to_end(&mut chunk).await.map_err(disk)? == 0 {
                break;
            }
            writer.add_chunk(position, &chunk).await?;
        }
    }
    Ok(writer.finish().await?)
}

async fn pending_page(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Html<String>, AppError> {
    user.require(Permission::ImportCqc)?;
    let (completeness, readings) = load_pending(&state, &user, &id).await?;
    let plans = previews(&state, &readings, completeness).await?;
    Ok(Html(render_pending(&state, &user, &id, &readings, &plans, Vec::new()).await?))
}

/// The officer confirms the deregistrations they were shown. The counts they saw are sent back
/// and must still be what the files would do: if the register changed meanwhile, they are
/// shown the new list instead.
async fn confirm_pending(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ImportCqc)?;
    let (completeness, readings) = load_pending(&state, &user, &id).await?;
    let plans = previews(&state, &readings, completeness).await?;
    let seen: Vec<Option<usize>> = form.iter().filter(|(k, _)| k == "count").map(|(_, v)| v.trim().parse().ok()).collect();
    let now: Vec<Option<usize>> = plans.iter().map(|p| Some(p.services.len())).collect();
    let confirmed = form.iter().any(|(k, v)| k == "confirm" && v == "yes");
    if !confirmed || seen != now {
        let message = if confirmed {
            "The register has changed since this list was shown: check the services below again"
        } else {
            "Confirm that these services have closed, or go back and import the file as partial"
        };
        let html = render_pending(&state, &user, &id, &readings, &plans, vec![field_error("confirm", message)]).await?;
        return Ok((StatusCode::BAD_REQUEST, Html(html)).into_response());
    }
    let response = apply_files(&state, &user, readings, completeness, &now).await?;
    state.store.remove_pending_import(&id).await?;
    Ok(response)
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

/// A CQC file as it arrived: written to an unnamed temporary file chunk by chunk, so that a
/// 64 MB register is never held in memory, and gone from the disk when it is dropped, even if
/// the server stops (issue 17 item 2).
struct Upload {
    name: String,
    file: std::fs::File,
}

/// Why a file part could not be kept: the body (too large, cut off) or the disk.
pub(crate) enum SpoolError {
    Body(MultipartError),
    Disk(std::io::Error),
}

/// Write a file part to an unnamed temporary file as its chunks arrive; its length is returned
/// with it. The ECM import (`crate::ecm`) keeps its two files the same way.
pub(crate) async fn spool(field: &mut axum::extract::multipart::Field<'_>) -> Result<(std::fs::File, u64), SpoolError> {
    use tokio::io::AsyncWriteExt;
    let file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(|e| SpoolError::Disk(std::io::Error::other(e)))?
        .map_err(SpoolError::Disk)?;
    let mut out = tokio::fs::File::from_std(file);
    let mut len = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(SpoolError::Body)? {
        out.write_all(&chunk).await.map_err(SpoolError::Disk)?;
        len += chunk.len() as u64;
    }
    out.flush().await.map_err(SpoolError::Disk)?;
    Ok((out.into_std().await, len))
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

async fn upload(State(state): State<AppState>, user: CurrentUser, multipart: crate::csrf::LateMultipart) -> Result<Response, AppError> {
    user.require(Permission::ImportCqc)?;
    let mut multipart = crate::csrf::opened(multipart)?;
    let max_mb = state.settings.max_upload_bytes / (1024 * 1024);
    let mut token: Option<String> = None;
    let mut completeness_raw: Option<String> = None;
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
            Some("completeness") => match field.text().await {
                Ok(t) => completeness_raw = Some(t),
                Err(e) => {
                    problem = Some(multipart_problem(&e, max_mb));
                    break;
                }
            },
            Some("file") => {
                let name = field.file_name().map(clean_file_name).unwrap_or_default();
                let mut field = field;
                match spool(&mut field).await {
                    // A form sent with no file chosen has an empty, unnamed file part.
                    Ok((_, 0)) if name.is_empty() => {}
                    Ok((file, _)) => files.push(Upload { name: if name.is_empty() { "upload".into() } else { name }, file }),
                    Err(SpoolError::Body(e)) => {
                        problem = Some(multipart_problem(&e, max_mb));
                        break;
                    }
                    Err(SpoolError::Disk(e)) => return Err(AppError::Internal(format!("keeping an upload on disk: {e}"))),
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
    let ctx = user.context(&state).await?;
    let completeness = completeness_raw.as_deref().and_then(Completeness::parse);
    let chosen = completeness.map(Completeness::as_str);
    const CHOOSE: &str = "Select whether the file is complete or partial";
    let again = |mut errors: Vec<Value>, file_error: Option<String>| -> Result<Response, AppError> {
        let completeness_error = if completeness.is_none() {
            errors.push(field_error("completeness", CHOOSE));
            Some(CHOOSE.to_string())
        } else {
            None
        };
        let html = render_new(&state, &ctx, errors, file_error, chosen, completeness_error)?;
        Ok((StatusCode::BAD_REQUEST, Html(html)).into_response())
    };
    if let Some(p) = problem {
        return again(vec![field_error("file", &p)], Some(p));
    }
    if files.is_empty() {
        let msg = "Select a CQC file";
        return again(vec![field_error("file", msg)], Some(msg.to_string()));
    }
    let Some(completeness) = completeness else {
        return again(Vec::new(), None);
    };

    // Read every file first; apply none if any cannot be read. The first reading lists each
    // file's locations without keeping them; applying reads the file again.
    let actor = user.actor();
    let mut readings = Vec::new();
    let mut failures: Vec<(String, String)> = Vec::new();
    for f in files {
        let name = f.name.clone();
        match first_reading(f.name, f.file).await? {
            Ok(reading) => readings.push(reading),
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
        return again(errors, Some(inline));
    }

    // Many deregistrations are shown to the officer before anything happens (issue 14 item 3):
    // the files wait, as they arrived, and nothing is applied until they confirm.
    let plans = previews(&state, &readings, completeness).await?;
    if plans.iter().any(DeregistrationPlan::needs_confirmation) {
        let id = save_pending(&state, &user, &readings, completeness).await?;
        return Ok(Redirect::to(&format!("/imports/pending/{id}")).into_response());
    }
    apply_files(&state, &user, readings, completeness, &[]).await
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
        if r.skipped > 0 {
            // Issue 14: the register is the social care market; healthcare locations are left out.
            // How many of each CQC type, from the reasons kept with the import.
            let mut by_reason: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
            for s in &r.skipped_locations {
                *by_reason.entry(s.reason.rsplit(": ").next().unwrap_or(&s.reason)).or_default() += 1;
            }
            let detail: Vec<String> = by_reason.into_iter().map(|(reason, n)| format!("{n} {reason}")).collect();
            rows.push(SummaryRow {
                key: "Skipped",
                value: format!(
                    "{} not social care {} (dentists, GP practices, hospitals and other healthcare): not imported. {}",
                    r.skipped,
                    if r.skipped == 1 { "location" } else { "locations" },
                    detail.join("; ")
                ),
            });
        }
        if r.providers_read > 0 {
            rows.push(SummaryRow { key: "Provider names read", value: r.providers_read.to_string() });
        }
        if r.rating_changes > 0 {
            rows.push(SummaryRow { key: "Changes of rating recorded", value: r.rating_changes.to_string() });
        }
        if let Some(c) = &r.completeness {
            let text = match c.as_str() {
                "complete" => "Complete for its local authorities",
                _ => "Partial (some rows only)",
            };
            rows.push(SummaryRow { key: "The file was", value: text.to_string() });
        }
        if let Some(note) = &r.deregistration_note {
            rows.push(SummaryRow { key: "Nothing deregistered because", value: sentence(note) });
        }
    }
    rows
}

async fn show(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Html<String>, AppError> {
    user.require(Permission::ImportCqc)?;
    let report = state.store.import(&id).await?;
    let ctx = user.context(&state).await?;
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
            changes => state.store.cqc_changes_found_by(&report.id).await?,
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
