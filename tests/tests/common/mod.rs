//! Shared helpers of the end-to-end tests: run the real `station` binary and daemon, and talk
//! to it over real loopback HTTP.

#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub mod browser;
pub mod cups;
pub mod prerequisite;
#[allow(unused_imports)] // each test file uses a different part
pub use prerequisite::prerequisite;

/// The `station` binary under test (the same entry point as `station/src/main.rs`).
pub fn station_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_station-e2e"))
}

/// A `station` command with `--data DIR` set and logging quiet.
pub fn station(data: &Path) -> Command {
    let mut command = Command::new(station_bin());
    // Business dates in UTC unless a test says otherwise (the host's zone is the default).
    command
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "warn")
        .env("TZ", "UTC");
    command
}

/// Runs a command to completion and returns its output.
pub fn run(command: &mut Command) -> Output {
    match command.output() {
        Ok(output) => output,
        Err(error) => panic!("could not run {command:?}: {error}"),
    }
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Imports two boxes on one shelf of 1号库房 into `data` (the ledger is written in `dir`),
/// so that lists and lookups have something to answer.
pub fn import_sample(data: &Path, dir: &Path) {
    import_ledger(
        data,
        dir,
        "档案号,题名,客户名称,位置\n\
         A-1,借款合同,鸿达贸易,1号库房/05列/A面/3节/4层\n\
         A-2,抵押资料,华南电力,1号库房/05列/A面/3节/4层\n",
    );
}

/// Writes `csv` (a ledger with its header) to `dir/ledger.csv` and imports it into `data`
/// (a new data directory, or one with boxes already) with the real `station import`;
/// the import must succeed.
pub fn import_ledger(data: &Path, dir: &Path, csv: &str) {
    let ledger = dir.join("ledger.csv");
    std::fs::write(&ledger, csv).expect("write the ledger");
    let output = run(station(data).arg("import").arg(&ledger));
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
}

/// Opens `GET /api/v1/live?{query}` with the daemon's token, checks the 200 and reads past
/// the headers: what follows on the reader is the stream.
pub fn open_live_stream(daemon: &Daemon, query: &str) -> BufReader<TcpStream> {
    let mut stream = TcpStream::connect(daemon.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let separator = if query.is_empty() { "" } else { "&" };
    write!(
        stream,
        "GET /api/v1/live?{query}{separator}token={} HTTP/1.1\r\nHost: x\r\n\r\n",
        daemon.token
    )
    .expect("request");
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).expect("status line");
    assert!(status.contains(" 200 "), "{status}");
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok() && line != "\r\n" {
        line.clear();
    }
    reader
}

/// Reads server-sent-event lines from `reader` until they contain `needle` or the stream
/// ends; answers everything read.
pub fn read_stream_until(reader: &mut impl BufRead, needle: &str) -> String {
    let mut seen = String::new();
    while !seen.contains(needle) {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        seen.push_str(&line);
    }
    seen
}

/// A small tmpfs mounted (as root) at `at`, unmounted when dropped: a disk that fills up.
pub struct TinyDisk(PathBuf);

impl TinyDisk {
    /// Mounts a tmpfs of `size` (as `mount -o size=` reads it, e.g. `4m`) at `at`, which is
    /// created. Needs root: check with [`prerequisite`] and `prerequisite::is_root` first.
    pub fn mount(at: &Path, size: &str) -> TinyDisk {
        std::fs::create_dir_all(at).expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .expect("mount runs");
        assert!(mounted.success(), "mounting a tmpfs as root failed");
        TinyDisk(at.to_path_buf())
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A running `station serve` on an OS-assigned loopback port.
pub struct Daemon {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The first administrator's token, when the daemon created one at its first start.
    pub token: String,
    /// What the daemon printed after those two lines, read as it comes (a daemon whose
    /// standard output nobody reads would warn that it could not write).
    later: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Daemon {
    /// Starts `station serve` on `data` and waits for its "listening" line.
    pub fn start(data: &Path) -> Daemon {
        Daemon::start_with(station(data).args(["serve", "--listen", "127.0.0.1:0"]))
    }

    /// Starts a prepared serve command and waits for its "listening" line.
    pub fn start_with(command: &mut Command) -> Daemon {
        Daemon::spawn(command.stderr(Stdio::inherit()))
    }

    /// Like [`start_with`](Self::start_with), with the daemon's log (its standard error)
    /// written to the file `log`.
    pub fn start_logging_to(command: &mut Command, log: &Path) -> Daemon {
        let file = std::fs::File::create(log).expect("create the log file");
        Daemon::spawn(command.stderr(file))
    }

    fn spawn(command: &mut Command) -> Daemon {
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .expect("station serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        let mut second = String::new();
        reader.read_line(&mut second).expect("read the token line");
        let token = second
            .trim()
            .rsplit(' ')
            .next()
            .filter(|token| token.starts_with("ast_"))
            .unwrap_or_default()
            .to_owned();
        let later = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = later.clone();
        std::thread::spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { break };
                if let Ok(mut lines) = sink.lock() {
                    lines.push(line);
                }
            }
        });
        Daemon {
            child,
            addr,
            token,
            later,
        }
    }

    /// The lines the daemon printed after its address and token lines, so far.
    pub fn later_lines(&self) -> Vec<String> {
        self.later
            .lock()
            .map(|lines| lines.clone())
            .unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.send_sigterm();
        self.child.wait().expect("daemon exits")
    }

    fn send_sigterm(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits at most `bound` for the exit status (`None`: still running;
    /// it is killed when dropped).
    pub fn terminate_within(&mut self, bound: Duration) -> Option<std::process::ExitStatus> {
        self.send_sigterm();
        let deadline = std::time::Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the daemon") {
                return Some(status);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the daemon to exit (after a signal sent some other way).
    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().expect("daemon exits")
    }

    /// A GET request with the daemon's administrator token: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        http_get_as(self.addr, path, &self.token)
    }

    /// A JSON POST with the daemon's administrator token: (status, body).
    pub fn post(&self, path: &str, json: &str) -> (u16, String) {
        http_post_as(self.addr, path, json, &self.token)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 GET without a token over a real TCP connection: (status, body).
pub fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    exchange(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
}

/// A GET with `Authorization: Bearer <token>`: (status, body).
pub fn http_get_as(addr: SocketAddr, path: &str, token: &str) -> (u16, String) {
    exchange(
        addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
             Connection: close\r\n\r\n"
        ),
    )
}

/// A JSON POST with `Authorization: Bearer <token>`: (status, body).
pub fn http_post_as(addr: SocketAddr, path: &str, json: &str, token: &str) -> (u16, String) {
    exchange(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
            json.len()
        ),
    )
}

/// A POST of raw bytes (`application/octet-stream`, e.g. a file to import) with
/// `Authorization: Bearer <token>`: (status, body).
pub fn http_post_bytes_as(
    addr: SocketAddr,
    path: &str,
    bytes: &[u8],
    token: &str,
) -> (u16, String) {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        bytes.len()
    )
    .into_bytes();
    request.extend_from_slice(bytes);
    exchange_bytes(addr, &request)
}

/// `body` as JSON (the test fails, showing the body, when it is not).
pub fn parse_json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

/// GET `path` with `token`, which must answer 200 with JSON.
pub fn get_json(daemon: &Daemon, path: &str, token: &str) -> serde_json::Value {
    let (status, body) = http_get_as(daemon.addr, path, token);
    assert_eq!(status, 200, "{path}: {body}");
    parse_json(&body)
}

/// POST `body` to `path` with `token`: the status and the JSON answer.
pub fn post_json(
    daemon: &Daemon,
    path: &str,
    body: serde_json::Value,
    token: &str,
) -> (u16, serde_json::Value) {
    let (status, answer) = http_post_as(daemon.addr, path, &body.to_string(), token);
    (status, parse_json(&answer))
}

/// A scan of `code` at workstation `counter` through `POST /api/v1/scans`, which must
/// answer 200: the scan result.
pub fn scan_at_counter(daemon: &Daemon, token: &str, code: &str) -> serde_json::Value {
    let (status, result) = post_json(
        daemon,
        "/api/v1/scans",
        serde_json::json!({ "workstation": "counter", "data": code }),
        token,
    );
    assert_eq!(status, 200, "{result}");
    result
}

/// Fetches `path` from `daemon` with curl as `token`'s owner into the file `to`; answers
/// the HTTP status as curl reports it (a PDF to check with pdftotext, say).
pub fn download(daemon: &Daemon, token: &str, path: &str, to: &Path) -> String {
    let output = run(Command::new("curl")
        .args(["-s", "-o"])
        .arg(to)
        .args(["-w", "%{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {token}"))
        .arg(format!("http://{}{path}", daemon.addr)));
    stdout(&output)
}

/// Polls until `ready` holds; the deadline (60 s) only guards against a hang.
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Device `name` as `GET /api/v1/devices` shows it (null when it is not listed).
pub fn device_state(addr: SocketAddr, token: &str, name: &str) -> serde_json::Value {
    let (status, body) = http_get_as(addr, "/api/v1/devices", token);
    assert_eq!(status, 200, "{body}");
    let devices: serde_json::Value = serde_json::from_str(&body).expect("devices JSON");
    devices
        .as_array()
        .into_iter()
        .flatten()
        .find(|device| device["name"] == name)
        .cloned()
        .unwrap_or_default()
}

/// A new person with `role` and a token of theirs, made with the real CLI: (badge, token).
pub fn person_with_token(data: &Path, name: &str, role: &str) -> (String, String) {
    let added = run(station(data).args(["person", "add", "--name", name, "--role", role]));
    assert!(added.status.success(), "{}", stderr(&added));
    let badge = stdout(&added)
        .split('\t')
        .next()
        .unwrap_or_default()
        .to_owned();
    let token = run(station(data).args(["token", "create", "--person", &badge]));
    assert!(token.status.success(), "{}", stderr(&token));
    (badge, stdout(&token).trim().to_owned())
}

/// Sends one request on a fresh connection and reads the whole answer: (status, body).
fn exchange(addr: SocketAddr, request: &str) -> (u16, String) {
    exchange_bytes(addr, request.as_bytes())
}

/// [`exchange`] for a request that is not text.
fn exchange_bytes(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the station");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(request).expect("send request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, dechunk(&body))
}

/// Undoes chunked transfer encoding if the body uses it.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    loop {
        let Some((size, after)) = rest.split_once("\r\n") else {
            return body.to_owned();
        };
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            return body.to_owned();
        };
        if size == 0 {
            return out;
        }
        let Some(chunk) = after.get(..size) else {
            return body.to_owned();
        };
        out.push_str(chunk);
        rest = after.get(size + 2..).unwrap_or("");
    }
}

/// A binary greymap (`P5`, as `pdftoppm -gray` writes it): (width, height, pixels).
pub fn read_pgm(path: &Path) -> (usize, usize, Vec<u8>) {
    let bytes = std::fs::read(path).expect("read a page");
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        let start = at;
        while bytes.get(at).is_some_and(|b| !b.is_ascii_whitespace()) {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5", "{}: not a binary greymap", path.display());
    let number = |i: usize| -> usize { fields[i].parse().expect("a number") };
    let (width, height) = (number(1), number(2));
    let pixels = bytes[at + 1..].to_vec();
    assert_eq!(pixels.len(), width * height, "{}: whole", path.display());
    (width, height, pixels)
}
