//! `station verify`: recompute the event chain and check every index against the records.

use std::collections::HashSet;

use super::{decode, keys, Result, Store, StoreError};
use crate::barcode::Barcode;
use crate::event::{ChainError, ChainVerifier};
use crate::message;
use crate::message::Message;
use crate::model::{customer_key, Item, Loan};

/// What verification found.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// Events checked.
    pub events: u64,
    /// Items checked.
    pub items: u64,
    /// Index entries checked.
    pub index_entries: u64,
    /// Where the chain breaks, if it does.
    pub chain_error: Option<ChainError>,
    /// Index inconsistencies, one message each.
    pub problems: Vec<Message>,
}

impl VerifyReport {
    /// Whether everything checked out.
    pub fn is_ok(&self) -> bool {
        self.chain_error.is_none() && self.problems.is_empty()
    }
}

impl Store {
    /// Checks the event hash chain and the consistency of every index.
    pub fn verify(&self) -> Result<VerifyReport> {
        let mut report = VerifyReport::default();
        let (head_seq, head_hash) = self.head();
        let mut chain = ChainVerifier::default();
        for entry in self.tree.scan_prefix([keys::EVENT]) {
            let (key, value) = entry.map_err(StoreError::storage("reading events"))?;
            report.events += 1;
            let result = self
                .decode_event(&key, &value)
                .and_then(|event| chain.push(&event));
            if let Err(error) = result {
                report.chain_error = Some(error);
                break;
            }
        }
        if report.chain_error.is_none() {
            if let Err(error) = chain.finish(head_seq, &head_hash) {
                report.chain_error = Some(error);
            }
        }

        // Forward: every record has its index entries.
        let mut expected_at: HashSet<(Barcode, Barcode)> = HashSet::new();
        for entry in self.tree.scan_prefix([keys::ITEM]) {
            let (key, value) = entry.map_err(StoreError::storage("reading items"))?;
            report.items += 1;
            let item: Item = match decode(&value, &key) {
                Ok(item) => item,
                Err(error) => {
                    report.problems.push(error.message());
                    continue;
                }
            };
            let barcode = item.barcode();
            if key.as_ref() != keys::item(barcode).as_slice() {
                report.problems.push(message!(
                    VerifyKeyMismatch,
                    key = String::from_utf8_lossy(&key).into_owned(),
                    barcode = barcode
                ));
            }
            match &item {
                Item::Box(archive_box) => {
                    self.expect_points_to(
                        &keys::archive_no(&archive_box.archive_no),
                        barcode,
                        &mut report,
                    )?;
                    let customer = keys::customer(&customer_key(&archive_box.customer), barcode);
                    if !self.exists(&customer)? {
                        report
                            .problems
                            .push(message!(VerifyCustomerIndexMissing, barcode = barcode));
                    }
                    if let Some(place) = archive_box.place {
                        expected_at.insert((place, barcode));
                    }
                    let loan_open = self.exists(&keys::open_loan(barcode))?;
                    let on_loan = archive_box.status == crate::model::ItemStatus::OnLoan;
                    if loan_open != on_loan {
                        report
                            .problems
                            .push(message!(VerifyLoanStatusMismatch, barcode = barcode));
                    }
                }
                Item::Certificate(certificate) => {
                    if let Some(place) = certificate.place {
                        expected_at.insert((place, barcode));
                    }
                }
                Item::Location(location) => {
                    self.expect_points_to(&keys::path(&location.path), barcode, &mut report)?;
                }
                Item::Person(_) => {}
            }
        }

        // Backward: every index entry points at a record that agrees.
        for entry in self.tree.scan_prefix([keys::CONTENTS]) {
            let (key, value) = entry.map_err(StoreError::storage("reading location contents"))?;
            let location = keys::trailing_barcode(&key);
            let contents = keys::unpack(&value);
            let (Some(location), Some(contents)) = (location, contents) else {
                report.problems.push(message!(
                    VerifyContentsUnreadable,
                    key = String::from_utf8_lossy(&key).into_owned()
                ));
                continue;
            };
            for item in contents {
                report.index_entries += 1;
                if !expected_at.remove(&(location, item)) {
                    report.problems.push(message!(
                        VerifyListedElsewhere,
                        location = location,
                        item = item
                    ));
                }
            }
        }
        for (location, item) in expected_at {
            report.problems.push(message!(
                VerifyMissingFromContents,
                item = item,
                location = location
            ));
        }
        for tag in [keys::ARCHIVE_NO, keys::PATH, keys::CUSTOMER] {
            for entry in self.tree.scan_prefix([tag]) {
                let (key, value) = entry.map_err(StoreError::storage("reading an index"))?;
                report.index_entries += 1;
                let target = if tag == keys::CUSTOMER {
                    keys::trailing_barcode(&key)
                } else {
                    keys::trailing_barcode(&value)
                };
                let Some(target) = target else {
                    report.problems.push(message!(
                        VerifyIndexEntryUnreadable,
                        key = String::from_utf8_lossy(&key).into_owned()
                    ));
                    continue;
                };
                let agrees = match (tag, self.get_item(target)?) {
                    (keys::ARCHIVE_NO, Some(Item::Box(b))) => {
                        key.get(1..) == Some(b.archive_no.as_bytes())
                    }
                    (keys::PATH, Some(Item::Location(l))) => {
                        key.get(1..) == Some(l.path.as_bytes())
                    }
                    (keys::CUSTOMER, Some(Item::Box(b))) => {
                        key.as_ref()
                            == keys::customer(&customer_key(&b.customer), target).as_slice()
                    }
                    _ => false,
                };
                if !agrees {
                    report.problems.push(message!(
                        VerifyIndexEntryDisagrees,
                        key = String::from_utf8_lossy(&key).into_owned(),
                        target = target
                    ));
                }
            }
        }
        self.check_settings(&mut report.problems)?;
        for entry in self.tree.scan_prefix([keys::OPEN_LOAN]) {
            let (key, value) = entry.map_err(StoreError::storage("reading open loans"))?;
            report.index_entries += 1;
            let loan: Option<Loan> = match keys::decode_u64(&value) {
                Some(id) => self.get(&keys::loan(id))?,
                None => None,
            };
            let ok = loan.is_some_and(|loan| {
                loan.returned_at.is_none() && keys::open_loan(loan.item) == key.as_ref()
            });
            if !ok {
                report.problems.push(message!(
                    VerifyOpenLoanMismatch,
                    key = String::from_utf8_lossy(&key).into_owned()
                ));
            }
        }
        Ok(report)
    }

