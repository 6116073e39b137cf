use caremarket_core::Date;
use caremarket_store::{Store, StoreError};

pub(super) async fn generate(_store: &Store, _seed: u64, _scale: u32, _today: Date) -> Result<(), StoreError> {
    Ok(())
}
