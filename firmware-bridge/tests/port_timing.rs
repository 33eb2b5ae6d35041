//! The device task's time-dependent behaviour, on tokio's paused clock:
//! reconnect back-off, idle flush, write timeout and shutdown. The device is
//! an in-memory duplex (or no device at all), so virtual time is the only
//! time involved and every schedule is checked exactly.
#![cfg(feature = "serial")]

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use firmware_bridge::line::LineConfig;
use firmware_bridge::port::{
    run_device, Backoff, DeviceEvent, DropReason, Opener, PortConfig, PortError, Protocol,
};
use firmware_bridge::ssi::Command;
use firmware_bridge::SkipReason;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout, Duration, Instant};

const PATH: &str = "/dev/serial/by-id/usb-Test_Scanner-if00";

const fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn backoff() -> Backoff {
    Backoff {
        initial: ms(100),
        max: ms(1000),
        factor: 2.0,
    }
}

fn line_config() -> PortConfig {
    PortConfig {
        backoff: backoff(),
        ..PortConfig::new(PATH, Protocol::Line(LineConfig::default()))
    }
}

/// When each open was attempted, on the (virtual) clock.
type Attempts = Arc<Mutex<Vec<Instant>>>;

fn attempt_times(attempts: &Attempts) -> Vec<Instant> {
    attempts
        .lock()
        .map(|times| times.clone())
        .unwrap_or_default()
}

/// An opener that follows `script`, one entry per attempt: `true` connects
/// to a fresh in-memory duplex whose far end (the scanner's side) is sent on
/// the returned channel, `false` fails as an unplugged port does. Once the
/// script runs out, every attempt fails.
fn scripted<const N: usize>(
    script: [bool; N],
) -> (impl Opener, mpsc::UnboundedReceiver<DuplexStream>, Attempts) {
    let mut script = script.into_iter();
    let (far_end_tx, far_ends) = mpsc::unbounded_channel();
    let attempts = Attempts::default();
    let log = Arc::clone(&attempts);
    let opener = move |_: &PortConfig| {
        if let Ok(mut times) = log.lock() {
            times.push(Instant::now());
        }
        let opened = if script.next() == Some(true) {
            let (near, far) = tokio::io::duplex(256);
            let _ = far_end_tx.send(far);
            Ok(near)
        } else {
            Err(io::Error::new(io::ErrorKind::NotFound, "no such device"))
        };
        async move { opened }
    };
    (opener, far_ends, attempts)
}

