//! `/metrics` (Prometheus text format), `/healthz` and `/readyz`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The controller's metrics.
pub struct Metrics {
    registry: Registry,
    reconciles: Family<Vec<(String, String)>, Counter>,
    failures: Counter,
    duration: Histogram,
    drift: Counter,
    writes: Counter,
    leader: Gauge,
    ready: AtomicBool,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("hms_sys");
        let reconciles = Family::<Vec<(String, String)>, Counter>::default();
        let failures = Counter::default();
        let duration = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        let drift = Counter::default();
        let writes = Counter::default();
        let leader = Gauge::default();
        registry.register(
            "reconciles",
            "SysSpec reconciles by outcome (applied, unchanged, refused, invalid, failed, deleted)",
            reconciles.clone(),
        );
        registry.register(
            "reconcile_failures",
            "Reconciles that failed and are retried with backoff",
            failures.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "How long one reconcile took",
            duration.clone(),
        );
        registry.register(
            "drift_corrections",
            "Fields a foreign writer changed that the controller reverted",
            drift.clone(),
        );
        registry.register(
            "writes",
            "Write requests to the API server (objects applied or pruned, inventories, statuses)",
            writes.clone(),
        );
        registry.register("leader", "1 while this replica leads", leader.clone());
        Metrics {
            registry,
            reconciles,
            failures,
            duration,
            drift,
            writes,
            leader,
            ready: AtomicBool::new(false),
        }
    }

    pub fn observe(&self, took: Duration, ok: bool) {
        self.duration.observe(took.as_secs_f64());
        if !ok {
            self.failures.inc();
        }
    }

    pub fn reconciled(&self, outcome: &str) {
        self.reconciles
            .get_or_create(&vec![("outcome".to_string(), outcome.to_string())])
            .inc();
    }

    pub fn drift(&self, n: u64) {
        self.drift.inc_by(n);
    }

    pub fn wrote(&self, n: u64) {
        self.writes.inc_by(n);
    }

    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    /// The text exposition.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }
}

fn respond(metrics: &Metrics, path: &str) -> Response<Full<Bytes>> {
    let (code, content_type, body) = match path {
        "/metrics" => (
            200,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            metrics.text(),
        ),
        "/healthz" => (200, "text/plain", "ok\n".to_string()),
        "/readyz" if metrics.ready.load(Ordering::SeqCst) => (200, "text/plain", "ok\n".into()),
        "/readyz" => (
            503,
            "text/plain",
            "not ready: the SysSpec kind is not served yet\n".into(),
        ),
        _ => (404, "text/plain", "not found\n".into()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(code).unwrap_or_default();
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, v);
    }
    response
}

/// Serves until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, metrics: Arc<Metrics>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let response = respond(&metrics, req.uri().path());
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
