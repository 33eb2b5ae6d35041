//! Every example in README.md and hardware.md is run, or says why it cannot be.
//!
//! The convention: the line right before each fenced block is a comment saying what the
//! test does with it:
//!
//! - `<!-- test: run -->`: a shell example, run with bash (`-e`: every command must
//!   succeed) in a fresh directory with `station` on the `PATH`. The test substitutes
//!   only `cargo run --release -p station --` by the built binary and port 8080 by a free
//!   port. `run with ledger.csv` puts a small ledger there first; `; expect: TEXT` also
//!   requires TEXT in the output. Whatever the example starts in the background is stopped
//!   at the end.
//! - `<!-- test: config -->`: a station.toml example, which the station must accept.
//! - `<!-- test: not run: REASON -->`: an example that needs hardware (or is the test
//!   suite itself); the reason is required.
//!
//! A fenced block without such a line fails the test, and so does an example that fails.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{prerequisite, station_bin};

/// One fenced block and the comment before it.
#[derive(Debug)]
struct Example {
    place: String,
    mark: Option<String>,
    body: String,
}

/// The fenced blocks of `text` (a Markdown file called `file`).
fn examples(file: &str, text: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut previous = "";
    let mut open: Option<(usize, Option<String>, String)> = None;
    for (index, line) in text.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match (&mut open, fence) {
            (None, true) => {
                let mark = previous
                    .trim()
                    .strip_prefix("<!-- test:")
                    .and_then(|rest| rest.strip_suffix("-->"))
                    .map(|mark| mark.trim().to_owned());
                open = Some((index + 1, mark, String::new()));
            }
            (Some((start, mark, body)), true) => {
                out.push(Example {
                    place: format!("{file}:{start}"),
                    mark: mark.take(),
                    body: std::mem::take(body),
                });
                open = None;
            }
            (Some((_, _, body)), false) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, false) => {}
        }
        previous = line;
    }
    assert!(open.is_none(), "{file}: a fenced block is not closed");
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// A ledger with two boxes on one shelf, for `run with ledger.csv`.
const LEDGER: &str = "档案号,题名,客户名称,位置\n\
                      2012鸿借字第001号,借款合同,鸿达贸易,1号库房/05列/A面/3节/4层\n\
                      2012鸿借字第002号,抵押资料,华南电力,1号库房/05列/A面/3节/4层\n";

/// Runs a shell example in `dir`; answers its output, or why it failed.
fn run_shell(dir: &Path, script: &str) -> Result<String, String> {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink(station_bin(), bin.join("station")).map_err(|e| e.to_string())?;
    let work = dir.join("work");
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let port = free_port().to_string();
    let script = script
        .replace("cargo run --release -p station --", "station")
        .replace("8080", &port);
    let out_file = dir.join("output.txt");
    let output = std::fs::File::create(&out_file).map_err(|e| e.to_string())?;
    let errors = output.try_clone().map_err(|e| e.to_string())?;
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new("bash")
            .args(["-e", "-c", &script])
            .current_dir(&work)
            .env("PATH", path)
            .env_remove("STATION_CONFIG")
            .env("RUST_LOG", "warn")
            .env("LANG", "C.UTF-8")
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(errors)
            .process_group(0)
            .spawn()
            .map_err(|e| e.to_string())?
    };
    let pgid = child.id() as i32;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > Duration::from_secs(180) => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(error) => return Err(error.to_string()),
        }
    };
    // Stop what the example left running (a daemon, socat).
    // SAFETY: killpg only sends a signal to the example's own process group.
    unsafe {
        libc::killpg(pgid, libc::SIGTERM);
    }
    let _ = child.wait();
    let text = std::fs::read_to_string(&out_file).unwrap_or_default();
    match status {
        Some(status) if status.success() => Ok(text),
        Some(status) => Err(format!("{status}:\n{text}")),
        None => {
            // What the example's own files say (a daemon's start message, …).
            let mut files = String::new();
            for entry in std::fs::read_dir(&work).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|ext| ext == "txt") {
                    let body = std::fs::read_to_string(&path).unwrap_or_default();
                    files.push_str(&format!("--- {}:\n{body}\n", path.display()));
                }
            }
            Err(format!("did not finish within 180 s:\n{text}\n{files}"))
        }
    }
}

/// Checks a station.toml example: the station accepts it.
fn check_config(dir: &Path, text: &str) -> Result<String, String> {
    let config = dir.join("station.toml");
    std::fs::write(&config, text).map_err(|e| e.to_string())?;
    let output = Command::new(station_bin())
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env("LANG", "C.UTF-8")
        .arg("--config")
        .arg(&config)
        .args(["person", "list"])
        .output()
        .map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn every_readme_and_hardware_example_runs_or_says_why_not() {
    if !prerequisite(
        "every_readme_and_hardware_example_runs_or_says_why_not",
        "socat (hardware.md's example without hardware)",
        common::prerequisite::on_path("socat") && common::prerequisite::on_path("curl"),
    ) {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut failures = Vec::new();
    let mut ran = 0;
    for file in ["README.md", "hardware.md"] {
        let text = std::fs::read_to_string(root.join(file)).expect("read the document");
        for example in examples(file, &text) {
            let Some(mark) = &example.mark else {
                failures.push(format!(
                    "{}: no `<!-- test: … -->` line before this example",
                    example.place
                ));
                continue;
            };
            let (what, expect) = match mark.split_once("; expect:") {
                Some((what, expect)) => (what.trim(), Some(expect.trim())),
                None => (mark.as_str(), None),
            };
            let dir = tempfile::tempdir().expect("tempdir");
            let result = match what {
                "run" | "run with ledger.csv" => {
                    if what.ends_with("ledger.csv") {
                        std::fs::create_dir_all(dir.path().join("work")).expect("mkdir");
                        std::fs::write(dir.path().join("work/ledger.csv"), LEDGER)
                            .expect("write the ledger");
                    }
                    run_shell(dir.path(), &example.body)
                }
                "config" => check_config(dir.path(), &example.body),
                other => match other.strip_prefix("not run:") {
                    Some(reason) if !reason.trim().is_empty() => continue,
                    _ => Err(format!("unknown mark `{other}`")),
                },
            };
            ran += 1;
            match (result, expect) {
                (Ok(output), Some(expected)) if !output.contains(expected) => {
                    failures.push(format!(
                        "{}: `{expected}` not in the output:\n{output}",
                        example.place
                    ))
                }
                (Ok(_), _) => {}
                (Err(why), _) => failures.push(format!("{}: {why}", example.place)),
            }
        }
    }
    assert!(ran >= 5, "only {ran} examples ran");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn an_unmarked_example_is_found() {
    let found = examples(
        "x.md",
        "text\n\n```sh\nstation verify\n```\n<!-- test: run -->\n```sh\nstation verify\n```\n",
    );
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].mark, None);
    assert_eq!(found[1].mark.as_deref(), Some("run"));
    assert_eq!(found[1].body, "station verify\n");
}
