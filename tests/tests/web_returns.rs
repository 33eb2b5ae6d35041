//! The counter page at RETURN, in a real headless Chromium over WebDriver against the real
//! daemon: a box with a contents list is lent, then scanned back on the page by a clerk;
//! the page lists what was lent (documents, pages, total) under the answer; one document
//! is ticked missing and recorded; the loan stays open for it (checked through the API) and
//! the supervisor page flags the return as incomplete; at desk and phone width (390 px), in Chinese and English, without a console error.
//! Screenshots go to `$CARGO_TARGET_DIR/screenshots/web_returns-*.png`.
//!
//! Needs Chromium and chromedriver (Debian packages `chromium`, `chromium-driver`);
//! without them it says it is not run, and fails under CI (`CI=true`).

mod common;

use std::fs;
use std::path::PathBuf;

use common::browser::Browser;
use common::{
    http_get_as, http_post_as, person_with_token, prerequisite, run, station, stdout, Daemon,
};
use serde_json::{json, Value};
use station::workflow::CommandCard;

const ENTER: &str = "\u{E007}";

/// Where screenshots go.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

fn parse(path: &str, body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{path}: {error}: {body}"))
}

/// The lent list on the page: [position, name, pages text] per document.
const LENT: &str = "return Array.from(document.querySelectorAll('#check-list li'))\
    .map(li => [li.dataset.position, li.querySelector('.name').textContent, li.querySelector('.pages').textContent]);";

