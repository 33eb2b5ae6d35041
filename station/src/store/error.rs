//! What a store operation can answer instead of its result: a [`Refusal`] (a rule or the
//! caller's input said no; nothing changed) or a [`StorageError`] (the disk, the files or
//! sled failed; the caller did nothing wrong). Each gives its [`Message`] from the catalog.

use std::fmt;

use sled::transaction::UnabortableTransactionError;

use crate::barcode::{Barcode, BarcodeError, Kind};
use crate::event::ChainError;
use crate::message;
use crate::message::{Bilingual, Message};
use crate::model::{FieldError, PathError};
use crate::numbering::{ArchiveNoError, SchemeError};

/// Why a store operation did not give its result.
#[derive(Debug)]
pub enum StoreError {
    /// A rule or the input refused it: nothing was changed.
    Refused(Refusal),
    /// The store could not do it: nothing acknowledged is affected.
    Failed(StorageError),
}

/// A rule or the caller's input refused the operation; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No item has this barcode.
    NotFound(Barcode),
    /// The barcode is of another kind than the operation needs.
    WrongKind {
        /// The barcode.
        barcode: Barcode,
        /// The kind the operation needs.
        expected: Kind,
    },
    /// A box with this archive number exists already.
    DuplicateArchiveNo(String),
    /// A different item already has this barcode.
    DuplicateBarcode(Barcode),
    /// A location with this path exists already.
    DuplicatePath(String),
    /// A certificate may only be stored in a safe.
    CertificateOutsideSafe {
        /// The location refused.
        path: String,
    },
    /// A box may not be put into a safe or a safe's drawer.
    BoxInSafe {
        /// The location refused.
        path: String,
    },
    /// Items cannot be put on this kind of location.
    NotAHoldingLocation {
        /// The location refused.
        path: String,
    },
    /// A rule of the room's layout (kinds under their parents, retired locations, blocks).
    Layout(super::LayoutRefusal),
    /// The box is out on loan.
    OnLoan {
        /// The box.
        item: Barcode,
        /// Borrower's name.
        borrower: String,
        /// Date and time it went out.
        since: String,
    },
    /// The borrower may not borrow without approval.
    NeedsApproval {
        /// Borrower's name.
        name: String,
    },
    /// The approver is not a supervisor.
    NotApprover {
        /// Approver's name.
        name: String,
    },
    /// The box is not on loan.
    NotOnLoan(Barcode),
    /// The loan has no return waiting for its completeness check.
    NoReturnCheck(u64),
    /// A return check names a document that was not lent.
    ReturnCheckNotLent {
        /// The loan.
        loan: u64,
        /// The position named.
        position: u16,
    },
    /// An incomplete return check names as missing a document already recorded back.
    ReturnCheckAlreadyBack {
        /// The loan.
        loan: u64,
        /// The position named.
        position: u16,
    },
    /// COMPLETE was scanned for a return already marked incomplete at the page: what comes
    /// back is recorded there, document by document.
    ReturnMarkedIncomplete(u64),
    /// A return check's note is longer than it may be (the most characters).
    ReturnCheckNoteTooLong(usize),
    /// No numbering scheme of this name.
    UnknownScheme(String),
    /// No loan with this number.
    UnknownLoan(u64),
    /// No token with this number.
    UnknownToken(u64),
    /// No print job with this number.
    UnknownJob(u64),
    /// A reprint needs a reason.
    ReprintReason,
    /// No handover with this number.
    UnknownHandover(u64),
    /// No pick list has this number.
    UnknownPickList(u64),
    /// A pick list names no box.
    PickListEmpty,
    /// A pick list would hold more boxes than it may.
    PickListTooLarge {
        /// Boxes asked for.
        count: usize,
        /// The most it may hold.
        max: usize,
    },
    /// The pick list is done: nothing more is ticked off it.
    PickListClosed(u64),
    /// No task has this number.
    UnknownTask(u64),
    /// The caller has no notification with this number.
    UnknownNotification(u64),
    /// A task's external id was posted before with another body.
    TaskConflict {
        /// The external id.
        external_id: String,
        /// The task it made.
        id: u64,
    },
    /// A field of a posted task is missing or too long.
    TaskField {
        /// The field's name in the request.
        field: &'static str,
        /// The most characters it may have.
        max: usize,
    },
    /// A posted task names no customer, project archive number or box.
    TaskNoSubject,
    /// A posted task's category is not one the station knows.
    TaskUnknownCategory(String),
    /// A posted task's limit is out of range.
    TaskLimit {
        /// The step, in each language.
        step: (&'static str, &'static str),
        /// The limit asked for.
        limit: crate::message::Bilingual,
    },
    /// A posted task's business step finished in the future.
    TaskInFuture {
        /// When, as a local date and time.
        at: String,
    },
    /// The task is done: no step is left.
    TaskDone(u64),
    /// The task is at another step than the one asked to complete.
    TaskWrongStep {
        /// The task.
        id: u64,
        /// Its current step, in each language.
        step: (&'static str, &'static str),
        /// The step asked for, in each language.
        expected: (&'static str, &'static str),
    },
    /// The task's current step is another person's (and the caller is no supervisor).
    TaskNotYours {
        /// The task.
        id: u64,
        /// Its current step, in each language.
        step: (&'static str, &'static str),
        /// Whose it is.
        owner: String,
    },
    /// No loan slip has this number.
    UnknownLoanSlip(u64),
    /// A loan slip names no box.
    LoanSlipEmpty,
    /// A loan slip would name more boxes than it may.
    LoanSlipTooLarge {
        /// Boxes asked for.
        count: usize,
        /// The most it may name.
        max: usize,
    },
    /// A loan slip says nothing of what the boxes are borrowed for.
    LoanSlipPurposeMissing,
    /// A text of a loan slip is longer than it may be.
    LoanSlipTextTooLong {
        /// Which text, in each language.
        field: (&'static str, &'static str),
        /// The most characters it may have.
        max: usize,
    },
    /// A loan slip's due date lies before today.
    LoanSlipDuePast {
        /// The date asked for.
        due: chrono::NaiveDate,
        /// Today in the station's time zone.
        today: chrono::NaiveDate,
    },
    /// The loan slip is not in a state that allows this.
    LoanSlipWrongState {
        /// The slip.
        id: u64,
        /// Where it stands.
        state: super::SlipState,
        /// What was asked, in each language (`批准`, `approved`).
        action: (&'static str, &'static str),
    },
    /// A loan slip is refused only with a reason.
    LoanSlipReasonMissing,
    /// The box is not on the loan slip it would be lent against.
    NotOnSlip {
        /// The box.
        item: Barcode,
        /// The slip.
        id: u64,
    },
    /// The box has been lent against this slip already.
    SlipAlreadyLent {
        /// The box.
        item: Barcode,
        /// The slip.
        id: u64,
    },
    /// A pick list is made only from an approved loan slip.
    PickListSlipNotApproved {
        /// The slip.
        id: u64,
        /// Where it stands.
        state: super::SlipState,
    },
    /// A handover's deadline is extended only with a reason.
    HandoverExtensionReason,
    /// An extension must move a handover's deadline later.
    HandoverExtensionNotLater {
        /// The deadline asked for.
        until: chrono::NaiveDate,
        /// The deadline now.
        deadline: chrono::NaiveDate,
    },
    /// The handover has been confirmed already.
    HandoverClosed(u64),
    /// A box is handed over with required documents missing or unsigned, and no reason.
    Incomplete {
        /// The box.
        barcode: Barcode,
        /// What it lacks, in one line.
        lacks: String,
    },
    /// A review asked for supplements of boxes that lack nothing.
    NothingToSupplement(u64),
    /// A document of a contents list was refused.
    BadDocument(Message),
    /// A contents list would hold too many documents.
    TooManyDocuments(usize),
    /// A box's contents list has no document at this position.
    NoDocument {
        /// The box.
        barcode: Barcode,
        /// The position asked for (from 1).
        position: usize,
    },
    /// A barcode or number sequence ran out.
    Exhausted(String),
    /// A field was refused.
    Field(FieldError),
    /// A location path was refused.
    Path(PathError),
    /// An archive number was refused.
    ArchiveNo(ArchiveNoError),
    /// A barcode was refused.
    Barcode(BarcodeError),
    /// A numbering template or scheme name was refused.
    Scheme(SchemeError),
    /// The request this write belongs to was already answered "timed out" while the write
    /// waited to begin: it does not begin, so nothing changes.
    TimedOut,
    /// The backup target cannot be used.
    BackupTarget {
        /// The target directory.
        path: String,
        /// Why.
        reason: Bilingual,
    },
    /// A numbering scheme of this name exists already (in the store or in station.toml).
    SchemeExists {
        /// The name.
        name: String,
        /// Where it is taken, in each language.
        place: (&'static str, &'static str),
    },
    /// The scheme is defined in station.toml and cannot be changed through the station.
    SchemeInConfig(String),
    /// The scheme has been retired already.
    SchemeRetired(String),
    /// Numbers were asked of a retired scheme.
    SchemeNotInUse(String),
    /// No device of this name.
    UnknownDevice(String),
    /// A device of this name exists already (in the store or in station.toml).
    DeviceExists {
        /// The name.
        name: String,
        /// Where it is taken, in each language.
        place: (&'static str, &'static str),
    },
    /// The device is defined in station.toml and cannot be removed through the station.
    DeviceInConfig(String),
    /// A device definition has a bad field.
    BadDevice {
        /// The device's name as given.
        name: String,
        /// What is wrong.
        problem: Bilingual,
    },
    /// A scanner names a workstation that is not configured.
    UnknownWorkstation {
        /// The scanner.
        scanner: String,
        /// The workstation it names.
        workstation: String,
        /// The configured workstations, comma-separated.
        known: String,
    },
    /// A printer with labels still waiting cannot be removed.
    PrinterHasJobs {
        /// The printer.
        name: String,
        /// Pending jobs.
        count: usize,
    },
    /// A print job that is no longer waiting.
    JobDone(u64),
    /// The change would leave no active administrator.
    LastAdmin,
    /// A badge that was replaced by a new one (lost or damaged) was used.
    BadgeReplaced,
    /// A badge of someone who has left was used.
    PersonLeft {
        /// The badge.
        barcode: Barcode,
        /// Their name.
        name: String,
    },
}

