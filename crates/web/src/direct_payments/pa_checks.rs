//! PA checks before listing (issue 16 item 17): the checks form on a PA's entry (DBS check,
//! references, training), the check lines with their tags on the PA's page, and the work list
//! of checks expiring or expired. Whether a PA is listed is core's `pa_checks::listable`.

use super::{PageErrors, options, page};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, field, form_date};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::pa_checks::{
    self, CheckLine, CheckRules, CheckState, ChecksInput, DBS_TYPES, PaChecks, REFEREE_RELATIONSHIPS, long_date,
};
use caremarket_core::direct_payments::pa_register::PaKind;
use caremarket_store::StoreError;
use caremarket_store::direct_payments::PaEntry;
use minijinja::{Value, context};

/// The checks form's GOV.UK date inputs (per-reference and per-course inputs are `name-<n>`).
const DATE_FIELDS: [&str; 4] = ["dbs_issued", "ref_received", "ref_checked", "training"];

fn form_errors() -> FormErrors {
    FormErrors::new(&DATE_FIELDS).with_whole_form_link("checks")
}

/// A check line as the PA's page and the work list show it: its GOV.UK tag and words.
pub(crate) fn line_view(l: &CheckLine) -> Value {
    let (tag, class, note) = match &l.state {
        CheckState::Complete { expires_on } => {
            ("Complete".to_string(), "govuk-tag--green", expires_on.map(|d| format!("Valid until {}", long_date(d))).unwrap_or_default())
        }
        CheckState::Expiring { expires_on } => (format!("Expires on {}", long_date(*expires_on)), "govuk-tag--yellow", String::new()),
        CheckState::Expired { expired_on } => ("Expired".to_string(), "govuk-tag--red", format!("Expired on {}", long_date(*expired_on))),
        CheckState::Missing { reason } => {
            ("Missing".to_string(), if l.required { "govuk-tag--red" } else { "govuk-tag--grey" }, reason.clone())
        }
    };
    context! {
        name => l.name, required => l.required, detail => l.detail, tag => tag, tag_class => class, note => note,
        ends_on => l.state.ends_on().map(long_date),
    }
}

/// What the PA's page shows of their checks: each line, whether they are listed, and what stops it.
pub(crate) async fn checks_section(state: &AppState, e: &PaEntry) -> Result<Option<Value>, AppError> {
    if e.kind != PaKind::Pa {
        return Ok(None);
    }
    let rules = state.store.pa_check_rules().await?;
    let checks = state.store.pa_checks(&e.id).await?;
    let today = caremarket_store::today();
    let lines: Vec<Value> = pa_checks::assess(&checks, &rules, today).iter().map(line_view).collect();
    let missing = pa_checks::missing(&checks, &rules, today);
    Ok(Some(context! { lines => lines, complete => missing.is_empty(), missing => missing }))
}

/// The form's fields from what is stored.
fn stored_form(checks: &PaChecks, rules: &CheckRules, version: i64) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![("version".into(), version.to_string())];
    let date = |f: &mut Vec<(String, String)>, name: &str, d: Option<caremarket_core::Date>| {
        if let Some(d) = d {
            crate::forms::push_date_fields(f, name, d);
        }
    };
    if let Some(d) = &checks.dbs {
        f.push(("dbs_type".into(), d.dbs_type.as_str().into()));
        f.push(("dbs_number".into(), d.certificate_number.clone().unwrap_or_default()));
        if d.update_service {
            f.push(("dbs_update_service".into(), "1".into()));
        }
        date(&mut f, "dbs_issued", d.issued_on);
    }
    for (i, r) in checks.references.iter().enumerate() {
        let n = i + 1;
        f.push((format!("ref_relationship-{n}"), r.relationship.clone().unwrap_or_default()));
        date(&mut f, &format!("ref_received-{n}"), r.received_on);
        date(&mut f, &format!("ref_checked-{n}"), r.checked_on);
    }
    for c in &rules.courses {
        let done = checks.training.iter().filter(|t| t.course == c.code).map(|t| t.completed_on).max();
        date(&mut f, &format!("training-{}", c.code), done);
    }
    f
}

