//! A lab's categories kept by an admin: a category added or renamed, a verification
//! cycle added from a date on (records stored before keep the valid-until they have).

use chrono::NaiveDate;
use metrotrack_core::{Category, CategoryCode, CycleRule, LabId};

use super::{Arg, Backend, SqlStore, execute, fetch_optional, is_unique_violation};
use crate::{Store, StoreError};

/// A category's own values, as an admin sets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryNames {
    pub code: CategoryCode,
    pub name_vi: String,
    pub name_en: String,
    /// On the legal list of instruments that must be verified (nhóm 2).
    pub legal_group2: bool,
}

/// `text` trimmed, refused when empty.
fn named(text: &str, what: &str) -> Result<String, StoreError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 200 {
        return Err(StoreError::Invalid(format!(
            "{what}: give a name of 1 to 200 characters"
        )));
    }
    Ok(text.to_owned())
}

impl<DB: Backend> SqlStore<DB> {
    /// The lab's category `code`, if it has one.
    async fn category_of(&self, lab: LabId, code: &CategoryCode) -> Result<Category, StoreError> {
        self.categories(lab)
            .await?
            .into_iter()
            .find(|c| &c.code == code)
            .ok_or_else(|| StoreError::NotFound(format!("category {code}")))
    }

    /// Adds a category or sets its names: see [`crate::Store::save_category`].
    pub(crate) async fn put_category(
        &self,
        lab: LabId,
        names: &CategoryNames,
        by: &str,
    ) -> Result<Category, StoreError> {
        let name_vi = named(&names.name_vi, "name_vi")?;
        let name_en = named(&names.name_en, "name_en")?;
        let before = self.category_of(lab, &names.code).await.ok();
        let mut tx = self.begin_write().await?;
        execute(
            &mut tx,
            sqlx::query(
                "insert into categories (lab_id, code, name_vi, name_en, legal_group2)
                 values ($1, $2, $3, $4, $5)
                 on conflict (lab_id, code) do update set name_vi = excluded.name_vi,
                     name_en = excluded.name_en, legal_group2 = excluded.legal_group2",
            )
            .arg(lab)
            .arg(names.code.as_str().to_owned())
            .arg(name_vi.clone())
            .arg(name_en.clone())
            .arg(names.legal_group2),
        )
        .await?;
        let action = if before.is_some() {
            "category.rename"
        } else {
            "category.add"
        };
        let detail = serde_json::json!({
            "before": before.as_ref().map(|c| serde_json::json!({
                "name_vi": c.name_vi, "name_en": c.name_en, "legal_group2": c.legal_group2,
            })),
            "after": {"name_vi": name_vi, "name_en": name_en, "legal_group2": names.legal_group2},
        });
        let subject = format!("category:{}", names.code);
        Self::audit(&mut tx, lab, by, action, &subject, detail).await?;
        tx.commit().await?;
        self.category_of(lab, &names.code).await
    }

    /// Adds a verification cycle: see [`crate::Store::add_cycle`].
    pub(crate) async fn put_cycle(
        &self,
        lab: LabId,
        code: &CategoryCode,
        rule: CycleRule,
        by: &str,
    ) -> Result<Category, StoreError> {
        if rule.months == 0 || rule.months > 240 {
            return Err(StoreError::Invalid(
                "months: a cycle is 1 to 240 months".into(),
            ));
        }
        self.category_of(lab, code).await?;
        let mut tx = self.begin_write().await?;
        let taken: Option<(i64,)> = fetch_optional(
            &mut tx,
            sqlx::query(
                "select cast(months as bigint) from category_cycles
                 where lab_id = $1 and category_code = $2 and effective_from = $3",
            )
            .arg(lab)
            .arg(code.as_str().to_owned())
            .arg(rule.effective_from),
        )
        .await?;
        if let Some((months,)) = taken {
            return Err(taken_cycle(code, rule.effective_from, months));
        }
        let inserted = execute(
            &mut tx,
            sqlx::query(
                "insert into category_cycles (lab_id, category_code, effective_from, months)
                 values ($1, $2, $3, $4)",
            )
            .arg(lab)
            .arg(code.as_str().to_owned())
            .arg(rule.effective_from)
            .arg(i64::from(rule.months)),
        )
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(taken_cycle(
                    code,
                    rule.effective_from,
                    i64::from(rule.months),
                ));
            }
            other => other?,
        };
        let detail = serde_json::json!({
            "effective_from": rule.effective_from, "months": rule.months,
        });
        let subject = format!("category:{code}");
        Self::audit(&mut tx, lab, by, "category.cycle", &subject, detail).await?;
        tx.commit().await?;
        self.category_of(lab, code).await
    }
}

fn taken_cycle(code: &CategoryCode, from: NaiveDate, months: i64) -> StoreError {
    StoreError::Conflict(format!(
        "category {code} already has a cycle from {from} ({months} months); cycles are \
         kept as history: add one from another date"
    ))
}
