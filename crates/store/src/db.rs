use crate::{Result, StoreError};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// The database. Cheap to clone (a pool handle).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// Held while this process refreshes the kept scores (`crate::kept`), so that requests
    /// arriving together refresh them once.
    pub(crate) kept_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

struct Migration {
    version: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: "0001_register",
        sqlite: include_str!("../../../migrations/sqlite/0001_register.sql"),
        postgres: include_str!("../../../migrations/postgres/0001_register.sql"),
    },
    Migration {
        version: "0002_capacity",
        sqlite: include_str!("../../../migrations/sqlite/0002_capacity.sql"),
        postgres: include_str!("../../../migrations/postgres/0002_capacity.sql"),
    },
    Migration {
        version: "0003_direct_payments",
        sqlite: include_str!("../../../migrations/sqlite/0003_direct_payments.sql"),
        postgres: include_str!("../../../migrations/postgres/0003_direct_payments.sql"),
    },
    Migration {
        version: "0004_quality",
        sqlite: include_str!("../../../migrations/sqlite/0004_quality.sql"),
        postgres: include_str!("../../../migrations/postgres/0004_quality.sql"),
    },
    Migration {
        version: "0005_register_truth",
        sqlite: include_str!("../../../migrations/sqlite/0005_register_truth.sql"),
        postgres: include_str!("../../../migrations/postgres/0005_register_truth.sql"),
    },
    Migration {
        version: "0006_import_planning",
        sqlite: include_str!("../../../migrations/sqlite/0006_import_planning.sql"),
        postgres: include_str!("../../../migrations/postgres/0006_import_planning.sql"),
    },
    Migration {
        version: "0007_frameworks",
        sqlite: include_str!("../../../migrations/sqlite/0007_frameworks.sql"),
        postgres: include_str!("../../../migrations/postgres/0007_frameworks.sql"),
    },
    Migration {
        version: "0008_security",
        sqlite: include_str!("../../../migrations/sqlite/0008_security.sql"),
        postgres: include_str!("../../../migrations/postgres/0008_security.sql"),
    },
    Migration {
        version: "0009_governance",
        sqlite: include_str!("../../../migrations/sqlite/0009_governance.sql"),
        postgres: include_str!("../../../migrations/postgres/0009_governance.sql"),
    },
    Migration {
        version: "0010_scrutiny",
        sqlite: include_str!("../../../migrations/sqlite/0010_scrutiny.sql"),
        postgres: include_str!("../../../migrations/postgres/0010_scrutiny.sql"),
    },
    Migration {
        version: "0011_committees_assessment",
        sqlite: include_str!("../../../migrations/sqlite/0011_committees_assessment.sql"),
        postgres: include_str!("../../../migrations/postgres/0011_committees_assessment.sql"),
    },
    Migration {
        version: "0013_kept_figures",
        sqlite: include_str!("../../../migrations/sqlite/0013_kept_figures.sql"),
        postgres: include_str!("../../../migrations/postgres/0013_kept_figures.sql"),
    },
    Migration {
        version: "0014_reports",
        sqlite: include_str!("../../../migrations/sqlite/0014_reports.sql"),
        postgres: include_str!("../../../migrations/postgres/0014_reports.sql"),
    },
    Migration {
        version: "0015_closures_and_equality",
        sqlite: include_str!("../../../migrations/sqlite/0015_closures_and_equality.sql"),
        postgres: include_str!("../../../migrations/postgres/0015_closures_and_equality.sql"),
    },
    Migration {
        version: "0016_fees",
        sqlite: include_str!("../../../migrations/sqlite/0016_fees.sql"),
        postgres: include_str!("../../../migrations/postgres/0016_fees.sql"),
    },
    Migration {
        version: "0017_passwords",
        sqlite: include_str!("../../../migrations/sqlite/0017_passwords.sql"),
        postgres: include_str!("../../../migrations/postgres/0017_passwords.sql"),
    },
    Migration {
        version: "0018_versions",
        sqlite: include_str!("../../../migrations/sqlite/0018_versions.sql"),
        postgres: include_str!("../../../migrations/postgres/0018_versions.sql"),
    },
    Migration {
        version: "0019_single_sign_on",
        sqlite: include_str!("../../../migrations/sqlite/0019_single_sign_on.sql"),
        postgres: include_str!("../../../migrations/postgres/0019_single_sign_on.sql"),
    },
    Migration {
        version: "0020_pa_confirmation",
        sqlite: include_str!("../../../migrations/sqlite/0020_pa_confirmation.sql"),
        postgres: include_str!("../../../migrations/postgres/0020_pa_confirmation.sql"),
    },
    Migration {
        version: "0021_care_home_fees",
        sqlite: include_str!("../../../migrations/sqlite/0021_care_home_fees.sql"),
        postgres: include_str!("../../../migrations/postgres/0021_care_home_fees.sql"),
    },
    Migration {
        version: "0022_cost_of_care",
        sqlite: include_str!("../../../migrations/sqlite/0022_cost_of_care.sql"),
        postgres: include_str!("../../../migrations/postgres/0022_cost_of_care.sql"),
    },
    Migration {
        version: "0023_brokerage_claims",
        sqlite: include_str!("../../../migrations/sqlite/0023_brokerage_claims.sql"),
        postgres: include_str!("../../../migrations/postgres/0023_brokerage_claims.sql"),
    },
    Migration {
        version: "0024_cqc_changes",
        sqlite: include_str!("../../../migrations/sqlite/0024_cqc_changes.sql"),
        postgres: include_str!("../../../migrations/postgres/0024_cqc_changes.sql"),
    },
    Migration {
        version: "0025_pa_checks",
        sqlite: include_str!("../../../migrations/sqlite/0025_pa_checks.sql"),
        postgres: include_str!("../../../migrations/postgres/0025_pa_checks.sql"),
    },
    Migration {
        version: "0026_capacity_window",
        sqlite: include_str!("../../../migrations/sqlite/0026_capacity_window.sql"),
        postgres: include_str!("../../../migrations/postgres/0026_capacity_window.sql"),
    },
    Migration {
        version: "0027_supported_living_actuals",
        sqlite: include_str!("../../../migrations/sqlite/0027_supported_living_actuals.sql"),
        postgres: include_str!("../../../migrations/postgres/0027_supported_living_actuals.sql"),
    },
    Migration {
        version: "0028_budgets",
        sqlite: include_str!("../../../migrations/sqlite/0028_budgets.sql"),
        postgres: include_str!("../../../migrations/postgres/0028_budgets.sql"),
    },
    Migration {
        version: "0029_ecm",
        sqlite: include_str!("../../../migrations/sqlite/0029_ecm.sql"),
        postgres: include_str!("../../../migrations/postgres/0029_ecm.sql"),
    },
    Migration {
        version: "0030_workforce",
        sqlite: include_str!("../../../migrations/sqlite/0030_workforce.sql"),
        postgres: include_str!("../../../migrations/postgres/0030_workforce.sql"),
    },
    Migration {
        version: "0031_outcomes",
        sqlite: include_str!("../../../migrations/sqlite/0031_outcomes.sql"),
        postgres: include_str!("../../../migrations/postgres/0031_outcomes.sql"),
    },
    Migration {
        version: "0032_money_limits",
        sqlite: include_str!("../../../migrations/sqlite/0032_money_limits.sql"),
        postgres: include_str!("../../../migrations/postgres/0032_money_limits.sql"),
    },
    Migration {
        version: "0033_ecm_extra_care",
        sqlite: include_str!("../../../migrations/sqlite/0033_ecm_extra_care.sql"),
        postgres: include_str!("../../../migrations/postgres/0033_ecm_extra_care.sql"),
    },
    Migration {
        version: "0034_visit_fact_check",
        sqlite: include_str!("../../../migrations/sqlite/0034_visit_fact_check.sql"),
        postgres: include_str!("../../../migrations/postgres/0034_visit_fact_check.sql"),
    },
    Migration {
        version: "0035_evidence_files",
        sqlite: include_str!("../../../migrations/sqlite/0035_evidence_files.sql"),
        postgres: include_str!("../../../migrations/postgres/0035_evidence_files.sql"),
    },
    Migration {
        version: "0036_versions_quality_governance",
        sqlite: include_str!("../../../migrations/sqlite/0036_versions_quality_governance.sql"),
        postgres: include_str!("../../../migrations/postgres/0036_versions_quality_governance.sql"),
    },
    Migration {
        version: "0037_versions_people_money",
        sqlite: include_str!("../../../migrations/sqlite/0037_versions_people_money.sql"),
        postgres: include_str!("../../../migrations/postgres/0037_versions_people_money.sql"),
    },
    Migration {
        version: "0038_versions_governance_items",
        sqlite: include_str!("../../../migrations/sqlite/0038_versions_governance_items.sql"),
        postgres: include_str!("../../../migrations/postgres/0038_versions_governance_items.sql"),
    },
    Migration {
        version: "0039_versions_outcomes_exits",
        sqlite: include_str!("../../../migrations/sqlite/0039_versions_outcomes_exits.sql"),
        postgres: include_str!("../../../migrations/postgres/0039_versions_outcomes_exits.sql"),
    },
    Migration {
        version: "0040_versions_settings_lists",
        sqlite: include_str!("../../../migrations/sqlite/0040_versions_settings_lists.sql"),
        postgres: include_str!("../../../migrations/postgres/0040_versions_settings_lists.sql"),
    },
    Migration {
        version: "0041_versions_remaining",
        sqlite: include_str!("../../../migrations/sqlite/0041_versions_remaining.sql"),
        postgres: include_str!("../../../migrations/postgres/0041_versions_remaining.sql"),
    },
    Migration {
        version: "0042_versions_last",
        sqlite: include_str!("../../../migrations/sqlite/0042_versions_last.sql"),
        postgres: include_str!("../../../migrations/postgres/0042_versions_last.sql"),
    },
    Migration {
        version: "0043_pending_import_files",
        sqlite: include_str!("../../../migrations/sqlite/0043_pending_import_files.sql"),
        postgres: include_str!("../../../migrations/postgres/0043_pending_import_files.sql"),
    },
    Migration {
        version: "0044_services_cqc_digest",
        sqlite: include_str!("../../../migrations/sqlite/0044_services_cqc_digest.sql"),
        postgres: include_str!("../../../migrations/postgres/0044_services_cqc_digest.sql"),
    },
];

