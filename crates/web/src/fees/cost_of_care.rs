//! Cost of care (issue 11 item 4): the council's figures from providers' returns (count,
//! quartiles and median per line and in total, the council's rate beside the median total),
//! every return behind each figure, a CSV upload of returns, and the price calculator.
//!
//! Returns are providers' commercial figures, so every page here needs `ViewCostOfCare`
//! (commissioners and administrators, narrower than `ViewFees`); the upload also `ManageFees`.
//! Providers send their own returns through the portal (`crate::portal::cost_of_care`).

use super::render;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::forms::field;
use crate::render::field_error;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::money::money;
use caremarket_core::evidence::RecordKind;
use caremarket_core::fees::cost_of_care::{
    CalculatorInput, CostLine, CostModel, FigureRow, Quartiles, RETURN_KINDS, calculate, figures, quartile_ranks, year_of, year_text,
};
use caremarket_core::fees::rates::in_force;
use caremarket_core::fees::{RateLevel, RateLine, RateVersion};
use caremarket_core::quality::RowProblem;
use caremarket_core::register::ServiceKind;
use caremarket_store::fees::cost_of_care::{CostReturnFilter, CostReturnRecord};
use minijinja::{Value, context};
use serde_json::json;

/// How many problems an upload lists before saying "and N more".
const MAX_PROBLEMS: usize = 100;

/// Said on the figures page, the returns page and in `docs/fees.md`.
pub(crate) const QUARTILE_METHOD: &str = "The median and quartiles are worked out as Excel's MEDIAN and QUARTILE.INC do: sort the \
    amounts and take the value at position (n − 1) × ¼, ½ or ¾ counting the first as 0, interpolating between the two amounts \
    either side when the position falls between them. Figures are rounded to the nearest penny, halves up. The total's figures \
    are of the returns' totals, not the sum of the lines' figures.";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/fees/cost-of-care", get(figures_page))
        .route("/fees/cost-of-care/returns", get(returns_page))
        .route("/fees/cost-of-care/returns/{id}", get(return_page))
        .route("/fees/cost-of-care/upload", get(upload_form).post(upload))
        .route("/fees/cost-of-care/calculator", get(calculator))
}

/// The council's rate for a kind (its council rate on the category of the kind's cost model) in
/// force on `on`.
fn council_rate(versions: &[RateVersion], kind: ServiceKind, on: caremarket_core::Date) -> Option<RateVersion> {
    let model = CostModel::of(kind)?;
    let line = RateLine { level: RateLevel::Council, kind, category: model.rate_category(), lot_id: None, provider_id: None };
    in_force(versions, &line, on).cloned()
}

/// The year asked for (`year`, a start year), else the latest with returns, else this year.
fn chosen_year(q: &[(String, String)], years: &[i32]) -> i32 {
    field(q, "year")
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| years.contains(y))
        .or_else(|| years.first().copied())
        .unwrap_or_else(|| year_of(caremarket_store::today()))
}

fn returns_href(kind: ServiceKind, year: i32, line: Option<CostLine>) -> String {
    format!("/fees/cost-of-care/returns?kind={}&year={year}&line={}", kind.as_str(), line.map(|l| l.as_str()).unwrap_or("total"))
}

fn figure_view(kind: ServiceKind, year: i32, row: &FigureRow) -> Value {
    let f = row.figures;
    context! {
        line => row.line.map(|l| l.label()).unwrap_or("Total"), is_total => row.line.is_none(),
        href => returns_href(kind, year, row.line), count => f.count,
        lower => money(f.lower), median => money(f.median), upper => money(f.upper),
    }
}

fn year_options(years: &[i32]) -> Vec<serde_json::Value> {
    years.iter().map(|y| json!({"value": y.to_string(), "text": year_text(*y)})).collect()
}

/// "£1.20 more than", "£0.50 less than" or "the same as".
fn compared(diff: i64) -> String {
    match diff {
        0 => "the same as".into(),
        d if d > 0 => format!("{} more than", money(d)),
        d => format!("{} less than", money(-d)),
    }
}

