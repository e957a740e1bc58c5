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
pub mod document;
mod dto;
mod error;
pub mod export;
mod extract;
mod hashing;
pub mod ingest;
mod lang;
mod openapi;
mod pagination;
mod routes;
mod telemetry;
mod upload;
mod web;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use metrotrack_core::{Lang, Scheme};
use metrotrack_store::Store;
use tower_http::compression::predicate::{NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, DefaultPredicate};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use auth::Caller;
use error::{Said, said};

/// How the server behaves; every field has a default fit for one lab.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest upload accepted, in bytes (default 256 MiB).
    pub max_upload_bytes: u64,
    /// Largest JSON body accepted, in bytes (default 1 MiB).
    pub max_json_bytes: usize,
    /// How long any request but an upload may take (default 30 s).
    pub request_timeout: Duration,
    /// How long an upload, a download of a file (`format=csv|xlsx|docx`: an export of
    /// every matching row) or a long write (voiding or restoring a batch) may take
    /// (default 30 min).
    pub upload_timeout: Duration,
    /// Where uploads are spooled before they are imported (default: the system's
    /// temporary directory). Uploads are written there whole, so point it at a disk,
    /// not a memory file system, when uploads are large.
    pub spool_dir: std::path::PathBuf,
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
            spool_dir: std::env::temp_dir(),
            scheme: Scheme::Decree09,
            max_auth_failures: auth::Throttle::MAX_FAILURES,
            time_zone: chrono_tz::Asia::Ho_Chi_Minh,
        }
    }
}

/// What every handler shares: the store, the configuration, the sign-in throttle and
/// the password-hashing threads.
#[derive(Debug)]
pub struct AppState<S> {
    store: S,
    config: Arc<ApiConfig>,
    throttle: Arc<auth::Throttle>,
    hashing: Arc<hashing::HashPool>,
    /// The key signing the sign-in form's CSRF tokens: random, made at start (a restart
    /// only asks an open sign-in form to be sent again).
    form_key: Arc<[u8; 32]>,
    /// The server's metrics (`/metrics`).
    telemetry: Arc<telemetry::Telemetry>,
}

impl<S: Clone> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            config: self.config.clone(),
            throttle: self.throttle.clone(),
            hashing: self.hashing.clone(),
            form_key: self.form_key.clone(),
            telemetry: self.telemetry.clone(),
        }
    }
}

impl<S: Store> AppState<S> {
    pub fn new(store: S, config: ApiConfig) -> Self {
        Self {
            store,
            throttle: Arc::new(auth::Throttle::new(config.max_auth_failures)),
            hashing: Arc::new(hashing::HashPool::for_this_machine()),
            form_key: Arc::new(random_key()),
            telemetry: Arc::new(telemetry::Telemetry::new()),
            config: Arc::new(config),
        }
    }
}

/// 32 bytes from the operating system's random source (or, should it fail, from the
/// clock and the process: a key then unknown outside this process, if weaker).
fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    if getrandom::fill(&mut key).is_err() {
        use sha2::Digest as _;
        let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
        key.copy_from_slice(&sha2::Sha256::digest(seed.as_bytes()));
    }
    key
}

