//! Built-in HTTPS, end to end: `station tls self-signed` writes a certificate, the daemon
//! serves it (its start message shows the https:// address and the fingerprint computed
//! here from the certificate file, without openssl), a real rustls client that trusts only
//! that certificate talks to it, plain HTTP to the HTTPS port is answered in plain HTTP,
//! the connection limit and the header timeout hold for TLS connections, a bad pair refuses
//! the start, and plain HTTP beyond loopback is warned about.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use common::{http_get, run, station, stderr, stdout};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use sha2::{Digest, Sha256};
use station::message::Code;

/// How long a test waits for a line the daemon should print.
const LINE_WAIT: Duration = Duration::from_secs(60);

/// The certificate's SHA-256 fingerprint, computed here from the PEM file.
fn fingerprint_of(cert: &Path) -> String {
    let der = CertificateDer::from_pem_file(cert).expect("the certificate file is PEM");
    Sha256::digest(der.as_ref())
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Runs `station tls self-signed` into `data`; answers its standard output.
fn self_signed(data: &Path, extra: &[&str]) -> String {
    let output = run(station(data)
        .args(["tls", "self-signed", "--host", "localhost"])
        .args(extra));
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

/// The `[server.tls]` lines `self-signed` printed, from their header to the end.
fn printed_config(out: &str) -> String {
    let at = out.find("[server.tls]").expect("the station.toml lines");
    out[at..].to_owned()
}

/// A `station serve` whose standard output is read line by line as it comes.
struct Served {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line read so far.
    seen: Vec<String>,
}

impl Served {
    fn start(data: &Path, config: &Path, listen: &str) -> Served {
        let mut child = station(data)
            .arg("--config")
            .arg(config)
            .args(["serve", "--listen", listen])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("station serve starts");
        let (send, lines) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Served {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a line that contains `needle`.
    fn line_with(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(LINE_WAIT) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {needle:?}; printed: {:?}", self.seen),
            }
        }
    }

    /// The address after `scheme://` on the listening line.
    fn addr(&mut self, scheme: &str) -> SocketAddr {
        let line = self.line_with("station listening on ");
        line.rsplit(&format!("{scheme}://"))
            .next()
            .and_then(|addr| addr.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {scheme} address in {line:?}"))
    }

    /// Stops the daemon and answers everything it printed, standard output (from the
    /// moment it was started) and its log.
    fn stop(mut self) -> (String, String) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let mut log = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut log);
        }
        let _ = self.child.wait();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (self.seen.join("\n"), log)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A rustls client that trusts `cert` alone.
fn client_trusting(cert: &Path) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(cert).expect("PEM"))
        .expect("the certificate is a usable root");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    Arc::new(config)
}

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A TLS connection to `addr` as `localhost`, handshake done.
fn tls_connect(addr: SocketAddr, client: &Arc<rustls::ClientConfig>) -> Tls {
    let tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(LINE_WAIT)).expect("timeout");
    let name = ServerName::try_from("localhost").expect("name");
    let connection = rustls::ClientConnection::new(client.clone(), name).expect("client");
    let mut tls = rustls::StreamOwned::new(connection, tcp);
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .expect("the TLS handshake completes");
    }
    tls
}

/// One GET over `tls` (kept open): (status, headers, body).
fn tls_get(tls: &mut Tls, path: &str, token: Option<&str>) -> (u16, String, String) {
    let auth = token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    tls.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{auth}\r\n").as_bytes())
        .expect("request");
    tls.flush().expect("flush");
    let mut reader = BufReader::new(tls);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("a header line");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().expect("length");
        }
        head.push_str(&line);
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).expect("body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, head, String::from_utf8_lossy(&body).into_owned())
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("not JSON ({error}): {body}"))
}

/// Whether the station closed `stream`: a read ends (EOF or reset) rather than timing out.
fn closed_by_station(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(error) => {
                return !matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                )
            }
        }
    }
}

/// A data directory with a generated certificate and a station.toml (in `dir`) that
/// serves it, made of the lines `self-signed` printed plus `extra`.
fn https_station(dir: &Path, extra: &str) -> (PathBuf, PathBuf, PathBuf, String) {
    let data = dir.join("data");
    let out = self_signed(&data, &[]);
    let cert = data.join("tls").join("cert.pem");
    let config = dir.join("station.toml");
    std::fs::write(&config, format!("{extra}\n{}", printed_config(&out))).expect("config");
    (data, config, cert, out)
}

