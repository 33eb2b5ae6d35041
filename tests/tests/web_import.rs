//! The import page and its API end to end: a ledger uploaded from headless Chromium to the
//! real daemon (CSV and .xlsx), its progress and per-line report, the location warning,
//! phone width and both languages; the upload's bounds (413, 409, the supervisor role)
//! over plain HTTP.
//!
//! Needs Debian's `chromium` and `chromium-driver` for the page test (see `web.rs`).

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

mod common;

use common::browser::Browser;
use common::{http_get_as, person_with_token, prerequisite, wait_until, Daemon};

/// Where the screenshots go (`$CARGO_TARGET_DIR/screenshots`).
fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    fs::create_dir_all(&dir).expect("screenshots dir");
    dir
}

/// A POST of raw bytes with a token: (status, body as JSON).
fn post_raw(daemon: &Daemon, path: &str, token: &str, body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(daemon.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .expect("head");
    // The answer may come before the whole body is sent (a refusal): ignore a broken pipe.
    let _ = stream.write_all(body);
    read_json(stream)
}

fn read_json(mut stream: TcpStream) -> (u16, Value) {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn get_json(daemon: &Daemon, path: &str) -> Value {
    get_json_as(daemon, path, &daemon.token)
}

fn get_json_as(daemon: &Daemon, path: &str, token: &str) -> Value {
    let (status, body) = http_get_as(daemon.addr, path, token);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

/// Waits until import `id` is no longer running and returns it.
fn finished(daemon: &Daemon, token: &str, id: &Value) -> Value {
    let mut last = Value::Null;
    wait_until("the import to finish", || {
        last = get_json_as(daemon, &format!("/api/v1/imports/{id}"), token);
        last["state"] != "running"
    });
    last
}

/// The box with `archive_no`, through the API.
fn find_box(daemon: &Daemon, archive_no: &str) -> Value {
    let boxes = get_json(daemon, &format!("/api/v1/boxes?archive_no={archive_no}"));
    boxes
        .as_array()
        .and_then(|found| found.iter().find(|b| b["archive_no"] == archive_no))
        .cloned()
        .unwrap_or(Value::Null)
}

const SHELF: &str = "1号库房/05列/A面/3节/4层";

/// A CSV ledger of 3,000 rows: every 500th has no title, row 1234 a bad shelf.
fn big_ledger(dir: &Path) -> (PathBuf, Vec<u64>) {
    let mut text = String::from("档案编号,案卷题名,客户,存放位置\n");
    let mut bad_lines = Vec::new();
    for n in 1..=3000u64 {
        let line = n + 1;
        if n % 500 == 0 {
            text.push_str(&format!("W-{n},,客户{n},{SHELF}\n"));
            bad_lines.push(line);
        } else if n == 1234 {
            text.push_str(&format!("W-{n},题名{n},客户{n},1号库房/05排/A面/3节/4层\n"));
            bad_lines.push(line);
        } else {
            text.push_str(&format!("W-{n},题名{n},客户{n},{SHELF}\n"));
        }
    }
    bad_lines.sort_unstable();
    let path = dir.join("ledger-3000.csv");
    fs::write(&path, text).expect("ledger");
    (path, bad_lines)
}

fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write_string(r as u32, c as u16, *cell)
                .expect("write a cell");
        }
    }
    workbook.save_to_buffer().expect("workbook")
}

const STATE_OF: &str = "return document.getElementById('state').dataset.state;";
const PAGE_WIDTH: &str = "return document.documentElement.scrollWidth;";

