//! Byte-stream printers (raw TCP and serial): open, write a job, ask `~HS` and read the
//! answer; the job and status code is generic over `AsyncRead + AsyncWrite`.

use std::io;
use std::path::Path;

use firmware_bridge::line::LineConfig;
use firmware_bridge::port::{Opener, PortConfig, Protocol, SerialOpener, SerialStream};
use firmware_bridge::zpl::{HostStatusRequest, PrinterStatus};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, timeout_at, Instant};

use super::{Names, PrintError, Step, Timeouts};

/// The most bytes read while waiting for a `~HS` answer: the answer is about 110 bytes, and
/// the decoder fails well before this on anything else.
const MAX_ANSWER: usize = 1024;

pub(super) async fn open_tcp(
    names: &Names,
    timeouts: Timeouts,
    host: &str,
    port: u16,
) -> Result<TcpStream, PrintError> {
    match timeout(timeouts.connect, TcpStream::connect((host, port))).await {
        Ok(Ok(socket)) => {
            // Labels are small and wanted now.
            let _ = socket.set_nodelay(true);
            Ok(socket)
        }
        Ok(Err(source)) => Err(PrintError::Connect {
            printer: names.printer.clone(),
            transport: names.transport.clone(),
            source,
        }),
        Err(_) => Err(timed_out(names, Step::Connect, timeouts.connect)),
    }
}

pub(super) async fn open_serial(
    names: &Names,
    timeouts: Timeouts,
    path: &Path,
    baud: u32,
) -> Result<SerialStream, PrintError> {
    // Zebra serial ports default to 8 data bits, no parity, 1 stop bit; the protocol field
    // only matters to scanner tasks and is not used here.
    let config = PortConfig {
        baud,
        ..PortConfig::new(path, Protocol::Line(LineConfig::default()))
    };
    match timeout(timeouts.connect, SerialOpener.open(&config)).await {
        Ok(Ok(port)) => Ok(port),
        Ok(Err(source)) => Err(PrintError::Connect {
            printer: names.printer.clone(),
            transport: names.transport.clone(),
            source,
        }),
        Err(_) => Err(timed_out(names, Step::Connect, timeouts.connect)),
    }
}

/// Writes the whole job, then ends the stream (a TCP FIN tells the printer the job is
/// complete).
pub(super) async fn write_job<S>(
    names: &Names,
    timeouts: Timeouts,
    stream: &mut S,
    job: &[u8],
) -> Result<(), PrintError>
where
    S: AsyncWrite + Unpin,
{
    let write = async {
        stream.write_all(job).await?;
        stream.flush().await?;
        stream.shutdown().await
    };
    match timeout(timeouts.write, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(source)) => Err(write_failed(names, source)),
        Err(_) => Err(timed_out(names, Step::Write, timeouts.write)),
    }
}

/// Sends `~HS` and reads until the answer is complete, malformed, cut off, or
/// [`Timeouts::status`] has passed since the request went out.
pub(super) async fn query_status<S>(
    names: &Names,
    timeouts: Timeouts,
    stream: &mut S,
) -> Result<PrinterStatus, PrintError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut request = Vec::new();
    HostStatusRequest.encode(&mut request);
    let write = async {
        stream.write_all(&request).await?;
        stream.flush().await
    };
    match timeout(timeouts.write, write).await {
        Ok(Ok(())) => {}
        Ok(Err(source)) => return Err(write_failed(names, source)),
        Err(_) => return Err(timed_out(names, Step::Write, timeouts.write)),
    }

    let deadline = Instant::now() + timeouts.status;
    let mut answer: Vec<u8> = Vec::with_capacity(128);
    let mut chunk = [0u8; 256];
    loop {
        match PrinterStatus::decode(&answer) {
            Ok(Some((status, _))) => return Ok(status),
            Ok(None) => {}
            Err(source) => {
                return Err(PrintError::BadStatus {
                    printer: names.printer.clone(),
                    transport: names.transport.clone(),
                    source,
                })
            }
        }
        if answer.len() >= MAX_ANSWER {
            // Unreachable with the decoder's own limits; kept so a loop bound never
            // depends on another crate's constants.
            return Err(no_answer(names, timeouts, answer.len()));
        }
        let read = match timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return Err(no_answer(names, timeouts, answer.len())),
            Ok(Err(source)) => return Err(read_failed(names, source)),
            Ok(Ok(0)) => {
                return Err(read_failed(
                    names,
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        // The reason of an I/O error, like the system's own: data in the
                        // message.
                        format!(
                            "connection closed after {} bytes of the answer",
                            answer.len()
                        ),
                    ),
                ));
            }
            Ok(Ok(read)) => read,
        };
        answer.extend_from_slice(chunk.get(..read).unwrap_or_default());
    }
}

fn timed_out(names: &Names, step: Step, after: std::time::Duration) -> PrintError {
    PrintError::Timeout {
        printer: names.printer.clone(),
        transport: names.transport.clone(),
        step,
        after,
    }
}

fn no_answer(names: &Names, timeouts: Timeouts, received: usize) -> PrintError {
    PrintError::NoAnswer {
        printer: names.printer.clone(),
        transport: names.transport.clone(),
        after: timeouts.status,
        received,
    }
}

fn write_failed(names: &Names, source: io::Error) -> PrintError {
    PrintError::Write {
        printer: names.printer.clone(),
        transport: names.transport.clone(),
        source,
    }
}

fn read_failed(names: &Names, source: io::Error) -> PrintError {
    PrintError::Read {
        printer: names.printer.clone(),
        transport: names.transport.clone(),
        source,
    }
}
