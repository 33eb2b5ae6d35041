//! The room defined by the people who run it, end to end: the real `station` binary lays
//! out a block of racks and adds a safe with the daemon stopped and running (through the
//! control socket); a supervisor scans a certificate into the safe and its drawer on a
//! scanner (a real PTY), a clerk's attempt is refused and changes nothing.

mod common;

use std::fs;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;

use common::{http_post_as, person_with_token, run, station, stderr, stdout, wait_until, Daemon};
use serialport::{SerialPort, TTYPort};
use station::message::Code;
use station::workflow::CommandCard;

/// The part of a template before its first placeholder.
fn head(code: Code) -> &'static str {
    let (_, en) = code.templates();
    en.split('{').next().unwrap_or(en)
}

/// Runs `station location …` and answers its standard output; it must succeed.
fn location(data: &Path, args: &[&str]) -> String {
    let output = run(station(data).args(["--lang", "en", "location"]).args(args));
    assert!(
        output.status.success(),
        "location {args:?}: {}",
        stderr(&output)
    );
    stdout(&output)
}

/// Runs `station location …` that must be refused with `code`.
fn refused(data: &Path, args: &[&str], code: Code) {
    let output = run(station(data).args(["--lang", "en", "location"]).args(args));
    assert!(!output.status.success(), "location {args:?} succeeded");
    let said = stderr(&output);
    assert!(said.contains(head(code)), "expected {code:?}: {said}");
}

/// `location list` as rows of tab-separated fields.
fn list(data: &Path, under: Option<&str>) -> Vec<Vec<String>> {
    let mut args = vec!["list"];
    if let Some(under) = under {
        args.extend(["--under", under]);
    }
    location(data, &args)
        .lines()
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

/// The fields of `location layout`'s line: room, created, existing, shelves, capacities
/// given, retired met.
fn layout(data: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "layout",
        "--room",
        "二号库房",
        "--racks",
        "1-12",
        "--sides",
        "A,B",
        "--sections",
        "5",
        "--shelves",
        "5",
        "--capacity",
        "40",
    ];
    args.extend(extra);
    location(data, &args)
        .trim()
        .split('\t')
        .map(str::to_owned)
        .collect()
}

/// Every location the API lists, page by page (500 a page, following `x-next-after`).
fn all_locations(addr: std::net::SocketAddr, token: &str) -> Vec<serde_json::Value> {
    use std::io::{Read, Write};
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(cursor) => {
                let encoded: String = cursor
                    .bytes()
                    .map(|b| {
                        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                            char::from(b).to_string()
                        } else {
                            format!("%{b:02X}")
                        }
                    })
                    .collect();
                format!("/api/v1/locations?limit=500&after={encoded}")
            }
            None => "/api/v1/locations?limit=500".to_owned(),
        };
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        let (head, body) = answer.split_once("\r\n\r\n").expect("an answer");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let page: serde_json::Value = serde_json::from_str(body).expect("JSON");
        out.extend(page.as_array().cloned().unwrap_or_default());
        after = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("x-next-after"))
            .map(|(_, value)| value.trim().to_owned());
        if after.is_none() {
            return out;
        }
    }
}