#[test]
fn a_self_signed_certificate_is_served_over_https_with_its_fingerprint_in_the_start_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, config, cert, out) = https_station(dir.path(), "");
    let fingerprint = fingerprint_of(&cert);
    // `self-signed` prints the fingerprint of the file it wrote.
    let shown = station::message!(TlsFingerprint, fingerprint = fingerprint.as_str());
    assert!(out.contains(&shown.to_string()), "{out}");
    let mut daemon = Served::start(&data, &config, "127.0.0.1:0");
    let addr = daemon.addr("https");
    let token_line = daemon.line_with("ast_");
    let token = token_line.rsplit(' ').next().expect("token").to_owned();
    // The start message shows the fingerprint computed here from the certificate file.
    daemon.line_with(&fingerprint);

    let client = client_trusting(&cert);
    let mut tls = tls_connect(addr, &client);
    let (status, _, body) = tls_get(&mut tls, "/healthz", None);
    assert_eq!(status, 200, "{body}");
    // The same TLS connection serves an authenticated API call too.
    let (status, _, body) = tls_get(&mut tls, "/api/v1/people", Some(&token));
    assert_eq!(status, 200, "{body}");

    // A client that does not trust this certificate gets no answer.
    let other = dir.path().join("other");
    self_signed(&other, &[]);
    let stranger = client_trusting(&other.join("tls").join("cert.pem"));
    let tcp = TcpStream::connect(addr).expect("connect");
    let name = ServerName::try_from("localhost").expect("name");
    let mut refused = rustls::StreamOwned::new(
        rustls::ClientConnection::new(stranger, name).expect("client"),
        tcp,
    );
    let mut failed = None;
    while refused.conn.is_handshaking() {
        if let Err(error) = refused.conn.complete_io(&mut refused.sock) {
            failed = Some(error);
            break;
        }
    }
    assert!(failed.is_some(), "an untrusted certificate is refused");

    // Plain HTTP to the HTTPS port fails cleanly: a plain answer that says to use https.
    let (status, body) = http_get(addr, "/healthz");
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        json(&body)["error"],
        Code::ServerHttpsOnly.as_str(),
        "{body}"
    );

    // `tls self-signed` works while the daemon runs (it does not open the store); the
    // daemon serves the certificate it started with until it is restarted.
    self_signed(&data, &["--force"]);
    assert_ne!(fingerprint_of(&cert), fingerprint);
    let mut again = tls_connect(addr, &client);
    assert_eq!(tls_get(&mut again, "/healthz", None).0, 200);

    let (printed, log) = daemon.stop();
    // No warning about plain HTTP: the station serves HTTPS.
    assert!(
        !log.contains(Code::ServerPlainHttpBeyondLoopback.as_str()),
        "{log}"
    );
    assert!(printed.contains(&shown.to_string()), "{printed}");
}

#[test]
fn relative_certificate_paths_in_station_toml_are_found_beside_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    self_signed(&data, &[]);
    // The config file lives in the data directory's parent: paths relative to it.
    let config = dir.path().join("station.toml");
    std::fs::write(
        &config,
        "[server.tls]\ncert = \"data/tls/cert.pem\"\nkey = \"data/tls/key.pem\"\n",
    )
    .expect("config");
    // Started from another directory: the paths are not taken against it.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let mut command = station(&data);
    command
        .current_dir(elsewhere.path())
        .arg("--config")
        .arg(&config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("a line");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.starts_with("station listening on https://"),
        "{line:?}"
    );
}

#[test]
fn a_missing_or_mismatched_certificate_or_key_refuses_the_start_with_its_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    self_signed(&data, &[]);
    let other = dir.path().join("other");
    self_signed(&other, &[]);
    let cert = data.join("tls").join("cert.pem");
    let key = data.join("tls").join("key.pem");
    let wrong_key = other.join("tls").join("key.pem");
    let missing = dir.path().join("missing.pem");
    let cases = [
        (&missing, &key, Code::TlsFileUnreadable),
        (&cert, &missing, Code::TlsFileUnreadable),
        (&cert, &wrong_key, Code::TlsKeyMismatch),
        (&key, &cert, Code::TlsNotPem),
    ];
    for (cert, key, code) in cases {
        let config = dir.path().join("station.toml");
        std::fs::write(
            &config,
            format!(
                "[server.tls]\ncert = {:?}\nkey = {:?}\n",
                cert.display().to_string(),
                key.display().to_string()
            ),
        )
        .expect("config");
        let output = run(station(&data).arg("--config").arg(&config).args([
            "serve",
            "--listen",
            "127.0.0.1:0",
        ]));
        assert!(!output.status.success(), "{code:?}: started");
        let log = stderr(&output);
        assert!(log.contains(code.as_str()), "{code:?}: {log}");
        // Refused before it listened or opened the store: nothing on standard output,
        // no data directory.
        assert_eq!(stdout(&output), "", "{code:?}");
        let opened: Vec<_> = std::fs::read_dir(&data)
            .expect("data")
            .map(|entry| entry.expect("entry").file_name())
            .filter(|name| name != "tls")
            .collect();
        assert!(opened.is_empty(), "{code:?}: {opened:?}");
    }
}

