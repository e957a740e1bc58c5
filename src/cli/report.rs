//! `metrotrack report --period 2023-10`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use metrotrack_api::document::{report_docx, today_in_vietnam};
use metrotrack_core::report::render_text;
use metrotrack_core::{LabId, Lang, PeriodAchievement, PeriodSpec, Scheme};
use metrotrack_store::Store;

use super::EXIT_USAGE;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    /// The report's sentences, as in the monthly report.
    Text,
    /// The achievement document of the API.
    Json,
    /// One row per metric.
    Csv,
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
    /// Language of the text form: vi or en.
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
    let achievement = store
        .achievement(lab, args.period.resolve(args.scheme))
        .await?;
    let rendered = match args.format {
        ReportFormat::Text => render_text(&achievement, args.lang),
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&achievement)?),
        ReportFormat::Csv => csv(&achievement),
        ReportFormat::Docx => return docx(store, lab, &args).await,
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
    let name = store
        .labs()
        .await?
        .into_iter()
        .find(|l| l.id == lab)
        .map(|l| l.name)
        .unwrap_or_default();
    let issued_on = args.issued_on.unwrap_or_else(today_in_vietnam);
    let period = args.period.resolve(args.scheme);
    let bytes = report_docx(store, lab, &name, period, issued_on, args.lang).await?;
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(ExitCode::SUCCESS)
}

fn csv(achievement: &PeriodAchievement) -> String {
    let p = &achievement.period;
    let mut out = String::from(
        "period,scheme,start,end,metric,category,actual,target,ratio,percent,status\n",
    );
    for a in &achievement.metrics {
        let opt = |v: Option<String>| v.unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            p.spec,
            p.scheme,
            p.start,
            p.end,
            a.metric,
            opt(a.category.as_ref().map(|c| c.to_string())),
            a.actual,
            opt(a.target.map(|t| t.to_string())),
            opt(a.ratio.map(|r| r.to_string())),
            opt(a.percent.map(|v| v.to_string())),
            serde_json::to_value(a.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        ));
    }
    out
}
