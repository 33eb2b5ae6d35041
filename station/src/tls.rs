//! Built-in HTTPS: `[server.tls]` in station.toml names a PEM certificate and key, which are
//! read and checked when the station starts (a missing or unreadable file, a file without
//! PEM in it, or a key that is not the certificate's own refuses the start, saying which);
//! the HTTP server's own accept loop then speaks TLS on every connection
//! (`server::connections`). Also what the start message says about it (the https://
//! address, the certificate's SHA-256 fingerprint, a warning when the station serves plain
//! HTTP beyond this machine), and `station tls self-signed`, which writes a self-signed
//! certificate and key into the data directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::config::{Config, ServerConfig, TlsConfig};
use crate::message::{display_by_message, Message};
use crate::{files, message};

/// The directory inside the data directory that `station tls self-signed` writes into.
pub const TLS_DIR: &str = "tls";

/// Why the certificate and key cannot be served with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError(Message);

impl TlsError {
    /// What to tell the person starting the station.
    pub fn message(&self) -> Message {
        self.0.clone()
    }
}

display_by_message!(TlsError);

/// How the station is reached: plain HTTP, or HTTPS with a checked certificate.
#[derive(Clone)]
pub struct Https {
    /// The TLS settings every connection is served with, when `[server.tls]` is set.
    pub server: Option<Arc<rustls::ServerConfig>>,
    /// The served certificate's SHA-256 fingerprint ([`fingerprint`]).
    pub fingerprint: Option<String>,
    /// `[server] behind_https_proxy`.
    pub behind_https_proxy: bool,
}

impl Https {
    /// Reads and checks `[server.tls]`, if it is set.
    pub fn load(config: &ServerConfig) -> Result<Https, TlsError> {
        let (server, fingerprint) = match &config.tls {
            Some(tls) => {
                let (server, fingerprint) = server_config(tls)?;
                (Some(server), Some(fingerprint))
            }
            None => (None, None),
        };
        Ok(Https {
            server,
            fingerprint,
            behind_https_proxy: config.behind_https_proxy,
        })
    }

    /// Whether the station's cookies are marked `Secure`: people reach it over HTTPS,
    /// its own or a reverse proxy's.
    pub fn secure_cookies(&self) -> bool {
        self.server.is_some() || self.behind_https_proxy
    }

    /// The start message's first line, which scripts and tests read the address from.
    pub fn listening_line(&self, local: SocketAddr) -> String {
        let scheme = if self.server.is_some() {
            "https"
        } else {
            "http"
        };
        format!("station listening on {scheme}://{local}")
    }

    /// The rest of the start message about HTTPS: the certificate's fingerprint (which
    /// other PCs compare before they trust it), or the warning that passwords and sessions
    /// cross the network unencrypted. The warning is logged too.
    pub fn notices(&self, local: SocketAddr) -> Vec<Message> {
        if let Some(fingerprint) = &self.fingerprint {
            tracing::info!(fingerprint = %fingerprint, "serving HTTPS");
            return vec![message!(TlsFingerprint, fingerprint = fingerprint.as_str())];
        }
        if plain_beyond_loopback(local, self) {
            let warning = message!(ServerPlainHttpBeyondLoopback, addr = local.to_string());
            tracing::warn!(code = warning.code.as_str(), "{warning}");
            return vec![warning];
        }
        Vec::new()
    }
}

/// Logs a refused `[server.tls]` with its code (the command line prints its text).
pub fn log_refusal(error: &TlsError) {
    tracing::error!(code = error.0.code.as_str(), "{error}");
}

/// `station tls …`.
#[derive(Debug, clap::Subcommand)]
pub enum TlsAction {
    /// Write a self-signed certificate and key into DATA/tls, print its fingerprint and
    /// the lines for station.toml.
    SelfSigned {
        /// A host name or IP address the other PCs use to reach the station (repeat for
        /// more); by default this machine's name, localhost and the loopback addresses.
        #[arg(long = "host")]
        hosts: Vec<String>,
        /// Replace an existing certificate and key.
        #[arg(long)]
        force: bool,
    },
}

/// Runs `station tls …`.
pub fn command(config: &Config, action: TlsAction) -> anyhow::Result<ExitCode> {
    match action {
        TlsAction::SelfSigned { hosts, force } => self_signed(config, hosts, force),
    }
}

/// Whether the station serves plain HTTP to other machines that no HTTPS proxy fronts.
fn plain_beyond_loopback(local: SocketAddr, https: &Https) -> bool {
    https.server.is_none() && !https.behind_https_proxy && !local.ip().is_loopback()
}

