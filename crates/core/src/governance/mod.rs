//! Governance (domain C9): the Market Sustainability Delivery Plan (`000`), with scrutiny
//! recommendations, the work programme and the self-assessment to follow (issue 12).

pub mod delivery_plan;
pub mod quarter;
