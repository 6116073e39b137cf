//! C1 pages: the market dashboard, services and providers, and editing what the council owns.

mod closure;
mod cqc_changes;
pub mod filter;

use crate::AppState;
use crate::as_at::AsAt;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, form_date};
use crate::paging::{PER_PAGE, Paging};
use crate::render::field_error;
use axum::Router;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::register::{ContractStatus, KeyQuestion, Rating, ServiceKind, Specialism};
use caremarket_store::register::{AsAtSelection, CouncilFields, ServiceFilter};
use caremarket_store::{StoreError, today};
use minijinja::context;
use serde::Serialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/dashboard/services", get(dashboard_services))
        .route("/dashboard/ratings-over-time", get(ratings_over_time))
        .route("/services", get(services))
        .route("/services.csv", get(services_csv))
        .route("/services/{id}", get(service))
        .route("/services/{id}/edit", get(edit_service).post(save_service))
        .route("/services/{id}/closure", get(closure::closure_form).post(closure::save_closure))
        .route("/providers", get(providers))
        .route("/providers/{id}", get(provider))
        .route("/providers/{id}/notes", axum::routing::post(save_provider_notes))
        .route("/register/cqc-changes", get(cqc_changes::list))
        .route("/register/cqc-changes/acknowledge", axum::routing::post(cqc_changes::acknowledge))
}

#[derive(Serialize)]
struct Opt {
    value: String,
    text: String,
}

fn opt(value: &str, text: &str) -> Opt {
    Opt { value: value.into(), text: text.into() }
}

fn kind_options() -> Vec<Opt> {
    ServiceKind::ALL.iter().map(|k| opt(k.as_str(), k.label())).collect()
}

fn rating_options(with_bands: bool) -> Vec<Opt> {
    let mut v = vec![opt("", "Any")];
    if with_bands {
        v.push(opt("good_or_outstanding", "Good or Outstanding"));
        v.push(opt("rated", "Any rating"));
        v.push(opt("unrated", "Not rated"));
    }
    v.extend(Rating::ALL.iter().map(|r| opt(r.as_str(), r.label())));
    v
}

fn contract_options() -> Vec<Opt> {
    let mut v = vec![opt("", "Any")];
    v.extend(ContractStatus::ALL.iter().map(|c| opt(c.as_str(), c.label())));
    v
}

fn specialism_options() -> Vec<Opt> {
    let mut v = vec![opt("", "Any")];
    v.extend(Specialism::ALL.iter().map(|s| opt(s.as_str(), s.label())));
    v
}

fn key_question_options() -> Vec<Opt> {
    let mut v = vec![opt("", "Any")];
    v.extend(KeyQuestion::ALL.iter().map(|k| opt(k.as_str(), k.label())));
    v
}

fn query_pairs(q: &Option<String>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(q.as_deref().unwrap_or("")).unwrap_or_default()
}

// ----- dashboard -----

