//! The monthly report as a document: the lab's letterhead and signature block, and the
//! tables of one period (by category; earthing points and those over their limit).

use metrotrack_core::{
    CategoryCode, CategoryRow, EarthingRow, LabId, Ohms, ReportSettings, ReportTables,
    ReportingPeriod,
};

use super::{Arg, Backend, SqlStore, execute, fetch_all, fetch_optional, u64_of};
use crate::StoreError;

/// The settings as stored: recipients one per line.
type SettingsRow = (String, String, String, String, String, String, String);

impl<DB: Backend> SqlStore<DB> {
    /// The lab's report settings; the defaults (all empty) when none were set.
    pub(crate) async fn read_report_settings(
        &self,
        lab: LabId,
    ) -> Result<ReportSettings, StoreError> {
        let mut c = self.pool.acquire().await?;
        let row: Option<SettingsRow> = fetch_optional(
            &mut c,
            sqlx::query(
                "select parent_body, issuing_body, symbol, place, signer_title, signer_name,
                        recipients
                 from report_settings where lab_id = $1",
            )
            .arg(lab),
        )
        .await?;
        Ok(row.map(settings_of).unwrap_or_default())
    }

    /// Sets the lab's report settings: see [`crate::Store::set_report_settings`].
    pub(crate) async fn put_report_settings(
        &self,
        lab: LabId,
        settings: &ReportSettings,
        by: &str,
    ) -> Result<ReportSettings, StoreError> {
        let after = settings
            .normalized()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let before = self.read_report_settings(lab).await?;
        let mut tx = self.begin_write().await?;
        execute(
            &mut tx,
            sqlx::query(
                "insert into report_settings (lab_id, parent_body, issuing_body, symbol, place,
                     signer_title, signer_name, recipients)
                 values ($1, $2, $3, $4, $5, $6, $7, $8)
                 on conflict (lab_id) do update set parent_body = excluded.parent_body,
                     issuing_body = excluded.issuing_body, symbol = excluded.symbol,
                     place = excluded.place, signer_title = excluded.signer_title,
                     signer_name = excluded.signer_name, recipients = excluded.recipients",
            )
            .arg(lab)
            .arg(after.parent_body.clone())
            .arg(after.issuing_body.clone())
            .arg(after.symbol.clone())
            .arg(after.place.clone())
            .arg(after.signer_title.clone())
            .arg(after.signer_name.clone())
            .arg(after.recipients.join("\n")),
        )
        .await?;
        let detail = serde_json::json!({ "before": before, "after": after });
        Self::audit(
            &mut tx,
            lab,
            by,
            "settings.report",
            "settings:report",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The period's report tables: see [`crate::Store::report_tables`].
    pub(crate) async fn read_report_tables(
        &self,
        lab: LabId,
        period: &ReportingPeriod,
    ) -> Result<ReportTables, StoreError> {
        let mut c = self.pool.acquire().await?;
        let order = DB::BYTE_ORDER;
        let sql = format!(
            "select category_code, count(distinct instrument_id), count(*),
                    cast(coalesce(sum(case when result = 'pass' then 1 else 0 end), 0) as bigint),
                    cast(coalesce(sum(case when result = 'fail' then 1 else 0 end), 0) as bigint)
             from inspections
             where lab_id = $1 and inspected_on between $2 and $3 and voided_at is null
             group by category_code order by category_code{order}"
        );
        let rows: Vec<(String, i64, i64, i64, i64)> = fetch_all(
            &mut c,
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(lab)
                .arg(period.start)
                .arg(period.end),
        )
        .await?;
        let categories = rows
            .into_iter()
            .map(|(code, instruments, inspections, passed, failed)| {
                Ok(CategoryRow {
                    category: CategoryCode::parse(&code).map_err(|e| {
                        StoreError::Invalid(format!("stored category {code:?}: {e}"))
                    })?,
                    instruments: u64_of(instruments),
                    inspections: u64_of(inspections),
                    passed: u64_of(passed),
                    failed: u64_of(failed),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // Each point's tests in date order: the last one of a point is its latest.
        let tests: Vec<(i64, String, String)> = fetch_all(
            &mut c,
            sqlx::query(
                "select point_id, cast(resistance_ohm as text), cast(limit_ohm as text)
                 from earthing_tests
                 where lab_id = $1 and tested_on between $2 and $3 and voided_at is null
                 order by point_id, tested_on, id",
            )
            .arg(lab)
            .arg(period.start)
            .arg(period.end),
        )
        .await?;
        Ok(ReportTables {
            categories,
            earthing: earthing_row(&tests)?,
        })
    }
}

fn settings_of(row: SettingsRow) -> ReportSettings {
    let (parent_body, issuing_body, symbol, place, signer_title, signer_name, recipients) = row;
    ReportSettings {
        parent_body,
        issuing_body,
        symbol,
        place,
        signer_title,
        signer_name,
        recipients: recipients
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// Points, tests and points over their limit from `(point, resistance, limit)` rows in
/// point then date order.
fn earthing_row(tests: &[(i64, String, String)]) -> Result<EarthingRow, StoreError> {
    let ohms = |text: &str| {
        Ohms::parse(text)
            .map_err(|e| StoreError::Invalid(format!("stored resistance {text:?}: {e}")))
    };
    let mut row = EarthingRow {
        tests: tests.len() as u64,
        ..EarthingRow::default()
    };
    for (i, (point, resistance, limit)) in tests.iter().enumerate() {
        let latest = tests.get(i + 1).is_none_or(|(next, _, _)| next != point);
        if latest {
            row.points += 1;
            if ohms(resistance)? > ohms(limit)? {
                row.points_over_limit += 1;
            }
        }
    }
    Ok(row)
}
