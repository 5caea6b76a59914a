//! The HLS side of recording: reading nginx-rtmp's live playlist (a
//! sliding window of the last segments) and writing the replay's VOD
//! playlist from every segment copied.

use m3u8_rs::{MediaPlaylist, MediaPlaylistType, MediaSegment};

use crate::db::replays::SegmentRow;

/// One segment of the live window.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSegment {
    /// nginx-rtmp's sequence number (`#EXT-X-MEDIA-SEQUENCE` + position).
    pub sequence: i64,
    pub duration_s: f64,
    /// The file name, relative to the playlist.
    pub uri: String,
    /// The encoder's timeline breaks before this segment.
    pub discontinuity: bool,
}

/// The live window was not a media playlist we can follow.
#[derive(Debug, thiserror::Error)]
#[error("live playlist: {0}")]
pub struct PlaylistError(String);

/// A segment name nginx-rtmp writes: a plain file name next to the
/// playlist, never a path or a URL elsewhere.
fn plain_name(uri: &str) -> bool {
    !uri.is_empty()
        && uri.len() <= 200
        && !uri.starts_with('.')
        && uri
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Reads a live playlist.
///
/// Fails when it is not an HLS media playlist or names a segment outside
/// its folder.
pub fn parse_live(body: &[u8]) -> Result<Vec<LiveSegment>, PlaylistError> {
    let playlist = m3u8_rs::parse_media_playlist_res(body)
        .map_err(|e| PlaylistError(format!("not a media playlist: {e:?}")))?;
    let first = i64::try_from(playlist.media_sequence)
        .map_err(|_| PlaylistError("media sequence out of range".into()))?;
    playlist
        .segments
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            if !plain_name(&s.uri) {
                return Err(PlaylistError(format!(
                    "unexpected segment name {:?}",
                    s.uri
                )));
            }
            Ok(LiveSegment {
                sequence: first + i as i64,
                duration_s: f64::from(s.duration).max(0.0),
                uri: s.uri,
                discontinuity: s.discontinuity,
            })
        })
        .collect()
}

/// The segments of `window` not copied yet, given the last sequence
/// copied. A gap (segments that left the window before they were copied)
/// or a restart of nginx-rtmp's numbering starts with a discontinuity.
pub fn unseen(last: Option<i64>, window: &[LiveSegment]) -> Vec<LiveSegment> {
    let Some(last) = last else {
        return window.to_vec();
    };
    let Some(newest) = window.last() else {
        return Vec::new();
    };
    if newest.sequence < last {
        // Numbering restarted (nginx-rtmp lost its HLS folder).
        let mut all = window.to_vec();
        if let Some(first) = all.first_mut() {
            first.discontinuity = true;
        }
        return all;
    }
    let mut new: Vec<LiveSegment> = window
        .iter()
        .filter(|s| s.sequence > last)
        .cloned()
        .collect();
    if let Some(first) = new.first_mut()
        && first.sequence > last + 1
    {
        first.discontinuity = true;
    }
    new
}

/// The object name of segment `idx` of a replay, relative to its playlist.
pub fn segment_name(idx: i32) -> String {
    format!("{idx}.ts")
}

