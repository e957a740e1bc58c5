//! The pages' download buttons: `/export/<page's path>?<page's filters>&format=csv|xlsx`
//! answers the page's whole list (every row, not the page shown) as a file, in the
//! page's language, through the same export as the API.

use axum::extract::{Query, State};
use chrono::{NaiveDate, Utc};
use metrotrack_core::{PeriodSpec, ReportingPeriod, Scheme};
use metrotrack_store::{Store, StoreError};
use serde::Deserialize;

use super::records::{EarthingNarrowing, InspectionNarrowing};
use super::{bad_period, error_page, period_of};
use crate::AppState;
use crate::export::{ExportFormat, ExportQuery, List, export_response};
use crate::web::{PagePath, PageResult, WebUser};

/// `?format=csv|xlsx`.
#[derive(Debug, Deserialize)]
pub(crate) struct FileQuery {
    format: Option<String>,
}

impl FileQuery {
    fn asked(&self, user: &WebUser) -> Option<ExportQuery> {
        let format = ExportFormat::parse(self.format.as_deref()?)?;
        Some(ExportQuery {
            format,
            lang: user.lang,
        })
    }
}

/// A download asked for in a format this server does not write.
fn no_format(user: &WebUser) -> PageResult {
    error_page(user, "format: csv | xlsx")
}

/// `?period=…&scheme=…`, as the records pages have them (the inspections' narrowing is
/// read apart, as their page reads it).
#[derive(Debug, Deserialize)]
pub(crate) struct RecordsFileQuery {
    period: Option<String>,
    scheme: Option<String>,
}

impl RecordsFileQuery {
    /// The period asked for, as the page reads it (the current month when none is); one
    /// that does not parse is refused with what was wrong, in `user`'s words.
    fn period(
        &self,
        default: Scheme,
        user: &WebUser,
    ) -> Result<(PeriodSpec, ReportingPeriod), String> {
        let (spec, scheme) = period_of(
            self.period.as_deref(),
            self.scheme.as_deref(),
            default,
            user,
        )?;
        Ok((spec, spec.resolve(scheme)))
    }
}

pub(crate) async fn inspections<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<RecordsFileQuery>,
    Query(narrowing): Query<InspectionNarrowing>,
    Query(file): Query<FileQuery>,
) -> PageResult {
    let Some(asked) = file.asked(&user) else {
        return no_format(&user);
    };
    let (spec, period) = match q.period(app.config.scheme, &user) {
        Ok(asked) => asked,
        Err(why) => return bad_period(&user, &why),
    };
    let filter = narrowing.filter(&period);
    let lab = user.session.user.lab;
    let list = List::Inspections(filter);
    Ok(export_response(app.store.clone(), lab, list, asked, &format!("-{spec}")).await?)
}

pub(crate) async fn earthing_tests<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<RecordsFileQuery>,
    Query(narrowing): Query<EarthingNarrowing>,
    Query(file): Query<FileQuery>,
) -> PageResult {
    let Some(asked) = file.asked(&user) else {
        return no_format(&user);
    };
    let (spec, period) = match q.period(app.config.scheme, &user) {
        Ok(asked) => asked,
        Err(why) => return bad_period(&user, &why),
    };
    let filter = narrowing.filter(&period);
    let lab = user.session.user.lab;
    let list = List::EarthingTests(filter);
    Ok(export_response(app.store.clone(), lab, list, asked, &format!("-{spec}")).await?)
}

/// `?within=…&as_of=…`, as the due page has them.
#[derive(Debug, Deserialize)]
pub(crate) struct DueFileQuery {
    within: Option<u32>,
    as_of: Option<NaiveDate>,
}

pub(crate) async fn due<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<DueFileQuery>,
    Query(file): Query<FileQuery>,
) -> PageResult {
    let Some(asked) = file.asked(&user) else {
        return no_format(&user);
    };
    let within = q.within.unwrap_or(30).min(3650);
    let as_of = q.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let lab = user.session.user.lab;
    let list = List::Due { within, as_of };
    Ok(export_response(app.store.clone(), lab, list, asked, &format!("-{as_of}")).await?)
}

/// A batch's problems and warnings.
pub(crate) async fn batch<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
    Query(file): Query<FileQuery>,
) -> PageResult {
    let Some(asked) = file.asked(&user) else {
        return no_format(&user);
    };
    let lab = user.session.user.lab;
    let batch = app.store.batch(lab, id).await?;
    let list = List::Problems(Box::new(batch));
    Ok(export_response(app.store.clone(), lab, list, asked, &format!("-{id}")).await?)
}

/// The file a batch was imported from, as it was uploaded (the 404 page for a batch
/// stored before files were kept).
pub(crate) async fn kept_file<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    let lab = user.session.user.lab;
    match crate::export::kept_file(&app.store, lab, id).await? {
        Some(file) => Ok(file),
        None => Err(StoreError::NotFound(format!("import batch {id} file")).into()),
    }
}

/// The dashboard's report: the period's figures against plan.
pub(crate) async fn report<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<RecordsFileQuery>,
    Query(file): Query<FileQuery>,
) -> PageResult {
    let Some(asked) = file.asked(&user) else {
        return no_format(&user);
    };
    let (spec, period) = match q.period(app.config.scheme, &user) {
        Ok(asked) => asked,
        Err(why) => return bad_period(&user, &why),
    };
    let lab = user.session.user.lab;
    let achievement = app.store.achievement(lab, period).await?;
    let list = List::Report(Box::new(achievement));
    Ok(export_response(app.store.clone(), lab, list, asked, &format!("-{spec}")).await?)
}
