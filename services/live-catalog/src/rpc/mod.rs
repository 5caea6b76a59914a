//! NATS request/reply: the subjects the catalog answers ([`responders`])
//! and the calls it makes to other services ([`clients`]).

pub mod clients;
pub mod responders;
