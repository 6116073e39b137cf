//! Templates (minijinja, GOV.UK Design System markup) and the filters pages share.

use crate::error::AppError;
use caremarket_core::access::{Permission, Role};
use caremarket_core::register::{ContractStatus, Rating, ServiceKind, Specialism};
use caremarket_store::users::User;
use minijinja::{Environment, Value};
use rust_embed::RustEmbed;
use serde::Serialize;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct Templates;

pub struct Renderer {
    env: Environment<'static>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    pub href: &'static str,
    pub text: &'static str,
    pub active: bool,
}

tokio::task_local! {
    /// The path of the request being handled, so the navigation can mark the current section
    /// without every handler passing it along.
    static REQUEST_PATH: String;
}

/// Run the rest of the request with its path available to page rendering.
pub async fn with_request_path(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let path = req.uri().path().to_string();
    REQUEST_PATH.scope(path, next.run(req)).await
}

fn current_path() -> String {
    REQUEST_PATH.try_with(|p| p.clone()).unwrap_or_default()
}

#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub id: String,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub role_label: &'static str,
    pub provider_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct BaseContext {
    pub council_name: String,
    pub current_user: Option<UserView>,
    pub csrf_token: String,
    pub nav_items: Vec<NavItem>,
}

impl BaseContext {
    pub fn new(council_name: String, user: Option<User>, csrf_token: String) -> BaseContext {
        let nav_items = user.as_ref().map(|u| nav_for(u.role)).unwrap_or_default();
        BaseContext {
            council_name,
            current_user: user.map(|u| UserView {
                id: u.id,
                display_name: u.display_name,
                email: u.email,
                role_label: u.role.label(),
                role: u.role,
                provider_id: u.provider_id,
            }),
            csrf_token,
            nav_items,
        }
    }
}

fn nav_for(role: Role) -> Vec<NavItem> {
    let mut v = nav_items(role);
    let path = current_path();
    for item in v.iter_mut() {
        // "/services/123" belongs to "Services"; "/dashboard" only to itself.
        item.active = path == item.href || path.starts_with(&format!("{}/", item.href));
    }
    v
}

fn nav_items(role: Role) -> Vec<NavItem> {
    let mut v = Vec::new();
    if crate::work::has_queue(role) {
        v.push(NavItem { href: "/work", text: "Your work", active: false });
    }
    if role.can(Permission::ViewRegister) {
        v.push(NavItem { href: "/dashboard", text: "Market", active: false });
        v.push(NavItem { href: "/services", text: "Services", active: false });
        v.push(NavItem { href: "/providers", text: "Providers", active: false });
        v.push(NavItem { href: "/frameworks", text: "Frameworks", active: false });
    }
    if role.can(Permission::ViewPlacements) {
        v.push(NavItem { href: "/placements", text: "Out-of-area placements", active: false });
    }
    if role.can(Permission::ViewQuality) {
        v.push(NavItem { href: "/quality", text: "Quality", active: false });
    }
    if role.can(Permission::ViewCapacity) {
        v.push(NavItem { href: "/capacity", text: "Capacity", active: false });
    }
    if role.can(Permission::ViewBrokerage) {
        v.push(NavItem { href: "/brokerage", text: "Brokerage", active: false });
    }
    if role.can(Permission::ViewFees) {
        v.push(NavItem { href: "/fees", text: "Fees", active: false });
    }
    if role.can(Permission::ViewOutcomes) {
        v.push(NavItem { href: "/outcomes", text: "Outcomes contracts", active: false });
    }
    if role.can(Permission::ViewDirectPayments) || role.can(Permission::ViewDirectPaymentFigures) {
        v.push(NavItem { href: "/direct-payments", text: "Direct payments", active: false });
    }
    if role.can(Permission::ViewWorkforce) {
        v.push(NavItem { href: "/workforce", text: "Workforce", active: false });
    }
    if role.can(Permission::ViewGovernance) {
        v.push(NavItem { href: "/governance", text: "Governance", active: false });
    }
    if role.can(Permission::ViewReports) {
        v.push(NavItem { href: "/reports/quarterly", text: "Quarterly report", active: false });
    }
    if role.can(Permission::ImportCqc) {
        v.push(NavItem { href: "/imports", text: "CQC imports", active: false });
    }
    if role.can(Permission::ManageUsers) {
        v.push(NavItem { href: "/admin/users", text: "Users", active: false });
        v.push(NavItem { href: "/admin/settings", text: "Settings", active: false });
    }
    if role.can(Permission::ReadAudit) {
        v.push(NavItem { href: "/admin/audit", text: "Audit log", active: false });
    }
    if role.can(Permission::ProviderPortal) {
        v.push(NavItem { href: "/portal", text: "Your services", active: false });
        v.push(NavItem { href: "/portal/actions", text: "Action plans", active: false });
        v.push(NavItem { href: "/portal/reports", text: "Visit reports", active: false });
        v.push(NavItem { href: "/portal/returns", text: "Monthly returns", active: false });
        v.push(NavItem { href: "/portal/cost-of-care", text: "Cost of care", active: false });
        v.push(NavItem { href: "/portal/supported-living", text: "Supported living hours", active: false });
        v.push(NavItem { href: "/portal/ecm", text: "Visits and pay", active: false });
        v.push(NavItem { href: "/portal/workforce", text: "Workforce returns", active: false });
        v.push(NavItem { href: "/portal/outcomes", text: "Outcome claims", active: false });
        v.push(NavItem { href: "/portal/capacity", text: "Vacancies and capacity", active: false });
        v.push(NavItem { href: "/portal/offers", text: "Package offers", active: false });
    }
    if role.can(Permission::UseApiTokens) {
        v.push(NavItem { href: "/account/tokens", text: "API tokens", active: false });
    }
    v
}

