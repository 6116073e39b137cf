//! The rate tools (domain C6): the PA Rates Decision Making Tool at /rates/pa and the Direct
//! Payment Provider Rates Tool at /rates/providers, with the fees gathered from providers.
//! Working out a rate changes nothing, so those forms are GETs; adding a rate card or a fee is
//! a POST with its audit record.

use super::{Errors, date_parts, field, options, page};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::figures::percent;
use caremarket_core::direct_payments::pa_rates::{self, Needs, RateCard};
use caremarket_core::direct_payments::provider_rates::{self, SERVICE_TYPES};
use caremarket_core::direct_payments::{label_of, money};
use minijinja::{Value, context};

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
    card_form: &[(String, String)],
    card_errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let cards = state.store.pa_rate_cards().await?;
    let today = caremarket_store::today();
    let chosen_name = field(q, "card");
    let card = cards.iter().find(|c| c.name == chosen_name).or_else(|| pa_rates::card_for(&cards, today)).cloned();
    let mut errors = Errors::default();
    let mut result = None;
    let int = |n: &str| field(q, n).trim().parse::<i64>();
    if !field(q, "hours_per_week").is_empty()
        && let Some(card) = &card
    {
        let needs = Needs {
            complexity: field(q, "complexity").to_string(),
            hours_per_week: int("hours_per_week").unwrap_or(-1),
            unsocial_hours_per_week: if field(q, "unsocial_hours_per_week").trim().is_empty() {
                0
            } else {
                int("unsocial_hours_per_week").unwrap_or(-1)
            },
            sleep_ins_per_week: if field(q, "sleep_ins_per_week").trim().is_empty() { 0 } else { int("sleep_ins_per_week").unwrap_or(-1) },
            driving: field(q, "driving") == "1",
        };
        for e in pa_rates::validate(&needs) {
            errors.add(&e.field, &e.message);
        }
        if errors.is_empty() {
            let r = pa_rates::calculate(card, &needs);
            result = Some(context! {
                card => r.card_name, year => r.statutory_year, pay_lines => lines(&r.pay_lines), oncost_lines => lines(&r.oncost_lines),
                pa_hourly => money(r.pa_hourly_pence), weekly_pay => money(r.weekly_pay_pence), dp_hourly => money(r.dp_hourly_pence),
                dp_weekly => money(r.dp_weekly_pence), dp_annual => money(r.dp_annual_pence), notes => r.notes,
            });
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
            can_add => user.role().can(Permission::EditDirectPayments),
            new_card => context! { name => field(card_form, "name"), effective_from => date_parts(card_form, "effective_from"), statutory_year => field(card_form, "statutory_year"), base => field(card_form, "base") },
        },
    )
    .await
}

async fn pa_tool(user: CurrentUser, State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    user.require(Permission::UseRateTools)?;
    render_pa(&state, &user, &query(raw), &[], &Errors::default(), StatusCode::OK).await
}

/// A new dated card: the current card's statutory figures with the council's base pay.
async fn add_card(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::UseRateTools)?;
    user.require(Permission::EditDirectPayments)?;
    let mut errors = Errors::default();
    let from = errors.date(&form, "effective_from", "Date the card applies from");
    let base = errors.money(&form, "base", "Base pay an hour", false);
    if field(&form, "name").trim().is_empty() {
        errors.add("name", "Enter a name for the rate card");
    }
    if errors.is_empty()
        && let (Some(from), Some(base)) = (from, base)
    {
        let cards = state.store.pa_rate_cards().await?;
        if let Some(template) = pa_rates::card_for(&cards, from) {
            let card = RateCard {
                name: field(&form, "name").trim().to_string(),
                effective_from: from,
                statutory_year: Some(field(&form, "statutory_year").trim().to_string())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| template.statutory_year.clone()),
                base_pence: base,
                ..template.clone()
            };
            match state.store.add_pa_rate_card(&user.actor(), &card).await {
                Ok(_) => return Ok(Redirect::to(&format!("/rates/pa?card={}", urlencode(&card.name))).into_response()),
                Err(e) => errors.add_store(e)?,
            }
        }
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
    fee_form: &[(String, String)],
    fee_errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let service_type = Some(field(q, "service_type"))
        .filter(|s| !s.is_empty())
        .or(Some(field(fee_form, "service_type")).filter(|s| !s.is_empty()))
        .unwrap_or("home_care")
        .to_string();
    let fees = state.store.provider_fees(&service_type, None).await?;
    let amounts: Vec<i64> = fees.iter().map(|f| f.fee_pence).collect();
    let mut errors = Errors::default();
    let mut decision = None;
    if !field(q, "price").is_empty() {
        let price = errors.money(q, "price", "The provider's price", false);
        let units: i64 = field(q, "units").trim().parse().unwrap_or(0);
        if !(0..=168).contains(&units) {
            errors.add("units", "Enter the hours or nights a week, from 0 to 168");
        }
        if let Some(p) = price
            && errors.is_empty()
        {
            decision = Some(match provider_rates::decide(&amounts, p, units) {
                Some(d) => context! {
                    outcome => d.outcome, title => d.title, explanation => d.explanation, top_up_week => money(d.top_up_per_week_pence),
                    top_up_unit => money(d.top_up_per_unit_pence), enough => true,
                },
                None => context! { enough => false, needed => provider_rates::MIN_EVIDENCE, have => amounts.len() },
            });
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
            new_fee => context! { provider_name => field(fee_form, "provider_name"), fee => field(fee_form, "fee"), gathered_on => date_parts(fee_form, "gathered_on"), source => field(fee_form, "source") },
        },
    )
    .await
}

async fn provider_tool(user: CurrentUser, State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    user.require(Permission::UseRateTools)?;
    render_providers(&state, &user, &query(raw), &[], &Errors::default(), StatusCode::OK).await
}

async fn add_fee(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::UseRateTools)?;
    user.require(Permission::EditDirectPayments)?;
    let mut errors = Errors::default();
    let fee = errors.money(&form, "fee", "The fee", false);
    let on = errors.date(&form, "gathered_on", "Date gathered");
    if field(&form, "provider_name").trim().is_empty() {
        errors.add("provider_name", "Enter the provider's name");
    }
    let st = field(&form, "service_type").to_string();
    if errors.is_empty()
        && let (Some(fee), Some(on)) = (fee, on)
    {
        let source = Some(field(&form, "source").trim()).filter(|s| !s.is_empty()).unwrap_or("Gathered by the DP team");
        match state.store.add_provider_fee(&user.actor(), None, field(&form, "provider_name"), &st, fee, on, source).await {
            Ok(_) => return Ok(Redirect::to(&format!("/rates/providers?service_type={st}")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_providers(&state, &user, &[], &form, &errors, StatusCode::BAD_REQUEST).await
}
