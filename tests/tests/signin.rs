//! Signing in like a person, end to end with the real daemon: by name and password or by
//! badge and PIN in headless Chromium (who is signed in shown in the header, signing out
//! ends the session on the station), the session cookie's attributes on the raw
//! `Set-Cookie`, CSRF on changes made with the cookie, someone who has left, ambiguous
//! names, repeated wrong passwords (429), and the first start's initial password.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

mod common;

use common::browser::{Browser, ACTIVE_ID, ENTER};
use common::{prerequisite, run, station, stderr, wait_until, Daemon};

/// A password that meets the policy.
const PASSWORD: &str = "档案室的春天2026";

/// One HTTP/1.1 exchange on a fresh connection: (status, head lines, body).
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Vec<String>, String) {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        text.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    text.push_str("\r\n");
    text.push_str(&body);
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    stream.write_all(text.as_bytes()).expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let lines: Vec<String> = head.lines().map(str::to_owned).collect();
    let status = lines
        .first()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    (status, lines, body.to_owned())
}

/// The value of header `name` (case-insensitive) in `head`.
fn header<'a>(head: &'a [String], name: &str) -> Option<&'a str> {
    head.iter()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("not JSON ({error}): {body}"))
}

/// Signs in over plain HTTP: (status, Set-Cookie, answer).
fn sign_in(addr: SocketAddr, body: &Value) -> (u16, Option<String>, Value) {
    let (status, head, answer) = request(addr, "POST", "/api/v1/session", &[], Some(body));
    let cookie = header(&head, "set-cookie").map(str::to_owned);
    let answer = if answer.is_empty() {
        Value::Null
    } else {
        json_of(&answer)
    };
    (status, cookie, answer)
}

/// `station_session=…` from a Set-Cookie value, as a Cookie header sends it.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Adds a person through the API as the daemon's administrator; answers the badge.
fn add_person(daemon: &Daemon, name: &str, role: &str) -> String {
    let (status, body) = daemon.post(
        "/api/v1/people/add",
        &json!({ "name": name, "role": role }).to_string(),
    );
    assert_eq!(status, 201, "{body}");
    json_of(&body)["barcode"]
        .as_str()
        .expect("a badge")
        .to_owned()
}

fn set_password(daemon: &Daemon, badge: &str, password: &str) {
    let (status, body) = daemon.post(
        &format!("/api/v1/people/{badge}/password"),
        &json!({ "password": password }).to_string(),
    );
    assert_eq!(status, 204, "{body}");
}

/// Where screenshots go: `$CARGO_TARGET_DIR/screenshots` (or target/screenshots).
fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Imports A-1 on the 4th and A-2 on the 5th level of one shelf: A-1's barcode.
fn two_shelves(daemon_data: &Path, dir: &Path) -> String {
    let ledger = dir.join("ledger.csv");
    std::fs::write(
        &ledger,
        "档案号,题名,客户名称,位置\n\
         A-1,借款合同,鸿达贸易,1号库房/05列/A面/3节/4层\n\
         A-2,抵押资料,华南电力,1号库房/05列/A面/3节/5层\n",
    )
    .expect("ledger");
    let output = run(station(daemon_data).arg("import").arg(&ledger));
    assert!(output.status.success(), "{}", stderr(&output));
    let export = common::stdout(&run(station(daemon_data).arg("export")));
    let barcode = export
        .lines()
        .find(|line| line.starts_with("A-1,"))
        .and_then(|line| line.rsplit(',').next())
        .map(|code| code.trim().to_owned())
        .unwrap_or_else(|| panic!("no A-1 in {export}"));
    barcode
}

