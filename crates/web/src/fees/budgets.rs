//! Budget against spend (issue 11 item 6): the forecast outturn per market against its budget
//! for a financial year, every figure linked to the spend rows behind it; budgets set as new
//! versions with their history; the council's cost centres mapped to markets; the finance
//! system's spend file uploaded all or nothing; suppliers matched to register providers.
//!
//! Finance figures: every page needs `ViewFinance` (commissioners and administrators), every
//! change `ManageFees` as well. The rules are `caremarket_core::fees::budgets`'s.

use super::cost_of_care::problem_errors;
use super::{kind_options, render};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use crate::render::field_error;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::money::{money, money_millions};
use caremarket_core::fees::budgets::{
    BudgetDraft, CostCentreDraft, FORECAST_RULE, Outturn, SPEND_COLUMNS, months_so_far, nth_month, outturn, parse_period, period_label,
    period_text, supplier_key, year_label,
};
use caremarket_core::fees::cost_of_care::year_of;
use caremarket_core::register::ServiceKind;
use caremarket_core::reports::quarterly::Market;
use caremarket_core::versions::Version;
use caremarket_store::fees::budgets::{BudgetRecord, SpendFilter, SpendRecord};
use caremarket_store::versions::Keyed;
use minijinja::{Value, context};
use serde_json::json;
use std::collections::BTreeMap;

/// The most spend rows one page lists.
const MAX_ROWS: usize = 2_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/fees/budgets", get(outturn_page))
        .route("/fees/budgets/spend", get(spend_page))
        .route("/fees/budgets/set", get(budget_form).post(budget_submit))
        .route("/fees/budgets/upload", get(upload_form).post(upload))
        .route("/fees/budgets/cost-centres", get(cost_centres_page).post(cost_centre_submit))
        .route("/fees/budgets/suppliers", get(suppliers_page))
        .route("/fees/budgets/suppliers/match", get(match_form).post(match_submit))
}

fn can_manage(user: &CurrentUser) -> bool {
    user.role().can(Permission::ManageFees)
}

fn require_manage(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Permission::ViewFinance)?;
    user.require(Permission::ManageFees)
}

/// The year asked for (`year`, a start year), else the latest with spend or a budget, else this
/// financial year.
fn chosen_year(q: &[(String, String)], years: &[i32]) -> i32 {
    field(q, "year")
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .or_else(|| years.first().copied())
        .unwrap_or_else(|| year_of(caremarket_store::today()))
}

fn year_options(years: &[i32], year: i32) -> Vec<serde_json::Value> {
    let mut ys = years.to_vec();
    if !ys.contains(&year) {
        ys.push(year);
    }
    ys.sort_by(|a, b| b.cmp(a));
    ys.iter().map(|y| json!({"value": y.to_string(), "text": year_label(*y)})).collect()
}

/// Which spend a rows page is about: every market, one type of service, or one of the quarterly
/// report's markets (the council's grouping of types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    All,
    Kind(ServiceKind),
    Market(Market),
}

impl Scope {
    fn query(self) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Kind(k) => format!("&amp;kind={}", k.as_str()),
            Scope::Market(m) => format!("&amp;market={}", m.as_str()),
        }
    }
}

/// The address of the spend rows behind a figure. `&` is written `&amp;` for the page.
fn spend_href(year: i32, scope: Scope, month: Option<&str>, supplier: Option<&str>) -> String {
    let mut h = format!("/fees/budgets/spend?year={year}{}", scope.query());
    if let Some(m) = month {
        h.push_str(&format!("&amp;month={m}"));
    }
    if let Some(s) = supplier {
        h.push_str(&format!("&amp;supplier={}", urlencoding(s)));
    }
    h
}

/// Percent-encode a query value (supplier keys are lower-case letters, digits and spaces).
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The latest version of each market's budget.
fn current_budgets(all: &[BudgetRecord]) -> BTreeMap<ServiceKind, &BudgetRecord> {
    let mut out: BTreeMap<ServiceKind, &BudgetRecord> = BTreeMap::new();
    for b in all {
        // `all` is oldest first: the last one wins.
        out.insert(b.kind, b);
    }
    out
}

