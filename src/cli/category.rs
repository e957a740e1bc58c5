//! `metrotrack category list|set|cycle`: the lab's instrument categories, kept by an admin.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use metrotrack_core::{CategoryCode, CycleRule};
use metrotrack_store::{CategoryNames, Store, StoreError};

use super::{EXIT_USAGE, Format, UserArg};

#[derive(Debug, Subcommand)]
pub enum CategoryCommand {
    /// Every category of the lab with its verification cycles.
    List(ListArgs),
    /// Add a category, or set an existing one's names (and legal-list flag).
    Set(SetArgs),
    /// Add a verification cycle from a date on; inspections stored before keep theirs.
    Cycle(CycleArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The category code (1 to 16 letters, digits, - or _), e.g. DHN.
    code: String,
    #[arg(long)]
    name_vi: String,
    #[arg(long)]
    name_en: String,
    /// Not on the legal list of instruments that must be verified (nhóm 2).
    #[arg(long)]
    not_legal_group2: bool,
    #[command(flatten)]
    user: UserArg,
}

#[derive(Debug, Args)]
pub struct CycleArgs {
    code: String,
    /// The first day the cycle is in force (yyyy-mm-dd).
    #[arg(long)]
    from: NaiveDate,
    /// The cycle in months (1 to 240).
    #[arg(long)]
    months: u32,
    #[command(flatten)]
    user: UserArg,
}

fn code_of(code: &str) -> Result<CategoryCode, ExitCode> {
    CategoryCode::parse(code).map_err(|_| {
        eprintln!("error: {code:?} is not a category code (1 to 16 letters, digits, - or _)");
        ExitCode::from(EXIT_USAGE)
    })
}

fn refused(e: StoreError) -> anyhow::Result<ExitCode> {
    match e {
        StoreError::NotFound(what) => eprintln!("error: {what} not found"),
        StoreError::Invalid(why) | StoreError::Conflict(why) => eprintln!("error: {why}"),
        other => return Err(other.into()),
    }
    Ok(ExitCode::FAILURE)
}

pub async fn run<S: Store>(store: &S, command: CategoryCommand) -> anyhow::Result<ExitCode> {
    let lab = store.default_lab().await?;
    match command {
        CategoryCommand::List(args) => {
            let categories = store.categories(lab).await?;
            match args.format {
                Format::Json => println!("{}", serde_json::to_string(&categories)?),
                Format::Text => {
                    for c in &categories {
                        let cycles: Vec<String> = c
                            .cycles
                            .iter()
                            .map(|r| format!("{} months from {}", r.months, r.effective_from))
                            .collect();
                        println!(
                            "{}\t{}\t{}\t{}",
                            c.code,
                            c.name_vi,
                            c.name_en,
                            cycles.join("; ")
                        );
                    }
                }
            }
        }
        CategoryCommand::Set(args) => {
            let code = match code_of(&args.code) {
                Ok(c) => c,
                Err(exit) => return Ok(exit),
            };
            let names = CategoryNames {
                code,
                name_vi: args.name_vi,
                name_en: args.name_en,
                legal_group2: !args.not_legal_group2,
            };
            match store.save_category(lab, &names, &args.user.name()).await {
                Ok(c) => println!("category {}: {} / {}", c.code, c.name_vi, c.name_en),
                Err(e) => return refused(e),
            }
        }
        CategoryCommand::Cycle(args) => {
            let code = match code_of(&args.code) {
                Ok(c) => c,
                Err(exit) => return Ok(exit),
            };
            let rule = CycleRule {
                effective_from: args.from,
                months: args.months,
            };
            match store.add_cycle(lab, &code, rule, &args.user.name()).await {
                Ok(c) => println!(
                    "category {}: {} months from {} on",
                    c.code, args.months, args.from
                ),
                Err(e) => return refused(e),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
