//! Outcomes-based contracts (issue 13 items 4-7; domain C10): contracts with their parties and
//! outcomes, the cohort by case reference, outcome claims and the officer's decision, and each
//! verified claim's payment split between its funders. The rules (eligibility, a claim's
//! refusals, the split, savings and held payments) are `caremarket_core::outcomes`'s; this module
//! loads the facts, asks core and saves what core decided with its audit row in one transaction.

use crate::audit::record;
use crate::bulk::{Value, insert_rows};
use crate::direct_payments::{date, date_opt};
use crate::versions::{Versioned, check_current, saved};
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::outcomes::{
    BirthMonth, Claim, ClaimDraft, ClaimFacts, ClaimStatus, Contract, ContractDraft, Facts, LeaveReason, Member, MemberDraft, NewClaim,
    Outcome, OutcomeDraft, OutcomeKind, Part, Party, PartyDraft, PartyRole, Placement, check_decision, check_leave, check_rules, long_date,
    money, split,
};
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// A claim with what the pages show beside it.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimRecord {
    pub claim: Claim,
    pub case_ref: String,
    pub outcome_name: String,
    pub tariff_pence: i64,
    pub provider_id: Option<String>,
    pub provider_name: Option<String>,
    pub submitted_by_label: String,
    pub submitted_at: String,
    pub decided_by_label: Option<String>,
    /// Raised by the officer's decision (decision 25): the decision form carries it.
    pub version: i64,
}

/// A contract and everything recorded for it.
#[derive(Debug, Clone, Serialize)]
pub struct ContractBook {
    pub contract: Contract,
    pub facts: Facts,
    pub claims: Vec<ClaimRecord>,
    /// Who set the contract up.
    pub created_by_label: String,
}

impl ContractBook {
    pub fn council_id(&self) -> Option<&str> {
        self.facts.parties.iter().find(|p| p.role == PartyRole::Council).map(|p| p.id.as_str())
    }
    /// Whether a provider is the SPV or one of its providers on this contract.
    pub fn has_provider(&self, provider_id: &str) -> bool {
        self.facts.parties.iter().any(|p| p.provider_id.as_deref() == Some(provider_id))
    }
}

#[derive(sqlx::FromRow)]
struct ContractRow {
    id: String,
    name: String,
    starts_on: String,
    ends_on: String,
    envelope_pence: i64,
    cap_pence: Option<i64>,
    baseline: i64,
    forecast_low: i64,
    forecast_high: i64,
    forecast_by: String,
    expected_saving_low_pence: i64,
    expected_saving_high_pence: i64,
    eligibility: String,
    age_out: i64,
    created_by_label: String,
}

impl ContractRow {
    fn decode(self) -> Result<(Contract, String)> {
        let t = "oc_contracts";
        Ok((
            Contract {
                starts_on: date(t, "starts_on", &self.starts_on)?,
                ends_on: date(t, "ends_on", &self.ends_on)?,
                forecast_by: date(t, "forecast_by", &self.forecast_by)?,
                id: self.id,
                name: self.name,
                envelope_pence: self.envelope_pence,
                cap_pence: self.cap_pence,
                baseline: self.baseline,
                forecast_low: self.forecast_low,
                forecast_high: self.forecast_high,
                expected_saving_low_pence: self.expected_saving_low_pence,
                expected_saving_high_pence: self.expected_saving_high_pence,
                eligibility: self.eligibility,
                age_out: self.age_out,
            },
            self.created_by_label,
        ))
    }
}

/// The columns a `ContractRow` reads, as a literal (sqlx takes only static SQL).
macro_rules! contract_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, starts_on, ends_on, envelope_pence, cap_pence, baseline, forecast_low, forecast_high, forecast_by,
                expected_saving_low_pence, expected_saving_high_pence, eligibility, age_out, created_by_label FROM oc_contracts ",
            $rest
        )
    };
}

