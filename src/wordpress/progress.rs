//! A progress bar on standard error for long imports, drawn only on a terminal (so
//! logs and redirected output stay clean).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::stage::Counters;

/// Files smaller than this import too fast for a bar to help.
const MIN_BYTES: u64 = 4 * 1024 * 1024;
const TICK: Duration = Duration::from_millis(200);
const WIDTH: usize = 28;

/// A running progress bar; [`Progress::finish`] erases it.
pub struct Progress {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts drawing `read` of `total` bytes and the comments counted, when standard
    /// error is a terminal, `enabled` and the file is large.
    pub fn start(enabled: bool, total: u64, read: Arc<AtomicU64>, counters: Arc<Counters>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        if !enabled || total < MIN_BYTES || !std::io::stderr().is_terminal() {
            return Self { stop, handle: None };
        }
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("progress".to_owned())
            .spawn(move || {
                let started = Instant::now();
                while !flag.load(Ordering::Relaxed) {
                    let line = render(
                        read.load(Ordering::Relaxed),
                        total,
                        counters.comments.load(Ordering::Relaxed),
                        started.elapsed(),
                    );
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r{line}");
                    let _ = err.flush();
                    drop(err);
                    std::thread::sleep(TICK);
                }
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r{:width$}\r", "", width = WIDTH + 60);
                let _ = err.flush();
            })
            .ok();
        Self { stop, handle }
    }

    /// Stops and erases the bar.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One line of the bar: `reading [#####.....]  45%  225.0/500.0 MB  120,000 comments  0:12`.
pub fn render(read: u64, total: u64, comments: u64, elapsed: Duration) -> String {
    let fraction = if total == 0 { 1.0 } else { (read as f64 / total as f64).min(1.0) };
    let filled = (fraction * WIDTH as f64).round() as usize;
    let bar: String = "#".repeat(filled) + &".".repeat(WIDTH - filled.min(WIDTH));
    let secs = elapsed.as_secs();
    format!(
        "reading [{bar}] {:3.0}%  {:.1}/{:.1} MB  {} comments  {}:{:02}",
        fraction * 100.0,
        read as f64 / 1e6,
        total as f64 / 1e6,
        thousands(comments),
        secs / 60,
        secs % 60
    )
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_shows_bytes_comments_and_time() {
        let line = render(250_000_000, 500_000_000, 123_456, Duration::from_secs(75));
        assert!(
            line.starts_with("reading [##############..............]  50%  250.0/500.0 MB  123,456 comments  1:15"),
            "{line}"
        );
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
    }
}
