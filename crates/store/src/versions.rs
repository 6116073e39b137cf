//! Lost updates (decision 25): a save names the version it was made from, and the row is
//! changed only if it is still at that version, in the same statement that raises it. A save
//! that changes no row therefore lost the race, and nothing else in its transaction may land.

use crate::{Result, Store, StoreError};
use caremarket_core::versions::Version;
use serde::Serialize;
use sqlx::{Any, AssertSqlSafe, Transaction};

/// The tables whose rows carry a version. A closed list, so that the table name can be put into
/// SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioned {
    Services,
    Providers,
    QaStandards,
    QualityVisits,
    PaEntries,
    Frameworks,
    QualityActions,
    /// The officer's internal note on a quality action: versioned apart from the action's
    /// status, which the provider changes and must not be refused for a note it never sees.
    QualityActionNotes,
    Committees,
    ScrutinyReviews,
    ScrutinyRecommendations,
    ScrutinyActions,
    DeliveryPlans,
    CommitteeMeetings,
    CommitteeItems,
    AppraisalOptions,
    AssessmentClaims,
    AssessmentEvidence,
    DirectPayments,
    /// Keyed by `key`, not `id` (see [`Versioned::key_column`]).
    Settings,
    /// Keyed by `code`.
    BudgetCostCentres,
    FeeRequests,
    /// An outcome claim (its decision) and a cohort member (their leaving).
    OcClaims,
    OcMembers,
    /// A person on an exit plan, quality's or the RPL's.
    ExitPlanItems,
    /// An officer's own approval limits, keyed by `user_id`.
    ApprovalLimits,
    /// A quality cadence rule.
    CadenceRules,
    /// A coded issue of a CQC report.
    ThemeCodings,
    /// A training or support offer of a CQC report theme.
    ThemeOffers,
}

impl Versioned {
    fn table(self) -> &'static str {
        match self {
            Versioned::Services => "services",
            Versioned::Providers => "providers",
            Versioned::QaStandards => "qa_standards",
            Versioned::QualityVisits => "quality_visits",
            Versioned::PaEntries => "pa_entries",
            Versioned::Frameworks => "frameworks",
            Versioned::QualityActions => "quality_actions",
            Versioned::QualityActionNotes => "quality_actions",
            Versioned::Committees => "committees",
            Versioned::ScrutinyReviews => "scrutiny_reviews",
            Versioned::ScrutinyRecommendations => "scrutiny_recommendations",
            Versioned::ScrutinyActions => "scrutiny_actions",
            Versioned::DeliveryPlans => "delivery_plans",
            Versioned::CommitteeMeetings => "committee_meetings",
            Versioned::CommitteeItems => "committee_items",
            Versioned::AppraisalOptions => "appraisal_options",
            Versioned::AssessmentClaims => "assessment_claims",
            Versioned::AssessmentEvidence => "assessment_evidence",
            Versioned::DirectPayments => "direct_payments",
            Versioned::Settings => "settings",
            Versioned::BudgetCostCentres => "budget_cost_centres",
            Versioned::FeeRequests => "fee_requests",
            Versioned::OcClaims => "oc_claims",
            Versioned::OcMembers => "oc_members",
            Versioned::ExitPlanItems => "exit_plan_items",
            Versioned::ApprovalLimits => "approval_limits",
            Versioned::CadenceRules => "cadence_rules",
            Versioned::ThemeCodings => "theme_codings",
            Versioned::ThemeOffers => "theme_offers",
        }
    }

    /// The column holding the version: `version`, except where one row has two parts saved
    /// apart.
    fn column(self) -> &'static str {
        match self {
            Versioned::QualityActionNotes => "note_version",
            _ => "version",
        }
    }

    /// The column that names one row: `id`, except for settings, named by their `key`.
    fn key_column(self) -> &'static str {
        match self {
            Versioned::Settings => "key",
            Versioned::BudgetCostCentres => "code",
            Versioned::ApprovalLimits => "user_id",
            _ => "id",
        }
    }
}

/// Refuse early, before any checks that read other tables, when the record read before the
/// save is already newer than the form.
pub(crate) fn check_current(current: i64, expected: Version) -> Result<()> {
    if current == expected.get() { Ok(()) } else { Err(StoreError::Stale { current }) }
}

/// After `UPDATE ... SET ..., version = version + 1 WHERE id = ? AND version = ?`: no row changed
/// means the record has moved on (Stale, with its version now) or is gone (NotFound). The caller
/// returns the error, dropping the transaction, so the audit row is not written either.
pub(crate) async fn saved(tx: &mut Transaction<'_, Any>, t: Versioned, id: &str, rows_affected: u64) -> Result<()> {
    if rows_affected > 0 {
        return Ok(());
    }
    let current: Option<i64> =
        sqlx::query_scalar(AssertSqlSafe(format!("SELECT {} FROM {} WHERE {} = $1", t.column(), t.table(), t.key_column())))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    match current {
        Some(current) => Err(StoreError::Stale { current }),
        None => Err(StoreError::NotFound(format!("{} {id}", t.table()))),
    }
}

/// Records that a form creates, replaces or clears as a whole, whose row may not exist: their
/// version is kept by kind and key in `keyed_versions`, where it outlives the row (migration
/// 0042). A key never saved is at version 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyed {
    /// A spend supplier's match to a provider, by supplier key.
    SpendSupplier,
    /// A service's quality officer and team, by service id.
    QualityAssignment,
    /// A single sign-on group's role, by group name.
    SignInGroup,
}

