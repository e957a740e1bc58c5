//! Command-line arguments and dispatch.

mod accounts;
mod backup;
mod batch;
mod category;
mod demo;
mod due;
mod export;
mod import;
mod plan;
mod record;
mod report;
mod schedule;
mod serve;
mod settings;

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use metrotrack_store::{PgStore, SqliteStore, Store, redact};

/// The database used when none is named.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://metrotrack.db";

/// Exit status for a usage error (bad arguments, a file that cannot be opened).
pub const EXIT_USAGE: u8 = 2;

/// metrotrack: verification, calibration and earthing-test records of a legal-metrology
/// lab, and its monthly achievement against plan.
#[derive(Debug, Parser)]
#[command(name = "metrotrack", version, about, max_term_width = 100)]
pub struct Cli {
    /// Database: sqlite://FILE (created and migrated on first use) or postgres://…
    #[arg(long, global = true, env = "METROTRACK_DATABASE_URL")]
    database_url: Option<String>,

    /// Write logs as JSON lines (to stderr).
    #[arg(long, global = true, env = "METROTRACK_LOG_JSON")]
    pub log_json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (and, with --demo, a temporary demo database).
    Serve(serve::ServeArgs),
    /// Create the database if needed and apply pending migrations.
    Migrate,
    /// Import lab logs (CSV): each file becomes one batch.
    Import(import::ImportArgs),
    /// List, show and void import batches.
    #[command(subcommand)]
    Batch(batch::BatchCommand),
    /// Set and list plan targets.
    #[command(subcommand)]
    Plan(plan::PlanCommand),
    /// The lab's instrument categories and their verification cycles.
    #[command(subcommand)]
    Category(category::CategoryCommand),
    /// Amend, void and show one stored record (inspection or earthing test).
    #[command(subcommand)]
    Record(record::RecordCommand),
    /// The report document's letterhead, signature block and recipients.
    #[command(subcommand)]
    Settings(settings::SettingsCommand),
    /// The period's achievement against plan, as the monthly report's sentences or data.
    Report(report::ReportArgs),
    /// Instruments whose verification expires soon, and the overdue ones.
    Due(due::DueArgs),
    /// A list as a CSV for Excel or an Excel workbook: inspections and earthing tests (as
    /// logs that import back), instruments, the due list.
    Export(export::ExportArgs),
    /// Load the October 2023 demo month into a demo database and print its report.
    Demo(demo::DemoArgs),
    /// Users who sign in with a password.
    #[command(subcommand)]
    User(accounts::UserCommand),
    /// API tokens (`Authorization: Bearer …`).
    #[command(subcommand)]
    Token(accounts::TokenCommand),
    /// Labs of a multi-lab (national) deployment.
    #[command(subcommand)]
    Lab(accounts::LabCommand),
    /// Write a consistent copy of the database to a new file, also while `serve` runs
    /// (SQLite: a database file; PostgreSQL: runs pg_dump).
    Backup(backup::BackupArgs),
    /// Put a backup into an empty database (refused if anything was written to it).
    Restore(backup::RestoreArgs),
    /// Check that the database agrees with itself: integrity, references, each batch's
    /// counts, the figures and due dates against the records, the audit log. Exits 1
    /// naming the first differences when anything disagrees.
    Verify,
}

/// Output shape shared by the commands that print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Arguments naming a lab user, for records of who did what.
#[derive(Debug, Args)]
pub struct UserArg {
    /// Who is doing this (recorded with the batch and in the audit log).
    #[arg(long, env = "METROTRACK_USER")]
    user: Option<String>,
}

/// The language of problem and warning messages.
#[derive(Debug, Args)]
pub struct LangArg {
    /// Language of problem and warning messages: en or vi.
    #[arg(
        long = "lang",
        env = "METROTRACK_LANG",
        default_value = "en",
        value_name = "vi|en"
    )]
    pub lang: metrotrack_core::Lang,
}

impl UserArg {
    pub fn name(&self) -> String {
        self.user
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| "cli".to_owned())
    }
}

impl Cli {
    /// The log level when `RUST_LOG` names none: the server says what it serves.
    pub fn default_log_level(&self) -> &'static str {
        match self.command {
            Command::Serve(_) => "info",
            _ => "warn",
        }
    }
}

/// Sets up `tracing`: `default` unless `RUST_LOG` says otherwise, JSON on request.
pub fn init_tracing(json: bool, default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Runs the parsed command on the store its database URL names.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // `serve --demo` runs on a temporary database, removed when the server stops.
    let mut _demo_dir = None;
    let url = match (&cli.command, cli.database_url.clone()) {
        (Command::Serve(args), _) if args.demo => {
            let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
            let url = format!("sqlite://{}", dir.path().join("demo.db").display());
            _demo_dir = Some(dir);
            url
        }
        (_, Some(url)) => url,
        (Command::Demo(_), None) => demo::DEFAULT_DEMO_DATABASE_URL.to_owned(),
        (_, None) => DEFAULT_DATABASE_URL.to_owned(),
    };
    // These read (or replace) the database as it is: no migration first.
    let command = match cli.command {
        Command::Serve(mut args) => {
            args.database_url = url.clone();
            Command::Serve(args)
        }
        Command::Backup(args) => return backup::backup(&url, args).await,
        Command::Restore(args) => return backup::restore(&url, args).await,
        Command::Verify => return backup::verify(&url).await,
        other => other,
    };
    if url.starts_with("sqlite:") {
        let store = SqliteStore::connect(&url)
            .await
            .with_context(|| format!("cannot open the database {}", redact(&url)))?;
        let location = redact(&url);
        let outcome = run_on(store.clone(), command, &location).await;
        // Closing checkpoints the write-ahead log into the database and removes it.
        store.close().await;
        outcome
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::connect(&url)
            .await
            .with_context(|| format!("cannot connect to the database {}", redact(&url)))?;
        let location = redact(&url);
        run_on(store, command, &location).await
    } else {
        bail!(
            "unsupported database URL {:?}: use sqlite://FILE or postgres://…",
            redact(&url)
        )
    }
}

async fn run_on<S: Store>(store: S, command: Command, location: &str) -> anyhow::Result<ExitCode> {
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    match command {
        Command::Migrate => {
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => import::run(&store, args).await,
        Command::Batch(cmd) => batch::run(&store, cmd).await,
        Command::Plan(cmd) => plan::run(&store, cmd).await,
        Command::Record(cmd) => record::run(&store, cmd).await,
        Command::Category(cmd) => category::run(&store, cmd).await,
        Command::Settings(cmd) => settings::run(&store, cmd).await,
        Command::Report(args) => report::run(&store, args).await,
        Command::Due(args) => due::run(&store, args).await,
        Command::Export(args) => export::run(&store, args).await,
        Command::Demo(args) => demo::run(&store, args, location).await,
        Command::Serve(args) => serve::run(store, args, location).await,
        Command::User(cmd) => accounts::user(&store, cmd).await,
        Command::Token(cmd) => accounts::token(&store, cmd).await,
        Command::Lab(cmd) => accounts::lab(&store, cmd).await,
        // Run before a store is opened (see `run`).
        Command::Backup(_) | Command::Restore(_) | Command::Verify => {
            bail!("backup, restore and verify open the database themselves")
        }
    }
}
