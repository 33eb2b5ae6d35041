//! The 待办 page and the header's counts of pending work (issue #14) end to end, in a real
//! headless Chromium over WebDriver against the real daemon: archive tasks posted by a
//! business system's integration token (one overdue and one in warning through
//! `occurred_at` in the past), the responsible person signing in and seeing their counts
//! in the header of every page and a banner for the urgent work, their list with its
//! states, their one-click step done from the page (the list and the counts follow), a
//! refusal shown with its code, and a supervisor's view of everyone's work sorted by
//! lateness and by due date; at desk and phone width (390 px), in Chinese and English,
//! without a console error. Screenshots go to `$CARGO_TARGET_DIR/screenshots/web_tasks-*.png`.
//!
//! Needs Chromium and chromedriver (Debian packages `chromium`, `chromium-driver`);
//! without them it says it is not run, and fails under CI (`CI=true`).

mod common;

use std::fs;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use common::browser::Browser;
use common::{http_get_as, http_post_as, person_with_token, prerequisite, Daemon};
use serde_json::{json, Value};

const HOUR_MS: i64 = 3_600_000;

/// Where screenshots go.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(since.as_millis()).expect("ms fit")
}

/// The header's counts: [pending, warning, overdue] from the link's attributes.
const COUNTS: &str = "const a = document.getElementById('inbox-counts'); \
    return a && !a.hidden ? [a.dataset.pending, a.dataset.warning, a.dataset.overdue].map(Number) : null;";

/// The list's rows, top to bottom: [task id, step, state, the state's words].
const ROWS: &str = "return Array.from(document.querySelectorAll('#tasks tr[data-task]'))\
    .map(tr => [Number(tr.dataset.task), tr.dataset.step, tr.dataset.state, \
                tr.querySelector('.state-badge').textContent]);";

