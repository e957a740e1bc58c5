//! `/plans`: a year's plan targets, setting one and deleting one.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use chrono::Utc;
use metrotrack_core::message::{self, Msg};
use metrotrack_core::{CategoryCode, Lang, Metric, PeriodSpec, PlanTarget};
use metrotrack_store::Store;
use metrotrack_store::accounts::Role;
use serde::Deserialize;

use super::{Chrome, expired, forbidden};
use crate::AppState;
use crate::web::i18n::metric_name;
use crate::web::{PageResult, WebUser, render};

#[derive(Debug)]
pub(crate) struct PlanRow {
    pub(crate) period: String,
    pub(crate) metric: &'static str,
    /// The metric's word, for the delete form.
    pub(crate) metric_code: &'static str,
    pub(crate) category: String,
    pub(crate) target: u64,
}

/// One option of a `<select>`.
#[derive(Debug)]
pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) label: String,
}

#[derive(Template)]
#[template(path = "plans.html")]
struct PlansPage {
    chrome: Chrome,
    year: i32,
    items: Vec<PlanRow>,
    metrics: Vec<Choice>,
    categories: Vec<Choice>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlansQuery {
    year: Option<i32>,
    /// `?deleted=1`: a confirmed deletion just happened, announced.
    deleted: Option<u8>,
}

/// The year of today's reporting month.
fn this_year<S>(app: &AppState<S>) -> i32 {
    PeriodSpec::month_of(Utc::now().date_naive(), app.config.scheme).year()
}

pub(crate) async fn plans<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<PlansQuery>,
) -> PageResult {
    let year = q
        .year
        .filter(|y| (1900..=9999).contains(y))
        .unwrap_or_else(|| this_year(&app));
    let notice = q.deleted.map(|_| user.chrome_a().deleted_notice.to_owned());
    let mut page = plans_view(&app, &user, year, None).await?;
    page.chrome.notice = notice;
    render(&page)
}

async fn plans_page<S: Store>(
    app: &AppState<S>,
    user: &WebUser,
    year: i32,
    error: Option<String>,
) -> PageResult {
    render(&plans_view(app, user, year, error).await?)
}

async fn plans_view<S: Store>(
    app: &AppState<S>,
    user: &WebUser,
    year: i32,
    error: Option<String>,
) -> Result<PlansPage, crate::web::PageError> {
    let lab = user.session.user.lab;
    let items = app.store.plans(lab, Some(year)).await?;
    let categories = app.store.categories(lab).await?;
    let lang = user.lang;
    Ok(PlansPage {
        chrome: Chrome::new(user, &format!("/plans?year={year}")),
        year,
        items: items
            .into_iter()
            .map(|p| PlanRow {
                period: p.period.to_string(),
                metric: metric_name(lang, p.metric),
                metric_code: p.metric.as_str(),
                category: p.category.map(|c| c.to_string()).unwrap_or_default(),
                target: p.target,
            })
            .collect(),
        metrics: Metric::ALL
            .into_iter()
            .map(|m| Choice {
                value: m.as_str().to_owned(),
                label: metric_name(lang, m).to_owned(),
            })
            .collect(),
        categories: categories
            .into_iter()
            .map(|c| Choice {
                value: c.code.to_string(),
                label: format!(
                    "{} — {}",
                    c.code,
                    if lang == Lang::Vi {
                        &c.name_vi
                    } else {
                        &c.name_en
                    }
                ),
            })
            .collect(),
        error,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    metric: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    target: String,
}

/// The (period, metric, category) a plan form names, or what is wrong with it in
/// `user`'s words.
fn plan_key(
    user: &WebUser,
    period: &str,
    metric: &str,
    category: &str,
) -> Result<(PeriodSpec, Metric, Option<CategoryCode>), String> {
    let (t, lang) = (user.t(), user.lang);
    let said = |label: &str, msg: Msg| format!("{label}: {}", msg.render(lang));
    let written = period.trim();
    let period: PeriodSpec = written
        .parse()
        .map_err(|e| said(t.period, message::period_error(written, &e)))?;
    let metric: Metric = metric.parse().map_err(|_| {
        let written = metric.to_owned();
        said(t.metric, Msg::FormMetricUnknown { written })
    })?;
    let category = match category.trim() {
        "" => None,
        c => Some(CategoryCode::parse(c).map_err(|_| {
            let written = c.to_owned();
            said(t.category, Msg::FormCategoryInvalid { written })
        })?),
    };
    Ok((period, metric, category))
}

impl PlanForm {
    /// The target the form sets, or what is wrong with it in `user`'s words.
    fn target(&self, user: &WebUser) -> Result<PlanTarget, String> {
        let (t, lang) = (user.t(), user.lang);
        let (period, metric, category) =
            plan_key(user, &self.period, &self.metric, &self.category)?;
        let target: u64 = self.target.trim().parse().map_err(|_| {
            let written = self.target.clone();
            format!(
                "{}: {}",
                t.target,
                Msg::FormTargetInvalid { written }.render(lang)
            )
        })?;
        PlanTarget::new(metric, category, period, target)
            .map_err(|e| message::plan_error(&e).render(lang))
    }
}

pub(crate) async fn set_plan<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    axum::Form(form): axum::Form<PlanForm>,
) -> PageResult {
    if !user.csrf_ok(&form.csrf) {
        return expired(&user);
    }
    if !user.may(Role::Supervisor) {
        return forbidden(&user);
    }
    let target = match form.target(&user) {
        Ok(target) => target,
        Err(error) => return plans_page(&app, &user, this_year(&app), Some(error)).await,
    };
    let year = target.period.year();
    let lab = user.session.user.lab;
    match app
        .store
        .set_plan(lab, &target, &user.session.user.username)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/plans?year={year}")).into_response()),
        Err(e) => plans_page(&app, &user, year, Some(e.to_string())).await,
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeletePlanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    metric: String,
    #[serde(default)]
    category: String,
    /// `yes` once the confirmation page was answered.
    #[serde(default)]
    confirm: String,
}

/// `POST /plans/delete`: deletes one target (audited), then shows its year again.
pub(crate) async fn delete_plan<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    axum::Form(form): axum::Form<DeletePlanForm>,
) -> PageResult {
    if !user.csrf_ok(&form.csrf) {
        return expired(&user);
    }
    if !user.may(Role::Supervisor) {
        return forbidden(&user);
    }
    let (period, metric, category) =
        match plan_key(&user, &form.period, &form.metric, &form.category) {
            Ok(asked) => asked,
            Err(error) => return plans_page(&app, &user, this_year(&app), Some(error)).await,
        };
    let year = period.year();
    if !super::confirm::confirmed(&form.confirm) {
        let a = user.chrome_a();
        let mut title = format!(
            "{} {period} · {}",
            a.delete_plan,
            metric_name(user.lang, metric)
        );
        if let Some(c) = &category {
            title.push_str(&format!(" · {c}"));
        }
        return super::confirm::confirm_page(
            &user,
            super::confirm::Confirm {
                title,
                what: a.delete_plan_what.to_owned(),
                reason: String::new(),
                action: "/plans/delete".to_owned(),
                fields: vec![
                    ("period", form.period.clone()),
                    ("metric", form.metric.clone()),
                    ("category", form.category.clone()),
                ],
                back: format!("/plans?year={year}"),
            },
        );
    }
    match app
        .store
        .delete_plan(
            user.session.user.lab,
            metric,
            category.as_ref(),
            period,
            &user.session.user.username,
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/plans?year={year}&deleted=1")).into_response()),
        Err(e) => plans_page(&app, &user, year, Some(e.to_string())).await,
    }
}
