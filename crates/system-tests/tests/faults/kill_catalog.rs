//! SIGKILL of live-catalog in the middle of a create load, then a restart
//! on the same database: nothing acknowledged is lost or duplicated.

use std::time::Duration;

use tokio::time::Instant;

use crate::{World, load::Load, verdict};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_live_catalog_during_a_create_load() {
    let tag = "kill9";
    let mut w = World::start().await;
    let load = Load::start(&w.catalog.base(), &w.token, tag, 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let before_kill = load.started();
    // Several kills at uneven offsets, so some land inside a request.
    let mut restart_ms = Vec::new();
    for pause in [0, 730, 910] {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        w.catalog.kill();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let restarting = Instant::now();
        w.catalog.restart().await;
        restart_ms.push(restarting.elapsed().as_millis());
    }
    // Let the load go on past the last restart, however slow the machine.
    load.go_on_past(load.started(), 10).await;
    let report = load.finish().await;
    // Converged: every committed create is published.
    let converged_in = w.wait_outbox_published(Duration::from_secs(20)).await;
    let v = verdict(&w, tag, &report).await;
    let (outbox_rows, _) = w.outbox().await;
    let errors_before = report.count(|o| !matches!(o, crate::load::Outcome::Answer { .. }));
    println!(
        "kill_9_live_catalog: {} \
         (kills=3 restarts_ready_in={restart_ms:?}ms, ops before first kill={before_kill}, transport errors={errors_before}, \
         replayed after an error={})",
        crate::summary(&report, &v, converged_in),
        report.replayed_after_error(),
    );
    crate::assert_nothing_lost(&report, &v);
    assert!(
        before_kill > 0 && report.operations > before_kill,
        "the load ran on both sides of the kill"
    );
    assert_eq!(
        outbox_rows as usize, v.stored,
        "one outbox row (stream.created) per stream"
    );
}
