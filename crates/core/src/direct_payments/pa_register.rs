//! The Personal Assistant register (`001` workstream 5 "Set up and launch of the Sheffield PA
//! Register"; `000`: 253 employers, 318 PAs, 478 introductions in the first year): who registers,
//! what matters for a match, and the matching score with its reasons.
//!
//! Score out of 100: distance 35, availability overlap 30, skills 20, languages 10, driving 5.
//! A PA who does not match the employer's gender preference, or who is more than
//! [`MAX_DISTANCE_M`] away, is not offered. Only outward codes (postcode districts) are held, so
//! a result can never show anyone's full address.

use super::geo;
use super::{Choice, code_enum};
use crate::{Date, FieldError, FieldErrors};
use serde::Serialize;
use std::collections::BTreeSet;

pub const KINDS: [Choice; 2] = [("pa", "Personal assistant"), ("employer", "Employer")];

code_enum!(
    /// Which side of the register an entry is on.
    PaKind, KINDS, {
        Pa = "pa",
        Employer = "employer",
    }
);

pub const STATUSES: [Choice; 4] = [
    ("unconfirmed", "Waiting for email confirmation"),
    ("pending", "Waiting for approval"),
    ("approved", "Approved"),
    ("withdrawn", "Withdrawn"),
];

code_enum!(
    /// Where an entry is in its life: a public registration waits for its email address to be
    /// confirmed, then for an officer's approval; either side can withdraw.
    PaStatus, STATUSES, {
        Unconfirmed = "unconfirmed",
        Pending = "pending",
        Approved = "approved",
        Withdrawn = "withdrawn",
    }
);

impl PaStatus {
    /// A registration from the public form waits for approval; an officer's is approved.
    pub fn on_registration(source: &str) -> PaStatus {
        if source == "public" { PaStatus::Pending } else { PaStatus::Approved }
    }

    /// Approval: only of a pending entry.
    pub fn approve(self) -> Result<PaStatus, FieldError> {
        match self {
            PaStatus::Pending => Ok(PaStatus::Approved),
            _ => Err(FieldError::new("status", "Only a pending entry can be approved")),
        }
    }

    /// The registrant followed the link sent to their email address: the entry now waits for
    /// an officer (issue 17 item 10).
    pub fn confirm(self) -> Result<PaStatus, FieldError> {
        match self {
            PaStatus::Unconfirmed => Ok(PaStatus::Pending),
            PaStatus::Withdrawn => Err(FieldError::new("status", "This entry has been withdrawn")),
            _ => Err(FieldError::new("status", "This email address has already been confirmed")),
        }
    }

    /// Withdrawal, with the reason recorded ("Withdrawn" when none is given).
    pub fn withdraw(self, reason: &str) -> Result<String, FieldError> {
        if self == PaStatus::Withdrawn {
            return Err(FieldError::new("status", "This entry has already been withdrawn"));
        }
        let reason = reason.trim();
        Ok(if reason.is_empty() { "Withdrawn".to_string() } else { reason.to_string() })
    }
}

/// How many public registrations the register takes (issue 17 item 10). Every count is of one
/// calendar day (UTC). `per_day` counts confirmed entries only; the others count every
/// registration sent, confirmed or not, because each one sends an email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicCaps {
    /// Confirmed public registrations a day.
    pub per_day: i64,
    /// Registrations sent from one network address a day.
    pub per_address: i64,
    /// Registrations sent for addresses at one email domain a day.
    pub per_domain: i64,
}

impl PublicCaps {
    /// Registrations sent a day, confirmed or not: twice the daily cap, so that unconfirmed
    /// ones cannot make the service send unlimited email.
    pub fn sent_per_day(&self) -> i64 {
        self.per_day.saturating_mul(2)
    }

