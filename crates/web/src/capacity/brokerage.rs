//! Brokerage (`004` "Proposed Home Care Model"; `000` "Home Care" and "Accommodation with
//! Care"): package requests, the providers eligible for each with the reasons for every
//! exclusion, offers, acceptance and starts; the awaiting care list and its figures; care home
//! placements offered to framework homes first. Active placement restrictions head every list.

use super::forms::{FormErrors, FormPage, Pairs, all, f, field, form_timestamp, int, opt, render_form, with_hint, with_options};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::paging::{PER_PAGE, Paging};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::capacity::brokerage::{
    HighDependencyNeed, Lot, Route, awaiting, discharge_within_48_hours, hours, started_within_48_hours,
};
use caremarket_core::capacity::vacancies::BedType;
use caremarket_core::direct_payments::money;
use caremarket_store::capacity::{NewPackageRequest, PackageRequest};
use minijinja::context;
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/brokerage", get(list))
        .route("/brokerage/discharge", get(discharge))
        .route("/brokerage/care-homes", get(care_homes))
        .route("/brokerage/requests/new", get(new_form).post(create))
        .route("/brokerage/requests/{id}", get(show))
        .route("/brokerage/requests/{id}/offer", post(offer))
        .route("/brokerage/requests/{id}/offer-all", post(offer_all))
        .route("/brokerage/requests/{id}/claim", post(claim))
        .route("/brokerage/requests/{id}/take-over", post(take_over))
        .route("/brokerage/requests/{id}/release", post(release))
        .route("/brokerage/requests/{id}/start", post(start))
        .route("/brokerage/requests/{id}/approve", post(approve))
        .route("/brokerage/offers/{id}/respond", post(respond))
}

fn uk(ts: &str) -> String {
    crate::render::format_timestamp(ts)
}

fn wait_text(ts: &str, now: jiff::Timestamp) -> String {
    let Ok(t) = ts.parse::<jiff::Timestamp>() else { return String::new() };
    let mins = now.duration_since(t).as_mins().max(0);
    if mins >= 24 * 60 {
        format!("{} days {} hours", mins / 1440, (mins % 1440) / 60)
    } else {
        format!("{} hours {} minutes", mins / 60, mins % 60)
    }
}

/// A request as the pages show it. The person's case reference is shown only to roles that
/// manage brokerage (issue 17 item 12): a quality officer reads the queue and its figures but
/// sees "Request in <area>" instead of whose request it is.
pub(crate) fn request_view(r: &PackageRequest, now: jiff::Timestamp, show_ref: bool) -> serde_json::Value {
    let person_ref = if show_ref { r.person_ref.clone() } else { format!("Request in {}", r.area_name) };
    let over4 = r.requested_at.parse::<jiff::Timestamp>().map(|t| now.duration_since(t).as_hours() >= 4).unwrap_or(false);
    json!({
        "id": r.id, "person_ref": person_ref, "ref_shown": show_ref, "area": r.area_name, "hours": hours(r.minutes_per_week), "visits_per_day": r.visits_per_day,
        "visit_times": r.visit_times, "double_up_visits": r.double_up_visits, "lot": r.lot.label(),
        "needs": r.needs.iter().map(|n| n.label()).collect::<Vec<_>>(), "language": r.language, "cultural_needs": r.cultural_needs,
        "route": r.route.label(), "requested_at": uk(&r.requested_at), "waiting": wait_text(&r.requested_at, now), "over_4_hours": over4,
        "status": r.status, "service_name": r.service_name, "started_at": r.started_at.as_deref().map(uk),
        "claimed_by": r.claimed_by, "claimed_by_name": r.claimed_by_name, "claimed_at": r.claimed_at.as_deref().map(uk),
    })
}

#[derive(Debug, Default, Deserialize)]
struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    from: Option<String>,
    to: Option<String>,
    /// Whose requests to list: "mine", "unclaimed", or everyone's (empty or "all").
    claim: Option<String>,
}

