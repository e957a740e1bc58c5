//! `metrotrack export inspections --period 2023-10 --format xlsx --output kiem-dinh.xlsx`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{Local, NaiveDate};
use clap::{Args, ValueEnum};
use metrotrack_api::export::{ExportFormat, List, Rows, write_file};
use metrotrack_core::{CategoryCode, Lang, PeriodSpec, Scheme};
use metrotrack_store::Store;
use metrotrack_store::records::{EarthingTestFilter, InspectionFilter, InstrumentFilter};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListArg {
    /// The inspections log (it imports back).
    Inspections,
    /// The earthing log (it imports back).
    Earthing,
    Instruments,
    /// Instruments due within --within days of --as-of, and the overdue.
    Due,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FileFormat {
    /// For Excel on Vietnamese Windows: UTF-8 with BOM, `;`, decimal comma, dd/mm/yyyy.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(value_enum)]
    list: ListArg,
    /// Only this period's records: 2023-10, 2023-Q4, 2023-H2 or 2023.
    #[arg(long)]
    period: Option<PeriodSpec>,
    /// decree09 (periods end on the 14th) or calendar.
    #[arg(long, default_value = "decree09", env = "METROTRACK_SCHEME")]
    scheme: Scheme,
    /// Only this category's inspections or instruments.
    #[arg(long)]
    category: Option<String>,
    /// The due list: days ahead.
    #[arg(long, default_value_t = 30)]
    within: u32,
    /// The due list: the day to count from (yyyy-mm-dd); today when not given.
    #[arg(long)]
    as_of: Option<NaiveDate>,
    #[arg(long, value_enum, default_value = "csv")]
    format: FileFormat,
    /// Language of the headers and words: vi or en.
    #[arg(long, default_value = "vi")]
    lang: Lang,
    /// Write to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
}

pub async fn run<S: Store>(store: &S, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let lab = store.default_lab().await?;
    let period = args.period.map(|p| p.resolve(args.scheme));
    let (from, to) = (period.map(|p| p.start), period.map(|p| p.end));
    let category = args
        .category
        .as_deref()
        .map(CategoryCode::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--category: {e}"))?;
    let list = match args.list {
        ListArg::Inspections => List::Inspections(InspectionFilter {
            from,
            to,
            category,
            ..InspectionFilter::default()
        }),
        ListArg::Earthing => List::EarthingTests(EarthingTestFilter {
            from,
            to,
            ..EarthingTestFilter::default()
        }),
        ListArg::Instruments => List::Instruments(InstrumentFilter {
            category,
            ..InstrumentFilter::default()
        }),
        ListArg::Due => List::Due {
            within: args.within,
            as_of: args.as_of.unwrap_or_else(|| Local::now().date_naive()),
        },
    };
    let format = match args.format {
        FileFormat::Csv => ExportFormat::Csv,
        FileFormat::Xlsx => ExportFormat::Xlsx,
    };
    let rows = Rows::new(store.clone(), lab, list, args.lang);
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            write_file(rows, format, &mut std::io::BufWriter::new(file))
                .await
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => write_file(rows, format, &mut std::io::stdout()).await?,
    }
    Ok(ExitCode::SUCCESS)
}
