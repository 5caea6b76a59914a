//! `send`: checks the author and content, then persists the message in one
//! transaction that locks the room row, so every check (room status, ban,
//! idempotent resend, rate limit, slow mode) is exact across instances and
//! `seq` is gapless. The accepted message reaches the room, its author
//! included, through the fan-out; a resend gets its original back.

use std::time::Duration;

use actix_web::web;
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use tokio::time::Instant;
use uuid::Uuid;
use veza_live_domain::chat::{
    CLIENT_MSG_ID_MAX, ContentError, ErrorFrame, ServerFrame, clean_content, codes,
};
use veza_live_platform::auth::AuthUser;

use super::connection::Connection;
use crate::{
    config::ChatConfig,
    db::{
        bans,
        messages::{self, MessageRow},
        rooms,
    },
    hub::Kind,
    metrics as m,
    state::AppState,
};

/// What became of a message.
#[derive(Debug)]
pub enum Outcome {
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

/// A message to persist.
pub struct Draft<'a> {
    pub stream_id: Uuid,
    pub user: &'a AuthUser,
    pub content: String,
    pub client_msg_id: Option<String>,
}

/// Persists a message if the room, the author and the limits allow it.
///
/// Fails when the database fails.
pub async fn persist(
    db: &mut AsyncPgConnection,
    limits: &ChatConfig,
    draft: Draft<'_>,
) -> diesel::QueryResult<Outcome> {
    db.transaction(async |db| {
        let Some(room) = rooms::find_for_update(db, draft.stream_id).await? else {
            return Ok(refused(Refusal::NotFound));
        };
        if !room.is_open() {
            return Ok(refused(Refusal::NotFound));
        }
        if !room.accepts_messages() {
            return Ok(refused(Refusal::RoomClosed));
        }
        let user_id = draft.user.user_id;
        let now = Utc::now();
        if bans::is_banned(db, draft.stream_id, user_id, now).await? {
            return Ok(refused(Refusal::Banned));
        }
        if let Some(cid) = &draft.client_msg_id
            && let Some(row) =
                messages::find_by_client_id(db, draft.stream_id, user_id, cid).await?
        {
            return Ok(Outcome::Duplicate(row));
        }
        let window =
            chrono::Duration::from_std(limits.rate_window).unwrap_or(chrono::Duration::seconds(10));
        if room.slow_mode_s > 0 {
            let slow = chrono::Duration::seconds(i64::from(room.slow_mode_s));
            if let Some(newest) =
                messages::nth_newest_time(db, draft.stream_id, user_id, now - slow, 0).await?
            {
                return Ok(limited(Refusal::SlowMode, newest + slow, now));
            }
        }
        // The limit is reached when the limit-th newest message is still in
        // the window; a slot frees when it leaves.
        let nth = i64::from(limits.rate_limit) - 1;
        if let Some(oldest) =
            messages::nth_newest_time(db, draft.stream_id, user_id, now - window, nth).await?
        {
            return Ok(limited(Refusal::RateLimited, oldest + window, now));
        }
        let seq = rooms::next_seq(db, draft.stream_id).await?;
        let row = MessageRow {
            id: Uuid::new_v4(),
            stream_id: draft.stream_id,
            seq,
            user_id,
            username: draft.user.display_name(),
            content: draft.content,
            client_msg_id: draft.client_msg_id,
            created_at: now,
            deleted_at: None,
        };
        messages::insert(db, &row).await?;
        Ok(Outcome::Accepted(row))
    })
    .await
}

fn validation(stream_id: Uuid, message: &str) -> ServerFrame {
    m::rejected("invalid");
    ServerFrame::error(codes::VALIDATION_FAILED, message, Some(stream_id))
}

fn rate_limited(stream_id: Uuid, message: &str, wait: Duration) -> ServerFrame {
    ServerFrame::Error(ErrorFrame {
        code: codes::RATE_LIMITED.to_owned(),
        message: message.to_owned(),
        retry_after_ms: Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1)),
        stream_id: Some(stream_id),
    })
}

/// A `send` that passed the socket's own checks, to persist: it owns what
/// it needs, so the socket keeps delivering room frames while it commits.
pub struct Pending {
    state: web::Data<AppState>,
    user: AuthUser,
    stream_id: Uuid,
    content: String,
    client_msg_id: Option<String>,
}