/// How many reference rows the form offers: what the council requires, or more if recorded.
fn reference_rows(checks: &PaChecks, rules: &CheckRules) -> usize {
    usize::from(rules.references).max(checks.references.len()).max(1)
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    e: &PaEntry,
    rules: &CheckRules,
    refs: usize,
    form: &[(String, String)],
    errors: &FormErrors,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let err = |name: &str| errors.by_field.get(name).cloned();
    let references: Vec<Value> = (1..=refs)
        .map(|n| {
            context! {
                n => n, required => n <= usize::from(rules.references),
                relationship => field(form, &format!("ref_relationship-{n}")),
                relationship_error => err(&format!("ref_relationship-{n}")),
                received => date_parts(form, &format!("ref_received-{n}")), received_error => err(&format!("ref_received-{n}")),
                checked => date_parts(form, &format!("ref_checked-{n}")), checked_error => err(&format!("ref_checked-{n}")),
            }
        })
        .collect();
    let courses: Vec<Value> = rules
        .courses
        .iter()
        .map(|c| {
            let name = format!("training-{}", c.code);
            let hint = match (c.required, c.valid_months) {
                (true, Some(m)) => format!("Required. Counts for {} after completion.", months(m)),
                (true, None) => "Required. Does not expire.".to_string(),
                (false, Some(m)) => format!("Optional. Counts for {} after completion.", months(m)),
                (false, None) => "Optional.".to_string(),
            };
            context! { name => name.clone(), label => c.label, hint => hint, value => date_parts(form, &name), error => err(&name) }
        })
        .collect();
    let dbs_hint = format!(
        "The council needs: {}.{}",
        rules.dbs_type.label().to_lowercase(),
        match rules.dbs_valid_months {
            Some(m) if rules.update_service_keeps_current =>
                format!(" A certificate counts for {} from its issue date, unless the PA is on the DBS Update Service.", months(m)),
            Some(m) => format!(" A certificate counts for {} from its issue date.", months(m)),
            None => String::new(),
        }
    );
    page(
        state,
        user,
        "pa_checks_form.html",
        reply.status,
        context! {
            e => context! { id => e.id, display_name => e.display_name },
            errors => errors.list, field_errors => errors.by_field, stale => reply.stale, version => field(form, "version"),
            dbs_type => field(form, "dbs_type"), dbs_number => field(form, "dbs_number"), dbs_update_service => field(form, "dbs_update_service") == "1",
            dbs_issued => date_parts(form, "dbs_issued"), dbs_options => options(&DBS_TYPES, Some("Choose the type")), dbs_hint => dbs_hint,
            relationship_options => options(&REFEREE_RELATIONSHIPS, Some("Choose")),
            references => references, references_required => rules.references, courses => courses,
        },
    )
    .await
}

fn months(m: i32) -> String {
    if m % 12 == 0 {
        caremarket_core::text::count(i64::from(m / 12), "year", None)
    } else {
        caremarket_core::text::count(i64::from(m), "month", None)
    }
}

async fn pa_only(state: &AppState, id: &str) -> Result<PaEntry, AppError> {
    let e = state.store.pa_entry(id).await?;
    if e.kind != PaKind::Pa {
        return Err(AppError::NotFound);
    }
    Ok(e)
}

pub(crate) async fn checks_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManagePaRegister)?;
    let e = pa_only(&state, &id).await?;
    let rules = state.store.pa_check_rules().await?;
    let checks = state.store.pa_checks(&id).await?;
    let form = stored_form(&checks, &rules, e.version);
    let refs = reference_rows(&checks, &rules);
    render_form(&state, &user, &e, &rules, refs, &form, &form_errors(), crate::versions::Reply::status(StatusCode::OK)).await
}

/// Read the submitted form: the dates the page could not read are noted in `read`.
fn read_input(form: &[(String, String)], rules: &CheckRules, refs: usize, read: &mut PageErrors) -> ChecksInput {
    let mut date = |name: String, label: String| {
        read.check(form_date(form, &name, &label).map_err(|m| caremarket_core::FieldError::new(name.clone(), m))).flatten()
    };
    ChecksInput {
        dbs_type: field(form, "dbs_type").to_string(),
        dbs_number: field(form, "dbs_number").to_string(),
        dbs_issued: date("dbs_issued".into(), "DBS certificate issue date".into()),
        dbs_update_service: field(form, "dbs_update_service") == "1",
        references: (1..=refs)
            .map(|n| {
                (
                    field(form, &format!("ref_relationship-{n}")).to_string(),
                    date(format!("ref_received-{n}"), format!("Date reference {n} was received")),
                    date(format!("ref_checked-{n}"), format!("Date reference {n} was checked")),
                )
            })
            .collect(),
        training: rules
            .courses
            .iter()
            .map(|c| (c.code.clone(), date(format!("training-{}", c.code), format!("Date {} was completed", c.label))))
            .collect(),
    }
}

