//! Assessment frameworks as data: standards with codes, grouped in domains, judged on the PAMMS
//! four-point scale (`caremarket_core::quality::Judgement`). Starter frameworks ship as CSV in
//! `data/quality/` and are loaded once; a council then edits them. Standards are deactivated,
//! never deleted, because past visit scores refer to them.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::register::ServiceKind;
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;

const STARTER_FRAMEWORKS: &str = include_str!("../../../../data/quality/frameworks.csv");
const STARTER_STANDARDS: &str = include_str!("../../../../data/quality/standards.csv");

pub use caremarket_core::quality::frameworks::{INFERRED, NewFramework, OUTCOMES, PROVENANCES, PURPOSES, StandardInput};

#[derive(Debug, Clone, Serialize)]
pub struct QaFramework {
    pub id: String,
    pub code: String,
    pub name: String,
    pub purpose: String,
    /// Service kinds (`ServiceKind::as_str`) it is for; empty = any kind.
    pub applies_to: Vec<String>,
    pub source: String,
    pub notes: Option<String>,
    pub active: bool,
    pub standards: i64,
    pub inferred: i64,
}

impl QaFramework {
    pub fn applies_to_kind(&self, kind: ServiceKind) -> bool {
        self.applies_to.is_empty() || self.applies_to.iter().any(|k| k == kind.as_str())
    }
    pub fn is_outcomes(&self) -> bool {
        self.purpose == OUTCOMES
    }
    /// "Any kind of service" or the kinds' labels.
    pub fn applies_to_label(&self) -> String {
        if self.applies_to.is_empty() {
            "Any kind of service".into()
        } else {
            self.applies_to
                .iter()
                .map(|k| ServiceKind::parse(k).map(|k| k.label().to_string()).unwrap_or(k.clone()))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Standard {
    pub id: String,
    pub framework_id: String,
    pub domain: String,
    pub code: String,
    pub title: String,
    pub guidance: Option<String>,
    pub provenance: String,
    pub position: i64,
    pub active: bool,
    /// Raised by one on each edit of the standard's wording (decision 25).
    pub version: i64,
}

impl Standard {
    pub fn inferred(&self) -> bool {
        self.provenance == INFERRED
    }
}

/// A minimal RFC 4180 reader for the embedded starter files (quoted fields, doubled quotes).
pub(crate) fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
        } else {
            match c {
                '"' => quoted = true,
                ',' => row.push(std::mem::take(&mut field)),
                '\r' => {}
                '\n' => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                _ => field.push(c),
            }
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows.into_iter().filter(|r| r.iter().any(|f| !f.trim().is_empty())).collect()
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A framework as stored, with its counts of active and inferred standards.
#[derive(sqlx::FromRow)]
struct FrameworkRow {
    id: String,
    code: String,
    name: String,
    purpose: String,
    applies_to: String,
    source: String,
    notes: Option<String>,
    active: i64,
    n_standards: i64,
    n_inferred: i64,
}

impl From<FrameworkRow> for QaFramework {
    fn from(r: FrameworkRow) -> QaFramework {
        QaFramework {
            applies_to: r.applies_to.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
            active: r.active != 0,
            id: r.id,
            code: r.code,
            name: r.name,
            purpose: r.purpose,
            source: r.source,
            notes: r.notes,
            standards: r.n_standards,
            inferred: r.n_inferred,
        }
    }
}

fn framework_from(r: &sqlx::any::AnyRow) -> Result<QaFramework> {
    use sqlx::FromRow;
    Ok(FrameworkRow::from_row(r)?.into())
}

/// A standard as stored.
#[derive(sqlx::FromRow)]
struct StandardRow {
    id: String,
    framework_id: String,
    domain: String,
    code: String,
    title: String,
    guidance: Option<String>,
    provenance: String,
    position: i64,
    active: i64,
    version: i64,
}

impl From<StandardRow> for Standard {
    fn from(r: StandardRow) -> Standard {
        Standard {
            active: r.active != 0,
            id: r.id,
            framework_id: r.framework_id,
            domain: r.domain,
            code: r.code,
            title: r.title,
            guidance: r.guidance,
            provenance: r.provenance,
            position: r.position,
            version: r.version,
        }
    }
}

fn standard_from(r: &sqlx::any::AnyRow) -> Result<Standard> {
    use sqlx::FromRow;
    Ok(StandardRow::from_row(r)?.into())
}

/// A framework's columns with its counts of active and of inferred standards.
fn framework_select() -> String {
    format!(
        "SELECT f.id, f.code, f.name, f.purpose, f.applies_to, f.source, f.notes, f.active,
        CAST((SELECT COUNT(*) FROM qa_standards s WHERE s.framework_id = f.id AND s.active = 1) AS BIGINT) AS n_standards,
        CAST((SELECT COUNT(*) FROM qa_standards s WHERE s.framework_id = f.id AND s.active = 1 AND s.provenance = '{INFERRED}') AS BIGINT) AS n_inferred
     FROM qa_frameworks f"
    )
}

const STANDARD_SELECT: &str =
    "SELECT id, framework_id, domain, code, title, guidance, provenance, position, active, version FROM qa_standards";

impl Store {
    /// Load the starter frameworks of `data/quality/` whose code is not yet present. Idempotent:
    /// returns how many frameworks it added (0 when all are there), audited as the system.
    pub async fn ensure_starter_frameworks(&self) -> Result<usize> {
        let frameworks = parse_csv(STARTER_FRAMEWORKS);
        let standards = parse_csv(STARTER_STANDARDS);
        let actor = Actor::system("starter frameworks");
        let mut added = 0;
        let mut tx = self.begin_write().await?;
        for f in frameworks.iter().skip(1) {
            let [code, name, purpose, applies_to, source, notes] = f.as_slice() else {
                return Err(StoreError::Conflict(format!("data/quality/frameworks.csv: a row has {} fields, not 6", f.len())));
            };
            let exists: Option<String> =
                sqlx::query_scalar("SELECT id FROM qa_frameworks WHERE code = $1").bind(code).fetch_optional(&mut *tx).await?;
            if exists.is_some() {
                continue;
            }
            let id = new_id();
            let now = now_timestamp();
            sqlx::query(
                "INSERT INTO qa_frameworks (id, code, name, purpose, applies_to, source, notes, active, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)",
            )
            .bind(&id)
            .bind(code)
            .bind(name)
            .bind(purpose)
            .bind(applies_to)
            .bind(source)
            .bind(opt(notes))
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            let mut n = 0i64;
            for s in standards.iter().skip(1).filter(|s| s.first() == Some(code)) {
                let [_, domain, scode, title, guidance, provenance] = s.as_slice() else {
                    return Err(StoreError::Conflict(format!("data/quality/standards.csv: a row has {} fields, not 6", s.len())));
                };
                n += 1;
                sqlx::query(
                    "INSERT INTO qa_standards (id, framework_id, domain, code, title, guidance, provenance, position, active)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)",
                )
                .bind(new_id())
                .bind(&id)
                .bind(domain)
                .bind(scode)
                .bind(title)
                .bind(opt(guidance))
                .bind(provenance)
                .bind(n)
                .execute(&mut *tx)
                .await?;
            }
            record(
                &mut tx,
                &actor,
                "create",
                "qa_framework",
                Some(&id),
                &format!("Starter framework loaded: {name} ({n} standards)"),
                None,
                Some(&json!({"code": code, "name": name, "purpose": purpose, "applies_to": applies_to, "standards": n})),
            )
            .await?;
            added += 1;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Create a framework from a list of standards (an uploaded CSV), all or nothing. `rows` are
    /// numbered from 2 in messages (row 1 is the header). Refused: a code already used by another
    /// framework, no standards, a row without domain, code or title, a code repeated in the file.
    pub async fn create_qa_framework(&self, actor: &Actor, f: &NewFramework, rows: &[StandardInput]) -> Result<String> {
        let (name, code, checked) = f.check(rows)?;
        let name = name.as_str();
        let mut tx = self.begin_write().await?;
        let exists: Option<String> =
            sqlx::query_scalar("SELECT id FROM qa_frameworks WHERE code = $1").bind(&code).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Err(StoreError::invalid("code", format!("A framework with code {code} already exists")));
        }
        let id = new_id();
        let now = now_timestamp();
        let applies_to = f.applies_to.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",");
        sqlx::query(
            "INSERT INTO qa_frameworks (id, code, name, purpose, applies_to, source, notes, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, NULL, 1, $7, $7)",
        )
        .bind(&id)
        .bind(&code)
        .bind(name)
        .bind(&f.purpose)
        .bind(&applies_to)
        .bind(f.source.trim())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        for (i, s) in checked.iter().enumerate() {
            sqlx::query(
                "INSERT INTO qa_standards (id, framework_id, domain, code, title, guidance, provenance, position, active)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(&s.domain)
            .bind(&s.code)
            .bind(&s.title)
            .bind(&s.guidance)
            .bind(&s.provenance)
            .bind(i as i64 + 1)
            .execute(&mut *tx)
            .await?;
        }
        record(
            &mut tx,
            actor,
            "create",
            "qa_framework",
            Some(&id),
            &format!("Framework {name} created with {} standards", checked.len()),
            None,
            Some(&json!({"code": code, "name": name, "purpose": f.purpose, "applies_to": applies_to, "source": f.source.trim(), "standards": checked.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every framework, with counts of its active standards.
    pub async fn qa_frameworks(&self) -> Result<Vec<QaFramework>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{} ORDER BY f.purpose DESC, f.name", framework_select())))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(framework_from).collect()
    }

    pub async fn qa_framework(&self, id: &str) -> Result<QaFramework> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{} WHERE f.id = $1", framework_select())))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("framework {id}")))?;
        framework_from(&row)
    }

    pub async fn qa_framework_by_code(&self, code: &str) -> Result<QaFramework> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{} WHERE f.code = $1", framework_select())))
            .bind(code)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("framework {code}")))?;
        framework_from(&row)
    }

    /// The active frameworks a visit to a service of `kind` may use, with `purpose`
    /// ("standards" or "outcomes").
    pub async fn qa_frameworks_for_kind(&self, kind: ServiceKind, purpose: &str) -> Result<Vec<QaFramework>> {
        Ok(self.qa_frameworks().await?.into_iter().filter(|f| f.active && f.purpose == purpose && f.applies_to_kind(kind)).collect())
    }

    /// A framework's standards in order (domain order is the order of first appearance);
    /// inactive ones only when `include_inactive`.
    pub async fn qa_standards(&self, framework_id: &str, include_inactive: bool) -> Result<Vec<Standard>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{STANDARD_SELECT} WHERE framework_id = $1 {} ORDER BY position, code",
            if include_inactive { "" } else { "AND active = 1" }
        )))
        .bind(framework_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(standard_from).collect()
    }

    pub async fn qa_standard(&self, id: &str) -> Result<Standard> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{STANDARD_SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("standard {id}")))?;
        standard_from(&row)
    }

    /// Add a standard at the end of a framework. Codes are unique within a framework.
    pub async fn add_standard(&self, actor: &Actor, framework_id: &str, input: &StandardInput) -> Result<String> {
        let f = self.qa_framework(framework_id).await?;
        let s = input.check()?;
        let mut tx = self.begin_write().await?;
        let clash: Option<String> = sqlx::query_scalar("SELECT id FROM qa_standards WHERE framework_id = $1 AND code = $2")
            .bind(framework_id)
            .bind(&s.code)
            .fetch_optional(&mut *tx)
            .await?;
        if clash.is_some() {
            return Err(StoreError::invalid("code", format!("{} already has a standard with code {}", f.name, s.code)));
        }
        let pos: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM qa_standards WHERE framework_id = $1")
                .bind(framework_id)
                .fetch_one(&mut *tx)
                .await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO qa_standards (id, framework_id, domain, code, title, guidance, provenance, position, active)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)",
        )
        .bind(&id)
        .bind(framework_id)
        .bind(&s.domain)
        .bind(&s.code)
        .bind(&s.title)
        .bind(&s.guidance)
        .bind(&s.provenance)
        .bind(pos)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE qa_frameworks SET updated_at = $1 WHERE id = $2")
            .bind(now_timestamp())
            .bind(framework_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "create",
            "qa_standard",
            Some(&id),
            &format!("Standard {} added to {}", s.code, f.name),
            None,
            Some(&json!({"framework_id": framework_id, "domain": s.domain, "code": s.code, "title": s.title, "guidance": s.guidance, "provenance": s.provenance})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Change a standard's domain, code, title, guidance or provenance.
    /// Edit a standard's wording, made from version `expected` (a standard saved since is refused).
    pub async fn update_standard(&self, actor: &Actor, standard_id: &str, input: &StandardInput, expected: Version) -> Result<()> {
        let before = self.qa_standard(standard_id).await?;
        crate::versions::check_current(before.version, expected)?;
        let s = input.check()?;
        let mut tx = self.begin_write().await?;
        let clash: Option<String> = sqlx::query_scalar("SELECT id FROM qa_standards WHERE framework_id = $1 AND code = $2 AND id <> $3")
            .bind(&before.framework_id)
            .bind(&s.code)
            .bind(standard_id)
            .fetch_optional(&mut *tx)
            .await?;
        if clash.is_some() {
            return Err(StoreError::invalid("code", format!("This framework already has a standard with code {}", s.code)));
        }
        let changed = sqlx::query(
            "UPDATE qa_standards SET domain = $1, code = $2, title = $3, guidance = $4, provenance = $5, version = version + 1
             WHERE id = $6 AND version = $7",
        )
        .bind(&s.domain)
        .bind(&s.code)
        .bind(&s.title)
        .bind(&s.guidance)
        .bind(&s.provenance)
        .bind(standard_id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        crate::versions::saved(&mut tx, crate::versions::Versioned::QaStandards, standard_id, changed).await?;
        record(
            &mut tx,
            actor,
            "update",
            "qa_standard",
            Some(standard_id),
            &format!("Standard {} edited", s.code),
            Some(&json!(before)),
            Some(&json!({"domain": s.domain, "code": s.code, "title": s.title, "guidance": s.guidance, "provenance": s.provenance})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deactivate (no longer offered when scoring) or reactivate a standard. Never deleted:
    /// past scores refer to it.
    pub async fn set_standard_active(&self, actor: &Actor, standard_id: &str, active: bool) -> Result<()> {
        let before = self.qa_standard(standard_id).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE qa_standards SET active = $1 WHERE id = $2")
            .bind(i64::from(active))
            .bind(standard_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "qa_standard",
            Some(standard_id),
            &format!("Standard {} {}", before.code, if active { "reactivated" } else { "deactivated" }),
            Some(&json!({"active": before.active})),
            Some(&json!({"active": active})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starter_files_parse_with_six_fields() {
        let f = parse_csv(STARTER_FRAMEWORKS);
        assert_eq!(f[0][0], "code");
        assert!(f.iter().all(|r| r.len() == 6), "frameworks.csv rows must have 6 fields");
        let s = parse_csv(STARTER_STANDARDS);
        assert!(s.iter().all(|r| r.len() == 6), "standards.csv rows must have 6 fields");
        assert_eq!(s.iter().filter(|r| r[0] == "cqc_saf").count(), 34);
        assert_eq!(s.iter().filter(|r| r[0] == "pamms").count(), 16);
        assert_eq!(s.iter().filter(|r| r[0] == "pamms" && r[5] == "inferred").count(), 6);
        assert_eq!(s.iter().filter(|r| r[0] == "mir_i_statements").count(), 6);
    }

    #[test]
    fn quoted_fields() {
        assert_eq!(parse_csv("a,\"b, c\",\"d \"\"e\"\"\"\n"), vec![vec!["a".to_string(), "b, c".into(), "d \"e\"".into()]]);
    }
}
