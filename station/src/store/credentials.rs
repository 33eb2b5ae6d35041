//! Passwords and badge PINs: what people sign in to the pages with. Each is kept only as an
//! argon2id hash (a PHC string: algorithm, parameters, salt and hash) in the key family `Z`
//! (one record per person, `Z` + badge), never in clear and never in an event: setting
//! one records a `PersonEdited` event that says *that* it was set, not what it is.
//!
//! The policy ([`check_password`], [`check_pin`]) is checked before anything is hashed or
//! stored; a refusal is a catalog message and changes nothing.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};

use super::{keys, Actor, Result, Store, StoreError};
use crate::barcode::{Barcode, Kind};
use crate::event::{Change, EventKind};
use crate::message;
use crate::message::Message;
use crate::model::{Item, Millis, Person};

/// The fewest characters a password has.
pub const PASSWORD_MIN_CHARS: usize = 10;

/// The most characters a password has (hashing a longer one would only cost time).
pub const PASSWORD_MAX_CHARS: usize = 128;

/// The digits a badge PIN has, at least and at most.
pub const PIN_DIGITS: std::ops::RangeInclusive<usize> = 4..=8;

/// A person's sign-in secrets, as hashes (record family `credentials`, version 1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The password's argon2id PHC string.
    pub password: Option<String>,
    /// When the password was last set.
    pub password_set_at: Option<Millis>,
    /// The badge PIN's argon2id PHC string.
    pub pin: Option<String>,
    /// When the PIN was last set.
    pub pin_set_at: Option<Millis>,
}

/// Which secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// The password (signing in by name).
    Password,
    /// The badge PIN (signing in by badge).
    Pin,
}

/// Refuses a password that is too short or too long, only digits, or the person's name or
/// badge code (ignoring case and spaces around it).
pub fn check_password(password: &str, person: &Person) -> std::result::Result<(), Message> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(message!(PasswordTooShort, min = PASSWORD_MIN_CHARS));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(message!(PasswordTooLong, max = PASSWORD_MAX_CHARS));
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Err(message!(PasswordOnlyDigits));
    }
    let folded = password.trim().to_lowercase();
    let name = person.name.trim().to_lowercase();
    let badge = person.barcode.to_string().to_lowercase();
    if folded == name || folded.contains(&badge) {
        return Err(message!(PasswordIsName));
    }
    Ok(())
}

/// Refuses a PIN that is not 4–8 ASCII digits.
pub fn check_pin(pin: &str) -> std::result::Result<(), Message> {
    if PIN_DIGITS.contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(message!(
            PinInvalid,
            min = *PIN_DIGITS.start(),
            max = *PIN_DIGITS.end()
        ))
    }
}

/// The argon2id hash (PHC string) of `secret` with a new random salt from the OS.
pub fn hash_secret(secret: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| {
            StoreError::from(super::StorageError::Io {
                context: "hashing a password".to_owned(),
                source: std::io::Error::other(error.to_string()),
            })
        })
}

/// Whether `secret` matches the PHC string `hash` (a hash that does not parse matches
/// nothing).
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the time of one verification without any stored hash, so that a name nobody has
/// answers as slowly as a wrong password.
pub fn verify_nothing(secret: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(hash) = DUMMY.get_or_init(|| hash_secret("not anyone's password").ok()) {
        let _ = verify_secret(secret, hash);
    }
}

/// A new badge PIN: six digits from the OS's random source, each equally likely.
pub fn generate_pin() -> Result<String> {
    use argon2::password_hash::rand_core::RngCore;
    let mut out = String::with_capacity(6);
    while out.len() < 6 {
        let mut byte = [0u8; 1];
        OsRng.try_fill_bytes(&mut byte).map_err(|error| {
            StoreError::from(super::StorageError::Io {
                context: "reading the OS's random source for a PIN".to_owned(),
                source: std::io::Error::other(error.to_string()),
            })
        })?;
        // Bytes below 250 (25 × 10), so that every digit is equally likely.
        if byte[0] < 250 {
            out.push(char::from(b'0' + byte[0] % 10));
        }
    }
    Ok(out)
}

