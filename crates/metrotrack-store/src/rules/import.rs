//! The import as every backend runs it: rows counted and cut into chunks, rows the
//! database skipped judged, and the batch's verdict once the file is read. A backend
//! supplies only its SQL, through [`Writer`].

use std::future::Future;

use chrono::{DateTime, Utc};
use metrotrack_core::{
    Admitted, BatchOutcome, BatchTally, EarthingSystem, FileSummary, ImportBatch, LabId, LogKind,
    Msg, NewEarthingTest, NewInspection, Ohms, Problem, Sourced,
};
use sqlx::{AssertSqlSafe, Transaction};
use tokio::sync::mpsc::Receiver;

use super::{
    OriginalColumns, StoredTest, already_imported, inspection_conflict, number_in_use,
    test_conflict, unique_numbers, whence,
};
use crate::sql::{Arg, Backend, SqlStore, execute, fetch_one, fetch_optional};
use crate::{BatchRequest, ImportEvent, Store, StoreError};

/// What every backend's running import keeps besides its transaction.
#[derive(Debug)]
pub(crate) struct Progress {
    pub lab: LabId,
    pub kind: LogKind,
    /// The batch's row, inserted when the import began.
    pub batch_id: i64,
    pub tally: BatchTally,
    pub original: OriginalColumns,
    /// Parts of the file kept so far.
    pub parts: i64,
    /// The greatest id of the lab's records of the batch's kind when the import began:
    /// the records it stores are those above it (it holds the lab's writes), and the
    /// batch keeps their range (migration 0015).
    pub records_after: i64,
}

impl Progress {
    pub fn new(request: &BatchRequest, batch_id: i64) -> Self {
        Self {
            lab: request.lab,
            kind: request.kind,
            batch_id,
            tally: BatchTally::default(),
            original: OriginalColumns::default(),
            parts: 0,
            records_after: 0,
        }
    }
}

/// A stored record that a skipped row is compared with, and where it came from.
#[derive(Debug)]
pub(crate) struct Stored<T> {
    pub record: T,
    pub batch: Option<i64>,
    pub line: Option<i64>,
}

/// Where a stored record came from: its batch and line (`None` when entered directly).
pub(crate) type Origin = (Option<i64>, Option<i64>);

/// The counts of a batch that is stored, as its row keeps them.
#[derive(Debug)]
pub(crate) struct BatchRecord<'a> {
    pub sha256: Option<&'a str>,
    pub size_bytes: i64,
    pub rows: i64,
    pub inserted: i64,
    pub duplicates: i64,
    pub rejected: i64,
    /// JSON arrays.
    pub problems: String,
    pub warnings: String,
    pub original_columns: String,
    /// JSON: how the kept file's lines are read back (`None`: no row left its original
    /// observations to the file).
    pub file_layout: Option<String>,
}

/// A query of either backend, its values bound in order.
type Query<'q, DB> = sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>;

/// The statements of a batch's own row, the same on both backends (SQLite takes `$N`
/// parameters too), with their values bound in the order they number them.
pub(crate) mod sql {
    use metrotrack_core::LogKind;

    use crate::sql::Backend;

    /// Inserts the batch's row as an import begins.
    pub const INSERT_BATCH: &str = "insert into import_batches
        (lab_id, kind, mode, file_name, uploaded_by, uploaded_at)
        values ($1, $2, $3, $4, $5, $6) returning id";

    /// Another live batch of lab `$1` with SHA-256 `$2` than batch `$3` that stored
    /// records (a batch that stored nothing never blocks its file).
    pub const OTHER_BATCH: &str = "select id from import_batches
        where lab_id = $1 and sha256 = $2 and voided_at is null and inserted > 0 and id <> $3";

    /// Keeps part `$3` of the file of batch `$2` of lab `$1`.
    pub const INSERT_PART: &str = "insert into import_file_parts
        (lab_id, batch_id, part, first_line, data) values ($1, $2, $3, $4, $5)";

    /// The live batch of lab `$1` with SHA-256 `$2` that stored records.
    pub const BATCH: &str = "select id from import_batches
        where lab_id = $1 and sha256 = $2 and voided_at is null and inserted > 0";

