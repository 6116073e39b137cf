//! Home care package requests, offers, acceptance and starts (`004` model; `000` awaiting care).
//! A person appears only by case reference, and never in what a provider sees before it accepts.

use super::{parse_ts, ts_text};
use crate::approvals::PackageLimit;
use crate::audit::{Actor, record};
use crate::bulk::{Value, insert_rows};
use crate::query::SqlBuilder;
use crate::register::{Area, SERVICE_FROM, ServiceFilter, corrupt, decode_rating, order_by, where_clause};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::capacity::brokerage::{
    Assessment, Candidate, HighDependencyNeed, Lot, PackageShape, RatingRule, Route, eligible_providers, validate_package,
};
use caremarket_core::capacity::packages::{Answer, OfferStatus, PackageStatus, answer, check_offer, check_start};
use caremarket_core::direct_payments::valid_person_ref;
use caremarket_core::register::{ContractStatus, ServiceKind};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::HashMap;

pub const RATING_RULE_SETTING: &str = "brokerage_rating_rule";

#[derive(Debug, Clone)]
pub struct NewPackageRequest {
    pub person_ref: String,
    pub area_id: String,
    pub minutes_per_week: i64,
    pub visits_per_day: i64,
    pub visit_times: String,
    pub double_up_visits: i64,
    pub lot: Lot,
    pub needs: Vec<HighDependencyNeed>,
    pub language: Option<String>,
    pub cultural_needs: Option<String>,
    pub route: Route,
    pub requested_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Offer {
    pub id: String,
    pub request_id: String,
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub provider_name: String,
    /// offered, accepted, declined, withdrawn.
    pub status: String,
    pub offered_at: String,
    pub offered_by: String,
    pub responded_at: Option<String>,
    pub response_note: Option<String>,
    /// 1 when made in one "offer to every eligible provider" action.
    pub offered_to_all: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageRequest {
    pub id: String,
    pub person_ref: String,
    pub area_id: String,
    pub area_name: String,
    pub minutes_per_week: i64,
    pub visits_per_day: i64,
    pub visit_times: String,
    pub double_up_visits: i64,
    pub lot: Lot,
    pub needs: Vec<HighDependencyNeed>,
    pub language: Option<String>,
    pub cultural_needs: Option<String>,
    pub route: Route,
    pub requested_at: String,
    /// waiting, offered, accepted, started, cancelled.
    pub status: String,
    pub service_id: Option<String>,
    pub service_name: Option<String>,
    pub started_at: Option<String>,
    /// The officer working the request (a user id), their name, and since when.
    pub claimed_by: Option<String>,
    pub claimed_by_name: Option<String>,
    pub claimed_at: Option<String>,
    /// A second approver's approval of the package's weekly cost (money limits), when one was
    /// needed: who, when, and the cost approved (none when it was not known).
    pub approved_by_label: Option<String>,
    pub approved_at: Option<String>,
    pub approved_weekly_pence: Option<i64>,
    pub offers: Vec<Offer>,
}

impl PackageRequest {
    pub fn requested(&self) -> Result<Timestamp> {
        parse_ts("package_requests", "requested_at", &self.requested_at)
    }
    pub fn is_waiting(&self) -> bool {
        PackageStatus::parse(&self.status).is_some_and(PackageStatus::is_awaiting)
    }
    /// The stored status, read loudly.
    pub fn package_status(&self) -> Result<PackageStatus> {
        StoreError::decode("package_requests", "status", &self.status)
    }
}

/// What a provider sees of an offer made to it: the package, not the person.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderOffer {
    pub offer: Offer,
    pub area_name: String,
    pub minutes_per_week: i64,
    pub visits_per_day: i64,
    pub visit_times: String,
    pub double_up_visits: i64,
    pub lot: Lot,
    pub needs: Vec<HighDependencyNeed>,
    pub language: Option<String>,
    pub cultural_needs: Option<String>,
    pub route: Route,
    pub requested_at: String,
}

const REQUEST_SELECT: &str = "SELECT r.id, r.person_ref, r.area_id, a.name AS area_name, r.minutes_per_week, r.visits_per_day, r.visit_times,
    r.double_up_visits, r.lot, r.needs, r.language, r.cultural_needs, r.route, r.requested_at, r.status, r.service_id, s.name AS service_name, r.started_at,
    r.claimed_by, cu.display_name AS claimed_by_name, r.claimed_at, COALESCE(au.display_name, r.approved_by_label) AS approved_by_label, r.approved_at, r.approved_weekly_pence
    FROM package_requests r JOIN areas a ON a.id = r.area_id LEFT JOIN services s ON s.id = r.service_id
    LEFT JOIN users cu ON cu.id = r.claimed_by LEFT JOIN users au ON au.id = r.approved_by";

const OFFER_SELECT: &str = "SELECT o.id, o.request_id, o.service_id, s.name AS service_name, s.provider_id, p.name AS provider_name, o.status, o.offered_at,
    o.offered_by, o.responded_at, o.response_note, o.offered_to_all FROM package_offers o JOIN services s ON s.id = o.service_id JOIN providers p ON p.id = s.provider_id";

/// A package request as stored ([`REQUEST_SELECT`]).
#[derive(sqlx::FromRow)]
struct RequestRow {
    id: String,
    person_ref: String,
    area_id: String,
    area_name: String,
    minutes_per_week: i64,
    visits_per_day: i64,
    visit_times: String,
    double_up_visits: i64,
    lot: String,
    needs: String,
    language: Option<String>,
    cultural_needs: Option<String>,
    route: String,
    requested_at: String,
    status: String,
    service_id: Option<String>,
    service_name: Option<String>,
    started_at: Option<String>,
    claimed_by: Option<String>,
    claimed_by_name: Option<String>,
    claimed_at: Option<String>,
    approved_by_label: Option<String>,
    approved_at: Option<String>,
    approved_weekly_pence: Option<i64>,
}

impl TryFrom<RequestRow> for PackageRequest {
    type Error = StoreError;
    fn try_from(r: RequestRow) -> Result<Self> {
        let corrupt =
            |column: &'static str, value: &str| StoreError::Corrupt { table: "package_requests", column, value: value.to_string() };
        let needs = r
            .needs
            .split('|')
            .filter(|n| !n.is_empty())
            .map(|n| HighDependencyNeed::parse(n).ok_or_else(|| corrupt("needs", n)))
            .collect::<Result<Vec<_>>>()?;
        Ok(PackageRequest {
            lot: Lot::parse(&r.lot).ok_or_else(|| corrupt("lot", &r.lot))?,
            route: Route::parse(&r.route).ok_or_else(|| corrupt("route", &r.route))?,
            needs,
            id: r.id,
            person_ref: r.person_ref,
            area_id: r.area_id,
            area_name: r.area_name,
            minutes_per_week: r.minutes_per_week,
            visits_per_day: r.visits_per_day,
            visit_times: r.visit_times,
            double_up_visits: r.double_up_visits,
            language: r.language,
            cultural_needs: r.cultural_needs,
            requested_at: r.requested_at,
            status: r.status,
            service_id: r.service_id,
            service_name: r.service_name,
            started_at: r.started_at,
            claimed_by: r.claimed_by,
            claimed_by_name: r.claimed_by_name,
            claimed_at: r.claimed_at,
            approved_by_label: r.approved_by_label,
            approved_at: r.approved_at,
            approved_weekly_pence: r.approved_weekly_pence,
            offers: Vec::new(),
        })
    }
}

/// The columns of a request's row ([`request_row`]).
pub(crate) const REQUEST_COLUMNS: [&str; 21] = [
    "id",
    "person_ref",
    "area_id",
    "minutes_per_week",
    "visits_per_day",
    "visit_times",
    "double_up_visits",
    "lot",
    "needs",
    "language",
    "cultural_needs",
    "route",
    "requested_at",
    "status",
    "service_id",
    "started_at",
    "claimed_by",
    "claimed_at",
    "created_by",
    "created_at",
    "updated_at",
];

/// A request's row as it stands: one definition for [`Store::create_package_request`] (a new
/// request, waiting) and the bulk load (a request as its offers, answers and start left it).
pub(crate) fn request_row(r: &PackageRequest, created_by: &str, created_at: &str, updated_at: &str) -> Vec<Value> {
    vec![
        r.id.clone().into(),
        r.person_ref.clone().into(),
        r.area_id.clone().into(),
        r.minutes_per_week.into(),
        r.visits_per_day.into(),
        r.visit_times.clone().into(),
        r.double_up_visits.into(),
        r.lot.as_str().into(),
        r.needs.iter().map(|n| n.as_str()).collect::<Vec<_>>().join("|").into(),
        r.language.clone().into(),
        r.cultural_needs.clone().into(),
        r.route.as_str().into(),
        r.requested_at.clone().into(),
        r.status.clone().into(),
        r.service_id.clone().into(),
        r.started_at.clone().into(),
        r.claimed_by.clone().into(),
        r.claimed_at.clone().into(),
        created_by.into(),
        created_at.into(),
        updated_at.into(),
    ]
}

/// A new request as it will be stored (waiting, its case reference upper-cased, empty text
/// left out), or refused as [`Store::create_package_request`] refuses it: `area` is the area
/// it names, if there is one.
pub(crate) fn new_request(r: &NewPackageRequest, area: Option<&Area>, now: Timestamp) -> Result<PackageRequest> {
    if !valid_person_ref(&r.person_ref) {
        return Err(StoreError::invalid(
            "person_ref",
            "Enter the person's case reference (letters, numbers, - or /, up to 20 characters, with at least one number), not their name",
        ));
    }
    let Some(area) = area else {
        return Err(StoreError::invalid("area_id", "Choose the area the person lives in"));
    };
    validate_package(&PackageShape {
        minutes_per_week: r.minutes_per_week,
        visits_per_day: r.visits_per_day,
        double_up_visits_per_week: r.double_up_visits,
        lot: r.lot,
        needs: r.needs.clone(),
    })?;
    if r.requested_at > now + jiff::SignedDuration::from_mins(5) {
        return Err(StoreError::invalid("requested_at", "The date and time requested cannot be in the future"));
    }
    Ok(PackageRequest {
        id: new_id(),
        person_ref: r.person_ref.trim().to_uppercase(),
        area_id: area.id.clone(),
        area_name: area.name.clone(),
        minutes_per_week: r.minutes_per_week,
        visits_per_day: r.visits_per_day,
        visit_times: r.visit_times.trim().to_string(),
        double_up_visits: r.double_up_visits,
        lot: r.lot,
        needs: r.needs.clone(),
        language: r.language.clone().filter(|s| !s.trim().is_empty()),
        cultural_needs: r.cultural_needs.clone().filter(|s| !s.trim().is_empty()),
        route: r.route,
        requested_at: ts_text(r.requested_at),
        status: PackageStatus::Waiting.as_str().into(),
        service_id: None,
        service_name: None,
        started_at: None,
        claimed_by: None,
        claimed_by_name: None,
        claimed_at: None,
        approved_by_label: None,
        approved_at: None,
        approved_weekly_pence: None,
        offers: Vec::new(),
    })
}

/// The columns of an offer's row ([`offer_row`]).
pub(crate) const OFFER_COLUMNS: [&str; 9] =
    ["id", "request_id", "service_id", "status", "offered_at", "offered_by", "responded_at", "response_note", "offered_to_all"];

/// An offer's row as it stands: one definition for the offers made one at a time, to all at
/// once, and in the bulk load (answered there as the answers left it).
pub(crate) fn offer_row(o: &Offer) -> Vec<Value> {
    vec![
        o.id.clone().into(),
        o.request_id.clone().into(),
        o.service_id.clone().into(),
        o.status.clone().into(),
        o.offered_at.clone().into(),
        o.offered_by.clone().into(),
        o.responded_at.clone().into(),
        o.response_note.clone().into(),
        o.offered_to_all.into(),
    ]
}

/// A new offer of request `request_id` to the candidate's service, open, made at `at` by `by`.
pub(crate) fn new_offer(request_id: &str, c: &Candidate, at: &str, by: &str, to_all: bool) -> Offer {
    Offer {
        id: new_id(),
        request_id: request_id.into(),
        service_id: c.service_id.clone(),
        service_name: c.name.clone(),
        provider_id: c.provider_id.clone(),
        provider_name: c.provider_name.clone(),
        status: OfferStatus::Offered.as_str().into(),
        offered_at: at.into(),
        offered_by: by.into(),
        responded_at: None,
        response_note: None,
        offered_to_all: i64::from(to_all),
    }
}

/// The assessment of `service_id` in `list` if `req` may be offered to it: the package not yet
/// placed and the service eligible (refused with every reason it is not).
fn eligible_in<'a>(req: &PackageRequest, list: &'a [Assessment], service_id: &str) -> Result<&'a Assessment> {
    check_offer(req.package_status()?)?;
    let Some(a) = list.iter().find(|a| a.candidate.service_id == service_id) else {
        return Err(StoreError::invalid("service_id", "Choose a home care service from the list"));
    };
    if !a.eligible {
        return Err(StoreError::invalid(
            "service_id",
            format!("{} cannot be offered this package: {}", a.candidate.name, a.reasons.join("; ")),
        ));
    }
    Ok(a)
}