#[test]
fn signing_in_by_password_and_by_badge_and_pin_in_the_browser_and_signing_out() {
    if !prerequisite(
        "signing_in_by_password_and_by_badge_and_pin_in_the_browser_and_signing_out",
        "Chromium and chromedriver (the Debian packages chromium and chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let box_barcode = two_shelves(&data, dir.path());
    let daemon = Daemon::start(&data);
    let base = format!("http://{}", daemon.addr);
    let wang = add_person(&daemon, "王芳", "clerk");
    set_password(&daemon, &wang, PASSWORD);
    let (status, body) = daemon.post(
        &format!("/api/v1/people/{wang}/pin"),
        &json!({ "pin": "4321" }).to_string(),
    );
    assert_eq!(status, 204, "{body}");
    let (status, locations) = daemon.get("/api/v1/locations?limit=500");
    assert_eq!(status, 200, "{locations}");
    let shelf_y = json_of(&locations)
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|location| location["path"] == "1号库房/05列/A面/3节/5层")
        })
        .and_then(|location| location["barcode"].as_str())
        .expect("shelf Y")
        .to_owned();

    let browser = Browser::start();
    browser.navigate(&format!("{base}/"));
    browser.wait_text("#login", "姓名和密码");
    browser.wait_script(
        "focus in the name field",
        ACTIVE_ID,
        "",
        &json!("signin-name"),
    );
    let shots = screenshots();
    browser.screenshot(&shots.join("signin-form-1280.png"));
    browser.resize(390, 844);
    browser.wait_text("#login", "工牌和 PIN");
    browser.screenshot(&shots.join("signin-form-390.png"));
    let too_wide = browser
        .script(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            "",
        )
        .expect("script");
    assert_eq!(
        too_wide,
        json!(false),
        "the sign-in page is wider than a phone"
    );
    browser.click("#signin-tab-badge").expect("badge tab");
    browser.wait_script(
        "focus in the badge field",
        ACTIVE_ID,
        "",
        &json!("signin-badge"),
    );
    browser.screenshot(&shots.join("signin-form-390-badge.png"));
    browser.resize(1280, 1000);

    // By name and password: the header says who, with the role, in Chinese and English.
    browser.click("#signin-tab-password").expect("password tab");
    browser.send_keys("#signin-name", "王芳").expect("name");
    browser
        .send_keys("#signin-password", PASSWORD)
        .expect("password");
    browser.click("#signin-button").expect("sign in");
    browser.wait_text("#whoami", "王芳（档案员）");
    browser.screenshot(&shots.join("signin-signed-in-1280.png"));
    browser.click("#lang").expect("English");
    browser.wait_text("#whoami", "王芳 (clerk)");
    browser.click("#lang").expect("Chinese");

    // A scan typed into the counter page is recorded under the signed-in person.
    browser.wait_script("focus in the scan field", ACTIVE_ID, "", &json!("scan"));
    browser
        .send_keys("#scan", &format!("K0000000023{ENTER}"))
        .expect("SHELVE card");
    browser.wait_text("#mode", "上架");
    browser
        .send_keys("#scan", &format!("{shelf_y}{ENTER}"))
        .expect("shelf");
    browser.wait_text("#result-message", "5层");
    browser
        .send_keys("#scan", &format!("{box_barcode}{ENTER}"))
        .expect("box");
    let mut moved = Value::Null;
    wait_until("the move to be recorded", || {
        let (status, body) = daemon.get(&format!("/api/v1/items/{box_barcode}/history"));
        assert_eq!(status, 200, "{body}");
        moved = json_of(&body)
            .as_array()
            .and_then(|events| {
                events
                    .iter()
                    .rev()
                    .find(|event| event["kind"] == "Moved")
                    .cloned()
            })
            .unwrap_or_default();
        !moved.is_null()
    });
    assert_eq!(moved["actor"], format!("{wang}@counter"), "{moved}");

    // The session cookie works from outside the browser too, until signing out ends it
    // on the station.
    let cookie = browser
        .session_call("GET", "/cookie/station_session", None)
        .expect("the session cookie");
    assert_eq!(cookie["httpOnly"], json!(true), "{cookie}");
    assert_eq!(cookie["sameSite"], json!("Strict"), "{cookie}");
    let pair = format!(
        "station_session={}",
        cookie["value"].as_str().expect("a value")
    );
    let (status, _, body) = request(
        daemon.addr,
        "GET",
        "/api/v1/session",
        &[("Cookie", &pair)],
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["person"]["name"], "王芳");
    browser.click("#logout").expect("sign out");
    browser.wait_text("#login", "姓名和密码");
    assert_eq!(browser.text("#whoami").expect("whoami"), "");
    let (status, _, body) = request(
        daemon.addr,
        "GET",
        "/api/v1/session",
        &[("Cookie", &pair)],
        None,
    );
    assert_eq!(status, 401, "the old cookie still works: {body}");
    assert_eq!(json_of(&body)["error"], "auth.session_ended");

    // By badge (scanned: the code and Enter) and PIN.
    browser.click("#signin-tab-badge").expect("badge tab");
    browser
        .send_keys("#signin-badge", &format!("{wang}{ENTER}"))
        .expect("scan the badge");
    browser.wait_script(
        "focus moved to the PIN",
        ACTIVE_ID,
        "",
        &json!("signin-pin"),
    );
    browser.send_keys("#signin-pin", "4321").expect("PIN");
    browser.click("#signin-button").expect("sign in");
    browser.wait_text("#whoami", "王芳（档案员）");
    // A reload keeps the sign-in.
    browser.navigate(&format!("{base}/supervisor"));
    browser.wait_text("#whoami", "王芳（档案员）");

    // The header's change-password form: the new password signs in from then on.
    browser.click("#password-open").expect("open the form");
    browser.send_keys("#password-old", PASSWORD).expect("old");
    browser
        .send_keys("#password-new", "换一个新密码2027")
        .expect("new");
    browser
        .send_keys("#password-again", "换一个新密码2027")
        .expect("again");
    browser.click("#password-save").expect("save");
    browser.wait_text("#password-message", "密码已修改");
    let (status, _, _) = sign_in(
        daemon.addr,
        &json!({"name": "王芳", "password": "换一个新密码2027"}),
    );
    assert_eq!(status, 200);
    assert_eq!(browser.console_errors(), Vec::<String>::new());

    // When the station ends the sign-in (here: signed out from elsewhere), the page's next
    // call is refused and the sign-in form is shown again.
    let cookie = browser
        .session_call("GET", "/cookie/station_session", None)
        .expect("the session cookie");
    let pair = format!(
        "station_session={}",
        cookie["value"].as_str().expect("a value")
    );
    let (_, _, body) = request(
        daemon.addr,
        "GET",
        "/api/v1/session",
        &[("Cookie", &pair)],
        None,
    );
    let csrf = json_of(&body)["csrf"].as_str().expect("csrf").to_owned();
    let (status, _, _) = request(
        daemon.addr,
        "POST",
        "/api/v1/session/end",
        &[("Cookie", &pair), ("X-CSRF-Token", &csrf)],
        None,
    );
    assert_eq!(status, 204);
    browser.send_keys("#search-text", "A-1").expect("type");
    browser.click("#search-button").expect("search");
    browser.wait_text("#login", "姓名和密码");
    browser.wait_text("#login-error", "登录已失效");
}

