//! The Self-Directed Support figures of `000`, with drill-down to the records for DP roles.

use super::{Lists, lists, page};
use crate::AppState;
use crate::as_at::AsAt;
use crate::auth::CurrentUser;
use crate::error::AppError;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::equality::{SUPPRESS_BELOW, count_by, publishable, published_count};
use caremarket_core::direct_payments::figures::{self, percent};
use caremarket_core::direct_payments::{CATEGORIES, money_pounds};
use minijinja::{Value, context};

fn year_ago(today: Date) -> Date {
    today.checked_sub(jiff::Span::new().years(1)).unwrap_or(today)
}

pub(super) async fn figures_page(user: CurrentUser, State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPaymentFigures)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let asked = AsAt::parse(&pairs, caremarket_store::today());
    // `today` is the date the figures are as at: every figure below is counted to it.
    let today = asked.date;
    let from = year_ago(today);
    let l = lists(&state).await?;
    let facts = state.store.dp_facts().await?;
    let trend: Vec<Date> = (0..5).rev().filter_map(|i| today.checked_sub(jiff::Span::new().months(i * 3)).ok()).collect();
    let f = figures::compute(&facts, today, state.store.long_term_support().await?, &trend);
    let spend_from = from.checked_add(jiff::Span::new().days(1)).unwrap_or(from);
    let cats = state.store.spend_by_category(spend_from, today, false).await?;
    let areas = state.store.spend_by_area(spend_from, today, false).await?;
    let child_spend: i64 = state.store.spend_by_area(spend_from, today, true).await?.iter().map(|(_, v)| v).sum();
    let drill = user.role().can(Permission::ViewDirectPayments);
    let since = spend_from.to_string();
    // A retired reason or area is shown only where records still have it.
    let reasons: Vec<&(String, String)> =
        l.reasons.iter().filter(|(c, _)| Lists::in_use(&l.reasons_in_use, c) || f.ends_by_reason.get(c).is_some_and(|n| *n > 0)).collect();
    let bars: Vec<(String, i64)> = reasons.iter().map(|(c, t)| (t.clone(), f.ends_by_reason.get(c).copied().unwrap_or(0))).collect();
    let svg = figures::bar_chart_svg(&format!("Ended direct payments by closure reason, {} to {today}", spend_from), &bars);
    let ends: Vec<Value> = reasons
        .iter()
        .map(|(c, t)| {
            let n = f.ends_by_reason.get(c).copied().unwrap_or(0);
            context! { label => t, n => n, share => percent(figures::share_bp(n, f.ends_12m)), href => format!("/direct-payments?status=ended&child=0&closure_reason={c}&ended_since={since}") }
        })
        .collect();
    let by_area: Vec<Value> = l
        .areas
        .iter()
        .filter(|(c, _)| {
            Lists::in_use(&l.areas_in_use, c) || f.by_service_area.get(c).is_some_and(|n| *n > 0) || areas.iter().any(|(a, v)| a == c && *v != 0)
        })
        .map(|(c, t)| {
            let spend = areas.iter().find(|(a, _)| a == c).map(|(_, v)| *v).unwrap_or(0);
            context! { label => t, n => f.by_service_area.get(c).copied().unwrap_or(0), spend => money_pounds(spend), href => format!("/direct-payments?child=0&service_area={c}") }
        })
        .collect();
    let by_cat: Vec<Value> = CATEGORIES
        .iter()
        .map(|(c, t)| {
            let (people, spend) = cats.iter().find(|(k, _, _)| k == c).map(|(_, p, s)| (*p, *s)).unwrap_or((0, 0));
            context! { label => *t, n => people, spend => money_pounds(spend), href => format!("/direct-payments?status=all&child=0&category={c}&spend_since={since}") }
        })
        .collect();
    // Equality monitoring, published as counts with small numbers suppressed (`equality`).
    let open: Vec<&figures::DpFact> = facts.iter().filter(|d| !d.is_child && d.open_on(today)).collect();
    let equality_rows = |labels: &[(String, String)], pick: fn(&figures::DpFact) -> Option<&str>| -> Vec<Value> {
        let codes: Vec<String> = labels.iter().map(|(c, _)| c.clone()).collect();
        count_by(open.iter().map(|d| pick(d)), &codes)
            .into_iter()
            .map(|(c, n)| {
                let label = if c.is_empty() { "Not recorded".to_string() } else { super::label_owned(labels, &c) };
                let share = if publishable(n).is_some() { percent(figures::share_bp(n, f.adult_recipients)) } else { "–".into() };
                context! { label => label, n => published_count(n), share => share }
            })
            .collect()
    };
    let by_ethnicity = equality_rows(&l.ethnicities, |d| d.ethnicity.as_deref());
    let by_religion = equality_rows(&l.religions, |d| d.religion.as_deref());
    let total_spend: i64 = cats.iter().map(|(_, _, s)| s).sum();
    let trend: Vec<Value> = f.own_budget_trend.iter().map(|(d, bp)| context! { as_at => d, share => percent(*bp) }).collect();
    // The same points as the table beneath it, to the nearest whole per cent (the table has tenths).
    let trend_bars: Vec<(String, i64)> =
        f.own_budget_trend.iter().map(|(d, bp)| (crate::render::format_date(d), (bp + 50).div_euclid(100))).collect();
    let trend_svg = caremarket_core::charts::bar_chart_svg(
        "own-budget",
        &format!(
            "Share of adults with a direct payment holding their own budget, by quarter to {}",
            crate::render::format_date(&today.to_string())
        ),
        &trend_bars,
        "%",
    );
    page(
        &state,
        &user,
        "dp_figures.html",
        StatusCode::OK,
        context! {
            f => f, as_at => today.to_string(), from => since, drill => drill,
            as_at_view => asked.view(), errors => asked.summary_error().into_iter().collect::<Vec<_>>(),
            share => f.share_of_long_term_bp.map(percent), own_share => percent(f.own_budget_bp), managed_share => percent(10_000 - f.own_budget_bp),
            ends => ends, chart => Value::from_safe_string(svg), trend_chart => Value::from_safe_string(trend_svg), by_area => by_area,
            by_ethnicity => by_ethnicity, by_religion => by_religion, suppress_below => SUPPRESS_BELOW, by_cat => by_cat, trend => trend,
            total_spend => money_pounds(total_spend), child_spend => money_pounds(child_spend),
            pa => state.store.pa_counts(today).await?,
            reclaim_headline => state.store.reclaims(Some(spend_from)).await?.0.headline(),
        },
    )
    .await
}