#[test]
fn the_room_is_defined_by_the_cli_with_the_daemon_stopped_and_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");

    // Stopped: one command lays out 12 racks × 2 sides × 5 sections × 5 shelves.
    let first = layout(&data, &["--mobile"]);
    assert_eq!(first, ["2号库房", "757", "0", "600", "0", "0"]);
    let rows = list(&data, Some("2号库房"));
    let shelves: Vec<&Vec<String>> = rows.iter().filter(|row| row[1] == "shelf").collect();
    assert_eq!(shelves.len(), 600);
    assert!(shelves.iter().all(|row| row[3] == "40"), "{shelves:?}");
    // Walking order: the first and the last shelf a person reaches.
    assert_eq!(shelves[0][2], "2号库房/01列/A面/1节/1层");
    assert_eq!(shelves[599][2], "2号库房/12列/B面/5节/5层");
    let racks: Vec<&Vec<String>> = rows.iter().filter(|row| row[1] == "rack").collect();
    assert_eq!(racks.len(), 12);
    assert!(racks.iter().all(|row| row[5] == "mobile"), "{racks:?}");
    // Again: nothing new.
    assert_eq!(
        layout(&data, &["--mobile"]),
        ["2号库房", "0", "757", "600", "0", "0"]
    );
    assert_eq!(list(&data, None).len(), 757);
    refused(
        &data,
        &[
            "layout",
            "--room",
            "2号库房",
            "--racks",
            "1-1200",
            "--sections",
            "5",
            "--shelves",
            "5",
        ],
        Code::LocationBlockTooLarge,
    );
    let safe = location(
        &data,
        &[
            "add",
            "--kind",
            "safe",
            "--name",
            "保险柜1",
            "--parent",
            "2号库房",
        ],
    );
    assert!(safe.ends_with("\t2号库房/保险柜1\n"), "{safe}");
    refused(
        &data,
        &[
            "add",
            "--kind",
            "drawer",
            "--name",
            "抽屉",
            "--parent",
            "2号库房",
        ],
        Code::LocationWrongParent,
    );

    // Running: the same commands go through the daemon's control socket.
    let daemon = Daemon::start(&data);
    let again = location(
        &data,
        &[
            "add",
            "--kind",
            "safe",
            "--name",
            "保险柜1",
            "--parent",
            "2号库房",
        ],
    );
    assert_eq!(again, safe, "the existing safe, not a second one");
    let drawer = location(
        &data,
        &[
            "add",
            "--kind",
            "drawer",
            "--name",
            "1号抽屉",
            "--parent",
            "2号库房/保险柜1",
        ],
    );
    assert!(drawer.ends_with("\t2号库房/保险柜1/1号抽屉\n"), "{drawer}");
    refused(
        &data,
        &[
            "add",
            "--kind",
            "safe",
            "--name",
            "01列",
            "--parent",
            "2号库房",
        ],
        Code::LocationKindClash,
    );
    let edited = location(
        &data,
        &["edit", "2号库房/1列/a面/1节/1层", "--capacity", "30"],
    );
    assert_eq!(edited.split('\t').nth(3), Some("30"), "{edited}");
    location(&data, &["edit", "2号库房/03列", "--mobile", "false"]);
    location(&data, &["retire", "2号库房/12列", "--reason", "拆除"]);
    let retired = list(&data, Some("2号库房/12列"));
    assert_eq!(retired.len(), 1 + 2 + 10 + 50);
    assert!(
        retired.iter().all(|row| row[5].contains("retired")),
        "{retired:?}"
    );
    // A layout over the retired rack reports it and does not revive it.
    assert_eq!(
        layout(&data, &["--mobile"]),
        ["2号库房", "0", "694", "600", "0", "1"]
    );
    // The API shows the flags too.
    let locations = serde_json::Value::Array(all_locations(daemon.addr, &daemon.token));
    let by_path = |path: &str| {
        locations
            .as_array()
            .into_iter()
            .flatten()
            .find(|location| location["path"] == path)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(by_path("2号库房/12列")["retired"], true);
    assert_eq!(by_path("2号库房/01列")["mobile"], true);
    assert_eq!(by_path("2号库房/03列")["mobile"], false);
    assert_eq!(by_path("2号库房/01列/A面/1节/1层")["capacity"], 30);
    drop(daemon);
}

#[test]
fn supervisors_define_the_room_through_the_api_and_clerks_may_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (_, clerk) = person_with_token(&data, "张三", "clerk");
    let (_, supervisor) = person_with_token(&data, "王主管", "supervisor");
    let daemon = Daemon::start(&data);
    let post = |path: &str, json: &str, token: &str| {
        let (status, body) = http_post_as(daemon.addr, path, json, token);
        let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        (status, value)
    };
    let block = r#"{"room":"3号库房","first_rack":1,"last_rack":2,"sides":["A","B"],"sections":2,"shelves":3,"capacity":20,"mobile":true}"#;
    let (status, denied) = post("/api/v1/locations/layout", block, &clerk);
    assert_eq!(status, 403, "{denied}");
    let (status, laid) = post("/api/v1/locations/layout", block, &supervisor);
    assert_eq!(status, 200, "{laid}");
    assert_eq!(laid["shelves"], 24);
    assert_eq!(laid["created"], 1 + 2 + 4 + 8 + 24);
    let safe = r#"{"kind":"safe","name":"保险柜1","parent":"3号库房"}"#;
    let (status, _) = post("/api/v1/locations/add", safe, &clerk);
    assert_eq!(status, 403);
    let (status, added) = post("/api/v1/locations/add", safe, &supervisor);
    assert_eq!(status, 200, "{added}");
    assert_eq!(added["created"], true);
    let (_, again) = post("/api/v1/locations/add", safe, &supervisor);
    assert_eq!(again["created"], false);
    assert_eq!(again["location"]["barcode"], added["location"]["barcode"]);
    let (status, wrong) = post(
        "/api/v1/locations/add",
        r#"{"kind":"drawer","name":"抽屉","parent":"3号库房"}"#,
        &supervisor,
    );
    assert_eq!(status, 422, "{wrong}");
    assert_eq!(wrong["error"], Code::LocationWrongParent.as_str());
    let rack = post(
        "/api/v1/locations/add",
        r#"{"kind":"rack","name":"1","parent":"3号库房"}"#,
        &supervisor,
    )
    .1["location"]["barcode"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, edited) = post(
        &format!("/api/v1/locations/{rack}/edit"),
        r#"{"mobile":false}"#,
        &supervisor,
    );
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["mobile"], false);
    let (status, _) = post(
        &format!("/api/v1/locations/{rack}/retire"),
        r#"{"reason":"拆除"}"#,
        &clerk,
    );
    assert_eq!(status, 403);
    let (status, retired) = post(
        &format!("/api/v1/locations/{rack}/retire"),
        r#"{"reason":"拆除"}"#,
        &supervisor,
    );
    assert_eq!(status, 200, "{retired}");
    assert_eq!(retired["retired"], 1 + 2 + 4 + 12);
    assert_eq!(retired["location"]["retired"], true);
}