pub(crate) async fn save_checks(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    crate::csrf::CsrfForm(form): crate::csrf::CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManagePaRegister)?;
    let e = pa_only(&state, &id).await?;
    let rules = state.store.pa_check_rules().await?;
    let before = state.store.pa_checks(&id).await?;
    let refs = reference_rows(&before, &rules).max(form.iter().filter(|(k, _)| k.starts_with("ref_relationship-")).count()).min(5);
    let mut read = PageErrors::default();
    let input = read_input(&form, &rules, refs, &mut read);
    let today = caremarket_store::today();
    let mut errors = form_errors();
    // "Checked by" names the officer, as people are shown everywhere (not by email address).
    let by = if user.user.display_name.trim().is_empty() { user.user.email.clone() } else { user.user.display_name.trim().to_string() };
    match input.parse(&rules, &before, &by, today) {
        Ok(checks) if read.is_empty() => {
            let expected = crate::versions::from_form(&form);
            match state.store.save_pa_checks(&user.actor(), &id, &checks, expected).await {
                Ok(()) => return Ok(Redirect::to(&format!("/pa-register/{id}?done=checks")).into_response()),
                Err(StoreError::Stale { current }) => {
                    let now = state.store.pa_checks(&id).await?;
                    let (was, sent) = (pa_checks::assess(&now, &rules, today), pa_checks::assess(&checks, &rules, today));
                    let changes = caremarket_core::versions::changes(
                        was.iter()
                            .map(|l| {
                                let submitted = sent.iter().find(|s| s.name == l.name).map(|s| s.detail.clone()).unwrap_or_default();
                                (l.name.as_str(), l.detail.clone(), submitted)
                            })
                            .collect::<Vec<_>>(),
                    );
                    let stale = crate::versions::stale(&state, "pa_entry", &id, current, expected, changes).await?;
                    let mut kept: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "version").cloned().collect();
                    kept.push(("version".into(), stale.current.to_string()));
                    return render_form(&state, &user, &e, &rules, refs, &kept, &errors, crate::versions::Reply::stale(stale.notice)).await;
                }
                Err(err) => errors.add_store(err)?,
            }
        }
        Ok(_) => read.merge_into(&mut errors, None),
        Err(fe) => read.merge_into(&mut errors, Some(fe)),
    }
    render_form(&state, &user, &e, &rules, refs, &form, &errors, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

/// The DP officer's work list: listed PAs whose required checks have expired or expire within
/// 30 days.
pub(crate) async fn checks_due(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    user.require(Permission::ManagePaRegister)?;
    let today = caremarket_store::today();
    let (rows, _) = due_rows(&state, today).await?;
    page(&state, &user, "pa_checks_due.html", StatusCode::OK, context! { rows => rows, today => long_date(today) }).await
}

/// One row per PA with a check expiring or expired, soonest first, and how many have expired.
pub(crate) async fn due_rows(state: &AppState, on: caremarket_core::Date) -> Result<(Vec<Value>, usize), AppError> {
    let list = state.store.pa_checks_expiring(on).await?;
    let is_expired =
        |x: &caremarket_store::direct_payments::ExpiringChecks| x.lines.iter().any(|l| matches!(l.state, CheckState::Expired { .. }));
    let expired = list.iter().filter(|x| is_expired(x)).count();
    let rows = list
        .iter()
        .map(|x| {
            context! {
                id => x.entry.id, display_name => x.entry.display_name, outward_code => x.entry.outward_code,
                expired => is_expired(x), lines => x.lines.iter().map(line_view).collect::<Vec<_>>(),
            }
        })
        .collect();
    Ok((rows, expired))
}
