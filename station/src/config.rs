//! The station's configuration: `station.toml`, every key optional.
//!
//! With no file the station runs on its defaults: the store in `./station-data`, HTTP on
//! `127.0.0.1:8080`. Unknown keys are refused with the file, line and key, so a typo
//! never silently falls back to a default.

use crate::store::Refusal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::de::IgnoredAny;
use serde::Deserialize;
use toml::Spanned;

use crate::calendar::WorkCalendar;
use crate::clock::TimeZone;
use crate::devices::definition::{DeviceDefinition, Origin, ScannerConfig};
use crate::message;
use crate::message::{display_by_message, Bilingual, Message};
use crate::printer::{Connect, ConnectError, Language, PrinterConfig};
use crate::workflow::WorkflowConfig;

use crate::numbering::{Scheme, SchemeConfig, SchemeError};
use crate::store::{StationScheme, Store, StoreError, StoreOptions, DEFAULT_CACHE_BYTES};

/// The most `[server] max_connections` may be.
pub const MAX_CONNECTIONS: usize = 65_536;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the store, labels and control socket live.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// HTTP listen address; binding beyond loopback is an explicit choice.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// This station's name, stamped on every event.
    #[serde(default = "default_station")]
    pub station_name: String,
    /// Loan period in days.
    #[serde(default = "default_loan_days")]
    pub loan_days: u32,
    /// sled page cache in MiB.
    #[serde(default = "default_cache_mib")]
    pub cache_mib: u64,
    /// Archive numbering schemes.
    #[serde(default, rename = "scheme")]
    pub schemes: Vec<SchemeConfig>,
    /// The scheme INTAKE allocates archive numbers from for blank pre-printed labels.
    #[serde(default)]
    pub intake_scheme: Option<String>,
    /// The same code at the same workstation within this many milliseconds is applied once.
    #[serde(default = "default_repeat_window_ms")]
    pub repeat_window_ms: i64,
    /// Public holidays: not working days (e.g. `["2026-10-01"]`).
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// Weekend days that are worked (调休).
    #[serde(default)]
    pub workdays: Vec<NaiveDate>,
    /// The time zone business dates are in, an IANA name such as `Asia/Shanghai`; without
    /// it, the host's (`TZ`, else `/etc/localtime`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Workstations; without any, one called `counter`.
    #[serde(default, rename = "workstation")]
    pub workstations: Vec<WorkstationConfig>,
    /// Barcode scanners on serial ports.
    #[serde(default, rename = "scanner")]
    pub scanners: Vec<ScannerConfig>,
    /// Label printers; without any, one called `pdf` that writes PDF files into
    /// `DATA/labels`.
    #[serde(default, rename = "printer")]
    pub printers: Vec<PrinterConfig>,
    /// A folder of label templates that override or add to the shipped ones.
    #[serde(default)]
    pub label_templates: Option<PathBuf>,
    /// A folder of category checklists (典型资料清单) that override or add to the shipped
    /// ones.
    #[serde(default)]
    pub checklists: Option<PathBuf>,
    /// The TrueType font for Chinese text (default: WenQuanYi Micro Hei).
    #[serde(default)]
    pub font: Option<PathBuf>,
    /// How the HTTP server and the control socket bound their connections.
    #[serde(default)]
    pub server: ServerConfig,
    /// `[reminders]`: when each kind of archive task step turns to warning.
    #[serde(default)]
    pub reminders: RemindersConfig,
}

/// `[reminders]`: hours before its due moment each kind of archive task step (and the
/// business deadline, 业扩时限) is in warning (预警); at the due moment it is overdue (超期).
/// Each defaults to 24 hours.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RemindersConfig {
    /// To add and digitise the documents (待电子化).
    #[serde(default = "default_warning_hours")]
    pub add_warning_hours: u32,
    /// To send them to the collector (待发送).
    #[serde(default = "default_warning_hours")]
    pub send_warning_hours: u32,
    /// The collector's review.
    #[serde(default = "default_warning_hours")]
    pub review_warning_hours: u32,
    /// To hand them over to the archive room (待移交).
    #[serde(default = "default_warning_hours")]
    pub handover_warning_hours: u32,
    /// To form a volume/box and shelve it (待上架).
    #[serde(default = "default_warning_hours")]
    pub shelve_warning_hours: u32,
    /// The business deadline the business system sent (业扩时限预警).
    #[serde(default = "default_warning_hours")]
    pub business_warning_hours: u32,
    /// Hours between two urgings (催办) of an overdue step (0 counts as 1); 24 by default.
    #[serde(default = "default_repeat_hours")]
    pub repeat_hours: u32,
    /// Repeats the owner is urged alone before the station's supervisors are urged too;
    /// 3 by default.
    #[serde(default = "default_escalate_after")]
    pub escalate_after: u32,
}

fn default_repeat_hours() -> u32 {
    crate::tasks::DEFAULT_REPEAT_HOURS
}

fn default_escalate_after() -> u32 {
    crate::tasks::DEFAULT_ESCALATE_AFTER
}

fn default_warning_hours() -> u32 {
    crate::tasks::DEFAULT_WARNING_HOURS
}

impl Default for RemindersConfig {
    fn default() -> Self {
        let hours = default_warning_hours();
        RemindersConfig {
            add_warning_hours: hours,
            send_warning_hours: hours,
            review_warning_hours: hours,
            handover_warning_hours: hours,
            shelve_warning_hours: hours,
            business_warning_hours: hours,
            repeat_hours: default_repeat_hours(),
            escalate_after: default_escalate_after(),
        }
    }
}

impl RemindersConfig {
    /// How overdue steps are urged.
    pub fn urge(&self) -> crate::tasks::UrgeRules {
        crate::tasks::UrgeRules {
            repeat_hours: self.repeat_hours.max(1),
            escalate_after: self.escalate_after,
        }
    }

    /// The thresholds by step index, the business deadline's last.
    pub fn warning_hours(&self) -> [u32; 6] {
        [
            self.add_warning_hours,
            self.send_warning_hours,
            self.review_warning_hours,
            self.handover_warning_hours,
            self.shelve_warning_hours,
            self.business_warning_hours,
        ]
    }
}

/// `[server]`: the bounds on connections, so that idle or slow clients cannot use up the
/// station's file descriptors.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// HTTP connections served at once; one more is answered 503 and closed.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Seconds from connecting (or from a later request's first byte) until the request's
    /// headers are complete; a connection that takes longer is closed.
    #[serde(default = "default_header_timeout_secs")]
    pub header_timeout_secs: u64,
    /// Seconds a keep-alive connection may wait between requests before it is closed.
    #[serde(default = "default_idle_timeout_secs")]
    pub idle_timeout_secs: u64,
    /// Minutes a page's sign-in lasts without a request before it ends.
    #[serde(default = "default_session_idle_minutes")]
    pub session_idle_minutes: u64,
    /// Hours a page's sign-in lasts at most, however busy.
    #[serde(default = "default_session_max_hours")]
    pub session_max_hours: u64,
    /// The station is reached through a reverse proxy that terminates HTTPS: its cookies
    /// are marked `Secure`, and serving beyond loopback without `[server.tls]` is expected.
    #[serde(default)]
    pub behind_https_proxy: bool,
    /// `[server.tls]`: serve HTTPS with this certificate and key instead of plain HTTP.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
}

