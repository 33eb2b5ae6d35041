//! RETURN: scan returned boxes; each closes its loan, the box waits at the workstation's
//! counter and its home shelf is shown.

use crate::barcode::Barcode;
use crate::message;
use crate::model::Item;

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
                Answer::ok(message!(ReturnDone, home = home), Some(barcode))
            }
            Err(error) => Answer::refused(&error, Some(barcode)),
        }
    }
}
