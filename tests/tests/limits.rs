//! Bounded resources, end to end against the real daemon: the HTTP connection limit and its
//! 503, the header and idle timeouts, the raised open-file limit, the control socket's
//! bounds, SIGTERM with a live stream open, `/healthz` and `/livez`, coalesced denials and
//! the bounded log of a garbage scan.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

mod common;

use common::{
    http_get, http_get_as, http_post_as, person_with_token, read_stream_until, station, wait_until,
    Daemon,
};

/// A daemon on `data` with `config` as its station.toml.
fn start_configured(dir: &Path, data: &Path, config: &str) -> Daemon {
    let path = dir.join("station.toml");
    fs::write(&path, config).expect("config");
    Daemon::start_with(station(data).arg("--config").arg(&path).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]))
}

/// A connection that has sent nothing yet, with a generous read timeout (only a guard
/// against a hang).
fn connect(daemon: &Daemon) -> TcpStream {
    let stream = TcpStream::connect(daemon.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream
}

/// Reads one answer (headers and a `content-length` body) from a keep-alive connection:
/// (status, body).
fn read_answer(reader: &mut BufReader<TcpStream>) -> (u16, String) {
    let mut status = String::new();
    reader.read_line(&mut status).expect("status line");
    let code = status
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {status:?}"));
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header line");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().expect("a length");
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).expect("body");
    (code, String::from_utf8_lossy(&body).into_owned())
}

/// Whether the station closed `stream`: a read ends (EOF or reset) rather than timing out.
fn closed_by_station(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(error) => {
                return !matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                )
            }
        }
    }
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("not JSON ({error}): {body}"))
}

#[test]
fn a_connection_beyond_the_limit_gets_a_clear_503_while_the_admitted_ones_are_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let daemon = start_configured(
        dir.path(),
        &data,
        "[server]\nmax_connections = 4\nheader_timeout_secs = 120\nidle_timeout_secs = 120\n",
    );
    // Four idle connections, no request, no token: the limit.
    let idle: Vec<TcpStream> = (0..4).map(|_| connect(&daemon)).collect();

    // The fifth is accepted after them and answered at once.
    let (status, body) = http_get(daemon.addr, "/healthz");
    assert_eq!(status, 503, "{body}");
    let answer = json(&body);
    assert_eq!(answer["error"], "server.too_many_connections", "{body}");
    assert!(answer["message"]["zh"].is_string() && answer["message"]["en"].is_string());

    // An admitted connection is still served.
    let mut admitted = idle.into_iter();
    let first = admitted.next().expect("a connection");
    let mut writer = first.try_clone().expect("clone");
    writer
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("request");
    let (status, body) = read_answer(&mut BufReader::new(first));
    assert_eq!(status, 200, "{body}");

    // Once they go, the station answers again.
    drop(writer);
    drop(admitted);
    wait_until("a free connection slot", || {
        http_get(daemon.addr, "/healthz").0 == 200
    });
}

#[test]
fn a_half_sent_header_and_an_idle_keep_alive_connection_are_closed_after_their_timeouts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let daemon = start_configured(
        dir.path(),
        &data,
        "[server]\nmax_connections = 2\nheader_timeout_secs = 1\nidle_timeout_secs = 2\n",
    );
    // Headers that never end.
    let mut half = connect(&daemon);
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .expect("half a request");
    // A keep-alive connection that asked once and then says nothing.
    let quiet = connect(&daemon);
    let mut writer = quiet.try_clone().expect("clone");
    writer
        .write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("request");
    let mut reader = BufReader::new(quiet);
    let (status, body) = read_answer(&mut reader);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["status"], "ok");

    assert!(
        closed_by_station(&mut half),
        "the half-sent request is closed after the header timeout"
    );
    assert!(
        closed_by_station(reader.get_mut()),
        "the idle keep-alive connection is closed after the idle timeout"
    );
    // Both slots are free again.
    wait_until("the closed connections' slots", || {
        http_get(daemon.addr, "/healthz").0 == 200
    });
}