/// The store could not do what was asked: the disk, the files or sled failed, or the
/// data directory cannot be used by this process.
#[derive(Debug)]
pub enum StorageError {
    /// The data directory is used by another process.
    Locked {
        /// The data directory.
        path: String,
        /// Who holds it, if known (" (pid N)").
        holder: String,
    },
    /// The store was written by a newer station.
    SchemaTooNew {
        /// The data directory.
        path: String,
        /// Version found.
        found: u32,
        /// Version supported.
        supported: u32,
    },
    /// The directory holds a database that is not a station store.
    SchemaUnknown {
        /// The data directory.
        path: String,
    },
    /// A family of records was written by a newer station.
    FamilyTooNew {
        /// The data directory.
        path: String,
        /// The family (`boxes`, `loans`, …).
        family: String,
        /// Version found.
        found: u32,
        /// Version this build knows.
        supported: u32,
    },
    /// This build has no step from a version of a record family it should read.
    NoMigration {
        /// The family.
        family: String,
        /// The version found.
        from: u32,
    },
    /// A sled failure (I/O error, corruption).
    Storage {
        /// What was being done.
        context: String,
        /// The underlying failure.
        source: sled::Error,
    },
    /// The disk is full.
    DiskFull {
        /// What was being done.
        context: String,
    },
    /// A filesystem failure outside sled.
    Io {
        /// What was being done.
        context: String,
        /// The underlying failure.
        source: std::io::Error,
    },
    /// A record could not be decoded.
    Corrupt {
        /// Which record.
        key: String,
    },
    /// An event is stored in a format only a newer build knows.
    EventFormatTooNew {
        /// The event.
        seq: u64,
        /// The format byte found.
        format: u8,
    },
    /// Internal: sled asks to run the transaction again.
    #[doc(hidden)]
    Conflict,
}

