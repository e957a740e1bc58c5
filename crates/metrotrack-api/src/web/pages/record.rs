//! One record's page: every field, where it came from, every version side by side with
//! what each changed marked, and, for who may, amending it and voiding it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use metrotrack_core::{Lang, Problem};
use metrotrack_store::accounts::Role;
use metrotrack_store::{Store, StoreError};
use serde_json::Value;

use super::{Chrome, expired, forbidden};
use crate::AppState;
use crate::amend::{self, Actor, Refusal};
use crate::web::i18n::{RecordTexts, Texts, record_texts};
use crate::web::{PageError, PagePath, PageResult, WebUser, render};

/// Which kind of record a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Inspection,
    EarthingTest,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Self::Inspection => "/records/inspections",
            Self::EarthingTest => "/records/earthing",
        }
    }

    fn fields(self) -> &'static [Field] {
        match self {
            Self::Inspection => INSPECTION_FIELDS,
            Self::EarthingTest => TEST_FIELDS,
        }
    }
}

/// How a field's value is shown and typed.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Text,
    Date,
    Decimal,
    Choice(&'static [&'static str]),
}

/// A field of a record's page: its name in the record's JSON, its label, its shape.
struct Field {
    name: &'static str,
    label: fn(&Texts, &RecordTexts) -> &'static str,
    shape: Shape,
    /// Whether an amendment may change it.
    amendable: bool,
}

const fn field(
    name: &'static str,
    label: fn(&Texts, &RecordTexts) -> &'static str,
    shape: Shape,
) -> Field {
    Field {
        name,
        label,
        shape,
        amendable: true,
    }
}

const INSPECTION_FIELDS: &[Field] = &[
    field("inspected_on", |_, r| r.inspected_on, Shape::Date),
    field("category", |t, _| t.category, Shape::Text),
    field("serial_number", |t, _| t.serial, Shape::Text),
    field(
        "kind",
        |_, r| r.inspection_kind,
        Shape::Choice(&["verification", "calibration", "test"]),
    ),
    field(
        "verification_type",
        |_, r| r.verification_type,
        Shape::Choice(&["", "initial", "periodic", "after_repair"]),
    ),
    field("procedure", |_, r| r.procedure, Shape::Text),
    field(
        "result",
        |t, _| t.result,
        Shape::Choice(&["", "pass", "fail"]),
    ),
    field("error_percent", |_, r| r.error_percent, Shape::Decimal),
    field("certificate_no", |_, r| r.certificate_no, Shape::Text),
    field("stamp_no", |_, r| r.stamp_no, Shape::Text),
    field("valid_until", |t, _| t.valid_until, Shape::Date),
    field("technician", |t, _| t.technician, Shape::Text),
    field("checked_by", |_, r| r.checked_by, Shape::Text),
    field("notes", |_, r| r.notes, Shape::Text),
];

const TEST_FIELDS: &[Field] = &[
    field("tested_on", |t, _| t.tested_on, Shape::Date),
    Field {
        amendable: false,
        ..field("site", |t, _| t.site, Shape::Text)
    },
    Field {
        amendable: false,
        ..field("point_code", |t, _| t.point, Shape::Text)
    },
    field("resistance_ohm", |t, _| t.resistance_ohm, Shape::Decimal),
    field("limit_ohm", |t, _| t.limit_ohm, Shape::Decimal),
    field(
        "method",
        |_, r| r.method,
        Shape::Choice(&["", "fall_of_potential", "clamp", "two_pole", "other"]),
    ),
    field("tester_serial", |_, r| r.tester_serial, Shape::Text),
    field("weather", |_, r| r.weather, Shape::Text),
    field("technician", |t, _| t.technician, Shape::Text),
    field("notes", |_, r| r.notes, Shape::Text),
];

