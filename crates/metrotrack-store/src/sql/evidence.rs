//! Records as evidence: one record corrected by an amendment (a new version in place,
//! the version it replaces kept whole in `record_versions`), one record voided, and every
//! version read back.
//!
//! A live inspection's instrument, category and date never change under it (the
//! figures' upkeep is keyed on them): an amendment voids the version it replaces, then
//! writes the new values and makes the record live again, each step a [`Flip`] the upkeep
//! follows. Earthing tests have no upkeep and are rewritten in place.

use chrono::{DateTime, Utc};
use metrotrack_core::{InstrumentKey, LabId, NewEarthingTest, NewInspection, PointKey};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{AssertSqlSafe, Transaction};

use super::rows::{HolderRow, INSPECTION_SELECT, InspectionRow, TEST_SELECT, TestRow};
use super::{Arg, Backend, Flip, SqlStore, execute, fetch_all, fetch_optional};
use crate::StoreError;
use crate::records::{Amendment, EarthingTestRecord, InspectionRecord};

/// The two kinds of record that are amended and voided one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Inspection,
    EarthingTest,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Self::Inspection => "inspections",
            Self::EarthingTest => "earthing_tests",
        }
    }

    /// As `record_versions.record_kind` and audit subjects name it.
    fn code(self) -> &'static str {
        match self {
            Self::Inspection => "inspection",
            Self::EarthingTest => "earthing_test",
        }
    }

    /// As a person reads it.
    fn noun(self) -> &'static str {
        match self {
            Self::Inspection => "inspection",
            Self::EarthingTest => "earthing test",
        }
    }
}

/// A reason as stored: trimmed, and required.
fn reason(text: &str, what: &str) -> Result<String, StoreError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::Invalid(format!("{what} needs a reason")));
    }
    Ok(text.to_owned())
}

fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

async fn inspection<DB: Backend>(
    tx: &mut Transaction<'static, DB>,
    lab: LabId,
    id: i64,
) -> Result<InspectionRecord, StoreError> {
    let sql = format!("{INSPECTION_SELECT} where s.lab_id = $1 and s.id = $2");
    let row: Option<InspectionRow> =
        fetch_optional(tx, sqlx::query(AssertSqlSafe(sql)).arg(lab).arg(id)).await?;
    let row = row.ok_or_else(|| StoreError::NotFound(format!("inspection {id}")))?;
    super::files::record(tx, lab, row).await
}

async fn earthing_test<DB: Backend>(
    tx: &mut Transaction<'static, DB>,
    lab: LabId,
    id: i64,
) -> Result<EarthingTestRecord, StoreError> {
    let sql = format!("{TEST_SELECT} where t.lab_id = $1 and t.id = $2");
    let row: Option<TestRow> =
        fetch_optional(tx, sqlx::query(AssertSqlSafe(sql)).arg(lab).arg(id)).await?;
    let row = row.ok_or_else(|| StoreError::NotFound(format!("earthing test {id}")))?;
    super::files::record(tx, lab, row).await
}

/// Keeps `version` of record `id` whole before an amendment replaces it.
async fn keep_version<DB: Backend, R: Serialize>(
    tx: &mut Transaction<'static, DB>,
    lab: LabId,
    kind: Kind,
    id: i64,
    version: i64,
    record: &R,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql = format!(
        "insert into record_versions (lab_id, record_kind, record_id, version, record, replaced_at)
         values ($1, $2, $3, $4, {}, $6)",
        DB::json("$5")
    );
    let record = serde_json::to_string(record).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let query = sqlx::query(AssertSqlSafe(sql))
        .arg(lab)
        .arg(kind.code())
        .arg(id)
        .arg(version)
        .arg(record)
        .arg(now);
    execute(tx, query).await?;
    Ok(())
}

