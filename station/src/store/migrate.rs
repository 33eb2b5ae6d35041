//! Record families and their versions: the one table of what each family of stored records
//! is at in this build ([`FAMILIES`]) and of the steps that bring older records up to it
//! ([`MIGRATIONS`]), and the migration run at open.
//!
//! Three things version the stored data, each on its own: `m:schema` the key layout and
//! how events are stored (`mod.rs`); an event's format byte how it is hashed (`event.rs`);
//! and the version of each record family, here, how its records are encoded. A family's
//! version is stored under `m:family:<name>` (4 bytes BE). A store written before family
//! versions existed has none: each family then counts as version 1.
//!
//! At open, every family whose stored version is older than this build's is migrated one
//! version at a time, record by record, by the step registered for (family, from-version),
//! in batches of [`BATCH_LEN`] records. Each batch rewrites its records and records how far
//! the step got (`m:migrating:<name>`: the from-version and the last key rewritten) in one
//! atomic sled batch, so a crash leaves every record either rewritten or not, and the
//! cursor says which; opening again resumes after the cursor, so no record is migrated
//! twice. Only once every record of the family is rewritten and flushed does its stored
//! version advance (and the cursor go), in one more atomic batch that is flushed in turn.
//!
//! **Invariant:** a family stored at a version newer than this build's refuses the open
//! (`store.family_too_new`) before anything is written; so does a missing step
//! (`store.no_migration`, which the tests below rule out for the real table).

use std::ops::Bound;

use super::{keys, Result, StorageError, StoreError};

/// A family of stored records: the records under one key prefix, encoded alike.
#[derive(Debug, Clone, Copy)]
pub(super) struct Family {
    /// Its stable name, part of its meta key: never renamed.
    pub(super) name: &'static str,
    /// The keys of its records.
    pub(super) prefix: &'static [u8],
    /// The version this build reads and writes.
    pub(super) current: u32,
}

/// How one record of `family` at version `from` becomes version `from + 1`: its stored
/// bytes in, its new bytes out, `None` if the bytes are not a record of version `from`
/// (the open then fails naming the record; nothing after it is rewritten).
#[derive(Debug, Clone, Copy)]
pub(super) struct Migration {
    /// The family's name.
    pub(super) family: &'static str,
    /// The version the step reads; it writes `from + 1`.
    pub(super) from: u32,
    /// The step, pure: decode the old record, encode the new one.
    pub(super) step: fn(&[u8]) -> Option<Vec<u8>>,
}

/// Every family of stored records and the version this build writes. Index families
/// (archive numbers, paths, contents, customers, history, due dates, open loans, …) hold
/// barcodes, numbers or nothing, whose layout is the schema's; events have their formats.
pub(super) const FAMILIES: &[Family] = &[
    Family {
        name: "boxes",
        prefix: &[keys::ITEM, b'B'],
        current: 1,
    },
    Family {
        name: "certificates",
        prefix: &[keys::ITEM, b'C'],
        current: 1,
    },
    Family {
        name: "locations",
        prefix: &[keys::ITEM, b'L'],
        current: 2,
    },
    Family {
        name: "people",
        prefix: &[keys::ITEM, b'P'],
        current: 1,
    },
    Family {
        name: "loans",
        prefix: &[keys::LOAN],
        current: 1,
    },
    Family {
        name: "approvals",
        prefix: &[keys::APPROVAL],
        current: 1,
    },
    Family {
        name: "handovers",
        prefix: &[keys::HANDOVER],
        current: 1,
    },
    Family {
        name: "documents",
        prefix: &[keys::DOCUMENT],
        current: 1,
    },
    Family {
        name: "box_papers",
        prefix: &[keys::PAPERS],
        current: 1,
    },
    Family {
        name: "picklists",
        prefix: &[keys::PICK_LIST],
        current: 1,
    },
    Family {
        name: "loanslips",
        prefix: &[keys::LOAN_SLIP],
        current: 1,
    },
    Family {
        name: "handover_extensions",
        prefix: &[keys::HANDOVER_EXTENSIONS],
        current: 1,
    },
    Family {
        name: "return_checks",
        prefix: &[keys::RETURN_CHECK],
        current: 1,
    },
    Family {
        name: "tokens",
        prefix: &[keys::TOKEN],
        current: 1,
    },
    Family {
        name: "print_jobs",
        prefix: &[keys::JOB],
        // 2: the last error is a catalog message (code + zh + en), not joined text, and
        // deliveries begun are counted.
        current: 2,
    },
    Family {
        name: "schemes",
        prefix: &[keys::SCHEME],
        current: 1,
    },
    Family {
        name: "devices",
        prefix: &[keys::DEVICE],
        current: 1,
    },
    Family {
        name: "credentials",
        prefix: &[keys::CREDENTIAL],
        current: 1,
    },
    Family {
        name: "tasks",
        prefix: &[keys::TASK],
        current: 1,
    },
    Family {
        name: "token_kinds",
        prefix: &[keys::TOKEN_KIND],
        current: 1,
    },
    Family {
        name: "notifications",
        prefix: &[keys::NOTIFICATION],
        current: 1,
    },
];

