//! UNDO: take back this workstation's last shelving (or intake activation), loan or
//! return through the store's restore, cancel_loan or reopen_loan.

use crate::message;

use super::context::{Answer, Undo, Workstation};
use super::Engine;

impl Engine {
    pub(super) fn undo(&self, station: &mut Workstation, workstation: &str) -> Answer {
        let Some(undo) = station.undo.take() else {
            return Answer::error(message!(UndoNothing));
        };
        let actor = self.actor(station, workstation);
        let (result, item) = match undo {
            Undo::Move {
                item,
                place,
                status,
            } => (
                self.store
                    .write(&actor, |tx| tx.restore(item, place, status).map(|_| ())),
                item,
            ),
            Undo::Loan {
                item,
                place,
                status,
            } => (
                self.store
                    .write(&actor, |tx| tx.cancel_loan(item, place, status).map(|_| ())),
                item,
            ),
            Undo::Return { loan } => {
                let result = self.store.write(&actor, |tx| tx.reopen_loan(loan));
                match result {
                    Ok(loan) => (Ok(()), loan.item),
                    Err(error) => return Answer::refused(&error, None),
                }
            }
        };
        match result {
            Ok(()) => Answer::ok(message!(UndoDone), Some(item)),
            Err(error) => Answer::refused(&error, Some(item)),
        }
    }
}
