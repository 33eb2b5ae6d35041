//! Business dates end to end: the real daemon, its wall clock set by libfaketime (the
//! `faketime` Debian package) to one minute before and one minute after midnight in
//! Beijing, with the time zone from station.toml or from `TZ`.
//!
//! Without libfaketime these tests say so loudly and pass; under CI (`CI=true`) they fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

mod common;

use common::prerequisite::libfaketime;
use common::{http_post_as, station_bin, Daemon};

/// 2026-12-31 23:59:00 in Beijing (15:59 UTC), seconds since the epoch.
const BEIJING_23_59: i64 = 1_798_732_740;
/// 2027-01-01 00:01:00 in Beijing (still 2026-12-31 in UTC).
const BEIJING_00_01: i64 = BEIJING_23_59 + 120;

const CHECKOUT: &str = "K0000000038";

/// `station serve` on `data` whose wall clock reads `at` (seconds since the epoch) when
/// it starts, with `TZ` set to `tz` and station.toml `config`.
fn serve_at(lib: &Path, data: &Path, config: &Path, tz: &str, at: i64) -> Daemon {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default();
    let mut command = Command::new(station_bin());
    command
        .arg("--data")
        .arg(data)
        .arg("--config")
        .arg(config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .env("TZ", tz)
        .env("LD_PRELOAD", lib)
        // An offset from the real time: the clock runs on from there.
        .env("FAKETIME", format!("{:+}", at - now))
        // Timers and timeouts keep the real monotonic clock.
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    Daemon::start_with(&mut command)
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

/// Registers a box with the `loan` scheme; answers its barcode and archive number.
fn register(daemon: &Daemon, token: &str) -> (String, String) {
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/boxes/register",
        r#"{"title":"借款合同","customer":"鸿达贸易","scheme":"loan"}"#,
        token,
    );
    assert_eq!(status, 201, "{body}");
    let registered = json(&body);
    (
        registered["barcode"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        registered["archive_no"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Lends `archive_box` to `borrower` (who borrows directly) by scans through the API;
/// answers the result's message.
fn check_out(daemon: &Daemon, token: &str, borrower: &str, archive_box: &str) -> String {
    let mut last = String::new();
    for code in [CHECKOUT, borrower, archive_box] {
        let (status, body) = http_post_as(
            daemon.addr,
            "/api/v1/scans",
            &format!(r#"{{"workstation":"counter","data":"{code}"}}"#),
            token,
        );
        assert_eq!(status, 200, "{body}");
        last = body;
    }
    let result = json(&last);
    assert_eq!(result["code"], "checkout.lent", "{last}");
    result["message"]["en"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn write_config(dir: &Path, timezone: Option<&str>) -> PathBuf {
    let path = dir.join("station.toml");
    let zone = timezone
        .map(|zone| format!("timezone = \"{zone}\"\n"))
        .unwrap_or_default();
    std::fs::write(
        &path,
        format!("{zone}[[scheme]]\nname = \"loan\"\ntemplate = \"{{year}}鸿借字第{{seq:03}}号\"\n"),
    )
    .expect("station.toml");
    path
}

#[test]
fn a_daemon_in_shanghai_numbers_and_lends_by_the_local_date_at_23_59_and_00_01() {
    let Some(lib) = libfaketime("the business-date tests against the daemon's wall clock") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let config = write_config(dir.path(), Some("Asia/Shanghai"));

    // The host says UTC; station.toml says Asia/Shanghai, and wins.
    let daemon = serve_at(&lib, &data, &config, "UTC", BEIJING_23_59);
    let token = daemon.token.clone();
    assert!(token.starts_with("ast_"), "the first start prints a token");
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/people/add",
        r#"{"name":"李总","role":"clerk","borrow_directly":true}"#,
        &token,
    );
    assert_eq!(status, 201, "{body}");
    let borrower = json(&body)["barcode"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (first, number) = register(&daemon, &token);
    assert_eq!(number, "2026鸿借字第001号");
    let lent = check_out(&daemon, &token, &borrower, &first);
    assert!(lent.contains("2027-01-30"), "31 December + 30 days: {lent}");
    assert!(daemon.terminate().success());

    let daemon = serve_at(&lib, &data, &config, "UTC", BEIJING_00_01);
    let (second, number) = register(&daemon, &token);
    assert_eq!(number, "2027鸿借字第001号", "1 January in Beijing");
    let lent = check_out(&daemon, &token, &borrower, &second);
    assert!(lent.contains("2027-01-31"), "1 January + 30 days: {lent}");
    let (status, body) = common::http_get_as(daemon.addr, "/api/v1/loans", &token);
    assert_eq!(status, 200, "{body}");
    let dues: Vec<_> = json(&body)
        .as_array()
        .map(|loans| {
            loans
                .iter()
                .map(|loan| loan["due"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(dues, ["2027-01-30", "2027-01-31"]);
    assert!(daemon.terminate().success());
}

#[test]
fn without_a_timezone_setting_the_daemon_dates_in_the_zone_of_tz() {
    let Some(lib) = libfaketime("the business-date tests against the daemon's wall clock") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let config = write_config(dir.path(), None);
    let daemon = serve_at(&lib, &data, &config, "Asia/Shanghai", BEIJING_00_01);
    let (_, number) = register(&daemon, &daemon.token);
    assert_eq!(number, "2027鸿借字第001号", "1 January in TZ's zone");
    assert!(daemon.terminate().success());
}
