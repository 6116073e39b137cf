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
//! Their foreign keys to `providers` and `services` are dropped and added again the same way
//! (decision 51): PostgreSQL checks a foreign key row by row as rows are inserted, each check an
//! index lookup and a row lock of its own, about 30% of a first import's server time; adding the
//! constraint after loading checks every row in one join, and a reference the import got wrong
//! fails the import there, before anything is committed.
//!
//! On PostgreSQL, `DROP INDEX` takes an `ACCESS EXCLUSIVE` lock on its table until the import
//! commits or rolls back, and dropping a foreign key takes one on the table it references too
//! (`providers`): every other statement on those tables, a page's read included,
//! waits for the import (seconds for a national file). That is acceptable only because the tables
//! are empty: nothing can be shown from them yet, and the first import is the register being set
//! up. A re-import, or a first CQC import into a register that holds services the council added,
//! keeps the indexes and foreign keys and takes no such lock.
//!
//! SQLite keeps its indexes: building them after loading made no measurable difference to its
//! first import, while PostgreSQL's was about a tenth faster in 9 of 10 paired rounds
//! (benchmarks/import.md, 6 December 2026, helper-import2).

use crate::Result;
use sqlx::AssertSqlSafe;

/// The tables whose secondary indexes a first import on PostgreSQL builds after loading.
const TABLES: [&str; 3] = ["services", "service_specialisms", "rating_history"];

/// Secondary indexes and foreign keys dropped for the import's load and made again after it,
/// with the statement that makes each.
pub(super) struct RebuiltAfterLoad {
    definitions: Vec<(String, String)>,
    foreign_keys: Vec<ForeignKey>,
}

/// A foreign key of one of [`TABLES`], as the catalog defines it.
struct ForeignKey {
    table: &'static str,
    name: String,
    definition: String,
}

impl RebuiltAfterLoad {
    /// On PostgreSQL, drop [`TABLES`]' secondary indexes and their foreign keys to `providers`
    /// and `services` if none of the tables holds a row; nothing otherwise.
    pub(super) async fn drop_if_empty(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<RebuiltAfterLoad> {
        let none = RebuiltAfterLoad { definitions: Vec::new(), foreign_keys: Vec::new() };
        if tx.backend_name().eq_ignore_ascii_case("sqlite") {
            return Ok(none);
        }
        for table in TABLES {
            let any: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!("SELECT CAST(1 AS BIGINT) FROM {table} LIMIT 1")))
                .fetch_optional(&mut **tx)
                .await?;
            if any.is_some() {
                return Ok(none);
            }
        }
        let mut definitions = Vec::new();
        let mut foreign_keys = Vec::new();
        for table in TABLES {
            definitions.extend(secondary_indexes(tx, table).await?);
            foreign_keys.extend(foreign_keys_of(tx, table).await?);
        }
        for (name, _) in &definitions {
            sqlx::query(AssertSqlSafe(format!("DROP INDEX {}", quoted(name)))).execute(&mut **tx).await?;
        }
        for key in &foreign_keys {
            sqlx::query(AssertSqlSafe(format!("ALTER TABLE {} DROP CONSTRAINT {}", key.table, quoted(&key.name))))
                .execute(&mut **tx)
                .await?;
        }
        Ok(RebuiltAfterLoad { definitions, foreign_keys })
    }

    /// Create the dropped indexes again over what the import loaded.
    ///
    /// Each foreign key is added again as the catalog defined it, and PostgreSQL checks it over
    /// every loaded row in one join: a reference the import got wrong fails the import here, so
    /// nothing is committed that the constraint would have refused row by row.
    pub(super) async fn rebuild(self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<()> {
        for (_, sql) in self.definitions {
            sqlx::query(AssertSqlSafe(sql)).execute(&mut **tx).await?;
        }
        for key in self.foreign_keys {
            let sql = format!("ALTER TABLE {} ADD CONSTRAINT {} {}", key.table, quoted(&key.name), key.definition);
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

/// A table's foreign keys to a table the import fills (providers and services), each with its
/// name and its definition as PostgreSQL's catalog gives it (`FOREIGN KEY (provider_id)
/// REFERENCES providers(id)`). A key to another table (a service's area or framework) is left:
/// the import writes no value there, so it costs no check, and dropping it would lock that table
/// too.
async fn foreign_keys_of(tx: &mut sqlx::Transaction<'_, sqlx::Any>, table: &'static str) -> Result<Vec<ForeignKey>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT k.conname::text, pg_get_constraintdef(k.oid)
           FROM pg_constraint k
           JOIN pg_class c ON c.oid = k.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_class r ON r.oid = k.confrelid
         WHERE n.nspname = current_schema() AND c.relname = $1 AND k.contype = 'f'
           AND r.relname IN ('providers', 'services')
         ORDER BY k.conname",
    )
    .bind(table)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(name, definition)| ForeignKey { table, name, definition }).collect())
}

/// An identifier quoted as PostgreSQL reads one.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
