//! The named officer of a direct payment (issue 16 item 9): changed on the DP's own page, or for
//! many at once from the monitoring list, where work without a named officer shows up. Both
//! need EditDirectPayments; the store checks the officer may work on direct payments and audits
//! each change.

use super::payments::officers;
use super::{new_errors, options_owned, page};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_store::StoreError;
use minijinja::context;

/// The choice that takes the named officer off (an empty value is "not chosen").
const NONE: &str = "none";

fn choice(form: &[(String, String)], name: &str) -> Result<Option<String>, &'static str> {
    match field(form, name).trim() {
        "" => Err("Choose the named officer, or no named officer"),
        NONE => Ok(None),
        id => Ok(Some(id.to_string())),
    }
}

async fn officer_options(state: &AppState) -> Result<Vec<minijinja::Value>, AppError> {
    let mut list = officers(state).await?;
    list.push((NONE.to_string(), "No named officer".to_string()));
    Ok(options_owned(&list, Some("Choose an officer")))
}

#[allow(clippy::too_many_arguments)]
async fn render_officer(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    chosen: &str,
    version: &str,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let d = state.store.direct_payment(id).await?;
    let ctx = context! {
        dp_id => d.id, person_ref => d.person_ref, current => d.officer_name,
        officer_options => officer_options(state).await?, officer_id => chosen,
        errors => errors.list, field_errors => errors.by_field, stale => reply.stale, version => version,
    };
    page(state, user, "dp_officer.html", reply.status, ctx).await
}

pub(super) async fn officer_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let d = state.store.direct_payment(&id).await?;
    let chosen = d.officer_id.clone().unwrap_or_else(|| NONE.to_string());
    render_officer(&state, &user, &id, &chosen, &d.version.to_string(), &new_errors(), crate::versions::Reply::status(StatusCode::OK)).await
}

pub(super) async fn save_officer(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = new_errors();
    let expected = crate::versions::from_form(&form);
    match choice(&form, "officer_id") {
        Ok(officer) => match state.store.set_dp_officer(&user.actor(), &id, officer.as_deref(), expected).await {
            Ok(_) => return Ok(Redirect::to(&format!("/direct-payments/{id}?officer=1")).into_response()),
            Err(StoreError::Stale { current }) => {
                let now = state.store.direct_payment(&id).await?;
                let names = officers(&state).await?;
                let name = |o: Option<&str>| match o {
                    None => "No named officer".to_string(),
                    Some(o) => names.iter().find(|(id, _)| id == o).map(|(_, n)| n.clone()).unwrap_or_else(|| o.to_string()),
                };
                let changes = caremarket_core::versions::changes([(
                    "Named officer",
                    now.officer_name.clone().unwrap_or_else(|| name(now.officer_id.as_deref())),
                    name(officer.as_deref()),
                )]);
                let stale = crate::versions::stale(&state, "direct_payment", &id, current, expected, changes).await?;
                let version = stale.current.to_string();
                let chosen = field(&form, "officer_id");
                return render_officer(&state, &user, &id, chosen, &version, &errors, crate::versions::Reply::stale(stale.notice)).await;
            }
            Err(e) => errors.add_store(e)?,
        },
        Err(m) => errors.add("officer_id", m),
    }
    let version = field(&form, "version");
    render_officer(
        &state,
        &user,
        &id,
        field(&form, "officer_id"),
        version,
        &errors,
        crate::versions::Reply::status(StatusCode::BAD_REQUEST),
    )
    .await
}

/// Many direct payments at once, ticked on the monitoring list. The answer goes back to the list
/// as it was filtered, with how many changed.
pub(super) async fn assign_many(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut ids: Vec<String> =
        form.iter().filter(|(k, v)| k == "dp_id" && !v.trim().is_empty()).map(|(_, v)| v.trim().to_string()).collect();
    ids.sort();
    ids.dedup();
    let back = |extra: &str| {
        let days = field(&form, "days");
        let days = if days.chars().all(|c| c.is_ascii_digit()) && !days.is_empty() { days } else { "30" };
        let officer = field(&form, "filter_officer_id");
        let mut q = vec![("days", days), ("officer_id", officer)];
        q.retain(|(_, v)| !v.is_empty());
        let mut url = format!("/direct-payments/monitoring?{}", serde_urlencoded::to_string(&q).unwrap_or_default());
        url.push_str(extra);
        url
    };
    // The list is long: a problem goes back to it as a code the list turns into words (never
    // text from the URL), with the filter kept; nothing was changed.
    let problem = if ids.is_empty() {
        "none_ticked"
    } else {
        match choice(&form, "assign_officer_id") {
            Err(_) => "no_officer",
            Ok(officer) => match state.store.assign_dp_officer(&user.actor(), &ids, officer.as_deref()).await {
                Ok(n) => return Ok(Redirect::to(&back(&format!("&assigned={n}"))).into_response()),
                Err(caremarket_store::StoreError::Invalid(_)) => "not_assignable",
                Err(e) => return Err(e.into()),
            },
        }
    };
    Ok(Redirect::to(&back(&format!("&problem={problem}"))).into_response())
}

/// The words for a problem code of [`assign_many`].
pub(super) fn problem_text(code: &str) -> Option<&'static str> {
    match code {
        "none_ticked" => Some("Tick at least one direct payment to assign"),
        "no_officer" => Some("Choose the named officer, or no named officer"),
        "not_assignable" => Some("That officer cannot hold direct payments, or a direct payment ticked is no longer on the list"),
        _ => None,
    }
}
