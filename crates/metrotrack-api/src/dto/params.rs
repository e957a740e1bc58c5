//! The closed sets of words the query and path parameters take, as named enums in the
//! OpenAPI document (a generated client gets them as its own enum types).
//!
//! The handlers still read these parameters as text and parse them with the core's
//! `FromStr` (one error message per parameter); these types only describe the words.

#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

/// The reporting calendar: Decree 09/2019 months (15th to 14th) or calendar months.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SchemeParam {
    Decree09,
    Calendar,
}

/// The language of a report's sentences or of problem messages.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LangParam {
    Vi,
    En,
}

/// How `GET /api/v1/reports/{period}` renders: the sentences (`text/plain`), the
/// achievement (`application/json`), or its figures as a CSV or XLSX file.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormatParam {
    Text,
    Json,
    Docx,
    Csv,
    Xlsx,
}

/// How a list answers: a JSON page, or every matching row as a CSV (for Excel: UTF-8
/// with BOM, `;`, decimal comma, dd/mm/yyyy) or XLSX file.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormatParam {
    Json,
    Csv,
    Xlsx,
}

/// An exported CSV file: UTF-8 with a BOM, `;` between fields, decimal comma, dates
/// dd/mm/yyyy; a text beginning with `=`, `+`, `-`, `@`, tab or CR (or `'`) has a `'`
/// before it.
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = String, format = Binary, content_media_type = "text/csv")]
pub struct CsvExport(Vec<u8>);

/// An exported Excel workbook: one sheet, a header row, date and number cells.
#[derive(Debug, utoipa::ToSchema)]
#[schema(
    value_type = String,
    format = Binary,
    content_media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)]
pub struct XlsxExport(Vec<u8>);

/// The file a batch was imported from, byte for byte as it was uploaded.
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct KeptFile(Vec<u8>);

/// Which log an upload is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogKindParam {
    Inspections,
    Earthing,
}

/// What to do with a log that has invalid rows.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportModeParam {
    /// Store nothing if any row is invalid.
    Strict,
    /// Store the valid rows, reject the others.
    Partial,
    /// Validate everything, store nothing.
    DryRun,
}

/// A log's field delimiter.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum DelimiterParam {
    #[serde(rename = ",")]
    Comma,
    #[serde(rename = ";")]
    Semicolon,
    #[serde(rename = "tab")]
    Tab,
}

/// A log's text encoding.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum EncodingParam {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-16le")]
    Utf16le,
    #[serde(rename = "utf-16be")]
    Utf16be,
    #[serde(rename = "windows-1258")]
    Windows1258,
}

/// How a log writes dates with numbers only.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateOrderParam {
    Dmy,
    Ymd,
}

/// An inspection's kind.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InspectionKindParam {
    Verification,
    Calibration,
    Test,
}

/// An inspection's result.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeParam {
    Pass,
    Fail,
}

/// A figure a plan sets a target for.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MetricParam {
    /// Distinct instruments with at least one inspection in the period.
    InstrumentsInspected,
    /// Inspection events in the period.
    Inspections,
    /// Distinct earthing points with a test in the period.
    EarthingPointsMeasured,
}

/// A role an admin may give over the API (`national` is given on the server only).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantableRole {
    Reader,
    Technician,
    Supervisor,
    Admin,
}
