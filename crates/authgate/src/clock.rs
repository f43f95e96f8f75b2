//! Time as the core sees it.
//!
//! Every rule that depends on time (lockout windows, token expiry, idle
//! sessions) reads it through [`Clock`], so tests drive it with [`FakeClock`]
//! instead of sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time, in Unix seconds.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Seconds since the Unix epoch.
    fn now(&self) -> f64;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> f64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    }
}

/// A clock that only moves when told to.
///
/// ```
/// use authgate::clock::{Clock, FakeClock};
/// let clock = FakeClock::new(1_000.0);
/// clock.advance(30.0);
/// assert_eq!(clock.now(), 1_030.0);
/// ```
#[derive(Debug)]
pub struct FakeClock {
    bits: AtomicU64,
}

impl FakeClock {
    /// A clock stopped at `start` Unix seconds.
    pub fn new(start: f64) -> Self {
        FakeClock {
            bits: AtomicU64::new(start.to_bits()),
        }
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: f64) {
        let now = self.now();
        self.bits.store((now + seconds).to_bits(), Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::SeqCst))
    }
}