fn outturn_view(o: &Outturn) -> Value {
    context! {
        budget => o.budget.map(money), to_date => money(o.to_date), projection => money(o.projection), forecast => money(o.forecast),
        variance => o.variance().map(|v| money(v.abs())), words => o.words(), over => o.variance().is_some_and(|v| v > 0),
        under => o.variance().is_some_and(|v| v < 0),
        forecast_m => money_millions(o.forecast), budget_m => o.budget.map(money_millions),
    }
}

/// The forecast outturn per market for a year against its budget.
async fn outturn_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewFinance)?;
    let years = state.store.budget_years().await?;
    let year = chosen_year(&q, &years);
    let budgets = state.store.budgets(Some(year)).await?;
    let current = current_budgets(&budgets);
    let spend = state.store.spend_rows(&SpendFilter { year: Some(year), ..Default::default() }).await?;
    let months = months_so_far(spend.iter().map(|r| r.period));
    let mut by_kind: BTreeMap<ServiceKind, Vec<i64>> = BTreeMap::new();
    for r in &spend {
        by_kind.entry(r.kind).or_default().push(r.amount_pence);
    }
    let mut kinds: Vec<ServiceKind> = current.keys().copied().chain(by_kind.keys().copied()).collect();
    kinds.sort();
    kinds.dedup();
    let mut rows = Vec::new();
    let mut total =
        Outturn { to_date: 0, months_so_far: months, months_left: 12 - months.min(12), projection: 0, forecast: 0, budget: None };
    for k in &kinds {
        let b = current.get(k).map(|b| b.amount_pence);
        let o = outturn(by_kind.get(k).map(Vec::as_slice).unwrap_or(&[]), months, b);
        total.to_date += o.to_date;
        total.projection += o.projection;
        total.forecast += o.forecast;
        if let Some(b) = b {
            total.budget = Some(total.budget.unwrap_or(0) + b);
        }
        rows.push(context! {
            kind => k.as_str(), label => k.label(), o => outturn_view(&o),
            spend_href => spend_href(year, Scope::Kind(*k), None, None),
            budget_href => format!("/fees/budgets/set?kind={}&amp;year={year}", k.as_str()),
        });
    }
    // The quarterly report's markets, each the sum of its types of service (the council's
    // mapping, kept on the report's settings page).
    let mapping = state.store.report_market_kinds().await?;
    let mut groups = Vec::new();
    for m in Market::ALL {
        let ks: Vec<ServiceKind> = mapping.kinds(m).iter().copied().filter(|k| kinds.contains(k)).collect();
        if ks.is_empty() {
            continue;
        }
        let mut o =
            Outturn { to_date: 0, months_so_far: months, months_left: 12 - months.min(12), projection: 0, forecast: 0, budget: None };
        for k in &ks {
            let one = outturn(by_kind.get(k).map(Vec::as_slice).unwrap_or(&[]), months, current.get(k).map(|b| b.amount_pence));
            o.to_date += one.to_date;
            o.projection += one.projection;
            o.forecast += one.forecast;
            if let Some(b) = one.budget {
                o.budget = Some(o.budget.unwrap_or(0) + b);
            }
        }
        groups.push(context! {
            label => m.label(), kinds => ks.iter().map(|k| k.label()).collect::<Vec<_>>().join(", "), o => outturn_view(&o),
            spend_href => spend_href(year, Scope::Market(m), None, None),
        });
    }
    let unmatched = state.store.spend_suppliers().await?.iter().filter(|s| s.provider_id.is_none()).count();
    let last_month = if months == 0 { None } else { nth_month(year, months).map(period_label) };
    let banner = match field(&q, "saved") {
        "budget" => Some("Budget saved".to_string()),
        "import" => {
            let n = |name: &str| field(&q, name).parse::<usize>().ok();
            match (n("rows"), n("replaced")) {
                (Some(rows), Some(0)) => Some(format!("{rows} spend rows imported")),
                (Some(rows), Some(r)) => {
                    Some(format!("{rows} spend rows imported, replacing {r} rows imported before for the same cost centres and months"))
                }
                _ => Some("Spend imported".to_string()),
            }
        }
        _ => None,
    };
    let html = render(
        &state,
        &user,
        "fees_budgets.html",
        context! {
            year => year, year_label => year_label(year), years => year_options(&years, year), rows => rows,
            total => outturn_view(&total), has_rows => !kinds.is_empty(), groups => groups, months => months, months_left => 12 - months.min(12),
            last_month => last_month, rule => FORECAST_RULE, unmatched => unmatched, can_manage => can_manage(&user),
            banner => banner, all_href => spend_href(year, Scope::All, None, None),
        },
    )
    .await?;
    Ok(Html(html).into_response())
}

