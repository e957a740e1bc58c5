//! `metrotrack backup FILE`, `metrotrack restore FILE`, `metrotrack verify`: a copy of
//! the database taken while it serves, put back into an empty database, and a check that
//! a database agrees with itself.
//!
//! SQLite: the backup is a database file (`VACUUM INTO`, consistent while the server
//! writes); restoring checks the copy, then copies it into place. PostgreSQL: `pg_dump
//! --format=custom` and `pg_restore`, run when they are installed (the README shows the
//! commands).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use metrotrack_store::{Difference, PgStore, SqliteStore, Store, redact};

/// Exit status when `verify` finds a difference (or cannot read the database).
pub const EXIT_DIFFERENCES: u8 = 1;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (must not exist): a SQLite database file, or for PostgreSQL a
    /// `pg_dump --format=custom` archive.
    file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file `metrotrack backup` wrote.
    file: PathBuf,
}

/// `backup FILE`.
pub async fn backup(url: &str, args: BackupArgs) -> anyhow::Result<ExitCode> {
    write_backup(url, &args.file).await?;
    if is_sqlite(url) {
        println!(
            "backup written: {} (a SQLite database; `metrotrack verify` checks it, \
             `metrotrack restore` puts it back)",
            args.file.display()
        );
    } else {
        println!(
            "backup written: {} (pg_dump custom format; `metrotrack restore` or \
             `pg_restore` puts it back)",
            args.file.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a consistent copy of the database `url` names to the new file `file`: a
/// SQLite database file (`VACUUM INTO`), or a `pg_dump --format=custom` archive.
pub async fn write_backup(url: &str, file: &Path) -> anyhow::Result<()> {
    known(url)?;
    if file.exists() {
        bail!(
            "{} exists already: a backup is written to a new file",
            file.display()
        );
    }
    if is_sqlite(url) {
        let store = open_sqlite(url).await?;
        let outcome = store.backup_to(file).await;
        store.close().await;
        outcome.with_context(|| format!("cannot write the backup {}", file.display()))?;
    } else {
        let (file, url) = (path_text(file)?.to_owned(), url.to_owned());
        // pg_dump runs as long as the database is large: off the server's threads.
        tokio::task::spawn_blocking(move || {
            run_tool(
                "pg_dump",
                &["--format=custom", "--no-owner", "--file", &file, &url],
                &format!("pg_dump --format=custom --no-owner --file {file} URL"),
            )
        })
        .await
        .context("pg_dump's thread failed")??;
    }
    Ok(())
}

/// The file name ending of a backup of the database `url` names.
pub fn backup_extension(url: &str) -> &'static str {
    if is_sqlite(url) { "db" } else { "dump" }
}

/// `restore FILE`: into the database the URL names, which must be empty.
pub async fn restore(url: &str, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    known(url)?;
    if !args.file.is_file() {
        bail!("there is no backup file {}", args.file.display());
    }
    if is_sqlite(url) {
        restore_sqlite(url, &args.file).await
    } else {
        let target = PgStore::connect(url)
            .await
            .with_context(|| format!("cannot connect to the database {}", redact(url)))?;
        target
            .migrate()
            .await
            .context("cannot migrate the database")?;
        refuse_unless_empty(&target, url).await?;
        target.close().await;
        let file = path_text(&args.file)?;
        // The empty schema the migrations made is replaced by the backup's.
        run_tool(
            "pg_restore",
            &[
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                url,
                file,
            ],
            &format!(
                "pg_restore --clean --if-exists --no-owner --single-transaction --dbname URL {file}"
            ),
        )?;
        let restored = PgStore::connect(url).await?;
        restored.migrate().await?;
        report_restored(&restored, &args.file).await
    }
}

async fn restore_sqlite(url: &str, file: &Path) -> anyhow::Result<ExitCode> {
    // The copy first: it must be a metrotrack database that agrees with itself.
    let source_url = format!("sqlite://{}", path_text(file)?);
    let source = open_sqlite(&source_url)
        .await
        .with_context(|| format!("{} is not a database metrotrack can read", file.display()))?;
    let differences = source.verify().await.map_err(|e| {
        anyhow::anyhow!(
            "{} is not a metrotrack database that can be read ({e})",
            file.display()
        )
    })?;
    if let Some(first) = differences.first() {
        source.close().await;
        bail!(
            "{} does not verify ({} differences; the first: {first}): nothing was restored",
            file.display(),
            differences.len()
        );
    }
    // The target: missing, or a database nothing was written to.
    let target_path = sqlite_path(url)?;
    if target_path.exists() {
        let target = open_sqlite(url).await?;
        target
            .migrate()
            .await
            .context("cannot migrate the database")?;
        let empty = refuse_unless_empty(&target, url).await;
        target.close().await;
        empty?;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = target_path.clone().into_os_string();
            p.push(suffix);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).context("cannot replace the empty database"),
            }
        }
    }
    let copied = source.backup_to(&target_path).await;
    source.close().await;
    copied.with_context(|| format!("cannot write {}", target_path.display()))?;
    let restored = open_sqlite(url).await?;
    restored.migrate().await?;
    let outcome = report_restored(&restored, file).await;
    restored.close().await;
    outcome
}

