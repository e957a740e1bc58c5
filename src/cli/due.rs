//! `metrotrack due [--within 30] [--as-of 2024-10-01]`

use std::process::ExitCode;

use chrono::{Local, NaiveDate};
use clap::Args;
use metrotrack_core::DueAfter;
use metrotrack_store::Store;

use super::Format;

/// Instruments read from the store at a time.
const PAGE: u32 = 1000;

#[derive(Debug, Args)]
pub struct DueArgs {
    /// List instruments whose verification expires within this many days.
    #[arg(long, default_value_t = 30)]
    within: u32,
    /// The day to count from (yyyy-mm-dd); today when not given.
    #[arg(long)]
    as_of: Option<NaiveDate>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub async fn run<S: Store>(store: &S, args: DueArgs) -> anyhow::Result<ExitCode> {
    let lab = store.default_lab().await?;
    let as_of = args.as_of.unwrap_or_else(|| Local::now().date_naive());
    // The whole list, a page at a time.
    let mut due = Vec::new();
    loop {
        let page = store
            .due_list(
                lab,
                args.within,
                as_of,
                due.last().map(DueAfter::from).as_ref(),
                PAGE,
            )
            .await?;
        let last_page = page.len() < PAGE as usize;
        due.extend(page);
        if last_page {
            break;
        }
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&due)?),
        Format::Text => {
            let overdue = due.iter().filter(|d| d.overdue).count();
            println!(
                "as of {}: {} overdue, {} due within {} days",
                as_of.format("%d/%m/%Y"),
                overdue,
                due.len() - overdue,
                args.within
            );
            if !due.is_empty() {
                println!(
                    "{:<6} {:<20} {:<28} {:<11} {:>6}  owner",
                    "cat", "serial", "manufacturer", "valid until", "days"
                );
            }
            for d in &due {
                println!(
                    "{:<6} {:<20} {:<28} {:<11} {:>6}  {}{}",
                    d.category.as_str(),
                    d.serial_number,
                    d.manufacturer.as_deref().unwrap_or("-"),
                    d.valid_until.format("%d/%m/%Y").to_string(),
                    d.days_left,
                    d.owner.as_deref().unwrap_or("-"),
                    if d.overdue { "  OVERDUE" } else { "" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
