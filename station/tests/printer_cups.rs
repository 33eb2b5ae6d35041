//! CUPS printers against a real cupsd: a private scheduler in a temp dir on a loopback
//! port, a cups-pdf queue, and a PDF printed through the station's `cups://` transport.
//! The scheduler is the end-to-end tests' harness (`tests/tests/common/cups.rs`, which
//! says what it needs: root and the packages cups, cups-client, printer-driver-cups-pdf).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use station::printer::{Connect, Delivery, Language, PrintError, Printer, PrinterConfig};

#[allow(dead_code)] // shared with the end-to-end tests; not every helper is used here
#[path = "../../tests/tests/common/prerequisite.rs"]
mod prerequisite;

#[path = "../../tests/tests/common/cups.rs"]
mod cups;

use cups::{Cupsd, QUEUE};

/// A real box label as the station renders it (WenQuanYi Micro Hei, Code 128 and QR).
fn station_label_pdf(barcode: &str) -> Vec<u8> {
    use station::label::{render_pdf, Fonts, LabelData, Templates};
    let templates = Templates::builtin().expect("the shipped templates");
    let template = templates.get("box").expect("the box template");
    let fonts = Fonts::load_default().expect("fonts-wqy-microhei is installed");
    let data = LabelData::new()
        .with("barcode", barcode)
        .with("archive_no", "2012鸿借字第001号")
        .with("customer", "鸿达贸易有限公司")
        .with("title", "借款合同")
        .with("year", "2012")
        .with("location_path", "1号库房/05列/A面/3节/4层");
    render_pdf(&[(template, data)], &fonts).expect("render the label")
}

/// What zbarimg reads on the first page of `pdf`, rasterised by pdftoppm at 300 dpi.
fn decode_pdf(pdf: &Path) -> String {
    let prefix = pdf.with_extension("page");
    let png = PathBuf::from(format!("{}.png", prefix.display()));
    let status = Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm runs (poppler-utils)");
    assert!(status.success(), "pdftoppm failed on {}", pdf.display());
    let output = Command::new("zbarimg")
        .arg("-q")
        .arg(&png)
        .output()
        .expect("zbarimg runs (zbar-tools)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn cups_printer(server: &str, queue: &str) -> Printer {
    Printer::new(PrinterConfig {
        name: "office-pdf".into(),
        language: Language::Pdf,
        dpi: 300,
        connect: format!("cups://{server}/{queue}").parse().expect("connect"),
    })
}

#[tokio::test]
async fn a_pdf_printed_through_a_cups_printer_comes_out_of_cups_pdf() {
    if !cups::can_run("a_pdf_printed_through_a_cups_printer_comes_out_of_cups_pdf") {
        return;
    }
    let cupsd = tokio::task::spawn_blocking(Cupsd::start)
        .await
        .expect("start cupsd");
    let server = cupsd.server();
    let printer = cups_printer(&server, QUEUE);
    assert_eq!(
        printer.config().connect,
        Connect::Cups {
            queue: QUEUE.into(),
            server: Some(server.clone())
        }
    );

    let pdf = station_label_pdf("B0000000016");
    let delivery = printer
        .send_named("B0000000016", &pdf, Language::Pdf)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", cupsd.error_log()));
    match &delivery {
        Delivery::Queued { request_id } => {
            assert!(request_id.starts_with("archive-pdf-"), "{request_id}")
        }
        other => panic!("expected a CUPS request id, got {other:?}"),
    }

    let cupsd = tokio::task::spawn_blocking(move || {
        let file = cupsd.wait_for_pdf();
        (cupsd, file)
    });
    let (cupsd, file) = cupsd.await.expect("wait for the PDF");
    let printed = fs::read(&file).expect("read the printed PDF");
    assert!(printed.starts_with(b"%PDF-"), "{}", file.display());
    assert!(printed.len() > 200, "{} bytes", printed.len());
    // Not our bytes copied: CUPS filtered the PDF to PostScript and cups-pdf rebuilt it
    // with Ghostscript, so the whole queue really ran.
    assert_ne!(printed, pdf);
    // cups-pdf wrote it as the job's user (root), into the directory we configured.
    assert_eq!(file.parent(), Some(cupsd.path("out").as_path()));
    // And what came out of CUPS (the label placed on the queue's A4 page) still scans
    // as exactly the encoded barcode.
    let decoded = decode_pdf(&file);
    assert!(decoded.contains("CODE-128:B0000000016"), "{decoded}");
    assert!(decoded.contains("QR-Code:B0000000016"), "{decoded}");

    // A queue the server does not have: lp's own reason, with the printer named.
    let missing = cups_printer(&server, "no-such-queue");
    match missing.send(&pdf, Language::Pdf).await {
        Err(PrintError::LpFailed {
            printer,
            transport,
            message,
            ..
        }) => {
            assert_eq!(printer, "office-pdf");
            assert_eq!(transport, format!("cups://{server}/no-such-queue"));
            assert!(message.contains("does not exist"), "{message}");
        }
        other => panic!("expected lp to refuse, got {other:?}"),
    }
    drop(cupsd);
}