/// As [`eligible_in`], with `assessed` made before some of `req`'s offers: a service offered
/// `req` since may not be offered it again ([`Store::offer_package_assessed`]).
pub(crate) fn offerable_as_assessed<'a>(req: &PackageRequest, assessed: &'a [Assessment], service_id: &str) -> Result<&'a Assessment> {
    let already =
        req.offers.iter().any(|o| o.service_id == service_id && OfferStatus::parse(&o.status).is_some_and(OfferStatus::counts_as_offered));
    if already {
        return Err(StoreError::invalid("service_id", "This service has already been offered this package"));
    }
    eligible_in(req, assessed, service_id)
}

/// What answering `offer` (as `req` has it) changes, or why it cannot be answered
/// ([`Store::respond_to_offer`]).
pub(crate) fn check_answer(req: &PackageRequest, offer: &Offer, accept: bool) -> Result<Answer> {
    let offer_status = StoreError::decode::<OfferStatus>("package_offers", "status", &offer.status)?;
    if offer_status == OfferStatus::Withdrawn {
        return Err(withdrawn_error(offer));
    }
    let other_open = req.offers.iter().filter(|o| o.status == OfferStatus::Offered.as_str() && o.id != offer.id).count();
    Ok(answer(offer_status, req.package_status()?, accept, other_open)?)
}

