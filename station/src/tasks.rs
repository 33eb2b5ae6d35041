//! Archive tasks from the business systems (issue #14, "三个自动"): when a business step
//! finishes for a customer or project, the business system posts it and the station opens
//! the archive task flow for it: documents added and digitised by the responsible person
//! ([`TaskStep::Add`]), sent to the team's archive collector ([`TaskStep::Send`]), reviewed
//! ([`TaskStep::Review`]), handed over to the archive room where the archivist accepts
//! ([`TaskStep::Handover`]), formed into a volume/box and shelved ([`TaskStep::Shelve`]).
//!
//! Each step has a time limit ([`Limit`]: hours, or working days on the station's
//! [`WorkCalendar`] in its [`TimeZone`]), so a due moment; against the store's clock a step
//! is normal, warning (within its kind's warning threshold of the due moment, `[reminders]`
//! in station.toml) or overdue ([`TaskState`]). The records and indexes are in
//! `store/tasks.rs`.

use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::clock::TimeZone;
use crate::model::Millis;

/// Milliseconds in an hour.
pub const HOUR_MS: Millis = 3_600_000;

/// The steps of a task's flow, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TaskStep {
    /// The paper documents are added and digitised by the responsible person (待电子化).
    Add,
    /// The responsible person sends them to the team's archive collector (待发送).
    Send,
    /// The collector reviews them.
    Review,
    /// They are handed over to the archive room and the archivist accepts them (待移交).
    Handover,
    /// They are formed into a volume/box and shelved (待上架).
    Shelve,
}

impl TaskStep {
    /// Every step, in the order of the flow.
    pub const ALL: [TaskStep; 5] = [
        TaskStep::Add,
        TaskStep::Send,
        TaskStep::Review,
        TaskStep::Handover,
        TaskStep::Shelve,
    ];

    /// Its name in the API and in events (`add`, `send`, `review`, `handover`, `shelve`).
    pub fn name(self) -> &'static str {
        match self {
            TaskStep::Add => "add",
            TaskStep::Send => "send",
            TaskStep::Review => "review",
            TaskStep::Handover => "handover",
            TaskStep::Shelve => "shelve",
        }
    }

    /// What people call it, in Chinese and English.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            TaskStep::Add => ("添加电子化", "add and digitise"),
            TaskStep::Send => ("发送", "send for review"),
            TaskStep::Review => ("审核", "review"),
            TaskStep::Handover => ("移交", "hand over"),
            TaskStep::Shelve => ("组卷上架", "form a volume and shelve"),
        }
    }

    /// The step after this one (`None` after shelving: the task is done).
    pub fn next(self) -> Option<TaskStep> {
        match self {
            TaskStep::Add => Some(TaskStep::Send),
            TaskStep::Send => Some(TaskStep::Review),
            TaskStep::Review => Some(TaskStep::Handover),
            TaskStep::Handover => Some(TaskStep::Shelve),
            TaskStep::Shelve => None,
        }
    }

    /// Its position in the flow (0 to 4), as the due index stores it.
    pub fn index(self) -> u8 {
        match self {
            TaskStep::Add => 0,
            TaskStep::Send => 1,
            TaskStep::Review => 2,
            TaskStep::Handover => 3,
            TaskStep::Shelve => 4,
        }
    }

    /// The step at `index`.
    pub fn from_index(index: u8) -> Option<TaskStep> {
        TaskStep::ALL.get(usize::from(index)).copied()
    }

    /// The step named `name`.
    pub fn parse(name: &str) -> Option<TaskStep> {
        TaskStep::ALL
            .into_iter()
            .find(|step| step.name() == name.trim())
    }
}

/// A step's time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Limit {
    /// This many hours from the step's start.
    Hours(u32),
    /// By the end (local midnight) of the day this many working days after the day the step
    /// started, on the station's calendar.
    WorkingDays(u32),
}

/// The longest limit accepted: a year in hours, or in working days.
pub const MAX_LIMIT: u32 = 366 * 24;

