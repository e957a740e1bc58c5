//! Throwaway PostgreSQL databases for tests (built with the `conformance` feature).
//!
//! [`fresh_database`] creates `mt_test_<pid>_<n>` on the server named by
//! `METROTRACK_TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432/test`); the
//! returned [`TestDatabase`] drops it, with any connection still open, when it is dropped,
//! also when the test panics. Databases left by killed test processes are dropped at the
//! next start. Without the variable, [`server_url`] says the test is skipped.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, PgConnection};

/// Whether this process's TCP socket bound to local `port` (a connection's
/// `inet_client_port()`) has Nagle's algorithm off; `None` when there is no such socket
/// (or off Linux).
pub fn nodelay_of_local_port(port: u16) -> Option<bool> {
    super::nodelay::is_on_local_port(port)
}

/// The environment variable naming the test server.
pub const URL_VAR: &str = "METROTRACK_TEST_POSTGRES_URL";

/// A throwaway database, dropped (with any connection still open to it) when this is.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which must not be blocked on: use a
        // runtime of its own on another thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin_url).await?;
                let sql = format!("drop database if exists {name} with (force)");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

/// The server URL, or `None` (and a line saying the test is skipped).
pub fn server_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            eprintln!("skipped: {URL_VAR} not set");
            None
        }
    }
}

/// `url` with its database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

/// Drops the test databases left by test processes that are gone (killed before their
/// guards ran). Names carry the creating process id; only this machine's are judged.
async fn drop_stale(conn: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("select datname from pg_database where datname like 'mt\\_test\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for name in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let sql = format!("drop database if exists {name} with (force)");
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// A new, empty database on the test server, and its URL.
pub async fn fresh_database() -> Option<(TestDatabase, String)> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin_url = server_url()?;
    let mut conn = PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("{URL_VAR} is set but the server is unreachable: {e}"));
    if NEXT.load(Ordering::Relaxed) == 0 {
        drop_stale(&mut conn).await;
    }
    let name = format!(
        "mt_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let sql = format!("create database {name}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("create the test database");
    conn.close().await.ok();
    let url = with_database(&admin_url, &name);
    Some((TestDatabase { admin_url, name }, url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_replaced_in_urls() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/test", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(
            with_database("postgresql://h/db?sslmode=disable", "x"),
            "postgresql://h/x?sslmode=disable"
        );
    }
}
