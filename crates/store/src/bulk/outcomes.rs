//! An outcomes contract's cohort and claims in bulk (the demo, issue 18 item 5): people joining,
//! claims submitted and decided, people leaving, replayed in memory in the order they happen
//! against the contract's book read once, where the ordinary functions read the whole book again
//! for every one of them (a few hundred events cost seconds, and more as the book grows).
//!
//! Each event is checked as its ordinary function checks it, with the same functions
//! ([`Store::add_oc_member`]: core's `MemberDraft::check`; [`Store::submit_oc_claim`]:
//! `check_claim`; [`Store::decide_oc_claim`]: `decide`, that is `check_decision`, `check_rules`
//! and `split`; [`Store::oc_member_leaves`]: `leaving`), against the book as the events before
//! it left it. The rows are those the ordinary functions leave (a decided claim or a person who
//! left at version 2, as after the ordinary update), built by the same row functions, and written
//! in one transaction with one audit entry.
//!
//! Every event gets a time of its own, later than the one before (`tick`): the book reads claims
//! in the order they were submitted (`submitted_at`, then id) and releases payments in the order
//! they were verified (`decided_on`, `decided_at`, then id), so a batch read back is in the order
//! its events happened, as when each was written at its own moment (decision 44).

use super::{BatchAudit, BatchClock, TableRows, in_row, thousands};
use crate::audit::Actor;
use crate::outcomes::{
    CLAIM_COLUMNS, ClaimRecord, ContractBook, MEMBER_COLUMNS, PART_COLUMNS, check_claim, claim_row, decide, leaving, load_book, member_row,
    part_row, submitted,
};
use crate::{Result, Store, StoreError, new_id};
use caremarket_core::Date;
use caremarket_core::outcomes::{ClaimDraft, ClaimStatus, Facts, LeaveReason, Member, MemberDraft};
use caremarket_core::text::count;
use caremarket_core::versions::Version;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// An earlier event of the same batch, by its number from 0: the person it added or the claim
/// it submitted. Error messages count events from 1, as rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OcRef(pub usize);

/// One thing that happens on an outcomes contract, as its ordinary function takes it.
#[derive(Debug, Clone)]
pub enum OcEvent {
    /// A person joins the cohort ([`Store::add_oc_member`]). Refused by the eligibility rule or
    /// as bad input, `skip_if_refused` leaves them out instead of refusing the batch.
    Join { draft: MemberDraft, skip_if_refused: bool },
    /// A claim submitted by `by` (the label written on it), through the portal for
    /// `provider_id` ([`Store::submit_oc_claim`]). Refused by the contract's rules or as bad
    /// input, `skip_if_refused` leaves it out instead of refusing the batch.
    Claim { by: String, provider_id: Option<String>, draft: ClaimDraft, skip_if_refused: bool },
    /// An officer `by` decides a claim submitted earlier in the batch, on `decided_on`
    /// ([`Store::decide_oc_claim`]). Refused (a verification the contract's rules refuse),
    /// `or_reject` rejects it with that reason instead of refusing the batch.
    Decide { claim: OcRef, by: String, verify: Option<bool>, reason: String, decided_on: Date, or_reject: Option<String> },
    /// A person who joined earlier in the batch leaves the cohort ([`Store::oc_member_leaves`]).
    Leave { member: OcRef, reason: Option<LeaveReason>, on: Option<Date> },
}

/// What an event came to.
#[derive(Debug)]
pub enum OcApplied {
    Joined(OcRef),
    Claimed(OcRef),
    /// Verified, or rejected (with the event's reason, or its `or_reject` reason).
    Decided(ClaimStatus),
    Left,
    /// Refused, and left out as the event asked: the refusal, as the ordinary function gives it.
    Skipped(StoreError),
}

