//! Home care: planned against delivered visits (electronic call monitoring, issue 11 item 7).
//!
//! Council pages (`ViewFinance`; importing and deciding queries also `ManageFees`): imports with
//! their progress, the figures per provider and period, each figure drilling down to its visits
//! or faulty rows, continuity of care from care worker codes, providers' queries with their age,
//! and the payment schedule as CSV. The provider's side is in the portal (`/portal/ecm`): its own
//! figures and visits, and a query of a visit with a reason.
//!
//! The rules are `caremarket_core::ecm`'s (docs/ecm.md); the figures shown are exactly those of
//! `caremarket ecm reconcile` on the same files.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use crate::paging::{PER_PAGE, Paging};
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::money::money;
use caremarket_core::ecm::{DEFAULT_PERIOD_DAYS, Fault, Options, continuity, hours_text};
use caremarket_store::StoreError;
use caremarket_store::ecm::{EcmFigureRecord, EcmQueryRecord, EcmVisitRecord, VisitShow};
use minijinja::{Value, context};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ecm", get(figures_page))
        .route("/ecm/import", get(import_form).post(import))
        .route("/ecm/imports/{id}", get(import_status))
        .route("/ecm/imports/{id}/visits", get(visits_page))
        .route("/ecm/imports/{id}/visits/{visit}", get(visit_page))
        .route("/ecm/imports/{id}/faults", get(faults_page))
        .route("/ecm/imports/{id}/schedule.csv", get(schedule_csv))
        .route("/ecm/queries", get(queries_page))
        .route("/ecm/queries/{id}", get(query_page).post(decide))
        .route("/portal/ecm", get(portal_figures))
        .route("/portal/ecm/{id}/visits", get(portal_visits))
        .route("/portal/ecm/{id}/visits/{visit}", get(portal_visit).post(portal_query))
}

async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<String, AppError> {
    let base = user.context(state).await?;
    state.renderer.render(template, &base, page)
}

fn view_finance(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Permission::ViewFinance)
}

fn manage(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Permission::ViewFinance)?;
    user.require(Permission::ManageFees)
}

fn provider_of(user: &CurrentUser) -> Result<String, AppError> {
    user.require(Permission::ProviderPortal)?;
    user.user.provider_id.clone().ok_or(AppError::Forbidden)
}

/// "7 April to 4 May 2025" ("29 December 2025 to 25 January 2026" across a year's end).
fn period_label(start: &str, days: i64) -> String {
    let Ok(s) = start.parse::<jiff::civil::Date>() else { return start.to_string() };
    match s.checked_add(jiff::Span::new().days(days - 1)) {
        Ok(e) if e.year() == s.year() => format!("{} to {}", s.strftime("%-d %B"), e.strftime("%-d %B %Y")),
        Ok(e) => format!("{} to {}", s.strftime("%-d %B %Y"), e.strftime("%-d %B %Y")),
        Err(_) => start.to_string(),
    }
}

/// "09:05 on 7 April 2025" from `2025-04-07T09:05:00`.
fn when(t: &str) -> String {
    match (t.get(11..16), t.get(..10)) {
        (Some(time), Some(day)) => format!("{time} on {}", crate::render::format_date(day)),
        _ => t.to_string(),
    }
}

fn pct_bp(bp: Option<i64>) -> String {
    bp.map(|b| format!("{}.{}%", b / 100, (b % 100 + 5) / 10 % 10)).unwrap_or_else(|| "–".into())
}

/// Continuity of care per (provider, period) from an import's delivered visits with codes.
async fn continuity_by(state: &AppState, import_id: &str, provider: Option<&str>) -> Result<BTreeMap<(String, String), Value>, AppError> {
    let visits = state.store.ecm_worker_visits(import_id, provider).await?;
    let mut groups: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for (p, period, person, worker) in visits {
        groups.entry((p, period)).or_default().push((person, worker));
    }
    Ok(groups
        .into_iter()
        .map(|(k, v)| {
            let c = continuity(v.iter().map(|(p, w)| (p.as_str(), w.as_str())));
            let text = format!("{} ({} of {} visits)", pct_bp(c.pooled_share_bp()), c.by_usual, c.visits);
            (k, context! { pooled => text, mean => pct_bp(c.mean_share_bp), persons => c.persons })
        })
        .collect())
}

