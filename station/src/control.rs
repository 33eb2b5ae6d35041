//! The control socket: a Unix socket in the data directory through which `station backup`
//! asks a running daemon for an online copy. Only those who can reach the data directory
//! can reach the socket, so it needs no token of its own.
//!
//! The protocol is one request line and one reply line: `backup /abs/dir` →
//! `ok <keys>`, or `label ["printer", {request}]` → `ok <job>:<subject> …`, or
//! `sheet {"under": …, "out": "/abs/file.pdf"}` → `ok <labels>`; failures
//! answer `error <bilingual message>`.
//!
//! Every other CLI command that works on the store is sent as `run {StoreCommand as JSON}`
//! and answered by lines of JSON ([`Reply`]): any number of `{"out": text}` (standard
//! output, streamed: an export arrives as it is written) and `{"err": line}`, then one
//! status line, `{"exit": status}` or `{"error": {code, zh, en, hint}}`. The command runs
//! as it would in the CLI itself ([`crate::cli::execute`]), under the same actor.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{watch, Semaphore};

use crate::archive::Archive;
use crate::cli::{Failure, Sink, StoreCommand};
use crate::config::Config;
use crate::message;
use crate::message::{Bilingual, Code, Message};
use crate::printing::LabelRequest;
use crate::store::Actor;

/// Longest request line accepted.
const MAX_REQUEST: usize = 4096;

/// Control connections answered at once; one more is told the socket is busy and closed.
/// The CLI opens one per command, so a handful is plenty.
pub const MAX_CONNECTIONS: usize = 8;

/// Where the daemon listens, inside its data directory.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("control.sock")
}

/// Binds the control socket at `path` (replacing one left by a dead daemon: the store's
/// lock is ours). Done before the station says it is listening, so that a client never
/// finds the daemon up and the socket missing.
pub fn bind(path: &Path) -> Option<tokio::net::UnixListener> {
    let _ = std::fs::remove_file(path);
    match tokio::net::UnixListener::bind(path) {
        Ok(listener) => {
            // Whoever can connect acts as the store's owner: owner-only (0600).
            if let Err(error) = crate::files::restrict(path) {
                tracing::warn!(path = %path.display(), %error, "control socket not made owner-only; closing it");
                let _ = std::fs::remove_file(path);
                return None;
            }
            Some(listener)
        }
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "control socket unavailable; online backup and printing from the CLI disabled");
            None
        }
    }
}

/// Answers control requests on `listener` until `shutdown` turns true: at most
/// [`MAX_CONNECTIONS`] at once, each of which must send its request line within
/// `read_timeout`.
pub async fn serve(
    listener: Option<tokio::net::UnixListener>,
    path: PathBuf,
    archive: Archive,
    config: Arc<Config>,
    mut shutdown: watch::Receiver<bool>,
    read_timeout: Duration,
) {
    let Some(listener) = listener else {
        return;
    };
    let admitted = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Out of file descriptors, say: wait rather than spin on the error.
                        tracing::warn!(%error, "accepting a control connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(permit) = admitted.clone().try_acquire_owned() else {
                    tracing::warn!(max = MAX_CONNECTIONS, "control connection refused: too many at once");
                    // A short reply fits the socket's buffer: this never waits for the peer.
                    let busy = message!(ControlBusy, max = MAX_CONNECTIONS);
                    let _ = stream.try_write(format!("error {busy}\n").as_bytes());
                    continue;
                };
                let archive = archive.clone();
                let config = config.clone();
                tokio::spawn(async move {
                    if let Err(error) = answer(stream, archive, config, read_timeout).await {
                        tracing::warn!(%error, "control connection failed");
                    }
                    drop(permit);
                });
            }
        }
    }
    let _ = std::fs::remove_file(&path);
}

