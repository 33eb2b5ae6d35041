//! Zebra (formerly Symbol / Motorola) Simple Serial Interface: the packet
//! format, the host commands the station sends, and a decoder for the
//! scanner's side of the line.
//!
//! Every SSI packet is
//!
//! ```text
//! length | opcode | message source | status | data ... | checksum (2 bytes, big-endian)
//! ```
//!
//! where `length` counts every byte before the checksum and the checksum is
//! the 16-bit two's complement of the sum of those bytes (SSI Programmer's
//! Guide, "Message Format"). There is no start byte: after line noise, the
//! decoder finds the next packet by sliding one byte at a time until a header
//! is plausible and the checksum matches.
//!
//! With "Decode Data Packet Format" set to packeted, the scanner sends each
//! barcode in DECODE_DATA packets and, with ACK/NAK handshaking enabled,
//! waits for a CMD_ACK after each one; without it the scanner retries twice
//! and then signals a transmission error. [`SsiDecoder::decode`] therefore
//! returns the ACKs owed in [`Decoded::replies`].
//!
//! ```
//! use firmware_bridge::ssi::{Command, SsiDecoder};
//! use firmware_bridge::Symbology;
//!
//! let mut decoder = SsiDecoder::new();
//! // DECODE_DATA, from the decoder, status 0, Code 128 (type 0x03), "1234".
//! let out = decoder.decode(&[0x09, 0xF3, 0x00, 0x00, 0x03, b'1', b'2', b'3', b'4', 0xFE, 0x37]);
//! assert_eq!(out.scans[0].symbology, Symbology::Code128);
//! assert_eq!(out.scans[0].data, b"1234");
//!
//! let mut reply = Vec::new();
//! for command in &out.replies {
//!     command.encode(&mut reply);
//! }
//! assert_eq!(reply, [0x04, 0xD0, 0x04, 0x00, 0xFF, 0x28]); // CMD_ACK
//! ```

use thiserror::Error;

use crate::scan::{Scan, SkipReason, Skipped, Symbology, SymbologyId, DEFAULT_MAX_LEN};

/// Bytes before the data: length, opcode, message source, status.
pub const HEADER_LEN: usize = 4;
/// Bytes of checksum after the data.
pub const CHECKSUM_LEN: usize = 2;
/// Most data bytes one packet can carry: the length byte counts the header
/// too, and is at most 255.
pub const MAX_DATA_LEN: usize = u8::MAX as usize - HEADER_LEN;

/// SSI opcodes (SSI Programmer's Guide, opcode table).
///
/// [`Packet::decode`] accepts only these; a byte that is not one of them
/// cannot start a packet, which is what keeps resynchronisation after noise
/// from waiting on a bogus length.
pub mod opcode {
    /// Management command wrapper (RSM over SSI), both directions.
    pub const SSI_MGMT_COMMAND: u8 = 0x80;
    /// Host asks for the software revision.
    pub const REQUEST_REVISION: u8 = 0xA3;
    /// Decoder sends its software revision.
    pub const REPLY_REVISION: u8 = 0xA4;
    /// Host turns the aiming pattern off.
    pub const AIM_OFF: u8 = 0xC4;
    /// Host turns the aiming pattern on.
    pub const AIM_ON: u8 = 0xC5;
    /// Parameter values, both directions.
    pub const PARAM_SEND: u8 = 0xC6;
    /// Host asks for parameter values.
    pub const PARAM_REQUEST: u8 = 0xC7;
    /// Host resets parameters to defaults.
    pub const PARAM_DEFAULTS: u8 = 0xC8;
    /// Positive acknowledgement, both directions.
    pub const CMD_ACK: u8 = 0xD0;
    /// Negative acknowledgement with a cause byte, both directions.
    pub const CMD_NAK: u8 = 0xD1;
    /// Host discards the decoder's queued messages.
    pub const FLUSH_QUEUE: u8 = 0xD2;
    /// Host asks which commands the decoder supports.
    pub const CAPABILITIES_REQUEST: u8 = 0xD3;
    /// Decoder lists the commands it supports.
    pub const CAPABILITIES_REPLY: u8 = 0xD4;
    /// Host starts a decode session (pulls the trigger).
    pub const START_SESSION: u8 = 0xE4;
    /// Host ends a decode session.
    pub const STOP_SESSION: u8 = 0xE5;
    /// Host sounds a beep pattern.
    pub const BEEP: u8 = 0xE6;
    /// Host turns LEDs on.
    pub const LED_ON: u8 = 0xE7;
    /// Host turns LEDs off.
    pub const LED_OFF: u8 = 0xE8;
    /// Host enables scanning.
    pub const SCAN_ENABLE: u8 = 0xE9;
    /// Host disables scanning.
    pub const SCAN_DISABLE: u8 = 0xEA;
    /// Host puts the decoder to sleep.
    pub const SLEEP: u8 = 0xEB;
    /// Decoder sends a decoded barcode.
    pub const DECODE_DATA: u8 = 0xF3;
    /// Decoder reports an event (boot, parameter change, …).
    pub const EVENT: u8 = 0xF6;

