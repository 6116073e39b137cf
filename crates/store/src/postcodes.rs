//! Postcode positions (WGS84) for the Open Referral UK feed's location latitude and longitude.
//!
//! Loaded from the ONS postcode directory by `caremarket import postcodes`; the conversion from
//! the National Grid happens in `caremarket_ingest::geography`. A load replaces the whole table
//! in one transaction with its audit row, so a deployment never sees half a directory.

use crate::audit::record;
use crate::query::SqlBuilder;
use crate::{Actor, Result, Store};
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::HashMap;

/// Rows per INSERT: 3 parameters each keeps well inside SQLite's and PostgreSQL's limits.
const BATCH: usize = 300;

/// A postcode ("OL1 1AA", upper case, one space) and its WGS84 latitude and longitude.
#[derive(Debug, Clone, PartialEq)]
pub struct PostcodePosition {
    pub postcode: String,
    pub latitude: f64,
    pub longitude: f64,
}

impl Store {
    /// Replace every stored postcode position with `points`; audited with the file's name and
    /// the count. Returns the number stored.
    pub async fn replace_postcode_positions(&self, actor: &Actor, file_name: &str, points: &[PostcodePosition]) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM postcode_points").fetch_one(&mut *tx).await?;
        sqlx::query("DELETE FROM postcode_points").execute(&mut *tx).await?;
        // A file may list a postcode twice (re-issued codes): the later row wins. Duplicates are
        // removed here because PostgreSQL refuses one INSERT that writes a row twice.
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            last.insert(p.postcode.as_str(), i);
        }
        let unique: Vec<&PostcodePosition> =
            points.iter().enumerate().filter(|(i, p)| last.get(p.postcode.as_str()) == Some(i)).map(|(_, p)| p).collect();
        for chunk in unique.chunks(BATCH) {
            let values =
                (0..chunk.len()).map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3)).collect::<Vec<_>>().join(", ");
            let sql = format!("INSERT INTO postcode_points (postcode, latitude, longitude) VALUES {values}");
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for p in chunk.iter() {
                q = q.bind(p.postcode.clone()).bind(p.latitude).bind(p.longitude);
            }
            q.execute(&mut *tx).await.map_err(|e| {
                // Only the batch's first postcode is named: it is public reference data.
                crate::StoreError::invalid("postcode", format!("could not store the postcode positions from {}: {e}", chunk[0].postcode))
            })?;
        }
        let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM postcode_points").fetch_one(&mut *tx).await?;
        record(
            &mut tx,
            actor,
            "import",
            "postcode_positions",
            None,
            &format!("Loaded {after} postcode positions from {file_name}"),
            Some(&json!({"postcodes": before})),
            Some(&json!({"postcodes": after, "file": file_name})),
        )
        .await?;
        tx.commit().await?;
        Ok(after as u64)
    }

    /// Positions of the given postcodes (compared without spaces and case), keyed by the
    /// postcode as given. Postcodes not in the table are absent.
    pub async fn postcode_positions(&self, postcodes: &[String]) -> Result<HashMap<String, (f64, f64)>> {
        let wanted: HashMap<String, &String> = postcodes.iter().filter_map(|p| normalise(p).map(|n| (n, p))).collect();
        let mut out = HashMap::new();
        let keys: Vec<&String> = wanted.keys().collect();
        for chunk in keys.chunks(BATCH) {
            let mut q = SqlBuilder::new("SELECT postcode, latitude, longitude FROM postcode_points WHERE postcode IN (");
            q.push_bind_list(chunk.iter().map(|k| k.as_str())).push(")");
            let rows: Vec<(String, f64, f64)> = q.query_as().fetch_all(&self.pool).await?;
            for (pc, latitude, longitude) in rows {
                if let Some(given) = wanted.get(&pc) {
                    out.insert((*given).clone(), (latitude, longitude));
                }
            }
        }
        Ok(out)
    }

    pub async fn count_postcode_positions(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM postcode_points").fetch_one(&self.pool).await?)
    }
}

/// The stored form: upper case, one space before the three-character inward code.
fn normalise(raw: &str) -> Option<String> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    (compact.is_ascii() && compact.len() >= 5 && compact.len() <= 7)
        .then(|| format!("{} {}", &compact[..compact.len() - 3], &compact[compact.len() - 3..]))
}