/// The spend rows behind a figure: a year, optionally one market, month, supplier or cost
/// centre, or only unmatched suppliers; totals by month and by supplier, each a link.
async fn spend_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewFinance)?;
    let years = state.store.budget_years().await?;
    let year = chosen_year(&q, &years);
    let kind = match field(&q, "kind") {
        "" => None,
        k => Some(ServiceKind::parse(k).ok_or(AppError::NotFound)?),
    };
    let market = match field(&q, "market") {
        "" => None,
        m => Some(Market::parse(m).ok_or(AppError::NotFound)?),
    };
    let scope = match (kind, market) {
        (Some(k), _) => Scope::Kind(k),
        (None, Some(m)) => Scope::Market(m),
        (None, None) => Scope::All,
    };
    let market_kinds: Option<Vec<ServiceKind>> = match market {
        Some(m) if kind.is_none() => Some(state.store.report_market_kinds().await?.kinds(m).to_vec()),
        _ => None,
    };
    let month = match field(&q, "month") {
        "" => None,
        m => Some(parse_period(m).filter(|p| year_of(*p) == year).ok_or(AppError::NotFound)?),
    };
    let supplier = Some(supplier_key(field(&q, "supplier"))).filter(|s| !s.is_empty());
    let unmatched = field(&q, "unmatched") == "1";
    let filter = SpendFilter { year: Some(year), kind, period: month, supplier_key: supplier.clone(), cost_centre: None, unmatched };
    let mut rows = state.store.spend_rows(&filter).await?;
    if let Some(ks) = &market_kinds {
        rows.retain(|r| ks.contains(&r.kind));
    }
    let total: i64 = rows.iter().map(|r| r.amount_pence).sum();
    let month_text = month.map(period_text);
    // Totals by month (each month of the year so far) and by supplier, over every row the filter chose.
    let mut by_month: BTreeMap<String, (String, i64, usize)> = BTreeMap::new();
    let mut by_supplier: BTreeMap<String, (String, i64, usize, Option<String>)> = BTreeMap::new();
    for r in &rows {
        let m = by_month.entry(period_text(r.period)).or_insert_with(|| (period_label(r.period), 0, 0));
        m.1 += r.amount_pence;
        m.2 += 1;
        let s = by_supplier.entry(r.supplier_key.clone()).or_insert_with(|| (r.supplier.clone(), 0, 0, r.provider_name.clone()));
        s.1 += r.amount_pence;
        s.2 += 1;
    }
    let sup = supplier.as_deref();
    let months: Vec<Value> = by_month
        .iter()
        .map(|(m, (label, sum, n))| context! { label => label, total => money(*sum), rows => n, href => spend_href(year, scope, Some(m), sup) })
        .collect();
    let suppliers: Vec<Value> = by_supplier
        .iter()
        .map(|(k, (name, sum, n, provider))| {
            context! { name => name, total => money(*sum), rows => n, provider => provider, href => spend_href(year, scope, month_text.as_deref(), Some(k)) }
        })
        .collect();
    // A year of a large council's ledger is many thousand rows: the page lists the first
    // `MAX_ROWS`; the totals above are of them all.
    let list: Vec<Value> = rows.iter().take(MAX_ROWS).map(row_view).collect();
    let mut about = vec![year_label(year)];
    match scope {
        Scope::Kind(k) => about.push(k.label().to_string()),
        Scope::Market(m) => about.push(m.label().to_string()),
        Scope::All => {}
    }
    if let Some(m) = month {
        about.push(period_label(m));
    }
    if let Some(r) = rows.first().filter(|_| supplier.is_some()) {
        about.push(r.supplier.clone());
    }
    if unmatched {
        about.push("suppliers not matched to a provider".into());
    }
    let html = render(
        &state,
        &user,
        "fees_budget_spend.html",
        context! {
            year => year, about => about.join(", "), rows => list, count => rows.len(), total => money(total), shown => rows.len().min(MAX_ROWS),
            months => months, suppliers => suppliers, show_months => month.is_none(), show_suppliers => supplier.is_none(),
            year_href => spend_href(year, Scope::All, None, None), kind_href => kind.map(|k| spend_href(year, Scope::Kind(k), None, None)),
            kind_label => kind.map(|k| k.label()),
        },
    )
    .await?;
    Ok(Html(html).into_response())
}

