//! The uploaded files kept with their batches (migration 0012): a part read back, and
//! each kept file checked against its batch's SHA-256 and size for `verify`.

use std::io::Read;

use metrotrack_core::LabId;
use sha2::{Digest, Sha256};

use super::store::not_found;
use super::verify::FIRST;
use super::{Arg, Backend, Conn, SqlStore, fetch_all, fetch_optional};
use crate::{Difference, FilePart, StoreError};

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
