//! Each contract's payment basis, and providers' requests for fee increases outside the annual
//! uplift, decided with a reason.

use super::{category_options, kind_options, pounds, provider_options, render};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors as Errors, date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_core::fees::requests::FeeRequestDraft;
use caremarket_core::fees::{PayOn, PaymentBasis, RateCategory, RateStatus, RequestDecision, RequestStatus};
use caremarket_core::register::ServiceKind;
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/fees/bases", get(bases).post(add_basis))
        .route("/fees/requests", get(requests))
        .route("/fees/requests/new", get(new_request).post(add_request))
        .route("/fees/requests/{id}", get(request))
        .route("/fees/requests/{id}/decision", post(decide))
}

fn date_field(form: &[(String, String)], e: &mut Errors, name: &str, label: &str) -> Option<caremarket_core::Date> {
    match form_date(form, name, label) {
        Ok(d) => d,
        Err(m) => {
            e.add(name, &m);
            None
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn render_bases(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    e: &Errors,
    banner: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let list: Vec<Value> = state
        .store
        .payment_bases()
        .await?
        .iter()
        .map(|b| {
            context! {
                provider => b.provider_name, kind => b.kind.label(), pay_on => b.basis.pay_on.label(),
                minimum => b.basis.minimum_call_minutes.map(|m| format!("{m} minutes")), second => b.basis.second_carer.text(),
                from => b.effective_from.to_string(), by => b.created_by_label,
            }
        })
        .collect();
    let can_manage = user.role().can(Permission::ManageFees);
    let html = render(
        state,
        user,
        "fees_bases.html",
        context! {
            bases => list, can_manage => can_manage, banner => banner, errors => e.list, field_errors => e.by_field,
            provider_id => field(form, "provider_id"), kind => field(form, "kind"), pay_on => field(form, "pay_on"),
            minimum_call_minutes => field(form, "minimum_call_minutes"), second_carer => field(form, "second_carer"),
            second_carer_share => field(form, "second_carer_share"), effective_from => date_parts(form, "effective_from"),
            provider_options => if can_manage { provider_options(state, "Choose the provider").await? } else { vec![] },
            kind_options => kind_options("Choose the type of service"),
            pay_on_options => PayOn::ALL.iter().map(|p| json!({"value": p.as_str(), "text": p.label()})).collect::<Vec<_>>(),
            second_options => [("full_rate", "At the full rate"), ("share", "At a share of the rate"), ("not_paid", "Not paid separately")]
                .iter().map(|(v, t)| json!({"value": v, "text": t})).collect::<Vec<_>>(),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn bases(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Saved>) -> Result<Response, AppError> {
    user.require(Permission::ViewFees)?;
    render_bases(&state, &user, &[], &Errors::new(&["effective_from"]), q.saved.is_some(), StatusCode::OK).await
}

async fn add_basis(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    let mut e = Errors::new(&["effective_from"]);
    let provider_id = field(&form, "provider_id").trim().to_string();
    if provider_id.is_empty() {
        e.add("provider_id", "Choose the provider");
    }
    let kind = ServiceKind::parse(field(&form, "kind"));
    if kind.is_none() {
        e.add("kind", "Choose the type of service");
    }
    let basis = match PaymentBasis::parse(
        field(&form, "pay_on"),
        field(&form, "minimum_call_minutes"),
        field(&form, "second_carer"),
        field(&form, "second_carer_share"),
    ) {
        Ok(b) => Some(b),
        Err(all) => {
            e.extend(all);
            None
        }
    };
    let from = date_field(&form, &mut e, "effective_from", "The date the basis takes effect");
    if from.is_none() {
        e.add("effective_from", "Enter the date the basis takes effect");
    }
    if let (Some(kind), Some(basis), Some(from), true) = (kind, basis, from, e.is_empty()) {
        match state.store.set_payment_basis(&user.actor(), &provider_id, kind, &basis, from).await {
            Ok(_) => return Ok(Redirect::to("/fees/bases?saved=1").into_response()),
            Err(err) => e.add_store(err)?,
        }
    }
    render_bases(&state, &user, &form, &e, false, StatusCode::BAD_REQUEST).await
}

fn request_view(r: &caremarket_store::fees::FeeRequestRecord) -> Value {
    context! {
        id => r.id, provider => r.provider_name, kind => r.kind.label(), category => r.category.label(),
        current => r.current_pence.map(|p| format!("{} {}", pounds(p), r.category.unit())),
        requested => format!("{} {}", pounds(r.requested_pence), r.category.unit()),
        received_on => r.received_on.to_string(), reason => r.reason, status => r.status.label(), open => r.status == RequestStatus::Open,
        decided_on => r.decided_on.map(|d| d.to_string()), decision_reason => r.decision_reason,
        agreed => r.agreed_pence.map(|p| format!("{} {}", pounds(p), r.category.unit())), agreed_from => r.agreed_from.map(|d| d.to_string()),
        rate_id => r.rate_id, decided_by => r.decided_by_label, recorded_by => r.created_by_label,
    }
}

async fn requests(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Saved>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewFees)?;
    let list: Vec<Value> = state.store.fee_requests().await?.iter().map(request_view).collect();
    Ok(Html(
        render(
            &state,
            &user,
            "fees_requests.html",
            context! { requests => list, can_manage => user.role().can(Permission::ManageFees), banner => q.saved.is_some() },
        )
        .await?,
    ))
}

async fn render_new_request(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    e: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let html = render(
        state,
        user,
        "fees_request_form.html",
        context! {
            errors => e.list, field_errors => e.by_field,
            provider_id => field(form, "provider_id"), kind => field(form, "kind"), category => field(form, "category"),
            requested => field(form, "requested"), reason => field(form, "reason"), received_on => date_parts(form, "received_on"),
            provider_options => provider_options(state, "Choose the provider").await?, kind_options => kind_options("Choose the type of service"),
            category_options => category_options(Some("Choose the rate")),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn new_request(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    render_new_request(&state, &user, &[], &Errors::new(&["received_on"]), StatusCode::OK).await
}

async fn add_request(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    let mut e = Errors::new(&["received_on"]);
    let received_on = date_field(&form, &mut e, "received_on", "The date received");
    let draft = FeeRequestDraft {
        provider_id: field(&form, "provider_id").to_string(),
        kind: ServiceKind::parse(field(&form, "kind")),
        category: RateCategory::parse(field(&form, "category")),
        requested: field(&form, "requested").to_string(),
        received_on,
        reason: field(&form, "reason").to_string(),
    };
    match draft.check(caremarket_store::today()) {
        Ok(r) if e.is_empty() => match state.store.record_fee_request(&user.actor(), &r).await {
            Ok(id) => return Ok(Redirect::to(&format!("/fees/requests/{id}?saved=1")).into_response()),
            Err(err) => e.add_store(err)?,
        },
        Ok(_) => {}
        Err(all) => e.extend(all),
    }
    render_new_request(&state, &user, &form, &e, StatusCode::BAD_REQUEST).await
}

#[allow(clippy::too_many_arguments)]
async fn render_request(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    form: &[(String, String)],
    e: &Errors,
    banner: Option<&str>,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let r = state.store.fee_request(id).await?;
    // The decision form carries the request's version (decision 25).
    let version = if form.is_empty() { r.version.to_string() } else { field(form, "version").to_string() };
    let html = render(
        state,
        user,
        "fees_request.html",
        context! {
            r => request_view(&r), can_manage => user.role().can(Permission::ManageFees), banner => banner,
            errors => e.list, field_errors => e.by_field, decision => field(form, "decision"), amount => field(form, "amount"),
            decision_reason => field(form, "decision_reason"), effective_from => date_parts(form, "effective_from"),
            stale => reply.stale, version => version,
        },
    )
    .await?;
    Ok((reply.status, Html(html)).into_response())
}

async fn request(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewFees)?;
    let banner = match q.saved.as_deref() {
        Some("awaiting") => {
            Some("Decision saved: the agreed rate is above the lot's maximum, so a second person must approve it before it is paid")
        }
        Some(_) => Some("Saved"),
        None => None,
    };
    render_request(&state, &user, &id, &[], &Errors::new(&["effective_from"]), banner, crate::versions::Reply::status(StatusCode::OK)).await
}

async fn decide(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    let q = state.store.fee_request(&id).await?;
    let mut e = Errors::new(&["effective_from"]);
    let from = date_field(&form, &mut e, "effective_from", "The date the agreed rate takes effect");
    let expected = crate::versions::from_form(&form);
    match RequestDecision::parse(field(&form, "decision"), field(&form, "amount"), from, field(&form, "decision_reason"), q.received_on) {
        Ok(d) if e.is_empty() => match state.store.decide_fee_request(&user.actor(), &id, &d, caremarket_store::today(), expected).await {
            Ok(Some(RateStatus::AwaitingApproval)) => {
                return Ok(Redirect::to(&format!("/fees/requests/{id}?saved=awaiting")).into_response());
            }
            Ok(_) => return Ok(Redirect::to(&format!("/fees/requests/{id}?saved=1")).into_response()),
            Err(caremarket_store::StoreError::Stale { current }) => {
                let now = state.store.fee_request(&id).await?;
                let unit = now.category.unit();
                let (decision, agreed, reason) = match &d {
                    RequestDecision::Agree { amount_pence, effective_from, reason } => (
                        RequestStatus::Agreed.label(),
                        format!("{} {unit} from {}", pounds(*amount_pence), caremarket_core::text::long_date(*effective_from)),
                        reason.clone(),
                    ),
                    RequestDecision::Refuse { reason } => (RequestStatus::Refused.label(), String::new(), reason.clone()),
                };
                let agreed_now = match (now.agreed_pence, now.agreed_from) {
                    (Some(p), Some(from)) => format!("{} {unit} from {}", pounds(p), caremarket_core::text::long_date(from)),
                    _ => String::new(),
                };
                let changes = caremarket_core::versions::changes([
                    ("Decision", now.status.label().to_string(), decision.to_string()),
                    ("Agreed rate", agreed_now, agreed),
                    ("Council's reason", now.decision_reason.clone().unwrap_or_default(), reason),
                ]);
                let stale = crate::versions::stale(&state, "fee_request", &id, current, expected, changes).await?;
                let mut kept: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "version").cloned().collect();
                kept.push(("version".into(), stale.current.to_string()));
                return render_request(&state, &user, &id, &kept, &e, None, crate::versions::Reply::stale(stale.notice)).await;
            }
            Err(err) => e.add_store(err)?,
        },
        Ok(_) => {}
        Err(all) => e.extend(all),
    }
    render_request(&state, &user, &id, &form, &e, None, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}
