//! Writes and their durability: one writer lock (the event chain is strictly sequential),
//! one sled transaction per change, group commit (writers that commit while a flush runs
//! share the next one), the real durability of sled's files after each flush
//! ([`DataFiles`]: `fdatasync`, since sled 0.34 itself only calls `sync_file_range`), the
//! durable-write latency histogram, and the announcement of each durable change to live
//! subscribers.

use super::{encode_head, keys, Actor, Head, Result, StorageError, Store, StoreError, Tx};
use crate::barcode::Barcode;
use crate::event::{Event, EventKind, Format};
use crate::numbering::Scheme;
use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use std::collections::{HashSet, VecDeque};
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
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
    /// What committed writes will tell live subscribers, by ticket, in commit order: sent
    /// by the flush that covers them, never before.
    pub(super) announcements: Mutex<VecDeque<(u64, Vec<ChangeNotice>)>>,
}

impl Durability {
    pub(super) fn new() -> Durability {
        Durability {
            committed: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            pending: AtomicU64::new(0),
            flushing: Mutex::new(false),
            flushed: Condvar::new(),
            announcements: Mutex::new(VecDeque::new()),
        }
    }
}

/// sled's files under the store directory, kept open so that each group commit makes them
/// durable for real. sled 0.34 writes its log (`db`) with `pwrite` and `sync_file_range`,
/// which flushes neither the file's metadata (its size as it grows) nor the disk's write
/// cache; it writes `conf` once without any sync, a value too large for the log as a file
/// of its own in `blobs/` without any sync, and its snapshot (`snap.*`, only while it
/// opens) with an fsync but renamed without one of the directory. So:
///
/// - at open, `conf`, `db`, every blob, `blobs/`, the store directory, the data
///   directory and (best effort) its parent are fsynced (the snapshot's rename and every
///   file's creation made durable);
/// - after each flush, every blob not synced yet and then `blobs/` (a new blob's name), then
///   `db` with `fdatasync` (its data and its size).
///
/// **Invariant:** a write is acknowledged only after `db`'s `fdatasync` that began after its
/// commit has returned. A failed sync is sticky: the kernel may have dropped the pages it
/// could not write, so a later sync succeeding proves nothing; every later write fails
/// until the store is opened again (which replays sled's log from what is on disk).
pub(super) struct DataFiles {
    db: File,
    blobs: PathBuf,
    blobs_dir: File,
    /// The blob files already synced (only the flushing writer touches it).
    pub(super) synced_blobs: Mutex<HashSet<OsString>>,
    /// The first sync that failed, if one did (what was being synced, and the OS error).
    failed: Mutex<Option<(String, std::io::ErrorKind, String)>>,
}

fn io_error(context: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |source| StoreError::Failed(StorageError::Io { context, source })
}

/// Opens `path` (a file or a directory) read-only, to sync it.
fn open_for_sync(path: &Path) -> Result<File> {
    File::open(path).map_err(io_error(format!("opening {} to sync it", path.display())))
}

/// fsyncs `path`, a file or a directory.
fn fsync_path(path: &Path) -> Result<()> {
    open_for_sync(path)?
        .sync_all()
        .map_err(io_error(format!("syncing {}", path.display())))
}

