//! The chat's Prometheus metric names, recorded through the `metrics`
//! facade and served at `/metrics`.

/// Gauge: open WebSocket connections.
pub const CONNECTIONS: &str = "veza_live_chat_connections";
/// Gauge: rooms with at least one member on this instance.
pub const ROOMS: &str = "veza_live_chat_rooms";
/// Counter: messages persisted.
pub const MESSAGES_ACCEPTED: &str = "veza_live_chat_messages_accepted_total";
/// Counter: messages refused, by `reason`.
pub const MESSAGES_REJECTED: &str = "veza_live_chat_messages_rejected_total";
/// Histogram: from a frame reaching this instance to its queueing for
/// every local member.
pub const FANOUT_SECONDS: &str = "veza_live_chat_fanout_seconds";
/// Counter: sockets dropped because their queue overflowed.
pub const SLOW_CONSUMERS: &str = "veza_live_chat_slow_consumers_dropped_total";
/// Counter: message gaps filled from PostgreSQL.
pub const GAP_FILLS: &str = "veza_live_chat_gap_fills_total";
/// Counter: listener reports to ingest-events, by `outcome`.
pub const LISTENER_REPORTS: &str = "veza_live_chat_listener_reports_total";
/// Counter: sockets closed, by `reason`.
pub const DISCONNECTS: &str = "veza_live_chat_disconnects_total";

/// Counts a refused message.
pub fn rejected(reason: &'static str) {
    metrics::counter!(MESSAGES_REJECTED, "reason" => reason).increment(1);
}