    fn exists(&self, key: &[u8]) -> Result<bool> {
        self.tree
            .contains_key(key)
            .map_err(StoreError::storage("reading an index"))
    }

    fn expect_points_to(
        &self,
        key: &[u8],
        barcode: Barcode,
        report: &mut VerifyReport,
    ) -> Result<()> {
        let found = self
            .tree
            .get(key)
            .map_err(StoreError::storage("reading an index"))?
            .and_then(|bytes| keys::trailing_barcode(&bytes));
        if found != Some(barcode) {
            report.problems.push(message!(
                VerifyIndexEntryMissing,
                barcode = barcode,
                key = String::from_utf8_lossy(key).into_owned()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tamper {
    //! Test-only access to raw keys, to prove that verify notices tampering.
    use super::*;
    use crate::event::Event;

    /// Overwrites event `seq` with what `edit` makes of it (stored in its own format).
    pub fn edit_event(store: &Store, seq: u64, edit: impl Fn(&mut Event)) {
        let key = keys::event(seq);
        let bytes = store.tree.get(&key).expect("read").expect("event exists");
        let mut event = store.decode_event(&key, &bytes).expect("decodes");
        edit(&mut event);
        let mut out = Vec::new();
        event.encode(&mut out);
        store.tree.insert(key, out).expect("write");
    }

    /// Overwrites the stored bytes of event `seq` with what `edit` makes of them.
    pub fn edit_event_bytes(store: &Store, seq: u64, edit: impl Fn(&mut Vec<u8>)) {
        let key = keys::event(seq);
        let mut bytes = store
            .tree
            .get(&key)
            .expect("read")
            .expect("event exists")
            .to_vec();
        edit(&mut bytes);
        store.tree.insert(key, bytes).expect("write");
    }

    /// Makes the store look as the previous layout (schema 2) wrote it: every event
    /// rechained in format 0 from the start, no `m:event_format_from`. Flushed; reopen it.
    /// Answers the new head.
    pub fn as_schema_2(store: &Store) -> (u64, crate::event::Hash) {
        let mut prev = crate::event::GENESIS;
        let mut seq = 0;
        for event in store.events(1, usize::MAX).expect("events") {
            let old = Event::chain_as(
                crate::event::Format::Unversioned,
                &prev,
                event.seq,
                event.body,
            );
            let mut out = Vec::new();
            old.encode(&mut out);
            store.tree.insert(keys::event(old.seq), out).expect("write");
            prev = old.hash;
            seq = old.seq;
        }
        store
            .tree
            .insert(keys::HEAD, &super::super::encode_head(seq, &prev)[..])
            .expect("write");
        store.tree.remove(keys::EVENT_FORMAT_FROM).expect("remove");
        store
            .tree
            .insert(keys::SCHEMA, &2u32.to_be_bytes())
            .expect("write");
        store.flush().expect("flush");
        (seq, prev)
    }

    /// Removes event `seq`.
    pub fn remove_event(store: &Store, seq: u64) {
        store.tree.remove(keys::event(seq)).expect("remove");
    }

    /// Removes `item` from `location`'s contents behind the store's back.
    pub fn remove_at(store: &Store, location: Barcode, item: Barcode) {
        let key = keys::contents(location);
        let bytes = store.tree.get(&key).expect("read").expect("contents exist");
        let mut contents = keys::unpack(&bytes).expect("unpacks");
        contents.retain(|listed| *listed != item);
        store
            .tree
            .insert(key, keys::pack(&contents))
            .expect("write");
    }
}
