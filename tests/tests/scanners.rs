//! Scanners end to end: the real daemon reads simulated scanners on real
//! pseudo-terminals (behind `/dev/serial/by-id`-style links), runs the scan workflows,
//! and survives garbage and an unplugged cable.

mod common;

use std::fs;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{http_get, import_ledger, run, station, stdout, wait_until, Daemon};
use firmware_bridge::ssi::{opcode, Packet, Source, Status};
use serialport::{SerialPort, TTYPort};
use station::workflow::CommandCard;

/// The tests here run one at a time: a PTY master opened by one test must not leak into
/// a daemon another test spawns at that moment, or unplugging could not close it.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
}

/// A simulated scanner: the master side of a PTY whose slave the daemon reads.
struct Scanner {
    master: Option<TTYPort>,
    link: PathBuf,
}

impl Scanner {
    fn plug_in(link: &Path) -> Scanner {
        let (master, slave) = TTYPort::pair().expect("open a PTY pair");
        // The daemon is a child process: it must not inherit the scanner's side, or
        // closing it here would not unplug anything.
        // SAFETY: fcntl on a descriptor this process owns and keeps open.
        let flagged = unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        assert_eq!(flagged, 0, "set FD_CLOEXEC on the PTY master");
        let slave_path = slave.name().expect("the PTY slave has a path");
        // Only the daemon may hold the slave open.
        drop(slave);
        let staging = link.with_extension("new");
        std::os::unix::fs::symlink(&slave_path, &staging).expect("link");
        fs::rename(&staging, link).expect("install the link");
        Scanner {
            master: Some(master),
            link: link.to_owned(),
        }
    }

    fn unplug(&mut self) {
        let _ = fs::remove_file(&self.link);
        self.master = None;
    }

    /// Writes `code` and a CR one byte at a time, as a slow serial line delivers it.
    fn scan(&mut self, code: impl ToString) {
        let mut bytes = code.to_string().into_bytes();
        bytes.push(b'\r');
        let master = self.master.as_mut().expect("plugged in");
        for byte in bytes {
            master.write_all(&[byte]).expect("write to the PTY");
        }
        master.flush().expect("flush");
    }

    fn write_raw(&mut self, bytes: &[u8]) {
        let master = self.master.as_mut().expect("plugged in");
        master.write_all(bytes).expect("write to the PTY");
    }
}

fn json(daemon: &Daemon, path: &str) -> serde_json::Value {
    let (status, body) = daemon.get(path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|error| panic!("{path}: {error}: {body}"))
}

/// The results of `workstation` once there are `count` of them.
fn results(daemon: &Daemon, workstation: &str, count: usize) -> Vec<serde_json::Value> {
    let path = format!("/api/v1/scans/recent?workstation={workstation}&limit=200");
    let mut out = Vec::new();
    wait_until(&format!("{count} results at {workstation}"), || {
        out = json(daemon, &path).as_array().cloned().unwrap_or_default();
        out.len() >= count
    });
    assert_eq!(out.len(), count, "exactly one result per scan: {out:#?}");
    out
}

fn message(result: &serde_json::Value) -> String {
    format!("{} / {}", result["message"]["zh"], result["message"]["en"])
}

/// The result's outcome and code (a code ending in `.` names a family: `barcode.`).
fn expect(result: &serde_json::Value, outcome: &str, code: &str) {
    assert_eq!(result["outcome"], outcome, "{}", message(result));
    let found = result["code"].as_str().unwrap_or("");
    assert!(
        found == code || (code.ends_with('.') && found.starts_with(code)),
        "expected code {code:?}, got {found:?}: {}",
        message(result)
    );
}

/// As [`expect`], and both halves of the message name `data` (a name, a path, a count).
fn expect_with(result: &serde_json::Value, outcome: &str, code: &str, data: &str) {
    expect(result, outcome, code);
    for half in ["zh", "en"] {
        assert!(
            result["message"][half]
                .as_str()
                .unwrap_or("")
                .contains(data),
            "expected {data:?} in {}",
            message(result)
        );
    }
}

