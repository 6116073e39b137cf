//! Outcomes-based contracts (issue 13 items 4-7; domain C10; seed `003`): set up a contract with
//! its parties, outcomes and tariffs; keep the cohort by case reference; verify or reject the
//! outcome claims providers send through the portal (`crate::portal::outcomes`); see payments by
//! funder (released, or held until savings are realised) and the savings per quarter. The
//! dashboard's every figure links to the people or claims behind it.
//!
//! Reading needs `ViewOutcomes`, every change `ManageOutcomes` (commissioners and
//! administrators). The rules are `caremarket_core::outcomes`'s; the store audits every change.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_core::outcomes::{
    ClaimStatus, ContractDraft, Facts, Figures, LeaveReason, Member, MemberDraft, OutcomeDraft, OutcomeKind, PartyDraft, PartyRole,
    Placement, Quarter, avoided_pence, long_date, money, percent_text,
};
use caremarket_store::StoreError;
use caremarket_store::outcomes::ContractBook;
use caremarket_store::versions::Versioned;
use minijinja::{Value, context};
use serde_json::json;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/outcomes", get(list))
        .route("/outcomes/new", get(new_form).post(create))
        .route("/outcomes/{id}", get(dashboard))
        .route("/outcomes/{id}/setup", get(setup))
        .route("/outcomes/{id}/parties", post(add_party))
        .route("/outcomes/{id}/outcomes", post(add_outcome))
        .route("/outcomes/{id}/cohort", get(cohort).post(add_member))
        .route("/outcomes/{id}/cohort/{member}", get(member_page))
        .route("/outcomes/{id}/cohort/{member}/leave", post(leave))
        .route("/outcomes/{id}/claims", get(claims))
        .route("/outcomes/{id}/claims/{claim}", get(claim_page).post(decide))
        .route("/outcomes/{id}/payments", get(payments))
        .route("/outcomes/{id}/savings", get(savings))
}

pub(crate) async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<String, AppError> {
    let base = user.context(state).await?;
    state.renderer.render(template, &base, page)
}

fn require_view(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Permission::ViewOutcomes)
}

fn require_change(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Permission::ViewOutcomes)?;
    user.require(Permission::ManageOutcomes)
}

