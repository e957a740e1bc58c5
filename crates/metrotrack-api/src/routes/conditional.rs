//! Conditional requests for the figures (RFC 9110 §13.1.2): each answer carries a strong
//! `ETag` made from its bytes, and a request whose `If-None-Match` names it gets
//! `304 Not Modified` with no body, so a portal polling every lab's figures downloads
//! nothing while nothing changed.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{ApiResult, internal};

/// The answer's entity tag: the first 128 bits of its SHA-256, quoted.
fn entity_tag(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(body)[..16]))
}

/// Whether `If-None-Match` names `tag` (or is `*`); weak tags compare weakly.
fn matches(request: &HeaderMap, tag: &str) -> bool {
    request
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|given| given == "*" || given.strip_prefix("W/").unwrap_or(given) == tag)
}

/// `body` as `content_type` with its `ETag`, or 304 when the request already has it.
pub fn respond(request: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    let tag = entity_tag(&body);
    let Ok(tag_value) = HeaderValue::from_str(&tag) else {
        return internal("an entity tag is not a header value").into_response();
    };
    // Caches may keep the answer but must ask again each time (then get 304).
    let cache = (CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    if matches(request, &tag) {
        return (StatusCode::NOT_MODIFIED, [(ETAG, tag_value), cache]).into_response();
    }
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (ETAG, tag_value),
            cache,
        ],
        body,
    )
        .into_response()
}

/// A JSON document with its `ETag`, or 304.
pub fn json<T: Serialize>(request: &HeaderMap, value: &T) -> ApiResult<Response> {
    let body = serde_json::to_vec(value).map_err(internal)?;
    Ok(respond(request, "application/json", body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(IF_NONE_MATCH, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn if_none_match_names_the_tag_among_others_weak_or_any() {
        let tag = entity_tag(b"467");
        assert_eq!(tag.len(), 34);
        assert!(matches(&asking(&tag), &tag));
        assert!(matches(&asking(&format!("\"x\", W/{tag}")), &tag));
        assert!(matches(&asking("*"), &tag));
        assert!(!matches(&asking("\"x\""), &tag));
        assert!(!matches(&HeaderMap::new(), &tag));
        assert_ne!(entity_tag(b"468"), tag);
    }
}
