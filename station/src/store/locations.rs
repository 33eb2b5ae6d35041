//! Locations: the room → rack → side → section → shelf hierarchy from canonical paths,
//! safes (with drawers) and counters, defined one at a time or a whole block at once
//! ([`Block`]), edited (capacity, mobile racks), retired once empty; and the packed list of
//! what stands at each location.
//!
//! The layout rules (ARCHITECTURE.md, "Locations"):
//! - each kind only under its own parent kind ([`parent_fits`]): a room or a safe or a
//!   counter at the top, a safe or counter also in a room, a rack in a room, a side in a
//!   rack, a section in a side, a shelf in a section, a drawer only in a safe;
//! - names of the hierarchy are the canonical ones import uses (`05列`, `A面`, `3节`, `4层`,
//!   a room's Chinese numerals before 号 in digits), so a path made here and a path in an
//!   imported ledger are the same location;
//! - defining what exists (same path, same kind) answers the existing location and changes
//!   nothing; the same path as another kind is refused;
//! - a retired location refuses every put and every new location under it, keeps its
//!   history, and is never revived by a layout (the layout reports it).

use super::Refusal;

use super::{keys, Actor, Result, Store, StoreError, Tx};
use crate::barcode::{Barcode, Kind};
use crate::event::{Change, EventKind};
use crate::message::Message;
use crate::model::{arabic_numerals, check_text, Item, Location, LocationKind, ShelfPath};

/// The most shelves one [`Block`] may lay out (a whole large room is a few thousand): a
/// typo such as racks 1–1200 is refused rather than written.
pub const MAX_BLOCK_SHELVES: u64 = 20_000;

/// A location to add under an existing one (or as a new room).
#[derive(Debug, Clone)]
pub struct NewLocation {
    /// What it is.
    pub kind: LocationKind,
    /// Its own name, e.g. `保险柜1` or `柜台`.
    pub name: String,
    /// The location that contains it; none for a room.
    pub parent: Option<Barcode>,
    /// Boxes that fit.
    pub capacity: Option<u32>,
}

/// What defining a location did: the location, and whether it is new (`false`: it existed
/// already, with this path and kind, and nothing changed).
#[derive(Debug, Clone)]
pub struct Defined {
    /// The location.
    pub location: Location,
    /// Whether this call created it.
    pub created: bool,
}

/// A whole block of dense racks to lay out at once: every shelf of racks `racks`, sides
/// `sides`, `sections` sections of `shelves` shelves each, in room `room`.
#[derive(Debug, Clone)]
pub struct Block {
    /// The room, e.g. `2号库房` (created when missing).
    pub room: String,
    /// First and last rack number (列), both included.
    pub racks: (u32, u32),
    /// The sides (面) of each rack, e.g. `['A', 'B']`.
    pub sides: Vec<char>,
    /// Sections (节) per side.
    pub sections: u32,
    /// Shelves (层) per section.
    pub shelves: u32,
    /// Boxes per shelf, given to every new shelf and to an existing one that has none.
    pub capacity: Option<u32>,
    /// New racks are mobile dense shelving (密集架).
    pub mobile: bool,
}

impl Block {
    /// How many shelves the block holds (`None` when it is beyond counting).
    pub fn shelf_count(&self) -> Option<u64> {
        let racks = u64::from(self.racks.1.checked_sub(self.racks.0)?) + 1;
        racks
            .checked_mul(self.sides.len() as u64)?
            .checked_mul(u64::from(self.sections))?
            .checked_mul(u64::from(self.shelves))
    }
}

/// What laying out a block did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayoutOutcome {
    /// Locations created (room, racks, sides, sections and shelves together).
    pub created: u64,
    /// Locations of the block that existed already (left as they were).
    pub existing: u64,
    /// Shelves of the block in all (created, existing or under a retired location).
    pub shelves: u64,
    /// Existing shelves that had no capacity and got the block's.
    pub capacity_set: u64,
    /// Retired locations met in the block: left retired, nothing created under them.
    pub retired: Vec<String>,
    /// The room's barcode.
    pub room: Option<Barcode>,
}

/// Changes to a location; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct LocationEdit {
    /// New capacity (`Some(None)` clears it).
    pub capacity: Option<Option<u32>>,
    /// Whether a rack is mobile dense shelving.
    pub mobile: Option<bool>,
}

/// What retiring did: the location, and how many locations (it and those under it) were
/// retired by this call.
#[derive(Debug, Clone)]
pub struct Retired {
    /// The location, retired.
    pub location: Location,
    /// Locations retired now (0 when it was retired already).
    pub count: u64,
}

/// Why a location cannot be defined, laid out, edited, retired or used as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutRefusal {
    /// This kind does not belong under that parent (or at the top).
    WrongParent {
        /// The kind asked for.
        kind: LocationKind,
        /// Its name.
        name: String,
        /// The parent's kind and path; none for the top.
        parent: Option<(LocationKind, String)>,
    },
    /// The path exists as another kind.
    KindClash {
        /// The path.
        path: String,
        /// What it is.
        existing: LocationKind,
        /// What was asked for.
        wanted: LocationKind,
    },
    /// The name does not fit the level (a rack is `05列`, a side `A面`, …).
    BadName {
        /// The kind.
        kind: LocationKind,
        /// The name given.
        name: String,
    },
    /// A block beyond [`MAX_BLOCK_SHELVES`].
    BlockTooLarge {
        /// Shelves asked for (`None`: beyond counting).
        shelves: Option<u64>,
    },
    /// A block that lays out nothing or is malformed.
    BlockInvalid {
        /// What is wrong, in both languages.
        detail: (&'static str, &'static str),
    },
    /// A field that does not apply to this kind (capacity of a rack, mobile of a shelf).
    FieldNotForKind {
        /// The field, in both languages.
        field: (&'static str, &'static str),
        /// The location's kind.
        kind: LocationKind,
        /// The path.
        path: String,
    },
    /// The location is retired: nothing goes into it or under it.
    Retired {
        /// Its path.
        path: String,
    },
    /// It (or a location under it) still holds items: it cannot be retired.
    NotEmpty {
        /// The path that holds items.
        path: String,
        /// How many.
        count: u64,
    },
    /// Retiring needs a reason.
    NoReason,
    /// No location has this barcode or path.
    Unknown {
        /// What was given.
        what: String,
    },
}

