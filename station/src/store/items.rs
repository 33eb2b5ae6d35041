//! Boxes and certificates: registering (numbers allocated in the same transaction),
//! moving (home-shelf and capacity warnings; certificates only into a safe), editing,
//! restoring a move (UNDO), flagging missing, reserving blank barcodes.

use super::Refusal;

use super::{keys, Actor, Result, Store, StoreError, Tx};
use crate::barcode::{Barcode, Kind};
use crate::event::{Change, EventKind};
use crate::model::{
    check_text, customer_key, ArchiveBox, Certificate, CertificateKind, ChecklistEntry, Item,
    ItemStatus, Location, LocationKind, Retention,
};
use crate::numbering::{check_archive_no, Scheme};

/// A box to register.
#[derive(Debug, Clone, Default)]
pub struct NewBox {
    /// The archive number; allocated from `scheme` when absent.
    pub archive_no: Option<String>,
    /// Scheme and year to allocate the archive number from.
    pub scheme: Option<(Scheme, u16)>,
    /// Title (题名).
    pub title: String,
    /// Customer (客户名称).
    pub customer: String,
    /// Category (类别).
    pub category: String,
    /// Year (年度).
    pub year: Option<u16>,
    /// Retention period.
    pub retention: Option<Retention>,
    /// Box n …
    pub box_no: Option<u16>,
    /// … of m.
    pub box_count: Option<u16>,
    /// Contents.
    pub checklist: Vec<ChecklistEntry>,
    /// Home shelf.
    pub home: Option<Barcode>,
    /// A pre-printed label's barcode to register the box under; a new one when absent.
    pub barcode: Option<Barcode>,
}

/// Changes to a box's descriptive fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct BoxEdit {
    /// New title.
    pub title: Option<String>,
    /// New customer.
    pub customer: Option<String>,
    /// New category.
    pub category: Option<String>,
    /// New year.
    pub year: Option<Option<u16>>,
    /// New retention.
    pub retention: Option<Option<Retention>>,
    /// New home shelf.
    pub home: Option<Option<Barcode>>,
    /// New checklist.
    pub checklist: Option<Vec<ChecklistEntry>>,
}

/// A certificate to register.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    /// Kind.
    pub kind: CertificateKind,
    /// Number printed on the certificate.
    pub number: String,
    /// Archive number of its project.
    pub archive_no: String,
}

/// Something done anyway that a person should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The box was put somewhere else than its home shelf.
    NotHome {
        /// The home shelf's path.
        home: String,
    },
    /// The location now holds more than its capacity.
    OverCapacity {
        /// Capacity.
        capacity: u32,
        /// Items there now.
        count: u64,
    },
}

impl Warning {
    /// What to tell people.
    pub fn message(&self) -> crate::message::Message {
        use crate::message;
        match self {
            Warning::NotHome { home } => message!(ShelveNotHomeShelf, home = home),
            Warning::OverCapacity { capacity, count } => {
                message!(ShelveOverCapacity, count = count, capacity = capacity)
            }
        }
    }
}

/// What a move did.
#[derive(Debug, Clone)]
pub struct MoveOutcome {
    /// The item after the move.
    pub item: Item,
    /// Where it was.
    pub from: Option<Barcode>,
    /// Where it is now.
    pub to: Location,
    /// Things done anyway that deserve attention.
    pub warnings: Vec<Warning>,
}

pub(super) fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

pub(super) fn opt_text<T: ToString>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(ToString::to_string)
}

