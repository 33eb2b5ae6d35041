//! The append-only event log: every change is an event, chained by SHA-256 so that any
//! edit, removal or reordering of history is detectable.
//!
//! Event `n` stores `hash_n = SHA-256(hash_{n-1} ‖ f ‖ seq_n ‖ body_n)`, where `f` is the
//! event's [`Format`] byte, `seq_n` its position (8 bytes, big-endian), `body_n` the canonical
//! postcard encoding of its [`EventBody`], and `hash_0` is 32 zero bytes. Events written
//! before formats existed (format 0, [`Format::Unversioned`]) were hashed without the byte,
//! `SHA-256(hash_{n-1} ‖ seq_n ‖ body_n)`, and keep verifying that way: they are never
//! rehashed or rewritten. A change to how events are encoded or hashed is a new format, so
//! a stored chain never breaks silently. [`verify_chain`] recomputes the chain and names
//! the first event where it breaks.
//!
//! **Invariant:** the format of a stored event is decided by where it stands, never guessed
//! from its bytes: the store records the first position written with a format byte
//! ([`Event::decode`]'s `versioned`); events before it are format 0 (postcard of seq, body and
//! hash, as before), events from it on are their format byte followed by that encoding.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::barcode::Barcode;
use crate::message;
use crate::message::Message;
use crate::model::Millis;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The hash that stands before the first event.
pub const GENESIS: Hash = [0; 32];

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// A box, certificate, location or person was registered.
    Registered,
    /// An item came in through a ledger import.
    Imported,
    /// Descriptive fields were edited.
    Edited,
    /// An item moved to another location.
    Moved,
    /// A loan was opened.
    LoanOpened,
    /// A loan was approved.
    LoanApproved,
    /// A loan was closed by a return.
    LoanReturned,
    /// A handover was started.
    HandoverStarted,
    /// A handover was confirmed by its receiver.
    HandoverConfirmed,
    /// An item's status changed without moving.
    StatusChanged,
    /// An archive number was allocated from a scheme.
    NumberAllocated,
    /// A workstation's last effect was taken back (UNDO).
    Undone,
    /// A stock-take found an item missing from where it should be.
    FlaggedMissing,
    /// A label was queued for printing.
    PrintQueued,
    /// A queued label could not be printed yet (first failure; retried with back-off).
    PrintDelayed,
    /// A queued label was printed.
    Printed,
    /// A queued label was cancelled by a person.
    PrintCancelled,
    /// An API token was created.
    TokenCreated,
    /// An API token was revoked.
    TokenRevoked,
    /// A request was refused for lack of the right role.
    AccessDenied,
    /// A loan's due date was moved later.
    LoanRenewed,
    /// An administrator added a numbering scheme (station-managed, not in station.toml).
    SchemeAdded,
    /// A station-managed numbering scheme was retired: it allocates no new numbers.
    SchemeRetired,
    /// An administrator added a device (scanner or printer) to the store.
    DeviceAdded,
    /// A station-managed device was removed.
    DeviceRemoved,
    /// A device was enabled again.
    DeviceEnabled,
    /// A device was disabled: it stays defined but is not run.
    DeviceDisabled,
    /// A person's name, role, direct borrowing or being active changed.
    PersonEdited,
    /// A pick list was made (its boxes find it in their history).
    PickListCreated,
    /// A box was ticked off a pick list.
    Picked,
    /// A pick list was finished by DONE.
    PickListClosed,
    /// A box's contents list was replaced, or a document added, edited or removed.
    ContentsChanged,
    /// Documents came into a box's contents list through an import.
    ContentsImported,
    /// A box's expiry date (合同到期日) was set or cleared.
    ExpirySet,
    /// A box lacking required documents was handed over anyway, with a reason.
    HandedOverIncomplete,
    /// A reviewer (B) asked for supplements: the box waits for the documents named.
    SupplementRequested,
    /// A box waiting for supplements became complete.
    SupplementCompleted,
    /// A loan slip (档案资料出借单) was filled in: borrower, purpose, boxes, due date.
    LoanSlipRequested,
    /// A loan slip was approved by a supervisor.
    LoanSlipApproved,
    /// A loan slip was refused by a supervisor, with a reason.
    LoanSlipRefused,
    /// A box was lent against a loan slip.
    LoanSlipLent,
    /// Every box lent against a loan slip came back: the slip is closed.
    LoanSlipClosed,
    /// A handover's deadline was extended by a supervisor, with a reason.
    HandoverExtended,
    /// A returned box was confirmed complete: everything lent came back (43).
    ReturnConfirmed,
    /// A return was confirmed incomplete: the documents still out are listed (44).
    ReturnIncomplete,
    /// Documents missing at a return came back (45); the check closes when none is missing.
    ReturnDocumentsBack,
    /// A task's current step was notified to its owner (and, escalated, to the station's
    /// supervisors): entered warning, became overdue, or urged again (46). In the history
    /// of the task's box, if it names one.
    TaskReminded,
    /// Number 47: kept for other work of issue #14 (never recorded by this build), so
    /// that the numbers after it stay put.
    Reserved47,
    /// Number 48: kept for other work of issue #14 (never recorded by this build), so
    /// that the numbers after it stay put.
    Reserved48,
    /// Number 49: kept for other work of issue #14 (never recorded by this build), so
    /// that the numbers after it stay put.
    Reserved49,
    /// An archive task came from a business system (its box, if it names one, finds it
    /// in its history).
    TaskCreated,
    /// A step of an archive task was completed (by one click or by a scan of its box).
    TaskStepDone,
}

