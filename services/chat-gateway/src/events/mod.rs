//! NATS: the catalog's and ingest's events that make and change rooms, and
//! the viewer counts forwarded to sockets.

pub mod rooms;
pub mod viewers;