impl Tx<'_> {
    /// Allocates the next archive number of `scheme` for `year`; never reuses one.
    pub fn allocate_archive_no(&mut self, scheme: &Scheme, year: u16) -> Result<String> {
        self.refuse_retired(scheme)?;
        let year = if scheme.has_year() { year } else { 0 };
        let key = keys::number_counter(scheme.name(), year);
        loop {
            let seq = self.next_counter(&key, u64::MAX >> 8, scheme.name())?;
            let number = scheme.format(year, seq);
            // A number imported outside the counter's knowledge is skipped, not reused.
            if self.get_raw(&keys::archive_no(&number))?.is_none() {
                self.record(
                    None,
                    EventKind::NumberAllocated,
                    vec![Change::new(
                        "archive_no",
                        None::<String>,
                        Some(number.clone()),
                    )],
                );
                return Ok(number);
            }
        }
    }

    /// Registers a new box.
    pub fn register_box(&mut self, new: &NewBox) -> Result<ArchiveBox> {
        let title = check_text(&new.title, "题名", "title", true)?;
        let customer = check_text(&new.customer, "客户名称", "customer", true)?;
        let category = check_text(&new.category, "类别", "category", false)?;
        let given_no = new
            .archive_no
            .as_deref()
            .map(check_archive_no)
            .transpose()?;
        if let Some(number) = &given_no {
            if self.get_raw(&keys::archive_no(number))?.is_some() {
                return Err(Refusal::DuplicateArchiveNo(number.clone()).into());
            }
        }
        if let Some(home) = new.home {
            self.require_shelf(home)?;
        }
        if let Some(barcode) = new.barcode {
            if barcode.kind() != Kind::Box {
                return Err(StoreError::wrong_kind(barcode, Kind::Box));
            }
            if self.item(barcode)?.is_some() {
                return Err(Refusal::DuplicateBarcode(barcode).into());
            }
        }
        let archive_no = match (given_no, &new.scheme) {
            (Some(number), _) => number,
            (None, Some((scheme, year))) => self.allocate_archive_no(scheme, *year)?,
            (None, None) => {
                return Err(Refusal::Field(crate::model::FieldError::Empty {
                    field_zh: "档案号",
                    field_en: "archive number",
                })
                .into())
            }
        };
        let barcode = match new.barcode {
            Some(barcode) => {
                self.raise_counter(&keys::barcode_counter(Kind::Box), barcode.seq())?;
                barcode
            }
            None => self.new_barcode(Kind::Box)?,
        };
        let archive_box = ArchiveBox {
            barcode,
            archive_no,
            title,
            customer,
            category,
            year: new.year.or(new.scheme.as_ref().map(|(_, year)| *year)),
            retention: new.retention,
            box_no: new.box_no.unwrap_or(1),
            box_count: new.box_count.unwrap_or(1),
            checklist: new.checklist.clone(),
            home: new.home,
            place: None,
            status: ItemStatus::Registered,
        };
        self.insert_box(&archive_box)?;
        self.record(
            Some(barcode),
            EventKind::Registered,
            vec![
                Change::new(
                    "archive_no",
                    None::<String>,
                    Some(archive_box.archive_no.clone()),
                ),
                Change::new(
                    "customer",
                    None::<String>,
                    Some(archive_box.customer.clone()),
                ),
            ],
        );
        Ok(archive_box)
    }

    /// Writes a new box with its indexes (the caller records the event).
    pub(super) fn insert_box(&mut self, archive_box: &ArchiveBox) -> Result<()> {
        let barcode = archive_box.barcode;
        self.put_item(&Item::Box(archive_box.clone()))?;
        self.put_raw(
            &keys::archive_no(&archive_box.archive_no),
            &barcode.to_key(),
        )?;
        self.put_raw(
            &keys::customer(&customer_key(&archive_box.customer), barcode),
            &[],
        )?;
        self.index_grams(archive_box)?;
        if let Some(place) = archive_box.place {
            self.index_at(place, barcode)?;
        }
        Ok(())
    }

    /// Registers a certificate under its project's archive number.
    pub fn register_certificate(&mut self, new: &NewCertificate) -> Result<Certificate> {
        let number = check_text(&new.number, "权证编号", "certificate number", true)?;
        let archive_no = check_archive_no(&new.archive_no)?;
        let box_barcode = self
            .get_raw(&keys::archive_no(&archive_no))?
            .and_then(|bytes| keys::trailing_barcode(&bytes));
        let certificate = Certificate {
            barcode: self.new_barcode(Kind::Certificate)?,
            kind: new.kind.clone(),
            number,
            archive_no,
            box_barcode,
            place: None,
            status: ItemStatus::Registered,
        };
        self.put_item(&Item::Certificate(certificate.clone()))?;
        self.put_raw(
            &keys::certificates_of(&certificate.archive_no, certificate.barcode),
            &[],
        )?;
        self.record(
            Some(certificate.barcode),
            EventKind::Registered,
            vec![
                Change::new("kind", None::<String>, Some(certificate.kind.to_text())),
                Change::new(
                    "archive_no",
                    None::<String>,
                    Some(certificate.archive_no.clone()),
                ),
            ],
        );
        Ok(certificate)
    }

    /// Moves a box or certificate to `to`: a shelf, counter, or (certificates only) a safe.
    pub fn move_item(&mut self, item: Barcode, to: Barcode) -> Result<MoveOutcome> {
        let target = self.require_shelf(to)?;
        let mut record = self.require_item(item)?;
        let (from, home) = match &record {
            Item::Box(archive_box) => {
                if archive_box.status == ItemStatus::OnLoan {
                    return Err(self.on_loan_error(item)?);
                }
                // Safes keep certificates; a box there would be hidden from the clerks
                // who look after it (the `sees_safes` rule), so it is never put there.
                if target.kind.keeps_certificates() {
                    return Err(Refusal::BoxInSafe { path: target.path }.into());
                }
                (archive_box.place, archive_box.home)
            }
            Item::Certificate(certificate) => {
                if !target.kind.keeps_certificates() {
                    return Err(Refusal::CertificateOutsideSafe { path: target.path }.into());
                }
                (certificate.place, None)
            }
            _ => return Err(StoreError::wrong_kind(item, Kind::Box)),
        };
        let status = match target.kind {
            LocationKind::Counter => ItemStatus::AtCounter,
            _ => ItemStatus::Stored,
        };
        let mut warnings = Vec::new();
        // A box whose home shelf was retired makes the shelf it is put on its new home.
        let mut new_home = None;
        if let Some(home) = home.filter(|home| *home != to && target.kind != LocationKind::Counter)
        {
            match self.item(home)? {
                Some(Item::Location(location)) if location.retired => new_home = Some(to),
                Some(Item::Location(location)) => warnings.push(Warning::NotHome {
                    home: location.path,
                }),
                _ => warnings.push(Warning::NotHome {
                    home: home.to_string(),
                }),
            }
        }
        if from == Some(to) {
            return Ok(MoveOutcome {
                item: record,
                from,
                to: target,
                warnings,
            });
        }
        if let Some(from) = from {
            self.unindex_at(from, item)?;
        }
        let count = self.index_at(to, item)?;
        if let Some(capacity) = target.capacity {
            if count > u64::from(capacity) {
                warnings.push(Warning::OverCapacity { capacity, count });
            }
        }
        let old_status = match &mut record {
            Item::Box(archive_box) => {
                archive_box.place = Some(to);
                if new_home.is_some() {
                    archive_box.home = new_home;
                }
                std::mem::replace(&mut archive_box.status, status)
            }
            Item::Certificate(certificate) => {
                certificate.place = Some(to);
                std::mem::replace(&mut certificate.status, status)
            }
            _ => status,
        };
        self.put_item(&record)?;
        let mut changes = vec![Change::new("place", opt_text(&from), Some(to.to_string()))];
        if new_home.is_some() {
            changes.push(Change::new("home", opt_text(&home), opt_text(&new_home)));
        }
        if old_status != status {
            changes.push(Change::new(
                "status",
                Some(old_status.label().1),
                Some(status.label().1),
            ));
        }
        self.record(Some(item), EventKind::Moved, changes);
        Ok(MoveOutcome {
            item: record,
            from,
            to: target,
            warnings,
        })
    }

    pub(super) fn require_box(&self, barcode: Barcode) -> Result<ArchiveBox> {
        match self.require_item(barcode)? {
            Item::Box(archive_box) => Ok(archive_box),
            _ => Err(StoreError::wrong_kind(barcode, Kind::Box)),
        }
    }

    /// Edits a box's descriptive fields.
    pub fn edit_box(&mut self, barcode: Barcode, edit: &BoxEdit) -> Result<ArchiveBox> {
        let mut archive_box = self.require_box(barcode)?;
        let before = archive_box.clone();
        let mut changes = Vec::new();
        let old_customer = archive_box.customer.clone();
        let text_fields = [
            (&edit.title, &mut archive_box.title, ("题名", "title"), true),
            (
                &edit.customer,
                &mut archive_box.customer,
                ("客户名称", "customer"),
                true,
            ),
            (
                &edit.category,
                &mut archive_box.category,
                ("类别", "category"),
                false,
            ),
        ];
        for (new, field, (zh, en), required) in text_fields {
            if let Some(new) = new {
                let new = check_text(new, zh, en, required)?;
                if *field != new {
                    changes.push(Change::new(en, Some(field.clone()), Some(new.clone())));
                    *field = new;
                }
            }
        }
        if let Some(year) = edit.year {
            if archive_box.year != year {
                changes.push(Change::new(
                    "year",
                    opt_text(&archive_box.year),
                    opt_text(&year),
                ));
                archive_box.year = year;
            }
        }
        if let Some(retention) = edit.retention {
            if archive_box.retention != retention {
                changes.push(Change::new(
                    "retention",
                    archive_box.retention.map(Retention::to_text),
                    retention.map(Retention::to_text),
                ));
                archive_box.retention = retention;
            }
        }
        if let Some(home) = edit.home {
            if let Some(home) = home {
                self.require_shelf(home)?;
            }
            if archive_box.home != home {
                changes.push(Change::new(
                    "home",
                    opt_text(&archive_box.home),
                    opt_text(&home),
                ));
                archive_box.home = home;
            }
        }
        if let Some(checklist) = &edit.checklist {
            if &archive_box.checklist != checklist {
                changes.push(Change::new(
                    "checklist",
                    Some(format!("{} items", archive_box.checklist.len())),
                    Some(format!("{} items", checklist.len())),
                ));
                archive_box.checklist = checklist.clone();
            }
        }
        if changes.is_empty() {
            return Ok(archive_box);
        }
        if old_customer != archive_box.customer {
            self.remove(&keys::customer(&customer_key(&old_customer), barcode))?;
            self.put_raw(
                &keys::customer(&customer_key(&archive_box.customer), barcode),
                &[],
            )?;
            self.reindex_grams(&before, &archive_box)?;
        }
        self.put_item(&Item::Box(archive_box.clone()))?;
        self.record(Some(barcode), EventKind::Edited, changes);
        Ok(archive_box)
    }

    /// Puts a box or certificate back where it was (`place`, `status`): the UNDO of a move.
    pub fn restore(
        &mut self,
        item: Barcode,
        place: Option<Barcode>,
        status: ItemStatus,
    ) -> Result<Item> {
        let mut record = self.require_item(item)?;
        let (current, old_status) = match &mut record {
            Item::Box(archive_box) => {
                if archive_box.status == ItemStatus::OnLoan {
                    return Err(self.on_loan_error(item)?);
                }
                let current = std::mem::replace(&mut archive_box.place, place);
                (current, std::mem::replace(&mut archive_box.status, status))
            }
            Item::Certificate(certificate) => {
                let current = std::mem::replace(&mut certificate.place, place);
                (current, std::mem::replace(&mut certificate.status, status))
            }
            _ => return Err(StoreError::wrong_kind(item, Kind::Box)),
        };
        if let Some(current) = current {
            self.unindex_at(current, item)?;
        }
        if let Some(place) = place {
            self.require_shelf(place)?;
            self.index_at(place, item)?;
        }
        self.put_item(&record)?;
        self.record(
            Some(item),
            EventKind::Undone,
            vec![
                Change::new("place", opt_text(&current), opt_text(&place)),
                Change::new("status", Some(old_status.label().1), Some(status.label().1)),
            ],
        );
        Ok(record)
    }

    /// Marks an item found missing at a stock-take. It stays indexed where it belongs,
    /// so the shelf still lists it and a later scan there finds it again.
    pub fn flag_missing(&mut self, item: Barcode) -> Result<Item> {
        let mut record = self.require_item(item)?;
        let old_status = match &mut record {
            Item::Box(archive_box) => {
                std::mem::replace(&mut archive_box.status, ItemStatus::Missing)
            }
            Item::Certificate(certificate) => {
                std::mem::replace(&mut certificate.status, ItemStatus::Missing)
            }
            _ => return Err(StoreError::wrong_kind(item, Kind::Box)),
        };
        if old_status != ItemStatus::Missing {
            self.put_item(&record)?;
            self.record(
                Some(item),
                EventKind::FlaggedMissing,
                vec![Change::new(
                    "status",
                    Some(old_status.label().1),
                    Some("missing"),
                )],
            );
        }
        Ok(record)
    }
    /// Hands out `count` new barcodes of `kind` without registering anything (pre-printed
    /// blank labels); they are never handed out again.
    pub fn reserve_barcodes(&mut self, kind: Kind, count: u32) -> Result<Vec<Barcode>> {
        (0..count).map(|_| self.new_barcode(kind)).collect()
    }
}

