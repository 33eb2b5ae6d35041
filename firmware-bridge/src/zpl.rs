//! Zebra ZPL II printer status: the `~HS` host status request, and a decoder
//! for the printer's three-string answer.
//!
//! The station asks a label printer how it is with `~HS`; the printer answers
//! with three strings, each `<STX> fields <ETX><CR><LF>` (ZPL II Programming
//! Guide, "ZPL Commands" → "~HS Host Status Return"; 45541L-004 Rev. A,
//! pp. 171–173):
//!
//! ```text
//! string 1: <STX>aaa,b,c,dddd,eee,f,g,h,iii,j,k,l<ETX><CR><LF>
//! string 2: <STX>mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www<ETX><CR><LF>
//! string 3: <STX>xxxx,y<ETX><CR><LF>
//! ```
//!
//! [`PrinterStatus::decode`] turns those bytes into a [`PrinterStatus`]. Like
//! the other decoders in this crate it says "need more bytes" with
//! `Ok(None)`, so a reader can call it again on what it has received so far,
//! and it never panics or indexes past the end of its input.
//!
//! Zebra's current manual adds that a printer may not answer `~HS` at all
//! while its media or ribbon is out, its head is open, its rewinder is full
//! or its head is too hot: a caller must treat *no answer* as a fault too.
//!
//! ```
//! use firmware_bridge::zpl::{Condition, HostStatusRequest, PrinterStatus};
//!
//! let mut request = Vec::new();
//! HostStatusRequest.encode(&mut request);
//! assert_eq!(request, b"~HS");
//!
//! let answer = b"\x02030,1,0,1234,000,0,0,0,000,0,0,0\x03\r\n\
//!                \x02001,0,1,0,0,2,6,0,00000000,1,000\x03\r\n\
//!                \x021234,0\x03\r\n";
//! // The first 20 bytes are not a whole answer yet.
//! assert_eq!(PrinterStatus::decode(&answer[..20]), Ok(None));
//! let (status, used) = PrinterStatus::decode(answer)?.expect("a whole answer");
//! assert_eq!(used, answer.len());
//! assert!(status.paper_out && status.head_open);
//! assert_eq!(status.faults(), [Condition::PaperOut, Condition::HeadOpen]);
//! # Ok::<(), firmware_bridge::zpl::StatusError>(())
//! ```

use std::fmt;

use thiserror::Error;

/// Start of text: opens each status string.
pub const STX: u8 = 0x02;
/// End of text: closes each status string, followed by CR LF.
pub const ETX: u8 = 0x03;
/// The `~HS` command itself. The tilde makes it a control command: the
/// printer acts on it as soon as it arrives, ahead of queued formats.
pub const HOST_STATUS_REQUEST: &[u8] = b"~HS";
/// The longest body (between STX and ETX) accepted. The manual's longest
/// string (string 2) is 33 bytes; the margin leaves room for firmware that
/// appends fields, and the cap keeps a garbage stream from being buffered
/// forever.
pub const MAX_STRING_LEN: usize = 96;

/// The host status request, `~HS`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HostStatusRequest;

impl HostStatusRequest {
    /// Appends `~HS` to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(HOST_STATUS_REQUEST);
    }
}

/// Field `r` of string 2: what the printer does with a printed label.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PrintMode {
    /// 0: the liner (or the labels) are rewound.
    Rewind,
    /// 1: the label is peeled off the liner.
    PeelOff,
    /// 2: the label is torn off by hand: the usual setting.
    #[default]
    TearOff,
    /// 3: the cutter cuts each label.
    Cutter,
    /// 4: an applicator takes the label.
    Applicator,
    /// 5: delayed cut (newer firmware).
    DelayedCut,
    /// Any other value (reserved, or modes of newer firmware).
    Other(u8),
}

impl PrintMode {
    fn from_code(code: u8) -> PrintMode {
        match code {
            0 => PrintMode::Rewind,
            1 => PrintMode::PeelOff,
            2 => PrintMode::TearOff,
            3 => PrintMode::Cutter,
            4 => PrintMode::Applicator,
            5 => PrintMode::DelayedCut,
            other => PrintMode::Other(other),
        }
    }