impl Limit {
    /// The moment a step started at `start` is due.
    pub fn due(self, start: Millis, calendar: &WorkCalendar, zone: &TimeZone) -> Millis {
        match self {
            Limit::Hours(hours) => start.saturating_add(Millis::from(hours) * HOUR_MS),
            Limit::WorkingDays(days) => {
                let last = calendar.add_working_days(zone.date_at(start), days);
                zone.end_of_day(last)
            }
        }
    }

    /// Whether it is usable: more than nothing, at most [`MAX_LIMIT`].
    pub fn is_valid(self) -> bool {
        let amount = match self {
            Limit::Hours(n) | Limit::WorkingDays(n) => n,
        };
        (1..=MAX_LIMIT).contains(&amount)
    }

    /// As people read it (`48 h`, `3 working days`), in Chinese and English.
    pub fn describe(self) -> crate::message::Bilingual {
        use crate::message::Bilingual;
        match self {
            Limit::Hours(n) => Bilingual::new(format!("{n} 小时"), format!("{n} h")),
            Limit::WorkingDays(n) => {
                Bilingual::new(format!("{n} 个工作日"), format!("{n} working days"))
            }
        }
    }
}

/// The time limit of each step of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLimits {
    /// To add and digitise the documents.
    pub add: Limit,
    /// To send them to the collector.
    pub send: Limit,
    /// For the collector's review.
    pub review: Limit,
    /// To hand them over to the archive room.
    pub handover: Limit,
    /// To form a volume/box and shelve it.
    pub shelve: Limit,
}

impl TaskLimits {
    /// The defaults (issue #14): to add, 48 hours after the business step; to send, 3
    /// working days; to review, 2 working days; to hand over, one week (168 hours); to
    /// shelve, 2 working days. A loan project (`loan_project`) sends A→B in 3 working days,
    /// is reviewed in 1 and handed over B→archive in 2, as its handovers are.
    pub fn defaults(loan_project: bool) -> TaskLimits {
        if loan_project {
            TaskLimits {
                add: Limit::Hours(48),
                send: Limit::WorkingDays(3),
                review: Limit::WorkingDays(1),
                handover: Limit::WorkingDays(2),
                shelve: Limit::WorkingDays(2),
            }
        } else {
            TaskLimits {
                add: Limit::Hours(48),
                send: Limit::WorkingDays(3),
                review: Limit::WorkingDays(2),
                handover: Limit::Hours(7 * 24),
                shelve: Limit::WorkingDays(2),
            }
        }
    }

    /// The limit of `step`.
    pub fn of(&self, step: TaskStep) -> Limit {
        match step {
            TaskStep::Add => self.add,
            TaskStep::Send => self.send,
            TaskStep::Review => self.review,
            TaskStep::Handover => self.handover,
            TaskStep::Shelve => self.shelve,
        }
    }

    /// Sets the limit of `step`.
    pub fn set(&mut self, step: TaskStep, limit: Limit) {
        match step {
            TaskStep::Add => self.add = limit,
            TaskStep::Send => self.send = limit,
            TaskStep::Review => self.review = limit,
            TaskStep::Handover => self.handover = limit,
            TaskStep::Shelve => self.shelve = limit,
        }
    }
}

/// A step's state against the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaskState {
    /// Before its warning threshold (正常).
    Normal,
    /// Within its warning threshold of the due moment (预警).
    Warning,
    /// At or past the due moment (超期).
    Overdue,
}

impl TaskState {
    /// Its name in the API (`normal`, `warning`, `overdue`).
    pub fn name(self) -> &'static str {
        match self {
            TaskState::Normal => "normal",
            TaskState::Warning => "warning",
            TaskState::Overdue => "overdue",
        }
    }

    /// The state at `now` of a step due at `due`, warning `warning_ms` before: overdue from
    /// the due moment on, warning from `due - warning_ms` on.
    pub fn at(now: Millis, due: Millis, warning_ms: Millis) -> TaskState {
        if now >= due {
            TaskState::Overdue
        } else if now >= due.saturating_sub(warning_ms) {
            TaskState::Warning
        } else {
            TaskState::Normal
        }
    }
}

/// The default warning threshold of every kind of step, in hours before its due moment.
pub const DEFAULT_WARNING_HOURS: u32 = 24;

