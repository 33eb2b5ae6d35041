//! Box search by any part of a customer name or an archive number: the gram index (`f`).
//!
//! Every box has one empty-valued key per distinct *gram* of its customer name and of its
//! archive number: each single character and each pair of neighbouring characters, taken
//! from the text as [`customer_key`] normalises it (spaces dropped, ASCII lower-cased):
//! `f<gram>\0<barcode>`. A search word of one character reads that character's entries; a
//! longer word reads the entries of its pairs and keeps the boxes found under every one of
//! them; the boxes left are then read and kept only if every word of the query stands in
//! their customer name or archive number. So "丽勇" reads the boxes whose name or number
//! holds "丽勇" and nothing else, instead of every customer.
//!
//! **Invariant:** the index holds exactly the grams of every box's current customer and
//! archive number: written with the box ([`Tx::insert_box`](super::Tx)), moved by an edit
//! of its customer, built at open for a store written before it existed (the index family
//! `search_grams` of `migrate.rs`), and checked both ways by `station verify`.

use std::collections::{BTreeSet, HashSet};

use super::{keys, Result, Store, StoreError, Tx};
use crate::barcode::Barcode;
use crate::model::{customer_key, ArchiveBox, Item};

/// The distinct grams of `text`: every character and every pair of neighbours, of the
/// text as [`customer_key`] normalises it.
pub(super) fn grams(text: &str) -> BTreeSet<String> {
    let chars: Vec<char> = customer_key(text).chars().collect();
    let mut out: BTreeSet<String> = chars.iter().map(|ch| ch.to_string()).collect();
    out.extend(chars.windows(2).map(|pair| pair.iter().collect::<String>()));
    out
}

/// The grams a box is indexed under: those of its customer and of its archive number.
pub(super) fn box_grams(archive_box: &ArchiveBox) -> BTreeSet<String> {
    let mut out = grams(&archive_box.customer);
    out.extend(grams(&archive_box.archive_no));
    out
}

/// Whether `archive_box` matches every word of `words` (each normalised by
/// [`customer_key`]) in its customer name or archive number.
pub(super) fn matches(archive_box: &ArchiveBox, words: &[String]) -> bool {
    let customer = customer_key(&archive_box.customer);
    let number = customer_key(&archive_box.archive_no);
    words
        .iter()
        .all(|word| customer.contains(word.as_str()) || number.contains(word.as_str()))
}

/// The words of a query, normalised; empty words dropped.
pub fn query_words(query: &str) -> Vec<String> {
    query
        .split_whitespace()
        .map(customer_key)
        .filter(|word| !word.is_empty())
        .collect()
}

impl Tx<'_> {
    /// Writes the gram entries of `archive_box`.
    pub(super) fn index_grams(&mut self, archive_box: &ArchiveBox) -> Result<()> {
        for gram in box_grams(archive_box) {
            self.put_raw(&keys::gram(&gram, archive_box.barcode), &[])?;
        }
        Ok(())
    }

    /// Moves the gram entries of a box from `old` to `new` (only those that change).
    pub(super) fn reindex_grams(&mut self, old: &ArchiveBox, new: &ArchiveBox) -> Result<()> {
        let before = box_grams(old);
        let after = box_grams(new);
        for gram in before.difference(&after) {
            self.remove(&keys::gram(gram, old.barcode))?;
        }
        for gram in after.difference(&before) {
            self.put_raw(&keys::gram(gram, new.barcode), &[])?;
        }
        Ok(())
    }
}

impl Store {
    /// The boxes under `gram`, in barcode order.
    fn gram_postings(&self, gram: &str) -> Result<BTreeSet<Barcode>> {
        let mut out = BTreeSet::new();
        for entry in self.tree.scan_prefix(keys::gram_prefix(gram)).keys() {
            let key = entry.map_err(StoreError::storage("searching boxes"))?;
            let barcode = keys::trailing_barcode(&key).ok_or_else(|| StoreError::corrupt(&key))?;
            out.insert(barcode);
        }
        Ok(out)
    }

