//! C1. The provider and service register.

mod closure;
mod contract;
mod cqc;
pub mod cqc_changes;
mod figures;
pub mod framework;
mod history;
pub mod import_plan;
mod kind;
pub mod placement;
mod rating;
mod scope;

pub use closure::{Closure, ClosureCounts, ClosureReason, check_can_record_closure, count_closures};
pub use contract::{ContractChange, ContractStatus, check_contract_dates, contract_status_on};
pub use cqc::{CqcLocation, CqcProvider, CqcRatingSet, RegistrationStatus, Rejection, Relationship};
pub use figures::{CountedService, KindFigure, MarketCounts, market_counts, percent, percent_good_or_outstanding};
pub use history::{
    ChangeDirection, Published, RatingChange, changes_in, good_or_outstanding_sql_list, grades_sql_list, previous_grades, replaces_current,
};
pub use kind::{ServiceKind, Specialism};
pub use rating::{KeyQuestion, Rating};
pub use scope::out_of_scope_reason;
