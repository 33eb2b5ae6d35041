//! CUPS queues: a job goes to `lp -d QUEUE` on its standard input, and counts as delivered
//! when `lp` exits 0 with a request id.
//!
//! `lp` (package cups-client) is used rather than IPP from Rust: it honours the host's CUPS
//! setup (`/etc/cups/client.conf`, `CUPS_SERVER`, authentication) exactly as the
//! administrator's own `lp` does. std's process API is used from a blocking thread for the
//! stdin feed, and the exit is polled: tokio's `process` feature is not enabled in this
//! crate, and polling keeps the kill on timeout free of pid-reuse races.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tokio::time::Instant;

use super::{Delivery, Names, PrintError, Step};

/// How often a running `lp` is checked for exit. `lp` only hands the job to cupsd, so it
/// is done within milliseconds.
const POLL: Duration = Duration::from_millis(10);

/// What to ask `lp` for.
pub(super) struct Request<'a> {
    pub queue: &'a str,
    pub server: Option<&'a str>,
    pub title: Option<&'a str>,
    /// Pass the bytes to the printer untouched (`-o raw`): ZPL for a Zebra behind CUPS.
    pub raw: bool,
}

impl Request<'_> {
    fn command(&self) -> Command {
        let mut command = Command::new("lp");
        if let Some(server) = self.server {
            command.arg("-h").arg(server);
        }
        command.arg("-d").arg(self.queue);
        if let Some(title) = self.title {
            command.arg("-t").arg(title);
        }
        if self.raw {
            command.args(["-o", "raw"]);
        }
        // lp's messages are parsed for the request id: keep them in English.
        command.env("LC_ALL", "C");
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

pub(super) async fn submit(
    names: &Names,
    limit: Duration,
    request: &Request<'_>,
    job: &[u8],
) -> Result<Delivery, PrintError> {
    let spawn_failed = |source| PrintError::LpSpawn {
        printer: names.printer.clone(),
        transport: names.transport.clone(),
        source,
    };
    let mut child = request.command().spawn().map_err(spawn_failed)?;
    let deadline = Instant::now() + limit;

    // Feed stdin from a blocking thread: a job larger than the pipe buffer blocks until lp
    // reads it. Closing stdin (dropping it at the end of the thread) ends the job.
    let feeder = child.stdin.take().map(|mut stdin| {
        let job = job.to_vec();
        tokio::task::spawn_blocking(move || stdin.write_all(&job))
    });

    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(source) => {
                kill(&mut child);
                return Err(spawn_failed(source));
            }
        }
        if Instant::now() >= deadline {
            kill(&mut child);
            return Err(PrintError::Timeout {
                printer: names.printer.clone(),
                transport: names.transport.clone(),
                step: Step::Lp,
                after: limit,
            });
        }
        tokio::time::sleep(POLL).await;
    };

    let fed = match feeder {
        Some(feeder) => feeder
            .await
            .unwrap_or_else(|join| Err(std::io::Error::other(join))),
        None => Ok(()),
    };
    let (stdout, stderr) = read_output(&mut child).await;
    finish(names, status, fed, &stdout, &stderr)
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads what `lp` wrote; it has exited, so the pipes are at their end.
async fn read_output(child: &mut Child) -> (String, String) {
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let read = tokio::task::spawn_blocking(move || {
        let mut out = String::new();
        let mut err = String::new();
        if let Some(mut stdout) = stdout {
            let _ = stdout.read_to_string(&mut out);
        }
        if let Some(mut stderr) = stderr {
            let _ = stderr.read_to_string(&mut err);
        }
        (out, err)
    });
    read.await.unwrap_or_default()
}

fn finish(
    names: &Names,
    status: ExitStatus,
    fed: std::io::Result<()>,
    stdout: &str,
    stderr: &str,
) -> Result<Delivery, PrintError> {
    if !status.success() {
        let message = match stderr.trim() {
            "" => format!("lp {status}"),
            text => text.to_owned(),
        };
        return Err(PrintError::LpFailed {
            printer: names.printer.clone(),
            transport: names.transport.clone(),
            code: status.code(),
            message,
        });
    }
    // lp exited 0, so it read its whole input: a feed error here would be lp closing stdin
    // early, which it does not do when it succeeds. Still, never call a short job printed.
    if let Err(source) = fed {
        return Err(PrintError::LpSpawn {
            printer: names.printer.clone(),
            transport: names.transport.clone(),
            source,
        });
    }
    Ok(Delivery::Queued {
        request_id: request_id(stdout),
    })
}

/// `request id is archive-pdf-12 (1 file(s))` → `archive-pdf-12`; anything else as it is.
fn request_id(stdout: &str) -> String {
    let line = stdout.trim();
    line.strip_prefix("request id is ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or(line)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_id_is_taken_from_lp_output() {
        assert_eq!(
            request_id("request id is archive-pdf-12 (0 file(s))\n"),
            "archive-pdf-12"
        );
        assert_eq!(request_id("something else\n"), "something else");
        assert_eq!(request_id(""), "");
    }

    #[test]
    fn command_line_names_server_queue_title_and_raw() {
        let request = Request {
            queue: "zebra-raw",
            server: Some("printserver:631"),
            title: Some("B000000123"),
            raw: true,
        };
        let command = request.command();
        let args: Vec<_> = command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        assert_eq!(command.get_program(), "lp");
        assert_eq!(
            args,
            [
                "-h",
                "printserver:631",
                "-d",
                "zebra-raw",
                "-t",
                "B000000123",
                "-o",
                "raw"
            ]
        );
    }
}
