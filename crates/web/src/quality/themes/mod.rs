//! CQC report theme analysis (`004` §4.11–4.15): the theme table with gaps, a theme's issues and
//! offers, issues per service, and coding issues from a report (a form of several rows, or a CSV
//! upload). Everyone on the staff reads (ViewQuality); quality officers code (RecordQuality) and
//! manage offers (ManageFrameworks).

mod coding;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_core::quality::OfferStatus;
use caremarket_core::register::ServiceKind;
use caremarket_core::versions::Version;
use caremarket_store::StoreError;
use caremarket_store::quality::themes::{NewOffer, ThemeFilter};
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/themes", get(themes_page))
        .route("/quality/themes/by-service", get(by_service_page))
        .route("/quality/themes/{code}", get(theme_page))
        .route("/quality/themes/{code}/offers", post(add_offer))
        .route("/quality/theme-offers/{id}", post(change_offer))
        .merge(coding::routes())
}

// ----- errors shown on forms -----

/// The theme forms' GOV.UK date inputs.
pub(super) fn form_errors() -> FormErrors {
    FormErrors::new(&["report_date", "target_date", "done_on", "opened_on", "from", "to"])
}

// ----- filters -----

/// Which services count: `004`'s analysis covers residential and nursing homes, so that is the
/// default; "all" or one kind otherwise.
fn scope_kinds(scope: &str) -> Vec<ServiceKind> {
    match scope {
        "" | "care_homes" => vec![ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing],
        "all" => vec![],
        other => ServiceKind::parse(other).map(|k| vec![k]).unwrap_or_else(|| scope_kinds("care_homes")),
    }
}

fn scope_options() -> Vec<serde_json::Value> {
    let mut v = vec![
        json!({"value": "care_homes", "text": "Care homes (residential and nursing)"}),
        json!({"value": "all", "text": "All services"}),
    ];
    v.extend(ServiceKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})));
    v
}

struct Filters {
    filter: ThemeFilter,
    scope: String,
    from: Value,
    to: Value,
    query: String,
}

fn read_filters(q: &[(String, String)], errors: &mut FormErrors) -> Filters {
    let scope = match field(q, "scope") {
        "" => "care_homes".to_string(),
        s => s.to_string(),
    };
    let mut date = |name: &str, label: &str| match form_date(q, name, label) {
        Ok(d) => d,
        Err(m) => {
            errors.add(name, &m);
            None
        }
    };
    let from = date("from", "The start of the report date range");
    let to = date("to", "The end of the report date range");
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.add("to", "The end of the report date range must be on or after its start");
    }
    let query = serde_urlencoded::to_string(
        q.iter().filter(|(k, v)| !v.is_empty() && (k == "scope" || k.starts_with("from-") || k.starts_with("to-"))).collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    Filters {
        filter: ThemeFilter { kinds: scope_kinds(&scope), from, to, ..Default::default() },
        scope,
        from: date_parts(q, "from"),
        to: date_parts(q, "to"),
        query,
    }
}

fn describe_scope(f: &ThemeFilter, scope: &str) -> String {
    let what = match scope {
        "care_homes" => "care homes".to_string(),
        "all" => "all services".to_string(),
        other => ServiceKind::parse(other).map(|k| k.label().to_lowercase()).unwrap_or_else(|| "care homes".into()),
    };
    let dates = match (f.from, f.to) {
        (Some(a), Some(b)) => format!(", reports from {a} to {b}"),
        (Some(a), None) => format!(", reports from {a}"),
        (None, Some(b)) => format!(", reports up to {b}"),
        (None, None) => String::new(),
    };
    format!("{what}{dates}")
}

// ----- the theme table -----

