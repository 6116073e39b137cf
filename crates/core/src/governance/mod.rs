//! Governance (domain C9): the Market Sustainability Delivery Plan (`000`), scrutiny
//! recommendations with their graded progress updates (`002`), committees' work programmes with
//! their papers and options appraisals (`004`, `001`), and the CQC local authority assessment
//! self-assessment with its evidence (`004`).

pub mod committees;
pub mod delivery_plan;
pub mod quarter;
pub mod scrutiny;
pub mod self_assessment;
