//! `metrotrack batch list|show|void|restore`: the import batches, voiding and restoring one.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use metrotrack_core::{ImportBatch, Lang};
use metrotrack_store::{Store, StoreError};

use super::{EXIT_USAGE, Format, LangArg, UserArg};

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Every import batch of the lab, newest first.
    List(ListArgs),
    /// One batch: its file, counts, problems and warnings, and whether it was voided.
    Show(ShowArgs),
    /// Void a batch: its records leave every figure but stay visible as voided.
    Void(VoidArgs),
    /// Restore a voided batch: the records its void took count again. Refused, naming
    /// each clash, when a live record took one of their keys or numbers since.
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The batch id.
    id: i64,
    #[command(flatten)]
    user: UserArg,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The batch id (as `batch list` or `import` printed it).
    id: i64,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    #[command(flatten)]
    lang: LangArg,
}

#[derive(Debug, Args)]
pub struct VoidArgs {
    /// The batch id.
    id: i64,
    /// Why the batch is voided (kept with it and in the audit log).
    #[arg(long)]
    reason: String,
    #[command(flatten)]
    user: UserArg,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub async fn run<S: Store>(store: &S, command: BatchCommand) -> anyhow::Result<ExitCode> {
    let lab = store.default_lab().await?;
    match command {
        BatchCommand::List(args) => {
            let batches = store.batches(lab).await?;
            match args.format {
                Format::Json => println!("{}", serde_json::to_string(&batches)?),
                Format::Text => print!("{}", table(&batches)),
            }
        }
        BatchCommand::Show(args) => {
            let batch = match store.batch(lab, args.id).await {
                Err(StoreError::NotFound(what)) => return not_found(&what),
                other => other?,
            };
            let lang = args.lang.lang;
            match args.format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string(&super::import::in_lang(batch, lang))?
                ),
                Format::Text => print!("{}", details(&batch, lang)),
            }
        }
        BatchCommand::Void(args) => {
            if args.reason.trim().is_empty() {
                eprintln!("error: give the reason for voiding with --reason");
                return Ok(ExitCode::from(EXIT_USAGE));
            }
            let batch = match store
                .void_batch(lab, args.id, &args.user.name(), args.reason.trim())
                .await
            {
                Err(StoreError::NotFound(what)) => return not_found(&what),
                Err(StoreError::Invalid(why)) => {
                    eprintln!("error: {why}");
                    return Ok(ExitCode::FAILURE);
                }
                other => other.with_context(|| format!("voiding batch {}", args.id))?,
            };
            match args.format {
                Format::Json => println!("{}", serde_json::to_string(&batch)?),
                Format::Text => {
                    println!(
                        "batch {} voided: its {} records leave every figure and stay visible as voided",
                        args.id, batch.inserted
                    );
                }
            }
        }
        BatchCommand::Restore(args) => {
            let batch = match store.restore_batch(lab, args.id, &args.user.name()).await {
                Err(StoreError::NotFound(what)) => return not_found(&what),
                Err(StoreError::Invalid(why) | StoreError::Conflict(why)) => {
                    eprintln!("error: {why}");
                    return Ok(ExitCode::FAILURE);
                }
                other => other.with_context(|| format!("restoring batch {}", args.id))?,
            };
            match args.format {
                Format::Json => println!("{}", serde_json::to_string(&batch)?),
                Format::Text => println!(
                    "batch {} restored: its records count again in every figure",
                    args.id
                ),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn not_found(what: &str) -> anyhow::Result<ExitCode> {
    eprintln!("error: {what} not found; `metrotrack batch list` shows the batches");
    Ok(ExitCode::FAILURE)
}

fn status(batch: &ImportBatch) -> String {
    match (&batch.voided_at, &batch.voided_by) {
        (Some(at), by) => format!(
            "VOIDED {} by {}",
            at.format("%Y-%m-%d %H:%M"),
            by.as_deref().unwrap_or("?")
        ),
        (None, _) => "stored".to_owned(),
    }
}

/// One line per batch.
fn table(batches: &[ImportBatch]) -> String {
    let mut out = String::new();
    if batches.is_empty() {
        out.push_str("no import batches yet\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{:>5}  {:<11}  {:<7}  {:<16}  {:>6}  {:>8}  {:>10}  {:>8}  {:<}",
        "id", "kind", "mode", "uploaded", "rows", "inserted", "duplicates", "rejected", "file"
    );
    for b in batches {
        let _ = writeln!(
            out,
            "{:>5}  {:<11}  {:<7}  {:<16}  {:>6}  {:>8}  {:>10}  {:>8}  {}{}",
            b.id.map_or_else(|| "-".to_owned(), |id| id.to_string()),
            b.kind.as_str(),
            b.mode.as_str(),
            b.uploaded_at.format("%Y-%m-%d %H:%M"),
            b.rows,
            b.inserted,
            b.duplicates,
            b.rejected,
            b.file_name,
            if b.voided_at.is_some() {
                "  (VOIDED)"
            } else {
                ""
            },
        );
    }
    out
}

/// A batch in full.
fn details(b: &ImportBatch, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "batch {}: {} log {:?}",
        b.id.map_or_else(|| "-".to_owned(), |id| id.to_string()),
        b.kind,
        b.file_name
    );
    let _ = writeln!(out, "  status      {}", status(b));
    if let Some(reason) = &b.void_reason {
        let _ = writeln!(out, "  void reason {reason}");
    }
    let _ = writeln!(
        out,
        "  uploaded    {} by {} ({} mode)",
        b.uploaded_at.format("%Y-%m-%d %H:%M:%S UTC"),
        b.uploaded_by,
        b.mode
    );
    let _ = writeln!(
        out,
        "  file        {} bytes, sha256 {}",
        b.size_bytes, b.sha256
    );
    let records = if b.voided_at.is_some() {
        format!("{} records, all voided (in no figure)", b.inserted)
    } else {
        format!("{} records", b.inserted)
    };
    let _ = writeln!(
        out,
        "  rows read {}, inserted {}, duplicates {}, rejected {}: {records}",
        b.rows, b.inserted, b.duplicates, b.rejected
    );
    let (problems, warnings) = match lang {
        Lang::Vi => ("lỗi", "cảnh báo"),
        Lang::En => ("problems", "warnings"),
    };
    for (title, list) in [(problems, &b.problems), (warnings, &b.warnings)] {
        if !list.is_empty() {
            let _ = writeln!(out, "  {title} ({}):", list.len());
            for p in list {
                let _ = writeln!(out, "    {}", p.describe(lang));
            }
        }
    }
    out
}
