//! People: adding them, and after they were added a new name, a new role, direct borrowing on or off, and
//! leaving (and coming back). Someone who has left keeps their record and history, but
//! their badge no longer works at a scanner and their tokens no longer open the API.
//!
//! Leaving is a key of its own (`l` + badge), not a field of the person's record, so that
//! records written before it existed still decode.

use super::items::yes_no;
use super::keys;
use super::Refusal;
use super::Tx;
use super::{Actor, Result, Store, StoreError};
use crate::barcode::{Barcode, Kind};
use crate::event::{Change, EventKind};
use crate::model::check_text;
use crate::model::{Item, Person, Role};

/// Changes to a person; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonEdit {
    /// A new name.
    pub name: Option<String>,
    /// A new role.
    pub role: Option<Role>,
    /// Whether they may borrow without a supervisor's approval.
    pub borrow_directly: Option<bool>,
    /// `false`: they have left (badge and tokens stop working); `true`: they are back.
    pub active: Option<bool>,
}

impl Store {
    /// The person a scanned badge code stands for: their own code until their badge is
    /// replaced, then only the replacement's code. `None` for a code that is no badge at
    /// all; a replaced badge is refused (`person.badge_replaced`), whoever holds it now.
    pub fn badge_holder(&self, scanned: Barcode) -> Result<Option<Person>> {
        let read = |code: Barcode| -> Result<Option<Barcode>> {
            let key = keys::badge(code);
            match self
                .tree
                .get(&key)
                .map_err(StoreError::storage("reading a replaced badge"))?
            {
                Some(value) => keys::trailing_barcode(&value)
                    .map(Some)
                    .ok_or_else(|| StoreError::corrupt(&key)),
                None => Ok(None),
            }
        };
        match self.get_item(scanned)? {
            Some(Item::Person(person)) => match read(person.barcode)? {
                Some(_) => Err(Refusal::BadgeReplaced.into()),
                None => Ok(Some(person)),
            },
            Some(_) => Ok(None),
            None => {
                let Some(owner) = read(scanned)? else {
                    return Ok(None);
                };
                if read(owner)? != Some(scanned) {
                    return Err(Refusal::BadgeReplaced.into());
                }
                match self.get_item(owner)? {
                    Some(Item::Person(person)) => Ok(Some(person)),
                    _ => Err(StoreError::corrupt(&keys::badge(scanned))),
                }
            }
        }
    }

    /// The code on the badge `person` carries now: their own until it is replaced.
    pub fn current_badge(&self, person: Barcode) -> Result<Barcode> {
        let key = keys::badge(person);
        match self
            .tree
            .get(&key)
            .map_err(StoreError::storage("reading a replaced badge"))?
        {
            Some(value) => keys::trailing_barcode(&value).ok_or_else(|| StoreError::corrupt(&key)),
            None => Ok(person),
        }
    }

    /// Replaces `person`'s badge (lost or damaged): a new badge code is issued and from now
    /// on only it works at a scanner and for signing in by badge; every earlier badge of
    /// theirs is refused. The person keeps their identity (their own code in every record,
    /// token, loan and URL). Refused for someone who has left. Answers the new code.
    pub fn replace_badge(&self, actor: &Actor, person: Barcode) -> Result<Barcode> {
        self.write(actor, |tx| {
            let owner = tx.require_person(person)?;
            let before = match tx.get_raw(&keys::badge(person))? {
                Some(value) => keys::trailing_barcode(&value)
                    .ok_or_else(|| StoreError::corrupt(&keys::badge(person)))?,
                None => person,
            };
            let new = tx.new_barcode(Kind::Person)?;
            tx.put_raw(&keys::badge(new), &owner.barcode.to_key())?;
            tx.put_raw(&keys::badge(person), &new.to_key())?;
            tx.record(
                Some(person),
                EventKind::PersonEdited,
                vec![Change::new(
                    "badge",
                    Some(before.to_string()),
                    Some(new.to_string()),
                )],
            );
            Ok(new)
        })
    }

    /// Whether `person` has left.
    pub fn has_left(&self, person: Barcode) -> Result<bool> {
        Ok(self
            .tree
            .get(keys::departed(person))
            .map_err(StoreError::storage("reading who has left"))?
            .is_some())
    }

    /// Refuses the badge of someone who has left.
    pub fn require_active(&self, person: &Person) -> Result<()> {
        if self.has_left(person.barcode)? {
            return Err(Refusal::PersonLeft {
                barcode: person.barcode,
                name: person.name.clone(),
            }
            .into());
        }
        Ok(())
    }