    /// True for the opcodes above.
    pub const fn is_known(opcode: u8) -> bool {
        matches!(
            opcode,
            SSI_MGMT_COMMAND
                | REQUEST_REVISION
                | REPLY_REVISION
                | AIM_OFF..=PARAM_DEFAULTS
                | CMD_ACK..=CAPABILITIES_REPLY
                | START_SESSION..=SLEEP
                | DECODE_DATA
                | EVENT
        )
    }
}

/// The 16-bit two's complement of the byte sum of `bytes`: the value an SSI
/// packet carries after its last data byte.
pub fn checksum(bytes: &[u8]) -> u16 {
    bytes
        .iter()
        .fold(0u16, |sum, &byte| sum.wrapping_add(u16::from(byte)))
        .wrapping_neg()
}

/// Who sent a packet (the message source byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// The scanner (0x00).
    Decoder,
    /// The host (0x04).
    Host,
}

impl Source {
    /// The message source byte.
    pub const fn byte(self) -> u8 {
        match self {
            Source::Decoder => 0x00,
            Source::Host => 0x04,
        }
    }

    /// The source a byte names, if any.
    pub const fn from_byte(byte: u8) -> Option<Source> {
        match byte {
            0x00 => Some(Source::Decoder),
            0x04 => Some(Source::Host),
            _ => None,
        }
    }
}

/// The status byte of a packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Status(pub u8);

impl Status {
    /// Bit 0: this is a retransmission of a packet sent before.
    pub const RETRANSMIT: u8 = 0x01;
    /// Bit 1: an intermediate packet of a multi-packet message; more follow.
    /// Clear on a single packet and on the last one of a message.
    pub const CONTINUATION: u8 = 0x02;
    /// Bit 3, parameter messages only: the change is permanent.
    pub const PERMANENT: u8 = 0x08;

    /// True when the retransmit bit is set.
    pub const fn retransmit(self) -> bool {
        self.0 & Self::RETRANSMIT != 0
    }

    /// True when more packets of the same message follow.
    pub const fn continuation(self) -> bool {
        self.0 & Self::CONTINUATION != 0
    }
}

/// Why bytes do not start a valid SSI packet. Byte positions count from the
/// length byte.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The length byte is smaller than the header.
    #[error("byte 0: length {length} is shorter than the {HEADER_LEN}-byte header")]
    TooShort {
        /// The length byte.
        length: u8,
    },
    /// The opcode byte is not an opcode this decoder knows.
    #[error("byte 1: 0x{opcode:02X} is not an SSI opcode")]
    UnknownOpcode {
        /// The opcode byte.
        opcode: u8,
    },
    /// The length does not fit the opcode (CMD_ACK is always 4, CMD_NAK,
    /// BEEP and the LED commands 5, DECODE_DATA at least 5).
    #[error("byte 0: length {length} does not fit opcode 0x{opcode:02X}")]
    BadLength {
        /// The opcode byte.
        opcode: u8,
        /// The length byte.
        length: u8,
    },
    /// The message source is neither decoder nor host.
    #[error("byte 2: message source 0x{byte:02X} is neither 0x00 (decoder) nor 0x04 (host)")]
    BadSource {
        /// The message source byte.
        byte: u8,
    },
    /// The checksum does not match the packet.
    #[error("bytes {at} and {}: checksum is 0x{found:04X}, the bytes before it call for 0x{expected:04X}", at + 1)]
    Checksum {
        /// Position of the checksum's first byte (equal to the length byte).
        at: usize,
        /// The checksum the bytes before it call for.
        expected: u16,
        /// The checksum the packet carries.
        found: u16,
    },
}

