//! The daemon end to end: `station serve` on a real port, a locked data directory,
//! SIGTERM, online backup and `verify`.

use std::fs;

mod common;

use common::{
    import_sample, prerequisite, read_stream_until, run, station, stderr, stdout, Daemon,
};

#[test]
fn serve_answers_health_and_items_then_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    import_sample(&data, dir.path());
    let export = stdout(&run(station(&data).arg("export")));
    let barcode = export
        .lines()
        .nth(1)
        .and_then(|line| line.rsplit(',').next())
        .expect("a barcode in the export")
        .to_owned();

    let daemon = Daemon::start(&data);
    let (status, body) = daemon.get("/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\""), "{body}");

    let (status, body) = daemon.get(&format!("/api/v1/items/{barcode}"));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("A-1") && body.contains("1号库房/05列/A面/3节/4层"),
        "{body}"
    );

    let (status, body) = daemon.get("/api/v1/items/B0000000019");
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("\"error\":\"barcode.bad_check_digit\""),
        "{body}"
    );

    let (status, body) = daemon.get("/api/v1/boxes?customer=%E9%B8%BF%E8%BE%BE");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("鸿达贸易"), "{body}");

    let status = daemon.terminate();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    let verify = run(station(&data).arg("verify"));
    assert!(verify.status.success(), "{}", stdout(&verify));
}

#[test]
fn a_second_process_gets_a_clear_in_use_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let daemon = Daemon::start(&data);
    // CLI commands go through the running daemon (tests/tests/cli_daemon.rs); a second
    // daemon cannot, and is told why.
    let output = run(station(&data).args(["serve", "--listen", "127.0.0.1:0"]));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("in use by another station process"),
        "{message}"
    );
    drop(daemon);
}

#[test]
fn an_online_backup_opens_as_a_store_of_its_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    import_sample(&data, dir.path());
    let daemon = Daemon::start(&data);
    let (_, health) = daemon.get("/healthz");

    let backup = dir.path().join("backup");
    let output = run(station(&data).arg("backup").arg(&backup));
    assert!(
        output.status.success(),
        "{} {}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("online backup written"),
        "{}",
        stdout(&output)
    );

    let output = run(station(&data).arg("backup").arg(&backup));
    assert_eq!(
        output.status.code(),
        Some(1),
        "a non-empty target is refused"
    );
    assert!(stderr(&output).contains("not empty"), "{}", stderr(&output));
    assert!(daemon.terminate().success());

    let copy = Daemon::start(&backup);
    let (status, copy_health) = copy.get("/healthz");
    assert_eq!(status, 200);
    assert_eq!(copy_health, health, "same event count in the copy");
    drop(copy);
    let verify = run(station(&backup).arg("verify"));
    assert!(verify.status.success(), "{}", stdout(&verify));
    assert!(stdout(&verify).contains("event chain intact"));
}

#[test]
fn a_data_dir_whose_store_cannot_be_opened_is_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    fs::create_dir_all(&data).expect("dir");
    fs::write(
        data.join("store"),
        b"a file where the store directory belongs",
    )
    .expect("junk");
    let output = run(station(&data).arg("verify"));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("opening the store"), "{message}");
    assert!(message.contains("storage failure"), "{message}");
}

