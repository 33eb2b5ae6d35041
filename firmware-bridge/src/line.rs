//! Line framing: the serial setup where a scanner sends each barcode as one
//! line of `[prefix] [AIM identifier] data terminator`.
//!
//! This is what most scanners do out of the box in "RS-232 / USB serial"
//! mode, with the prefix, identifier and suffix set from the scanner's
//! programming guide. [`LineDecoder`] takes the bytes in whatever chunks the
//! port delivers and returns the completed scans plus a [`Skipped`] report for
//! everything else: control characters from line noise, lines without the
//! configured prefix, over-long lines, blank lines.
//!
//! Control characters inside a line are removed and reported, and the rest of
//! the line is still decoded: a stray NUL or XON in front of a scan must not
//! cost the clerk a re-scan. A scan corrupted by noise is caught one layer up,
//! by the check character every system barcode carries. Bytes 0x80 and above
//! are data, because 2D codes carry UTF-8 or GBK text.

use crate::aim::AimId;
use crate::scan::{Scan, SkipReason, Skipped, Symbology, SymbologyId, DEFAULT_MAX_LEN};

const CR: u8 = b'\r';
const LF: u8 = b'\n';
const TAB: u8 = b'\t';

/// The suffix the scanner is programmed to send after each barcode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Terminator {
    /// Carriage return, 0x0D: the usual factory default.
    #[default]
    Cr,
    /// Line feed, 0x0A.
    Lf,
    /// Carriage return then line feed. A CR not followed by LF is line noise.
    CrLf,
    /// Horizontal tab, 0x09.
    Tab,
}

impl Terminator {
    /// The terminator's bytes on the wire.
    pub const fn as_bytes(self) -> &'static [u8] {
        match self {
            Terminator::Cr => b"\r",
            Terminator::Lf => b"\n",
            Terminator::CrLf => b"\r\n",
            Terminator::Tab => b"\t",
        }
    }
}

/// Whether lines start with an AIM symbology identifier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AimIds {
    /// Strip an identifier when a line starts with one; a line without one
    /// gives a scan of [`Symbology::Unknown`].
    #[default]
    Detect,
    /// Every line must start with an identifier; a line without one is
    /// skipped as [`SkipReason::MissingAim`]. Use this when the scanner is
    /// programmed to send them, so a misconfigured scanner is noticed.
    Require,
    /// Never look for identifiers: data that happens to start with `]C0` is
    /// kept as is.
    Off,
}

/// Control characters that belong to barcode data and are kept: EOT, FS, GS,
/// RS and US. GS1 symbols separate element strings with GS, and the ISO/IEC
/// 15434 envelope used in 2D codes is framed with RS, GS and EOT.
pub const DATA_CONTROLS: [u8; 5] = [0x04, 0x1C, 0x1D, 0x1E, 0x1F];

/// How the scanner frames its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineConfig {
    /// The suffix after each barcode.
    pub terminator: Terminator,
    /// A fixed prefix before each barcode; empty for none. When set, a line
    /// without it is skipped, and bytes before it are skipped as noise. It may
    /// itself be a control character such as STX.
    pub prefix: Vec<u8>,
    /// Whether lines carry AIM identifiers.
    pub aim_ids: AimIds,
    /// The longest line accepted, in bytes, counting everything before the
    /// terminator. Longer lines are skipped whole and never buffered beyond
    /// this length.
    pub max_len: usize,
    /// Control characters kept as data rather than removed as noise.
    pub data_controls: Vec<u8>,
}

impl Default for LineConfig {
    fn default() -> Self {
        LineConfig {
            terminator: Terminator::default(),
            prefix: Vec::new(),
            aim_ids: AimIds::default(),
            max_len: DEFAULT_MAX_LEN,
            data_controls: DATA_CONTROLS.to_vec(),
        }
    }
}

impl LineConfig {
    fn is_noise(&self, byte: u8) -> bool {
        (byte < 0x20 || byte == 0x7F) && !self.data_controls.contains(&byte)
    }

