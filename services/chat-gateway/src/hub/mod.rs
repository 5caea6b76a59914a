//! The rooms this instance serves: which sockets are in which room, and
//! how frames reach them.
//!
//! A room is active here while it has at least one local member: the first
//! join subscribes to `chat.room.<stream_id>` (core NATS) and starts the
//! room's task, the last leave stops it. Every frame is serialised once,
//! wrapped in an [`Outbound`] and shared by reference among the members'
//! bounded queues; a member whose queue is full is disconnected rather
//! than buffered without bound.
//!
//! Frames made here (a message just persisted, a deletion, a status
//! change) go to the local room task directly and to the other instances
//! over NATS with a `Chat-Origin` header, so an instance skips its own
//! echo. The room task delivers persisted messages in `seq` order: a gap
//! (a NATS message lost, or two local commits published out of order) is
//! filled from PostgreSQL before the newer message goes out.

pub mod commit;
pub mod fanout;
pub mod listeners;
pub mod room;

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytestring::ByteString;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::{StreamStatus, Subjects, chat::ServerFrame};
use veza_live_platform::db::DbPool;

pub use self::room::{Member, Room};
use self::{fanout::Incoming, listeners::ListenerReporter};
use crate::metrics as m;

/// Header naming the instance that published a room frame.
pub const ORIGIN_HEADER: &str = "Chat-Origin";

/// One frame for the sockets of a room, serialised once and shared.
#[derive(Debug)]
pub struct Outbound {
    pub stream_id: Uuid,
    /// The message's room `seq`; 0 for frames outside the sequence.
    pub seq: i64,
    pub text: ByteString,
}

/// What a member's queue carries.
pub type Frame = Arc<Outbound>;

/// What kind of frame is published, for the room task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A persisted message with its `seq`.
    Message(i64),
    /// The stream went live or ended.
    Status(StreamStatus),
    /// Anything else (a deletion).
    Other,
}

/// The rooms of this instance and what they need to run.
pub struct Hub {
    rooms: Mutex<HashMap<Uuid, Arc<Room>>>,
    /// The last viewer count of each stream with the time it was counted.
    viewers: Mutex<HashMap<Uuid, (i32, DateTime<Utc>)>>,
    next_conn: AtomicU64,
    /// Short id of this instance, in `Chat-Origin` and listener ids.
    pub instance: String,
    pub nats: async_nats::Client,
    pub subjects: Subjects,
    pub pool: DbPool,
    pub reporter: ListenerReporter,
}

/// How long a join waits for its room's subscription and baseline.
const READY_WAIT: Duration = Duration::from_secs(5);

/// A room whose NATS subscription or database baseline was not ready in
/// time (NATS or PostgreSQL down or slow): joining it now could miss frames.
#[derive(Debug, thiserror::Error)]
#[error("the room's subscription or baseline was not ready within {0:?}")]
pub struct NotReady(pub Duration);

