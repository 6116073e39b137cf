//! Every integration test of this crate, built as one test binary. Each file below was once a
//! binary of its own; together they linked the web framework, the database drivers and the
//! document libraries a hundred times over, and the target directory outgrew a CI machine's disk.
mod common;

mod cqc_each;
mod cqc_layouts;
mod cqc_malformed;
mod cqc_rejections;
mod cqc_same_table;
mod cqc_scope;
mod dates_prop;
mod ecm_golden;
mod ods_stream;
mod postcodes;
mod synthetic;
