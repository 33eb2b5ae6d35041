//! Code 128: choosing code sets, encoding to modules (via `barcoders`), the matching ZPL
//! field data, and an independent decoder for the read-back check.
//!
//! `barcoders` needs the code sets spelled out; [`plan`] picks them the usual way (ISO/IEC
//! 15417 Annex E): set C for runs of digits long enough to pay for the switch, set B
//! otherwise. The same plan drives the ZPL `^BC` field (mode N with explicit subset
//! invocation codes), so the printer draws exactly the bars the PDF and read-back draw.

/// One run of the plan: a code set and the characters it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Run {
    /// Set B: printable ASCII.
    B(String),
    /// Set C: pairs of digits (even length).
    C(String),
}

/// Code 128 cannot carry this value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code128Error {
    /// Empty value.
    Empty,
    /// A character outside printable ASCII.
    Character(char),
    /// The encoder refused the value.
    Encoder(String),
}

impl Code128Error {
    /// What to tell people.
    pub fn message(&self) -> crate::message::Message {
        use crate::message;
        match self {
            Code128Error::Empty => message!(LabelCode128Empty),
            Code128Error::Character(ch) => message!(LabelCode128Character, ch = format!("{ch:?}")),
            Code128Error::Encoder(value) => {
                message!(LabelCode128Encoder, value = format!("{value:?}"))
            }
        }
    }
}

crate::message::display_by_message!(Code128Error);

/// Splits `value` into code-set runs: set C for digit runs of ≥ 4 (≥ 2 for a whole value of
/// digits, ≥ 4 at either end, ≥ 6 in the middle, as the switch costs a symbol each way).
pub(crate) fn plan(value: &str) -> Result<Vec<Run>, Code128Error> {
    if value.is_empty() {
        return Err(Code128Error::Empty);
    }
    if let Some(bad) = value.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(Code128Error::Character(bad));
    }
    let bytes = value.as_bytes();
    let mut runs: Vec<Run> = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let digits = bytes
            .get(index..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let at_start = index == 0;
        let at_end = index + digits == bytes.len();
        let worth = if at_start && at_end {
            digits >= 2 && digits % 2 == 0 || digits >= 4
        } else if at_start || at_end {
            digits >= 4
        } else {
            digits >= 6
        };
        if digits > 0 && worth {
            // An odd run leaves its first digit in set B (or, at the very start, its last).
            let (c_start, c_len) = if digits % 2 == 0 {
                (index, digits)
            } else if at_start {
                (index, digits - 1)
            } else {
                push_b(&mut runs, value.get(index..index + 1).unwrap_or_default());
                (index + 1, digits - 1)
            };
            runs.push(Run::C(
                value
                    .get(c_start..c_start + c_len)
                    .unwrap_or_default()
                    .to_string(),
            ));
            index = c_start + c_len;
            if digits % 2 == 1 && at_start {
                push_b(&mut runs, value.get(index..index + 1).unwrap_or_default());
                index += 1;
            }
        } else if digits > 0 {
            push_b(
                &mut runs,
                value.get(index..index + digits).unwrap_or_default(),
            );
            index += digits;
        } else {
            let end = bytes
                .get(index..)
                .unwrap_or_default()
                .iter()
                .position(u8::is_ascii_digit)
                .map_or(bytes.len(), |offset| index + offset);
            push_b(&mut runs, value.get(index..end).unwrap_or_default());
            index = end;
        }
    }
    Ok(runs)
}

fn push_b(runs: &mut Vec<Run>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Run::B(last)) = runs.last_mut() {
        last.push_str(text);
    } else {
        runs.push(Run::B(text.to_string()));
    }
}

/// Bars and spaces of `value` as modules (`1` bar, `0` space), start to stop, no quiet zones.
pub(crate) fn modules(runs: &[Run]) -> Result<Vec<u8>, Code128Error> {
    let mut spelled = String::new();
    for run in runs {
        match run {
            Run::B(text) => {
                spelled.push('Ɓ');
                spelled.push_str(text);
            }
            Run::C(digits) => {
                spelled.push('Ć');
                spelled.push_str(digits);
            }
        }
    }
    barcoders::sym::code128::Code128::new(&spelled)
        .map(|code| code.encode())
        .map_err(|_| Code128Error::Encoder(spelled))
}

/// The `^FD` content for `^BC…,N` (no automatic mode): subset invocation codes per
/// ZPL II Programming Guide, `^BC` "Code 128 Invocation Characters" (`>:` start B,
/// `>;` start C, `>6` switch to B, `>5` switch to C, `><` a literal `>` in set B).
pub(crate) fn zpl_field(runs: &[Run]) -> String {
    let mut out = String::new();
    for (index, run) in runs.iter().enumerate() {
        match (index, run) {
            (0, Run::B(_)) => out.push_str(">:"),
            (0, Run::C(_)) => out.push_str(">;"),
            (_, Run::B(_)) => out.push_str(">6"),
            (_, Run::C(_)) => out.push_str(">5"),
        }
        match run {
            Run::B(text) => {
                for ch in text.chars() {
                    if ch == '>' {
                        out.push_str("><");
                    } else {
                        out.push(ch);
                    }
                }
            }
            Run::C(digits) => out.push_str(digits),
        }
    }
    out
}