    fn code(self) -> u8 {
        match self {
            PrintMode::Rewind => 0,
            PrintMode::PeelOff => 1,
            PrintMode::TearOff => 2,
            PrintMode::Cutter => 3,
            PrintMode::Applicator => 4,
            PrintMode::DelayedCut => 5,
            PrintMode::Other(code) => code,
        }
    }
}

/// A printer's answer to `~HS`, field by field (ZPL II Programming Guide,
/// "~HS Host Status Return"). The letters in brackets are the manual's
/// field names.
///
/// The password of string 3 (`xxxx`) is deliberately not kept: it has no
/// business in logs or status pages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PrinterStatus {
    /// \[aaa\] Communication settings: baud rate, data and stop bits,
    /// parity, handshake, as the bits of a decimal number.
    pub interface_settings: u16,
    /// \[b\] Out of paper (media).
    pub paper_out: bool,
    /// \[c\] Paused: the printer prints nothing until someone presses PAUSE
    /// (or the host sends `~PS`).
    pub paused: bool,
    /// \[dddd\] Label length, in dots.
    pub label_length_dots: u32,
    /// \[eee\] Formats waiting in the receive buffer.
    pub formats_in_buffer: u32,
    /// \[f\] The receive buffer is full.
    pub buffer_full: bool,
    /// \[g\] Communications diagnostic mode is on: the printer prints what
    /// it receives as hex instead of labels.
    pub diagnostic_mode: bool,
    /// \[h\] A format is partly received.
    pub partial_format: bool,
    /// \[j\] Configuration data was lost (corrupt RAM).
    pub corrupt_ram: bool,
    /// \[k\] The print head is under temperature.
    pub under_temperature: bool,
    /// \[l\] The print head is over temperature.
    pub over_temperature: bool,
    /// \[mmm\] Function settings: media type, sensor profile, diagnostics,
    /// as the bits of a decimal number.
    pub function_settings: u16,
    /// \[o\] The print head is up (open).
    pub head_open: bool,
    /// \[p\] Out of ribbon.
    pub ribbon_out: bool,
    /// \[q\] Thermal transfer mode (with ribbon) rather than direct thermal.
    pub thermal_transfer: bool,
    /// \[r\] Print mode.
    pub print_mode: PrintMode,
    /// \[s\] Print width mode.
    pub print_width_mode: u8,
    /// \[t\] A label is waiting to be taken (peel-off mode).
    pub label_waiting: bool,
    /// \[uuuuuuuu\] Labels remaining in the current batch.
    pub labels_remaining: u32,
    /// \[www\] Graphic images stored in memory.
    pub graphics_stored: u32,
    /// \[y\] Static RAM is installed (string 3).
    pub static_ram_installed: bool,
}

/// A condition a status reports; see [`PrinterStatus::faults`] and
/// [`PrinterStatus::warnings`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Condition {
    /// Out of paper: a fault.
    PaperOut,
    /// Out of ribbon: a fault.
    RibbonOut,
    /// Print head open: a fault.
    HeadOpen,
    /// Paused: a fault, since nothing prints until someone resumes.
    Paused,
    /// Print head over temperature: a fault (the printer stops).
    OverTemperature,
    /// Communications diagnostic mode: a fault, since labels come out as
    /// hex dumps.
    DiagnosticMode,
    /// Print head under temperature: a warning (prints may be faint).
    UnderTemperature,
    /// Configuration lost: a warning (settings may be back at defaults).
    CorruptRam,
    /// Receive buffer full: a warning (jobs wait until it drains).
    BufferFull,
}

impl Condition {
    /// Whether the condition stops labels from coming out right.
    pub fn is_fault(self) -> bool {
        !matches!(
            self,
            Condition::UnderTemperature | Condition::CorruptRam | Condition::BufferFull
        )
    }

