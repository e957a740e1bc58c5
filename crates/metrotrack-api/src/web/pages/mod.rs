//! The signed-in pages, by resource: dashboard, the records behind a figure, upload,
//! import history, due list and earthing points over their limit, plans. What every
//! page shares is here: the layout's data, message pages, the period asked for.

pub(super) mod batch;
pub(super) mod categories;
pub(super) mod confirm;
pub(super) mod dashboard;
pub(super) mod document;
pub(super) mod due;
pub(super) mod export;
pub(super) mod figures;
pub(super) mod history;
pub(super) mod imports;
pub(super) mod plans;
pub(super) mod record;
pub(super) mod records;
pub(super) mod upload;

use askama::Template;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use metrotrack_core::{BatchOutcome, Category, ImportBatch, Lang, PeriodSpec, Scheme};
use metrotrack_store::accounts::Role;
use serde::Deserialize;

use super::{PageResult, Texts, WebUser, render};

/// What the layout around every page needs.
#[derive(Debug)]
pub(crate) struct Chrome {
    pub(crate) t: &'static Texts,
    /// The words [`Texts`] does not hold (issue 14's).
    pub(crate) w: &'static super::words::Words,
    /// Skip link, names of controls, confirmations (`web::access`).
    pub(crate) a: &'static crate::web::access::AccessTexts,
    /// What was just done, announced at the top of the page and focused.
    pub(crate) notice: Option<String>,
    pub(crate) username: String,
    pub(crate) csrf: String,
    pub(crate) admin: bool,
    pub(crate) supervisor: bool,
    pub(crate) technician: bool,
    /// The current path and query without `lang`, to switch language in place.
    pub(crate) here: String,
    /// The lab's time zone, for times.
    pub(crate) tz: chrono_tz::Tz,
    /// Category code → name in the page's language, on pages that name categories.
    pub(crate) names: std::collections::HashMap<String, String>,
}

impl Chrome {
    fn new(user: &WebUser, here: &str) -> Self {
        Self {
            t: user.t(),
            w: super::words::words(user.lang),
            a: crate::web::access::access_texts(user.lang),
            notice: None,
            username: user.session.user.username.clone(),
            csrf: user.session.csrf_token.clone(),
            admin: user.may(Role::Admin),
            supervisor: user.may(Role::Supervisor),
            technician: user.may(Role::Technician),
            here: here.to_owned(),
            tz: user.tz,
            names: std::collections::HashMap::new(),
        }
    }

