//! Money limits on direct payments (issue 16 item 16): reclaims waiting for a second approver,
//! card spend in blocked merchant categories with each line's review, and the blocked list
//! itself. Viewing needs ViewDirectPayments; approving, reviewing and changing the list need
//! EditDirectPayments, and the store checks the approver's own limit.

use super::{new_errors, page};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::{CATEGORIES, label_of, money};
use minijinja::{Value, context};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub(super) struct DoneQuery {
    done: Option<String>,
    reviewed: Option<String>,
}

async fn render_approvals(
    state: &AppState,
    user: &CurrentUser,
    errors: &FormErrors,
    banner: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let awaiting = state.store.reclaims_awaiting().await?;
    let me = state.store.approval_limits(user.actor().user_id.as_deref()).await?;
    let rows: Vec<Value> = awaiting
        .iter()
        .map(|r| {
            let mine = r.recorded_by.as_deref() == user.actor().user_id.as_deref();
            context! {
                id => r.id, dp_id => r.dp_id, person_ref => r.person_ref, completed_on => r.completed_on,
                requested => money(r.requested_pence), officer => r.officer_label,
                // What stops this officer approving it, said beside it instead of a button.
                blocked => if mine { Some("You put this forward: another officer must approve it".to_string()) }
                    else if r.requested_pence > me.reclaim_pence { Some(format!("Above your limit of {}", money(me.reclaim_pence))) }
                    else { None },
            }
        })
        .collect();
    let ctx = context! {
        rows => rows, my_limit => money(me.reclaim_pence), own_limit => me.own_reclaim,
        can_edit => user.role().can(Permission::EditDirectPayments), banner => banner,
        errors => errors.list, field_errors => errors.by_field,
    };
    page(state, user, "dp_approvals.html", status, ctx).await
}

/// Reclaims waiting for a second approver.
pub(super) async fn approvals(user: CurrentUser, State(state): State<AppState>, Query(q): Query<DoneQuery>) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    let banner = q.done.is_some().then_some("Reclaim approved");
    render_approvals(&state, &user, &new_errors(), banner, StatusCode::OK).await
}

/// A second officer approves a reclaim.
pub(super) async fn approve_reclaim(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(mid): Path<String>,
    CsrfForm(_form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = new_errors();
    match state.store.approve_reclaim(&user.actor(), &mid).await {
        Ok(()) => return Ok(Redirect::to("/direct-payments/approvals?done=1").into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_approvals(&state, &user, &errors, None, StatusCode::BAD_REQUEST).await
}

async fn render_card_spend(
    state: &AppState,
    user: &CurrentUser,
    reviewed: bool,
    errors: &FormErrors,
    banner: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let lines = state.store.flagged_spend(reviewed, None).await?;
    let other = state.store.flagged_spend(!reviewed, None).await?.len();
    let total: i64 = lines.iter().map(|l| l.amount_pence).sum();
    let rows: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            context! {
                n => i + 1, id => l.id, dp_id => l.dp_id, person_ref => l.person_ref, date => l.spend_date, amount => money(l.amount_pence),
                category => label_of(&CATEGORIES, &l.category), merchant => format!("{} {}", l.merchant_category, l.merchant_label),
                reviewed_by => l.reviewed_by_label, reviewed_at => l.reviewed_at.as_deref().map(|t| t.get(..10).unwrap_or(t).to_string()), note => l.review_note,
            }
        })
        .collect();
    let ctx = context! {
        rows => rows, reviewed => reviewed, count => lines.len(), other => other, total => money(total),
        blocked => state.store.blocked_categories().await?.len(),
        can_edit => user.role().can(Permission::EditDirectPayments), banner => banner,
        errors => errors.list, field_errors => errors.by_field,
    };
    page(state, user, "dp_card_spend.html", status, ctx).await
}

/// Card spend in blocked categories: to review, or reviewed (`?reviewed=1`).
pub(super) async fn card_spend(user: CurrentUser, State(state): State<AppState>, Query(q): Query<DoneQuery>) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    let reviewed = q.reviewed.as_deref() == Some("1");
    let banner = q.done.is_some().then_some("Review recorded");
    render_card_spend(&state, &user, reviewed, &new_errors(), banner, StatusCode::OK).await
}

/// An officer records what they found about a flagged line of spend.
pub(super) async fn review_spend(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(spend_id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = new_errors();
    match state.store.review_spend(&user.actor(), &spend_id, field(&form, "note")).await {
        Ok(()) => return Ok(Redirect::to("/direct-payments/card-spend?done=1").into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_card_spend(&state, &user, false, &errors, None, StatusCode::BAD_REQUEST).await
}

async fn render_categories(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    banner: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let list = state.store.blocked_categories().await?;
    let ctx = context! {
        categories => list.iter().map(|c| context! { code => c.code, label => c.label, added_by => c.added_by_label,
            added_on => c.added_at.get(..10).unwrap_or(&c.added_at) }).collect::<Vec<_>>(),
        code => field(form, "code"), label => field(form, "label"),
        can_edit => user.role().can(Permission::EditDirectPayments), banner => banner,
        errors => errors.list, field_errors => errors.by_field,
    };
    page(state, user, "dp_blocked_categories.html", status, ctx).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CategoriesQuery {
    added: Option<String>,
    removed: Option<String>,
}

/// The council's blocked merchant categories.
pub(super) async fn categories(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<CategoriesQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    let banner = if q.added.is_some() {
        Some("Category blocked")
    } else if q.removed.is_some() {
        Some("Category removed from the list")
    } else {
        None
    };
    render_categories(&state, &user, &[], &new_errors(), banner, StatusCode::OK).await
}

pub(super) async fn add_category(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = new_errors();
    match state.store.add_blocked_category(&user.actor(), field(&form, "code"), field(&form, "label")).await {
        Ok(()) => return Ok(Redirect::to("/direct-payments/card-spend/categories?added=1").into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_categories(&state, &user, &form, &errors, None, StatusCode::BAD_REQUEST).await
}

pub(super) async fn remove_category(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(_form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    state.store.remove_blocked_category(&user.actor(), &code).await?;
    Ok(Redirect::to("/direct-payments/card-spend/categories?removed=1").into_response())
}
