//! SHELVE: scan a shelf, then the boxes put on it; warnings for a box away from its home
//! shelf or a shelf over capacity.

use crate::barcode::Barcode;
use crate::message;
use crate::model::{Item, ItemStatus};

use super::context::{Answer, Undo, Workstation};
use super::{Engine, Outcome};

impl Engine {
    pub(super) fn shelve(
        &self,
        station: &mut Workstation,
        workstation: &str,
        barcode: Barcode,
        item: Option<Item>,
    ) -> Answer {
        match item {
            None => Answer::error(message!(ItemNotRegistered, barcode = barcode)),
            Some(Item::Person(person)) => self.set_operator(station, person),
            Some(Item::Location(location)) => {
                if !location.kind.holds_items() {
                    return Answer::error(message!(ShelveNotAShelf, path = &location.path));
                }
                if location.retired {
                    return Answer::error(message!(LocationRetired, path = &location.path));
                }
                let message = message!(ShelveShelf, path = &location.path);
                station.shelf = Some(location);
                Answer::ok(message, Some(barcode))
            }
            Some(record @ (Item::Box(_) | Item::Certificate(_))) => {
                let Some(shelf) = station.shelf.clone() else {
                    return Answer::error(message!(ShelveNeedsShelf));
                };
                if matches!(record, Item::Certificate(_)) && !Self::is_supervisor(station) {
                    return Answer::error(message!(
                        CertificateNeedsSupervisor,
                        action = ("移动", "move")
                    ));
                }
                let (place, status) = place_and_status(&record);
                let actor = self.actor(station, workstation);
                // A box shelved completes the shelving step of the archive tasks that name
                // it and wait for it, in the same transaction as the move.
                let person = station.acting().map(|person| person.barcode);
                match self.store.shelve_item(
                    &actor,
                    barcode,
                    shelf.barcode,
                    person,
                    &self.task_rules(),
                ) {
                    Ok(moved) => {
                        station.undo = Some(Undo::Move {
                            item: barcode,
                            place,
                            status,
                        });
                        let mut answer =
                            Answer::ok(message!(ShelveDone, path = &shelf.path), Some(barcode));
                        for warning in &moved.warnings {
                            let warning = warning.message();
                            // The result is known by its first warning.
                            let code = match answer.outcome {
                                Outcome::Ok => warning.code,
                                _ => answer.message.code,
                            };
                            answer.outcome = Outcome::Warning;
                            answer.message = answer.message.join(&warning).recode(code);
                        }
                        answer
                    }
                    Err(error) => Answer::refused(&error, Some(barcode)),
                }
            }
        }
    }
}

fn place_and_status(item: &Item) -> (Option<Barcode>, ItemStatus) {
    match item {
        Item::Box(archive_box) => (archive_box.place, archive_box.status),
        Item::Certificate(certificate) => (certificate.place, certificate.status),
        _ => (None, ItemStatus::Registered),
    }
}
