//! The device task against real pseudo-terminals: a simulated scanner writes
//! on the PTY master, the production code opens the slave by path with
//! [`SerialOpener`] (through a `/dev/serial/by-id`-style symlink) and reads
//! it, exactly as it would a USB serial scanner.
//!
//! These tests run on the real clock because the PTY is real I/O; they never
//! sleep and never assert how long anything took. [`PATIENCE`] only keeps a
//! broken build from hanging forever.
#![cfg(feature = "serial")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use firmware_bridge::line::LineConfig;
use firmware_bridge::port::{
    run_device, Backoff, DataBits, DeviceEvent, DropReason, Opener, Parity, PortConfig, PortError,
    Protocol, SerialOpener, StopBits,
};
use firmware_bridge::ssi::{Command, Message};
use firmware_bridge::{Scan, SkipReason, Symbology};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_serial::{SerialPort, SerialStream};

/// How long to wait for something that should happen at once before
/// calling the test hung. A guard, not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(20);

const DECODE_DATA: u8 = 0xF3;
const CMD_ACK: u8 = 0xD0;
const BEEP: u8 = 0xE6;
const FROM_DECODER: u8 = 0x00;
const FROM_HOST: u8 = 0x04;
const CODE_128: u8 = 0x03;
const RETRANSMIT: u8 = 0x01;

/// An SSI packet with its checksum, computed here rather than by the crate.
fn packet(opcode: u8, source: u8, status: u8, data: &[u8]) -> Vec<u8> {
    let mut bytes = vec![(4 + data.len()) as u8, opcode, source, status];
    bytes.extend_from_slice(data);
    let sum: u32 = bytes.iter().map(|&byte| u32::from(byte)).sum();
    let checksum = (0x1_0000 - (sum & 0xFFFF)) & 0xFFFF;
    bytes.extend_from_slice(&[(checksum >> 8) as u8, (checksum & 0xFF) as u8]);
    bytes
}

fn decode_data(status: u8, code_type: u8, data: &[u8]) -> Vec<u8> {
    let mut body = vec![code_type];
    body.extend_from_slice(data);
    packet(DECODE_DATA, FROM_DECODER, status, &body)
}

/// Deterministic noise: xorshift32.
fn garbage(len: usize, mut state: u32) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

/// A fresh PTY standing in for a scanner, plugged in under `link` the way
/// udev creates `/dev/serial/by-id/...`: the link is replaced atomically to
/// point at the new slave. Returns the master, the scanner's side.
fn plug_in(link: &Path) -> SerialStream {
    let (master, slave) = SerialStream::pair().expect("open a PTY pair");
    let slave_path = slave.name().expect("the PTY slave has a path");
    // Only the production code may hold the slave open: a second reader
    // would take half the bytes.
    drop(slave);
    let staging = link.with_extension("new");
    std::os::unix::fs::symlink(&slave_path, &staging).expect("create the by-id link");
    std::fs::rename(&staging, link).expect("install the by-id link");
    master
}

/// Unplugs the scanner: its by-id link disappears and its PTY closes. The
/// link goes first, so it never points at a closed PTY's number, which a PTY
/// of a test running alongside may reuse.
fn unplug(master: SerialStream, link: &Path) {
    std::fs::remove_file(link).expect("remove the by-id link");
    drop(master);
}

/// A temp dir standing in for /dev/serial/by-id, and the link in it.
fn by_id_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let link = dir.path().join("usb-Zebra_Technologies_DS2208-if00");
    (dir, link)
}

/// Back-off short enough that reconnect tests do not wait long.
fn quick_backoff() -> Backoff {
    Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(50),
        factor: 2.0,
    }
}

