//! The port plumbing (feature `serial`): open a scanner's port, feed what it
//! sends to the right decoder, write the replies and commands it is owed, and
//! reopen it with back-off when it goes away.
//!
//! # Overview
//!
//! One [`run_device`] task runs per device. It talks to the rest of the
//! station through channels only: it sends [`DeviceEvent`]s (connected,
//! scans, skipped bytes, disconnected, …) and receives [`Command`]s (BEEP,
//! LED) to write to the scanner. It owns its port and nothing else, so a
//! device that misbehaves, disappears or floods the line with garbage
//! affects its own task and no other.
//!
//! The task is generic over the stream, through the [`Opener`] trait:
//! [`SerialOpener`] opens a real serial port with tokio-serial, and a PTY, a
//! TCP socket or an in-memory duplex fit the same code.
//!
//! **Invariant:** [`run_device`] never panics and never gives up on a
//! device. It returns only when its shutdown future completes or nobody
//! receives its events any more.
//!
//! **Invariant:** all waiting goes through tokio's clock (`tokio::time`), so
//! tests pause and advance it instead of sleeping.
//!
//! # Example
//!
//! In the station the opener is [`SerialOpener`] and the path a
//! `/dev/serial/by-id/...` name; here an in-memory pipe stands in for the
//! scanner.
//!
//! ```
//! use std::io;
//! use firmware_bridge::line::LineConfig;
//! use firmware_bridge::port::{run_device, DeviceEvent, PortConfig, Protocol};
//! use tokio::io::AsyncWriteExt;
//! use tokio::sync::{mpsc, oneshot};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> io::Result<()> {
//! let config = PortConfig::new(
//!     "/dev/serial/by-id/usb-Honeywell_Scanner-if00",
//!     Protocol::Line(LineConfig::default()),
//! );
//! let (port_end, mut scanner) = tokio::io::duplex(64);
//! let mut port_end = Some(port_end);
//! let opener = move |_: &PortConfig| {
//!     let stream = port_end.take().ok_or(io::ErrorKind::NotFound.into());
//!     async move { stream }
//! };
//!
//! let (event_tx, mut events) = mpsc::channel(16);
//! let (_command_tx, commands) = mpsc::channel(4);
//! let (stop, stopped) = oneshot::channel::<()>();
//! let shutdown = async {
//!     let _ = stopped.await;
//! };
//! let device = tokio::spawn(run_device(config, opener, event_tx, commands, shutdown));
//!
//! scanner.write_all(b"BOX-000123\r").await?;
//! assert!(matches!(events.recv().await, Some(DeviceEvent::Connected)));
//! match events.recv().await {
//!     Some(DeviceEvent::Scan(scan)) => assert_eq!(scan.data, b"BOX-000123"),
//!     other => panic!("expected a scan, got {other:?}"),
//! }
//!
//! let _ = stop.send(());
//! device.await?;
//! # Ok(())
//! # }
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;

use crate::line::LineConfig;
use crate::scan::{Scan, Skipped};
use crate::ssi::{Command, Message};

mod backoff;
mod device;
mod opener;

pub use backoff::Backoff;
pub use device::run_device;
pub use opener::{Opener, SerialOpener, SerialStream};

/// Parity bit setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Parity {
    /// No parity bit: the usual setting.
    #[default]
    None,
    /// Odd parity.
    Odd,
    /// Even parity.
    Even,
}

/// Data bits per character.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DataBits {
    /// 5 bits.
    Five,
    /// 6 bits.
    Six,
    /// 7 bits, usually with even or odd parity.
    Seven,
    /// 8 bits: the usual setting, and required for SSI and for 2D codes
    /// carrying UTF-8 or GBK text.
    #[default]
    Eight,
}

/// Stop bits per character.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StopBits {
    /// One stop bit: the usual setting.
    #[default]
    One,
    /// Two stop bits.
    Two,
}

/// Flow control on the serial line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FlowControl {
    /// None: the usual setting for scanners.
    #[default]
    None,
    /// XON/XOFF. Only for line scanners: SSI packets may contain the XON and
    /// XOFF bytes.
    Software,
    /// RTS/CTS.
    Hardware,
}

/// How the scanner frames what it sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// One barcode per line; see [`crate::line`]. Such scanners take no
    /// commands: [`Command`]s sent to them are dropped and reported.
    Line(LineConfig),
    /// Zebra SSI packets; see [`crate::ssi`]. Every DECODE_DATA and EVENT
    /// packet is acknowledged, and [`Command`]s are written to the scanner.
    Ssi,
}

