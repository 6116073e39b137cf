#![no_main]
//! Fuzz target `evidence_type`: the evidence upload (`/evidence/{kind}/{id}`) keeps a file only
//! when its content is an accepted type, told by `evidence::FileType::detect`, which reads
//! the file's first bytes and, for office documents, looks inside the zip or OLE container (the
//! `infer` crate). Any bytes must give a type or `None`, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caremarket_core::evidence::FileType::detect(data);
});