impl Store {
    /// Registers a box (allocating its barcode and, if needed, its archive number).
    pub fn register_box(&self, actor: &Actor, new: &NewBox) -> Result<ArchiveBox> {
        self.write(actor, |tx| tx.register_box(new))
    }

    /// Registers a certificate.
    pub fn register_certificate(&self, actor: &Actor, new: &NewCertificate) -> Result<Certificate> {
        self.write(actor, |tx| tx.register_certificate(new))
    }

    /// Moves a box or certificate.
    pub fn move_item(&self, actor: &Actor, item: Barcode, to: Barcode) -> Result<MoveOutcome> {
        self.write(actor, |tx| tx.move_item(item, to))
    }

    /// Boxes in barcode order after `after` (a pagination cursor), streamed.
    pub fn boxes_after(
        &self,
        after: Option<Barcode>,
    ) -> impl Iterator<Item = Result<ArchiveBox>> + '_ {
        let start = match after {
            Some(barcode) => {
                let mut key = keys::item(barcode);
                key.push(0);
                key
            }
            None => keys::items_of_kind(Kind::Box),
        };
        let end = vec![keys::ITEM, Kind::Box.prefix() as u8 + 1];
        self.tree.range(start..end).map(|entry| {
            let (key, value) = entry.map_err(StoreError::storage("reading boxes"))?;
            match super::decode::<Item>(&value, &key)? {
                Item::Box(archive_box) => Ok(archive_box),
                _ => Err(StoreError::corrupt(&key)),
            }
        })
    }

    /// Edits a box.
    pub fn edit_box(&self, actor: &Actor, barcode: Barcode, edit: &BoxEdit) -> Result<ArchiveBox> {
        self.write(actor, |tx| tx.edit_box(barcode, edit))
    }
}
