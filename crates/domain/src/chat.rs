//! The chat WebSocket protocol (`/ws`): JSON text frames with a snake_case
//! `type`. Client frames also accept the aliases of the existing Veza
//! client (`JoinConversation`, `LeaveConversation`, `SendMessage` with
//! `conversation_id` = stream id). Server frames are also the payloads of
//! `chat.room.<stream_id>`, so an instance forwards them without
//! re-encoding.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::StreamStatus;

/// Longest message, in characters, after trimming.
pub const CONTENT_MAX_CHARS: usize = 500;
/// Longest `client_msg_id`, in bytes.
pub const CLIENT_MSG_ID_MAX: usize = 64;

/// A frame a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type")]
pub enum ClientFrame {
    /// Join a room; `since_seq` asks for the messages after it.
    #[serde(rename = "join", alias = "JoinConversation")]
    Join {
        #[serde(alias = "conversation_id")]
        stream_id: Uuid,
        #[serde(default)]
        since_seq: Option<i64>,
    },
    /// Leave a room.
    #[serde(rename = "leave", alias = "LeaveConversation")]
    Leave {
        #[serde(alias = "conversation_id")]
        stream_id: Uuid,
    },
    /// Say something; `client_msg_id` makes a resend idempotent.
    #[serde(rename = "send", alias = "SendMessage")]
    Send {
        #[serde(alias = "conversation_id")]
        stream_id: Uuid,
        content: String,
        #[serde(default)]
        client_msg_id: Option<String>,
    },
    /// Application-level keep-alive; answered with `pong`.
    #[serde(rename = "ping")]
    Ping,
}

/// One persisted chat message, as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChatMessage {
    pub stream_id: Uuid,
    /// Position in the room, gapless from 1.
    #[schema(minimum = 1)]
    pub seq: i64,
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    /// Inert text: never interpreted as markup by the server; 1..=500
    /// characters.
    #[schema(min_length = 1, max_length = 500)]
    pub content: String,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
}

/// A frame the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Answer to `join`: oldest first, the last 50 messages or those after
    /// `since_seq`.
    Joined {
        stream_id: Uuid,
        can_send: bool,
        viewer_count: i32,
        status: StreamStatus,
        /// The room's newest `seq` when the history was read.
        last_seq: i64,
        history: Vec<ChatMessage>,
        /// True when more messages were missed than one replay carries;
        /// the rest are in `GET .../chat/messages`.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        history_truncated: bool,
    },
    /// Answer to `leave`.
    Left {
        stream_id: Uuid,
    },
    Message(ChatMessage),
    MessageDeleted {
        stream_id: Uuid,
        id: Uuid,
    },
    ViewerCount {
        stream_id: Uuid,
        count: i32,
    },
    StreamStatus {
        stream_id: Uuid,
        status: StreamStatus,
    },
    /// An ended stream's replay changed: `ready` (its `stream_url` now plays
    /// it: fetch the stream again) or `none` (deleted, or never made).
    StreamReplay {
        stream_id: Uuid,
        replay_status: crate::ReplayStatus,
    },
    Error(ErrorFrame),
    Pong,
}

/// Why a frame was refused; the socket stays open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorFrame {
    /// Stable code, e.g. `rate_limited`, `forbidden`, `bad_frame`.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<Uuid>,
}

impl ServerFrame {
    /// An `error` frame.
    pub fn error(code: &str, message: impl Into<String>, stream_id: Option<Uuid>) -> Self {
        Self::Error(ErrorFrame {
            code: code.to_owned(),
            message: message.into(),
            retry_after_ms: None,
            stream_id,
        })
    }
}

/// Stable codes of `error` frames.
pub mod codes {
    pub const BAD_FRAME: &str = "bad_frame";
    pub const VALIDATION_FAILED: &str = "validation_failed";
    pub const NOT_FOUND: &str = "not_found";
    pub const NOT_JOINED: &str = "not_joined";
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const BANNED: &str = "banned";
    pub const ROOM_CLOSED: &str = "room_closed";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const TOO_MANY_ROOMS: &str = "too_many_rooms";
    pub const TOKEN_EXPIRED: &str = "token_expired";
    pub const UNAVAILABLE: &str = "service_unavailable";
}

