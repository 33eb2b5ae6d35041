//! The web pages end to end: the real daemon serving its embedded pages to a real headless
//! Chromium, driven over WebDriver (chromedriver's HTTP JSON protocol) by a small client on
//! a plain TCP socket.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`,
//! `/usr/bin/chromedriver`; `CHROMIUM` and `CHROMEDRIVER` name others). Without them the
//! browser test says it is not run, and fails under CI (`CI=true`).

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

mod common;

use common::browser::{parse_rgb, Browser, ACTIVE_ID, BACKGROUND_OF, ENTER, VALUE_OF};
use common::{prerequisite, run, station, stderr, stdout, Daemon};

/// The shelf of the sample ledger.
const SHELF_PATH: &str = "1号库房/05列/A面/3节/4层";

/// A title that would be markup if a page inserted it as HTML.
const MARKUP_TITLE: &str = "<b id=\"injected\">抵押</b>资料";

/// Imports two boxes with the real CLI and returns the first box's barcode.
fn import_sample(data: &Path, dir: &Path) -> String {
    let ledger = dir.join("ledger.csv");
    fs::write(
        &ledger,
        format!(
            "档案号,题名,客户名称,位置\n\
             A-1,借款合同,鸿达贸易,{SHELF_PATH}\n\
             A-2,\"{}\",华南电力,{SHELF_PATH}\n",
            MARKUP_TITLE.replace('"', "\"\"")
        ),
    )
    .expect("ledger");
    let output = run(station(data).arg("import").arg(&ledger));
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let export = stdout(&run(station(data).arg("export")));
    export
        .lines()
        .find(|line| line.starts_with("A-1,"))
        .and_then(|line| line.rsplit(',').next())
        .map(|barcode| barcode.trim().to_owned())
        .filter(|barcode| barcode.starts_with('B'))
        .unwrap_or_else(|| panic!("no barcode of A-1 in the export:\n{export}"))
}

// ---- plain HTTP: the pages as files ------------------------------------------------------

/// One GET without a token: (status, lower-cased header lines, body).
fn raw_get(addr: SocketAddr, path: &str) -> (u16, Vec<String>, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the station");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    let headers = head.lines().skip(1).map(str::to_lowercase).collect();
    (status, headers, body.to_owned())
}

#[test]
fn pages_are_served_without_a_token_with_their_type_and_no_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = Daemon::start(&dir.path().join("data"));
    for (path, content_type, marker) in [
        ("/", "text/html; charset=utf-8", "id=\"scan\""),
        ("/counter", "text/html; charset=utf-8", "id=\"scan\""),
        (
            "/supervisor",
            "text/html; charset=utf-8",
            "id=\"search-text\"",
        ),
        ("/web/app.css", "text/css; charset=utf-8", ".outcome-error"),
        (
            "/web/common.js",
            "text/javascript; charset=utf-8",
            "X-CSRF-Token",
        ),
        (
            "/web/counter.js",
            "text/javascript; charset=utf-8",
            "EventSource",
        ),
        (
            "/web/supervisor.js",
            "text/javascript; charset=utf-8",
            "/history",
        ),
    ] {
        let (status, headers, body) = raw_get(daemon.addr, path);
        assert_eq!(status, 200, "{path}: {body}");
        assert!(
            headers.contains(&format!("content-type: {content_type}")),
            "{path}: {headers:?}"
        );
        assert!(
            headers.contains(&"cache-control: no-cache".to_owned()),
            "{path}: {headers:?}"
        );
        assert!(
            headers
                .iter()
                .any(|line| line.starts_with("content-security-policy: default-src 'self'")),
            "{path}: {headers:?}"
        );
        assert!(body.contains(marker), "{path} lacks {marker}");
    }
    // Unknown files fall through to the app's 404; the API still wants its token.
    for path in ["/web/nope.js", "/counter.html", "/web/"] {
        let (status, _, body) = raw_get(daemon.addr, path);
        assert_eq!(status, 404, "{path}: {body}");
        assert!(body.contains("\"request.no_route\""), "{path}: {body}");
    }
    let (status, _, _) = raw_get(daemon.addr, "/api/v1/devices");
    assert_eq!(status, 401);
}