    /// Every box whose customer name or archive number holds each word of `query` (case
    /// and spaces inside a word ignored; words split by spaces), in barcode order. Reads
    /// the gram index, then only the boxes found under every gram of the query.
    pub fn search_boxes(&self, query: &str) -> Result<Vec<ArchiveBox>> {
        let words = query_words(query);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        for word in &words {
            let chars: Vec<char> = word.chars().collect();
            if chars.len() == 1 {
                wanted.insert(word.clone());
            } else {
                wanted.extend(chars.windows(2).map(|pair| pair.iter().collect::<String>()));
            }
        }
        let mut candidates: Option<BTreeSet<Barcode>> = None;
        for gram in &wanted {
            let postings = self.gram_postings(gram)?;
            candidates = Some(match candidates {
                None => postings,
                Some(found) => found.intersection(&postings).copied().collect(),
            });
            if candidates.as_ref().is_some_and(BTreeSet::is_empty) {
                break;
            }
        }
        let mut out = Vec::new();
        for barcode in candidates.unwrap_or_default() {
            if let Some(Item::Box(archive_box)) = self.get_item(barcode)? {
                if matches(&archive_box, &words) {
                    out.push(archive_box);
                }
            }
        }
        Ok(out)
    }

    /// `station verify`'s check of the gram index, both ways: every box has the entries of
    /// its grams, and every entry belongs to a box that has that gram.
    pub(super) fn check_grams(&self, report: &mut super::VerifyReport) -> Result<()> {
        let mut expected: HashSet<Vec<u8>> = HashSet::new();
        for item in self.items_of_kind(crate::barcode::Kind::Box) {
            let Ok(Item::Box(archive_box)) = item else {
                // An unreadable record is reported by the item check.
                continue;
            };
            for gram in box_grams(&archive_box) {
                let key = keys::gram(&gram, archive_box.barcode);
                report.index_entries += 1;
                if !self
                    .tree
                    .contains_key(&key)
                    .map_err(StoreError::storage("reading the gram index"))?
                {
                    report.problems.push(crate::message!(
                        VerifyEntryMissing,
                        record = keys::describe(&keys::item(archive_box.barcode)),
                        key = keys::describe(&key)
                    ));
                }
                expected.insert(key);
            }
        }
        for entry in self.tree.scan_prefix([keys::GRAM]).keys() {
            let key = entry.map_err(StoreError::storage("reading the gram index"))?;
            if !expected.contains(key.as_ref()) {
                report.problems.push(crate::message!(
                    VerifyEntryDangling,
                    key = keys::describe(&key)
                ));
            }
        }
        Ok(())
    }
}

/// Builds the gram index of every box of `tree` (the index family `search_grams` at
/// open, see `migrate.rs`, which first clears whatever an interrupted build left): writes
/// each box's entries, `batch_len` boxes per atomic batch.
pub(super) fn build_index(tree: &sled::Tree, batch_len: usize) -> Result<u64> {
    let mut batch = sled::Batch::default();
    let mut in_batch = 0;
    let mut boxes = 0u64;
    for entry in tree.scan_prefix(keys::items_of_kind(crate::barcode::Kind::Box)) {
        let (key, value) = entry.map_err(StoreError::storage("reading boxes to index"))?;
        let Item::Box(archive_box) = super::decode::<Item>(&value, &key)? else {
            return Err(StoreError::corrupt(&key));
        };
        for gram in box_grams(&archive_box) {
            batch.insert(keys::gram(&gram, archive_box.barcode), &[]);
        }
        boxes += 1;
        in_batch += 1;
        if in_batch >= batch_len.max(1) {
            tree.apply_batch(std::mem::take(&mut batch))
                .map_err(StoreError::storage("writing the gram index"))?;
            in_batch = 0;
        }
    }
    tree.apply_batch(batch)
        .map_err(StoreError::storage("writing the gram index"))?;
    Ok(boxes)
}
