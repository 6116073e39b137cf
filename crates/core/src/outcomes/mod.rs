//! Outcomes-based contracts (issue 13 items 4-7; domain C10; seed `003`, the Promoting
//! Independence business case).
//!
//! - A contract has parties (the council, the special purpose vehicle, its providers, co-funders
//!   such as the Life Chances Fund with their share of each outcome payment, the most they commit
//!   and the date after which they pay nothing, and pooled-budget partners with their share of
//!   the risk), a term, a budget envelope (`003` 4.2.3: "approximately £3m over 9 years") and a
//!   hard cap only when the contract sets one, the cohort's baseline and forecast (`003` 4.2.4:
//!   "from 173 currently to 105 – 120 by 2024"), the expected net saving (£3m – £3.7m) and the
//!   outcomes with their tariffs (pence), the evidence each needs and its prerequisite
//!   ("sustain" needs the move, a number of months before).
//! - The cohort is kept by case reference only, with the month and year of birth (all the age-out
//!   rule needs: people age out at 65, `003` 5.3), the placement (24/7 residential or nursing
//!   care) and its weekly cost. Moving out of 24/7 care is an outcome, not leaving the cohort; a
//!   person leaves the cohort when they age out, die, move away or withdraw.
//! - A claim for an outcome is refused, with the rule named, when the outcome is already paid (or
//!   already claimed), before its prerequisite, outside the person's time in the cohort, or
//!   beyond the contract's cap ([`Rule`]).
//! - A verified claim becomes a payment of the outcome's tariff, split by [`split`]: each
//!   co-funder pays its share of the tariff for outcomes achieved on or before its end date, up
//!   to what it committed; the council pays the rest. The parts always add up to the tariff.
//! - Savings ([`avoided_pence`]) are the weekly cost of the placement a person moved out of, for
//!   the days they stayed out (until they left the cohort), over 7. "Outcomes payments will be
//!   made only once savings have been realised in the placements costs" (`003` 4.2.2): payments
//!   are released in the order they were verified, each only once the savings realised to date
//!   cover every payment released so far and itself ([`release`]); until then it is held.

use crate::direct_payments::money::{div_round, parse_money};
use crate::direct_payments::{normalise_person_ref, valid_person_ref};
use crate::{Date, FieldError, FieldErrors};
use serde::Serialize;
use std::collections::BTreeMap;

/// The age at which people leave the cohort (`003` 5.3: "Many will only leave the service when
/// they turn 65 and age out of the cohort").
pub const DEFAULT_AGE_OUT: i64 = 65;
/// Longest free text kept (evidence, reasons, notes).
pub const MAX_TEXT: usize = 2000;
const CASE_REF_MESSAGE: &str =
    "Enter the person's case reference (letters, numbers, - or /, up to 20 characters, with at least one number), not their name";

macro_rules! simple_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $code),+ } }
            pub fn label(self) -> &'static str { match self { $($name::$v => $label),+ } }
            pub fn parse(s: &str) -> Option<$name> { $name::ALL.iter().copied().find(|x| x.as_str() == s.trim()) }
        }
    };
}

simple_enum!(
    /// Who a party to an outcomes contract is (`003` 4.2.11-4.3.2).
    PartyRole {
        Council = ("council", "Council (commissioner)"),
        /// The special purpose vehicle the council contracts, which contracts the providers.
        Spv = ("spv", "Special purpose vehicle"),
        Provider = ("provider", "Provider (contracted by the special purpose vehicle)"),
        /// Pays a share of each outcome payment (the Life Chances Fund).
        CoFunder = ("co_funder", "Co-funder of outcome payments"),
        /// Shares the risk through the pooled budget (the CCG, `003` 4.2.11).
        PoolPartner = ("pool_partner", "Pooled-budget partner"),
    }
);

simple_enum!(
    /// The 24/7 care a cohort member lives in at the start (`003` 1.3).
    Placement {
        Residential = ("residential", "24/7 residential care"),
        Nursing = ("nursing", "24/7 nursing care"),
    }
);

simple_enum!(
    /// Why a person left the cohort. Moving on from 24/7 care is not one: it is an outcome.
    LeaveReason {
        AgedOut = ("aged_out", "Aged out (reached the cohort's age limit)"),
        Died = ("died", "Died"),
        MovedAway = ("moved_away", "Moved away from the area"),
        Withdrew = ("withdrew", "Withdrew from the service"),
    }
);

simple_enum!(
    /// Where an outcome claim stands.
    ClaimStatus {
        Pending = ("pending", "Waiting for verification"),
        Verified = ("verified", "Verified"),
        Rejected = ("rejected", "Rejected"),
    }
);

simple_enum!(
    /// What an outcome means for the savings and the cohort count.
    OutcomeKind {
        /// The move from 24/7 care to supported or independent living: savings count from it.
        Move = ("move", "Move from 24/7 care to supported or independent living"),
        /// Sustaining the move to a milestone.
        Sustain = ("sustain", "Sustain the move"),
        /// Starting or completing a training or education course.
        Education = ("education", "Training or education"),
        Other = ("other", "Other"),
    }
);

simple_enum!(
    /// The contract's rules a claim may be refused by (issue 13 item 6).
    Rule {
        AlreadyPaid = ("already_paid", "Already paid"),
        AlreadyClaimed = ("already_claimed", "Already claimed"),
        BeforePrerequisite = ("before_prerequisite", "Before its prerequisite"),
        AfterLeft = ("after_left", "After the person left the cohort"),
        BeforeEntered = ("before_entered", "Before the person joined the cohort"),
        BeyondCap = ("beyond_cap", "Beyond the contract's cap"),
    }
);

/// A refusal by one of the contract's rules, with what the rule found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub rule: Rule,
    pub message: String,
}

impl Refusal {
    /// "Refused by the rule 'Already paid': ...".
    pub fn text(&self) -> String {
        format!("Refused by the rule '{}': {}", self.rule.label(), self.message)
    }
}