/// `[server.tls]`: the PEM files the station serves HTTPS with. Relative paths are taken
/// against the configuration file's directory.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, PEM, the station's own certificate first.
    pub cert: PathBuf,
    /// Its private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_connections: default_max_connections(),
            header_timeout_secs: default_header_timeout_secs(),
            idle_timeout_secs: default_idle_timeout_secs(),
            session_idle_minutes: default_session_idle_minutes(),
            session_max_hours: default_session_max_hours(),
            behind_https_proxy: false,
            tls: None,
        }
    }
}

fn default_session_idle_minutes() -> u64 {
    30
}

fn default_session_max_hours() -> u64 {
    12
}

fn default_max_connections() -> usize {
    512
}

fn default_header_timeout_secs() -> u64 {
    10
}

fn default_idle_timeout_secs() -> u64 {
    60
}

/// A place where scans happen: the counter, a shelving cart.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WorkstationConfig {
    /// Its name, e.g. `counter` or `cart-1`.
    pub name: String,
    /// The printer its labels go to.
    #[serde(default)]
    pub printer: Option<String>,
}

fn default_repeat_window_ms() -> i64 {
    1500
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("./station-data")
}

/// The numbering scheme of the embedded defaults (no station.toml), so that a first
/// `station register --scheme loan` works: loans' boxes numbered 2026借字第0001号 on. A
/// station.toml lists its own schemes instead (copy this one to keep it).
pub fn default_scheme() -> SchemeConfig {
    SchemeConfig {
        name: "loan".to_owned(),
        template: "{year}借字第{seq:04}号".to_owned(),
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_station() -> String {
    "station".to_owned()
}

fn default_loan_days() -> u32 {
    30
}

fn default_cache_mib() -> u64 {
    DEFAULT_CACHE_BYTES / (1024 * 1024)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: default_data_dir(),
            listen: default_listen(),
            station_name: default_station(),
            loan_days: default_loan_days(),
            cache_mib: default_cache_mib(),
            schemes: vec![default_scheme()],
            intake_scheme: None,
            repeat_window_ms: default_repeat_window_ms(),
            holidays: Vec::new(),
            workdays: Vec::new(),
            timezone: None,
            workstations: Vec::new(),
            scanners: Vec::new(),
            printers: Vec::new(),
            label_templates: None,
            checklists: None,
            font: None,
            server: ServerConfig::default(),
            reminders: RemindersConfig::default(),
        }
    }
}

/// Why the configuration cannot be used. Every message names the file and, where the text
/// was at hand, the line and the key.
#[derive(Debug)]
pub enum ConfigError {
    /// The file cannot be read.
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or mistyped keys.
    Parse {
        /// The file.
        path: String,
        /// The 1-based line and column toml points at, if it does.
        at: Option<(usize, usize)>,
        /// That line as written (trimmed).
        source_line: String,
        /// toml's message.
        message: String,
        /// The printer address toml refused, when that is what it refused: said in the
        /// station's words rather than through toml's one-language message.
        connect: Option<Box<ConnectError>>,
    },
    /// A numbering scheme is invalid.
    Scheme {
        /// The file.
        path: String,
        /// The line of the offending key, when known.
        line: Option<usize>,
        /// Why.
        source: SchemeError,
    },
    /// Two schemes share a name.
    DuplicateScheme {
        /// The file.
        path: String,
        /// The line of the second definition's name, when known.
        line: Option<usize>,
        /// The name.
        name: String,
    },
    /// A value is out of range or names something that is not defined.
    Value {
        /// The file.
        path: String,
        /// The line of the key, when known.
        line: Option<usize>,
        /// The key, e.g. `loan_days` or `[[scanner]] workstation`.
        key: String,
        /// What is wrong with its value.
        problem: Message,
    },
}

impl ConfigError {
    /// What to tell people.
    pub fn message(&self) -> Message {
        match self {
            ConfigError::Read { path, source } => {
                message!(ConfigReadFailed, path = path, reason = source)
            }
            ConfigError::Parse {
                path,
                at,
                source_line,
                message,
                connect,
            } => {
                let detail = match connect {
                    Some(error) => error.message().text,
                    None => {
                        let detail = Bilingual::new(message.as_str(), message.as_str());
                        match closest_key(message) {
                            Some(key) => detail.join(&message!(ConfigDidYouMean, key = key).text),
                            None => detail,
                        }
                    }
                };
                match at {
                    Some((line, column)) => message!(
                        ConfigSyntax,
                        path = path,
                        line = line,
                        column = column,
                        text = source_line,
                        detail = detail
                    ),
                    None => message!(ConfigSyntaxUnplaced, path = path, detail = detail),
                }
            }
            ConfigError::Scheme { path, line, source } => {
                let key = match source {
                    SchemeError::BadName(_) => "[[scheme]] name",
                    _ => "[[scheme]] template",
                };
                value_message(path, *line, key, source.message())
            }
            ConfigError::DuplicateScheme { path, line, name } => value_message(
                path,
                *line,
                "[[scheme]] name",
                message!(
                    ConfigNameTwice,
                    name = format!("{name:?}"),
                    what = ("个编号方案", "scheme")
                ),
            ),
            ConfigError::Value {
                path,
                line,
                key,
                problem,
            } => value_message(path, *line, key, problem.clone()),
        }
    }
}

display_by_message!(ConfigError);

fn value_message(path: &str, line: Option<usize>, key: &str, problem: Message) -> Message {
    match line {
        Some(line) => message!(
            ConfigInvalidValue,
            path = path,
            line = line,
            key = key,
            problem = problem
        ),
        None => message!(
            ConfigInvalidValueUnplaced,
            path = path,
            key = key,
            problem = problem
        ),
    }
}

/// Where station.toml's checked keys are: read again only to name a line in an error.
#[derive(Default, Deserialize)]
struct KeyLines {
    intake_scheme: Option<Spanned<IgnoredAny>>,
    repeat_window_ms: Option<Spanned<IgnoredAny>>,
    loan_days: Option<Spanned<IgnoredAny>>,
    cache_mib: Option<Spanned<IgnoredAny>>,
    timezone: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    server: ServerLines,
    #[serde(default)]
    scheme: Vec<EntryLines>,
    #[serde(default)]
    workstation: Vec<EntryLines>,
    #[serde(default)]
    scanner: Vec<EntryLines>,
    #[serde(default)]
    printer: Vec<EntryLines>,
}