/// Why a packet cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// More data than one packet's length byte can count.
    #[error("{len} data bytes do not fit one SSI packet (at most {MAX_DATA_LEN})")]
    TooLong {
        /// The data length asked for.
        len: usize,
    },
}

/// One SSI packet. Its data always fits the length byte.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Packet {
    opcode: u8,
    source: Source,
    status: Status,
    data: Vec<u8>,
}

impl Packet {
    /// A packet with the given fields, or an error when `data` is longer than
    /// [`MAX_DATA_LEN`].
    pub fn new(
        opcode: u8,
        source: Source,
        status: Status,
        data: Vec<u8>,
    ) -> Result<Packet, EncodeError> {
        if data.len() > MAX_DATA_LEN {
            return Err(EncodeError::TooLong { len: data.len() });
        }
        Ok(Packet {
            opcode,
            source,
            status,
            data,
        })
    }

    /// The opcode (see [`opcode`]).
    pub fn opcode(&self) -> u8 {
        self.opcode
    }

    /// Who sent the packet.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The status byte.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The bytes between the status byte and the checksum.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Length of the encoded packet, checksum included.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.data.len() + CHECKSUM_LEN
    }

    /// Appends the packet, with length byte and checksum, to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        // `new` and `decode` keep data within MAX_DATA_LEN, so this fits.
        let length = (HEADER_LEN + self.data.len()) as u8;
        out.extend_from_slice(&[length, self.opcode, self.source.byte(), self.status.0]);
        out.extend_from_slice(&self.data);
        let sum = checksum(&out[start..]);
        out.extend_from_slice(&sum.to_be_bytes());
    }

    /// Decodes the packet at the start of `buf`.
    ///
    /// Returns `Ok(None)` when `buf` holds the beginning of a plausible packet
    /// but not all of it yet, `Ok(Some((packet, consumed)))` for a complete
    /// packet, and an error as soon as the bytes cannot be a packet. The
    /// answer for a given start never changes from an error to a packet as
    /// more bytes arrive.
    pub fn decode(buf: &[u8]) -> Result<Option<(Packet, usize)>, DecodeError> {
        let Some(&length) = buf.first() else {
            return Ok(None);
        };
        if usize::from(length) < HEADER_LEN {
            return Err(DecodeError::TooShort { length });
        }
        let Some(&opcode) = buf.get(1) else {
            return Ok(None);
        };
        if !opcode::is_known(opcode) {
            return Err(DecodeError::UnknownOpcode { opcode });
        }
        let length_fits = match opcode {
            opcode::CMD_ACK => length == 4,
            opcode::CMD_NAK | opcode::BEEP | opcode::LED_ON | opcode::LED_OFF => length == 5,
            opcode::DECODE_DATA => length >= 5,
            _ => true,
        };
        if !length_fits {
            return Err(DecodeError::BadLength { opcode, length });
        }
        let Some(&source_byte) = buf.get(2) else {
            return Ok(None);
        };
        let Some(source) = Source::from_byte(source_byte) else {
            return Err(DecodeError::BadSource { byte: source_byte });
        };
        let body_len = usize::from(length);
        let total = body_len + CHECKSUM_LEN;
        let Some(packet) = buf.get(..total) else {
            return Ok(None);
        };
        let (body, trailer) = packet.split_at(body_len);
        let &[high, low] = trailer else {
            return Ok(None);
        };
        let found = u16::from_be_bytes([high, low]);
        let expected = checksum(body);
        if found != expected {
            return Err(DecodeError::Checksum {
                at: body_len,
                expected,
                found,
            });
        }
        let (status, data) = match body {
            [_, _, _, status, data @ ..] => (Status(*status), data.to_vec()),
            _ => return Err(DecodeError::TooShort { length }),
        };
        let packet = Packet {
            opcode,
            source,
            status,
            data,
        };
        Ok(Some((packet, total)))
    }
}