/// What a committed `send` tells its socket.
#[derive(Debug)]
pub struct Sent {
    pub stream_id: Uuid,
    /// The answer for this socket, if any (an accepted message comes back
    /// through the room).
    pub reply: Option<ServerFrame>,
    /// Refused by a limit: further sends to the room are refused here,
    /// without a database round trip, for this long.
    pub muted_for: Option<Duration>,
}

/// What the socket's own checks made of a `send`.
pub enum Checked {
    /// To commit.
    Commit(Pending),
    /// Refused: the answer for the socket.
    Refused(ServerFrame),
}

/// Checks a `send` against what the socket knows (signed in, joined, not
/// muted, content and `client_msg_id`), without the database.
pub fn check(
    conn: &mut Connection,
    stream_id: Uuid,
    content: &str,
    client_msg_id: Option<String>,
) -> Checked {
    let Some(user) = conn.user.clone() else {
        m::rejected("anonymous");
        return Checked::Refused(ServerFrame::error(
            codes::UNAUTHORIZED,
            "sign in to chat",
            Some(stream_id),
        ));
    };
    let Some(joined) = conn.room_mut(stream_id) else {
        m::rejected("not_joined");
        return Checked::Refused(ServerFrame::error(
            codes::NOT_JOINED,
            "join the room before sending",
            Some(stream_id),
        ));
    };
    if let Some(until) = joined.muted_until {
        let now = Instant::now();
        if now < until {
            m::rejected("rate_limited");
            return Checked::Refused(rate_limited(
                stream_id,
                "wait before sending again",
                until - now,
            ));
        }
        joined.muted_until = None;
    }
    let content = match clean_content(content) {
        Ok(content) => content,
        Err(ContentError::Empty) => {
            return Checked::Refused(validation(stream_id, "the message is empty"));
        }
        Err(ContentError::TooLong) => {
            return Checked::Refused(validation(
                stream_id,
                "the message is longer than 500 characters",
            ));
        }
    };
    let client_msg_id = client_msg_id.map(|c| c.trim().to_owned());
    if client_msg_id
        .as_ref()
        .is_some_and(|c| c.is_empty() || c.len() > CLIENT_MSG_ID_MAX)
    {
        return Checked::Refused(validation(stream_id, "client_msg_id must be 1 to 64 bytes"));
    }
    Checked::Commit(Pending {
        state: conn.state.clone(),
        user,
        stream_id,
        content,
        client_msg_id,
    })
}

/// Persists a checked `send` and hands an accepted message to the room.
pub async fn commit(pending: Pending) -> Sent {
    let Pending {
        state,
        user,
        stream_id,
        content,
        client_msg_id,
    } = pending;
    let draft = Draft {
        stream_id,
        user: &user,
        content,
        client_msg_id,
    };
    let outcome = match state.pool.get().await {
        Ok(mut db) => persist(&mut db, &state.chat, draft)
            .await
            .map_err(anyhow::Error::from),
        Err(error) => Err(anyhow::Error::from(error)),
    };
    let (reply, muted_for) = match outcome {
        Ok(Outcome::Accepted(row)) => {
            metrics::counter!(m::MESSAGES_ACCEPTED).increment(1);
            let seq = row.seq;
            let frame = ServerFrame::Message(row.to_message());
            state
                .hub
                .publish(stream_id, &frame, Kind::Message(seq))
                .await;
            (None, None)
        }
        Ok(Outcome::Duplicate(row)) => (Some(ServerFrame::Message(row.to_message())), None),
        Ok(Outcome::Refused {
            reason,
            retry_after,
        }) => {
            m::rejected(reason.label());
            let message = reason.message();
            match retry_after {
                Some(wait) => (Some(rate_limited(stream_id, message, wait)), Some(wait)),
                None => (
                    Some(ServerFrame::error(reason.code(), message, Some(stream_id))),
                    None,
                ),
            }
        }
        Err(error) => {
            m::rejected("unavailable");
            tracing::warn!(error = %format!("{error:#}"), stream.id = %stream_id, "message not persisted");
            (
                Some(ServerFrame::error(
                    codes::UNAVAILABLE,
                    "the chat is unavailable, retry later",
                    Some(stream_id),
                )),
                None,
            )
        }
    };
    Sent {
        stream_id,
        reply,
        muted_for,
    }
}