fn period(q: &PeriodQuery, today: Date) -> (Date, Date) {
    let to = q.to.as_deref().and_then(|s| s.parse::<Date>().ok()).unwrap_or(today);
    let from =
        q.from.as_deref().and_then(|s| s.parse::<Date>().ok()).unwrap_or_else(|| to.checked_sub(jiff::Span::new().months(6)).unwrap_or(to));
    if from > to { (to, from) } else { (from, to) }
}

async fn active_restrictions(state: &AppState) -> Result<Vec<serde_json::Value>, AppError> {
    Ok(state
        .store
        .restrictions(Some(caremarket_store::today()))
        .await?
        .iter()
        .map(|r| json!({"service_id": r.service_id, "service_name": r.service_name, "provider_name": r.provider_name, "describe": r.describe(), "reason": r.reason, "ends_on": r.ends_on}))
        .collect())
}

async fn list(user: CurrentUser, State(state): State<AppState>, Query(lq): Query<ListQuery>) -> Result<Response, AppError> {
    user.require(Permission::ViewBrokerage)?;
    let claim = match lq.claim.as_deref().unwrap_or("") {
        "" | "all" => "all",
        "mine" => "mine",
        "unclaimed" => "unclaimed",
        other => return Err(AppError::BadRequest(format!("claim: '{other}' is not a choice: use all, mine or unclaimed"))),
    };
    let q = PeriodQuery { from: lq.from, to: lq.to };
    let now = jiff::Timestamp::now();
    let today = caremarket_store::today();
    let waiting = state.store.package_requests("waiting").await?;
    // The figures count everyone waiting; the list shows whose requests were asked for.
    let listed: Vec<_> = waiting
        .iter()
        .filter(|r| match claim {
            "mine" => r.claimed_by.as_deref() == Some(user.user.id.as_str()),
            "unclaimed" => r.claimed_by.is_none(),
            _ => true,
        })
        .collect();
    let pairs: Vec<(String, jiff::Timestamp)> =
        waiting.iter().filter_map(|r| r.requested().ok().map(|t| (r.person_ref.clone(), t))).collect();
    let figures = awaiting(&pairs, now);
    let (from, to) = period(&q, today);
    let d = state.store.discharge_packages(from, to).await?;
    let dp: Vec<_> =
        d.iter().filter_map(|r| r.requested().ok().map(|t| (t, r.started_at.as_deref().and_then(|s| s.parse().ok())))).collect();
    let discharge = discharge_within_48_hours(&dp);
    let started = state.store.package_requests("started").await?;
    let ctx = user.context(&state).await?;
    let html = state.renderer.render(
        "brokerage.html",
        &ctx,
        context! {
            waiting => listed.iter().map(|r| request_view(r, now, user.role().can(Permission::ManageBrokerage))).collect::<Vec<_>>(),
            claim => claim, waiting_total => waiting.len(),
            recent => started.iter().take(10).map(|r| request_view(r, now, user.role().can(Permission::ManageBrokerage))).collect::<Vec<_>>(),
            figures => context! { packages_waiting => figures.packages_waiting, over_4 => figures.people_waiting_over_4_hours, longest => figures.longest_wait_since.map(|t| uk(&t.to_string())) },
            discharge => discharge, from => from.to_string(), to => to.to_string(),
            restrictions => active_restrictions(&state).await?,
            can_manage => user.role().can(Permission::ManageBrokerage),
        },
    )?;
    Ok(Html(html).into_response())
}

