//! Label printers: transports (raw TCP, serial, CUPS, a directory) and printer status.
//!
//! # Overview
//!
//! A printer is configured by name, with the language it takes and how to reach it
//! ([`PrinterConfig`], the `[[printer]]` tables of `station.toml`):
//!
//! - `tcp://host:9100`: raw TCP, the usual way to a networked Zebra;
//! - `serial:///dev/ttyUSB1`: a serial port, opened with firmware-bridge's
//!   [`SerialOpener`](firmware_bridge::port::SerialOpener);
//! - `cups://QUEUE` or `cups://server:631/QUEUE`: a CUPS queue, through `lp` (ZPL jobs go
//!   with `-o raw`);
//! - `dir://./station-data/labels`: a directory that receives each job as a `.zpl` or
//!   `.pdf` file, written atomically, the default that needs no hardware.
//!
//! [`Printer::send`] delivers one job's bytes; [`Printer::status`] asks a ZPL printer
//! (TCP or serial) for its `~HS` host status and decodes the answer with
//! [`firmware_bridge::zpl`]; [`Printer::ready`] turns the faults in it into an error.
//!
//! **Invariant:** a job is delivered whole or reported as failed: a directory never shows a
//! half-written file (temp file, fsync, then renamed into place, then the directory
//! synced), and CUPS accepted the job only if `lp` said so.
//!
//! **Invariant:** a directory printer delivers a named job exactly once: the file is named
//! after the job, so a second delivery of it (after a crash) replaces the file with the
//! same bytes. Raw TCP and serial printers cannot tell a job already printed: for them
//! delivery is at least once, and the print queue records each delivery before it begins
//! so that a re-delivery is known (see `devices/printer.rs`).
//!
//! **Invariant:** a printer that does not answer `~HS` within the status timeout counts as
//! faulted ([`PrintError::NoAnswer`]): Zebra printers keep silent while out of media or
//! ribbon, or with the head open.
//!
//! **Invariant:** one printer does one thing at a time: sends and status requests to the
//! same [`Printer`] are serialized, so a status answer is never read by a job's connection
//! and a serial port is never opened twice.
//!
//! What is deliberately absent: a queue. A failed send is reported, not retried; the print
//! queue (persisted in the store) decides when to try again.
//!
//! # Example
//!
//! ```
//! use station::printer::{Language, Printer, PrinterConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let labels = tempfile::tempdir()?;
//! let config = PrinterConfig {
//!     name: "counter-pdf".into(),
//!     language: Language::Pdf,
//!     dpi: 300,
//!     connect: format!("dir://{}", labels.path().display()).parse()?,
//! };
//! let printer = Printer::new(config);
//! let delivery = printer.send_named("B000000123", b"%PDF-1.4 ...", Language::Pdf).await?;
//! let file = delivery.file().expect("a directory printer writes a file");
//! assert_eq!(file, labels.path().join("B000000123.pdf"));
//! # Ok(()) }
//! ```

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::message;
use crate::message::{display_by_message, Bilingual, Message};

pub use firmware_bridge::zpl::{Condition, PrintMode, PrinterStatus, StatusError};

mod connect;
mod cups;
mod dir;
#[cfg(test)]
pub(crate) use dir::file_names;
mod stream;

pub use connect::{Connect, ConnectError, DEFAULT_BAUD, DEFAULT_TCP_PORT};

/// The language a printer takes, and the kind of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Zebra Programming Language: label printers.
    Zpl,
    /// PDF: office printers through CUPS, or files.
    Pdf,
}

impl Language {
    /// The file extension of a job in this language: `zpl` or `pdf`.
    pub fn extension(self) -> &'static str {
        match self {
            Language::Zpl => "zpl",
            Language::Pdf => "pdf",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// One `[[printer]]` of `station.toml`.
///
/// ```
/// use station::printer::{Connect, Language, PrinterConfig};
///
/// let config: PrinterConfig = toml::from_str(r#"
///     name = "zebra-1"
///     language = "zpl"
///     connect = "tcp://192.168.10.20:9100"
/// "#)?;
/// assert_eq!(config.dpi, 203);
/// assert_eq!(config.connect, Connect::Tcp { host: "192.168.10.20".into(), port: 9100 });
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrinterConfig {
    /// The name workstations use for it, e.g. `zebra-1`. Named in every error.
    #[schemars(length(min = 1))]
    pub name: String,
    /// What it takes: ZPL or PDF.
    pub language: Language,
    /// Print resolution in dots per inch (203, 300 or 600 for Zebra); label layout needs it.
    #[serde(default = "default_dpi")]
    pub dpi: u32,
    /// How to reach it; see [`Connect`].
    pub connect: Connect,
}

fn default_dpi() -> u32 {
    203
}

/// How long each step may take before the printer counts as failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening a TCP connection or a serial port.
    pub connect: Duration,
    /// Writing a whole job (a printer that stops reading, e.g. out of paper with a full
    /// buffer, stalls the write).
    pub write: Duration,
    /// From sending `~HS` to the end of the answer.
    pub status: Duration,
    /// A run of `lp`, from start to exit.
    pub cups: Duration,
}

impl Default for Timeouts {
    /// 5 s to connect, 30 s to write a job, 3 s for a status answer, 60 s for `lp`.
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(5),
            write: Duration::from_secs(30),
            status: Duration::from_secs(3),
            cups: Duration::from_secs(60),
        }
    }
}

