//! Background work: the `live.ingest.events` and `live.events.key.rotated`
//! consumers, viewer-count publication and lease expiry.

pub mod consume;
pub mod leases;
pub mod viewers;