async fn dashboard(user: CurrentUser, State(state): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    user.require(Permission::ViewRegister)?;
    let pairs = query_pairs(&q);
    let mut errors = Vec::new();
    let default_since: Date = "2020-01-01".parse().map_err(|_| AppError::Internal("date".into()))?;
    let not_inspected_before = match form_date(&pairs, "not_inspected_before", "The date for 'not inspected since'") {
        Ok(d) => d.unwrap_or(default_since),
        Err(e) => {
            errors.push(field_error("not_inspected_before-day", &e));
            default_since
        }
    };
    let as_at = AsAt::parse(&pairs, today());
    // "Recent" rating changes are the 90 days before the date the figures are as at.
    let default_changes = as_at.date.checked_sub(jiff::Span::new().days(90)).map_err(|e| AppError::Internal(e.to_string()))?;
    let changes_since = match form_date(&pairs, "changes_since", "The date for rating changes") {
        Ok(d) => d.unwrap_or(default_changes),
        Err(e) => {
            errors.push(field_error("changes_since-day", &e));
            default_changes
        }
    };
    errors.extend(as_at.summary_error());
    // The default dates' figures today are kept (issue 18 item 2); other dates are computed now.
    let mut figures = if !as_at.is_today() {
        state.store.market_figures_as_at(as_at.date, not_inspected_before, changes_since).await?
    } else if (not_inspected_before, changes_since) == (default_since, default_changes) {
        state.store.kept_market_figures(not_inspected_before, changes_since).await?.value
    } else {
        state.store.market_figures(not_inspected_before, changes_since).await?
    };
    // The changes of rating are listed 50 at a time, newest first: a national register has
    // thousands in 90 days, and the page would grow with the register (issue 18, scale curve).
    let changes = std::mem::take(&mut figures.rating_changes);
    let changes_paging = Paging::new("/dashboard", &pairs, changes.len(), PER_PAGE)?.landing_on("changes");
    let changes = changes_paging.slice(changes);
    let ctx = user.context(&state).await?;
    // What CQC imports changed and no one has acknowledged: for those who acknowledge them.
    let cqc_changes_new =
        if user.role().can(Permission::AcknowledgeCqcChanges) { Some(state.store.unacknowledged_cqc_change_count().await?) } else { None };
    let contract_statuses: Vec<Opt> = ContractStatus::ALL.iter().map(|c| opt(c.as_str(), c.label())).collect();
    // Today's figures link to the register's list; a past date's to the services counted then.
    // Written into hrefs unescaped (`| safe`): built here from a date, with `&` as `&amp;`.
    let list_base = if as_at.is_today() {
        "/services?".to_string()
    } else {
        format!("/dashboard/services?{}", as_at.query_prefix().replace('&', "&amp;"))
    };
    let html = state.renderer.render(
        "dashboard.html",
        &ctx,
        context! {
            figures => figures,
            changes => changes,
            changes_paging => changes_paging.context(),
            contract_statuses => contract_statuses,
            not_inspected_before => not_inspected_before.to_string(),
            changes_since => changes_since.to_string(),
            can_see_placements => user.user.role.can(Permission::ViewPlacements),
            errors => errors,
            as_at => as_at.view(),
            list_base => list_base,
            cqc_changes_new => cqc_changes_new,
        },
    )?;
    Ok(Html(html).into_response())
}

/// The services behind a dashboard figure as at a past date (`/dashboard/services?as_at=`):
/// the same predicate as the figure, so the list's length is the figure.
async fn dashboard_services(user: CurrentUser, State(state): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    user.require(Permission::ViewRegister)?;
    let pairs = query_pairs(&q);
    let as_at = AsAt::parse(&pairs, today());
    if let Some(e) = &as_at.error {
        return Err(AppError::BadRequest(e.clone()));
    }
    let get = |k: &str| pairs.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let date = |k: &str| -> Result<Option<Date>, AppError> {
        get(k)
            .map(|v| {
                v.parse::<Date>().map_err(|_| {
                    AppError::BadRequest(format!("{k} must be a date like 2025-03-31; found '{}'", v.chars().take(40).collect::<String>()))
                })
            })
            .transpose()
    };
    let flag = |k: &str| -> Result<bool, AppError> {
        match get(k) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(AppError::BadRequest(format!("{k} must be true or false; found '{}'", v.chars().take(40).collect::<String>()))),
        }
    };
    let mut sel = AsAtSelection {
        kind: get("kind")
            .map(|k| {
                ServiceKind::parse(k).ok_or_else(|| {
                    AppError::BadRequest(format!("kind: there is no kind of service '{}'", k.chars().take(40).collect::<String>()))
                })
            })
            .transpose()?,
        contract_status: get("contract_status")
            .map(|c| {
                ContractStatus::parse(c).ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "contract_status: there is no contract status '{}'",
                        c.chars().take(40).collect::<String>()
                    ))
                })
            })
            .transpose()?,
        contracted: flag("contracted")?,
        never_inspected: flag("never_inspected")?,
        not_inspected_since: date("not_inspected_since")?,
        rating_changed_since: date("rating_changed_since")?,
        ..Default::default()
    };
    match get("rating") {
        None => {}
        Some("rated") => sel.rated = true,
        Some("good_or_outstanding") => sel.good_or_outstanding = true,
        Some(v) => {
            return Err(AppError::BadRequest(format!(
                "rating must be rated or good_or_outstanding; found '{}'",
                v.chars().take(40).collect::<String>()
            )));
        }
    }
    let services = state.store.services_as_at(as_at.date, &sel).await?;
    let mut described = Vec::new();
    if let Some(k) = sel.kind {
        described.push(k.label().to_string());
    }
    if let Some(c) = sel.contract_status {
        described.push(format!("contract: {}", c.label()));
    }
    if sel.contracted {
        described.push("contracted".to_string());
    }
    if sel.rated {
        described.push("with a CQC rating".to_string());
    }
    if sel.good_or_outstanding {
        described.push("rated Good or Outstanding".to_string());
    }
    if sel.never_inspected {
        described.push("never inspected".to_string());
    }
    if let Some(d) = sel.not_inspected_since {
        described.push(format!("not inspected since {}", crate::render::format_date(&d.to_string())));
    }
    if let Some(d) = sel.rating_changed_since {
        described.push(format!("with a change of overall rating published since {}", crate::render::format_date(&d.to_string())));
    }
    let paging = Paging::new("/dashboard/services", &pairs, services.len(), PER_PAGE)?;
    let ctx = user.context(&state).await?;
    let html = state.renderer.render(
        "dashboard_services.html",
        &ctx,
        context! {
            services => paging.slice(services),
            paging => paging.context(),
            as_at => as_at.date.to_string(),
            described => described,
        },
    )?;
    Ok(Html(html).into_response())
}

