//! The provider portal's cost of care returns (ProviderPortal; issue 11 item 4): a provider user
//! sends a return for one of its own home care services or care homes and a financial year,
//! line by line (the lines of the service's kind, from core), and sees the returns it has sent.
//! Sending again for the same service and year replaces the earlier return. The provider comes
//! from the account, never the request; another provider's service or return is "not found".

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::direct_payments::money::money;
use caremarket_core::fees::cost_of_care::{CostModel, CostReturnDraft, parse_year, year_of, year_text};
use caremarket_store::fees::cost_of_care::{CostReturnFilter, SentBy};
use caremarket_store::register::{Service, ServiceFilter};
use minijinja::{Value, context};
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/cost-of-care", get(list))
        .route("/portal/cost-of-care/return", get(form).post(submit))
        .route("/portal/cost-of-care/{id}", get(view))
}

/// The provider's services that send cost of care returns (home care and care homes), by name.
async fn own_services(state: &AppState, provider_id: &str) -> Result<Vec<Service>, AppError> {
    let page = state
        .store
        .services(&ServiceFilter {
            provider_id: Some(provider_id.to_string()),
            any_area: true,
            registration: Some("all".into()),
            per_page: 1000,
            sort: Some("name".into()),
            ..Default::default()
        })
        .await?;
    Ok(page.items.into_iter().filter(|s| s.provider_id == provider_id && CostModel::of(s.kind).is_some()).collect())
}

/// The years a provider may send for: last year, this year and next.
fn year_options(selected: Option<i32>) -> Vec<serde_json::Value> {
    let this = year_of(caremarket_store::today());
    let mut v = vec![json!({"value": "", "text": "Choose a year"})];
    v.extend([this + 1, this, this - 1].iter().map(|y| json!({"value": year_text(*y), "text": year_text(*y)})));
    if let Some(s) = selected.filter(|s| !(this - 1..=this + 1).contains(s)) {
        v.push(json!({"value": year_text(s), "text": year_text(s)}));
    }
    v
}

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    render_list(&state, &user, &provider_id, &q, &FormErrors::new(&[]), StatusCode::OK).await
}