fn connected(daemon: &Daemon, name: &str) -> bool {
    json(daemon, "/api/v1/devices")
        .as_array()
        .into_iter()
        .flatten()
        .any(|device| device["name"] == name && device["connected"] == true)
}

struct Setup {
    dir: tempfile::TempDir,
    data: PathBuf,
    boxes: Vec<String>,
    executive: String,
    clerk: String,
    supervisor: String,
}

fn add_person(data: &Path, args: &[&str]) -> String {
    let added = run(station(data).args(["person", "add"]).args(args));
    assert!(added.status.success(), "{}", stdout(&added));
    stdout(&added)
        .split('\t')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    import_ledger(
        &data,
        dir.path(),
        "档案号,题名,客户名称,位置\n\
         A-1,借款合同,鸿达贸易,1号库房/05列/A面/3节/4层\n\
         A-2,抵押资料,华南电力,1号库房/05列/A面/3节/5层\n\
         A-3,担保资料,东方机械,1号库房/05列/A面/3节/5层\n",
    );
    let boxes = stdout(&run(station(&data).arg("export")))
        .lines()
        .skip(1)
        .map(|line| line.rsplit(',').next().unwrap_or_default().to_owned())
        .collect();
    let executive = add_person(&data, &["--name", "李总", "--borrow-directly"]);
    let clerk = add_person(&data, &["--name", "张三"]);
    let supervisor = add_person(&data, &["--name", "王主管", "--role", "supervisor"]);
    Setup {
        dir,
        data,
        boxes,
        executive,
        clerk,
        supervisor,
    }
}

fn start(setup: &Setup, scanners: &[(&str, &Path, &str)]) -> Daemon {
    start_with_protocol(setup, scanners, "line")
}

fn start_with_protocol(setup: &Setup, scanners: &[(&str, &Path, &str)], protocol: &str) -> Daemon {
    let path = config_file(setup, scanners, protocol);
    Daemon::start_with(station(&setup.data).arg("--config").arg(&path).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]))
}

/// Starts the daemon with line scanners and its log (warnings and worse) in `log`.
fn start_logging_to(setup: &Setup, scanners: &[(&str, &Path, &str)], log: &Path) -> Daemon {
    let path = config_file(setup, scanners, "line");
    Daemon::start_logging_to(
        station(&setup.data)
            .arg("--config")
            .arg(&path)
            .args(["serve", "--listen", "127.0.0.1:0"]),
        log,
    )
}

/// Writes station.toml with `scanners` speaking `protocol`; answers its path.
fn config_file(setup: &Setup, scanners: &[(&str, &Path, &str)], protocol: &str) -> PathBuf {
    let mut config = String::from(
        "repeat_window_ms = 0\nintake_scheme = \"loan\"\n\
         [[scheme]]\nname = \"loan\"\ntemplate = \"{year}鸿借字第{seq:03}号\"\n\
         [[workstation]]\nname = \"counter\"\n[[workstation]]\nname = \"cart-1\"\n",
    );
    for (name, link, workstation) in scanners {
        config.push_str(&format!(
            "[[scanner]]\nname = \"{name}\"\nport = \"{}\"\nprotocol = \"{protocol}\"\nsuffix = \"cr\"\nworkstation = \"{workstation}\"\n",
            link.display()
        ));
    }
    let path = setup.dir.path().join("station.toml");
    fs::write(&path, config).expect("config");
    path
}