async fn themes_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let mut errors = form_errors();
    let f = read_filters(&q, &mut errors);
    let (counts, totals) = state.store.theme_counts(&f.filter).await?;
    let max = counts.iter().map(|c| c.issues).max().unwrap_or(0).max(1);
    let rows: Vec<Value> = counts
        .iter()
        .map(|c| {
            context! {
                code => c.theme.code, name => c.theme.name, issues => c.issues, services => c.services, reports => c.reports,
                offers_in_place => c.offers_in_place, offers_tentative => c.offers_tentative, gap => c.gap,
                excluded => !c.theme.in_training_analysis,
                bar => (c.issues * 100).div_ceil(max),
            }
        })
        .collect();
    let base = user.context(&state).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let html = state.renderer.render(
        "quality_themes.html",
        &base,
        context! {
            rows => rows, totals => totals, errors => errors.list, field_errors => errors.by_field,
            scope => f.scope, scope_options => scope_options(), from => f.from, to => f.to, query => f.query,
            described => describe_scope(&f.filter, &f.scope),
            can_code => user.role().can(Permission::RecordQuality),
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn by_service_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let mut errors = form_errors();
    let f = read_filters(&q, &mut errors);
    let themes = state.store.cqc_themes().await?;
    let rows = state.store.theme_counts_by_service(&f.filter).await?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            let themes: Vec<Value> = themes
                .iter()
                .filter_map(|t| r.counts.by_theme.get(&t.code).map(|n| (t, *n)))
                .map(|(t, n)| context! { code => t.code, name => t.name, issues => n })
                .collect();
            context! {
                service_id => r.service_id, service_name => r.service_name, provider_name => r.provider_name,
                issues => r.counts.issues, reports => r.counts.reports, themes => themes,
            }
        })
        .collect();
    let base = user.context(&state).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let html = state.renderer.render(
        "quality_themes_by_service.html",
        &base,
        context! {
            rows => rows, errors => errors.list, field_errors => errors.by_field,
            scope => f.scope, scope_options => scope_options(), from => f.from, to => f.to, query => f.query,
            described => describe_scope(&f.filter, &f.scope),
        },
    )?;
    Ok((status, Html(html)).into_response())
}

// ----- one theme: its issues and offers -----

fn offer_status_options() -> Vec<serde_json::Value> {
    OfferStatus::ALL.iter().map(|s| json!({"value": s.as_str(), "text": s.label()})).collect()
}

/// The offer forms of a theme page as the officer left them: the Add form's values after a
/// mistake, or one row's change form after a mistake or a refused save (with the version it now
/// carries), and how the page answers.
struct OfferForms<'a> {
    add: Option<&'a OfferForm>,
    edit: Option<(&'a str, &'a OfferForm, i64)>,
    reply: crate::versions::Reply,
}

impl OfferForms<'_> {
    fn status(status: StatusCode) -> OfferForms<'static> {
        OfferForms { add: None, edit: None, reply: crate::versions::Reply::status(status) }
    }
}

async fn render_theme(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    q: &[(String, String)],
    forms: OfferForms<'_>,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let themes = state.store.cqc_themes().await?;
    let theme = themes.iter().find(|t| t.code == code).cloned().ok_or(AppError::NotFound)?;
    let mut ferr = form_errors();
    let f = read_filters(q, &mut ferr);
    let filter = ThemeFilter { theme_code: Some(theme.code.clone()), ..f.filter.clone() };
    let codings = state.store.theme_codings(&filter).await?;
    let by_service = state.store.theme_counts_by_service(&filter).await?;
    let offers = state.store.theme_offers(Some(&theme.code)).await?;
    let statuses: Vec<OfferStatus> = offers.iter().map(|o| o.status).collect();
    let gap = caremarket_core::quality::themes::is_gap(&theme, &statuses);
    let form = forms.add;
    let edit = forms.edit.map(|(id, f, version)| {
        context! { id => id, offer => f.offer, offered_by => f.offered_by, status => f.status, notes => f.notes, version => version }
    });
    let base = user.context(state).await?;
    let html = state.renderer.render(
        "quality_theme.html",
        &base,
        context! {
            theme => theme, codings => codings, by_service => by_service, offers => offers, gap => gap,
            errors => errors.list, field_errors => errors.by_field, edit => edit, stale => forms.reply.stale,
            offer => form.map(|f| f.offer.as_str()).unwrap_or(""), offered_by => form.map(|f| f.offered_by.as_str()).unwrap_or(""),
            status => form.map(|f| f.status.as_str()).unwrap_or(""), notes => form.map(|f| f.notes.as_str()).unwrap_or(""),
            status_options => offer_status_options(), query => f.query, described => describe_scope(&f.filter, &f.scope),
            can_code => user.role().can(Permission::RecordQuality),
            can_manage => user.role().can(Permission::ManageFrameworks),
            saved => field(q, "saved"),
        },
    )?;
    Ok((forms.reply.status, Html(html)).into_response())
}

async fn theme_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    render_theme(&state, &user, &code, &q, OfferForms::status(StatusCode::OK), form_errors()).await
}

/// A training or support offer as its form sends it; `action` is "withdraw" to withdraw one.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OfferForm {
    offer: String,
    offered_by: String,
    status: String,
    notes: String,
    action: String,
    /// The offer's version when its row's form was opened (decision 25); the Add form has none.
    version: String,
}

