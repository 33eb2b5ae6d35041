//! HANDOVER: scan the receiver's badge, then the items handed over; DONE records the
//! handover, confirmed by the receiver, with its deadline in working days.

use crate::barcode::Barcode;
use crate::message;
use crate::model::{HandoverStage, Item, Role};

use super::context::{Answer, Workstation};
use super::{Engine, Mode};

impl Engine {
    pub(super) fn handover_scan(
        &self,
        station: &mut Workstation,
        barcode: Barcode,
        item: Option<Item>,
    ) -> Answer {
        match item {
            None => Answer::error(message!(ItemNotRegistered, barcode = barcode)),
            Some(Item::Person(person)) => {
                let message = message!(HandoverReceiver, name = &person.name);
                station.receiver = Some(person);
                station.handed.clear();
                Answer::ok(message, Some(barcode))
            }
            Some(Item::Location(_)) => Answer::error(message!(
                ScanWrongKindForMode,
                mode = Mode::Handover.label(),
                what = ("工牌或档案", "a badge or items")
            )),
            Some(record) => {
                if station.receiver.is_none() {
                    return Answer::error(message!(HandoverNeedsReceiver));
                }
                if matches!(record, Item::Certificate(_)) && !Self::is_supervisor(station) {
                    return Answer::error(message!(
                        CertificateNeedsSupervisor,
                        action = ("移交", "hand over")
                    ));
                }
                if !station.handed.contains(&barcode) {
                    station.handed.push(barcode);
                }
                let count = station.handed.len();
                Answer::ok(message!(HandoverAdded, count = count), Some(barcode))
            }
        }
    }

    pub(super) fn handover_done(&self, station: &mut Workstation, workstation: &str) -> Answer {
        let (Some(receiver), Some(operator)) =
            (station.receiver.clone(), station.acting().cloned())
        else {
            return Answer::error(message!(HandoverNeedsParties));
        };
        if station.handed.is_empty() {
            return Answer::error(message!(HandoverEmpty));
        }
        // A → B is the first step (3 working days); B → the archive the second (2 more).
        let stage = if receiver.role >= Role::Supervisor || operator.role < receiver.role {
            HandoverStage::OfficerToArchivist
        } else {
            HandoverStage::OfficerToOfficer
        };
        let days = match stage {
            HandoverStage::OfficerToOfficer => 3,
            HandoverStage::OfficerToArchivist => 2,
        };
        let deadline = self.config.calendar.add_working_days(self.today(), days);
        let items = station.handed.clone();
        let actor = self.actor(station, workstation);
        let checklists = self.config.checklists.clone();
        // Accepted by the archivist: the archive tasks naming these boxes that wait for
        // their handover are done with it, in the same transaction (their numbers are read
        // before it, from the box index).
        let tasks = if stage == HandoverStage::OfficerToArchivist {
            match self.store.task_ids_of_boxes(&items) {
                Ok(ids) => ids,
                Err(error) => return Answer::refused(&error, None),
            }
        } else {
            Vec::new()
        };
        let rules = self.task_rules();
        let result = self.store.write(&actor, |tx| {
            // A scan gives no reason: a box lacking required documents is handed over
            // through the page or the API, with one.
            tx.check_handover_items(&items, &checklists, None)?;
            let handover = tx.start_handover(
                stage,
                operator.barcode,
                receiver.barcode,
                &items,
                &[],
                deadline,
            )?;
            // The receiver's badge scanned here is their confirmation.
            let handover = tx.confirm_handover(handover.id, &[])?;
            tx.complete_scanned_tasks(
                &tasks,
                crate::tasks::TaskStep::Handover,
                Some(receiver.barcode),
                &rules,
            )?;
            Ok(handover)
        });
        match result {
            Ok(handover) => {
                station.enter(Mode::Handover);
                Answer::ok(
                    message!(
                        HandoverConfirmed,
                        id = handover.id,
                        name = &receiver.name,
                        count = items.len()
                    ),
                    None,
                )
            }
            Err(error) => Answer::refused(&error, None),
        }
    }
}
