//! Care home vacancy returns (`000` "Accommodation with Care"): a home's beds occupied and
//! vacant by type on a day, and every home's latest return as at a date.

use crate::audit::{Actor, record};
use crate::query::SqlBuilder;
use crate::register::corrupt;
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::capacity::vacancies::{BedType, VacancyLine, validate_return};
use caremarket_core::register::{ContractStatus, RegistrationStatus, ServiceKind, Specialism};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// How a return arrived.
pub const SOURCES: [&str; 4] = ["officer", "portal", "api", "csv"];

#[derive(Debug, Clone)]
pub struct NewVacancyReturn {
    pub service_id: String,
    pub return_date: Date,
    pub lines: Vec<VacancyLine>,
    pub source: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct VacancyReturn {
    pub id: String,
    pub service_id: String,
    pub return_date: String,
    pub source: String,
    pub submitted_by: String,
    pub lines: Vec<VacancyLine>,
}

/// A care home with its latest return on or before a date.
#[derive(Debug, Clone, Serialize)]
pub struct HomeLatest {
    pub service_id: String,
    pub name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub area_id: Option<String>,
    pub area_name: Option<String>,
    pub beds: Option<i64>,
    pub contract_status: ContractStatus,
    pub dementia: bool,
    pub return_date: Option<String>,
    pub lines: Vec<VacancyLine>,
}

impl HomeLatest {
    pub fn on_framework(&self) -> bool {
        self.contract_status == ContractStatus::Framework
    }
    pub fn occupied(&self) -> i64 {
        self.lines.iter().map(|l| l.occupied).sum()
    }
    pub fn vacant(&self) -> i64 {
        self.lines.iter().map(|l| l.vacant).sum()
    }
}

impl Store {
    /// Record a care home's return for a date (replacing any earlier return for that date),
    /// after checking it against the home's registered beds. `today` is the council's today.
    pub async fn submit_vacancy_return(&self, actor: &Actor, r: &NewVacancyReturn, today: Date) -> Result<String> {
        let service =
            self.service(&r.service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a care home from the register"))?;
        if !service.kind.is_care_home() {
            return Err(StoreError::invalid(
                "service_id",
                format!("{} is not a care home: vacancy returns are for care homes", service.name),
            ));
        }
        validate_return(r.return_date, today, service.beds, &r.lines)?;
        let source = SOURCES.iter().find(|s| **s == r.source).copied().unwrap_or("officer");
        let mut tx = self.begin_write().await?;
        let old: Option<String> = sqlx::query_scalar("SELECT id FROM vacancy_returns WHERE service_id = $1 AND return_date = $2")
            .bind(&r.service_id)
            .bind(r.return_date.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(old) = &old {
            sqlx::query("DELETE FROM vacancy_return_lines WHERE return_id = $1").bind(old).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM vacancy_returns WHERE id = $1").bind(old).execute(&mut *tx).await?;
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO vacancy_returns (id, service_id, return_date, source, submitted_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(&r.service_id)
        .bind(r.return_date.to_string())
        .bind(source)
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        for l in &r.lines {
            sqlx::query("INSERT INTO vacancy_return_lines (return_id, bed_type, occupied, vacant) VALUES ($1, $2, $3, $4)")
                .bind(&id)
                .bind(l.bed_type.as_str())
                .bind(l.occupied)
                .bind(l.vacant)
                .execute(&mut *tx)
                .await?;
        }
        record(
            &mut tx,
            actor,
            if old.is_some() { "update" } else { "create" },
            "vacancy_return",
            Some(&id),
            &format!("Vacancy return for {} on {} ({source})", service.name, r.return_date),
            None,
            Some(&json!({"service_id": r.service_id, "return_date": r.return_date.to_string(), "lines": r.lines, "replaced": old})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A home's returns, newest first.
    pub async fn vacancy_returns_for_service(&self, service_id: &str) -> Result<Vec<VacancyReturn>> {
        let rows = sqlx::query_as::<_, ReturnLineRow>(
            "SELECT r.id, r.service_id, r.return_date, r.source, r.submitted_by, l.bed_type, l.occupied, l.vacant
             FROM vacancy_returns r LEFT JOIN vacancy_return_lines l ON l.return_id = r.id
             WHERE r.service_id = $1 ORDER BY r.return_date DESC, l.bed_type",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<VacancyReturn> = Vec::new();
        for r in rows {
            let line = r.line()?;
            if out.last().is_none_or(|x| x.id != r.id) {
                out.push(VacancyReturn {
                    id: r.id,
                    service_id: r.service_id,
                    return_date: r.return_date,
                    source: r.source,
                    submitted_by: r.submitted_by,
                    lines: Vec::new(),
                });
            }
            if let (Some(line), Some(last)) = (line, out.last_mut()) {
                last.lines.push(line);
            }
        }
        Ok(out)
    }

    /// Every active in-area care home with its latest return on or before `as_at` (homes that
    /// have never made one are included with no lines, so they can be flagged as stale).
    pub async fn latest_vacancy_returns(&self, as_at: Date) -> Result<Vec<HomeLatest>> {
        self.latest_vacancy_returns_of(as_at, None).await
    }

    /// [`Store::latest_vacancy_returns`] of the homes among `only`, when given (the kept
    /// early-warning scores rescore a few services at a time).
    pub(crate) async fn latest_vacancy_returns_of(&self, as_at: Date, only: Option<&[String]>) -> Result<Vec<HomeLatest>> {
        let mut homes = SqlBuilder::new(
            "SELECT s.id, s.name, s.provider_id, p.name AS provider_name, s.kind, s.area_id, a.name AS area_name, s.beds, s.contract_status,
                    (SELECT COUNT(*) FROM service_specialisms sp WHERE sp.service_id = s.id AND sp.specialism = ",
        );
        homes
            .push_bind(Specialism::Dementia.as_str())
            .push(
                ") AS dementia
             FROM services s JOIN providers p ON p.id = s.provider_id LEFT JOIN areas a ON a.id = s.area_id
             WHERE s.kind IN (",
            )
            .push_bind_list(ServiceKind::ALL.into_iter().filter(|k| k.is_care_home()).map(ServiceKind::as_str))
            .push(") AND s.in_area = 1 AND s.registration_status <> ")
            .push_bind(RegistrationStatus::Deregistered.as_str());
        if let Some(ids) = only {
            homes.and_in("s.id", ids.iter());
        }
        homes.push(" ORDER BY s.name, s.id");
        let homes: Vec<HomeRow> =
            if only.is_some_and(|ids| ids.is_empty()) { Vec::new() } else { homes.query_as().fetch_all(&self.pool).await? };
        // Each home's latest return date first, then its lines: one pass over the returns rather
        // than a correlated lookup per line (the capacity pages call this on every request).
        let mut lines = SqlBuilder::new("SELECT service_id, MAX(return_date) AS d FROM vacancy_returns WHERE return_date <= ");
        lines.push_bind(as_at.to_string());
        if let Some(ids) = only {
            lines.and_in("service_id", ids.iter());
        }
        let lines = lines.wrapped(
            "SELECT r.service_id, r.return_date, l.bed_type, l.occupied, l.vacant FROM (",
            " GROUP BY service_id) m
             JOIN vacancy_returns r ON r.service_id = m.service_id AND r.return_date = m.d
             JOIN vacancy_return_lines l ON l.return_id = r.id",
        );
        let lines: Vec<(String, String, String, i64, i64)> =
            if homes.is_empty() { Vec::new() } else { lines.query_as().fetch_all(&self.pool).await? };
        let mut by_service: BTreeMap<String, (String, Vec<VacancyLine>)> = BTreeMap::new();
        for (sid, date, bed_type, occupied, vacant) in lines {
            let e = by_service.entry(sid).or_insert_with(|| (date, Vec::new()));
            e.1.push(VacancyLine { bed_type: decode_bed_type(&bed_type)?, occupied, vacant });
        }
        homes
            .into_iter()
            .map(|h| {
                let latest = by_service.remove(&h.id);
                Ok(HomeLatest {
                    kind: ServiceKind::parse(&h.kind).ok_or_else(|| corrupt("services", "kind", &h.kind))?,
                    contract_status: ContractStatus::parse(&h.contract_status)
                        .ok_or_else(|| corrupt("services", "contract_status", &h.contract_status))?,
                    service_id: h.id,
                    name: h.name,
                    provider_id: h.provider_id,
                    provider_name: h.provider_name,
                    area_id: h.area_id,
                    area_name: h.area_name,
                    beds: h.beds,
                    dementia: h.dementia > 0,
                    return_date: latest.as_ref().map(|l| l.0.clone()),
                    lines: latest.map(|l| l.1).unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// A return with one of its lines (none for a return without lines).
#[derive(sqlx::FromRow)]
struct ReturnLineRow {
    id: String,
    service_id: String,
    return_date: String,
    source: String,
    submitted_by: String,
    bed_type: Option<String>,
    occupied: Option<i64>,
    vacant: Option<i64>,
}

impl ReturnLineRow {
    fn line(&self) -> Result<Option<VacancyLine>> {
        match &self.bed_type {
            None => Ok(None),
            Some(bt) => Ok(Some(VacancyLine {
                bed_type: decode_bed_type(bt)?,
                occupied: self.occupied.unwrap_or(0),
                vacant: self.vacant.unwrap_or(0),
            })),
        }
    }
}

/// A care home as the capacity pages list it.
#[derive(sqlx::FromRow)]
struct HomeRow {
    id: String,
    name: String,
    provider_id: String,
    provider_name: String,
    kind: String,
    area_id: Option<String>,
    area_name: Option<String>,
    beds: Option<i64>,
    contract_status: String,
    dementia: i64,
}

fn decode_bed_type(s: &str) -> Result<BedType> {
    BedType::parse(s).ok_or_else(|| corrupt("vacancy_return_lines", "bed_type", s))
}