    /// Changes `person` as `edit` says and answers the person and whether they are active.
    /// Refused (nothing changes) for an unknown badge, an empty or overlong name, and a
    /// change that would leave no active administrator. A change to what is already so
    /// records nothing.
    pub fn edit_person(
        &self,
        actor: &Actor,
        person: Barcode,
        edit: &PersonEdit,
    ) -> Result<(Person, bool)> {
        // sled cannot scan inside a transaction: the administrators are found first, and
        // the transaction rereads each of them (someone made administrator in between is
        // not counted, which can only refuse, never allow, the last one's demotion).
        let admins = self.admins()?;
        self.write(actor, |tx| {
            let before = tx.require_anyone(person)?;
            let was_active = tx.get_raw(&keys::departed(person))?.is_none();
            let mut after = before.clone();
            let mut changes = Vec::new();
            if let Some(name) = &edit.name {
                let name = crate::model::check_text(name, "姓名", "name", true)?;
                if name != after.name {
                    changes.push(Change::new(
                        "name",
                        Some(after.name.clone()),
                        Some(name.clone()),
                    ));
                    after.name = name;
                }
            }
            if let Some(role) = edit.role {
                if role != after.role {
                    changes.push(Change::new(
                        "role",
                        Some(format!("{:?}", after.role)),
                        Some(format!("{role:?}")),
                    ));
                    after.role = role;
                }
            }
            if let Some(direct) = edit.borrow_directly {
                if direct != after.borrow_directly {
                    changes.push(Change::new(
                        "borrow_directly",
                        Some(yes_no(after.borrow_directly)),
                        Some(yes_no(direct)),
                    ));
                    after.borrow_directly = direct;
                }
            }
            let active = edit.active.unwrap_or(was_active);
            if active != was_active {
                changes.push(Change::new(
                    "active",
                    Some(yes_no(was_active)),
                    Some(yes_no(active)),
                ));
            }
            if changes.is_empty() {
                return Ok((after, active));
            }
            let admin_lost =
                before.role == Role::Admin && was_active && (after.role != Role::Admin || !active);
            if admin_lost {
                let mut active_admins = 0;
                for admin in &admins {
                    let still_admin = matches!(
                        tx.item(*admin)?,
                        Some(Item::Person(person)) if person.role == Role::Admin
                    );
                    if still_admin && tx.get_raw(&keys::departed(*admin))?.is_none() {
                        active_admins += 1;
                    }
                }
                if active_admins <= 1 {
                    return Err(Refusal::LastAdmin.into());
                }
            }
            if active {
                tx.remove(&keys::departed(person))?;
            } else {
                tx.put_raw(&keys::departed(person), &[])?;
            }
            tx.put_item(&Item::Person(after.clone()))?;
            tx.record(Some(person), EventKind::PersonEdited, changes);
            Ok((after, active))
        })
    }

    /// Every administrator's badge, whether or not they have left.
    pub(super) fn admins(&self) -> Result<Vec<Barcode>> {
        let mut out = Vec::new();
        for item in self.items_of_kind(Kind::Person) {
            if let Item::Person(person) = item? {
                if person.role == Role::Admin {
                    out.push(person.barcode);
                }
            }
        }
        Ok(out)
    }
}

/// A person to add.
#[derive(Debug, Clone)]
pub struct NewPerson {
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// May borrow without approval.
    pub borrow_directly: bool,
}

impl Tx<'_> {
    /// Adds a person with a new badge barcode.
    pub fn add_person(&mut self, new: &NewPerson) -> Result<Person> {
        let name = check_text(&new.name, "姓名", "name", true)?;
        let person = Person {
            barcode: self.new_barcode(Kind::Person)?,
            name,
            role: new.role,
            borrow_directly: new.borrow_directly,
        };
        self.put_item(&Item::Person(person.clone()))?;
        self.record(
            Some(person.barcode),
            EventKind::Registered,
            vec![
                Change::new("name", None::<String>, Some(person.name.clone())),
                Change::new("role", None::<String>, Some(format!("{:?}", person.role))),
                Change::new(
                    "borrow_directly",
                    None::<String>,
                    Some(yes_no(person.borrow_directly)),
                ),
            ],
        );
        Ok(person)
    }
}

impl Store {
    /// Adds a person.
    pub fn add_person(&self, actor: &Actor, new: &NewPerson) -> Result<Person> {
        self.write(actor, |tx| tx.add_person(new))
    }
}
