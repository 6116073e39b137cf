//! The PA register (domain C6): a public form where personal assistants and individual employers
//! register (an entry that counts once its email address is confirmed by an emailed link,
//! throttled per address and capped per address, email domain and day), withdrawal by the
//! registrant through an emailed link, officer approval,
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
use caremarket_core::direct_payments::pa_register::{CapReached, PublicCaps, email_domain};
use caremarket_store::Actor;
use caremarket_store::direct_payments::{Confirmation, EmailLink, LinkState, PaEntry, PublicRegistration};
use minijinja::{Value, context};
use serde::Deserialize;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_sessions::Session;

/// How long a confirmation or withdrawal link works, unless the setting `pa_link_hours` says.
const LINK_HOURS: i64 = 48;

async fn link_hours(state: &AppState) -> Result<i64, AppError> {
    Ok(state
        .store
        .setting("pa_link_hours")
        .await?
        .and_then(|s| s.trim().parse().ok())
        .filter(|h: &i64| (0..=24 * 30).contains(h))
        .unwrap_or(LINK_HOURS))
}

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
        .route("/pa-register/confirm", get(confirm_page).post(confirm))
        .route("/pa-register/leave", get(leave_form).post(leave_request))
        .route("/pa-register/leave/sent", get(leave_sent))
        .route("/pa-register/leave/confirm", get(leave_page).post(leave))
        .route("/pa-register/search", get(search))
        .route("/pa-register/checks", get(super::pa_checks::checks_due))
        .route("/pa-register/introductions", post(introduce))
        .route("/pa-register/{id}", get(show))
        .route("/pa-register/{id}/checks", get(super::pa_checks::checks_form).post(super::pa_checks::save_checks))
        .route("/pa-register/{id}/approve", post(approve))
        .route("/pa-register/{id}/withdraw", post(withdraw))
}

fn too_many(message: &str) -> Response {
    refusal(StatusCode::TOO_MANY_REQUESTS, "Too many registrations", message)
}

/// A GOV.UK error page with our own title and words.
fn refusal(status: StatusCode, title: &str, message: &str) -> Response {
    let mut res = (status, [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], "").into_response();
    res.extensions_mut().insert(ErrorPage { title: title.into(), message: message.into() });
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
    render_show(&state, &user, &id, q.done.as_deref(), &new_errors(), StatusCode::OK).await
}

/// The notification banner after a change made from the entry's page.
fn banner(done: Option<&str>) -> Option<String> {
    done.map(|d| match d {
        "checks" => "Checks saved".to_string(),
        other => format!("Entry {other}"),
    })
}

