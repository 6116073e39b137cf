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
