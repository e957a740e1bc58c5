//! The uploaded files kept with their batches (migration 0012): a part read back, a
//! record's original observations read back from its line (migration 0017), and each
//! kept file checked against its batch's SHA-256 and size for `verify`.

use std::io::Read;

use metrotrack_core::LabId;
use metrotrack_core::kept::FileLayout;
use sha2::{Digest, Sha256};

use super::store::not_found;
use super::verify::FIRST;
use super::{Arg, Backend, Conn, SqlStore, corrupt, fetch_all, fetch_optional};
use crate::{Difference, FilePart, StoreError};

/// A stored record's row whose original observations may be left to its batch's kept
/// file (`original` null, the batch's `file_layout` set).
pub(crate) trait KeptOriginal {
    /// The row's batch, line and its batch's file layout (JSON), when its original
    /// observations are in the kept file.
    fn in_kept_file(&self) -> Option<(i64, i64, &str)>;
    /// Sets the row's original observations (a JSON object, header → value).
    fn set_original(&mut self, object: String);
}

/// One decompressed part of a kept file, and how its batch's lines are read.
struct OpenPart {
    batch: i64,
    layout: FileLayout,
    first_line: u64,
    data: Vec<u8>,
}

/// Reads the original observations of each of `rows` (records of `lab`) that left them
/// to its batch's kept file back from its line there. Rows of one batch in line order
/// share the part they are in: it is read and decompressed once.
pub(crate) async fn read_kept_originals<DB: Backend, R: KeptOriginal>(
    c: &mut impl Conn<DB>,
    lab: LabId,
    rows: &mut [R],
) -> Result<(), StoreError> {
    let mut open: Option<OpenPart> = None;
    for row in rows {
        let Some((batch, line, layout)) = row.in_kept_file() else {
            continue;
        };
        let line = u64::try_from(line).map_err(|_| corrupt(format_args!("source_line {line}")))?;
        let read = match &open {
            Some(p) if p.batch == batch => p.layout.original_at(&p.data, p.first_line, line).ok(),
            _ => None,
        };
        let original = match read {
            Some(original) => original,
            None => {
                let layout: FileLayout = serde_json::from_str(layout)
                    .map_err(|e| corrupt(format_args!("file_layout of batch {batch}: {e}")))?;
                // A kept file that is gone (`verify` says so) leaves the observations
                // unknown; the record is still read.
                let Some((first_line, data)) = part_holding(c, lab, batch, line).await? else {
                    continue;
                };
                let original = layout
                    .original_at(&data, first_line, line)
                    .map_err(|e| corrupt(format_args!("batch {batch}'s kept file: {e}")))?;
                open = Some(OpenPart {
                    batch,
                    layout,
                    first_line,
                    data,
                });
                original
            }
        };
        let object: serde_json::Map<String, serde_json::Value> = original
            .into_iter()
            .map(|(header, cell)| (header, serde_json::Value::String(cell)))
            .collect();
        row.set_original(serde_json::Value::Object(object).to_string());
    }
    Ok(())
}

/// The part of batch `batch`'s kept file that holds line `line`: its first line and its
/// bytes, decompressed; `None` when the batch keeps no such part.
async fn part_holding<DB: Backend>(
    c: &mut impl Conn<DB>,
    lab: LabId,
    batch: i64,
    line: u64,
) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
    let found: Option<(i64, Vec<u8>)> = fetch_optional(
        c,
        sqlx::query(
            "select first_line, data from import_file_parts
             where lab_id = $1 and batch_id = $2 and first_line <= $3
             order by part desc limit 1",
        )
        .arg(lab)
        .arg(batch)
        .arg(i64::try_from(line).unwrap_or(i64::MAX)),
    )
    .await?;
    let Some((first_line, packed)) = found else {
        return Ok(None);
    };
    let mut data = Vec::new();
    flate2::read::GzDecoder::new(packed.as_slice())
        .read_to_end(&mut data)
        .map_err(|e| corrupt(format_args!("batch {batch}'s kept file: {e}")))?;
    Ok(Some((u64::try_from(first_line).unwrap_or(0), data)))
}

/// Part `part` of the kept file of batch `id` of `lab`, if it has one.
async fn file_part<DB: Backend>(
    c: &mut impl Conn<DB>,
    lab: LabId,
    id: i64,
    part: i64,
) -> Result<Option<FilePart>, StoreError> {
    let found: Option<(i64, Vec<u8>)> = fetch_optional(
        c,
        sqlx::query(
            "select first_line, data from import_file_parts
             where lab_id = $1 and batch_id = $2 and part = $3",
        )
        .arg(lab)
        .arg(id)
        .arg(part),
    )
    .await?;
    Ok(found.map(|(first_line, data)| FilePart {
        first_line: u64::try_from(first_line).unwrap_or(0),
        data,
    }))
}