fn figure_row(f: &EcmFigureRecord, days: i64, base: &str, cont: Option<&Value>) -> Value {
    let visits = |show: &str| format!("{base}/visits?provider={}&amp;period={}&amp;show={show}", f.provider_id, f.period_start);
    let faults = |kind: &str| {
        format!("/ecm/imports/{}/faults?provider={}&amp;period={}&amp;kind={kind}", f.import_id, f.provider_id, f.period_start)
    };
    let payable_after = f.payable_pence + f.query_adjustment_pence;
    context! {
        provider => f.provider_name, provider_id => f.provider_id, file_provider => f.file_provider,
        period => period_label(&f.period_start, days), period_start => f.period_start,
        planned => f.planned_visits, planned_href => visits("all"),
        delivered => f.delivered_visits, delivered_href => visits("delivered"),
        missed => f.missed_visits, missed_href => visits("missed"),
        short => f.short_visits, short_href => visits("short"),
        late => f.late_visits, late_href => visits("late"),
        early => f.early_visits, early_href => visits("early"),
        unplanned => f.unplanned_extras, unplanned_minutes => f.unplanned_minutes, unplanned_href => faults("unplanned"),
        planned_hours => hours_text(f.planned_carer_minutes.max(0) as u64),
        delivered_hours => hours_text(f.delivered_carer_minutes.max(0) as u64),
        invoiced => money(f.invoiced_pence), payable => money(f.payable_pence), variance => money(f.variance_pence()),
        adjusted => (f.query_adjustment_pence != 0).then(|| money(payable_after)),
        bad => f.bad_end_before_start, bad_href => faults("end_before_start"),
        duplicates => f.duplicate_rows, duplicates_href => faults("duplicate"),
        repeats => f.repeat_visit_rows, repeats_href => faults("repeat"),
        unknown => f.unknown_visit_rows, unknown_href => faults("unknown"),
        faults => f.faults(),
        continuity => cont.cloned(),
    }
}

fn totals(figures: &[EcmFigureRecord]) -> Value {
    let sum = |g: fn(&EcmFigureRecord) -> i64| figures.iter().map(g).sum::<i64>();
    context! {
        planned => sum(|f| f.planned_visits), delivered => sum(|f| f.delivered_visits), missed => sum(|f| f.missed_visits),
        short => sum(|f| f.short_visits), late => sum(|f| f.late_visits), early => sum(|f| f.early_visits),
        unplanned => sum(|f| f.unplanned_extras),
        planned_hours => hours_text(sum(|f| f.planned_carer_minutes).max(0) as u64),
        delivered_hours => hours_text(sum(|f| f.delivered_carer_minutes).max(0) as u64),
        invoiced => money(sum(|f| f.invoiced_pence)), payable => money(sum(|f| f.payable_pence)),
        variance => money(sum(|f| f.variance_pence())), faults => sum(|f| f.faults()),
    }
}

fn import_view(i: &caremarket_store::ecm::EcmImportRecord) -> Value {
    context! {
        id => i.id, status => i.status, stage => i.stage, progress => i.progress_percent, error => i.error,
        planned_file => i.planned_file, actual_file => i.actual_file,
        periods => format!("{} days from {}", i.period_days, crate::render::format_date(&i.periods_from)),
        planned_visits => i.planned_visits, actual_rows => i.actual_rows, by => i.created_by_label,
        started => crate::render::format_timestamp(&i.started_at), started_at => i.started_at,
    }
}

/// Which import to show: `?import=`, else the newest completed one.
async fn chosen_import(state: &AppState, q: &[(String, String)], provider: Option<&str>) -> Result<Option<String>, AppError> {
    match field(q, "import") {
        "" => Ok(state.store.latest_ecm_import(provider).await?),
        id => match state.store.ecm_import(id).await {
            Ok(i) if i.status == "completed" => Ok(Some(i.id)),
            Ok(_) | Err(StoreError::NotFound(_)) => Err(AppError::BadRequest("import: choose one of the completed imports".into())),
            Err(e) => Err(e.into()),
        },
    }
}

