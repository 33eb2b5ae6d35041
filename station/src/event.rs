//! The append-only event log: every change is an event, chained by SHA-256 so that any
//! edit, removal or reordering of history is detectable.
//!
//! Event `n` stores `hash_n = SHA-256(hash_{n-1} ‖ body_n)`, where `body_n` is the
//! canonical postcard encoding of everything in the event but its hash, and `hash_0` is 32
//! zero bytes. [`verify_chain`] recomputes the chain and names the first event where it breaks.

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

/// A sequenced, chained event as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the log, from 1.
    pub seq: u64,
    /// The content.
    pub body: EventBody,
    /// SHA-256 of the previous event's hash and this event's seq and body.
    pub hash: Hash,
}

/// The hash of an event with `seq` and `body` following `prev`.
pub fn chain_hash(prev: &Hash, seq: u64, body: &EventBody) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(seq.to_be_bytes());
    // postcard encoding of plain data into a Vec cannot fail; an empty body would still
    // differ from any real one, so the chain stays sound even then.
    hasher.update(postcard::to_allocvec(body).unwrap_or_default());
    hasher.finalize().into()
}

impl Event {
    /// Sequences `body` after the event whose hash is `prev`.
    pub fn chain(prev: &Hash, seq: u64, body: EventBody) -> Event {
        let hash = chain_hash(prev, seq, &body);
        Event { seq, body, hash }
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
        if chain_hash(&self.prev, event.seq, &event.body) != event.hash {
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

    const GOLDEN_1: &str = "9bdbfffed09e86ec8f865510665fcf29d0df44c95a4e028df425f9001950f943";
    const GOLDEN_2: &str = "912a0cec736017df6bbdbe825449d5da13aff3ab9d7261f7552514c565ff91d8";

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

    /// Golden vectors: the hashes of a fixed two-event chain as stores write them. A change to the hashing, the field order of an event or
    /// the encoding of its values changes these and would break every stored chain.
    #[test]
    fn a_fixed_chain_hashes_to_its_golden_values() {
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
        let one = Event::chain(&GENESIS, 1, first);
        let two = Event::chain(&one.hash, 2, second);
        assert_eq!(hex(&one.hash), GOLDEN_1);
        assert_eq!(hex(&two.hash), GOLDEN_2);
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
        events[4].hash = chain_hash(&events[3].hash, 5, &events[4].body);
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