async fn render_show(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    done: Option<&str>,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let e = state.store.pa_entry(id).await?;
    let matches =
        if e.kind == PaKind::Employer && e.status == PaStatus::Approved { results(state, &e.profile()).await? } else { Vec::new() };
    // From a PA's own page an officer introduces them to an approved employer.
    let employers: Vec<Value> = if e.kind == PaKind::Pa && e.status == PaStatus::Approved {
        state
            .store
            .pa_entries(Some(PaKind::Employer), PaStatus::Approved)
            .await?
            .into_iter()
            .map(|m| context! { value => m.id, text => format!("{} ({})", m.display_name, m.outward_code) })
            .collect()
    } else {
        Vec::new()
    };
    let intros: Vec<Value> = state
        .store
        .introductions_for(id)
        .await?
        .into_iter()
        .map(|i| context! { on => i.introduced_on, other_id => i.other_id, name => i.display_name, score => i.score })
        .collect();
    let checks = super::pa_checks::checks_section(state, &e).await?;
    page(
        state,
        user,
        "pa_show.html",
        status,
        context! {
            e => entry_view(&e), matches => matches, intros => intros, banner => banner(done), employers => employers, checks => checks,
            errors => errors.list, field_errors => errors.by_field,
        },
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
    let mut errors = new_errors().with_whole_form_link("checks");
    match state.store.approve_pa(&user.actor(), &id).await {
        Ok(()) => Ok(Redirect::to(&format!("/pa-register/{id}?done=approved")).into_response()),
        // Refused (checks missing, or not pending): the entry's page with the reason.
        Err(e) => {
            errors.add_store(e)?;
            render_show(&state, &user, &id, None, &errors, StatusCode::BAD_REQUEST).await
        }
    }
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
    /// "pa" when sent from the PA's own page, which the officer goes back to.
    #[serde(default)]
    from: String,
}

async fn introduce(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(f): CsrfForm<IntroductionForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManagePaRegister)?;
    if f.employer_id.trim().is_empty() {
        return Err(AppError::BadRequest("employer_id: choose the employer to introduce this PA to".into()));
    }
    state.store.record_introduction(&user.actor(), &f.employer_id, &f.pa_id, caremarket_store::today()).await?;
    let back = if f.from == "pa" { &f.pa_id } else { &f.employer_id };
    Ok(Redirect::to(&format!("/pa-register/{back}?done=introduced")).into_response())
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
    client: ClientKey,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    // Signed in as an officer: registering on someone's behalf, approved at once.
    let signed_in: Option<String> = session.get(USER_KEY).await?;
    let officer = match signed_in {
        Some(id) => state.store.user(&id).await.ok().filter(|u| u.active && u.role.can(Permission::ManagePaRegister)),
        None => None,
    };
    let caps = public_caps(&state).await?;
    if officer.is_none() && state.store.public_pa_registrations_on(caremarket_store::today()).await? >= caps.per_day {
        return Ok(cap_refusal(CapReached::Day, ""));
    }
    let mut errors = new_errors();
    let mut read = PageErrors::default();
    let dbs_date = read.check(form_date(&form, "dbs_date", "DBS check date").map_err(|m| caremarket_core::FieldError::new("dbs_date", m)));
    let (actor, source) = match &officer {
        Some(u) => (Actor::user(&u.id, &u.email), "officer"),
        None => (Actor::system("PA register public form"), "public"),
    };
    match (PaInput { dbs_date: dbs_date.flatten(), ..input(&form) }).parse(source, caremarket_store::today()) {
        Ok((entry, _)) if read.is_empty() && officer.is_some() => match state.store.register_pa(&actor, &entry, source).await {
            Ok(id) => return Ok(Redirect::to(&format!("/pa-register/{id}?done=registered")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Ok((entry, _)) if read.is_empty() => {
            let hours = link_hours(&state).await?;
            let (token, link) = new_link(hours);
            match state.store.register_pa_public(&entry, &client.0, &caps, &link).await {
                Ok(PublicRegistration::Registered { id }) => {
                    let to = entry.email.trim().to_lowercase();
                    if let Err(e) = state
                        .mailer
                        .send(
                            &to,
                            "Confirm your email address for the PA register",
                            confirm_mail(&state, &entry.display_name, &token, hours),
                        )
                        .await
                    {
                        tracing::error!(error = %e, "the PA register confirmation email could not be sent");
                        state.store.discard_unconfirmed_pa(&id).await?;
                        return Ok(refusal(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "Your registration could not be sent",
                            "We could not send the email that confirms your registration, so nothing has been kept. Try again later.",
                        ));
                    }
                    return Ok(Redirect::to("/pa-register/join/done").into_response());
                }
                Ok(PublicRegistration::AlreadyRegistered) => return Ok(Redirect::to("/pa-register/join/done").into_response()),
                Ok(PublicRegistration::Refused(cap)) => return Ok(cap_refusal(cap, &email_domain(&entry.email))),
                Err(e) => errors.add_store(e)?,
            }
        }
        Ok(_) => read.merge_into(&mut errors, None),
        Err(e) => read.merge_into(&mut errors, Some(e)),
    }
    render_join(&state, &session, &form, &errors, StatusCode::BAD_REQUEST).await
}

// ----- confirmation and withdrawal by emailed link (issue 17 item 10) -----

/// The sender's network address as the per-address cap counts it: IPv4 whole, IPv6 by its /64
/// (one household or phone is given a whole /64), hashed so the database never holds it.
pub(crate) struct ClientKey(pub String);

impl axum::extract::FromRequestParts<AppState> for ClientKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        use sha2::Digest;
        let ip = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
        let network = match ip.map(|ip| ip.to_canonical()) {
            Some(std::net::IpAddr::V4(v4)) => v4.to_string(),
            Some(std::net::IpAddr::V6(v6)) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            None => "unknown".into(),
        };
        Ok(ClientKey(hex::encode(&sha2::Sha256::digest(format!("pa-register client {network}").as_bytes())[..16])))
    }
}

/// The caps, from the settings `pa_public_daily_cap`, `pa_public_address_cap` and
/// `pa_public_domain_cap` where an administrator has set them.
async fn public_caps(state: &AppState) -> Result<PublicCaps, AppError> {
    let d = PublicCaps::default();
    let read = |key: &'static str, default: i64| async move {
        Ok::<_, AppError>(state.store.setting(key).await?.and_then(|s| s.trim().parse().ok()).filter(|n: &i64| *n >= 0).unwrap_or(default))
    };
    Ok(PublicCaps {
        per_day: read("pa_public_daily_cap", d.per_day).await?,
        per_address: read("pa_public_address_cap", d.per_address).await?,
        per_domain: read("pa_public_domain_cap", d.per_domain).await?,
    })
}