async fn figures_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    view_finance(&user)?;
    let imports = state.store.ecm_imports().await?;
    let chosen = chosen_import(&state, &q, None).await?;
    let mut page = context! {
        imports => imports.iter().map(import_view).collect::<Vec<_>>(),
        can_import => user.role().can(Permission::ManageFees),
        open_queries => state.store.ecm_queries(None, Some("open")).await?.len(),
    };
    if let Some(id) = chosen {
        let import = state.store.ecm_import(&id).await?;
        let figures = state.store.ecm_figures(&id, None).await?;
        let cont = continuity_by(&state, &id, None).await?;
        let base = format!("/ecm/imports/{id}");
        let rows: Vec<Value> = figures
            .iter()
            .map(|f| figure_row(f, import.period_days, &base, cont.get(&(f.provider_id.clone(), f.period_start.clone()))))
            .collect();
        page = context! { ..page, ..context! {
            import => import_view(&import), rows => rows, totals => totals(&figures),
            has_continuity => !cont.is_empty(),
        }};
    }
    Ok(Html(render(&state, &user, "ecm.html", page).await?).into_response())
}

async fn import_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    manage(&user)?;
    render_import_form(&state, &user, &[], &FormErrors::new(&[]), StatusCode::OK).await
}

async fn render_import_form(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let from = match field(form, "periods_from") {
        "" => "2025-04-07".to_string(),
        v => v.to_string(),
    };
    let days = match field(form, "period_days") {
        "" => DEFAULT_PERIOD_DAYS.to_string(),
        v => v.to_string(),
    };
    let page = context! {
        errors => errors.list, field_errors => errors.by_field, periods_from => from, period_days => days,
        cap => field(form, "no_cap") != "1",
    };
    Ok((status, Html(render(state, user, "ecm_import.html", page).await?)).into_response())
}

/// A file of the form as it arrived: the form's field (`planned` or `actual`), the file's name,
/// and the unnamed temporary file it was written to chunk by chunk (`crate::imports::spool`), so
/// neither export is ever held whole in memory (issue 17 item 2); the file is gone from the disk
/// when it is dropped, even if the server stops.
type Upload = (String, String, std::fs::File);

/// The form's two files and fields. The token is checked before anything is read further.
async fn read_files(user: &CurrentUser, mut multipart: Multipart) -> Result<(Vec<(String, String)>, Vec<Upload>), AppError> {
    let mut fields = Vec::new();
    let mut files = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(mut f)) => {
                let name = f.name().unwrap_or("").to_string();
                if name == "planned" || name == "actual" {
                    let file_name = f.file_name().unwrap_or("upload.csv").to_string();
                    match crate::imports::spool(&mut f).await {
                        // A form sent with no file chosen has an empty file part.
                        Ok((_, 0)) => {}
                        Ok((file, _)) => files.push((name, file_name, file)),
                        Err(crate::imports::SpoolError::Body(_)) => {
                            return Err(AppError::BadRequest("The selected file could not be uploaded: it may be too large".into()));
                        }
                        Err(crate::imports::SpoolError::Disk(e)) => {
                            return Err(AppError::Internal(format!("keeping an ECM upload on disk: {e}")));
                        }
                    }
                } else {
                    let t = f.text().await.map_err(|_| AppError::BadRequest("The form could not be read – try again".into()))?;
                    fields.push((name, t));
                }
            }
            Ok(None) => break,
            Err(_) => return Err(AppError::BadRequest("The selected file could not be uploaded: it may be too large".into())),
        }
    }
    crate::csrf::verify_token(&user.session, Some(field(&fields, "csrf_token"))).await?;
    Ok((fields, files))
}

