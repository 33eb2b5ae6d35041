//! Tallies kept in the same write as the records they count, so that the rack map, the
//! room overview and the room's statistics never read every box.
//!
//! - **Fill** (`F<location>`): per location, over itself and everything under it (a
//!   shelf's own figures; a section, side, rack or room the sum of its shelves): the boxes
//!   standing there (certificates are not counted: a safe's are its contents list), the
//!   capacity (the capacities of the locations in use under it; a retired location counts
//!   none), the boxes whose home it is that are on loan, and those flagged missing (at
//!   their home, or where they stand if they have none).
//! - **Boxes by category and year** (`Y<category>\0<year>`): how many boxes each pair has
//!   (year 0: none given).
//!
//! **Invariant:** every record is written through [`Tx::put_item`], which compares the
//! record it replaces with the new one and moves the tallies by the difference, walking up
//! the new or old location's parents: so every path that registers, imports, moves, lends,
//! returns, flags missing, edits or restores an item, or adds, re-parents, resizes or retires
//! a location, keeps them right without knowing about them. Built from the records at open
//! for a store written before they existed (the index families `fill_tallies` and
//! `category_tallies` of `migrate.rs`), and checked against the records by `station verify`.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{decode, keys, Result, Store, StoreError, Tx};
use crate::barcode::{Barcode, Kind};
use crate::model::{ArchiveBox, Item, ItemStatus, Location};

/// A location's figures, over itself and everything under it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// Boxes standing there.
    pub boxes: u64,
    /// Boxes that fit (the capacities of the locations in use under it).
    pub capacity: u64,
    /// Boxes whose home shelf is there that are on loan.
    pub on_loan: u64,
    /// Boxes whose home shelf is there (or that stand there, having none) flagged missing.
    pub missing: u64,
}

/// A change of a [`Fill`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Delta {
    boxes: i64,
    capacity: i64,
    on_loan: i64,
    missing: i64,
}

impl Delta {
    fn is_zero(self) -> bool {
        self == Delta::default()
    }

    fn plus(self, other: Delta) -> Delta {
        Delta {
            boxes: self.boxes + other.boxes,
            capacity: self.capacity + other.capacity,
            on_loan: self.on_loan + other.on_loan,
            missing: self.missing + other.missing,
        }
    }

    fn negated(self) -> Delta {
        Delta {
            boxes: -self.boxes,
            capacity: -self.capacity,
            on_loan: -self.on_loan,
            missing: -self.missing,
        }
    }

    fn of(fill: Fill) -> Delta {
        let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Delta {
            boxes: signed(fill.boxes),
            capacity: signed(fill.capacity),
            on_loan: signed(fill.on_loan),
            missing: signed(fill.missing),
        }
    }
}

impl Fill {
    fn apply(&mut self, delta: Delta) {
        let moved = |n: u64, by: i64| n.saturating_add_signed(by);
        self.boxes = moved(self.boxes, delta.boxes);
        self.capacity = moved(self.capacity, delta.capacity);
        self.on_loan = moved(self.on_loan, delta.on_loan);
        self.missing = moved(self.missing, delta.missing);
    }
}

/// What one record adds to the fill of the locations it names (before the roll-up to
/// their parents).
fn contributions(item: &Item) -> Vec<(Barcode, Delta)> {
    let (place, home, status) = match item {
        Item::Box(archive_box) => (archive_box.place, archive_box.home, archive_box.status),
        // Certificates are counted where they stand by their safe's contents list, not
        // here: the figures are of boxes.
        Item::Certificate(_) => return Vec::new(),
        Item::Location(location) => {
            return vec![(location.barcode, own_capacity(location))];
        }
        Item::Person(_) => return Vec::new(),
    };
    let mut out = Vec::new();
    if let Some(place) = place {
        out.push((
            place,
            Delta {
                boxes: 1,
                ..Delta::default()
            },
        ));
    }
    match status {
        ItemStatus::OnLoan => {
            if let Some(home) = home {
                out.push((
                    home,
                    Delta {
                        on_loan: 1,
                        ..Delta::default()
                    },
                ));
            }
        }
        ItemStatus::Missing => {
            if let Some(at) = home.or(place) {
                out.push((
                    at,
                    Delta {
                        missing: 1,
                        ..Delta::default()
                    },
                ));
            }
        }
        _ => {}
    }
    out
}

