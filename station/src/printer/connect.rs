//! The `connect` address of a printer (`tcp://`, `serial://`, `cups://`, `dir://`) and its
//! parser, with bilingual errors for whoever edits `station.toml`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::message;
use crate::message::{display_by_message, Message};

/// The port raw-TCP label printers listen on (Zebra, and most others: "port 9100").
pub const DEFAULT_TCP_PORT: u16 = 9100;
/// The line speed a Zebra printer's serial port ships with.
pub const DEFAULT_BAUD: u32 = 9600;

/// How the station reaches a printer.
///
/// | Address | Meaning |
/// |---|---|
/// | `tcp://192.168.10.20:9100`, `tcp://zebra-1` | raw TCP; the port defaults to 9100 |
/// | `serial:///dev/ttyUSB1`, `serial:///dev/ttyS0?baud=19200` | a serial port (9600 baud unless given) |
/// | `cups://archive-pdf` | a CUPS queue on the local server, through `lp` |
/// | `cups://printserver:631/archive-pdf` | a CUPS queue on another server (`lp -h`) |
/// | `dir://./station-data/labels`, `dir:///srv/labels` | files in a directory |
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Connect {
    /// Raw TCP: the job's bytes go to the socket as they are.
    Tcp {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// TCP port.
        port: u16,
    },
    /// A serial port, 8 data bits, no parity, 1 stop bit.
    Serial {
        /// The port, e.g. `/dev/ttyUSB1` or a `/dev/serial/by-id/...` name.
        path: PathBuf,
        /// Line speed in bits per second.
        baud: u32,
    },
    /// A CUPS queue: the job goes to `lp -d QUEUE` on its standard input.
    Cups {
        /// The queue (CUPS destination) name.
        queue: String,
        /// `host[:port]` of a CUPS server other than the default one (`lp -h`).
        server: Option<String>,
    },
    /// A directory that receives each job as a file (`.zpl` or `.pdf`).
    Dir {
        /// The directory, relative to the station's working directory unless absolute.
        path: PathBuf,
    },
}

impl Connect {
    /// Parses a `connect` address; see [`Connect`] for the forms.
    pub fn parse(text: &str) -> Result<Connect, ConnectError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ConnectError::Empty);
        }
        let Some((scheme, rest)) = trimmed.split_once("://") else {
            return Err(ConnectError::MissingScheme { text: text.into() });
        };
        match scheme.to_ascii_lowercase().as_str() {
            "tcp" => parse_tcp(text, rest),
            "serial" => parse_serial(text, rest),
            "cups" => parse_cups(text, rest),
            "dir" => {
                if rest.is_empty() {
                    return Err(ConnectError::MissingPath { text: text.into() });
                }
                Ok(Connect::Dir {
                    path: PathBuf::from(rest),
                })
            }
            _ => Err(ConnectError::UnknownScheme {
                text: text.into(),
                scheme: scheme.into(),
            }),
        }
    }
}

fn parse_tcp(text: &str, rest: &str) -> Result<Connect, ConnectError> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') || rest.contains('?') {
        return Err(ConnectError::UnexpectedPath { text: text.into() });
    }
    let (host, port) = split_host_port(text, rest)?;
    Ok(Connect::Tcp {
        host: host.into(),
        port: port.unwrap_or(DEFAULT_TCP_PORT),
    })
}

/// Splits `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port<'a>(text: &str, rest: &'a str) -> Result<(&'a str, Option<u16>), ConnectError> {
    let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err(ConnectError::MissingHost { text: text.into() });
        };
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(ConnectError::MissingHost { text: text.into() }),
            },
        }
    } else {
        match rest.rsplit_once(':') {
            Some((host, _)) if host.contains(':') => {
                // A bare IPv6 address: only the bracketed form may carry a port.
                (rest, None)
            }
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConnectError::MissingHost { text: text.into() });
    }
    let port = match port {
        None => None,
        Some(port) => match port.parse::<u16>() {
            Ok(number) if number > 0 => Some(number),
            _ => {
                return Err(ConnectError::BadPort {
                    text: text.into(),
                    port: port.into(),
                })
            }
        },
    };
    Ok((host, port))
}