/// When each kind of step turns to warning: hours before its due moment (`[reminders]` in
/// station.toml), and the calendar limits in working days are counted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRules {
    /// The station's working days.
    pub calendar: WorkCalendar,
    /// Hours before the due moment each kind of step turns to warning, by
    /// [`TaskStep::index`]; the last is the business deadline's (业扩时限).
    pub warning_hours: [u32; 6],
}

impl Default for TaskRules {
    fn default() -> Self {
        TaskRules {
            calendar: WorkCalendar::default(),
            warning_hours: [DEFAULT_WARNING_HOURS; 6],
        }
    }
}

impl TaskRules {
    /// The warning threshold of `step` in milliseconds.
    pub fn warning_ms(&self, step: TaskStep) -> Millis {
        let hours = self
            .warning_hours
            .get(usize::from(step.index()))
            .copied()
            .unwrap_or(DEFAULT_WARNING_HOURS);
        Millis::from(hours) * HOUR_MS
    }

    /// The warning threshold of the business deadline (业扩时限) in milliseconds.
    pub fn business_warning_ms(&self) -> Millis {
        Millis::from(self.warning_hours[5]) * HOUR_MS
    }

    /// The longest warning threshold of any kind: the scheduler reads the due index up to
    /// now plus this, and no further.
    pub fn longest_warning_ms(&self) -> Millis {
        Millis::from(self.warning_hours.iter().copied().max().unwrap_or(0)) * HOUR_MS
    }

    /// The state at `now` of `step`, due at `due`.
    pub fn state(&self, step: TaskStep, due: Millis, now: Millis) -> TaskState {
        TaskState::at(now, due, self.warning_ms(step))
    }
}

/// The default interval of urging while a step is overdue, in hours (`[reminders]
/// repeat_hours`).
pub const DEFAULT_REPEAT_HOURS: u32 = 24;
/// The default number of repeats a step's owner is urged alone before the station's
/// supervisors are urged too (`[reminders] escalate_after`).
pub const DEFAULT_ESCALATE_AFTER: u32 = 3;

/// How overdue steps are urged (`[reminders]` in station.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrgeRules {
    /// Hours between two urgings of an overdue step (at least 1).
    pub repeat_hours: u32,
    /// Repeats the owner is urged alone; every later repeat is escalated to the
    /// station's supervisors as well.
    pub escalate_after: u32,
}

impl Default for UrgeRules {
    fn default() -> Self {
        UrgeRules {
            repeat_hours: DEFAULT_REPEAT_HOURS,
            escalate_after: DEFAULT_ESCALATE_AFTER,
        }
    }
}

/// One reminder step of a task's current step: each is notified at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Reminder {
    /// The step entered warning (预警).
    Warning,
    /// The step became overdue (超期).
    Overdue,
    /// The n-th urging (催办) of an overdue step (1, 2, …), every `repeat_hours` after
    /// its due moment.
    Repeat(u32),
}

impl Reminder {
    /// Its position among the reminder steps (warning 0, overdue 1, repeat n: n + 1), as
    /// the once-only key stores it.
    pub fn ordinal(self) -> u32 {
        match self {
            Reminder::Warning => 0,
            Reminder::Overdue => 1,
            Reminder::Repeat(n) => n.saturating_add(1),
        }
    }