/// An index family built from other records rather than migrated record by record: its
/// entries are derived (see its builder), so a store that has none, or an older version of
/// them, gets them rebuilt from the records at open. Its version is stored like a record
/// family's (`m:family:<name>`), written only once the whole index is built and flushed:
/// a crash during the build leaves the version unwritten, and the next open clears what
/// was written and builds it again.
#[derive(Debug, Clone, Copy)]
pub(super) struct IndexFamily {
    /// Its stable name, part of its meta key: never renamed.
    pub(super) name: &'static str,
    /// The keys of its entries.
    pub(super) prefix: &'static [u8],
    /// The version this build reads and writes.
    pub(super) current: u32,
    /// Writes the family's entries from the records (its old entries are cleared before),
    /// `batch_len` records per atomic batch; answers how many records it indexed.
    pub(super) build: fn(&sled::Tree, usize) -> Result<u64>,
}

/// Every index family built at open (1: the box search's grams of customer names and
/// archive numbers, added after stores with boxes existed; the fill tallies of locations
/// and the boxes by category and year, added for the rack map and the room's statistics).
pub(super) const INDEXES: &[IndexFamily] = &[
    IndexFamily {
        name: "search_grams",
        prefix: &[keys::GRAM],
        current: 1,
        build: super::search::build_index,
    },
    IndexFamily {
        name: "fill_tallies",
        prefix: &[keys::FILL],
        current: 1,
        build: super::tally::build_fills,
    },
    IndexFamily {
        name: "category_tallies",
        prefix: &[keys::CATEGORY_YEAR],
        current: 1,
        build: super::tally::build_categories,
    },
];

/// The steps from each family's older versions, in any order (they are applied by
/// version).
pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        family: "print_jobs",
        from: 1,
        step: print_jobs_1_to_2,
    },
    Migration {
        family: "locations",
        from: 1,
        step: locations_1_to_2,
    },
];

/// A location as version 1 stored it: no rack kind, never retired.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct LocationV1 {
    pub(super) barcode: crate::barcode::Barcode,
    pub(super) kind: crate::model::LocationKind,
    pub(super) name: String,
    pub(super) parent: Option<crate::barcode::Barcode>,
    pub(super) path: String,
    pub(super) capacity: Option<u32>,
}

/// `Item` as version 1 of the locations family stored it: the same variants in the same
/// order, with version-1 locations.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) enum ItemLocationsV1 {
    /// A box (unchanged).
    Box(crate::model::ArchiveBox),
    /// A certificate (unchanged).
    Certificate(crate::model::Certificate),
    /// A version-1 location.
    Location(LocationV1),
    /// A person (unchanged).
    Person(crate::model::Person),
}

/// Locations 1 → 2: every rack is a fixed rack (a mobile rack is set so by a person) and
/// nothing is retired.
fn locations_1_to_2(bytes: &[u8]) -> Option<Vec<u8>> {
    let ItemLocationsV1::Location(old) = postcard::from_bytes::<ItemLocationsV1>(bytes).ok()?
    else {
        return None;
    };
    postcard::to_allocvec(&crate::model::Item::Location(crate::model::Location {
        barcode: old.barcode,
        kind: old.kind,
        name: old.name,
        parent: old.parent,
        path: old.path,
        capacity: old.capacity,
        mobile: false,
        retired: false,
    }))
    .ok()
}

/// A print job as version 1 stored it: its last error as one joined text,
/// `中文 / English`, and no count of deliveries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct PrintJobV1 {
    pub(super) id: u64,
    pub(super) printer: String,
    pub(super) subject: String,
    pub(super) format: crate::model::PrintFormat,
    pub(super) payload: Vec<u8>,
    pub(super) queued_at: crate::model::Millis,
    pub(super) attempts: u32,
    pub(super) next_attempt_at: crate::model::Millis,
    pub(super) last_error: Option<String>,
    pub(super) reprint: Option<(u64, String)>,
    pub(super) state: crate::model::PrintState,
}

