//! Pick lists (取件单): a set of boxes to fetch, kept durably with each box's progress
//! (picked or not), resolved from pasted or uploaded lines that never guess, ordered for
//! walking by [`crate::picking::plan`], and finished by DONE (what was not found is flagged
//! missing, here in the store) or left open.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{keys, Actor, Refusal, Result, Store, StoreError, Tx};
use crate::barcode::{Barcode, Kind};
use crate::event::{Change, EventKind};
use crate::message;
use crate::message::Message;
use crate::model::{Item, ItemStatus, LocationKind, Millis, WalkingOrder};
use crate::picking::{PickGroup, PickStop, RackInfo};

/// The most boxes one pick list holds; more is refused (`picklist.too_large`).
pub const MAX_PICK_LIST: usize = 5_000;

/// One box of a pick list and its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickEntry {
    /// The box.
    pub item: Barcode,
    /// When it was scanned (ticked off), if it was.
    pub picked_at: Option<Millis>,
}

/// Where a pick list stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PickState {
    /// Being picked.
    Open,
    /// Finished by DONE: what was not found was flagged missing.
    Done,
}

/// A pick list as stored (family `picklists`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickList {
    /// Its number (its barcode is [`pick_list_barcode`] of it).
    pub id: u64,
    /// Who made it (the actor).
    pub created_by: String,
    /// When.
    pub created_at: Millis,
    /// Where its boxes came from, for people (`search: 2024`, `lines: 12`).
    pub source: String,
    /// Its boxes, each once.
    pub entries: Vec<PickEntry>,
    /// Open or done.
    pub state: PickState,
    /// When DONE finished it.
    pub closed_at: Option<Millis>,
    /// The boxes DONE did not find (flagged missing if they were expected on a shelf).
    pub not_found: Vec<Barcode>,
}

/// The first sequence of the command-card barcodes that name pick lists: `K` barcodes
/// below it are the command cards (1 to a few dozen), so the two can never collide, and
/// no other kind's barcode starts with `K`.
pub const PICK_LIST_BARCODE_BASE: u64 = 100_000_000;

/// The barcode printed on pick list `id`'s sheet: a `K` (command) barcode whose sequence
/// is [`PICK_LIST_BARCODE_BASE`] + `id`.
pub fn pick_list_barcode(id: u64) -> Option<Barcode> {
    let seq = PICK_LIST_BARCODE_BASE.checked_add(id)?;
    Barcode::new(Kind::Command, seq).ok()
}

/// The pick list a scanned barcode names, if it is a pick list's.
pub fn pick_list_of(barcode: Barcode) -> Option<u64> {
    if barcode.kind() != Kind::Command {
        return None;
    }
    barcode
        .seq()
        .checked_sub(PICK_LIST_BARCODE_BASE)
        .filter(|id| *id > 0)
}

/// A line (or CSV row) that names no box, or more than one: why, as a message with a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickLineProblem {
    /// Its line number, from 1.
    pub line: usize,
    /// The line as given.
    pub text: String,
    /// What is wrong (`picklist.line_unknown`, `picklist.line_ambiguous`,
    /// `picklist.line_not_a_box`).
    pub message: Message,
}

/// What scanning a box against a pick list did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickTick {
    /// Ticked off now; `left` boxes remain.
    Ticked {
        /// Boxes not yet picked.
        left: usize,
    },
    /// Ticked off before.
    Again,
    /// Not on the list: nothing changed.
    NotOnList,
}

/// What DONE found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickFinish {
    /// The list as closed.
    pub list: PickList,
    /// Not scanned and flagged missing (they were expected on a shelf).
    pub flagged: Vec<Barcode>,
    /// Not scanned and not flagged (away: on loan, at a counter, in a handover, or
    /// flagged missing already).
    pub away: Vec<Barcode>,
}

/// One box of a pick list as a sheet or a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickLine {
    /// The box.
    pub item: Barcode,
    /// Its archive number.
    pub archive_no: String,
    /// Its title.
    pub title: String,
    /// Where it stands (path), if anywhere.
    pub path: Option<String>,
    /// Picked already.
    pub picked: bool,
    /// Its status now.
    pub status: ItemStatus,
}

