//! `/media`: stored media, served as files (the gateway forwards
//! `/media/thumbnails/...` and `/media/replays/...` here).

pub mod replay;
pub mod thumbnail;

/// The stream id of a media path: only its canonical spelling (lowercase,
/// hyphenated), so one object has one URL and nothing else is looked up.
pub fn canonical_stream_id(segment: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(segment)
        .ok()
        .filter(|id| id.hyphenated().to_string() == segment)
}