/// The last `n` quarter ends (31 March, 30 June, 30 September, 31 December) on or before
/// `today`, oldest first.
fn quarter_ends(today: Date, n: usize) -> Vec<Date> {
    let mut out = Vec::new();
    // Start from this quarter's end (skipped unless it is today) and walk back.
    let (mut y, mut q) = (today.year(), (today.month() - 1) / 3 + 1);
    while out.len() < n {
        if q == 0 {
            y -= 1;
            q = 4;
        }
        let (m, d) = match q {
            1 => (3, 31),
            2 => (6, 30),
            3 => (9, 30),
            _ => (12, 31),
        };
        if let Ok(date) = Date::new(y, m, d)
            && date <= today
        {
            out.push(date);
        }
        q -= 1;
    }
    out.reverse();
    out
}

/// CQC ratings over time (issue 16 item 11): the share of rated services rated Good or
/// Outstanding at each of the last eight quarter ends, by kind and overall, each counted as the
/// dashboard as at that date counts it, as a chart with the same figures in a table.
async fn ratings_over_time(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ViewRegister)?;
    let ends = quarter_ends(today(), 8);
    let mut points = Vec::new();
    let mut kinds: Vec<ServiceKind> = Vec::new();
    for end in &ends {
        let since = end.checked_sub(jiff::Span::new().days(90)).map_err(|e| AppError::Internal(e.to_string()))?;
        let f = state.store.market_figures_as_at(*end, *end, since).await?;
        let rated: i64 = f.by_kind.iter().map(|k| k.rated).sum();
        let good: i64 = f.by_kind.iter().map(|k| k.good_or_outstanding).sum();
        for k in &f.by_kind {
            if !kinds.contains(&k.kind) {
                kinds.push(k.kind);
            }
        }
        points.push((*end, rated, good, f.by_kind));
    }
    kinds.sort();
    let bars: Vec<(String, i64)> = points
        .iter()
        .map(|(d, rated, good, _)| {
            // Whole per cent on the bars; the table has the tenths.
            (
                crate::render::format_date(&d.to_string()),
                caremarket_core::register::percent(*good, *rated).map(|p| p.round() as i64).unwrap_or(0),
            )
        })
        .collect();
    let chart = caremarket_core::charts::bar_chart_svg(
        "ratings-over-time",
        "Share of rated services in the council's area rated Good or Outstanding by CQC, at each quarter end",
        &bars,
        "%",
    );
    let rows: Vec<minijinja::Value> = points
        .iter()
        .map(|(d, rated, good, by_kind)| {
            context! {
                date => d.to_string(),
                rated => rated,
                good => good,
                percent => caremarket_core::register::percent(*good, *rated),
                kinds => kinds.iter().map(|k| by_kind.iter().find(|r| r.kind == *k).and_then(|r| r.percent_good_or_outstanding)).collect::<Vec<_>>(),
            }
        })
        .collect();
    let ctx = user.context(&state).await?;
    let html = state.renderer.render(
        "dashboard_ratings_over_time.html",
        &ctx,
        context! {
            chart => minijinja::Value::from_safe_string(chart),
            rows => rows,
            kinds => kinds.iter().map(|k| k.label()).collect::<Vec<_>>(),
        },
    )?;
    Ok(Html(html).into_response())
}

