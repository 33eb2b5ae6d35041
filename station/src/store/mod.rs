//! The durable store: one sled tree holding items, indexes, loans, handovers and the
//! chained event log. This is the only module that names sled.
//!
//! **Invariant:** every write goes through [`Store::write`]: one sled transaction that
//! changes the records, their indexes and appends their events, taken under one writer lock
//! (so the event chain is strictly sequential), and acknowledged only after a flush that
//! covers it. Writers that commit while a flush runs share the next one (group commit).
//!
//! Opening checks and upgrades what versions the stored data: the schema (key layout and
//! event storage, here), the event format boundary (here; formats in `event.rs`) and each
//! record family's version, migrating older records (`migrate.rs`).

mod backup;
mod commit;
mod contents;
mod credentials;
mod error;
mod handovers;
mod import;
mod items;
mod keys;
mod loans;
mod loanslips;
mod locations;
mod migrate;
mod people;
mod picklists;
mod queue;
mod read;
mod reminders;
mod returns;
mod search;
mod settings;
mod tally;
mod tasks;
mod tokens;
mod tx;
mod verify;

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::event::{Hash, GENESIS};
use crate::model::Millis;

pub use commit::{under_deadline, ChangeNotice, LatencySnapshot, WriteDeadline, LATENCY_BUCKETS};
use commit::{DataFiles, Durability, Latency, WriteFailure};
pub use contents::{BoxContents, ContentsEdit, Supplement};
pub use credentials::{
    check_password, check_pin, generate_password, generate_pin, hash_secret, verify_nothing,
    verify_secret, Credentials, Secret,
};
pub use error::{Refusal, StorageError, StoreError};
pub use handovers::{HandoverExtension, MAX_EXTENSION_REASON};
pub use import::{ImportOutcome, ImportRow};
pub use items::{BoxEdit, MoveOutcome, NewBox, NewCertificate, Warning};
pub use loanslips::{
    LoanSlip, NewLoanSlip, SlipEntry, SlipState, MAX_SLIP_BOXES, MAX_SLIP_DOCUMENTS,
    MAX_SLIP_PURPOSE, MAX_SLIP_REASON,
};
pub use locations::{
    kind_label, parent_fits, parse_sides, Block, Defined, LayoutOutcome, LayoutRefusal,
    LocationEdit, NewLocation, Retired, MAX_BLOCK_SHELVES,
};
pub use people::{NewPerson, PersonEdit};
pub use picklists::{
    pick_list_barcode, pick_list_of, PickEntry, PickFinish, PickLine, PickLineProblem, PickList,
    PickSheet, PickState, PickTick, MAX_PICK_LIST, PICK_LIST_BARCODE_BASE,
};
pub use queue::NewJob;
pub use reminders::{Channel, Notification, MAX_NOTIFICATIONS, MAX_REMINDERS_PER_PASS};
pub use returns::{
    CheckOutcome, CheckState, LentDocument, ReturnCheck, ReturnCheckView, MAX_CHECK_NOTE,
};
pub use settings::StationScheme;
pub use tally::{CategoryCount, Fill};
pub use tasks::{
    NewTask, Posted, StepBy, StepDone, Task, MAX_EXTERNAL_ID, MAX_INBOX, MAX_TASK_DOCUMENTS,
    MAX_TASK_TEXT,
};
pub use tokens::{Login, NewToken, TokenKind};
pub use tx::Tx;
#[cfg(test)]
pub(crate) use verify::tamper;
pub use verify::VerifyReport;

/// The schema version this build reads and writes: the key layout and how events are
/// stored. Version 2 added the event kinds and key families of station-managed schemes and
/// devices; version 3 the event format byte (new events are stored and hashed with it, from
/// the position recorded under `m:event_format_from`; older events stay as they are). An
/// older store is marked current when this build opens it, so that an older build refuses
/// it clearly instead of meeting events it cannot read.
pub const SCHEMA_VERSION: u32 = 3;

/// Default sled page cache: modest, so that `serve` stays small at millions of boxes.
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;

use crate::clock::TimeZone;
pub use crate::clock::{system_clock, Clock};

