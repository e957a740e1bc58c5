//! A plain model of a lab's records, written from SPEC.md's rules alone, for the
//! store-vs-model property ([`store_agrees_with_the_model`](super::store_agrees_with_the_model)).
//!
//! Records are small indexes into fixed pools of values; each is written out as a CSV
//! line in one of several equivalent ways (a category's code or either name, `2,5` or
//! `2.5`, ISO or day-first dates, a serial with other case and spaces, NFD text), so the
//! real reader and the real store both take part. The model knows nothing of either:
//! it applies the SPEC's rules to the records themselves.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, Months, NaiveDate};
use metrotrack_core::{BatchOutcome, ImportMode, LogKind};

/// Inspection and test dates: two months and a half, with the Decree 09 month edges
/// (the 14th and the 15th) and month ends, and one across the year's edge. Each is
/// before every date in [`VALID_UNTIL`].
pub(crate) const DATES: [&str; 8] = [
    "2023-08-10",
    "2023-08-31",
    "2023-09-14",
    "2023-09-15",
    "2023-10-01",
    "2023-10-14",
    "2023-10-31",
    // In Decree 09's 2023 and the calendar's 2022.
    "2022-12-20",
];

/// (code, Vietnamese name, English name, cycle in months), as SPEC.md's table has them.
pub(crate) const CATEGORIES: [(&str, &str, &str, u32); 3] = [
    ("CPT", "Cân phân tích", "Analytical balance", 12),
    ("TXM", "Taximet", "Taximeter", 18),
    (
        "CT1P",
        "Công tơ điện 1 pha",
        "Single-phase electricity meter",
        60,
    ),
];

pub(crate) const MAKERS: [&str; 2] = ["ABC", "XYZ"];

/// Serial numbers, each in ways that compare equal (trimmed, case-folded, inner spaces
/// removed); the first is the key's spelling.
/// The last is reached only by amendments (an instrument first seen there).
pub(crate) const SERIALS: [&[&str]; 4] = [
    &["A1", "a1", "A 1"],
    &["B22", "b22", " B 22 "],
    &["C3", "c3"],
    &["D44", "d44"],
];

/// Measured errors (%), with a decimal point and a decimal comma.
pub(crate) const ERRORS: [[&str; 2]; 3] = [["0.5", "0,5"], ["-1.2", "-1,2"], ["0.05", "0,05"]];

pub(crate) const CERTIFICATES: [&str; 4] = ["GCN-01", "GCN-02", "GCN-03", "GCN-04"];
pub(crate) const STAMPS: [&str; 3] = ["T-1", "T-2", "T-3"];

/// Valid-until dates a log may give; none equals a date plus a cycle above.
pub(crate) const VALID_UNTIL: [&str; 3] = ["2024-01-15", "2024-03-31", "2025-06-30"];

/// Technicians, precomposed (NFC) and decomposed (NFD).
pub(crate) const TECHNICIANS: [[&str; 2]; 2] = [
    ["Nguyễn Văn An", "Nguye\u{302}\u{303}n Va\u{306}n An"],
    ["Lê Thị Bình", "Le\u{302} Thi\u{323} Bi\u{300}nh"],
];

pub(crate) const SITES: [&str; 2] = ["Trạm 110kV Bắc", "Nhà máy nước"];

/// Earthing point codes, each in ways that compare equal.
pub(crate) const POINTS: [&[&str]; 3] = [
    &["P1", "p1", "P 1"],
    &["P2", "p2"],
    &["N-3", "n-3", " N-3 "],
];

/// Resistances (Ω), with a decimal point and a decimal comma.
pub(crate) const OHMS: [[&str; 2]; 3] = [["2.5", "2,5"], ["3.15", "3,15"], ["12.4", "12,4"]];

pub(crate) fn date(i: usize) -> NaiveDate {
    NaiveDate::parse_from_str(DATES[i], "%Y-%m-%d").expect("model date")
}

fn until_date(i: usize) -> NaiveDate {
    NaiveDate::parse_from_str(VALID_UNTIL[i], "%Y-%m-%d").expect("model date")
}

/// Inspection kinds, by index: SPEC's `verification`, `calibration`, `test`.
pub(crate) const VERIFICATION: usize = 0;
pub(crate) const CALIBRATION: usize = 1;

