//! "Your work": the home page of the officers whose day is a queue (issue 16 item 3). A quality
//! officer sees the visits due and overdue on the services assigned to them and the actions
//! waiting on those services; a brokerage officer the package requests waiting for care; a direct
//! payments officer the monitoring due on the direct payments they hold. Each list links to its
//! full page, and the market dashboard stays one click away.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use caremarket_core::access::{Permission, Role};
use caremarket_core::quality::ActionStatus;
use caremarket_core::quality::cadence::DueState;
use caremarket_store::quality::actions::ActionFilter;
use caremarket_store::quality::cadence::DueFilter;
use minijinja::{Value, context};
use std::collections::BTreeSet;

/// How many rows of each queue the page shows before "See all".
const SHOWN: usize = 10;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/work", get(work))
}

/// Whether the role works one of the queues this page shows. Officers of those teams start here;
/// administrators and commissioners, who also can, keep the dashboard as their home.
pub(crate) fn has_queue(role: Role) -> bool {
    role.can(Permission::RecordQuality) || role.can(Permission::ManageBrokerage) || role.can(Permission::EditDirectPayments)
}

async fn work(user: CurrentUser, State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let role = user.role();
    if !has_queue(role) {
        return Err(AppError::Forbidden);
    }
    let quality = role.can(Permission::RecordQuality);
    let brokerage = role.can(Permission::ManageBrokerage);
    let dp = role.can(Permission::EditDirectPayments);
    let today = caremarket_store::today();
    let me = user.user.id.clone();
    let quality_section = if quality {
        let mine = DueFilter { officer_id: Some(me.clone()), ..Default::default() };
        let due: Vec<_> =
            state.store.due_list(today, &mine).await?.into_iter().filter(|d| mine.matches(d) && d.state != DueState::NotYetDue).collect();
        let overdue = due.iter().filter(|d| d.state == DueState::Overdue).count();
        // The services assigned to this officer, from every rule (due or not).
        let my_services: BTreeSet<String> =
            state.store.due_list(today, &mine).await?.into_iter().filter(|d| mine.matches(d)).map(|d| d.service_id).collect();
        let open = state.store.actions(&ActionFilter { state: Some("open".into()), on: Some(today), ..Default::default() }).await?;
        let mut waiting: Vec<_> = open
            .iter()
            .filter(|a| my_services.contains(&a.service_id))
            .filter(|a| a.status == ActionStatus::Submitted || a.status.is_overdue(a.due_on.parse().unwrap_or(today), today))
            .collect();
        // What a provider has sent for review first: it waits on the officer, not the provider.
        waiting.sort_by_key(|a| (a.status != ActionStatus::Submitted, a.due_on.clone()));
        let to_review = waiting.iter().filter(|a| a.status == ActionStatus::Submitted).count();
        // Visit reports waiting on the council (issue 16 item 14): corrections to decide, drafts
        // ready to publish, and action plans overdue. Council-wide: the officer who visited may
        // not be the one assigned.
        let mut reports = Vec::new();
        for r in state.store.visit_reports(&caremarket_store::quality::fact_check::ReportFilter::default()).await? {
            let stage = r.stage(today)?;
            let waiting = matches!(
                stage,
                caremarket_core::quality::ReportStage::CorrectionsToDecide | caremarket_core::quality::ReportStage::ReadyToPublish
            ) || r.action_plan_overdue(today);
            if waiting {
                reports.push(crate::quality::visits::fact_check::report_row(&r, today)?);
            }
        }
        let reports_all = reports.len();
        Some(context! {
            reports => reports.into_iter().take(SHOWN).collect::<Vec<Value>>(),
            reports_all => reports_all,
            services => my_services.len(),
            overdue => overdue,
            due_soon => due.len() - overdue,
            visits => due.iter().take(SHOWN).map(crate::quality::due_row).collect::<Vec<Value>>(),
            more_visits => due.len() > SHOWN,
            to_review => to_review,
            overdue_actions => waiting.len() - to_review,
            actions => waiting.iter().take(SHOWN).map(|a| context! {
                id => a.id, title => a.title, service_id => a.service_id, service_name => a.service_name,
                due_on => a.due_on, status => a.status.label(), status_tag => crate::tags::action_status(a.status),
                submitted => a.status == ActionStatus::Submitted,
            }).collect::<Vec<Value>>(),
            more_actions => waiting.len() > SHOWN,
        })
    } else {
        None
    };
    let brokerage_section = if brokerage {
        let waiting = state.store.package_requests("waiting").await?;
        let now = jiff::Timestamp::now();
        let over_4 = waiting
            .iter()
            .filter(|r| r.requested_at.parse::<jiff::Timestamp>().is_ok_and(|t| now.duration_since(t).as_hours() >= 4))
            .count();
        let (window, missed) = crate::capacity::admissions::missed_latest_window(&state, today).await?;
        let closed = state.store.admission_closures_on(today).await?.len();
        Some(context! {
            waiting => waiting.len(),
            over_4 => over_4,
            missed => missed,
            missed_week => window.opens.strftime("%-d %B %Y").to_string(),
            closed => closed,
            requests => waiting.iter().take(SHOWN).map(|r| crate::capacity::request_view(r, now, true)).collect::<Vec<_>>(),
            more => waiting.len() > SHOWN,
        })
    } else {
        None
    };

    let dp_section = if dp {
        let rows = state.store.monitoring_due(today, 30).await?;
        let mine: Vec<_> = rows.iter().filter(|r| r.officer_id.as_deref() == Some(me.as_str())).collect();
        let unassigned = rows.iter().filter(|r| r.officer_id.is_none()).count();
        let overdue = mine.iter().filter(|r| r.overdue).count();
        // Listed PAs whose checks expire within 30 days or have expired (issue 16 item 17).
        let (pa_rows, pa_checks_expired) = if role.can(Permission::ManagePaRegister) {
            crate::direct_payments::pa_checks::due_rows(&state, today).await?
        } else {
            (Vec::new(), 0)
        };
        let pa_checks_all = pa_rows.len();
        let pa_checks: Vec<Value> = pa_rows.into_iter().take(SHOWN).collect();
        Some(context! {
            pa_checks_all => pa_checks_all,
            due => mine.len(),
            overdue => overdue,
            unassigned => unassigned,
            items => mine.iter().take(SHOWN).map(|r| context! {
                dp_id => r.dp_id, person_ref => r.person_ref, kind => r.kind.label(), due => r.due.to_string(), overdue => r.overdue,
            }).collect::<Vec<Value>>(),
            more => mine.len() > SHOWN,
            me => me,
            pa_checks => pa_checks,
            pa_checks_expired => pa_checks_expired,
            more_pa_checks => pa_checks_all > SHOWN,
        })
    } else {
        None
    };

    // What CQC imports changed and no one has acknowledged (issue 16 item 13).
    let cqc_changes_new =
        if role.can(Permission::AcknowledgeCqcChanges) { Some(state.store.unacknowledged_cqc_change_count().await?) } else { None };
    let base = user.context(&state).await?;
    Ok(Html(state.renderer.render(
        "work.html",
        &base,
        context! {
            today => today.to_string(), quality => quality_section, brokerage => brokerage_section, dp => dp_section,
            cqc_changes_new => cqc_changes_new,
        },
    )?))
}
