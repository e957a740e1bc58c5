//! Building blocks of the checks: rows, files, imports and figures, for the suite and
//! for the backends' own tests.

use super::*;

// ----- helpers ---------------------------------------------------------------------

/// The due counts within `within` days as of `as_of` are those of `list`, the whole due
/// list of the same days: its overdue entries and the rest. (The counts are kept per
/// day apart from the list, migration 0014.)
pub async fn counts_are_the_list<S: Store>(
    store: &S,
    lab: LabId,
    within: u32,
    as_of: NaiveDate,
    list: &[DueEntry],
) {
    let counts = store
        .due_counts(lab, within, as_of)
        .await
        .expect("due counts");
    let overdue = list.iter().filter(|e| e.overdue).count() as u64;
    assert_eq!(
        (counts.overdue, counts.due_soon),
        (overdue, list.len() as u64 - overdue),
        "the due counts are the due list's"
    );
}

/// A date from `YYYY-MM-DD`.
pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

/// A passed verification of `serial` (category `category`) on `date`, at `line`.
pub fn verification(line: u64, date: &str, category: &str, serial: &str) -> Sourced<NewInspection> {
    Sourced {
        line,
        original: vec![
            ("Ngày kiểm định".into(), date.into()),
            ("Tên PTĐ".into(), category.into()),
            ("Số sản xuất".into(), serial.into()),
        ],
        record: NewInspection {
            date: d(date),
            category: CategoryCode::parse(category).expect("category code"),
            serial: SerialNumber::parse(serial).expect("serial"),
            model: Some("M-1".into()),
            manufacturer: Some("Công ty ABC".into()),
            owner: Some("Điện lực".into()),
            kind: InspectionKind::Verification,
            verification_type: None,
            procedure: Some("ĐLVN 07:2012".into()),
            result: Some(Outcome::Pass),
            error_percent: Some("0.5".parse().expect("decimal")),
            certificate_no: None,
            stamp_no: None,
            valid_until: None,
            technician: "Nguyễn Văn An".into(),
            checked_by: None,
            notes: None,
        },
    }
}

/// [`verification`] as a row.
pub fn row(line: u64, date: &str, category: &str, serial: &str) -> ParsedRow {
    ParsedRow::Inspection(verification(line, date, category, serial))
}

/// [`verification`], changed by `f`, as a row.
pub fn row_with(
    line: u64,
    date: &str,
    category: &str,
    serial: &str,
    f: impl FnOnce(&mut NewInspection),
) -> ParsedRow {
    let mut s = verification(line, date, category, serial);
    f(&mut s.record);
    ParsedRow::Inspection(s)
}

/// An earthing test of `point` at `site` on `date`, measuring `ohms`, at `line`.
pub fn earthing_test(
    line: u64,
    date: &str,
    site: &str,
    point: &str,
    ohms: &str,
) -> Sourced<NewEarthingTest> {
    Sourced {
        line,
        original: vec![
            ("Ngày đo".into(), date.into()),
            ("Công trình".into(), site.into()),
            ("Điểm đo".into(), point.into()),
            ("Điện trở".into(), ohms.into()),
        ],
        record: NewEarthingTest {
            date: d(date),
            site: site.into(),
            point: PointCode::parse(point).expect("point code"),
            system: None,
            resistance: Ohms::parse(ohms).expect("ohms"),
            limit: None,
            method: None,
            tester_serial: Some("K-4105A".into()),
            weather: None,
            technician: "Trần Bình".into(),
            notes: None,
        },
    }
}

/// [`earthing_test`] as a row.
pub fn earthing(line: u64, date: &str, site: &str, point: &str, ohms: &str) -> ParsedRow {
    ParsedRow::Earthing(earthing_test(line, date, site, point, ohms))
}

/// A row the reader could not read.
pub fn invalid(line: u64, problems: usize) -> ParsedRow {
    ParsedRow::Invalid {
        line,
        problems: (0..problems)
            .map(|i| {
                Problem::new(
                    line,
                    Some("Ngày kiểm định"),
                    Some("31/02/2023"),
                    Msg::DateImpossible {
                        written: "31/02/2023".into(),
                        month: 2,
                        year: 2023,
                        days: 28 + u32::try_from(i).unwrap_or(0),
                        year_first: false,
                    },
                )
            })
            .collect(),
    }
}