/// A batch of events on one contract, replayed in memory as they are applied
/// ([`Store::begin_oc_bulk`], [`OcBulk::apply`], [`Store::finish_oc_bulk`]). For a caller whose
/// next event depends on what the last one came to (the demo's seeded choices); otherwise
/// [`Store::bulk_oc_events`].
#[derive(Debug)]
pub struct OcBulk {
    today: Date,
    /// The book as read, to find at the write whether anyone changed the contract since.
    read: Facts,
    /// The book as the events so far leave it.
    book: ContractBook,
    provider_names: HashMap<String, String>,
    /// Per event: the member it added or the claim it submitted.
    added: Vec<Option<Added>>,
    /// Members added (id, creation time), and their versions.
    members: Vec<(String, String)>,
    versions: HashMap<String, i64>,
    /// Claims submitted, by id.
    claims: HashSet<String>,
    parts: Vec<Vec<super::Value>>,
    counts: Counts,
    /// The time of each event, after the last one's.
    clock: BatchClock,
    /// The first event refused without a fallback (from 0): nothing may be written.
    refused: Option<usize>,
}

/// What an event added, by id.
#[derive(Debug, Clone)]
enum Added {
    Member(String),
    Claim(String),
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    verified: usize,
    rejected: usize,
    left: usize,
    skipped: usize,
}

/// A refusal an event may ask to be skipped or turned into a rejection: a field error (bad
/// input, or a rule of the contract), not a missing record or a database failure.
fn refusal(e: &StoreError) -> bool {
    matches!(e, StoreError::Invalid(_) | StoreError::InvalidFields(_))
}

impl OcBulk {
    /// The contract's book as the events so far leave it.
    pub fn book(&self) -> &ContractBook {
        &self.book
    }

    /// The person an earlier `Join` added.
    pub fn member(&self, r: OcRef) -> Option<&Member> {
        let Some(Some(Added::Member(id))) = self.added.get(r.0) else { return None };
        self.book.facts.members.iter().find(|m| &m.id == id)
    }

    /// Apply the next event: checked against the book as it stands, which it then changes as
    /// the ordinary function's write would. An error (a refusal the event did not ask to skip,
    /// or a reference to an event that added nothing) refuses the whole batch.
    pub fn apply(&mut self, event: OcEvent) -> Result<OcApplied> {
        let n = self.added.len();
        if self.refused.is_some() {
            return Err(StoreError::Conflict(format!("event {} follows a refused one: the batch is refused", n + 1)));
        }
        match self.event(event) {
            Ok((applied, added)) => {
                if matches!(applied, OcApplied::Skipped(_)) {
                    self.counts.skipped += 1;
                }
                self.added.push(added);
                Ok(applied)
            }
            Err(e) => {
                self.refused = Some(n);
                Err(in_row("outcomes events", n, e))
            }
        }
    }

    /// The member (`claim` false) or claim an earlier event added.
    fn earlier(&self, r: OcRef, claim: bool) -> Result<String> {
        match (self.added.get(r.0), claim) {
            (Some(Some(Added::Member(id))), false) | (Some(Some(Added::Claim(id))), true) => Ok(id.clone()),
            _ => {
                Err(StoreError::NotFound(format!("{} of event {} in this batch", if claim { "the claim" } else { "the person" }, r.0 + 1)))
            }
        }
    }

