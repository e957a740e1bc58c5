//! The figures: what counts once, periods under both schemes, plan targets, year to date, voids.

use super::*;
use metrotrack_core::AchievementStatus;

/// An instrument inspected twice is one instrument and two inspections; a point
/// measured twice is one point.
pub async fn instruments_and_points_count_once<S: Store>(store: &S) {
    let rows = vec![
        row(2, "2023-10-01", "CT1P", "A1"),
        row_with(3, "2023-10-01", "CT1P", "A1", |r| {
            r.kind = InspectionKind::Calibration;
            r.result = None;
        }),
        row(4, "2023-10-05", "CT1P", "A1"),
        row(5, "2023-10-05", "DHN", "A1"), // another category: another instrument
    ];
    inspections(store, ImportMode::Strict, "sha-a", rows).await;
    let tests = vec![
        earthing(2, "2023-10-01", "Trường A", "P1", "2.5"),
        earthing(3, "2023-10-05", "Trường A", "P1", "2.7"),
        earthing(4, "2023-10-02", "Trường A", "P2", "3.1"),
        earthing(5, "2023-10-02", "Trường B", "P1", "3.1"),
    ];
    let batch = import(store, LogKind::Earthing, ImportMode::Strict, "sha-e", tests).await;
    assert_eq!(batch.inserted, 4);
    assert_eq!(
        figures(store, month("2023-10", Scheme::Decree09)).await,
        (2, 4, 3)
    );
}

/// Under Decree 09, 14/09 is in month 2023-09 and 15/10 in 2023-11; under the calendar
/// scheme both are in their own month.
pub async fn period_boundaries_follow_the_scheme<S: Store>(store: &S) {
    let rows = vec![
        row(2, "2023-09-14", "CT1P", "X"),
        row(3, "2023-09-15", "CT1P", "Y"),
        row(4, "2023-10-14", "CT1P", "Z"),
        row(5, "2023-10-15", "CT1P", "W"),
    ];
    inspections(store, ImportMode::Strict, "sha-a", rows).await;
    let count = |label, scheme| async move { figures(store, month(label, scheme)).await.1 };
    assert_eq!(count("2023-09", Scheme::Decree09).await, 1);
    assert_eq!(count("2023-10", Scheme::Decree09).await, 2);
    assert_eq!(count("2023-11", Scheme::Decree09).await, 1);
    assert_eq!(count("2023-09", Scheme::Calendar).await, 2);
    assert_eq!(count("2023-10", Scheme::Calendar).await, 2);
    assert_eq!(count("2023-11", Scheme::Calendar).await, 0);
}

