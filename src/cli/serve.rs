//! `metrotrack serve [--bind 127.0.0.1:8080] [--demo] [--backup-dir DIR --backup-every 24h
//! --backup-keep 7]`

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use metrotrack_api::auth::{generate_password, generate_token, hash_password, hash_token};
use metrotrack_api::{ApiConfig, AppState};
use metrotrack_core::Scheme;
use metrotrack_store::Store;
use metrotrack_store::accounts::{NewToken, NewUser, Role};

use super::demo;
use super::schedule::BackupSchedule;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080", env = "METROTRACK_BIND")]
    pub bind: String,
    /// Serve a temporary database loaded with the October 2023 demo month, and print a
    /// supervisor sign-in (and an admin API token) created for it.
    #[arg(long)]
    pub demo: bool,
    /// Largest upload accepted, in bytes.
    #[arg(long, default_value_t = 256 * 1024 * 1024, env = "METROTRACK_MAX_UPLOAD_BYTES")]
    pub max_upload_bytes: u64,
    /// Seconds a request (other than an upload or a file download) may take.
    #[arg(long, default_value_t = 30, env = "METROTRACK_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: u64,
    /// Seconds an upload, a file download (`format=csv|xlsx|docx`) or a long write
    /// (voiding or restoring a batch) may take.
    #[arg(long, default_value_t = 1800, env = "METROTRACK_UPLOAD_TIMEOUT_SECS")]
    pub upload_timeout_secs: u64,
    /// Where uploads are written whole before they are imported (default: the system's
    /// temporary directory; choose a disk, not a memory file system, for large uploads).
    #[arg(long, env = "METROTRACK_SPOOL_DIR")]
    pub spool_dir: Option<std::path::PathBuf>,
    /// Failed sign-ins per address (and username) in five minutes before answering 429
    /// (0 turns throttling off: for fuzzing a test server only).
    #[arg(long, default_value_t = 10, env = "METROTRACK_MAX_AUTH_FAILURES")]
    pub max_auth_failures: u32,
    /// The reporting scheme when a request names none: decree09 or calendar.
    #[arg(long, default_value = "decree09", env = "METROTRACK_SCHEME")]
    pub scheme: Scheme,
    /// The lab's time zone (an IANA name): the pages show import times in it.
    #[arg(long, default_value = "Asia/Ho_Chi_Minh", env = "METROTRACK_TIME_ZONE")]
    pub time_zone: chrono_tz::Tz,
    /// Back the database up into this directory while serving (as `metrotrack backup`
    /// does), every `--backup-every`, keeping the newest `--backup-keep`.
    #[arg(long, env = "METROTRACK_BACKUP_DIR")]
    pub backup_dir: Option<std::path::PathBuf>,
    /// How often to back up with `--backup-dir`: a number and s, m, h or d.
    #[arg(long, default_value = "24h", value_parser = super::schedule::parse_every, env = "METROTRACK_BACKUP_EVERY")]
    pub backup_every: Duration,
    /// How many scheduled backups to keep (the oldest beyond are removed).
    #[arg(long, default_value_t = 7, env = "METROTRACK_BACKUP_KEEP")]
    pub backup_keep: usize,
    /// The database's URL, for the scheduled backups (set by the command line's parser).
    #[arg(skip)]
    pub database_url: String,
}

/// The demo's sign-in.
const DEMO_SUPERVISOR: &str = "demo-supervisor";

pub async fn run<S: Store>(store: S, args: ServeArgs, location: &str) -> anyhow::Result<ExitCode> {
    let backups = args.backup_dir.clone().map(|dir| BackupSchedule {
        url: args.database_url.clone(),
        dir,
        every: args.backup_every,
        keep: args.backup_keep,
    });
    if let Some(schedule) = &backups {
        schedule.prepare()?;
    }
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let address = listener.local_addr()?;
    let lab = store.default_lab().await?;
    let mut sign_in = None;
    if args.demo {
        for (name, batch) in demo::load(&store, lab).await? {
            tracing::info!(file = name, inserted = batch.inserted, "demo log loaded");
        }
        let password = generate_password()?;
        let hash = {
            let p = password.clone();
            tokio::task::spawn_blocking(move || hash_password(&p))
                .await?
                .map_err(anyhow::Error::msg)?
        };
        store
            .create_user(
                lab,
                &NewUser {
                    username: DEMO_SUPERVISOR.to_owned(),
                    password_hash: hash,
                    role: Role::Supervisor,
                },
                "demo",
            )
            .await?;
        let token = generate_token()?;
        store
            .create_token(
                lab,
                &NewToken {
                    name: "demo-admin".to_owned(),
                    role: Role::Admin,
                    user_id: None,
                    token_hash: hash_token(&token),
                },
                "demo",
            )
            .await?;
        sign_in = Some((password, token));
    }
    let config = ApiConfig {
        max_upload_bytes: args.max_upload_bytes,
        request_timeout: Duration::from_secs(args.request_timeout_secs),
        upload_timeout: Duration::from_secs(args.upload_timeout_secs),
        scheme: args.scheme,
        max_auth_failures: args.max_auth_failures,
        time_zone: args.time_zone,
        spool_dir: args.spool_dir.unwrap_or_else(std::env::temp_dir),
        ..ApiConfig::default()
    };
    let router = metrotrack_api::router(AppState::new(store, config));
    let mut banner = format!(
        "metrotrack is serving http://{address}\n  \
         API:  http://{address}/api/v1   (OpenAPI: /api/v1/openapi.json, docs: /api/docs)\n  \
         database: {location}\n"
    );
    if let Some((password, token)) = sign_in {
        banner.push_str(&format!(
            "  demo data: October 2023 (report: /api/v1/reports/2023-10)\n  \
             sign in as supervisor: username {DEMO_SUPERVISOR}  password {password}\n  \
             demo admin API token (Authorization: Bearer …):\n{token}\n"
        ));
    }
    // A closed standard output (`serve | head -1`) must not stop the server: the banner
    // is written once, and a failure to write it is only logged.
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(banner.as_bytes()).and_then(|()| out.flush()) {
        tracing::warn!(error = %e, "could not write the banner to standard output");
    }
    drop(out);
    tracing::info!(%address, "serving");
    let backing_up = backups.map(|schedule| {
        tracing::info!(
            dir = %schedule.dir.display(),
            every_secs = schedule.every.as_secs(),
            keep = schedule.keep,
            "backing up on a schedule"
        );
        tokio::spawn(schedule.run())
    });
    metrotrack_api::serve(listener, router, metrotrack_api::shutdown_signal())
        .await
        .context("the server stopped")?;
    if let Some(task) = backing_up {
        task.abort();
    }
    Ok(ExitCode::SUCCESS)
}
