//! The council's capacity settings (issue 16 item 19), edited on a page rather than from the
//! command line: when a vacancy return goes stale, the occupancy below which a home is flagged
//! as a quality risk, and the day each week's return window closes. Saving is audited (the
//! store's `set_setting_by`); the checks are core's.

use super::admissions::{WindowSetting, window_closes_on};
use super::forms::{Pairs, field, int};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::versions::{Reply, setting_expected, setting_versions_now, setting_versions_sent, settings_stale};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::capacity::admissions::WEEKDAYS;
use caremarket_core::capacity::vacancies::CapacityThresholds;
use caremarket_store::{SettingSave, StoreError};
use minijinja::{Value, context};
use serde_json::json;

const THRESHOLDS: &str = "capacity_thresholds";
const WINDOW: &str = "capacity_return_window";
/// The settings this page saves together, each carrying its version (decision 25).
const KEYS: [&str; 2] = [THRESHOLDS, WINDOW];

pub(super) async fn page(user: CurrentUser, State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    user.require(Permission::EditCouncilFields)?;
    let form = stored_form(&state).await;
    let saved = raw.as_deref().is_some_and(|q| q.split('&').any(|p| p == "saved=1"));
    let versions = setting_versions_now(&state, &KEYS).await?;
    render(&state, &user, &form, saved, &FormErrors::default(), versions, Reply::status(StatusCode::OK)).await
}

/// The settings as stored, as the form's fields.
async fn stored_form(state: &AppState) -> Pairs {
    let t = super::thresholds(state).await;
    let closes = window_closes_on(state).await;
    let closes_value = WEEKDAYS.iter().find(|(_, _, d)| *d == closes).map(|(v, _, _)| *v).unwrap_or("wednesday");
    vec![
        ("stale_after_days".into(), t.stale_after_days.to_string()),
        ("low_occupancy_percent".into(), t.low_occupancy_percent.to_string()),
        ("closes_on".into(), closes_value.into()),
    ]
}

/// The page's three answers as a person reads them, for a refused save's "what differs".
fn answers(form: &Pairs) -> [(&'static str, String); 3] {
    let day = WEEKDAYS.iter().find(|(v, _, _)| *v == field(form, "closes_on")).map(|(_, l, _)| l.to_string());
    [
        ("Days after which a home's latest return is stale", field(form, "stale_after_days").to_string()),
        ("Low occupancy threshold (per cent)", field(form, "low_occupancy_percent").to_string()),
        ("Vacancy returns are due by the end of", day.unwrap_or_else(|| field(form, "closes_on").to_string())),
    ]
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    user: &CurrentUser,
    form: &Pairs,
    saved: bool,
    errors: &FormErrors,
    setting_versions: Vec<Value>,
    reply: Reply,
) -> Result<Response, AppError> {
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "capacity_settings.html",
        &ctx,
        context! {
            stale_after_days => field(form, "stale_after_days"), low_occupancy_percent => field(form, "low_occupancy_percent"),
            closes_on => field(form, "closes_on"),
            weekday_options => WEEKDAYS.iter().map(|(v, l, _)| json!({"value": v, "text": l})).collect::<Vec<_>>(),
            saved => saved, errors => errors.list, field_errors => errors.by_field,
            setting_versions => setting_versions, stale => reply.stale,
        },
    )?;
    Ok((reply.status, Html(html)).into_response())
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
        let versions = setting_versions_sent(&form, &KEYS);
        return render(&state, &user, &form, false, &errors, versions, Reply::status(StatusCode::BAD_REQUEST)).await;
    };
    let encode = |v: serde_json::Result<String>| v.map_err(|e| AppError::Internal(e.to_string()));
    // Each setting keeps any field this page does not edit.
    let mut stored: serde_json::Value = state
        .store
        .setting(THRESHOLDS)
        .await?
        .and_then(|s| serde_json::from_str(&s).ok())
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| json!({}));
    stored["stale_after_days"] = json!(t.stale_after_days);
    stored["low_occupancy_percent"] = json!(t.low_occupancy_percent);
    let window = encode(serde_json::to_string(&WindowSetting { closes_on: closes_on.to_string() }))?;
    let saves = [
        SettingSave { key: THRESHOLDS, value: encode(serde_json::to_string(&stored))?, expected: setting_expected(&form, THRESHOLDS) },
        SettingSave { key: WINDOW, value: window, expected: setting_expected(&form, WINDOW) },
    ];
    match state.store.set_settings_at(&user.actor(), &saves).await {
        Ok(()) => Ok(Redirect::to("/capacity/settings?saved=1").into_response()),
        Err(StoreError::Stale { .. }) => {
            let now = stored_form(&state).await;
            let changes = caremarket_core::versions::changes(
                answers(&now).into_iter().zip(answers(&form)).map(|((label, n), (_, sent))| (label, n, sent)),
            );
            let stale = settings_stale(&state, &form, &KEYS, changes).await?;
            let versions = setting_versions_now(&state, &KEYS).await?;
            render(&state, &user, &form, false, &errors, versions, Reply::stale(stale.notice)).await
        }
        Err(e) => Err(e.into()),
    }
}
