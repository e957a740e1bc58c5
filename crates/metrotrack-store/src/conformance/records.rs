//! Records read back a page at a time: batches, instruments, inspections, earthing points and tests.

use super::*;

// ----- records, a page at a time ---------------------------------------------------

/// Batches newest first, instruments and inspections by id, a page at a time, filtered,
/// with their evidence; another lab sees none of them.
pub async fn records_are_listed_a_page_at_a_time<S: Store>(store: &S) {
    let a = lab(store).await;
    let first = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    let rows = vec![
        row_with(2, "2023-11-05", "CT1P", "A1", |r| {
            r.error_percent = Some("-0.120".parse().expect("decimal"));
            r.owner = Some("Nhà máy nước".into());
        }),
        row_with(3, "2023-11-06", "CT1P", "X_9", |r| {
            r.result = Some(Outcome::Fail)
        }),
    ];
    let second = inspections(store, ImportMode::Strict, "sha-b", rows).await;

    let batches = store.batch_page(a, Page::first(10)).await.expect("batches");
    let ids: Vec<Option<i64>> = batches.iter().map(|b| b.id).collect();
    assert_eq!(ids, vec![second.id, first.id]);
    assert_eq!(batches[1].inserted, 3);
    let older = store
        .batch_page(
            a,
            Page {
                limit: 10,
                after: second.id,
            },
        )
        .await
        .expect("batches");
    assert_eq!(
        older.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![first.id]
    );

    let all = store
        .instruments(a, &InstrumentFilter::default(), Page::first(10))
        .await
        .expect("instruments");
    // By id; which of a file's new instruments gets the lower id is the backend's affair.
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    let mut serials: Vec<&str> = all.iter().map(|i| i.serial_number.as_str()).collect();
    serials.sort_unstable();
    assert_eq!(serials, vec!["A1", "A2", "B1", "X_9"]);
    let a1 = all
        .iter()
        .find(|i| i.serial_number == "A1")
        .expect("A1")
        .clone();
    assert_eq!(a1.created_batch_id, first.id);
    assert_eq!(a1.owner.as_deref(), Some("Điện lực"));
    let page = store
        .instruments(a, &InstrumentFilter::default(), Page::first(2))
        .await
        .expect("instruments");
    assert_eq!(page, all[..2].to_vec());
    let rest = store
        .instruments(
            a,
            &InstrumentFilter::default(),
            Page {
                limit: 2,
                after: Some(page[1].id),
            },
        )
        .await
        .expect("instruments");
    assert_eq!(rest, all[2..].to_vec());
    let serial_of = |list: Vec<crate::records::InstrumentRecord>| -> Vec<String> {
        let mut serials: Vec<String> = list.into_iter().map(|i| i.serial_number).collect();
        serials.sort_unstable();
        serials
    };
    let filtered = |filter: InstrumentFilter| async move {
        serial_of(
            store
                .instruments(a, &filter, Page::first(10))
                .await
                .expect("instruments"),
        )
    };
    let category = CategoryCode::parse("DHN").expect("category");
    assert_eq!(
        filtered(InstrumentFilter {
            category: Some(category),
            ..Default::default()
        })
        .await,
        vec!["B1"]
    );
    assert_eq!(
        filtered(InstrumentFilter {
            serial: Some("a".into()),
            ..Default::default()
        })
        .await,
        vec!["A1", "A2"]
    );
    // `_` is a character, not a wildcard.
    assert_eq!(
        filtered(InstrumentFilter {
            serial: Some("x_".into()),
            ..Default::default()
        })
        .await,
        vec!["X_9"]
    );
    assert_eq!(
        filtered(InstrumentFilter {
            search: Some("B1".into()),
            ..Default::default()
        })
        .await,
        vec!["B1"]
    );
    assert_eq!(
        filtered(InstrumentFilter {
            owner: Some("lực".into()),
            ..Default::default()
        })
        .await,
        vec!["A1", "A2", "B1", "X_9"]
    );

    let history = store.instrument(a, a1.id).await.expect("history");
    assert_eq!(history.instrument, a1);
    let dates: Vec<NaiveDate> = history.inspections.iter().map(|s| s.inspected_on).collect();
    assert_eq!(dates, vec![d("2023-10-01"), d("2023-11-05")]);
    let old = &history.inspections[0];
    assert_eq!(
        (old.serial_number.as_str(), old.category.as_str(), old.kind),
        ("A1", "CT1P", InspectionKind::Verification)
    );
    assert_eq!(old.error_percent.as_deref(), Some("0.5"));
    assert_eq!(
        (old.batch_id, old.source_line, old.version),
        (first.id, Some(2), 1)
    );
    assert_eq!(old.original["Tên PTĐ"], "CT1P");
    assert_eq!(old.procedure.as_deref(), Some("ĐLVN 07:2012"));
    assert_eq!(
        history.inspections[1].error_percent.as_deref(),
        Some("-0.120")
    );
    assert_eq!(
        store.inspection(a, old.id).await.expect("inspection"),
        old.clone()
    );

    let listed = |filter: InspectionFilter| async move {
        store
            .inspections(a, &filter, Page::first(10))
            .await
            .expect("inspections")
            .into_iter()
            .map(|s| (s.inspected_on, s.serial_number))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    };
    assert_eq!(listed(InspectionFilter::default()).await.len(), 5);
    assert_eq!(
        listed(InspectionFilter {
            from: Some(d("2023-10-02")),
            to: Some(d("2023-11-05")),
            ..Default::default()
        })
        .await,
        vec![
            (d("2023-10-02"), "B1".to_owned()),
            (d("2023-10-03"), "A2".to_owned()),
            (d("2023-11-05"), "A1".to_owned()),
        ]
    );
    assert_eq!(
        listed(InspectionFilter {
            result: Some(Outcome::Fail),
            ..Default::default()
        })
        .await,
        vec![(d("2023-11-06"), "X_9".to_owned())]
    );
    assert_eq!(
        listed(InspectionFilter {
            batch_id: second.id,
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    assert_eq!(
        listed(InspectionFilter {
            instrument_id: Some(a1.id),
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    assert_eq!(
        listed(InspectionFilter {
            technician: Some(" Nguyễn Văn An ".into()),
            kind: Some(InspectionKind::Verification),
            ..Default::default()
        })
        .await
        .len(),
        5
    );
    store
        .void_batch(a, second.id.expect("id"), "supervisor", "wrong file")
        .await
        .expect("void");
    assert_eq!(listed(InspectionFilter::default()).await.len(), 3);
    let with_voided = store
        .inspections(
            a,
            &InspectionFilter {
                include_voided: true,
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("inspections");
    assert_eq!(with_voided.len(), 5);
    assert_eq!(
        with_voided.iter().filter(|s| s.voided_at.is_some()).count(),
        2
    );

    // Another lab sees nothing of this one.
    let b = store
        .create_lab("lab-b", "B", "admin")
        .await
        .expect("lab")
        .id;
    assert!(
        store
            .batch_page(b, Page::first(10))
            .await
            .expect("batches")
            .is_empty()
    );
    assert!(
        store
            .instruments(b, &InstrumentFilter::default(), Page::first(10))
            .await
            .expect("instruments")
            .is_empty()
    );
    assert!(matches!(
        store.instrument(b, a1.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.inspection(b, old.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.inspection(a, old.id + 1000).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Earthing points with their latest valid test, over-limit ones picked out exactly;
/// a point's history in date order with rises flagged; tests listed and filtered.
pub async fn earthing_points_and_tests_are_read_back<S: Store>(store: &S) {
    let a = lab(store).await;
    let rows = vec![
        earthing(2, "2023-10-01", "Trường A", "P1", "2.50"),
        earthing(3, "2023-10-08", "Trường A", "P1", "3.1"),
        earthing(4, "2023-10-15", "Trường A", "P1", "2.9"),
        earthing(5, "2023-10-01", "Trạm điện B", "E_1", "10.01"),
        earthing(6, "2023-10-01", "Trạm điện B", "E2", "10"),
    ];
    let batch = import(store, LogKind::Earthing, ImportMode::Strict, "sha-e", rows).await;
    assert_eq!(batch.inserted, 5);
    let points = store
        .earthing_points(a, &PointFilter::default(), Page::first(10))
        .await
        .expect("points");
    assert!(points.windows(2).all(|w| w[0].id < w[1].id));
    let mut seen: Vec<(&str, &str, Option<&str>, Option<bool>)> = points
        .iter()
        .map(|p| {
            (
                p.code.as_str(),
                p.limit_ohm.as_str(),
                p.last_resistance_ohm.as_deref(),
                p.last_pass,
            )
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        vec![
            ("E2", "10", Some("10"), Some(true)),
            ("E_1", "10", Some("10.01"), Some(false)),
            ("P1", "10", Some("2.9"), Some(true)),
        ]
    );
    let p1 = points.iter().find(|p| p.code == "P1").expect("P1").clone();
    assert_eq!(p1.last_tested_on, Some(d("2023-10-15")));
    assert_eq!(p1.site, "Trường A");
    let codes = |list: Vec<crate::records::EarthingPointRecord>| -> Vec<String> {
        let mut codes: Vec<String> = list.into_iter().map(|p| p.code).collect();
        codes.sort_unstable();
        codes
    };
    let over = store
        .earthing_points(
            a,
            &PointFilter {
                over_limit: true,
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("points");
    assert_eq!(codes(over), vec!["E_1"]);
    let search = store
        .earthing_points(
            a,
            &PointFilter {
                search: Some("trạm".into()),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("points");
    assert_eq!(codes(search), vec!["E2", "E_1"]);
    let wildcard = store
        .earthing_points(
            a,
            &PointFilter {
                search: Some("E_".into()),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("points");
    assert_eq!(codes(wildcard), vec!["E_1"]);
    let second_page = store
        .earthing_points(
            a,
            &PointFilter::default(),
            Page {
                limit: 1,
                after: Some(points[0].id),
            },
        )
        .await
        .expect("points");
    assert_eq!(codes(second_page), vec![points[1].code.clone()]);

    let history = store.earthing_point(a, p1.id).await.expect("history");
    assert_eq!(history.point, p1);
    let tests: Vec<(&str, Option<bool>, bool)> = history
        .tests
        .iter()
        .map(|t| (t.resistance_ohm.as_str(), t.rose, t.pass))
        .collect();
    assert_eq!(
        tests,
        vec![
            ("2.50", Some(false), true),
            ("3.1", Some(true), true),
            ("2.9", Some(false), true),
        ]
    );
    let t = &history.tests[0];
    assert_eq!(
        (t.site.as_str(), t.point_code.as_str(), t.limit_ohm.as_str()),
        ("Trường A", "P1", "10")
    );
    assert_eq!(
        (t.batch_id, t.source_line, t.version),
        (batch.id, Some(2), 1)
    );
    assert_eq!(t.original["Điện trở"], "2.50");
    assert_eq!(t.tester_serial.as_deref(), Some("K-4105A"));

    let listed = store
        .earthing_tests(
            a,
            &EarthingTestFilter {
                point_id: Some(p1.id),
                from: Some(d("2023-10-02")),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("tests");
    let values: Vec<&str> = listed.iter().map(|t| t.resistance_ohm.as_str()).collect();
    assert_eq!(values, vec!["3.1", "2.9"]);
    assert!(listed.iter().all(|t| t.rose.is_none()));
    let mut failing: Vec<(String, bool)> = store
        .earthing_tests(
            a,
            &EarthingTestFilter {
                technician: Some("Trần Bình".into()),
                batch_id: batch.id,
                to: Some(d("2023-10-01")),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("tests")
        .into_iter()
        .map(|t| (t.point_code, t.pass))
        .collect();
    failing.sort_unstable();
    assert_eq!(
        failing,
        vec![
            ("E2".to_owned(), true),
            ("E_1".to_owned(), false),
            ("P1".to_owned(), true)
        ]
    );
    // Narrowed by the verdict: over the limit, or within it; the count agrees.
    for (over, expected) in [(true, vec!["E_1"]), (false, vec!["E2", "P1"])] {
        let filter = EarthingTestFilter {
            technician: Some("Trần Bình".into()),
            batch_id: batch.id,
            to: Some(d("2023-10-01")),
            over_limit: Some(over),
            ..Default::default()
        };
        let mut codes: Vec<String> = store
            .earthing_tests(a, &filter, Page::first(10))
            .await
            .expect("tests")
            .into_iter()
            .map(|t| t.point_code)
            .collect();
        codes.sort_unstable();
        assert_eq!(codes, expected, "over the limit: {over}");
        let n = store.count_earthing_tests(a, &filter).await.expect("count");
        assert_eq!(n, expected.len() as u64);
    }

    store
        .void_batch(a, batch.id.expect("id"), "supervisor", "wrong tester")
        .await
        .expect("void");
    let after = store
        .earthing_points(a, &PointFilter::default(), Page::first(10))
        .await
        .expect("points");
    assert!(
        after
            .iter()
            .all(|p| p.last_resistance_ohm.is_none() && p.last_pass.is_none())
    );
    assert!(
        store
            .earthing_tests(a, &EarthingTestFilter::default(), Page::first(10))
            .await
            .expect("tests")
            .is_empty()
    );
    let voided = store.earthing_point(a, p1.id).await.expect("history");
    assert_eq!(voided.tests.len(), 3);
    assert!(
        voided
            .tests
            .iter()
            .all(|t| t.rose.is_none() && t.voided_at.is_some())
    );

    let b = store
        .create_lab("lab-b", "B", "admin")
        .await
        .expect("lab")
        .id;
    assert!(
        store
            .earthing_points(b, &PointFilter::default(), Page::first(10))
            .await
            .expect("points")
            .is_empty()
    );
    assert!(matches!(
        store.earthing_point(b, p1.id).await,
        Err(StoreError::NotFound(_))
    ));
}
