//! NATS killed and restarted on the same store during a create load: the
//! outbox drains and `LIVE_EVENTS` holds one `stream.created` per stream.

use std::time::Duration;

use tokio::time::Instant;

use crate::{World, load::Load, verdict};

/// Updates sent while NATS is down.
const UPDATES: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_killed_and_restarted_during_a_create_load() {
    let tag = "natskill";
    let mut w = World::start().await;
    let load = Load::start(&w.catalog.base(), &w.token, tag, 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_kill = load.started();
    tokio::task::block_in_place(|| w.nats.kill());
    let killed = Instant::now();
    // Updates need no other service: they commit while NATS is down, and
    // their outbox rows wait for it.
    let updates: Vec<_> = load
        .acknowledged()
        .into_iter()
        .take(UPDATES)
        .enumerate()
        .map(|(n, id)| {
            let url = format!("{}/api/v1/live/streams/{id}", w.catalog.base());
            let token = w.token.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("HTTP client");
                let started = Instant::now();
                let res = client
                    .put(&url)
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"title": format!("{tag} updated {n}")}))
                    .send()
                    .await;
                (
                    id,
                    res.map(|r| r.status().as_u16())
                        .map_err(|e| format!("{e:#}")),
                    started.elapsed(),
                )
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let during_outage = load.started() - before_kill;
    tokio::task::block_in_place(|| w.nats.restart());
    let restarted = Instant::now();
    let outage = restarted - killed;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let report = load.finish().await;
    let mut updated = Vec::new();
    for update in updates {
        updated.push(update.await.expect("update task"));
    }
    let finished = Instant::now();
    w.wait_outbox_published(Duration::from_secs(30)).await;
    // Converged: the outbox is drained and JetStream holds every stream.
    let v = verdict(&w, tag, &report).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let events = loop {
        let events = w.created_events().await;
        if events.len() >= v.stored || Instant::now() >= deadline {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let updated_events = loop {
        let events = w.events_on(&w.subjects.stream_updated()).await;
        if events.len() >= updated.len() || Instant::now() >= deadline {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let converged_in = finished.elapsed();
    let updates_ok = updated.iter().filter(|(_, r, _)| *r == Ok(200)).count();
    let slowest_update = updated.iter().map(|(_, _, t)| *t).max().unwrap_or_default();
    let acked_during_outage = report
        .acks
        .iter()
        .filter(|a| {
            report.attempts.iter().any(|t| {
                t.op == a.op
                    && t.end >= killed
                    && t.end < restarted
                    && matches!(t.outcome, crate::load::Outcome::Answer { status: 201, .. })
            })
        })
        .count();
    let missing_events = report
        .acks
        .iter()
        .filter(|a| events.get(&a.stream_id).copied().unwrap_or(0) == 0)
        .count();
    let duplicated_events: usize = events.values().map(|n| n.saturating_sub(1)).sum();
    let (outbox_rows, _) = w.outbox().await;
    println!(
        "nats_restart: operations={} acknowledged={} lost={} duplicated={} 5xx={} \
         converged_in={}ms (outage={}ms, ops started in outage={during_outage}, \
         201 during outage={acked_during_outage}, 503s={}, events missing={missing_events}, \
         events duplicated={duplicated_events}, \
         updates during outage={}/{} answered 200, slowest {}ms)",
        report.operations,
        report.acks.len(),
        v.lost,
        v.duplicated + duplicated_events,
        report.server_errors().len(),
        converged_in.as_millis(),
        outage.as_millis(),
        report.count(|o| matches!(o, crate::load::Outcome::Answer { status: 503, .. })),
        updates_ok,
        updated.len(),
        slowest_update.as_millis(),
    );
    crate::assert_nothing_lost(&report, &v);
    assert_eq!(
        outbox_rows as usize,
        v.stored + UPDATES,
        "one outbox row per create and per update"
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
    assert_eq!(
        updated.len(),
        UPDATES,
        "updates were sent during the outage"
    );
    for (id, result, _) in &updated {
        assert_eq!(result, &Ok(200), "update of {id} during the outage");
        assert_eq!(
            updated_events.get(id).copied(),
            Some(1),
            "one stream.updated for {id}: {updated_events:?}"
        );
    }
    assert_eq!(
        updated_events.len(),
        UPDATES,
        "stream.updated for streams nobody updated"
    );
}
