//! The store's write operations: each runs inside one [`Tx`], checks every rule before it
//! writes anything, keeps the indexes in step and records its events.

use super::{Refusal, StorageError};
use chrono::NaiveDate;

use super::{keys, Actor, Result, Store, StoreError, Tx};
use crate::barcode::{Barcode, Kind};
use crate::event::{Change, EventKind};
use crate::model::{
    check_text, customer_key, ArchiveBox, Certificate, CertificateKind, ChecklistEntry, Handover,
    HandoverStage, Item, ItemStatus, Loan, LoanApproval, Location, LocationKind, Person, Retention,
    Role, ShelfPath,
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

/// A location to add under an existing one (or as a new room).
#[derive(Debug, Clone)]
pub struct NewLocation {
    /// What it is.
    pub kind: LocationKind,
    /// Its own name, e.g. `保险柜1` or `柜台`.
    pub name: String,
    /// The location that contains it; none for a room.
    pub parent: Option<Barcode>,
    /// Boxes that fit.
    pub capacity: Option<u32>,
}

/// A person to add.
#[derive(Debug, Clone)]
pub struct NewPerson {
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// May borrow without approval.
    pub borrow_directly: bool,
}

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

fn opt_text<T: ToString>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(ToString::to_string)
}

impl Tx<'_> {
    fn contents_of(&self, location: Barcode) -> Result<Vec<Barcode>> {
        let key = keys::contents(location);
        match self.get_raw(&key)? {
            Some(bytes) => keys::unpack(&bytes).ok_or_else(|| StoreError::corrupt(&key)),
            None => Ok(Vec::new()),
        }
    }

    /// Puts `item` into `location`'s contents; returns how many items stand there now.
    fn index_at(&self, location: Barcode, item: Barcode) -> Result<u64> {
        let mut contents = self.contents_of(location)?;
        if let Err(slot) = contents.binary_search(&item) {
            contents.insert(slot, item);
        }
        self.put_raw(&keys::contents(location), &keys::pack(&contents))?;
        Ok(contents.len() as u64)
    }

    fn unindex_at(&self, location: Barcode, item: Barcode) -> Result<()> {
        let mut contents = self.contents_of(location)?;
        if let Ok(slot) = contents.binary_search(&item) {
            contents.remove(slot);
        }
        let key = keys::contents(location);
        if contents.is_empty() {
            self.remove(&key)
        } else {
            self.put_raw(&key, &keys::pack(&contents))
        }
    }

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
    fn insert_box(&mut self, archive_box: &ArchiveBox) -> Result<()> {
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
        if let Some(place) = archive_box.place {
            self.index_at(place, barcode)?;
        }
        Ok(())
    }

    fn require_shelf(&self, barcode: Barcode) -> Result<Location> {
        let location = self.require_location(barcode)?;
        if !location.kind.holds_items() {
            return Err(Refusal::NotAHoldingLocation {
                path: location.path,
            }
            .into());
        }
        Ok(location)
    }

    /// Adds a location under `parent`.
    pub fn add_location(&mut self, new: &NewLocation) -> Result<Location> {
        let name = check_text(&new.name, "位置名称", "location name", true)?;
        if name.contains('/') {
            return Err(Refusal::Path(crate::model::PathError::Segment {
                path: name.clone(),
                level: 1,
                segment: name,
                expected: "保险柜1",
            })
            .into());
        }
        let path = match new.parent {
            Some(parent) => format!("{}/{}", self.require_location(parent)?.path, name),
            None => name.clone(),
        };
        if self.get_raw(&keys::path(&path))?.is_some() {
            return Err(Refusal::DuplicatePath(path).into());
        }
        self.create_location(new.kind, name, new.parent, path, new.capacity)
    }

    fn create_location(
        &mut self,
        kind: LocationKind,
        name: String,
        parent: Option<Barcode>,
        path: String,
        capacity: Option<u32>,
    ) -> Result<Location> {
        let barcode = self.new_barcode(Kind::Location)?;
        let location = Location {
            barcode,
            kind,
            name,
            parent,
            path,
            capacity,
        };
        self.put_item(&Item::Location(location.clone()))?;
        self.put_raw(&keys::path(&location.path), &barcode.to_key())?;
        self.record(
            Some(barcode),
            EventKind::Registered,
            vec![Change::new(
                "path",
                None::<String>,
                Some(location.path.clone()),
            )],
        );
        Ok(location)
    }

    /// The location at `path`: an existing one by its exact path, or a shelf path of the
    /// hierarchy, creating the levels that are missing.
    pub fn ensure_location(&mut self, path: &str) -> Result<Barcode> {
        let trimmed = path.trim();
        if let Some(bytes) = self.get_raw(&keys::path(trimmed))? {
            if let Some(barcode) = keys::trailing_barcode(&bytes) {
                return Ok(barcode);
            }
        }
        let shelf = ShelfPath::parse(trimmed)?;
        let mut parent = None;
        for (kind, name, level_path) in shelf.levels() {
            let existing = self
                .get_raw(&keys::path(&level_path))?
                .and_then(|bytes| keys::trailing_barcode(&bytes));
            let barcode = match existing {
                Some(barcode) => barcode,
                None => {
                    self.create_location(kind, name, parent, level_path, None)?
                        .barcode
                }
            };
            parent = Some(barcode);
        }
        parent.ok_or_else(|| {
            Refusal::Path(crate::model::PathError::Levels {
                path: trimmed.to_owned(),
            })
            .into()
        })
    }

    /// Adds a person with a new badge barcode.
    pub fn add_person(&mut self, new: &NewPerson) -> Result<Person> {
        let name = check_text(&new.name, "姓名", "name", true)?;
        let person = Person {
            barcode: self.new_barcode(Kind::Person)?,
            name,
            role: new.role,
            borrow_directly: new.borrow_directly,
        };
        self.put_item(&Item::Person(person.clone()))?;
        self.record(
            Some(person.barcode),
            EventKind::Registered,
            vec![
                Change::new("name", None::<String>, Some(person.name.clone())),
                Change::new("role", None::<String>, Some(format!("{:?}", person.role))),
                Change::new(
                    "borrow_directly",
                    None::<String>,
                    Some(yes_no(person.borrow_directly)),
                ),
            ],
        );
        Ok(person)
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
                (archive_box.place, archive_box.home)
            }
            Item::Certificate(certificate) => {
                if target.kind != LocationKind::Safe {
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
        if let Some(home) = home.filter(|home| *home != to && target.kind != LocationKind::Counter)
        {
            let home_path = match self.item(home)? {
                Some(Item::Location(location)) => location.path,
                _ => home.to_string(),
            };
            warnings.push(Warning::NotHome { home: home_path });
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

    fn on_loan_error(&self, item: Barcode) -> Result<StoreError> {
        let loan: Option<Loan> = match self.get_raw(&keys::open_loan(item))? {
            Some(id) => match keys::decode_u64(&id) {
                Some(id) => self.get(&keys::loan(id))?,
                None => None,
            },
            None => None,
        };
        let Some(loan) = loan else {
            return Ok(Refusal::OnLoan {
                item,
                borrower: "?".to_owned(),
                since: "?".to_owned(),
            }
            .into());
        };
        let borrower = match self.item(loan.borrower)? {
            Some(Item::Person(person)) => person.name,
            _ => loan.borrower.to_string(),
        };
        let since = chrono::DateTime::from_timestamp_millis(loan.out_at)
            .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        Ok(Refusal::OnLoan {
            item,
            borrower,
            since,
        }
        .into())
    }

    fn require_box(&self, barcode: Barcode) -> Result<ArchiveBox> {
        match self.require_item(barcode)? {
            Item::Box(archive_box) => Ok(archive_box),
            _ => Err(StoreError::wrong_kind(barcode, Kind::Box)),
        }
    }

    /// Lends a box to `borrower`, approved by `approver` unless the borrower may borrow
    /// directly.
    pub fn open_loan(
        &mut self,
        item: Barcode,
        borrower: Barcode,
        approver: Option<Barcode>,
        due: NaiveDate,
    ) -> Result<Loan> {
        let mut archive_box = self.require_box(item)?;
        if archive_box.status == ItemStatus::OnLoan {
            return Err(self.on_loan_error(item)?);
        }
        let person = self.require_person(borrower)?;
        match approver {
            Some(approver) => {
                let approver_person = self.require_person(approver)?;
                if approver_person.role < Role::Supervisor {
                    return Err(Refusal::NotApprover {
                        name: approver_person.name,
                    }
                    .into());
                }
            }
            None if !person.borrow_directly => {
                return Err(Refusal::NeedsApproval { name: person.name }.into())
            }
            None => {}
        }
        let id = self.next_counter(keys::LOAN_ID, u64::MAX, "loan")?;
        let loan = Loan {
            id,
            item,
            borrower,
            approver,
            out_at: self.now,
            due,
            returned_at: None,
            cancelled: false,
        };
        self.put(&keys::loan(id), &loan)?;
        self.put_raw(&keys::borrower(borrower, id), &[])?;
        self.put_raw(&keys::due(due, id), &[])?;
        self.put_raw(&keys::open_loan(item), &id.to_be_bytes())?;
        let from = archive_box.place.take();
        if let Some(from) = from {
            self.unindex_at(from, item)?;
        }
        let old_status = std::mem::replace(&mut archive_box.status, ItemStatus::OnLoan);
        self.put_item(&Item::Box(archive_box))?;
        self.record(
            Some(item),
            EventKind::LoanOpened,
            vec![
                Change::new("place", opt_text(&from), None::<String>),
                Change::new("status", Some(old_status.label().1), Some("on loan")),
                Change::new("borrower", None::<String>, Some(borrower.to_string())),
                Change::new("due", None::<String>, Some(due.to_string())),
            ],
        );
        Ok(loan)
    }

    /// Closes the open loan of `item`; the box waits at `counter` if given.
    pub fn return_loan(&mut self, item: Barcode, counter: Option<Barcode>) -> Result<Loan> {
        let loan = self.close_loan(item, counter, ItemStatus::AtCounter, false)?;
        self.record(
            Some(item),
            EventKind::LoanReturned,
            vec![
                Change::new("status", Some("on loan"), Some("at counter")),
                Change::new("place", None::<String>, opt_text(&counter)),
            ],
        );
        Ok(loan)
    }

    /// Closes the open loan of `item` (returned, or cancelled by UNDO) and puts the box
    /// at `place` with `status`; the caller records the event.
    fn close_loan(
        &mut self,
        item: Barcode,
        place: Option<Barcode>,
        status: ItemStatus,
        cancelled: bool,
    ) -> Result<Loan> {
        let mut archive_box = self.require_box(item)?;
        let id = self
            .get_raw(&keys::open_loan(item))?
            .and_then(|bytes| keys::decode_u64(&bytes))
            .ok_or(Refusal::NotOnLoan(item))?;
        let mut loan: Loan = self
            .get(&keys::loan(id))?
            .ok_or_else(|| StorageError::Corrupt {
                key: format!("o{id}"),
            })?;
        if let Some(place) = place {
            self.require_shelf(place)?;
        }
        loan.returned_at = Some(self.now);
        loan.cancelled = cancelled;
        self.put(&keys::loan(id), &loan)?;
        self.remove(&keys::borrower(loan.borrower, id))?;
        self.remove(&keys::due(loan.due, id))?;
        self.remove(&keys::open_loan(item))?;
        archive_box.place = place;
        archive_box.status = status;
        if let Some(place) = place {
            self.index_at(place, item)?;
        }
        self.put_item(&Item::Box(archive_box))?;
        Ok(loan)
    }

    /// Starts a handover of `items` from `from` to `to`, due by `deadline`.
    pub fn start_handover(
        &mut self,
        stage: HandoverStage,
        from: Barcode,
        to: Barcode,
        items: &[Barcode],
        checklist: &[ChecklistEntry],
        deadline: NaiveDate,
    ) -> Result<Handover> {
        self.require_person(from)?;
        self.require_person(to)?;
        for item in items {
            self.require_item(*item)?;
        }
        let id = self.next_counter(keys::HANDOVER_ID, u64::MAX, "handover")?;
        let handover = Handover {
            id,
            stage,
            items: items.to_vec(),
            from,
            to,
            checklist: checklist.to_vec(),
            created_at: self.now,
            deadline,
            confirmed_at: None,
            missing: Vec::new(),
        };
        self.put(&keys::handover(id), &handover)?;
        self.put_raw(&keys::handover_due(deadline, id), &[])?;
        for item in items {
            self.record(
                Some(*item),
                EventKind::HandoverStarted,
                vec![
                    Change::new("handover", None::<String>, Some(id.to_string())),
                    Change::new("to", Some(from.to_string()), Some(to.to_string())),
                ],
            );
        }
        Ok(handover)
    }

    /// Confirms a handover as its receiver, noting what was missing.
    pub fn confirm_handover(&mut self, id: u64, missing: &[String]) -> Result<Handover> {
        let mut handover: Handover = self
            .get(&keys::handover(id))?
            .ok_or(Refusal::UnknownHandover(id))?;
        if handover.confirmed_at.is_some() {
            return Err(Refusal::HandoverClosed(id).into());
        }
        handover.confirmed_at = Some(self.now);
        handover.missing = missing.to_vec();
        self.put(&keys::handover(id), &handover)?;
        self.remove(&keys::handover_due(handover.deadline, id))?;
        for item in &handover.items {
            self.record(
                Some(*item),
                EventKind::HandoverConfirmed,
                vec![Change::new(
                    "missing",
                    None::<String>,
                    Some(missing.join("; ")),
                )],
            );
        }
        Ok(handover)
    }

    /// Edits a box's descriptive fields.
    pub fn edit_box(&mut self, barcode: Barcode, edit: &BoxEdit) -> Result<ArchiveBox> {
        let mut archive_box = self.require_box(barcode)?;
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
        }
        self.put_item(&Item::Box(archive_box.clone()))?;
        self.record(Some(barcode), EventKind::Edited, changes);
        Ok(archive_box)
    }

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
        Ok(ImportOutcome::Created(barcode))
    }

    fn existing_location_path(&self, path: &str) -> Result<Option<Barcode>> {
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

    fn differences(
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
        Ok(out)
    }
}

impl Tx<'_> {
    /// The counter location called `name`, created (kind counter, at the top of the
    /// hierarchy) the first time it is needed.
    pub fn ensure_counter(&mut self, name: &str) -> Result<Location> {
        if let Some(bytes) = self.get_raw(&keys::path(name))? {
            if let Some(barcode) = keys::trailing_barcode(&bytes) {
                return self.require_location(barcode);
            }
        }
        self.add_location(&NewLocation {
            kind: LocationKind::Counter,
            name: name.to_owned(),
            parent: None,
            capacity: None,
        })
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

    /// Takes back a loan opened by mistake (UNDO): the loan is closed as cancelled and
    /// the box goes back to `place` with `status`.
    pub fn cancel_loan(
        &mut self,
        item: Barcode,
        place: Option<Barcode>,
        status: ItemStatus,
    ) -> Result<Loan> {
        let loan = self.close_loan(item, place, status, true)?;
        self.record(
            Some(item),
            EventKind::Undone,
            vec![
                Change::new("loan", Some(loan.id.to_string()), Some("cancelled")),
                Change::new("place", None::<String>, opt_text(&place)),
            ],
        );
        Ok(loan)
    }

    /// Opens again a loan whose return was scanned by mistake (UNDO of a return).
    pub fn reopen_loan(&mut self, id: u64) -> Result<Loan> {
        let mut loan: Loan = self
            .get(&keys::loan(id))?
            .ok_or_else(|| StorageError::Corrupt {
                key: format!("o{id}"),
            })?;
        let mut archive_box = self.require_box(loan.item)?;
        if self.get_raw(&keys::open_loan(loan.item))?.is_some() {
            return Err(self.on_loan_error(loan.item)?);
        }
        loan.returned_at = None;
        loan.cancelled = false;
        self.put(&keys::loan(id), &loan)?;
        self.put_raw(&keys::borrower(loan.borrower, id), &[])?;
        self.put_raw(&keys::due(loan.due, id), &[])?;
        self.put_raw(&keys::open_loan(loan.item), &id.to_be_bytes())?;
        let from = archive_box.place.take();
        if let Some(from) = from {
            self.unindex_at(from, loan.item)?;
        }
        archive_box.status = ItemStatus::OnLoan;
        self.put_item(&Item::Box(archive_box))?;
        self.record(
            Some(loan.item),
            EventKind::Undone,
            vec![
                Change::new("loan", Some("returned"), Some(format!("{id} open again"))),
                Change::new("place", opt_text(&from), None::<String>),
            ],
        );
        Ok(loan)
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
}

impl Tx<'_> {
    /// Records a supervisor's approval for `borrower` to borrow until `valid_until`.
    pub fn approve_borrower(
        &mut self,
        borrower: Barcode,
        approver: Barcode,
        valid_until: NaiveDate,
    ) -> Result<LoanApproval> {
        let person = self.require_person(borrower)?;
        let supervisor = self.require_person(approver)?;
        if supervisor.role < Role::Supervisor {
            return Err(Refusal::NotApprover {
                name: supervisor.name,
            }
            .into());
        }
        let approval = LoanApproval {
            borrower,
            approver,
            granted_at: self.now,
            valid_until,
        };
        self.put(&keys::approval(borrower), &approval)?;
        self.record(
            Some(borrower),
            EventKind::LoanApproved,
            vec![
                Change::new("borrower", None::<String>, Some(person.name)),
                Change::new("approver", None::<String>, Some(supervisor.name)),
                Change::new("valid_until", None::<String>, Some(valid_until.to_string())),
            ],
        );
        Ok(approval)
    }
}

impl Tx<'_> {
    /// Hands out `count` new barcodes of `kind` without registering anything (pre-printed
    /// blank labels); they are never handed out again.
    pub fn reserve_barcodes(&mut self, kind: Kind, count: u32) -> Result<Vec<Barcode>> {
        (0..count).map(|_| self.new_barcode(kind)).collect()
    }
}

