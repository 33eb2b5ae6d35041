//! Raw-TCP ZPL printers against a real loopback listener playing the Zebra: the exact job
//! bytes arrive, `~HS` is answered with fault states, and silence counts as a fault.

use std::time::Duration;

use firmware_bridge::zpl::{Condition, PrinterStatus};
use station::message::Code;
use station::printer::{
    condition_message, Delivery, Language, PrintError, Printer, PrinterConfig, Timeouts,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// How a simulated printer answers `~HS`.
#[derive(Clone)]
enum Answer {
    /// The three status strings, written a few bytes at a time.
    Status(PrinterStatus),
    /// These bytes, then close.
    Raw(Vec<u8>),
    /// Nothing: hold the connection open, as a Zebra with its head open does.
    Silence,
}

/// A loopback listener playing a Zebra on port 9100: every connection's bytes are
/// reported, and a `~HS` is answered as told.
struct FakeZebra {
    port: u16,
    received: mpsc::UnboundedReceiver<Vec<u8>>,
}

impl FakeZebra {
    async fn start(answer: Answer) -> FakeZebra {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (sender, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, answer.clone(), sender.clone()));
            }
        });
        FakeZebra { port, received }
    }

    fn printer(&self, timeouts: Timeouts) -> Printer {
        let config = PrinterConfig {
            name: "zebra-1".into(),
            language: Language::Zpl,
            dpi: 203,
            connect: format!("tcp://127.0.0.1:{}", self.port)
                .parse()
                .expect("connect"),
        };
        Printer::new(config).with_timeouts(timeouts)
    }

    async fn next_connection(&mut self) -> Vec<u8> {
        tokio::time::timeout(Duration::from_secs(10), self.received.recv())
            .await
            .expect("the printer saw a connection")
            .expect("the listener runs")
    }
}

async fn serve(mut socket: TcpStream, answer: Answer, sender: mpsc::UnboundedSender<Vec<u8>>) {
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        received.extend_from_slice(&chunk[..read]);
        if received.ends_with(b"~HS") {
            match &answer {
                Answer::Status(status) => {
                    let mut bytes = Vec::new();
                    status.encode(&mut bytes);
                    for piece in bytes.chunks(7) {
                        if socket.write_all(piece).await.is_err() {
                            break;
                        }
                        let _ = socket.flush().await;
                        tokio::task::yield_now().await;
                    }
                }
                Answer::Raw(bytes) => {
                    let _ = socket.write_all(bytes).await;
                    break;
                }
                Answer::Silence => {}
            }
        }
    }
    let _ = sender.send(received);
}

fn quick() -> Timeouts {
    Timeouts {
        status: Duration::from_millis(300),
        ..Timeouts::default()
    }
}

#[tokio::test]
async fn zpl_job_reaches_the_printer_byte_for_byte() {
    let mut zebra = FakeZebra::start(Answer::Silence).await;
    let printer = zebra.printer(Timeouts::default());
    // A label with every byte value in a field, so nothing is translated on the way.
    let mut job = b"^XA^FO50,50^BCN,100,Y,N,N^FDB000000123^FS^FH^FD".to_vec();
    job.extend(0u8..=255);
    job.extend_from_slice("^FS^CI28^FD2012鸿借字第001号^FS^XZ".as_bytes());

    let delivery = printer.send(&job, Language::Zpl).await.expect("sent");
    assert_eq!(delivery, Delivery::Sent);
    assert_eq!(zebra.next_connection().await, job);
}

#[tokio::test]
async fn status_reports_each_fault_the_printer_answers() {
    let cases = [
        (PrinterStatus::default(), vec![]),
        (
            PrinterStatus {
                paper_out: true,
                ..PrinterStatus::default()
            },
            vec![Condition::PaperOut],
        ),
        (
            PrinterStatus {
                head_open: true,
                ..PrinterStatus::default()
            },
            vec![Condition::HeadOpen],
        ),
        (
            PrinterStatus {
                ribbon_out: true,
                paused: true,
                thermal_transfer: true,
                under_temperature: true,
                ..PrinterStatus::default()
            },
            vec![Condition::RibbonOut, Condition::Paused],
        ),
    ];
    for (status, faults) in cases {
        let mut zebra = FakeZebra::start(Answer::Status(status.clone())).await;
        let printer = zebra.printer(quick());

        assert_eq!(printer.status().await.expect("an answer"), status);
        assert_eq!(zebra.next_connection().await, b"~HS");

        match printer.ready().await {
            Ok(ready) => {
                assert!(faults.is_empty(), "expected {faults:?}");
                assert_eq!(ready, status);
            }
            Err(PrintError::Faulted {
                printer: name,
                faults: found,
                status: reported,
                ..
            }) => {
                assert_eq!(name, "zebra-1");
                assert_eq!(found, faults);
                assert_eq!(*reported, status);
            }
            Err(other) => panic!("unexpected {other}"),
        }
    }
}