/// A simulated scanner: the master side of a PTY whose slave the daemon reads.
struct Scanner {
    master: TTYPort,
}

impl Scanner {
    fn plug_in(link: &Path) -> Scanner {
        let (master, slave) = TTYPort::pair().expect("open a PTY pair");
        // SAFETY: fcntl on a descriptor this process owns and keeps open.
        let flagged = unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        assert_eq!(flagged, 0, "set FD_CLOEXEC on the PTY master");
        let slave_path = slave.name().expect("the PTY slave has a path");
        drop(slave);
        std::os::unix::fs::symlink(&slave_path, link).expect("link");
        Scanner { master }
    }

    fn scan(&mut self, code: &str) {
        for byte in code.bytes().chain([b'\r']) {
            self.master.write_all(&[byte]).expect("write to the PTY");
        }
        self.master.flush().expect("flush");
    }
}

#[test]
fn a_supervisor_scans_a_certificate_into_a_safe_and_a_drawer_and_a_clerk_may_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let link = dir.path().join("usb-Honeywell_1900-if00");
    let mut scanner = Scanner::plug_in(&link);
    let config = dir.path().join("station.toml");
    fs::write(
        &config,
        format!(
            "repeat_window_ms = 0\n[[workstation]]\nname = \"safe-room\"\n\
             [[scanner]]\nname = \"safe-scanner\"\nport = \"{}\"\nprotocol = \"line\"\n\
             suffix = \"cr\"\nworkstation = \"safe-room\"\n",
            link.display()
        ),
    )
    .expect("config");
    let daemon = Daemon::start_with(station(&data).arg("--config").arg(&config).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]));
    // With the daemon running: people, then the safe and its drawer as a supervisor
    // defines them (README: "Defining the room").
    let clerk_badge = person_with_token(&data, "张三", "clerk").0;
    let (supervisor_badge, supervisor) = person_with_token(&data, "王主管", "supervisor");
    let safe = location(&data, &["add", "--kind", "safe", "--name", "保险柜1"]);
    let safe = safe.split('\t').next().unwrap_or_default().to_owned();
    let drawer = location(
        &data,
        &[
            "add",
            "--kind",
            "drawer",
            "--name",
            "1号抽屉",
            "--parent",
            "保险柜1",
        ],
    );
    let drawer = drawer.split('\t').next().unwrap_or_default().to_owned();
    let register = |number: &str| {
        let (status, body) = http_post_as(
            daemon.addr,
            "/api/v1/certificates/register",
            &format!(
                r#"{{"kind":"不动产权证","number":"{number}","archive_no":"2012鸿借字第001号"}}"#
            ),
            &supervisor,
        );
        assert_eq!(status, 201, "{body}");
        let value: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        value["barcode"].as_str().unwrap_or_default().to_owned()
    };
    let certificate = register("京(2012)第1号");
    let second = register("京(2012)第2号");
    wait_until("the scanner to connect", || {
        let (_, body) = daemon.get("/api/v1/devices");
        body.contains("\"connected\":true")
    });
    let mut count = 0;
    let mut next = |scanner: &mut Scanner, code: &str| {
        scanner.scan(code);
        count += 1;
        let mut results = Vec::new();
        wait_until(&format!("{count} results"), || {
            let (_, body) = daemon.get("/api/v1/scans/recent?workstation=safe-room&limit=200");
            results = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|value| value.as_array().cloned())
                .unwrap_or_default();
            results.len() >= count
        });
        results.pop().unwrap_or_default()
    };
    let place = |item: &str| {
        let (_, body) = daemon.get(&format!("/api/v1/items/{item}"));
        let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        value["place"]["barcode"].as_str().map(str::to_owned)
    };

    // A clerk: refused, nothing moves.
    next(&mut scanner, &CommandCard::Shelve.barcode().to_string());
    next(&mut scanner, &clerk_badge);
    next(&mut scanner, &safe);
    let refused = next(&mut scanner, &certificate);
    assert_eq!(refused["outcome"], "error", "{refused}");
    assert_eq!(refused["code"], Code::CertificateNeedsSupervisor.as_str());
    assert_eq!(place(&certificate), None);

    // The supervisor: into the safe, and the second one into its drawer.
    next(&mut scanner, &supervisor_badge);
    next(&mut scanner, &safe);
    let stored = next(&mut scanner, &certificate);
    assert_eq!(stored["code"], "shelve.done", "{stored}");
    assert_eq!(place(&certificate).as_deref(), Some(safe.as_str()));
    next(&mut scanner, &drawer);
    let stored = next(&mut scanner, &second);
    assert_eq!(stored["code"], "shelve.done", "{stored}");
    assert_eq!(place(&second).as_deref(), Some(drawer.as_str()));

    // The clerk again, at the drawer: refused.
    next(&mut scanner, &clerk_badge);
    next(&mut scanner, &drawer);
    let refused = next(&mut scanner, &certificate);
    assert_eq!(refused["code"], Code::CertificateNeedsSupervisor.as_str());
    assert_eq!(place(&certificate).as_deref(), Some(safe.as_str()));
}

