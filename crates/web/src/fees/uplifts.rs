//! Uplifts: the form, a preview of the new rates and the yearly cost (nothing saved), then
//! confirming, which writes new versions; and the list of confirmed uplifts.

use super::{category_options, kind_options, pounds, render};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors as Errors, date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_core::fees::uplift::{LotChoice, UpliftForm, WEEKS_A_YEAR};
use caremarket_core::fees::{RateCategory, RateLevel, UpliftDraft, UpliftPlan, percent_text};
use caremarket_core::register::ServiceKind;
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/fees/uplifts", get(list))
        .route("/fees/uplifts/new", get(new_form).post(submit))
        .route("/fees/uplifts/{id}", get(show))
}

/// The rounding rule and the cost basis, as the pages and `docs/fees.md` state them.
pub const ROUNDING: &str = "Each new rate is the base rate × (100% + the uplift), worked out in whole pence and basis points \
    (hundredths of a per cent) and rounded to the nearest penny, halves up. A floor raises every base rate below it to the floor.";

fn cost_basis() -> String {
    format!(
        "Yearly cost = (new rate − rate in force the day before the uplift) × the hours a week of home care packages started with \
         each provider (from brokerage) × {WEEKS_A_YEAR} weeks, rounded to the penny. The council's rate counts the packages of providers \
         with no rate of their own. A lot's maximum is not paid, and rates not paid by the hour (sleep-in nights, weekly rates) have \
         no commissioned hours on record, so their cost is shown as not known."
    )
}

async fn lot_names(state: &AppState) -> Result<BTreeMap<String, String>, AppError> {
    let mut m = BTreeMap::new();
    for f in state.store.contract_frameworks().await? {
        for l in &f.lots {
            m.insert(l.id.clone(), format!("{}: {}", f.name, l.name));
        }
    }
    Ok(m)
}

