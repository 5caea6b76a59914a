//! SIGTERM of live-catalog (and of stream-key) under a create load: requests in flight finish,
//! the process exits within its shutdown timeout with its outbox flushed.

use std::time::Duration;

use tokio::time::Instant;

use crate::{
    World,
    load::{Load, Outcome},
    outbox_of, verdict,
};

/// actix's shutdown timeout (10 s) plus the outbox flush bound (5 s).
pub const EXIT_WITHIN: Duration = Duration::from_secs(15);

/// The service exited by itself, with success, within [`EXIT_WITHIN`].
pub fn assert_clean_exit(
    name: &str,
    status: Option<std::process::ExitStatus>,
    exit_in: Duration,
    log: &str,
) {
    let status = status.unwrap_or_else(|| panic!("{name} still running {exit_in:?} after SIGTERM"));
    assert!(status.success(), "{name} exited with {status}:\n{log}");
    assert!(exit_in <= EXIT_WITHIN, "{name}'s exit took {exit_in:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_of_live_catalog_under_load() {
    let tag = "sigterm";
    let mut w = World::start().await;
    let load = Load::start(&w.catalog.base(), &w.token, tag, 4);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let signalled = Instant::now();
    w.catalog.terminate();
    let status = w
        .catalog
        .wait_exit(EXIT_WITHIN + Duration::from_secs(5))
        .await;
    let exit_in = signalled.elapsed();
    // Before anything restarts: what the process committed is published.
    let (rows_at_exit, unpublished_at_exit) = outbox_of(&w.catalog_db).await;
    let log_at_exit = w.catalog.log_tail(20);
    if status.is_some() {
        w.catalog.restart().await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let report = load.finish().await;
    let converged_in = w.wait_outbox_published(Duration::from_secs(20)).await;
    let v = verdict(&w, tag, &report).await;
    let (outbox_rows, _) = w.outbox().await;

    let in_flight = report.in_flight_at(signalled);
    let completed = crate::load::Report::created(&in_flight);
    let after_headers_reset = report.reset_after_headers();
    let slow_503: Vec<_> = report
        .attempts
        .iter()
        .filter(|a| {
            matches!(a.outcome, Outcome::Answer { status: 503, .. })
                // Beyond every dependency timeout (pool wait 3 s): a hang, not a 503.
                && a.end - a.start > Duration::from_secs(4)
        })
        .collect();
    let resets_before_headers =
        report.count(|o| matches!(o, Outcome::NoHeaders { connect: false, .. }));
    // A request the old process handled but whose answer never came back:
    // its retry is a replay after a transport error.
    let responses_dropped = report.replayed_after_error();
    println!(
        "sigterm_live_catalog: {} \
         (in flight at SIGTERM={} completed={completed}, exit_in={}ms, \
         unpublished at exit={unpublished_at_exit}/{rows_at_exit}, resets before headers={resets_before_headers}, \
         responses dropped={responses_dropped})",
        crate::summary(&report, &v, converged_in),
        in_flight.len(),
        exit_in.as_millis(),
    );
    assert_clean_exit("live-catalog", status, exit_in, &log_at_exit);
    assert_eq!(
        unpublished_at_exit, 0,
        "outbox rows left unpublished at exit"
    );
    crate::assert_nothing_lost(&report, &v);
    assert!(
        after_headers_reset.is_empty(),
        "reset after the headers: {after_headers_reset:?}"
    );
    assert!(slow_503.is_empty(), "503s that were not fast: {slow_503:?}");
    assert_eq!(
        responses_dropped, 0,
        "handled requests whose answer was dropped at shutdown"
    );
    for a in &in_flight {
        assert!(
            !matches!(a.outcome, Outcome::Answer { status, .. } if status >= 500 && status != 503),
            "in-flight request answered {a:?}"
        );
    }
    assert_eq!(outbox_rows as usize, v.stored, "one outbox row per stream");
}

/// SIGTERM of stream-key under a create load: it stops answering
/// `keys.issue` only after the calls in flight are answered, exits cleanly
/// with its outbox flushed; creates meanwhile answer 503 and their retries
/// succeed once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_of_stream_key_under_load() {
    let tag = "keys-term";
    let mut w = World::start().await;
    let load = Load::start(&w.catalog.base(), &w.token, tag, 2);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let before = load.started();
    let signalled = Instant::now();
    w.keys.terminate();
    let status = w.keys.wait_exit(EXIT_WITHIN + Duration::from_secs(5)).await;
    let exit_in = signalled.elapsed();
    let log_at_exit = w.keys.log_tail(20);
    if status.is_some() {
        w.keys.restart().await;
    }
    load.go_on_past(before, 10).await;
    let report = load.finish().await;
    let converged_in = w.wait_outbox_published(Duration::from_secs(20)).await;
    let v = verdict(&w, tag, &report).await;
    let unavailable = report.count(|o| matches!(o, Outcome::Answer { status: 503, .. }));
    println!(
        "sigterm_stream_key: {} \
         (exit_in={}ms, 503s while down={unavailable})",
        crate::summary(&report, &v, converged_in),
        exit_in.as_millis(),
    );
    assert_clean_exit("stream-key", status, exit_in, &log_at_exit);
    crate::assert_nothing_lost(&report, &v);
    assert!(
        before > 0 && report.operations > before,
        "the load ran on both sides of the stop"
    );
}
