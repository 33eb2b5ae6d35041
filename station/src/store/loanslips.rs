//! Loan slips (档案资料出借单): a borrower's request for boxes (purpose, the boxes with the
//! documents or pages wanted, a due date), approved or refused by a supervisor, lent against
//! at CHECKOUT (the slip's approver and due date become the loans'), and closed once every
//! box lent against it has come back.
//!
//! **Invariant:** a slip to lend from (`W` index) is approved and has a box not yet lent;
//! a loan opened against a slip is named by the `X` index, so its return (or its UNDO)
//! finds the slip.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{keys, Actor, Refusal, Result, Store, StoreError, Tx};
use crate::barcode::Barcode;
use crate::event::{Change, EventKind};
use crate::model::{Loan, Millis, Role};

/// The most boxes one loan slip names; more is refused (`loanslip.too_large`).
pub const MAX_SLIP_BOXES: usize = 200;
/// The longest purpose, in characters.
pub const MAX_SLIP_PURPOSE: usize = 200;
/// The longest description of the documents or pages wanted of one box, in characters.
pub const MAX_SLIP_DOCUMENTS: usize = 500;
/// The longest reason for a refusal, in characters.
pub const MAX_SLIP_REASON: usize = 500;

/// Where a loan slip stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlipState {
    /// Filled in, waiting for a supervisor.
    Requested,
    /// Approved: its boxes may be lent at CHECKOUT.
    Approved,
    /// Refused by a supervisor, with a reason.
    Refused,
    /// At least one box was lent against it.
    Lent,
    /// Every box was lent and has come back.
    Closed,
}

impl SlipState {
    /// The state in words (Chinese, English).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            SlipState::Requested => ("待批准", "waiting for approval"),
            SlipState::Approved => ("已批准", "approved"),
            SlipState::Refused => ("已拒绝", "refused"),
            SlipState::Lent => ("已借出", "lent"),
            SlipState::Closed => ("已归还", "closed"),
        }
    }

    /// The state as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            SlipState::Requested => "requested",
            SlipState::Approved => "approved",
            SlipState::Refused => "refused",
            SlipState::Lent => "lent",
            SlipState::Closed => "closed",
        }
    }
}

/// One box of a loan slip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlipEntry {
    /// The box.
    pub item: Barcode,
    /// The documents or pages wanted of it, as written (empty: the whole box).
    pub documents: String,
    /// The loan opened against the slip for this box, once lent.
    pub loan: Option<u64>,
    /// Whether that loan has come back.
    pub returned: bool,
}

/// A loan slip as stored (family `loanslips`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanSlip {
    /// Its number.
    pub id: u64,
    /// Who borrows.
    pub borrower: Barcode,
    /// What for.
    pub purpose: String,
    /// The boxes, each once, in the order given.
    pub entries: Vec<SlipEntry>,
    /// The day the boxes are due back.
    pub due: NaiveDate,
    /// Where it stands.
    pub state: SlipState,
    /// Who filled it in (the actor).
    pub requested_by: String,
    /// When.
    pub requested_at: Millis,
    /// The supervisor who approved or refused it.
    pub approver: Option<Barcode>,
    /// When they did.
    pub decided_at: Option<Millis>,
    /// Why it was refused.
    pub reason: Option<String>,
    /// When its first box was lent.
    pub lent_at: Option<Millis>,
    /// When its last box came back.
    pub closed_at: Option<Millis>,
}

/// A loan slip as asked for: its boxes with the documents wanted of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLoanSlip {
    /// Who borrows.
    pub borrower: Barcode,
    /// What for.
    pub purpose: String,
    /// The boxes, each with the documents or pages wanted (empty: the whole box).
    pub boxes: Vec<(Barcode, String)>,
    /// The day the boxes are due back.
    pub due: NaiveDate,
}

fn too_long(text: &str, max: usize, field: (&'static str, &'static str)) -> Result<()> {
    if text.chars().count() > max {
        return Err(Refusal::LoanSlipTextTooLong { field, max }.into());
    }
    Ok(())
}