/// Targets reach the achievement: a month's own; a quarter or a year whose months are
/// only partly planned is `partial_target` with the planned months; a year's own target
/// wins; category targets add category entries.
pub async fn plan_targets_flow_into_achievement<S: Store>(store: &S) {
    let lab = lab(store).await;
    inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    for p in [
        plan(Metric::InstrumentsInspected, None, "2023-10", 402),
        plan(Metric::InstrumentsInspected, None, "2023-11", 100),
        plan(Metric::Inspections, None, "2023-10", 5),
        plan(Metric::EarthingPointsMeasured, None, "2023-10", 10),
        plan(Metric::InstrumentsInspected, Some("CT1P"), "2023-10", 2),
        plan(Metric::Inspections, None, "2024-01", 7),
    ] {
        store
            .set_plan(lab, &p, "supervisor")
            .await
            .expect("set plan");
    }
    assert_eq!(store.plans(lab, Some(2023)).await.expect("plans").len(), 5);
    assert_eq!(store.plans(lab, Some(2024)).await.expect("plans").len(), 1);
    assert_eq!(store.plans(lab, None).await.expect("plans").len(), 6);

    let october = store
        .achievement(lab, month("2023-10", Scheme::Decree09))
        .await
        .expect("achievement");
    let entries: Vec<(Metric, Option<&str>, u64, Option<u64>)> = october
        .metrics
        .iter()
        .map(|a| {
            (
                a.metric,
                a.category.as_ref().map(CategoryCode::as_str),
                a.actual,
                a.target,
            )
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            (Metric::InstrumentsInspected, None, 3, Some(402)),
            (Metric::Inspections, None, 3, Some(5)),
            (Metric::EarthingPointsMeasured, None, 0, Some(10)),
            (Metric::InstrumentsInspected, Some("CT1P"), 2, Some(2)),
        ]
    );
    assert_eq!(october.metrics[3].percent, Some(100));

    let target = |a: &metrotrack_core::PeriodAchievement, m| a.overall(m).and_then(|x| x.target);
    // October and November are planned, not December: the quarter is not measured
    // against their sum, but says what is planned.
    let planned = |a: &metrotrack_core::PeriodAchievement, m| {
        a.overall(m).map(|x| {
            (
                x.status,
                x.planned_months
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>(),
                x.months_in_period,
                x.planned_target,
            )
        })
    };
    let q4 = store
        .achievement(lab, month("2023-Q4", Scheme::Decree09))
        .await
        .expect("achievement");
    assert_eq!(target(&q4, Metric::InstrumentsInspected), None);
    assert_eq!(
        planned(&q4, Metric::InstrumentsInspected),
        Some((
            AchievementStatus::PartialTarget,
            vec!["2023-10".to_owned(), "2023-11".to_owned()],
            Some(3),
            Some(502)
        ))
    );
    assert_eq!(
        q4.overall(Metric::Inspections)
            .map(|a| (a.percent, a.planned_target)),
        Some((None, Some(5)))
    );
    let q3 = store
        .achievement(lab, month("2023-Q3", Scheme::Decree09))
        .await
        .expect("achievement");
    assert_eq!(target(&q3, Metric::InstrumentsInspected), None);
    assert_eq!(
        q3.metrics.len(),
        3,
        "no category entry without a target in the period"
    );
    let year = store
        .achievement(lab, month("2023", Scheme::Decree09))
        .await
        .expect("achievement");
    assert_eq!(target(&year, Metric::InstrumentsInspected), None);
    assert_eq!(
        planned(&year, Metric::InstrumentsInspected).map(|p| (p.0, p.2, p.3)),
        Some((AchievementStatus::PartialTarget, Some(12), Some(502)))
    );

    // An annual target wins over the months' sum; setting again replaces.
    store
        .set_plan(
            lab,
            &plan(Metric::InstrumentsInspected, None, "2023", 5000),
            "supervisor",
        )
        .await
        .expect("set plan");
    store
        .set_plan(
            lab,
            &plan(Metric::InstrumentsInspected, None, "2023-10", 400),
            "supervisor",
        )
        .await
        .expect("set plan");
    let year = store
        .achievement(lab, month("2023", Scheme::Decree09))
        .await
        .expect("achievement");
    assert_eq!(target(&year, Metric::InstrumentsInspected), Some(5000));
    let plans = store.plans(lab, Some(2023)).await.expect("plans");
    assert_eq!(plans.len(), 6);
    assert!(plans.contains(&plan(Metric::InstrumentsInspected, None, "2023-10", 400)));
}

