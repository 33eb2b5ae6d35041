//! Boxes' contents lists (册内资料清单), their expiry dates and the supplements a reviewer
//! asked for.
//!
//! Layout: one compact record per document under `D` + box + position (2 bytes BE, from 1),
//! so that a box's list is one prefix scan in order; one small paper record per box under
//! `E` + box (how many documents, the box's expiry date, the supplement it waits for), so
//! that a write (a sled transaction cannot scan) knows which document keys exist; and an
//! empty expiry entry under `K` + day + box + position per expiry date, for reminders.
//!
//! A document is stored without field names or date strings: its name, its type only when
//! it differs from the name, the page count and dates as varints (days from CE) and the
//! flags in one byte, about 10 bytes beyond the name.
//!
//! The contents a box had before this family existed (`ArchiveBox::checklist`, names and
//! page counts) are kept reading: a box without a paper record answers them as its list,
//! and the first change of its list moves them here and clears them from the box record.
//! No migration pass rewrites a million boxes for the few that carry such a list.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{decode, keys, Refusal, Result, Store, StoreError, Tx};
use crate::barcode::{Barcode, Kind};
use crate::contents::{Checklists, Completeness, Document, Lack, MAX_DOCUMENTS};
use crate::event::{Change, EventKind};
use crate::model::{ArchiveBox, Item, Millis};

/// A document as stored: dates as days from CE (0: none), the flags in one byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredDocument {
    name: String,
    doc_type: String,
    pages: u32,
    date: u32,
    expiry: u32,
    flags: u8,
}

const ORIGINAL: u8 = 1;
const SIGNATURE_RECORDED: u8 = 2;
const SIGNED: u8 = 4;
const TYPE_IS_NAME: u8 = 8;

fn days(date: Option<NaiveDate>) -> u32 {
    date.map_or(0, |date| date.num_days_from_ce().max(1) as u32)
}

fn date_of(days: u32) -> Option<NaiveDate> {
    if days == 0 {
        return None;
    }
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(days).ok()?)
}

impl StoredDocument {
    fn of(document: &Document) -> StoredDocument {
        let same = !document.doc_type.is_empty() && document.doc_type == document.name;
        let mut flags = 0;
        if document.original {
            flags |= ORIGINAL;
        }
        if let Some(signed) = document.signed {
            flags |= SIGNATURE_RECORDED;
            if signed {
                flags |= SIGNED;
            }
        }
        if same {
            flags |= TYPE_IS_NAME;
        }
        StoredDocument {
            name: document.name.clone(),
            doc_type: if same {
                String::new()
            } else {
                document.doc_type.clone()
            },
            pages: document.pages,
            date: days(document.date),
            expiry: days(document.expiry),
            flags,
        }
    }

    fn document(self) -> Document {
        let doc_type = if self.flags & TYPE_IS_NAME != 0 {
            self.name.clone()
        } else {
            self.doc_type
        };
        Document {
            name: self.name,
            doc_type,
            pages: self.pages,
            date: date_of(self.date),
            original: self.flags & ORIGINAL != 0,
            expiry: date_of(self.expiry),
            signed: (self.flags & SIGNATURE_RECORDED != 0).then_some(self.flags & SIGNED != 0),
        }
    }
}

/// What a reviewer (B) sent back to the sender (A): the documents to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplement {
    /// The handover reviewed.
    pub handover: u64,
    /// Who reviewed it (B).
    pub by: Barcode,
    /// Who must supplement (A).
    pub to: Barcode,
    /// What the box lacked at the review.
    pub lacks: Vec<Lack>,
    /// When.
    pub at: Millis,
}

/// A box's paper record (`E`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Papers {
    count: u16,
    expiry: Option<NaiveDate>,
    supplement: Option<Supplement>,
}