    /// Decodes one complete line (terminator removed) that started at stream
    /// offset `start`.
    fn decode_line(&self, raw: &[u8], start: u64, out: &mut Decoded) {
        // Reports for parts of the line are held back until the line is known
        // to yield a scan; a line skipped whole gets one report, so reported
        // ranges never overlap.
        let mut parts = Vec::new();
        let whole_line = |reason: SkipReason| Skipped {
            offset: start,
            len: raw.len(),
            reason: self.whole_line_reason(raw, reason),
        };

        let body_start = if self.prefix.is_empty() {
            0
        } else {
            match find(raw, &self.prefix) {
                None => {
                    out.skipped.push(whole_line(SkipReason::MissingPrefix));
                    return;
                }
                Some(at) => {
                    if at > 0 {
                        parts.push(Skipped {
                            offset: start,
                            len: at,
                            reason: SkipReason::BeforePrefix,
                        });
                    }
                    at + self.prefix.len()
                }
            }
        };

        let body = raw.get(body_start..).unwrap_or_default();
        let mut data = Vec::with_capacity(body.len());
        let mut noise: Option<Skipped> = None;
        for (idx, &byte) in body.iter().enumerate() {
            if !self.is_noise(byte) {
                data.push(byte);
                parts.extend(noise.take());
                continue;
            }
            match &mut noise {
                Some(run) => run.len += 1,
                None => {
                    noise = Some(Skipped {
                        offset: start + (body_start + idx) as u64,
                        len: 1,
                        reason: SkipReason::ControlBytes { first: byte },
                    });
                }
            }
        }
        parts.extend(noise);

        let aim = match self.aim_ids {
            AimIds::Off => None,
            AimIds::Detect => AimId::decode(&data),
            AimIds::Require => match AimId::decode(&data) {
                Some(aim) => Some(aim),
                None => {
                    out.skipped.push(whole_line(SkipReason::MissingAim));
                    return;
                }
            },
        };
        if aim.is_some() {
            data.drain(..AimId::LEN.min(data.len()));
        }
        if data.is_empty() {
            out.skipped.push(whole_line(SkipReason::NoData));
            return;
        }

        out.skipped.extend(parts);
        out.scans.push(Scan {
            symbology: aim.map_or(Symbology::Unknown, |aim| aim.symbology()),
            id: aim.map(SymbologyId::Aim),
            data,
        });
    }

    /// A line made only of control characters is line noise, whatever else
    /// is wrong with it.
    fn whole_line_reason(&self, raw: &[u8], reason: SkipReason) -> SkipReason {
        match raw.first() {
            Some(&first) if raw.iter().all(|&byte| self.is_noise(byte)) => {
                SkipReason::ControlBytes { first }
            }
            _ => reason,
        }
    }
}

/// Position of the first occurrence of a non-empty `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// What a call to [`LineDecoder::decode`] or [`LineDecoder::finish`]
/// completed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Scans completed by this call, in stream order.
    pub scans: Vec<Scan>,
    /// Byte ranges skipped, in stream order.
    pub skipped: Vec<Skipped>,
}

impl Decoded {
    /// True when the call completed nothing.
    pub fn is_empty(&self) -> bool {
        self.scans.is_empty() && self.skipped.is_empty()
    }

    /// Moves everything in `other` to the end of `self`.
    pub fn append(&mut self, mut other: Decoded) {
        self.scans.append(&mut other.scans);
        self.skipped.append(&mut other.skipped);
    }
}

/// Turns a line-framed byte stream, in chunks of any size, into scans.
///
/// ```
/// use firmware_bridge::line::{LineConfig, LineDecoder, Terminator};
/// use firmware_bridge::SkipReason;
///
/// let mut decoder = LineDecoder::new(LineConfig {
///     terminator: Terminator::CrLf,
///     prefix: b"#".to_vec(),
///     max_len: 16,
///     ..LineConfig::default()
/// });
/// let out = decoder.decode(b"#BOX-1\r\n#THIS-LINE-IS-TOO-LONG\r\n#BOX-2\r");
/// assert_eq!(out.scans.len(), 1);
/// assert_eq!(out.scans[0].data, b"BOX-1");
/// assert_eq!(out.skipped[0].reason, SkipReason::TooLong { max_len: 16 });
///
/// // The last line's CR may be followed by LF in the next read.
/// let out = decoder.decode(b"\n");
/// assert_eq!(out.scans[0].data, b"BOX-2");
/// ```
#[derive(Clone, Debug)]
pub struct LineDecoder {
    config: LineConfig,
    /// The current line, up to `max_len` bytes.
    line: Vec<u8>,
    /// Stream offset of the current line's first byte.
    line_start: u64,
    /// Bytes in the current line so far, including those not buffered
    /// because the line is over-long.
    line_len: usize,
    /// CRLF only: the last byte was a CR that may start the terminator.
    pending_cr: bool,
    /// Stream offset of the next byte.
    offset: u64,
}