/// What became of a job that was delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// All bytes were written to the printer's socket or serial port.
    Sent,
    /// CUPS accepted the job: `lp` answered with this request id (e.g. `archive-pdf-12`).
    Queued {
        /// The CUPS request id, or `lp`'s answer as it was when it had none.
        request_id: String,
    },
    /// The job was written to this file.
    File(PathBuf),
}

impl Delivery {
    /// The file a directory printer wrote.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            Delivery::File(path) => Some(path),
            Delivery::Sent | Delivery::Queued { .. } => None,
        }
    }
}

/// The step of a job or status request that timed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Connecting (TCP) or opening the port (serial).
    Connect,
    /// Writing the job or the `~HS` request.
    Write,
    /// Running `lp`.
    Lp,
}

impl Step {
    /// What was under way, in Chinese and English: `(zh, en)`.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Step::Connect => ("连接时", "connecting"),
            Step::Write => ("发送时", "writing"),
            Step::Lp => ("运行 lp 时", "running lp"),
        }
    }
}

/// Why a job or a status request failed. Every variant names the printer and its transport
/// (the `connect` address); [`PrintError::message`] says it in both languages.
#[derive(Debug)]
pub enum PrintError {
    /// The job is in another language than the printer takes.
    WrongLanguage {
        /// The printer's name.
        printer: String,
        /// What the printer takes.
        expected: Language,
        /// What the job is.
        got: Language,
    },
    /// The connection or port could not be opened.
    Connect {
        /// The printer's name.
        printer: String,
        /// Its `connect` address.
        transport: String,
        /// What the system said.
        source: io::Error,
    },
    /// Writing to the printer failed.
    Write {
        /// The printer's name.
        printer: String,
        /// Its `connect` address.
        transport: String,
        /// What the system said.
        source: io::Error,
    },
    /// A step took longer than its [`Timeouts`] allow.
    Timeout {
        /// The printer's name.
        printer: String,
        /// Its `connect` address.
        transport: String,
        /// What was under way.
        step: Step,
        /// The limit that passed.
        after: Duration,
    },
    /// No complete answer to `~HS` within the status timeout: counts as a fault.
    NoAnswer {
        /// The printer's name.
        printer: String,
        /// Its `connect` address.
        transport: String,
        /// The status timeout.
        after: Duration,
        /// How many bytes of an answer had arrived.
        received: usize,
    },
    /// Reading the answer failed, or the printer closed the connection before its end.
    Read {
        /// The printer's name.
        printer: String,
        /// Its `connect` address.
        transport: String,
        /// What the system said (`UnexpectedEof` for a closed connection).
        source: io::Error,
    },
    /// The answer to `~HS` is malformed.
    BadStatus {
        /// The printer's name.
        printer: String,
        /// Its `connect` address.
        transport: String,
        /// What is wrong with it.
        source: StatusError,
    },
    /// The printer answered, and reports faults.
    Faulted {
        /// The printer's name.
        printer: String,
        /// Its `connect` address.
        transport: String,
        /// What is wrong, see [`Condition`].
        faults: Vec<Condition>,
        /// The whole status.
        status: Box<PrinterStatus>,
    },
    /// Status is asked of a printer that cannot give it: a PDF printer, a CUPS queue or a
    /// directory.
    StatusUnsupported {
        /// The printer's name.
        printer: String,
        /// Its `connect` address.
        transport: String,
    },
    /// `lp` could not be started or fed.
    LpSpawn {
        /// The printer's name.
        printer: String,
        /// Its `connect` address.
        transport: String,
        /// What the system said (`NotFound`: the cups-client package is missing).
        source: io::Error,
    },
    /// `lp` refused the job.
    LpFailed {
        /// The printer's name.
        printer: String,
        /// Its `connect` address.
        transport: String,
        /// `lp`'s exit code, if it exited.
        code: Option<i32>,
        /// What `lp` wrote to its standard error.
        message: String,
    },
    /// Writing the job file failed.
    File {
        /// The printer's name.
        printer: String,
        /// Its `connect` address.
        transport: String,
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The job name cannot be a file name.
    BadJobName {
        /// The printer's name.
        printer: String,
        /// The name as given.
        name: String,
    },
}

impl PrintError {
    /// What to tell people.
    pub fn message(&self) -> Message {
        match self {
            PrintError::WrongLanguage {
                printer,
                expected,
                got,
            } => message!(
                PrinterWrongLanguage,
                printer = printer,
                expected = expected.to_string(),
                got = got.to_string()
            ),
            PrintError::Connect {
                printer,
                transport,
                source,
            } => message!(
                PrinterConnectFailed,
                printer = printer,
                transport = transport,
                reason = source
            ),
            PrintError::Write {
                printer,
                transport,
                source,
            } => message!(
                PrinterWriteFailed,
                printer = printer,
                transport = transport,
                reason = source
            ),
            PrintError::Timeout {
                printer,
                transport,
                step,
                after,
            } => message!(
                PrinterTimeout,
                printer = printer,
                transport = transport,
                step = step.words(),
                after = format!("{after:?}")
            ),
            PrintError::NoAnswer {
                printer,
                transport,
                after,
                ..
            } => message!(
                PrinterNoAnswer,
                printer = printer,
                transport = transport,
                after = format!("{after:?}")
            ),
            PrintError::Read {
                printer,
                transport,
                source,
            } => message!(
                PrinterReadFailed,
                printer = printer,
                transport = transport,
                reason = source
            ),
            PrintError::BadStatus {
                printer,
                transport,
                source,
            } => message!(
                PrinterBadStatus,
                printer = printer,
                transport = transport,
                reason = source.to_string()
            ),
            PrintError::Faulted {
                printer,
                transport,
                faults,
                ..
            } => {
                let faults = faults
                    .iter()
                    .map(|fault| condition_message(*fault).text)
                    .reduce(|all, fault| all.join(&fault))
                    .unwrap_or_else(|| Bilingual::new("", ""));
                message!(
                    PrinterFaulted,
                    printer = printer,
                    transport = transport,
                    faults = faults
                )
            }
            PrintError::StatusUnsupported { printer, transport } => message!(
                PrinterStatusUnsupported,
                printer = printer,
                transport = transport
            ),
            PrintError::LpSpawn {
                printer,
                transport,
                source,
            } => message!(
                PrinterLpSpawnFailed,
                printer = printer,
                transport = transport,
                reason = source
            ),
            PrintError::LpFailed {
                printer,
                transport,
                message,
                ..
            } => message!(
                PrinterLpRefused,
                printer = printer,
                transport = transport,
                reason = message
            ),
            PrintError::File {
                printer,
                transport,
                path,
                source,
            } => message!(
                PrinterFileFailed,
                printer = printer,
                transport = transport,
                path = path.display().to_string(),
                reason = source
            ),
            PrintError::BadJobName { printer, name } => message!(
                PrinterBadJobName,
                printer = printer,
                name = format!("{name:?}")
            ),
        }
    }

