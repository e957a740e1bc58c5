//! The store-vs-model property's steps on one record: a void of one inspection or
//! earthing test, and an amendment of one, built from the record the store reads back
//! (never through the CSV reader), each checked against the model
//! ([`super::model_records`]) with every version the store keeps.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::model::{
    CATEGORIES, CERTIFICATES, ERRORS, EarthingTest, Inspection, MAKERS, Model, OHMS, POINTS,
    Record, SERIALS, SITES, STAMPS, TECHNICIANS, date,
};
use super::model_records::{
    Amended, Change, View, decimal, inspection_view, kind_of, outcome_of, test_view, view,
};
use super::property::{check_state, failed};
use super::*;
use crate::records::{Amendment, InspectionRecord, InstrumentRecord};

/// Which record a step names (modulo their number): a live one, or (`any`) any stored
/// one, voided ones too. After a void, `then_batch` voids and restores the record's
/// batch too.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    of: usize,
    any: bool,
    then_batch: bool,
}

pub(crate) fn target() -> impl Strategy<Value = Target> {
    (
        0..64usize,
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.6),
    )
        .prop_map(|(of, any, then_batch)| Target {
            of,
            any,
            then_batch,
        })
}

pub(crate) fn change() -> impl Strategy<Value = Change> {
    (0..6usize, 0..16usize, 0..16usize, 0..16usize).prop_map(|(what, a, b, c)| Change {
        what,
        a,
        b,
        c,
    })
}

/// The model's record `target` names, if any.
fn chosen(model: &Model, target: Target) -> Option<usize> {
    let pool: Vec<usize> = (0..model.records.len())
        .filter(|&i| target.any || model.is_live(&model.records[i]))
        .collect();
    pool.get(target.of % pool.len().max(1)).copied()
}

/// Notes the store's ids of the records of the model's batch `b`, by their lines.
pub(super) async fn note_ids<S: Store>(
    store: &S,
    lab: LabId,
    model: &mut Model,
    b: usize,
) -> Result<(), TestCaseError> {
    let Some(batch_id) = model.batches[b].id else {
        return Ok(());
    };
    let page = Page::first(100);
    let by_line: BTreeMap<Option<i64>, i64> = match model.batches[b].kind {
        LogKind::Inspections => {
            let filter = InspectionFilter {
                batch_id: Some(batch_id),
                include_voided: true,
                ..InspectionFilter::default()
            };
            store
                .inspections(lab, &filter, page)
                .await
                .map_err(failed("inspections"))?
                .iter()
                .map(|r| (r.source_line, r.id))
                .collect()
        }
        LogKind::Earthing => {
            let filter = EarthingTestFilter {
                batch_id: Some(batch_id),
                include_voided: true,
                ..EarthingTestFilter::default()
            };
            store
                .earthing_tests(lab, &filter, page)
                .await
                .map_err(failed("earthing tests"))?
                .iter()
                .map(|r| (r.source_line, r.id))
                .collect()
        }
    };
    let own: Vec<&mut super::model::Stored> =
        model.records.iter_mut().filter(|s| s.batch == b).collect();
    prop_assert_eq!(own.len(), by_line.len(), "records of batch {}", batch_id);
    for stored in own {
        let id = by_line.get(&Some(stored.line as i64)).copied();
        prop_assert!(id.is_some(), "batch {} line {}", batch_id, stored.line);
        stored.id = id;
    }
    Ok(())
}

/// Voids the record `target` names on its own, as the model says: refused when it
/// (or its batch) is voided already. Then, if `target` says so and its batch is live,
/// voids the batch and restores it (refused as the model says): a record voided on its
/// own stays voided.
pub(super) async fn void_record<S: Store>(
    store: &S,
    lab: LabId,
    model: &mut Model,
    target: Target,
    n: usize,
) -> Result<(), TestCaseError> {
    let Some(i) = chosen(model, target) else {
        return Ok(());
    };
    let id = model.records[i].id.expect("stored record id");
    let why = "ghi nhầm thiết bị";
    let context = format!("step {n}: void of {:?} {id}", model.records[i].record);
    let got = match model.records[i].record {
        Record::Inspection(_) => store
            .void_inspection(lab, id, "supervisor", why)
            .await
            .map(|r| (r.voided_at.is_some(), r.authorship.void_reason)),
        Record::Earthing(_) => store
            .void_earthing_test(lab, id, "supervisor", why)
            .await
            .map(|r| (r.voided_at.is_some(), r.authorship.void_reason)),
    };
    match (model.void_record(i), got) {
        (true, Ok((voided, reason))) => {
            prop_assert_eq!(
                (voided, reason.as_deref()),
                (true, Some(why)),
                "{}",
                context
            );
        }
        (false, Err(StoreError::Invalid(_))) => {}
        (want, got) => {
            return Err(TestCaseError::fail(format!(
                "{context}: the model {} it, the store answered {got:?}",
                if want { "voids" } else { "refuses" }
            )));
        }
    }
    check_state(store, lab, model, &context).await?;
    let b = model.records[i].batch;
    if !target.then_batch || model.batches[b].voided {
        return Ok(());
    }
    let batch_id = model.batches[b].id.expect("stored batch id");
    store
        .void_batch(lab, batch_id, "supervisor", "cả tệp sai")
        .await
        .map_err(failed("void batch"))?;
    model.void(b);
    let context = format!("{context}, then of its batch {batch_id}");
    let restored = store.restore_batch(lab, batch_id, "supervisor").await;
    match (model.restore(b), restored) {
        (true, Ok(batch)) => prop_assert!(batch.voided_at.is_none(), "{}", context),
        (false, Err(StoreError::Conflict(_))) => {}
        (want, got) => {
            return Err(TestCaseError::fail(format!(
                "{context}: the model {} the batch, the store answered {got:?}",
                if want { "restores" } else { "refuses" }
            )));
        }
    }
    let voided = match model.records[i].record {
        Record::Inspection(_) => store.inspection(lab, id).await.map(|r| r.voided_at),
        Record::Earthing(_) => store.earthing_test(lab, id).await.map(|r| r.voided_at),
    }
    .map_err(failed("record"))?;
    prop_assert!(voided.is_some(), "still voided: {}", context);
    check_state(store, lab, model, &context).await
}

