//! The station's clock and time zone: the one place where an instant becomes a business
//! date.
//!
//! Events are stamped in milliseconds since the epoch (UTC, [`Clock`]); every date people
//! see or the rules count with (a loan's due date, a handover's deadline, "overdue", the
//! year a box is numbered with, a report's date) is the local date in the station's
//! [`TimeZone`] at that instant. In Beijing, 07:30 on 1 January is 23:30 on 31 December in
//! UTC: the UTC date would number the box with last year.
//!
//! **Invariant:** no business date is computed from UTC; callers ask the store
//! (`Store::today`) or a [`TimeZone`].
//!
//! The IANA time zone database is built into the binary (jiff's bundled copy), so a named
//! zone such as `Asia/Shanghai` works on a host without tzdata.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::model::Millis;

/// A source of the current time in milliseconds since the epoch (injectable for tests).
pub type Clock = Arc<dyn Fn() -> Millis + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| chrono::Utc::now().timestamp_millis())
}

/// The time zone the station's business dates are in.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeZone {
    zone: jiff::tz::TimeZone,
    name: String,
}

/// A time zone name the database does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTimeZone(pub String);

impl TimeZone {
    /// The zone named `name` in the IANA database (`Asia/Shanghai`, `UTC`); names are
    /// matched without regard to case.
    pub fn named(name: &str) -> Result<TimeZone, UnknownTimeZone> {
        let name = name.trim();
        if name.is_empty() {
            return Err(UnknownTimeZone(name.to_owned()));
        }
        let zone = jiff::tz::TimeZone::get(name).map_err(|_| UnknownTimeZone(name.to_owned()))?;
        let name = zone.iana_name().unwrap_or(name).to_owned();
        Ok(TimeZone { zone, name })
    }

    /// UTC.
    pub fn utc() -> TimeZone {
        TimeZone {
            zone: jiff::tz::TimeZone::UTC,
            name: "UTC".to_owned(),
        }
    }

    /// The host's zone: `TZ` when it is set (an IANA name, a TZif path or a POSIX rule),
    /// else `/etc/localtime`. A host whose zone cannot be determined runs on UTC, with a
    /// warning in the log.
    pub fn host() -> TimeZone {
        match jiff::tz::TimeZone::try_system() {
            Ok(zone) => {
                let name = zone
                    .iana_name()
                    .map(str::to_owned)
                    .or_else(|| std::env::var("TZ").ok().filter(|tz| !tz.is_empty()))
                    .unwrap_or_else(|| "localtime".to_owned());
                TimeZone { zone, name }
            }
            Err(error) => {
                tracing::warn!(%error, "the host's time zone is unknown: business dates are in UTC (set `timezone` in station.toml)");
                TimeZone::utc()
            }
        }
    }

    /// Its name, e.g. `Asia/Shanghai`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The local date and time at `at` (milliseconds since the epoch); an instant outside
    /// the supported range is taken as the epoch.
    fn local(&self, at: Millis) -> jiff::civil::DateTime {
        let instant = jiff::Timestamp::from_millisecond(at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        self.zone.to_datetime(instant)
    }

    /// The local date at `at` (milliseconds since the epoch).
    pub fn date_at(&self, at: Millis) -> NaiveDate {
        let date = self.local(at).date();
        NaiveDate::from_ymd_opt(
            i32::from(date.year()),
            u32::from(date.month().unsigned_abs()),
            u32::from(date.day().unsigned_abs()),
        )
        .unwrap_or_default()
    }

    /// The instant the day after `day` begins here (local midnight ending `day`): the due
    /// moment of a limit that ends with that day. A day outside the supported range, or
    /// whose end does not exist, is taken as ending 24 hours after its UTC start.
    pub fn end_of_day(&self, day: NaiveDate) -> Millis {
        use chrono::Datelike;
        let next = day.succ_opt().unwrap_or(day);
        let civil = i16::try_from(next.year())
            .ok()
            .and_then(|year| {
                jiff::civil::Date::new(year, next.month() as i8, next.day() as i8).ok()
            })
            .and_then(|date| date.to_zoned_datetime(self.zone.clone()).ok());
        match civil {
            Some(zoned) => zoned.timestamp().as_millisecond(),
            None => next
                .and_hms_opt(0, 0, 0)
                .map(|start| start.and_utc().timestamp_millis())
                .unwrap_or_default(),
        }
    }

    /// The local date and time at `at` as `YYYY-MM-DD HH:MM` (reports, refusals).
    pub fn minute_at(&self, at: Millis) -> String {
        let local = self.local(at);
        format!(
            "{} {:02}:{:02}",
            self.date_at(at),
            local.hour(),
            local.minute()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-31 15:59 UTC, one minute before midnight in Beijing.
    const LAST_MINUTE_OF_2026_IN_BEIJING: Millis = 1_798_732_740_000;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn the_date_is_the_local_one_at_23_59_and_00_01() {
        let shanghai = TimeZone::named("Asia/Shanghai").expect("a known zone");
        assert_eq!(shanghai.name(), "Asia/Shanghai");
        let before = LAST_MINUTE_OF_2026_IN_BEIJING;
        let after = before + 2 * 60_000;
        assert_eq!(shanghai.date_at(before), day(2026, 12, 31));
        assert_eq!(shanghai.minute_at(before), "2026-12-31 23:59");
        assert_eq!(shanghai.date_at(after), day(2027, 1, 1));
        assert_eq!(shanghai.minute_at(after), "2027-01-01 00:01");
        // The same instants in UTC are both still on 31 December.
        assert_eq!(TimeZone::utc().date_at(after), day(2026, 12, 31));
    }

    #[test]
    fn names_are_looked_up_in_the_built_in_database() {
        assert_eq!(
            TimeZone::named("asia/shanghai").map(|zone| zone.name().to_owned()),
            Ok("Asia/Shanghai".to_owned())
        );
        assert!(TimeZone::named("America/New_York").is_ok());
        assert_eq!(
            TimeZone::named("Mars/Olympus_Mons"),
            Err(UnknownTimeZone("Mars/Olympus_Mons".to_owned()))
        );
        assert!(TimeZone::named("").is_err());
    }
}