/// The keys of `[server]`.
#[derive(Default, Deserialize)]
struct ServerLines {
    max_connections: Option<Spanned<IgnoredAny>>,
    header_timeout_secs: Option<Spanned<IgnoredAny>>,
    idle_timeout_secs: Option<Spanned<IgnoredAny>>,
    session_idle_minutes: Option<Spanned<IgnoredAny>>,
    session_max_hours: Option<Spanned<IgnoredAny>>,
}

/// The keys of one `[[scheme]]`, `[[workstation]]`, `[[scanner]]` or `[[printer]]`.
#[derive(Default, Deserialize)]
struct EntryLines {
    name: Option<Spanned<IgnoredAny>>,
    template: Option<Spanned<IgnoredAny>>,
    workstation: Option<Spanned<IgnoredAny>>,
    printer: Option<Spanned<IgnoredAny>>,
}

/// The text of a configuration and where its keys are.
struct Source<'a> {
    path: &'a str,
    text: &'a str,
    keys: KeyLines,
}

impl<'a> Source<'a> {
    fn new(path: &'a str, text: &'a str) -> Source<'a> {
        Source {
            path,
            text,
            keys: toml::from_str(text).unwrap_or_default(),
        }
    }

    /// The 1-based line of a key's value.
    fn line(&self, key: Option<&Spanned<IgnoredAny>>) -> Option<usize> {
        key.map(|key| line_and_column(self.text, key.span().start).0)
    }

    /// An error about `key`'s value.
    fn bad(&self, key: &str, at: Option<&Spanned<IgnoredAny>>, problem: Message) -> ConfigError {
        ConfigError::Value {
            path: self.path.to_owned(),
            line: self.line(at),
            key: key.to_owned(),
            problem,
        }
    }
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let head = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = head.matches('\n').count() + 1;
    let column = head
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

/// For toml's "unknown field `nmae`, expected `name` or `template`": the expected key
/// closest to the misspelt one, if one is close (a few letters apart).
fn closest_key(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field ")?;
    let mut quoted = rest.split('`').skip(1).step_by(2);
    let typo = quoted.next()?;
    let limit = (typo.chars().count() / 3).max(2);
    quoted
        .map(|key| (edit_distance(typo, key), key))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, key)| key.to_owned())
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            let insert = current[j] + 1;
            let delete = previous[j + 1] + 1;
            current.push(substitute.min(insert).min(delete));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The [`ConnectError`] behind a toml error, if toml refused a printer's `connect` address:
/// the value at the error's place fails [`Connect::parse`] with exactly toml's message.
fn refused_connect(text: &str, error: &toml::de::Error) -> Option<Box<ConnectError>> {
    let value = text.get(error.span()?)?;
    let value: String = toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()?
        .remove("v")?
        .as_str()?
        .to_owned();
    Connect::parse(&value)
        .err()
        .filter(|refused| refused.to_string() == error.message().trim())
        .map(Box::new)
}

/// The `i`-th entry's key lines (none when the text has fewer entries).
fn entry(entries: &[EntryLines], index: usize) -> Option<&EntryLines> {
    entries.get(index)
}