    /// Which cap, if any, stops one more registration given today's counts.
    pub fn reached(&self, today: &PublicCounts) -> Option<CapReached> {
        if today.confirmed >= self.per_day || today.sent >= self.sent_per_day() {
            Some(CapReached::Day)
        } else if today.from_address >= self.per_address {
            Some(CapReached::Address)
        } else if today.at_domain >= self.per_domain {
            Some(CapReached::Domain)
        } else {
            None
        }
    }
}

impl Default for PublicCaps {
    fn default() -> Self {
        PublicCaps { per_day: 100, per_address: 5, per_domain: 20 }
    }
}

/// Today's public registrations as the caps count them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublicCounts {
    pub confirmed: i64,
    pub sent: i64,
    pub from_address: i64,
    pub at_domain: i64,
}

/// The cap that refused a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapReached {
    Day,
    Address,
    Domain,
}

/// The domain of an email address as the per-domain cap counts it (lower case, after the last
/// `@`; empty when there is none, which validation refuses anyway).
pub fn email_domain(email: &str) -> String {
    email.rsplit_once('@').map(|(_, d)| d.trim().to_lowercase()).unwrap_or_default()
}

pub const SKILLS: [Choice; 10] = [
    ("personal_care", "Personal care"),
    ("learning_disability", "Learning disability"),
    ("autism", "Autism"),
    ("dementia", "Dementia"),
    ("moving_handling", "Moving and handling"),
    ("mental_health", "Mental health"),
    ("physical_disability", "Physical disability"),
    ("medication", "Medication support"),
    ("cooking_shopping", "Cooking and shopping"),
    ("social_activities", "Social and community activities"),
];

pub const LANGUAGES: [Choice; 8] = [
    ("english", "English"),
    ("urdu", "Urdu"),
    ("bengali", "Bengali"),
    ("punjabi", "Punjabi"),
    ("polish", "Polish"),
    ("arabic", "Arabic"),
    ("bsl", "British Sign Language"),
    ("other", "Another language"),
];

pub const DAYS: [Choice; 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];
pub const PARTS: [Choice; 4] = [("am", "Morning"), ("pm", "Afternoon"), ("eve", "Evening"), ("night", "Night")];

pub const GENDERS: [Choice; 3] = [("female", "Female"), ("male", "Male"), ("other", "Another gender or prefer not to say")];
pub const GENDER_PREFERENCES: [Choice; 3] = [("any", "No preference"), ("female", "Female PA"), ("male", "Male PA")];
pub const DBS_STATUSES: [Choice; 4] = [
    ("none", "No DBS check"),
    ("applied", "Applied for"),
    ("enhanced", "Enhanced DBS check"),
    ("update_service", "On the DBS Update Service"),
];

/// Every availability slot code: "mon_am" ... "sun_night".
pub fn all_slots() -> Vec<String> {
    DAYS.iter().flat_map(|(d, _)| PARTS.iter().map(move |(p, _)| format!("{d}_{p}"))).collect()
}

pub fn slot_label(code: &str) -> String {
    let (d, p) = code.split_once('_').unwrap_or((code, ""));
    format!("{} {}", super::label_of(&DAYS, d), super::label_of(&PARTS, p).to_lowercase())
}

/// What matters for a match, for either side. For a PA: what they offer; for an employer: what
/// they want.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub outward_code: String,
    pub slots: BTreeSet<String>,
    pub skills: BTreeSet<String>,
    pub languages: BTreeSet<String>,
    /// A PA's gender.
    pub gender: Option<String>,
    /// An employer's preference ("any", "female", "male").
    pub gender_preference: Option<String>,
    /// A PA drives and has a car / an employer needs a driver.
    pub driving: bool,
}

/// Split a stored comma list into a set.
pub fn set_of(s: &str) -> BTreeSet<String> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

pub fn list_of(s: &BTreeSet<String>) -> String {
    s.iter().cloned().collect::<Vec<_>>().join(",")
}

pub const MAX_DISTANCE_M: i64 = 25_000;

