//! The Personal Assistant register: registrations (public ones wait for approval), approval
//! and withdrawal, search ranked by fit, introductions and the register's counts.

use super::{date, date_opt};
use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::pa_register::{
    self, CapReached, NewPaEntry, PaKind, PaStatus, Profile, PublicCaps, PublicCounts, Side, email_domain, list_of, set_of,
};
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;

#[derive(Debug, Clone, Serialize)]
pub struct PaEntry {
    pub id: String,
    pub kind: PaKind,
    pub status: PaStatus,
    pub display_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub outward_code: String,
    pub hours_per_week: i64,
    pub slots: Vec<String>,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub gender: Option<String>,
    pub gender_preference: Option<String>,
    pub driving: bool,
    pub dbs_status: Option<String>,
    pub dbs_date: Option<Date>,
    pub about: Option<String>,
    pub source: String,
    pub created_at: String,
    pub withdrawn_reason: Option<String>,
    /// Raised by each save of the entry's checks (lost-update protection).
    pub version: i64,
}

impl PaEntry {
    pub fn profile(&self) -> Profile {
        Profile {
            outward_code: self.outward_code.clone(),
            slots: self.slots.iter().cloned().collect(),
            skills: self.skills.iter().cloned().collect(),
            languages: self.languages.iter().cloned().collect(),
            gender: self.gender.clone(),
            gender_preference: self.gender_preference.clone(),
            driving: self.driving,
        }
    }

