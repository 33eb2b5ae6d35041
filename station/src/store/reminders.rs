//! Reminding and urging (issue #14): the scheduler's pass over the open tasks in warning or
//! overdue, and the notifications it writes.
//!
//! - `H` + task + step index + reminder ordinal → the first notification's number: the
//!   once-only guard, written in the transaction that writes the notifications, so a
//!   reminder step of a task's step is notified at most once, restarts included;
//! - `M` + recipient + number → [`Notification`]: a person's list is one prefix read;
//! - `Q` is kept for the delivery queue of the channels still to come (e-mail, WeCom,
//!   DingTalk, webhooks); nothing writes it yet.
//!
//! The pass reads only the due index `B` up to `now` plus the longest warning threshold
//! ([`Store::tasks_due_by`]): the tasks in warning or overdue, never all tasks.

use serde::{Deserialize, Serialize};

use super::{keys, Actor, Refusal, Result, Store, StoreError, Tx};
use crate::barcode::{Barcode, Kind};
use crate::event::{Change, EventKind};
use crate::model::{Item, Millis, Role};
use crate::tasks::{Reminder, TaskRules, TaskStep, UrgeRules};

/// The most reminder steps one pass notifies; the rest wait for the next pass, which the
/// runner starts at once when this one was full.
pub const MAX_REMINDERS_PER_PASS: usize = 200;
/// The most notifications one list request answers.
pub const MAX_NOTIFICATIONS: usize = 200;

/// Where a notification goes. Only the pages' channel exists; e-mail, WeCom, DingTalk and
/// webhooks will be further variants, each delivered from the durable `Q` queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    /// The person's pages: the list and the live stream.
    Page,
}

/// A notification to one person (family `notifications`, `M` + recipient + number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Its number (every recipient of one reminder step has their own).
    pub id: u64,
    /// Whom it is for.
    pub recipient: Barcode,
    /// When it was written.
    pub at: Millis,
    /// The task.
    pub task: u64,
    /// The task's step it is about.
    pub step: TaskStep,
    /// Which reminder step of it.
    pub reminder: Reminder,
    /// Sent to a supervisor because the owner was urged `escalate_after` times already.
    pub escalated: bool,
    /// The step's owner (none: the archive room's step).
    pub owner: Option<Barcode>,
    /// When the step is due.
    pub due_at: Millis,
    /// The task's customer or project, to show.
    pub customer: Option<String>,
    /// The channels it goes to.
    pub channels: Vec<Channel>,
    /// When the recipient marked it read.
    pub read_at: Option<Millis>,
}

/// The station's supervisors who have not left: whom escalated reminders (and the
/// archive room's steps) go to. There are no teams yet, so "the owner's supervisor" is
/// every supervisor of the station.
fn supervisors(store: &Store) -> Result<Vec<Barcode>> {
    let mut out = Vec::new();
    for item in store.items_of_kind(Kind::Person) {
        if let Item::Person(person) = item? {
            if person.role == Role::Supervisor && !store.has_key(&keys::departed(person.barcode))? {
                out.push(person.barcode);
            }
        }
    }
    Ok(out)
}

impl Store {
    fn has_key(&self, key: &[u8]) -> Result<bool> {
        self.tree
            .contains_key(key)
            .map_err(StoreError::storage("reading the reminders"))
    }
}

