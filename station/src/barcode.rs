//! System barcodes: a kind prefix, a zero-padded sequence and a Damm check digit.
//!
//! Every tracked thing carries one: `B000012345` + check digit for a box, `C…` for a
//! certificate, `L…` for a location, `P…` for a person's badge and `K…` for a command card.
//! The check digit is computed by the Damm algorithm over the kind's digit *and* the
//! sequence, so every single-character error and every adjacent transposition is rejected,
//! including a box code misread as a certificate code. The sequence stays numeric so that
//! each code maps one-to-one to an RFID EPC later.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Number of sequence digits in a system barcode.
pub const SEQ_DIGITS: usize = 9;
/// Total length of a system barcode: prefix, sequence, check digit.
pub const BARCODE_LEN: usize = 1 + SEQ_DIGITS + 1;
/// The largest sequence a barcode can carry.
pub const MAX_SEQ: u64 = 999_999_999;

/// What a system barcode names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// An archive box (档案盒).
    Box,
    /// An original ownership certificate (权证).
    Certificate,
    /// A location: room, rack, side, section, shelf, safe or counter.
    Location,
    /// A person's badge (工牌).
    Person,
    /// A command card that switches a workstation's mode.
    Command,
}

impl Kind {
    /// All kinds, in prefix order.
    pub const ALL: [Kind; 5] = [
        Kind::Box,
        Kind::Certificate,
        Kind::Location,
        Kind::Person,
        Kind::Command,
    ];

    /// The letter that starts this kind's barcodes.
    pub fn prefix(self) -> char {
        match self {
            Kind::Box => 'B',
            Kind::Certificate => 'C',
            Kind::Location => 'L',
            Kind::Person => 'P',
            Kind::Command => 'K',
        }
    }

    /// The digit that stands for the kind inside the check-digit computation.
    fn check_code(self) -> u8 {
        match self {
            Kind::Box => 1,
            Kind::Certificate => 2,
            Kind::Location => 3,
            Kind::Person => 4,
            Kind::Command => 5,
        }
    }

    /// The kind whose barcodes start with `prefix`.
    pub fn from_prefix(prefix: char) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.prefix() == prefix)
    }

    /// A short bilingual name for messages.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Kind::Box => ("档案盒", "archive box"),
            Kind::Certificate => ("权证", "certificate"),
            Kind::Location => ("位置", "location"),
            Kind::Person => ("工牌", "badge"),
            Kind::Command => ("命令卡", "command card"),
        }
    }
}

/// A valid system barcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Barcode {
    kind: Kind,
    seq: u64,
}

/// Why a scanned or typed text is not a system barcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BarcodeError {
    /// The text is empty.
    Empty,
    /// The first character is not a known kind prefix.
    UnknownPrefix(char),
    /// The text has the wrong number of characters.
    BadLength {
        /// Characters found.
        found: usize,
        /// Characters expected.
        expected: usize,
    },
    /// A character after the prefix is not a digit.
    NotADigit {
        /// 1-based character position.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The check digit does not match: a misread or mistyped code.
    BadCheckDigit,
    /// The sequence is out of range when creating a barcode.
    SeqOutOfRange(u64),
}

impl BarcodeError {
    /// What to tell people.
    pub fn message(&self) -> crate::message::Message {
        use crate::message;
        match self {
            BarcodeError::Empty => message!(BarcodeEmpty),
            BarcodeError::UnknownPrefix(prefix) => {
                message!(BarcodeUnknownPrefix, prefix = format!("{prefix:?}"))
            }
            BarcodeError::BadLength { found, expected } => {
                message!(BarcodeBadLength, found = found, expected = expected)
            }
            BarcodeError::NotADigit { position, found } => {
                message!(
                    BarcodeNotADigit,
                    position = position,
                    found = format!("{found:?}")
                )
            }
            BarcodeError::BadCheckDigit => message!(BarcodeBadCheckDigit),
            BarcodeError::SeqOutOfRange(seq) => message!(BarcodeSeqOutOfRange, seq = seq),
        }
    }
}

crate::message::display_by_message!(BarcodeError);