/// An inspection, as indexes into the pools above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inspection {
    pub date: usize,
    pub category: usize,
    pub maker: usize,
    pub serial: usize,
    pub kind: usize,
    /// `Some(true)` pass, `Some(false)` fail, `None` no conformity statement.
    pub result: Option<bool>,
    pub error: Option<usize>,
    pub certificate: Option<usize>,
    pub stamp: Option<usize>,
    /// The valid-until the log gives (only on passed verifications).
    pub until: Option<usize>,
    pub technician: usize,
}

/// An earthing test, as indexes into the pools above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EarthingTest {
    pub date: usize,
    pub site: usize,
    pub point: usize,
    pub ohms: usize,
    pub technician: usize,
}

/// A record a log line holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    Inspection(Inspection),
    Earthing(EarthingTest),
}

/// A natural key (SPEC §2): an inspection's instrument (category, manufacturer, serial),
/// kind and date; an earthing test's point (site, code) and date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    Inspection(usize, usize, usize, usize, usize),
    Earthing(usize, usize, usize),
}

impl Inspection {
    /// The valid-until after reading: the log's, or for a passed verification the date
    /// plus the category's cycle in calendar months (the day clamped to the month's end).
    pub fn valid_until(&self) -> Option<NaiveDate> {
        if let Some(i) = self.until {
            return Some(until_date(i));
        }
        (self.kind == VERIFICATION && self.result == Some(true)).then(|| {
            date(self.date)
                .checked_add_months(Months::new(CATEGORIES[self.category].3))
                .expect("date in range")
        })
    }

    /// The values compared for "the same record": everything but the key (the
    /// valid-until as read, given or derived).
    fn same_values(&self, other: &Self) -> bool {
        (self.result, self.error, self.certificate, self.stamp)
            == (other.result, other.error, other.certificate, other.stamp)
            && self.valid_until() == other.valid_until()
            && self.technician == other.technician
    }
}

impl Record {
    pub fn key(&self) -> Key {
        match self {
            Self::Inspection(r) => Key::Inspection(r.category, r.maker, r.serial, r.kind, r.date),
            Self::Earthing(r) => Key::Earthing(r.site, r.point, r.date),
        }
    }

    pub fn kind(&self) -> LogKind {
        match self {
            Self::Inspection(_) => LogKind::Inspections,
            Self::Earthing(_) => LogKind::Earthing,
        }
    }

    fn same_values(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Inspection(a), Self::Inspection(b)) => a.same_values(b),
            (Self::Earthing(a), Self::Earthing(b)) => {
                (a.ohms, a.technician) == (b.ohms, b.technician)
            }
            _ => false,
        }
    }

    pub(crate) fn numbers(&self) -> (Option<usize>, Option<usize>) {
        match self {
            Self::Inspection(r) => (r.certificate, r.stamp),
            Self::Earthing(_) => (None, None),
        }
    }
}

/// How a record is written on its line: each choice reads back as the same values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Writing {
    pub iso_dates: bool,
    /// The category as its code, Vietnamese or English name (0, 1, 2).
    pub category_form: usize,
    /// Which spelling of the serial number or point code.
    pub spelling: usize,
    /// English words (`pass`, `calibration`) rather than Vietnamese ones.
    pub english: bool,
    pub decimal_comma: bool,
    pub decomposed: bool,
}

/// What makes an invalid line invalid (taken modulo the kind's choices).
pub(crate) type Breakage = usize;

/// One data line of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    Valid(Record, Writing),
    Invalid(Record, Writing, Breakage),
}

pub(crate) const INSPECTION_HEADER: [&str; 11] = [
    "Ngày kiểm định",
    "Tên PTĐ",
    "Số sản xuất",
    "Nhà sản xuất",
    "Hình thức",
    "Kết quả",
    "Sai số (%)",
    "Số GCN",
    "Số tem",
    "Hiệu lực đến",
    "Người thực hiện",
];

pub(crate) const EARTHING_HEADER: [&str; 5] = [
    "Ngày đo",
    "Công trình",
    "Điểm đo",
    "Điện trở (Ω)",
    "Người đo",
];

fn written_date(d: NaiveDate, iso: bool) -> String {
    if iso {
        d.format("%Y-%m-%d").to_string()
    } else {
        d.format("%d/%m/%Y").to_string()
    }
}