async fn figures_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewCostOfCare)?;
    let years = state.store.cost_return_years().await?;
    let year = chosen_year(&q, &years);
    let returns = state.store.cost_returns(&CostReturnFilter { year: Some(year), ..Default::default() }).await?;
    let today = caremarket_store::today();
    let versions: Vec<RateVersion> = state.store.fee_rates().await?.into_iter().map(|r| r.version).collect();
    let mut kinds = Vec::new();
    for kind in RETURN_KINDS {
        let Some(model) = CostModel::of(kind) else { continue };
        let of_kind: Vec<Vec<(CostLine, i64)>> = returns.iter().filter(|r| r.kind == kind).map(|r| r.lines.clone()).collect();
        let rows = figures(model, &of_kind);
        let total = rows.last().filter(|r| r.line.is_none()).map(|r| r.figures);
        let rate = council_rate(&versions, kind, today);
        let rate_view = match (&rate, total) {
            (Some(v), Some(t)) => Some(context! {
                amount => money(v.amount_pence), id => v.id, from => v.effective_from.to_string(),
                compared => compared(v.amount_pence - t.median), median => money(t.median),
                percent => format!("{:.1}%", v.amount_pence as f64 * 100.0 / t.median.max(1) as f64),
                within => v.amount_pence >= t.lower && v.amount_pence <= t.upper,
                below_lower => v.amount_pence < t.lower,
            }),
            (Some(v), None) => Some(context! { amount => money(v.amount_pence), id => v.id, from => v.effective_from.to_string() }),
            _ => None,
        };
        kinds.push(context! {
            kind => kind.as_str(), label => kind.label(), unit => model.unit(), count => of_kind.len(),
            rows => rows.iter().map(|r| figure_view(kind, year, r)).collect::<Vec<_>>(), rate => rate_view,
        });
    }
    let html = render(
        &state,
        &user,
        "fees_cost_of_care.html",
        context! {
            kinds => kinds, year => year, year_label => year_text(year), years => year_options(&years), has_years => !years.is_empty(),
            method => QUARTILE_METHOD, can_upload => user.role().can(Permission::ManageFees), today => today.to_string(),
            total_returns => returns.len(), saved => Some(field(&q, "saved").to_string()).filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())),
        },
    )
    .await?;
    Ok(Html(html).into_response())
}

/// The returns behind one figure: a kind and year, sorted by one line's amount (or the total),
/// each with its rank and the figures its rank is used for.
async fn returns_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewCostOfCare)?;
    let Some(kind) = ServiceKind::parse(field(&q, "kind")).filter(|k| CostModel::of(*k).is_some()) else {
        return Err(AppError::NotFound);
    };
    let Some(model) = CostModel::of(kind) else { return Err(AppError::NotFound) };
    let Ok(year) = field(&q, "year").trim().parse::<i32>() else { return Err(AppError::NotFound) };
    let line = match field(&q, "line") {
        "" | "total" => None,
        l => match CostLine::parse(l).filter(|l| model.lines().contains(l)) {
            Some(l) => Some(l),
            None => return Err(AppError::NotFound),
        },
    };
    let returns = state.store.cost_returns(&CostReturnFilter { year: Some(year), kind: Some(kind), provider_id: None }).await?;
    let amount = |r: &CostReturnRecord| match line {
        Some(l) => r.amount(l).unwrap_or(0),
        None => r.total_pence,
    };
    let mut sorted: Vec<&CostReturnRecord> = returns.iter().collect();
    sorted.sort_by(|a, b| amount(a).cmp(&amount(b)).then_with(|| a.service_name.cmp(&b.service_name)));
    let n = sorted.len();
    let figures: Option<Quartiles> = caremarket_core::fees::cost_of_care::quartiles(&sorted.iter().map(|r| amount(r)).collect::<Vec<_>>());
    let uses = |rank: usize| -> Vec<&'static str> {
        [(1, "Lower quartile"), (2, "Median"), (3, "Upper quartile")]
            .into_iter()
            .filter(|(q, _)| quartile_ranks(n, *q).contains(&rank))
            .map(|(_, label)| label)
            .collect()
    };
    let rows: Vec<Value> = sorted
        .iter()
        .enumerate()
        .map(|(i, r)| {
            context! {
                rank => i + 1, id => r.id, service => r.service_name, provider => r.provider_name,
                amount => money(amount(r)), total => money(r.total_pence), uses => uses(i),
            }
        })
        .collect();
    let html = render(
        &state,
        &user,
        "fees_cost_of_care_returns.html",
        context! {
            kind_label => kind.label(), unit => model.unit(), year => year, year_label => year_text(year),
            line_label => line.map(|l| l.label()).unwrap_or("Total"), is_total => line.is_none(), rows => rows, count => n,
            figures => figures.map(|f| context! { lower => money(f.lower), median => money(f.median), upper => money(f.upper) }),
            method => QUARTILE_METHOD,
        },
    )
    .await?;
    Ok(Html(html).into_response())
}