impl LineDecoder {
    /// A decoder at stream offset 0.
    pub fn new(config: LineConfig) -> LineDecoder {
        LineDecoder {
            config,
            line: Vec::new(),
            line_start: 0,
            line_len: 0,
            pending_cr: false,
            offset: 0,
        }
    }

    /// The framing this decoder expects.
    pub fn config(&self) -> &LineConfig {
        &self.config
    }

    /// Number of bytes fed so far: the stream offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Feeds the next chunk of the stream and returns the scans and skipped
    /// ranges it completed. An unfinished line is kept for the next call.
    pub fn decode(&mut self, chunk: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        for &byte in chunk {
            self.offset += 1;
            match self.config.terminator {
                Terminator::CrLf => {
                    if std::mem::take(&mut self.pending_cr) {
                        if byte == LF {
                            self.end_line(&mut out);
                            continue;
                        }
                        self.push(CR);
                    }
                    if byte == CR {
                        self.pending_cr = true;
                    } else {
                        self.push(byte);
                    }
                }
                Terminator::Cr => self.push_or_end(byte, CR, &mut out),
                Terminator::Lf => self.push_or_end(byte, LF, &mut out),
                Terminator::Tab => self.push_or_end(byte, TAB, &mut out),
            }
        }
        out
    }

    /// Ends the stream (or gives up on it after an idle gap): an unfinished
    /// line is reported as [`SkipReason::Incomplete`], or
    /// [`SkipReason::TooLong`] if it was already over-long. The decoder stays
    /// usable and keeps counting offsets.
    pub fn finish(&mut self) -> Decoded {
        let mut out = Decoded::default();
        if std::mem::take(&mut self.pending_cr) {
            self.push(CR);
        }
        if self.line_len > 0 {
            let reason = if self.line_len > self.config.max_len {
                SkipReason::TooLong {
                    max_len: self.config.max_len,
                }
            } else {
                SkipReason::Incomplete
            };
            out.skipped.push(Skipped {
                offset: self.line_start,
                len: self.line_len,
                reason,
            });
        }
        self.reset_line();
        out
    }

    fn push_or_end(&mut self, byte: u8, terminator: u8, out: &mut Decoded) {
        if byte == terminator {
            self.end_line(out);
        } else {
            self.push(byte);
        }
    }

    fn push(&mut self, byte: u8) {
        self.line_len = self.line_len.saturating_add(1);
        if self.line_len <= self.config.max_len {
            self.line.push(byte);
        } else if !self.line.is_empty() {
            // Over-long: drop what was buffered and only count from here on.
            self.line = Vec::new();
        }
    }

    /// Called after the terminator's last byte has been counted.
    fn end_line(&mut self, out: &mut Decoded) {
        if self.line_len > self.config.max_len {
            out.skipped.push(Skipped {
                offset: self.line_start,
                len: self.line_len,
                reason: SkipReason::TooLong {
                    max_len: self.config.max_len,
                },
            });
        } else if self.line_len == 0 {
            // A bare terminator: reported at its own offset, with no bytes.
            let terminator_len = self.config.terminator.as_bytes().len() as u64;
            out.skipped.push(Skipped {
                offset: self.offset - terminator_len,
                len: 0,
                reason: SkipReason::NoData,
            });
        } else {
            self.config.decode_line(&self.line, self.line_start, out);
        }
        self.reset_line();
    }

    fn reset_line(&mut self) {
        self.line.clear();
        self.line_len = 0;
        self.line_start = self.offset;
    }
}