/// A box's contents list with its expiry date and the supplement it waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxContents {
    /// The documents in order (position = index + 1).
    pub documents: Vec<Document>,
    /// The box's expiry date (合同到期日), if it has one.
    pub expiry: Option<NaiveDate>,
    /// The supplement asked for and not yet complete, if any.
    pub supplement: Option<Supplement>,
}

impl BoxContents {
    /// Total pages.
    pub fn pages(&self) -> u64 {
        self.documents.iter().map(|d| u64::from(d.pages)).sum()
    }
}

/// A change to one document of a box's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentsEdit {
    /// Adds a document at `at` (from 1; at the end when absent).
    Add {
        /// Where.
        at: Option<usize>,
        /// What.
        document: Document,
    },
    /// Replaces the document at `position`.
    Set {
        /// Which (from 1).
        position: usize,
        /// The new document.
        document: Document,
    },
    /// Removes the document at `position`.
    Remove {
        /// Which (from 1).
        position: usize,
    },
}

fn legacy(archive_box: &ArchiveBox) -> Vec<Document> {
    archive_box
        .checklist
        .iter()
        .map(|entry| Document {
            name: entry.name.clone(),
            doc_type: String::new(),
            pages: entry.pages,
            date: None,
            original: true,
            expiry: None,
            signed: None,
        })
        .collect()
}

fn position_key(position: usize) -> Result<u16> {
    u16::try_from(position).map_err(|_| Refusal::TooManyDocuments(MAX_DOCUMENTS).into())
}

impl Store {
    /// A box's contents list: one point read and one prefix scan (the box record only for
    /// a box whose list was never written here, see the module's note).
    pub fn box_contents(&self, archive_box: &ArchiveBox) -> Result<BoxContents> {
        let papers_key = keys::papers(archive_box.barcode);
        let papers: Option<Papers> = self.get(&papers_key)?;
        let Some(papers) = papers else {
            return Ok(BoxContents {
                documents: legacy(archive_box),
                expiry: None,
                supplement: None,
            });
        };
        let mut documents = Vec::with_capacity(usize::from(papers.count));
        for entry in self
            .tree
            .scan_prefix(keys::documents_of(archive_box.barcode))
        {
            let (key, value) = entry.map_err(StoreError::storage("reading a contents list"))?;
            let stored: StoredDocument = decode(&value, &key)?;
            documents.push(stored.document());
        }
        Ok(BoxContents {
            documents,
            expiry: papers.expiry,
            supplement: papers.supplement,
        })
    }

    /// Every box's own expiry date (合同到期日), in barcode order (the order of
    /// [`Store::boxes`]): one pass over the paper records (`E`), for the ledger export.
    pub fn box_expiries(&self) -> impl Iterator<Item = Result<(Barcode, NaiveDate)>> + '_ {
        self.tree.scan_prefix([keys::PAPERS]).filter_map(|entry| {
            let (key, value) = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    return Some(Err(StoreError::storage("reading paper records")(error)))
                }
            };
            let papers = match decode::<Papers>(&value, &key) {
                Ok(papers) => papers,
                Err(error) => return Some(Err(error)),
            };
            let expiry = papers.expiry?;
            Some(
                keys::trailing_barcode(&key)
                    .map(|barcode| (barcode, expiry))
                    .ok_or_else(|| StoreError::corrupt(&key)),
            )
        })
    }

    /// Whether the expiry index (`K`) lists `barcode`'s own expiry date on `day`.
    #[cfg(test)]
    pub(crate) fn box_expiry_indexed(&self, day: NaiveDate, barcode: Barcode) -> bool {
        self.tree
            .contains_key(keys::expiry(day, barcode, u16::MAX))
            .unwrap_or(false)
    }

    /// A box by its barcode, refused when it is not a registered box.
    pub fn require_box(&self, barcode: Barcode) -> Result<ArchiveBox> {
        match self.get_item(barcode)? {
            Some(Item::Box(archive_box)) => Ok(archive_box),
            Some(_) => Err(Refusal::WrongKind {
                barcode,
                expected: Kind::Box,
            }
            .into()),
            None => Err(Refusal::NotFound(barcode).into()),
        }
    }
}

