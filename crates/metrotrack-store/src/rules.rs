//! What every backend's import decides the same way, whatever its SQL: how a row the
//! database skipped is judged (a duplicate or a conflict, and the problem's wording),
//! how a batch's original observations are kept, and (in [`import`]) the whole run of
//! an import and its verdict. Which rows are admitted and what strict, partial and dry
//! runs store are the core's rules ([`metrotrack_core::BatchTally`]).
//!
//! Backends find the stored record; these functions say what it means, so that the
//! same file gives the same counts and the same messages on SQLite and PostgreSQL.

use std::collections::HashMap;

use metrotrack_core::message::{NumberKind, Whence};
use metrotrack_core::{
    BatchOutcome, EarthingMethod, EarthingSystem, ImportBatch, LabId, Msg, NewEarthingTest,
    NewInspection, Ohms, Problem,
};

use crate::{Store, StoreError};

pub(crate) mod columns;
pub(crate) mod import;
pub(crate) mod stored;

/// The stored batch `id`, as the answer to a file imported before.
pub(crate) async fn already_imported<S: Store>(
    store: &S,
    lab: LabId,
    id: i64,
) -> Result<ImportBatch, StoreError> {
    let mut batch = store.batch(lab, id).await?;
    batch.outcome = BatchOutcome::AlreadyImported;
    Ok(batch)
}

/// The original observations of a batch's rows, stored compactly: the batch keeps its
/// columns (headers as written) once, and each row only its values, as a JSON array in
/// the order of those columns (`""` where the row has no value, trailing ones left out).
/// Repeating every header on every row made the original the largest part of a stored
/// inspection.
#[derive(Debug, Default)]
pub(crate) struct OriginalColumns {
    index: HashMap<String, usize>,
    columns: Vec<String>,
}

impl OriginalColumns {
    /// A row's values as a JSON array; headers not seen before become new columns.
    pub(crate) fn encode(&mut self, original: &[(String, String)]) -> String {
        let mut slots: Vec<&str> = Vec::with_capacity(self.columns.len());
        let mut next = 0;
        for (header, value) in original {
            // Rows name their columns in the file's order: look a few columns ahead
            // before hashing.
            let ahead = self
                .columns
                .iter()
                .skip(next)
                .take(4)
                .position(|c| c == header);
            let at = match ahead.map(|k| next + k) {
                Some(at) => at,
                None => match self.index.get(header.as_str()) {
                    Some(&at) => at,
                    None => {
                        self.columns.push(header.clone());
                        self.index.insert(header.clone(), self.columns.len() - 1);
                        self.columns.len() - 1
                    }
                },
            };
            next = at + 1;
            if slots.len() <= at {
                slots.resize(at + 1, "");
            }
            slots[at] = value;
        }
        // Serialising strings cannot fail.
        serde_json::to_string(&slots).unwrap_or_default()
    }

    /// The batch's columns as a JSON array, to store with the batch.
    pub(crate) fn columns_json(&self) -> String {
        serde_json::to_string(&self.columns).unwrap_or_default()
    }
}

/// A stored record's original observations as a JSON object (header → value as
/// written): rebuilt from the row's values and its batch's columns when stored compactly
/// (see [`OriginalColumns`]), or as stored when it is already an object.
pub(crate) fn original_object(
    original: Option<&str>,
    columns: Option<&str>,
) -> Result<serde_json::Value, serde_json::Error> {
    let Some(original) = original else {
        return Ok(serde_json::Value::Null);
    };
    let value: serde_json::Value = serde_json::from_str(original)?;
    let serde_json::Value::Array(values) = value else {
        return Ok(value);
    };
    let columns: Vec<String> = match columns {
        Some(c) => serde_json::from_str(c)?,
        None => Vec::new(),
    };
    let object = columns
        .into_iter()
        .zip(values)
        .filter(|(_, v)| v.as_str().is_none_or(|s| !s.is_empty()))
        .collect();
    Ok(serde_json::Value::Object(object))
}

/// Where a stored record came from, for a conflict message.
pub(crate) fn whence(current_batch: i64, batch: Option<i64>, line: Option<i64>) -> Whence {
    match (batch, line) {
        (Some(b), Some(l)) if b == current_batch => Whence::ThisFile { line: l },
        (Some(b), Some(l)) => Whence::Batch { batch: b, line: l },
        (Some(b), None) => Whence::BatchOnly { batch: b },
        (None, _) => Whence::Direct,
    }
}

/// A compared field's value as text, for a problem report.
fn inspection_value(r: &NewInspection, field: &str) -> Option<String> {
    match field {
        "verification_type" => r.verification_type.map(|v| v.as_str().to_owned()),
        "procedure" => r.procedure.clone(),
        "result" => r.result.map(|v| v.as_str().to_owned()),
        "error_percent" => r.error_percent.map(|d| d.to_string()),
        "certificate_no" => r.certificate_no.clone(),
        "stamp_no" => r.stamp_no.clone(),
        "valid_until" => r.valid_until.map(|d| d.to_string()),
        "technician" => Some(r.technician.clone()),
        "checked_by" => r.checked_by.clone(),
        "notes" => r.notes.clone(),
        _ => None,
    }
}