/// The cause byte of a CMD_NAK.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NakCause {
    /// 0x01: checksum failure, send the packet again.
    Resend,
    /// 0x02: the message was not expected or not understood.
    BadContext,
    /// 0x06: the command was understood but refused (e.g. a bad parameter).
    Denied,
    /// Any other cause byte.
    Other(u8),
}

impl NakCause {
    /// The cause byte.
    pub const fn byte(self) -> u8 {
        match self {
            NakCause::Resend => 0x01,
            NakCause::BadContext => 0x02,
            NakCause::Denied => 0x06,
            NakCause::Other(byte) => byte,
        }
    }

    /// The cause a byte names.
    pub const fn from_byte(byte: u8) -> NakCause {
        match byte {
            0x01 => NakCause::Resend,
            0x02 => NakCause::BadContext,
            0x06 => NakCause::Denied,
            other => NakCause::Other(other),
        }
    }
}

/// The LED selection byte of LED_ON / LED_OFF: a bit mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Leds(pub u8);

impl Leds {
    /// Bit 0: the green (decode) LED, present on every SSI scanner.
    pub const GREEN: Leds = Leds(0x01);
    /// Bit 1: the red LED on scanners that have one (DS-series). Check the
    /// product reference guide for other models.
    pub const RED: Leds = Leds(0x02);
}

/// A command the host sends to the scanner. Commands go out with message
/// source "host" and status 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// CMD_ACK: the packet just received was fine.
    Ack,
    /// CMD_NAK with its cause.
    Nak(NakCause),
    /// BEEP with a beep code, 0x00 to 0x19 in the programmer's guide's beep
    /// table; other codes are NAKed as denied.
    Beep(u8),
    /// LED_ON for the selected LEDs.
    LedOn(Leds),
    /// LED_OFF for the selected LEDs.
    LedOff(Leds),
}

impl Command {
    /// The command's opcode.
    pub const fn opcode(self) -> u8 {
        match self {
            Command::Ack => opcode::CMD_ACK,
            Command::Nak(_) => opcode::CMD_NAK,
            Command::Beep(_) => opcode::BEEP,
            Command::LedOn(_) => opcode::LED_ON,
            Command::LedOff(_) => opcode::LED_OFF,
        }
    }

    /// The command as a packet.
    pub fn to_packet(self) -> Packet {
        let data = match self {
            Command::Ack => Vec::new(),
            Command::Nak(cause) => vec![cause.byte()],
            Command::Beep(code) => vec![code],
            Command::LedOn(leds) | Command::LedOff(leds) => vec![leds.0],
        };
        Packet {
            opcode: self.opcode(),
            source: Source::Host,
            status: Status::default(),
            data,
        }
    }

    /// Appends the encoded command to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.to_packet().encode(out);
    }
}

/// A packet from the scanner other than DECODE_DATA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// CMD_ACK: the scanner accepted our last command.
    Ack,
    /// CMD_NAK: the scanner refused our last command.
    Nak(NakCause),
    /// Any other well-formed packet, e.g. EVENT or REPLY_REVISION, or a
    /// packet with message source "host" (our own, echoed).
    Other(Packet),
}

/// What a call to [`SsiDecoder::decode`] or [`SsiDecoder::finish`] completed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Barcodes completed by this call, in stream order.
    pub scans: Vec<Scan>,
    /// Other packets from the scanner, in stream order.
    pub messages: Vec<Message>,
    /// Commands the host owes the scanner now, in order: a CMD_ACK for every
    /// DECODE_DATA packet (intermediate, final or retransmitted) and every
    /// EVENT packet.
    pub replies: Vec<Command>,
    /// Byte ranges skipped, in the order the decoder gave up on them.
    pub skipped: Vec<Skipped>,
}

impl Decoded {
    /// True when the call completed nothing.
    pub fn is_empty(&self) -> bool {
        self.scans.is_empty()
            && self.messages.is_empty()
            && self.replies.is_empty()
            && self.skipped.is_empty()
    }

    /// Moves everything in `other` to the end of `self`.
    pub fn append(&mut self, mut other: Decoded) {
        self.scans.append(&mut other.scans);
        self.messages.append(&mut other.messages);
        self.replies.append(&mut other.replies);
        self.skipped.append(&mut other.skipped);
    }
}

