//! Extractors whose rejections are problem+json: axum's `Json`, `Query` and `Path`,
//! wrapped so that a malformed body, query string or path answers in our format.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{
    ApiError, Said, bad_request, payload_too_large, said, unsupported_media_type, validation,
};

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
                JsonRejection::JsonDataError(e) => {
                    let why = e.body_text();
                    validation(said!(
                        "Nội dung JSON không có các trường như mong đợi; chi tiết kỹ thuật: {why}",
                        "The JSON body does not have the expected fields: {why}"
                    ))
                }
                JsonRejection::JsonSyntaxError(e) => {
                    let why = e.body_text();
                    bad_request(said!(
                        "Nội dung gửi lên không phải JSON hợp lệ; chi tiết kỹ thuật: {why}",
                        "The body is not valid JSON: {why}"
                    ))
                }
                JsonRejection::MissingJsonContentType(_) => unsupported_media_type(said!(
                    "Hãy gửi nội dung với `Content-Type: application/json`.",
                    "Send the body as `Content-Type: application/json`."
                )),
                JsonRejection::BytesRejection(e) => {
                    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                        payload_too_large(said!(
                            "Nội dung JSON gửi lên quá lớn.",
                            "The JSON body is too large."
                        ))
                    } else {
                        let why = e.body_text();
                        bad_request(said!(
                            "Không đọc được nội dung gửi lên; chi tiết kỹ thuật: {why}",
                            "The body could not be read: {why}"
                        ))
                    }
                }
                other => {
                    let why = other.body_text();
                    bad_request(said!(
                        "Không đọc được nội dung gửi lên; chi tiết kỹ thuật: {why}",
                        "The body could not be read: {why}"
                    ))
                }
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
                let why = e.body_text();
                bad_request(said!(
                    "Chuỗi truy vấn (phần sau dấu ?) không hợp lệ; chi tiết kỹ thuật: {why}",
                    "The query string is not valid: {why}"
                ))
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
                let why = e.body_text();
                let vi = match &e {
                    PathRejection::FailedToDeserializePathParams(inner) => match inner.kind() {
                        ErrorKind::ParseErrorAtKey { value, .. }
                        | ErrorKind::ParseErrorAtIndex { value, .. }
                        | ErrorKind::ParseError { value, .. } => {
                            format!("{value:?} không phải là một mã số (id) hợp lệ.")
                        }
                        _ => format!("chi tiết kỹ thuật: {why}"),
                    },
                    _ => format!("chi tiết kỹ thuật: {why}"),
                };
                bad_request(Said {
                    vi: format!("Đường dẫn không hợp lệ: {vi}"),
                    en: format!("The path is not valid: {why}"),
                })
            })
    }
}
