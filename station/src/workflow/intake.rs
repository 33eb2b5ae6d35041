//! INTAKE: scan new labels; a registered box is activated at the counter, a blank label
//! is registered from the intake scheme and its label printed.

use crate::barcode::{Barcode, Kind};
use crate::message;
use crate::message::Message;
use crate::model::{Item, ItemStatus};
use crate::store::NewBox;

use super::context::{Answer, Undo, Workstation};
use super::{Engine, Mode, Outcome};

impl Engine {
    pub(super) fn intake(
        &self,
        station: &mut Workstation,
        workstation: &str,
        barcode: Barcode,
        item: Option<Item>,
    ) -> Answer {
        let counter = match self.counter(station, workstation) {
            Ok(counter) => counter,
            Err(error) => return Answer::refused(&error, Some(barcode)),
        };
        let actor = self.actor(station, workstation);
        match item {
            Some(Item::Person(person)) => self.set_operator(station, person),
            Some(Item::Box(archive_box)) if archive_box.status == ItemStatus::Registered => {
                match self.store.move_item(&actor, barcode, counter.barcode) {
                    Ok(_) => {
                        station.undo = Some(Undo::Move {
                            item: barcode,
                            place: archive_box.place,
                            status: archive_box.status,
                        });
                        Answer::ok(
                            message!(IntakeActivated, archive_no = &archive_box.archive_no),
                            Some(barcode),
                        )
                    }
                    Err(error) => Answer::refused(&error, Some(barcode)),
                }
            }
            Some(Item::Box(archive_box)) => Answer::error(message!(
                IntakeAlreadyRegistered,
                archive_no = &archive_box.archive_no,
                status = archive_box.status.label()
            )),
            Some(_) => Answer::error(intake_wants_boxes()),
            None if barcode.kind() != Kind::Box => Answer::error(intake_wants_boxes()),
            None => {
                let Some(scheme) = self.config.intake_scheme.clone() else {
                    return Answer::error(message!(IntakeNoScheme));
                };
                let new = NewBox {
                    barcode: Some(barcode),
                    scheme: Some((scheme, self.year())),
                    title: "待补录".to_owned(),
                    customer: "待补录".to_owned(),
                    ..NewBox::default()
                };
                let result = self.store.write(&actor, |tx| {
                    let registered = tx.register_box(&new)?;
                    tx.move_item(registered.barcode, counter.barcode)?;
                    Ok(registered)
                });
                match result {
                    Ok(registered) => {
                        station.undo = None;
                        let mut message =
                            message!(IntakeRegistered, archive_no = &registered.archive_no);
                        if let Some(print) = &self.label_printer {
                            let printed = match print(workstation, barcode) {
                                Ok(printer) => message!(LabelSent, printer = printer),
                                Err(reason) => message!(LabelNotPrinted).join(&reason),
                            };
                            message = message.join(&printed);
                        }
                        Answer {
                            outcome: Outcome::Warning,
                            message,
                            item: Some(barcode),
                            audit: None,
                        }
                    }
                    Err(error) => Answer::refused(&error, Some(barcode)),
                }
            }
        }
    }
}

/// What INTAKE wants scanned.
fn intake_wants_boxes() -> Message {
    message!(
        ScanWrongKindForMode,
        mode = Mode::Intake.label(),
        what = ("新的档案盒标签", "new box labels")
    )
}
