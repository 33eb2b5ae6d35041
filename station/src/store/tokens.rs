//! API tokens: each belongs to a person and acts with that person's role; the store keeps
//! only the SHA-256 of the secret, so a copy of the data directory reveals no token.

use super::{Refusal, StorageError};
use std::io::Read;

use sha2::{Digest, Sha256};

use super::{decode, keys, Actor, Result, Store, StoreError, Tx};
use crate::barcode::Barcode;
use crate::event::{Change, EventKind};
use crate::model::{Person, Token};

/// Length of a token's random part in bytes.
const SECRET_BYTES: usize = 32;

/// What a token may be used for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TokenKind {
    /// A person's own token: it acts with its person's role on every route.
    #[default]
    Person,
    /// A business system's token (`integration`): it may post archive tasks (and the other
    /// integration routes of issue #14) and nothing else; every other route refuses it.
    /// Kept under `I` + token number, so the token record's encoding is unchanged.
    Integration,
}

impl TokenKind {
    /// Its name in the API and on the command line (`person`, `integration`).
    pub fn name(self) -> &'static str {
        match self {
            TokenKind::Person => "person",
            TokenKind::Integration => "integration",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<TokenKind> {
        match name.trim() {
            "person" => Some(TokenKind::Person),
            "integration" => Some(TokenKind::Integration),
            _ => None,
        }
    }
}

/// A live token, its person and its kind, as a request is let in with them.
pub type Login = (Token, Person, TokenKind);

/// A token just created: the secret is shown this once and never stored.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The stored record.
    pub token: Token,
    /// The secret to give the person: `ast_` and 64 hex digits.
    pub secret: String,
}

/// The SHA-256 of a token's secret.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.trim().as_bytes()).into()
}

