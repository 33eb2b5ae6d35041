//! Deadline-ordered timers: the one place where the station waits for a time rather than
//! for a request or a device.
//!
//! A [`Schedule`] holds named timers (a key and a deadline each) in deadline order;
//! [`Schedule::next`] sleeps until the earliest deadline and answers its key. A timer set
//! earlier while someone waits wakes the waiter (a [`Notify`]), so nothing is polled.
//! Setting a key again moves its timer and [`cancel`](Schedule::cancel) drops it; a waiter
//! stops waiting when its future is dropped (e.g. the other arm of a `select!` won).
//!
//! Today each printer's worker (`devices/printer.rs`) schedules its next retry (the
//! earliest waiting label's next attempt, which the store keeps) and the probe of an idle
//! printer. Reminders (loans due back, handovers past their deadline), urging and daily
//! digests will be timers here too.
//!
//! **Invariant:** time is tokio's clock ([`tokio::time::Instant`]), never the wall clock
//! and never a sleep of its own: tests pause it (`tokio::time::pause`) and advance it.
//! Callers who keep times as wall-clock milliseconds (the store's clock) turn them into
//! an instant as "this long from now".

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::time::Instant;

/// Timers by key, fired in deadline order (keys break ties).
#[derive(Debug)]
pub struct Schedule<K> {
    timers: Mutex<Timers<K>>,
    /// Told whenever the timers change, so that a waiter looks again.
    changed: Notify,
}

#[derive(Debug)]
struct Timers<K> {
    by_deadline: BTreeSet<(Instant, K)>,
    by_key: BTreeMap<K, Instant>,
}

impl<K: Ord + Clone> Default for Schedule<K> {
    fn default() -> Self {
        Schedule::new()
    }
}