pub(crate) async fn book(state: &AppState, id: &str) -> Result<ContractBook, AppError> {
    match state.store.oc_contract(id).await {
        Ok(b) => Ok(b),
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

fn options<T: Copy>(
    all: &[T],
    value: impl Fn(T) -> &'static str,
    text: impl Fn(T) -> &'static str,
    first: Option<&str>,
) -> Vec<serde_json::Value> {
    let mut v: Vec<serde_json::Value> = first.map(|f| json!({"value": "", "text": f})).into_iter().collect();
    v.extend(all.iter().map(|x| json!({"value": value(*x), "text": text(*x)})));
    v
}

/// The contract's terms as the pages show them.
fn contract_view(b: &ContractBook) -> Value {
    let c = &b.contract;
    context! {
        id => c.id, name => c.name, starts_on => long_date(c.starts_on), ends_on => long_date(c.ends_on),
        envelope => money(c.envelope_pence), cap => c.cap_pence.map(money), baseline => c.baseline,
        forecast => format!("{} to {} by {}", c.forecast_low, c.forecast_high, long_date(c.forecast_by)),
        saving => format!("{} to {}", money(c.expected_saving_low_pence), money(c.expected_saving_high_pence)),
        eligibility => c.eligibility, age_out => c.age_out,
    }
}

fn party_name(f: &Facts, id: &str) -> String {
    f.parties.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_default()
}

fn parties_view(f: &Facts) -> Vec<Value> {
    f.parties
        .iter()
        .map(|p| {
            let share = match p.role {
                PartyRole::CoFunder => Some(format!("{} of each outcome payment", percent_text(p.share_bp))),
                PartyRole::PoolPartner => Some(format!("{} of the risk", percent_text(p.share_bp))),
                _ => None,
            };
            context! {
                name => p.name, role => p.role.label(), share => share, commitment => p.commitment_pence.map(money),
                ends_on => p.ends_on.map(long_date), claims_in_portal => p.provider_id.is_some(),
            }
        })
        .collect()
}

fn outcomes_view(f: &Facts) -> Vec<Value> {
    f.outcomes
        .iter()
        .map(|o| {
            let pre = o.prerequisite_id.as_ref().and_then(|p| f.outcomes.iter().find(|x| &x.id == p)).map(|p| {
                if o.after_months > 0 { format!("{} months after '{}'", o.after_months, p.name) } else { format!("After '{}'", p.name) }
            });
            context! { id => o.id, name => o.name, kind => o.kind.label(), tariff => money(o.tariff_pence), evidence => o.evidence, prerequisite => pre }
        })
        .collect()
}

async fn list(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    require_view(&user)?;
    let today = caremarket_store::today();
    let mut rows = Vec::new();
    for c in state.store.oc_contracts().await? {
        let b = book(&state, &c.id).await?;
        let f = b.facts.figures(today);
        rows.push(context! {
            href => format!("/outcomes/{}", c.id), name => c.name, term => format!("{} to {}", long_date(c.starts_on), long_date(c.ends_on)),
            cohort => f.cohort, in_care => f.in_care, pending => f.pending, verified => money(f.verified_pence),
        });
    }
    let html = render(&state, &user, "outcomes.html", context! { rows => rows, can_change => user.role().can(Permission::ManageOutcomes) })
        .await?;
    Ok(Html(html).into_response())
}

const CONTRACT_DATES: [&str; 3] = ["starts_on", "ends_on", "forecast_by"];

async fn new_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    require_change(&user)?;
    render_new(&state, &user, &[], &FormErrors::new(&CONTRACT_DATES), StatusCode::OK).await
}

async fn render_new(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let f = |n: &str| field(form, n).to_string();
    let html = render(
        state,
        user,
        "outcomes_contract_form.html",
        context! {
            name => f("name"), envelope => f("envelope"), cap => f("cap"), baseline => f("baseline"), forecast_low => f("forecast_low"),
            forecast_high => f("forecast_high"), expected_saving_low => f("expected_saving_low"), expected_saving_high => f("expected_saving_high"),
            eligibility => f("eligibility"), age_out => if form.is_empty() { "65".to_string() } else { f("age_out") },
            starts_on => date_parts(form, "starts_on"), ends_on => date_parts(form, "ends_on"), forecast_by => date_parts(form, "forecast_by"),
            errors => errors.list, field_errors => errors.by_field,
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_change(&user)?;
    let mut errors = FormErrors::new(&CONTRACT_DATES);
    let mut date = |n: &str, label: &str| match form_date(&form, n, label) {
        Ok(d) => d,
        Err(m) => {
            errors.add(n, &m);
            None
        }
    };
    let (starts_on, ends_on, forecast_by) =
        (date("starts_on", "The start date"), date("ends_on", "The end date"), date("forecast_by", "The forecast's date"));
    let f = |n: &str| field(&form, n).to_string();
    let draft = ContractDraft {
        name: f("name"),
        starts_on,
        ends_on,
        envelope: f("envelope"),
        cap: f("cap"),
        baseline: f("baseline"),
        forecast_low: f("forecast_low"),
        forecast_high: f("forecast_high"),
        forecast_by,
        expected_saving_low: f("expected_saving_low"),
        expected_saving_high: f("expected_saving_high"),
        eligibility: f("eligibility"),
        age_out: f("age_out"),
    };
    let council = state.store.setting("council_name").await?.unwrap_or_else(|| "The council".to_string());
    if errors.is_empty() {
        match state.store.create_oc_contract(&user.actor(), &draft, &council).await {
            Ok(id) => return Ok(Redirect::to(&format!("/outcomes/{id}/setup?saved=contract")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    } else if let Err(all) = draft.check() {
        errors.extend(all);
    }
    render_new(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}

fn banner(saved: &str) -> Option<&'static str> {
    match saved {
        "contract" => Some("Contract set up: add its parties and outcomes"),
        "party" => Some("Party added"),
        "outcome" => Some("Outcome added"),
        "member" => Some("Person added to the cohort"),
        "left" => Some("Leaving recorded"),
        "verified" => Some("Claim verified: its payment is split between the funders"),
        "rejected" => Some("Claim rejected"),
        _ => None,
    }
}

/// The dashboard's figures with the addresses they drill down to.
fn figures_view(b: &ContractBook, fig: &Figures) -> Value {
    let id = &b.contract.id;
    let f = &b.facts;
    let achieved: Vec<Value> = fig
        .achieved
        .iter()
        .map(|(oid, n)| {
            let name = f.outcomes.iter().find(|o| &o.id == oid).map(|o| o.name.clone()).unwrap_or_default();
            context! { name => name, count => n, href => format!("/outcomes/{id}/claims?status=verified&amp;outcome={oid}") }
        })
        .collect();
    let funders: Vec<Value> = fig
        .by_funder
        .iter()
        .map(|r| {
            context! {
                name => party_name(f, &r.party_id), verified => money(r.verified_pence), paid => money(r.paid_pence), held => money(r.held_pence),
                href => format!("/outcomes/{id}/payments?funder={}", r.party_id),
            }
        })
        .collect();
    let left: Vec<Value> = fig.left.iter().map(|(r, n)| context! { reason => r.label(), count => n, href => format!("/outcomes/{id}/cohort?show=left&amp;reason={}", r.as_str()) }).collect();
    context! {
        as_at => long_date(fig.as_at), cohort => fig.cohort, in_care => fig.in_care, moved => fig.moved_in_cohort, left => left,
        left_total => fig.left.iter().map(|(_, n)| n).sum::<i64>(), achieved => achieved, pending => fig.pending, rejected => fig.rejected,
        verified => money(fig.verified_pence), paid => money(fig.paid_pence), held => money(fig.held_pence), funders => funders,
        avoided => money(fig.avoided_pence), net => money(fig.net_pence), net_after_held => money(fig.net_pence - fig.held_pence),
        envelope_left => money(fig.envelope_left_pence), cap_left => fig.cap_left_pence.map(money),
        held_count => fig.releases.iter().filter(|r| r.paid_on.is_none()).count(),
    }
}

async fn dashboard(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    require_view(&user)?;
    let b = book(&state, &id).await?;
    let fig = b.facts.figures(caremarket_store::today());
    let html = render(
        &state,
        &user,
        "outcomes_contract.html",
        context! {
            c => contract_view(&b), fig => figures_view(&b, &fig), parties => parties_view(&b.facts), outcomes => outcomes_view(&b.facts),
            can_change => user.role().can(Permission::ManageOutcomes),
        },
    )
    .await?;
    Ok(Html(html).into_response())
}

async fn setup(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_change(&user)?;
    let b = book(&state, &id).await?;
    render_setup(&state, &user, &b, &[], &FormErrors::new(&["ends_on"]), "", field(&q, "saved"), StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render_setup(
    state: &AppState,
    user: &CurrentUser,
    b: &ContractBook,
    form: &[(String, String)],
    errors: &FormErrors,
    which: &str,
    saved: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    let f = |n: &str| if which.is_empty() { String::new() } else { field(form, n).to_string() };
    let roles = options(
        &[PartyRole::Spv, PartyRole::Provider, PartyRole::CoFunder, PartyRole::PoolPartner],
        PartyRole::as_str,
        PartyRole::label,
        None,
    );
    let kinds = options(OutcomeKind::ALL, OutcomeKind::as_str, OutcomeKind::label, None);
    let mut prereqs = vec![json!({"value": "", "text": "None"})];
    prereqs.extend(b.facts.outcomes.iter().map(|o| json!({"value": o.id, "text": o.name})));
    let providers = crate::fees::provider_options(state, "Not a provider in the register").await?;
    let (party_errors, outcome_errors) =
        if which == "party" { (errors.by_field.clone(), BTreeMap::new()) } else { (BTreeMap::new(), errors.by_field.clone()) };
    let html = render(
        state,
        user,
        "outcomes_setup.html",
        context! {
            c => contract_view(b), parties => parties_view(&b.facts), outcomes => outcomes_view(&b.facts),
            roles => roles, kinds => kinds, prereqs => prereqs, providers => providers,
            p => context! { role => f("role"), name => f("name"), provider_id => f("provider_id"), share => f("share"), commitment => f("commitment"), ends_on => date_parts(form, "ends_on") },
            o => context! { name => f("name"), kind => f("kind"), tariff => f("tariff"), evidence => f("evidence"), prerequisite_id => f("prerequisite_id"), after_months => f("after_months") },
            party_errors => party_errors, outcome_errors => outcome_errors, errors => errors.list, banner => banner(saved),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn add_party(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_change(&user)?;
    let b = book(&state, &id).await?;
    let mut errors = FormErrors::new(&["ends_on"]);
    let ends_on = match form_date(&form, "ends_on", "The date the co-funder stops paying") {
        Ok(d) => d,
        Err(m) => {
            errors.add("ends_on", &m);
            None
        }
    };
    let draft = PartyDraft {
        role: PartyRole::parse(field(&form, "role")),
        name: field(&form, "name").to_string(),
        provider_id: field(&form, "provider_id").to_string(),
        share: field(&form, "share").to_string(),
        commitment: field(&form, "commitment").to_string(),
        ends_on,
    };
    if errors.is_empty() {
        match state.store.add_oc_party(&user.actor(), &id, &draft).await {
            Ok(_) => return Ok(Redirect::to(&format!("/outcomes/{id}/setup?saved=party")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    } else if let Err(all) = draft.check(&b.facts.parties) {
        errors.extend(all);
    }
    render_setup(&state, &user, &b, &form, &errors, "party", "", StatusCode::BAD_REQUEST).await
}

async fn add_outcome(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_change(&user)?;
    let b = book(&state, &id).await?;
    let draft = OutcomeDraft {
        name: field(&form, "name").to_string(),
        kind: OutcomeKind::parse(field(&form, "kind")),
        tariff: field(&form, "tariff").to_string(),
        evidence: field(&form, "evidence").to_string(),
        prerequisite_id: field(&form, "prerequisite_id").to_string(),
        after_months: field(&form, "after_months").to_string(),
    };
    let mut errors = FormErrors::new(&[]);
    match state.store.add_oc_outcome(&user.actor(), &id, &draft).await {
        Ok(_) => Ok(Redirect::to(&format!("/outcomes/{id}/setup?saved=outcome")).into_response()),
        Err(e) => {
            errors.add_store(e)?;
            render_setup(&state, &user, &b, &form, &errors, "outcome", "", StatusCode::BAD_REQUEST).await
        }
    }
}

/// One person as the cohort's lists show them.
fn member_row(b: &ContractBook, m: &Member, moves: &BTreeMap<String, jiff::civil::Date>, today: jiff::civil::Date) -> Value {
    let age_out = b.contract.age_out;
    let left = m.left_by(age_out, today);
    let moved = moves.get(&m.id).copied();
    let verified = b.facts.claims.iter().filter(|c| c.member_id == m.id && c.status == ClaimStatus::Verified).count();
    context! {
        href => format!("/outcomes/{}/cohort/{}", b.contract.id, m.id), case_ref => m.case_ref,
        age => m.born.age_on(left.map(|(d, _)| d).unwrap_or(today)), entered => long_date(m.entered_on), placement => m.placement.label(),
        weekly => money(m.weekly_cost_pence), moved => moved.map(long_date),
        left => left.map(|(d, r)| format!("{}: {}", long_date(d), r.label())), outcomes => verified,
        avoided => moved.map(|d| money(avoided_pence(m, d, today, age_out))),
    }
}

async fn cohort(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_view(&user)?;
    let b = book(&state, &id).await?;
    render_cohort(&state, &user, &b, &q, &[], &FormErrors::new(&["entered_on"]), StatusCode::OK).await
}

/// Who a cohort list shows: `show` = cohort (in it now), in_care, moved, left (with `reason`), all.
fn shown(
    b: &ContractBook,
    show: &str,
    reason: &str,
    moves: &BTreeMap<String, jiff::civil::Date>,
    on: jiff::civil::Date,
) -> (Vec<Member>, String) {
    let age = b.contract.age_out;
    let ms = b.facts.members.iter();
    let reason = LeaveReason::parse(reason);
    let (v, title): (Vec<&Member>, String) = match show {
        "in_care" => (ms.filter(|m| m.in_cohort(age, on) && moves.get(&m.id).is_none_or(|d| *d > on)).collect(), "In 24/7 care".into()),
        "moved" => {
            (ms.filter(|m| m.in_cohort(age, on) && moves.get(&m.id).is_some_and(|d| *d <= on)).collect(), "Moved on from 24/7 care".into())
        }
        "left" => (
            ms.filter(|m| m.left_by(age, on).is_some_and(|(_, r)| reason.is_none_or(|x| x == r))).collect(),
            match reason {
                Some(r) => format!("Left the cohort: {}", r.label().to_lowercase()),
                None => "Left the cohort".into(),
            },
        ),
        "all" => (ms.collect(), "Everyone who has been in the cohort".into()),
        _ => (ms.filter(|m| m.in_cohort(age, on)).collect(), "In the cohort".into()),
    };
    (v.into_iter().cloned().collect(), title)
}

#[allow(clippy::too_many_arguments)]
async fn render_cohort(
    state: &AppState,
    user: &CurrentUser,
    b: &ContractBook,
    q: &[(String, String)],
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let today = caremarket_store::today();
    let quarter = Quarter::parse(field(q, "quarter"));
    let on = quarter.map(|x| x.last_day().min(today)).unwrap_or(today);
    let moves = b.facts.moves();
    let show = Some(field(q, "show")).filter(|s| !s.is_empty()).unwrap_or("cohort");
    let (people, title) = shown(b, show, field(q, "reason"), &moves, on);
    let rows: Vec<Value> = people.iter().map(|m| member_row(b, m, &moves, on)).collect();
    let fig = b.facts.figures(today);
    let c = &b.contract;
    let quarters: Vec<Value> = fig
        .quarters
        .iter()
        .map(|r| {
            let code = r.quarter.code();
            context! {
                label => r.quarter.label(), cohort => r.cohort, in_care => r.in_care, moved => r.moved, left => r.left,
                cohort_href => format!("/outcomes/{}/cohort?quarter={code}", c.id), in_care_href => format!("/outcomes/{}/cohort?show=in_care&amp;quarter={code}", c.id),
                forecast_met => r.in_care <= c.forecast_high,
            }
        })
        .collect();
    let html = render(
        state,
        user,
        "outcomes_cohort.html",
        context! {
            c => contract_view(b), rows => rows, title => title, show => show, on => long_date(on), quarter => quarter.map(|x| x.label()),
            quarters => quarters, baseline => c.baseline, forecast_low => c.forecast_low, forecast_high => c.forecast_high, forecast_by => long_date(c.forecast_by),
            placements => options(Placement::ALL, Placement::as_str, Placement::label, None),
            case_ref => field(form, "case_ref"), born => field(form, "born"), weekly_cost => field(form, "weekly_cost"),
            placement => field(form, "placement"), mental_health_need => field(form, "mental_health_need"), entered_on => date_parts(form, "entered_on"),
            errors => errors.list, field_errors => errors.by_field, banner => banner(field(q, "saved")),
            can_change => user.role().can(Permission::ManageOutcomes),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn add_member(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_change(&user)?;
    let b = book(&state, &id).await?;
    let mut errors = FormErrors::new(&["entered_on"]);
    let entered_on = match form_date(&form, "entered_on", "The date the person joined") {
        Ok(d) => d,
        Err(m) => {
            errors.add("entered_on", &m);
            None
        }
    };
    let draft = MemberDraft {
        case_ref: field(&form, "case_ref").to_string(),
        born: field(&form, "born").to_string(),
        entered_on,
        placement: Placement::parse(field(&form, "placement")),
        weekly_cost: field(&form, "weekly_cost").to_string(),
        mental_health_need: field(&form, "mental_health_need") == "yes",
    };
    let today = caremarket_store::today();
    if errors.is_empty() {
        match state.store.add_oc_member(&user.actor(), &id, &draft, today).await {
            Ok(_) => return Ok(Redirect::to(&format!("/outcomes/{id}/cohort?saved=member")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    } else if let Err(all) = draft.check(&b.contract, &b.facts.members, today) {
        errors.extend(caremarket_core::FieldErrors(all.0.into_iter().filter(|f| f.field != "entered_on").collect()));
    }
    render_cohort(&state, &user, &b, &[], &form, &errors, StatusCode::BAD_REQUEST).await
}

fn claim_row(b: &ContractBook, r: &caremarket_store::outcomes::ClaimRecord) -> Value {
    let status_colour = match r.claim.status {
        ClaimStatus::Pending => "govuk-tag--blue",
        ClaimStatus::Verified => "govuk-tag--green",
        ClaimStatus::Rejected => "govuk-tag--red",
    };
    context! {
        href => format!("/outcomes/{}/claims/{}", b.contract.id, r.claim.id), case_ref => r.case_ref, outcome => r.outcome_name,
        tariff => money(r.tariff_pence), achieved => long_date(r.claim.achieved_on), status => r.claim.status.label(), colour => status_colour,
        by => r.provider_name.clone().unwrap_or_else(|| r.submitted_by_label.clone()), reason => r.claim.reason,
        member_href => format!("/outcomes/{}/cohort/{}", b.contract.id, r.claim.member_id),
    }
}

async fn member_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, member)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_view(&user)?;
    let b = book(&state, &id).await?;
    let ok = crate::versions::Reply::status(StatusCode::OK);
    render_member(&state, &user, &b, &member, &[], &FormErrors::new(&["left_on"]), field(&q, "saved"), ok).await
}

/// The version a page's form carries (decision 25): the one it was sent with when it is shown
/// again, else the record's now.
async fn form_version(state: &AppState, form: &[(String, String)], t: Versioned, id: &str) -> Result<String, AppError> {
    Ok(match form.iter().find(|(k, _)| k == "version") {
        Some((_, v)) => v.clone(),
        None => state.store.version_of(t, id).await?.to_string(),
    })
}

/// The form as it was sent, carrying `version` in place of the one it was opened at.
fn with_version(form: &[(String, String)], version: i64) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "version").cloned().collect();
    kept.push(("version".into(), version.to_string()));
    kept
}

/// `reply`: the status and, after a save refused because someone else saved first (decision
/// 25), the notice.
#[allow(clippy::too_many_arguments)]
async fn render_member(
    state: &AppState,
    user: &CurrentUser,
    b: &ContractBook,
    member: &str,
    form: &[(String, String)],
    errors: &FormErrors,
    saved: &str,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let Some(m) = b.facts.members.iter().find(|m| m.id == member) else { return Err(AppError::NotFound) };
    let version = form_version(state, form, Versioned::OcMembers, member).await?;
    let today = caremarket_store::today();
    let moves = b.facts.moves();
    let claims: Vec<Value> = b.claims.iter().filter(|c| c.claim.member_id == m.id).map(|c| claim_row(b, c)).collect();
    let reasons = options(LeaveReason::ALL, LeaveReason::as_str, LeaveReason::label, None);
    let html = render(
        state,
        user,
        "outcomes_member.html",
        context! {
            c => contract_view(b), m => member_row(b, m, &moves, today), member_id => m.id, born => format!("{:02}/{}", m.born.month, m.born.year),
            ages_out => long_date(m.born.reaches(b.contract.age_out)), recorded_left => m.left_on.is_some(),
            claims => claims, reasons => reasons, reason => field(form, "reason"), left_on => date_parts(form, "left_on"),
            errors => errors.list, field_errors => errors.by_field, banner => banner(saved), version => version, stale => reply.stale,
            can_change => user.role().can(Permission::ManageOutcomes),
        },
    )
    .await?;
    Ok((reply.status, Html(html)).into_response())
}

async fn leave(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, member)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_change(&user)?;
    let b = book(&state, &id).await?;
    if !b.facts.members.iter().any(|m| m.id == member) {
        return Err(AppError::NotFound);
    }
    let mut errors = FormErrors::new(&["left_on"]);
    let bad = || crate::versions::Reply::status(StatusCode::BAD_REQUEST);
    let on = match form_date(&form, "left_on", "The date the person left") {
        Ok(d) => d,
        Err(m) => {
            errors.add("left_on", &m);
            return render_member(&state, &user, &b, &member, &form, &errors, "", bad()).await;
        }
    };
    let expected = crate::versions::from_form(&form);
    let reason = LeaveReason::parse(field(&form, "reason"));
    match state.store.oc_member_leaves(&user.actor(), &id, &member, reason, on, caremarket_store::today(), expected).await {
        Ok(()) => Ok(Redirect::to(&format!("/outcomes/{id}/cohort/{member}?saved=left")).into_response()),
        Err(StoreError::Stale { current }) => {
            let b = book(&state, &id).await?;
            let now = b.facts.members.iter().find(|m| m.id == member).ok_or(AppError::NotFound)?;
            let changes = caremarket_core::versions::changes([
                (
                    "Why the person left",
                    now.leave_reason.map(|r| r.label().to_string()).unwrap_or_default(),
                    reason.map(|r| r.label().to_string()).unwrap_or_default(),
                ),
                ("Date the person left", now.left_on.map(long_date).unwrap_or_default(), on.map(long_date).unwrap_or_default()),
            ]);
            let stale = crate::versions::stale(&state, "oc_member", &member, current, expected, changes).await?;
            let kept = with_version(&form, stale.current);
            let reply = crate::versions::Reply::stale(stale.notice);
            render_member(&state, &user, &b, &member, &kept, &FormErrors::new(&["left_on"]), "", reply).await
        }
        Err(e) => {
            errors.add_store(e)?;
            render_member(&state, &user, &b, &member, &form, &errors, "", bad()).await
        }
    }
}

async fn claims(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_view(&user)?;
    let b = book(&state, &id).await?;
    let status = ClaimStatus::parse(field(&q, "status"));
    let outcome = Some(field(&q, "outcome")).filter(|o| !o.is_empty());
    let rows: Vec<Value> = b
        .claims
        .iter()
        .filter(|c| status.is_none_or(|s| c.claim.status == s) && outcome.is_none_or(|o| c.claim.outcome_id == o))
        .map(|c| claim_row(&b, c))
        .collect();
    let outcome_name = outcome.and_then(|o| b.facts.outcomes.iter().find(|x| x.id == o)).map(|o| o.name.clone());
    let mut filters = vec![json!({"href": format!("/outcomes/{id}/claims"), "text": "All claims"})];
    for s in ClaimStatus::ALL {
        filters.push(json!({"href": format!("/outcomes/{id}/claims?status={}", s.as_str()), "text": s.label()}));
    }
    let html = render(
        &state,
        &user,
        "outcomes_claims.html",
        context! {
            c => contract_view(&b), rows => rows, status => status.map(|s| s.label()), outcome => outcome_name, filters => filters,
        },
    )
    .await?;
    Ok(Html(html).into_response())
}

async fn claim_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, claim)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_view(&user)?;
    let b = book(&state, &id).await?;
    render_claim(&state, &user, &b, &claim, &q, &FormErrors::new(&[]), crate::versions::Reply::status(StatusCode::OK)).await
}

/// `form`: the page's query, or the decision as it was sent; `reply`: the status and, after a
/// decision refused because another officer decided first (decision 25), the notice.
async fn render_claim(
    state: &AppState,
    user: &CurrentUser,
    b: &ContractBook,
    claim: &str,
    form: &[(String, String)],
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let Some(r) = b.claims.iter().find(|c| c.claim.id == claim) else { return Err(AppError::NotFound) };
    let version = match form.iter().find(|(k, _)| k == "version") {
        Some((_, v)) => v.clone(),
        None => r.version.to_string(),
    };
    let outcome = b.facts.outcomes.iter().find(|o| o.id == r.claim.outcome_id);
    let parts: Vec<Value> = b
        .facts
        .parts
        .iter()
        .filter(|(c, _)| *c == r.claim.id)
        .map(|(_, p)| context! { name => party_name(&b.facts, &p.party_id), amount => money(p.pence) })
        .collect();
    let fig = b.facts.figures(caremarket_store::today());
    let release = fig.releases.iter().find(|x| x.claim_id == r.claim.id).map(|x| match x.paid_on {
        Some(d) => format!("Paid: savings covered it on {}", long_date(d)),
        None => "Held: the savings realised so far do not yet cover it".to_string(),
    });
    let evidence_query = crate::evidence::EvidenceQuery::from_field(field(form, "evidence"));
    let evidence_section =
        crate::evidence::section(state, user, caremarket_core::evidence::RecordKind::Claim, &r.claim.id, &evidence_query).await?;
    let decisions =
        vec![json!({"value": "verify", "text": "Verify: the evidence shows the outcome"}), json!({"value": "reject", "text": "Reject"})];
    let html = render(
        state,
        user,
        "outcomes_claim.html",
        context! {
            c => contract_view(b), r => claim_row(b, r), claim_id => r.claim.id, evidence => r.claim.evidence, required => outcome.map(|o| o.evidence.clone()),
            pending => r.claim.status == ClaimStatus::Pending, decided_by => r.decided_by_label, decided_on => r.claim.decided_on.map(long_date),
            parts => parts, release => release, decisions => decisions, decision => field(form, "decision"), reason => field(form, "reason"),
            errors => errors.list, field_errors => errors.by_field, can_change => user.role().can(Permission::ManageOutcomes),
            banner => banner(field(form, "saved")), evidence_section => evidence_section, version => version, stale => reply.stale,
        },
    )
    .await?;
    Ok((reply.status, Html(html)).into_response())
}

async fn decide(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, claim)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_change(&user)?;
    let b = book(&state, &id).await?;
    if !b.claims.iter().any(|c| c.claim.id == claim) {
        return Err(AppError::NotFound);
    }
    let verify = match field(&form, "decision") {
        "verify" => Some(true),
        "reject" => Some(false),
        _ => None,
    };
    let expected = crate::versions::from_form(&form);
    let reason = field(&form, "reason");
    match state.store.decide_oc_claim(&user.actor(), &id, &claim, verify, reason, caremarket_store::today(), expected).await {
        Ok(s) => Ok(Redirect::to(&format!("/outcomes/{id}/claims/{claim}?saved={}", s.as_str())).into_response()),
        Err(StoreError::Stale { current }) => {
            let b = book(&state, &id).await?;
            let now = b.claims.iter().find(|c| c.claim.id == claim).ok_or(AppError::NotFound)?;
            let sent = match verify {
                Some(true) => ClaimStatus::Verified.label().to_string(),
                Some(false) => ClaimStatus::Rejected.label().to_string(),
                None => String::new(),
            };
            let changes = caremarket_core::versions::changes([
                ("Decision", now.claim.status.label().to_string(), sent),
                ("Reason", now.claim.reason.clone().unwrap_or_default(), reason.to_string()),
            ]);
            let stale = crate::versions::stale(&state, "oc_claim", &claim, current, expected, changes).await?;
            let kept = with_version(&form, stale.current);
            render_claim(&state, &user, &b, &claim, &kept, &FormErrors::new(&[]), crate::versions::Reply::stale(stale.notice)).await
        }
        Err(e) => {
            let mut errors = FormErrors::new(&[]);
            errors.add_store(e)?;
            let b = book(&state, &id).await?;
            render_claim(&state, &user, &b, &claim, &form, &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
        }
    }
}

async fn payments(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_view(&user)?;
    let b = book(&state, &id).await?;
    let today = caremarket_store::today();
    let fig = b.facts.figures(today);
    let funder = Some(field(&q, "funder")).filter(|f| !f.is_empty());
    let held_only = field(&q, "show") == "held";
    let rows: Vec<Value> = fig
        .releases
        .iter()
        .filter(|r| !held_only || r.paid_on.is_none())
        .filter_map(|r| {
            let rec = b.claims.iter().find(|c| c.claim.id == r.claim_id)?;
            let parts: Vec<(String, i64)> =
                b.facts.parts.iter().filter(|(c, _)| *c == r.claim_id).map(|(_, p)| (p.party_id.clone(), p.pence)).collect();
            let mine = match funder {
                Some(f) => Some(parts.iter().find(|(p, _)| p == f)?.1),
                None => None,
            };
            Some(context! {
                claim => claim_row(&b, rec), amount => money(mine.unwrap_or(r.pence)),
                parts => parts.iter().map(|(p, x)| format!("{}: {}", party_name(&b.facts, p), money(*x))).collect::<Vec<_>>().join("; "),
                paid_on => r.paid_on.map(long_date), verified_on => rec.claim.decided_on.map(long_date),
            })
        })
        .collect();
    let html = render(
        &state,
        &user,
        "outcomes_payments.html",
        context! {
            c => contract_view(&b), fig => figures_view(&b, &fig), rows => rows, funder => funder.map(|f| party_name(&b.facts, f)), held_only => held_only,
        },
    )
    .await?;
    Ok(Html(html).into_response())
}

async fn savings(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    require_view(&user)?;
    let b = book(&state, &id).await?;
    let today = caremarket_store::today();
    let fig = b.facts.figures(today);
    let quarters: Vec<Value> = fig
        .quarters
        .iter()
        .map(|r| {
            context! {
                label => r.quarter.label(), avoided => money(r.avoided_pence), paid => money(r.paid_pence), net => money(r.net_pence),
                net_to_date => money(r.net_to_date_pence), moved => r.moved,
            }
        })
        .collect();
    let moves = b.facts.moves();
    let people: Vec<Value> =
        b.facts.members.iter().filter(|m| moves.contains_key(&m.id)).map(|m| member_row(&b, m, &moves, today)).collect();
    let c = &b.contract;
    let html = render(
        &state,
        &user,
        "outcomes_savings.html",
        context! {
            c => contract_view(&b), fig => figures_view(&b, &fig), quarters => quarters, people => people,
            expected_low => money(c.expected_saving_low_pence), expected_high => money(c.expected_saving_high_pence),
            within => fig.net_pence >= c.expected_saving_low_pence,
        },
    )
    .await?;
    Ok(Html(html).into_response())
}