#[test]
fn the_session_cookie_csrf_leaving_and_ambiguous_names_over_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = Daemon::start(&dir.path().join("data"));
    let admin = json_of(&daemon.get("/api/v1/session").1);
    let admin_badge = admin["person"]["barcode"]
        .as_str()
        .expect("badge")
        .to_owned();
    assert_eq!(
        admin["csrf"],
        Value::Null,
        "a bearer token needs no CSRF value"
    );
    set_password(&daemon, &admin_badge, PASSWORD);

    // The policy, with its codes; nothing is set by a refused one.
    let wang = add_person(&daemon, "王芳", "clerk");
    for (password, code) in [
        ("short", "password.too_short"),
        ("12345678901", "password.only_digits"),
        ("王芳", "password.too_short"),
    ] {
        let (status, body) = daemon.post(
            &format!("/api/v1/people/{wang}/password"),
            &json!({ "password": password }).to_string(),
        );
        assert_eq!(
            (status, json_of(&body)["error"].clone()),
            (422, json!(code)),
            "{body}"
        );
    }
    let (status, body) = daemon.post(
        &format!("/api/v1/people/{wang}/pin"),
        &json!({ "pin": "12a4" }).to_string(),
    );
    assert_eq!(
        (status, json_of(&body)["error"].clone()),
        (422, json!("pin.invalid"))
    );
    let (status, _, answer) = sign_in(daemon.addr, &json!({"name": "王芳", "password": "short"}));
    assert_eq!(
        (status, answer["error"].clone()),
        (401, json!("auth.sign_in_failed"))
    );
    set_password(&daemon, &wang, PASSWORD);

    // Signing in as the administrator: the raw Set-Cookie has every attribute.
    let (status, set_cookie, answer) = sign_in(
        daemon.addr,
        &json!({"name": "管理员", "password": PASSWORD}),
    );
    assert_eq!(status, 200, "{answer}");
    let set_cookie = set_cookie.expect("a Set-Cookie header");
    let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).collect();
    assert!(
        attributes[0].starts_with("station_session="),
        "{set_cookie}"
    );
    assert_eq!(
        attributes[0].len(),
        "station_session=".len() + 64,
        "256 bits in hex"
    );
    for wanted in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(
            attributes.contains(&wanted),
            "{wanted} missing: {set_cookie}"
        );
    }
    assert!(
        !attributes.contains(&"Secure"),
        "no TLS, no Secure: {set_cookie}"
    );
    assert_eq!(answer["person"]["barcode"], admin_badge.as_str());
    assert_eq!(answer["person"]["role"], "admin");
    let csrf = answer["csrf"].as_str().expect("csrf").to_owned();
    let cookie = cookie_pair(&set_cookie);
    let (status, _, body) = request(
        daemon.addr,
        "GET",
        "/api/v1/session",
        &[("Cookie", &cookie)],
        None,
    );
    assert_eq!((status, json_of(&body)["csrf"].clone()), (200, json!(csrf)));

    // A change with the cookie but without the CSRF header is refused and changes nothing.
    let people_before = daemon.get("/api/v1/people?limit=500").1;
    let add = json!({"name": "钱七", "role": "clerk"});
    let (status, _, body) = request(
        daemon.addr,
        "POST",
        "/api/v1/people/add",
        &[("Cookie", &cookie)],
        Some(&add),
    );
    assert_eq!(
        (status, json_of(&body)["error"].clone()),
        (403, json!("auth.csrf_missing")),
        "{body}"
    );
    let (status, _, body) = request(
        daemon.addr,
        "POST",
        "/api/v1/people/add",
        &[
            ("Cookie", &cookie),
            ("X-CSRF-Token", "0".repeat(64).as_str()),
        ],
        Some(&add),
    );
    assert_eq!(
        (status, json_of(&body)["error"].clone()),
        (403, json!("auth.csrf_missing"))
    );
    assert_eq!(
        daemon.get("/api/v1/people?limit=500").1,
        people_before,
        "nothing changed"
    );
    // With it, the change is made and recorded under the signed-in person, from the web.
    let (status, _, body) = request(
        daemon.addr,
        "POST",
        "/api/v1/people/add",
        &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
        Some(&add),
    );
    assert_eq!(status, 201, "{body}");
    let qian = json_of(&body)["barcode"]
        .as_str()
        .expect("badge")
        .to_owned();
    let history = json_of(&daemon.get(&format!("/api/v1/items/{qian}/history")).1);
    assert_eq!(
        history[0]["actor"],
        format!("{admin_badge}@web"),
        "{history}"
    );
    // A bearer token needs no CSRF header.
    assert_eq!(daemon.post("/api/v1/devices/pdf/disable", "").0, 200);

    // The live stream opens with the cookie alone (as EventSource sends it).
    let mut stream = TcpStream::connect(daemon.addr).expect("connect");
    write!(
        stream,
        "GET /api/v1/live HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n"
    )
    .expect("send");
    let mut status_line = String::new();
    BufReader::new(stream)
        .read_line(&mut status_line)
        .expect("status");
    assert!(status_line.contains(" 200 "), "{status_line}");

    // Changing one's own password needs the current one.
    let (status, wang_cookie, answer) =
        sign_in(daemon.addr, &json!({"name": "王芳", "password": PASSWORD}));
    assert_eq!(status, 200, "{answer}");
    let wang_cookie = cookie_pair(&wang_cookie.expect("cookie"));
    let wang_csrf = answer["csrf"].as_str().expect("csrf").to_owned();
    let headers = [
        ("Cookie", wang_cookie.as_str()),
        ("X-CSRF-Token", wang_csrf.as_str()),
    ];
    let wrong = json!({"old": "not the password", "new": "a-new-password-2026"});
    let (status, _, body) = request(
        daemon.addr,
        "POST",
        "/api/v1/session/password",
        &headers,
        Some(&wrong),
    );
    assert_eq!(
        (status, json_of(&body)["error"].clone()),
        (422, json!("auth.wrong_password"))
    );
    let right = json!({"old": PASSWORD, "new": "a-new-password-2026"});
    let (status, _, body) = request(
        daemon.addr,
        "POST",
        "/api/v1/session/password",
        &headers,
        Some(&right),
    );
    assert_eq!(status, 204, "{body}");
    let events = json_of(&daemon.get(&format!("/api/v1/items/{wang}/history")).1);
    let text = events.to_string();
    assert!(text.contains(&format!("{wang}@web")), "{text}");
    assert!(
        !text.contains("a-new-password") && !text.contains(PASSWORD) && !text.contains("argon2"),
        "{text}"
    );

    // A name two live people share: told to use the badge.
    let li_1 = add_person(&daemon, "李明", "clerk");
    let li_2 = add_person(&daemon, "李明", "supervisor");
    set_password(&daemon, &li_1, PASSWORD);
    set_password(&daemon, &li_2, PASSWORD);
    let (status, _, answer) = sign_in(daemon.addr, &json!({"name": "李明", "password": PASSWORD}));
    assert_eq!(
        (status, answer["error"].clone()),
        (422, json!("auth.name_ambiguous"))
    );

    // A new role counts at the next request of a page already signed in.
    let (status, body) = daemon.post(
        &format!("/api/v1/people/{wang}/edit"),
        r#"{"role": "supervisor"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = request(
        daemon.addr,
        "GET",
        "/api/v1/session",
        &[("Cookie", &wang_cookie)],
        None,
    );
    assert_eq!(
        (status, json_of(&body)["person"]["role"].clone()),
        (200, json!("supervisor"))
    );

    // Someone marked as left is signed out at once and cannot sign in again.
    let (status, body) = daemon.post(
        &format!("/api/v1/people/{wang}/edit"),
        r#"{"active": false}"#,
    );
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = request(
        daemon.addr,
        "GET",
        "/api/v1/session",
        &[("Cookie", &wang_cookie)],
        None,
    );
    assert_eq!(
        (status, json_of(&body)["error"].clone()),
        (401, json!("auth.session_ended"))
    );
    let (status, cookie, answer) = sign_in(
        daemon.addr,
        &json!({"name": "王芳", "password": "a-new-password-2026"}),
    );
    assert_eq!(
        (status, answer["error"].clone()),
        (401, json!("auth.sign_in_failed"))
    );
    assert!(cookie.is_none());
    // Signing out ends the administrator's session on the station.
    let (status, _, _) = request(
        daemon.addr,
        "POST",
        "/api/v1/session/end",
        &[
            ("Cookie", &cookie_pair(&set_cookie)),
            ("X-CSRF-Token", &csrf),
        ],
        None,
    );
    assert_eq!(status, 204);
    let (status, _, _) = request(
        daemon.addr,
        "GET",
        "/api/v1/session",
        &[("Cookie", &cookie_pair(&set_cookie))],
        None,
    );
    assert_eq!(status, 401);
}

