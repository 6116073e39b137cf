//! What is due and overdue under the cadence rules, by officer and team, and the cadence rules
//! themselves (edited on the capacity pages' generic form).

use super::{Pairs, add_store_error, due_row, not_found, parse_kinds, today};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::capacity::forms::{FormPage, all, f, int, opt, render_form, render_versioned_form, with_hint, with_options};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::{Permission, Role};
use caremarket_core::quality::Activity;
use caremarket_core::quality::cadence::{Condition, DueState, activity_code, activity_label};
use caremarket_core::register::ServiceKind;
use caremarket_store::quality::cadence::{DueFilter, DueItem, RuleInput};
use minijinja::{Value, context};
use serde_json::json;
use std::collections::BTreeMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/due", get(due))
        .route("/quality/cadence-rules", get(rules))
        .route("/quality/cadence-rules/new", get(rule_new).post(rule_create))
        .route("/quality/cadence-rules/{id}", get(rule_edit).post(rule_update))
}

async fn due(State(state): State<AppState>, user: CurrentUser, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let on = today();
    let kinds = parse_kinds(&q)?;
    if kinds.len() > 1 {
        return Err(AppError::BadRequest("Choose one kind of service".into()));
    }
    let kind = kinds.first().copied();
    // "mine" by default for a quality officer; everyone's for other roles.
    let officer_param = q.iter().find(|(k, _)| k == "officer").map(|(_, v)| v.as_str());
    let officer_choice = match officer_param {
        Some(v) => v.to_string(),
        None if user.role() == Role::QualityOfficer => "mine".into(),
        None => "all".into(),
    };
    let officer_id = match officer_choice.as_str() {
        "all" | "" => None,
        "mine" => Some(user.user.id.clone()),
        other => Some(other.to_string()),
    };
    let team = Some(field(&q, "team").trim().to_string()).filter(|t| !t.is_empty());
    // By default the page shows what needs doing: due and overdue; "all" adds what is not yet due.
    let state_choice = match field(&q, "state") {
        "" | "due_or_overdue" => "due_or_overdue",
        "all" => "all",
        s => DueState::parse(s).ok_or_else(|| AppError::BadRequest(format!("'{s}' is not a due state")))?.as_str(),
    };
    let state_f = DueState::parse(state_choice);
    let wanted = |d: &DueItem| state_choice != "due_or_overdue" || d.state != DueState::NotYetDue;
    let everything = state.store.due_list(on, &DueFilter { kind, ..Default::default() }).await?;
    let filter = DueFilter { officer_id, team: team.clone(), state: state_f, kind, service_id: None };
    let rows: Vec<Value> = everything.iter().filter(|d| filter.matches(d) && wanted(d)).map(due_row).collect();
    // Counts per officer and per team across all officers and teams (for the kind chosen).
    let mut by_officer: BTreeMap<String, [i64; 3]> = BTreeMap::new();
    let mut by_team: BTreeMap<String, [i64; 3]> = BTreeMap::new();
    let idx = |s: DueState| match s {
        DueState::Overdue => 0,
        DueState::DueSoon => 1,
        DueState::NotYetDue => 2,
    };
    for d in &everything {
        by_officer.entry(d.officer_name.clone().unwrap_or_else(|| "No officer".into())).or_default()[idx(d.state)] += 1;
        by_team.entry(d.team.clone().unwrap_or_else(|| "No team".into())).or_default()[idx(d.state)] += 1;
    }
    let summary = |m: BTreeMap<String, [i64; 3]>| -> Vec<Value> {
        m.into_iter().map(|(k, c)| context! { name => k, overdue => c[0], due => c[1], not_yet => c[2] }).collect()
    };
    let officers = state.store.quality_officers().await?;
    let mut officer_options = vec![opt("all", "All officers"), opt("mine", "Mine"), opt("none", "No officer assigned")];
    officer_options.extend(officers.iter().map(|u| opt(&u.id, &u.display_name)));
    let mut teams: Vec<String> = everything.iter().filter_map(|d| d.team.clone()).collect();
    teams.sort();
    teams.dedup();
    let mut team_options = vec![opt("", "All teams")];
    team_options.extend(teams.iter().map(|t| opt(t, t)));
    let mut state_options = vec![opt("due_or_overdue", "Due or overdue"), opt("all", "Any state")];
    state_options.extend(DueState::ALL.iter().map(|s| opt(s.as_str(), s.label())));
    let mut kind_options = vec![opt("", "Any kind")];
    kind_options.extend(ServiceKind::ALL.iter().map(|k| opt(k.as_str(), k.label())));
    let overdue = everything.iter().filter(|d| filter.matches(d) && d.state == DueState::Overdue).count();
    let due_soon = everything.iter().filter(|d| filter.matches(d) && d.state == DueState::DueSoon).count();
    let base = user.context(&state).await?;
    let html = state.renderer.render(
        "quality_due.html",
        &base,
        context! {
            on => on.to_string(), rows => rows, overdue => overdue, due_soon => due_soon,
            by_officer => summary(by_officer), by_team => summary(by_team),
            officer_options => officer_options, team_options => team_options, state_options => state_options, kind_options => kind_options,
            officer => officer_choice, team => team.unwrap_or_default(), state_f => state_choice,
            kind => kind.map(|k| k.as_str()).unwrap_or(""),
        },
    )?;
    Ok(Html(html).into_response())
}

