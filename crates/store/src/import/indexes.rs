//! A first import on PostgreSQL builds the register's secondary indexes once, after loading
//! (issue 18 item 1).
//!
//! Filling an empty register inserts every row into each B-tree index of `services`,
//! `service_specialisms` and `rating_history` one row at a time, in the order the file lists
//! them; building an index over the loaded table sorts its keys once instead. Only while none of
//! those tables holds a row: the indexes are dropped inside the import's transaction and created
//! again, in the same transaction, from their own definitions as the catalog gives them
//! (`pg_indexes.indexdef`), so the migrations stay the one place they are defined. Unique indexes
//! and constraints stay: the import relies on them (one service per CQC location, one provider per
//! CQC provider id, the primary keys the foreign keys check). PostgreSQL's DDL is transactional:
//! an import that fails leaves the indexes as they were.
//!
//! On PostgreSQL, `DROP INDEX` takes an `ACCESS EXCLUSIVE` lock on its table until the import
//! commits or rolls back: every other statement on those three tables, a page's read included,
//! waits for the import (seconds for a national file). That is acceptable only because the tables
//! are empty: nothing can be shown from them yet, and the first import is the register being set
//! up. A re-import, or a first CQC import into a register that holds services the council added,
//! keeps the indexes and takes no such lock.
//!
//! SQLite keeps its indexes: building them after loading made no measurable difference to its
//! first import, while PostgreSQL's was about a tenth faster in 9 of 10 paired rounds
//! (benchmarks/import.md, 6 December 2026, helper-import2).

use crate::Result;
use sqlx::AssertSqlSafe;

/// The tables whose secondary indexes a first import on PostgreSQL builds after loading.
const TABLES: [&str; 3] = ["services", "service_specialisms", "rating_history"];

/// Secondary indexes dropped for the import's load, with the statement that creates each again.
pub(super) struct DeferredIndexes {
    definitions: Vec<(String, String)>,
}

impl DeferredIndexes {
    /// On PostgreSQL, drop [`TABLES`]' secondary indexes if none of the tables holds a row;
    /// nothing otherwise.
    pub(super) async fn drop_if_empty(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<DeferredIndexes> {
        let mut definitions = Vec::new();
        if tx.backend_name().eq_ignore_ascii_case("sqlite") {
            return Ok(DeferredIndexes { definitions });
        }
        for table in TABLES {
            let any: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!("SELECT CAST(1 AS BIGINT) FROM {table} LIMIT 1")))
                .fetch_optional(&mut **tx)
                .await?;
            if any.is_some() {
                return Ok(DeferredIndexes { definitions });
            }
        }
        for table in TABLES {
            definitions.extend(secondary_indexes(tx, table).await?);
        }
        for (name, _) in &definitions {
            sqlx::query(AssertSqlSafe(format!("DROP INDEX {}", quoted(name)))).execute(&mut **tx).await?;
        }
        Ok(DeferredIndexes { definitions })
    }

    /// Create the dropped indexes again over what the import loaded.
    pub(super) async fn rebuild(self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<()> {
        for (_, sql) in self.definitions {
            sqlx::query(AssertSqlSafe(sql)).execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// A table's indexes that are neither unique nor a constraint's, each with its name and the
/// statement that creates it, as PostgreSQL's catalog holds them.
async fn secondary_indexes(tx: &mut sqlx::Transaction<'_, sqlx::Any>, table: &str) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query_as(
        "SELECT i.indexname::text, i.indexdef FROM pg_indexes i
           JOIN pg_namespace n ON n.nspname = i.schemaname
           JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = n.oid
           JOIN pg_index x ON x.indexrelid = c.oid
         WHERE i.schemaname = current_schema() AND i.tablename = $1 AND NOT x.indisunique
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)
         ORDER BY i.indexname",
    )
    .bind(table)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows)
}

/// An identifier quoted as PostgreSQL reads one.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
