//! The print queue: jobs kept in the store, so that they survive a restart, are retried
//! with back-off while the printer is unreachable, and are never silently dropped. Each
//! job's queueing, first delay, printing or cancellation is an event, in the history of
//! every item the label is for. Each delivery is recorded before it begins, so that one
//! interrupted by a crash is known: the label's next delivery is a re-delivery, and its
//! printed event says so.

use super::Refusal;
use super::{keys, Actor, Result, Store, StoreError, Tx};
use crate::barcode::Barcode;
use crate::event::{Change, EventKind};
use crate::message::StoredMessage;
use crate::model::{labelled_items, Millis, PrintFormat, PrintJob, PrintState};

/// A label to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The configured printer's name.
    pub printer: String,
    /// What the label is for.
    pub subject: String,
    /// ZPL or PDF.
    pub format: PrintFormat,
    /// The rendered bytes.
    pub payload: Vec<u8>,
    /// For a reprint: the job reprinted and the reason.
    pub reprint: Option<(u64, String)>,
}

impl Tx<'_> {
    /// Queues a label for its printer, due at once.
    pub fn queue_print(&mut self, new: &NewJob) -> Result<PrintJob> {
        if let Some((original, reason)) = &new.reprint {
            if reason.trim().is_empty() {
                return Err(Refusal::ReprintReason.into());
            }
            if self.get_raw(&keys::job(*original))?.is_none() {
                return Err(Refusal::UnknownJob(*original).into());
            }
        }
        let id = self.next_counter(keys::JOB_ID, u64::MAX, "print job")?;
        let job = PrintJob {
            id,
            printer: new.printer.clone(),
            subject: new.subject.clone(),
            format: new.format,
            payload: new.payload.clone(),
            queued_at: self.now,
            attempts: 0,
            next_attempt_at: self.now,
            last_error: None,
            reprint: new.reprint.clone(),
            state: PrintState::Pending,
            deliveries: 0,
        };
        self.put(&keys::job(id), &job)?;
        self.put_raw(&keys::job_due(job.next_attempt_at, id), &[])?;
        let mut changes = vec![
            Change::new("job", None::<String>, Some(id.to_string())),
            Change::new("printer", None::<String>, Some(job.printer.clone())),
            Change::new("subject", None::<String>, Some(job.subject.clone())),
        ];
        if let Some((original, reason)) = &job.reprint {
            changes.push(Change::new(
                "reprint",
                Some(original.to_string()),
                Some(reason.clone()),
            ));
        }
        self.record_for(&job, EventKind::PrintQueued, changes);
        Ok(job)
    }

    /// Records `kind` in the history of every item `job` labels.
    fn record_for(&mut self, job: &PrintJob, kind: EventKind, changes: Vec<Change>) {
        let mut items = labelled_items(&job.subject).into_iter();
        let first: Option<Barcode> = items.next();
        self.record_many(first, items.collect(), kind, changes);
    }

    /// Records that a delivery of job `id` begins; answers the job. Called before its
    /// bytes go out, so that a delivery cut off by a crash is known afterwards.
    pub fn job_delivering(&mut self, id: u64) -> Result<PrintJob> {
        let mut job = self.pending_job(id)?;
        if job.state != PrintState::Pending {
            return Ok(job);
        }
        job.deliveries = job.deliveries.saturating_add(1);
        self.put(&keys::job(id), &job)?;
        Ok(job)
    }

    fn pending_job(&self, id: u64) -> Result<PrintJob> {
        let job: PrintJob = self.get(&keys::job(id))?.ok_or(Refusal::UnknownJob(id))?;
        Ok(job)
    }

    /// Marks a job printed.
    pub fn job_printed(&mut self, id: u64) -> Result<PrintJob> {
        let mut job = self.pending_job(id)?;
        if job.state != PrintState::Pending {
            return Ok(job);
        }
        self.remove(&keys::job_due(job.next_attempt_at, id))?;
        // Deliveries begun that are neither this one nor a recorded outcome were cut off.
        let interrupted = job
            .deliveries
            .saturating_sub(job.attempts.saturating_add(1));
        job.attempts += 1;
        job.state = PrintState::Printed { at: self.now };
        self.put(&keys::job(id), &job)?;
        let mut changes = vec![
            Change::new("job", Some(id.to_string()), Some("printed")),
            Change::new("attempts", None::<String>, Some(job.attempts.to_string())),
        ];
        if interrupted > 0 {
            // A re-delivery: the label may have come out before (TCP, serial).
            changes.push(Change::new(
                "redelivery",
                None::<String>,
                Some(job.deliveries.to_string()),
            ));
            changes.push(Change::new(
                "interrupted",
                None::<String>,
                Some(interrupted.to_string()),
            ));
        }
        self.record_for(&job, EventKind::Printed, changes);
        Ok(job)
    }

    /// Records a failed attempt; the job is due again at `retry_at`. The first failure of
    /// a job is an event; later ones only update the job (a printer down for a weekend
    /// must not flood the log).
    pub fn job_failed(
        &mut self,
        id: u64,
        error: &StoredMessage,
        retry_at: Millis,
    ) -> Result<PrintJob> {
        let mut job = self.pending_job(id)?;
        if job.state != PrintState::Pending {
            return Ok(job);
        }
        self.remove(&keys::job_due(job.next_attempt_at, id))?;
        job.attempts += 1;
        job.last_error = Some(error.clone());
        job.next_attempt_at = retry_at;
        self.put(&keys::job(id), &job)?;
        self.put_raw(&keys::job_due(retry_at, id), &[])?;
        if job.attempts == 1 {
            // The event keeps the reason's code (the job keeps its text).
            self.record_for(
                &job,
                EventKind::PrintDelayed,
                vec![Change::new(
                    "job",
                    Some(id.to_string()),
                    Some(error.code.clone()),
                )],
            );
        }
        Ok(job)
    }

    /// Cancels a pending job, with the reason.
    pub fn cancel_job(&mut self, id: u64, reason: &str) -> Result<PrintJob> {
        let mut job = self.pending_job(id)?;
        if job.state != PrintState::Pending {
            return Ok(job);
        }
        self.remove(&keys::job_due(job.next_attempt_at, id))?;
        job.state = PrintState::Cancelled {
            at: self.now,
            reason: reason.to_owned(),
        };
        self.put(&keys::job(id), &job)?;
        self.record_for(
            &job,
            EventKind::PrintCancelled,
            vec![Change::new(
                "job",
                Some(id.to_string()),
                Some(reason.to_owned()),
            )],
        );
        Ok(job)
    }
}

