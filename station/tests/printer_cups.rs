//! CUPS printers against a real cupsd: a private scheduler in a temp dir on a loopback
//! port, a cups-pdf queue, and a PDF printed through the station's `cups://` transport.
//!
//! Needs the Debian packages `cups`, `cups-client` and `printer-driver-cups-pdf`, and root:
//! cupsd runs the cups-pdf backend as root only when it runs as root itself, and cups-pdf
//! reads its configuration only from `/etc/cups` (compiled in), so the test writes an
//! instance file `/etc/cups/cups-pdf-<instance>.conf` there for its own device URI
//! `cups-pdf:/<instance>` and removes it again. Without root or `cupsd` the test says it
//! is not run (and fails under CI, `CI=true`); with root and without the packages it fails,
//! saying what to install.

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use station::printer::{Connect, Delivery, Language, PrintError, Printer, PrinterConfig};

#[allow(dead_code)] // shared with the end-to-end tests; not every helper is used here
#[path = "../../tests/tests/common/prerequisite.rs"]
mod prerequisite;

/// Where Debian puts the cups-pdf PPD; older layouts kept it under cups/model.
const PPD_CANDIDATES: [&str; 3] = [
    "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd",
    "/usr/share/cups/model/CUPS-PDF_opt.ppd",
    "/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd",
];
const QUEUE: &str = "archive-pdf";
/// Long enough for cupsd's start and a PostScript → PDF round trip on a slow CI machine.
const PATIENCE: Duration = Duration::from_secs(90);

/// A private cupsd. Dropping it (also while a failed test unwinds) stops the scheduler and
/// removes the cups-pdf instance file from `/etc/cups`.
struct Cupsd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    instance_conf: PathBuf,
}

impl Cupsd {
    fn start() -> Cupsd {
        let dir = tempfile::tempdir().expect("temp dir");
        // cupsd runs filters as user lp: they must be able to reach the spool below.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        for sub in [
            "etc",
            "spool",
            "tmp",
            "cache",
            "state",
            "log",
            "out",
            "pdf-spool",
        ] {
            fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
        fs::set_permissions(dir.path().join("tmp"), fs::Permissions::from_mode(0o1777))
            .expect("chmod tmp");
        let root = dir.path().to_path_buf();
        let port = free_port();

        fs::write(
            root.join("etc/cupsd.conf"),
            format!(
                "Listen 127.0.0.1:{port}\n\
                 LogLevel debug\n\
                 DefaultAuthType None\n\
                 Browsing No\n\
                 WebInterface No\n\
                 <Location />\n  Order allow,deny\n  Allow all\n</Location>\n\
                 <Policy default>\n  <Limit All>\n    Order allow,deny\n    Allow all\n  </Limit>\n</Policy>\n"
            ),
        )
        .expect("write cupsd.conf");
        // cupsd finds cups-files.conf next to the cupsd.conf given with -c.
        let at = |sub: &str| root.join(sub).display().to_string();
        fs::write(
            root.join("etc/cups-files.conf"),
            format!(
                "ServerRoot {}\nRequestRoot {}\nTempDir {}\nCacheDir {}\nStateDir {}\n\
                 ErrorLog {}\nAccessLog {}\nPageLog {}\nPrintcap {}\n",
                at("etc"),
                at("spool"),
                at("tmp"),
                at("cache"),
                at("state"),
                at("log/error_log"),
                at("log/access_log"),
                at("log/page_log"),
                at("state/printcap"),
            ),
        )
        .expect("write cups-files.conf");

        // cups-pdf reads /etc/cups/cups-pdf-<instance>.conf for device URI
        // cups-pdf:/<instance>; a unique instance keeps the system's cups-pdf.conf untouched.
        let instance = format!("station-test-{}-{port}", std::process::id());
        let instance_conf = PathBuf::from(format!("/etc/cups/cups-pdf-{instance}.conf"));
        let child = Command::new("cupsd")
            .arg("-f")
            .arg("-c")
            .arg(root.join("etc/cupsd.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cupsd (install the cups package)");
        let mut cupsd = Cupsd {
            child,
            port,
            dir,
            instance_conf,
        };
        // Written once the guard exists, so that its drop removes it whatever happens.
        fs::write(
            &cupsd.instance_conf,
            format!(
                "Out {out}\nAnonDirName {out}\nSpool {spool}\nLog {log}\nLogType 7\n",
                out = at("out"),
                spool = at("pdf-spool"),
                log = at("log"),
            ),
        )
        .expect("write the cups-pdf instance configuration into /etc/cups");
        cupsd.wait_until_listening();

        let ppd = PPD_CANDIDATES
            .iter()
            .map(Path::new)
            .find(|path| path.exists())
            .expect("the cups-pdf PPD (install printer-driver-cups-pdf)");
        cupsd.run(
            "lpadmin",
            &[
                "-p".as_ref(),
                QUEUE.as_ref(),
                "-v".as_ref(),
                format!("cups-pdf:/{instance}").as_ref(),
                "-E".as_ref(),
                "-P".as_ref(),
                ppd.as_os_str(),
            ],
        );
        cupsd
    }

    fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// The scheduler's log, for failure messages.
    fn error_log(&self) -> String {
        let log = fs::read_to_string(self.path("log/error_log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().filter(|line| !line.starts_with("D ")).collect();
        let start = lines.len().saturating_sub(40);
        lines[start..].join("\n")
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                panic!("cupsd exited ({status}): {stderr}\n{}", self.error_log());
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "cupsd did not listen on {}:\n{}",
                self.port,
                self.error_log()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs a CUPS client command against this server; it must succeed.
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> String {
        let output = Command::new(program)
            .arg("-h")
            .arg(self.server())
            .args(args)
            .env("LC_ALL", "C")
            .output()
            .unwrap_or_else(|e| panic!("run {program} (install cups-client): {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.error_log()
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the queue has no unfinished job and cups-pdf has written a PDF.
    fn wait_for_pdf(&self) -> PathBuf {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let pending = self.run("lpstat", &["-o".as_ref(), QUEUE.as_ref()]);
            let pdfs: Vec<PathBuf> = fs::read_dir(self.path("out"))
                .expect("read the output dir")
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "pdf"))
                .collect();
            if pending.trim().is_empty() {
                if let [pdf] = pdfs.as_slice() {
                    return pdf.clone();
                }
            }
            assert!(
                Instant::now() < deadline,
                "no PDF from cups-pdf: pending {pending:?}, files {pdfs:?}\n{}\ncups-pdf log:\n{}",
                self.error_log(),
                fs::read_dir(self.path("log"))
                    .map(|entries| entries
                        .filter_map(|e| e.ok())
                        .filter(|e| e.file_name().to_string_lossy().starts_with("cups-pdf"))
                        .map(|e| fs::read_to_string(e.path()).unwrap_or_default())
                        .collect::<String>())
                    .unwrap_or_default()
            );
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Cupsd {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.instance_conf);
        // SIGTERM lets cupsd stop its jobs' filters and backends; SIGKILL if it lingers.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: signalling our own child, which has not been reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// A one-page PDF, 100 × 60 mm, with the barcode text in Helvetica; offsets computed so
/// the cross-reference table is exact.
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
    if !prerequisite::prerequisite(
        "a_pdf_printed_through_a_cups_printer_comes_out_of_cups_pdf",
        "root (cupsd runs the cups-pdf backend as root, and cups-pdf reads its \
         configuration from /etc/cups)",
        prerequisite::is_root(),
    ) {
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