/// A compared field's value as text, for a problem report.
fn test_value(r: &NewEarthingTest, field: &str) -> Option<String> {
    match field {
        "resistance_ohm" => Some(r.resistance.to_string()),
        "limit_ohm" => r.limit.map(|l| l.to_string()),
        "system" => r.system.map(|v| v.as_str().to_owned()),
        "method" => r.method.map(|v| v.as_str().to_owned()),
        "tester_serial" => r.tester_serial.clone(),
        "weather" => r.weather.clone(),
        "technician" => Some(r.technician.clone()),
        "notes" => r.notes.clone(),
        _ => None,
    }
}

/// A row whose natural key is stored (`stored`, from `from`): `None` when it is the
/// same record (a duplicate), else the conflict, reported on the first differing field.
pub(crate) fn inspection_conflict(
    line: u64,
    new: &NewInspection,
    stored: &NewInspection,
    whence: Whence,
) -> Option<Problem> {
    let differs = stored.differing_fields(new);
    let first = *differs.first()?;
    let msg = Msg::InspectionConflict {
        fields: differs.iter().map(|f| (*f).to_owned()).collect(),
        stored: inspection_value(stored, first),
        whence,
    };
    let value = inspection_value(new, first);
    Some(Problem::new(line, Some(first), value.as_deref(), msg))
}

/// The compared values of a stored earthing test.
#[derive(Debug)]
pub(crate) struct StoredTest {
    pub resistance: Ohms,
    pub limit: Ohms,
    pub method: Option<EarthingMethod>,
    pub tester_serial: Option<String>,
    pub weather: Option<String>,
    pub technician: String,
    pub notes: Option<String>,
}

/// An earthing test whose point (with `point_system` and `point_limit`) already has a
/// test on that date: see [`inspection_conflict`]. The row is compared as it would have
/// been stored: with the point's system, and the point's limit when it gives none.
pub(crate) fn test_conflict(
    line: u64,
    record: &NewEarthingTest,
    (point_system, point_limit): (EarthingSystem, Ohms),
    stored: StoredTest,
    whence: Whence,
) -> Option<Problem> {
    let mut new = record.clone();
    new.limit = Some(new.limit.unwrap_or(point_limit));
    new.system = Some(new.system.unwrap_or(point_system));
    let stored = NewEarthingTest {
        system: Some(point_system),
        resistance: stored.resistance,
        limit: Some(stored.limit),
        method: stored.method,
        tester_serial: stored.tester_serial,
        weather: stored.weather,
        technician: stored.technician,
        notes: stored.notes,
        ..new.clone()
    };
    let differs = stored.differing_fields(&new);
    let first = *differs.first()?;
    let msg = Msg::TestConflict {
        fields: differs.iter().map(|f| (*f).to_owned()).collect(),
        stored: test_value(&stored, first),
        whence,
    };
    let value = test_value(&new, first);
    Some(Problem::new(line, Some(first), value.as_deref(), msg))
}

