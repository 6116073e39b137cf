//! The quarterly Market Oversight Report (issue 12 item 5; `000`): chosen by its as-at date,
//! shown as a page (with print styles) and downloaded as Word; officers write each section's
//! narrative and action plan, and publishing a quarter freezes it. Every route checks a
//! permission: staff read reports, commissioners and administrators write and publish them.

pub mod build;
pub mod docx;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormErrors;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::governance::quarter::Quarter;
use caremarket_core::register::ServiceKind;
use caremarket_core::reports::quarterly::{
    Figure, FrontMatter, Market, MarketKinds, Published, QuarterlyReport, Section, SectionReport, Table, long_date,
};
use caremarket_store::reports::REPORT_SETTINGS;
use minijinja::{Value, context};
use serde::Deserialize;

pub use build::build_quarterly;

/// Who reads the report: every council role, councillors and scrutiny officers included (it
/// holds figures, never a person).
const VIEW: Permission = Permission::ViewReports;
/// Who writes narrative, settings and publishes.
const MANAGE: Permission = Permission::ManageGovernance;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/quarterly", get(show))
        .route("/reports/quarterly.docx", get(download))
        .route("/reports/quarterly/section", get(section_form).post(save_section))
        .route("/reports/quarterly/settings", get(settings_form).post(save_settings))
        .route("/reports/quarterly/publish", post(publish))
}

#[derive(Debug, Default, Deserialize)]
struct AsAtQuery {
    as_at: Option<String>,
    market: Option<String>,
    section: Option<String>,
    saved: Option<String>,
}

/// The as-at date asked for: a date, or by default the end of the last quarter that has ended.
/// A date after today is refused (figures are never forecast), naming the parameter.
fn as_at(q: &AsAtQuery) -> Result<Date, AppError> {
    let today = caremarket_store::today();
    match q.as_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Quarter::containing(today).previous().end()),
        Some(s) => {
            let d: Date = s.parse().map_err(|_| AppError::BadRequest(format!("as_at: '{s}' is not a date (use YYYY-MM-DD)")))?;
            if d > today {
                return Err(AppError::BadRequest(format!("as_at: {s} is in the future; choose today or an earlier date")));
            }
            Ok(d)
        }
    }
}

fn as_at_options(selected: Date) -> Vec<Value> {
    let today = caremarket_store::today();
    let mut dates: Vec<Date> = Quarter::recent(today, 8, false).into_iter().map(Quarter::end).collect();
    dates.insert(0, today);
    if !dates.contains(&selected) {
        dates.push(selected);
    }
    dates
        .into_iter()
        .map(|d| {
            let label = if d == today {
                format!("Today, {}", long_date(d))
            } else {
                format!("{} (end of {})", long_date(d), QuarterlyReport::title_for(d))
            };
            context! { value => d.to_string(), text => label }
        })
        .collect()
}

fn figure_view(f: &Figure, previous: Option<&Figure>, previous_title: Option<&str>) -> Value {
    context! {
        label => f.label,
        value => f.display(),
        has_value => f.value.is_some(),
        context => f.context,
        when => f.when.text(),
        when_label => f.when.label(),
        definition => f.definition,
        source => f.source,
        link => f.link,
        change => previous.and_then(|p| f.change_since(p)).map(|c| format!("{} since {}", caremarket_core::text::sentence_case(&c), previous_title.unwrap_or("the last report"))),
    }
}

fn table_view(t: &Table) -> Value {
    // The SVG's text is escaped by core's chart function, so the template may insert it as is.
    let chart = t.chart.as_ref().map(|c| caremarket_core::charts::bar_chart_svg(&format!("chart-{}", t.key), &c.title, &c.bars, &c.suffix));
    context! { caption => t.caption, head => t.head, rows => t.rows, when => t.when.text(), definition => t.definition, source => t.source, link => t.link, chart => chart }
}

