//! Loans: lending (approval rules, a box out once), returning, renewing, approvals recorded
//! ahead, and UNDO of a loan or a return.

use super::{Refusal, StorageError};
use chrono::NaiveDate;

use super::items::opt_text;
use super::{keys, Actor, Result, Store, StoreError, Tx};
use crate::barcode::Barcode;
use crate::event::{Change, EventKind};
use crate::model::{Item, ItemStatus, Loan, LoanApproval, Role};

impl Tx<'_> {
    pub(super) fn on_loan_error(&self, item: Barcode) -> Result<StoreError> {
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
        let since = self.time_zone.minute_at(loan.out_at);
        Ok(Refusal::OnLoan {
            item,
            borrower,
            since,
        }
        .into())
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

    /// Closes the open loan of `item`; the box waits at `counter` if given. A box with a
    /// contents list starts a return check (see `returns.rs`), listing what was lent.
    pub fn return_loan(&mut self, item: Barcode, counter: Option<Barcode>) -> Result<Loan> {
        let loan = self.close_loan(item, counter, ItemStatus::AtCounter, false)?;
        self.slip_loan_closed(&loan, false)?;
        let check = self.start_return_check(&loan)?;
        let mut changes = vec![
            Change::new("status", Some("on loan"), Some("at counter")),
            Change::new("place", None::<String>, opt_text(&counter)),
        ];
        if let Some(check) = check {
            changes.push(Change::new(
                "return_check",
                None::<String>,
                Some(format!(
                    "{}: {} documents, {} pages",
                    crate::store::CheckState::Awaiting.label().1,
                    check.lent.len(),
                    check.pages()
                )),
            ));
        }
        self.record(Some(item), EventKind::LoanReturned, changes);
        Ok(loan)
    }

    /// Closes the open loan of `item` (returned, or cancelled by UNDO) and puts the box
    /// at `place` with `status`; the caller records the event.
    pub(super) fn close_loan(
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

    /// Takes back a loan opened by mistake (UNDO): the loan is closed as cancelled and
    /// the box goes back to `place` with `status`.
    pub fn cancel_loan(
        &mut self,
        item: Barcode,
        place: Option<Barcode>,
        status: ItemStatus,
    ) -> Result<Loan> {
        let loan = self.close_loan(item, place, status, true)?;
        self.slip_loan_closed(&loan, true)?;
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
        self.slip_loan_reopened(&loan)?;
        let checked = self.drop_return_check(id)?;
        self.put_raw(&keys::borrower(loan.borrower, id), &[])?;
        self.put_raw(&keys::due(loan.due, id), &[])?;
        self.put_raw(&keys::open_loan(loan.item), &id.to_be_bytes())?;
        let from = archive_box.place.take();
        if let Some(from) = from {
            self.unindex_at(from, loan.item)?;
        }
        archive_box.status = ItemStatus::OnLoan;
        self.put_item(&Item::Box(archive_box))?;
        let mut changes = vec![
            Change::new("loan", Some("returned"), Some(format!("{id} open again"))),
            Change::new("place", opt_text(&from), None::<String>),
        ];
        if checked {
            changes.push(Change::new(
                "return_check",
                Some(id.to_string()),
                None::<String>,
            ));
        }
        self.record(Some(loan.item), EventKind::Undone, changes);
        Ok(loan)
    }
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
    /// Renews an open loan until `due`.
    pub fn renew_loan(&self, actor: &Actor, id: u64, due: NaiveDate) -> Result<Loan> {
        self.write(actor, |tx| tx.renew_loan(id, due))
    }

    /// A loan by number.
    pub fn loan(&self, id: u64) -> Result<Option<Loan>> {
        self.get(&keys::loan(id))
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
}