/// One field's value before and after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    /// Field name.
    pub field: String,
    /// Value before (none when the field was new).
    pub before: Option<String>,
    /// Value after (none when the field was cleared).
    pub after: Option<String>,
}

impl Change {
    /// A change of `field` from `before` to `after`.
    pub fn new(
        field: &str,
        before: Option<impl Into<String>>,
        after: Option<impl Into<String>>,
    ) -> Change {
        Change {
            field: field.to_owned(),
            before: before.map(Into::into),
            after: after.map(Into::into),
        }
    }
}

/// What an event says, before it is sequenced and chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBody {
    /// When, in milliseconds since the epoch (UTC).
    pub at: Millis,
    /// Which station recorded it.
    pub station: String,
    /// Who: a badge barcode, a token's owner, or `cli`/`import`.
    pub actor: String,
    /// The item concerned.
    pub item: Option<Barcode>,
    /// What happened.
    pub kind: EventKind,
    /// Fields before → after.
    pub changes: Vec<Change>,
}

/// How an event is hashed and stored. Each format keeps its number forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Format 0, written before formats existed: hashed as `SHA-256(prev ‖ seq ‖ body)` and
    /// stored as the postcard encoding of seq, body and hash, without a format byte.
    Unversioned,
    /// Format 1: hashed as `SHA-256(prev ‖ 1 ‖ seq ‖ body)` and stored as the byte 1
    /// followed by the postcard encoding of seq, body and hash.
    V1,
}

impl Format {
    /// The format new events are written in.
    pub const CURRENT: Format = Format::V1;

    /// The format's number, as hashed and stored.
    pub const fn byte(self) -> u8 {
        match self {
            Format::Unversioned => 0,
            Format::V1 => 1,
        }
    }

    /// The format numbered `byte`, if this build knows it.
    pub const fn from_byte(byte: u8) -> Option<Format> {
        match byte {
            0 => Some(Format::Unversioned),
            1 => Some(Format::V1),
            _ => None,
        }
    }
}

/// A sequenced, chained event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Position in the log, from 1.
    pub seq: u64,
    /// How it is hashed and stored.
    pub format: Format,
    /// The content.
    pub body: EventBody,
    /// SHA-256 of the previous event's hash and this event's format, seq and body.
    pub hash: Hash,
}

/// What every format stores after its format byte (format 0: the whole record).
#[derive(Serialize)]
struct RecordRef<'a> {
    seq: u64,
    body: &'a EventBody,
    hash: &'a Hash,
}

/// [`RecordRef`] as read back.
#[derive(Deserialize)]
struct Record {
    seq: u64,
    body: EventBody,
    hash: Hash,
}

/// The hash of an event in `format` with `seq` and `body` following `prev`.
pub fn chain_hash(format: Format, prev: &Hash, seq: u64, body: &EventBody) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    match format {
        Format::Unversioned => {}
        Format::V1 => hasher.update([format.byte()]),
    }
    hasher.update(seq.to_be_bytes());
    // postcard encoding of plain data into a Vec cannot fail; an empty body would still
    // differ from any real one, so the chain stays sound even then.
    hasher.update(postcard::to_allocvec(body).unwrap_or_default());
    hasher.finalize().into()
}