/// A pick list laid out for walking: the groups (aisles, racks, other places) of boxes on
/// shelves, and the boxes that are not on a shelf with why.
#[derive(Debug, Clone)]
pub struct PickSheet {
    /// The list.
    pub list: PickList,
    /// Groups in walking order, each with its lines in walking order.
    pub groups: Vec<(PickGroup, Vec<PickLine>)>,
    /// Boxes not on a shelf (on loan, at a counter, in a handover, missing, registered
    /// only), each with why.
    pub away: Vec<(PickLine, Message)>,
}

impl Tx<'_> {
    fn require_pick_list(&self, id: u64) -> Result<PickList> {
        self.get(&keys::pick_list(id))?
            .ok_or_else(|| Refusal::UnknownPickList(id).into())
    }

    /// Makes a pick list of `items` (boxes, each once; at most [`MAX_PICK_LIST`]).
    pub fn create_pick_list(&mut self, items: &[Barcode], source: &str) -> Result<PickList> {
        if items.is_empty() {
            return Err(Refusal::PickListEmpty.into());
        }
        if items.len() > MAX_PICK_LIST {
            return Err(Refusal::PickListTooLarge {
                count: items.len(),
                max: MAX_PICK_LIST,
            }
            .into());
        }
        let mut entries = Vec::with_capacity(items.len());
        let mut seen = std::collections::BTreeSet::new();
        for item in items {
            self.require_box(*item)?;
            if seen.insert(*item) {
                entries.push(PickEntry {
                    item: *item,
                    picked_at: None,
                });
            }
        }
        let id = self.next_counter(keys::PICK_LIST_ID, u64::MAX, "pick list")?;
        let list = PickList {
            id,
            created_by: self.actor.to_owned(),
            created_at: self.now,
            source: source.to_owned(),
            entries,
            state: PickState::Open,
            closed_at: None,
            not_found: Vec::new(),
        };
        self.put(&keys::pick_list(id), &list)?;
        self.record_many(
            None,
            list.entries.iter().map(|entry| entry.item).collect(),
            EventKind::PickListCreated,
            vec![
                Change::new("pick_list", None::<String>, Some(id.to_string())),
                Change::new(
                    "boxes",
                    None::<String>,
                    Some(list.entries.len().to_string()),
                ),
                Change::new("source", None::<String>, Some(source.to_owned())),
            ],
        );
        Ok(list)
    }

    /// Ticks `item` off open pick list `id`.
    pub fn tick_pick(&mut self, id: u64, item: Barcode) -> Result<PickTick> {
        let mut list = self.require_pick_list(id)?;
        if list.state != PickState::Open {
            return Err(Refusal::PickListClosed(id).into());
        }
        let now = self.now;
        let Some(entry) = list.entries.iter_mut().find(|entry| entry.item == item) else {
            return Ok(PickTick::NotOnList);
        };
        if entry.picked_at.is_some() {
            return Ok(PickTick::Again);
        }
        entry.picked_at = Some(now);
        let left = list
            .entries
            .iter()
            .filter(|entry| entry.picked_at.is_none())
            .count();
        self.put(&keys::pick_list(id), &list)?;
        self.record(
            Some(item),
            EventKind::Picked,
            vec![Change::new(
                "pick_list",
                None::<String>,
                Some(id.to_string()),
            )],
        );
        Ok(PickTick::Ticked { left })
    }

    /// Finishes open pick list `id` (DONE): every box not scanned that was expected on a
    /// shelf is flagged missing; the others (away) are only reported.
    pub fn finish_pick_list(&mut self, id: u64) -> Result<PickFinish> {
        let mut list = self.require_pick_list(id)?;
        if list.state != PickState::Open {
            return Err(Refusal::PickListClosed(id).into());
        }
        let mut flagged = Vec::new();
        let mut away = Vec::new();
        for entry in list
            .entries
            .iter()
            .filter(|entry| entry.picked_at.is_none())
        {
            let archive_box = self.require_box(entry.item)?;
            if archive_box.status == ItemStatus::Stored && archive_box.place.is_some() {
                self.flag_missing(entry.item)?;
                flagged.push(entry.item);
            } else {
                away.push(entry.item);
            }
        }
        list.state = PickState::Done;
        list.closed_at = Some(self.now);
        list.not_found = flagged.iter().chain(away.iter()).copied().collect();
        self.put(&keys::pick_list(id), &list)?;
        self.record_many(
            None,
            list.not_found.clone(),
            EventKind::PickListClosed,
            vec![
                Change::new("pick_list", Some(id.to_string()), Some("done")),
                Change::new(
                    "flagged_missing",
                    None::<String>,
                    Some(flagged.len().to_string()),
                ),
                Change::new("away", None::<String>, Some(away.len().to_string())),
            ],
        );
        Ok(PickFinish {
            list,
            flagged,
            away,
        })
    }
}