/// A location's own capacity: none once retired.
fn own_capacity(location: &Location) -> Delta {
    Delta {
        capacity: if location.retired {
            0
        } else {
            i64::from(location.capacity.unwrap_or(0))
        },
        ..Delta::default()
    }
}

/// The category and year a box is tallied under.
fn category_key(archive_box: &ArchiveBox) -> Vec<u8> {
    keys::category_year(&archive_box.category, archive_box.year.unwrap_or(0))
}

/// The deepest a location hierarchy goes (room, rack, side, section, shelf, with room to
/// spare for drawers of safes): a walk up the parents stops there, so a damaged parent
/// chain that loops cannot hang a write.
const MAX_DEPTH: usize = 16;

impl Tx<'_> {
    /// Moves the tallies from what `old` (the record being replaced, if any) counted to
    /// what `new` counts. Called by [`Tx::put_item`] after the new record is written.
    pub(super) fn retally(&self, old: Option<&Item>, new: &Item) -> Result<()> {
        // Fill: the difference per location named, then rolled up.
        let mut by_location: Vec<(Barcode, Delta)> = Vec::new();
        let mut add =
            |at: Barcode, delta: Delta| match by_location.iter_mut().find(|(b, _)| *b == at) {
                Some((_, sum)) => *sum = sum.plus(delta),
                None => by_location.push((at, delta)),
            };
        if let Some(old) = old {
            for (at, delta) in contributions(old) {
                add(at, delta.negated());
            }
        }
        for (at, delta) in contributions(new) {
            add(at, delta);
        }
        if let (Some(Item::Location(before)), Item::Location(after)) = (old, new) {
            if before.parent != after.parent {
                // Everything under it moves with it: its whole figure leaves the old
                // parents and joins the new ones (its own capacity change is in
                // `by_location`, walked from itself below).
                let whole = Delta::of(
                    self.get::<Fill>(&keys::fill(after.barcode))?
                        .unwrap_or_default(),
                );
                if let Some(parent) = before.parent {
                    self.add_fill(parent, whole.negated())?;
                }
                if let Some(parent) = after.parent {
                    self.add_fill(parent, whole)?;
                }
            }
        }
        for (at, delta) in by_location {
            if !delta.is_zero() {
                self.add_fill(at, delta)?;
            }
        }
        // Boxes by category and year.
        let old_key = match old {
            Some(Item::Box(archive_box)) => Some(category_key(archive_box)),
            _ => None,
        };
        let new_key = match new {
            Item::Box(archive_box) => Some(category_key(archive_box)),
            _ => None,
        };
        if old_key != new_key {
            if let Some(key) = old_key {
                self.add_count(&key, -1)?;
            }
            if let Some(key) = new_key {
                self.add_count(&key, 1)?;
            }
        }
        Ok(())
    }

    /// Adds `delta` to the fill of `location` and of every location above it.
    fn add_fill(&self, location: Barcode, delta: Delta) -> Result<()> {
        let mut at = Some(location);
        for _ in 0..MAX_DEPTH {
            let Some(location) = at else {
                break;
            };
            let key = keys::fill(location);
            let mut fill = self.get::<Fill>(&key)?.unwrap_or_default();
            fill.apply(delta);
            if fill == Fill::default() {
                self.remove(&key)?;
            } else {
                self.put(&key, &fill)?;
            }
            at = match self.item(location)? {
                Some(Item::Location(location)) => location.parent,
                _ => None,
            };
        }
        Ok(())
    }

    fn add_count(&self, key: &[u8], by: i64) -> Result<()> {
        let count = match self.get_raw(key)? {
            Some(bytes) => keys::decode_u64(&bytes).ok_or_else(|| StoreError::corrupt(key))?,
            None => 0,
        };
        let count = count.saturating_add_signed(by);
        if count == 0 {
            self.remove(key)
        } else {
            self.put_raw(key, &count.to_be_bytes())
        }
    }
}