    /// The condition's name in the manual's terms, for logs (words for people are the
    /// application's: the station's message catalog).
    pub fn name(self) -> &'static str {
        match self {
            Condition::PaperOut => "paper out",
            Condition::RibbonOut => "ribbon out",
            Condition::HeadOpen => "head open",
            Condition::Paused => "paused",
            Condition::OverTemperature => "head over temperature",
            Condition::DiagnosticMode => "communications diagnostic mode",
            Condition::UnderTemperature => "head under temperature",
            Condition::CorruptRam => "corrupt RAM (configuration lost)",
            Condition::BufferFull => "receive buffer full",
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why bytes are not a `~HS` answer. Offsets count from the start of the
/// buffer given to [`PrinterStatus::decode`]; strings are numbered 1 to 3
/// as in the manual.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum StatusError {
    /// A string does not start with STX.
    #[error(
        "byte {offset}: status string {string} should start with STX (0x02), found 0x{found:02X}"
    )]
    ExpectedStx {
        /// Where the STX should be.
        offset: usize,
        /// Which string (1–3).
        string: u8,
        /// The byte found instead.
        found: u8,
    },
    /// A byte inside a string is not printable ASCII.
    #[error("byte {offset}: 0x{found:02X} inside status string {string} is not printable ASCII")]
    InvalidByte {
        /// Where the byte is.
        offset: usize,
        /// Which string (1–3).
        string: u8,
        /// The byte.
        found: u8,
    },
    /// A string runs on past [`MAX_STRING_LEN`] bytes without an ETX.
    #[error(
        "byte {offset}: status string {string} runs past {MAX_STRING_LEN} bytes without ETX (0x03)"
    )]
    TooLong {
        /// Where the string starts (its STX).
        offset: usize,
        /// Which string (1–3).
        string: u8,
    },
    /// The ETX is not followed by CR LF.
    #[error("byte {offset}: status string {string} should end with ETX CR LF, found 0x{found:02X} after the ETX")]
    ExpectedCrLf {
        /// Where the CR or LF should be.
        offset: usize,
        /// Which string (1–3).
        string: u8,
        /// The byte found instead.
        found: u8,
    },
    /// A string has fewer comma-separated fields than the manual lists.
    #[error(
        "byte {offset}: status string {string} has {found} fields, the manual lists {expected}"
    )]
    FieldCount {
        /// Where the string's body starts (after its STX).
        offset: usize,
        /// Which string (1–3).
        string: u8,
        /// How many fields the manual lists.
        expected: usize,
        /// How many there are.
        found: usize,
    },
    /// A field is not what the manual allows.
    #[error(
        "byte {offset}: field {field} of status string {string} is {value:?}, expected {expected}"
    )]
    InvalidField {
        /// Where the field starts.
        offset: usize,
        /// Which string (1–3).
        string: u8,
        /// The manual's name for the field, e.g. `b (paper out flag)`.
        field: &'static str,
        /// The field as received.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
}

/// One complete string: its number, where its body starts, and the body.
struct Body<'a> {
    string: u8,
    offset: usize,
    bytes: &'a [u8],
}

/// Fields of a string's body, split at commas, each with its offset.
struct Fields<'a> {
    string: u8,
    fields: Vec<(usize, &'a [u8])>,
}

