//! An instrument's page and an earthing point's page: what it is, and every record of it.

use askama::Template;
use axum::extract::State;
use metrotrack_store::Store;
use metrotrack_store::records::{EarthingPointHistory, InstrumentHistory};

use super::Chrome;
use crate::AppState;
use crate::web::i18n::{RecordTexts, record_texts};
use crate::web::{PagePath, PageResult, WebUser, render};

#[derive(Template)]
#[template(path = "instrument.html")]
struct InstrumentPage {
    chrome: Chrome,
    rt: &'static RecordTexts,
    h: InstrumentHistory,
}

pub(crate) async fn instrument<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    let h = app.store.instrument(user.session.user.lab, id).await?;
    let categories = app.store.categories(user.session.user.lab).await?;
    render(&InstrumentPage {
        chrome: Chrome::new(&user, &format!("/instruments/{id}")).with_categories(&categories),
        rt: record_texts(user.lang),
        h,
    })
}

#[derive(Template)]
#[template(path = "point.html")]
struct PointPage {
    chrome: Chrome,
    rt: &'static RecordTexts,
    h: EarthingPointHistory,
}

pub(crate) async fn point<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    let h = app.store.earthing_point(user.session.user.lab, id).await?;
    render(&PointPage {
        chrome: Chrome::new(&user, &format!("/earthing-points/{id}")),
        rt: record_texts(user.lang),
        h,
    })
}