impl OfferForm {
    fn offer(&self) -> NewOffer {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        NewOffer { offer: self.offer.clone(), offered_by: opt(&self.offered_by), status: self.status.clone(), notes: opt(&self.notes) }
    }
}

async fn add_offer(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<OfferForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let mut errors = form_errors();
    if form.status.is_empty() {
        errors.add("status", "Choose the status of the offer");
    }
    if errors.is_empty() {
        match state.store.add_theme_offer(&user.actor(), &code, &form.offer()).await {
            Ok(_) => return Ok(Redirect::to(&format!("/quality/themes/{code}?saved=offer#offers")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    let forms = OfferForms { add: Some(&form), ..OfferForms::status(StatusCode::BAD_REQUEST) };
    render_theme(&state, &user, &code, &[], forms, errors).await
}

/// Change an offer (from the theme page's per-offer form) or withdraw it (`action=withdraw`).
async fn change_offer(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<OfferForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let offer = state.store.theme_offer(&id).await?;
    let expected = Version::parse(&form.version).unwrap_or(Version::STALE_FORM);
    let result = if form.action == "withdraw" {
        state.store.withdraw_theme_offer(&user.actor(), &id).await
    } else {
        state.store.update_theme_offer_at(&user.actor(), &id, &form.offer(), expected).await
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/quality/themes/{}?saved=offer#offers", offer.theme_code)).into_response()),
        Err(StoreError::Stale { current }) => {
            let now = state.store.theme_offer(&id).await?;
            let typed = form.offer();
            let status_label = |s: &str| OfferStatus::parse(s).map(|s| s.label().to_string()).unwrap_or_default();
            let changes = caremarket_core::versions::changes([
                ("Offer", now.offer.clone(), typed.offer.trim().to_string()),
                ("Offered by (optional)", now.offered_by.clone().unwrap_or_default(), typed.offered_by.clone().unwrap_or_default()),
                ("Status", now.status_label.to_string(), status_label(&form.status)),
                ("Notes (optional)", now.notes.clone().unwrap_or_default(), typed.notes.clone().unwrap_or_default()),
            ]);
            let stale = crate::versions::stale(&state, "theme_offer", &id, current, expected, changes).await?;
            let forms = OfferForms { add: None, edit: Some((&id, &form, current)), reply: crate::versions::Reply::stale(stale.notice) };
            render_theme(&state, &user, &offer.theme_code, &[], forms, form_errors()).await
        }
        Err(StoreError::Invalid(fe)) => {
            let mut errors = form_errors();
            errors.add(&fe.field, &format!("{} (offer “{}”)", fe.message, offer.offer));
            let forms = OfferForms { add: None, edit: Some((&id, &form, expected.get())), ..OfferForms::status(StatusCode::BAD_REQUEST) };
            render_theme(&state, &user, &offer.theme_code, &[], forms, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// This part's section of a service's quality tab (`_quality_section_themes.html`): the issues
/// coded from its CQC reports, by theme, with report dates.
pub(super) async fn service_section(
    state: &AppState,
    user: &CurrentUser,
    service_id: &str,
) -> Result<Option<minijinja::Value>, crate::error::AppError> {
    if !user.role().can(Permission::ViewQuality) {
        return Ok(None);
    }
    let filter = ThemeFilter { service_id: Some(service_id.to_string()), ..Default::default() };
    let codings = state.store.theme_codings(&filter).await?;
    let themes = state.store.cqc_themes().await?;
    let by_theme: Vec<Value> = themes
        .iter()
        .filter_map(|t| {
            let mine: Vec<&caremarket_store::quality::themes::Coding> = codings.iter().filter(|c| c.theme_code == t.code).collect();
            if mine.is_empty() {
                return None;
            }
            let mut dates: Vec<&str> = mine.iter().map(|c| c.report_date.as_str()).collect();
            dates.sort_unstable();
            dates.dedup();
            Some(context! { code => t.code, name => t.name, issues => mine.len(), report_dates => dates })
        })
        .collect();
    let reports = codings.iter().map(|c| c.report_date.as_str()).collect::<std::collections::BTreeSet<_>>().len();
    Ok(Some(context! {
        codings => codings, by_theme => by_theme, issues => codings.len(), reports => reports,
        can_code => user.role().can(Permission::RecordQuality),
    }))
}