#[test]
fn checkout_and_return_by_scanning_alone_with_every_byte_written_separately() {
    let _serial = one_at_a_time();
    let setup = setup();
    let link = setup.dir.path().join("usb-Honeywell_1900-if00");
    let mut scanner = Scanner::plug_in(&link);
    let daemon = start(&setup, &[("counter-scanner", &link, "counter")]);
    wait_until("the scanner to connect", || {
        connected(&daemon, "counter-scanner")
    });

    scanner.scan(CommandCard::Checkout.barcode());
    scanner.scan(&setup.boxes[0]);
    scanner.scan(&setup.executive);
    scanner.scan(format!("]C0{}", setup.boxes[0]));
    scanner.scan("B0000000019");
    let all = results(&daemon, "counter", 5);
    expect(&all[0], "ok", "mode.entered");
    assert_eq!(all[0]["mode"], "checkout");
    expect(&all[1], "error", "checkout.needs_borrower");
    expect_with(&all[2], "ok", "checkout.borrower", "李总");
    expect_with(&all[3], "ok", "checkout.lent", "李总");
    expect(&all[4], "error", "barcode.bad_check_digit");

    let item = json(&daemon, &format!("/api/v1/items/{}", setup.boxes[0]));
    assert_eq!(item["status"], "on loan", "{item}");

    scanner.scan(CommandCard::Return.barcode());
    scanner.scan(&setup.boxes[0]);
    let all = results(&daemon, "counter", 7);
    expect_with(&all[6], "ok", "return.done", "1号库房/05列/A面/3节/4层");
    let item = json(&daemon, &format!("/api/v1/items/{}", setup.boxes[0]));
    assert_eq!(item["status"], "at counter", "{item}");
    assert!(daemon.terminate().success());
}

#[test]
fn two_workstations_interleave_and_garbage_does_not_stop_a_scanner() {
    let _serial = one_at_a_time();
    let setup = setup();
    let counter_link = setup.dir.path().join("usb-counter-if00");
    let cart_link = setup.dir.path().join("usb-cart-if00");
    let mut counter = Scanner::plug_in(&counter_link);
    let mut cart = Scanner::plug_in(&cart_link);
    let daemon = start(
        &setup,
        &[
            ("counter-scanner", &counter_link, "counter"),
            ("cart-scanner", &cart_link, "cart-1"),
        ],
    );
    wait_until("both scanners", || {
        connected(&daemon, "counter-scanner") && connected(&daemon, "cart-scanner")
    });
    let first_shelf = json(&daemon, &format!("/api/v1/items/{}", setup.boxes[0]))["place"]
        ["barcode"]
        .as_str()
        .expect("box 1 is on a shelf")
        .to_owned();

    cart.scan(CommandCard::Shelve.barcode());
    counter.scan(CommandCard::Checkout.barcode());
    cart.scan(&first_shelf);
    counter.scan(&setup.executive);
    // A burst of line noise: control bytes, NULs and high bytes, then a good scan.
    let mut noise = Vec::new();
    for n in 0..4096u32 {
        noise.push((n.wrapping_mul(2_654_435_761) >> 24) as u8 & 0x1f);
    }
    noise.push(b'\r');
    cart.write_raw(&noise);
    cart.scan(&setup.boxes[1]);
    counter.scan(&setup.boxes[2]);

    let at_counter = results(&daemon, "counter", 3);
    let mut at_cart = Vec::new();
    wait_until("the good scan after the noise", || {
        at_cart = json(&daemon, "/api/v1/scans/recent?workstation=cart-1&limit=200")
            .as_array()
            .cloned()
            .unwrap_or_default();
        at_cart
            .last()
            .is_some_and(|last| last["input"] == setup.boxes[1].as_str())
    });
    expect(&at_cart[0], "ok", "mode.entered");
    assert_eq!(at_cart[0]["mode"], "shelve");
    expect(&at_cart[1], "ok", "shelve.shelf");
    expect(
        &at_cart[at_cart.len() - 1],
        "warning",
        "shelve.not_home_shelf",
    );
    // Noise that looked like data (separator bytes such as GS are data in GS1 codes)
    // was answered as unreadable; nothing else came of it.
    for noise in &at_cart[2..at_cart.len() - 1] {
        // The same noise twice within the repeat window is answered as a repeat.
        if noise["code"] != "scan.repeated" {
            expect(noise, "error", "barcode.");
        }
    }
    expect_with(&at_counter[2], "ok", "checkout.lent", "李总");
    let moved = json(&daemon, &format!("/api/v1/items/{}", setup.boxes[1]));
    assert_eq!(moved["place"]["barcode"], first_shelf.as_str(), "{moved}");
    let (status, _) = http_get(daemon.addr, "/healthz");
    assert_eq!(status, 200);
}