/// The SHA-256 of a certificate's DER bytes as browsers and `openssl x509 -fingerprint
/// -sha256` show it: upper-case hex pairs joined by colons.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The crypto the station's TLS uses (ring).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Reads `tls`'s files and builds the TLS settings, with the certificate's fingerprint.
fn server_config(tls: &TlsConfig) -> Result<(Arc<rustls::ServerConfig>, String), TlsError> {
    const CERT: (&str, &str) = ("证书", "certificate");
    const KEY: (&str, &str) = ("私钥", "key");
    let read = |path: &Path, what: (&'static str, &'static str)| {
        std::fs::read(path).map_err(|error| {
            TlsError(message!(
                TlsFileUnreadable,
                what = what,
                path = shown(path),
                reason = error
            ))
        })
    };
    let not_pem = |path: &Path, what: (&'static str, &'static str), reason: String| {
        TlsError(message!(
            TlsNotPem,
            path = shown(path),
            what = what,
            reason = reason
        ))
    };
    let cert_pem = read(&tls.cert, CERT)?;
    let key_pem = read(&tls.key, KEY)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| not_pem(&tls.cert, CERT, error.to_string()))?;
    let Some(first) = chain.first() else {
        return Err(not_pem(
            &tls.cert,
            CERT,
            "no CERTIFICATE section".to_owned(),
        ));
    };
    let fingerprint = fingerprint(first);
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|error| not_pem(&tls.key, KEY, error.to_string()))?;
    let unusable = |reason: String| {
        TlsError(message!(
            TlsUnusable,
            cert = shown(&tls.cert),
            key = shown(&tls.key),
            reason = reason
        ))
    };
    let mut server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| unusable(error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| match error {
            rustls::Error::InconsistentKeys(_) => TlsError(message!(
                TlsKeyMismatch,
                key = shown(&tls.key),
                cert = shown(&tls.cert)
            )),
            other => unusable(other.to_string()),
        })?;
    // The station speaks HTTP/1.1 only.
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(server), fingerprint))
}

/// The host names and addresses a self-signed certificate is made for when none are
/// given: this machine's name, `localhost` and the loopback addresses, and the configured
/// listen address when it is a particular one.
fn default_hosts(config: &Config) -> Vec<String> {
    let mut hosts = Vec::new();
    if let Some(name) = host_name() {
        hosts.push(name);
    }
    hosts.extend(["localhost", "127.0.0.1", "::1"].map(str::to_owned));
    let ip = config.listen.ip();
    if !ip.is_unspecified() && !ip.is_loopback() {
        hosts.push(ip.to_string());
    }
    hosts
}

/// This machine's host name, if it has a usable one.
fn host_name() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `buffer.len()` bytes into the buffer we own.
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if status != 0 {
        return None;
    }
    let end = buffer.iter().position(|&byte| byte == 0)?;
    let name = std::str::from_utf8(buffer.get(..end)?).ok()?.trim();
    (!name.is_empty() && name != "localhost" && rcgen::string::Ia5String::try_from(name).is_ok())
        .then(|| name.to_owned())
}

/// A TOML string for `path`, quoted and escaped.
fn toml_string(path: &Path) -> String {
    toml::Value::String(path.display().to_string()).to_string()
}

