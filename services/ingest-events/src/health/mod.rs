//! Stream health for the streamer: while a stream is live, the sampler
//! reads nginx-rtmp's statistics every `HEALTH_SAMPLE_INTERVAL_MS`, keeps
//! the latest figures of each live session here, and judges the signal:
//! `excellent`, `unstable` (the bitrate swings or input frames are
//! dropped) or `no_signal` (nothing arrives). Only live sessions have an
//! entry, so the per-stream gauges of `/metrics` stay bounded.

pub mod metrics;
pub mod sampler;
pub mod stat;

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use self::stat::Publisher;

/// Samples the steadiness of the bitrate is judged on.
const WINDOW: usize = 5;

/// Relative standard deviation of the bitrate above which it is unstable.
const UNSTEADY: f64 = 0.35;

/// What the streamer is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Data arrives at a steady rate and nothing is dropped.
    Excellent,
    /// Data arrives, but the bitrate swings or frames are dropped.
    Unstable,
    /// Nothing arrives: the encoder stopped sending, or is not connected.
    NoSignal,
    /// Live, but the ingest server gives no statistics (a stream reported
    /// over NATS or HTTP by another RTMP server), or none yet.
    Unknown,
}

/// The encoder's video track.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VideoHealth {
    /// `H264`, ...
    pub codec: String,
    pub width: u32,
    pub height: u32,
    /// Frames per second the encoder declared.
    pub frame_rate: f64,
}

/// The encoder's audio track.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AudioHealth {
    /// `AAC`, ...
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u32,
}

/// The latest health of a stream, as `GET /live/streams/{id}/health` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StreamHealth {
    pub stream_id: Uuid,
    /// Whether the stream has a live session.
    pub live: bool,
    pub verdict: Verdict,
    /// Why the verdict is not `excellent`, in words for the streamer.
    pub reasons: Vec<String>,
    /// When nginx-rtmp was last read for this stream.
    pub sampled_at: Option<DateTime<Utc>>,
    /// Inbound bitrate over the last sample interval, bits per second.
    pub bitrate_bps: Option<u64>,
    /// Mean, lowest and highest of the last samples' bitrates.
    pub bitrate_avg_bps: Option<u64>,
    pub bitrate_min_bps: Option<u64>,
    pub bitrate_max_bps: Option<u64>,
    /// Bytes received since the publisher connected.
    pub bytes_in: Option<u64>,
    /// Frames nginx-rtmp dropped on the publisher's connection.
    pub dropped_frames: Option<u64>,
    /// Seconds the publisher has been connected.
    pub uptime_s: Option<u64>,
    pub video: Option<VideoHealth>,
    pub audio: Option<AudioHealth>,
}

impl StreamHealth {
    /// The answer for a stream without figures.
    pub fn without_sample(stream_id: Uuid, live: bool) -> Self {
        Self {
            stream_id,
            live,
            verdict: if live {
                Verdict::Unknown
            } else {
                Verdict::NoSignal
            },
            reasons: vec![if live {
                "no statistics from the ingest server yet".to_owned()
            } else {
                "the stream is not live".to_owned()
            }],
            sampled_at: None,
            bitrate_bps: None,
            bitrate_avg_bps: None,
            bitrate_min_bps: None,
            bitrate_max_bps: None,
            bytes_in: None,
            dropped_frames: None,
            uptime_s: None,
            video: None,
            audio: None,
        }
    }
}

/// The samples of one live session.
#[derive(Debug, Clone)]
struct Track {
    session_id: Uuid,
    /// The previous reading: when, bytes received, frames dropped.
    last: Option<(DateTime<Utc>, u64, u64)>,
    /// Recent bitrates, newest last.
    bitrates: VecDeque<u64>,
    /// Frames dropped within the window.
    dropped_recent: VecDeque<u64>,
    latest: StreamHealth,
}

/// The latest health of every live stream this instance samples. Cheap to clone.
#[derive(Clone, Default)]
pub struct HealthBook {
    tracks: Arc<Mutex<HashMap<Uuid, Track>>>,
}

impl HealthBook {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Track>> {
        self.tracks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The latest health of a stream, if it is sampled.
    pub fn get(&self, stream_id: Uuid) -> Option<StreamHealth> {
        self.lock().get(&stream_id).map(|t| t.latest.clone())
    }

    /// Every sampled stream's latest health.
    pub fn all(&self) -> Vec<StreamHealth> {
        self.lock().values().map(|t| t.latest.clone()).collect()
    }

