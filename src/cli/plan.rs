//! `metrotrack plan set|delete|list`

use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};
use metrotrack_core::{CategoryCatalog, Metric, PeriodSpec, PlanTarget};
use metrotrack_store::Store;

use super::{Format, UserArg};

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Set (or replace) the target of a metric for a month, a quarter, a half-year or a
    /// year.
    Set(SetArgs),
    /// Delete the target of a metric for a period (recorded in the audit log).
    Delete(DeleteArgs),
    /// List plan targets.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// A month (2023-10), a quarter (2023-Q4), a half-year (2023-H2) or a year (2023).
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
pub struct DeleteArgs {
    /// The target's period: 2023-10, 2023-Q4, 2023-H2 or 2023.
    #[arg(long)]
    period: PeriodSpec,
    /// instruments_inspected, inspections or earthing_points_measured.
    #[arg(long)]
    metric: Metric,
    /// The category the target is narrowed to (code or name); absent: the lab-wide one.
    #[arg(long)]
    category: Option<String>,
    #[command(flatten)]
    user: UserArg,
}

/// The category `written` (a code or a name) names in the lab, or what is known.
async fn resolve_category<S: Store>(
    store: &S,
    lab: metrotrack_core::LabId,
    written: Option<&str>,
) -> anyhow::Result<Option<metrotrack_core::CategoryCode>> {
    let Some(written) = written else {
        return Ok(None);
    };
    let catalog = CategoryCatalog::new(store.categories(lab).await?);
    let found = catalog.resolve(written).ok_or_else(|| {
        anyhow!(
            "unknown category {written:?}; known: {}",
            catalog.known_codes()
        )
    })?;
    Ok(Some(found.code.clone()))
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the targets of this year (its months, quarters, halves and the year itself).
    #[arg(long)]
    year: Option<i32>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub async fn run<S: Store>(store: &S, command: PlanCommand) -> anyhow::Result<ExitCode> {
    let lab = store.default_lab().await?;
    match command {
        PlanCommand::Set(args) => {
            let category = resolve_category(store, lab, args.category.as_deref()).await?;
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
        PlanCommand::Delete(args) => {
            let category = resolve_category(store, lab, args.category.as_deref()).await?;
            let deleted = store
                .delete_plan(
                    lab,
                    args.metric,
                    category.as_ref(),
                    args.period,
                    &args.user.name(),
                )
                .await
                .context("cannot delete the plan target")?;
            println!(
                "plan deleted: {} {}{} (was {})",
                deleted.period,
                deleted.metric,
                deleted
                    .category
                    .as_ref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default(),
                deleted.target
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
