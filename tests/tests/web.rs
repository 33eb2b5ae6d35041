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

// ---- the counter page: workstation, mode, context, stock-take, UNDO, offline queue -------

/// The two shelves of the counter tests.
const SHELF_ONE: &str = "1号库房/05列/A面/3节/4层";
const SHELF_TWO: &str = "1号库房/05列/A面/3节/5层";

/// F2, F4, F8 and Escape as WebDriver key codes.
const F2: &str = "\u{E032}";
const F4: &str = "\u{E034}";
const F8: &str = "\u{E038}";
const ESCAPE: &str = "\u{E00C}";

/// The command cards (hardware.md).
const SHELVE_CARD: &str = "K0000000023";
const CHECKOUT_CARD: &str = "K0000000038";
const RETURN_CARD: &str = "K0000000046";
const LOOKUP_CARD: &str = "K0000000014";

/// A valid box code that names no registered box.
const STRANGER: &str = "B0000099999";

/// Where the page tests put their screenshots: `$CARGO_TARGET_DIR/screenshots`.
fn screenshot_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// A station with two workstations, three boxes on shelf one (A-1…A-3), one on shelf two
/// (B-1) and 陈总, who borrows directly: (config path, barcodes by archive number,
/// 陈总's badge).
fn counter_setup(
    dir: &Path,
) -> (
    std::path::PathBuf,
    std::collections::HashMap<String, String>,
    String,
) {
    let data = dir.join("data");
    let config = dir.join("station.toml");
    fs::write(
        &config,
        "repeat_window_ms = 0\n[[workstation]]\nname = \"counter\"\n\
         [[workstation]]\nname = \"cart-1\"\n",
    )
    .expect("config");
    let ledger = dir.join("ledger.csv");
    fs::write(
        &ledger,
        format!(
            "档案号,题名,客户名称,位置\n\
             A-1,借款合同,鸿达贸易,{SHELF_ONE}\n\
             A-2,抵押资料,华南电力,{SHELF_ONE}\n\
             A-3,担保函,华南电力,{SHELF_ONE}\n\
             B-1,租赁合同,鸿达贸易,{SHELF_TWO}\n"
        ),
    )
    .expect("ledger");
    let with_config = |command: &mut std::process::Command| {
        command.arg("--config").arg(&config);
    };
    let mut import = station(&data);
    with_config(&mut import);
    let output = run(import.arg("import").arg(&ledger));
    assert!(output.status.success(), "{}", stderr(&output));
    let mut export = station(&data);
    with_config(&mut export);
    let export = stdout(&run(export.arg("export")));
    let barcodes = export
        .lines()
        .filter_map(|line| {
            let number = line.split(',').next()?;
            let barcode = line.rsplit(',').next()?.trim();
            barcode
                .starts_with('B')
                .then(|| (number.to_owned(), barcode.to_owned()))
        })
        .collect::<std::collections::HashMap<_, _>>();
    assert_eq!(barcodes.len(), 4, "{export}");
    let mut add = station(&data);
    with_config(&mut add);
    let added = run(add.args(["person", "add", "--name", "陈总", "--borrow-directly"]));
    assert!(added.status.success(), "{}", stderr(&added));
    let badge = stdout(&added)
        .split('\t')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    assert!(badge.starts_with('P'), "{}", stdout(&added));
    (config, barcodes, badge)
}

fn serve(dir: &Path, config: &Path, listen: &str) -> Daemon {
    Daemon::start_with(
        station(&dir.join("data"))
            .arg("--config")
            .arg(config)
            .args(["serve", "--listen", listen]),
    )
}

/// Types a code into the scan field and presses Enter.
fn type_code(browser: &Browser, code: &str) {
    browser
        .send_keys("#scan", &format!("{code}{ENTER}"))
        .unwrap_or_else(|error| panic!("type {code}: {error}"));
}

/// Waits until the last result's code is `code`.
fn wait_code(browser: &Browser, code: &str) {
    browser.wait_script(
        &format!("the result {code}"),
        "return document.getElementById(arguments[0]).dataset.code;",
        "result",
        &json!(code),
    );
}