/// `station tls self-signed`: writes `DATA/tls/cert.pem` and `DATA/tls/key.pem`
/// (owner-only) for `hosts` (or [`default_hosts`]), and prints where they are, the
/// certificate's fingerprint and the lines for station.toml. Existing files are replaced
/// only with `force`.
pub fn self_signed(config: &Config, hosts: Vec<String>, force: bool) -> anyhow::Result<ExitCode> {
    let hosts = if hosts.is_empty() {
        default_hosts(config)
    } else {
        hosts
    };
    let dir = config.data_dir.join(TLS_DIR);
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    if !force {
        for path in [&cert_path, &key_path] {
            if path.exists() {
                anyhow::bail!(message!(TlsFilesExist, path = shown(path)));
            }
        }
    }
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    for host in &hosts {
        let san = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => rcgen::SanType::IpAddress(ip),
            Err(_) => {
                // A name a browser can ask for: rustls' own check of DNS names.
                let refused = |reason: String| {
                    anyhow::anyhow!(message!(TlsBadHost, host = host.as_str(), reason = reason))
                };
                rustls::pki_types::DnsName::try_from(host.as_str())
                    .map_err(|error| refused(error.to_string()))?;
                rcgen::SanType::DnsName(
                    rcgen::string::Ia5String::try_from(host.as_str())
                        .map_err(|error| refused(error.to_string()))?,
                )
            }
        };
        params.subject_alt_names.push(san);
    }
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::OrganizationName, "archive station");
    name.push(rcgen::DnType::CommonName, config.station_name.as_str());
    params.distinguished_name = name;
    let today = chrono::Utc::now().date_naive();
    // Valid from yesterday (a PC whose clock is a little behind still accepts it) for ten
    // years: trusting a self-signed certificate is done by hand, once.
    let from = today - chrono::Days::new(1);
    params.not_before = rcgen::date_time_ymd(
        chrono::Datelike::year(&from),
        chrono::Datelike::month(&from) as u8,
        chrono::Datelike::day(&from) as u8,
    );
    params.not_after = rcgen::date_time_ymd(
        chrono::Datelike::year(&from) + 10,
        chrono::Datelike::month(&from) as u8,
        chrono::Datelike::day(&from).min(28) as u8,
    );
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    files::create_private_dir(&dir)?;
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    write_private(&cert_path, cert.pem().as_bytes())?;
    let cert_path = std::path::absolute(&cert_path).unwrap_or(cert_path);
    let key_path = std::path::absolute(&key_path).unwrap_or(key_path);
    println!(
        "{}",
        message!(
            TlsSelfSignedWritten,
            cert = shown(&cert_path),
            key = shown(&key_path),
            hosts = hosts.join(", ")
        )
    );
    println!(
        "{}",
        message!(TlsFingerprint, fingerprint = fingerprint(cert.der()))
    );
    println!("{}", message!(TlsConfigLines));
    println!();
    println!("{}", config_lines(&cert_path, &key_path));
    Ok(ExitCode::SUCCESS)
}

/// The station.toml lines that serve HTTPS with `cert` and `key`.
pub fn config_lines(cert: &Path, key: &Path) -> String {
    format!(
        "[server.tls]\ncert = {}\nkey = {}",
        toml_string(cert),
        toml_string(key)
    )
}