fn parse_serial(text: &str, rest: &str) -> Result<Connect, ConnectError> {
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    if path.is_empty() {
        return Err(ConnectError::MissingPath { text: text.into() });
    }
    if !path.starts_with('/') {
        return Err(ConnectError::SerialNotAbsolute { text: text.into() });
    }
    let mut baud = DEFAULT_BAUD;
    for option in query.into_iter().flat_map(|query| query.split('&')) {
        match option.split_once('=') {
            Some(("baud", value)) => match value.parse::<u32>() {
                Ok(number) if number > 0 => baud = number,
                _ => {
                    return Err(ConnectError::BadOption {
                        text: text.into(),
                        option: option.into(),
                    })
                }
            },
            _ => {
                return Err(ConnectError::BadOption {
                    text: text.into(),
                    option: option.into(),
                })
            }
        }
    }
    Ok(Connect::Serial {
        path: PathBuf::from(path),
        baud,
    })
}

fn parse_cups(text: &str, rest: &str) -> Result<Connect, ConnectError> {
    let (server, queue) = match rest.split_once('/') {
        Some((server, queue)) => {
            let (host, port) = split_host_port(text, server)?;
            let server = match port {
                Some(port) if host.contains(':') => format!("[{host}]:{port}"),
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            };
            (Some(server), queue)
        }
        None => (None, rest),
    };
    // CUPS queue names: printable, at most 127 bytes, no space, '/', '\\', '?', '\'', '"'
    // or '#' (CUPS "lpadmin -p" rules).
    let bad = |c: char| c.is_control() || c.is_whitespace() || "/\\?'\"#".contains(c);
    if queue.is_empty() || queue.len() > 127 || queue.chars().any(bad) {
        return Err(ConnectError::BadQueue {
            text: text.into(),
            queue: queue.into(),
        });
    }
    Ok(Connect::Cups {
        queue: queue.into(),
        server,
    })
}

impl FromStr for Connect {
    type Err = ConnectError;

    fn from_str(text: &str) -> Result<Connect, ConnectError> {
        Connect::parse(text)
    }
}

impl TryFrom<String> for Connect {
    type Error = ConnectError;

    fn try_from(text: String) -> Result<Connect, ConnectError> {
        Connect::parse(&text)
    }
}

impl<'de> serde::Deserialize<'de> for Connect {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Connect, D::Error> {
        let text = String::deserialize(deserializer)?;
        Connect::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Serialized as its canonical address text (the form [`Connect::parse`] reads), so that a
/// printer definition round-trips through JSON or TOML.
impl serde::Serialize for Connect {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// In a JSON schema: the address text.
impl schemars::JsonSchema for Connect {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Connect".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^(tcp|serial|cups|dir)://.",
            "description": "tcp://host[:port], serial:///dev/ttyUSB1[?baud=N], cups://[server[:port]/]QUEUE or dir://PATH",
            "examples": ["tcp://192.168.10.20:9100", "dir://./station-data/labels"]
        })
    }
}

/// The address in its canonical form, which [`Connect::parse`] reads back.
impl fmt::Display for Connect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Connect::Tcp { host, port } if host.contains(':') => write!(f, "tcp://[{host}]:{port}"),
            Connect::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Connect::Serial { path, baud } if *baud == DEFAULT_BAUD => {
                write!(f, "serial://{}", path.display())
            }
            Connect::Serial { path, baud } => write!(f, "serial://{}?baud={baud}", path.display()),
            Connect::Cups {
                queue,
                server: None,
            } => write!(f, "cups://{queue}"),
            Connect::Cups {
                queue,
                server: Some(server),
            } => write!(f, "cups://{server}/{queue}"),
            Connect::Dir { path } => write!(f, "dir://{}", path.display()),
        }
    }
}

