//! Statements run straight on the SQLite connection that sqlx holds, through rusqlite:
//! for the import's statements run per chunk or per row (inserts, instrument lookups,
//! the stored twin of a skipped row), where sqlx's way of running a statement (its values boxed and sent to
//! the connection's worker thread, the rows sent back) cost more than SQLite's own
//! work. Everything else goes through sqlx.
//!
//! rusqlite links the same `libsqlite3-sys` as sqlx (Cargo allows one crate that links
//! `sqlite3`), so the handle sqlx gives out is one rusqlite can drive.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::time::Instant;

use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::{Sqlite, Transaction};
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::StoreError;

/// Why work on the connection failed: SQLite said so, or the store did (a stored value
/// it could not read).
#[derive(Debug)]
pub(super) enum Failed {
    Sqlite(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for Failed {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

impl From<StoreError> for Failed {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Runs `work` on the transaction's connection, in the transaction.
///
/// `work` blocks the calling thread while SQLite works; on a multi-threaded runtime the
/// thread's other tasks move to another worker meanwhile (`block_in_place`).
pub(super) async fn run<T>(
    tx: &mut Transaction<'static, Sqlite>,
    work: impl FnOnce(&rusqlite::Connection) -> Result<T, Failed>,
) -> Result<T, StoreError> {
    let mut handle = tx.lock_handle().await?;
    let raw = handle.as_raw_handle();
    #[allow(unsafe_code)]
    let blocking = || {
        // SAFETY: sqlx's worker leaves the connection alone while `handle` holds its
        // lock, and `handle` outlives this closure. The rusqlite connection does not
        // own the handle (dropping it closes nothing) and finalizes every statement it
        // prepared when it drops, at the end of this closure, so sqlx gets its
        // connection back as it left it, inside the same transaction.
        let conn = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }?;
        work(&conn)
    };
    let multi_threaded = Handle::try_current()
        .is_ok_and(|h| matches!(h.runtime_flavor(), RuntimeFlavor::MultiThread));
    let result = if multi_threaded {
        tokio::task::block_in_place(blocking)
    } else {
        blocking()
    };
    drop(handle);
    result.map_err(|e| match e {
        Failed::Sqlite(e) => failure(e),
        Failed::Store(e) => e,
    })
}

/// A value a column of a row read through rusqlite holds: an error as sqlx reports a
/// value it cannot decode.
pub(super) fn decoded<T>(value: rusqlite::Result<T>) -> Result<T, sqlx::Error> {
    value.map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// A rusqlite error as sqlx reports a database's: SQLite's failures keep their
/// extended result code, so that [`StoreError::is_busy`] and the constraint checks
/// classify them as they classify sqlx's own.
fn failure(error: rusqlite::Error) -> StoreError {
    let (code, message) = match &error {
        rusqlite::Error::SqliteFailure(failure, message) => (
            Some(failure.extended_code),
            message.clone().unwrap_or_else(|| failure.to_string()),
        ),
        other => (None, other.to_string()),
    };
    match code {
        Some(code) => {
            StoreError::Database(sqlx::Error::Database(Box::new(Failure { code, message })))
        }
        None => StoreError::Database(sqlx::Error::Protocol(message)),
    }
}

/// A failure SQLite reported through rusqlite.
#[derive(Debug)]
struct Failure {
    /// SQLite's extended result code.
    code: i32,
    message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Failure {}

impl DatabaseError for Failure {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn StdError + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn StdError + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        use rusqlite::ffi;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

/// Logs a statement run on the direct connection `runs` times since `started`, in the
/// fields sqlx logs its own statements with (`db.statement`, `elapsed_secs`), so that
/// `RUST_LOG=sqlx::query=debug,metrotrack::direct=debug` shows where an import's time
/// goes (the national bench's `--only stages` reads it).
pub(super) fn ran(sql: &str, runs: usize, started: Instant) {
    let elapsed_secs = started.elapsed().as_secs_f64();
    tracing::event!(
        target: "metrotrack::direct",
        tracing::Level::DEBUG,
        db.statement = sql,
        runs,
        elapsed_secs,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_failures_keep_their_code_and_kind() {
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        );
        let error = failure(busy);
        assert!(error.is_busy(), "{error}");
        assert!(error.to_string().contains("database is locked"), "{error}");
        let unique = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE),
            None,
        );
        let StoreError::Database(sqlx::Error::Database(e)) = failure(unique) else {
            panic!("a constraint failure is a database error");
        };
        assert!(e.is_unique_violation());
        assert!(!failure(rusqlite::Error::ExecuteReturnedResults).is_busy());
    }
}
