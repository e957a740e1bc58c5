//! Indexes a large import builds once, after its rows, instead of row by row.
//!
//! Row by row, the metrics index (by date) took each new key at one of as many places
//! as the log has days: 5.3 s of 11.0 s to copy 1M imported inspections into a twin
//! table, against under 1 s for an index filled in order; the due index (by due date)
//! likewise. Once a batch has stored as many inspections as the table held before it
//! (and a chunk at least), the import drops [`DEFERRED_INDEXES`] in its transaction and
//! builds them again in one sorted pass before the batch's counts are written
//! ([`crate::rules::import::Writer::rows_written`]): cheaper than keeping them row by
//! row from then on, and at most about twice the sorting the batch's own rows need.
//! Readers read the last commit, indexes and all (WAL); a batch that does not commit
//! rolls the drop back with its rows.

use std::time::Instant;

use sqlx::{Sqlite, Transaction};

use super::direct::{self, ran};
use super::{SORTER_CACHE_KIB, SORTER_THREADS};
use crate::StoreError;

/// The indexes deferred: those no statement of the import reads and no uniqueness
/// rests on (`docs/schema.md`, "Before you change it"), and whose keys a log brings in
/// no order (by date, by due date). The lab indexes (`(lab_id, id)`) are kept row by
/// row: an import's rows come in id order, so each key goes at the index's end (about
/// 0.1 s per million rows), where building one again reads its whole table (0.3 to
/// 0.45 s).
const DEFERRED_INDEXES: [&str; 2] = ["inspections_metrics", "instruments_due"];

/// One import's deferred indexes.
#[derive(Debug, Default)]
pub(super) struct DeferredIndexes {
    /// The highest inspection id before the batch: how large the table was.
    inspections_before: Option<i64>,
    /// The SQL of the indexes dropped, to create them again.
    dropped: Option<Vec<String>>,
}

impl DeferredIndexes {
    /// Before a chunk (`stored_after`: the highest inspection id so far; `inserted`:
    /// the rows the batch stored so far): drops the [`DEFERRED_INDEXES`] once the batch
    /// has stored as many inspections as the table held before it, and `chunk` at least.
    pub(super) async fn defer_if_large(
        &mut self,
        tx: &mut Transaction<'static, Sqlite>,
        stored_after: i64,
        inserted: u64,
        chunk: usize,
    ) -> Result<(), StoreError> {
        let before = *self.inspections_before.get_or_insert(stored_after);
        if self.dropped.is_some() || (inserted as i64) < before.max(chunk as i64) {
            return Ok(());
        }
        let found: Vec<(String, String)> = sqlx::query_as(
            "select name, sql from sqlite_schema
             where type = 'index' and name in (?, ?) and sql is not null",
        )
        .bind(DEFERRED_INDEXES[0])
        .bind(DEFERRED_INDEXES[1])
        .fetch_all(&mut **tx)
        .await?;
        for (name, _) in &found {
            sqlx::query(sqlx::AssertSqlSafe(format!("drop index \"{name}\"")))
                .execute(&mut **tx)
                .await?;
        }
        self.dropped = Some(found.into_iter().map(|(_, sql)| sql).collect());
        Ok(())
    }

    /// Creates the indexes dropped again, if any.
    pub(super) async fn build(
        &mut self,
        tx: &mut Transaction<'static, Sqlite>,
    ) -> Result<(), StoreError> {
        let Some(dropped) = self.dropped.take() else {
            return Ok(());
        };
        // On the direct connection: sqlx would warn of each as a slow statement. A
        // smaller page cache while they sort (the sorter keeps as many keys in memory),
        // and a helper thread that sorts one run of keys while the next is read (the
        // machine's other core mostly waits for the writer meanwhile); then the
        // connection's own settings again.
        direct::run(tx, |conn| {
            let started = Instant::now();
            let cache: i64 = conn.query_row("pragma cache_size", [], |row| row.get(0))?;
            conn.execute_batch(&format!(
                "pragma cache_size = -{SORTER_CACHE_KIB}; pragma threads = {SORTER_THREADS}"
            ))?;
            let built = dropped.iter().try_for_each(|sql| conn.execute_batch(sql));
            conn.execute_batch(&format!("pragma cache_size = {cache}; pragma threads = 0"))?;
            built?;
            ran("create index (deferred)", dropped.len(), started);
            Ok(())
        })
        .await
    }
}