impl<DB: Backend> SqlStore<DB> {
    /// See [`crate::Store::batch_file_part`].
    pub(crate) async fn kept_part(
        &self,
        lab: LabId,
        id: i64,
        part: i64,
    ) -> Result<Option<FilePart>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let batch: Option<(i64,)> = fetch_optional(
            &mut c,
            sqlx::query("select id from import_batches where lab_id = $1 and id = $2")
                .arg(lab)
                .arg(id),
        )
        .await?;
        not_found(batch, || format!("import batch {id}"))?;
        file_part(&mut c, lab, id, part).await
    }

    /// Each kept file, its parts read one at a time, decompressed and hashed in order,
    /// against its batch's SHA-256 and size.
    pub(super) async fn check_kept_files(&self) -> Result<Vec<Difference>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let batches: Vec<(i64, i64, String, String)> = fetch_all(
            &mut c,
            sqlx::query(
                "select b.id, b.lab_id, coalesce(b.sha256, ''), cast(b.size_bytes as text)
                 from import_batches b
                 where exists (select 1 from import_file_parts p
                               where p.lab_id = b.lab_id and p.batch_id = b.id)
                 order by b.id",
            ),
        )
        .await?;
        let mut found = Vec::new();
        let gone: Vec<(i64, i64)> = fetch_all(
            &mut c,
            sqlx::query(
                "select b.id, b.lab_id from import_batches b
                 where b.file_layout is not null
                   and not exists (select 1 from import_file_parts p
                                   where p.lab_id = b.lab_id and p.batch_id = b.id)
                 order by b.id",
            ),
        )
        .await?;
        for (id, lab) in gone.into_iter().take(FIRST as usize) {
            found.push(Difference {
                check: "kept files",
                detail: format!(
                    "batch {id} of lab {lab}: its records' original observations are read \
                     from its kept file, which is gone"
                ),
            });
        }
        for (id, lab, sha256, size) in batches {
            let mut hasher = Sha256::new();
            let mut bytes: u64 = 0;
            let mut broken = None;
            for part in 0_i64.. {
                let Some(kept) = file_part::<DB>(&mut c, lab, id, part).await? else {
                    break;
                };
                let mut raw = Vec::new();
                if let Err(e) =
                    flate2::read::GzDecoder::new(kept.data.as_slice()).read_to_end(&mut raw)
                {
                    broken = Some(format!("its part {part} does not decompress ({e})"));
                    break;
                }
                bytes += raw.len() as u64;
                hasher.update(&raw);
            }
            let got = hex::encode(hasher.finalize());
            let detail = match broken {
                Some(why) => Some(why),
                None if got != sha256 => Some(format!(
                    "its kept file hashes to {got}, not the batch's SHA-256 {sha256}"
                )),
                None if bytes.to_string() != size => Some(format!(
                    "its kept file holds {bytes} bytes, not the batch's {size}"
                )),
                None => None,
            };
            if let Some(detail) = detail
                && found.len() < FIRST as usize
            {
                found.push(Difference {
                    check: "kept files",
                    detail: format!("batch {id} of lab {lab}: {detail}"),
                });
            }
        }
        Ok(found)
    }
}

/// `rows` as records, their original observations read back from the kept file where
/// they left them there (see [`read_kept_originals`]).
pub(crate) async fn records<DB: Backend, R, T>(
    c: &mut impl Conn<DB>,
    lab: LabId,
    mut rows: Vec<R>,
) -> Result<Vec<T>, StoreError>
where
    R: KeptOriginal,
    T: TryFrom<R, Error = StoreError>,
{
    read_kept_originals(c, lab, &mut rows).await?;
    rows.into_iter().map(T::try_from).collect()
}

/// One row as a record (see [`records`]).
pub(crate) async fn record<DB: Backend, R, T>(
    c: &mut impl Conn<DB>,
    lab: LabId,
    mut row: R,
) -> Result<T, StoreError>
where
    R: KeptOriginal,
    T: TryFrom<R, Error = StoreError>,
{
    read_kept_originals(c, lab, std::slice::from_mut(&mut row)).await?;
    T::try_from(row)
}
