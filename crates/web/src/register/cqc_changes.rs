//! CQC changes to acknowledge (issue 16 item 13): what each CQC import changed in the council's
//! market, listed as "New" until someone acknowledges it. Every council officer reads the list
//! (ViewRegister); commissioners and quality officers acknowledge (AcknowledgeCqcChanges), one or
//! many at once, with an optional note; the Acknowledged tab says who and when.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::field;
use crate::paging::{PER_PAGE, Paging};
use crate::render::{format_date, format_timestamp};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::register::cqc_changes::CqcChangeKind;
use caremarket_store::register::{CqcChange, CqcChangeFilter};
use minijinja::{Value, context};
use serde::Deserialize;

pub(super) const PATH: &str = "/register/cqc-changes";

/// The longest note kept with an acknowledgement.
const NOTE_MAX: usize = 1000;

#[derive(Debug, Default, Deserialize)]
pub(super) struct ChangesQuery {
    tab: Option<String>,
    kind: Option<String>,
    page: Option<String>,
    acknowledged: Option<usize>,
    problem: Option<String>,
}

/// The list's filters as they go into a URL: the tab and the kind (page apart).
fn filter_query(acknowledged_tab: bool, kind: Option<CqcChangeKind>) -> Vec<(String, String)> {
    let mut q = Vec::new();
    if acknowledged_tab {
        q.push(("tab".to_string(), "acknowledged".to_string()));
    }
    if let Some(k) = kind {
        q.push(("kind".to_string(), k.as_str().to_string()));
    }
    q
}

fn list_href(acknowledged_tab: bool, kind: Option<CqcChangeKind>, extra: &[(String, String)]) -> String {
    let mut q = filter_query(acknowledged_tab, kind);
    q.extend_from_slice(extra);
    let s = serde_urlencoded::to_string(&q).unwrap_or_default();
    if s.is_empty() { PATH.to_string() } else { format!("{PATH}?{s}") }
}

/// What changed, as a person reads it.
fn what_changed(c: &CqcChange) -> String {
    let on = c.on_date.map(|d| format_date(&d.to_string()));
    match c.kind {
        CqcChangeKind::RatingChange => {
            let from = c.rating_from.map(|r| r.label()).unwrap_or("Not rated");
            let to = c.rating_to.map(|r| r.label()).unwrap_or("Not rated");
            match on {
                Some(d) => format!("{from} → {to}, report published {d}"),
                None => format!("{from} → {to}"),
            }
        }
        CqcChangeKind::NewService => match on {
            Some(d) => format!("Registered with CQC on {d}"),
            None => "Registered with CQC".to_string(),
        },
        CqcChangeKind::Deregistered => match on {
            Some(d) => format!("Left CQC's register on {d}"),
            None => "Left CQC's register".to_string(),
        },
    }
}

fn kind_tag(k: CqcChangeKind) -> &'static str {
    match k {
        CqcChangeKind::RatingChange => "govuk-tag--purple",
        CqcChangeKind::NewService => "govuk-tag--turquoise",
        CqcChangeKind::Deregistered => "govuk-tag--grey",
    }
}

/// The words for a problem code sent back to the list (never text from the URL).
fn problem_text(code: &str) -> Option<(&'static str, &'static str)> {
    match code {
        "none_ticked" => Some(("change-1", "Select at least one change to acknowledge")),
        "none_shown" => Some(("change-1", "There are no new changes shown to acknowledge")),
        "note_too_long" => Some(("note", "The note must be 1000 characters or fewer")),
        _ => None,
    }
}

