//! The server's Prometheus metrics, rendered by `GET /metrics` (admin only): requests by
//! route and status, their latency, rows imported, and the database connections in use.
//!
//! Each server keeps its own recorder (no process-wide one, no listener or push gateway
//! of the exporter's): the route answers with its text.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Key, Label, Level, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use metrotrack_core::{BatchOutcome, ImportBatch};
use metrotrack_store::PoolUse;

const REQUESTS: &str = "metrotrack_http_requests_total";
const LATENCY: &str = "metrotrack_http_request_duration_seconds";
const IMPORT_ROWS: &str = "metrotrack_import_rows_total";
const IMPORTS: &str = "metrotrack_imports_total";
const CONNECTIONS: &str = "metrotrack_db_connections";

/// Latency buckets, in seconds: a figure in milliseconds up to an upload in minutes.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 600.0,
];

/// Latencies kept before they are folded into the histograms (bounds their memory when
/// nobody reads `/metrics`).
const FOLD_EVERY: u64 = 1024;

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// The metrics of one server.
pub(crate) struct Telemetry {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    recorded: AtomicU64,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry").finish_non_exhaustive()
    }
}

impl Telemetry {
    pub(crate) fn new() -> Self {
        // Refused only for no buckets at all; the summary instead would still do.
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(LATENCY.to_owned()), &LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let describe =
            |name: &'static str, unit: Option<Unit>, text: &'static str| (name, unit, text);
        for (name, unit, text) in [
            describe(
                REQUESTS,
                None,
                "HTTP requests answered, by route (the path pattern), method and status.",
            ),
            describe(
                IMPORT_ROWS,
                None,
                "Rows of uploaded logs, by kind and by what became of them (inserted, duplicate, rejected).",
            ),
            describe(
                IMPORTS,
                None,
                "Uploads imported, by kind and outcome (stored, already_imported, refused, dry_run).",
            ),
        ] {
            recorder.describe_counter(name.into(), unit, text.into());
        }
        recorder.describe_histogram(
            LATENCY.into(),
            Some(Unit::Seconds),
            "Time from a request's headers to its answer's headers, by route and method.".into(),
        );
        recorder.describe_gauge(
            CONNECTIONS.into(),
            None,
            "Database connections, by pool (readers, writers) and state (busy, idle).".into(),
        );
        let handle = recorder.handle();
        Self {
            recorder,
            handle,
            recorded: AtomicU64::new(0),
        }
    }

    /// One answered request.
    fn request(&self, route: String, method: String, status: u16, seconds: f64) {
        let labels = vec![
            Label::new("route", route.clone()),
            Label::new("method", method.clone()),
        ];
        let mut counted = labels.clone();
        counted.push(Label::new("status", status.to_string()));
        self.recorder
            .register_counter(&Key::from_parts(REQUESTS, counted), &METADATA)
            .increment(1);
        self.recorder
            .register_histogram(&Key::from_parts(LATENCY, labels), &METADATA)
            .record(seconds);
        if self.recorded.fetch_add(1, Ordering::Relaxed) % FOLD_EVERY == FOLD_EVERY - 1 {
            self.handle.run_upkeep();
        }
    }

    /// One imported upload.
    pub(crate) fn import(&self, batch: &ImportBatch) {
        let kind = batch.kind.as_str();
        let outcome = match batch.outcome {
            BatchOutcome::Stored => "stored",
            BatchOutcome::AlreadyImported => "already_imported",
            BatchOutcome::Refused => "refused",
            BatchOutcome::DryRun => "dry_run",
        };
        self.recorder
            .register_counter(
                &Key::from_parts(
                    IMPORTS,
                    vec![Label::new("kind", kind), Label::new("outcome", outcome)],
                ),
                &METADATA,
            )
            .increment(1);
        for (result, rows) in [
            ("inserted", batch.inserted),
            ("duplicate", batch.duplicates),
            ("rejected", batch.rejected),
        ] {
            self.recorder
                .register_counter(
                    &Key::from_parts(
                        IMPORT_ROWS,
                        vec![Label::new("kind", kind), Label::new("result", result)],
                    ),
                    &METADATA,
                )
                .increment(rows);
        }
    }

    /// The metrics as Prometheus' text format, with the connections in use now.
    pub(crate) fn render(&self, pools: PoolUse) -> String {
        for (pool, state, n) in [
            ("readers", "busy", pools.readers_busy),
            ("readers", "idle", pools.readers_idle),
            ("writers", "busy", pools.writers_busy),
            ("writers", "idle", pools.writers_idle),
        ] {
            self.recorder
                .register_gauge(
                    &Key::from_parts(
                        CONNECTIONS,
                        vec![Label::new("pool", pool), Label::new("state", state)],
                    ),
                    &METADATA,
                )
                .set(f64::from(n));
        }
        self.handle.run_upkeep();
        self.handle.render()
    }
}

/// Counts each request by its route (the matched pattern such as
/// `/api/v1/imports/{id}`, never the path as sent) and status, and times it.
pub(crate) async fn track(
    State(telemetry): State<std::sync::Arc<Telemetry>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let response = next.run(req).await;
    telemetry.request(
        route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