/// A value as the form holds it: dates `dd/mm/yyyy`, decimals with the language's
/// separator, codes as they are.
fn typed(value: &Value, shape: Shape, lang: Lang) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Null => return String::new(),
        other => other.to_string(),
    };
    match shape {
        Shape::Date => chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map_or(text, |d| d.format("%d/%m/%Y").to_string()),
        Shape::Decimal if lang == Lang::Vi => text.replace('.', ","),
        _ => text,
    }
}

/// A value as a person reads it: [`typed`], coded values as words.
fn shown(value: &Value, shape: Shape, lang: Lang) -> String {
    let text = typed(value, shape, lang);
    match shape {
        Shape::Choice(_) => record_texts(lang).word(&text).to_owned(),
        _ => text,
    }
}

/// One cell of the versions table.
struct Cell {
    text: String,
    changed: bool,
}

/// One field across every version.
struct Row {
    label: &'static str,
    cells: Vec<Cell>,
}

/// A version's column head.
struct Head {
    version: String,
    note: String,
}

/// A field of the amendment form.
struct Input {
    name: &'static str,
    label: &'static str,
    value: String,
    /// For a coded value: (code, word, selected).
    choices: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    chrome: Chrome,
    rt: &'static RecordTexts,
    title: String,
    action: String,
    /// The instrument's or the point's page, with its history.
    subject: Option<String>,
    voided: Option<String>,
    batch: Option<String>,
    original: Vec<(String, String)>,
    heads: Vec<Head>,
    rows: Vec<Row>,
    inputs: Vec<Input>,
    may_change: bool,
    /// Why the last amendment or void was not stored.
    problems: Vec<String>,
}

/// Every version of the record, oldest first, as JSON.
async fn versions<S: Store>(
    store: &S,
    kind: Kind,
    lab: i64,
    id: i64,
) -> Result<Vec<Value>, StoreError> {
    let json = |e: serde_json::Error| StoreError::Invalid(e.to_string());
    match kind {
        Kind::Inspection => store
            .inspection_versions(lab, id)
            .await?
            .into_iter()
            .map(|v| serde_json::to_value(v).map_err(json))
            .collect(),
        Kind::EarthingTest => store
            .earthing_test_versions(lab, id)
            .await?
            .into_iter()
            .map(|v| serde_json::to_value(v).map_err(json))
            .collect(),
    }
}

/// The page of `versions` (the current one last), with `problems` from a refused form.
fn page(
    user: &WebUser,
    kind: Kind,
    id: i64,
    versions: &[Value],
    problems: Vec<String>,
) -> RecordPage {
    let (t, lang) = (user.t(), user.lang);
    let rt = record_texts(lang);
    let action = format!("{}/{id}", kind.path());
    let empty = Value::Null;
    let current = versions.last().unwrap_or(&empty);
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let voided = text(&current["voided_at"]).map(|at| {
        let mut note = format!("{}: {}", rt.record_voided, at.get(..16).unwrap_or(&at));
        for part in [&current["voided_by"], &current["void_reason"]] {
            if let Some(p) = part.as_str() {
                note.push_str(&format!(" · {p}"));
            }
        }
        note
    });
    let batch = current["batch_id"].as_i64().map(|b| {
        let mut note = format!("{} {b}", rt.from_batch);
        if let Some(line) = current["source_line"].as_i64() {
            note.push_str(&format!(", {} {line}", t.line.to_lowercase()));
        }
        if let Some(by) = current["uploaded_by"].as_str() {
            note.push_str(&format!(" · {by}"));
        }
        note
    });
    let original = current["original"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), str::to_owned)))
                .collect()
        })
        .unwrap_or_default();
    let heads = versions
        .iter()
        .map(|v| {
            let note = match (v["amended_by"].as_str(), v["amend_reason"].as_str()) {
                (Some(by), Some(why)) => {
                    let at = v["amended_at"].as_str().unwrap_or("");
                    format!("{by} · {} · {why}", at.get(..16).unwrap_or(at))
                }
                _ => rt.as_imported.to_owned(),
            };
            Head {
                version: format!("{} {}", rt.version, v["version"]),
                note,
            }
        })
        .collect();
    let rows = kind
        .fields()
        .iter()
        .map(|f| Row {
            label: (f.label)(t, rt),
            cells: versions
                .iter()
                .enumerate()
                .map(|(i, v)| Cell {
                    text: shown(&v[f.name], f.shape, lang),
                    changed: i > 0 && versions[i - 1][f.name] != v[f.name],
                })
                .collect(),
        })
        .collect();
    let inputs = kind
        .fields()
        .iter()
        .filter(|f| f.amendable)
        .map(|f| {
            let value = typed(&current[f.name], f.shape, lang);
            let choices = match f.shape {
                Shape::Choice(codes) => codes
                    .iter()
                    .map(|c| (c.to_string(), rt.word(c).to_owned(), *c == value))
                    .collect(),
                _ => Vec::new(),
            };
            Input {
                name: f.name,
                label: (f.label)(t, rt),
                value,
                choices,
            }
        })
        .collect();
    let title = match kind {
        Kind::Inspection => format!("{} {id}", rt.inspection),
        Kind::EarthingTest => format!("{} {id}", rt.earthing_test),
    };
    let subject = match kind {
        Kind::Inspection => current["instrument_id"]
            .as_i64()
            .map(|i| format!("/instruments/{i}")),
        Kind::EarthingTest => current["point_id"]
            .as_i64()
            .map(|p| format!("/earthing-points/{p}")),
    };
    RecordPage {
        chrome: Chrome::new(user, &action),
        rt,
        title,
        action,
        subject,
        voided,
        batch,
        original,
        heads,
        rows,
        inputs,
        may_change: user.may(Role::Technician) && current["voided_at"].is_null(),
        problems,
    }
}

