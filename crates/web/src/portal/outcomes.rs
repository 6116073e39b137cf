//! The provider portal's outcome claims (ProviderPortal; issue 13 item 6): the special purpose
//! vehicle or one of its providers claims an outcome for a person in the cohort (by case
//! reference) with its evidence, for a contract it is a party to, and follows its own claims:
//! waiting, verified (with the payment's state) or rejected with the council's reason. The
//! provider comes from the account, never the request; a contract it is not party to is "not
//! found"; it sees only the claims it sent.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::outcomes::{ClaimDraft, ClaimStatus, Figures, long_date, money};
use caremarket_store::outcomes::{ClaimRecord, ContractBook};
use minijinja::{Value, context};
use serde_json::json;

/// Claims listed per contract on the portal's list (every claim is on the contract's page).
const LATEST: usize = 20;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/outcomes", get(list))
        .route("/portal/outcomes/{id}", get(contract).post(claim))
        .route("/portal/outcomes/{id}/claims/{claim}", get(claim_page))
}

/// The claims this provider sent on a contract, newest first.
fn own_claims(b: &ContractBook, provider_id: &str) -> Vec<Value> {
    let fig = b.facts.figures(caremarket_store::today());
    b.claims.iter().rev().filter(|c| c.provider_id.as_deref() == Some(provider_id)).map(|c| claim_view(b, &fig, c)).collect()
}

/// One claim as the portal shows it: status, and the payment or the council's reason.
fn claim_view(b: &ContractBook, fig: &Figures, c: &ClaimRecord) -> Value {
    let payment = fig.releases.iter().find(|r| r.claim_id == c.claim.id).map(|r| match r.paid_on {
        Some(d) => format!("Paid {}", long_date(d)),
        None => "Held until savings cover it".to_string(),
    });
    let colour = match c.claim.status {
        ClaimStatus::Pending => "govuk-tag--blue",
        ClaimStatus::Verified => "govuk-tag--green",
        ClaimStatus::Rejected => "govuk-tag--red",
    };
    context! {
        href => format!("/portal/outcomes/{}/claims/{}", b.contract.id, c.claim.id),
        case_ref => c.case_ref, outcome => c.outcome_name, achieved => long_date(c.claim.achieved_on), tariff => money(c.tariff_pence),
        status => c.claim.status.label(), colour => colour, reason => c.claim.reason, payment => payment,
    }
}

async fn own_book(state: &AppState, id: &str, provider_id: &str) -> Result<ContractBook, AppError> {
    let b = crate::outcomes::book(state, id).await?;
    if !b.has_provider(provider_id) {
        return Err(AppError::NotFound);
    }
    Ok(b)
}

async fn list(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let provider = state.store.provider(&provider_id).await?;
    let mut contracts = Vec::new();
    for c in state.store.oc_contracts_for_provider(&provider_id).await? {
        let b = own_book(&state, &c.id, &provider_id).await?;
        let claims = own_claims(&b, &provider_id);
        let total = claims.len();
        let latest: Vec<Value> = claims.into_iter().take(LATEST).collect();
        contracts.push(context! { href => format!("/portal/outcomes/{}", c.id), name => c.name, claims => latest, total => total });
    }
    let ctx = user.context(&state).await?;
    let html = state.renderer.render("portal_outcomes.html", &ctx, context! { provider_name => provider.name, contracts => contracts })?;
    Ok(Html(html).into_response())
}

async fn contract(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let b = own_book(&state, &id, &provider_id).await?;
    render(&state, &user, &b, &provider_id, &[], &FormErrors::new(&["achieved_on"]), field(&q, "saved") == "1", StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    user: &CurrentUser,
    b: &ContractBook,
    provider_id: &str,
    form: &[(String, String)],
    errors: &FormErrors,
    saved: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let provider = state.store.provider(provider_id).await?;
    let mut outcomes = vec![json!({"value": "", "text": "Choose the outcome"})];
    outcomes.extend(b.facts.outcomes.iter().map(|o| json!({"value": o.id, "text": format!("{} ({})", o.name, money(o.tariff_pence))})));
    let required: Vec<Value> = b.facts.outcomes.iter().map(|o| context! { name => o.name, evidence => o.evidence }).collect();
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "portal_outcomes_claim.html",
        &ctx,
        context! {
            provider_name => provider.name, id => b.contract.id, name => b.contract.name, outcomes => outcomes, required => required,
            claims => own_claims(b, provider_id), case_ref => field(form, "case_ref"), outcome_id => field(form, "outcome_id"),
            evidence => field(form, "evidence"), achieved_on => date_parts(form, "achieved_on"),
            errors => errors.list, field_errors => errors.by_field, saved => saved,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn claim(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let b = own_book(&state, &id, &provider_id).await?;
    let mut errors = FormErrors::new(&["achieved_on"]);
    let achieved_on = match form_date(&form, "achieved_on", "The date achieved") {
        Ok(d) => d,
        Err(m) => {
            errors.add("achieved_on", &m);
            None
        }
    };
    let draft = ClaimDraft {
        case_ref: field(&form, "case_ref").to_string(),
        outcome_id: field(&form, "outcome_id").to_string(),
        achieved_on,
        evidence: field(&form, "evidence").to_string(),
    };
    if errors.is_empty() {
        match state.store.submit_oc_claim(&user.actor(), &id, Some(&provider_id), &draft, caremarket_store::today()).await {
            Ok(_) => return Ok(Redirect::to(&format!("/portal/outcomes/{id}?saved=1")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    } else {
        let f = &b.facts;
        let facts =
            caremarket_core::outcomes::ClaimFacts { contract: &b.contract, outcomes: &f.outcomes, members: &f.members, claims: &f.claims };
        if let Err(all) = draft.check(facts, caremarket_store::today()) {
            errors.extend(caremarket_core::FieldErrors(all.0.into_iter().filter(|f| f.field != "achieved_on").collect()));
        }
    }
    render(&state, &user, &b, &provider_id, &form, &errors, false, StatusCode::BAD_REQUEST).await
}

/// One of this provider's claims: what it sent, where the council has got to, and the claim's
/// evidence files (the provider adds them here; `crate::evidence`).
async fn claim_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, claim_id)): Path<(String, String)>,
    Query(evidence): Query<crate::evidence::EvidenceQuery>,
) -> Result<Response, AppError> {
    let provider_id = super::provider_of(&user)?;
    let b = own_book(&state, &id, &provider_id).await?;
    let Some(c) = b.claims.iter().find(|c| c.claim.id == claim_id && c.provider_id.as_deref() == Some(provider_id.as_str())) else {
        return Err(AppError::NotFound);
    };
    let row = claim_view(&b, &b.facts.figures(caremarket_store::today()), c);
    let evidence_section =
        crate::evidence::section(&state, &user, caremarket_core::evidence::RecordKind::Claim, &c.claim.id, &evidence).await?;
    let provider = state.store.provider(&provider_id).await?;
    let ctx = user.context(&state).await?;
    let html = state.renderer.render(
        "portal_outcomes_claim_one.html",
        &ctx,
        context! {
            provider_name => provider.name, contract_id => b.contract.id, contract_name => b.contract.name, c => row,
            evidence_text => c.claim.evidence, evidence_section => evidence_section,
        },
    )?;
    Ok(Html(html).into_response())
}
