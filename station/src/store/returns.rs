//! Return checks: a box with a contents list that comes back at RETURN is checked against
//! what was lent (its documents with page counts, and the loan slip's words for what was
//! wanted of it). The loan closes as before (the box is back at the counter); the check
//! waits under `R` + loan number until the clerk confirms the return complete (the COMPLETE
//! card, or an empty `missing` at the page) or names what is missing. An incomplete return
//! keeps its check, with the documents still out: the borrower's open loans and the overdue
//! list show it, the supervisor's list of unconfirmed returns flags it, and it ends only
//! when every missing document is recorded back.
//!
//! A box without a contents list has nothing to compare: its return closes as before and no
//! check is kept.
//!
//! **Invariant:** a check under `R` is awaiting or incomplete (a confirmed one is removed);
//! an incomplete one names at least one missing position, each on its lent list.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{decode, keys, Refusal, Result, Store, StoreError, Tx};
use crate::barcode::Barcode;
use crate::event::{Change, EventKind};
use crate::model::{Loan, Millis};

/// The longest note on a return check, in characters.
pub const MAX_CHECK_NOTE: usize = 500;

/// Where a return check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// Returned; nobody has confirmed yet that everything lent came back.
    Awaiting,
    /// Confirmed incomplete: some documents are still out.
    Incomplete,
}

impl CheckState {
    /// The state in words (Chinese, English).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            CheckState::Awaiting => ("待确认齐全", "awaiting check"),
            CheckState::Incomplete => ("归还不全", "incomplete"),
        }
    }
}

/// One document that was lent, as the contents list named it at the return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LentDocument {
    /// Its position on the box's list (from 1).
    pub position: u16,
    /// Its name.
    pub name: String,
    /// Its type (may be empty).
    pub doc_type: String,
    /// Page count, covers included.
    pub pages: u32,
    /// An original (true) or a copy.
    pub original: bool,
}

/// A return waiting to be confirmed complete, or confirmed incomplete (family
/// `return_checks`, by loan number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnCheck {
    /// The loan returned.
    pub loan: u64,
    /// The box.
    pub item: Barcode,
    /// Who had borrowed it.
    pub borrower: Barcode,
    /// When the loan was due.
    pub due: NaiveDate,
    /// When the box came back.
    pub returned_at: Millis,
    /// Where the check stands.
    pub state: CheckState,
    /// What was lent: the box's list at the return.
    pub lent: Vec<LentDocument>,
    /// The loan slip's words for what was wanted of the box, if lent against a slip.
    pub slip_documents: Option<String>,
    /// The positions still out (incomplete only).
    pub missing: Vec<u16>,
    /// The clerk's note.
    pub note: String,
    /// Who checked last (the actor), and when.
    pub checked_by: Option<String>,
    /// When it was checked last.
    pub checked_at: Option<Millis>,
}

impl ReturnCheck {
    /// Total pages lent.
    pub fn pages(&self) -> u64 {
        self.lent.iter().map(|doc| u64::from(doc.pages)).sum()
    }

    /// The documents still out.
    pub fn outstanding(&self) -> Vec<&LentDocument> {
        self.lent
            .iter()
            .filter(|doc| self.missing.contains(&doc.position))
            .collect()
    }

    /// The documents still out, in words, each half in its own language:
    /// `2 借款合同（12页）；5 …` and `2 借款合同 (12 pages); 5 …`.
    pub fn missing_text(&self) -> crate::message::Bilingual {
        let outstanding = self.outstanding();
        let zh = outstanding
            .iter()
            .map(|doc| format!("{} {}（{}页）", doc.position, doc.name, doc.pages))
            .collect::<Vec<_>>()
            .join("；");
        let en = outstanding
            .iter()
            .map(|doc| format!("{} {} ({} pages)", doc.position, doc.name, doc.pages))
            .collect::<Vec<_>>()
            .join("; ");
        crate::message::Bilingual::new(zh, en)
    }

