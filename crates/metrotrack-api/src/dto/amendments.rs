//! Amendments of one record, its versions, and voiding it on its own.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use metrotrack_store::records::Authorship;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{InspectionDto, TestDto};
use crate::error::{ApiResult, said, validation};

/// A correction of one record: the fields that change, and why.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({
    "reason": "ngày nhập sai",
    "changes": {"inspected_on": "2023-10-20", "error_percent": "-0,056"}
}))]
pub struct AmendRequest {
    /// Why the record is amended (kept with the new version and in the audit log).
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
    /// Each field to change, named as in the record's JSON (`inspected_on`,
    /// `error_percent`, `result`, …; an inspection's `category`, `manufacturer` and
    /// `serial_number` move it to another instrument), to a value written as a log's cell
    /// would write it: dates ISO or `dd/mm/yyyy`, decimals as strings with a point or a
    /// comma, words in Vietnamese or English. An empty string or null clears an optional
    /// field (a number is read as its text). Values are checked as an import checks them.
    #[schema(value_type = BTreeMap<String, Option<String>>)]
    pub changes: BTreeMap<String, serde_json::Value>,
}

impl AmendRequest {
    /// The reason, trimmed and bounded.
    pub fn reason(&self) -> ApiResult<&str> {
        reason(&self.reason, ("sửa", "amended"))
    }

    /// The changes as text, as a log's cells hold them.
    pub fn changes(&self) -> ApiResult<Vec<(String, String)>> {
        if self.changes.is_empty() {
            return Err(validation(said!(
                "changes: hãy nêu ít nhất một trường cần sửa.",
                "changes: name at least one field to change."
            )));
        }
        self.changes
            .iter()
            .map(|(field, value)| {
                let text = match value {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Null => String::new(),
                    _ => {
                        return Err(validation(said!(
                            "changes.{field}: hãy ghi giá trị dạng chữ, số hoặc null.",
                            "changes.{field}: give the value as text, a number or null."
                        )));
                    }
                };
                Ok((field.clone(), text))
            })
            .collect()
    }
}

/// Why one record is voided.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RecordVoidRequest {
    /// Why the record is voided (kept with it and in the audit log).
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

impl RecordVoidRequest {
    /// The reason, trimmed and bounded.
    pub fn reason(&self) -> ApiResult<&str> {
        reason(&self.reason, ("hủy", "voided"))
    }
}

/// `done`: what is done to the record, in Vietnamese and English.
fn reason<'a>(text: &'a str, (done_vi, done): (&str, &str)) -> ApiResult<&'a str> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 1000 {
        return Err(validation(said!(
            "reason: hãy ghi lý do {done_vi} bản ghi (từ 1 đến 1000 ký tự).",
            "reason: say why the record is {done} (1 to 1000 characters)."
        )));
    }
    Ok(text)
}

/// Who answers for a record: who uploaded it, who made this version, who voided it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AuthorshipDto {
    /// Who uploaded the batch the record came from.
    pub uploaded_by: Option<String>,
    /// Who made this version, when and why (null on version 1).
    pub amended_by: Option<String>,
    pub amended_at: Option<DateTime<Utc>>,
    pub amend_reason: Option<String>,
    /// Who voided the record on its own, and why (null when its batch was voided).
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
}

impl From<Authorship> for AuthorshipDto {
    fn from(a: Authorship) -> Self {
        Self {
            uploaded_by: a.uploaded_by,
            amended_by: a.amended_by,
            amended_at: a.amended_at,
            amend_reason: a.amend_reason,
            voided_by: a.voided_by,
            void_reason: a.void_reason,
        }
    }
}

/// Every version of an inspection, oldest first, the current one last.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InspectionVersions {
    pub items: Vec<InspectionDto>,
}

/// Every version of an earthing test, oldest first, the current one last.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TestVersions {
    pub items: Vec<TestDto>,
}
