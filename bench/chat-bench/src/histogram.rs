//! Latency histogram: 10 µs buckets up to 5 s, mergeable across client
//! processes through a compact text form.

use std::fmt::Write as _;

/// Width of a bucket in microseconds.
const BUCKET_US: u64 = 10;
/// Buckets; the last one holds everything slower.
const BUCKETS: usize = 500_000;

/// Counts of latencies per bucket.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS],
        }
    }
}

impl Histogram {
    /// Records one latency.
    pub fn record(&mut self, micros: u64) {
        let index = usize::try_from(micros / BUCKET_US).unwrap_or(BUCKETS - 1);
        self.counts[index.min(BUCKETS - 1)] += 1;
    }

    /// How many latencies were recorded.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
    }

    /// The upper bound, in milliseconds, of the bucket holding quantile `q`.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let total = self.total();
        if total == 0 {
            return 0.0;
        }
        let target = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= target {
                return ((index as u64 + 1) * BUCKET_US) as f64 / 1000.0;
            }
        }
        (BUCKETS as u64 * BUCKET_US) as f64 / 1000.0
    }

    /// `index:count,...` of the non-empty buckets.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (index, count) in self.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let _ = write!(out, "{index}:{count},");
        }
        out
    }

    /// Parses [`Histogram::encode`]'s form; bad pairs are skipped.
    pub fn decode(text: &str) -> Self {
        let mut histogram = Self::default();
        for pair in text.split(',').filter(|p| !p.is_empty()) {
            if let Some((index, count)) = pair.split_once(':')
                && let (Ok(index), Ok(count)) = (index.parse::<usize>(), count.parse::<u64>())
                && index < BUCKETS
            {
                histogram.counts[index] += count;
            }
        }
        histogram
    }
}
