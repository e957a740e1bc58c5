//! Amending and voiding one record, as the API and the web pages both do it: who may,
//! the new values read as an import reads a log's row, and the store's verdict.

use metrotrack_core::{CategoryCatalog, LabId, Problem, Role};
use metrotrack_store::records::{Amendment, EarthingTestRecord, InspectionRecord};
use metrotrack_store::{Store, StoreError};

/// Who acts: the lab written to, the role, and the name recorded as the author.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Actor<'a> {
    pub lab: LabId,
    pub role: Role,
    pub name: &'a str,
}

/// Why an amendment or a void did not happen.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The role may not change this record (a technician, another's record).
    NotYours,
    /// A value is not acceptable: each problem names its field.
    Problems(Vec<Problem>),
    Store(StoreError),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Refuses unless `actor` may change a record with this authorship.
fn may_change(
    actor: Actor<'_>,
    authorship: &metrotrack_store::records::Authorship,
) -> Result<(), Refusal> {
    let allowed = actor.role.may_change_record(
        actor.name,
        authorship.uploaded_by.as_deref(),
        authorship.amended_by.as_deref(),
    );
    if allowed {
        Ok(())
    } else {
        Err(Refusal::NotYours)
    }
}

/// Amends inspection `id` of the actor's lab by `changes` (field → value as typed).
pub(crate) async fn inspection<S: Store>(
    store: &S,
    actor: Actor<'_>,
    id: i64,
    reason: &str,
    changes: &[(String, String)],
) -> Result<InspectionRecord, Refusal> {
    let current = store.inspection(actor.lab, id).await?;
    may_change(actor, &current.authorship)?;
    let instrument = store.instrument(actor.lab, current.instrument_id).await?;
    let catalog = CategoryCatalog::new(store.categories(actor.lab).await?);
    let values = current.log_values(&instrument.instrument);
    let record = metrotrack_import::amended_inspection(&values, changes, &catalog)
        .map_err(Refusal::Problems)?;
    let amendment = Amendment {
        record,
        reason: reason.to_owned(),
        by: actor.name.to_owned(),
    };
    Ok(store.amend_inspection(actor.lab, id, &amendment).await?)
}

/// Amends earthing test `id` of the actor's lab by `changes`.
pub(crate) async fn earthing_test<S: Store>(
    store: &S,
    actor: Actor<'_>,
    id: i64,
    reason: &str,
    changes: &[(String, String)],
) -> Result<EarthingTestRecord, Refusal> {
    let current = store.earthing_test(actor.lab, id).await?;
    may_change(actor, &current.authorship)?;
    let catalog = CategoryCatalog::new(store.categories(actor.lab).await?);
    let record = metrotrack_import::amended_earthing_test(&current.log_values(), changes, &catalog)
        .map_err(Refusal::Problems)?;
    let amendment = Amendment {
        record,
        reason: reason.to_owned(),
        by: actor.name.to_owned(),
    };
    Ok(store.amend_earthing_test(actor.lab, id, &amendment).await?)
}

/// Voids inspection `id` of the actor's lab.
pub(crate) async fn void_inspection<S: Store>(
    store: &S,
    actor: Actor<'_>,
    id: i64,
    reason: &str,
) -> Result<InspectionRecord, Refusal> {
    let current = store.inspection(actor.lab, id).await?;
    may_change(actor, &current.authorship)?;
    Ok(store
        .void_inspection(actor.lab, id, actor.name, reason)
        .await?)
}

/// Voids earthing test `id` of the actor's lab.
pub(crate) async fn void_earthing_test<S: Store>(
    store: &S,
    actor: Actor<'_>,
    id: i64,
    reason: &str,
) -> Result<EarthingTestRecord, Refusal> {
    let current = store.earthing_test(actor.lab, id).await?;
    may_change(actor, &current.authorship)?;
    Ok(store
        .void_earthing_test(actor.lab, id, actor.name, reason)
        .await?)
}
