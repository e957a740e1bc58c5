//! Extractors whose rejections are problem+json: axum's `Json`, `Query` and `Path`,
//! wrapped so that a malformed body, query string or path answers in our format.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, bad_request, payload_too_large, unsupported_media_type, validation};

/// A JSON body; malformed JSON is 400, a well-formed body of the wrong shape 422.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(match rejection {
                JsonRejection::JsonDataError(e) => validation(format!(
                    "The JSON body does not have the expected fields: {}",
                    e.body_text()
                )),
                JsonRejection::JsonSyntaxError(e) => {
                    bad_request(format!("The body is not valid JSON: {}", e.body_text()))
                }
                JsonRejection::MissingJsonContentType(_) => {
                    unsupported_media_type("Send the body as `Content-Type: application/json`.")
                }
                JsonRejection::BytesRejection(e) => {
                    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                        payload_too_large("The JSON body is too large.")
                    } else {
                        bad_request(format!("The body could not be read: {}", e.body_text()))
                    }
                }
                other => bad_request(other.body_text()),
            }),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A query string; one that cannot be read is 400 with what was wrong.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| {
                bad_request(format!("The query string is not valid: {}", e.body_text()))
            })
    }
}

/// Path parameters; an id that is not a number is 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| {
                bad_request(format!("The path is not valid: {}", e.body_text()))
            })
    }
}
