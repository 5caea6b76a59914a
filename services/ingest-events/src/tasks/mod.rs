//! Timers that sweep this service's tables.

pub mod lease_expiry;