#[test]
fn the_connection_limit_and_the_header_timeout_hold_for_tls_connections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, config, cert, _) = https_station(
        dir.path(),
        "[server]\nmax_connections = 2\nheader_timeout_secs = 1\nidle_timeout_secs = 120\n",
    );
    let mut daemon = Served::start(&data, &config, "127.0.0.1:0");
    let addr = daemon.addr("https");
    let client = client_trusting(&cert);

    // A TLS handshake that never finishes (half a record, then silence) is cut.
    let mut stalled = TcpStream::connect(addr).expect("connect");
    stalled.set_read_timeout(Some(LINE_WAIT)).expect("timeout");
    stalled
        .write_all(&[0x16, 0x03, 0x01])
        .expect("half a record");
    assert!(
        closed_by_station(&mut stalled),
        "an unfinished handshake is closed after the header timeout"
    );
    // So is a finished handshake whose request never comes.
    let mut silent = tls_connect(addr, &client);
    let mut buf = [0u8; 16];
    let read = silent.read(&mut buf);
    assert!(
        !matches!(&read, Err(error) if error.kind() == std::io::ErrorKind::WouldBlock
            || error.kind() == std::io::ErrorKind::TimedOut),
        "a TLS connection without a request is closed: {read:?}"
    );

    // Two keep-alive TLS connections are the limit (once the closed ones' slots are given
    // back): a third is told so, over TLS.
    let admit = || {
        let mut admitted = None;
        common::wait_until("a TLS connection admitted", || {
            let mut tls = tls_connect(addr, &client);
            let ok = tls_get(&mut tls, "/healthz", None).0 == 200;
            admitted = ok.then_some(tls);
            ok
        });
        admitted.expect("admitted")
    };
    let first = admit();
    let second = admit();
    let mut third = tls_connect(addr, &client);
    let (status, _, body) = tls_get(&mut third, "/healthz", None);
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        json(&body)["error"],
        Code::ServerTooManyConnections.as_str(),
        "{body}"
    );
    drop((first, second));
    common::wait_until("a free TLS connection slot", || {
        let mut again = tls_connect(addr, &client);
        tls_get(&mut again, "/healthz", None).0 == 200
    });
    daemon.stop();
}

#[test]
fn plain_http_beyond_loopback_is_warned_about_and_not_on_loopback_or_behind_a_proxy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let plain = dir.path().join("plain.toml");
    std::fs::write(&plain, "").expect("config");
    let proxied = dir.path().join("proxied.toml");
    std::fs::write(&proxied, "[server]\nbehind_https_proxy = true\n").expect("config");
    let code = Code::ServerPlainHttpBeyondLoopback.as_str();

    let mut anywhere = Served::start(&data, &plain, "0.0.0.0:0");
    let addr = anywhere.addr("http");
    let warning = station::message!(ServerPlainHttpBeyondLoopback, addr = addr.to_string());
    anywhere.line_with(&warning.text.en);
    let (printed, log) = anywhere.stop();
    assert!(
        log.contains(code),
        "the log names the warning's code: {log}"
    );
    assert!(printed.contains(&warning.to_string()), "{printed}");

    for (config, listen) in [(&plain, "127.0.0.1:0"), (&proxied, "0.0.0.0:0")] {
        let mut quiet = Served::start(&data, config, listen);
        quiet.addr("http");
        let (printed, log) = quiet.stop();
        assert!(!log.contains(code), "{listen}: {log}");
        assert!(!printed.contains(&warning.text.en), "{listen}: {printed}");
    }
}

/// hardware.md's section "HTTPS for the other PCs".
fn https_section() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../hardware.md"))
        .expect("hardware.md");
    let start = doc
        .find("## HTTPS for the other PCs")
        .expect("the HTTPS section");
    let rest = &doc[start..];
    let end = rest.find("\n## Installing").unwrap_or(rest.len());
    rest[..end].to_owned()
}

/// The blocks of `section` fenced as ````lang`.
fn blocks(section: &str, lang: &str) -> Vec<String> {
    section
        .split(&format!("```{lang}\n"))
        .skip(1)
        .filter_map(|rest| rest.split("\n```").next())
        .map(str::to_owned)
        .collect()
}

/// The service's data directory, as the examples name it.
const SERVICE_DATA: &str = "/var/lib/archive-station";

/// A free loopback port (bound, read and released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A running nginx, stopped (SIGTERM, so its workers end too) when dropped.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