#[test]
fn the_sixth_wrong_password_is_refused_with_429_and_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = Daemon::start(&dir.path().join("data"));
    let zhao = add_person(&daemon, "赵六", "clerk");
    set_password(&daemon, &zhao, PASSWORD);
    for attempt in 1..=5 {
        let (status, _, answer) = sign_in(
            daemon.addr,
            &json!({"name": "赵六", "password": "wrong password"}),
        );
        assert_eq!(
            (status, answer["error"].clone()),
            (401, json!("auth.sign_in_failed")),
            "attempt {attempt}"
        );
    }
    let (status, head, body) = request(
        daemon.addr,
        "POST",
        "/api/v1/session",
        &[],
        Some(&json!({"name": "赵六", "password": "wrong password"})),
    );
    assert_eq!(
        (status, json_of(&body)["error"].clone()),
        (429, json!("auth.throttled")),
        "{body}"
    );
    let retry: u64 = header(&head, "retry-after")
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in {head:?}"));
    assert!((1..=900).contains(&retry), "{retry}");
    // Even the right password waits; so does a name nobody has, from the same address, and
    // the answer is the same as for a real name.
    let (status, _, _) = sign_in(daemon.addr, &json!({"name": "赵六", "password": PASSWORD}));
    assert_eq!(status, 429);
    let (status, _, answer) = sign_in(
        daemon.addr,
        &json!({"name": "无此人", "password": PASSWORD}),
    );
    assert_eq!(
        (status, answer["error"].clone()),
        (429, json!("auth.throttled"))
    );
    // The failures are recorded against the person (coalesced, as refusals are).
    wait_until("the refused sign-ins recorded", || {
        let history = daemon.get(&format!("/api/v1/items/{zhao}/history")).1;
        history.contains("AccessDenied") && history.contains("sign in (wrong password or PIN)")
    });
}

