//! Vacancy returns: typed by an officer, or uploaded as CSV (ours or the NHS Capacity
//! Tracker's export; the file is read by `caremarket_ingest::uploads::capacity`).

use super::care_home_options;
use super::forms::{self, FormErrors, FormPage, Pairs, f, field, int, render_form, with_hint, with_options};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::capacity::vacancies::{BedType, VacancyLine};
use caremarket_core::register::Specialism;
use caremarket_ingest::uploads::capacity::{Home, HomeRef, read_vacancy_csv};
use caremarket_store::capacity::NewVacancyReturn;

pub(crate) fn return_fields(form: &Pairs, homes: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    let mut v = vec![
        with_options(f("select", "service_id", "Care home", field(form, "service_id")), homes),
        with_hint(
            f("date", "return_date", "Date of the return", forms::date_parts(form, "return_date")),
            "The day the beds were counted, for example 8 11 2024",
        ),
    ];
    for b in BedType::ALL {
        v.push(with_hint(
            f("heading", &format!("{}_heading", b.as_str()), b.label(), ""),
            "Leave both blank if the home has no beds of this type.",
        ));
        v.push(f(
            "numeric",
            &format!("{}_occupied", b.as_str()),
            &format!("{} beds occupied", b.label()),
            field(form, &format!("{}_occupied", b.as_str())),
        ));
        v.push(f(
            "numeric",
            &format!("{}_vacant", b.as_str()),
            &format!("{} vacancies", b.label()),
            field(form, &format!("{}_vacant", b.as_str())),
        ));
    }
    v
}

/// Read the return's lines from the form; a bed type left blank is not reported.
pub(crate) fn return_lines(form: &Pairs, errors: &mut FormErrors) -> Vec<VacancyLine> {
    let mut lines = Vec::new();
    for b in BedType::ALL {
        let (on, vn) = (format!("{}_occupied", b.as_str()), format!("{}_vacant", b.as_str()));
        if field(form, &on).trim().is_empty() && field(form, &vn).trim().is_empty() {
            continue;
        }
        let o = errors.check(&on, int(form, &on, &format!("{} beds occupied", b.label()), Some(0)));
        let v = errors.check(&vn, int(form, &vn, &format!("{} vacancies", b.label()), Some(0)));
        if let (Some(o), Some(v)) = (o, v) {
            lines.push(VacancyLine { bed_type: b, occupied: o, vacant: v });
        }
    }
    lines
}

fn return_page(fields: Vec<serde_json::Value>) -> FormPage<'static> {
    FormPage {
        title: "Record a vacancy return",
        caption: Some("Care home capacity"),
        intro: Some("Beds occupied and vacant by type on the day. Do not include block-contracted beds' occupants' details.".into()),
        action: "/capacity/returns/new",
        back: "/capacity",
        button: "Save return",
        fields,
        multipart: false,
    }
}

pub(super) async fn return_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let form: Pairs = vec![];
    let fields = return_fields(&form, care_home_options(&state, None).await?);
    render_form(&state, &user, return_page(fields), &FormErrors::default(), StatusCode::OK).await
}

pub(super) async fn return_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let mut errors = FormErrors::new(&["return_date"]).with_whole_form_link("dementia_nursing_occupied");
    let today = caremarket_store::today();
    let service_id = field(&form, "service_id").to_string();
    if service_id.is_empty() {
        errors.add("service_id", "Choose a care home");
    }
    let date = errors.date(&form, "return_date", "Date of the return");
    let lines = return_lines(&form, &mut errors);
    if errors.is_empty()
        && let Some(d) = date
    {
        match state
            .store
            .submit_vacancy_return(&user.actor(), &NewVacancyReturn { service_id, return_date: d, lines, source: "officer" }, today)
            .await
        {
            Ok(_) => return Ok(Redirect::to("/capacity?saved=return").into_response()),
            Err(e) => forms::add_return_store_error(&mut errors, e)?,
        }
    }
    let fields = return_fields(&form, care_home_options(&state, None).await?);
    render_form(&state, &user, return_page(fields), &errors, StatusCode::BAD_REQUEST).await
}

// ----- CSV upload (ours, or the NHS Capacity Tracker's export) -----

