//! `send`: checks the author and content against what the socket knows,
//! then hands the message to its room's committer ([`crate::hub::commit`]),
//! which persists it with the other sends waiting for the room in one
//! transaction that locks the room row, so every check (room status, ban,
//! idempotent resend, rate limit, slow mode) is exact across instances and
//! `seq` is gapless. The accepted message reaches the room, its author
//! included, through the fan-out; a resend gets its original back.

use std::time::Duration;

use actix_web::web;
use tokio::{sync::oneshot, time::Instant};
use uuid::Uuid;
use veza_live_domain::chat::{
    CLIENT_MSG_ID_MAX, ContentError, ErrorFrame, ServerFrame, clean_content, codes,
};
use veza_live_platform::auth::AuthUser;

use super::connection::Connection;
use crate::{
    hub::commit::{self, Draft, Limits, Outcome, Submission},
    metrics as m,
    state::AppState,
};

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
    let (answer, wait) = oneshot::channel();
    let submission = Submission {
        draft: Draft {
            stream_id,
            user_id: user.user_id,
            username: user.display_name(),
            content,
            client_msg_id,
        },
        limits: Limits {
            rate_limit: state.chat.rate_limit,
            window: state.chat.rate_window,
        },
        answer,
    };
    // The room's committer batches the sends that wait together; without
    // one (the room just closed here) the send commits by itself.
    let unhandled = match state.hub.room(stream_id) {
        Some(room) => room.commit(submission),
        None => Some(submission),
    };
    if let Some(submission) = unhandled {
        commit::commit_and_answer(&state.hub, vec![submission]).await;
    }
    let outcome = wait
        .await
        .unwrap_or_else(|_| Err("the room closed before the message committed".to_owned()));
    let (reply, muted_for) = match outcome {
        Ok(Outcome::Accepted(_)) => {
            metrics::counter!(m::MESSAGES_ACCEPTED).increment(1);
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
            tracing::warn!(error = %error, stream.id = %stream_id, "message not persisted");
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