/// One error for the error summary and the field: `field` is the input's id.
pub fn field_error(field: &str, message: &str) -> Value {
    minijinja::context! { field => field, message => message }
}

/// "2024-02-03" -> "3 February 2024"; timestamps keep their date part; anything else unchanged.
pub fn format_date(s: &str) -> String {
    let d = s.get(..10).unwrap_or(s);
    match d.parse::<jiff::civil::Date>() {
        Ok(date) => date.strftime("%-d %B %Y").to_string(),
        Err(_) => s.to_string(),
    }
}

/// A stored timestamp as people in England read it: "3 December 2026 14:05", London time.
pub fn format_timestamp(ts: &str) -> String {
    ts.parse::<jiff::Timestamp>()
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC)).strftime("%-d %B %Y %H:%M").to_string()
        })
        .unwrap_or_else(|_| ts.to_string())
}

/// When a kept figure was computed (an RFC 3339 timestamp), as a person in England reads it:
/// "03:12 today", or "23:50 on 3 December 2026"; anything else unchanged.
pub fn computed_at(ts: &str, today: jiff::civil::Date) -> String {
    let Ok(t) = ts.parse::<jiff::Timestamp>() else { return ts.to_string() };
    let local = t.to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC));
    let time = local.strftime("%H:%M");
    if local.date() == today { format!("{time} today") } else { format!("{time} on {}", local.date().strftime("%-d %B %Y")) }
}