/// "3 June 2025".
pub fn long_date(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// Pence as "£1,234.56".
pub fn money(p: i64) -> String {
    crate::direct_payments::money::money(p)
}

/// Whole days from `a` to `b` (negative when `b` is before `a`).
pub fn days_between(a: Date, b: Date) -> i64 {
    a.until(b).map(|s| i64::from(s.get_days())).unwrap_or(0)
}

fn add_months(d: Date, months: i64) -> Date {
    d.checked_add(jiff::Span::new().months(months)).unwrap_or(d)
}

/// A percentage typed as "25", "12.5" or "12.50%" as basis points (0 to 10,000).
pub fn parse_percent_bp(field: &str, label: &str, raw: &str) -> Result<i64, FieldError> {
    let t = raw.trim().trim_end_matches('%').trim();
    if t.is_empty() {
        return Err(FieldError::new(field, format!("Enter the {}", label.to_lowercase())));
    }
    if t.starts_with('-') {
        return Err(FieldError::new(field, format!("{label} cannot be negative")));
    }
    let Some(hundredths) = parse_money(t) else {
        return Err(FieldError::new(field, format!("{label} must be a percentage, like 25 or 12.5")));
    };
    if hundredths > 10_000 {
        return Err(FieldError::new(field, format!("{label} cannot be over 100%")));
    }
    Ok(hundredths)
}

/// Basis points as "25%" or "12.5%".
pub fn percent_text(bp: i64) -> String {
    let whole = bp / 100;
    let frac = bp % 100;
    if frac == 0 {
        format!("{whole}%")
    } else if frac % 10 == 0 {
        format!("{whole}.{}%", frac / 10)
    } else {
        format!("{whole}.{frac:02}%")
    }
}

fn amount(field: &str, label: &str, raw: &str, allow_zero: bool) -> Result<i64, FieldError> {
    crate::direct_payments::money::parse_amount(field, label, raw, allow_zero)
}

fn optional_amount(field: &str, label: &str, raw: &str) -> Result<Option<i64>, FieldError> {
    if raw.trim().is_empty() { Ok(None) } else { amount(field, label, raw, false).map(Some) }
}

fn count(field: &str, label: &str, raw: &str) -> Result<i64, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, format!("Enter the {}", label.to_lowercase())));
    }
    if t.starts_with('-') {
        return Err(FieldError::new(field, format!("{label} cannot be negative")));
    }
    t.parse::<i64>()
        .ok()
        .filter(|n| *n <= 1_000_000)
        .ok_or_else(|| FieldError::new(field, format!("{label} must be a whole number, like 173")))
}

fn text(e: &mut FieldErrors, field: &str, label: &str, raw: &str, required: bool) -> String {
    let t = raw.trim().to_string();
    if required && t.is_empty() {
        e.add(field, format!("Enter the {}", label.to_lowercase()));
    } else if t.chars().count() > MAX_TEXT {
        e.add(field, format!("{label} must be {MAX_TEXT} characters or fewer"));
    }
    t
}

// ---------------------------------------------------------------------------------------------
// The contract

/// An outcomes contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contract {
    pub id: String,
    pub name: String,
    pub starts_on: Date,
    pub ends_on: Date,
    /// The budget envelope for outcome payments (a forecast, not a limit).
    pub envelope_pence: i64,
    /// A hard cap on outcome payments, only when the contract sets one.
    pub cap_pence: Option<i64>,
    /// People in the cohort at the start (`003`: 173).
    pub baseline: i64,
    /// The forecast of people still in 24/7 care by `forecast_by` (`003`: 105 to 120 by 2024).
    pub forecast_low: i64,
    pub forecast_high: i64,
    pub forecast_by: Date,
    /// The business case's expected net saving (`003`: £3m to £3.7m).
    pub expected_saving_low_pence: i64,
    pub expected_saving_high_pence: i64,
    /// The cohort's eligibility rule as the contract words it.
    pub eligibility: String,
    /// The age at which people leave the cohort.
    pub age_out: i64,
}

/// A contract as an officer types it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContractDraft {
    pub name: String,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub envelope: String,
    pub cap: String,
    pub baseline: String,
    pub forecast_low: String,
    pub forecast_high: String,
    pub forecast_by: Option<Date>,
    pub expected_saving_low: String,
    pub expected_saving_high: String,
    pub eligibility: String,
    pub age_out: String,
}

