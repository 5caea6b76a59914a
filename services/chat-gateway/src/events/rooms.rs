//! Room state from `LIVE_EVENTS`: the catalog's snapshots
//! (`stream.created`, `.updated`, `.deleted`) give the owner and status,
//! ingest's `stream.started` / `.ended` move the room to live / ended.
//! Durable pull consumers `chat-gateway-<event>` (one filter each, as
//! nats-server 2.9 allows) shared by every instance; each event is applied
//! once (`processed_events`) and in any order: the status machine decides
//! (ended is terminal, a deleted stream stays deleted). When a room goes
//! live or ends, a `stream_status` frame goes to its sockets everywhere;
//! when an ended stream's replay becomes ready or goes away (the catalog's
//! `stream.updated`), a `stream_replay` frame does.

use diesel_async::AsyncConnection;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::{
    ReplayStatus, StreamStatus,
    chat::ServerFrame,
    events::{StreamChanged, StreamEnded, StreamStarted},
    subjects::STREAM_EVENTS,
};
use veza_live_platform::consumer::{self, ConsumerSpec, HandleError, decode, first_delivery};

use crate::{db::rooms, hub::Kind, state::AppState};

/// What an event says about a room.
#[derive(Debug, Clone, Copy)]
pub struct RoomUpdate {
    pub stream_id: Uuid,
    pub owner_id: Uuid,
    pub status: StreamStatus,
    pub deleted: bool,
    /// An ended stream's replay, from an updated snapshot.
    pub replay: Option<ReplayStatus>,
}

#[derive(Clone, Copy)]
enum Source {
    Snapshot {
        deleted: bool,
    },
    /// `stream.updated`: a snapshot that may announce a replay.
    Updated,
    Started,
    Ended,
}

/// The durable consumers of the stream events a room follows (each also
/// the key of its delivery records).
pub const CREATED_CONSUMER: &str = "chat-gateway-created";
pub const UPDATED_CONSUMER: &str = "chat-gateway-updated";
pub const DELETED_CONSUMER: &str = "chat-gateway-deleted";
pub const STARTED_CONSUMER: &str = "chat-gateway-started";
pub const ENDED_CONSUMER: &str = "chat-gateway-ended";

/// Starts the five consumers.
pub fn spawn(state: AppState, cancel: CancellationToken) -> Vec<JoinHandle<()>> {
    let js = state.js.clone();
    let s = state.subjects.clone();
    let sources = [
        (
            CREATED_CONSUMER,
            s.stream_created(),
            Source::Snapshot { deleted: false },
        ),
        (UPDATED_CONSUMER, s.stream_updated(), Source::Updated),
        (
            DELETED_CONSUMER,
            s.stream_deleted(),
            Source::Snapshot { deleted: true },
        ),
        (STARTED_CONSUMER, s.stream_started(), Source::Started),
        (ENDED_CONSUMER, s.stream_ended(), Source::Ended),
    ];
    sources
        .into_iter()
        .map(|(durable, filter, source)| {
            let spec = ConsumerSpec {
                stream: s.stream(STREAM_EVENTS),
                durable,
                filter_subject: filter,
                concurrency: 16,
            };
            let state = state.clone();
            consumer::spawn(js.clone(), spec, cancel.clone(), move |message| {
                let state = state.clone();
                async move {
                    let (event_id, update) = parse(source, &message.payload)?;
                    apply(&state, durable, event_id, update).await
                }
            })
        })
        .collect()
}

fn parse(source: Source, payload: &[u8]) -> Result<(Uuid, RoomUpdate), HandleError> {
    Ok(match source {
        Source::Snapshot { .. } | Source::Updated => {
            let event = decode::<StreamChanged>(payload)?;
            let s = &event.payload.stream;
            let updated = matches!(source, Source::Updated);
            (
                event.event_id,
                RoomUpdate {
                    stream_id: s.id,
                    owner_id: s.user_id,
                    status: s.status,
                    deleted: matches!(source, Source::Snapshot { deleted: true }),
                    replay: (updated
                        && s.status == StreamStatus::Ended
                        && s.replay_status != ReplayStatus::Processing)
                        .then_some(s.replay_status),
                },
            )
        }
        Source::Started => {
            let event = decode::<StreamStarted>(payload)?;
            let p = &event.payload;
            (
                event.event_id,
                RoomUpdate {
                    stream_id: p.stream_id,
                    owner_id: p.user_id,
                    status: StreamStatus::Live,
                    deleted: false,
                    replay: None,
                },
            )
        }
        Source::Ended => {
            let event = decode::<StreamEnded>(payload)?;
            let p = &event.payload;
            (
                event.event_id,
                RoomUpdate {
                    stream_id: p.stream_id,
                    owner_id: p.user_id,
                    status: StreamStatus::Ended,
                    deleted: false,
                    replay: None,
                },
            )
        }
    })
}

/// Applies one event; tells the room's sockets when it went live or ended.
///
/// Fails with a retry when the database is unavailable.
pub async fn apply(
    state: &AppState,
    consumer: &str,
    event_id: Uuid,
    update: RoomUpdate,
) -> Result<(), HandleError> {
    let mut conn = state.pool.get().await?;
    // `None`: seen before. Else the new status if it changed, and whether
    // the room is deleted.
    let applied = conn
        .transaction(async |conn| {
            if !first_delivery(conn, consumer, event_id).await? {
                return Ok::<_, HandleError>(None);
            }
            let Some(room) = rooms::find_for_update(conn, update.stream_id).await? else {
                rooms::insert(
                    conn,
                    update.stream_id,
                    update.owner_id,
                    update.status,
                    update.deleted,
                )
                .await?;
                return Ok(Some((Some(update.status), update.deleted)));
            };
            let current = room.status();
            let next = rooms::next_status(current, update.status);
            let deleted = room.deleted || update.deleted;
            rooms::update_state(conn, update.stream_id, update.owner_id, next, deleted).await?;
            Ok(Some(((next != current).then_some(next), deleted)))
        })
        .await?;
    let Some((changed, deleted)) = applied else {
        return Ok(());
    };
    if let Some(status @ (StreamStatus::Live | StreamStatus::Ended)) = changed {
        let frame = ServerFrame::StreamStatus {
            stream_id: update.stream_id,
            status,
        };
        state
            .hub
            .publish(update.stream_id, &frame, Kind::Status(status))
            .await;
    }
    if let Some(replay_status) = update.replay.filter(|_| !deleted) {
        let frame = ServerFrame::StreamReplay {
            stream_id: update.stream_id,
            replay_status,
        };
        state
            .hub
            .publish(update.stream_id, &frame, Kind::Other)
            .await;
    }
    Ok(())
}
