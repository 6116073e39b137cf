//! The quality dashboard (`/quality`): the Market Oversight Report's quality sentences computed
//! from records with links to the records behind each, RAG by kind of service, escalations,
//! the restrictions and embargo list, action plans, due and overdue visits, the watch list and
//! CQC report themes.

use crate::AppState;
use crate::as_at::AsAt;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::forms::form_date;
use crate::render::field_error;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Html;
use axum::routing::get;
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::charts::{Series, stacked_bar_chart_svg};
use caremarket_store::quality::figures::CARE_HOME_KINDS;
use caremarket_store::quality::themes::ThemeFilter;
use caremarket_store::today;
use minijinja::context;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/quality", get(page))
}

/// The report's period by default: from the start of the year to today (`000` reports
/// "January 2024 to October 2024" in a November report).
fn default_period(on: Date) -> Result<(Date, Date), AppError> {
    let start = Date::new(on.year(), 1, 1).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((start, on))
}

async fn page(user: CurrentUser, State(state): State<AppState>, RawQuery(q): RawQuery) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewQuality)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q.as_deref().unwrap_or("")).unwrap_or_default();
    let as_at = AsAt::parse(&pairs, today());
    let on = as_at.date;
    let (mut from, mut to) = default_period(on)?;
    let mut errors: Vec<minijinja::Value> = as_at.summary_error().into_iter().collect();
    match form_date(&pairs, "from", "The start of the period") {
        Ok(Some(d)) => from = d,
        Ok(None) => {}
        Err(e) => errors.push(field_error("from-day", &e)),
    }
    match form_date(&pairs, "to", "The end of the period") {
        Ok(Some(d)) if d > on && as_at.is_today() => {
            errors.push(field_error("to-day", "The end of the period must be today or in the past"))
        }
        Ok(Some(d)) if d > on => {
            errors.push(field_error("to-day", "The end of the period must be on or before the date the figures are as at"))
        }
        Ok(Some(d)) => to = d,
        Ok(None) => {}
        Err(e) => errors.push(field_error("to-day", &e)),
    }
    if from > to && errors.is_empty() {
        errors.push(field_error("from-day", "The start of the period must be on or before its end"));
        (from, to) = default_period(on)?;
    }
    // The default period's figures are kept (issue 18 item 2); another period is computed now.
    let figures = if as_at.is_today() && (from, to) == default_period(on)? {
        state.store.kept_quality_figures(on, from, to).await?
    } else {
        let figures = state.store.quality_figures(on, from, to).await?;
        caremarket_store::kept::Kept { value: figures, computed_at: caremarket_store::now_timestamp(), version: 0 }
    };
    // RAG by kind as a chart, beside the same counts in the table (issue 16 item 11). GOV.UK's
    // tag colours; amber carries dark text for contrast.
    let rag_series = [
        Series { name: "Green", fill: "#00703c", text: "#ffffff" },
        Series { name: "Amber", fill: "#ffdd00", text: "#0b0c0c" },
        Series { name: "Red", fill: "#d4351c", text: "#ffffff" },
        Series { name: "Not assessed", fill: "#b1b4b6", text: "#0b0c0c" },
    ];
    let rag_rows: Vec<(String, Vec<i64>)> = figures
        .value
        .rag_by_kind
        .iter()
        .map(|k| (k.kind.label().to_string(), vec![k.counts.green, k.counts.amber, k.counts.red, k.counts.not_assessed]))
        .collect();
    let rag_chart = stacked_bar_chart_svg(
        "rag-chart",
        &format!("The council's RAG status by kind of service, as at {}", crate::render::format_date(&on.to_string())),
        &rag_series,
        &rag_rows,
    );
    // Today's list is kept; a past date's is read now.
    let restrictions =
        if as_at.is_today() { state.store.kept_restrictions(on).await?.value } else { state.store.restrictions(Some(on)).await? };
    // Scores are kept for today only: a past date's page says so rather than show today's.
    let watch = state.store.kept_watch_top(today(), 10).await?;
    // `004` §4.11 analysed residential and nursing homes' reports: the same scope here.
    let theme_filter = ThemeFilter { kinds: CARE_HOME_KINDS.to_vec(), ..Default::default() };
    let (themes, theme_totals) = state.store.theme_counts(&theme_filter).await?;
    let base = user.context(&state).await?;
    Ok(Html(state.renderer.render(
        "quality_dashboard.html",
        &base,
        context! {
            figures => figures.value,
            computed_at => figures.computed_at,
            restrictions => restrictions,
            watch => super::signals::watch_view(&watch.value),
            watch_computed_at => watch.computed_at,
            themes => themes,
            theme_totals => theme_totals,
            as_at => as_at.view(),
            rag_chart => minijinja::Value::from_safe_string(rag_chart),
            from => from.to_string(),
            to => to.to_string(),
            errors => errors,
            can_record => user.user.role.can(Permission::RecordQuality),
        },
    )?))
}
