//! The durable store: one sled tree holding items, indexes, loans, handovers and the
//! chained event log. This is the only module that names sled.
//!
//! **Invariant:** every write goes through [`Store::write`]: one sled transaction that
//! changes the records, their indexes and appends their events, taken under one writer lock
//! (so the event chain is strictly sequential), and acknowledged only after a flush that
//! covers it. Writers that commit while a flush runs share the next one (group commit).

mod keys;
mod ops;
mod people;
mod queue;
mod settings;
mod tokens;
mod verify;

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};

use crate::barcode::{Barcode, BarcodeError, Kind};
use crate::event::{Event, EventBody, EventKind, Hash, GENESIS};
use crate::model::{
    customer_key, ArchiveBox, Certificate, FieldError, Handover, Item, Loan, Location, Millis,
    PathError, Person,
};
use crate::numbering::{ArchiveNoError, Scheme};

pub use ops::{
    BoxEdit, ImportOutcome, ImportRow, MoveOutcome, NewBox, NewCertificate, NewLocation, NewPerson,
    Warning,
};
pub use people::PersonEdit;
pub use queue::NewJob;
pub use settings::StationScheme;
pub use tokens::NewToken;
pub use verify::VerifyReport;

/// The schema version this build reads and writes. Version 2 added the event kinds and
/// key families of station-managed schemes and devices; a version-1 store is marked 2 when
/// this build opens it (nothing else changes), so that an older build refuses it clearly
/// instead of meeting events it cannot read.
pub const SCHEMA_VERSION: u32 = 2;

/// Default sled page cache: modest, so that `serve` stays small at millions of boxes.
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// A source of the current time in milliseconds (injectable for tests).
pub type Clock = Arc<dyn Fn() -> Millis + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| chrono::Utc::now().timestamp_millis())
}

/// How to open a store.
#[derive(Clone)]
pub struct StoreOptions {
    /// sled page-cache size in bytes.
    pub cache_bytes: u64,
    /// The station name written into every event.
    pub station: String,
    /// The clock events are stamped with.
    pub clock: Clock,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_bytes: DEFAULT_CACHE_BYTES,
            station: "station".to_owned(),
            clock: system_clock(),
        }
    }
}

