//! The store against a plain model ([`super::model`]) over random lab histories: imports
//! of small inspection and earthing logs (written as CSV and read by the real reader)
//! with repeated, conflicting and invalid rows, in every mode, the same files again,
//! voids and restores of earlier batches, and voids and amendments of one record
//! ([`super::property_records`]).

use std::collections::BTreeSet;
use std::io::Cursor;
use std::sync::atomic::{AtomicU32, Ordering};

use metrotrack_core::CategoryCatalog;
use metrotrack_import::{ReadOptions, read_log};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::model::{
    self, CATEGORIES, DATES, DueLine, EarthingTest, Inspection, Line, Model, Record, Verdict,
    Writing,
};
use super::model_records::Change;
use super::property_records::{Target, amend_record, change, note_ids, target, void_record};
use super::*;

/// Random choices for one record; [`record`] makes them consistent for its kind.
#[derive(Debug, Clone)]
pub(crate) struct Pick {
    date: usize,
    category_or_site: usize,
    maker: usize,
    serial_or_point: usize,
    kind: usize,
    pass: bool,
    error: Option<usize>,
    certificate: Option<usize>,
    stamp: Option<usize>,
    until: Option<usize>,
    technician: usize,
    ohms: usize,
}

/// One line of a log to be: a new record, an earlier record again (a duplicate), an
/// earlier record with one value changed (a conflict), or an unreadable line. `of`
/// picks among the earlier records of the log's kind (modulo their number).
#[derive(Debug, Clone)]
pub(crate) enum RowPlan {
    New(Pick, Writing),
    Again {
        of: usize,
        writing: Writing,
    },
    Changed {
        of: usize,
        change: usize,
        writing: Writing,
    },
    Invalid(Pick, Writing, usize),
}

/// One step of a lab's history.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Import {
        kind: LogKind,
        mode: ImportMode,
        delimiter: char,
        rows: Vec<RowPlan>,
    },
    /// An earlier log's file again (modulo their number), in `mode`.
    Again { of: usize, mode: ImportMode },
    /// Voids a live batch (modulo their number).
    Void { of: usize },
    /// Restores a voided batch (modulo their number).
    Restore { of: usize },
    /// Voids one record on its own.
    VoidRecord(Target),
    /// Amends one record.
    Amend(Target, Change),
}

fn pick() -> impl Strategy<Value = Pick> {
    (
        (
            0..DATES.len(),
            0..3usize,
            0..2usize,
            0..3usize,
            0..3usize,
            any::<bool>(),
        ),
        (
            prop::option::of(0..3usize),
            prop::option::weighted(0.3, 0..4usize),
            prop::option::weighted(0.3, 0..3usize),
            prop::option::weighted(0.4, 0..3usize),
            0..2usize,
            0..3usize,
        ),
    )
        .prop_map(
            |((date, category_or_site, maker, serial_or_point, kind, pass), rest)| {
                let (error, certificate, stamp, until, technician, ohms) = rest;
                Pick {
                    date,
                    category_or_site,
                    maker,
                    serial_or_point,
                    kind,
                    pass,
                    error,
                    certificate,
                    stamp,
                    until,
                    technician,
                    ohms,
                }
            },
        )
}

fn writing() -> impl Strategy<Value = Writing> {
    (
        any::<bool>(),
        0..3usize,
        0..3usize,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(iso_dates, category_form, spelling, english, decimal_comma, decomposed)| Writing {
                iso_dates,
                category_form,
                spelling,
                english,
                decimal_comma,
                decomposed,
            },
        )
}

fn row_plan() -> impl Strategy<Value = RowPlan> {
    prop_oneof![
        4 => (pick(), writing()).prop_map(|(p, w)| RowPlan::New(p, w)),
        3 => (0..64usize, writing()).prop_map(|(of, writing)| RowPlan::Again { of, writing }),
        2 => (0..64usize, 0..6usize, writing())
            .prop_map(|(of, change, writing)| RowPlan::Changed { of, change, writing }),
        1 => (pick(), writing(), 0..4usize).prop_map(|(p, w, b)| RowPlan::Invalid(p, w, b)),
    ]
}

