//! Serial ZPL printers through a real pseudo-terminal pair: the station opens the slave side
//! as it would `/dev/ttyUSB1`, and the test plays the printer on the master side.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use firmware_bridge::zpl::PrinterStatus;
use serialport::{SerialPort, TTYPort};
use station::message::Code;
use station::printer::{Connect, Delivery, Language, PrintError, Printer, PrinterConfig, Timeouts};

/// A PTY pair: the printer's side (master), the path of the side the station opens, and
/// that side held open by the test too.
///
/// The held slave keeps the line from hanging up between the station's opens: with no
/// slave open, the master reports a hangup (POLLHUP) instead of waiting for bytes.
fn plug_in() -> (TTYPort, PathBuf, TTYPort) {
    let (mut master, slave) = TTYPort::pair().expect("open a PTY pair");
    master
        .set_timeout(Duration::from_secs(10))
        .expect("set a read timeout");
    let path = PathBuf::from(slave.name().expect("the PTY slave has a path"));
    (master, path, slave)
}

fn printer(path: PathBuf) -> Printer {
    let config = PrinterConfig {
        name: "zebra-serial".into(),
        language: Language::Zpl,
        dpi: 203,
        connect: Connect::Serial { path, baud: 9600 },
    };
    Printer::new(config).with_timeouts(Timeouts {
        status: Duration::from_millis(500),
        ..Timeouts::default()
    })
}

#[tokio::test]
async fn zpl_job_reaches_a_serial_printer_byte_for_byte() {
    let (mut master, path, _line) = plug_in();
    let printer = printer(path);
    let mut job = b"^XA^FO20,20^A0N,40,40^FDB000000123^FS".to_vec();
    // CR, LF, XON, XOFF, NUL and high bytes must pass a raw port untranslated.
    job.extend_from_slice(b"^FH^FD\r\n\x11\x13\x00\xff\x7f^FS^XZ");
    let expected = job.clone();
    let reader = thread::spawn(move || {
        let mut received = vec![0u8; expected.len()];
        master.read_exact(&mut received).expect("read the job");
        (received, master)
    });

    assert_eq!(
        printer.send(&job, Language::Zpl).await.expect("sent"),
        Delivery::Sent
    );
    let (received, _master) = reader.join().expect("reader");
    assert_eq!(received, job);
}

#[tokio::test]
async fn serial_printer_status_is_read_from_the_line() {
    let (mut master, path, _line) = plug_in();
    let printer = printer(path);
    let status = PrinterStatus {
        head_open: true,
        ribbon_out: true,
        thermal_transfer: true,
        labels_remaining: 3,
        ..PrinterStatus::default()
    };
    let mut answer = Vec::new();
    status.encode(&mut answer);
    let zebra = thread::spawn(move || {
        let mut request = [0u8; 3];
        master.read_exact(&mut request).expect("read ~HS");
        // A slow line: the answer arrives a byte at a time.
        for byte in &answer {
            master.write_all(&[*byte]).expect("answer");
            master.flush().expect("flush");
        }
        (request, master)
    });

    let found = printer.status().await.expect("an answer");
    let (request, _master) = zebra.join().expect("printer thread");
    assert_eq!(&request, b"~HS");
    assert_eq!(found, status);
    assert_eq!(
        found.faults(),
        [
            firmware_bridge::zpl::Condition::RibbonOut,
            firmware_bridge::zpl::Condition::HeadOpen
        ]
    );
}

#[tokio::test]
async fn a_silent_serial_printer_is_a_fault() {
    let (mut master, path, _line) = plug_in();
    let printer = printer(path.clone());
    let error = printer.ready().await.expect_err("no answer");
    match &error {
        PrintError::NoAnswer {
            printer, transport, ..
        } => {
            assert_eq!(printer, "zebra-serial");
            assert_eq!(transport, &format!("serial://{}", path.display()));
        }
        other => panic!("expected NoAnswer, got {other:?}"),
    }
    let mut request = [0u8; 3];
    master
        .read_exact(&mut request)
        .expect("the request went out");
    assert_eq!(&request, b"~HS");
}

#[tokio::test]
async fn serial_printer_on_a_missing_port_is_named_in_the_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ttyUSB-unplugged");
    let printer = printer(path.clone());
    let error = printer
        .send(b"^XA^XZ", Language::Zpl)
        .await
        .expect_err("no such port");
    assert!(matches!(error, PrintError::Connect { .. }), "{error:?}");
    let message = error.message();
    assert_eq!(message.code, Code::PrinterConnectFailed, "{message}");
    for half in [&message.text.zh, &message.text.en] {
        assert!(half.contains("zebra-serial"), "{half}");
        assert!(half.contains(&path.display().to_string()), "{half}");
    }
}