    fn event(&mut self, event: OcEvent) -> Result<(OcApplied, Option<Added>)> {
        let n = self.added.len();
        match event {
            OcEvent::Join { draft, skip_if_refused } => {
                let m = match draft.check(&self.book.contract, &self.book.facts.members, self.today) {
                    Ok(m) => Member { id: new_id(), ..m },
                    Err(e) if skip_if_refused => return Ok((OcApplied::Skipped(e.into()), None)),
                    Err(e) => return Err(e.into()),
                };
                let id = m.id.clone();
                let at = self.clock.next();
                // Where reading the book back puts them (by case reference).
                let members = &mut self.book.facts.members;
                members.insert(members.partition_point(|x| x.case_ref < m.case_ref), m);
                self.members.push((id.clone(), at));
                self.versions.insert(id.clone(), Version::FIRST.get());
                Ok((OcApplied::Joined(OcRef(n)), Some(Added::Member(id))))
            }
            OcEvent::Claim { by, provider_id, draft, skip_if_refused } => {
                let c = match check_claim(&self.book, provider_id.as_deref(), &draft, self.today) {
                    Ok(c) => c,
                    Err(e) if skip_if_refused && refusal(&e) => return Ok((OcApplied::Skipped(e), None)),
                    Err(e) => return Err(e),
                };
                let at = self.clock.next();
                let rec = ClaimRecord {
                    provider_name: provider_id.as_ref().and_then(|p| self.provider_names.get(p).cloned()),
                    ..submitted(new_id(), &c, &self.book, provider_id.as_deref(), &by, at)
                };
                let id = rec.claim.id.clone();
                self.book.facts.claims.push(rec.claim.clone());
                self.book.claims.push(rec);
                self.claims.insert(id.clone());
                Ok((OcApplied::Claimed(OcRef(n)), Some(Added::Claim(id))))
            }
            OcEvent::Decide { claim, by, verify, reason, decided_on, or_reject } => {
                let id = self.earlier(claim, true)?;
                let i =
                    self.book.claims.iter().position(|r| r.claim.id == id).ok_or_else(|| StoreError::NotFound(format!("claim {id}")))?;
                let (status, reason, parts) = match decide(&self.book, &self.book.claims[i].claim, verify, &reason) {
                    Ok(d) => d,
                    Err(e) if refusal(&e) && or_reject.is_some() => {
                        decide(&self.book, &self.book.claims[i].claim, Some(false), or_reject.as_deref().unwrap_or_default())?
                    }
                    Err(e) => return Err(e),
                };
                let at = self.clock.next();
                let rec = &mut self.book.claims[i];
                rec.claim.status = status;
                rec.claim.decided_on = Some(decided_on);
                rec.claim.decided_at = Some(at);
                rec.claim.reason = reason;
                rec.decided_by_label = Some(by);
                rec.version += 1;
                self.book.facts.claims[i] = rec.claim.clone();
                // Where reading the book back puts them (by claim, then party).
                for p in parts {
                    self.parts.push(part_row(&id, &p));
                    let all = &mut self.book.facts.parts;
                    all.insert(
                        all.partition_point(|(c, x)| (c.as_str(), x.party_id.as_str()) < (id.as_str(), p.party_id.as_str())),
                        (id.clone(), p),
                    );
                }
                match status {
                    ClaimStatus::Verified => self.counts.verified += 1,
                    _ => self.counts.rejected += 1,
                }
                Ok((OcApplied::Decided(status), None))
            }
            OcEvent::Leave { member, reason, on } => {
                let id = self.earlier(member, false)?;
                let (_, d, r) = leaving(&self.book, &id, reason, on, self.today)?;
                if let Some(m) = self.book.facts.members.iter_mut().find(|m| m.id == id) {
                    m.left_on = Some(d);
                    m.leave_reason = Some(r);
                }
                *self.versions.entry(id).or_insert(Version::FIRST.get()) += 1;
                self.counts.left += 1;
                Ok((OcApplied::Left, None))
            }
        }
    }
}

impl Store {
    /// Start a batch of events on an outcomes contract: its book read once (`NotFound` for an
    /// unknown contract). `today` is the council's today, as the ordinary functions take it.
    pub async fn begin_oc_bulk(&self, contract_id: &str, today: Date) -> Result<OcBulk> {
        let mut conn = self.pool.acquire().await?;
        let book = load_book(&mut conn, contract_id).await?;
        let names: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM providers WHERE id IN (SELECT provider_id FROM oc_parties WHERE contract_id = $1)")
                .bind(contract_id)
                .fetch_all(&mut *conn)
                .await?;
        Ok(OcBulk {
            today,
            read: book.facts.clone(),
            book,
            provider_names: names.into_iter().collect(),
            added: Vec::new(),
            members: Vec::new(),
            versions: HashMap::new(),
            claims: HashSet::new(),
            parts: Vec::new(),
            counts: Counts::default(),
            clock: BatchClock::default(),
            refused: None,
        })
    }