async fn answer(
    stream: tokio::net::UnixStream,
    archive: Archive,
    config: Arc<Config>,
    read_timeout: Duration,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = tokio::io::BufReader::new(read).take(MAX_REQUEST as u64);
    if tokio::time::timeout(read_timeout, reader.read_line(&mut line))
        .await
        .is_err()
    {
        let seconds = read_timeout.as_secs();
        tracing::warn!(
            seconds,
            "control connection closed: no request line in time"
        );
        let late = message!(ControlReadTimeout, seconds = seconds);
        write
            .write_all(format!("error {late}\n").as_bytes())
            .await?;
        return write.shutdown().await;
    }
    let reply = match line.trim_end().split_once(' ') {
        Some(("run", json)) => {
            return match serde_json::from_str::<StoreCommand>(json) {
                Ok(command) => run_command(write, archive, config, command).await,
                Err(error) => {
                    let malformed = message!(ControlMalformedRequest, detail = error.to_string());
                    write_reply(
                        &mut write,
                        &Reply::Error(ReplyError::from_message(&malformed, None)),
                    )
                    .await?;
                    write.shutdown().await
                }
            };
        }
        Some(("backup", dir)) if Path::new(dir).is_absolute() => {
            let dir = PathBuf::from(dir);
            match archive.run(move |store| store.backup(&dir)).await {
                Ok(keys) => {
                    tracing::info!(keys, "online backup written");
                    format!("ok {keys}")
                }
                Err(error) => format!("error {error}"),
            }
        }
        Some(("label", json)) => match serde_json::from_str::<(String, LabelRequest)>(json) {
            Ok((printer, request)) => {
                match archive
                    .queue_labels(Actor::new("cli"), printer, request)
                    .await
                {
                    Ok(jobs) => format!(
                        "ok {}",
                        jobs.iter()
                            .map(|job| format!("{}:{}", job.id, job.subject))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                    Err(error) => format!("error {error}"),
                }
            }
            Err(error) => format!(
                "error {}",
                message!(ControlMalformedRequest, detail = error.to_string())
            ),
        },
        Some(("sheet", json)) => match serde_json::from_str::<SheetRequest>(json) {
            Ok(request) if request.out.is_absolute() => {
                match archive.shelf_sheet(request.under, true).await {
                    Ok((pdf, count)) => match std::fs::write(&request.out, pdf) {
                        Ok(()) => format!("ok {count}"),
                        Err(error) => format!(
                            "error {}",
                            message!(
                                ControlSheetNotWritten,
                                path = request.out.display().to_string(),
                                reason = error.to_string()
                            )
                        ),
                    },
                    Err(error) => format!("error {error}"),
                }
            }
            Ok(_) => format!(
                "error {}",
                message!(
                    ControlMalformedRequest,
                    detail = "out must be an absolute path"
                )
            ),
            Err(error) => format!(
                "error {}",
                message!(ControlMalformedRequest, detail = error.to_string())
            ),
        },
        _ => format!("error {}", message!(ControlUnknownRequest)),
    };
    write.write_all(reply.replace('\n', " ").as_bytes()).await?;
    write.write_all(b"\n").await?;
    write.shutdown().await
}

/// A `sheet` request: the shelf labels under a location on A4 sheets, written by the
/// daemon to an absolute path (as `backup` writes its copy).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SheetRequest {
    /// The location's path or barcode.
    pub under: String,
    /// Where the PDF goes (absolute).
    pub out: PathBuf,
}

/// Sends one request to the daemon at `path` and returns its reply line.
pub fn request(path: &Path, request: &str) -> std::io::Result<String> {
    let mut stream = std::os::unix::net::UnixStream::connect(path)?;
    stream.write_all(request.as_bytes())?;
    stream.write_all(b"\n")?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    Ok(reply.trim_end().to_owned())
}

/// One line of the answer to a `run` request.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// Text for standard output (or the `--output` file), as written.
    Out(String),
    /// A line for standard error.
    Err(String),
    /// The command finished with this exit status (the last line).
    Exit(u8),
    /// The command failed (the last line).
    Error(ReplyError),
}

/// A failure as the control socket sends it: the message's code and text, and its hint.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReplyError {
    /// The message's code.
    pub code: String,
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
    /// What to do, in both languages.
    pub hint: Option<Bilingual>,
}

impl ReplyError {
    fn from_message(message: &Message, hint: Option<&Message>) -> ReplyError {
        ReplyError {
            code: message.code.as_str().to_owned(),
            zh: message.text.zh.clone(),
            en: message.text.en.clone(),
            hint: hint.map(|hint| hint.text.clone()),
        }
    }

    /// The failure again, on the CLI's side.
    pub fn into_failure(self) -> Failure {
        let code = Code::parse(&self.code).unwrap_or(Code::CliError);
        Failure {
            message: Message {
                code,
                text: Bilingual::new(self.zh, self.en),
            },
            hint: self.hint.map(|text| Message {
                code: Code::CliHint,
                text,
            }),
        }
    }
}

