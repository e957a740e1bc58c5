//! Evidence once per batch: a CSV row that is one line of its file is stored without its
//! original observations, and every read of the record (one record, a list, a history,
//! an amended record's versions) reads them back from the batch's kept file: they are
//! what the reader handed over for that line when the file is not kept.

use std::collections::HashMap;
use std::io::Cursor;

use metrotrack_core::CategoryCatalog;
use metrotrack_import::{Keeping, ReadOptions, read_log};

use super::*;
use crate::records::{Amendment, InspectionRecord};

/// `path` under the repository's `fixtures/`.
fn fixture(path: &str) -> Vec<u8> {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path);
    std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// Reads `bytes` as an upload does: the file kept in parts as it is read, rows that are
/// one line of it handed over without their original observations.
async fn upload_kept<S: Store>(store: &S, request: BatchRequest, bytes: Vec<u8>) -> ImportBatch {
    upload(store, request, bytes, true).await
}

/// Reads `bytes` as an upload does, the file kept in parts as it is read; with
/// `file_kept` false, as metrotrack did before migration 0017: every row handed over
/// with its original observations.
async fn upload<S: Store>(
    store: &S,
    request: BatchRequest,
    bytes: Vec<u8>,
    file_kept: bool,
) -> ImportBatch {
    let catalog = CategoryCatalog::new(store.categories(request.lab).await.expect("categories"));
    let kind = request.kind;
    let (tx, rx) = mpsc::channel(4);
    let reader = tokio::task::spawn_blocking(move || {
        let parts = tx.clone();
        let mut input = Keeping::new(Cursor::new(bytes), move |p: metrotrack_import::FilePart| {
            let part = FilePart {
                first_line: p.first_line,
                data: p.data,
            };
            let _ = parts.blocking_send(ImportEvent::FilePart(part));
        });
        let options = ReadOptions {
            file_kept,
            ..ReadOptions::default()
        };
        let summary = read_log(&mut input, kind, &catalog, &options, |rows, _| {
            tx.blocking_send(ImportEvent::Rows(rows)).is_ok()
        });
        input.finish().expect("the last part");
        let _ = tx.blocking_send(ImportEvent::Finished(summary));
    });
    let stored = store.import_batch(request, rx).await.expect("imported");
    reader.await.expect("reader");
    stored
}

/// Each valid row's original observations by line, as the reader hands them over when
/// the file is not kept, as a record shows them.
fn plain_originals(bytes: &[u8], kind: LogKind) -> HashMap<i64, serde_json::Value> {
    let catalog = CategoryCatalog::new(metrotrack_core::category::seed_categories());
    let mut found = HashMap::new();
    read_log(bytes, kind, &catalog, &ReadOptions::default(), |rows, _| {
        for row in rows {
            let (line, original) = match row {
                ParsedRow::Inspection(s) => (s.line, s.original),
                ParsedRow::Earthing(s) => (s.line, s.original),
                ParsedRow::Invalid { .. } => continue,
            };
            let object = original
                .into_iter()
                .map(|(h, v)| (h, serde_json::Value::String(v)))
                .collect();
            found.insert(line as i64, serde_json::Value::Object(object));
        }
        true
    });
    found
}

/// The inspection the reader reads on `line` of `bytes`.
fn parsed_inspection(bytes: &[u8], line: i64) -> NewInspection {
    let catalog = CategoryCatalog::new(metrotrack_core::category::seed_categories());
    let mut found = None;
    read_log(
        bytes,
        LogKind::Inspections,
        &catalog,
        &ReadOptions::default(),
        |rows, _| {
            for row in rows {
                if let ParsedRow::Inspection(s) = row
                    && s.line as i64 == line
                {
                    found = Some(s.record);
                }
            }
            true
        },
    );
    found.expect("the line's inspection")
}

