//! Directory printers: each job becomes a `.zpl` or `.pdf` file, written to a hidden temp
//! file in the same directory, synced, and renamed into place (then the directory is
//! synced), so a reader never sees half a label.
//!
//! A named job is idempotent: its file is named after the job, so delivering the same job
//! again (after a crash cut off the first delivery) replaces the file with the same bytes
//! instead of adding a second label. A job without a name is named after the printer and
//! the time, and never replaces an existing file (`-2`, `-3`, … are appended).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Delivery, Language, Names, PrintError};

/// Temp files of this process are told apart by a counter.
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// The longest file stem kept, in characters: well below the 255-byte name limit even for
/// CJK names (3 bytes each) with the suffix and extension.
const MAX_STEM_CHARS: usize = 64;

pub(super) async fn write(
    names: &Names,
    dir: &Path,
    name: Option<&str>,
    kind: Language,
    job: &[u8],
) -> Result<Delivery, PrintError> {
    let (stem, placing) = match name {
        Some(name) => (
            stem_of(name).ok_or_else(|| PrintError::BadJobName {
                printer: names.printer.clone(),
                name: name.into(),
            })?,
            Placing::Replace,
        ),
        None => {
            let now = chrono::Local::now().format("%Y%m%d-%H%M%S%.3f");
            (
                stem_of(&format!("{}-{now}", names.printer)).unwrap_or_else(|| now.to_string()),
                Placing::NewName,
            )
        }
    };
    let dir = dir.to_path_buf();
    let job = job.to_vec();
    let written = tokio::task::spawn_blocking(move || {
        write_blocking(&dir, &stem, kind.extension(), &job, placing)
    })
    .await
    .unwrap_or_else(|join| Err((PathBuf::new(), io::Error::other(join))));
    match written {
        Ok(path) => Ok(Delivery::File(path)),
        Err((path, source)) => Err(PrintError::File {
            printer: names.printer.clone(),
            transport: names.transport.clone(),
            path,
            source,
        }),
    }
}

/// A file stem from a job name: path separators, control characters, spaces and
/// characters Windows shares refuse become `_`, a leading dot is dropped (no hidden files), and the
/// length is capped. `None` if no letter or digit is left.
fn stem_of(name: &str) -> Option<String> {
    let cleaned: String = name
        .trim()
        .trim_start_matches('.')
        .chars()
        .take(MAX_STEM_CHARS)
        .map(|c| {
            if c.is_control() || c.is_whitespace() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if !cleaned.chars().any(char::is_alphanumeric) {
        None
    } else {
        Some(cleaned)
    }
}

/// How a job's file takes its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placing {
    /// The name is the job's: a file of that name is the same job delivered before, and is
    /// replaced (atomically, by a rename).
    Replace,
    /// The name is made up: an existing file is another job's, never replaced.
    NewName,
}

fn write_blocking(
    dir: &Path,
    stem: &str,
    extension: &str,
    job: &[u8],
    placing: Placing,
) -> Result<PathBuf, (PathBuf, io::Error)> {
    // Labels show the archive's contents: owner-only, like the data directory.
    crate::files::create_private_dir(dir).map_err(|e| (dir.to_path_buf(), e))?;
    let seq = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!(".{stem}.{}.{seq}.tmp", std::process::id()));
    let result = write_temp(&temp, job).and_then(|()| match placing {
        Placing::Replace => {
            let target = dir.join(format!("{stem}.{extension}"));
            fs::rename(&temp, &target)
                .map(|()| target.clone())
                .map_err(|e| (target, e))
        }
        Placing::NewName => place(dir, &temp, stem, extension),
    });
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    let path = result?;
    // The new name is durable only once the directory is synced too.
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    Ok(path)
}

fn write_temp(temp: &Path, job: &[u8]) -> Result<(), (PathBuf, io::Error)> {
    let fail = |e| (temp.to_path_buf(), e);
    let mut file = crate::files::private_file()
        .write(true)
        .create_new(true)
        .open(temp)
        .map_err(fail)?;
    file.write_all(job).map_err(fail)?;
    file.sync_all().map_err(fail)
}

/// Gives the temp file its final name without replacing anything: a hard link fails if the
/// name exists, so a taken name moves on to `stem-2`, `stem-3`, …. On file systems without
/// hard links (some network shares) it falls back to a rename after checking the name is
/// free.
fn place(
    dir: &Path,
    temp: &Path,
    stem: &str,
    extension: &str,
) -> Result<PathBuf, (PathBuf, io::Error)> {
    for attempt in 1..=1000u32 {
        let file_name = match attempt {
            1 => format!("{stem}.{extension}"),
            n => format!("{stem}-{n}.{extension}"),
        };
        let target = dir.join(file_name);
        match fs::hard_link(temp, &target) {
            Ok(()) => {
                let _ = fs::remove_file(temp);
                return Ok(target);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) => {
                if target.exists() {
                    continue;
                }
                return fs::rename(temp, &target)
                    .map(|()| target.clone())
                    .map_err(|e| (target, e));
            }
        }
    }
    Err((
        dir.join(format!("{stem}.{extension}")),
        io::Error::new(
            io::ErrorKind::AlreadyExists,
            // The reason of an I/O error, like the system's own: data in the message.
            "1000 files of this name exist already",
        ),
    ))
}

/// The names of the files in `dir` (tests look for duplicates and left-over temp files).
#[cfg(test)]
pub(crate) fn file_names(dir: &std::path::Path) -> Vec<String> {
    fs::read_dir(dir)
        .expect("list the folder")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_same_job_delivered_twice_is_one_file_with_its_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let names = Names {
            printer: "pdf".into(),
            transport: format!("dir://{}", dir.path().display()),
        };
        let job = b"%PDF-1.4 label 12".as_slice();
        let first = write(
            &names,
            dir.path(),
            Some("12-B0000000016"),
            Language::Pdf,
            job,
        )
        .await
        .expect("delivered");
        // The station was killed before it recorded the delivery: the job goes again.
        let again = write(
            &names,
            dir.path(),
            Some("12-B0000000016"),
            Language::Pdf,
            job,
        )
        .await
        .expect("delivered again");
        assert_eq!(first, again, "the same file");
        let files = file_names(dir.path());
        assert_eq!(files, ["12-B0000000016.pdf"], "one file, no temp file left");
        assert_eq!(
            fs::read(dir.path().join("12-B0000000016.pdf")).expect("read"),
            job
        );
        // Jobs without a name never replace each other.
        let one = write(&names, dir.path(), None, Language::Pdf, b"one")
            .await
            .expect("delivered");
        let other = write(&names, dir.path(), None, Language::Pdf, b"other")
            .await
            .expect("delivered");
        assert_ne!(one, other);
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 3);
    }

    #[test]
    fn job_names_become_safe_file_stems() {
        assert_eq!(stem_of("B000000123").as_deref(), Some("B000000123"));
        assert_eq!(
            stem_of("2012鸿借字第001号").as_deref(),
            Some("2012鸿借字第001号")
        );
        assert_eq!(stem_of("../etc/passwd").as_deref(), Some("_etc_passwd"));
        assert_eq!(stem_of("a\nb:c").as_deref(), Some("a_b_c"));
        assert_eq!(stem_of("..."), None);
        assert_eq!(stem_of("//"), None);
        assert_eq!(stem_of("  "), None);
        let long = "档".repeat(200);
        assert_eq!(
            stem_of(&long).map(|stem| stem.chars().count()),
            Some(MAX_STEM_CHARS)
        );
    }
}
