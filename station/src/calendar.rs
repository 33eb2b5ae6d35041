//! Working days: handover deadlines count working days (Monday to Friday, less the
//! configured holidays, plus configured make-up working days on weekends).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};

/// A working-day calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

impl WorkCalendar {
    /// A calendar with `holidays` off and `workdays` (weekend make-up days, 调休) on.
    pub fn new(
        holidays: impl IntoIterator<Item = NaiveDate>,
        workdays: impl IntoIterator<Item = NaiveDate>,
    ) -> WorkCalendar {
        WorkCalendar {
            holidays: holidays.into_iter().collect(),
            workdays: workdays.into_iter().collect(),
        }
    }

    /// Whether `day` is a working day.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.workdays.contains(&day) {
            return true;
        }
        if self.holidays.contains(&day) {
            return false;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The day `n` working days after `from` (the day itself does not count).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn weekends_do_not_count() {
        let calendar = WorkCalendar::default();
        // Friday 2026-11-27 + 3 working days = Wednesday 2026-12-02.
        assert_eq!(
            calendar.add_working_days(day(2026, 11, 27), 3),
            day(2026, 12, 2)
        );
        // Saturday + 1 = Monday.
        assert_eq!(
            calendar.add_working_days(day(2026, 11, 28), 1),
            day(2026, 11, 30)
        );
        assert_eq!(
            calendar.add_working_days(day(2026, 11, 27), 0),
            day(2026, 11, 27)
        );
    }

    #[test]
    fn holidays_are_skipped_and_make_up_days_count() {
        // National Day week 2026: Oct 1–7 off, Saturday Oct 10 worked.
        let holidays = (1..=7).map(|d| day(2026, 10, d));
        let calendar = WorkCalendar::new(holidays, [day(2026, 10, 10)]);
        assert_eq!(
            calendar.add_working_days(day(2026, 9, 30), 1),
            day(2026, 10, 8)
        );
        assert_eq!(
            calendar.add_working_days(day(2026, 10, 9), 1),
            day(2026, 10, 10)
        );
        assert!(!calendar.is_working_day(day(2026, 10, 5)));
    }
}
