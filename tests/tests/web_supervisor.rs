//! The supervisor page end to end: the real daemon (its store filled by the real CLI from
//! a 1,200-row ledger, a loan made by scans through the API under libfaketime five weeks
//! ago) and a real headless Chromium over WebDriver: search as you type, paging and
//! sorting, a box's own history with names and shelf paths, the overdue list, both
//! languages, desk and phone widths (screenshots under `$CARGO_TARGET_DIR/screenshots`).
//!
//! Needs Chromium and chromedriver, and libfaketime (Debian packages `chromium`,
//! `chromium-driver`, `faketime`); without them the test says it is not run, and fails
//! under CI (`CI=true`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

mod common;

use common::browser::{Browser, ACTIVE_ID};
use common::{http_get_as, http_post_as, prerequisite, run, station, station_bin, stderr, Daemon};

/// Where the first 600 boxes of the ledger stand, and the rest.
const FIRST_SHELF: &str = "3号库房/01列/A面/1节/1层";
const SECOND_SHELF: &str = "3号库房/01列/A面/1节/2层";
/// The ledger's rows: more than one import chunk (1,000 rows).
const ROWS: usize = 1_200;
/// The row of 马丽勇's box: in the first chunk, so its import event lists 1,000 boxes.
const MA_ROW: usize = 500;
/// Rows 1000–1059 are customers 丽勇商贸…: with 马丽勇, 61 boxes match "丽勇".
const LI_YONG_ROWS: std::ops::RangeInclusive<usize> = 1000..=1059;

const SHELVE: &str = "K0000000023";
const CHECKOUT: &str = "K0000000038";

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

/// Imports the ledger with the real CLI.
fn import_ledger(data: &Path, dir: &Path) {
    let rows: String = (1..=ROWS)
        .map(|n| {
            let customer = if n == MA_ROW {
                "马丽勇".to_owned()
            } else if LI_YONG_ROWS.contains(&n) {
                format!("丽勇商贸{n}")
            } else {
                format!("客户{n}")
            };
            let shelf = if n <= 600 { FIRST_SHELF } else { SECOND_SHELF };
            format!("2024鸿借字第{n:04}号,卷宗{n},{customer},{shelf}\n")
        })
        .collect();
    let ledger = dir.join("ledger.csv");
    fs::write(&ledger, format!("档案号,题名,客户名称,位置\n{rows}")).expect("ledger");
    let output = run(station(data).arg("import").arg(&ledger));
    assert!(output.status.success(), "{}", stderr(&output));
}

/// One scan at the counter through the API; answers the result.
fn scan(daemon: &Daemon, token: &str, code: &str) -> Value {
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/scans",
        &format!(r#"{{"workstation":"counter","data":"{code}"}}"#),
        token,
    );
    assert_eq!(status, 200, "{body}");
    json_of(&body)
}

