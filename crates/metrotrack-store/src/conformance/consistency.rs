//! The kept tallies and due dates against what the records themselves say.

use super::*;

/// The figures of every period (read from tallies the database keeps) and the due list
/// (kept on each instrument) equal what the records themselves say, through imports in
/// any date order, several inspections of one instrument on one day, gaps of over a
/// year, and voids.
///
/// [`Store::verify`], which recomputes the same from the records in the database, agrees
/// throughout: no difference after the imports and after each void.
pub async fn figures_and_due_list_match_the_records<S: Store>(store: &S) {
    assert!(
        store.is_empty().await.expect("is_empty"),
        "a fresh store holds nothing written"
    );
    assert_eq!(store.verify().await.expect("verify"), vec![]);
    let lab = lab(store).await;
    // A deterministic spread: 30 instruments in two categories, dates over 26 months.
    let mut state: u64 = 0x5eed;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let start = d("2022-10-01");
    let mut seen = std::collections::HashSet::new();
    // (batch, category, serial, kind, date, valid until)
    let mut records = Vec::new();
    while records.len() < 240 {
        let instrument = next(30);
        let category = if instrument % 3 == 0 { "DHN" } else { "CT1P" };
        let serial = format!("S{instrument}");
        let kind = if next(4) == 0 {
            InspectionKind::Calibration
        } else {
            InspectionKind::Verification
        };
        let date = start + chrono::Days::new(next(800));
        if !seen.insert((serial.clone(), kind, date)) {
            continue;
        }
        let valid_until = (kind == InspectionKind::Verification && next(5) != 0)
            .then(|| date + chrono::Days::new(300 + next(200)));
        records.push((next(4), category, serial, kind, date, valid_until));
    }
    let mut batches = Vec::new();
    for batch in 0..4 {
        let rows: Vec<ParsedRow> = records
            .iter()
            .filter(|r| r.0 == batch)
            .enumerate()
            .map(|(i, (_, category, serial, kind, date, valid_until))| {
                let date_text = date.format("%Y-%m-%d").to_string();
                // The last batch's lines go back now and then (2, 3, …, 6, 3, 4, …): a
                // store must count each row once however its chunks fall.
                let i = i as u64;
                let line = if batch == 3 { 2 + i % 5 + i / 5 } else { i + 2 };
                row_with(line, &date_text, category, serial, |r| {
                    r.kind = *kind;
                    r.valid_until = *valid_until;
                    if *kind == InspectionKind::Calibration {
                        r.result = None;
                    }
                })
            })
            .collect();
        let stored = inspections(store, ImportMode::Strict, &format!("sha-{batch}"), rows).await;
        assert_eq!(
            stored.outcome,
            BatchOutcome::Stored,
            "{:?}",
            stored.problems
        );
        batches.push(stored.id.expect("id"));
    }
    // Plans for DHN make its own figures part of every period's achievement.
    for year in [2023, 2024] {
        let y = PeriodSpec::Year { year };
        for spec in y.months().into_iter().chain([y]) {
            for metric in [Metric::InstrumentsInspected, Metric::Inspections] {
                let target = plan(metric, Some("DHN"), &spec.to_string(), 1);
                store
                    .set_plan(lab, &target, "supervisor")
                    .await
                    .expect("plan");
            }
        }
    }
    let mut live: Vec<bool> = vec![true; 4];
    let check = |live: Vec<bool>| {
        let records = &records;
        async move {
            let live: Vec<_> = records.iter().filter(|r| live[r.0 as usize]).collect();
            for year in [2023, 2024] {
                for scheme in [Scheme::Decree09, Scheme::Calendar] {
                    let y = PeriodSpec::Year { year };
                    let mut specs = y.months();
                    specs.extend(
                        ["Q1", "Q2", "Q3", "Q4", "H1", "H2"]
                            .map(|p| PeriodSpec::parse(&format!("{year}-{p}")).expect("period")),
                    );
                    specs.push(y);
                    for spec in specs {
                        let period = spec.resolve(scheme);
                        let inside: Vec<_> = live
                            .iter()
                            .filter(|r| (period.start..=period.end).contains(&r.4))
                            .collect();
                        let instruments: std::collections::HashSet<_> =
                            inside.iter().map(|r| (r.1, r.2.as_str())).collect();
                        for category in [None, Some("DHN")] {
                            let expected = (
                                instruments
                                    .iter()
                                    .filter(|i| category.is_none_or(|c| i.0 == c))
                                    .count() as u64,
                                inside
                                    .iter()
                                    .filter(|r| category.is_none_or(|c| r.1 == c))
                                    .count() as u64,
                            );
                            let a = store.achievement(lab, period).await.expect("achievement");
                            let code = category.map(|c| CategoryCode::parse(c).expect("code"));
                            let of = |m: Metric| {
                                a.metrics
                                    .iter()
                                    .find(|x| x.metric == m && x.category == code)
                                    .map(|x| x.actual)
                            };
                            let got = (
                                of(Metric::InstrumentsInspected).expect("instruments"),
                                of(Metric::Inspections).expect("inspections"),
                            );
                            assert_eq!(got, expected, "{spec} {scheme:?} {category:?}");
                        }
                    }
                }
            }
            // The due list: each instrument's latest valid inspection, soonest first.
            let as_of = d("2024-06-01");
            let mut latest: std::collections::BTreeMap<&str, (NaiveDate, NaiveDate)> =
                Default::default();
            for r in &live {
                if let Some(until) = r.5 {
                    let e = latest.entry(r.2.as_str()).or_insert((r.4, until));
                    if r.4 > e.0 {
                        *e = (r.4, until);
                    }
                }
            }
            let mut expected: Vec<(NaiveDate, String)> = latest
                .iter()
                .filter(|(_, (_, until))| *until <= d("2024-07-01"))
                .map(|(serial, (_, until))| (*until, (*serial).to_owned()))
                .collect();
            expected.sort();
            let due = store
                .due_list(lab, 30, as_of, None, 1000)
                .await
                .expect("due list");
            counts_are_the_list(store, lab, 30, as_of, &due).await;
            let got: Vec<(NaiveDate, String)> = due
                .into_iter()
                .map(|e| (e.valid_until, e.serial_number))
                .collect();
            assert_eq!(got, expected);
        }
    };
    check(live.clone()).await;
    assert!(!store.is_empty().await.expect("is_empty"));
    assert_eq!(store.verify().await.expect("verify"), vec![]);
    for voided in [2, 0] {
        store
            .void_batch(lab, batches[voided], "supervisor", "test")
            .await
            .expect("void");
        live[voided] = false;
        check(live.clone()).await;
        assert_eq!(
            store.verify().await.expect("verify"),
            vec![],
            "after a void"
        );
    }
}