/// The `name=value` numbers of the log's noise summaries.
fn noise_counts(log: &str, name: &str) -> Vec<u64> {
    log.lines()
        .filter(|line| line.contains("scanner noise skipped"))
        .filter_map(|line| {
            line.split_whitespace()
                .find_map(|field| field.strip_prefix(&format!("{name}=")))
                .and_then(|value| value.parse().ok())
        })
        .collect()
}

#[test]
fn a_mebibyte_of_line_noise_is_logged_as_a_few_summary_lines_with_counts() {
    let _serial = one_at_a_time();
    let setup = setup();
    let link = setup.dir.path().join("usb-noisy-if00");
    let log_path = setup.dir.path().join("station.log");
    let mut scanner = Scanner::plug_in(&link);
    let daemon = start_logging_to(&setup, &[("noisy-scanner", &link, "counter")], &log_path);
    wait_until("the scanner to connect", || {
        connected(&daemon, "noisy-scanner")
    });
    let started = Instant::now();
    // 1 MiB of control-byte noise (CRs among it end many short lines of it).
    let mut noise = Vec::with_capacity(1 << 20);
    for n in 0..(1u32 << 20) {
        noise.push((n.wrapping_mul(2_654_435_761) >> 24) as u8 & 0x1f);
    }
    noise.push(b'\r');
    scanner.write_raw(&noise);
    scanner.scan(CommandCard::Lookup.barcode());
    scanner.scan(&setup.boxes[0]);
    let all = results(&daemon, "counter", 2);
    expect(&all[1], "ok", "lookup.found");
    // The rest of the noise is summed up one interval after the first line.
    wait_until("the noise summed up", || {
        let log = fs::read_to_string(&log_path).unwrap_or_default();
        noise_counts(&log, "fragments").len() >= 2
    });
    let elapsed = started.elapsed().as_secs();
    let log = fs::read_to_string(&log_path).expect("the log");
    let summaries = noise_counts(&log, "fragments");
    // One line at once, then at most one per 10 s interval.
    assert!(
        summaries.len() as u64 <= 2 + elapsed / 10,
        "{} summary lines in {elapsed} s",
        summaries.len()
    );
    let fragments: u64 = summaries.iter().sum();
    let bytes: u64 = noise_counts(&log, "bytes").iter().sum();
    assert!(
        fragments > 10_000 && bytes > 500_000,
        "the counts cover the noise: {fragments} fragments, {bytes} bytes"
    );
    let lines = log.lines().count();
    assert!(lines <= 20, "{lines} log lines:\n{log}");
    let device = &json(&daemon, "/api/v1/devices")[0];
    assert_eq!(
        device["last_problem"]["code"], "device.scanner_skipped",
        "{device}"
    );
    assert!(
        !device["last_problem"]["ended_at"].is_null(),
        "noise is momentary: {device}"
    );
    assert!(daemon.terminate().success());
}

#[test]
fn a_scan_sent_right_after_unterminated_noise_is_taken() {
    let _serial = one_at_a_time();
    let setup = setup();
    let link = setup.dir.path().join("usb-Honeywell_1900-if00");
    let mut scanner = Scanner::plug_in(&link);
    let daemon = start(&setup, &[("counter-scanner", &link, "counter")]);
    wait_until("the scanner to connect", || {
        connected(&daemon, "counter-scanner")
    });
    scanner.scan(CommandCard::Lookup.barcode());
    // Printable noise without a terminator, and the scan straight after it: both reach
    // the daemon as one line.
    scanner.write_raw(b"x7#q!%k");
    scanner.scan(&setup.boxes[1]);
    let all = results(&daemon, "counter", 2);
    expect(&all[1], "ok", "lookup.found");
    assert_eq!(all[1]["input"], setup.boxes[1].as_str());
    assert_eq!(all[1]["item"]["archive_no"], "A-2");
    // The noise is reported as such.
    let device = &json(&daemon, "/api/v1/devices")[0];
    assert_eq!(
        device["last_problem"]["code"], "device.scanner_skipped",
        "{device}"
    );
    // A line that is not a barcode and does not end with one is still answered.
    scanner.scan("x7#q!B0000000019");
    let all = results(&daemon, "counter", 3);
    expect(&all[2], "error", "barcode.");
    assert!(daemon.terminate().success());
}

