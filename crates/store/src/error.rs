#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(#[from] caremarket_core::FieldError),
    /// Several field failures of one command (core's constructors collect them all).
    #[error("{0}")]
    InvalidFields(caremarket_core::FieldErrors),
    /// A stored value that the domain cannot read: a row written by hand or by a newer release.
    /// Decoding fails loudly instead of turning an unknown kind into a default.
    #[error("corrupt data in {table}.{column}: '{value}' is not a value this release understands")]
    Corrupt { table: &'static str, column: &'static str, value: String },
    #[error("conflict: {0}")]
    Conflict(String),
    /// A save made from an older version of the record than the one stored (decision 25):
    /// someone else saved it in between. Nothing was written.
    #[error("this record changed since it was opened: it is now at version {current}")]
    Stale { current: i64 },
    #[error("migration {version} failed: {message}")]
    Migration { version: String, message: String },
    #[error("unsupported database URL '{0}': use sqlite://FILE or postgres://...")]
    UnsupportedUrl(String),
}

impl From<caremarket_core::FieldErrors> for StoreError {
    fn from(e: caremarket_core::FieldErrors) -> Self {
        StoreError::InvalidFields(e)
    }
}

impl StoreError {
    /// Parse a stored text column into a domain value, or fail with `Corrupt` naming it.
    pub fn decode<T: std::str::FromStr>(table: &'static str, column: &'static str, value: &str) -> Result<T, StoreError> {
        value.parse::<T>().map_err(|_| StoreError::Corrupt { table, column, value: value.to_string() })
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        StoreError::Invalid(caremarket_core::FieldError::new(field, message))
    }
}
