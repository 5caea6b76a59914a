//! `/media`: stored media, served as files (the gateway forwards
//! `/media/thumbnails/...` and `/media/replays/...` here).

pub mod replay;
pub mod thumbnail;