#[test]
fn pending_work_shows_in_the_header_and_on_the_tasks_page_is_done_by_one_click_and_a_supervisor_sorts_everyones(
) {
    let name = "pending_work_shows_in_the_header_and_on_the_tasks_page_is_done_by_one_click_and_a_supervisor_sorts_everyones";
    if !prerequisite(
        name,
        "Chromium and chromedriver (Debian packages chromium, chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let daemon = Daemon::start(&data);
    let admin = daemon.token.clone();
    let base = format!("http://{}", daemon.addr);

    // The account managers, their supervisor and the business system's token.
    let (wang, _) = person_with_token(&data, "王客户经理", "clerk");
    let (li, _) = person_with_token(&data, "李客户经理", "clerk");
    let (chen, _) = person_with_token(&data, "陈主管", "supervisor");
    let (system, _) = person_with_token(&data, "信贷系统", "clerk");
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/tokens/create",
        &json!({ "person": system, "kind": "integration" }).to_string(),
        &admin,
    );
    assert_eq!(status, 201, "{body}");
    let integration = parse(&body)["secret"].as_str().expect("secret").to_owned();

    // A box of the category the tasks name (a category is known when a box of it is held).
    let (status, body) = daemon.post(
        "/api/v1/boxes/register",
        r#"{"title": "借款合同", "customer": "鸿达贸易", "category": "借款", "archive_no": "2026借001"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let archive_box = parse(&body)["barcode"]
        .as_str()
        .expect("barcode")
        .to_owned();

    // Adding is due 48 hours after the business step, in warning from 24 hours before:
    // 50 hours ago → overdue, 30 hours ago → warning, now → normal; 72 hours ago
    // (李's) → the most late of all.
    let now = now_ms();
    let post = |id: &str, who: &str, customer: &str, hours_ago: i64, with_box: bool| -> u64 {
        let mut task = json!({
            "external_id": id,
            "category": "借款",
            "step": "放款完成",
            "customer": customer,
            "archive_no": format!("2026借{id}"),
            "responsible": who,
            "occurred_at": now - hours_ago * HOUR_MS,
        });
        if with_box {
            task["box"] = json!(archive_box);
        }
        let (status, body) = http_post_as(
            daemon.addr,
            "/api/v1/tasks",
            &task.to_string(),
            &integration,
        );
        assert_eq!(status, 201, "{body}");
        parse(&body)["id"].as_u64().expect("an id")
    };
    let overdue = post("CRM-1", &wang, "鸿达贸易", 50, true);
    let warning = post("CRM-2", &wang, "华南电力", 30, false);
    let normal = post("CRM-3", &wang, "东方机械", 0, false);
    let most_late = post("CRM-4", &li, "西部矿业", 72, false);

    let shots = screenshot_dir();
    let browser = Browser::start();
    browser.resize(1280, 1000);

    // 王 signs in on the counter page: the header counts their work, and the banner
    // announces the overdue and warning work (a status, not a blocking alert).
    browser.sign_in_person(
        &format!("{base}/"),
        daemon.addr,
        &admin,
        (&wang, "王客户经理"),
    );
    browser.wait_script("王's counts", COUNTS, "", &json!([3, 1, 1]));
    browser.wait_text("#inbox-counts", "待办 3 · 预警 1 · 超期 1");
    browser.wait_text("#inbox-alert", "超期 1 项，预警 1 项");
    let role = browser
        .script(
            "return document.getElementById('inbox-alert').getAttribute('role');",
            "",
        )
        .expect("role");
    assert_eq!(role, json!("status"));
    browser.screenshot(&shots.join("web_tasks-signin-banner.png"));

    // The one navigation leads to the 待办 page: their three tasks, the most late first.
    browser.click("nav a[href='/tasks']").expect("the nav link");
    browser.wait_text("#tasks-heading", "我的待办");
    browser.wait_script(
        "王's list",
        ROWS,
        "",
        &json!([
            [overdue, "add", "overdue", "超期"],
            [warning, "add", "warning", "预警"],
            [normal, "add", "normal", "正常"],
        ]),
    );
    browser.wait_text("#tasks", "添加电子化");
    browser.wait_text("#tasks", "add and digitise");
    browser.wait_text("#tasks", "鸿达贸易");
    browser.wait_text("#tasks tr[data-task] td:nth-child(4)", "我");
    browser.wait_text("#tasks-summary", "共 3 项：超期 1 · 预警 1 · 正常 1");
    browser.wait_script("the header on this page too", COUNTS, "", &json!([3, 1, 1]));
    browser.screenshot(&shots.join("web_tasks-mine-zh.png"));

    // The overdue step done by its button: it moves on to sending, the counts follow.
    browser
        .click(&format!("#tasks button[data-task='{overdue}']"))
        .expect("the button");
    browser.wait_text("#tasks-status", "已完成");
    browser.wait_script(
        "the list after the click",
        ROWS,
        "",
        &json!([
            [warning, "add", "warning", "预警"],
            [normal, "add", "normal", "正常"],
            [overdue, "send", "normal", "正常"],
        ]),
    );
    browser.wait_script("the counts after the click", COUNTS, "", &json!([3, 1, 0]));
    let (status, body) = http_get_as(daemon.addr, &format!("/api/v1/tasks/{overdue}"), &admin);
    assert_eq!(status, 200, "{body}");
    assert_eq!(parse(&body)["step"], "send", "{body}");

    // A step done elsewhere meanwhile: the stale button is refused with its code, in
    // both languages, and the page rereads the list.
    let (status, body) = http_post_as(
        daemon.addr,
        &format!("/api/v1/tasks/{warning}/advance"),
        r#"{"step": "add"}"#,
        &admin,
    );
    assert_eq!(status, 200, "{body}");
    browser
        .click(&format!(
            "#tasks button[data-task='{warning}'][data-step='add']"
        ))
        .expect("the stale button");
    browser.wait_script(
        "the refusal's code",
        "return document.getElementById('tasks-status').dataset.code || null;",
        "",
        &json!("task.wrong_step"),
    );
    browser.wait_text("#tasks-status", "task.wrong_step");
    browser.wait_script(
        "the counts after the refusal",
        COUNTS,
        "",
        &json!([3, 0, 0]),
    );
    // The refusal is logged by Chromium as a failed resource (the test's own doing): that
    // one entry and nothing else so far.
    let errors = browser.console_errors();
    assert!(
        errors.len() == 1
            && errors.iter().all(|error| {
                error.contains(&format!("/api/v1/tasks/{warning}/advance")) && error.contains("422")
            }),
        "console errors: {errors:?}"
    );
    browser.click("#lang").expect("English");
    browser.wait_text("#tasks-status", "task.wrong_step");
    browser.wait_text("#tasks-status", &format!("Task {warning}:"));
    browser.wait_text("#inbox-counts", "To do 3 · Warning 0 · Overdue 0");
    browser.wait_text("#tasks", "send for review");
    browser.assert_fits(1280, "王's list, English");
    browser.screenshot(&shots.join("web_tasks-mine-en.png"));
    browser.click("#lang").expect("Chinese");
    browser.wait_text("#inbox-counts", "待办 3 · 预警 0 · 超期 0");
    // A clerk is not offered everyone's work.
    let offered = browser
        .script(
            "return document.querySelector('#scope option[value=\"all\"]').hidden;",
            "",
        )
        .expect("the scope");
    assert_eq!(offered, json!(true), "a clerk sees no team view");

    // A task posted meanwhile (already overdue): the counts are read again when the page
    // regains the focus.
    let late_news = post("CRM-5", &wang, "南方纺织", 60, false);
    browser
        .script("window.dispatchEvent(new Event('focus'));", "")
        .expect("focus");
    // Well before the minute's refresh (the sign-in was seconds ago): the focus did it.
    let asked = std::time::Instant::now();
    let mut seen = Value::Null;
    while asked.elapsed() < std::time::Duration::from_secs(15) {
        seen = browser.script(COUNTS, "").expect("the counts");
        if seen == json!([4, 0, 1]) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(seen, json!([4, 0, 1]), "the counts read again on focus");
    browser.click("#tasks-reload").expect("refresh the list");
    browser.wait_script(
        "the new task on top",
        "return Number(document.querySelector('#tasks tr[data-task]').dataset.task);",
        "",
        &json!(late_news),
    );

    // The supervisor: everyone's open tasks, the most late first, then by due date.
    browser.click("#logout").expect("sign out");
    browser.wait_script(
        "signed out",
        "return !document.getElementById('login').hidden && document.getElementById('inbox-counts').hidden;",
        "",
        &json!(true),
    );
    browser.sign_in_person(
        &format!("{base}/tasks"),
        daemon.addr,
        &admin,
        (&chen, "陈主管"),
    );
    browser.wait_script("陈's counts", COUNTS, "", &json!([0, 0, 0]));
    let alert_hidden = browser
        .script("return document.getElementById('inbox-alert').hidden;", "")
        .expect("banner");
    assert_eq!(alert_hidden, json!(true), "no banner without urgent work");
    browser.wait_text("#tasks-empty", "没有待办的档案工作");
    browser
        .script(
            "const s = document.getElementById('scope'); s.value = 'all'; \
             s.dispatchEvent(new Event('change'));",
            "",
        )
        .expect("everyone's");
    browser.wait_text("#tasks-heading", "全部待办");
    let (status, body) = http_get_as(daemon.addr, "/api/v1/tasks?scope=all", &admin);
    assert_eq!(status, 200, "{body}");
    let mut everyone: Vec<(i64, u64)> = parse(&body)
        .as_array()
        .expect("tasks")
        .iter()
        .map(|task| {
            (
                task["late_ms"].as_i64().expect("late"),
                task["id"].as_u64().expect("id"),
            )
        })
        .collect();
    assert_eq!(everyone.len(), 5, "{body}");
    everyone.sort_by_key(|(late, id)| (std::cmp::Reverse(*late), *id));
    let by_lateness: Vec<u64> = everyone.iter().map(|(_, id)| *id).collect();
    assert_eq!(by_lateness.first(), Some(&most_late));
    let ids = "return Array.from(document.querySelectorAll('#tasks tr[data-task]')).map(tr => Number(tr.dataset.task));";
    browser.wait_script("most late first", ids, "", &json!(by_lateness));
    browser.wait_text("#tasks", &li);
    let first_state = browser
        .script(
            "return document.querySelector('#tasks tr[data-task] .state-badge').textContent;",
            "",
        )
        .expect("state");
    assert_eq!(first_state, json!("超期"));
    browser
        .script(
            "const s = document.getElementById('sort'); s.value = 'due-desc'; \
             s.dispatchEvent(new Event('change'));",
            "",
        )
        .expect("by due date, latest first");
    let mut latest_first = by_lateness.clone();
    latest_first.reverse();
    browser.wait_script("latest due first", ids, "", &json!(latest_first));
    browser
        .script(
            "const s = document.getElementById('sort'); s.value = 'late'; \
             s.dispatchEvent(new Event('change'));",
            "",
        )
        .expect("by lateness");
    browser.wait_script("most late first again", ids, "", &json!(by_lateness));
    browser.assert_fits(1280, "everyone's, desk");
    browser.screenshot(&shots.join("web_tasks-team-zh.png"));

    // Phone width, both languages: the list as cards, nothing wider than the screen.
    browser.resize(390, 844);
    browser.wait_script("phone width", "return window.innerWidth;", "", &json!(390));
    browser.assert_fits(390, "phone, Chinese");
    browser.screenshot(&shots.join("web_tasks-phone-zh.png"));
    browser.click("#lang").expect("English");
    browser.wait_text("#tasks-heading", "Everyone's pending work");
    browser.assert_fits(390, "phone, English");
    browser.screenshot(&shots.join("web_tasks-phone-en.png"));
    browser.click("#lang").expect("Chinese");
    browser.wait_text("#tasks-heading", "全部待办");

    let errors = browser.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    assert!(daemon.terminate().success());
}