/// Widths (bar, space, bar, space, bar, space) of symbol values 0–105, per ISO/IEC 15417
/// table 1; the stop symbol (106) has a seventh element.
const PATTERNS: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];

const START_A: usize = 103;
const START_B: usize = 104;
const START_C: usize = 105;
const STOP: usize = 106;

/// Looks a six-element width pattern up.
fn symbol_of(widths: &[u32]) -> Option<usize> {
    PATTERNS.iter().take(106).position(|pattern| {
        pattern.len() == widths.len()
            && pattern
                .bytes()
                .zip(widths)
                .all(|(expected, &got)| u32::from(expected - b'0') == got)
    })
}

/// Decodes one scan line (`true` is a dark pixel) as Code 128, checksum verified.
/// Returns `None` if no valid symbol is found.
pub(crate) fn decode_row(row: &[bool]) -> Option<String> {
    // Run lengths, starting with the first bar.
    let mut runs: Vec<u32> = Vec::new();
    let first_bar = row.iter().position(|&dark| dark)?;
    let mut current = true;
    let mut length = 0u32;
    for &dark in row.get(first_bar..)? {
        if dark == current {
            length += 1;
        } else {
            runs.push(length);
            current = dark;
            length = 1;
        }
    }
    runs.push(length);
    // Try every bar as a possible start symbol (runs at even indexes are bars).
    let mut start = 0;
    while start + 6 <= runs.len() {
        if let Some(text) = decode_from(&runs, start) {
            return Some(text);
        }
        start += 2;
    }
    None
}

/// Normalises six (or seven) runs to module counts summing to 11 (13 for stop).
fn normalise(runs: &[u32], total_modules: u32) -> Option<Vec<u32>> {
    let sum: u32 = runs.iter().sum();
    if sum == 0 {
        return None;
    }
    let widths: Vec<u32> = runs
        .iter()
        .map(|&run| {
            ((f64::from(run) * f64::from(total_modules) / f64::from(sum)).round() as u32).max(1)
        })
        .collect();
    if widths.iter().sum::<u32>() != total_modules || widths.iter().any(|&w| w > 4) {
        return None;
    }
    Some(widths)
}

fn decode_from(runs: &[u32], start: usize) -> Option<String> {
    let start_symbol = symbol_of(&normalise(runs.get(start..start + 6)?, 11)?)?;
    if !matches!(start_symbol, START_A | START_B | START_C) {
        return None;
    }
    let mut values = vec![start_symbol];
    let mut position = start + 6;
    loop {
        // The stop symbol has seven elements (13 modules).
        if let Some(seven) = runs.get(position..position + 7) {
            if let Some(widths) = normalise(seven, 13) {
                let stop: Vec<u32> = PATTERNS
                    .get(STOP)?
                    .bytes()
                    .map(|b| u32::from(b - b'0'))
                    .collect();
                if widths == stop && values.len() >= 2 {
                    break;
                }
            }
        }
        let six = runs.get(position..position + 6)?;
        let symbol = symbol_of(&normalise(six, 11)?)?;
        values.push(symbol);
        position += 6;
    }
    // Checksum: start value + Σ position × value, mod 103 (ISO/IEC 15417 §4.4.2).
    let (check, data) = values.split_last()?;
    let sum = data
        .iter()
        .enumerate()
        .map(|(index, &value)| index.max(1) * value)
        .sum::<usize>();
    if sum % 103 != *check {
        return None;
    }
    let mut set = match *data.first()? {
        START_A => 'A',
        START_B => 'B',
        _ => 'C',
    };
    let mut text = String::new();
    for &value in data.get(1..)? {
        match (set, value) {
            ('C', 0..=99) => text.push_str(&format!("{value:02}")),
            ('C', 100) | ('A', 100) => set = 'B',
            ('C', 101) | ('B', 101) => set = 'A',
            ('A', 99) | ('B', 99) => set = 'C',
            ('B', 0..=95) => text.push(char::from(32 + value as u8)),
            ('A', 0..=63) => text.push(char::from(32 + value as u8)),
            ('A', 64..=95) => text.push(char::from(value as u8 - 64)),
            // Shifts and function codes do not occur in our own labels.
            _ => return None,
        }
    }
    Some(text)
}

/// The width pattern of symbol `value` (for tests comparing with the encoder).
#[cfg(test)]
pub(crate) fn pattern(value: usize) -> &'static str {
    PATTERNS.get(value).copied().unwrap_or("")
}