impl ContractDraft {
    /// Every problem, each naming its field: a name; a start and an end after it; the envelope
    /// (more than £0); a cap, when set, of more than £0; the baseline and a forecast range no
    /// wider than the baseline, low to high, due within the term; the expected saving, low to
    /// high; the eligibility rule; an age-out age from 18 to 120.
    pub fn check(&self) -> Result<Contract, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = text(&mut e, "name", "Contract name", &self.name, true);
        if self.starts_on.is_none() {
            e.add("starts_on", "Enter the date the contract starts");
        }
        if self.ends_on.is_none() {
            e.add("ends_on", "Enter the date the contract ends");
        }
        if let (Some(s), Some(t)) = (self.starts_on, self.ends_on)
            && t <= s
        {
            e.add("ends_on", "The end date must be after the start date");
        }
        let envelope = e.check(amount("envelope", "Budget envelope", &self.envelope, false));
        let cap = e.check(optional_amount("cap", "Cap", &self.cap)).flatten();
        let baseline = e.check(count("baseline", "Baseline", &self.baseline));
        let low = e.check(count("forecast_low", "Lowest forecast", &self.forecast_low));
        let high = e.check(count("forecast_high", "Highest forecast", &self.forecast_high));
        if let (Some(l), Some(h)) = (low, high)
            && l > h
        {
            e.add("forecast_high", "The highest forecast must not be less than the lowest");
        }
        if let (Some(b), Some(h)) = (baseline, high)
            && h > b
        {
            e.add("forecast_high", "The forecast is of people still in 24/7 care: it cannot be more than the baseline");
        }
        if self.forecast_by.is_none() {
            e.add("forecast_by", "Enter the date the forecast is for");
        }
        if let (Some(f), Some(s), Some(t)) = (self.forecast_by, self.starts_on, self.ends_on)
            && (f < s || f > t)
        {
            e.add("forecast_by", "The forecast's date must be within the contract's term");
        }
        let sav_low = e.check(amount("expected_saving_low", "Lowest expected net saving", &self.expected_saving_low, true));
        let sav_high = e.check(amount("expected_saving_high", "Highest expected net saving", &self.expected_saving_high, true));
        if let (Some(l), Some(h)) = (sav_low, sav_high)
            && l > h
        {
            e.add("expected_saving_high", "The highest expected saving must not be less than the lowest");
        }
        let eligibility = text(&mut e, "eligibility", "Eligibility rule", &self.eligibility, true);
        let age_out = if self.age_out.trim().is_empty() {
            Some(DEFAULT_AGE_OUT)
        } else {
            match e.check(count("age_out", "Age out", &self.age_out)) {
                Some(a) if !(18..=120).contains(&a) => {
                    e.add("age_out", "The age people leave the cohort must be from 18 to 120");
                    None
                }
                a => a,
            }
        };
        let (
            Some(starts_on),
            Some(ends_on),
            Some(envelope),
            Some(baseline),
            Some(low),
            Some(high),
            Some(by),
            Some(sl),
            Some(sh),
            Some(age),
        ) = (self.starts_on, self.ends_on, envelope, baseline, low, high, self.forecast_by, sav_low, sav_high, age_out)
        else {
            return Err(e);
        };
        e.into_result(Contract {
            id: String::new(),
            name,
            starts_on,
            ends_on,
            envelope_pence: envelope,
            cap_pence: cap,
            baseline,
            forecast_low: low,
            forecast_high: high,
            forecast_by: by,
            expected_saving_low_pence: sl,
            expected_saving_high_pence: sh,
            eligibility,
            age_out: age,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Parties

/// A party to a contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Party {
    pub id: String,
    pub role: PartyRole,
    pub name: String,
    /// The provider in the register, for the SPV and its providers (they claim in the portal).
    pub provider_id: Option<String>,
    /// A co-funder's share of each outcome payment, or a pooled-budget partner's share of the
    /// risk, in basis points; 0 for the others.
    pub share_bp: i64,
    /// The most a co-funder pays in all (`003`: £750,000 from the Life Chances Fund).
    pub commitment_pence: Option<i64>,
    /// The last day a co-funder pays for (`003` 4.2.14: "until 2024/25").
    pub ends_on: Option<Date>,
}

/// A party as an officer types it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartyDraft {
    pub role: Option<PartyRole>,
    pub name: String,
    pub provider_id: String,
    pub share: String,
    pub commitment: String,
    pub ends_on: Option<Date>,
}

impl PartyDraft {
    /// A role; a name; the SPV and providers a provider from the register (so they can claim);
    /// co-funders and pooled-budget partners a share, the shares of each kind adding up to no
    /// more than 100%; a co-funder's commitment, if given, more than £0. One council.
    pub fn check(&self, existing: &[Party]) -> Result<Party, FieldErrors> {
        let mut e = FieldErrors::new();
        let Some(role) = self.role else {
            e.add("role", "Choose the party's role");
            return Err(e);
        };
        let name = text(&mut e, "name", "Party's name", &self.name, true);
        let provider_id = Some(self.provider_id.trim().to_string()).filter(|p| !p.is_empty());
        let needs_provider = matches!(role, PartyRole::Spv | PartyRole::Provider);
        if needs_provider && provider_id.is_none() {
            e.add("provider_id", "Choose the provider in the register (its users claim outcomes in the portal)");
        }
        if role == PartyRole::Council && existing.iter().any(|p| p.role == PartyRole::Council) {
            e.add("role", "The contract already has the council as a party");
        }
        let shared = matches!(role, PartyRole::CoFunder | PartyRole::PoolPartner);
        let share = if shared { e.check(parse_percent_bp("share", "Share", &self.share)) } else { Some(0) };
        if let Some(s) = share
            && shared
        {
            let others: i64 = existing.iter().filter(|p| p.role == role).map(|p| p.share_bp).sum();
            if s == 0 {
                e.add("share", "Share must be more than 0%");
            } else if others + s > 10_000 {
                e.add(
                    "share",
                    format!(
                        "Shares over 100%: the {} would share {} with this one",
                        if role == PartyRole::CoFunder { "co-funders" } else { "pooled-budget partners" },
                        percent_text(others + s)
                    ),
                );
            }
        }
        let commitment = if role == PartyRole::CoFunder {
            e.check(optional_amount("commitment", "Commitment", &self.commitment)).flatten()
        } else {
            None
        };
        let ends_on = if role == PartyRole::CoFunder { self.ends_on } else { None };
        let Some(share_bp) = share else { return Err(e) };
        e.into_result(Party {
            id: String::new(),
            role,
            name,
            provider_id: if needs_provider { provider_id } else { None },
            share_bp,
            commitment_pence: commitment,
            ends_on,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Outcomes

/// An outcome that triggers a payment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub id: String,
    pub name: String,
    pub kind: OutcomeKind,
    pub tariff_pence: i64,
    /// What a claim must show (`003` 4.3.1: outcomes and their measurement are agreed in the contract).
    pub evidence: String,
    /// The outcome that must have been verified first (sustain needs the move).
    pub prerequisite_id: Option<String>,
    /// Months after the prerequisite was achieved before this one can be (a sustain milestone).
    pub after_months: i64,
}

/// An outcome as an officer types it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutcomeDraft {
    pub name: String,
    pub kind: Option<OutcomeKind>,
    pub tariff: String,
    pub evidence: String,
    pub prerequisite_id: String,
    pub after_months: String,
}

impl OutcomeDraft {
    /// A name not used by another of the contract's outcomes; a kind; a tariff of more than £0
    /// (never negative); the evidence required; a prerequisite among the contract's outcomes,
    /// with 0 to 60 months after it (24 is `003`'s longest milestone).
    pub fn check(&self, existing: &[Outcome]) -> Result<Outcome, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = text(&mut e, "name", "Outcome", &self.name, true);
        if existing.iter().any(|o| o.name.eq_ignore_ascii_case(&name)) {
            e.add("name", format!("The contract already has an outcome called '{name}'"));
        }
        if self.kind.is_none() {
            e.add("kind", "Choose what kind of outcome it is");
        }
        let tariff = e.check(amount("tariff", "Tariff", &self.tariff, false));
        let evidence = text(&mut e, "evidence", "Evidence required", &self.evidence, true);
        let prerequisite_id = Some(self.prerequisite_id.trim().to_string()).filter(|p| !p.is_empty());
        if let Some(p) = &prerequisite_id
            && !existing.iter().any(|o| &o.id == p)
        {
            e.add("prerequisite_id", "Choose a prerequisite from the contract's outcomes");
        }
        let after_months = if self.after_months.trim().is_empty() {
            Some(0)
        } else {
            match e.check(count("after_months", "Months after the prerequisite", &self.after_months)) {
                Some(m) if m > 60 => {
                    e.add("after_months", "Months after the prerequisite must be 60 or fewer");
                    None
                }
                m => m,
            }
        };
        if prerequisite_id.is_none() && after_months.is_some_and(|m| m > 0) {
            e.add("after_months", "Months after the prerequisite need a prerequisite: choose one, or leave the months blank");
        }
        let (Some(kind), Some(tariff), Some(after_months)) = (self.kind, tariff, after_months) else { return Err(e) };
        e.into_result(Outcome { id: String::new(), name, kind, tariff_pence: tariff, evidence, prerequisite_id, after_months })
    }
}

// ---------------------------------------------------------------------------------------------
// The cohort

/// A month and year of birth: all the age-out rule needs (no day, no name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct BirthMonth {
    pub year: i16,
    pub month: i8,
}

impl BirthMonth {
    /// "1968-05" or "05/1968".
    pub fn parse(field: &str, raw: &str, today: Date) -> Result<BirthMonth, FieldError> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(FieldError::new(field, "Enter the month and year of birth, like 1968-05"));
        }
        let bad = || FieldError::new(field, format!("'{t}' is not a month and year of birth: write it like 1968-05"));
        let (y, m) = match (t.split_once('-'), t.split_once('/')) {
            (Some((y, m)), _) => (y, m),
            (None, Some((m, y))) => (y, m),
            _ => return Err(bad()),
        };
        let (Ok(year), Ok(month)) = (y.trim().parse::<i16>(), m.trim().parse::<i8>()) else { return Err(bad()) };
        if !(1900..=2100).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        let b = BirthMonth { year, month };
        if b.first_day() > today {
            return Err(FieldError::new(field, "The month of birth cannot be in the future"));
        }
        Ok(b)
    }
    pub fn code(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
    pub fn first_day(self) -> Date {
        jiff::civil::date(self.year, self.month, 1)
    }
    /// The day a person born in this month reaches `age`, taken as the first of the month (the
    /// day is not kept, so the earliest it can be).
    pub fn reaches(self, age: i64) -> Date {
        jiff::civil::date(self.year.saturating_add(age as i16), self.month, 1)
    }
    /// Age in whole years on `on` (counted from the first of the birth month).
    pub fn age_on(self, on: Date) -> i64 {
        let mut a = i64::from(on.year()) - i64::from(self.year);
        if on.month() < self.month {
            a -= 1;
        }
        a
    }
}