/// `verify`: prints every difference found (the first of each check) and exits 1 if
/// there is any, 0 when the database agrees with itself.
pub async fn verify(url: &str) -> anyhow::Result<ExitCode> {
    known(url)?;
    let outcome = if is_sqlite(url) {
        match SqliteStore::connect(url).await {
            Ok(store) => {
                let d = store.verify().await;
                store.close().await;
                d
            }
            Err(e) => Err(e),
        }
    } else {
        match PgStore::connect(url).await {
            Ok(store) => store.verify().await,
            Err(e) => Err(e),
        }
    };
    let differences = match outcome {
        Ok(d) => d,
        Err(e) => vec![Difference {
            check: "integrity",
            detail: format!("the database cannot be read: {e}"),
        }],
    };
    if differences.is_empty() {
        println!("verified {}: 0 differences", redact(url));
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "verified {}: {} difference{} (the first of each check)",
        redact(url),
        differences.len(),
        if differences.len() == 1 { "" } else { "s" }
    );
    for d in &differences {
        println!("  {d}");
    }
    Ok(ExitCode::from(EXIT_DIFFERENCES))
}

async fn report_restored(store: &impl Store, file: &Path) -> anyhow::Result<ExitCode> {
    let differences = store.verify().await?;
    println!(
        "restored {} ({} differences on verifying)",
        file.display(),
        differences.len()
    );
    for d in &differences {
        println!("  {d}");
    }
    Ok(if differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DIFFERENCES)
    })
}

async fn refuse_unless_empty(store: &impl Store, url: &str) -> anyhow::Result<()> {
    if !store.is_empty().await? {
        bail!(
            "{} is not empty (it has batches, records, users, tokens or audit entries): \
             a backup is restored into an empty database only",
            redact(url)
        );
    }
    Ok(())
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// The URL names a database metrotrack knows.
fn known(url: &str) -> anyhow::Result<()> {
    if is_sqlite(url) || url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(())
    } else {
        bail!(
            "unsupported database URL {:?}: use sqlite://FILE or postgres://…",
            redact(url)
        )
    }
}

/// Opens a SQLite database without migrating it.
async fn open_sqlite(url: &str) -> anyhow::Result<SqliteStore> {
    SqliteStore::connect(url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(url)))
}

/// The file of `sqlite://PATH[?…]`.
fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.contains(":memory:") {
        bail!("restore needs a database file (sqlite://FILE), not {url:?}");
    }
    Ok(PathBuf::from(path))
}

fn path_text(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .with_context(|| format!("{} is not a UTF-8 path", path.display()))
}

/// Runs `tool` with `args`, or says how to run it by hand when it is not installed.
fn run_tool(tool: &str, args: &[&str], by_hand: &str) -> anyhow::Result<()> {
    let status = match std::process::Command::new(tool).args(args).status() {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{tool} is not installed: install the PostgreSQL client tools, or run `{by_hand}` \
             where they are"
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot run {tool}")),
    };
    if !status.success() {
        bail!("{tool} failed ({status}); nothing more was done");
    }
    Ok(())
}
