//! Owner-only files: the data directory, the store's files, labels written to a
//! directory, backups and the control socket hold the whole ledger (names, loans,
//! certificates), so the station creates them readable by their owner alone (directories
//! 0700, files 0600), whatever the umask, and warns when it finds a data directory others
//! can read.
//!
//! The mode is set explicitly on each directory and file the station creates (a umask can
//! only take bits away, and a chmod after creation sets exactly what is wanted); files
//! sled creates itself are chmodded after the store is opened, and `station serve` also
//! sets the umask to 077 (see `cli::serve`).

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// The mode of every directory the station creates.
pub const PRIVATE_DIR: u32 = 0o700;
/// The mode of every file the station creates.
pub const PRIVATE_FILE: u32 = 0o600;

/// Creates `dir` and whichever of its parents are missing, each owner-only (0700). A
/// directory that exists already keeps its mode (see [`open_to_others`]).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        create_private_dir(parent)?;
    }
    match fs::DirBuilder::new().mode(PRIVATE_DIR).create(dir) {
        Ok(()) => fs::set_permissions(dir, fs::Permissions::from_mode(PRIVATE_DIR)),
        // Made by someone else in between: it keeps its mode, like any existing one.
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(error) => Err(error),
    }
}

/// Options that create a file owner-only (0600).
pub fn private_file() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options.mode(PRIVATE_FILE);
    options
}

/// Makes `path` owner-only: 0600 for a file (a socket too), 0700 for a directory and,
/// inside it, every directory and file (symbolic links are left alone).
pub fn restrict(path: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    if meta.is_dir() {
        fs::set_permissions(path, fs::Permissions::from_mode(PRIVATE_DIR))?;
        for entry in fs::read_dir(path)? {
            restrict(&entry?.path())?;
        }
        Ok(())
    } else {
        fs::set_permissions(path, fs::Permissions::from_mode(PRIVATE_FILE))
    }
}

/// The permission bits of `dir` when users other than its owner may read, write or enter
/// it; `None` when it is owner-only.
pub fn open_to_others(dir: &Path) -> io::Result<Option<u32>> {
    let mode = fs::metadata(dir)?.permissions().mode() & 0o777;
    Ok((mode & 0o077 != 0).then_some(mode))
}

/// The command that makes `dir` and everything in it owner-only, quoted for a POSIX shell.
pub fn chmod_command(dir: &Path) -> String {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let text = absolute.display().to_string();
    format!("chmod -R go-rwx '{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn directories_and_files_are_created_owner_only_whatever_the_umask_allows() {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = temp.path().join("a").join("b");
        create_private_dir(&dir).expect("created");
        assert_eq!(mode(&temp.path().join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("f");
        private_file()
            .write(true)
            .create_new(true)
            .open(&file)
            .expect("file");
        assert_eq!(mode(&file), 0o600);

        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(open_to_others(&dir).expect("mode"), Some(0o755));
        restrict(&temp.path().join("a")).expect("restricted");
        assert_eq!(open_to_others(&dir).expect("mode"), None);
        assert_eq!(mode(&file), 0o600);
    }

    #[test]
    fn the_chmod_command_quotes_the_path_for_the_shell() {
        assert_eq!(
            chmod_command(Path::new("/srv/it's data")),
            r"chmod -R go-rwx '/srv/it'\''s data'"
        );
    }
}
