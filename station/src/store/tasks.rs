//! Archive tasks from the business systems (issue #14; the flow, limits and states are in
//! `crate::tasks`): the task records, idempotent by the business system's external id, and
//! the indexes the inbox and the scheduler read instead of scanning every task:
//!
//! - `A` + number: the task;
//! - `N` + external id: its number (a replay answers the task it made);
//! - `O` + owner + number: open tasks whose current step is that person's (their inbox);
//! - `C` + number: open tasks whose current step is the archive room's;
//! - `B` + due moment + number: every open task by its current step's due moment (the
//!   scheduler's range read; a supervisor's list in order of lateness);
//! - `P` + box + number: open tasks naming a box (scans of the box complete steps).
//!
//! Every index entry of a task is written and removed in the transaction that changes the
//! task, so an open task is in exactly one of `O`/`C` and once in `B`; a done one in none.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{keys, Actor, Refusal, Result, Store, StoreError, Tx};
use crate::barcode::{Barcode, Kind};
use crate::event::{Change, EventKind};
use crate::model::{Item, Millis, Person, Role};
use crate::tasks::{Limit, TaskLimits, TaskRules, TaskState, TaskStep};

/// The longest external id, in characters.
pub const MAX_EXTERNAL_ID: usize = 200;
/// The longest text field of a task (category, business step, customer, a document's name).
pub const MAX_TASK_TEXT: usize = 200;
/// The most documents a task lists.
pub const MAX_TASK_DOCUMENTS: usize = 200;
/// The most tasks one inbox read answers (a person's, or the archive room's).
pub const MAX_INBOX: usize = 1000;
/// How far in the future a business system's `occurred_at` may be (its clock may run a
/// little ahead of the station's): five minutes.
pub const OCCURRED_SLACK_MS: Millis = 5 * 60_000;

/// A task as a business system posts it: what a replay is compared with (field by field,
/// after trimming, before any default is filled in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTask {
    /// The business system's own id of the step: the same id is the same task.
    pub external_id: String,
    /// A category the station knows (one with a checklist, or of a box it holds).
    pub category: String,
    /// The business step that finished (free text).
    pub step: String,
    /// The customer's or project's name.
    pub customer: Option<String>,
    /// The archive number of the customer's or project's box.
    pub archive_no: Option<String>,
    /// The box itself, when it exists.
    pub archive_box: Option<Barcode>,
    /// Who adds, digitises and sends the documents.
    pub responsible: Barcode,
    /// The team's archive collector who reviews them (none: the archive room reviews).
    pub collector: Option<Barcode>,
    /// The paper documents expected (none: the category's checklist's required ones).
    pub documents: Option<Vec<String>>,
    /// A loan project: its default limits are the loan handovers' (A→B 3 working days,
    /// B→archive 2).
    pub loan_project: bool,
    /// Limits that replace the defaults, by step.
    pub limits: Vec<(TaskStep, Limit)>,
    /// The business time limit (业扩时限): the end of this local day.
    pub business_deadline: Option<NaiveDate>,
    /// When the business step finished (none: when it is posted).
    pub occurred_at: Option<Millis>,
}

impl NewTask {
    /// The same request with its texts trimmed, as it is compared and stored.
    fn trimmed(&self) -> NewTask {
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        NewTask {
            external_id: self.external_id.trim().to_owned(),
            category: self.category.trim().to_owned(),
            step: self.step.trim().to_owned(),
            customer: text(&self.customer),
            archive_no: text(&self.archive_no),
            documents: self.documents.as_ref().map(|documents| {
                documents
                    .iter()
                    .map(|document| document.trim().to_owned())
                    .collect()
            }),
            ..self.clone()
        }
    }

    /// The SHA-256 of the trimmed request: equal for a replay, different for another body.
    fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(super::encode(self)).into()
    }
}

/// One step done, in a task's history (each is also an event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDone {
    /// The step.
    pub step: TaskStep,
    /// When it was done.
    pub at: Millis,
    /// Who did it: the person, when one did.
    pub person: Option<Barcode>,
    /// The actor of its event (`P…@api`, `P…@<workstation>`).
    pub actor: String,
    /// When it was due.
    pub due_at: Millis,
}