/// Everything that can go wrong in the store, with what a person needs to know.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory is used by another process.
    #[error("数据目录 {path} 正被另一个 station 进程使用 / data directory {path} is in use by another station process{holder}")]
    Locked {
        /// The data directory.
        path: String,
        /// Who holds it, if known (", pid N").
        holder: String,
    },
    /// The store was written by a newer station.
    #[error("数据目录 {path} 的格式版本为 {found}，本程序只支持 {supported}：请升级 station / data directory {path} has schema version {found}; this build supports {supported}: upgrade station")]
    SchemaTooNew {
        /// The data directory.
        path: String,
        /// Version found.
        found: u32,
        /// Version supported.
        supported: u32,
    },
    /// The directory holds a database that is not a station store.
    #[error("数据目录 {path} 不是可识别的 station 数据库（缺少或损坏的格式版本）/ data directory {path} is not a station store this build recognises (schema version missing or unreadable)")]
    SchemaUnknown {
        /// The data directory.
        path: String,
    },
    /// A filesystem or sled failure (disk full, I/O error, corruption).
    #[error("存储错误（{context}）/ storage failure ({context})")]
    Storage {
        /// What was being done.
        context: String,
        /// The underlying failure.
        source: sled::Error,
    },
    /// The disk is full.
    #[error("磁盘已满（{context}）：此操作未执行，已确认的数据不受影响；请腾出空间 / the disk is full ({context}): this change was not made and nothing acknowledged is affected; free some space")]
    DiskFull {
        /// What was being done.
        context: String,
    },
    /// A filesystem failure outside sled.
    #[error("文件错误（{context}）/ file error ({context})")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying failure.
        source: std::io::Error,
    },
    /// A record could not be decoded.
    #[error("记录 {key} 已损坏，无法解码 / record {key} is damaged and cannot be decoded")]
    Corrupt {
        /// Which record.
        key: String,
    },
    /// No item has this barcode.
    #[error("条码 {0} 未登记 / barcode {0} is not registered")]
    NotFound(Barcode),
    /// The barcode is of another kind than the operation needs.
    #[error("条码 {barcode} 是{found_zh}，此处需要{expected_zh} / barcode {barcode} is a {found_en}, expected a {expected_en}")]
    WrongKind {
        /// The barcode.
        barcode: Barcode,
        /// Found, Chinese.
        found_zh: &'static str,
        /// Found, English.
        found_en: &'static str,
        /// Expected, Chinese.
        expected_zh: &'static str,
        /// Expected, English.
        expected_en: &'static str,
    },
    /// A box with this archive number exists already.
    #[error("档案号 {0} 已存在 / archive number {0} already exists")]
    DuplicateArchiveNo(String),
    /// A different item already has this barcode.
    #[error("条码 {0} 已被其他物品使用 / barcode {0} already belongs to another item")]
    DuplicateBarcode(Barcode),
    /// A location with this path exists already.
    #[error("位置 {0} 已存在 / location {0} already exists")]
    DuplicatePath(String),
    /// A certificate may only be stored in a safe.
    #[error("权证只能存放在保险柜，{path} 不是保险柜 / certificates may only be stored in a safe; {path} is not a safe")]
    CertificateOutsideSafe {
        /// The location refused.
        path: String,
    },
    /// Items cannot be put on this kind of location.
    #[error("{path} 不能直接存放物品（请扫描具体的层、保险柜或柜台）/ nothing can be put on {path} directly (use a shelf, safe or counter)")]
    NotAHoldingLocation {
        /// The location refused.
        path: String,
    },
    /// The box is out on loan.
    #[error("档案盒 {item} 已被 {borrower} 于 {since} 借出 / box {item} is on loan to {borrower} since {since}")]
    OnLoan {
        /// The box.
        item: Barcode,
        /// Borrower's name.
        borrower: String,
        /// Date and time it went out.
        since: String,
    },
    /// The borrower may not borrow without approval.
    #[error("{name} 借阅需主管批准 / {name} needs a supervisor's approval to borrow")]
    NeedsApproval {
        /// Borrower's name.
        name: String,
    },
    /// The approver is not a supervisor.
    #[error("{name} 不是主管，不能批准借阅 / {name} is not a supervisor and cannot approve loans")]
    NotApprover {
        /// Approver's name.
        name: String,
    },
    /// The box is not on loan.
    #[error("档案盒 {0} 未借出 / box {0} is not on loan")]
    NotOnLoan(Barcode),
    /// No numbering scheme of this name.
    #[error("编号方案 {0} 不存在 / numbering scheme {0} does not exist")]
    UnknownScheme(String),
    /// No loan with this number.
    #[error("借阅单 {0} 不存在 / loan {0} does not exist")]
    UnknownLoan(u64),
    /// No token with this number.
    #[error("令牌 {0} 不存在 / token {0} does not exist")]
    UnknownToken(u64),
    /// No print job with this number.
    #[error("打印任务 {0} 不存在 / print job {0} does not exist")]
    UnknownJob(u64),
    /// A reprint needs a reason.
    #[error("重打标签必须说明原因 / a reprint needs a reason")]
    ReprintReason,
    /// No handover with this number.
    #[error("移交单 {0} 不存在 / handover {0} does not exist")]
    UnknownHandover(u64),
    /// The handover has been confirmed already.
    #[error("移交单 {0} 已确认 / handover {0} has already been confirmed")]
    HandoverClosed(u64),
    /// A barcode or number sequence ran out.
    #[error("{0} 的序号已用尽 / the sequence of {0} is exhausted")]
    Exhausted(String),
    /// A field was refused.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A location path was refused.
    #[error(transparent)]
    Path(#[from] PathError),
    /// An archive number was refused.
    #[error(transparent)]
    ArchiveNo(#[from] ArchiveNoError),
    /// A barcode was refused.
    #[error(transparent)]
    Barcode(#[from] BarcodeError),
    /// The backup target cannot be used.
    #[error("备份目录 {path} 不可用：{reason} / backup directory {path} cannot be used: {reason}")]
    BackupTarget {
        /// The target directory.
        path: String,
        /// Why.
        reason: String,
    },
    /// A numbering template or scheme name was refused.
    #[error("{}", spaced_halves(&.0.to_string()))]
    Scheme(#[from] crate::numbering::SchemeError),
    /// A numbering scheme of this name exists already (in the store or in station.toml).
    #[error("编号方案 {name} 已存在（{where_zh}） / numbering scheme {name} already exists ({where_en})")]
    SchemeExists {
        /// The name.
        name: String,
        /// Where, Chinese: `station.toml` or `本站` (station-managed).
        where_zh: &'static str,
        /// Where, English.
        where_en: &'static str,
    },
    /// The scheme is defined in station.toml and cannot be changed through the station.
    #[error("编号方案 {0} 在 station.toml 中定义，请在文件中修改 / numbering scheme {0} is defined in station.toml; change it there")]
    SchemeInConfig(String),
    /// The scheme has been retired already.
    #[error("编号方案 {0} 已停用 / numbering scheme {0} is already retired")]
    SchemeRetired(String),
    /// Numbers were asked of a retired scheme.
    #[error("编号方案 {0} 已停用，不再分配新编号 / numbering scheme {0} is retired and hands out no new numbers")]
    SchemeNotInUse(String),
    /// No device of this name.
    #[error("设备 {0} 不存在 / device {0} does not exist")]
    UnknownDevice(String),
    /// A device of this name exists already (in the store or in station.toml).
    #[error(
        "设备名 {name} 已被使用（{where_zh}） / device name {name} is already used ({where_en})"
    )]
    DeviceExists {
        /// The name.
        name: String,
        /// Where, Chinese.
        where_zh: &'static str,
        /// Where, English.
        where_en: &'static str,
    },
    /// The device is defined in station.toml and cannot be removed through the station.
    #[error("设备 {0} 在 station.toml 中定义，请在文件中修改 / device {0} is defined in station.toml; change it there")]
    DeviceInConfig(String),
    /// A device definition has a bad field.
    #[error("设备 {name:?} 的设置无效：{zh} / device {name:?} is not valid: {en}")]
    BadDevice {
        /// The device's name as given.
        name: String,
        /// What is wrong, Chinese.
        zh: String,
        /// What is wrong, English.
        en: String,
    },
    /// A scanner names a workstation that is not configured.
    #[error("扫描枪 {scanner} 的工作站 {workstation:?} 未定义（已定义：{known}） / scanner {scanner} names workstation {workstation:?}, which is not defined (defined: {known})")]
    UnknownWorkstation {
        /// The scanner.
        scanner: String,
        /// The workstation it names.
        workstation: String,
        /// The configured workstations, comma-separated.
        known: String,
    },
    /// A printer with labels still waiting cannot be removed.
    #[error("打印机 {name} 还有 {count} 张标签等待打印：请先打印或取消它们，已确认的标签不会丢失 / printer {name} still has {count} label(s) waiting: they must be printed or cancelled first, so that nothing acknowledged is lost")]
    PrinterHasJobs {
        /// The printer.
        name: String,
        /// Pending jobs.
        count: usize,
    },
    /// A print job that is no longer waiting.
    #[error("打印任务 {0} 已打印或已取消 / print job {0} is already printed or cancelled")]
    JobDone(u64),
    /// The change would leave no active administrator.
    #[error("这是最后一位在职的管理员，不能降级或停用 / this is the last active administrator: they cannot be demoted or deactivated")]
    LastAdmin,
    /// A badge of someone who has left was used.
    #[error("{name}（{barcode}）已离职，工牌已停用 / {name} ({barcode}) has left: the badge is no longer valid")]
    PersonLeft {
        /// The badge.
        barcode: Barcode,
        /// Their name.
        name: String,
    },
    /// Internal: sled asks to run the transaction again.
    #[doc(hidden)]
    #[error("transaction conflict")]
    Conflict,
}

/// A bilingual message with its halves always parted by " / " (some end the Chinese half
/// with a full-width parenthesis and no space: `…）/ English`).
fn spaced_halves(message: &str) -> String {
    if message.contains(" / ") {
        return message.to_owned();
    }
    message.replacen("）/ ", "） / ", 1)
}

impl StoreError {
    fn storage(context: &str) -> impl FnOnce(sled::Error) -> StoreError + '_ {
        move |source| match &source {
            sled::Error::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
                StoreError::DiskFull {
                    context: context.to_owned(),
                }
            }
            _ => StoreError::Storage {
                context: context.to_owned(),
                source,
            },
        }
    }

    fn wrong_kind(barcode: Barcode, expected: Kind) -> StoreError {
        let (found_zh, found_en) = barcode.kind().label();
        let (expected_zh, expected_en) = expected.label();
        StoreError::WrongKind {
            barcode,
            found_zh,
            found_en,
            expected_zh,
            expected_en,
        }
    }

    /// Whether the error is the caller's input rather than the store's health.
    pub fn is_rejection(&self) -> bool {
        !matches!(
            self,
            StoreError::Storage { .. }
                | StoreError::DiskFull { .. }
                | StoreError::Io { .. }
                | StoreError::Corrupt { .. }
                | StoreError::Locked { .. }
                | StoreError::SchemaTooNew { .. }
                | StoreError::SchemaUnknown { .. }
                | StoreError::Conflict
        )
    }
}