impl Config {
    /// Reads `path`, or the defaults when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: display.clone(),
            source,
        })?;
        let mut config = Config::parse(&text, &display)?;
        // The TLS files are named as the person who wrote the file sees them: beside it.
        if let (Some(tls), Some(dir)) = (&mut config.server.tls, path.parent()) {
            for file in [&mut tls.cert, &mut tls.key] {
                if file.is_relative() {
                    *file = dir.join(&*file);
                }
            }
        }
        Ok(config)
    }

    /// Parses configuration text; `origin` names it in messages.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|error| {
            let at = error.span().map(|span| line_and_column(text, span.start));
            ConfigError::Parse {
                path: origin.to_owned(),
                at,
                source_line: at
                    .and_then(|(line, _)| text.lines().nth(line - 1))
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                message: error.message().trim().to_owned(),
                connect: refused_connect(text, &error),
            }
        })?;
        let source = Source::new(origin, text);
        let keys = &source.keys;
        config.checked_schemes(origin, Some(&source))?;
        // `intake_scheme` may name a scheme added through the station, which only the
        // store knows: it is resolved when the daemon starts (`workflow`).
        if let Some(intake) = &config.intake_scheme {
            if let Err(error) = Scheme::new(intake, "{seq}") {
                return Err(source.bad(
                    "intake_scheme",
                    keys.intake_scheme.as_ref(),
                    error.message(),
                ));
            }
        }
        if let Some(name) = &config.timezone {
            if TimeZone::named(name).is_err() {
                return Err(source.bad(
                    "timezone",
                    keys.timezone.as_ref(),
                    message!(ConfigUnknownTimeZone, name = format!("{name:?}")),
                ));
            }
        }
        let range = |value: i64, min: i64, max: i64| {
            message!(ConfigOutOfRange, value = value, min = min, max = max)
        };
        if !(0..=60_000).contains(&config.repeat_window_ms) {
            return Err(source.bad(
                "repeat_window_ms",
                keys.repeat_window_ms.as_ref(),
                range(config.repeat_window_ms, 0, 60_000),
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for (index, workstation) in config.workstations.iter().enumerate() {
            let at = entry(&keys.workstation, index).and_then(|keys| keys.name.as_ref());
            if workstation.name.trim().is_empty() {
                return Err(source.bad("[[workstation]] name", at, message!(ConfigNameEmpty)));
            }
            if !names.insert(workstation.name.as_str()) {
                return Err(source.bad(
                    "[[workstation]] name",
                    at,
                    message!(
                        ConfigNameTwice,
                        name = format!("{:?}", workstation.name),
                        what = ("个工作站", "workstation")
                    ),
                ));
            }
        }
        let workstations = config.workstation_names();
        let mut scanner_names = std::collections::BTreeSet::new();
        for (index, scanner) in config.scanners.iter().enumerate() {
            let scanner_keys = entry(&keys.scanner, index);
            if !scanner_names.insert(scanner.name.as_str()) {
                return Err(source.bad(
                    "[[scanner]] name",
                    scanner_keys.and_then(|keys| keys.name.as_ref()),
                    message!(
                        ConfigNameTwice,
                        name = format!("{:?}", scanner.name),
                        what = ("台扫描枪", "scanner")
                    ),
                ));
            }
            if !workstations.contains(&scanner.workstation) {
                return Err(source.bad(
                    "[[scanner]] workstation",
                    scanner_keys.and_then(|keys| keys.workstation.as_ref()),
                    message!(
                        DeviceUnknownWorkstation,
                        scanner = &scanner.name,
                        workstation = format!("{:?}", scanner.workstation),
                        known = workstations.join(", ")
                    ),
                ));
            }
        }
        let printers = config.printer_configs();
        let mut printer_names = std::collections::BTreeSet::new();
        for (index, printer) in config.printers.iter().enumerate() {
            if !printer_names.insert(printer.name.as_str()) {
                return Err(source.bad(
                    "[[printer]] name",
                    entry(&keys.printer, index).and_then(|keys| keys.name.as_ref()),
                    message!(
                        ConfigNameTwice,
                        name = format!("{:?}", printer.name),
                        what = ("台打印机", "printer")
                    ),
                ));
            }
        }
        for (index, workstation) in config.workstations.iter().enumerate() {
            if let Some(printer) = &workstation.printer {
                if !printers.iter().any(|p| &p.name == printer) {
                    let known: Vec<&str> = printers.iter().map(|p| p.name.as_str()).collect();
                    return Err(source.bad(
                        "[[workstation]] printer",
                        entry(&keys.workstation, index).and_then(|keys| keys.printer.as_ref()),
                        message!(
                            ConfigUnknownPrinter,
                            printer = format!("{printer:?}"),
                            known = known.join(", ")
                        ),
                    ));
                }
            }
        }
        if config.loan_days == 0 || config.loan_days > 3650 {
            return Err(source.bad(
                "loan_days",
                keys.loan_days.as_ref(),
                range(i64::from(config.loan_days), 1, 3650),
            ));
        }
        if config.cache_mib < 4 || config.cache_mib > 64 * 1024 {
            return Err(source.bad(
                "cache_mib",
                keys.cache_mib.as_ref(),
                message!(
                    ConfigOutOfRange,
                    value = config.cache_mib,
                    min = 4u64,
                    max = 64 * 1024u64
                ),
            ));
        }
        let server = &config.server;
        if !(1..=MAX_CONNECTIONS).contains(&server.max_connections) {
            return Err(source.bad(
                "[server] max_connections",
                keys.server.max_connections.as_ref(),
                message!(
                    ConfigOutOfRange,
                    value = server.max_connections,
                    min = 1usize,
                    max = MAX_CONNECTIONS
                ),
            ));
        }
        for (key, value, at) in [
            (
                "[server] header_timeout_secs",
                server.header_timeout_secs,
                &keys.server.header_timeout_secs,
            ),
            (
                "[server] idle_timeout_secs",
                server.idle_timeout_secs,
                &keys.server.idle_timeout_secs,
            ),
        ] {
            if !(1..=3600).contains(&value) {
                return Err(source.bad(
                    key,
                    at.as_ref(),
                    message!(ConfigOutOfRange, value = value, min = 1u64, max = 3600u64),
                ));
            }
        }
        // Sign-ins from the pages: idle up to a day, at most a week in all.
        for (key, value, at, max) in [
            (
                "[server] session_idle_minutes",
                server.session_idle_minutes,
                &keys.server.session_idle_minutes,
                24 * 60,
            ),
            (
                "[server] session_max_hours",
                server.session_max_hours,
                &keys.server.session_max_hours,
                7 * 24,
            ),
        ] {
            if !(1..=max).contains(&value) {
                return Err(source.bad(
                    key,
                    at.as_ref(),
                    message!(ConfigOutOfRange, value = value, min = 1u64, max = max),
                ));
            }
        }
        Ok(config)
    }

    /// The numbering schemes, parsed.
    pub fn schemes(&self, origin: &str) -> Result<Vec<Scheme>, ConfigError> {
        self.checked_schemes(origin, None)
    }

    /// The numbering schemes, parsed; errors name the line when `source` is the text.
    fn checked_schemes(
        &self,
        origin: &str,
        source: Option<&Source<'_>>,
    ) -> Result<Vec<Scheme>, ConfigError> {
        let line = |index: usize, name: bool| {
            let source = source?;
            let keys = entry(&source.keys.scheme, index)?;
            source.line(if name {
                keys.name.as_ref()
            } else {
                keys.template.as_ref()
            })
        };
        let mut out: Vec<Scheme> = Vec::new();
        for (index, scheme) in self.schemes.iter().enumerate() {
            let parsed = Scheme::new(&scheme.name, &scheme.template).map_err(|source| {
                let name = matches!(source, SchemeError::BadName(_));
                ConfigError::Scheme {
                    path: origin.to_owned(),
                    line: line(index, name),
                    source,
                }
            })?;
            if out.iter().any(|existing| existing.name() == parsed.name()) {
                return Err(ConfigError::DuplicateScheme {
                    path: origin.to_owned(),
                    line: line(index, true),
                    name: parsed.name().to_owned(),
                });
            }
            out.push(parsed);
        }
        Ok(out)
    }

    /// The workstations' names (`counter` when none is configured).
    pub fn workstation_names(&self) -> Vec<String> {
        if self.workstations.is_empty() {
            vec!["counter".to_owned()]
        } else {
            self.workstations.iter().map(|w| w.name.clone()).collect()
        }
    }

    /// The printers, or the default PDF-file printer when none is configured.
    pub fn printer_configs(&self) -> Vec<PrinterConfig> {
        if !self.printers.is_empty() {
            return self.printers.clone();
        }
        vec![PrinterConfig {
            name: "pdf".to_owned(),
            language: Language::Pdf,
            dpi: 300,
            connect: Connect::Dir {
                path: self.data_dir.join("labels"),
            },
        }]
    }

    /// The printer of `workstation`, or the first printer.
    pub fn printer_for(&self, workstation: Option<&str>) -> Option<String> {
        let configured = workstation.and_then(|name| {
            self.workstations
                .iter()
                .find(|w| w.name == name)
                .and_then(|w| w.printer.clone())
        });
        configured.or_else(|| self.printer_configs().first().map(|p| p.name.clone()))
    }

    /// The workflow engine's settings. `known` are the station's schemes
    /// ([`known_schemes`], retired ones included): `intake_scheme` may name one added
    /// through the station (station.toml's scheme wins over a stored one of the same name).
    /// A retired intake scheme is kept, and INTAKE answers that it is retired; a name
    /// neither defines is refused.
    pub fn workflow(&self, known: &[KnownScheme]) -> Result<WorkflowConfig, ConfigError> {
        let mut intake_scheme = None;
        if let Some(name) = &self.intake_scheme {
            if let Some(scheme) = self
                .schemes("configuration")?
                .into_iter()
                .find(|scheme| scheme.name() == name)
            {
                intake_scheme = Some(scheme);
            } else if let Some(stored) = known
                .iter()
                .find(|scheme| &scheme.name == name && scheme.origin == Origin::Station)
            {
                let scheme = Scheme::new(&stored.name, &stored.template).map_err(|source| {
                    ConfigError::Scheme {
                        path: "store".to_owned(),
                        line: None,
                        source,
                    }
                })?;
                if stored.retired {
                    tracing::warn!(scheme = %name, "intake_scheme names a retired scheme: INTAKE cannot register blank labels");
                }
                intake_scheme = Some(scheme);
            } else {
                return Err(ConfigError::Value {
                    path: "configuration".to_owned(),
                    line: None,
                    key: "intake_scheme".to_owned(),
                    problem: message!(ConfigUnknownIntakeScheme, name = format!("{name:?}")),
                });
            }
        }
        let checklists = match &self.checklists {
            Some(dir) => {
                crate::contents::Checklists::load_dir(dir).map_err(|error| match error {
                    crate::contents::ChecklistLoadError::Invalid(invalid) => ConfigError::Value {
                        path: invalid.origin,
                        line: Some(invalid.line),
                        key: "checklists".to_owned(),
                        problem: invalid.problem,
                    },
                    io => ConfigError::Value {
                        path: dir.display().to_string(),
                        line: None,
                        key: "checklists".to_owned(),
                        problem: io.message(),
                    },
                })?
            }
            None => crate::contents::Checklists::builtin().map_err(|error| ConfigError::Value {
                path: error.origin.clone(),
                line: Some(error.line),
                key: "checklists".to_owned(),
                problem: error.problem,
            })?,
        };
        Ok(WorkflowConfig {
            checklists: std::sync::Arc::new(checklists),
            loan_days: self.loan_days,
            repeat_window_ms: self.repeat_window_ms,
            calendar: WorkCalendar::new(
                self.holidays.iter().copied(),
                self.workdays.iter().copied(),
            ),
            intake_scheme,
            task_warning_hours: self.reminders.warning_hours(),
        })
    }

    /// The names of station.toml's numbering schemes: a scheme added through the station
    /// may use none of them.
    pub fn scheme_names(&self) -> Vec<String> {
        self.schemes
            .iter()
            .map(|scheme| scheme.name.clone())
            .collect()
    }

    /// The names of station.toml's devices: its scanners and its printers (the default
    /// `pdf` printer when it configures none). A device added through the station may use
    /// none of them, and cannot be removed under one of them.
    pub fn device_names(&self) -> Vec<String> {
        self.scanners
            .iter()
            .map(|scanner| scanner.name.clone())
            .chain(
                self.printer_configs()
                    .into_iter()
                    .map(|printer| printer.name),
            )
            .collect()
    }

    /// station.toml's devices, scanners first.
    pub fn device_definitions(&self) -> Vec<DeviceDefinition> {
        self.scanners
            .iter()
            .cloned()
            .map(DeviceDefinition::Scanner)
            .chain(
                self.printer_configs()
                    .into_iter()
                    .map(DeviceDefinition::Printer),
            )
            .collect()
    }

    /// The time zone business dates are in: `timezone`, else the host's.
    pub fn time_zone(&self) -> TimeZone {
        match &self.timezone {
            // `parse` checked the name; a configuration built in code falls back to the host.
            Some(name) => TimeZone::named(name).unwrap_or_else(|_| TimeZone::host()),
            None => TimeZone::host(),
        }
    }

    /// Store options from this configuration.
    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            cache_bytes: self.cache_mib * 1024 * 1024,
            station: self.station_name.clone(),
            clock: crate::clock::system_clock(),
            time_zone: self.time_zone(),
        }
    }
}

