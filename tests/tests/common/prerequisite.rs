//! Tests that cannot run say so. A test whose prerequisite is missing (root, a tool, a
//! package) prints a NOT RUN line past the test harness's output capture, and under CI
//! (`CI=true`, which `.ci/run` sets) fails instead: a missing prerequisite never passes
//! silently there.
//!
//! Kept free of other helpers so that the station crate's own integration tests include
//! it too (`#[path = "../../tests/tests/common/prerequisite.rs"]`).

use std::io::Write;

/// Whether the tests run under CI: the `CI` environment variable is `true`.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}

/// Whether `test` may run: `true` when its prerequisite is `met`. Otherwise it says so on
/// the standard error (written directly, so the harness does not swallow it) naming what
/// is `needed`, and answers `false` (the test returns), or, under CI, panics: the run
/// fails.
pub fn prerequisite(test: &str, needed: &str, met: bool) -> bool {
    if met {
        return true;
    }
    let line = format!("NOT RUN: {test}: it needs {needed}");
    if under_ci() {
        panic!("{line}; CI=true, so a missing prerequisite fails the run");
    }
    let _ = writeln!(
        std::io::stderr(),
        "\n*** {line} (under CI, CI=true, this fails) ***\n"
    );
    false
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Whether `program` is an executable file on the `PATH` (or, given as a path, exists).
pub fn on_path(program: &str) -> bool {
    if program.contains('/') {
        return std::path::Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// libfaketime's multi-threaded library (the daemon runs threads), if installed.
pub fn libfaketime_library() -> Option<std::path::PathBuf> {
    let arch = std::env::consts::ARCH;
    [
        format!("/usr/lib/{arch}-linux-gnu/faketime/libfaketimeMT.so.1"),
        "/usr/lib/faketime/libfaketimeMT.so.1".to_owned(),
        "/usr/lib64/faketime/libfaketimeMT.so.1".to_owned(),
    ]
    .into_iter()
    .map(std::path::PathBuf::from)
    .find(|path| path.exists())
}

/// libfaketime for `test`, or `None` when it may not run (see [`prerequisite`]).
pub fn libfaketime(test: &str) -> Option<std::path::PathBuf> {
    let found = libfaketime_library();
    let met = prerequisite(
        test,
        "libfaketime (Debian package `faketime`)",
        found.is_some(),
    );
    found.filter(|_| met)
}