#[test]
fn counter_shows_scans_live_in_colour_and_both_languages_and_supervisor_finds_a_box() {
    if !prerequisite(
        "counter_shows_scans_live_in_colour_and_both_languages_and_supervisor_finds_a_box",
        "Chromium and chromedriver (the Debian packages chromium and chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let box_barcode = import_sample(&data, dir.path());
    let daemon = Daemon::start(&data);
    assert!(daemon.token.starts_with("ast_"), "no first admin token");
    let base = format!("http://{}", daemon.addr);

    let browser = Browser::start();

    // The counter page, in Chinese, asks for a sign-in first.
    browser.navigate(&format!("{base}/"));
    browser.wait_text("#page-title", "柜台");
    browser.wait_text("#login", "姓名和密码");
    browser.sign_in(&format!("{base}/"), &daemon);
    browser.wait_script(
        "the live stream to open",
        "return document.getElementById(arguments[0]).dataset.state;",
        "live",
        &json!("open"),
    );
    browser.wait_script("focus in the scan field", ACTIVE_ID, "", &json!("scan"));

    // A command card typed (as a keyboard-wedge scanner does) switches to SHELVE.
    browser
        .send_keys("#scan", &format!("K0000000023{ENTER}"))
        .expect("scan the SHELVE card");
    browser.wait_text("#result-message", "上架模式");
    browser.wait_text("#mode", "上架");
    browser.wait_script("the field cleared", VALUE_OF, "#scan", &json!(""));
    browser.wait_script("focus kept", ACTIVE_ID, "", &json!("scan"));
    let ok_class = browser
        .script("return document.getElementById('result').className;", "")
        .expect("class");
    assert_eq!(ok_class, json!("result outcome-ok"));

    // A box before any shelf: refused, in red, with a beep.
    browser
        .send_keys("#scan", &format!("{box_barcode}{ENTER}"))
        .expect("scan the box");
    browser.wait_text("#result-message", "请先扫描层位条码");
    browser.wait_text("#result-archive-no", "A-1");
    browser.wait_text("#result-title", "借款合同");
    browser.wait_text("#result-place", SHELF_PATH);
    let class = browser
        .script("return document.getElementById('result').className;", "")
        .expect("class");
    assert_eq!(class, json!("result outcome-error"));
    let background = browser.script(BACKGROUND_OF, "#result").expect("colour");
    let (red, green, blue) = background
        .as_str()
        .and_then(parse_rgb)
        .unwrap_or_else(|| panic!("no colour in {background}"));
    assert!(
        red > 150 && green < 100 && blue < 100,
        "not red: {background}"
    );
    browser.wait_script(
        "an error beep",
        "return document.getElementById('result').dataset.beeps;",
        "",
        &json!("1"),
    );
    browser.wait_text("#history", "上架模式");

    // English on request, remembered.
    browser.click("#lang").expect("switch language");
    browser.wait_text("#result-message", "scan the shelf first");
    browser.wait_text("#mode", "SHELVE");
    browser.wait_text("#page-title", "Counter");
    browser.wait_text("#result-outcome", "ERROR");
    browser.wait_text("#history", "SHELVE mode");
    assert_eq!(
        browser
            .script("return localStorage.getItem(arguments[0]);", "station.lang")
            .expect("localStorage"),
        json!("en")
    );
    browser.wait_script(
        "focus back in the scan field",
        ACTIVE_ID,
        "",
        &json!("scan"),
    );

    // A scan from elsewhere at the same workstation (another scanner, a script) arrives
    // over the live stream alone.
    let (status, body) = daemon.post(
        "/api/v1/scans",
        r#"{"workstation": "counter", "data": "K0000000014"}"#,
    );
    assert_eq!(status, 200, "{body}");
    browser.wait_text("#result-message", "LOOKUP mode");
    browser.wait_text("#mode", "LOOKUP");

    // A reload keeps the sign-in and the language, and shows the workstation's recent results.
    browser.navigate(&format!("{base}/counter"));
    browser.wait_text("#page-title", "Counter");
    browser.wait_text("#result-message", "LOOKUP mode");
    browser.wait_text("#history", "scan the shelf first");

    assert_eq!(browser.console_errors(), Vec::<String>::new());

    // The supervisor page: the box by its archive number, with its place and history.
    browser.navigate(&format!("{base}/supervisor"));
    browser.wait_text("#page-title", "Supervisor");
    // With no configuration the one device is the PDF-file printer.
    browser.wait_text("#devices", "pdf");
    browser.wait_text("#devices", "printer");
    // An administrator disables it through the API; a refresh shows it.
    let (status, body) = daemon.post("/api/v1/devices/pdf/disable", "");
    assert_eq!(status, 200, "{body}");
    browser
        .click("#devices-refresh")
        .expect("refresh the devices");
    browser.wait_text("#devices", "disabled");
    // The lists come from /api/v1/loans?overdue=true and /api/v1/handovers: none here.
    browser.wait_text("#overdue-loans", "no overdue loans");
    browser.wait_text("#late-handovers", "no late handovers");
    browser
        .click("#search-by option[value='archive_no']")
        .expect("choose archive number");
    browser.send_keys("#search-text", "A-1").expect("type");
    browser.click("#search-button").expect("search");
    browser.wait_text("#detail-place", SHELF_PATH);
    browser.wait_text("#detail-archive-no", "A-1");
    browser.wait_text("#detail-barcode", &box_barcode);
    browser.wait_text("#detail-status", "stored");
    browser.wait_text("#history", "imported");

    // The shelf it stands on lists both boxes; data is shown as text, never as markup.
    browser
        .click("#detail-place-shelf")
        .expect("open the shelf");
    browser.wait_text("#shelf-path", SHELF_PATH);
    browser.wait_text("#shelf-items", MARKUP_TITLE);
    browser.wait_text("#shelf-items", "A-1");
    assert_eq!(
        browser
            .script(
                "return document.getElementById(arguments[0]) === null;",
                "injected"
            )
            .expect("script"),
        json!(true),
        "a title became markup"
    );

    // Back in Chinese, by customer prefix.
    browser.click("#lang").expect("switch language");
    browser.wait_text("#page-title", "主管");
    browser
        .click("#search-by option[value='customer']")
        .expect("choose customer");
    browser
        .script(
            "document.getElementById(arguments[0]).value = '';",
            "search-text",
        )
        .expect("clear");
    browser.send_keys("#search-text", "华南").expect("type");
    browser.click("#search-button").expect("search");
    browser.wait_text("#detail-archive-no", "A-2");
    browser.wait_text("#detail-title", MARKUP_TITLE);
    browser.wait_text("#detail-status", "在架");
    browser.wait_text("#overdue-loans", "没有逾期借阅");

    assert_eq!(browser.console_errors(), Vec::<String>::new());

    // A mistyped barcode answers the station's own message.
    browser
        .click("#search-by option[value='barcode']")
        .expect("choose barcode");
    browser
        .script(
            "document.getElementById(arguments[0]).value = '';",
            "search-text",
        )
        .expect("clear");
    browser
        .send_keys("#search-text", "B0000000001")
        .expect("type");
    browser.click("#search-button").expect("search");
    browser.wait_for("an error message for a bad barcode", |browser| {
        let text = browser.text("#search-status")?;
        let class = browser.script(
            "return document.getElementById(arguments[0]).className;",
            "search-status",
        )?;
        if !text.is_empty() && class.as_str().is_some_and(|c| c.contains("problem")) {
            Ok(())
        } else {
            Err(format!("{text:?} {class}"))
        }
    });

    drop(browser);
    let status = daemon.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn the_supervisor_page_lists_every_box_of_a_600_box_shelf_page_by_page() {
    const SHELF: &str = "2号库房/01列/A面/1节/1层";
    const BOXES: usize = 600;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let ledger = dir.path().join("ledger.csv");
    let rows: String = (1..=BOXES)
        .map(|n| format!("S-{n:03},卷宗{n},客户{n},{SHELF}\n"))
        .collect();
    fs::write(&ledger, format!("档案号,题名,客户名称,位置\n{rows}")).expect("ledger");
    let output = run(station(&data).arg("import").arg(&ledger));
    assert!(output.status.success(), "{}", stderr(&output));
    let daemon = Daemon::start(&data);
    let (status, body) = daemon.get("/api/v1/locations");
    assert_eq!(status, 200, "{body}");
    let locations: Value = serde_json::from_str(&body).expect("json");
    let shelf = locations
        .as_array()
        .and_then(|all| all.iter().find(|location| location["path"] == SHELF))
        .and_then(|location| location["barcode"].as_str())
        .unwrap_or_else(|| panic!("no {SHELF} in {body}"))
        .to_owned();

    let browser = Browser::start();
    browser.sign_in(&format!("http://{}/supervisor", daemon.addr), &daemon);
    browser
        .click("#search-by option[value='barcode']")
        .expect("choose barcode");
    browser.send_keys("#search-text", &shelf).expect("type");
    browser.click("#search-button").expect("search");
    browser.wait_text("#shelf-path", SHELF);
    browser.wait_text("#shelf-status", &BOXES.to_string());
    let shown = browser
        .script(
            "return Array.from(document.querySelectorAll('#shelf-items tbody tr'))\
             .map(row => row.cells[2].textContent);",
            "",
        )
        .expect("rows");
    let mut numbers: Vec<String> = shown
        .as_array()
        .map(|cells| {
            cells
                .iter()
                .map(|cell| cell.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    numbers.sort();
    let expected: Vec<String> = (1..=BOXES).map(|n| format!("S-{n:03}")).collect();
    assert_eq!(numbers, expected, "every box once");
    assert_eq!(browser.console_errors(), Vec::<String>::new());
    drop(browser);
    assert!(daemon.terminate().success());
}
