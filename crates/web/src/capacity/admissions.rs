//! Care home returns as the NHS Capacity Tracker runs them (issue 16 item 15): homes closed to
//! admissions (recorded by officers here and by providers in the portal, one page for both),
//! and each week's return window with the homes that missed it, chased by email from a list.
//! The rules are core's `capacity::admissions`.

use super::forms::{Pairs, all, f, field, form_date, with_hint, with_options};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::paging::{PER_PAGE, Paging};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caremarket_core::Date;
use caremarket_core::access::{Permission, Role};
use caremarket_core::capacity::admissions::{
    AdmissionClosureForm, AdmissionClosureReason, NewAdmissionClosure, ReturnWindow, WindowStatus, weekday, weekday_label,
};
use caremarket_store::capacity::AdmissionClosure;
use jiff::civil::Weekday;
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The council's return window (settings key `capacity_return_window`): the weekday returns
/// are due by. Wednesday unless the council chose otherwise.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WindowSetting {
    pub(crate) closes_on: String,
}

pub(crate) async fn window_closes_on(state: &AppState) -> Weekday {
    state
        .store
        .setting("capacity_return_window")
        .await
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_str::<WindowSetting>(&s).ok())
        .and_then(|w| weekday(&w.closes_on))
        .unwrap_or(Weekday::Wednesday)
}

