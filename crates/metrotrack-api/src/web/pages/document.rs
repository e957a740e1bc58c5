//! The report as a document: `/report.docx` downloads a period's report in the page's
//! language; `/settings` shows the letterhead, signature block and recipients it
//! carries, and lets an admin set them.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect};
use metrotrack_core::{Lang, ReportSettings, SettingsError};
use metrotrack_store::Store;
use metrotrack_store::accounts::Role;
use serde::Deserialize;

use super::{Chrome, PeriodQuery, bad_period, expired, forbidden, period_of};
use crate::AppState;
use crate::document::{DOCX, report_docx, today_in_vietnam};
use crate::web::{PageResult, WebUser, render};

/// The settings page's words.
pub(crate) struct SettingsTexts {
    title: &'static str,
    intro: &'static str,
    parent_body: &'static str,
    issuing_body: &'static str,
    issuing_hint: &'static str,
    symbol: &'static str,
    place: &'static str,
    signer_title: &'static str,
    signer_name: &'static str,
    recipients: &'static str,
    recipients_hint: &'static str,
    too_long: &'static str,
    too_many: &'static str,
    control: &'static str,
}

const VI: SettingsTexts = SettingsTexts {
    title: "Cài đặt báo cáo",
    intro: "Báo cáo tháng (.docx) được trình bày theo Nghị định 30/2020/NĐ-CP với các thông tin dưới đây.",
    parent_body: "Cơ quan chủ quản",
    issuing_body: "Cơ quan ban hành",
    issuing_hint: "Để trống: dùng tên phòng thí nghiệm.",
    symbol: "Chữ viết tắt trong số, ký hiệu (Số: …/BC-…)",
    place: "Địa danh",
    signer_title: "Quyền hạn, chức vụ người ký",
    signer_name: "Họ tên người ký",
    recipients: "Nơi nhận",
    recipients_hint: "Mỗi dòng một nơi nhận.",
    too_long: "quá dài: tối đa 200 ký tự",
    too_many: "Tối đa 20 nơi nhận.",
    control: "có ký tự điều khiển không được phép",
};

const EN: SettingsTexts = SettingsTexts {
    title: "Report settings",
    intro: "The monthly report (.docx) is laid out as Decree 30/2020/NĐ-CP sets out, with the details below.",
    parent_body: "Governing body",
    issuing_body: "Issuing body",
    issuing_hint: "Empty: the lab's name.",
    symbol: "Abbreviation in the number (Số: …/BC-…)",
    place: "Place",
    signer_title: "Signer's authority and title",
    signer_name: "Signer's name",
    recipients: "Recipients",
    recipients_hint: "One recipient per line.",
    too_long: "is too long: at most 200 characters",
    too_many: "At most 20 recipients.",
    control: "holds control characters, which are not allowed",
};

fn texts(lang: Lang) -> &'static SettingsTexts {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// Why settings were refused, in the page's language, naming the field as the form
/// labels it.
fn refusal(st: &SettingsTexts, e: &SettingsError) -> String {
    let label = |field: &str| match field {
        "parent_body" => st.parent_body,
        "issuing_body" => st.issuing_body,
        "symbol" => st.symbol,
        "place" => st.place,
        "signer_title" => st.signer_title,
        "signer_name" => st.signer_name,
        _ => st.recipients,
    };
    match e {
        SettingsError::TooLong { field } => format!("{}: {}", label(field), st.too_long),
        SettingsError::Control { field } => format!("{}: {}", label(field), st.control),
        SettingsError::TooManyRecipients => st.too_many.to_owned(),
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    st: &'static SettingsTexts,
    s: ReportSettings,
    recipients: String,
    error: Option<String>,
}

fn page(
    user: &WebUser,
    s: ReportSettings,
    status: StatusCode,
    error: Option<String>,
) -> PageResult {
    let recipients = s.recipients.join("\n");
    let page = render(&SettingsPage {
        chrome: Chrome::new(user, "/settings"),
        st: texts(user.lang),
        s,
        recipients,
        error,
    })?;
    Ok((status, page).into_response())
}

pub(crate) async fn settings<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
) -> PageResult {
    let s = app.store.report_settings(user.session.user.lab).await?;
    page(&user, s, StatusCode::OK, None)
}

#[derive(Debug, Deserialize)]
pub(crate) struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    parent_body: String,
    #[serde(default)]
    issuing_body: String,
    #[serde(default)]
    symbol: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    signer_title: String,
    #[serde(default)]
    signer_name: String,
    #[serde(default)]
    recipients: String,
}

pub(crate) async fn set_settings<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    axum::Form(form): axum::Form<SettingsForm>,
) -> PageResult {
    if !user.csrf_ok(&form.csrf) {
        return expired(&user);
    }
    if !user.may(Role::Admin) {
        return forbidden(&user);
    }
    let wanted = ReportSettings {
        parent_body: form.parent_body,
        issuing_body: form.issuing_body,
        symbol: form.symbol,
        place: form.place,
        signer_title: form.signer_title,
        signer_name: form.signer_name,
        recipients: form.recipients.lines().map(str::to_owned).collect(),
    };
    // Checked here too, to name the field in the page's language; the store checks
    // the same rule for every other caller.
    if let Err(e) = wanted.normalized() {
        let why = refusal(texts(user.lang), &e);
        return page(&user, wanted, StatusCode::UNPROCESSABLE_ENTITY, Some(why));
    }
    let lab = user.session.user.lab;
    app.store
        .set_report_settings(lab, &wanted, &user.session.user.username)
        .await?;
    Ok(Redirect::to("/settings").into_response())
}

/// `/report.docx?period=…&scheme=…`: the period's report as a Word document, in the
/// page's language, signed today (Vietnam's date).
pub(crate) async fn report<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let (spec, scheme) = match period_of(
        q.period.as_deref(),
        q.scheme.as_deref(),
        app.config.scheme,
        &user,
    ) {
        Ok(asked) => asked,
        Err(why) => return bad_period(&user, &why),
    };
    let bytes = report_docx(
        &app.store,
        user.session.user.lab,
        spec.resolve(scheme),
        today_in_vietnam(),
        user.lang,
    )
    .await?;
    let disposition = format!("attachment; filename=\"bao-cao-{spec}.docx\"");
    Ok((
        [
            (CONTENT_TYPE, DOCX.to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
