//! Prometheus metrics through the `metrics` facade. The recorder is
//! installed once per process; `/metrics` renders it.

use std::{sync::OnceLock, time::Duration};

use actix_web::{HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets in seconds, from 0.5 ms to 5 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process-wide Prometheus handle, installing the recorder on first use.
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => handle,
                // Another recorder is already installed (e.g. by an embedding
                // program): keep a private one so `/metrics` still answers.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// `GET /metrics`.
pub async fn render() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle().render())
}

/// Records one HTTP request.
pub fn record_http(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("veza_live_http_requests_total", &labels).increment(1);
    metrics::histogram!("veza_live_http_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
}

/// Adds `/metrics` to a service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    handle();
    cfg.route("/metrics", web::get().to(render));
}