fn mode() -> impl Strategy<Value = ImportMode> {
    prop_oneof![
        Just(ImportMode::Strict),
        Just(ImportMode::Partial),
        Just(ImportMode::DryRun)
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (
            prop_oneof![Just(LogKind::Inspections), Just(LogKind::Earthing)],
            mode(),
            prop_oneof![Just(';'), Just(',')],
            prop::collection::vec(row_plan(), 1..=12),
        )
            .prop_map(|(kind, mode, delimiter, rows)| Step::Import { kind, mode, delimiter, rows }),
        1 => (0..16usize, mode()).prop_map(|(of, mode)| Step::Again { of, mode }),
        2 => (0..16usize).prop_map(|of| Step::Void { of }),
        2 => (0..16usize).prop_map(|of| Step::Restore { of }),
        3 => target().prop_map(Step::VoidRecord),
        6 => (target(), change()).prop_map(|(t, c)| Step::Amend(t, c)),
    ]
}

/// A record of `kind` from `p`, its values made consistent: a verification has a
/// result, only a passed one may give a valid-until; a calibration makes no
/// conformity statement.
fn record(kind: LogKind, p: &Pick) -> Record {
    match kind {
        LogKind::Inspections => Record::Inspection(Inspection {
            date: p.date,
            category: p.category_or_site % CATEGORIES.len(),
            maker: p.maker,
            serial: p.serial_or_point,
            kind: p.kind,
            result: (p.kind != 1).then_some(p.pass),
            error: p.error,
            certificate: p.certificate,
            stamp: p.stamp,
            until: if p.kind == 0 && p.pass { p.until } else { None },
            technician: p.technician,
        }),
        LogKind::Earthing => Record::Earthing(EarthingTest {
            date: p.date,
            site: p.category_or_site % 2,
            point: p.serial_or_point,
            ohms: p.ohms,
            technician: p.technician,
        }),
    }
}

/// `r` with one recorded value (not its key) changed, as `change` says.
fn changed(r: &Record, change: usize) -> Record {
    let mut r = r.clone();
    match &mut r {
        Record::Inspection(i) => match change {
            1 => i.error = Some(i.error.map_or(0, |e| (e + 1) % 3)),
            2 => i.certificate = i.certificate.map_or(Some(0), |c| (c < 3).then_some(c + 1)),
            3 => i.stamp = i.stamp.map_or(Some(0), |s| (s < 2).then_some(s + 1)),
            4 if i.kind != 1 => {
                let pass = !i.result.unwrap_or(true);
                i.result = Some(pass);
                if !pass {
                    i.until = None;
                }
            }
            5 if i.kind == 0 && i.result == Some(true) => {
                i.until = match i.until {
                    None => Some(0),
                    Some(u) => Some((u + 1) % 3),
                }
            }
            _ => i.technician ^= 1,
        },
        Record::Earthing(e) => {
            if change.is_multiple_of(2) {
                e.technician ^= 1;
            } else {
                e.ohms = (e.ohms + 1) % 3;
            }
        }
    }
    r
}

/// The lines `rows` plan, given the records seen so far (extended with the new ones).
fn lines(kind: LogKind, rows: &[RowPlan], seen: &mut Vec<Record>) -> Vec<Line> {
    let mut out = Vec::new();
    for plan in rows {
        let earlier: Vec<&Record> = seen.iter().filter(|r| r.kind() == kind).collect();
        let line = match plan {
            RowPlan::New(p, w) => Line::Valid(record(kind, p), *w),
            RowPlan::Invalid(p, w, b) => Line::Invalid(record(kind, p), *w, *b),
            RowPlan::Again { of, writing } => match earlier.get(of % earlier.len().max(1)) {
                Some(r) => Line::Valid((*r).clone(), *writing),
                None => continue,
            },
            RowPlan::Changed {
                of,
                change,
                writing,
            } => match earlier.get(of % earlier.len().max(1)) {
                Some(r) => Line::Valid(changed(r, *change), *writing),
                None => continue,
            },
        };
        if let Line::Valid(r, _) = &line {
            seen.push(r.clone());
        }
        out.push(line);
    }
    out
}

/// Reads `text` with the real reader and stores it, as an upload does.
async fn upload<S: Store>(
    store: &S,
    request: BatchRequest,
    text: String,
) -> Result<ImportBatch, StoreError> {
    let catalog = CategoryCatalog::new(store.categories(request.lab).await?);
    let kind = request.kind;
    let (tx, rx) = mpsc::channel(4);
    let reader = tokio::task::spawn_blocking(move || {
        let summary = read_log(
            Cursor::new(text.into_bytes()),
            kind,
            &catalog,
            &ReadOptions::default(),
            |rows, _| tx.blocking_send(ImportEvent::Rows(rows)).is_ok(),
        );
        let _ = tx.blocking_send(ImportEvent::Finished(summary));
    });
    let stored = store.import_batch(request, rx).await;
    reader
        .await
        .map_err(|e| StoreError::Invalid(format!("the reader failed: {e}")))?;
    stored
}

