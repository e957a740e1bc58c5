//! `metrotrack demo`: the October 2023 demo month, loaded and reported in one command.

use std::process::ExitCode;

use clap::Args;
use metrotrack_api::ingest::ingest;
use metrotrack_core::report::render_text;
use metrotrack_core::{
    BatchOutcome, ImportBatch, ImportMode, LabId, Lang, LogKind, Metric, PeriodSpec, PlanTarget,
    Scheme,
};
use metrotrack_import::ReadOptions;
use metrotrack_store::{BatchRequest, Store};

/// Where the demo lives unless `--database-url` says otherwise: never the real database.
pub const DEFAULT_DEMO_DATABASE_URL: &str = "sqlite://metrotrack-demo.db";

/// The demo logs, compiled in so the demo runs from any directory: the Excel shape a
/// technician uploads, then the same records in the canonical shape (all duplicates).
const DEMO_LOGS: &[(&str, LogKind, &[u8])] = &[
    (
        "inspections-2023-10.excel-vi.csv",
        LogKind::Inspections,
        include_bytes!("../../fixtures/demo/inspections-2023-10.excel-vi.csv"),
    ),
    (
        "earthing-2023-10.excel-vi.csv",
        LogKind::Earthing,
        include_bytes!("../../fixtures/demo/earthing-2023-10.excel-vi.csv"),
    ),
    (
        "inspections-2023-10.csv",
        LogKind::Inspections,
        include_bytes!("../../fixtures/demo/inspections-2023-10.csv"),
    ),
    (
        "earthing-2023-10.csv",
        LogKind::Earthing,
        include_bytes!("../../fixtures/demo/earthing-2023-10.csv"),
    ),
];

/// The demo plan: the department's targets for October 2023.
const DEMO_PLANS: &[(&str, Metric, u64)] = &[
    ("2023-10", Metric::InstrumentsInspected, 402),
    ("2023-10", Metric::EarthingPointsMeasured, 10),
];

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Language of the printed report: vi or en.
    #[arg(long, default_value = "vi")]
    lang: Lang,
}

/// Loads the demo month into `lab`: the logs (each file one batch; loading again adds
/// nothing) and the month's plan. Returns each file's name and batch.
pub async fn load<S: Store>(
    store: &S,
    lab: LabId,
) -> anyhow::Result<Vec<(&'static str, ImportBatch)>> {
    let mut out = Vec::with_capacity(DEMO_LOGS.len());
    for &(name, kind, bytes) in DEMO_LOGS {
        let request = BatchRequest {
            lab,
            kind,
            mode: ImportMode::Strict,
            file_name: name.to_owned(),
            uploaded_by: "demo".to_owned(),
        };
        let batch = ingest(store, request, bytes, ReadOptions::default(), |_| {}).await?;
        out.push((name, batch));
    }
    for &(period, metric, target) in DEMO_PLANS {
        let target = PlanTarget::new(metric, None, PeriodSpec::parse(period)?, target)?;
        store.set_plan(lab, &target, "demo").await?;
    }
    Ok(out)
}

/// Loads the demo month into `store` (at `location`, as the user named it) and prints
/// its report.
pub async fn run<S: Store>(store: &S, args: DemoArgs, location: &str) -> anyhow::Result<ExitCode> {
    let lab = store.default_lab().await?;
    for (name, batch) in load(store, lab).await? {
        let what = match batch.outcome {
            BatchOutcome::Stored => "stored",
            BatchOutcome::AlreadyImported => "already loaded",
            BatchOutcome::Refused => "REFUSED",
            BatchOutcome::DryRun => "checked",
        };
        println!(
            "{name}: {what} — rows {}, inserted {}, duplicates {}, rejected {}",
            batch.rows, batch.inserted, batch.duplicates, batch.rejected
        );
        for p in &batch.problems {
            println!("  {p}");
        }
    }
    let october = PeriodSpec::parse("2023-10")?.resolve(Scheme::Decree09);
    println!();
    print!(
        "{}",
        render_text(&store.achievement(lab, october).await?, args.lang)
    );
    println!();
    println!("Explore the demo database:");
    println!("  metrotrack --database-url {location} report --period 2023-10 --format json");
    println!("  metrotrack --database-url {location} due --as-of 2024-10-01 --within 30");
    Ok(ExitCode::SUCCESS)
}