    /// Forgets the streams that are no longer live.
    pub fn retain(&self, live: &HashMap<Uuid, Uuid>) {
        self.lock()
            .retain(|stream, t| live.get(stream) == Some(&t.session_id));
    }

    /// Records one reading of a live session: `found` is what nginx-rtmp
    /// reported for its publisher, `None` when it reported nothing.
    pub fn record(
        &self,
        stream_id: Uuid,
        session_id: Uuid,
        at: DateTime<Utc>,
        found: Option<&Publisher>,
    ) -> StreamHealth {
        let mut tracks = self.lock();
        let track = tracks
            .entry(stream_id)
            .and_modify(|t| {
                if t.session_id != session_id {
                    *t = Track::new(stream_id, session_id);
                }
            })
            .or_insert_with(|| Track::new(stream_id, session_id));
        track.observe(at, found);
        track.latest.clone()
    }
}

impl Track {
    fn new(stream_id: Uuid, session_id: Uuid) -> Self {
        Self {
            session_id,
            last: None,
            bitrates: VecDeque::new(),
            dropped_recent: VecDeque::new(),
            latest: StreamHealth::without_sample(stream_id, true),
        }
    }

    fn push(window: &mut VecDeque<u64>, value: u64) {
        window.push_back(value);
        while window.len() > WINDOW {
            window.pop_front();
        }
    }