#[test]
fn an_unplugged_scanner_is_reopened_when_it_comes_back() {
    let _serial = one_at_a_time();
    let setup = setup();
    let link = setup.dir.path().join("usb-Honeywell_1900-if00");
    let mut scanner = Scanner::plug_in(&link);
    let daemon = start(&setup, &[("counter-scanner", &link, "counter")]);
    wait_until("the scanner to connect", || {
        connected(&daemon, "counter-scanner")
    });
    scanner.scan(&setup.boxes[0]);
    results(&daemon, "counter", 1);

    scanner.unplug();
    wait_until("the daemon to notice", || {
        !connected(&daemon, "counter-scanner")
    });
    let devices = json(&daemon, "/api/v1/devices");
    // Disconnected, and (once it tried to reopen the vanished port) unavailable.
    let code = &devices[0]["last_problem"]["code"];
    assert!(
        code == "device.scanner_disconnected" || code == "device.scanner_unavailable",
        "{devices}"
    );

    assert!(
        devices[0]["last_problem"]["ended_at"].is_null(),
        "the problem lasts: {devices}"
    );
    assert!(devices[0]["recovered_at"].is_null(), "{devices}");

    let mut scanner = Scanner::plug_in(&link);
    wait_until("the scanner to be reopened", || {
        connected(&daemon, "counter-scanner")
    });
    // Recovered: it says when, and its last problem is shown as past.
    let devices = json(&daemon, "/api/v1/devices");
    let device = &devices[0];
    let recovered = device["recovered_at"].as_i64().expect("recovered_at");
    assert_eq!(device["since"].as_i64(), Some(recovered), "{device}");
    let problem = &device["last_problem"];
    assert_eq!(problem["ended_at"].as_i64(), Some(recovered), "{device}");
    assert!(
        problem["at"].as_i64().is_some_and(|at| at <= recovered),
        "{device}"
    );
    scanner.scan(CommandCard::Lookup.barcode());
    scanner.scan(&setup.boxes[1]);
    let all = results(&daemon, "counter", 3);
    expect(&all[2], "ok", "lookup.found");
    assert_eq!(all[2]["item"]["archive_no"], "A-2");
    assert!(daemon.terminate().success());
}

