//! Reminding and urging end to end (issue #14): the real daemon, its wall clock moved
//! forward by libfaketime between starts (the scheduler's pass runs at every start and
//! every minute, at the daemon's clock). A task's add step is notified to its owner once
//! at warning, once overdue, then once per repeat, escalated to the station's supervisors
//! after `escalate_after` repeats; nothing is notified twice across restarts, and a done
//! step is urged no more.
//!
//! Without libfaketime this test says so loudly and passes; under CI (`CI=true`) it fails.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

mod common;

use common::prerequisite::libfaketime;
use common::{get_json, person_with_token, post_json, station_bin, wait_until, Daemon};

const HOUR: i64 = 3600;

/// `station serve` on `data` whose wall clock runs `offset` seconds ahead of the real one.
fn serve_ahead(lib: &Path, data: &Path, config: &Path, offset: i64) -> Daemon {
    let mut command = Command::new(station_bin());
    command
        .arg("--data")
        .arg(data)
        .arg("--config")
        .arg(config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .env("LD_PRELOAD", lib)
        .env("FAKETIME", format!("{offset:+}"))
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    Daemon::start_with(&mut command)
}

/// `token`'s notifications about task `task`, newest first, as (reminder, repeat,
/// escalated).
fn about(daemon: &Daemon, token: &str, task: u64) -> Vec<(String, Option<u64>, bool)> {
    let list = get_json(daemon, "/api/v1/notifications", token);
    list.as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["task"] == task)
        .map(|n| {
            (
                n["reminder"].as_str().unwrap_or_default().to_owned(),
                n["repeat"].as_u64(),
                n["escalated"].as_bool().unwrap_or_default(),
            )
        })
        .collect()
}

fn post_task(daemon: &Daemon, token: &str, id: &str, responsible: &str, at_ms: i64) -> u64 {
    let (status, task) = post_json(
        daemon,
        "/api/v1/tasks",
        serde_json::json!({
            "external_id": id,
            "category": "借款",
            "step": "放款完成",
            "customer": "鸿达贸易",
            "responsible": responsible,
            "occurred_at": at_ms,
        }),
        token,
    );
    assert_eq!(status, 201, "{task}");
    task["id"].as_u64().expect("task number")
}

fn entry(reminder: &str, repeat: Option<u64>, escalated: bool) -> (String, Option<u64>, bool) {
    (reminder.to_owned(), repeat, escalated)
}

#[test]
fn an_overdue_step_is_urged_once_per_step_across_restarts_escalated_and_stops_when_done() {
    let Some(lib) = libfaketime("reminders::urging") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let config = dir.path().join("station.toml");
    std::fs::write(
        &config,
        "[reminders]\nrepeat_hours = 24\nescalate_after = 1\n",
    )
    .expect("config");
    // The first start makes the store (and prints the administrator's token).
    let first = Daemon::start(&data);
    let (clerk, clerk_token) = person_with_token(&data, "王客户经理", "clerk");
    let (boss, boss_token) = person_with_token(&data, "陈主管", "supervisor");
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .expect("clock");
    // To add: 48 hours from now, warning from 24 hours before.
    let task = post_task(&first, &boss_token, "CRM-E2E-1", &clerk, now_ms);
    assert!(about(&first, &clerk_token, task).is_empty(), "normal");
    first.terminate();

    // Each start at `hours` ahead runs a pass at once; `marker` waits for the one
    // notification it must bring, to `token`, of task `of`: then the pass is done.
    let start = |hours: i64| serve_ahead(&lib, &data, &config, hours * HOUR + 60);
    let daemon = start(25);
    wait_until("the warning", || {
        !about(&daemon, &clerk_token, task).is_empty()
    });
    assert_eq!(
        about(&daemon, &clerk_token, task),
        vec![entry("warning", None, false)]
    );
    // A second task of the supervisor's own, already in warning at the next start: its
    // notification shows that start's pass has run.
    let marker = post_task(&daemon, &boss_token, "CRM-E2E-2", &boss, now_ms);
    daemon.terminate();
    let daemon = start(25);
    wait_until("the marker's warning", || {
        !about(&daemon, &boss_token, marker).is_empty()
    });
    assert_eq!(
        about(&daemon, &clerk_token, task).len(),
        1,
        "nothing twice after a restart"
    );
    daemon.terminate();

    let daemon = start(49);
    wait_until("overdue", || about(&daemon, &clerk_token, task).len() == 2);
    daemon.terminate();
    let daemon = start(73);
    wait_until("the first repeat", || {
        about(&daemon, &clerk_token, task).len() == 3
    });
    assert!(
        about(&daemon, &boss_token, task).is_empty(),
        "not escalated yet"
    );
    daemon.terminate();
    let daemon = start(97);
    wait_until("the second repeat", || {
        about(&daemon, &clerk_token, task).len() == 4
    });
    assert_eq!(
        about(&daemon, &clerk_token, task),
        vec![
            entry("repeat", Some(2), false),
            entry("repeat", Some(1), false),
            entry("overdue", None, false),
            entry("warning", None, false),
        ]
    );
    assert_eq!(
        about(&daemon, &boss_token, task),
        vec![entry("repeat", Some(2), true)],
        "escalated to the supervisor"
    );

    // The clerk adds the documents: the add step is urged no more.
    let (status, advanced) = post_json(
        &daemon,
        &format!("/api/v1/tasks/{task}/advance"),
        serde_json::json!({"step": "add"}),
        &clerk_token,
    );
    assert_eq!(status, 200, "{advanced}");
    daemon.terminate();
    let daemon = start(121);
    // The marker task's third repeat shows the pass ran.
    wait_until("the marker's third repeat", || {
        about(&daemon, &boss_token, marker)
            .first()
            .is_some_and(|n| n.1 == Some(3))
    });
    assert_eq!(about(&daemon, &clerk_token, task).len(), 4, "done: no more");
    daemon.terminate();
}