/// A lock that survives a panicked holder: the maps stay usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Hub {
    /// A hub with no rooms.
    pub fn new(
        nats: async_nats::Client,
        subjects: Subjects,
        pool: DbPool,
        reporter: ListenerReporter,
    ) -> Self {
        Self {
            rooms: Mutex::default(),
            viewers: Mutex::default(),
            next_conn: AtomicU64::new(1),
            instance: reporter.holder().to_owned(),
            nats,
            subjects,
            pool,
            reporter,
        }
    }

    /// A new connection id, unique in this instance.
    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// Adds a member to a room, activating the room here if needed, and
    /// waits until the room receives every frame published from now on.
    ///
    /// Fails when the room's subscription or baseline is not ready in time
    /// (NATS or PostgreSQL down); the member is removed again.
    pub async fn join(
        self: &Arc<Self>,
        stream_id: Uuid,
        conn_id: u64,
        member: Member,
    ) -> Result<Arc<Room>, NotReady> {
        let room = {
            let mut rooms = lock(&self.rooms);
            let room = rooms
                .entry(stream_id)
                .or_insert_with(|| {
                    metrics::gauge!(m::ROOMS).increment(1.0);
                    Room::start(self.clone(), stream_id)
                })
                .clone();
            room.add(conn_id, member);
            room
        };
        if room.ready(READY_WAIT).await {
            Ok(room)
        } else {
            self.leave(stream_id, conn_id);
            Err(NotReady(READY_WAIT))
        }
    }

    /// Removes a member; the room stops here when it was the last.
    pub fn leave(&self, stream_id: Uuid, conn_id: u64) {
        let (member, emptied) = {
            let mut rooms = lock(&self.rooms);
            let Some(room) = rooms.get(&stream_id).cloned() else {
                return;
            };
            let (member, now_empty) = room.remove(conn_id);
            if now_empty {
                rooms.remove(&stream_id);
                metrics::gauge!(m::ROOMS).decrement(1.0);
            }
            (member, now_empty.then_some(room))
        };
        if let Some(member) = member
            && member.listening
        {
            self.reporter
                .left(stream_id, member.listener_id(&self.instance, conn_id));
        }
        if let Some(room) = emptied {
            room.stop();
        }
    }

    /// Every socket here counted as a listener: (stream, listener id).
    pub fn listening(&self) -> Vec<(Uuid, String)> {
        let rooms: Vec<Arc<Room>> = lock(&self.rooms).values().cloned().collect();
        rooms
            .iter()
            .flat_map(|room| {
                room.listener_ids(&self.instance)
                    .into_iter()
                    .map(|id| (room.stream_id, id))
            })
            .collect()
    }

    /// The room if it is active here.
    pub fn room(&self, stream_id: Uuid) -> Option<Arc<Room>> {
        lock(&self.rooms).get(&stream_id).cloned()
    }

    /// Publishes a frame to a room on every instance: this one through the
    /// room task, the others over NATS.
    pub async fn publish(&self, stream_id: Uuid, frame: &ServerFrame, kind: Kind) {
        let text = match serde_json::to_string(frame) {
            Ok(text) => ByteString::from(text),
            Err(error) => {
                tracing::error!(error = %error, "could not encode a room frame");
                return;
            }
        };
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(ORIGIN_HEADER, self.instance.as_str());
        let subject = self.subjects.chat_room(stream_id);
        if let Err(error) = self
            .nats
            .publish_with_headers(subject, headers, text.as_bytes().clone())
            .await
        {
            // Other instances fill the gap from PostgreSQL on the next message.
            tracing::warn!(error = %error, stream.id = %stream_id, "could not fan a frame out over NATS");
        }
        if let Some(room) = self.room(stream_id) {
            room.submit(Incoming {
                kind,
                text,
                received: Instant::now(),
            });
        }
    }

    /// Records a viewer count and forwards it to the room's sockets here,
    /// unless a count taken later is already known (a reopened consumer
    /// reads the last count of every stream again, and two ingest-events
    /// instances may publish out of order): a socket never sees a count go
    /// back in time, and a joiner gets the newest one.
    pub fn viewer_count(&self, stream_id: Uuid, count: i32, counted_at: DateTime<Utc>) {
        {
            let mut viewers = lock(&self.viewers);
            match viewers.get(&stream_id) {
                Some(&(known, at)) if at > counted_at || (at == counted_at && known == count) => {
                    return;
                }
                _ => {}
            }
            viewers.insert(stream_id, (count, counted_at));
        }
        let Some(room) = self.room(stream_id) else {
            return;
        };
        let frame = ServerFrame::ViewerCount { stream_id, count };
        match serde_json::to_string(&frame) {
            Ok(text) => room.broadcast(&Arc::new(Outbound {
                stream_id,
                seq: 0,
                text: ByteString::from(text),
            })),
            Err(error) => tracing::error!(error = %error, "could not encode a viewer count"),
        }
    }

    /// The last viewer count known for a stream.
    pub fn current_viewers(&self, stream_id: Uuid) -> i32 {
        lock(&self.viewers)
            .get(&stream_id)
            .map_or(0, |&(count, _)| count)
    }

    /// Forgets the viewer count of a stream that ended.
    pub fn forget_viewers(&self, stream_id: Uuid) {
        lock(&self.viewers).remove(&stream_id);
    }
}

/// A member's queue: the sending half goes in the room, the connection
/// drains the other.
pub fn queue(bound: usize) -> (mpsc::Sender<Frame>, mpsc::Receiver<Frame>) {
    mpsc::channel(bound)
}

/// The cancellation of one connection: fires on shutdown too.
pub fn connection_token(shutdown: &CancellationToken) -> CancellationToken {
    shutdown.child_token()
}