#[cfg(test)]
mod quarter_tests {
    use super::*;

    #[test]
    fn quarter_ends_are_the_last_ones_on_or_before_today() {
        let d = |s: &str| s.parse::<Date>().expect("date");
        assert_eq!(quarter_ends(d("2026-12-04"), 3), vec![d("2026-03-31"), d("2026-06-30"), d("2026-09-30")]);
        assert_eq!(quarter_ends(d("2026-03-31"), 2), vec![d("2025-12-31"), d("2026-03-31")]);
        assert_eq!(quarter_ends(d("2026-01-15"), 1), vec![d("2025-12-31")]);
    }
}

// ----- services -----

async fn services(user: CurrentUser, State(state): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    user.require(Permission::ViewRegister)?;
    let mut f = filter::parse(q.as_deref())?;
    if f.per_page == 0 {
        f.per_page = 50;
    }
    let page = state.store.services(&f).await?;
    let frameworks = state.store.frameworks().await?;
    let areas = state.store.areas().await?;
    let query = filter::to_query(&f);
    let pages = page.pages();
    let href = |p: i64| if query.is_empty() { format!("/services?page={p}") } else { format!("/services?{query}&page={p}") };
    let ctx = user.context(&state).await?;
    let active_filters = describe_filter(&f, &frameworks, &areas);
    let html = state.renderer.render(
        "services.html",
        &ctx,
        context! {
            page => page,
            pages => pages,
            filter => f,
            query => query,
            prev_href => if page.page > 1 { Some(href(page.page - 1)) } else { None },
            next_href => if page.page < pages { Some(href(page.page + 1)) } else { None },
            page_href => if query.is_empty() { "/services?page={page}".to_string() } else { format!("/services?{query}&page={{page}}") },
            kinds => kind_options(),
            selected_kinds => f.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            ratings => rating_options(true),
            kq_ratings => rating_options(false),
            key_questions => key_question_options(),
            contract_statuses => contract_options(),
            specialisms => specialism_options(),
            framework_options => std::iter::once(opt("", "Any")).chain(frameworks.iter().map(|f| opt(&f.id, &f.name))).collect::<Vec<_>>(),
            lot_options => std::iter::once(opt("", "Any"))
                .chain(frameworks.iter().flat_map(|f| f.lots.iter().map(move |l| opt(&l.id, &format!("{} – {}", f.name, l.name)))))
                .collect::<Vec<_>>(),
            area_options => std::iter::once(opt("", "Any")).chain(areas.iter().map(|a| opt(&a.id, &a.name))).collect::<Vec<_>>(),
            contracted => match f.contracted { Some(true) => "true", Some(false) => "false", None => "" },
            active_filters => active_filters,
        },
    )?;
    Ok(Html(html).into_response())
}