fn cap_refusal(cap: CapReached, domain: &str) -> Response {
    too_many(&match cap {
        CapReached::Day => "The register has had as many registrations as it can take today. Try again tomorrow, or contact the Direct Payment Support Service.".to_string(),
        CapReached::Address => "Too many registrations have been sent from your network today. Try again tomorrow, or contact the Direct Payment Support Service.".to_string(),
        CapReached::Domain => format!("Too many registrations have been sent today for email addresses at {domain}. Try again tomorrow, or contact the Direct Payment Support Service."),
    })
}

/// A new link token (sent by email, never stored) and what the store keeps of it.
fn new_link(hours: i64) -> (String, EmailLink) {
    let token = hex::encode(rand::random::<[u8; 32]>());
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(hours);
    let expires = jiff::Timestamp::from_microsecond(expires.as_microsecond()).unwrap_or(expires);
    (token.clone(), EmailLink { token_hash: token_hash(&token), expires_at: format!("{expires:.6}") })
}

fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.trim().as_bytes()))
}

fn link(state: &AppState, path: &str, token: &str) -> String {
    format!("{}{path}?token={token}", state.settings.public_url.trim_end_matches('/'))
}

fn confirm_mail(state: &AppState, name: &str, token: &str, hours: i64) -> String {
    format!(
        "Dear {},\n\nThank you for registering on the Personal Assistant register.\n\n\
         To confirm your email address, open this link within {hours} hours:\n\n{}\n\n\
         Your entry is not counted, and nobody sees it, until you confirm it. The Direct Payment Support \
         Service then checks it before it can be matched.\n\n\
         If you did not register, ignore this email: nothing is kept unless the link is used.\n\n\
         To leave the register at any time, go to {}/pa-register/leave\n",
        ascii(name),
        link(state, "/pa-register/confirm", token),
        state.settings.public_url.trim_end_matches('/'),
    )
}

fn leave_mail(state: &AppState, name: &str, token: &str, hours: i64) -> String {
    format!(
        "Dear {},\n\nSomeone asked to take your entry off the Personal Assistant register.\n\n\
         To leave the register, open this link within {hours} hours:\n\n{}\n\n\
         If you did not ask, ignore this email and your entry stays as it is.\n",
        ascii(name),
        link(state, "/pa-register/leave/confirm", token),
    )
}

/// Names in the message body are kept to plain characters: the body is sent as 7-bit text, so
/// a link is never split by a line-wrapping transfer encoding.
fn ascii(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' }).collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TokenQuery {
    token: String,
}

fn link_refusal(state: LinkState, leave: bool, hours: i64) -> Response {
    let again = if leave { "Ask for a new link on the page to leave the register." } else { "Register again to get a new link." };
    match state {
        LinkState::Expired => refusal(StatusCode::GONE, "This link has expired", &format!("Links work for {hours} hours. {again}")),
        LinkState::Used if leave => {
            refusal(StatusCode::GONE, "This link has been used", "This entry has already been taken off the register.")
        }
        LinkState::Used => {
            refusal(StatusCode::GONE, "This link has been used", "This email address has already been confirmed. Nothing more is needed.")
        }
        LinkState::Unknown | LinkState::Valid(_) => refusal(
            StatusCode::NOT_FOUND,
            "This link is not valid",
            &format!("Check that you copied the whole link from the email. {again}"),
        ),
    }
}

async fn render_public(state: &AppState, session: &Session, template: &str, status: StatusCode, ctx: Value) -> Result<Response, AppError> {
    let base = session_context(state, session).await?;
    Ok((status, Html(state.renderer.render(template, &base, ctx)?)).into_response())
}