/// One return, line by line, as the provider sent it. Shared with the portal's view of its own.
pub(crate) fn return_view(r: &CostReturnRecord) -> Value {
    let lines: Vec<Value> = r.lines.iter().map(|(l, v)| context! { label => l.label(), amount => money(*v) }).collect();
    context! {
        id => r.id, service => r.service_name, service_id => r.service_id, provider => r.provider_name, kind => r.kind.label(), kind_code => r.kind.as_str(),
        year => r.year, year_label => year_text(r.year), unit => r.model.unit(), lines => lines, total => money(r.total_pence),
        sent_by => r.sent_by.label(), sent_by_label => r.sent_by_label, submitted_at => r.submitted_at,
    }
}

async fn return_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(evidence): Query<crate::evidence::EvidenceQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewCostOfCare)?;
    let r = state.store.cost_return(&id).await?;
    let evidence = crate::evidence::section(&state, &user, RecordKind::CostOfCareReturn, &r.id, &evidence).await?;
    let html =
        render(&state, &user, "fees_cost_of_care_return.html", context! { r => return_view(&r), evidence_section => evidence }).await?;
    Ok(Html(html).into_response())
}

/// An upload's problems for the error summary, at most `MAX_PROBLEMS` of them (also the spend
/// upload's, `super::budgets`).
pub(crate) fn problem_errors(problems: &[RowProblem]) -> Vec<Value> {
    let mut v: Vec<Value> = problems.iter().take(MAX_PROBLEMS).map(|p| field_error("file", &p.to_string())).collect();
    if problems.len() > MAX_PROBLEMS {
        v.push(field_error("file", &format!("and {} more problems", problems.len() - MAX_PROBLEMS)));
    }
    v
}

fn line_lists() -> Vec<Value> {
    RETURN_KINDS
        .iter()
        .filter_map(|k| CostModel::of(*k).map(|m| (k, m)))
        .filter(|(k, _)| **k != ServiceKind::CareHomeNursing)
        .map(|(k, m)| {
            let label = if k.is_care_home() { "Care homes (a bed a week)".to_string() } else { format!("{} ({})", k.label(), m.unit()) };
            context! { label => label, lines => m.lines().iter().map(|l| l.as_str()).collect::<Vec<_>>() }
        })
        .collect()
}

async fn render_upload(state: &AppState, user: &CurrentUser, errors: Vec<Value>, status: StatusCode) -> Result<Response, AppError> {
    let html = render(
        state,
        user,
        "fees_cost_of_care_upload.html",
        context! { errors => errors, line_lists => line_lists(), columns => caremarket_core::fees::cost_of_care::CSV_COLUMNS },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn upload_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ViewCostOfCare)?;
    user.require(Permission::ManageFees)?;
    render_upload(&state, &user, Vec::new(), StatusCode::OK).await
}

async fn upload(user: CurrentUser, State(state): State<AppState>, multipart: crate::csrf::LateMultipart) -> Result<Response, AppError> {
    user.require(Permission::ViewCostOfCare)?;
    user.require(Permission::ManageFees)?;
    let multipart = crate::csrf::opened(multipart)?;
    let file = crate::capacity::read_upload(&user, multipart).await?;
    let Some(bytes) = file else {
        return render_upload(&state, &user, vec![field_error("file", "Select a CSV file")], StatusCode::BAD_REQUEST).await;
    };
    let rows = match caremarket_ingest::uploads::cost_of_care::parse(&bytes) {
        Ok(rows) => rows,
        Err(p) => return render_upload(&state, &user, problem_errors(&p), StatusCode::BAD_REQUEST).await,
    };
    match state.store.import_cost_returns(&user.actor(), &rows, caremarket_store::today()).await? {
        Ok(n) => {
            let year = state.store.cost_return_years().await?.first().copied().unwrap_or_default();
            Ok(Redirect::to(&format!("/fees/cost-of-care?year={year}&saved={n}")).into_response())
        }
        Err(p) => render_upload(&state, &user, problem_errors(&p), StatusCode::BAD_REQUEST).await,
    }
}

/// The calculator's inputs: name, label, hint, the suffix shown after the box, an example.
const CALCULATOR_FIELDS: [(&str, &str, &str, &str); 13] = [
    ("pay_rate", "Care worker pay rate", "Pounds an hour, for example 12.60", "£"),
    ("travel_minutes", "Travel time", "Minutes of travel for each contact hour, for example 12", "minutes"),
    ("miles", "Miles driven", "Miles for each contact hour, for example 4.5", "miles"),
    ("pence_per_mile", "Mileage rate", "Pence paid a mile, for example 45", "pence"),
    ("employer_ni", "Employer National Insurance", "Per cent of pay (including travel time and holiday pay), for example 8.5", "%"),
    ("pension", "Employer pension", "Per cent of pay (including travel time and holiday pay), for example 3", "%"),
    ("holiday", "Holiday pay", "Per cent of pay for contact and travel time, for example 12.07", "%"),
    ("training", "Training", "Pounds for each contact hour, for example 0.35", "£"),
    ("supervision", "Supervision", "Pounds for each contact hour, for example 0.40", "£"),
    ("back_office", "Back office (overheads)", "Pounds for each contact hour, for example 3.90", "£"),
    ("registration_fees", "Registration fees", "Pounds for each contact hour, for example 0.10", "£"),
    ("insurance", "Insurance", "Pounds for each contact hour, for example 0.15", "£"),
    ("margin", "Return on operations (margin)", "Per cent of all the costs above, for example 5", "%"),
];