/// Write a setting only if it is still at `expected` (a setting never saved is at 1), raising its
/// version; otherwise `Stale` with the version it is at, and the caller drops the transaction.
pub(crate) async fn save_setting_at(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &str,
    value: &str,
    expected: caremarket_core::versions::Version,
) -> Result<()> {
    let changed = sqlx::query("UPDATE settings SET value = $1, version = version + 1 WHERE key = $2 AND version = $3")
        .bind(value)
        .bind(key)
        .bind(expected.get())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if changed > 0 {
        return Ok(());
    }
    if expected == caremarket_core::versions::Version::FIRST {
        let inserted = sqlx::query("INSERT INTO settings (key, value, version) VALUES ($1, $2, 2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if inserted > 0 {
            return Ok(());
        }
    }
    match crate::versions::saved(tx, crate::versions::Versioned::Settings, key, 0).await {
        // Never saved: it is at version 1.
        Err(StoreError::NotFound(_)) => Err(StoreError::Stale { current: 1 }),
        other => other,
    }
}

/// One setting of a page that saves several together ([`Store::set_settings_at`]).
#[derive(Debug, Clone)]
pub struct SettingSave<'a> {
    pub key: &'a str,
    pub value: String,
    pub expected: caremarket_core::versions::Version,
}

pub(crate) const UPSERT_SETTING: &str = "INSERT INTO settings (key, value, version) VALUES ($1, $2, 2) ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = settings.version + 1";