/// A person in the cohort, by case reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub id: String,
    pub case_ref: String,
    pub born: BirthMonth,
    pub entered_on: Date,
    pub placement: Placement,
    /// The weekly cost of the 24/7 placement they were in when they joined.
    pub weekly_cost_pence: i64,
    pub left_on: Option<Date>,
    pub leave_reason: Option<LeaveReason>,
}

impl Member {
    /// When and why the person left the cohort: the recorded leaving, or ageing out, whichever
    /// came first.
    pub fn left(&self, age_out: i64) -> Option<(Date, LeaveReason)> {
        let aged = self.born.reaches(age_out);
        match (self.left_on, self.leave_reason) {
            (Some(d), Some(r)) if d <= aged => Some((d, r)),
            (Some(d), None) if d <= aged => Some((d, LeaveReason::Withdrew)),
            _ => Some((aged, LeaveReason::AgedOut)),
        }
    }
    /// The day the person left the cohort by `on`, if they had.
    pub fn left_by(&self, age_out: i64, on: Date) -> Option<(Date, LeaveReason)> {
        self.left(age_out).filter(|(d, _)| *d <= on)
    }
    /// In the cohort on `on`: joined by then and not yet left.
    pub fn in_cohort(&self, age_out: i64, on: Date) -> bool {
        self.entered_on <= on && self.left_by(age_out, on).is_none()
    }
}

/// A cohort member as an officer types them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberDraft {
    pub case_ref: String,
    pub born: String,
    pub entered_on: Option<Date>,
    pub placement: Option<Placement>,
    pub weekly_cost: String,
    /// The officer confirms the person's mental health need (the eligibility rule).
    pub mental_health_need: bool,
}

impl MemberDraft {
    /// The eligibility rule (`003` 1.3-1.5): a mental health need; in 24/7 residential or nursing
    /// care when they join; under the age-out age that day. A case reference (not a name) not
    /// already in the cohort; a month of birth; a join date within the contract's term, not in
    /// the future; the placement's weekly cost, more than £0.
    pub fn check(&self, contract: &Contract, existing: &[Member], today: Date) -> Result<Member, FieldErrors> {
        let mut e = FieldErrors::new();
        let case_ref = normalise_person_ref(&self.case_ref);
        if !valid_person_ref(&case_ref) {
            e.add("case_ref", CASE_REF_MESSAGE);
        } else if existing.iter().any(|m| m.case_ref == case_ref) {
            e.add("case_ref", format!("{case_ref} is already in the cohort"));
        }
        let born = e.check(BirthMonth::parse("born", &self.born, today));
        match self.entered_on {
            None => e.add("entered_on", "Enter the date the person joined the cohort"),
            Some(d) if d > today => e.add("entered_on", "The date the person joined cannot be in the future"),
            Some(d) if d < contract.starts_on || d > contract.ends_on => e.add(
                "entered_on",
                format!("The date the person joined must be within the contract's term, from {}", long_date(contract.starts_on)),
            ),
            Some(_) => {}
        }
        if self.placement.is_none() {
            e.add("placement", "Choose the 24/7 care the person is in: residential or nursing (the cohort's eligibility rule)");
        }
        if !self.mental_health_need {
            e.add("mental_health_need", "The cohort is for people with a mental health need: confirm the person has one");
        }
        let cost = e.check(amount("weekly_cost", "Weekly cost", &self.weekly_cost, false));
        if let (Some(b), Some(d)) = (born, self.entered_on) {
            let age = b.age_on(d);
            if age >= contract.age_out {
                e.add("born", format!("The person was {age} when they joined: the cohort is for people under {}", contract.age_out));
            } else if age < 18 {
                e.add("born", format!("The person was {age} when they joined: the cohort is for adults"));
            }
        }
        let (Some(born), Some(entered_on), Some(placement), Some(cost)) = (born, self.entered_on, self.placement, cost) else {
            return Err(e);
        };
        e.into_result(Member {
            id: String::new(),
            case_ref,
            born,
            entered_on,
            placement,
            weekly_cost_pence: cost,
            left_on: None,
            leave_reason: None,
        })
    }
}