/// Distance bands shown to users (never a distance to a street).
pub fn distance_band(m: i64) -> (&'static str, u32) {
    match m {
        0 => ("Same postcode district", 35),
        1..=3_000 => ("Neighbouring district (under 3 km)", 30),
        3_001..=8_000 => ("Within 8 km", 22),
        8_001..=15_000 => ("Within 15 km", 12),
        _ => ("Within 25 km", 5),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    pub score: u32,
    pub distance_band: &'static str,
    pub reasons: Vec<String>,
    pub gaps: Vec<String>,
}

/// How well a PA fits what an employer wants, or `None` when the PA should not be offered
/// (gender preference not met, too far, or either district unknown).
pub fn score(wanted: &Profile, pa: &Profile) -> Option<Match> {
    let m = geo::distance_m(&wanted.outward_code, &pa.outward_code)?;
    if m > MAX_DISTANCE_M {
        return None;
    }
    if let Some(pref) = wanted.gender_preference.as_deref()
        && pref != "any"
        && pa.gender.as_deref() != Some(pref)
    {
        return None;
    }
    let (band, mut score) = distance_band(m);
    let mut reasons = vec![format!("{band} ({})", pa.outward_code)];
    let mut gaps = Vec::new();

    if wanted.slots.is_empty() {
        score += 15;
    } else {
        let overlap = wanted.slots.intersection(&pa.slots).count();
        let pts = (30 * overlap / wanted.slots.len()) as u32;
        score += pts;
        if overlap > 0 {
            reasons.push(format!("Available for {overlap} of {} times wanted", wanted.slots.len()));
        }
        if overlap < wanted.slots.len() {
            let missing: Vec<String> = wanted.slots.difference(&pa.slots).map(|s| slot_label(s)).collect();
            gaps.push(format!("Not available: {}", missing.join(", ")));
        }
    }

    if wanted.skills.is_empty() {
        score += 10;
    } else {
        let have: Vec<&String> = wanted.skills.intersection(&pa.skills).collect();
        score += (20 * have.len() / wanted.skills.len()) as u32;
        if !have.is_empty() {
            reasons.push(format!(
                "Experience in {}",
                have.iter().map(|s| super::label_of(&SKILLS, s)).collect::<Vec<_>>().join(", ").to_lowercase()
            ));
        }
        let missing: Vec<&str> = wanted.skills.difference(&pa.skills).map(|s| super::label_of(&SKILLS, s)).collect();
        if !missing.is_empty() {
            gaps.push(format!("No recorded experience in {}", missing.join(", ").to_lowercase()));
        }
    }

    if wanted.languages.is_empty() {
        score += 10;
    } else {
        let shared: Vec<&str> = wanted.languages.intersection(&pa.languages).map(|s| super::label_of(&LANGUAGES, s)).collect();
        if shared.is_empty() {
            gaps.push("No shared language".into());
        } else {
            score += 10;
            reasons.push(format!("Speaks {}", shared.join(", ")));
        }
    }

    if wanted.driving {
        if pa.driving {
            score += 5;
            reasons.push("Drives".into());
        } else {
            gaps.push("Does not drive".into());
        }
    } else {
        score += 5;
    }
    if let Some(pref) = wanted.gender_preference.as_deref()
        && pref != "any"
    {
        reasons.push(format!("Meets the preference for a {} PA", super::label_of(&GENDERS, pref).to_lowercase()));
    }
    Some(Match { score: score.min(100), distance_band: band, reasons, gaps })
}

/// Check a registration (from the public form or an officer).
pub fn validate(kind: &str, name: &str, email: &str, outward: &str, hours: i64, p: &Profile) -> Vec<FieldError> {
    let mut e = Vec::new();
    if !matches!(kind, "pa" | "employer") {
        e.push(FieldError::new("kind", "Choose whether you are a personal assistant or an employer"));
    }
    let name = name.trim();
    if name.is_empty() || name.len() > 80 {
        e.push(FieldError::new("display_name", "Enter your name (up to 80 characters)"));
    }
    let email = email.trim();
    if email.len() > 120 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') || email.contains(' ') {
        e.push(FieldError::new("email", "Enter an email address in the correct format, like name@example.com"));
    }
    if outward.contains(' ') || outward.len() > 4 {
        e.push(FieldError::new("outward_code", "Enter only the first part of the postcode, like OL1: we do not need your full address"));
    } else if geo::known_outward(outward).is_none() {
        e.push(FieldError::new("outward_code", "Enter the first part of a UK postcode, like OL1"));
    }
    if !(1..=80).contains(&hours) {
        e.push(FieldError::new("hours_per_week", "Enter the hours a week, a whole number from 1 to 80"));
    }
    let slots = all_slots();
    if p.slots.is_empty() || !p.slots.iter().all(|s| slots.contains(s)) {
        e.push(FieldError::new("slots", "Choose at least one time of the week"));
    }
    if !p.skills.iter().all(|s| SKILLS.iter().any(|(c, _)| c == s)) {
        e.push(FieldError::new("skills", "Choose skills from the list"));
    }
    if !p.languages.iter().all(|s| LANGUAGES.iter().any(|(c, _)| c == s)) {
        e.push(FieldError::new("languages", "Choose languages from the list"));
    }
    e
}

