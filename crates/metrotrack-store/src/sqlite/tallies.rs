//! Keeping the inspection tallies and each instrument's due date (migration 0005) as
//! records are stored, voided and made live again, in the writer's transaction.
//!
//! SQLite has only row-level triggers, and running the upkeep once per stored row cost
//! more than storing the row; so the store runs these set-based statements once per
//! chunk of stored rows and once per write that voids or restores records instead.
//!
//! For the instruments a change touches, the tallies change by what their live days
//! count for now minus what they counted for before: each day is counted in its
//! half-month against the half-month of the instrument's previous live day (see the
//! migration). Days the change does not touch count the same before and after and
//! cancel out.
//!
//! An import counts part of its change in memory ([`crate::sql::Pending`]): every
//! stored inspection, and the live days of the instruments it created. Only the days of
//! instruments stored before go through [`stored`]'s statements, which must read their
//! history.

use metrotrack_core::LabId;
use sqlx::{Sqlite, Transaction};

use crate::StoreError;
use crate::sql::Flip;

/// The tallies' change, from `days` (an instrument's live days after, with `before`
/// telling whether each day was live before the change).
const TALLY_CHANGES: &str = "
    changes as (
        select category_code, seg, 1 as delta,
               lag(seg) over (partition by instrument_id order by inspected_on) as prev
        from days where after
        union all
        select category_code, seg, -1,
               lag(seg) over (partition by instrument_id order by inspected_on)
        from days where before
    )
    insert into inspection_tallies (lab_id, seg, category_code, prev_seg, instrument_days)
    select ?, seg, category_code,
           case when prev is null or prev < seg - 24 then seg - 24 else prev end as prev_seg,
           sum(delta)
    from changes where true
    group by seg, category_code, prev_seg
    having sum(delta) <> 0
    on conflict (lab_id, seg, category_code, prev_seg)
    do update set instrument_days = instrument_days + excluded.instrument_days";

/// Counts the live days of the instruments with an id up to `instruments_to` that
/// inspections stored since the one with id `after` belong to, and moves their due
/// dates (all of `lab`: the caller holds the write lock and stores one lab's chunk).
/// The inspections themselves, and instruments created since, are counted by
/// [`Pending`].
pub(super) async fn stored(
    tx: &mut Transaction<'static, Sqlite>,
    lab: LabId,
    after: i64,
    instruments_to: i64,
) -> Result<(), StoreError> {
    // `+instrument_id`: the chunk's rows are found by id (a range at the table's end);
    // an index on `instrument_id` would read every older instrument's history instead.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "with new as (
             select id, instrument_id from inspections where id > ? and +instrument_id <= ?
         ),
         days as (
             select o.instrument_id, o.category_code, {half} as seg, o.inspected_on,
                    1 as after, min(o.id in (select id from new)) = 0 as before
             from inspections o
             where o.lab_id = ? and o.voided_at is null
               and o.instrument_id in (select instrument_id from new)
             group by o.instrument_id, o.inspected_on
         ),
         {TALLY_CHANGES}",
        half = half_month!("o."),
    )))
    .bind(after)
    .bind(instruments_to)
    .bind(lab)
    .bind(lab)
    .execute(&mut **tx)
    .await?;
    // An instrument's due date: its latest valid inspection (by date, then id).
    let which = "select instrument_id from inspections
                 where id > ? and +instrument_id <= ? and valid_until is not null";
    due_days(tx, -1, which, Some((after, instruments_to))).await?;
    sqlx::query(
        "update instruments
         set due_inspection_id = c.id, due_inspected_on = c.inspected_on, due_on = c.valid_until
         from (
             select instrument_id, id, inspected_on, valid_until,
                    row_number() over (
                        partition by instrument_id order by inspected_on desc, id desc
                    ) as rank
             from inspections
             where id > ? and +instrument_id <= ? and valid_until is not null
         ) c
         where c.rank = 1 and instruments.id = c.instrument_id
           and (instruments.due_inspected_on is null
                or instruments.due_inspected_on < c.inspected_on
                or (instruments.due_inspected_on = c.inspected_on
                    and instruments.due_inspection_id < c.id))",
    )
    .bind(after)
    .bind(instruments_to)
    .execute(&mut **tx)
    .await?;
    due_days(tx, 1, which, Some((after, instruments_to))).await?;
    Ok(())
}