/// An archive task (family `tasks`, `A` + number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Its number.
    pub id: u64,
    /// The business system's id of the step.
    pub external_id: String,
    /// The SHA-256 of the request that made it (replays are compared with it).
    pub fingerprint: [u8; 32],
    /// Its category.
    pub category: String,
    /// The business step that finished.
    pub business_step: String,
    /// The customer's or project's name.
    pub customer: Option<String>,
    /// The archive number given.
    pub archive_no: Option<String>,
    /// The box it names (given, or found by its archive number).
    pub archive_box: Option<Barcode>,
    /// Who adds and sends the documents.
    pub responsible: Barcode,
    /// Who reviews them (none: the archive room).
    pub collector: Option<Barcode>,
    /// The paper documents expected.
    pub documents: Vec<String>,
    /// Each step's time limit.
    pub limits: TaskLimits,
    /// The business time limit (业扩时限) as a moment.
    pub business_due_at: Option<Millis>,
    /// When the business step finished.
    pub occurred_at: Millis,
    /// When the station received it.
    pub created_at: Millis,
    /// The current step (none: done).
    pub step: Option<TaskStep>,
    /// When the current step began.
    pub step_since: Millis,
    /// When the current step is due.
    pub due_at: Millis,
    /// The steps done, in order.
    pub history: Vec<StepDone>,
}

impl Task {
    /// Whom `step` belongs to: the responsible person adds and sends, the collector (if
    /// named) reviews; otherwise the archive room (`None`).
    pub fn owner_of(&self, step: TaskStep) -> Option<Barcode> {
        match step {
            TaskStep::Add | TaskStep::Send => Some(self.responsible),
            TaskStep::Review => self.collector,
            TaskStep::Handover | TaskStep::Shelve => None,
        }
    }

    /// The current step's owner (`None` also when done).
    pub fn owner(&self) -> Option<Barcode> {
        self.step.and_then(|step| self.owner_of(step))
    }

    /// The current step's state at `now` (`None` when done).
    pub fn state(&self, rules: &TaskRules, now: Millis) -> Option<TaskState> {
        self.step.map(|step| rules.state(step, self.due_at, now))
    }

    /// The business deadline's state at `now` while the task is open.
    pub fn business_state(&self, rules: &TaskRules, now: Millis) -> Option<TaskState> {
        let due = self.business_due_at?;
        self.step?;
        Some(TaskState::at(now, due, rules.business_warning_ms()))
    }
}

/// What a post of a task did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// It made a new task.
    Created,
    /// It was a replay of the post that made this task: nothing changed.
    Replayed,
}

/// Where a step is done from: one click by a person, or a scan of the task's box.
#[derive(Debug, Clone)]
pub enum StepBy {
    /// A person's click (`POST /api/v1/tasks/{id}/advance`): they must own the step or be
    /// a supervisor.
    Person(Person),
    /// A scan of the task's box that completes the step (HANDOVER accepted by the
    /// archivist, SHELVE), by the person at the workstation (if one signed in).
    Scan(Option<Barcode>),
}

