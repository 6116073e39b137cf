//! Governance (domain C9): the Market Sustainability Delivery Plan (`000`) and scrutiny
//! recommendations with their graded progress updates (`002`), with the work programme and the
//! self-assessment to follow (issue 12).

pub mod delivery_plan;
pub mod quarter;
pub mod scrutiny;