/// A person leaving the cohort: a reason and a date from their joining to today (and not after
/// a leaving already recorded).
pub fn check_leave(
    member: &Member,
    reason: Option<LeaveReason>,
    on: Option<Date>,
    today: Date,
) -> Result<(Date, LeaveReason), FieldErrors> {
    let mut e = FieldErrors::new();
    if member.left_on.is_some() {
        e.add("reason", format!("{} has already left the cohort", member.case_ref));
    }
    if reason.is_none() {
        e.add("reason", "Choose why the person left the cohort");
    }
    match on {
        None => e.add("left_on", "Enter the date the person left the cohort"),
        Some(d) if d > today => e.add("left_on", "The date the person left cannot be in the future"),
        Some(d) if d < member.entered_on => {
            e.add("left_on", format!("The date the person left cannot be before they joined, {}", long_date(member.entered_on)))
        }
        Some(_) => {}
    }
    let (Some(r), Some(d)) = (reason, on) else { return Err(e) };
    e.into_result((d, r))
}

// ---------------------------------------------------------------------------------------------
// Claims

/// An outcome claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    pub id: String,
    pub member_id: String,
    pub outcome_id: String,
    pub achieved_on: Date,
    pub evidence: String,
    pub status: ClaimStatus,
    /// The day the officer decided it (a payment is not released before it is verified).
    pub decided_on: Option<Date>,
    /// When, to the microsecond (the order payments are released in).
    pub decided_at: Option<String>,
    pub reason: Option<String>,
}

/// A claim as the provider types it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimDraft {
    pub case_ref: String,
    pub outcome_id: String,
    pub achieved_on: Option<Date>,
    pub evidence: String,
}

/// A checked claim, ready to save.
#[derive(Debug, Clone, PartialEq)]
pub struct NewClaim {
    pub member_id: String,
    pub case_ref: String,
    pub outcome_id: String,
    pub achieved_on: Date,
    pub evidence: String,
}

/// Everything a claim is checked against.
#[derive(Debug, Clone, Copy)]
pub struct ClaimFacts<'a> {
    pub contract: &'a Contract,
    pub outcomes: &'a [Outcome],
    pub members: &'a [Member],
    pub claims: &'a [Claim],
}

impl ClaimDraft {
    /// Bad input, each naming its field: a person in the cohort (case reference); one of the
    /// contract's outcomes; the date achieved, not in the future; the evidence. Then the
    /// contract's rules ([`check_rules`]), refused against the outcome with the rule named.
    pub fn check(&self, facts: ClaimFacts, today: Date) -> Result<NewClaim, FieldErrors> {
        let mut e = FieldErrors::new();
        let case_ref = normalise_person_ref(&self.case_ref);
        let member = facts.members.iter().find(|m| m.case_ref == case_ref);
        if !valid_person_ref(&case_ref) {
            e.add("case_ref", CASE_REF_MESSAGE);
        } else if member.is_none() {
            e.add("case_ref", format!("{case_ref} is not in this contract's cohort"));
        }
        let outcome = facts.outcomes.iter().find(|o| o.id == self.outcome_id.trim());
        if outcome.is_none() {
            e.add("outcome_id", "Choose the outcome achieved");
        }
        match self.achieved_on {
            None => e.add("achieved_on", "Enter the date the outcome was achieved"),
            Some(d) if d > today => e.add("achieved_on", "The date achieved cannot be in the future"),
            Some(_) => {}
        }
        let evidence = text(&mut e, "evidence", "Evidence", &self.evidence, true);
        let (Some(m), Some(o), Some(on)) = (member, outcome, self.achieved_on) else { return Err(e) };
        if !e.is_empty() {
            return Err(e);
        }
        if let Err(r) = check_rules(facts, m, o, on, None) {
            e.add("outcome_id", r.text());
            return Err(e);
        }
        Ok(NewClaim { member_id: m.id.clone(), case_ref, outcome_id: o.id.clone(), achieved_on: on, evidence })
    }
}

/// The tariffs of the verified claims (what the contract has committed to pay).
pub fn committed_pence(outcomes: &[Outcome], claims: &[Claim]) -> i64 {
    claims
        .iter()
        .filter(|c| c.status == ClaimStatus::Verified)
        .filter_map(|c| outcomes.iter().find(|o| o.id == c.outcome_id))
        .map(|o| o.tariff_pence)
        .sum()
}