fn long(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// Who is looking: an officer (every home) or a provider (its own homes, in the portal).
struct Viewer {
    provider_id: Option<String>,
    base: &'static str,
    can_record: bool,
}

fn viewer(user: &CurrentUser, portal: bool) -> Result<Viewer, AppError> {
    if portal {
        user.require(Permission::ProviderPortal)?;
        let provider_id = user.user.provider_id.clone().ok_or(AppError::Forbidden)?;
        Ok(Viewer { provider_id: Some(provider_id), base: "/portal/capacity/closures", can_record: true })
    } else {
        user.require(Permission::ViewCapacity)?;
        Ok(Viewer { provider_id: None, base: "/capacity/closures", can_record: user.role().can(Permission::SubmitVacancies) })
    }
}

fn closure_json(c: &AdmissionClosure, today: Date, portal: bool) -> serde_json::Value {
    json!({
        "id": c.id, "service_id": c.service_id, "service_name": c.service_name, "provider_name": c.provider_name,
        "href": if portal { None } else { Some(format!("/services/{}", c.service_id)) },
        "reason": c.reason.label(), "note": c.note, "closed_on": long(c.closed_on), "planned": c.closed_on > today,
        "expected_reopening": c.expected_reopening.map(long),
        "overdue": c.expected_reopening.is_some_and(|d| d < today),
        "reopened_on": c.reopened_on.map(long), "recorded_by": c.recorded_by,
    })
}

fn closure_fields(form: &Pairs, homes: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    vec![
        with_options(f("select", "service_id", "Care home", field(form, "service_id")), homes),
        with_options(
            f("radios", "reason", "Why is the home closed to admissions?", field(form, "reason")),
            AdmissionClosureReason::ALL.iter().map(|r| json!({"value": r.as_str(), "text": r.label(), "hint": r.hint()})).collect(),
        ),
        with_hint(f("textarea", "note", "Note (optional)", field(form, "note")), "Do not write any resident's name"),
        with_hint(
            f("date", "closed_on", "Date the home closed (or will close) to admissions", crate::forms::date_parts(form, "closed_on")),
            "For example, 27 11 2026",
        ),
        with_hint(
            f(
                "date",
                "expected_reopening",
                "Date the home expects to admit again (optional)",
                crate::forms::date_parts(form, "expected_reopening"),
            ),
            "Leave blank if it is not known. The home stays closed until its reopening is recorded.",
        ),
    ]
}

pub(super) async fn closures(user: CurrentUser, State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let v = viewer(&user, false)?;
    render_closures(&state, &user, &v, &saved(raw.as_deref()), &vec![], &FormErrors::default(), StatusCode::OK).await
}

pub(crate) async fn portal_closures(
    user: CurrentUser,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let v = viewer(&user, true)?;
    render_closures(&state, &user, &v, &saved(raw.as_deref()), &vec![], &FormErrors::default(), StatusCode::OK).await
}

fn saved(raw: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    pairs.into_iter().find(|(k, _)| k == "saved").map(|(_, v)| v)
}

async fn render_closures(
    state: &AppState,
    user: &CurrentUser,
    v: &Viewer,
    saved: &Option<String>,
    form: &Pairs,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let today = caremarket_store::today();
    let portal = v.provider_id.is_some();
    let mine = |c: &AdmissionClosure| v.provider_id.as_deref().is_none_or(|p| p == c.provider_id);
    let open: Vec<_> = state.store.open_admission_closures().await?.into_iter().filter(|c| mine(c)).collect();
    // Reopened in the last 90 days, so that a home that reopened last week is still visible.
    let since = today.checked_sub(jiff::Span::new().days(90)).unwrap_or(today);
    let mut reopened = Vec::new();
    for s in state.store.recently_reopened_admission_closures(since).await? {
        if mine(&s) {
            reopened.push(closure_json(&s, today, portal));
        }
    }
    let banner = match saved.as_deref() {
        Some("closed") => Some("The home is recorded as closed to admissions"),
        Some("reopened") => Some("The home is recorded as open to admissions again"),
        _ => None,
    };
    let fields = if v.can_record { closure_fields(form, super::care_home_options(state, v.provider_id.as_deref()).await?) } else { vec![] };
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "capacity_closures.html",
        &ctx,
        context! {
            portal => portal, base => v.base, back => if portal { "/portal/capacity" } else { "/capacity" },
            open => open.iter().map(|c| closure_json(c, today, portal)).collect::<Vec<_>>(), reopened => reopened,
            can_record => v.can_record, fields => fields, banner => banner,
            errors => errors.list, field_errors => errors.by_field,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

pub(super) async fn closure_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let v = viewer(&user, false)?;
    submit(&state, &user, &v, form, "officer").await
}

pub(crate) async fn portal_closure_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    let v = viewer(&user, true)?;
    submit(&state, &user, &v, form, "portal").await
}

async fn submit(state: &AppState, user: &CurrentUser, v: &Viewer, form: Pairs, source: &str) -> Result<Response, AppError> {
    let today = caremarket_store::today();
    let mut errors = FormErrors::new(&["closed_on", "expected_reopening"]);
    let mut read = caremarket_core::FieldErrors::new();
    let closed_on =
        form_date(&form, "closed_on", "Date the home closed to admissions").map_err(|m| read.add("closed_on", m)).ok().flatten();
    let reopening = form_date(&form, "expected_reopening", "Date the home expects to admit again")
        .map_err(|m| read.add("expected_reopening", m))
        .ok()
        .flatten();
    let parsed = NewAdmissionClosure::parse(
        AdmissionClosureForm {
            service_id: field(&form, "service_id"),
            reason: field(&form, "reason"),
            note: field(&form, "note"),
            closed_on,
            expected_reopening: reopening,
        },
        today,
        read,
    );
    match parsed {
        Ok(c) => match state.store.record_admission_closure(&user.actor(), &c, source, v.provider_id.as_deref()).await {
            Ok(_) => return Ok(Redirect::to(&format!("{}?saved=closed", v.base)).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    render_closures(state, user, v, &None, &form, &errors, StatusCode::BAD_REQUEST).await
}

pub(super) async fn closure_reopen(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let v = viewer(&user, false)?;
    reopen(&state, &user, &v, &id).await
}

pub(crate) async fn portal_closure_reopen(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    let v = viewer(&user, true)?;
    reopen(&state, &user, &v, &id).await
}

async fn reopen(state: &AppState, user: &CurrentUser, v: &Viewer, id: &str) -> Result<Response, AppError> {
    let today = caremarket_store::today();
    let mut errors = FormErrors::default();
    match state.store.reopen_admissions(&user.actor(), id, today, today, v.provider_id.as_deref()).await {
        Ok(()) => return Ok(Redirect::to(&format!("{}?saved=reopened", v.base)).into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_closures(state, user, v, &None, &vec![], &errors, StatusCode::BAD_REQUEST).await
}

/// One home's row on the week's returns list.
#[derive(Debug, Serialize)]
struct WeekRow {
    service_id: String,
    name: String,
    provider_name: String,
    area_name: Option<String>,
    status: &'static str,
    status_class: &'static str,
    returned_on: Option<String>,
    latest_return: Option<String>,
    closed: Option<String>,
    chased: Vec<String>,
    can_chase: bool,
}

fn status_class(s: WindowStatus) -> &'static str {
    match s {
        WindowStatus::OnTime(_) => "govuk-tag--green",
        WindowStatus::Late(_) => "govuk-tag--yellow",
        WindowStatus::Due => "govuk-tag--blue",
        WindowStatus::Missed => "govuk-tag--red",
    }
}

/// The homes' standing in one week's window.
struct Week {
    window: ReturnWindow,
    rows: Vec<WeekRow>,
}

async fn week(state: &AppState, window: ReturnWindow, today: Date) -> Result<Week, AppError> {
    let homes = state.store.latest_vacancy_returns(window.week_ends.min(today)).await?;
    let dates = state.store.return_dates_in_week(&window).await?;
    let chases = state.store.return_chases(window.opens).await?;
    let closures = state.store.admission_closures_on(window.closes.min(today)).await?;
    let rows = homes
        .into_iter()
        .map(|h| {
            let status = window.status(dates.get(&h.service_id).map(Vec::as_slice).unwrap_or(&[]), today);
            let returned_on = match status {
                WindowStatus::OnTime(d) | WindowStatus::Late(d) => Some(long(d)),
                _ => None,
            };
            let chased = chases
                .get(&h.service_id)
                .map(|cs| {
                    cs.iter()
                        .map(|c| {
                            let when = c
                                .chased_at
                                .parse::<jiff::Timestamp>()
                                .map(|t| long(t.to_zoned(jiff::tz::TimeZone::UTC).date()))
                                .unwrap_or_default();
                            let how = if c.emailed > 0 {
                                caremarket_core::text::count(c.emailed, "email", None)
                            } else {
                                "no portal account to email".to_string()
                            };
                            format!("{when} by {} ({how})", c.chased_by)
                        })
                        .collect()
                })
                .unwrap_or_default();
            WeekRow {
                closed: closures.iter().find(|c| c.service_id == h.service_id).map(AdmissionClosure::describe),
                can_chase: status.needs_chasing(),
                status: status.label(),
                status_class: status_class(status),
                returned_on,
                latest_return: h.return_date.as_deref().and_then(|d| d.parse::<Date>().ok()).map(long),
                service_id: h.service_id,
                name: h.name,
                provider_name: h.provider_name,
                area_name: h.area_name,
                chased,
            }
        })
        .collect();
    Ok(Week { window, rows })
}

/// The latest window to have closed, and how many homes missed it (the officers' work queue).
pub(crate) async fn missed_latest_window(state: &AppState, today: Date) -> Result<(ReturnWindow, usize), AppError> {
    let window = ReturnWindow::latest_closed(today, window_closes_on(state).await);
    let Week { rows, .. } = week(state, window, today).await?;
    Ok((window, rows.iter().filter(|r| r.can_chase).count()))
}

/// The window to show: `?week=` (any day of the week) or the latest to have closed.
fn window_asked(pairs: &[(String, String)], closes_on: Weekday, today: Date, errors: &mut FormErrors) -> ReturnWindow {
    let latest = ReturnWindow::latest_closed(today, closes_on);
    match pairs.iter().rev().find(|(k, _)| k == "week").map(|(_, v)| v.trim()) {
        None | Some("") => latest,
        Some(s) => match s.parse::<Date>() {
            Ok(d) if d <= today => ReturnWindow::of_week(d, closes_on),
            Ok(_) => {
                errors.add_whole_form("The week must be this week or an earlier one");
                latest
            }
            Err(_) => {
                errors.add_whole_form("week: the week must be a date, for example 2026-11-23");
                latest
            }
        },
    }
}

pub(super) async fn missing_returns(
    user: CurrentUser,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    user.require(Permission::ViewCapacity)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    render_week(&state, &user, &pairs, &FormErrors::default(), StatusCode::OK).await
}

async fn render_week(
    state: &AppState,
    user: &CurrentUser,
    pairs: &[(String, String)],
    form_errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let today = caremarket_store::today();
    let closes_on = window_closes_on(state).await;
    let mut errors = FormErrors::default();
    for e in &form_errors.list {
        errors.list.push(e.clone());
    }
    let window = window_asked(pairs, closes_on, today, &mut errors);
    let show = match pairs.iter().rev().find(|(k, _)| k == "show").map(|(_, v)| v.as_str()) {
        Some("all") => "all",
        _ => "missed",
    };
    let Week { window, rows } = week(state, window, today).await?;
    let count = |label: &str| rows.iter().filter(|r| r.status == label).count();
    let counts = context! {
        on_time => count(WindowStatus::OnTime(today).label()), late => count(WindowStatus::Late(today).label()),
        due => count(WindowStatus::Due.label()), missed => count(WindowStatus::Missed.label()), homes => rows.len(),
        closed => rows.iter().filter(|r| r.closed.is_some()).count(),
    };
    let shown: Vec<WeekRow> = rows.into_iter().filter(|r| show == "all" || r.status == WindowStatus::Missed.label()).collect();
    let kept: Vec<(String, String)> = vec![("week".into(), window.opens.to_string()), ("show".into(), show.to_string())]
        .into_iter()
        .chain(pairs.iter().filter(|(k, _)| k == "page").cloned())
        .collect();
    let paging = Paging::new("/capacity/returns/missing", &kept, shown.len(), PER_PAGE)?;
    let shown = paging.slice(shown);
    let week_href = |w: ReturnWindow| format!("/capacity/returns/missing?week={}&amp;show={show}", w.opens);
    let next = window.next();
    let saved = pairs.iter().rev().find(|(k, _)| k == "chased").and_then(|(_, v)| chased_banner(v));
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "capacity_missing_returns.html",
        &ctx,
        context! {
            rows => shown, paging => paging.context(), counts => counts, show => show,
            week_label => long(window.opens), closes_label => long(window.closes), ends_label => long(window.week_ends),
            week => window.opens.to_string(), window_open => today <= window.closes && today >= window.opens,
            closes_day => weekday_label(closes_on),
            prev_href => week_href(window.previous()), next_href => (next.opens <= today).then(|| week_href(next)),
            all_href => format!("/capacity/returns/missing?week={}&amp;show=all", window.opens),
            missed_href => format!("/capacity/returns/missing?week={}&amp;show=missed", window.opens),
            can_chase => user.role().can(Permission::SubmitVacancies),
            can_set_window => user.role().can(Permission::EditCouncilFields),
            chased => saved,
            errors => errors.list, field_errors => form_errors.by_field,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

/// Email the providers of the chosen homes that missed the window, and record each chase.
pub(super) async fn chase_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::SubmitVacancies)?;
    let today = caremarket_store::today();
    let closes_on = window_closes_on(&state).await;
    let mut errors = FormErrors::default();
    let window = window_asked(&form, closes_on, today, &mut errors);
    let chosen: Vec<String> = all(&form, "service_id").into_iter().map(str::to_string).collect();
    let back: Vec<(String, String)> = vec![("week".into(), window.opens.to_string())];
    if !errors.is_empty() {
        return render_week(&state, &user, &back, &errors, StatusCode::BAD_REQUEST).await;
    }
    if chosen.is_empty() {
        errors.add("service_id", "Select the homes to chase");
        return render_week(&state, &user, &back, &errors, StatusCode::BAD_REQUEST).await;
    }
    let note = field(&form, "note").trim();
    if let Err(e) = caremarket_core::limits::check_text("note", "Message", note, caremarket_core::limits::NOTES_CHARS) {
        errors.add(&e.field, &e.message);
        return render_week(&state, &user, &back, &errors, StatusCode::BAD_REQUEST).await;
    }
    // Only homes that missed this window are chased: a home that has since returned, or one
    // not on the list, is left alone (the list may be older than the click).
    let Week { rows, .. } = week(&state, window, today).await?;
    let users = state.store.users().await?;
    let council = state.store.setting("council_name").await?.unwrap_or_else(|| "The council".to_string());
    let (mut homes, mut emails, mut no_account) = (0, 0, 0);
    for row in rows.iter().filter(|r| r.can_chase && chosen.contains(&r.service_id)) {
        let provider_id = state.store.service(&row.service_id).await?.provider_id;
        let to: Vec<&str> = users
            .iter()
            .filter(|u| u.active && u.role == Role::Provider && u.provider_id.as_deref() == Some(provider_id.as_str()))
            .map(|u| u.email.as_str())
            .collect();
        let mut sent = 0;
        for email in &to {
            let body = chase_mail(&council, &row.name, window, note);
            match state.mailer.send(email, &format!("Vacancy return missing: {}", row.name), body).await {
                Ok(()) => sent += 1,
                Err(e) => tracing::error!(error = %e, "a vacancy return reminder could not be sent"),
            }
        }
        if sent == 0 {
            no_account += 1;
        }
        state.store.record_return_chase(&user.actor(), &row.service_id, window.opens, sent, Some(note)).await?;
        homes += 1;
        emails += sent;
    }
    Ok(Redirect::to(&format!("/capacity/returns/missing?week={}&show=missed&chased={homes}-{emails}-{no_account}", window.opens))
        .into_response())
}

/// The banner after chasing (`chased=homes-emails-without_account`).
fn chased_banner(v: &str) -> Option<String> {
    use caremarket_core::text::count;
    let n: Vec<i64> = v.split('-').map(|p| p.parse::<i64>()).collect::<Result<_, _>>().ok()?;
    let [homes, emails, none] = n[..] else { return None };
    let mut text = format!("{} chased: {} sent", count(homes, "home", None), count(emails, "email", None));
    if none > 0 {
        text.push_str(&format!(
            ". {} no provider portal account to email: phone them",
            if none == 1 { "1 home has".to_string() } else { format!("{none} homes have") }
        ));
    }
    Some(text)
}

fn chase_mail(council: &str, home: &str, window: ReturnWindow, note: &str) -> String {
    let mut body = format!(
        "{council} has not received a vacancy return for {home} for the week starting {}.\n\n\
         Returns are due by the end of {} each week. Please submit it in the provider portal \
         (Capacity, then Submit a vacancy return), or tell us there if the home is closed to admissions.\n",
        long(window.opens),
        long(window.closes),
    );
    if !note.is_empty() {
        body.push_str(&format!("\nA message from the council:\n{note}\n"));
    }
    body
}