    /// The batch and line of the live inspection of lab `$1` using number `$2` in
    /// `column` (`certificate_no` or `stamp_no`).
    pub fn number_used(column: &str) -> &'static str {
        if column == "certificate_no" {
            "select batch_id, source_line from inspections
             where lab_id = $1 and certificate_no = $2 and voided_at is null"
        } else {
            "select batch_id, source_line from inspections
             where lab_id = $1 and stamp_no = $2 and voided_at is null"
        }
    }

    /// The table of the records a log of `kind` stores.
    pub fn records_table(kind: LogKind) -> &'static str {
        match kind {
            LogKind::Inspections => "inspections",
            LogKind::Earthing => "earthing_tests",
        }
    }

    /// The greatest id of lab `$1`'s records of `kind` (0 when it has none).
    pub fn records_after(kind: LogKind) -> String {
        format!(
            "select coalesce(max(id), 0) from {} where lab_id = $1",
            records_table(kind)
        )
    }

    /// Writes a stored batch's counts ([`super::BatchRecord::bind`]) and the range of
    /// its records' ids: every record of the lab above `$12` is one the import stored,
    /// as it holds the lab's writes (migration 0015). Two probes of the primary key
    /// (SQLite: of `(lab_id, id)`).
    pub fn record<DB: Backend>(kind: LogKind) -> String {
        let (problems, warnings, columns) = (DB::json("$7"), DB::json("$8"), DB::json("$9"));
        let layout = DB::json("$13");
        let records = records_table(kind);
        format!(
            "update import_batches set sha256 = $1, size_bytes = $2, rows = $3, inserted = $4,
                    duplicates = $5, rejected = $6, problems = {problems}, warnings = {warnings},
                    original_columns = {columns}, file_layout = {layout},
                    first_record_id = (select min(id) from {records}
                                       where lab_id = $10 and id > $12),
                    last_record_id = (select max(id) from {records}
                                      where lab_id = $10 and id > $12)
             where lab_id = $10 and id = $11"
        )
    }
}

/// Binds the values of [`sql::INSERT_BATCH`].
pub(crate) fn bind_batch<'q, DB: Backend>(
    query: Query<'q, DB>,
    request: &BatchRequest,
    uploaded_at: DateTime<Utc>,
) -> Query<'q, DB> {
    query
        .arg(request.lab)
        .arg(request.kind.as_str())
        .arg(request.mode.as_str())
        .arg(request.file_name.clone())
        .arg(request.uploaded_by.clone())
        .arg(uploaded_at)
}

impl BatchRecord<'_> {
    /// Binds the values of [`sql::record`] for batch `id` of `lab`.
    pub fn bind<'q, DB: Backend>(
        &self,
        query: Query<'q, DB>,
        lab: LabId,
        id: i64,
    ) -> Query<'q, DB> {
        query
            .arg(self.sha256.map(str::to_owned))
            .arg(self.size_bytes)
            .arg(self.rows)
            .arg(self.inserted)
            .arg(self.duplicates)
            .arg(self.rejected)
            .arg(self.problems.clone())
            .arg(self.warnings.clone())
            .arg(self.original_columns.clone())
            .arg(lab)
            .arg(id)
    }
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn json_error(e: serde_json::Error) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("stored value could not be read: {e}").into(),
    ))
}

/// One backend's import: an open transaction with the batch's row inserted, and the SQL
/// that stores a chunk of rows and answers the questions of the verdict.
pub(crate) trait Writer: Send + Sized {
    type DB: Backend;
    /// The most rows handed to one `write_*` call.
    const CHUNK: usize;

    fn progress(&mut self) -> &mut Progress;