impl Refusal {
    /// What to tell people.
    pub fn message(&self) -> Message {
        match self {
            Refusal::NotFound(barcode) => message!(ItemNotRegistered, barcode = barcode),
            Refusal::WrongKind { barcode, expected } => message!(
                ItemWrongKind,
                barcode = barcode,
                found = barcode.kind().label(),
                expected = expected.label()
            ),
            Refusal::DuplicateArchiveNo(archive_no) => {
                message!(BoxArchiveNoExists, archive_no = archive_no)
            }
            Refusal::DuplicateBarcode(barcode) => message!(ItemBarcodeTaken, barcode = barcode),
            Refusal::DuplicatePath(path) => message!(LocationExists, path = path),
            Refusal::CertificateOutsideSafe { path } => {
                message!(CertificateOutsideSafe, path = path)
            }
            Refusal::BoxInSafe { path } => message!(BoxInSafe, path = path),
            Refusal::NotAHoldingLocation { path } => message!(LocationNotHolding, path = path),
            Refusal::Layout(refusal) => refusal.message(),
            Refusal::OnLoan {
                item,
                borrower,
                since,
            } => message!(LoanOnLoan, item = item, borrower = borrower, since = since),
            Refusal::NeedsApproval { name } => message!(CheckoutNeedsApproval, name = name),
            Refusal::NotApprover { name } => message!(CheckoutNotApprover, name = name),
            Refusal::NotOnLoan(item) => message!(LoanNotOnLoan, item = item),
            Refusal::NoReturnCheck(loan) => message!(ReturnNoCheck, loan = loan),
            Refusal::ReturnCheckNotLent { loan, position } => {
                message!(ReturnCheckNotLent, loan = loan, position = position)
            }
            Refusal::ReturnCheckAlreadyBack { loan, position } => {
                message!(ReturnCheckAlreadyBack, loan = loan, position = position)
            }
            Refusal::ReturnMarkedIncomplete(loan) => message!(ReturnMarkedIncomplete, loan = loan),
            Refusal::ReturnCheckNoteTooLong(max) => message!(ReturnCheckNoteTooLong, max = max),
            Refusal::UnknownScheme(name) => message!(SchemeUnknown, name = name),
            Refusal::UnknownLoan(id) => message!(LoanUnknown, id = id),
            Refusal::UnknownToken(id) => message!(TokenUnknown, id = id),
            Refusal::UnknownJob(id) => message!(LabelUnknownJob, id = id),
            Refusal::ReprintReason => message!(LabelReprintReason),
            Refusal::UnknownHandover(id) => message!(HandoverUnknown, id = id),
            Refusal::UnknownPickList(id) => message!(PickListUnknown, id = id),
            Refusal::PickListEmpty => message!(PickListEmpty),
            Refusal::PickListTooLarge { count, max } => {
                message!(PickListTooLarge, count = count, max = max)
            }
            Refusal::PickListClosed(id) => message!(PickListClosed, id = id),
            Refusal::UnknownTask(id) => message!(TaskUnknown, id = id),
            Refusal::UnknownNotification(id) => message!(NotificationUnknown, id = id),
            Refusal::TaskConflict { external_id, id } => {
                message!(TaskConflict, external_id = external_id, id = id)
            }
            Refusal::TaskField { field, max } => message!(TaskField, field = *field, max = max),
            Refusal::TaskNoSubject => message!(TaskNoSubject),
            Refusal::TaskUnknownCategory(category) => {
                message!(TaskUnknownCategory, category = category)
            }
            Refusal::TaskLimit { step, limit } => {
                message!(TaskLimit, step = *step, limit = limit.clone())
            }
            Refusal::TaskInFuture { at } => message!(TaskInFuture, at = at),
            Refusal::TaskDone(id) => message!(TaskDone, id = id),
            Refusal::TaskWrongStep { id, step, expected } => {
                message!(TaskWrongStep, id = id, step = *step, expected = *expected)
            }
            Refusal::TaskNotYours { id, step, owner } => {
                message!(TaskNotYours, id = id, step = *step, owner = owner)
            }
            Refusal::UnknownLoanSlip(id) => message!(LoanSlipUnknown, id = id),
            Refusal::LoanSlipEmpty => message!(LoanSlipEmpty),
            Refusal::LoanSlipTooLarge { count, max } => {
                message!(LoanSlipTooLarge, count = count, max = max)
            }
            Refusal::LoanSlipPurposeMissing => message!(LoanSlipPurposeMissing),
            Refusal::LoanSlipTextTooLong { field, max } => {
                message!(LoanSlipTextTooLong, field = *field, max = max)
            }
            Refusal::LoanSlipDuePast { due, today } => {
                message!(LoanSlipDuePast, due = due, today = today)
            }
            Refusal::LoanSlipWrongState { id, state, action } => message!(
                LoanSlipWrongState,
                id = id,
                state = state.label(),
                action = *action
            ),
            Refusal::LoanSlipReasonMissing => message!(LoanSlipReasonMissing),
            Refusal::NotOnSlip { item, id } => message!(LoanSlipNotOnSlip, item = item, id = id),
            Refusal::SlipAlreadyLent { item, id } => {
                message!(LoanSlipAlreadyLent, item = item, id = id)
            }
            Refusal::PickListSlipNotApproved { id, state } => {
                message!(PickListSlipNotApproved, id = id, state = state.label())
            }
            Refusal::HandoverExtensionReason => message!(HandoverExtensionReason),
            Refusal::HandoverExtensionNotLater { until, deadline } => message!(
                HandoverExtensionNotLater,
                until = until,
                deadline = deadline
            ),
            Refusal::HandoverClosed(id) => message!(HandoverClosed, id = id),
            Refusal::Incomplete { barcode, lacks } => {
                message!(HandoverIncomplete, barcode = barcode, lacks = lacks)
            }
            Refusal::NothingToSupplement(id) => message!(HandoverNoSupplement, id = id),
            Refusal::BadDocument(problem) => problem.clone(),
            Refusal::TooManyDocuments(max) => message!(ContentsTooMany, max = max),
            Refusal::NoDocument { barcode, position } => {
                message!(ContentsNoPosition, barcode = barcode, position = position)
            }
            Refusal::Exhausted(what) => message!(NumberingExhausted, what = what),
            Refusal::Field(error) => error.message(),
            Refusal::Path(error) => error.message(),
            Refusal::ArchiveNo(error) => error.message(),
            Refusal::Barcode(error) => error.message(),
            Refusal::Scheme(error) => error.message(),
            Refusal::TimedOut => message!(RequestTimeout),
            Refusal::BackupTarget { path, reason } => {
                message!(BackupBadTarget, path = path, reason = reason.clone())
            }
            Refusal::SchemeExists { name, place } => {
                message!(SchemeExists, name = name, place = *place)
            }
            Refusal::SchemeInConfig(name) => message!(SchemeInConfig, name = name),
            Refusal::SchemeRetired(name) => message!(SchemeRetired, name = name),
            Refusal::SchemeNotInUse(name) => message!(SchemeNotInUse, name = name),
            Refusal::UnknownDevice(name) => message!(DeviceUnknown, name = name),
            Refusal::DeviceExists { name, place } => {
                message!(DeviceExists, name = name, place = *place)
            }
            Refusal::DeviceInConfig(name) => message!(DeviceInConfig, name = name),
            Refusal::BadDevice { name, problem } => {
                message!(
                    DeviceInvalid,
                    name = format!("{name:?}"),
                    problem = problem.clone()
                )
            }
            Refusal::UnknownWorkstation {
                scanner,
                workstation,
                known,
            } => message!(
                DeviceUnknownWorkstation,
                scanner = scanner,
                workstation = format!("{workstation:?}"),
                known = known
            ),
            Refusal::PrinterHasJobs { name, count } => {
                message!(DevicePrinterHasJobs, name = name, count = count)
            }
            Refusal::JobDone(id) => message!(LabelJobDone, id = id),
            Refusal::LastAdmin => message!(PersonLastAdmin),
            Refusal::PersonLeft { barcode, name } => {
                message!(PersonLeft, name = name, barcode = barcode)
            }
            Refusal::BadgeReplaced => message!(PersonBadgeReplaced),
        }
    }