/// Why content was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentError {
    Empty,
    TooLong,
}

/// Cleans message content: control characters and bidirectional controls
/// removed (newlines and tabs become spaces), trimmed of invisible
/// characters, 1..=500 characters (see [`crate::text`]).
///
/// Fails when nothing visible is left or more than 500 characters remain.
pub fn clean_content(raw: &str) -> Result<String, ContentError> {
    let cleaned: String = raw
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() || crate::text::is_bidi_control(c) => None,
            c => Some(c),
        })
        .collect();
    let trimmed = cleaned.trim_matches(crate::text::is_invisible);
    if !crate::text::has_visible(trimmed) {
        return Err(ContentError::Empty);
    }
    match trimmed.chars().count() {
        0 => Err(ContentError::Empty),
        n if n > CONTENT_MAX_CHARS => Err(ContentError::TooLong),
        _ => Ok(trimmed.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn client_frames_accept_the_veza_client_aliases() {
        let id = Uuid::from_u128(7);
        let join: ClientFrame =
            serde_json::from_value(json!({"type": "JoinConversation", "conversation_id": id}))
                .expect("alias");
        assert_eq!(
            join,
            ClientFrame::Join {
                stream_id: id,
                since_seq: None
            }
        );
        let send: ClientFrame = serde_json::from_value(
            json!({"type": "SendMessage", "conversation_id": id, "content": "hi", "extra": 1}),
        )
        .expect("alias");
        assert!(matches!(send, ClientFrame::Send { stream_id, .. } if stream_id == id));
        let leave: ClientFrame =
            serde_json::from_value(json!({"type": "leave", "stream_id": id})).expect("native");
        assert_eq!(leave, ClientFrame::Leave { stream_id: id });
        assert!(serde_json::from_value::<ClientFrame>(json!({"type": "shout"})).is_err());
    }

    #[test]
    fn message_frame_snapshot() {
        let at = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        let frame = ServerFrame::Message(ChatMessage {
            stream_id: Uuid::from_u128(1),
            seq: 3,
            id: Uuid::from_u128(2),
            user_id: Uuid::from_u128(4),
            username: "dj".into(),
            content: "<b>hi</b>".into(),
            created_at: at,
            client_msg_id: None,
        });
        assert_eq!(
            serde_json::to_value(&frame).expect("json"),
            json!({
                "type": "message",
                "stream_id": "00000000-0000-0000-0000-000000000001",
                "seq": 3,
                "id": "00000000-0000-0000-0000-000000000002",
                "user_id": "00000000-0000-0000-0000-000000000004",
                "username": "dj",
                "content": "<b>hi</b>",
                "created_at": "2026-03-01T12:00:00Z"
            })
        );
        let error = ServerFrame::Error(ErrorFrame {
            code: codes::RATE_LIMITED.into(),
            message: "slow down".into(),
            retry_after_ms: Some(1500),
            stream_id: None,
        });
        assert_eq!(
            serde_json::to_value(&error).expect("json"),
            json!({"type": "error", "code": "rate_limited", "message": "slow down", "retry_after_ms": 1500})
        );
        assert_eq!(
            serde_json::to_value(ServerFrame::Pong).expect("json"),
            json!({"type": "pong"})
        );
    }

    #[test]
    fn content_is_trimmed_stripped_of_controls_and_bounded() {
        assert_eq!(
            clean_content("  a\u{0007}b\nc\u{202E}  ").as_deref(),
            Ok("ab c")
        );
        assert_eq!(clean_content(" \u{0000}\t "), Err(ContentError::Empty));
        assert_eq!(
            clean_content("\u{200B}\u{FEFF}\u{2060}"),
            Err(ContentError::Empty)
        );
        assert_eq!(clean_content("\u{200B}hi\u{200B}").as_deref(), Ok("hi"));
        assert_eq!(
            clean_content(&"é".repeat(500)).map(|s| s.chars().count()),
            Ok(500)
        );
        assert_eq!(clean_content(&"x".repeat(501)), Err(ContentError::TooLong));
        assert_eq!(
            clean_content("<script>x</script>").as_deref(),
            Ok("<script>x</script>")
        );
    }
}
