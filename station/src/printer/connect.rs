//! The `connect` address of a printer (`tcp://`, `serial://`, `cups://`, `dir://`) and its
//! parser, with bilingual errors for whoever edits `station.toml`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use thiserror::Error;

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

    /// The transport's kind: `tcp`, `serial`, `cups` or `dir`.
    pub fn scheme(&self) -> &'static str {
        match self {
            Connect::Tcp { .. } => "tcp",
            Connect::Serial { .. } => "serial",
            Connect::Cups { .. } => "cups",
            Connect::Dir { .. } => "dir",
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

/// Why a `connect` address was refused. Messages are `中文 / English` and quote the address.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ConnectError {
    /// Nothing was given.
    #[error("打印机连接地址为空 / the printer's connect address is empty")]
    Empty,
    /// No `scheme://` in front.
    #[error(
        "连接地址 {text:?} 缺少类型, 应以 tcp://, serial://, cups:// 或 dir:// 开头 / \
         connect address {text:?} has no scheme: start it with tcp://, serial://, cups:// or dir://"
    )]
    MissingScheme {
        /// The address as given.
        text: String,
    },
    /// A scheme other than the four known ones.
    #[error(
        "连接地址 {text:?} 的类型 {scheme:?} 不受支持, 可用 tcp, serial, cups, dir / \
         connect address {text:?}: unknown scheme {scheme:?} (use tcp, serial, cups or dir)"
    )]
    UnknownScheme {
        /// The address as given.
        text: String,
        /// The scheme found.
        scheme: String,
    },
    /// `tcp://` or a CUPS server without a usable host.
    #[error(
        "连接地址 {text:?} 缺少主机名或 IP 地址 / connect address {text:?} lacks a host name or IP address"
    )]
    MissingHost {
        /// The address as given.
        text: String,
    },
    /// A port that is not a number from 1 to 65535.
    #[error(
        "连接地址 {text:?} 的端口 {port:?} 无效, 应为 1-65535 / \
         connect address {text:?}: port {port:?} is not a number from 1 to 65535"
    )]
    BadPort {
        /// The address as given.
        text: String,
        /// The port as given.
        port: String,
    },
    /// A path or query after a `tcp://` address.
    #[error(
        "连接地址 {text:?}: tcp:// 后只能是 主机:端口 / connect address {text:?}: tcp:// takes only host:port"
    )]
    UnexpectedPath {
        /// The address as given.
        text: String,
    },
    /// `serial://` or `dir://` without a path.
    #[error("连接地址 {text:?} 缺少路径 / connect address {text:?} lacks a path")]
    MissingPath {
        /// The address as given.
        text: String,
    },
    /// `serial://dev/ttyUSB1`: two slashes instead of three.
    #[error(
        "连接地址 {text:?}: 串口路径须为绝对路径, 如 serial:///dev/ttyUSB1 (三个斜杠) / \
         connect address {text:?}: the serial port needs an absolute path, e.g. serial:///dev/ttyUSB1 (three slashes)"
    )]
    SerialNotAbsolute {
        /// The address as given.
        text: String,
    },
    /// An option after `?` that is unknown or has a bad value.
    #[error(
        "连接地址 {text:?}: 选项 {option:?} 无效 (可用 baud=9600 等) / \
         connect address {text:?}: option {option:?} is unknown or invalid (known: baud=9600, ...)"
    )]
    BadOption {
        /// The address as given.
        text: String,
        /// The option as given.
        option: String,
    },
    /// A CUPS queue name that is empty or has characters CUPS does not allow.
    #[error(
        "连接地址 {text:?}: CUPS 队列名 {queue:?} 无效 (不能为空, 不能含空格, / \\ ? ' \" #) / \
         connect address {text:?}: CUPS queue name {queue:?} is invalid (empty, or contains space, / \\ ? ' \" #)"
    )]
    BadQueue {
        /// The address as given.
        text: String,
        /// The queue name as given.
        queue: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn refuses_bad_addresses_with_bilingual_reasons() {
        type Check = fn(&ConnectError) -> bool;
        let cases: [(&str, Check, &str); 13] = [
            ("", |e| *e == ConnectError::Empty, "为空"),
            (
                "192.168.1.5:9100",
                |e| matches!(e, ConnectError::MissingScheme { .. }),
                "no scheme",
            ),
            (
                "lpd://host/q",
                |e| matches!(e, ConnectError::UnknownScheme { scheme, .. } if scheme == "lpd"),
                "unknown scheme",
            ),
            (
                "tcp://",
                |e| matches!(e, ConnectError::MissingHost { .. }),
                "lacks a host",
            ),
            (
                "tcp://:9100",
                |e| matches!(e, ConnectError::MissingHost { .. }),
                "主机",
            ),
            (
                "tcp://zebra:0",
                |e| matches!(e, ConnectError::BadPort { port, .. } if port == "0"),
                "1 to 65535",
            ),
            (
                "tcp://zebra:91OO",
                |e| matches!(e, ConnectError::BadPort { .. }),
                "端口",
            ),
            (
                "tcp://zebra:9100/print",
                |e| matches!(e, ConnectError::UnexpectedPath { .. }),
                "host:port",
            ),
            (
                "serial://dev/ttyUSB1",
                |e| matches!(e, ConnectError::SerialNotAbsolute { .. }),
                "three slashes",
            ),
            (
                "serial:///dev/ttyUSB1?baud=fast",
                |e| matches!(e, ConnectError::BadOption { option, .. } if option == "baud=fast"),
                "选项",
            ),
            (
                "serial:///dev/ttyUSB1?parity=odd",
                |e| matches!(e, ConnectError::BadOption { .. }),
                "unknown or invalid",
            ),
            (
                "cups://my queue",
                |e| matches!(e, ConnectError::BadQueue { .. }),
                "队列名",
            ),
            (
                "dir://",
                |e| matches!(e, ConnectError::MissingPath { .. }),
                "lacks a path",
            ),
        ];
        for (text, check, fragment) in cases {
            let error = Connect::parse(text).expect_err(text);
            assert!(check(&error), "{text}: {error:?}");
            let message = error.to_string();
            assert!(message.contains(fragment), "{text}: {message}");
            assert!(message.contains(" / "), "{text}: bilingual: {message}");
        }
        assert!(matches!(
            Connect::parse("cups://server:631/"),
            Err(ConnectError::BadQueue { .. })
        ));
    }
}
