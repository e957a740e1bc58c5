//! `/categories`: the lab's instrument categories and their cycles; an admin adds or
//! renames one and adds a cycle from a date on.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use metrotrack_core::{CategoryCode, CycleRule, Lang};
use metrotrack_store::accounts::Role;
use metrotrack_store::{CategoryNames, Store, StoreError};
use serde::Deserialize;

use super::{Chrome, expired, forbidden};
use crate::AppState;
use crate::web::{PageResult, WebUser, render};

/// The page's words.
pub(crate) struct CategoryTexts {
    title: &'static str,
    code: &'static str,
    name_vi: &'static str,
    name_en: &'static str,
    legal_group2: &'static str,
    cycles: &'static str,
    set: &'static str,
    add_cycle: &'static str,
    cycle_hint: &'static str,
    from: &'static str,
    months: &'static str,
    months_from: &'static str,
    bad_code: &'static str,
    /// After a name's label: what a name must be.
    bad_name: &'static str,
    bad_months: &'static str,
    /// "No category" {code} "in this lab".
    no_category: &'static str,
    no_category_end: &'static str,
    /// {code} "already has a cycle from" {date}, then why.
    cycle_taken: &'static str,
    cycle_taken_end: &'static str,
}

const VI: CategoryTexts = CategoryTexts {
    title: "Loại phương tiện đo",
    code: "Mã",
    name_vi: "Tên tiếng Việt",
    name_en: "Tên tiếng Anh",
    legal_group2: "Thuộc Danh mục nhóm 2",
    cycles: "Chu kỳ kiểm định",
    set: "Thêm hoặc đổi tên loại",
    add_cycle: "Thêm chu kỳ",
    cycle_hint: "Chu kỳ áp dụng từ ngày đã chọn; các lượt kiểm định đã lưu trước đó giữ nguyên hiệu lực.",
    from: "Áp dụng từ ngày",
    months: "Số tháng",
    months_from: "tháng, từ",
    bad_code: "Mã loại gồm 1 đến 16 chữ cái, chữ số, - hoặc _.",
    bad_name: "cần từ 1 đến 200 ký tự.",
    bad_months: "Chu kỳ dài từ 1 đến 240 tháng.",
    no_category: "Không có loại",
    no_category_end: "trong phòng thí nghiệm này.",
    cycle_taken: "đã có chu kỳ áp dụng từ ngày",
    cycle_taken_end: "; các chu kỳ được giữ làm lịch sử: hãy thêm chu kỳ từ một ngày khác.",
};

const EN: CategoryTexts = CategoryTexts {
    title: "Instrument categories",
    code: "Code",
    name_vi: "Vietnamese name",
    name_en: "English name",
    legal_group2: "On the group 2 legal list",
    cycles: "Verification cycles",
    set: "Add or rename a category",
    add_cycle: "Add a cycle",
    cycle_hint: "The cycle applies from the chosen date on; inspections stored before keep their valid-until.",
    from: "In force from",
    months: "Months",
    months_from: "months, from",
    bad_code: "A category code is 1 to 16 letters, digits, - or _.",
    bad_name: "give a name of 1 to 200 characters.",
    bad_months: "A cycle is 1 to 240 months.",
    no_category: "There is no category",
    no_category_end: "in this lab.",
    cycle_taken: "already has a cycle from",
    cycle_taken_end: "; cycles are kept as history: add one from another date.",
};

fn texts(lang: Lang) -> &'static CategoryTexts {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// A category as its row shows it.
struct Row {
    code: String,
    name: String,
    name_vi: String,
    name_en: String,
    legal_group2: bool,
    cycles: String,
}

#[derive(Template)]
#[template(path = "categories.html")]
struct CategoriesPage {
    chrome: Chrome,
    ct: &'static CategoryTexts,
    items: Vec<Row>,
    error: Option<String>,
}

async fn page<S: Store>(
    app: &AppState<S>,
    user: &WebUser,
    status: StatusCode,
    error: Option<String>,
) -> PageResult {
    let ct = texts(user.lang);
    let items = app
        .store
        .categories(user.session.user.lab)
        .await?
        .into_iter()
        .map(|c| Row {
            code: c.code.to_string(),
            name: match user.lang {
                Lang::Vi => c.name_vi.clone(),
                Lang::En => c.name_en.clone(),
            },
            cycles: c
                .cycles
                .iter()
                .map(|r| {
                    let from = r.effective_from.format("%d/%m/%Y");
                    format!("{} {} {from}", r.months, ct.months_from)
                })
                .collect::<Vec<_>>()
                .join("; "),
            name_vi: c.name_vi,
            name_en: c.name_en,
            legal_group2: c.legal_group2,
        })
        .collect();
    let page = render(&CategoriesPage {
        chrome: Chrome::new(user, "/categories"),
        ct,
        items,
        error,
    })?;
    Ok((status, page).into_response())
}

