//! PA checks before listing (issue 16 item 17): the DBS check, references and training an
//! officer records for a PA, the council's rules (settings and the `pa_training_courses` list),
//! and the PAs listed on a date. Whether a PA is listed is core's
//! `pa_checks::listable`; this module loads the facts it needs.

use super::{PaEntry, date, date_opt};
use crate::audit::{Actor, record};
use crate::versions::{Versioned, check_current, saved};
use crate::{Result, Store, StoreError, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::pa_checks::{self, CheckLine, CheckRules, CourseRule, DbsCheck, PaChecks, Reference, Training};
use caremarket_core::direct_payments::pa_register::{self, PaKind, PaStatus, Profile};
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

/// A listed PA with the required checks that have ended or end soon.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiringChecks {
    pub entry: PaEntry,
    /// Earliest first.
    pub lines: Vec<CheckLine>,
}

#[derive(sqlx::FromRow)]
struct DbsRow {
    entry_id: String,
    dbs_type: String,
    certificate_number: Option<String>,
    issued_on: Option<String>,
    update_service: i64,
}

#[derive(sqlx::FromRow)]
struct ReferenceRow {
    entry_id: String,
    position: i64,
    relationship: Option<String>,
    received_on: Option<String>,
    checked_on: Option<String>,
    checked_by: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TrainingRow {
    entry_id: String,
    course: String,
    completed_on: String,
}

type ChecksById = HashMap<String, PaChecks>;

impl Store {
    /// The council's required checks: the settings `pa_checks_dbs_type`,
    /// `pa_checks_dbs_valid_months` (0: no expiry), `pa_checks_update_service_keeps_current`
    /// ("1" or "0") and `pa_checks_references`, and the course list, each falling back to
    /// core's default when unset or unreadable.
    pub async fn pa_check_rules(&self) -> Result<CheckRules> {
        let d = CheckRules::default();
        let dbs_type = self.setting("pa_checks_dbs_type").await?.and_then(|s| s.trim().parse().ok()).unwrap_or(d.dbs_type);
        let dbs_valid_months = match self.setting("pa_checks_dbs_valid_months").await?.and_then(|s| s.trim().parse::<i32>().ok()) {
            Some(0) => None,
            Some(m) if m > 0 => Some(m),
            _ => d.dbs_valid_months,
        };
        let update_service_keeps_current = self
            .setting("pa_checks_update_service_keeps_current")
            .await?
            .map(|s| s.trim() != "0")
            .unwrap_or(d.update_service_keeps_current);
        let references = self
            .setting("pa_checks_references")
            .await?
            .and_then(|s| s.trim().parse::<u8>().ok())
            .filter(|n| *n <= 5)
            .unwrap_or(d.references);
        let rows: Vec<(String, String, i64, Option<i64>)> =
            sqlx::query_as("SELECT code, label, required, valid_months FROM pa_training_courses ORDER BY position, code")
                .fetch_all(&self.pool)
                .await?;
        let courses = rows
            .into_iter()
            .map(|(code, label, required, months)| CourseRule {
                code,
                label,
                required: required != 0,
                valid_months: months.and_then(|m| i32::try_from(m).ok()).filter(|m| *m > 0),
            })
            .collect();
        Ok(CheckRules { dbs_type, dbs_valid_months, update_service_keeps_current, references, courses })
    }

    /// The checks recorded for one entry.
    pub async fn pa_checks(&self, entry_id: &str) -> Result<PaChecks> {
        Ok(self.checks_where(Some(entry_id)).await?.remove(entry_id).unwrap_or_default())
    }

    /// Checks by entry: of one entry, or of every entry.
    async fn checks_where(&self, entry_id: Option<&str>) -> Result<ChecksById> {
        let filter = if entry_id.is_some() { " WHERE entry_id = $1" } else { "" };
        let q = |sql: &str| format!("{sql}{filter}");
        let dbs: Vec<DbsRow> = {
            let sql = q("SELECT entry_id, dbs_type, certificate_number, issued_on, update_service FROM pa_dbs_checks");
            let query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            match entry_id {
                Some(id) => query.bind(id.to_string()).fetch_all(&self.pool).await?,
                None => query.fetch_all(&self.pool).await?,
            }
        };
        let refs: Vec<ReferenceRow> = {
            let sql = q("SELECT entry_id, position, relationship, received_on, checked_on, checked_by FROM pa_references")
                + " ORDER BY entry_id, position";
            let query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            match entry_id {
                Some(id) => query.bind(id.to_string()).fetch_all(&self.pool).await?,
                None => query.fetch_all(&self.pool).await?,
            }
        };
        let training: Vec<TrainingRow> = {
            let sql = q("SELECT entry_id, course, completed_on FROM pa_training") + " ORDER BY entry_id, course";
            let query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            match entry_id {
                Some(id) => query.bind(id.to_string()).fetch_all(&self.pool).await?,
                None => query.fetch_all(&self.pool).await?,
            }
        };
        let mut by: ChecksById = HashMap::new();
        for r in dbs {
            by.entry(r.entry_id).or_default().dbs = Some(DbsCheck {
                dbs_type: StoreError::decode("pa_dbs_checks", "dbs_type", &r.dbs_type)?,
                certificate_number: r.certificate_number,
                issued_on: date_opt("pa_dbs_checks", "issued_on", r.issued_on.as_deref())?,
                update_service: r.update_service != 0,
            });
        }
        for r in refs {
            let list = &mut by.entry(r.entry_id).or_default().references;
            // Positions are 1, 2, ...: a gap is kept as an empty reference.
            let at = usize::try_from(r.position.max(1) - 1).unwrap_or(0);
            while list.len() < at {
                list.push(Reference::default());
            }
            list.push(Reference {
                relationship: r.relationship,
                received_on: date_opt("pa_references", "received_on", r.received_on.as_deref())?,
                checked_on: date_opt("pa_references", "checked_on", r.checked_on.as_deref())?,
                checked_by: r.checked_by,
            });
        }
        for r in training {
            by.entry(r.entry_id)
                .or_default()
                .training
                .push(Training { course: r.course, completed_on: date("pa_training", "completed_on", &r.completed_on)? });
        }
        Ok(by)
    }