/// The tallies the records of `tree` make: every location's fill (rolled up), and the
/// boxes of every category and year.
struct Expected {
    fills: HashMap<Barcode, Fill>,
    categories: BTreeMap<Vec<u8>, u64>,
    /// Records read.
    records: u64,
}

fn expected(tree: &sled::Tree) -> Result<Expected> {
    let mut parents: HashMap<Barcode, Option<Barcode>> = HashMap::new();
    let mut own: HashMap<Barcode, Delta> = HashMap::new();
    let mut categories: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    let mut records = 0u64;
    for kind in [Kind::Location, Kind::Box] {
        for entry in tree.scan_prefix(keys::items_of_kind(kind)) {
            let (key, value) = entry.map_err(StoreError::storage("reading records to tally"))?;
            let item = decode::<Item>(&value, &key)?;
            records += 1;
            if let Item::Location(location) = &item {
                parents.insert(location.barcode, location.parent);
            }
            if let Item::Box(archive_box) = &item {
                *categories.entry(category_key(archive_box)).or_default() += 1;
            }
            for (at, delta) in contributions(&item) {
                let sum = own.entry(at).or_default();
                *sum = sum.plus(delta);
            }
        }
    }
    let mut fills: HashMap<Barcode, Fill> = HashMap::new();
    for (location, delta) in own {
        if delta.is_zero() {
            continue;
        }
        let mut at = Some(location);
        for _ in 0..MAX_DEPTH {
            let Some(location) = at else {
                break;
            };
            fills.entry(location).or_default().apply(delta);
            at = parents.get(&location).copied().flatten();
        }
    }
    fills.retain(|_, fill| *fill != Fill::default());
    Ok(Expected {
        fills,
        categories,
        records,
    })
}

/// Builds the fill tallies of `tree` (the index family `fill_tallies` at open, see
/// `migrate.rs`, which first clears whatever an interrupted build left), `batch_len`
/// entries per atomic batch; answers how many records it read.
pub(super) fn build_fills(tree: &sled::Tree, batch_len: usize) -> Result<u64> {
    let expected = expected(tree)?;
    let entries = expected
        .fills
        .iter()
        .map(|(location, fill)| (keys::fill(*location), super::encode(fill)));
    write_batches(tree, entries, batch_len)?;
    Ok(expected.records)
}

/// Builds the boxes-by-category-and-year tallies of `tree` (the index family
/// `category_tallies`), like [`build_fills`].
pub(super) fn build_categories(tree: &sled::Tree, batch_len: usize) -> Result<u64> {
    let expected = expected(tree)?;
    let entries = expected
        .categories
        .iter()
        .map(|(key, count)| (key.clone(), count.to_be_bytes().to_vec()));
    write_batches(tree, entries, batch_len)?;
    Ok(expected.records)
}

fn write_batches(
    tree: &sled::Tree,
    entries: impl Iterator<Item = (Vec<u8>, Vec<u8>)>,
    batch_len: usize,
) -> Result<()> {
    let mut batch = sled::Batch::default();
    let mut in_batch = 0;
    for (key, value) in entries {
        batch.insert(key, value);
        in_batch += 1;
        if in_batch >= batch_len.max(1) {
            tree.apply_batch(std::mem::take(&mut batch))
                .map_err(StoreError::storage("writing tallies"))?;
            in_batch = 0;
        }
    }
    tree.apply_batch(batch)
        .map_err(StoreError::storage("writing tallies"))
}

/// How many boxes one category has of one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCount {
    /// The category (类别), as the boxes have it (empty: none given).
    pub category: String,
    /// The year (年度), if the boxes have one.
    pub year: Option<u16>,
    /// How many boxes.
    pub boxes: u64,
}

impl Store {
    /// The fill of `location` (over itself and everything under it), from its tally: no
    /// box is read.
    pub fn fill(&self, location: Barcode) -> Result<Fill> {
        Ok(self.get::<Fill>(&keys::fill(location))?.unwrap_or_default())
    }