    fn describe(&self, positions: &[u16]) -> String {
        self.lent
            .iter()
            .filter(|doc| positions.contains(&doc.position))
            .map(|doc| format!("{} {} ({}页)", doc.position, doc.name, doc.pages))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What a check recorded: confirmed complete, still incomplete, or documents back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// Everything lent is back: the check is closed.
    Complete(ReturnCheck),
    /// Documents are still out (the check as it stands now).
    Incomplete(ReturnCheck),
}

impl CheckOutcome {
    /// The check as recorded.
    pub fn check(&self) -> &ReturnCheck {
        match self {
            CheckOutcome::Complete(check) | CheckOutcome::Incomplete(check) => check,
        }
    }
}

impl Tx<'_> {
    /// Starts the check of `loan`, just returned, when its box has a contents list; the
    /// check lists the documents lent and the slip's words for what was wanted.
    pub(super) fn start_return_check(&mut self, loan: &Loan) -> Result<Option<ReturnCheck>> {
        let archive_box = self.require_box(loan.item)?;
        let documents = self.box_documents(&archive_box)?;
        if documents.is_empty() {
            return Ok(None);
        }
        let lent = documents
            .into_iter()
            .enumerate()
            .map(|(index, doc)| LentDocument {
                position: u16::try_from(index + 1).unwrap_or(u16::MAX),
                name: doc.name,
                doc_type: doc.doc_type,
                pages: doc.pages,
                original: doc.original,
            })
            .collect();
        let slip_documents = match self
            .get_raw(&keys::slip_of_loan(loan.id))?
            .and_then(|bytes| keys::decode_u64(&bytes))
        {
            Some(slip) => self
                .get::<super::LoanSlip>(&keys::loan_slip(slip))?
                .and_then(|slip| {
                    slip.entries
                        .into_iter()
                        .find(|entry| entry.loan == Some(loan.id))
                })
                .map(|entry| entry.documents)
                .filter(|documents| !documents.trim().is_empty()),
            None => None,
        };
        let check = ReturnCheck {
            loan: loan.id,
            item: loan.item,
            borrower: loan.borrower,
            due: loan.due,
            returned_at: self.now,
            state: CheckState::Awaiting,
            lent,
            slip_documents,
            missing: Vec::new(),
            note: String::new(),
            checked_by: None,
            checked_at: None,
        };
        self.put(&keys::return_check(loan.id), &check)?;
        Ok(Some(check))
    }

    /// Drops the check of `loan` (UNDO of its return: everything is out again); whether
    /// there was one.
    pub(super) fn drop_return_check(&mut self, loan: u64) -> Result<bool> {
        let key = keys::return_check(loan);
        if self.get_raw(&key)?.is_none() {
            return Ok(false);
        }
        self.remove(&key)?;
        Ok(true)
    }

    /// Records the check of returned loan `loan`: `missing` names the positions still out
    /// (empty: everything is back). An awaiting check becomes complete (removed) or
    /// incomplete; an incomplete one may only shrink its missing list (documents come
    /// back) and closes when nothing is missing. A position not lent, or (for an
    /// incomplete check) one already back, is refused and nothing changes.
    pub fn check_return(&mut self, loan: u64, missing: &[u16], note: &str) -> Result<CheckOutcome> {
        let key = keys::return_check(loan);
        let mut check: ReturnCheck = self.get(&key)?.ok_or(Refusal::NoReturnCheck(loan))?;
        if note.chars().count() > MAX_CHECK_NOTE {
            return Err(Refusal::ReturnCheckNoteTooLong(MAX_CHECK_NOTE).into());
        }
        let mut wanted: Vec<u16> = missing.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        for position in &wanted {
            if !check.lent.iter().any(|doc| doc.position == *position) {
                return Err(Refusal::ReturnCheckNotLent {
                    loan,
                    position: *position,
                }
                .into());
            }
            if check.state == CheckState::Incomplete && !check.missing.contains(position) {
                return Err(Refusal::ReturnCheckAlreadyBack {
                    loan,
                    position: *position,
                }
                .into());
            }
        }
        let before = check.missing.clone();
        let came_back: Vec<u16> = before
            .iter()
            .copied()
            .filter(|position| !wanted.contains(position))
            .collect();
        let was = check.state;
        check.missing = wanted.clone();
        check.checked_by = Some(self.actor.to_owned());
        check.checked_at = Some(self.now);
        if !note.trim().is_empty() {
            check.note = note.trim().to_owned();
        }
        let loan_text = Some(loan.to_string());
        if wanted.is_empty() {
            self.remove(&key)?;
            let kind = if was == CheckState::Incomplete {
                EventKind::ReturnDocumentsBack
            } else {
                EventKind::ReturnConfirmed
            };
            let mut changes = vec![Change::new("return_check", loan_text, Some("complete"))];
            if !came_back.is_empty() {
                changes.push(Change::new(
                    "missing",
                    Some(check.describe(&came_back)),
                    None::<String>,
                ));
            }
            self.record(Some(check.item), kind, changes);
            return Ok(CheckOutcome::Complete(check));
        }
        if was == CheckState::Incomplete && came_back.is_empty() {
            // The same documents still out: only the note may have changed.
            self.put(&key, &check)?;
            return Ok(CheckOutcome::Incomplete(check));
        }
        let kind = if was == CheckState::Incomplete {
            EventKind::ReturnDocumentsBack
        } else {
            EventKind::ReturnIncomplete
        };
        check.state = CheckState::Incomplete;
        let mut changes = vec![
            Change::new(
                "return_check",
                loan_text,
                Some(CheckState::Incomplete.label().1),
            ),
            Change::new(
                "missing",
                (!before.is_empty()).then(|| check.describe(&before)),
                Some(check.describe(&wanted)),
            ),
        ];
        if !check.note.is_empty() {
            changes.push(Change::new(
                "note",
                None::<String>,
                Some(check.note.clone()),
            ));
        }
        self.record(Some(check.item), kind, changes);
        self.put(&key, &check)?;
        Ok(CheckOutcome::Incomplete(check))
    }
}

