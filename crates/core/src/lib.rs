//! caremarket's domain: types and rules for each capability, free of I/O.
//!
//! Every rule taken from a source document names the seed and section in its doc comment
//! (`000` Sheffield Market Oversight Report, `002` Stockton scrutiny, `004` Leicester pack).

pub mod access;
pub mod approvals;
pub mod capacity;
pub mod charts;
pub mod direct_payments;
pub mod ecm;
pub mod evidence;
pub mod exit_plans;
pub mod fees;
pub mod governance;
pub mod limits;
pub mod outcomes;
pub mod passwords;
pub mod quality;
pub mod register;
pub mod reports;
pub mod restrictions;
pub mod text;
pub mod versions;
pub mod workforce;

pub use jiff::civil::Date;

/// `part` as a whole percentage of `whole`, rounded half up, as `000` prints shares ("54%",
/// "92%"); `None` when `whole` is 0 or less. Every whole percentage (occupancy, vacancy rate,
/// turnover, the report's shares) is rounded here, once.
pub fn whole_percent(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (part * 100 + whole / 2) / whole)
}

/// A field-level validation failure an officer can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Every field-level failure of one command, in the order the form shows its fields. Core's
/// constructors collect all of them (an officer fixes a form once, not once per field) and web
/// turns them into the error summary and the inline messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    /// Record a failure; a field keeps only its first message.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        if !self.0.iter().any(|e| e.field == field) {
            self.0.push(FieldError { field, message: message.into() });
        }
    }
    /// The value of a parse, or `None` with its failure recorded.
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.add(e.field, e.message)).ok()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Ok(value)` when nothing failed.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.0.is_empty() { Ok(value) } else { Err(self) }
    }
}

impl From<FieldError> for FieldErrors {
    fn from(e: FieldError) -> Self {
        FieldErrors(vec![e])
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| e.to_string()).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

/// Parse an ISO date (`YYYY-MM-DD`) with a message naming the field.
pub fn parse_date(field: &str, s: &str) -> Result<Date, FieldError> {
    s.trim().parse::<Date>().map_err(|_| FieldError::new(field, format!("'{s}' is not a date in the form YYYY-MM-DD")))
}