impl crate::message::IntoArg for Barcode {
    fn into_arg(self) -> crate::message::Arg {
        crate::message::Arg::Same(self.to_string())
    }
}

impl crate::message::IntoArg for &Barcode {
    fn into_arg(self) -> crate::message::Arg {
        crate::message::Arg::Same(self.to_string())
    }
}

/// The Damm quasigroup of order 10 (H. Michael Damm, 2004), weakly totally anti-symmetric:
/// it detects all single-digit errors and all adjacent transpositions.
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

fn damm_step(interim: u8, digit: u8) -> u8 {
    DAMM[usize::from(interim % 10)][usize::from(digit % 10)]
}

/// The Damm check digit of `digits` (each 0..=9).
pub fn damm_check(digits: impl IntoIterator<Item = u8>) -> u8 {
    digits.into_iter().fold(0, damm_step)
}

fn seq_digits(seq: u64) -> [u8; SEQ_DIGITS] {
    let mut digits = [0u8; SEQ_DIGITS];
    let mut rest = seq;
    for slot in digits.iter_mut().rev() {
        *slot = (rest % 10) as u8;
        rest /= 10;
    }
    digits
}

impl Barcode {
    /// The barcode of `kind` with sequence `seq` (1..=[`MAX_SEQ`]).
    pub fn new(kind: Kind, seq: u64) -> Result<Barcode, BarcodeError> {
        if seq == 0 || seq > MAX_SEQ {
            return Err(BarcodeError::SeqOutOfRange(seq));
        }
        Ok(Barcode { kind, seq })
    }

    /// What the barcode names.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The numeric sequence.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The check digit printed as the last character.
    pub fn check_digit(&self) -> u8 {
        damm_check(std::iter::once(self.kind.check_code()).chain(seq_digits(self.seq)))
    }

    /// Parses a scanned or typed barcode, saying precisely what is wrong.
    ///
    /// Surrounding whitespace is ignored; lower-case prefixes are accepted (keyboard-wedge
    /// scanners with caps lock on send them).
    pub fn parse(text: &str) -> Result<Barcode, BarcodeError> {
        let text = text.trim();
        let mut chars = text.chars();
        let first = chars.next().ok_or(BarcodeError::Empty)?;
        let kind = Kind::from_prefix(first.to_ascii_uppercase())
            .ok_or(BarcodeError::UnknownPrefix(first))?;
        let found = text.chars().count();
        if found != BARCODE_LEN {
            return Err(BarcodeError::BadLength {
                found,
                expected: BARCODE_LEN,
            });
        }
        let mut interim = damm_step(0, kind.check_code());
        let mut seq = 0u64;
        for (idx, ch) in chars.enumerate() {
            let digit = ch.to_digit(10).ok_or(BarcodeError::NotADigit {
                position: idx + 2,
                found: ch,
            })? as u8;
            interim = damm_step(interim, digit);
            if idx < SEQ_DIGITS {
                seq = seq * 10 + u64::from(digit);
            }
        }
        if interim != 0 {
            return Err(BarcodeError::BadCheckDigit);
        }
        if seq == 0 {
            return Err(BarcodeError::SeqOutOfRange(0));
        }
        Ok(Barcode { kind, seq })
    }

    /// The barcode as the bytes used for store keys (its printed text).
    pub fn to_key(&self) -> [u8; BARCODE_LEN] {
        let mut key = [0u8; BARCODE_LEN];
        key[0] = self.kind.prefix() as u8;
        for (slot, digit) in key[1..=SEQ_DIGITS].iter_mut().zip(seq_digits(self.seq)) {
            *slot = b'0' + digit;
        }
        key[BARCODE_LEN - 1] = b'0' + self.check_digit();
        key
    }
}

impl fmt::Display for Barcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{:0width$}{}",
            self.kind.prefix(),
            self.seq,
            self.check_digit(),
            width = SEQ_DIGITS
        )
    }
}

impl FromStr for Barcode {
    type Err = BarcodeError;

