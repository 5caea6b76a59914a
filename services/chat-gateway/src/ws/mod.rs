//! The chat WebSocket at `/ws` (§6 of the design): the upgrade with its
//! origin and token checks, one task per socket, and the handling of each
//! client frame.
//!
//! A socket's task owns the socket: it reads frames (at most 4 KiB each;
//! larger closes with 1009), answers them, and drains the socket's bounded
//! queue of room frames into the socket. It pings a socket silent for the
//! ping interval, closes it after the idle timeout, closes it when its
//! token expires, and closes it with 1001 at shutdown.

pub mod connection;
pub mod join;
pub mod send;
pub mod upgrade;

/// Largest frame a client may send, in bytes.
pub const MAX_FRAME_BYTES: usize = 4096;
/// Rooms one socket may be in at once.
pub const MAX_ROOMS_PER_SOCKET: usize = 16;