impl From<UnabortableTransactionError> for StoreError {
    fn from(error: UnabortableTransactionError) -> StoreError {
        match error {
            UnabortableTransactionError::Conflict => StoreError::Conflict,
            UnabortableTransactionError::Storage(source) => {
                StoreError::storage("transaction")(source)
            }
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
    postcard::from_bytes(bytes).map_err(|_| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
    })
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

/// Group commit: writers wait until a flush that started after their commit has ended.
struct Durability {
    /// Commits so far (tickets handed out).
    committed: AtomicU64,
    /// Commits covered by a finished flush.
    durable: AtomicU64,
    /// Writers that have started but not yet committed.
    pending: AtomicU64,
    flush_lock: Mutex<()>,
}

/// How long a flush waits for writers already under way, so that one fsync covers them
/// too. Only taken while other writers are pending: a lone writer never waits.
const COMMIT_DELAY: Duration = Duration::from_micros(1000);

/// Counts a writer as pending until it has committed or failed.
struct Pending<'a>(&'a AtomicU64);

impl<'a> Pending<'a> {
    fn enter(counter: &'a AtomicU64) -> Pending<'a> {
        counter.fetch_add(1, Ordering::SeqCst);
        Pending(counter)
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A handle on the store. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    tree: sled::Tree,
    writer: Mutex<Head>,
    durability: Durability,
    options: StoreOptions,
    latency: Latency,
    changes: tokio::sync::broadcast::Sender<ChangeNotice>,
    _lock: File,
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
struct Latency {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
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
    fn observe(&self, took: Duration) {
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

    fn snapshot(&self) -> LatencySnapshot {
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

/// Who does a write and on behalf of which station: stamped on its events.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

impl Actor {
    /// An actor by name: a badge barcode, a token owner, or `cli`/`import`.
    pub fn new(name: impl Into<String>) -> Actor {
        Actor(name.into())
    }
}

/// One open transaction: reads see its own writes; events are appended at commit.
pub struct Tx<'a> {
    tree: &'a TransactionalTree,
    actor: &'a str,
    station: &'a str,
    now: Millis,
    /// Events to append at commit, each with further items whose history it belongs to.
    events: Vec<(EventBody, Vec<Barcode>)>,
}

impl Tx<'_> {
    fn get_raw(&self, key: &[u8]) -> Result<Option<sled::IVec>> {
        Ok(self.tree.get(key)?)
    }

    fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        match self.tree.get(key)? {
            Some(bytes) => decode(&bytes, key).map(Some),
            None => Ok(None),
        }
    }

    fn put<T: Serialize>(&self, key: &[u8], value: &T) -> Result<()> {
        self.tree.insert(key, encode(value))?;
        Ok(())
    }

    fn put_raw(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.tree.insert(key, value)?;
        Ok(())
    }

    fn remove(&self, key: &[u8]) -> Result<()> {
        self.tree.remove(key)?;
        Ok(())
    }

    fn next_counter(&self, key: &[u8], max: u64, what: &str) -> Result<u64> {
        let last = match self.get_raw(key)? {
            Some(bytes) => keys::decode_u64(&bytes).ok_or_else(|| StoreError::Corrupt {
                key: String::from_utf8_lossy(key).into_owned(),
            })?,
            None => 0,
        };
        let next = last + 1;
        if next > max {
            return Err(StoreError::Exhausted(what.to_owned()));
        }
        self.put_raw(key, &next.to_be_bytes())?;
        Ok(next)
    }

    /// Raises a counter to at least `value` (after importing existing numbers).
    fn raise_counter(&self, key: &[u8], value: u64) -> Result<()> {
        let last = match self.get_raw(key)? {
            Some(bytes) => keys::decode_u64(&bytes).unwrap_or(0),
            None => 0,
        };
        if value > last {
            self.put_raw(key, &value.to_be_bytes())?;
        }
        Ok(())
    }

    /// Hands out the next barcode of `kind`; never reuses one.
    fn new_barcode(&self, kind: Kind) -> Result<Barcode> {
        let seq = self.next_counter(
            &keys::barcode_counter(kind),
            crate::barcode::MAX_SEQ,
            kind.label().1,
        )?;
        Ok(Barcode::new(kind, seq)?)
    }

    /// The item with `barcode`, if registered.
    pub fn item(&self, barcode: Barcode) -> Result<Option<Item>> {
        self.get(&keys::item(barcode))
    }

    fn require_item(&self, barcode: Barcode) -> Result<Item> {
        self.item(barcode)?.ok_or(StoreError::NotFound(barcode))
    }

    fn require_location(&self, barcode: Barcode) -> Result<Location> {
        match self.require_item(barcode)? {
            Item::Location(location) => Ok(location),
            _ => Err(StoreError::wrong_kind(barcode, Kind::Location)),
        }
    }

    /// A person who has not left (borrowers, approvers, handover parties, token owners).
    fn require_person(&self, barcode: Barcode) -> Result<Person> {
        let person = self.require_anyone(barcode)?;
        if self.get_raw(&keys::departed(barcode))?.is_some() {
            return Err(StoreError::PersonLeft {
                barcode,
                name: person.name,
            });
        }
        Ok(person)
    }

    /// A person, whether or not they have left.
    fn require_anyone(&self, barcode: Barcode) -> Result<Person> {
        match self.require_item(barcode)? {
            Item::Person(person) => Ok(person),
            _ => Err(StoreError::wrong_kind(barcode, Kind::Person)),
        }
    }

    fn put_item(&self, item: &Item) -> Result<()> {
        self.put(&keys::item(item.barcode()), item)
    }

    /// Records an event for `item`; it is sequenced and chained at commit.
    fn record(
        &mut self,
        item: Option<Barcode>,
        kind: EventKind,
        changes: Vec<crate::event::Change>,
    ) {
        self.record_many(item, Vec::new(), kind, changes);
    }

    /// Records one event that concerns `item` and also every one of `others` (a bulk
    /// operation such as an import chunk): each finds it in its history.
    fn record_many(
        &mut self,
        item: Option<Barcode>,
        others: Vec<Barcode>,
        kind: EventKind,
        changes: Vec<crate::event::Change>,
    ) {
        let body = EventBody {
            at: self.now,
            station: self.station.to_owned(),
            actor: self.actor.to_owned(),
            item,
            kind,
            changes,
        };
        self.events.push((body, others));
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<Store> {
        let io = |context: String| move |source| StoreError::Io { context, source };
        std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        let lock = lock_dir(dir)?;
        let db = open_sled(dir, options.cache_bytes)?;
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
                    .map_err(|_| StoreError::SchemaUnknown {
                        path: display.clone(),
                    })?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::SchemaTooNew {
                        path: display,
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                if found == 0 {
                    return Err(StoreError::SchemaUnknown { path: display });
                }
                if found < SCHEMA_VERSION {
                    tree.insert(keys::SCHEMA, &SCHEMA_VERSION.to_be_bytes())
                        .map_err(StoreError::storage("upgrading the schema version"))?;
                    tree.flush().map_err(StoreError::storage("flushing"))?;
                    tracing::info!(from = found, to = SCHEMA_VERSION, "store schema upgraded");
                }
            }
            None => {
                let other_trees = db
                    .tree_names()
                    .iter()
                    .any(|name| name.as_ref() != b"archive" && name.as_ref() != b"__sled__default");
                if !tree.is_empty() || other_trees || !db.is_empty() {
                    return Err(StoreError::SchemaUnknown { path: display });
                }
                tree.insert(keys::SCHEMA, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(StoreError::storage("writing the schema version"))?;
                tree.flush().map_err(StoreError::storage("flushing"))?;
            }
        }
        let (seq, hash) = match tree
            .get(keys::HEAD)
            .map_err(StoreError::storage("reading the chain head"))?
        {
            Some(bytes) => decode_head(&bytes).ok_or_else(|| StoreError::Corrupt {
                key: "m:head".to_owned(),
            })?,
            None => (0, GENESIS),
        };
        Ok(Store {
            dir: dir.to_owned(),
            db,
            tree,
            writer: Mutex::new(Head { seq, hash }),
            durability: Durability {
                committed: AtomicU64::new(0),
                durable: AtomicU64::new(0),
                pending: AtomicU64::new(0),
                flush_lock: Mutex::new(()),
            },
            options,
            latency: Latency::default(),
            changes: tokio::sync::broadcast::channel(1024).0,
            _lock: lock,
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The station name stamped on events.
    pub fn station(&self) -> &str {
        &self.options.station
    }

    /// The current time by the store's clock.
    pub fn now(&self) -> Millis {
        (self.options.clock)()
    }

    fn writer(&self) -> MutexGuard<'_, Head> {
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
                    now,
                    events: Vec::new(),
                };
                let out = f(&mut tx).map_err(|error| match error {
                    StoreError::Conflict => ConflictableTransactionError::Conflict,
                    other => ConflictableTransactionError::Abort(other),
                })?;
                let mut seq = head.seq;
                let mut hash = head.hash;
                let mut logged = Vec::with_capacity(tx.events.len().min(MAX_LOGGED_EVENTS));
                for (body, others) in tx.events.drain(..) {
                    if logged.len() < MAX_LOGGED_EVENTS {
                        logged.push((seq + 1, body.kind, body.item));
                    }
                    seq += 1;
                    let item = body.item;
                    let event = Event::chain(&hash, seq, body);
                    hash = event.hash;
                    tree.insert(keys::event(seq), encode(&event))?;
                    for item in item.into_iter().chain(others) {
                        tree.insert(keys::history(item, seq), &[])?;
                    }
                }
                if seq != head.seq {
                    tree.insert(keys::HEAD, &encode_head(seq, &hash)[..])?;
                }
                Ok((out, seq, hash, logged))
            });
            let (out, seq, hash, logged) = match result {
                Ok(done) => done,
                Err(TransactionError::Abort(error)) => return Err(error),
                Err(TransactionError::Storage(source)) => {
                    return Err(StoreError::storage("committing a change")(source))
                }
            };
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
    fn announce(
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
    fn wait_durable(&self, ticket: u64) -> Result<()> {
        if self.durability.durable.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let _flushing = self
            .durability
            .flush_lock
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if self.durability.durable.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let deadline = Instant::now() + COMMIT_DELAY;
        while self.durability.pending.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_micros(20));
        }
        let covered = self.durability.committed.load(Ordering::SeqCst);
        self.tree
            .flush()
            .map_err(StoreError::storage("flushing to disk"))?;
        self.durability.durable.fetch_max(covered, Ordering::SeqCst);
        Ok(())
    }

    fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        match self.tree.get(key).map_err(StoreError::storage("reading"))? {
            Some(bytes) => decode(&bytes, key).map(Some),
            None => Ok(None),
        }
    }

    fn scan_barcodes(&self, prefix: &[u8], limit: usize) -> Result<Vec<Barcode>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix(prefix).keys().take(limit) {
            let key = entry.map_err(StoreError::storage("scanning an index"))?;
            let barcode = keys::trailing_barcode(&key).ok_or_else(|| StoreError::Corrupt {
                key: String::from_utf8_lossy(&key).into_owned(),
            })?;
            out.push(barcode);
        }
        Ok(out)
    }

    fn contents(&self, location: Barcode) -> Result<Vec<Barcode>> {
        let key = keys::contents(location);
        match self
            .tree
            .get(&key)
            .map_err(StoreError::storage("reading a location's contents"))?
        {
            Some(bytes) => keys::unpack(&bytes).ok_or_else(|| StoreError::Corrupt {
                key: String::from_utf8_lossy(&key).into_owned(),
            }),
            None => Ok(Vec::new()),
        }
    }

    /// The item with `barcode`.
    pub fn get_item(&self, barcode: Barcode) -> Result<Option<Item>> {
        self.get(&keys::item(barcode))
    }

    /// The box with archive number `archive_no`.
    pub fn box_by_archive_no(&self, archive_no: &str) -> Result<Option<ArchiveBox>> {
        let Some(bytes) = self
            .tree
            .get(keys::archive_no(archive_no))
            .map_err(StoreError::storage("reading the archive-number index"))?
        else {
            return Ok(None);
        };
        let barcode = keys::trailing_barcode(&bytes).ok_or_else(|| StoreError::Corrupt {
            key: format!("a{archive_no}"),
        })?;
        match self.get_item(barcode)? {
            Some(Item::Box(archive_box)) => Ok(Some(archive_box)),
            _ => Err(StoreError::Corrupt {
                key: format!("a{archive_no}"),
            }),
        }
    }

    /// The location with this human path.
    pub fn location_by_path(&self, path: &str) -> Result<Option<Location>> {
        let Some(bytes) = self
            .tree
            .get(keys::path(path))
            .map_err(StoreError::storage("reading the path index"))?
        else {
            return Ok(None);
        };
        let barcode = keys::trailing_barcode(&bytes).ok_or_else(|| StoreError::Corrupt {
            key: format!("p{path}"),
        })?;
        match self.get_item(barcode)? {
            Some(Item::Location(location)) => Ok(Some(location)),
            _ => Err(StoreError::Corrupt {
                key: format!("p{path}"),
            }),
        }
    }

    /// Barcodes of what stands at `location`, at most `limit`, in barcode order.
    pub fn barcodes_at(&self, location: Barcode, limit: usize) -> Result<Vec<Barcode>> {
        let mut contents = self.contents(location)?;
        contents.truncate(limit);
        Ok(contents)
    }

    /// The items at `location` (a shelf's contents), at most `limit`.
    pub fn items_at(&self, location: Barcode, limit: usize) -> Result<Vec<Item>> {
        let mut out = Vec::new();
        for barcode in self.barcodes_at(location, limit)? {
            if let Some(item) = self.get_item(barcode)? {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// How many items stand at `location`.
    pub fn count_at(&self, location: Barcode) -> Result<usize> {
        Ok(self.contents(location)?.len())
    }

    /// Boxes whose customer name starts with `prefix` (case and spaces ignored), after
    /// the box `after` (a pagination cursor), at most `limit`.
    pub fn search_customer(
        &self,
        prefix: &str,
        after: Option<Barcode>,
        limit: usize,
    ) -> Result<Vec<ArchiveBox>> {
        let search = customer_key(prefix);
        let start = keys::customer_prefix(&search);
        let mut out = Vec::new();
        let mut past_cursor = after.is_none();
        for entry in self.tree.scan_prefix(&start).keys() {
            if out.len() >= limit {
                break;
            }
            let key = entry.map_err(StoreError::storage("searching customers"))?;
            let Some(barcode) = keys::trailing_barcode(&key) else {
                continue;
            };
            if !past_cursor {
                past_cursor = Some(barcode) == after;
                continue;
            }
            if let Some(Item::Box(archive_box)) = self.get_item(barcode)? {
                out.push(archive_box);
            }
        }
        Ok(out)
    }

    /// All boxes in barcode order (for export), streamed.
    pub fn boxes(&self) -> impl Iterator<Item = Result<ArchiveBox>> + '_ {
        self.tree
            .scan_prefix(keys::items_of_kind(Kind::Box))
            .map(|entry| {
                let (key, value) = entry.map_err(StoreError::storage("reading boxes"))?;
                match decode::<Item>(&value, &key)? {
                    Item::Box(archive_box) => Ok(archive_box),
                    _ => Err(StoreError::Corrupt {
                        key: String::from_utf8_lossy(&key).into_owned(),
                    }),
                }
            })
    }

    /// All items of `kind`, streamed in barcode order.
    pub fn items_of_kind(&self, kind: Kind) -> impl Iterator<Item = Result<Item>> + '_ {
        self.tree
            .scan_prefix(keys::items_of_kind(kind))
            .map(|entry| {
                let (key, value) = entry.map_err(StoreError::storage("reading items"))?;
                decode::<Item>(&value, &key)
            })
    }

    /// The open loan of `item`, if it is out.
    pub fn open_loan_of(&self, item: Barcode) -> Result<Option<Loan>> {
        let Some(id) = self
            .tree
            .get(keys::open_loan(item))
            .map_err(StoreError::storage("reading open loans"))?
        else {
            return Ok(None);
        };
        let id = keys::decode_u64(&id).ok_or_else(|| StoreError::Corrupt {
            key: format!("x{item}"),
        })?;
        self.get(&keys::loan(id))
    }

    /// Open loans of `borrower`.
    pub fn open_loans_of(&self, borrower: Barcode) -> Result<Vec<Loan>> {
        self.loans_by_index(&keys::borrower_prefix(borrower), None)
    }

    /// Open loans due on or before `day` (overdue when `day` is yesterday).
    pub fn loans_due_by(&self, day: NaiveDate) -> Result<Vec<Loan>> {
        self.loans_by_index(&[keys::DUE], Some(keys::due_after(day)))
    }

    fn loans_by_index(&self, prefix: &[u8], end: Option<Vec<u8>>) -> Result<Vec<Loan>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix(prefix).keys() {
            let key = entry.map_err(StoreError::storage("reading loans"))?;
            if end
                .as_ref()
                .is_some_and(|end| key.as_ref() >= end.as_slice())
            {
                break;
            }
            let id = keys::trailing_u64(&key).ok_or_else(|| StoreError::Corrupt {
                key: String::from_utf8_lossy(&key).into_owned(),
            })?;
            if let Some(loan) = self.get(&keys::loan(id))? {
                out.push(loan);
            }
        }
        Ok(out)
    }

    /// A handover by number.
    pub fn handover(&self, id: u64) -> Result<Option<Handover>> {
        self.get(&keys::handover(id))
    }

    /// Open handovers, earliest deadline first.
    pub fn open_handovers(&self) -> Result<Vec<Handover>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix([keys::HANDOVER_DUE]).keys() {
            let key = entry.map_err(StoreError::storage("reading handovers"))?;
            let id = keys::trailing_u64(&key).ok_or_else(|| StoreError::Corrupt {
                key: String::from_utf8_lossy(&key).into_owned(),
            })?;
            if let Some(handover) = self.handover(id)? {
                out.push(handover);
            }
        }
        Ok(out)
    }

