//! The rate tools (domain C6): the PA Rates Decision Making Tool at /rates/pa and the Direct
//! Payment Provider Rates Tool at /rates/providers, with the fees gathered from providers.
//! Working out a rate changes nothing, so those forms are GETs; adding a rate card or a fee is
//! a POST with its audit record.

use super::{DateInputs, PageErrors, new_errors, options, page};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::figures::percent;
use caremarket_core::direct_payments::pa_rates::{self, CardInput, Needs, NeedsInput, RateCard};
use caremarket_core::direct_payments::provider_rates::{self, FeeInput, SERVICE_TYPES};
use caremarket_core::direct_payments::{label_of, money};
use minijinja::{Value, context};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rates/pa", get(pa_tool))
        .route("/rates/pa/cards", post(add_card))
        .route("/rates/providers", get(provider_tool))
        .route("/rates/providers/fees", post(add_fee))
}

fn query(raw: Option<String>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default()
}

fn lines(ls: &[pa_rates::Line]) -> Vec<Value> {
    ls.iter()
        .map(|l| context! { label => l.label, how => l.how, per_hour => money(l.per_hour_pence), per_week => money(l.per_week_pence) })
        .collect()
}

fn card_view(c: &RateCard) -> Value {
    context! {
        name => c.name, effective_from => c.effective_from.to_string(), year => c.statutory_year, nlw => money(c.national_living_wage_pence),
        base => money(c.base_pence), medium => percent(c.complexity_medium_bp), high => percent(c.complexity_high_bp), unsocial => percent(c.unsocial_bp),
        driving => money(c.driving_pence), sleep_in => money(c.sleep_in_pence), ni => percent(c.employer_ni_bp), ni_threshold => money(c.ni_threshold_weekly_pence),
        pension => percent(c.pension_bp), pension_lower => money(c.pension_lower_weekly_pence), holiday => percent(c.holiday_bp),
        el => money(c.el_insurance_annual_pence), payroll => money(c.payroll_annual_pence),
    }
}

async fn render_pa(
    state: &AppState,
    user: &CurrentUser,
    q: &[(String, String)],
    card_form: &CardForm,
    card_errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let cards = state.store.pa_rate_cards().await?;
    let today = caremarket_store::today();
    let chosen_name = field(q, "card");
    let card = cards.iter().find(|c| c.name == chosen_name).or_else(|| pa_rates::card_for(&cards, today)).cloned();
    let mut errors = new_errors();
    let mut result = None;
    if !field(q, "hours_per_week").is_empty()
        && let Some(card) = &card
    {
        let input = NeedsInput {
            complexity: field(q, "complexity").to_string(),
            hours_per_week: field(q, "hours_per_week").to_string(),
            unsocial_hours_per_week: field(q, "unsocial_hours_per_week").to_string(),
            sleep_ins_per_week: field(q, "sleep_ins_per_week").to_string(),
            driving: field(q, "driving").to_string(),
            employment_allowance: field(q, "employment_allowance").to_string(),
        };
        match Needs::parse(&input) {
            Ok(needs) => {
                let r = pa_rates::calculate(card, &needs);
                result = Some(context! {
                    card => r.card_name, year => r.statutory_year, pay_lines => lines(&r.pay_lines), oncost_lines => lines(&r.oncost_lines),
                    pa_hourly => money(r.pa_hourly_pence), weekly_pay => money(r.weekly_pay_pence), dp_hourly => money(r.dp_hourly_pence),
                    dp_weekly => money(r.dp_weekly_pence), dp_annual => money(r.dp_annual_pence), notes => r.notes,
                });
            }
            Err(e) => errors.extend(e),
        }
    }
    let status = if errors.is_empty() { status } else { StatusCode::BAD_REQUEST };
    let mut all_errors = errors.list.clone();
    all_errors.extend(card_errors.list.iter().cloned());
    page(
        state,
        user,
        "rates_pa.html",
        status,
        context! {
            errors => all_errors, field_errors => errors.by_field, card_errors => card_errors.by_field, result => result,
            card => card.as_ref().map(card_view), cards => cards.iter().map(card_view).collect::<Vec<_>>(),
            card_options => cards.iter().map(|c| context!{ value => c.name, text => format!("{} (from {})", c.name, c.effective_from) }).collect::<Vec<_>>(),
            chosen => card.as_ref().map(|c| c.name.clone()),
            complexity => field(q, "complexity"), complexity_options => options(&[("standard", "Standard"), ("medium", "Medium: some complex needs"), ("high", "High: complex needs, such as behaviour that challenges or clinical tasks")], None),
            hours_per_week => field(q, "hours_per_week"), unsocial_hours_per_week => field(q, "unsocial_hours_per_week"),
            sleep_ins_per_week => field(q, "sleep_ins_per_week"), driving => field(q, "driving"),
            employment_allowance => field(q, "employment_allowance"),
            allowance => card.as_ref().map(|c| money(c.employment_allowance_annual_pence)),
            can_add => user.role().can(Permission::EditDirectPayments),
            new_card => context! { name => card_form.name, effective_from => card_form.dates.parts("effective_from"), statutory_year => card_form.statutory_year, base => card_form.base },
        },
    )
    .await
}

async fn pa_tool(user: CurrentUser, State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    user.require(Permission::UseRateTools)?;
    render_pa(&state, &user, &query(raw), &CardForm::default(), &new_errors(), StatusCode::OK).await
}

