//! Block-contracted beds (Somewhere Else to Assess, emergency and planned respite).

use super::care_home_options;
use super::forms::{self, FormErrors, FormPage, Pairs, f, field, form_date, int, opt, render_form, with_hint, with_options};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::capacity::vacancies::BlockBedKind;

fn block_fields(form: &Pairs, homes: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    vec![
        with_options(f("select", "service_id", "Care home", field(form, "service_id")), homes),
        with_options(
            f("radios", "kind", "Kind of block contract", field(form, "kind")),
            BlockBedKind::ALL.iter().map(|k| opt(k.as_str(), k.label())).collect(),
        ),
        f("numeric", "beds", "Beds", field(form, "beds")),
        f("date", "starts_on", "Start date", forms::date_parts(form, "starts_on")),
        with_hint(
            f("date", "ends_on", "End date (optional)", forms::date_parts(form, "ends_on")),
            "Leave blank if the contract has no end date yet",
        ),
    ]
}

fn block_page(fields: Vec<serde_json::Value>) -> FormPage<'static> {
    FormPage {
        title: "Record block-contracted beds",
        caption: Some("Care home capacity"),
        intro: Some("Somewhere Else to Assess, emergency and planned respite beds are counted apart from the home's other beds.".into()),
        action: "/capacity/block-beds/new",
        back: "/capacity",
        button: "Save block beds",
        fields,
        multipart: false,
    }
}

pub(super) async fn block_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let fields = block_fields(&vec![], care_home_options(&state, None).await?);
    render_form(&state, &user, block_page(fields), &FormErrors::default(), StatusCode::OK).await
}

pub(super) async fn block_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let mut errors = FormErrors::new(&["starts_on", "ends_on"]);
    let kind = BlockBedKind::parse(field(&form, "kind"));
    if kind.is_none() {
        errors.add("kind", "Choose the kind of block contract");
    }
    let beds = errors.check("beds", int(&form, "beds", "Beds", None));
    let starts = errors.date(&form, "starts_on", "Start date");
    let ends = errors.check("ends_on", form_date(&form, "ends_on", "End date")).flatten();
    if errors.is_empty()
        && let (Some(kind), Some(beds), Some(starts)) = (kind, beds, starts)
    {
        match state.store.add_block_beds(&user.actor(), field(&form, "service_id"), kind, beds, starts, ends).await {
            Ok(_) => return Ok(Redirect::to("/capacity?saved=block").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    let fields = block_fields(&form, care_home_options(&state, None).await?);
    render_form(&state, &user, block_page(fields), &errors, StatusCode::BAD_REQUEST).await
}