fn row_view(r: &SpendRecord) -> Value {
    context! {
        month => period_label(r.period), supplier => r.supplier, provider => r.provider_name, provider_id => r.provider_id,
        cost_centre => r.cost_centre, cost_centre_name => r.cost_centre_name, market => r.kind.label(),
        amount => money(r.amount_pence), file => r.file_name, row => r.row_number,
    }
}

async fn render_budget_form(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let kind = ServiceKind::parse(field(form, "kind"));
    let year = field(form, "year")
        .trim()
        .parse::<i32>()
        .ok()
        .or_else(|| caremarket_core::fees::cost_of_care::parse_year("year", field(form, "year"), caremarket_store::today()).ok());
    let mut history = Vec::new();
    if let (Some(k), Some(y)) = (kind, year) {
        let all = state.store.budgets(Some(y)).await?;
        let mut versions: Vec<&BudgetRecord> = all.iter().filter(|b| b.kind == k).collect();
        versions.reverse();
        history = versions
            .iter()
            .enumerate()
            .map(|(i, b)| {
                context! {
                    amount => money(b.amount_pence), reason => b.reason, by => b.created_by_label, at => b.created_at,
                    current => i == 0,
                }
            })
            .collect();
    }
    let year_value = match (field(form, "year"), year) {
        (typed, _) if !typed.is_empty() && typed.contains('/') => typed.to_string(),
        (_, Some(y)) => year_label(y),
        (typed, None) => typed.to_string(),
    };
    let html = render(
        state,
        user,
        "fees_budget_form.html",
        context! {
            errors => errors.list, field_errors => errors.by_field, kind => field(form, "kind"), year => year_value,
            amount => field(form, "amount"), reason => field(form, "reason"), kind_options => kind_options("Choose the market"),
            history => history, kind_label => kind.map(|k| k.label()), year_label => year.map(year_label),
            back => year.map(|y| format!("/fees/budgets?year={y}")).unwrap_or_else(|| "/fees/budgets".into()),
            can_manage => can_manage(user),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

/// The form to set a market's budget for a year, with the budget's history when a market and
/// year are given. Reading the history needs only `ViewFinance`.
async fn budget_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewFinance)?;
    render_budget_form(&state, &user, &q, &FormErrors::new(&[]), StatusCode::OK).await
}

async fn budget_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_manage(&user)?;
    let draft = BudgetDraft {
        kind: ServiceKind::parse(field(&form, "kind")),
        year: field(&form, "year").to_string(),
        amount: field(&form, "amount").to_string(),
        reason: field(&form, "reason").to_string(),
    };
    let today = caremarket_store::today();
    match state.store.set_budget(&user.actor(), &draft, today).await {
        Ok(_) => {
            let y = caremarket_core::fees::cost_of_care::parse_year("year", &draft.year, today).unwrap_or_else(|_| year_of(today));
            Ok(Redirect::to(&format!("/fees/budgets?year={y}&saved=budget")).into_response())
        }
        Err(err) => {
            let mut e = FormErrors::new(&[]);
            e.add_store(err)?;
            render_budget_form(&state, &user, &form, &e, StatusCode::BAD_REQUEST).await
        }
    }
}