/// Everything needed to open and drive one device.
#[derive(Clone, Debug, PartialEq)]
pub struct PortConfig {
    /// The port, e.g. `/dev/serial/by-id/usb-Zebra_..._Scanner-if00` or
    /// `/dev/ttyUSB0`. Also names the device in every [`PortError`].
    pub path: PathBuf,
    /// Line speed in bits per second.
    pub baud: u32,
    /// Parity bit.
    pub parity: Parity,
    /// Data bits per character.
    pub data_bits: DataBits,
    /// Stop bits per character.
    pub stop_bits: StopBits,
    /// Flow control.
    pub flow_control: FlowControl,
    /// How the scanner frames its data.
    pub protocol: Protocol,
    /// When the line has been quiet this long after the last bytes, an
    /// unfinished frame is given up (the decoder's `finish`) and reported as
    /// skipped, instead of being glued to the next scan. A scanner sends a
    /// frame's bytes back to back, so a second is generous.
    pub idle_timeout: Duration,
    /// A write to the device (an ACK or a command) that has not completed
    /// after this long means the device has stopped taking bytes: the
    /// connection is dropped and reopened.
    pub write_timeout: Duration,
    /// Waits between attempts to reopen the port.
    pub backoff: Backoff,
}

impl PortConfig {
    /// The config for a port at `path` speaking `protocol`, with the usual
    /// settings: 9600 baud, 8 data bits, no parity, 1 stop bit, no flow
    /// control, a 1 s idle timeout, a 2 s write timeout and the default
    /// [`Backoff`]. Change fields with struct update syntax:
    ///
    /// ```
    /// use firmware_bridge::port::{Parity, PortConfig, Protocol};
    ///
    /// let config = PortConfig {
    ///     baud: 115_200,
    ///     parity: Parity::Even,
    ///     ..PortConfig::new("/dev/ttyUSB0", Protocol::Ssi)
    /// };
    /// assert_eq!(config.baud, 115_200);
    /// ```
    pub fn new(path: impl Into<PathBuf>, protocol: Protocol) -> PortConfig {
        PortConfig {
            path: path.into(),
            baud: 9600,
            parity: Parity::default(),
            data_bits: DataBits::default(),
            stop_bits: StopBits::default(),
            flow_control: FlowControl::default(),
            protocol,
            idle_timeout: Duration::from_secs(1),
            write_timeout: Duration::from_secs(2),
            backoff: Backoff::default(),
        }
    }
}

/// What a device task reports.
///
/// Within what one read completed, events come as skipped ranges, then
/// scanner messages, then scans. Offsets in [`Skipped`] count the bytes
/// received from this device since its task started, across reconnects.
#[derive(Debug)]
pub enum DeviceEvent {
    /// The port is open and being read.
    Connected,
    /// A barcode was read.
    Scan(Scan),
    /// Bytes that did not become a scan, and why: line noise, a malformed
    /// frame, a retransmission, a frame cut off by a disconnect.
    Skipped(Skipped),
    /// SSI only: a packet from the scanner that is not a barcode, such as the
    /// ACK or NAK for a command we sent, or an EVENT.
    Message(Message),
    /// A command was not written to the device.
    CommandDropped {
        /// The command.
        command: Command,
        /// Why it was not written.
        reason: DropReason,
    },
    /// An attempt to open the port failed; the next comes after `retry_in`.
    OpenFailed {
        /// Why the open failed.
        reason: PortError,
        /// The wait before the next attempt.
        retry_in: Duration,
    },
    /// The connection was lost; reopening starts after `retry_in`. A
    /// command whose write failed is lost with the connection.
    Disconnected {
        /// Why the connection ended.
        reason: PortError,
        /// The wait before the first attempt to reopen.
        retry_in: Duration,
    },
}

/// Why a command was not written to the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The device speaks [`Protocol::Line`], which has no commands.
    Unsupported,
    /// The port was not open. Commands are not queued for later: a beep
    /// minutes after the scan it answers would mislead the clerk.
    NotConnected,
}

/// Why a port could not be opened, or stopped working.
#[derive(Debug, Error)]
pub enum PortError {
    /// Opening the port failed, e.g. it does not exist (unplugged), is in use
    /// or refuses the line settings.
    #[error("cannot open {}: {error}", path.display())]
    Open {
        /// The port.
        path: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// Reading failed, e.g. the USB device was unplugged.
    #[error("reading {} failed: {error}", path.display())]
    Read {
        /// The port.
        path: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// Writing failed.
    #[error("writing to {} failed: {error}", path.display())]
    Write {
        /// The port.
        path: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// A write did not complete within [`PortConfig::write_timeout`].
    #[error("writing to {} did not finish within {timeout:?}: the device stopped taking bytes", path.display())]
    WriteTimeout {
        /// The port.
        path: PathBuf,
        /// The limit that passed.
        timeout: Duration,
    },
    /// The stream ended: the other side closed it.
    #[error("{} was closed by the device (end of stream)", path.display())]
    Closed {
        /// The port.
        path: PathBuf,
    },
}

impl PortError {
    /// The port the error is about.
    pub fn path(&self) -> &Path {
        match self {
            PortError::Open { path, .. }
            | PortError::Read { path, .. }
            | PortError::Write { path, .. }
            | PortError::WriteTimeout { path, .. }
            | PortError::Closed { path } => path,
        }
    }

    /// The system's error, when there is one.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            PortError::Open { error, .. }
            | PortError::Read { error, .. }
            | PortError::Write { error, .. } => Some(error),
            PortError::WriteTimeout { .. } | PortError::Closed { .. } => None,
        }
    }
}