/// The contract's rules for a claim of `outcome` for `member` achieved `on` (issue 13 item 6),
/// in this order: already paid (a verified claim of the same outcome for the person) or already
/// claimed (one waiting for verification; `claim_id`, the claim being verified, does not count);
/// before the person joined; after they left the cohort (or aged out); before its prerequisite
/// was verified and the months after it had passed; beyond the contract's cap (the verified
/// claims' tariffs and this one more than the cap, when the contract sets one).
pub fn check_rules(facts: ClaimFacts, member: &Member, outcome: &Outcome, on: Date, claim_id: Option<&str>) -> Result<(), Refusal> {
    let same = |c: &&Claim| c.member_id == member.id && c.outcome_id == outcome.id && Some(c.id.as_str()) != claim_id;
    if let Some(paid) = facts.claims.iter().filter(same).find(|c| c.status == ClaimStatus::Verified) {
        return Err(Refusal {
            rule: Rule::AlreadyPaid,
            message: format!(
                "'{}' was verified for {} (achieved {}): an outcome is paid once",
                outcome.name,
                member.case_ref,
                long_date(paid.achieved_on)
            ),
        });
    }
    if facts.claims.iter().filter(same).any(|c| c.status == ClaimStatus::Pending) {
        return Err(Refusal {
            rule: Rule::AlreadyClaimed,
            message: format!("'{}' has already been claimed for {} and is waiting for verification", outcome.name, member.case_ref),
        });
    }
    if on < member.entered_on {
        return Err(Refusal {
            rule: Rule::BeforeEntered,
            message: format!("{} joined the cohort on {}, after {}", member.case_ref, long_date(member.entered_on), long_date(on)),
        });
    }
    if let Some((left, why)) = member.left(facts.contract.age_out)
        && on >= left
    {
        return Err(Refusal {
            rule: Rule::AfterLeft,
            message: format!(
                "{} left the cohort on {} ({}), before {}",
                member.case_ref,
                long_date(left),
                why.label().to_lowercase(),
                long_date(on)
            ),
        });
    }
    if let Some(pre_id) = &outcome.prerequisite_id {
        let pre = facts.outcomes.iter().find(|o| &o.id == pre_id);
        let pre_name = pre.map(|p| p.name.as_str()).unwrap_or("its prerequisite");
        let done = facts
            .claims
            .iter()
            .filter(|c| c.member_id == member.id && &c.outcome_id == pre_id && c.status == ClaimStatus::Verified)
            .map(|c| c.achieved_on)
            .min();
        match done {
            None => {
                return Err(Refusal {
                    rule: Rule::BeforePrerequisite,
                    message: format!("'{}' needs '{pre_name}' verified for {} first", outcome.name, member.case_ref),
                });
            }
            Some(d) => {
                let due = add_months(d, outcome.after_months);
                if on < due {
                    return Err(Refusal {
                        rule: Rule::BeforePrerequisite,
                        message: format!(
                            "'{}' is due {} months after '{pre_name}' ({}): not before {}",
                            outcome.name,
                            outcome.after_months,
                            long_date(d),
                            long_date(due)
                        ),
                    });
                }
            }
        }
    }
    if let Some(cap) = facts.contract.cap_pence {
        let committed = committed_pence(facts.outcomes, facts.claims);
        if committed + outcome.tariff_pence > cap {
            return Err(Refusal {
                rule: Rule::BeyondCap,
                message: format!(
                    "{} verified so far and this tariff of {} would be over the contract's cap of {}",
                    money(committed),
                    money(outcome.tariff_pence),
                    money(cap)
                ),
            });
        }
    }
    Ok(())
}

/// An officer's decision on a pending claim: verify, or reject with a reason.
pub fn check_decision(claim: &Claim, verify: Option<bool>, reason: &str) -> Result<Option<String>, FieldErrors> {
    let mut e = FieldErrors::new();
    if claim.status != ClaimStatus::Pending {
        e.add("decision", format!("This claim has already been decided: {}", claim.status.label().to_lowercase()));
        return Err(e);
    }
    let reason = text(&mut e, "reason", "Reason", reason, false);
    match verify {
        None => e.add("decision", "Choose whether to verify or reject the claim"),
        Some(true) => {}
        Some(false) if reason.is_empty() => e.add("reason", "Enter the reason for rejecting the claim"),
        Some(false) => {}
    }
    e.into_result(Some(reason).filter(|r| !r.is_empty()))
}

// ---------------------------------------------------------------------------------------------
// Payments

/// One funder's part of an outcome payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    pub party_id: String,
    pub pence: i64,
}

/// Split an outcome's tariff between its funders (issue 13 item 6): each co-funder whose end
/// date is not before `achieved_on` pays its share of the tariff, rounded to the penny, but no
/// more than what is left of its commitment (`paid_so_far` by party); the council pays the rest.
/// Shares add up to no more than 100% (checked when parties are added; a larger total here still
/// leaves the council paying nothing rather than less than nothing). The parts add up to the
/// tariff.
pub fn split(tariff: i64, achieved_on: Date, parties: &[Party], council_id: &str, paid_so_far: &BTreeMap<String, i64>) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut left = tariff;
    for p in parties.iter().filter(|p| p.role == PartyRole::CoFunder) {
        if p.ends_on.is_some_and(|end| achieved_on > end) {
            continue;
        }
        let mut share = div_round(tariff * p.share_bp, 10_000);
        if let Some(c) = p.commitment_pence {
            share = share.min((c - paid_so_far.get(&p.id).copied().unwrap_or(0)).max(0));
        }
        let share = share.min(left).max(0);
        if share > 0 {
            parts.push(Part { party_id: p.id.clone(), pence: share });
            left -= share;
        }
    }
    parts.push(Part { party_id: council_id.to_string(), pence: left });
    parts
}

// ---------------------------------------------------------------------------------------------
// Quarters, cohort counts and savings

/// A financial quarter (April to June is Q1 of the year that starts in April).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Quarter {
    /// The calendar year the financial year starts in (2019 for 2019/20).
    pub year: i16,
    pub q: i8,
}

impl Quarter {
    pub fn of(d: Date) -> Quarter {
        let m = d.month();
        if m >= 4 { Quarter { year: d.year(), q: ((m - 4) / 3 + 1) } } else { Quarter { year: d.year() - 1, q: 4 } }
    }
    pub fn first_day(self) -> Date {
        let (y, m) = if self.q == 4 { (self.year + 1, 1) } else { (self.year, 4 + (self.q - 1) * 3) };
        jiff::civil::date(y, m, 1)
    }
    pub fn last_day(self) -> Date {
        add_months(self.first_day(), 2).last_of_month()
    }
    pub fn next(self) -> Quarter {
        if self.q == 4 { Quarter { year: self.year + 1, q: 1 } } else { Quarter { year: self.year, q: self.q + 1 } }
    }
    /// "2019/20 Q1".
    pub fn label(self) -> String {
        format!("{}/{:02} Q{}", self.year, (self.year + 1) % 100, self.q)
    }
    /// "2019-Q1", as addresses write it.
    pub fn code(self) -> String {
        format!("{}-Q{}", self.year, self.q)
    }
    pub fn parse(s: &str) -> Option<Quarter> {
        let (y, q) = s.trim().split_once("-Q")?;
        let (year, q) = (y.parse::<i16>().ok()?, q.parse::<i8>().ok()?);
        ((1900..=2100).contains(&year) && (1..=4).contains(&q)).then_some(Quarter { year, q })
    }
    /// Every quarter from the one holding `from` to the one holding `to`.
    pub fn range(from: Date, to: Date) -> Vec<Quarter> {
        let mut v = Vec::new();
        let mut q = Quarter::of(from);
        let last = Quarter::of(to);
        while q <= last && v.len() < 400 {
            v.push(q);
            q = q.next();
        }
        v
    }
}

