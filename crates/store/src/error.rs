#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(#[from] caremarket_core::FieldError),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("migration {version} failed: {message}")]
    Migration { version: String, message: String },
    #[error("unsupported database URL '{0}': use sqlite://FILE or postgres://...")]
    UnsupportedUrl(String),
}

impl StoreError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        StoreError::Invalid(caremarket_core::FieldError::new(field, message))
    }
}