#[tokio::test]
async fn faulted_message_names_printer_transport_and_faults() {
    let status = PrinterStatus {
        paper_out: true,
        head_open: true,
        ..PrinterStatus::default()
    };
    let zebra = FakeZebra::start(Answer::Status(status)).await;
    let printer = zebra.printer(quick());
    let error = printer.ready().await.expect_err("faulted");
    let message = error.message();
    assert_eq!(message.code, Code::PrinterFaulted, "{message}");
    let transport = format!("tcp://127.0.0.1:{}", zebra.port);
    let paper_out = condition_message(Condition::PaperOut).text;
    let head_open = condition_message(Condition::HeadOpen).text;
    for (half, paper_out, head_open) in [
        (&message.text.zh, &paper_out.zh, &head_open.zh),
        (&message.text.en, &paper_out.en, &head_open.en),
    ] {
        assert!(half.contains("zebra-1"), "{half}");
        assert!(half.contains(&transport), "{half}");
        assert!(half.contains(paper_out.as_str()), "{half}");
        assert!(half.contains(head_open.as_str()), "{half}");
    }
}

#[tokio::test]
async fn a_printer_that_never_answers_is_a_fault() {
    let mut zebra = FakeZebra::start(Answer::Silence).await;
    let printer = zebra.printer(quick());
    match printer.status().await {
        Err(PrintError::NoAnswer {
            printer: name,
            transport,
            after,
            received,
        }) => {
            assert_eq!(name, "zebra-1");
            assert_eq!(transport, format!("tcp://127.0.0.1:{}", zebra.port));
            assert_eq!(after, Duration::from_millis(300));
            assert_eq!(received, 0);
        }
        other => panic!("expected NoAnswer, got {other:?}"),
    }
    assert!(matches!(
        printer.ready().await,
        Err(PrintError::NoAnswer { .. })
    ));
    // The printer did receive the request; it just kept silent.
    assert_eq!(zebra.next_connection().await, b"~HS");
}

#[tokio::test]
async fn a_printer_answering_malformed_status_is_reported_with_the_offset() {
    let zebra = FakeZebra::start(Answer::Raw(b"\x02030,0\x00".to_vec())).await;
    let printer = zebra.printer(quick());
    match printer.status().await {
        Err(PrintError::BadStatus { source, .. }) => {
            let message = source.to_string();
            assert!(message.starts_with("byte 6: 0x00"), "{message}");
        }
        other => panic!("expected a bad status, got {other:?}"),
    }

    let zebra = FakeZebra::start(Answer::Raw(
        b"\x02030,0,0,12x4,000,0,0,0,000,0,0,0\x03\r\n".to_vec(),
    ))
    .await;
    let printer = zebra.printer(quick());
    match printer.status().await {
        Err(PrintError::BadStatus {
            source, printer, ..
        }) => {
            assert_eq!(printer, "zebra-1");
            let message = source.to_string();
            assert!(message.contains("byte 9"), "{message}");
            assert!(message.contains("dddd (label length)"), "{message}");
        }
        other => panic!("expected a bad status, got {other:?}"),
    }
}

#[tokio::test]
async fn a_printer_closing_mid_answer_is_a_read_error() {
    let mut answer = Vec::new();
    PrinterStatus::default().encode(&mut answer);
    answer.truncate(50);
    let zebra = FakeZebra::start(Answer::Raw(answer)).await;
    let printer = zebra.printer(quick());
    match printer.status().await {
        Err(PrintError::Read { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof);
            assert!(source.to_string().contains("50"), "{source}");
        }
        other => panic!("expected a read error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_printer_is_named_with_its_address() {
    // A port that was just free: nothing listens there.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        listener.local_addr().expect("address").port()
    };
    let config = PrinterConfig {
        name: "zebra-2".into(),
        language: Language::Zpl,
        dpi: 300,
        connect: format!("tcp://127.0.0.1:{port}").parse().expect("connect"),
    };
    let printer = Printer::new(config);
    let error = printer
        .send(b"^XA^XZ", Language::Zpl)
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, PrintError::Connect { .. }), "{error:?}");
    let message = error.message();
    assert_eq!(message.code, Code::PrinterConnectFailed, "{message}");
    for half in [&message.text.zh, &message.text.en] {
        assert!(half.contains("zebra-2"), "{half}");
        assert!(half.contains(&format!("tcp://127.0.0.1:{port}")), "{half}");
    }
}

#[tokio::test]
async fn a_job_in_another_language_than_the_printer_is_refused_before_connecting() {
    let mut zebra = FakeZebra::start(Answer::Silence).await;
    let printer = zebra.printer(quick());
    let error = printer
        .send(b"%PDF-1.4", Language::Pdf)
        .await
        .expect_err("a ZPL printer");
    assert!(
        matches!(
            error,
            PrintError::WrongLanguage {
                expected: Language::Zpl,
                got: Language::Pdf,
                ..
            }
        ),
        "{error:?}"
    );
    // Nothing reached the printer.
    assert!(zebra.received.try_recv().is_err());
    // A PDF printer has no ~HS.
    let config = PrinterConfig {
        language: Language::Pdf,
        ..printer.config().clone()
    };
    assert!(matches!(
        Printer::new(config).status().await,
        Err(PrintError::StatusUnsupported { .. })
    ));
}
