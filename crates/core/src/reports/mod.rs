//! Committee papers made of the system's figures (C11).

pub mod quarterly;
