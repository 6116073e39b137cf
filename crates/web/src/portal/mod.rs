//! The provider portal (Permission::ProviderPortal): a provider user sees their own provider's
//! services, with current CQC ratings and the council's contract status for each, and nothing
//! of any other provider. Council staff are refused (they use the register).
//!
//! The provider comes from the signed-in account, never from the request; a service of another
//! provider is "not found", so the portal does not confirm that it exists.
//!
//! - [`capacity`]: vacancy returns, spare home care capacity and package offers.
//! - [`actions`], [`returns`]: the provider's action plans and monthly returns.
//! - [`cost_of_care`]: the provider's cost of care returns (issue 11 item 4).
//! - [`supported_living`]: the provider's supported living hours and queries (issue 11 item 5).
//! - [`outcomes`]: outcome claims on the outcomes contracts the provider is party to (issue 13 item 6).
//! - [`workforce`]: the provider's workforce returns per service and quarter (issue 13 item 1).
//! - [`reports`]: visit reports to check for factual accuracy, and action plans (issue 16 item 14).

mod actions;
mod capacity;
mod cost_of_care;
mod outcomes;
mod reports;
mod returns;
mod supported_living;
mod workforce;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_core::register::{KeyQuestion, Rating};
use caremarket_store::StoreError;
use caremarket_store::register::{Service, ServiceFilter};
use minijinja::context;
use serde::Serialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(home))
        .route("/portal/services/{id}", get(service_page))
        .merge(capacity::routes())
        .merge(actions::routes())
        .merge(returns::routes())
        .merge(cost_of_care::routes())
        .merge(supported_living::routes())
        .merge(outcomes::routes())
        .merge(workforce::routes())
        .merge(reports::routes())
}

/// What a provider sees of one of its services: CQC's data and its own contract with the
/// council. Not the council's internal notes.
#[derive(Debug, Serialize)]
struct PortalService {
    id: String,
    name: String,
    kind_label: &'static str,
    address: String,
    cqc_location_id: Option<String>,
    registration_status: String,
    rating: Option<&'static str>,
    rating_date: Option<String>,
    key_questions: Vec<(&'static str, Option<&'static str>)>,
    contract_status: &'static str,
    contracted: bool,
    framework_name: Option<String>,
    lot_name: Option<String>,
    contract_start: Option<String>,
    contract_end: Option<String>,
    beds: Option<i64>,
}