    /// The printer the error is about.
    pub fn printer(&self) -> &str {
        match self {
            PrintError::WrongLanguage { printer, .. }
            | PrintError::Connect { printer, .. }
            | PrintError::Write { printer, .. }
            | PrintError::Timeout { printer, .. }
            | PrintError::NoAnswer { printer, .. }
            | PrintError::Read { printer, .. }
            | PrintError::BadStatus { printer, .. }
            | PrintError::Faulted { printer, .. }
            | PrintError::StatusUnsupported { printer, .. }
            | PrintError::LpSpawn { printer, .. }
            | PrintError::LpFailed { printer, .. }
            | PrintError::File { printer, .. }
            | PrintError::BadJobName { printer, .. } => printer,
        }
    }
}

display_by_message!(PrintError);

/// What a printer's status [`Condition`] means, for people (the station's words for it, not
/// firmware-bridge's).
pub fn condition_message(condition: Condition) -> Message {
    match condition {
        Condition::PaperOut => message!(PrinterPaperOut),
        Condition::RibbonOut => message!(PrinterRibbonOut),
        Condition::HeadOpen => message!(PrinterHeadOpen),
        Condition::Paused => message!(PrinterPaused),
        Condition::OverTemperature => message!(PrinterOverTemperature),
        Condition::DiagnosticMode => message!(PrinterDiagnosticMode),
        Condition::UnderTemperature => message!(PrinterUnderTemperature),
        Condition::CorruptRam => message!(PrinterCorruptRam),
        Condition::BufferFull => message!(PrinterBufferFull),
    }
}

/// Who the errors are about: the printer's name and its `connect` address.
#[derive(Clone, Debug)]
struct Names {
    printer: String,
    transport: String,
}

/// One configured printer.
#[derive(Debug)]
pub struct Printer {
    config: PrinterConfig,
    names: Names,
    timeouts: Timeouts,
    /// Held while a job or a status request talks to the device.
    busy: Mutex<()>,
}

impl Printer {
    /// A printer with the default [`Timeouts`]. Nothing is opened until it is used.
    pub fn new(config: PrinterConfig) -> Printer {
        let names = Names {
            printer: config.name.clone(),
            transport: config.connect.to_string(),
        };
        Printer {
            config,
            names,
            timeouts: Timeouts::default(),
            busy: Mutex::new(()),
        }
    }