    fn observe(&mut self, at: DateTime<Utc>, found: Option<&Publisher>) {
        let stream_id = self.latest.stream_id;
        let Some(p) = found else {
            // Not publishing at nginx (gone, or not there yet).
            self.last = None;
            Self::push(&mut self.bitrates, 0);
            let mut health = StreamHealth::without_sample(stream_id, true);
            health.verdict = Verdict::NoSignal;
            health.reasons = vec!["the ingest server receives nothing from the encoder".into()];
            health.sampled_at = Some(at);
            health.bitrate_bps = Some(0);
            self.latest = health;
            return;
        };
        let bitrate = match self.last {
            Some((then, bytes, _)) if p.bytes_in >= bytes && at > then => {
                let secs = (at - then).to_std().unwrap_or(Duration::ZERO).as_secs_f64();
                ((p.bytes_in - bytes) as f64 * 8.0 / secs).round() as u64
            }
            // The first reading: nginx-rtmp's own estimate, if it has one.
            _ => p.bw_in,
        };
        let dropped_now = match self.last {
            Some((_, _, dropped)) => p.dropped.saturating_sub(dropped),
            None => 0,
        };
        self.last = Some((at, p.bytes_in, p.dropped));
        if bitrate > 0 || !self.bitrates.is_empty() {
            Self::push(&mut self.bitrates, bitrate);
        }
        Self::push(&mut self.dropped_recent, dropped_now);

        let rates: Vec<u64> = self.bitrates.iter().copied().collect();
        let (verdict, reasons) = judge(&rates, self.dropped_recent.iter().sum(), p);
        let stats = (!rates.is_empty()).then(|| {
            let sum: u64 = rates.iter().sum();
            (
                sum / rates.len() as u64,
                rates.iter().copied().min().unwrap_or(0),
                rates.iter().copied().max().unwrap_or(0),
            )
        });
        self.latest = StreamHealth {
            stream_id,
            live: true,
            verdict,
            reasons,
            sampled_at: Some(at),
            bitrate_bps: Some(bitrate),
            bitrate_avg_bps: stats.map(|s| s.0),
            bitrate_min_bps: stats.map(|s| s.1),
            bitrate_max_bps: stats.map(|s| s.2),
            bytes_in: Some(p.bytes_in),
            dropped_frames: Some(p.dropped),
            uptime_s: Some(p.time_ms / 1000),
            video: p.video.as_ref().map(|v| VideoHealth {
                codec: v.codec.clone(),
                width: v.width,
                height: v.height,
                frame_rate: v.frame_rate,
            }),
            audio: p.audio.as_ref().map(|a| AudioHealth {
                codec: a.codec.clone(),
                sample_rate: a.sample_rate,
                channels: a.channels,
            }),
        };
    }
}

/// The verdict on recent bitrates (oldest first), the frames dropped
/// within them and the latest reading.
fn judge(rates: &[u64], dropped: u64, p: &Publisher) -> (Verdict, Vec<String>) {
    let Some(&now) = rates.last() else {
        return (
            Verdict::Unknown,
            vec!["measuring: the first figures arrive within a few seconds".into()],
        );
    };
    if now == 0 {
        return (
            Verdict::NoSignal,
            vec!["no data arrived from the encoder in the last seconds".into()],
        );
    }
    let mut reasons = Vec::new();
    if dropped > 0 {
        reasons.push(format!("{dropped} frames dropped in the last seconds"));
    }
    if rates.len() >= 3 {
        let n = rates.len() as f64;
        let mean = rates.iter().map(|&r| r as f64).sum::<f64>() / n;
        let var = rates
            .iter()
            .map(|&r| (r as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        if mean > 0.0 && var.sqrt() / mean > UNSTEADY {
            reasons.push("the bitrate swings: check the encoder's upload".into());
        }
        if rates.contains(&0) {
            reasons.push("the signal dropped out in the last seconds".into());
        }
    }
    if p.video.as_ref().is_some_and(|v| v.frame_rate <= 0.0) {
        reasons.push("the encoder declares no frame rate".into());
    }
    if reasons.is_empty() {
        (Verdict::Excellent, reasons)
    } else {
        (Verdict::Unstable, reasons)
    }
}

#[cfg(test)]
mod tests {
    use super::{stat::Video, *};

    fn publisher(bytes_in: u64, dropped: u64) -> Publisher {
        Publisher {
            client_id: "1".into(),
            bytes_in,
            bw_in: 0,
            dropped,
            time_ms: 10_000,
            video: Some(Video {
                codec: "H264".into(),
                width: 1280,
                height: 720,
                frame_rate: 30.0,
            }),
            audio: None,
        }
    }

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).expect("time")
    }

    /// Feeds readings two seconds apart, with `bytes` received between each.
    fn feed(
        book: &HealthBook,
        id: Uuid,
        session: Uuid,
        deltas: &[u64],
        dropped: &[u64],
    ) -> StreamHealth {
        let mut total = 0;
        let mut last = None;
        for (i, d) in deltas.iter().enumerate() {
            total += d;
            let p = publisher(total, dropped.get(i).copied().unwrap_or(0));
            last = Some(book.record(id, session, at(2 * i as i64), Some(&p)));
        }
        last.expect("a reading")
    }

    #[test]
    fn a_steady_signal_is_excellent_with_its_bitrate() {
        let book = HealthBook::default();
        let (id, session) = (Uuid::new_v4(), Uuid::new_v4());
        // 250 kB every 2 s = 1 Mb/s.
        let h = feed(&book, id, session, &[250_000; 6], &[]);
        assert_eq!(h.verdict, Verdict::Excellent, "{:?}", h.reasons);
        assert_eq!(h.bitrate_bps, Some(1_000_000));
        assert_eq!(h.bitrate_avg_bps, Some(1_000_000));
        assert_eq!(h.video.map(|v| (v.width, v.height)), Some((1280, 720)));
        assert_eq!(book.get(id).map(|h| h.verdict), Some(Verdict::Excellent));
    }

    #[test]
    fn a_swinging_bitrate_or_dropped_frames_is_unstable() {
        let book = HealthBook::default();
        let h = feed(
            &book,
            Uuid::new_v4(),
            Uuid::new_v4(),
            &[250_000, 250_000, 30_000, 400_000, 20_000, 300_000],
            &[],
        );
        assert_eq!(h.verdict, Verdict::Unstable);
        let h = feed(
            &book,
            Uuid::new_v4(),
            Uuid::new_v4(),
            &[250_000; 6],
            &[0, 0, 0, 0, 5, 9],
        );
        assert_eq!(h.verdict, Verdict::Unstable);
        assert!(h.reasons[0].contains("dropped"), "{:?}", h.reasons);
    }

    #[test]
    fn nothing_arriving_is_no_signal() {
        let book = HealthBook::default();
        let (id, session) = (Uuid::new_v4(), Uuid::new_v4());
        let h = feed(&book, id, session, &[250_000, 250_000, 250_000, 0], &[]);
        assert_eq!(h.verdict, Verdict::NoSignal);
        assert_eq!(h.bitrate_bps, Some(0));
        let gone = book.record(id, session, at(20), None);
        assert_eq!(gone.verdict, Verdict::NoSignal);
        assert!(gone.live);
    }

    #[test]
    fn a_new_session_starts_afresh_and_ended_streams_are_forgotten() {
        let book = HealthBook::default();
        let (id, first, second) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        feed(&book, id, first, &[250_000; 3], &[]);
        let h = book.record(id, second, at(100), Some(&publisher(10, 0)));
        assert_eq!(h.verdict, Verdict::Unknown, "no bitrate yet: {h:?}");
        book.retain(&HashMap::from([(id, first)]));
        assert_eq!(book.get(id), None);
        assert!(book.all().is_empty());
    }
}