async fn show<S: Store>(app: &AppState<S>, user: &WebUser, kind: Kind, id: i64) -> PageResult {
    let lab = user.session.user.lab;
    let versions = versions(&app.store, kind, lab, id).await?;
    render(&page(user, kind, id, &versions, Vec::new()))
}

pub(crate) async fn inspection<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    show(&app, &user, Kind::Inspection, id).await
}

pub(crate) async fn earthing_test<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    show(&app, &user, Kind::EarthingTest, id).await
}

/// The page again, with why the form was refused, under `status`.
async fn refused_page<S: Store>(
    app: &AppState<S>,
    user: &WebUser,
    kind: Kind,
    id: i64,
    status: StatusCode,
    problems: Vec<String>,
) -> PageResult {
    let lab = user.session.user.lab;
    let versions = versions(&app.store, kind, lab, id).await?;
    let page = render(&page(user, kind, id, &versions, problems))?;
    Ok((status, page).into_response())
}

/// What a refusal answers: the page with its reasons, or the store's error.
async fn answer_refusal<S: Store>(
    app: &AppState<S>,
    user: &WebUser,
    kind: Kind,
    id: i64,
    refusal: Refusal,
) -> PageResult {
    let rt = record_texts(user.lang);
    let (status, problems) = match refusal {
        Refusal::NotYours => (StatusCode::FORBIDDEN, vec![rt.not_yours.to_owned()]),
        Refusal::Problems(problems) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            problems.iter().map(|p| said(user, kind, p)).collect(),
        ),
        Refusal::Store(StoreError::Conflict(why)) => (
            StatusCode::CONFLICT,
            vec![crate::error::refusal_in(why, user.lang)],
        ),
        Refusal::Store(StoreError::Invalid(why)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![crate::error::refusal_in(why, user.lang)],
        ),
        Refusal::Store(e) => return Err(PageError::from(e)),
    };
    refused_page(app, user, kind, id, status, problems).await
}

/// A problem with a value, its field named by its label.
fn said(user: &WebUser, kind: Kind, p: &Problem) -> String {
    let rt = record_texts(user.lang);
    let column = p.column.as_deref().unwrap_or_default();
    let label = kind
        .fields()
        .iter()
        .find(|f| f.name == column)
        .map_or(column, |f| (f.label)(user.t(), rt));
    match &p.value {
        Some(v) => format!("{label} «{v}»: {}", p.render(user.lang)),
        None => format!("{label}: {}", p.render(user.lang)),
    }
}