struct Device {
    events: mpsc::Receiver<DeviceEvent>,
    commands: mpsc::Sender<Command>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Device {
    fn start(config: PortConfig, opener: impl Opener + 'static, capacity: usize) -> Device {
        let (event_tx, events) = mpsc::channel(capacity);
        let (commands, command_rx) = mpsc::channel(8);
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let task = tokio::spawn(run_device(config, opener, event_tx, command_rx, shutdown));
        Device {
            events,
            commands,
            stop,
            task,
        }
    }

    async fn next(&mut self) -> DeviceEvent {
        self.events
            .recv()
            .await
            .expect("the device task is running")
    }

    /// Stops the task and checks it returned without any time passing.
    async fn stop_now(self) {
        let asked = Instant::now();
        let _ = self.stop.send(());
        self.task.await.expect("the task did not panic");
        assert_eq!(asked.elapsed(), Duration::ZERO, "stopped at once");
    }
}

#[tokio::test(start_paused = true)]
async fn open_attempts_follow_the_backoff_schedule() {
    let (opener, _far_ends, attempts) = scripted([]);
    let start = Instant::now();
    let mut device = Device::start(line_config(), opener, 64);

    // 100, 200, 400, 800, then 1000 ms for ever.
    let mut waits = Vec::new();
    for _ in 0..8 {
        match device.next().await {
            DeviceEvent::OpenFailed { reason, retry_in } => {
                assert_eq!(reason.path(), std::path::Path::new(PATH));
                assert!(matches!(reason, PortError::Open { .. }), "{reason}");
                waits.push(retry_in);
            }
            other => panic!("expected OpenFailed, got {other:?}"),
        }
    }
    let expected: Vec<Duration> = [100, 200, 400, 800, 1000, 1000, 1000, 1000]
        .into_iter()
        .map(ms)
        .collect();
    assert_eq!(waits, expected);

    // The attempts really are that far apart on the clock.
    let offsets: Vec<Duration> = attempt_times(&attempts)
        .iter()
        .map(|&at| at - start)
        .collect();
    let expected: Vec<Duration> = [0, 100, 300, 700, 1500, 2500, 3500, 4500]
        .into_iter()
        .map(ms)
        .collect();
    assert_eq!(offsets, expected);

    // Counted over a longer stretch: by 10.25 s, the first five, then one a
    // second from 2.5 s on.
    tokio::spawn(async move { while device.events.recv().await.is_some() {} });
    sleep(start + ms(10_250) - Instant::now()).await;
    assert_eq!(attempt_times(&attempts).len(), 5 + 8);
}

#[tokio::test(start_paused = true)]
async fn backoff_starts_over_after_a_stable_connection_and_grows_while_flapping() {
    let (opener, mut far_ends, _attempts) = scripted([false, false, true, true, true, true, true]);
    let mut device = Device::start(line_config(), opener, 64);

    for expected in [ms(100), ms(200)] {
        match device.next().await {
            DeviceEvent::OpenFailed { retry_in, .. } => assert_eq!(retry_in, expected),
            other => panic!("expected OpenFailed, got {other:?}"),
        }
    }
    assert!(matches!(device.next().await, DeviceEvent::Connected));
    // Up for a full `max`: a stable connection. Its loss starts over.
    sleep(backoff().max).await;
    drop(far_ends.recv().await);
    let mut waits = Vec::new();
    for _ in 0..4 {
        match device.next().await {
            DeviceEvent::Disconnected { reason, retry_in } => {
                assert!(matches!(reason, PortError::Closed { .. }), "{reason}");
                waits.push(retry_in);
            }
            other => panic!("expected Disconnected, got {other:?}"),
        }
        assert!(matches!(device.next().await, DeviceEvent::Connected));
        // Then the device flaps: every connection drops at once, and the
        // waits grow as if the opens had failed.
        drop(far_ends.recv().await);
    }
    assert_eq!(waits, [ms(100), ms(200), ms(400), ms(800)]);
    device.stop_now().await;
}

#[tokio::test(start_paused = true)]
async fn a_scan_cut_off_by_a_disconnect_is_reported_as_incomplete() {
    let (opener, mut far_ends, _attempts) = scripted([true]);
    let mut device = Device::start(line_config(), opener, 64);
    assert!(matches!(device.next().await, DeviceEvent::Connected));
    let mut scanner = far_ends.recv().await.expect("connected");
    scanner.write_all(b"BOX-1\rBOX-").await.expect("write");
    drop(scanner);

    match device.next().await {
        DeviceEvent::Scan(scan) => assert_eq!(scan.data, b"BOX-1"),
        other => panic!("expected a scan, got {other:?}"),
    }
    match device.next().await {
        DeviceEvent::Skipped(skipped) => {
            assert_eq!((skipped.offset, skipped.len), (6, 4));
            assert_eq!(skipped.reason, SkipReason::Incomplete);
        }
        other => panic!("expected the cut-off scan skipped, got {other:?}"),
    }
    assert!(matches!(
        device.next().await,
        DeviceEvent::Disconnected {
            reason: PortError::Closed { .. },
            ..
        }
    ));
    device.stop_now().await;
}

#[tokio::test(start_paused = true)]
async fn an_unfinished_line_is_given_up_after_the_idle_timeout() {
    let (opener, mut far_ends, _attempts) = scripted([true]);
    let config = PortConfig {
        idle_timeout: ms(300),
        ..line_config()
    };
    let mut device = Device::start(config, opener, 64);
    assert!(matches!(device.next().await, DeviceEvent::Connected));
    let mut scanner = far_ends.recv().await.expect("connected");

    scanner.write_all(b"BOX-0").await.expect("write");
    // Bytes that keep coming keep the line alive.
    sleep(ms(200)).await;
    scanner.write_all(b"00").await.expect("write");
    let last_bytes = Instant::now();
    match device.next().await {
        DeviceEvent::Skipped(skipped) => {
            assert_eq!((skipped.offset, skipped.len), (0, 7));
            assert_eq!(skipped.reason, SkipReason::Incomplete);
        }
        other => panic!("expected the unfinished line skipped, got {other:?}"),
    }
    assert_eq!(last_bytes.elapsed(), ms(300));

    // The next line stands on its own.
    scanner.write_all(b"BOX-1\r").await.expect("write");
    match device.next().await {
        DeviceEvent::Scan(scan) => assert_eq!(scan.data, b"BOX-1"),
        other => panic!("expected a scan, got {other:?}"),
    }
    device.stop_now().await;
}

#[tokio::test(start_paused = true)]
async fn a_device_that_stops_taking_bytes_is_dropped_after_the_write_timeout() {
    // A pipe too small for one ACK, which the scanner never reads: the ACK
    // write cannot finish.
    let (near, mut scanner) = tokio::io::duplex(4);
    let mut near = Some(near);
    let opener = move |_: &PortConfig| {
        let opened = near
            .take()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound));
        async move { opened }
    };
    let config = PortConfig {
        write_timeout: ms(500),
        backoff: backoff(),
        ..PortConfig::new(PATH, Protocol::Ssi)
    };
    let mut device = Device::start(config, opener, 64);
    assert!(matches!(device.next().await, DeviceEvent::Connected));

    // DECODE_DATA, Code 128, "1234" (the SSI guide's example).
    let written = Instant::now();
    scanner
        .write_all(&[
            0x09, 0xF3, 0x00, 0x00, 0x03, b'1', b'2', b'3', b'4', 0xFE, 0x37,
        ])
        .await
        .expect("write");
    // The scan is still reported, then the connection is given up.
    match device.next().await {
        DeviceEvent::Scan(scan) => assert_eq!(scan.data, b"1234"),
        other => panic!("expected a scan, got {other:?}"),
    }
    match device.next().await {
        DeviceEvent::Disconnected { reason, .. } => {
            assert!(
                matches!(reason, PortError::WriteTimeout { timeout, .. } if timeout == ms(500)),
                "{reason}"
            );
        }
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert_eq!(written.elapsed(), ms(500));
    device.stop_now().await;
}

