//! Evidence files on quality actions, quality visits and outcome claims (issue 16 item 18).
//!
//! Each record's page shows an "Evidence" section (`_evidence.html`, from [`section`]): its files
//! and, for those who may change the record, an upload form. The routes here are shared by the
//! officers' pages and the provider portal; every one checks, server-side, that the signed-in
//! account may see (or change) the record the file belongs to: a provider only its own actions
//! and the claims it sent, and anything else is "not found".
//!
//! - `POST /evidence/{kind}/{id}`: add a file (multipart). The type is told from the content
//!   (`caremarket_core::evidence::FileType::detect`), never the name or the browser's word; a
//!   file over `WebSettings::max_evidence_bytes` is refused while it is read.
//! - `GET /evidence/files/{file}`: download, as an attachment with the detected content type
//!   and `X-Content-Type-Options: nosniff`.
//! - `POST /evidence/files/{file}/remove`: remove a file (officers who may change the record).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::render::{field_error, format_date};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::evidence::{ACCEPTED_IN_WORDS, FileType, RecordKind, Viewer, safe_name, size_in_words};
use caremarket_store::StoreError;
use caremarket_store::evidence::{EvidenceFile, NewEvidenceFile, RecordOwner, evidence_path};
use minijinja::{Value, context};
use serde::Deserialize;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/evidence/{kind}/{id}", post(upload))
        .route("/evidence/files/{file}", get(download))
        .route("/evidence/files/{file}/remove", post(remove))
}

/// What the page was told after a change (`?evidence=added` or `?evidence=removed`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct EvidenceQuery {
    #[serde(default)]
    evidence: Option<String>,
}

impl EvidenceQuery {
    /// From a page's own reading of its query (the `evidence` field; empty for none).
    pub(crate) fn from_field(value: &str) -> EvidenceQuery {
        EvidenceQuery { evidence: Some(value.to_string()).filter(|v| !v.is_empty()) }
    }
}

fn viewer(user: &CurrentUser) -> Viewer<'_> {
    Viewer { role: user.role(), provider_id: user.user.provider_id.as_deref() }
}

/// The page the record is shown on, for this account (the portal's page for a provider).
fn record_page(user: &CurrentUser, kind: RecordKind, id: &str, owner: &RecordOwner) -> String {
    let provider = user.user.provider_id.is_some();
    let contract = owner.contract_id.as_deref().unwrap_or("");
    match (kind, provider) {
        (RecordKind::Action, false) => format!("/quality/actions/{id}"),
        (RecordKind::Action, true) => format!("/portal/actions/{id}"),
        (RecordKind::Visit, _) => format!("/quality/visits/{id}"),
        (RecordKind::Claim, false) => format!("/outcomes/{contract}/claims/{id}"),
        (RecordKind::Claim, true) => format!("/portal/outcomes/{contract}/claims/{id}"),
        (RecordKind::CostOfCareReturn, false) => format!("/fees/cost-of-care/returns/{id}"),
        (RecordKind::CostOfCareReturn, true) => format!("/portal/cost-of-care/{id}"),
    }
}

/// The record's owner, "not found" when there is no such record or this account may not see it
/// (a provider cannot tell another provider's record from a missing one).
async fn visible_owner(state: &AppState, user: &CurrentUser, kind: RecordKind, id: &str) -> Result<RecordOwner, AppError> {
    let owner = match state.store.evidence_record_owner(kind, id).await {
        Ok(o) => o,
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    if !viewer(user).may_see(kind, owner.provider_id.as_deref()) {
        return Err(if user.user.provider_id.is_some() { AppError::NotFound } else { AppError::Forbidden });
    }
    Ok(owner)
}

fn file_row(f: &EvidenceFile) -> Value {
    context! {
        id => f.id,
        name => f.name,
        type_label => f.file_type.label(),
        size => size_in_words(f.size_bytes),
        uploaded_by => f.uploaded_by_name,
        uploaded_at => format_date(&f.uploaded_at),
        href => format!("/evidence/files/{}", f.id),
        remove_action => format!("/evidence/files/{}/remove", f.id),
    }
}

/// The "Evidence" section of a record's page: its files, whether this account may add or remove
/// them, and the banner after a change. The caller has already checked the account may see the
/// record.
pub(crate) async fn section(
    state: &AppState,
    user: &CurrentUser,
    kind: RecordKind,
    id: &str,
    q: &EvidenceQuery,
) -> Result<Value, AppError> {
    let owner = visible_owner(state, user, kind, id).await?;
    let files = state.store.evidence_files(kind, id).await?;
    let v = viewer(user);
    let banner = match q.evidence.as_deref() {
        Some("added") => Some("Evidence file added"),
        Some("removed") => Some("Evidence file removed"),
        _ => None,
    };
    Ok(context! {
        record_label => kind.label(),
        files => files.iter().map(file_row).collect::<Vec<_>>(),
        can_add => v.may_add(kind, owner.provider_id.as_deref()),
        can_remove => v.may_remove(kind),
        upload_action => format!("/evidence/{}/{id}", kind.as_str()),
        max_size => size_in_words(state.settings.max_evidence_bytes as i64),
        accepted => ACCEPTED_IN_WORDS,
        banner => banner,
    })
}

/// What an upload form sent: the file's name and bytes (`None` when none was chosen), or that
/// it was larger than the limit.
enum Sent {
    File(String, Vec<u8>),
    Nothing,
    TooLarge(String),
}

async fn read_form(user: &CurrentUser, mut multipart: axum::extract::Multipart, limit: usize) -> Result<Sent, AppError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge("The selected file is too large to send.".into())
        } else {
            AppError::BadRequest(format!("The upload could not be read: {e}"))
        }
    };
    let mut token = None;
    let mut sent = Sent::Nothing;
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("csrf_token") => token = Some(field.text().await.map_err(unreadable)?),
            Some("evidence_file") => {
                let name = safe_name(field.file_name().unwrap_or(""));
                let mut bytes: Vec<u8> = Vec::new();
                let mut too_large = false;
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    if bytes.len() + chunk.len() > limit {
                        too_large = true;
                        break;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                if too_large {
                    sent = Sent::TooLarge(name);
                    // The CSRF token comes before the file in the form; nothing after it is read.
                    break;
                }
                if !bytes.is_empty() {
                    sent = Sent::File(name, bytes);
                }
            }
            _ => {}
        }
    }
    crate::csrf::verify_token(&user.session, token.as_deref()).await?;
    Ok(sent)
}