impl DataFiles {
    /// Opens sled's files in `store_dir` (inside `data_dir`) and makes everything sled wrote
    /// while it opened durable, with the directories that name them.
    pub(super) fn open(data_dir: &Path, store_dir: &Path) -> Result<DataFiles> {
        let db_path = store_dir.join("db");
        let db = open_for_sync(&db_path)?;
        let blobs = store_dir.join("blobs");
        let blobs_dir = open_for_sync(&blobs)?;
        let files = DataFiles {
            db,
            blobs,
            blobs_dir,
            synced_blobs: Mutex::new(HashSet::new()),
            failed: Mutex::new(None),
        };
        files.sync_blobs()?;
        files.synced(&files.blobs, files.blobs_dir.sync_all())?;
        fsync_path(&store_dir.join("conf"))?;
        files
            .db
            .sync_all()
            .map_err(io_error(format!("syncing {}", db_path.display())))?;
        fsync_path(store_dir)?;
        fsync_path(data_dir)?;
        // The data directory's own name, when this open created it. Best effort: a parent
        // this process may not read cannot be synced, and was most likely not just made.
        if let Some(parent) = data_dir
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            if let Err(error) = fsync_path(parent) {
                tracing::debug!(%error, "could not sync the data directory's parent");
            }
        }
        Ok(files)
    }

    /// Makes what sled has flushed durable: new blobs and their names, then the log.
    pub(super) fn sync(&self) -> Result<()> {
        if let Some((context, kind, reason)) = self.lock_failed().as_ref() {
            return Err(StoreError::Failed(StorageError::Io {
                context: format!("{context}, which failed earlier: reopen the store"),
                source: std::io::Error::new(*kind, reason.clone()),
            }));
        }
        self.sync_blobs()?;
        let db = self.blobs.with_file_name("db");
        self.synced(&db, self.db.sync_data())
    }

    fn lock_failed(&self) -> MutexGuard<'_, Option<(String, std::io::ErrorKind, String)>> {
        // Set once and never cleared: a poisoned lock still guards a sound value.
        self.failed
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The outcome of syncing `path`; a failure is remembered for every later sync.
    fn synced(&self, path: &Path, outcome: std::io::Result<()>) -> Result<()> {
        outcome.map_err(|source| {
            let context = format!("syncing {}", path.display());
            *self.lock_failed() = Some((context.clone(), source.kind(), source.to_string()));
            StoreError::Failed(StorageError::Io { context, source })
        })
    }

    /// fsyncs every blob file not synced yet, then (if there was one) the blob directory.
    fn sync_blobs(&self) -> Result<()> {
        let mut synced = self
            .synced_blobs
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let listing = std::fs::read_dir(&self.blobs)
            .map_err(io_error(format!("listing {}", self.blobs.display())))?;
        let mut present = HashSet::new();
        let mut new_blobs = false;
        for entry in listing {
            let entry = entry.map_err(io_error(format!("listing {}", self.blobs.display())))?;
            let name = entry.file_name();
            if !synced.contains(&name) {
                let path = entry.path();
                let file = match File::open(&path) {
                    Ok(file) => file,
                    // sled removed it meanwhile (the value was rewritten or deleted).
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(source) => {
                        return Err(io_error(format!("opening {} to sync it", path.display()))(
                            source,
                        ))
                    }
                };
                self.synced(&path, file.sync_data())?;
                new_blobs = true;
            }
            present.insert(name);
        }
        // Blobs sled removed are forgotten, so the set stays as small as the directory.
        *synced = present;
        drop(synced);
        if new_blobs {
            self.synced(&self.blobs, self.blobs_dir.sync_all())?;
        }
        Ok(())
    }
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
    fn lock_announcements(&self) -> MutexGuard<'_, VecDeque<(u64, Vec<ChangeNotice>)>> {
        // Whole entries are pushed and popped: a poisoned lock still guards a sound queue.
        self.announcements
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

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

/// Why the last write failed in storage (it could not be committed or made durable), kept
/// until a later write is durable: what `/healthz` tells without writing anything itself.
#[derive(Default)]
pub(super) struct WriteFailure(Mutex<Option<crate::message::Message>>);

impl WriteFailure {
    fn note<T>(&self, outcome: &Result<T>) {
        let mut last = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        match outcome {
            Ok(_) => *last = None,
            Err(StoreError::Failed(failure)) => *last = Some(failure.message()),
            // A refusal (a rule said no) says nothing about the storage.
            Err(StoreError::Refused(_)) => {}
        }
    }
}

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

/// The deadline of a request that may write (an HTTP request under its time limit): its
/// writes may begin only while the deadline has not been given up on, and once one has
/// begun, the request is answered with what it did, however long that takes. So a client
/// told "timed out" was told the truth: nothing of its request changed.
#[derive(Debug, Default)]
pub struct WriteDeadline(AtomicU8);

const DEADLINE_OPEN: u8 = 0;
const DEADLINE_WRITING: u8 = 1;
const DEADLINE_GIVEN_UP: u8 = 2;

impl WriteDeadline {
    /// Gives up on the request when its time is up: `true` if none of its writes had begun
    /// (none will now: each is refused with [`Refusal::TimedOut`](super::Refusal::TimedOut),
    /// changing nothing), `false` if one had (wait for its answer, it tells the change).
    pub fn give_up(&self) -> bool {
        match self.0.compare_exchange(
            DEADLINE_OPEN,
            DEADLINE_GIVEN_UP,
            Ordering::SeqCst,
            Ordering::SeqCst,
        ) {
            Ok(_) => true,
            Err(state) => state == DEADLINE_GIVEN_UP,
        }
    }

    /// Called by a write holding the writer lock, before its transaction: whether it may
    /// begin.
    fn begin_write(&self) -> bool {
        match self.0.compare_exchange(
            DEADLINE_OPEN,
            DEADLINE_WRITING,
            Ordering::SeqCst,
            Ordering::SeqCst,
        ) {
            Ok(_) => true,
            Err(state) => state == DEADLINE_WRITING,
        }
    }
}

thread_local! {
    /// The deadline of the request whose store work runs on this thread, if any.
    static DEADLINE: std::cell::RefCell<Option<std::sync::Arc<WriteDeadline>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `work` (store work of one request, on this thread) under `deadline`: every
/// [`Store::write`] in it begins only if the deadline has not been given up on.
pub fn under_deadline<T>(
    deadline: Option<std::sync::Arc<WriteDeadline>>,
    work: impl FnOnce() -> T,
) -> T {
    struct Restore(Option<std::sync::Arc<WriteDeadline>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            DEADLINE.with(|current| *current.borrow_mut() = previous);
        }
    }
    let previous = DEADLINE.with(|current| current.replace(deadline));
    let _restore = Restore(previous);
    work()
}