impl Store {
    /// Queues a label.
    pub fn queue_print(&self, actor: &Actor, new: &NewJob) -> Result<PrintJob> {
        self.write(actor, |tx| tx.queue_print(new))
    }

    /// Cancels a waiting label, with the reason (a person's decision, recorded as an
    /// event). Refused for an unknown job, one printed or cancelled already, and an empty
    /// reason.
    pub fn cancel_print(&self, actor: &Actor, id: u64, reason: &str) -> Result<PrintJob> {
        let reason = crate::model::check_text(reason, "取消原因", "reason", true)?;
        self.write(actor, |tx| {
            if tx.pending_job(id)?.state != PrintState::Pending {
                return Err(Refusal::JobDone(id).into());
            }
            tx.cancel_job(id, &reason)
        })
    }

    /// Marks a job printed.
    pub fn job_printed(&self, actor: &Actor, id: u64) -> Result<PrintJob> {
        self.write(actor, |tx| tx.job_printed(id))
    }

    /// Records that a delivery of job `id` begins (before its bytes go out).
    pub fn job_delivering(&self, actor: &Actor, id: u64) -> Result<PrintJob> {
        self.write(actor, |tx| tx.job_delivering(id))
    }

    /// Records a failed attempt, with why it failed.
    pub fn job_failed(
        &self,
        actor: &Actor,
        id: u64,
        error: &StoredMessage,
        retry_at: Millis,
    ) -> Result<PrintJob> {
        self.write(actor, |tx| tx.job_failed(id, error, retry_at))
    }

    /// A job by number.
    pub fn job(&self, id: u64) -> Result<Option<PrintJob>> {
        self.get(&keys::job(id))
    }

    /// Pending jobs due at or before `now` for `printer` (all printers when `None`),
    /// oldest due first.
    pub fn due_jobs(&self, printer: Option<&str>, now: Millis) -> Result<Vec<PrintJob>> {
        let end = keys::job_due(now.saturating_add(1), 0);
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix([keys::JOB_DUE]).keys() {
            let key = entry.map_err(StoreError::storage("reading the print queue"))?;
            if key.as_ref() >= end.as_slice() {
                break;
            }
            let id = keys::trailing_u64(&key).ok_or_else(|| StoreError::corrupt(&key))?;
            if let Some(job) = self.job(id)? {
                if printer.is_none_or(|name| name == job.printer) {
                    out.push(job);
                }
            }
        }
        Ok(out)
    }