pub async fn originals_are_read_back_from_the_kept_file<S: Store>(store: &S) {
    let path = "demo/inspections-2023-10.csv";
    let bytes = fixture(path);
    let want = plain_originals(&bytes, LogKind::Inspections);
    let asked = request(store, LogKind::Inspections, ImportMode::Partial).await;
    let lab = asked.lab;
    let batch = upload_kept(store, asked, bytes).await;
    assert!(batch.inserted > 400, "{batch:?}");

    let all = store
        .inspections(lab, &InspectionFilter::default(), Page::first(MAX_PAGE))
        .await
        .expect("inspections");
    assert_eq!(all.len() as u64, batch.inserted);
    for record in &all {
        let line = record.source_line.expect("line");
        assert_eq!(record.original, want[&line], "line {line}");
        assert!(
            record.original.as_object().is_some_and(|o| o.len() > 5),
            "line {line}: {}",
            record.original
        );
    }
    // The record whose notes run over two lines kept its observations with it.
    let two_lines = all
        .iter()
        .find(|r| r.source_line == Some(179))
        .expect("line 179");
    assert!(two_lines.notes.as_deref().is_some_and(|n| n.contains('\n')));

    let one = &all[all.len() / 2];
    assert_eq!(store.inspection(lab, one.id).await.expect("one"), *one);
    let history = store
        .instrument(lab, one.instrument_id)
        .await
        .expect("history");
    assert!(history.inspections.contains(one));

    // An amended record's first version shows what the file wrote.
    let line = one.source_line.expect("line");
    let mut record = parsed_inspection(&fixture(path), line);
    record.notes = Some("đã sửa".into());
    let amendment = Amendment {
        record,
        reason: "ghi chú sai".into(),
        by: "mai".into(),
    };
    store
        .amend_inspection(lab, one.id, &amendment)
        .await
        .expect("amended");
    let versions = store
        .inspection_versions(lab, one.id)
        .await
        .expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].original, want[&line]);
    assert_eq!(versions[1].notes.as_deref(), Some("đã sửa"));

    // Excel's own Vietnamese CSV: a BOM, `;`, headers in Vietnamese, a row-number column.
    let path = "demo/inspections-2023-10.excel-vi.csv";
    let bytes = fixture(path);
    let want = plain_originals(&bytes, LogKind::Inspections);
    // The same records: the first batch makes way.
    let first = batch.id.expect("first batch");
    store
        .void_batch(lab, first, "mai", "tải lại bằng tệp Excel")
        .await
        .expect("voided");
    let asked = request(store, LogKind::Inspections, ImportMode::Partial).await;
    let batch = upload_kept(store, asked, bytes).await;
    assert!(batch.inserted > 400, "{batch:?}");
    let every = InspectionFilter {
        batch_id: batch.id,
        ..InspectionFilter::default()
    };
    let all = store
        .inspections(lab, &every, Page::first(MAX_PAGE))
        .await
        .expect("inspections of the Excel CSV");
    assert_eq!(all.len() as u64, batch.inserted);
    for record in &all {
        let line = record.source_line.expect("line");
        assert_eq!(record.original, want[&line], "line {line}");
    }

    let path = "demo/earthing-2023-10.csv";
    let bytes = fixture(path);
    let want = plain_originals(&bytes, LogKind::Earthing);
    let asked = request(store, LogKind::Earthing, ImportMode::Partial).await;
    let batch = upload_kept(store, asked, bytes).await;
    let tests = store
        .earthing_tests(lab, &EarthingTestFilter::default(), Page::first(MAX_PAGE))
        .await
        .expect("tests");
    assert_eq!(tests.len() as u64, batch.inserted);
    assert!(!tests.is_empty());
    for test in &tests {
        let line = test.source_line.expect("line");
        assert_eq!(test.original, want[&line], "line {line}");
    }
}

/// What an older metrotrack (before migration 0017) left: the demo month's inspections
/// uploaded, their file kept, every row's original observations stored as JSON. Returns
/// the records as they read then.
pub async fn fill_with_stored_originals<S: Store>(store: &S) -> Vec<InspectionRecord> {
    let asked = request(store, LogKind::Inspections, ImportMode::Partial).await;
    let lab = asked.lab;
    let batch = upload(store, asked, fixture("demo/inspections-2023-10.csv"), false).await;
    assert!(batch.inserted > 400, "{batch:?}");
    store
        .inspections(lab, &InspectionFilter::default(), Page::first(MAX_PAGE))
        .await
        .expect("inspections")
}

/// After migration 0017 on what `fill_with_stored_originals` left: the records read as
/// they did, and a file uploaded since keeps its one-line rows' observations in the file
/// alone, read back beside the older records' JSON.
pub async fn stored_originals_read_as_before<S: Store>(store: &S, before: &[InspectionRecord]) {
    let lab = lab(store).await;
    let all = store
        .inspections(lab, &InspectionFilter::default(), Page::first(MAX_PAGE))
        .await
        .expect("inspections");
    assert_eq!(all, before);
    let one = &before[before.len() / 2];
    assert_eq!(store.inspection(lab, one.id).await.expect("one"), *one);

    let bytes = fixture("demo/earthing-2023-10.csv");
    let want = plain_originals(&bytes, LogKind::Earthing);
    let asked = request(store, LogKind::Earthing, ImportMode::Partial).await;
    let batch = upload_kept(store, asked, bytes).await;
    assert!(batch.inserted > 0, "{batch:?}");
    let tests = store
        .earthing_tests(lab, &EarthingTestFilter::default(), Page::first(MAX_PAGE))
        .await
        .expect("tests");
    assert_eq!(tests.len() as u64, batch.inserted);
    for test in &tests {
        let line = test.source_line.expect("line");
        assert_eq!(test.original, want[&line], "line {line}");
    }
    let all = store
        .inspections(lab, &InspectionFilter::default(), Page::first(MAX_PAGE))
        .await
        .expect("inspections");
    assert_eq!(all, before);
}