/// A location kind in both languages.
pub fn kind_label(kind: LocationKind) -> (&'static str, &'static str) {
    match kind {
        LocationKind::Room => ("库房", "room"),
        LocationKind::Rack => ("列", "rack"),
        LocationKind::Side => ("面", "side"),
        LocationKind::Section => ("节", "section"),
        LocationKind::Shelf => ("层", "shelf"),
        LocationKind::Safe => ("保险柜", "safe"),
        LocationKind::Counter => ("柜台", "counter"),
        LocationKind::Drawer => ("抽屉", "drawer"),
    }
}

impl LayoutRefusal {
    /// What to tell people.
    pub fn message(&self) -> Message {
        use crate::message;
        match self {
            LayoutRefusal::WrongParent { kind, name, parent } => match parent {
                Some((parent_kind, path)) => message!(
                    LocationWrongParent,
                    kind = kind_label(*kind),
                    name = name,
                    parent = kind_label(*parent_kind),
                    path = path,
                    allowed = allowed_parents(*kind)
                ),
                None => message!(
                    LocationNeedsParent,
                    kind = kind_label(*kind),
                    name = name,
                    allowed = allowed_parents(*kind)
                ),
            },
            LayoutRefusal::KindClash {
                path,
                existing,
                wanted,
            } => message!(
                LocationKindClash,
                path = path,
                existing = kind_label(*existing),
                wanted = kind_label(*wanted)
            ),
            LayoutRefusal::BadName { kind, name } => message!(
                LocationBadName,
                kind = kind_label(*kind),
                name = format!("{name:?}"),
                example = name_example(*kind)
            ),
            LayoutRefusal::BlockTooLarge { shelves } => message!(
                LocationBlockTooLarge,
                shelves = shelves.map_or_else(|| "∞".to_owned(), |n| n.to_string()),
                max = MAX_BLOCK_SHELVES
            ),
            LayoutRefusal::BlockInvalid { detail } => {
                message!(LocationBlockInvalid, detail = *detail)
            }
            LayoutRefusal::FieldNotForKind { field, kind, path } => message!(
                LocationFieldNotForKind,
                field = *field,
                kind = kind_label(*kind),
                path = path
            ),
            LayoutRefusal::Retired { path } => message!(LocationRetired, path = path),
            LayoutRefusal::NotEmpty { path, count } => {
                message!(LocationNotEmpty, path = path, count = count)
            }
            LayoutRefusal::NoReason => message!(LocationRetireReason),
            LayoutRefusal::Unknown { what } => {
                message!(LocationUnknown, what = format!("{what:?}"))
            }
        }
    }
}

impl From<LayoutRefusal> for StoreError {
    fn from(refusal: LayoutRefusal) -> StoreError {
        StoreError::Refused(Refusal::Layout(refusal))
    }
}

/// Whether a location of `kind` may stand under a parent of `parent` (`None`: the top).
pub fn parent_fits(kind: LocationKind, parent: Option<LocationKind>) -> bool {
    use LocationKind::*;
    matches!(
        (kind, parent),
        (Room, None)
            | (Rack, Some(Room))
            | (Side, Some(Rack))
            | (Section, Some(Side))
            | (Shelf, Some(Section))
            | (Safe | Counter, None | Some(Room))
            | (Drawer, Some(Safe))
    )
}

/// Where a kind may stand, in both languages, for a refusal.
fn allowed_parents(kind: LocationKind) -> (&'static str, &'static str) {
    use LocationKind::*;
    match kind {
        Room => ("最上层", "the top"),
        Rack => ("库房", "a room"),
        Side => ("列", "a rack"),
        Section => ("面", "a side"),
        Shelf => ("节", "a section"),
        Safe | Counter => ("最上层或库房", "the top or a room"),
        Drawer => ("保险柜", "a safe"),
    }
}

fn name_example(kind: LocationKind) -> &'static str {
    match kind {
        LocationKind::Room => "2号库房",
        LocationKind::Rack => "05列",
        LocationKind::Side => "A面",
        LocationKind::Section => "3节",
        LocationKind::Shelf => "4层",
        LocationKind::Safe => "保险柜1",
        LocationKind::Counter => "柜台",
        LocationKind::Drawer => "1号抽屉",
    }
}

/// Side letters as given (`A`, `b`, `A面`), in upper case; `None` for anything else.
pub fn parse_sides<'a>(sides: impl IntoIterator<Item = &'a str>) -> Option<Vec<char>> {
    sides
        .into_iter()
        .map(|side| {
            let side = side.trim();
            let side = side.strip_suffix('面').unwrap_or(side);
            let mut chars = side.chars();
            match (chars.next(), chars.next()) {
                (Some(letter), None) if letter.is_ascii_alphabetic() => {
                    Some(letter.to_ascii_uppercase())
                }
                _ => None,
            }
        })
        .collect()
}