/// A file's summary with no warning or fatal problem.
pub fn summary(sha: &str) -> FileSummary {
    FileSummary {
        sha256: sha.into(),
        size_bytes: 1234,
        warnings: vec![Problem::new(1, Some("Cột lạ"), None, Msg::ColumnUnknown {})],
        fatal: Vec::new(),
        columns: Vec::new(),
        layout: None,
    }
}

/// The request for a file of `kind` in `mode` to the default lab.
pub async fn request<S: Store>(store: &S, kind: LogKind, mode: ImportMode) -> BatchRequest {
    BatchRequest {
        lab: store.default_lab().await.expect("default lab"),
        kind,
        mode,
        file_name: "log.csv".into(),
        uploaded_by: "technician".into(),
    }
}

/// Streams `rows` (three per event) and then `finished`, if any, into an import.
pub async fn send<S: Store>(
    store: &S,
    request: BatchRequest,
    rows: Vec<ParsedRow>,
    finished: Option<FileSummary>,
) -> Result<ImportBatch, StoreError> {
    let (tx, rx) = mpsc::channel(2);
    let feeder = tokio::spawn(async move {
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<ParsedRow> = rows.by_ref().take(3).collect();
            if tx.send(ImportEvent::Rows(chunk)).await.is_err() {
                return;
            }
        }
        if let Some(summary) = finished {
            let _ = tx.send(ImportEvent::Finished(summary)).await;
        }
    });
    let result = store.import_batch(request, rx).await;
    feeder.await.expect("feeder task");
    result
}

/// Imports `rows` as the file with hash `sha`.
pub async fn import<S: Store>(
    store: &S,
    kind: LogKind,
    mode: ImportMode,
    sha: &str,
    rows: Vec<ParsedRow>,
) -> ImportBatch {
    let request = request(store, kind, mode).await;
    send(store, request, rows, Some(summary(sha)))
        .await
        .expect("import runs")
}

/// Imports an inspections log.
pub async fn inspections<S: Store>(
    store: &S,
    mode: ImportMode,
    sha: &str,
    rows: Vec<ParsedRow>,
) -> ImportBatch {
    import(store, LogKind::Inspections, mode, sha, rows).await
}

/// The period from 2000 to 2099: everything the tests store.
pub fn all_time() -> ReportingPeriod {
    ReportingPeriod {
        spec: PeriodSpec::Year { year: 2023 },
        scheme: Scheme::Calendar,
        start: d("2000-01-01"),
        end: d("2099-12-31"),
    }
}

/// (instruments inspected, inspections, earthing points measured) in `period`.
pub async fn figures<S: Store>(store: &S, period: ReportingPeriod) -> (u64, u64, u64) {
    let lab = store.default_lab().await.expect("default lab");
    let a = store.achievement(lab, period).await.expect("achievement");
    let of = |m| a.overall(m).map_or(u64::MAX, |x| x.actual);
    (
        of(Metric::InstrumentsInspected),
        of(Metric::Inspections),
        of(Metric::EarthingPointsMeasured),
    )
}

/// Everything stored, lab-wide.
pub async fn totals<S: Store>(store: &S) -> (u64, u64, u64) {
    figures(store, all_time()).await
}

pub(crate) fn month(label: &str, scheme: Scheme) -> ReportingPeriod {
    PeriodSpec::parse(label).expect("period").resolve(scheme)
}

pub(crate) async fn lab<S: Store>(store: &S) -> LabId {
    store.default_lab().await.expect("default lab")
}

/// Three clean verifications in October 2023: two CT1P meters and a water meter.
pub fn three_rows() -> Vec<ParsedRow> {
    vec![
        row(2, "2023-10-01", "CT1P", "A1"),
        row(3, "2023-10-02", "DHN", "B1"),
        row(4, "2023-10-03", "CT1P", "A2"),
    ]
}

// ----- labs, accounts and the audit log --------------------------------------------

pub(crate) fn new_user(username: &str, role: Role) -> NewUser {
    NewUser {
        username: username.into(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt${username}"),
        role,
    }
}

pub(crate) fn new_token(name: &str, role: Role, user_id: Option<i64>, hash: &str) -> NewToken {
    NewToken {
        name: name.into(),
        role,
        user_id,
        token_hash: hash.into(),
    }
}

/// A plan target of `target` for `metric` (of `category`, if any) in `period`.
pub(crate) fn plan(
    metric: Metric,
    category: Option<&str>,
    period: &str,
    target: u64,
) -> PlanTarget {
    PlanTarget::new(
        metric,
        category.map(|c| CategoryCode::parse(c).expect("code")),
        PeriodSpec::parse(period).expect("period"),
        target,
    )
    .expect("plan")
}
