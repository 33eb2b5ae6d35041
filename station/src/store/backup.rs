//! Online backup into a fresh store, while writers keep going (a hot backup).
//!
//! 1. Under the writer lock, only for a moment: the store starts following writes (every
//!    committed transaction adds the keys it wrote to a set, [`Follow`]).
//! 2. Without any lock: every key is copied as the tree's iterator finds it. The copy is
//!    fuzzy (a transaction committed meanwhile may be seen in part), but every key such a
//!    transaction wrote is in the followed set.
//! 3. Without any lock: the keys written meanwhile are copied again, round after round,
//!    while there are many (each round copies the keys written during the one before).
//! 4. Under the writer lock, for the last few keys only: they are copied a last time and
//!    following stops. The copy is now exactly the store as it stood at that instant: every
//!    change committed before it, none after. Then the copy is flushed and synced.
//!
//! **Invariant:** a backup holds the writer lock only at its start and for its final pass
//! (the keys written since the previous round), never for the whole copy.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::{Refusal, Result, Store, StoreError, StoreOptions};

/// Keys written since an online backup began (the one under way, if any).
#[derive(Default)]
pub(super) struct Follow {
    on: AtomicBool,
    written: Mutex<HashSet<Vec<u8>>>,
}

impl Follow {
    /// Whether a backup follows writes now (read under the writer lock).
    pub(super) fn is_on(&self) -> bool {
        self.on.load(Ordering::SeqCst)
    }

    /// Adds the keys a committed transaction wrote (called under the writer lock).
    pub(super) fn record(&self, keys: Vec<Vec<u8>>) {
        self.lock().extend(keys);
    }

    /// The keys written since the last call.
    fn take(&self) -> HashSet<Vec<u8>> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<Vec<u8>>> {
        // Whole keys are added and taken: a poisoned lock still guards a sound set.
        self.written
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// Stops following writes when the backup ends, however it ends.
struct Following<'a>(&'a Follow);

impl Drop for Following<'_> {
    fn drop(&mut self) {
        self.0.on.store(false, Ordering::SeqCst);
        self.0.take();
    }
}

/// Fewer keys written since the last round than this, and the final pass (under the writer
/// lock) copies them.
const FINAL_PASS_KEYS: usize = 1_000;

/// Rounds of catching up without the lock before the final pass takes what is left (so
/// that a backup ends even while writers never pause).
const MAX_ROUNDS: usize = 8;

/// Keys per batch written into the copy.
const BATCH_KEYS: usize = 10_000;

impl Store {
    /// Writes a copy of the store into `target` (which must not exist or be empty) while
    /// the store stays open and writers keep going. The copy is the store as it stood at
    /// one instant near the end of the backup: every change committed before it, none
    /// after. Answers how many keys the copy holds.
    pub fn backup(&self, target: &Path) -> Result<u64> {
        self.backup_with(target, &mut |_| {})
    }

    /// [`Store::backup`], calling `copied(n)` after each of the first pass's keys (tests
    /// write while the copy is under way).
    pub(super) fn backup_with(&self, target: &Path, copied: &mut dyn FnMut(u64)) -> Result<u64> {
        let target_display = target.display().to_string();
        let refuse = |zh: &str, en: &str| -> StoreError {
            Refusal::BackupTarget {
                path: target_display.clone(),
                reason: crate::message::Bilingual::new(zh, en),
            }
            .into()
        };
        if let Ok(mut entries) = std::fs::read_dir(target) {
            if entries.next().is_some() {
                return Err(refuse("目录非空", "the directory is not empty"));
            }
        }
        if let (Ok(source), Ok(dest)) = (self.dir.canonicalize(), target.canonicalize()) {
            if dest.starts_with(&source) {
                return Err(refuse(
                    "不能备份到数据目录内",
                    "it is inside the data directory",
                ));
            }
        }
        // The copy is the whole ledger: owner-only, even in a directory made beforehand.
        if target.is_dir() {
            crate::files::restrict(target).map_err(|source| {
                StoreError::from(super::StorageError::Io {
                    context: format!("making {target_display} owner-only"),
                    source,
                })
            })?;
        }
        if self.follow.is_on() {
            return Err(refuse("另一个备份正在进行", "another backup is under way"));
        }
        let copy = Store::open(
            target,
            StoreOptions {
                cache_bytes: 16 * 1024 * 1024,
                ..self.options.clone()
            },
        )?;
        let following = {
            let _head = self.writer();
            if self.follow.on.swap(true, Ordering::SeqCst) {
                return Err(refuse("另一个备份正在进行", "another backup is under way"));
            }
            Following(&self.follow)
        };

        // The first pass, fuzzy, without any lock.
        let mut n_copied = 0u64;
        let mut batches = Batches::new(&copy);
        for entry in self.tree.iter() {
            let (key, value) = entry.map_err(StoreError::storage("reading for backup"))?;
            batches.put(&key, Some(value))?;
            n_copied += 1;
            copied(n_copied);
        }
        batches.finish()?;

        // Catching up without the lock while many keys were written meanwhile.
        let mut written = following.0.take();
        for _ in 0..MAX_ROUNDS {
            if written.len() < FINAL_PASS_KEYS {
                break;
            }
            self.copy_keys(&copy, &written)?;
            written = following.0.take();
        }

        // The final pass, under the writer lock: the copy becomes exact.
        let up_to = {
            let head = self.writer();
            written.extend(following.0.take());
            self.copy_keys(&copy, &written)?;
            drop(following);
            head.seq
        };
        copy.flush()?;
        let n_keys = copy.tree.len() as u64;
        tracing::info!(
            target = %target.display(),
            keys = n_keys,
            up_to_event = up_to,
            "backup complete"
        );
        Ok(n_keys)
    }

    /// Copies `keys` as they are now into `copy` (a key gone is removed there).
    fn copy_keys(&self, copy: &Store, keys: &HashSet<Vec<u8>>) -> Result<()> {
        let mut batches = Batches::new(copy);
        for key in keys {
            let value = self
                .tree
                .get(key)
                .map_err(StoreError::storage("reading for backup"))?;
            batches.put(key, value)?;
        }
        batches.finish()
    }
}

/// Writes into the copy in batches of [`BATCH_KEYS`] keys.
struct Batches<'a> {
    copy: &'a Store,
    batch: sled::Batch,
    in_batch: usize,
}

impl<'a> Batches<'a> {
    fn new(copy: &'a Store) -> Batches<'a> {
        Batches {
            copy,
            batch: sled::Batch::default(),
            in_batch: 0,
        }
    }

    /// Sets `key` to `value` in the copy (removes it for `None`), writing a full batch.
    fn put(&mut self, key: &[u8], value: Option<sled::IVec>) -> Result<()> {
        match value {
            Some(value) => self.batch.insert(key, value),
            None => self.batch.remove(key),
        }
        self.in_batch += 1;
        if self.in_batch == BATCH_KEYS {
            self.in_batch = 0;
            let full = std::mem::take(&mut self.batch);
            self.write(full)?;
        }
        Ok(())
    }

    /// Writes what is left.
    fn finish(mut self) -> Result<()> {
        let batch = std::mem::take(&mut self.batch);
        self.write(batch)
    }

    fn write(&self, batch: sled::Batch) -> Result<()> {
        self.copy
            .tree
            .apply_batch(batch)
            .map_err(StoreError::storage("writing the backup"))
    }
}