impl Event {
    /// Sequences `body` after the event whose hash is `prev`, in the current format.
    pub fn chain(prev: &Hash, seq: u64, body: EventBody) -> Event {
        Event::chain_as(Format::CURRENT, prev, seq, body)
    }

    /// Sequences `body` after the event whose hash is `prev`, in `format`.
    pub fn chain_as(format: Format, prev: &Hash, seq: u64, body: EventBody) -> Event {
        let hash = chain_hash(format, prev, seq, &body);
        Event {
            seq,
            format,
            body,
            hash,
        }
    }

    /// Appends the stored bytes: format 0 as the postcard encoding of seq, body and hash;
    /// every later format its byte first, then that encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        if self.format != Format::Unversioned {
            out.push(self.format.byte());
        }
        let record = RecordRef {
            seq: self.seq,
            body: &self.body,
            hash: &self.hash,
        };
        // Plain in-memory data always encodes into a Vec; should it not, the record stays
        // short and reads back as undecodable rather than as something else.
        if let Ok(bytes) = postcard::to_allocvec(&record) {
            out.extend_from_slice(&bytes);
        }
    }

    /// Decodes the stored bytes of event `seq`. `versioned` says whether the record carries a
    /// format byte: the store knows it from where the event stands (see the module's
    /// invariant), never from the bytes themselves. A format this build does not know is
    /// [`ChainError::UnknownFormat`]; bytes that do not decode, a format byte of 0, or a
    /// record of another seq are [`ChainError::Undecodable`].
    pub fn decode(bytes: &[u8], seq: u64, versioned: bool) -> Result<Event, ChainError> {
        let undecodable = ChainError::Undecodable { seq };
        let (format, rest) = if versioned {
            let Some((byte, rest)) = bytes.split_first() else {
                return Err(undecodable);
            };
            match Format::from_byte(*byte) {
                // Format 0 has no byte: one that says 0 is damage, not format 0.
                Some(Format::Unversioned) => return Err(undecodable),
                Some(format) => (format, rest),
                None => return Err(ChainError::UnknownFormat { seq, format: *byte }),
            }
        } else {
            (Format::Unversioned, bytes)
        };
        let record: Record = postcard::from_bytes(rest).map_err(|_| undecodable.clone())?;
        if record.seq != seq {
            return Err(undecodable);
        }
        Ok(Event {
            seq,
            format,
            body: record.body,
            hash: record.hash,
        })
    }
}

/// Where and how the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// An event's stored hash does not match its content and predecessor.
    HashMismatch {
        /// The event whose hash failed.
        seq: u64,
    },
    /// A sequence number is missing: events were removed.
    Gap {
        /// The sequence expected.
        expected: u64,
        /// The sequence found instead.
        found: u64,
    },
    /// The log ends before the recorded head: events at the end were removed.
    Truncated {
        /// The last event present.
        last: u64,
        /// The head recorded in the store.
        head: u64,
    },
    /// The last event's hash is not the recorded head hash.
    HeadMismatch {
        /// The last event.
        seq: u64,
    },
    /// An event could not be decoded.
    Undecodable {
        /// Its position (as found in its key).
        seq: u64,
    },
    /// An event is stored in a format this build does not know (a newer build wrote it).
    UnknownFormat {
        /// Its position.
        seq: u64,
        /// The format byte found.
        format: u8,
    },
}

impl ChainError {
    /// What to tell people.
    pub fn message(&self) -> Message {
        match self {
            ChainError::HashMismatch { seq } => message!(ChainHashMismatch, seq = seq),
            ChainError::Gap { expected, found } => {
                message!(ChainGap, expected = expected, found = found)
            }
            ChainError::Truncated { last, head } => {
                message!(ChainTruncated, last = last, head = head)
            }
            ChainError::HeadMismatch { seq } => message!(ChainHeadMismatch, seq = seq),
            ChainError::Undecodable { seq } => message!(ChainUndecodable, seq = seq),
            ChainError::UnknownFormat { seq, format } => message!(
                EventFormatTooNew,
                seq = seq,
                format = u32::from(*format),
                supported = u32::from(Format::CURRENT.byte())
            ),
        }
    }
}