impl Tx<'_> {
    fn index_open_task(&self, task: &Task) -> Result<()> {
        let Some(step) = task.step else {
            return Ok(());
        };
        self.put_raw(&keys::task_due(task.due_at, task.id), &[step.index()])?;
        match task.owner() {
            Some(owner) => self.put_raw(&keys::task_owner(owner, task.id), &[])?,
            None => self.put_raw(&keys::task_room(task.id), &[])?,
        }
        if let Some(archive_box) = task.archive_box {
            self.put_raw(&keys::task_box(archive_box, task.id), &[])?;
        }
        Ok(())
    }

    fn unindex_open_task(&self, task: &Task) -> Result<()> {
        if task.step.is_none() {
            return Ok(());
        }
        self.remove(&keys::task_due(task.due_at, task.id))?;
        match task.owner() {
            Some(owner) => self.remove(&keys::task_owner(owner, task.id))?,
            None => self.remove(&keys::task_room(task.id))?,
        }
        if let Some(archive_box) = task.archive_box {
            self.remove(&keys::task_box(archive_box, task.id))?;
        }
        Ok(())
    }

    /// The task made by `new`'s external id, if `new` is a replay of its post (refused when
    /// the id was posted with another body).
    fn replayed_task(&self, new: &NewTask, fingerprint: &[u8; 32]) -> Result<Option<Task>> {
        let Some(id) = self.get_raw(&keys::task_external(&new.external_id))? else {
            return Ok(None);
        };
        let id = keys::decode_u64(&id)
            .ok_or_else(|| StoreError::corrupt(&keys::task_external(&new.external_id)))?;
        let task: Task = self
            .get(&keys::task(id))?
            .ok_or_else(|| StoreError::corrupt(&keys::task(id)))?;
        if &task.fingerprint == fingerprint {
            Ok(Some(task))
        } else {
            Err(Refusal::TaskConflict {
                external_id: new.external_id.clone(),
                id,
            }
            .into())
        }
    }

    /// Makes the task `new` asks for (see [`Store::post_task`]); `documents` are the
    /// category's checklist's, for when `new` lists none.
    fn create_task(
        &mut self,
        new: &NewTask,
        rules: &TaskRules,
        documents: &[String],
    ) -> Result<(Task, Posted)> {
        let fingerprint = new.fingerprint();
        if let Some(task) = self.replayed_task(new, &fingerprint)? {
            return Ok((task, Posted::Replayed));
        }
        let mut archive_box = new.archive_box;
        if let Some(barcode) = archive_box {
            match self.require_item(barcode)? {
                Item::Box(_) => {}
                _ => return Err(StoreError::wrong_kind(barcode, Kind::Box)),
            }
        } else if let Some(number) = &new.archive_no {
            archive_box = self
                .get_raw(&keys::archive_no(number))?
                .and_then(|value| keys::trailing_barcode(&value))
                .filter(|barcode| barcode.kind() == Kind::Box);
        }
        let responsible = self.require_person(new.responsible)?;
        if let Some(collector) = new.collector {
            self.require_person(collector)?;
        }
        let occurred_at = new.occurred_at.unwrap_or(self.now);
        if occurred_at > self.now.saturating_add(OCCURRED_SLACK_MS) {
            return Err(Refusal::TaskInFuture {
                at: self.time_zone.minute_at(occurred_at),
            }
            .into());
        }
        let mut limits = TaskLimits::defaults(new.loan_project);
        for (step, limit) in &new.limits {
            limits.set(*step, *limit);
        }
        let id = self.next_counter(keys::TASK_COUNTER, u64::MAX, "task")?;
        let due_at = limits.add.due(occurred_at, &rules.calendar, self.time_zone);
        let task = Task {
            id,
            external_id: new.external_id.clone(),
            fingerprint,
            category: new.category.clone(),
            business_step: new.step.clone(),
            customer: new.customer.clone(),
            archive_no: new.archive_no.clone(),
            archive_box,
            responsible: new.responsible,
            collector: new.collector,
            documents: new.documents.clone().unwrap_or_else(|| documents.to_vec()),
            limits,
            business_due_at: new
                .business_deadline
                .map(|day| self.time_zone.end_of_day(day)),
            occurred_at,
            created_at: self.now,
            step: Some(TaskStep::Add),
            step_since: occurred_at,
            due_at,
            history: Vec::new(),
        };
        self.put(&keys::task(id), &task)?;
        self.put_raw(&keys::task_external(&task.external_id), &id.to_be_bytes())?;
        self.index_open_task(&task)?;
        let mut changes = vec![
            Change::new("task", None::<String>, Some(id.to_string())),
            Change::new("external_id", None::<String>, Some(&task.external_id)),
            Change::new("category", None::<String>, Some(&task.category)),
            Change::new("business_step", None::<String>, Some(&task.business_step)),
            Change::new("responsible", None::<String>, Some(responsible.name)),
            Change::new("step", None::<String>, Some(TaskStep::Add.name())),
            Change::new(
                "due",
                None::<String>,
                Some(self.time_zone.minute_at(due_at)),
            ),
        ];
        if let Some(customer) = &task.customer {
            changes.push(Change::new("customer", None::<String>, Some(customer)));
        }
        self.record(archive_box, EventKind::TaskCreated, changes);
        Ok((task, Posted::Created))
    }

    /// Completes task `id`'s current step, which must be `expected` when given (see
    /// [`Store::advance_task`]).
    fn advance_task(
        &mut self,
        id: u64,
        expected: Option<TaskStep>,
        by: &StepBy,
        rules: &TaskRules,
    ) -> Result<Task> {
        let mut task: Task = self.get(&keys::task(id))?.ok_or(Refusal::UnknownTask(id))?;
        let Some(step) = task.step else {
            return Err(Refusal::TaskDone(id).into());
        };
        if let Some(expected) = expected {
            if expected != step {
                return Err(Refusal::TaskWrongStep {
                    id,
                    step: step.label(),
                    expected: expected.label(),
                }
                .into());
            }
        }
        let person = match by {
            StepBy::Person(person) => {
                let owner = task.owner_of(step);
                let own = owner.is_none_or(|owner| owner == person.barcode);
                if !own && person.role < Role::Supervisor {
                    let owner_name = match owner.map(|owner| self.require_anyone(owner)) {
                        Some(Ok(owner)) => owner.name,
                        _ => String::new(),
                    };
                    return Err(Refusal::TaskNotYours {
                        id,
                        step: step.label(),
                        owner: owner_name,
                    }
                    .into());
                }
                Some(person.barcode)
            }
            StepBy::Scan(person) => *person,
        };
        self.unindex_open_task(&task)?;
        let state = rules.state(step, task.due_at, self.now);
        task.history.push(StepDone {
            step,
            at: self.now,
            person,
            actor: self.actor.to_owned(),
            due_at: task.due_at,
        });
        task.step = step.next();
        task.step_since = self.now;
        if let Some(next) = task.step {
            task.due_at = task
                .limits
                .of(next)
                .due(self.now, &rules.calendar, self.time_zone);
        }
        self.put(&keys::task(id), &task)?;
        self.index_open_task(&task)?;
        let mut changes = vec![
            Change::new("task", None::<String>, Some(id.to_string())),
            Change::new(
                "step",
                Some(step.name()),
                Some(task.step.map_or("done", TaskStep::name)),
            ),
            Change::new("state", None::<String>, Some(state.name())),
        ];
        if task.step.is_some() {
            changes.push(Change::new(
                "due",
                None::<String>,
                Some(self.time_zone.minute_at(task.due_at)),
            ));
        }
        self.record(task.archive_box, EventKind::TaskStepDone, changes);
        Ok(task)
    }
}

