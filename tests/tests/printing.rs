//! Printing end to end: the real daemon renders, reads back and queues labels, and
//! delivers ZPL to a real loopback TCP listener acting as a Zebra printer, which answers
//! `~HS` with fault states. The queue holds while the printer is down or faulted, across a
//! daemon restart, and delivers everything once it is back.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{run, station, stderr, stdout, wait_until, Daemon};
use firmware_bridge::zpl::PrinterStatus;

/// A Zebra on loopback: answers `~HS` (ready, or paper out) and keeps every job's bytes.
struct FakeZebra {
    jobs: Arc<Mutex<Vec<Vec<u8>>>>,
    paper_out: Arc<AtomicBool>,
}

impl FakeZebra {
    fn serve(listener: TcpListener) -> FakeZebra {
        let jobs: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let paper_out = Arc::new(AtomicBool::new(false));
        let (keep, out) = (jobs.clone(), paper_out.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (keep, out) = (keep.clone(), out.clone());
                std::thread::spawn(move || answer(stream, &keep, &out));
            }
        });
        FakeZebra { jobs, paper_out }
    }

    fn jobs(&self) -> Vec<String> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        jobs.iter()
            .map(|job| String::from_utf8_lossy(job).into_owned())
            .collect()
    }
}

fn answer(mut stream: TcpStream, jobs: &Mutex<Vec<Vec<u8>>>, paper_out: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
        }
        if received == b"~HS" {
            let status = PrinterStatus {
                paper_out: paper_out.load(Ordering::SeqCst),
                ..PrinterStatus::default()
            };
            let mut reply = Vec::new();
            status.encode(&mut reply);
            let _ = stream.write_all(&reply);
            received.clear();
        }
    }
    if !received.is_empty() {
        jobs.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(received);
    }
}

fn printer_state(daemon: &Daemon) -> serde_json::Value {
    common::device_state(daemon.addr, &daemon.token, "zebra")
}

