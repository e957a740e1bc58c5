//! Reads a log file and prints what the importer made of it: `read_file <inspections|earthing> <path>`.

use metrotrack_core::category::seed_categories;
use metrotrack_core::{CategoryCatalog, LogKind, ParsedRow};
use metrotrack_import::{ReadOptions, read_log};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let kind: LogKind = args.next().unwrap_or_default().parse()?;
    let path = args
        .next()
        .ok_or("usage: read_file <inspections|earthing> <path>")?;
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let catalog = CategoryCatalog::new(seed_categories());
    let (mut valid, mut invalid) = (0u64, 0u64);
    let summary = read_log(file, kind, &catalog, &ReadOptions::default(), |rows, _| {
        for row in rows {
            match row {
                ParsedRow::Invalid { problems, .. } => {
                    invalid += 1;
                    for p in problems {
                        eprintln!("{p}");
                    }
                }
                _ => valid += 1,
            }
        }
        true
    });
    println!(
        "{valid} valid, {invalid} invalid rows; {} bytes, sha256 {}",
        summary.size_bytes, summary.sha256
    );
    for p in summary.warnings.iter().chain(&summary.fatal) {
        println!("{p}");
    }
    Ok(())
}
