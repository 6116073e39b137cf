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

/// A page that saves several settings together carries each one's version in its own hidden
/// field, `version_<key>` (`_setting_versions.html`), so that a save is refused if any one of
/// them was saved since the page was opened, and the notice names who saved that one.
pub fn setting_expected(pairs: &[(String, String)], key: &str) -> Version {
    let name = format!("version_{key}");
    pairs.iter().find(|(k, _)| *k == name).and_then(|(_, v)| Version::parse(v).ok()).unwrap_or(Version::STALE_FORM)
}

/// The hidden fields as the form sent them (a form shown again after a mistake keeps the
/// versions it was opened at).
pub fn setting_versions_sent(pairs: &[(String, String)], keys: &[&str]) -> Vec<Value> {
    keys.iter().map(|k| context! { key => *k, version => setting_expected(pairs, k).get() }).collect()
}

/// The hidden fields at each setting's version now (a page opened, or shown after a refusal).
pub async fn setting_versions_now(state: &crate::AppState, keys: &[&str]) -> Result<Vec<Value>, crate::AppError> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        out.push(context! { key => *k, version => state.store.setting_version(k).await? });
    }
    Ok(out)
}

/// The notice for a refused save of several settings: who saved the first of them that moved on.
pub async fn settings_stale(
    state: &crate::AppState,
    pairs: &[(String, String)],
    keys: &[&str],
    changes: Vec<FieldChange>,
) -> Result<Stale, crate::AppError> {
    let mut moved = None;
    for k in keys {
        let now = state.store.setting_version(k).await?;
        let sent = setting_expected(pairs, k);
        if now != sent.get() {
            moved = Some((*k, now, sent));
            break;
        }
    }
    match moved {
        Some((key, now, sent)) => stale(state, "setting", key, now, sent, changes).await,
        // Refused, yet each is at the version sent: another save came and went in between.
        None => Ok(Stale {
            current: 0,
            notice: context! { by => None::<String>, at => None::<String>, unversioned => true, changes => changes },
        }),
    }
}