/// Print jobs 1 → 2: the joined last error becomes a catalog message
/// (`label.not_printed_earlier`, its reason split back into its Chinese and English halves
/// where the join can be found, else the whole text in both), and every recorded attempt
/// counts as a delivery begun (version 1 did not record deliveries before they began).
fn print_jobs_1_to_2(bytes: &[u8]) -> Option<Vec<u8>> {
    let old: PrintJobV1 = postcard::from_bytes(bytes).ok()?;
    let last_error = old.last_error.as_deref().map(|joined| {
        let (zh, en) = split_joined(joined);
        crate::message::StoredMessage::from(crate::message!(
            LabelNotPrintedEarlier,
            reason = crate::message::Bilingual::new(zh, en)
        ))
    });
    let job = crate::model::PrintJob {
        id: old.id,
        printer: old.printer,
        subject: old.subject,
        format: old.format,
        payload: old.payload,
        queued_at: old.queued_at,
        attempts: old.attempts,
        next_attempt_at: old.next_attempt_at,
        last_error,
        reprint: old.reprint,
        state: old.state,
        deliveries: old.attempts,
    };
    postcard::to_allocvec(&job).ok()
}

/// The halves of a text joined as `中文 / English`: split at the first ` / ` after which no
/// Chinese follows. A text with no such place is both halves.
fn split_joined(joined: &str) -> (&str, &str) {
    let chinese = |c: char| matches!(c, '\u{2e80}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{ff00}'..='\u{ffef}');
    joined
        .match_indices(" / ")
        .filter_map(|(at, separator)| {
            Some((joined.get(..at)?, joined.get(at + separator.len()..)?))
        })
        .find(|(_, en)| !en.chars().any(chinese))
        .unwrap_or((joined, joined))
}

/// Records rewritten per atomic batch.
pub(super) const BATCH_LEN: usize = 1_000;

/// The families and steps a store is opened with: [`Layout::THIS_BUILD`] but in tests.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout<'a> {
    pub(super) families: &'a [Family],
    pub(super) migrations: &'a [Migration],
    pub(super) batch_len: usize,
}

impl Layout<'static> {
    /// This build's families and steps.
    pub(super) const THIS_BUILD: Layout<'static> = Layout {
        families: FAMILIES,
        migrations: MIGRATIONS,
        batch_len: BATCH_LEN,
    };
}

/// The meta key of `family`'s stored version.
pub(super) fn version_key(family: &str) -> Vec<u8> {
    format!("m:family:{family}").into_bytes()
}

/// The meta key of a migration under way in `family`.
fn cursor_key(family: &str) -> Vec<u8> {
    format!("m:migrating:{family}").into_bytes()
}

fn corrupt(key: &[u8]) -> StoreError {
    StoreError::corrupt(key)
}

/// The version recorded for `family`'s records, if one is (a store written before family
/// versions has none: its records are version 1).
pub(super) fn recorded_version(tree: &sled::Tree, family: &str) -> Result<Option<u32>> {
    let key = version_key(family);
    match tree
        .get(&key)
        .map_err(StoreError::storage("reading a record family's version"))?
    {
        None => Ok(None),
        Some(bytes) => <[u8; 4]>::try_from(bytes.as_ref())
            .ok()
            .map(u32::from_be_bytes)
            .filter(|version| *version >= 1)
            .map(Some)
            .ok_or_else(|| corrupt(&key)),
    }
}

/// The version keys of a new store: every family at its current version.
pub(super) fn new_store_versions(layout: &Layout<'_>, batch: &mut sled::Batch) {
    for family in layout.families {
        batch.insert(version_key(family.name), &family.current.to_be_bytes());
    }
    for index in INDEXES {
        batch.insert(version_key(index.name), &index.current.to_be_bytes());
    }
}

/// Brings every family of the store at `path` up to `layout`'s versions (see the module's
/// documentation), and records each family's version.
pub(super) fn run(tree: &sled::Tree, path: &str, layout: &Layout<'_>) -> Result<()> {
    // Everything is checked before anything is written.
    let mut plan = Vec::with_capacity(layout.families.len());
    for family in layout.families {
        let recorded = recorded_version(tree, family.name)?;
        let found = recorded.unwrap_or(1);
        if found > family.current {
            return Err(StorageError::FamilyTooNew {
                path: path.to_owned(),
                family: family.name.to_owned(),
                found,
                supported: family.current,
            }
            .into());
        }
        let mut steps = Vec::new();
        for from in found..family.current {
            let step = layout
                .migrations
                .iter()
                .find(|migration| migration.family == family.name && migration.from == from)
                .ok_or_else(|| StorageError::NoMigration {
                    family: family.name.to_owned(),
                    from,
                })?;
            steps.push(step);
        }
        plan.push((family, recorded, steps));
    }
    let mut builds = Vec::new();
    for index in INDEXES {
        let recorded = recorded_version(tree, index.name)?;
        match recorded {
            Some(found) if found > index.current => {
                return Err(StorageError::FamilyTooNew {
                    path: path.to_owned(),
                    family: index.name.to_owned(),
                    found,
                    supported: index.current,
                }
                .into())
            }
            Some(found) if found == index.current => {}
            _ => builds.push(index),
        }
    }
    let mut recorded_now = false;
    for (family, recorded, steps) in plan {
        let migrated = !steps.is_empty();
        for step in steps {
            migrate_family(tree, family, step, layout.batch_len)?;
        }
        if recorded.is_none() && !migrated {
            // A store from before family versions: its records are version 1 as they are.
            tree.insert(version_key(family.name), &family.current.to_be_bytes())
                .map_err(StoreError::storage("recording a record family's version"))?;
            recorded_now = true;
            tracing::info!(
                family = family.name,
                version = family.current,
                "record family version recorded"
            );
        }
    }
    if recorded_now {
        tree.flush()
            .map_err(StoreError::storage("flushing the record family versions"))?;
    }
    for index in builds {
        build_index(tree, index, layout.batch_len)?;
    }
    Ok(())
}