impl<'a> Fields<'a> {
    fn split(body: &Body<'a>, expected: usize) -> Result<Fields<'a>, StatusError> {
        let mut fields = Vec::with_capacity(expected);
        let mut start = 0;
        for (idx, &byte) in body.bytes.iter().enumerate() {
            if byte == b',' {
                fields.push((
                    body.offset + start,
                    body.bytes.get(start..idx).unwrap_or_default(),
                ));
                start = idx + 1;
            }
        }
        fields.push((
            body.offset + start,
            body.bytes.get(start..).unwrap_or_default(),
        ));
        // Extra fields are accepted and ignored: newer firmware may append some.
        if fields.len() < expected {
            return Err(StatusError::FieldCount {
                offset: body.offset,
                string: body.string,
                expected,
                found: fields.len(),
            });
        }
        Ok(Fields {
            string: body.string,
            fields,
        })
    }

    fn invalid(&self, idx: usize, field: &'static str, expected: &'static str) -> StatusError {
        let (offset, value) = self.fields.get(idx).copied().unwrap_or((0, &[]));
        StatusError::InvalidField {
            offset,
            string: self.string,
            field,
            value: String::from_utf8_lossy(value).into_owned(),
            expected,
        }
    }

    fn number(&self, idx: usize, field: &'static str) -> Result<u32, StatusError> {
        let value = self
            .fields
            .get(idx)
            .map(|&(_, value)| value)
            .unwrap_or_default();
        parse_number(value).ok_or_else(|| self.invalid(idx, field, "a decimal number"))
    }

    fn small(&self, idx: usize, field: &'static str, max: u32) -> Result<u32, StatusError> {
        match self.number(idx, field) {
            Ok(value) if value <= max => Ok(value),
            Ok(_) => Err(self.invalid(idx, field, "a smaller number")),
            Err(error) => Err(error),
        }
    }

    fn flag(&self, idx: usize, field: &'static str) -> Result<bool, StatusError> {
        match self.number(idx, field) {
            Ok(0) => Ok(false),
            Ok(1) => Ok(true),
            _ => Err(self.invalid(idx, field, "0 or 1")),
        }
    }
}

fn parse_number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &byte| {
        let digit = char::from(byte).to_digit(10)?;
        acc.checked_mul(10)?.checked_add(digit)
    })
}

/// Finds the complete string `string` starting at `start`: `Ok(None)` if
/// `buf` ends before its CR LF, else the body and the offset after the LF.
fn split_string(
    buf: &[u8],
    start: usize,
    string: u8,
) -> Result<Option<(Body<'_>, usize)>, StatusError> {
    match buf.get(start) {
        None => return Ok(None),
        Some(&STX) => {}
        Some(&found) => {
            return Err(StatusError::ExpectedStx {
                offset: start,
                string,
                found,
            })
        }
    }
    let body_start = start + 1;
    let rest = buf.get(body_start..).unwrap_or_default();
    let mut body_len = None;
    for (idx, &byte) in rest.iter().enumerate() {
        if byte == ETX {
            body_len = Some(idx);
            break;
        }
        if idx >= MAX_STRING_LEN {
            return Err(StatusError::TooLong {
                offset: start,
                string,
            });
        }
        if !(0x20..=0x7E).contains(&byte) {
            return Err(StatusError::InvalidByte {
                offset: body_start + idx,
                string,
                found: byte,
            });
        }
    }
    let Some(body_len) = body_len else {
        return Ok(None);
    };
    let etx = body_start + body_len;
    for (offset, expected) in [(etx + 1, b'\r'), (etx + 2, b'\n')] {
        match buf.get(offset) {
            None => return Ok(None),
            Some(&found) if found != expected => {
                return Err(StatusError::ExpectedCrLf {
                    offset,
                    string,
                    found,
                })
            }
            Some(_) => {}
        }
    }
    let bytes = buf.get(body_start..etx).unwrap_or_default();
    let body = Body {
        string,
        offset: body_start,
        bytes,
    };
    Ok(Some((body, etx + 3)))
}

