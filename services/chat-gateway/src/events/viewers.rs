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
//!
//! The ordered consumer notices a lost server only after two missed idle
//! heartbeats and then recreates itself with a backoff, which left counts
//! frozen for many seconds after NATS came back. So the task also watches
//! the client's connection: once it is connected again after a drop, the
//! consumer is reopened at once (and reads the last count of every stream).

use std::time::Duration;

use async_nats::jetstream::{
    self,
    consumer::{DeliverPolicy, pull},
};
use futures::StreamExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veza_live_domain::{events::ViewerCount, subjects::STREAM_VIEWERS};
use veza_live_platform::{consumer::decode, retry::Backoff};

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

/// How often the connection state is looked at.
const CONNECTION_CHECK: Duration = Duration::from_millis(200);

/// Resolves once the client is connected again after having lost the server.
async fn reconnected(client: &async_nats::Client) {
    let mut lost = false;
    let mut tick = tokio::time::interval(CONNECTION_CHECK);
    loop {
        tick.tick().await;
        match client.connection_state() {
            async_nats::connection::State::Connected if lost => return,
            async_nats::connection::State::Connected => {}
            _ => lost = true,
        }
    }
}

/// Follows viewer counts until `cancel` fires.
pub fn spawn(state: AppState, cancel: CancellationToken) -> JoinHandle<()> {
    let (client, js) = (state.nats.clone(), state.js.clone());
    tokio::spawn(async move {
        let mut backoff = Backoff::standard();
        while !cancel.is_cancelled() {
            let mut messages = match open(&js, &state).await {
                Ok(messages) => {
                    backoff.reset();
                    messages
                }
                Err(error) => {
                    tracing::warn!(error = %error, "viewer counts not readable yet, retrying");
                    if !backoff.wait(&cancel).await {
                        break;
                    }
                    continue;
                }
            };
            let mut reopen_now = false;
            let back = reconnected(&client);
            tokio::pin!(back);
            loop {
                let message = tokio::select! {
                    () = cancel.cancelled() => return,
                    () = &mut back => {
                        tracing::info!("NATS is back, reopening the viewer count stream");
                        reopen_now = true;
                        break;
                    }
                    message = messages.next() => message,
                };
                match message {
                    Some(Ok(message)) => match decode::<ViewerCount>(&message.payload) {
                        Ok(event) => state.hub.viewer_count(
                            event.payload.stream_id,
                            event.payload.count,
                            event.occurred_at,
                        ),
                        Err(error) => {
                            tracing::warn!(error = %error, "ignored a malformed viewer count");
                        }
                    },
                    Some(Err(error)) => {
                        tracing::warn!(error = %error, "viewer count stream failed, reopening");
                        break;
                    }
                    None => break,
                }
            }
            if !std::mem::take(&mut reopen_now) && !backoff.wait(&cancel).await {
                break;
            }
        }
    })
}