/// The new-card form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CardForm {
    name: String,
    statutory_year: String,
    base: String,
    #[serde(flatten)]
    dates: DateInputs,
}

/// A new dated card: the current card's statutory figures with the council's base pay.
async fn add_card(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<CardForm>) -> Result<Response, AppError> {
    user.require(Permission::UseRateTools)?;
    user.require(Permission::EditDirectPayments)?;
    let mut errors = new_errors();
    let mut read = PageErrors::default();
    let input = CardInput {
        name: form.name.clone(),
        statutory_year: form.statutory_year.clone(),
        base: form.base.clone(),
        effective_from: form.dates.required(&mut read, "effective_from", "Date the card applies from"),
    };
    match input.parse(&state.store.pa_rate_cards().await?) {
        Ok(card) => match state.store.add_pa_rate_card(&user.actor(), &card).await {
            Ok(_) => return Ok(Redirect::to(&format!("/rates/pa?card={}", urlencode(&card.name))).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => read.merge_into(&mut errors, Some(e)),
    }
    render_pa(&state, &user, &[], &form, &errors, StatusCode::BAD_REQUEST).await
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap_or_default().trim_start_matches("x=").to_string()
}

async fn render_providers(
    state: &AppState,
    user: &CurrentUser,
    q: &[(String, String)],
    fee_form: &FeeForm,
    fee_errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let service_type = Some(field(q, "service_type"))
        .filter(|s| !s.is_empty())
        .or(Some(fee_form.service_type.as_str()).filter(|s| !s.is_empty()))
        .unwrap_or("home_care")
        .to_string();
    let fees = state.store.provider_fees(&service_type, None).await?;
    let amounts: Vec<i64> = fees.iter().map(|f| f.fee_pence).collect();
    let mut errors = new_errors();
    let mut decision = None;
    if !field(q, "price").is_empty() {
        match provider_rates::parse_price(field(q, "price"), field(q, "units")) {
            Ok((p, units)) => {
                decision = Some(match provider_rates::decide(&amounts, p, units) {
                    Some(d) => context! {
                        outcome => d.outcome, title => d.title, explanation => d.explanation, top_up_week => money(d.top_up_per_week_pence),
                        top_up_unit => money(d.top_up_per_unit_pence), enough => true,
                    },
                    None => context! { enough => false, needed => provider_rates::MIN_EVIDENCE, have => amounts.len() },
                });
            }
            Err(e) => errors.extend(e),
        }
    }
    let evidence = provider_rates::evidence(&amounts).map(|e| {
        context! { count => e.count, min => money(e.min), lq => money(e.lower_quartile), median => money(e.median), uq => money(e.upper_quartile), p90 => money(e.p90), max => money(e.max) }
    });
    let mut all_errors = errors.list.clone();
    all_errors.extend(fee_errors.list.iter().cloned());
    let status = if errors.is_empty() { status } else { StatusCode::BAD_REQUEST };
    page(
        state,
        user,
        "rates_providers.html",
        status,
        context! {
            errors => all_errors, field_errors => errors.by_field, fee_errors => fee_errors.by_field,
            service_type => service_type.clone(), service_label => label_of(&SERVICE_TYPES, &service_type), type_options => options(&SERVICE_TYPES, None),
            price => field(q, "price"), units => field(q, "units"), decision => decision, evidence => evidence,
            fees => fees.iter().map(|f| context!{ provider => f.provider_name, fee => money(f.fee_pence), gathered_on => f.gathered_on, source => f.source }).collect::<Vec<_>>(),
            can_add => user.role().can(Permission::EditDirectPayments),
            new_fee => context! { provider_name => fee_form.provider_name, fee => fee_form.fee, gathered_on => fee_form.dates.parts("gathered_on"), source => fee_form.source },
        },
    )
    .await
}

async fn provider_tool(user: CurrentUser, State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    user.require(Permission::UseRateTools)?;
    render_providers(&state, &user, &query(raw), &FeeForm::default(), &new_errors(), StatusCode::OK).await
}

/// The form adding a gathered fee.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct FeeForm {
    provider_name: String,
    service_type: String,
    fee: String,
    source: String,
    #[serde(flatten)]
    dates: DateInputs,
}

async fn add_fee(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<FeeForm>) -> Result<Response, AppError> {
    user.require(Permission::UseRateTools)?;
    user.require(Permission::EditDirectPayments)?;
    let mut errors = new_errors();
    let mut read = PageErrors::default();
    let input = FeeInput {
        provider_name: form.provider_name.clone(),
        service_type: form.service_type.clone(),
        fee: form.fee.clone(),
        gathered_on: form.dates.required(&mut read, "gathered_on", "Date gathered"),
        source: form.source.clone(),
    };
    match input.parse(caremarket_store::today()) {
        Ok(fee) => {
            let (st, on) = (fee.service_type.as_str(), fee.gathered_on);
            match state.store.add_provider_fee(&user.actor(), None, &fee.provider_name, st, fee.fee_pence, on, &fee.source).await {
                Ok(_) => return Ok(Redirect::to(&format!("/rates/providers?service_type={st}")).into_response()),
                Err(e) => errors.add_store(e)?,
            }
        }
        Err(e) => read.merge_into(&mut errors, Some(e)),
    }
    render_providers(&state, &user, &[], &form, &errors, StatusCode::BAD_REQUEST).await
}