#[test]
fn labels_wait_for_a_down_or_faulted_printer_across_a_restart_and_then_print() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let ledger = dir.path().join("ledger.csv");
    fs::write(
        &ledger,
        "档案号,题名,客户名称,位置\n\
         2012鸿借字第001号,借款合同,鸿达贸易有限公司,1号库房/05列/A面/3节/4层\n\
         2012鸿借字第002号,抵押资料,华南电力,1号库房/05列/A面/3节/4层\n",
    )
    .expect("ledger");
    assert!(run(station(&data).arg("import").arg(&ledger))
        .status
        .success());
    let boxes: Vec<String> = stdout(&run(station(&data).arg("export")))
        .lines()
        .skip(1)
        .map(|line| line.rsplit(',').next().unwrap_or_default().to_owned())
        .collect();

    // A port with nobody listening: the printer is switched off.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let config = dir.path().join("station.toml");
    fs::write(
        &config,
        format!(
            "[[workstation]]\nname = \"counter\"\nprinter = \"zebra\"\n\
             [[printer]]\nname = \"zebra\"\nlanguage = \"zpl\"\ndpi = 203\nconnect = \"tcp://127.0.0.1:{port}\"\n"
        ),
    )
    .expect("config");
    let serve = || {
        Daemon::start_with(station(&data).arg("--config").arg(&config).args([
            "serve",
            "--listen",
            "127.0.0.1:0",
        ]))
    };
    let daemon = serve();
    let output = run(station(&data)
        .arg("--config")
        .arg(&config)
        .args(["label", "print", "--workstation", "counter"])
        .args(&boxes));
    assert!(
        output.status.success(),
        "{} {}",
        stdout(&output),
        stderr(&output)
    );
    assert_eq!(
        stdout(&output)
            .matches("queued at the running station")
            .count(),
        2
    );
    wait_until("the printer to be reported unreachable", || {
        printer_state(&daemon)["last_problem"]["code"] == "printer.connect_failed"
    });
    assert_eq!(printer_state(&daemon)["connected"], false);
    let daemon_token = daemon.token.clone();
    assert!(daemon.terminate().success());

    // The printer comes back while the station is down; the queue survived the restart.
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the printer's port");
    let zebra = FakeZebra::serve(listener);
    let token = daemon_token;
    let mut daemon = serve();
    assert!(
        daemon.token.is_empty(),
        "the first token is shown only at the first start"
    );
    daemon.token = token;
    wait_until("both labels to arrive", || zebra.jobs().len() == 2);
    let jobs = zebra.jobs();
    for job in &jobs {
        assert!(
            job.starts_with("^XA") && job.contains("^CI28") && job.trim_end().ends_with("^XZ"),
            "{job}"
        );
        assert!(job.contains("^GFA"), "Chinese text as graphics");
    }
    for barcode in &boxes {
        // Code 128 with set B for the letter and set C for the ten digits, and the QR.
        let field = format!(">:B>5{}", &barcode[1..]);
        let qr = format!("^FDMA,{barcode}^FS");
        let labels = jobs
            .iter()
            .filter(|job| job.contains(&field) && job.contains(&qr));
        assert_eq!(labels.count(), 1, "one label for {barcode}");
    }
    wait_until("the printer to be reported ready", || {
        printer_state(&daemon)["connected"] == true
    });

    // Paper out: the job waits, the fault is shown; paper back: it prints.
    zebra.paper_out.store(true, Ordering::SeqCst);
    // Printed before (job 1): again only as a reprint, with its reason.
    let output = run(station(&data)
        .arg("--config")
        .arg(&config)
        .args([
            "label",
            "print",
            "--printer",
            "zebra",
            "--reprint",
            "1",
            "--reason",
            "卡纸",
        ])
        .arg(&boxes[0]));
    assert!(output.status.success(), "{}", stderr(&output));
    wait_until("the fault to be shown", || {
        let problem = &printer_state(&daemon)["last_problem"];
        problem["code"] == "printer.faulted"
            && problem["text"]["en"]
                .as_str()
                .is_some_and(|en| en.contains("out of paper"))
            && problem["text"]["zh"]
                .as_str()
                .is_some_and(|zh| zh.contains("缺纸"))
    });
    assert_eq!(
        zebra.jobs().len(),
        2,
        "nothing printed while the paper is out"
    );
    zebra.paper_out.store(false, Ordering::SeqCst);
    wait_until("the third label after the fault", || {
        zebra.jobs().len() == 3
    });
    assert!(daemon.terminate().success());

    let verify = run(station(&data).arg("verify"));
    assert!(verify.status.success(), "{}", stdout(&verify));
}

#[test]
fn without_a_daemon_labels_go_straight_to_pdf_files_and_a_reprint_needs_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let ledger = dir.path().join("ledger.csv");
    fs::write(
        &ledger,
        "档案号,题名,客户名称,位置\nA-1,借款合同,鸿达贸易,\n",
    )
    .expect("ledger");
    assert!(run(station(&data).arg("import").arg(&ledger))
        .status
        .success());
    let barcode = stdout(&run(station(&data).arg("export")))
        .lines()
        .nth(1)
        .and_then(|line| line.rsplit(',').next())
        .expect("a box")
        .to_owned();
    let output = run(station(&data).args(["label", "print"]).arg(&barcode));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("printed 1, 0 waiting"),
        "{}",
        stdout(&output)
    );
    let files: Vec<_> = fs::read_dir(data.join("labels"))
        .expect("labels folder")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, vec![format!("1-{barcode}.pdf")]);
    let pdf = fs::read(data.join("labels").join(&files[0])).expect("pdf");
    assert!(pdf.starts_with(b"%PDF"));

    let refused = run(station(&data)
        .args(["label", "print", "--reprint", "1"])
        .arg(&barcode));
    assert_eq!(
        refused.status.code(),
        Some(2),
        "clap: --reprint requires --reason"
    );
    let output = run(station(&data)
        .args(["label", "print", "--reprint", "1", "--reason", "标签破损"])
        .arg(&barcode));
    assert!(output.status.success(), "{}", stderr(&output));
    let unknown = run(station(&data)
        .args(["label", "print", "--printer", "nope"])
        .arg(&barcode));
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("printer nope is not configured"),
        "{}",
        stderr(&unknown)
    );
}
