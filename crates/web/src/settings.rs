//! Settings edited on pages rather than from the command line (issue 16 item 19): the council's
//! name, with a list of every settings page a role may open (`/admin/settings`); the brokerage
//! rating rule for offers (`/brokerage/settings`); and the direct payments reference lists,
//! funding service areas and closure reasons (`/direct-payments/settings/lists`). Each change is
//! checked by core and audited by the store.

use crate::AppState;
use crate::auth::{CurrentUser, page};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use crate::versions::Reply;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_core::capacity::brokerage::RatingRule;
use caremarket_core::register::Rating;
use caremarket_store::StoreError;
use minijinja::{Value, context};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/settings", get(hub).post(save_name))
        .route("/brokerage/settings", get(rule_page).post(save_rule))
        .route("/direct-payments/settings/lists", get(lists_page).post(save_list_entry))
        .route("/direct-payments/settings/lists/retire", post(retire_list_entry))
}

/// The setting that holds the council's name.
const COUNCIL_NAME: &str = "council_name";

/// The longest council name a header shows well.
const NAME_CHARS: usize = 80;

#[derive(Debug, Default, Deserialize)]
struct Saved {
    saved: Option<String>,
}

/// Every settings page, with the permission that opens it, for the hub.
const PAGES: [(&str, &str, &str, Permission); 11] = [
    ("/admin/council-area", "The council's area", "the local authorities whose services count as in the area", Permission::ManageUsers),
    ("/admin/approval-limits", "Approval limits", "how much each officer may approve of reclaims and packages", Permission::ManageUsers),
    ("/admin/sign-in", "Single sign-on groups", "which of the identity provider's groups give which role", Permission::ManageUsers),
    ("/brokerage/settings", "Brokerage rating rule", "the ratings a provider needs to be offered packages", Permission::EditCouncilFields),
    (
        "/capacity/settings",
        "Capacity returns",
        "when vacancy returns are due and go stale, and the low occupancy threshold",
        Permission::EditCouncilFields,
    ),
    (
        "/direct-payments/reclaims",
        "Reclaim settings",
        "the contingency a person may hold and people on long-term support",
        Permission::EditDirectPayments,
    ),
    (
        "/direct-payments/settings/lists",
        "Direct payments lists",
        "funding service areas and closure reasons",
        Permission::EditDirectPayments,
    ),
    (
        "/direct-payments/card-spend/categories",
        "Blocked merchant categories",
        "card spend flagged for review",
        Permission::EditDirectPayments,
    ),
    (
        "/fees/supported-living/settings",
        "Supported living variance threshold",
        "the variance that flags a provider's month",
        Permission::ManageFees,
    ),
    ("/fees/rates", "Rate cards", "the rates the council pays, with their history", Permission::ViewFees),
    ("/reports/quarterly/settings", "Quarterly report", "its front matter and the markets it reports", Permission::ManageGovernance),
];

#[allow(clippy::too_many_arguments)]
async fn render_hub(
    state: &AppState,
    user: &CurrentUser,
    name: &str,
    version: &str,
    errors: &FormErrors,
    banner: Option<&str>,
    reply: Reply,
) -> Result<Response, AppError> {
    let pages: Vec<Value> = PAGES
        .iter()
        .filter(|(.., p)| user.role().can(*p))
        .map(|(href, title, what, _)| context! { href => *href, title => *title, what => *what })
        .collect();
    let ctx = context! {
        name => name, pages => pages, banner => banner, errors => errors.list, field_errors => errors.by_field,
        stale => reply.stale, version => version,
    };
    page(state, user, "admin_settings.html", reply.status, ctx).await
}

async fn hub(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Saved>) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    let name = state.store.setting(COUNCIL_NAME).await?.unwrap_or_default();
    let version = state.store.setting_version(COUNCIL_NAME).await?.to_string();
    let banner = q.saved.is_some().then_some("The council's name is saved");
    render_hub(&state, &user, &name, &version, &FormErrors::default(), banner, Reply::status(StatusCode::OK)).await
}