/// The barcode family an SSI barcode type byte names (SSI Programmer's Guide,
/// "Code Types" table of DECODE_DATA).
pub const fn symbology(code_type: u8) -> Symbology {
    match code_type {
        0x01 | 0x13 => Symbology::Code39, // 0x13: Code 39 Full ASCII
        0x02 => Symbology::Codabar,
        0x03 => Symbology::Code128,
        0x06 => Symbology::Interleaved2Of5,
        0x07 => Symbology::Code93,
        0x08 => Symbology::UpcA,
        0x09 | 0x10 => Symbology::UpcE, // UPC-E0, UPC-E1
        0x0A => Symbology::Ean8,
        0x0B => Symbology::Ean13,
        0x0F => Symbology::Gs1_128,
        0x11 => Symbology::Pdf417,
        0x1B => Symbology::DataMatrix,
        0x1C => Symbology::QrCode,
        0x2D => Symbology::Aztec,
        0x30..=0x32 => Symbology::Gs1DataBar, // omnidirectional, limited, expanded
        _ => Symbology::Unknown,
    }
}

/// A run of bytes that did not start a packet.
#[derive(Clone, Debug)]
struct Garbage {
    offset: u64,
    len: usize,
    reason: SkipReason,
}

/// A DECODE_DATA message being reassembled from continuation packets.
#[derive(Clone, Debug)]
struct Assembly {
    offset: u64,
    /// Encoded bytes of the message's packets so far.
    raw_len: usize,
    code_type: u8,
    data: Vec<u8>,
    too_long: bool,
}

/// Turns the byte stream from an SSI scanner, in chunks of any size, into
/// scans, messages and the ACKs owed.
///
/// Noise never stops it: bytes that do not start a valid packet are skipped
/// one at a time, merged into one [`Skipped`] run per burst, until a packet
/// with a valid header and checksum starts. A packet with a bad checksum is
/// skipped the same way and not acknowledged, so the scanner sends it again
/// after its ACK timeout.
///
/// Multi-packet messages (continuation bit set on all but the last packet)
/// are joined into one scan. A retransmitted packet identical to the packet
/// just received, with no noise in between, means the scanner missed our
/// ACK: it is acknowledged again and reported as
/// [`SkipReason::Duplicate`] instead of producing a second scan.
#[derive(Clone, Debug)]
pub struct SsiDecoder {
    /// Bytes not yet decoded: at most one partial packet once `decode`
    /// returns.
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    buf_offset: u64,
    garbage: Option<Garbage>,
    assembly: Option<Assembly>,
    /// The last DECODE_DATA packet accepted, for recognising retransmissions.
    last_decode: Option<Packet>,
    max_len: usize,
}

impl Default for SsiDecoder {
    fn default() -> Self {
        SsiDecoder::new()
    }
}

impl SsiDecoder {
    /// A decoder at stream offset 0 accepting scans up to
    /// [`DEFAULT_MAX_LEN`] bytes.
    pub fn new() -> SsiDecoder {
        SsiDecoder::with_max_len(DEFAULT_MAX_LEN)
    }

    /// A decoder accepting scans up to `max_len` data bytes, summed over the
    /// packets of a multi-packet message.
    pub fn with_max_len(max_len: usize) -> SsiDecoder {
        SsiDecoder {
            buf: Vec::new(),
            buf_offset: 0,
            garbage: None,
            assembly: None,
            last_decode: None,
            max_len,
        }
    }