#[test]
fn the_other_modes_by_scanning_alone() {
    let _serial = one_at_a_time();
    let setup = setup();
    let link = setup.dir.path().join("usb-Honeywell_1900-if00");
    let mut scanner = Scanner::plug_in(&link);
    let daemon = start(&setup, &[("counter-scanner", &link, "counter")]);
    wait_until("the scanner to connect", || {
        connected(&daemon, "counter-scanner")
    });
    let shelf = |item: &str| {
        json(&daemon, &format!("/api/v1/items/{item}"))["place"]["barcode"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let first_shelf = shelf(&setup.boxes[0]);
    let second_shelf = shelf(&setup.boxes[1]);
    let mut expected = 0;
    let mut next = |scanner: &mut Scanner, code: &str| {
        scanner.scan(code);
        expected += 1;
        results(&daemon, "counter", expected)
            .pop()
            .expect("a result")
    };

    // SHELVE, then UNDO puts the box back where it was.
    next(&mut scanner, &CommandCard::Shelve.barcode().to_string());
    next(&mut scanner, &first_shelf);
    expect(
        &next(&mut scanner, &setup.boxes[1]),
        "warning",
        "shelve.not_home_shelf",
    );
    assert_eq!(shelf(&setup.boxes[1]), first_shelf);
    expect(
        &next(&mut scanner, &CommandCard::Undo.barcode().to_string()),
        "ok",
        "undo.done",
    );
    assert_eq!(shelf(&setup.boxes[1]), second_shelf);

    // AUDIT of the second shelf with one box not found and one stranger.
    next(&mut scanner, &CommandCard::Audit.barcode().to_string());
    expect(&next(&mut scanner, &second_shelf), "ok", "audit.started");
    next(&mut scanner, &setup.boxes[1]);
    next(&mut scanner, "B0000099999"); // valid, not registered
    let done = next(&mut scanner, &CommandCard::Done.barcode().to_string());
    expect(&done, "warning", "audit.discrepancies");
    for (list, count) in [
        ("present", 1),
        ("missing", 1),
        ("misplaced", 0),
        ("unknown", 1),
    ] {
        assert_eq!(
            done["audit"][list].as_array().map(Vec::len),
            Some(count),
            "{done}"
        );
    }
    assert_eq!(done["audit"]["missing"][0], setup.boxes[2].as_str());
    let missing = json(&daemon, &format!("/api/v1/items/{}", setup.boxes[2]));
    assert_eq!(missing["status"], "missing", "{missing}");

    // INTAKE of a blank pre-printed label.
    next(&mut scanner, &CommandCard::Intake.barcode().to_string());
    let blank = "B0000050002"; // seq 5,000, Damm check digit 2
    let registered = next(&mut scanner, blank);
    expect(&registered, "warning", "intake.registered");
    assert_eq!(
        json(&daemon, &format!("/api/v1/items/{blank}"))["status"],
        "at counter"
    );
    expect_with(&registered, "warning", "intake.registered", "pdf");
    // No printer configured: the label of the new box is a PDF in DATA/labels.
    let labels = setup.data.join("labels");
    wait_until("the new box's label", || {
        fs::read_dir(&labels).is_ok_and(|dir| {
            dir.flatten().any(|entry| {
                entry
                    .file_name()
                    .to_string_lossy()
                    .ends_with(&format!("{blank}.pdf"))
            })
        })
    });

    // HANDOVER from the clerk (operator) to the executive.
    next(&mut scanner, &setup.clerk);
    next(&mut scanner, &CommandCard::Handover.barcode().to_string());
    expect(
        &next(&mut scanner, &setup.boxes[0]),
        "error",
        "handover.needs_receiver",
    );
    next(&mut scanner, &setup.executive);
    next(&mut scanner, &setup.boxes[0]);
    expect_with(
        &next(&mut scanner, &CommandCard::Done.barcode().to_string()),
        "ok",
        "handover.confirmed",
        "李总",
    );

    // CHECKOUT with an approval recorded through the API beforehand.
    let (status, body) = daemon.post(
        "/api/v1/loans/approvals",
        &format!(
            r#"{{"borrower": "{}", "approver": "{}"}}"#,
            setup.clerk, setup.supervisor
        ),
    );
    assert_eq!(status, 201, "{body}");
    next(&mut scanner, &CommandCard::Checkout.barcode().to_string());
    expect_with(
        &next(&mut scanner, &setup.clerk),
        "ok",
        "checkout.borrower_approved",
        "王主管",
    );
    expect_with(
        &next(&mut scanner, &setup.boxes[0]),
        "ok",
        "checkout.lent",
        "张三",
    );
    let (status, body) = daemon.post(
        "/api/v1/loans/approvals",
        &format!(
            r#"{{"borrower": "{}", "approver": "{}"}}"#,
            setup.clerk, setup.executive
        ),
    );
    assert_eq!(status, 422, "an executive is no approver: {body}");
    assert!(body.contains("not a supervisor"), "{body}");
}

/// Reads packets the station writes to an SSI scanner until `count` have come.
fn read_packets(master: &mut TTYPort, count: usize) -> Vec<Packet> {
    use std::io::Read;
    master
        .set_timeout(Duration::from_millis(200))
        .expect("set a read timeout");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut buffer = Vec::new();
    let mut packets = Vec::new();
    while packets.len() < count {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {count} packets: {packets:?}"
        );
        let mut chunk = [0u8; 256];
        match master.read(&mut chunk) {
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {}
            Err(error) => panic!("reading the PTY: {error}"),
        }
        while let Ok(Some((packet, used))) = Packet::decode(&buffer) {
            buffer.drain(..used);
            packets.push(packet);
        }
    }
    packets
}

#[test]
fn an_ssi_scanner_is_acknowledged_and_told_good_or_bad() {
    let _serial = one_at_a_time();
    let setup = setup();
    let link = setup.dir.path().join("usb-Zebra_DS2208-if00");
    let mut scanner = Scanner::plug_in(&link);
    let daemon = start_with_protocol(&setup, &[("zebra", &link, "counter")], "ssi");
    wait_until("the scanner to connect", || connected(&daemon, "zebra"));
    let decode_data = |code: &str| {
        let mut data = vec![0x03]; // Code 128
        data.extend_from_slice(code.as_bytes());
        let mut out = Vec::new();
        Packet::new(opcode::DECODE_DATA, Source::Decoder, Status(0), data)
            .expect("packet")
            .encode(&mut out);
        out
    };

    scanner.write_raw(&decode_data(&setup.boxes[0]));
    let packets = read_packets(scanner.master.as_mut().expect("plugged in"), 3);
    let opcodes: Vec<u8> = packets.iter().map(Packet::opcode).collect();
    assert_eq!(
        opcodes,
        [opcode::CMD_ACK, opcode::BEEP, opcode::LED_ON],
        "{packets:?}"
    );
    assert_eq!(packets[1].data(), [0x00], "one short high beep for OK");
    assert_eq!(packets[2].data(), [0x01], "green LED");
    expect(&results(&daemon, "counter", 1)[0], "ok", "lookup.found");

    scanner.write_raw(&decode_data("B0000000019"));
    let packets = read_packets(scanner.master.as_mut().expect("plugged in"), 3);
    assert_eq!(packets[0].opcode(), opcode::CMD_ACK);
    assert_eq!(
        packets[1].data(),
        [0x07],
        "three short low beeps for an error"
    );
    assert_eq!(packets[2].data(), [0x02], "red LED");
    expect(
        &results(&daemon, "counter", 2)[1],
        "error",
        "barcode.bad_check_digit",
    );
}

/// An administrator adds a scanner through the API while the station runs: it is read at
/// once, can be disabled and enabled, is still there after a restart, and a clerk may not
/// touch it. A scheme added the same way numbers boxes until it is retired.
#[test]
fn an_administrator_adds_a_scanner_and_a_scheme_while_the_station_runs() {
    let _serial = one_at_a_time();
    let setup = setup();
    let link = setup.dir.path().join("usb-Datalogic_QD2430-if00");
    let mut scanner = Scanner::plug_in(&link);
    let daemon = start(&setup, &[]);
    let admin = daemon.token.clone();
    assert!(
        admin.starts_with("ast_"),
        "the first start made an admin token"
    );
    let definition = format!(
        r#"{{"kind": "scanner", "name": "cart-scanner", "port": "{}", "suffix": "cr", "workstation": "cart-1"}}"#,
        link.display()
    );
    let (status, token) = daemon.post(
        "/api/v1/tokens/create",
        &format!(r#"{{"person": "{}"}}"#, setup.clerk),
    );
    assert_eq!(status, 201, "{token}");
    let token: serde_json::Value = serde_json::from_str(&token).expect("token JSON");
    let clerk_token = token["secret"].as_str().expect("secret").to_owned();
    let (status, body) = common::http_post_as(
        daemon.addr,
        "/api/v1/devices/add",
        &definition,
        &clerk_token,
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        common::device_state(daemon.addr, &admin, "cart-scanner"),
        serde_json::Value::Null
    );

    let (status, body) = daemon.post("/api/v1/devices/add", &definition);
    assert_eq!(status, 201, "{body}");
    wait_until("the new scanner to connect", || {
        connected(&daemon, "cart-scanner")
    });
    let added = common::device_state(daemon.addr, &admin, "cart-scanner");
    assert_eq!(
        (added["origin"].as_str(), added["enabled"].as_bool()),
        (Some("station"), Some(true)),
        "{added}"
    );
    scanner.scan(&setup.boxes[0]);
    let first = results(&daemon, "cart-1", 1);
    assert_eq!(first[0]["item"]["archive_no"], "A-1", "{:#?}", first[0]);

    // The same name twice, or a workstation that does not exist: refused, nothing changes.
    let (status, body) = daemon.post("/api/v1/devices/add", &definition);
    assert_eq!(status, 422, "{body}");
    let (status, body) = daemon.post(
        "/api/v1/devices/add",
        r#"{"kind": "scanner", "name": "stray", "port": "/dev/ttyACM9", "workstation": "attic"}"#,
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("attic"), "{body}");
    assert_eq!(
        common::device_state(daemon.addr, &admin, "stray"),
        serde_json::Value::Null
    );

    let (status, body) = daemon.post("/api/v1/devices/cart-scanner/disable", "");
    assert_eq!(status, 200, "{body}");
    let disabled = common::device_state(daemon.addr, &admin, "cart-scanner");
    assert_eq!(
        (
            disabled["enabled"].as_bool(),
            disabled["connected"].as_bool()
        ),
        (Some(false), Some(false)),
        "{disabled}"
    );
    let (status, body) = daemon.post("/api/v1/devices/cart-scanner/enable", "");
    assert_eq!(status, 200, "{body}");
    wait_until("the enabled scanner to connect", || {
        connected(&daemon, "cart-scanner")
    });
    scanner.scan(&setup.boxes[1]);
    let both = results(&daemon, "cart-1", 2);
    assert_eq!(both[1]["item"]["archive_no"], "A-2");

    let (status, body) = daemon.post(
        "/api/v1/schemes/add",
        r#"{"name": "guarantee", "template": "{year}担字第{seq:03}号"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let register =
        r#"{"title": "担保合同", "customer": "远景机械", "scheme": "guarantee", "year": 2026}"#;
    let (status, body) = daemon.post("/api/v1/boxes/register", register);
    assert_eq!(status, 201, "{body}");
    assert!(body.contains("2026担字第001号"), "{body}");

    assert!(daemon.terminate().success());
    let daemon = start(&setup, &[]);
    wait_until("the stored scanner to connect after a restart", || {
        common::device_state(daemon.addr, &admin, "cart-scanner")["connected"] == true
    });
    scanner.scan(&setup.boxes[2]);
    let third = {
        let path = "/api/v1/scans/recent?workstation=cart-1";
        let mut out = Vec::new();
        wait_until("a scan after the restart", || {
            let (_, body) = common::http_get_as(daemon.addr, path, &admin);
            out = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|value| value.as_array().cloned())
                .unwrap_or_default();
            !out.is_empty()
        });
        out
    };
    assert_eq!(third[0]["item"]["archive_no"], "A-3");

    let (status, body) =
        common::http_post_as(daemon.addr, "/api/v1/boxes/register", register, &admin);
    assert_eq!(status, 201, "{body}");
    assert!(
        body.contains("2026担字第002号"),
        "numbering goes on after a restart: {body}"
    );
    let (status, body) =
        common::http_post_as(daemon.addr, "/api/v1/schemes/guarantee/retire", "", &admin);
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        common::http_post_as(daemon.addr, "/api/v1/boxes/register", register, &admin);
    assert_eq!(status, 422, "a retired scheme numbers nothing: {body}");
    let (_, schemes) = common::http_get_as(daemon.addr, "/api/v1/schemes", &admin);
    assert!(schemes.contains(r#""retired":true"#), "{schemes}");

    let (status, body) = common::http_post_as(
        daemon.addr,
        "/api/v1/devices/cart-scanner/remove",
        "",
        &admin,
    );
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        common::device_state(daemon.addr, &admin, "cart-scanner"),
        serde_json::Value::Null
    );
    assert!(daemon.terminate().success());
}
