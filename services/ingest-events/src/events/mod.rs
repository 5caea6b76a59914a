//! Background work: the `live.ingest.events` and `live.events.key.rotated`
//! consumers, viewer-count publication, lease renewals and lease expiry.

pub mod consume;
pub mod leases;
pub mod listener_leases;
pub mod viewers;
