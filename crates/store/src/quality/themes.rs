//! CQC report theme analysis (`004` §4.11–4.15): issues from CQC reports coded to themes, the
//! training and support offers mapped to each theme, and the counts (computed in
//! `caremarket_core::quality::themes` from the coded records).

use crate::audit::{Actor, record};
use crate::query::SqlBuilder;
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::quality::OfferStatus;
use caremarket_core::quality::themes::{
    self as core_themes, CodedIssue, ServiceThemes, Theme, ThemeCount, ThemeTotals, check_offer, check_report_date, issue_field,
};
use caremarket_core::register::ServiceKind;
use caremarket_core::{Date, FieldError};
use serde::Serialize;
use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

/// An issue to code: one issue in one CQC report of one service.
#[derive(Debug, Clone)]
pub struct NewCoding {
    pub service_id: String,
    pub report_date: Date,
    /// Theme code or name.
    pub theme: String,
    pub issue: String,
}

pub use caremarket_core::quality::RowProblem;
pub use caremarket_core::quality::themes::CodingRow;

/// A coded issue with its service and theme.
#[derive(Debug, Clone, Serialize)]
pub struct Coding {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub theme_code: String,
    pub theme_name: String,
    pub report_date: String,
    pub issue: String,
    pub coded_by: String,
}

/// Which codings to count. Empty `kinds` means every kind of service.
#[derive(Debug, Clone, Default)]
pub struct ThemeFilter {
    pub kinds: Vec<ServiceKind>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub service_id: Option<String>,
    pub theme_code: Option<String>,
}

/// A training or support offer mapped to a theme (`004` §4.15).
#[derive(Debug, Clone, Serialize)]
pub struct ThemeOffer {
    pub id: String,
    pub theme_code: String,
    pub theme_name: String,
    pub offer: String,
    pub offered_by: Option<String>,
    pub status: OfferStatus,
    pub status_label: &'static str,
    pub notes: Option<String>,
    pub updated_at: String,
    /// For the row's change form (decision 25).
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct NewOffer {
    pub offer: String,
    pub offered_by: Option<String>,
    pub status: String,
    pub notes: Option<String>,
}

/// One service's issues per theme, with its name.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceThemeRow {
    pub service_id: String,
    pub service_name: String,
    pub provider_name: String,
    pub counts: ServiceThemes,
}

const CODING_SELECT: &str = "SELECT c.id, c.service_id, s.name AS service_name, s.provider_id, p.name AS provider_name, s.kind,
        t.code AS theme_code, t.name AS theme_name, c.report_date, c.issue, COALESCE(cu.display_name, c.coded_by) AS coded_by
     FROM theme_codings c JOIN services s ON s.id = c.service_id JOIN providers p ON p.id = s.provider_id
     JOIN cqc_themes t ON t.id = c.theme_id LEFT JOIN users cu ON cu.email = c.coded_by";

/// The columns of [`CODING_SELECT`] that the theme counts read, from the same tables with the
/// same inner joins, so that a filter selects the same codings from either (`coding_filter`).
/// `CROSS JOIN` makes SQLite start from the codings (a few hundred) rather than from every care
/// home of the kinds asked for (1,191 at demo scale 10), as it does without statistics: half the
/// time. PostgreSQL plans it as the same inner joins.
const CODED_ISSUE_SELECT: &str = "SELECT t.code AS theme_code, c.service_id, c.report_date
     FROM theme_codings c CROSS JOIN services s CROSS JOIN providers p CROSS JOIN cqc_themes t
     WHERE s.id = c.service_id AND p.id = s.provider_id AND t.id = c.theme_id";

/// `select` (with a `WHERE`) narrowed to the codings the filter asks for.
fn coding_filter(select: String, f: &ThemeFilter) -> SqlBuilder {
    let mut q = SqlBuilder::new(select);
    q.and_in("s.kind", f.kinds.iter().map(|k| k.as_str()));
    if let Some(d) = f.from {
        q.and_bind("c.report_date >= {}", d.to_string());
    }
    if let Some(d) = f.to {
        q.and_bind("c.report_date <= {}", d.to_string());
    }
    if let Some(s) = &f.service_id {
        q.and_bind("c.service_id = {}", s);
    }
    if let Some(t) = &f.theme_code {
        q.and_bind("t.code = {}", t);
    }
    q
}

