//! The PA register (domain C6): a public form where personal assistants and individual employers
//! register (a pending entry, throttled per address and capped per day), officer approval,
//! search ranked by fit with reasons, introductions recorded and counted, and withdrawal.
//!
//! Search results show the outward code (postcode district) only: the register never holds a
//! full address, so no page can show one.

use super::{PageErrors, all, new_errors, options, page};
use crate::AppState;
use crate::auth::{CurrentUser, USER_KEY, session_context};
use crate::csrf::CsrfForm;
use crate::error::{AppError, ErrorPage};
use crate::forms::{FormErrors, date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::label_of;
use caremarket_core::direct_payments::pa_register::{
    self, DAYS, DBS_STATUSES, GENDER_PREFERENCES, GENDERS, LANGUAGES, PARTS, PaInput, PaKind, PaStatus, SKILLS,
};
use caremarket_store::Actor;
use caremarket_store::direct_payments::PaEntry;
use minijinja::{Value, context};
use serde::Deserialize;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_sessions::Session;

/// Public registrations accepted a day, unless the setting `pa_public_daily_cap` says otherwise.
const DEFAULT_DAILY_CAP: i64 = 100;

pub fn routes() -> Router<AppState> {
    // Per address: a burst of 5, then one every 30 seconds.
    let throttled = GovernorConfigBuilder::default().per_second(30).burst_size(5).finish().map(|config| {
        crate::auth::prune_periodically(config.limiter(), |l| {
            l.retain_recent();
            l.shrink_to_fit();
        });
        GovernorLayer::new(config).error_handler(|e| match e {
            tower_governor::GovernorError::TooManyRequests { .. } => {
                too_many("You have sent the registration form too many times. Wait a few minutes and try again.")
            }
            other => AppError::Internal(format!("registration throttle: {other}")).into_response(),
        })
    });
    let post_route = match throttled {
        Some(layer) => post(join).layer(layer),
        None => post(join),
    };
    Router::new()
        .route("/pa-register", get(home))
        .route("/pa-register/join", get(join_form).merge(post_route))
        .route("/pa-register/join/done", get(join_done))
        .route("/pa-register/search", get(search))
        .route("/pa-register/introductions", post(introduce))
        .route("/pa-register/{id}", get(show))
        .route("/pa-register/{id}/approve", post(approve))
        .route("/pa-register/{id}/withdraw", post(withdraw))
}

fn too_many(message: &str) -> Response {
    let mut res = (StatusCode::TOO_MANY_REQUESTS, [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], "").into_response();
    res.extensions_mut().insert(ErrorPage { title: "Too many registrations".into(), message: message.into() });
    res
}

fn slot_grid(selected: &[String]) -> Vec<Value> {
    DAYS.iter()
        .map(|(d, dl)| {
            let cells: Vec<Value> = PARTS
                .iter()
                .map(|(p, pl)| {
                    let code = format!("{d}_{p}");
                    context! { code => code.clone(), label => format!("{dl} {}", pl.to_lowercase()), checked => selected.contains(&code) }
                })
                .collect();
            context! { day => *dl, cells => cells }
        })
        .collect()
}

fn entry_view(e: &PaEntry) -> Value {
    context! {
        id => e.id, kind => e.kind, kind_label => e.kind.label(), status => e.status,
        display_name => e.display_name, email => e.email, phone => e.phone, outward_code => e.outward_code, hours_per_week => e.hours_per_week,
        slots => e.slots.iter().map(|s| pa_register::slot_label(s)).collect::<Vec<_>>(),
        skills => e.skills.iter().map(|s| label_of(&SKILLS, s)).collect::<Vec<_>>(),
        languages => e.languages.iter().map(|s| label_of(&LANGUAGES, s)).collect::<Vec<_>>(),
        gender => e.gender.as_deref().map(|g| label_of(&GENDERS, g)), gender_preference => e.gender_preference.as_deref().map(|g| label_of(&GENDER_PREFERENCES, g)),
        driving => e.driving, dbs_status => e.dbs_status.as_deref().map(|s| label_of(&DBS_STATUSES, s)), dbs_date => e.dbs_date, about => e.about,
        source => e.source, created_at => e.created_at.get(..10).unwrap_or(""), withdrawn_reason => e.withdrawn_reason,
    }
}

// ----- officer pages -----

async fn home(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManagePaRegister)?;
    let s = &state.store;
    let pending: Vec<Value> = s.pa_entries(None, PaStatus::Pending).await?.iter().map(entry_view).collect();
    let employers: Vec<Value> = s.pa_entries(Some(PaKind::Employer), PaStatus::Approved).await?.iter().map(entry_view).collect();
    let pas: Vec<Value> = s.pa_entries(Some(PaKind::Pa), PaStatus::Approved).await?.iter().map(entry_view).collect();
    page(
        &state,
        &user,
        "pa_register.html",
        StatusCode::OK,
        context! { counts => s.pa_counts(caremarket_store::today()).await?, pending => pending, employers => employers, pas => pas },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

async fn show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ManagePaRegister)?;
    let e = state.store.pa_entry(&id).await?;
    let matches =
        if e.kind == PaKind::Employer && e.status == PaStatus::Approved { results(&state, &e.profile()).await? } else { Vec::new() };
    let intros: Vec<Value> = state
        .store
        .introductions_for(&id)
        .await?
        .into_iter()
        .map(|i| context! { on => i.introduced_on, other_id => i.other_id, name => i.display_name, score => i.score })
        .collect();
    page(
        &state,
        &user,
        "pa_show.html",
        StatusCode::OK,
        context! { e => entry_view(&e), matches => matches, intros => intros, banner => q.done },
    )
    .await
}

