//! Records as evidence: one record corrected by an amendment, one record voided, every
//! version read back.

use super::*;
use crate::records::Amendment;

/// Every inspection of the lab, voided ones too, by id.
async fn every_inspection<S: Store>(store: &S) -> Vec<crate::records::InspectionRecord> {
    let lab = lab(store).await;
    let every = InspectionFilter {
        include_voided: true,
        ..InspectionFilter::default()
    };
    store
        .inspections(lab, &every, Page::first(100))
        .await
        .expect("inspections")
}

/// The id of the live inspection of `serial`.
async fn id_of<S: Store>(store: &S, serial: &str) -> i64 {
    every_inspection(store)
        .await
        .iter()
        .find(|r| r.serial_number == serial && r.voided_at.is_none())
        .map(|r| r.id)
        .expect("stored")
}

/// An amendment by the supervisor making `record` the new version.
fn amendment(record: NewInspection, reason: &str) -> Amendment<NewInspection> {
    Amendment {
        record,
        reason: reason.into(),
        by: "supervisor".into(),
    }
}

/// The serial numbers and due dates on the due list as of `as_of`, a year ahead; the
/// due counts of the same days agree with it.
async fn due<S: Store>(store: &S, as_of: &str) -> Vec<(String, NaiveDate)> {
    let lab = lab(store).await;
    let due = store
        .due_list(lab, 366, d(as_of), None, 1000)
        .await
        .expect("due list");
    counts_are_the_list(store, lab, 366, d(as_of), &due).await;
    due.into_iter()
        .map(|e| (e.serial_number, e.valid_until))
        .collect()
}

/// Amending an inspection's date across a month boundary moves it between the months'
/// figures (distinct instruments too) and moves its due date; the id stays, the version
/// rises, the old version stays readable and the change is audited with before and after.
pub async fn amending_a_date_moves_the_record_between_periods<S: Store>(store: &S) {
    let lab = lab(store).await;
    let valid = |r: &mut NewInspection| r.valid_until = Some(d("2024-10-01"));
    let calibrated = |r: &mut NewInspection| {
        r.kind = InspectionKind::Calibration;
        r.result = None;
    };
    let rows = vec![
        row_with(2, "2023-10-01", "CT1P", "A1", valid),
        row(3, "2023-10-02", "DHN", "B1"),
        row_with(4, "2023-11-05", "CT1P", "A1", calibrated),
    ];
    let batch = inspections(store, ImportMode::Strict, "sha-a", rows).await;
    let (oct, nov, dec) = (
        month("2023-10", Scheme::Calendar),
        month("2023-11", Scheme::Calendar),
        month("2023-12", Scheme::Calendar),
    );
    let q4 = PeriodSpec::parse("2023-Q4")
        .expect("quarter")
        .resolve(Scheme::Calendar);
    assert_eq!(figures(store, oct).await, (2, 2, 0));
    assert_eq!(figures(store, nov).await, (1, 1, 0));
    assert_eq!(figures(store, q4).await, (2, 3, 0));
    assert_eq!(
        due(store, "2024-09-15").await,
        [("A1".into(), d("2024-10-01"))]
    );

    let first = every_inspection(store).await[0].clone();
    assert_eq!((first.serial_number.as_str(), first.version), ("A1", 1));
    let mut new = verification(2, "2023-11-02", "CT1P", "A1").record;
    new.valid_until = Some(d("2024-11-02"));
    let amended = store
        .amend_inspection(lab, first.id, &amendment(new, "  date typed wrong  "))
        .await
        .expect("amend");
    assert_eq!(
        (amended.id, amended.version, amended.inspected_on),
        (first.id, 2, d("2023-11-02"))
    );
    assert_eq!(amended.authorship.amended_by.as_deref(), Some("supervisor"));
    assert_eq!(
        amended.authorship.amend_reason.as_deref(),
        Some("date typed wrong")
    );
    assert!(amended.authorship.amended_at.is_some());
    assert_eq!(
        amended.authorship.uploaded_by.as_deref(),
        Some("technician")
    );
    assert_eq!((amended.batch_id, amended.source_line), (batch.id, Some(2)));
    assert_eq!(figures(store, oct).await, (1, 1, 0));
    assert_eq!(figures(store, nov).await, (1, 2, 0));
    assert_eq!(figures(store, q4).await, (2, 3, 0));
    assert_eq!(
        due(store, "2024-09-15").await,
        [("A1".into(), d("2024-11-02"))]
    );

    // The calibration moves to December: November keeps A1 once, December counts it.
    let calibration = every_inspection(store).await[2].clone();
    let mut new = verification(4, "2023-12-01", "CT1P", "A1").record;
    calibrated(&mut new);
    store
        .amend_inspection(lab, calibration.id, &amendment(new, "wrong month"))
        .await
        .expect("amend");
    assert_eq!(figures(store, nov).await, (1, 1, 0));
    assert_eq!(figures(store, dec).await, (1, 1, 0));
    assert_eq!(figures(store, q4).await, (2, 3, 0));
    assert_eq!(totals(store).await, (2, 3, 0));

    let versions = store
        .inspection_versions(lab, first.id)
        .await
        .expect("versions");
    let seen: Vec<(i64, NaiveDate, Option<&str>)> = versions
        .iter()
        .map(|v| {
            (
                v.version,
                v.inspected_on,
                v.authorship.amend_reason.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1, d("2023-10-01"), None),
            (2, d("2023-11-02"), Some("date typed wrong"))
        ]
    );
    assert_eq!(versions[0], first);

    let audit = store.audit_log(lab, Page::first(2)).await.expect("audit");
    let entry = &audit[1];
    assert_eq!(
        (
            entry.action.as_str(),
            entry.subject.clone(),
            entry.actor.as_str()
        ),
        (
            "inspection.amend",
            format!("inspection:{}", first.id),
            "supervisor"
        )
    );
    assert_eq!(entry.detail["reason"], "date typed wrong");
    assert_eq!(entry.detail["before"]["inspected_on"], "2023-10-01");
    assert_eq!(entry.detail["after"]["inspected_on"], "2023-11-02");
}

