//! `metrotrack record amend|void|show`: one stored record corrected by an amendment,
//! voided on its own, or shown with every version.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use metrotrack_core::{CategoryCatalog, Lang, Problem};
use metrotrack_store::records::Amendment;
use metrotrack_store::{Store, StoreError};

use super::{EXIT_USAGE, Format, LangArg, UserArg};

#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// Correct one record: a new version with the changed values and a reason; every
    /// earlier version is kept. Values are checked as an import checks a log's cells.
    Amend(AmendArgs),
    /// Void one record: it leaves every figure and stays visible as voided.
    Void(VoidArgs),
    /// One record with every version, oldest first.
    Show(ShowArgs),
}

/// Which kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Inspection,
    Earthing,
}

#[derive(Debug, Args)]
pub struct AmendArgs {
    kind: Kind,
    /// The record's id.
    id: i64,
    /// A change, `field=value`, as a log's cell would write it (repeat for more):
    /// `inspected_on=20/10/2023`, `error_percent=-0,056`, `result=Đạt`, `notes=` (clears).
    #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
    set: Vec<String>,
    /// Why the record is amended (kept with the new version and in the audit log).
    #[arg(long)]
    reason: String,
    #[command(flatten)]
    user: UserArg,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    #[command(flatten)]
    lang: LangArg,
}

#[derive(Debug, Args)]
pub struct VoidArgs {
    kind: Kind,
    id: i64,
    /// Why the record is voided (kept with it and in the audit log).
    #[arg(long)]
    reason: String,
    #[command(flatten)]
    user: UserArg,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    kind: Kind,
    id: i64,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// `field=value` pairs, or the first argument without `=`.
fn changes(set: &[String]) -> Result<Vec<(String, String)>, String> {
    set.iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(field, value)| (field.trim().to_owned(), value.to_owned()))
                .ok_or_else(|| format!("--set {pair:?}: write it as field=value"))
        })
        .collect()
}

fn print_problems(problems: &[Problem], lang: Lang) {
    match lang {
        Lang::Vi => eprintln!("lỗi: bản sửa không được lưu:"),
        Lang::En => eprintln!("error: the amendment was not stored:"),
    }
    let record = match lang {
        Lang::Vi => "bản ghi",
        Lang::En => "record",
    };
    for p in problems {
        let column = p.column.as_deref().unwrap_or(record);
        let message = p.render(lang);
        match &p.value {
            Some(value) => eprintln!("  {column} = {value:?}: {message}"),
            None => eprintln!("  {column}: {message}"),
        }
    }
}

/// What a refusal of the store means to the person at the terminal.
fn refused(e: StoreError) -> anyhow::Result<ExitCode> {
    match e {
        StoreError::NotFound(what) => eprintln!("error: {what} not found"),
        StoreError::Invalid(why) | StoreError::Conflict(why) => eprintln!("error: {why}"),
        other => return Err(other.into()),
    }
    Ok(ExitCode::FAILURE)
}

fn print(
    format: Format,
    value: &serde_json::Value,
    text: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string(value)?),
        Format::Text => print!("{}", text()),
    }
    Ok(())
}