fn random_secret() -> Result<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .map_err(|source| StorageError::Io {
            context: "reading /dev/urandom for a token".to_owned(),
            source,
        })?;
    Ok(format!(
        "ast_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

impl Tx<'_> {
    fn create_token(
        &mut self,
        person: Barcode,
        label: &str,
        secret: &str,
        kind: TokenKind,
    ) -> Result<Token> {
        let owner = self.require_person(person)?;
        let id = self.next_counter(keys::TOKEN_COUNTER, u64::MAX, "token")?;
        let token = Token {
            id,
            person,
            label: label.trim().to_owned(),
            created_at: self.now,
            revoked_at: None,
        };
        let hash = hash_secret(secret);
        self.put(&keys::token(&hash), &token)?;
        self.put_raw(&keys::token_id(id), &hash)?;
        let mut changes = vec![
            Change::new("token", None::<String>, Some(id.to_string())),
            Change::new("owner", None::<String>, Some(owner.name)),
        ];
        if kind != TokenKind::Person {
            self.put(&keys::token_kind(id), &kind)?;
            changes.push(Change::new("kind", None::<String>, Some(kind.name())));
        }
        self.record(Some(person), EventKind::TokenCreated, changes);
        Ok(token)
    }

    fn revoke_token(&mut self, id: u64) -> Result<Token> {
        let hash = self
            .get_raw(&keys::token_id(id))?
            .ok_or(Refusal::UnknownToken(id))?;
        let hash: [u8; 32] = hash
            .as_ref()
            .try_into()
            .map_err(|_| StorageError::Corrupt {
                key: format!("T{id}"),
            })?;
        let key = keys::token(&hash);
        let mut token: Token = self.get(&key)?.ok_or(Refusal::UnknownToken(id))?;
        if token.revoked_at.is_none() {
            token.revoked_at = Some(self.now);
            self.put(&key, &token)?;
            self.record(
                Some(token.person),
                EventKind::TokenRevoked,
                vec![Change::new("token", Some(id.to_string()), Some("revoked"))],
            );
        }
        Ok(token)
    }
}

impl Store {
    /// Creates a token for `person`; the secret is in the answer and nowhere else.
    pub fn create_token(&self, actor: &Actor, person: Barcode, label: &str) -> Result<NewToken> {
        self.create_token_of_kind(actor, person, label, TokenKind::Person)
    }

    /// Creates a token of `kind` for `person` (an integration token is a business system's,
    /// issued in the name of the person responsible for it).
    pub fn create_token_of_kind(
        &self,
        actor: &Actor,
        person: Barcode,
        label: &str,
        kind: TokenKind,
    ) -> Result<NewToken> {
        let secret = random_secret()?;
        let token = self.write(actor, |tx| tx.create_token(person, label, &secret, kind))?;
        Ok(NewToken { token, secret })
    }

    /// The kind of token `id`.
    pub fn token_kind(&self, id: u64) -> Result<TokenKind> {
        Ok(self.get(&keys::token_kind(id))?.unwrap_or_default())
    }

    /// Revokes token `id`.
    pub fn revoke_token(&self, actor: &Actor, id: u64) -> Result<Token> {
        self.write(actor, |tx| tx.revoke_token(id))
    }

    /// The live token with this secret, and its person. A token found live is remembered
    /// ([`cached_login`](Store::cached_login)) until a change to any token or person.
    pub fn authenticate(&self, secret: &str) -> Result<Option<Login>> {
        let hash = hash_secret(secret);
        let generation = self.logins.generation();
        let Some(token) = self.get::<Token>(&keys::token(&hash))? else {
            return Ok(None);
        };
        if token.revoked_at.is_some() {
            return Ok(None);
        }
        match self.get_item(token.person)? {
            Some(crate::model::Item::Person(person)) if !self.has_left(person.barcode)? => {
                let kind = self.token_kind(token.id)?;
                let login = (token, person, kind);
                self.logins.remember(generation, hash, login.clone());
                Ok(Some(login))
            }
            _ => Ok(None),
        }
    }

    /// The live token with this secret and its person, if [`authenticate`](Store::authenticate)
    /// found it so since the last change to a token or a person: from memory, without
    /// touching the disk. `None` means "not known here", not "refused".
    pub fn cached_login(&self, secret: &str) -> Option<Login> {
        self.logins.get(&hash_secret(secret))
    }

    /// A number that moves with every committed change to a token or a person (someone
    /// added, renamed, given another role, leaving or back), before the change is
    /// answered: whoever keeps people in memory (the workflow engine's workstations)
    /// rereads them when it has moved.
    pub fn people_generation(&self) -> u64 {
        self.logins.generation()
    }

    /// Records that `person` was refused `what` for lack of the right role, `count` times
    /// (repeated denials are recorded together: the change `count` says how many, when
    /// more than one).
    pub fn record_denial(
        &self,
        actor: &Actor,
        person: Barcode,
        what: &str,
        count: u64,
    ) -> Result<()> {
        self.write(actor, |tx| {
            let mut changes = vec![Change::new("denied", None::<String>, Some(what.to_owned()))];
            if count > 1 {
                changes.push(Change::new(
                    "count",
                    None::<String>,
                    Some(count.to_string()),
                ));
            }
            tx.record(Some(person), EventKind::AccessDenied, changes);
            Ok(())
        })
    }

    /// Every token, live or revoked, by number.
    pub fn tokens(&self) -> Result<Vec<Token>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix([keys::TOKEN]) {
            let (key, value) = entry.map_err(StoreError::storage("reading tokens"))?;
            out.push(decode::<Token>(&value, &key)?);
        }
        out.sort_by_key(|token| token.id);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;
    use crate::store::{NewPerson, StoreOptions};

    #[test]
    fn a_token_authenticates_its_person_until_revoked_and_only_its_hash_is_stored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), StoreOptions::default()).expect("store");
        let actor = Actor::new("test");
        let person = store
            .add_person(
                &actor,
                &NewPerson {
                    name: "王主管".into(),
                    role: Role::Supervisor,
                    borrow_directly: false,
                },
            )
            .expect("person");
        let new = store
            .create_token(&actor, person.barcode, "counter pc")
            .expect("token");
        assert!(new.secret.starts_with("ast_") && new.secret.len() == 4 + 64);
        let (token, owner, kind) = store
            .authenticate(&new.secret)
            .expect("read")
            .expect("authenticates");
        assert_eq!(
            (token.id, owner.role, kind),
            (new.token.id, Role::Supervisor, TokenKind::Person)
        );
        assert!(store.authenticate("ast_wrong").expect("read").is_none());
        let raw: Vec<u8> = store
            .tree
            .iter()
            .flat_map(|entry| {
                let (key, value) = entry.expect("read");
                let mut pair = key.to_vec();
                pair.extend_from_slice(&value);
                pair
            })
            .collect();
        let secret = new.secret.as_bytes();
        assert!(
            !raw.windows(secret.len()).any(|window| window == secret),
            "the secret itself is not stored"
        );
        store.revoke_token(&actor, new.token.id).expect("revoked");
        assert!(store.authenticate(&new.secret).expect("read").is_none());
        assert!(matches!(
            store.revoke_token(&actor, 99),
            Err(StoreError::Refused(Refusal::UnknownToken(99)))
        ));
        assert_eq!(store.tokens().expect("list").len(), 1);
    }

    #[test]
    fn a_remembered_login_is_forgotten_by_any_change_to_a_token_or_a_person() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), StoreOptions::default()).expect("store");
        let actor = Actor::new("test");
        let add = |name: &str| {
            store
                .add_person(
                    &actor,
                    &NewPerson {
                        name: name.into(),
                        role: Role::Supervisor,
                        borrow_directly: false,
                    },
                )
                .expect("person")
        };
        let (chen, li) = (add("陈主管"), add("李主管"));
        let first = store.create_token(&actor, chen.barcode, "").expect("token");
        let second = store.create_token(&actor, li.barcode, "").expect("token");
        let log_in = |secret: &str| {
            store
                .authenticate(secret)
                .expect("read")
                .map(|(_, person, _)| person.role)
        };

        assert!(store.cached_login(&first.secret).is_none(), "not yet found");
        assert_eq!(log_in(&first.secret), Some(Role::Supervisor));
        assert_eq!(log_in(&second.secret), Some(Role::Supervisor));
        assert!(store.cached_login(&first.secret).is_some(), "remembered");
        assert!(store.cached_login("ast_wrong").is_none());

        // A refusal recorded against a person changes nothing of them.
        store
            .record_denial(&actor, chen.barcode, "see certificates", 1)
            .expect("recorded");
        assert!(store.cached_login(&first.secret).is_some());

        // Another person's token revoked: every login is looked up again, and the revoked
        // one is refused from the moment the revocation is answered.
        store
            .revoke_token(&actor, second.token.id)
            .expect("revoked");
        assert!(store.cached_login(&first.secret).is_none());
        assert!(store.cached_login(&second.secret).is_none());
        assert_eq!(log_in(&second.secret), None);
        assert_eq!(log_in(&first.secret), Some(Role::Supervisor));

        // A person demoted: the remembered role is not used any more.
        store
            .edit_person(
                &actor,
                chen.barcode,
                &crate::store::PersonEdit {
                    role: Some(Role::Clerk),
                    ..crate::store::PersonEdit::default()
                },
            )
            .expect("edited");
        assert!(store.cached_login(&first.secret).is_none());
        assert_eq!(log_in(&first.secret), Some(Role::Clerk));

        // A person who left: refused at once.
        store
            .edit_person(
                &actor,
                chen.barcode,
                &crate::store::PersonEdit {
                    active: Some(false),
                    ..crate::store::PersonEdit::default()
                },
            )
            .expect("left");
        assert!(store.cached_login(&first.secret).is_none());
        assert_eq!(log_in(&first.secret), None);
    }

    #[test]
    fn a_lookup_that_began_before_a_change_does_not_remember_its_answer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), StoreOptions::default()).expect("store");
        let person = store
            .add_person(
                &Actor::new("test"),
                &NewPerson {
                    name: "王档案员".into(),
                    role: Role::Clerk,
                    borrow_directly: false,
                },
            )
            .expect("person");
        let token = Token {
            id: 1,
            person: person.barcode,
            label: String::new(),
            created_at: 0,
            revoked_at: None,
        };
        let began = store.logins.generation();
        store.logins.forget();
        store.logins.remember(
            began,
            hash_secret("ast_x"),
            (token.clone(), person.clone(), TokenKind::Person),
        );
        assert!(
            store.cached_login("ast_x").is_none(),
            "stale answer dropped"
        );
        store.logins.remember(
            store.logins.generation(),
            hash_secret("ast_x"),
            (token, person, TokenKind::Person),
        );
        assert!(store.cached_login("ast_x").is_some());
    }
}