fn upload_page() -> FormPage<'static> {
    FormPage {
        title: "Upload vacancy returns",
        caption: Some("Care home capacity"),
        intro: Some("A CSV with a row per home (and bed type). Columns: cqc_location_id (or service_id), date, bed_type, occupied, vacant. An NHS Capacity Tracker care home export is accepted as it is: cqcid, usedbeds, declaredvacancies and lastupdatedbst are read, and its one total per home is counted as the home's main bed type (nursing or residential, dementia if the home lists it). Nothing is saved unless every row is valid.".into()),
        action: "/capacity/returns/upload",
        back: "/capacity",
        button: "Upload returns",
        fields: vec![f("file", "file", "CSV file", "")],
        multipart: true,
    }
}

pub(super) async fn upload_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    render_form(&state, &user, upload_page(), &FormErrors::default(), StatusCode::OK).await
}

/// Read and check every row (`caremarket_ingest::uploads::capacity`), looking up the homes the
/// rows name; returns the returns to save or the row-numbered problems.
pub(crate) async fn parse_returns_csv(
    state: &AppState,
    bytes: &[u8],
    today: Date,
    only_provider: Option<&str>,
) -> Result<Result<Vec<NewVacancyReturn>, Vec<String>>, AppError> {
    let csv = match read_vacancy_csv(bytes) {
        Ok(csv) => csv,
        Err(problems) => return Ok(Err(problems)),
    };
    let mut homes: Vec<(HomeRef, Home)> = Vec::new();
    for r in csv.homes() {
        let service = match &r {
            HomeRef::ServiceId(id) => state.store.service(id).await.ok(),
            HomeRef::CqcLocationId(loc) => state.store.service_by_location_id(loc).await?,
        };
        if let Some(s) = service {
            let dementia = s.specialisms.contains(&Specialism::Dementia);
            homes.push((r, Home { id: s.id, provider_id: s.provider_id, name: s.name, kind: s.kind, beds: s.beds, dementia }));
        }
    }
    let find = |r: &HomeRef| homes.iter().find(|(k, _)| k == r).map(|(_, h)| h);
    Ok(csv.check(find, only_provider, today).map(|returns| {
        returns
            .into_iter()
            .map(|r| NewVacancyReturn { service_id: r.service_id, return_date: r.return_date, lines: r.lines, source: "csv" })
            .collect()
    }))
}

pub(crate) async fn read_upload(user: &CurrentUser, mut multipart: Multipart) -> Result<Option<Vec<u8>>, AppError> {
    let mut token = None;
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))? {
        match field.name() {
            Some("csrf_token") => token = Some(field.text().await.map_err(|e| AppError::BadRequest(e.to_string()))?),
            Some("file") => {
                let b = field.bytes().await.map_err(|e| AppError::BadRequest(e.to_string()))?;
                if !b.is_empty() {
                    file = Some(b.to_vec());
                }
            }
            _ => {}
        }
    }
    crate::csrf::verify_token(&user.session, token.as_deref()).await?;
    Ok(file)
}

pub(super) async fn upload_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    multipart: crate::csrf::LateMultipart,
) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let multipart = crate::csrf::opened(multipart)?;
    let file = read_upload(&user, multipart).await?;
    let mut errors = FormErrors::default();
    match file {
        None => errors.add("file", "Select a CSV file"),
        Some(bytes) => match parse_returns_csv(&state, &bytes, caremarket_store::today(), None).await? {
            Ok(returns) => {
                for r in &returns {
                    state.store.submit_vacancy_return(&user.actor(), r, caremarket_store::today()).await?;
                }
                return Ok(Redirect::to(&format!("/capacity?saved=upload-{}", returns.len())).into_response());
            }
            Err(problems) => {
                for p in problems.iter().take(50) {
                    errors.list.push(crate::render::field_error("file", p));
                }
                errors.by_field.insert(
                    "file".into(),
                    format!(
                        "{} found: nothing was saved",
                        caremarket_core::text::count(problems.len() as i64, "problem was", Some("problems were"))
                    ),
                );
            }
        },
    }
    render_form(&state, &user, upload_page(), &errors, StatusCode::BAD_REQUEST).await
}