/// How to open a store.
#[derive(Clone)]
pub struct StoreOptions {
    /// sled page-cache size in bytes.
    pub cache_bytes: u64,
    /// The station name written into every event.
    pub station: String,
    /// The clock events are stamped with.
    pub clock: Clock,
    /// The time zone business dates are in (loan due dates, deadlines, numbering years).
    pub time_zone: TimeZone,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_bytes: DEFAULT_CACHE_BYTES,
            station: "station".to_owned(),
            clock: system_clock(),
            time_zone: TimeZone::host(),
        }
    }
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Encoding plain in-memory data into a Vec has no failure mode but allocation.
    postcard::to_allocvec(value).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(bytes: &[u8], key: &[u8]) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|_| StoreError::corrupt(key))
}

struct Head {
    seq: u64,
    hash: Hash,
}

fn encode_head(seq: u64, hash: &Hash) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..8].copy_from_slice(&seq.to_be_bytes());
    out[8..].copy_from_slice(hash);
    out
}

fn decode_head(bytes: &[u8]) -> Option<(u64, Hash)> {
    let seq = keys::decode_u64(bytes.get(..8)?)?;
    let hash: Hash = bytes.get(8..40)?.try_into().ok()?;
    Some((seq, hash))
}

/// A handle on the store. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    tree: sled::Tree,
    writer: Mutex<Head>,
    /// The first event position stored with a format byte (`m:event_format_from`).
    format_from: u64,
    durability: Durability,
    /// sled's files, synced after each flush.
    files: DataFiles,
    /// The keys written while an online backup is under way.
    follow: backup::Follow,
    options: StoreOptions,
    latency: Latency,
    /// Why the last write did not become durable, until one does.
    write_failure: WriteFailure,
    changes: tokio::sync::broadcast::Sender<ChangeNotice>,
    logins: tokens::Logins,
    _lock: File,
}

/// Who does a write and on behalf of which station: stamped on its events.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

