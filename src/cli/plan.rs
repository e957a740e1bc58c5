//! `metrotrack plan set|list`

use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};
use metrotrack_core::{CategoryCatalog, Metric, PeriodSpec, PlanTarget};
use metrotrack_store::Store;

use super::{Format, UserArg};

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Set (or replace) the target of a metric for a month or a year.
    Set(SetArgs),
    /// List plan targets.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// A month (2023-10) or a year (2023).
    #[arg(long)]
    period: PeriodSpec,
    /// instruments_inspected, inspections or earthing_points_measured.
    #[arg(long)]
    metric: Metric,
    /// The target count.
    #[arg(long)]
    target: u64,
    /// Narrow the metric to one instrument category (code or name).
    #[arg(long)]
    category: Option<String>,
    #[command(flatten)]
    user: UserArg,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the targets of this year (its months and the year itself).
    #[arg(long)]
    year: Option<i32>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub async fn run<S: Store>(store: &S, command: PlanCommand) -> anyhow::Result<ExitCode> {
    let lab = store.default_lab().await?;
    match command {
        PlanCommand::Set(args) => {
            let category = match &args.category {
                None => None,
                Some(written) => {
                    let catalog = CategoryCatalog::new(store.categories(lab).await?);
                    let found = catalog.resolve(written).ok_or_else(|| {
                        anyhow!(
                            "unknown category {written:?}; known: {}",
                            catalog.known_codes()
                        )
                    })?;
                    Some(found.code.clone())
                }
            };
            let target = PlanTarget::new(args.metric, category, args.period, args.target)?;
            store
                .set_plan(lab, &target, &args.user.name())
                .await
                .context("cannot save the plan target")?;
            println!(
                "plan set: {} {}{} = {}",
                target.period,
                target.metric,
                target
                    .category
                    .as_ref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default(),
                target.target
            );
        }
        PlanCommand::List(args) => {
            let plans = store.plans(lab, args.year).await?;
            match args.format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&plans)?),
                Format::Text if plans.is_empty() => println!("no plan targets set"),
                Format::Text => {
                    println!(
                        "{:<8} {:<26} {:<9} {:>8}",
                        "period", "metric", "category", "target"
                    );
                    for p in &plans {
                        let category = p.category.as_ref().map(|c| c.as_str()).unwrap_or("all");
                        println!(
                            "{:<8} {:<26} {:<9} {:>8}",
                            p.period, p.metric, category, p.target
                        );
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
