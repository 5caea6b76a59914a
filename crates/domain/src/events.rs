//! Versioned event payloads carried over JetStream. Every payload is JSON
//! with `"v": 1`, an `event_id` and `occurred_at`; consumers ignore fields
//! they do not know, so producers may add fields without a new version.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ReplayStatus, Stream, StreamStatus};

/// The payload version this crate writes and reads.
pub const EVENT_VERSION: u8 = 1;

/// An event: the common header flattened with its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event<P> {
    pub v: u8,
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    pub payload: P,
}

impl<P> Event<P> {
    /// Wraps a payload with a fresh event id.
    pub fn new(payload: P, occurred_at: DateTime<Utc>) -> Self {
        Self::with_id(Uuid::new_v4(), payload, occurred_at)
    }

    /// Wraps a payload with a given event id.
    pub fn with_id(event_id: Uuid, payload: P, occurred_at: DateTime<Utc>) -> Self {
        Self {
            v: EVENT_VERSION,
            event_id,
            occurred_at,
            payload,
        }
    }
}

/// The public view of a stream carried by `live.events.stream.created`,
/// `.updated` and `.deleted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamSnapshot {
    pub id: Uuid,
    pub user_id: Uuid,
    pub streamer_name: String,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub thumbnail_url: Option<String>,
    pub status: StreamStatus,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Added after v1 was published: absent in older events.
    #[serde(default = "yes")]
    pub record_replay: bool,
    #[serde(default)]
    pub replay_status: ReplayStatus,
}

fn yes() -> bool {
    true
}

impl From<&Stream> for StreamSnapshot {
    fn from(s: &Stream) -> Self {
        Self {
            id: s.id,
            user_id: s.user_id,
            streamer_name: s.streamer_name.clone(),
            title: s.title.clone(),
            description: s.description.clone(),
            category: s.category.clone(),
            tags: s.tags.clone(),
            thumbnail_url: s.thumbnail_url.clone(),
            status: s.status,
            scheduled_at: s.scheduled_at,
            started_at: s.started_at,
            ended_at: s.ended_at,
            created_at: s.created_at,
            updated_at: s.updated_at,
            record_replay: s.record_replay,
            replay_status: s.replay_status,
        }
    }
}

/// Payload of `live.events.stream.created`, `.updated` and `.deleted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamChanged {
    pub stream: StreamSnapshot,
}

/// Payload of `live.events.stream.started`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamStarted {
    pub stream_id: Uuid,
    pub user_id: Uuid,
    pub session_id: Uuid,
}

/// Why a live session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The publisher stopped (RTMP `publish_done` or an ingest event).
    PublisherDone,
    /// No renewal arrived within the session lease.
    LeaseExpired,
    /// The streamer regenerated the key and the publisher was kicked.
    KeyRotated,
}

/// Payload of `live.events.stream.ended`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEnded {
    pub stream_id: Uuid,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub reason: EndReason,
    /// The session was recorded: its replay is now `processing` (added
    /// after v1 shipped; absent means false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recorded: bool,
}

/// Payload of `live.events.replay.updated`: where an ended stream's replay
/// is. Statuses only move forward (`processing` → `ready` → `none` once
/// deleted, or `processing` → `none`), so a consumer keeps the furthest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayUpdated {
    pub stream_id: Uuid,
    pub status: ReplayStatus,
    /// The replay's duration in seconds, once it is `ready`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// The playlist's path in the media store (`replays/<stream_id>/index.m3u8`)
    /// once it is `ready`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playlist: Option<String>,
}

impl ReplayUpdated {
    /// How far along a status is: a consumer applies an update only when it
    /// goes further than what it holds. `none` is last because it is only
    /// sent once the replay is gone or will never be.
    pub fn rank(status: ReplayStatus) -> i16 {
        match status {
            ReplayStatus::Processing => 1,
            ReplayStatus::Ready => 2,
            ReplayStatus::None => 3,
        }
    }
}

/// Payload of `live.events.key.rotated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRotated {
    pub user_id: Uuid,
}

/// Payload of `live.viewers.<stream_id>`: the last value per stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerCount {
    pub stream_id: Uuid,
    pub count: i32,
    pub peak: i32,
}