struct Device {
    events: mpsc::Receiver<DeviceEvent>,
    commands: mpsc::Sender<Command>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Device {
    fn start(config: PortConfig) -> Device {
        let (event_tx, events) = mpsc::channel(64);
        let (commands, command_rx) = mpsc::channel(8);
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let task = tokio::spawn(run_device(
            config,
            SerialOpener,
            event_tx,
            command_rx,
            shutdown,
        ));
        Device {
            events,
            commands,
            stop,
            task,
        }
    }

    async fn next(&mut self) -> DeviceEvent {
        timeout(PATIENCE, self.events.recv())
            .await
            .expect("an event in time")
            .expect("the device task is running")
    }

    async fn connected(&mut self) {
        match self.next().await {
            DeviceEvent::Connected => {}
            other => panic!("expected Connected, got {other:?}"),
        }
    }

    /// The next scan, passing over skipped ranges (reported, not failures).
    async fn next_scan(&mut self) -> Scan {
        loop {
            match self.next().await {
                DeviceEvent::Scan(scan) => return scan,
                DeviceEvent::Skipped(_) => continue,
                other => panic!("expected a scan, got {other:?}"),
            }
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        timeout(PATIENCE, self.task)
            .await
            .expect("the task stops in time")
            .expect("the task did not panic");
    }
}

/// Writes `bytes` one byte per write, as a slow line would deliver them.
async fn send_bytewise(master: &mut SerialStream, bytes: &[u8]) {
    for byte in bytes {
        master
            .write_all(std::slice::from_ref(byte))
            .await
            .expect("write to the PTY master");
        tokio::task::yield_now().await;
    }
}

/// Writes a burst larger than the PTY's buffer while the test goes on
/// draining events: the device task stops reading while its event channel is
/// full, so writing it all first would deadlock.
fn write_in_background(mut master: SerialStream, bytes: Vec<u8>) -> JoinHandle<SerialStream> {
    tokio::spawn(async move {
        master
            .write_all(&bytes)
            .await
            .expect("write to the PTY master");
        master
    })
}

async fn read_exactly(master: &mut SerialStream, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    timeout(PATIENCE, master.read_exact(&mut bytes))
        .await
        .expect("bytes from the station in time")
        .expect("read the PTY master");
    bytes
}

fn line_config(link: &Path) -> PortConfig {
    PortConfig {
        backoff: quick_backoff(),
        ..PortConfig::new(link, Protocol::Line(LineConfig::default()))
    }
}

#[tokio::test]
async fn line_scanner_on_a_pty_is_decoded_from_bytewise_writes() {
    let (_dir, link) = by_id_dir();
    let mut scanner = plug_in(&link);
    let mut device = Device::start(line_config(&link));
    device.connected().await;

    send_bytewise(
        &mut scanner,
        b"]C0BOX-000123\r]Q1\xe6\xa1\xa3\xe6\xa1\x88-7\r",
    )
    .await;
    let box_scan = device.next_scan().await;
    assert_eq!(box_scan.symbology, Symbology::Code128);
    assert_eq!(box_scan.data, b"BOX-000123");
    let qr_scan = device.next_scan().await;
    assert_eq!(qr_scan.symbology, Symbology::QrCode);
    assert_eq!(qr_scan.data, "档案-7".as_bytes());

    // A line scanner takes no commands: the station is told, nothing is
    // written to the scanner.
    device
        .commands
        .send(Command::Beep(0x01))
        .await
        .expect("task takes commands");
    match device.next().await {
        DeviceEvent::CommandDropped { command, reason } => {
            assert_eq!(command, Command::Beep(0x01));
            assert_eq!(reason, DropReason::Unsupported);
        }
        other => panic!("expected CommandDropped, got {other:?}"),
    }
    device.stop().await;
}

#[tokio::test]
async fn an_unterminated_line_is_reported_once_the_line_goes_quiet() {
    let (_dir, link) = by_id_dir();
    let mut scanner = plug_in(&link);
    let mut device = Device::start(PortConfig {
        idle_timeout: Duration::from_millis(20),
        ..line_config(&link)
    });
    device.connected().await;

    // The scanner's suffix is misconfigured: no CR.
    send_bytewise(&mut scanner, b"BOX-000").await;
    match device.next().await {
        DeviceEvent::Skipped(skipped) => {
            assert_eq!((skipped.offset, skipped.len), (0, 7));
            assert_eq!(skipped.reason, SkipReason::Incomplete);
        }
        other => panic!("expected the unfinished line skipped, got {other:?}"),
    }
    // The next scan is not glued to the abandoned bytes.
    send_bytewise(&mut scanner, b"BOX-001\r").await;
    assert_eq!(device.next_scan().await.data, b"BOX-001");
    device.stop().await;
}

#[tokio::test]
async fn ssi_scanner_on_a_pty_gets_its_acks_and_commands() {
    let (_dir, link) = by_id_dir();
    let mut scanner = plug_in(&link);
    let mut device = Device::start(PortConfig {
        baud: 115_200,
        backoff: quick_backoff(),
        ..PortConfig::new(&link, Protocol::Ssi)
    });
    device.connected().await;
    let ack = packet(CMD_ACK, FROM_HOST, 0, &[]);

    let scan_packet = decode_data(0, CODE_128, b"BOX-000123");
    send_bytewise(&mut scanner, &scan_packet).await;
    let scan = device.next_scan().await;
    assert_eq!(scan.symbology, Symbology::Code128);
    assert_eq!(scan.data, b"BOX-000123");
    assert_eq!(read_exactly(&mut scanner, ack.len()).await, ack);

    // The scanner missed the ACK and sends the packet again: acknowledged
    // again, reported as a duplicate, not scanned twice.
    send_bytewise(
        &mut scanner,
        &decode_data(RETRANSMIT, CODE_128, b"BOX-000123"),
    )
    .await;
    match device.next().await {
        DeviceEvent::Skipped(skipped) => assert_eq!(skipped.reason, SkipReason::Duplicate),
        other => panic!("expected the retransmission skipped, got {other:?}"),
    }
    assert_eq!(read_exactly(&mut scanner, ack.len()).await, ack);

    // The station answers the scan with a beep; the scanner acknowledges it.
    device
        .commands
        .send(Command::Beep(0x02))
        .await
        .expect("task takes commands");
    let beep = packet(BEEP, FROM_HOST, 0, &[0x02]);
    assert_eq!(read_exactly(&mut scanner, beep.len()).await, beep);
    send_bytewise(&mut scanner, &packet(CMD_ACK, FROM_DECODER, 0, &[])).await;
    match device.next().await {
        DeviceEvent::Message(message) => assert_eq!(message, Message::Ack),
        other => panic!("expected the scanner's ACK, got {other:?}"),
    }
    device.stop().await;
}

#[tokio::test]
async fn unplugged_scanner_is_reopened_when_it_comes_back() {
    let (_dir, link) = by_id_dir();
    let mut scanner = plug_in(&link);
    let mut device = Device::start(line_config(&link));
    device.connected().await;
    send_bytewise(&mut scanner, b"BOX-1\r").await;
    assert_eq!(device.next_scan().await.data, b"BOX-1");

    // Unplugged. (A scan cut off by the unplug is covered with an in-memory
    // stream in port_timing.rs: the pty driver discards unread bytes when
    // the master closes, so here it might never arrive.)
    unplug(scanner, &link);
    match device.next().await {
        DeviceEvent::Disconnected { reason, .. } => {
            assert_eq!(reason.path(), link);
            assert!(
                matches!(reason, PortError::Closed { .. } | PortError::Read { .. }),
                "{reason}"
            );
        }
        other => panic!("expected Disconnected, got {other:?}"),
    }

    // While the link is gone, opening fails and is retried.
    for _ in 0..3 {
        match device.next().await {
            DeviceEvent::OpenFailed { reason, .. } => {
                assert!(matches!(reason, PortError::Open { .. }), "{reason}");
                assert_eq!(reason.path(), link);
                let kind = reason.io_error().map(std::io::Error::kind);
                assert_eq!(kind, Some(std::io::ErrorKind::NotFound), "{reason}");
            }
            other => panic!("expected OpenFailed, got {other:?}"),
        }
    }

    // Plugged back in (a new PTY, as a new USB enumeration gives a new
    // ttyACM): the same by-id name finds it, and scans flow again.
    let mut scanner = plug_in(&link);
    loop {
        match device.next().await {
            DeviceEvent::OpenFailed { .. } => continue,
            DeviceEvent::Connected => break,
            other => panic!("expected Connected, got {other:?}"),
        }
    }
    send_bytewise(&mut scanner, b"BOX-2\r").await;
    assert_eq!(device.next_scan().await.data, b"BOX-2");
    device.stop().await;
}

#[tokio::test]
async fn garbage_burst_on_a_line_scanner_does_not_stop_the_task() {
    let (_dir, link) = by_id_dir();
    let scanner = plug_in(&link);
    let mut device = Device::start(line_config(&link));
    device.connected().await;

    let mut burst = garbage(16 * 1024, 0x5EED_0001);
    burst.extend_from_slice(b"\r]C0BOX-000777\r");
    let writer = write_in_background(scanner, burst);
    // Random bytes may well contain CRs and so form junk "scans"; the
    // station rejects those by their check character. What matters is that
    // the good scan after the burst comes through.
    loop {
        match device.next().await {
            DeviceEvent::Scan(scan) if scan.data == b"BOX-000777" => break,
            DeviceEvent::Scan(_) | DeviceEvent::Skipped(_) => continue,
            other => panic!("expected scans and skipped ranges, got {other:?}"),
        }
    }
    let mut scanner = writer.await.expect("the writer did not panic");
    send_bytewise(&mut scanner, b"BOX-000778\r").await;
    assert_eq!(device.next_scan().await.data, b"BOX-000778");
    device.stop().await;
}

#[tokio::test]
async fn garbage_burst_on_an_ssi_scanner_does_not_stop_the_task() {
    let (_dir, link) = by_id_dir();
    let scanner = plug_in(&link);
    let mut device = Device::start(PortConfig {
        idle_timeout: Duration::from_millis(50),
        backoff: quick_backoff(),
        ..PortConfig::new(&link, Protocol::Ssi)
    });
    device.connected().await;

    let mut burst = garbage(16 * 1024, 0x5EED_0002);
    burst.extend_from_slice(&decode_data(0, CODE_128, b"BOX-000777"));
    let writer = write_in_background(scanner, burst);
    // Noise cannot carry a valid checksum, so nothing but the packet after
    // it becomes a scan. If the noise ends in what looks like the start of a
    // long packet, the idle timeout gives up on it and the packet behind it
    // is still found.
    loop {
        match device.next().await {
            DeviceEvent::Scan(scan) => {
                assert_eq!(scan.data, b"BOX-000777");
                break;
            }
            DeviceEvent::Skipped(skipped) => assert!(
                matches!(
                    skipped.reason,
                    SkipReason::BadPacket(_) | SkipReason::Incomplete
                ),
                "{skipped}"
            ),
            other => panic!("expected skipped noise, got {other:?}"),
        }
    }
    let mut scanner = writer.await.expect("the writer did not panic");
    let ack = packet(CMD_ACK, FROM_HOST, 0, &[]);
    assert_eq!(read_exactly(&mut scanner, ack.len()).await, ack);

    send_bytewise(&mut scanner, &decode_data(0, CODE_128, b"BOX-000778")).await;
    assert_eq!(device.next_scan().await.data, b"BOX-000778");
    assert_eq!(read_exactly(&mut scanner, ack.len()).await, ack);
    device.stop().await;
}

#[tokio::test]
async fn serial_opener_applies_the_line_settings() {
    let (_dir, link) = by_id_dir();
    let _scanner = plug_in(&link);
    let config = PortConfig {
        baud: 19_200,
        parity: Parity::Even,
        data_bits: DataBits::Seven,
        stop_bits: StopBits::Two,
        ..line_config(&link)
    };
    let port = SerialOpener
        .open(&config)
        .await
        .expect("open the PTY slave by its link");
    let port = port.get_ref();
    assert_eq!(port.baud_rate().ok(), Some(19_200));
    assert_eq!(port.stop_bits().ok(), Some(tokio_serial::StopBits::Two));
    // Parity and data bits were accepted, but a PTY cannot show them: the
    // Linux pty driver forces CS8 without parity on every termios change.
}

#[tokio::test]
async fn a_port_in_use_is_not_opened_twice() {
    let (_dir, link) = by_id_dir();
    let _scanner = plug_in(&link);
    let config = line_config(&link);
    let _first = SerialOpener
        .open(&config)
        .await
        .expect("the first open succeeds");
    assert!(
        SerialOpener.open(&config).await.is_err(),
        "a second reader would steal half the scans"
    );
}
