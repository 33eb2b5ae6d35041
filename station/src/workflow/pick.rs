//! PICK: scan a pick list's barcode (from its printed sheet, or sent from the page), then
//! the boxes taken: each is ticked off the list; a box not on the list, or one taken after
//! scanning a shelf it is not recorded at, is a warning. DONE finishes the list (what was
//! not found is flagged missing by the store), CANCEL leaves it open.

use crate::barcode::Barcode;
use crate::message;
use crate::message::Message;
use crate::model::Item;
use crate::store::{PickState, PickTick};

use super::context::{Answer, PickWork, Workstation};
use super::{Engine, Mode, Outcome};

/// How many of the boxes not found DONE names in its message (the rest are counted).
const NOT_FOUND_NAMED: usize = 20;

impl Engine {
    /// Chooses pick list `id` at this workstation (in any mode: the workstation enters
    /// PICK).
    pub(super) fn pick_choose(&self, station: &mut Workstation, id: u64) -> Answer {
        let list = match self.store.pick_list(id) {
            Ok(Some(list)) => list,
            Ok(None) => {
                return Answer::error(message!(PickListUnknown, id = id));
            }
            Err(error) => return Answer::refused(&error, None),
        };
        if list.state != PickState::Open {
            return Answer::error(message!(PickListClosed, id = id));
        }
        let picked = list
            .entries
            .iter()
            .filter(|entry| entry.picked_at.is_some())
            .count();
        station.enter(Mode::Pick);
        station.pick = Some(PickWork {
            list: id,
            total: list.entries.len(),
            picked,
            at: None,
        });
        Answer::ok(
            message!(
                PickChosen,
                id = id,
                count = list.entries.len(),
                left = list.entries.len() - picked
            ),
            None,
        )
    }

    pub(super) fn pick_scan(
        &self,
        station: &mut Workstation,
        workstation: &str,
        barcode: Barcode,
        item: Option<Item>,
    ) -> Answer {
        if let Some(Item::Person(person)) = item {
            return self.set_operator(station, person);
        }
        let Some(work) = station.pick.clone() else {
            return Answer::error(message!(PickNeedsList));
        };
        let archive_box = match item {
            Some(Item::Location(location)) => {
                let message = message!(PickAt, path = &location.path);
                if let Some(work) = station.pick.as_mut() {
                    work.at = Some(location);
                }
                return Answer::ok(message, Some(barcode));
            }
            Some(Item::Box(archive_box)) => archive_box,
            Some(_) => {
                let mut answer = Answer::error(message!(
                    PickNotOnList,
                    item = barcode.to_string(),
                    id = work.list
                ));
                answer.outcome = Outcome::Warning;
                answer.item = Some(barcode);
                return answer;
            }
            None => {
                return Answer::refused(
                    &crate::store::Refusal::NotFound(barcode).into(),
                    Some(barcode),
                )
            }
        };
        let actor = self.actor(station, workstation);
        let tick = match self.store.tick_pick(&actor, work.list, barcode) {
            Ok(tick) => tick,
            Err(error) => return Answer::refused(&error, Some(barcode)),
        };
        let left = match tick {
            PickTick::NotOnList => {
                let mut answer = Answer::error(message!(
                    PickNotOnList,
                    item = barcode.to_string(),
                    id = work.list
                ));
                answer.outcome = Outcome::Warning;
                answer.item = Some(barcode);
                return answer;
            }
            PickTick::Again => {
                return Answer {
                    outcome: Outcome::Warning,
                    message: message!(PickAgain, archive_no = &archive_box.archive_no),
                    item: Some(barcode),
                    audit: None,
                }
            }
            PickTick::Ticked { left } => left,
        };
        if let Some(work) = station.pick.as_mut() {
            work.picked = work.total.saturating_sub(left);
        }
        let ticked = message!(
            PickTicked,
            archive_no = &archive_box.archive_no,
            left = left
        );
        // Taken after scanning a shelf it is not recorded at: ticked, and said.
        let wrong_place: Option<Message> = work
            .at
            .as_ref()
            .filter(|shelf| archive_box.place != Some(shelf.barcode))
            .map(|shelf| {
                let recorded = archive_box
                    .place
                    .and_then(|place| self.path_of(place))
                    .unwrap_or_else(|| archive_box.status.label().0.to_owned());
                message!(
                    PickWrongPlace,
                    archive_no = &archive_box.archive_no,
                    recorded = recorded,
                    scanned = &shelf.path
                )
            });
        match wrong_place {
            None => Answer::ok(ticked, Some(barcode)),
            Some(warning) => Answer {
                outcome: Outcome::Warning,
                message: ticked.join(&warning).recode(warning.code),
                item: Some(barcode),
                audit: None,
            },
        }
    }

    pub(super) fn pick_done(&self, station: &mut Workstation, workstation: &str) -> Answer {
        let Some(work) = station.pick.clone() else {
            return Answer::error(message!(PickNeedsList));
        };
        let actor = self.actor(station, workstation);
        let finish = match self.store.finish_pick_list(&actor, work.list) {
            Ok(finish) => finish,
            Err(error) => return Answer::refused(&error, None),
        };
        station.enter(Mode::Pick);
        let picked = finish.list.entries.len() - finish.list.not_found.len();
        if finish.list.not_found.is_empty() {
            return Answer::ok(message!(PickDone, id = work.list, picked = picked), None);
        }
        let mut named: Vec<String> = finish
            .list
            .not_found
            .iter()
            .take(NOT_FOUND_NAMED)
            .map(|barcode| match self.store.get_item(*barcode) {
                Ok(Some(Item::Box(archive_box))) => archive_box.archive_no,
                _ => barcode.to_string(),
            })
            .collect();
        if finish.list.not_found.len() > NOT_FOUND_NAMED {
            named.push("…".to_owned());
        }
        Answer {
            outcome: Outcome::Warning,
            message: message!(
                PickNotFound,
                id = work.list,
                picked = picked,
                missing = finish.list.not_found.len(),
                flagged = finish.flagged.len(),
                away = finish.away.len(),
                items = named.join(", ")
            ),
            item: None,
            audit: None,
        }
    }
}
