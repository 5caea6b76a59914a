//! Reports web viewers to ingest-events as listeners of live streams, so
//! viewer counts include them: `listener_joined` / `listener_left` events
//! on `live.ingest.events` (JetStream `LIVE_INGEST`), `Nats-Msg-Id` = event
//! id. Reports are queued (bounded) and published in the background with a
//! few retries, so a socket never waits for JetStream.
//!
//! Every report names this instance as the listener's lease holder, and
//! [`spawn_heartbeat`] renews that lease on `live.listeners.leases`: when
//! the instance dies without saying goodbye, ingest-events removes its
//! listeners once the lease lapses. After NATS comes back, the heartbeat
//! reports every current listener again, in case ingest-events removed
//! them meanwhile (a repeated join changes nothing).

use std::{sync::Arc, time::Duration};

use async_nats::jetstream;
use chrono::Utc;
use futures::StreamExt;
use tokio::{sync::mpsc, task::JoinHandle};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::{
    Subjects,
    events::{Event, IngestEvent, IngestEventType, ListenerLeaseRenewal},
};
use veza_live_platform::nats::publish_event;

use super::Hub;
use crate::metrics as m;

/// Reports waiting to be published.
const QUEUE: usize = 65_536;
/// Reports published at once.
const CONCURRENCY: usize = 64;
/// Attempts per report.
const ATTEMPTS: u32 = 4;
/// How long queued reports may take to go out at shutdown.
const DRAIN: Duration = Duration::from_secs(3);

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct ListenerReporter {
    tx: mpsc::Sender<Event<IngestEvent>>,
    /// Short id of this instance: the lease holder of its listeners.
    holder: Arc<str>,
}

impl ListenerReporter {
    /// Starts the publisher; it stops when `stop` fires and the queue is
    /// drained (or [`DRAIN`] passed).
    pub fn spawn(
        js: jetstream::Context,
        subjects: Subjects,
        stop: CancellationToken,
    ) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let handle = tokio::spawn(publish_all(js, subjects, rx, stop));
        let holder = Uuid::new_v4().simple().to_string()[..12].into();
        (Self { tx, holder }, handle)
    }

    /// Short id of this instance, the lease holder of its listeners.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// A socket joined a live room.
    pub fn joined(&self, stream_id: Uuid, listener_id: String) {
        self.report(IngestEventType::ListenerJoined, stream_id, listener_id);
    }

    /// A socket left a live room.
    pub fn left(&self, stream_id: Uuid, listener_id: String) {
        self.report(IngestEventType::ListenerLeft, stream_id, listener_id);
    }

    fn report(&self, kind: IngestEventType, stream_id: Uuid, listener_id: String) {
        let event = Event::new(
            IngestEvent {
                kind,
                stream_key: None,
                stream_id: Some(stream_id),
                listener_id: Some(listener_id),
                client_addr: None,
                lease: (kind == IngestEventType::ListenerJoined).then(|| self.holder.to_string()),
            },
            Utc::now(),
        );
        if self.tx.try_send(event).is_err() {
            metrics::counter!(m::LISTENER_REPORTS, "outcome" => "dropped").increment(1);
            tracing::warn!(stream.id = %stream_id, "listener report queue full, report dropped");
        }
    }
}

async fn publish_all(
    js: jetstream::Context,
    subjects: Subjects,
    mut rx: mpsc::Receiver<Event<IngestEvent>>,
    stop: CancellationToken,
) {
    let subject = subjects.ingest_events();
    let reports = futures::stream::poll_fn(|cx| rx.poll_recv(cx));
    reports
        .take_until(stop.cancelled())
        .for_each_concurrent(CONCURRENCY, |event| {
            let (js, subject) = (js.clone(), subject.clone());
            async move { publish_one(&js, subject, event).await }
        })
        .await;
    // Sockets closed at shutdown queued their `listener_left` last.
    let drain = async {
        let mut pending = Vec::new();
        while let Ok(event) = rx.try_recv() {
            pending.push(event);
        }
        futures::stream::iter(pending)
            .for_each_concurrent(CONCURRENCY, |event| {
                let (js, subject) = (js.clone(), subject.clone());
                async move { publish_one(&js, subject, event).await }
            })
            .await;
    };
    if tokio::time::timeout(DRAIN, drain).await.is_err() {
        tracing::warn!("listener reports still queued at shutdown were dropped");
    }
}

async fn publish_one(js: &jetstream::Context, subject: String, event: Event<IngestEvent>) {
    let payload = match serde_json::to_vec(&event) {
        Ok(payload) => bytes::Bytes::from(payload),
        Err(error) => {
            tracing::error!(error = %error, "could not encode a listener report");
            return;
        }
    };
    let mut delay = Duration::from_millis(200);
    for attempt in 1..=ATTEMPTS {
        match publish_event(js, subject.clone(), event.event_id, payload.clone(), None).await {
            Ok(()) => {
                metrics::counter!(m::LISTENER_REPORTS, "outcome" => "published").increment(1);
                return;
            }
            Err(error) if attempt == ATTEMPTS => {
                metrics::counter!(m::LISTENER_REPORTS, "outcome" => "failed").increment(1);
                tracing::warn!(error = %error, "listener report not published");
            }
            Err(_) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
}

/// Renews this instance's listener lease every `every` until `stop` fires;
/// after a NATS outage, reports every current listener again first.
pub fn spawn_heartbeat(hub: Arc<Hub>, every: Duration, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let subject = hub.subjects.listener_leases();
        let renewal = match serde_json::to_vec(&ListenerLeaseRenewal {
            holder: hub.reporter.holder().to_owned(),
        }) {
            Ok(payload) => bytes::Bytes::from(payload),
            Err(error) => {
                tracing::error!(error = %error, "could not encode a lease renewal");
                return;
            }
        };
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut was_connected = true;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticker.tick() => {}
            }
            let connected = hub.nats.connection_state() == async_nats::connection::State::Connected;
            if connected && !was_connected {
                let listeners = hub.listening();
                tracing::info!(
                    listeners = listeners.len(),
                    "NATS is back; reporting current listeners again"
                );
                for (stream_id, listener_id) in listeners {
                    hub.reporter.joined(stream_id, listener_id);
                }
            }
            was_connected = connected;
            if connected
                && let Err(error) = hub.nats.publish(subject.clone(), renewal.clone()).await
            {
                tracing::warn!(error = %error, "lease renewal not sent");
            }
        }
    })
}