    /// Number of bytes fed so far: the stream offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.buf_offset + self.buf.len() as u64
    }

    /// Feeds the next chunk of the stream and returns what it completed. A
    /// partial packet is kept for the next call.
    pub fn decode(&mut self, chunk: &[u8]) -> Decoded {
        self.buf.extend_from_slice(chunk);
        let mut out = Decoded::default();
        let mut pos = 0;
        while pos < self.buf.len() {
            let Some(rest) = self.buf.get(pos..) else {
                break;
            };
            let offset = self.buf_offset + pos as u64;
            match Packet::decode(rest) {
                Ok(Some((packet, len))) => {
                    self.flush_garbage(&mut out);
                    self.handle(packet, offset, len, &mut out);
                    pos += len;
                }
                Ok(None) => break,
                Err(err) => {
                    self.note_garbage(offset, SkipReason::BadPacket(err));
                    pos += 1;
                }
            }
        }
        self.consume(pos);
        out
    }

    /// Ends the stream, or gives up on it after the line has been idle longer
    /// than a packet takes to arrive.
    ///
    /// Buffered bytes are decoded as far as they go: a header promising more
    /// bytes than will come is skipped as [`SkipReason::Incomplete`] and any
    /// packet behind it is still found. A multi-packet message still waiting
    /// for packets is reported as incomplete. The decoder stays usable, keeps
    /// counting offsets, and still recognises a retransmission of the last
    /// packet.
    pub fn finish(&mut self) -> Decoded {
        let mut out = Decoded::default();
        let mut pos = 0;
        while pos < self.buf.len() {
            let Some(rest) = self.buf.get(pos..) else {
                break;
            };
            let offset = self.buf_offset + pos as u64;
            match Packet::decode(rest) {
                Ok(Some((packet, len))) => {
                    self.flush_garbage(&mut out);
                    self.handle(packet, offset, len, &mut out);
                    pos += len;
                }
                Ok(None) => {
                    self.note_garbage(offset, SkipReason::Incomplete);
                    pos += 1;
                }
                Err(err) => {
                    self.note_garbage(offset, SkipReason::BadPacket(err));
                    pos += 1;
                }
            }
        }
        self.consume(pos);
        self.flush_garbage(&mut out);
        if let Some(assembly) = self.assembly.take() {
            out.skipped.push(Skipped {
                offset: assembly.offset,
                len: assembly.raw_len,
                reason: SkipReason::Incomplete,
            });
        }
        out
    }

    fn consume(&mut self, len: usize) {
        let len = len.min(self.buf.len());
        self.buf.drain(..len);
        self.buf_offset += len as u64;
    }

    fn note_garbage(&mut self, offset: u64, reason: SkipReason) {
        match &mut self.garbage {
            Some(run) => run.len += 1,
            None => {
                self.garbage = Some(Garbage {
                    offset,
                    len: 1,
                    reason,
                })
            }
        }
    }

    fn flush_garbage(&mut self, out: &mut Decoded) {
        if let Some(run) = self.garbage.take() {
            out.skipped.push(Skipped {
                offset: run.offset,
                len: run.len,
                reason: run.reason,
            });
            // Something unreadable came in since the last packet; a
            // retransmission after it may be of a packet we never got.
            self.last_decode = None;
        }
    }

    fn handle(&mut self, packet: Packet, offset: u64, len: usize, out: &mut Decoded) {
        match (packet.opcode, packet.source) {
            (opcode::DECODE_DATA, Source::Decoder) => self.decode_data(packet, offset, len, out),
            (opcode::EVENT, Source::Decoder) => {
                out.replies.push(Command::Ack);
                out.messages.push(Message::Other(packet));
            }
            (opcode::CMD_ACK, Source::Decoder) => out.messages.push(Message::Ack),
            (opcode::CMD_NAK, Source::Decoder) => {
                let cause = packet.data.first().copied().unwrap_or_default();
                out.messages.push(Message::Nak(NakCause::from_byte(cause)));
            }
            _ => out.messages.push(Message::Other(packet)),
        }
    }

    fn decode_data(&mut self, packet: Packet, offset: u64, len: usize, out: &mut Decoded) {
        // Every DECODE_DATA packet is acknowledged, duplicates included:
        // the scanner sends the next packet only after the ACK.
        out.replies.push(Command::Ack);

        let is_duplicate = packet.status.retransmit()
            && self.last_decode.as_ref().is_some_and(|last| {
                last.data == packet.data
                    && last.status.continuation() == packet.status.continuation()
            });
        if is_duplicate {
            out.skipped.push(Skipped {
                offset,
                len,
                reason: SkipReason::Duplicate,
            });
            return;
        }

        // `Packet::decode` guarantees DECODE_DATA carries the type byte.
        let (code_type, payload) = match packet.data.split_first() {
            Some((&code_type, payload)) => (code_type, payload),
            None => (0, &[][..]),
        };

        if let Some(assembly) = self.assembly.take_if(|a| a.code_type != code_type) {
            // A new barcode started before the last one finished.
            out.skipped.push(Skipped {
                offset: assembly.offset,
                len: assembly.raw_len,
                reason: SkipReason::Incomplete,
            });
        }
        let assembly = self.assembly.get_or_insert_with(|| Assembly {
            offset,
            raw_len: 0,
            code_type,
            data: Vec::new(),
            too_long: false,
        });
        assembly.raw_len = assembly.raw_len.saturating_add(len);
        if !assembly.too_long {
            if assembly.data.len() + payload.len() > self.max_len {
                assembly.too_long = true;
                assembly.data = Vec::new();
            } else {
                assembly.data.extend_from_slice(payload);
            }
        }

        if !packet.status.continuation() {
            if let Some(assembly) = self.assembly.take() {
                self.complete(assembly, out);
            }
        }
        self.last_decode = Some(packet);
    }

    fn complete(&self, assembly: Assembly, out: &mut Decoded) {
        let skip = |reason| Skipped {
            offset: assembly.offset,
            len: assembly.raw_len,
            reason,
        };
        if assembly.too_long {
            out.skipped.push(skip(SkipReason::TooLong {
                max_len: self.max_len,
            }));
        } else if assembly.data.is_empty() {
            out.skipped.push(skip(SkipReason::NoData));
        } else {
            out.scans.push(Scan {
                symbology: symbology(assembly.code_type),
                id: Some(SymbologyId::Ssi(assembly.code_type)),
                data: assembly.data,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_the_twos_complement_of_the_byte_sum() {
        // CMD_ACK from the host: 04 D0 04 00 sums to 0xD8.
        assert_eq!(checksum(&[0x04, 0xD0, 0x04, 0x00]), 0xFF28);
        // The sum wraps at 16 bits: 258 bytes of 0xFF sum to 0x100FE.
        assert_eq!(checksum(&[0xFF; 258]), 0xFF02);
        assert_eq!(checksum(&[]), 0);
    }

    #[test]
    fn known_opcodes_are_exactly_the_listed_ones() {
        let listed = [
            0x80, 0xA3, 0xA4, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xE4,
            0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xEB, 0xF3, 0xF6,
        ];
        for byte in 0..=u8::MAX {
            assert_eq!(
                opcode::is_known(byte),
                listed.contains(&byte),
                "0x{byte:02X}"
            );
        }
    }

    #[test]
    fn barcode_types_map_to_symbologies() {
        let table = [
            (0x01, Symbology::Code39),
            (0x02, Symbology::Codabar),
            (0x03, Symbology::Code128),
            (0x06, Symbology::Interleaved2Of5),
            (0x07, Symbology::Code93),
            (0x08, Symbology::UpcA),
            (0x09, Symbology::UpcE),
            (0x0A, Symbology::Ean8),
            (0x0B, Symbology::Ean13),
            (0x0F, Symbology::Gs1_128),
            (0x10, Symbology::UpcE),
            (0x11, Symbology::Pdf417),
            (0x13, Symbology::Code39),
            (0x1B, Symbology::DataMatrix),
            (0x1C, Symbology::QrCode),
            (0x2D, Symbology::Aztec),
            (0x30, Symbology::Gs1DataBar),
            (0x32, Symbology::Gs1DataBar),
            (0x00, Symbology::Unknown),
            (0x04, Symbology::Unknown),
            (0xFF, Symbology::Unknown),
        ];
        for (code_type, expected) in table {
            assert_eq!(symbology(code_type), expected, "0x{code_type:02X}");
        }
    }

    #[test]
    fn packet_new_rejects_data_the_length_byte_cannot_count() {
        let fits = Packet::new(
            opcode::PARAM_SEND,
            Source::Host,
            Status(0),
            vec![0; MAX_DATA_LEN],
        );
        assert_eq!(fits.map(|p| p.encoded_len()), Ok(255 + CHECKSUM_LEN));
        let too_long = Packet::new(opcode::PARAM_SEND, Source::Host, Status(0), vec![0; 252]);
        assert_eq!(too_long, Err(EncodeError::TooLong { len: 252 }));
    }
}
