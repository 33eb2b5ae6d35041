//! Installing the station as a service, and what a machine needs to run the tests:
//! `systemd-analyze verify` checks the shipped unit, the install script is run into a
//! clean tree (every file, its mode, a second run that changes nothing and keeps an edited
//! configuration), the installed default configuration starts the station, and every
//! program of `packaging/test-packages.txt` (the list `.ci/run` installs and README.md
//! points to) is checked to be installed.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::prerequisite::on_path;
use common::{http_get, prerequisite, run, station_bin, stderr, stdout, Daemon};

/// The repository's root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the repository")
        .to_path_buf()
}

fn packaging(file: &str) -> PathBuf {
    repo().join("packaging").join(file)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The values of `key` in a unit file's lines `key=value`.
fn unit_values<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
    unit.lines()
        .filter_map(|line| line.strip_prefix(key)?.strip_prefix('='))
        .map(str::trim)
        .collect()
}

#[test]
fn the_unit_passes_systemd_analyze_verify_and_keeps_the_station_reachable() {
    let unit = read(&packaging("archive-station.service"));
    // What the issue asks of it, as systemd reads it.
    assert_eq!(unit_values(&unit, "Restart"), ["on-failure"]);
    assert_eq!(unit_values(&unit, "User"), ["station"]);
    let groups: Vec<&str> = unit_values(&unit, "SupplementaryGroups")
        .iter()
        .flat_map(|value| value.split_whitespace())
        .collect();
    assert!(
        groups.contains(&"dialout") && groups.contains(&"lp"),
        "{groups:?}"
    );
    assert_eq!(unit_values(&unit, "LimitNOFILE").len(), 1);
    assert_eq!(unit_values(&unit, "ProtectSystem"), ["strict"]);
    for key in ["ProtectHome", "PrivateTmp", "NoNewPrivileges"] {
        assert_eq!(unit_values(&unit, key), ["true"], "{key}");
    }
    // Its data directory is writable: the default configuration's data_dir.
    let config = station::config::Config::load(Some(&packaging("station.toml"))).expect("config");
    let data = config.data_dir.display().to_string();
    assert_eq!(unit_values(&unit, "ReadWritePaths"), [data.as_str()]);
    assert_eq!(
        unit_values(&unit, "StateDirectory"),
        [data.trim_start_matches("/var/lib/")]
    );
    // Serial ports stay reachable: no PrivateDevices, and their device classes allowed.
    assert!(unit_values(&unit, "PrivateDevices").is_empty());
    let allowed = unit_values(&unit, "DeviceAllow");
    for class in ["char-ttyUSB rw", "char-ttyACM rw", "char-ttyS rw"] {
        assert!(allowed.contains(&class), "{class}: {allowed:?}");
    }
    // CUPS's socket is a Unix socket under /run: Unix sockets allowed, /run not hidden.
    let families = unit_values(&unit, "RestrictAddressFamilies").join(" ");
    assert!(families.contains("AF_UNIX"), "{families}");
    assert!(unit_values(&unit, "InaccessiblePaths").is_empty());
    // The binary it names is where install.sh puts it, with the configuration it installs.
    let exec = unit_values(&unit, "ExecStart");
    assert_eq!(
        exec,
        ["/usr/local/bin/station --config /etc/archive-station/station.toml --log-format json serve"]
    );

    if !prerequisite(
        "systemd-analyze verify",
        "systemd-analyze (Debian package systemd)",
        on_path("systemd-analyze"),
    ) {
        return;
    }
    // The very unit, its ExecStart pointing at the built binary (verify checks that the
    // program exists).
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("archive-station.service");
    std::fs::write(
        &copy,
        unit.replace(
            "/usr/local/bin/station",
            &station_bin().display().to_string(),
        ),
    )
    .expect("unit copy");
    let output = run(Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&copy)
        .env("SYSTEMD_LOG_LEVEL", "warning"));
    let said = format!("{}{}", stdout(&output), stderr(&output));
    assert!(output.status.success(), "systemd-analyze verify: {said}");
    assert!(
        !said.contains("archive-station.service"),
        "systemd-analyze verify has remarks about the unit: {said}"
    );
}

/// What [`tree`] records of one path: mode, modification time (seconds, nanoseconds) and,
/// for a file, its bytes.
type Entry = (u32, i64, i64, Option<Vec<u8>>);

