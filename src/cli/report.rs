//! `metrotrack report --period 2023-10`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use metrotrack_api::document::{report_docx, today_in_vietnam};
use metrotrack_api::export::{ExportFormat, List, Rows, write_file};
use metrotrack_core::report::render_text;
use metrotrack_core::{LabId, Lang, PeriodSpec, Scheme};
use metrotrack_store::Store;

use super::EXIT_USAGE;

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
    /// The report as the document the department signs (Word, Decree 30/2020 layout);
    /// needs --output.
    Docx,
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
    /// The date the document is signed (yyyy-mm-dd); default today in Vietnam (UTC+7).
    #[arg(long)]
    issued_on: Option<NaiveDate>,
}

pub async fn run<S: Store>(store: &S, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let lab = store.default_lab().await?;
    if let ReportFormat::Docx = args.format {
        return docx(store, lab, &args).await;
    }
    let achievement = store
        .achievement(lab, args.period.resolve(args.scheme))
        .await?;
    let file = match args.format {
        ReportFormat::Text | ReportFormat::Json | ReportFormat::Docx => None,
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

async fn docx<S: Store>(store: &S, lab: LabId, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let Some(path) = &args.output else {
        eprintln!("error: a .docx is a file: give --output FILE");
        return Ok(ExitCode::from(EXIT_USAGE));
    };
    let issued_on = args.issued_on.unwrap_or_else(today_in_vietnam);
    let period = args.period.resolve(args.scheme);
    let bytes = report_docx(store, lab, period, issued_on, args.lang).await?;
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(ExitCode::SUCCESS)
}
