//! What the scanner decoders produce: a [`Scan`] per barcode read, and a
//! [`Skipped`] report for every byte range that did not become one.

use std::fmt;

use crate::aim::AimId;
use crate::ssi;

/// Default limit on the data of one scan, in bytes.
///
/// The largest 2D symbols hold about 3 KB (QR code, version 40, binary), so
/// 4 KiB admits every real barcode while bounding the memory a runaway line
/// can take.
pub const DEFAULT_MAX_LEN: usize = 4096;

/// One barcode read, with framing, prefix and symbology identifier removed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scan {
    /// The barcode family, as far as the scanner told us.
    pub symbology: Symbology,
    /// The identifier the scanner sent, exactly as sent; `None` when it sent
    /// none.
    pub id: Option<SymbologyId>,
    /// The barcode content. Bytes, not text: GS1 symbols carry GS (0x1D)
    /// separators, and 2D codes may carry UTF-8 or GBK text or binary data.
    pub data: Vec<u8>,
}

/// The raw symbology identifier a scanner sent with a scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbologyId {
    /// An AIM identifier from a line-framed scan, such as `]C1`.
    Aim(AimId),
    /// The barcode type byte of an SSI DECODE_DATA packet.
    Ssi(u8),
}

/// A barcode family.
///
/// GS1 variants are kept apart from their plain counterparts because their
/// data is GS1 element strings (application identifiers separated by GS), not
/// free text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Symbology {
    /// Code 128.
    Code128,
    /// GS1-128 (formerly UCC/EAN-128): Code 128 with FNC1 in first position.
    Gs1_128,
    /// Code 39, including Full ASCII.
    Code39,
    /// Code 93.
    Code93,
    /// Codabar.
    Codabar,
    /// Interleaved 2 of 5 (ITF).
    Interleaved2Of5,
    /// EAN-13; AIM also reports UPC-A this way, as 13 digits.
    Ean13,
    /// EAN-8.
    Ean8,
    /// UPC-A (SSI only; AIM reports it as EAN-13).
    UpcA,
    /// UPC-E (SSI only; AIM reports it as EAN-13).
    UpcE,
    /// GS1 DataBar, any variant.
    Gs1DataBar,
    /// PDF417.
    Pdf417,
    /// Data Matrix.
    DataMatrix,
    /// GS1 Data Matrix: Data Matrix with FNC1 in first position.
    Gs1DataMatrix,
    /// QR Code.
    QrCode,
    /// GS1 QR Code: QR Code with FNC1 in first position.
    Gs1QrCode,
    /// Aztec Code.
    Aztec,
    /// The scanner sent no identifier, or one this crate does not name; see
    /// [`Scan::id`] for what it sent.
    Unknown,
}

impl Symbology {
    /// The usual printed name, e.g. `"GS1-128"`.
    pub const fn name(self) -> &'static str {
        match self {
            Symbology::Code128 => "Code 128",
            Symbology::Gs1_128 => "GS1-128",
            Symbology::Code39 => "Code 39",
            Symbology::Code93 => "Code 93",
            Symbology::Codabar => "Codabar",
            Symbology::Interleaved2Of5 => "Interleaved 2 of 5",
            Symbology::Ean13 => "EAN-13",
            Symbology::Ean8 => "EAN-8",
            Symbology::UpcA => "UPC-A",
            Symbology::UpcE => "UPC-E",
            Symbology::Gs1DataBar => "GS1 DataBar",
            Symbology::Pdf417 => "PDF417",
            Symbology::DataMatrix => "Data Matrix",
            Symbology::Gs1DataMatrix => "GS1 Data Matrix",
            Symbology::QrCode => "QR Code",
            Symbology::Gs1QrCode => "GS1 QR Code",
            Symbology::Aztec => "Aztec",
            Symbology::Unknown => "unknown symbology",
        }
    }
}

impl fmt::Display for Symbology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A byte range of the input that did not become a scan, and why.
///
/// Offsets count bytes from the first byte the decoder was ever fed, so a
/// report can be matched against a capture of the serial line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Stream offset of the first skipped byte.
    pub offset: u64,
    /// Number of bytes skipped. Zero for a bare line terminator, which is
    /// reported at its own offset.
    pub len: usize,
    /// Why the bytes were skipped.
    pub reason: SkipReason,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "skipped {} byte(s) at offset {}: {}",
            self.len, self.offset, self.reason
        )
    }
}

/// Why a decoder skipped bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// A run of control characters inside a line: line noise. The rest of the
    /// line may still have become a scan.
    ControlBytes {
        /// The first byte of the run.
        first: u8,
    },
    /// Bytes in front of the configured prefix; the line after the prefix was
    /// still decoded.
    BeforePrefix,
    /// A whole line without the configured prefix.
    MissingPrefix,
    /// A whole line without an AIM identifier, when one is required.
    MissingAim,
    /// A line or DECODE_DATA message that carried no barcode data: a bare
    /// terminator, or nothing but prefix, identifier or control bytes.
    NoData,
    /// A whole line or message longer than the configured maximum.
    TooLong {
        /// The limit that was exceeded, in bytes.
        max_len: usize,
    },
    /// Bytes that never formed a complete frame: a line without terminator or
    /// a partial packet at end of input, or a multi-packet message that was
    /// interrupted.
    Incomplete,
    /// Bytes that do not start a valid SSI packet; the error describes the
    /// first of them.
    BadPacket(ssi::DecodeError),
    /// A retransmitted SSI packet that had already been received: the scanner
    /// missed our ACK and sent it again. Acknowledged again, not decoded
    /// twice.
    Duplicate,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::ControlBytes { first } => {
                write!(f, "control characters (line noise), first 0x{first:02X}")
            }
            SkipReason::BeforePrefix => f.write_str("bytes before the prefix"),
            SkipReason::MissingPrefix => f.write_str("line without the configured prefix"),
            SkipReason::MissingAim => f.write_str("line without an AIM symbology identifier"),
            SkipReason::NoData => f.write_str("no barcode data"),
            SkipReason::TooLong { max_len } => write!(f, "longer than {max_len} bytes"),
            SkipReason::Incomplete => f.write_str("incomplete frame"),
            SkipReason::BadPacket(err) => write!(f, "not an SSI packet: {err}"),
            SkipReason::Duplicate => f.write_str("retransmission of a packet already received"),
        }
    }
}