    /// Write a batch's people, claims and payment parts in one transaction with one audit
    /// entry. Refused, with nothing written, if an event was refused, or if the contract's
    /// records changed since the batch read them. Returns the number of events written.
    pub async fn finish_oc_bulk(&self, actor: &Actor, bulk: OcBulk) -> Result<usize> {
        if let Some(n) = bulk.refused {
            return Err(StoreError::Conflict(format!("event {} of the batch was refused: nothing was written", n + 1)));
        }
        let written = bulk.added.len() - bulk.counts.skipped;
        if written == 0 {
            return Ok(0);
        }
        let contract_id = bulk.book.contract.id.as_str();
        let mut member_rows = Vec::with_capacity(bulk.members.len());
        for (id, at) in &bulk.members {
            let m =
                bulk.book.facts.members.iter().find(|m| &m.id == id).ok_or_else(|| StoreError::NotFound(format!("cohort member {id}")))?;
            member_rows.push(member_row(contract_id, m, at, bulk.versions.get(id).copied().unwrap_or(Version::FIRST.get())));
        }
        let claim_rows: Vec<_> =
            bulk.book.claims.iter().filter(|r| bulk.claims.contains(&r.claim.id)).map(|r| claim_row(contract_id, r)).collect();
        let c = bulk.counts;
        let name = &bulk.book.contract.name;
        let mut summary = format!(
            "{}, {} ({} verified, {} rejected) and {} generated for '{name}'",
            count(bulk.members.len() as i64, "cohort member", None),
            count(bulk.claims.len() as i64, "claim", None),
            thousands(c.verified),
            thousands(c.rejected),
            count(c.left as i64, "leaving", None)
        );
        if c.skipped > 0 {
            summary.push_str(&format!(", {} left out", count(c.skipped as i64, "refused event", None)));
        }
        summary.push_str(" (bulk load)");

        let mut batch = self.begin_batch().await?;
        if load_book(batch.tx(), contract_id).await?.facts != bulk.read {
            return Err(StoreError::Conflict(format!("'{name}' changed while the batch was prepared: nothing was written")));
        }
        batch.insert(TableRows { table: "oc_members", columns: &MEMBER_COLUMNS, rows: member_rows }).await?;
        batch.insert(TableRows { table: "oc_claims", columns: &CLAIM_COLUMNS, rows: claim_rows }).await?;
        batch.insert(TableRows { table: "oc_payment_parts", columns: &PART_COLUMNS, rows: bulk.parts }).await?;
        let after = json!({"bulk": true, "members": bulk.members.len(), "claims": bulk.claims.len(), "verified": c.verified,
            "rejected": c.rejected, "left": c.left, "skipped": c.skipped});
        batch.finish_as(actor, "create", Some(contract_id), BatchAudit { entity_type: "oc_contract", summary, after }).await?;
        Ok(written)
    }

    /// Events on an outcomes contract, in order, as the ordinary functions called one after
    /// another would check and record them, in one transaction with one audit entry. Refused
    /// whole, naming the event, if any is refused (unless it asks to be skipped or rejected).
    /// Returns what each came to.
    pub async fn bulk_oc_events(&self, actor: &Actor, contract_id: &str, events: Vec<OcEvent>, today: Date) -> Result<Vec<OcApplied>> {
        let mut bulk = self.begin_oc_bulk(contract_id, today).await?;
        let mut out = Vec::with_capacity(events.len());
        for e in events {
            out.push(bulk.apply(e)?);
        }
        self.finish_oc_bulk(actor, bulk).await?;
        Ok(out)
    }
}
