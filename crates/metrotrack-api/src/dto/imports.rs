//! Import batches.

use chrono::{DateTime, Utc};
use metrotrack_core::{ImportBatch, Lang};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

/// One import of one file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchDto {
    /// Null when nothing was stored (a refusal or a dry run).
    pub id: Option<i64>,
    /// `stored`, `already_imported`, `refused` or `dry_run`.
    #[schema(example = "stored")]
    pub outcome: String,
    /// `inspections` or `earthing`.
    #[schema(example = "inspections")]
    pub kind: String,
    /// `strict`, `partial` or `dry_run`.
    #[schema(example = "strict")]
    pub mode: String,
    #[schema(example = "inspections-2023-10.excel-vi.csv")]
    pub file_name: String,
    pub size_bytes: u64,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
    /// Data rows read.
    #[schema(example = 507)]
    pub rows: u64,
    #[schema(example = 507)]
    pub inserted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub problems: Vec<RowProblem>,
    pub warnings: Vec<RowProblem>,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
}

impl BatchDto {
    /// `b`, its problems and warnings in `lang`.
    pub fn new(b: ImportBatch, lang: Lang) -> Self {
        Self {
            id: b.id,
            outcome: word(&b.outcome),
            kind: b.kind.to_string(),
            mode: b.mode.to_string(),
            file_name: b.file_name,
            size_bytes: b.size_bytes,
            sha256: b.sha256,
            uploaded_by: b.uploaded_by,
            uploaded_at: b.uploaded_at,
            rows: b.rows,
            inserted: b.inserted,
            duplicates: b.duplicates,
            rejected: b.rejected,
            problems: RowProblem::all(&b.problems, lang),
            warnings: RowProblem::all(&b.warnings, lang),
            voided_at: b.voided_at,
            voided_by: b.voided_by,
            void_reason: b.void_reason,
        }
    }
}

page_of!(
    BatchPage,
    BatchDto,
    "A page of import batches, newest first."
);

/// `POST /api/v1/imports/{id}/void`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    /// Why the batch is voided (kept with it and in the audit log).
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}
