//! Home care package requests with their brokerage in one batch (the demo's requests, issue 18
//! item 5): each request made, offered to services in turn, the offers declined or accepted and
//! the package started, where the ordinary functions ([`Store::create_package_request`],
//! [`Store::offer_package_assessed`], [`Store::respond_to_offer`], [`Store::start_package`]) take
//! a transaction, reads and an audit entry for every step.
//!
//! Each request's steps are replayed in memory, in order, on the request as the steps before
//! left it, with the ordinary functions' own checks (`new_request`, `offerable_as_assessed`,
//! `check_answer`, `check_package_start`, and the claim rule `claim_on_change`), against the
//! market read once by the caller ([`BrokerageMarket`]) as the demo assessed it. Each request
//! and offer is written once, as its last step left it, by the ordinary row functions.
//!
//! Every step gets its own time, later than the one before ([`BatchClock`]): offers read in
//! the order they were made (`offered_at`, then id), as when each was made at its own moment.

use super::{BatchAudit, BatchClock, TableRows, in_row};
use crate::audit::Actor;
use crate::capacity::{
    BrokerageMarket, ClaimOnChange, NewPackageRequest, OFFER_COLUMNS, PackageRequest, REQUEST_COLUMNS, check_answer, check_package_start,
    claim_on_change, new_offer, new_request, offer_row, offerable_as_assessed, request_row, response_note, ts_text,
};
use crate::{Result, Store, StoreError};
use caremarket_core::capacity::packages::{Answer, OfferStatus, PackageStatus};
use caremarket_core::text::count;
use jiff::Timestamp;
use serde_json::json;

/// A package request and what happens to it, in order ([`Store::bulk_package_requests`]).
#[derive(Debug, Clone)]
pub struct BrokeredRequest {
    pub request: NewPackageRequest,
    pub steps: Vec<PackageStep>,
}

/// One step of a request's brokerage, as its ordinary function takes it.
#[derive(Debug, Clone)]
pub enum PackageStep {
    /// Offered to a service ([`Store::offer_package_assessed`], with the request's assessment
    /// made when it was requested).
    Offer { service_id: String },
    /// The answer to the request's `offer`th offer, counting from 0 ([`Store::respond_to_offer`]
    /// recorded by an officer).
    Answer { offer: usize, accept: bool, note: Option<String> },
    /// Care started ([`Store::start_package`]).
    Start { at: Timestamp },
}