#[test]
fn a_ledger_uploaded_from_the_page_is_imported_with_progress_and_its_report() {
    if !prerequisite(
        "a_ledger_uploaded_from_the_page_is_imported_with_progress_and_its_report",
        "Chromium and chromedriver (the Debian packages chromium and chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = Daemon::start(&dir.path().join("data"));
    let base = format!("http://{}", daemon.addr);
    let shots = screenshots();
    let (ledger, bad_lines) = big_ledger(dir.path());

    let browser = Browser::start();
    browser.resize(1280, 900);
    browser.sign_in(&format!("{base}/import"), &daemon);
    browser.wait_text("#page-title", "导入台帐");
    browser.wait_for("the upload form", |b| b.find("#file"));
    browser.wait_script(
        "the page signed in",
        "return document.getElementById('app').hidden;",
        "",
        &json!(false),
    );
    assert!(
        browser.find("#whoami").is_ok(),
        "the header has the whoami slot"
    );

    // A 3,000-row CSV with bad lines.
    browser
        .send_keys("#file", &ledger.display().to_string())
        .expect("choose the file");
    browser.click("#upload").expect("upload");
    browser.wait_script("the import to finish", STATE_OF, "", &json!("done"));
    let progress = browser
        .script(
            "const p = document.getElementById('progress'); return [p.value, p.max];",
            "",
        )
        .expect("progress");
    assert_eq!(progress, json!([3000, 3000]), "the bar is full");
    browser.wait_text("#progress-text", "3000 / 3000");
    browser.wait_text("#state", "完成");
    browser.wait_text("#summary", &format!("新建 {}", 3000 - bad_lines.len()));
    let lines = browser
        .script(
            "return [...document.querySelectorAll('#report tbody tr')].map(r => [Number(r.cells[0].textContent), r.dataset.code]);",
            "",
        )
        .expect("report rows");
    let expected: Vec<Value> = bad_lines
        .iter()
        .map(|line| {
            let code = if *line == 1235 {
                "location.path_segment"
            } else {
                "field.empty"
            };
            json!([line, code])
        })
        .collect();
    assert_eq!(
        lines,
        Value::Array(expected.clone()),
        "one report line per bad line"
    );
    assert!(
        browser
            .text("#location-warning")
            .unwrap_or_default()
            .is_empty(),
        "no location warning for a ledger with places"
    );
    browser.screenshot(&shots.join("web_import-desk-zh.png"));

    // The boxes are in the store, on their shelf.
    let imported = find_box(&daemon, "W-2999");
    assert_eq!(imported["place"]["path"], SHELF, "{imported}");
    assert_eq!(
        find_box(&daemon, "W-1000"),
        Value::Null,
        "a bad row is not imported"
    );

    // English.
    browser.click("#lang").expect("switch to English");
    browser.wait_text("#state", "done");
    browser.wait_text("#summary", &format!("created {}", 3000 - bad_lines.len()));
    browser.wait_text("#report", "Line");
    browser.screenshot(&shots.join("web_import-desk-en.png"));

    // Phone width, both languages: nothing wider than the screen, the report as cards.
    browser.resize(390, 844);
    for (lang, word) in [("en", "done"), ("zh", "完成")] {
        browser.wait_text("#state", word);
        browser.wait_script(
            "nothing wider than 390 px",
            "return [...document.querySelectorAll('body *')]\
               .filter(e => e.getBoundingClientRect().right > 390)\
               .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + e.getBoundingClientRect().right);",
            "",
            &json!([]),
        );
        let header = browser
            .script(
                "return getComputedStyle(document.querySelector('#report thead')).display;",
                "",
            )
            .expect("header display");
        assert_eq!(header, json!("none"), "cards, not a table, at 390 px");
        let width = browser.script(PAGE_WIDTH, "").expect("width");
        assert!(width.as_u64().is_some_and(|w| w <= 390), "{lang}: {width}");
        browser.screenshot(&shots.join(format!("web_import-phone-{lang}.png")));
        if lang == "en" {
            browser.click("#lang").expect("back to Chinese");
        }
    }
    let width = browser.script(PAGE_WIDTH, "").expect("width");
    assert!(width.as_u64().is_some_and(|w| w <= 390), "{width}");

    // An .xlsx workbook, with Chinese numerals in its places.
    browser.resize(1280, 900);
    let xlsx = dir.path().join("台帐.xlsx");
    fs::write(
        &xlsx,
        workbook(&[
            &["档案号", "题名", "客户名称", "位置"],
            &["X-1", "借款合同", "鸿达贸易", "一号库房/五列/A面/三节/四层"],
            &["X-2", "抵押资料", "华南电力", "1号库房/05列/B面/1节/1层"],
        ]),
    )
    .expect("workbook");
    browser
        .send_keys("#file", &xlsx.display().to_string())
        .expect("choose the workbook");
    browser.click("#upload").expect("upload the workbook");
    browser.wait_text("#import-name", "台帐.xlsx");
    browser.wait_script("the workbook imported", STATE_OF, "", &json!("done"));
    browser.wait_text("#summary", "新建 2");
    assert_eq!(find_box(&daemon, "X-1")["place"]["path"], SHELF);

    // No location column: refused with the warning, then imported on request.
    let placeless = dir.path().join("no-place.csv");
    fs::write(&placeless, "档案号,题名,客户名称\nN-1,借款合同,鸿达\n").expect("ledger");
    browser
        .send_keys("#file", &placeless.display().to_string())
        .expect("choose the placeless ledger");
    browser.click("#upload").expect("upload it");
    browser.wait_script("the refusal", STATE_OF, "", &json!("failed"));
    browser.wait_text("#location-warning", "存放位置");
    browser.wait_for("the import-anyway button", |b| {
        b.script(
            "return document.getElementById('import-anyway').hidden;",
            "",
        )
        .and_then(|hidden| {
            if hidden == json!(false) {
                Ok(())
            } else {
                Err("hidden".into())
            }
        })
    });
    let refused = get_json(&daemon, "/api/v1/imports/3");
    assert_eq!(
        refused["error"]["code"], "ledger.no_location_column",
        "{refused}"
    );
    assert_eq!(find_box(&daemon, "N-1"), Value::Null, "nothing imported");
    browser.screenshot(&shots.join("web_import-no-location-zh.png"));
    browser.click("#import-anyway").expect("import anyway");
    browser.wait_script("imported without places", STATE_OF, "", &json!("done"));
    browser.wait_text("#location-warning", "没有存放位置");
    let anyway = get_json(&daemon, "/api/v1/imports/4");
    assert_eq!(anyway["without_location"], true, "{anyway}");
    assert_eq!(anyway["report"][0]["code"], "ledger.without_location");
    assert_eq!(find_box(&daemon, "N-1")["place"], Value::Null);

    let errors: Vec<String> = browser
        .console_errors()
        .into_iter()
        .filter(|error| !error.contains("favicon"))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

#[test]
fn uploads_are_bounded_one_at_a_time_and_for_supervisors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // People are added before the daemon holds the store.
    let (_, clerk) = person_with_token(&data, "柜台小李", "clerk");
    let (_, boss) = person_with_token(&data, "王主管", "supervisor");
    let daemon = Daemon::start(&data);

    // A clerk may not import.
    let (status, body) = post_raw(&daemon, "/api/v1/imports?name=a.csv", &clerk, b"x");
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "auth.forbidden", "{body}");

    // Too large: refused from the declared length, with its code.
    let mut stream = TcpStream::connect(daemon.addr).expect("connect");
    write!(
        stream,
        "POST /api/v1/imports?name=huge.csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        boss,
        (64u64 << 20) + 1
    )
    .expect("head");
    let (status, body) = read_json(stream);
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"], "import.too_large", "{body}");
    assert!(
        body["message"]["en"]
            .as_str()
            .unwrap_or_default()
            .contains("MiB"),
        "{body}"
    );

    // One at a time: a second upload while a long one runs gets a coded 409.
    let mut big = String::from("档案号,题名,客户名称,位置\n");
    for n in 1..=10_000 {
        big.push_str(&format!("L-{n},题名{n},客户{n},{SHELF}\n"));
    }
    let (status, started) = post_raw(
        &daemon,
        "/api/v1/imports?name=big.csv",
        &boss,
        big.as_bytes(),
    );
    assert_eq!(status, 202, "{started}");
    let (status, busy) = post_raw(
        &daemon,
        "/api/v1/imports?name=small.csv",
        &boss,
        "档案号,题名,客户名称,位置\nS-1,题名,客户,\n".as_bytes(),
    );
    assert_eq!(status, 409, "{busy}");
    assert_eq!(busy["error"], "import.busy", "{busy}");
    let done = finished(&daemon, &boss, &started["id"]);
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["imported"], 10_000);
    assert_eq!(done["rows_total"], 10_000);

    // Then the next one runs; an unknown import is a coded 404.
    let (status, next) = post_raw(
        &daemon,
        "/api/v1/imports?name=small.csv",
        &boss,
        "档案号,题名,客户名称,位置\nS-1,题名,客户,\n".as_bytes(),
    );
    assert_eq!(status, 202, "{next}");
    assert_eq!(finished(&daemon, &boss, &next["id"])["imported"], 1);
    let (status, body) = http_get_as(daemon.addr, "/api/v1/imports/999", &boss);
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("\"import.not_found\""), "{body}");
}
