//! The RAG drill-down (the dashboard's counts link here) and the restrictions and embargo list.

use super::{escalation_view, parse_kinds, rag_view, today};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::forms::field;
use crate::paging::{PER_PAGE, Paging};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_core::quality::{EscalationLevel, Rag};
use minijinja::{Value, context};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/quality/rag", get(rag_list)).route("/quality/restrictions", get(restrictions_list))
}

async fn rag_list(State(state): State<AppState>, user: CurrentUser, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let kinds = parse_kinds(&q)?;
    let rag_code = field(&q, "rag");
    let rag = match rag_code {
        "not_assessed" => None,
        "" => Some(Rag::Red),
        s => Some(
            Rag::parse(s)
                .ok_or_else(|| AppError::BadRequest(format!("'{s}' is not a RAG status: use green, amber, red or not_assessed")))?,
        ),
    };
    // `escalation=` lists services by escalation instead (the dashboard's escalation figures).
    let escalation = match field(&q, "escalation") {
        "" => None,
        s => Some(EscalationLevel::parse(s).ok_or_else(|| {
            AppError::BadRequest(format!("'{s}' is not an escalation level: use none, enhanced_monitoring or risk_management"))
        })?),
    };
    let services = match escalation {
        Some(level) => state.store.services_by_escalation(level, &kinds).await?,
        None => state.store.services_by_rag(rag, &kinds).await?,
    };
    let heading = match escalation {
        Some(level) => level.label(),
        None => rag.map(|r| r.label()).unwrap_or("Not assessed"),
    };
    let current = if escalation.is_some() { "" } else { rag.map(|r| r.as_str()).unwrap_or("not_assessed") };
    let (g, a, r, n) = state.store.rag_counts(&kinds).await?;
    let kind_query: String = kinds.iter().map(|k| format!("&kind={}", k.as_str())).collect();
    let counts = vec![
        context! { view => rag_view(Some(Rag::Green)), count => g, href => format!("/quality/rag?rag=green{kind_query}") },
        context! { view => rag_view(Some(Rag::Amber)), count => a, href => format!("/quality/rag?rag=amber{kind_query}") },
        context! { view => rag_view(Some(Rag::Red)), count => r, href => format!("/quality/rag?rag=red{kind_query}") },
        context! { view => rag_view(None), count => n, href => format!("/quality/rag?rag=not_assessed{kind_query}") },
    ];
    let rows: Vec<Value> = services
        .iter()
        .map(|s| {
            context! {
                service_id => s.service_id, name => s.name, provider_name => s.provider_name, kind_label => s.kind.label(),
                rag => rag_view(s.rag), reason => s.reason, set_on => s.set_on, escalation => escalation_view(s.escalation),
            }
        })
        .collect();
    let paging = Paging::new("/quality/rag", &q, rows.len(), PER_PAGE)?;
    let rows = paging.slice(rows);
    let kinds_label = if kinds.is_empty() {
        "all kinds of service".to_string()
    } else if kinds.len() == 2 && kinds.iter().all(|k| k.is_care_home()) {
        "care homes".to_string()
    } else {
        kinds.iter().map(|k| k.label()).collect::<Vec<_>>().join(", ")
    };
    let base = user.context(&state).await?;
    let html = state.renderer.render(
        "quality_rag.html",
        &base,
        context! { heading => heading, current => current, rows => rows, paging => paging.context(), counts => counts, kinds_label => kinds_label, kind_query => kind_query },
    )?;
    Ok(Html(html).into_response())
}

// ----- the restrictions and embargo list -----

async fn restrictions_list(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let rags = state.store.current_rag_by_service().await?;
    let escalations = state.store.current_escalation_by_service().await?;
    let rows: Vec<Value> = state
        .store
        .restrictions(Some(today()))
        .await?
        .iter()
        .map(|r| {
            context! {
                r => r, rag => rag_view(rags.get(&r.service_id).copied()),
                escalation => escalation_view(escalations.get(&r.service_id).copied().unwrap_or(EscalationLevel::None)),
            }
        })
        .collect();
    let base = user.context(&state).await?;
    let html = state.renderer.render("quality_restrictions.html", &base, context! { rows => rows })?;
    Ok(Html(html).into_response())
}