    /// Whether the refusal says that what was named does not exist (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Refusal::NotFound(_)
                | Refusal::UnknownScheme(_)
                | Refusal::UnknownLoan(_)
                | Refusal::NoReturnCheck(_)
                | Refusal::UnknownToken(_)
                | Refusal::UnknownJob(_)
                | Refusal::UnknownHandover(_)
                | Refusal::UnknownPickList(_)
                | Refusal::UnknownTask(_)
                | Refusal::UnknownNotification(_)
                | Refusal::UnknownLoanSlip(_)
                | Refusal::UnknownDevice(_)
        )
    }
}

impl StorageError {
    /// What to tell people (the log also gets the underlying failure).
    pub fn message(&self) -> Message {
        match self {
            StorageError::Locked { path, holder } => {
                message!(StoreLocked, path = path, holder = holder)
            }
            StorageError::SchemaTooNew {
                path,
                found,
                supported,
            } => message!(
                StoreSchemaTooNew,
                path = path,
                found = found,
                supported = supported
            ),
            StorageError::SchemaUnknown { path } => message!(StoreSchemaUnknown, path = path),
            StorageError::FamilyTooNew {
                path,
                family,
                found,
                supported,
            } => message!(
                StoreFamilyTooNew,
                path = path,
                family = family,
                found = found,
                supported = supported
            ),
            StorageError::NoMigration { family, from } => {
                message!(StoreNoMigration, family = family, from = from)
            }
            StorageError::Storage { context, .. } => message!(StoreFailure, context = context),
            StorageError::DiskFull { context } => message!(StoreDiskFull, context = context),
            StorageError::Io { context, source } => {
                message!(StoreIo, context = context, reason = source)
            }
            StorageError::Corrupt { key } => message!(StoreCorrupt, key = key),
            StorageError::EventFormatTooNew { seq, format } => ChainError::UnknownFormat {
                seq: *seq,
                format: *format,
            }
            .message(),
            StorageError::Conflict => message!(StoreConflict),
        }
    }

