//! A small WebDriver client for the page tests: chromedriver and one headless Chromium
//! session, driven over chromedriver's HTTP JSON protocol on a plain TCP socket.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`,
//! `/usr/bin/chromedriver`; `CHROMIUM` and `CHROMEDRIVER` name others).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long any one thing may take to appear in the page (a loaded 2-core machine starts
/// Chromium slowly; the checks poll and return as soon as it is there).
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The W3C WebDriver element reference key.
pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The password [`Browser::sign_in`] gives the daemon's first administrator.
pub const BROWSER_PASSWORD: &str = "browser-sign-in-2026";

/// The WebDriver key code for Enter.
pub const ENTER: &str = "\u{E007}";

/// chromedriver and one browser session; both end when dropped, also on a panic.
pub struct Browser {
    driver: Child,
    port: u16,
    session: Option<String>,
    profile: tempfile::TempDir,
}

pub fn program(variable: &str, default: &str) -> PathBuf {
    std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a headless Chromium session
    /// with a fresh profile.
    pub fn start() -> Browser {
        let chromedriver = program("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = program("CHROMIUM", "/usr/bin/chromium");
        for (path, package) in [(&chromedriver, "chromium-driver"), (&chromium, "chromium")] {
            assert!(
                path.exists(),
                "{} is missing: install the Debian package {package}",
                path.display()
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("a free port");
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("could not start {}: {error}", chromedriver.display()));
        let profile = tempfile::tempdir().expect("profile dir");
        let mut browser = Browser {
            driver,
            port,
            session: None,
            profile,
        };
        let started = Instant::now();
        loop {
            let ready = browser
                .call("GET", "/status", None)
                .ok()
                .and_then(|value| value["ready"].as_bool())
                .unwrap_or(false);
            if ready {
                break;
            }
            if let Ok(Some(status)) = browser.driver.try_wait() {
                panic!("chromedriver exited at start: {status}");
            }
            assert!(started.elapsed() < DEADLINE, "chromedriver never got ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile_arg = format!("--user-data-dir={}", browser.profile.path().display());
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:loggingPrefs": { "browser": "ALL" },
                    "goog:chromeOptions": {
                        "binary": chromium.to_string_lossy(),
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--window-size=1280,1000",
                            profile_arg,
                        ],
                    },
                },
            },
        });
        let session = browser
            .call("POST", "/session", Some(capabilities))
            .unwrap_or_else(|error| panic!("Chromium did not start: {error}"));
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {session}"))
            .to_owned();
        browser.session = Some(id);
        browser
    }

    /// One WebDriver command: the answer's `value`, or the error it names.
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let body = body.map(|body| body.to_string()).unwrap_or_default();
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .map_err(|error| format!("connect to chromedriver: {error}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .map_err(|error| error.to_string())?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
             Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|error| format!("send to chromedriver: {error}"))?;
        let (head, body) = read_answer(&mut stream)
            .map_err(|error| format!("{method} {path}: reading chromedriver's answer: {error}"))?;
        let (head, body) = (head.as_str(), body.as_str());
        let answer: Value = serde_json::from_str(body)
            .map_err(|error| format!("{method} {path}: not JSON ({error}): {head} {body}"))?;
        let value = answer.get("value").cloned().unwrap_or(Value::Null);
        if head.starts_with("HTTP/1.1 200") {
            Ok(value)
        } else {
            Err(format!(
                "{method} {path}: {} {}",
                value["error"].as_str().unwrap_or("error"),
                value["message"].as_str().unwrap_or_default()
            ))
        }
    }

    pub fn session_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let session = self.session.as_deref().ok_or("no session")?;
        self.call(method, &format!("/session/{session}{path}"), body)
    }

    pub fn navigate(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({ "url": url })))
            .unwrap_or_else(|error| panic!("navigate to {url}: {error}"));
    }

    /// The first element matching a CSS selector.
    pub fn find(&self, css: &str) -> Result<String, String> {
        let value = self.session_call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        )?;
        value[ELEMENT]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no element reference in {value}"))
    }

    /// An element's rendered (visible) text.
    pub fn text(&self, css: &str) -> Result<String, String> {
        let element = self.find(css)?;
        let value = self.session_call("GET", &format!("/element/{element}/text"), None)?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    pub fn click(&self, css: &str) -> Result<(), String> {
        let element = self.find(css)?;
        self.session_call(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .map(drop)
    }

    pub fn send_keys(&self, css: &str, text: &str) -> Result<(), String> {
        let element = self.find(css)?;
        self.session_call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .map(drop)
    }

    /// Runs a script in the page (`arguments[0]` is `argument`) and returns its value.
    pub fn script(&self, script: &str, argument: &str) -> Result<Value, String> {
        self.session_call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [argument] })),
        )
    }

    /// Polls `check` until it gives a value, up to the deadline; the panic names `what`
    /// and the last thing seen.
    pub fn wait_for<T>(
        &self,
        what: &str,
        mut check: impl FnMut(&Browser) -> Result<T, String>,
    ) -> T {
        let started = Instant::now();
        loop {
            match check(self) {
                Ok(value) => return value,
                Err(last) if started.elapsed() > DEADLINE => {
                    let console = self
                        .session_call("POST", "/se/log", Some(json!({ "type": "browser" })))
                        .unwrap_or_else(Value::String);
                    panic!(
                        "waited {DEADLINE:?} for {what}; last seen: {last}\n\
                         browser console: {console:#}"
                    )
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Fails the test, naming `what` and the elements that reach past the right edge,
    /// when the page is wider than `width` (something scrolls sideways).
    pub fn assert_fits(&self, width: u64, what: &str) {
        const TOO_WIDE: &str = "return Array.from(document.querySelectorAll('body *'))\
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)\
            .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));";
        let scroll = self
            .script("return document.documentElement.scrollWidth;", "")
            .expect("scrollWidth");
        if scroll.as_u64().is_none_or(|scroll| scroll > width) {
            let wide = self.script(TOO_WIDE, "").unwrap_or_default();
            panic!("{what}: the page is {scroll} px wide on a {width} px screen: {wide}");
        }
    }

    /// The browser console's errors since the last call (script errors, refused loads,
    /// Content-Security-Policy violations).
    pub fn console_errors(&self) -> Vec<String> {
        let entries = self
            .session_call("POST", "/se/log", Some(json!({ "type": "browser" })))
            .unwrap_or_else(|error| panic!("reading the browser console: {error}"));
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Waits until the element's visible text contains `needle`.
    pub fn wait_text(&self, css: &str, needle: &str) -> String {
        self.wait_for(&format!("{css} to show {needle:?}"), |browser| {
            let text = browser.text(css)?;
            if text.contains(needle) {
                Ok(text)
            } else {
                Err(format!("{text:?}"))
            }
        })
    }

    /// Signs in on the page at `url` (any page of the station) as the daemon's first
    /// administrator, and waits until the page is signed in: their password is set
    /// through the API with the daemon's token, then typed into the sign-in form (name and
    /// password) as a person would.
    pub fn sign_in(&self, url: &str, daemon: &super::Daemon) {
        self.sign_in_as(url, daemon.addr, &daemon.token);
    }

    /// Signs in on the page at `url` as the owner of `token` (an administrator of the
    /// station at `addr`), as [`sign_in`](Self::sign_in) does: for a daemon restarted on
    /// the same data, which prints no token of its own.
    pub fn sign_in_as(&self, url: &str, addr: std::net::SocketAddr, token: &str) {
        let (status, body) = super::http_get_as(addr, "/api/v1/session", token);
        assert_eq!(status, 200, "who owns the daemon's token: {body}");
        let me: Value = serde_json::from_str(&body).expect("session JSON");
        let barcode = me["person"]["barcode"]
            .as_str()
            .expect("a badge")
            .to_owned();
        let name = me["person"]["name"].as_str().expect("a name").to_owned();
        self.sign_in_person(url, addr, token, (&barcode, &name));
    }

    /// Signs in on the page at `url` by name and password as the person `(badge, name)`,
    /// whose password an administrator (the owner of `admin_token`) sets first, and waits
    /// until the page shows them signed in.
    pub fn sign_in_person(
        &self,
        url: &str,
        addr: std::net::SocketAddr,
        admin_token: &str,
        (barcode, name): (&str, &str),
    ) {
        let (status, body) = super::http_post_as(
            addr,
            &format!("/api/v1/people/{barcode}/password"),
            &json!({ "password": BROWSER_PASSWORD }).to_string(),
            admin_token,
        );
        assert_eq!(status, 204, "setting {name}'s password: {body}");
        self.navigate(url);
        self.wait_for("the sign-in form", |browser| {
            browser.find("#signin-name")?;
            let shown = browser.script(
                "return !document.getElementById('login').hidden \
                 || !document.getElementById('session').hidden;",
                "",
            )?;
            if shown == json!(true) {
                Ok(())
            } else {
                Err("neither the form nor the session shown".to_owned())
            }
        });
        let signed_in = self
            .script("return !document.getElementById('session').hidden;", "")
            .expect("script");
        if signed_in != json!(true) {
            self.click("#signin-tab-password")
                .expect("the password tab");
            self.send_keys("#signin-name", name).expect("type the name");
            self.send_keys("#signin-password", BROWSER_PASSWORD)
                .expect("type the password");
            self.click("#signin-button").expect("sign in");
        }
        self.wait_text("#whoami", name);
    }

    /// Whether both Chromium and chromedriver are installed (else the test says it is not
    /// run, and fails under CI, through `prerequisite`).
    pub fn available() -> bool {
        program("CHROMIUM", "/usr/bin/chromium").is_file()
            && program("CHROMEDRIVER", "/usr/bin/chromedriver").is_file()
    }

    /// Sets the window's inner size in CSS pixels (390 wide for a phone).
    pub fn resize(&self, width: u32, height: u32) {
        self.session_call(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .unwrap_or_else(|error| panic!("resize to {width}x{height}: {error}"));
    }

    /// Saves a PNG screenshot of the page to `path` (for a person to look at).
    pub fn screenshot(&self, path: &std::path::Path) {
        let value = self
            .session_call("GET", "/screenshot", None)
            .unwrap_or_else(|error| panic!("screenshot: {error}"));
        let bytes = base64_decode(value.as_str().unwrap_or_default())
            .unwrap_or_else(|| panic!("screenshot is not base64"));
        std::fs::write(path, bytes)
            .unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
    }

    /// Waits until a script's value is `expected`.
    pub fn wait_script(&self, what: &str, script: &str, argument: &str, expected: &Value) {
        self.wait_for(what, |browser| {
            let value = browser.script(script, argument)?;
            if value == *expected {
                Ok(())
            } else {
                Err(value.to_string())
            }
        });
    }
}

/// Reads one HTTP answer by its `Content-Length` (chromedriver keeps the connection open
/// whatever the request asked): (head, body).
fn read_answer(stream: &mut TcpStream) -> std::io::Result<(String, String)> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        if let Some(end) = received.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..end]).into_owned();
            let length = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            let mut body = received[end + 4..].to_vec();
            while body.len() < length {
                let n = stream.read(&mut buffer)?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&buffer[..n]);
            }
            return Ok((head, String::from_utf8_lossy(&body).into_owned()));
        }
        let n = stream.read(&mut buffer)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "connection closed after {:?}",
                    String::from_utf8_lossy(&received)
                ),
            ));
        }
        received.extend_from_slice(&buffer[..n]);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.session.is_some() {
            let _ = self.session_call("DELETE", "", None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `rgb(r, g, b)` or `rgba(…)` → (r, g, b).
pub fn parse_rgb(css: &str) -> Option<(u8, u8, u8)> {
    let inner = css.split_once('(')?.1.split_once(')')?.0;
    let mut parts = inner.split(',').map(|part| part.trim().parse::<u8>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

pub const ACTIVE_ID: &str = "return document.activeElement ? document.activeElement.id : null;";
pub const VALUE_OF: &str = "return document.querySelector(arguments[0]).value;";
pub const BACKGROUND_OF: &str =
    "return getComputedStyle(document.querySelector(arguments[0])).backgroundColor;";

/// Decodes standard base64 (WebDriver's screenshots); `None` on anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes().filter(|byte| !byte.is_ascii_whitespace()) {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}