/// What a person (or an officer for them) enters to join the register. `kind` is a code of
/// [`KINDS`]; the profile is what they offer (a PA) or want (an employer).
#[derive(Debug, Clone, Default)]
pub struct NewPaEntry {
    pub kind: String,
    pub display_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub outward_code: String,
    pub hours_per_week: i64,
    pub profile: Profile,
    pub dbs_status: Option<String>,
    pub dbs_date: Option<Date>,
    pub about: Option<String>,
}

/// A registration as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub kind: PaKind,
    pub status: PaStatus,
    pub display_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub outward_code: String,
    pub hours_per_week: i64,
    pub profile: Profile,
    pub dbs_status: Option<String>,
    pub dbs_date: Option<Date>,
    pub about: Option<String>,
}

/// The longest "about me" kept.
const ABOUT_CHARS: usize = 1000;

impl NewPaEntry {
    /// Check a registration made through `source` ("public" or an officer's) on `today`, and
    /// tidy it as stored: the name's spaces, the email in lower case, the outward code in
    /// capitals, and "about me" cut to 1,000 characters.
    pub fn validated(&self, source: &str, today: Date) -> Result<Registration, FieldErrors> {
        let outward = self.outward_code.trim().to_uppercase();
        let mut e = FieldErrors::new();
        for f in validate(&self.kind, &self.display_name, &self.email, &outward, self.hours_per_week, &self.profile) {
            e.add(f.field, f.message);
        }
        if let Some(s) = &self.dbs_status
            && !DBS_STATUSES.iter().any(|(c, _)| c == s)
        {
            e.add("dbs_status", "Choose the DBS check status");
        }
        if self.dbs_date.is_some_and(|d| d > today) {
            e.add("dbs_date", "The DBS check date must be today or in the past");
        }
        let kind = self.kind.parse::<PaKind>();
        match kind {
            Ok(kind) if e.is_empty() => Ok(Registration {
                kind,
                status: PaStatus::on_registration(source),
                display_name: crate::text::tidy(&self.display_name),
                email: self.email.trim().to_lowercase(),
                phone: self.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string),
                outward_code: outward,
                hours_per_week: self.hours_per_week,
                profile: self.profile.clone(),
                dbs_status: self.dbs_status.clone(),
                dbs_date: self.dbs_date,
                about: self.about.as_deref().map(|a| a.trim().chars().take(ABOUT_CHARS).collect::<String>()).filter(|a| !a.is_empty()),
            }),
            _ => Err(e),
        }
    }
}

/// The registration form as typed (checkbox groups as lists).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaInput {
    pub kind: String,
    pub display_name: String,
    pub email: String,
    pub phone: String,
    pub outward_code: String,
    pub hours_per_week: String,
    pub slots: Vec<String>,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub gender: String,
    pub gender_preference: String,
    pub driving: String,
    pub dbs_status: String,
    /// Read by the caller from its date input.
    pub dbs_date: Option<Date>,
    pub about: String,
}

