//! The device task: [`run_device`] keeps one device's port open, runs its
//! decoder, and reports what happens over a channel.

use std::convert::Infallible;
use std::future::Future;
use std::pin::{pin, Pin};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::{sleep, sleep_until, timeout, Duration, Instant};

use super::{DeviceEvent, DropReason, Opener, PortConfig, PortError, Protocol};
use crate::line::LineDecoder;
use crate::ssi::{self, Command, SsiDecoder};

/// Bytes asked for per read. A scanner sends tens of bytes per scan; a larger
/// burst is simply read in several goes.
const READ_BUF_LEN: usize = 1024;

/// Drives one device until `shutdown` completes.
///
/// Opens the port with `opener`, reports [`DeviceEvent::Connected`], then
/// reads: every chunk goes through the decoder for
/// [`PortConfig::protocol`], the ACKs the decoder says are owed (SSI) are
/// written at once, and what was decoded is sent on `events`. Commands from
/// `commands` are written as they come (SSI) or reported as dropped (line
/// scanners, or while the port is closed). When the line stays quiet for
/// [`PortConfig::idle_timeout`] an unfinished frame is reported as skipped.
///
/// When the device goes away (end of stream, a read or write error, a write
/// that does not finish in time) the task reports
/// [`DeviceEvent::Disconnected`] and reopens the port with
/// [`PortConfig::backoff`], reporting each failed attempt as
/// [`DeviceEvent::OpenFailed`], until it is back. A connection that lasted
/// at least `backoff.max` starts the back-off over from `backoff.initial`;
/// one that dropped sooner (a flapping device) keeps it growing.
///
/// Returns when `shutdown` completes or the receiver of `events` is dropped,
/// promptly from wherever the task is waiting, and closes the port. If every
/// sender of `commands` is dropped, the task goes on without commands.
///
/// Nothing a device sends or fails to do makes this panic.
pub async fn run_device<O, F>(
    config: PortConfig,
    opener: O,
    events: mpsc::Sender<DeviceEvent>,
    commands: mpsc::Receiver<Command>,
    shutdown: F,
) where
    O: Opener,
    F: Future<Output = ()>,
{
    let mut device = Device {
        decoder: Decoder::new(&config.protocol),
        config,
        opener,
    };
    let mut link = Link {
        events,
        commands: Some(commands),
        shutdown: pin!(shutdown),
    };
    let Err(Stopped) = device.run(&mut link).await;
}

/// The task is to return: shutdown came, or nobody listens to its events.
struct Stopped;

/// Why a connection ended.
enum SessionEnd {
    Stopped,
    Lost(PortError),
}

impl From<Stopped> for SessionEnd {
    fn from(_: Stopped) -> Self {
        SessionEnd::Stopped
    }
}

/// The device's own state: what it is, how to open it, and its decoder.
struct Device<O> {
    config: PortConfig,
    opener: O,
    /// One decoder for the task's lifetime, so offsets keep counting and an
    /// SSI retransmission after a reconnect is still recognised.
    decoder: Decoder,
}

/// The task's channels to the rest of the station, and its shutdown signal.
/// Kept apart from [`Device`] so a pending `open` (which borrows the device)
/// can run while events are sent.
struct Link<'s, F> {
    events: mpsc::Sender<DeviceEvent>,
    /// `None` once every sender is gone: no command will come again.
    commands: Option<mpsc::Receiver<Command>>,
    /// Polled only until it first completes: every path that sees it
    /// complete returns `Stopped` straight away, so it is never polled again.
    shutdown: Pin<&'s mut F>,
}

impl<F: Future<Output = ()>> Link<'_, F> {
    /// Sends an event, waiting for room in the channel unless shutdown comes
    /// first.
    async fn emit(&mut self, event: DeviceEvent) -> Result<(), Stopped> {
        tokio::select! {
            () = self.shutdown.as_mut() => Err(Stopped),
            sent = self.events.send(event) => sent.map_err(|_receiver_gone| Stopped),
        }
    }

    async fn emit_decoded(&mut self, decoded: ssi::Decoded) -> Result<(), Stopped> {
        for skipped in decoded.skipped {
            self.emit(DeviceEvent::Skipped(skipped)).await?;
        }
        for message in decoded.messages {
            self.emit(DeviceEvent::Message(message)).await?;
        }
        for scan in decoded.scans {
            self.emit(DeviceEvent::Scan(scan)).await?;
        }
        Ok(())
    }

    async fn drop_command(&mut self, command: Command, reason: DropReason) -> Result<(), Stopped> {
        self.emit(DeviceEvent::CommandDropped { command, reason })
            .await
    }

    /// Waits `duration` while no port is open, turning away commands.
    async fn wait(&mut self, duration: Duration) -> Result<(), Stopped> {
        let mut wake = pin!(sleep(duration));
        loop {
            tokio::select! {
                () = stop_signal(&mut self.shutdown, &self.events) => return Err(Stopped),
                () = &mut wake => return Ok(()),
                Some(command) = next_command(&mut self.commands) => {
                    self.drop_command(command, DropReason::NotConnected).await?;
                }
            }
        }
    }
}