impl PrinterStatus {
    /// Decodes a `~HS` answer at the start of `buf`.
    ///
    /// Returns `Ok(None)` while `buf` is a correct but unfinished answer,
    /// and the status with the number of bytes it took once all three
    /// strings are in. An error depends only on the bytes it names, so
    /// calling again with more bytes gives the same error: a reader may
    /// stop at the first one.
    pub fn decode(buf: &[u8]) -> Result<Option<(PrinterStatus, usize)>, StatusError> {
        let mut status = PrinterStatus::default();

        let Some((body, next)) = split_string(buf, 0, 1)? else {
            return Ok(None);
        };
        // String 1: aaa,b,c,dddd,eee,f,g,h,iii,j,k,l
        let fields = Fields::split(&body, 12)?;
        status.interface_settings = fields.small(0, "aaa (communication settings)", 999)? as u16;
        status.paper_out = fields.flag(1, "b (paper out flag)")?;
        status.paused = fields.flag(2, "c (pause flag)")?;
        status.label_length_dots = fields.number(3, "dddd (label length)")?;
        status.formats_in_buffer = fields.number(4, "eee (formats in receive buffer)")?;
        status.buffer_full = fields.flag(5, "f (buffer full flag)")?;
        status.diagnostic_mode = fields.flag(6, "g (communications diagnostic mode flag)")?;
        status.partial_format = fields.flag(7, "h (partial format flag)")?;
        // Field 8 (iii) is unused, always 000, and not checked.
        status.corrupt_ram = fields.flag(9, "j (corrupt RAM flag)")?;
        status.under_temperature = fields.flag(10, "k (under temperature flag)")?;
        status.over_temperature = fields.flag(11, "l (over temperature flag)")?;

        let Some((body, next)) = split_string(buf, next, 2)? else {
            return Ok(None);
        };
        // String 2: mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www
        let fields = Fields::split(&body, 11)?;
        status.function_settings = fields.small(0, "mmm (function settings)", 999)? as u16;
        // Field 1 (n) is unused.
        status.head_open = fields.flag(2, "o (head up flag)")?;
        status.ribbon_out = fields.flag(3, "p (ribbon out flag)")?;
        status.thermal_transfer = fields.flag(4, "q (thermal transfer mode flag)")?;
        status.print_mode = PrintMode::from_code(fields.small(5, "r (print mode)", 255)? as u8);
        status.print_width_mode = fields.small(6, "s (print width mode)", 255)? as u8;
        status.label_waiting = fields.flag(7, "t (label waiting flag)")?;
        status.labels_remaining = fields.number(8, "uuuuuuuu (labels remaining in batch)")?;
        // Field 9 (v, format while printing) is always 1 and not checked.
        status.graphics_stored = fields.number(10, "www (graphic images stored)")?;

        let Some((body, next)) = split_string(buf, next, 3)? else {
            return Ok(None);
        };
        // String 3: xxxx,y. The password (xxxx) is not kept.
        let fields = Fields::split(&body, 2)?;
        status.static_ram_installed = fields.flag(1, "y (static RAM installed)")?;

        Ok(Some((status, next)))
    }

