//! One active room: its local members, its status as last seen here, and
//! the broadcast of shared frames into the members' bounded queues.
//!
//! Members of a live room are reported to ingest-events as listeners, once
//! each: on join when the room is live, or when it goes live while they are
//! in it; they are reported gone when they leave or the stream ends.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::StreamStatus;

use super::{Frame, Hub, commit::Submission, fanout::Incoming, lock};
use crate::metrics as m;

/// A socket in a room.
#[derive(Debug)]
pub struct Member {
    pub tx: mpsc::Sender<Frame>,
    /// Cancels the whole connection (a slow reader is dropped).
    pub kill: CancellationToken,
    pub user_id: Option<Uuid>,
    /// Reported to ingest-events as a listener of the live stream.
    pub listening: bool,
}

impl Member {
    /// The listener id reported for this socket in this room, stable for
    /// the socket's life: `web:<user id or anon>:<instance>-<connection>`.
    pub fn listener_id(&self, instance: &str, conn_id: u64) -> String {
        match self.user_id {
            Some(user) => format!("web:{user}:{instance}-{conn_id}"),
            None => format!("web:anon:{instance}-{conn_id}"),
        }
    }
}

#[derive(Default)]
struct Members {
    map: HashMap<u64, Member>,
    /// The furthest status seen here; draft and scheduled rank lowest.
    status: Option<StreamStatus>,
}

fn rank(status: StreamStatus) -> u8 {
    match status {
        StreamStatus::Draft | StreamStatus::Scheduled => 0,
        StreamStatus::Live => 1,
        StreamStatus::Ended => 2,
    }
}

/// An active room on this instance.
pub struct Room {
    pub stream_id: Uuid,
    hub: Arc<Hub>,
    members: Mutex<Members>,
    local: mpsc::UnboundedSender<Incoming>,
    /// The room's committer ([`super::commit`]).
    commits: mpsc::UnboundedSender<Submission>,
    stop: CancellationToken,
    ready: watch::Receiver<bool>,
}

impl Room {
    /// Activates a room: its task subscribes and reads the baseline `seq`.
    pub(super) fn start(hub: Arc<Hub>, stream_id: Uuid) -> Arc<Self> {
        let (local, local_rx) = mpsc::unbounded_channel();
        let (ready_tx, ready) = watch::channel(false);
        let stop = CancellationToken::new();
        let commits = super::commit::spawn(hub.clone(), stop.clone());
        let room = Arc::new(Self {
            stream_id,
            hub,
            members: Mutex::default(),
            local,
            commits,
            stop,
            ready,
        });
        tokio::spawn(super::fanout::run(room.clone(), local_rx, ready_tx));
        room
    }

    pub(super) fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    pub(super) fn stop_token(&self) -> &CancellationToken {
        &self.stop
    }

    /// Waits until the room's task receives every frame published from now
    /// on; false when that takes longer than `wait`.
    pub(super) async fn ready(&self, wait: Duration) -> bool {
        let mut ready = self.ready.clone();
        matches!(
            tokio::time::timeout(wait, ready.wait_for(|r| *r)).await,
            Ok(Ok(_))
        )
    }

    pub(super) fn add(&self, conn_id: u64, member: Member) {
        lock(&self.members).map.insert(conn_id, member);
    }

    /// Removes a member; also says whether the room is now empty.
    pub(super) fn remove(&self, conn_id: u64) -> (Option<Member>, bool) {
        let mut members = lock(&self.members);
        let member = members.map.remove(&conn_id);
        (member, members.map.is_empty())
    }

    pub(super) fn stop(&self) {
        self.stop.cancel();
    }

    /// Hands a frame made on this instance to the room task.
    pub(super) fn submit(&self, incoming: Incoming) {
        // The task only ends after the room left the hub; a frame racing
        // that has no local reader left.
        let _ = self.local.send(incoming);
    }

    /// Hands a message to the room's committer; gives it back when the
    /// committer has stopped (the room is closing).
    pub fn commit(&self, submission: Submission) -> Option<Submission> {
        self.commits.send(submission).err().map(|e| e.0)
    }

    /// How many sockets are in the room here.
    pub fn len(&self) -> usize {
        lock(&self.members).map.len()
    }

    /// The listener ids of the members counted as listeners.
    pub(super) fn listener_ids(&self, instance: &str) -> Vec<String> {
        lock(&self.members)
            .map
            .iter()
            .filter(|(_, member)| member.listening)
            .map(|(conn_id, member)| member.listener_id(instance, *conn_id))
            .collect()
    }

    /// Whether the room has no member here.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues a frame for every member; members whose queue is full are
    /// disconnected.
    pub fn broadcast(&self, frame: &Frame) {
        let mut slow = Vec::new();
        {
            let members = lock(&self.members);
            for member in members.map.values() {
                if let Err(mpsc::error::TrySendError::Full(_)) = member.tx.try_send(frame.clone()) {
                    slow.push(member.kill.clone());
                }
            }
        }
        for kill in slow {
            metrics::counter!(m::SLOW_CONSUMERS).increment(1);
            kill.cancel();
        }
    }

    /// Takes in a status seen in the database or an event, and reports the
    /// listeners this changes. Returns the room's status here.
    pub fn observe_status(&self, status: StreamStatus) -> StreamStatus {
        let mut joined = Vec::new();
        let mut left = Vec::new();
        let current = {
            let mut members = lock(&self.members);
            let current = match members.status {
                Some(seen) if rank(seen) >= rank(status) && seen != StreamStatus::Draft => seen,
                _ => status,
            };
            members.status = Some(current);
            for (conn_id, member) in members.map.iter_mut() {
                match current {
                    StreamStatus::Live if !member.listening => {
                        member.listening = true;
                        joined.push(member.listener_id(&self.hub.instance, *conn_id));
                    }
                    StreamStatus::Ended if member.listening => {
                        member.listening = false;
                        left.push(member.listener_id(&self.hub.instance, *conn_id));
                    }
                    _ => {}
                }
            }
            current
        };
        for id in joined {
            self.hub.reporter.joined(self.stream_id, id);
        }
        for id in left {
            self.hub.reporter.left(self.stream_id, id);
        }
        current
    }
}