async fn results(state: &AppState, wanted: &pa_register::Profile) -> Result<Vec<Value>, AppError> {
    Ok(state
        .store
        .pa_search(wanted)
        .await?
        .into_iter()
        .take(50)
        .map(|(p, m)| {
            // Only what a match needs: name, district, DBS, skills. Never an address or contact
            // details in the list; those are on the entry's own page for officers.
            context! {
                id => p.id, display_name => p.display_name, outward_code => p.outward_code, score => m.score, band => m.distance_band,
                reasons => m.reasons, gaps => m.gaps, dbs_status => p.dbs_status.as_deref().map(|s| label_of(&DBS_STATUSES, s)), hours => p.hours_per_week,
            }
        })
        .collect())
}

/// Search on criteria typed by an officer (for an employer not on the register, or to explore).
async fn search(
    user: CurrentUser,
    State(state): State<AppState>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, AppError> {
    user.require(Permission::ManagePaRegister)?;
    let q: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let mut errors = new_errors();
    let outward = field(&q, "outward_code").trim().to_uppercase();
    let mut found = None;
    if !q.is_empty()
        && let Some(outward) = errors.check_field(pa_register::search_outward(&outward))
    {
        let wanted = PaInput { outward_code: outward, ..input(&q) }.profile();
        found = Some(results(&state, &wanted).await?);
    }
    let sel = |n: &str| all(&q, n).into_iter().map(str::to_string).collect::<Vec<_>>();
    page(
        &state,
        &user,
        "pa_search.html",
        if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST },
        context! {
            errors => errors.list, field_errors => errors.by_field, results => found, outward_code => outward,
            grid => slot_grid(&sel("slots")), skills => sel("skills"), languages => sel("languages"), gender_preference => field(&q, "gender_preference"), driving => field(&q, "driving"),
            skill_options => options(&SKILLS, None), language_options => options(&LANGUAGES, None), pref_options => options(&GENDER_PREFERENCES, None),
        },
    )
    .await
}

/// A registration or search form (checkbox groups repeat their field).
fn input(form: &[(String, String)]) -> PaInput {
    let list = |n: &str| all(form, n).into_iter().map(str::to_string).collect();
    let f = |n: &str| field(form, n).to_string();
    PaInput {
        kind: f("kind"),
        display_name: f("display_name"),
        email: f("email"),
        phone: f("phone"),
        outward_code: f("outward_code"),
        hours_per_week: f("hours_per_week"),
        slots: list("slots"),
        skills: list("skills"),
        languages: list("languages"),
        gender: f("gender"),
        gender_preference: f("gender_preference"),
        driving: f("driving"),
        dbs_status: f("dbs_status"),
        dbs_date: None,
        about: f("about"),
    }
}

async fn approve(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_f): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManagePaRegister)?;
    state.store.approve_pa(&user.actor(), &id).await?;
    Ok(Redirect::to(&format!("/pa-register/{id}?done=approved")).into_response())
}

/// The withdrawal form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WithdrawForm {
    reason: String,
}

