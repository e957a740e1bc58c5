//! The due list: overdue and soon-due instruments, by their latest stored inspection.

use super::*;

/// The due list shows the overdue and those due within N days, soonest first, by the
/// latest inspection that has a valid-until (a newer failed one does not hide it).
pub async fn due_list_shows_overdue_and_soon_due<S: Store>(store: &S) {
    let lab = lab(store).await;
    let valid = |until: &str| {
        let until = d(until);
        move |r: &mut NewInspection| r.valid_until = Some(until)
    };
    let rows = vec![
        row_with(2, "2023-09-01", "CT1P", "OVERDUE", valid("2024-09-01")),
        row_with(3, "2023-10-20", "CT1P", "SOON", valid("2024-10-20")),
        row_with(4, "2023-12-31", "CT1P", "FAR", valid("2024-12-31")),
        row_with(5, "2022-10-01", "CT1P", "RENEWED", valid("2024-10-05")),
        row_with(6, "2023-10-01", "CT1P", "RENEWED", valid("2025-10-01")),
        row_with(7, "2023-01-01", "CT1P", "FAILED", valid("2024-09-15")),
        row_with(8, "2024-09-10", "CT1P", "FAILED", |r| {
            r.result = Some(Outcome::Fail);
            r.valid_until = None;
        }),
        row_with(9, "2023-01-01", "CT1P", "CALIBRATED", |r| {
            r.kind = InspectionKind::Calibration;
            r.result = None;
        }),
    ];
    inspections(store, ImportMode::Strict, "sha-a", rows).await;
    let as_of = d("2024-10-01");
    let due = store
        .due_list(lab, 30, as_of, None, 1000)
        .await
        .expect("due list");
    let seen: Vec<(&str, NaiveDate, NaiveDate, i64, bool)> = due
        .iter()
        .map(|e| {
            (
                e.serial_number.as_str(),
                e.last_inspected_on,
                e.valid_until,
                e.days_left,
                e.overdue,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("OVERDUE", d("2023-09-01"), d("2024-09-01"), -30, true),
            ("FAILED", d("2023-01-01"), d("2024-09-15"), -16, true),
            ("SOON", d("2023-10-20"), d("2024-10-20"), 19, false),
        ]
    );
    assert_eq!(due[0].category.as_str(), "CT1P");
    assert_eq!(due[0].owner.as_deref(), Some("Điện lực"));
    // A page at a time: the second page starts after the first one's last entry.
    let first = store
        .due_list(lab, 30, as_of, None, 2)
        .await
        .expect("first page");
    assert_eq!(first.len(), 2);
    let after = first.last().map(DueAfter::from);
    let second = store
        .due_list(lab, 30, as_of, after.as_ref(), 2)
        .await
        .expect("second page");
    let paged: Vec<&str> = first
        .iter()
        .chain(&second)
        .map(|e| e.serial_number.as_str())
        .collect();
    assert_eq!(paged, vec!["OVERDUE", "FAILED", "SOON"]);
    let today: Vec<String> = store
        .due_list(lab, 0, as_of, None, 1000)
        .await
        .expect("due list")
        .into_iter()
        .map(|e| e.serial_number)
        .collect();
    assert_eq!(today, vec!["OVERDUE", "FAILED"]);
    // The counts cover the same lists: two overdue, one due within 30 days; within 0
    // days only the overdue ones.
    let counts = store.due_counts(lab, 30, as_of).await.expect("due counts");
    assert_eq!((counts.overdue, counts.due_soon, counts.total()), (2, 1, 3));
    let counts = store.due_counts(lab, 0, as_of).await.expect("due counts");
    assert_eq!((counts.overdue, counts.due_soon), (2, 0));
    let far = store.due_counts(lab, 100, as_of).await.expect("due counts");
    assert_eq!((far.overdue, far.due_soon), (2, 2));
}

/// An instrument first seen in a file is due by its latest stored inspection: rows the
/// import skipped (a certificate number in use, the same record twice) never count,
/// even when they are later or valid longer.
pub async fn a_skipped_row_is_never_due<S: Store>(store: &S) {
    let lab = lab(store).await;
    let valid = |until: &str, certificate: &str| {
        let until = d(until);
        let certificate = certificate.to_owned();
        move |r: &mut NewInspection| {
            r.valid_until = Some(until);
            r.certificate_no = Some(certificate);
        }
    };
    let first = vec![row_with(
        2,
        "2023-10-01",
        "CT1P",
        "OLD",
        valid("2024-10-01", "C1"),
    )];
    inspections(store, ImportMode::Strict, "sha-a", first).await;
    let rows = vec![
        row_with(2, "2023-10-02", "CT1P", "NEW", valid("2024-10-02", "C2")),
        // A certificate number in use: skipped.
        row_with(3, "2023-10-05", "CT1P", "NEW", valid("2025-10-05", "C1")),
        row_with(4, "2023-10-03", "CT1P", "TWICE", valid("2024-10-03", "C3")),
        // The same instrument, kind and date with another record: a conflict, skipped.
        row_with(5, "2023-10-03", "CT1P", "TWICE", valid("2026-10-03", "C4")),
    ];
    let batch = inspections(store, ImportMode::Partial, "sha-b", rows).await;
    assert_eq!(
        (batch.inserted, batch.rejected),
        (2, 2),
        "{:?}",
        batch.problems
    );
    let list = store
        .due_list(lab, 3650, d("2023-11-01"), None, 1000)
        .await
        .expect("due list");
    // The instruments first seen and then taken back off their skipped row are counted
    // by the day they are due on in the end.
    counts_are_the_list(store, lab, 3650, d("2023-11-01"), &list).await;
    assert_eq!(store.verify().await.expect("verify"), vec![]);
    let due: Vec<(String, NaiveDate)> = list
        .into_iter()
        .map(|e| (e.serial_number, e.valid_until))
        .collect();
    assert_eq!(
        due,
        vec![
            ("OLD".to_owned(), d("2024-10-01")),
            ("NEW".to_owned(), d("2024-10-02")),
            ("TWICE".to_owned(), d("2024-10-03")),
        ]
    );
}

/// Fills a store with instruments due on several days, some overdue, some renewed,
/// some never due, for a migration to count (the backends' migration tests); a later
/// `shift` (in days) inspects the same instruments again, moving their due dates.
pub async fn fill_with_due_instruments<S: Store>(store: &S, sha: &str, shift: u64) {
    let rows = (0..40u64)
        .map(|i| {
            let day = d("2023-09-01") + chrono::Days::new(i * 3 + shift);
            let serial = format!("DUE{}", i % 25);
            row_with(i + 2, "2023-01-01", "CT1P", "X", move |r| {
                r.date = day - chrono::Days::new(365);
                r.serial = SerialNumber::parse(&serial).expect("serial");
                r.valid_until = (i % 7 != 0).then_some(day);
            })
        })
        .collect();
    let batch = inspections(store, ImportMode::Partial, sha, rows).await;
    assert_eq!(batch.inserted, 40, "{batch:?}");
}

/// The due counts over several windows are the due list's, and `verify` finds nothing.
pub async fn due_counts_are_the_lists<S: Store>(store: &S) {
    let lab = lab(store).await;
    for (within, as_of) in [(0, "2023-10-01"), (30, "2023-10-01"), (3650, "2020-01-01")] {
        let as_of = d(as_of);
        let list = store
            .due_list(lab, within, as_of, None, 1000)
            .await
            .expect("due list");
        counts_are_the_list(store, lab, within, as_of, &list).await;
    }
    assert_eq!(store.verify().await.expect("verify"), vec![]);
}
