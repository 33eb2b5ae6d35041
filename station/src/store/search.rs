//! Box search by any part of a customer name or an archive number: the gram index (`f`)
//! for customers, a pass over the archive-number index's keys (`a`) for numbers.
//!
//! Every box has one empty-valued key per distinct *gram* of its customer name: each
//! pair of neighbouring characters, and the last character alone, of the name as
//! [`customer_key`] normalises it (spaces dropped, ASCII lower-cased):
//! `f<gram>\0<barcode packed in 5 bytes>`. A search word of one character reads the
//! entries whose gram begins with it (every place a character stands starts a pair or is
//! the last); a longer word reads the entries of its pairs and keeps the boxes found under
//! every one of them. So "丽勇" reads the boxes whose name holds "丽" followed by "勇",
//! instead of every customer. Archive numbers are found by one pass over the keys of the
//! archive-number index (the numbers themselves; no record is read). The boxes found for
//! every word are then read and kept only if each word stands in their customer name or
//! archive number.
//!
//! **Invariant:** the index holds exactly the grams of every box's current customer name:
//! written with the box ([`Tx::insert_box`](super::Tx)), moved by an edit of its customer,
//! built at open for a store written before it existed (the index family `search_grams` of
//! `migrate.rs`), and checked both ways by `station verify`.

use std::collections::{BTreeSet, HashSet};

use super::{keys, Result, Store, StoreError, Tx};
use crate::barcode::Barcode;
use crate::model::{customer_key, ArchiveBox, Item};

/// The distinct grams of `text`: every pair of neighbours and the last character, of the
/// text as [`customer_key`] normalises it.
pub(super) fn grams(text: &str) -> BTreeSet<String> {
    let chars: Vec<char> = customer_key(text).chars().collect();
    let mut out: BTreeSet<String> = chars
        .windows(2)
        .map(|pair| pair.iter().collect::<String>())
        .collect();
    out.extend(chars.last().map(|ch| ch.to_string()));
    out
}

/// The grams a box is indexed under: those of its customer name. (Archive numbers are
/// searched in their own index `a`, whose keys are the numbers: a gram index of them too
/// would double the disk a box takes, and an import chunk's transaction with it.)
pub(super) fn box_grams(archive_box: &ArchiveBox) -> BTreeSet<String> {
    grams(&archive_box.customer)
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
    /// The boxes under the keys beginning with `prefix`, in barcode order.
    fn gram_postings(&self, prefix: &[u8]) -> Result<BTreeSet<Barcode>> {
        let mut out = BTreeSet::new();
        for entry in self.tree.scan_prefix(prefix).keys() {
            let key = entry.map_err(StoreError::storage("searching boxes"))?;
            let barcode = keys::trailing_packed(&key).ok_or_else(|| StoreError::corrupt(&key))?;
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
        // Per word: the boxes whose customer holds it (from the gram index: a
        // one-character word's entries beginning with it, a longer word's pairs, every
        // one of them) and those whose archive number holds it (one pass over the
        // archive-number index's keys, no record read).
        let mut by_number: Vec<BTreeSet<Barcode>> = vec![BTreeSet::new(); words.len()];
        for entry in self.tree.scan_prefix([keys::ARCHIVE_NO]) {
            let (key, value) = entry.map_err(StoreError::storage("searching archive numbers"))?;
            let Some(number) = key.get(1..).and_then(|n| std::str::from_utf8(n).ok()) else {
                continue;
            };
            let number = customer_key(number);
            for (word, found) in words.iter().zip(by_number.iter_mut()) {
                if number.contains(word.as_str()) {
                    found.insert(
                        keys::trailing_barcode(&value).ok_or_else(|| StoreError::corrupt(&key))?,
                    );
                }
            }
        }
        let mut candidates: Option<BTreeSet<Barcode>> = None;
        for (word, by_number) in words.iter().zip(by_number) {
            let chars: Vec<char> = word.chars().collect();
            let prefixes: Vec<Vec<u8>> = if chars.len() == 1 {
                vec![keys::grams_starting(word)]
            } else {
                chars
                    .windows(2)
                    .map(|pair| keys::gram_prefix(&pair.iter().collect::<String>()))
                    .collect()
            };
            let mut by_customer: Option<BTreeSet<Barcode>> = None;
            for prefix in &prefixes {
                let postings = self.gram_postings(prefix)?;
                by_customer = Some(match by_customer {
                    None => postings,
                    Some(found) => found.intersection(&postings).copied().collect(),
                });
                if by_customer.as_ref().is_some_and(BTreeSet::is_empty) {
                    break;
                }
            }
            let mut found = by_customer.unwrap_or_default();
            found.extend(by_number);
            candidates = Some(match candidates {
                None => found,
                Some(before) => before.intersection(&found).copied().collect(),
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
