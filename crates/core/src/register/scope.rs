//! Which CQC locations belong to the care market the register describes.
//!
//! The register is the adult social care market: CQC's social care locations. CQC's syndication
//! API says what each location is in two fields of `GET /locations/{id}`: `type` ("Social Care
//! Org", "Primary Dental Care", "Primary Medical Services", "Independent Healthcare Org", "NHS
//! Healthcare Organisation", "Independent Ambulance") and `inspectionDirectorate` ("Adult social
//! care", "Primary medical services", "Hospitals"). The same fields are on provider documents
//! (`GET /providers/{id}`). In the real Oldham download (451 documents) the two agree on every
//! document: 224 "Social Care Org" locations, all in the "Adult social care" directorate.

/// Why a CQC location is outside the register's scope, or `None` when it is in scope.
///
/// In scope: `type` is "Social Care Org", or (when `type` is absent) `inspectionDirectorate` is
/// "Adult social care". A document with neither field is kept: the table layouts do not carry
/// them and the 45-column export is social care only.
pub fn out_of_scope_reason(cqc_type: Option<&str>, inspection_directorate: Option<&str>) -> Option<String> {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    match (cqc_type.map(norm).filter(|s| !s.is_empty()), inspection_directorate.map(norm).filter(|s| !s.is_empty())) {
        (Some(t), _) if t == "social care org" => None,
        (Some(_), _) => Some(format!("not a social care location (CQC type '{}')", cqc_type.unwrap_or_default().trim())),
        (None, Some(d)) if d == "adult social care" => None,
        (None, Some(_)) => {
            Some(format!("not a social care location (CQC inspection directorate '{}')", inspection_directorate.unwrap_or_default().trim()))
        }
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn social_care_only() {
        assert_eq!(out_of_scope_reason(Some("Social Care Org"), Some("Adult social care")), None);
        assert_eq!(out_of_scope_reason(None, Some("Adult social care")), None);
        assert_eq!(out_of_scope_reason(None, None), None);
        assert_eq!(
            out_of_scope_reason(Some("Primary Dental Care"), Some("Primary medical services")).as_deref(),
            Some("not a social care location (CQC type 'Primary Dental Care')")
        );
        assert!(out_of_scope_reason(None, Some("Hospitals")).is_some_and(|r| r.contains("'Hospitals'")));
    }
}
