//! The language of the API's texts: `?lang=vi|en`, else the `Accept-Language` header
//! (whichever of Vietnamese and English it prefers, Vietnamese on a tie), else English.

use axum::extract::FromRequestParts;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};
use metrotrack_core::Lang;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, bad_request, said};

/// The language asked for: `lang` in the query string, else `Accept-Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReqLang(pub Lang);

/// `?lang=`: the language of problem messages.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `vi` or `en`: the language of problem messages. Without it, `Accept-Language`
    /// decides (the first of Vietnamese and English it prefers); English when it asks
    /// for neither. Each problem carries a stable `code` whatever the language.
    #[param(value_type = Option<crate::dto::LangParam>)]
    pub lang: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let asked = axum::extract::Query::<LangQuery>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.lang);
        if let Some(word) = asked {
            return word.parse().map(Self).map_err(|_| unknown(&word));
        }
        Ok(Self(header_lang(&parts.headers)))
    }
}

/// 400: `?lang=` names neither Vietnamese nor English.
pub fn unknown(word: &str) -> ApiError {
    bad_request(said!(
        "lang: {word:?} không phải là một ngôn ngữ; hãy dùng vi hoặc en.",
        "lang: {word:?} is not a language; use vi or en."
    ))
}

/// The language of a request's problem documents, wherever they come from (a handler,
/// the authentication, the guard): `?lang=` when it names one, else `Accept-Language`.
pub fn of_request(uri: &Uri, headers: &HeaderMap) -> Lang {
    axum::extract::Query::<LangQuery>::try_from_uri(uri)
        .ok()
        .and_then(|q| q.0.lang)
        .and_then(|word| word.parse().ok())
        .unwrap_or_else(|| header_lang(headers))
}

fn header_lang(headers: &HeaderMap) -> Lang {
    preferred(headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// The language an `Accept-Language` header prefers among Vietnamese and English, if it
/// names either (the higher weight; Vietnamese on a tie).
pub fn named(headers: &HeaderMap) -> Option<Lang> {
    ranked(headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// The language an `Accept-Language` header prefers among Vietnamese and English (the
/// higher weight; Vietnamese on a tie); English when it names neither.
pub fn preferred(header: Option<&str>) -> Lang {
    ranked(header).unwrap_or(Lang::En)
}

fn ranked(header: Option<&str>) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.unwrap_or_default().split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let weight = parts
            .find_map(|p| p.trim().strip_prefix("q=").map(str::to_owned))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let lang = match tag.split('-').next() {
            Some("vi") => Lang::Vi,
            Some("en") => Lang::En,
            _ => continue,
        };
        let better = |(w, _): (f32, Lang)| weight > w || (weight == w && lang == Lang::Vi);
        if weight > 0.0 && best.is_none_or(better) {
            best = Some((weight, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_vietnamese_or_english() {
        assert_eq!(preferred(None), Lang::En);
        assert_eq!(preferred(Some("")), Lang::En);
        assert_eq!(preferred(Some("fr-FR, de")), Lang::En);
        assert_eq!(preferred(Some("vi")), Lang::Vi);
        assert_eq!(
            preferred(Some("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7")),
            Lang::Vi
        );
        assert_eq!(preferred(Some("en-US,en;q=0.9,vi;q=0.8")), Lang::En);
        assert_eq!(preferred(Some("fr, en;q=0.5, vi;q=0.6")), Lang::Vi);
        assert_eq!(preferred(Some("vi;q=0, en")), Lang::En);
        assert_eq!(preferred(Some("VI-vn")), Lang::Vi);
        // Vietnamese first on a tie.
        assert_eq!(preferred(Some("en, vi")), Lang::Vi);
    }
}