    /// The same printer with other timeouts.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Printer {
        self.timeouts = timeouts;
        self
    }

    /// Its configuration.
    pub fn config(&self) -> &PrinterConfig {
        &self.config
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Delivers one job: `job` is the whole ZPL or PDF document, `kind` its language, which
    /// must be the printer's. A directory printer names the file after the printer and the
    /// time; see [`send_named`](Self::send_named).
    pub async fn send(&self, job: &[u8], kind: Language) -> Result<Delivery, PrintError> {
        self.deliver(None, job, kind).await
    }

    /// Like [`send`](Self::send), with a job name that identifies the job: the file name
    /// (without extension) for a directory printer, where a file of that name is the same
    /// job delivered before and is replaced (so a job sent twice is one file), and the job
    /// title (`lp -t`) for CUPS. Raw TCP and serial ignore it.
    pub async fn send_named(
        &self,
        name: &str,
        job: &[u8],
        kind: Language,
    ) -> Result<Delivery, PrintError> {
        self.deliver(Some(name), job, kind).await
    }

    async fn deliver(
        &self,
        name: Option<&str>,
        job: &[u8],
        kind: Language,
    ) -> Result<Delivery, PrintError> {
        if kind != self.config.language {
            return Err(PrintError::WrongLanguage {
                printer: self.names.printer.clone(),
                expected: self.config.language,
                got: kind,
            });
        }
        let _busy = self.busy.lock().await;
        match &self.config.connect {
            Connect::Tcp { host, port } => {
                let mut socket = stream::open_tcp(&self.names, self.timeouts, host, *port).await?;
                stream::write_job(&self.names, self.timeouts, &mut socket, job).await?;
                Ok(Delivery::Sent)
            }
            Connect::Serial { path, baud } => {
                let mut port = stream::open_serial(&self.names, self.timeouts, path, *baud).await?;
                stream::write_job(&self.names, self.timeouts, &mut port, job).await?;
                Ok(Delivery::Sent)
            }
            Connect::Cups { queue, server } => {
                let request = cups::Request {
                    queue,
                    server: server.as_deref(),
                    title: name,
                    raw: kind == Language::Zpl,
                };
                cups::submit(&self.names, self.timeouts.cups, &request, job).await
            }
            Connect::Dir { path } => dir::write(&self.names, path, name, kind, job).await,
        }
    }

    /// Asks a ZPL printer on TCP or serial for its `~HS` host status, and waits for the
    /// answer at most [`Timeouts::status`]. The status may report faults; see
    /// [`ready`](Self::ready) for an error when it does.
    pub async fn status(&self) -> Result<PrinterStatus, PrintError> {
        if self.config.language != Language::Zpl {
            return Err(self.status_unsupported());
        }
        let _busy = self.busy.lock().await;
        match &self.config.connect {
            Connect::Tcp { host, port } => {
                let mut socket = stream::open_tcp(&self.names, self.timeouts, host, *port).await?;
                stream::query_status(&self.names, self.timeouts, &mut socket).await
            }
            Connect::Serial { path, baud } => {
                let mut port = stream::open_serial(&self.names, self.timeouts, path, *baud).await?;
                stream::query_status(&self.names, self.timeouts, &mut port).await
            }
            Connect::Cups { .. } | Connect::Dir { .. } => Err(self.status_unsupported()),
        }
    }

    /// [`status`](Self::status), with faults (paper out, head open, …) as
    /// [`PrintError::Faulted`]. No answer is [`PrintError::NoAnswer`], a fault as well.
    pub async fn ready(&self) -> Result<PrinterStatus, PrintError> {
        let status = self.status().await?;
        let faults = status.faults();
        if faults.is_empty() {
            Ok(status)
        } else {
            Err(PrintError::Faulted {
                printer: self.names.printer.clone(),
                transport: self.names.transport.clone(),
                faults,
                status: Box::new(status),
            })
        }
    }

    fn status_unsupported(&self) -> PrintError {
        PrintError::StatusUnsupported {
            printer: self.names.printer.clone(),
            transport: self.names.transport.clone(),
        }
    }
}