impl Tx<'_> {
    fn require_loan_slip(&self, id: u64) -> Result<LoanSlip> {
        self.get(&keys::loan_slip(id))?
            .ok_or_else(|| Refusal::UnknownLoanSlip(id).into())
    }

    /// The supervisor `approver`, or why they may not decide on loans.
    fn require_approver(&self, approver: Barcode) -> Result<crate::model::Person> {
        let person = self.require_person(approver)?;
        if person.role < Role::Supervisor {
            return Err(Refusal::NotApprover { name: person.name }.into());
        }
        Ok(person)
    }

    /// Records a loan slip, waiting for a supervisor's approval.
    pub fn create_loan_slip(&mut self, slip: &NewLoanSlip) -> Result<LoanSlip> {
        let person = self.require_person(slip.borrower)?;
        let purpose = slip.purpose.trim();
        if purpose.is_empty() {
            return Err(Refusal::LoanSlipPurposeMissing.into());
        }
        too_long(purpose, MAX_SLIP_PURPOSE, ("借阅用途", "the purpose"))?;
        if slip.boxes.is_empty() {
            return Err(Refusal::LoanSlipEmpty.into());
        }
        if slip.boxes.len() > MAX_SLIP_BOXES {
            return Err(Refusal::LoanSlipTooLarge {
                count: slip.boxes.len(),
                max: MAX_SLIP_BOXES,
            }
            .into());
        }
        let today = self.time_zone.date_at(self.now);
        if slip.due < today {
            return Err(Refusal::LoanSlipDuePast {
                due: slip.due,
                today,
            }
            .into());
        }
        let mut entries: Vec<SlipEntry> = Vec::with_capacity(slip.boxes.len());
        for (item, documents) in &slip.boxes {
            self.require_box(*item)?;
            let documents = documents.trim();
            too_long(
                documents,
                MAX_SLIP_DOCUMENTS,
                ("所借文件或页码", "the documents"),
            )?;
            match entries.iter_mut().find(|entry| entry.item == *item) {
                // A box named twice is one box: what is wanted of it is joined.
                Some(entry) if !documents.is_empty() => {
                    if !entry.documents.is_empty() {
                        entry.documents.push_str("; ");
                    }
                    entry.documents.push_str(documents);
                    too_long(
                        &entry.documents,
                        MAX_SLIP_DOCUMENTS,
                        ("所借文件或页码", "the documents"),
                    )?;
                }
                Some(_) => {}
                None => entries.push(SlipEntry {
                    item: *item,
                    documents: documents.to_owned(),
                    loan: None,
                    returned: false,
                }),
            }
        }
        let id = self.next_counter(keys::LOAN_SLIP_ID, u64::MAX, "loan slip")?;
        let stored = LoanSlip {
            id,
            borrower: slip.borrower,
            purpose: purpose.to_owned(),
            entries,
            due: slip.due,
            state: SlipState::Requested,
            requested_by: self.actor.to_owned(),
            requested_at: self.now,
            approver: None,
            decided_at: None,
            reason: None,
            lent_at: None,
            closed_at: None,
        };
        self.put(&keys::loan_slip(id), &stored)?;
        self.record_many(
            Some(slip.borrower),
            stored.entries.iter().map(|entry| entry.item).collect(),
            EventKind::LoanSlipRequested,
            vec![
                Change::new("loan_slip", None::<String>, Some(id.to_string())),
                Change::new("borrower", None::<String>, Some(person.name)),
                Change::new("purpose", None::<String>, Some(stored.purpose.clone())),
                Change::new("due", None::<String>, Some(stored.due.to_string())),
                Change::new(
                    "boxes",
                    None::<String>,
                    Some(super::handovers::listed(
                        &stored
                            .entries
                            .iter()
                            .map(|entry| entry.item)
                            .collect::<Vec<_>>(),
                    )),
                ),
            ],
        );
        Ok(stored)
    }

    /// Approves loan slip `id` as supervisor `approver`.
    pub fn approve_loan_slip(&mut self, id: u64, approver: Barcode) -> Result<LoanSlip> {
        let mut slip = self.require_loan_slip(id)?;
        let supervisor = self.require_approver(approver)?;
        if slip.state != SlipState::Requested {
            return Err(Refusal::LoanSlipWrongState {
                id,
                state: slip.state,
                action: ("批准", "approved"),
            }
            .into());
        }
        slip.state = SlipState::Approved;
        slip.approver = Some(approver);
        slip.decided_at = Some(self.now);
        self.put(&keys::loan_slip(id), &slip)?;
        self.put_raw(&keys::slip_to_lend(slip.borrower, id), &[])?;
        self.record(
            Some(slip.borrower),
            EventKind::LoanSlipApproved,
            vec![
                Change::new("loan_slip", Some(id.to_string()), Some("approved")),
                Change::new("approver", None::<String>, Some(supervisor.name)),
            ],
        );
        Ok(slip)
    }

    /// Refuses loan slip `id` as supervisor `approver`, for `reason`.
    pub fn refuse_loan_slip(
        &mut self,
        id: u64,
        approver: Barcode,
        reason: &str,
    ) -> Result<LoanSlip> {
        let mut slip = self.require_loan_slip(id)?;
        let supervisor = self.require_approver(approver)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Refusal::LoanSlipReasonMissing.into());
        }
        too_long(reason, MAX_SLIP_REASON, ("拒绝理由", "the reason"))?;
        if slip.state != SlipState::Requested {
            return Err(Refusal::LoanSlipWrongState {
                id,
                state: slip.state,
                action: ("拒绝", "refused"),
            }
            .into());
        }
        slip.state = SlipState::Refused;
        slip.approver = Some(approver);
        slip.decided_at = Some(self.now);
        slip.reason = Some(reason.to_owned());
        self.put(&keys::loan_slip(id), &slip)?;
        self.record(
            Some(slip.borrower),
            EventKind::LoanSlipRefused,
            vec![
                Change::new("loan_slip", Some(id.to_string()), Some("refused")),
                Change::new("approver", None::<String>, Some(supervisor.name)),
                Change::new("reason", None::<String>, Some(reason.to_owned())),
            ],
        );
        Ok(slip)
    }

    /// Lends `item` against approved loan slip `id`: with the slip's approver and due date.
    /// A box not on the slip, or lent against it already, is refused.
    pub fn lend_on_slip(&mut self, id: u64, item: Barcode) -> Result<(LoanSlip, Loan)> {
        let mut slip = self.require_loan_slip(id)?;
        if !matches!(slip.state, SlipState::Approved | SlipState::Lent) {
            return Err(Refusal::LoanSlipWrongState {
                id,
                state: slip.state,
                action: ("借出", "lent against"),
            }
            .into());
        }
        let Some(at) = slip.entries.iter().position(|entry| entry.item == item) else {
            return Err(Refusal::NotOnSlip { item, id }.into());
        };
        if slip
            .entries
            .get(at)
            .is_some_and(|entry| entry.loan.is_some())
        {
            return Err(Refusal::SlipAlreadyLent { item, id }.into());
        }
        let loan = self.open_loan(item, slip.borrower, slip.approver, slip.due)?;
        if let Some(entry) = slip.entries.get_mut(at) {
            entry.loan = Some(loan.id);
            entry.returned = false;
        }
        if slip.state == SlipState::Approved {
            slip.state = SlipState::Lent;
            slip.lent_at = Some(self.now);
        }
        if slip.entries.iter().all(|entry| entry.loan.is_some()) {
            self.remove(&keys::slip_to_lend(slip.borrower, id))?;
        }
        self.put(&keys::loan_slip(id), &slip)?;
        self.put_raw(&keys::slip_of_loan(loan.id), &id.to_be_bytes())?;
        self.record(
            Some(item),
            EventKind::LoanSlipLent,
            vec![
                Change::new("loan_slip", None::<String>, Some(id.to_string())),
                Change::new("loan", None::<String>, Some(loan.id.to_string())),
            ],
        );
        Ok((slip, loan))
    }

    /// Notes on its slip (if it has one) that `loan` came back (`cancelled`: was taken back
    /// by UNDO, and the box is to lend again); the slip closes once every box came back.
    pub(super) fn slip_loan_closed(&mut self, loan: &Loan, cancelled: bool) -> Result<()> {
        let Some(id) = self
            .get_raw(&keys::slip_of_loan(loan.id))?
            .and_then(|bytes| keys::decode_u64(&bytes))
        else {
            return Ok(());
        };
        let mut slip = self.require_loan_slip(id)?;
        let Some(entry) = slip
            .entries
            .iter_mut()
            .find(|entry| entry.loan == Some(loan.id))
        else {
            return Ok(());
        };
        if cancelled {
            entry.loan = None;
            entry.returned = false;
            self.remove(&keys::slip_of_loan(loan.id))?;
            self.put_raw(&keys::slip_to_lend(slip.borrower, id), &[])?;
            if slip.entries.iter().all(|entry| entry.loan.is_none()) {
                slip.state = SlipState::Approved;
                slip.lent_at = None;
            }
            self.put(&keys::loan_slip(id), &slip)?;
            return Ok(());
        }
        entry.returned = true;
        if slip
            .entries
            .iter()
            .all(|entry| entry.loan.is_some() && entry.returned)
        {
            slip.state = SlipState::Closed;
            slip.closed_at = Some(self.now);
            self.record(
                Some(slip.borrower),
                EventKind::LoanSlipClosed,
                vec![Change::new(
                    "loan_slip",
                    Some(id.to_string()),
                    Some("closed"),
                )],
            );
        }
        self.put(&keys::loan_slip(id), &slip)?;
        Ok(())
    }

    /// Notes on its slip (if it has one) that `loan` is open again (UNDO of its return).
    pub(super) fn slip_loan_reopened(&mut self, loan: &Loan) -> Result<()> {
        let Some(id) = self
            .get_raw(&keys::slip_of_loan(loan.id))?
            .and_then(|bytes| keys::decode_u64(&bytes))
        else {
            return Ok(());
        };
        let mut slip = self.require_loan_slip(id)?;
        if let Some(entry) = slip
            .entries
            .iter_mut()
            .find(|entry| entry.loan == Some(loan.id))
        {
            entry.returned = false;
        }
        if slip.state == SlipState::Closed {
            slip.state = SlipState::Lent;
            slip.closed_at = None;
        }
        self.put(&keys::loan_slip(id), &slip)
    }
}

