//! Fresh databases for one benchmark run: a SQLite file in a new temporary directory, or a new
//! PostgreSQL database created beside the one the URL names. Both are removed by
//! [`BenchDb::remove`], which callers run whether or not the measurement succeeded.

use anyhow::{Context, Result};
use caremarket_store::{Backend, Store};
use std::path::{Path, PathBuf};

/// Which backend a run uses, and how to reach it.
#[derive(Debug, Clone)]
pub enum Target {
    Sqlite,
    /// A PostgreSQL URL naming any database the role may connect to (for `CREATE DATABASE`).
    Postgres(String),
}

impl Target {
    pub fn name(&self) -> &'static str {
        match self {
            Target::Sqlite => Backend::Sqlite.name(),
            Target::Postgres(_) => Backend::Postgres.name(),
        }
    }

    /// SQLite always (unless skipped), then PostgreSQL when a URL was given.
    pub fn list(skip_sqlite: bool, postgres_url: Option<&str>) -> Vec<Target> {
        let mut v = Vec::new();
        if !skip_sqlite {
            v.push(Target::Sqlite);
        }
        if let Some(url) = postgres_url.filter(|u| !u.trim().is_empty()) {
            v.push(Target::Postgres(url.to_string()));
        }
        v
    }
}

pub struct BenchDb {
    pub store: Store,
    /// Where the database is, for a second connection (the demo's bulk-load one).
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    Postgres { admin_url: String, name: String },
}

/// A new, empty, migrated database on `target`. `work_dir` holds the SQLite file.
pub async fn fresh(target: &Target, work_dir: &Path) -> Result<BenchDb> {
    let id = uuid::Uuid::now_v7().simple().to_string();
    match target {
        Target::Sqlite => {
            let path = work_dir.join(format!("bench-{id}.db"));
            let url = format!("sqlite://{}", path.display());
            let store = Store::connect(&url).await.with_context(|| format!("could not create the SQLite database {}", path.display()))?;
            Ok(BenchDb { store, url, cleanup: Cleanup::SqliteFile(path) })
        }
        Target::Postgres(base) => {
            sqlx::any::install_default_drivers();
            let name = format!("caremarket_bench_{id}");
            let admin =
                sqlx::AnyPool::connect(base).await.with_context(|| format!("could not connect to PostgreSQL at {}", redact(base)))?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&admin)
                .await
                .with_context(|| format!("could not create the database {name}"))?;
            admin.close().await;
            let url = with_database(base, &name);
            let cleanup = Cleanup::Postgres { admin_url: base.clone(), name };
            match Store::connect(&url).await {
                Ok(store) => Ok(BenchDb { store, url, cleanup }),
                Err(e) => {
                    let failed = BenchDb::drop_postgres(&cleanup).await;
                    if let Err(d) = failed {
                        eprintln!("warning: {d:#}");
                    }
                    Err(e).context("could not migrate the new PostgreSQL database")
                }
            }
        }
    }
}

impl BenchDb {
    /// Bytes on disk: the SQLite file with its write-ahead log, or `pg_database_size`.
    pub async fn size_bytes(&self) -> Result<u64> {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                // Fold the write-ahead log in so the figure is the database's own size.
                sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)").execute(self.store.pool()).await?;
                let mut n = std::fs::metadata(path)?.len();
                for suffix in ["-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    if let Ok(m) = std::fs::metadata(PathBuf::from(p)) {
                        n += m.len();
                    }
                }
                Ok(n)
            }
            Cleanup::Postgres { .. } => {
                let n: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(self.store.pool()).await?;
                Ok(u64::try_from(n).unwrap_or(0))
            }
        }
    }

    /// Close the pool and delete the database.
    pub async fn remove(self) -> Result<()> {
        self.store.pool().close().await;
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let p = PathBuf::from(p);
                    if p.exists() {
                        std::fs::remove_file(&p).with_context(|| format!("could not delete {}", p.display()))?;
                    }
                }
                Ok(())
            }
            Cleanup::Postgres { .. } => BenchDb::drop_postgres(&self.cleanup).await,
        }
    }

    async fn drop_postgres(cleanup: &Cleanup) -> Result<()> {
        let Cleanup::Postgres { admin_url, name } = cleanup else {
            return Ok(());
        };
        let admin = sqlx::AnyPool::connect(admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            .execute(&admin)
            .await
            .with_context(|| format!("could not drop the database {name}"))?;
        admin.close().await;
        Ok(())
    }
}

/// `base` with its database name replaced by `name`, keeping any `?query`.
fn with_database(base: &str, name: &str) -> String {
    let (without_query, query) = match base.find('?') {
        Some(q) => (&base[..q], &base[q..]),
        None => (base, ""),
    };
    let after_scheme = without_query.find("://").map(|i| i + 3).unwrap_or(0);
    match without_query[after_scheme..].find('/') {
        Some(slash) => format!("{}/{name}{query}", &without_query[..after_scheme + slash]),
        None => format!("{}/{name}{query}", without_query.trim_end_matches('/')),
    }
}

/// A URL for messages, without its password.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let host_start = rest.find('/').unwrap_or(rest.len());
    match rest[..host_start].rfind('@') {
        Some(at) if rest[..at].contains(':') => {
            let user = rest[..at].split(':').next().unwrap_or("");
            format!("{}{user}:***@{}", &url[..scheme_end], &rest[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// A new temporary directory for this run's files.
pub fn work_dir(label: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("caremarket-bench-{label}-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"), "postgres://postgres@127.0.0.1:5432/x");
        assert_eq!(with_database("postgres://u:p@h:5432/db?sslmode=disable", "x"), "postgres://u:p@h:5432/x?sslmode=disable");
        assert_eq!(with_database("postgres://h:5432", "x"), "postgres://h:5432/x");
        assert_eq!(with_database("postgres://h:5432/", "x"), "postgres://h:5432/x");
    }

    #[test]
    fn hides_passwords() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("postgres://postgres@h/db"), "postgres://postgres@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    }
}
