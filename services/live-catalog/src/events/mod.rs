//! JetStream: the events the catalog consumes and the snapshots it
//! publishes through its outbox.

pub mod consume;
pub mod publish;
