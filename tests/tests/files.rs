//! The station's files are owner-only whatever the umask: the data directory, the store
//! (sled's files), labels written to a directory, backups and the control socket; and a
//! start on a data directory that others can read warns with the command that fixes it.

mod common;

use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

/// A `station` command run under umask 022, the usual default that makes files 0644.
fn station_022(data: &Path) -> Command {
    let mut command = station(data);
    // SAFETY: umask is async-signal-safe and only sets the child's creation mask.
    unsafe {
        command.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    command
}

/// Every directory and file under `root` (itself included) with its permission bits.
fn modes(root: &Path) -> Vec<(PathBuf, bool, u32)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(path) = todo.pop() {
        let meta = fs::symlink_metadata(&path).expect("metadata");
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            for entry in fs::read_dir(&path).expect("read_dir") {
                todo.push(entry.expect("entry").path());
            }
        }
        if !meta.file_type().is_symlink() {
            out.push((path, meta.is_dir(), mode));
        }
    }
    out
}

fn assert_owner_only(root: &Path) {
    let all = modes(root);
    assert!(all.len() > 1, "{} holds nothing", root.display());
    for (path, is_dir, mode) in all {
        let wanted = if is_dir { 0o700 } else { 0o600 };
        assert_eq!(
            mode,
            wanted,
            "{} is {mode:o}, not {wanted:o}",
            path.display()
        );
    }
}

#[test]
fn the_data_directory_store_labels_backups_and_control_socket_are_owner_only_under_umask_022() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let ledger = dir.path().join("ledger.csv");
    fs::write(
        &ledger,
        "档案号,题名,客户名称,位置\nA-1,借款合同,鸿达贸易,\n",
    )
    .expect("ledger");

    // Without a daemon: the CLI creates the store and writes a label PDF.
    let import = run(station_022(&data).arg("import").arg(&ledger));
    assert!(import.status.success(), "{}", stderr(&import));
    let barcode = stdout(&run(station_022(&data).arg("export")))
        .lines()
        .nth(1)
        .and_then(|line| line.rsplit(',').next())
        .expect("a box")
        .to_owned();
    let printed = run(station_022(&data).args(["label", "print"]).arg(&barcode));
    assert!(printed.status.success(), "{}", stderr(&printed));
    assert!(data.join("labels").is_dir());

    // With a daemon: its control socket, a label printed by its worker, an online backup.
    let daemon = Daemon::start_with(station_022(&data).args(["serve", "--listen", "127.0.0.1:0"]));
    let socket = data.join("control.sock");
    let meta = fs::symlink_metadata(&socket).expect("the control socket");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "control.sock");
    // Printed before: again only as a reprint, with a reason.
    let printed = run(station_022(&data)
        .args(["label", "print", "--reprint", "1", "--reason", "破损"])
        .arg(&barcode));
    assert!(printed.status.success(), "{}", stderr(&printed));
    wait_until("the daemon's label file", || {
        fs::read_dir(data.join("labels"))
            .map(|entries| entries.count() >= 2)
            .unwrap_or(false)
    });
    let backup = dir.path().join("backup");
    let output = run(station_022(&data).arg("backup").arg(&backup));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_owner_only(&data);
    assert!(daemon.terminate().success());

    assert_owner_only(&data);
    assert_owner_only(&backup);
}

/// Starts `station serve` on `data` with its standard error going to `log`, waits until it
/// listens (the store is open by then, and what opening it logs is written), stops it and
/// answers what it logged.
fn serve_and_stop(data: &Path, log: &Path) -> String {
    use std::io::{BufRead, BufReader};
    let mut child = station(data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::from(fs::File::create(log).expect("log file")))
        .spawn()
        .expect("station serve starts");
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    stdout.read_line(&mut line).expect("the listening line");
    assert!(line.contains("listening"), "{line:?}");
    child.kill().expect("kill");
    child.wait().expect("exits");
    fs::read_to_string(log).expect("log")
}

#[test]
fn a_start_on_a_data_directory_others_can_read_warns_with_the_chmod_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    fs::create_dir(&data).expect("mkdir");
    fs::set_permissions(&data, fs::Permissions::from_mode(0o755)).expect("chmod 755");
    let text = serve_and_stop(&data, &dir.path().join("first.log"));
    assert!(text.contains("store.open_to_others"), "{text}");
    let command = format!("chmod -R go-rwx '{}'", data.display());
    assert!(text.contains(&command), "no {command:?} in {text}");
    // The command does what it says, and the next start does not warn.
    let chmod = run(Command::new("sh").arg("-c").arg(&command));
    assert!(chmod.status.success(), "{}", stderr(&chmod));
    assert_owner_only(&data);
    let text = serve_and_stop(&data, &dir.path().join("again.log"));
    assert!(!text.contains("store.open_to_others"), "{text}");
}