/// Where the page tests put their screenshots: `$CARGO_TARGET_DIR/screenshots`.
fn screenshot_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

#[test]
fn a_supervisor_lays_out_a_block_and_adds_a_safe_on_the_page_and_a_clerk_does_not_see_it() {
    use common::browser::Browser;
    use serde_json::json;
    if !common::prerequisite(
        "a_supervisor_lays_out_a_block_and_adds_a_safe_on_the_page_and_a_clerk_does_not_see_it",
        "Chromium and chromedriver (the Debian packages chromium and chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let daemon = Daemon::start(&data);
    let supervisor_badge = person_with_token(&data, "王主管", "supervisor").0;
    let clerk_badge = person_with_token(&data, "张三", "clerk").0;
    let url = format!("http://{}/supervisor", daemon.addr);
    let shots = screenshot_dir();
    let browser = Browser::start();

    // A clerk does not see the section.
    browser.sign_in_person(&url, daemon.addr, &daemon.token, (&clerk_badge, "张三"));
    browser.wait_script(
        "the layout section hidden for a clerk",
        "return document.getElementById('layout').hidden;",
        "",
        &json!(true),
    );
    browser.click("#logout").expect("sign out");

    // The supervisor: Chinese first, a preview of 600 shelves.
    browser.sign_in_person(
        &url,
        daemon.addr,
        &daemon.token,
        (&supervisor_badge, "王主管"),
    );
    browser.wait_script(
        "the layout section shown",
        "return document.getElementById('layout').hidden;",
        "",
        &json!(false),
    );
    browser.wait_text("#layout-preview", "600");
    browser.wait_text("#layout h2", "布置库房");
    browser.click("#layout-submit").expect("lay out");
    browser.wait_text("#layout-status", "757");
    browser
        .script("document.getElementById('layout').scrollIntoView();", "")
        .expect("scroll");
    browser.screenshot(&shots.join("room_layout-desk-zh.png"));
    let listed = serde_json::Value::Array(all_locations(daemon.addr, &daemon.token));
    let shelves = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter(|location| location["kind"] == "shelf" && location["capacity"] == 40)
        .count();
    assert_eq!(shelves, 600);

    // A safe, in English, at phone width.
    browser.click("#lang").expect("English");
    browser.wait_text("#layout h2", "Define the room");
    browser.resize(390, 844);
    browser
        .script("document.getElementById('layout-kind').value = 'safe';", "")
        .expect("choose a safe");
    browser.send_keys("#layout-name", "保险柜1").expect("name");
    browser
        .send_keys("#layout-parent", "2号库房")
        .expect("parent");
    browser.click("#layout-add-submit").expect("add");
    browser.wait_text("#layout-status", "2号库房/保险柜1");
    // A drawer under a room is refused with its code.
    browser
        .script(
            "document.getElementById('layout-kind').value = 'drawer';",
            "",
        )
        .expect("choose a drawer");
    browser.click("#layout-add-submit").expect("add again");
    browser.wait_script(
        "the refusal's code",
        "return document.getElementById('layout-status').dataset.code || '';",
        "",
        &json!(Code::LocationWrongParent.as_str()),
    );
    let width = browser
        .script("return document.documentElement.scrollWidth;", "")
        .expect("width");
    assert!(width.as_u64().is_some_and(|width| width <= 390), "{width}");
    browser
        .script(
            "document.getElementById('layout-add').scrollIntoView();",
            "",
        )
        .expect("scroll");
    browser.screenshot(&shots.join("room_layout-phone-en.png"));
    // The refusal above is logged by Chromium as a failed resource: the test's own doing.
    let errors: Vec<String> = browser
        .console_errors()
        .into_iter()
        .filter(|error| !error.contains("Failed to load resource"))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}