async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    provider_id: &str,
    q: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let provider = state.store.provider(provider_id).await?;
    let services = own_services(state, provider_id).await?;
    let mut options = vec![json!({"value": "", "text": "Choose a service"})];
    options.extend(services.iter().map(|s| json!({"value": s.id, "text": format!("{} ({})", s.name, s.kind.label().to_lowercase())})));
    let returns_of: Vec<_> = state
        .store
        .cost_returns(&CostReturnFilter { provider_id: Some(provider_id.to_string()), ..Default::default() })
        .await?
        .into_iter()
        .filter(|r| r.provider_id == provider_id)
        .collect();
    let returns: Vec<Value> = returns_of
        .iter()
        .map(|r| {
            context! {
                id => r.id, service => r.service_name, kind => r.kind.label(), year => year_text(r.year),
                total => format!("{} {}", money(r.total_pence), r.model.unit()), submitted_at => r.submitted_at,
            }
        })
        .collect();
    // The banner names the return just sent, if it is this provider's.
    let sent = returns_of.iter().find(|r| r.id == field(q, "return")).map(|r| format!("{}, {}", r.service_name, year_text(r.year)));
    let banner = match (field(q, "saved"), sent) {
        ("sent", Some(what)) => Some(format!("Cost of care return sent for {what}")),
        ("replaced", Some(what)) => Some(format!("Cost of care return sent for {what}: it replaces the one you sent before")),
        _ => None,
    };
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "portal_cost_of_care.html",
        &ctx,
        context! {
            provider_name => provider.name, returns => returns, service_options => options, has_services => !services.is_empty(),
            service_id => field(q, "service_id"), year => field(q, "year"), year_options => year_options(None),
            errors => errors.list, field_errors => errors.by_field, banner => banner,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

/// Step two: the lines of the chosen service's kind, filled in from the return already sent for
/// the year, if there is one.
async fn form(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let mut errors = FormErrors::new(&[]);
    let services = own_services(&state, &provider_id).await?;
    let service = services.iter().find(|s| s.id == field(&q, "service_id"));
    if service.is_none() {
        errors.add("service_id", "Choose the service the return is for");
    }
    let year = errors.check_field(parse_year("year", field(&q, "year"), caremarket_store::today()));
    let (Some(service), Some(year)) = (service, year) else {
        return render_list(&state, &user, &provider_id, &q, &errors, StatusCode::BAD_REQUEST).await;
    };
    let earlier = state
        .store
        .cost_returns(&CostReturnFilter { year: Some(year), kind: None, provider_id: Some(provider_id.clone()) })
        .await?
        .into_iter()
        .find(|r| r.service_id == service.id);
    let values: Vec<(String, String)> = match &earlier {
        Some(r) => {
            r.lines.iter().map(|(l, v)| (l.as_str().to_string(), caremarket_core::direct_payments::money::money_typed(*v))).collect()
        }
        None => Vec::new(),
    };
    render_form(&state, &user, service, year, &values, earlier.is_some(), &FormErrors::new(&[]), StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    service: &Service,
    year: i32,
    values: &[(String, String)],
    replacing: bool,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Some(model) = CostModel::of(service.kind) else { return Err(AppError::NotFound) };
    let lines: Vec<Value> = model
        .lines()
        .iter()
        .map(|l| {
            context! {
                name => l.as_str(), label => l.label(), hint => l.hint(), value => field(values, l.as_str()),
                error => errors.by_field.get(l.as_str()),
            }
        })
        .collect();
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "portal_cost_of_care_form.html",
        &ctx,
        context! {
            service => service.name, service_id => service.id, kind => service.kind.label(), unit => model.unit(),
            year => year_text(year), lines => lines, replacing => replacing, errors => errors.list,
            per => if model == CostModel::PerHour { "for each contact hour" } else { "for each bed a week" },
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let services = own_services(&state, &provider_id).await?;
    let Some(service) = services.iter().find(|s| s.id == field(&form, "service_id")) else {
        let mut errors = FormErrors::new(&[]);
        errors.add("service_id", "Choose the service the return is for");
        return render_list(&state, &user, &provider_id, &[], &errors, StatusCode::BAD_REQUEST).await;
    };
    let Some(model) = CostModel::of(service.kind) else { return Err(AppError::NotFound) };
    let draft = CostReturnDraft {
        kind: Some(service.kind),
        year: field(&form, "year").to_string(),
        amounts: model.lines().iter().map(|l| (l.as_str().to_string(), field(&form, l.as_str()).to_string())).collect(),
    };
    let today = caremarket_store::today();
    let mut errors = FormErrors::new(&[]);
    match state.store.submit_cost_return(&user.actor(), &service.id, &draft, SentBy::Provider, Some(&provider_id), today).await {
        Ok((id, replaced)) => {
            Ok(Redirect::to(&format!("/portal/cost-of-care?saved={}&return={id}", if replaced { "replaced" } else { "sent" }))
                .into_response())
        }
        Err(e) => {
            errors.add_store(e)?;
            match parse_year("year", &draft.year, today) {
                Ok(year) => render_form(&state, &user, service, year, &form, false, &errors, StatusCode::BAD_REQUEST).await,
                Err(_) => render_list(&state, &user, &provider_id, &[], &errors, StatusCode::BAD_REQUEST).await,
            }
        }
    }
}

async fn view(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(evidence): Query<crate::evidence::EvidenceQuery>,
) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let r = match state.store.cost_return(&id).await {
        Ok(r) if r.provider_id == provider_id => r,
        Ok(_) | Err(caremarket_store::StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let evidence =
        crate::evidence::section(&state, &user, caremarket_core::evidence::RecordKind::CostOfCareReturn, &r.id, &evidence).await?;
    let ctx = user.context(&state).await?;
    let html = state.renderer.render(
        "portal_cost_of_care_return.html",
        &ctx,
        context! { r => crate::fees::cost_of_care_view(&r), evidence_section => evidence },
    )?;
    Ok(Html(html).into_response())
}
