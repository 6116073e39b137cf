//! Every integration test of this crate, built as one test binary. Each file below was once a
//! binary of its own; together they linked the web framework, the database drivers and the
//! document libraries a hundred times over, and the target directory outgrew a CI machine's disk.

mod admission_closures;
mod brokerage_claims;
mod budgets;
mod bulk;
mod capacity;
mod care_home_fees;
mod closures;
mod committees;
mod conformance;
mod contract_frameworks;
mod cost_of_care;
mod cqc_changes;
mod direct_payments;
mod ecm;
mod evidence;
mod fact_check;
mod fees;
mod governance;
mod import_batches;
mod import_indexes;
mod import_planning;
mod import_streamed;
mod kept_figures;
mod market_as_at;
mod outcomes;
mod pa_checks;
mod passwords;
mod pending_imports;
mod postcodes;
mod quality_figures;
mod quality_signals;
mod quality_status;
mod quality_themes;
mod quality_visits;
mod register;
mod reports;
mod schema;
mod scrutiny;
mod security;
mod service_list_pages;
mod single_sign_on;
mod supported_living;
mod versions;
mod workforce;