impl Tx<'_> {
    /// Moves the due date of open loan `id` to `due`.
    pub fn renew_loan(&mut self, id: u64, due: NaiveDate) -> Result<Loan> {
        let mut loan: Loan = self.get(&keys::loan(id))?.ok_or(Refusal::UnknownLoan(id))?;
        if loan.returned_at.is_some() {
            return Err(Refusal::NotOnLoan(loan.item).into());
        }
        let before = loan.due;
        self.remove(&keys::due(before, id))?;
        self.put_raw(&keys::due(due, id), &[])?;
        loan.due = due;
        self.put(&keys::loan(id), &loan)?;
        self.record(
            Some(loan.item),
            EventKind::LoanRenewed,
            vec![Change::new(
                "due",
                Some(before.to_string()),
                Some(due.to_string()),
            )],
        );
        Ok(loan)
    }
}

impl Store {
    /// Registers a box (allocating its barcode and, if needed, its archive number).
    pub fn register_box(&self, actor: &Actor, new: &NewBox) -> Result<ArchiveBox> {
        self.write(actor, |tx| tx.register_box(new))
    }

    /// Adds a location.
    pub fn add_location(&self, actor: &Actor, new: &NewLocation) -> Result<Location> {
        self.write(actor, |tx| tx.add_location(new))
    }