/// Year to date counts an instrument inspected in two months once, is partial when only
/// some months so far are planned, and compares with the annual target when one is set.
pub async fn year_to_date_counts_distinct_instruments_once<S: Store>(store: &S) {
    let lab = lab(store).await;
    let rows = vec![
        row(2, "2023-10-01", "CT1P", "A1"),
        row(3, "2023-11-01", "CT1P", "A1"),
        row(4, "2023-11-01", "CT1P", "B1"),
        row(5, "2023-12-01", "CT1P", "C1"), // after as_of's month: not counted
    ];
    inspections(store, ImportMode::Strict, "sha-a", rows).await;
    for p in [
        plan(Metric::InstrumentsInspected, None, "2023-10", 2),
        plan(Metric::InstrumentsInspected, None, "2023-11", 3),
        plan(Metric::InstrumentsInspected, None, "2023", 20),
    ] {
        store
            .set_plan(lab, &p, "supervisor")
            .await
            .expect("set plan");
    }
    // 10/11/2023 is in Decree 09 month 2023-11 (15/10–14/11); 2023-12 has not begun.
    let year = store
        .year_achievement(lab, 2023, Scheme::Decree09, d("2023-11-10"))
        .await
        .expect("year achievement");
    assert_eq!(year.months.len(), 11);
    assert_eq!(
        year.months[9]
            .overall(Metric::InstrumentsInspected)
            .map(|a| a.actual),
        Some(1)
    );
    assert_eq!(
        year.months[10]
            .overall(Metric::InstrumentsInspected)
            .map(|a| a.actual),
        Some(2)
    );
    let ytd = |m| {
        year.year_to_date
            .iter()
            .find(|a| a.metric == m && a.category.is_none())
            .map(|a| (a.actual, a.target))
    };
    // Two of the eleven months so far are planned: partial, with their sum beside.
    assert_eq!(ytd(Metric::InstrumentsInspected), Some((2, None)));
    let partial = year
        .year_to_date
        .iter()
        .find(|a| a.metric == Metric::InstrumentsInspected && a.category.is_none())
        .expect("ytd");
    assert_eq!(
        (
            partial.status,
            partial.planned_months.len(),
            partial.months_in_period,
            partial.planned_target
        ),
        (AchievementStatus::PartialTarget, 2, Some(11), Some(5))
    );
    assert_eq!(ytd(Metric::Inspections), Some((3, None)));
    assert_eq!(ytd(Metric::EarthingPointsMeasured), Some((0, None)));
    let annual: Vec<(Metric, u64, Option<u64>)> = year
        .against_annual
        .iter()
        .map(|a| (a.metric, a.actual, a.target))
        .collect();
    assert_eq!(annual, vec![(Metric::InstrumentsInspected, 2, Some(20))]);

    let past = store
        .year_achievement(lab, 2022, Scheme::Calendar, d("2023-11-10"))
        .await
        .expect("year achievement");
    assert_eq!(past.months.len(), 12);
}

/// A voided batch leaves every figure but stays visible as voided; voiding twice is
/// refused; the same file can then be imported again.
pub async fn voiding_removes_a_batch_from_the_figures<S: Store>(store: &S) {
    let lab = lab(store).await;
    let batch = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    let tests = vec![earthing(2, "2023-10-01", "Trường A", "P1", "2.5")];
    let earth = import(store, LogKind::Earthing, ImportMode::Strict, "sha-e", tests).await;
    let id = batch.id.expect("id");
    assert_eq!(totals(store).await, (3, 3, 1));
    let voided = store
        .void_batch(lab, id, "supervisor", "wrong month")
        .await
        .expect("void");
    assert!(voided.voided_at.is_some());
    assert_eq!(voided.voided_by.as_deref(), Some("supervisor"));
    assert_eq!(voided.void_reason.as_deref(), Some("wrong month"));
    assert_eq!(totals(store).await, (0, 0, 1));
    let listed = store.batches(lab).await.expect("batches");
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .any(|b| b.id == Some(id) && b.voided_at.is_some())
    );
    assert!(matches!(
        store.void_batch(lab, id, "supervisor", "again").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.void_batch(lab, id + 100, "supervisor", "none").await,
        Err(StoreError::NotFound(_))
    ));
    store
        .void_batch(lab, earth.id.expect("id"), "supervisor", "bad tester")
        .await
        .expect("void");
    assert_eq!(totals(store).await, (0, 0, 0));
    // The records left the natural keys: importing the file again stores them anew.
    let again = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    assert_eq!((again.outcome, again.inserted), (BatchOutcome::Stored, 3));
    assert_ne!(again.id, Some(id));
    assert_eq!(totals(store).await, (3, 3, 0));
}

