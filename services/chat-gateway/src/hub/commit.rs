//! Persisting messages: the sends of a room that wait together commit in
//! one transaction (group commit). Each room active here has a committer
//! task; a send hands it a [`Draft`] and waits for its [`Outcome`]. The
//! task takes every draft that is waiting (up to [`BATCH_MAX`]), applies
//! them in arrival order in one transaction that locks the room row — so
//! every check (room status, ban, idempotent resend, rate limit, slow
//! mode) is exact across instances and `seq` stays gapless — then
//! publishes the accepted messages in `seq` order and answers each send.
//! One transaction per batch instead of one per message: the room row is
//! locked, the bans, resends and recent messages read and the rows
//! inserted once for the whole batch.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::chat::{ServerFrame, codes};

use super::{Hub, Kind};
use crate::db::{
    bans,
    messages::{self, MessageRow},
    rooms,
};

/// Most drafts one transaction commits.
pub const BATCH_MAX: usize = 256;

/// A message to persist.
#[derive(Debug, Clone)]
pub struct Draft {
    pub stream_id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub content: String,
    pub client_msg_id: Option<String>,
}

/// The room's limits a draft is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Messages per user and room within `window`.
    pub rate_limit: u32,
    pub window: Duration,
}

/// What became of a message.
#[derive(Debug)]
pub enum Outcome {
    /// Stored, and handed to the room (this instance and the others).
    Accepted(MessageRow),
    /// Sent before with the same `client_msg_id`.
    Duplicate(MessageRow),
    Refused {
        reason: Refusal,
        /// When the author may send again (limits only).
        retry_after: Option<Duration>,
    },
}

/// Why a message was refused: its metric label, error code and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No room for the stream (or it is gone).
    NotFound,
    /// The room is read-only (its stream ended).
    RoomClosed,
    /// The author is banned from the room.
    Banned,
    /// The room's slow mode: one message per interval.
    SlowMode,
    /// The author's rate limit.
    RateLimited,
}

impl Refusal {
    /// The `reason` label of `veza_live_chat_messages_rejected_total`.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::RoomClosed => "room_closed",
            Self::Banned => "banned",
            Self::SlowMode => "slow_mode",
            Self::RateLimited => "rate_limited",
        }
    }

    /// The error code the author is told.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotFound => codes::NOT_FOUND,
            Self::RoomClosed => codes::ROOM_CLOSED,
            Self::Banned => codes::BANNED,
            Self::SlowMode | Self::RateLimited => codes::RATE_LIMITED,
        }
    }

    /// The message the author is told.
    pub fn message(self) -> &'static str {
        match self {
            Self::NotFound => "no chat room for this stream",
            Self::RoomClosed => "this chat is read-only",
            Self::Banned => "you are banned from this chat",
            Self::SlowMode => "slow mode: wait before sending again",
            Self::RateLimited => "too many messages, wait before sending again",
        }
    }
}

fn refused(reason: Refusal) -> Outcome {
    Outcome::Refused {
        reason,
        retry_after: None,
    }
}

/// Refused by a limit that frees at `free_at`.
fn limited(reason: Refusal, free_at: DateTime<Utc>, now: DateTime<Utc>) -> Outcome {
    let wait = (free_at - now).to_std().unwrap_or(Duration::ZERO);
    Outcome::Refused {
        reason,
        retry_after: Some(wait.max(Duration::from_millis(1))),
    }
}

/// What a send waits for: its outcome, or why it could not be committed.
pub type Answer = Result<Outcome, String>;

/// A draft handed to a room's committer.
pub struct Submission {
    pub draft: Draft,
    pub limits: Limits,
    pub answer: oneshot::Sender<Answer>,
}

/// Starts a room's committer. When `stop` fires it takes no new message
/// (a send then commits by itself) but commits those already handed to it,
/// then ends.
pub fn spawn(hub: Arc<Hub>, stop: CancellationToken) -> mpsc::UnboundedSender<Submission> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Submission>();
    tokio::spawn(async move {
        let mut batch = Vec::new();
        loop {
            let count = tokio::select! {
                () = stop.cancelled(), if !rx.is_closed() => {
                    rx.close();
                    continue;
                }
                count = rx.recv_many(&mut batch, BATCH_MAX) => count,
            };
            if count == 0 {
                break;
            }
            commit_and_answer(&hub, std::mem::take(&mut batch)).await;
        }
    });
    tx
}

/// Commits a batch, publishes what was accepted, answers every send.
pub async fn commit_and_answer(hub: &Hub, batch: Vec<Submission>) {
    let (drafts, answers): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|s| ((s.draft, s.limits), s.answer))
        .unzip();
    let Some(limits) = drafts.first().map(|(_, limits)| *limits) else {
        return;
    };
    let drafts: Vec<Draft> = drafts.into_iter().map(|(draft, _)| draft).collect();
    let outcomes = match hub.pool.get().await {
        Ok(mut db) => persist(&mut db, limits, &drafts)
            .await
            .map_err(|e| format!("database: {e}")),
        Err(error) => Err(format!("database pool: {error}")),
    };
    match outcomes {
        Ok(outcomes) => {
            for outcome in &outcomes {
                if let Outcome::Accepted(row) = outcome {
                    let frame = ServerFrame::Message(row.to_message());
                    hub.publish(row.stream_id, &frame, Kind::Message(row.seq))
                        .await;
                }
            }
            for (answer, outcome) in answers.into_iter().zip(outcomes) {
                let _ = answer.send(Ok(outcome));
            }
        }
        Err(cause) => {
            for answer in answers {
                let _ = answer.send(Err(cause.clone()));
            }
        }
    }
}