impl Actor {
    /// An actor by name: a badge barcode, a token owner, or `cli`/`import`.
    pub fn new(name: impl Into<String>) -> Actor {
        Actor(name.into())
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`, migrating older record families.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<Store> {
        Store::open_in(dir, options, &migrate::Layout::THIS_BUILD)
    }

    /// [`Store::open`] with the record families and migrations of `layout`.
    fn open_in(dir: &Path, options: StoreOptions, layout: &migrate::Layout<'_>) -> Result<Store> {
        let io = |context: String| move |source| StorageError::Io { context, source };
        // Owner-only: the store is the whole ledger (see `files`).
        crate::files::create_private_dir(dir).map_err(io(format!("creating {}", dir.display())))?;
        warn_if_open_to_others(dir);
        let lock = lock_dir(dir)?;
        let db = open_sled(dir, options.cache_bytes)?;
        // sled creates its files with the process's umask: they are made owner-only here.
        let sled_dir = dir.join("store");
        crate::files::restrict(&sled_dir)
            .map_err(io(format!("making {} owner-only", sled_dir.display())))?;
        let tree = db
            .open_tree("archive")
            .map_err(StoreError::storage("opening the archive tree"))?;
        let display = dir.display().to_string();
        match tree
            .get(keys::SCHEMA)
            .map_err(StoreError::storage("reading the schema version"))?
        {
            Some(bytes) => {
                let found = <[u8; 4]>::try_from(bytes.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StorageError::SchemaUnknown {
                        path: display.clone(),
                    })?;
                if found > SCHEMA_VERSION {
                    return Err(StorageError::SchemaTooNew {
                        path: display,
                        found,
                        supported: SCHEMA_VERSION,
                    }
                    .into());
                }
                if found == 0 {
                    return Err(StorageError::SchemaUnknown { path: display }.into());
                }
                if found < SCHEMA_VERSION {
                    upgrade_schema(&tree, found)?;
                }
            }
            None => {
                let other_trees = db
                    .tree_names()
                    .iter()
                    .any(|name| name.as_ref() != b"archive" && name.as_ref() != b"__sled__default");
                if !tree.is_empty() || other_trees || !db.is_empty() {
                    return Err(StorageError::SchemaUnknown { path: display }.into());
                }
                let mut batch = sled::Batch::default();
                batch.insert(keys::SCHEMA, &SCHEMA_VERSION.to_be_bytes());
                batch.insert(keys::EVENT_FORMAT_FROM, &1u64.to_be_bytes());
                migrate::new_store_versions(layout, &mut batch);
                tree.apply_batch(batch)
                    .map_err(StoreError::storage("writing the schema version"))?;
                tree.flush().map_err(StoreError::storage("flushing"))?;
            }
        }
        let format_from = tree
            .get(keys::EVENT_FORMAT_FROM)
            .map_err(StoreError::storage("reading the event format"))?
            .and_then(|bytes| keys::decode_u64(&bytes))
            .filter(|from| *from >= 1)
            .ok_or_else(|| StorageError::Corrupt {
                key: String::from_utf8_lossy(keys::EVENT_FORMAT_FROM).into_owned(),
            })?;
        migrate::run(&tree, &display, layout)?;
        let (seq, hash) = read_head(&tree)?;
        let files = DataFiles::open(dir, &dir.join("store"))?;
        Ok(Store {
            dir: dir.to_owned(),
            db,
            tree,
            writer: Mutex::new(Head { seq, hash }),
            format_from,
            durability: Durability::new(),
            files,
            follow: backup::Follow::default(),
            options,
            latency: Latency::default(),
            write_failure: WriteFailure::default(),
            changes: tokio::sync::broadcast::channel(1024).0,
            logins: tokens::Logins::default(),
            _lock: lock,
        })
    }

    /// The current time by the store's clock.
    pub fn now(&self) -> Millis {
        (self.options.clock)()
    }

    /// The station's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.options.time_zone
    }

    /// Today's date in the station's time zone, by the store's clock: the one "today" of
    /// every business rule.
    pub fn today(&self) -> chrono::NaiveDate {
        self.options.time_zone.date_at(self.now())
    }

    /// The year of [`Store::today`], as archive numbers carry it.
    pub fn this_year(&self) -> u16 {
        u16::try_from(chrono::Datelike::year(&self.today())).unwrap_or(2000)
    }

    /// Each record family's name and the version recorded for its records (after
    /// [`Store::open`], this build's for every family).
    pub fn record_versions(&self) -> Result<Vec<(&'static str, Option<u32>)>> {
        migrate::FAMILIES
            .iter()
            .map(|family| {
                Ok((
                    family.name,
                    migrate::recorded_version(&self.tree, family.name)?,
                ))
            })
            .collect()
    }
}

/// The chain head: the last event's seq and hash (none yet: 0 and the genesis hash).
fn read_head(tree: &sled::Tree) -> Result<(u64, Hash)> {
    match tree
        .get(keys::HEAD)
        .map_err(StoreError::storage("reading the chain head"))?
    {
        Some(bytes) => Ok(decode_head(&bytes).ok_or_else(|| StorageError::Corrupt {
            key: "m:head".to_owned(),
        })?),
        None => Ok((0, GENESIS)),
    }
}

/// Marks a store of schema `found` current. From 3 on, events are stored and hashed with a
/// format byte: the events already there stay as they are (format 0), so the first
/// position of the new format is the one after the head, `head_seq + 1`. It is written in
/// the same atomic batch as the schema version (and kept if a store somehow has it), so a
/// crash leaves either the old schema or the new one with its boundary, never half.
fn upgrade_schema(tree: &sled::Tree, found: u32) -> Result<()> {
    let (head_seq, _) = read_head(tree)?;
    let mut batch = sled::Batch::default();
    let format_from = match tree
        .get(keys::EVENT_FORMAT_FROM)
        .map_err(StoreError::storage("reading the event format"))?
    {
        Some(bytes) => bytes,
        None => {
            let from = head_seq.saturating_add(1).to_be_bytes();
            batch.insert(keys::EVENT_FORMAT_FROM, &from);
            sled::IVec::from(&from)
        }
    };
    batch.insert(keys::SCHEMA, &SCHEMA_VERSION.to_be_bytes());
    tree.apply_batch(batch)
        .map_err(StoreError::storage("upgrading the schema version"))?;
    tree.flush().map_err(StoreError::storage("flushing"))?;
    tracing::info!(
        from = found,
        to = SCHEMA_VERSION,
        event_format_from = keys::decode_u64(&format_from),
        "store schema upgraded"
    );
    Ok(())
}

/// Opens the sled database under `dir`, whose `LOCK` this process already holds.
///
/// sled's own file lock can outlive a dropped `Db` for a moment, while its background
/// threads finish (seen when a store is closed and opened again in one process). Holding
/// `LOCK` proves no other process has the store, so a refused sled lock can only be that
/// moment: wait for it, a few seconds at most, instead of failing the open.
fn open_sled(dir: &Path, cache_bytes: u64) -> Result<sled::Db> {
    open_sled_waiting(dir, cache_bytes, &mut || {
        std::thread::sleep(std::time::Duration::from_millis(20))
    })
}

/// [`open_sled`], calling `wait` between a refused attempt and the next (tests pass a
/// `wait` that lets go of the lock they hold, instead of sleeping on both sides).
fn open_sled_waiting(dir: &Path, cache_bytes: u64, wait: &mut dyn FnMut()) -> Result<sled::Db> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let config = sled::Config::new()
            .path(dir.join("store"))
            .cache_capacity(cache_bytes);
        match config.open() {
            Err(sled::Error::Io(error))
                if error.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                wait();
            }
            other => return other.map_err(StoreError::storage("opening the store")),
        }
    }
}

/// Logs a warning, with the command that fixes it, when users other than its owner may
/// read the data directory `dir` (a directory made before the station created its
/// directories owner-only, or opened up by hand).
pub(crate) fn warn_if_open_to_others(dir: &Path) {
    if let Ok(Some(mode)) = crate::files::open_to_others(dir) {
        let message = crate::message!(
            StoreOpenToOthers,
            path = dir.display().to_string(),
            mode = format!("0{mode:o}"),
            command = crate::files::chmod_command(dir)
        );
        tracing::warn!(code = %message.code, "{}", message.text.en);
    }
}

/// Takes the data directory's lock file, so that two processes never share a store.
fn lock_dir(dir: &Path) -> Result<File> {
    lock_dir_waiting(dir, &mut || {
        std::thread::sleep(std::time::Duration::from_millis(10));
    })
}

/// [`lock_dir`], calling `wait` between a refused attempt and the next while the holder
/// is this process (tests pass a `wait` that lets go of the lock they hold).
fn lock_dir_waiting(dir: &Path, wait: &mut dyn FnMut()) -> Result<File> {
    let path = dir.join("LOCK");
    let mut file = crate::files::private_file()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|source| StorageError::Io {
            context: format!("opening {}", path.display()),
            source,
        })?;
    // A store of this process just dropped can still be locked for a moment: a child
    // process forked by another thread holds a copy of the lock's descriptor until its
    // exec. So a lock held under this process's own pid is waited for (at most 2 s);
    // any other holder is refused at once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                let pid = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|text| text.trim().parse::<u32>().ok());
                if pid == Some(std::process::id()) && std::time::Instant::now() < deadline {
                    wait();
                    continue;
                }
                return Err(StorageError::Locked {
                    path: dir.display().to_string(),
                    holder: pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default(),
                }
                .into());
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(StorageError::Io {
                    context: format!("locking {}", path.display()),
                    source,
                }
                .into())
            }
        }
    }
    // Best effort: the pid only makes the "in use" message more helpful.
    let _ = file.set_len(0);
    let _ = writeln!(file, "{}", std::process::id());
    Ok(file)
}

/// The kind, actor and changes of each event after `from`, for tests.
#[cfg(test)]
pub(crate) fn events_since(
    store: &Store,
    from: u64,
) -> Vec<(crate::event::EventKind, String, Vec<crate::event::Change>)> {
    store
        .events(from + 1, 1000)
        .expect("events")
        .into_iter()
        .map(|event| (event.body.kind, event.body.actor, event.body.changes))
        .collect()
}

/// A store in `dir` whose clock a test sets: milliseconds since the epoch, `start` first;
/// business dates in UTC.
#[cfg(test)]
pub(crate) fn open_with_clock(
    dir: &Path,
    start: Millis,
) -> (
    std::sync::Arc<Store>,
    std::sync::Arc<std::sync::atomic::AtomicI64>,
) {
    open_with_clock_in(dir, start, TimeZone::utc())
}

/// A store in `dir` whose clock a test sets, with business dates in `time_zone`.
#[cfg(test)]
pub(crate) fn open_with_clock_in(
    dir: &Path,
    start: Millis,
    time_zone: TimeZone,
) -> (
    std::sync::Arc<Store>,
    std::sync::Arc<std::sync::atomic::AtomicI64>,
) {
    let clock = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(start));
    let tick = clock.clone();
    let store = Store::open(
        dir,
        StoreOptions {
            clock: std::sync::Arc::new(move || tick.load(std::sync::atomic::Ordering::SeqCst)),
            time_zone,
            ..StoreOptions::default()
        },
    )
    .expect("store");
    (std::sync::Arc::new(store), clock)
}

#[cfg(test)]
pub(crate) mod tests;