impl Store {
    /// Makes a pick list of `items`.
    pub fn create_pick_list(
        &self,
        actor: &Actor,
        items: &[Barcode],
        source: &str,
    ) -> Result<PickList> {
        self.write(actor, |tx| tx.create_pick_list(items, source))
    }

    /// Ticks `item` off pick list `id`.
    pub fn tick_pick(&self, actor: &Actor, id: u64, item: Barcode) -> Result<PickTick> {
        self.write(actor, |tx| tx.tick_pick(id, item))
    }

    /// Finishes pick list `id`, flagging what was not found and was expected on a shelf.
    pub fn finish_pick_list(&self, actor: &Actor, id: u64) -> Result<PickFinish> {
        self.write(actor, |tx| tx.finish_pick_list(id))
    }

    /// Pick list `id`.
    pub fn pick_list(&self, id: u64) -> Result<Option<PickList>> {
        self.get(&keys::pick_list(id))
    }

    /// The newest pick lists first, at most `limit`.
    pub fn pick_lists(&self, limit: usize) -> Result<Vec<PickList>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix([keys::PICK_LIST]).rev().take(limit) {
            let (key, value) = entry.map_err(StoreError::storage("listing pick lists"))?;
            out.push(super::decode(&value, &key)?);
        }
        Ok(out)
    }

    /// Resolves rows of text (each row one or more cells: a pasted line is one cell, a
    /// CSV row its cells) to boxes, never guessing: a cell is a box's barcode or exactly a
    /// box's archive number. A row that names no box, or two different boxes, is a
    /// problem with a code; blank rows are skipped. Boxes come once, in the rows' order.
    pub fn resolve_pick_rows(
        &self,
        rows: &[(usize, Vec<String>)],
    ) -> Result<(Vec<Barcode>, Vec<PickLineProblem>)> {
        let mut boxes = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut problems = Vec::new();
        for (line, cells) in rows {
            let cells: Vec<&str> = cells
                .iter()
                .map(|cell| cell.trim())
                .filter(|cell| !cell.is_empty())
                .collect();
            if cells.is_empty() {
                continue;
            }
            let text = cells.join(",");
            let mut found = std::collections::BTreeSet::new();
            let mut not_a_box = None;
            for cell in &cells {
                match Barcode::parse(cell) {
                    Ok(barcode) => match self.get_item(barcode)? {
                        Some(Item::Box(_)) => {
                            found.insert(barcode);
                        }
                        Some(item) => not_a_box = Some((barcode, item.barcode().kind())),
                        None => {}
                    },
                    Err(_) => {
                        if let Some(archive_box) = self.box_by_archive_no(cell)? {
                            found.insert(archive_box.barcode);
                        }
                    }
                }
            }
            let problem = match (found.len(), not_a_box) {
                (1, _) => None,
                (0, Some((barcode, kind))) => Some(message!(
                    PickListLineNotABox,
                    line = *line,
                    barcode = barcode,
                    kind = kind.label()
                )),
                (0, None) => Some(message!(PickListLineUnknown, line = *line, text = &text)),
                (count, _) => Some(message!(
                    PickListLineAmbiguous,
                    line = *line,
                    text = &text,
                    count = count
                )),
            };
            match problem {
                Some(message) => problems.push(PickLineProblem {
                    line: *line,
                    text,
                    message,
                }),
                None => {
                    for barcode in found {
                        if seen.insert(barcode) {
                            boxes.push(barcode);
                        }
                    }
                }
            }
        }
        Ok((boxes, problems))
    }

    /// The racks of `room` (path and mobile flag), from the path index.
    fn racks_of_room(&self, room: &str) -> Result<Vec<RackInfo>> {
        let mut out = Vec::new();
        let prefix = keys::path(&format!("{room}/"));
        for entry in self.tree.scan_prefix(&prefix) {
            let (key, value) = entry.map_err(StoreError::storage("reading the path index"))?;
            let Some(path) = key.get(1..).and_then(|p| std::str::from_utf8(p).ok()) else {
                continue;
            };
            if path.matches('/').count() != 1 {
                continue;
            }
            let Some(barcode) = keys::trailing_barcode(&value) else {
                continue;
            };
            if let Some(Item::Location(location)) = self.get_item(barcode)? {
                if location.kind == LocationKind::Rack {
                    out.push(RackInfo {
                        path: location.path,
                        mobile: location.mobile,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Pick list `id` laid out for walking, from where its boxes are now.
    pub fn pick_sheet(&self, id: u64) -> Result<PickSheet> {
        let list = self.pick_list(id)?.ok_or(Refusal::UnknownPickList(id))?;
        let mut lines: BTreeMap<Barcode, PickLine> = BTreeMap::new();
        let mut stops = Vec::new();
        let mut away = Vec::new();
        let mut rooms = std::collections::BTreeSet::new();
        let mut paths: BTreeMap<Barcode, Option<(String, LocationKind)>> = BTreeMap::new();
        for entry in &list.entries {
            let Some(Item::Box(archive_box)) = self.get_item(entry.item)? else {
                continue;
            };
            let place = match archive_box.place {
                Some(place) => match paths.get(&place) {
                    Some(known) => known.clone(),
                    None => {
                        let found = match self.get_item(place)? {
                            Some(Item::Location(location)) => Some((location.path, location.kind)),
                            _ => None,
                        };
                        paths.insert(place, found.clone());
                        found
                    }
                },
                None => None,
            };
            let line = PickLine {
                item: entry.item,
                archive_no: archive_box.archive_no.clone(),
                title: archive_box.title.clone(),
                path: place.as_ref().map(|(path, _)| path.clone()),
                picked: entry.picked_at.is_some(),
                status: archive_box.status,
            };
            let on_shelf = matches!(
                (&place, archive_box.status),
                (Some((_, LocationKind::Shelf)), ItemStatus::Stored)
            );
            if on_shelf {
                if let Some((path, _)) = &place {
                    rooms.insert(path.split('/').next().unwrap_or_default().to_owned());
                    stops.push(PickStop {
                        item: entry.item,
                        path: path.clone(),
                    });
                }
                lines.insert(entry.item, line);
            } else {
                let why = match archive_box.status {
                    ItemStatus::OnLoan => message!(PickListAwayOnLoan),
                    ItemStatus::AtCounter => message!(
                        PickListAwayAtCounter,
                        place = line.path.clone().unwrap_or_default()
                    ),
                    ItemStatus::Missing => message!(PickListAwayMissing),
                    ItemStatus::InHandover => message!(PickListAwayInHandover),
                    _ => message!(PickListAwayNotShelved),
                };
                away.push((line, why));
            }
        }
        let mut racks = Vec::new();
        for room in &rooms {
            racks.extend(self.racks_of_room(room)?);
        }
        let groups = crate::picking::plan(&stops, &racks)
            .into_iter()
            .map(|group| {
                let group_lines = group
                    .stops
                    .iter()
                    .filter_map(|stop| lines.get(&stop.item).cloned())
                    .collect();
                (group, group_lines)
            })
            .collect();
        away.sort_by_key(|(line, _)| WalkingOrder::of(line.path.as_deref().unwrap_or_default()));
        Ok(PickSheet { list, groups, away })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Code;
    use crate::model::Role;
    use crate::numbering::Scheme;
    use crate::store::{NewBox, NewPerson, StoreOptions};

    fn actor() -> Actor {
        Actor::new("P-test")
    }

    /// Marks the rack at `path` mobile (test-only: the layout command owns this edit).
    fn make_mobile(store: &Store, path: &str) {
        let rack = store.ensure_location(&actor(), path).expect("rack");
        store
            .write(&actor(), |tx| {
                let mut location = tx.require_location(rack.barcode)?;
                location.mobile = true;
                tx.put_item(&Item::Location(location))
            })
            .expect("mobile");
    }

    fn boxed(store: &Store, n: usize, shelf: &str) -> crate::model::ArchiveBox {
        let scheme = Scheme::new("loan", "{year}鸿借字第{seq:03}号").expect("scheme");
        let archive_box = store
            .register_box(
                &actor(),
                &NewBox {
                    scheme: Some((scheme, 2024)),
                    title: format!("借款合同{n}"),
                    customer: format!("客户{n}"),
                    ..NewBox::default()
                },
            )
            .expect("box");
        let shelf = store.ensure_location(&actor(), shelf).expect("shelf");
        store
            .move_item(&actor(), archive_box.barcode, shelf.barcode)
            .expect("shelved");
        archive_box
    }

    fn rows(lines: &[&str]) -> Vec<(usize, Vec<String>)> {
        lines
            .iter()
            .enumerate()
            .map(|(idx, line)| (idx + 1, vec![(*line).to_owned()]))
            .collect()
    }

    #[test]
    fn a_pick_list_is_kept_walked_by_aisle_and_done_flags_what_was_not_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (list_id, shelved, on_loan, ticked) = {
            let store = Store::open(dir.path(), StoreOptions::default()).expect("open");
            let paths = [
                "2号库房/03列/A面/1节/1层",
                "2号库房/01列/B面/2节/1层",
                "2号库房/02列/A面/1节/3层",
                "2号库房/01列/A面/1节/1层",
                "2号库房/02列/B面/1节/1层",
            ];
            let boxes: Vec<_> = paths
                .iter()
                .enumerate()
                .map(|(n, path)| boxed(&store, n, path))
                .collect();
            for rack in ["2号库房/01列", "2号库房/02列", "2号库房/03列"] {
                make_mobile(&store, rack);
            }
            let borrower = store
                .add_person(
                    &actor(),
                    &NewPerson {
                        name: "李总".into(),
                        role: Role::Clerk,
                        borrow_directly: true,
                    },
                )
                .expect("person");
            let lent = boxed(&store, 9, "2号库房/01列/A面/1节/2层");
            store
                .open_loan(
                    &actor(),
                    lent.barcode,
                    borrower.barcode,
                    None,
                    store.today(),
                )
                .expect("lent");

            // Lines: barcodes and archive numbers; unknown and two-box rows are refused
            // each with its code, and nothing is made.
            let mut lines: Vec<String> = boxes.iter().map(|b| b.barcode.to_string()).collect();
            lines[1] = boxes[1].archive_no.clone();
            lines.push(lent.archive_no.clone());
            let bad = [
                (1, vec!["2024鸿借字第999号".to_owned()]),
                (
                    2,
                    vec![boxes[0].archive_no.clone(), boxes[2].barcode.to_string()],
                ),
                (3, vec![borrower.barcode.to_string()]),
                (4, vec!["  ".to_owned()]),
            ];
            let (found, problems) = store.resolve_pick_rows(&bad).expect("resolved");
            assert!(found.is_empty());
            let codes: Vec<(usize, Code)> = problems
                .iter()
                .map(|problem| (problem.line, problem.message.code))
                .collect();
            assert_eq!(
                codes,
                [
                    (1, Code::PickListLineUnknown),
                    (2, Code::PickListLineAmbiguous),
                    (3, Code::PickListLineNotABox)
                ]
            );
            let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
            let (items, problems) = store.resolve_pick_rows(&rows(&texts)).expect("resolved");
            assert!(problems.is_empty(), "{problems:?}");
            assert_eq!(items.len(), 6);
            let list = store
                .create_pick_list(&actor(), &items, "lines: 6")
                .expect("made");
            let sheet = store.pick_sheet(list.id).expect("sheet");
            // Aisles 0 (01/A), 1 (01/B, 02/A), 2 (02/B, 03/A): three openings, each once.
            let groups: Vec<Vec<Barcode>> = sheet
                .groups
                .iter()
                .map(|(_, lines)| lines.iter().map(|line| line.item).collect())
                .collect();
            assert_eq!(
                groups,
                [
                    vec![boxes[3].barcode],
                    vec![boxes[1].barcode, boxes[2].barcode],
                    vec![boxes[4].barcode, boxes[0].barcode],
                ]
            );
            assert_eq!(
                sheet
                    .away
                    .iter()
                    .map(|(line, why)| (line.item, why.code))
                    .collect::<Vec<_>>(),
                [(lent.barcode, Code::PickListAwayOnLoan)]
            );
            assert_eq!(
                store
                    .tick_pick(&actor(), list.id, boxes[3].barcode)
                    .expect("tick"),
                PickTick::Ticked { left: 5 }
            );
            let history = store.history(boxes[3].barcode).expect("history");
            assert!(history
                .iter()
                .any(|e| e.body.kind == EventKind::PickListCreated));
            assert!(history.iter().any(|e| e.body.kind == EventKind::Picked));
            let ticked = boxes[3].barcode;
            (list.id, boxes, lent, ticked)
        };
        // Durable: the list and its progress are there after reopening.
        let store = Store::open(dir.path(), StoreOptions::default()).expect("reopen");
        let list = store.pick_list(list_id).expect("read").expect("kept");
        assert_eq!(
            list.entries
                .iter()
                .filter(|entry| entry.picked_at.is_some())
                .map(|entry| entry.item)
                .collect::<Vec<_>>(),
            [ticked]
        );
        let finish = store.finish_pick_list(&actor(), list_id).expect("done");
        assert_eq!(finish.away, [on_loan.barcode]);
        assert_eq!(finish.flagged.len(), 4);
        for archive_box in shelved.iter().filter(|b| b.barcode != ticked) {
            match store.get_item(archive_box.barcode).expect("read") {
                Some(Item::Box(b)) => assert_eq!(b.status, ItemStatus::Missing),
                other => panic!("{other:?}"),
            }
        }
        match store.get_item(on_loan.barcode).expect("read") {
            Some(Item::Box(b)) => assert_eq!(b.status, ItemStatus::OnLoan),
            other => panic!("{other:?}"),
        }
        let refused = store.tick_pick(&actor(), list_id, ticked);
        assert!(
            matches!(
                refused,
                Err(StoreError::Refused(Refusal::PickListClosed(_)))
            ),
            "{refused:?}"
        );
    }

    #[test]
    fn a_pick_list_beyond_its_bound_or_empty_is_refused_and_nothing_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), StoreOptions::default()).expect("open");
        let archive_box = boxed(&store, 1, "1号库房/01列/A面/1节/1层");
        let too_many = vec![archive_box.barcode; MAX_PICK_LIST + 1];
        let refused = store.create_pick_list(&actor(), &too_many, "lines");
        assert_eq!(
            refused.map_err(|error| error.message().code).err(),
            Some(Code::PickListTooLarge)
        );
        let refused = store.create_pick_list(&actor(), &[], "lines");
        assert_eq!(
            refused.map_err(|error| error.message().code).err(),
            Some(Code::PickListEmpty)
        );
        assert!(store.pick_lists(10).expect("lists").is_empty());
    }

    #[test]
    fn pick_list_barcodes_never_collide_with_command_cards() {
        let barcode = pick_list_barcode(7).expect("barcode");
        assert_eq!(pick_list_of(barcode), Some(7));
        assert_eq!(crate::workflow::CommandCard::from_barcode(barcode), None);
        for card in crate::workflow::CommandCard::ALL {
            assert_eq!(pick_list_of(card.barcode()), None);
        }
    }
}
