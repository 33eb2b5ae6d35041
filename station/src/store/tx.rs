//! One open transaction ([`Tx`]): reads see its own writes; events are recorded and then
//! sequenced and chained at commit. The write operations of each aggregate (items, loans,
//! handovers, people, settings, the print queue) are `impl Tx` blocks in their own modules.

use super::{decode, encode, keys, Refusal, Result, StoreError};
use crate::barcode::{Barcode, Kind};
use crate::event::{EventBody, EventKind};
use crate::model::{Item, Location, Millis, Person};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::TransactionalTree;

/// One open transaction: reads see its own writes; events are appended at commit.
pub struct Tx<'a> {
    pub(super) tree: &'a TransactionalTree,
    pub(super) actor: &'a str,
    pub(super) station: &'a str,
    pub(super) now: Millis,
    /// The station's time zone, for the dates a change records or shows.
    pub(super) time_zone: &'a crate::clock::TimeZone,
    /// Events to append at commit, each with further items whose history it belongs to.
    pub(super) events: Vec<(EventBody, Vec<Barcode>)>,
    /// The keys written, while an online backup follows the writes (`None` otherwise).
    pub(super) touched: Option<std::cell::RefCell<Vec<Vec<u8>>>>,
}

impl Tx<'_> {
    pub(super) fn get_raw(&self, key: &[u8]) -> Result<Option<sled::IVec>> {
        Ok(self.tree.get(key)?)
    }

    pub(super) fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        match self.tree.get(key)? {
            Some(bytes) => decode(&bytes, key).map(Some),
            None => Ok(None),
        }
    }

    pub(super) fn put<T: Serialize>(&self, key: &[u8], value: &T) -> Result<()> {
        self.touch(key);
        self.tree.insert(key, encode(value))?;
        Ok(())
    }

    pub(super) fn put_raw(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.touch(key);
        self.tree.insert(key, value)?;
        Ok(())
    }

    pub(super) fn remove(&self, key: &[u8]) -> Result<()> {
        self.touch(key);
        self.tree.remove(key)?;
        Ok(())
    }

    /// Notes a key written, for the online backup under way (if one is).
    pub(super) fn touch(&self, key: &[u8]) {
        if let Some(touched) = &self.touched {
            touched.borrow_mut().push(key.to_vec());
        }
    }

    pub(super) fn next_counter(&self, key: &[u8], max: u64, what: &str) -> Result<u64> {
        let last = match self.get_raw(key)? {
            Some(bytes) => keys::decode_u64(&bytes).ok_or_else(|| StoreError::corrupt(key))?,
            None => 0,
        };
        let next = last + 1;
        if next > max {
            return Err(Refusal::Exhausted(what.to_owned()).into());
        }
        self.put_raw(key, &next.to_be_bytes())?;
        Ok(next)
    }

    /// Raises a counter to at least `value` (after importing existing numbers).
    pub(super) fn raise_counter(&self, key: &[u8], value: u64) -> Result<()> {
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
    pub(super) fn new_barcode(&self, kind: Kind) -> Result<Barcode> {
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

    pub(super) fn require_item(&self, barcode: Barcode) -> Result<Item> {
        self.item(barcode)?
            .ok_or(StoreError::Refused(Refusal::NotFound(barcode)))
    }

    pub(super) fn require_location(&self, barcode: Barcode) -> Result<Location> {
        match self.require_item(barcode)? {
            Item::Location(location) => Ok(location),
            _ => Err(StoreError::wrong_kind(barcode, Kind::Location)),
        }
    }

    /// A person who has not left (borrowers, approvers, handover parties, token owners).
    pub(super) fn require_person(&self, barcode: Barcode) -> Result<Person> {
        let person = self.require_anyone(barcode)?;
        if self.get_raw(&keys::departed(barcode))?.is_some() {
            return Err(Refusal::PersonLeft {
                barcode,
                name: person.name,
            }
            .into());
        }
        Ok(person)
    }

    /// A person, whether or not they have left.
    pub(super) fn require_anyone(&self, barcode: Barcode) -> Result<Person> {
        match self.require_item(barcode)? {
            Item::Person(person) => Ok(person),
            _ => Err(StoreError::wrong_kind(barcode, Kind::Person)),
        }
    }

    /// Writes an item's record, and moves the tallies it counts in by what changed
    /// (`tally.rs`): every write of a record goes through here.
    pub(super) fn put_item(&self, item: &Item) -> Result<()> {
        let key = keys::item(item.barcode());
        let old: Option<Item> = self.get(&key)?;
        self.put(&key, item)?;
        self.retally(old.as_ref(), item)
    }

    /// Records an event for `item`; it is sequenced and chained at commit.
    pub(super) fn record(
        &mut self,
        item: Option<Barcode>,
        kind: EventKind,
        changes: Vec<crate::event::Change>,
    ) {
        self.record_many(item, Vec::new(), kind, changes);
    }

    /// Records one event that concerns `item` and also every one of `others` (a bulk
    /// operation such as an import chunk): each finds it in its history.
    pub(super) fn record_many(
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