async fn render_upload(state: &AppState, user: &CurrentUser, errors: Vec<Value>, status: StatusCode) -> Result<Response, AppError> {
    let centres = state.store.cost_centres().await?;
    let columns: Vec<Value> = SPEND_COLUMNS.iter().map(|(c, names)| context! { name => c, also => names[1..].join(", ") }).collect();
    let html =
        render(state, user, "fees_budget_upload.html", context! { errors => errors, columns => columns, centres => centres.len() }).await?;
    Ok((status, Html(html)).into_response())
}

async fn upload_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    require_manage(&user)?;
    render_upload(&state, &user, Vec::new(), StatusCode::OK).await
}

/// The upload's file and its name, after checking the form's token.
async fn read_file(user: &CurrentUser, mut multipart: axum::extract::Multipart) -> Result<Option<(String, Vec<u8>)>, AppError> {
    let mut token = None;
    let mut file = None;
    while let Some(f) = multipart.next_field().await.map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))? {
        match f.name() {
            Some("csrf_token") => token = Some(f.text().await.map_err(|e| AppError::BadRequest(e.to_string()))?),
            Some("file") => {
                let name = f.file_name().map(|n| n.chars().filter(|c| !c.is_control()).take(200).collect::<String>()).unwrap_or_default();
                let b = f.bytes().await.map_err(|e| AppError::BadRequest(e.to_string()))?;
                if !b.is_empty() {
                    file = Some((if name.is_empty() { "spend.csv".to_string() } else { name }, b.to_vec()));
                }
            }
            _ => {}
        }
    }
    crate::csrf::verify_token(&user.session, token.as_deref()).await?;
    Ok(file)
}

async fn upload(user: CurrentUser, State(state): State<AppState>, multipart: crate::csrf::LateMultipart) -> Result<Response, AppError> {
    require_manage(&user)?;
    let multipart = crate::csrf::opened(multipart)?;
    let Some((name, bytes)) = read_file(&user, multipart).await? else {
        return render_upload(&state, &user, vec![field_error("file", "Select a CSV file")], StatusCode::BAD_REQUEST).await;
    };
    let rows = match caremarket_ingest::uploads::spend::parse(&bytes) {
        Ok(rows) => rows,
        Err(p) => return render_upload(&state, &user, problem_errors(&p), StatusCode::BAD_REQUEST).await,
    };
    match state.store.import_finance_spend(&user.actor(), &name, &rows).await? {
        Ok(s) => {
            let year = s.years.last().copied().unwrap_or_else(|| year_of(caremarket_store::today()));
            Ok(Redirect::to(&format!("/fees/budgets?year={year}&saved=import&rows={}&replaced={}", s.rows, s.replaced)).into_response())
        }
        Err(p) => render_upload(&state, &user, problem_errors(&p), StatusCode::BAD_REQUEST).await,
    }
}

async fn render_cost_centres(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    banner: Option<String>,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let centres = state.store.cost_centres().await?;
    let list: Vec<Value> =
        centres.iter().map(|c| context! { code => c.code, name => c.name, market => c.kind.label(), kind => c.kind.as_str() }).collect();
    let html = render(
        state,
        user,
        "fees_cost_centres.html",
        context! {
            centres => list, errors => errors.list, field_errors => errors.by_field, code => field(form, "code"),
            name => field(form, "name"), kind => field(form, "kind"), kind_options => kind_options("Choose the market"),
            can_manage => can_manage(user), banner => banner, stale => reply.stale, version => field(form, "version"),
        },
    )
    .await?;
    Ok((reply.status, Html(html)).into_response())
}