    /// The stylesheet's address, named by its content (cached for good).
    pub(crate) fn css_href(&self) -> &'static str {
        crate::web::assets::CSS.href()
    }

    /// The script's address, named by its content.
    pub(crate) fn js_href(&self) -> &'static str {
        crate::web::assets::JS.href()
    }

    /// The page announces what was just done (a void, a restore, a deletion).
    pub(crate) fn with_notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice;
        self
    }

    /// The page names categories (in its language) rather than showing their codes.
    pub(crate) fn with_categories(mut self, categories: &[Category]) -> Self {
        let lang = self.language();
        self.names = categories
            .iter()
            .map(|c| {
                let name = match lang {
                    Lang::Vi => &c.name_vi,
                    Lang::En => &c.name_en,
                };
                (c.code.to_string(), name.clone())
            })
            .collect();
        self
    }

    /// A category's name in the page's language (its code when it has none).
    pub(crate) fn category(&self, code: &dyn std::fmt::Display) -> String {
        let code = code.to_string();
        self.names.get(&code).cloned().unwrap_or(code)
    }

    /// A stored decimal as the page's language writes it (`4,15` in Vietnamese).
    pub(crate) fn num(&self, stored: &dyn std::fmt::Display) -> String {
        super::locale::decimal(&stored.to_string(), self.language())
    }

    /// A time in the lab's time zone, saying which: `15/10/2023 07:30 (UTC+7)`.
    pub(crate) fn time(&self, at: &chrono::DateTime<Utc>) -> String {
        super::locale::time(*at, self.tz)
    }

    /// An enumerated word (`verification`, `pass`, `inspections`, `strict`, …) in the
    /// page's language.
    pub(crate) fn word(&self, code: &dyn std::fmt::Display) -> String {
        let code = code.to_string();
        let t = self.t;
        let word = match code.as_str() {
            "inspections" => t.kind_inspections,
            "earthing" => t.kind_earthing,
            "strict" => t.word_strict,
            "partial" => t.word_partial,
            "dry_run" => t.word_dry_run,
            other => super::i18n::record_texts(self.language()).word(other),
        };
        word.to_owned()
    }

    /// The label of a batch's stored-rows count: a check-only upload stored nothing, so
    /// its count is of the rows that would be stored.
    pub(crate) fn inserted_label(&self, b: &ImportBatch) -> &'static str {
        if b.outcome == BatchOutcome::DryRun {
            self.w.would_store
        } else {
            self.t.inserted
        }
    }

    /// The label of a batch's rejected-rows count (rows that would be rejected when
    /// only checked).
    pub(crate) fn rejected_label(&self, b: &ImportBatch) -> &'static str {
        if b.outcome == BatchOutcome::DryRun {
            self.w.would_reject
        } else {
            self.t.rejected
        }
    }

    /// The page's language.
    pub(crate) fn language(&self) -> Lang {
        if self.t.lang == "en" {
            Lang::En
        } else {
            Lang::Vi
        }
    }

    /// The link that shows this page in the other language.
    pub(crate) fn other_lang_href(&self) -> String {
        let sep = if self.here.contains('?') { '&' } else { '?' };
        format!("{}{sep}lang={}", self.here, self.t.other_lang_code)
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    title: &'static str,
    text: String,
}

fn message_page(user: &WebUser, title: &'static str, text: &str) -> PageResult {
    render(&MessagePage {
        chrome: Chrome::new(user, "/"),
        title,
        text: text.to_owned(),
    })
}

/// The role does not allow this: 403, as the API answers.
fn forbidden(user: &WebUser) -> PageResult {
    refused(message_page(user, user.t().error, user.t().forbidden))
}

/// The form's CSRF token is not the session's: 403, nothing done.
fn expired(user: &WebUser) -> PageResult {
    refused(message_page(user, user.t().error, user.t().expired_form))
}

/// A message page answered with 403 rather than 200, so that a refusal never reads as
/// success to a script, a proxy or the log.
fn refused(page: PageResult) -> PageResult {
    page.map(|page| (StatusCode::FORBIDDEN, page).into_response())
}

/// An error shown on a page of its own.
fn error_page(user: &WebUser, text: &str) -> PageResult {
    message_page(user, user.t().error, text)
}

/// `?period=…&scheme=…`.
#[derive(Debug, Deserialize)]
pub(crate) struct PeriodQuery {
    period: Option<String>,
    scheme: Option<String>,
}

/// The period asked for (a month, quarter, half or year) and its scheme; the current
/// month when none is asked for. A period or scheme that does not parse is refused with
/// what was wrong, in `user`'s words (never silently read as the current month).
fn period_of(
    period: Option<&str>,
    scheme: Option<&str>,
    default_scheme: Scheme,
    user: &WebUser,
) -> Result<(PeriodSpec, Scheme), String> {
    let t = user.t();
    let scheme = match scheme.map(str::trim).filter(|s| !s.is_empty()) {
        None => default_scheme,
        Some(s) => s
            .parse()
            .map_err(|_| format!("\u{201c}{s}\u{201d} {}", t.bad_scheme))?,
    };
    let spec = match period.map(str::trim).filter(|p| !p.is_empty()) {
        None => PeriodSpec::month_of(Utc::now().date_naive(), scheme),
        Some(p) => p
            .parse()
            .map_err(|_| format!("\u{201c}{p}\u{201d} {}", t.bad_period))?,
    };
    Ok((spec, scheme))
}

/// A period that does not parse: a message page in the reader's language, answered 400.
fn bad_period(user: &WebUser, text: &str) -> PageResult {
    message_page(user, user.t().error, text)
        .map(|page| (StatusCode::BAD_REQUEST, page).into_response())
}
