//! The contents-entry page (资料清单) end to end, in a real headless Chromium over WebDriver
//! against the real daemon: a clerk (the least role the contents routes take) finds a loan
//! project's box by typing its barcode and Enter as a scanner does, enters three documents
//! with Chinese names from the keyboard only (Enter to the next field and, at a row's end,
//! into a new row; Space for the check boxes; Alt+↑/↓ to move a row; Ctrl+Delete to remove
//! one; Ctrl+Enter to save), and the station stores exactly that list with the box's own
//! expiry date; an Enter that confirms an input method's composition moves nothing; a
//! refused save (a page count of 0, an impossible date) shows its code with the field
//! marked and leaves the stored list as it was; loading another box (or leaving the page)
//! with unsaved changes asks first; at phone width (390 px) the rows are cards and nothing is wider than the
//! screen; no console error. Screenshots go to
//! `$CARGO_TARGET_DIR/screenshots/web_contents-*.png`.
//!
//! Needs Chromium and chromedriver (Debian packages `chromium`, `chromium-driver`);
//! without them it says it is not run, and fails under CI (`CI=true`).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::browser::{Browser, ELEMENT};
use common::{http_get_as, http_post_as, prerequisite, run, station, stdout, Daemon};
use serde_json::{json, Value};

const NULL: &str = "\u{E000}";
const ENTER: &str = "\u{E007}";
const CONTROL: &str = "\u{E009}";
const ALT: &str = "\u{E00A}";
const SPACE: &str = "\u{E00D}";
const UP: &str = "\u{E013}";
const DOWN: &str = "\u{E015}";
const DELETE: &str = "\u{E017}";

/// Where screenshots go.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// A loan project's box (category 借款, the shipped loan checklist) and a power customer's
/// box (供电), imported with the real CLI.
fn setup(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let ledger = dir.join("ledger.csv");
    fs::write(
        &ledger,
        "档案号,题名,客户名称,类别,位置\n\
         2026鸿借字第001号,流动资金借款项目,鸿达贸易有限公司,借款,2号库房/01列/A面/1节/1层\n\
         GD-0001,低压居民用电,华南电力客户,供电,2号库房/01列/A面/1节/2层\n",
    )
    .expect("ledger");
    let output = run(station(&data).arg("import").arg(&ledger));
    assert!(output.status.success(), "{}", stdout(&output));
    data
}

fn json_get(daemon: &Daemon, token: &str, path: &str) -> Value {
    let (status, body) = http_get_as(daemon.addr, path, token);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|error| panic!("{path}: {error}: {body}"))
}

