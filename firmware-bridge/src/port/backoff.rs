//! The reconnect back-off schedule: how long to wait before trying a port
//! again, as a pure function of the previous wait.

use std::time::Duration;

/// How long to wait between attempts to open a port that is missing or keeps
/// failing.
///
/// The first wait is `initial`; each following one is the previous times
/// `factor`, up to `max`. A connection that stayed up at least `max` starts
/// the schedule over.
///
/// ```
/// use std::time::Duration;
/// use firmware_bridge::port::Backoff;
///
/// let backoff = Backoff {
///     initial: Duration::from_millis(100),
///     max: Duration::from_secs(1),
///     factor: 2.0,
/// };
/// let mut delay = None;
/// let mut schedule = Vec::new();
/// for _ in 0..6 {
///     let next = backoff.next_delay(delay);
///     schedule.push(next.as_millis());
///     delay = Some(next);
/// }
/// assert_eq!(schedule, [100, 200, 400, 800, 1000, 1000]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// The first wait.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
    /// How much each wait grows over the previous one. Values below 1, zero,
    /// negative or NaN cannot shrink a wait below `initial`; NaN and infinity
    /// jump to `max`.
    pub factor: f64,
}

impl Default for Backoff {
    /// 200 ms, doubling up to 5 s: a clerk who plugs a scanner back in sees
    /// it work within seconds, and a port that stays missing costs one failed
    /// `open` every 5 s.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(5),
            factor: 2.0,
        }
    }
}

impl Backoff {
    /// No wait is shorter than this, whatever the configuration says, so a
    /// zero back-off cannot spin a core on a missing device.
    pub const MIN_DELAY: Duration = Duration::from_millis(10);

    /// The wait after `previous` (or the first wait, for `None`).
    ///
    /// Always between [`Backoff::MIN_DELAY`] and `max` (or `MIN_DELAY`, when
    /// `max` is shorter), never shorter than `initial` within those bounds,
    /// and never panics, whatever the fields hold.
    pub fn next_delay(&self, previous: Option<Duration>) -> Duration {
        let ceiling = self.max.max(Self::MIN_DELAY);
        let first = self.initial.max(Self::MIN_DELAY).min(ceiling);
        let Some(previous) = previous else {
            return first;
        };
        // Integral nanoseconds are exact in an f64 up to 2^53 ns (104 days),
        // so whole-millisecond schedules stay whole milliseconds.
        let grown = previous.as_nanos() as f64 * self.factor;
        // NaN fails the comparison too, and so lands on the ceiling.
        let next = if grown < ceiling.as_nanos() as f64 {
            // In range: below the ceiling, and `as` saturates negatives to 0.
            Duration::from_nanos(grown as u64)
        } else {
            ceiling
        };
        next.max(first).min(ceiling)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    fn schedule(backoff: Backoff, len: usize) -> Vec<Duration> {
        let mut delay = None;
        (0..len)
            .map(|_| {
                let next = backoff.next_delay(delay);
                delay = Some(next);
                next
            })
            .collect()
    }

    #[test]
    fn schedules_grow_by_the_factor_up_to_the_maximum() {
        let table: [(Backoff, &[u64]); 6] = [
            (
                Backoff {
                    initial: ms(100),
                    max: ms(1000),
                    factor: 2.0,
                },
                &[100, 200, 400, 800, 1000, 1000, 1000],
            ),
            (
                Backoff {
                    initial: ms(100),
                    max: ms(1000),
                    factor: 1.5,
                },
                &[100, 150, 225, 337, 506, 759, 1000],
            ),
            // Constant: factor 1.
            (
                Backoff {
                    initial: ms(250),
                    max: ms(5000),
                    factor: 1.0,
                },
                &[250, 250, 250, 250, 250, 250, 250],
            ),
            // A shrinking factor stops at the first wait.
            (
                Backoff {
                    initial: ms(400),
                    max: ms(5000),
                    factor: 0.5,
                },
                &[400, 400, 400, 400, 400, 400, 400],
            ),
            // Zero everything: the floor keeps it from spinning.
            (
                Backoff {
                    initial: ms(0),
                    max: ms(0),
                    factor: 0.0,
                },
                &[10, 10, 10, 10, 10, 10, 10],
            ),
            // A first wait above the maximum is cut to the maximum.
            (
                Backoff {
                    initial: ms(9000),
                    max: ms(2000),
                    factor: 2.0,
                },
                &[2000, 2000, 2000, 2000, 2000, 2000, 2000],
            ),
        ];
        for (backoff, expected) in table {
            let got: Vec<u64> = schedule(backoff, expected.len())
                .iter()
                .map(|delay| delay.as_millis() as u64)
                .collect();
            assert_eq!(got, expected, "{backoff:?}");
        }
    }

    #[test]
    fn whole_millisecond_schedules_stay_exact() {
        let backoff = Backoff {
            initial: ms(100),
            max: ms(60_000),
            factor: 2.0,
        };
        let expected: Vec<Duration> = [100, 200, 400, 800, 1600, 3200, 6400, 12_800]
            .into_iter()
            .map(ms)
            .collect();
        assert_eq!(schedule(backoff, expected.len()), expected);
    }

    #[test]
    fn absurd_factors_land_on_the_maximum_without_panicking() {
        for factor in [f64::NAN, f64::INFINITY, 1e300, f64::MAX] {
            let backoff = Backoff {
                initial: ms(100),
                max: ms(3000),
                factor,
            };
            assert_eq!(backoff.next_delay(None), ms(100), "{factor}");
            assert_eq!(backoff.next_delay(Some(ms(100))), ms(3000), "{factor}");
        }
        for factor in [f64::NEG_INFINITY, -2.0, 0.0] {
            let backoff = Backoff {
                initial: ms(100),
                max: ms(3000),
                factor,
            };
            assert_eq!(backoff.next_delay(Some(ms(800))), ms(100), "{factor}");
        }
    }

    #[test]
    fn a_previous_wait_beyond_any_bound_is_handled() {
        let backoff = Backoff::default();
        assert_eq!(backoff.next_delay(Some(Duration::MAX)), backoff.max);
        assert_eq!(backoff.next_delay(Some(Duration::ZERO)), backoff.initial);
        let huge = Backoff {
            initial: Duration::MAX,
            max: Duration::MAX,
            factor: 2.0,
        };
        assert_eq!(huge.next_delay(None), Duration::MAX);
        assert_eq!(huge.next_delay(Some(Duration::MAX)), Duration::MAX);
    }
}