    fn side(&self) -> Side {
        Side { kind: self.kind, status: self.status }
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct PaCounts {
    pub employers: i64,
    pub pas: i64,
    pub pending: i64,
    pub introductions: i64,
    pub introductions_12m: i64,
}

/// An introduction seen from one side: when, and the other side.
#[derive(Debug, Clone, Serialize)]
pub struct Introduction {
    pub introduced_on: Date,
    pub other_id: String,
    pub display_name: String,
    pub score: i64,
}

const TABLE: &str = "pa_entries";

const PA_COLS: &str =
    "id, kind, status, display_name, email, phone, outward_code, hours_per_week, slots, skills, languages, gender, gender_preference,
    driving, dbs_status, dbs_date, about, source, created_at, withdrawn_reason, version";

#[derive(sqlx::FromRow)]
struct PaRow {
    id: String,
    kind: String,
    status: String,
    display_name: String,
    email: String,
    phone: Option<String>,
    outward_code: String,
    hours_per_week: i64,
    slots: String,
    skills: String,
    languages: String,
    gender: Option<String>,
    gender_preference: Option<String>,
    driving: i64,
    dbs_status: Option<String>,
    dbs_date: Option<String>,
    about: Option<String>,
    source: String,
    created_at: String,
    withdrawn_reason: Option<String>,
    version: i64,
}

impl TryFrom<PaRow> for PaEntry {
    type Error = StoreError;
    fn try_from(r: PaRow) -> Result<PaEntry> {
        // Comma lists of codes: stored sorted, read back as a set's order.
        let list = |s: &str| set_of(s).into_iter().collect();
        Ok(PaEntry {
            kind: StoreError::decode(TABLE, "kind", &r.kind)?,
            status: StoreError::decode(TABLE, "status", &r.status)?,
            dbs_date: date_opt(TABLE, "dbs_date", r.dbs_date.as_deref())?,
            slots: list(&r.slots),
            skills: list(&r.skills),
            languages: list(&r.languages),
            id: r.id,
            display_name: r.display_name,
            email: r.email,
            phone: r.phone,
            outward_code: r.outward_code,
            hours_per_week: r.hours_per_week,
            gender: r.gender,
            gender_preference: r.gender_preference,
            driving: r.driving != 0,
            dbs_status: r.dbs_status,
            about: r.about,
            source: r.source,
            created_at: r.created_at,
            withdrawn_reason: r.withdrawn_reason,
            version: r.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct IntroductionRow {
    introduced_on: String,
    other_id: String,
    display_name: String,
    score: i64,
}

impl TryFrom<IntroductionRow> for Introduction {
    type Error = StoreError;
    fn try_from(r: IntroductionRow) -> Result<Introduction> {
        Ok(Introduction {
            introduced_on: date("pa_introductions", "introduced_on", &r.introduced_on)?,
            other_id: r.other_id,
            display_name: r.display_name,
            score: r.score,
        })
    }
}

impl Store {
    /// Register a PA or employer. From the public form (`source` "public") the entry is
    /// pending until an officer approves it; an officer's entry is approved at once.
    pub async fn register_pa(&self, actor: &Actor, e: &NewPaEntry, source: &str) -> Result<String> {
        let today = crate::today();
        let r = e.validated(source, today)?;
        let id = new_id();
        let now = now_timestamp();
        let approved = r.status == PaStatus::Approved;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO pa_entries (id, kind, status, display_name, email, phone, outward_code, hours_per_week, slots, skills, languages, gender,
                gender_preference, driving, dbs_status, dbs_date, about, source, created_at, created_on, approved_at, approved_by,
                email_domain, confirmed_at, confirmed_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $19, $20)",
        )
        .bind(&id)
        .bind(r.kind.as_str())
        .bind(r.status.as_str())
        .bind(&r.display_name)
        .bind(&r.email)
        .bind(r.phone.clone())
        .bind(&r.outward_code)
        .bind(r.hours_per_week)
        .bind(list_of(&r.profile.slots))
        .bind(list_of(&r.profile.skills))
        .bind(list_of(&r.profile.languages))
        .bind(r.profile.gender.clone())
        .bind(r.profile.gender_preference.clone())
        .bind(i64::from(r.profile.driving))
        .bind(r.dbs_status.clone())
        .bind(r.dbs_date.map(|d| d.to_string()))
        .bind(r.about.clone())
        .bind(source)
        .bind(&now)
        .bind(today.to_string())
        .bind(approved.then(|| now.clone()))
        .bind(approved.then(|| actor.label.clone()))
        .bind(email_domain(&r.email))
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "pa_entry",
            Some(&id),
            &format!("Registered on the PA register ({}, {})", r.kind, r.status),
            None,
            Some(&json!({"kind": r.kind, "status": r.status, "outward_code": r.outward_code, "source": source})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Public registrations confirmed on `day` (what the daily cap counts).
    pub async fn public_pa_registrations_on(&self, day: Date) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM pa_entries WHERE source = 'public' AND confirmed_on = $1")
            .bind(day.to_string())
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn pa_entry(&self, id: &str) -> Result<PaEntry> {
        let r: PaRow = sqlx::query_as(AssertSqlSafe(format!("SELECT {PA_COLS} FROM pa_entries WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("PA register entry {id}")))?;
        r.try_into()
    }

    /// Entries of a kind (any when `None`) and status, newest first.
    pub async fn pa_entries(&self, kind: Option<PaKind>, status: PaStatus) -> Result<Vec<PaEntry>> {
        let rows: Vec<PaRow> = match kind {
            Some(k) => {
                sqlx::query_as(AssertSqlSafe(format!(
                    "SELECT {PA_COLS} FROM pa_entries WHERE kind = $1 AND status = $2 ORDER BY created_at DESC, id"
                )))
                .bind(k.as_str())
                .bind(status.as_str())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_as(AssertSqlSafe(format!("SELECT {PA_COLS} FROM pa_entries WHERE status = $1 ORDER BY created_at DESC, id")))
                    .bind(status.as_str())
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.into_iter().map(PaEntry::try_from).collect()
    }

    /// Approve a pending entry. A PA is approved only once the council's required checks are
    /// complete and in date (issue 16 item 17); the refusal names what is missing.
    pub async fn approve_pa(&self, actor: &Actor, id: &str) -> Result<()> {
        let entry = self.pa_entry(id).await?;
        entry.status.approve()?;
        if entry.kind == PaKind::Pa {
            let rules = self.pa_check_rules().await?;
            caremarket_core::direct_payments::pa_checks::check_approval(&self.pa_checks(id).await?, &rules, crate::today())?;
        }
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE pa_entries SET status = $1, approved_at = $2, approved_by = $3, version = version + 1 WHERE id = $4")
            .bind(PaStatus::Approved.as_str())
            .bind(&now)
            .bind(&actor.label)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "pa_entry",
            Some(id),
            "Approved a PA register entry",
            None,
            Some(&json!({"status": PaStatus::Approved})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Either side withdraws (or an officer on their behalf).
    pub async fn withdraw_pa(&self, actor: &Actor, id: &str, reason: &str) -> Result<()> {
        let reason = self.pa_entry(id).await?.status.withdraw(reason)?;
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE pa_entries SET status = $1, withdrawn_at = $2, withdrawn_reason = $3, version = version + 1 WHERE id = $4")
            .bind(PaStatus::Withdrawn.as_str())
            .bind(&now)
            .bind(reason)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "pa_entry",
            Some(id),
            "Withdrew a PA register entry",
            None,
            Some(&json!({"status": PaStatus::Withdrawn})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// PAs listed today (approved, required checks complete and in date) ranked by fit for
    /// `wanted`, best first, with the reasons.
    pub async fn pa_search(&self, wanted: &Profile) -> Result<Vec<(PaEntry, pa_register::Match)>> {
        self.pa_search_on(wanted, crate::today()).await
    }

    /// Record an introduction between an approved employer and an approved PA.
    pub async fn record_introduction(&self, actor: &Actor, employer_id: &str, pa_id: &str, on: Date) -> Result<String> {
        let emp = self.pa_entry(employer_id).await?;
        let pa = self.pa_entry(pa_id).await?;
        pa_register::check_introduction(emp.side(), pa.side())?;
        let score = pa_register::score(&emp.profile(), &pa.profile()).map(|m| m.score).unwrap_or(0);
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO pa_introductions (id, employer_id, pa_id, introduced_on, score, actor_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(employer_id)
            .bind(pa_id)
            .bind(on.to_string())
            .bind(i64::from(score))
            .bind(&actor.label)
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "create",
            "pa_introduction",
            Some(&id),
            "Recorded a PA introduction",
            None,
            Some(&json!({"employer_id": employer_id, "pa_id": pa_id, "score": score})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Introductions for an entry (either side), newest first.
    pub async fn introductions_for(&self, id: &str) -> Result<Vec<Introduction>> {
        let rows: Vec<IntroductionRow> = sqlx::query_as(
            "SELECT i.introduced_on, CASE WHEN i.employer_id = $1 THEN i.pa_id ELSE i.employer_id END AS other_id, e.display_name, i.score
             FROM pa_introductions i JOIN pa_entries e ON e.id = CASE WHEN i.employer_id = $1 THEN i.pa_id ELSE i.employer_id END
             WHERE i.employer_id = $1 OR i.pa_id = $1 ORDER BY i.introduced_on DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Introduction::try_from).collect()
    }

    /// The register counts of `000` (employers, PAs, introductions) from records.
    pub async fn pa_counts(&self, today: Date) -> Result<PaCounts> {
        let n = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool).await };
        let year_ago = today.checked_sub(jiff::Span::new().years(1)).unwrap_or(today);
        Ok(PaCounts {
            employers: n("SELECT COUNT(*) FROM pa_entries WHERE kind = 'employer' AND status = 'approved'").await?,
            pas: n("SELECT COUNT(*) FROM pa_entries WHERE kind = 'pa' AND status = 'approved'").await?,
            pending: n("SELECT COUNT(*) FROM pa_entries WHERE status = 'pending'").await?,
            introductions: n("SELECT COUNT(*) FROM pa_introductions").await?,
            introductions_12m: sqlx::query_scalar("SELECT COUNT(*) FROM pa_introductions WHERE introduced_on > $1")
                .bind(year_ago.to_string())
                .fetch_one(&self.pool)
                .await?,
        })
    }
}

// ----- public registration confirmed by email, and withdrawal by email (issue 17 item 10) -----

/// A link to be emailed: only the hash of its token is stored.
#[derive(Debug, Clone)]
pub struct EmailLink {
    pub token_hash: String,
    pub expires_at: String,
}

/// What became of a registration from the public form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicRegistration {
    /// Stored, waiting for its email address to be confirmed by the link.
    Registered {
        id: String,
    },
    /// The email address already has a live entry (or a link not yet used): nothing is stored
    /// and no email sent, and the person is told the same as for a new registration, so the
    /// form does not reveal who is on the register.
    AlreadyRegistered,
    Refused(CapReached),
}

/// What an emailed link leads to.
#[derive(Debug, Clone)]
pub enum LinkState {
    Valid(Box<PaEntry>),
    Expired,
    Used,
    Unknown,
}

/// What following a confirmation link did.
#[derive(Debug, Clone)]
pub enum Confirmation {
    Confirmed(Box<PaEntry>),
    /// The day's confirmed registrations are used up: the link still works tomorrow if it has
    /// not expired.
    Full,
    Link(LinkState),
}

const CONFIRM: &str = "confirm";
const LEAVE: &str = "leave";
/// Withdrawal links sent for one entry a day: enough for a lost email, not a mail flood.
const LEAVE_LINKS_PER_ENTRY_A_DAY: i64 = 3;

#[derive(sqlx::FromRow)]
struct LinkRow {
    entry_id: String,
    expires_at: String,
    used_at: Option<String>,
}

impl Store {
    /// Today's public registrations as the caps count them, for one address and one domain.
    pub async fn public_pa_counts(&self, day: Date, client_key: &str, domain: &str) -> Result<PublicCounts> {
        let mut conn = self.pool.acquire().await?;
        public_counts(&mut conn, day, client_key, domain).await
    }

    /// A registration from the public form: refused if a cap is reached, otherwise stored as
    /// waiting for email confirmation with its confirmation link, in one transaction with the
    /// audit row (the caps are counted inside it, so two registrations cannot both take the
    /// last place on SQLite; on PostgreSQL the count may be exceeded by concurrent requests).
    pub async fn register_pa_public(
        &self,
        e: &NewPaEntry,
        client_key: &str,
        caps: &PublicCaps,
        link: &EmailLink,
    ) -> Result<PublicRegistration> {
        let today = crate::today();
        let r = e.validated("public", today)?;
        let domain = email_domain(&r.email);
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pa_entries e WHERE e.email = $1 AND (e.status IN ('pending', 'approved')
               OR (e.status = 'unconfirmed' AND EXISTS (SELECT 1 FROM pa_email_links l WHERE l.entry_id = e.id
                   AND l.purpose = 'confirm' AND l.used_at IS NULL AND l.expires_at > $2)))",
        )
        .bind(&r.email)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        if live > 0 {
            return Ok(PublicRegistration::AlreadyRegistered);
        }
        if let Some(cap) = caps.reached(&public_counts(&mut tx, today, client_key, &domain).await?) {
            return Ok(PublicRegistration::Refused(cap));
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO pa_entries (id, kind, status, display_name, email, phone, outward_code, hours_per_week, slots, skills, languages, gender,
                gender_preference, driving, dbs_status, dbs_date, about, source, created_at, created_on, email_domain, client_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'public', $18, $19, $20, $21)",
        )
        .bind(&id)
        .bind(r.kind.as_str())
        .bind(PaStatus::Unconfirmed.as_str())
        .bind(&r.display_name)
        .bind(&r.email)
        .bind(r.phone.clone())
        .bind(&r.outward_code)
        .bind(r.hours_per_week)
        .bind(list_of(&r.profile.slots))
        .bind(list_of(&r.profile.skills))
        .bind(list_of(&r.profile.languages))
        .bind(r.profile.gender.clone())
        .bind(r.profile.gender_preference.clone())
        .bind(i64::from(r.profile.driving))
        .bind(r.dbs_status.clone())
        .bind(r.dbs_date.map(|d| d.to_string()))
        .bind(r.about.clone())
        .bind(&now)
        .bind(today.to_string())
        .bind(&domain)
        .bind(client_key)
        .execute(&mut *tx)
        .await?;
        insert_link(&mut tx, link, &id, CONFIRM, client_key, &now, today).await?;
        record(
            &mut tx,
            &Actor::system("PA register public form"),
            "create",
            "pa_entry",
            Some(&id),
            &format!("Registered on the PA register ({}, {})", r.kind, PaStatus::Unconfirmed),
            None,
            Some(&json!({"kind": r.kind, "status": PaStatus::Unconfirmed, "outward_code": r.outward_code, "source": "public"})),
        )
        .await?;
        tx.commit().await?;
        Ok(PublicRegistration::Registered { id })
    }

    /// Remove a public registration whose confirmation email could not be sent, so that
    /// nothing is left that no one can confirm.
    pub async fn discard_unconfirmed_pa(&self, id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM pa_email_links WHERE entry_id = $1").bind(id).execute(&mut *tx).await?;
        let gone = sqlx::query("DELETE FROM pa_entries WHERE id = $1 AND status = 'unconfirmed'").bind(id).execute(&mut *tx).await?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("unconfirmed PA register entry {id}")));
        }
        record(
            &mut tx,
            &Actor::system("PA register public form"),
            "delete",
            "pa_entry",
            Some(id),
            "Removed a registration whose confirmation email could not be sent",
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Where a confirmation or withdrawal link leads, without using it.
    pub async fn pa_email_link(&self, token_hash: &str, leave: bool) -> Result<LinkState> {
        let mut conn = self.pool.acquire().await?;
        let Some(row) = find_link(&mut conn, token_hash, if leave { LEAVE } else { CONFIRM }).await? else {
            return Ok(LinkState::Unknown);
        };
        let entry = self.pa_entry(&row.entry_id).await?;
        Ok(link_state(&row, entry, &now_timestamp()))
    }

    /// Follow a confirmation link: the entry waits for an officer's approval from now on,
    /// unless today's confirmed registrations have reached `per_day`.
    pub async fn confirm_pa_by_link(&self, token_hash: &str, per_day: i64) -> Result<Confirmation> {
        let now = now_timestamp();
        let today = crate::today();
        let mut tx = self.begin_write().await?;
        let Some(row) = find_link(&mut tx, token_hash, CONFIRM).await? else { return Ok(Confirmation::Link(LinkState::Unknown)) };
        let entry = entry_in(&mut tx, &row.entry_id).await?;
        let entry = match link_state(&row, entry, &now) {
            LinkState::Valid(e) => e,
            other => return Ok(Confirmation::Link(other)),
        };
        let status = match entry.status.confirm() {
            Ok(s) => s,
            Err(_) => return Ok(Confirmation::Link(LinkState::Used)),
        };
        let confirmed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pa_entries WHERE source = 'public' AND confirmed_on = $1")
            .bind(today.to_string())
            .fetch_one(&mut *tx)
            .await?;
        if confirmed >= per_day {
            return Ok(Confirmation::Full);
        }
        sqlx::query("UPDATE pa_entries SET status = $1, confirmed_at = $2, confirmed_on = $3 WHERE id = $4 AND status = 'unconfirmed'")
            .bind(status.as_str())
            .bind(&now)
            .bind(today.to_string())
            .bind(&entry.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE pa_email_links SET used_at = $1 WHERE token_hash = $2").bind(&now).bind(token_hash).execute(&mut *tx).await?;
        record(
            &mut tx,
            &Actor::system("PA register email link"),
            "update",
            "pa_entry",
            Some(&entry.id),
            "Confirmed the email address of a PA register entry",
            Some(&json!({"status": PaStatus::Unconfirmed})),
            Some(&json!({"status": status})),
        )
        .await?;
        tx.commit().await?;
        Ok(Confirmation::Confirmed(Box::new(PaEntry { status, ..*entry })))
    }

    /// Someone asks to leave the register: a withdrawal link for the live entry with this
    /// email address, or `None` when there is none or too many links were asked for today
    /// (the page says the same either way).
    pub async fn request_pa_leave(&self, email: &str, client_key: &str, per_address: i64, link: &EmailLink) -> Result<Option<PaEntry>> {
        let email = email.trim().to_lowercase();
        let now = now_timestamp();
        let today = crate::today();
        let mut tx = self.begin_write().await?;
        let id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM pa_entries WHERE email = $1 AND status IN ('unconfirmed', 'pending', 'approved') ORDER BY created_at DESC LIMIT 1",
        )
        .bind(&email)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else { return Ok(None) };
        let from_address: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM pa_email_links WHERE purpose = 'leave' AND created_on = $1 AND client_key = $2")
                .bind(today.to_string())
                .bind(client_key)
                .fetch_one(&mut *tx)
                .await?;
        let for_entry: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM pa_email_links WHERE purpose = 'leave' AND created_on = $1 AND entry_id = $2")
                .bind(today.to_string())
                .bind(&id)
                .fetch_one(&mut *tx)
                .await?;
        if from_address >= per_address || for_entry >= LEAVE_LINKS_PER_ENTRY_A_DAY {
            return Ok(None);
        }
        insert_link(&mut tx, link, &id, LEAVE, client_key, &now, today).await?;
        let entry = entry_in(&mut tx, &id).await?;
        record(
            &mut tx,
            &Actor::system("PA register leave form"),
            "create",
            "pa_email_link",
            Some(&id),
            "Sent a link to leave the PA register",
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(entry))
    }

    /// Follow a withdrawal link: the entry is withdrawn at its owner's request.
    pub async fn withdraw_pa_by_link(&self, token_hash: &str) -> Result<LinkState> {
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        let Some(row) = find_link(&mut tx, token_hash, LEAVE).await? else { return Ok(LinkState::Unknown) };
        let entry = entry_in(&mut tx, &row.entry_id).await?;
        let entry = match link_state(&row, entry, &now) {
            LinkState::Valid(e) => e,
            other => return Ok(other),
        };
        let Ok(reason) = entry.status.withdraw("Withdrawn by the registrant by email link") else { return Ok(LinkState::Used) };
        sqlx::query("UPDATE pa_entries SET status = $1, withdrawn_at = $2, withdrawn_reason = $3, version = version + 1 WHERE id = $4")
            .bind(PaStatus::Withdrawn.as_str())
            .bind(&now)
            .bind(&reason)
            .bind(&entry.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE pa_email_links SET used_at = $1 WHERE token_hash = $2").bind(&now).bind(token_hash).execute(&mut *tx).await?;
        record(
            &mut tx,
            &Actor::system("PA register email link"),
            "update",
            "pa_entry",
            Some(&entry.id),
            "Withdrew a PA register entry at the registrant's request",
            Some(&json!({"status": entry.status})),
            Some(&json!({"status": PaStatus::Withdrawn})),
        )
        .await?;
        tx.commit().await?;
        Ok(LinkState::Valid(Box::new(PaEntry { status: PaStatus::Withdrawn, withdrawn_reason: Some(reason), ..*entry })))
    }
}

fn link_state(row: &LinkRow, entry: PaEntry, now: &str) -> LinkState {
    if row.used_at.is_some() {
        LinkState::Used
    } else if row.expires_at.as_str() <= now {
        LinkState::Expired
    } else if entry.status == PaStatus::Withdrawn {
        LinkState::Used
    } else {
        LinkState::Valid(Box::new(entry))
    }
}

async fn find_link(conn: &mut sqlx::AnyConnection, token_hash: &str, purpose: &str) -> Result<Option<LinkRow>> {
    Ok(sqlx::query_as("SELECT entry_id, expires_at, used_at FROM pa_email_links WHERE token_hash = $1 AND purpose = $2")
        .bind(token_hash)
        .bind(purpose)
        .fetch_optional(&mut *conn)
        .await?)
}

async fn entry_in(conn: &mut sqlx::AnyConnection, id: &str) -> Result<PaEntry> {
    let r: PaRow = sqlx::query_as(AssertSqlSafe(format!("SELECT {PA_COLS} FROM pa_entries WHERE id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("PA register entry {id}")))?;
    r.try_into()
}

async fn insert_link(
    conn: &mut sqlx::AnyConnection,
    link: &EmailLink,
    entry_id: &str,
    purpose: &str,
    client_key: &str,
    now: &str,
    today: Date,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO pa_email_links (token_hash, entry_id, purpose, client_key, created_at, created_on, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&link.token_hash)
    .bind(entry_id)
    .bind(purpose)
    .bind(client_key)
    .bind(now)
    .bind(today.to_string())
    .bind(&link.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn public_counts(conn: &mut sqlx::AnyConnection, day: Date, client_key: &str, domain: &str) -> Result<PublicCounts> {
    let day = day.to_string();
    let row: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT
            (SELECT COUNT(*) FROM pa_entries WHERE source = 'public' AND confirmed_on = $1),
            (SELECT COUNT(*) FROM pa_entries WHERE source = 'public' AND created_on = $1),
            (SELECT COUNT(*) FROM pa_entries WHERE source = 'public' AND created_on = $1 AND client_key = $2),
            (SELECT COUNT(*) FROM pa_entries WHERE source = 'public' AND created_on = $1 AND email_domain = $3)",
    )
    .bind(&day)
    .bind(client_key)
    .bind(domain)
    .fetch_one(&mut *conn)
    .await?;
    Ok(PublicCounts { confirmed: row.0, sent: row.1, from_address: row.2, at_domain: row.3 })
}