    /// When the first waiting job of `printer` is next to be tried (its next attempt,
    /// which may have passed), or `None` when no job waits for it.
    pub fn next_attempt(&self, printer: &str) -> Result<Option<Millis>> {
        // `J` keys sort by next attempt: the first of this printer's is the earliest.
        for entry in self.tree.scan_prefix([keys::JOB_DUE]).keys() {
            let key = entry.map_err(StoreError::storage("reading the print queue"))?;
            let id = keys::trailing_u64(&key).ok_or_else(|| StoreError::corrupt(&key))?;
            if let Some(job) = self.job(id)? {
                if job.printer == printer {
                    return Ok(Some(job.next_attempt_at));
                }
            }
        }
        Ok(None)
    }

    /// Every pending job, due or not.
    pub fn pending_jobs(&self) -> Result<Vec<PrintJob>> {
        self.due_jobs(None, Millis::MAX - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreOptions;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    fn store_with_clock() -> (tempfile::TempDir, Arc<Store>, Arc<AtomicI64>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, clock) = crate::store::open_with_clock(dir.path(), 1_000_000);
        (dir, store, clock)
    }

    /// Why a label was not printed: the printer refused the connection.
    fn refused() -> StoredMessage {
        crate::message!(
            PrinterConnectFailed,
            printer = "zebra-1",
            transport = "tcp://192.168.10.20:9100",
            reason = "connection refused"
        )
        .into()
    }

    fn label(printer: &str) -> NewJob {
        NewJob {
            printer: printer.into(),
            subject: "B0000000016".into(),
            format: PrintFormat::Zpl,
            payload: b"^XA^FDB0000000016^FS^XZ".to_vec(),
            reprint: None,
        }
    }

    #[test]
    fn verify_accepts_the_history_entries_of_every_box_a_label_names() {
        let (_dir, store, _) = store_with_clock();
        let actor = Actor::new("test");
        let two = NewJob {
            subject: "B0000000016,B0000000027".into(),
            ..label("zebra-1")
        };
        let queued = store.queue_print(&actor, &two).expect("queued");
        store
            .job_failed(&actor, queued.id, &refused(), 1_000)
            .expect("delayed");
        store.job_delivering(&actor, queued.id).expect("begins");
        store.job_printed(&actor, queued.id).expect("printed");
        let cancelled = store.queue_print(&actor, &two).expect("queued");
        store
            .write(&actor, |tx| tx.cancel_job(cancelled.id, "wrong box"))
            .expect("cancelled");
        let second = Barcode::parse("B0000000027").expect("the second box");
        assert_eq!(
            store.history(second).expect("history").len(),
            5,
            "queued, delayed, printed, queued, cancelled"
        );
        let report = store.verify().expect("verify");
        assert!(report.is_ok(), "{:?}", report.problems);
    }

    #[test]
    fn jobs_wait_for_their_retry_time_and_survive_a_reopen() {
        let (dir, store, clock) = store_with_clock();
        let actor = Actor::new("test");
        let job = store
            .queue_print(&actor, &label("zebra-1"))
            .expect("queued");
        store.queue_print(&actor, &label("office")).expect("queued");
        assert_eq!(
            store
                .due_jobs(Some("zebra-1"), 1_000_000)
                .expect("due")
                .len(),
            1
        );
        store
            .job_failed(&actor, job.id, &refused(), 1_005_000)
            .expect("failed");
        assert!(store
            .due_jobs(Some("zebra-1"), 1_004_999)
            .expect("due")
            .is_empty());
        let head = store.head().0;
        store
            .job_failed(&actor, job.id, &refused(), 1_010_000)
            .expect("failed again");
        assert_eq!(store.head().0, head, "only the first failure is an event");
        drop(store);

        let store = Store::open(dir.path(), StoreOptions::default()).expect("reopen");
        clock.store(0, Ordering::SeqCst);
        let due = store.due_jobs(Some("zebra-1"), 1_010_000).expect("due");
        assert_eq!(due.len(), 1, "the job survived the restart");
        assert_eq!(due[0].attempts, 2);
        assert_eq!(
            due[0].last_error,
            Some(refused()),
            "kept as a catalog message"
        );
        let printed = store.job_printed(&actor, job.id).expect("printed");
        assert!(matches!(printed.state, PrintState::Printed { .. }));
        assert!(store
            .due_jobs(None, i64::MAX - 1)
            .expect("due")
            .iter()
            .all(|j| j.id != job.id));
        assert_eq!(
            store.pending_jobs().expect("pending").len(),
            1,
            "the office job waits"
        );
    }

    #[test]
    fn the_next_attempt_of_a_printer_is_its_earliest_waiting_job() {
        let (_dir, store, _) = store_with_clock();
        let actor = Actor::new("test");
        assert_eq!(store.next_attempt("zebra-1").expect("read"), None);
        let first = store
            .queue_print(&actor, &label("zebra-1"))
            .expect("queued");
        let second = store
            .queue_print(&actor, &label("zebra-1"))
            .expect("queued");
        store.queue_print(&actor, &label("office")).expect("queued");
        assert_eq!(
            store.next_attempt("zebra-1").expect("read"),
            Some(1_000_000)
        );
        store
            .job_failed(&actor, first.id, &refused(), 1_004_000)
            .expect("failed");
        store
            .job_failed(&actor, second.id, &refused(), 1_002_000)
            .expect("failed");
        assert_eq!(
            store.next_attempt("zebra-1").expect("read"),
            Some(1_002_000),
            "the earliest retry, whichever job it is"
        );
        assert_eq!(
            store.next_attempt("office").expect("read"),
            Some(1_000_000),
            "other printers' jobs are not this printer's"
        );
        store.job_printed(&actor, second.id).expect("printed");
        store
            .write(&actor, |tx| tx.cancel_job(first.id, "label torn"))
            .expect("cancelled");
        assert_eq!(
            store.next_attempt("zebra-1").expect("read"),
            None,
            "printed and cancelled jobs wait for nothing"
        );
    }

    #[test]
    fn a_label_delivered_again_after_an_interrupted_delivery_says_so_in_its_items_history() {
        let (_dir, store, _) = store_with_clock();
        let actor = Actor::new("test");
        let item = Barcode::parse("B0000000016").expect("the label's box");
        let once = store
            .queue_print(&actor, &label("zebra-1"))
            .expect("queued");
        store.job_delivering(&actor, once.id).expect("begins");
        let once = store.job_printed(&actor, once.id).expect("printed");
        assert_eq!((once.deliveries, once.attempts), (1, 1));

        let twice = store
            .queue_print(&actor, &label("zebra-1"))
            .expect("queued");
        store.job_delivering(&actor, twice.id).expect("begins");
        // The station is killed here: no outcome is recorded. After the restart:
        store
            .job_delivering(&actor, twice.id)
            .expect("begins again");
        let twice = store.job_printed(&actor, twice.id).expect("printed");
        assert_eq!((twice.deliveries, twice.attempts), (2, 1));

        let history = store.history(item).expect("history");
        let kinds: Vec<EventKind> = history.iter().map(|event| event.body.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::PrintQueued,
                EventKind::Printed,
                EventKind::PrintQueued,
                EventKind::Printed
            ],
            "the labels' events are in the box's history"
        );
        let change = |at: usize, field: &str| {
            history[at]
                .body
                .changes
                .iter()
                .find(|change| change.field == field)
                .and_then(|change| change.after.clone())
        };
        assert_eq!(
            change(1, "redelivery"),
            None,
            "printed at the first delivery"
        );
        assert_eq!(change(3, "redelivery").as_deref(), Some("2"), "delivery 2");
        assert_eq!(change(3, "interrupted").as_deref(), Some("1"));
    }