/// Why a `connect` address was refused. Every message quotes the address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectError {
    /// Nothing was given.
    Empty,
    /// No `scheme://` in front.
    MissingScheme {
        /// The address as given.
        text: String,
    },
    /// A scheme other than the four known ones.
    UnknownScheme {
        /// The address as given.
        text: String,
        /// The scheme found.
        scheme: String,
    },
    /// `tcp://` or a CUPS server without a usable host.
    MissingHost {
        /// The address as given.
        text: String,
    },
    /// A port that is not a number from 1 to 65535.
    BadPort {
        /// The address as given.
        text: String,
        /// The port as given.
        port: String,
    },
    /// A path or query after a `tcp://` address.
    UnexpectedPath {
        /// The address as given.
        text: String,
    },
    /// `serial://` or `dir://` without a path.
    MissingPath {
        /// The address as given.
        text: String,
    },
    /// `serial://dev/ttyUSB1`: two slashes instead of three.
    SerialNotAbsolute {
        /// The address as given.
        text: String,
    },
    /// An option after `?` that is unknown or has a bad value.
    BadOption {
        /// The address as given.
        text: String,
        /// The option as given.
        option: String,
    },
    /// A CUPS queue name that is empty or has characters CUPS does not allow.
    BadQueue {
        /// The address as given.
        text: String,
        /// The queue name as given.
        queue: String,
    },
}

impl ConnectError {
    /// What to tell people.
    pub fn message(&self) -> Message {
        let quoted = |text: &str| format!("{text:?}");
        match self {
            ConnectError::Empty => message!(ConnectEmpty),
            ConnectError::MissingScheme { text } => {
                message!(ConnectMissingScheme, text = quoted(text))
            }
            ConnectError::UnknownScheme { text, scheme } => message!(
                ConnectUnknownScheme,
                text = quoted(text),
                scheme = quoted(scheme)
            ),
            ConnectError::MissingHost { text } => message!(ConnectMissingHost, text = quoted(text)),
            ConnectError::BadPort { text, port } => {
                message!(ConnectBadPort, text = quoted(text), port = quoted(port))
            }
            ConnectError::UnexpectedPath { text } => {
                message!(ConnectUnexpectedPath, text = quoted(text))
            }
            ConnectError::MissingPath { text } => message!(ConnectMissingPath, text = quoted(text)),
            ConnectError::SerialNotAbsolute { text } => {
                message!(ConnectSerialNotAbsolute, text = quoted(text))
            }
            ConnectError::BadOption { text, option } => message!(
                ConnectBadOption,
                text = quoted(text),
                option = quoted(option)
            ),
            ConnectError::BadQueue { text, queue } => {
                message!(ConnectBadQueue, text = quoted(text), queue = quoted(queue))
            }
        }
    }
}

