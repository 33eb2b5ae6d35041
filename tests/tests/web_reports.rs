//! The report buttons of the supervisor page (the overdue list's and the room statistics'),
//! end to end: the real daemon on a room laid out by the real CLI, a real headless
//! Chromium over WebDriver. Both page scripts download through the one `Station.download`
//! of common.js: what the page saves is what the API answers, under the report's name;
//! when the station cannot be reached, each says so where its list is.
//!
//! Needs Chromium and chromedriver (Debian packages `chromium`, `chromium-driver`);
//! without them the test says it is not run, and fails under CI (`CI=true`).

use serde_json::json;

mod common;

use common::browser::Browser;
use common::{http_get_as, prerequisite, run, station, stderr, Daemon};

/// Records every download the page saves (its name and, read from the blob, its text)
/// in `window.savedReports`, instead of handing it to the browser's download manager.
const RECORD_DOWNLOADS: &str = "
    window.savedReports = [];
    const blobs = new Map();
    const create = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (blob) => { const url = create(blob); blobs.set(url, blob); return url; };
    HTMLAnchorElement.prototype.click = function () {
      const blob = blobs.get(this.href);
      const name = this.getAttribute('download');
      if (!blob) { window.savedReports.push({ name, text: null }); return; }
      blob.text().then((text) => window.savedReports.push({ name, size: blob.size, text }));
    };
    return true;";

/// The names of the downloads saved so far.
const SAVED_NAMES: &str = "return window.savedReports.map((report) => report.name);";

#[test]
fn the_supervisor_pages_report_buttons_save_what_the_api_answers_or_say_why_not() {
    let name = "the_supervisor_pages_report_buttons_save_what_the_api_answers_or_say_why_not";
    if !prerequisite(
        name,
        "Chromium and chromedriver (Debian packages chromium, chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let laid = run(station(&data).args([
        "location",
        "layout",
        "--room",
        "2号库房",
        "--racks",
        "1-2",
        "--sides",
        "A",
        "--sections",
        "2",
        "--shelves",
        "2",
        "--capacity",
        "10",
    ]));
    assert!(laid.status.success(), "{}", stderr(&laid));
    let daemon = Daemon::start(&data);
    let browser = Browser::start();
    browser.resize(1280, 1000);
    browser.sign_in(&format!("http://{}/supervisor", daemon.addr), &daemon);
    browser.wait_text("#map-overview", "02列");
    assert_eq!(
        browser
            .script(RECORD_DOWNLOADS, "")
            .expect("record downloads"),
        json!(true)
    );

    // Each button saves its report under its name, with what the API answers.
    let buttons = [
        ("#overdue-csv", "overdue.csv"),
        ("[data-report='fill.csv']", "fill.csv"),
        ("[data-report='categories.csv']", "categories.csv"),
        ("[data-report='fill.xlsx']", "fill.xlsx"),
    ];
    let mut expected: Vec<&str> = Vec::new();
    for (button, report) in buttons {
        browser.click(button).expect(button);
        expected.push(report);
        browser.wait_script(
            &format!("{report} saved"),
            SAVED_NAMES,
            "",
            &json!(expected),
        );
    }
    let saved = browser
        .script("return window.savedReports;", "")
        .expect("saved reports");
    for (index, (_, report)) in buttons.iter().enumerate() {
        let saved = &saved[index];
        assert!(saved["size"].as_u64().unwrap_or(0) > 0, "{report}: {saved}");
        if report.ends_with(".csv") {
            let (status, body) = http_get_as(
                daemon.addr,
                &format!("/api/v1/reports/{report}"),
                &daemon.token,
            );
            assert_eq!(status, 200, "{report}: {body}");
            // Byte for byte (Blob.text() reads past the byte-order mark Excel wants).
            assert_eq!(saved["size"], json!(body.len()), "{report}");
            assert_eq!(
                saved["text"].as_str(),
                Some(body.trim_start_matches('\u{feff}')),
                "{report}"
            );
        }
    }
    let fill = saved[1]["text"].as_str().unwrap_or_default();
    assert!(fill.contains("02列"), "the room's racks are in it: {fill}");

    // The station gone: each list says it cannot be reached (common.js's words for it),
    // and nothing is saved.
    drop(daemon);
    for (button, status) in [
        ("#overdue-csv", "#overdue-status"),
        ("[data-report='fill.csv']", "#stats-status"),
    ] {
        browser.click(button).expect(button);
        browser.wait_script(
            &format!("{status} to say the station cannot be reached"),
            "return document.querySelector(arguments[0]).textContent \
             === Station.t('error.network');",
            status,
            &json!(true),
        );
    }
    assert_eq!(
        browser.script(SAVED_NAMES, "").expect("saved"),
        json!(expected),
        "nothing more saved"
    );
}