    /// A sled failure while doing `context`; a full disk is told apart.
    pub(crate) fn sled(context: &str, source: sled::Error) -> StorageError {
        match &source {
            sled::Error::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
                StorageError::DiskFull {
                    context: context.to_owned(),
                }
            }
            _ => StorageError::Storage {
                context: context.to_owned(),
                source,
            },
        }
    }
}

impl StoreError {
    /// What to tell people.
    pub fn message(&self) -> Message {
        match self {
            StoreError::Refused(refusal) => refusal.message(),
            StoreError::Failed(failure) => failure.message(),
        }
    }

    /// Maps a sled failure while doing `context` (a full disk is told apart).
    pub(crate) fn storage(context: &str) -> impl FnOnce(sled::Error) -> StoreError + '_ {
        move |source| StoreError::Failed(StorageError::sled(context, source))
    }

    /// A record under `key` that cannot be decoded.
    pub(crate) fn corrupt(key: &[u8]) -> StoreError {
        StoreError::Failed(StorageError::Corrupt {
            key: String::from_utf8_lossy(key).into_owned(),
        })
    }

    pub(crate) fn wrong_kind(barcode: Barcode, expected: Kind) -> StoreError {
        StoreError::Refused(Refusal::WrongKind { barcode, expected })
    }

    /// Whether the error is the caller's input rather than the store's health.
    pub fn is_rejection(&self) -> bool {
        matches!(self, StoreError::Refused(_))
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message().fmt(f)
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message().fmt(f)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Refused(_) => None,
            StoreError::Failed(failure) => failure.source(),
        }
    }
}

crate::message::display_by_message!(Refusal);

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StorageError::Storage { source, .. } => Some(source),
            StorageError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<Refusal> for StoreError {
    fn from(refusal: Refusal) -> StoreError {
        StoreError::Refused(refusal)
    }
}

impl From<StorageError> for StoreError {
    fn from(failure: StorageError) -> StoreError {
        StoreError::Failed(failure)
    }
}

macro_rules! refusal_from {
    ($($error:ty => $variant:ident),* $(,)?) => {
        $(
            impl From<$error> for StoreError {
                fn from(error: $error) -> StoreError {
                    StoreError::Refused(Refusal::$variant(error))
                }
            }
        )*
    };
}

refusal_from!(
    FieldError => Field,
    PathError => Path,
    ArchiveNoError => ArchiveNo,
    BarcodeError => Barcode,
    SchemeError => Scheme,
);

impl From<UnabortableTransactionError> for StoreError {
    fn from(error: UnabortableTransactionError) -> StoreError {
        match error {
            UnabortableTransactionError::Conflict => StoreError::Failed(StorageError::Conflict),
            UnabortableTransactionError::Storage(source) => {
                StoreError::storage("transaction")(source)
            }
        }
    }
}
