//! The provider portal's monthly returns (ProviderPortal, `002` rec 4): a provider user sees and
//! sends complaints and staffing returns for its own services only, as a CSV or one month at a
//! time. The provider comes from the account, never the request.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use crate::quality::returns::upload;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_store::quality::returns::{COLUMNS, NewMonthlyReturn};
use caremarket_store::register::ServiceFilter;
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/portal/returns", get(portal_page).post(portal_submit)).route("/portal/returns/upload", post(portal_upload))
}

fn provider_of(user: &CurrentUser) -> Result<String, AppError> {
    user.require(Permission::ProviderPortal)?;
    user.user.provider_id.clone().ok_or(AppError::Forbidden)
}

/// One month's return as the form sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReturnForm {
    service_id: String,
    month: String,
    complaints: String,
    complaints_via_council: String,
    complaints_resolved_in_house: String,
    staff_in_post: String,
    staff_vacancies: String,
    staff_leavers: String,
    agency_hours: String,
}

impl ReturnForm {
    /// A number field's value as typed, by its name.
    fn value(&self, name: &str) -> &str {
        match name {
            "complaints" => &self.complaints,
            "complaints_via_council" => &self.complaints_via_council,
            "complaints_resolved_in_house" => &self.complaints_resolved_in_house,
            "staff_in_post" => &self.staff_in_post,
            "staff_vacancies" => &self.staff_vacancies,
            "staff_leavers" => &self.staff_leavers,
            "agency_hours" => &self.agency_hours,
            _ => "",
        }
    }

    /// The return, or the form's errors: a service and a month chosen, the numbers whole (the
    /// complaints required). What a return may say is core's check, run by the store.
    fn read(&self, errors: &mut FormErrors) -> Option<NewMonthlyReturn> {
        if self.service_id.trim().is_empty() {
            errors.add("service_id", "Choose the service");
        }
        if self.month.trim().is_empty() {
            errors.add("month", "Enter the month, like 2024-11");
        }
        let mut number = |name: &str, label: &str, required: bool| -> Option<i64> {
            let v = self.value(name).trim().replace(',', "");
            if v.is_empty() {
                if required {
                    errors.add(name, &format!("Enter the number of {} (0 if none)", label.to_lowercase()));
                }
                return None;
            }
            v.parse::<i64>().map_err(|_| errors.add(name, &format!("{label} must be a whole number"))).ok()
        };
        let n: Vec<Option<i64>> = NUMBER_FIELDS.iter().map(|(name, label, required)| number(name, label, *required)).collect();
        if !errors.is_empty() {
            return None;
        }
        Some(NewMonthlyReturn {
            service_id: self.service_id.trim().to_string(),
            month: self.month.trim().to_string(),
            complaints: n[0].unwrap_or(0),
            complaints_via_council: n[1].unwrap_or(0),
            complaints_resolved_in_house: n[2].unwrap_or(0),
            staff_in_post: n[3],
            staff_vacancies: n[4],
            staff_leavers: n[5],
            agency_hours: n[6],
        })
    }
}

/// The form's number fields in [`NewMonthlyReturn`] order: name, label, required.
const NUMBER_FIELDS: [(&str, &str, bool); 7] = [
    ("complaints", "Complaints received", true),
    ("complaints_via_council", "Complaints made via the council", false),
    ("complaints_resolved_in_house", "Complaints resolved in house", false),
    ("staff_in_post", "Staff in post", false),
    ("staff_vacancies", "Staff vacancies", false),
    ("staff_leavers", "Staff who left in the month", false),
    ("agency_hours", "Agency hours", false),
];

#[allow(clippy::too_many_arguments)]
async fn render_portal(
    state: &AppState,
    user: &CurrentUser,
    provider_id: &str,
    form: &ReturnForm,
    errors: &FormErrors,
    upload_errors: Vec<Value>,
    saved: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let provider = state.store.provider(provider_id).await?;
    let services = state
        .store
        .services(&ServiceFilter {
            provider_id: Some(provider_id.to_string()),
            any_area: true,
            per_page: 1000,
            sort: Some("name".into()),
            ..Default::default()
        })
        .await?;
    let mut options = vec![json!({"value": "", "text": "Choose a service"})];
    options.extend(services.items.iter().filter(|s| s.provider_id == provider_id).map(|s| json!({"value": s.id, "text": s.name})));
    let returns = state.store.monthly_returns(None, Some(provider_id), 300).await?;
    let numbers: Vec<serde_json::Value> = NUMBER_FIELDS
        .iter()
        .map(|(name, label, required)| {
            json!({"name": name, "label": if *required { label.to_string() } else { format!("{label} (optional)") }, "value": form.value(name), "error": errors.by_field.get(*name)})
        })
        .collect();
    let mut all_errors = errors.list.clone();
    all_errors.extend(upload_errors);
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "portal_returns.html",
        &ctx,
        context! {
            provider_name => provider.name,
            returns => returns,
            service_options => options,
            service_id => form.service_id,
            month => form.month,
            numbers => numbers,
            errors => all_errors,
            field_errors => errors.by_field,
            saved => saved,
            columns => COLUMNS,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn portal_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let saved = Some(field(&q, "saved").to_string()).filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
    render_portal(&state, &user, &provider_id, &ReturnForm::default(), &FormErrors::new(&[]), Vec::new(), saved, StatusCode::OK).await
}

async fn portal_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<ReturnForm>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let mut errors = FormErrors::new(&[]);
    if let Some(r) = form.read(&mut errors) {
        match state.store.submit_monthly_return(&user.actor(), &r, "provider", Some(&provider_id), caremarket_store::today()).await {
            Ok(_) => return Ok(Redirect::to("/portal/returns?saved=1").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_portal(&state, &user, &provider_id, &form, &errors, Vec::new(), None, StatusCode::BAD_REQUEST).await
}

async fn portal_upload(
    user: CurrentUser,
    State(state): State<AppState>,
    multipart: crate::csrf::LateMultipart,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let multipart = crate::csrf::opened(multipart)?;
    let file = crate::capacity::read_upload(&user, multipart).await?;
    match upload(&state, &user, file, "provider", Some(&provider_id)).await? {
        Ok(n) => Ok(Redirect::to(&format!("/portal/returns?saved={n}")).into_response()),
        Err(errs) => {
            let empty = ReturnForm::default();
            render_portal(&state, &user, &provider_id, &empty, &FormErrors::new(&[]), errs, None, StatusCode::BAD_REQUEST).await
        }
    }
}
