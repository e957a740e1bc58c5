//! The API's JSON documents, with their OpenAPI schemas.
//!
//! Domain and store types stay free of OpenAPI; each document here is built from one
//! of them (`From`), so the schema and the JSON cannot drift apart. Field names and
//! shapes of SPEC §3 (import batch, achievement) are a contract.

use metrotrack_core::{Lang, Problem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a page of `$item`s: `items` and the cursor of the next page.
macro_rules! page_of {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; null on the last page.
            pub next_cursor: Option<String>,
        }
    };
}

mod accounts;
mod amendments;
mod figures;
mod imports;
mod params;
mod records;

pub(crate) use accounts::*;
pub(crate) use amendments::*;
pub(crate) use figures::*;
pub(crate) use imports::*;
pub(crate) use params::*;
pub(crate) use records::*;

/// An RFC 9457 problem document (`application/problem+json`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProblemDetails {
    /// Stable URI naming the kind of problem: `https://metrotrack.dev/problems/` followed
    /// by `bad-request` (400), `unauthorized` (401), `forbidden` (403), `not-found` (404),
    /// `method-not-allowed` (405), `timeout` (408), `conflict` (409), `payload-too-large`
    /// (413), `unsupported-media-type` (415), `validation` or `import-refused` (422),
    /// `too-many-requests` (429), `internal` (500), `unavailable` (501) or `busy` (503).
    #[schema(example = "https://metrotrack.dev/problems/import-refused")]
    pub r#type: String,
    /// A short summary of the type, in the language asked: `?lang=vi|en`, else
    /// `Accept-Language` (the first of Vietnamese and English it prefers), else English.
    #[schema(example = "The import was refused")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong and how to put it right, in the same language as `title`.
    pub detail: String,
    /// Import refusals: every row problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<RowProblem>>,
    /// Import refusals: the warnings (unknown columns, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<RowProblem>>,
    /// Import refusals: the batch as it would have been (no id: nothing stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<Box<BatchDto>>,
}

/// One problem in a log: the physical line (header = 1; 0 for the whole file), the
/// column as the header writes it, the offending value (shortened), a stable `code`
/// with its `args`, and the `message` in the language asked (`?lang=` or
/// `Accept-Language`; English by default).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RowProblem {
    #[schema(example = 3)]
    pub line: u64,
    #[schema(example = "Ngày kiểm định")]
    pub column: Option<String>,
    #[schema(example = "31/02/2023")]
    pub value: Option<String>,
    /// The message's stable code (`date.impossible`, `column.missing`, …); null for a
    /// problem stored before codes, which keeps its stored message.
    #[schema(example = "date.impossible")]
    pub code: Option<String>,
    /// The code's arguments, by name (the values the message is written from).
    #[schema(value_type = Option<Object>, example = json!({"written": "31/02/2023", "month": 2, "year": 2023, "days": 28, "year_first": false}))]
    pub args: Option<serde_json::Value>,
    /// Where in an Excel workbook: `{sheet, cell}` or `{sheet, row}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, example = json!({"sheet": "Sổ", "cell": "A3"}))]
    pub sheet: Option<serde_json::Value>,
    /// The message in the language asked.
    #[schema(
        example = "31/02/2023 is not a date: February 2023 has 28 days; dates are read day-first (dd/mm/yyyy)"
    )]
    pub message: String,
}

impl RowProblem {
    /// `p` with its message in `lang`.
    pub fn new(p: &Problem, lang: Lang) -> Self {
        let coded = p.msg.as_ref().and_then(|m| serde_json::to_value(m).ok());
        let (code, args) = match coded {
            Some(serde_json::Value::Object(mut o)) => (
                o.remove("code").and_then(|c| c.as_str().map(str::to_owned)),
                o.remove("args"),
            ),
            _ => (None, None),
        };
        Self {
            line: p.line,
            column: p.column.clone(),
            value: p.value.clone(),
            code,
            args,
            sheet: p.sheet.as_ref().and_then(|s| serde_json::to_value(s).ok()),
            message: p.render(lang),
        }
    }

    /// Every problem of `problems` in `lang`.
    pub fn all(problems: &[Problem], lang: Lang) -> Vec<Self> {
        problems.iter().map(|p| Self::new(p, lang)).collect()
    }
}

/// The word a unit enum serialises to (`stored`, `achieved`, …).
fn word<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}
