//! The gateway's own routes; everything else is forwarded (see `proxy`).

pub mod dev_token;
pub mod docs;
pub mod health;