impl Tx<'_> {
    /// Completes `step` of those of the open tasks `ids` (found by
    /// [`Store::task_ids_of_boxes`] before the write) that are at it, as done by a scan of
    /// their box by `person`; the others are left as they are. Answers the tasks moved on.
    pub fn complete_scanned_tasks(
        &mut self,
        ids: &[u64],
        step: TaskStep,
        person: Option<Barcode>,
        rules: &TaskRules,
    ) -> Result<Vec<u64>> {
        let mut done = Vec::new();
        for id in ids {
            let current = self
                .get::<Task>(&keys::task(*id))?
                .and_then(|task| task.step);
            if current == Some(step) {
                self.advance_task(*id, Some(step), &StepBy::Scan(person), rules)?;
                done.push(*id);
            }
        }
        Ok(done)
    }
}

/// Whether `text` is a usable field of at most `max` characters.
fn fits(text: &str, max: usize) -> bool {
    !text.is_empty() && text.chars().count() <= max
}

impl Store {
    /// Posts the task `new` (from a business system): a new task with its flow's first step
    /// (to add the documents) due by its limit, or, for a replay of the post of the same
    /// external id with the same body, that task unchanged ([`Posted::Replayed`], no event).
    /// The same external id with another body is refused ([`Refusal::TaskConflict`]), as is
    /// a category the station does not know, a missing customer or project, an unknown
    /// responsible person or one who has left, and a limit out of range; nothing changes.
    pub fn post_task(
        &self,
        actor: &Actor,
        new: &NewTask,
        rules: &TaskRules,
        checklists: &crate::contents::Checklists,
    ) -> Result<(Task, Posted)> {
        let new = new.trimmed();
        if !fits(&new.external_id, MAX_EXTERNAL_ID) {
            return Err(Refusal::TaskField {
                field: "external_id",
                max: MAX_EXTERNAL_ID,
            }
            .into());
        }
        for (field, value) in [("category", &new.category), ("step", &new.step)] {
            if !fits(value, MAX_TASK_TEXT) {
                return Err(Refusal::TaskField {
                    field,
                    max: MAX_TASK_TEXT,
                }
                .into());
            }
        }
        for (field, value) in [("customer", &new.customer), ("archive_no", &new.archive_no)] {
            if value
                .as_deref()
                .is_some_and(|value| !fits(value, MAX_TASK_TEXT))
            {
                return Err(Refusal::TaskField {
                    field,
                    max: MAX_TASK_TEXT,
                }
                .into());
            }
        }
        if new.customer.is_none() && new.archive_no.is_none() && new.archive_box.is_none() {
            return Err(Refusal::TaskNoSubject.into());
        }
        if let Some(documents) = &new.documents {
            if documents.len() > MAX_TASK_DOCUMENTS
                || documents
                    .iter()
                    .any(|document| !fits(document, MAX_TASK_TEXT))
            {
                return Err(Refusal::TaskField {
                    field: "documents",
                    max: MAX_TASK_TEXT,
                }
                .into());
            }
        }
        if let Some((step, limit)) = new.limits.iter().find(|(_, limit)| !limit.is_valid()) {
            return Err(Refusal::TaskLimit {
                step: step.label(),
                limit: limit.describe(),
            }
            .into());
        }
        // A category is known when a checklist covers it or a box of it is held (the
        // category tallies); both are read before the write, never inside it.
        let checklist = checklists.for_category(&new.category);
        let held = self
            .tree
            .scan_prefix(keys::category_prefix(&new.category))
            .next()
            .transpose()
            .map_err(StoreError::storage("reading the category tallies"))?
            .is_some();
        if checklist.is_none() && !held {
            return Err(Refusal::TaskUnknownCategory(new.category.clone()).into());
        }
        let documents: Vec<String> = checklist
            .map(|checklist| {
                checklist
                    .items
                    .iter()
                    .filter(|item| item.required)
                    .map(|item| item.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        // A replay is answered without a write.
        if let Some(id) = self.task_by_external_id(&new.external_id)? {
            if let Some(task) = self.task(id)? {
                if task.fingerprint == new.fingerprint() {
                    return Ok((task, Posted::Replayed));
                }
            }
        }
        self.write(actor, |tx| tx.create_task(&new, rules, &documents))
    }

    /// Completes task `id`'s current step (which must be `expected`, when given) by `by`:
    /// the next step begins now, due by its limit; after shelving the task is done. A
    /// person's click needs the step to be theirs (the archive room's steps are every
    /// archivist's) or a supervisor.
    pub fn advance_task(
        &self,
        actor: &Actor,
        id: u64,
        expected: Option<TaskStep>,
        by: &StepBy,
        rules: &TaskRules,
    ) -> Result<Task> {
        self.write(actor, |tx| tx.advance_task(id, expected, by, rules))
    }

    /// Task `id`.
    pub fn task(&self, id: u64) -> Result<Option<Task>> {
        self.get(&keys::task(id))
    }

    /// The number of the task a business system posted with `external_id`.
    pub fn task_by_external_id(&self, external_id: &str) -> Result<Option<u64>> {
        let key = keys::task_external(external_id.trim());
        match self
            .tree
            .get(&key)
            .map_err(StoreError::storage("reading the task index"))?
        {
            Some(value) => Ok(Some(
                keys::decode_u64(&value).ok_or_else(|| StoreError::corrupt(&key))?,
            )),
            None => Ok(None),
        }
    }

    fn tasks_listed(&self, prefix: &[u8], limit: usize) -> Result<Vec<Task>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix(prefix).take(limit) {
            let (key, _) = entry.map_err(StoreError::storage("reading the task index"))?;
            let id = keys::trailing_u64(&key).ok_or_else(|| StoreError::corrupt(&key))?;
            if let Some(task) = self.task(id)? {
                out.push(task);
            }
        }
        Ok(out)
    }

    /// The open tasks whose current step is `owner`'s (at most `limit`), from their inbox
    /// index: the tasks of others are never read.
    pub fn tasks_of(&self, owner: Barcode, limit: usize) -> Result<Vec<Task>> {
        self.tasks_listed(&keys::task_owner_prefix(owner), limit)
    }

    /// The open tasks whose current step is the archive room's (at most `limit`).
    pub fn room_tasks(&self, limit: usize) -> Result<Vec<Task>> {
        self.tasks_listed(&[keys::TASK_ROOM], limit)
    }

    /// Every open task, the most late first (earliest due moment), at most `limit`.
    pub fn open_tasks_by_due(&self, limit: usize) -> Result<Vec<Task>> {
        self.tasks_listed(&[keys::TASK_DUE], limit)
    }

    /// The numbers of the open tasks naming any of `boxes` (from the box index).
    pub fn task_ids_of_boxes(&self, boxes: &[Barcode]) -> Result<Vec<u64>> {
        let mut ids = Vec::new();
        for archive_box in boxes {
            for entry in self.tree.scan_prefix(keys::task_box_prefix(*archive_box)) {
                let (key, _) = entry.map_err(StoreError::storage("reading the task index"))?;
                ids.push(keys::trailing_u64(&key).ok_or_else(|| StoreError::corrupt(&key))?);
            }
        }
        Ok(ids)
    }

    /// Completes `step` of the open tasks naming `boxes` that are at it, as done by a scan
    /// (one transaction; nothing is written when no task names them).
    pub fn complete_scanned_tasks(
        &self,
        actor: &Actor,
        boxes: &[Barcode],
        step: TaskStep,
        person: Option<Barcode>,
        rules: &TaskRules,
    ) -> Result<Vec<u64>> {
        let ids = self.task_ids_of_boxes(boxes)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.write(actor, |tx| {
            tx.complete_scanned_tasks(&ids, step, person, rules)
        })
    }

    /// Moves `item` to `to` (SHELVE) and, for a box, completes the shelving step of the open
    /// tasks naming it that are at it — one transaction, so a crash never leaves the box
    /// shelved and its task waiting. A box no task names costs one prefix read.
    pub fn shelve_item(
        &self,
        actor: &Actor,
        item: Barcode,
        to: Barcode,
        person: Option<Barcode>,
        rules: &TaskRules,
    ) -> Result<super::MoveOutcome> {
        let ids = if item.kind() == crate::barcode::Kind::Box {
            self.task_ids_of_boxes(&[item])?
        } else {
            Vec::new()
        };
        self.write(actor, |tx| {
            let moved = tx.move_item(item, to)?;
            if !ids.is_empty() {
                tx.complete_scanned_tasks(&ids, TaskStep::Shelve, person, rules)?;
            }
            Ok(moved)
        })
    }

    /// The open tasks naming `archive_box`.
    pub fn tasks_of_box(&self, archive_box: Barcode) -> Result<Vec<Task>> {
        self.tasks_listed(&keys::task_box_prefix(archive_box), usize::MAX)
    }

    /// The open tasks whose current step is due at or before `until`, earliest first: each
    /// as its due moment, number and step, from the due index alone. The scheduler asks for
    /// `now + rules.longest_warning_ms()`: what is in warning or overdue, and nothing else.
    pub fn tasks_due_by(&self, until: Millis) -> Result<Vec<(Millis, u64, TaskStep)>> {
        let mut out = Vec::new();
        for entry in self
            .tree
            .range(vec![keys::TASK_DUE]..keys::task_due_after(until))
        {
            let (key, value) = entry.map_err(StoreError::storage("reading the task index"))?;
            let (due, id) = keys::parse_task_due(&key).ok_or_else(|| StoreError::corrupt(&key))?;
            let step = value
                .first()
                .and_then(|index| TaskStep::from_index(*index))
                .ok_or_else(|| StoreError::corrupt(&key))?;
            out.push((due, id, step));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::WorkCalendar;
    use crate::clock::TimeZone;
    use crate::contents::Checklists;
    use crate::store::tests::person;
    use crate::store::{events_since, open_with_clock_in};
    use crate::tasks::HOUR_MS;
    use std::sync::atomic::Ordering;

    /// Friday 2026-11-27 00:30 in Beijing: still Thursday 16:30 in UTC.
    const FRIDAY_0030_BEIJING: Millis = 1_795_710_600_000;

    fn actor() -> Actor {
        Actor::new("P-test@integration")
    }

    fn new_task(external_id: &str, responsible: Barcode) -> NewTask {
        NewTask {
            external_id: external_id.to_owned(),
            category: "借款".to_owned(),
            step: "放款完成".to_owned(),
            customer: Some("鸿达贸易".to_owned()),
            archive_no: None,
            archive_box: None,
            responsible,
            collector: None,
            documents: None,
            loan_project: false,
            limits: Vec::new(),
            business_deadline: None,
            occurred_at: None,
        }
    }

    fn rules() -> TaskRules {
        TaskRules::default()
    }

    fn checklists() -> Checklists {
        Checklists::builtin().expect("shipped checklists")
    }

    fn beijing() -> TimeZone {
        TimeZone::named("Asia/Shanghai").expect("zone")
    }

    #[test]
    fn a_replay_answers_the_same_task_and_records_nothing_another_body_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, _) = open_with_clock_in(dir.path(), FRIDAY_0030_BEIJING, beijing());
        let wang = person(&store, "王客户经理", Role::Clerk, false);
        let post = |new: &NewTask| store.post_task(&actor(), new, &rules(), &checklists());

        let (task, posted) = post(&new_task("CRM-1", wang.barcode)).expect("posted");
        assert_eq!(posted, Posted::Created);
        assert_eq!(task.step, Some(TaskStep::Add));
        assert!(
            task.documents.iter().any(|name| name == "借款合同"),
            "the checklist's required documents: {:?}",
            task.documents
        );
        let (head, _) = store.head();
        let created = events_since(&store, head - 1);
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].0, EventKind::TaskCreated);

        // The same call again (its texts spaced differently): the same task, no event.
        let mut again = new_task(" CRM-1 ", wang.barcode);
        again.step = " 放款完成".to_owned();
        let (replayed, posted) = post(&again).expect("replayed");
        assert_eq!(posted, Posted::Replayed);
        assert_eq!(replayed, task);
        assert_eq!(store.head().0, head, "a replay records nothing");

        // The same id with another body: refused, nothing changed.
        let mut other = new_task("CRM-1", wang.barcode);
        other.step = "合同签订".to_owned();
        assert!(matches!(
            post(&other),
            Err(StoreError::Refused(Refusal::TaskConflict { id, .. })) if id == task.id
        ));
        assert_eq!(store.head().0, head);
        assert_eq!(store.task(task.id).expect("read"), Some(task));
        assert_eq!(store.tasks_of(wang.barcode, 10).expect("inbox").len(), 1);
    }