/// Plain-English description of the filters in force, for the heading and for screen readers.
fn describe_filter(
    f: &ServiceFilter,
    frameworks: &[caremarket_store::register::Framework],
    areas: &[caremarket_store::register::Area],
) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(q) = &f.q {
        v.push(format!("matching '{q}'"));
    }
    if !f.kinds.is_empty() {
        v.push(f.kinds.iter().map(|k| k.label()).collect::<Vec<_>>().join(" or "));
    }
    match f.rating.as_deref() {
        Some("good_or_outstanding") => v.push("rated Good or Outstanding".into()),
        Some("rated") => v.push("with a CQC rating".into()),
        Some("unrated") => v.push("without a CQC rating".into()),
        Some(r) => v.push(format!("rated {}", Rating::parse(r).map(|r| r.label()).unwrap_or(r))),
        None => {}
    }
    if let (Some(k), Some(r)) = (f.key_question, f.key_question_rating) {
        v.push(format!("{} rated {}", k.label(), r.label()));
    }
    if let Some(c) = f.contract_status {
        v.push(format!("contract: {}", c.label()));
    }
    match f.contracted {
        Some(true) => v.push("contracted by the council".into()),
        Some(false) => v.push("not contracted".into()),
        None => {}
    }
    if let Some(id) = &f.framework_id {
        v.push(format!("on {}", frameworks.iter().find(|x| &x.id == id).map(|x| x.name.as_str()).unwrap_or("a framework")));
    }
    if let Some(id) = &f.lot_id {
        let lot = frameworks.iter().flat_map(|x| x.lots.iter()).find(|l| &l.id == id);
        v.push(format!("lot {}", lot.map(|l| l.name.as_str()).unwrap_or("?")));
    }
    if let Some(id) = &f.area_id {
        v.push(format!("in {}", areas.iter().find(|a| &a.id == id).map(|a| a.name.as_str()).unwrap_or("an area")));
    }
    if let Some(s) = f.specialism {
        v.push(format!("specialism: {}", s.label()));
    }
    if f.any_area {
        v.push("in and out of area".into());
    } else if f.in_area == Some(false) {
        v.push("outside the council's area".into());
    }
    match f.registration.as_deref() {
        Some("deregistered") => v.push("deregistered".into()),
        Some("registered") => v.push("registered with CQC".into()),
        Some("all") => v.push("including deregistered".into()),
        _ => {}
    }
    if f.never_inspected {
        v.push("never inspected by CQC".into());
    }
    if let Some(d) = f.not_inspected_since {
        v.push(format!("not inspected since {}", crate::render::format_date(&d.to_string())));
    }
    if let Some(d) = f.rating_changed_since {
        v.push(format!("rating changed since {}", crate::render::format_date(&d.to_string())));
    }
    v
}

/// The filtered list as CSV, for commissioners' own analysis.
async fn services_csv(user: CurrentUser, State(state): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    user.require(Permission::ViewRegister)?;
    let mut f = filter::parse(q.as_deref())?;
    f.per_page = 1000;
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = [
        "Name",
        "Provider",
        "Kind",
        "CQC location ID",
        "Postcode",
        "Area",
        "Registration",
        "Beds",
        "Overall",
        "Safe",
        "Effective",
        "Caring",
        "Responsive",
        "Well-led",
        "Rating date",
        "Contract status",
        "Framework",
        "Lot",
    ];
    w.write_record(head).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut page_no = 1;
    loop {
        f.page = page_no;
        let page = state.store.services(&f).await?;
        for s in &page.items {
            let r = |x: Option<Rating>| x.map(|r| r.label().to_string()).unwrap_or_default();
            w.write_record(
                [
                    s.name.clone(),
                    s.provider_name.clone(),
                    s.kind.label().to_string(),
                    s.cqc_location_id.clone().unwrap_or_default(),
                    s.postcode.clone().unwrap_or_default(),
                    s.area_name.clone().unwrap_or_default(),
                    s.registration_status.clone(),
                    s.beds.map(|b| b.to_string()).unwrap_or_default(),
                    r(s.ratings.overall),
                    r(s.ratings.safe),
                    r(s.ratings.effective),
                    r(s.ratings.caring),
                    r(s.ratings.responsive),
                    r(s.ratings.well_led),
                    s.ratings.rating_date.clone().unwrap_or_default(),
                    s.contract_status.label().to_string(),
                    s.framework_name.clone().unwrap_or_default(),
                    s.lot_name.clone().unwrap_or_default(),
                ]
                .iter()
                .map(|c| caremarket_core::text::spreadsheet_cell(c).into_owned()),
            )
            .map_err(|e| AppError::Internal(e.to_string()))?;
        }
        if page_no >= page.pages() {
            break;
        }
        page_no += 1;
    }
    let bytes = w.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"services.csv\"")], bytes)
        .into_response())
}

#[derive(serde::Deserialize, Default)]
struct ServiceQuery {
    updated: Option<String>,
    closure: Option<String>,
}

