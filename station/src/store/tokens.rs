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
    fn create_token(&mut self, person: Barcode, label: &str, secret: &str) -> Result<Token> {
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
        self.record(
            Some(person),
            EventKind::TokenCreated,
            vec![
                Change::new("token", None::<String>, Some(id.to_string())),
                Change::new("owner", None::<String>, Some(owner.name)),
            ],
        );
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
        let secret = random_secret()?;
        let token = self.write(actor, |tx| tx.create_token(person, label, &secret))?;
        Ok(NewToken { token, secret })
    }

    /// Revokes token `id`.
    pub fn revoke_token(&self, actor: &Actor, id: u64) -> Result<Token> {
        self.write(actor, |tx| tx.revoke_token(id))
    }

    /// The live token with this secret, and its person.
    pub fn authenticate(&self, secret: &str) -> Result<Option<(Token, Person)>> {
        let Some(token) = self.get::<Token>(&keys::token(&hash_secret(secret)))? else {
            return Ok(None);
        };
        if token.revoked_at.is_some() {
            return Ok(None);
        }
        match self.get_item(token.person)? {
            Some(crate::model::Item::Person(person)) if !self.has_left(person.barcode)? => {
                Ok(Some((token, person)))
            }
            _ => Ok(None),
        }
    }

    /// Records that `person` was refused `what` for lack of the right role.
    pub fn record_denial(&self, actor: &Actor, person: Barcode, what: &str) -> Result<()> {
        self.write(actor, |tx| {
            tx.record(
                Some(person),
                EventKind::AccessDenied,
                vec![Change::new("denied", None::<String>, Some(what.to_owned()))],
            );
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
        let (token, owner) = store
            .authenticate(&new.secret)
            .expect("read")
            .expect("authenticates");
        assert_eq!((token.id, owner.role), (new.token.id, Role::Supervisor));
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
}
