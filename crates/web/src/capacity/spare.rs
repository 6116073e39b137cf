//! Declared spare home care capacity (hours a week by area and lot), which brokerage offers
//! packages against; the provider portal uses the same form.

use super::forms::{FormErrors, FormPage, Pairs, f, field, int, opt, render_form, with_hint, with_options};
use super::{all_service_options, area_options};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::register::ServiceKind;

pub(crate) fn lot_options() -> Vec<serde_json::Value> {
    caremarket_core::capacity::brokerage::Lot::ALL.iter().map(|l| opt(l.as_str(), l.label())).collect()
}

pub(crate) fn spare_fields(
    form: &Pairs,
    services: Option<Vec<serde_json::Value>>,
    areas: Vec<serde_json::Value>,
) -> Vec<serde_json::Value> {
    let mut v = Vec::new();
    if let Some(s) = services {
        v.push(with_options(f("select", "service_id", "Home care service", field(form, "service_id")), s));
    }
    v.push(with_options(f("select", "area_id", "Area", field(form, "area_id")), areas));
    v.push(with_options(f("radios", "lot", "Lot", field(form, "lot")), lot_options()));
    v.push(with_hint(
        f("numeric", "hours", "Spare hours a week", field(form, "hours")),
        "Hours of care the service could start this week in the area",
    ));
    v
}

/// Read and save a spare capacity declaration; `Ok(true)` when saved.
pub(crate) async fn save_spare(
    state: &AppState,
    user: &CurrentUser,
    form: &Pairs,
    errors: &mut FormErrors,
    service_id: &str,
) -> Result<bool, AppError> {
    if service_id.is_empty() {
        errors.add("service_id", "Choose a home care service");
    }
    if field(form, "area_id").is_empty() {
        errors.add("area_id", "Choose an area");
    }
    let lot = caremarket_core::capacity::brokerage::Lot::parse(field(form, "lot"));
    if lot.is_none() {
        errors.add("lot", "Choose the lot");
    }
    let hours = errors.check("hours", int(form, "hours", "Spare hours a week", None));
    if !errors.is_empty() {
        return Ok(false);
    }
    let (Some(lot), Some(hours)) = (lot, hours) else { return Ok(false) };
    match state
        .store
        .declare_spare_capacity(
            &user.actor(),
            service_id,
            Some(field(form, "area_id")),
            lot.as_str(),
            "minutes",
            hours.saturating_mul(60),
            caremarket_store::today(),
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => {
            let e = match e {
                caremarket_store::StoreError::Invalid(fe) if fe.field == "amount" => {
                    caremarket_store::StoreError::invalid("hours", fe.message)
                }
                other => other,
            };
            errors.add_store(e)?;
            Ok(false)
        }
    }
}

fn spare_page(fields: Vec<serde_json::Value>) -> FormPage<'static> {
    FormPage { title: "Declare spare home care capacity", caption: Some("Home care capacity"), intro: Some("Brokerage offers packages only to providers with spare capacity declared in the person's area and lot. The latest declaration for an area and lot replaces earlier ones.".into()), action: "/capacity/spare", back: "/capacity", button: "Save", fields, multipart: false }
}

pub(super) async fn spare_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let fields = spare_fields(&vec![], Some(all_service_options(&state, vec![ServiceKind::HomeCare]).await?), area_options(&state).await?);
    render_form(&state, &user, spare_page(fields), &FormErrors::default(), StatusCode::OK).await
}

pub(super) async fn spare_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let mut errors = FormErrors::default();
    if save_spare(&state, &user, &form, &mut errors, field(&form, "service_id")).await? {
        return Ok(Redirect::to("/capacity?saved=spare").into_response());
    }
    let fields = spare_fields(&form, Some(all_service_options(&state, vec![ServiceKind::HomeCare]).await?), area_options(&state).await?);
    render_form(&state, &user, spare_page(fields), &errors, StatusCode::BAD_REQUEST).await
}