impl PaInput {
    /// What the form says matters for a match: a PA's gender, an employer's preference.
    pub fn profile(&self) -> Profile {
        Profile {
            outward_code: self.outward_code.trim().to_uppercase(),
            slots: self.slots.iter().cloned().collect(),
            skills: self.skills.iter().cloned().collect(),
            languages: self.languages.iter().cloned().collect(),
            gender: (self.kind == "pa").then(|| self.gender.clone()).filter(|s| !s.is_empty()),
            gender_preference: Some(self.gender_preference.clone()).filter(|s| !s.is_empty()),
            driving: self.driving == "1",
        }
    }

    /// The entry the form describes, or every failure of it. A PA says their gender (or that
    /// they prefer not to); an employer who states no preference has none ("any").
    pub fn parse(&self, source: &str, today: Date) -> Result<(NewPaEntry, Registration), FieldErrors> {
        let profile = self.profile();
        let entry = NewPaEntry {
            kind: self.kind.clone(),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            phone: Some(self.phone.clone()),
            outward_code: profile.outward_code.clone(),
            // Anything but a whole number is refused by the hours rule.
            hours_per_week: self.hours_per_week.trim().parse().unwrap_or(0),
            profile: Profile {
                gender_preference: if self.kind == "employer" { profile.gender_preference.clone().or(Some("any".into())) } else { None },
                ..profile
            },
            dbs_status: Some(self.dbs_status.clone()).filter(|s| !s.is_empty()),
            dbs_date: self.dbs_date,
            about: Some(self.about.clone()),
        };
        let mut e = FieldErrors::new();
        if self.kind == "pa" && self.gender.is_empty() {
            e.add("gender", "Choose your gender, or 'prefer not to say'");
        }
        match entry.validated(source, today) {
            Ok(r) if e.is_empty() => Ok((entry, r)),
            Ok(_) => Err(e),
            Err(more) => {
                let mut all = FieldErrors::new();
                more.0.into_iter().chain(e.0).for_each(|f| all.add(f.field, f.message));
                Err(all)
            }
        }
    }
}

/// The postcode district an officer searches around.
pub fn search_outward(raw: &str) -> Result<String, FieldError> {
    let outward = raw.trim().to_uppercase();
    if outward.contains(' ') {
        Err(FieldError::new("outward_code", "Enter only the first part of the postcode, like OL1"))
    } else {
        geo::known_outward(&outward).ok_or_else(|| FieldError::new("outward_code", "Enter the first part of a UK postcode, like OL1"))
    }
}

/// An entry as an introduction needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    pub kind: PaKind,
    pub status: PaStatus,
}

/// An introduction is between an approved employer and an approved PA.
pub fn check_introduction(employer: Side, pa: Side) -> Result<(), FieldError> {
    if employer.kind != PaKind::Employer || pa.kind != PaKind::Pa {
        return Err(FieldError::new("pa_id", "An introduction is between an employer and a personal assistant"));
    }
    if employer.status != PaStatus::Approved || pa.status != PaStatus::Approved {
        return Err(FieldError::new("pa_id", "Both the employer and the PA must be approved and not withdrawn"));
    }
    Ok(())
}