/// One numbering scheme as the station sees it, from either home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownScheme {
    /// Its name.
    pub name: String,
    /// Its template.
    pub template: String,
    /// Where it is defined.
    pub origin: Origin,
    /// Retired: listed, but allocates no new numbers (station-managed schemes only).
    pub retired: bool,
}

/// Every numbering scheme, the one place where station.toml's and the stored ones meet:
/// the file's first (two of the same name there are refused), then the stored ones whose
/// names the file does not use, retired ones included. A stored scheme the file shadows
/// is left out here (it is ignored, not deleted; [`shadowed_by_config`] names it).
pub fn known_schemes(config: &Config, store: &Store) -> Result<Vec<KnownScheme>, StoreError> {
    let mut schemes: Vec<KnownScheme> = Vec::new();
    for scheme in &config.schemes {
        let parsed = Scheme::new(&scheme.name, &scheme.template)?;
        if schemes.iter().any(|known| known.name == parsed.name()) {
            return Err(Refusal::SchemeExists {
                name: parsed.name().to_owned(),
                place: (
                    "在 station.toml 中定义了两次",
                    "defined twice in station.toml",
                ),
            }
            .into());
        }
        schemes.push(KnownScheme {
            name: parsed.name().to_owned(),
            template: scheme.template.clone(),
            origin: Origin::Config,
            retired: false,
        });
    }
    let file = config.scheme_names();
    for stored in store.station_schemes()? {
        if file.contains(&stored.name) {
            continue;
        }
        schemes.push(KnownScheme::from(stored));
    }
    Ok(schemes)
}

impl From<StationScheme> for KnownScheme {
    fn from(stored: StationScheme) -> KnownScheme {
        KnownScheme {
            name: stored.name,
            template: stored.template,
            origin: Origin::Station,
            retired: stored.retired,
        }
    }
}

impl KnownScheme {
    /// The parsed scheme.
    pub fn scheme(&self) -> Result<Scheme, StoreError> {
        Ok(Scheme::new(&self.name, &self.template)?)
    }
}

/// Every device, the one place where station.toml's and the stored ones meet: the file's
/// first, then the stored ones whose names the file does not use (those are ignored, not
/// deleted; [`shadowed_by_config`] names them).
pub fn known_devices(
    config: &Config,
    store: &Store,
) -> Result<Vec<(DeviceDefinition, Origin)>, StoreError> {
    let file = config.device_names();
    let mut devices: Vec<(DeviceDefinition, Origin)> = config
        .device_definitions()
        .into_iter()
        .map(|def| (def, Origin::Config))
        .collect();
    for def in store.station_devices()? {
        if !file.iter().any(|name| name == def.name()) {
            devices.push((def, Origin::Station));
        }
    }
    Ok(devices)
}

/// The numbering schemes numbers are allocated from: [`known_schemes`] less the retired.
pub fn effective_schemes(config: &Config, store: &Store) -> Result<Vec<Scheme>, StoreError> {
    known_schemes(config, store)?
        .iter()
        .filter(|known| !known.retired)
        .map(KnownScheme::scheme)
        .collect()
}