/// The day a person moved out of 24/7 care: the achievement date of their verified claim of a
/// move outcome (the earliest, if the contract has several).
pub fn moved_on(member: &Member, outcomes: &[Outcome], claims: &[Claim]) -> Option<Date> {
    claims
        .iter()
        .filter(|c| c.member_id == member.id && c.status == ClaimStatus::Verified)
        .filter(|c| outcomes.iter().any(|o| o.id == c.outcome_id && o.kind == OutcomeKind::Move))
        .map(|c| c.achieved_on)
        .min()
}

/// Placement cost avoided for a person from the day they moved out to `until` (inclusive),
/// stopping when they left the cohort: the weekly cost of the placement they left × days / 7,
/// rounded to the penny.
pub fn avoided_pence(member: &Member, moved: Date, until: Date, age_out: i64) -> i64 {
    let end = match member.left(age_out) {
        Some((left, _)) if left <= until => left.yesterday().unwrap_or(left),
        _ => until,
    };
    let days = days_between(moved, end) + 1;
    if days <= 0 { 0 } else { div_round(member.weekly_cost_pence * days, 7) }
}

/// Savings realised by every person who moved, from `from` to `until` (inclusive).
pub fn avoided_between(members: &[(&Member, Date)], from: Date, until: Date, age_out: i64) -> i64 {
    let before = from.yesterday().unwrap_or(from);
    members
        .iter()
        .map(|(m, moved)| {
            let to = avoided_pence(m, *moved, until, age_out);
            let earlier = if *moved <= before { avoided_pence(m, *moved, before, age_out) } else { 0 };
            to - earlier
        })
        .sum()
}

/// A verified claim's payment, in the order it was verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    pub claim_id: String,
    pub verified_on: Date,
    pub pence: i64,
}

/// When a payment was released, or `None` while held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Released {
    pub claim_id: String,
    pub pence: i64,
    pub paid_on: Option<Date>,
}

/// "Outcomes payments will be made only once savings have been realised in the placements costs"
/// (`003` 4.2.2). Payments are released in the order they were verified (`due` in that order):
/// each on the first day, from its verification to `as_at`, on which the savings realised to
/// date (`saved(day)`, which never falls) cover it and every payment released before it. One
/// held holds those after it. `saved` is called a few dozen times per payment (a binary search).
pub fn release(due: &[Due], saved: impl Fn(Date) -> i64, as_at: Date) -> Vec<Released> {
    let mut out = Vec::new();
    let mut paid = 0i64;
    let mut earliest = None::<Date>;
    let mut blocked = false;
    for d in due {
        let from = match earliest {
            Some(e) if e > d.verified_on => e,
            _ => d.verified_on,
        };
        let need = paid + d.pence;
        let day = if blocked || from > as_at || saved(as_at) < need {
            None
        } else if saved(from) >= need {
            Some(from)
        } else {
            // The first day in (from, as_at] with saved(day) >= need.
            let (mut lo, mut hi) = (0i64, days_between(from, as_at));
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                let day = from.checked_add(jiff::Span::new().days(mid)).unwrap_or(as_at);
                if saved(day) >= need { hi = mid } else { lo = mid }
            }
            from.checked_add(jiff::Span::new().days(hi)).ok()
        };
        match day {
            Some(on) => {
                paid = need;
                earliest = Some(on);
            }
            None => blocked = true,
        }
        out.push(Released { claim_id: d.claim_id.clone(), pence: d.pence, paid_on: day });
    }
    out
}

/// The cohort on a day: people in it and, of them, those still in 24/7 care (not yet moved out).
pub fn counts_on(members: &[Member], moves: &BTreeMap<String, Date>, age_out: i64, on: Date) -> (i64, i64) {
    let mut cohort = 0;
    let mut in_care = 0;
    for m in members.iter().filter(|m| m.in_cohort(age_out, on)) {
        cohort += 1;
        if moves.get(&m.id).is_none_or(|d| *d > on) {
            in_care += 1;
        }
    }
    (cohort, in_care)
}

// ---------------------------------------------------------------------------------------------
// The figures

/// Everything recorded for one contract.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Facts {
    pub contract: Option<Contract>,
    pub parties: Vec<Party>,
    pub outcomes: Vec<Outcome>,
    pub members: Vec<Member>,
    /// Every claim, in the order they were submitted.
    pub claims: Vec<Claim>,
    /// Each verified claim's parts (claim id, part).
    pub parts: Vec<(String, Part)>,
}

/// One quarter of the cohort, the savings and the payments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuarterRow {
    pub quarter: Quarter,
    /// On the quarter's last day (or `as_at`, for the quarter holding it).
    pub cohort: i64,
    pub in_care: i64,
    pub moved: i64,
    pub left: i64,
    pub avoided_pence: i64,
    pub paid_pence: i64,
    /// Avoided less paid, in the quarter and to its end.
    pub net_pence: i64,
    pub net_to_date_pence: i64,
}

/// One funder's payments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunderRow {
    pub party_id: String,
    /// Its parts of every verified claim.
    pub verified_pence: i64,
    /// Of which released (savings covered them).
    pub paid_pence: i64,
    pub held_pence: i64,
}