/// Completes when the task is to stop: `shutdown` completed, or the
/// receiver of events is gone. Checked while waiting, so an idle task notices
/// a dropped receiver without having to send an event first.
async fn stop_signal<F: Future<Output = ()>>(
    shutdown: &mut Pin<&mut F>,
    events: &mpsc::Sender<DeviceEvent>,
) {
    tokio::select! {
        () = shutdown.as_mut() => {}
        () = events.closed() => {}
    }
}

/// The next command; pending forever once every sender is gone.
async fn next_command(commands: &mut Option<mpsc::Receiver<Command>>) -> Option<Command> {
    let Some(receiver) = commands else {
        return std::future::pending().await;
    };
    let command = receiver.recv().await;
    if command.is_none() {
        *commands = None;
    }
    command
}

impl<O: Opener> Device<O> {
    async fn run<F: Future<Output = ()>>(
        &mut self,
        link: &mut Link<'_, F>,
    ) -> Result<Infallible, Stopped> {
        let backoff = self.config.backoff;
        // The last wait, for growing the next one; `None` starts over.
        let mut last_delay: Option<Duration> = None;
        loop {
            let stream = match self.open(link).await? {
                Ok(stream) => stream,
                Err(reason) => {
                    let retry_in = backoff.next_delay(last_delay);
                    last_delay = Some(retry_in);
                    link.emit(DeviceEvent::OpenFailed { reason, retry_in })
                        .await?;
                    link.wait(retry_in).await?;
                    continue;
                }
            };
            link.emit(DeviceEvent::Connected).await?;
            let connected_at = Instant::now();

            let reason = match self.session(stream, link).await {
                SessionEnd::Stopped => return Err(Stopped),
                SessionEnd::Lost(reason) => reason,
            };
            // A frame cut off by the disconnect will not be finished by the
            // next connection.
            let cut_off = self.decoder.finish();
            link.emit_decoded(cut_off).await?;

            if connected_at.elapsed() >= backoff.max {
                last_delay = None;
            }
            let retry_in = backoff.next_delay(last_delay);
            last_delay = Some(retry_in);
            link.emit(DeviceEvent::Disconnected { reason, retry_in })
                .await?;
            link.wait(retry_in).await?;
        }
    }

    /// One attempt to open the port, turning away commands meanwhile.
    async fn open<F: Future<Output = ()>>(
        &mut self,
        link: &mut Link<'_, F>,
    ) -> Result<Result<O::Stream, PortError>, Stopped> {
        let path = &self.config.path;
        let mut open = pin!(self.opener.open(&self.config));
        loop {
            tokio::select! {
                () = stop_signal(&mut link.shutdown, &link.events) => return Err(Stopped),
                opened = &mut open => {
                    return Ok(opened.map_err(|error| PortError::Open { path: path.clone(), error }));
                }
                Some(command) = next_command(&mut link.commands) => {
                    link.drop_command(command, DropReason::NotConnected).await?;
                }
            }
        }
    }