/// Output of a command run for a client: sent as it comes, standard output in whole
/// lines (a line never splits a character) or 64 KiB pieces of them.
struct ChannelSink {
    tx: tokio::sync::mpsc::Sender<Reply>,
    pending: Vec<u8>,
}

impl ChannelSink {
    fn send(&mut self, reply: Reply) -> std::io::Result<()> {
        self.tx
            .blocking_send(reply)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client left"))
    }

    fn flush_out(&mut self, all: bool) -> std::io::Result<()> {
        let end = if all {
            self.pending.len()
        } else {
            match self.pending.iter().rposition(|b| *b == b'\n') {
                Some(at) => at + 1,
                None => return Ok(()),
            }
        };
        if end == 0 {
            return Ok(());
        }
        let rest = self.pending.split_off(end);
        let chunk = std::mem::replace(&mut self.pending, rest);
        let text = String::from_utf8(chunk)
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
        self.send(Reply::Out(text))
    }
}

impl Sink for ChannelSink {
    fn out(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= 64 * 1024 || bytes.contains(&b'\n') {
            self.flush_out(false)?;
        }
        Ok(())
    }

    fn err(&mut self, line: &str) -> std::io::Result<()> {
        self.flush_out(true)?;
        self.send(Reply::Err(line.to_owned()))
    }

    fn local(&self) -> bool {
        false
    }
}

async fn write_reply(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    reply: &Reply,
) -> std::io::Result<()> {
    let mut line = serde_json::to_string(reply).map_err(std::io::Error::other)?;
    line.push('\n');
    write.write_all(line.as_bytes()).await
}

/// Runs `command` on the daemon's store and streams its output to the client.
async fn run_command(
    mut write: tokio::net::unix::OwnedWriteHalf,
    archive: Archive,
    config: Arc<Config>,
    command: StoreCommand,
) -> std::io::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Reply>(16);
    tracing::info!(?command, "CLI command through the control socket");
    let printing = archive.printing().cloned();
    let work = tokio::spawn(async move {
        archive
            .run(move |store| {
                let mut sink = ChannelSink {
                    tx,
                    pending: Vec::new(),
                };
                let status =
                    crate::cli::execute(store, &config, printing.as_deref(), command, &mut sink);
                sink.flush_out(true)?;
                status
            })
            .await
    });
    while let Some(reply) = rx.recv().await {
        write_reply(&mut write, &reply).await?;
    }
    let last = match work.await {
        Ok(Ok(status)) => Reply::Exit(status),
        Ok(Err(error)) => {
            let failure = crate::cli::describe(&error);
            Reply::Error(ReplyError::from_message(
                &failure.message,
                failure.hint.as_ref(),
            ))
        }
        Err(join) => {
            let text = join.to_string();
            Reply::Error(ReplyError::from_message(
                &Message {
                    code: Code::CliError,
                    text: Bilingual::new(text.clone(), text),
                },
                None,
            ))
        }
    };
    write_reply(&mut write, &last).await?;
    write.shutdown().await
}

/// Sends `command` to the daemon at `path` as a `run` request; `each` is given every
/// output line as it arrives; answers the status line.
pub fn run(
    path: &Path,
    command: &StoreCommand,
    mut each: impl FnMut(Reply) -> std::io::Result<()>,
) -> std::io::Result<Reply> {
    let json = serde_json::to_string(command).map_err(std::io::Error::other)?;
    if json.len() + 5 > MAX_REQUEST {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the request is longer than {MAX_REQUEST} bytes"),
        ));
    }
    let mut stream = std::os::unix::net::UnixStream::connect(path)?;
    stream.write_all(format!("run {json}\n").as_bytes())?;
    let reader = BufReader::new(stream);
    for line in reader.lines() {
        let line = line?;
        // The daemon's old one-line refusals (busy, late) are not JSON.
        let reply = match serde_json::from_str::<Reply>(&line) {
            Ok(reply) => reply,
            Err(_) => {
                let text = line.trim_start_matches("error ").to_owned();
                return Ok(Reply::Error(ReplyError {
                    code: Code::CliError.as_str().to_owned(),
                    zh: text.clone(),
                    en: text,
                    hint: None,
                }));
            }
        };
        match reply {
            Reply::Exit(_) | Reply::Error(_) => return Ok(reply),
            other => each(other)?,
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "the station closed the connection without a status line",
    ))
}