fn group_text(d: &UpliftDraft, lots: &BTreeMap<String, String>) -> String {
    let g = &d.group;
    let mut parts = vec![g.kind.label().to_string()];
    parts.push(if g.categories.is_empty() {
        "all rates".into()
    } else {
        g.categories.iter().map(|c| c.label().to_lowercase()).collect::<Vec<_>>().join(", ")
    });
    if !g.levels.is_empty() {
        parts.push(g.levels.iter().map(|l| l.label().to_lowercase()).collect::<Vec<_>>().join(", "));
    }
    if !g.lots.is_empty() {
        parts.push(
            g.lots
                .iter()
                .map(|l| match l {
                    LotChoice::NoLot => "rates on no lot".to_string(),
                    LotChoice::Lot(id) => lots.get(id).cloned().unwrap_or_else(|| "a removed lot".into()),
                })
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    parts.join("; ")
}

fn read(form: &[(String, String)], e: &mut Errors) -> UpliftForm {
    let mut date = |name: &str, label: &str| match form_date(form, name, label) {
        Ok(d) => d,
        Err(m) => {
            e.add(name, &m);
            None
        }
    };
    let effective_from = date("effective_from", "The date the uplift takes effect");
    let base_date = date("base_date", "The base date");
    let all = |name: &str| form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
    UpliftForm {
        name: field(form, "name").to_string(),
        kind: ServiceKind::parse(field(form, "kind")),
        categories: all("categories").into_iter().filter_map(RateCategory::parse).collect(),
        levels: all("levels").into_iter().filter_map(RateLevel::parse).collect(),
        lots: all("lots").into_iter().filter(|v| !v.is_empty()).map(LotChoice::from_value).collect(),
        method: field(form, "method").to_string(),
        percent: field(form, "percent").to_string(),
        floor: field(form, "floor").to_string(),
        effective_from,
        base_date,
    }
}

fn errors() -> Errors {
    Errors::new(&["effective_from", "base_date"])
}

async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let all = |name: &str| form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let mut lot_opts = vec![json!({"value": "none", "text": "Rates on no lot (the council's rates, providers off framework)"})];
    lot_opts.extend(lot_names(state).await?.into_iter().map(|(id, name)| json!({"value": id, "text": name})));
    let html = render(
        state,
        user,
        "fees_uplift_form.html",
        context! {
            errors => errors.list, field_errors => errors.by_field,
            name => field(form, "name"), kind => field(form, "kind"), method => field(form, "method"),
            percent => field(form, "percent"), floor => field(form, "floor"),
            categories => all("categories"), levels => all("levels"), lots => all("lots"),
            effective_from => date_parts(form, "effective_from"), base_date => date_parts(form, "base_date"),
            kind_options => kind_options("Choose the type of service"), category_options => category_options(None),
            level_options => RateLevel::ALL.iter().map(|l| json!({"value": l.as_str(), "text": l.label()})).collect::<Vec<_>>(),
            lot_options => lot_opts, rounding => ROUNDING,
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn new_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    let form = vec![("method".to_string(), "percent".to_string())];
    render_form(&state, &user, &form, &errors(), StatusCode::OK).await
}

fn plan_view(d: &UpliftDraft, p: &UpliftPlan) -> Value {
    let rates: Vec<Value> = p
        .rates
        .iter()
        .map(|r| {
            context! {
                line => r.base.line_text(), history => r.base.id,
                base => r.base.amount_text(), base_from => r.base.effective_from.to_string(),
                current => r.current.amount_text(), new => format!("{} {}", pounds(r.new_pence), r.base.line.category.unit()),
                increase => pounds(r.new_pence - r.current.amount_pence),
                hours => r.weekly_minutes.map(|m| format!("{}.{:02}", m / 60, (m % 60) * 100 / 60)),
                cost => r.yearly_cost_pence.map(pounds),
            }
        })
        .collect();
    let skipped: Vec<Value> = p.skipped.iter().map(|s| context! { line => s.latest.line_text(), why => s.why }).collect();
    context! {
        rates => rates, skipped => skipped, total => pounds(p.total_yearly_cost_pence), not_known => p.cost_not_known,
        method => d.method.text(), effective_from => d.effective_from.to_string(), base_date => d.base_date.to_string(),
    }
}

async fn submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFees)?;
    let action = field(&form, "action").to_string();
    let mut e = errors();
    let raw = read(&form, &mut e);
    let checked = raw.check();
    if action == "change" {
        return render_form(&state, &user, &form, &errors(), StatusCode::OK).await;
    }
    let draft = match checked {
        Ok(d) if e.is_empty() => d,
        Ok(_) => return render_form(&state, &user, &form, &e, StatusCode::BAD_REQUEST).await,
        Err(all) => {
            e.extend(all);
            return render_form(&state, &user, &form, &e, StatusCode::BAD_REQUEST).await;
        }
    };
    let today = caremarket_store::today();
    if action == "confirm" {
        match state.store.apply_uplift(&user.actor(), &draft, today).await {
            Ok((id, _)) => return Ok(Redirect::to(&format!("/fees/uplifts/{id}?saved=1")).into_response()),
            Err(err) => {
                e.add_store(err)?;
                return render_form(&state, &user, &form, &e, StatusCode::BAD_REQUEST).await;
            }
        }
    }
    let plan = match state.store.plan_uplift(&draft, today).await {
        Ok(p) => p,
        Err(err) => {
            e.add_store(err)?;
            return render_form(&state, &user, &form, &e, StatusCode::BAD_REQUEST).await;
        }
    };
    // The form again as hidden fields, so confirming sends exactly what was previewed.
    let hidden: Vec<Value> =
        form.iter().filter(|(k, _)| k != "csrf_token" && k != "action").map(|(k, v)| context! { name => k, value => v }).collect();
    let lots = lot_names(&state).await?;
    let html = render(
        &state,
        &user,
        "fees_uplift_preview.html",
        context! {
            name => draft.name, group => group_text(&draft, &lots), plan => plan_view(&draft, &plan), hidden => hidden,
            rounding => ROUNDING, cost_basis => cost_basis(),
        },
    )
    .await?;
    Ok(Html(html).into_response())
}

async fn list(user: CurrentUser, State(state): State<AppState>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewFees)?;
    let lots = lot_names(&state).await?;
    let uplifts: Vec<Value> = state
        .store
        .fee_uplifts()
        .await?
        .iter()
        .map(|u| {
            context! {
                id => u.id, name => u.draft.name, method => u.draft.method.text(), group => group_text(&u.draft, &lots),
                effective_from => u.draft.effective_from.to_string(), base_date => u.draft.base_date.to_string(),
                rates => u.rates_changed, cost => pounds(u.yearly_cost_pence), by => u.created_by_label,
            }
        })
        .collect();
    Ok(Html(
        render(
            &state,
            &user,
            "fees_uplifts.html",
            context! { uplifts => uplifts, can_manage => user.role().can(Permission::ManageFees), rounding => ROUNDING },
        )
        .await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    saved: Option<String>,
}

async fn show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewFees)?;
    let (u, rates) = state.store.fee_uplift(&id).await?;
    let lots = lot_names(&state).await?;
    let rates: Vec<Value> = rates
        .iter()
        .map(|r| context! { line => r.version.line_text(), amount => r.version.amount_text(), history => r.version.id })
        .collect();
    let method_detail = match u.draft.method {
        caremarket_core::fees::UpliftMethod::Percent(bp) => format!("{} on the rates in force on the base date", percent_text(bp)),
        m => m.text(),
    };
    Ok(Html(
        render(
            &state,
            &user,
            "fees_uplift.html",
            context! {
                name => u.draft.name, method => method_detail, group => group_text(&u.draft, &lots),
                effective_from => u.draft.effective_from.to_string(), base_date => u.draft.base_date.to_string(),
                rates_changed => u.rates_changed, cost => pounds(u.yearly_cost_pence), by => u.created_by_label, at => u.created_at,
                rates => rates, banner => q.saved.is_some(), rounding => ROUNDING, cost_basis => cost_basis(),
            },
        )
        .await?,
    ))
}