fn barcode_of(daemon: &Daemon, token: &str, archive_no: &str) -> String {
    let encoded: String = archive_no
        .bytes()
        .map(|byte| match byte {
            b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' | b'-' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect();
    json_get(
        daemon,
        token,
        &format!("/api/v1/boxes?archive_no={encoded}"),
    )[0]["barcode"]
        .as_str()
        .expect("a barcode")
        .to_owned()
}

/// Types `keys` into whatever has the focus, as a person at the keyboard does.
fn type_keys(browser: &Browser, keys: &str) {
    let focused = browser
        .script("return document.activeElement;", "")
        .expect("the focused element");
    let element = focused[ELEMENT]
        .as_str()
        .unwrap_or_else(|| panic!("nothing focused: {focused}"));
    browser
        .session_call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": keys })),
        )
        .unwrap_or_else(|error| panic!("typing {keys:?}: {error}"));
}

/// Where the cursor is: (row from 1, field), or (0, the element's id) outside the rows.
const FOCUS: &str = "const a = document.activeElement; const row = a.closest('#rows tr'); \
    return row ? [Array.from(row.parentNode.children).indexOf(row) + 1, a.dataset.field] : [0, a.id];";

fn assert_focus(browser: &Browser, row: u64, field: &str) {
    browser.wait_script(
        &format!("the cursor in row {row}'s {field}"),
        FOCUS,
        "",
        &json!([row, field]),
    );
}

/// The rows on the page: [name, type, pages, date, original, signed shown and ticked, expiry].
const ROWS: &str = "return Array.from(document.querySelectorAll('#rows tr')).map(r => { \
    const f = (n) => r.querySelector('[data-field=\"' + n + '\"]'); \
    return [f('name').value, f('doc_type').value, f('pages').value, f('date').value, \
      f('original').checked, f('signed').hidden ? null : f('signed').checked, f('expiry').value]; });";

/// The names of the stored list, in order.
fn stored_names(contents: &Value) -> Vec<String> {
    contents["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|document| document["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Empties a field (WebDriver's Element Clear) and types `keys` into it.
fn retype(browser: &Browser, css: &str, keys: &str) {
    let element = browser.find(css).expect(css);
    browser
        .session_call(
            "POST",
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .unwrap_or_else(|error| panic!("clear {css}: {error}"));
    browser.send_keys(css, keys).expect(css);
}

#[test]
fn a_clerk_enters_a_contents_list_from_the_keyboard_in_chinese_and_refusals_change_nothing() {
    let name =
        "a_clerk_enters_a_contents_list_from_the_keyboard_in_chinese_and_refusals_change_nothing";
    if !prerequisite(
        name,
        "Chromium and chromedriver (Debian packages chromium, chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = setup(dir.path());
    let daemon = Daemon::start(&data);
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/people/add",
        "{\"name\":\"张档案\",\"role\":\"clerk\"}",
        &daemon.token,
    );
    assert_eq!(status, 201, "{body}");
    let clerk: Value = serde_json::from_str(&body).expect("JSON");
    let clerk_badge = clerk["barcode"].as_str().expect("badge").to_owned();
    // The API is read with the administrator's token; the page is used by the clerk.
    let token = daemon.token.clone();
    let base = format!("http://{}", daemon.addr);
    let barcode = barcode_of(&daemon, &token, "2026鸿借字第001号");
    let other = barcode_of(&daemon, &token, "GD-0001");
    let contents = format!("/api/v1/boxes/{barcode}/contents");
    let shots = screenshot_dir();
    let browser = Browser::start();
    browser.resize(1280, 1000);
    browser.sign_in_person(
        &format!("{base}/contents"),
        daemon.addr,
        &daemon.token,
        (&clerk_badge, "张档案"),
    );
    // The page is in the one navigation, marked as the current page.
    browser.wait_script(
        "the page in the navigation",
        "return document.querySelector('nav a[aria-current=\"page\"]').getAttribute('href');",
        "",
        &json!("/contents"),
    );

    // A scanner types the barcode and Enter: the box opens with the cursor in a new row.
    browser
        .send_keys("#box-code", &format!("{}{ENTER}", barcode.to_lowercase()))
        .expect("scan the box");
    browser.wait_text("#box-archive-no", "2026鸿借字第001号");
    browser.wait_text("#box-checklist", "借款担保项目");
    assert_focus(&browser, 1, "name");
    // The checklist's items with required / optional and signatures; all required missing.
    let items = browser
        .script(
            "return Array.from(document.querySelectorAll('#items li')).slice(0, 4)\
               .map(li => [li.dataset.name, li.dataset.required, li.dataset.state, li.querySelector('.words').textContent]);",
            "",
        )
        .expect("items");
    assert_eq!(
        items,
        json!([
            ["项目审批表", "true", "missing", "必备 · 需审批人签字"],
            ["贷款审查报告", "true", "missing", "必备"],
            ["贷审会决议", "true", "missing", "必备 · 需与会委员签字"],
            ["放款审批单", "false", "", "可选"],
        ])
    );
    let types = browser
        .script(
            "return Array.from(document.querySelectorAll('#doc-types option')).length;",
            "",
        )
        .expect("datalist");
    assert_eq!(
        types,
        json!(15),
        "every checklist item is suggested as a type"
    );

    // Row 1: name, type (its checklist item wants a signature: the box shows), pages, a
    // date typed short, original (Enter leaves it ticked), signed (Space ticks it), no expiry.
    type_keys(&browser, "项目审批表");
    type_keys(&browser, ENTER);
    assert_focus(&browser, 1, "doc_type");
    type_keys(&browser, &format!("项目审批表{ENTER}"));
    assert_focus(&browser, 1, "pages");
    type_keys(&browser, &format!("2{ENTER}"));
    type_keys(&browser, &format!("20261102{ENTER}"));
    assert_focus(&browser, 1, "original");
    type_keys(&browser, ENTER);
    assert_focus(&browser, 1, "signed");
    type_keys(&browser, SPACE);
    type_keys(&browser, ENTER);
    assert_focus(&browser, 1, "expiry");
    type_keys(&browser, ENTER);
    // The row's end: the cursor is in the next row's name.
    assert_focus(&browser, 2, "name");
    // Row 2: a contract with its expiry date.
    type_keys(&browser, &format!("借款合同（2026鸿借字第001号）{ENTER}"));
    type_keys(
        &browser,
        &format!("借款合同{ENTER}12{ENTER}2026-11-20{ENTER}"),
    );
    type_keys(&browser, ENTER);
    type_keys(&browser, SPACE);
    type_keys(&browser, ENTER);
    assert_focus(&browser, 2, "expiry");
    type_keys(&browser, &format!("2029-11-19{ENTER}"));
    assert_focus(&browser, 3, "name");
    // Row 3: a copy (Space unticks original); its type wants no signature: no box.
    type_keys(
        &browser,
        &format!("营业执照（副本）{ENTER}营业执照{ENTER}1{ENTER}2026.10.8{ENTER}"),
    );
    assert_focus(&browser, 3, "original");
    type_keys(&browser, SPACE);
    type_keys(&browser, ENTER);
    assert_focus(&browser, 3, "expiry");
    type_keys(&browser, ENTER);
    assert_focus(&browser, 4, "name");
    // The totals follow the typing.
    browser.wait_script(
        "live totals",
        "const t = document.getElementById('totals'); return [t.dataset.count, t.dataset.pages];",
        "",
        &json!(["3", "15"]),
    );
    browser.wait_text("#totals", "共 3 份资料，15 页");
    browser.wait_script(
        "unsaved changes shown",
        "return !document.getElementById('dirty').hidden;",
        "",
        &json!(true),
    );

    // An Enter that confirms Chinese input (an IME composing) neither moves nor saves.
    type_keys(&browser, "保");
    let composed = browser
        .script(
            "const a = document.activeElement; \
             for (const init of [{ key: 'Enter', isComposing: true }, { key: 'Enter', keyCode: 229 }, \
               { key: 'Enter', ctrlKey: true, isComposing: true }]) { \
               a.dispatchEvent(new KeyboardEvent('keydown', Object.assign({ bubbles: true, cancelable: true }, init))); } \
             return [document.querySelectorAll('#rows tr').length, a === document.activeElement, \
               document.getElementById('save-status').textContent];",
            "",
        )
        .expect("composing Enter");
    assert_eq!(
        composed,
        json!([4, true, ""]),
        "a composing Enter did something"
    );
    assert_focus(&browser, 4, "name");
    type_keys(&browser, "\u{E003}");

    // Alt+↑ moves row 3 above row 2, Alt+↓ back, the cursor with it.
    browser
        .click("#rows tr:nth-child(3) [data-field='name']")
        .expect("row 3");
    type_keys(&browser, &format!("{ALT}{UP}{NULL}"));
    assert_focus(&browser, 2, "name");
    browser.wait_script(
        "row 3 moved up",
        "return Array.from(document.querySelectorAll('#rows [data-field=\"name\"]')).map(i => i.value);",
        "",
        &json!(["项目审批表", "营业执照（副本）", "借款合同（2026鸿借字第001号）", ""]),
    );
    type_keys(&browser, &format!("{ALT}{DOWN}{NULL}"));
    assert_focus(&browser, 3, "name");

    // The box's own expiry date, then Ctrl+Enter saves.
    browser
        .send_keys("#box-expiry", "20291231")
        .expect("the box's expiry");
    type_keys(&browser, &format!("{CONTROL}{ENTER}{NULL}"));
    browser.wait_script(
        "saved",
        "return document.getElementById('save-status').dataset.state;",
        "",
        &json!("saved"),
    );
    browser.wait_text("#save-status", "已保存：3 份资料，15 页");
    // Exactly that list is stored: order, pages, dates, original, signed, expiry.
    let stored = json_get(&daemon, &token, &contents);
    assert_eq!(
        stored["documents"],
        json!([
            {"position": 1, "name": "项目审批表", "doc_type": "项目审批表", "pages": 2,
             "date": "2026-11-02", "original": true, "expiry": null, "signed": true},
            {"position": 2, "name": "借款合同（2026鸿借字第001号）", "doc_type": "借款合同", "pages": 12,
             "date": "2026-11-20", "original": true, "expiry": "2029-11-19", "signed": true},
            {"position": 3, "name": "营业执照（副本）", "doc_type": "营业执照", "pages": 1,
             "date": "2026-10-08", "original": false, "expiry": null, "signed": null},
        ]),
        "{stored}"
    );
    assert_eq!(stored["expiry"], "2029-12-31", "{stored}");
    assert_eq!(stored["pages"], 15);
    // The completeness shown is the station's answer for the saved list.
    let missing: Vec<Value> = stored["completeness"]["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .map(|lack| lack["name"].clone())
        .collect();
    assert!(!missing.contains(&json!("借款合同")), "{stored}");
    browser.wait_script(
        "the station's missing documents",
        "return Array.from(document.querySelectorAll('#missing li[data-name]')).map(li => li.dataset.name);",
        "",
        &json!(missing),
    );
    browser.wait_script(
        "the saved items marked present",
        "return Array.from(document.querySelectorAll('#items li.present')).map(li => li.dataset.name);",
        "",
        &json!(["项目审批表", "借款合同", "营业执照"]),
    );
    browser.wait_script(
        "the box's expiry shown",
        "return document.getElementById('box-expiry').value;",
        "",
        &json!("2029-12-31"),
    );
    browser.screenshot(&shots.join("web_contents-desk-zh-saved.png"));

    // A page count of 0 is refused: the code shown, the field marked, nothing stored.
    retype(&browser, "#rows tr:nth-child(2) [data-field='pages']", "0");
    type_keys(&browser, &format!("{CONTROL}{ENTER}{NULL}"));
    browser.wait_script(
        "the refusal's code",
        "return document.getElementById('save-status').dataset.code;",
        "",
        &json!("contents.bad_pages"),
    );
    let status = browser.text("#save-status").expect("status");
    assert!(status.contains("contents.bad_pages"), "{status}");
    browser.wait_script(
        "the offending field marked",
        "return Array.from(document.querySelectorAll('[aria-invalid=\"true\"]')).map(n => \
           [Array.from(n.closest('tr').parentNode.children).indexOf(n.closest('tr')) + 1, n.dataset.field]);",
        "",
        &json!([[2, "pages"]]),
    );
    assert_focus(&browser, 2, "pages");
    browser.screenshot(&shots.join("web_contents-desk-zh-refused.png"));
    assert_eq!(
        json_get(&daemon, &token, &contents)["documents"],
        stored["documents"],
        "a refused save changed the list"
    );
    // An impossible date is refused too (the request does not read), the date marked.
    retype(&browser, "#rows tr:nth-child(2) [data-field='pages']", "12");
    retype(
        &browser,
        "#rows tr:nth-child(1) [data-field='date']",
        "2026-13-45",
    );
    type_keys(&browser, &format!("{CONTROL}{ENTER}{NULL}"));
    browser.wait_script(
        "the bad date's refusal",
        "return document.getElementById('save-status').dataset.code;",
        "",
        &json!("request.invalid_value"),
    );
    browser.wait_script(
        "the date marked",
        "return Array.from(document.querySelectorAll('[aria-invalid=\"true\"]')).map(n => n.dataset.field);",
        "",
        &json!(["date"]),
    );
    let after = json_get(&daemon, &token, &contents);
    assert_eq!(after["documents"], stored["documents"], "{after}");
    assert_eq!(after["expiry"], "2029-12-31", "{after}");
    // In English the refusal keeps its code.
    browser.click("#lang").expect("English");
    browser.wait_text("#save-status", "Not saved");
    browser.wait_text("#save-status", "request.invalid_value");
    browser.wait_text("#totals", "3 documents, 15 pages");
    browser.screenshot(&shots.join("web_contents-desk-en-refused.png"));
    browser.click("#lang").expect("Chinese");
    retype(
        &browser,
        "#rows tr:nth-child(1) [data-field='date']",
        "2026-11-02",
    );

    // Ctrl+Delete removes row 3; another box asked for with the change unsaved is not
    // opened until the change is given up.
    browser
        .click("#rows tr:nth-child(3) [data-field='pages']")
        .expect("row 3");
    type_keys(&browser, &format!("{CONTROL}{DELETE}{NULL}"));
    browser.wait_script(
        "row 3 removed",
        ROWS,
        "",
        &json!([
            [
                "项目审批表",
                "项目审批表",
                "2",
                "2026-11-02",
                true,
                true,
                ""
            ],
            [
                "借款合同（2026鸿借字第001号）",
                "借款合同",
                "12",
                "2026-11-20",
                true,
                true,
                "2029-11-19"
            ],
            ["", "", "", "", true, null, ""],
        ]),
    );
    // Leaving the page now would be asked about (the browser's own question).
    let leaving = browser
        .script(
            "const e = new Event('beforeunload', { cancelable: true }); \
             window.dispatchEvent(e); return e.defaultPrevented;",
            "",
        )
        .expect("beforeunload");
    assert_eq!(
        leaving,
        json!(true),
        "leaving with unsaved changes is not asked about"
    );
    browser
        .send_keys("#box-code", &format!("{other}{ENTER}"))
        .expect("scan another box");
    browser.wait_script(
        "the unsaved-changes warning",
        "return !document.getElementById('discard').hidden;",
        "",
        &json!(true),
    );
    browser.wait_text("#discard-text", "未保存的修改");
    assert_eq!(
        browser.text("#box-archive-no").expect("box"),
        "2026鸿借字第001号"
    );
    browser.click("#discard-no").expect("keep editing");
    type_keys(&browser, &format!("{CONTROL}{ENTER}{NULL}"));
    browser.wait_text("#save-status", "已保存：2 份资料，14 页");
    let leaving = browser
        .script(
            "const e = new Event('beforeunload', { cancelable: true }); \
             window.dispatchEvent(e); return e.defaultPrevented;",
            "",
        )
        .expect("beforeunload");
    assert_eq!(
        leaving,
        json!(false),
        "nothing unsaved, yet leaving is asked about"
    );
    assert_eq!(
        stored_names(&json_get(&daemon, &token, &contents)),
        ["项目审批表", "借款合同（2026鸿借字第001号）"]
    );
    // Saved: the other box opens at once, typed by its archive number; an unknown one is
    // said so.
    browser
        .send_keys("#box-code", &format!("GD-9999{ENTER}"))
        .expect("an unknown archive number");
    browser.wait_text("#find-problem", "没有找到档案盒 GD-9999");
    retype(&browser, "#box-code", &format!("GD-0001{ENTER}"));
    browser.wait_text("#box-archive-no", "GD-0001");
    browser.wait_text("#box-checklist", "供电客户档案");

    // Phone width: the rows are cards, nothing wider than the screen.
    browser
        .send_keys("#box-code", &format!("{barcode}{ENTER}"))
        .expect("the first box again");
    browser.wait_text("#box-archive-no", "2026鸿借字第001号");
    browser.resize(390, 844);
    browser.wait_script("phone width", "return window.innerWidth;", "", &json!(390));
    browser.wait_script(
        "rows as cards",
        "return getComputedStyle(document.querySelector('#docs thead')).display;",
        "",
        &json!("none"),
    );
    browser.assert_fits(390, "phone, Chinese");
    browser
        .script("document.getElementById('box-card').scrollIntoView();", "")
        .expect("scroll");
    browser.screenshot(&shots.join("web_contents-phone-zh.png"));
    browser.click("#lang").expect("English");
    browser.wait_text("#totals", "2 documents, 14 pages");
    browser.assert_fits(390, "phone, English");
    browser.click("#lang").expect("Chinese");
    browser.wait_text("#totals", "共 2 份资料");

    let errors: Vec<String> = browser
        .console_errors()
        .into_iter()
        // The refused saves are answered 422 and 400, as they should be.
        .filter(|error| !error.contains("/contents - Failed to load resource"))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    drop(browser);
    assert!(daemon.terminate().success());
}
