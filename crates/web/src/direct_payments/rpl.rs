//! Money management companies on the Recognised Provider List (quality assurance, removal
//! with an exit plan), the exit plans' pages, and Individual Service Funds.

use super::{DateInputs, PageErrors, new_errors, options, options_owned, page};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormErrors;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::rpl::{IsfDraft, IsfInput, NewQa, QA_RESULTS, removal_reason};
use caremarket_core::direct_payments::{BUDGET_PERIODS, money};
use minijinja::{Value, context};
use serde::Deserialize;

pub(super) async fn rpl_list(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    let companies = state.store.rpl_companies(caremarket_store::today()).await?;
    let plans = state.store.exit_plans(None).await?;
    let rows: Vec<Value> = companies.iter().map(|c| context! { c => c, result => c.last_result.map(|r| r.label()) }).collect();
    page(&state, &user, "dp_rpl.html", StatusCode::OK, context! { companies => rows, plans => plans }).await
}

/// The company page's two forms: quality assurance and removal from the list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CompanyForm {
    result: String,
    notes: String,
    reason: String,
    planned: String,
    #[serde(flatten)]
    dates: DateInputs,
}

async fn render_company(
    state: &AppState,
    user: &CurrentUser,
    provider_id: &str,
    form: &CompanyForm,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let provider = state.store.provider(provider_id).await?;
    let today = caremarket_store::today();
    let company = state.store.rpl_companies(today).await?.into_iter().find(|c| c.provider_id == provider_id).ok_or(AppError::NotFound)?;
    let history: Vec<Value> = state
        .store
        .rpl_qa_history(provider_id)
        .await?
        .iter()
        .map(|q| context! { assessed_on => q.assessed_on, result => q.result.label(), notes => q.notes, by => q.actor_label })
        .collect();
    page(
        state,
        user,
        "dp_rpl_company.html",
        status,
        context! {
            provider => provider, company => company, history => history, plans => state.store.exit_plans(Some(provider_id)).await?,
            errors => errors.list, field_errors => errors.by_field, can_edit => user.role().can(Permission::EditDirectPayments),
            assessed_on => form.dates.parts("assessed_on"), result => form.result, result_options => options(&QA_RESULTS, None), notes => form.notes,
            reason => form.reason, planned => form.planned, target_date => form.dates.parts("target_date"),
        },
    )
    .await
}

pub(super) async fn rpl_company(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    render_company(&state, &user, &provider_id, &CompanyForm::default(), &new_errors(), StatusCode::OK).await
}

pub(super) async fn rpl_qa(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    CsrfForm(form): CsrfForm<CompanyForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = new_errors();
    let mut read = PageErrors::default();
    let on = form.dates.required(&mut read, "assessed_on", "Date of the quality assurance");
    match NewQa::parse(on, &form.result, Some(&form.notes), caremarket_store::today()) {
        Ok(qa) => {
            let notes = qa.notes.as_deref();
            match state.store.record_rpl_qa(&user.actor(), &provider_id, qa.assessed_on, qa.result.as_str(), notes).await {
                Ok(()) => return Ok(Redirect::to(&format!("/direct-payments/rpl/{provider_id}")).into_response()),
                Err(e) => errors.add_store(e)?,
            }
        }
        Err(e) => read.merge_into(&mut errors, Some(e)),
    }
    render_company(&state, &user, &provider_id, &form, &errors, StatusCode::BAD_REQUEST).await
}

