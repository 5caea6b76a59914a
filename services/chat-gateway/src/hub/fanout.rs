//! The task of one active room: it subscribes to `chat.room.<stream_id>`,
//! reads the room's newest `seq` as its baseline, then delivers frames from
//! NATS and from this instance in `seq` order, filling gaps from
//! PostgreSQL.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use bytestring::ByteString;
use futures::StreamExt;
use serde::Deserialize;
use tokio::sync::{mpsc, watch};
use veza_live_domain::{StreamStatus, chat::ServerFrame};

use super::{Kind, ORIGIN_HEADER, Outbound, Room};
use crate::{db, metrics as m};

/// Most messages one gap fill reads.
const GAP_FILL_MAX: i64 = 1000;

/// A frame for the room, from NATS or this instance.
#[derive(Debug)]
pub struct Incoming {
    pub kind: Kind,
    pub text: ByteString,
    pub received: Instant,
}

/// What the room task needs to know of a frame from another instance.
#[derive(Deserialize)]
struct Peek {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    seq: Option<i64>,
    #[serde(default)]
    status: Option<StreamStatus>,
}

fn incoming_from_nats(message: &async_nats::Message) -> Option<Incoming> {
    let peek: Peek = serde_json::from_slice(&message.payload).ok()?;
    let kind = match (peek.kind.as_str(), peek.seq, peek.status) {
        ("message", Some(seq), _) => Kind::Message(seq),
        ("stream_status", _, Some(status)) => Kind::Status(status),
        _ => Kind::Other,
    };
    let text = ByteString::try_from(message.payload.clone()).ok()?;
    Some(Incoming {
        kind,
        text,
        received: Instant::now(),
    })
}

/// Runs until the room stops.
pub async fn run(
    room: Arc<Room>,
    mut local: mpsc::UnboundedReceiver<Incoming>,
    ready: watch::Sender<bool>,
) {
    let hub = room.hub().clone();
    let stop = room.stop_token().clone();
    let subject = hub.subjects.chat_room(room.stream_id);
    let mut delay = Duration::from_millis(100);
    let mut subscription = loop {
        match hub.nats.subscribe(subject.clone()).await {
            Ok(subscription) => break subscription,
            Err(error) => {
                tracing::warn!(error = %error, stream.id = %room.stream_id, "room subscription failed, retrying");
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(2));
    };
    let mut delivered = loop {
        match baseline(&room).await {
            Ok(seq) => break seq,
            Err(error) => {
                tracing::warn!(error = %error, stream.id = %room.stream_id, "room baseline unavailable, retrying");
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(2));
    };
    let _ = ready.send(true);
    loop {
        let incoming = tokio::select! {
            () = stop.cancelled() => break,
            message = subscription.next() => match message {
                Some(message) => {
                    let own = message
                        .headers
                        .as_ref()
                        .and_then(|h| h.get(ORIGIN_HEADER))
                        .is_some_and(|origin| origin.as_str() == hub.instance);
                    if own {
                        continue;
                    }
                    match incoming_from_nats(&message) {
                        Some(incoming) => incoming,
                        None => {
                            tracing::warn!(stream.id = %room.stream_id, "ignored a malformed room frame");
                            continue;
                        }
                    }
                }
                None => break,
            },
            incoming = local.recv() => match incoming {
                Some(incoming) => incoming,
                None => break,
            },
        };
        deliver(&room, &mut delivered, incoming).await;
    }
    let _ = subscription.unsubscribe().await;
}

async fn baseline(room: &Room) -> anyhow::Result<i64> {
    let mut conn = room.hub().pool.get().await?;
    Ok(db::rooms::find(&mut conn, room.stream_id)
        .await?
        .map_or(0, |r| r.last_seq))
}

async fn deliver(room: &Room, delivered: &mut i64, incoming: Incoming) {
    let stream_id = room.stream_id;
    match incoming.kind {
        Kind::Message(seq) if seq <= *delivered => return,
        Kind::Message(seq) => {
            if seq > *delivered + 1 {
                fill_gap(room, *delivered, seq).await;
            }
            *delivered = seq;
            room.broadcast(&Arc::new(Outbound {
                stream_id,
                seq,
                text: incoming.text,
            }));
        }
        Kind::Status(status) => {
            let current = room.observe_status(status);
            if current == StreamStatus::Ended {
                room.hub().forget_viewers(stream_id);
            }
            room.broadcast(&Arc::new(Outbound {
                stream_id,
                seq: 0,
                text: incoming.text,
            }));
        }
        Kind::Other => room.broadcast(&Arc::new(Outbound {
            stream_id,
            seq: 0,
            text: incoming.text,
        })),
    }
    metrics::histogram!(m::FANOUT_SECONDS).record(incoming.received.elapsed().as_secs_f64());
}

/// Delivers the messages between `after` and `until` from PostgreSQL.
async fn fill_gap(room: &Room, after: i64, until: i64) {
    let stream_id = room.stream_id;
    let rows = async {
        let mut conn = room.hub().pool.get().await?;
        anyhow::Ok(db::messages::between(&mut conn, stream_id, after, until, GAP_FILL_MAX).await?)
    }
    .await;
    match rows {
        Ok(rows) => {
            metrics::counter!(m::GAP_FILLS).increment(1);
            for row in rows {
                let frame = ServerFrame::Message(row.to_message());
                if let Ok(text) = serde_json::to_string(&frame) {
                    room.broadcast(&Arc::new(Outbound {
                        stream_id,
                        seq: row.seq,
                        text: ByteString::from(text),
                    }));
                }
            }
        }
        Err(error) => {
            tracing::warn!(error = %error, stream.id = %stream_id, "could not fill a message gap");
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn peek_reads_the_kind_of_a_room_frame() {
        let id = Uuid::nil();
        let status = serde_json::to_vec(&ServerFrame::StreamStatus {
            stream_id: id,
            status: StreamStatus::Live,
        })
        .expect("json");
        let peek: Peek = serde_json::from_slice(&status).expect("peek");
        assert_eq!(peek.kind, "stream_status");
        assert_eq!(peek.status, Some(StreamStatus::Live));
        let deleted =
            serde_json::to_vec(&ServerFrame::MessageDeleted { stream_id: id, id }).expect("json");
        let peek: Peek = serde_json::from_slice(&deleted).expect("peek");
        assert_eq!((peek.kind.as_str(), peek.seq), ("message_deleted", None));
    }
}