/// A `station serve` whose standard output the test reads itself; killed when dropped.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_first_start_prints_an_initial_password_that_signs_the_first_administrator_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Serving(
        station(&dir.path().join("data"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("serve starts"),
    );
    let mut reader = BufReader::new(child.0.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        reader.read_line(&mut line).expect("a start line");
        lines.push(line.trim().to_owned());
    }
    let addr: SocketAddr = lines[0]
        .rsplit("http://")
        .next()
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no address in {lines:?}"));
    assert!(
        lines[1]
            .rsplit(' ')
            .next()
            .is_some_and(|token| token.starts_with("ast_")),
        "{lines:?}"
    );
    let third = &lines[2];
    assert!(
        third.contains(&format!("http://{addr}/")),
        "the sign-in URL: {third}"
    );
    assert!(third.contains("管理员"), "{third}");
    let password = third.rsplit(' ').next().expect("the password");
    assert_eq!(password.chars().count(), 16, "{third}");
    let (status, _, answer) = sign_in(addr, &json!({"name": "管理员", "password": password}));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["person"]["role"], "admin");
}

#[test]
fn station_init_gives_the_named_administrator_an_initial_password_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let output = run(station(&data).args(["init", "--name", "李管理"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = common::stdout(&output);
    let line = text
        .lines()
        .find(|line| line.contains("李管理") && line.contains("http://"))
        .unwrap_or_else(|| panic!("no password line in {text}"));
    let password = line.rsplit(' ').next().expect("the password").to_owned();
    let daemon = Daemon::start(&data);
    let (status, _, answer) = sign_in(
        daemon.addr,
        &json!({"name": "李管理", "password": password}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["person"]["role"], "admin");
}

/// `station person password|pin WHO [--stdin]` through `station_bin`, with `input` on
/// standard input: the output.
fn reset_from_the_cli(data: &Path, args: &[&str], input: &str) -> std::process::Output {
    let mut child = station(data)
        .args(["--lang", "en", "person"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run station");
    child
        .stdin
        .take()
        .expect("its stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("its output")
}

/// The English text of `code` before its first placeholder.
fn english_head(code: station::message::Code) -> &'static str {
    let english = code.templates().1;
    english.split('{').next().unwrap_or(english)
}

/// An administrator who lost the web's way in resets a password and a PIN from the command
/// line, with the station stopped and while it runs (through the control socket): a
/// generated password is printed once on stdout, one read from stdin is checked against the
/// policy (refused with its code, nothing changed), and both sign in afterwards. The
/// secret never reaches the daemon's log.
#[test]
fn passwords_and_pins_are_reset_from_the_command_line_with_the_station_running_or_not() {
    use station::message::Code;
    for running in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let log = dir.path().join("daemon.log");
        let output = run(station(&data).args(["init", "--name", "李管理"]));
        assert!(output.status.success(), "{}", stderr(&output));
        let added = run(station(&data).args(["person", "add", "--name", "王芳"]));
        assert!(added.status.success(), "{}", stderr(&added));
        let badge = common::stdout(&added)
            .split('\t')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let serve = || {
            Daemon::start_logging_to(
                station(&data)
                    .env("RUST_LOG", "info")
                    .args(["serve", "--listen", "127.0.0.1:0"]),
                &log,
            )
        };
        let daemon = running.then(serve);

        let generated = reset_from_the_cli(&data, &["password", "王芳"], "");
        assert!(generated.status.success(), "{}", stderr(&generated));
        let password = common::stdout(&generated).trim().to_owned();
        assert_eq!(
            password.chars().count(),
            16,
            "one password alone: {password:?}"
        );
        assert!(
            stderr(&generated).contains(english_head(Code::CliPasswordSet)),
            "{}",
            stderr(&generated)
        );
        let short = reset_from_the_cli(&data, &["password", &badge, "--stdin"], "short\n");
        assert!(!short.status.success());
        assert!(
            stderr(&short).contains(english_head(Code::PasswordTooShort)),
            "{}",
            stderr(&short)
        );
        assert!(common::stdout(&short).is_empty());
        let pin = reset_from_the_cli(&data, &["pin", "王芳", "--stdin"], "4321\n");
        assert!(pin.status.success(), "{}", stderr(&pin));
        assert!(common::stdout(&pin).is_empty(), "a PIN given is not echoed");

        let daemon = daemon.unwrap_or_else(serve);
        let (status, _, _) = sign_in(
            daemon.addr,
            &json!({ "name": "王芳", "password": password }),
        );
        assert_eq!(
            status, 200,
            "the generated password signs in (running: {running})"
        );
        let (status, _, _) = sign_in(daemon.addr, &json!({ "name": "王芳", "password": "short" }));
        assert_eq!(status, 401, "the refused password was not stored");
        let (status, _, _) = sign_in(daemon.addr, &json!({ "badge": badge, "pin": "4321" }));
        assert_eq!(
            status, 200,
            "the PIN from stdin signs in (running: {running})"
        );
        assert!(daemon.terminate().success());
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            !logged.contains(&password) && !logged.contains("4321"),
            "{logged}"
        );
        if running {
            assert!(
                logged.contains("<hidden>"),
                "the command was logged without it: {logged}"
            );
        }
    }
}