fn section_view(r: &QuarterlyReport, s: &SectionReport, previous: Option<&QuarterlyReport>) -> Value {
    let figures: Vec<Value> = s
        .figures
        .iter()
        .map(|f| {
            let p = previous.and_then(|p| QuarterlyReport::previous_figure(p, s, f));
            figure_view(f, p, previous.map(|p| p.title.as_str()))
        })
        .collect();
    context! {
        market => s.market.as_str(),
        market_label => s.market.label(),
        section => s.section.as_str(),
        section_label => s.section.label(),
        figures => figures,
        tables => s.tables.iter().map(table_view).collect::<Vec<_>>(),
        narrative => s.narrative,
        action_plan => s.action_plan,
        edit_href => format!("/reports/quarterly/section?as_at={}&market={}&section={}", r.as_at, s.market.as_str(), s.section.as_str()),
    }
}

/// The report as the page and the standalone file show it.
fn report_view(report: &QuarterlyReport, previous: Option<&QuarterlyReport>) -> Value {
    let markets: Vec<Value> = Market::ALL
        .iter()
        .map(|m| {
            let sections: Vec<Value> =
                report.sections.iter().filter(|s| s.market == *m).map(|s| section_view(report, s, previous)).collect();
            context! { label => m.label(), id => m.as_str(), sections => sections }
        })
        .collect();
    context! {
        report_title => report.title,
        council => report.council,
        as_at => report.as_at.to_string(),
        as_at_text => long_date(report.as_at),
        computed_at => crate::render::format_timestamp(&report.computed_at),
        published => report.published.as_ref().map(|p| context! { at => crate::render::format_timestamp(&p.at), by => p.by }),
        previous_title => previous.map(|p| p.title.clone()),
        duty => report.front_matter.duty,
        themes => report.front_matter.themes,
        good => report.front_matter.good,
        delivery_plan => report.delivery_plan.as_ref().map(table_view),
        markets => markets,
        appendix => report.appendix(),
    }
}

/// The report as one HTML file with its stylesheet inside (for `caremarket report quarterly
/// --format html`): no links to the application, which a file opened elsewhere cannot follow.
pub fn html(report: &QuarterlyReport) -> Result<String, AppError> {
    let renderer = crate::render::Renderer::new()?;
    let base = crate::render::BaseContext::new(report.council.clone(), None, String::new());
    renderer.render(
        "report_standalone.html",
        &base,
        context! { ..report_view(report, None), ..context! { standalone => true, stylesheet => crate::assets::stylesheet() } },
    )
}

async fn show(user: CurrentUser, State(state): State<AppState>, Query(q): Query<AsAtQuery>) -> Result<Response, AppError> {
    user.require(VIEW)?;
    let d = as_at(&q)?;
    let report = build_quarterly(&state.store, d).await?;
    let previous = state.store.previous_published_report(d).await?;
    let banner = match q.saved.as_deref() {
        Some("section") => Some("The section was saved."),
        Some("settings") => Some("The report's settings were saved."),
        Some("published") => Some("The report was published: its figures and words are now frozen."),
        _ => None,
    };
    // The committee items this report is the paper of (issue 12 item 3): a link to the report as at
    // this date, or to the report with no date.
    let mut papers: Vec<Value> = Vec::new();
    if user.role().can(Permission::ViewGovernance) {
        for item in state.store.committee_items_for_paper("/reports/quarterly").await? {
            let url = item.paper.as_ref().map(|p| p.url().to_string()).unwrap_or_default();
            if url.contains("as_at=") && !url.contains(&format!("as_at={d}")) {
                continue;
            }
            let committee = state.store.committee(&item.committee_id).await?;
            let meeting = match item.meeting_id.as_deref() {
                Some(mid) => Some(long_date(state.store.meeting(mid).await?.meets_on)),
                None => None,
            };
            papers.push(context! {
                href => format!("/governance/committees/{}/items/{}", committee.id, item.id),
                title => crate::governance::plain_text(&item.title),
                committee => committee.name,
                meeting => meeting,
            });
        }
    }
    let base = user.context(&state).await?;
    let html = state.renderer.render(
        "report_quarterly.html",
        &base,
        context! {
            ..report_view(&report, previous.as_ref()),
            ..context! {
                as_at_options => as_at_options(d),
                can_manage => user.role().can(MANAGE) && report.published.is_none(),
                can_settings => user.role().can(MANAGE),
                banner => banner,
                papers => papers,
                standalone => false,
            }
        },
    )?;
    Ok(Html(html).into_response())
}

