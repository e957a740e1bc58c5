//! The model's records as evidence (SPEC.md: one record voided on its own, one record
//! amended), for the store-vs-model property: which amendments and voids the SPEC's
//! rules accept, and each record's values as both sides can show them.

use chrono::NaiveDate;
use metrotrack_core::decimal::parse_decimal;
use metrotrack_core::{InspectionKind, Outcome};
use rust_decimal::Decimal;

use super::model::{
    CALIBRATION, CATEGORIES, CERTIFICATES, DATES, ERRORS, Inspection, MAKERS, Model, OHMS, POINTS,
    Record, SERIALS, SITES, STAMPS, TECHNICIANS, VALID_UNTIL, VERIFICATION, date, serial_key,
};

/// What an amendment changes, as random choices (each taken modulo its pool): `what`
/// picks the value, `a`, `b` and `c` its new value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Change {
    pub what: usize,
    pub a: usize,
    pub b: usize,
    pub c: usize,
}

/// What the SPEC says of an amendment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Amended {
    /// It becomes the record's new version.
    Accepted,
    /// Another live record holds its key, certificate or stamp number: nothing changes.
    Conflict,
    /// The record (or its batch) is voided: a voided record is not amended.
    Voided,
}

/// A new value from `pool_len` choices, moved on by one when it equals `now`.
fn other(choice: usize, pool_len: usize, now: usize) -> usize {
    let new = choice % pool_len;
    if new == now {
        (new + 1) % pool_len
    } else {
        new
    }
}

impl Model {
    /// Record `i` with the values `change` gives (its kind, and an earthing test's
    /// point, stay), kept consistent as a log's row would be: a failed verification has
    /// no valid-until, a passed one the date plus its cycle or a valid-until of the pool.
    pub fn amended(&self, i: usize, change: Change) -> Record {
        let Change { what, a, b, c } = change;
        let mut record = self.records[i].record.clone();
        match &mut record {
            Record::Inspection(r) => match what % 6 {
                0 => r.date = other(a, DATES.len(), r.date),
                1 if r.kind == CALIBRATION => {
                    r.error = Some(other(a, ERRORS.len(), r.error.unwrap_or(usize::MAX)));
                }
                1 if r.kind == VERIFICATION => {
                    // Failed; passed, valid by the cycle; passed, valid until a given date.
                    let state = match (r.result, r.until) {
                        (Some(false), _) => 0,
                        (_, None) => 1,
                        (_, Some(u)) => 2 + u,
                    };
                    match other(a, 2 + VALID_UNTIL.len(), state) {
                        0 => (r.result, r.until) = (Some(false), None),
                        1 => (r.result, r.until) = (Some(true), None),
                        s => (r.result, r.until) = (Some(true), Some(s - 2)),
                    }
                }
                1 => r.result = Some(!r.result.unwrap_or(false)),
                2 => r.certificate = self.number(i, a, b, 4, |n| n.0),
                3 => r.stamp = self.number(i, a, b, 3, |n| n.1),
                4 => {
                    r.category = a % CATEGORIES.len();
                    r.serial = b % SERIALS.len();
                    r.maker = c % MAKERS.len();
                }
                _ => {
                    r.technician ^= 1;
                    r.error = (a % 4 < 3).then_some(a % 4);
                }
            },
            Record::Earthing(t) => match what % 3 {
                0 => t.date = other(a, DATES.len(), t.date),
                1 => t.ohms = other(a, OHMS.len(), t.ohms),
                _ => {
                    t.date = other(a, DATES.len(), t.date);
                    t.ohms = b % OHMS.len();
                    t.technician = c % TECHNICIANS.len();
                }
            },
        }
        record
    }

    /// A certificate or stamp number (`which` of a record's numbers) for record `i`:
    /// for even `a`, one another live record holds when there is one (the amendment is
    /// then refused); otherwise one of the pool of `pool` numbers, or none.
    fn number(
        &self,
        i: usize,
        a: usize,
        b: usize,
        pool: usize,
        which: impl Fn((Option<usize>, Option<usize>)) -> Option<usize>,
    ) -> Option<usize> {
        let held: Vec<usize> = self
            .records
            .iter()
            .enumerate()
            .filter(|(j, s)| *j != i && self.is_live(s))
            .filter_map(|(_, s)| which(s.record.numbers()))
            .collect();
        if a.is_multiple_of(2) && !held.is_empty() {
            return Some(held[b % held.len()]);
        }
        (b % (pool + 1) < pool).then_some(b % (pool + 1))
    }