/// A quarter or half-year target set for the period itself measures it (achieved or
/// below), over its months' targets; the plan can be deleted again (audited), and the
/// quarter falls back to its months.
pub async fn quarter_targets_measure_the_quarter_and_plans_can_be_deleted<S: Store>(store: &S) {
    let lab = lab(store).await;
    inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    for p in [
        plan(Metric::InstrumentsInspected, None, "2023-10", 2),
        plan(Metric::InstrumentsInspected, None, "2023-Q4", 3),
        plan(Metric::Inspections, None, "2023-Q4", 4),
        plan(Metric::Inspections, None, "2023-H2", 10),
    ] {
        store
            .set_plan(lab, &p, "supervisor")
            .await
            .expect("set plan");
    }
    let status = |a: &metrotrack_core::PeriodAchievement, m| {
        a.overall(m).map(|x| (x.status, x.target, x.percent))
    };
    let q4 = store
        .achievement(lab, month("2023-Q4", Scheme::Calendar))
        .await
        .expect("achievement");
    assert_eq!(
        status(&q4, Metric::InstrumentsInspected),
        Some((AchievementStatus::Achieved, Some(3), Some(100)))
    );
    assert_eq!(
        status(&q4, Metric::Inspections),
        Some((AchievementStatus::BelowTarget, Some(4), Some(75)))
    );
    let h2 = store
        .achievement(lab, month("2023-H2", Scheme::Calendar))
        .await
        .expect("achievement");
    assert_eq!(
        status(&h2, Metric::Inspections),
        Some((AchievementStatus::BelowTarget, Some(10), Some(30)))
    );
    // H2's instruments: only Q4 of it is planned.
    assert_eq!(
        h2.overall(Metric::InstrumentsInspected).map(|a| (
            a.status,
            a.planned_months.len(),
            a.planned_target
        )),
        Some((AchievementStatus::PartialTarget, 3, Some(3)))
    );
    assert_eq!(store.plans(lab, Some(2023)).await.expect("plans").len(), 4);

    let quarter = PeriodSpec::parse("2023-Q4").expect("period");
    let deleted = store
        .delete_plan(lab, Metric::InstrumentsInspected, None, quarter, "boss")
        .await
        .expect("delete plan");
    assert_eq!(
        deleted,
        plan(Metric::InstrumentsInspected, None, "2023-Q4", 3)
    );
    assert!(matches!(
        store
            .delete_plan(lab, Metric::InstrumentsInspected, None, quarter, "boss")
            .await,
        Err(StoreError::NotFound(_))
    ));
    let code = CategoryCode::parse("CT1P").expect("code");
    assert!(matches!(
        store
            .delete_plan(lab, Metric::Inspections, Some(&code), quarter, "boss")
            .await,
        Err(StoreError::NotFound(_))
    ));
    let plans = store.plans(lab, Some(2023)).await.expect("plans");
    assert_eq!(plans.len(), 3);
    assert!(!plans.contains(&deleted));
    let q4 = store
        .achievement(lab, month("2023-Q4", Scheme::Calendar))
        .await
        .expect("achievement");
    assert_eq!(
        q4.overall(Metric::InstrumentsInspected)
            .map(|a| (a.status, a.planned_target)),
        Some((AchievementStatus::PartialTarget, Some(2)))
    );
    let audit = store.audit_log(lab, Page::first(1)).await.expect("audit");
    assert_eq!(
        (
            audit[0].action.as_str(),
            audit[0].actor.as_str(),
            audit[0].subject.as_str()
        ),
        ("plan.delete", "boss", "plan:2023-Q4:instruments_inspected:")
    );
    assert_eq!(audit[0].detail["previous"], 3);
}

