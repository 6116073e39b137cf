//! The CQC local authority assessment self-assessment: its quality statements (copied from the
//! embedded framework file when it is created), claims per statement with their citations, and
//! the evidence library. The checks are `caremarket_core::governance::self_assessment::check`.

use crate::audit::record;
use crate::versions::{Versioned, check_current, saved};
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::governance::self_assessment::{Claim, ClaimKind, Evidence, NewClaim, NewEvidence, QualityStatement, reference_order};
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Transaction};

/// The four themes and nine quality statements of CQC's local authority assessment
/// (`data/governance/README.md` gives the source and licence).
const STATEMENTS_FILE: &str = include_str!("../../../../data/governance/cqc_la_quality_statements.csv");

/// The framework's statements, from the embedded file.
pub fn cqc_la_quality_statements() -> Result<Vec<QualityStatement>> {
    let rows = crate::quality::frameworks::parse_csv(STATEMENTS_FILE);
    rows.iter()
        .skip(1)
        .filter(|r| r.iter().any(|f| !f.trim().is_empty()))
        .map(|r| {
            QualityStatement::from_row(r).map_err(|m| StoreError::Conflict(format!("data/governance/cqc_la_quality_statements.csv: {m}")))
        })
        .collect()
}

/// A self-assessment in the list.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentSummary {
    pub id: String,
    pub title: String,
    pub dated_on: String,
    pub claims: i64,
    pub evidence: i64,
}

/// A statement of a self-assessment, as kept.
#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    pub id: String,
    pub statement: QualityStatement,
}

/// A self-assessment with its statements, claims and library.
#[derive(Debug, Clone, Serialize)]
pub struct SelfAssessment {
    pub id: String,
    pub title: String,
    pub dated_on: Date,
    pub statements: Vec<Statement>,
    /// In statement order, then position.
    pub claims: Vec<Claim>,
    /// In reference order (E2 before E10).
    pub evidence: Vec<Evidence>,
}

impl SelfAssessment {
    pub fn statement_numbers(&self) -> Vec<i64> {
        self.statements.iter().map(|s| s.statement.number).collect()
    }
}

#[derive(sqlx::FromRow)]
struct StatementRecord {
    id: String,
    number: i64,
    theme_number: i64,
    theme: String,
    title: String,
}

#[derive(sqlx::FromRow)]
struct ClaimRecord {
    id: String,
    number: i64,
    kind: String,
    claim_text: String,
}

#[derive(sqlx::FromRow)]
struct CitationRecord {
    claim_id: String,
    reference: String,
}

#[derive(sqlx::FromRow)]
struct EvidenceRecord {
    id: String,
    reference: String,
    title: String,
    owner: String,
    dated_on: Option<String>,
    location: String,
}

fn evidence_json(e: &NewEvidence) -> serde_json::Value {
    json!({"reference": e.reference, "title": e.title, "owner": e.owner, "dated_on": e.dated_on.map(|d| d.to_string()), "location": e.location})
}

async fn touch(tx: &mut Transaction<'_, Any>, id: &str) -> Result<()> {
    sqlx::query("UPDATE self_assessments SET updated_at = $1 WHERE id = $2").bind(now_timestamp()).bind(id).execute(&mut **tx).await?;
    Ok(())
}

async fn require_assessment(tx: &mut Transaction<'_, Any>, id: &str) -> Result<()> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM self_assessments WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("self-assessment {id}")));
    }
    Ok(())
}