/// The most logins remembered at once (live tokens; a station has a few dozen).
const MAX_LOGINS: usize = 4096;

/// Live tokens found by [`Store::authenticate`], by secret hash. Any committed change to a
/// token or a person forgets them all ([`Logins::forget`], called by the commit before the
/// change is acknowledged), so a revoked token or a person who left is refused from the
/// moment the change is answered. A lookup that read the store before such a change does
/// not remember its (possibly stale) answer: it carries the generation it started in.
#[derive(Default)]
pub(super) struct Logins {
    known: std::sync::Mutex<Known>,
}

/// The remembered logins and the generation they belong to.
#[derive(Default)]
struct Known {
    generation: u64,
    by_hash: std::collections::HashMap<[u8; 32], Login>,
}

impl Logins {
    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        // Each operation is one insert, lookup or clear: a poisoned lock guards sound data.
        self.known
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn generation(&self) -> u64 {
        self.lock().generation
    }

    fn get(&self, hash: &[u8; 32]) -> Option<Login> {
        self.lock().by_hash.get(hash).cloned()
    }

    fn remember(&self, generation: u64, hash: [u8; 32], login: Login) {
        let mut known = self.lock();
        if known.generation == generation && known.by_hash.len() < MAX_LOGINS {
            known.by_hash.insert(hash, login);
        }
    }

    /// Forgets every login: a token or a person changed.
    pub(super) fn forget(&self) {
        let mut known = self.lock();
        known.generation += 1;
        known.by_hash.clear();
    }
}