pub(crate) async fn categories<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
) -> PageResult {
    page(&app, &user, StatusCode::OK, None).await
}

/// A refusal of the store, shown on the page with its status. The refusals the form can
/// meet are checked before the store is asked, in the reader's words (`said`); the
/// store's own text is the fallback.
async fn refused<S: Store>(
    app: &AppState<S>,
    user: &WebUser,
    e: StoreError,
    said: Option<String>,
) -> PageResult {
    let (status, why) = match e {
        StoreError::Conflict(why) => (StatusCode::CONFLICT, why),
        StoreError::Invalid(why) => (StatusCode::UNPROCESSABLE_ENTITY, why),
        StoreError::NotFound(what) => (
            StatusCode::NOT_FOUND,
            crate::error::missing(&what).get(user.lang).to_owned(),
        ),
        other => return Err(other.into()),
    };
    let why = said.unwrap_or_else(|| crate::error::refusal_in(why, user.lang));
    page(app, user, status, Some(why)).await
}

/// A name of 1 to 200 characters, or why not in `ct`'s words.
fn name_ok(ct: &CategoryTexts, label: &str, name: &str) -> Result<(), String> {
    let n = name.trim().chars().count();
    if (1..=200).contains(&n) {
        Ok(())
    } else {
        Err(format!("{label}: {}", ct.bad_name))
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_vi: String,
    #[serde(default)]
    name_en: String,
    legal_group2: Option<String>,
}

pub(crate) async fn set<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    axum::Form(form): axum::Form<SetForm>,
) -> PageResult {
    if !user.csrf_ok(&form.csrf) {
        return expired(&user);
    }
    if !user.may(Role::Admin) {
        return forbidden(&user);
    }
    let Ok(code) = CategoryCode::parse(&form.code) else {
        let why = texts(user.lang).bad_code.to_owned();
        return page(&app, &user, StatusCode::UNPROCESSABLE_ENTITY, Some(why)).await;
    };
    let ct = texts(user.lang);
    if let Err(why) =
        name_ok(ct, ct.name_vi, &form.name_vi).and_then(|()| name_ok(ct, ct.name_en, &form.name_en))
    {
        return page(&app, &user, StatusCode::UNPROCESSABLE_ENTITY, Some(why)).await;
    }
    let names = CategoryNames {
        code,
        name_vi: form.name_vi,
        name_en: form.name_en,
        legal_group2: form.legal_group2.is_some(),
    };
    let lab = user.session.user.lab;
    match app
        .store
        .save_category(lab, &names, &user.session.user.username)
        .await
    {
        Ok(_) => Ok(Redirect::to("/categories").into_response()),
        Err(e) => refused(&app, &user, e, None).await,
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CycleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    months: String,
}

pub(crate) async fn cycle<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    axum::Form(form): axum::Form<CycleForm>,
) -> PageResult {
    if !user.csrf_ok(&form.csrf) {
        return expired(&user);
    }
    if !user.may(Role::Admin) {
        return forbidden(&user);
    }
    let code = CategoryCode::parse(&form.code);
    let from = NaiveDate::parse_from_str(form.from.trim(), "%Y-%m-%d");
    let months = form.months.trim().parse::<u32>();
    let (Ok(code), Ok(effective_from), Ok(months)) = (code, from, months) else {
        let ct = texts(user.lang);
        let why = format!(
            "{}: {} · {}: {}",
            ct.from, form.from, ct.months, form.months
        );
        return page(&app, &user, StatusCode::UNPROCESSABLE_ENTITY, Some(why)).await;
    };
    let ct = texts(user.lang);
    if !(1..=240).contains(&months) {
        let why = ct.bad_months.to_owned();
        return page(&app, &user, StatusCode::UNPROCESSABLE_ENTITY, Some(why)).await;
    }
    let rule = CycleRule {
        effective_from,
        months,
    };
    let lab = user.session.user.lab;
    match app
        .store
        .add_cycle(lab, &code, rule, &user.session.user.username)
        .await
    {
        Ok(_) => Ok(Redirect::to("/categories").into_response()),
        Err(e) => {
            let said = match &e {
                StoreError::NotFound(_) => {
                    Some(format!("{} {code} {}", ct.no_category, ct.no_category_end))
                }
                StoreError::Conflict(_) => Some(format!(
                    "{code} {} {}{}",
                    ct.cycle_taken,
                    effective_from.format("%d/%m/%Y"),
                    ct.cycle_taken_end
                )),
                _ => None,
            };
            refused(&app, &user, e, said).await
        }
    }
}