/// What an RTMP server reports on `live.ingest.events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestEventType {
    StreamStarted,
    StreamEnded,
    ListenerJoined,
    ListenerLeft,
}

/// Payload of `live.ingest.events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestEvent {
    #[serde(rename = "type")]
    pub kind: IngestEventType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_addr: Option<String>,
    /// On `listener_joined`: who holds the listener's lease (a chat-gateway
    /// instance), renewed by [`ListenerLeaseRenewal`]s. A listener whose
    /// holder stops renewing is removed; one without a holder stays until
    /// its `listener_left` or the end of the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<String>,
}

/// Longest accepted lease holder name.
pub const LEASE_HOLDER_MAX: usize = 64;

/// Payload of `live.listeners.leases` (core NATS): the holder is alive and
/// still serves the listeners it reported with `lease` = `holder`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerLeaseRenewal {
    pub holder: String,
}

#[cfg(test)]
mod tests {
    //! Snapshot tests: the JSON below is the wire contract documented in
    //! `docs/EVENTS.md`; a change here is a change for every consumer.

    use serde_json::{Value, json};

    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn snapshot<P: Serialize>(payload: P) -> Value {
        serde_json::to_value(Event::with_id(id(1), payload, at())).expect("serialisable")
    }

    #[test]
    fn stream_started_snapshot() {
        let started = StreamStarted {
            stream_id: id(2),
            user_id: id(3),
            session_id: id(4),
        };
        assert_eq!(
            snapshot(started),
            json!({
                "v": 1,
                "event_id": "00000000-0000-0000-0000-000000000001",
                "occurred_at": "2026-03-01T12:00:00Z",
                "stream_id": "00000000-0000-0000-0000-000000000002",
                "user_id": "00000000-0000-0000-0000-000000000003",
                "session_id": "00000000-0000-0000-0000-000000000004"
            })
        );
    }

    #[test]
    fn stream_ended_snapshot() {
        let ended = StreamEnded {
            stream_id: id(2),
            user_id: id(3),
            session_id: id(4),
            reason: EndReason::LeaseExpired,
            recorded: false,
        };
        let value = snapshot(ended);
        assert!(value.get("recorded").is_none(), "omitted when false");
        assert_eq!(value["reason"], "lease_expired");
        assert_eq!(value["v"], 1);
        let back: Event<StreamEnded> = serde_json::from_value(value).expect("round trip");
        assert_eq!(back.payload.reason, EndReason::LeaseExpired);
    }

    #[test]
    fn stream_changed_snapshot() {
        let changed = StreamChanged {
            stream: StreamSnapshot {
                id: id(2),
                user_id: id(3),
                streamer_name: "dj".into(),
                title: "Set".into(),
                description: None,
                category: Some("house".into()),
                tags: vec!["deep".into()],
                thumbnail_url: None,
                status: StreamStatus::Scheduled,
                scheduled_at: Some(at()),
                started_at: None,
                ended_at: None,
                created_at: at(),
                updated_at: at(),
                record_replay: true,
                replay_status: crate::ReplayStatus::None,
            },
        };
        assert_eq!(
            snapshot(changed),
            json!({
                "v": 1,
                "event_id": "00000000-0000-0000-0000-000000000001",
                "occurred_at": "2026-03-01T12:00:00Z",
                "stream": {
                    "id": "00000000-0000-0000-0000-000000000002",
                    "user_id": "00000000-0000-0000-0000-000000000003",
                    "streamer_name": "dj",
                    "title": "Set",
                    "description": null,
                    "category": "house",
                    "tags": ["deep"],
                    "thumbnail_url": null,
                    "status": "scheduled",
                    "scheduled_at": "2026-03-01T12:00:00Z",
                    "started_at": null,
                    "ended_at": null,
                    "created_at": "2026-03-01T12:00:00Z",
                    "updated_at": "2026-03-01T12:00:00Z",
                    "record_replay": true,
                    "replay_status": "none"
                }
            })
        );
    }

