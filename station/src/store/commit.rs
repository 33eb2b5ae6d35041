//! Writes and their durability: one writer lock (the event chain is strictly sequential),
//! one sled transaction per change, group commit (writers that commit while a flush runs
//! share the next one), the durable-write latency histogram, and the announcement of each
//! committed change to live subscribers.

use super::{encode_head, keys, Actor, Head, Result, StorageError, Store, StoreError, Tx};
use crate::barcode::Barcode;
use crate::event::{Event, EventKind, Format};
use crate::numbering::Scheme;
use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Group commit: writers wait until a flush that started after their commit has ended.
pub(super) struct Durability {
    /// Commits so far (tickets handed out).
    pub(super) committed: AtomicU64,
    /// Commits covered by a finished flush.
    pub(super) durable: AtomicU64,
    /// Writers that have started but not yet committed.
    pub(super) pending: AtomicU64,
    /// Whether a writer is flushing now, for everyone committed before it began. Held only
    /// to look and to change it, never across the flush itself.
    pub(super) flushing: Mutex<bool>,
    /// Told when a flush ends: its waiters look whether it covered them.
    pub(super) flushed: Condvar,
}

/// The flush under way: the mark is taken off (and waiters told) when it ends, a panic
/// included, so no writer waits for a flush that will never end.
struct Flushing<'a>(&'a Durability);

impl Drop for Flushing<'_> {
    fn drop(&mut self) {
        *self.0.lock_flushing() = false;
        self.0.flushed.notify_all();
    }
}

impl Durability {
    fn lock_flushing(&self) -> MutexGuard<'_, bool> {
        // One bool, set and cleared whole: a poisoned lock still guards a sound value.
        self.flushing
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// How long a flush waits for writers already under way, so that one fsync covers them
/// too. Only taken while other writers are pending: a lone writer never waits.
pub(super) const COMMIT_DELAY: Duration = Duration::from_micros(1000);

/// Counts a writer as pending until it has committed or failed.
pub(super) struct Pending<'a>(&'a AtomicU64);