fn inspection_fields(r: &Inspection, w: Writing) -> Vec<String> {
    let category = CATEGORIES[r.category];
    let spellings = SERIALS[r.serial];
    let kind = match (r.kind, w.english) {
        (VERIFICATION, false) => "Kiểm định",
        (VERIFICATION, true) => "verification",
        (CALIBRATION, false) => "Hiệu chuẩn",
        (CALIBRATION, true) => "calibration",
        (_, false) => "Thử nghiệm",
        (_, true) => "test",
    };
    let result = match (r.result, w.english) {
        (None, _) => "",
        (Some(true), false) => "Đạt",
        (Some(true), true) => "pass",
        (Some(false), false) => "Không đạt",
        (Some(false), true) => "fail",
    };
    vec![
        written_date(date(r.date), w.iso_dates),
        [category.0, category.1, category.2][w.category_form % 3].to_owned(),
        spellings[w.spelling % spellings.len()].to_owned(),
        MAKERS[r.maker].to_owned(),
        kind.to_owned(),
        result.to_owned(),
        r.error.map_or(String::new(), |e| {
            ERRORS[e][usize::from(w.decimal_comma)].to_owned()
        }),
        r.certificate
            .map_or(String::new(), |c| CERTIFICATES[c].to_owned()),
        r.stamp.map_or(String::new(), |s| STAMPS[s].to_owned()),
        r.until
            .map_or(String::new(), |u| written_date(until_date(u), w.iso_dates)),
        TECHNICIANS[r.technician][usize::from(w.decomposed)].to_owned(),
    ]
}

fn earthing_fields(r: &EarthingTest, w: Writing) -> Vec<String> {
    let spellings = POINTS[r.point];
    vec![
        written_date(date(r.date), w.iso_dates),
        SITES[r.site].to_owned(),
        spellings[w.spelling % spellings.len()].to_owned(),
        OHMS[r.ohms][usize::from(w.decimal_comma)].to_owned(),
        TECHNICIANS[r.technician][usize::from(w.decomposed)].to_owned(),
    ]
}

/// A line's fields, broken as `breakage` says when given: each way leaves exactly one
/// problem a reader must find.
fn fields(record: &Record, w: Writing, breakage: Option<Breakage>) -> Vec<String> {
    match record {
        Record::Inspection(r) => {
            let mut f = inspection_fields(r, w);
            match breakage.map(|b| b % 4) {
                Some(0) => f[0] = "31/02/2023".into(),
                Some(1) => f[1] = "Cân không có".into(),
                Some(2) => {
                    // A verification without a result.
                    f[4] = "Kiểm định".into();
                    f[5] = String::new();
                    f[9] = String::new();
                }
                Some(_) => f[10] = String::new(),
                None => {}
            }
            f
        }
        Record::Earthing(r) => {
            let mut f = earthing_fields(r, w);
            match breakage.map(|b| b % 4) {
                Some(0) => f[0] = "31/02/2023".into(),
                Some(1) => f[3] = "abc".into(),
                Some(2) => f[2] = String::new(),
                Some(_) => f[4] = String::new(),
                None => {}
            }
            f
        }
    }
}

/// The CSV text of a log of `kind` with these lines, `delimiter`-separated.
pub(crate) fn csv(kind: LogKind, lines: &[Line], delimiter: char) -> String {
    let header: &[&str] = match kind {
        LogKind::Inspections => &INSPECTION_HEADER,
        LogKind::Earthing => &EARTHING_HEADER,
    };
    let quote = |f: &str| {
        if f.contains(delimiter) || f.contains('"') {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.to_owned()
        }
    };
    let join = |fields: Vec<String>| {
        fields
            .iter()
            .map(|f| quote(f))
            .collect::<Vec<_>>()
            .join(&delimiter.to_string())
    };
    let mut out = join(header.iter().map(|h| (*h).to_owned()).collect());
    out.push_str("\r\n");
    for line in lines {
        let f = match line {
            Line::Valid(r, w) => fields(r, *w, None),
            Line::Invalid(r, w, b) => fields(r, *w, Some(*b)),
        };
        out.push_str(&join(f));
        out.push_str("\r\n");
    }
    out
}

/// A batch's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Tally {
    pub rows: u64,
    pub inserted: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

/// What the model says of one import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub outcome: BatchOutcome,
    pub tally: Tally,
    /// The lines with problems.
    pub rejected_lines: BTreeSet<u64>,
    /// For a file imported before, which of the model's batches answers.
    pub existing: Option<usize>,
}