/// Voids live record `id`: on its own (with who and why), or as the first step of an
/// amendment (`None`). The figures follow.
async fn void<DB: Backend>(
    tx: &mut Transaction<'static, DB>,
    lab: LabId,
    kind: Kind,
    id: i64,
    now: DateTime<Utc>,
    by_and_why: Option<(&str, &str)>,
) -> Result<(), StoreError> {
    let flip = Flip::VoidRecord(id);
    let set = match by_and_why {
        Some(_) => "voided_at = $3, voided_by = $4, void_reason = $5",
        None => "voided_at = $3",
    };
    let sql = format!(
        "update {} set {set} where {}",
        kind.table(),
        flip.condition()
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .arg(lab)
        .arg(flip.target())
        .arg(now);
    if let Some((by, why)) = by_and_why {
        query = query.arg(by.to_owned()).arg(why.to_owned());
    }
    if kind == Kind::Inspection {
        DB::before_flip(tx, lab, flip).await?;
    }
    execute(tx, query).await?;
    if kind == Kind::Inspection {
        DB::after_flip(tx, lab).await?;
    }
    Ok(())
}

/// The instrument with `r`'s key, created (as an import would) on first sight.
async fn instrument_for<DB: Backend>(
    tx: &mut Transaction<'static, DB>,
    lab: LabId,
    r: &NewInspection,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let key = InstrumentKey::new(&r.category, r.manufacturer.as_deref(), &r.serial);
    let insert = sqlx::query(
        "insert into instruments (lab_id, category_code, manufacturer_key, serial_key,
             serial_number, manufacturer, model, owner, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict do nothing",
    )
    .arg(lab)
    .arg(key.category.as_str().to_owned())
    .arg(key.manufacturer_key.clone())
    .arg(key.serial_key.clone())
    .arg(r.serial.written().to_owned())
    .arg(r.manufacturer.clone())
    .arg(r.model.clone())
    .arg(r.owner.clone())
    .arg(now);
    execute(tx, insert).await?;
    let found: Option<(i64,)> = fetch_optional(
        tx,
        sqlx::query(
            "select id from instruments where lab_id = $1 and category_code = $2
               and manufacturer_key = $3 and serial_key = $4",
        )
        .arg(lab)
        .arg(key.category.as_str().to_owned())
        .arg(key.manufacturer_key.clone())
        .arg(key.serial_key.clone()),
    )
    .await?;
    found
        .map(|(id,)| id)
        .ok_or_else(|| StoreError::Invalid(format!("instrument {} not stored", r.serial)))
}

/// What live records other than `id` hold of an inspection's key and numbers.
const INSPECTION_HOLDERS: &str = "
    select cast('instrument, kind and date' as text) as what, id as holder,
           batch_id as holder_batch, source_line as holder_line
    from inspections
    where lab_id = $1 and instrument_id = $2 and kind = $3 and inspected_on = $4
      and voided_at is null and id <> $5
    union all
    select 'certificate number ' || certificate_no, id, batch_id, source_line
    from inspections
    where lab_id = $1 and certificate_no = $6 and voided_at is null and id <> $5
    union all
    select 'stamp number ' || stamp_no, id, batch_id, source_line
    from inspections
    where lab_id = $1 and stamp_no = $7 and voided_at is null and id <> $5";

/// What live tests other than `id` hold of a test's point and date.
const TEST_HOLDERS: &str = "
    select cast('point and date' as text) as what, id as holder,
           batch_id as holder_batch, source_line as holder_line
    from earthing_tests
    where lab_id = $1 and point_id = $2 and tested_on = $3 and voided_at is null
      and id <> $4";

/// Refuses an amendment of record `id` onto what `holders` hold.
fn refuse_clashes(kind: Kind, id: i64, holders: &[HolderRow]) -> Result<(), StoreError> {
    if holders.is_empty() {
        return Ok(());
    }
    let each: Vec<String> = holders.iter().map(|h| h.describe(kind.noun())).collect();
    Err(StoreError::Conflict(format!(
        "{} {id} was not amended: {}",
        kind.noun(),
        each.join("; ")
    )))
}

impl<DB: Backend> SqlStore<DB> {
    /// Amends an inspection: see [`crate::Store::amend_inspection`].
    pub(crate) async fn amend_inspection_record(
        &self,
        lab: LabId,
        id: i64,
        amendment: &Amendment<NewInspection>,
    ) -> Result<InspectionRecord, StoreError> {
        let why = reason(&amendment.reason, "an amendment")?;
        let r = &amendment.record;
        let mut tx = self.begin_write().await?;
        DB::lock_lab_writes(&mut tx, lab).await?;
        let before = inspection(&mut tx, lab, id).await?;
        if before.voided_at.is_some() {
            return Err(StoreError::Invalid(format!(
                "inspection {id} is voided: a voided record is not amended"
            )));
        }
        let now = DB::now();
        let instrument = instrument_for(&mut tx, lab, r, now).await?;
        let holders: Vec<HolderRow> = fetch_all(
            &mut tx,
            sqlx::query(INSPECTION_HOLDERS)
                .arg(lab)
                .arg(instrument)
                .arg(r.kind.as_str())
                .arg(r.date)
                .arg(id)
                .arg(r.certificate_no.clone())
                .arg(r.stamp_no.clone()),
        )
        .await?;
        refuse_clashes(Kind::Inspection, id, &holders)?;
        keep_version(
            &mut tx,
            lab,
            Kind::Inspection,
            id,
            before.version,
            &before,
            now,
        )
        .await?;
        void(&mut tx, lab, Kind::Inspection, id, now, None).await?;
        let flip = Flip::RestoreRecord(id);
        let sql = format!(
            "update inspections set instrument_id = $3, category_code = $4, kind = $5,
                 inspected_on = $6, verification_type = $7, procedure = $8, result = $9,
                 error_percent = {}, certificate_no = $11, stamp_no = $12, valid_until = $13,
                 technician = $14, checked_by = $15, notes = $16, version = version + 1,
                 amended_by = $17, amended_at = $18, amend_reason = $19, voided_at = null
             where {}",
            DB::decimal("$10"),
            flip.condition()
        );
        let update = sqlx::query(AssertSqlSafe(sql))
            .arg(lab)
            .arg(id)
            .arg(instrument)
            .arg(r.category.as_str().to_owned())
            .arg(r.kind.as_str())
            .arg(r.date)
            .arg(r.verification_type.map(|v| v.as_str().to_owned()))
            .arg(r.procedure.clone())
            .arg(r.result.map(|v| v.as_str().to_owned()))
            .arg(r.error_percent.map(|d| d.to_string()))
            .arg(r.certificate_no.clone())
            .arg(r.stamp_no.clone())
            .arg(r.valid_until)
            .arg(r.technician.clone())
            .arg(r.checked_by.clone())
            .arg(r.notes.clone())
            .arg(amendment.by.clone())
            .arg(now)
            .arg(why.clone());
        DB::before_flip(&mut tx, lab, flip).await?;
        execute(&mut tx, update).await?;
        DB::after_flip(&mut tx, lab).await?;
        let after = inspection(&mut tx, lab, id).await?;
        let detail = serde_json::json!({
            "reason": why, "before": json(&before)?, "after": json(&after)?,
        });
        let subject = format!("inspection:{id}");
        Self::audit(
            &mut tx,
            lab,
            &amendment.by,
            "inspection.amend",
            &subject,
            detail,
        )
        .await?;
        tx.commit().await?;
        DB::tidy(self).await;
        Ok(after)
    }

    /// Amends an earthing test: see [`crate::Store::amend_earthing_test`].
    pub(crate) async fn amend_test_record(
        &self,
        lab: LabId,
        id: i64,
        amendment: &Amendment<NewEarthingTest>,
    ) -> Result<EarthingTestRecord, StoreError> {
        let why = reason(&amendment.reason, "an amendment")?;
        let r = &amendment.record;
        let mut tx = self.begin_write().await?;
        DB::lock_lab_writes(&mut tx, lab).await?;
        let before = earthing_test(&mut tx, lab, id).await?;
        if before.voided_at.is_some() {
            return Err(StoreError::Invalid(format!(
                "earthing test {id} is voided: a voided record is not amended"
            )));
        }
        let key = PointKey::new(&r.site, &r.point);
        let point: Option<(i64,)> = fetch_optional(
            &mut tx,
            sqlx::query(
                "select id from earthing_points where lab_id = $1 and site_key = $2
                   and code_key = $3",
            )
            .arg(lab)
            .arg(key.site_key.clone())
            .arg(key.code_key.clone()),
        )
        .await?;
        if point != Some((before.point_id,)) {
            return Err(StoreError::Invalid(format!(
                "earthing test {id} stays with its point {} {}: record the other point's \
                 test in a log of its own",
                before.site, before.point_code
            )));
        }
        let holders: Vec<HolderRow> = fetch_all(
            &mut tx,
            sqlx::query(TEST_HOLDERS)
                .arg(lab)
                .arg(before.point_id)
                .arg(r.date)
                .arg(id),
        )
        .await?;
        refuse_clashes(Kind::EarthingTest, id, &holders)?;
        let now = DB::now();
        keep_version(
            &mut tx,
            lab,
            Kind::EarthingTest,
            id,
            before.version,
            &before,
            now,
        )
        .await?;
        let sql = format!(
            "update earthing_tests set tested_on = $3, resistance_ohm = {},
                 limit_ohm = coalesce({}, (select p.limit_ohm from earthing_points p
                     where p.lab_id = earthing_tests.lab_id and p.id = earthing_tests.point_id)),
                 method = $6, tester_serial = $7, weather = $8, technician = $9, notes = $10,
                 version = version + 1, amended_by = $11, amended_at = $12, amend_reason = $13
             where lab_id = $1 and id = $2 and voided_at is null",
            DB::decimal("$4"),
            DB::decimal("$5"),
        );
        let update = sqlx::query(AssertSqlSafe(sql))
            .arg(lab)
            .arg(id)
            .arg(r.date)
            .arg(r.resistance.value().to_string())
            .arg(r.limit.map(|l| l.value().to_string()))
            .arg(r.method.map(|m| m.as_str().to_owned()))
            .arg(r.tester_serial.clone())
            .arg(r.weather.clone())
            .arg(r.technician.clone())
            .arg(r.notes.clone())
            .arg(amendment.by.clone())
            .arg(now)
            .arg(why.clone());
        execute(&mut tx, update).await?;
        let after = earthing_test(&mut tx, lab, id).await?;
        let detail = serde_json::json!({
            "reason": why, "before": json(&before)?, "after": json(&after)?,
        });
        let subject = format!("earthing_test:{id}");
        Self::audit(
            &mut tx,
            lab,
            &amendment.by,
            "earthing_test.amend",
            &subject,
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Voids one record: see [`crate::Store::void_inspection`].
    pub(crate) async fn void_one(
        &self,
        lab: LabId,
        kind: Kind,
        id: i64,
        by: &str,
        why: &str,
    ) -> Result<(), StoreError> {
        let why = reason(why, "a void")?;
        let mut tx = self.begin_write().await?;
        DB::lock_lab_writes(&mut tx, lab).await?;
        let (before, voided_at) = match kind {
            Kind::Inspection => {
                let r = inspection(&mut tx, lab, id).await?;
                (json(&r)?, r.voided_at)
            }
            Kind::EarthingTest => {
                let r = earthing_test(&mut tx, lab, id).await?;
                (json(&r)?, r.voided_at)
            }
        };
        if let Some(at) = voided_at {
            return Err(StoreError::Invalid(format!(
                "{} {id} was already voided at {}",
                kind.noun(),
                at.to_rfc3339()
            )));
        }
        let now = DB::now();
        void(&mut tx, lab, kind, id, now, Some((by, &why))).await?;
        let detail = serde_json::json!({ "reason": why, "record": before });
        let subject = format!("{}:{id}", kind.code());
        let action = format!("{}.void", kind.code());
        Self::audit(&mut tx, lab, by, &action, &subject, detail).await?;
        tx.commit().await?;
        DB::tidy(self).await;
        Ok(())
    }

    /// Every version of a record, oldest first, the current one last: see
    /// [`crate::Store::inspection_versions`].
    pub(crate) async fn versions<R: DeserializeOwned>(
        &self,
        lab: LabId,
        kind: Kind,
        id: i64,
        current: R,
    ) -> Result<Vec<R>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let stored: Vec<(String,)> = fetch_all(
            &mut c,
            sqlx::query(
                "select cast(record as text) from record_versions
                 where lab_id = $1 and record_kind = $2 and record_id = $3 order by version",
            )
            .arg(lab)
            .arg(kind.code())
            .arg(id),
        )
        .await?;
        let mut versions = stored
            .iter()
            .map(|(text,)| {
                serde_json::from_str(text)
                    .map_err(|e| super::corrupt(format_args!("record_versions.record: {e}")))
            })
            .collect::<Result<Vec<R>, _>>()?;
        versions.push(current);
        Ok(versions)
    }
}
