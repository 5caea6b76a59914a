//! A live stream as the public sees it, and its status machine.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Where a stream is in its life: draft → scheduled → live → ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow),
    diesel(sql_type = diesel::sql_types::Text)
)]
pub enum StreamStatus {
    /// Created, not scheduled, not yet live; visible to its owner only.
    Draft,
    /// Has a future `scheduled_at`.
    Scheduled,
    /// A publisher is connected.
    Live,
    /// Finished; listed as a replay (VOD). Terminal.
    Ended,
}

impl StreamStatus {
    /// Every status, in life order.
    pub const ALL: [StreamStatus; 4] = [Self::Draft, Self::Scheduled, Self::Live, Self::Ended];

    /// The database and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Live => "live",
            Self::Ended => "ended",
        }
    }

    /// Parses the database and wire spelling.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Whether the status machine allows moving from `self` to `to`.
    ///
    /// Draft and scheduled move between each other as a schedule is set or
    /// cleared; either goes live; a live stream ends; an `ended` that
    /// arrives before its `started` ends a stream that never went live.
    /// Nothing leaves `ended`.
    pub fn can_become(self, to: StreamStatus) -> bool {
        use StreamStatus::*;
        matches!(
            (self, to),
            (Draft, Scheduled)
                | (Scheduled, Draft)
                | (Draft | Scheduled, Live)
                | (Draft | Scheduled | Live, Ended)
        )
    }

    /// Whether metadata such as `scheduled_at` may still change.
    pub fn is_before_live(self) -> bool {
        matches!(self, Self::Draft | Self::Scheduled)
    }
}

/// Whether an ended stream has a replay to play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow),
    diesel(sql_type = diesel::sql_types::Text)
)]
pub enum ReplayStatus {
    /// No replay: the stream has not ended, recording was off, the
    /// broadcast was too short, or the replay was deleted.
    #[default]
    None,
    /// The stream ended and its recording is being turned into a replay.
    Processing,
    /// `stream_url` is the replay's VOD playlist.
    Ready,
}

impl ReplayStatus {
    /// Every status.
    pub const ALL: [ReplayStatus; 3] = [Self::None, Self::Processing, Self::Ready];

    /// The database and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Processing => "processing",
            Self::Ready => "ready",
        }
    }

    /// Parses the database and wire spelling.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// A stream as JSON. Owner views add `stream_key` and `rtmp_url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Stream {
    pub id: Uuid,
    pub user_id: Uuid,
    pub streamer_name: String,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub thumbnail_url: Option<String>,
    pub status: StreamStatus,
    pub is_live: bool,
    /// True once the stream has ended and is listed as a replay.
    pub is_vod: bool,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub viewer_count: i32,
    pub peak_viewers: i32,
    /// HLS playback URL: the live playlist while live, the replay's VOD
    /// playlist once an ended stream's replay is ready, else null.
    pub stream_url: Option<String>,
    /// Whether the broadcast is recorded as a replay (read when the stream
    /// goes live; recording can also be off for the whole deployment).
    pub record_replay: bool,
    pub replay_status: ReplayStatus,
    /// Length of the broadcast: the replay's duration once it is ready,
    /// else from `started_at` to `ended_at`; null before the end.
    pub duration_seconds: Option<f64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The owner's stream key; only in the owner's views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_key: Option<String>,
    /// Where the owner's encoder publishes; only in the owner's views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtmp_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::StreamStatus::{self, *};

    #[test]
    fn replay_status_spelling_round_trips() {
        for status in super::ReplayStatus::ALL {
            assert_eq!(super::ReplayStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(super::ReplayStatus::parse("READY"), None);
    }

    #[test]
    fn status_spelling_round_trips() {
        for status in StreamStatus::ALL {
            assert_eq!(StreamStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(StreamStatus::parse("LIVE"), None);
    }

    #[test]
    fn ended_is_terminal_and_ended_before_started_is_allowed() {
        for to in StreamStatus::ALL {
            assert!(!Ended.can_become(to), "ended must not become {to:?}");
        }
        assert!(Draft.can_become(Ended));
        assert!(Scheduled.can_become(Ended));
        assert!(Live.can_become(Ended));
    }

    #[test]
    fn live_does_not_go_back_to_draft_or_scheduled() {
        assert!(!Live.can_become(Draft));
        assert!(!Live.can_become(Scheduled));
        assert!(Draft.can_become(Live));
        assert!(Scheduled.can_become(Live));
        assert!(Draft.can_become(Scheduled) && Scheduled.can_become(Draft));
    }
}
