//! The confirmation step of a destructive action (voiding a batch or a record, restoring
//! a batch, deleting a plan): the form's first POST answers with this page, naming what
//! will happen ("Hủy lô 12 — 507 bản ghi sẽ rời khỏi số liệu"); only the POST it sends
//! back, carrying `confirm=yes`, acts. Plain HTML forms: no script needed.

use askama::Template;

use super::Chrome;
use crate::web::{PageResult, WebUser, render};

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    title: String,
    what: String,
    reason: String,
    action: String,
    fields: Vec<(&'static str, String)>,
    back: String,
}

/// What a confirmation page shows and sends back.
#[derive(Debug)]
pub(crate) struct Confirm {
    /// The action and its object: "Hủy lô 12".
    pub(crate) title: String,
    /// What it does to the figures: "507 bản ghi sẽ rời khỏi số liệu".
    pub(crate) what: String,
    /// The reason typed, shown and sent back.
    pub(crate) reason: String,
    /// Where the confirmed form posts.
    pub(crate) action: String,
    /// The form's other fields, sent back as they came.
    pub(crate) fields: Vec<(&'static str, String)>,
    /// Where "go back" leads.
    pub(crate) back: String,
}

/// Whether the form carries the confirmation.
pub(crate) fn confirmed(field: &str) -> bool {
    field == "yes"
}

pub(crate) fn confirm_page(user: &WebUser, c: Confirm) -> PageResult {
    let mut fields = c.fields;
    if !c.reason.is_empty() {
        fields.push(("reason", c.reason.clone()));
    }
    render(&ConfirmPage {
        chrome: Chrome::new(user, &c.back),
        title: c.title,
        what: c.what,
        reason: c.reason,
        action: c.action,
        fields,
        back: c.back,
    })
}