    #[test]
    fn a_wrong_post_is_refused_with_what_was_wrong_and_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, _) = open_with_clock_in(dir.path(), FRIDAY_0030_BEIJING, beijing());
        let wang = person(&store, "王客户经理", Role::Clerk, false);
        let left = person(&store, "李已离职", Role::Clerk, false);
        store
            .edit_person(
                &actor(),
                left.barcode,
                &crate::store::PersonEdit {
                    active: Some(false),
                    ..crate::store::PersonEdit::default()
                },
            )
            .expect("left");
        let head = store.head().0;
        let post = |new: &NewTask| store.post_task(&actor(), new, &rules(), &checklists());
        let refused = |new: NewTask| match post(&new) {
            Err(StoreError::Refused(refusal)) => refusal.message().code.as_str().to_owned(),
            other => panic!("not refused: {other:?}"),
        };
        let mut unknown = new_task("1", wang.barcode);
        unknown.category = "不存在的类别".to_owned();
        assert_eq!(refused(unknown), "task.unknown_category");
        let mut nothing = new_task("2", wang.barcode);
        nothing.customer = Some("  ".to_owned());
        assert_eq!(refused(nothing), "task.no_subject");
        assert_eq!(refused(new_task("3", left.barcode)), "person.left");
        let mut zero = new_task("4", wang.barcode);
        zero.limits = vec![(TaskStep::Send, Limit::WorkingDays(0))];
        assert_eq!(refused(zero), "task.limit");
        assert_eq!(refused(new_task("  ", wang.barcode)), "task.field");
        let mut future = new_task("5", wang.barcode);
        future.occurred_at = Some(FRIDAY_0030_BEIJING + HOUR_MS);
        assert_eq!(refused(future), "task.in_future");
        assert_eq!(store.head().0, head, "nothing recorded");
        assert!(store.tasks_due_by(Millis::MAX).expect("due").is_empty());
    }

    #[test]
    fn steps_are_due_on_the_local_calendar_and_change_state_at_their_thresholds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, clock) = open_with_clock_in(dir.path(), FRIDAY_0030_BEIJING, beijing());
        let zone = beijing();
        let wang = person(&store, "王客户经理", Role::Clerk, false);
        let day = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).expect("date");
        // Monday 30 November is a holiday here; Saturday 5 December is worked.
        let rules = TaskRules {
            calendar: WorkCalendar::new([day(11, 30)], [day(12, 5)]),
            warning_hours: [2, 24, 24, 24, 24, 24],
        };
        let mut new = new_task("CRM-2", wang.barcode);
        new.limits = vec![
            (TaskStep::Add, Limit::WorkingDays(1)),
            (TaskStep::Send, Limit::WorkingDays(3)),
        ];
        let (task, _) = store
            .post_task(&actor(), &new, &rules, &checklists())
            .expect("posted");
        // Friday (local; Thursday in UTC) + 1 working day: past the weekend and the
        // Monday holiday to Tuesday 1 December, due when Wednesday begins in Beijing.
        assert_eq!(zone.minute_at(task.due_at), "2026-12-02 00:00");
        let due = task.due_at;
        let state_at = |at: Millis| {
            clock.store(at, Ordering::SeqCst);
            let task = store.task(task.id).expect("read").expect("task");
            task.state(&rules, store.now())
        };
        assert_eq!(state_at(due - 2 * HOUR_MS - 1), Some(TaskState::Normal));
        assert_eq!(state_at(due - 2 * HOUR_MS), Some(TaskState::Warning));
        assert_eq!(state_at(due - 1), Some(TaskState::Warning));
        assert_eq!(state_at(due), Some(TaskState::Overdue));
        // The scheduler's read: up to now plus the longest threshold, and nothing later.
        assert!(store
            .tasks_due_by(due - 24 * HOUR_MS - 1)
            .expect("due")
            .is_empty());
        assert_eq!(
            store.tasks_due_by(due).expect("due"),
            vec![(due, task.id, TaskStep::Add)]
        );

        // Added on Thursday 3 December at 23:30 local (15:30 UTC): the send step's 3 working
        // days are Friday, the make-up Saturday and Monday 7 December.
        let thursday_2330 = FRIDAY_0030_BEIJING + 6 * 24 * HOUR_MS + 23 * HOUR_MS;
        assert_eq!(zone.minute_at(thursday_2330), "2026-12-03 23:30");
        clock.store(thursday_2330, Ordering::SeqCst);
        let task = store
            .advance_task(
                &actor(),
                task.id,
                Some(TaskStep::Add),
                &StepBy::Person(wang.clone()),
                &rules,
            )
            .expect("added");
        assert_eq!(task.step, Some(TaskStep::Send));
        assert_eq!(zone.minute_at(task.due_at), "2026-12-08 00:00");
        assert_eq!(task.history.len(), 1);
        assert_eq!(
            store.tasks_due_by(due).expect("due"),
            Vec::new(),
            "the old entry is gone"
        );
    }

    #[test]
    fn steps_belong_to_their_owners_and_move_through_the_indexes_to_done() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, _) = open_with_clock_in(dir.path(), FRIDAY_0030_BEIJING, beijing());
        let wang = person(&store, "王客户经理", Role::Clerk, false);
        let zhao = person(&store, "赵采集员", Role::Clerk, false);
        let li = person(&store, "李档案员", Role::Clerk, false);
        let boss = person(&store, "陈主管", Role::Supervisor, false);
        let archive_box = store
            .register_box(
                &actor(),
                &crate::store::NewBox {
                    archive_no: Some("2026借001".into()),
                    title: "借款合同".into(),
                    customer: "鸿达贸易".into(),
                    category: "借款".into(),
                    ..crate::store::NewBox::default()
                },
            )
            .expect("box");
        let mut new = new_task("CRM-3", wang.barcode);
        new.customer = None;
        new.archive_no = Some("2026借001".to_owned());
        new.collector = Some(zhao.barcode);
        let (task, _) = store
            .post_task(&actor(), &new, &rules(), &checklists())
            .expect("posted");
        assert_eq!(
            task.archive_box,
            Some(archive_box.barcode),
            "found by number"
        );
        let advance = |step, by: &Person| {
            store.advance_task(
                &actor(),
                task.id,
                Some(step),
                &StepBy::Person(by.clone()),
                &rules(),
            )
        };
        let code = |result: Result<Task>| match result {
            Err(StoreError::Refused(refusal)) => refusal.message().code.as_str().to_owned(),
            other => panic!("not refused: {other:?}"),
        };
        let head = store.head().0;
        assert_eq!(code(advance(TaskStep::Add, &li)), "task.not_yours");
        assert_eq!(code(advance(TaskStep::Send, &wang)), "task.wrong_step");
        assert_eq!(store.head().0, head, "refusals change nothing");

        advance(TaskStep::Add, &wang).expect("added");
        advance(TaskStep::Send, &boss).expect("a supervisor may");
        let inbox = |who: &Person| store.tasks_of(who.barcode, 10).expect("inbox").len();
        assert_eq!((inbox(&wang), inbox(&zhao)), (0, 1));
        advance(TaskStep::Review, &zhao).expect("reviewed");
        assert_eq!(inbox(&zhao), 0);
        assert_eq!(store.room_tasks(10).expect("room").len(), 1);
        assert_eq!(
            store.tasks_of_box(archive_box.barcode).expect("box").len(),
            1
        );
        advance(TaskStep::Handover, &li).expect("the room's step is any archivist's");
        let done = advance(TaskStep::Shelve, &li).expect("shelved");
        assert_eq!(done.step, None);
        assert_eq!(done.history.len(), 5);
        assert_eq!(code(advance(TaskStep::Shelve, &li)), "task.done");
        assert!(store.room_tasks(10).expect("room").is_empty());
        assert!(store.open_tasks_by_due(10).expect("open").is_empty());
        assert!(store
            .tasks_of_box(archive_box.barcode)
            .expect("box")
            .is_empty());
        let history: Vec<EventKind> = store
            .history(archive_box.barcode)
            .expect("history")
            .into_iter()
            .map(|event| event.body.kind)
            .filter(|kind| matches!(kind, EventKind::TaskCreated | EventKind::TaskStepDone))
            .collect();
        assert_eq!(
            history.len(),
            6,
            "created and five steps, in the box's history"
        );
        let report = store.verify().expect("verify");
        assert!(report.is_ok(), "{:?}", report.problems);
    }
}