fn background(browser: &Browser, css: &str) -> (u8, u8, u8) {
    let colour = browser.script(BACKGROUND_OF, css).expect("colour");
    colour
        .as_str()
        .and_then(parse_rgb)
        .unwrap_or_else(|| panic!("no colour in {colour}"))
}

#[test]
fn the_counter_picks_a_configured_workstation_and_shows_mode_context_stock_take_and_undo() {
    if !prerequisite(
        "the_counter_picks_a_configured_workstation_and_shows_mode_context_stock_take_and_undo",
        "Chromium and chromedriver (the Debian packages chromium and chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (config, boxes, badge) = counter_setup(dir.path());
    let daemon = serve(dir.path(), &config, "127.0.0.1:0");
    let base = format!("http://{}", daemon.addr);
    let shots = screenshot_dir();
    let box_of = |number: &str| boxes[number].clone();
    let (_, locations) = daemon.get("/api/v1/locations");
    let locations: Value = serde_json::from_str(&locations).expect("json");
    let shelf_code = |path: &str| -> String {
        locations
            .as_array()
            .and_then(|all| all.iter().find(|location| location["path"] == path))
            .and_then(|location| location["barcode"].as_str())
            .unwrap_or_else(|| panic!("no {path} in {locations}"))
            .to_owned()
    };

    // The API lists the configured workstations, each with its mode.
    let (status, body) = daemon.get("/api/v1/workstations");
    assert_eq!(status, 200, "{body}");
    let listed: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(listed[0]["name"], "counter", "{body}");
    assert_eq!(listed[1]["name"], "cart-1", "{body}");
    assert_eq!(listed[0]["context"]["mode"], "lookup", "{body}");

    let browser = Browser::start();
    browser.sign_in(&format!("{base}/"), &daemon);
    browser.wait_script(
        "the live stream to open",
        "return document.getElementById(arguments[0]).dataset.state;",
        "live",
        &json!("open"),
    );
    // The workstation is chosen from the configured list, and remembered.
    let options = browser
        .script(
            "return Array.from(document.querySelectorAll('#workstation option')).map(o => o.value);",
            "",
        )
        .expect("options");
    assert_eq!(options, json!(["counter", "cart-1"]));
    browser
        .click("#workstation option[value='cart-1']")
        .expect("choose cart-1");
    browser.wait_script(
        "cart-1 remembered",
        "return localStorage.getItem(arguments[0]);",
        "station.workstation",
        &json!("cart-1"),
    );
    browser.navigate(&format!("{base}/"));
    browser.wait_script(
        "cart-1 chosen after a reload",
        VALUE_OF,
        "#workstation",
        &json!("cart-1"),
    );
    browser.wait_script("focus in the scan field", ACTIVE_ID, "", &json!("scan"));

    // The mode, large and in its colour, with its name; the shelf on screen.
    browser.wait_text("#mode", "查询");
    let lookup = background(&browser, "#mode-banner");
    type_code(&browser, SHELVE_CARD);
    browser.wait_text("#mode", "上架");
    let shelve = background(&browser, "#mode-banner");
    assert_eq!(shelve, (0x15, 0x65, 0xc0), "SHELVE is blue");
    assert_ne!(shelve, lookup);
    type_code(&browser, &shelf_code(SHELF_ONE));
    browser.wait_text("#context-shelf", SHELF_ONE);

    // CHECKOUT: the borrower on screen; UNDO says whose loan of which box it took back.
    type_code(&browser, CHECKOUT_CARD);
    browser.wait_text("#mode", "借出");
    let checkout = background(&browser, "#mode-banner");
    assert_eq!(checkout, (0x6a, 0x1b, 0x9a), "CHECKOUT is purple");
    type_code(&browser, &badge);
    browser.wait_text("#context-borrower", "陈总");
    type_code(&browser, &box_of("A-1"));
    wait_code(&browser, "checkout.lent");
    browser
        .send_keys("#scan", F4)
        .expect("F4 undoes the last step");
    wait_code(&browser, "undo.loan");
    let message = browser.wait_text("#result-message", "陈总");
    assert!(message.contains(&box_of("A-1")), "{message}");
    assert!(message.contains("A-1"), "{message}");
    // Everything went to cart-1, not to the counter.
    let (_, recent) = daemon.get("/api/v1/scans/recent?workstation=cart-1");
    assert!(recent.contains("undo.loan"), "{recent}");
    let (_, recent) = daemon.get("/api/v1/scans/recent?workstation=counter");
    assert_eq!(recent, "[]");
    // The context survives a reload (from the station, not the page).
    browser.navigate(&format!("{base}/"));
    browser.wait_text("#context-borrower", "陈总");
    browser.wait_text("#mode", "借出");
    browser.wait_text("#result-message", "陈总");

    // AUDIT from the F2 cards: progress as n / m, then DONE (F8) lists every discrepancy.
    browser.send_keys("#scan", F2).expect("F2 shows the cards");
    browser
        .click("#card-buttons button[data-card='audit']")
        .expect("the AUDIT card");
    browser.wait_text("#mode", "盘点");
    assert_eq!(
        background(&browser, "#mode-banner"),
        (0xad, 0x14, 0x57),
        "AUDIT is magenta"
    );
    browser.wait_script(
        "focus back in the scan field",
        ACTIVE_ID,
        "",
        &json!("scan"),
    );
    type_code(&browser, &shelf_code(SHELF_ONE));
    browser.wait_text("#audit-progress", "已盘 0 / 应有 3");
    type_code(&browser, &box_of("A-1"));
    browser.wait_text("#audit-progress", "已盘 1 / 应有 3");
    type_code(&browser, &box_of("A-1"));
    wait_code(&browser, "audit.duplicate");
    type_code(&browser, &box_of("B-1"));
    wait_code(&browser, "audit.misplaced");
    type_code(&browser, STRANGER);
    wait_code(&browser, "audit.unknown");
    type_code(&browser, &box_of("A-2"));
    browser.wait_text("#audit-progress", "已盘 2 / 应有 3");
    browser.click("#lang").expect("English");
    browser.wait_text("#audit-progress", "2 / 3 expected");
    browser.wait_text("#mode", "AUDIT");
    browser.click("#lang").expect("Chinese");
    browser.wait_text("#mode", "盘点");
    browser.send_keys("#scan", F8).expect("F8 is DONE");
    wait_code(&browser, "audit.discrepancies");
    let missing = browser.wait_text("#audit-missing", "A-3");
    assert!(
        missing.contains("担保函")
            && missing.contains(SHELF_ONE)
            && missing.contains(&box_of("A-3")),
        "{missing}"
    );
    let misplaced = browser.wait_text("#audit-misplaced", "B-1");
    assert!(
        misplaced.contains("租赁合同") && misplaced.contains(SHELF_TWO),
        "{misplaced}"
    );
    browser.wait_text("#audit-unknown", STRANGER);
    let duplicates = browser.wait_text("#audit-duplicates", "A-1");
    assert!(duplicates.contains("借款合同"), "{duplicates}");
    for list in ["missing", "misplaced", "unknown", "duplicates"] {
        browser.wait_text(&format!("#audit-{list}-count"), "1");
    }
    browser.screenshot(&shots.join("counter-audit-zh-desk.png"));

    // A phone at the counter, in both languages: nothing wider than the screen.
    browser.resize(390, 844);
    browser.wait_script(
        "a 390 px window",
        "return window.innerWidth;",
        "",
        &json!(390),
    );
    browser.assert_fits(390, "the page");
    browser.screenshot(&shots.join("counter-audit-zh-phone.png"));
    browser
        .script(
            "document.getElementById(arguments[0]).scrollIntoView();",
            "audit-report",
        )
        .expect("scroll");
    browser.screenshot(&shots.join("counter-audit-zh-phone-lists.png"));
    browser.click("#lang").expect("English");
    browser.wait_text("#audit-report", "Missing");
    browser.wait_text("#audit-misplaced", "recorded at");
    browser.wait_text("#page-title", "Counter");
    browser.assert_fits(390, "the page");
    browser.screenshot(&shots.join("counter-audit-en-phone.png"));
    // Esc clears what was typed; the field keeps the focus.
    browser.send_keys("#scan", "B00000").expect("type");
    browser.send_keys("#scan", ESCAPE).expect("Esc");
    browser.wait_script("the field cleared", VALUE_OF, "#scan", &json!(""));
    browser.wait_script("focus kept", ACTIVE_ID, "", &json!("scan"));
    // The shortcuts are listed on the page.
    let shortcuts = browser.text("#shortcut-list").expect("shortcuts");
    for key in ["F2", "F4", "F8", "F9", "Esc"] {
        assert!(shortcuts.contains(key), "{shortcuts}");
    }
    browser.resize(1280, 1000);

    assert_eq!(browser.console_errors(), Vec::<String>::new());
    drop(browser);
    assert!(daemon.terminate().success());
}

#[test]
fn the_counter_keeps_codes_typed_while_the_station_is_down_and_sends_each_once() {
    if !prerequisite(
        "the_counter_keeps_codes_typed_while_the_station_is_down_and_sends_each_once",
        "Chromium and chromedriver (the Debian packages chromium and chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (config, boxes, badge) = counter_setup(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port");
    let listen = format!("127.0.0.1:{port}");
    let daemon = serve(dir.path(), &config, &listen);
    let token = daemon.token.clone();
    let base = format!("http://{listen}");
    let shots = screenshot_dir();
    let lent = boxes["A-1"].clone();
    // A-1 is lent to 陈总 at the counter.
    for code in [CHECKOUT_CARD, badge.as_str(), lent.as_str()] {
        let (status, body) = daemon.post(
            "/api/v1/scans",
            &json!({"workstation": "counter", "data": code}).to_string(),
        );
        assert_eq!(status, 200, "{body}");
    }

    let browser = Browser::start();
    browser.sign_in(&format!("{base}/"), &daemon);
    let live_state = "return document.getElementById(arguments[0]).dataset.state;";
    browser.wait_script(
        "the live stream to open",
        live_state,
        "live",
        &json!("open"),
    );
    browser.wait_script("focus in the scan field", ACTIVE_ID, "", &json!("scan"));

    // The station stops: the indicator turns red, and what is typed meanwhile waits.
    assert!(daemon.terminate().success());
    browser.wait_script(
        "the indicator to turn red",
        live_state,
        "live",
        &json!("closed"),
    );
    browser.wait_text("#live-text", "无法连接");
    let (red, green, blue) = background(&browser, "#live .dot");
    assert!(red > 150 && green < 100 && blue < 100, "not red");
    type_code(&browser, RETURN_CARD);
    type_code(&browser, &lent);
    browser.wait_text("#queue", "等待发送（2）");
    let kept = browser
        .script(
            "return JSON.parse(localStorage.getItem(arguments[0]) || '[]').map(e => e.data);",
            "station.counter.queue",
        )
        .expect("localStorage");
    assert_eq!(kept, json!([RETURN_CARD, lent]), "kept for a reload");
    browser.click("#lang").expect("English");
    browser.wait_text("#queue", "waiting to send (2)");
    browser.screenshot(&shots.join("counter-offline-en.png"));
    browser.click("#lang").expect("Chinese");

    // Back on the same data and port. A restart signs everyone out (sessions live in
    // memory): the page asks to sign in again and keeps the codes meanwhile; once signed
    // in, both are sent, in order, each once.
    let daemon = serve(dir.path(), &config, &listen);
    browser.wait_script(
        "the sign-in form after the restart",
        "return !document.getElementById(arguments[0]).hidden;",
        "login",
        &json!(true),
    );
    browser.wait_script(
        "the codes kept while signed out",
        "return JSON.parse(localStorage.getItem(arguments[0]) || '[]').length;",
        "station.counter.queue",
        &json!(2),
    );
    browser.sign_in_as(&format!("{base}/"), daemon.addr, &token);
    browser.wait_script(
        "the live stream to reopen",
        live_state,
        "live",
        &json!("open"),
    );
    browser.wait_script(
        "the queue to empty",
        "return document.getElementById(arguments[0]).hidden;",
        "queue",
        &json!(true),
    );
    browser.wait_text("#history", RETURN_CARD);
    wait_code(&browser, "return.done");
    let (status, recent) = common::http_get_as(
        daemon.addr,
        "/api/v1/scans/recent?workstation=counter",
        &token,
    );
    assert_eq!(status, 200, "{recent}");
    let recent: Value = serde_json::from_str(&recent).expect("json");
    let inputs: Vec<&str> = recent
        .as_array()
        .map(|all| all.iter().filter_map(|r| r["input"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        inputs,
        vec![RETURN_CARD, lent.as_str()],
        "each once, in order"
    );
    let (_, history) = common::http_get_as(
        daemon.addr,
        &format!("/api/v1/items/{lent}/history"),
        &token,
    );
    assert_eq!(
        history.matches("\"LoanReturned\"").count(),
        1,
        "returned once: {history}"
    );
    let left = browser
        .script(
            "return localStorage.getItem(arguments[0]);",
            "station.counter.queue",
        )
        .expect("localStorage");
    assert_eq!(left, json!("[]"));

    // Down again: a code typed now (in RETURN mode) is kept in the browser across a
    // reload of the page, and sent once when the page is opened again with the station
    // back — in LOOKUP, as a restarted station is, which the page says.
    assert!(daemon.terminate().success());
    browser.wait_script(
        "the indicator to turn red",
        live_state,
        "live",
        &json!("closed"),
    );
    let other = boxes["B-1"].clone();
    type_code(&browser, &other);
    browser.wait_text("#queue", "等待发送（1）");
    browser.navigate("about:blank");
    let daemon = serve(dir.path(), &config, &listen);
    browser.sign_in_as(&format!("{base}/"), daemon.addr, &token);
    browser.wait_script(
        "the live stream to reopen",
        live_state,
        "live",
        &json!("open"),
    );
    browser.wait_script(
        "the queue to empty after the reload",
        "return localStorage.getItem(arguments[0]);",
        "station.counter.queue",
        &json!("[]"),
    );
    let (_, recent) = common::http_get_as(
        daemon.addr,
        "/api/v1/scans/recent?workstation=counter",
        &token,
    );
    let recent: Value = serde_json::from_str(&recent).expect("json");
    let inputs: Vec<&str> = recent
        .as_array()
        .map(|all| all.iter().filter_map(|r| r["input"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(inputs, vec![other.as_str()], "sent once after the reload");
    let warning = browser.wait_text("#mode-warning", "归还");
    assert!(warning.contains("查询"), "{warning}");
    wait_code(&browser, "lookup.found");
    browser.screenshot(&shots.join("counter-restarted-zh.png"));

    // The same id sent twice is run once: the second answer is the first one.
    let scan = json!({"workstation": "counter", "data": LOOKUP_CARD, "id": "page-1"}).to_string();
    let first = common::http_post_as(daemon.addr, "/api/v1/scans", &scan, &token);
    let second = common::http_post_as(daemon.addr, "/api/v1/scans", &scan, &token);
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(first, second);

    // While the station was down the browser logged its refused connections, and after
    // each restart the 401s that signed the page out; nothing else.
    let errors: Vec<String> = browser
        .console_errors()
        .into_iter()
        .filter(|error| !error.contains("ERR_CONNECTION_REFUSED"))
        .filter(|error| {
            !(error.contains("status of 401")
                && (error.contains("/api/v1/scans") || error.contains("/api/v1/session")))
        })
        .collect();
    assert_eq!(errors, Vec::<String>::new());
    drop(browser);
    assert!(daemon.terminate().success());
}
