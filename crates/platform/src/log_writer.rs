//! Log lines leave the process in batches: a logging thread appends its
//! formatted line to a shared buffer (no system call, no thread woken), and
//! a thread of its own writes the buffer out every [`INTERVAL`]. A channel
//! with a writer thread woken for every line (what `tracing-appender`'s
//! non-blocking writer does) costs each line a wake-up, and on a busy
//! machine the woken writer takes the core from the request that logged,
//! before its response is written.
//!
//! Nothing is dropped: a caller that finds more than [`HIGH_WATER`] bytes
//! pending writes them and its own line out itself, in order. Lines are
//! late by at most an interval; the guard writes what is left when dropped.

use std::{
    io::{self, Write},
    sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError},
    thread::JoinHandle,
    time::Duration,
};

use tracing_subscriber::fmt::MakeWriter;

/// How often the pending lines are written out.
pub const INTERVAL: Duration = Duration::from_millis(20);
/// Pending bytes past which a caller writes them out itself.
pub const HIGH_WATER: usize = 1 << 20;

struct Shared {
    /// Where lines go; locked before `pending` wherever both are held.
    out: Mutex<Box<dyn Write + Send>>,
    pending: Mutex<Vec<u8>>,
    stop: Mutex<bool>,
    wake: Condvar,
    high_water: usize,
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Writes out what is pending (and `then`, after it).
    fn write_out(&self, then: &[u8]) -> io::Result<()> {
        let mut out = lock(&self.out);
        let batch = std::mem::take(&mut *lock(&self.pending));
        out.write_all(&batch)?;
        out.write_all(then)?;
        out.flush()
    }
}

/// The [`MakeWriter`] of the fmt layer.
#[derive(Clone)]
pub struct BatchWriter {
    shared: Arc<Shared>,
}

/// Writes what is pending and stops the writer thread when dropped.
#[must_use = "dropping the guard stops the log writer"]
pub struct BatchWriterGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl BatchWriter {
    /// A writer to `out`, written every `interval`, with callers writing
    /// through past `high_water` pending bytes.
    ///
    /// Fails when the writer thread cannot be started.
    pub fn new(
        out: impl Write + Send + 'static,
        interval: Duration,
        high_water: usize,
    ) -> io::Result<(Self, BatchWriterGuard)> {
        let shared = Arc::new(Shared {
            out: Mutex::new(Box::new(out)),
            pending: Mutex::new(Vec::with_capacity(64 * 1024)),
            stop: Mutex::new(false),
            wake: Condvar::new(),
            high_water,
        });
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || {
                loop {
                    let stopping = {
                        let stop = lock(&worker.stop);
                        let (stop, _) = worker
                            .wake
                            .wait_timeout_while(stop, interval, |stop| !*stop)
                            .unwrap_or_else(PoisonError::into_inner);
                        *stop
                    };
                    if !lock(&worker.pending).is_empty() {
                        // Nowhere to report a failed log write.
                        let _ = worker.write_out(&[]);
                    }
                    if stopping {
                        break;
                    }
                }
            })?;
        Ok((
            Self {
                shared: shared.clone(),
            },
            BatchWriterGuard {
                shared,
                thread: Some(thread),
            },
        ))
    }

    /// Standard output, every [`INTERVAL`], writing through past [`HIGH_WATER`].
    ///
    /// Fails when the writer thread cannot be started.
    pub fn stdout() -> io::Result<(Self, BatchWriterGuard)> {
        Self::new(io::stdout(), INTERVAL, HIGH_WATER)
    }
}

/// One line's writer.
pub struct Line<'a> {
    shared: &'a Shared,
}

impl Write for Line<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        {
            let mut pending = lock(&self.shared.pending);
            if pending.len() + buf.len() <= self.shared.high_water {
                pending.extend_from_slice(buf);
                return Ok(buf.len());
            }
        }
        self.shared.write_out(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line {
            shared: &self.shared,
        }
    }
}

impl Drop for BatchWriterGuard {
    fn drop(&mut self) {
        *lock(&self.shared.stop) = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = self.shared.write_out(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink the test can read.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            lock(&self.0).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(lock(&self.0).clone()).expect("utf-8")
        }
    }

    fn line(writer: &BatchWriter, text: &str) {
        writer
            .make_writer()
            .write_all(text.as_bytes())
            .expect("write");
    }

    #[test]
    fn lines_wait_for_the_interval_and_come_out_in_order() {
        let sink = Sink::default();
        let (writer, guard) =
            BatchWriter::new(sink.clone(), Duration::from_secs(3600), 1 << 20).expect("writer");
        line(&writer, "one\n");
        line(&writer, "two\n");
        assert_eq!(sink.text(), "", "nothing is written per line");
        drop(guard);
        assert_eq!(
            sink.text(),
            "one\ntwo\n",
            "the guard writes what is pending"
        );
    }

    #[test]
    fn the_writer_thread_writes_every_interval() {
        let sink = Sink::default();
        let (writer, _guard) =
            BatchWriter::new(sink.clone(), Duration::from_millis(10), 1 << 20).expect("writer");
        line(&writer, "soon\n");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while sink.text().is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(sink.text(), "soon\n");
    }

    #[test]
    fn past_the_high_water_mark_the_caller_writes_through_in_order() {
        let sink = Sink::default();
        let (writer, guard) =
            BatchWriter::new(sink.clone(), Duration::from_secs(3600), 10).expect("writer");
        line(&writer, "12345\n");
        assert_eq!(sink.text(), "");
        line(&writer, "67890\n");
        assert_eq!(
            sink.text(),
            "12345\n67890\n",
            "written by the caller, in order"
        );
        line(&writer, "x\n");
        drop(guard);
        assert_eq!(sink.text(), "12345\n67890\nx\n");
    }

    #[test]
    fn lines_of_many_threads_arrive_whole() {
        let sink = Sink::default();
        let (writer, guard) =
            BatchWriter::new(sink.clone(), Duration::from_millis(1), 256).expect("writer");
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for n in 0..500 {
                        line(&writer, &format!("thread {t} line {n}\n"));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("thread");
        }
        drop(guard);
        let text = sink.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2000);
        for t in 0..4 {
            let mine: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            let expected: Vec<String> = (0..500).map(|n| format!("thread {t} line {n}")).collect();
            assert_eq!(mine, expected, "thread {t}'s lines whole and in order");
        }
    }
}