/// Writes `contents` to `path` owner-only (0600), replacing what was there.
fn write_private(path: &PathBuf, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let _ = std::fs::remove_file(path);
    let mut file = files::private_file()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(dir: &Path) -> TlsConfig {
        let config = Config {
            data_dir: dir.to_path_buf(),
            ..Config::default()
        };
        self_signed(&config, vec!["localhost".to_owned()], false).expect("generated");
        TlsConfig {
            cert: dir.join(TLS_DIR).join("cert.pem"),
            key: dir.join(TLS_DIR).join("key.pem"),
        }
    }

    fn refusal(tls: &TlsConfig) -> crate::message::Code {
        match server_config(tls) {
            Ok(_) => panic!("{tls:?} was accepted"),
            Err(error) => error.message().code,
        }
    }

    #[test]
    fn a_generated_pair_is_served_and_its_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().expect("tempdir");
        let tls = generated(temp.path());
        let (_, printed) = server_config(&tls).expect("the generated pair is accepted");
        let der = CertificateDer::from_pem_file(&tls.cert).expect("PEM");
        assert_eq!(printed, fingerprint(&der));
        for file in [&tls.cert, &tls.key] {
            let mode = std::fs::metadata(file).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", file.display());
        }
        let before = std::fs::read(&tls.cert).expect("cert");
        let config = Config {
            data_dir: temp.path().to_path_buf(),
            ..Config::default()
        };
        let again = self_signed(&config, Vec::new(), false).expect_err("refused");
        assert_eq!(
            again.downcast_ref::<Message>().map(|message| message.code),
            Some(crate::message::Code::TlsFilesExist),
            "{again}"
        );
        assert_eq!(std::fs::read(&tls.cert).expect("kept"), before);
        self_signed(&config, Vec::new(), true).expect("replaced with --force");
        let replaced = std::fs::read(&tls.cert).expect("new");
        assert_ne!(replaced, before);
        for bad in ["bad name", "a..b", ""] {
            let refused = self_signed(&config, vec![bad.to_owned()], true).expect_err(bad);
            assert_eq!(
                refused
                    .downcast_ref::<Message>()
                    .map(|message| message.code),
                Some(crate::message::Code::TlsBadHost),
                "{bad}: {refused}"
            );
        }
        // Refused before anything was written.
        assert_eq!(std::fs::read(&tls.cert).expect("kept"), replaced);
    }

    #[test]
    fn missing_unreadable_non_pem_and_mismatched_files_are_refused_by_code() {
        use crate::message::Code;
        let temp = tempfile::tempdir().expect("tempdir");
        let one = generated(&temp.path().join("one"));
        let two = generated(&temp.path().join("two"));
        let missing = TlsConfig {
            cert: temp.path().join("nope.pem"),
            key: one.key.clone(),
        };
        assert_eq!(refusal(&missing), Code::TlsFileUnreadable);
        let text = temp.path().join("text.pem");
        std::fs::write(&text, "not a certificate\n").expect("write");
        let not_pem = TlsConfig {
            cert: text.clone(),
            key: one.key.clone(),
        };
        assert_eq!(refusal(&not_pem), Code::TlsNotPem);
        let no_key = TlsConfig {
            cert: one.cert.clone(),
            key: text,
        };
        assert_eq!(refusal(&no_key), Code::TlsNotPem);
        let mismatched = TlsConfig {
            cert: one.cert.clone(),
            key: two.key.clone(),
        };
        assert_eq!(refusal(&mismatched), Code::TlsKeyMismatch);
        // The key where the certificate belongs: no CERTIFICATE section in it.
        let swapped = TlsConfig {
            cert: one.key.clone(),
            key: one.cert.clone(),
        };
        assert_eq!(refusal(&swapped), Code::TlsNotPem);
    }

    #[test]
    fn secure_cookies_with_tls_or_behind_an_https_proxy_and_the_warning_beyond_loopback() {
        let temp = tempfile::tempdir().expect("tempdir");
        let mut server = ServerConfig::default();
        let plain = Https::load(&server).expect("plain");
        assert!(!plain.secure_cookies());
        let anywhere: SocketAddr = "0.0.0.0:8080".parse().expect("addr");
        let loopback: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
        let codes = |https: &Https, at| {
            https
                .notices(at)
                .into_iter()
                .map(|notice| notice.code)
                .collect::<Vec<_>>()
        };
        use crate::message::Code;
        assert_eq!(
            codes(&plain, anywhere),
            [Code::ServerPlainHttpBeyondLoopback]
        );
        assert_eq!(codes(&plain, loopback), []);
        server.behind_https_proxy = true;
        let proxied = Https::load(&server).expect("proxied");
        assert!(proxied.secure_cookies());
        assert_eq!(codes(&proxied, anywhere), []);
        server.behind_https_proxy = false;
        server.tls = Some(generated(temp.path()));
        let tls = Https::load(&server).expect("tls");
        assert!(tls.secure_cookies());
        assert_eq!(codes(&tls, anywhere), [Code::TlsFingerprint]);
        assert!(tls
            .listening_line(anywhere)
            .starts_with("station listening on https://"));
    }

    #[tokio::test]
    async fn the_secure_cookies_flag_and_the_tls_settings_reach_the_servers_state() {
        let temp = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(
            crate::store::Store::open(&temp.path().join("store"), Default::default())
                .expect("store"),
        );
        let engine = Arc::new(crate::workflow::Engine::new(
            store,
            crate::workflow::WorkflowConfig::default(),
        ));
        let state = crate::server::AppState::new(engine, Arc::default(), vec!["counter".into()]);
        let mut server = ServerConfig::default();
        let plain = state
            .clone()
            .with_https(&Https::load(&server).expect("plain"));
        assert!(!plain.secure_cookies && plain.tls.is_none());
        server.behind_https_proxy = true;
        let proxied = state
            .clone()
            .with_https(&Https::load(&server).expect("proxied"));
        assert!(proxied.secure_cookies && proxied.tls.is_none());
        server.behind_https_proxy = false;
        server.tls = Some(generated(&temp.path().join("data")));
        let tls = state.with_https(&Https::load(&server).expect("tls"));
        assert!(tls.secure_cookies && tls.tls.is_some());
    }

    #[test]
    fn relative_tls_paths_are_taken_against_the_config_files_directory() {
        let temp = tempfile::tempdir().expect("tempdir");
        let file = temp.path().join("station.toml");
        std::fs::write(
            &file,
            "[server.tls]\ncert = \"tls/cert.pem\"\nkey = \"/etc/key.pem\"\n",
        )
        .expect("write");
        let config = Config::load(Some(&file)).expect("config");
        let tls = config.server.tls.expect("tls");
        assert_eq!(tls.cert, temp.path().join("tls/cert.pem"));
        assert_eq!(tls.key, PathBuf::from("/etc/key.pem"));
        let typo = Config::parse("[server.tls]\ncert = \"a\"\nkee = \"b\"\n", "t.toml");
        assert!(typo.is_err());
    }
}