    /// Record a PA's checks as a whole (what the checks form shows), made from `expected`.
    pub async fn save_pa_checks(&self, actor: &Actor, id: &str, checks: &PaChecks, expected: Version) -> Result<()> {
        let entry = self.pa_entry(id).await?;
        if entry.kind != PaKind::Pa {
            return Err(StoreError::invalid("checks", "Checks are recorded for personal assistants, not employers"));
        }
        check_current(entry.version, expected)?;
        let before = self.pa_checks(id).await?;
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query("UPDATE pa_entries SET version = version + 1 WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(expected.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        saved(&mut tx, Versioned::PaEntries, id, changed).await?;
        for table in ["pa_dbs_checks", "pa_references", "pa_training"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE entry_id = $1"))).bind(id).execute(&mut *tx).await?;
        }
        if let Some(d) = &checks.dbs {
            sqlx::query(
                "INSERT INTO pa_dbs_checks (entry_id, dbs_type, certificate_number, issued_on, update_service, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(d.dbs_type.as_str())
            .bind(d.certificate_number.clone())
            .bind(d.issued_on.map(|d| d.to_string()))
            .bind(i64::from(d.update_service))
            .bind(&actor.label)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        for (i, r) in checks.references.iter().enumerate() {
            sqlx::query(
                "INSERT INTO pa_references (entry_id, position, relationship, received_on, checked_on, checked_by) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(i64::try_from(i + 1).unwrap_or(i64::MAX))
            .bind(r.relationship.clone())
            .bind(r.received_on.map(|d| d.to_string()))
            .bind(r.checked_on.map(|d| d.to_string()))
            .bind(r.checked_by.clone())
            .execute(&mut *tx)
            .await?;
        }
        // One completion per course: the latest.
        let mut latest: Vec<&Training> = Vec::new();
        for t in &checks.training {
            match latest.iter_mut().find(|l| l.course == t.course) {
                Some(l) if l.completed_on < t.completed_on => *l = t,
                Some(_) => {}
                None => latest.push(t),
            }
        }
        for t in latest {
            sqlx::query("INSERT INTO pa_training (entry_id, course, completed_on) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(&t.course)
                .bind(t.completed_on.to_string())
                .execute(&mut *tx)
                .await?;
        }
        // The certificate number is the PA's own identifier: the audit says whether one is held.
        let summary = |c: &PaChecks| {
            json!({
                "dbs": c.dbs.as_ref().map(|d| json!({"type": d.dbs_type, "number_held": d.certificate_number.is_some(), "issued_on": d.issued_on, "update_service": d.update_service})),
                "references": c.references.iter().map(|r| json!({"relationship": r.relationship, "received_on": r.received_on, "checked_on": r.checked_on})).collect::<Vec<_>>(),
                "training": c.training.iter().map(|t| json!({"course": t.course, "completed_on": t.completed_on})).collect::<Vec<_>>(),
            })
        };
        record(&mut tx, actor, "update", "pa_entry", Some(id), "Recorded a PA's checks", Some(&summary(&before)), Some(&summary(checks)))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Approved PAs whose required checks are complete and in date on `on`.
    pub async fn pa_listed(&self, on: Date) -> Result<Vec<PaEntry>> {
        let rules = self.pa_check_rules().await?;
        let mut checks = self.checks_where(None).await?;
        let pas = self.pa_entries(Some(PaKind::Pa), PaStatus::Approved).await?;
        Ok(pas.into_iter().filter(|p| pa_checks::listable(&checks.remove(&p.id).unwrap_or_default(), &rules, on)).collect())
    }

    /// PAs listed on `on` ranked by fit for `wanted`, best first, with the reasons.
    pub async fn pa_search_on(&self, wanted: &Profile, on: Date) -> Result<Vec<(PaEntry, pa_register::Match)>> {
        let pas = self.pa_listed(on).await?;
        Ok(pa_register::rank(wanted, pas, PaEntry::profile, |p| p.display_name.as_str()))
    }

    /// Approved PAs with a required check that has ended, or ends within 30 days of `on`,
    /// soonest first: the DP officer's work list.
    pub async fn pa_checks_expiring(&self, on: Date) -> Result<Vec<ExpiringChecks>> {
        let rules = self.pa_check_rules().await?;
        let mut checks = self.checks_where(None).await?;
        let pas = self.pa_entries(Some(PaKind::Pa), PaStatus::Approved).await?;
        let mut v: Vec<ExpiringChecks> = pas
            .into_iter()
            .filter_map(|p| {
                let lines = pa_checks::expiring(&checks.remove(&p.id).unwrap_or_default(), &rules, on);
                (!lines.is_empty()).then_some(ExpiringChecks { entry: p, lines })
            })
            .collect();
        v.sort_by(|a, b| {
            a.lines[0].state.ends_on().cmp(&b.lines[0].state.ends_on()).then_with(|| a.entry.display_name.cmp(&b.entry.display_name))
        });
        Ok(v)
    }
}
