//! Locations: the room → rack → side → section → shelf hierarchy from canonical paths,
//! safes and counters, and the packed list of what stands at each location.

use super::Refusal;

use super::{keys, Actor, Result, Store, StoreError, Tx};
use crate::barcode::{Barcode, Kind};
use crate::event::{Change, EventKind};
use crate::model::{check_text, Item, Location, LocationKind, ShelfPath};

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

    pub(super) fn require_shelf(&self, barcode: Barcode) -> Result<Location> {
        let location = self.require_location(barcode)?;
        if !location.kind.holds_items() {
            return Err(Refusal::NotAHoldingLocation {
                path: location.path,
            }
            .into());
        }
        Ok(location)
    }

    /// Adds a location under `parent`.
    pub fn add_location(&mut self, new: &NewLocation) -> Result<Location> {
        let name = check_text(&new.name, "位置名称", "location name", true)?;
        if name.contains('/') {
            return Err(Refusal::Path(crate::model::PathError::Segment {
                path: name.clone(),
                level: 1,
                segment: name,
                expected: "保险柜1",
            })
            .into());
        }
        let path = match new.parent {
            Some(parent) => format!("{}/{}", self.require_location(parent)?.path, name),
            None => name.clone(),
        };
        if self.get_raw(&keys::path(&path))?.is_some() {
            return Err(Refusal::DuplicatePath(path).into());
        }
        self.create_location(new.kind, name, new.parent, path, new.capacity)
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
    /// hierarchy, creating the levels that are missing.
    pub fn ensure_location(&mut self, path: &str) -> Result<Barcode> {
        let trimmed = path.trim();
        if let Some(bytes) = self.get_raw(&keys::path(trimmed))? {
            if let Some(barcode) = keys::trailing_barcode(&bytes) {
                return Ok(barcode);
            }
        }
        let shelf = ShelfPath::parse(trimmed)?;
        let mut parent = None;
        for (kind, name, level_path) in shelf.levels() {
            let existing = self
                .get_raw(&keys::path(&level_path))?
                .and_then(|bytes| keys::trailing_barcode(&bytes));
            let barcode = match existing {
                Some(barcode) => barcode,
                None => {
                    self.create_location(kind, name, parent, level_path, None)?
                        .barcode
                }
            };
            parent = Some(barcode);
        }
        parent.ok_or_else(|| {
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
}

impl Store {
    /// Adds a location.
    pub fn add_location(&self, actor: &Actor, new: &NewLocation) -> Result<Location> {
        self.write(actor, |tx| tx.add_location(new))
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
