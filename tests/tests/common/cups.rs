//! A private CUPS scheduler for tests: a cupsd in a temp dir on a loopback port with one
//! cups-pdf queue, [`QUEUE`], whose PDFs land in a folder of the temp dir. Shared by the
//! station crate's printer tests (`station/tests/printer_cups.rs`, through `#[path]`) and
//! the end-to-end tests here: one copy.
//!
//! Needs the Debian packages `cups`, `cups-client` and `printer-driver-cups-pdf`, and root:
//! cupsd runs the cups-pdf backend as root only when it runs as root itself, and cups-pdf
//! reads its configuration only from `/etc/cups` (compiled in), so [`Cupsd::start`] writes
//! an instance file `/etc/cups/cups-pdf-<instance>.conf` there for its own device URI
//! `cups-pdf:/<instance>` and removes it again when dropped. A test checks [`can_run`]
//! first: without root it says it is not run (and fails under CI, `CI=true`); with root
//! and without the packages, starting fails, saying what to install.
//!
//! Kept free of other helpers but [`super::prerequisite`] (a sibling module both where it
//! is included), so that the station crate's tests can include it.

#![allow(dead_code)] // each test file uses a different part

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Whether `test` can run a private cupsd (as root); if not it says so, and fails under
/// CI (see [`super::prerequisite::prerequisite`]).
pub fn can_run(test: &str) -> bool {
    super::prerequisite::prerequisite(
        test,
        "root (cupsd runs the cups-pdf backend as root, and cups-pdf reads its \
         configuration from /etc/cups)",
        super::prerequisite::is_root(),
    )
}

/// Where Debian puts the cups-pdf PPD; older layouts kept it under cups/model.
const PPD_CANDIDATES: [&str; 3] = [
    "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd",
    "/usr/share/cups/model/CUPS-PDF_opt.ppd",
    "/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd",
];
/// The cups-pdf queue the scheduler has.
pub const QUEUE: &str = "archive-pdf";
/// Long enough for cupsd's start and a PostScript → PDF round trip on a slow CI machine.
const PATIENCE: Duration = Duration::from_secs(90);

/// A private cupsd. Dropping it (also while a failed test unwinds) stops the scheduler and
/// removes the cups-pdf instance file from `/etc/cups`.
pub struct Cupsd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    instance_conf: PathBuf,
}

impl Cupsd {
    /// Starts the scheduler and adds the queue [`QUEUE`]; blocks until both are done
    /// (call it from `spawn_blocking` in async tests).
    pub fn start() -> Cupsd {
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
                 PreserveJobFiles Yes\n\
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

    /// Where the scheduler listens, `127.0.0.1:PORT` (for `cups://SERVER/QUEUE`, `lp -h`).
    pub fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A path in the scheduler's temp dir (`out` holds the PDFs cups-pdf writes).
    pub fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// The scheduler's log, for failure messages.
    pub fn error_log(&self) -> String {
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
    pub fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> String {
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

    /// The documents the scheduler received, oldest first, as it keeps them
    /// (`PreserveJobFiles`): the very bytes a client sent, before CUPS filtered them.
    ///
    /// What cups-pdf writes has been through PostScript (CUPS's pdftops, then Ghostscript),
    /// which keeps what is drawn (barcodes and QR codes decode) but not the text of
    /// CID-keyed fonts (Chinese reads back from it as nonsense), so text is checked here.
    pub fn received(&self) -> Vec<PathBuf> {
        let mut documents: Vec<PathBuf> = fs::read_dir(self.path("spool"))
            .expect("read the spool dir")
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                path.file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with('d'))
            })
            .collect();
        documents.sort();
        documents
    }

    /// Waits until the queue has no unfinished job and cups-pdf has written a PDF; answers
    /// it (there must be exactly one).
    pub fn wait_for_pdf(&self) -> PathBuf {
        let mut pdfs = self.wait_for_pdfs(1);
        pdfs.remove(0)
    }

    /// Waits until the queue has no unfinished job and cups-pdf has written `count` PDFs
    /// (more is a failure); answers them oldest first.
    pub fn wait_for_pdfs(&self, count: usize) -> Vec<PathBuf> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let pending = self.run("lpstat", &["-o".as_ref(), QUEUE.as_ref()]);
            let mut pdfs: Vec<(std::time::SystemTime, PathBuf)> = fs::read_dir(self.path("out"))
                .expect("read the output dir")
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "pdf"))
                .map(|path| {
                    let modified = fs::metadata(&path)
                        .and_then(|meta| meta.modified())
                        .unwrap_or(std::time::UNIX_EPOCH);
                    (modified, path)
                })
                .collect();
            pdfs.sort();
            let pdfs: Vec<PathBuf> = pdfs.into_iter().map(|(_, path)| path).collect();
            assert!(pdfs.len() <= count, "more PDFs than {count}: {pdfs:?}");
            if pending.trim().is_empty() && pdfs.len() == count {
                return pdfs;
            }
            assert!(
                Instant::now() < deadline,
                "not {count} PDFs from cups-pdf: pending {pending:?}, files {pdfs:?}\n{}\ncups-pdf log:\n{}",
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