#[test]
fn the_counter_page_shows_what_was_lent_at_return_and_records_a_missing_document() {
    let name = "the_counter_page_shows_what_was_lent_at_return_and_records_a_missing_document";
    if !prerequisite(
        name,
        "Chromium and chromedriver (Debian packages chromium, chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let ledger = dir.path().join("ledger.csv");
    fs::write(
        &ledger,
        "档案号,题名,客户名称,位置\nR-1,借款合同,鸿达贸易,2号库房/01列/A面/1节/1层\n",
    )
    .expect("ledger");
    let output = run(station(&data).arg("import").arg(&ledger));
    assert!(output.status.success(), "{}", stdout(&output));
    let config = dir.path().join("station.toml");
    fs::write(
        &config,
        "repeat_window_ms = 0\n[[workstation]]\nname = \"counter\"\n",
    )
    .expect("config");
    let daemon = Daemon::start_with(station(&data).arg("--config").arg(&config).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]));
    let (borrower, borrower_token) = person_with_token(&data, "李主管", "supervisor");
    let (clerk, _) = person_with_token(&data, "张档案", "clerk");
    let (_, found) = daemon.get("/api/v1/boxes?archive_no=R-1");
    let barcode = parse("boxes", &found)[0]["barcode"]
        .as_str()
        .expect("barcode")
        .to_owned();
    let contents = format!("/api/v1/boxes/{barcode}/contents");
    for (name, pages) in [("借款合同", 2), ("担保合同", 5), ("调查报告", 12)] {
        let body = json!({"op": "add", "document": {"name": name, "pages": pages}}).to_string();
        let (status, answer) = daemon.post(&contents, &body);
        assert_eq!(status, 200, "{answer}");
    }
    // The supervisor borrows it, approving their own loan.
    for code in [
        CommandCard::Checkout.barcode().to_string(),
        borrower.clone(),
        barcode.clone(),
    ] {
        let body = json!({"workstation": "counter", "data": code}).to_string();
        let (status, answer) = http_post_as(daemon.addr, "/api/v1/scans", &body, &borrower_token);
        assert_eq!(status, 200, "{answer}");
    }

    let shots = screenshot_dir();
    let browser = Browser::start();
    browser.resize(1280, 1000);
    let base = format!("http://{}", daemon.addr);
    browser.sign_in_person(
        &format!("{base}/"),
        daemon.addr,
        &daemon.token,
        (&clerk, "张档案"),
    );
    browser.wait_text("#whoami", "张档案");
    let type_code = |code: &str| {
        browser
            .send_keys("#scan", &format!("{code}{ENTER}"))
            .unwrap_or_else(|error| panic!("type {code}: {error}"));
    };
    let wait_code = |code: &str| {
        browser.wait_script(
            &format!("the result {code}"),
            "return document.getElementById(arguments[0]).dataset.code;",
            "result",
            &json!(code),
        );
    };
    type_code(&CommandCard::Return.barcode().to_string());
    wait_code("mode.entered");
    type_code(&barcode);
    wait_code("return.check");

    // What was lent, under the answer: three documents with their pages, the total.
    browser.wait_script(
        "the lent list",
        LENT,
        "",
        &json!([
            ["1", "借款合同", "2 页"],
            ["2", "担保合同", "5 页"],
            ["3", "调查报告", "12 页"]
        ]),
    );
    browser.wait_text("#check-summary", "3 份文件，共 19 页");
    browser.screenshot(&shots.join("web_returns-desk-zh.png"));

    // 担保合同 is missing: ticked and recorded.
    browser.click("#check-doc-2").expect("tick 担保合同");
    browser
        .send_keys("#check-note", "下周送回")
        .expect("a note");
    browser.click("#check-missing").expect("record missing");
    browser.wait_script(
        "the check recorded",
        "return document.getElementById('check-answer').dataset.code;",
        "",
        &json!("return.incomplete"),
    );
    browser.wait_text("#check-answer", "担保合同");
    browser.screenshot(&shots.join("web_returns-desk-zh-missing.png"));
    let path = format!("/api/v1/loans?borrower={borrower}");
    let (status, body) = http_get_as(daemon.addr, &path, &borrower_token);
    assert_eq!(status, 200, "{body}");
    let open = parse(&path, &body);
    assert_eq!(open.as_array().map(Vec::len), Some(1), "{open}");
    assert_eq!(open[0]["outstanding"][0]["name"], "担保合同", "{open}");
    let (_, body) = daemon.get("/api/v1/returns/unchecked");
    let unchecked = parse("unchecked", &body);
    assert_eq!(unchecked[0]["state"], "incomplete", "{unchecked}");
    assert_eq!(unchecked[0]["note"], "下周送回", "{unchecked}");

    // English, then phone width in both languages: nothing wider than the screen.
    browser.click("#lang").expect("English");
    browser.wait_text("#check-summary", "3 documents, 19 pages");
    browser.wait_script(
        "the list in English, the tick kept",
        "return [document.querySelector('#check-list li .pages').textContent, document.getElementById('check-doc-2').checked];",
        "",
        &json!(["2 pages", true]),
    );
    browser.assert_fits(1280, "desk, English");
    browser.screenshot(&shots.join("web_returns-desk-en.png"));
    browser.resize(390, 844);
    browser.wait_script("phone width", "return window.innerWidth;", "", &json!(390));
    browser.assert_fits(390, "phone, English");
    browser
        .script(
            "document.getElementById('return-check').scrollIntoView();",
            "",
        )
        .expect("scroll");
    browser.screenshot(&shots.join("web_returns-phone-en.png"));
    browser.click("#lang").expect("Chinese");
    browser.wait_text("#check-summary", "共 19 页");
    browser.assert_fits(390, "phone, Chinese");
    browser
        .script(
            "document.getElementById('return-check').scrollIntoView();",
            "",
        )
        .expect("scroll");
    browser.screenshot(&shots.join("web_returns-phone-zh.png"));

    // The supervisor page flags it: incomplete, with what is still out.
    browser.resize(1280, 1000);
    browser.navigate(&format!("{base}/supervisor"));
    browser.wait_text("#returns-table", "归还不全");
    browser.wait_text("#returns-table", "2. 担保合同（5 页）");
    browser
        .script(
            "document.getElementById('unchecked-returns').scrollIntoView();",
            "",
        )
        .expect("scroll");
    browser.screenshot(&shots.join("web_returns-supervisor-zh.png"));

    let errors = browser.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    assert!(daemon.terminate().success());
}