#[derive(sqlx::FromRow)]
struct PartyRow {
    id: String,
    role: String,
    name: String,
    provider_id: Option<String>,
    share_bp: i64,
    commitment_pence: Option<i64>,
    ends_on: Option<String>,
}

#[derive(sqlx::FromRow)]
struct OutcomeRow {
    id: String,
    name: String,
    kind: String,
    tariff_pence: i64,
    evidence: String,
    prerequisite_id: Option<String>,
    after_months: i64,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: String,
    case_ref: String,
    born: String,
    entered_on: String,
    placement: String,
    weekly_cost_pence: i64,
    left_on: Option<String>,
    leave_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: String,
    member_id: String,
    outcome_id: String,
    achieved_on: String,
    evidence: String,
    status: String,
    provider_id: Option<String>,
    provider_name: Option<String>,
    submitted_by_label: String,
    submitted_at: String,
    decided_by_label: Option<String>,
    decided_on: Option<String>,
    decided_at: Option<String>,
    reason: Option<String>,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct PartRow {
    claim_id: String,
    party_id: String,
    pence: i64,
}

fn corrupt(table: &'static str, column: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt { table, column, value: value.to_string() }
}

fn born(s: &str) -> Result<BirthMonth> {
    let (y, m) = s.split_once('-').ok_or_else(|| corrupt("oc_members", "born", s))?;
    Ok(BirthMonth {
        year: y.parse().map_err(|_| corrupt("oc_members", "born", s))?,
        month: m.parse().map_err(|_| corrupt("oc_members", "born", s))?,
    })
}

pub(crate) async fn load_book(conn: &mut AnyConnection, id: &str) -> Result<ContractBook> {
    let row: Option<ContractRow> = sqlx::query_as(contract_select!("WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    let Some(row) = row else { return Err(StoreError::NotFound(format!("outcomes contract {id}"))) };
    let (contract, created_by_label) = row.decode()?;
    let parties: Vec<PartyRow> = sqlx::query_as(
        "SELECT id, role, name, provider_id, share_bp, commitment_pence, ends_on FROM oc_parties WHERE contract_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let parties = parties
        .into_iter()
        .map(|p| {
            Ok(Party {
                role: PartyRole::parse(&p.role).ok_or_else(|| corrupt("oc_parties", "role", &p.role))?,
                ends_on: date_opt("oc_parties", "ends_on", p.ends_on.as_deref())?,
                id: p.id,
                name: p.name,
                provider_id: p.provider_id,
                share_bp: p.share_bp,
                commitment_pence: p.commitment_pence,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let outcomes: Vec<OutcomeRow> = sqlx::query_as(
        "SELECT id, name, kind, tariff_pence, evidence, prerequisite_id, after_months FROM oc_outcomes WHERE contract_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let outcomes = outcomes
        .into_iter()
        .map(|o| {
            Ok(Outcome {
                kind: OutcomeKind::parse(&o.kind).ok_or_else(|| corrupt("oc_outcomes", "kind", &o.kind))?,
                id: o.id,
                name: o.name,
                tariff_pence: o.tariff_pence,
                evidence: o.evidence,
                prerequisite_id: o.prerequisite_id,
                after_months: o.after_months,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let members: Vec<MemberRow> = sqlx::query_as(
        "SELECT id, case_ref, born, entered_on, placement, weekly_cost_pence, left_on, leave_reason FROM oc_members
         WHERE contract_id = $1 ORDER BY case_ref",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let t = "oc_members";
    let members = members
        .into_iter()
        .map(|m| {
            Ok(Member {
                born: born(&m.born)?,
                entered_on: date(t, "entered_on", &m.entered_on)?,
                placement: Placement::parse(&m.placement).ok_or_else(|| corrupt(t, "placement", &m.placement))?,
                left_on: date_opt(t, "left_on", m.left_on.as_deref())?,
                leave_reason: match &m.leave_reason {
                    Some(r) => Some(LeaveReason::parse(r).ok_or_else(|| corrupt(t, "leave_reason", r))?),
                    None => None,
                },
                id: m.id,
                case_ref: m.case_ref,
                weekly_cost_pence: m.weekly_cost_pence,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let claims: Vec<ClaimRow> = sqlx::query_as(
        "SELECT c.id, c.member_id, c.outcome_id, c.achieved_on, c.evidence, c.status, c.provider_id, p.name AS provider_name,
                c.submitted_by_label, c.submitted_at, c.decided_by_label, c.decided_on, c.decided_at, c.reason, c.version
         FROM oc_claims c LEFT JOIN providers p ON p.id = c.provider_id WHERE c.contract_id = $1 ORDER BY c.submitted_at, c.id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let parts: Vec<PartRow> = sqlx::query_as(
        "SELECT x.claim_id, x.party_id, x.pence FROM oc_payment_parts x JOIN oc_claims c ON c.id = x.claim_id
         WHERE c.contract_id = $1 ORDER BY x.claim_id, x.party_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let t = "oc_claims";
    // Each claim's outcome and member by id: found by a search of the lists, a book of n claims
    // cost n x (outcomes + members), and every operation on a contract loads its book.
    let outcome_of: std::collections::HashMap<&str, &Outcome> = outcomes.iter().map(|o| (o.id.as_str(), o)).collect();
    let case_ref_of: std::collections::HashMap<&str, &str> = members.iter().map(|m| (m.id.as_str(), m.case_ref.as_str())).collect();
    let mut records = Vec::with_capacity(claims.len());
    for c in claims {
        let claim = Claim {
            status: ClaimStatus::parse(&c.status).ok_or_else(|| corrupt(t, "status", &c.status))?,
            achieved_on: date(t, "achieved_on", &c.achieved_on)?,
            id: c.id,
            member_id: c.member_id,
            outcome_id: c.outcome_id,
            evidence: c.evidence,
            decided_on: date_opt(t, "decided_on", c.decided_on.as_deref())?,
            decided_at: c.decided_at,
            reason: c.reason,
        };
        let outcome = outcome_of.get(claim.outcome_id.as_str());
        records.push(ClaimRecord {
            case_ref: case_ref_of.get(claim.member_id.as_str()).map(|r| r.to_string()).unwrap_or_default(),
            outcome_name: outcome.map(|o| o.name.clone()).unwrap_or_default(),
            tariff_pence: outcome.map(|o| o.tariff_pence).unwrap_or(0),
            claim,
            provider_id: c.provider_id,
            provider_name: c.provider_name,
            submitted_by_label: c.submitted_by_label,
            submitted_at: c.submitted_at,
            decided_by_label: c.decided_by_label,
            version: c.version,
        });
    }
    let facts = Facts {
        contract: Some(contract.clone()),
        parties,
        outcomes,
        members,
        claims: records.iter().map(|r| r.claim.clone()).collect(),
        parts: parts.into_iter().map(|p| (p.claim_id, Part { party_id: p.party_id, pence: p.pence })).collect(),
    };
    Ok(ContractBook { contract, facts, claims: records, created_by_label })
}

fn contract_json(c: &Contract) -> serde_json::Value {
    json!({"name": c.name, "starts_on": c.starts_on.to_string(), "ends_on": c.ends_on.to_string(), "envelope_pence": c.envelope_pence,
        "cap_pence": c.cap_pence, "baseline": c.baseline, "forecast_low": c.forecast_low, "forecast_high": c.forecast_high,
        "forecast_by": c.forecast_by.to_string(), "expected_saving_low_pence": c.expected_saving_low_pence,
        "expected_saving_high_pence": c.expected_saving_high_pence, "eligibility": c.eligibility, "age_out": c.age_out})
}

/// The columns [`member_row`] fills, in its order.
pub(crate) const MEMBER_COLUMNS: [&str; 11] = [
    "id",
    "contract_id",
    "case_ref",
    "born",
    "entered_on",
    "placement",
    "weekly_cost_pence",
    "left_on",
    "leave_reason",
    "created_at",
    "version",
];

/// A cohort member's row for [`MEMBER_COLUMNS`].
pub(crate) fn member_row(contract_id: &str, m: &Member, created_at: &str, version: i64) -> Vec<Value> {
    vec![
        m.id.as_str().into(),
        contract_id.into(),
        m.case_ref.as_str().into(),
        m.born.code().into(),
        m.entered_on.to_string().into(),
        m.placement.as_str().into(),
        m.weekly_cost_pence.into(),
        m.left_on.map(|d| d.to_string()).into(),
        m.leave_reason.map(|r| r.as_str().to_string()).into(),
        created_at.into(),
        version.into(),
    ]
}

/// The columns [`claim_row`] fills, in its order.
pub(crate) const CLAIM_COLUMNS: [&str; 15] = [
    "id",
    "contract_id",
    "member_id",
    "outcome_id",
    "achieved_on",
    "evidence",
    "status",
    "provider_id",
    "submitted_by_label",
    "submitted_at",
    "decided_by_label",
    "decided_on",
    "decided_at",
    "reason",
    "version",
];

/// A claim's row for [`CLAIM_COLUMNS`], as submitted (pending) or with its decision.
pub(crate) fn claim_row(contract_id: &str, r: &ClaimRecord) -> Vec<Value> {
    let c = &r.claim;
    vec![
        c.id.as_str().into(),
        contract_id.into(),
        c.member_id.as_str().into(),
        c.outcome_id.as_str().into(),
        c.achieved_on.to_string().into(),
        c.evidence.as_str().into(),
        c.status.as_str().into(),
        r.provider_id.clone().into(),
        r.submitted_by_label.as_str().into(),
        r.submitted_at.as_str().into(),
        r.decided_by_label.clone().into(),
        c.decided_on.map(|d| d.to_string()).into(),
        c.decided_at.clone().into(),
        c.reason.clone().into(),
        r.version.into(),
    ]
}

/// The columns [`part_row`] fills, in its order.
pub(crate) const PART_COLUMNS: [&str; 3] = ["claim_id", "party_id", "pence"];

/// One funder's part of a verified claim's payment, as a row for [`PART_COLUMNS`].
pub(crate) fn part_row(claim_id: &str, p: &Part) -> Vec<Value> {
    vec![claim_id.into(), p.party_id.as_str().into(), p.pence.into()]
}

/// A claim checked against the book as it stands: through the portal (`provider_id`) only for
/// a contract the provider is a party to (`NotFound` otherwise), then core's checks and rules.
pub(crate) fn check_claim(book: &ContractBook, provider_id: Option<&str>, draft: &ClaimDraft, today: Date) -> Result<NewClaim> {
    if let Some(p) = provider_id
        && !book.has_provider(p)
    {
        return Err(StoreError::NotFound(format!("outcomes contract {}", book.contract.id)));
    }
    let f = &book.facts;
    let facts = ClaimFacts { contract: &book.contract, outcomes: &f.outcomes, members: &f.members, claims: &f.claims };
    Ok(draft.check(facts, today)?)
}

/// A pending claim, as submitted by `by` at `at`, for the book's claims and [`claim_row`]
/// (without the provider's name, which only pages read).
pub(crate) fn submitted(id: String, c: &NewClaim, book: &ContractBook, provider_id: Option<&str>, by: &str, at: String) -> ClaimRecord {
    let outcome = book.facts.outcomes.iter().find(|o| o.id == c.outcome_id);
    ClaimRecord {
        claim: Claim {
            id,
            member_id: c.member_id.clone(),
            outcome_id: c.outcome_id.clone(),
            achieved_on: c.achieved_on,
            evidence: c.evidence.clone(),
            status: ClaimStatus::Pending,
            decided_on: None,
            decided_at: None,
            reason: None,
        },
        case_ref: c.case_ref.clone(),
        outcome_name: outcome.map(|o| o.name.clone()).unwrap_or_default(),
        tariff_pence: outcome.map(|o| o.tariff_pence).unwrap_or(0),
        provider_id: provider_id.map(str::to_string),
        provider_name: None,
        submitted_by_label: by.to_string(),
        submitted_at: at,
        decided_by_label: None,
        version: Version::FIRST.get(),
    }
}

/// An officer's decision on a pending claim against the book as it stands: core's
/// `check_decision`; verifying checks the contract's rules again (another claim may have been
/// verified since) and refuses with the rule named (field `decision`), and splits the payment
/// between the funders. Returns the status, the reason and the parts.
pub(crate) fn decide(
    book: &ContractBook,
    claim: &Claim,
    verify: Option<bool>,
    reason: &str,
) -> Result<(ClaimStatus, Option<String>, Vec<Part>)> {
    let reason = check_decision(claim, verify, reason)?;
    let f = &book.facts;
    if verify != Some(true) {
        return Ok((ClaimStatus::Rejected, reason, Vec::new()));
    }
    let member = f.members.iter().find(|m| m.id == claim.member_id);
    let outcome = f.outcomes.iter().find(|o| o.id == claim.outcome_id);
    let (Some(member), Some(outcome)) = (member, outcome) else {
        return Err(StoreError::NotFound(format!("outcome claim {}", claim.id)));
    };
    let facts = ClaimFacts { contract: &book.contract, outcomes: &f.outcomes, members: &f.members, claims: &f.claims };
    if let Err(r) = check_rules(facts, member, outcome, claim.achieved_on, Some(&claim.id)) {
        return Err(StoreError::invalid("decision", format!("{} Reject the claim with this reason instead.", r.text())));
    }
    let Some(council) = book.council_id() else {
        return Err(StoreError::invalid("decision", "The contract has no council party to pay the council's part"));
    };
    let mut paid: BTreeMap<String, i64> = BTreeMap::new();
    for (_, p) in &f.parts {
        *paid.entry(p.party_id.clone()).or_default() += p.pence;
    }
    Ok((ClaimStatus::Verified, reason, split(outcome.tariff_pence, claim.achieved_on, &f.parties, council, &paid)))
}

/// A person leaving the cohort, checked against the book as it stands (core's `check_leave`).
pub(crate) fn leaving<'a>(
    book: &'a ContractBook,
    member_id: &str,
    reason: Option<LeaveReason>,
    on: Option<Date>,
    today: Date,
) -> Result<(&'a Member, Date, LeaveReason)> {
    let Some(m) = book.facts.members.iter().find(|m| m.id == member_id) else {
        return Err(StoreError::NotFound(format!("cohort member {member_id}")));
    };
    let (d, r) = check_leave(m, reason, on, today)?;
    Ok((m, d, r))
}

impl Store {
    /// Every outcomes contract, newest first.
    pub async fn oc_contracts(&self) -> Result<Vec<Contract>> {
        let rows: Vec<ContractRow> = sqlx::query_as(contract_select!("ORDER BY starts_on DESC, id")).fetch_all(&self.pool).await?;
        rows.into_iter().map(|r| r.decode().map(|(c, _)| c)).collect()
    }

    /// The contracts a provider is a party to (as the SPV or one of its providers).
    pub async fn oc_contracts_for_provider(&self, provider_id: &str) -> Result<Vec<Contract>> {
        let rows: Vec<ContractRow> = sqlx::query_as(contract_select!(
            "WHERE id IN (SELECT contract_id FROM oc_parties WHERE provider_id = $1) ORDER BY starts_on DESC, id"
        ))
        .bind(provider_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(|r| r.decode().map(|(c, _)| c)).collect()
    }

    /// A contract and every record of it (`NotFound` for an unknown id).
    pub async fn oc_contract(&self, id: &str) -> Result<ContractBook> {
        let mut conn = self.pool.acquire().await?;
        load_book(&mut conn, id).await
    }

    /// Set up a contract (core checks it), with the council as its first party.
    pub async fn create_oc_contract(&self, actor: &Actor, draft: &ContractDraft, council_name: &str) -> Result<String> {
        let c = draft.check()?;
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO oc_contracts (id, name, starts_on, ends_on, envelope_pence, cap_pence, baseline, forecast_low, forecast_high,
                forecast_by, expected_saving_low_pence, expected_saving_high_pence, eligibility, age_out, created_by_label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&id)
        .bind(&c.name)
        .bind(c.starts_on.to_string())
        .bind(c.ends_on.to_string())
        .bind(c.envelope_pence)
        .bind(c.cap_pence)
        .bind(c.baseline)
        .bind(c.forecast_low)
        .bind(c.forecast_high)
        .bind(c.forecast_by.to_string())
        .bind(c.expected_saving_low_pence)
        .bind(c.expected_saving_high_pence)
        .bind(&c.eligibility)
        .bind(c.age_out)
        .bind(&actor.label)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let summary = format!(
            "Set up the outcomes contract '{}' from {} to {} (envelope {})",
            c.name,
            long_date(c.starts_on),
            long_date(c.ends_on),
            money(c.envelope_pence)
        );
        record(&mut tx, actor, "create", "oc_contract", Some(&id), &summary, None, Some(&contract_json(&c))).await?;
        let council = Party {
            id: String::new(),
            role: PartyRole::Council,
            name: council_name.to_string(),
            provider_id: None,
            share_bp: 0,
            commitment_pence: None,
            ends_on: None,
        };
        insert_party(&mut tx, actor, &id, &c.name, &council).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Add a party (core checks it against the contract's others; a provider must exist).
    pub async fn add_oc_party(&self, actor: &Actor, contract_id: &str, draft: &PartyDraft) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let book = load_book(&mut tx, contract_id).await?;
        let p = draft.check(&book.facts.parties)?;
        if let Some(pid) = &p.provider_id {
            let exists: Option<String> =
                sqlx::query_scalar("SELECT id FROM providers WHERE id = $1").bind(pid).fetch_optional(&mut *tx).await?;
            if exists.is_none() {
                return Err(StoreError::invalid("provider_id", "Choose a provider from the register"));
            }
        }
        let id = insert_party(&mut tx, actor, contract_id, &book.contract.name, &p).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Add an outcome with its tariff (core checks it against the contract's others).
    pub async fn add_oc_outcome(&self, actor: &Actor, contract_id: &str, draft: &OutcomeDraft) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let book = load_book(&mut tx, contract_id).await?;
        let o = draft.check(&book.facts.outcomes)?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO oc_outcomes (id, contract_id, name, kind, tariff_pence, evidence, prerequisite_id, after_months, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(contract_id)
        .bind(&o.name)
        .bind(o.kind.as_str())
        .bind(o.tariff_pence)
        .bind(&o.evidence)
        .bind(o.prerequisite_id.clone())
        .bind(o.after_months)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        let summary = format!("Added the outcome '{}' at {} to '{}'", o.name, money(o.tariff_pence), book.contract.name);
        let after = json!({"name": o.name, "kind": o.kind.as_str(), "tariff_pence": o.tariff_pence, "evidence": o.evidence,
            "prerequisite_id": o.prerequisite_id, "after_months": o.after_months});
        record(&mut tx, actor, "create", "oc_outcome", Some(&id), &summary, None, Some(&after)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Add a person to the cohort (core checks the eligibility rule).
    pub async fn add_oc_member(&self, actor: &Actor, contract_id: &str, draft: &MemberDraft, today: Date) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let book = load_book(&mut tx, contract_id).await?;
        let m = Member { id: new_id(), ..draft.check(&book.contract, &book.facts.members, today)? };
        let id = m.id.clone();
        insert_rows(&mut tx, "oc_members", &MEMBER_COLUMNS, vec![member_row(contract_id, &m, &now_timestamp(), Version::FIRST.get())])
            .await?;
        let summary = format!(
            "{} joined the cohort of '{}' on {} ({}, {} a week)",
            m.case_ref,
            book.contract.name,
            long_date(m.entered_on),
            m.placement.label(),
            money(m.weekly_cost_pence)
        );
        let after = json!({"case_ref": m.case_ref, "born": m.born.code(), "entered_on": m.entered_on.to_string(),
            "placement": m.placement.as_str(), "weekly_cost_pence": m.weekly_cost_pence});
        record(&mut tx, actor, "create", "oc_member", Some(&id), &summary, None, Some(&after)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Record a person leaving the cohort (core checks the date and reason), from the member's
    /// page opened at `expected` (decision 25): recorded by someone else since, it is refused
    /// with `Stale` and nothing is written.
    #[allow(clippy::too_many_arguments)]
    pub async fn oc_member_leaves(
        &self,
        actor: &Actor,
        contract_id: &str,
        member_id: &str,
        reason: Option<LeaveReason>,
        on: Option<Date>,
        today: Date,
        expected: Version,
    ) -> Result<()> {
        check_current(self.version_of(Versioned::OcMembers, member_id).await?, expected)?;
        let mut tx = self.begin_write().await?;
        let book = load_book(&mut tx, contract_id).await?;
        let (m, d, r) = leaving(&book, member_id, reason, on, today)?;
        let done = sqlx::query(
            "UPDATE oc_members SET left_on = $1, leave_reason = $2, version = version + 1 WHERE id = $3 AND version = $4 AND left_on IS NULL",
        )
        .bind(d.to_string())
        .bind(r.as_str())
        .bind(member_id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // Recorded since this form was opened: by someone else's save, which raised the version.
        saved(&mut tx, Versioned::OcMembers, member_id, done).await?;
        let summary = format!("{} left the cohort of '{}' on {}: {}", m.case_ref, book.contract.name, long_date(d), r.label());
        record(
            &mut tx,
            actor,
            "update",
            "oc_member",
            Some(member_id),
            &summary,
            Some(&json!({"left_on": null})),
            Some(&json!({"left_on": d.to_string(), "leave_reason": r.as_str()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A claim for an outcome. Through the portal (`provider_id`) only for a contract the provider
    /// is a party to; core refuses bad input and the contract's rules, naming them.
    pub async fn submit_oc_claim(
        &self,
        actor: &Actor,
        contract_id: &str,
        provider_id: Option<&str>,
        draft: &ClaimDraft,
        today: Date,
    ) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let book = load_book(&mut tx, contract_id).await?;
        let c = check_claim(&book, provider_id, draft, today)?;
        let rec = submitted(new_id(), &c, &book, provider_id, &actor.label, now_timestamp());
        let id = rec.claim.id.clone();
        insert_rows(&mut tx, "oc_claims", &CLAIM_COLUMNS, vec![claim_row(contract_id, &rec)]).await?;
        let summary =
            format!("Claimed '{}' for {} on '{}', achieved {}", rec.outcome_name, c.case_ref, book.contract.name, long_date(c.achieved_on));
        let after = json!({"case_ref": c.case_ref, "outcome_id": c.outcome_id, "achieved_on": c.achieved_on.to_string(),
            "evidence": c.evidence, "provider_id": provider_id});
        record(&mut tx, actor, "create", "oc_claim", Some(&id), &summary, None, Some(&after)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An officer verifies or rejects a pending claim. Verifying checks the contract's rules again
    /// (another claim may have been verified since) and refuses with the rule named (field
    /// `decision`); a verified claim's payment is split between the funders and saved with it.
    /// `decided_on` is today for an officer's decision (earlier only when loading history).
    /// From the claim's page opened at `expected` (decision 25): decided by someone else since,
    /// it is refused with `Stale`, and nothing is written, the payment split included.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_oc_claim(
        &self,
        actor: &Actor,
        contract_id: &str,
        claim_id: &str,
        verify: Option<bool>,
        reason: &str,
        decided_on: Date,
        expected: Version,
    ) -> Result<ClaimStatus> {
        let mut tx = self.begin_write().await?;
        let book = load_book(&mut tx, contract_id).await?;
        let Some(rec) = book.claims.iter().find(|c| c.claim.id == claim_id) else {
            return Err(StoreError::NotFound(format!("outcome claim {claim_id}")));
        };
        check_current(rec.version, expected)?;
        let (status, reason, parts) = decide(&book, &rec.claim, verify, reason)?;
        let f = &book.facts;
        let now = now_timestamp();
        let done = sqlx::query(
            "UPDATE oc_claims SET status = $1, decided_by_label = $2, decided_on = $3, decided_at = $4, reason = $5, version = version + 1
             WHERE id = $6 AND status = $7 AND version = $8",
        )
        .bind(status.as_str())
        .bind(&actor.label)
        .bind(decided_on.to_string())
        .bind(&now)
        .bind(reason.clone())
        .bind(claim_id)
        .bind(ClaimStatus::Pending.as_str())
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // Decided since the book was read (another officer's save, which raised the version).
        saved(&mut tx, Versioned::OcClaims, claim_id, done).await?;
        insert_rows(&mut tx, "oc_payment_parts", &PART_COLUMNS, parts.iter().map(|p| part_row(claim_id, p)).collect()).await?;
        let names: Vec<String> = parts
            .iter()
            .map(|p| {
                let who = f.parties.iter().find(|x| x.id == p.party_id).map(|x| x.name.as_str()).unwrap_or("?");
                format!("{who} {}", money(p.pence))
            })
            .collect();
        let summary = match status {
            ClaimStatus::Verified => {
                format!("Verified '{}' for {} ({}): {}", rec.outcome_name, rec.case_ref, money(rec.tariff_pence), names.join(", "))
            }
            _ => format!("Rejected '{}' for {}: {}", rec.outcome_name, rec.case_ref, reason.clone().unwrap_or_default()),
        };
        let parts_json: Vec<serde_json::Value> = parts.iter().map(|p| json!({"party_id": p.party_id, "pence": p.pence})).collect();
        record(
            &mut tx,
            actor,
            "update",
            "oc_claim",
            Some(claim_id),
            &summary,
            Some(&json!({"status": ClaimStatus::Pending.as_str()})),
            Some(&json!({"status": status.as_str(), "reason": reason, "parts": parts_json})),
        )
        .await?;
        tx.commit().await?;
        Ok(status)
    }
}

async fn insert_party(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    contract_id: &str,
    contract_name: &str,
    p: &Party,
) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO oc_parties (id, contract_id, role, name, provider_id, share_bp, commitment_pence, ends_on, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(contract_id)
    .bind(p.role.as_str())
    .bind(&p.name)
    .bind(p.provider_id.clone())
    .bind(p.share_bp)
    .bind(p.commitment_pence)
    .bind(p.ends_on.map(|d| d.to_string()))
    .bind(now_timestamp())
    .execute(&mut **tx)
    .await?;
    let summary = format!("Added {} ({}) to '{contract_name}'", p.name, p.role.label().to_lowercase());
    let after = json!({"role": p.role.as_str(), "name": p.name, "provider_id": p.provider_id, "share_bp": p.share_bp,
        "commitment_pence": p.commitment_pence, "ends_on": p.ends_on.map(|d| d.to_string())});
    record(tx, actor, "create", "oc_party", Some(&id), &summary, None, Some(&after)).await?;
    Ok(id)
}
