//! Online backup: a consistent copy, key by key under the writer lock, into a fresh store.

use super::{Refusal, Result, Store, StoreError, StoreOptions};
use std::path::Path;

impl Store {
    /// Writes a consistent copy of the store into `target` (which must not exist or be
    /// empty) while the store stays open; writers wait during the copy.
    pub fn backup(&self, target: &Path) -> Result<u64> {
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
        let copy = Store::open(
            target,
            StoreOptions {
                cache_bytes: 16 * 1024 * 1024,
                ..self.options.clone()
            },
        )?;
        let _head = self.writer();
        let mut n_keys = 0u64;
        let mut batch = sled::Batch::default();
        let mut in_batch = 0;
        for entry in self.tree.iter() {
            let (key, value) = entry.map_err(StoreError::storage("reading for backup"))?;
            batch.insert(key, value);
            n_keys += 1;
            in_batch += 1;
            if in_batch == 10_000 {
                copy.tree
                    .apply_batch(std::mem::take(&mut batch))
                    .map_err(StoreError::storage("writing the backup"))?;
                in_batch = 0;
            }
        }
        copy.tree
            .apply_batch(batch)
            .map_err(StoreError::storage("writing the backup"))?;
        copy.tree
            .flush()
            .map_err(StoreError::storage("flushing the backup"))?;
        Ok(n_keys)
    }
}
