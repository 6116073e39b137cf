//! The Personal Assistant register (`001` workstream 5 "Set up and launch of the Sheffield PA
//! Register"; `000`: 253 employers, 318 PAs, 478 introductions in the first year): who registers,
//! what matters for a match, and the matching score with its reasons.
//!
//! Score out of 100: distance 35, availability overlap 30, skills 20, languages 10, driving 5.
//! A PA who does not match the employer's gender preference, or who is more than
//! [`MAX_DISTANCE_M`] away, is not offered. Only outward codes (postcode districts) are held, so
//! a result can never show anyone's full address.

use super::Choice;
use super::geo;
use crate::FieldError;
use serde::Serialize;
use std::collections::BTreeSet;

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