/// A stored batch.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    /// The store's id, once it has answered.
    pub id: Option<i64>,
    pub kind: LogKind,
    pub mode: ImportMode,
    pub tally: Tally,
    pub rejected_lines: BTreeSet<u64>,
    pub voided: bool,
    /// The file's text.
    file: String,
}

/// A stored record: its values now, the versions an amendment replaced, its batch and
/// line, the store's id once known, and whether it was voided on its own.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub record: Record,
    pub batch: usize,
    pub line: u64,
    pub id: Option<i64>,
    pub voided_alone: bool,
    /// The versions it had before, oldest first.
    pub earlier: Vec<Record>,
}

/// A lab's records and batches, by the SPEC's rules.
#[derive(Debug, Default)]
pub(crate) struct Model {
    /// Every stored record.
    pub records: Vec<Stored>,
    pub batches: Vec<Batch>,
    /// Stored batches by their file's bytes (the same bytes, the same SHA-256).
    by_file: BTreeMap<String, usize>,
}

impl Model {
    /// Whether a stored record counts: neither it nor its batch is voided.
    pub fn is_live(&self, s: &Stored) -> bool {
        !s.voided_alone && !self.batches[s.batch].voided
    }

    /// The records that count.
    pub fn live(&self) -> impl Iterator<Item = &Record> {
        self.records
            .iter()
            .filter(|s| self.is_live(s))
            .map(|s| &s.record)
    }

