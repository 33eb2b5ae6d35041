//! UNDO: take back this workstation's last shelving (or intake activation), loan or
//! return through the store's restore, cancel_loan or reopen_loan, and say what was
//! taken back (which box, put where, lent to or returned by whom). UNDO of a return also
//! drops the return's completeness check.

use crate::barcode::Barcode;
use crate::message;
use crate::model::Item;

use super::context::{Answer, Undo, Workstation};
use super::Engine;

impl Engine {
    pub(super) fn undo(&self, station: &mut Workstation, workstation: &str) -> Answer {
        let Some(undo) = station.undo.take() else {
            return Answer::error(message!(UndoNothing));
        };
        let actor = self.actor(station, workstation);
        let (result, item, message) = match undo {
            Undo::Move {
                item,
                place,
                status,
            } => {
                // Where the step being undone put it, read before it is taken back.
                let moved_to = self.place_of(item).unwrap_or_else(|| "—".to_owned());
                let message = message!(UndoDone, item = self.undo_name(item), place = moved_to);
                (
                    self.store
                        .write(&actor, |tx| tx.restore(item, place, status).map(|_| ())),
                    item,
                    message,
                )
            }
            Undo::Loan {
                item,
                place,
                status,
            } => {
                let borrower = match self.store.open_loan_of(item) {
                    Ok(Some(loan)) => self.person_name(loan.borrower),
                    _ => "—".to_owned(),
                };
                let message = message!(UndoLoan, item = self.undo_name(item), borrower = borrower);
                (
                    self.store
                        .write(&actor, |tx| tx.cancel_loan(item, place, status).map(|_| ())),
                    item,
                    message,
                )
            }
            Undo::Return { loan } => {
                // Its check (if any) goes with the return: COMPLETE has nothing to confirm.
                station.pending_check = None;
                let result = self.store.write(&actor, |tx| tx.reopen_loan(loan));
                match result {
                    Ok(loan) => {
                        let message = message!(
                            UndoReturn,
                            item = self.undo_name(loan.item),
                            borrower = self.person_name(loan.borrower)
                        );
                        (Ok(()), loan.item, message)
                    }
                    Err(error) => return Answer::refused(&error, None),
                }
            }
        };
        match result {
            Ok(()) => Answer::ok(message, Some(item)),
            Err(error) => Answer::refused(&error, Some(item)),
        }
    }

    /// A box as an UNDO message names it: its archive number and barcode; anything else
    /// (a certificate, whose number a clerk may not see) by its barcode alone.
    fn undo_name(&self, item: Barcode) -> String {
        match self.store.get_item(item) {
            Ok(Some(Item::Box(archive_box))) => format!("{} {item}", archive_box.archive_no),
            _ => item.to_string(),
        }
    }

    /// The path of where `item` is recorded now.
    fn place_of(&self, item: Barcode) -> Option<String> {
        let place = match self.store.get_item(item) {
            Ok(Some(Item::Box(archive_box))) => archive_box.place,
            Ok(Some(Item::Certificate(certificate))) => certificate.place,
            _ => None,
        };
        place.and_then(|place| self.path_of(place))
    }

    /// A person's name, or their barcode when they cannot be read.
    fn person_name(&self, person: Barcode) -> String {
        match self.store.get_item(person) {
            Ok(Some(Item::Person(person))) => person.name,
            _ => person.to_string(),
        }
    }
}