async fn service(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ServiceQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewRegister)?;
    let s = state.store.service(&id).await?;
    let closure = state.store.service_closure(&id).await?;
    let saved = if q.closure.is_some() {
        Some("The reason for closing has been saved")
    } else if q.updated.is_some() {
        Some("The council's details have been saved")
    } else {
        None
    };
    let history = state.store.rating_history(&id).await?;
    let relationships: Vec<caremarket_core::register::Relationship> =
        s.relationships_json.as_deref().and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
    let mut related = Vec::new();
    for r in relationships {
        let local = state.store.service_by_location_id(&r.location_id).await?;
        related.push(context! { kind => r.kind, location_id => r.location_id, name => r.name, service_id => local.map(|l| l.id) });
    }
    let key_questions: Vec<_> =
        KeyQuestion::ALL.iter().map(|k| context! { label => k.label(), rating => s.ratings.get(*k).map(|r| r.as_str()) }).collect();
    // Quality status, and restrictions and embargoes in force shown prominently, for whoever
    // opens the service.
    let quality = state.store.quality_status(&id).await?;
    let restrictions: Vec<_> = quality
        .restrictions
        .iter()
        .map(|r| context! { service_name => r.service_name, provider_name => r.provider_name, describe => r.describe(), reason => r.reason, ends_on => r.ends_on })
        .collect();
    let ctx = user.context(&state).await?;
    let html = state.renderer.render(
        "service.html",
        &ctx,
        context! {
            restrictions => restrictions,
            quality => quality,
            s => s,
            history => history,
            related => related,
            key_questions => key_questions,
            can_edit => user.user.role.can(Permission::EditCouncilFields),
            closure => closure.map(|c| context! { reason => c.reason.label(), note => c.note, recorded_by => c.recorded_by, recorded_at => crate::render::format_timestamp(&c.recorded_at) }),
            saved => saved,
        },
    )?;
    Ok(Html(html).into_response())
}

async fn edit_service(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::EditCouncilFields)?;
    let s = state.store.service(&id).await?;
    let form = context! {
        contract_status => s.contract_status.as_str(),
        framework_lot => s.lot_id.clone().map(|l| format!("lot:{l}")).or(s.framework_id.clone().map(|f| format!("fw:{f}"))).unwrap_or_default(),
        contract_start => s.contract_start.clone(),
        contract_end => s.contract_end.clone(),
        council_notes => s.council_notes.clone().unwrap_or_default(),
        kind => s.kind.as_str(),
        version => s.version,
    };
    render_edit(&state, &user, &s, form, &FormErrors::default(), axum::http::StatusCode::OK, None).await
}