crate::message::display_by_message!(ChainError);

/// Incremental verification of a chain, fed one event at a time in key order.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev: Hash,
    next_seq: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            prev: GENESIS,
            next_seq: 1,
        }
    }
}

impl ChainVerifier {
    /// Checks the next event.
    pub fn push(&mut self, event: &Event) -> Result<(), ChainError> {
        if event.seq != self.next_seq {
            return Err(ChainError::Gap {
                expected: self.next_seq,
                found: event.seq,
            });
        }
        if chain_hash(event.format, &self.prev, event.seq, &event.body) != event.hash {
            return Err(ChainError::HashMismatch { seq: event.seq });
        }
        self.prev = event.hash;
        self.next_seq += 1;
        Ok(())
    }

    /// Checks that the chain ends at the recorded head (`seq`, `hash`).
    pub fn finish(&self, head_seq: u64, head_hash: &Hash) -> Result<u64, ChainError> {
        let last = self.next_seq - 1;
        if last < head_seq {
            return Err(ChainError::Truncated {
                last,
                head: head_seq,
            });
        }
        if last > head_seq || &self.prev != head_hash {
            return Err(ChainError::HeadMismatch { seq: last });
        }
        Ok(last)
    }
}

/// Verifies a whole chain that should end at (`head_seq`, `head_hash`).
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    head_seq: u64,
    head_hash: &Hash,
) -> Result<u64, ChainError> {
    let mut verifier = ChainVerifier::default();
    for event in events {
        verifier.push(event)?;
    }
    verifier.finish(head_seq, head_hash)
}