/// A full disk: the import stops with a clear message, keeps what it acknowledged,
/// and once there is room again the store is consistent and complete up to that point.
/// Needs root to mount a small tmpfs (CI runs as root).
#[test]
fn a_full_disk_loses_nothing_that_was_acknowledged() {
    if !prerequisite(
        "a_full_disk_loses_nothing_that_was_acknowledged",
        "root, to mount a small tmpfs",
        common::prerequisite::is_root(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mount = dir.path().join("tiny");
    let _disk = common::TinyDisk::mount(&mount, "4m");

    let mut ledger = String::from("档案号,题名,客户名称,位置\n");
    for n in 1..=20_000 {
        ledger.push_str(&format!(
            "A-{n},借款合同及担保资料{n},客户{n:07}有限公司,1号库房/{:02}列/A面/3节/{}层\n",
            n % 50 + 1,
            n % 5 + 1
        ));
    }
    let ledger_path = dir.path().join("big.csv");
    fs::write(&ledger_path, ledger).expect("ledger");
    let data = mount.join("data");
    let output = run(station(&data).arg("import").arg(&ledger_path));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(message.contains("the disk is full"), "{message}");
    let created: u64 = message
        .split("the ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of kept boxes in {message}"));
    assert!(created > 0 && created < 20_000, "{message}");

    let grown = std::process::Command::new("mount")
        .args(["-o", "remount,size=256m"])
        .arg(&mount)
        .status()
        .expect("remount runs");
    assert!(grown.success());
    let verify = run(station(&data).arg("verify"));
    assert!(
        verify.status.success(),
        "{} {}",
        stdout(&verify),
        stderr(&verify)
    );
    let export = stdout(&run(station(&data).arg("export")));
    assert_eq!(
        export.lines().count() as u64,
        created + 1,
        "exactly the acknowledged boxes are there"
    );
}

#[test]
fn every_call_needs_a_live_token_and_roles_are_enforced_and_recorded() {
    use common::{http_get, http_get_as, http_post_as, person_with_token};
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    import_sample(&data, dir.path());
    let (clerk, clerk_token) = person_with_token(&data, "张三", "clerk");
    let (_, supervisor_token) = person_with_token(&data, "王主管", "supervisor");
    let (_, revoked_token) = person_with_token(&data, "离职员工", "clerk");
    let revoked = run(station(&data).args(["token", "revoke", "3"]));
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    let daemon = Daemon::start(&data);
    assert!(
        daemon.token.is_empty(),
        "tokens existed: no first-start token"
    );

    let (status, body) = http_get(daemon.addr, "/api/v1/devices");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("bearer token is required"), "{body}");
    let (status, _) = http_get_as(daemon.addr, "/api/v1/devices", "ast_not-a-token");
    assert_eq!(status, 401);
    let (status, body) = http_get_as(daemon.addr, "/api/v1/devices", &revoked_token);
    assert_eq!(status, 401, "a revoked token: {body}");
    let (status, _) = http_get(daemon.addr, "/healthz");
    assert_eq!(status, 200, "health needs no token");

    let (status, _) = http_get_as(daemon.addr, "/api/v1/devices", &clerk_token);
    assert_eq!(status, 200);
    let approval = format!(r#"{{"borrower": "{clerk}"}}"#);
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/loans/approvals",
        &approval,
        &clerk_token,
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("\"error\":\"auth.forbidden\""), "{body}");
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/loans/approvals",
        &approval,
        &supervisor_token,
    );
    assert_eq!(status, 201, "{body}");

    // The denial is an event in the clerk's history (recorded just after the answer,
    // which does not wait for it).
    common::wait_until("the denial in the clerk's history", || {
        let (status, body) = http_get_as(
            daemon.addr,
            &format!("/api/v1/items/{clerk}/history"),
            &supervisor_token,
        );
        assert_eq!(status, 200, "{body}");
        body.contains("AccessDenied") && body.contains("approve loans")
    });
    assert!(daemon.terminate().success());
}

#[test]
fn the_live_stream_carries_each_scan_result_of_its_workstation() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    import_sample(&data, dir.path());
    let daemon = Daemon::start(&data);
    let mut reader = common::open_live_stream(&daemon, "workstation=counter");
    let (status, body) = daemon.post(
        "/api/v1/scans",
        r#"{"workstation": "counter", "data": "K0000000023"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let seen = read_stream_until(&mut reader, "SHELVE mode");
    assert!(seen.contains("event: scan"), "{seen}");
    assert!(
        seen.contains("\"workstation\":\"counter\"") && seen.contains("SHELVE mode"),
        "{seen}"
    );

    // A change to the store comes on the same stream: register a box.
    let registered = daemon.post(
        "/api/v1/boxes/register",
        r#"{"title": "借款合同", "customer": "新客户", "archive_no": "A-9"}"#,
    );
    assert_eq!(registered.0, 201, "{}", registered.1);
    let mut seen = String::new();
    while !seen.contains("event: change") {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        seen.push_str(&line);
    }
    let mut change = String::new();
    reader.read_line(&mut change).expect("the change's data");
    assert!(change.contains("\"kind\":\"Registered\""), "{seen}{change}");

    let (status, _) = common::http_get(daemon.addr, "/api/v1/live");
    assert_eq!(status, 401, "the stream needs a token too");
}

/// A SIGTERM that comes while the station is still starting (its address printed, the
/// first token, the devices and the HTTP server not yet up) stops it cleanly: the handlers
/// are installed before the address is printed, not when serving begins.
#[test]
fn sigterm_during_start_stops_the_station_cleanly() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut child = station(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("station serve starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = std::io::BufReader::new(stdout);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .expect("read the listening line");
    assert!(line.contains("http://"), "{line}");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: kill sends a signal to our own child process; it touches no memory.
    let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(sent, 0, "kill -TERM");
    // Read on, so the daemon never blocks on a full pipe, until it closes its stdout.
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut reader, &mut rest);
    let status = child.wait().expect("the daemon exits");
    assert!(
        status.success(),
        "SIGTERM during start must stop the station cleanly, not kill it: {status:?}"
    );
}

/// A station whose standard output is closed right after its address line (the reader went
/// away) keeps serving: the lines it prints after are logged as not shown, never a panic.
#[test]
fn a_closed_standard_output_does_not_stop_the_station() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut child = station(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("station serve starts");
    let addr: std::net::SocketAddr = {
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        line.trim()
            .rsplit("http://")
            .next()
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
        // The pipe's reading end is closed here, before the token line is printed.
    };
    common::wait_until("the station answers /healthz", || {
        matches!(child.try_wait(), Ok(Some(_))) || common::http_get(addr, "/healthz").0 == 200
    });
    assert!(
        matches!(child.try_wait(), Ok(None)),
        "the station stopped when its standard output closed: {:?}",
        child.try_wait()
    );
    let (status, body) = common::http_get(addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    let _ = child.kill();
    let _ = child.wait();
}