/// The station-managed schemes and devices whose names station.toml now uses too: the
/// file's definitions win and these are ignored (not deleted). Logged at start.
pub fn shadowed_by_config(config: &Config, store: &Store) -> Result<Vec<String>, StoreError> {
    let schemes = config.scheme_names();
    let devices = config.device_names();
    let mut out = Vec::new();
    for stored in store.station_schemes()? {
        if schemes.contains(&stored.name) {
            out.push(format!("scheme {}", stored.name));
        }
    }
    for stored in store.station_devices()? {
        if devices.iter().any(|name| name == stored.name()) {
            out.push(format!("{} {}", stored.kind(), stored.name()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Code;

    #[test]
    fn no_file_means_defaults() {
        let config = Config::load(None).expect("defaults");
        assert_eq!(config.data_dir, PathBuf::from("./station-data"));
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.loan_days, 30);
    }

    #[test]
    fn the_readme_configuration_example_is_valid_and_shows_the_server_defaults() {
        let readme = include_str!("../../README.md");
        let example = readme
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("\n```").next())
            .expect("a toml example in the README");
        let config = Config::parse(example, "README.md").expect("the README's example is valid");
        assert_eq!(config.server, ServerConfig::default(), "{example}");
        assert_eq!(config.server.max_connections, 512);
        assert_eq!(config.server.header_timeout_secs, 10);
        assert_eq!(config.server.idle_timeout_secs, 60);
        assert_eq!(config.server.session_idle_minutes, 30);
        assert_eq!(config.server.session_max_hours, 12);
    }

    #[test]
    fn reminder_thresholds_reach_the_task_rules_and_default_to_24_hours() {
        let defaults = Config::parse("", "station.toml").expect("valid");
        assert_eq!(
            defaults.workflow(&[]).expect("workflow").task_warning_hours,
            [24; 6]
        );
        let config = Config::parse(
            "[reminders]\nadd_warning_hours = 1\nbusiness_warning_hours = 72\n",
            "station.toml",
        )
        .expect("valid");
        assert_eq!(
            config.workflow(&[]).expect("workflow").task_warning_hours,
            [1, 24, 24, 24, 24, 72]
        );
        assert!(Config::parse("[reminders]\nadd_warning = 1\n", "station.toml").is_err());
        assert_eq!(
            defaults.reminders.urge(),
            crate::tasks::UrgeRules::default()
        );
        let urging = Config::parse(
            "[reminders]\nrepeat_hours = 8\nescalate_after = 1\n",
            "station.toml",
        )
        .expect("valid");
        assert_eq!(
            urging.reminders.urge(),
            crate::tasks::UrgeRules {
                repeat_hours: 8,
                escalate_after: 1
            }
        );
    }

    #[test]
    fn session_lifetimes_are_read_and_out_of_range_ones_are_named() {
        let config = Config::parse(
            "[server]\nsession_idle_minutes = 5\nsession_max_hours = 2\n",
            "station.toml",
        )
        .expect("valid");
        assert_eq!(
            (
                config.server.session_idle_minutes,
                config.server.session_max_hours
            ),
            (5, 2)
        );
        for (text, key) in [
            (
                "[server]\nsession_idle_minutes = 0\n",
                "[server] session_idle_minutes",
            ),
            (
                "[server]\nsession_max_hours = 200\n",
                "[server] session_max_hours",
            ),
        ] {
            let error = Config::parse(text, "station.toml").expect_err(text);
            assert!(error.to_string().contains(key), "{error}");
        }
    }

    #[test]
    fn server_bounds_out_of_range_are_named() {
        for (text, key) in [
            (
                "[server]\nmax_connections = 0\n",
                "[server] max_connections",
            ),
            (
                "[server]\nheader_timeout_secs = 0\n",
                "[server] header_timeout_secs",
            ),
            (
                "[server]\nidle_timeout_secs = 3601\n",
                "[server] idle_timeout_secs",
            ),
        ] {
            let error = Config::parse(text, "station.toml").expect_err(text);
            assert_line_and_key(&error, 2, key);
            assert_eq!(error.message().code, Code::ConfigInvalidValue, "{text}");
        }
        let error =
            Config::parse("[server]\nmax_conections = 5\n", "station.toml").expect_err("a typo");
        assert!(matches!(error, ConfigError::Parse { .. }), "{error:?}");
    }

    #[test]
    fn a_full_file_parses() {
        let config = Config::parse(
            r#"
data_dir = "/var/lib/station"
listen = "127.0.0.1:9090"
station_name = "counter-1"
loan_days = 14
cache_mib = 128

[[scheme]]
name = "loan"
template = "{year}鸿借字第{seq:03}号"
"#,
            "station.toml",
        )
        .expect("valid");
        assert_eq!(config.loan_days, 14);
        let schemes = config.schemes("station.toml").expect("valid schemes");
        assert_eq!(schemes[0].format(2012, 1), "2012鸿借字第001号");
        assert_eq!(config.store_options().cache_bytes, 128 * 1024 * 1024);
    }

    #[test]
    fn scanners_and_workstations_parse_and_are_checked() {
        let config = Config::parse(
            r#"
holidays = ["2026-10-01"]
[[workstation]]
name = "counter"
[[scanner]]
name = "counter-scanner"
port = "/dev/serial/by-id/usb-Honeywell-if00"
protocol = "ssi"
suffix = "crlf"
workstation = "counter"
"#,
            "station.toml",
        )
        .expect("valid");
        assert_eq!(
            config.scanners[0].protocol,
            crate::devices::definition::ScannerProtocol::Ssi
        );
        assert_eq!(config.scanners[0].baud, 9600);
        assert_eq!(config.holidays.len(), 1);
        let error = Config::parse(
            "[[scanner]]\nname = \"s\"\nport = \"/dev/x\"\nworkstation = \"cart-9\"\n",
            "station.toml",
        )
        .expect_err("unknown workstation")
        .message();
        assert_eq!(error.code, Code::ConfigInvalidValue);
        assert!(
            error.text.en.contains("cart-9") && error.text.en.contains("counter"),
            "{error}"
        );
        // intake_scheme may name a scheme added through the station: it is resolved
        // when the daemon starts, against station.toml's and the store's schemes.
        let config =
            Config::parse("intake_scheme = \"nope\"\n", "station.toml").expect("resolved at start");
        let error = config.workflow(&[]).expect_err("unknown scheme").message();
        assert_eq!(error.code, Code::ConfigInvalidValueUnplaced);
        assert!(
            error.text.zh.contains("nope") && error.text.en.contains("nope"),
            "{error}"
        );
        let error = Config::parse("intake_scheme = \"no pe\"\n", "station.toml")
            .expect_err("not a scheme name")
            .to_string();
        assert!(error.contains("no pe"), "{error}");
    }

    #[test]
    fn a_retired_scheme_stays_listed_but_is_not_allocated_from() {
        use crate::event::{Change, EventKind};
        use crate::store::Actor;

        let open = |dir: &Path| Store::open(dir, StoreOptions::default()).expect("store");
        let names =
            |list: &[&str]| -> Vec<String> { list.iter().map(|name| (*name).to_owned()).collect() };
        use crate::store::events_since;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let admin = Actor::new("P0000000014");
        let config = Config::parse(
            "[[scheme]]\nname = \"loan\"\ntemplate = \"{year}鸿借字第{seq:03}号\"\n",
            "station.toml",
        )
        .expect("config");
        let taken = config.scheme_names();
        store
            .add_scheme(&admin, "deposit", "{year}存字第{seq:04}号", &taken)
            .expect("added");
        store
            .add_scheme(&admin, "old", "旧{seq}号", &taken)
            .expect("added");
        let effective = |store: &Store| -> Vec<String> {
            effective_schemes(&config, store)
                .expect("schemes")
                .iter()
                .map(|scheme| scheme.name().to_owned())
                .collect()
        };
        assert_eq!(effective(&store), names(&["loan", "deposit", "old"]));

        let head = store.head().0;
        let retired = store.retire_scheme(&admin, "old", &taken).expect("retired");
        assert!(retired.retired);
        let events = events_since(&store, head);
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].0, events[0].1.as_str()),
            (EventKind::SchemeRetired, "P0000000014")
        );
        assert!(events[0]
            .2
            .contains(&Change::new("retired", Some("false"), Some("true"))));
        assert_eq!(effective(&store), names(&["loan", "deposit"]));
        let listed = store.station_schemes().expect("list");
        assert_eq!(
            listed
                .iter()
                .map(|s| (s.name.as_str(), s.retired))
                .collect::<Vec<_>>(),
            vec![("deposit", false), ("old", true)],
            "a retired scheme stays listed"
        );

        let head = store.head().0;
        let again = store
            .retire_scheme(&admin, "old", &taken)
            .expect_err("once");
        assert!(
            matches!(again, StoreError::Refused(crate::store::Refusal::SchemeRetired(ref name)) if name == "old")
        );
        let unknown = store
            .retire_scheme(&admin, "nope", &taken)
            .expect_err("unknown");
        assert!(
            matches!(&unknown, StoreError::Refused(crate::store::Refusal::UnknownScheme(name)) if name == "nope"),
            "{unknown}"
        );
        let said = unknown.message();
        assert_eq!(said.code, Code::SchemeUnknown);
        assert!(
            said.text.zh.contains("nope") && said.text.en.contains("nope"),
            "the name in both halves: {said:?}"
        );
        let in_file = store
            .retire_scheme(&admin, "loan", &taken)
            .expect_err("the file's scheme");
        assert!(
            matches!(&in_file, StoreError::Refused(crate::store::Refusal::SchemeInConfig(name)) if name == "loan"),
            "{in_file}"
        );
        assert_eq!(in_file.message().code, Code::SchemeInConfig);
        let reuse = store
            .add_scheme(&admin, "old", "新{seq}号", &taken)
            .expect_err("a retired scheme keeps its name");
        assert!(matches!(
            reuse,
            StoreError::Refused(crate::store::Refusal::SchemeExists { .. })
        ));
        assert_eq!(store.head().0, head, "refusals record nothing");

        drop(store);
        let store = open(dir.path());
        assert_eq!(
            effective(&store),
            names(&["loan", "deposit"]),
            "after a reopen"
        );

        // station.toml later defines a name the store holds: the file's wins, once.
        let shadowing = Config::parse(
            "[[scheme]]\nname = \"deposit\"\ntemplate = \"D{seq}\"\n",
            "station.toml",
        )
        .expect("config");
        let schemes = effective_schemes(&shadowing, &store).expect("schemes");
        assert_eq!(schemes.len(), 1, "{schemes:?}");
        assert_eq!(schemes[0].format(2026, 7), "D7");
        assert_eq!(
            shadowed_by_config(&shadowing, &store).expect("shadowed"),
            vec!["scheme deposit".to_owned()]
        );
        assert_eq!(
            store.station_schemes().expect("list").len(),
            2,
            "not deleted"
        );
    }

    #[test]
    fn an_intake_scheme_added_through_the_station_stops_allocating_once_retired() {
        use crate::barcode::{Barcode, Kind};
        use crate::store::Actor;
        use crate::workflow::{CommandCard, Engine, Outcome};

        let dir = tempfile::tempdir().expect("tempdir");
        let store =
            std::sync::Arc::new(Store::open(dir.path(), StoreOptions::default()).expect("store"));
        let admin = Actor::new("admin");
        let config = Config::parse(
            "intake_scheme = \"blank\"\n[[scheme]]\nname = \"loan\"\ntemplate = \"{year}鸿借字第{seq:03}号\"\n",
            "station.toml",
        )
        .expect("config");
        store
            .add_scheme(&admin, "blank", "收字第{seq:03}号", &config.scheme_names())
            .expect("added");
        let workflow = config
            .workflow(&known_schemes(&config, &store).expect("list"))
            .expect("the station's scheme is found");
        assert_eq!(
            workflow.intake_scheme.as_ref().map(|s| s.name()),
            Some("blank")
        );
        let engine = Engine::new(store.clone(), workflow);
        engine.scan("counter", &CommandCard::Intake.barcode().to_string());
        let first = Barcode::new(Kind::Box, 5000).expect("valid");
        let registered = engine.scan("counter", &first.to_string());
        assert_eq!(registered.outcome, Outcome::Warning, "{registered:?}");
        assert_eq!(registered.code, Code::IntakeRegistered, "{registered:?}");
        assert!(
            registered.message.zh.contains("收字第001号")
                && registered.message.en.contains("收字第001号"),
            "the archive number in both halves: {registered:?}"
        );

        store
            .retire_scheme(&admin, "blank", &config.scheme_names())
            .expect("retired");
        let head = store.head().0;
        let second = Barcode::new(Kind::Box, 5001).expect("valid");
        let refused = engine.scan("counter", &second.to_string());
        assert_eq!(refused.outcome, Outcome::Error, "{refused:?}");
        assert_eq!(refused.code, Code::SchemeNotInUse, "{refused:?}");
        assert!(
            refused.message.zh.contains("blank") && refused.message.en.contains("blank"),
            "the scheme in both halves: {refused:?}"
        );
        assert!(store.get_item(second).expect("read").is_none());
        assert_eq!(
            store.head().0,
            head,
            "nothing registered, nothing allocated"
        );

        // After a restart the retired scheme is still named, and still refused.
        let workflow = config
            .workflow(&known_schemes(&config, &store).expect("list"))
            .expect("a retired scheme is kept");
        let engine = Engine::new(store.clone(), workflow);
        engine.scan("counter", &CommandCard::Intake.barcode().to_string());
        let refused = engine.scan("counter", &second.to_string());
        assert_eq!(refused.code, Code::SchemeNotInUse, "{refused:?}");
        // station.toml's scheme of the same name wins over the stored one.
        let shadowing = Config::parse(
            "intake_scheme = \"blank\"\n[[scheme]]\nname = \"blank\"\ntemplate = \"B{seq}\"\n",
            "station.toml",
        )
        .expect("config");
        let workflow = shadowing
            .workflow(&known_schemes(&config, &store).expect("list"))
            .expect("the file's scheme");
        assert_eq!(
            workflow.intake_scheme.map(|s| s.format(2026, 1)),
            Some("B1".to_owned())
        );
    }

    #[test]
    fn a_misspelt_key_is_refused_with_the_closest_known_one_in_schemes_too() {
        let error = Config::parse(
            "[[scheme]]\nnmae = \"loan\"\ntemplate = \"{year}-{seq}\"\n",
            "station.toml",
        )
        .expect_err("unknown key in [[scheme]] refused");
        let message = error.message();
        assert_eq!(message.code, Code::ConfigSyntax);
        assert!(message.text.en.contains("nmae"), "{message}");
        assert!(
            message.text.en.contains("did you mean `name`?"),
            "{message}"
        );
        assert!(message.text.zh.contains("是不是想写 `name`？"), "{message}");
        // Nothing close: no guess.
        let error = Config::parse("zzzzzzzz = 1\n", "station.toml").expect_err("refused");
        assert!(!error.message().text.en.contains("did you mean"), "{error}");
        assert_eq!(
            closest_key("unknown field `listn`, expected one of `data_dir`, `listen`"),
            Some("listen".to_owned())
        );
    }

    #[test]
    fn the_defaults_have_a_working_loan_scheme() {
        let schemes = Config::default().schemes("defaults").expect("valid");
        assert_eq!(schemes.len(), 1);
        assert_eq!(schemes[0].name(), "loan");
        assert_eq!(schemes[0].format(2026, 1), "2026借字第0001号");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let error = Config::parse(
            "data_dir = \"/srv/station\"\nlistn = \"127.0.0.1:1\"\n",
            "station.toml",
        )
        .expect_err("typo refused");
        assert!(
            matches!(
                error,
                ConfigError::Parse {
                    at: Some((2, 1)),
                    ..
                }
            ),
            "{error:?}"
        );
        let message = error.message();
        assert_eq!(message.code, Code::ConfigSyntax);
        assert!(
            message.text.zh.contains("station.toml 第 2 行第 1 列"),
            "{message}"
        );
        assert!(
            message
                .text
                .en
                .contains("station.toml is invalid at line 2, column 1"),
            "{message}"
        );
        for half in [&message.text.zh, &message.text.en] {
            assert!(half.contains("listn = \"127.0.0.1:1\""), "{half}");
        }
        let error = Config::parse(
            "[[scheme]]\nname = \"a\"\ntemplate = \"{yr}{seq}\"\n",
            "s.toml",
        )
        .expect_err("bad template");
        match &error {
            ConfigError::Scheme { path, line, source } => {
                assert_eq!(path, "s.toml");
                assert_eq!(*line, Some(3), "the template's line");
                assert!(
                    matches!(source, SchemeError::UnknownPlaceholder { placeholder, .. } if placeholder == "yr"),
                    "{error}"
                );
                assert_eq!(source.message().code, Code::SchemeUnknownPlaceholder);
            }
            other => panic!("not a scheme error: {other}"),
        }
        assert_line_and_key(&error, 3, "[[scheme]] template");
        let error = Config::parse("station_name = \"x\"\nloan_days = 0\n", "s.toml")
            .expect_err("zero loan days");
        assert_line_and_key(&error, 2, "loan_days");
    }

    #[test]
    fn a_refused_printer_address_is_explained_in_each_language() {
        let text = "[[printer]]\nname = \"zebra-1\"\nlanguage = \"zpl\"\nconnect = \"serial://dev/ttyUSB1\"\n";
        let error = Config::parse(text, "station.toml").expect_err("two slashes");
        match &error {
            ConfigError::Parse {
                at: Some((4, _)),
                connect: Some(refused),
                ..
            } => assert!(
                matches!(**refused, ConnectError::SerialNotAbsolute { .. }),
                "{refused:?}"
            ),
            other => panic!("not the connect address: {other:?}"),
        }
        let message = error.message();
        assert_eq!(message.code, Code::ConfigSyntax);
        assert!(message.text.zh.contains("三个斜杠"), "{message}");
        assert!(!message.text.zh.contains("three slashes"), "{message}");
        assert!(message.text.en.contains("three slashes"), "{message}");
        assert!(!message.text.en.contains("三个斜杠"), "{message}");
        // Another refused string is toml's to explain.
        let error = Config::parse("listen = \"nowhere\"\n", "station.toml").expect_err("bad");
        assert!(
            matches!(error, ConfigError::Parse { connect: None, .. }),
            "{error:?}"
        );
    }

    /// `error` is about `key` on `line`, and says so in both languages.
    #[track_caller]
    fn assert_line_and_key(error: &ConfigError, line: usize, key: &str) {
        let message = error.message();
        assert_eq!(message.code, Code::ConfigInvalidValue, "{message}");
        assert!(
            message
                .text
                .zh
                .contains(&format!("第 {line} 行的 {key} 有误")),
            "{message}"
        );
        assert!(
            message
                .text
                .en
                .contains(&format!("line {line}, key {key}:")),
            "{message}"
        );
    }

    #[test]
    fn values_refused_after_parsing_name_their_line_and_key() {
        let cases = [
            ("repeat_window_ms = 70000\n", 1, "repeat_window_ms"),
            ("loan_days = 14\ncache_mib = 2\n", 2, "cache_mib"),
            ("intake_scheme = \"no pe\"\n", 1, "intake_scheme"),
            (
                "[[workstation]]\nname = \"counter\"\n[[workstation]]\nname = \"counter\"\n",
                4,
                "[[workstation]] name",
            ),
            (
                "[[workstation]]\nname = \"counter\"\nprinter = \"zebra-9\"\n",
                3,
                "[[workstation]] printer",
            ),
            (
                "[[scanner]]\nname = \"s\"\nport = \"/dev/x\"\nworkstation = \"cart-9\"\n",
                4,
                "[[scanner]] workstation",
            ),
            (
                "[[printer]]\nname = \"p\"\nlanguage = \"pdf\"\nconnect = \"dir:///a\"\n\
                 [[printer]]\nname = \"p\"\nlanguage = \"pdf\"\nconnect = \"dir:///b\"\n",
                6,
                "[[printer]] name",
            ),
            (
                "[[scheme]]\nname = \"loan\"\ntemplate = \"L{seq}\"\n\
                 [[scheme]]\nname = \"loan\"\ntemplate = \"M{seq}\"\n",
                5,
                "[[scheme]] name",
            ),
        ];
        for (text, line, key) in cases {
            let error = Config::parse(text, "station.toml").expect_err(text);
            assert_line_and_key(&error, line, key);
        }
    }

    #[test]
    fn the_timezone_is_an_iana_name_and_an_unknown_one_is_refused_with_its_line() {
        let config = Config::parse(
            "loan_days = 30\ntimezone = \"Asia/Shanghai\"\n",
            "station.toml",
        )
        .expect("a known zone");
        assert_eq!(config.time_zone().name(), "Asia/Shanghai");
        assert_eq!(config.store_options().time_zone.name(), "Asia/Shanghai");
        for name in ["Asia/Shanghia", ""] {
            let text = format!("loan_days = 30\ntimezone = \"{name}\"\n");
            let error = Config::parse(&text, "station.toml").expect_err(&text);
            assert_line_and_key(&error, 2, "timezone");
            let ConfigError::Value { problem, .. } = &error else {
                panic!("{error}");
            };
            assert_eq!(problem.code, Code::ConfigUnknownTimeZone);
        }
    }

    #[test]
    fn the_readme_example_configuration_parses() {
        let readme = include_str!("../../README.md");
        let example = readme
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("a toml example in README.md");
        let config = Config::parse(example, "README.md").expect("the README example");
        assert_eq!(config.time_zone().name(), "Asia/Shanghai");
    }
}
