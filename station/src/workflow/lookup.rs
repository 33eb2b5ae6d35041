//! LOOKUP: scan anything to see what it is, where it is and who has it; a badge sets the
//! operator.

use crate::barcode::Barcode;
use crate::message;
use crate::model::Item;

use super::context::{Answer, Workstation};
use super::Engine;

impl Engine {
    pub(super) fn lookup(
        &self,
        station: &mut Workstation,
        barcode: Barcode,
        item: Option<Item>,
    ) -> Answer {
        match item {
            None => Answer::error(message!(ItemNotRegistered, barcode = barcode)),
            Some(Item::Person(person)) => self.set_operator(station, person),
            Some(_) => Answer::ok(message!(LookupFound), Some(barcode)),
        }
    }
}