    /// Reads and writes one open connection until it is lost or the task is
    /// stopped.
    async fn session<S, F>(&mut self, mut stream: S, link: &mut Link<'_, F>) -> SessionEnd
    where
        S: AsyncRead + AsyncWrite + Unpin,
        F: Future<Output = ()>,
    {
        let mut buf = vec![0; READ_BUF_LEN];
        // Set while bytes have come in since the decoder was last finished.
        let mut idle_at: Option<Instant> = None;
        loop {
            // Evaluated even when the branch is disabled, so give it a value.
            let idle_sleep = sleep_until(idle_at.unwrap_or_else(Instant::now));
            tokio::select! {
                () = stop_signal(&mut link.shutdown, &link.events) => return SessionEnd::Stopped,
                read = stream.read(&mut buf) => {
                    let chunk = match read {
                        Ok(0) => {
                            return SessionEnd::Lost(PortError::Closed {
                                path: self.config.path.clone(),
                            })
                        }
                        Ok(len) => buf.get(..len).unwrap_or_default(),
                        Err(error) => {
                            return SessionEnd::Lost(PortError::Read {
                                path: self.config.path.clone(),
                                error,
                            })
                        }
                    };
                    idle_at = Some(Instant::now() + self.config.idle_timeout);
                    let decoded = self.decoder.decode(chunk);
                    if let Err(end) = self.answer(&mut stream, decoded, link).await {
                        return end;
                    }
                }
                Some(command) = next_command(&mut link.commands) => {
                    if let Err(end) = self.command(&mut stream, command, link).await {
                        return end;
                    }
                }
                () = idle_sleep, if idle_at.is_some() => {
                    idle_at = None;
                    let decoded = self.decoder.finish();
                    if let Err(end) = self.answer(&mut stream, decoded, link).await {
                        return end;
                    }
                }
            }
        }
    }

    /// Writes the replies the decoder says are owed, then reports what it
    /// decoded.
    ///
    /// The ACKs go first: the scanner waits for each before it sends the next
    /// packet and retransmits when it does not come in time, so they must not
    /// wait behind a busy event channel. An ACK tells the scanner the packet
    /// arrived intact; it is not the station's answer to the scan, which is a
    /// separate command sent once the scan's effect is durable. If the write
    /// fails, the scans are still reported before the connection is dropped.
    async fn answer<S, F>(
        &mut self,
        stream: &mut S,
        decoded: ssi::Decoded,
        link: &mut Link<'_, F>,
    ) -> Result<(), SessionEnd>
    where
        S: AsyncWrite + Unpin,
        F: Future<Output = ()>,
    {
        let mut replies = Vec::new();
        for reply in &decoded.replies {
            reply.encode(&mut replies);
        }
        let written = if replies.is_empty() {
            Ok(())
        } else {
            write(&self.config, stream, &replies, link).await
        };
        link.emit_decoded(decoded).await?;
        written
    }

    /// Writes a command from the station, if the protocol has commands.
    async fn command<S, F>(
        &mut self,
        stream: &mut S,
        command: Command,
        link: &mut Link<'_, F>,
    ) -> Result<(), SessionEnd>
    where
        S: AsyncWrite + Unpin,
        F: Future<Output = ()>,
    {
        match self.config.protocol {
            Protocol::Line(_) => Ok(link.drop_command(command, DropReason::Unsupported).await?),
            Protocol::Ssi => {
                let mut bytes = Vec::new();
                command.encode(&mut bytes);
                write(&self.config, stream, &bytes, link).await
            }
        }
    }
}

/// Writes `bytes` in full within the write timeout, unless the task is
/// stopped first.
///
/// A free function over the config alone: a `&Device` held across the await
/// would make the task's future `Send` only for openers that are `Sync`.
async fn write<S, F>(
    config: &PortConfig,
    stream: &mut S,
    bytes: &[u8],
    link: &mut Link<'_, F>,
) -> Result<(), SessionEnd>
where
    S: AsyncWrite + Unpin,
    F: Future<Output = ()>,
{
    let write = async {
        stream.write_all(bytes).await?;
        stream.flush().await
    };
    let limit = config.write_timeout;
    let path = || config.path.clone();
    tokio::select! {
        () = stop_signal(&mut link.shutdown, &link.events) => Err(SessionEnd::Stopped),
        written = timeout(limit, write) => match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(SessionEnd::Lost(PortError::Write { path: path(), error })),
            Err(_elapsed) => Err(SessionEnd::Lost(PortError::WriteTimeout {
                path: path(),
                timeout: limit,
            })),
        },
    }
}

/// The decoder for the configured protocol.
enum Decoder {
    Line(LineDecoder),
    Ssi(SsiDecoder),
}

impl Decoder {
    fn new(protocol: &Protocol) -> Decoder {
        match protocol {
            Protocol::Line(config) => Decoder::Line(LineDecoder::new(config.clone())),
            Protocol::Ssi => Decoder::Ssi(SsiDecoder::new()),
        }
    }

    /// Decodes a chunk. Line results are carried in [`ssi::Decoded`], with
    /// no messages and no replies.
    fn decode(&mut self, chunk: &[u8]) -> ssi::Decoded {
        match self {
            Decoder::Line(decoder) => from_line(decoder.decode(chunk)),
            Decoder::Ssi(decoder) => decoder.decode(chunk),
        }
    }

    /// Gives up on an unfinished frame.
    fn finish(&mut self) -> ssi::Decoded {
        match self {
            Decoder::Line(decoder) => from_line(decoder.finish()),
            Decoder::Ssi(decoder) => decoder.finish(),
        }
    }
}

fn from_line(decoded: crate::line::Decoded) -> ssi::Decoded {
    ssi::Decoded {
        scans: decoded.scans,
        skipped: decoded.skipped,
        ..ssi::Decoded::default()
    }
}