/// The canonical name of a level of the hierarchy, as import writes it: `5`, `5列`,
/// `05列` and `五列` are all `05列`; `a` and `a面` are `A面`; a room's Chinese numerals
/// before 号 are digits. Other kinds keep their trimmed name.
fn canonical_name(kind: LocationKind, name: &str) -> Result<String> {
    let name = check_text(name, "位置名称", "location name", true)?;
    let bad = || LayoutRefusal::BadName {
        kind,
        name: name.clone(),
    };
    if name.contains('/') {
        return Err(bad().into());
    }
    let (suffix, level) = match kind {
        LocationKind::Room => return Ok(arabic_numerals(&name)),
        LocationKind::Rack => ("列", 1),
        LocationKind::Side => ("面", 2),
        LocationKind::Section => ("节", 3),
        LocationKind::Shelf => ("层", 4),
        LocationKind::Safe | LocationKind::Counter | LocationKind::Drawer => return Ok(name),
    };
    let with_suffix = if name.ends_with(suffix) {
        name.clone()
    } else {
        format!("{name}{suffix}")
    };
    let mut segments = ["房", "1列", "A面", "1节", "1层"];
    segments[level] = &with_suffix;
    let parsed = ShelfPath::parse(&segments.join("/")).map_err(|_| bad())?;
    parsed
        .levels()
        .into_iter()
        .nth(level)
        .map(|(_, name, _)| name)
        .ok_or_else(|| bad().into())
}

