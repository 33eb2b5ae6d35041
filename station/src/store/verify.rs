//! `station verify`: recompute the event chain and check every index against the records.

use std::collections::HashSet;

use super::{decode, keys, Result, Store, StoreError};
use crate::barcode::Barcode;
use crate::event::{ChainVerifier, Event};
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
    pub chain_error: Option<String>,
    /// Index inconsistencies, one line each (bilingual).
    pub problems: Vec<String>,
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
            let seq = keys::trailing_u64(&key).unwrap_or(0);
            let result = match decode::<Event>(&value, &key) {
                Ok(event) if event.seq == seq => chain.push(&event),
                _ => Err(crate::event::ChainError::Undecodable { seq }),
            };
            if let Err(error) = result {
                report.chain_error = Some(error.to_string());
                break;
            }
        }
        if report.chain_error.is_none() {
            if let Err(error) = chain.finish(head_seq, &head_hash) {
                report.chain_error = Some(error.to_string());
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
                    report.problems.push(error.to_string());
                    continue;
                }
            };
            let barcode = item.barcode();
            if key.as_ref() != keys::item(barcode).as_slice() {
                report.problems.push(format!(
                    "记录 {} 的条码与键不符 / record {} holds barcode {barcode}",
                    String::from_utf8_lossy(&key),
                    String::from_utf8_lossy(&key)
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
                        report.problems.push(format!(
                            "档案盒 {barcode} 缺少客户索引 / box {barcode} is missing from the customer index"
                        ));
                    }
                    if let Some(place) = archive_box.place {
                        expected_at.insert((place, barcode));
                    }
                    let loan_open = self.exists(&keys::open_loan(barcode))?;
                    let on_loan = archive_box.status == crate::model::ItemStatus::OnLoan;
                    if loan_open != on_loan {
                        report.problems.push(format!(
                            "档案盒 {barcode} 的借出状态与借阅记录不符 / box {barcode}: loan status and open-loan index disagree"
                        ));
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
                report.problems.push(format!(
                    "位置内容 {} 无法解析 / location contents {} cannot be read",
                    String::from_utf8_lossy(&key),
                    String::from_utf8_lossy(&key)
                ));
                continue;
            };
            for item in contents {
                report.index_entries += 1;
                if !expected_at.remove(&(location, item)) {
                    report.problems.push(format!(
                        "位置 {location} 列有 {item}，但记录不在此处 / location {location} lists {item}, whose record is elsewhere"
                    ));
                }
            }
        }
        for (location, item) in expected_at {
            report.problems.push(format!(
                "{item} 在 {location} 但位置内容缺失 / {item} is at {location} but missing from its contents"
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
                    report.problems.push(format!(
                        "索引项 {} 无法解析 / index entry {} cannot be read",
                        String::from_utf8_lossy(&key),
                        String::from_utf8_lossy(&key)
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
                    report.problems.push(format!(
                        "索引项 {} 指向不符的记录 {target} / index entry {} points at a record that disagrees ({target})",
                        String::from_utf8_lossy(&key),
                        String::from_utf8_lossy(&key)
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
                report.problems.push(format!(
                    "借阅索引项 {} 与借阅记录不符 / open-loan entry {} does not match its loan",
                    String::from_utf8_lossy(&key),
                    String::from_utf8_lossy(&key)
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
            report.problems.push(format!(
                "{barcode} 缺少索引项 {} / {barcode} is missing index entry {}",
                String::from_utf8_lossy(key),
                String::from_utf8_lossy(key)
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tamper {
    //! Test-only access to raw keys, to prove that verify notices tampering.
    use super::*;

    /// Overwrites the raw value of event `seq` by applying `edit` to it.
    pub fn edit_event(store: &Store, seq: u64, edit: impl Fn(&mut Event)) {
        let key = keys::event(seq);
        let bytes = store.tree.get(&key).expect("read").expect("event exists");
        let mut event: Event = decode(&bytes, &key).expect("decodes");
        edit(&mut event);
        store
            .tree
            .insert(key, postcard::to_allocvec(&event).expect("encodes"))
            .expect("write");
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