/// A new password that meets the policy: 16 characters of letters and digits that are not
/// easily mistaken for one another (no 0/O, 1/l/I), from the OS's random source.
pub fn generate_password() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    use argon2::password_hash::rand_core::RngCore;
    let mut out = String::with_capacity(16);
    while out.chars().count() < 16 {
        let mut byte = [0u8; 1];
        OsRng.try_fill_bytes(&mut byte).map_err(|error| {
            StoreError::from(super::StorageError::Io {
                context: "reading the OS's random source for a password".to_owned(),
                source: std::io::Error::other(error.to_string()),
            })
        })?;
        // 56 letters: take bytes below 224 (4 × 56) so that every one is equally likely.
        if usize::from(byte[0]) < 4 * ALPHABET.len() {
            out.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    // Letters and digits both: never only digits, never a name.
    if out.bytes().all(|b| b.is_ascii_digit()) {
        out.replace_range(0..1, "k");
    }
    Ok(out)
}

impl Store {
    /// `person`'s stored hashes (none when nothing was ever set).
    pub fn credentials(&self, person: Barcode) -> Result<Credentials> {
        Ok(self
            .get::<Credentials>(&keys::credentials(person))?
            .unwrap_or_default())
    }

    /// Stores `hash` (from [`hash_secret`]) as `person`'s password or PIN and records that it
    /// was set (never the secret or its hash). Refused for an unknown badge or someone who
    /// has left.
    pub fn set_secret(
        &self,
        actor: &Actor,
        person: Barcode,
        which: Secret,
        hash: &str,
    ) -> Result<Person> {
        self.write(actor, |tx| {
            let owner = tx.require_person(person)?;
            let key = keys::credentials(person);
            let mut credentials: Credentials = tx.get(&key)?.unwrap_or_default();
            let (field, had) = match which {
                Secret::Password => {
                    let had = credentials.password.is_some();
                    credentials.password = Some(hash.to_owned());
                    credentials.password_set_at = Some(tx.now);
                    ("password", had)
                }
                Secret::Pin => {
                    let had = credentials.pin.is_some();
                    credentials.pin = Some(hash.to_owned());
                    credentials.pin_set_at = Some(tx.now);
                    ("pin", had)
                }
            };
            tx.put(&key, &credentials)?;
            let before = had.then_some("set");
            let after = if had { "changed" } else { "set" };
            tx.record(
                Some(person),
                EventKind::PersonEdited,
                vec![Change::new(field, before, Some(after))],
            );
            Ok(owner)
        })
    }

    /// Checks `secret` against the policy for `person` (a password: [`check_password`]; a
    /// PIN: [`check_pin`]), hashes it and stores it with [`Store::set_secret`]. The API's
    /// reset and the CLI's `person password|pin` both set secrets through here. `Ok(Err(_))`
    /// is the policy's refusal: nothing was stored.
    pub fn set_checked_secret(
        &self,
        actor: &Actor,
        person: Barcode,
        which: Secret,
        secret: &str,
    ) -> Result<std::result::Result<Person, Message>> {
        let owner = match self.get_item(person)? {
            Some(Item::Person(owner)) => owner,
            Some(_) => return Err(StoreError::wrong_kind(person, Kind::Person)),
            None => return Err(StoreError::Refused(super::Refusal::NotFound(person))),
        };
        let policy = match which {
            Secret::Password => check_password(secret, &owner),
            Secret::Pin => check_pin(secret),
        };
        if let Err(message) = policy {
            return Ok(Err(message));
        }
        let hash = hash_secret(secret)?;
        self.set_secret(actor, person, which, &hash).map(Ok)
    }

    /// The people who have not left and are called `name` (after trimming).
    pub fn active_people_named(&self, name: &str) -> Result<Vec<Person>> {
        let name = name.trim();
        let mut out = Vec::new();
        for item in self.items_of_kind(Kind::Person) {
            if let Item::Person(person) = item? {
                if person.name == name && !self.has_left(person.barcode)? {
                    out.push(person);
                }
            }
        }
        Ok(out)
    }

    /// The person with badge `barcode` if they have not left.
    pub fn active_person(&self, barcode: Barcode) -> Result<Option<Person>> {
        match self.get_item(barcode)? {
            Some(Item::Person(person)) if !self.has_left(person.barcode)? => Ok(Some(person)),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    fn person(name: &str) -> Person {
        Person {
            barcode: Barcode::new(Kind::Person, 14).expect("badge"),
            name: name.to_owned(),
            role: Role::Clerk,
            borrow_directly: false,
        }
    }

    #[test]
    fn a_hash_is_argon2id_salted_and_verifies_only_its_secret() {
        let first = hash_secret("correct horse 9").expect("hash");
        let second = hash_secret("correct horse 9").expect("hash");
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "each hash has its own salt");
        assert!(!first.contains("correct horse"));
        assert!(verify_secret("correct horse 9", &first));
        assert!(verify_secret("correct horse 9", &second));
        assert!(!verify_secret("correct horse 8", &first));
        assert!(!verify_secret("correct horse 9", "not a hash"));
    }

    #[test]
    fn the_password_policy_refuses_short_digit_only_and_own_name_or_badge() {
        let wang = person("王芳王芳王芳王芳王芳");
        let code = |password: &str| {
            check_password(password, &wang)
                .err()
                .map(|message| message.code.as_str())
        };
        assert_eq!(code("short1"), Some("password.too_short"));
        assert_eq!(code("123456789012"), Some("password.only_digits"));
        assert_eq!(code(" 王芳王芳王芳王芳王芳 "), Some("password.is_name"));
        let badge = wang.barcode.to_string().to_lowercase();
        assert_eq!(code(&format!("x-{badge}-x")), Some("password.is_name"));
        assert_eq!(code(&"a".repeat(129)), Some("password.too_long"));
        assert_eq!(
            code("档案室的春天2026"),
            None,
            "ten characters, not only digits"
        );
        assert_eq!(code("abcdefghij"), None);
    }

    #[test]
    fn a_pin_is_four_to_eight_digits() {
        for good in ["1234", "12345678", "0000"] {
            assert!(check_pin(good).is_ok(), "{good}");
        }
        for bad in ["123", "123456789", "12a4", "１２３４", ""] {
            assert_eq!(
                check_pin(bad).err().map(|message| message.code.as_str()),
                Some("pin.invalid"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_generated_password_meets_the_policy() {
        for _ in 0..20 {
            let password = generate_password().expect("password");
            assert_eq!(password.chars().count(), 16);
            assert!(
                check_password(&password, &person("管理员")).is_ok(),
                "{password}"
            );
        }
    }

    #[test]
    fn setting_a_secret_is_recorded_without_it_and_verify_checks_the_family() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), super::super::StoreOptions::default()).expect("open");
        let actor = Actor::new("P-test@api");
        let wang = store
            .add_person(
                &actor,
                &crate::store::NewPerson {
                    name: "王芳".into(),
                    role: Role::Clerk,
                    borrow_directly: false,
                },
            )
            .expect("add");
        let hash = hash_secret("档案室的春天2026").expect("hash");
        store
            .set_secret(&actor, wang.barcode, Secret::Password, &hash)
            .expect("set");
        store
            .set_secret(
                &actor,
                wang.barcode,
                Secret::Pin,
                &hash_secret("4321").expect("hash"),
            )
            .expect("set");
        let stored = store.credentials(wang.barcode).expect("read");
        assert_eq!(stored.password.as_deref(), Some(hash.as_str()));
        assert!(verify_secret(
            "4321",
            stored.pin.as_deref().unwrap_or_default()
        ));
        let history = store.history(wang.barcode).expect("history");
        let edits: Vec<String> = history
            .iter()
            .filter(|event| event.body.kind == EventKind::PersonEdited)
            .map(|event| format!("{:?}", event.body))
            .collect();
        assert_eq!(edits.len(), 2, "{edits:?}");
        for edit in &edits {
            assert!(
                !edit.contains("春天") && !edit.contains("4321") && !edit.contains("argon2"),
                "{edit}"
            );
        }
        let report = store.verify().expect("verify");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        // A record of nobody is found by verify.
        store
            .tree
            .insert(
                keys::credentials(Barcode::new(Kind::Person, 999).expect("badge")),
                super::super::encode(&Credentials::default()),
            )
            .expect("insert");
        let report = store.verify().expect("verify");
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        // Someone who has left cannot be given one.
        store
            .edit_person(
                &actor,
                wang.barcode,
                &crate::store::PersonEdit {
                    active: Some(false),
                    ..Default::default()
                },
            )
            .expect("leave");
        assert!(store
            .set_secret(&actor, wang.barcode, Secret::Pin, &hash)
            .is_err());
    }
}