async fn import(user: CurrentUser, State(state): State<AppState>, multipart: crate::csrf::LateMultipart) -> Result<Response, AppError> {
    manage(&user)?;
    let multipart = crate::csrf::opened(multipart)?;
    let (form, mut files) = read_files(&user, multipart).await?;
    let mut errors = FormErrors::new(&[]);
    let take = |files: &mut Vec<Upload>, name: &str| files.iter().position(|f| f.0 == name).map(|i| files.swap_remove(i));
    let planned = take(&mut files, "planned");
    let actual = take(&mut files, "actual");
    if planned.is_none() {
        errors.add("planned", "Select the planned visits file");
    }
    if actual.is_none() {
        errors.add("actual", "Select the call monitoring export");
    }
    let from = field(&form, "periods_from").trim().parse::<jiff::civil::Date>();
    if from.is_err() {
        errors.add("periods_from", "Enter the first period's start as a date like 2025-04-07");
    }
    let days = field(&form, "period_days").trim().parse::<u32>().ok().filter(|d| (1..=366).contains(d));
    if days.is_none() {
        errors.add("period_days", "Enter the days in a period as a whole number from 1 to 366");
    }
    let (Some(planned), Some(actual), Ok(from), Some(days), true) = (planned, actual, from, days, errors.is_empty()) else {
        return render_import_form(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await;
    };
    let options = match Options::new(from, days, field(&form, "no_cap") != "1") {
        Ok(o) => o,
        Err(e) => {
            errors.add(&e.field, &e.message);
            return render_import_form(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await;
        }
    };
    let actor = user.actor();
    let id = state.store.start_ecm_import(&actor, &planned.1, &actual.1, &options).await?;
    let ((_, pname, pfile), (_, aname, afile)) = (planned, actual);
    let store = state.store.clone();
    let import_id = id.clone();
    tokio::spawn(async move {
        // The page polls the import's row for its progress.
        let outcome = run_import(&store, &actor, &import_id, (pname, pfile), (aname, afile), options, &|_, _| {}).await;
        if let Err(message) = outcome {
            // Only the reason is kept: never the rows of the files.
            let _ = store.fail_ecm_import(&import_id, &message).await;
        }
    });
    Ok(Redirect::to(&format!("/ecm/imports/{id}")).into_response())
}

/// Read, reconcile and keep an import, telling its record how far it has got; the error in
/// words when it fails (nothing of it kept). The files (named as the officer's were) are read
/// from their start with bounded memory (`caremarket_ingest::ecm::read_detail_from`): the web
/// upload's temporary files, or the command line's own files.
pub async fn run_import(
    store: &caremarket_store::Store,
    actor: &caremarket_store::Actor,
    id: &str,
    planned: (String, std::fs::File),
    actual: (String, std::fs::File),
    options: Options,
    report: &(dyn Fn(&str, u8) + Send + Sync),
) -> Result<Vec<EcmFigureRecord>, String> {
    let read = Arc::new(AtomicU8::new(0));
    let seen = read.clone();
    let mut reading = tokio::task::spawn_blocking(move || {
        caremarket_ingest::ecm::read_detail_from(planned.1, &planned.0, actual.1, &actual.0, &|p| seen.store(p, Ordering::Relaxed))
    });
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
    let detail = loop {
        tokio::select! {
            done = &mut reading => break done,
            _ = tick.tick() => {
                // Reading is the first half of the work.
                let percent = read.load(Ordering::Relaxed) / 2;
                report("Reading the files", percent);
                let _ = store.ecm_import_progress(id, "Reading the files", percent).await;
            }
        }
    };
    let detail = detail.map_err(|_| "The import stopped unexpectedly: try again".to_string())?.map_err(|e| e.to_string())?;
    report("Reconciling the visits", 50);
    store.ecm_import_progress(id, "Reconciling the visits", 50).await.map_err(|e| e.to_string())?;
    store.finish_ecm_import(actor, id, detail, &options).await.map_err(|e| match e {
        StoreError::Invalid(f) => f.message,
        other => other.to_string(),
    })
}

async fn import_status(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    view_finance(&user)?;
    let import = match state.store.ecm_import(&id).await {
        Ok(i) => i,
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let page = context! { import => import_view(&import), running => import.status == "running" };
    Ok(Html(render(&state, &user, "ecm_import_status.html", page).await?).into_response())
}

fn visit_view(v: &EcmVisitRecord, href: String) -> Value {
    context! {
        visit_id => v.visit_id, href => href, person => v.person_ref, provider => v.provider_name,
        planned_start => when(&v.planned_start), planned_minutes => v.planned_minutes, carers => v.carers,
        rate => money(v.rate_pence), actual_start => v.actual_start.as_deref().map(when),
        actual_end => v.actual_end.as_deref().map(when), actual_minutes => v.actual_minutes, paid_minutes => v.paid_minutes,
        delivered => v.delivered(), short => v.short == 1, late => v.late == 1, early => v.early == 1,
        invoiced => money(v.invoiced_pence), payable => money(v.payable_pence), worker => v.care_worker_ref,
    }
}

/// The visits of an import for a provider and period, of one kind (council or portal).
async fn visits_list(
    state: &AppState,
    user: &CurrentUser,
    import_id: &str,
    provider: Option<&str>,
    q: &[(String, String)],
    path: &str,
    visit_base: &str,
) -> Result<Value, AppError> {
    let import = match state.store.ecm_import(import_id).await {
        Ok(i) if i.status == "completed" => i,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let show = match field(q, "show") {
        "" => VisitShow::All,
        s => VisitShow::parse(s).ok_or_else(|| AppError::BadRequest("show: choose all, delivered, missed, short, late or early".into()))?,
    };
    let period = Some(field(q, "period")).filter(|p| !p.is_empty());
    let (_, total) = state.store.ecm_visits(import_id, provider, period, show, 0, 0).await?;
    let paging = Paging::new(path, q, usize::try_from(total).unwrap_or(0), PER_PAGE)?;
    let offset = i64::try_from(paging.range().start).unwrap_or(0);
    let (visits, _) = state.store.ecm_visits(import_id, provider, period, show, PER_PAGE as i64, offset).await?;
    let provider_name = match provider {
        Some(p) => Some(state.store.provider(p).await?.name),
        None => None,
    };
    let _ = user;
    Ok(context! {
        import => import_view(&import), show => show.as_str(), show_label => show.label(),
        period => period.map(|p| period_label(p, import.period_days)), provider_name => provider_name,
        visits => visits.iter().map(|v| visit_view(v, format!("{visit_base}/{}", v.visit_id))).collect::<Vec<_>>(),
        total => total, paging => paging.context(),
        shows => VisitShow::ALL.iter().map(|s| json!({"value": s.as_str(), "text": s.label()})).collect::<Vec<_>>(),
        provider_id => provider, period_start => period,
    })
}

async fn visits_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    view_finance(&user)?;
    let provider = Some(field(&q, "provider")).filter(|p| !p.is_empty());
    let page =
        visits_list(&state, &user, &id, provider, &q, &format!("/ecm/imports/{id}/visits"), &format!("/ecm/imports/{id}/visits")).await?;
    let page = context! { ..page, ..context! { portal => false, back => format!("/ecm?import={id}") } };
    Ok(Html(render(&state, &user, "ecm_visits.html", page).await?).into_response())
}

fn query_view(q: &EcmQueryRecord, today: jiff::civil::Date) -> Value {
    let raised = q.raised_at.get(..10).and_then(|d| d.parse::<jiff::civil::Date>().ok());
    let age = raised.map(|r| (today - r).get_days().max(0)).unwrap_or(0);
    context! {
        id => q.id, import_id => q.import_id, visit_id => q.visit_id, provider => q.provider_name, reason => q.reason,
        claimed_minutes => q.claimed_minutes, status => q.status,
        status_label => match q.status.as_str() { "open" => "Open", "accepted" => "Accepted", _ => "Rejected" },
        status_tag => match q.status.as_str() { "open" => "govuk-tag--yellow", "accepted" => "govuk-tag--green", _ => "govuk-tag--grey" },
        raised_by => q.raised_by_label, raised => crate::render::format_timestamp(&q.raised_at),
        age => match age { 0 => "less than a day".to_string(), 1 => "1 day".to_string(), n => format!("{n} days") },
        decided_by => q.decided_by_label, decided => q.decided_at.as_deref().map(crate::render::format_timestamp),
        note => q.decision_note, paid_before => q.paid_minutes_before, paid_after => q.paid_minutes_after,
        payable_before => q.payable_before.map(money), payable_after => q.payable_after.map(money),
    }
}

/// A visit id from the path, read after the role check (so a refused role is told so first).
fn visit_id(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().map_err(|_| AppError::NotFound)
}

async fn visit_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, visit)): Path<(String, String)>,
) -> Result<Response, AppError> {
    view_finance(&user)?;
    let visit = visit_id(&visit)?;
    let v = match state.store.ecm_visit(&id, visit).await {
        Ok(v) => v,
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let today = caremarket_store::today();
    let queries: Vec<Value> = state.store.ecm_visit_queries(&id, visit).await?.iter().map(|q| query_view(q, today)).collect();
    let page = context! {
        visit => visit_view(&v, String::new()), queries => queries, portal => false, import_id => id,
        back => format!("/ecm/imports/{id}/visits?provider={}&amp;period={}", v.provider_id, v.period_start),
        errors => Vec::<Value>::new(), field_errors => BTreeMap::<String, String>::new(),
    };
    Ok(Html(render(&state, &user, "ecm_visit.html", page).await?).into_response())
}

async fn faults_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    view_finance(&user)?;
    let import = match state.store.ecm_import(&id).await {
        Ok(i) if i.status == "completed" => i,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let kind = match field(&q, "kind") {
        "" => None,
        k => Some(
            Fault::parse(k)
                .ok_or_else(|| AppError::BadRequest("kind: choose duplicate, end_before_start, unplanned, repeat or unknown".into()))?,
        ),
    };
    let provider = Some(field(&q, "provider")).filter(|p| !p.is_empty());
    let period = Some(field(&q, "period")).filter(|p| !p.is_empty());
    let faults = state.store.ecm_faults(&id, provider, period, kind).await?;
    let label = |k: &str| match Fault::parse(k) {
        Some(Fault::Duplicate) => "Duplicate row",
        Some(Fault::EndBeforeStart) => "Ends before it starts",
        Some(Fault::Unplanned) => "Unplanned extra visit",
        Some(Fault::Repeat) => "Repeat row for a visit",
        Some(Fault::Unknown) => "Visit id never planned",
        None => "Row",
    };
    let rows: Vec<Value> = faults
        .iter()
        .map(|f| {
            context! { kind => label(&f.kind), visit_id => f.visit_id, person => f.person_ref, start => when(&f.actual_start), end => when(&f.actual_end) }
        })
        .collect();
    let provider_name = match provider {
        Some(p) => Some(state.store.provider(p).await?.name),
        None => None,
    };
    let page = context! {
        import => import_view(&import), rows => rows, title => kind.map(|k| label(k.as_str())).unwrap_or("Faulty rows"),
        provider_name => provider_name, period => period.map(|p| period_label(p, import.period_days)), back => format!("/ecm?import={id}"),
    };
    Ok(Html(render(&state, &user, "ecm_faults.html", page).await?).into_response())
}

async fn schedule_csv(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    view_finance(&user)?;
    let lines = match state.store.ecm_payment_schedule(&id, None).await {
        Ok(l) => l,
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "provider_id",
        "cqc_provider_id",
        "provider_name",
        "period_start",
        "period_end",
        "visits_paid",
        "carer_minutes_paid",
        "amount_pence",
        "amount",
        "payment_basis",
        "basis_recorded",
    ];
    let io = |e: csv::Error| AppError::Internal(e.to_string());
    w.write_record(header).map_err(io)?;
    for l in &lines {
        let amount = caremarket_core::direct_payments::money::money_typed(l.amount_pence);
        // Every text cell is made safe for a spreadsheet (issue 17 item 9): the provider's name and
        // CQC id come from outside the council; the figures are numbers written by us.
        let text = caremarket_core::text::spreadsheet_cell;
        w.write_record([
            &*text(&l.provider_id),
            &*text(&l.cqc_provider_id),
            &*text(&l.provider_name),
            &*text(&l.period_start),
            &*text(&l.period_end),
            &l.visits_paid.to_string(),
            &l.carer_minutes_paid.to_string(),
            &l.amount_pence.to_string(),
            &amount,
            &*text(&l.basis),
            if l.basis_recorded { "yes" } else { "no: the reconciliation's rule" },
        ])
        .map_err(io)?;
    }
    let body = w.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"payment-schedule-{id}.csv\"")),
        ],
        body,
    )
        .into_response())
}