impl Tx<'_> {
    pub(super) fn contents_of(&self, location: Barcode) -> Result<Vec<Barcode>> {
        let key = keys::contents(location);
        match self.get_raw(&key)? {
            Some(bytes) => keys::unpack(&bytes).ok_or_else(|| StoreError::corrupt(&key)),
            None => Ok(Vec::new()),
        }
    }

    /// Puts `item` into `location`'s contents; returns how many items stand there now.
    pub(super) fn index_at(&self, location: Barcode, item: Barcode) -> Result<u64> {
        let mut contents = self.contents_of(location)?;
        if let Err(slot) = contents.binary_search(&item) {
            contents.insert(slot, item);
        }
        self.put_raw(&keys::contents(location), &keys::pack(&contents))?;
        Ok(contents.len() as u64)
    }

    pub(super) fn unindex_at(&self, location: Barcode, item: Barcode) -> Result<()> {
        let mut contents = self.contents_of(location)?;
        if let Ok(slot) = contents.binary_search(&item) {
            contents.remove(slot);
        }
        let key = keys::contents(location);
        if contents.is_empty() {
            self.remove(&key)
        } else {
            self.put_raw(&key, &keys::pack(&contents))
        }
    }

    /// A location things can be put into: one that holds items and is not retired.
    pub(super) fn require_shelf(&self, barcode: Barcode) -> Result<Location> {
        let location = self.require_location(barcode)?;
        if !location.kind.holds_items() {
            return Err(Refusal::NotAHoldingLocation {
                path: location.path,
            }
            .into());
        }
        if location.retired {
            return Err(LayoutRefusal::Retired {
                path: location.path,
            }
            .into());
        }
        Ok(location)
    }

    /// The location at `path`, if any.
    fn location_at(&self, path: &str) -> Result<Option<Location>> {
        match self
            .get_raw(&keys::path(path))?
            .and_then(|bytes| keys::trailing_barcode(&bytes))
        {
            Some(barcode) => self.require_location(barcode).map(Some),
            None => Ok(None),
        }
    }

    /// Adds a location under `parent`; what exists already (same path, same kind) is
    /// answered as it is.
    pub fn add_location(&mut self, new: &NewLocation) -> Result<Location> {
        self.define_location(new, false)
            .map(|defined| defined.location)
    }

    /// Defines a location under `parent` (a mobile rack when `mobile`): the kind must fit
    /// its parent ([`parent_fits`]), the name its level. What exists already with this path
    /// and kind is answered unchanged (`created: false`); the path as another kind is
    /// refused.
    pub fn define_location(&mut self, new: &NewLocation, mobile: bool) -> Result<Defined> {
        let name = canonical_name(new.kind, &new.name)?;
        let parent = new
            .parent
            .map(|parent| self.require_location(parent))
            .transpose()?;
        if !parent_fits(new.kind, parent.as_ref().map(|parent| parent.kind)) {
            return Err(LayoutRefusal::WrongParent {
                kind: new.kind,
                name,
                parent: parent.map(|parent| (parent.kind, parent.path)),
            }
            .into());
        }
        check_fields(new.kind, new.capacity.is_some(), mobile, &name)?;
        let path = match &parent {
            Some(parent) => format!("{}/{}", parent.path, name),
            None => name.clone(),
        };
        if let Some(existing) = self.location_at(&path)? {
            if existing.kind != new.kind {
                return Err(LayoutRefusal::KindClash {
                    path,
                    existing: existing.kind,
                    wanted: new.kind,
                }
                .into());
            }
            return Ok(Defined {
                location: existing,
                created: false,
            });
        }
        if let Some(parent) = &parent {
            if parent.retired {
                return Err(LayoutRefusal::Retired {
                    path: parent.path.clone(),
                }
                .into());
            }
        }
        let mut location = self.create_location(new.kind, name, new.parent, path, new.capacity)?;
        if mobile {
            location.mobile = true;
            self.put_item(&Item::Location(location.clone()))?;
        }
        Ok(Defined {
            location,
            created: true,
        })
    }

    pub(super) fn create_location(
        &mut self,
        kind: LocationKind,
        name: String,
        parent: Option<Barcode>,
        path: String,
        capacity: Option<u32>,
    ) -> Result<Location> {
        let barcode = self.new_barcode(Kind::Location)?;
        let location = Location {
            barcode,
            kind,
            name,
            parent,
            path,
            capacity,
            mobile: false,
            retired: false,
        };
        self.put_item(&Item::Location(location.clone()))?;
        self.put_raw(&keys::path(&location.path), &barcode.to_key())?;
        self.record(
            Some(barcode),
            EventKind::Registered,
            vec![Change::new(
                "path",
                None::<String>,
                Some(location.path.clone()),
            )],
        );
        Ok(location)
    }

    /// The location at `path`: an existing one by its exact path, or a shelf path of the
    /// hierarchy, creating the levels that are missing (never under a retired one).
    pub fn ensure_location(&mut self, path: &str) -> Result<Barcode> {
        let trimmed = path.trim();
        if let Some(bytes) = self.get_raw(&keys::path(trimmed))? {
            if let Some(barcode) = keys::trailing_barcode(&bytes) {
                return Ok(barcode);
            }
        }
        let shelf = ShelfPath::parse(trimmed)?;
        let mut parent: Option<Location> = None;
        for (kind, name, level_path) in shelf.levels() {
            let location = match self.location_at(&level_path)? {
                Some(location) => location,
                None => {
                    if let Some(retired) = parent.as_ref().filter(|parent| parent.retired) {
                        return Err(LayoutRefusal::Retired {
                            path: retired.path.clone(),
                        }
                        .into());
                    }
                    let parent = parent.as_ref().map(|parent| parent.barcode);
                    self.create_location(kind, name, parent, level_path, None)?
                }
            };
            parent = Some(location);
        }
        parent.map(|location| location.barcode).ok_or_else(|| {
            Refusal::Path(crate::model::PathError::Levels {
                path: trimmed.to_owned(),
            })
            .into()
        })
    }

    /// The counter location called `name`, created (kind counter, at the top of the
    /// hierarchy) the first time it is needed.
    pub fn ensure_counter(&mut self, name: &str) -> Result<Location> {
        if let Some(bytes) = self.get_raw(&keys::path(name))? {
            if let Some(barcode) = keys::trailing_barcode(&bytes) {
                return self.require_location(barcode);
            }
        }
        self.add_location(&NewLocation {
            kind: LocationKind::Counter,
            name: name.to_owned(),
            parent: None,
            capacity: None,
        })
    }

    /// Lays out a whole block in this one transaction: every level of every shelf path is
    /// created unless it exists. Existing locations stay as they are, except that an
    /// existing shelf without a capacity gets the block's; a retired location is reported
    /// and nothing is created under it; a path that exists as another kind refuses the
    /// whole block.
    pub fn lay_out(&mut self, block: &Block) -> Result<LayoutOutcome> {
        check_block(block)?;
        let shelves = block.shelf_count().unwrap_or(0);
        let mut outcome = LayoutOutcome {
            shelves,
            ..LayoutOutcome::default()
        };
        let room = self.lay_level(
            &mut outcome,
            None,
            LocationKind::Room,
            &block.room,
            (None, false),
        )?;
        let Some(room) = room else {
            return Ok(outcome);
        };
        outcome.room = Some(room.barcode);
        for rack_no in block.racks.0..=block.racks.1 {
            let rack = self.lay_level(
                &mut outcome,
                Some(&room),
                LocationKind::Rack,
                &format!("{rack_no:02}列"),
                (None, block.mobile),
            )?;
            let Some(rack) = rack else { continue };
            for side_letter in &block.sides {
                let side = self.lay_level(
                    &mut outcome,
                    Some(&rack),
                    LocationKind::Side,
                    &format!("{side_letter}面"),
                    (None, false),
                )?;
                let Some(side) = side else { continue };
                for section_no in 1..=block.sections {
                    let section = self.lay_level(
                        &mut outcome,
                        Some(&side),
                        LocationKind::Section,
                        &format!("{section_no}节"),
                        (None, false),
                    )?;
                    let Some(section) = section else { continue };
                    for shelf_no in 1..=block.shelves {
                        self.lay_level(
                            &mut outcome,
                            Some(&section),
                            LocationKind::Shelf,
                            &format!("{shelf_no}层"),
                            (block.capacity, false),
                        )?;
                    }
                }
            }
        }
        Ok(outcome)
    }

    /// One location of a block: created, or the existing one (a shelf without capacity
    /// gets `capacity`); `None` for a retired one (reported in `outcome`).
    fn lay_level(
        &mut self,
        outcome: &mut LayoutOutcome,
        parent: Option<&Location>,
        kind: LocationKind,
        name: &str,
        (capacity, mobile): (Option<u32>, bool),
    ) -> Result<Option<Location>> {
        let name = canonical_name(kind, name)?;
        let path = match parent {
            Some(parent) => format!("{}/{}", parent.path, name),
            None => name.clone(),
        };
        match self.location_at(&path)? {
            Some(existing) if existing.kind != kind => Err(LayoutRefusal::KindClash {
                path,
                existing: existing.kind,
                wanted: kind,
            }
            .into()),
            Some(existing) if existing.retired => {
                outcome.retired.push(existing.path);
                Ok(None)
            }
            Some(mut existing) => {
                outcome.existing += 1;
                if let (None, Some(capacity)) = (existing.capacity, capacity) {
                    existing.capacity = Some(capacity);
                    self.put_item(&Item::Location(existing.clone()))?;
                    self.record(
                        Some(existing.barcode),
                        EventKind::Edited,
                        vec![Change::new(
                            "capacity",
                            None::<String>,
                            Some(capacity.to_string()),
                        )],
                    );
                    outcome.capacity_set += 1;
                }
                Ok(Some(existing))
            }
            None => {
                let mut location = self.create_location(
                    kind,
                    name,
                    parent.map(|parent| parent.barcode),
                    path,
                    capacity,
                )?;
                if mobile {
                    location.mobile = true;
                    self.put_item(&Item::Location(location.clone()))?;
                }
                outcome.created += 1;
                Ok(Some(location))
            }
        }
    }

    /// Edits a location's capacity (a place that holds items) or mobile flag (a rack).
    pub fn edit_location(&mut self, barcode: Barcode, edit: &LocationEdit) -> Result<Location> {
        let mut location = self.require_location(barcode)?;
        if location.retired {
            return Err(LayoutRefusal::Retired {
                path: location.path,
            }
            .into());
        }
        check_fields(
            location.kind,
            edit.capacity.flatten().is_some(),
            edit.mobile == Some(true),
            &location.path,
        )?;
        let mut changes = Vec::new();
        if let Some(capacity) = edit.capacity {
            if capacity != location.capacity {
                changes.push(Change::new(
                    "capacity",
                    super::items::opt_text(&location.capacity),
                    super::items::opt_text(&capacity),
                ));
                location.capacity = capacity;
            }
        }
        if let Some(mobile) = edit.mobile {
            if mobile != location.mobile {
                changes.push(Change::new(
                    "mobile",
                    Some(super::items::yes_no(location.mobile)),
                    Some(super::items::yes_no(mobile)),
                ));
                location.mobile = mobile;
            }
        }
        if !changes.is_empty() {
            self.put_item(&Item::Location(location.clone()))?;
            self.record(Some(barcode), EventKind::Edited, changes);
        }
        Ok(location)
    }

    /// Retires `subtree` (a location first, then every location under it): refused while
    /// any of them holds an item. Each retired location records its event (with `reason`).
    fn retire_all(&mut self, subtree: &[Barcode], reason: &str) -> Result<u64> {
        let mut locations = Vec::with_capacity(subtree.len());
        for barcode in subtree {
            let location = self.require_location(*barcode)?;
            let count = self.contents_of(*barcode)?.len() as u64;
            if count > 0 {
                return Err(LayoutRefusal::NotEmpty {
                    path: location.path,
                    count,
                }
                .into());
            }
            locations.push(location);
        }
        let mut retired = 0;
        for mut location in locations.into_iter().filter(|location| !location.retired) {
            location.retired = true;
            self.put_item(&Item::Location(location.clone()))?;
            self.record(
                Some(location.barcode),
                EventKind::StatusChanged,
                vec![
                    Change::new("retired", Some("no"), Some("yes")),
                    Change::new("reason", None::<String>, Some(reason.to_owned())),
                ],
            );
            retired += 1;
        }
        Ok(retired)
    }
}