/// The discharge packages behind the "started within 48 hours" figure.
async fn discharge(user: CurrentUser, State(state): State<AppState>, Query(q): Query<PeriodQuery>) -> Result<Response, AppError> {
    user.require(Permission::ViewBrokerage)?;
    let now = jiff::Timestamp::now();
    let (from, to) = period(&q, caremarket_store::today());
    let d = state.store.discharge_packages(from, to).await?;
    let rows: Vec<_> = d
        .iter()
        .map(|r| {
            let mut v = request_view(r, now, user.role().can(Permission::ManageBrokerage));
            let within = match (r.requested(), r.started_at.as_deref().and_then(|s| s.parse::<jiff::Timestamp>().ok())) {
                (Ok(a), Some(b)) => started_within_48_hours(a, b),
                _ => false,
            };
            v["within_48"] = json!(within);
            v
        })
        .collect();
    let dp: Vec<_> =
        d.iter().filter_map(|r| r.requested().ok().map(|t| (t, r.started_at.as_deref().and_then(|s| s.parse().ok())))).collect();
    let ctx = user.context(&state).await?;
    Ok(Html(state.renderer.render(
        "brokerage_discharge.html",
        &ctx,
        context! { rows => rows, figure => discharge_within_48_hours(&dp), from => from.to_string(), to => to.to_string() },
    )?)
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
struct CareHomeQuery {
    bed_type: Option<String>,
    area: Option<String>,
}

/// Care homes with a vacancy of the bed type: framework homes first (`000`: "we will seek
/// providers on this Framework first when procuring placements"); restricted homes excluded,
/// with the restriction shown.
async fn care_homes(user: CurrentUser, State(state): State<AppState>, Query(q): Query<CareHomeQuery>) -> Result<Response, AppError> {
    user.require(Permission::ViewBrokerage)?;
    let today = caremarket_store::today();
    let bed_type = q.bed_type.as_deref().and_then(BedType::parse);
    let area = q.area.clone().filter(|a| !a.is_empty());
    let restrictions = state.store.restrictions(Some(today)).await?;
    let t = super::thresholds(&state).await;
    let mut rows = Vec::new();
    let mut closed = Vec::new();
    if let Some(b) = bed_type {
        // The home's CQC rating and the council's RAG, which a broker weighs beside the vacancy.
        let mut rating: std::collections::HashMap<String, Option<caremarket_core::register::Rating>> = Default::default();
        for page in 1.. {
            let homes = state
                .store
                .services(&caremarket_store::register::ServiceFilter {
                    kinds: vec![
                        caremarket_core::register::ServiceKind::CareHomeResidential,
                        caremarket_core::register::ServiceKind::CareHomeNursing,
                    ],
                    any_area: true,
                    registration: Some("all".into()),
                    page,
                    per_page: 1000,
                    ..Default::default()
                })
                .await?;
            let last = page >= homes.pages();
            rating.extend(homes.items.into_iter().map(|s| (s.id, s.ratings.overall)));
            if last {
                break;
            }
        }
        let rag = state.store.current_rag_by_service().await?;
        let closures = state.store.admission_closures_on(today).await?;
        for h in state.store.latest_vacancy_returns(today).await? {
            if area.as_ref().is_some_and(|a| h.area_id.as_ref() != Some(a)) {
                continue;
            }
            let Some(l) = h.lines.iter().find(|l| l.bed_type == b && l.vacant > 0) else { continue };
            // A home closed to admissions takes no one, whatever its return says: it is left
            // out, and named below the list so the broker knows why.
            if let Some(c) = closures.iter().find(|c| c.service_id == h.service_id) {
                closed.push(json!({"service_id": h.service_id, "name": h.name, "why": c.describe()}));
                continue;
            }
            // A home can have an embargo and a restriction at once: show every one.
            let restriction =
                Some(restrictions.iter().filter(|r| r.service_id == h.service_id).map(|r| r.describe()).collect::<Vec<_>>().join("; "))
                    .filter(|s| !s.is_empty());
            let stale = t.is_stale(h.return_date.as_deref().and_then(|d| d.parse().ok()), today);
            rows.push(json!({
                "service_id": h.service_id, "name": h.name, "provider_name": h.provider_name, "area": h.area_name, "framework": h.on_framework(),
                "vacant": l.vacant, "return_date": h.return_date, "stale": stale, "restriction": restriction,
                "rating": rating.get(&h.service_id).copied().flatten().map(|r| r.as_str()),
                "rag": rag.get(&h.service_id).map(|r| r.label()).unwrap_or("Not assessed"),
                "rag_tag": crate::tags::rag(rag.get(&h.service_id).copied()),
            }));
        }
        rows.sort_by_key(|r| {
            (
                r["restriction"].is_string(),
                !r["framework"].as_bool().unwrap_or(false),
                -r["vacant"].as_i64().unwrap_or(0),
                r["name"].as_str().unwrap_or("").to_string(),
            )
        });
    }
    let ctx = user.context(&state).await?;
    Ok(Html(state.renderer.render(
        "brokerage_care_homes.html",
        &ctx,
        context! {
            rows => rows, closed => closed, bed_type => bed_type.map(|b| b.as_str()), bed_label => bed_type.map(|b| b.label()), area => area,
            bed_options => BedType::ALL.iter().map(|b| json!({"value": b.as_str(), "text": b.label()})).collect::<Vec<_>>(),
            area_options => super::area_options(&state).await?,
        },
    )?)
    .into_response())
}

// ----- a new package request -----

fn request_fields(form: &Pairs, areas: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    let needs: Vec<serde_json::Value> = HighDependencyNeed::ALL.iter().map(|n| opt(n.as_str(), n.label())).collect();
    vec![
        with_hint(
            f("input", "person_ref", "Case reference", field(form, "person_ref")),
            "The person's case reference, for example AB12345. Do not enter their name.",
        ),
        with_options(f("select", "area_id", "Area", field(form, "area_id")), areas),
        with_options(
            f("radios", "route", "Where is the request from?", field(form, "route")),
            vec![opt("hospital_discharge", "Hospital discharge"), opt("community", "Community")],
        ),
        with_hint(
            f("input", "hours_per_week", "Hours a week", field(form, "hours_per_week")),
            "By the hour or half hour, for example 10.5",
        ),
        f("numeric", "visits_per_day", "Visits a day", field(form, "visits_per_day")),
        with_hint(f("input", "visit_times", "Visit times", field(form, "visit_times")), "For example 08:00, 12:30, 17:00, 21:00"),
        with_hint(
            f("numeric", "double_up_visits", "Double-up visits a week", field(form, "double_up_visits")),
            "Visits needing two carers, for example to hoist. Leave blank for none.",
        ),
        with_options(
            f("radios", "lot", "Lot", field(form, "lot")),
            vec![opt("general", "General"), opt("high_dependency", "High Dependency")],
        ),
        with_hint(
            with_options(f("checkboxes", "needs", "High Dependency needs", all(form, "needs")), needs),
            "Choose any that apply; they put the package in the High Dependency lot.",
        ),
        f("input", "language", "Language (optional)", field(form, "language")),
        with_hint(
            f("textarea", "cultural_needs", "Cultural needs (optional)", field(form, "cultural_needs")),
            "For example, a carer of the same gender. Do not write the person's name.",
        ),
        with_hint(f("date", "requested_at", "Date requested", super::forms::date_parts(form, "requested_at")), "For example 8 11 2024"),
        with_hint(f("time", "requested_time", "Time requested", field(form, "requested_time")), "24-hour clock, for example 09:30"),
    ]
}

fn request_page(fields: Vec<serde_json::Value>) -> FormPage<'static> {
    FormPage {
        title: "Record a home care package request",
        caption: Some("Brokerage"),
        intro: None,
        action: "/brokerage/requests/new",
        back: "/brokerage",
        button: "Save request",
        fields,
        multipart: false,
    }
}

async fn new_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManageBrokerage)?;
    let fields = request_fields(&vec![], super::area_options(&state).await?);
    render_form(&state, &user, request_page(fields), &FormErrors::default(), StatusCode::OK).await
}