/// `pas` that may be offered for `wanted`, best first (by score, then by name), with how each
/// fits. `name` gives a PA's name.
pub fn rank<T>(wanted: &Profile, pas: Vec<T>, profile: impl Fn(&T) -> Profile, name: impl Fn(&T) -> &str) -> Vec<(T, Match)> {
    let mut v: Vec<(T, Match)> = pas.into_iter().filter_map(|p| score(wanted, &profile(&p)).map(|m| (p, m))).collect();
    v.sort_by(|a, b| b.1.score.cmp(&a.1.score).then_with(|| name(&a.0).cmp(name(&b.0))));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(xs: &[&str]) -> BTreeSet<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    fn wanted() -> Profile {
        Profile {
            outward_code: "OL1".into(),
            slots: set(&["mon_am", "tue_am", "wed_am", "thu_am"]),
            skills: set(&["personal_care", "dementia"]),
            languages: set(&["urdu"]),
            gender: None,
            gender_preference: Some("female".into()),
            driving: true,
        }
    }

    fn pa(out: &str, gender: &str) -> Profile {
        Profile {
            outward_code: out.into(),
            slots: set(&["mon_am", "tue_am", "sat_pm"]),
            skills: set(&["personal_care", "autism"]),
            languages: set(&["english", "urdu"]),
            gender: Some(gender.into()),
            gender_preference: None,
            driving: false,
        }
    }

    #[test]
    fn nearer_and_better_fitting_pas_score_higher_with_reasons() {
        let near = score(&wanted(), &pa("OL1", "female")).expect("offered");
        let far = score(&wanted(), &pa("OL16", "female")).expect("offered");
        assert!(near.score > far.score, "{near:?} {far:?}");
        // 35 distance + 15 (2 of 4 slots) + 10 (1 of 2 skills) + 10 language + 0 driving.
        assert_eq!(near.score, 70);
        assert!(near.reasons.iter().any(|r| r.starts_with("Same postcode district")));
        assert!(near.reasons.iter().any(|r| r == "Available for 2 of 4 times wanted"));
        assert!(near.reasons.iter().any(|r| r == "Speaks Urdu"));
        assert!(near.gaps.iter().any(|g| g == "Does not drive"));
    }

    #[test]
    fn gender_preference_and_distance_exclude() {
        assert!(score(&wanted(), &pa("OL1", "male")).is_none());
        assert!(score(&wanted(), &pa("AB10", "female")).is_none());
        assert!(score(&wanted(), &pa("NOPE", "female")).is_none());
    }

    #[test]
    fn registration_refuses_full_postcodes() {
        let p = Profile { slots: set(&["mon_am"]), ..Default::default() };
        let e = validate("pa", "Sam", "sam@example.com", "OL1 1AA", 10, &p);
        assert!(e.iter().any(|x| x.field == "outward_code"));
        assert!(validate("pa", "Sam", "sam@example.com", "OL1", 10, &p).is_empty());
        assert!(validate("pa", "Sam", "nope", "OL1", 0, &p).len() == 2);
    }

    fn input(kind: &str) -> PaInput {
        PaInput {
            kind: kind.into(),
            display_name: "  Sam   Jones ".into(),
            email: " Sam@Example.com ".into(),
            phone: " ".into(),
            outward_code: "ol1".into(),
            hours_per_week: "12".into(),
            slots: vec!["mon_am".into()],
            gender: if kind == "pa" { "female".into() } else { String::new() },
            about: "x".repeat(1_200),
            ..Default::default()
        }
    }

    #[test]
    fn registrations_are_tidied_and_wait_when_public() {
        let today = Date::constant(2025, 1, 1);
        let (_, r) = input("pa").parse("public", today).expect("valid");
        assert_eq!((r.kind, r.status), (PaKind::Pa, PaStatus::Pending));
        assert_eq!((r.display_name.as_str(), r.email.as_str(), r.outward_code.as_str()), ("Sam Jones", "sam@example.com", "OL1"));
        assert_eq!((r.phone, r.about.map(|a| a.len())), (None, Some(ABOUT_CHARS)));
        let (entry, r) = input("employer").parse("officer", today).expect("valid");
        assert_eq!(r.status, PaStatus::Approved);
        assert_eq!(entry.profile.gender_preference.as_deref(), Some("any"));
        let e = PaInput { gender: String::new(), hours_per_week: "lots".into(), dbs_date: Some(Date::constant(2025, 1, 2)), ..input("pa") }
            .parse("public", today)
            .expect_err("bad");
        assert_eq!(e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["hours_per_week", "dbs_date", "gender"]);
    }

    #[test]
    fn no_one_source_uses_up_the_day() {
        let caps = PublicCaps { per_day: 10, per_address: 3, per_domain: 4 };
        let n = |confirmed, sent, from_address, at_domain| PublicCounts { confirmed, sent, from_address, at_domain };
        assert_eq!(caps.reached(&n(9, 19, 2, 3)), None);
        assert_eq!(caps.reached(&n(9, 19, 3, 0)), Some(CapReached::Address));
        assert_eq!(caps.reached(&n(0, 0, 0, 4)), Some(CapReached::Domain));
        assert_eq!(caps.reached(&n(10, 10, 0, 0)), Some(CapReached::Day));
        // Unconfirmed registrations still send mail: twice the daily cap stops them.
        assert_eq!(caps.reached(&n(0, 20, 0, 0)), Some(CapReached::Day));
    }

    #[test]
    fn statuses_and_introductions() {
        assert_eq!(PaStatus::Pending.approve(), Ok(PaStatus::Approved));
        assert!(PaStatus::Withdrawn.approve().is_err());
        assert_eq!(PaStatus::Approved.withdraw(" "), Ok("Withdrawn".into()));
        assert!(PaStatus::Withdrawn.withdraw("again").is_err());
        assert_eq!(PaStatus::Unconfirmed.confirm(), Ok(PaStatus::Pending));
        assert!(PaStatus::Pending.confirm().is_err() && PaStatus::Withdrawn.confirm().is_err());
        assert!(PaStatus::Unconfirmed.approve().is_err(), "an unconfirmed entry cannot be approved");
        assert_eq!(email_domain("Sam@Example.ORG"), "example.org");
        let side = |kind, status| Side { kind, status };
        assert!(check_introduction(side(PaKind::Employer, PaStatus::Approved), side(PaKind::Pa, PaStatus::Approved)).is_ok());
        assert!(check_introduction(side(PaKind::Pa, PaStatus::Approved), side(PaKind::Employer, PaStatus::Approved)).is_err());
        assert!(check_introduction(side(PaKind::Employer, PaStatus::Approved), side(PaKind::Pa, PaStatus::Withdrawn)).is_err());
        assert_eq!(search_outward(" ol1 "), Ok("OL1".into()));
        assert!(search_outward("OL1 1AA").is_err() && search_outward("ZZ99").is_err());
    }

    #[test]
    fn ranking_puts_the_best_fit_first_then_names() {
        let ranked = rank(
            &wanted(),
            vec![("Zoe", pa("OL1", "female")), ("Ann", pa("OL16", "female")), ("Al", pa("OL1", "female")), ("Max", pa("OL1", "male"))],
            |p| p.1.clone(),
            |p| p.0,
        );
        let names: Vec<&str> = ranked.iter().map(|(p, _)| p.0).collect();
        assert_eq!(names, ["Al", "Zoe", "Ann"]);
    }

    proptest::proptest! {
        #[test]
        fn score_is_at_most_100(slots in proptest::collection::btree_set(0usize..28, 0..28), skills in proptest::collection::btree_set(0usize..10, 0..10)) {
            let all = all_slots();
            let w = Profile {
                outward_code: "OL8".into(),
                slots: slots.iter().map(|i| all[*i].clone()).collect(),
                skills: skills.iter().map(|i| SKILLS[*i].0.to_string()).collect(),
                ..Default::default()
            };
            let p = Profile { outward_code: "OL8".into(), slots: all.iter().cloned().collect(), skills: SKILLS.iter().map(|s| s.0.to_string()).collect(), driving: true, ..Default::default() };
            let m = score(&w, &p).expect("offered");
            // A PA who offers everything scores full marks when the employer asks for something
            // specific, and never more than 100.
            proptest::prop_assert!(m.score <= 100 && m.score >= 75);
            if !w.slots.is_empty() && !w.skills.is_empty() {
                proptest::prop_assert_eq!(m.score, 100);
            }
        }
    }
}