async fn upload(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    multipart: crate::csrf::LateMultipart,
) -> Result<Response, AppError> {
    if !viewer(&user).may_add_any() {
        return Err(AppError::Forbidden);
    }
    let kind = RecordKind::parse(&kind).ok_or(AppError::NotFound)?;
    let owner = visible_owner(&state, &user, kind, &id).await?;
    if !viewer(&user).may_add(kind, owner.provider_id.as_deref()) {
        return Err(AppError::Forbidden);
    }
    let multipart = crate::csrf::opened(multipart)?;
    let limit = state.settings.max_evidence_bytes;
    let back = record_page(&user, kind, &id, &owner);
    let error = match read_form(&user, multipart, limit).await? {
        Sent::Nothing => "Select a file".to_string(),
        Sent::TooLarge(name) => format!("The file {name} is too large: it must be {} or smaller", size_in_words(limit as i64)),
        Sent::File(name, bytes) => match FileType::detect(&bytes) {
            None => format!("The file {name} is not an accepted type: it must be {ACCEPTED_IN_WORDS}"),
            Some(file_type) => {
                let new = NewEvidenceFile { kind, record_id: &id, name: &name, file_type, bytes: &bytes };
                match state.store.add_evidence_file(&user.actor(), &state.settings.evidence_dir, &new).await {
                    Ok(_) => return Ok(Redirect::to(&format!("{back}?evidence=added#evidence-files")).into_response()),
                    Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
                    Err(e) => return Err(e.into()),
                }
            }
        },
    };
    crate::auth::page(
        &state,
        &user,
        "evidence_upload.html",
        StatusCode::BAD_REQUEST,
        context! {
            errors => vec![field_error("evidence_file", &error)],
            file_error => error,
            record_label => kind.label(),
            back => back,
            upload_action => format!("/evidence/{}/{id}", kind.as_str()),
            max_size => size_in_words(limit as i64),
            accepted => ACCEPTED_IN_WORDS,
        },
    )
    .await
}

/// The file's row, when this account may see its record ("not found" otherwise).
async fn visible_file(state: &AppState, user: &CurrentUser, file: &str) -> Result<(EvidenceFile, RecordOwner), AppError> {
    let f = match state.store.evidence_file(file).await {
        Ok(f) => f,
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let owner = visible_owner(state, user, f.record_kind, &f.record_id).await?;
    Ok((f, owner))
}

/// A `Content-Disposition` value for the kept name: an ASCII fallback and the UTF-8 name.
fn disposition(name: &str) -> String {
    let ascii: String = name.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

async fn download(user: CurrentUser, State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, AppError> {
    if !viewer(&user).may_see_any() {
        return Err(AppError::Forbidden);
    }
    let (f, _) = visible_file(&state, &user, &file).await?;
    let path = evidence_path(&state.settings.evidence_dir, &f.id);
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "an evidence file recorded in the database is missing from the evidence folder");
            return Err(AppError::Internal("an evidence file is missing from the evidence folder".into()));
        }
    };
    let mut res = Body::from(bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(f.file_type.mime()));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition(&f.name)).unwrap_or_else(|_| HeaderValue::from_static("attachment")),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
struct RemoveForm {}

async fn remove(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(file): Path<String>,
    CsrfForm(_form): CsrfForm<RemoveForm>,
) -> Result<Response, AppError> {
    if !viewer(&user).may_remove_any() {
        return Err(AppError::Forbidden);
    }
    let (f, owner) = visible_file(&state, &user, &file).await?;
    if !viewer(&user).may_remove(f.record_kind) {
        return Err(AppError::Forbidden);
    }
    match state.store.remove_evidence_file(&user.actor(), &state.settings.evidence_dir, &f.id).await {
        Ok(_) | Err(StoreError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let back = record_page(&user, f.record_kind, &f.record_id, &owner);
    Ok(Redirect::to(&format!("{back}?evidence=removed#evidence-files")).into_response())
}