/// The whole HTTP application: `/healthz` (the server and its database answer),
/// `/metrics` (Prometheus, admin only), `/api/v1/…`, the OpenAPI document at
/// `/api/v1/openapi.json` and its page at `/api/docs`.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    let config = state.config.clone();
    let telemetry = state.telemetry.clone();
    let pages = web::router(state.clone());
    let uploads = Router::new()
        .route(
            "/api/v1/imports",
            post(upload::upload::<S>).get(routes::imports::list::<S>),
        )
        // The upload streams its body and counts it against `max_upload_bytes` itself.
        .layer(DefaultBodyLimit::disable());
    let api = Router::new()
        .route("/healthz", get(routes::health::<S>))
        .route("/metrics", get(routes::metrics::<S>))
        .route("/api/v1/imports/{id}", get(routes::imports::show::<S>))
        .route("/api/v1/imports/{id}/file", get(routes::imports::file::<S>))
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
        .route(
            "/api/v1/inspected-instruments",
            get(routes::records::inspected_instruments::<S>),
        )
        .route(
            "/api/v1/measured-points",
            get(routes::records::measured_points::<S>),
        )
        .route("/api/v1/categories", get(routes::figures::categories::<S>))
        .route(
            "/api/v1/categories/{code}",
            put(routes::categories::set_category::<S>),
        )
        .route(
            "/api/v1/categories/{code}/cycles",
            post(routes::categories::create_cycle::<S>),
        )
        .route(
            "/api/v1/settings/report",
            get(routes::settings::report_settings::<S>)
                .put(routes::settings::set_report_settings::<S>),
        )
        .route("/api/v1/plans", get(routes::figures::plans::<S>))
        .route(
            "/api/v1/plans/{period}/{metric}",
            put(routes::figures::set_plan::<S>).delete(routes::figures::delete_plan::<S>),
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
        .layer(middleware::from_fn_with_state(telemetry, telemetry::track))
        .layer(middleware::from_fn(security_headers))
        .layer(compression())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// gzip for clients that accept it: pages, stylesheet, script, JSON, CSV (a records page
/// shrinks to about a tenth). Not what is already compressed (workbooks and Word
/// documents are zip files; images) nor event streams ([`DefaultPredicate`]); answers
/// still stream, chunk by chunk.
fn compression() -> CompressionLayer<impl Predicate> {
    let predicate = DefaultPredicate::new()
        .and(NotForContentType::const_new(
            "application/vnd.openxmlformats-officedocument",
        ))
        .and(NotForContentType::const_new("application/zip"));
    CompressionLayer::new().compress_when(predicate)
}

/// Runs a long write (voiding or restoring a batch) in a task of its own and waits for
/// it: a client that disconnects, or the request's timeout, ends only the wait; the write
/// still commits or rolls back whole.
pub(crate) async fn run_whole<T, F>(work: F) -> Result<T, metrotrack_store::StoreError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, metrotrack_store::StoreError>> + Send + 'static,
{
    match tokio::spawn(work).await {
        Ok(done) => done,
        Err(e) => Err(metrotrack_store::StoreError::ImportAbandoned(format!(
            "the write's task failed: {e}"
        ))),
    }
}

/// The API's upload and the web page's.
fn is_upload(method: &Method, path: &str) -> bool {
    method == Method::POST && matches!(path, "/api/v1/imports" | "/upload")
}

/// Requests given the long timeout: uploads (they stream large files), and voiding or
/// restoring a batch (a write of every record of a batch), over the API and the pages.
fn is_long(method: &Method, path: &str) -> bool {
    if method != Method::POST {
        return false;
    }
    if is_upload(method, path) {
        return true;
    }
    let batch = path
        .strip_prefix("/api/v1/imports/")
        .or_else(|| path.strip_prefix("/imports/"));
    batch
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(id, action)| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && matches!(action, "void" | "restore")
        })
}

/// The pages' content policy: everything from this server, nothing inline.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
/// The API documentation page's: the same, but Swagger UI sets inline styles.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// Security headers on every answer (pages, API, documentation, errors of every layer):
/// a content policy, no framing, no type sniffing, no referrer to elsewhere, and
/// `no-store` unless the answer says how it may be cached.
async fn security_headers(req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if docs { DOCS_CSP } else { CSP }),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Whether `req` asks for a file (`GET …?format=csv|xlsx|docx`): an export of every
/// matching row, or the report as a document.
fn is_file_download(req: &Request) -> bool {
    let kept_file =
        req.uri().path().starts_with("/api/v1/imports/") && req.uri().path().ends_with("/file");
    req.method() == Method::GET
        && (kept_file
            || req.uri().query().is_some_and(|query| {
                query.split('&').any(|pair| {
                    pair.split_once('=').is_some_and(|(key, value)| {
                        key == "format"
                            && ["csv", "xlsx", "docx"]
                                .iter()
                                .any(|f| value.trim().eq_ignore_ascii_case(f))
                    })
                })
            }))
}

/// Per-request guard: the request timeout (longer for uploads), and axum's own empty or
/// plain-text error answers (405, 413, …) rewritten as problem+json; the web pages' HTML
/// error pages are left as they are. Every problem is answered in the language the
/// request asks for (`?lang=`, else `Accept-Language`, else English).
async fn guard(State(config): State<Arc<ApiConfig>>, req: Request, next: Next) -> Response {
    // Every problem answered below, or by a handler, is in the language asked.
    let lang = lang::of_request(req.uri(), req.headers());
    let response = guarded(&config, lang, req, next).await;
    error::in_language(response, lang)
}