    /// Its name in the API and in events (`warning`, `overdue`, `repeat`).
    pub fn name(self) -> &'static str {
        match self {
            Reminder::Warning => "warning",
            Reminder::Overdue => "overdue",
            Reminder::Repeat(_) => "repeat",
        }
    }

    /// The reminder step due at `now` for a step due at `due` (warning `warning_ms`
    /// before): the latest one reached, or `None` while the step is normal. After a pause
    /// (the station was stopped) only the latest is due: the missed repeats are not sent
    /// one after the other.
    pub fn due_at(
        now: Millis,
        due: Millis,
        warning_ms: Millis,
        urge: &UrgeRules,
    ) -> Option<Reminder> {
        match TaskState::at(now, due, warning_ms) {
            TaskState::Normal => None,
            TaskState::Warning => Some(Reminder::Warning),
            TaskState::Overdue => {
                let interval = Millis::from(urge.repeat_hours.max(1)) * HOUR_MS;
                let repeats = now.saturating_sub(due) / interval;
                match u32::try_from(repeats) {
                    Ok(0) => Some(Reminder::Overdue),
                    Ok(n) => Some(Reminder::Repeat(n)),
                    Err(_) => Some(Reminder::Repeat(u32::MAX)),
                }
            }
        }
    }

    /// Whether it is escalated to the supervisors: a repeat after the first
    /// `escalate_after`.
    pub fn escalated(self, urge: &UrgeRules) -> bool {
        matches!(self, Reminder::Repeat(n) if n > urge.escalate_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn reminder_steps_follow_warning_overdue_and_the_interval() {
        let urge = UrgeRules {
            repeat_hours: 24,
            escalate_after: 2,
        };
        let (due, warn) = (1000 * HOUR_MS, 24 * HOUR_MS);
        let at = |now| Reminder::due_at(now, due, warn, &urge);
        assert_eq!(at(due - warn - 1), None);
        assert_eq!(at(due - warn), Some(Reminder::Warning));
        assert_eq!(at(due), Some(Reminder::Overdue));
        assert_eq!(at(due + 24 * HOUR_MS - 1), Some(Reminder::Overdue));
        assert_eq!(at(due + 24 * HOUR_MS), Some(Reminder::Repeat(1)));
        assert_eq!(at(due + 72 * HOUR_MS), Some(Reminder::Repeat(3)));
        assert!(!Reminder::Repeat(2).escalated(&urge));
        assert!(Reminder::Repeat(3).escalated(&urge));
        assert!(!Reminder::Overdue.escalated(&urge));
    }

    #[test]
    fn states_change_exactly_at_the_threshold_and_the_due_moment() {
        let due = 100 * HOUR_MS;
        let warn = 2 * HOUR_MS;
        assert_eq!(TaskState::at(due - warn - 1, due, warn), TaskState::Normal);
        assert_eq!(TaskState::at(due - warn, due, warn), TaskState::Warning);
        assert_eq!(TaskState::at(due - 1, due, warn), TaskState::Warning);
        assert_eq!(TaskState::at(due, due, warn), TaskState::Overdue);
    }

    #[test]
    fn working_days_end_at_local_midnight_after_weekends_and_holidays() {
        let shanghai = TimeZone::named("Asia/Shanghai").expect("zone");
        // National Day 2026: Oct 1–7 off, Saturday Oct 10 worked.
        let calendar = WorkCalendar::new((1..=7).map(|d| day(2026, 10, d)), [day(2026, 10, 10)]);
        // Wednesday 2026-09-30 23:30 in Beijing (15:30 UTC): 1 working day → Oct 8, due at
        // the start of Oct 9 in Beijing (Oct 8 16:00 UTC).
        let start = 1_790_782_200_000;
        assert_eq!(shanghai.date_at(start), day(2026, 9, 30));
        let due = Limit::WorkingDays(1).due(start, &calendar, &shanghai);
        assert_eq!(shanghai.minute_at(due), "2026-10-09 00:00");
        assert_eq!(shanghai.minute_at(due - 1), "2026-10-08 23:59");
        // The same instant is still Sep 30 in UTC too, but 00:30 next day in Beijing would
        // already be Oct 1: the local date counts, never the UTC one.
        let after_midnight = start + HOUR_MS;
        assert_eq!(shanghai.date_at(after_midnight), day(2026, 10, 1));
        assert_eq!(
            shanghai.minute_at(Limit::WorkingDays(1).due(after_midnight, &calendar, &shanghai)),
            "2026-10-09 00:00"
        );
        // Friday Oct 9 + 1 working day is the make-up Saturday Oct 10.
        let friday = start + 9 * 24 * HOUR_MS;
        assert_eq!(shanghai.date_at(friday), day(2026, 10, 9));
        assert_eq!(
            shanghai.minute_at(Limit::WorkingDays(1).due(friday, &calendar, &shanghai)),
            "2026-10-11 00:00"
        );
        // Hours ignore the calendar.
        assert_eq!(
            Limit::Hours(48).due(start, &calendar, &shanghai),
            start + 48 * HOUR_MS
        );
    }
}