impl Tx<'_> {
    /// Notifies reminder `reminder` of `step` of task `id` (due at `due`), unless it was
    /// notified before or the task has moved on. Answers the notifications written.
    fn remind(
        &mut self,
        id: u64,
        step: TaskStep,
        due: Millis,
        reminder: Reminder,
        escalated: bool,
        supervisors: &[Barcode],
    ) -> Result<Vec<Notification>> {
        let guard = keys::reminded(id, step.index(), reminder.ordinal());
        if self.get_raw(&guard)?.is_some() {
            return Ok(Vec::new());
        }
        let Some(task) = self.get::<super::Task>(&keys::task(id))? else {
            return Ok(Vec::new());
        };
        if task.step != Some(step) || task.due_at != due {
            return Ok(Vec::new());
        }
        let owner = task.owner_of(step);
        let mut recipients: Vec<(Barcode, bool)> = Vec::new();
        match owner {
            Some(owner) => {
                if self.require_person(owner).is_ok() {
                    recipients.push((owner, false));
                }
                if escalated {
                    recipients.extend(
                        supervisors
                            .iter()
                            .filter(|supervisor| **supervisor != owner)
                            .map(|supervisor| (*supervisor, true)),
                    );
                }
            }
            // The archive room's steps are the supervisors' to see to.
            None => recipients.extend(supervisors.iter().map(|supervisor| (*supervisor, false))),
        }
        let mut written = Vec::new();
        let mut names = Vec::new();
        for (recipient, escalated) in recipients {
            let number = self.next_counter(keys::NOTIFICATION_COUNTER, u64::MAX, "notification")?;
            let notification = Notification {
                id: number,
                recipient,
                at: self.now,
                task: id,
                step,
                reminder,
                escalated,
                owner,
                due_at: due,
                customer: task.customer.clone(),
                channels: vec![Channel::Page],
                read_at: None,
            };
            self.put(&keys::notification(recipient, number), &notification)?;
            names.push(self.require_anyone(recipient)?.name);
            written.push(notification);
        }
        let first = written.first().map_or(0, |notification| notification.id);
        self.put_raw(&guard, &first.to_be_bytes())?;
        let mut changes = vec![
            Change::new("task", None::<String>, Some(id.to_string())),
            Change::new("step", None::<String>, Some(step.name())),
            Change::new("reminder", None::<String>, Some(reminder.name())),
            Change::new("due", None::<String>, Some(self.time_zone.minute_at(due))),
            Change::new("recipients", None::<String>, Some(names.join("、"))),
        ];
        if let Reminder::Repeat(n) = reminder {
            changes.push(Change::new("repeat", None::<String>, Some(n.to_string())));
        }
        if escalated {
            changes.push(Change::new("escalated", None::<String>, Some("true")));
        }
        self.record(task.archive_box, EventKind::TaskReminded, changes);
        Ok(written)
    }
}

impl Store {
    /// One pass of the scheduler at `now`: for each open task whose current step is in
    /// warning or overdue (read from the due index up to `now` plus the longest warning
    /// threshold, never a scan of the tasks), notifies the reminder step due
    /// ([`Reminder::due_at`]) unless it was notified before: the owner at warning, at
    /// overdue and every `repeat_hours` after, and the station's supervisors too once
    /// the owner was urged `escalate_after` times. At most [`MAX_REMINDERS_PER_PASS`]
    /// reminder steps; answers the notifications written and whether more are waiting.
    pub fn remind_pass(
        &self,
        actor: &Actor,
        now: Millis,
        rules: &TaskRules,
        urge: &UrgeRules,
    ) -> Result<(Vec<Notification>, bool)> {
        let until = now.saturating_add(rules.longest_warning_ms());
        let mut due = Vec::new();
        let mut more = false;
        for (due_at, id, step) in self.tasks_due_by(until)? {
            let Some(reminder) = Reminder::due_at(now, due_at, rules.warning_ms(step), urge) else {
                continue;
            };
            let guard = keys::reminded(id, step.index(), reminder.ordinal());
            if self.has_key(&guard)? {
                continue;
            }
            if due.len() == MAX_REMINDERS_PER_PASS {
                more = true;
                break;
            }
            due.push((id, step, due_at, reminder));
        }
        if due.is_empty() {
            return Ok((Vec::new(), false));
        }
        let supervisors = supervisors(self)?;
        let written = self.write(actor, |tx| {
            let mut written = Vec::new();
            for (id, step, due_at, reminder) in &due {
                written.extend(tx.remind(
                    *id,
                    *step,
                    *due_at,
                    *reminder,
                    reminder.escalated(urge),
                    &supervisors,
                )?);
            }
            Ok(written)
        })?;
        Ok((written, more))
    }

