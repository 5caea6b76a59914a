//! SIGKILL of stream-key under a create load: creates need it over NATS,
//! so they answer 503 while it is down and succeed once it is back; the
//! clients' retries (same Idempotency-Key) never create twice.

use std::time::Duration;

use tokio::time::Instant;

use crate::{World, load::Load, verdict};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_stream_key_during_a_create_load() {
    let tag = "keys9";
    let mut w = World::start().await;
    let load = Load::start(&w.catalog.base(), &w.token, tag, 1);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let before_kill = load.started();
    w.keys.kill();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let restarting = Instant::now();
    w.keys.restart().await;
    let restart_ms = restarting.elapsed().as_millis();
    // Let the load go on past the restart (a create caught by the kill waits
    // for its RPC timeout first), however slow the machine.
    load.go_on_past(before_kill, 10).await;
    let report = load.finish().await;
    let converged_in = w.wait_outbox_published(Duration::from_secs(20)).await;
    let v = verdict(&w, tag, &report).await;
    let unavailable =
        report.count(|o| matches!(o, crate::load::Outcome::Answer { status: 503, .. }));
    println!(
        "kill_9_stream_key: {} \
         (restart ready in {restart_ms}ms, ops before the kill={before_kill}, 503s while down={unavailable})",
        crate::summary(&report, &v, converged_in),
    );
    crate::assert_nothing_lost(&report, &v);
    assert!(
        before_kill > 0 && report.operations > before_kill,
        "the load ran on both sides of the kill"
    );
}