async fn withdraw(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<WithdrawForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManagePaRegister)?;
    state.store.withdraw_pa(&user.actor(), &id, &f.reason).await?;
    Ok(Redirect::to(&format!("/pa-register/{id}?done=withdrawn")).into_response())
}

/// The form recording an introduction, on an employer's page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct IntroductionForm {
    employer_id: String,
    pa_id: String,
}

async fn introduce(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(f): CsrfForm<IntroductionForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManagePaRegister)?;
    state.store.record_introduction(&user.actor(), &f.employer_id, &f.pa_id, caremarket_store::today()).await?;
    Ok(Redirect::to(&format!("/pa-register/{}?done=introduced", f.employer_id)).into_response())
}

// ----- the public registration form -----

async fn render_join(
    state: &AppState,
    session: &Session,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let base = session_context(state, session).await?;
    let sel = |n: &str| all(form, n).into_iter().map(str::to_string).collect::<Vec<_>>();
    let officer = base.current_user.as_ref().is_some_and(|u| u.role.can(Permission::ManagePaRegister));
    let html = state.renderer.render(
        "pa_join.html",
        &base,
        context! {
            errors => errors.list, field_errors => errors.by_field, officer => officer,
            kind => field(form, "kind"), display_name => field(form, "display_name"), email => field(form, "email"), phone => field(form, "phone"),
            outward_code => field(form, "outward_code"), hours_per_week => field(form, "hours_per_week"), grid => slot_grid(&sel("slots")),
            skills => sel("skills"), languages => sel("languages"), gender => field(form, "gender"), gender_preference => field(form, "gender_preference"),
            driving => field(form, "driving"), dbs_status => field(form, "dbs_status"), dbs_date => date_parts(form, "dbs_date"), about => field(form, "about"),
            skill_options => options(&SKILLS, None), language_options => options(&LANGUAGES, None), gender_options => options(&GENDERS, None),
            pref_options => options(&GENDER_PREFERENCES, None), dbs_options => options(&DBS_STATUSES, Some("Choose")),
            kind_options => options(&[("pa", "I am a personal assistant (PA) looking for work"), ("employer", "I employ, or want to employ, a PA with my direct payment")], None),
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn join_form(session: Session, State(state): State<AppState>) -> Result<Response, AppError> {
    render_join(&state, &session, &[], &new_errors(), StatusCode::OK).await
}

async fn join_done(session: Session, State(state): State<AppState>) -> Result<Response, AppError> {
    let base = session_context(&state, &session).await?;
    Ok(Html(state.renderer.render("pa_join_done.html", &base, context! {})?).into_response())
}

async fn join(
    session: Session,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    // Signed in as an officer: registering on someone's behalf, approved at once.
    let signed_in: Option<String> = session.get(USER_KEY).await?;
    let officer = match signed_in {
        Some(id) => state.store.user(&id).await.ok().filter(|u| u.active && u.role.can(Permission::ManagePaRegister)),
        None => None,
    };
    if officer.is_none() {
        let cap = state.store.setting("pa_public_daily_cap").await?.and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_DAILY_CAP);
        if state.store.public_pa_registrations_on(caremarket_store::today()).await? >= cap {
            return Ok(too_many(
                "The register has had as many registrations as it can take today. Try again tomorrow, or contact the Direct Payment Support Service.",
            ));
        }
    }
    let mut errors = new_errors();
    let mut read = PageErrors::default();
    let dbs_date = read.check(form_date(&form, "dbs_date", "DBS check date").map_err(|m| caremarket_core::FieldError::new("dbs_date", m)));
    let (actor, source) = match &officer {
        Some(u) => (Actor::user(&u.id, &u.email), "officer"),
        None => (Actor::system("PA register public form"), "public"),
    };
    match (PaInput { dbs_date: dbs_date.flatten(), ..input(&form) }).parse(source, caremarket_store::today()) {
        Ok((entry, _)) if read.is_empty() => match state.store.register_pa(&actor, &entry, source).await {
            Ok(id) if officer.is_some() => return Ok(Redirect::to(&format!("/pa-register/{id}?done=registered")).into_response()),
            Ok(_) => return Ok(Redirect::to("/pa-register/join/done").into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Ok(_) => read.merge_into(&mut errors, None),
        Err(e) => read.merge_into(&mut errors, Some(e)),
    }
    render_join(&state, &session, &form, &errors, StatusCode::BAD_REQUEST).await
}