async fn cost_centres_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewFinance)?;
    let banner = match field(&q, "saved") {
        "added" => Some("Cost centre added".to_string()),
        "changed" => Some("Cost centre changed".to_string()),
        _ => None,
    };
    // `edit` fills the form with a cost centre to change.
    let mut form: Vec<(String, String)> = Vec::new();
    if let Some(c) = state.store.cost_centres().await?.into_iter().find(|c| !field(&q, "edit").is_empty() && c.code == field(&q, "edit")) {
        // The version it is at goes with the form (decision 25); a form that adds carries none.
        let version = state.store.cost_centre_version(&c.code).await?.map(|v| v.to_string()).unwrap_or_default();
        form = vec![("code".into(), c.code), ("name".into(), c.name), ("kind".into(), c.kind.as_str().into()), ("version".into(), version)];
    }
    render_cost_centres(&state, &user, &form, &FormErrors::new(&[]), banner, crate::versions::Reply::status(StatusCode::OK)).await
}

async fn cost_centre_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_manage(&user)?;
    let draft = CostCentreDraft {
        code: field(&form, "code").to_string(),
        name: field(&form, "name").to_string(),
        kind: ServiceKind::parse(field(&form, "kind")),
    };
    let expected = crate::versions::from_form(&form);
    match state.store.save_cost_centre(&user.actor(), &draft, Some(expected)).await {
        Ok(true) => Ok(Redirect::to("/fees/budgets/cost-centres?saved=added").into_response()),
        Ok(false) => Ok(Redirect::to("/fees/budgets/cost-centres?saved=changed").into_response()),
        Err(caremarket_store::StoreError::Stale { current }) => {
            let code = caremarket_core::fees::budgets::cost_centre_code(&draft.code);
            let now = state.store.cost_centres().await?.into_iter().find(|c| c.code == code).ok_or(AppError::NotFound)?;
            let market = |k: Option<ServiceKind>| k.map(|k| k.label().to_string()).unwrap_or_default();
            let changes = caremarket_core::versions::changes([
                ("Name", now.name.clone(), draft.name.clone()),
                ("Market", now.kind.label().to_string(), market(draft.kind)),
            ]);
            let stale = crate::versions::stale(&state, "budget_cost_centre", &code, current, expected, changes).await?;
            let mut kept: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "version").cloned().collect();
            kept.push(("version".into(), stale.current.to_string()));
            render_cost_centres(&state, &user, &kept, &FormErrors::new(&[]), None, crate::versions::Reply::stale(stale.notice)).await
        }
        Err(err) => {
            let mut e = FormErrors::new(&[]);
            e.add_store(err)?;
            render_cost_centres(&state, &user, &form, &e, None, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
        }
    }
}

async fn suppliers_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewFinance)?;
    let all = state.store.spend_suppliers().await?;
    let list: Vec<Value> = all
        .iter()
        .map(|s| {
            context! {
                key => s.key, name => s.name, rows => s.rows, total => money(s.total_pence), provider => s.provider_name,
                provider_id => s.provider_id, matched_by => s.matched_by_label, matched_at => s.matched_at,
                match_href => format!("/fees/budgets/suppliers/match?key={}&amp;q={}", urlencoding(&s.key), urlencoding(&s.name)),
                spend_href => format!("/fees/budgets/spend?supplier={}", urlencoding(&s.key)),
            }
        })
        .collect();
    let unmatched = all.iter().filter(|s| s.provider_id.is_none()).count();
    let banner = (field(&q, "saved") == "1").then_some("Supplier match saved");
    let html = render(
        &state,
        &user,
        "fees_budget_suppliers.html",
        context! { suppliers => list, unmatched => unmatched, count => all.len(), can_manage => can_manage(&user), banner => banner },
    )
    .await?;
    Ok(Html(html).into_response())
}

/// The match form as the officer left it: what they searched for and chose, and the version of
/// the supplier's match the form was opened at (kept across searches, decision 25).
struct MatchForm<'a> {
    search: &'a str,
    chosen: &'a str,
    version: i64,
}

