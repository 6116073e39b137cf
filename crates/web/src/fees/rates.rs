//! The rate card, a rate's history, adding a rate, the second approver's decision, and "what
//! did we pay provider P for kind K on date D".

use super::{category_options, kind_options, level_options, lot_options, provider_options, render};
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
use caremarket_core::fees::rates::{in_force, lines};
use caremarket_core::fees::{PaidFrom, RateCategory, RateDraft, RateLevel, RateStatus, financial_year};
use caremarket_core::register::ServiceKind;
use caremarket_store::fees::RateRecord;
use minijinja::{Value, context};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/fees", get(card))
        .route("/fees/rates/new", get(new_form).post(create))
        .route("/fees/rates/{id}", get(history))
        .route("/fees/rates/{id}/decision", post(decide))
        .route("/fees/paid", get(paid))
}

fn version_view(r: &RateRecord) -> Value {
    let v = &r.version;
    context! {
        id => v.id, amount => v.amount_text(), effective_from => v.effective_from.to_string(),
        year => financial_year(v.effective_from), status => v.status.label(), status_code => v.status.as_str(),
        reason => v.reason, set_by => r.created_by_label, decided_by => r.decided_by_label,
        uplift_id => v.uplift_id, uplift_name => r.uplift_name, line => v.line_text(),
        level => v.line.level.label(), kind => v.line.kind.label(), category => v.line.category.label(),
        lot => v.lot_name, provider => v.provider_name,
    }
}