/// A theme as stored.
#[derive(sqlx::FromRow)]
struct ThemeStored {
    id: String,
    code: String,
    name: String,
    position: i64,
    in_training_analysis: i64,
}

/// A coded issue as stored.
#[derive(sqlx::FromRow)]
struct CodingStored {
    id: String,
    service_id: String,
    service_name: String,
    provider_id: String,
    provider_name: String,
    kind: String,
    theme_code: String,
    theme_name: String,
    report_date: String,
    issue: String,
    coded_by: String,
}

impl TryFrom<CodingStored> for Coding {
    type Error = StoreError;
    fn try_from(r: CodingStored) -> Result<Coding> {
        Ok(Coding {
            kind: crate::quality::decode_as("services", "kind", &r.kind, ServiceKind::parse)?,
            id: r.id,
            service_id: r.service_id,
            service_name: r.service_name,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            theme_code: r.theme_code,
            theme_name: r.theme_name,
            report_date: r.report_date,
            issue: r.issue,
            coded_by: r.coded_by,
        })
    }
}

/// An offer as stored, with its theme.
#[derive(sqlx::FromRow)]
struct OfferStored {
    id: String,
    theme_code: String,
    theme_name: String,
    offer: String,
    offered_by: Option<String>,
    status: String,
    notes: Option<String>,
    updated_at: String,
    version: i64,
}

impl TryFrom<OfferStored> for ThemeOffer {
    type Error = StoreError;
    fn try_from(r: OfferStored) -> Result<ThemeOffer> {
        let status: OfferStatus = StoreError::decode("theme_offers", "status", &r.status)?;
        Ok(ThemeOffer {
            status,
            status_label: status.label(),
            id: r.id,
            theme_code: r.theme_code,
            theme_name: r.theme_name,
            offer: r.offer,
            offered_by: r.offered_by,
            notes: r.notes,
            updated_at: r.updated_at,
            version: r.version,
        })
    }
}

fn opt(s: Option<&str>) -> Option<String> {
    s.map(caremarket_core::text::tidy).filter(|s| !s.is_empty())
}

/// A coding checked against the themes and today, ready to insert: (service id, theme id, date, issue).
struct Checked {
    service_id: String,
    service_name: String,
    theme_id: String,
    theme_code: String,
    report_date: Date,
    issue: String,
}

impl Store {
    /// The themes, in their own order (`004` §4.12).
    pub async fn cqc_themes(&self) -> Result<Vec<Theme>> {
        Ok(self.theme_rows().await?.into_iter().map(|(_, t)| t).collect())
    }

