//! Archive numbers (档案号) from configurable numbering schemes.
//!
//! A scheme is a template such as `{year}鸿借字第{seq:03}号`: literal text, an optional
//! four-digit `{year}` and exactly one `{seq}` (optionally zero-padded to a minimum width
//! with `{seq:0N}`). Formatting gives `2012鸿借字第001号`; parsing takes such a number apart
//! again (for import and gap reports). Allocation of the next sequence lives in the store,
//! where it is atomic and never reuses a number.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest archive number accepted, in characters.
pub const MAX_ARCHIVE_NO_CHARS: usize = 64;

/// One piece of a numbering template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Year,
    Seq { width: usize },
}

/// A parsed numbering scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    name: String,
    template: String,
    parts: Vec<Part>,
}

/// Why a numbering template is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeError {
    /// A `{` without its `}`.
    UnclosedBrace {
        /// The template.
        template: String,
    },
    /// A placeholder other than `{year}`, `{seq}` or `{seq:0N}`.
    UnknownPlaceholder {
        /// The template.
        template: String,
        /// The placeholder text between the braces.
        placeholder: String,
    },
    /// Not exactly one `{seq}`, or more than one `{year}`.
    PlaceholderCount {
        /// The template.
        template: String,
    },
    /// `{seq}` followed directly by digits, which would make numbers ambiguous.
    Ambiguous {
        /// The template.
        template: String,
    },
    /// The scheme name is empty or too long.
    BadName(String),
}

impl SchemeError {
    /// What to tell people.
    pub fn message(&self) -> crate::message::Message {
        use crate::message;
        match self {
            SchemeError::UnclosedBrace { template } => {
                message!(SchemeUnclosedBrace, template = format!("{template:?}"))
            }
            SchemeError::UnknownPlaceholder {
                template,
                placeholder,
            } => message!(
                SchemeUnknownPlaceholder,
                template = format!("{template:?}"),
                placeholder = format!("{{{placeholder}}}")
            ),
            SchemeError::PlaceholderCount { template } => {
                message!(SchemePlaceholderCount, template = format!("{template:?}"))
            }
            SchemeError::Ambiguous { template } => {
                message!(SchemeAmbiguous, template = format!("{template:?}"))
            }
            SchemeError::BadName(name) => message!(SchemeBadName, name = format!("{name:?}")),
        }
    }
}

crate::message::display_by_message!(SchemeError);

impl Scheme {
    /// Parses `template` into a scheme called `name`.
    pub fn new(name: &str, template: &str) -> Result<Scheme, SchemeError> {
        let name_ok = !name.is_empty()
            && name.chars().count() <= 32
            && name
                .chars()
                .all(|ch| ch.is_alphanumeric() || ch == '-' || ch == '_');
        if !name_ok {
            return Err(SchemeError::BadName(name.to_owned()));
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').ok_or_else(|| SchemeError::UnclosedBrace {
                template: template.to_owned(),
            })?;
            let placeholder = &after[..close];
            let part = match placeholder {
                "year" => Part::Year,
                "seq" => Part::Seq { width: 1 },
                other => match other.strip_prefix("seq:0").map(str::parse::<usize>) {
                    Some(Ok(width)) if (1..=12).contains(&width) => Part::Seq { width },
                    _ => {
                        return Err(SchemeError::UnknownPlaceholder {
                            template: template.to_owned(),
                            placeholder: other.to_owned(),
                        })
                    }
                },
            };
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            parts.push(part);
            rest = &after[close + 1..];
        }
        if rest.contains('}') {
            return Err(SchemeError::UnclosedBrace {
                template: template.to_owned(),
            });
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        let n_seq = parts
            .iter()
            .filter(|part| matches!(part, Part::Seq { .. }))
            .count();
        let n_year = parts.iter().filter(|part| **part == Part::Year).count();
        if n_seq != 1 || n_year > 1 {
            return Err(SchemeError::PlaceholderCount {
                template: template.to_owned(),
            });
        }
        for pair in parts.windows(2) {
            if let [Part::Seq { .. }, next] = pair {
                let starts_with_digit = match next {
                    Part::Literal(text) => text.starts_with(|ch: char| ch.is_ascii_digit()),
                    Part::Year => true,
                    Part::Seq { .. } => true,
                };
                if starts_with_digit {
                    return Err(SchemeError::Ambiguous {
                        template: template.to_owned(),
                    });
                }
            }
        }
        Ok(Scheme {
            name: name.to_owned(),
            template: template.to_owned(),
            parts,
        })
    }

    /// The scheme's name, as configured.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template text, as configured.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// Whether numbers of this scheme carry a year (sequences then restart every year).
    pub fn has_year(&self) -> bool {
        self.parts.contains(&Part::Year)
    }

    /// The archive number for `year` and `seq`.
    pub fn format(&self, year: u16, seq: u64) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Year => out.push_str(&format!("{year:04}")),
                Part::Seq { width } => out.push_str(&format!("{seq:0width$}")),
            }
        }
        out
    }

    /// Takes an archive number of this scheme apart: `Some((year, seq))`, where `year` is 0
    /// for schemes without a year. Only the canonical spelling matches (the one
    /// [`Scheme::format`] gives back), so one number never has two spellings.
    pub fn parse(&self, text: &str) -> Option<(u16, u64)> {
        let mut rest = text;
        let mut year = 0u16;
        let mut seq = None;
        for part in &self.parts {
            match part {
                Part::Literal(literal) => rest = rest.strip_prefix(literal.as_str())?,
                Part::Year => {
                    let digits = rest.get(..4)?;
                    if !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    year = digits.parse().ok()?;
                    rest = &rest[4..];
                }
                Part::Seq { .. } => {
                    let len = rest.bytes().take_while(u8::is_ascii_digit).count();
                    if len == 0 || len > 18 {
                        return None;
                    }
                    seq = Some(rest[..len].parse::<u64>().ok()?);
                    rest = &rest[len..];
                }
            }
        }
        let seq = seq?;
        (rest.is_empty() && seq > 0 && self.format(year, seq) == text).then_some((year, seq))
    }

    /// The text of this scheme's numbers with the sequence left out: identifies one series
    /// (one year of one scheme), for gap reports.
    pub fn series_label(&self, year: u16) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Year => out.push_str(&format!("{year:04}")),
                Part::Seq { .. } => out.push('*'),
            }
        }
        out
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.template)
    }
}