    /// `recipient`'s notifications, newest first, at most `limit` (and at most
    /// [`MAX_NOTIFICATIONS`]), only those numbered below `before` when given.
    pub fn notifications_of(
        &self,
        recipient: Barcode,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Notification>> {
        let prefix = keys::notifications_of(recipient);
        let end = match before {
            Some(before) => keys::notification(recipient, before),
            None => {
                let mut end = prefix.clone();
                end.push(0xff);
                end
            }
        };
        let mut out = Vec::new();
        for entry in self
            .tree
            .range(prefix..end)
            .rev()
            .take(limit.min(MAX_NOTIFICATIONS))
        {
            let (key, value) = entry.map_err(StoreError::storage("reading notifications"))?;
            out.push(super::decode(&value, &key)?);
        }
        Ok(out)
    }

    /// Marks `recipient`'s notification `id` read (again: unchanged). Another person's
    /// notification is as unknown as one that does not exist.
    pub fn mark_notification_read(&self, recipient: Barcode, id: u64) -> Result<Notification> {
        let key = keys::notification(recipient, id);
        let Some(mut notification) = self.get::<Notification>(&key)? else {
            return Err(Refusal::UnknownNotification(id).into());
        };
        if notification.read_at.is_some() {
            return Ok(notification);
        }
        let at = self.now();
        notification = self.write(&Actor::new(format!("{recipient}@api")), |tx| {
            let mut current: Notification =
                tx.get(&key)?.ok_or(Refusal::UnknownNotification(id))?;
            if current.read_at.is_none() {
                current.read_at = Some(at);
                tx.put(&key, &current)?;
            }
            Ok(current)
        })?;
        Ok(notification)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TimeZone;
    use crate::contents::Checklists;
    use crate::model::Person;
    use crate::store::tests::person;
    use crate::store::{open_with_clock_in, NewTask, StepBy};
    use crate::tasks::{Limit, HOUR_MS};
    use std::sync::atomic::Ordering;

    /// Friday 2026-11-27 00:30 in Beijing.
    const START: Millis = 1_795_710_600_000;

    fn actor() -> Actor {
        Actor::new("scheduler")
    }

    fn new_task(responsible: Barcode) -> NewTask {
        NewTask {
            external_id: "CRM-URGE-1".to_owned(),
            category: "借款".to_owned(),
            step: "放款完成".to_owned(),
            customer: Some("鸿达贸易".to_owned()),
            archive_no: None,
            archive_box: None,
            responsible,
            collector: None,
            documents: None,
            loan_project: false,
            limits: vec![(TaskStep::Add, Limit::Hours(48))],
            business_deadline: None,
            occurred_at: None,
        }
    }

    fn reminded_events(store: &Store) -> usize {
        crate::store::events_since(store, 0)
            .into_iter()
            .filter(|(kind, ..)| *kind == EventKind::TaskReminded)
            .count()
    }

    #[test]
    fn a_step_is_urged_once_per_reminder_step_through_a_restart_and_stops_when_done() {
        let dir = tempfile::tempdir().expect("tempdir");
        let zone = || TimeZone::named("Asia/Shanghai").expect("zone");
        let (store, clock) = open_with_clock_in(dir.path(), START, zone());
        let wang = person(&store, "王客户经理", Role::Clerk, false);
        let chen = person(&store, "陈主管", Role::Supervisor, false);
        let li = person(&store, "李档案员", Role::Clerk, false);
        let rules = TaskRules::default();
        let urge = UrgeRules {
            repeat_hours: 24,
            escalate_after: 2,
        };
        let (task, _) = store
            .post_task(
                &actor(),
                &new_task(wang.barcode),
                &rules,
                &Checklists::builtin().expect("checklists"),
            )
            .expect("posted");
        assert_eq!(task.due_at, START + 48 * HOUR_MS);
        // One pass at `hours` after the post: the notifications it wrote, as (recipient,
        // reminder, escalated).
        let pass = |store: &Store, hours: i64| {
            let now = START + hours * HOUR_MS;
            clock.store(now, Ordering::SeqCst);
            let (written, more) = store
                .remind_pass(&actor(), now, &rules, &urge)
                .expect("pass");
            assert!(!more);
            written
                .into_iter()
                .map(|n| (n.recipient, n.reminder, n.escalated))
                .collect::<Vec<_>>()
        };
        let only = |who: &Person, reminder| vec![(who.barcode, reminder, false)];

        assert_eq!(pass(&store, 23), vec![], "normal: nothing");
        assert_eq!(pass(&store, 24), only(&wang, Reminder::Warning));
        assert_eq!(pass(&store, 24), vec![], "the same step again: nothing");
        assert_eq!(pass(&store, 47), vec![], "still the warning step");
        assert_eq!(pass(&store, 48), only(&wang, Reminder::Overdue));
        assert_eq!(pass(&store, 71), vec![]);
        assert_eq!(pass(&store, 72), only(&wang, Reminder::Repeat(1)));
        assert_eq!(pass(&store, 96), only(&wang, Reminder::Repeat(2)));
        assert_eq!(
            pass(&store, 120),
            vec![
                (wang.barcode, Reminder::Repeat(3), false),
                (chen.barcode, Reminder::Repeat(3), true)
            ],
            "after two repeats the station's supervisor is urged too"
        );
        assert_eq!(reminded_events(&store), 5, "one event per reminder step");

        // A restart: nothing is notified twice.
        drop(store);
        let (store, clock2) = open_with_clock_in(dir.path(), START + 120 * HOUR_MS, zone());
        let pass = |store: &Store, hours: i64| {
            let now = START + hours * HOUR_MS;
            clock2.store(now, Ordering::SeqCst);
            store
                .remind_pass(&actor(), now, &rules, &urge)
                .expect("pass")
                .0
                .len()
        };
        assert_eq!(pass(&store, 120), 0, "nothing twice after a restart");
        assert_eq!(reminded_events(&store), 5);

        // Each person sees their own, newest first; the clerk who owns nothing sees none.
        let wangs = store
            .notifications_of(wang.barcode, None, 100)
            .expect("list");
        let reminders: Vec<Reminder> = wangs.iter().map(|n| n.reminder).collect();
        assert_eq!(
            reminders,
            vec![
                Reminder::Repeat(3),
                Reminder::Repeat(2),
                Reminder::Repeat(1),
                Reminder::Overdue,
                Reminder::Warning
            ]
        );
        let chens = store
            .notifications_of(chen.barcode, None, 100)
            .expect("list");
        assert_eq!(chens.len(), 1);
        assert!(chens[0].escalated);
        assert!(store
            .notifications_of(li.barcode, None, 100)
            .expect("list")
            .is_empty());
        // Marking read: one's own only.
        let id = wangs[0].id;
        let refused = store.mark_notification_read(li.barcode, id);
        assert!(matches!(
            refused,
            Err(StoreError::Refused(Refusal::UnknownNotification(n))) if n == id
        ));
        let read = store
            .mark_notification_read(wang.barcode, id)
            .expect("read");
        assert!(read.read_at.is_some());
        assert_eq!(
            store.notifications_of(wang.barcode, None, 1).expect("list")[0].read_at,
            read.read_at
        );

        // The step is done: no more urging of it.
        store
            .advance_task(
                &actor(),
                task.id,
                Some(TaskStep::Add),
                &StepBy::Person(wang.clone()),
                &rules,
            )
            .expect("added");
        assert_eq!(
            pass(&store, 144),
            0,
            "the add step is done, the send step is new"
        );
        assert_eq!(reminded_events(&store), 5);
        let report = store.verify().expect("verify");
        assert!(report.is_ok(), "{:?}", report.problems);
    }
}