impl Renderer {
    pub fn new() -> Result<Renderer, AppError> {
        let mut env = Environment::new();
        env.set_loader(|name| match Templates::get(name) {
            Some(f) => Ok(Some(String::from_utf8_lossy(&f.data).into_owned())),
            None => Ok(None),
        });
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.add_filter("rating_label", |v: Option<String>| -> String {
            v.as_deref().and_then(Rating::parse).map(|r| r.label().to_string()).unwrap_or_else(|| "Not rated".into())
        });
        env.add_filter("rating_tag", |v: Option<String>| -> String {
            crate::tags::rating(v.as_deref().and_then(Rating::parse)).to_string()
        });
        env.add_filter("kind_label", |v: String| -> String { ServiceKind::parse(&v).map(|k| k.label().to_string()).unwrap_or(v) });
        env.add_filter("contract_label", |v: String| -> String { ContractStatus::parse(&v).map(|k| k.label().to_string()).unwrap_or(v) });
        env.add_filter("specialism_label", |v: String| -> String { Specialism::parse(&v).map(|k| k.label().to_string()).unwrap_or(v) });
        env.add_filter("date", |v: Option<String>| -> String { v.as_deref().map(format_date).unwrap_or_default() });
        env.add_filter("computed_at", |v: String| -> String { computed_at(&v, caremarket_store::today()) });
        env.add_filter("percent", |v: Option<f64>| -> String { v.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "–".into()) });
        env.add_filter("thousands", caremarket_core::text::thousands);
        // `{{ n | count("home") }}` reads "1 home" or "2 homes"; `count("plan is", "plans are")`.
        env.add_filter("count", |n: i64, singular: String, plural: Option<String>| -> String {
            caremarket_core::text::count(n, &singular, plural.as_deref())
        });
        crate::markup::register(&mut env);
        Ok(Renderer { env })
    }

    /// Render `template` with the base context merged under the page's own values.
    pub fn render(&self, template: &str, base: &BaseContext, page: Value) -> Result<String, AppError> {
        let tmpl = self.env.get_template(template)?;
        let ctx = minijinja::context! { ..page, ..Value::from_serialize(base) };
        Ok(tmpl.render(ctx)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computed_at_reads_as_a_time_today_or_a_time_and_date() {
        let today: jiff::civil::Date = "2026-12-04".parse().expect("date");
        // December: London is on UTC.
        assert_eq!(computed_at("2026-12-04T03:12:45.123456Z", today), "03:12 today");
        assert_eq!(computed_at("2026-12-03T23:50:00Z", today), "23:50 on 3 December 2026");
        // July: British Summer Time, an hour ahead of UTC.
        assert_eq!(computed_at("2026-07-01T09:05:00Z", "2026-07-01".parse().expect("date")), "10:05 today");
        assert_eq!(computed_at("not a time", today), "not a time");
    }

    #[test]
    fn dates_read_as_officers_write_them() {
        assert_eq!(format_date("2024-02-03"), "3 February 2024");
        assert_eq!(format_date("2024-02-03T10:00:00.000000Z"), "3 February 2024");
        assert_eq!(format_date("December 2027"), "December 2027");
    }

    /// The gallery calls every macro: it must compile and render, under strict undefined
    /// handling too (the macros read optional keys with `default`).
    #[test]
    fn the_macro_gallery_renders() {
        let mut renderer = Renderer::new().expect("templates");
        renderer.env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        let base = BaseContext { council_name: "Testshire Council".into(), ..Default::default() };
        let html = renderer.render("_macro_gallery.html", &base, minijinja::context! {}).expect("gallery renders");
        for expected in [
            r#"<table class="govuk-table caremarket-table--compact" id="vacancies">"#,
            r#"<caption class="govuk-table__caption govuk-table__caption--s">Homes by vacancies</caption>"#,
            r#"<th scope="col" class="govuk-table__header govuk-table__header--numeric">Vacancies</th>"#,
            r#"<th scope="col" class="govuk-table__header"><span class="govuk-visually-hidden">Action</span></th>"#,
            r#"<th scope="row" class="govuk-table__header"><a class="govuk-link" href="/homes/1">Oak House</a></th>"#,
            r#"<td class="govuk-table__cell govuk-table__cell--numeric">74</td>"#,
            r#"<td class="govuk-table__cell" colspan="2"></td>"#,
            r#"<strong class="govuk-tag caremarket-rating--good">Good</strong>"#,
            r#"<dd class="govuk-summary-list__value" id="beds">40</dd>"#,
            r#"<h3 class="govuk-summary-card__title">Package for 10 hours a week</h3>"#,
            r#"<details class="govuk-details govuk-!-margin-bottom-0" open>"#,
            r#"aria-describedby="returns-hint returns-error""#,
        ] {
            assert!(html.contains(expected), "{expected} missing from:\n{html}");
        }
    }
}
