//! NATS: events the catalog consumes and publishes, and the request/reply
//! subjects it answers.

pub mod consume;
pub mod publish;
pub mod rpc;