#[test]
fn hardware_md_self_signed_example_serves_https_as_written() {
    let section = https_section();
    let command = blocks(&section, "sh")
        .into_iter()
        .find(|block| block.contains("tls self-signed"))
        .expect("the self-signed command");
    // `station --config … tls self-signed --host …`: the same arguments from `tls` on, into
    // a temporary data directory instead of the service's.
    let args: Vec<&str> = command
        .split_whitespace()
        .skip_while(|word| *word != "tls")
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let output = run(station(&data).args(&args));
    assert!(output.status.success(), "{}", stderr(&output));
    let toml = blocks(&section, "toml");
    let served = toml.first().expect("the [server.tls] example");
    let ours = served.replace(SERVICE_DATA, &data.display().to_string());
    // The lines it printed are the example's, with this data directory.
    let printed = printed_config(&stdout(&output));
    assert!(ours.contains(printed.trim()), "{ours}\n---\n{printed}");

    let config = dir.path().join("station.toml");
    std::fs::write(&config, &ours).expect("config");
    // Its listen address (0.0.0.0:8443) is replaced by a free loopback port only.
    let mut daemon = Served::start(&data, &config, "127.0.0.1:0");
    let addr = daemon.addr("https");
    let cert = data.join("tls").join("cert.pem");
    daemon.line_with(&fingerprint_of(&cert));
    let client = client_trusting(&cert);
    let tcp = TcpStream::connect(addr).expect("connect");
    let name = ServerName::try_from("archive.office.lan").expect("name");
    let mut tls = rustls::StreamOwned::new(
        rustls::ClientConnection::new(client, name).expect("client"),
        tcp,
    );
    let (status, _, body) = tls_get(&mut tls, "/healthz", None);
    assert_eq!(status, 200, "{body}");
    daemon.stop();
}

#[test]
fn hardware_md_nginx_example_proxies_https_to_a_station_behind_it() {
    if !common::prerequisite(
        "hardware.md's nginx example",
        "nginx (Debian package nginx)",
        common::prerequisite::on_path("/usr/sbin/nginx"),
    ) {
        return;
    }
    let section = https_section();
    let toml = blocks(&section, "toml");
    let proxied = toml
        .iter()
        .find(|block| block.contains("behind_https_proxy = true"))
        .expect("the behind_https_proxy example");
    let site = blocks(&section, "nginx")
        .into_iter()
        .next()
        .expect("the nginx example");

    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let certs = dir.path().join("certs");
    self_signed(&certs, &[]);
    let cert = certs.join("tls").join("cert.pem");
    let key = certs.join("tls").join("key.pem");
    let config = dir.path().join("station.toml");
    std::fs::write(&config, proxied).expect("config");
    // Its listen address (127.0.0.1:8080) is replaced by a free loopback port only.
    let mut daemon = Served::start(&data, &config, "127.0.0.1:0");
    let station_addr = daemon.addr("http");
    let token_line = daemon.line_with("ast_");
    let token = token_line.rsplit(' ').next().expect("token").to_owned();

    // The site as written, with this test's port, certificate and station.
    let port = free_port();
    let site = site
        .replace("listen 443 ssl", &format!("listen 127.0.0.1:{port} ssl"))
        .replace("/etc/ssl/archive/cert.pem", &cert.display().to_string())
        .replace("/etc/ssl/archive/key.pem", &key.display().to_string())
        .replace("127.0.0.1:8080", &station_addr.to_string());
    let prefix = dir.path().join("nginx");
    std::fs::create_dir_all(&prefix).expect("prefix");
    let conf = prefix.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "pid {pid};\nevents {{}}\nhttp {{\naccess_log off;\n{site}\n}}\n",
            pid = prefix.join("nginx.pid").display()
        ),
    )
    .expect("nginx.conf");
    let error_log = prefix.join("error.log");
    let nginx = Nginx(
        Command::new("/usr/sbin/nginx")
            .arg("-p")
            .arg(&prefix)
            .arg("-e")
            .arg(&error_log)
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts"),
    );
    let client = client_trusting(&cert);
    let proxy: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let mut answer = None;
    common::wait_until("nginx serving HTTPS", || {
        let Ok(tcp) = TcpStream::connect(proxy) else {
            return false;
        };
        let name = ServerName::try_from("localhost").expect("name");
        let mut tls = rustls::StreamOwned::new(
            rustls::ClientConnection::new(client.clone(), name).expect("client"),
            tcp,
        );
        answer = Some(tls_get(&mut tls, "/api/v1/people", Some(&token)));
        true
    });
    let (status, head, body) = answer.expect("an answer");
    assert_eq!(
        status,
        200,
        "{head}{body}\nnginx: {:?}",
        std::fs::read_to_string(&error_log)
    );
    assert!(
        head.to_ascii_lowercase().contains("server: nginx"),
        "{head}"
    );
    assert!(body.contains("管理员"), "{body}");
    drop(nginx);
    let (_, log) = daemon.stop();
    assert!(
        !log.contains(Code::ServerPlainHttpBeyondLoopback.as_str()),
        "{log}"
    );
}