/// Timestamps are stored as RFC 3339 UTC text rounded to microseconds so that both backends
/// keep and compare exactly the same value.
pub fn now_timestamp() -> String {
    timestamp_text(now_to_the_microsecond())
}

/// Now, rounded down to the microsecond (what [`now_timestamp`] stores).
pub(crate) fn now_to_the_microsecond() -> jiff::Timestamp {
    let ts = jiff::Timestamp::now();
    jiff::Timestamp::from_microsecond(ts.as_microsecond()).unwrap_or(ts)
}

/// A timestamp as stored (see [`now_timestamp`]).
pub(crate) fn timestamp_text(ts: jiff::Timestamp) -> String {
    format!("{ts:.6}")
}

/// Today's date in the UK (the council's working day).
pub fn today() -> jiff::civil::Date {
    jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC)).date()
}

impl Store {
    /// Connect to `sqlite://path` (created if missing) or `postgres://...`, and migrate.
    pub async fn connect(url: &str) -> Result<Store> {
        Self::connect_tuned(url, false).await
    }

    /// As [`Store::connect`], for loading a database that is thrown away if the load fails (the
    /// demo council): commits do not wait for the disk (SQLite `synchronous=OFF`, PostgreSQL
    /// `synchronous_commit = off`). A crash can lose the last commits but never corrupts the
    /// database; the demo starts again when it finds no accounts. Waiting for PostgreSQL's
    /// flush of every one of the demo's 400,000 small commits was most of its 20 minutes at
    /// scale 10. Close this store when the load is done and serve through an ordinary one.
    pub async fn connect_for_bulk_load(url: &str) -> Result<Store> {
        Self::connect_tuned(url, true).await
    }