async fn download(user: CurrentUser, State(state): State<AppState>, Query(q): Query<AsAtQuery>) -> Result<Response, AppError> {
    user.require(VIEW)?;
    let d = as_at(&q)?;
    let report = build_quarterly(&state.store, d).await?;
    let bytes = docx::render(&report).map_err(|e| AppError::Internal(format!("writing the Word document: {e}")))?;
    let name = format!("market-oversight-report-{d}.docx");
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.wordprocessingml.document".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response())
}

fn market_section(q: &AsAtQuery) -> Result<(Market, Section), AppError> {
    let m = q.market.as_deref().unwrap_or_default();
    let s = q.section.as_deref().unwrap_or_default();
    let market = Market::parse(m).ok_or_else(|| AppError::BadRequest(format!("market: '{m}' is not one of the report's markets")))?;
    let section = Section::parse(s).ok_or_else(|| AppError::BadRequest(format!("section: '{s}' is not a section of the report")))?;
    if !market.sections().contains(&section) {
        return Err(AppError::BadRequest(format!("section: {} has no {} section", market.label(), section.label())));
    }
    Ok((market, section))
}

/// What the section form shows: the quarter, the section, and the words (typed, saved or carried).
struct SectionDraft<'a> {
    as_at: Date,
    market: Market,
    section: Section,
    narrative: &'a str,
    action_plan: &'a str,
    carried_from: Option<Date>,
    /// The version of the quarter's words the form was opened at (decision 25).
    version: String,
}

async fn render_section_form(
    state: &AppState,
    user: &CurrentUser,
    draft: SectionDraft<'_>,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let SectionDraft { as_at: d, market, section, narrative, action_plan, carried_from, version } = draft;
    let report = build_quarterly(&state.store, d).await?;
    let s = report.section(market, section).ok_or_else(|| AppError::NotFound)?;
    let base = user.context(state).await?;
    let html = state.renderer.render(
        "report_section_form.html",
        &base,
        context! {
            title => format!("{}: {}", market.label(), section.label()),
            report_title => report.title,
            as_at => d.to_string(),
            as_at_text => long_date(d),
            market => market.as_str(),
            section => section.as_str(),
            narrative => narrative,
            action_plan => action_plan,
            carried_from => carried_from.map(long_date),
            figures => s.figures.iter().map(|f| figure_view(f, None, None)).collect::<Vec<_>>(),
            errors => errors.list,
            field_errors => errors.by_field,
            version => version,
            stale => reply.stale,
        },
    )?;
    Ok((reply.status, Html(html)).into_response())
}

async fn section_form(user: CurrentUser, State(state): State<AppState>, Query(q): Query<AsAtQuery>) -> Result<Response, AppError> {
    user.require(MANAGE)?;
    let d = as_at(&q)?;
    let ms = market_section(&q)?;
    let n = state.store.report_narratives(d).await?.into_iter().find(|n| (n.market, n.section) == ms);
    let (narrative, plan, carried) = n.map(|n| (n.narrative, n.action_plan, n.carried_from)).unwrap_or_default();
    let version = state.store.report_narrative_version(d, ms.0, ms.1).await?.to_string();
    let draft =
        SectionDraft { as_at: d, market: ms.0, section: ms.1, narrative: &narrative, action_plan: &plan, carried_from: carried, version };
    render_section_form(&state, &user, draft, &FormErrors::default(), crate::versions::Reply::status(StatusCode::OK)).await
}

#[derive(Debug, Deserialize)]
struct SectionForm {
    as_at: String,
    market: String,
    section: String,
    #[serde(default)]
    narrative: String,
    #[serde(default)]
    action_plan: String,
    #[serde(default)]
    version: String,
}

