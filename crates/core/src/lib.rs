//! caremarket's domain: types and rules for each capability, free of I/O.
//!
//! Every rule taken from a source document names the seed and section in its doc comment
//! (`000` Sheffield Market Oversight Report, `002` Stockton scrutiny, `004` Leicester pack).

pub mod access;
pub mod capacity;
pub mod direct_payments;
pub mod limits;
pub mod quality;
pub mod register;
pub mod text;

pub use jiff::civil::Date;

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

/// Parse an ISO date (`YYYY-MM-DD`) with a message naming the field.
pub fn parse_date(field: &str, s: &str) -> Result<Date, FieldError> {
    s.trim().parse::<Date>().map_err(|_| FieldError::new(field, format!("'{s}' is not a date in the form YYYY-MM-DD")))
}