    async fn connect_tuned(url: &str, bulk_load: bool) -> Result<Store> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let url = if backend == Backend::Sqlite && !url.contains("mode=") {
            if url.contains('?') { format!("{url}&mode=rwc") } else { format!("{url}?mode=rwc") }
        } else {
            url.to_string()
        };
        let max = if backend == Backend::Sqlite { 8 } else { 16 };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            // The pool pings a connection before lending it, by default: a round trip to the
            // SQLite worker thread or the PostgreSQL server before every transaction and every
            // query outside one, which was about a third of the round trips of the demo's
            // generation. A SQLite connection is a file in this process and cannot go stale; a
            // bulk load's PostgreSQL connections live only for the load. An ordinary
            // PostgreSQL pool keeps the check, so a server restart costs no failed request.
            .test_before_acquire(backend == Backend::Postgres && !bulk_load)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets the dashboard read while an import writes; foreign keys are
                        // off by default in SQLite.
                        sqlx::raw_sql(
                            "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL;",
                        )
                        .execute(&mut *conn)
                        .await?;
                    }
                    if bulk_load {
                        let sql = match backend {
                            Backend::Sqlite => "PRAGMA synchronous=OFF;",
                            Backend::Postgres => "SET synchronous_commit TO off;",
                        };
                        sqlx::raw_sql(sql).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with({
                use sqlx::ConnectOptions;
                let options: sqlx::any::AnyConnectOptions = url.parse()?;
                // A bulk load's statements carry thousands of placeholders each, and on a busy
                // machine some pass the slow-statement threshold: logging one writes its whole
                // text, megabytes in all, for a load whose timings the demo reports itself.
                if bulk_load { options.disable_statement_logging() } else { options }
            })
            .await?;
        let store = Store { pool, backend, kept_lock: Default::default() };
        store.migrate().await?;
        Ok(store)
    }

    /// Start a transaction that will write. On SQLite it takes the write lock at the start
    /// (`BEGIN IMMEDIATE`), waiting up to the busy timeout for another writer: a deferred
    /// transaction that reads first and then writes fails at once with "database is locked" if
    /// another connection wrote in between, which is how imports failed under ordinary traffic
    /// (issue 17 item 4). PostgreSQL's row locks need no such care.
    pub(crate) async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Apply any migrations not yet applied, each in its own transaction.
    pub async fn migrate(&self) -> Result<Vec<&'static str>> {
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS caremarket_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            .execute(&self.pool)
            .await?;
        let mut applied = Vec::new();
        for m in MIGRATIONS {
            let done: Option<String> = sqlx::query_scalar("SELECT version FROM caremarket_migrations WHERE version = $1")
                .bind(m.version)
                .fetch_optional(&self.pool)
                .await?;
            if done.is_some() {
                continue;
            }
            let sql = match self.backend {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            let mut tx = self.begin_write().await?;
            sqlx::raw_sql(sql)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::Migration { version: m.version.to_string(), message: e.to_string() })?;
            if m.version == "0008_security" {
                crate::sessions::hash_stored_ids(&mut tx).await?;
            }
            sqlx::query("INSERT INTO caremarket_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(m.version)
                .bind(now_timestamp())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            applied.push(m.version);
        }
        // Starter assessment frameworks arrive with the quality tables, once: after that they
        // are the council's to edit, and a framework it retires is not brought back.
        if applied.contains(&"0004_quality") {
            self.ensure_starter_frameworks().await?;
        }
        Ok(applied)
    }

    /// Applied migration versions, in order.
    pub async fn migrations_applied(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT version FROM caremarket_migrations ORDER BY version").fetch_all(&self.pool).await?;
        rows.iter().map(|r| r.try_get::<String, _>(0).map_err(Into::into)).collect()
    }

    pub async fn healthy(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(&self.pool).await?)
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(UPSERT_SETTING).bind(key).bind(value).execute(&self.pool).await?;
        Ok(())
    }

    /// The version of a setting a form shows it at (decision 25). A setting never saved reads as
    /// version 1; every save raises it, and its first save makes it 2.
    pub async fn setting_version(&self, key: &str) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT version FROM settings WHERE key = $1").bind(key).fetch_optional(&self.pool).await?;
        Ok(v.unwrap_or(1))
    }

    /// Change a setting from a form opened at `expected`, with an audit entry of the old and new
    /// value; refused with `Stale` (nothing written) if it was saved since.
    pub async fn set_setting_at(
        &self,
        actor: &crate::Actor,
        key: &str,
        value: &str,
        expected: caremarket_core::versions::Version,
    ) -> Result<()> {
        crate::versions::check_current(self.setting_version(key).await?, expected)?;
        self.save_setting_audited(actor, key, value, Some(expected)).await
    }

    /// Change a setting on someone's behalf, with an audit entry of the old and new value.
    pub async fn set_setting_by(&self, actor: &crate::Actor, key: &str, value: &str) -> Result<()> {
        self.save_setting_audited(actor, key, value, None).await
    }

    /// The settings one form saves together (a page of several), each from the version the form
    /// was opened at, in one transaction with an audit entry each. If any of them was saved
    /// since, none is written (`Stale`; the caller compares each key's version to say which).
    pub async fn set_settings_at(&self, actor: &crate::Actor, saves: &[SettingSave<'_>]) -> Result<()> {
        for s in saves {
            crate::versions::check_current(self.setting_version(s.key).await?, s.expected)?;
        }
        let items: Vec<(&str, &str, Option<caremarket_core::versions::Version>)> =
            saves.iter().map(|s| (s.key, s.value.as_str(), Some(s.expected))).collect();
        self.save_settings_audited(actor, &items).await
    }

    /// One setting written with its audit entry of the old and new value, in one transaction:
    /// only at `expected` when a form named the version it was opened at.
    async fn save_setting_audited(
        &self,
        actor: &crate::Actor,
        key: &str,
        value: &str,
        expected: Option<caremarket_core::versions::Version>,
    ) -> Result<()> {
        self.save_settings_audited(actor, &[(key, value, expected)]).await
    }

    /// Settings written in one transaction, each with its audit entry of the old and new value;
    /// one stale version writes none of them.
    pub(crate) async fn save_settings_audited(
        &self,
        actor: &crate::Actor,
        items: &[(&str, &str, Option<caremarket_core::versions::Version>)],
    ) -> Result<()> {
        let mut befores = Vec::with_capacity(items.len());
        for (key, ..) in items {
            befores.push(self.setting(key).await?);
        }
        let mut tx = self.begin_write().await?;
        for ((key, value, expected), before) in items.iter().zip(befores) {
            match expected {
                Some(expected) => save_setting_at(&mut tx, key, value, *expected).await?,
                None => {
                    sqlx::query(UPSERT_SETTING).bind(key).bind(value).execute(&mut *tx).await?;
                }
            }
            crate::audit::record(
                &mut tx,
                actor,
                "update",
                "setting",
                Some(key),
                &format!("Changed setting {key}"),
                Some(&serde_json::json!({ "value": before })),
                Some(&serde_json::json!({ "value": value })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Write a consistent copy of a SQLite database to `dest` (VACUUM INTO). PostgreSQL is backed
    /// up with its own tools (pg_dump); see docs/operations.md.
    pub async fn backup_sqlite(&self, dest: &str) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::UnsupportedUrl("backup is for SQLite; use pg_dump for PostgreSQL".into()));
        }
        // The copy holds every account's password hash and every case reference: it is created
        // empty, readable and writable by the owner only, before SQLite writes into it (VACUUM
        // INTO accepts an empty file and keeps its permissions), so it is never readable by
        // others even for a moment (issue 17 item 5).
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
        open.open(dest).map_err(|e| StoreError::invalid("output", format!("could not create {dest}: {e}")))?;
        sqlx::query("VACUUM INTO $1").bind(dest).execute(&self.pool).await?;
        Ok(())
    }
}
