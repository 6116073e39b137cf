//! Every integration test of this crate, built as one test binary. Each file below was once a
//! binary of its own; together they linked the web framework, the database drivers and the
//! document libraries a hundred times over, and the target directory outgrew a CI machine's disk.

mod budgets;
mod capacity;
mod committees;
mod fees;
mod fingerprint;
mod outcomes;
mod plan;
mod store;
mod supported_living;
mod workforce;
