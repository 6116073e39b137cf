//! A save refused because the record changed since the form was opened (decision 25): the form
//! is shown again with what the officer typed, a notice of who changed the record and when, and
//! each field that now differs from what they submitted. The form then carries the record's new
//! version, so saving it again is a deliberate choice to replace what is there now.

use axum::http::StatusCode;
use caremarket_core::versions::{FieldChange, Version};
use minijinja::{Value, context};

/// What a refused save's page says, for `_stale.html`.
pub struct Stale {
    pub current: i64,
    pub notice: Value,
}

pub const STATUS: StatusCode = StatusCode::CONFLICT;

/// The version a form was made from; an old form without one (opened before versions existed)
/// is treated as made from version 0, which no record has, so it is refused and shown again.
pub fn from_form(pairs: &[(String, String)]) -> Version {
    pairs.iter().find(|(k, _)| k == "version").and_then(|(_, v)| Version::parse(v).ok()).unwrap_or(Version::STALE_FORM)
}

/// The notice for a record now at `current`, last changed as the audit log says.
pub async fn stale(
    state: &crate::AppState,
    entity_type: &str,
    id: &str,
    current: i64,
    expected: Version,
    changes: Vec<FieldChange>,
) -> Result<Stale, crate::AppError> {
    // A form without a version was not necessarily overtaken by anyone: say so, not who.
    let unversioned = expected == Version::STALE_FORM;
    let last = if unversioned { None } else { state.store.last_change(entity_type, id).await? };
    Ok(Stale {
        current,
        notice: context! {
            by => last.as_ref().map(|l| l.by.clone()),
            at => last.as_ref().map(|l| l.at.clone()),
            unversioned => unversioned,
            changes => changes,
        },
    })
}

/// How a form page answers: its status and, after a refused save, the notice.
pub struct Reply {
    pub status: StatusCode,
    pub stale: Option<Value>,
}

impl Reply {
    pub fn status(status: StatusCode) -> Reply {
        Reply { status, stale: None }
    }

    pub fn stale(notice: Value) -> Reply {
        Reply { status: STATUS, stale: Some(notice) }
    }
}