    #[test]
    fn a_reprint_needs_a_reason_and_an_original() {
        let (_dir, store, _) = store_with_clock();
        let actor = Actor::new("test");
        let job = store
            .queue_print(&actor, &label("zebra-1"))
            .expect("queued");
        let no_reason = NewJob {
            reprint: Some((job.id, "  ".into())),
            ..label("zebra-1")
        };
        assert!(matches!(
            store.queue_print(&actor, &no_reason),
            Err(StoreError::Refused(Refusal::ReprintReason))
        ));
        let no_original = NewJob {
            reprint: Some((99, "label torn".into())),
            ..label("zebra-1")
        };
        assert!(matches!(
            store.queue_print(&actor, &no_original),
            Err(StoreError::Refused(Refusal::UnknownJob(99)))
        ));
        let reprint = NewJob {
            reprint: Some((job.id, "label torn".into())),
            ..label("zebra-1")
        };
        let again = store.queue_print(&actor, &reprint).expect("reprint queued");
        assert_eq!(again.reprint, Some((job.id, "label torn".into())));
        let events = store.events(1, 100).expect("events");
        let last = events.last().expect("an event");
        assert_eq!(last.body.kind, EventKind::PrintQueued);
        assert!(last
            .body
            .changes
            .iter()
            .any(|c| c.after.as_deref() == Some("label torn")));
    }
}
