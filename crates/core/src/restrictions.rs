//! Placement restrictions and embargoes (`000` "restrictions and embargo list"; issues 3 and 4):
//! a council's decision to stop (embargo) or limit (restriction) new placements with a provider.
//! Quality assurance records them from a service's status, capacity from its restrictions page,
//! and brokerage and the market pages read them; the rules are here once.

use crate::{Date, FieldErrors};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestrictionKind {
    /// No new placements or packages.
    Embargo,
    /// Limited, as its scope says.
    Restriction,
}

impl RestrictionKind {
    pub const ALL: [RestrictionKind; 2] = [RestrictionKind::Embargo, RestrictionKind::Restriction];

    pub fn as_str(self) -> &'static str {
        match self {
            RestrictionKind::Embargo => "embargo",
            RestrictionKind::Restriction => "restriction",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            RestrictionKind::Embargo => "Embargo",
            RestrictionKind::Restriction => "Restriction",
        }
    }
    pub fn parse(s: &str) -> Option<RestrictionKind> {
        RestrictionKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

impl std::str::FromStr for RestrictionKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        RestrictionKind::parse(s).ok_or(())
    }
}

impl PartialEq<&str> for RestrictionKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A restriction or embargo as it is recorded. Built by [`NewRestriction::parse`] from a form,
/// or directly (the demo, tests); either way the store checks it with [`NewRestriction::check`]
/// before saving, so there is one validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRestriction {
    pub service_id: String,
    /// "embargo" or "restriction" ([`RestrictionKind`]), as submitted.
    pub kind: String,
    pub scope: Option<String>,
    pub reason: String,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
}

/// What an officer submitted. A start date that was left blank is `None`; one that could not be
/// read is the caller's message (a GOV.UK date input's), recorded before this is checked.
#[derive(Debug, Clone, Default)]
pub struct RestrictionForm<'a> {
    pub service_id: &'a str,
    pub kind: &'a str,
    pub scope: &'a str,
    pub reason: &'a str,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
}

impl NewRestriction {
    /// Every failure of the form at once, on the fields `service_id`, `kind`, `scope`, `reason`,
    /// `starts_on` and `ends_on`.
    pub fn parse(form: RestrictionForm<'_>) -> Result<NewRestriction, FieldErrors> {
        let mut errors = FieldErrors::new();
        if form.service_id.trim().is_empty() {
            errors.add("service_id", "Choose a service");
        }
        check(&mut errors, form.kind, Some(form.scope), form.reason, form.starts_on, form.ends_on);
        let Some(starts_on) = form.starts_on else {
            return Err(errors);
        };
        errors.into_result(NewRestriction {
            service_id: form.service_id.trim().to_string(),
            kind: form.kind.trim().to_string(),
            scope: Some(form.scope.trim().to_string()).filter(|s| !s.is_empty()),
            reason: form.reason.trim().to_string(),
            starts_on,
            ends_on: form.ends_on,
        })
    }

    /// The one validation of a restriction: its kind, a scope for a restriction, a reason, and
    /// an end on or after its start. Returns the kind.
    pub fn check(&self) -> Result<RestrictionKind, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = check(&mut errors, &self.kind, self.scope.as_deref(), &self.reason, Some(self.starts_on), self.ends_on);
        match kind {
            Some(k) if errors.is_empty() => Ok(k),
            _ => Err(errors),
        }
    }
}

fn check(
    errors: &mut FieldErrors,
    kind: &str,
    scope: Option<&str>,
    reason: &str,
    starts_on: Option<Date>,
    ends_on: Option<Date>,
) -> Option<RestrictionKind> {
    let kind = RestrictionKind::parse(kind);
    if kind.is_none() {
        errors.add("kind", "Choose embargo or restriction");
    }
    if kind == Some(RestrictionKind::Restriction) && scope.unwrap_or("").trim().is_empty() {
        errors.add("scope", "Say what the restriction covers, for example 'no new nursing placements'");
    }
    if reason.trim().is_empty() {
        errors.add("reason", "Enter the reason for the restriction or embargo");
    }
    match (starts_on, ends_on) {
        (None, _) => errors.add("starts_on", "Enter the start date"),
        (Some(s), Some(e)) if e < s => errors.add("ends_on", "The end date must be on or after the start date"),
        _ => {}
    }
    kind
}

/// Whether a restriction applies on `on`: from its first day to its last, inclusive.
pub fn in_force(starts_on: Date, ends_on: Option<Date>, on: Date) -> bool {
    starts_on <= on && ends_on.is_none_or(|e| e >= on)
}

/// The last day a restriction applies when it is lifted on `on`: that day, or its first day
/// when it is lifted before it began (it never ends before it starts).
pub fn lifted_end(starts_on: Date, on: Date) -> Date {
    on.max(starts_on)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: i8) -> Date {
        Date::constant(2025, 3, day)
    }

    fn fields(e: &FieldErrors) -> Vec<&str> {
        e.0.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_form_is_checked_all_at_once() {
        let e = NewRestriction::parse(RestrictionForm { kind: "restriction", ends_on: Some(d(1)), ..Default::default() }).unwrap_err();
        assert_eq!(fields(&e), ["service_id", "scope", "reason", "starts_on"]);
        let e = NewRestriction::parse(RestrictionForm {
            service_id: "s",
            kind: "restriction",
            scope: " ",
            reason: "RM",
            starts_on: Some(d(5)),
            ends_on: Some(d(1)),
        })
        .unwrap_err();
        assert_eq!(fields(&e), ["scope", "ends_on"]);
        assert_eq!(e.0[1].message, "The end date must be on or after the start date");
        let e =
            NewRestriction::parse(RestrictionForm { service_id: "s", kind: "", reason: "x", starts_on: Some(d(1)), ..Default::default() })
                .unwrap_err();
        assert_eq!(e.0[0].message, "Choose embargo or restriction");
    }

    #[test]
    fn an_embargo_needs_no_scope_and_blank_scope_is_none() {
        let r = NewRestriction::parse(RestrictionForm {
            service_id: "s",
            kind: "embargo",
            scope: "  ",
            reason: " Safeguarding ",
            starts_on: Some(d(1)),
            ends_on: None,
        })
        .expect("valid");
        assert_eq!((r.scope, r.reason.as_str()), (None, "Safeguarding"));
        assert_eq!(r.kind, "embargo");
    }

    #[test]
    fn a_value_built_directly_is_checked_the_same_way() {
        let r = NewRestriction {
            service_id: "s".into(),
            kind: "restriction".into(),
            scope: None,
            reason: "".into(),
            starts_on: d(2),
            ends_on: Some(d(1)),
        };
        assert_eq!(fields(&r.check().unwrap_err()), ["scope", "reason", "ends_on"]);
        let ok = NewRestriction { kind: "embargo".into(), reason: "x".into(), ends_on: None, ..r };
        assert_eq!(ok.check(), Ok(RestrictionKind::Embargo));
    }

    #[test]
    fn in_force_from_first_to_last_day_and_lifting_never_ends_before_the_start() {
        assert!(in_force(d(2), Some(d(4)), d(2)) && in_force(d(2), Some(d(4)), d(4)) && in_force(d(2), None, d(20)));
        assert!(!in_force(d(2), Some(d(4)), d(5)) && !in_force(d(2), None, d(1)));
        assert_eq!(lifted_end(d(5), d(3)), d(5));
        assert_eq!(lifted_end(d(5), d(9)), d(9));
    }
}