async fn create(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<Pairs>) -> Result<Response, AppError> {
    user.require(Permission::ManageBrokerage)?;
    let mut errors = FormErrors::new(&["requested_at"]);
    let route = Route::parse(field(&form, "route"));
    if route.is_none() {
        errors.add("route", "Choose hospital discharge or community");
    }
    let lot = Lot::parse(field(&form, "lot"));
    if lot.is_none() {
        errors.add("lot", "Choose the lot");
    }
    let hrs = field(&form, "hours_per_week").trim();
    let minutes = match hrs.parse::<f64>() {
        Ok(h) if h.is_finite() => Some((h * 60.0).round() as i64),
        _ => {
            errors.add(
                "hours_per_week",
                if hrs.is_empty() { "Enter the hours a week" } else { "Hours a week must be a number, like 10 or 10.5" },
            );
            None
        }
    };
    let visits = errors.check("visits_per_day", int(&form, "visits_per_day", "Visits a day", None));
    let double = errors.check("double_up_visits", int(&form, "double_up_visits", "Double-up visits a week", Some(0)));
    let needs: Vec<HighDependencyNeed> = all(&form, "needs").into_iter().filter_map(HighDependencyNeed::parse).collect();
    let at = errors.check("requested_at", form_timestamp(&form, "requested_at", "requested_time", "Date requested")).flatten();
    if at.is_none() && !errors.by_field.contains_key("requested_at") {
        errors.add("requested_at", "Enter the date requested");
    }
    if errors.is_empty()
        && let (Some(route), Some(lot), Some(minutes), Some(visits), Some(double), Some(at)) = (route, lot, minutes, visits, double, at)
    {
        let r = NewPackageRequest {
            person_ref: field(&form, "person_ref").into(),
            area_id: field(&form, "area_id").into(),
            minutes_per_week: minutes,
            visits_per_day: visits,
            visit_times: field(&form, "visit_times").into(),
            double_up_visits: double,
            lot,
            needs,
            language: Some(field(&form, "language").to_string()),
            cultural_needs: Some(field(&form, "cultural_needs").to_string()),
            route,
            requested_at: at,
        };
        match state.store.create_package_request(&user.actor(), &r, jiff::Timestamp::now()).await {
            Ok(id) => return Ok(Redirect::to(&format!("/brokerage/requests/{id}")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    let fields = request_fields(&form, super::area_options(&state).await?);
    render_form(&state, &user, request_page(fields), &errors, StatusCode::BAD_REQUEST).await
}

// ----- one request: eligible providers, offers, responses, start -----

async fn render_show(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    errors: &FormErrors,
    status: StatusCode,
    query: &[(String, String)],
) -> Result<Response, AppError> {
    let now = jiff::Timestamp::now();
    let req = state.store.package_request(id).await?;
    let assessed = state.store.eligible_providers(&req, caremarket_store::today()).await?;
    let rule = state.store.rating_rule().await?;
    // The officer offers to eligible providers; the others (often 150 or more agencies, each
    // with its reasons) are one link away.
    let show_all = match field(query, "show") {
        "" | "eligible" => false,
        "all" => true,
        other => return Err(AppError::BadRequest(format!("show: '{other}' is not a choice: use eligible or all"))),
    };
    let shown: Vec<_> = assessed.iter().filter(|a| show_all || a.eligible).collect();
    let paging = Paging::new(&format!("/brokerage/requests/{id}"), query, shown.len(), PER_PAGE)?;
    let list: Vec<_> = paging
        .slice(shown)
        .into_iter()
        .map(|a| {
            json!({
                "service_id": a.candidate.service_id, "name": a.candidate.name, "provider_name": a.candidate.provider_name,
                "eligible": a.eligible, "framework": a.on_framework, "reasons": a.reasons, "restriction": a.candidate.restriction,
                "spare": hours(a.candidate.spare_minutes_in_area), "rating": a.candidate.overall.map(|r| r.as_str()), "well_led": a.candidate.well_led.map(|r| r.label()),
            })
        })
        .collect();
    let offers: Vec<_> = req.offers.iter().map(|o| json!({"id": o.id, "service_name": o.service_name, "status": o.status, "offered_at": uk(&o.offered_at), "responded_at": o.responded_at.as_deref().map(uk), "note": o.response_note, "to_all": o.offered_to_all == 1})).collect();
    let history: Vec<_> =
        state.store.request_history(id).await?.into_iter().map(|e| json!({"at": uk(&e.at), "who": e.who, "summary": e.summary})).collect();
    let can_manage = user.role().can(Permission::ManageBrokerage);
    let open = req.package_status().map(|s| s.can_be_offered()).unwrap_or(false);
    let mine = req.claimed_by.as_deref() == Some(user.user.id.as_str());
    // Only the officer holding the request changes it; an unclaimed request is claimed by the
    // first change an officer makes to it.
    let can_act = can_manage && (req.claimed_by.is_none() || mine);
    let banner = match field(query, "saved") {
        "claimed" => Some("You are now working on this request".to_string()),
        "taken" => Some("You have taken over this request".to_string()),
        "released" => Some("You have released this request: any officer can claim it".to_string()),
        "offered" => Some("Offer made".to_string()),
        "offered_all" => {
            let n = req.offers.iter().filter(|o| o.offered_to_all == 1).count();
            Some(format!("Offered to {n} eligible provider{}: the first to accept gets the package", if n == 1 { "" } else { "s" }))
        }
        "response" => Some("Provider's answer recorded".to_string()),
        "started" => Some("Start recorded".to_string()),
        "approved" => Some("Package approved: it can now start".to_string()),
        _ => None,
    };
    // Money limits: the package's weekly cost at the accepted provider's rate, and whether this
    // officer may start it on their own limit or approve it for another.
    let approval = if req.status == "accepted" {
        let cost = state.store.package_cost(&req, caremarket_store::today()).await?;
        let limit = state.store.approval_limits(Some(&user.user.id)).await?.package_weekly_pence;
        let kept = state.store.home_care_rates_kept().await?;
        let within = !caremarket_core::approvals::needs_second_approver(cost, limit) || (cost.is_none() && !kept);
        let highest = limit >= caremarket_core::approvals::MAX_LIMIT_PENCE;
        Some(json!({
            "cost": cost.map(money), "limit": money(limit), "within": within, "rates_kept": kept,
            "approved_by": req.approved_by_label, "approved_at": req.approved_at.as_deref().map(uk),
            "approved_cost": req.approved_weekly_pence.map(money),
            "can_approve": can_manage && !mine && req.approved_at.is_none() && (within || (cost.is_none() && highest)),
        }))
    } else {
        None
    };
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "brokerage_request.html",
        &ctx,
        context! {
            r => request_view(&req, now, user.role().can(Permission::ManageBrokerage)), offers => offers, providers => list,
            paging => paging.context(), show_all => show_all, assessed_count => assessed.len(),
            eligible_count => assessed.iter().filter(|a| a.eligible).count(),
            rule => json!({"min_overall": rule.min_overall.label(), "min_well_led": rule.min_well_led.map(|r| r.label()), "require_inspection": rule.require_inspection, "allow_off_framework": rule.allow_off_framework}),
            can_manage => can_manage, can_act => can_act, mine => mine, waiting => req.is_waiting(), history => history, banner => banner,
            open => open, accepted => req.status == "accepted", approval => approval,
            can_change_rule => user.role().can(Permission::EditCouncilFields),
            restrictions => active_restrictions(state).await?,
            errors => errors.list, field_errors => errors.by_field,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewBrokerage)?;
    render_show(&state, &user, &id, &FormErrors::default(), StatusCode::OK, &q).await
}

async fn offer(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageBrokerage)?;
    let mut errors = FormErrors::default();
    match state.store.offer_package(&user.actor(), &id, field(&form, "service_id"), caremarket_store::today()).await {
        Ok(_) => return Ok(Redirect::to(&format!("/brokerage/requests/{id}?saved=offered")).into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_show(&state, &user, &id, &errors, StatusCode::BAD_REQUEST, &[]).await
}

async fn respond(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(offer_id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageBrokerage)?;
    let o = state.store.offer(&offer_id).await?;
    let mut errors = FormErrors::default();
    let accept = match field(&form, "response") {
        "accept" => Some(true),
        "decline" => Some(false),
        _ => None,
    };
    match accept {
        None => errors.add("response", "Choose whether the provider accepted or declined"),
        Some(a) => match state.store.respond_to_offer(&user.actor(), &offer_id, a, Some(field(&form, "note")), None).await {
            Ok(()) => return Ok(Redirect::to(&format!("/brokerage/requests/{}?saved=response", o.request_id)).into_response()),
            Err(e) => errors.add_store(e)?,
        },
    }
    render_show(&state, &user, &o.request_id, &errors, StatusCode::BAD_REQUEST, &[]).await
}

async fn start(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageBrokerage)?;
    let mut errors = FormErrors::new(&["started_at"]);
    let at = errors.check("started_at", form_timestamp(&form, "started_at", "started_time", "Start date")).flatten();
    if at.is_none() && !errors.by_field.contains_key("started_at") {
        errors.add("started_at", "Enter the date and time the care started");
    }
    if let Some(at) = at
        && errors.is_empty()
    {
        match state.store.start_package(&user.actor(), &id, at, jiff::Timestamp::now()).await {
            Ok(()) => return Ok(Redirect::to(&format!("/brokerage/requests/{id}?saved=started")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_show(&state, &user, &id, &errors, StatusCode::BAD_REQUEST, &[]).await
}

/// A second officer approves a package above the limit of the officer working it (money limits).
async fn approve(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageBrokerage)?;
    let mut errors = FormErrors::default();
    match state.store.approve_package(&user.actor(), &id, caremarket_store::today()).await {
        Ok(_) => return Ok(Redirect::to(&format!("/brokerage/requests/{id}?saved=approved")).into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_show(&state, &user, &id, &errors, StatusCode::BAD_REQUEST, &[]).await
}

/// Offer the request to every eligible provider at once; `expected` is the number the officer
/// was shown and confirmed.
async fn offer_all(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageBrokerage)?;
    let mut errors = FormErrors::default();
    let expected = match field(&form, "expected") {
        "" => None,
        n => match n.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => return Err(AppError::BadRequest(format!("expected: '{n}' is not a number of providers"))),
        },
    };
    match state.store.offer_to_all(&user.actor(), &id, expected, caremarket_store::today()).await {
        Ok(_) => return Ok(Redirect::to(&format!("/brokerage/requests/{id}?saved=offered_all")).into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_show(&state, &user, &id, &errors, StatusCode::BAD_REQUEST, &[]).await
}

async fn claim(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageBrokerage)?;
    let mut errors = FormErrors::default();
    match state.store.claim_request(&user.actor(), &id).await {
        Ok(()) => return Ok(Redirect::to(&format!("/brokerage/requests/{id}?saved=claimed")).into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_show(&state, &user, &id, &errors, StatusCode::BAD_REQUEST, &[]).await
}

async fn take_over(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageBrokerage)?;
    let mut errors = FormErrors::default();
    match state.store.take_over_request(&user.actor(), &id, field(&form, "from")).await {
        Ok(()) => return Ok(Redirect::to(&format!("/brokerage/requests/{id}?saved=taken")).into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_show(&state, &user, &id, &errors, StatusCode::BAD_REQUEST, &[]).await
}

async fn release(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageBrokerage)?;
    let mut errors = FormErrors::default();
    match state.store.release_request(&user.actor(), &id).await {
        Ok(()) => return Ok(Redirect::to(&format!("/brokerage/requests/{id}?saved=released")).into_response()),
        Err(e) => errors.add_store(e)?,
    }
    render_show(&state, &user, &id, &errors, StatusCode::BAD_REQUEST, &[]).await
}