pub(super) fn failed(what: &str) -> impl FnOnce(StoreError) -> TestCaseError + '_ {
    move |e| TestCaseError::fail(format!("{what}: {e}"))
}

/// The months [`new_lab`] plans for each category (so that the store reports each
/// category's figures in them), and the years.
const PLANNED_MONTHS: [(i32, u32); 6] = [
    (2022, 12),
    (2023, 1),
    (2023, 8),
    (2023, 9),
    (2023, 10),
    (2023, 11),
];
const PLANNED_YEARS: [i32; 2] = [2022, 2023];

/// A period whose figures are compared: its label and scheme, its first and last day
/// as the SPEC defines them (Decree 09: from the 15th of the month before the first
/// month to the 14th of the last), and whether every category has a target in it.
struct Compared {
    label: String,
    scheme: Scheme,
    start: NaiveDate,
    end: NaiveDate,
    planned: bool,
}

fn compared_periods() -> Vec<Compared> {
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let span = |year: i32, first: u32, last: u32, scheme: Scheme| match scheme {
        Scheme::Calendar => {
            let (y, m) = if last == 12 {
                (year + 1, 1)
            } else {
                (year, last + 1)
            };
            (ymd(year, first, 1), ymd(y, m, 1).pred_opt().expect("date"))
        }
        Scheme::Decree09 => {
            let (y, m) = if first == 1 {
                (year - 1, 12)
            } else {
                (year, first - 1)
            };
            (ymd(y, m, 15), ymd(year, last, 14))
        }
    };
    let mut out = Vec::new();
    for scheme in [Scheme::Calendar, Scheme::Decree09] {
        let mut add = |label: String, year, first, last, planned| {
            let (start, end) = span(year, first, last, scheme);
            out.push(Compared {
                label,
                scheme,
                start,
                end,
                planned,
            });
        };
        for (year, month) in PLANNED_MONTHS {
            add(format!("{year}-{month:02}"), year, month, month, true);
        }
        for (part, first, last) in [
            ("Q1", 1, 3),
            ("Q3", 7, 9),
            ("Q4", 10, 12),
            ("H1", 1, 6),
            ("H2", 7, 12),
        ] {
            add(format!("2023-{part}"), 2023, first, last, false);
        }
        for year in PLANNED_YEARS {
            add(year.to_string(), year, 1, 12, true);
        }
    }
    out
}

/// A lab of its own for each case (a case's history starts empty), with a plan for
/// each category and month so that the store reports each category's figures.
async fn new_lab<S: Store>(store: &S) -> Result<LabId, TestCaseError> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let code = format!("model-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let lab = store
        .create_lab(&code, "Phòng mô hình", "admin")
        .await
        .map_err(failed("create lab"))?
        .id;
    let labels = PLANNED_MONTHS
        .iter()
        .map(|(year, month)| format!("{year}-{month:02}"))
        .chain(PLANNED_YEARS.iter().map(|year| year.to_string()));
    for label in labels {
        for (code, ..) in CATEGORIES {
            for metric in [Metric::InstrumentsInspected, Metric::Inspections] {
                let target = plan(metric, Some(code), &label, 10);
                store
                    .set_plan(lab, &target, "supervisor")
                    .await
                    .map_err(failed("set plan"))?;
            }
        }
    }
    Ok(lab)
}

/// The batch the store answered against the model's verdict.
fn check_batch(
    got: &ImportBatch,
    want: &Verdict,
    model: &Model,
    context: &str,
) -> Result<(), TestCaseError> {
    let tally = (got.rows, got.inserted, got.duplicates, got.rejected);
    let expected = &want.tally;
    prop_assert_eq!(
        (got.outcome, tally),
        (
            want.outcome,
            (
                expected.rows,
                expected.inserted,
                expected.duplicates,
                expected.rejected
            )
        ),
        "{}\nproblems: {:?}",
        context,
        got.problems
    );
    let lines: BTreeSet<u64> = got.problems.iter().map(|p| p.line).collect();
    prop_assert_eq!(&lines, &want.rejected_lines, "{}", context);
    match (want.outcome, want.existing) {
        (BatchOutcome::AlreadyImported, Some(b)) => {
            prop_assert_eq!(got.id, model.batches[b].id, "{}", context)
        }
        (BatchOutcome::Stored, _) => prop_assert!(got.id.is_some(), "{}", context),
        _ => prop_assert_eq!(got.id, None, "{}", context),
    }
    Ok(())
}