pub(super) async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<ChangesQuery>) -> Result<Response, AppError> {
    user.require(Permission::ViewRegister)?;
    let acknowledged_tab = q.tab.as_deref() == Some("acknowledged");
    let kind = match q.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(k) => Some(
            CqcChangeKind::parse(k)
                .ok_or_else(|| AppError::BadRequest("kind: choose rating changed, new service or deregistered".to_string()))?,
        ),
    };
    let rows = state.store.cqc_changes(&CqcChangeFilter { acknowledged: acknowledged_tab, kind }).await?;
    let new_count = state.store.unacknowledged_cqc_change_count().await?;
    let mut query = filter_query(acknowledged_tab, kind);
    if let Some(p) = &q.page {
        query.push(("page".into(), p.clone()));
    }
    let paging = Paging::new(PATH, &query, rows.len(), PER_PAGE)?;
    let total = rows.len();
    let items: Vec<Value> = paging
        .slice(rows)
        .iter()
        .map(|c| {
            context! {
                id => c.id, service_id => c.service_id, service_name => c.service_name,
                kind => c.kind.label(), kind_tag => kind_tag(c.kind), what => what_changed(c),
                found => format_date(&c.found_at), file_name => c.import_file_name,
                by => c.acknowledged_by_name, at => c.acknowledged_at.as_deref().map(format_timestamp), note => c.note,
            }
        })
        .collect();
    let kind_options: Vec<Value> = std::iter::once(context! { value => "", text => "All kinds of change" })
        .chain(CqcChangeKind::ALL.iter().map(|k| context! { value => k.as_str(), text => k.label() }))
        .collect();
    let problem = q.problem.as_deref().and_then(problem_text);
    let base = user.context(&state).await?;
    let html = state.renderer.render(
        "cqc_changes.html",
        &base,
        context! {
            acknowledged_tab => acknowledged_tab,
            kind => kind.map(|k| k.as_str()).unwrap_or(""),
            kind_label => kind.map(|k| k.label()),
            kind_options => kind_options,
            rows_shown => items,
            total => total,
            new_count => new_count,
            paging => paging.context(),
            page => paging.page,
            can_acknowledge => user.role().can(Permission::AcknowledgeCqcChanges) && !acknowledged_tab,
            new_href => list_href(false, kind, &[]),
            acknowledged_href => list_href(true, kind, &[]),
            just_acknowledged => q.acknowledged,
            errors => problem.map(|(f, m)| vec![context! { field => f, message => m }]),
            note_error => problem.filter(|(f, _)| *f == "note").map(|(_, m)| m),
            change_error => problem.filter(|(f, _)| *f != "note").map(|(_, m)| m),
        },
    )?;
    Ok(Html(html).into_response())
}

/// Acknowledge the changes ticked ("Acknowledge selected") or every new change on the page
/// ("Acknowledge all shown"), with the note. Back to the list as it was filtered, with how many
/// were acknowledged, or with a problem and nothing changed.
pub(super) async fn acknowledge(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::AcknowledgeCqcChanges)?;
    let kind = CqcChangeKind::parse(field(&form, "kind").trim());
    let page = field(&form, "page").trim().to_string();
    let keep_page: Vec<(String, String)> =
        if page.chars().all(|c| c.is_ascii_digit()) && !page.is_empty() { vec![("page".into(), page)] } else { Vec::new() };
    let values = |name: &str| -> Vec<String> {
        let mut v: Vec<String> =
            form.iter().filter(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_string()).collect();
        v.sort();
        v.dedup();
        v
    };
    let all = field(&form, "action") == "all";
    let ids = if all { values("shown_id") } else { values("change_id") };
    let note = field(&form, "note");
    let problem = if ids.is_empty() {
        if all { "none_shown" } else { "none_ticked" }
    } else if note.chars().count() > NOTE_MAX {
        "note_too_long"
    } else {
        let n = state.store.acknowledge_cqc_changes(&user.actor(), &ids, Some(note)).await?;
        // The page the person was on may now be past the end: the list shows its last page.
        let mut extra = keep_page;
        extra.push(("acknowledged".into(), n.to_string()));
        return Ok(Redirect::to(&list_href(false, kind, &extra)).into_response());
    };
    let mut extra = keep_page;
    extra.push(("problem".into(), problem.to_string()));
    Ok(Redirect::to(&list_href(false, kind, &extra)).into_response())
}