async fn save_section(
    user: CurrentUser,
    State(state): State<AppState>,
    f: Result<CsrfForm<SectionForm>, Response>,
) -> Result<Response, AppError> {
    user.require(MANAGE)?;
    let f = match f {
        Ok(CsrfForm(f)) => f,
        Err(refusal) => return Ok(refusal),
    };
    let q = AsAtQuery { as_at: Some(f.as_at.clone()), market: Some(f.market.clone()), section: Some(f.section.clone()), saved: None };
    let d = as_at(&q)?;
    let (market, section) = market_section(&q)?;
    let mut errors = FormErrors::default();
    // The form again as typed, at a version: the one it was opened at after a mistake, the
    // record's own after a refusal.
    let typed = |version: String| SectionDraft {
        as_at: d,
        market,
        section,
        narrative: &f.narrative,
        action_plan: &f.action_plan,
        carried_from: None,
        version,
    };
    let expected = caremarket_core::versions::Version::parse(&f.version).unwrap_or(caremarket_core::versions::Version::STALE_FORM);
    match state.store.save_report_narrative_at(&user.actor(), (d, market, section), &f.narrative, &f.action_plan, expected).await {
        Ok(()) => {
            return Ok(Redirect::to(&format!("/reports/quarterly?as_at={d}&saved=section#{}-{}", market.as_str(), section.as_str()))
                .into_response());
        }
        Err(caremarket_store::StoreError::Stale { current }) => {
            let now = state.store.report_narratives(d).await?.into_iter().find(|n| (n.market, n.section) == (market, section));
            let (now_narrative, now_plan) =
                now.filter(|n| n.carried_from.is_none()).map(|n| (n.narrative, n.action_plan)).unwrap_or_default();
            let changes = caremarket_core::versions::changes([
                ("Where are we now", now_narrative, f.narrative.clone()),
                ("Action plan", now_plan, f.action_plan.clone()),
            ]);
            let id = format!("{d}/{}/{}", market.as_str(), section.as_str());
            let stale = crate::versions::stale(&state, "report_narrative", &id, current, expected, changes).await?;
            let reply = crate::versions::Reply::stale(stale.notice);
            return render_section_form(&state, &user, typed(current.to_string()), &errors, reply).await;
        }
        Err(e) => errors.add_store(e)?,
    }
    render_section_form(&state, &user, typed(f.version.clone()), &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

/// The kinds of service each market reports, as a person reads them.
fn kinds_text(kinds: &[(Market, ServiceKind)]) -> String {
    let mut out: Vec<String> = Vec::new();
    for m in Market::ALL {
        let ks: Vec<&str> = kinds.iter().filter(|(km, _)| *km == m).map(|(_, k)| k.label()).collect();
        if !ks.is_empty() {
            out.push(format!("{}: {}", m.label(), ks.join(", ")));
        }
    }
    out.join("; ")
}

fn market_kind_pairs(mk: &MarketKinds) -> Vec<(Market, ServiceKind)> {
    mk.0.iter().flat_map(|(m, ks)| ks.iter().map(move |k| (*m, *k))).collect()
}

#[allow(clippy::too_many_arguments)]
async fn render_settings(
    state: &AppState,
    user: &CurrentUser,
    fm: &FrontMatter,
    kinds: &[(Market, ServiceKind)],
    errors: &FormErrors,
    setting_versions: Vec<Value>,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let markets: Vec<Value> = Market::ALL
        .iter()
        .filter(|m| **m != Market::SelfDirectedSupport)
        .map(|m| {
            let options: Vec<Value> = ServiceKind::ALL
                .iter()
                .map(|k| {
                    context! { value => format!("{}:{}", m.as_str(), k.as_str()), text => k.label(), checked => kinds.contains(&(*m, *k)) }
                })
                .collect();
            context! { label => m.label(), id => m.as_str(), options => options }
        })
        .collect();
    let base = user.context(state).await?;
    let html = state.renderer.render(
        "report_settings.html",
        &base,
        context! {
            duty => fm.duty, themes => fm.themes, good => fm.good, markets => markets,
            errors => errors.list, field_errors => errors.by_field, setting_versions => setting_versions, stale => reply.stale,
        },
    )?;
    Ok((reply.status, Html(html)).into_response())
}

async fn settings_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(MANAGE)?;
    let fm = state.store.report_front_matter().await?;
    let mk = state.store.report_market_kinds().await?;
    let pairs = market_kind_pairs(&mk);
    let versions = crate::versions::setting_versions_now(&state, &REPORT_SETTINGS).await?;
    render_settings(&state, &user, &fm, &pairs, &FormErrors::default(), versions, crate::versions::Reply::status(StatusCode::OK)).await
}

async fn save_settings(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(MANAGE)?;
    let text = |n: &str| crate::forms::field(&form, n).to_string();
    let fm = FrontMatter { duty: text("duty"), themes: text("themes"), good: text("good") };
    let mut errors = FormErrors::default();
    let mut pairs = Vec::new();
    for (k, v) in form.iter().filter(|(k, _)| k == "kinds") {
        let parsed = v.split_once(':').and_then(|(m, kind)| Some((Market::parse(m)?, ServiceKind::parse(kind)?)));
        match parsed {
            Some(p) => pairs.push(p),
            None => errors.add(k, &format!("'{v}' is not a market and kind of service")),
        }
    }
    for (name, label, value) in
        [("duty", "The statutory duty", &fm.duty), ("themes", "CQC's themes", &fm.themes), ("good", "What good looks like", &fm.good)]
    {
        if let Err(e) = caremarket_core::limits::check_text(name, label, value, caremarket_core::limits::FIELD_CHARS) {
            errors.check_field::<()>(Err(e));
        }
    }
    let mk = match MarketKinds::from_pairs(&pairs) {
        Ok(mk) => Some(mk),
        Err(e) => {
            errors.check_field::<()>(Err(e));
            None
        }
    };
    if let (true, Some(mk)) = (errors.is_empty(), mk) {
        let expected = REPORT_SETTINGS.map(|k| crate::versions::setting_expected(&form, k));
        match state.store.set_report_settings_at(&user.actor(), &fm, &mk, expected).await {
            Ok(()) => return Ok(Redirect::to("/reports/quarterly?saved=settings").into_response()),
            Err(caremarket_store::StoreError::Stale { .. }) => {
                let (now_fm, now_mk) = (state.store.report_front_matter().await?, state.store.report_market_kinds().await?);
                let changes = caremarket_core::versions::changes([
                    ("The statutory duty", now_fm.duty, fm.duty.clone()),
                    ("CQC's assessment themes", now_fm.themes, fm.themes.clone()),
                    ("What does good look like?", now_fm.good, fm.good.clone()),
                    ("Which kinds of service each market holds", kinds_text(&market_kind_pairs(&now_mk)), kinds_text(&pairs)),
                ]);
                let stale = crate::versions::settings_stale(&state, &form, &REPORT_SETTINGS, changes).await?;
                let versions = crate::versions::setting_versions_now(&state, &REPORT_SETTINGS).await?;
                return render_settings(&state, &user, &fm, &pairs, &errors, versions, crate::versions::Reply::stale(stale.notice)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let versions = crate::versions::setting_versions_sent(&form, &REPORT_SETTINGS);
    render_settings(&state, &user, &fm, &pairs, &errors, versions, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

#[derive(Debug, Deserialize)]
struct PublishForm {
    as_at: String,
}

async fn publish(
    user: CurrentUser,
    State(state): State<AppState>,
    f: Result<CsrfForm<PublishForm>, Response>,
) -> Result<Response, AppError> {
    user.require(MANAGE)?;
    let f = match f {
        Ok(CsrfForm(f)) => f,
        Err(refusal) => return Ok(refusal),
    };
    let d = as_at(&AsAtQuery { as_at: Some(f.as_at), ..Default::default() })?;
    let mut report = build_quarterly(&state.store, d).await?;
    if report.published.is_some() {
        return Err(caremarket_store::StoreError::Conflict(format!("The report as at {} is already published", long_date(d))).into());
    }
    report.published = Some(Published { at: caremarket_store::now_timestamp(), by: user.actor().label });
    state.store.publish_report(&user.actor(), &report).await?;
    Ok(Redirect::to(&format!("/reports/quarterly?as_at={d}&saved=published")).into_response())
}
