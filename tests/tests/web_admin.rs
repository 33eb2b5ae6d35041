//! The admin page (`/admin`) and the desk page (`/desk`) used end to end as a person
//! would: the real daemon with a folder printer in its station.toml, a real headless
//! Chromium driven over WebDriver, and every change checked afterwards through the API
//! (and the label folder). Desk width (1280 px) in Chinese and phone width (390 px) in
//! English; screenshots go to `$CARGO_TARGET_DIR/screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (see `common/browser.rs`).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

mod common;

use common::browser::{Browser, ACTIVE_ID, ENTER};
use common::{http_get_as, http_post_as, prerequisite, station, wait_until, Daemon};

/// A shelf path in the station's form.
const SHELF_PATH: &str = "1号库房/05列/A面/3节/4层";

/// Where screenshots go: `$CARGO_TARGET_DIR/screenshots` (or `target/screenshots`).
fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// A daemon whose station.toml has two workstations printing to a PDF folder printer
/// `labels` at `DIR/labels`, and a numbering scheme `loan`.
fn daemon_with_folder_printer(dir: &Path) -> (Daemon, PathBuf) {
    let data = dir.join("data");
    let labels = dir.join("labels");
    let config = dir.join("station.toml");
    fs::write(
        &config,
        format!(
            "[[workstation]]\nname = \"counter\"\nprinter = \"labels\"\n\
             [[workstation]]\nname = \"desk-1\"\nprinter = \"labels\"\n\
             [[printer]]\nname = \"labels\"\nlanguage = \"pdf\"\ndpi = 300\nconnect = \"dir://{}\"\n\
             [[scheme]]\nname = \"loan\"\ntemplate = \"DK-{{year}}-{{seq:04}}\"\n",
            labels.display()
        ),
    )
    .expect("write station.toml");
    let daemon = Daemon::start_with(station(&data).arg("--config").arg(&config).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]));
    assert!(daemon.token.starts_with("ast_"), "no first admin token");
    (daemon, labels)
}

fn api_get(daemon: &Daemon, path: &str) -> Value {
    let (status, body) = http_get_as(daemon.addr, path, &daemon.token);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|error| panic!("GET {path}: {error}: {body}"))
}