    /// Imports `text`, whose data lines are `lines`, in `mode`.
    pub fn import(
        &mut self,
        kind: LogKind,
        mode: ImportMode,
        text: &str,
        lines: &[Line],
    ) -> Verdict {
        // The same file is one batch; but a batch voided (rolled back) or one that stored
        // nothing no longer holds its file, which then imports as a new batch (the
        // project's reading, checked by the suite's own examples).
        if let Some(&b) = self.by_file.get(text)
            && !self.batches[b].voided
            && self.batches[b].tally.inserted > 0
        {
            let batch = &self.batches[b];
            return Verdict {
                outcome: BatchOutcome::AlreadyImported,
                tally: batch.tally,
                rejected_lines: batch.rejected_lines.clone(),
                existing: Some(b),
            };
        }
        let mut tally = Tally {
            rows: lines.len() as u64,
            ..Tally::default()
        };
        let mut rejected_lines = BTreeSet::new();
        let mut accepted: Vec<(Record, u64)> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let number = i as u64 + 2;
            let record = match line {
                Line::Invalid(..) => {
                    rejected_lines.insert(number);
                    continue;
                }
                Line::Valid(r, _) => r,
            };
            let key = record.key();
            let existing = self
                .live()
                .chain(accepted.iter().map(|(r, _)| r))
                .find(|s| s.key() == key);
            if let Some(stored) = existing {
                if stored.same_values(record) {
                    tally.duplicates += 1;
                } else {
                    rejected_lines.insert(number);
                }
                continue;
            }
            // Certificate and stamp numbers are unique among live records.
            let (certificate, stamp) = record.numbers();
            let taken = self.live().chain(accepted.iter().map(|(r, _)| r)).any(|s| {
                let (c, st) = s.numbers();
                (certificate.is_some() && c == certificate) || (stamp.is_some() && st == stamp)
            });
            if taken {
                rejected_lines.insert(number);
                continue;
            }
            accepted.push((record.clone(), number));
        }
        tally.rejected = rejected_lines.len() as u64;
        tally.inserted = accepted.len() as u64;
        let outcome = match mode {
            ImportMode::DryRun => BatchOutcome::DryRun,
            ImportMode::Strict if tally.rejected > 0 => {
                tally.inserted = 0;
                BatchOutcome::Refused
            }
            _ => BatchOutcome::Stored,
        };
        if outcome == BatchOutcome::Stored {
            let b = self.batches.len();
            self.batches.push(Batch {
                id: None,
                kind,
                mode,
                tally,
                rejected_lines: rejected_lines.clone(),
                voided: false,
                file: text.to_owned(),
            });
            if tally.inserted > 0 {
                self.by_file.insert(text.to_owned(), b);
            }
            self.records
                .extend(accepted.into_iter().map(|(record, line)| Stored {
                    record,
                    batch: b,
                    line,
                    id: None,
                    voided_alone: false,
                    earlier: Vec::new(),
                }));
        }
        Verdict {
            outcome,
            tally,
            rejected_lines,
            existing: None,
        }
    }

    /// The batches that can be voided (stored, not voided yet).
    pub fn live_batches(&self) -> Vec<usize> {
        (0..self.batches.len())
            .filter(|&b| !self.batches[b].voided)
            .collect()
    }

    pub fn void(&mut self, batch: usize) {
        self.batches[batch].voided = true;
    }

    /// The voided batches.
    pub fn voided_batches(&self) -> Vec<usize> {
        (0..self.batches.len())
            .filter(|&b| self.batches[b].voided)
            .collect()
    }

    /// Restores a voided batch, unless that would put a second live record on a key or
    /// a certificate or stamp number another record took since, or its file was stored
    /// again: then nothing changes and the answer is false. Its records voided on their
    /// own stay voided (and clash with nothing).
    pub fn restore(&mut self, batch: usize) -> bool {
        let own: Vec<&Record> = self
            .records
            .iter()
            .filter(|s| s.batch == batch && !s.voided_alone)
            .map(|s| &s.record)
            .collect();
        let clash = own.iter().any(|r| {
            let (certificate, stamp) = r.numbers();
            self.live().any(|l| {
                let (c, s) = l.numbers();
                l.key() == r.key()
                    || (certificate.is_some() && c == certificate)
                    || (stamp.is_some() && s == stamp)
            })
        });
        let file = self.batches[batch].file.clone();
        let file_taken = self.by_file.get(&file).is_some_and(|&b| {
            b != batch && !self.batches[b].voided && self.batches[b].tally.inserted > 0
        });
        if clash || file_taken {
            return false;
        }
        self.batches[batch].voided = false;
        if self.batches[batch].tally.inserted > 0 {
            self.by_file.insert(file, batch);
        }
        true
    }

    /// (instruments inspected, inspections) from `start` to `end` inclusive, of
    /// `category` or all; and earthing points measured.
    pub fn figures(
        &self,
        start: NaiveDate,
        end: NaiveDate,
        category: Option<usize>,
    ) -> (u64, u64, u64) {
        let inside = |d: usize| (start..=end).contains(&date(d));
        let mut instruments = BTreeSet::new();
        let mut inspections = 0;
        let mut points = BTreeSet::new();
        for record in self.live() {
            match record {
                Record::Inspection(r)
                    if inside(r.date) && category.is_none_or(|c| c == r.category) =>
                {
                    instruments.insert((r.category, r.maker, r.serial));
                    inspections += 1;
                }
                Record::Earthing(r) if inside(r.date) => {
                    points.insert((r.site, r.point));
                }
                _ => {}
            }
        }
        (instruments.len() as u64, inspections, points.len() as u64)
    }

    /// The due list as of `as_of` within `days`: for each instrument, its latest live
    /// inspection with a valid-until, when that is before `as_of + days`. Each entry is
    /// (valid until, category code, manufacturer, serial key, last inspected on),
    /// sorted.
    pub fn due(&self, as_of: NaiveDate, days: u64) -> Vec<DueLine> {
        let mut latest: BTreeMap<(usize, usize, usize), (NaiveDate, NaiveDate)> = BTreeMap::new();
        for record in self.live() {
            if let Record::Inspection(r) = record
                && let Some(until) = r.valid_until()
            {
                let on = date(r.date);
                let entry = latest
                    .entry((r.category, r.maker, r.serial))
                    .or_insert((on, until));
                if on > entry.0 {
                    *entry = (on, until);
                }
            }
        }
        let horizon = as_of + Days::new(days);
        let mut out: Vec<DueLine> = latest
            .into_iter()
            .filter(|(_, (_, until))| *until <= horizon)
            .map(|((c, m, s), (on, until))| DueLine {
                valid_until: until,
                category: CATEGORIES[c].0.to_owned(),
                manufacturer: MAKERS[m].to_owned(),
                serial: serial_key(SERIALS[s][0]),
                last_inspected_on: on,
                days_left: (until - as_of).num_days(),
                overdue: until < as_of,
            })
            .collect();
        out.sort();
        out
    }
}

/// One line of the due list, in terms both sides can give.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DueLine {
    pub valid_until: NaiveDate,
    pub category: String,
    pub manufacturer: String,
    pub serial: String,
    pub last_inspected_on: NaiveDate,
    pub days_left: i64,
    pub overdue: bool,
}

/// A serial number's comparison key, as SPEC.md says: trimmed, case-folded, inner
/// spaces removed (the pools are ASCII).
pub(crate) fn serial_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}