/// An accepted draft before its `seq` is known, or a duplicate of one.
enum Slot {
    Done(Outcome),
    Accepted(usize),
    DuplicateOf(usize),
}

/// Applies `drafts` of one room, in order, in one transaction: each is
/// checked as if the ones before it had committed.
///
/// Fails when the database fails (then none is stored).
pub async fn persist(
    db: &mut AsyncPgConnection,
    limits: Limits,
    drafts: &[Draft],
) -> QueryResult<Vec<Outcome>> {
    let Some(stream_id) = drafts.first().map(|d| d.stream_id) else {
        return Ok(Vec::new());
    };
    db.transaction(async |db| {
        let every = |reason| drafts.iter().map(|_| refused(reason)).collect();
        let Some(room) = rooms::find_for_update(db, stream_id).await? else {
            return Ok(every(Refusal::NotFound));
        };
        if !room.is_open() {
            return Ok(every(Refusal::NotFound));
        }
        if !room.accepts_messages() {
            return Ok(every(Refusal::RoomClosed));
        }
        let now = Utc::now();
        let users: Vec<Uuid> = drafts
            .iter()
            .map(|d| d.user_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let banned = bans::banned_among(db, stream_id, &users, now).await?;
        let client_ids: Vec<&str> = drafts
            .iter()
            .filter_map(|d| d.client_msg_id.as_deref())
            .collect();
        let mut sent: HashMap<(Uuid, String), MessageRow> = HashMap::new();
        if !client_ids.is_empty() {
            for row in messages::by_client_ids(db, stream_id, &users, &client_ids).await? {
                if let Some(cid) = row.client_msg_id.clone() {
                    sent.insert((row.user_id, cid), row);
                }
            }
        }
        let window =
            chrono::Duration::from_std(limits.window).unwrap_or(chrono::Duration::seconds(10));
        let slow = chrono::Duration::seconds(i64::from(room.slow_mode_s));
        // Every message of these users recent enough to count, newest first.
        let horizon = now - window.max(slow);
        let mut recent: HashMap<Uuid, Vec<DateTime<Utc>>> = HashMap::new();
        for (user, at) in messages::recent_times(db, stream_id, &users, horizon).await? {
            recent.entry(user).or_default().push(at);
        }
        let nth = usize::try_from(limits.rate_limit.max(1) - 1).unwrap_or(usize::MAX);
        let mut slots = Vec::with_capacity(drafts.len());
        let mut accepted: Vec<MessageRow> = Vec::new();
        let mut in_batch: HashMap<(Uuid, String), usize> = HashMap::new();
        for draft in drafts {
            let user = draft.user_id;
            if banned.contains(&user) {
                slots.push(Slot::Done(refused(Refusal::Banned)));
                continue;
            }
            if let Some(cid) = &draft.client_msg_id {
                let key = (user, cid.clone());
                if let Some(row) = sent.get(&key) {
                    slots.push(Slot::Done(Outcome::Duplicate(row.clone())));
                    continue;
                }
                if let Some(&n) = in_batch.get(&key) {
                    slots.push(Slot::DuplicateOf(n));
                    continue;
                }
            }
            let times = recent.entry(user).or_default();
            if room.slow_mode_s > 0
                && let Some(&newest) = times.first()
                && newest > now - slow
            {
                slots.push(Slot::Done(limited(Refusal::SlowMode, newest + slow, now)));
                continue;
            }
            // The limit is reached when the limit-th newest message is still
            // in the window; a slot frees when it leaves.
            if let Some(&oldest) = times.get(nth)
                && oldest > now - window
            {
                slots.push(Slot::Done(limited(
                    Refusal::RateLimited,
                    oldest + window,
                    now,
                )));
                continue;
            }
            times.insert(0, now);
            if let Some(cid) = &draft.client_msg_id {
                in_batch.insert((user, cid.clone()), accepted.len());
            }
            slots.push(Slot::Accepted(accepted.len()));
            accepted.push(MessageRow {
                id: Uuid::new_v4(),
                stream_id,
                seq: 0,
                user_id: user,
                username: draft.username.clone(),
                content: draft.content.clone(),
                client_msg_id: draft.client_msg_id.clone(),
                created_at: now,
                deleted_at: None,
            });
        }
        if !accepted.is_empty() {
            let count = i64::try_from(accepted.len()).unwrap_or(i64::MAX);
            let last = rooms::advance_seq(db, stream_id, count).await?;
            for (row, seq) in accepted.iter_mut().zip(last - count + 1..) {
                row.seq = seq;
            }
            messages::insert_many(db, &accepted).await?;
        }
        Ok(slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Done(outcome) => outcome,
                Slot::Accepted(n) => Outcome::Accepted(accepted[n].clone()),
                Slot::DuplicateOf(n) => Outcome::Duplicate(accepted[n].clone()),
            })
            .collect())
    })
    .await
}