impl Store {
    /// Records a loan slip.
    pub fn create_loan_slip(&self, actor: &Actor, slip: &NewLoanSlip) -> Result<LoanSlip> {
        self.write(actor, |tx| tx.create_loan_slip(slip))
    }

    /// Approves loan slip `id`.
    pub fn approve_loan_slip(&self, actor: &Actor, id: u64, approver: Barcode) -> Result<LoanSlip> {
        self.write(actor, |tx| tx.approve_loan_slip(id, approver))
    }

    /// Refuses loan slip `id`.
    pub fn refuse_loan_slip(
        &self,
        actor: &Actor,
        id: u64,
        approver: Barcode,
        reason: &str,
    ) -> Result<LoanSlip> {
        self.write(actor, |tx| tx.refuse_loan_slip(id, approver, reason))
    }

    /// Lends `item` against loan slip `id`.
    pub fn lend_on_slip(&self, actor: &Actor, id: u64, item: Barcode) -> Result<(LoanSlip, Loan)> {
        self.write(actor, |tx| tx.lend_on_slip(id, item))
    }

    /// Loan slip `id`.
    pub fn loan_slip(&self, id: u64) -> Result<Option<LoanSlip>> {
        self.get(&keys::loan_slip(id))
    }

    /// The newest loan slips first, at most `limit`.
    pub fn loan_slips(&self, limit: usize) -> Result<Vec<LoanSlip>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix([keys::LOAN_SLIP]).rev().take(limit) {
            let (key, value) = entry.map_err(StoreError::storage("listing loan slips"))?;
            out.push(super::decode(&value, &key)?);
        }
        Ok(out)
    }

    /// The newest approved loan slip of `borrower` with boxes still to lend, if any.
    pub fn slip_to_lend(&self, borrower: Barcode) -> Result<Option<LoanSlip>> {
        let last = self
            .tree
            .scan_prefix(keys::slips_to_lend_prefix(borrower))
            .keys()
            .next_back();
        let Some(key) = last else {
            return Ok(None);
        };
        let key = key.map_err(StoreError::storage("finding a loan slip to lend"))?;
        match keys::trailing_u64(&key) {
            Some(id) => self.loan_slip(id),
            None => Err(StoreError::corrupt(&key)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Code;
    use crate::model::{ItemStatus, Person};
    use crate::numbering::Scheme;
    use crate::store::{NewBox, StoreOptions};

    fn actor() -> Actor {
        Actor::new("test")
    }

    fn person(store: &Store, name: &str, role: Role) -> Person {
        crate::store::tests::person(store, name, role, false)
    }

    fn boxed(store: &Store, n: usize) -> crate::model::ArchiveBox {
        let scheme = Scheme::new("loan", "{year}鸿借字第{seq:03}号").expect("scheme");
        let archive_box = store
            .register_box(
                &actor(),
                &NewBox {
                    scheme: Some((scheme, 2024)),
                    title: format!("借款合同{n}"),
                    customer: format!("客户{n}"),
                    ..NewBox::default()
                },
            )
            .expect("box");
        let shelf = store
            .ensure_location(&actor(), "2号库房/01列/A面/1节/1层")
            .expect("shelf");
        store
            .move_item(&actor(), archive_box.barcode, shelf.barcode)
            .expect("shelved");
        archive_box
    }

    fn code(error: StoreError) -> Code {
        error.message().code
    }

    #[test]
    fn a_loan_slip_is_approved_lent_against_with_its_due_date_and_closed_when_all_is_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), StoreOptions::default()).expect("open");
        let borrower = person(&store, "王小明", Role::Clerk);
        let clerk = person(&store, "张档案", Role::Clerk);
        let supervisor = person(&store, "李主管", Role::Supervisor);
        let (one, two, other) = (boxed(&store, 1), boxed(&store, 2), boxed(&store, 3));
        let due = store.today() + chrono::Duration::days(10);
        let slip = NewLoanSlip {
            borrower: borrower.barcode,
            purpose: "贷后检查".into(),
            boxes: vec![
                (one.barcode, "第 3–5 页".into()),
                (two.barcode, String::new()),
            ],
            due,
        };

        // Refusals say why and change nothing.
        let head = store.head().0;
        let refused = |changed: NewLoanSlip| store.create_loan_slip(&actor(), &changed);
        let cases = [
            (
                NewLoanSlip {
                    purpose: "  ".into(),
                    ..slip.clone()
                },
                Code::LoanSlipPurposeMissing,
            ),
            (
                NewLoanSlip {
                    boxes: Vec::new(),
                    ..slip.clone()
                },
                Code::LoanSlipEmpty,
            ),
            (
                NewLoanSlip {
                    due: store.today() - chrono::Duration::days(1),
                    ..slip.clone()
                },
                Code::LoanSlipDuePast,
            ),
            (
                NewLoanSlip {
                    purpose: "长".repeat(MAX_SLIP_PURPOSE + 1),
                    ..slip.clone()
                },
                Code::LoanSlipTextTooLong,
            ),
            (
                NewLoanSlip {
                    boxes: vec![(borrower.barcode, String::new())],
                    ..slip.clone()
                },
                Code::ItemWrongKind,
            ),
        ];
        for (changed, expected) in cases {
            let error = refused(changed).expect_err("refused");
            assert_eq!(code(error), expected);
        }
        assert_eq!(store.head().0, head, "a refusal records nothing");
        assert!(store.loan_slips(10).expect("slips").is_empty());

        let made = store.create_loan_slip(&actor(), &slip).expect("made");
        assert_eq!(made.state, SlipState::Requested);
        assert_eq!(store.slip_to_lend(borrower.barcode).expect("read"), None);
        // Not approved yet: nothing to lend against.
        let error = store
            .lend_on_slip(&actor(), made.id, one.barcode)
            .expect_err("not approved");
        assert_eq!(code(error), Code::LoanSlipWrongState);

        // A clerk does not approve; a refusal needs a reason.
        let head = store.head().0;
        let error = store
            .approve_loan_slip(&actor(), made.id, clerk.barcode)
            .expect_err("a clerk");
        assert_eq!(code(error), Code::CheckoutNotApprover);
        let error = store
            .refuse_loan_slip(&actor(), made.id, supervisor.barcode, " ")
            .expect_err("no reason");
        assert_eq!(code(error), Code::LoanSlipReasonMissing);
        assert_eq!(store.head().0, head);

        let approved = store
            .approve_loan_slip(&actor(), made.id, supervisor.barcode)
            .expect("approved");
        assert_eq!(approved.approver, Some(supervisor.barcode));
        assert_eq!(
            store
                .slip_to_lend(borrower.barcode)
                .expect("read")
                .map(|slip| slip.id),
            Some(made.id)
        );
        let error = store
            .refuse_loan_slip(&actor(), made.id, supervisor.barcode, "太晚")
            .expect_err("decided already");
        assert_eq!(code(error), Code::LoanSlipWrongState);

        // A box not on the slip is refused and stays where it is.
        let head = store.head().0;
        let error = store
            .lend_on_slip(&actor(), made.id, other.barcode)
            .expect_err("not on the slip");
        assert_eq!(code(error), Code::LoanSlipNotOnSlip);
        assert_eq!(store.head().0, head);
        assert!(matches!(
            store.get_item(other.barcode).expect("read"),
            Some(crate::model::Item::Box(b)) if b.status == ItemStatus::Stored
        ));

        let (lent, loan) = store
            .lend_on_slip(&actor(), made.id, one.barcode)
            .expect("lent");
        assert_eq!(loan.due, due, "the slip's due date");
        assert_eq!(
            loan.approver,
            Some(supervisor.barcode),
            "the slip's approver"
        );
        assert_eq!(lent.state, SlipState::Lent);
        let error = store
            .lend_on_slip(&actor(), made.id, one.barcode)
            .expect_err("lent already");
        assert_eq!(code(error), Code::LoanSlipAlreadyLent);

        // UNDO of the loan makes the box to lend again.
        let shelf = store
            .ensure_location(&actor(), "2号库房/01列/A面/1节/1层")
            .expect("shelf");
        store
            .write(&actor(), |tx| {
                tx.cancel_loan(one.barcode, Some(shelf.barcode), ItemStatus::Stored)
            })
            .expect("undone");
        let back = store.loan_slip(made.id).expect("read").expect("slip");
        assert_eq!(back.state, SlipState::Approved);
        assert_eq!(back.entries[0].loan, None);

        store
            .lend_on_slip(&actor(), made.id, one.barcode)
            .expect("lent again");
        store
            .lend_on_slip(&actor(), made.id, two.barcode)
            .expect("lent");
        assert_eq!(store.slip_to_lend(borrower.barcode).expect("read"), None);
        store
            .return_loan(&actor(), one.barcode, None)
            .expect("back");
        assert_eq!(
            store.loan_slip(made.id).expect("read").expect("slip").state,
            SlipState::Lent
        );
        store
            .return_loan(&actor(), two.barcode, None)
            .expect("back");
        let closed = store.loan_slip(made.id).expect("read").expect("slip");
        assert_eq!(closed.state, SlipState::Closed);
        assert!(closed.entries.iter().all(|entry| entry.returned));
        let kinds: Vec<EventKind> = store
            .history(borrower.barcode)
            .expect("history")
            .iter()
            .map(|event| event.body.kind)
            .collect();
        for kind in [
            EventKind::LoanSlipRequested,
            EventKind::LoanSlipApproved,
            EventKind::LoanSlipClosed,
        ] {
            assert!(kinds.contains(&kind), "{kind:?} in {kinds:?}");
        }

        let report = store.verify().expect("verify");
        assert!(report.is_ok(), "{:?}", report.problems);
        // Reopened by the store: the slip is read back as written.
        drop(store);
        let store = Store::open(dir.path(), StoreOptions::default()).expect("reopen");
        assert_eq!(store.loan_slip(made.id).expect("read"), Some(closed));
    }

    #[test]
    fn a_refused_slip_keeps_its_reason_and_lends_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), StoreOptions::default()).expect("open");
        let borrower = person(&store, "王小明", Role::Clerk);
        let supervisor = person(&store, "李主管", Role::Supervisor);
        let one = boxed(&store, 1);
        let made = store
            .create_loan_slip(
                &actor(),
                &NewLoanSlip {
                    borrower: borrower.barcode,
                    purpose: "审计".into(),
                    boxes: vec![(one.barcode, String::new())],
                    due: store.today(),
                },
            )
            .expect("made");
        let refused = store
            .refuse_loan_slip(&actor(), made.id, supervisor.barcode, "无借阅必要")
            .expect("refused");
        assert_eq!(refused.state, SlipState::Refused);
        assert_eq!(refused.reason.as_deref(), Some("无借阅必要"));
        assert_eq!(store.slip_to_lend(borrower.barcode).expect("read"), None);
        let error = store
            .lend_on_slip(&actor(), made.id, one.barcode)
            .expect_err("refused");
        assert_eq!(code(error), Code::LoanSlipWrongState);
        let error = store
            .approve_loan_slip(&actor(), made.id, supervisor.barcode)
            .expect_err("refused");
        assert_eq!(code(error), Code::LoanSlipWrongState);
    }
}
