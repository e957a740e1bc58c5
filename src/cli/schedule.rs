//! `serve --backup-dir DIR --backup-every 24h --backup-keep 7`: a consistent backup of
//! the database (the same as `metrotrack backup FILE`) every so often while the server
//! runs, the newest few kept.
//!
//! Each backup is written as `metrotrack-<UTC time>.db` (SQLite) or `.dump` (PostgreSQL,
//! `pg_dump`), first under a `.partial` name and renamed once whole, so a backup in the
//! directory is always a whole one; then the oldest beyond the retention count are
//! removed. Every backup, removal and failure is logged.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use super::backup::{backup_extension, write_backup};

/// The name every scheduled backup starts with.
const PREFIX: &str = "metrotrack-";

/// When and where to back up.
#[derive(Debug, Clone)]
pub struct BackupSchedule {
    pub url: String,
    pub dir: PathBuf,
    pub every: Duration,
    pub keep: usize,
}

/// A duration as `serve` takes it: a whole number and a unit, `s`, `m`, `h` or `d`
/// (`90s`, `30m`, `24h`, `7d`).
pub fn parse_every(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: write e.g. 24h, 30m, 90s or 7d"))?;
    let seconds = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?}: the unit is one of s, m, h or d (e.g. 24h)"
            ));
        }
    };
    if n == 0 {
        return Err("the interval between backups must be longer than 0".to_owned());
    }
    n.checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

impl BackupSchedule {
    /// Checks that the directory exists or can be made, before the server starts.
    pub fn prepare(&self) -> anyhow::Result<()> {
        if self.keep == 0 {
            bail!("--backup-keep must keep at least 1 backup");
        }
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create the backup directory {}", self.dir.display()))
    }

    /// Runs for as long as the server: one backup each interval (the first one interval
    /// after the start), never two at once.
    pub async fn run(self) {
        let start = tokio::time::Instant::now() + self.every;
        let mut ticks = tokio::time::interval_at(start, self.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticks.tick().await;
            match self.once().await {
                Ok(file) => tracing::info!(file = %file.display(), "backup written"),
                Err(e) => tracing::error!(error = format!("{e:#}"), "the scheduled backup failed"),
            }
        }
    }

    /// One backup; the oldest beyond `keep` are removed before it takes its name.
    async fn once(&self) -> anyhow::Result<PathBuf> {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let name = format!("{PREFIX}{stamp}.{}", backup_extension(&self.url));
        let file = self.dir.join(&name);
        let partial = self.dir.join(format!("{name}.partial"));
        if let Err(e) = write_backup(&self.url, &partial).await {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
        // Room for the new one first: never more than `keep` whole backups at a time.
        for old in self.beyond_retention(&self.dir, self.keep - 1)? {
            match std::fs::remove_file(&old) {
                Ok(()) => tracing::info!(file = %old.display(), "old backup removed"),
                Err(e) => {
                    tracing::warn!(file = %old.display(), error = %e, "cannot remove an old backup");
                }
            }
        }
        std::fs::rename(&partial, &file)
            .with_context(|| format!("cannot rename {} to {name}", partial.display()))?;
        Ok(file)
    }

    /// The whole scheduled backups in `dir` beyond the newest `keep` (their names sort
    /// by time).
    fn beyond_retention(&self, dir: &Path, keep: usize) -> anyhow::Result<Vec<PathBuf>> {
        let suffix = format!(".{}", backup_extension(&self.url));
        let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(&suffix))
            })
            .collect();
        backups.sort();
        let extra = backups.len().saturating_sub(keep);
        backups.truncate(extra);
        Ok(backups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_with_their_unit() {
        assert_eq!(parse_every("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_every("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_every("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_every("7d"), Ok(Duration::from_secs(7 * 86_400)));
        for bad in [
            "",
            "24",
            "h",
            "0h",
            "5 weeks",
            "-1h",
            "99999999999999999999d",
        ] {
            assert!(parse_every(bad).is_err(), "{bad:?}");
        }
    }
}