pub async fn run<S: Store>(store: &S, command: RecordCommand) -> anyhow::Result<ExitCode> {
    let lab = store.default_lab().await?;
    match command {
        RecordCommand::Amend(args) => {
            let changes = match changes(&args.set) {
                Ok(c) => c,
                Err(why) => {
                    eprintln!("error: {why}");
                    return Ok(ExitCode::from(EXIT_USAGE));
                }
            };
            let catalog = CategoryCatalog::new(store.categories(lab).await?);
            let by = args.user.name();
            let amended = match args.kind {
                Kind::Inspection => {
                    let current = match store.inspection(lab, args.id).await {
                        Ok(r) => r,
                        Err(e) => return refused(e),
                    };
                    let instrument = store.instrument(lab, current.instrument_id).await?;
                    let values = current.log_values(&instrument.instrument);
                    let record =
                        match metrotrack_import::amended_inspection(&values, &changes, &catalog) {
                            Ok(r) => r,
                            Err(problems) => {
                                print_problems(&problems, args.lang.lang);
                                return Ok(ExitCode::FAILURE);
                            }
                        };
                    let amendment = Amendment {
                        record,
                        reason: args.reason,
                        by,
                    };
                    match store.amend_inspection(lab, args.id, &amendment).await {
                        Ok(r) => serde_json::to_value(r)?,
                        Err(e) => return refused(e),
                    }
                }
                Kind::Earthing => {
                    let current = match store.earthing_test(lab, args.id).await {
                        Ok(r) => r,
                        Err(e) => return refused(e),
                    };
                    let values = current.log_values();
                    let record =
                        match metrotrack_import::amended_earthing_test(&values, &changes, &catalog)
                        {
                            Ok(r) => r,
                            Err(problems) => {
                                print_problems(&problems, args.lang.lang);
                                return Ok(ExitCode::FAILURE);
                            }
                        };
                    let amendment = Amendment {
                        record,
                        reason: args.reason,
                        by,
                    };
                    match store.amend_earthing_test(lab, args.id, &amendment).await {
                        Ok(r) => serde_json::to_value(r)?,
                        Err(e) => return refused(e),
                    }
                }
            };
            print(args.format, &amended, || {
                format!(
                    "{} {} amended: now version {}\n",
                    noun(args.kind),
                    args.id,
                    amended["version"]
                )
            })?;
        }
        RecordCommand::Void(args) => {
            let by = args.user.name();
            let voided = match args.kind {
                Kind::Inspection => store
                    .void_inspection(lab, args.id, &by, &args.reason)
                    .await
                    .map(serde_json::to_value),
                Kind::Earthing => store
                    .void_earthing_test(lab, args.id, &by, &args.reason)
                    .await
                    .map(serde_json::to_value),
            };
            let voided = match voided {
                Ok(v) => v.context("the record as JSON")?,
                Err(e) => return refused(e),
            };
            print(args.format, &voided, || {
                format!(
                    "{} {} voided: it leaves every figure and stays visible as voided\n",
                    noun(args.kind),
                    args.id
                )
            })?;
        }
        RecordCommand::Show(args) => {
            let versions = match args.kind {
                Kind::Inspection => store
                    .inspection_versions(lab, args.id)
                    .await
                    .map(serde_json::to_value),
                Kind::Earthing => store
                    .earthing_test_versions(lab, args.id)
                    .await
                    .map(serde_json::to_value),
            };
            let versions = match versions {
                Ok(v) => v.context("the versions as JSON")?,
                Err(e) => return refused(e),
            };
            print(args.format, &versions, || versions_text(&versions))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn noun(kind: Kind) -> &'static str {
    match kind {
        Kind::Inspection => "inspection",
        Kind::Earthing => "earthing test",
    }
}

/// Each version's values, and what each changed from the one before.
fn versions_text(versions: &serde_json::Value) -> String {
    let mut out = String::new();
    let empty = Vec::new();
    let all = versions.as_array().unwrap_or(&empty);
    let mut previous: Option<&serde_json::Map<String, serde_json::Value>> = None;
    for version in all {
        let Some(fields) = version.as_object() else {
            continue;
        };
        let who = match (fields.get("amended_by"), fields.get("amend_reason")) {
            (Some(serde_json::Value::String(by)), Some(serde_json::Value::String(why))) => {
                format!(
                    "amended by {by} at {}: {why}",
                    fields["amended_at"].as_str().unwrap_or("?")
                )
            }
            _ => "as stored".to_owned(),
        };
        out.push_str(&format!("version {} ({who})\n", fields["version"]));
        for (field, value) in fields {
            if matches!(
                field.as_str(),
                "version" | "amended_by" | "amended_at" | "amend_reason" | "original"
            ) {
                continue;
            }
            let changed = previous.is_some_and(|p| p.get(field) != Some(value));
            if previous.is_none() || changed {
                let mark = if changed { "*" } else { " " };
                out.push_str(&format!("  {mark} {field}: {value}\n"));
            }
        }
        previous = Some(fields);
    }
    out
}