    /// Certificates registered under `archive_no`.
    pub fn certificates_of(&self, archive_no: &str) -> Result<Vec<Certificate>> {
        let mut prefix = vec![keys::CERTIFICATES_OF];
        prefix.extend_from_slice(archive_no.as_bytes());
        prefix.push(0);
        let mut out = Vec::new();
        for barcode in self.scan_barcodes(&prefix, usize::MAX)? {
            if let Some(Item::Certificate(certificate)) = self.get_item(barcode)? {
                out.push(certificate);
            }
        }
        Ok(out)
    }

    /// The last event's position and hash.
    pub fn head(&self) -> (u64, Hash) {
        let head = self.writer();
        (head.seq, head.hash)
    }

    /// Events from `from` (inclusive), at most `limit`.
    pub fn events(&self, from: u64, limit: usize) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        for entry in self.tree.range(keys::event(from)..).take(limit) {
            let (key, value) = entry.map_err(StoreError::storage("reading events"))?;
            if key.first() != Some(&keys::EVENT) {
                break;
            }
            out.push(decode(&value, &key)?);
        }
        Ok(out)
    }

    /// The events that concern `item`, oldest first.
    pub fn history(&self, item: Barcode) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix(keys::history_prefix(item)).keys() {
            let key = entry.map_err(StoreError::storage("reading history"))?;
            let seq = keys::trailing_u64(&key).ok_or_else(|| StoreError::Corrupt {
                key: String::from_utf8_lossy(&key).into_owned(),
            })?;
            if let Some(event) = self.get(&keys::event(seq))? {
                out.push(event);
            }
        }
        Ok(out)
    }

    /// Keys and bytes (key + value) per key family, for capacity planning: which
    /// records and indexes take the space.
    pub fn family_sizes(&self) -> Result<Vec<(char, u64, u64)>> {
        let mut sizes: std::collections::BTreeMap<u8, (u64, u64)> = Default::default();
        for entry in self.tree.iter() {
            let (key, value) = entry.map_err(StoreError::storage("measuring the store"))?;
            let slot = sizes
                .entry(key.first().copied().unwrap_or(b'?'))
                .or_default();
            slot.0 += 1;
            slot.1 += (key.len() + value.len()) as u64;
        }
        Ok(sizes
            .into_iter()
            .map(|(tag, (keys, bytes))| (char::from(tag), keys, bytes))
            .collect())
    }

    /// Bytes the store takes on disk.
    pub fn size_on_disk(&self) -> Result<u64> {
        self.db
            .size_on_disk()
            .map_err(StoreError::storage("measuring the store"))
    }

    /// Writes a consistent copy of the store into `target` (which must not exist or be
    /// empty) while the store stays open; writers wait during the copy.
    pub fn backup(&self, target: &Path) -> Result<u64> {
        let target_display = target.display().to_string();
        let refuse = |reason: &str| StoreError::BackupTarget {
            path: target_display.clone(),
            reason: reason.to_owned(),
        };
        if let Ok(mut entries) = std::fs::read_dir(target) {
            if entries.next().is_some() {
                return Err(refuse("目录非空 / the directory is not empty"));
            }
        }
        if let (Ok(source), Ok(dest)) = (self.dir.canonicalize(), target.canonicalize()) {
            if dest.starts_with(&source) {
                return Err(refuse(
                    "不能备份到数据目录内 / it is inside the data directory",
                ));
            }
        }
        let copy = Store::open(
            target,
            StoreOptions {
                cache_bytes: 16 * 1024 * 1024,
                ..self.options.clone()
            },
        )?;
        let _head = self.writer();
        let mut n_keys = 0u64;
        let mut batch = sled::Batch::default();
        let mut in_batch = 0;
        for entry in self.tree.iter() {
            let (key, value) = entry.map_err(StoreError::storage("reading for backup"))?;
            batch.insert(key, value);
            n_keys += 1;
            in_batch += 1;
            if in_batch == 10_000 {
                copy.tree
                    .apply_batch(std::mem::take(&mut batch))
                    .map_err(StoreError::storage("writing the backup"))?;
                in_batch = 0;
            }
        }
        copy.tree
            .apply_batch(batch)
            .map_err(StoreError::storage("writing the backup"))?;
        copy.tree
            .flush()
            .map_err(StoreError::storage("flushing the backup"))?;
        Ok(n_keys)
    }

    /// Waits until everything written so far is durable (used before shutdown).
    pub fn flush(&self) -> Result<()> {
        self.tree
            .flush()
            .map_err(StoreError::storage("flushing to disk"))?;
        Ok(())
    }

    /// Times one flush; used by benchmarks to show the disk's share of a write.
    pub fn time_flush(&self) -> Result<Duration> {
        let start = Instant::now();
        self.flush()?;
        Ok(start.elapsed())
    }

    /// Takes a numbering scheme's next number for `year` in its own transaction.
    pub fn allocate_archive_no(&self, actor: &Actor, scheme: &Scheme, year: u16) -> Result<String> {
        self.write(actor, |tx| tx.allocate_archive_no(scheme, year))
    }
}