/// Capacity only where items stand; mobile only for a rack.
fn check_fields(kind: LocationKind, capacity: bool, mobile: bool, path: &str) -> Result<()> {
    if capacity && !kind.holds_items() {
        return Err(LayoutRefusal::FieldNotForKind {
            field: ("容量", "capacity"),
            kind,
            path: path.to_owned(),
        }
        .into());
    }
    if mobile && kind != LocationKind::Rack {
        return Err(LayoutRefusal::FieldNotForKind {
            field: ("密集架（可移动）", "mobile"),
            kind,
            path: path.to_owned(),
        }
        .into());
    }
    Ok(())
}

fn check_block(block: &Block) -> Result<()> {
    let invalid = |detail| Err(LayoutRefusal::BlockInvalid { detail }.into());
    if block.racks.0 == 0 || block.racks.1 < block.racks.0 {
        return invalid((
            "列号范围应为 1 起、由小到大",
            "the racks run from 1 upwards, first to last",
        ));
    }
    if block.racks.1 > 9999 {
        return invalid(("列号至多 9999", "rack numbers go up to 9999"));
    }
    if block.sides.is_empty() {
        return invalid((
            "至少需要一个面（如 A,B）",
            "at least one side is needed (such as A,B)",
        ));
    }
    let mut seen = Vec::new();
    for side in &block.sides {
        if !side.is_ascii_uppercase() || seen.contains(side) {
            return invalid(("面是不重复的字母 A–Z", "sides are distinct letters A–Z"));
        }
        seen.push(*side);
    }
    if block.sections == 0 || block.shelves == 0 || block.sections > 999 || block.shelves > 999 {
        return invalid((
            "节数和层数应在 1–999 之间",
            "sections and shelves are each 1–999",
        ));
    }
    match block.shelf_count() {
        Some(count) if count <= MAX_BLOCK_SHELVES => Ok(()),
        shelves => Err(LayoutRefusal::BlockTooLarge { shelves }.into()),
    }
}

impl Store {
    /// Adds a location (answers the existing one when it exists with this path and kind).
    pub fn add_location(&self, actor: &Actor, new: &NewLocation) -> Result<Location> {
        self.write(actor, |tx| tx.add_location(new))
    }

    /// Defines a location ([`Tx::define_location`]).
    pub fn define_location(
        &self,
        actor: &Actor,
        new: &NewLocation,
        mobile: bool,
    ) -> Result<Defined> {
        self.write(actor, |tx| tx.define_location(new, mobile))
    }

    /// Lays out a block in one atomic write ([`Tx::lay_out`]).
    pub fn lay_out(&self, actor: &Actor, block: &Block) -> Result<LayoutOutcome> {
        self.write(actor, |tx| tx.lay_out(block))
    }

    /// Edits a location ([`Tx::edit_location`]).
    pub fn edit_location(
        &self,
        actor: &Actor,
        barcode: Barcode,
        edit: &LocationEdit,
    ) -> Result<Location> {
        self.write(actor, |tx| tx.edit_location(barcode, edit))
    }