    fn from_str(text: &str) -> Result<Barcode, BarcodeError> {
        Barcode::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character a scanner or a typist could plausibly put in a code.
    const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    fn samples() -> Vec<Barcode> {
        let mut samples = Vec::new();
        for kind in Kind::ALL {
            for seq in [1, 7, 42, 12_345, 900_000_001, MAX_SEQ, 508_163_274] {
                samples.push(Barcode::new(kind, seq).expect("valid sample"));
            }
        }
        samples
    }

    #[test]
    fn display_then_parse_round_trips() {
        for code in samples() {
            let text = code.to_string();
            assert_eq!(text.len(), BARCODE_LEN);
            assert_eq!(text.as_bytes(), code.to_key());
            assert_eq!(Barcode::parse(&text), Ok(code), "{text}");
        }
    }

    #[test]
    fn known_check_digits_follow_damm() {
        // Damm's textbook example: 572 has check digit 4.
        assert_eq!(damm_check([5, 7, 2]), 4);
        assert_eq!(damm_check([5, 7, 2, 4]), 0);
        // Kind digit 1 then 000000001.
        let code = Barcode::new(Kind::Box, 1).expect("valid");
        assert_eq!(
            code.check_digit(),
            damm_check([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        );
    }

    #[test]
    fn every_single_substitution_is_rejected() {
        for code in samples() {
            let text: Vec<char> = code.to_string().chars().collect();
            for position in 0..text.len() {
                for replacement in ALPHABET.chars() {
                    if replacement == text[position] {
                        continue;
                    }
                    let mut changed = text.clone();
                    changed[position] = replacement;
                    let changed: String = changed.into_iter().collect();
                    assert!(
                        Barcode::parse(&changed).is_err(),
                        "{code} with {replacement:?} at {position} was accepted as {changed}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_adjacent_transposition_is_rejected() {
        for code in samples() {
            let text: Vec<char> = code.to_string().chars().collect();
            for position in 0..text.len() - 1 {
                if text[position] == text[position + 1] {
                    continue;
                }
                let mut swapped = text.clone();
                swapped.swap(position, position + 1);
                let swapped: String = swapped.into_iter().collect();
                assert!(
                    Barcode::parse(&swapped).is_err(),
                    "{code} swapped at {position} was accepted as {swapped}"
                );
            }
        }
    }

    #[test]
    fn a_box_code_read_as_a_certificate_code_fails_the_check() {
        let code = Barcode::new(Kind::Box, 12_345).expect("valid").to_string();
        let as_certificate = format!("C{}", &code[1..]);
        assert_eq!(
            Barcode::parse(&as_certificate),
            Err(BarcodeError::BadCheckDigit)
        );
    }

    #[test]
    fn parse_says_precisely_what_is_wrong() {
        assert_eq!(Barcode::parse(""), Err(BarcodeError::Empty));
        assert_eq!(Barcode::parse("   "), Err(BarcodeError::Empty));
        assert_eq!(
            Barcode::parse("X0000000011"),
            Err(BarcodeError::UnknownPrefix('X'))
        );
        assert_eq!(
            Barcode::parse("B00001"),
            Err(BarcodeError::BadLength {
                found: 6,
                expected: BARCODE_LEN
            })
        );
        assert_eq!(
            Barcode::parse("B00000A0011"),
            Err(BarcodeError::NotADigit {
                position: 7,
                found: 'A'
            })
        );
        assert_eq!(
            Barcode::parse("B号000000011"),
            Err(BarcodeError::NotADigit {
                position: 2,
                found: '号'
            })
        );
        let good = Barcode::new(Kind::Location, 77).expect("valid").to_string();
        assert_eq!(
            Barcode::parse(&good.to_lowercase()).map(|c| c.seq()),
            Ok(77)
        );
        assert_eq!(
            Barcode::parse(&format!("  {good}\r\n")).map(|c| c.kind()),
            Ok(Kind::Location)
        );
    }

    #[test]
    fn sequence_range_is_enforced() {
        assert_eq!(
            Barcode::new(Kind::Box, 0),
            Err(BarcodeError::SeqOutOfRange(0))
        );
        assert_eq!(
            Barcode::new(Kind::Box, MAX_SEQ + 1),
            Err(BarcodeError::SeqOutOfRange(MAX_SEQ + 1))
        );
    }
}
