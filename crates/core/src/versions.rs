//! Lost updates (issue 17 item 6; decision 25). A record an officer edits carries a version,
//! raised by one on each save; a save says which version it was made from, and a save made from
//! an older version is refused rather than silently undoing the change that came between. The
//! officer is then shown, field by field, what the record holds now beside what they submitted.

use crate::FieldError;
use serde::Serialize;

/// The version of a record a form or API request was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Version(i64);

impl Version {
    /// Every record starts at 1 (the migration's default).
    pub const FIRST: Version = Version(1);
    /// What a form without a version stands for: older than every record, so its save is refused
    /// and the form shown again with the record's version rather than applied blindly.
    pub const STALE_FORM: Version = Version(0);

    pub fn new(v: i64) -> Result<Version, FieldError> {
        if v < 1 {
            return Err(FieldError::new("version", format!("'version' must be a whole number of 1 or more; found {v}")));
        }
        Ok(Version(v))
    }

    /// Read a version as a form or query sends it.
    pub fn parse(s: &str) -> Result<Version, FieldError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(FieldError::new("version", "'version' is missing: say which version of the record the change was made from"));
        }
        match t.parse::<i64>() {
            Ok(v) => Version::new(v),
            Err(_) => Err(FieldError::new("version", format!("'version' must be a whole number of 1 or more; found '{}'", short(t)))),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

fn short(s: &str) -> String {
    s.chars().take(20).collect()
}

/// One field of a record: its label, what the record holds now and what was submitted, both as
/// an officer reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub now: String,
    pub submitted: String,
}

/// The fields whose submitted value differs from what the record holds now, in the order given.
/// Values are compared as shown, after trimming, so that re-entering the same words is not
/// reported as a difference; an empty value reads "Not given".
pub fn changes<'a>(fields: impl IntoIterator<Item = (&'a str, String, String)>) -> Vec<FieldChange> {
    fields
        .into_iter()
        .filter(|(_, now, submitted)| now.trim() != submitted.trim())
        .map(|(label, now, submitted)| FieldChange { field: label.to_string(), now: shown(&now), submitted: shown(&submitted) })
        .collect()
}

fn shown(v: &str) -> String {
    let t = v.trim();
    if t.is_empty() { "Not given".to_string() } else { t.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_whole_numbers_from_one() {
        assert_eq!(Version::parse(" 3 ").map(Version::get), Ok(3));
        assert_eq!(Version::parse("0").unwrap_err().field, "version");
        assert!(Version::parse("").unwrap_err().message.contains("missing"));
        assert!(Version::parse("x").unwrap_err().message.contains("found 'x'"));
        assert!(Version::parse("-2").is_err());
        assert!(Version::parse("99999999999999999999999").is_err());
    }

    #[test]
    fn only_differing_fields_are_listed_in_order() {
        let c = changes([
            ("Notes", "Moved to block".to_string(), "Spot again".to_string()),
            ("Contract status", "Spot purchase".to_string(), " Spot purchase".to_string()),
            ("Contract end date", String::new(), "31 March 2027".to_string()),
        ]);
        assert_eq!(
            c,
            vec![
                FieldChange { field: "Notes".into(), now: "Moved to block".into(), submitted: "Spot again".into() },
                FieldChange { field: "Contract end date".into(), now: "Not given".into(), submitted: "31 March 2027".into() },
            ]
        );
    }
}
