//! Repeated wrong passwords and PINs are slowed: failures are counted per key (the name or
//! badge tried, and the client's address); after [`LIMIT`] failures of one key within
//! [`WINDOW`], that key is locked for [`FIRST_LOCK`], and each further failure once a lock
//! has passed locks it twice as long, up to [`MAX_LOCK`], until a whole window passes
//! after a lock without a failure. While a key is locked every attempt with it is refused (429 with
//! `Retry-After`) before any password is checked. A success clears the name's or badge's
//! count. At most [`MAX_KEYS`] keys are kept; when full, the keys with the oldest last
//! failure are forgotten first.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Failures of one key that lock it.
pub(crate) const LIMIT: usize = 5;

/// How far back failures count.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);

/// The first lock.
pub(crate) const FIRST_LOCK: Duration = Duration::from_secs(30);

/// The longest lock.
pub(crate) const MAX_LOCK: Duration = Duration::from_secs(15 * 60);

/// The most keys counted at once.
pub(crate) const MAX_KEYS: usize = 10_000;

/// The failures of every key.
#[derive(Default)]
pub(crate) struct Throttle {
    keys: Mutex<HashMap<String, Failures>>,
}

#[derive(Default)]
struct Failures {
    /// When each recent failure happened, oldest first (at most [`LIMIT`]).
    at: VecDeque<Instant>,
    /// Locked until then.
    locked_until: Option<Instant>,
    /// The last lock's length (doubles with each lock in a row).
    last_lock: Option<Duration>,
}

impl Throttle {
    /// `Err(wait)` when one of `keys` is locked now (the longest wait of them).
    pub(crate) fn check(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let map = self.lock();
        let wait = keys
            .iter()
            .filter_map(|key| map.get(key)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        match wait {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts a failure of each of `keys`; answers the keys that it locked, with the lock.
    pub(crate) fn fail(&self, keys: &[String], now: Instant) -> Vec<(String, Duration)> {
        let mut map = self.lock();
        if map.len() + keys.len() > MAX_KEYS {
            // Forget the quietest keys (a locked key's last failure is recent).
            let mut by_age: Vec<(Instant, String)> = map
                .iter()
                .map(|(key, failures)| (failures.at.back().copied().unwrap_or(now), key.clone()))
                .collect();
            by_age.sort();
            let excess = map.len() + keys.len() - MAX_KEYS;
            for (_, key) in by_age.into_iter().take(excess.max(MAX_KEYS / 10)) {
                map.remove(&key);
            }
        }
        let mut locked = Vec::new();
        for key in keys {
            let failures = map.entry(key.clone()).or_default();
            // A quiet spell (a whole window after the last lock ended): the next lock needs
            // five failures again and starts short.
            if failures
                .locked_until
                .is_some_and(|until| now >= until + WINDOW)
            {
                failures.last_lock = None;
                failures.locked_until = None;
            }
            while failures
                .at
                .front()
                .is_some_and(|at| now.saturating_duration_since(*at) >= WINDOW)
            {
                failures.at.pop_front();
            }
            failures.at.push_back(now);
            if failures.at.len() > LIMIT {
                failures.at.pop_front();
            }
            if failures.last_lock.is_some() || failures.at.len() >= LIMIT {
                let lock = match failures.last_lock {
                    Some(last) => (last * 2).min(MAX_LOCK),
                    None => FIRST_LOCK,
                };
                failures.last_lock = Some(lock);
                failures.locked_until = Some(now + lock);
                locked.push((key.clone(), lock));
            }
        }
        locked
    }

    /// A success with `key`: its count starts again.
    pub(crate) fn succeed(&self, key: &str) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.keys
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str) -> Vec<String> {
        vec![format!("name:{name}"), "addr:127.0.0.1".to_owned()]
    }

    #[tokio::test(start_paused = true)]
    async fn five_failures_lock_and_each_lock_in_a_row_doubles_up_to_fifteen_minutes() {
        let throttle = Throttle::default();
        let start = Instant::now();
        let key = keys("王芳");
        for n in 0..4 {
            assert!(throttle.check(&key, start).is_ok(), "attempt {}", n + 1);
            assert!(throttle.fail(&key, start).is_empty());
        }
        assert!(
            throttle.check(&key, start).is_ok(),
            "the fifth may still try"
        );
        let locked = throttle.fail(&key, start);
        assert_eq!(locked.len(), 2, "the name and the address: {locked:?}");
        assert!(locked.iter().all(|(_, lock)| *lock == FIRST_LOCK));
        assert_eq!(
            throttle.check(&key, start),
            Err(FIRST_LOCK),
            "the sixth is refused"
        );
        assert_eq!(
            throttle.check(&key, start + Duration::from_secs(10)),
            Err(FIRST_LOCK - Duration::from_secs(10))
        );
        // After the lock, one more failure locks again, twice as long, and so on.
        let mut at = start + FIRST_LOCK;
        let mut expected = FIRST_LOCK;
        // 60, 120, 240, 480 s, then 15 minutes (not 960 s), and 15 minutes on.
        for _ in 0..7 {
            assert!(throttle.check(&key, at).is_ok());
            let locked = throttle.fail(&key, at);
            expected = (expected * 2).min(MAX_LOCK);
            assert_eq!(locked.first().map(|(_, lock)| *lock), Some(expected));
            assert_eq!(throttle.check(&key, at), Err(expected));
            at += expected;
        }
        assert_eq!(expected, MAX_LOCK, "capped");
    }

    #[tokio::test(start_paused = true)]
    async fn failures_older_than_the_window_do_not_count_and_a_success_clears_the_name() {
        let throttle = Throttle::default();
        let start = Instant::now();
        for _ in 0..4 {
            throttle.fail(&keys("a"), start);
        }
        // Fifteen minutes later the four are forgotten.
        let later = start + WINDOW;
        assert!(throttle.fail(&keys("a"), later).is_empty());
        assert!(throttle.check(&keys("a"), later).is_ok());
        // A success clears the name, not the address.
        let name_only = vec!["name:b".to_owned()];
        for _ in 0..4 {
            throttle.fail(&name_only, later);
        }
        throttle.succeed("name:b");
        assert!(throttle.fail(&name_only, later).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_window_without_failures_after_a_lock_starts_over() {
        let throttle = Throttle::default();
        let start = Instant::now();
        let key = keys("c");
        for _ in 0..5 {
            throttle.fail(&key, start);
        }
        let quiet = start + FIRST_LOCK + WINDOW;
        assert!(
            throttle.fail(&key, quiet).is_empty(),
            "one failure does not lock"
        );
        assert!(throttle.check(&key, quiet).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn the_address_locks_across_names() {
        let throttle = Throttle::default();
        let now = Instant::now();
        for n in 0..5 {
            throttle.fail(&keys(&format!("guess{n}")), now);
        }
        assert!(throttle.check(&keys("someone-new"), now).is_err());
        assert!(throttle
            .check(
                &["name:someone-new".to_owned(), "addr:10.0.0.2".to_owned()],
                now
            )
            .is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn the_keys_are_bounded() {
        let throttle = Throttle::default();
        let now = Instant::now();
        for n in 0..(MAX_KEYS + 100) {
            throttle.fail(&[format!("name:{n}")], now);
            assert!(throttle.lock().len() <= MAX_KEYS);
        }
    }
}