/// Figures, due list and batches: the store's against the model's.
pub(super) async fn check_state<S: Store>(
    store: &S,
    lab: LabId,
    model: &Model,
    context: &str,
) -> Result<(), TestCaseError> {
    for Compared {
        label,
        scheme,
        start,
        end,
        planned,
    } in compared_periods()
    {
        let period = PeriodSpec::parse(&label).expect("period").resolve(scheme);
        let a = store
            .achievement(lab, period)
            .await
            .map_err(failed("achievement"))?;
        let actual = |metric: Metric, category: Option<&str>| {
            a.metrics
                .iter()
                .find(|m| m.metric == metric && m.category.as_ref().map(|c| c.as_str()) == category)
                .map(|m| m.actual)
        };
        let mut got = vec![(
            None,
            actual(Metric::InstrumentsInspected, None),
            actual(Metric::Inspections, None),
            actual(Metric::EarthingPointsMeasured, None),
        )];
        let all = model.figures(start, end, None);
        let mut want = vec![(None, Some(all.0), Some(all.1), Some(all.2))];
        for (c, (code, ..)) in CATEGORIES.iter().enumerate() {
            let (instruments, inspections) = (
                actual(Metric::InstrumentsInspected, Some(code)),
                actual(Metric::Inspections, Some(code)),
            );
            got.push((Some(*code), instruments, inspections, None));
            // A category's figures are reported where it has a target: in a quarter or
            // a half without targets of its own, compared where the store reports them.
            let (i, n, _) = model.figures(start, end, Some(c));
            want.push((
                Some(*code),
                (planned || instruments.is_some()).then_some(i),
                (planned || inspections.is_some()).then_some(n),
                None,
            ));
        }
        prop_assert_eq!(got, want, "{} {:?}: {}", label, scheme, context);
    }

    let as_of = d("2024-06-01");
    let days = 400;
    let mut got: Vec<DueLine> = store
        .due_list(lab, days, as_of, None, 1000)
        .await
        .map_err(failed("due list"))?
        .into_iter()
        .map(|e| DueLine {
            valid_until: e.valid_until,
            category: e.category.as_str().to_owned(),
            manufacturer: e.manufacturer.unwrap_or_default(),
            serial: model::serial_key(&e.serial_number),
            last_inspected_on: e.last_inspected_on,
            days_left: e.days_left,
            overdue: e.overdue,
        })
        .collect();
    prop_assert!(
        got.windows(2).all(|w| w[0].valid_until <= w[1].valid_until),
        "due list not soonest first: {:?}",
        got
    );
    got.sort();
    prop_assert_eq!(
        got,
        model.due(as_of, u64::from(days)),
        "due list: {}",
        context
    );

    let got: Vec<_> = store
        .batches(lab)
        .await
        .map_err(failed("batches"))?
        .into_iter()
        .map(|b| {
            let lines: BTreeSet<u64> = b.problems.iter().map(|p| p.line).collect();
            (
                b.id,
                b.kind,
                b.mode,
                (b.rows, b.inserted, b.duplicates, b.rejected),
                lines,
                b.voided_at.is_some(),
            )
        })
        .collect();
    let want: Vec<_> = model
        .batches
        .iter()
        .rev()
        .map(|b| {
            let t = b.tally;
            (
                b.id,
                b.kind,
                b.mode,
                (t.rows, t.inserted, t.duplicates, t.rejected),
                b.rejected_lines.clone(),
                b.voided,
            )
        })
        .collect();
    prop_assert_eq!(got, want, "batches: {}", context);
    Ok(())
}