// ----- cadence rules -----

async fn rules(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let rules: Vec<Value> = state
        .store
        .cadence_rules()
        .await?
        .iter()
        .map(|r| {
            context! {
                id => r.id, code => r.code, name => r.rule.name, kinds => r.kinds_label(), condition => r.condition_label(),
                activity => r.activity_label(), interval_days => r.rule.interval_days, warn_days => r.rule.warn_days,
                team => r.team, source => r.source, active => r.active,
            }
        })
        .collect();
    let base = user.context(&state).await?;
    let html = state.renderer.render(
        "quality_cadence_rules.html",
        &base,
        context! { rules => rules, can_manage => user.role().can(Permission::ManageFrameworks) },
    )?;
    Ok(Html(html).into_response())
}

fn rule_fields(form: &Pairs, new: bool) -> Vec<serde_json::Value> {
    let mut v = Vec::new();
    if new {
        v.push(with_hint(
            f("input", "code", "Code", field(form, "code")),
            "A short name for the rule that never changes: letters, numbers and underscores",
        ));
    }
    v.push(f("input", "name", "Name", field(form, "name")));
    v.push(with_hint(
        with_options(
            f("checkboxes", "applies_to", "Kinds of service", all(form, "applies_to")),
            ServiceKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})).collect(),
        ),
        "Leave all unticked for every kind of service",
    ));
    v.push(with_options(
        f("radios", "condition", "Which of these services", field(form, "condition")),
        Condition::ALL.iter().map(|c| json!({"value": c.as_str(), "text": c.label()})).collect(),
    ));
    let mut acts = vec![opt("any", activity_label(None))];
    acts.extend(Activity::ALL.iter().map(|a| opt(activity_code(Some(*a)), a.label())));
    v.push(with_options(f("select", "activity", "What counts as a visit or meeting for this rule", field(form, "activity")), acts));
    v.push(with_hint(f("numeric", "interval_days", "Interval in days", field(form, "interval_days")), "For example 365 for once a year"));
    v.push(with_hint(
        f("numeric", "warn_days", "Due soon from this many days before", field(form, "warn_days")),
        "Fewer than the interval",
    ));
    v.push(with_hint(f("input", "team", "Team (optional)", field(form, "team")), "The team that usually does these visits"));
    v.push(with_options(
        f("checkboxes", "active", "In use", all(form, "active")),
        vec![json!({"value": "1", "text": "This rule is in use"})],
    ));
    v
}

fn rule_page<'a>(title: &'a str, action: &'a str, fields: Vec<serde_json::Value>) -> FormPage<'a> {
    FormPage {
        title,
        caption: Some("Cadence rules"),
        intro: Some("Services the rule applies to are due a visit or meeting when the interval has passed since the last one.".into()),
        action,
        back: "/quality/cadence-rules",
        button: "Save rule",
        fields,
        multipart: false,
    }
}

fn rule_input(form: &Pairs, errors: &mut FormErrors) -> Option<RuleInput> {
    let interval = errors.check("interval_days", int(form, "interval_days", "Interval in days", None));
    let warn = errors.check("warn_days", int(form, "warn_days", "Days before", Some(0)));
    Some(RuleInput {
        code: field(form, "code").trim().to_string(),
        name: field(form, "name").trim().to_string(),
        applies_to: all(form, "applies_to").iter().map(|s| s.to_string()).collect(),
        condition: field(form, "condition").to_string(),
        activity: field(form, "activity").to_string(),
        interval_days: interval?,
        warn_days: warn?,
        team: Some(field(form, "team").to_string()),
        active: field(form, "active") == "1",
    })
}

async fn rule_new(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let form: Pairs = vec![("active".into(), "1".into()), ("activity".into(), "quality_visit".into()), ("condition".into(), "all".into())];
    render_form(
        &state,
        &user,
        rule_page("Add a cadence rule", "/quality/cadence-rules/new", rule_fields(&form, true)),
        &FormErrors::new(&[]),
        StatusCode::OK,
    )
    .await
}