    #[test]
    fn replay_updated_snapshot_and_ranks() {
        let ready = ReplayUpdated {
            stream_id: id(2),
            status: crate::ReplayStatus::Ready,
            duration_seconds: Some(20.5),
            playlist: Some("replays/00000000-0000-0000-0000-000000000002/index.m3u8".into()),
        };
        assert_eq!(
            snapshot(ready),
            json!({
                "v": 1,
                "event_id": "00000000-0000-0000-0000-000000000001",
                "occurred_at": "2026-03-01T12:00:00Z",
                "stream_id": "00000000-0000-0000-0000-000000000002",
                "status": "ready",
                "duration_seconds": 20.5,
                "playlist": "replays/00000000-0000-0000-0000-000000000002/index.m3u8"
            })
        );
        let processing = ReplayUpdated {
            stream_id: id(2),
            status: crate::ReplayStatus::Processing,
            duration_seconds: None,
            playlist: None,
        };
        assert_eq!(snapshot(processing)["status"], "processing");
        let rank = |s| ReplayUpdated::rank(s);
        assert!(rank(crate::ReplayStatus::Processing) < rank(crate::ReplayStatus::Ready));
        assert!(rank(crate::ReplayStatus::Ready) < rank(crate::ReplayStatus::None));
    }

    #[test]
    fn a_snapshot_without_replay_fields_reads_as_recorded_without_replay() {
        let old = json!({
            "id": id(2), "user_id": id(3), "streamer_name": "dj", "title": "Set",
            "description": null, "category": null, "tags": [], "thumbnail_url": null,
            "status": "ended", "scheduled_at": null, "started_at": null, "ended_at": null,
            "created_at": "2026-03-01T12:00:00Z", "updated_at": "2026-03-01T12:00:00Z"
        });
        let snap: StreamSnapshot = serde_json::from_value(old).expect("an older snapshot");
        assert!(snap.record_replay);
        assert_eq!(snap.replay_status, crate::ReplayStatus::None);
    }

    #[test]
    fn viewer_count_and_key_rotated_snapshots() {
        assert_eq!(
            snapshot(ViewerCount {
                stream_id: id(2),
                count: 5,
                peak: 9
            }),
            json!({
                "v": 1,
                "event_id": "00000000-0000-0000-0000-000000000001",
                "occurred_at": "2026-03-01T12:00:00Z",
                "stream_id": "00000000-0000-0000-0000-000000000002",
                "count": 5,
                "peak": 9
            })
        );
        assert_eq!(
            snapshot(KeyRotated { user_id: id(3) }),
            json!({
                "v": 1,
                "event_id": "00000000-0000-0000-0000-000000000001",
                "occurred_at": "2026-03-01T12:00:00Z",
                "user_id": "00000000-0000-0000-0000-000000000003"
            })
        );
    }

    #[test]
    fn ingest_event_snapshot_omits_absent_fields() {
        let event = IngestEvent {
            kind: IngestEventType::ListenerJoined,
            stream_key: None,
            stream_id: Some(id(2)),
            listener_id: Some("web:abc".into()),
            client_addr: None,
            lease: None,
        };
        assert_eq!(
            snapshot(event.clone()),
            json!({
                "v": 1,
                "event_id": "00000000-0000-0000-0000-000000000001",
                "occurred_at": "2026-03-01T12:00:00Z",
                "type": "listener_joined",
                "stream_id": "00000000-0000-0000-0000-000000000002",
                "listener_id": "web:abc"
            })
        );
        let held = IngestEvent {
            lease: Some("a1b2c3d4e5f6".into()),
            ..event
        };
        assert_eq!(snapshot(held)["lease"], "a1b2c3d4e5f6");
    }

    #[test]
    fn lease_renewal_snapshot() {
        assert_eq!(
            serde_json::to_value(ListenerLeaseRenewal {
                holder: "a1b2c3d4e5f6".into()
            })
            .expect("json"),
            json!({"holder": "a1b2c3d4e5f6"})
        );
    }

    #[test]
    fn consumers_ignore_unknown_fields() {
        let value = json!({
            "v": 1,
            "event_id": "00000000-0000-0000-0000-000000000001",
            "occurred_at": "2026-03-01T12:00:00Z",
            "user_id": "00000000-0000-0000-0000-000000000003",
            "added_later": true
        });
        let event: Event<KeyRotated> = serde_json::from_value(value).expect("tolerant");
        assert_eq!(event.payload.user_id, id(3));
    }
}