/// A return check as the counter page, the supervisor page and the API show it: the box,
/// who had it (by name), what was lent and what is still out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ReturnCheckView {
    /// The loan returned.
    pub loan: u64,
    /// The box's barcode.
    pub item: String,
    /// Its archive number.
    pub archive_no: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// Its home shelf (path).
    pub home: Option<String>,
    /// Who had borrowed it (name).
    pub borrower_name: Option<String>,
    /// The day the loan was due.
    pub due: NaiveDate,
    /// When the box came back (ms since the epoch).
    pub returned_at: Millis,
    /// awaiting or incomplete.
    pub state: CheckState,
    /// What was lent: the box's contents list at the return.
    pub documents: Vec<LentDocument>,
    /// Total pages lent.
    pub pages: u64,
    /// The loan slip's words for what was wanted of the box, if lent against a slip.
    pub slip_documents: Option<String>,
    /// The positions still out.
    pub missing: Vec<u16>,
    /// The documents still out.
    pub outstanding: Vec<LentDocument>,
    /// The clerk's note.
    pub note: String,
}

impl Store {
    /// `check` as the pages show it (the box and the borrower read now).
    pub fn return_check_view(&self, check: &ReturnCheck) -> Result<ReturnCheckView> {
        let (archive_no, title, home) = match self.get_item(check.item)? {
            Some(crate::model::Item::Box(archive_box)) => {
                let home = match archive_box.home {
                    Some(home) => match self.get_item(home)? {
                        Some(crate::model::Item::Location(location)) => Some(location.path),
                        _ => None,
                    },
                    None => None,
                };
                (Some(archive_box.archive_no), Some(archive_box.title), home)
            }
            _ => (None, None, None),
        };
        let borrower_name = match self.get_item(check.borrower)? {
            Some(crate::model::Item::Person(person)) => Some(person.name),
            _ => None,
        };
        Ok(ReturnCheckView {
            loan: check.loan,
            item: check.item.to_string(),
            archive_no,
            title,
            home,
            borrower_name,
            due: check.due,
            returned_at: check.returned_at,
            state: check.state,
            documents: check.lent.clone(),
            pages: check.pages(),
            slip_documents: check.slip_documents.clone(),
            missing: check.missing.clone(),
            outstanding: check.outstanding().into_iter().cloned().collect(),
            note: check.note.clone(),
        })
    }

    /// The check of returned loan `loan`, while it is awaiting or incomplete.
    pub fn return_check(&self, loan: u64) -> Result<Option<ReturnCheck>> {
        self.get(&keys::return_check(loan))
    }

