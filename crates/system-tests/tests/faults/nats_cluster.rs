//! A three-node NATS JetStream cluster with streams of 3 replicas: the
//! node leading `LIVE_EVENTS` is killed during a create load and restarted
//! a few seconds later. Nothing acknowledged is lost, the outbox drains and
//! `LIVE_EVENTS` holds one `stream.created` per stream.

use std::time::Duration;

use tokio::time::Instant;
use veza_live_test_support::NatsCluster;

use crate::{Broker, World, load::Load, verdict};

/// How long the killed node stays down.
const DOWN: Duration = Duration::from_secs(3);

/// The server name leading `LIVE_EVENTS`, once it has one.
async fn events_leader<N: Broker>(w: &World<N>) -> Option<String> {
    let client = async_nats::connect(w.nats.client_urls()).await.ok()?;
    let js = async_nats::jetstream::new(client);
    let mut stream = js
        .get_stream(w.subjects.stream(veza_live_domain::subjects::STREAM_EVENTS))
        .await
        .ok()?;
    let info = stream.info().await.ok()?;
    info.cluster.as_ref()?.leader.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_cluster_node_killed_during_a_create_load() {
    let tag = "natsnode";
    let cluster = tokio::task::block_in_place(NatsCluster::start);
    let mut w = World::start_on(cluster, None, &[("NATS_STREAM_REPLICAS", "3")]).await;
    let load = Load::start(&w.catalog.base(), &w.token, tag, 2);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let leader = events_leader(&w).await.expect("LIVE_EVENTS has a leader");
    let node = w.nats.index_of(&leader).expect("leader is a node");
    let before_kill = load.started();
    tokio::task::block_in_place(|| w.nats.kill(node));
    let killed = Instant::now();
    tokio::time::sleep(DOWN).await;
    let during = load.started() - before_kill;
    tokio::task::block_in_place(|| w.nats.restart(node));
    let outage = killed.elapsed();
    load.go_on_past(load.started(), 10).await;
    let report = load.finish().await;
    let finished = Instant::now();
    w.wait_outbox_published(Duration::from_secs(30)).await;
    let v = verdict(&w, tag, &report).await;
    let events = w.created_events_for(v.stored).await;
    let converged_in = finished.elapsed();
    let new_leader = events_leader(&w).await.unwrap_or_default();
    let missing_events = report
        .acks
        .iter()
        .filter(|a| events.get(&a.stream_id).copied().unwrap_or(0) == 0)
        .count();
    let duplicated_events: usize = events.values().map(|n| n.saturating_sub(1)).sum();
    let (outbox_rows, _) = w.outbox().await;
    println!(
        "nats_cluster_node_killed: operations={} acknowledged={} lost={} duplicated={} 5xx={} \
         converged_in={}ms (killed the LIVE_EVENTS leader {leader} for {}ms, leader after={new_leader}, \
         ops started while down={during}, 503s={}, events missing={missing_events} duplicated={duplicated_events})",
        report.operations,
        report.acks.len(),
        v.lost,
        v.duplicated + duplicated_events,
        report.server_errors().len(),
        converged_in.as_millis(),
        outage.as_millis(),
        report.count(|o| matches!(o, crate::load::Outcome::Answer { status: 503, .. })),
    );
    crate::assert_nothing_lost(&report, &v);
    assert!(during > 0, "the load ran while the node was down");
    assert_eq!(outbox_rows as usize, v.stored, "one outbox row per stream");
    assert_eq!(
        missing_events, 0,
        "acknowledged streams without a stream.created"
    );
    assert_eq!(duplicated_events, 0, "stream.created published twice");
    assert_eq!(
        events.len(),
        v.stored,
        "stream.created for streams nobody acknowledged"
    );
}
