//! metrotrack's application layer, shared by the command line and the HTTP server.
//!
//! - [`ingest`] streams a log from any reader through the importer into a [`Store`]:
//!   parsing runs on a blocking thread while the store writes the previous chunk, so a
//!   file is read once and never held in memory.
//! - [`router`] is the HTTP API (`/api/v1`, SPEC §3), generic over the store: handlers,
//!   authentication and roles ([`auth`]), problem+json errors ([`error`]), and the
//!   OpenAPI document ([`openapi`]) with a page that renders it (`/api/docs`).

mod amend;
pub mod auth;
mod dto;
mod error;
mod extract;
pub mod ingest;
mod lang;
mod openapi;
mod pagination;
mod routes;
mod upload;
mod web;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use metrotrack_core::Scheme;
use metrotrack_store::Store;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use auth::Caller;

/// How the server behaves; every field has a default fit for one lab.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest upload accepted, in bytes (default 256 MiB).
    pub max_upload_bytes: u64,
    /// Largest JSON body accepted, in bytes (default 1 MiB).
    pub max_json_bytes: usize,
    /// How long any request but an upload may take (default 30 s).
    pub request_timeout: Duration,
    /// How long an upload may take (default 30 min).
    pub upload_timeout: Duration,
    /// The reporting scheme used when a request names none.
    pub scheme: Scheme,
    /// Failed sign-ins per address (and username) in five minutes before 429 (0: no
    /// throttling, for fuzzing only).
    pub max_auth_failures: u32,
    /// The lab's time zone: the pages show times in it (default `Asia/Ho_Chi_Minh`).
    pub time_zone: chrono_tz::Tz,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: 256 * 1024 * 1024,
            max_json_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(30 * 60),
            scheme: Scheme::Decree09,
            max_auth_failures: auth::Throttle::MAX_FAILURES,
            time_zone: chrono_tz::Asia::Ho_Chi_Minh,
        }
    }
}

/// What every handler shares: the store, the configuration, the sign-in throttle.
#[derive(Debug)]
pub struct AppState<S> {
    store: S,
    config: Arc<ApiConfig>,
    throttle: Arc<auth::Throttle>,
}

impl<S: Clone> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            config: self.config.clone(),
            throttle: self.throttle.clone(),
        }
    }
}

impl<S: Store> AppState<S> {
    pub fn new(store: S, config: ApiConfig) -> Self {
        Self {
            store,
            throttle: Arc::new(auth::Throttle::new(config.max_auth_failures)),
            config: Arc::new(config),
        }
    }
}