/// The lab-unique numbers of an inspection: (column, value, what it is called).
pub(crate) fn unique_numbers(r: &NewInspection) -> [(&'static str, Option<&str>, NumberKind); 2] {
    [
        (
            "certificate_no",
            r.certificate_no.as_deref(),
            NumberKind::Certificate,
        ),
        ("stamp_no", r.stamp_no.as_deref(), NumberKind::Stamp),
    ]
}

/// A certificate or stamp number already used by another inspection (from `from`).
pub(crate) fn number_in_use(
    line: u64,
    column: &str,
    number: &str,
    kind: NumberKind,
    whence: Whence,
) -> Problem {
    let msg = Msg::NumberInUse {
        kind,
        number: number.to_owned(),
        whence,
    };
    Problem::new(line, Some(column), Some(number), msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrotrack_core::Lang;
    use metrotrack_core::{CategoryCode, InspectionKind, Outcome, SerialNumber, VerificationType};

    fn inspection() -> NewInspection {
        NewInspection {
            date: chrono::NaiveDate::from_ymd_opt(2023, 10, 2).expect("date"),
            category: CategoryCode::parse("DHN").expect("code"),
            serial: SerialNumber::parse("A1").expect("serial"),
            model: None,
            manufacturer: None,
            owner: None,
            kind: InspectionKind::Verification,
            verification_type: Some(VerificationType::Periodic),
            procedure: Some("ĐLVN 17:2017".into()),
            result: Some(Outcome::Pass),
            error_percent: Some("0.5".parse().expect("decimal")),
            certificate_no: Some("GCN-1".into()),
            stamp_no: Some("T-1".into()),
            valid_until: chrono::NaiveDate::from_ymd_opt(2028, 10, 2),
            technician: "An".into(),
            checked_by: Some("Bình".into()),
            notes: Some("ok".into()),
        }
    }

    /// A field, how a row changes it, and its stored and new values as a problem says them.
    type Change = (
        &'static str,
        fn(&mut NewInspection),
        &'static str,
        &'static str,
    );

    /// A conflict on any one field names that field, the stored value and the new one.
    #[test]
    fn a_conflict_names_the_field_and_both_values() {
        let stored = inspection();
        let changes: [Change; 10] = [
            (
                "verification_type",
                |r| r.verification_type = Some(VerificationType::Initial),
                "periodic",
                "initial",
            ),
            (
                "procedure",
                |r| r.procedure = Some("QT 2".into()),
                "ĐLVN 17:2017",
                "QT 2",
            ),
            (
                "result",
                |r| {
                    r.result = Some(Outcome::Fail);
                    r.valid_until = None;
                },
                "pass",
                "fail",
            ),
            (
                "error_percent",
                |r| r.error_percent = Some("-0.056".parse().expect("d")),
                "0.5",
                "-0.056",
            ),
            (
                "certificate_no",
                |r| r.certificate_no = Some("GCN-2".into()),
                "GCN-1",
                "GCN-2",
            ),
            (
                "stamp_no",
                |r| r.stamp_no = Some("T-2".into()),
                "T-1",
                "T-2",
            ),
            (
                "valid_until",
                |r| r.valid_until = chrono::NaiveDate::from_ymd_opt(2027, 1, 1),
                "2028-10-02",
                "2027-01-01",
            ),
            (
                "technician",
                |r| r.technician = "Cường".into(),
                "An",
                "Cường",
            ),
            (
                "checked_by",
                |r| r.checked_by = Some("Dũng".into()),
                "Bình",
                "Dũng",
            ),
            (
                "notes",
                |r| r.notes = Some("xem lại".into()),
                "ok",
                "xem lại",
            ),
        ];
        for (field, change, was, now) in changes {
            let mut new = inspection();
            change(&mut new);
            let problem = inspection_conflict(7, &new, &stored, whence(2, Some(1), Some(2)))
                .expect("a conflict");
            assert_eq!(problem.column.as_deref(), Some(field));
            assert_eq!(problem.value.as_deref(), Some(now), "{field}");
            assert!(
                problem.message.contains(&format!("(stored: {was})")),
                "{field}: {}",
                problem.message
            );
        }
        assert_eq!(
            inspection_conflict(7, &stored, &stored, Whence::Direct),
            None
        );
    }

    #[test]
    fn original_values_follow_the_batch_columns() {
        let mut columns = OriginalColumns::default();
        let first = columns.encode(&[
            ("Số sản xuất".into(), "A\"1".into()),
            ("Kết quả".into(), "Đạt".into()),
        ]);
        // A row without the first column's value, with a column not seen before.
        let second = columns.encode(&[
            ("Kết quả".into(), "Không đạt".into()),
            ("Ghi chú".into(), "x".into()),
        ]);
        assert_eq!(first, r#"["A\"1","Đạt"]"#);
        assert_eq!(second, r#"["","Không đạt","x"]"#);
        let header = columns.columns_json();
        assert_eq!(header, r#"["Số sản xuất","Kết quả","Ghi chú"]"#);
        let back = original_object(Some(&second), Some(&header)).expect("json");
        assert_eq!(
            back,
            serde_json::json!({"Kết quả": "Không đạt", "Ghi chú": "x"})
        );
        let back = original_object(Some(&first), Some(&header)).expect("json");
        assert_eq!(
            back,
            serde_json::json!({"Số sản xuất": "A\"1", "Kết quả": "Đạt"})
        );
        // Records stored before keep their object.
        let old = original_object(Some(r#"{"Số tem":"T1"}"#), None).expect("json");
        assert_eq!(old, serde_json::json!({"Số tem": "T1"}));
        assert_eq!(
            original_object(None, None).expect("json"),
            serde_json::Value::Null
        );
    }

    #[test]
    fn whence_names_this_file_or_another_batch() {
        let said = |w: Whence| {
            let msg = Msg::InspectionConflict {
                fields: vec!["result".into()],
                stored: None,
                whence: w,
            };
            (msg.render(Lang::En), msg.render(Lang::Vi))
        };
        let (en, vi) = said(whence(7, Some(7), Some(3)));
        assert!(en.contains("(earlier in this file, line 3)"), "{en}");
        assert!(
            vi.contains("(ở dòng 3 phía trên của chính tệp này)"),
            "{vi}"
        );
        let (en, vi) = said(whence(7, Some(2), Some(3)));
        assert!(en.contains("(from batch 2, line 3)"), "{en}");
        assert!(vi.contains("(từ lô nhập 2, dòng 3)"), "{vi}");
        let (en, vi) = said(whence(7, None, None));
        assert!(
            en.contains("(entered directly): result differs (stored: empty)"),
            "{en}"
        );
        assert!(
            vi.contains("(nhập trực tiếp): result khác (đã lưu: trống)"),
            "{vi}"
        );
    }
}