impl Keyed {
    fn kind(self) -> &'static str {
        match self {
            Keyed::SpendSupplier => "spend_supplier",
            Keyed::QualityAssignment => "quality_assignment",
            Keyed::SignInGroup => "sign_in_group",
        }
    }
}

/// How a keyed record is saved: replaced outright (imports, the demo, configuration), added
/// only where there is none yet (a blank form, which cannot know which record it will name), or
/// changed from the record's own form opened at a version.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KeyedSave {
    Replace,
    AddOnly,
    At(Version),
}

impl KeyedSave {
    /// The version a save must find, if any.
    pub(crate) fn expected(self) -> Option<Version> {
        match self {
            KeyedSave::At(v) => Some(v),
            _ => None,
        }
    }
}

async fn keyed_now(tx: &mut Transaction<'_, Any>, k: Keyed, key: &str) -> Result<i64> {
    let v: Option<i64> = sqlx::query_scalar("SELECT CAST(version AS BIGINT) FROM keyed_versions WHERE kind = $1 AND key = $2")
        .bind(k.kind())
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(v.unwrap_or(1))
}

/// Raise a keyed record's version inside the transaction that changes it. Done first in that
/// transaction: the row it writes is locked until the transaction ends, so two saves of one key
/// are taken one after the other, and what the second reads next is what the first left. From a form
/// (`Some(expected)`) only if it is still at that version, else `Stale` and the caller drops the
/// transaction; without one (an import, a bulk assignment, a removal) whatever it is at, so that
/// forms opened before are refused.
pub(crate) async fn raise_keyed(tx: &mut Transaction<'_, Any>, k: Keyed, key: &str, expected: Option<Version>) -> Result<()> {
    let done = match expected {
        // A first save from version 1 inserts; if another landed first, the guard finds 2.
        Some(v) if v.get() == 1 => {
            sqlx::query(
                "INSERT INTO keyed_versions (kind, key, version) VALUES ($1, $2, 2)
                 ON CONFLICT (kind, key) DO UPDATE SET version = keyed_versions.version + 1 WHERE keyed_versions.version = 1",
            )
            .bind(k.kind())
            .bind(key)
            .execute(&mut **tx)
            .await?
        }
        Some(v) => {
            sqlx::query("UPDATE keyed_versions SET version = version + 1 WHERE kind = $1 AND key = $2 AND version = $3")
                .bind(k.kind())
                .bind(key)
                .bind(v.get())
                .execute(&mut **tx)
                .await?
        }
        None => {
            sqlx::query(
                "INSERT INTO keyed_versions (kind, key, version) VALUES ($1, $2, 2)
                 ON CONFLICT (kind, key) DO UPDATE SET version = keyed_versions.version + 1",
            )
            .bind(k.kind())
            .bind(key)
            .execute(&mut **tx)
            .await?
        }
    };
    if done.rows_affected() == 0 {
        return Err(StoreError::Stale { current: keyed_now(tx, k, key).await? });
    }
    Ok(())
}

/// Raise each key's version, whatever it is at (a bulk assignment): as [`raise_keyed`] without a
/// form's version, in as few statements as the parameter limit allows.
pub(crate) async fn raise_keyed_all(tx: &mut Transaction<'_, Any>, k: Keyed, keys: &[&str]) -> Result<()> {
    let rows = keys.iter().map(|key| vec![k.kind().into(), (*key).into(), 2i64.into()]).collect();
    crate::bulk::insert_rows_with(
        tx,
        "keyed_versions",
        &["kind", "key", "version"],
        rows,
        " ON CONFLICT (kind, key) DO UPDATE SET version = keyed_versions.version + 1",
    )
    .await
}

/// Who last changed a record and when, from the audit log: the person's name where the change
/// was made by an account, else the label the change was recorded with (an import, the demo).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LastChange {
    pub by: String,
    pub at: String,
}

impl Store {
    /// The version a record is at now, for a form to carry (records whose type does not carry
    /// it as a field).
    pub async fn version_of(&self, t: Versioned, id: &str) -> Result<i64> {
        let v: Option<i64> =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT {} FROM {} WHERE {} = $1", t.column(), t.table(), t.key_column())))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        v.ok_or_else(|| StoreError::NotFound(format!("{} {id}", t.table())))
    }

    /// The version a keyed record is at now (1 if never saved), for its form to carry.
    pub async fn keyed_version(&self, k: Keyed, key: &str) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT CAST(version AS BIGINT) FROM keyed_versions WHERE kind = $1 AND key = $2")
            .bind(k.kind())
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.unwrap_or(1))
    }

    pub async fn last_change(&self, entity_type: &str, entity_id: &str) -> Result<Option<LastChange>> {
        let row: Option<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT a.actor_label, u.display_name, a.at FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
             WHERE a.entity_type = $1 AND a.entity_id = $2 ORDER BY a.at DESC, a.id DESC LIMIT 1",
        )
        .bind(entity_type)
        .bind(entity_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(label, name, at)| LastChange { by: name.filter(|n| !n.trim().is_empty()).unwrap_or(label), at }))
    }
}