async fn queries_page(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    view_finance(&user)?;
    let status = match field(&q, "status") {
        "" | "open" => "open",
        "accepted" => "accepted",
        "rejected" => "rejected",
        "all" => "",
        _ => return Err(AppError::BadRequest("status: choose open, accepted, rejected or all".into())),
    };
    let today = caremarket_store::today();
    let queries: Vec<Value> =
        state.store.ecm_queries(None, Some(status).filter(|s| !s.is_empty())).await?.iter().map(|q| query_view(q, today)).collect();
    let page = context! { queries => queries, status => if status.is_empty() { "all" } else { status }, decided => !field(&q, "decided").is_empty() };
    Ok(Html(render(&state, &user, "ecm_queries.html", page).await?).into_response())
}

async fn query_page(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    view_finance(&user)?;
    render_query(&state, &user, &id, &[], &FormErrors::new(&[]), StatusCode::OK).await
}

async fn render_query(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let q = match state.store.ecm_query(id).await {
        Ok(q) => q,
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let v = state.store.ecm_visit(&q.import_id, q.visit_id).await?;
    let today = caremarket_store::today();
    let minutes = match field(form, "paid_minutes") {
        "" => q.claimed_minutes.unwrap_or(v.planned_minutes).to_string(),
        m => m.to_string(),
    };
    let page = context! {
        query => query_view(&q, today), visit => visit_view(&v, format!("/ecm/imports/{}/visits/{}", q.import_id, q.visit_id)),
        can_decide => user.role().can(Permission::ManageFees) && q.status == "open",
        errors => errors.list, field_errors => errors.by_field, paid_minutes => minutes,
        decision => field(form, "decision"), note => field(form, "note"),
    };
    Ok((status, Html(render(state, user, "ecm_query.html", page).await?)).into_response())
}

async fn decide(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    manage(&user)?;
    let mut errors = FormErrors::new(&[]);
    let accept = match field(&form, "decision") {
        "accept" => Some(true),
        "reject" => Some(false),
        _ => {
            errors.add("decision", "Choose whether to accept or reject the query");
            None
        }
    };
    let minutes = match (accept, field(&form, "paid_minutes").trim()) {
        (Some(true), m) => match m.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.add("paid_minutes", "Enter the minutes to pay as a whole number, like 45");
                None
            }
        },
        _ => None,
    };
    let Some(accept) = accept.filter(|_| errors.is_empty()) else {
        return render_query(&state, &user, &id, &form, &errors, StatusCode::BAD_REQUEST).await;
    };
    match state.store.decide_ecm_query(&user.actor(), &id, accept, minutes, field(&form, "note")).await {
        Ok(_) => Ok(Redirect::to(&format!("/ecm/queries?decided={id}")).into_response()),
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => {
            errors.add_store(e)?;
            render_query(&state, &user, &id, &form, &errors, StatusCode::BAD_REQUEST).await
        }
    }
}