display_by_message!(ConnectError);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Code;

    #[test]
    fn parses_every_form_and_prints_it_back() {
        let cases = [
            (
                "tcp://192.168.10.20:9100",
                Connect::Tcp {
                    host: "192.168.10.20".into(),
                    port: 9100,
                },
                "tcp://192.168.10.20:9100",
            ),
            (
                "tcp://zebra-1",
                Connect::Tcp {
                    host: "zebra-1".into(),
                    port: DEFAULT_TCP_PORT,
                },
                "tcp://zebra-1:9100",
            ),
            (
                "TCP://[::1]:6101/",
                Connect::Tcp {
                    host: "::1".into(),
                    port: 6101,
                },
                "tcp://[::1]:6101",
            ),
            (
                "serial:///dev/ttyUSB1",
                Connect::Serial {
                    path: "/dev/ttyUSB1".into(),
                    baud: DEFAULT_BAUD,
                },
                "serial:///dev/ttyUSB1",
            ),
            (
                "serial:///dev/serial/by-id/usb-Zebra-if00?baud=115200",
                Connect::Serial {
                    path: "/dev/serial/by-id/usb-Zebra-if00".into(),
                    baud: 115_200,
                },
                "serial:///dev/serial/by-id/usb-Zebra-if00?baud=115200",
            ),
            (
                "cups://archive-pdf",
                Connect::Cups {
                    queue: "archive-pdf".into(),
                    server: None,
                },
                "cups://archive-pdf",
            ),
            (
                "cups://printserver:631/档案标签",
                Connect::Cups {
                    queue: "档案标签".into(),
                    server: Some("printserver:631".into()),
                },
                "cups://printserver:631/档案标签",
            ),
            (
                " dir://./station-data/labels ",
                Connect::Dir {
                    path: "./station-data/labels".into(),
                },
                "dir://./station-data/labels",
            ),
            (
                "dir:///srv/labels",
                Connect::Dir {
                    path: "/srv/labels".into(),
                },
                "dir:///srv/labels",
            ),
        ];
        for (text, expected, canonical) in cases {
            let parsed = Connect::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parsed, expected, "{text}");
            assert_eq!(parsed.to_string(), canonical, "{text}");
            assert_eq!(Connect::parse(canonical), Ok(expected), "{canonical}");
        }
    }

    #[test]
    fn refuses_bad_addresses_with_a_code_and_the_address_in_both_languages() {
        type Check = fn(&ConnectError) -> bool;
        let cases: [(&str, Check, Code); 13] = [
            ("", |e| *e == ConnectError::Empty, Code::ConnectEmpty),
            (
                "192.168.1.5:9100",
                |e| matches!(e, ConnectError::MissingScheme { .. }),
                Code::ConnectMissingScheme,
            ),
            (
                "lpd://host/q",
                |e| matches!(e, ConnectError::UnknownScheme { scheme, .. } if scheme == "lpd"),
                Code::ConnectUnknownScheme,
            ),
            (
                "tcp://",
                |e| matches!(e, ConnectError::MissingHost { .. }),
                Code::ConnectMissingHost,
            ),
            (
                "tcp://:9100",
                |e| matches!(e, ConnectError::MissingHost { .. }),
                Code::ConnectMissingHost,
            ),
            (
                "tcp://zebra:0",
                |e| matches!(e, ConnectError::BadPort { port, .. } if port == "0"),
                Code::ConnectBadPort,
            ),
            (
                "tcp://zebra:91OO",
                |e| matches!(e, ConnectError::BadPort { .. }),
                Code::ConnectBadPort,
            ),
            (
                "tcp://zebra:9100/print",
                |e| matches!(e, ConnectError::UnexpectedPath { .. }),
                Code::ConnectUnexpectedPath,
            ),
            (
                "serial://dev/ttyUSB1",
                |e| matches!(e, ConnectError::SerialNotAbsolute { .. }),
                Code::ConnectSerialNotAbsolute,
            ),
            (
                "serial:///dev/ttyUSB1?baud=fast",
                |e| matches!(e, ConnectError::BadOption { option, .. } if option == "baud=fast"),
                Code::ConnectBadOption,
            ),
            (
                "serial:///dev/ttyUSB1?parity=odd",
                |e| matches!(e, ConnectError::BadOption { .. }),
                Code::ConnectBadOption,
            ),
            (
                "cups://my queue",
                |e| matches!(e, ConnectError::BadQueue { .. }),
                Code::ConnectBadQueue,
            ),
            (
                "dir://",
                |e| matches!(e, ConnectError::MissingPath { .. }),
                Code::ConnectMissingPath,
            ),
        ];
        for (text, check, code) in cases {
            let error = Connect::parse(text).expect_err(text);
            assert!(check(&error), "{text}: {error:?}");
            let message = error.message();
            assert_eq!(message.code, code, "{text}: {message}");
            if !text.is_empty() {
                let quoted = format!("{:?}", text.trim());
                assert!(
                    message.text.zh.contains(&quoted) && message.text.en.contains(&quoted),
                    "{text}: {message}"
                );
            }
        }
        assert!(matches!(
            Connect::parse("cups://server:631/"),
            Err(ConnectError::BadQueue { .. })
        ));
    }
}