async fn confirm_page(session: Session, State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Result<Response, AppError> {
    match state.store.pa_email_link(&token_hash(&q.token), false).await? {
        LinkState::Valid(e) => {
            render_public(&state, &session, "pa_link.html", StatusCode::OK, context! {
                title => "Confirm your email address", action => "/pa-register/confirm", token => q.token, button_text => "Confirm my registration",
                text => format!("Confirm that {} is your email address to send your registration to the Direct Payment Support Service.", e.email),
            })
            .await
        }
        other => Ok(link_refusal(other, false, link_hours(&state).await?)),
    }
}

async fn confirm(session: Session, State(state): State<AppState>, CsrfForm(f): CsrfForm<TokenQuery>) -> Result<Response, AppError> {
    let caps = public_caps(&state).await?;
    match state.store.confirm_pa_by_link(&token_hash(&f.token), caps.per_day).await? {
        Confirmation::Confirmed(_) => {
            render_public(&state, &session, "pa_link_done.html", StatusCode::OK, context! {
                title => "Email address confirmed",
                text => "Thank you. The Direct Payment Support Service will check your registration and contact you by email. Your entry is not visible to anyone until it is approved.",
            })
            .await
        }
        Confirmation::Full => Ok(too_many(&format!(
            "The register has had as many registrations as it can take today. Use the link in your email again tomorrow: it works for {} hours from when you registered.",
            link_hours(&state).await?
        ))),
        Confirmation::Link(other) => Ok(link_refusal(other, false, link_hours(&state).await?)),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LeaveForm {
    email: String,
}

async fn render_leave(state: &AppState, session: &Session, email: &str, error: Option<String>) -> Result<Response, AppError> {
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let errors: Vec<Value> = error.iter().map(|m| crate::render::field_error("email", m)).collect();
    render_public(state, session, "pa_leave.html", status, context! { email => email, errors => errors, email_error => error }).await
}

async fn leave_form(session: Session, State(state): State<AppState>) -> Result<Response, AppError> {
    render_leave(&state, &session, "", None).await
}

async fn leave_request(
    session: Session,
    State(state): State<AppState>,
    client: ClientKey,
    CsrfForm(f): CsrfForm<LeaveForm>,
) -> Result<Response, AppError> {
    let email = f.email.trim().to_lowercase();
    let problem = if email.is_empty() {
        Some("Enter the email address you registered with".to_string())
    } else if let Err(e) = caremarket_core::limits::check_text("email", "Email address", &email, caremarket_core::limits::EMAIL_CHARS) {
        Some(e.message)
    } else if !email.contains('@') || email.contains('\0') {
        Some("Enter an email address in the correct format, like name@example.com".to_string())
    } else {
        None
    };
    if problem.is_some() {
        return render_leave(&state, &session, &f.email, problem).await;
    }
    let caps = public_caps(&state).await?;
    let hours = link_hours(&state).await?;
    let (token, link) = new_link(hours);
    if let Some(entry) = state.store.request_pa_leave(&email, &client.0, caps.per_address, &link).await?
        && let Err(e) =
            state.mailer.send(&entry.email, "Leaving the PA register", leave_mail(&state, &entry.display_name, &token, hours)).await
    {
        // Same page either way: it must not tell anyone who is on the register.
        tracing::error!(error = %e, "the PA register withdrawal email could not be sent");
    }
    Ok(Redirect::to("/pa-register/leave/sent").into_response())
}

async fn leave_sent(session: Session, State(state): State<AppState>) -> Result<Response, AppError> {
    let hours = link_hours(&state).await?;
    render_public(
        &state,
        &session,
        "pa_link_done.html",
        StatusCode::OK,
        context! {
            title => "Check your email",
            text => format!("If that email address is on the register, we have sent it a link to leave. The link works for {hours} hours."),
        },
    )
    .await
}

async fn leave_page(session: Session, State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Result<Response, AppError> {
    match state.store.pa_email_link(&token_hash(&q.token), true).await? {
        LinkState::Valid(e) => {
            render_public(&state, &session, "pa_link.html", StatusCode::OK, context! {
                title => "Leave the PA register", action => "/pa-register/leave/confirm", token => q.token, button_text => "Leave the register", warning => true,
                text => format!("The entry for {} ({}) will be taken off the register. Nobody will be matched with it again.", e.display_name, e.email),
            })
            .await
        }
        other => Ok(link_refusal(other, true, link_hours(&state).await?)),
    }
}

async fn leave(session: Session, State(state): State<AppState>, CsrfForm(f): CsrfForm<TokenQuery>) -> Result<Response, AppError> {
    match state.store.withdraw_pa_by_link(&token_hash(&f.token)).await? {
        LinkState::Valid(_) => {
            render_public(
                &state,
                &session,
                "pa_link_done.html",
                StatusCode::OK,
                context! {
                    title => "You have left the register",
                    text => "Your entry has been taken off the Personal Assistant register. To join again, fill in the registration form.",
                },
            )
            .await
        }
        other => Ok(link_refusal(other, true, link_hours(&state).await?)),
    }
}