impl<'a> Pending<'a> {
    pub(super) fn enter(counter: &'a AtomicU64) -> Pending<'a> {
        counter.fetch_add(1, Ordering::SeqCst);
        Pending(counter)
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A committed change, announced to live subscribers (the `/api/v1/live` stream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeNotice {
    /// The first event of the change.
    pub seq: u64,
    /// How many events it recorded (more than one: a bulk change such as an import chunk).
    pub count: u64,
    /// What happened (the first event's kind).
    pub kind: EventKind,
    /// The item concerned, if one.
    pub item: Option<Barcode>,
    /// Who did it.
    pub actor: String,
}

/// Upper bounds (seconds) of the durable-write latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 9] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

/// A cumulative latency histogram, updated without locks.
#[derive(Default)]
pub(super) struct Latency {
    pub(super) buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    pub(super) count: AtomicU64,
    pub(super) sum_micros: AtomicU64,
}

/// A copy of the durable-write latency histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencySnapshot {
    /// (upper bound in seconds, writes at or under it), cumulative.
    pub buckets: Vec<(f64, u64)>,
    /// Writes in all.
    pub count: u64,
    /// Their total time in seconds.
    pub sum_seconds: f64,
}

impl Latency {
    pub(super) fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> LatencySnapshot {
        LatencySnapshot {
            buckets: LATENCY_BUCKETS
                .iter()
                .zip(&self.buckets)
                .map(|(bound, bucket)| (*bound, bucket.load(Ordering::Relaxed)))
                .collect(),
            count: self.count.load(Ordering::Relaxed),
            sum_seconds: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }
}

/// A transaction with more events than this (an import chunk) is logged as one summary.
pub(super) const MAX_LOGGED_EVENTS: usize = 8;

/// Logs each state change once: every event of a small transaction, or one line for a
/// bulk one.
pub(super) fn log_events(
    actor: &str,
    before: u64,
    after: u64,
    logged: &[(u64, EventKind, Option<Barcode>)],
) {
    let count = after - before;
    if count as usize > logged.len() {
        tracing::info!(
            actor,
            first = before + 1,
            last = after,
            count,
            "events recorded"
        );
        return;
    }
    for (seq, kind, item) in logged {
        match item {
            Some(item) => tracing::info!(seq, ?kind, %item, actor, "event"),
            None => tracing::info!(seq, ?kind, actor, "event"),
        }
    }
}
impl Store {
    pub(super) fn writer(&self) -> MutexGuard<'_, Head> {
        // A panic while holding the lock cannot leave the head wrong: it is only updated
        // after a successful commit. So a poisoned lock is safe to keep using.
        self.writer
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Runs `f` as one transaction, appends its events to the chain, and returns once the
    /// whole effect is durable.
    pub fn write<T, F>(&self, actor: &Actor, f: F) -> Result<T>
    where
        F: Fn(&mut Tx<'_>) -> Result<T>,
    {
        let now = self.now();
        let started = Instant::now();
        let pending = Pending::enter(&self.durability.pending);
        let ticket;
        let out = {
            let mut head = self.writer();
            let result = self.tree.transaction(|tree| {
                let mut tx = Tx {
                    tree,
                    actor: &actor.0,
                    station: &self.options.station,
                    time_zone: &self.options.time_zone,
                    now,
                    events: Vec::new(),
                };
                let out = f(&mut tx).map_err(|error| match error {
                    StoreError::Failed(StorageError::Conflict) => {
                        ConflictableTransactionError::Conflict
                    }
                    other => ConflictableTransactionError::Abort(other),
                })?;
                let mut seq = head.seq;
                let mut hash = head.hash;
                let mut logged = Vec::with_capacity(tx.events.len().min(MAX_LOGGED_EVENTS));
                let mut touches_logins = false;
                for (body, others) in tx.events.drain(..) {
                    touches_logins |= touches_logins_of(&body);
                    if logged.len() < MAX_LOGGED_EVENTS {
                        logged.push((seq + 1, body.kind, body.item));
                    }
                    seq += 1;
                    let item = body.item;
                    // Every event from the boundary on is in the current format (an event
                    // before it cannot be new; were one, it would be read as format 0).
                    let format = if seq < self.format_from {
                        Format::Unversioned
                    } else {
                        Format::CURRENT
                    };
                    let event = Event::chain_as(format, &hash, seq, body);
                    hash = event.hash;
                    let mut bytes = Vec::with_capacity(256);
                    event.encode(&mut bytes);
                    tree.insert(keys::event(seq), bytes)?;
                    for item in item.into_iter().chain(others) {
                        tree.insert(keys::history(item, seq), &[])?;
                    }
                }
                if seq != head.seq {
                    tree.insert(keys::HEAD, &encode_head(seq, &hash)[..])?;
                }
                Ok((out, seq, hash, logged, touches_logins))
            });
            let (out, seq, hash, logged, touches_logins) = match result {
                Ok(done) => done,
                Err(TransactionError::Abort(error)) => return Err(error),
                Err(TransactionError::Storage(source)) => {
                    return Err(StoreError::storage("committing a change")(source))
                }
            };
            if touches_logins {
                self.logins.forget();
            }
            log_events(&actor.0, head.seq, seq, &logged);
            self.announce(&actor.0, head.seq, seq, &logged);
            head.seq = seq;
            head.hash = hash;
            ticket = self.durability.committed.fetch_add(1, Ordering::SeqCst) + 1;
            drop(pending);
            out
        };
        self.wait_durable(ticket)?;
        self.latency.observe(started.elapsed());
        Ok(out)
    }

    /// Subscribes to every change committed from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ChangeNotice> {
        self.changes.subscribe()
    }

    /// Tells live subscribers about a commit: each event of a small change, one notice
    /// for a bulk one.
    pub(super) fn announce(
        &self,
        actor: &str,
        before: u64,
        after: u64,
        logged: &[(u64, EventKind, Option<Barcode>)],
    ) {
        if self.changes.receiver_count() == 0 || after == before {
            return;
        }
        let count = after - before;
        if count as usize > logged.len() {
            if let Some((seq, kind, item)) = logged.first() {
                let _ = self.changes.send(ChangeNotice {
                    seq: *seq,
                    count,
                    kind: *kind,
                    item: *item,
                    actor: actor.to_owned(),
                });
            }
            return;
        }
        for (seq, kind, item) in logged {
            let _ = self.changes.send(ChangeNotice {
                seq: *seq,
                count: 1,
                kind: *kind,
                item: *item,
                actor: actor.to_owned(),
            });
        }
    }

    /// How long durable writes took, as a histogram (for `/metrics`).
    pub fn write_latency(&self) -> LatencySnapshot {
        self.latency.snapshot()
    }

    /// Returns once every commit up to `ticket` is on disk, sharing flushes between writers.
    pub(super) fn wait_durable(&self, ticket: u64) -> Result<()> {
        let durability = &self.durability;
        if durability.durable.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        {
            let mut flushing = durability.lock_flushing();
            loop {
                if durability.durable.load(Ordering::SeqCst) >= ticket {
                    return Ok(());
                }
                if !*flushing {
                    break;
                }
                flushing = durability
                    .flushed
                    .wait(flushing)
                    .unwrap_or_else(|poison| poison.into_inner());
            }
            *flushing = true;
        }
        // This writer flushes for everyone committed so far; no lock is held meanwhile.
        let _flushing = Flushing(durability);
        let deadline = Instant::now() + COMMIT_DELAY;
        while durability.pending.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_micros(20));
        }
        let covered = durability.committed.load(Ordering::SeqCst);
        self.tree
            .flush()
            .map_err(StoreError::storage("flushing to disk"))?;
        durability.durable.fetch_max(covered, Ordering::SeqCst);
        Ok(())
    }

    /// Waits until everything written so far is durable (used before shutdown).
    pub fn flush(&self) -> Result<()> {
        self.tree
            .flush()
            .map_err(StoreError::storage("flushing to disk"))?;
        Ok(())
    }

    /// Takes a numbering scheme's next number for `year` in its own transaction.
    pub fn allocate_archive_no(&self, actor: &Actor, scheme: &Scheme, year: u16) -> Result<String> {
        self.write(actor, |tx| tx.allocate_archive_no(scheme, year))
    }
}

/// Whether an event may change who a token lets in: it is about a token, or its item is a
/// person (registered, renamed, given another role, leaving or back). A refusal recorded
/// against a person changes nothing of them. Erring towards yes only costs a store read.
fn touches_logins_of(body: &crate::event::EventBody) -> bool {
    match body.kind {
        EventKind::TokenCreated | EventKind::TokenRevoked => true,
        EventKind::AccessDenied => false,
        _ => body
            .item
            .is_some_and(|item| item.kind() == crate::barcode::Kind::Person),
    }
}