/// The amendment making `current` (on `instrument`) read as the model's `r`: the values
/// the model keeps from `r`, the others as the store holds them.
fn new_inspection(
    current: &InspectionRecord,
    instrument: &InstrumentRecord,
    r: &Inspection,
) -> NewInspection {
    NewInspection {
        date: date(r.date),
        category: CategoryCode::parse(CATEGORIES[r.category].0).expect("category"),
        serial: SerialNumber::parse(SERIALS[r.serial][0]).expect("serial"),
        model: instrument.model.clone(),
        manufacturer: Some(MAKERS[r.maker].to_owned()),
        owner: instrument.owner.clone(),
        kind: kind_of(r),
        verification_type: current
            .verification_type
            .as_deref()
            .and_then(|v| v.parse().ok()),
        procedure: current.procedure.clone(),
        result: outcome_of(r),
        error_percent: r.error.map(|e| decimal(ERRORS[e][0])),
        certificate_no: r.certificate.map(|c| CERTIFICATES[c].to_owned()),
        stamp_no: r.stamp.map(|s| STAMPS[s].to_owned()),
        valid_until: r.valid_until(),
        technician: TECHNICIANS[r.technician][0].to_owned(),
        checked_by: current.checked_by.clone(),
        notes: current.notes.clone(),
    }
}

/// The amendment making `current` read as the model's `t` (the point's limit kept).
fn new_test(current: &crate::records::EarthingTestRecord, t: &EarthingTest) -> NewEarthingTest {
    NewEarthingTest {
        date: date(t.date),
        site: SITES[t.site].to_owned(),
        point: PointCode::parse(POINTS[t.point][0]).expect("point"),
        system: None,
        resistance: Ohms::parse(OHMS[t.ohms][0]).expect("ohms"),
        limit: None,
        method: current.method.as_deref().and_then(|m| m.parse().ok()),
        tester_serial: current.tester_serial.clone(),
        weather: current.weather.clone(),
        technician: TECHNICIANS[t.technician][0].to_owned(),
        notes: current.notes.clone(),
    }
}

/// The supervisor's amendment making `record` the new version.
fn amendment<T>(record: T) -> Amendment<T> {
    Amendment {
        record,
        reason: "sửa lỗi nhập".into(),
        by: "supervisor".into(),
    }
}

/// Amends the record `target` names as `change` says, from its values the store reads
/// back (checked against the model's first): accepted, refused as a conflict or as
/// voided as the model says; then every version against the model's. An accepted
/// amendment's values join `seen`, for later logs to write again.
pub(super) async fn amend_record<S: Store>(
    store: &S,
    lab: LabId,
    model: &mut Model,
    seen: &mut Vec<Record>,
    target: Target,
    change: Change,
    n: usize,
) -> Result<(), TestCaseError> {
    let Some(i) = chosen(model, target) else {
        return Ok(());
    };
    let id = model.records[i].id.expect("stored record id");
    let new = model.amended(i, change);
    let context = format!(
        "step {n}: amendment of record {id}\nfrom {:?}\nto {new:?}",
        model.records[i].record
    );
    let now = view(&model.records[i].record);
    let got: Result<(i64, View), StoreError> = match &new {
        Record::Inspection(r) => {
            let current = store
                .inspection(lab, id)
                .await
                .map_err(failed("inspection"))?;
            prop_assert_eq!(inspection_view(&current), now, "read back: {}", context);
            let instrument = store
                .instrument(lab, current.instrument_id)
                .await
                .map_err(failed("instrument"))?
                .instrument;
            let record = new_inspection(&current, &instrument, r);
            store
                .amend_inspection(lab, id, &amendment(record))
                .await
                .map(|a| (a.version, inspection_view(&a)))
        }
        Record::Earthing(t) => {
            let current = store
                .earthing_test(lab, id)
                .await
                .map_err(failed("earthing test"))?;
            prop_assert_eq!(test_view(&current), now, "read back: {}", context);
            let record = new_test(&current, t);
            store
                .amend_earthing_test(lab, id, &amendment(record))
                .await
                .map(|a| (a.version, test_view(&a)))
        }
    };
    match (model.amend(i, new.clone()), got) {
        (Amended::Accepted, Ok(got)) => {
            prop_assert_eq!(Some(got), model.versions(i).pop(), "{}", context);
            seen.push(new);
        }
        (Amended::Conflict, Err(StoreError::Conflict(_)))
        | (Amended::Voided, Err(StoreError::Invalid(_))) => {}
        (want, got) => {
            return Err(TestCaseError::fail(format!(
                "{context}: the model says {want:?}, the store answered {got:?}"
            )));
        }
    }
    let versions: Vec<(i64, View)> = match &model.records[i].record {
        Record::Inspection(_) => store
            .inspection_versions(lab, id)
            .await
            .map_err(failed("versions"))?
            .iter()
            .map(|v| (v.version, inspection_view(v)))
            .collect(),
        Record::Earthing(_) => store
            .earthing_test_versions(lab, id)
            .await
            .map_err(failed("versions"))?
            .iter()
            .map(|v| (v.version, test_view(v)))
            .collect(),
    };
    prop_assert_eq!(versions, model.versions(i), "versions: {}", context);
    check_state(store, lab, model, &context).await
}