/// The rate card as it stood on a date (today unless another is asked for): `kind`, `on-day`,
/// `on-month`, `on-year`, and `saved` after a change.
async fn card(user: CurrentUser, State(state): State<AppState>, Query(form): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ViewFees)?;
    let mut e = Errors::new(&["on"]);
    let today = match form_date(&form, "on", "The date") {
        Ok(Some(d)) => d,
        Ok(None) => caremarket_store::today(),
        Err(m) => {
            e.add("on", &m);
            caremarket_store::today()
        }
    };
    let q = CardQuery {
        kind: Some(field(&form, "kind").to_string()).filter(|k| !k.is_empty()),
        saved: Some(field(&form, "saved").to_string()).filter(|k| !k.is_empty()),
    };
    let records = state.store.fee_rates().await?;
    let versions: Vec<_> = records.iter().map(|r| r.version.clone()).collect();
    let kind = q.kind.as_deref().and_then(ServiceKind::parse);
    let mut rows = Vec::new();
    for line in lines(&versions) {
        if kind.is_some_and(|k| k != line.kind) {
            continue;
        }
        let now = in_force(&versions, &line, today);
        let Some(latest) =
            records.iter().filter(|r| r.version.line == line).max_by_key(|r| (r.version.effective_from, r.created_at.clone()))
        else {
            continue;
        };
        let next = records
            .iter()
            .filter(|r| r.version.line == line && r.version.status == RateStatus::Approved && r.version.effective_from > today)
            .min_by_key(|r| r.version.effective_from);
        rows.push(context! {
            history => latest.version.id, line => latest.version.line_text(),
            level => line.level.label(), kind => line.kind.label(), category => line.category.label(),
            lot => latest.version.lot_name, provider => latest.version.provider_name,
            now => now.map(|v| v.amount_text()), from => now.map(|v| v.effective_from.to_string()),
            year => now.map(|v| financial_year(v.effective_from)),
            next => next.map(|r| format!("{} from {}", r.version.amount_text(), crate::render::format_date(&r.version.effective_from.to_string()))),
        });
    }
    let awaiting: Vec<Value> = records.iter().filter(|r| r.version.status == RateStatus::AwaitingApproval).map(version_view).collect();
    let banner = match q.saved.as_deref() {
        Some("approved") => Some("Rate saved"),
        Some("awaiting") => Some("Rate saved: it is above the lot's maximum, so a second person must approve it before it is paid"),
        Some("decided") => Some("Decision saved"),
        _ => None,
    };
    let status = if e.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let html = render(
        &state,
        &user,
        "fees_rates.html",
        context! {
            rows => rows, awaiting => awaiting, can_manage => user.role().can(Permission::ManageFees),
            kind => q.kind.unwrap_or_default(), kind_options => kind_options("All types of service"),
            today => today.to_string(), banner => banner, year => financial_year(today),
            errors => e.list, field_errors => e.by_field, on => date_parts(&form, "on"),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

struct CardQuery {
    kind: Option<String>,
    saved: Option<String>,
}

/// The form's input names: its one date.
fn errors() -> Errors {
    Errors::new(&["effective_from"])
}

async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let html = render(
        state,
        user,
        "fees_rate_form.html",
        context! {
            errors => errors.list, field_errors => errors.by_field,
            level => field(form, "level"), kind => field(form, "kind"), category => field(form, "category"),
            lot_id => field(form, "lot_id"), provider_id => field(form, "provider_id"), amount => field(form, "amount"),
            reason => field(form, "reason"), effective_from => date_parts(form, "effective_from"),
            level_options => level_options(), kind_options => kind_options("Choose the type of service"),
            category_options => category_options(Some("Choose what the rate is paid for")),
            lot_options => lot_options(state, "No lot").await?, provider_options => provider_options(state, "No provider").await?,
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn new_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    render_form(&state, &user, &[], &errors(), StatusCode::OK).await
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    let mut e = errors();
    let effective_from = match form_date(&form, "effective_from", "The date the rate takes effect") {
        Ok(d) => d,
        Err(m) => {
            e.add("effective_from", &m);
            None
        }
    };
    let pick = |name: &str| Some(field(&form, name).to_string()).filter(|s| !s.is_empty());
    let draft = RateDraft {
        level: RateLevel::parse(field(&form, "level")),
        kind: ServiceKind::parse(field(&form, "kind")),
        category: RateCategory::parse(field(&form, "category")),
        lot_id: pick("lot_id"),
        provider_id: pick("provider_id"),
        amount: field(&form, "amount").to_string(),
        effective_from,
        reason: field(&form, "reason").to_string(),
    };
    if e.is_empty() {
        // The store checks the draft against the history (core's RateDraft::check).
        match state.store.add_fee_rate(&user.actor(), &draft).await {
            Ok((_, RateStatus::AwaitingApproval)) => return Ok(Redirect::to("/fees?saved=awaiting").into_response()),
            Ok(_) => return Ok(Redirect::to("/fees?saved=approved").into_response()),
            Err(err) => e.add_store(err)?,
        }
    } else if let Err(all) = draft.check(&[]) {
        // The date was not a date: show every other problem too.
        e.extend(all);
    }
    render_form(&state, &user, &form, &e, StatusCode::BAD_REQUEST).await
}

#[derive(Debug, Default, Deserialize)]
struct HistoryQuery {
    saved: Option<String>,
}

async fn render_history(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    banner: Option<&str>,
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let this = state.store.fee_rate(id).await?;
    let all = state.store.fee_rates().await?;
    let mut versions: Vec<&RateRecord> = all.iter().filter(|r| r.version.line == this.version.line).collect();
    versions.sort_by_key(|r| std::cmp::Reverse((r.version.effective_from, r.created_at.clone())));
    let list: Vec<Value> = versions.iter().map(|r| version_view(r)).collect();
    let today = caremarket_store::today();
    let plain: Vec<_> = all.iter().map(|r| r.version.clone()).collect();
    let now = in_force(&plain, &this.version.line, today);
    let html = render(
        state,
        user,
        "fees_rate.html",
        context! {
            rate => version_view(&this), versions => list, banner => banner, errors => errors.list, field_errors => errors.by_field,
            now => now.map(|v| v.amount_text()), can_manage => user.role().can(Permission::ManageFees),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn history(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewFees)?;
    let banner = match q.saved.as_deref() {
        Some("approved") => Some("Rate approved: it is paid from the date it takes effect"),
        Some("refused") => Some("Rate refused: it stays in the history and is never paid"),
        _ => None,
    };
    render_history(&state, &user, &id, banner, &errors(), StatusCode::OK).await
}

async fn decide(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    let mut e = errors();
    let approve = match field(&form, "decision") {
        "approve" => Some(true),
        "refuse" => Some(false),
        _ => {
            e.add("decision", "Choose whether to approve or refuse the rate");
            None
        }
    };
    if let Some(approve) = approve {
        match state.store.decide_fee_rate(&user.actor(), &id, approve).await {
            Ok(()) => {
                return Ok(
                    Redirect::to(&format!("/fees/rates/{id}?saved={}", if approve { "approved" } else { "refused" })).into_response()
                );
            }
            Err(err) => e.add_store(err)?,
        }
    }
    render_history(&state, &user, &id, None, &e, StatusCode::BAD_REQUEST).await
}

async fn paid(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ViewFees)?;
    let mut e = Errors::new(&["on"]);
    let asked = !field(&q, "provider_id").is_empty() || !field(&q, "kind").is_empty() || !field(&q, "on-day").is_empty();
    let mut answer = None;
    if asked {
        let provider_id = field(&q, "provider_id");
        if provider_id.is_empty() {
            e.add("provider_id", "Choose the provider");
        }
        let kind = ServiceKind::parse(field(&q, "kind"));
        if kind.is_none() {
            e.add("kind", "Choose the type of service");
        }
        let on = e.date(&q, "on", "Date");
        if let (Some(kind), Some(on), false) = (kind, on, provider_id.is_empty()) {
            let provider = match state.store.provider(provider_id).await {
                Ok(p) => Some(p.name),
                Err(caremarket_store::StoreError::NotFound(_)) => {
                    e.add("provider_id", "Choose a provider from the list");
                    None
                }
                Err(err) => return Err(err.into()),
            };
            if let Some(provider) = provider {
                let rows: Vec<Value> = state
                    .store
                    .fee_paid_on(provider_id, kind, on)
                    .await?
                    .iter()
                    .map(|p| {
                        context! {
                            category => p.version.line.category.label(), amount => p.version.amount_text(),
                            from => p.version.effective_from.to_string(), year => financial_year(p.version.effective_from),
                            source => match p.from { PaidFrom::ProviderRate => "The provider's own rate", PaidFrom::CouncilRate => "The council's rate (no rate of its own)" },
                            lot => p.version.lot_name, history => p.version.id,
                        }
                    })
                    .collect();
                let basis = state.store.payment_basis_on(provider_id, kind, on).await?.map(|b| {
                    context! {
                        pay_on => b.basis.pay_on.label(), minimum => b.basis.minimum_call_minutes, second => b.basis.second_carer.text(),
                        from => b.effective_from.to_string(),
                    }
                });
                answer = Some(context! { provider => provider, kind => kind.label(), on => on.to_string(), rows => rows, basis => basis });
            }
        }
    }
    let status = if e.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let html = render(
        &state,
        &user,
        "fees_paid.html",
        context! {
            errors => e.list, field_errors => e.by_field, answer => answer,
            provider_id => field(&q, "provider_id"), kind => field(&q, "kind"), on => date_parts(&q, "on"),
            provider_options => super::provider_options(&state, "Choose the provider").await?, kind_options => kind_options("Choose the type of service"),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}