/// The lists behind the figures: the distinct instruments inspected in a period, each
/// with its inspection count, and the distinct points measured, each with its test
/// count; their totals are the figures, and they page by id.
pub async fn the_figures_open_what_they_count<S: Store>(store: &S) {
    let lab = lab(store).await;
    assert_eq!(store.latest_record_date(lab).await.expect("latest"), None);
    let rows = vec![
        row(2, "2023-10-01", "CT1P", "A1"),
        row(3, "2023-10-05", "CT1P", "A1"),
        row(4, "2023-10-06", "CT1P", "A2"),
        row(5, "2023-10-07", "DHN", "B1"),
        row(6, "2023-11-01", "DHN", "B2"), // another month
    ];
    inspections(store, ImportMode::Strict, "sha-a", rows).await;
    let tests = vec![
        earthing(2, "2023-10-01", "Trường A", "P1", "2.5"),
        earthing(3, "2023-10-05", "Trường A", "P1", "2.7"),
        earthing(4, "2023-10-02", "Trường A", "P2", "3.1"),
    ];
    import(store, LogKind::Earthing, ImportMode::Strict, "sha-e", tests).await;
    assert_eq!(
        store.latest_record_date(lab).await.expect("latest"),
        Some(d("2023-11-01"))
    );
    let oct = month("2023-10", Scheme::Calendar);
    let (instruments, _, points) = figures(store, oct).await;
    let all = store
        .inspected_instruments(lab, oct.start, oct.end, None, Page::first(100))
        .await
        .expect("instruments");
    assert_eq!(all.total, instruments);
    let listed: Vec<(&str, u64)> = all
        .items
        .iter()
        .map(|i| (i.instrument.serial_number.as_str(), i.inspections))
        .collect();
    assert_eq!(listed, vec![("A1", 2), ("A2", 1), ("B1", 1)]);
    let first = store
        .inspected_instruments(lab, oct.start, oct.end, None, Page::first(2))
        .await
        .expect("instruments");
    assert_eq!(first.items, all.items[..2].to_vec());
    let next = store
        .inspected_instruments(
            lab,
            oct.start,
            oct.end,
            None,
            Page {
                limit: 2,
                after: Some(first.items[1].instrument.id),
            },
        )
        .await
        .expect("instruments");
    assert_eq!(next.items, all.items[2..].to_vec());
    assert_eq!(next.total, 3);
    let dhn = CategoryCode::parse("DHN").expect("code");
    let water = store
        .inspected_instruments(lab, oct.start, oct.end, Some(&dhn), Page::first(100))
        .await
        .expect("instruments");
    assert_eq!(water.total, 1);
    assert_eq!(water.items.len(), 1);
    assert_eq!(water.items[0].instrument.serial_number, "B1");

    let measured = store
        .measured_points(lab, oct.start, oct.end, Page::first(100))
        .await
        .expect("points");
    assert_eq!(measured.total, points);
    let listed: Vec<(&str, u64)> = measured
        .items
        .iter()
        .map(|p| (p.point.code.as_str(), p.tests))
        .collect();
    assert_eq!(listed, vec![("P1", 2), ("P2", 1)]);
    // The lists of events count every page.
    let in_october = |category: Option<&str>| InspectionFilter {
        from: Some(oct.start),
        to: Some(oct.end),
        category: category.map(|c| CategoryCode::parse(c).expect("code")),
        ..InspectionFilter::default()
    };
    assert_eq!(
        store
            .count_inspections(lab, &in_october(None))
            .await
            .expect("count"),
        4
    );
    assert_eq!(
        store
            .count_inspections(lab, &in_october(Some("CT1P")))
            .await
            .expect("count"),
        3
    );
    let tests = EarthingTestFilter {
        from: Some(oct.start),
        to: Some(oct.end),
        ..EarthingTestFilter::default()
    };
    assert_eq!(
        store
            .count_earthing_tests(lab, &tests)
            .await
            .expect("count"),
        3
    );
    let nov = month("2023-11", Scheme::Calendar);
    let none = store
        .measured_points(lab, nov.start, nov.end, Page::first(100))
        .await
        .expect("points");
    assert_eq!((none.total, none.items.len()), (0, 0));
}
