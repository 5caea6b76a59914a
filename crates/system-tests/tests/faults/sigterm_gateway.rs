//! SIGTERM of the api-gateway under a create load through it: proxied
//! requests in flight get their upstream's answer, the process exits
//! cleanly, and the creates that found it gone land exactly once through
//! the restarted gateway (their retries carry the same `Idempotency-Key`).

use std::time::Duration;

use tokio::time::Instant;
use veza_live_test_support::JWT_SECRET;

use crate::{
    World,
    load::{Load, Outcome},
    process::Service,
    sigterm::{EXIT_WITHIN, assert_clean_exit},
    verdict,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_of_api_gateway_under_load() {
    let tag = "gw-term";
    let w = World::start().await;
    let catalog = w.catalog.base();
    let keys = w.keys.base();
    // Only the catalog is used; the other upstreams point at nothing.
    let nowhere = format!("http://127.0.0.1:{}", crate::process::free_port());
    let env: Vec<(String, String)> = [
        ("JWT_SECRET", JWT_SECRET),
        ("LIVE_CATALOG_URL", catalog.as_str()),
        ("STREAM_KEY_URL", keys.as_str()),
        ("CHAT_URL", nowhere.as_str()),
        ("INGEST_URL", nowhere.as_str()),
        ("RATE_LIMIT_PER_SECOND", "100000"),
        ("RATE_LIMIT_BURST", "100000"),
        ("HTTP_WORKERS", "1"),
        ("LOG_FORMAT", "pretty"),
        ("RUST_LOG", "info"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    // Its `/readyz` needs every upstream; `/healthz` says it serves.
    let mut gateway =
        Service::start_probing("api-gateway", "veza-live-api-gateway", env, "/healthz").await;
    let load = Load::start(&gateway.base(), &w.token, tag, 4);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = load.started();
    let signalled = Instant::now();
    gateway.terminate();
    let status = gateway
        .wait_exit(EXIT_WITHIN + Duration::from_secs(5))
        .await;
    let exit_in = signalled.elapsed();
    let log_at_exit = gateway.log_tail(20);
    if status.is_some() {
        gateway.restart().await;
    }
    load.go_on_past(before, 20).await;
    let report = load.finish().await;
    let converged_in = w.wait_outbox_published(Duration::from_secs(20)).await;
    let v = verdict(&w, tag, &report).await;

    let in_flight = report.in_flight_at(signalled);
    let completed = crate::load::Report::created(&in_flight);
    let after_headers_reset = report.reset_after_headers();
    let refused = report.count(|o| matches!(o, Outcome::NoHeaders { connect: true, .. }));
    let resets_before_headers =
        report.count(|o| matches!(o, Outcome::NoHeaders { connect: false, .. }));
    let replays_after_error = report.replayed_after_error();
    println!(
        "sigterm_api_gateway: {} \
         (in flight at SIGTERM={} completed={completed}, exit_in={}ms, \
         refused connects while down={refused}, resets before headers={resets_before_headers}, replayed after a transport error={replays_after_error})",
        crate::summary(&report, &v, converged_in),
        in_flight.len(),
        exit_in.as_millis(),
    );
    assert_clean_exit("api-gateway", status, exit_in, &log_at_exit);
    crate::assert_nothing_lost(&report, &v);
    assert!(
        after_headers_reset.is_empty(),
        "reset after the headers: {after_headers_reset:?}"
    );
    // A request the gateway accepted gets its upstream's answer. One still
    // in the kernel's accept queue when the listener closes is reset
    // before any byte of an answer (counted above) and retried with its key.
    for a in &in_flight {
        assert!(
            !matches!(a.outcome, Outcome::Answer { status, .. } if status != 201),
            "a request in flight at SIGTERM was answered {a:?}"
        );
    }
    assert_eq!(
        replays_after_error, 0,
        "requests the gateway forwarded whose answer it dropped at shutdown"
    );
    assert!(
        report.operations > before,
        "the load ran on both sides of the stop"
    );
}
