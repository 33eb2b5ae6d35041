//! Point reads and index scans: items, boxes by archive number, locations by path, what
//! stands at a location, customer search, loans, handovers, the event log and an item's
//! history. Reads never take the writer lock.

use super::{decode, keys, Result, StorageError, Store, StoreError};
use crate::barcode::{Barcode, Kind};
use crate::event::{ChainError, Event, Hash};
use crate::model::{customer_key, ArchiveBox, Certificate, Handover, Item, Loan, Location};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;

impl Store {
    pub(super) fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        match self.tree.get(key).map_err(StoreError::storage("reading"))? {
            Some(bytes) => decode(&bytes, key).map(Some),
            None => Ok(None),
        }
    }

    pub(super) fn scan_barcodes(&self, prefix: &[u8], limit: usize) -> Result<Vec<Barcode>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix(prefix).keys().take(limit) {
            let key = entry.map_err(StoreError::storage("scanning an index"))?;
            let barcode = keys::trailing_barcode(&key).ok_or_else(|| StoreError::corrupt(&key))?;
            out.push(barcode);
        }
        Ok(out)
    }

    pub(super) fn contents(&self, location: Barcode) -> Result<Vec<Barcode>> {
        let key = keys::contents(location);
        match self
            .tree
            .get(&key)
            .map_err(StoreError::storage("reading a location's contents"))?
        {
            Some(bytes) => keys::unpack(&bytes).ok_or_else(|| StoreError::corrupt(&key)),
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
        let barcode = keys::trailing_barcode(&bytes).ok_or_else(|| StorageError::Corrupt {
            key: format!("a{archive_no}"),
        })?;
        match self.get_item(barcode)? {
            Some(Item::Box(archive_box)) => Ok(Some(archive_box)),
            _ => Err(StorageError::Corrupt {
                key: format!("a{archive_no}"),
            }
            .into()),
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
        let barcode = keys::trailing_barcode(&bytes).ok_or_else(|| StorageError::Corrupt {
            key: format!("p{path}"),
        })?;
        match self.get_item(barcode)? {
            Some(Item::Location(location)) => Ok(Some(location)),
            _ => Err(StorageError::Corrupt {
                key: format!("p{path}"),
            }
            .into()),
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
                    _ => Err(StoreError::corrupt(&key)),
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
        let id = keys::decode_u64(&id).ok_or_else(|| StorageError::Corrupt {
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

    pub(super) fn loans_by_index(&self, prefix: &[u8], end: Option<Vec<u8>>) -> Result<Vec<Loan>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix(prefix).keys() {
            let key = entry.map_err(StoreError::storage("reading loans"))?;
            if end
                .as_ref()
                .is_some_and(|end| key.as_ref() >= end.as_slice())
            {
                break;
            }
            let id = keys::trailing_u64(&key).ok_or_else(|| StoreError::corrupt(&key))?;
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
            let id = keys::trailing_u64(&key).ok_or_else(|| StoreError::corrupt(&key))?;
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
            out.push(self.read_event(&key, &value)?);
        }
        Ok(out)
    }

    /// Decodes the stored event under `key`: with a format byte if it stands at or after
    /// `m:event_format_from`, as format 0 before it.
    pub(super) fn decode_event(&self, key: &[u8], bytes: &[u8]) -> Result<Event, ChainError> {
        let seq = match keys::trailing_u64(key) {
            Some(seq) if key.len() == keys::event(seq).len() => seq,
            _ => return Err(ChainError::Undecodable { seq: 0 }),
        };
        Event::decode(bytes, seq, seq >= self.format_from)
    }

    /// [`Store::decode_event`] for reads: a format of a newer build is told as such, any
    /// other fault is a damaged record.
    fn read_event(&self, key: &[u8], bytes: &[u8]) -> Result<Event> {
        self.decode_event(key, bytes).map_err(|error| match error {
            ChainError::UnknownFormat { seq, format } => {
                StorageError::EventFormatTooNew { seq, format }.into()
            }
            _ => StoreError::corrupt(key),
        })
    }

    /// The events that concern `item`, oldest first.
    pub fn history(&self, item: Barcode) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix(keys::history_prefix(item)).keys() {
            let key = entry.map_err(StoreError::storage("reading history"))?;
            let seq = keys::trailing_u64(&key).ok_or_else(|| StoreError::corrupt(&key))?;
            let key = keys::event(seq);
            if let Some(bytes) = self
                .tree
                .get(&key)
                .map_err(StoreError::storage("reading history"))?
            {
                out.push(self.read_event(&key, &bytes)?);
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
}
