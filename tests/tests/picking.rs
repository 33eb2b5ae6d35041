//! Pick lists end to end: the real daemon makes them through the API (bad lines answered
//! each with its code), prints them as a PDF whose lines, each cut out of the rendered page
//! and decoded on its own, read back in walking order on paper, and runs PICK mode from
//! scans on a real pseudo-terminal.

mod common;

use std::fs;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::prerequisite::{on_path, prerequisite};
use common::{download, import_ledger, read_pgm, run, station, wait_until, Daemon};
use serialport::{SerialPort, TTYPort};
use station::workflow::CommandCard;

/// A simulated scanner: the master side of a PTY whose slave the daemon reads.
struct Scanner {
    master: TTYPort,
}

impl Scanner {
    fn plug_in(link: &Path) -> Scanner {
        let (master, slave) = TTYPort::pair().expect("open a PTY pair");
        // SAFETY: fcntl on a descriptor this process owns and keeps open.
        let flagged = unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        assert_eq!(flagged, 0, "set FD_CLOEXEC on the PTY master");
        let slave_path = slave.name().expect("the PTY slave has a path");
        drop(slave);
        std::os::unix::fs::symlink(&slave_path, link).expect("link");
        Scanner { master }
    }

    fn scan(&mut self, code: impl ToString) {
        let mut bytes = code.to_string().into_bytes();
        bytes.push(b'\r');
        self.master.write_all(&bytes).expect("write to the PTY");
        self.master.flush().expect("flush");
    }
}

fn json(daemon: &Daemon, path: &str) -> serde_json::Value {
    let (status, body) = daemon.get(path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|error| panic!("{path}: {error}: {body}"))
}

fn results(daemon: &Daemon, count: usize) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    wait_until(&format!("{count} results"), || {
        out = json(daemon, "/api/v1/scans/recent?workstation=counter&limit=200")
            .as_array()
            .cloned()
            .unwrap_or_default();
        out.len() >= count
    });
    assert_eq!(out.len(), count, "one result per scan: {out:#?}");
    out
}

fn expect(result: &serde_json::Value, outcome: &str, code: &str) {
    assert_eq!(result["outcome"], outcome, "{result}");
    assert_eq!(result["code"], code, "{result}");
}

struct Setup {
    dir: tempfile::TempDir,
    data: PathBuf,
}

/// A store with five boxes on racks 01–03 of 2号库房 and one in 1号库房.
fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    import_ledger(
        &data,
        dir.path(),
        "档案号,题名,客户名称,位置\n\
         P-1,借款合同,鸿达贸易,2号库房/03列/A面/1节/1层\n\
         P-2,抵押资料,华南电力,2号库房/01列/B面/2节/1层\n\
         P-3,担保资料,东方机械,2号库房/02列/A面/1节/3层\n\
         P-4,授信资料,南方纺织,2号库房/01列/A面/1节/1层\n\
         P-5,贷后资料,西部矿业,1号库房/05列/A面/3节/4层\n",
    );
    Setup { dir, data }
}

fn start(setup: &Setup, scanner: Option<&Path>) -> Daemon {
    let mut config = String::from("repeat_window_ms = 0\n[[workstation]]\nname = \"counter\"\n");
    if let Some(link) = scanner {
        config.push_str(&format!(
            "[[scanner]]\nname = \"cart\"\nport = \"{}\"\nprotocol = \"line\"\nsuffix = \"cr\"\nworkstation = \"counter\"\n",
            link.display()
        ));
    }
    let path = setup.dir.path().join("station.toml");
    fs::write(&path, config).expect("config");
    Daemon::start_with(station(&setup.data).arg("--config").arg(&path).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]))
}

fn barcode_of(daemon: &Daemon, archive_no: &str) -> (String, String) {
    let found = json(daemon, &format!("/api/v1/boxes?archive_no={archive_no}"));
    let item = &found[0];
    (
        item["barcode"].as_str().expect("barcode").to_owned(),
        item["place"]["barcode"].as_str().expect("place").to_owned(),
    )
}

fn make_list(daemon: &Daemon, lines: &[&str]) -> (u16, serde_json::Value) {
    let body = serde_json::json!({ "lines": lines }).to_string();
    let (status, answer) = daemon.post("/api/v1/picklists", &body);
    (
        status,
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}")),
    )
}