impl PortalService {
    fn from(s: &Service) -> PortalService {
        PortalService {
            id: s.id.clone(),
            name: s.name.clone(),
            kind_label: s.kind.label(),
            address: [s.address_line.as_deref(), s.town.as_deref(), s.postcode.as_deref()]
                .into_iter()
                .flatten()
                .filter(|p| !p.trim().is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            cqc_location_id: s.cqc_location_id.clone(),
            registration_status: match s.registration_status.as_str() {
                "registered" => "Registered",
                "deregistered" => "Deregistered",
                _ => "Not registered with CQC",
            }
            .to_string(),
            rating: s.ratings.overall.map(Rating::as_str),
            rating_date: s.ratings.rating_date.clone(),
            key_questions: KeyQuestion::ALL.into_iter().map(|kq| (kq.label(), s.ratings.get(kq).map(Rating::as_str))).collect(),
            contract_status: s.contract_status.label(),
            contracted: s.contract_status.is_contracted(),
            framework_name: s.framework_name.clone(),
            lot_name: s.lot_name.clone(),
            contract_start: s.contract_start.clone(),
            contract_end: s.contract_end.clone(),
            beds: s.beds,
        }
    }
}

/// The signed-in provider user's provider id.
fn provider_of(user: &CurrentUser) -> Result<String, AppError> {
    user.require(Permission::ProviderPortal)?;
    user.user.provider_id.clone().ok_or(AppError::Forbidden)
}

async fn home(user: CurrentUser, State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let provider_id = provider_of(&user)?;
    let provider = state.store.provider(&provider_id).await?;
    let page = state
        .store
        .services(&ServiceFilter {
            provider_id: Some(provider_id.clone()),
            any_area: true,
            registration: Some("all".into()),
            per_page: 1000,
            ..Default::default()
        })
        .await?;
    // The filter already restricts to this provider; check again so that a filter bug cannot
    // show another provider's service.
    let own: Vec<&Service> = page.items.iter().filter(|s| s.provider_id == provider_id).collect();
    let services: Vec<PortalService> = own.iter().copied().map(PortalService::from).collect();
    let todo = to_do(&state, &provider_id, &own).await?;
    let ctx = user.context(&state).await?;
    Ok(Html(state.renderer.render(
        "portal.html",
        &ctx,
        context! { provider_name => provider.name, services => services, total => page.total, todo => todo },
    )?))
}

/// What the council is waiting for from the provider (issue 16 item 3): the portal's home leads
/// with it. Counted from the provider's own records only.
async fn to_do(state: &AppState, provider_id: &str, own: &[&Service]) -> Result<minijinja::Value, AppError> {
    use caremarket_core::capacity::packages::OfferStatus;
    use caremarket_core::capacity::vacancies::CapacityThresholds;
    use caremarket_core::quality::ActionStatus;
    let today = caremarket_store::today();
    let actions = state
        .store
        .actions(&caremarket_store::quality::actions::ActionFilter {
            state: Some("open".into()),
            provider_id: Some(provider_id.to_string()),
            on: Some(today),
            ..Default::default()
        })
        .await?;
    let actions: Vec<_> = actions.iter().filter(|a| a.provider_id == provider_id).collect();
    // Submitted actions wait on the council, so they are not the provider's to do.
    let to_act = actions.iter().filter(|a| a.status != ActionStatus::Submitted).count();
    let overdue = actions
        .iter()
        .filter(|a| {
            a.status != ActionStatus::Submitted && a.due_on.parse::<caremarket_core::Date>().is_ok_and(|d| a.status.is_overdue(d, today))
        })
        .count();
    let offers = state
        .store
        .offers_for_provider(provider_id)
        .await?
        .iter()
        .filter(|o| OfferStatus::parse(&o.offer.status) == Some(OfferStatus::Offered))
        .count();
    let thresholds = CapacityThresholds::default();
    let mut stale_homes = 0;
    let registered: Vec<&&Service> = own.iter().filter(|s| s.registration_status == "registered").collect();
    for s in registered.iter().filter(|s| s.kind.is_care_home()) {
        let latest = state.store.vacancy_returns_for_service(&s.id).await?.first().and_then(|r| r.return_date.parse().ok());
        if thresholds.is_stale(latest, today) {
            stale_homes += 1;
        }
    }
    // Last month's monthly return, for each registered service.
    let last_month = today.first_of_month().yesterday().map(|d| d.strftime("%Y-%m").to_string()).unwrap_or_default();
    let returned: std::collections::BTreeSet<String> = state
        .store
        .monthly_returns(None, Some(provider_id), 1000)
        .await?
        .into_iter()
        .filter(|r| r.month == last_month)
        .map(|r| r.service_id)
        .collect();
    let missing_returns = registered.iter().filter(|s| !returned.contains(&s.id)).count();
    let month_label = today.first_of_month().yesterday().map(|d| d.strftime("%B %Y").to_string()).unwrap_or_default();
    // Supported living (issue 11 item 5), only for a provider the council commissions hours from.
    let supported_living = if state.store.sl_commissions(Some(provider_id)).await?.is_empty() {
        None
    } else {
        use caremarket_core::fees::supported_living::{Period, QueryStatus};
        let last = Period::of(today).previous();
        let waiting = state
            .store
            .sl_queries(Some(provider_id))
            .await?
            .iter()
            .filter(|q| q.provider_id == provider_id && q.status == QueryStatus::Queried)
            .count();
        let returned = state.store.sl_returns(Some(provider_id), Some(last)).await?.iter().any(|r| r.provider_id == provider_id);
        Some(context! { waiting => waiting, returned => returned, month => last.label(), code => last.code() })
    };
    // Workforce returns (issue 13 item 1): last quarter's, for each service the council expects one from.
    let workforce = {
        use caremarket_core::workforce::Quarter;
        let last = Quarter::of(today).previous();
        let expected = state.store.workforce_expected(Some(provider_id)).await?;
        let returned: std::collections::BTreeSet<String> = state
            .store
            .workforce_returns(&caremarket_store::workforce::WorkforceFilter {
                provider_id: Some(provider_id.to_string()),
                period: Some(last),
                ..Default::default()
            })
            .await?
            .into_iter()
            .filter(|r| r.provider_id == provider_id)
            .map(|r| r.service_id)
            .collect();
        let missing = expected.iter().filter(|e| e.provider_id == provider_id && !returned.contains(&e.service_id)).count();
        context! { missing => missing, quarter => last.label() }
    };
    // Visit reports (issue 16 item 14): drafts still open for corrections, and action plans due.
    let reports = {
        let own = reports::own_reports(state, provider_id).await?;
        let to_check =
            own.iter().filter(|r| !r.is_published() && r.check_ends_on.parse::<caremarket_core::Date>().is_ok_and(|d| today <= d)).count();
        let plans: Vec<_> = own.iter().filter(|r| r.is_published() && r.needs_action_plan() && r.action_plan_sent_on.is_none()).collect();
        let plans_overdue = plans.iter().filter(|r| r.action_plan_overdue(today)).count();
        context! { to_check => to_check, plans => plans.len(), plans_overdue => plans_overdue }
    };
    // Queries about visits and pay (issue 11 item 6): the provider raised them and waits on the
    // council, so they are not to do; the home says how many wait and which were answered lately.
    let ecm = {
        let queries = state.store.ecm_queries(Some(provider_id), None).await?;
        let own: Vec<_> = queries.iter().filter(|q| q.provider_id == provider_id).collect();
        let recent = caremarket_core::quality::cadence::add_days(today, -30);
        let open = own.iter().filter(|q| q.status == "open").count();
        let answered = own
            .iter()
            .filter(|q| q.status != "open")
            .filter(|q| {
                q.decided_at
                    .as_deref()
                    .and_then(|d| d.get(..10))
                    .and_then(|d| d.parse::<caremarket_core::Date>().ok())
                    .is_some_and(|d| d >= recent)
            })
            .count();
        (!own.is_empty()).then(|| context! { open => open, answered => answered })
    };
    Ok(context! {
        ecm => ecm,
        reports => reports,
        workforce => workforce,
        supported_living => supported_living,
        actions => to_act, overdue_actions => overdue, offers => offers,
        stale_homes => stale_homes, stale_after_days => thresholds.stale_after_days,
        missing_returns => missing_returns, month => month_label,
    })
}

async fn service_page(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Html<String>, AppError> {
    let provider_id = provider_of(&user)?;
    let service = match state.store.service(&id).await {
        Ok(s) if s.provider_id == provider_id => s,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let history = state.store.rating_history(&service.id).await?;
    let history: Vec<_> = history
        .iter()
        .map(|h| {
            context! {
                report_date => h.report_date,
                overall => h.overall.map(Rating::as_str),
                safe => h.safe.map(Rating::as_str),
                effective => h.effective.map(Rating::as_str),
                caring => h.caring.map(Rating::as_str),
                responsive => h.responsive.map(Rating::as_str),
                well_led => h.well_led.map(Rating::as_str),
            }
        })
        .collect();
    let ctx = user.context(&state).await?;
    Ok(Html(state.renderer.render(
        "portal_service.html",
        &ctx,
        context! { service => PortalService::from(&service), provider_name => service.provider_name, history => history },
    )?))
}