/// An amendment onto a certificate number or a natural key another live record holds
/// is refused, naming the holder, and changes nothing; so is one without a reason, of a
/// record that does not exist, or of another lab's record.
pub async fn an_amendment_onto_a_taken_key_or_number_is_refused<S: Store>(store: &S) {
    let lab = lab(store).await;
    let numbered = |n: &'static str| move |r: &mut NewInspection| r.certificate_no = Some(n.into());
    let rows = vec![
        row_with(2, "2023-10-01", "CT1P", "A1", numbered("GCN-1")),
        row_with(3, "2023-10-03", "CT1P", "A2", numbered("GCN-2")),
    ];
    let batch = inspections(store, ImportMode::Strict, "sha-a", rows).await;
    let batch_id = batch.id.expect("id");
    let (a1, a2) = (id_of(store, "A1").await, id_of(store, "A2").await);
    let before = every_inspection(store).await;

    let mut taken_number = verification(3, "2023-10-03", "CT1P", "A2").record;
    taken_number.certificate_no = Some("GCN-1".into());
    match store
        .amend_inspection(lab, a2, &amendment(taken_number, "typo"))
        .await
    {
        Err(StoreError::Conflict(m)) => assert_eq!(
            m,
            format!(
                "inspection {a2} was not amended: its certificate number GCN-1 is held by \
                 inspection {a1} (batch {batch_id}, line 2)"
            )
        ),
        other => panic!("an amendment onto a taken number: {other:?}"),
    }
    let mut taken_key = verification(3, "2023-10-01", "CT1P", "A1").record;
    taken_key.certificate_no = Some("GCN-2".into());
    match store
        .amend_inspection(lab, a2, &amendment(taken_key, "typo"))
        .await
    {
        Err(StoreError::Conflict(m)) => assert_eq!(
            m,
            format!(
                "inspection {a2} was not amended: its instrument, kind and date is held by \
                 inspection {a1} (batch {batch_id}, line 2)"
            )
        ),
        other => panic!("an amendment onto a taken key: {other:?}"),
    }
    let same = verification(3, "2023-10-04", "CT1P", "A2").record;
    match store
        .amend_inspection(lab, a2, &amendment(same.clone(), " "))
        .await
    {
        Err(StoreError::Invalid(m)) => assert_eq!(m, "an amendment needs a reason"),
        other => panic!("an amendment without a reason: {other:?}"),
    }
    match store
        .amend_inspection(lab, a2 + 100, &amendment(same.clone(), "typo"))
        .await
    {
        Err(StoreError::NotFound(m)) => assert_eq!(m, format!("inspection {}", a2 + 100)),
        other => panic!("an amendment of a missing record: {other:?}"),
    }
    let other_lab = store
        .create_lab("lab-b", "Lab B", "admin")
        .await
        .expect("lab")
        .id;
    assert!(matches!(
        store
            .amend_inspection(other_lab, a2, &amendment(same, "typo"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(every_inspection(store).await, before);
    let versions = store.inspection_versions(lab, a2).await.expect("versions");
    assert_eq!(versions.len(), 1);
    let audit = store.audit_log(lab, Page::first(1)).await.expect("audit");
    assert_eq!(audit[0].action, "import");
}

/// An amendment may move an inspection to another instrument, created on first sight as
/// an import would create it; the figures count instruments by the current versions.
pub async fn an_amendment_moves_a_record_to_another_instrument<S: Store>(store: &S) {
    let lab = lab(store).await;
    inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    let a2 = id_of(store, "A2").await;
    let old_instrument = every_inspection(store)
        .await
        .iter()
        .find(|r| r.id == a2)
        .map(|r| r.instrument_id)
        .expect("A2");
    let mut moved = verification(4, "2023-10-03", "DHN", "B1").record;
    moved.manufacturer = Some("Công ty ABC".into());
    let amended = store
        .amend_inspection(lab, a2, &amendment(moved, "it was the water meter"))
        .await
        .expect("amend");
    assert_eq!(
        (amended.serial_number.as_str(), amended.category.as_str()),
        ("B1", "DHN")
    );
    assert_ne!(amended.instrument_id, old_instrument);
    let october = month("2023-10", Scheme::Calendar);
    assert_eq!(figures(store, october).await, (2, 3, 0));
    let history = store
        .instrument(lab, old_instrument)
        .await
        .expect("instrument");
    assert_eq!(history.inspections.len(), 0);
    let b1 = store
        .instrument(lab, amended.instrument_id)
        .await
        .expect("instrument");
    assert_eq!(b1.inspections.len(), 2);

    let mut new_one = verification(4, "2023-10-03", "CT1P", "Z-NEW").record;
    new_one.owner = Some("Nhà máy nước".into());
    let amended = store
        .amend_inspection(lab, a2, &amendment(new_one, "serial misread"))
        .await
        .expect("amend");
    let created = store
        .instrument(lab, amended.instrument_id)
        .await
        .expect("instrument");
    assert_eq!(created.instrument.serial_number, "Z-NEW");
    assert_eq!(created.instrument.owner.as_deref(), Some("Nhà máy nước"));
    assert_eq!(created.instrument.created_batch_id, None);
    assert_eq!(figures(store, october).await, (3, 3, 0));
    let versions = store.inspection_versions(lab, a2).await.expect("versions");
    let serials: Vec<&str> = versions.iter().map(|v| v.serial_number.as_str()).collect();
    assert_eq!(serials, ["A2", "B1", "Z-NEW"]);
}

/// One record voided: it leaves the figures and the due list, stays readable with who
/// and why; it cannot be voided twice or amended; a void and restore of its batch leaves
/// it voided.
pub async fn voiding_one_record<S: Store>(store: &S) {
    let lab = lab(store).await;
    let valid = |r: &mut NewInspection| r.valid_until = Some(d("2024-10-01"));
    let rows = vec![
        row_with(2, "2023-10-01", "CT1P", "A1", valid),
        row(3, "2023-10-02", "DHN", "B1"),
        row(4, "2023-10-03", "CT1P", "A2"),
    ];
    let batch = inspections(store, ImportMode::Strict, "sha-a", rows).await;
    let batch_id = batch.id.expect("id");
    let a1 = id_of(store, "A1").await;
    let voided = store
        .void_inspection(lab, a1, "supervisor", "instrument was never here")
        .await
        .expect("void");
    assert!(voided.voided_at.is_some());
    assert_eq!(voided.authorship.voided_by.as_deref(), Some("supervisor"));
    assert_eq!(
        voided.authorship.void_reason.as_deref(),
        Some("instrument was never here")
    );
    assert_eq!(totals(store).await, (2, 2, 0));
    assert_eq!(due(store, "2024-09-15").await, []);
    match store.void_inspection(lab, a1, "supervisor", "again").await {
        Err(StoreError::Invalid(m)) => assert!(
            m.starts_with(&format!("inspection {a1} was already voided at ")),
            "{m}"
        ),
        other => panic!("voiding twice: {other:?}"),
    }
    let same = verification(2, "2023-10-01", "CT1P", "A1").record;
    match store.amend_inspection(lab, a1, &amendment(same, "x")).await {
        Err(StoreError::Invalid(m)) => assert_eq!(
            m,
            format!("inspection {a1} is voided: a voided record is not amended")
        ),
        other => panic!("amending a voided record: {other:?}"),
    }
    let audit = store.audit_log(lab, Page::first(1)).await.expect("audit");
    assert_eq!(
        (audit[0].action.as_str(), audit[0].subject.clone()),
        ("inspection.void", format!("inspection:{a1}"))
    );
    assert_eq!(audit[0].detail["reason"], "instrument was never here");

    store
        .void_batch(lab, batch_id, "supervisor", "whole file")
        .await
        .expect("void batch");
    assert_eq!(totals(store).await, (0, 0, 0));
    store
        .restore_batch(lab, batch_id, "supervisor")
        .await
        .expect("restore");
    assert_eq!(totals(store).await, (2, 2, 0));
    let a1_now = store.inspection(lab, a1).await.expect("A1");
    assert_eq!(a1_now.voided_at, voided.voided_at);
    assert_eq!(due(store, "2024-09-15").await, []);
}

/// An earthing test amended (its resistance, its limit left to the point's) and read
/// back in every version; moving it to another point is refused; one test voided.
pub async fn amending_and_voiding_an_earthing_test<S: Store>(store: &S) {
    let lab = lab(store).await;
    let rows = vec![
        earthing(2, "2023-10-01", "Trường A", "P1", "2.5"),
        earthing(3, "2023-10-01", "Trường A", "P2", "3.1"),
    ];
    import(store, LogKind::Earthing, ImportMode::Strict, "sha-e", rows).await;
    let every = EarthingTestFilter {
        include_voided: true,
        ..EarthingTestFilter::default()
    };
    let tests = store
        .earthing_tests(lab, &every, Page::first(10))
        .await
        .expect("tests");
    let (p1, p2) = (tests[0].clone(), tests[1].clone());
    let new = earthing_test(2, "2023-10-02", "Trường A", "P1", "12.50").record;
    let amended = store
        .amend_earthing_test(
            lab,
            p1.id,
            &Amendment {
                record: new,
                reason: "read the wrong dial".into(),
                by: "supervisor".into(),
            },
        )
        .await
        .expect("amend");
    assert_eq!(
        (
            amended.id,
            amended.version,
            amended.tested_on,
            amended.resistance_ohm.as_str(),
            amended.limit_ohm.as_str(),
            amended.pass
        ),
        (
            p1.id,
            2,
            d("2023-10-02"),
            "12.50",
            p1.limit_ohm.as_str(),
            false
        )
    );
    let versions = store
        .earthing_test_versions(lab, p1.id)
        .await
        .expect("versions");
    let seen: Vec<(i64, &str)> = versions
        .iter()
        .map(|v| (v.version, v.resistance_ohm.as_str()))
        .collect();
    assert_eq!(seen, [(1, "2.5"), (2, "12.50")]);
    assert_eq!(versions[0], p1);
    let elsewhere = earthing_test(3, "2023-10-01", "Trường A", "P1", "3.1").record;
    match store
        .amend_earthing_test(
            lab,
            p2.id,
            &Amendment {
                record: elsewhere,
                reason: "x".into(),
                by: "supervisor".into(),
            },
        )
        .await
    {
        Err(StoreError::Invalid(m)) => assert!(m.contains("stays with its point"), "{m}"),
        other => panic!("moving a test to another point: {other:?}"),
    }
    let voided = store
        .void_earthing_test(lab, p2.id, "supervisor", "tester broken")
        .await
        .expect("void");
    assert_eq!(
        voided.authorship.void_reason.as_deref(),
        Some("tester broken")
    );
    assert_eq!(totals(store).await, (0, 0, 1));
}