impl Store {
    /// Package requests and their brokerage, each request's steps checked in order as the
    /// ordinary functions check them one after another (with `now` as theirs), against `market`
    /// (read with [`Store::brokerage_market`]; the batch changes nothing it holds), then written
    /// in one transaction with one audit entry by `actor`. A request or step the ordinary
    /// function would refuse refuses the batch, naming its request ("package requests row 3:
    /// area_id"); nothing is written. Returns how many requests were written.
    pub async fn bulk_package_requests(
        &self,
        actor: &Actor,
        market: &BrokerageMarket,
        requests: &[BrokeredRequest],
        now: Timestamp,
    ) -> Result<usize> {
        if requests.is_empty() {
            return Ok(0);
        }
        let areas = self.areas().await?;
        let limit = self.package_limit(actor).await?;
        let mut clock = BatchClock::default();
        let mut request_rows = Vec::with_capacity(requests.len());
        let mut offer_rows = Vec::new();
        let (mut offered, mut started) = (0usize, 0usize);
        for (i, b) in requests.iter().enumerate() {
            let row = |e: StoreError| in_row("package requests", i, e);
            let created = clock.next();
            let mut req = new_request(&b.request, areas.iter().find(|a| a.id == b.request.area_id), now).map_err(row)?;
            // Assessed once, as requested: the demo keeps its assessment between a request's offers.
            let assessed = market.assess(&req);
            let mut updated = created.clone();
            for step in &b.steps {
                let at = clock.next();
                match step {
                    PackageStep::Offer { service_id } => {
                        let a = offerable_as_assessed(&req, &assessed, service_id).map_err(row)?;
                        hold(&mut req, actor, &at).map_err(row)?;
                        req.offers.push(new_offer(&req.id, &a.candidate, &at, &actor.label, false));
                        req.status = PackageStatus::Offered.as_str().into();
                    }
                    PackageStep::Answer { offer, accept, note } => {
                        let Some(o) = req.offers.get(*offer).cloned() else {
                            return Err(row(StoreError::invalid("offer", format!("This request has no offer {}", offer + 1))));
                        };
                        let answer = check_answer(&req, &o, *accept).map_err(row)?;
                        hold(&mut req, actor, &at).map_err(row)?;
                        answered(&mut req, &o.id, answer, response_note(note.as_deref()), &at);
                    }
                    PackageStep::Start { at: started_at } => {
                        check_package_start(&req, *started_at, now, &limit).map_err(row)?;
                        hold(&mut req, actor, &at).map_err(row)?;
                        // Care has started: no one works the request any more.
                        req.status = PackageStatus::Started.as_str().into();
                        req.started_at = Some(ts_text(*started_at));
                        req.claimed_by = None;
                        req.claimed_at = None;
                    }
                }
                updated = at;
            }
            offered += usize::from(!req.offers.is_empty());
            started += usize::from(req.status == PackageStatus::Started.as_str());
            offer_rows.extend(req.offers.iter().map(offer_row));
            request_rows.push(request_row(&req, &actor.label, &created, &updated));
        }
        let offers = offer_rows.len();
        self.write_batch(
            actor,
            vec![
                TableRows { table: "package_requests", columns: &REQUEST_COLUMNS, rows: request_rows },
                TableRows { table: "package_offers", columns: &OFFER_COLUMNS, rows: offer_rows },
            ],
            BatchAudit {
                entity_type: "package_request",
                summary: format!(
                    "{} generated, {offered} offered ({}), {started} started (bulk load)",
                    count(requests.len() as i64, "package request", None),
                    count(offers as i64, "offer", None)
                ),
                after: json!({"bulk": true, "requests": requests.len(), "offered": offered, "offers": offers, "started": started}),
            },
        )
        .await?;
        Ok(requests.len())
    }
}

/// The claim as a change by `actor` at `at` leaves it ([`claim_on_change`], as `hold_claim`).
fn hold(req: &mut PackageRequest, actor: &Actor, at: &str) -> Result<()> {
    match claim_on_change(actor, req.claimed_by.as_deref()) {
        ClaimOnChange::Kept => Ok(()),
        ClaimOnChange::ClaimedBy(user) => {
            req.claimed_by = Some(user.to_string());
            req.claimed_at = Some(at.to_string());
            Ok(())
        }
        ClaimOnChange::HeldByOther => Err(StoreError::invalid("claim", "Another officer is working on this request")),
    }
}

/// `req` as [`Store::respond_to_offer`]'s writes leave it after `answer` to offer `offer_id`:
/// the offer answered; on acceptance the package placed and the other open offers withdrawn; on
/// declining the last open offer, the package back to waiting.
fn answered(req: &mut PackageRequest, offer_id: &str, answer: Answer, note: Option<String>, at: &str) {
    let mut placed_with = None;
    for o in &mut req.offers {
        if o.id == offer_id {
            o.status = answer.offer.as_str().into();
            o.responded_at = Some(at.to_string());
            o.response_note = note.clone();
            placed_with = Some((o.service_id.clone(), o.service_name.clone()));
        } else if answer.withdraw_other_offers && o.status == OfferStatus::Offered.as_str() {
            o.status = OfferStatus::Withdrawn.as_str().into();
            o.responded_at = Some(at.to_string());
        }
    }
    match answer.request {
        Some(PackageStatus::Accepted) => {
            req.status = PackageStatus::Accepted.as_str().into();
            if let Some((id, name)) = placed_with {
                req.service_id = Some(id);
                req.service_name = Some(name);
            }
        }
        Some(s) if req.status == PackageStatus::Offered.as_str() => req.status = s.as_str().into(),
        _ => {}
    }
}
