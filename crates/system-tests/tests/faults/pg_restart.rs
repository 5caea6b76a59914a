//! PostgreSQL stopped with `pg_ctl stop -m immediate` (every server process
//! quits at once, no checkpoint: a crash of the database) during a create
//! load, then restarted on the same data folder after crash recovery.
//! live-catalog and stream-key keep running: while the database is away
//! they answer fast 503s, then recover by themselves; nothing acknowledged
//! is lost, the outbox drains, `LIVE_EVENTS` holds one `stream.created` per
//! stream.

use std::time::Duration;

use tokio::time::Instant;
use veza_live_test_support::{NatsServer, PgServer};

use crate::{
    World,
    load::{Load, Outcome},
    verdict,
};

/// How long the database stays down.
const OUTAGE: Duration = Duration::from_millis(1500);
/// A 503 comes within the pool wait (3 s) plus this margin, else it is a hang.
const FAST_503: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_immediate_and_restarted_during_a_create_load() {
    let tag = "pgstop";
    // Declared first, dropped last: the services and databases go before it.
    let mut pg = tokio::task::block_in_place(PgServer::start);
    let w = World::start_on(NatsServer::start(), Some(&pg), &[]).await;
    let load = Load::start(&w.catalog.base(), &w.token, tag, 2);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_stop = load.started();
    let stopped = Instant::now();
    tokio::task::block_in_place(|| pg.stop_immediate());
    tokio::time::sleep(OUTAGE).await;
    let during_outage = load.started() - before_stop;
    let restarting = Instant::now();
    tokio::task::block_in_place(|| pg.restart());
    let restarted = Instant::now();
    let recovery_ms = (restarted - restarting).as_millis();
    // Let the load go on past the restart, however slow the machine.
    let after_restart = load.started();
    load.go_on_past(after_restart, 10).await;
    let report = load.finish().await;
    let finished = Instant::now();
    w.wait_outbox_published(Duration::from_secs(20)).await;
    let v = verdict(&w, tag, &report).await;
    let events = w.created_events_for(v.stored).await;
    let drained_in = finished.elapsed();
    let (outbox_rows, _) = w.outbox().await;

    // Converged: the first create answered 201 after the restart.
    let first_201 = report
        .attempts
        .iter()
        .filter(|a| a.end >= restarted && matches!(a.outcome, Outcome::Answer { status: 201, .. }))
        .map(|a| a.end)
        .min();
    let converged_in = first_201.map(|t| t - restarted);
    let answered_503: Vec<_> = report
        .attempts
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Answer { status: 503, .. }))
        .collect();
    let slowest_503 = answered_503
        .iter()
        .map(|a| a.end - a.start)
        .max()
        .unwrap_or_default();
    let slow_503: Vec<_> = answered_503
        .iter()
        .filter(|a| a.end - a.start > FAST_503)
        .collect();
    let transport_errors: Vec<_> = report
        .attempts
        .iter()
        .filter(|a| !matches!(a.outcome, Outcome::Answer { .. }))
        .collect();
    let missing_events = report
        .acks
        .iter()
        .filter(|a| events.get(&a.stream_id).copied().unwrap_or(0) == 0)
        .count();
    let duplicated_events: usize = events.values().map(|n| n.saturating_sub(1)).sum();
    let replayed = report.acks.iter().filter(|a| a.replayed).count();
    println!(
        "pg_stop_immediate: operations={} acknowledged={} lost={} duplicated={} 5xx={} \
         converged_in={}ms (outage={}ms, restart with crash recovery={recovery_ms}ms, \
         ops started in outage={during_outage}, 503s={} slowest={}ms, transport errors={}, \
         replayed={replayed}, events missing={missing_events} duplicated={duplicated_events}, \
         outbox drained and events in {}ms after the load)",
        report.operations,
        report.acks.len(),
        v.lost,
        v.duplicated + duplicated_events,
        report.server_errors().len(),
        converged_in.map_or(-1, |d| d.as_millis() as i64),
        (restarted - stopped).as_millis(),
        answered_503.len(),
        slowest_503.as_millis(),
        transport_errors.len(),
        drained_in.as_millis(),
    );
    crate::assert_nothing_lost(&report, &v);
    assert!(
        before_stop > 0 && report.operations > after_restart,
        "the load ran on both sides of the outage"
    );
    assert!(
        !answered_503.is_empty(),
        "no 503 while PostgreSQL was down: the outage was not seen"
    );
    assert!(slow_503.is_empty(), "503s that were not fast: {slow_503:?}");
    assert!(
        transport_errors.is_empty(),
        "requests without an answer (a hang past the client timeout or a reset): {transport_errors:?}"
    );
    assert!(
        converged_in.is_some(),
        "no create succeeded after the restart"
    );
    assert_eq!(
        outbox_rows as usize, v.stored,
        "one outbox row (stream.created) per stream"
    );
    assert_eq!(
        missing_events, 0,
        "acknowledged streams without a stream.created"
    );
    assert_eq!(
        duplicated_events, 0,
        "stream.created published twice: {events:?}"
    );
    assert_eq!(
        events.len(),
        v.stored,
        "stream.created for streams nobody acknowledged"
    );
}