#[test]
fn unknown_and_ambiguous_lines_are_answered_each_with_its_code_and_nothing_is_made() {
    let setup = setup();
    let daemon = start(&setup, None);
    let (p1, _) = barcode_of(&daemon, "P-1");
    let csv = format!("档案号,条码\nP-2,\nP-9,\nP-3,{p1}\n");
    let body = serde_json::json!({ "csv": csv, "header": true }).to_string();
    let (status, answer) = daemon.post("/api/v1/picklists", &body);
    assert_eq!(status, 422, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("json");
    assert_eq!(answer["error"], "picklist.bad_lines");
    let lines: Vec<(u64, String)> = answer["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| {
            (
                line["line"].as_u64().unwrap_or(0),
                line["error"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (3, "picklist.line_unknown".to_owned()),
            (4, "picklist.line_ambiguous".to_owned())
        ]
    );
    let lists = json(&daemon, "/api/v1/picklists");
    assert_eq!(lists.as_array().map(Vec::len), Some(0), "{lists}");
    // Two sources at once: refused.
    let (status, answer) = daemon.post(
        "/api/v1/picklists",
        &serde_json::json!({ "lines": ["P-1"], "search": { "q": "P" } }).to_string(),
    );
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("picklist.one_source"), "{answer}");
    assert!(daemon.terminate().success());
}

/// The sheet geometry of `label-templates/pick-line.toml`, in mm: one column of ten
/// lines an A4 page.
const LINE_LEFT: f64 = 12.0;
const LINE_TOP: f64 = 13.5;
const LINE_W: f64 = 186.0;
const LINE_H: f64 = 27.0;
const LINES_A_PAGE: usize = 10;

/// Rasterises the pick list `pdf` at `dpi`, cuts every line's place of every page into an
/// image of its own and decodes them all with one zbarimg run (positions are not needed:
/// each image is one place). Answers what each place decodes to, in place order (page by
/// page, top to bottom).
fn decode_lines(pdf: &Path, dpi: u32) -> Vec<Vec<String>> {
    let dir = pdf.with_extension("pages");
    fs::create_dir_all(&dir).expect("pages dir");
    let raster = run(Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-gray"])
        .arg(pdf)
        .arg(dir.join("page")));
    assert!(raster.status.success(), "pdftoppm failed");
    let mut pages: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("read pages")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "pgm"))
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "pdftoppm made no pages");
    let px = |mm: f64| (mm * f64::from(dpi) / 25.4).round() as usize;
    let mut places = Vec::new();
    for (page_index, page) in pages.iter().enumerate() {
        let (width, height, pixels) = read_pgm(page);
        for row in 0..LINES_A_PAGE {
            let (x0, y0) = (px(LINE_LEFT), px(LINE_TOP + LINE_H * row as f64));
            let (w, h) = (px(LINE_W).min(width - x0), px(LINE_H).min(height - y0));
            let mut place = format!("P5\n{w} {h}\n255\n").into_bytes();
            for y in y0..y0 + h {
                place.extend_from_slice(&pixels[y * width + x0..y * width + x0 + w]);
            }
            let path = dir.join(format!("line-{page_index:03}-{row:02}.pgm"));
            fs::write(&path, place).expect("write a line");
            places.push(path);
        }
    }
    let zbar = run(Command::new("zbarimg")
        .args(["--quiet", "--xml", "-Sdisable", "-Scode128.enable"])
        .args(&places));
    let xml = String::from_utf8_lossy(&zbar.stdout).into_owned();
    let mut by_place: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for source in xml.split("<source href='").skip(1) {
        let (href, rest) = source.split_once('\'').expect("a source name");
        let found = rest
            .split("<![CDATA[")
            .skip(1)
            .filter_map(|data| data.split_once("]]>").map(|(data, _)| data.to_owned()))
            .collect();
        by_place.insert(href.to_owned(), found);
    }
    places
        .iter()
        .map(|place| {
            by_place
                .get(&place.display().to_string())
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn pick_list_pdf_barcodes_decode_back_in_walking_order() {
    if !prerequisite(
        "pick_list_pdf_barcodes_decode_back_in_walking_order",
        "pdftoppm and zbarimg (poppler-utils, zbar-tools)",
        on_path("pdftoppm") && on_path("zbarimg"),
    ) {
        return;
    }
    let setup = setup();
    let daemon = start(&setup, None);
    let (status, list) = make_list(&daemon, &["P-1", "P-2", "P-3", "P-4", "P-5"]);
    assert_eq!(status, 201, "{list}");
    let id = list["id"].as_u64().expect("id");
    let in_order: Vec<String> = list["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|group| group["lines"].as_array().cloned().unwrap_or_default())
        .map(|line| line["barcode"].as_str().unwrap_or("").to_owned())
        .collect();
    let numbers = |archive: &[&str]| -> Vec<String> {
        archive.iter().map(|no| barcode_of(&daemon, no).0).collect()
    };
    // 1号库房 first, then 2号库房 in walking order (the racks are fixed here).
    assert_eq!(in_order, numbers(&["P-5", "P-4", "P-2", "P-3", "P-1"]));

    let (status, pdf) = {
        let path = format!("/api/v1/picklists/{id}/pdf");
        let to = setup.dir.path().join("list.pdf");
        (
            download(&daemon, &daemon.token, &path, &to),
            fs::read(&to).unwrap_or_default(),
        )
    };
    assert_eq!(status, "200");
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    // On paper: every line's place of the sheet (template `pick-line`: one column of ten
    // lines an A4 page) cut out of the rasterised pages and decoded on its own, so that
    // the order of the barcodes is the order of the lines on the page.
    let list_barcode = list["barcode"].as_str().expect("list barcode").to_owned();
    let mut expected = vec![list_barcode];
    expected.extend(in_order);
    let places = decode_lines(&setup.dir.path().join("list.pdf"), 300);
    assert_eq!(places.len(), 10, "one A4 page of ten lines");
    let mut decoded = Vec::new();
    let mut empty_seen = false;
    for (index, found) in places.into_iter().enumerate() {
        assert!(found.len() <= 1, "line place {index}: {found:?}");
        match found.into_iter().next() {
            Some(value) => {
                assert!(
                    !empty_seen,
                    "line place {index}: a line after an empty place"
                );
                decoded.push(value);
            }
            None => empty_seen = true,
        }
    }
    assert_eq!(
        decoded, expected,
        "the list's own line first, then the boxes in walking order"
    );
    assert!(daemon.terminate().success());
}

#[test]
fn pick_mode_by_pty_scans_ticks_warns_and_done_flags_what_was_not_found() {
    let setup = setup();
    let link = setup.dir.path().join("usb-cart-scanner");
    let mut scanner = Scanner::plug_in(&link);
    let daemon = start(&setup, Some(&link));
    wait_until("the scanner to connect", || {
        json(&daemon, "/api/v1/devices")
            .as_array()
            .into_iter()
            .flatten()
            .any(|device| device["name"] == "cart" && device["connected"] == true)
    });
    let (p1, _) = barcode_of(&daemon, "P-1");
    let (p2, p2_shelf) = barcode_of(&daemon, "P-2");
    let (p3, _) = barcode_of(&daemon, "P-3");
    let (p5, _) = barcode_of(&daemon, "P-5");
    let (status, list) = make_list(&daemon, &[&p1, "P-2", "P-3"]);
    assert_eq!(status, 201, "{list}");
    let list_barcode = list["barcode"].as_str().expect("barcode").to_owned();

    scanner.scan(CommandCard::Pick.barcode());
    scanner.scan(&p1); // no list yet
    scanner.scan(&list_barcode);
    scanner.scan(&p1);
    scanner.scan(&p5); // not on the list
    scanner.scan(&p2_shelf); // at P-2's shelf …
    scanner.scan(&p3); // … P-3 taken: recorded elsewhere
    let all = results(&daemon, 7);
    expect(&all[0], "ok", "mode.entered");
    assert_eq!(all[0]["mode"], "pick");
    expect(&all[1], "error", "pick.needs_list");
    expect(&all[2], "ok", "pick.chosen");
    expect(&all[3], "ok", "pick.ticked");
    expect(&all[4], "warning", "pick.not_on_list");
    expect(&all[5], "ok", "pick.at");
    expect(&all[6], "warning", "pick.wrong_place");
    let id = list["id"].as_u64().expect("id");
    let progress = json(&daemon, &format!("/api/v1/picklists/{id}"));
    assert_eq!(progress["picked"], 2, "{progress}");

    // CANCEL leaves the list open and flags nothing.
    scanner.scan(CommandCard::Cancel.barcode());
    let all = results(&daemon, 8);
    expect(&all[7], "ok", "mode.cancelled");
    let item = json(&daemon, &format!("/api/v1/items/{p2}"));
    assert_eq!(item["status"], "stored", "{item}");

    scanner.scan(&list_barcode);
    scanner.scan(CommandCard::Done.barcode());
    let all = results(&daemon, 10);
    expect(&all[8], "ok", "pick.chosen");
    expect(&all[9], "warning", "pick.not_found");
    assert!(
        all[9]["message"]["en"]
            .as_str()
            .unwrap_or("")
            .contains("P-2"),
        "{}",
        all[9]
    );
    let item = json(&daemon, &format!("/api/v1/items/{p2}"));
    assert_eq!(item["status"], "missing", "{item}");
    let item = json(&daemon, &format!("/api/v1/items/{p1}"));
    assert_eq!(item["status"], "stored", "{item}");
    let done = json(&daemon, &format!("/api/v1/picklists/{id}"));
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["not_found"], serde_json::json!([p2]), "{done}");
    assert!(daemon.terminate().success());
}