/// A transaction with more events than this (an import chunk) is logged as one summary.
const MAX_LOGGED_EVENTS: usize = 8;

/// Logs each state change once: every event of a small transaction, or one line for a
/// bulk one.
fn log_events(actor: &str, before: u64, after: u64, logged: &[(u64, EventKind, Option<Barcode>)]) {
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

/// Opens the sled database under `dir`, whose `LOCK` this process already holds.
///
/// sled's own file lock can outlive a dropped `Db` for a moment, while its background
/// threads finish (seen when a store is closed and opened again in one process). Holding
/// `LOCK` proves no other process has the store, so a refused sled lock can only be that
/// moment: wait for it, a few seconds at most, instead of failing the open.
fn open_sled(dir: &Path, cache_bytes: u64) -> Result<sled::Db> {
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
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.map_err(StoreError::storage("opening the store")),
        }
    }
}

/// Takes the data directory's lock file, so that two processes never share a store.
fn lock_dir(dir: &Path) -> Result<File> {
    let path = dir.join("LOCK");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|source| StoreError::Io {
            context: format!("opening {}", path.display()),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| text.trim().parse::<u32>().ok())
                .map(|pid| format!(" (pid {pid})"))
                .unwrap_or_default();
            return Err(StoreError::Locked {
                path: dir.display().to_string(),
                holder,
            });
        }
        Err(std::fs::TryLockError::Error(source)) => {
            return Err(StoreError::Io {
                context: format!("locking {}", path.display()),
                source,
            })
        }
    }
    // Best effort: the pid only makes the "in use" message more helpful.
    let _ = file.set_len(0);
    let _ = writeln!(file, "{}", std::process::id());
    Ok(file)
}

/// A store in `dir` whose clock a test sets: milliseconds since the epoch, `start` first.
#[cfg(test)]
pub(crate) fn open_with_clock(
    dir: &Path,
    start: Millis,
) -> (Arc<Store>, Arc<std::sync::atomic::AtomicI64>) {
    let clock = Arc::new(std::sync::atomic::AtomicI64::new(start));
    let tick = clock.clone();
    let store = Store::open(
        dir,
        StoreOptions {
            clock: Arc::new(move || tick.load(Ordering::SeqCst)),
            ..StoreOptions::default()
        },
    )
    .expect("store");
    (Arc::new(store), clock)
}

#[cfg(test)]
mod tests;