async fn amend<S: Store>(
    app: &AppState<S>,
    user: &WebUser,
    kind: Kind,
    id: i64,
    form: &HashMap<String, String>,
) -> PageResult {
    let field = |name: &str| form.get(name).map_or("", |v| v.trim());
    if !user.csrf_ok(field("csrf")) {
        return expired(user);
    }
    if !user.may(Role::Technician) {
        return forbidden(user);
    }
    let lab = user.session.user.lab;
    let versions = versions(&app.store, kind, lab, id).await?;
    let current = versions.last().cloned().unwrap_or(Value::Null);
    let changes: Vec<(String, String)> = kind
        .fields()
        .iter()
        .filter(|f| f.amendable)
        .filter_map(|f| {
            let submitted = form.get(f.name)?.trim();
            let before = typed(&current[f.name], f.shape, user.lang);
            (submitted != before.trim()).then(|| (f.name.to_owned(), submitted.to_owned()))
        })
        .collect();
    let rt = record_texts(user.lang);
    if changes.is_empty() {
        let problems = vec![rt.nothing_changed.to_owned()];
        return refused_page(
            app,
            user,
            kind,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            problems,
        )
        .await;
    }
    let actor = Actor {
        lab,
        role: user.session.user.role,
        name: &user.session.user.username,
    };
    let reason = field("reason");
    let done = match kind {
        Kind::Inspection => amend::inspection(&app.store, actor, id, reason, &changes)
            .await
            .map(|_| ()),
        Kind::EarthingTest => amend::earthing_test(&app.store, actor, id, reason, &changes)
            .await
            .map(|_| ()),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("{}/{id}", kind.path())).into_response()),
        Err(refusal) => answer_refusal(app, user, kind, id, refusal).await,
    }
}

async fn void<S: Store>(
    app: &AppState<S>,
    user: &WebUser,
    kind: Kind,
    id: i64,
    form: &HashMap<String, String>,
) -> PageResult {
    let field = |name: &str| form.get(name).map_or("", |v| v.trim());
    if !user.csrf_ok(field("csrf")) {
        return expired(user);
    }
    if !user.may(Role::Technician) {
        return forbidden(user);
    }
    let actor = Actor {
        lab: user.session.user.lab,
        role: user.session.user.role,
        name: &user.session.user.username,
    };
    let reason = field("reason");
    if !reason.is_empty() && !super::confirm::confirmed(field("confirm")) {
        let a = user.chrome_a();
        return super::confirm::confirm_page(
            user,
            super::confirm::Confirm {
                title: format!("{} {id}", a.void_record),
                what: a.void_record_what.to_owned(),
                reason: reason.to_owned(),
                action: format!("{}/{id}/void", kind.path()),
                fields: Vec::new(),
                back: format!("{}/{id}", kind.path()),
            },
        );
    }
    let done = match kind {
        Kind::Inspection => amend::void_inspection(&app.store, actor, id, reason)
            .await
            .map(|_| ()),
        Kind::EarthingTest => amend::void_earthing_test(&app.store, actor, id, reason)
            .await
            .map(|_| ()),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("{}/{id}", kind.path())).into_response()),
        Err(refusal) => answer_refusal(app, user, kind, id, refusal).await,
    }
}

pub(crate) async fn amend_inspection<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> PageResult {
    amend(&app, &user, Kind::Inspection, id, &form).await
}

pub(crate) async fn amend_earthing_test<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> PageResult {
    amend(&app, &user, Kind::EarthingTest, id, &form).await
}

pub(crate) async fn void_inspection<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> PageResult {
    void(&app, &user, Kind::Inspection, id, &form).await
}

pub(crate) async fn void_earthing_test<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> PageResult {
    void(&app, &user, Kind::EarthingTest, id, &form).await
}