    /// How many boxes each category has of each year, by category then year, from the
    /// tallies: no box is read.
    pub fn boxes_by_category_year(&self) -> Result<Vec<CategoryCount>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix([keys::CATEGORY_YEAR]) {
            let (key, value) = entry.map_err(StoreError::storage("reading category tallies"))?;
            let (category, year) =
                keys::parse_category_year(&key).ok_or_else(|| StoreError::corrupt(&key))?;
            let boxes = keys::decode_u64(&value).ok_or_else(|| StoreError::corrupt(&key))?;
            out.push(CategoryCount {
                category,
                year: (year != 0).then_some(year),
                boxes,
            });
        }
        Ok(out)
    }

    /// The locations directly under `parent` (the top-level ones for none), in walking
    /// order. Reads the path index, skipping over what lies deeper: one seek per child.
    pub fn children_of(&self, parent: Option<&Location>) -> Result<Vec<Location>> {
        let prefix = match parent {
            Some(parent) => format!("{}/", parent.path),
            None => String::new(),
        };
        let mut out = Vec::new();
        let mut from = keys::path(&prefix);
        let end = keys::path_prefix_end(&prefix);
        loop {
            let next = self
                .tree
                .range(from.clone()..end.clone())
                .next()
                .transpose()
                .map_err(StoreError::storage("reading the path index"))?;
            let Some((key, value)) = next else {
                break;
            };
            let path = key
                .get(1..)
                .and_then(|path| std::str::from_utf8(path).ok())
                .ok_or_else(|| StoreError::corrupt(&key))?;
            let rest = path.get(prefix.len()..).unwrap_or_default();
            let child = match rest.split_once('/') {
                Some((child, _)) => format!("{prefix}{child}"),
                None => path.to_owned(),
            };
            if child == path {
                let barcode =
                    keys::trailing_barcode(&value).ok_or_else(|| StoreError::corrupt(&key))?;
                if let Some(Item::Location(location)) = self.get_item(barcode)? {
                    out.push(location);
                }
            }
            // Past this child and everything under it ('0' follows '/').
            from = keys::path(&format!("{child}0"));
        }
        out.sort_by_cached_key(|location| crate::model::WalkingOrder::of(&location.path));
        Ok(out)
    }

    /// Every location under `location` (not itself), in walking order, from the path
    /// index.
    pub fn locations_under(&self, location: &Location) -> Result<Vec<Location>> {
        let prefix = format!("{}/", location.path);
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix(keys::path(&prefix)) {
            let (key, value) = entry.map_err(StoreError::storage("reading the path index"))?;
            let barcode =
                keys::trailing_barcode(&value).ok_or_else(|| StoreError::corrupt(&key))?;
            if let Some(Item::Location(location)) = self.get_item(barcode)? {
                out.push(location);
            }
        }
        out.sort_by_cached_key(|location| crate::model::WalkingOrder::of(&location.path));
        Ok(out)
    }

    /// `station verify`'s check of the tallies against the records, both ways: every
    /// location's fill and every category's count is what the records make it, and no
    /// tally stands where the records make none.
    pub(super) fn check_tallies(&self, report: &mut super::VerifyReport) -> Result<()> {
        let expected = expected(&self.tree)?;
        let mut wrong = |key: &[u8], stored: String, should: String| {
            report.problems.push(crate::message!(
                VerifyTallyWrong,
                key = keys::describe(key),
                stored = stored,
                expected = should
            ));
        };
        let show = |fill: &Fill| {
            format!(
                "{}/{} ({}, {})",
                fill.boxes, fill.capacity, fill.on_loan, fill.missing
            )
        };
        let mut seen = 0u64;
        for entry in self.tree.scan_prefix([keys::FILL]) {
            let (key, value) = entry.map_err(StoreError::storage("reading fill tallies"))?;
            seen += 1;
            let location = key
                .get(1..)
                .and_then(|rest| std::str::from_utf8(rest).ok())
                .and_then(|rest| Barcode::parse(rest).ok());
            let stored = decode::<Fill>(&value, &key).ok();
            let should = location
                .and_then(|location| expected.fills.get(&location))
                .copied()
                .unwrap_or_default();
            match stored {
                Some(stored) if stored == should => {}
                Some(stored) => wrong(&key, show(&stored), show(&should)),
                None => wrong(&key, "?".to_owned(), show(&should)),
            }
        }
        for (location, fill) in &expected.fills {
            let key = keys::fill(*location);
            if !self
                .tree
                .contains_key(&key)
                .map_err(StoreError::storage("reading fill tallies"))?
            {
                wrong(&key, show(&Fill::default()), show(fill));
            }
        }
        for entry in self.tree.scan_prefix([keys::CATEGORY_YEAR]) {
            let (key, value) = entry.map_err(StoreError::storage("reading category tallies"))?;
            seen += 1;
            let stored = keys::decode_u64(&value);
            let should = expected.categories.get(key.as_ref()).copied().unwrap_or(0);
            if stored != Some(should) {
                wrong(
                    &key,
                    stored.map_or_else(|| "?".to_owned(), |n| n.to_string()),
                    should.to_string(),
                );
            }
        }
        for (key, count) in &expected.categories {
            if !self
                .tree
                .contains_key(key)
                .map_err(StoreError::storage("reading category tallies"))?
            {
                wrong(key, "0".to_owned(), count.to_string());
            }
        }
        report.index_entries += seen;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The tallies on a real sled store in a temp dir: every path that changes a box's
    //! place, home, status, category or year, or a location's capacity, parent or
    //! retirement, keeps them equal to what the records make them.

    use super::*;
    use crate::model::{Item, ItemStatus, LocationKind, Person, Role};
    use crate::numbering::Scheme;
    use crate::store::{
        verify::tamper, Actor, BoxEdit, ImportRow, NewBox, NewLocation, NewPerson, StoreOptions,
    };
    use chrono::NaiveDate;

    fn actor() -> Actor {
        Actor::new("P-test")
    }

    fn open(dir: &std::path::Path) -> Store {
        Store::open(dir, StoreOptions::default()).expect("store opens")
    }

    fn add(
        store: &Store,
        kind: LocationKind,
        name: &str,
        parent: Option<&Location>,
        capacity: Option<u32>,
    ) -> Location {
        store
            .add_location(
                &actor(),
                &NewLocation {
                    kind,
                    name: name.into(),
                    parent: parent.map(|parent| parent.barcode),
                    capacity,
                },
            )
            .expect("location")
    }

    /// Room `2号库房`, rack `01列`, side `A面`, section `1节`, shelves `1层` and `2层`
    /// of 10 boxes each.
    struct Room {
        room: Location,
        rack: Location,
        side: Location,
        section: Location,
        low: Location,
        high: Location,
        counter: Location,
    }

    fn room(store: &Store) -> Room {
        let room = add(store, LocationKind::Room, "2号库房", None, None);
        let rack = add(store, LocationKind::Rack, "01列", Some(&room), None);
        let side = add(store, LocationKind::Side, "A面", Some(&rack), None);
        let section = add(store, LocationKind::Section, "1节", Some(&side), None);
        let low = add(store, LocationKind::Shelf, "1层", Some(&section), Some(10));
        let high = add(store, LocationKind::Shelf, "2层", Some(&section), Some(10));
        let counter = add(store, LocationKind::Counter, "柜台", None, None);
        Room {
            room,
            rack,
            side,
            section,
            low,
            high,
            counter,
        }
    }

    fn new_box(category: &str, year: u16, home: Option<Barcode>) -> NewBox {
        NewBox {
            scheme: Some((
                Scheme::new("loan", "{year}鸿借字第{seq:03}号").expect("scheme"),
                year,
            )),
            title: "借款合同".into(),
            customer: "鸿达".into(),
            category: category.into(),
            home,
            ..NewBox::default()
        }
    }

    fn fill(boxes: u64, capacity: u64, on_loan: u64, missing: u64) -> Fill {
        Fill {
            boxes,
            capacity,
            on_loan,
            missing,
        }
    }

    fn consistent(store: &Store) {
        let report = store.verify().expect("verify");
        assert!(report.is_ok(), "{:?}", report.problems);
    }

    fn borrower(store: &Store) -> Person {
        store
            .add_person(
                &actor(),
                &NewPerson {
                    name: "李总".into(),
                    role: Role::Clerk,
                    borrow_directly: true,
                },
            )
            .expect("person")
    }

    #[test]
    fn every_path_that_moves_lends_returns_or_flags_a_box_keeps_the_fill_right() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let at = room(&store);
        let up = |location: &Location| store.fill(location.barcode).expect("fill");
        // Capacity rolls up from the shelves.
        assert_eq!(up(&at.low), fill(0, 10, 0, 0));
        for level in [&at.section, &at.side, &at.rack, &at.room] {
            assert_eq!(up(level), fill(0, 20, 0, 0), "{}", level.path);
        }
        // Registration (home on the low shelf, standing nowhere yet), then a move.
        let first = store
            .register_box(&actor(), &new_box("借款", 2012, Some(at.low.barcode)))
            .expect("box");
        assert_eq!(up(&at.low), fill(0, 10, 0, 0));
        store
            .move_item(&actor(), first.barcode, at.low.barcode)
            .expect("shelved");
        assert_eq!(up(&at.low), fill(1, 10, 0, 0));
        assert_eq!(up(&at.room), fill(1, 20, 0, 0));
        // Moved to the other shelf: leaves one, joins the other; the rack is unchanged.
        store
            .move_item(&actor(), first.barcode, at.high.barcode)
            .expect("moved");
        assert_eq!(up(&at.low), fill(0, 10, 0, 0));
        assert_eq!(up(&at.high), fill(1, 10, 0, 0));
        assert_eq!(up(&at.rack), fill(1, 20, 0, 0));
        store
            .move_item(&actor(), first.barcode, at.low.barcode)
            .expect("back home");
        consistent(&store);
        // Lent: no longer stands there, and counts as on loan at its home.
        let due = NaiveDate::from_ymd_opt(2026, 12, 27).expect("date");
        let borrower = borrower(&store);
        store
            .open_loan(&actor(), first.barcode, borrower.barcode, None, due)
            .expect("lent");
        assert_eq!(up(&at.low), fill(0, 10, 1, 0));
        assert_eq!(up(&at.room), fill(0, 20, 1, 0));
        consistent(&store);
        // Returned to the counter: stands there, no longer on loan.
        store
            .return_loan(&actor(), first.barcode, Some(at.counter.barcode))
            .expect("returned");
        assert_eq!(up(&at.low), fill(0, 10, 0, 0));
        assert_eq!(up(&at.counter), fill(1, 0, 0, 0));
        store
            .move_item(&actor(), first.barcode, at.low.barcode)
            .expect("shelved");
        // Flagged missing (as a stock-take or a pick list's DONE does, through the store):
        // counted missing at its home; undone by a restore.
        store
            .write(&actor(), |tx| tx.flag_missing(first.barcode).map(|_| ()))
            .expect("flagged");
        assert_eq!(up(&at.low), fill(1, 10, 0, 1));
        assert_eq!(up(&at.rack), fill(1, 20, 0, 1));
        consistent(&store);
        store
            .write(&actor(), |tx| {
                tx.restore(first.barcode, Some(at.low.barcode), ItemStatus::Stored)
                    .map(|_| ())
            })
            .expect("restored");
        assert_eq!(up(&at.low), fill(1, 10, 0, 0));
        // A new home shelf moves where it would count as on loan or missing.
        store
            .edit_box(
                &actor(),
                first.barcode,
                &BoxEdit {
                    home: Some(Some(at.high.barcode)),
                    ..BoxEdit::default()
                },
            )
            .expect("edited");
        store
            .write(&actor(), |tx| tx.flag_missing(first.barcode).map(|_| ()))
            .expect("flagged");
        assert_eq!(up(&at.low), fill(1, 10, 0, 0));
        assert_eq!(up(&at.high), fill(0, 10, 0, 1));
        consistent(&store);
        // An import puts boxes on shelves by path, creating what is missing (no capacity).
        let row = |number: &str| ImportRow {
            archive_no: number.into(),
            title: "借款合同".into(),
            customer: "甲".into(),
            category: "抵押".into(),
            year: Some(2020),
            retention: None,
            location: Some("2号库房/01列/A面/1节/1层".into()),
            barcode: None,
            series: None,
            expiry: None,
        };
        let other = |number: &str| ImportRow {
            location: Some("2号库房/01列/B面/1节/1层".into()),
            ..row(number)
        };
        store
            .import_rows(
                &Actor::new("import"),
                &[row("I-1"), row("I-2"), other("I-3")],
            )
            .expect("imported");
        assert_eq!(up(&at.low), fill(3, 10, 0, 0));
        assert_eq!(up(&at.rack), fill(4, 20, 0, 1));
        assert_eq!(up(&at.room), fill(4, 20, 0, 1));
        consistent(&store);
        // And all of it survives a reopen as it is.
        drop(store);
        let store = open(dir.path());
        assert_eq!(
            store.fill(at.room.barcode).expect("fill"),
            fill(4, 20, 0, 1)
        );
        consistent(&store);
    }

    #[test]
    fn a_location_resized_retired_or_moved_carries_its_figures() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let at = room(&store);
        let boxed = store
            .register_box(&actor(), &new_box("借款", 2012, None))
            .expect("box");
        store
            .move_item(&actor(), boxed.barcode, at.high.barcode)
            .expect("shelved");
        let up = |location: &Location| store.fill(location.barcode).expect("fill");
        // What the layout commands write, through the one way every record is written.
        let rewrite = |location: Location| {
            store
                .write(&actor(), |tx| {
                    tx.put_item(&Item::Location(location.clone()))
                })
                .expect("written")
        };
        rewrite(Location {
            capacity: Some(25),
            ..at.low.clone()
        });
        assert_eq!(up(&at.rack), fill(1, 35, 0, 0));
        rewrite(Location {
            retired: true,
            capacity: Some(25),
            ..at.low.clone()
        });
        assert_eq!(up(&at.low), fill(0, 0, 0, 0));
        assert_eq!(up(&at.room), fill(1, 10, 0, 0));
        consistent(&store);
        // A section moved to another side takes its shelves' figures along.
        let other_side = add(&store, LocationKind::Side, "B面", Some(&at.rack), None);
        rewrite(Location {
            parent: Some(other_side.barcode),
            ..at.section.clone()
        });
        assert_eq!(up(&at.side), fill(0, 0, 0, 0));
        assert_eq!(up(&other_side), fill(1, 10, 0, 0));
        assert_eq!(up(&at.room), fill(1, 10, 0, 0));
        consistent(&store);
    }

    #[test]
    fn boxes_are_tallied_by_category_and_year() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let a = store
            .register_box(&actor(), &new_box("借款", 2012, None))
            .expect("box");
        store
            .register_box(&actor(), &new_box("借款", 2012, None))
            .expect("box");
        store
            .register_box(&actor(), &new_box("抵押", 2013, None))
            .expect("box");
        let counts = |store: &Store| -> Vec<(String, Option<u16>, u64)> {
            store
                .boxes_by_category_year()
                .expect("counts")
                .into_iter()
                .map(|count| (count.category, count.year, count.boxes))
                .collect()
        };
        assert_eq!(
            counts(&store),
            vec![
                ("借款".into(), Some(2012), 2),
                ("抵押".into(), Some(2013), 1)
            ]
        );
        store
            .edit_box(
                &actor(),
                a.barcode,
                &BoxEdit {
                    category: Some("抵押".into()),
                    year: Some(None),
                    ..BoxEdit::default()
                },
            )
            .expect("edited");
        assert_eq!(
            counts(&store),
            vec![
                ("借款".into(), Some(2012), 1),
                ("抵押".into(), None, 1),
                ("抵押".into(), Some(2013), 1)
            ]
        );
        consistent(&store);
    }

    #[test]
    fn a_store_written_before_the_tallies_gets_them_at_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (low, rack) = {
            let store = open(dir.path());
            let at = room(&store);
            for _ in 0..3 {
                let boxed = store
                    .register_box(&actor(), &new_box("借款", 2012, Some(at.low.barcode)))
                    .expect("box");
                store
                    .move_item(&actor(), boxed.barcode, at.low.barcode)
                    .expect("shelved");
            }
            // As a build before the tallies left it: none, and no versions for them.
            let tallies: Vec<Vec<u8>> = [keys::FILL, keys::CATEGORY_YEAR]
                .iter()
                .flat_map(|tag| store.tree.scan_prefix([*tag]).keys())
                .map(|key| key.expect("read").to_vec())
                .collect();
            assert!(!tallies.is_empty());
            for key in tallies {
                tamper::set_raw(&store, &key, None);
            }
            tamper::set_raw(&store, b"m:family:fill_tallies", None);
            tamper::set_raw(&store, b"m:family:category_tallies", None);
            assert_eq!(store.fill(at.low.barcode).expect("fill"), Fill::default());
            (at.low, at.rack)
        };
        let store = open(dir.path());
        assert_eq!(store.fill(low.barcode).expect("fill"), fill(3, 10, 0, 0));
        assert_eq!(store.fill(rack.barcode).expect("fill"), fill(3, 20, 0, 0));
        assert_eq!(
            store.boxes_by_category_year().expect("counts"),
            vec![CategoryCount {
                category: "借款".into(),
                year: Some(2012),
                boxes: 3
            }]
        );
        for family in ["fill_tallies", "category_tallies"] {
            assert_eq!(
                store
                    .tree
                    .get(format!("m:family:{family}"))
                    .expect("read")
                    .as_deref(),
                Some(&1u32.to_be_bytes()[..])
            );
        }
        consistent(&store);
    }

    #[test]
    fn verify_finds_a_wrong_a_missing_and_a_dangling_tally() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let at = room(&store);
        consistent(&store);
        let wrong = keys::fill(at.rack.barcode);
        let five = super::super::encode(&fill(5, 20, 0, 0));
        tamper::set_raw(&store, &wrong, Some(five.as_slice()));
        tamper::set_raw(&store, &keys::fill(at.low.barcode), None);
        tamper::set_raw(
            &store,
            &keys::category_year("借款", 1999),
            Some(&7u64.to_be_bytes()[..]),
        );
        let report = store.verify().expect("verify");
        let codes: Vec<_> = report.problems.iter().map(|problem| problem.code).collect();
        assert_eq!(
            codes,
            vec![crate::message::Code::VerifyTallyWrong; 3],
            "{:?}",
            report.problems
        );
    }

    #[test]
    fn the_locations_directly_under_one_are_found_in_walking_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let at = room(&store);
        for path in [
            "2号库房/10列/A面/1节/1层",
            "2号库房/02列/A面/1节/1层",
            "10号库房/01列/A面/1节/1层",
        ] {
            store.ensure_location(&actor(), path).expect("shelf");
        }
        let safe = add(&store, LocationKind::Safe, "保险柜1", Some(&at.room), None);
        let names = |list: Vec<Location>| -> Vec<String> {
            list.into_iter().map(|location| location.path).collect()
        };
        assert_eq!(
            names(store.children_of(None).expect("top")),
            vec!["2号库房", "10号库房", "柜台"]
        );
        assert_eq!(
            names(store.children_of(Some(&at.room)).expect("room")),
            vec![
                "2号库房/01列",
                "2号库房/02列",
                "2号库房/10列",
                safe.path.as_str()
            ]
        );
        assert_eq!(
            names(store.locations_under(&at.section).expect("under")),
            vec!["2号库房/01列/A面/1节/1层", "2号库房/01列/A面/1节/2层"]
        );
    }
}
