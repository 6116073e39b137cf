//! A week's care delivered: home care people and hours; supported living and day services
//! hours of 1:1 and shared support (`000`).

use super::all_service_options;
use super::forms::{self, FormErrors, FormPage, Pairs, f, field, int, render_form, with_hint, with_options};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::capacity::supported_living::SupportWeek;
use caremarket_core::register::ServiceKind;
use caremarket_store::capacity::NewActivity;

fn activity_fields(form: &Pairs, services: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    vec![
        with_options(f("select", "service_id", "Service", field(form, "service_id")), services),
        with_hint(f("date", "week_of", "Week beginning", forms::date_parts(form, "week_of")), "For example 4 11 2024"),
        with_hint(f("heading", "home_care", "Home care", ""), "For home care services."),
        f("numeric", "packages", "Packages of care", field(form, "packages")),
        f("numeric", "hc_hours", "Hours of care a week", field(form, "hc_hours")),
        with_hint(
            f("heading", "support", "Supported living and day services", ""),
            "`000`: hours of 1:1 support, people supported, and those who also receive shared support.",
        ),
        f("numeric", "one_to_one_hours", "Hours of 1:1 support a week", field(form, "one_to_one_hours")),
        f("numeric", "shared_hours", "Hours of shared support a week", field(form, "shared_hours")),
        f("numeric", "people_shared", "People who also receive shared support", field(form, "people_shared")),
        f("numeric", "people", "People supported", field(form, "people")),
    ]
}

fn activity_page(fields: Vec<serde_json::Value>) -> FormPage<'static> {
    FormPage { title: "Record a week's care delivered", caption: Some("Capacity"), intro: Some("The people supported and hours delivered in a week. These figures are what the continuity page counts as affected if the provider exits.".into()), action: "/capacity/activity", back: "/capacity", button: "Save", fields, multipart: false }
}

pub(super) async fn activity_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let kinds = vec![ServiceKind::HomeCare, ServiceKind::SupportedLiving, ServiceKind::EnhancedSupportedLiving, ServiceKind::DayServices];
    let fields = activity_fields(&vec![], all_service_options(&state, kinds).await?);
    render_form(&state, &user, activity_page(fields), &FormErrors::default(), StatusCode::OK).await
}

pub(super) async fn activity_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let mut errors = FormErrors::new(&["week_of"]);
    if field(&form, "service_id").is_empty() {
        errors.add("service_id", "Choose a service");
    }
    let week = errors.date(&form, "week_of", "Week beginning");
    let n = |errors: &mut FormErrors, name: &str, label: &str| errors.check(name, int(&form, name, label, Some(0))).unwrap_or(0);
    let a = NewActivity {
        service_id: field(&form, "service_id").into(),
        week_of: week,
        people: n(&mut errors, "people", "People supported"),
        packages: n(&mut errors, "packages", "Packages of care"),
        minutes_per_week: n(&mut errors, "hc_hours", "Hours of care a week").saturating_mul(60),
        support: SupportWeek {
            one_to_one_hours: n(&mut errors, "one_to_one_hours", "Hours of 1:1 support"),
            people: n(&mut errors, "people", "People supported"),
            shared_hours: n(&mut errors, "shared_hours", "Hours of shared support"),
            people_shared: n(&mut errors, "people_shared", "People who also receive shared support"),
        },
        source: "officer",
    };
    if errors.is_empty() {
        match state.store.record_activity(&user.actor(), &a, caremarket_store::today()).await {
            Ok(_) => return Ok(Redirect::to("/capacity?saved=activity").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    let kinds = vec![ServiceKind::HomeCare, ServiceKind::SupportedLiving, ServiceKind::EnhancedSupportedLiving, ServiceKind::DayServices];
    let fields = activity_fields(&form, all_service_options(&state, kinds).await?);
    render_form(&state, &user, activity_page(fields), &errors, StatusCode::BAD_REQUEST).await
}
