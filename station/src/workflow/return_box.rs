//! RETURN: scan returned boxes; each closes its loan, the box waits at the workstation's
//! counter and its home shelf is shown. A box with a contents list starts a return check:
//! the answer lists what was lent, and the COMPLETE card (or the page, marking what is
//! missing) confirms it; scanning the next box leaves the check awaiting, never closed.

use crate::barcode::Barcode;
use crate::message;
use crate::model::Item;
use crate::store::CheckOutcome;

use super::context::{Answer, Undo, Workstation};
use super::{Engine, Mode};

impl Engine {
    pub(super) fn return_box(
        &self,
        station: &mut Workstation,
        workstation: &str,
        barcode: Barcode,
        item: Option<Item>,
    ) -> Answer {
        match item {
            Some(Item::Box(_)) => {}
            Some(Item::Person(person)) => return self.set_operator(station, person),
            None => return Answer::error(message!(ItemNotRegistered, barcode = barcode)),
            Some(_) => {
                return Answer::error(message!(
                    ScanWrongKindForMode,
                    mode = Mode::Return.label(),
                    what = ("档案盒", "boxes")
                ))
            }
        }
        // COMPLETE confirms the box scanned last, and only that one.
        station.pending_check = None;
        let counter = match self.counter(station, workstation) {
            Ok(counter) => counter,
            Err(error) => return Answer::refused(&error, Some(barcode)),
        };
        let actor = self.actor(station, workstation);
        match self
            .store
            .return_loan(&actor, barcode, Some(counter.barcode))
        {
            Ok(loan) => {
                station.undo = Some(Undo::Return { loan: loan.id });
                let home = match self.store.get_item(barcode) {
                    Ok(Some(Item::Box(archive_box))) => archive_box
                        .home
                        .and_then(|home| self.path_of(home))
                        .unwrap_or_else(|| "—".to_owned()),
                    _ => "—".to_owned(),
                };
                let check = self
                    .store
                    .return_check(loan.id)
                    .and_then(|check| check.map(|c| self.store.return_check_view(&c)).transpose());
                match check {
                    Ok(Some(view)) => {
                        let message = message!(
                            ReturnCheck,
                            loan = loan.id,
                            home = home,
                            count = view.documents.len(),
                            pages = view.pages
                        );
                        station.pending_check = Some(loan.id);
                        station.check_shown = Some(view);
                        Answer::ok(message, Some(barcode))
                    }
                    Ok(None) => Answer::ok(message!(ReturnDone, home = home), Some(barcode)),
                    // The return is durable; only reading its check back failed.
                    Err(error) => Answer::ok(
                        message!(ReturnDone, home = home).join(&error.message()),
                        Some(barcode),
                    ),
                }
            }
            Err(error) => Answer::refused(&error, Some(barcode)),
        }
    }

    /// COMPLETE: the return scanned last here came back complete.
    pub(super) fn return_complete(&self, station: &mut Workstation, workstation: &str) -> Answer {
        let Some(loan) = station.pending_check else {
            return Answer::error(message!(ReturnNothingPending));
        };
        let actor = self.actor(station, workstation);
        match self.store.confirm_return(&actor, loan) {
            Ok(outcome) => {
                station.pending_check = None;
                let check = outcome.check().clone();
                let item = check.item;
                let name = match self.store.get_item(item) {
                    Ok(Some(Item::Box(archive_box))) => {
                        format!("{} {item}", archive_box.archive_no)
                    }
                    _ => item.to_string(),
                };
                let message = match &outcome {
                    CheckOutcome::Complete(_) => {
                        message!(ReturnConfirmed, loan = loan, item = name)
                    }
                    CheckOutcome::Incomplete(check) => {
                        message!(
                            ReturnIncomplete,
                            loan = loan,
                            missing = check.missing_text()
                        )
                    }
                };
                Answer::ok(message, Some(item))
            }
            Err(error) => {
                station.pending_check = None;
                Answer::refused(&error, None)
            }
        }
    }
}