    /// Retires a location and every location under it, for `reason`: only when none of
    /// them holds an item. A retired location refuses every put and keeps its history;
    /// retiring it again changes nothing. Boxes whose home shelf it is keep that home (their
    /// history says where they belonged); they are shelved elsewhere with the not-home
    /// warning until their home is edited.
    pub fn retire_location(
        &self,
        actor: &Actor,
        barcode: Barcode,
        reason: &str,
    ) -> Result<Retired> {
        let reason = check_text(reason, "原因", "reason", false)?;
        if reason.is_empty() {
            return Err(LayoutRefusal::NoReason.into());
        }
        // The subtree is read from the path index before each write (a sled transaction
        // reads single keys only, and the store must not be read beside it). A location
        // added under it between the read and the write is caught by the next round, and
        // once the root is retired nothing new can be added under it: the rounds end.
        let mut count = 0;
        loop {
            let root = match self.get_item(barcode)? {
                Some(Item::Location(location)) => location,
                _ => return Err(Refusal::NotFound(barcode).into()),
            };
            let pending: Vec<Barcode> = std::iter::once(root.clone())
                .chain(self.locations_under(&root)?)
                .filter(|location| !location.retired)
                .map(|location| location.barcode)
                .collect();
            if pending.is_empty() {
                return Ok(Retired {
                    location: root,
                    count,
                });
            }
            count += self.write(actor, |tx| tx.retire_all(&pending, &reason))?;
        }
    }

    /// The location `text` names: its barcode, or its path (a shelf path in any form
    /// import accepts, such as `2号库房/1列/a面/1节/1层`).
    pub fn find_location(&self, text: &str) -> Result<Location> {
        let text = text.trim();
        if let Ok(barcode) = Barcode::parse(text) {
            if let Some(Item::Location(location)) = self.get_item(barcode)? {
                return Ok(location);
            }
        }
        if let Some(location) = self.location_by_path(text)? {
            return Ok(location);
        }
        if let Ok(shelf) = ShelfPath::parse(text) {
            if let Some(location) = self.location_by_path(&shelf.canonical())? {
                return Ok(location);
            }
        }
        Err(LayoutRefusal::Unknown {
            what: text.to_owned(),
        }
        .into())
    }

