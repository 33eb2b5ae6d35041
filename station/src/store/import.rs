//! Ledger rows imported into the store: an existing archive number is compared, never
//! overwritten; locations named by a row are created.

use super::{Refusal, StorageError};

use super::{keys, Actor, Result, Store, StoreError, Tx};
use crate::barcode::{Barcode, Kind};
use crate::event::{Change, EventKind};
use crate::model::{ArchiveBox, ItemStatus, Retention, ShelfPath};

/// One checked ledger row to import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// Archive number.
    pub archive_no: String,
    /// Title.
    pub title: String,
    /// Customer.
    pub customer: String,
    /// Category.
    pub category: String,
    /// Year.
    pub year: Option<u16>,
    /// Retention.
    pub retention: Option<Retention>,
    /// Human location path, if any.
    pub location: Option<String>,
    /// Existing system barcode, if any.
    pub barcode: Option<Barcode>,
    /// The scheme series the number belongs to: (scheme, year, seq), so the scheme's
    /// counter never hands out an imported number again.
    pub series: Option<(String, u16, u64)>,
    /// The box's expiry date (合同到期日), if the ledger gives one: set on a new box as
    /// the contents API sets it; compared on an existing one.
    pub expiry: Option<chrono::NaiveDate>,
}

/// What importing one row did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A new box was registered.
    Created(Barcode),
    /// The box exists with the same fields: nothing to do.
    Unchanged(Barcode),
    /// The box exists and some fields differ; nothing was changed.
    Differs(Barcode, Vec<String>),
}

impl Tx<'_> {
    /// Imports one ledger row; rejections come before any write, so a refused row
    /// changes nothing.
    pub fn import_row(&mut self, row: &ImportRow) -> Result<ImportOutcome> {
        if let Some(bytes) = self.get_raw(&keys::archive_no(&row.archive_no))? {
            let barcode = keys::trailing_barcode(&bytes).ok_or_else(|| StorageError::Corrupt {
                key: format!("a{}", row.archive_no),
            })?;
            let existing = self.require_box(barcode)?;
            if row.barcode.is_some_and(|given| given != barcode) {
                return Err(Refusal::DuplicateArchiveNo(row.archive_no.clone()).into());
            }
            let location = match &row.location {
                Some(path) => self.existing_location_path(path)?,
                None => None,
            };
            let differences = self.differences(&existing, row, location)?;
            return Ok(if differences.is_empty() {
                ImportOutcome::Unchanged(barcode)
            } else {
                ImportOutcome::Differs(barcode, differences)
            });
        }
        if let Some(barcode) = row.barcode {
            if barcode.kind() != Kind::Box {
                return Err(StoreError::wrong_kind(barcode, Kind::Box));
            }
            if self.item(barcode)?.is_some() {
                return Err(Refusal::DuplicateBarcode(barcode).into());
            }
        }
        let location_path = row.location.as_deref().map(str::trim);
        if let Some(path) = location_path {
            // Check the path's form before anything is written.
            if self.get_raw(&keys::path(path))?.is_none() {
                ShelfPath::parse(path)?;
            }
        }
        let place = match location_path {
            Some(path) => Some(self.ensure_location(path)?),
            None => None,
        };
        let barcode = match row.barcode {
            Some(barcode) => {
                self.raise_counter(&keys::barcode_counter(Kind::Box), barcode.seq())?;
                barcode
            }
            None => self.new_barcode(Kind::Box)?,
        };
        if let Some((scheme, year, seq)) = &row.series {
            self.raise_counter(&keys::number_counter(scheme, *year), *seq)?;
        }
        let archive_box = ArchiveBox {
            barcode,
            archive_no: row.archive_no.clone(),
            title: row.title.clone(),
            customer: row.customer.clone(),
            category: row.category.clone(),
            year: row.year,
            retention: row.retention,
            box_no: 1,
            box_count: 1,
            checklist: Vec::new(),
            home: place,
            place,
            status: if place.is_some() {
                ItemStatus::Stored
            } else {
                ItemStatus::Registered
            },
        };
        self.insert_box(&archive_box)?;
        if let Some(expiry) = row.expiry {
            self.set_box_expiry(barcode, Some(expiry))?;
        }
        Ok(ImportOutcome::Created(barcode))
    }

    pub(super) fn existing_location_path(&self, path: &str) -> Result<Option<Barcode>> {
        let trimmed = path.trim();
        let canonical = ShelfPath::parse(trimmed)
            .map(|shelf| shelf.canonical())
            .unwrap_or_else(|_| trimmed.to_owned());
        for candidate in [trimmed, canonical.as_str()] {
            if let Some(bytes) = self.get_raw(&keys::path(candidate))? {
                return Ok(keys::trailing_barcode(&bytes));
            }
        }
        Ok(None)
    }

    pub(super) fn differences(
        &self,
        existing: &ArchiveBox,
        row: &ImportRow,
        location: Option<Barcode>,
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        if existing.title != row.title {
            out.push("题名/title".to_owned());
        }
        if existing.customer != row.customer {
            out.push("客户名称/customer".to_owned());
        }
        if existing.category != row.category {
            out.push("类别/category".to_owned());
        }
        if existing.year != row.year {
            out.push("年度/year".to_owned());
        }
        if existing.retention != row.retention {
            out.push("保管期限/retention".to_owned());
        }
        let home_or_place = existing.place.or(existing.home);
        if row.location.is_some() && location != home_or_place {
            out.push("位置/location".to_owned());
        }
        if row.expiry.is_some() && row.expiry != self.box_expiry(existing.barcode)? {
            out.push("合同到期日/expiry".to_owned());
        }
        Ok(out)
    }
}

impl Store {
    /// Imports checked rows in one transaction; each row's rejection is returned in its
    /// place and changes nothing, while a storage failure aborts the whole chunk. The
    /// chunk is one `Imported` event that lists every box it created (barcode, archive
    /// number, place) and is in each of those boxes' history.
    pub fn import_rows(
        &self,
        actor: &Actor,
        rows: &[ImportRow],
    ) -> Result<Vec<Result<ImportOutcome>>> {
        self.write(actor, |tx| {
            let mut outcomes = Vec::with_capacity(rows.len());
            let mut created = Vec::new();
            let mut changes = Vec::new();
            for row in rows {
                match tx.import_row(row) {
                    Err(error) if error.is_rejection() => outcomes.push(Err(error)),
                    Err(error) => return Err(error),
                    Ok(outcome) => {
                        if let ImportOutcome::Created(barcode) = outcome {
                            created.push(barcode);
                            changes.push(Change::new(
                                "box",
                                None::<String>,
                                Some(format!("{barcode} {}", row.archive_no)),
                            ));
                        }
                        outcomes.push(Ok(outcome));
                    }
                }
            }
            if !created.is_empty() {
                tx.record_many(None, created, EventKind::Imported, changes);
            }
            Ok(outcomes)
        })
    }
}
