//! Continuity of care if providers exit (`000` "What is Market Sustainability"): choose
//! providers, or a kind of service in an area; see who is affected, what the rest of the market
//! could absorb, the shortfall, concentration per kind, and the exits that would hurt most.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_core::capacity::brokerage::hours;
use caremarket_core::capacity::continuity::{Market, concentration};
use caremarket_core::capacity::vacancies::BedType;
use caremarket_core::register::ServiceKind;
use minijinja::context;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/capacity/continuity", get(page))
}

fn category_label(c: &str) -> String {
    BedType::parse(c)
        .map(|b| b.label().to_string())
        .or_else(|| caremarket_core::capacity::brokerage::Lot::parse(c).map(|l| format!("{} lot", l.label())))
        .unwrap_or_else(|| "All".into())
}

/// Providers offered by a name search, and (with no search) the largest shown.
const PICKER_MATCHES: usize = 25;
const PICKER_LARGEST: usize = 10;

async fn page(user: CurrentUser, State(state): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    user.require(Permission::ViewCapacity)?;
    let pairs: Vec<(String, String)> = q.as_deref().map(|q| serde_urlencoded::from_str(q).unwrap_or_default()).unwrap_or_default();
    let chosen: Vec<String> = pairs.iter().filter(|(k, _)| k == "provider").map(|(_, v)| v.clone()).filter(|v| !v.is_empty()).collect();
    let kind = pairs.iter().find(|(k, _)| k == "kind").and_then(|(_, v)| ServiceKind::parse(v));
    let area = pairs.iter().find(|(k, _)| k == "area").map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
    let today = caremarket_store::today();
    let supply = state.store.market_supply(today).await?;
    let market = Market::new(&supply);
    let areas = state.store.areas().await?;
    let area_name = |id: &Option<String>| {
        id.as_ref().and_then(|i| areas.iter().find(|a| &a.id == i)).map(|a| a.name.clone()).unwrap_or_else(|| "No area".into())
    };
    let impact = if !chosen.is_empty() {
        let refs: Vec<&str> = chosen.iter().map(String::as_str).collect();
        Some(market.exit_of_providers(&refs))
    } else {
        kind.map(|k| market.exit_where(|s| s.kind == k && (area.is_none() || s.area_id == area)))
    };
    let impact_view = impact.as_ref().map(|i| {
        let groups: Vec<_> = i
            .groups
            .iter()
            .map(|g| {
                let unit = |v: i64| if g.in_beds { format!("{v} beds") } else { format!("{} hours a week", hours(v)) };
                context! {
                    kind => g.kind.label(), category => category_label(&g.category), area => area_name(&g.area_id),
                    people => g.people, packages => g.packages, affected => unit(g.affected), spare => unit(g.spare_elsewhere),
                    absorbable => unit(g.absorbable), shortfall => unit(g.shortfall), short => g.shortfall > 0,
                }
            })
            .collect();
        let beds_by_type: Vec<_> = i.beds_by_type.iter().map(|(k, v)| (category_label(k), *v)).collect();
        context! {
            people => i.people, packages => i.packages, beds => i.beds, beds_absorbable => i.beds_absorbable,
            beds_by_type => beds_by_type, hours => hours(i.minutes_per_week), hours_absorbable => hours(i.minutes_absorbable),
            people_absorbable => i.people_absorbable, people_not_absorbed => i.people_not_absorbed,
            percent => i.percent_absorbable, groups => groups,
        }
    });
    let conc = concentration(&supply);
    let conc: Vec<_> = conc
        .iter()
        .map(|c| context! { kind => c.kind.label(), kind_code => c.kind.as_str(), providers => c.providers, largest => c.largest_provider, largest_share => format!("{:.1}%", c.largest_share), top3_share => format!("{:.1}%", c.top3_share), hhi => c.hhi, band => c.band, unit => if c.kind.is_care_home() { "beds occupied" } else { "hours a week" } })
        .collect();
    let ranked: Vec<_> = market
        .ranked_exits()
        .into_iter()
        .take(20)
        .map(|e| context! { provider_id => e.provider_id, name => e.provider_name, people => e.people, not_absorbed => e.people_not_absorbed, beds_short => e.beds_short, hours_short => hours(e.minutes_short), percent => e.percent_absorbable })
        .collect();
    // The picker: a name search and checkboxes, not a multiple select (which needs Ctrl-click
    // and reads badly with a screen reader). It offers the providers whose name holds the search
    // (else the largest, by people served), and always those already chosen, checked.
    let mut providers: BTreeMap<String, (String, i64)> = BTreeMap::new();
    for s in &supply {
        if s.committed > 0 {
            let e = providers.entry(s.provider_id.clone()).or_insert_with(|| (s.provider_name.clone(), 0));
            e.1 += s.people;
        }
    }
    let search = pairs.iter().rev().find(|(k, _)| k == "q").map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty());
    let needle = search.as_deref().map(str::to_lowercase);
    let mut matches: Vec<(&String, &(String, i64))> =
        providers.iter().filter(|(_, (name, _))| needle.as_deref().is_none_or(|n| name.to_lowercase().contains(n))).collect();
    let found = matches.len();
    if needle.is_some() {
        matches.sort_by(|a, b| a.1.0.cmp(&b.1.0));
    } else {
        matches.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.1.0.cmp(&b.1.0)));
    }
    let shown = if needle.is_some() { PICKER_MATCHES } else { PICKER_LARGEST };
    let mut offered: Vec<&String> = chosen.iter().filter_map(|c| providers.get_key_value(c).map(|(k, _)| k)).collect();
    for (id, _) in matches.iter().take(shown) {
        if !offered.contains(id) {
            offered.push(id);
        }
    }
    let provider_options: Vec<_> = offered
        .iter()
        .filter_map(|id| providers.get(*id).map(|(name, people)| (id, name, people)))
        .map(|(id, name, people)| serde_json::json!({"value": id, "text": name, "hint": caremarket_core::text::count(*people, "person", Some("people")) + " served"}))
        .collect();
    let picker_note = match &search {
        Some(q) if found == 0 => format!("No provider's name contains \u{201c}{q}\u{201d}."),
        Some(q) if found > shown => format!(
            "{found} providers' names contain \u{201c}{q}\u{201d}: the first {shown} are shown. Search with more of the name to find others."
        ),
        Some(q) if found == 1 => format!("1 provider's name contains \u{201c}{q}\u{201d}."),
        Some(q) => format!("{found} providers' names contain \u{201c}{q}\u{201d}."),
        None => format!("The {} largest of {} providers, by people served. Search to find any other.", shown.min(found), providers.len()),
    };
    let chosen_names: Vec<String> = chosen
        .iter()
        .filter_map(|c| supply.iter().find(|s| &s.provider_id == c).map(|s| s.provider_name.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let ctx = user.context(&state).await?;
    let html = state.renderer.render(
        "continuity.html",
        &ctx,
        context! {
            impact => impact_view, chosen => chosen, chosen_names => chosen_names, kind => kind.map(|k| k.as_str()), kind_label => kind.map(|k| k.label()),
            area => area, area_label => area.as_ref().map(|a| area_name(&Some(a.clone()))),
            provider_options => provider_options, picker_note => picker_note, q => search,
            kind_options => [ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing, ServiceKind::HomeCare, ServiceKind::SupportedLiving, ServiceKind::EnhancedSupportedLiving, ServiceKind::DayServices].iter().map(|k| serde_json::json!({"value": k.as_str(), "text": k.label()})).collect::<Vec<_>>(),
            area_options => areas.iter().map(|a| serde_json::json!({"value": a.id, "text": a.name})).collect::<Vec<_>>(),
            concentration => conc, ranked => ranked,
        },
    )?;
    Ok(Html(html).into_response())
}