/// Adds `sign` (−1 before their due dates move, +1 after) times each due day of the
/// instruments whose ids `which` selects (binding `binds`, if any) to the lab's due
/// counts, `instrument_due_days` (migration 0014): what moved leaves its old day and
/// joins its new one, what stayed cancels out.
async fn due_days(
    tx: &mut Transaction<'static, Sqlite>,
    sign: i64,
    which: &str,
    binds: Option<(i64, i64)>,
) -> Result<(), StoreError> {
    let sql = format!(
        "insert into instrument_due_days (lab_id, due_on, instruments)
         select lab_id, due_on, ? * count(*) from instruments
         where id in ({which}) and due_on is not null
         group by lab_id, due_on
         on conflict (lab_id, due_on)
         do update set instruments = instruments + excluded.instruments"
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(sign);
    let query = match binds {
        Some((a, b)) => query.bind(a).bind(b),
        None => query,
    };
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Before the inspections `flip` names are voided or made live again: notes them (with
/// how their count changes) in the connection's temporary table `changed_inspections`.
pub(super) async fn flipping(
    tx: &mut Transaction<'static, Sqlite>,
    lab: LabId,
    flip: Flip,
) -> Result<(), StoreError> {
    sqlx::query(
        "create temp table if not exists changed_inspections (
             id integer primary key,
             delta integer not null
         )",
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from temp.changed_inspections")
        .execute(&mut **tx)
        .await?;
    let sql = format!(
        "insert into temp.changed_inspections (id, delta)
         select id, {} from inspections where {}",
        flip.delta(),
        flip.condition()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(lab)
        .bind(flip.target())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// After the inspections noted by [`flipping`] were flipped: the tallies and the due
/// dates of their instruments follow.
pub(super) async fn flipped(
    tx: &mut Transaction<'static, Sqlite>,
    lab: LabId,
) -> Result<(), StoreError> {
    // A day was live before when it had more live records than the flip made live (or
    // had one the flip voided).
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "with touched as (
             select distinct o.instrument_id
             from inspections o join temp.changed_inspections c on c.id = o.id
         ),
         days as (
             select o.instrument_id, o.category_code, {half} as seg, o.inspected_on,
                    max(o.voided_at is null) as after,
                    sum(o.voided_at is null) - coalesce(sum(c.delta), 0) > 0 as before
             from inspections o left join temp.changed_inspections c on c.id = o.id
             where o.lab_id = ? and o.instrument_id in (select instrument_id from touched)
               and (o.voided_at is null or c.id is not null)
             group by o.instrument_id, o.inspected_on
         ),
         {TALLY_CHANGES}",
        half = half_month!("o."),
    )))
    .bind(lab)
    .bind(lab)
    .execute(&mut **tx)
    .await?;
    sqlx::query(concat!(
        "insert into inspection_tallies (lab_id, seg, category_code, prev_seg, inspections)
         select ?, seg, category_code, seg - 24, sum(delta)
         from (select ",
        half_month!("o."),
        " as seg, o.category_code, c.delta
               from inspections o join temp.changed_inspections c on c.id = o.id)
         where true
         group by seg, category_code
         on conflict (lab_id, seg, category_code, prev_seg)
         do update set inspections = inspections + excluded.inspections",
    ))
    .bind(lab)
    .execute(&mut **tx)
    .await?;
    // An instrument's due date: its latest valid live inspection (by date, then id).
    let which = "select o.instrument_id
                 from inspections o join temp.changed_inspections c on c.id = o.id";
    due_days(tx, -1, which, None).await?;
    sqlx::query(
        "update instruments set (due_inspection_id, due_inspected_on, due_on) = (
             select s.id, s.inspected_on, s.valid_until from inspections s
             where s.lab_id = instruments.lab_id and s.instrument_id = instruments.id
               and s.voided_at is null and s.valid_until is not null
             order by s.inspected_on desc, s.id desc limit 1
         )
         where id in (
             select o.instrument_id
             from inspections o join temp.changed_inspections c on c.id = o.id
         )",
    )
    .execute(&mut **tx)
    .await?;
    due_days(tx, 1, which, None).await?;
    sqlx::query("delete from temp.changed_inspections")
        .execute(&mut **tx)
        .await?;
    Ok(())
}