/// Five weeks ago (the daemon's clock set back by libfaketime): 陈总 is added, 马丽勇's box
/// is moved to the second shelf and lent to 陈总 for 30 days, by scans. Answers the
/// administrator's token and the box's barcode.
fn lend_five_weeks_ago(lib: &Path, data: &Path) -> (String, String) {
    let mut command = Command::new(station_bin());
    command
        .arg("--data")
        .arg(data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .env("LD_PRELOAD", lib)
        .env("FAKETIME", format!("-{}", 35 * 24 * 3600))
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    let daemon = Daemon::start_with(&mut command);
    let token = daemon.token.clone();
    assert!(token.starts_with("ast_"), "the first start prints a token");
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/people/add",
        r#"{"name":"陈总","role":"clerk","borrow_directly":true}"#,
        &token,
    );
    assert_eq!(status, 201, "{body}");
    let borrower = json_of(&body)["barcode"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, body) = http_get_as(
        daemon.addr,
        "/api/v1/boxes?customer=%E9%A9%AC%E4%B8%BD%E5%8B%87",
        &token,
    );
    assert_eq!(status, 200, "{body}");
    let archive_box = json_of(&body)[0]["barcode"]
        .as_str()
        .unwrap_or_else(|| panic!("no 马丽勇 box: {body}"))
        .to_owned();
    let (status, body) = http_get_as(daemon.addr, "/api/v1/locations", &token);
    assert_eq!(status, 200, "{body}");
    let second_shelf = json_of(&body)
        .as_array()
        .and_then(|all| all.iter().find(|l| l["path"] == SECOND_SHELF).cloned())
        .and_then(|l| l["barcode"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no {SECOND_SHELF} in {body}"));
    for code in [SHELVE, &second_shelf] {
        scan(&daemon, &token, code);
    }
    let moved = scan(&daemon, &token, &archive_box);
    assert_eq!(moved["item"]["place"], SECOND_SHELF, "{moved}");
    for code in [CHECKOUT, &borrower] {
        scan(&daemon, &token, code);
    }
    let lent = scan(&daemon, &token, &archive_box);
    assert_eq!(lent["code"], "checkout.lent", "{lent}");
    assert!(daemon.terminate().success());
    (token, archive_box)
}

/// Where screenshots go.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// The texts of column `cell` of every row of the table `css`.
fn column(browser: &Browser, css: &str, cell: usize) -> Vec<String> {
    let value = browser
        .script(
            &format!(
                "return Array.from(document.querySelectorAll('{css} tbody tr'))\
                 .map(row => row.cells[{cell}].textContent);"
            ),
            "",
        )
        .expect("rows");
    value
        .as_array()
        .map(|cells| {
            cells
                .iter()
                .map(|cell| cell.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

const SCROLL_WIDTH: &str = "return document.documentElement.scrollWidth;";

/// Asserts that nothing is wider than a 390 px screen.
fn assert_fits_390(browser: &Browser, what: &str) {
    let width = browser.script(SCROLL_WIDTH, "").expect("width");
    assert!(
        width.as_u64().is_some_and(|width| width <= 390),
        "{what}: the page is {width} px wide on a 390 px screen"
    );
}

/// Clears the search box and types `text` as a person would (no Enter).
fn type_search(browser: &Browser, text: &str) {
    browser
        .script(
            "document.getElementById(arguments[0]).value = '';",
            "search-text",
        )
        .expect("clear");
    browser.send_keys("#search-text", text).expect("type");
}

#[test]
fn the_supervisor_page_searches_as_you_type_and_shows_a_boxs_own_history_and_the_overdue_list() {
    let name =
        "the_supervisor_page_searches_as_you_type_and_shows_a_boxs_own_history_and_the_overdue_list";
    let lib = common::prerequisite::libfaketime_library();
    if !prerequisite(
        name,
        "Chromium, chromedriver and libfaketime (Debian packages chromium, chromium-driver, faketime)",
        Browser::available() && lib.is_some(),
    ) {
        return;
    }
    let lib = lib.expect("checked");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    import_ledger(&data, dir.path());
    let (token, ma_box) = lend_five_weeks_ago(&lib, &data);
    let mut daemon = Daemon::start(&data);
    daemon.token = token;
    let shots = screenshot_dir();

    let browser = Browser::start();
    browser.resize(1280, 1000);
    browser.sign_in(&format!("http://{}/supervisor", daemon.addr), &daemon);

    // The overdue list: the borrower's name and the days late (30 days from five weeks ago).
    browser.wait_text("#overdue-table", "陈总");
    browser.wait_text("#overdue-table", "5 天");
    browser.wait_text("#overdue-table", "2024鸿借字第0500号");

    // Search as you type: counted requests, no Enter.
    browser
        .script(
            "window.boxSearches = 0; const real = window.fetch; \
             window.fetch = (...args) => { \
               if (String(args[0]).startsWith('/api/v1/boxes')) { window.boxSearches += 1; } \
               return real(...args); };",
            "",
        )
        .expect("count the searches");
    type_search(&browser, "丽勇");
    browser.wait_text("#search-results", "马丽勇");
    browser.wait_text("#search-status", "50");
    let searches = browser
        .script("return window.boxSearches;", "")
        .expect("count");
    assert!(
        searches.as_u64().is_some_and(|n| n <= 1),
        "one search for a word typed at once, not one a keystroke: {searches}"
    );
    let numbers = column(&browser, "#search-results", 0);
    assert_eq!(numbers.len(), 50, "the first page");
    assert_eq!(numbers[0], "2024鸿借字第0500号", "by archive number");
    browser.click("#search-more").expect("more");
    browser.wait_script(
        "the second page",
        "return document.querySelectorAll('#search-results tbody tr').length;",
        "",
        &json!(61),
    );
    let mut numbers = column(&browser, "#search-results", 0);
    numbers.dedup();
    assert_eq!(numbers.len(), 61, "every match once");
    browser
        .click("#search-sort option[value='customer']")
        .expect("sort by customer");
    browser.wait_script(
        "sorted by customer",
        "return document.querySelector('#search-results tbody tr').cells[2].textContent;",
        "",
        &json!("丽勇商贸1000"),
    );
    browser.screenshot(&shots.join(format!("{name}-desk-search.png")));

    // An answer that arrives after a newer query was typed is dropped: the search for
    // "客户" is held back 1.5 s, "客户12" typed meanwhile answers first and stays.
    browser
        .script(
            "const real = window.fetch; \
             window.fetch = (...args) => { \
               const answer = real(...args); \
               if (String(args[0]).endsWith('q=' + encodeURIComponent('客户'))) { \
                 window.slowAsked = true; \
                 return answer.then(r => new Promise(done => setTimeout(() => { \
                   window.slowAnswered = true; done(r); }, 1500))); \
               } \
               return answer; };",
            "",
        )
        .expect("hold back one search");
    type_search(&browser, "客户");
    browser.wait_script(
        "the slow search asked",
        "return window.slowAsked === true;",
        "",
        &json!(true),
    );
    browser.send_keys("#search-text", "12").expect("type on");
    browser.wait_script(
        "the slow answer arrived",
        "return window.slowAnswered === true;",
        "",
        &json!(true),
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let customers = column(&browser, "#search-results", 2);
    assert!(
        !customers.is_empty() && customers.iter().all(|c| c.starts_with("客户12")),
        "the newer query's results stay: {customers:?}"
    );

    // 马丽勇's box: only its own history, with names and shelf paths.
    type_search(&browser, "马丽勇");
    browser.wait_script(
        "one result",
        "return document.querySelectorAll('#search-results tbody tr').length;",
        "",
        &json!(1),
    );
    browser
        .click("#search-results tbody tr")
        .expect("open the box");
    browser.wait_text("#detail-archive-no", "2024鸿借字第0500号");
    browser.wait_text("#detail-barcode", &ma_box);
    browser.wait_text("#history", SECOND_SHELF);
    browser.wait_text("#history", "陈总");
    browser.wait_text("#history", FIRST_SHELF);
    let import_lines = browser
        .script(
            "return Array.from(document.querySelectorAll('#history tbody tr'))\
             .map(row => row.cells[5].querySelectorAll('li').length);",
            "",
        )
        .expect("changes");
    let lines: Vec<u64> = import_lines
        .as_array()
        .map(|all| all.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    assert!(
        lines.len() <= 6 && lines.iter().all(|n| *n <= 4),
        "its own events only: {lines:?}"
    );
    let height = browser
        .script(
            "return document.getElementById('history').offsetHeight;",
            "",
        )
        .expect("height");
    assert!(
        height.as_u64().is_some_and(|h| h < 1000),
        "the history is {height} px high"
    );
    let actors = column(&browser, "#history", 4);
    assert!(
        actors.iter().all(|actor| !actor.starts_with('P')),
        "people by name, not badge: {actors:?}"
    );
    browser.screenshot(&shots.join(format!("{name}-desk-history.png")));

    // Keyboard: "/" goes to the search box.
    browser
        .script("document.activeElement.blur();", "")
        .expect("blur");
    browser
        .script(
            "document.body.dispatchEvent(new KeyboardEvent('keydown', {key: '/', bubbles: true}));",
            "",
        )
        .expect("press /");
    browser.wait_script(
        "focus in the search box",
        ACTIVE_ID,
        "",
        &json!("search-text"),
    );
    browser.wait_text("#shortcuts", "/");

    // The overdue list opens the box; in English it says days.
    browser.click("#lang").expect("English");
    browser.wait_text("#page-title", "Supervisor");
    browser.wait_text("#overdue-table", "5 days");
    type_search(&browser, "客户12");
    browser.wait_text("#search-results", "客户12");
    browser
        .click("#overdue-table tbody tr")
        .expect("open from the overdue list");
    browser.wait_text("#detail-archive-no", "2024鸿借字第0500号");
    browser.wait_text("#history", "lent");

    // A phone: nothing wider than the screen, tables as cards, both languages.
    browser.resize(390, 844);
    browser.wait_script(
        "the column names hidden",
        "return getComputedStyle(document.querySelector('#overdue-table thead')).display;",
        "",
        &json!("none"),
    );
    assert_fits_390(&browser, "English, a box open");
    browser.screenshot(&shots.join(format!("{name}-phone-en.png")));
    browser.click("#lang").expect("Chinese");
    browser.wait_text("#page-title", "主管");
    type_search(&browser, "丽勇");
    browser.wait_text("#search-results", "丽勇商贸");
    assert_fits_390(&browser, "Chinese, search results");
    browser
        .script("window.scrollTo(0, 0);", "")
        .expect("scroll to the top");
    browser.screenshot(&shots.join(format!("{name}-phone-zh.png")));

    assert_eq!(browser.console_errors(), Vec::<String>::new());
    drop(browser);
    assert!(daemon.terminate().success());
}