async fn render_edit(
    state: &AppState,
    user: &CurrentUser,
    s: &caremarket_store::register::Service,
    form: minijinja::Value,
    errors: &FormErrors,
    status: axum::http::StatusCode,
    stale: Option<minijinja::Value>,
) -> Result<Response, AppError> {
    let frameworks = state.store.frameworks().await?;
    let mut framework_lots = vec![opt("", "Not on a framework")];
    for f in &frameworks {
        if f.lots.is_empty() {
            framework_lots.push(opt(&format!("fw:{}", f.id), &f.name));
        }
        for l in &f.lots {
            framework_lots.push(opt(&format!("lot:{}", l.id), &format!("{} – {}", f.name, l.name)));
        }
    }
    let contract_statuses: Vec<Opt> = ContractStatus::ALL.iter().map(|c| opt(c.as_str(), c.label())).collect();
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "service_edit.html",
        &ctx,
        context! { s => s, form => form, errors => errors.list, framework_lots => framework_lots, contract_statuses => contract_statuses, kinds => kind_options(), stale => stale },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn save_service(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditCouncilFields)?;
    let s = state.store.service(&id).await?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let mut errors = FormErrors::new(&["contract_start", "contract_end"]);
    let contract_status = ContractStatus::parse(&get("contract_status"));
    if contract_status.is_none() {
        errors.add("contract_status", "Select the contract status");
    }
    let fl = get("framework_lot");
    let frameworks = state.store.frameworks().await?;
    let (framework_id, lot_id) = if let Some(lot) = fl.strip_prefix("lot:") {
        match frameworks.iter().flat_map(|f| f.lots.iter()).find(|l| l.id == lot) {
            Some(l) => (Some(l.framework_id.clone()), Some(l.id.clone())),
            None => {
                errors.add("framework_lot", "Select a framework and lot from the list");
                (None, None)
            }
        }
    } else if let Some(fw) = fl.strip_prefix("fw:") {
        (Some(fw.to_string()), None)
    } else {
        (None, None)
    };
    let contract_start = errors.check("contract_start", form_date(&pairs, "contract_start", "Contract start date")).flatten();
    let contract_end = errors.check("contract_end", form_date(&pairs, "contract_end", "Contract end date")).flatten();
    let notes = get("council_notes");
    errors.check_field(caremarket_core::limits::check_text("council_notes", "Notes", &notes, caremarket_core::limits::NOTES_CHARS));
    let kind_raw = get("kind");
    let kind = ServiceKind::parse(&kind_raw);
    if kind.is_none() {
        errors.add("kind", "Select the kind of service");
    }
    let expected = crate::versions::from_form(&pairs);
    let form_at = |version: String| {
        context! {
            contract_status => get("contract_status"),
            framework_lot => fl.clone(),
            contract_start => date_parts(&pairs, "contract_start"),
            contract_end => date_parts(&pairs, "contract_end"),
            council_notes => notes.clone(),
            kind => kind_raw.clone(),
            version => version,
        }
    };
    let form = form_at(get("version"));
    if !errors.is_empty() {
        return render_edit(&state, &user, &s, form, &errors, axum::http::StatusCode::BAD_REQUEST, None).await;
    }
    let (Some(contract_status), Some(kind)) = (contract_status, kind) else {
        return Err(AppError::BadRequest("Select the contract status and kind".into()));
    };
    let fields = CouncilFields {
        contract_status,
        framework_id,
        lot_id,
        contract_start,
        contract_end,
        council_notes: Some(notes.clone()),
        // Only an actual change of kind marks it as set by the council.
        kind: if kind != s.kind { Some(kind) } else { None },
    };
    match state.store.update_council_fields(&user.actor(), &id, &fields, expected).await {
        Ok(_) => Ok(Redirect::to(&format!("/services/{id}?updated=1")).into_response()),
        Err(StoreError::Invalid(e)) => {
            // The form chooses framework and lot together.
            let field = if matches!(e.field.as_str(), "framework_id" | "lot_id") { "framework_lot" } else { e.field.as_str() };
            errors.add(field, &e.message);
            render_edit(&state, &user, &s, form, &errors, axum::http::StatusCode::BAD_REQUEST, None).await
        }
        Err(StoreError::Stale { current }) => {
            let now = state.store.service(&id).await?;
            let framework_text = |fw: Option<&str>, lot: Option<&str>| -> String {
                let Some(f) = fw.and_then(|fw| frameworks.iter().find(|f| f.id == fw)) else { return String::new() };
                match lot.and_then(|l| f.lots.iter().find(|x| x.id == l)) {
                    Some(l) => format!("{} – {}", f.name, l.name),
                    None => f.name.clone(),
                }
            };
            let date_text = |d: Option<String>| d.as_deref().map(crate::render::format_date).unwrap_or_default();
            let changes = caremarket_core::versions::changes([
                ("Contract status", now.contract_status.label().to_string(), fields.contract_status.label().to_string()),
                (
                    "Framework and lot",
                    framework_text(now.framework_id.as_deref(), now.lot_id.as_deref()),
                    framework_text(fields.framework_id.as_deref(), fields.lot_id.as_deref()),
                ),
                ("Contract start date", date_text(now.contract_start.clone()), date_text(fields.contract_start.map(|d| d.to_string()))),
                ("Contract end date", date_text(now.contract_end.clone()), date_text(fields.contract_end.map(|d| d.to_string()))),
                ("Kind of service", now.kind.label().to_string(), kind.label().to_string()),
                ("Council notes", now.council_notes.clone().unwrap_or_default(), notes.clone()),
            ]);
            let stale = crate::versions::stale(&state, "service", &id, current, expected, changes).await?;
            render_edit(&state, &user, &now, form_at(stale.current.to_string()), &errors, crate::versions::STATUS, Some(stale.notice)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ----- providers -----

#[derive(serde::Deserialize)]
struct ProviderQuery {
    q: Option<String>,
    page: Option<String>,
}

async fn providers(
    user: CurrentUser,
    State(state): State<AppState>,
    axum::extract::Query(pq): axum::extract::Query<ProviderQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewRegister)?;
    let page_no = match pq.page.as_deref() {
        None | Some("") => 1,
        Some(p) => p.parse().map_err(|_| AppError::BadRequest(format!("The 'page' parameter '{p}' is not a page number")))?,
    };
    let q = pq.q.unwrap_or_default();
    let page = state.store.providers(Some(&q), page_no, 50).await?;
    let pages = page.pages();
    let qs = serde_urlencoded::to_string([("q", q.as_str())]).unwrap_or_default();
    let ctx = user.context(&state).await?;
    let html = state.renderer.render(
        "providers.html",
        &ctx,
        context! {
            page => page, q => q, pages => pages,
            prev_href => if page_no > 1 { Some(format!("/providers?{qs}&page={}", page_no - 1)) } else { None },
            next_href => if page_no < pages { Some(format!("/providers?{qs}&page={}", page_no + 1)) } else { None },
            page_href => format!("/providers?{qs}&page={{page}}"),
        },
    )?;
    Ok(Html(html).into_response())
}

async fn provider(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ViewRegister)?;
    render_provider(&state, &user, &id, None).await
}

/// A provider's page; after a refused save of its notes (`stale`: the notice, the notes as
/// submitted and the version now) the form keeps what was typed.
async fn render_provider(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    stale: Option<(minijinja::Value, String, i64)>,
) -> Result<Response, AppError> {
    let p = state.store.provider(id).await?;
    let services = state
        .store
        .services(&ServiceFilter {
            provider_id: Some(id.to_string()),
            any_area: true,
            registration: Some("all".into()),
            per_page: 1000,
            ..Default::default()
        })
        .await?;
    let beds: i64 = services.items.iter().filter(|s| s.registration_status != "deregistered").filter_map(|s| s.beds).sum();
    let mut histories = Vec::new();
    for s in &services.items {
        histories.push(context! { service => s, history => state.store.rating_history(&s.id).await? });
    }
    let ctx = user.context(state).await?;
    let status = if stale.is_some() { crate::versions::STATUS } else { axum::http::StatusCode::OK };
    let (stale, notes_value, notes_version) = match stale {
        Some((notice, notes, version)) => (Some(notice), Some(notes), Some(version)),
        None => (None, None, None),
    };
    let html = state.renderer.render(
        "provider.html",
        &ctx,
        context! {
            p => p, services => services.items, beds => beds, histories => histories,
            can_edit => user.user.role.can(Permission::EditCouncilFields),
            stale => stale, notes_value => notes_value, notes_version => notes_version,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

#[derive(serde::Deserialize)]
struct NotesForm {
    notes: String,
    #[serde(default)]
    version: String,
}

async fn save_provider_notes(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<CsrfForm<NotesForm>, Response>,
) -> Result<Response, AppError> {
    user.require(Permission::EditCouncilFields)?;
    let form = match form {
        Ok(CsrfForm(f)) => f,
        Err(refusal) => return Ok(refusal),
    };
    if let Err(e) = caremarket_core::limits::check_text("notes", "Notes", &form.notes, caremarket_core::limits::NOTES_CHARS) {
        return Err(AppError::BadRequest(e.message));
    }
    let expected = crate::versions::from_form(&[("version".to_string(), form.version.clone())]);
    match state.store.update_provider_notes(&user.actor(), &id, Some(&form.notes), expected).await {
        Ok(()) => Ok(Redirect::to(&format!("/providers/{id}?updated=1")).into_response()),
        Err(StoreError::Stale { current }) => {
            let now = state.store.provider(&id).await?;
            let changes =
                caremarket_core::versions::changes([("Notes about this provider", now.notes.unwrap_or_default(), form.notes.clone())]);
            let stale = crate::versions::stale(&state, "provider", &id, current, expected, changes).await?;
            render_provider(&state, &user, &id, Some((stale.notice, form.notes, stale.current))).await
        }
        Err(e) => Err(e.into()),
    }
}