/// Every file and directory under `root`, by its path inside.
fn tree(root: &Path) -> BTreeMap<String, Entry> {
    fn walk(root: &Path, dir: &Path, into: &mut BTreeMap<String, Entry>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            let inside = path
                .strip_prefix(root)
                .expect("inside")
                .display()
                .to_string();
            let bytes = meta.is_file().then(|| std::fs::read(&path).expect("read"));
            into.insert(
                inside,
                (
                    meta.permissions().mode() & 0o7777,
                    meta.mtime(),
                    meta.mtime_nsec(),
                    bytes,
                ),
            );
            if meta.is_dir() {
                walk(root, &path, into);
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(root, root, &mut files);
    files
}

fn install(destdir: &Path, binary: &Path) -> std::process::Output {
    // POSIX sh: dash, as /bin/sh is on Debian.
    let shell = if on_path("dash") { "dash" } else { "sh" };
    run(Command::new(shell)
        .arg(packaging("install.sh"))
        .arg(binary)
        .env("DESTDIR", destdir)
        .env_remove("PREFIX"))
}

#[test]
fn the_install_script_fills_a_clean_tree_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let destdir = dir.path().join("root");
    let passwd_before = std::fs::read("/etc/passwd").ok();

    let output = install(&destdir, &station_bin());
    assert!(output.status.success(), "{}", stderr(&output));
    let first = tree(&destdir);
    let entry = |path: &str| {
        first
            .get(path)
            .unwrap_or_else(|| panic!("{path} not installed: {:?}", first.keys()))
    };
    let file = |path: &str, mode: u32| {
        let (got, _, _, bytes) = entry(path);
        assert_eq!(*got, mode, "{path}: mode {got:o}");
        bytes
            .clone()
            .unwrap_or_else(|| panic!("{path} is not a file"))
    };
    assert_eq!(
        file("usr/local/bin/station", 0o755),
        std::fs::read(station_bin()).expect("binary")
    );
    let unit = file("etc/systemd/system/archive-station.service", 0o644);
    assert_eq!(
        unit,
        std::fs::read(packaging("archive-station.service")).expect("unit")
    );
    assert_eq!(
        file("etc/udev/rules.d/99-archive-station.rules", 0o644),
        std::fs::read(packaging("99-archive-station.rules")).expect("rules")
    );
    let config = file("etc/archive-station/station.toml", 0o644);
    assert_eq!(
        config,
        std::fs::read(packaging("station.toml")).expect("config")
    );
    assert_eq!(entry("var/lib/archive-station").0, 0o700);
    // Nothing else: every file and directory is one of these, or a parent of one.
    let expected = [
        "usr/local/bin/station",
        "etc/systemd/system/archive-station.service",
        "etc/udev/rules.d/99-archive-station.rules",
        "etc/archive-station/station.toml",
        "var/lib/archive-station",
    ];
    for path in first.keys() {
        assert!(
            expected
                .iter()
                .any(|wanted| wanted == path || wanted.starts_with(&format!("{path}/"))),
            "{path} was not expected"
        );
    }
    // Staged, not installed: no user was created.
    assert_eq!(std::fs::read("/etc/passwd").ok(), passwd_before);

    // A second run changes nothing; an edited configuration is kept.
    let installed_config = destdir.join("etc/archive-station/station.toml");
    let edited = format!("{}\nloan_days = 45\n", read(&installed_config));
    std::fs::write(&installed_config, &edited).expect("edit");
    let before = tree(&destdir);
    let output = install(&destdir, &station_bin());
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(tree(&destdir), before, "the second run changed something");
    assert!(stdout(&output).contains("kept"), "{}", stdout(&output));

    // PREFIX moves the binary, and the unit names it there.
    let elsewhere = dir.path().join("prefixed");
    let output = run(Command::new("sh")
        .arg(packaging("install.sh"))
        .arg(station_bin())
        .env("DESTDIR", &elsewhere)
        .env("PREFIX", "/opt/station"));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(elsewhere.join("opt/station/bin/station").is_file());
    let unit = read(&elsewhere.join("etc/systemd/system/archive-station.service"));
    assert!(
        unit.contains("ExecStart=/opt/station/bin/station --config"),
        "{unit}"
    );

    // No binary: refused, nothing installed.
    let empty = dir.path().join("empty");
    let output = install(&empty, &dir.path().join("no-such-binary"));
    assert!(!output.status.success());
    assert!(!empty.exists());
}

#[test]
fn the_installed_default_configuration_starts_the_station() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // The data directory is moved into the temp dir; everything else is the shipped file.
    let daemon = Daemon::start_with(
        common::station(&data)
            .arg("--config")
            .arg(packaging("station.toml"))
            .args(["serve", "--listen", "127.0.0.1:0"]),
    );
    assert_eq!(http_get(daemon.addr, "/healthz").0, 200);
    daemon.terminate();
}

/// The package names of `packaging/test-packages.txt` exactly as `.ci/run` and README.md
/// take them: the first word of every line that is not a comment.
const PACKAGE_NAMES: &str = "sed -e '/^#/d' -e 's/ .*//' packaging/test-packages.txt";

#[test]
fn every_program_the_tests_need_is_installed() {
    let list = read(&packaging("test-packages.txt"));
    let mut missing = Vec::new();
    let mut names = Vec::new();
    for line in list.lines().filter(|line| !line.starts_with('#')) {
        let mut words = line.split_whitespace();
        let Some(package) = words.next() else {
            continue;
        };
        names.push(package);
        let needs: Vec<&str> = words.collect();
        assert!(
            !needs.is_empty(),
            "{package}: name what the tests use from it"
        );
        let absent: Vec<&str> = needs.into_iter().filter(|thing| !on_path(thing)).collect();
        if !absent.is_empty() {
            missing.push(format!("{package} (for {})", absent.join(", ")));
        }
    }
    // `.ci/run` installs this very list, and README.md tells a new machine to.
    let ci = read(&repo().join(".ci/run"));
    let readme = read(&repo().join("README.md"));
    assert!(ci.contains(PACKAGE_NAMES), ".ci/run does not read the list");
    assert!(
        readme.contains(PACKAGE_NAMES),
        "README.md does not show the list's command"
    );
    let extracted = run(Command::new("sh")
        .arg("-c")
        .arg(PACKAGE_NAMES)
        .current_dir(repo()));
    assert_eq!(
        stdout(&extracted).split_whitespace().collect::<Vec<_>>(),
        names
    );
    // README.md names the Rust version the workspace needs.
    let manifest = read(&repo().join("Cargo.toml"));
    let version = manifest
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = "))
        .expect("rust-version")
        .trim_matches('"');
    assert!(
        readme.contains(&format!("Rust {version}")),
        "README.md names Rust {version}"
    );

    prerequisite(
        "every program the tests need",
        &format!(
            "the Debian packages {} (apt-get install --no-install-recommends {})",
            missing.join("; "),
            missing
                .iter()
                .filter_map(|entry| entry.split(' ').next())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        missing.is_empty(),
    );
}