// The provider's side. The provider comes from the account, never the request: another
// provider's figures and visits are "not found".

async fn portal_figures(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let provider = state.store.provider(&provider_id).await?;
    let today = caremarket_store::today();
    let queries: Vec<Value> = state.store.ecm_queries(Some(&provider_id), None).await?.iter().map(|q| query_view(q, today)).collect();
    let mut page = context! { provider_name => provider.name, queries => queries, queried => field(&q, "queried") == "1" };
    let chosen = match field(&q, "import") {
        "" => state.store.latest_ecm_import(Some(&provider_id)).await?,
        id => Some(id.to_string()),
    };
    if let Some(id) = chosen {
        let import = match state.store.ecm_import(&id).await {
            Ok(i) if i.status == "completed" => i,
            Ok(_) | Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let figures: Vec<EcmFigureRecord> =
            state.store.ecm_figures(&id, Some(&provider_id)).await?.into_iter().filter(|f| f.provider_id == provider_id).collect();
        if figures.is_empty() {
            return Err(AppError::NotFound);
        }
        let cont = continuity_by(&state, &id, Some(&provider_id)).await?;
        let base = format!("/portal/ecm/{id}");
        let rows: Vec<Value> = figures
            .iter()
            .map(|f| figure_row(f, import.period_days, &base, cont.get(&(f.provider_id.clone(), f.period_start.clone()))))
            .collect();
        page = context! { ..page, ..context! { import => import_view(&import), rows => rows, totals => totals(&figures), has_continuity => !cont.is_empty() } };
    }
    Ok(Html(render(&state, &user, "portal_ecm.html", page).await?).into_response())
}

async fn portal_visits(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let base = format!("/portal/ecm/{id}/visits");
    let page = visits_list(&state, &user, &id, Some(&provider_id), &q, &base, &base).await?;
    let page = context! { ..page, ..context! { portal => true, back => "/portal/ecm" } };
    Ok(Html(render(&state, &user, "ecm_visits.html", page).await?).into_response())
}

async fn own_visit(state: &AppState, provider_id: &str, id: &str, visit: i64) -> Result<EcmVisitRecord, AppError> {
    match state.store.ecm_visit(id, visit).await {
        Ok(v) if v.provider_id == provider_id => Ok(v),
        Ok(_) | Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn portal_visit(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, visit)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let visit = visit_id(&visit)?;
    render_portal_visit(&state, &user, &provider_id, &id, visit, &[], &FormErrors::new(&[]), StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render_portal_visit(
    state: &AppState,
    user: &CurrentUser,
    provider_id: &str,
    id: &str,
    visit: i64,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let v = own_visit(state, provider_id, id, visit).await?;
    let today = caremarket_store::today();
    let queries: Vec<EcmQueryRecord> = state.store.ecm_visit_queries(id, visit).await?;
    let open = queries.iter().any(|q| q.status == "open");
    let page = context! {
        visit => visit_view(&v, String::new()), queries => queries.iter().map(|q| query_view(q, today)).collect::<Vec<_>>(),
        portal => true, import_id => id, can_query => !open, back => format!("/portal/ecm/{id}/visits?period={}", v.period_start),
        errors => errors.list, field_errors => errors.by_field, reason => field(form, "reason"), claimed_minutes => field(form, "claimed_minutes"),
    };
    Ok((status, Html(render(state, user, "ecm_visit.html", page).await?)).into_response())
}

async fn portal_query(
    user: CurrentUser,
    State(state): State<AppState>,
    Path((id, visit)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let visit = visit_id(&visit)?;
    own_visit(&state, &provider_id, &id, visit).await?;
    let mut errors = FormErrors::new(&[]);
    let claimed = match field(&form, "claimed_minutes").trim() {
        "" => None,
        m => match m.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.add("claimed_minutes", "Enter the minutes worked as a whole number, like 45, or leave it blank");
                return render_portal_visit(&state, &user, &provider_id, &id, visit, &form, &errors, StatusCode::BAD_REQUEST).await;
            }
        },
    };
    match state.store.raise_ecm_query(&user.actor(), &provider_id, &id, visit, field(&form, "reason"), claimed).await {
        Ok(_) => Ok(Redirect::to("/portal/ecm?queried=1").into_response()),
        Err(e) => {
            errors.add_store(e)?;
            render_portal_visit(&state, &user, &provider_id, &id, visit, &form, &errors, StatusCode::BAD_REQUEST).await
        }
    }
}