/// The whole HTTP application: `/healthz`, `/api/v1/…`, the OpenAPI document at
/// `/api/v1/openapi.json` and its page at `/api/docs`.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    let config = state.config.clone();
    let pages = web::router(state.clone());
    let uploads = Router::new()
        .route(
            "/api/v1/imports",
            post(upload::upload::<S>).get(routes::imports::list::<S>),
        )
        // The upload streams its body and counts it against `max_upload_bytes` itself.
        .layer(DefaultBodyLimit::disable());
    let api = Router::new()
        .route("/healthz", get(routes::health))
        .route("/api/v1/imports/{id}", get(routes::imports::show::<S>))
        .route(
            "/api/v1/imports/{id}/void",
            post(routes::imports::void::<S>),
        )
        .route(
            "/api/v1/imports/{id}/restore",
            post(routes::amendments::restore_import::<S>),
        )
        .route(
            "/api/v1/inspections/{id}/amendments",
            post(routes::amendments::amend_inspection::<S>),
        )
        .route(
            "/api/v1/inspections/{id}/versions",
            get(routes::amendments::inspection_versions::<S>),
        )
        .route(
            "/api/v1/inspections/{id}/void",
            post(routes::amendments::void_inspection::<S>),
        )
        .route(
            "/api/v1/earthing-tests/{id}/amendments",
            post(routes::amendments::amend_earthing_test::<S>),
        )
        .route(
            "/api/v1/earthing-tests/{id}/versions",
            get(routes::amendments::earthing_test_versions::<S>),
        )
        .route(
            "/api/v1/earthing-tests/{id}/void",
            post(routes::amendments::void_earthing_test::<S>),
        )
        .route(
            "/api/v1/instruments",
            get(routes::records::instruments::<S>),
        )
        .route(
            "/api/v1/instruments/{id}",
            get(routes::records::instrument::<S>),
        )
        .route(
            "/api/v1/inspections",
            get(routes::records::inspections::<S>),
        )
        .route(
            "/api/v1/inspections/{id}",
            get(routes::records::inspection::<S>),
        )
        .route("/api/v1/earthing-points", get(routes::records::points::<S>))
        .route(
            "/api/v1/earthing-points/{id}",
            get(routes::records::point::<S>),
        )
        .route("/api/v1/earthing-tests", get(routes::records::tests::<S>))
        .route("/api/v1/categories", get(routes::figures::categories::<S>))
        .route(
            "/api/v1/categories/{code}",
            put(routes::categories::set_category::<S>),
        )
        .route(
            "/api/v1/categories/{code}/cycles",
            post(routes::categories::create_cycle::<S>),
        )
        .route("/api/v1/plans", get(routes::figures::plans::<S>))
        .route(
            "/api/v1/plans/{period}/{metric}",
            put(routes::figures::set_plan::<S>),
        )
        .route(
            "/api/v1/achievement",
            get(routes::figures::achievement::<S>),
        )
        .route(
            "/api/v1/reports/{period}",
            get(routes::figures::report::<S>),
        )
        .route("/api/v1/due", get(routes::figures::due::<S>))
        .route("/api/v1/audit", get(routes::admin::audit::<S>))
        .route(
            "/api/v1/users",
            get(routes::admin::users::<S>).post(routes::admin::create_user::<S>),
        )
        .route(
            "/api/v1/tokens",
            get(routes::admin::tokens::<S>).post(routes::admin::create_token::<S>),
        )
        .route(
            "/api/v1/tokens/{id}/revoke",
            post(routes::admin::revoke_token::<S>),
        )
        .layer(DefaultBodyLimit::max(config.max_json_bytes));
    let docs = utoipa_swagger_ui::SwaggerUi::new("/api/docs")
        .url("/api/v1/openapi.json", openapi::document());
    uploads
        .merge(api)
        .with_state(state)
        .merge(docs)
        .merge(pages)
        .fallback(routes::fallback)
        .layer(middleware::from_fn_with_state(config, guard))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// Per-request guard: the request timeout (longer for uploads), and axum's own empty or
/// plain-text error answers (405, 413, …) rewritten as problem+json; the web pages' HTML
/// error pages are left as they are.
async fn guard(State(config): State<Arc<ApiConfig>>, req: Request, next: Next) -> Response {
    // The API's upload and the web page's upload stream large files: both get the long limit.
    let upload =
        req.method() == Method::POST && matches!(req.uri().path(), "/api/v1/imports" | "/upload");
    let limit = if upload {
        config.upload_timeout
    } else {
        config.request_timeout
    };
    let response = match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => return error::timeout().into_response(),
    };
    let status = response.status();
    // A problem document is already one; a web page's own error page (HTML) stays a page.
    let typed = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"application/problem+json")
                || v.as_bytes().starts_with(b"text/html")
        });
    if (status.is_client_error() || status.is_server_error()) && !typed {
        let kind = match status {
            StatusCode::METHOD_NOT_ALLOWED => error::ProblemType::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => error::ProblemType::PayloadTooLarge,
            StatusCode::NOT_FOUND => error::ProblemType::NotFound,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => error::ProblemType::UnsupportedMediaType,
            s if s.is_server_error() => error::ProblemType::Internal,
            _ => error::ProblemType::BadRequest,
        };
        let mut doc = error::document(kind, kind.title().to_owned());
        doc.status = status.as_u16();
        let mut rewritten = error::problem_response(&doc);
        if let Some(allow) = response.headers().get(header::ALLOW) {
            rewritten.headers_mut().insert(header::ALLOW, allow.clone());
        }
        return rewritten;
    }
    response
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in
/// flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