/// The dashboard's figures as at a date (issue 13 item 7), each traceable to the records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub as_at: Date,
    pub cohort: i64,
    pub in_care: i64,
    /// People who have moved on from 24/7 care (a verified move) and are still in the cohort.
    pub moved_in_cohort: i64,
    /// People who left the cohort, by reason.
    pub left: Vec<(LeaveReason, i64)>,
    /// Verified claims per outcome (outcome id, count).
    pub achieved: Vec<(String, i64)>,
    pub pending: i64,
    pub rejected: i64,
    pub verified_pence: i64,
    pub paid_pence: i64,
    pub held_pence: i64,
    pub by_funder: Vec<FunderRow>,
    /// Placement costs avoided to date.
    pub avoided_pence: i64,
    /// Avoided less the payments made.
    pub net_pence: i64,
    /// The envelope less every verified payment.
    pub envelope_left_pence: i64,
    pub cap_left_pence: Option<i64>,
    pub quarters: Vec<QuarterRow>,
    /// Each verified claim's payment: when it was released, or held.
    pub releases: Vec<Released>,
}

impl Facts {
    /// Each person's move out of 24/7 care (member id, date).
    pub fn moves(&self) -> BTreeMap<String, Date> {
        self.members.iter().filter_map(|m| moved_on(m, &self.outcomes, &self.claims).map(|d| (m.id.clone(), d))).collect()
    }

    /// Placement costs avoided by everyone who moved, from the contract's start to `until`.
    pub fn avoided_to(&self, moves: &BTreeMap<String, Date>, until: Date) -> i64 {
        let age = self.contract.as_ref().map(|c| c.age_out).unwrap_or(DEFAULT_AGE_OUT);
        self.members.iter().filter_map(|m| moves.get(&m.id).map(|d| avoided_pence(m, *d, until, age))).sum()
    }

    /// The verified claims' payments in the order they were verified.
    pub fn due(&self) -> Vec<Due> {
        let mut v: Vec<&Claim> = self.claims.iter().filter(|c| c.status == ClaimStatus::Verified).collect();
        v.sort_by(|a, b| (a.decided_on, &a.decided_at, &a.id).cmp(&(b.decided_on, &b.decided_at, &b.id)));
        v.into_iter()
            .map(|c| Due {
                claim_id: c.id.clone(),
                verified_on: c.decided_on.unwrap_or(c.achieved_on),
                pence: self.outcomes.iter().find(|o| o.id == c.outcome_id).map(|o| o.tariff_pence).unwrap_or(0),
            })
            .collect()
    }

    /// The figures as at `as_at`.
    pub fn figures(&self, as_at: Date) -> Figures {
        let age = self.contract.as_ref().map(|c| c.age_out).unwrap_or(DEFAULT_AGE_OUT);
        let moves = self.moves();
        let (cohort, in_care) = counts_on(&self.members, &moves, age, as_at);
        let mut left: Vec<(LeaveReason, i64)> = Vec::new();
        for r in LeaveReason::ALL {
            let n = self.members.iter().filter(|m| m.left_by(age, as_at).is_some_and(|(_, why)| why == *r)).count() as i64;
            if n > 0 {
                left.push((*r, n));
            }
        }
        let achieved = self
            .outcomes
            .iter()
            .map(|o| {
                (o.id.clone(), self.claims.iter().filter(|c| c.outcome_id == o.id && c.status == ClaimStatus::Verified).count() as i64)
            })
            .collect();
        let due = self.due();
        let releases = release(&due, |d| self.avoided_to(&moves, d), as_at);
        let paid_on: BTreeMap<&str, Option<Date>> = releases.iter().map(|r| (r.claim_id.as_str(), r.paid_on)).collect();
        let verified: i64 = due.iter().map(|d| d.pence).sum();
        let paid: i64 = releases.iter().filter(|r| r.paid_on.is_some()).map(|r| r.pence).sum();
        let by_funder = self
            .parties
            .iter()
            .filter(|p| matches!(p.role, PartyRole::Council | PartyRole::CoFunder))
            .map(|p| {
                let mine: Vec<(&String, i64)> = self.parts.iter().filter(|(_, x)| x.party_id == p.id).map(|(c, x)| (c, x.pence)).collect();
                let released: i64 = mine.iter().filter(|(c, _)| paid_on.get(c.as_str()).copied().flatten().is_some()).map(|(_, x)| x).sum();
                let all: i64 = mine.iter().map(|(_, x)| x).sum();
                FunderRow { party_id: p.id.clone(), verified_pence: all, paid_pence: released, held_pence: all - released }
            })
            .collect();
        let avoided = self.avoided_to(&moves, as_at);
        let mut quarters = Vec::new();
        if let Some(c) = &self.contract
            && c.starts_on <= as_at
        {
            let mut net_to_date = 0;
            for q in Quarter::range(c.starts_on, as_at.min(c.ends_on)) {
                let start = q.first_day().max(c.starts_on);
                let end = q.last_day().min(as_at);
                let (cohort, in_care) = counts_on(&self.members, &moves, age, end);
                let moved = moves.values().filter(|d| **d >= start && **d <= end).count() as i64;
                let left = self.members.iter().filter(|m| m.left_by(age, end).is_some_and(|(d, _)| d >= start)).count() as i64;
                let avoided = self.avoided_to(&moves, end) - self.avoided_to(&moves, start.yesterday().unwrap_or(start));
                let paid: i64 = releases.iter().filter(|r| r.paid_on.is_some_and(|d| d >= start && d <= end)).map(|r| r.pence).sum();
                net_to_date += avoided - paid;
                quarters.push(QuarterRow {
                    quarter: q,
                    cohort,
                    in_care,
                    moved,
                    left,
                    avoided_pence: avoided,
                    paid_pence: paid,
                    net_pence: avoided - paid,
                    net_to_date_pence: net_to_date,
                });
            }
        }
        let envelope = self.contract.as_ref().map(|c| c.envelope_pence).unwrap_or(0);
        Figures {
            as_at,
            cohort,
            in_care,
            moved_in_cohort: cohort - in_care,
            left,
            achieved,
            pending: self.claims.iter().filter(|c| c.status == ClaimStatus::Pending).count() as i64,
            rejected: self.claims.iter().filter(|c| c.status == ClaimStatus::Rejected).count() as i64,
            verified_pence: verified,
            paid_pence: paid,
            held_pence: verified - paid,
            by_funder,
            avoided_pence: avoided,
            net_pence: avoided - paid,
            envelope_left_pence: envelope - verified,
            cap_left_pence: self.contract.as_ref().and_then(|c| c.cap_pence).map(|cap| cap - verified),
            quarters,
            releases,
        }
    }
}

#[cfg(test)]
mod tests;
