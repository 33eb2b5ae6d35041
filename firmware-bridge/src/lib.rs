//! Device codecs for archive station: the bytes a barcode scanner sends become
//! typed [`Scan`]s, and the commands the station sends back become bytes.
//! With the `serial` feature, also the port plumbing that drives them.
//!
//! # Overview
//!
//! Every codec here is pure: bytes in, values out, no I/O, no clock, no
//! threads. A test (or a fuzzer) can feed a decoder any bytes in any chunks.
//!
//! - [`scan`]: what a decoder produces. A [`Scan`] (barcode data plus its
//!   [`Symbology`]) and a [`Skipped`] report for every byte range that was
//!   not part of a scan, with its stream offset and the reason.
//! - [`aim`]: AIM symbology identifiers (`]C0`, `]Q1`, `]d2`, …) that a
//!   scanner can put in front of the data.
//! - [`line`](mod@line): the common serial setup where each scan is one line: optional
//!   fixed prefix, optional AIM identifier, data, terminator (CR, LF, CRLF or
//!   Tab).
//! - [`ssi`]: Zebra's Simple Serial Interface, a length-prefixed, checksummed
//!   packet protocol: DECODE_DATA in, CMD_ACK / BEEP / LED commands out.
//!
//! Both stream decoders are stateful: they take chunks as they arrive from the
//! port and return what those chunks completed. Noise is data, not failure: a
//! garbled line or a packet with a bad checksum becomes a [`Skipped`] entry
//! next to the good scans, and the decoder carries on with the next frame.
//! Feeding the same bytes in different chunks yields the same scans and the
//! same skipped entries.
//!
//! The `port` module, behind the `serial` feature (off by default, so the
//! codecs build without tokio), is the plumbing that drives these codecs:
//! it opens a serial port by path (including `/dev/serial/by-id/...`) with
//! tokio-serial, feeds what it reads to the decoder, writes the ACKs and
//! commands the scanner is owed, and reopens the port with back-off when the
//! device goes away. It is generic over `AsyncRead + AsyncWrite`, so a PTY, a
//! TCP socket or an in-memory duplex fit the same code.
//!
//! **Invariant:** the codecs never open a port, spawn a task or read a
//! clock. Only the `port` module does I/O, and it waits only on tokio's
//! clock, which tests pause.
//!
//! **Invariant:** no input makes a decoder panic or index past the end of a
//! buffer. Between calls a decoder holds at most one unfinished frame, capped
//! by its maximum length, so a runaway line or a garbage burst cannot grow it.
//!
//! # Example
//!
//! A scanner configured for AIM identifiers and a CR suffix; the bytes arrive
//! in two reads, with line noise in between.
//!
//! ```
//! use firmware_bridge::line::{LineConfig, LineDecoder, Terminator};
//! use firmware_bridge::{SkipReason, Symbology};
//!
//! let config = LineConfig { terminator: Terminator::Cr, ..LineConfig::default() };
//! let mut decoder = LineDecoder::new(config);
//!
//! let first = decoder.decode(b"]C0BOX-000");
//! assert!(first.scans.is_empty()); // the line is not finished yet
//!
//! let second = decoder.decode(b"123\r\0\0\r");
//! assert_eq!(second.scans.len(), 1);
//! assert_eq!(second.scans[0].symbology, Symbology::Code128);
//! assert_eq!(second.scans[0].data, b"BOX-000123");
//!
//! // The two NUL bytes were line noise: reported with their offset, not fatal.
//! assert_eq!(second.skipped.len(), 1);
//! assert_eq!(second.skipped[0].offset, 14);
//! assert_eq!(second.skipped[0].len, 2);
//! assert_eq!(second.skipped[0].reason, SkipReason::ControlBytes { first: 0x00 });
//! ```
#![deny(missing_docs)]

pub mod aim;
pub mod line;
#[cfg(feature = "serial")]
pub mod port;
pub mod scan;
pub mod ssi;
pub mod zpl;

pub use aim::AimId;
pub use scan::{Scan, SkipReason, Skipped, Symbology, SymbologyId, DEFAULT_MAX_LEN};