async fn render_match(
    state: &AppState,
    user: &CurrentUser,
    key: &str,
    form: MatchForm<'_>,
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let search = form.search;
    let supplier = state.store.spend_suppliers().await?.into_iter().find(|s| s.key == key).ok_or(AppError::NotFound)?;
    let search = search.trim();
    let mut options: Vec<serde_json::Value> = Vec::new();
    if !search.is_empty() {
        // Every provider in the register, in the council's area or not (suppliers include homes
        // out of area): each word typed must be in the name, ignoring case and punctuation.
        let words: Vec<String> = supplier_key(search).split(' ').map(str::to_string).collect();
        let found: Vec<_> = state
            .store
            .provider_choices()
            .await?
            .into_iter()
            .filter(|p| {
                let name = supplier_key(&p.name);
                words.iter().all(|w| name.contains(w.as_str()))
            })
            .take(50)
            .collect();
        options = found.iter().map(|p| json!({"value": p.id, "text": p.name})).collect();
    }
    if supplier.provider_id.is_some() {
        options.push(json!({"value": "none", "text": "Not a provider in the register (clear the match)"}));
    }
    let html = render(
        state,
        user,
        "fees_budget_supplier_match.html",
        context! {
            s => context! { key => supplier.key, name => supplier.name, rows => supplier.rows, total => money(supplier.total_pence), provider => supplier.provider_name },
            q => search, options => options, errors => errors.list, field_errors => errors.by_field, searched => !search.is_empty(),
            chosen => form.chosen, version => form.version, stale => reply.stale,
        },
    )
    .await?;
    Ok((reply.status, Html(html)).into_response())
}

/// Match one supplier: search the register by name (a GET form), then choose a provider.
async fn match_form(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_manage(&user)?;
    let key = field(&q, "key");
    // A search from the form keeps the version the form was first opened at.
    let version = match Version::parse(field(&q, "version")) {
        Ok(v) => v.get(),
        Err(_) => state.store.keyed_version(Keyed::SpendSupplier, key).await?,
    };
    let form = MatchForm { search: field(&q, "q"), chosen: "", version };
    render_match(&state, &user, key, form, &FormErrors::new(&[]), crate::versions::Reply::status(StatusCode::OK)).await
}

async fn match_submit(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_manage(&user)?;
    let key = field(&pairs, "key");
    let expected = crate::versions::from_form(&pairs);
    let chosen = field(&pairs, "provider_id");
    let form = MatchForm { search: field(&pairs, "q"), chosen, version: expected.get() };
    let bad = crate::versions::Reply::status(StatusCode::BAD_REQUEST);
    let provider = match chosen {
        "" => {
            let mut e = FormErrors::new(&[]);
            e.add("provider_id", "Choose the provider the supplier is");
            return render_match(&state, &user, key, form, &e, bad).await;
        }
        "none" => None,
        p => Some(p),
    };
    match state.store.match_supplier_at(&user.actor(), key, provider, expected).await {
        Ok(()) => Ok(Redirect::to("/fees/budgets/suppliers?saved=1").into_response()),
        Err(caremarket_store::StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(caremarket_store::StoreError::Stale { current }) => {
            let now = state.store.supplier_match(key).await?.map(|(_, name)| name).unwrap_or_else(|| "Not matched".to_string());
            let submitted = match provider {
                None => "Not matched".to_string(),
                Some(p) => state.store.provider(p).await.map(|p| p.name).unwrap_or_else(|_| p.to_string()),
            };
            let changes = caremarket_core::versions::changes([("Provider", now, submitted)]);
            let stale = crate::versions::stale(&state, "spend_supplier", key, current, expected, changes).await?;
            let form = MatchForm { version: current, ..form };
            render_match(&state, &user, key, form, &FormErrors::new(&[]), crate::versions::Reply::stale(stale.notice)).await
        }
        Err(err) => {
            let mut e = FormErrors::new(&[]);
            e.add_store(err)?;
            render_match(&state, &user, key, form, &e, bad).await
        }
    }
}