    /// Finds or creates the location at `path`.
    pub fn ensure_location(&self, actor: &Actor, path: &str) -> Result<Location> {
        let barcode = self.write(actor, |tx| tx.ensure_location(path))?;
        match self.get_item(barcode)? {
            Some(Item::Location(location)) => Ok(location),
            _ => Err(Refusal::NotFound(barcode).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Code;
    use crate::model::{CertificateKind, WalkingOrder};
    use crate::store::{NewBox, NewCertificate, StoreOptions};

    fn open(dir: &std::path::Path) -> Store {
        Store::open(dir, StoreOptions::default()).expect("store opens")
    }

    fn actor() -> Actor {
        Actor::new("P-layout")
    }

    fn code_of<T: std::fmt::Debug>(result: Result<T>) -> Code {
        match result {
            Err(StoreError::Refused(refusal)) => refusal.message().code,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn new(kind: LocationKind, name: &str, parent: Option<Barcode>) -> NewLocation {
        NewLocation {
            kind,
            name: name.into(),
            parent,
            capacity: None,
        }
    }

    fn block() -> Block {
        Block {
            room: "二号库房".into(),
            racks: (1, 12),
            sides: vec!['A', 'B'],
            sections: 5,
            shelves: 5,
            capacity: Some(40),
            mobile: true,
        }
    }

    fn all_locations(store: &Store) -> Vec<Location> {
        store
            .items_of_kind(Kind::Location)
            .map(|item| match item.expect("read") {
                Item::Location(location) => location,
                other => panic!("not a location: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_block_lays_out_every_shelf_once_with_the_paths_import_uses() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        // A shelf that an import made before, without a capacity.
        let imported = store
            .ensure_location(&actor(), "2号库房/3列/B面/2节/4层")
            .expect("imported shelf");
        let head = store.head().0;
        let outcome = store.lay_out(&actor(), &block()).expect("laid out");
        // 1 room + 12 racks + 24 sides + 120 sections + 600 shelves.
        assert_eq!(outcome.shelves, 600);
        assert_eq!(outcome.created + outcome.existing, 1 + 12 + 24 + 120 + 600);
        assert_eq!(outcome.existing, 5, "the imported path's five levels");
        assert_eq!(outcome.capacity_set, 1);
        assert!(outcome.retired.is_empty());
        // One event per location created, one for the capacity given.
        assert_eq!(store.head().0 - head, outcome.created + 1);
        let locations = all_locations(&store);
        assert_eq!(locations.len(), 757);
        let shelves: Vec<&Location> = locations
            .iter()
            .filter(|location| location.kind == LocationKind::Shelf)
            .collect();
        assert_eq!(shelves.len(), 600);
        assert!(shelves.iter().all(|shelf| shelf.capacity == Some(40)));
        // Every rack is mobile but the one the import made: an existing rack keeps its flag.
        assert!(locations
            .iter()
            .filter(|location| location.kind == LocationKind::Rack)
            .all(|rack| rack.mobile != rack.path.ends_with("/03列")));
        // Import's own parser finds the same shelves.
        let first = store
            .location_by_path("2号库房/01列/A面/1节/1层")
            .expect("read")
            .expect("laid out");
        assert_eq!(first.capacity, Some(40));
        let again = store
            .ensure_location(&actor(), "2号库房/1列/a面/1节/1层")
            .expect("found");
        assert_eq!(again.barcode, first.barcode);
        assert_eq!(
            store
                .location_by_path("2号库房/03列/B面/2节/4层")
                .expect("read")
                .map(|location| location.barcode),
            Some(imported.barcode)
        );
        let mut paths: Vec<String> = shelves.iter().map(|shelf| shelf.path.clone()).collect();
        paths.sort_by_key(|path| WalkingOrder::of(path));
        assert_eq!(
            paths.first().map(String::as_str),
            Some("2号库房/01列/A面/1节/1层")
        );
        assert_eq!(
            paths.last().map(String::as_str),
            Some("2号库房/12列/B面/5节/5层")
        );

        // The same block again: a no-op, nothing created, no event.
        let head = store.head().0;
        let outcome = store.lay_out(&actor(), &block()).expect("again");
        assert_eq!((outcome.created, outcome.existing), (0, 757));
        assert_eq!(store.head().0, head);
        assert_eq!(all_locations(&store).len(), 757);
    }

    #[test]
    fn a_block_too_large_or_malformed_is_refused_and_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let head = store.head();
        let huge = Block {
            racks: (1, 1200),
            ..block()
        };
        assert_eq!(
            code_of(store.lay_out(&actor(), &huge)),
            Code::LocationBlockTooLarge
        );
        for bad in [
            Block {
                racks: (5, 3),
                ..block()
            },
            Block {
                sides: vec![],
                ..block()
            },
            Block {
                sides: vec!['A', 'A'],
                ..block()
            },
            Block {
                sections: 0,
                ..block()
            },
        ] {
            assert_eq!(
                code_of(store.lay_out(&actor(), &bad)),
                Code::LocationBlockInvalid
            );
        }
        // A path of the block that exists as another kind refuses the whole block.
        let counter = store
            .add_location(&actor(), &new(LocationKind::Room, "3号库房", None))
            .expect("room");
        store
            .add_location(
                &actor(),
                &new(LocationKind::Counter, "01列", Some(counter.barcode)),
            )
            .expect("a counter named like a rack");
        let head_after = store.head();
        let clash = Block {
            room: "3号库房".into(),
            racks: (1, 2),
            ..block()
        };
        assert_eq!(
            code_of(store.lay_out(&actor(), &clash)),
            Code::LocationKindClash
        );
        assert_eq!(store.head(), head_after);
        assert_ne!(head, head_after);
        assert!(store
            .location_by_path("3号库房/02列")
            .expect("read")
            .is_none());
    }

    #[test]
    fn kinds_stand_only_under_their_parent_and_adding_twice_answers_the_same() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let room = store
            .define_location(&actor(), &new(LocationKind::Room, "一号库房", None), false)
            .expect("room");
        assert!(room.created);
        assert_eq!(room.location.path, "1号库房");
        let room = room.location.barcode;
        let safe = store
            .define_location(
                &actor(),
                &new(LocationKind::Safe, "保险柜1", Some(room)),
                false,
            )
            .expect("safe in a room");
        let drawer = store
            .define_location(
                &actor(),
                &new(LocationKind::Drawer, "1号抽屉", Some(safe.location.barcode)),
                false,
            )
            .expect("drawer");
        assert_eq!(drawer.location.path, "1号库房/保险柜1/1号抽屉");
        let rack = store
            .define_location(&actor(), &new(LocationKind::Rack, "5", Some(room)), true)
            .expect("rack");
        assert_eq!(rack.location.path, "1号库房/05列");
        assert!(rack.location.mobile);
        // Twice: the same location, not created, no event.
        let head = store.head();
        let again = store
            .define_location(
                &actor(),
                &new(LocationKind::Rack, "05列", Some(room)),
                false,
            )
            .expect("again");
        assert!(!again.created);
        assert_eq!(again.location, rack.location);
        assert_eq!(store.head(), head);
        // Refusals, each with its code, each changing nothing.
        let refusals = [
            (
                new(LocationKind::Drawer, "抽屉", Some(room)),
                Code::LocationWrongParent,
            ),
            (
                new(LocationKind::Drawer, "抽屉", None),
                Code::LocationNeedsParent,
            ),
            (
                new(LocationKind::Shelf, "1层", None),
                Code::LocationNeedsParent,
            ),
            (
                new(LocationKind::Shelf, "1层", Some(rack.location.barcode)),
                Code::LocationWrongParent,
            ),
            (
                new(LocationKind::Safe, "保险柜1", Some(rack.location.barcode)),
                Code::LocationWrongParent,
            ),
            (new(LocationKind::Side, "AB面", None), Code::LocationBadName),
            (
                new(LocationKind::Safe, "05列", Some(room)),
                Code::LocationKindClash,
            ),
            (
                NewLocation {
                    capacity: Some(3),
                    ..new(LocationKind::Rack, "06列", Some(room))
                },
                Code::LocationFieldNotForKind,
            ),
        ];
        for (location, code) in refusals {
            assert_eq!(
                code_of(store.define_location(&actor(), &location, false)),
                code,
                "{location:?}"
            );
        }
        assert_eq!(
            code_of(store.define_location(
                &actor(),
                &new(LocationKind::Safe, "保险柜2", None),
                true
            )),
            Code::LocationFieldNotForKind
        );
        assert_eq!(store.head(), head);
    }

    #[test]
    fn capacity_and_mobile_are_edited_with_an_event() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let shelf = store
            .ensure_location(&actor(), "1号库房/05列/A面/3节/4层")
            .expect("shelf");
        let rack = store
            .location_by_path("1号库房/05列")
            .expect("read")
            .expect("rack");
        let edited = store
            .edit_location(
                &actor(),
                shelf.barcode,
                &LocationEdit {
                    capacity: Some(Some(30)),
                    mobile: None,
                },
            )
            .expect("capacity");
        assert_eq!(edited.capacity, Some(30));
        let edited = store
            .edit_location(
                &actor(),
                rack.barcode,
                &LocationEdit {
                    capacity: None,
                    mobile: Some(true),
                },
            )
            .expect("mobile");
        assert!(edited.mobile);
        let history = store.history(rack.barcode).expect("history");
        assert_eq!(
            history.last().map(|event| event.body.kind),
            Some(EventKind::Edited)
        );
        let head = store.head();
        assert_eq!(
            code_of(store.edit_location(
                &actor(),
                shelf.barcode,
                &LocationEdit {
                    capacity: None,
                    mobile: Some(true),
                },
            )),
            Code::LocationFieldNotForKind
        );
        assert_eq!(
            code_of(store.edit_location(
                &actor(),
                rack.barcode,
                &LocationEdit {
                    capacity: Some(Some(3)),
                    mobile: None,
                },
            )),
            Code::LocationFieldNotForKind
        );
        assert_eq!(store.head(), head);
    }

    #[test]
    fn a_location_is_retired_only_when_empty_and_then_refuses_every_put() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let small = Block {
            room: "1号库房".into(),
            racks: (1, 2),
            sides: vec!['A'],
            sections: 1,
            shelves: 2,
            capacity: Some(10),
            mobile: false,
        };
        store.lay_out(&actor(), &small).expect("laid out");
        let shelf = store
            .location_by_path("1号库房/01列/A面/1节/2层")
            .expect("read")
            .expect("shelf");
        let rack = store
            .location_by_path("1号库房/01列")
            .expect("read")
            .expect("rack");
        let archive_box = store
            .register_box(
                &actor(),
                &NewBox {
                    archive_no: Some("2012鸿借字第001号".into()),
                    title: "借款合同".into(),
                    customer: "鸿达".into(),
                    home: Some(shelf.barcode),
                    ..NewBox::default()
                },
            )
            .expect("box");
        store
            .move_item(&actor(), archive_box.barcode, shelf.barcode)
            .expect("shelved");
        let head = store.head();
        assert_eq!(
            code_of(store.retire_location(&actor(), rack.barcode, "拆除")),
            Code::LocationNotEmpty
        );
        assert_eq!(
            code_of(store.retire_location(&actor(), rack.barcode, " ")),
            Code::LocationRetireReason
        );
        assert_eq!(store.head(), head);
        let other = store
            .location_by_path("1号库房/02列/A面/1节/1层")
            .expect("read")
            .expect("shelf");
        store
            .move_item(&actor(), archive_box.barcode, other.barcode)
            .expect("moved away");
        let retired = store
            .retire_location(&actor(), rack.barcode, "拆除")
            .expect("retired");
        // The rack, its side, its section and its two shelves.
        assert_eq!(retired.count, 5);
        assert!(retired.location.retired);
        let head = store.head();
        assert_eq!(
            code_of(store.move_item(&actor(), archive_box.barcode, shelf.barcode)),
            Code::LocationRetired
        );
        assert_eq!(
            code_of(store.define_location(
                &actor(),
                &new(LocationKind::Side, "B", Some(rack.barcode)),
                false
            )),
            Code::LocationRetired
        );
        assert_eq!(
            code_of(store.ensure_location(&actor(), "1号库房/01列/B面/1节/1层")),
            Code::LocationRetired
        );
        assert_eq!(store.head(), head);
        // History stays: the shelf's registration and its retirement.
        let kinds: Vec<EventKind> = store
            .history(shelf.barcode)
            .expect("history")
            .iter()
            .map(|event| event.body.kind)
            .collect();
        assert_eq!(kinds, vec![EventKind::Registered, EventKind::StatusChanged]);
        // A layout over it does not revive it: it is reported, nothing is created under it.
        let outcome = store
            .lay_out(
                &actor(),
                &Block {
                    sides: vec!['A', 'B'],
                    ..small
                },
            )
            .expect("laid out again");
        assert_eq!(outcome.retired, vec!["1号库房/01列".to_owned()]);
        assert!(store
            .location_by_path("1号库房/01列/B面")
            .expect("read")
            .is_none());
        assert!(store
            .location_by_path("1号库房/02列/B面/1节/2层")
            .expect("read")
            .is_some());
        // Retiring again changes nothing.
        let head = store.head();
        let again = store
            .retire_location(&actor(), rack.barcode, "拆除")
            .expect("again");
        assert_eq!(again.count, 0);
        assert_eq!(store.head(), head);
        // The box's home was on the retired rack: the next shelf it is put on becomes its
        // home, recorded, with no "not its home" warning.
        let next = store
            .location_by_path("1号库房/02列/A面/1节/2层")
            .expect("read")
            .expect("shelf");
        let moved = store
            .move_item(&actor(), archive_box.barcode, next.barcode)
            .expect("moved");
        assert!(moved.warnings.is_empty(), "{:?}", moved.warnings);
        match store.get_item(archive_box.barcode).expect("read") {
            Some(Item::Box(found)) => assert_eq!(found.home, Some(next.barcode)),
            other => panic!("{other:?}"),
        }
        let last = store.history(archive_box.barcode).expect("history");
        let changed: Vec<&str> = last
            .last()
            .map(|event| {
                event
                    .body
                    .changes
                    .iter()
                    .map(|c| c.field.as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(changed, ["place", "home"]);
        // From then on its old shelf is forgotten: elsewhere is "not its home" again.
        let moved = store
            .move_item(&actor(), archive_box.barcode, other.barcode)
            .expect("moved");
        assert_eq!(moved.warnings.len(), 1, "{:?}", moved.warnings);
    }

    #[test]
    fn a_certificate_goes_into_a_safe_or_its_drawer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let safe = store
            .add_location(&actor(), &new(LocationKind::Safe, "保险柜1", None))
            .expect("safe");
        let drawer = store
            .add_location(
                &actor(),
                &new(LocationKind::Drawer, "1号抽屉", Some(safe.barcode)),
            )
            .expect("drawer");
        let certificate = store
            .register_certificate(
                &actor(),
                &NewCertificate {
                    kind: CertificateKind::RealEstate,
                    number: "京(2012)第1号".into(),
                    archive_no: "2012鸿借字第001号".into(),
                },
            )
            .expect("certificate");
        store
            .move_item(&actor(), certificate.barcode, drawer.barcode)
            .expect("into the drawer");
        assert_eq!(
            store.barcodes_at(drawer.barcode, 10).expect("list"),
            vec![certificate.barcode]
        );
    }
}
