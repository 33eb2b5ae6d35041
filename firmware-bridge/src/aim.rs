//! AIM symbology identifiers: the three bytes `]`, code character, modifier
//! character that a scanner can send in front of the barcode data
//! (ISO/IEC 15424, "Symbology Identifiers").
//!
//! ```
//! use firmware_bridge::{AimId, Symbology};
//!
//! let id = AimId::decode(b"]C10109501101530003").unwrap();
//! assert_eq!(id.to_string(), "]C1");
//! assert_eq!(id.symbology(), Symbology::Gs1_128);
//! assert_eq!(AimId::decode(b"BOX-000123"), None);
//! ```

use std::fmt;

use crate::scan::Symbology;

/// An AIM symbology identifier such as `]C0` (Code 128) or `]Q1` (QR Code).
///
/// Only well-formed identifiers can be built: the code character is an ASCII
/// letter and the modifier an ASCII letter or digit (ISO/IEC 15424 §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AimId {
    code: u8,
    modifier: u8,
}

impl AimId {
    /// The flag character that starts every identifier.
    pub const FLAG: u8 = b']';
    /// Encoded length of an identifier, in bytes.
    pub const LEN: usize = 3;

    /// Builds an identifier from its code and modifier characters, or `None`
    /// when either is not a valid identifier character.
    pub const fn new(code: u8, modifier: u8) -> Option<AimId> {
        if code.is_ascii_alphabetic() && modifier.is_ascii_alphanumeric() {
            Some(AimId { code, modifier })
        } else {
            None
        }
    }

    /// Reads the identifier at the start of `line`, or `None` when the line
    /// does not start with one (including when it is shorter than
    /// [`AimId::LEN`]).
    pub fn decode(line: &[u8]) -> Option<AimId> {
        match *line {
            [Self::FLAG, code, modifier, ..] => AimId::new(code, modifier),
            _ => None,
        }
    }

    /// Appends the three identifier bytes to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[Self::FLAG, self.code, self.modifier]);
    }

    /// The code character, which names the symbology (`'C'` for Code 128).
    pub const fn code(&self) -> char {
        self.code as char
    }

    /// The modifier character, which qualifies it (`'1'`: FNC1 in first
    /// position, i.e. GS1).
    pub const fn modifier(&self) -> char {
        self.modifier as char
    }

    /// The barcode family this identifier names.
    ///
    /// Code characters and modifiers follow ISO/IEC 15424 Annex A and the
    /// symbology specifications it cites (ISO/IEC 15417 Code 128, ISO/IEC
    /// 16022 Data Matrix, ISO/IEC 18004 QR Code, GS1 General Specifications
    /// §5.1.2 for the GS1 modifiers).
    pub const fn symbology(&self) -> Symbology {
        match (self.code, self.modifier) {
            (b'A', _) => Symbology::Code39,
            // C1: FNC1 in first position = GS1-128. C0, C2 and C4 are plain
            // Code 128 (C2: FNC1 in second position, C4: ISBT concatenation).
            (b'C', b'1') => Symbology::Gs1_128,
            (b'C', _) => Symbology::Code128,
            // E0: EAN-13 / UPC-A / UPC-E as 13 digits; E3: EAN-13 with
            // add-on in one message; E4: EAN-8. E1 and E2 are a lone 2- or
            // 5-digit add-on, which names no family of its own.
            (b'E', b'0' | b'3') => Symbology::Ean13,
            (b'E', b'4') => Symbology::Ean8,
            (b'F', _) => Symbology::Codabar,
            (b'G', _) => Symbology::Code93,
            (b'I', _) => Symbology::Interleaved2Of5,
            (b'L', _) => Symbology::Pdf417,
            // Q3 / Q4: FNC1 in first position (without / with ECI).
            (b'Q', b'3' | b'4') => Symbology::Gs1QrCode,
            (b'Q', _) => Symbology::QrCode,
            // d2 / d5: ECC 200 with FNC1 in first position (without / with
            // ECI).
            (b'd', b'2' | b'5') => Symbology::Gs1DataMatrix,
            (b'd', _) => Symbology::DataMatrix,
            (b'e', _) => Symbology::Gs1DataBar,
            (b'z', _) => Symbology::Aztec,
            _ => Symbology::Unknown,
        }
    }
}

impl fmt::Display for AimId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "]{}{}", self.code(), self.modifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_map_to_symbologies() {
        let table: &[(&[u8], Symbology)] = &[
            (b"]C0", Symbology::Code128),
            (b"]C1", Symbology::Gs1_128),
            (b"]C2", Symbology::Code128),
            (b"]A0", Symbology::Code39),
            (b"]A4", Symbology::Code39),
            (b"]E0", Symbology::Ean13),
            (b"]E3", Symbology::Ean13),
            (b"]E4", Symbology::Ean8),
            (b"]E1", Symbology::Unknown),
            (b"]F0", Symbology::Codabar),
            (b"]G0", Symbology::Code93),
            (b"]I0", Symbology::Interleaved2Of5),
            (b"]L2", Symbology::Pdf417),
            (b"]Q1", Symbology::QrCode),
            (b"]Q0", Symbology::QrCode),
            (b"]Q3", Symbology::Gs1QrCode),
            (b"]Q4", Symbology::Gs1QrCode),
            (b"]Q6", Symbology::QrCode),
            (b"]d1", Symbology::DataMatrix),
            (b"]d2", Symbology::Gs1DataMatrix),
            (b"]d5", Symbology::Gs1DataMatrix),
            (b"]e0", Symbology::Gs1DataBar),
            (b"]z0", Symbology::Aztec),
            (b"]X0", Symbology::Unknown),
        ];
        for &(bytes, expected) in table {
            let id = AimId::decode(bytes).unwrap_or_else(|| panic!("{bytes:?} is an identifier"));
            assert_eq!(id.symbology(), expected, "{id}");
            let mut encoded = Vec::new();
            id.encode(&mut encoded);
            assert_eq!(encoded, bytes, "{id} encodes back to its bytes");
        }
    }

    #[test]
    fn malformed_identifiers_are_not_identifiers() {
        let table: &[&[u8]] = &[
            b"", b"]", b"]C", b"C0]", b"]0C",  // code must be a letter
            b"]C-",  // modifier must be a letter or digit
            b"]\0A", // control bytes are never identifier characters
            b"[C0",
        ];
        for &bytes in table {
            assert_eq!(AimId::decode(bytes), None, "{bytes:?}");
        }
    }

    #[test]
    fn display_shows_the_wire_form() {
        assert_eq!(
            AimId::new(b'd', b'2').map(|id| id.to_string()).as_deref(),
            Some("]d2")
        );
    }
}