/// Builds `index` from the records, flushes it, then records its version (flushed in turn).
fn build_index(tree: &sled::Tree, index: &IndexFamily, batch_len: usize) -> Result<()> {
    tracing::info!(index = index.name, "building an index");
    let mut batch = sled::Batch::default();
    for key in tree.scan_prefix(index.prefix).keys() {
        batch.remove(key.map_err(StoreError::storage("clearing an index to build"))?);
    }
    tree.apply_batch(batch)
        .map_err(StoreError::storage("clearing an index to build"))?;
    let records = (index.build)(tree, batch_len)?;
    tree.flush()
        .map_err(StoreError::storage("flushing a built index"))?;
    tree.insert(version_key(index.name), &index.current.to_be_bytes())
        .map_err(StoreError::storage("recording an index's version"))?;
    tree.flush()
        .map_err(StoreError::storage("flushing an index's version"))?;
    tracing::info!(
        index = index.name,
        version = index.current,
        records,
        "index built"
    );
    Ok(())
}

/// Rewrites every record of `family` from `step.from` to `step.from + 1`, resuming after
/// the cursor a crash left, then advances the family's stored version.
fn migrate_family(
    tree: &sled::Tree,
    family: &Family,
    step: &Migration,
    batch_len: usize,
) -> Result<()> {
    let cursor = cursor_key(family.name);
    let mut after: Option<Vec<u8>> = match tree
        .get(&cursor)
        .map_err(StoreError::storage("reading a migration's progress"))?
    {
        None => None,
        Some(bytes) => {
            let (from, last) = bytes
                .split_first_chunk::<4>()
                .map(|(from, last)| (u32::from_be_bytes(*from), last))
                .ok_or_else(|| corrupt(&cursor))?;
            if from != step.from || !last.starts_with(family.prefix) {
                return Err(corrupt(&cursor));
            }
            tracing::info!(
                family = family.name,
                from = step.from,
                "resuming an interrupted record migration"
            );
            Some(last.to_vec())
        }
    };
    tracing::info!(
        family = family.name,
        from = step.from,
        to = step.from + 1,
        "migrating records"
    );
    let mut n_records = 0u64;
    loop {
        let start = match &after {
            Some(last) => Bound::Excluded(last.clone()),
            None => Bound::Included(family.prefix.to_vec()),
        };
        let mut chunk = Vec::with_capacity(batch_len.min(BATCH_LEN));
        for entry in tree.range::<Vec<u8>, _>((start, Bound::Unbounded)) {
            let (key, value) = entry.map_err(StoreError::storage("reading records to migrate"))?;
            if !key.starts_with(family.prefix) || chunk.len() >= batch_len.max(1) {
                break;
            }
            chunk.push((key, value));
        }
        let Some((last, _)) = chunk.last() else {
            break;
        };
        let mut progress = step.from.to_be_bytes().to_vec();
        progress.extend_from_slice(last);
        after = Some(last.to_vec());
        let mut batch = sled::Batch::default();
        for (key, value) in &chunk {
            let migrated = (step.step)(value).ok_or_else(|| corrupt(key))?;
            batch.insert(key.clone(), migrated);
        }
        batch.insert(cursor.clone(), progress);
        tree.apply_batch(batch)
            .map_err(StoreError::storage("writing migrated records"))?;
        n_records += chunk.len() as u64;
        tracing::debug!(family = family.name, records = n_records, "migrated so far");
    }
    // The records first, durably; then the version, so that a crash in between only
    // resumes a finished step (nothing after the cursor) and advances it.
    tree.flush()
        .map_err(StoreError::storage("flushing migrated records"))?;
    let mut batch = sled::Batch::default();
    batch.insert(version_key(family.name), &(step.from + 1).to_be_bytes());
    batch.remove(cursor);
    tree.apply_batch(batch)
        .map_err(StoreError::storage("advancing a record family's version"))?;
    tree.flush()
        .map_err(StoreError::storage("flushing a record family's version"))?;
    tracing::info!(
        family = family.name,
        version = step.from + 1,
        records = n_records,
        "record family migrated"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::barcode::Barcode;
    use crate::message::Code;
    use crate::model::{ArchiveBox, Certificate, Item, Location, Role};
    use crate::store::{Actor, NewPerson, Store, StoreOptions};

    /// A person as a build whose people have a desk (people version 2) stores them.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct PersonV2 {
        barcode: Barcode,
        name: String,
        role: Role,
        borrow_directly: bool,
        desk: String,
    }

    /// Version 3 adds the floor.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct PersonV3 {
        barcode: Barcode,
        name: String,
        role: Role,
        borrow_directly: bool,
        desk: String,
        floor: u8,
    }

    /// `Item` with version-2 people: the same variants in the same order.
    #[derive(Debug, Serialize, Deserialize)]
    enum ItemV2 {
        Box(ArchiveBox),
        Certificate(Certificate),
        Location(Location),
        Person(PersonV2),
    }

    /// `Item` with version-3 people.
    #[derive(Debug, Serialize, Deserialize)]
    enum ItemV3 {
        Box(ArchiveBox),
        Certificate(Certificate),
        Location(Location),
        Person(PersonV3),
    }

    /// The test's step 1 → 2: decode the old record, encode the new one with a default desk.
    fn people_1_to_2(bytes: &[u8]) -> Option<Vec<u8>> {
        let Item::Person(person) = postcard::from_bytes::<Item>(bytes).ok()? else {
            return None;
        };
        postcard::to_allocvec(&ItemV2::Person(PersonV2 {
            barcode: person.barcode,
            name: person.name,
            role: person.role,
            borrow_directly: person.borrow_directly,
            desk: "未指定".to_owned(),
        }))
        .ok()
    }

    /// The test's step 2 → 3: a default floor.
    fn people_2_to_3(bytes: &[u8]) -> Option<Vec<u8>> {
        let ItemV2::Person(person) = postcard::from_bytes::<ItemV2>(bytes).ok()? else {
            return None;
        };
        postcard::to_allocvec(&ItemV3::Person(PersonV3 {
            barcode: person.barcode,
            name: person.name,
            role: person.role,
            borrow_directly: person.borrow_directly,
            desk: person.desk,
            floor: 1,
        }))
        .ok()
    }

    const ONE_TO_TWO: Migration = Migration {
        family: "people",
        from: 1,
        step: people_1_to_2,
    };

    const TWO_TO_THREE: Migration = Migration {
        family: "people",
        from: 2,
        step: people_2_to_3,
    };

    /// This build's families with people at `version`.
    fn families_with_people_at(version: u32) -> Vec<Family> {
        FAMILIES
            .iter()
            .map(|family| match family.name {
                "people" => Family {
                    current: version,
                    ..*family
                },
                _ => *family,
            })
            .collect()
    }

    /// A store of this build in `dir` with `n` people (version-1 records); answers their
    /// keys and stored bytes, in key order.
    fn store_with_people(dir: &Path, n: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        let store = Store::open(dir, StoreOptions::default()).expect("store");
        for i in 0..n {
            store
                .add_person(
                    &Actor::new("test"),
                    &NewPerson {
                        name: format!("职员{i}"),
                        role: Role::Clerk,
                        borrow_directly: false,
                    },
                )
                .expect("person");
        }
        store.flush().expect("flush");
        raw_people(&store)
    }

    fn raw_people(store: &Store) -> Vec<(Vec<u8>, Vec<u8>)> {
        store
            .tree
            .scan_prefix([keys::ITEM, b'P'])
            .map(|entry| {
                let (key, value) = entry.expect("read");
                (key.to_vec(), value.to_vec())
            })
            .collect()
    }

    /// The store's tree, read behind its back (no migration runs); like `Store::open`, waits
    /// for the lock a store dropped a moment ago may still hold.
    fn raw_tree(dir: &Path) -> sled::Tree {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match sled::open(dir.join("store")) {
                Ok(db) => return db.open_tree("archive").expect("tree"),
                Err(error) if std::time::Instant::now() < deadline => {
                    assert!(
                        error.to_string().contains("could not acquire lock"),
                        "{error}"
                    );
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(error) => panic!("opening the store's sled: {error}"),
            }
        }
    }

    fn version_of(store: &Store, family: &str) -> Option<u32> {
        store
            .record_versions()
            .expect("versions")
            .into_iter()
            .find(|(name, _)| *name == family)
            .and_then(|(_, version)| version)
    }

    #[test]
    fn a_migration_adds_a_field_to_every_record_of_its_family_at_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let before = store_with_people(dir.path(), 5);
        assert_eq!(before.len(), 5);
        for (_, bytes) in &before {
            assert!(
                postcard::from_bytes::<ItemV2>(bytes).is_err(),
                "a version-1 record has no desk"
            );
        }

        let families = families_with_people_at(2);
        let layout = Layout {
            families: &families,
            migrations: &[ONE_TO_TWO],
            batch_len: 2,
        };
        let store = Store::open_in(dir.path(), StoreOptions::default(), &layout).expect("migrates");
        let after = raw_people(&store);
        assert_eq!(after.len(), before.len());
        for ((key, old), (new_key, new)) in before.iter().zip(&after) {
            assert_eq!(key, new_key);
            assert_eq!(Some(new), people_1_to_2(old).as_ref(), "migrated once");
            let Ok(ItemV2::Person(person)) = postcard::from_bytes::<ItemV2>(new) else {
                panic!("not a version-2 person: {new:?}");
            };
            assert_eq!(person.desk, "未指定");
            assert!(person.name.starts_with("职员"));
            assert_eq!(keys::item(person.barcode), *key);
        }
        assert_eq!(version_of(&store, "people"), Some(2));
        assert_eq!(
            version_of(&store, "boxes"),
            Some(1),
            "other families untouched"
        );
        assert_eq!(
            store.tree.get(cursor_key("people")).expect("read"),
            None,
            "no migration left under way"
        );
        drop(store);

        // Opened again at version 2: nothing is migrated twice.
        let store = Store::open_in(dir.path(), StoreOptions::default(), &layout).expect("opens");
        assert_eq!(raw_people(&store), after);
    }

    #[test]
    fn steps_are_applied_in_version_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let before = store_with_people(dir.path(), 3);
        let families = families_with_people_at(3);
        let layout = Layout {
            families: &families,
            // Listed out of order on purpose: they are applied by version.
            migrations: &[TWO_TO_THREE, ONE_TO_TWO],
            batch_len: BATCH_LEN,
        };
        let store = Store::open_in(dir.path(), StoreOptions::default(), &layout).expect("migrates");
        for ((_, old), (_, new)) in before.iter().zip(raw_people(&store)) {
            let expected = people_1_to_2(old).and_then(|v2| people_2_to_3(&v2));
            assert_eq!(Some(new.clone()), expected);
            let Ok(ItemV3::Person(person)) = postcard::from_bytes::<ItemV3>(&new) else {
                panic!("not a version-3 person");
            };
            assert_eq!((person.desk.as_str(), person.floor), ("未指定", 1));
        }
        assert_eq!(version_of(&store, "people"), Some(3));
    }

    /// Steps taken by [`people_1_to_2_dying_at_the_fourth`].
    static STEPS_TAKEN: AtomicUsize = AtomicUsize::new(0);

    /// [`people_1_to_2`], but the process "dies" at the fourth record: the open fails
    /// there, as if it had crashed before that batch was written.
    fn people_1_to_2_dying_at_the_fourth(bytes: &[u8]) -> Option<Vec<u8>> {
        if STEPS_TAKEN.fetch_add(1, Ordering::SeqCst) == 3 {
            return None;
        }
        people_1_to_2(bytes)
    }

    #[test]
    fn an_interrupted_migration_resumes_where_it_stopped_and_migrates_each_record_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let before = store_with_people(dir.path(), 5);
        let families = families_with_people_at(2);
        let dying = Layout {
            families: &families,
            migrations: &[Migration {
                family: "people",
                from: 1,
                step: people_1_to_2_dying_at_the_fourth,
            }],
            batch_len: 2,
        };
        match Store::open_in(dir.path(), StoreOptions::default(), &dying) {
            Err(StoreError::Failed(StorageError::Corrupt { key })) => {
                assert_eq!(key.as_bytes(), before[3].0.as_slice(), "the fourth record")
            }
            Err(other) => panic!("wrong error: {other}"),
            Ok(_) => panic!("the step did not fail"),
        }
        {
            // What the "crash" left: the first batch rewritten and recorded, the rest not,
            // and the family still at version 1.
            let tree = raw_tree(dir.path());
            let stored: Vec<Vec<u8>> = before
                .iter()
                .map(|(key, _)| tree.get(key).expect("read").expect("record").to_vec())
                .collect();
            for (at, ((_, old), now)) in before.iter().zip(&stored).enumerate() {
                if at < 2 {
                    assert_eq!(Some(now), people_1_to_2(old).as_ref(), "record {at}");
                } else {
                    assert_eq!(now, old, "record {at}");
                }
            }
            assert_eq!(recorded_version(&tree, "people").expect("read"), Some(1));
            let cursor = tree
                .get(cursor_key("people"))
                .expect("read")
                .expect("a migration under way");
            assert_eq!(cursor.get(..4), Some(&1u32.to_be_bytes()[..]));
            assert_eq!(cursor.get(4..), Some(before[1].0.as_slice()));
        }

        let families = families_with_people_at(2);
        let layout = Layout {
            families: &families,
            migrations: &[ONE_TO_TWO],
            batch_len: 2,
        };
        let store = Store::open_in(dir.path(), StoreOptions::default(), &layout).expect("resumes");
        for ((_, old), (_, new)) in before.iter().zip(raw_people(&store)) {
            assert_eq!(
                Some(new),
                people_1_to_2(old),
                "each record migrated exactly once"
            );
        }
        assert_eq!(version_of(&store, "people"), Some(2));
        assert_eq!(store.tree.get(cursor_key("people")).expect("read"), None);
    }

    #[test]
    fn a_family_newer_than_this_build_refuses_the_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let before = store_with_people(dir.path(), 2);
        {
            let store = Store::open(dir.path(), StoreOptions::default()).expect("opens");
            store
                .tree
                .insert(version_key("people"), &2u32.to_be_bytes())
                .expect("write");
            store.flush().expect("flush");
        }
        match Store::open(dir.path(), StoreOptions::default()) {
            Err(error @ StoreError::Failed(StorageError::FamilyTooNew { .. })) => {
                let StoreError::Failed(StorageError::FamilyTooNew {
                    family,
                    found,
                    supported,
                    ..
                }) = &error
                else {
                    unreachable!()
                };
                assert_eq!((family.as_str(), *found, *supported), ("people", 2, 1));
                let said = error.message();
                assert_eq!(said.code, Code::StoreFamilyTooNew);
                for half in [&said.text.zh, &said.text.en] {
                    assert!(half.contains("people") && half.contains('2'), "{said:?}");
                }
            }
            Err(other) => panic!("wrong error: {other}"),
            Ok(_) => panic!("opened a family newer than this build"),
        }
        let tree = raw_tree(dir.path());
        for (key, bytes) in &before {
            assert_eq!(
                tree.get(key).expect("read").as_deref(),
                Some(bytes.as_slice()),
                "nothing rewritten"
            );
        }
    }

    #[test]
    fn a_missing_step_refuses_the_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        store_with_people(dir.path(), 1);
        let families = families_with_people_at(2);
        let layout = Layout {
            families: &families,
            migrations: &[],
            batch_len: BATCH_LEN,
        };
        match Store::open_in(dir.path(), StoreOptions::default(), &layout) {
            Err(error @ StoreError::Failed(StorageError::NoMigration { .. })) => {
                assert_eq!(error.message().code, Code::StoreNoMigration);
            }
            Err(other) => panic!("wrong error: {other}"),
            Ok(_) => panic!("opened without a step"),
        }
    }

    #[test]
    fn a_store_without_family_versions_counts_as_version_1_and_gets_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let before = store_with_people(dir.path(), 2);
        {
            let store = Store::open(dir.path(), StoreOptions::default()).expect("opens");
            for family in FAMILIES {
                store.tree.remove(version_key(family.name)).expect("remove");
            }
            assert!(store
                .record_versions()
                .expect("versions")
                .iter()
                .all(|(_, version)| version.is_none()));
            store.flush().expect("flush");
        }
        let store = Store::open(dir.path(), StoreOptions::default()).expect("opens");
        for (name, version) in store.record_versions().expect("versions") {
            // Version 1, then migrated (no records) to this build's version.
            let current = FAMILIES
                .iter()
                .find(|family| family.name == name)
                .map(|family| family.current);
            assert_eq!(version, current, "{name}");
        }
        assert_eq!(
            raw_people(&store),
            before,
            "version-1 records stay as they are"
        );
    }

    #[test]
    fn a_print_job_stored_with_a_joined_error_text_reads_as_a_catalog_message() {
        let dir = tempfile::tempdir().expect("tempdir");
        let old = PrintJobV1 {
            id: 7,
            printer: "zebra-1".into(),
            subject: "B0000000016".into(),
            format: crate::model::PrintFormat::Zpl,
            payload: b"^XA^XZ".to_vec(),
            queued_at: 1_000,
            attempts: 3,
            next_attempt_at: 9_000,
            last_error: Some(
                "打印机 zebra-1 (tcp://10.0.0.9:9100) 连接失败：拒绝连接 / printer zebra-1 (tcp://10.0.0.9:9100): cannot connect: connection refused".into(),
            ),
            reprint: None,
            state: crate::model::PrintState::Pending,
        };
        let unsplittable = PrintJobV1 {
            id: 8,
            last_error: Some("纸张用完".into()),
            ..old.clone()
        };
        {
            // A store as a build with version-1 print jobs left it.
            let store = Store::open(dir.path(), StoreOptions::default()).expect("store");
            for job in [&old, &unsplittable] {
                store
                    .tree
                    .insert(
                        keys::job(job.id),
                        postcard::to_allocvec(job).expect("encode"),
                    )
                    .expect("write");
            }
            store
                .tree
                .insert(version_key("print_jobs"), &1u32.to_be_bytes())
                .expect("write");
            store.flush().expect("flush");
        }
        let store = Store::open(dir.path(), StoreOptions::default()).expect("migrates");
        assert_eq!(version_of(&store, "print_jobs"), Some(2));
        let job = store.job(7).expect("reads").expect("the job");
        let error = job.last_error.expect("its last error");
        assert_eq!(error.code, Code::LabelNotPrintedEarlier.as_str());
        assert!(
            error.text.zh.contains("拒绝连接") && !error.text.zh.contains("refused"),
            "{error:?}"
        );
        assert!(
            error.text.en.contains("connection refused") && !error.text.en.contains("拒绝"),
            "{error:?}"
        );
        assert_eq!((job.attempts, job.deliveries), (3, 3));
        assert_eq!(job.subject, "B0000000016");
        assert_eq!(job.next_attempt_at, 9_000);
        let job = store.job(8).expect("reads").expect("the job");
        let error = job.last_error.expect("its last error");
        assert!(error.text.zh.contains("纸张用完"), "{error:?}");
    }

    #[test]
    fn a_location_stored_before_racks_had_a_kind_reads_as_a_fixed_rack_in_use() {
        let dir = tempfile::tempdir().expect("tempdir");
        let barcode =
            crate::barcode::Barcode::new(crate::barcode::Kind::Location, 42).expect("barcode");
        let old = LocationV1 {
            barcode,
            kind: crate::model::LocationKind::Rack,
            name: "05列".into(),
            parent: None,
            path: "1号库房/05列".into(),
            capacity: Some(40),
        };
        {
            // A store as a build with version-1 locations left it.
            let store = Store::open(dir.path(), StoreOptions::default()).expect("store");
            store
                .tree
                .insert(
                    keys::item(barcode),
                    postcard::to_allocvec(&ItemLocationsV1::Location(old.clone())).expect("encode"),
                )
                .expect("write");
            store
                .tree
                .insert(version_key("locations"), &1u32.to_be_bytes())
                .expect("write");
            store.flush().expect("flush");
        }
        let store = Store::open(dir.path(), StoreOptions::default()).expect("migrates");
        assert_eq!(version_of(&store, "locations"), Some(2));
        let Some(crate::model::Item::Location(location)) = store.get_item(barcode).expect("reads")
        else {
            panic!("the location is gone");
        };
        assert_eq!(
            (location.path.as_str(), location.capacity, location.kind),
            (
                old.path.as_str(),
                Some(40),
                crate::model::LocationKind::Rack
            )
        );
        assert!(!location.mobile && !location.retired, "{location:?}");
    }

    /// The real table: every family has a distinct name and a prefix no other family's
    /// overlaps (nor the meta keys'), and every version below a family's current one has
    /// its step.
    #[test]
    fn this_builds_table_is_complete_and_its_families_do_not_overlap() {
        for (at, family) in FAMILIES.iter().enumerate() {
            assert!(family.current >= 1, "{}", family.name);
            assert!(!family.prefix.is_empty() && !family.prefix.starts_with(b"m"));
            for other in &FAMILIES[at + 1..] {
                assert_ne!(family.name, other.name);
                assert!(
                    !family.prefix.starts_with(other.prefix)
                        && !other.prefix.starts_with(family.prefix),
                    "{} and {} overlap",
                    family.name,
                    other.name
                );
            }
            for from in 1..family.current {
                let steps = MIGRATIONS
                    .iter()
                    .filter(|step| step.family == family.name && step.from == from)
                    .count();
                assert_eq!(steps, 1, "{} from version {from}", family.name);
            }
        }
        for index in INDEXES {
            assert!(index.current >= 1 && !index.prefix.starts_with(b"m"));
            for family in FAMILIES {
                assert_ne!(family.name, index.name);
                assert!(
                    !family.prefix.starts_with(index.prefix)
                        && !index.prefix.starts_with(family.prefix),
                    "{} and {} overlap",
                    family.name,
                    index.name
                );
            }
        }
        for step in MIGRATIONS {
            assert!(
                FAMILIES
                    .iter()
                    .any(|family| family.name == step.family && step.from < family.current),
                "a step of no family: {} from {}",
                step.family,
                step.from
            );
        }
    }
}
