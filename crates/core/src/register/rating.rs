use serde::{Deserialize, Serialize};

/// A CQC rating, overall or for one key question. CQC also publishes two non-ratings that must
/// be kept apart from "never inspected": "No published rating" and "Inspected but not rated".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Outstanding,
    Good,
    RequiresImprovement,
    Inadequate,
    // serde uses the stored code (the API documents it); the alias reads older JSON.
    #[serde(rename = "inspected_not_rated", alias = "inspected_but_not_rated")]
    InspectedButNotRated,
    NoPublishedRating,
    InsufficientEvidence,
}

impl Rating {
    pub const ALL: [Rating; 7] = [
        Rating::Outstanding,
        Rating::Good,
        Rating::RequiresImprovement,
        Rating::Inadequate,
        Rating::InspectedButNotRated,
        Rating::NoPublishedRating,
        Rating::InsufficientEvidence,
    ];
    /// The four ratings proper, best first.
    pub const GRADES: [Rating; 4] = [Rating::Outstanding, Rating::Good, Rating::RequiresImprovement, Rating::Inadequate];

    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Outstanding => "outstanding",
            Rating::Good => "good",
            Rating::RequiresImprovement => "requires_improvement",
            Rating::Inadequate => "inadequate",
            Rating::InspectedButNotRated => "inspected_not_rated",
            Rating::NoPublishedRating => "no_published_rating",
            Rating::InsufficientEvidence => "insufficient_evidence",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Rating::Outstanding => "Outstanding",
            Rating::Good => "Good",
            Rating::RequiresImprovement => "Requires improvement",
            Rating::Inadequate => "Inadequate",
            Rating::InspectedButNotRated => "Inspected but not rated",
            Rating::NoPublishedRating => "No published rating",
            Rating::InsufficientEvidence => "Insufficient evidence to rate",
        }
    }

    /// Parse the spellings CQC uses across its files and API ("Requires improvement",
    /// "Requires Improvement", "RI", "Inspected but not rated", "Not yet rated"...). Returns
    /// `Ok(None)` for an empty cell, `Err` for anything unrecognised.
    pub fn parse_cqc(s: &str) -> Result<Option<Rating>, String> {
        let l = s.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
        let l = l.trim_matches(|c: char| c == '"' || c == '.');
        Ok(Some(match l {
            "" | "n/a" | "na" | "-" => return Ok(None),
            "outstanding" => Rating::Outstanding,
            "good" => Rating::Good,
            "requires improvement" | "requires_improvement" | "ri" => Rating::RequiresImprovement,
            "inadequate" => Rating::Inadequate,
            "inspected but not rated" | "inspected_not_rated" => Rating::InspectedButNotRated,
            "no published rating" | "not yet rated" | "no_published_rating" | "not rated" => Rating::NoPublishedRating,
            "insufficient evidence to rate" | "insufficient evidence" | "insufficient_evidence" => Rating::InsufficientEvidence,
            _ => {
                return Err(format!(
                    "must be one of Outstanding, Good, Requires improvement, Inadequate, Inspected but not rated, No published rating; found '{}'",
                    s.trim()
                ));
            }
        }))
    }

    pub fn parse(s: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|r| r.as_str() == s).or_else(|| Rating::parse_cqc(s).ok().flatten())
    }

    /// Whether this is one of the four ratings proper.
    pub fn is_grade(self) -> bool {
        Rating::GRADES.contains(&self)
    }

    pub fn is_good_or_outstanding(self) -> bool {
        matches!(self, Rating::Outstanding | Rating::Good)
    }

    /// 4 best .. 1 worst for grades; `None` for non-ratings. Used to detect rises and falls.
    pub fn score(self) -> Option<u8> {
        match self {
            Rating::Outstanding => Some(4),
            Rating::Good => Some(3),
            Rating::RequiresImprovement => Some(2),
            Rating::Inadequate => Some(1),
            _ => None,
        }
    }
}

impl std::fmt::Display for Rating {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// CQC's five key questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyQuestion {
    Safe,
    Effective,
    Caring,
    Responsive,
    WellLed,
}

impl KeyQuestion {
    pub const ALL: [KeyQuestion; 5] =
        [KeyQuestion::Safe, KeyQuestion::Effective, KeyQuestion::Caring, KeyQuestion::Responsive, KeyQuestion::WellLed];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyQuestion::Safe => "safe",
            KeyQuestion::Effective => "effective",
            KeyQuestion::Caring => "caring",
            KeyQuestion::Responsive => "responsive",
            KeyQuestion::WellLed => "well_led",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            KeyQuestion::Safe => "Safe",
            KeyQuestion::Effective => "Effective",
            KeyQuestion::Caring => "Caring",
            KeyQuestion::Responsive => "Responsive",
            KeyQuestion::WellLed => "Well-led",
        }
    }

    pub fn parse(s: &str) -> Option<KeyQuestion> {
        let l = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        KeyQuestion::ALL.into_iter().find(|k| k.as_str() == l || (l == "wellled" && *k == KeyQuestion::WellLed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cqc_spellings() {
        assert_eq!(Rating::parse_cqc("Requires  Improvement"), Ok(Some(Rating::RequiresImprovement)));
        assert_eq!(Rating::parse_cqc(" Good "), Ok(Some(Rating::Good)));
        assert_eq!(Rating::parse_cqc("Inspected but not rated"), Ok(Some(Rating::InspectedButNotRated)));
        assert_eq!(Rating::parse_cqc("No published rating"), Ok(Some(Rating::NoPublishedRating)));
        assert_eq!(Rating::parse_cqc(""), Ok(None));
        let err = Rating::parse_cqc("Gud").unwrap_err();
        assert!(err.contains("found 'Gud'"), "{err}");
        assert_eq!(KeyQuestion::parse("Well-led"), Some(KeyQuestion::WellLed));
        for r in Rating::ALL {
            assert_eq!(Rating::parse(r.as_str()), Some(r));
        }
    }
}