async fn insert_citations(tx: &mut Transaction<'_, Any>, claim_id: &str, citations: &[String]) -> Result<()> {
    for (i, r) in citations.iter().enumerate() {
        sqlx::query("INSERT INTO assessment_citations (claim_id, position, reference) VALUES ($1, $2, $3)")
            .bind(claim_id)
            .bind(i as i64 + 1)
            .bind(r)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    pub async fn self_assessments(&self) -> Result<Vec<AssessmentSummary>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            title: String,
            dated_on: String,
            claims: i64,
            evidence: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT a.id, a.title, a.dated_on,
                    (SELECT COUNT(*) FROM assessment_claims c JOIN assessment_statements s ON s.id = c.statement_id WHERE s.assessment_id = a.id) AS claims,
                    (SELECT COUNT(*) FROM assessment_evidence e WHERE e.assessment_id = a.id) AS evidence
             FROM self_assessments a ORDER BY a.dated_on DESC, a.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| AssessmentSummary { id: r.id, title: r.title, dated_on: r.dated_on, claims: r.claims, evidence: r.evidence })
            .collect())
    }

    pub async fn self_assessment(&self, id: &str) -> Result<SelfAssessment> {
        let (title, dated_on): (String, String) = sqlx::query_as("SELECT title, dated_on FROM self_assessments WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("self-assessment {id}")))?;
        let statements: Vec<StatementRecord> = sqlx::query_as(
            "SELECT id, number, theme_number, theme, title FROM assessment_statements WHERE assessment_id = $1 ORDER BY number, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let claims: Vec<ClaimRecord> = sqlx::query_as(
            "SELECT c.id, s.number, c.kind, c.claim_text FROM assessment_claims c JOIN assessment_statements s ON s.id = c.statement_id
             WHERE s.assessment_id = $1 ORDER BY s.number, c.position, c.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let citations: Vec<CitationRecord> = sqlx::query_as(
            "SELECT t.claim_id, t.reference FROM assessment_citations t JOIN assessment_claims c ON c.id = t.claim_id
             JOIN assessment_statements s ON s.id = c.statement_id WHERE s.assessment_id = $1 ORDER BY t.claim_id, t.position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let evidence: Vec<EvidenceRecord> =
            sqlx::query_as("SELECT id, reference, title, owner, dated_on, location FROM assessment_evidence WHERE assessment_id = $1")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let mut cites: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
        for c in citations {
            cites.entry(c.claim_id).or_default().push(c.reference);
        }
        let claims = claims
            .into_iter()
            .map(|c| {
                let kind = ClaimKind::parse(&c.kind).ok_or_else(|| StoreError::Corrupt {
                    table: "assessment_claims",
                    column: "kind",
                    value: c.kind.clone(),
                })?;
                Ok(Claim {
                    citations: cites.remove(&c.id).unwrap_or_default(),
                    id: c.id,
                    statement_number: c.number,
                    kind,
                    text: c.claim_text,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut evidence = evidence
            .into_iter()
            .map(|e| {
                Ok(Evidence {
                    dated_on: e.dated_on.as_deref().map(|d| StoreError::decode("assessment_evidence", "dated_on", d)).transpose()?,
                    id: e.id,
                    reference: e.reference,
                    title: e.title,
                    owner: e.owner,
                    location: e.location,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        evidence.sort_by(|a, b| reference_order(&a.reference, &b.reference));
        Ok(SelfAssessment {
            id: id.to_string(),
            title,
            dated_on: StoreError::decode("self_assessments", "dated_on", &dated_on)?,
            statements: statements
                .into_iter()
                .map(|s| Statement {
                    id: s.id,
                    statement: QualityStatement { number: s.number, theme_number: s.theme_number, theme: s.theme, title: s.title },
                })
                .collect(),
            claims,
            evidence,
        })
    }

    /// Start a self-assessment against the framework's quality statements (copied in, so it
    /// keeps the framework it was written against).
    pub async fn create_self_assessment(&self, actor: &Actor, title: &str, dated_on: Date) -> Result<String> {
        let statements = cqc_la_quality_statements()?;
        let mut tx = self.begin_write().await?;
        let id = new_id();
        let now = now_timestamp();
        sqlx::query("INSERT INTO self_assessments (id, title, dated_on, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
            .bind(&id)
            .bind(title)
            .bind(dated_on.to_string())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        for s in &statements {
            sqlx::query(
                "INSERT INTO assessment_statements (id, assessment_id, number, theme_number, theme, title) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(s.number)
            .bind(s.theme_number)
            .bind(&s.theme)
            .bind(&s.title)
            .execute(&mut *tx)
            .await?;
        }
        record(
            &mut tx,
            actor,
            "create",
            "self_assessment",
            Some(&id),
            &format!("Started self-assessment '{title}'"),
            None,
            Some(&json!({"title": title, "dated_on": dated_on.to_string(), "statements": statements.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Add a claim under a statement. Its citations are kept as cited, whether or not the
    /// library holds them (the checks flag those that it does not).
    pub async fn add_claim(&self, actor: &Actor, statement_id: &str, c: &NewClaim) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let assessment_id: String = sqlx::query_scalar("SELECT assessment_id FROM assessment_statements WHERE id = $1")
            .bind(statement_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("quality statement {statement_id}")))?;
        let position: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assessment_claims WHERE statement_id = $1")
            .bind(statement_id)
            .fetch_one(&mut *tx)
            .await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO assessment_claims (id, statement_id, kind, position, claim_text, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(statement_id)
        .bind(c.kind.as_str())
        .bind(position + 1)
        .bind(&c.text)
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        insert_citations(&mut tx, &id, &c.citations).await?;
        touch(&mut tx, &assessment_id).await?;
        record(
            &mut tx,
            actor,
            "create",
            "assessment_claim",
            Some(&id),
            &format!("Added a claim ({}) to a self-assessment", c.kind.label()),
            None,
            Some(&json!({"statement_id": statement_id, "kind": c.kind.as_str(), "text": c.text, "citations": c.citations})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Made from version `expected` of the claim (decision 25): one changed since is refused
    /// (`Stale`) and nothing is written, its citations included.
    pub async fn update_claim(&self, actor: &Actor, assessment_id: &str, claim_id: &str, c: &NewClaim, expected: Version) -> Result<()> {
        let before = self.self_assessment(assessment_id).await?;
        let old = before.claims.iter().find(|x| x.id == claim_id).ok_or_else(|| StoreError::NotFound(format!("claim {claim_id}")))?;
        check_current(self.version_of(Versioned::AssessmentClaims, claim_id).await?, expected)?;
        let mut tx = self.begin_write().await?;
        let changed =
            sqlx::query("UPDATE assessment_claims SET kind = $1, claim_text = $2, version = version + 1 WHERE id = $3 AND version = $4")
                .bind(c.kind.as_str())
                .bind(&c.text)
                .bind(claim_id)
                .bind(expected.get())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        saved(&mut tx, Versioned::AssessmentClaims, claim_id, changed).await?;
        sqlx::query("DELETE FROM assessment_citations WHERE claim_id = $1").bind(claim_id).execute(&mut *tx).await?;
        insert_citations(&mut tx, claim_id, &c.citations).await?;
        touch(&mut tx, assessment_id).await?;
        record(
            &mut tx,
            actor,
            "update",
            "assessment_claim",
            Some(claim_id),
            "Changed a claim of a self-assessment",
            Some(&json!({"kind": old.kind.as_str(), "text": old.text, "citations": old.citations})),
            Some(&json!({"kind": c.kind.as_str(), "text": c.text, "citations": c.citations})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Add an item to the evidence library; a reference already in it is refused.
    pub async fn add_evidence(&self, actor: &Actor, assessment_id: &str, e: &NewEvidence) -> Result<String> {
        let mut tx = self.begin_write().await?;
        require_assessment(&mut tx, assessment_id).await?;
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assessment_evidence WHERE assessment_id = $1 AND reference = $2")
            .bind(assessment_id)
            .bind(&e.reference)
            .fetch_one(&mut *tx)
            .await?;
        if taken > 0 {
            return Err(StoreError::invalid(
                "reference",
                format!("The library already has an item {}: give this one another reference", e.reference),
            ));
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO assessment_evidence (id, assessment_id, reference, title, owner, dated_on, location, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(assessment_id)
        .bind(&e.reference)
        .bind(&e.title)
        .bind(&e.owner)
        .bind(e.dated_on.map(|d| d.to_string()))
        .bind(&e.location)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        touch(&mut tx, assessment_id).await?;
        record(
            &mut tx,
            actor,
            "create",
            "assessment_evidence",
            Some(&id),
            &format!("Added evidence item {}", e.reference),
            None,
            Some(&evidence_json(e)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Made from version `expected` of the evidence item (decision 25): one changed since is
    /// refused (`Stale`) and nothing is written.
    pub async fn update_evidence(
        &self,
        actor: &Actor,
        assessment_id: &str,
        evidence_id: &str,
        e: &NewEvidence,
        expected: Version,
    ) -> Result<()> {
        let a = self.self_assessment(assessment_id).await?;
        let old = a.evidence.iter().find(|x| x.id == evidence_id).ok_or_else(|| StoreError::NotFound(format!("evidence {evidence_id}")))?;
        check_current(self.version_of(Versioned::AssessmentEvidence, evidence_id).await?, expected)?;
        if a.evidence.iter().any(|x| x.id != evidence_id && x.reference == e.reference) {
            return Err(StoreError::invalid(
                "reference",
                format!("The library already has an item {}: give this one another reference", e.reference),
            ));
        }
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE assessment_evidence SET reference = $1, title = $2, owner = $3, dated_on = $4, location = $5, version = version + 1
             WHERE id = $6 AND version = $7",
        )
        .bind(&e.reference)
        .bind(&e.title)
        .bind(&e.owner)
        .bind(e.dated_on.map(|d| d.to_string()))
        .bind(&e.location)
        .bind(evidence_id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::AssessmentEvidence, evidence_id, changed).await?;
        touch(&mut tx, assessment_id).await?;
        record(
            &mut tx,
            actor,
            "update",
            "assessment_evidence",
            Some(evidence_id),
            &format!("Changed evidence item {}", e.reference),
            Some(&json!({"reference": old.reference, "title": old.title, "owner": old.owner, "dated_on": old.dated_on.map(|d| d.to_string()), "location": old.location})),
            Some(&evidence_json(e)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