fn person_named(daemon: &Daemon, name: &str) -> Value {
    api_get(daemon, "/api/v1/people")
        .as_array()
        .into_iter()
        .flatten()
        .find(|person| person["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Files in the label folder whose name holds `needle`.
fn label_files(labels: &Path, needle: &str) -> Vec<String> {
    fs::read_dir(labels)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.contains(needle) && !name.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

/// Sets an input's value as if the person had cleared it (WebDriver keys then type).
fn clear(browser: &Browser, css: &str) {
    browser
        .script(
            "const n = document.querySelector(arguments[0]); n.value = ''; \
             n.dispatchEvent(new Event('input')); return true;",
            css,
        )
        .unwrap_or_else(|error| panic!("clear {css}: {error}"));
}

/// Chooses an option of a `<select>` by its value, as a person picking it would.
fn choose(browser: &Browser, select: &str, value: &str) {
    browser
        .click(&format!("{select} option[value=\"{value}\"]"))
        .unwrap_or_else(|error| panic!("choose {value} in {select}: {error}"));
}

/// Waits until `css` matches an element (e.g. a row's button once the list is drawn).
fn wait_for_element(browser: &Browser, css: &str) {
    browser.wait_for(&format!("{css} to appear"), |browser| browser.find(css));
}

/// Records every fetch the page makes from now on (URL, method, body) in `window.__sent`.
fn record_requests(browser: &Browser) {
    browser
        .script(
            "if (!window.__sent) { window.__sent = []; const real = window.fetch; \
             window.fetch = (url, init) => { window.__sent.push({ url: String(url), \
             method: (init && init.method) || 'GET', body: (init && init.body) || null }); \
             return real(url, init); }; } return true;",
            "",
        )
        .expect("record requests");
}

fn sent(browser: &Browser) -> Vec<Value> {
    browser
        .script("return window.__sent || [];", "")
        .expect("read requests")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The element's class and `data-code` once it shows something.
fn outcome(browser: &Browser, css: &str) -> (String, String) {
    browser.wait_for(&format!("{css} to show an outcome"), |browser| {
        let value = browser.script(
            "const n = document.querySelector(arguments[0]); \
             return [n.className, n.getAttribute('data-code') || '', n.textContent];",
            css,
        )?;
        let class = value[0].as_str().unwrap_or_default().to_owned();
        let text = value[2].as_str().unwrap_or_default();
        if text.is_empty() || text.contains("正在处理") || text.contains("working") {
            Err(format!("{value}"))
        } else {
            Ok((class, value[1].as_str().unwrap_or_default().to_owned()))
        }
    })
}

/// At 390 px nothing is wider than the screen: the page does not scroll sideways and no
/// visible element reaches past the right edge.
fn assert_fits_phone(browser: &Browser, what: &str) {
    let wide = browser
        .script(
            "const w = document.documentElement.clientWidth; \
             const out = [...document.querySelectorAll('body *')].filter((n) => { \
               const r = n.getBoundingClientRect(); \
               return r.width > 0 && r.right > w + 1; \
             }).map((n) => n.tagName + '#' + n.id + '.' + n.className); \
             return { scroll: document.documentElement.scrollWidth, width: w, out };",
            "",
        )
        .expect("measure");
    assert_eq!(
        wide["out"],
        json!([]),
        "{what}: elements wider than the {} px screen: {wide}",
        wide["width"]
    );
    assert!(
        wide["scroll"].as_u64() <= wide["width"].as_u64(),
        "{what}: the page scrolls sideways: {wide}"
    );
}

/// The browser console has no script error and no refused load (a refusal the page shows
/// is logged by Chromium as a failed resource: those are the test's own doing).
fn assert_no_script_errors(browser: &Browser) {
    let errors: Vec<String> = browser
        .console_errors()
        .into_iter()
        .filter(|error| !error.contains("Failed to load resource"))
        .collect();
    assert_eq!(errors, Vec::<String>::new());
}

/// Switches the page to English with its own button.
fn to_english(browser: &Browser) {
    browser.click("#lang").expect("language switch");
    browser.wait_script(
        "the page in English",
        "return document.documentElement.lang;",
        "",
        &json!("en"),
    );
}

#[test]
fn admin_page_manages_people_tokens_schemes_and_devices_at_desk_and_phone_width() {
    if !prerequisite(
        "admin_page_manages_people_tokens_schemes_and_devices_at_desk_and_phone_width",
        "Chromium and chromedriver (the Debian packages chromium and chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (daemon, labels) = daemon_with_folder_printer(dir.path());
    let base = format!("http://{}", daemon.addr);
    let shots = screenshots();
    let browser = Browser::start();
    browser.sign_in(&format!("{base}/admin"), &daemon);
    browser.wait_text("#page-title", "管理");
    browser.wait_text("nav", "日常");
    assert!(browser.find("#whoami").is_ok(), "the header has #whoami");
    // The first administrator is listed; focus starts in the add-person form.
    wait_for_element(&browser, "#people tbody tr");
    browser.wait_script(
        "focus in the name field",
        ACTIVE_ID,
        "",
        &json!("person-name"),
    );

    // Add a person: type the name, pick the role, tick direct borrowing, Enter.
    browser.send_keys("#person-name", "林小雨").expect("name");
    choose(&browser, "#person-role", "supervisor");
    browser.click("#person-borrow").expect("borrow");
    browser
        .send_keys("#person-name", ENTER)
        .expect("Enter submits");
    assert_eq!(outcome(&browser, "#person-add-status").0, "message-ok");
    let added = person_named(&daemon, "林小雨");
    assert_eq!(added["role"], "supervisor", "{added}");
    assert_eq!(added["borrow_directly"], true, "{added}");
    let badge = added["barcode"].as_str().expect("badge").to_owned();
    browser.wait_text("#people", "林小雨");
    browser.wait_text("#person-add-status", &badge);

    // Manage them: change the role to clerk and save with Enter.
    browser
        .click(&format!("#people button[data-badge=\"{badge}\"]"))
        .expect("manage");
    browser.wait_text("#panel-badge", &badge);
    browser.wait_script("focus on the name", ACTIVE_ID, "", &json!("edit-name"));
    choose(&browser, "#edit-role", "clerk");
    browser.send_keys("#edit-name", ENTER).expect("save");
    browser.wait_text("#person-status", "已保存");
    assert_eq!(person_named(&daemon, "林小雨")["role"], "clerk");

    // Password and PIN go to the sign-in routes; the page shows the server's answer.
    record_requests(&browser);
    browser
        .send_keys("#edit-password", &format!("Archive-Room-2026!{ENTER}"))
        .expect("password");
    let (class, code) = outcome(&browser, "#person-status");
    let password_path = format!("/api/v1/people/{badge}/password");
    let requests = sent(&browser);
    let request = requests
        .iter()
        .find(|request| {
            request["url"]
                .as_str()
                .unwrap_or_default()
                .ends_with(&password_path)
        })
        .unwrap_or_else(|| panic!("no password request in {requests:?}"));
    assert_eq!(request["method"], "POST");
    let body: Value =
        serde_json::from_str(request["body"].as_str().unwrap_or_default()).expect("JSON body");
    assert_eq!(body, json!({ "password": "Archive-Room-2026!" }));
    // The same request by hand: the page showed exactly what the server answered.
    let (status, answer) = http_post_as(
        daemon.addr,
        &password_path,
        "{\"password\":\"Archive-Room-2026!\"}",
        &daemon.token,
    );
    if (200..300).contains(&status) {
        assert_eq!(
            class, "message-ok",
            "the server took the password: {answer}"
        );
    } else {
        let answer: Value = serde_json::from_str(&answer).expect("an error is JSON");
        assert_eq!(class, "problem");
        assert_eq!(
            code,
            answer["error"].as_str().unwrap_or_default(),
            "{answer}"
        );
    }
    browser
        .script(
            "document.getElementById('person-status').textContent = ''; return 1;",
            "",
        )
        .expect("reset");
    browser
        .send_keys("#edit-pin", &format!("4826{ENTER}"))
        .expect("PIN");
    outcome(&browser, "#person-status");
    let pin_path = format!("/api/v1/people/{badge}/pin");
    let requests = sent(&browser);
    let request = requests
        .iter()
        .find(|request| {
            request["url"]
                .as_str()
                .unwrap_or_default()
                .ends_with(&pin_path)
        })
        .unwrap_or_else(|| panic!("no PIN request in {requests:?}"));
    assert_eq!(
        serde_json::from_str::<Value>(request["body"].as_str().unwrap_or_default()).expect("JSON"),
        json!({ "pin": "4826" })
    );

    // Print their badge at the desk workstation: the label lands in the folder.
    wait_for_element(&browser, "#badge-workstation option[value=\"desk-1\"]");
    choose(&browser, "#badge-workstation", "desk-1");
    browser.click("#badge-print").expect("print badge");
    browser.wait_text("#person-status", "labels");
    wait_until("the badge label file", || {
        !label_files(&labels, &badge).is_empty()
    });

    // Their badge is lost: a new one is issued after confirming; the list and the panel
    // show its code, and the station answers it for them.
    browser
        .click("#person-replace-badge")
        .expect("replace badge");
    browser
        .click("#person-left-holder [data-action='confirm']")
        .expect("confirm");
    browser.wait_text("#person-status", "新工牌");
    let replaced = person_named(&daemon, "林小雨");
    let new_badge = replaced["badge"].as_str().expect("a new badge").to_owned();
    assert_ne!(new_badge, badge, "{replaced}");
    assert_eq!(
        replaced["barcode"],
        badge.as_str(),
        "the person keeps their code"
    );
    browser.wait_text("#person-status", &new_badge);
    browser.wait_text("#panel-badge", &new_badge);
    browser.wait_text("#people", &new_badge);

    // Mark them as left, after confirming.
    browser.click("#person-left").expect("mark left");
    browser
        .click("#person-left-holder [data-action='confirm']")
        .expect("confirm");
    browser.wait_text("#person-status", "离职");
    assert_eq!(person_named(&daemon, "林小雨")["active"], false);
    browser.wait_text("#people", "已离职");

    // A token: created for the administrator, the secret shown once, and it works.
    browser
        .send_keys("#token-label", "财务对接")
        .expect("label");
    browser.send_keys("#token-label", ENTER).expect("create");
    browser.wait_for("the secret", |browser| {
        let text = browser.text("#token-secret")?;
        if text.starts_with("ast_") {
            Ok(text)
        } else {
            Err(text)
        }
    });
    let secret = browser.text("#token-secret").expect("secret");
    browser.wait_script("focus on Copy", ACTIVE_ID, "", &json!("token-copy"));
    browser.click("#token-copy").expect("copy");
    outcome(&browser, "#token-copied");
    let (status, body) = http_get_as(daemon.addr, "/api/v1/people", &secret);
    assert_eq!(status, 200, "the shown secret works: {body}");
    browser.wait_text("#tokens", "财务对接");
    browser.screenshot(&shots.join("web_admin-desk-zh.png"));

    // Revoke it with confirmation: the secret no longer works.
    let tokens = api_get(&daemon, "/api/v1/tokens");
    let id = tokens
        .as_array()
        .into_iter()
        .flatten()
        .find(|token| token["label"] == "财务对接")
        .map(|token| token["id"].clone())
        .unwrap_or_else(|| panic!("the token is listed: {tokens}"));
    assert!(
        !tokens.to_string().contains(&secret),
        "the list never holds secrets"
    );
    wait_for_element(&browser, &format!("#tokens button[data-token=\"{id}\"]"));
    browser
        .click(&format!("#tokens button[data-token=\"{id}\"]"))
        .expect("revoke");
    browser
        .click("#tokens [data-action='confirm']")
        .expect("confirm");
    browser.wait_text("#token-status", "已撤销");
    let (status, _) = http_get_as(daemon.addr, "/api/v1/people", &secret);
    assert_eq!(status, 401, "a revoked token is refused");

    // Phone width, in English, for the rest.
    browser.resize(390, 844);
    to_english(&browser);
    browser.wait_text("#page-title", "Admin");

    // A numbering scheme: a bad template shows the server's refusal, a good one the next
    // number as it is typed; then add and retire it.
    browser.send_keys("#scheme-name", "HT").expect("name");
    browser
        .send_keys("#scheme-template", "HT-{seq}{year}")
        .expect("template");
    let (class, code) = outcome(&browser, "#scheme-preview");
    assert_eq!(class, "problem");
    assert!(
        code.starts_with("scheme."),
        "a scheme refusal's code: {code}"
    );
    clear(&browser, "#scheme-template");
    browser
        .send_keys("#scheme-template", "HT-{year}-{seq:04}")
        .expect("template");
    let expected = api_get(
        &daemon,
        "/api/v1/schemes/preview?template=HT-%7Byear%7D-%7Bseq%3A04%7D",
    );
    let next = expected["next"].as_str().expect("next").to_owned();
    assert!(next.starts_with("HT-") && next.ends_with("-0001"), "{next}");
    browser.wait_text("#scheme-preview", &next);
    browser.send_keys("#scheme-template", ENTER).expect("add");
    browser.wait_text("#scheme-status", "HT");
    let schemes = api_get(&daemon, "/api/v1/schemes");
    assert!(
        schemes
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["name"] == "HT" && s["retired"] == false),
        "{schemes}"
    );
    wait_for_element(&browser, "#schemes button[data-scheme=\"HT\"]");
    browser
        .click("#schemes button[data-scheme=\"HT\"]")
        .expect("retire");
    browser
        .click("#schemes [data-action='confirm']")
        .expect("confirm");
    browser.wait_text("#scheme-status", "retired");
    let schemes = api_get(&daemon, "/api/v1/schemes");
    assert!(
        schemes
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["name"] == "HT" && s["retired"] == true),
        "{schemes}"
    );

    // Devices: add a folder printer, disable it, remove it.
    let spare = dir.path().join("spare-labels");
    browser.send_keys("#device-name", "spare").expect("name");
    browser
        .send_keys("#device-connect", &format!("dir://{}", spare.display()))
        .expect("connect");
    browser.send_keys("#device-connect", ENTER).expect("add");
    browser.wait_text("#device-status", "spare");
    wait_for_element(
        &browser,
        "#devices button[data-device=\"spare\"][data-action=\"disable\"]",
    );
    assert_eq!(
        common::device_state(daemon.addr, &daemon.token, "spare")["enabled"],
        true
    );
    assert_fits_phone(&browser, "the admin page");
    browser.screenshot(&shots.join("web_admin-phone-en.png"));
    browser
        .script("window.scrollTo(0, 0); return 1;", "")
        .expect("scroll");
    browser.screenshot(&shots.join("web_admin-phone-en-top.png"));
    browser
        .click("#devices button[data-device=\"spare\"][data-action=\"disable\"]")
        .expect("disable");
    browser.wait_text("#device-status", "disabled");
    assert_eq!(
        common::device_state(daemon.addr, &daemon.token, "spare")["enabled"],
        false
    );
    browser
        .click("#devices button[data-device=\"spare\"][data-action=\"remove\"]")
        .expect("remove");
    browser
        .click("#devices [data-action='confirm']")
        .expect("confirm");
    browser.wait_text("#device-status", "removed");
    assert_eq!(
        common::device_state(daemon.addr, &daemon.token, "spare"),
        Value::Null
    );

    // A refusal shows the server's message with its code: a second device called
    // `labels` (station.toml's printer) is refused.
    browser.send_keys("#device-name", "labels").expect("name");
    browser.send_keys("#device-name", ENTER).expect("add");
    let (class, code) = outcome(&browser, "#device-status");
    assert_eq!(class, "problem");
    assert!(!code.is_empty(), "the refusal's code is shown");

    assert_no_script_errors(&browser);
}

#[test]
fn desk_page_registers_edits_reprints_cancels_and_downloads_at_desk_and_phone_width() {
    if !prerequisite(
        "desk_page_registers_edits_reprints_cancels_and_downloads_at_desk_and_phone_width",
        "Chromium and chromedriver (the Debian packages chromium and chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (daemon, labels) = daemon_with_folder_printer(dir.path());
    let base = format!("http://{}", daemon.addr);
    let shots = screenshots();
    let browser = Browser::start();
    browser.sign_in(&format!("{base}/desk"), &daemon);
    browser.wait_text("#page-title", "日常");
    wait_for_element(&browser, "#reg-scheme option[value=\"loan\"]");
    wait_for_element(&browser, "#reg-workstation option[value=\"desk-1\"]");
    browser.wait_script("focus in the title", ACTIVE_ID, "", &json!("reg-title"));

    // Register a box with the `loan` scheme, its label printed at desk-1 at once.
    choose(&browser, "#reg-scheme", "loan");
    choose(&browser, "#reg-workstation", "desk-1");
    browser
        .send_keys("#reg-title", "借款合同 2026-17")
        .expect("title");
    browser
        .send_keys("#reg-customer", "马丽勇")
        .expect("customer");
    browser
        .send_keys("#reg-category", "贷款")
        .expect("category");
    browser.send_keys("#reg-home", SHELF_PATH).expect("home");
    browser
        .send_keys("#reg-home", ENTER)
        .expect("Enter registers");
    assert_eq!(outcome(&browser, "#register-status").0, "message-ok");
    let boxes = api_get(
        &daemon,
        "/api/v1/boxes?customer=%E9%A9%AC%E4%B8%BD%E5%8B%87",
    );
    let registered = boxes[0].clone();
    let barcode = registered["barcode"].as_str().expect("barcode").to_owned();
    let archive_no = registered["archive_no"]
        .as_str()
        .expect("archive no")
        .to_owned();
    assert!(archive_no.starts_with("DK-"), "{registered}");
    assert_eq!(registered["home"]["path"], SHELF_PATH, "{registered}");
    browser.wait_text("#register-status", &barcode);
    // The page says where the label went: the printer and its folder.
    let said = browser.wait_text("#register-label", "labels");
    assert!(said.contains(&labels.display().to_string()), "{said}");
    wait_until("the box's label file", || {
        !label_files(&labels, &barcode).is_empty()
    });

    // Edit it, found by its archive number.
    browser
        .send_keys("#find-text", &format!("{archive_no}{ENTER}"))
        .expect("find");
    browser.wait_text("#box-barcode", &barcode);
    browser.wait_script("focus on the title", ACTIVE_ID, "", &json!("edit-title"));
    clear(&browser, "#edit-title");
    browser
        .send_keys("#edit-title", &format!("借款合同（补充）{ENTER}"))
        .expect("save");
    browser.wait_text("#edit-status", "已保存");
    let item = api_get(&daemon, &format!("/api/v1/items/{barcode}"));
    assert_eq!(item["title"], "借款合同（补充）", "{item}");

    // Reprint with a reason: recorded as a reprint of the first job, a second file.
    browser
        .send_keys("#reprint-reason", &format!("标签破损{ENTER}"))
        .expect("reprint");
    browser.wait_text("#reprint-status", "labels");
    browser.wait_text("#box-labels", "标签破损");
    let history = api_get(&daemon, &format!("/api/v1/items/{barcode}/history"));
    assert!(
        history.as_array().into_iter().flatten().any(|event| {
            event["kind"] == "PrintQueued"
                && event["changes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|change| change["field"] == "reprint" && change["after"] == "标签破损")
        }),
        "{history}"
    );
    wait_until("the reprint's label file", || {
        label_files(&labels, &barcode).len() >= 2
    });
    browser.screenshot(&shots.join("web_desk-desk-zh.png"));

    // A label waiting for a disabled printer is cancelled from the queue with a reason.
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/devices/labels/disable",
        "{}",
        &daemon.token,
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/boxes/register",
        "{\"title\":\"待打印\",\"customer\":\"周建国\",\"scheme\":\"loan\",\"print_at\":\"desk-1\"}",
        &daemon.token,
    );
    assert_eq!(status, 201, "{body}");
    let waiting: Value = serde_json::from_str(&body).expect("JSON");
    let job = waiting["label_jobs"][0].as_u64().expect("a label job");
    browser.click("#queue-refresh").expect("refresh");
    wait_for_element(&browser, &format!("#queue button[data-job=\"{job}\"]"));
    browser
        .click(&format!("#queue button[data-job=\"{job}\"]"))
        .expect("cancel");
    browser
        .send_keys("#queue .confirm input", &format!("客户取消{ENTER}"))
        .expect("reason");
    browser.wait_text("#queue-status", "已取消");
    let queue = api_get(&daemon, "/api/v1/labels/queue");
    assert_eq!(queue, json!([]), "the job left the queue");
    let waiting_box = waiting["barcode"].as_str().expect("barcode");
    let history = api_get(&daemon, &format!("/api/v1/items/{waiting_box}/history"));
    assert!(
        history.to_string().contains("客户取消") && history.to_string().contains("PrintCancelled"),
        "{history}"
    );

    // Phone width, in English: downloads with the page's sign-in.
    browser.resize(390, 844);
    to_english(&browser);
    browser.wait_text("#page-title", "Desk");

    // A box numbered by hand, without a label: the archive-number field appears when
    // "by hand" is chosen; Enter registers.
    browser
        .script("window.scrollTo(0, 0); return 1;", "")
        .expect("scroll");
    choose(&browser, "#reg-scheme", "");
    browser.wait_for("the archive number field", |browser| {
        browser
            .script(
                "return document.getElementById('reg-archive-no').offsetParent !== null;",
                "",
            )
            .and_then(|shown| {
                if shown == json!(true) {
                    Ok(())
                } else {
                    Err(shown.to_string())
                }
            })
    });
    browser
        .send_keys("#reg-archive-no", "HAND-2026-001")
        .expect("archive no");
    browser.send_keys("#reg-title", "手工编号").expect("title");
    browser
        .send_keys("#reg-customer", "周建国")
        .expect("customer");
    browser.click("#reg-print").expect("no label");
    browser.send_keys("#reg-customer", ENTER).expect("register");
    assert_eq!(outcome(&browser, "#register-status").0, "message-ok");
    browser.wait_text("#register-label", "no label");
    let found = api_get(&daemon, "/api/v1/boxes?archive_no=HAND-2026-001");
    assert_eq!(found[0]["title"], "手工编号", "{found}");
    let downloads = dir.path().join("downloads");
    fs::create_dir_all(&downloads).expect("downloads dir");
    browser
        .session_call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({
                "cmd": "Browser.setDownloadBehavior",
                "params": { "behavior": "allow", "downloadPath": downloads.display().to_string() },
            })),
        )
        .expect("let Chromium save downloads");
    browser
        .click("#downloads button[data-file=\"ledger.csv\"]")
        .expect("download");
    browser.wait_text("#download-status", "ledger.csv");
    let saved = downloads.join("ledger.csv");
    wait_until("ledger.csv saved", || saved.is_file());
    let csv = fs::read_to_string(&saved).expect("read the download");
    let (status, direct) = http_get_as(daemon.addr, "/api/v1/reports/ledger.csv", &daemon.token);
    assert_eq!(status, 200);
    assert_eq!(csv, direct, "the page saved the report's bytes");
    assert!(
        csv.contains(&archive_no) && csv.contains("借款合同（补充）"),
        "{csv}"
    );
    browser
        .click("#downloads button[data-file=\"loans.xlsx\"]")
        .expect("download");
    browser.wait_text("#download-status", "loans.xlsx");
    let saved = downloads.join("loans.xlsx");
    wait_until("loans.xlsx saved", || saved.is_file());
    let workbook = fs::read(&saved).expect("read the workbook");
    assert!(workbook.starts_with(b"PK"), "an .xlsx is a zip");
    assert_fits_phone(&browser, "the desk page");
    browser.screenshot(&shots.join("web_desk-phone-en.png"));
    browser
        .script("window.scrollTo(0, 0); return 1;", "")
        .expect("scroll");
    browser.screenshot(&shots.join("web_desk-phone-en-top.png"));
    assert_no_script_errors(&browser);
}

#[test]
fn pages_tell_a_clerk_which_role_they_need_instead_of_showing_controls() {
    if !prerequisite(
        "pages_tell_a_clerk_which_role_they_need_instead_of_showing_controls",
        "Chromium and chromedriver (the Debian packages chromium and chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (daemon, _labels) = daemon_with_folder_printer(dir.path());
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/people/add",
        "{\"name\":\"陈晓\",\"role\":\"clerk\"}",
        &daemon.token,
    );
    assert_eq!(status, 201, "{body}");
    let clerk: Value = serde_json::from_str(&body).expect("JSON");
    let badge = clerk["barcode"].as_str().expect("badge").to_owned();
    let base = format!("http://{}", daemon.addr);
    let browser = Browser::start();

    // The admin page: a notice naming the role needed, and none of the admin controls.
    browser.sign_in_person(
        &format!("{base}/admin"),
        daemon.addr,
        &daemon.token,
        (&badge, "陈晓"),
    );
    browser.wait_text("#no-role-text", "管理员");
    browser.wait_text("#no-role-text", "办事员");
    let hidden = browser
        .script(
            "return [...document.querySelectorAll('#person-add-form, #token-form, #device-form, #scheme-form')] \
             .every((n) => n.offsetParent === null);",
            "",
        )
        .expect("visibility");
    assert_eq!(hidden, json!(true), "no admin control is shown to a clerk");
    browser.resize(390, 844);
    to_english(&browser);
    browser.wait_text("#no-role-text", "administrator");
    assert_fits_phone(&browser, "the admin page's notice");
    browser.screenshot(&screenshots().join("web_admin-clerk-phone-en.png"));

    // The desk page works for a clerk; only the reports say they need a supervisor.
    browser.navigate(&format!("{base}/desk"));
    browser.wait_text("#downloads-role", "supervisor");
    wait_for_element(&browser, "#reg-workstation option[value=\"desk-1\"]");
    let shown = browser
        .script(
            "return document.getElementById('downloads').offsetParent !== null;",
            "",
        )
        .expect("visibility");
    assert_eq!(shown, json!(false), "no report button for a clerk");
    assert_no_script_errors(&browser);
}

/// Every page, signed in as an administrator, at desk (1280 px) and phone (390 px) width in
/// Chinese and in English: nothing wider than the screen, the header's navigation in the
/// chosen language, no text left as a message key, no script error; a screenshot of each.
#[test]
fn every_page_fits_desk_and_phone_width_in_both_languages() {
    if !prerequisite(
        "every_page_fits_desk_and_phone_width_in_both_languages",
        "Chromium and chromedriver (the Debian packages chromium and chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (daemon, _labels) = daemon_with_folder_printer(dir.path());
    let base = format!("http://{}", daemon.addr);
    let shots = screenshots();
    let browser = Browser::start();
    browser.sign_in(&format!("{base}/admin"), &daemon);
    browser.wait_text("#page-title", "管理");
    for (lang, document_lang, counter) in [("zh", "zh-CN", "柜台"), ("en", "en", "Counter")] {
        browser
            .script(
                "localStorage.setItem('station.lang', arguments[0]); return 1;",
                lang,
            )
            .expect("choose the language");
        for width in [1280u32, 390] {
            browser.resize(width, 900);
            for page in ["/", "/supervisor", "/desk", "/import", "/admin"] {
                let what = format!("{page} at {width} px in {lang}");
                browser.navigate(&format!("{base}{page}"));
                browser.wait_script(
                    &format!("{what}: the language"),
                    "return document.documentElement.lang;",
                    "",
                    &json!(document_lang),
                );
                browser.wait_text("nav", counter);
                browser.wait_script(
                    &format!("{what}: the title"),
                    "return document.getElementById('page-title').textContent.trim().length > 0;",
                    "",
                    &json!(true),
                );
                // Let the page's first requests land before measuring.
                wait_for_element(&browser, "#whoami");
                std::thread::sleep(std::time::Duration::from_millis(300));
                assert_fits_phone(&browser, &what);
                let keys = browser
                    .script(
                        "return [...document.querySelectorAll('[data-i18n]')] \
                           .filter((n) => n.textContent.trim() === n.getAttribute('data-i18n')) \
                           .map((n) => n.getAttribute('data-i18n'));",
                        "",
                    )
                    .expect("untranslated keys");
                assert_eq!(keys, json!([]), "{what}: text left as its key");
                let name = page.trim_matches('/');
                let name = if name.is_empty() { "counter" } else { name };
                browser.screenshot(&shots.join(format!("pages-{name}-{width}-{lang}.png")));
            }
        }
    }
    assert_no_script_errors(&browser);
}
