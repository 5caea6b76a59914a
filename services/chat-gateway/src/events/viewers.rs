//! Viewer counts from `LIVE_VIEWERS` (`live.viewers.<stream_id>`, last
//! value per subject), forwarded to the room's sockets as `viewer_count`.
//!
//! Every instance needs every count (any room may have members here), so
//! each instance reads the stream through its own ordered consumer: an
//! ephemeral, unacknowledged consumer that the client recreates after a gap
//! and the server removes when the instance goes away. It starts with
//! `DeliverPolicy::LastPerSubject`, so a starting instance learns the
//! current count of every live stream, then follows new ones. A durable
//! consumer per instance would need a stable instance name and would leave
//! consumers behind when instances are replaced; the counts are
//! last-value state, so nothing needs to survive a restart.

use std::time::Duration;

use async_nats::jetstream::{
    self,
    consumer::{DeliverPolicy, pull},
};
use futures::StreamExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veza_live_domain::{
    events::{Event, ViewerCount},
    subjects::STREAM_VIEWERS,
};

use crate::state::AppState;

async fn open(js: &jetstream::Context, state: &AppState) -> anyhow::Result<pull::Ordered> {
    let stream = js.get_stream(state.subjects.stream(STREAM_VIEWERS)).await?;
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: state.subjects.viewers_all(),
            deliver_policy: DeliverPolicy::LastPerSubject,
            ..Default::default()
        })
        .await?;
    Ok(consumer.messages().await?)
}

/// Follows viewer counts until `cancel` fires.
pub fn spawn(state: AppState, js: jetstream::Context, cancel: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut delay = Duration::from_millis(200);
        while !cancel.is_cancelled() {
            let mut messages = match open(&js, &state).await {
                Ok(messages) => {
                    delay = Duration::from_millis(200);
                    messages
                }
                Err(error) => {
                    tracing::warn!(error = %error, "viewer counts not readable yet, retrying");
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            loop {
                let message = tokio::select! {
                    _ = cancel.cancelled() => return,
                    message = messages.next() => message,
                };
                match message {
                    Some(Ok(message)) => {
                        match serde_json::from_slice::<Event<ViewerCount>>(&message.payload) {
                            Ok(event) => state
                                .hub
                                .viewer_count(event.payload.stream_id, event.payload.count),
                            Err(error) => {
                                tracing::warn!(error = %error, "ignored a malformed viewer count")
                            }
                        }
                    }
                    Some(Err(error)) => {
                        tracing::warn!(error = %error, "viewer count stream failed, reopening");
                        break;
                    }
                    None => break,
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(delay) => {}
            }
        }
    })
}
