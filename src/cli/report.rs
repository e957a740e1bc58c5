//! `metrotrack report --period 2023-10`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use metrotrack_api::export::{ExportFormat, List, Rows, write_file};
use metrotrack_core::report::render_text;
use metrotrack_core::{Lang, PeriodSpec, Scheme};
use metrotrack_store::Store;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    /// The report's sentences, as in the monthly report.
    Text,
    /// The achievement document of the API.
    Json,
    /// One row per figure, for Excel: UTF-8 with BOM, `;`, headers in --lang.
    Csv,
    /// One row per figure, as an Excel workbook.
    Xlsx,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// 2023-10 (month), 2023-Q4 (quarter), 2023-H2 (half-year) or 2023 (year).
    #[arg(long)]
    period: PeriodSpec,
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
    /// Language of the text and of a file's headers and words: vi or en.
    #[arg(long, default_value = "vi")]
    lang: Lang,
    /// decree09 (periods end on the 14th, Decree 09/2019/NĐ-CP) or calendar.
    #[arg(long, default_value = "decree09", env = "METROTRACK_SCHEME")]
    scheme: Scheme,
    /// Write to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
}

pub async fn run<S: Store>(store: &S, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let lab = store.default_lab().await?;
    let achievement = store
        .achievement(lab, args.period.resolve(args.scheme))
        .await?;
    let file = match args.format {
        ReportFormat::Text => None,
        ReportFormat::Json => None,
        ReportFormat::Csv => Some(ExportFormat::Csv),
        ReportFormat::Xlsx => Some(ExportFormat::Xlsx),
    };
    if let Some(format) = file {
        let rows = Rows::new(
            store.clone(),
            lab,
            List::Report(Box::new(achievement)),
            args.lang,
        );
        match &args.output {
            Some(path) => {
                let mut out = std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                );
                write_file(rows, format, &mut out)
                    .await
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            None => write_file(rows, format, &mut std::io::stdout()).await?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    let rendered = match args.format {
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&achievement)?),
        _ => render_text(&achievement, args.lang),
    };
    match &args.output {
        Some(path) => std::fs::write(path, rendered)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{rendered}"),
    }
    Ok(ExitCode::SUCCESS)
}