impl Tx<'_> {
    fn tx_box(&self, barcode: Barcode) -> Result<ArchiveBox> {
        match self.require_item(barcode)? {
            Item::Box(archive_box) => Ok(archive_box),
            _ => Err(Refusal::WrongKind {
                barcode,
                expected: Kind::Box,
            }
            .into()),
        }
    }

    fn papers(&self, barcode: Barcode) -> Result<Option<Papers>> {
        self.get(&keys::papers(barcode))
    }

    /// A box's own expiry date (合同到期日), if it has one.
    pub(super) fn box_expiry(&self, barcode: Barcode) -> Result<Option<NaiveDate>> {
        Ok(self.papers(barcode)?.and_then(|papers| papers.expiry))
    }

    /// A box's documents, read by point reads (a transaction cannot scan).
    pub fn box_documents(&self, archive_box: &ArchiveBox) -> Result<Vec<Document>> {
        let Some(papers) = self.papers(archive_box.barcode)? else {
            return Ok(legacy(archive_box));
        };
        let mut documents = Vec::with_capacity(usize::from(papers.count));
        for position in 1..=papers.count {
            let key = keys::document(archive_box.barcode, position);
            let stored: StoredDocument =
                self.get(&key)?.ok_or_else(|| StoreError::corrupt(&key))?;
            documents.push(stored.document());
        }
        Ok(documents)
    }

    /// How complete a box's contents are against its category's checklist.
    pub fn completeness(
        &self,
        archive_box: &ArchiveBox,
        checklists: &Checklists,
    ) -> Result<Completeness> {
        Ok(checklists.check(&archive_box.category, &self.box_documents(archive_box)?))
    }

    /// Replaces a box's contents list with `documents`; records the changed positions
    /// (before → after) as one event. A box waiting for supplements that becomes complete
    /// stops waiting (and that is recorded too).
    pub fn replace_contents(
        &mut self,
        barcode: Barcode,
        documents: &[Document],
        checklists: &Checklists,
        kind: EventKind,
    ) -> Result<BoxContents> {
        let mut archive_box = self.tx_box(barcode)?;
        if documents.len() > MAX_DOCUMENTS {
            return Err(Refusal::TooManyDocuments(MAX_DOCUMENTS).into());
        }
        for document in documents {
            document.check().map_err(Refusal::BadDocument)?;
        }
        let before = self.box_documents(&archive_box)?;
        let stored = self.papers(barcode)?;
        // A legacy list (no paper record yet) is not under `D`: every document is written.
        let written = stored.is_some();
        let mut papers = stored.unwrap_or_default();
        let old_count = usize::from(papers.count);
        let mut changes = Vec::new();
        for position in 1..=before.len().max(documents.len()) {
            let old = before.get(position - 1);
            let new = documents.get(position - 1);
            if old == new && written {
                continue;
            }
            let key_position = position_key(position)?;
            if let Some(expiry) = old.and_then(|document| document.expiry) {
                self.remove(&keys::expiry(expiry, barcode, key_position))?;
            }
            match new {
                Some(document) => {
                    self.put(
                        &keys::document(barcode, key_position),
                        &StoredDocument::of(document),
                    )?;
                    if let Some(expiry) = document.expiry {
                        self.put_raw(&keys::expiry(expiry, barcode, key_position), &[])?;
                    }
                }
                None => self.remove(&keys::document(barcode, key_position))?,
            }
            if old != new {
                changes.push(Change::new(
                    &format!("document {position}"),
                    old.map(Document::summary),
                    new.map(Document::summary),
                ));
            }
        }
        // Keys a legacy list never had need no removal; keys past the new end do.
        for position in documents.len().max(before.len()) + 1..=old_count {
            self.remove(&keys::document(barcode, position_key(position)?))?;
        }
        papers.count = position_key(documents.len())?;
        let waiting = papers.supplement.clone();
        let complete = checklists
            .check(&archive_box.category, documents)
            .is_complete();
        if complete {
            papers.supplement = None;
        }
        self.put(&keys::papers(barcode), &papers)?;
        if !archive_box.checklist.is_empty() {
            archive_box.checklist.clear();
            self.put_item(&Item::Box(archive_box))?;
        }
        if !changes.is_empty() {
            self.record(Some(barcode), kind, changes);
        }
        if let (Some(supplement), true) = (waiting, complete) {
            self.record(
                Some(barcode),
                EventKind::SupplementCompleted,
                vec![Change::new(
                    "supplement",
                    Some(format!(
                        "{} ({})",
                        supplement.handover,
                        supplement
                            .lacks
                            .iter()
                            .map(|lack| lack.name.as_str())
                            .collect::<Vec<_>>()
                            .join("；")
                    )),
                    None::<String>,
                )],
            );
        }
        Ok(BoxContents {
            documents: documents.to_vec(),
            expiry: papers.expiry,
            supplement: papers.supplement,
        })
    }

    /// Adds, replaces or removes one document of a box's list.
    pub fn edit_contents(
        &mut self,
        barcode: Barcode,
        edit: &ContentsEdit,
        checklists: &Checklists,
    ) -> Result<BoxContents> {
        let archive_box = self.tx_box(barcode)?;
        let mut documents = self.box_documents(&archive_box)?;
        let no_document = |position| Refusal::NoDocument { barcode, position };
        match edit {
            ContentsEdit::Add { at, document } => {
                let at = at.unwrap_or(documents.len() + 1);
                if at == 0 || at > documents.len() + 1 {
                    return Err(no_document(at).into());
                }
                documents.insert(at - 1, document.clone());
            }
            ContentsEdit::Set { position, document } => {
                let slot = position
                    .checked_sub(1)
                    .and_then(|index| documents.get_mut(index))
                    .ok_or_else(|| no_document(*position))?;
                *slot = document.clone();
            }
            ContentsEdit::Remove { position } => {
                if *position == 0 || *position > documents.len() {
                    return Err(no_document(*position).into());
                }
                documents.remove(position - 1);
            }
        }
        self.replace_contents(barcode, &documents, checklists, EventKind::ContentsChanged)
    }

    /// Sets or clears a box's own expiry date (合同到期日).
    pub fn set_box_expiry(&mut self, barcode: Barcode, expiry: Option<NaiveDate>) -> Result<()> {
        let archive_box = self.tx_box(barcode)?;
        let mut papers = match self.papers(barcode)? {
            Some(papers) => papers,
            None => {
                // The first paper record takes over a legacy list.
                let documents = legacy(&archive_box);
                for (index, document) in documents.iter().enumerate() {
                    self.put(
                        &keys::document(barcode, position_key(index + 1)?),
                        &StoredDocument::of(document),
                    )?;
                }
                if !archive_box.checklist.is_empty() {
                    let mut cleared = archive_box.clone();
                    cleared.checklist.clear();
                    self.put_item(&Item::Box(cleared))?;
                }
                Papers {
                    count: position_key(documents.len())?,
                    ..Papers::default()
                }
            }
        };
        if papers.expiry == expiry {
            return Ok(());
        }
        if let Some(old) = papers.expiry {
            self.remove(&keys::expiry(old, barcode, u16::MAX))?;
        }
        if let Some(new) = expiry {
            self.put_raw(&keys::expiry(new, barcode, u16::MAX), &[])?;
        }
        self.record(
            Some(barcode),
            EventKind::ExpirySet,
            vec![Change::new(
                "expiry",
                papers.expiry.map(|day| day.to_string()),
                expiry.map(|day| day.to_string()),
            )],
        );
        papers.expiry = expiry;
        self.put(&keys::papers(barcode), &papers)
    }

    /// Checks the boxes among `items` against their checklists before a handover: a box
    /// lacking required documents is refused without `reason`, and handed over with it
    /// (the reason and what it lacks recorded in its history).
    pub fn check_handover_items(
        &mut self,
        items: &[Barcode],
        checklists: &Checklists,
        reason: Option<&str>,
    ) -> Result<()> {
        let reason = reason.map(str::trim).filter(|reason| !reason.is_empty());
        let mut incomplete = Vec::new();
        for item in items {
            if let Item::Box(archive_box) = self.require_item(*item)? {
                let completeness = self.completeness(&archive_box, checklists)?;
                if !completeness.is_complete() {
                    incomplete.push((*item, completeness.describe()));
                }
            }
        }
        if let Some((barcode, lacks)) = incomplete.first() {
            let Some(reason) = reason else {
                return Err(Refusal::Incomplete {
                    barcode: *barcode,
                    lacks: lacks.clone(),
                }
                .into());
            };
            for (barcode, lacks) in incomplete {
                self.record(
                    Some(barcode),
                    EventKind::HandedOverIncomplete,
                    vec![
                        Change::new("lacks", None::<String>, Some(lacks)),
                        Change::new("reason", None::<String>, Some(reason)),
                    ],
                );
            }
        }
        Ok(())
    }

    /// The reviewer's (B's) supplement list for handover `id`: every box of it that lacks
    /// required documents now waits for them (its status says so until its contents are
    /// complete). Answers each such box with what it lacks; refused when nothing lacks.
    pub fn request_supplement(
        &mut self,
        id: u64,
        checklists: &Checklists,
    ) -> Result<Vec<(Barcode, Vec<Lack>)>> {
        let handover: crate::model::Handover = self
            .get(&keys::handover(id))?
            .ok_or(Refusal::UnknownHandover(id))?;
        let mut list = Vec::new();
        for item in &handover.items {
            let Item::Box(archive_box) = self.require_item(*item)? else {
                continue;
            };
            let lacks = self.completeness(&archive_box, checklists)?.lacks();
            if lacks.is_empty() {
                continue;
            }
            let mut papers = match self.papers(*item)? {
                Some(papers) => papers,
                None => {
                    // Take the legacy list over, so that the box's list lives here.
                    let documents = self.box_documents(&archive_box)?;
                    self.replace_contents(
                        *item,
                        &documents,
                        checklists,
                        EventKind::ContentsChanged,
                    )?;
                    self.papers(*item)?.unwrap_or_default()
                }
            };
            papers.supplement = Some(Supplement {
                handover: id,
                by: handover.to,
                to: handover.from,
                lacks: lacks.clone(),
                at: self.now,
            });
            self.put(&keys::papers(*item), &papers)?;
            self.record(
                Some(*item),
                EventKind::SupplementRequested,
                vec![
                    Change::new("handover", None::<String>, Some(id.to_string())),
                    Change::new(
                        "lacks",
                        None::<String>,
                        Some(
                            lacks
                                .iter()
                                .map(|lack| lack.name.as_str())
                                .collect::<Vec<_>>()
                                .join("；"),
                        ),
                    ),
                ],
            );
            list.push((*item, lacks));
        }
        if list.is_empty() {
            return Err(Refusal::NothingToSupplement(id).into());
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Actor, NewBox, StoreOptions};

    fn clerk() -> Actor {
        Actor::new("P-test")
    }

    fn open_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), StoreOptions::default()).expect("store opens");
        (dir, store)
    }

    fn register_box(store: &Store, category: &str) -> Barcode {
        store
            .register_box(
                &clerk(),
                &NewBox {
                    archive_no: Some("2012鸿借字第001号".to_owned()),
                    title: "借款项目".to_owned(),
                    customer: "鸿达".to_owned(),
                    category: category.to_owned(),
                    ..NewBox::default()
                },
            )
            .expect("box")
            .barcode
    }

    fn document(name: &str, pages: u32) -> Document {
        Document {
            name: name.to_owned(),
            doc_type: name.to_owned(),
            pages,
            date: NaiveDate::from_ymd_opt(2026, 3, 1),
            original: true,
            expiry: None,
            signed: None,
        }
    }

    #[test]
    fn a_contents_list_is_kept_in_order_and_each_change_is_an_event() {
        let (_dir, store) = open_store();
        let barcode = register_box(&store, "借款");
        let checklists = Checklists::builtin().expect("valid");
        let mut documents = vec![document("项目审批表", 2), document("借款合同", 12)];
        documents[1].expiry = NaiveDate::from_ymd_opt(2029, 6, 30);
        documents[1].signed = Some(true);
        documents[1].original = false;
        store
            .write(&clerk(), |tx| {
                tx.replace_contents(barcode, &documents, &checklists, EventKind::ContentsChanged)
            })
            .expect("replaced");
        let archive_box = store.require_box(barcode).expect("box");
        let contents = store.box_contents(&archive_box).expect("contents");
        assert_eq!(contents.documents, documents);
        assert_eq!(contents.pages(), 14);
        // Edit: insert at 2, then remove 1; the list stays in order.
        let added = document("保证合同", 5);
        store
            .write(&clerk(), |tx| {
                tx.edit_contents(
                    barcode,
                    &ContentsEdit::Add {
                        at: Some(2),
                        document: added.clone(),
                    },
                    &checklists,
                )?;
                tx.edit_contents(barcode, &ContentsEdit::Remove { position: 1 }, &checklists)
            })
            .expect("edited");
        let contents = store.box_contents(&archive_box).expect("contents");
        assert_eq!(contents.documents, vec![added, documents[1].clone()]);
        let history = store.history(barcode).expect("history");
        let changed: Vec<_> = history
            .iter()
            .filter(|event| event.body.kind == EventKind::ContentsChanged)
            .collect();
        assert_eq!(changed.len(), 3);
        let last = changed.last().expect("event");
        assert_eq!(last.body.changes[0].field, "document 1");
        assert!(last.body.changes[0]
            .before
            .as_deref()
            .unwrap_or("")
            .starts_with("项目审批表"));
        assert!(last.body.changes[0]
            .after
            .as_deref()
            .unwrap_or("")
            .starts_with("保证合同"));
        assert_eq!(last.body.changes[2].field, "document 3");
        assert_eq!(last.body.changes[2].after, None);
        // Nothing of a shrunk list is left behind.
        assert_eq!(
            store.tree.scan_prefix(keys::documents_of(barcode)).count(),
            2
        );
    }

    #[test]
    fn a_bad_document_or_position_is_refused_and_changes_nothing() {
        let (_dir, store) = open_store();
        let barcode = register_box(&store, "借款");
        let checklists = Checklists::builtin().expect("valid");
        let (head, _) = store.head();
        let mut bad = document("借款合同", 0);
        let refused = store.write(&clerk(), |tx| {
            tx.replace_contents(
                barcode,
                &[bad.clone()],
                &checklists,
                EventKind::ContentsChanged,
            )
        });
        assert!(matches!(
            refused,
            Err(StoreError::Refused(Refusal::BadDocument(_)))
        ));
        bad.pages = 1;
        let refused = store.write(&clerk(), |tx| {
            tx.edit_contents(barcode, &ContentsEdit::Remove { position: 1 }, &checklists)
        });
        assert!(matches!(
            refused,
            Err(StoreError::Refused(Refusal::NoDocument { position: 1, .. }))
        ));
        let too_many = vec![bad; MAX_DOCUMENTS + 1];
        let refused = store.write(&clerk(), |tx| {
            tx.replace_contents(barcode, &too_many, &checklists, EventKind::ContentsChanged)
        });
        assert!(matches!(
            refused,
            Err(StoreError::Refused(Refusal::TooManyDocuments(_)))
        ));
        assert_eq!(store.head().0, head);
        let archive_box = store.require_box(barcode).expect("box");
        assert!(store
            .box_contents(&archive_box)
            .expect("contents")
            .documents
            .is_empty());
    }

    #[test]
    fn a_legacy_checklist_is_read_as_the_contents_and_moved_on_the_first_change() {
        let (_dir, store) = open_store();
        let barcode = register_box(&store, "杂项");
        let legacy_list = vec![crate::model::ChecklistEntry {
            name: "借款合同".to_owned(),
            pages: 12,
        }];
        store
            .edit_box(
                &clerk(),
                barcode,
                &crate::store::BoxEdit {
                    checklist: Some(legacy_list),
                    ..Default::default()
                },
            )
            .expect("edited");
        let archive_box = store.require_box(barcode).expect("box");
        let contents = store.box_contents(&archive_box).expect("contents");
        assert_eq!(contents.documents.len(), 1);
        assert_eq!(
            (
                contents.documents[0].name.as_str(),
                contents.documents[0].pages
            ),
            ("借款合同", 12)
        );
        let checklists = Checklists::builtin().expect("valid");
        store
            .write(&clerk(), |tx| {
                tx.edit_contents(
                    barcode,
                    &ContentsEdit::Add {
                        at: None,
                        document: document("保证合同", 4),
                    },
                    &checklists,
                )
            })
            .expect("added");
        let archive_box = store.require_box(barcode).expect("box");
        assert!(
            archive_box.checklist.is_empty(),
            "moved out of the box record"
        );
        let names: Vec<String> = store
            .box_contents(&archive_box)
            .expect("contents")
            .documents
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(names, ["借款合同", "保证合同"]);
    }

    #[test]
    fn an_expiry_date_is_kept_and_indexed_for_reminders() {
        let (_dir, store) = open_store();
        let barcode = register_box(&store, "借款");
        let day = NaiveDate::from_ymd_opt(2030, 1, 31).expect("date");
        store
            .write(&clerk(), |tx| tx.set_box_expiry(barcode, Some(day)))
            .expect("set");
        let archive_box = store.require_box(barcode).expect("box");
        assert_eq!(
            store.box_contents(&archive_box).expect("c").expiry,
            Some(day)
        );
        assert!(store
            .tree
            .contains_key(keys::expiry(day, barcode, u16::MAX))
            .expect("read"));
        store
            .write(&clerk(), |tx| tx.set_box_expiry(barcode, None))
            .expect("cleared");
        assert!(!store
            .tree
            .contains_key(keys::expiry(day, barcode, u16::MAX))
            .expect("read"));
        let kinds: Vec<EventKind> = store
            .history(barcode)
            .expect("history")
            .iter()
            .map(|e| e.body.kind)
            .filter(|k| *k == EventKind::ExpirySet)
            .collect();
        assert_eq!(kinds.len(), 2);
    }

    #[test]
    fn a_stored_document_is_compact_and_reads_back_the_same() {
        let mut full = document("借款合同", 12);
        full.expiry = NaiveDate::from_ymd_opt(2030, 1, 1);
        full.signed = Some(false);
        let mut other = full.clone();
        other.doc_type = String::new();
        for original in [full, other] {
            let bytes = crate::store::encode(&StoredDocument::of(&original));
            // Name (1 + 12 bytes), type (1), pages (1), two dates (3 each), flags (1).
            assert!(
                bytes.len() <= 2 + original.name.len() + 9,
                "{} bytes",
                bytes.len()
            );
            let back: StoredDocument = decode(&bytes, b"D").expect("decodes");
            assert_eq!(back.document(), original);
        }
    }
}