/// Runs one history on a new lab of `store`, checking every step against the model.
async fn run_history<S: Store>(store: &S, steps: &[Step]) -> Result<(), TestCaseError> {
    let lab = new_lab(store).await?;
    let mut model = Model::default();
    let mut seen: Vec<Record> = Vec::new();
    // Every log so far: its kind, text and lines.
    let mut logs: Vec<(LogKind, String, Vec<Line>)> = Vec::new();
    for (n, step) in steps.iter().enumerate() {
        let (kind, mode, text, lines) = match step {
            Step::Import {
                kind,
                mode,
                delimiter,
                rows,
            } => {
                let lines = lines(*kind, rows, &mut seen);
                if lines.is_empty() {
                    continue;
                }
                let text = model::csv(*kind, &lines, *delimiter);
                logs.push((*kind, text.clone(), lines.clone()));
                (*kind, *mode, text, lines)
            }
            Step::Again { of, mode } => {
                let Some((kind, text, lines)) = logs.get(of % logs.len().max(1)).cloned() else {
                    continue;
                };
                (kind, *mode, text, lines)
            }
            Step::Void { of } => {
                let live = model.live_batches();
                let Some(&b) = live.get(of % live.len().max(1)) else {
                    continue;
                };
                let id = model.batches[b].id.expect("stored batch id");
                let voided = store
                    .void_batch(lab, id, "supervisor", "nhập nhầm tệp")
                    .await
                    .map_err(failed("void"))?;
                prop_assert_eq!(voided.id, Some(id));
                prop_assert!(
                    voided.voided_at.is_some(),
                    "step {}: void of batch {}",
                    n,
                    id
                );
                model.void(b);
                check_state(store, lab, &model, &format!("step {n}: void of batch {id}")).await?;
                continue;
            }
            Step::Restore { of } => {
                let voided = model.voided_batches();
                let Some(&b) = voided.get(of % voided.len().max(1)) else {
                    continue;
                };
                let id = model.batches[b].id.expect("stored batch id");
                let restored = store.restore_batch(lab, id, "supervisor").await;
                let context = format!("step {n}: restore of batch {id}");
                match (model.restore(b), restored) {
                    (true, Ok(batch)) => {
                        prop_assert_eq!(batch.id, Some(id), "{}", context);
                        prop_assert!(batch.voided_at.is_none(), "{}", context);
                    }
                    (false, Err(StoreError::Conflict(_))) => {}
                    (want, got) => {
                        return Err(TestCaseError::fail(format!(
                            "{context}: the model {} it, the store answered {got:?}",
                            if want { "restores" } else { "refuses" }
                        )));
                    }
                }
                check_state(store, lab, &model, &context).await?;
                continue;
            }
            Step::VoidRecord(target) => {
                void_record(store, lab, &mut model, *target, n).await?;
                continue;
            }
            Step::Amend(target, change) => {
                amend_record(store, lab, &mut model, &mut seen, *target, *change, n).await?;
                continue;
            }
        };
        let context = format!("step {n}: {kind} in {mode}:\n{text}");
        let want = model.import(kind, mode, &text, &lines);
        let request = BatchRequest {
            lab,
            kind,
            mode,
            file_name: format!("log-{n}.csv"),
            uploaded_by: "technician".into(),
        };
        let got = upload(store, request, text)
            .await
            .map_err(failed("import"))?;
        check_batch(&got, &want, &model, &context)?;
        if want.outcome == BatchOutcome::Stored
            && let Some(batch) = model.batches.last_mut()
        {
            batch.id = got.id;
            let b = model.batches.len() - 1;
            note_ids(store, lab, &mut model, b).await?;
        }
        check_state(store, lab, &model, &context).await?;
    }
    Ok(())
}

/// Over random histories of imports (new rows, the same rows again in other
/// spellings, changed rows, unreadable rows; strict, partial and dry runs; the same
/// file again), voids and restores of batches, voids of one record (then of its batch,
/// and its restore) and amendments of one record (its date, result and valid-until,
/// certificate or stamp number, instrument; an earthing test's date, resistance and
/// technician; accepted or refused as the SPEC's rules say), the store's batches and
/// their counts, the monthly figures of each category under both schemes, the due list
/// and each amended record's versions equal a plain model's, step by step. Each history runs on a lab of its own; failures shrink to a short history.
pub fn store_agrees_with_the_model<S: Store>(runtime: &tokio::runtime::Runtime, store: &S) {
    // 24 histories by default; `PROPTEST_CASES` asks for more (or fewer).
    let defaults = Config::default();
    let config = Config {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            defaults.cases
        } else {
            24
        },
        failure_persistence: None,
        ..defaults
    };
    let mut runner = TestRunner::new(config);
    let histories = prop::collection::vec(step(), 2..=12);
    if let Err(e) = runner.run(&histories, |steps| {
        runtime.block_on(run_history(store, &steps))
    }) {
        panic!("{e}");
    }
}
