//! The stylesheet, the script and the favicon, built into the binary. The stylesheet and
//! script are served under names carrying a hash of their content
//! (`/assets/app.3f9c…css`), so a browser may keep them for good
//! (`Cache-Control: immutable`) and a new release is fetched at once under its new name.
//! The plain names (`/assets/app.css`) still answer, cached briefly, for anything that
//! kept an old link.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One file served from `/assets`.
#[derive(Debug)]
pub(crate) struct Asset {
    stem: &'static str,
    ext: &'static str,
    content_type: &'static str,
    body: &'static str,
    href: OnceLock<String>,
}

impl Asset {
    /// `/assets/<stem>.<first 12 hex digits of the content's SHA-256>.<ext>`.
    pub(crate) fn href(&self) -> &str {
        self.href.get_or_init(|| {
            let hash = hex::encode(Sha256::digest(self.body.as_bytes()));
            format!("/assets/{}.{}.{}", self.stem, &hash[..12], self.ext)
        })
    }

    /// The plain name, `<stem>.<ext>`.
    fn plain(&self) -> String {
        format!("{}.{}", self.stem, self.ext)
    }

    fn response(&self, cache: &'static str) -> Response {
        (
            [
                (header::CONTENT_TYPE, self.content_type),
                (header::CACHE_CONTROL, cache),
            ],
            self.body,
        )
            .into_response()
    }
}

pub(crate) static CSS: Asset = Asset {
    stem: "app",
    ext: "css",
    content_type: "text/css; charset=utf-8",
    body: include_str!("../../assets/app.css"),
    href: OnceLock::new(),
};

pub(crate) static JS: Asset = Asset {
    stem: "app",
    ext: "js",
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("../../assets/app.js"),
    href: OnceLock::new(),
};

/// A year, immutable: the name changes with the content.
const FOREVER: &str = "public, max-age=31536000, immutable";
/// Plain names and the favicon: a day.
const A_DAY: &str = "public, max-age=86400";

/// `/assets/{name}`: a hashed name for good, a plain one for a day, else 404.
pub(crate) async fn asset(Path(name): Path<String>) -> Response {
    for a in [&CSS, &JS] {
        if a.href().strip_prefix("/assets/") == Some(name.as_str()) {
            return a.response(FOREVER);
        }
        if a.plain() == name {
            return a.response(A_DAY);
        }
    }
    StatusCode::NOT_FOUND.into_response()
}

/// `/favicon.ico`: the mark as SVG (browsers read it by its type, whatever the name).
pub(crate) async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, A_DAY),
        ],
        include_str!("../../assets/favicon.svg"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_follow_the_content() {
        let href = CSS.href();
        assert!(
            href.starts_with("/assets/app.") && href.ends_with(".css"),
            "{href}"
        );
        assert_eq!(href.len(), "/assets/app..css".len() + 12);
        assert_ne!(
            CSS.href().trim_end_matches(".css"),
            JS.href().trim_end_matches(".js")
        );
    }
}
