//! Out-of-area placements (`000`: people placed outside the council's area, the host authority,
//! the current CQC rating checked monthly). The person is held by a case reference only.

use crate::direct_payments::valid_person_ref;
use crate::{Date, FieldError};

/// Who pays for a placement (domain C1 "whole market, and who pays").
pub const FUNDERS: [(&str, &str); 5] = [
    ("council", "This council"),
    ("other_council", "Another council"),
    ("nhs", "NHS (CHC or health-funded)"),
    ("direct_payment", "Direct payment"),
    ("self_funder", "Self-funder"),
];

/// A placement's own fields: a case reference (never a name), a known funder, a start that has
/// happened. Returns the reference as stored.
pub fn check_placement(person_ref: &str, funder: &str, start_date: Date, today: Date) -> Result<String, FieldError> {
    if !valid_person_ref(person_ref) {
        return Err(FieldError::new(
            "person_ref",
            "Enter the person's case reference (letters, numbers, - or /, up to 20 characters, with at least one number), not their name",
        ));
    }
    if !FUNDERS.iter().any(|(k, _)| *k == funder) {
        return Err(FieldError::new("funder", "Choose who funds the placement"));
    }
    if start_date > today {
        return Err(FieldError::new("start_date", "The start date must be today or in the past"));
    }
    Ok(person_ref.trim().to_uppercase())
}

/// Where the person is placed: a service outside the council's area, whose host authority is
/// the one given or else the service's local authority.
pub fn host_authority(
    service_name: &str,
    in_area: bool,
    given: Option<&str>,
    service_local_authority: Option<&str>,
) -> Result<String, FieldError> {
    if in_area {
        return Err(FieldError::new(
            "service_id",
            format!("{service_name} is in the council's area: out-of-area placements are for services outside it"),
        ));
    }
    given
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .or(service_local_authority)
        .map(str::to_string)
        .ok_or_else(|| FieldError::new("host_authority", "Enter the host authority"))
}

/// A placement ends on or after it started.
pub fn check_end(start_date: Date, end_date: Date) -> Result<(), FieldError> {
    if end_date < start_date {
        return Err(FieldError::new("end_date", "The end date must be on or after the start date"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placement_is_a_reference_a_funder_and_a_past_start() {
        let d = |day| Date::constant(2025, 1, day);
        assert_eq!(check_placement(" oa/12 ", "council", d(1), d(2)), Ok("OA/12".into()));
        assert_eq!(check_placement("Jane Smith", "council", d(1), d(2)).unwrap_err().field, "person_ref");
        assert_eq!(check_placement("OA/12", "friends", d(1), d(2)).unwrap_err().field, "funder");
        assert_eq!(check_placement("OA/12", "nhs", d(3), d(2)).unwrap_err().field, "start_date");
        assert!(check_end(d(2), d(2)).is_ok() && check_end(d(2), d(1)).is_err());
    }

    #[test]
    fn only_services_out_of_area_and_the_host_defaults_to_theirs() {
        assert_eq!(host_authority("Oak", false, Some(" "), Some("Leeds")), Ok("Leeds".into()));
        assert_eq!(host_authority("Oak", false, Some(" York "), Some("Leeds")), Ok("York".into()));
        assert_eq!(host_authority("Oak", false, None, None).unwrap_err().field, "host_authority");
        assert!(host_authority("Oak", true, None, Some("Leeds")).unwrap_err().message.starts_with("Oak is in the council's area"));
    }
}