pub(super) async fn rpl_remove(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    CsrfForm(form): CsrfForm<CompanyForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = new_errors();
    let reason = errors.check_field(removal_reason(&form.reason));
    let target = errors.check("target_date", form.dates.optional("target_date", "Target date"));
    if let (Some(reason), Some(target)) = (reason, target) {
        let planned = form.planned != "0";
        match state.store.remove_from_rpl(&user.actor(), &provider_id, &reason, planned, caremarket_store::today(), target).await {
            Ok(plan) => return Ok(Redirect::to(&format!("/direct-payments/exit-plans/{plan}")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_company(&state, &user, &provider_id, &form, &errors, StatusCode::BAD_REQUEST).await
}

/// The plan's page. `kept`: after a save refused because someone else saved that person's
/// arrangement first (decision 25), their form shows what was typed, at the version now.
async fn render_exit_plan(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    kept: Option<(&str, &ExitItemForm)>,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let plan = state.store.exit_plan(id).await?;
    let kept = kept.map(
        |(item_id, f)| context! { item_id => item_id, new_arrangement => f.new_arrangement, done => f.done == "1", version => f.version },
    );
    let ctx = context! { plan => plan, can_edit => user.role().can(Permission::EditDirectPayments), kept => kept, stale => reply.stale };
    page(state, user, "dp_exit_plan.html", reply.status, ctx).await
}

pub(super) async fn exit_plan(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    render_exit_plan(&state, &user, &id, None, crate::versions::Reply::status(StatusCode::OK)).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ExitItemForm {
    new_arrangement: String,
    done: String,
    /// The person's version the form was opened at (decision 25).
    version: String,
}

pub(super) async fn exit_item(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, item_id)): Path<(String, String)>,
    CsrfForm(mut form): CsrfForm<ExitItemForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let expected = super::payments::form_version(&form.version);
    let done = form.done == "1";
    let today = caremarket_store::today();
    match state.store.update_exit_item(&user.actor(), &item_id, &form.new_arrangement, done, today, expected).await {
        Ok(()) => Ok(Redirect::to(&format!("/direct-payments/exit-plans/{id}")).into_response()),
        Err(caremarket_store::StoreError::Stale { current }) => {
            let plan = state.store.exit_plan(&id).await?;
            let now = plan.items.iter().find(|i| i.id == item_id).ok_or(AppError::NotFound)?;
            let moved = |done: bool| if done { "Yes" } else { "No" }.to_string();
            let changes = caremarket_core::versions::changes([
                ("New arrangement", now.new_arrangement.clone().unwrap_or_default(), form.new_arrangement.trim().to_string()),
                ("Moved", moved(now.status == "done"), moved(done)),
            ]);
            let stale = crate::versions::stale(&state, "exit_plan_item", &item_id, current, expected, changes).await?;
            form.version = stale.current.to_string();
            render_exit_plan(&state, &user, &id, Some((&item_id, &form)), crate::versions::Reply::stale(stale.notice)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct IsfForm {
    person_ref: String,
    provider_id: String,
    budget: String,
    budget_period: String,
    #[serde(flatten)]
    dates: DateInputs,
}

async fn render_isfs(
    state: &AppState,
    user: &CurrentUser,
    form: &IsfForm,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let isfs: Vec<Value> = state
        .store
        .isfs()
        .await?
        .iter()
        .map(|i| context! { i => i, budget => format!("{} {}", money(i.budget_pence), i.budget_period.label().to_lowercase()) })
        .collect();
    let providers = state.store.providers(None, 1, 500).await?;
    let provider_options: Vec<(String, String)> = providers.items.iter().map(|p| (p.id.clone(), p.name.clone())).collect();
    page(
        state,
        user,
        "dp_isfs.html",
        status,
        context! {
            isfs => isfs, errors => errors.list, field_errors => errors.by_field, can_edit => user.role().can(Permission::EditDirectPayments),
            person_ref => form.person_ref, provider_id => form.provider_id, provider_options => options_owned(&provider_options, Some("Choose a provider")),
            budget => form.budget, budget_period => form.budget_period, period_options => options(&BUDGET_PERIODS, None), start_date => form.dates.parts("start_date"),
        },
    )
    .await
}

pub(super) async fn isfs(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    render_isfs(&state, &user, &IsfForm::default(), &new_errors(), StatusCode::OK).await
}

pub(super) async fn create_isf(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<IsfForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = new_errors();
    let mut read = PageErrors::default();
    let input = IsfInput {
        person_ref: form.person_ref.clone(),
        provider_id: form.provider_id.clone(),
        budget: form.budget.clone(),
        budget_period: form.budget_period.clone(),
        start_date: form.dates.required(&mut read, "start_date", "Start date"),
    };
    match IsfDraft::parse(&input) {
        Ok(isf) => match state.store.create_isf(&user.actor(), &isf).await {
            Ok(_) => return Ok(Redirect::to("/direct-payments/isfs").into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => read.merge_into(&mut errors, Some(e)),
    }
    render_isfs(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}
