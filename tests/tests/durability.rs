//! Durability against a power cut, seen from outside: the real daemon runs under `strace`,
//! and every write acknowledged over HTTP must be preceded by an `fdatasync` (or `fsync`)
//! of the store's log file (`store/db`) that began after the request was sent and ended
//! before its answer arrived. sled's own `sync_file_range` does not count: it flushes
//! neither the file's size nor the disk's write cache.
//!
//! Needs `strace` and permission to trace (`.ci/run` installs it; CI runs as root). Where
//! either is missing the test says so loudly, and fails when `CI=true`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

mod common;

use common::{prerequisite, station, station_bin, Daemon};

/// Whether `strace` runs and may trace here; otherwise why not.
fn strace_usable() -> Result<(), String> {
    match Command::new("strace")
        .args(["-f", "-o", "/dev/null", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
    {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(format!(
            "strace cannot trace here (ptrace not permitted?): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Err(error) => Err(format!("strace is not installed ({error})")),
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs_f64())
        .unwrap_or_default()
}

/// One `fsync`/`fdatasync` that succeeded: the file and when it began and ended (seconds
/// since the epoch, as `strace -ttt -T` prints them).
#[derive(Debug, Clone)]
struct Sync {
    path: String,
    began: f64,
    ended: f64,
}

/// The successful `fsync`/`fdatasync` calls in an `strace -f -ttt -T -y` log, including
/// those split into `<unfinished ...>` and `<... resumed>` lines by other threads.
fn parse_syncs(log: &str) -> Vec<Sync> {
    let mut unfinished: HashMap<String, (String, f64)> = HashMap::new();
    let mut syncs = Vec::new();
    for line in log.lines() {
        // strace pads the pid to five columns: "4711  1796288996.5 fsync(…)".
        let Some((pid, rest)) = line.trim_start().split_once(char::is_whitespace) else {
            continue;
        };
        let Some((time, call)) = rest.trim_start().split_once(char::is_whitespace) else {
            continue;
        };
        let Ok(time) = time.parse::<f64>() else {
            continue;
        };
        let call = call.trim_start();
        let took = |text: &str| -> Option<f64> {
            let (_, rest) = text.rsplit_once('<')?;
            rest.strip_suffix('>')?.parse().ok()
        };
        let succeeded = |text: &str| text.contains(") = 0 ");
        if let Some(rest) = call
            .strip_prefix("fdatasync(")
            .or_else(|| call.strip_prefix("fsync("))
        {
            // `12</path/to/file>` then `)` or ` <unfinished ...>`.
            let Some(path) = rest
                .split_once('<')
                .and_then(|(_, after)| after.split_once('>'))
                .map(|(path, _)| path.to_owned())
            else {
                continue;
            };
            if call.ends_with("<unfinished ...>") {
                unfinished.insert(pid.to_owned(), (path, time));
            } else if succeeded(call) {
                if let Some(took) = took(call) {
                    syncs.push(Sync {
                        path,
                        began: time,
                        ended: time + took,
                    });
                }
            }
        } else if call.starts_with("<... fdatasync resumed>")
            || call.starts_with("<... fsync resumed>")
        {
            if let Some((path, began)) = unfinished.remove(pid) {
                if succeeded(call) {
                    let ended = took(call).map_or(time, |took| began + took);
                    syncs.push(Sync { path, began, ended });
                }
            }
        }
    }
    syncs
}

/// `station serve` under `strace`, logging the sync calls of every thread to `log`.
struct Traced {
    daemon: Option<Daemon>,
    pid: i32,
}

impl Traced {
    fn start(data: &Path, log: &Path) -> Traced {
        let mut command = Command::new("strace");
        command
            .args(["-f", "-ttt", "-T", "-y", "-qq"])
            .args(["-e", "trace=fsync,fdatasync,sync_file_range"])
            .arg("-o")
            .arg(log)
            .arg(station_bin())
            .arg("--data")
            .arg(data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn");
        let daemon = Daemon::start_with(&mut command);
        // The daemon (strace's child) wrote its pid into the data directory's lock file.
        let pid = std::fs::read_to_string(data.join("LOCK"))
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .expect("the daemon's pid in LOCK");
        Traced {
            daemon: Some(daemon),
            pid,
        }
    }

    fn daemon(&self) -> &Daemon {
        self.daemon.as_ref().expect("running")
    }

    /// SIGTERM to the daemon itself; strace ends with it.
    fn stop(mut self) {
        // SAFETY: kill(2) with a pid this test started and a plain signal number.
        let sent = unsafe { libc::kill(self.pid, libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM to the daemon");
        if let Some(mut daemon) = self.daemon.take() {
            assert!(
                daemon.wait().success(),
                "strace and the daemon exit cleanly"
            );
        }
    }
}

impl Drop for Traced {
    fn drop(&mut self) {
        if self.daemon.is_some() {
            // SAFETY: as above; the daemon would outlive a killed strace otherwise.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
    }
}

#[test]
fn every_acknowledged_write_waits_for_an_fdatasync_of_the_store_log() {
    let test = "every_acknowledged_write_waits_for_an_fdatasync_of_the_store_log";
    let strace = strace_usable();
    let needed = match &strace {
        Ok(()) => "strace".to_owned(),
        Err(why) => format!("strace, able to trace: {why}"),
    };
    if !prerequisite(test, &needed, strace.is_ok()) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // Created (and the store made) before tracing, so only the daemon's writes are seen.
    let created = common::run(station(&data).arg("verify"));
    assert!(created.status.success(), "{}", common::stderr(&created));
    let log = dir.path().join("strace.log");
    let traced = Traced::start(&data, &log);

    let mut windows = Vec::new();
    for n in 1..=12 {
        let sent = now();
        let (status, body) = traced.daemon().post(
            "/api/v1/boxes/register",
            &format!(r#"{{"title": "借款合同", "customer": "客户{n}", "archive_no": "D-{n}"}}"#),
        );
        let answered = now();
        assert_eq!(status, 201, "{body}");
        windows.push((n, sent, answered));
    }
    traced.stop();

    let store_log: PathBuf = data
        .canonicalize()
        .expect("data directory")
        .join("store")
        .join("db");
    let store_log = store_log.display().to_string();
    let text = std::fs::read_to_string(&log).expect("strace log");
    let syncs: Vec<Sync> = parse_syncs(&text)
        .into_iter()
        .filter(|sync| sync.path == store_log)
        .collect();
    for (n, sent, answered) in windows {
        assert!(
            syncs
                .iter()
                .any(|sync| sync.began >= sent && sync.ended <= answered),
            "write {n} (sent {sent:.6}, answered {answered:.6}) was acknowledged without an \
             fdatasync/fsync of {store_log} in between; syncs of it: {syncs:?}"
        );
    }
}

#[test]
fn the_strace_log_parser_reads_whole_and_split_calls() {
    // As strace -f prints them: the pid padded to five columns.
    let log = "\
101   1000.000100 fdatasync(7</d/store/db>) = 0 <0.000050>
12345 1000.000200 fsync(8</d/store/conf> <unfinished ...>
101   1000.000300 sync_file_range(7</d/store/db>, 0, 10, 7) = 0 <0.000010>
12345 1000.000400 <... fsync resumed>) = 0 <0.000200>
103   1000.000500 fdatasync(9</d/store/db>) = -1 EIO (Input/output error) <0.000010>
";
    let syncs = parse_syncs(log);
    assert_eq!(syncs.len(), 2, "{syncs:?}");
    assert_eq!(syncs[0].path, "/d/store/db");
    assert!((syncs[0].ended - 1_000.000_15).abs() < 1e-7);
    assert_eq!(syncs[1].path, "/d/store/conf");
    assert!((syncs[1].began - 1_000.000_2).abs() < 1e-7);
    assert!((syncs[1].ended - 1_000.000_4).abs() < 1e-7);
}