async fn rule_create(State(state): State<AppState>, user: CurrentUser, CsrfForm(form): CsrfForm<Pairs>) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let mut errors = FormErrors::new(&[]);
    if let Some(input) = rule_input(&form, &mut errors) {
        match state.store.save_cadence_rule(&user.actor(), None, &input).await {
            Ok(_) => return Ok(Redirect::to("/quality/cadence-rules").into_response()),
            Err(e) => add_store_error(&mut errors, e, &[])?,
        }
    }
    let fields = rule_fields(&form, true);
    render_form(&state, &user, rule_page("Add a cadence rule", "/quality/cadence-rules/new", fields), &errors, StatusCode::BAD_REQUEST)
        .await
}

/// A stored rule as its form's fields.
fn rule_form(r: &caremarket_store::quality::cadence::StoredRule) -> Pairs {
    let mut form: Pairs = vec![
        ("name".into(), r.rule.name.clone()),
        ("condition".into(), r.rule.condition.as_str().into()),
        ("activity".into(), activity_code(r.rule.activity).into()),
        ("interval_days".into(), r.rule.interval_days.to_string()),
        ("warn_days".into(), r.rule.warn_days.to_string()),
        ("team".into(), r.team.clone().unwrap_or_default()),
    ];
    form.extend(r.rule.applies_to.iter().map(|k| ("applies_to".to_string(), k.as_str().to_string())));
    if r.active {
        form.push(("active".into(), "1".into()));
    }
    form
}

/// A rule's fields as an officer reads them, for the notice of a refused save: (label, value).
fn rule_shown(form: &Pairs) -> Vec<(&'static str, String)> {
    let kinds: Vec<&str> = all(form, "applies_to")
        .iter()
        .map(|v| ServiceKind::ALL.iter().find(|k| k.as_str() == *v).map(|k| k.label()).unwrap_or(*v))
        .collect();
    let condition = field(form, "condition");
    let activity = field(form, "activity");
    vec![
        ("Name", field(form, "name").to_string()),
        ("Kinds of service", if kinds.is_empty() { "Every kind of service".to_string() } else { kinds.join(", ") }),
        (
            "Which of these services",
            Condition::ALL.iter().find(|c| c.as_str() == condition).map(|c| c.label()).unwrap_or(condition).to_string(),
        ),
        (
            "What counts as a visit or meeting for this rule",
            Activity::ALL
                .iter()
                .find(|a| activity_code(Some(**a)) == activity)
                .map(|a| a.label())
                .unwrap_or(activity_label(None))
                .to_string(),
        ),
        ("Interval in days", field(form, "interval_days").to_string()),
        ("Due soon from this many days before", field(form, "warn_days").to_string()),
        ("Team (optional)", field(form, "team").to_string()),
        ("In use", if field(form, "active") == "1" { "Yes" } else { "No" }.to_string()),
    ]
}

async fn rule_edit(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let r = state.store.cadence_rule(&id).await.map_err(not_found)?;
    let version = state.store.version_of(caremarket_store::versions::Versioned::CadenceRules, &id).await?;
    let form = rule_form(&r);
    let action = format!("/quality/cadence-rules/{id}");
    let title = format!("Change cadence rule: {}", r.rule.name);
    let page = rule_page(&title, &action, rule_fields(&form, false));
    let reply = crate::versions::Reply::status(StatusCode::OK);
    render_versioned_form(&state, &user, page, &FormErrors::new(&[]), Some(version.to_string()), reply).await
}

async fn rule_update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let r = state.store.cadence_rule(&id).await.map_err(not_found)?;
    let expected = crate::versions::from_form(&form);
    let mut errors = FormErrors::new(&[]);
    let action = format!("/quality/cadence-rules/{id}");
    let title = format!("Change cadence rule: {}", r.rule.name);
    if let Some(input) = rule_input(&form, &mut errors) {
        match state.store.update_cadence_rule_at(&user.actor(), &id, &input, expected).await {
            Ok(_) => return Ok(Redirect::to("/quality/cadence-rules").into_response()),
            Err(caremarket_store::StoreError::Stale { current }) => {
                let now = rule_shown(&rule_form(&state.store.cadence_rule(&id).await.map_err(not_found)?));
                let typed = rule_shown(&form);
                let changes = caremarket_core::versions::changes(now.into_iter().zip(typed).map(|((l, n), (_, t))| (l, n, t)));
                let stale = crate::versions::stale(&state, "cadence_rule", &id, current, expected, changes).await?;
                let page = rule_page(&title, &action, rule_fields(&form, false));
                let reply = crate::versions::Reply::stale(stale.notice);
                return render_versioned_form(&state, &user, page, &errors, Some(current.to_string()), reply).await;
            }
            Err(e) => add_store_error(&mut errors, e, &[])?,
        }
    }
    let page = rule_page(&title, &action, rule_fields(&form, false));
    let reply = crate::versions::Reply::status(StatusCode::BAD_REQUEST);
    render_versioned_form(&state, &user, page, &errors, Some(field(&form, "version").to_string()), reply).await
}
