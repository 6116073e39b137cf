//! The capacity overview (care home occupancy as `000` shows it, by bed type and area, with
//! twelve weeks of history, block beds, supported living and home care activity) and the homes
//! behind each of its figures.

use super::chart;
use super::thresholds;
use crate::AppState;
use crate::as_at::AsAt;
use crate::auth::CurrentUser;
use crate::error::AppError;
use axum::extract::{Query, RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::capacity::supported_living::{SupportWeek, sentence, total};
use caremarket_core::capacity::vacancies::{BedType, BlockBedKind, CapacityThresholds, VacancyLine, occupancy_table};
use caremarket_core::register::ServiceKind;
use caremarket_store::capacity::HomeLatest;
use minijinja::context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
struct HomeRow {
    service_id: String,
    name: String,
    provider_name: String,
    area_name: Option<String>,
    kind_label: &'static str,
    beds: Option<i64>,
    framework: bool,
    return_date: Option<String>,
    occupied: i64,
    vacant: i64,
    percent: Option<i64>,
    stale: bool,
    low: bool,
    restriction: Option<String>,
    /// "Closed to admissions since …: reason", when it is.
    closed: Option<String>,
}

fn home_row(h: &HomeLatest, t: &CapacityThresholds, today: Date, restriction: Option<String>, closed: Option<String>) -> HomeRow {
    let latest = h.return_date.as_deref().and_then(|d| d.parse::<Date>().ok());
    HomeRow {
        service_id: h.service_id.clone(),
        name: h.name.clone(),
        provider_name: h.provider_name.clone(),
        area_name: h.area_name.clone(),
        kind_label: h.kind.label(),
        beds: h.beds,
        framework: h.on_framework(),
        return_date: h.return_date.clone(),
        occupied: h.occupied(),
        vacant: h.vacant(),
        percent: caremarket_core::capacity::whole_percent(h.occupied(), h.occupied() + h.vacant()),
        stale: t.is_stale(latest, today),
        low: t.is_low_occupancy(&h.lines),
        restriction,
        closed,
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct OverviewQuery {
    saved: Option<String>,
}

pub(super) async fn overview(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<OverviewQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    user.require(Permission::ViewCapacity)?;
    let today = caremarket_store::today();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let asked = AsAt::parse(&pairs, today);
    let as_at = asked.date;
    let t = thresholds(&state).await;
    let homes = state.store.latest_vacancy_returns(as_at).await?;
    // Stale returns are shown (and flagged), not left out: a stale figure is still the latest.
    let lines: Vec<VacancyLine> = homes.iter().flat_map(|h| h.lines.clone()).collect();
    let table = occupancy_table(&lines);
    let mut by_area: BTreeMap<String, Vec<VacancyLine>> = BTreeMap::new();
    for h in &homes {
        by_area.entry(h.area_name.clone().unwrap_or_else(|| "No area".into())).or_default().extend(h.lines.iter().copied());
    }
    let areas: Vec<_> = by_area.iter().map(|(a, l)| context! { area => a, rows => occupancy_table(l) }).collect();
    let restrictions = state.store.restrictions(Some(as_at)).await?;
    let restriction_of = |id: &str| restrictions.iter().find(|r| r.service_id == id).map(|r| r.describe());
    let closures = state.store.admission_closures_on(as_at).await?;
    let closed_of = |id: &str| closures.iter().find(|c| c.service_id == id).map(|c| c.describe());
    let rows: Vec<HomeRow> =
        homes.iter().map(|h| home_row(h, &t, as_at, restriction_of(&h.service_id), closed_of(&h.service_id))).collect();
    let stale = rows.iter().filter(|r| r.stale).count();
    let low = rows.iter().filter(|r| r.low && !r.stale).count();
    // Twelve weeks of history for the chart, a point a week ending at `as_at`.
    let mut series = Vec::new();
    for w in (0..12).rev() {
        let d = as_at.checked_sub(jiff::Span::new().weeks(w)).unwrap_or(as_at);
        let hs = state.store.latest_vacancy_returns(d).await?;
        let ls: Vec<VacancyLine> = hs.iter().flat_map(|h| h.lines.clone()).collect();
        series.push((d, occupancy_table(&ls)));
    }
    let chart_svg = chart::occupancy_chart(&series);
    let history: Vec<_> = series
        .iter()
        .map(|(d, rows)| context! { date => d.to_string(), percents => rows.iter().map(|r| r.occupied_percent).collect::<Vec<_>>() })
        .collect();
    let block = state.store.block_beds(as_at).await?;
    let block_summary: Vec<_> = BlockBedKind::ALL
        .iter()
        .map(|k| {
            let of: Vec<_> = block.iter().filter(|b| b.kind == *k).collect();
            let homes: std::collections::BTreeSet<&str> = of.iter().map(|b| b.service_id.as_str()).collect();
            context! { label => k.label(), beds => of.iter().map(|b| b.beds).sum::<i64>(), homes => homes.len() }
        })
        .collect();
    let activity = state.store.latest_activity_as_at(as_at).await?;
    let sl_kinds = [ServiceKind::SupportedLiving, ServiceKind::EnhancedSupportedLiving, ServiceKind::DayServices];
    let support: Vec<_> = sl_kinds
        .iter()
        .map(|k| {
            let weeks: Vec<SupportWeek> = activity.iter().filter(|a| a.kind == *k).map(|a| a.support).collect();
            let fw: Vec<SupportWeek> = activity.iter().filter(|a| a.kind == *k && a.contract_status == caremarket_core::register::ContractStatus::Framework).map(|a| a.support).collect();
            let t = total(&weeks);
            context! { label => k.label(), services => weeks.len(), total => t, sentence => sentence(&t), framework_sentence => sentence(&total(&fw)) }
        })
        .collect();
    let hc: Vec<_> = activity.iter().filter(|a| a.kind == ServiceKind::HomeCare).collect();
    let home_care = context! {
        services => hc.len(),
        people => hc.iter().map(|a| a.people).sum::<i64>(),
        packages => hc.iter().map(|a| a.packages).sum::<i64>(),
        hours => hc.iter().map(|a| a.minutes_per_week).sum::<i64>() / 60,
    };
    let ctx = user.context(&state).await?;
    let html = state.renderer.render(
        "capacity.html",
        &ctx,
        context! {
            as_at => as_at.to_string(), today => today.to_string(), table => table, areas => areas, homes => rows.len(),
            returned => homes.iter().filter(|h| !h.lines.is_empty()).count(),
            stale => stale, low => low, thresholds => t,
            chart_svg => minijinja::Value::from_safe_string(chart_svg), history => history,
            bed_labels => BedType::ALL.iter().map(|b| b.label()).collect::<Vec<_>>(),
            block => block, block_summary => block_summary, support => support, home_care => home_care,
            restrictions => restrictions.len(),
            closed => rows.iter().filter(|r| r.closed.is_some()).count(),
            can_submit => user.role().can(Permission::SubmitVacancies),
            can_restrict => user.role().can(Permission::RecordRestrictions),
            can_change_settings => user.role().can(Permission::EditCouncilFields),
            saved => q.saved,
            as_at_view => asked.view(),
            errors => asked.summary_error().into_iter().collect::<Vec<_>>(),
        },
    )?;
    Ok(Html(html).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct HomesQuery {
    bed_type: Option<String>,
    area: Option<String>,
    flag: Option<String>,
}

/// The homes behind a figure: a bed type's row, an area, the stale or low-occupancy flags.
pub(super) async fn homes(user: CurrentUser, State(state): State<AppState>, Query(q): Query<HomesQuery>) -> Result<Response, AppError> {
    user.require(Permission::ViewCapacity)?;
    let today = caremarket_store::today();
    let t = thresholds(&state).await;
    let bed_type = q.bed_type.as_deref().and_then(BedType::parse);
    let restrictions = state.store.restrictions(Some(today)).await?;
    let closures = state.store.admission_closures_on(today).await?;
    let mut rows = Vec::new();
    for h in state.store.latest_vacancy_returns(today).await? {
        let mut h = h;
        if let Some(b) = bed_type {
            h.lines.retain(|l| l.bed_type == b);
            if h.lines.is_empty() {
                continue;
            }
        }
        if let Some(a) = q.area.as_deref().filter(|a| !a.is_empty())
            && h.area_name.as_deref().unwrap_or("No area") != a
        {
            continue;
        }
        let r = home_row(
            &h,
            &t,
            today,
            restrictions.iter().find(|r| r.service_id == h.service_id).map(|r| r.describe()),
            closures.iter().find(|c| c.service_id == h.service_id).map(|c| c.describe()),
        );
        match q.flag.as_deref() {
            Some("stale") if !r.stale => continue,
            Some("closed") if r.closed.is_none() => continue,
            Some("low") if !r.low || r.stale => continue,
            _ => {}
        }
        rows.push(r);
    }
    let described = [
        bed_type.map(|b| b.label().to_string()),
        q.area.clone().filter(|a| !a.is_empty()),
        match q.flag.as_deref() {
            Some("stale") => Some(format!("no return in the last {} days", t.stale_after_days)),
            Some("low") => Some(format!("occupancy below {}%", t.low_occupancy_percent)),
            Some("closed") => Some("closed to admissions".to_string()),
            _ => None,
        },
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let ctx = user.context(&state).await?;
    let occupied: i64 = rows.iter().map(|r| r.occupied).sum();
    let vacant: i64 = rows.iter().map(|r| r.vacant).sum();
    Ok(Html(state.renderer.render(
        "capacity_homes.html",
        &ctx,
        context! { rows => rows, described => described, occupied => occupied, vacant => vacant },
    )?)
    .into_response())
}