async fn save_name(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    let name = caremarket_core::text::tidy(field(&form, "council_name"));
    let expected = crate::versions::from_form(&form);
    let mut errors = FormErrors::default();
    if name.is_empty() {
        errors.add("council_name", "Enter the council's name, as it appears on every page");
    } else if name.chars().count() > NAME_CHARS {
        errors.add("council_name", &format!("The council's name must be {NAME_CHARS} characters or fewer"));
    } else {
        match state.store.set_setting_at(&user.actor(), COUNCIL_NAME, &name, expected).await {
            Ok(()) => return Ok(Redirect::to("/admin/settings?saved=1").into_response()),
            Err(StoreError::Stale { current }) => {
                let now = state.store.setting(COUNCIL_NAME).await?.unwrap_or_default();
                let changes = caremarket_core::versions::changes([("Council's name", now, name.clone())]);
                let stale = crate::versions::stale(&state, "setting", COUNCIL_NAME, current, expected, changes).await?;
                let version = stale.current.to_string();
                return render_hub(&state, &user, field(&form, "council_name"), &version, &errors, None, Reply::stale(stale.notice)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let version = field(&form, "version");
    render_hub(&state, &user, field(&form, "council_name"), version, &errors, None, Reply::status(StatusCode::BAD_REQUEST)).await
}

fn grade_options(any: bool) -> Vec<Value> {
    let mut v: Vec<Value> = Rating::GRADES.iter().map(|r| context! { value => r.as_str(), text => r.label() }).collect();
    if any {
        v.push(context! { value => "any", text => "Any: do not check Well-led" });
    }
    v
}

fn yes_no() -> Vec<Value> {
    vec![context! { value => "yes", text => "Yes" }, context! { value => "no", text => "No" }]
}

#[allow(clippy::too_many_arguments)]
async fn render_rule(
    state: &AppState,
    user: &CurrentUser,
    chosen: [String; 4],
    version: &str,
    errors: &FormErrors,
    banner: Option<&str>,
    reply: Reply,
) -> Result<Response, AppError> {
    let rule = state.store.rating_rule().await?;
    let [min_overall, min_well_led, require_inspection, allow_off_framework] = chosen;
    let ctx = context! {
        now => rule.describe(), overall_options => grade_options(false), well_led_options => grade_options(true), yes_no => yes_no(),
        min_overall => min_overall, min_well_led => min_well_led, require_inspection => require_inspection, allow_off_framework => allow_off_framework,
        banner => banner, errors => errors.list, field_errors => errors.by_field, stale => reply.stale, version => version,
    };
    page(state, user, "brokerage_settings.html", reply.status, ctx).await
}

/// The rule's four questions, and each choice as the page words it.
const RULE_QUESTIONS: [&str; 4] = [
    "Lowest overall CQC rating",
    "Lowest rating for Well-led",
    "Must the provider have been inspected at least once?",
    "Offer to providers off the framework when no framework provider can take the work?",
];

fn choice_label(value: &str) -> String {
    match value {
        "yes" => "Yes".to_string(),
        "no" => "No".to_string(),
        "any" => "Any: do not check Well-led".to_string(),
        v => Rating::GRADES.iter().find(|r| r.as_str() == v).map(|r| r.label().to_string()).unwrap_or_else(|| v.to_string()),
    }
}

fn rule_choices(r: &RatingRule) -> [String; 4] {
    let yn = |b: bool| if b { "yes" } else { "no" }.to_string();
    [
        r.min_overall.as_str().to_string(),
        r.min_well_led.map(|w| w.as_str().to_string()).unwrap_or_else(|| "any".into()),
        yn(r.require_inspection),
        yn(r.allow_off_framework),
    ]
}

async fn rule_page(user: CurrentUser, State(state): State<AppState>, Query(q): Query<Saved>) -> Result<Response, AppError> {
    user.require(Permission::EditCouncilFields)?;
    let rule = state.store.rating_rule().await?;
    let version = state.store.setting_version(caremarket_store::capacity::RATING_RULE_SETTING).await?.to_string();
    let banner = q.saved.is_some().then_some("The rating rule is saved: offers from now on follow it");
    render_rule(&state, &user, rule_choices(&rule), &version, &FormErrors::default(), banner, Reply::status(StatusCode::OK)).await
}

async fn save_rule(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditCouncilFields)?;
    let f = |n: &str| field(&form, n).to_string();
    let chosen = [f("min_overall"), f("min_well_led"), f("require_inspection"), f("allow_off_framework")];
    let expected = crate::versions::from_form(&form);
    let mut errors = FormErrors::default();
    match RatingRule::from_form(&chosen[0], &chosen[1], &chosen[2], &chosen[3]) {
        Ok(rule) => match state.store.set_rating_rule(&user.actor(), &rule, expected).await {
            Ok(()) => return Ok(Redirect::to("/brokerage/settings?saved=1").into_response()),
            Err(StoreError::Stale { current }) => {
                let now = rule_choices(&state.store.rating_rule().await?);
                let changes = caremarket_core::versions::changes(
                    RULE_QUESTIONS
                        .iter()
                        .zip(now.iter().zip(rule_choices(&rule).iter()))
                        .map(|(q, (n, s))| (*q, choice_label(n), choice_label(s))),
                );
                let key = caremarket_store::capacity::RATING_RULE_SETTING;
                let stale = crate::versions::stale(&state, "setting", key, current, expected, changes).await?;
                let version = stale.current.to_string();
                return render_rule(&state, &user, chosen, &version, &errors, None, Reply::stale(stale.notice)).await;
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) => errors.extend(e),
    }
    let version = field(&form, "version").to_string();
    render_rule(&state, &user, chosen, &version, &errors, None, Reply::status(StatusCode::BAD_REQUEST)).await
}

/// The lists a council keeps for direct payments, with the words the page uses.
const LISTS: [(&str, &str, &str); 2] =
    [("service_area", "Funding service areas", "funding service area"), ("closure_reason", "Closure reasons", "closure reason")];

/// Whether `list` is one this page keeps.
fn kept_list(list: &str) -> bool {
    LISTS.iter().any(|(c, ..)| *c == list)
}

async fn render_lists(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    banner: Option<&str>,
    reply: Reply,
) -> Result<Response, AppError> {
    // A rename shown again (refused or mistyped) keeps what was typed in its own row.
    let renaming = (field(form, "rename") == "1").then(|| (field(form, "list"), field(form, "code"), field(form, "label")));
    let mut lists = Vec::new();
    for (code, title, noun) in LISTS {
        let entries = state.store.dp_reference_entries(code).await?;
        let versions = state.store.dp_reference_versions(code).await?;
        let view = |active: bool| -> Vec<Value> {
            entries
                .iter()
                .filter(|(_, _, a)| *a == active)
                .map(|(c, l, _)| {
                    let typed = renaming.filter(|(rl, rc, _)| *rl == code && rc == c).map(|(.., t)| t);
                    // After a mistake the row keeps the version it was opened at; otherwise now's.
                    let version = match (typed, reply.stale.is_some()) {
                        (Some(_), false) => field(form, "version").to_string(),
                        _ => versions.iter().find(|(vc, _)| vc == c).map(|(_, v)| v.to_string()).unwrap_or_default(),
                    };
                    context! { code => c, label => l, typed => typed.unwrap_or(l), version => version }
                })
                .collect()
        };
        lists.push(context! { code => code, title => title, noun => noun, entries => view(true), retired => view(false) });
    }
    let adding = renaming.is_none();
    let ctx = context! {
        lists => lists, list => if adding { field(form, "list") } else { "" }, label => field(form, "label"),
        banner => banner, errors => errors.list, field_errors => errors.by_field, stale => reply.stale,
    };
    page(state, user, "dp_lists.html", reply.status, ctx).await
}

async fn lists_page(user: CurrentUser, State(state): State<AppState>, Query(q): Query<ListsQuery>) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    // The retired entry is named from the list (the address carries its code, not its label).
    let retired = match (q.list.as_deref(), q.retired.as_deref()) {
        (Some(list), Some(code)) if kept_list(list) => {
            state.store.dp_reference_entries(list).await?.into_iter().find(|(c, ..)| c == code).map(|(_, l, _)| l)
        }
        _ => None,
    };
    let banner = match (q.saved.is_some(), retired) {
        (_, Some(label)) => Some(format!("{label} is no longer offered. Records that have it keep it.")),
        (true, None) => Some("List saved".to_string()),
        (false, None) => None,
    };
    render_lists(&state, &user, &[], &FormErrors::default(), banner.as_deref(), Reply::status(StatusCode::OK)).await
}

#[derive(Debug, serde::Deserialize, Default)]
struct ListsQuery {
    saved: Option<String>,
    list: Option<String>,
    retired: Option<String>,
}

/// Stop offering an entry. Nothing recorded changes (decision in `docs/direct-payments.md`).
async fn retire_list_entry(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let (list, code) = (field(&form, "list"), field(&form, "code"));
    if !kept_list(list) {
        return Err(AppError::NotFound);
    }
    let mut errors = FormErrors::default();
    match state.store.retire_dp_reference(&user.actor(), list, code).await {
        // Codes are slugs (letters, digits and underscores), safe in an address as they are.
        Ok(()) => return Ok(Redirect::to(&format!("/direct-payments/settings/lists?list={list}&retired={code}")).into_response()),
        Err(caremarket_store::StoreError::NotFound(_)) => return Err(AppError::NotFound),
        // The message links to the entry's own Retire button.
        Err(caremarket_store::StoreError::InvalidFields(fes)) => {
            for e in fes.0 {
                errors.add(&format!("retire-{list}-{code}"), &e.message);
            }
        }
        Err(e) => errors.add_store(e)?,
    }
    render_lists(&state, &user, &form, &errors, None, Reply::status(StatusCode::BAD_REQUEST)).await
}

/// Add an entry (a new label), or rename one (its code with a new label).
async fn save_list_entry(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let list = field(&form, "list");
    let label = field(&form, "label");
    // A rename keeps the entry's code (records keep pointing at it); a new entry's code is made
    // from its label.
    let code = match field(&form, "code") {
        "" => label,
        c => c,
    };
    let mut errors = FormErrors::default();
    // A rename comes from the entry's own row (`rename`), which carries the version it was opened
    // at; adding and offering a retired entry again take none.
    let rename = field(&form, "rename") == "1";
    if !kept_list(list) {
        errors.add("list", "Choose a list");
    } else if rename {
        let expected = crate::versions::from_form(&form);
        match state.store.rename_dp_reference_at(&user.actor(), list, code, label, expected).await {
            Ok(()) => return Ok(Redirect::to("/direct-payments/settings/lists?saved=1").into_response()),
            Err(StoreError::Stale { current }) => {
                let now = state.store.dp_reference_entries(list).await?.into_iter().find(|(c, ..)| c == code);
                let Some((_, now_label, active)) = now else { return Err(AppError::NotFound) };
                let now_text = if active { now_label } else { format!("{now_label} (no longer offered)") };
                let changes = caremarket_core::versions::changes([("Name", now_text, label.to_string())]);
                let stale = crate::versions::stale(&state, "dp_reference", &format!("{list}/{code}"), current, expected, changes).await?;
                return render_lists(&state, &user, &form, &errors, None, Reply::stale(stale.notice)).await;
            }
            Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
            // Named against the row's own box.
            Err(StoreError::InvalidFields(fes)) => {
                for e in fes.0 {
                    errors.add(&format!("rename-{list}-{code}"), &e.message);
                }
            }
            Err(e) => errors.add_store(e)?,
        }
    } else if let Some((_, now_label, true)) =
        state.store.dp_reference_entries(list).await?.into_iter().find(|(c, ..)| c == field(&form, "code"))
    {
        // An entry in use is renamed only from its own row, at its version: offering it again
        // or adding it changes nothing.
        if caremarket_core::text::tidy(label) == now_label {
            return Ok(Redirect::to("/direct-payments/settings/lists?saved=1").into_response());
        }
        errors.add("label", &format!("{now_label} is already offered. To rename it, use the Rename button in its row"));
    } else {
        match state.store.set_dp_reference(&user.actor(), list, code, label).await {
            Ok(()) => return Ok(Redirect::to("/direct-payments/settings/lists?saved=1").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_lists(&state, &user, &form, &errors, None, Reply::status(StatusCode::BAD_REQUEST)).await
}