    /// Amends record `i` to `new`, as the SPEC's rules decide.
    pub fn amend(&mut self, i: usize, new: Record) -> Amended {
        if !self.is_live(&self.records[i]) {
            return Amended::Voided;
        }
        let (certificate, stamp) = new.numbers();
        let clash = self
            .records
            .iter()
            .enumerate()
            .filter(|(j, s)| *j != i && self.is_live(s))
            .any(|(_, s)| {
                let (c, st) = s.record.numbers();
                s.record.key() == new.key()
                    || (certificate.is_some() && c == certificate)
                    || (stamp.is_some() && st == stamp)
            });
        if clash {
            return Amended::Conflict;
        }
        let stored = &mut self.records[i];
        let old = std::mem::replace(&mut stored.record, new);
        stored.earlier.push(old);
        Amended::Accepted
    }

    /// Voids record `i` on its own: false (nothing changes) when it does not count now.
    pub fn void_record(&mut self, i: usize) -> bool {
        if !self.is_live(&self.records[i]) {
            return false;
        }
        self.records[i].voided_alone = true;
        true
    }

    /// Record `i`'s versions as shown, oldest first, the current one last.
    pub fn versions(&self, i: usize) -> Vec<(i64, View)> {
        let s = &self.records[i];
        s.earlier
            .iter()
            .chain([&s.record])
            .zip(1..)
            .map(|(r, n)| (n, view(r)))
            .collect()
    }
}

/// A record's values as both sides can show them: serial numbers and point codes by
/// their comparison keys, numbers as exact decimals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum View {
    Inspection {
        date: NaiveDate,
        category: String,
        serial: String,
        kind: InspectionKind,
        result: Option<Outcome>,
        error: Option<Decimal>,
        certificate: Option<String>,
        stamp: Option<String>,
        valid_until: Option<NaiveDate>,
        technician: String,
    },
    Earthing {
        date: NaiveDate,
        site: String,
        point: String,
        ohms: Decimal,
        technician: String,
    },
}

/// An exact decimal of the model's pools.
pub(crate) fn decimal(s: &str) -> Decimal {
    parse_decimal(s).expect("model decimal")
}

pub(crate) fn kind_of(r: &Inspection) -> InspectionKind {
    [
        InspectionKind::Verification,
        InspectionKind::Calibration,
        InspectionKind::Test,
    ][r.kind]
}

pub(crate) fn outcome_of(r: &Inspection) -> Option<Outcome> {
    r.result
        .map(|pass| if pass { Outcome::Pass } else { Outcome::Fail })
}

/// The model's record as shown.
pub(crate) fn view(record: &Record) -> View {
    match record {
        Record::Inspection(r) => View::Inspection {
            date: date(r.date),
            category: CATEGORIES[r.category].0.to_owned(),
            serial: serial_key(SERIALS[r.serial][0]),
            kind: kind_of(r),
            result: outcome_of(r),
            error: r.error.map(|e| decimal(ERRORS[e][0])),
            certificate: r.certificate.map(|c| CERTIFICATES[c].to_owned()),
            stamp: r.stamp.map(|s| STAMPS[s].to_owned()),
            valid_until: r.valid_until(),
            technician: TECHNICIANS[r.technician][0].to_owned(),
        },
        Record::Earthing(t) => View::Earthing {
            date: date(t.date),
            site: SITES[t.site].to_owned(),
            point: serial_key(POINTS[t.point][0]),
            ohms: decimal(OHMS[t.ohms][0]),
            technician: TECHNICIANS[t.technician][0].to_owned(),
        },
    }
}

/// The store's inspection as shown.
pub(crate) fn inspection_view(r: &crate::records::InspectionRecord) -> View {
    View::Inspection {
        date: r.inspected_on,
        category: r.category.as_str().to_owned(),
        serial: serial_key(&r.serial_number),
        kind: r.kind,
        result: r.result,
        error: r.error_percent.as_deref().map(decimal),
        certificate: r.certificate_no.clone(),
        stamp: r.stamp_no.clone(),
        valid_until: r.valid_until,
        technician: r.technician.clone(),
    }
}

/// The store's earthing test as shown.
pub(crate) fn test_view(t: &crate::records::EarthingTestRecord) -> View {
    View::Earthing {
        date: t.tested_on,
        site: t.site.clone(),
        point: serial_key(&t.point_code),
        ohms: decimal(&t.resistance_ohm),
        technician: t.technician.clone(),
    }
}