async fn guarded(config: &ApiConfig, lang: Lang, req: Request, next: Next) -> Response {
    if let Some(refused) = oversized(&req, lang) {
        return refused;
    }
    // Uploads, file downloads (every matching row) and long writes get the long limit.
    // A browser's page request that nothing answers gets the HTML 404 page.
    let page_asked = web::wants_page(req.uri(), req.headers())
        .then(|| (req.uri().clone(), req.headers().clone()));
    let long = is_long(req.method(), req.uri().path());
    let limit = if long || is_file_download(&req) {
        config.upload_timeout
    } else {
        config.request_timeout
    };
    let response = if long {
        // A long write runs in a task of its own, from its authentication on: a client
        // that leaves, or the timeout, ends only the wait; the write commits or rolls
        // back whole. A void's or restore's small body is read first, so that the task
        // never reads from a connection that may be gone (an upload streams into its
        // spool file, and stores nothing if its body breaks off).
        let req = if is_upload(req.method(), req.uri().path()) {
            Ok(req)
        } else {
            let (parts, body) = req.into_parts();
            let read = axum::body::to_bytes(body, config.max_json_bytes);
            match tokio::time::timeout(config.request_timeout, read).await {
                Ok(read) => read.map(|b| Request::from_parts(parts, axum::body::Body::from(b))),
                Err(_) => return error::timeout().into_response(),
            }
        };
        match req {
            Err(_) => StatusCode::BAD_REQUEST.into_response(),
            Ok(req) => match tokio::time::timeout(limit, tokio::spawn(next.run(req))).await {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "a long write's task failed");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
                Err(_) => return error::timeout().into_response(),
            },
        }
    } else {
        match tokio::time::timeout(limit, next.run(req)).await {
            Ok(r) => r,
            Err(_) => return error::timeout().into_response(),
        }
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
    if let Some((uri, headers)) = page_asked.filter(|_| status == StatusCode::NOT_FOUND && !typed) {
        return web::not_found_page(&uri, &headers);
    }
    if (status.is_client_error() || status.is_server_error()) && !typed {
        let kind = match status {
            StatusCode::METHOD_NOT_ALLOWED => error::ProblemType::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => error::ProblemType::PayloadTooLarge,
            StatusCode::NOT_FOUND => error::ProblemType::NotFound,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => error::ProblemType::UnsupportedMediaType,
            s if s.is_server_error() => error::ProblemType::Internal,
            _ => error::ProblemType::BadRequest,
        };
        let mut doc = error::document(kind, lang, kind.generic_detail().get(lang).to_owned());
        doc.status = status.as_u16();
        let mut rewritten = error::problem_response(&doc);
        if let Some(allow) = response.headers().get(header::ALLOW) {
            rewritten.headers_mut().insert(header::ALLOW, allow.clone());
        }
        return rewritten;
    }
    response
}

/// How long a connection may take to send a request's headers, and how long an idle
/// kept-alive connection stays open: one header line every few seconds does not keep a
/// connection, or a task, for ever.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest request target (path and query) answered; longer ones get 414.
const MAX_URI_BYTES: usize = 8 * 1024;
/// Most request headers answered, and their largest total size; more get 431.
const MAX_HEADERS: usize = 100;
const MAX_HEADER_BYTES: usize = 32 * 1024;
/// What the connection itself accepts (beyond it the HTTP layer answers with an empty
/// body): well above the limits above, so that what the server refuses, it explains.
const CONNECTION_MAX_HEADERS: usize = 200;

/// 414 or 431 as problem+json for a request target or headers over the limits.
fn oversized(req: &Request, lang: Lang) -> Option<Response> {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    let (status, title, detail) = if target > MAX_URI_BYTES {
        (
            StatusCode::URI_TOO_LONG,
            Said::new(
                "Địa chỉ của yêu cầu quá dài",
                "The request's address is too long",
            ),
            said!(
                "Địa chỉ của yêu cầu dài {target} byte; máy chủ chỉ đọc tối đa \
                 {MAX_URI_BYTES} byte.",
                "The request's address is {target} bytes long; at most {MAX_URI_BYTES} \
                 are read."
            ),
        )
    } else {
        let count = req.headers().len();
        let bytes: usize = req
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum();
        if count <= MAX_HEADERS && bytes <= MAX_HEADER_BYTES {
            return None;
        }
        (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Said::new(
                "Phần tiêu đề của yêu cầu quá lớn",
                "The request's headers are too large",
            ),
            said!(
                "Yêu cầu có {count} tiêu đề ({bytes} byte); máy chủ chỉ đọc tối đa \
                 {MAX_HEADERS} tiêu đề và {MAX_HEADER_BYTES} byte.",
                "The request has {count} headers ({bytes} bytes); at most {MAX_HEADERS} \
                 headers and {MAX_HEADER_BYTES} bytes are read."
            ),
        )
    };
    let mut doc = error::document(
        error::ProblemType::BadRequest,
        lang,
        detail.get(lang).to_owned(),
    );
    doc.status = status.as_u16();
    doc.title = title.get(lang).to_owned();
    Some(error::problem_response(&doc))
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in
/// flight finish. Each connection must send a request's headers within
/// [`HEADER_READ_TIMEOUT`] of being opened or of its previous answer, else it is closed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    // Each connection's task holds a receiver: when all are gone, every one has ended.
    let (open_tx, open_rx) = tokio::sync::watch::channel(());
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let mut stop = stop_rx.clone();
        let open = open_rx.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(remote));
                    router.clone().oneshot(req.map(axum::body::Body::new))
                });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_headers(CONNECTION_MAX_HEADERS)
                // A client that closes its sending side after a request (or leaves) does
                // not cancel the request in flight: it runs to its end.
                .half_close(true);
            let conn = builder
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            let stopping = async move {
                let _ = stop.wait_for(|stopping| *stopping).await;
            };
            let result = tokio::select! {
                result = conn.as_mut() => result,
                () = stopping => {
                    // Finish the request in flight, then close.
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(open);
        });
    }
    drop(listener);
    drop(open_rx);
    let _ = stop_tx.send(true);
    open_tx.closed().await;
    Ok(())
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