    async fn theme_rows(&self) -> Result<Vec<(String, Theme)>> {
        let rows: Vec<ThemeStored> =
            sqlx::query_as("SELECT id, code, name, position, in_training_analysis FROM cqc_themes WHERE active = 1 ORDER BY position")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let theme = Theme { code: r.code, name: r.name, position: r.position, in_training_analysis: r.in_training_analysis != 0 };
                (r.id, theme)
            })
            .collect())
    }

    /// `issue`: the number of the issue on a form coding several (its theme and text errors are
    /// keyed by core's `issue_field`); the service and report date are one for the whole report.
    async fn check_coding(&self, themes: &[(String, Theme)], c: &NewCoding, issue: Option<usize>, today: Date) -> Result<Checked> {
        let field = |f: &str| issue.map(|n| issue_field(n, f)).unwrap_or_else(|| f.to_string());
        let service = self
            .service(c.service_id.trim())
            .await
            .map_err(|_| StoreError::invalid("service_id", "Choose the service the report is about"))?;
        check_report_date(c.report_date, today)?;
        let plain: Vec<Theme> = themes.iter().map(|(_, t)| t.clone()).collect();
        let theme = core_themes::find_theme(&plain, &c.theme).ok_or_else(|| {
            StoreError::invalid(&field("theme"), format!("'{}' is not one of the themes: choose a theme from the list", c.theme.trim()))
        })?;
        let theme_id = themes.iter().find(|(_, t)| t.code == theme.code).map(|(id, _)| id.clone()).unwrap_or_default();
        let issue = core_themes::check_issue(&field("issue"), &c.issue)?;
        Ok(Checked {
            service_id: service.id,
            service_name: service.name,
            theme_id,
            theme_code: theme.code.clone(),
            report_date: c.report_date,
            issue,
        })
    }

    async fn insert_codings(&self, actor: &Actor, checked: &[Checked], how: &str) -> Result<Vec<String>> {
        let mut tx = self.begin_write().await?;
        let now = now_timestamp();
        let mut ids = Vec::new();
        for c in checked {
            let id = new_id();
            sqlx::query(
                "INSERT INTO theme_codings (id, service_id, theme_id, report_date, issue, coded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(&c.service_id)
            .bind(&c.theme_id)
            .bind(c.report_date.to_string())
            .bind(&c.issue)
            .bind(&actor.label)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            record(
                &mut tx,
                actor,
                "create",
                "theme_coding",
                Some(&id),
                &format!("Coded a CQC report issue of {} ({}) to {} ({how})", c.service_name, c.report_date, c.theme_code),
                None,
                Some(
                    &json!({"service_id": c.service_id, "theme": c.theme_code, "report_date": c.report_date.to_string(), "issue": c.issue}),
                ),
            )
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Code one issue from a CQC report to a theme.
    pub async fn code_theme_issue(&self, actor: &Actor, c: &NewCoding) -> Result<String> {
        let themes = self.theme_rows().await?;
        let checked = self.check_coding(&themes, c, None, crate::today()).await?;
        Ok(self.insert_codings(actor, &[checked], "form").await?.remove(0))
    }

    /// Code several issues at once (one report's issues from a form), all or nothing. A problem
    /// names the field with the row's number as suffix ("issue-3") so the form can point at it.
    pub async fn code_theme_issues(&self, actor: &Actor, rows: &[(usize, NewCoding)]) -> Result<Vec<String>> {
        if rows.is_empty() {
            return Err(StoreError::invalid(&issue_field(1, "issue"), "Enter at least one issue found in the report"));
        }
        let themes = self.theme_rows().await?;
        let today = crate::today();
        let mut checked = Vec::new();
        for (n, c) in rows {
            checked.push(self.check_coding(&themes, c, Some(*n), today).await?);
        }
        self.insert_codings(actor, &checked, "form").await
    }

    /// Code the rows of an uploaded CSV, all or nothing: `Ok(Err(problems))` lists every row's
    /// problems (row 2 is the first data row) and nothing is stored.
    pub async fn import_theme_codings(&self, actor: &Actor, rows: &[CodingRow]) -> Result<Result<usize, Vec<RowProblem>>> {
        let themes = self.theme_rows().await?;
        let today = crate::today();
        let mut problems = Vec::new();
        let mut checked = Vec::new();
        if rows.is_empty() {
            problems.push(RowProblem::new(1, "file", "has no rows of issues under the header"));
        }
        for (i, r) in rows.iter().enumerate() {
            let row = if r.row > 0 { r.row } else { i + 2 };
            let key = r.service.trim();
            let service_id = if key.is_empty() {
                None
            } else if let Some(s) = self.service_by_location_id(key).await? {
                Some(s.id)
            } else {
                self.service(key).await.ok().map(|s| s.id)
            };
            let Some(service_id) = service_id else {
                problems.push(RowProblem::new(
                    row,
                    "cqc_location_id",
                    format!("must be the CQC location id or service id of a service in the register; found '{key}'"),
                ));
                continue;
            };
            let date = match caremarket_core::parse_date("report_date", &r.report_date) {
                Ok(d) => d,
                Err(e) => {
                    problems.push(RowProblem::new(row, "report_date", e.message));
                    continue;
                }
            };
            let c = NewCoding { service_id, report_date: date, theme: r.theme.clone(), issue: r.issue.clone() };
            match self.check_coding(&themes, &c, None, today).await {
                Ok(ok) => checked.push(ok),
                Err(StoreError::Invalid(FieldError { field, message })) => problems.push(RowProblem::new(row, field, message)),
                Err(e) => return Err(e),
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let ids = self.insert_codings(actor, &checked, "CSV upload").await?;
        Ok(Ok(ids.len()))
    }

    pub async fn theme_coding(&self, id: &str) -> Result<Coding> {
        let r: CodingStored = sqlx::query_as(AssertSqlSafe(format!("{CODING_SELECT} WHERE c.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("theme coding {id}")))?;
        r.try_into()
    }

    /// Change a coded issue (service, date, theme or text).
    pub async fn update_theme_coding(&self, actor: &Actor, id: &str, c: &NewCoding) -> Result<()> {
        self.update_theme_coding_from(actor, id, c, None).await
    }

    /// Change a coded issue from its form, opened at `expected`: refused (`Stale`, nothing
    /// written) if another save came in between (decision 25).
    pub async fn update_theme_coding_at(
        &self,
        actor: &Actor,
        id: &str,
        c: &NewCoding,
        expected: caremarket_core::versions::Version,
    ) -> Result<()> {
        self.update_theme_coding_from(actor, id, c, Some(expected)).await
    }

    async fn update_theme_coding_from(
        &self,
        actor: &Actor,
        id: &str,
        c: &NewCoding,
        expected: Option<caremarket_core::versions::Version>,
    ) -> Result<()> {
        if let Some(expected) = expected {
            crate::versions::check_current(self.version_of(crate::versions::Versioned::ThemeCodings, id).await?, expected)?;
        }
        let before = self.theme_coding(id).await?;
        let themes = self.theme_rows().await?;
        let ch = self.check_coding(&themes, c, None, crate::today()).await?;
        let mut tx = self.begin_write().await?;
        // Saved from a form: only if still at the version it was opened at.
        let guard = if expected.is_some() { " AND version = $6" } else { "" };
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "UPDATE theme_codings SET service_id = $1, theme_id = $2, report_date = $3, issue = $4, version = version + 1 WHERE id = $5{guard}"
        )))
        .bind(&ch.service_id)
        .bind(&ch.theme_id)
        .bind(ch.report_date.to_string())
        .bind(&ch.issue)
        .bind(id);
        if let Some(v) = expected {
            q = q.bind(v.get());
        }
        let done = q.execute(&mut *tx).await?;
        crate::versions::saved(&mut tx, crate::versions::Versioned::ThemeCodings, id, done.rows_affected()).await?;
        record(
            &mut tx,
            actor,
            "update",
            "theme_coding",
            Some(id),
            &format!("Changed a coded CQC report issue of {}", ch.service_name),
            Some(&json!({"service_id": before.service_id, "theme": before.theme_code, "report_date": before.report_date, "issue": before.issue})),
            Some(&json!({"service_id": ch.service_id, "theme": ch.theme_code, "report_date": ch.report_date.to_string(), "issue": ch.issue})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_theme_coding(&self, actor: &Actor, id: &str) -> Result<()> {
        let before = self.theme_coding(id).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM theme_codings WHERE id = $1").bind(id).execute(&mut *tx).await?;
        record(
            &mut tx,
            actor,
            "delete",
            "theme_coding",
            Some(id),
            &format!("Deleted a coded CQC report issue of {}", before.service_name),
            Some(&json!({"service_id": before.service_id, "theme": before.theme_code, "report_date": before.report_date, "issue": before.issue})),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Coded issues matching the filter, newest report first.
    pub async fn theme_codings(&self, f: &ThemeFilter) -> Result<Vec<Coding>> {
        let mut q = coding_filter(format!("{CODING_SELECT} WHERE 1=1"), f);
        q.push(" ORDER BY c.report_date DESC, s.name, t.position, c.created_at, c.id");
        let rows: Vec<CodingStored> = q.query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(Coding::try_from).collect()
    }

    /// Offers for one theme, or every offer; withdrawn ones last.
    pub async fn theme_offers(&self, theme_code: Option<&str>) -> Result<Vec<ThemeOffer>> {
        let base = "SELECT o.id, t.code AS theme_code, t.name AS theme_name, o.offer, o.offered_by, o.status, o.notes, o.updated_at, CAST(o.version AS BIGINT) AS version
             FROM theme_offers o JOIN cqc_themes t ON t.id = o.theme_id";
        let order = format!(
            " ORDER BY t.position, CASE WHEN o.status IN {} THEN 1 ELSE 0 END, o.created_at, o.id",
            OfferStatus::sql_list([OfferStatus::Withdrawn])
        );
        let rows: Vec<OfferStored> = match theme_code {
            Some(c) => sqlx::query_as(AssertSqlSafe(format!("{base} WHERE t.code = $1{order}"))).bind(c).fetch_all(&self.pool).await?,
            None => sqlx::query_as(AssertSqlSafe(format!("{base}{order}"))).fetch_all(&self.pool).await?,
        };
        rows.into_iter().map(ThemeOffer::try_from).collect()
    }

    pub async fn theme_offer(&self, id: &str) -> Result<ThemeOffer> {
        let r: OfferStored = sqlx::query_as(
            "SELECT o.id, t.code AS theme_code, t.name AS theme_name, o.offer, o.offered_by, o.status, o.notes, o.updated_at, CAST(o.version AS BIGINT) AS version
             FROM theme_offers o JOIN cqc_themes t ON t.id = o.theme_id WHERE o.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("theme offer {id}")))?;
        r.try_into()
    }

    /// Map a training or support offer to a theme.
    pub async fn add_theme_offer(&self, actor: &Actor, theme_code: &str, o: &NewOffer) -> Result<String> {
        let (theme_id, theme_name): (String, String) = sqlx::query("SELECT id, name FROM cqc_themes WHERE code = $1")
            .bind(theme_code)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("name")?)))
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("theme {theme_code}")))?;
        let (text, status) = check_offer(&o.offer, &o.status)?;
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO theme_offers (id, theme_id, offer, offered_by, status, notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&id)
        .bind(&theme_id)
        .bind(&text)
        .bind(opt(o.offered_by.as_deref()))
        .bind(status.as_str())
        .bind(opt(o.notes.as_deref()))
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "theme_offer",
            Some(&id),
            &format!("Added a support offer for {theme_name} ({})", status.label()),
            None,
            Some(&json!({"theme": theme_code, "offer": text, "offered_by": opt(o.offered_by.as_deref()), "status": status.as_str(), "notes": opt(o.notes.as_deref())})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Change an offer's text, provider, status or notes (withdrawing is a status).
    pub async fn update_theme_offer(&self, actor: &Actor, id: &str, o: &NewOffer) -> Result<()> {
        self.write_theme_offer(actor, id, o, None).await
    }

    /// As [`Store::update_theme_offer`], from the row's form opened at `expected`: refused
    /// `Stale`, with nothing written, if the offer was changed or withdrawn since (decision 25).
    pub async fn update_theme_offer_at(
        &self,
        actor: &Actor,
        id: &str,
        o: &NewOffer,
        expected: caremarket_core::versions::Version,
    ) -> Result<()> {
        self.write_theme_offer(actor, id, o, Some(expected)).await
    }

    async fn write_theme_offer(
        &self,
        actor: &Actor,
        id: &str,
        o: &NewOffer,
        expected: Option<caremarket_core::versions::Version>,
    ) -> Result<()> {
        use crate::versions::{Versioned, check_current, saved};
        if let Some(expected) = expected {
            check_current(self.version_of(Versioned::ThemeOffers, id).await?, expected)?;
        }
        let before = self.theme_offer(id).await?;
        let (text, status) = check_offer(&o.offer, &o.status)?;
        let mut tx = self.begin_write().await?;
        let guard = if expected.is_some() { " AND version = $7" } else { "" };
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "UPDATE theme_offers SET offer = $1, offered_by = $2, status = $3, notes = $4, updated_at = $5, version = version + 1
             WHERE id = $6{guard}"
        )))
        .bind(&text)
        .bind(opt(o.offered_by.as_deref()))
        .bind(status.as_str())
        .bind(opt(o.notes.as_deref()))
        .bind(now_timestamp())
        .bind(id);
        if let Some(v) = expected {
            q = q.bind(v.get());
        }
        let done = q.execute(&mut *tx).await?;
        saved(&mut tx, Versioned::ThemeOffers, id, done.rows_affected()).await?;
        record(
            &mut tx,
            actor,
            "update",
            "theme_offer",
            Some(id),
            &format!("Changed a support offer for {} ({})", before.theme_name, status.label()),
            Some(&json!({"offer": before.offer, "offered_by": before.offered_by, "status": before.status.as_str(), "notes": before.notes})),
            Some(&json!({"offer": text, "offered_by": opt(o.offered_by.as_deref()), "status": status.as_str(), "notes": opt(o.notes.as_deref())})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Withdraw an offer: it stays on record but no longer counts. A single state change that
    /// keeps the offer's words as they are now, so it carries no version; it raises the offer's,
    /// so a change form opened before it is refused.
    pub async fn withdraw_theme_offer(&self, actor: &Actor, id: &str) -> Result<()> {
        let o = self.theme_offer(id).await?;
        self.update_theme_offer(
            actor,
            id,
            &NewOffer { offer: o.offer, offered_by: o.offered_by, status: OfferStatus::Withdrawn.as_str().into(), notes: o.notes },
        )
        .await
    }

    /// Figures per theme for the codings matching the filter, most issues first, with totals.
    pub async fn theme_counts(&self, f: &ThemeFilter) -> Result<(Vec<ThemeCount>, ThemeTotals)> {
        let themes = self.cqc_themes().await?;
        let issues = self.coded_issues(f).await?;
        let offers: Vec<(String, OfferStatus)> = self.theme_offers(None).await?.into_iter().map(|o| (o.theme_code, o.status)).collect();
        let counts = core_themes::theme_counts(&themes, &issues, &offers);
        let totals = core_themes::totals(&issues, &counts);
        Ok((counts, totals))
    }

    /// Issues per theme for each service with codings matching the filter, most issues first.
    pub async fn theme_counts_by_service(&self, f: &ThemeFilter) -> Result<Vec<ServiceThemeRow>> {
        let codings = self.theme_codings(f).await?;
        let issues: Vec<CodedIssue> = codings
            .iter()
            .map(|c| CodedIssue { theme_code: c.theme_code.clone(), service_id: c.service_id.clone(), report_date: c.report_date.clone() })
            .collect();
        Ok(core_themes::counts_by_service(&issues)
            .into_iter()
            .map(|counts| {
                let c = codings.iter().find(|c| c.service_id == counts.service_id);
                ServiceThemeRow {
                    service_id: counts.service_id.clone(),
                    service_name: c.map(|c| c.service_name.clone()).unwrap_or_default(),
                    provider_name: c.map(|c| c.provider_name.clone()).unwrap_or_default(),
                    counts,
                }
            })
            .collect())
    }

    /// The codings [`Store::theme_codings`] lists for the filter, reduced to what the counts read
    /// (theme, service, report date): the same rows, without the issue's text, the names or an
    /// order, which the quality dashboard's counts (on every request) do not need.
    async fn coded_issues(&self, f: &ThemeFilter) -> Result<Vec<CodedIssue>> {
        let rows: Vec<(String, String, String)> = coding_filter(CODED_ISSUE_SELECT.to_string(), f).query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(theme_code, service_id, report_date)| CodedIssue { theme_code, service_id, report_date }).collect())
    }
}
