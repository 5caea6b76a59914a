//! `/media`: stored media, served as files (the gateway forwards
//! `/media/thumbnails/...` here).

pub mod thumbnail;