/// A numbering scheme as written in the configuration file (a misspelt key is refused,
/// like everywhere else in station.toml).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeConfig {
    /// The scheme's name, used when registering boxes.
    pub name: String,
    /// The template, for example `{year}鸿借字第{seq:03}号`.
    pub template: String,
}

/// Why a text is not acceptable as an archive number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveNoError {
    /// Empty after trimming.
    Empty,
    /// Longer than [`MAX_ARCHIVE_NO_CHARS`].
    TooLong,
    /// Contains a control character or a slash.
    ControlCharacter,
}

impl ArchiveNoError {
    /// What to tell people.
    pub fn message(&self) -> crate::message::Message {
        use crate::message;
        match self {
            ArchiveNoError::Empty => message!(ArchiveNoEmpty),
            ArchiveNoError::TooLong => message!(ArchiveNoTooLong, max = MAX_ARCHIVE_NO_CHARS),
            ArchiveNoError::ControlCharacter => message!(ArchiveNoControl),
        }
    }
}

crate::message::display_by_message!(ArchiveNoError);

/// Checks and trims a free-form archive number (imported numbers need not match a scheme).
pub fn check_archive_no(text: &str) -> Result<String, ArchiveNoError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ArchiveNoError::Empty);
    }
    if text.chars().count() > MAX_ARCHIVE_NO_CHARS {
        return Err(ArchiveNoError::TooLong);
    }
    if text.chars().any(char::is_control) {
        return Err(ArchiveNoError::ControlCharacter);
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loan_scheme() -> Scheme {
        Scheme::new("loan", "{year}鸿借字第{seq:03}号").expect("valid template")
    }

    #[test]
    fn formats_the_archives_own_example() {
        assert_eq!(loan_scheme().format(2012, 1), "2012鸿借字第001号");
        assert_eq!(loan_scheme().format(2012, 1234), "2012鸿借字第1234号");
    }

    #[test]
    fn parse_and_format_are_inverse() {
        let scheme = loan_scheme();
        for (year, seq) in [(2012, 1), (1999, 999), (2026, 1000), (2030, 45)] {
            let text = scheme.format(year, seq);
            assert_eq!(scheme.parse(&text), Some((year, seq)), "{text}");
        }
        let plain = Scheme::new("plain", "DA-{seq}").expect("valid");
        assert_eq!(plain.parse("DA-17"), Some((0, 17)));
        assert_eq!(plain.format(0, 17), "DA-17");
        assert!(!plain.has_year());
    }

    #[test]
    fn parse_rejects_foreign_and_non_canonical_numbers() {
        let scheme = loan_scheme();
        for text in [
            "2012鸿借字第1号",
            "2012鸿借字第001",
            "12鸿借字第001号",
            "2012鸿贷字第001号",
            "2012鸿借字第000号",
            "2012鸿借字第001号x",
            "",
            "2012",
        ] {
            assert_eq!(scheme.parse(text), None, "{text}");
        }
    }

    #[test]
    fn bad_templates_are_rejected_with_a_reason() {
        assert!(matches!(
            Scheme::new("a", "{year}第{seq:03号"),
            Err(SchemeError::UnclosedBrace { .. })
        ));
        assert!(matches!(
            Scheme::new("a", "{year}第{sq}号"),
            Err(SchemeError::UnknownPlaceholder { .. })
        ));
        assert!(matches!(
            Scheme::new("a", "{year}第号"),
            Err(SchemeError::PlaceholderCount { .. })
        ));
        assert!(matches!(
            Scheme::new("a", "{seq}{seq}"),
            Err(SchemeError::PlaceholderCount { .. })
        ));
        assert!(matches!(
            Scheme::new("a", "{seq}{year}"),
            Err(SchemeError::Ambiguous { .. })
        ));
        assert!(matches!(
            Scheme::new("a", "{seq}9号"),
            Err(SchemeError::Ambiguous { .. })
        ));
        assert!(matches!(
            Scheme::new("", "{seq}"),
            Err(SchemeError::BadName(_))
        ));
    }

    #[test]
    fn series_label_leaves_the_sequence_out() {
        assert_eq!(loan_scheme().series_label(2012), "2012鸿借字第*号");
    }

    #[test]
    fn archive_numbers_are_checked() {
        assert_eq!(
            check_archive_no("  2012鸿借字第001号 "),
            Ok("2012鸿借字第001号".into())
        );
        assert_eq!(check_archive_no(" "), Err(ArchiveNoError::Empty));
        assert_eq!(
            check_archive_no(&"号".repeat(65)),
            Err(ArchiveNoError::TooLong)
        );
        assert_eq!(
            check_archive_no("a\u{7}b"),
            Err(ArchiveNoError::ControlCharacter)
        );
    }
}
