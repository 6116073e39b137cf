//! Signals (ViewSignals to read, RecordSignals to log), the watch list and each service's
//! early-warning score with its explanation (ViewQuality: the score's lines show counts only,
//! never the content of a signal).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, field, form_date};
use crate::paging::{PER_PAGE, Paging};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::quality::SignalKind;
use caremarket_core::quality::score::{Band, WINDOW_DAYS};
use caremarket_core::register::ServiceKind;
use caremarket_store::quality::score::{WatchEntry, WatchFilter};
use caremarket_store::quality::signals::{MAX_SUMMARY, NewSignal, RECEIVED_BY, SignalFilter};
use caremarket_store::register::ServiceFilter;
use minijinja::{Value, context};
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/signals", get(list))
        .route("/quality/signals/new", get(new_form).post(create))
        .route("/quality/watch-list", get(watch_list))
        .route("/quality/services/{id}/score", get(explain))
}

fn days_ago(d: Date, n: i64) -> Date {
    d.checked_sub(jiff::Span::new().days(n)).unwrap_or(d)
}

/// The signal pages' GOV.UK date inputs.
fn form_errors() -> FormErrors {
    FormErrors::new(&["occurred_on", "from", "to"])
}

fn kind_options(with_any: bool, recordable_only: bool) -> Vec<serde_json::Value> {
    let mut v = Vec::new();
    if with_any {
        v.push(json!({"value": "", "text": "Any kind"}));
    }
    for k in SignalKind::ALL.iter().filter(|k| !recordable_only || **k != SignalKind::RatingChange) {
        v.push(json!({"value": k.as_str(), "text": k.label()}));
    }
    v
}

async fn service_options(state: &AppState, first: &str) -> Result<Vec<serde_json::Value>, AppError> {
    let page = state.store.services(&ServiceFilter { sort: Some("name".into()), per_page: 2000, ..Default::default() }).await?;
    let mut v = vec![json!({"value": "", "text": first})];
    v.extend(page.items.iter().map(|s| json!({"value": s.id, "text": format!("{} – {}", s.name, s.provider_name)})));
    Ok(v)
}

// ----- the list -----

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewSignals)?;
    let today = caremarket_store::today();
    let mut errors = form_errors();
    let mut date = |name: &str, label: &str, default: Date| match form_date(&q, name, label) {
        Ok(Some(d)) => d,
        Ok(None) => default,
        Err(m) => {
            errors.add(name, &m);
            default
        }
    };
    let from = date("from", "From date", days_ago(today, 365));
    let to = date("to", "To date", today);
    if from > to {
        errors.add("to", "To date must be the same as or after the from date");
    }
    let kind_s = field(&q, "kind").to_string();
    let kind = SignalKind::parse(&kind_s);
    if !kind_s.is_empty() && kind.is_none() {
        errors.add("kind", "Choose a kind from the list");
    }
    let service_id = field(&q, "service_id").trim().to_string();
    let service_id = (!service_id.is_empty()).then_some(service_id);
    let signals = state
        .store
        .signals(&SignalFilter {
            kind,
            service_id: service_id.clone(),
            from: Some(from),
            to: Some(to),
            limit: Some(100_000),
            ..Default::default()
        })
        .await?;
    let paging = Paging::new("/quality/signals", &q, signals.len(), PER_PAGE)?;
    let signals = paging.slice(signals);
    let counts = state.store.signal_counts(service_id.as_deref(), from, to).await?;
    let complaints = state.store.complaints_summary(service_id.as_deref(), from, to).await?;
    let ctx = user.context(&state).await?;
    let show_dates = !field(&q, "from-year").is_empty() || !field(&q, "to-year").is_empty();
    Ok(Html(state.renderer.render(
        "quality_signals.html",
        &ctx,
        context! {
            signals => signals,
            paging => paging.context(),
            counts => counts,
            complaints => complaints,
            from => if show_dates { date_parts(&q, "from") } else { Value::from(from.to_string()) },
            to => if show_dates { date_parts(&q, "to") } else { Value::from(to.to_string()) },
            from_iso => from.to_string(),
            to_iso => to.to_string(),
            kind => kind_s,
            kind_options => kind_options(true, false),
            service_id => service_id.unwrap_or_default(),
            service_options => service_options(&state, "Any service").await?,
            errors => errors.list,
            field_errors => errors.by_field,
            can_record => user.role().can(Permission::RecordSignals),
            recorded => field(&q, "recorded") == "1",
        },
    )?))
}

// ----- recording a signal -----