/// Hex spelling of a hash, for logs and `station verify`.
pub fn hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed chain's hashes in format 0 (as stores written before formats hold them).
    const GOLDEN_1: &str = "9bdbfffed09e86ec8f865510665fcf29d0df44c95a4e028df425f9001950f943";
    const GOLDEN_2: &str = "912a0cec736017df6bbdbe825449d5da13aff3ab9d7261f7552514c565ff91d8";
    /// The same chain in format 1.
    const GOLDEN_V1_1: &str = "766133cbbffbd4fcbd716c77606663055dd49b137f0734c03e7941310e600147";
    const GOLDEN_V1_2: &str = "97b1151cdaaffa9e796994fa144586029a9349654f8f975d200d67731fe5cdc4";

    /// Where each kind stands in the stored encoding. The match has no catch-all, so a new
    /// kind must be given its number here; a reordered enum fails the test below, because
    /// stored events (and their hashes) carry these numbers.
    fn stored_number(kind: EventKind) -> u8 {
        match kind {
            EventKind::Registered => 0,
            EventKind::Imported => 1,
            EventKind::Edited => 2,
            EventKind::Moved => 3,
            EventKind::LoanOpened => 4,
            EventKind::LoanApproved => 5,
            EventKind::LoanReturned => 6,
            EventKind::HandoverStarted => 7,
            EventKind::HandoverConfirmed => 8,
            EventKind::StatusChanged => 9,
            EventKind::NumberAllocated => 10,
            EventKind::Undone => 11,
            EventKind::FlaggedMissing => 12,
            EventKind::PrintQueued => 13,
            EventKind::PrintDelayed => 14,
            EventKind::Printed => 15,
            EventKind::PrintCancelled => 16,
            EventKind::TokenCreated => 17,
            EventKind::TokenRevoked => 18,
            EventKind::AccessDenied => 19,
            EventKind::LoanRenewed => 20,
            EventKind::SchemeAdded => 21,
            EventKind::SchemeRetired => 22,
            EventKind::DeviceAdded => 23,
            EventKind::DeviceRemoved => 24,
            EventKind::DeviceEnabled => 25,
            EventKind::DeviceDisabled => 26,
            EventKind::PersonEdited => 27,
            EventKind::PickListCreated => 28,
            EventKind::Picked => 29,
            EventKind::PickListClosed => 30,
            EventKind::ContentsChanged => 31,
            EventKind::ContentsImported => 32,
            EventKind::ExpirySet => 33,
            EventKind::HandedOverIncomplete => 34,
            EventKind::SupplementRequested => 35,
            EventKind::SupplementCompleted => 36,
            EventKind::LoanSlipRequested => 37,
            EventKind::LoanSlipApproved => 38,
            EventKind::LoanSlipRefused => 39,
            EventKind::LoanSlipLent => 40,
            EventKind::LoanSlipClosed => 41,
            EventKind::HandoverExtended => 42,
            EventKind::ReturnConfirmed => 43,
            EventKind::ReturnIncomplete => 44,
            EventKind::ReturnDocumentsBack => 45,
            EventKind::TaskReminded => 46,
            EventKind::Reserved47 => 47,
            EventKind::Reserved48 => 48,
            EventKind::Reserved49 => 49,
            EventKind::TaskCreated => 50,
            EventKind::TaskStepDone => 51,
        }
    }

    #[test]
    fn every_event_kind_keeps_its_stored_number() {
        let kinds = [
            EventKind::Registered,
            EventKind::Imported,
            EventKind::Edited,
            EventKind::Moved,
            EventKind::LoanOpened,
            EventKind::LoanApproved,
            EventKind::LoanReturned,
            EventKind::HandoverStarted,
            EventKind::HandoverConfirmed,
            EventKind::StatusChanged,
            EventKind::NumberAllocated,
            EventKind::Undone,
            EventKind::FlaggedMissing,
            EventKind::PrintQueued,
            EventKind::PrintDelayed,
            EventKind::Printed,
            EventKind::PrintCancelled,
            EventKind::TokenCreated,
            EventKind::TokenRevoked,
            EventKind::AccessDenied,
            EventKind::LoanRenewed,
            EventKind::SchemeAdded,
            EventKind::SchemeRetired,
            EventKind::DeviceAdded,
            EventKind::DeviceRemoved,
            EventKind::DeviceEnabled,
            EventKind::DeviceDisabled,
            EventKind::PersonEdited,
            EventKind::PickListCreated,
            EventKind::Picked,
            EventKind::PickListClosed,
            EventKind::ContentsChanged,
            EventKind::ContentsImported,
            EventKind::ExpirySet,
            EventKind::HandedOverIncomplete,
            EventKind::SupplementRequested,
            EventKind::SupplementCompleted,
            EventKind::LoanSlipRequested,
            EventKind::LoanSlipApproved,
            EventKind::LoanSlipRefused,
            EventKind::LoanSlipLent,
            EventKind::LoanSlipClosed,
            EventKind::HandoverExtended,
            EventKind::ReturnConfirmed,
            EventKind::ReturnIncomplete,
            EventKind::ReturnDocumentsBack,
            EventKind::TaskReminded,
            EventKind::TaskCreated,
            EventKind::TaskStepDone,
        ];
        for kind in kinds {
            let encoded = postcard::to_allocvec(&kind).expect("encode");
            assert_eq!(encoded, vec![stored_number(kind)], "{kind:?}");
            let decoded: EventKind = postcard::from_bytes(&encoded).expect("decode");
            assert_eq!(decoded, kind);
        }
    }

    fn hex(hash: &Hash) -> String {
        hash.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// The two events of the golden chain.
    fn golden_bodies() -> (EventBody, EventBody) {
        let first = EventBody {
            at: 1_795_770_000_000,
            station: "station".into(),
            actor: "cli".into(),
            item: Some(Barcode::parse("B0000000016").expect("valid")),
            kind: EventKind::Registered,
            changes: vec![Change::new(
                "archive_no",
                None::<String>,
                Some("2026鸿借字第001号"),
            )],
        };
        let second = EventBody {
            at: 1_795_770_060_000,
            station: "station".into(),
            actor: "P0000000014@counter".into(),
            item: Some(Barcode::parse("B0000000016").expect("valid")),
            kind: EventKind::Moved,
            changes: vec![Change::new("place", None::<String>, Some("L0000000011"))],
        };
        (first, second)
    }

    /// Golden vectors: the hashes of a fixed two-event chain as stores write them, in each
    /// format. A change to the hashing, the field order of an event or the encoding of its
    /// values changes these and would break every stored chain: such a change must be a
    /// new format instead.
    #[test]
    fn a_fixed_chain_hashes_to_its_golden_values() {
        for (format, golden) in [
            (Format::Unversioned, [GOLDEN_1, GOLDEN_2]),
            (Format::V1, [GOLDEN_V1_1, GOLDEN_V1_2]),
        ] {
            let (first, second) = golden_bodies();
            let one = Event::chain_as(format, &GENESIS, 1, first);
            let two = Event::chain_as(format, &one.hash, 2, second);
            assert_eq!([hex(&one.hash), hex(&two.hash)], golden, "{format:?}");
        }
        assert_eq!(Format::CURRENT, Format::V1, "new events are format 1");
    }

    /// Every format keeps its number: stored events and their hashes carry it.
    #[test]
    fn every_format_keeps_its_number() {
        for (format, byte) in [(Format::Unversioned, 0), (Format::V1, 1)] {
            assert_eq!(format.byte(), byte);
            assert_eq!(Format::from_byte(byte), Some(format));
        }
        assert_eq!(Format::from_byte(2), None);
    }

    /// The stored bytes: format 0 is the encoding stores have always held (its golden
    /// bytes begin with the seq varint, not a format byte); format 1 is the byte 1 followed
    /// by that same encoding. Each reads back only where its position says it stands.
    #[test]
    fn events_are_stored_as_their_format_says_and_read_back() {
        let (first, _) = golden_bodies();
        let old = Event::chain_as(Format::Unversioned, &GENESIS, 1, first.clone());
        let new = Event::chain_as(Format::V1, &GENESIS, 1, first);
        let (mut old_bytes, mut new_bytes) = (Vec::new(), Vec::new());
        old.encode(&mut old_bytes);
        new.encode(&mut new_bytes);
        assert_eq!(
            old_bytes.first(),
            Some(&1),
            "format 0 starts with seq 1's varint"
        );
        assert_eq!(new_bytes.first(), Some(&1), "format 1 starts with its byte");
        assert_eq!(new_bytes.get(1..).map(<[u8]>::len), Some(old_bytes.len()));
        assert_eq!(new_bytes.get(1..33), old_bytes.get(..32));

        assert_eq!(Event::decode(&old_bytes, 1, false), Ok(old.clone()));
        assert_eq!(Event::decode(&new_bytes, 1, true), Ok(new.clone()));
        // The position decides, so the same leading byte never means two things.
        assert_eq!(
            Event::decode(&old_bytes, 1, true),
            Err(ChainError::Undecodable { seq: 1 })
        );
        assert_eq!(
            Event::decode(&old_bytes, 2, false),
            Err(ChainError::Undecodable { seq: 2 }),
            "a record under another event's key"
        );

        let mut newer = new_bytes.clone();
        newer[0] = 7;
        let refused = Event::decode(&newer, 1, true);
        assert_eq!(
            refused,
            Err(ChainError::UnknownFormat { seq: 1, format: 7 })
        );
        let said = refused.expect_err("unknown").message();
        assert_eq!(said.code, crate::message::Code::EventFormatTooNew);
        assert!(said.text.en.contains("format 7"), "{said:?}");

        let mut zero = new_bytes.clone();
        zero[0] = 0;
        assert_eq!(
            Event::decode(&zero, 1, true),
            Err(ChainError::Undecodable { seq: 1 }),
            "format 0 never has a byte"
        );
        // A short record is an error, never a panic.
        for cut in 0..new_bytes.len() {
            assert!(
                Event::decode(&new_bytes[..cut], 1, true).is_err(),
                "format 1 cut at {cut}"
            );
        }
        for cut in 0..old_bytes.len() {
            assert!(
                Event::decode(&old_bytes[..cut], 1, false).is_err(),
                "format 0 cut at {cut}"
            );
        }
    }

    fn body(n: i64) -> EventBody {
        EventBody {
            at: 1_700_000_000_000 + n,
            station: "counter".into(),
            actor: "P0000000014".into(),
            item: None,
            kind: EventKind::Moved,
            changes: vec![Change::new("place", Some(format!("L{n}")), Some("L9"))],
        }
    }

    fn chain(n: u64) -> Vec<Event> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let event = Event::chain(&prev, seq, body(seq as i64));
                prev = event.hash;
                event
            })
            .collect()
    }

    #[test]
    fn chain_errors_name_the_event_in_both_languages_under_their_codes() {
        use crate::message::Code;
        let cases = [
            (
                ChainError::HashMismatch { seq: 5 },
                Code::ChainHashMismatch,
                "#5",
            ),
            (
                ChainError::Gap {
                    expected: 4,
                    found: 6,
                },
                Code::ChainGap,
                "#4",
            ),
            (
                ChainError::Truncated { last: 8, head: 10 },
                Code::ChainTruncated,
                "#10",
            ),
            (
                ChainError::HeadMismatch { seq: 10 },
                Code::ChainHeadMismatch,
                "#10",
            ),
            (
                ChainError::Undecodable { seq: 7 },
                Code::ChainUndecodable,
                "#7",
            ),
        ];
        for (error, code, place) in cases {
            let said = error.message();
            assert_eq!(said.code, code);
            assert!(
                said.text.zh.contains(place) && said.text.en.contains(place),
                "{said:?}"
            );
        }
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = chain(10);
        let head = events.last().expect("ten events").hash;
        assert_eq!(verify_chain(&events, 10, &head), Ok(10));
        assert_eq!(verify_chain(&[], 0, &GENESIS), Ok(0));
    }

    /// A chain of `n` events whose first `old` are format 0, as in a store upgraded after
    /// its `old`th event.
    fn mixed_chain(n: u64, old: u64) -> Vec<Event> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let format = if seq <= old {
                    Format::Unversioned
                } else {
                    Format::V1
                };
                let event = Event::chain_as(format, &prev, seq, body(seq as i64));
                prev = event.hash;
                event
            })
            .collect()
    }

    #[test]
    fn a_chain_switching_from_format_0_to_format_1_verifies() {
        let events = mixed_chain(10, 4);
        let head = events[9].hash;
        assert_eq!(verify_chain(&events, 10, &head), Ok(10));
        let all_old = mixed_chain(3, 3);
        assert_eq!(verify_chain(&all_old, 3, &all_old[2].hash), Ok(3));
    }

    #[test]
    fn a_flipped_format_is_detected() {
        // The first new event claimed as old, an old one claimed as new, the last one.
        for (at, format) in [
            (4, Format::Unversioned),
            (1, Format::V1),
            (3, Format::V1),
            (9, Format::Unversioned),
        ] {
            let mut events = mixed_chain(10, 4);
            let head = events[9].hash;
            events[at].format = format;
            assert_eq!(
                verify_chain(&events, 10, &head),
                Err(ChainError::HashMismatch { seq: at as u64 + 1 }),
                "event #{} as {format:?}",
                at + 1
            );
        }
    }

    #[test]
    fn a_changed_event_is_detected() {
        let mut events = chain(10);
        let head = events[9].hash;
        events[4].body.actor = "somebody else".into();
        assert_eq!(
            verify_chain(&events, 10, &head),
            Err(ChainError::HashMismatch { seq: 5 })
        );
    }

    #[test]
    fn a_rehashed_forgery_breaks_the_next_link() {
        let mut events = chain(10);
        let head = events[9].hash;
        events[4].body.changes.clear();
        events[4].hash = chain_hash(Format::CURRENT, &events[3].hash, 5, &events[4].body);
        assert_eq!(
            verify_chain(&events, 10, &head),
            Err(ChainError::HashMismatch { seq: 6 })
        );
    }

    #[test]
    fn a_removed_event_is_detected() {
        let mut events = chain(10);
        let head = events[9].hash;
        events.remove(3);
        assert_eq!(
            verify_chain(&events, 10, &head),
            Err(ChainError::Gap {
                expected: 4,
                found: 5
            })
        );
    }

    #[test]
    fn removed_latest_events_are_detected() {
        let mut events = chain(10);
        let head = events[9].hash;
        events.truncate(8);
        assert_eq!(
            verify_chain(&events, 10, &head),
            Err(ChainError::Truncated { last: 8, head: 10 })
        );
    }

    #[test]
    fn a_replaced_latest_event_is_detected_by_the_head() {
        let mut events = chain(10);
        let head = events[9].hash;
        let replaced = Event::chain(&events[8].hash, 10, body(99));
        events[9] = replaced;
        assert_eq!(
            verify_chain(&events, 10, &head),
            Err(ChainError::HeadMismatch { seq: 10 })
        );
    }
}