/// A stream whose reads fail, as a USB serial port's do when it is pulled.
struct Failing;

impl AsyncRead for Failing {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Err(io::Error::other("input/output error")))
    }
}

impl AsyncWrite for Failing {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(io::Error::other("input/output error")))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test(start_paused = true)]
async fn a_read_error_is_a_disconnect_and_the_task_keeps_reopening() {
    let opener = |_: &PortConfig| async { Ok(Failing) };
    let mut device = Device::start(line_config(), opener, 64);
    // A device that fails straight after every open is retried with a
    // growing back-off, not in a hot loop.
    let mut waits = Vec::new();
    for _ in 0..5 {
        assert!(matches!(device.next().await, DeviceEvent::Connected));
        match device.next().await {
            DeviceEvent::Disconnected { reason, retry_in } => {
                assert!(matches!(reason, PortError::Read { .. }), "{reason}");
                waits.push(retry_in);
            }
            other => panic!("expected Disconnected, got {other:?}"),
        }
    }
    assert_eq!(waits, [ms(100), ms(200), ms(400), ms(800), ms(1000)]);
    device.stop_now().await;
}

#[tokio::test(start_paused = true)]
async fn commands_while_disconnected_are_dropped_not_queued() {
    let (opener, mut far_ends, _attempts) = scripted([false, true]);
    let config = PortConfig {
        backoff: backoff(),
        ..PortConfig::new(PATH, Protocol::Ssi)
    };
    let mut device = Device::start(config, opener, 64);
    assert!(matches!(
        device.next().await,
        DeviceEvent::OpenFailed { .. }
    ));
    device
        .commands
        .send(Command::Beep(0x01))
        .await
        .expect("task takes commands");
    match device.next().await {
        DeviceEvent::CommandDropped { command, reason } => {
            assert_eq!(command, Command::Beep(0x01));
            assert_eq!(reason, DropReason::NotConnected);
        }
        other => panic!("expected CommandDropped, got {other:?}"),
    }
    assert!(matches!(device.next().await, DeviceEvent::Connected));
    let mut scanner = far_ends.recv().await.expect("connected");
    // Nothing stale arrives after the reconnect.
    let mut byte = [0; 1];
    assert!(timeout(ms(5000), scanner.read(&mut byte)).await.is_err());

    // A command while connected is written.
    device
        .commands
        .send(Command::Beep(0x01))
        .await
        .expect("task takes commands");
    let mut beep = [0; 7];
    scanner.read_exact(&mut beep).await.expect("the BEEP");
    assert_eq!(beep, [0x05, 0xE6, 0x04, 0x00, 0x01, 0xFF, 0x10]);
    device.stop_now().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_ends_the_task_at_once_wherever_it_waits() {
    // While an open hangs.
    let opener = |_: &PortConfig| std::future::pending::<io::Result<DuplexStream>>();
    let device = Device::start(line_config(), opener, 64);
    sleep(ms(50)).await;
    device.stop_now().await;

    // While waiting an hour to reopen.
    let (opener, _far_ends, attempts) = scripted([]);
    let config = PortConfig {
        backoff: Backoff {
            initial: Duration::from_secs(3600),
            max: Duration::from_secs(3600),
            factor: 1.0,
        },
        ..line_config()
    };
    let mut device = Device::start(config, opener, 64);
    assert!(matches!(
        device.next().await,
        DeviceEvent::OpenFailed { .. }
    ));
    device.stop_now().await;
    assert_eq!(attempt_times(&attempts).len(), 1);

    // While connected and idle.
    let (opener, _far_ends, _attempts) = scripted([true]);
    let mut device = Device::start(line_config(), opener, 64);
    assert!(matches!(device.next().await, DeviceEvent::Connected));
    device.stop_now().await;

    // While the station is not taking events and the channel is full.
    let (opener, mut far_ends, _attempts) = scripted([true]);
    let device = Device::start(line_config(), opener, 1);
    let mut scanner = far_ends.recv().await.expect("connected");
    scanner
        .write_all(b"BOX-1\rBOX-2\rBOX-3\r")
        .await
        .expect("write");
    sleep(ms(50)).await;
    device.stop_now().await;
}

#[tokio::test(start_paused = true)]
async fn dropping_the_event_receiver_ends_the_task() {
    let (opener, _far_ends, _attempts) = scripted([true]);
    let mut device = Device::start(line_config(), opener, 64);
    assert!(matches!(device.next().await, DeviceEvent::Connected));
    // Shutdown is never asked for: only the dropped receiver ends the task.
    let Device {
        events,
        task,
        stop: _never_sent,
        commands: _commands,
    } = device;
    drop(events);
    let dropped = Instant::now();
    task.await.expect("the task did not panic");
    assert_eq!(dropped.elapsed(), Duration::ZERO);
}