async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let ctx = user.context(state).await?;
    let received: Vec<serde_json::Value> = RECEIVED_BY.iter().map(|(v, t)| json!({"value": v, "text": t})).collect();
    let html = state.renderer.render(
        "quality_signal_new.html",
        &ctx,
        context! {
            errors => errors.list,
            field_errors => errors.by_field,
            service_id => field(form, "service_id"),
            service_options => service_options(state, "Choose a service").await?,
            kind => field(form, "kind"),
            kind_options => kind_options(false, true),
            occurred_on => date_parts(form, "occurred_on"),
            summary => field(form, "summary"),
            max_summary => MAX_SUMMARY,
            received_by => field(form, "received_by"),
            received_options => received,
            outcome => field(form, "outcome"),
            resolved_in_house => field(form, "resolved_in_house"),
            resolved_options => vec![json!({"value": "yes", "text": "Yes"}), json!({"value": "no", "text": "No"}), json!({"value": "", "text": "Not known yet"})],
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn new_form(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::RecordSignals)?;
    let form: Vec<(String, String)> = [("service_id", field(&q, "service_id")), ("kind", field(&q, "kind"))]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    render_form(&state, &user, &form, &form_errors(), StatusCode::OK).await
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordSignals)?;
    let mut errors = form_errors();
    // What a signal needs is core's check; a date typed wrongly is reported as typed.
    let occurred_on = form_date(&form, "occurred_on", "Date");
    let new = NewSignal {
        service_id: field(&form, "service_id").trim().to_string(),
        kind: SignalKind::parse(field(&form, "kind")),
        occurred_on: occurred_on.clone().ok().flatten(),
        summary: field(&form, "summary").to_string(),
        received_by: Some(field(&form, "received_by").to_string()).filter(|s| !s.is_empty()),
        outcome: Some(field(&form, "outcome").to_string()).filter(|s| !s.trim().is_empty()),
        resolved_in_house: match field(&form, "resolved_in_house") {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
    };
    let today = caremarket_store::today();
    match new.check(today) {
        Err(e) => errors.extend(super::with_typed_date(e, "occurred_on", &occurred_on)),
        Ok(_) => {
            if let Err(m) = &occurred_on {
                errors.add("occurred_on", m);
            }
        }
    }
    if errors.is_empty() {
        match state.store.record_signal(&user.actor(), &new, today).await {
            Ok(_) => return Ok(Redirect::to(&format!("/services/{}/quality?signal=recorded", new.service_id)).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_form(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}

// ----- the watch list and the explanation -----

/// Watch list entries as the pages show them: each with its band's colour.
pub(super) fn watch_view(entries: &[WatchEntry]) -> Vec<serde_json::Value> {
    entries
        .iter()
        .map(|e| {
            let mut v = json!(e);
            v["band_class"] = json!(crate::tags::band(e.band));
            v
        })
        .collect()
}

async fn watch_list(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewQuality)?;
    let today = caremarket_store::today();
    let kind = ServiceKind::parse(field(&q, "kind"));
    let band = Band::parse(field(&q, "band"));
    let filter = WatchFilter { kind, min_band: band };
    let total = state.store.kept_watch_total(today, &filter).await?;
    let mut kinds = vec![json!({"value": "", "text": "Any kind of service"})];
    kinds.extend(ServiceKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})));
    let mut bands = vec![json!({"value": "", "text": "Any band"})];
    bands.extend(Band::ALL.iter().skip(1).map(|b| json!({"value": b.as_str(), "text": format!("{} or higher", b.label())})));
    let ctx = user.context(&state).await?;
    let paging = Paging::new("/quality/watch-list", &q, total.value, PER_PAGE)?;
    let page = paging.range();
    let entries = watch_view(&state.store.kept_watch_rows(&filter, page.start, page.len()).await?);
    Ok(Html(state.renderer.render(
        "quality_watch_list.html",
        &ctx,
        context! {
            entries => entries,
            paging => paging.context(),
            on => today.to_string(),
            kind => kind.map(|k| k.as_str()).unwrap_or(""),
            kind_options => kinds,
            band => band.map(|b| b.as_str()).unwrap_or(""),
            band_options => bands,
            computed_at => total.computed_at,
        },
    )?))
}

async fn explain(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewQuality)?;
    let e = state.store.early_warning(&id, caremarket_store::today()).await?;
    let ctx = user.context(&state).await?;
    Ok(Html(state.renderer.render(
        "quality_score.html",
        &ctx,
        context! {
            e => e,
            band_label => e.score.band.label(),
            band_class => crate::tags::band(e.score.band),
            adding => e.score.factors.iter().filter(|f| f.points > 0).collect::<Vec<_>>(),
            not_adding => e.score.factors.iter().filter(|f| f.points == 0).collect::<Vec<_>>(),
            window_days => WINDOW_DAYS,
            can_see_signals => user.role().can(Permission::ViewSignals),
        },
    )?))
}

/// This part's section of a service's quality tab (`_quality_section_signals.html`): the score
/// for ViewQuality; recent signals, counts and monthly returns only for ViewSignals.
pub(super) async fn service_section(
    state: &AppState,
    user: &CurrentUser,
    service_id: &str,
) -> Result<Option<minijinja::Value>, crate::error::AppError> {
    let see_score = user.role().can(Permission::ViewQuality);
    let see_signals = user.role().can(Permission::ViewSignals);
    if !see_score && !see_signals {
        return Ok(None);
    }
    let today = caremarket_store::today();
    let score = if see_score {
        let e = state.store.early_warning(service_id, today).await?;
        Some(json!({
            "total": e.score.total,
            "band_label": e.score.band.label(),
            "band_class": crate::tags::band(e.score.band),
            "top": e.score.top(3).iter().map(|f| f.reason.clone()).collect::<Vec<_>>(),
        }))
    } else {
        None
    };
    let (signals, counts, returns) = if see_signals {
        let from = days_ago(today, WINDOW_DAYS);
        let signals =
            state.store.signals(&SignalFilter { service_id: Some(service_id.to_string()), limit: Some(10), ..Default::default() }).await?;
        let counts = state.store.signal_counts(Some(service_id), from, today).await?;
        let returns = state.store.monthly_returns(Some(service_id), None, 6).await?;
        (Some(signals), Some(counts), Some(returns))
    } else {
        (None, None, None)
    };
    Ok(Some(Value::from_serialize(json!({
        "score": score,
        "signals": signals,
        "counts": counts,
        "returns": returns,
        "window_days": WINDOW_DAYS,
        "can_record": user.role().can(Permission::RecordSignals),
    }))))
}