    /// Stores a chunk of inspections, lines strictly increasing, counting what it
    /// stored and judging what it skipped.
    fn write_inspections(
        &mut self,
        rows: &[Sourced<NewInspection>],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores a chunk of earthing tests: see [`Writer::write_inspections`].
    fn write_tests(
        &mut self,
        rows: &[Sourced<NewEarthingTest>],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The open transaction.
    fn tx(&mut self) -> &mut Transaction<'static, Self::DB>;

    /// Finishes what storing the rows left for the end (say, indexes built once, in
    /// order), before the batch's counts are written and it commits. Not called for a
    /// batch rolled back.
    fn rows_written(&mut self) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }

    /// Gives the transaction up, to roll it back.
    fn into_tx(self) -> Transaction<'static, Self::DB>;

    /// Commits the batch, its counts and its audit entry written.
    fn commit(
        self,
        store: &SqlStore<Self::DB>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Another live batch of the lab with this SHA-256 than the writer's, seen from its
/// transaction.
async fn batch_with_sha256<W: Writer>(
    writer: &mut W,
    sha256: &str,
) -> Result<Option<i64>, StoreError> {
    let (lab, id) = (writer.progress().lab, writer.progress().batch_id);
    let query = sqlx::query(sql::OTHER_BATCH).arg(lab).arg(sha256).arg(id);
    let found: Option<(i64,)> = fetch_optional(writer.tx(), query).await?;
    Ok(found.map(|(id,)| id))
}

/// The live batch of `lab` with this SHA-256, committed by another import.
async fn committed_with_sha256<DB: Backend>(
    store: &SqlStore<DB>,
    lab: LabId,
    sha256: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    let mut conn = store.pool().acquire().await?;
    let query = sqlx::query(sql::BATCH)
        .arg(lab)
        .arg(sha256.map(str::to_owned));
    let found: Option<(i64,)> = fetch_optional(&mut conn, query).await?;
    Ok(found.map(|(id,)| id))
}

/// Writes the counts into the batch's row; a unique violation means the same file was
/// committed by another import meanwhile.
async fn write_counts<W: Writer>(
    writer: &mut W,
    record: &BatchRecord<'_>,
) -> Result<(), sqlx::Error> {
    let progress = writer.progress();
    let (lab, id, after) = (progress.lab, progress.batch_id, progress.records_after);
    let sql = sql::record::<W::DB>(progress.kind);
    let query = record
        .bind(sqlx::query(AssertSqlSafe(sql)), lab, id)
        .arg(after)
        .arg(record.file_layout.clone());
    execute(writer.tx(), query).await.map(|_| ())
}

/// The stored live inspection of the writer's lab using `number` in `column`
/// (`certificate_no` or `stamp_no`): its batch and line.
async fn number_used<W: Writer>(
    writer: &mut W,
    column: &'static str,
    number: &str,
) -> Result<Option<Origin>, StoreError> {
    let lab = writer.progress().lab;
    let query = sqlx::query(sql::number_used(column)).arg(lab).arg(number);
    fetch_optional(writer.tx(), query).await
}

/// Keeps the next part of the batch's file, in the import's transaction.
async fn keep_part<W: Writer>(writer: &mut W, part: crate::FilePart) -> Result<(), StoreError> {
    let progress = writer.progress();
    let (lab, batch, number) = (progress.lab, progress.batch_id, progress.parts);
    progress.parts += 1;
    let query = sqlx::query(sql::INSERT_PART)
        .arg(lab)
        .arg(batch)
        .arg(number)
        .arg(i64_of(part.first_line))
        .arg(part.data);
    execute(writer.tx(), query).await?;
    Ok(())
}

/// Rolls the writer's transaction back.
async fn rollback<W: Writer>(writer: W) -> Result<(), StoreError> {
    Ok(writer.into_tx().rollback().await?)
}

/// Rows admitted and not yet handed to the writer.
struct Chunk {
    inspections: Vec<Sourced<NewInspection>>,
    tests: Vec<Sourced<NewEarthingTest>>,
}

impl Chunk {
    async fn take<W: Writer>(
        &mut self,
        writer: &mut W,
        rows: Vec<metrotrack_core::ParsedRow>,
    ) -> Result<(), StoreError> {
        for row in rows {
            let kind = writer.progress().kind;
            let Some(admitted) = writer.progress().tally.admit(kind, row) else {
                continue;
            };
            // Skipped rows are found by line: a chunk must not hold a line twice. (A
            // batch admits rows of one kind: one of the two buffers stays empty.)
            let last = self.inspections.last().map(|s| s.line);
            let last = last.or(self.tests.last().map(|s| s.line));
            if last.is_some_and(|l| l >= admitted.line()) {
                self.flush(writer).await?;
            }
            match admitted {
                Admitted::Inspection(s) => self.inspections.push(s),
                Admitted::Earthing(s) => self.tests.push(s),
            }
            if self.inspections.len() + self.tests.len() >= W::CHUNK {
                self.flush(writer).await?;
            }
        }
        Ok(())
    }

    async fn flush<W: Writer>(&mut self, writer: &mut W) -> Result<(), StoreError> {
        let inspections = std::mem::take(&mut self.inspections);
        if !inspections.is_empty() {
            writer.write_inspections(&inspections).await?;
        }
        let tests = std::mem::take(&mut self.tests);
        if !tests.is_empty() {
            writer.write_tests(&tests).await?;
        }
        Ok(())
    }
}

/// Runs one import through `writer`, which holds the batch's row since `uploaded_at`:
/// see [`Store::import_batch`].
pub(crate) async fn run<W: Writer>(
    store: &SqlStore<W::DB>,
    request: BatchRequest,
    mut events: Receiver<ImportEvent>,
    mut writer: W,
    uploaded_at: DateTime<Utc>,
) -> Result<ImportBatch, StoreError> {
    let query = sqlx::query(AssertSqlSafe(sql::records_after(request.kind))).arg(request.lab);
    let (after,): (i64,) = fetch_one(writer.tx(), query).await?;
    writer.progress().records_after = after;
    let mut chunk = Chunk {
        inspections: Vec::new(),
        tests: Vec::new(),
    };
    let summary = loop {
        match events.recv().await {
            Some(ImportEvent::Rows(rows)) => chunk.take(&mut writer, rows).await?,
            Some(ImportEvent::FilePart(part)) => keep_part(&mut writer, part).await?,
            Some(ImportEvent::Finished(summary)) => break summary,
            None => {
                let rows = writer.progress().tally.rows;
                rollback(writer).await?;
                return Err(StoreError::ImportAbandoned(format!(
                    "{} after {rows} rows; nothing was stored",
                    request.file_name
                )));
            }
        }
    };
    chunk.flush(&mut writer).await?;
    let problems = &mut writer.progress().tally.problems;
    problems.sort_by_key(|p| p.line);
    summary.name_columns_as_written(problems);
    finish(store, request, writer, summary, uploaded_at).await
}

/// Decides the batch's fate once every row is in: refuse, answer with the batch already
/// imported, roll back a dry run, or store it.
async fn finish<W: Writer>(
    store: &SqlStore<W::DB>,
    request: BatchRequest,
    mut writer: W,
    summary: FileSummary,
    uploaded_at: DateTime<Utc>,
) -> Result<ImportBatch, StoreError> {
    let tally = &mut writer.progress().tally;
    if !summary.fatal.is_empty() {
        let mut problems = summary.fatal.clone();
        problems.append(&mut tally.problems);
        let tally = std::mem::take(tally);
        rollback(writer).await?;
        let outcome = BatchOutcome::Refused;
        return Ok(unstored(
            &tally,
            &request,
            &summary,
            uploaded_at,
            outcome,
            problems,
        ));
    }
    let sha256 = (!summary.sha256.is_empty()).then_some(summary.sha256.as_str());
    if let Some(sha) = sha256
        && let Some(id) = batch_with_sha256(&mut writer, sha).await?
    {
        rollback(writer).await?;
        return already_imported(store, request.lab, id).await;
    }
    let progress = writer.progress();
    if let Some(outcome) = progress.tally.unstored_outcome(request.mode) {
        let mut tally = std::mem::take(&mut progress.tally);
        let problems = std::mem::take(&mut tally.problems);
        rollback(writer).await?;
        return Ok(unstored(
            &tally,
            &request,
            &summary,
            uploaded_at,
            outcome,
            problems,
        ));
    }
    let record = BatchRecord {
        sha256,
        size_bytes: i64_of(summary.size_bytes),
        rows: i64_of(progress.tally.rows),
        inserted: i64_of(progress.tally.inserted),
        duplicates: i64_of(progress.tally.duplicates),
        rejected: i64_of(progress.tally.rejected),
        problems: serde_json::to_string(&progress.tally.problems).map_err(json_error)?,
        warnings: serde_json::to_string(&summary.warnings).map_err(json_error)?,
        original_columns: progress.original.columns_json(),
        file_layout: summary
            .layout
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(json_error)?,
    };
    writer.rows_written().await?;
    match write_counts(&mut writer, &record).await {
        Ok(()) => {}
        // The same file committed by another import since the check above.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            rollback(writer).await?;
            return match committed_with_sha256(store, request.lab, sha256).await? {
                Some(id) => already_imported(store, request.lab, id).await,
                None => Err(StoreError::Invalid(
                    "the same file is being imported at the same time; try again".into(),
                )),
            };
        }
        Err(e) => return Err(e.into()),
    }
    let progress = writer.progress();
    let batch_id = progress.batch_id;
    let detail = audit_detail(&progress.tally, &request, &summary.sha256);
    let (lab, actor, subject) = (request.lab, &request.uploaded_by, audit_subject(batch_id));
    SqlStore::audit(writer.tx(), lab, actor, "import", &subject, detail).await?;
    writer.commit(store).await?;
    store.batch(request.lab, batch_id).await
}

/// The batch as reported when nothing is stored (see
/// [`BatchTally::inserted_unstored`]).
fn unstored(
    tally: &BatchTally,
    request: &BatchRequest,
    summary: &FileSummary,
    uploaded_at: DateTime<Utc>,
    outcome: BatchOutcome,
    problems: Vec<Problem>,
) -> ImportBatch {
    ImportBatch {
        id: None,
        outcome,
        kind: request.kind,
        mode: request.mode,
        file_name: request.file_name.clone(),
        size_bytes: summary.size_bytes,
        sha256: summary.sha256.clone(),
        uploaded_by: request.uploaded_by.clone(),
        uploaded_at,
        rows: tally.rows,
        inserted: tally.inserted_unstored(outcome),
        duplicates: tally.duplicates,
        rejected: tally.rejected,
        problems,
        warnings: summary.warnings.clone(),
        voided_at: None,
        voided_by: None,
        void_reason: None,
    }
}

/// The audit entry's detail for a stored batch.
fn audit_detail(tally: &BatchTally, request: &BatchRequest, sha256: &str) -> serde_json::Value {
    serde_json::json!({
        "kind": request.kind,
        "mode": request.mode,
        "file_name": request.file_name,
        "sha256": sha256,
        "rows": tally.rows,
        "inserted": tally.inserted,
        "duplicates": tally.duplicates,
        "rejected": tally.rejected,
    })
}

/// The audit entry's subject for a stored batch.
fn audit_subject(batch_id: i64) -> String {
    format!("import_batch:{batch_id}")
}

/// Judges an inspection the database skipped: the same record again (a duplicate) or
/// a different one for the same instrument, kind and date (a conflict) when `stored`
/// is that record; else a certificate or stamp number already used, else a clash no
/// lookup explains.
pub(crate) async fn judge_inspection<W: Writer>(
    writer: &mut W,
    s: &Sourced<NewInspection>,
    stored: Option<Stored<NewInspection>>,
) -> Result<(), StoreError> {
    let batch_id = writer.progress().batch_id;
    if let Some(stored) = stored {
        let from = whence(batch_id, stored.batch, stored.line);
        let problem = inspection_conflict(s.line, &s.record, &stored.record, from);
        writer.progress().tally.judge(problem);
        return Ok(());
    }
    for (column, number, what) in unique_numbers(&s.record) {
        let Some(number) = number else { continue };
        if let Some((batch, line)) = number_used(writer, column, number).await? {
            let from = whence(batch_id, batch, line);
            let problem = number_in_use(s.line, column, number, what, from);
            writer.progress().tally.reject(problem);
            return Ok(());
        }
    }
    let problem = Problem::new(s.line, None, None, Msg::InspectionClash {});
    writer.progress().tally.reject(problem);
    Ok(())
}

/// Judges an earthing test the database skipped: its point (system and limit) not
/// found, no test on that date found (a clash), or the test stored for that date: the
/// same (a duplicate) or another (a conflict).
pub(crate) fn judge_test(
    progress: &mut Progress,
    s: &Sourced<NewEarthingTest>,
    point: Option<(EarthingSystem, Ohms)>,
    stored: Option<Stored<StoredTest>>,
) {
    let Some(point) = point else {
        let problem = Problem::new(s.line, None, None, Msg::PointMissing {});
        return progress.tally.reject(problem);
    };
    let Some(stored) = stored else {
        let problem = Problem::new(s.line, None, None, Msg::TestClash {});
        return progress.tally.reject(problem);
    };
    let from = whence(progress.batch_id, stored.batch, stored.line);
    let problem = test_conflict(s.line, &s.record, point, stored.record, from);
    progress.tally.judge(problem);
}
