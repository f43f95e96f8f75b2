//! [`PasskeyPresence`]: the answer of [`Store::any_passkeys`](super::Store::any_passkeys) kept for a
//! while, so that a login form shown to anonymous visitors on every rerun
//! does not ask the store each time whether to offer passkey sign-in.

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::Result;

/// How long an answer of [`Store::any_passkeys`](super::Store::any_passkeys) is used before the store is
/// asked again, in seconds.
///
/// What being stale costs:
/// - a `true` kept after another process removed the last passkey shows
///   "Sign in with a passkey" with no passkey to use: the ceremony fails
///   politely, as with any unknown passkey;
/// - a `false` kept after another process enrolled the first passkey hides
///   the button for at most this long: that user signs in with their
///   password meanwhile (their passkey still asked for as a second factor).
///
/// Changes made through the store in this process forget the answer at
/// once ([`PasskeyPresence::forget`]), so an enrolment here shows the button
/// on the next rerun.
pub const PASSKEY_PRESENCE_TTL: f64 = 30.0;

/// The last answer of [`Store::any_passkeys`](super::Store::any_passkeys) and when it was read, shared
/// by every `Authenticator` on the store in this process (a Streamlit app
/// builds one per rerun; the store is opened once per process).
#[derive(Debug, Default)]
pub struct PasskeyPresence {
    state: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// Whether any passkey existed, and when that was read.
    answer: Option<(bool, f64)>,
    /// Counts [`PasskeyPresence::forget`]: an answer read before a change
    /// is not kept after it.
    changes: u64,
}

impl PasskeyPresence {
    /// The answer read within the last [`PASSKEY_PRESENCE_TTL`] seconds
    /// before `now`, or else `read`'s, kept from `now` on.
    ///
    /// # Errors
    ///
    /// `read`'s; nothing is kept then.
    pub fn answer(&self, now: f64, read: impl FnOnce() -> Result<bool>) -> Result<bool> {
        let changes = {
            let seen = self.lock();
            match seen.answer {
                Some((any, at)) if at <= now && now - at < PASSKEY_PRESENCE_TTL => return Ok(any),
                _ => seen.changes,
            }
        };
        // Asked outside the lock: a slow database holds up no other caller.
        let any = read()?;
        let mut seen = self.lock();
        if seen.changes == changes {
            seen.answer = Some((any, now));
        }
        Ok(any)
    }

    /// Forgets the answer: a passkey was added or removed (or a user, or
    /// their factors) through the store.
    pub fn forget(&self) {
        let mut seen = self.lock();
        seen.answer = None;
        seen.changes = seen.changes.wrapping_add(1);
    }

    fn lock(&self) -> MutexGuard<'_, Seen> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::clock::{Clock, FakeClock};

    /// `presence.answer` at the clock's time, with `store` as the answer
    /// read; counts the reads.
    fn ask(presence: &PasskeyPresence, clock: &FakeClock, store: bool, reads: &Cell<u32>) -> bool {
        presence
            .answer(clock.now(), || {
                reads.set(reads.get() + 1);
                Ok(store)
            })
            .unwrap()
    }

    #[test]
    fn an_answer_is_kept_for_the_ttl_then_read_again() {
        let clock = FakeClock::new(1_000.0);
        let presence = PasskeyPresence::default();
        let reads = Cell::new(0);
        assert!(!ask(&presence, &clock, false, &reads));
        assert_eq!(reads.get(), 1);
        // Another process enrols a passkey: not seen until the answer ages.
        clock.advance(PASSKEY_PRESENCE_TTL - 1.0);
        assert!(!ask(&presence, &clock, true, &reads));
        assert_eq!(reads.get(), 1);
        clock.advance(1.0);
        assert!(ask(&presence, &clock, true, &reads));
        assert_eq!(reads.get(), 2);
        for _ in 0..100 {
            assert!(ask(&presence, &clock, true, &reads));
        }
        assert_eq!(reads.get(), 2, "one read per TTL, not per render");
    }

    #[test]
    fn a_change_here_is_seen_at_once() {
        let clock = FakeClock::new(1_000.0);
        let presence = PasskeyPresence::default();
        let reads = Cell::new(0);
        assert!(!ask(&presence, &clock, false, &reads));
        presence.forget();
        assert!(ask(&presence, &clock, true, &reads));
        presence.forget();
        assert!(!ask(&presence, &clock, false, &reads));
        assert_eq!(reads.get(), 3);
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_kept() {
        let clock = FakeClock::new(1_000.0);
        let presence = PasskeyPresence::default();
        let stale = presence
            .answer(clock.now(), || {
                // A passkey is enrolled while this read is under way.
                presence.forget();
                Ok(false)
            })
            .unwrap();
        assert!(!stale);
        let reads = Cell::new(0);
        assert!(ask(&presence, &clock, true, &reads));
        assert_eq!(reads.get(), 1);
    }

    #[test]
    fn a_clock_that_went_back_reads_again_and_errors_keep_nothing() {
        let presence = PasskeyPresence::default();
        let reads = Cell::new(0);
        let later = FakeClock::new(2_000.0);
        assert!(ask(&presence, &later, true, &reads));
        let earlier = FakeClock::new(1_000.0);
        assert!(!ask(&presence, &earlier, false, &reads));
        assert_eq!(reads.get(), 2);
        let failed = presence.answer(5_000.0, || Err(crate::Error::InvalidInput("down".into())));
        assert!(failed.is_err());
        assert!(ask(&presence, &FakeClock::new(5_000.0), true, &reads));
        assert_eq!(reads.get(), 3);
    }
}