    /// Finds or creates the location at `path`.
    pub fn ensure_location(&self, actor: &Actor, path: &str) -> Result<Location> {
        let barcode = self.write(actor, |tx| tx.ensure_location(path))?;
        match self.get_item(barcode)? {
            Some(Item::Location(location)) => Ok(location),
            _ => Err(Refusal::NotFound(barcode).into()),
        }
    }

    /// Adds a person.
    pub fn add_person(&self, actor: &Actor, new: &NewPerson) -> Result<Person> {
        self.write(actor, |tx| tx.add_person(new))
    }

    /// Registers a certificate.
    pub fn register_certificate(&self, actor: &Actor, new: &NewCertificate) -> Result<Certificate> {
        self.write(actor, |tx| tx.register_certificate(new))
    }

    /// Moves a box or certificate.
    pub fn move_item(&self, actor: &Actor, item: Barcode, to: Barcode) -> Result<MoveOutcome> {
        self.write(actor, |tx| tx.move_item(item, to))
    }

    /// Renews an open loan until `due`.
    pub fn renew_loan(&self, actor: &Actor, id: u64, due: NaiveDate) -> Result<Loan> {
        self.write(actor, |tx| tx.renew_loan(id, due))
    }

    /// A loan by number.
    pub fn loan(&self, id: u64) -> Result<Option<Loan>> {
        self.get(&keys::loan(id))
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

    /// Records a supervisor's approval for `borrower`.
    pub fn approve_borrower(
        &self,
        actor: &Actor,
        borrower: Barcode,
        approver: Barcode,
        valid_until: NaiveDate,
    ) -> Result<LoanApproval> {
        self.write(actor, |tx| {
            tx.approve_borrower(borrower, approver, valid_until)
        })
    }

    /// The approval recorded for `borrower` that is still valid on `day`.
    pub fn approval_for(&self, borrower: Barcode, day: NaiveDate) -> Result<Option<LoanApproval>> {
        Ok(self
            .get::<LoanApproval>(&keys::approval(borrower))?
            .filter(|approval| approval.valid_until >= day))
    }

    /// Opens a loan.
    pub fn open_loan(
        &self,
        actor: &Actor,
        item: Barcode,
        borrower: Barcode,
        approver: Option<Barcode>,
        due: NaiveDate,
    ) -> Result<Loan> {
        self.write(actor, |tx| tx.open_loan(item, borrower, approver, due))
    }

    /// Closes a loan.
    pub fn return_loan(
        &self,
        actor: &Actor,
        item: Barcode,
        counter: Option<Barcode>,
    ) -> Result<Loan> {
        self.write(actor, |tx| tx.return_loan(item, counter))
    }

    /// Edits a box.
    pub fn edit_box(&self, actor: &Actor, barcode: Barcode, edit: &BoxEdit) -> Result<ArchiveBox> {
        self.write(actor, |tx| tx.edit_box(barcode, edit))
    }

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
