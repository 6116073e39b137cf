//! The council's capacity settings (issue 16 item 19), edited on a page rather than from the
//! command line: when a vacancy return goes stale, the occupancy below which a home is flagged
//! as a quality risk, and the day each week's return window closes. Saving is audited (the
//! store's `set_setting_by`); the checks are core's.

use super::admissions::{WindowSetting, window_closes_on};
use super::forms::{Pairs, field, int};
use crate::AppState;
use crate::auth::{CurrentUser, session_context};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormErrors;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::capacity::admissions::WEEKDAYS;
use caremarket_core::capacity::vacancies::CapacityThresholds;
use minijinja::context;
use serde_json::json;

pub(super) async fn page(user: CurrentUser, State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    user.require(Permission::EditCouncilFields)?;
    let t = super::thresholds(&state).await;
    let closes = window_closes_on(&state).await;
    let closes_value = WEEKDAYS.iter().find(|(_, _, d)| *d == closes).map(|(v, _, _)| *v).unwrap_or("wednesday");
    let form: Pairs = vec![
        ("stale_after_days".into(), t.stale_after_days.to_string()),
        ("low_occupancy_percent".into(), t.low_occupancy_percent.to_string()),
        ("closes_on".into(), closes_value.into()),
    ];
    let saved = raw.as_deref().is_some_and(|q| q.split('&').any(|p| p == "saved=1"));
    render(&state, &user, &form, saved, &FormErrors::default(), StatusCode::OK).await
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    form: &Pairs,
    saved: bool,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let ctx = session_context(state, &user.session).await?;
    let html = state.renderer.render(
        "capacity_settings.html",
        &ctx,
        context! {
            stale_after_days => field(form, "stale_after_days"), low_occupancy_percent => field(form, "low_occupancy_percent"),
            closes_on => field(form, "closes_on"),
            weekday_options => WEEKDAYS.iter().map(|(v, l, _)| json!({"value": v, "text": l})).collect::<Vec<_>>(),
            saved => saved, errors => errors.list, field_errors => errors.by_field,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

pub(super) async fn save(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<Pairs>) -> Result<Response, AppError> {
    user.require(Permission::EditCouncilFields)?;
    let mut errors = FormErrors::default();
    let mut read = caremarket_core::FieldErrors::new();
    let mut number = |name: &str, label: &str| int(&form, name, label, None).map_err(|m| read.add(name, m)).ok();
    let stale = number("stale_after_days", "The days after which a return is stale");
    let low = number("low_occupancy_percent", "The low occupancy threshold");
    let thresholds = CapacityThresholds::parse(stale, low, read).map_err(|e| errors.extend(e)).ok();
    let closes = WEEKDAYS.iter().find(|(v, _, _)| *v == field(&form, "closes_on")).map(|(v, _, _)| *v);
    if closes.is_none() {
        errors.add("closes_on", "Select the day returns are due by");
    }
    let (Some(t), Some(closes_on), true) = (thresholds, closes, errors.is_empty()) else {
        return render(&state, &user, &form, false, &errors, StatusCode::BAD_REQUEST).await;
    };
    let encode = |v: serde_json::Result<String>| v.map_err(|e| AppError::Internal(e.to_string()));
    // Each setting keeps any field this page does not edit.
    let mut stored: serde_json::Value = state
        .store
        .setting("capacity_thresholds")
        .await?
        .and_then(|s| serde_json::from_str(&s).ok())
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| json!({}));
    stored["stale_after_days"] = json!(t.stale_after_days);
    stored["low_occupancy_percent"] = json!(t.low_occupancy_percent);
    state.store.set_setting_by(&user.actor(), "capacity_thresholds", &encode(serde_json::to_string(&stored))?).await?;
    let window = encode(serde_json::to_string(&WindowSetting { closes_on: closes_on.to_string() }))?;
    state.store.set_setting_by(&user.actor(), "capacity_return_window", &window).await?;
    Ok(Redirect::to("/capacity/settings?saved=1").into_response())
}
