//! Parse a CQC file or folder and print what came out:
//! `cargo run -p caremarket-ingest --example cqc_parse -- <file-or-folder> [--json]`
//!
//! Or write a synthetic 45-column export (for trying imports at scale):
//! `cargo run -p caremarket-ingest --example cqc_parse -- --synthetic <rows> <out.csv> [seed]`

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--synthetic") {
        let rows = args.get(1).and_then(|n| n.parse::<usize>().ok()).unwrap_or(50_000);
        let out = args.get(2).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("synthetic-locations.csv"));
        let seed = args.get(3).and_then(|n| n.parse::<u64>().ok()).unwrap_or(1);
        let written = std::fs::File::create(&out).map(std::io::BufWriter::new).and_then(|mut w| {
            caremarket_ingest::synthetic::write_locations_export_csv(&mut w, rows, seed)?;
            std::io::Write::flush(&mut w)
        });
        return match written {
            Ok(()) => {
                println!("wrote {rows} rows to {}", out.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: {e}", out.display());
                ExitCode::FAILURE
            }
        };
    }
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: cqc_parse <file-or-folder> [--json]");
        return ExitCode::FAILURE;
    };
    let started = std::time::Instant::now();
    match caremarket_ingest::parse_cqc_file(&PathBuf::from(path), &mut |_, _| {}) {
        Ok(outcome) => {
            if args.iter().any(|a| a == "--json") {
                println!("{}", serde_json::to_string_pretty(&outcome).unwrap_or_default());
            }
            println!(
                "{}: {} rows read, {} locations, {} rejected, complete register: {} ({:.2?})",
                outcome.format,
                outcome.rows_read,
                outcome.records.len(),
                outcome.rejections.len(),
                outcome.is_complete_register,
                started.elapsed()
            );
            for m in outcome.rejection_messages().iter().take(20) {
                println!("  {m}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
