//! Assessment frameworks as data (`data/quality/`): what a framework and its standards must say.
//! Standards are judged on the PAMMS four-point scale ([`super::Judgement`]).

use crate::FieldError;
use crate::register::ServiceKind;

/// A framework whose standards are judged and raise actions.
pub const STANDARDS: &str = "standards";
/// A framework of Making it Real I statements, judged the same way.
pub const OUTCOMES: &str = "outcomes";
/// The purposes a framework can have.
pub const PURPOSES: [&str; 2] = [STANDARDS, OUTCOMES];
/// A standard confirmed from a published source.
pub const CONFIRMED: &str = "confirmed";
/// A standard inferred from a source: an officer should check it.
pub const INFERRED: &str = "inferred";
/// Where a standard comes from.
pub const PROVENANCES: [&str; 2] = [CONFIRMED, INFERRED];
/// The longest standard code.
pub const MAX_STANDARD_CODE: usize = 20;

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A standard as typed into the form or a row of an uploaded file (new or edited).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StandardInput {
    pub domain: String,
    pub code: String,
    pub title: String,
    pub guidance: Option<String>,
    pub provenance: String,
}

impl StandardInput {
    /// The standard trimmed, or the first thing wrong with it: a domain, a code of at most
    /// [`MAX_STANDARD_CODE`] characters without spaces, a title, and a known provenance (blank
    /// is confirmed).
    pub fn check(&self) -> Result<StandardInput, FieldError> {
        let domain = self.domain.trim().to_string();
        let code = self.code.trim().to_string();
        let title = self.title.trim().to_string();
        if domain.is_empty() {
            return Err(FieldError::new("domain", "Enter the domain the standard belongs to"));
        }
        if code.is_empty() {
            return Err(FieldError::new("code", "Enter the standard's code, for example QB02"));
        }
        if code.len() > MAX_STANDARD_CODE || code.chars().any(char::is_whitespace) {
            return Err(FieldError::new("code", "The code must be 20 characters or fewer with no spaces, for example QB02"));
        }
        if title.is_empty() {
            return Err(FieldError::new("title", "Enter the standard's title"));
        }
        let provenance = if self.provenance.trim().is_empty() { CONFIRMED.to_string() } else { self.provenance.trim().to_string() };
        if !PROVENANCES.contains(&provenance.as_str()) {
            return Err(FieldError::new("provenance", "Choose whether the standard is confirmed or inferred"));
        }
        Ok(StandardInput { domain, code, title, guidance: self.guidance.as_deref().and_then(opt), provenance })
    }
}

/// A new framework's details (its standards come separately).
#[derive(Debug, Clone, Default)]
pub struct NewFramework {
    pub code: String,
    pub name: String,
    /// "standards" or "outcomes".
    pub purpose: String,
    /// Empty = any kind of service.
    pub applies_to: Vec<ServiceKind>,
    pub source: String,
}

impl NewFramework {
    /// The framework's name and lower-cased code, and its standards checked: at least one, each
    /// valid, no code twice. A standard's problem is reported against `file` with its row (the
    /// header is row 1, so `standards[0]` is row 2).
    pub fn check(&self, standards: &[StandardInput]) -> Result<(String, String, Vec<StandardInput>), FieldError> {
        let name = self.name.trim().to_string();
        let code = self.code.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(FieldError::new("name", "Enter the framework's name"));
        }
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(FieldError::new("code", "Enter a short code of lower-case letters, numbers and underscores, with no spaces"));
        }
        if !PURPOSES.contains(&self.purpose.as_str()) {
            return Err(FieldError::new("purpose", "Choose standards or outcome measures"));
        }
        if standards.is_empty() {
            return Err(FieldError::new("file", "The file has no standards: give one row per standard under the header domain,code,title"));
        }
        let mut checked: Vec<StandardInput> = Vec::new();
        for (i, r) in standards.iter().enumerate() {
            let row = i + 2;
            let s = r.check().map_err(|e| FieldError::new("file", format!("Row {row}: {}", e.message)))?;
            if checked.iter().any(|c| c.code == s.code) {
                return Err(FieldError::new("file", format!("Row {row}: code {} is used twice in the file", s.code)));
            }
            checked.push(s);
        }
        Ok((name, code, checked))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standard(code: &str) -> StandardInput {
        StandardInput {
            domain: " Safe ".into(),
            code: code.into(),
            title: " Medicines ".into(),
            guidance: Some(" ".into()),
            provenance: "".into(),
        }
    }

    #[test]
    fn standards_are_trimmed_and_checked() {
        let s = standard(" M1 ").check().expect("ok");
        assert_eq!((s.domain.as_str(), s.code.as_str(), s.guidance, s.provenance.as_str()), ("Safe", "M1", None, "confirmed"));
        assert_eq!(standard("M 1").check().unwrap_err().field, "code");
        assert_eq!(StandardInput { provenance: "guessed".into(), ..standard("M1") }.check().unwrap_err().field, "provenance");
    }

    #[test]
    fn a_framework_needs_a_name_a_code_and_distinct_standards() {
        let f = NewFramework { code: " QAF_Day ".into(), name: "Day services".into(), purpose: "standards".into(), ..Default::default() };
        let (name, code, rows) = f.check(&[standard("A1"), standard("A2")]).expect("ok");
        assert_eq!((name.as_str(), code.as_str(), rows.len()), ("Day services", "qaf_day", 2));
        assert_eq!(f.check(&[standard("A1"), standard("A1")]).unwrap_err().message, "Row 3: code A1 is used twice in the file");
        assert_eq!(f.check(&[]).unwrap_err().field, "file");
        assert_eq!(NewFramework { purpose: "x".into(), ..f }.check(&[standard("A1")]).unwrap_err().field, "purpose");
    }
}