/// An example that fills every box, linked from the page.
const EXAMPLE: &str = "pay_rate=12.60&travel_minutes=12&miles=4.5&pence_per_mile=45&employer_ni=8.5&pension=3&holiday=12.07&training=0.35&supervision=0.40&back_office=3.90&registration_fees=0.10&insurance=0.15&margin=5";

/// The calculator (a GET form: the result's address can be shared). Builds a home care price
/// per contact hour line by line (`core::fees::cost_of_care::calculate`) and shows it beside the
/// returns' median per line for the year chosen, and the council's rate in force today.
async fn calculator(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewCostOfCare)?;
    let mut errors = crate::forms::FormErrors::new(&[]);
    let asked = CALCULATOR_FIELDS.iter().any(|(n, ..)| !field(&q, n).is_empty());
    let input = CalculatorInput {
        pay_rate: field(&q, "pay_rate").into(),
        travel_minutes: field(&q, "travel_minutes").into(),
        miles: field(&q, "miles").into(),
        pence_per_mile: field(&q, "pence_per_mile").into(),
        employer_ni: field(&q, "employer_ni").into(),
        pension: field(&q, "pension").into(),
        holiday: field(&q, "holiday").into(),
        training: field(&q, "training").into(),
        supervision: field(&q, "supervision").into(),
        back_office: field(&q, "back_office").into(),
        registration_fees: field(&q, "registration_fees").into(),
        insurance: field(&q, "insurance").into(),
        margin: field(&q, "margin").into(),
    };
    let years = state.store.cost_return_years().await?;
    let year = chosen_year(&q, &years);
    let mut result = None;
    if asked {
        match input.check() {
            Err(e) => errors.extend(e),
            Ok(facts) => {
                let price = calculate(&facts);
                let returns = state
                    .store
                    .cost_returns(&CostReturnFilter { year: Some(year), kind: Some(ServiceKind::HomeCare), provider_id: None })
                    .await?;
                let of_kind: Vec<Vec<(CostLine, i64)>> = returns.iter().map(|r| r.lines.clone()).collect();
                let figs = figures(CostModel::PerHour, &of_kind);
                let median_of = |l: Option<CostLine>| figs.iter().find(|r| r.line == l).map(|r| r.figures.median);
                let lines: Vec<Value> = price
                    .lines
                    .iter()
                    .map(|(l, v)| {
                        let m = median_of(Some(*l));
                        context! {
                            label => l.label(), amount => money(*v), median => m.map(money),
                            diff => m.map(|m| compared(*v - m)), href => returns_href(ServiceKind::HomeCare, year, Some(*l)),
                        }
                    })
                    .collect();
                let median_total = median_of(None);
                let totals: Vec<i64> = returns.iter().map(|r| r.total_pence).collect();
                let versions: Vec<RateVersion> = state.store.fee_rates().await?.into_iter().map(|r| r.version).collect();
                let rate = council_rate(&versions, ServiceKind::HomeCare, caremarket_store::today());
                result = Some(context! {
                    lines => lines, total => money(price.total_pence), median_total => median_total.map(money),
                    total_diff => median_total.map(|m| compared(price.total_pence - m)), returns => returns.len(),
                    total_href => returns_href(ServiceKind::HomeCare, year, None),
                    at_or_below => totals.iter().filter(|t| **t <= price.total_pence).count(),
                    rate => rate.as_ref().map(|r| context! {
                        amount => money(r.amount_pence), id => r.id, from => r.effective_from.to_string(),
                        compared => compared(r.amount_pence - price.total_pence),
                    }),
                });
            }
        }
    }
    let inputs: Vec<Value> = CALCULATOR_FIELDS
        .iter()
        .map(|(name, label, hint, unit)| {
            context! { name => name, label => label, hint => hint, unit => unit, value => field(&q, name), error => errors.by_field.get(*name) }
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let html = render(
        &state,
        &user,
        "fees_cost_of_care_calculator.html",
        context! {
            inputs => inputs, errors => errors.list, result => result, year => year, year_label => year_text(year),
            years => year_options(&years), example => format!("/fees/cost-of-care/calculator?{EXAMPLE}&year={year}"),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}