/// A provider's note with an answer, as stored: trimmed, none when empty.
pub(crate) fn response_note(note: Option<&str>) -> Option<String> {
    note.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Whether `req` may start at `started_at` ([`Store::start_package`]): accepted, not before the
/// request nor in the future, and within the officer's limit unless a second approver approved it.
pub(crate) fn check_package_start(req: &PackageRequest, started_at: Timestamp, now: Timestamp, limit: &PackageLimit) -> Result<()> {
    check_start(req.package_status()?, req.requested()?, started_at, now)?;
    if req.approved_at.is_none() {
        limit.check(req, crate::today())?;
    }
    Ok(())
}

impl Store {
    /// The council's rating rule for offers (default: `004` §4.8(a)).
    pub async fn rating_rule(&self) -> Result<RatingRule> {
        match self.setting(RATING_RULE_SETTING).await? {
            Some(s) => serde_json::from_str(&s).map_err(|_| StoreError::Corrupt {
                table: "settings",
                column: "brokerage_rating_rule",
                value: s.clone(),
            }),
            None => Ok(RatingRule::default()),
        }
    }

    /// Change the council's rating rule for offers from a form opened at `expected` (refused
    /// with `Stale` if saved since, decision 25), audited (the setting's before and after).
    pub async fn set_rating_rule(&self, actor: &Actor, rule: &RatingRule, expected: caremarket_core::versions::Version) -> Result<()> {
        let s = serde_json::to_string(rule).map_err(|e| StoreError::invalid("rule", e.to_string()))?;
        self.set_setting_at(actor, RATING_RULE_SETTING, &s, expected).await
    }

    pub async fn create_package_request(&self, actor: &Actor, r: &NewPackageRequest, now: Timestamp) -> Result<String> {
        let areas = self.areas().await?;
        let req = new_request(r, areas.iter().find(|a| a.id == r.area_id), now)?;
        let id = req.id.clone();
        let stamp = now_timestamp();
        let mut tx = self.begin_write().await?;
        insert_rows(&mut tx, "package_requests", &REQUEST_COLUMNS, vec![request_row(&req, &actor.label, &stamp, &stamp)]).await?;
        // The audit names the package, not the person.
        record(
            &mut tx,
            actor,
            "create",
            "package_request",
            Some(&id),
            &format!("Package request ({}, {} lot)", r.route.label(), r.lot.label()),
            None,
            Some(&json!({"area_id": r.area_id, "minutes_per_week": r.minutes_per_week, "lot": r.lot.as_str(), "route": r.route.as_str()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn package_request(&self, id: &str) -> Result<PackageRequest> {
        let mut r: PackageRequest = sqlx::query_as::<_, RequestRow>(AssertSqlSafe(format!("{REQUEST_SELECT} WHERE r.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("package request {id}")))?
            .try_into()?;
        r.offers = sqlx::query_as::<_, Offer>(AssertSqlSafe(format!("{OFFER_SELECT} WHERE o.request_id = $1 ORDER BY o.offered_at, o.id")))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(r)
    }

    /// Requests by state: "waiting" (not yet started: the awaiting care list, oldest first),
    /// "started", or everything.
    pub async fn package_requests(&self, which: &str) -> Result<Vec<PackageRequest>> {
        let mut q = SqlBuilder::new(REQUEST_SELECT);
        match which {
            "waiting" => {
                let awaiting = PackageStatus::ALL.into_iter().filter(|s| s.is_awaiting()).map(PackageStatus::as_str);
                q.push(" WHERE r.status IN (").push_bind_list(awaiting).push(") ORDER BY r.requested_at, r.id");
            }
            "started" => {
                q.push(" WHERE r.status = ").push_bind(PackageStatus::Started.as_str()).push(" ORDER BY r.started_at DESC, r.id");
            }
            _ => {
                q.push(" ORDER BY r.requested_at DESC, r.id");
            }
        }
        let rows: Vec<RequestRow> = q.query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(PackageRequest::try_from).collect()
    }

    /// Hospital discharge packages requested from `from` to `to` inclusive (not cancelled).
    pub async fn discharge_packages(&self, from: Date, to: Date) -> Result<Vec<PackageRequest>> {
        let start = ts_text(
            from.to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC))
                .map_err(|e| StoreError::invalid("from", e.to_string()))?
                .timestamp(),
        );
        let end_day = to.tomorrow().map_err(|e| StoreError::invalid("to", e.to_string()))?;
        let end = ts_text(
            end_day
                .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC))
                .map_err(|e| StoreError::invalid("to", e.to_string()))?
                .timestamp(),
        );
        let rows = sqlx::query_as::<_, RequestRow>(AssertSqlSafe(format!(
            "{REQUEST_SELECT} WHERE r.route = $3 AND r.status <> $4 AND r.requested_at >= $1 AND r.requested_at < $2 ORDER BY r.requested_at, r.id"
        )))
        .bind(start)
        .bind(end)
        .bind(Route::HospitalDischarge.as_str())
        .bind(PackageStatus::Cancelled.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(PackageRequest::try_from).collect()
    }

    /// Every home care service that might be offered `req`, with what the rule needs to know.
    pub async fn request_candidates(&self, req: &PackageRequest, today: Date) -> Result<Vec<Candidate>> {
        Ok(self.market_facts(today).await?.candidates(&req.area_id, req.lot, &req.offers))
    }

    /// Every candidate assessed against the council's rule: eligible framework providers first.
    /// Everything it depends on is read afresh, so the brokerage officer's page is never stale.
    pub async fn eligible_providers(&self, req: &PackageRequest, today: Date) -> Result<Vec<Assessment>> {
        Ok(self.brokerage_market(today).await?.assess(req))
    }

    /// What every request's assessment on `today` reads, read once (see [`BrokerageMarket`]).
    pub async fn brokerage_market(&self, today: Date) -> Result<BrokerageMarket> {
        let rule = self.rating_rule().await?;
        let facts = self.market_facts(today).await?;
        Ok(BrokerageMarket { facts, rule })
    }

    async fn market_facts(&self, today: Date) -> Result<MarketFacts> {
        // Every home care service in any area that is not deregistered, as the register's own
        // filter and order select them, with only the columns a candidate needs: the full
        // service record of every home care service on every offer was most of the cost of
        // brokerage at a national register's size.
        let filter = ServiceFilter { kinds: vec![ServiceKind::HomeCare], any_area: true, ..Default::default() };
        let all: Vec<CandidateRow> = where_clause(&filter)
            .wrapped(
                &format!(
                    "SELECT s.id, s.provider_id, p.name AS provider_name, s.name, s.contract_status, l.name AS lot_name,
                            s.registration_status, s.rating_overall, s.rating_well_led, s.rating_date, s.last_inspection_date{SERVICE_FROM}"
                ),
                &order_by(None),
            )
            .query_as::<CandidateRow>()
            .fetch_all(&self.pool)
            .await?;
        let services = all
            .into_iter()
            .map(|s| {
                let contract_status =
                    ContractStatus::parse(&s.contract_status).ok_or_else(|| corrupt("services", "contract_status", &s.contract_status))?;
                let overall = decode_rating("services", "rating_overall", s.rating_overall.as_deref())?;
                let well_led = decode_rating("services", "rating_well_led", s.rating_well_led.as_deref())?;
                Ok(Candidate {
                    already_offered: false,
                    lot: if contract_status == ContractStatus::Framework {
                        s.lot_name.as_deref().and_then(Lot::from_lot_name)
                    } else {
                        None
                    },
                    registered: s.registration_status == "registered",
                    overall,
                    well_led,
                    inspected: s.last_inspection_date.is_some() || s.rating_date.is_some() || overall.is_some_and(|r| r.is_grade()),
                    restriction: None,
                    spare_minutes_in_area: 0,
                    contract_status,
                    service_id: s.id,
                    provider_id: s.provider_id,
                    name: s.name,
                    provider_name: s.provider_name,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Each service's first restriction, and its spare minutes by area and lot, found once:
        // looked up per service, they made every request cost services x declarations.
        let mut restriction_of: HashMap<String, String> = HashMap::new();
        for r in self.restrictions(Some(today)).await? {
            let described = r.describe();
            restriction_of.entry(r.service_id).or_insert(described);
        }
        let mut spare: HashMap<(String, String), HashMap<String, i64>> = HashMap::new();
        for d in self.spare_capacity().await? {
            if d.unit != "minutes" {
                continue;
            }
            let Some(area) = d.area_id else { continue };
            *spare.entry((area, d.category)).or_default().entry(d.service_id).or_default() += d.amount;
        }
        Ok(MarketFacts { services, restriction_of, spare })
    }

    /// Offer a request to a service. Refused, with every reason, if the service is not eligible.
    pub async fn offer_package(&self, actor: &Actor, request_id: &str, service_id: &str, today: Date) -> Result<String> {
        let req = self.package_request(request_id).await?;
        let list = self.eligible_providers(&req, today).await?;
        let a = eligible_in(&req, &list, service_id)?;
        self.write_offer(actor, &req, a).await
    }

    /// As [`Store::offer_package`], with the candidates as `eligible_providers` assessed them
    /// for this request a moment ago (the demo, which offers one request two or three times in a
    /// row, keeps them between its offers instead of assessing every candidate again). The
    /// request and its offers are read again here; `assessed` must be this request's own
    /// assessment, made since its last offer was answered.
    pub async fn offer_package_assessed(
        &self,
        actor: &Actor,
        request_id: &str,
        assessed: &[Assessment],
        service_id: &str,
    ) -> Result<String> {
        let req = self.package_request(request_id).await?;
        let a = offerable_as_assessed(&req, assessed, service_id)?;
        self.write_offer(actor, &req, a).await
    }

    async fn write_offer(&self, actor: &Actor, req: &PackageRequest, a: &Assessment) -> Result<String> {
        let request_id = req.id.as_str();
        let service_id = a.candidate.service_id.as_str();
        let now = now_timestamp();
        let offer = new_offer(request_id, &a.candidate, &now, &actor.label, false);
        let mut tx = self.begin_write().await?;
        hold_claim(&mut tx, actor, req, &now).await?;
        insert_rows(&mut tx, "package_offers", &OFFER_COLUMNS, vec![offer_row(&offer)]).await?;
        let moved = sqlx::query("UPDATE package_requests SET status = $3, updated_at = $1 WHERE id = $2 AND status IN ($4, $5)")
            .bind(&now)
            .bind(request_id)
            .bind(PackageStatus::Offered.as_str())
            .bind(PackageStatus::Waiting.as_str())
            .bind(PackageStatus::Offered.as_str())
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() == 0 {
            return Err(StoreError::invalid("service_id", "This package has just been placed: it cannot be offered"));
        }
        record(
            &mut tx,
            actor,
            "create",
            "package_offer",
            Some(&offer.id),
            &format!("Offered package to {}", a.candidate.name),
            None,
            Some(&json!({"request_id": request_id, "service_id": service_id})),
        )
        .await?;
        tx.commit().await?;
        Ok(offer.id)
    }

    pub async fn offer(&self, offer_id: &str) -> Result<Offer> {
        sqlx::query_as::<_, Offer>(AssertSqlSafe(format!("{OFFER_SELECT} WHERE o.id = $1")))
            .bind(offer_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("offer {offer_id}")))
    }

    /// Record a provider's answer. `as_provider`: when a provider user answers, their provider,
    /// which must be the one the offer was made to (else "not found").
    pub async fn respond_to_offer(
        &self,
        actor: &Actor,
        offer_id: &str,
        accept: bool,
        note: Option<&str>,
        as_provider: Option<&str>,
    ) -> Result<()> {
        let offer = self.offer(offer_id).await?;
        if let Some(p) = as_provider
            && p != offer.provider_id
        {
            return Err(StoreError::NotFound(format!("offer {offer_id}")));
        }
        let req = self.package_request(&offer.request_id).await?;
        // The request is read after the offer, outside a transaction: another provider's
        // acceptance may have committed in between, placing the package and withdrawing this
        // offer. The request's copy of the offer is the later one, so it decides.
        let offer = req.offers.iter().find(|o| o.id == offer_id).cloned().unwrap_or(offer);
        let answer = check_answer(&req, &offer, accept)?;
        let status = answer.offer.as_str();
        let now = now_timestamp();
        let open = [PackageStatus::Waiting.as_str(), PackageStatus::Offered.as_str()];
        let mut tx = self.begin_write().await?;
        // An officer recording a provider's answer works the request: they must hold it (or it
        // is claimed for them). A provider answering in the portal needs no claim.
        if as_provider.is_none() {
            hold_claim(&mut tx, actor, &req, &now).await?;
        }
        // The request's row is written first, by every answer, so that two answers to offers of
        // the same package queue on it (PostgreSQL's row lock; SQLite's write lock) and cannot
        // deadlock. Accepting is conditional on the package still being open: of two providers
        // accepting at the same moment, the second finds it placed and is refused.
        let placed = if answer.request == Some(PackageStatus::Accepted) {
            sqlx::query("UPDATE package_requests SET status = $4, service_id = $1, updated_at = $2 WHERE id = $3 AND status IN ($5, $6)")
                .bind(&offer.service_id)
                .bind(&now)
                .bind(&offer.request_id)
                .bind(PackageStatus::Accepted.as_str())
                .bind(open[0])
                .bind(open[1])
                .execute(&mut *tx)
                .await?
        } else {
            sqlx::query("UPDATE package_requests SET updated_at = $1 WHERE id = $2")
                .bind(&now)
                .bind(&offer.request_id)
                .execute(&mut *tx)
                .await?
        };
        if placed.rows_affected() == 0 {
            return Err(StoreError::invalid(
                "response",
                "Another provider accepted this package first: your offer has been withdrawn and nothing was changed",
            ));
        }
        let answered =
            sqlx::query("UPDATE package_offers SET status = $1, responded_at = $2, response_note = $3 WHERE id = $4 AND status = $5")
                .bind(status)
                .bind(&now)
                .bind(response_note(note))
                .bind(offer_id)
                .bind(OfferStatus::Offered.as_str())
                .execute(&mut *tx)
                .await?;
        if answered.rows_affected() == 0 {
            drop(tx);
            let now_offer = self.offer(offer_id).await?;
            return Err(if now_offer.status == OfferStatus::Withdrawn.as_str() {
                withdrawn_error(&now_offer)
            } else {
                StoreError::invalid("response", format!("This offer has already been {}", now_offer.status))
            });
        }
        if answer.withdraw_other_offers {
            sqlx::query("UPDATE package_offers SET status = $4, responded_at = $1 WHERE request_id = $2 AND id <> $3 AND status = $5")
                .bind(&now)
                .bind(&offer.request_id)
                .bind(offer_id)
                .bind(OfferStatus::Withdrawn.as_str())
                .bind(OfferStatus::Offered.as_str())
                .execute(&mut *tx)
                .await?;
        } else {
            // Declining the last open offer puts the package back to waiting.
            sqlx::query(
                "UPDATE package_requests SET status = $1 WHERE id = $2 AND status = $3
                 AND NOT EXISTS (SELECT 1 FROM package_offers WHERE request_id = $2 AND status = $3)",
            )
            .bind(PackageStatus::Waiting.as_str())
            .bind(&offer.request_id)
            .bind(OfferStatus::Offered.as_str())
            .execute(&mut *tx)
            .await?;
        }
        record(
            &mut tx,
            actor,
            "update",
            "package_offer",
            Some(offer_id),
            &format!("{} {} the package offer", offer.service_name, status),
            Some(&json!({"status": "offered"})),
            Some(&json!({"status": status, "request_id": offer.request_id})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The package started with the accepted provider at `started_at` (not before the request,
    /// not in the future).
    pub async fn start_package(&self, actor: &Actor, request_id: &str, started_at: Timestamp, now: Timestamp) -> Result<()> {
        let req = self.package_request(request_id).await?;
        check_package_start(&req, started_at, now, &self.package_limit(actor).await?)?;
        let mut tx = self.begin_write().await?;
        hold_claim(&mut tx, actor, &req, &now_timestamp()).await?;
        // Care has started: no one works the request any more.
        sqlx::query(
            "UPDATE package_requests SET status = $4, started_at = $1, updated_at = $2, claimed_by = NULL, claimed_at = NULL WHERE id = $3",
        )
        .bind(ts_text(started_at))
        .bind(now_timestamp())
        .bind(request_id)
        .bind(PackageStatus::Started.as_str())
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "update",
            "package_request",
            Some(request_id),
            "Package started",
            Some(&json!({"status": req.status})),
            Some(&json!({"status": "started", "started_at": ts_text(started_at)})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The offers made to a provider's services, newest first, without the person's reference.
    pub async fn offers_for_provider(&self, provider_id: &str) -> Result<Vec<ProviderOffer>> {
        let rows =
            sqlx::query_as::<_, Offer>(AssertSqlSafe(format!("{OFFER_SELECT} WHERE s.provider_id = $1 ORDER BY o.offered_at DESC, o.id")))
                .bind(provider_id)
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::new();
        for offer in rows {
            if offer.provider_id != provider_id {
                continue;
            }
            let r = self.package_request(&offer.request_id).await?;
            out.push(ProviderOffer {
                offer,
                area_name: r.area_name,
                minutes_per_week: r.minutes_per_week,
                visits_per_day: r.visits_per_day,
                visit_times: r.visit_times,
                double_up_visits: r.double_up_visits,
                lot: r.lot,
                needs: r.needs,
                language: r.language,
                cultural_needs: r.cultural_needs,
                route: r.route,
                requested_at: r.requested_at,
            });
        }
        Ok(out)
    }
}

/// A stored timestamp as a person in England reads it: "4 December 2026 at 17:05".
fn uk_time(ts: &str) -> String {
    ts.parse::<Timestamp>()
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC))
                .strftime("%-d %B %Y at %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| ts.to_string())
}

fn withdrawn_error(offer: &Offer) -> StoreError {
    let when = offer.responded_at.as_deref().map(|t| format!(" on {}", uk_time(t))).unwrap_or_default();
    StoreError::invalid("response", format!("This offer was withdrawn{when}: another provider accepted the package first"))
}

/// Who holds a request now, read inside the transaction that is about to change it.
async fn current_claim(tx: &mut sqlx::Transaction<'static, sqlx::Any>, request_id: &str) -> Result<Option<(String, String, String)>> {
    let row: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT r.claimed_by, u.display_name, r.claimed_at FROM package_requests r LEFT JOIN users u ON u.id = r.claimed_by WHERE r.id = $1",
    )
    .bind(request_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((by, name, at)) = row else { return Err(StoreError::NotFound(format!("package request {request_id}"))) };
    Ok(by.map(|by| (by, name.unwrap_or_else(|| "another officer".into()), at.unwrap_or_default())))
}

fn held_by_other(name: &str, since: &str) -> StoreError {
    StoreError::invalid(
        "claim",
        format!("{name} is working on this request (since {}): take it over from them before changing it", uk_time(since)),
    )
}

/// What a change to a request does to its claim ([`hold_claim`]'s rule, decision 40).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimOnChange<'a> {
    /// The claim stays as it is: the officer's own, or none for a change without a signed-in user.
    Kept,
    /// An unclaimed request is claimed for the officer changing it.
    ClaimedBy(&'a str),
    /// Someone else holds it: the change is refused.
    HeldByOther,
}

/// The officer changing a request must hold it: a change by an officer is work on it, so an
/// unclaimed request is claimed for them, and one held by someone else is refused. A change
/// made without a signed-in user (the demo, an import) is refused only when an officer holds it.
pub(crate) fn claim_on_change<'a>(actor: &'a Actor, holder: Option<&str>) -> ClaimOnChange<'a> {
    match (actor.user_id.as_deref(), holder) {
        (None, None) => ClaimOnChange::Kept,
        (Some(user), Some(h)) if user == h => ClaimOnChange::Kept,
        (Some(user), None) => ClaimOnChange::ClaimedBy(user),
        _ => ClaimOnChange::HeldByOther,
    }
}

/// [`claim_on_change`] inside the transaction about to change `req`, nothing written when refused.
async fn hold_claim(tx: &mut sqlx::Transaction<'static, sqlx::Any>, actor: &Actor, req: &PackageRequest, now: &str) -> Result<()> {
    let current = current_claim(tx, &req.id).await?;
    let user = match claim_on_change(actor, current.as_ref().map(|(by, _, _)| by.as_str())) {
        ClaimOnChange::Kept => return Ok(()),
        ClaimOnChange::ClaimedBy(user) => user,
        ClaimOnChange::HeldByOther => {
            let (_, name, since) = current.unwrap_or_default();
            return Err(held_by_other(&name, &since));
        }
    };
    // Conditional: another officer's claim committed since it was read wins.
    let held = sqlx::query("UPDATE package_requests SET claimed_by = $1, claimed_at = $2 WHERE id = $3 AND claimed_by IS NULL")
        .bind(user)
        .bind(now)
        .bind(&req.id)
        .execute(&mut **tx)
        .await?;
    if held.rows_affected() == 0 {
        let (_, name, since) = current_claim(tx, &req.id).await?.unwrap_or_default();
        return Err(held_by_other(&name, &since));
    }
    record(
        tx,
        actor,
        "update",
        "package_request",
        Some(&req.id),
        "Claimed the request",
        Some(&json!({"claimed_by": null})),
        Some(&json!({"claimed_by": user})),
    )
    .await?;
    Ok(())
}

/// One line of a request's history: who did what, when (from the audit log).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RequestEvent {
    pub at: String,
    pub who: String,
    pub summary: String,
}

impl Store {
    /// Claim a request to work on it. Refused if someone else holds it (they are named) or the
    /// package is no longer waiting; claiming one's own request again changes nothing.
    pub async fn claim_request(&self, actor: &Actor, request_id: &str) -> Result<()> {
        let req = self.package_request(request_id).await?;
        let Some(user) = actor.user_id.as_deref() else {
            return Err(StoreError::invalid("claim", "Sign in as an officer to claim a request"));
        };
        if !req.is_waiting() {
            return Err(StoreError::invalid("claim", format!("This package is {}: there is nothing left to work on", req.status)));
        }
        if req.claimed_by.as_deref() == Some(user) {
            return Ok(());
        }
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE package_requests SET claimed_by = $1, claimed_at = $2 WHERE id = $3 AND claimed_by IS NULL")
            .bind(user)
            .bind(&now)
            .bind(request_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            let (_, name, since) = current_claim(&mut tx, request_id).await?.unwrap_or_default();
            return Err(held_by_other(&name, &since));
        }
        record(
            &mut tx,
            actor,
            "update",
            "package_request",
            Some(request_id),
            "Claimed the request",
            Some(&json!({"claimed_by": null})),
            Some(&json!({"claimed_by": user})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Take a request over from the officer holding it, `from` (the user id the officer saw on
    /// the page: if it has changed hands since, nothing happens and they are told who has it).
    pub async fn take_over_request(&self, actor: &Actor, request_id: &str, from: &str) -> Result<()> {
        let req = self.package_request(request_id).await?;
        let Some(user) = actor.user_id.as_deref() else {
            return Err(StoreError::invalid("claim", "Sign in as an officer to take over a request"));
        };
        if !req.is_waiting() {
            return Err(StoreError::invalid("claim", format!("This package is {}: there is nothing left to work on", req.status)));
        }
        let mut tx = self.begin_write().await?;
        let Some((holder, name, since)) = current_claim(&mut tx, request_id).await? else {
            return Err(StoreError::invalid("claim", "No one is working on this request now: claim it instead"));
        };
        if holder == user {
            return Err(StoreError::invalid("claim", "You are already working on this request"));
        }
        if holder != from {
            return Err(StoreError::invalid(
                "claim",
                format!("{name} has taken this request since you opened it (at {}): look again before taking it over", uk_time(&since)),
            ));
        }
        let now = now_timestamp();
        let done = sqlx::query("UPDATE package_requests SET claimed_by = $1, claimed_at = $2 WHERE id = $3 AND claimed_by = $4")
            .bind(user)
            .bind(&now)
            .bind(request_id)
            .bind(&holder)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::invalid("claim", "The request changed hands as you took it over: look again"));
        }
        record(
            &mut tx,
            actor,
            "update",
            "package_request",
            Some(request_id),
            &format!("Took the request over from {name}"),
            Some(&json!({"claimed_by": holder})),
            Some(&json!({"claimed_by": user})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The officer holding a request lets it go (only they can: another officer takes it over).
    pub async fn release_request(&self, actor: &Actor, request_id: &str) -> Result<()> {
        self.package_request(request_id).await?;
        let Some(user) = actor.user_id.as_deref() else {
            return Err(StoreError::invalid("claim", "Sign in as the officer working on the request to release it"));
        };
        let mut tx = self.begin_write().await?;
        match current_claim(&mut tx, request_id).await? {
            None => return Err(StoreError::invalid("claim", "No one is working on this request")),
            Some((holder, name, since)) if holder != user => return Err(held_by_other(&name, &since)),
            Some(_) => {}
        }
        sqlx::query("UPDATE package_requests SET claimed_by = NULL, claimed_at = NULL WHERE id = $1 AND claimed_by = $2")
            .bind(request_id)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "package_request",
            Some(request_id),
            "Released the request",
            Some(&json!({"claimed_by": user})),
            Some(&json!({"claimed_by": null})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Offer a request to every eligible provider not yet offered it, in one transaction. The
    /// officer confirmed `expected` providers: if the list has changed since, nothing is offered
    /// and they are told. Returns how many were offered.
    pub async fn offer_to_all(&self, actor: &Actor, request_id: &str, expected: Option<usize>, today: Date) -> Result<usize> {
        let req = self.package_request(request_id).await?;
        check_offer(req.package_status()?)
            .map_err(|_| StoreError::invalid("offer_all", format!("This package is {}: it cannot be offered", req.status)))?;
        let list = self.eligible_providers(&req, today).await?;
        let eligible: Vec<_> = list.iter().filter(|a| a.eligible).collect();
        if eligible.is_empty() {
            return Err(StoreError::invalid("offer_all", "No provider is eligible for this package: see all providers for the reasons"));
        }
        if let Some(n) = expected
            && n != eligible.len()
        {
            return Err(StoreError::invalid(
                "offer_all",
                format!(
                    "The eligible providers changed from {n} to {} since the page was opened: check the list and confirm again",
                    eligible.len()
                ),
            ));
        }
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        hold_claim(&mut tx, actor, &req, &now).await?;
        let moved = sqlx::query("UPDATE package_requests SET status = $3, updated_at = $1 WHERE id = $2 AND status IN ($4, $5)")
            .bind(&now)
            .bind(request_id)
            .bind(PackageStatus::Offered.as_str())
            .bind(PackageStatus::Waiting.as_str())
            .bind(PackageStatus::Offered.as_str())
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() == 0 {
            return Err(StoreError::invalid("offer_all", "This package has just been placed: it cannot be offered"));
        }
        let offers = eligible.iter().map(|a| offer_row(&new_offer(request_id, &a.candidate, &now, &actor.label, true))).collect();
        insert_rows(&mut tx, "package_offers", &OFFER_COLUMNS, offers).await?;
        let n = eligible.len();
        record(
            &mut tx,
            actor,
            "create",
            "package_request",
            Some(request_id),
            &format!("Offered the package to all {n} eligible provider{}", if n == 1 { "" } else { "s" }),
            None,
            Some(&json!({"service_ids": eligible.iter().map(|a| a.candidate.service_id.as_str()).collect::<Vec<_>>()})),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// A request's history, oldest first: its creation, claims, take-overs and releases, offers
    /// and answers, and start, with the name of who did each.
    pub async fn request_history(&self, request_id: &str) -> Result<Vec<RequestEvent>> {
        Ok(sqlx::query_as::<_, RequestEvent>(
            "SELECT a.at, COALESCE(u.display_name, a.actor_label) AS who, a.summary FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
             WHERE (a.entity_type = 'package_request' AND a.entity_id = $1)
                OR (a.entity_type = 'package_offer' AND a.entity_id IN (SELECT id FROM package_offers WHERE request_id = $1))
             ORDER BY a.at, a.id",
        )
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// What assessing a request reads that the request does not decide: every home care service
/// that might be offered one, the restrictions in force on the day, the latest spare capacity
/// declarations and the council's rating rule. [`Store::eligible_providers`] reads it afresh for
/// each request (the brokerage officer's page). A caller brokering many requests in a row while
/// none of these change (the demo, whose offers, answers and starts touch none of them) reads it
/// once with [`Store::brokerage_market`] and assesses each request with [`BrokerageMarket::assess`]:
/// reading every home care service again for each of 400 requests was most of the demo's brokerage.
#[derive(Debug, Clone)]
pub struct BrokerageMarket {
    facts: MarketFacts,
    rule: RatingRule,
}

impl BrokerageMarket {
    /// Every candidate for `req` assessed against the rule, as [`Store::eligible_providers`]
    /// would assess them while the market is as it was read. `req` must be read since its last
    /// offer or answer: which services it was offered comes from it.
    pub fn assess(&self, req: &PackageRequest) -> Vec<Assessment> {
        eligible_providers(req.lot, req.minutes_per_week, &self.facts.candidates(&req.area_id, req.lot, &req.offers), &self.rule)
    }

    /// As [`BrokerageMarket::assess`] for a request not yet made, so offered to no one: what a
    /// caller planning a request's offers before it is written (the demo's bulk load) needs.
    pub fn assess_new(&self, req: &NewPackageRequest) -> Vec<Assessment> {
        eligible_providers(req.lot, req.minutes_per_week, &self.facts.candidates(&req.area_id, req.lot, &[]), &self.rule)
    }
}

#[derive(Debug, Clone)]
struct MarketFacts {
    /// Each service as a candidate of no request (not offered, no restriction, no spare minutes).
    services: Vec<Candidate>,
    /// A service's first restriction in force, described.
    restriction_of: HashMap<String, String>,
    /// Spare minutes by (area, lot category), then by service.
    spare: HashMap<(String, String), HashMap<String, i64>>,
}

impl MarketFacts {
    fn candidates(&self, area_id: &str, lot: Lot, offers: &[Offer]) -> Vec<Candidate> {
        let spare = self.spare.get(&(area_id.to_string(), lot.as_str().to_string()));
        self.services
            .iter()
            .map(|s| Candidate {
                already_offered: offers
                    .iter()
                    .any(|o| o.service_id == s.service_id && OfferStatus::parse(&o.status).is_some_and(OfferStatus::counts_as_offered)),
                restriction: self.restriction_of.get(&s.service_id).cloned(),
                spare_minutes_in_area: spare.and_then(|m| m.get(&s.service_id)).copied().unwrap_or_default(),
                ..s.clone()
            })
            .collect()
    }
}

/// The columns of a service that a brokerage candidate needs ([`Store::request_candidates`]).
#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: String,
    provider_id: String,
    provider_name: String,
    name: String,
    contract_status: String,
    lot_name: Option<String>,
    registration_status: String,
    rating_overall: Option<String>,
    rating_well_led: Option<String>,
    rating_date: Option<String>,
    last_inspection_date: Option<String>,
}
