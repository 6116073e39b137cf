//! The council's own reference lists (service areas, closure reasons) and the settings the DP
//! figures and monitoring use.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError};
use caremarket_core::direct_payments::monitoring::Policy;
use caremarket_core::direct_payments::reference::{self, ReferenceEntry};
use serde_json::json;

const CONTINGENCY_WEEKS: &str = "dp_contingency_weeks";
const LONG_TERM_SUPPORT: &str = "dp_long_term_support";
/// The settings the reclaim settings form saves together, each with its own version.
pub const RECLAIM_SETTINGS: [&str; 2] = [CONTINGENCY_WEEKS, LONG_TERM_SUPPORT];

#[derive(sqlx::FromRow)]
struct ReferenceRow {
    code: String,
    label: String,
}

impl Store {
    /// A reference list ("service_area", "closure_reason"): active (code, label), in order.
    pub async fn dp_reference(&self, list: &str) -> Result<Vec<(String, String)>> {
        let rows: Vec<ReferenceRow> =
            sqlx::query_as("SELECT code, label FROM dp_reference WHERE list = $1 AND active = 1 ORDER BY position, code")
                .bind(list)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|r| (r.code, r.label)).collect())
    }

    /// Add or rename an entry of a reference list (councils' own closure reasons).
    pub async fn set_dp_reference(&self, actor: &Actor, list: &str, code: &str, label: &str) -> Result<()> {
        let e = ReferenceEntry::parse(list, code, label)?;
        let mut tx = self.begin_write().await?;
        let pos: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM dp_reference WHERE list = $1")
            .bind(&e.list)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO dp_reference (list, code, label, position, active) VALUES ($1, $2, $3, $4, 1)
             ON CONFLICT (list, code) DO UPDATE SET label = excluded.label, active = 1, version = dp_reference.version + 1",
        )
        .bind(&e.list)
        .bind(&e.code)
        .bind(&e.label)
        .bind(pos)
        .execute(&mut *tx)
        .await?;
        let summary = format!("Set {} '{}'", e.list, e.label);
        record(&mut tx, actor, "update", "dp_reference", Some(&format!("{}/{}", e.list, e.code)), &summary, None, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Rename an entry from its row of the lists page, opened at `expected` (decision 25): the
    /// code stays, so every record that has it shows the new name. Refused `Stale`, with nothing
    /// written, if the entry was renamed, retired or offered again since.
    pub async fn rename_dp_reference_at(
        &self,
        actor: &Actor,
        list: &str,
        code: &str,
        label: &str,
        expected: caremarket_core::versions::Version,
    ) -> Result<()> {
        let e = ReferenceEntry::parse(list, code, label)?;
        let id = format!("{}/{}", e.list, e.code);
        let mut tx = self.begin_write().await?;
        let before: Option<(String, i64)> =
            sqlx::query_as("SELECT label, CAST(version AS BIGINT) FROM dp_reference WHERE list = $1 AND code = $2")
                .bind(&e.list)
                .bind(&e.code)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((before, current)) = before else { return Err(StoreError::NotFound(format!("{list} entry {code}"))) };
        crate::versions::check_current(current, expected)?;
        let changed =
            sqlx::query("UPDATE dp_reference SET label = $1, version = version + 1 WHERE list = $2 AND code = $3 AND version = $4")
                .bind(&e.label)
                .bind(&e.list)
                .bind(&e.code)
                .bind(expected.get())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if changed == 0 {
            return Err(StoreError::Stale { current: self.dp_reference_version(&e.list, &e.code).await? });
        }
        let summary = format!("Renamed {} '{before}' to '{}'", e.list, e.label);
        record(
            &mut tx,
            actor,
            "update",
            "dp_reference",
            Some(&id),
            &summary,
            Some(&json!({"label": before})),
            Some(&json!({"label": e.label})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The version an entry is at, for its rename form.
    pub async fn dp_reference_version(&self, list: &str, code: &str) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT CAST(version AS BIGINT) FROM dp_reference WHERE list = $1 AND code = $2")
            .bind(list)
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        v.ok_or_else(|| StoreError::NotFound(format!("{list} entry {code}")))
    }

    /// Each entry's (code, version), for the lists page's rename forms.
    pub async fn dp_reference_versions(&self, list: &str) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT code, CAST(version AS BIGINT) FROM dp_reference WHERE list = $1")
            .bind(list)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Every entry of a reference list, retired ones too (their labels still name the records
    /// that have them): (code, label, in use), in the list's order.
    pub async fn dp_reference_entries(&self, list: &str) -> Result<Vec<(String, String, bool)>> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT code, label, CAST(active AS BIGINT) FROM dp_reference WHERE list = $1 ORDER BY position, code")
                .bind(list)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(c, l, a)| (c, l, a != 0)).collect())
    }

    /// Every entry's (code, label), retired ones too: what records and figures are labelled by.
    pub async fn dp_reference_labels(&self, list: &str) -> Result<Vec<(String, String)>> {
        Ok(self.dp_reference_entries(list).await?.into_iter().map(|(c, l, _)| (c, l)).collect())
    }

    /// Stop offering an entry (a closure reason the council no longer uses). Records keep it;
    /// adding an entry of the same name offers it again. Audited.
    pub async fn retire_dp_reference(&self, actor: &Actor, list: &str, code: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let entries: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT code, label, CAST(active AS BIGINT) FROM dp_reference WHERE list = $1")
                .bind(list)
                .fetch_all(&mut *tx)
                .await?;
        let Some((_, label, _)) = entries.iter().find(|(c, _, a)| c == code && *a != 0) else {
            return Err(StoreError::NotFound(format!("{list} entry {code}")));
        };
        reference::can_retire(entries.iter().filter(|(_, _, a)| *a != 0).count(), label).map_err(caremarket_core::FieldErrors::from)?;
        sqlx::query("UPDATE dp_reference SET active = 0, version = version + 1 WHERE list = $1 AND code = $2")
            .bind(list)
            .bind(code)
            .execute(&mut *tx)
            .await?;
        let summary = format!("Retired {list} '{label}'");
        record(&mut tx, actor, "retire", "dp_reference", Some(&format!("{list}/{code}")), &summary, None, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The codes of a reference list in use.
    pub(crate) async fn dp_codes(&self, list: &str) -> Result<Vec<String>> {
        Ok(self.dp_reference(list).await?.into_iter().map(|(c, _)| c).collect())
    }

    /// A whole-number setting, decoded loudly.
    async fn int_setting(&self, key: &'static str) -> Result<Option<i64>> {
        self.setting(key).await?.map(|s| StoreError::decode("settings", key, &s)).transpose()
    }

    /// The monitoring policy: defaults, with the contingency weeks from the setting
    /// `dp_contingency_weeks` when set.
    pub async fn dp_policy(&self) -> Result<Policy> {
        let mut p = Policy::default();
        if let Some(w) = self.int_setting(CONTINGENCY_WEEKS).await? {
            p.contingency_weeks = w;
        }
        Ok(p)
    }

    pub async fn set_dp_contingency_weeks(&self, actor: &Actor, weeks: i64) -> Result<()> {
        let weeks = reference::contingency_weeks(weeks)?;
        self.set_setting_by(actor, CONTINGENCY_WEEKS, &weeks.to_string()).await
    }

    /// The reclaim settings form: the contingency weeks and, when given, people on long-term
    /// support, from the versions the form was opened at ([`RECLAIM_SETTINGS`]' order); both or
    /// neither are saved.
    pub async fn set_dp_reclaim_settings_at(
        &self,
        actor: &Actor,
        weeks: i64,
        long_term_support: Option<i64>,
        expected: [caremarket_core::versions::Version; 2],
    ) -> Result<()> {
        let weeks = reference::contingency_weeks(weeks)?;
        let mut saves = vec![crate::SettingSave { key: CONTINGENCY_WEEKS, value: weeks.to_string(), expected: expected[0] }];
        if let Some(n) = long_term_support {
            let n = reference::long_term_support(n)?;
            saves.push(crate::SettingSave { key: LONG_TERM_SUPPORT, value: n.to_string(), expected: expected[1] });
        }
        self.set_settings_at(actor, &saves).await
    }

    /// People receiving long-term support (from the council's returns): the denominator of the
    /// "% of people on long-term support" figure.
    pub async fn long_term_support(&self) -> Result<Option<i64>> {
        self.int_setting(LONG_TERM_SUPPORT).await
    }

    pub async fn set_long_term_support(&self, actor: &Actor, n: i64) -> Result<()> {
        let n = reference::long_term_support(n)?;
        self.set_setting_by(actor, LONG_TERM_SUPPORT, &n.to_string()).await
    }
}