/// The VOD playlist of a replay: every segment, in order, with its
/// discontinuities, closed by `#EXT-X-ENDLIST`.
pub fn vod(segments: &[SegmentRow]) -> Vec<u8> {
    let longest = segments
        .iter()
        .map(|s| s.duration_s)
        .fold(0.0_f64, f64::max);
    let playlist = MediaPlaylist {
        version: Some(3),
        // A whole number of seconds no segment exceeds (RFC 8216 4.3.3.1).
        target_duration: longest.ceil().max(1.0) as u64,
        media_sequence: 0,
        playlist_type: Some(MediaPlaylistType::Vod),
        end_list: true,
        segments: segments
            .iter()
            .map(|s| MediaSegment {
                uri: segment_name(s.idx),
                duration: s.duration_s as f32,
                discontinuity: s.discontinuity,
                ..MediaSegment::default()
            })
            .collect(),
        ..MediaPlaylist::default()
    };
    let mut out = Vec::with_capacity(64 + segments.len() * 24);
    // Writing to a Vec does not fail.
    let _ = playlist.write_to(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    const NGINX: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-TARGETDURATION:2\n\
        #EXTINF:1.000,\nabc-7.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:1.250,\nabc-8.ts\n#EXTINF:0.958,\nabc-9.ts\n";

    fn seg(sequence: i64) -> LiveSegment {
        LiveSegment {
            sequence,
            duration_s: 1.0,
            uri: format!("s-{sequence}.ts"),
            discontinuity: false,
        }
    }

    #[test]
    fn an_nginx_live_window_is_read_with_sequences_and_discontinuities() {
        let window = parse_live(NGINX.as_bytes()).expect("parses");
        assert_eq!(
            window.iter().map(|s| s.sequence).collect::<Vec<_>>(),
            [7, 8, 9]
        );
        assert_eq!(window[1].uri, "abc-8.ts");
        assert!((window[1].duration_s - 1.25).abs() < 1e-6);
        assert_eq!(
            window.iter().map(|s| s.discontinuity).collect::<Vec<_>>(),
            [false, true, false]
        );
    }

    #[test]
    fn a_segment_outside_the_folder_or_a_master_playlist_is_refused() {
        for uri in [
            "../etc/passwd",
            "/abs.ts",
            "http://elsewhere/x.ts",
            "sub/x.ts",
            ".hidden",
        ] {
            let body = format!("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n{uri}\n");
            assert!(parse_live(body.as_bytes()).is_err(), "{uri}");
        }
        assert!(parse_live(b"not a playlist").is_err());
    }

    #[test]
    fn only_unseen_segments_are_copied_and_gaps_or_restarts_are_discontinuities() {
        let window = [seg(4), seg(5), seg(6)];
        assert_eq!(unseen(None, &window).len(), 3);
        assert!(unseen(Some(6), &window).is_empty());
        let tail = unseen(Some(4), &window);
        assert_eq!(tail.iter().map(|s| s.sequence).collect::<Vec<_>>(), [5, 6]);
        assert!(!tail[0].discontinuity, "contiguous");
        let gap = unseen(Some(1), &window);
        assert_eq!(gap.len(), 3);
        assert!(gap[0].discontinuity, "segments 2 and 3 were lost");
        let restarted = unseen(Some(40), &window);
        assert_eq!(restarted.len(), 3);
        assert!(restarted[0].discontinuity, "numbering restarted");
        assert!(unseen(Some(3), &[]).is_empty());
    }

    #[test]
    fn the_vod_playlist_lists_every_segment_and_ends() {
        let id = Uuid::nil();
        let rows: Vec<SegmentRow> = (0..3)
            .map(|idx| SegmentRow {
                stream_id: id,
                idx,
                media_sequence: i64::from(idx) + 10,
                duration_s: if idx == 1 { 2.4 } else { 1.0 },
                bytes: 100,
                discontinuity: idx == 2,
            })
            .collect();
        let text = String::from_utf8(vod(&rows)).expect("utf-8");
        assert!(text.starts_with("#EXTM3U\n"), "{text}");
        assert!(text.contains("#EXT-X-PLAYLIST-TYPE:VOD"), "{text}");
        assert!(text.contains("#EXT-X-TARGETDURATION:3"), "{text}");
        assert!(text.trim_end().ends_with("#EXT-X-ENDLIST"), "{text}");
        assert_eq!(text.matches("#EXTINF:").count(), 3, "{text}");
        assert_eq!(text.matches("#EXT-X-DISCONTINUITY\n").count(), 1, "{text}");
        let names: Vec<&str> = text.lines().filter(|l| l.ends_with(".ts")).collect();
        assert_eq!(names, ["0.ts", "1.ts", "2.ts"]);
        // It reads back as the same segments.
        let back = m3u8_rs::parse_media_playlist_res(text.as_bytes()).expect("valid");
        assert!(back.end_list);
        let total: f32 = back.segments.iter().map(|s| s.duration).sum();
        assert!((total - 4.4).abs() < 1e-3, "{total}");
    }
}