impl<K: Ord + Clone> Schedule<K> {
    /// An empty schedule.
    pub fn new() -> Schedule<K> {
        Schedule {
            timers: Mutex::new(Timers {
                by_deadline: BTreeSet::new(),
                by_key: BTreeMap::new(),
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Timers<K>> {
        // Every change below leaves both maps consistent before anything can panic, so a
        // poisoned lock still guards sound timers.
        self.timers
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Sets timer `key` to fire at `at` (at once if `at` has passed), replacing the
    /// deadline it had.
    pub fn set(&self, key: K, at: Instant) {
        {
            let mut timers = self.lock();
            if let Some(old) = timers.by_key.insert(key.clone(), at) {
                timers.by_deadline.remove(&(old, key.clone()));
            }
            timers.by_deadline.insert((at, key));
        }
        self.changed.notify_waiters();
    }

    /// Cancels timer `key`; answers whether it was set.
    pub fn cancel(&self, key: &K) -> bool {
        let removed = {
            let mut timers = self.lock();
            match timers.by_key.remove(key) {
                Some(at) => timers.by_deadline.remove(&(at, key.clone())),
                None => false,
            }
        };
        if removed {
            self.changed.notify_waiters();
        }
        removed
    }

    /// When timer `key` fires, if it is set.
    #[cfg(test)]
    pub fn deadline(&self, key: &K) -> Option<Instant> {
        self.lock().by_key.get(key).copied()
    }

    /// Waits until the earliest timer is due, removes it and answers its key. A timer set,
    /// moved or cancelled while it waits is taken into account. Dropping the future (e.g.
    /// in `select!`) removes nothing.
    pub async fn next(&self) -> K {
        loop {
            // Registered before the timers are read, so a change made after the read
            // wakes this wait.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let earliest = {
                let mut timers = self.lock();
                match timers.by_deadline.first() {
                    Some((at, _)) if *at <= Instant::now() => {
                        if let Some((_, key)) = timers.by_deadline.pop_first() {
                            timers.by_key.remove(&key);
                            return key;
                        }
                        None
                    }
                    Some((at, _)) => Some(*at),
                    None => None,
                }
            };
            match earliest {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = &mut changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! On tokio's paused clock: time moves only when every task waits (or the test
    //! advances it), so these assert exact instants without sleeping.

    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// What a waiting task answered; a wait that never ends fails (after a virtual day)
    /// instead of hanging the test.
    async fn answer<T>(waiter: tokio::task::JoinHandle<T>) -> T {
        tokio::time::timeout(secs(24 * 3600), waiter)
            .await
            .expect("the waiter ends")
            .expect("the waiter does not panic")
    }

    #[tokio::test(start_paused = true)]
    async fn timers_fire_in_deadline_order_at_their_deadlines() {
        let schedule = Schedule::new();
        let start = Instant::now();
        schedule.set("c", start + secs(30));
        schedule.set("a", start + secs(1));
        schedule.set("b", start + secs(5));
        let mut fired = Vec::new();
        while fired.len() < 3 {
            let key = schedule.next().await;
            fired.push((key, Instant::now() - start));
        }
        assert_eq!(fired, vec![("a", secs(1)), ("b", secs(5)), ("c", secs(30))]);
        assert_eq!(schedule.deadline(&"a"), None, "a fired timer is gone");
    }

    #[tokio::test(start_paused = true)]
    async fn a_passed_deadline_fires_at_once_and_setting_a_key_again_moves_its_timer() {
        let schedule = Schedule::new();
        let start = Instant::now();
        schedule.set("retry", start + secs(60));
        schedule.set("retry", start + secs(2));
        assert_eq!(schedule.deadline(&"retry"), Some(start + secs(2)));
        assert_eq!(schedule.next().await, "retry");
        assert_eq!(
            Instant::now() - start,
            secs(2),
            "the moved deadline, not the old"
        );

        schedule.set("late", start);
        assert_eq!(schedule.next().await, "late");
        assert_eq!(
            Instant::now() - start,
            secs(2),
            "a passed deadline waits for nothing"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_earlier_timer_set_while_waiting_wakes_the_waiter() {
        let schedule = Arc::new(Schedule::new());
        let start = Instant::now();
        schedule.set("probe", start + secs(30));
        let waiter = {
            let schedule = schedule.clone();
            tokio::spawn(async move {
                let key = schedule.next().await;
                (key, Instant::now() - start)
            })
        };
        // Let the waiter sleep towards 30 s, then set an earlier timer from outside.
        tokio::time::sleep(secs(1)).await;
        schedule.set("retry", start + secs(4));
        let (key, at) = answer(waiter).await;
        assert_eq!((key, at), ("retry", secs(4)));
        assert_eq!(schedule.next().await, "probe");
        assert_eq!(Instant::now() - start, secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_timer_never_fires() {
        let schedule = Arc::new(Schedule::new());
        let start = Instant::now();
        schedule.set("retry", start + secs(2));
        schedule.set("probe", start + secs(30));
        let waiter = {
            let schedule = schedule.clone();
            tokio::spawn(async move { (schedule.next().await, Instant::now() - start) })
        };
        tokio::time::sleep(secs(1)).await;
        assert!(schedule.cancel(&"retry"), "it was set");
        assert!(!schedule.cancel(&"retry"), "once");
        assert_eq!(answer(waiter).await, ("probe", secs(30)));
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_schedule_waits_until_a_timer_is_set() {
        let schedule = Arc::new(Schedule::new());
        let start = Instant::now();
        let waiter = {
            let schedule = schedule.clone();
            tokio::spawn(async move { (schedule.next().await, Instant::now() - start) })
        };
        tokio::time::sleep(secs(3600)).await;
        assert!(!waiter.is_finished(), "nothing to fire");
        schedule.set("reminder", start + secs(3605));
        assert_eq!(answer(waiter).await, ("reminder", secs(3605)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_given_up_in_select_loses_no_timer() {
        let schedule = Schedule::new();
        let start = Instant::now();
        schedule.set("retry", start + secs(5));
        tokio::select! {
            _ = schedule.next() => panic!("not due yet"),
            () = tokio::time::sleep(secs(1)) => {}
        }
        assert_eq!(schedule.deadline(&"retry"), Some(start + secs(5)));
        assert_eq!(schedule.next().await, "retry");
        assert_eq!(Instant::now() - start, secs(5));
    }
}
