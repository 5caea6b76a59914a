//! Per-stream ingest gauges, rendered with `/metrics` from the
//! [`HealthBook`]: one series per live stream, gone when the stream ends
//! (the `metrics` facade cannot remove a series, so these are written here).

use std::fmt::Write;

use actix_web::{HttpResponse, web};

use super::HealthBook;
use crate::state::AppState;

/// Inbound bitrate of a live stream, bits per second.
pub const BITRATE: &str = "veza_live_stream_ingest_bitrate_bps";
/// Frame rate the encoder of a live stream declares.
pub const FRAME_RATE: &str = "veza_live_stream_ingest_frame_rate";

/// The gauges of every sampled stream, in Prometheus text format.
pub fn render(book: &HealthBook) -> String {
    let mut all = book.all();
    all.sort_by_key(|h| h.stream_id);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP {BITRATE} Inbound bitrate of a live stream over the last sample, bits per second.\n# TYPE {BITRATE} gauge"
    );
    for h in &all {
        if let Some(bps) = h.bitrate_bps {
            let _ = writeln!(out, "{BITRATE}{{stream_id=\"{}\"}} {bps}", h.stream_id);
        }
    }
    let _ = writeln!(
        out,
        "# HELP {FRAME_RATE} Frame rate the encoder of a live stream declares.\n# TYPE {FRAME_RATE} gauge"
    );
    for h in &all {
        if let Some(video) = &h.video {
            let _ = writeln!(
                out,
                "{FRAME_RATE}{{stream_id=\"{}\"}} {}",
                h.stream_id, video.frame_rate
            );
        }
    }
    out
}

/// `GET /metrics`: the process's metrics and the per-stream gauges.
pub async fn serve(state: web::Data<AppState>) -> HttpResponse {
    let mut body = veza_live_platform::metrics::handle().render();
    body.push_str(&render(&state.health));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::health::stat::{Publisher, Video};

    #[test]
    fn one_series_per_live_stream_and_none_once_it_ends() {
        let book = HealthBook::default();
        let (id, session) = (Uuid::new_v4(), Uuid::new_v4());
        let p = Publisher {
            bytes_in: 1000,
            bw_in: 800_000,
            video: Some(Video {
                frame_rate: 25.0,
                ..Video::default()
            }),
            ..Publisher::default()
        };
        book.record(id, session, Utc::now(), Some(&p));
        let text = render(&book);
        assert!(
            text.contains(&format!(
                "veza_live_stream_ingest_bitrate_bps{{stream_id=\"{id}\"}} 800000"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "veza_live_stream_ingest_frame_rate{{stream_id=\"{id}\"}} 25"
            )),
            "{text}"
        );
        book.retain(&Default::default());
        assert!(!render(&book).contains(&id.to_string()));
    }
}
