//! The control socket: a Unix socket in the data directory through which `station backup`
//! asks a running daemon for an online copy. Only those who can reach the data directory
//! can reach the socket, so it needs no token of its own.
//!
//! The protocol is one request line and one reply line: `backup /abs/dir` →
//! `ok <keys>`, or `label ["printer", {request}]` → `ok <job>:<subject> …`; failures
//! answer `error <bilingual message>`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{watch, Semaphore};

use crate::archive::Archive;
use crate::message;
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
                tokio::spawn(async move {
                    if let Err(error) = answer(stream, archive, read_timeout).await {
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
        _ => format!("error {}", message!(ControlUnknownRequest)),
    };
    write.write_all(reply.replace('\n', " ").as_bytes()).await?;
    write.write_all(b"\n").await?;
    write.shutdown().await
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