    /// Appends the three strings a printer in this state sends, with the
    /// password `0000` and `v` (format while printing) `1`. What a test uses
    /// to play the printer.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let flag = |value: bool| u8::from(value);
        let string_1 = format!(
            "{:03},{},{},{:04},{:03},{},{},{},000,{},{},{}",
            self.interface_settings,
            flag(self.paper_out),
            flag(self.paused),
            self.label_length_dots,
            self.formats_in_buffer,
            flag(self.buffer_full),
            flag(self.diagnostic_mode),
            flag(self.partial_format),
            flag(self.corrupt_ram),
            flag(self.under_temperature),
            flag(self.over_temperature),
        );
        let string_2 = format!(
            "{:03},0,{},{},{},{},{},{},{:08},1,{:03}",
            self.function_settings,
            flag(self.head_open),
            flag(self.ribbon_out),
            flag(self.thermal_transfer),
            self.print_mode.code(),
            self.print_width_mode,
            flag(self.label_waiting),
            self.labels_remaining,
            self.graphics_stored,
        );
        let string_3 = format!("0000,{}", flag(self.static_ram_installed));
        for body in [string_1, string_2, string_3] {
            out.push(STX);
            out.extend_from_slice(body.as_bytes());
            out.extend_from_slice(&[ETX, b'\r', b'\n']);
        }
    }

    /// Every condition this status reports, faults first, in a fixed order.
    pub fn conditions(&self) -> Vec<Condition> {
        [
            (self.paper_out, Condition::PaperOut),
            (self.ribbon_out, Condition::RibbonOut),
            (self.head_open, Condition::HeadOpen),
            (self.paused, Condition::Paused),
            (self.over_temperature, Condition::OverTemperature),
            (self.diagnostic_mode, Condition::DiagnosticMode),
            (self.under_temperature, Condition::UnderTemperature),
            (self.corrupt_ram, Condition::CorruptRam),
            (self.buffer_full, Condition::BufferFull),
        ]
        .into_iter()
        .filter_map(|(set, condition)| set.then_some(condition))
        .collect()
    }

    /// The conditions that stop labels from coming out right: paper or
    /// ribbon out, head open, paused, head too hot, diagnostic mode.
    pub fn faults(&self) -> Vec<Condition> {
        self.conditions()
            .into_iter()
            .filter(|condition| condition.is_fault())
            .collect()
    }

    /// The conditions worth showing that do not stop printing.
    pub fn warnings(&self) -> Vec<Condition> {
        self.conditions()
            .into_iter()
            .filter(|condition| !condition.is_fault())
            .collect()
    }

    /// Whether the printer can print: no [`faults`](Self::faults).
    pub fn is_ready(&self) -> bool {
        self.faults().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Outcome = Result<Option<(PrinterStatus, usize)>, StatusError>;

    /// A reader's view: bytes arrive in chunks split at `splits`, and after
    /// each chunk everything received so far is decoded, stopping at the
    /// first status or error. The outcome must not depend on the splits.
    fn feed_in_chunks(bytes: &[u8], splits: &[usize]) -> Outcome {
        let mut ends: Vec<usize> = splits.to_vec();
        ends.push(bytes.len());
        for end in ends {
            let received = bytes.get(..end).unwrap_or(bytes);
            match PrinterStatus::decode(received) {
                Ok(None) => continue,
                done => return done,
            }
        }
        Ok(None)
    }

    /// Checks `bytes` decode to `expected` whole, split at every byte
    /// boundary, and one byte at a time.
    fn check(name: &str, bytes: &[u8], expected: &Outcome) {
        assert_eq!(&PrinterStatus::decode(bytes), expected, "{name}: whole");
        for split in 0..=bytes.len() {
            assert_eq!(
                &feed_in_chunks(bytes, &[split]),
                expected,
                "{name}: split at {split}"
            );
        }
        let every: Vec<usize> = (1..bytes.len()).collect();
        assert_eq!(
            &feed_in_chunks(bytes, &every),
            expected,
            "{name}: byte by byte"
        );
    }

    fn answer(string_1: &str, string_2: &str, string_3: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for body in [string_1, string_2, string_3] {
            out.push(STX);
            out.extend_from_slice(body.as_bytes());
            out.extend_from_slice(b"\x03\r\n");
        }
        out
    }

    const READY_1: &str = "030,0,0,1234,000,0,0,0,000,0,0,0";
    const READY_2: &str = "001,0,0,0,1,2,6,0,00000000,1,000";
    const READY_3: &str = "1234,0";

    fn ready() -> PrinterStatus {
        PrinterStatus {
            interface_settings: 30,
            label_length_dots: 1234,
            function_settings: 1,
            thermal_transfer: true,
            print_mode: PrintMode::TearOff,
            print_width_mode: 6,
            ..PrinterStatus::default()
        }
    }

    #[test]
    fn encodes_the_host_status_request() {
        let mut out = b"^XZ".to_vec();
        HostStatusRequest.encode(&mut out);
        assert_eq!(out, b"^XZ~HS");
    }

    #[test]
    fn decodes_answers_field_by_field() {
        let len = answer(READY_1, READY_2, READY_3).len();
        let cases: Vec<(&str, Vec<u8>, PrinterStatus)> = vec![
            ("ready", answer(READY_1, READY_2, READY_3), ready()),
            (
                "paper out and paused",
                answer("030,1,1,1234,000,0,0,0,000,0,0,0", READY_2, READY_3),
                PrinterStatus {
                    paper_out: true,
                    paused: true,
                    ..ready()
                },
            ),
            (
                "head open and ribbon out",
                answer(READY_1, "001,0,1,1,1,2,6,0,00000000,1,000", READY_3),
                PrinterStatus {
                    head_open: true,
                    ribbon_out: true,
                    ..ready()
                },
            ),
            (
                "every other field set",
                answer(
                    "511,0,0,0812,012,1,1,1,000,1,1,1",
                    "255,0,0,0,0,4,3,1,12345678,1,042",
                    "0000,1",
                ),
                PrinterStatus {
                    interface_settings: 511,
                    label_length_dots: 812,
                    formats_in_buffer: 12,
                    buffer_full: true,
                    diagnostic_mode: true,
                    partial_format: true,
                    corrupt_ram: true,
                    under_temperature: true,
                    over_temperature: true,
                    function_settings: 255,
                    print_mode: PrintMode::Applicator,
                    print_width_mode: 3,
                    label_waiting: true,
                    labels_remaining: 12_345_678,
                    graphics_stored: 42,
                    static_ram_installed: true,
                    ..PrinterStatus::default()
                },
            ),
            (
                "extra fields from newer firmware are ignored",
                answer(
                    "030,0,0,1234,000,0,0,0,000,0,0,0,7",
                    "001,0,0,0,1,2,6,0,00000000,1,000,x",
                    "1234,0,,",
                ),
                ready(),
            ),
            (
                "reserved print mode",
                answer(READY_1, "001,0,0,0,1,9,6,0,00000000,1,000", READY_3),
                PrinterStatus {
                    print_mode: PrintMode::Other(9),
                    ..ready()
                },
            ),
        ];
        for (name, bytes, status) in cases {
            let used = bytes.len();
            check(name, &bytes, &Ok(Some((status, used))));
        }
        // Bytes after the answer are left for the caller.
        let mut bytes = answer(READY_1, READY_2, READY_3);
        bytes.extend_from_slice(b"\x02next");
        assert_eq!(PrinterStatus::decode(&bytes), Ok(Some((ready(), len))));
    }

    #[test]
    fn rejects_malformed_answers_with_their_offset() {
        let long = format!("{READY_1},{}", "0".repeat(MAX_STRING_LEN));
        let cases: Vec<(&str, Vec<u8>, StatusError)> = vec![
            (
                "noise before the first STX",
                b"\r\n\x02030".to_vec(),
                StatusError::ExpectedStx {
                    offset: 0,
                    string: 1,
                    found: b'\r',
                },
            ),
            (
                "no STX on string 2",
                answer_without_second_stx(),
                StatusError::ExpectedStx {
                    offset: 36,
                    string: 2,
                    found: b'0',
                },
            ),
            (
                "control byte inside",
                answer("030,0,\x000,1234,000,0,0,0,000,0,0,0", READY_2, READY_3),
                StatusError::InvalidByte {
                    offset: 7,
                    string: 1,
                    found: 0,
                },
            ),
            (
                "a second STX before the ETX",
                b"\x02030,0\x02".to_vec(),
                StatusError::InvalidByte {
                    offset: 6,
                    string: 1,
                    found: STX,
                },
            ),
            (
                "no ETX within the limit",
                answer(&long, READY_2, READY_3),
                StatusError::TooLong {
                    offset: 0,
                    string: 1,
                },
            ),
            (
                "ETX without CR LF",
                b"\x02030,0,0,1234,000,0,0,0,000,0,0,0\x03\x02".to_vec(),
                StatusError::ExpectedCrLf {
                    offset: 34,
                    string: 1,
                    found: STX,
                },
            ),
            (
                "ETX CR without LF",
                b"\x02030,0,0,1234,000,0,0,0,000,0,0,0\x03\r\r".to_vec(),
                StatusError::ExpectedCrLf {
                    offset: 35,
                    string: 1,
                    found: b'\r',
                },
            ),
            (
                "too few fields",
                answer("030,0,0,1234", READY_2, READY_3),
                StatusError::FieldCount {
                    offset: 1,
                    string: 1,
                    expected: 12,
                    found: 4,
                },
            ),
            (
                "flag is not 0 or 1",
                answer(READY_1, "001,0,2,0,1,2,6,0,00000000,1,000", READY_3),
                StatusError::InvalidField {
                    offset: 43,
                    string: 2,
                    field: "o (head up flag)",
                    value: "2".into(),
                    expected: "0 or 1",
                },
            ),
            (
                "number is not a number",
                answer("030,0,0,12x4,000,0,0,0,000,0,0,0", READY_2, READY_3),
                StatusError::InvalidField {
                    offset: 9,
                    string: 1,
                    field: "dddd (label length)",
                    value: "12x4".into(),
                    expected: "a decimal number",
                },
            ),
            (
                "empty field",
                answer("030,,0,1234,000,0,0,0,000,0,0,0", READY_2, READY_3),
                StatusError::InvalidField {
                    offset: 5,
                    string: 1,
                    field: "b (paper out flag)",
                    value: String::new(),
                    expected: "0 or 1",
                },
            ),
            (
                "number overflows",
                answer(READY_1, "001,0,0,0,1,2,6,0,99999999999,1,000", READY_3),
                StatusError::InvalidField {
                    offset: 55,
                    string: 2,
                    field: "uuuuuuuu (labels remaining in batch)",
                    value: "99999999999".into(),
                    expected: "a decimal number",
                },
            ),
            (
                "string 3 without its flag",
                answer(READY_1, READY_2, "1234"),
                StatusError::FieldCount {
                    offset: 73,
                    string: 3,
                    expected: 2,
                    found: 1,
                },
            ),
        ];
        for (name, bytes, error) in cases {
            check(name, &bytes, &Err(error));
        }
    }

    /// A whole answer whose second string lost its STX.
    fn answer_without_second_stx() -> Vec<u8> {
        let mut bytes = answer(READY_1, READY_2, READY_3);
        // String 1 is STX, 32 bytes, ETX CR LF: string 2's STX is byte 36.
        bytes.remove(36);
        bytes
    }

    #[test]
    fn partial_answers_need_more_bytes() {
        let bytes = answer(READY_1, READY_2, READY_3);
        for end in 0..bytes.len() {
            assert_eq!(
                PrinterStatus::decode(bytes.get(..end).unwrap_or_default()),
                Ok(None),
                "{end} bytes"
            );
        }
    }

    #[test]
    fn encode_round_trips() {
        let statuses = [
            ready(),
            PrinterStatus::default(),
            PrinterStatus {
                paper_out: true,
                head_open: true,
                ribbon_out: true,
                paused: true,
                print_mode: PrintMode::Other(7),
                labels_remaining: 99_999_999,
                ..ready()
            },
        ];
        for status in statuses {
            let mut bytes = Vec::new();
            status.encode(&mut bytes);
            assert_eq!(
                PrinterStatus::decode(&bytes),
                Ok(Some((status, bytes.len())))
            );
        }
    }

    #[test]
    fn faults_and_warnings() {
        assert!(ready().is_ready());
        assert!(ready().conditions().is_empty());
        let status = PrinterStatus {
            paper_out: true,
            head_open: true,
            under_temperature: true,
            buffer_full: true,
            ..ready()
        };
        assert!(!status.is_ready());
        assert_eq!(status.faults(), [Condition::PaperOut, Condition::HeadOpen]);
        assert_eq!(
            status.warnings(),
            [Condition::UnderTemperature, Condition::BufferFull]
        );
        assert_eq!(Condition::HeadOpen.to_string(), "head open");
        assert_eq!(Condition::BufferFull.name(), "receive buffer full");
        // Warnings alone leave the printer ready.
        let warm = PrinterStatus {
            corrupt_ram: true,
            ..ready()
        };
        assert!(warm.is_ready());
    }

    #[test]
    fn no_input_panics() {
        // Every one- and two-byte prefix before a valid answer, and every
        // single-byte corruption of one: decode must return, never panic.
        let bytes = answer(READY_1, READY_2, READY_3);
        for first in 0..=u8::MAX {
            let _ = PrinterStatus::decode(&[first]);
            for second in [0, STX, ETX, b',', b'0', b'\r', 0xFF] {
                let _ = PrinterStatus::decode(&[first, second]);
            }
        }
        for idx in 0..bytes.len() {
            for value in [0, STX, ETX, b',', b'9', b'\r', b'\n', 0xFF] {
                let mut corrupt = bytes.clone();
                if let Some(byte) = corrupt.get_mut(idx) {
                    *byte = value;
                }
                let _ = PrinterStatus::decode(&corrupt);
            }
        }
    }
}
