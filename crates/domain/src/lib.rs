//! Domain types shared by every Veza Live service: streams and their status
//! machine, validated inputs, versioned event payloads, request/reply
//! payloads and the NATS subject names.
//!
//! This crate has no I/O; services build on it so that every producer and
//! consumer agrees on the same shapes.

pub mod chat;
pub mod envelope;
pub mod events;
pub mod input;
pub mod rpc;
#[cfg(feature = "diesel")]
pub mod sql;
pub mod stream;
pub mod subjects;
pub mod text;

pub use envelope::{ErrorBody, FieldError};
pub use stream::{ReplayStatus, Stream, StreamStatus};
pub use subjects::Subjects;