#[test]
fn the_daemon_raises_its_soft_open_file_limit_to_the_hard_limit() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut hard = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut hard) },
        0
    );
    let hard = hard.rlim_max;
    let soft = (hard / 2).min(512);
    let mut command = station(&data);
    command.args(["serve", "--listen", "127.0.0.1:0"]);
    // SAFETY: setrlimit is async-signal-safe and touches only the child's own limits.
    unsafe {
        command.pre_exec(move || {
            let lowered = libc::rlimit {
                rlim_cur: soft,
                rlim_max: hard,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let daemon = Daemon::start_with(&mut command);
    let limits = fs::read_to_string(format!("/proc/{}/limits", daemon.pid())).expect("limits");
    let open_files: Vec<&str> = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .expect("the open-files row")
        .split_whitespace()
        .collect();
    let limit = |text: &str| {
        if text == "unlimited" {
            u64::MAX
        } else {
            text.parse::<u64>().expect("a number")
        }
    };
    let (now_soft, now_hard) = (limit(open_files[3]), limit(open_files[4]));
    assert_eq!(now_hard, hard, "{limits}");
    assert_eq!(now_soft, now_hard, "started at {soft}: {limits}");
}

#[test]
fn the_control_socket_turns_away_connections_beyond_its_limit_and_closes_silent_ones() {
    use std::os::unix::net::UnixStream;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let daemon = start_configured(dir.path(), &data, "[server]\nheader_timeout_secs = 1\n");
    let socket = data.join("control.sock");
    // As many silent connections as the socket serves at once.
    let silent: Vec<UnixStream> = (0..8)
        .map(|_| {
            let stream = UnixStream::connect(&socket).expect("connect");
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .expect("timeout");
            stream
        })
        .collect();
    let target = dir.path().join("copy");
    let backup = |target: &Path| {
        let mut stream = UnixStream::connect(&socket).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        writeln!(stream, "backup {}", target.display()).expect("request");
        let mut reply = String::new();
        BufReader::new(stream)
            .read_line(&mut reply)
            .expect("a reply");
        reply
    };
    // One more is told at once, and nothing is done.
    let reply = backup(&target);
    assert!(reply.starts_with("error "), "{reply}");
    assert!(!target.exists(), "a refused request does nothing");

    // The silent ones are closed after the read timeout (with a line saying why).
    for stream in silent {
        let mut rest = String::new();
        BufReader::new(stream)
            .read_to_string(&mut rest)
            .expect("closed, not timed out");
        assert!(rest.starts_with("error "), "{rest}");
    }
    wait_until("a control connection served", || {
        backup(&target).starts_with("ok ")
    });
    assert!(target.exists());
    drop(daemon);
}

#[test]
fn sigterm_ends_an_open_live_stream_and_the_daemon_exits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut daemon = start_configured(
        dir.path(),
        &data,
        "[server]\nheader_timeout_secs = 1\nidle_timeout_secs = 1\n",
    );
    let mut reader = common::open_live_stream(&daemon, "");
    // A live stream is a request in flight, never idle: it outlives the idle timeout.
    std::thread::sleep(Duration::from_secs(3));
    let (status, body) = daemon.post(
        "/api/v1/scans",
        r#"{"workstation": "counter", "data": "K0000000023"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let seen = read_stream_until(&mut reader, "event: scan");
    assert!(seen.contains("event: scan"), "still streaming: {seen}");

    // SIGTERM: the stream ends and the daemon exits, the client still connected.
    let status = daemon.terminate_within(Duration::from_secs(60));
    assert!(
        status.is_some_and(|status| status.success()),
        "the daemon exits cleanly with a live stream open: {status:?}"
    );
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .expect("the stream ends, not times out");
    // Ended by the station as a whole answer (the last chunk), not cut off.
    assert!(
        rest.ends_with(b"0\r\n\r\n"),
        "{}",
        String::from_utf8_lossy(&rest)
    );
    drop(reader);
}

#[test]
fn health_lists_faulted_devices_and_liveness_answers_without_a_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let missing = dir.path().join("no-such-scanner");
    let daemon = start_configured(
        dir.path(),
        &data,
        &format!(
            "[[scanner]]\nname = \"gone\"\nport = \"{}\"\nworkstation = \"counter\"\n",
            missing.display()
        ),
    );
    let (status, body) = http_get(daemon.addr, "/livez");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["status"], "ok");

    let mut health = serde_json::Value::Null;
    wait_until("the scanner's failure to show", || {
        let (status, body) = http_get(daemon.addr, "/healthz");
        assert_eq!(
            status, 200,
            "a faulted device does not stop the station: {body}"
        );
        health = json(&body);
        health["status"] == "degraded"
    });
    assert_eq!(health["store_writable"], true, "{health}");
    let faulted = &health["faulted_devices"][0];
    assert_eq!(faulted["name"], "gone", "{health}");
    assert_eq!(faulted["kind"], "scanner", "{health}");
    assert!(faulted["problem"]["code"].is_string(), "{health}");
}

/// Needs root to mount a small tmpfs (CI runs as root).
#[test]
fn health_answers_503_once_a_write_fails_because_the_disk_is_full() {
    if !common::prerequisite(
        "health_answers_503_once_a_write_fails_because_the_disk_is_full",
        "root, to mount a small tmpfs",
        common::prerequisite::is_root(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mount = dir.path().join("tiny");
    let _disk = common::TinyDisk::mount(&mount, "16m");
    let data = mount.join("data");
    let daemon = Daemon::start(&data);
    let (status, body) = http_get(daemon.addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["store_writable"], true, "{body}");

    // Fill the disk, then write until the store says it cannot.
    let mut filler = fs::File::create(mount.join("filler")).expect("filler");
    let block = vec![0x5au8; 64 * 1024];
    while filler.write_all(&block).is_ok() {}
    let _ = filler.sync_all();
    let mut refused = false;
    for n in 0..200 {
        let (status, _) = daemon.post(
            "/api/v1/boxes/register",
            &format!(r#"{{"title": "借款合同{n}", "customer": "客户{n}", "archive_no": "F-{n}"}}"#),
        );
        if status >= 500 {
            refused = true;
            break;
        }
    }
    assert!(refused, "a write failed once the disk was full");
    let (status, body) = http_get(daemon.addr, "/healthz");
    assert_eq!(status, 503, "{body}");
    let health = json(&body);
    assert_eq!(health["status"], "unhealthy", "{body}");
    assert_eq!(health["store_writable"], false, "{body}");
    assert_eq!(health["store_problem"]["code"], "store.disk_full", "{body}");
    let (status, _) = http_get(daemon.addr, "/livez");
    assert_eq!(status, 200, "the process still serves");
    drop(daemon);
}

#[test]
fn repeated_denials_of_one_person_are_counted_and_recorded_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (clerk, clerk_token) = person_with_token(&data, "张三", "clerk");
    let (_, admin_token) = person_with_token(&data, "管理员乙", "admin");
    let mut daemon = Daemon::start(&data);
    const DENIALS: usize = 40;
    let approval = format!(r#"{{"borrower": "{clerk}"}}"#);
    for _ in 0..DENIALS {
        let (status, body) = http_post_as(
            daemon.addr,
            "/api/v1/loans/approvals",
            &approval,
            &clerk_token,
        );
        assert_eq!(status, 403, "{body}");
        assert_eq!(json(&body)["error"], "auth.forbidden");
    }
    let (status, metrics) = http_get_as(daemon.addr, "/metrics", &admin_token);
    assert_eq!(status, 200, "{metrics}");
    assert!(
        metrics
            .lines()
            .any(|line| line == format!("station_access_denied_total {DENIALS}")),
        "{metrics}"
    );
    // Stopping records what is still being counted.
    assert!(daemon
        .terminate_within(Duration::from_secs(60))
        .is_some_and(|status| status.success()));
    let daemon = Daemon::start(&data);
    let (status, body) = http_get_as(
        daemon.addr,
        &format!("/api/v1/items/{clerk}/history"),
        &admin_token,
    );
    assert_eq!(status, 200, "{body}");
    let history = json(&body);
    let denials: Vec<&serde_json::Value> = history
        .as_array()
        .expect("a list of events")
        .iter()
        .filter(|event| event["kind"] == "AccessDenied")
        .collect();
    assert!(
        !denials.is_empty() && denials.len() <= 3,
        "few events for {DENIALS} denials: {body}"
    );
    let counted: u64 = denials
        .iter()
        .map(|event| {
            event["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|change| change["field"] == "count")
                .and_then(|change| change["after"].as_str())
                .map_or(1, |count| count.parse().expect("a count"))
        })
        .sum();
    assert_eq!(counted, DENIALS as u64, "{body}");
}

#[test]
fn a_garbage_scan_through_the_api_logs_a_bounded_excerpt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let log = dir.path().join("station.log");
    let daemon = Daemon::start_logging_to(
        station(&data).args(["serve", "--listen", "127.0.0.1:0"]),
        &log,
    );
    let garbage: String = "ZQ#7".repeat(1000);
    let (status, body) = daemon.post(
        "/api/v1/scans",
        &format!(r#"{{"workstation": "counter", "data": "{garbage}"}}"#),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["outcome"], "error", "{body}");
    let mut text = String::new();
    wait_until("the scan in the log", || {
        text = fs::read_to_string(&log).unwrap_or_default();
        text.contains("input_bytes=4000")
    });
    assert!(
        text.contains(&garbage[..64]),
        "an excerpt is logged: {text}"
    );
    assert!(
        !text.contains(&garbage[..65]),
        "no more than the excerpt is logged: {text}"
    );
}
