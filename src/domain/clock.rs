//! Where hewn reads the time: the system clock in production, a settable one in tests,
//! so time rules (scheduled posts, comment closing, session expiry, throttle windows,
//! pass expiry) can be tested by setting the time instead of waiting for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A source of the current time as unix seconds (UTC). Cloning shares the clock.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// `None`: the system clock. `Some`: a set time, moved only by [`Clock::set`] and
    /// [`Clock::advance`].
    fixed: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `at` until it is set or advanced.
    pub fn fixed(at: i64) -> Self {
        Self { fixed: Some(Arc::new(AtomicI64::new(at))) }
    }

    /// The current time as unix seconds (UTC).
    pub fn now(&self) -> i64 {
        match &self.fixed {
            Some(at) => at.load(Ordering::Relaxed),
            None => jiff::Timestamp::now().as_second(),
        }
    }

    /// Sets a fixed clock to `at`; the system clock cannot be set and ignores this.
    pub fn set(&self, at: i64) {
        if let Some(fixed) = &self.fixed {
            fixed.store(at, Ordering::Relaxed);
        }
    }

    /// Moves a fixed clock on by `seconds`; the system clock ignores this.
    pub fn advance(&self, seconds: i64) {
        if let Some(fixed) = &self.fixed {
            fixed.fetch_add(seconds, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told_and_clones_share_it() {
        let clock = Clock::fixed(1_000);
        let shared = clock.clone();
        assert_eq!(shared.now(), 1_000);
        clock.advance(60);
        assert_eq!(shared.now(), 1_060);
        shared.set(5);
        assert_eq!(clock.now(), 5);
        let system = Clock::system();
        system.set(5);
        assert!(system.now() > 1_600_000_000);
    }
}
