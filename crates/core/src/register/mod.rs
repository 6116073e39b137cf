//! C1. The provider and service register.

mod contract;
mod cqc;
mod figures;
pub mod framework;
mod kind;
mod rating;

pub use contract::ContractStatus;
pub use cqc::{CqcLocation, CqcRatingSet, RegistrationStatus, Rejection, Relationship};
pub use figures::{KindFigure, percent, percent_good_or_outstanding};
pub use kind::{ServiceKind, Specialism};
pub use rating::{KeyQuestion, Rating};