/// Whether a write on this thread may begin (no deadline, or one not given up on).
fn may_begin_write() -> bool {
    DEADLINE.with(|current| {
        current
            .borrow()
            .as_ref()
            .is_none_or(|deadline| deadline.begin_write())
    })
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
            if !may_begin_write() {
                return Err(super::Refusal::TimedOut.into());
            }
            // Read under the writer lock, where an online backup starts following writes.
            let followed = self.follow.is_on();
            let result = self.tree.transaction(|tree| {
                let mut tx = Tx {
                    tree,
                    actor: &actor.0,
                    station: &self.options.station,
                    time_zone: &self.options.time_zone,
                    now,
                    events: Vec::new(),
                    touched: followed.then(Default::default),
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
                for (body, others) in std::mem::take(&mut tx.events) {
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
                    tx.touch(&keys::event(seq));
                    tree.insert(keys::event(seq), bytes)?;
                    for item in item.into_iter().chain(others) {
                        tx.touch(&keys::history(item, seq));
                        tree.insert(keys::history(item, seq), &[])?;
                    }
                }
                if seq != head.seq {
                    tx.touch(keys::HEAD);
                    tree.insert(keys::HEAD, &encode_head(seq, &hash)[..])?;
                }
                let touched = tx.touched.take().map(std::cell::RefCell::into_inner);
                Ok((out, seq, hash, logged, touches_logins, touched))
            });
            let (out, seq, hash, logged, touches_logins, touched) = match result {
                Ok(done) => done,
                Err(TransactionError::Abort(error)) => {
                    let failed = Err(error);
                    self.write_failure.note(&failed);
                    return failed;
                }
                Err(TransactionError::Storage(source)) => {
                    let failed = Err(StoreError::storage("committing a change")(source));
                    self.write_failure.note(&failed);
                    return failed;
                }
            };
            if let Some(touched) = touched {
                self.follow.record(touched);
            }
            if touches_logins {
                self.logins.forget();
            }
            log_events(&actor.0, head.seq, seq, &logged);
            let notices = self.notices(&actor.0, head.seq, seq, &logged);
            head.seq = seq;
            head.hash = hash;
            ticket = self.durability.committed.fetch_add(1, Ordering::SeqCst) + 1;
            if !notices.is_empty() {
                // Queued under the writer lock, so in commit order; sent once durable.
                self.durability
                    .lock_announcements()
                    .push_back((ticket, notices));
            }
            drop(pending);
            out
        };
        let durable = self.wait_durable(ticket);
        self.write_failure.note(&durable);
        durable?;
        self.latency.observe(started.elapsed());
        Ok(out)
    }

    /// Why the last write failed in storage (e.g. `store.disk_full`), if no write has been
    /// durable since. Nothing is written to find out.
    pub fn write_problem(&self) -> Option<crate::message::Message> {
        self.write_failure
            .0
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    /// Subscribes to every change committed from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ChangeNotice> {
        self.changes.subscribe()
    }

    /// What live subscribers are to be told of a commit: each event of a small change, one
    /// notice for a bulk one (nothing when nobody listens).
    fn notices(
        &self,
        actor: &str,
        before: u64,
        after: u64,
        logged: &[(u64, EventKind, Option<Barcode>)],
    ) -> Vec<ChangeNotice> {
        if self.changes.receiver_count() == 0 || after == before {
            return Vec::new();
        }
        let count = after - before;
        if count as usize > logged.len() {
            return logged
                .first()
                .map(|(seq, kind, item)| ChangeNotice {
                    seq: *seq,
                    count,
                    kind: *kind,
                    item: *item,
                    actor: actor.to_owned(),
                })
                .into_iter()
                .collect();
        }
        logged
            .iter()
            .map(|(seq, kind, item)| ChangeNotice {
                seq: *seq,
                count: 1,
                kind: *kind,
                item: *item,
                actor: actor.to_owned(),
            })
            .collect()
    }

    /// Tells live subscribers about every queued commit up to ticket `durable`, in commit
    /// order: called by the flush that made them durable.
    fn announce_durable(&self, durable: u64) {
        let mut queue = self.durability.lock_announcements();
        while queue.front().is_some_and(|(ticket, _)| *ticket <= durable) {
            if let Some((_, notices)) = queue.pop_front() {
                for notice in notices {
                    let _ = self.changes.send(notice);
                }
            }
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
        self.flush()?;
        durability.durable.fetch_max(covered, Ordering::SeqCst);
        self.announce_durable(covered);
        Ok(())
    }

    /// Waits until everything written so far is durable: sled's flush, then the sync of its
    /// files ([`DataFiles`]). Used by every group commit and before shutdown.
    pub fn flush(&self) -> Result<()> {
        self.tree
            .flush()
            .map_err(StoreError::storage("flushing to disk"))?;
        self.files.sync()
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