    /// Every return awaiting its check or confirmed incomplete, by loan number.
    pub fn unchecked_returns(&self) -> Result<Vec<ReturnCheck>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix([keys::RETURN_CHECK]) {
            let (key, value) = entry.map_err(StoreError::storage("reading return checks"))?;
            out.push(decode(&value, &key)?);
        }
        Ok(out)
    }

    /// COMPLETE at the counter: confirms the return of `loan` complete, but only while it
    /// awaits its check; one marked incomplete at the page is refused
    /// (`return.marked_incomplete`), so a habitual scan never closes what was found missing.
    pub fn confirm_return(&self, actor: &super::Actor, loan: u64) -> Result<CheckOutcome> {
        self.write(actor, |tx| {
            let check: ReturnCheck = tx
                .get(&keys::return_check(loan))?
                .ok_or(Refusal::NoReturnCheck(loan))?;
            if check.state == CheckState::Incomplete {
                return Err(Refusal::ReturnMarkedIncomplete(loan).into());
            }
            tx.check_return(loan, &[], "")
        })
    }

    /// Records the check of returned loan `loan` (see [`Tx::check_return`]).
    pub fn check_return(
        &self,
        actor: &super::Actor,
        loan: u64,
        missing: &[u16],
        note: &str,
    ) -> Result<CheckOutcome> {
        self.write(actor, |tx| tx.check_return(loan, missing, note))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;
    use crate::store::{NewBox, NewLoanSlip, StoreOptions};

    fn actor() -> super::super::Actor {
        super::super::Actor::new("test")
    }

    #[test]
    fn a_return_against_a_loan_slip_lists_the_contents_and_the_documents_the_slip_asked_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), StoreOptions::default()).expect("open");
        let borrower = crate::store::tests::person(&store, "王小明", Role::Clerk, false);
        let supervisor = crate::store::tests::person(&store, "李主管", Role::Supervisor, false);
        let archive_box = store
            .register_box(
                &actor(),
                &NewBox {
                    archive_no: Some("S-1".into()),
                    title: "借款合同".into(),
                    customer: "鸿达贸易".into(),
                    ..NewBox::default()
                },
            )
            .expect("box")
            .barcode;
        let documents: Vec<crate::contents::Document> = [("借款合同", 3), ("借据", 1)]
            .iter()
            .map(|(name, pages)| crate::contents::Document {
                name: (*name).into(),
                doc_type: String::new(),
                pages: *pages,
                date: None,
                original: false,
                expiry: None,
                signed: None,
            })
            .collect();
        let checklists = crate::contents::Checklists::builtin().expect("valid");
        store
            .write(&actor(), |tx| {
                tx.replace_contents(
                    archive_box,
                    &documents,
                    &checklists,
                    EventKind::ContentsChanged,
                )
            })
            .expect("contents");
        let slip = store
            .create_loan_slip(
                &actor(),
                &NewLoanSlip {
                    borrower: borrower.barcode,
                    purpose: "贷后检查".into(),
                    boxes: vec![(archive_box, "借款合同第 1–3 页".into())],
                    due: store.today() + chrono::Duration::days(10),
                },
            )
            .expect("slip");
        store
            .approve_loan_slip(&actor(), slip.id, supervisor.barcode)
            .expect("approved");
        let (_, loan) = store
            .lend_on_slip(&actor(), slip.id, archive_box)
            .expect("lent");
        store
            .return_loan(&actor(), archive_box, None)
            .expect("back");
        let check = store
            .return_check(loan.id)
            .expect("read")
            .expect("awaiting");
        assert_eq!(check.slip_documents.as_deref(), Some("借款合同第 1–3 页"));
        assert_eq!(check.pages(), 4);
        assert_eq!(check.borrower, borrower.barcode);
        assert_eq!(check.due, slip.due);
        assert!(check.lent.iter().all(|doc| !doc.original));
        let view = store.return_check_view(&check).expect("view");
        assert_eq!(view.borrower_name.as_deref(), Some("王小明"));
        assert_eq!(view.archive_no.as_deref(), Some("S-1"));
        assert_eq!(view.documents.len(), 2);
        // A note longer than allowed is refused and changes nothing.
        let head = store.head().0;
        let long = "字".repeat(MAX_CHECK_NOTE + 1);
        let error = store
            .check_return(&actor(), loan.id, &[1], &long)
            .expect_err("too long");
        assert_eq!(
            error.message().code,
            crate::message::Code::ReturnCheckNoteTooLong
        );
        assert_eq!(store.head().0, head);
        assert_eq!(
            store
                .return_check(loan.id)
                .expect("read")
                .expect("kept")
                .state,
            CheckState::Awaiting
        );
    }
}
