//! NATS subject and JetStream stream names, in one place. Every name takes
//! an optional prefix so that tests (or tenants) can share one NATS server
//! without crosstalk: prefix `t42` gives subject `t42.live.ingest.events`
//! and stream `T42_LIVE_INGEST`.

use uuid::Uuid;

/// JetStream stream of RTMP lifecycle events (`live.ingest.events`).
pub const STREAM_INGEST: &str = "LIVE_INGEST";
/// JetStream stream of domain events (`live.events.>`).
pub const STREAM_EVENTS: &str = "LIVE_EVENTS";
/// JetStream stream of viewer counts, last value per subject (`live.viewers.>`).
pub const STREAM_VIEWERS: &str = "LIVE_VIEWERS";

/// Builds every subject and stream name for one prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subjects {
    /// Empty, or the prefix followed by a dot.
    subject_prefix: String,
    /// Empty, or the upper-cased prefix followed by an underscore.
    stream_prefix: String,
}

impl Subjects {
    /// Names under an optional prefix.
    ///
    /// Fails when the prefix is empty or holds anything but ASCII letters,
    /// digits, `-` and `_` (it must stay a single subject token).
    pub fn new(prefix: Option<&str>) -> Result<Self, String> {
        match prefix {
            None => Ok(Self::default()),
            Some(p)
                if !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                Ok(Self {
                    subject_prefix: format!("{p}."),
                    stream_prefix: format!("{}_", p.to_ascii_uppercase().replace('-', "_")),
                })
            }
            Some(p) => Err(format!(
                "subject prefix {p:?} must be one token of letters, digits, '-' or '_'"
            )),
        }
    }

    fn subject(&self, rest: &str) -> String {
        format!("{}{rest}", self.subject_prefix)
    }

    /// A JetStream stream name (`LIVE_EVENTS` → `T42_LIVE_EVENTS`).
    pub fn stream(&self, base: &str) -> String {
        format!("{}{base}", self.stream_prefix)
    }

    pub fn ingest_events(&self) -> String {
        self.subject("live.ingest.events")
    }
    pub fn stream_created(&self) -> String {
        self.subject("live.events.stream.created")
    }
    pub fn stream_updated(&self) -> String {
        self.subject("live.events.stream.updated")
    }
    pub fn stream_deleted(&self) -> String {
        self.subject("live.events.stream.deleted")
    }
    pub fn stream_started(&self) -> String {
        self.subject("live.events.stream.started")
    }
    pub fn stream_ended(&self) -> String {
        self.subject("live.events.stream.ended")
    }
    /// Where an ended stream's replay is (ingest-events → live-catalog, chat-gateway).
    pub fn replay_updated(&self) -> String {
        self.subject("live.events.replay.updated")
    }
    /// Every stream lifecycle and metadata event.
    pub fn stream_events_all(&self) -> String {
        self.subject("live.events.stream.>")
    }
    pub fn key_rotated(&self) -> String {
        self.subject("live.events.key.rotated")
    }
    /// Everything in the `LIVE_EVENTS` stream.
    pub fn events_all(&self) -> String {
        self.subject("live.events.>")
    }
    pub fn viewers(&self, stream_id: Uuid) -> String {
        self.subject(&format!("live.viewers.{stream_id}"))
    }
    pub fn viewers_all(&self) -> String {
        self.subject("live.viewers.>")
    }
    pub fn rpc_keys_validate(&self) -> String {
        self.subject("live.rpc.keys.validate")
    }
    pub fn rpc_keys_issue(&self) -> String {
        self.subject("live.rpc.keys.issue")
    }
    pub fn rpc_resolve_publish(&self) -> String {
        self.subject("live.rpc.catalog.resolve_publish")
    }
    pub fn rpc_ensure_draft(&self) -> String {
        self.subject("live.rpc.catalog.ensure_draft")
    }
    pub fn rpc_stream_owner(&self) -> String {
        self.subject("live.rpc.catalog.stream_owner")
    }
    /// Core NATS: lease renewals of listener holders (chat-gateway instances).
    pub fn listener_leases(&self) -> String {
        self.subject("live.listeners.leases")
    }
    pub fn chat_room(&self, stream_id: Uuid) -> String {
        self.subject(&format!("chat.room.{stream_id}"))
    }

    /// The stream id at the end of a `live.viewers.<id>` subject.
    pub fn stream_id_of_viewers(&self, subject: &str) -> Option<Uuid> {
        subject
            .strip_prefix(&self.subject("live.viewers."))
            .and_then(|id| Uuid::parse_str(id).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unprefixed_names_match_the_design() {
        let s = Subjects::new(None).expect("no prefix");
        assert_eq!(s.ingest_events(), "live.ingest.events");
        assert_eq!(s.stream_started(), "live.events.stream.started");
        assert_eq!(s.key_rotated(), "live.events.key.rotated");
        assert_eq!(
            s.viewers(Uuid::nil()),
            "live.viewers.00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(s.rpc_keys_validate(), "live.rpc.keys.validate");
        assert_eq!(s.rpc_resolve_publish(), "live.rpc.catalog.resolve_publish");
        assert_eq!(
            s.chat_room(Uuid::nil()),
            "chat.room.00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(s.listener_leases(), "live.listeners.leases");
        assert_eq!(s.stream(STREAM_EVENTS), "LIVE_EVENTS");
    }

    #[test]
    fn prefix_isolates_subjects_and_streams() {
        let s = Subjects::new(Some("t-1a")).expect("valid prefix");
        assert_eq!(s.ingest_events(), "t-1a.live.ingest.events");
        assert_eq!(s.stream(STREAM_VIEWERS), "T_1A_LIVE_VIEWERS");
        let id = Uuid::new_v4();
        assert_eq!(s.stream_id_of_viewers(&s.viewers(id)), Some(id));
        assert_eq!(s.stream_id_of_viewers(&format!("live.viewers.{id}")), None);
    }

    #[test]
    fn prefix_must_be_one_token() {
        assert!(Subjects::new(Some("")).is_err());
        assert!(Subjects::new(Some("a.b")).is_err());
        assert!(Subjects::new(Some("a>")).is_err());
    }
}
