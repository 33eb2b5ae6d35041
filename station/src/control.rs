//! The control socket: a Unix socket in the data directory through which `station backup`
//! asks a running daemon for an online copy. Only those who can reach the data directory
//! can reach the socket, so it needs no token of its own.
//!
//! The protocol is one request line and one reply line: `backup /abs/dir` →
//! `ok <keys>`, or `label ["printer", {request}]` → `ok <job>:<subject> …`; failures
//! answer `error <bilingual message>`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use crate::archive::Archive;
use crate::message;
use crate::printing::LabelRequest;
use crate::store::Actor;

/// Longest request line accepted.
const MAX_REQUEST: usize = 4096;

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

/// Answers control requests on `listener` until `shutdown` turns true.
pub async fn serve(
    listener: Option<tokio::net::UnixListener>,
    path: PathBuf,
    archive: Archive,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some(listener) = listener else {
        return;
    };
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let archive = archive.clone();
                tokio::spawn(async move {
                    if let Err(error) = answer(stream, archive).await {
                        tracing::warn!(%error, "control connection failed");
                    }
                });
            }
        }
    }
    let _ = std::fs::remove_file(&path);
}

async fn answer(stream: tokio::net::UnixStream, archive: Archive) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = tokio::io::BufReader::new(read).take(MAX_REQUEST as u64);
    reader.read_line(&mut line).await?;
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
