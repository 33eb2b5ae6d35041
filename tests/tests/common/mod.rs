//! Shared helpers of the end-to-end tests: run the real `station` binary and daemon, and talk
//! to it over real loopback HTTP.

#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The `station` binary under test (the same entry point as `station/src/main.rs`).
pub fn station_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_station-e2e"))
}

/// A `station` command with `--data DIR` set and logging quiet.
pub fn station(data: &Path) -> Command {
    let mut command = Command::new(station_bin());
    command.arg("--data").arg(data).env("RUST_LOG", "warn");
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

/// A running `station serve` on an OS-assigned loopback port.
pub struct Daemon {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Daemon {
    /// Starts `station serve` on `data` and waits for its "listening" line.
    pub fn start(data: &Path) -> Daemon {
        Daemon::start_with(station(data).args(["serve", "--listen", "127.0.0.1:0"]))
    }

    /// Starts a prepared serve command and waits for its "listening" line.
    pub fn start_with(command: &mut Command) -> Daemon {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("station serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Daemon { child, addr }
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
        self.child.wait().expect("daemon exits")
    }

    /// A GET request over a real TCP connection: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        http_get(self.addr, path)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 GET over a real TCP connection: (status, body).
pub fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    exchange(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
}

/// A minimal HTTP/1.1 POST of a JSON body over a real TCP connection: (status, body).
pub fn http_post(addr: SocketAddr, path: &str, json: &str) -> (u16, String) {
    exchange(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{json}",
            json.len()
        ),
    )
}

/// Sends one request on a fresh connection and reads the whole answer: (status, body).
fn exchange(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the station");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("send request");
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
