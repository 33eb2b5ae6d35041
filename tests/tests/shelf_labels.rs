//! Shelf labels end to end: the labels of every shelf under a room, a rack or a side, in
//! walking order, from one request — a 600-shelf block laid out by `station location
//! layout` as the README does it, on A4 sticker sheets (a PDF, rasterised with
//! `pdftoppm` and every label decoded back with `zbarimg`) and to a real loopback TCP
//! printer — through the API and the CLI (daemon running and stopped); a safe's label only
//! for supervisors; the desk page's "层位标签" button in headless Chromium.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::browser::Browser;
use common::{
    http_get_as, http_post_as, person_with_token, prerequisite, read_pgm, run, station, stderr,
    wait_until, Daemon,
};
use serde_json::Value;
use station::model::LocationKind;
use station::store::{Actor, NewLocation, Store, StoreOptions};

/// The shelf paths of a block, in the order a person walks it (rack, side, section,
/// shelf), written out level by level: the expectation, independent of the station's sort.
fn block(room: &str, racks: u32, sides: &[&str], sections: u32, shelves: u32) -> Vec<String> {
    let mut paths = Vec::new();
    for rack in 1..=racks {
        for side in sides {
            for section in 1..=sections {
                for shelf in 1..=shelves {
                    paths.push(format!("{room}/{rack:02}列/{side}面/{section}节/{shelf}层"));
                }
            }
        }
    }
    paths
}

/// Creates `paths` in the store at `data` in one write, in a scrambled order (so that
/// barcode order is not walking order); answers each path's barcode, in `paths`' order.
fn create(data: &Path, paths: &[String]) -> Vec<String> {
    let store = Store::open(data, StoreOptions::default()).expect("open the store");
    let n = paths.len();
    // A stride coprime with every length used here visits each path once, out of order.
    let stride = (1..n.max(2)).rev().find(|s| gcd(*s, n) == 1).unwrap_or(1);
    store
        .write(&Actor::new("test"), |tx| {
            for i in 0..n {
                tx.ensure_location(&paths[(i * stride + 3) % n])?;
            }
            Ok(())
        })
        .expect("create the locations");
    paths
        .iter()
        .map(|path| {
            store
                .location_by_path(path)
                .expect("read")
                .unwrap_or_else(|| panic!("{path} exists"))
                .barcode
                .to_string()
        })
        .collect()
}

/// Runs the README's `station location layout --room ROOM --racks RACKS --sides A,B
/// --sections N --shelves M --capacity 40 --mobile` (daemon stopped): answers its line's
/// fields (room, created, existing, shelves, capacities given, retired met).
fn lay_out(data: &Path, room: &str, racks: &str, sections: u32, shelves: u32) -> Vec<String> {
    let output = run(station(data).args([
        "--lang",
        "en",
        "location",
        "layout",
        "--room",
        room,
        "--racks",
        racks,
        "--sides",
        "A,B",
        "--sections",
        &sections.to_string(),
        "--shelves",
        &shelves.to_string(),
        "--capacity",
        "40",
        "--mobile",
    ]));
    assert!(output.status.success(), "layout: {}", stderr(&output));
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .split('\t')
        .map(str::to_owned)
        .collect()
}

/// The barcodes of `paths` (each must exist), in `paths`' order.
fn barcodes_of(data: &Path, paths: &[String]) -> Vec<String> {
    let store = Store::open(data, StoreOptions::default()).expect("open the store");
    paths
        .iter()
        .map(|path| {
            store
                .location_by_path(path)
                .expect("read")
                .unwrap_or_else(|| panic!("{path} exists"))
                .barcode
                .to_string()
        })
        .collect()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Adds a safe `保险柜1` with one drawer under `room`: (safe, drawer) barcodes.
fn add_safe(data: &Path, room: &str) -> (String, String) {
    let store = Store::open(data, StoreOptions::default()).expect("open the store");
    let actor = Actor::new("test");
    let room = store
        .location_by_path(room)
        .expect("read")
        .expect("the room");
    let safe = store
        .add_location(
            &actor,
            &NewLocation {
                kind: LocationKind::Safe,
                name: "保险柜1".to_owned(),
                parent: Some(room.barcode),
                capacity: None,
            },
        )
        .expect("a safe");
    let drawer = store
        .add_location(
            &actor,
            &NewLocation {
                kind: LocationKind::Drawer,
                name: "1号抽屉".to_owned(),
                parent: Some(safe.barcode),
                capacity: None,
            },
        )
        .expect("a drawer");
    (safe.barcode.to_string(), drawer.barcode.to_string())
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A GET whose body is kept as bytes: (status, head, body).
fn get_bytes(addr: SocketAddr, path: &str, token: &str) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read");
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, head, answer[end + 4..].to_vec())
}

fn error_code(body: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("JSON: {body}"));
    value["error"].as_str().unwrap_or_default().to_owned()
}

/// The A4 sheet geometry of `label-templates/shelf-a4.toml`, in mm.
const LEFT: f64 = 7.25;
const TOP: f64 = 12.9;
const PITCH_X: f64 = 66.0;
const PITCH_Y: f64 = 33.9;
const LABEL_W: f64 = 63.5;
const LABEL_H: f64 = 33.9;
const COLUMNS: usize = 3;
const ROWS: usize = 8;

/// Rasterises `pdf` at `dpi`, cuts every label place of every page (page, row, column of
/// `shelf-a4.toml`) into an image of its own and decodes them all with one zbarimg run:
/// answers the decoded values in place order. Each place holds at most one barcode, and
/// the empty places are the last ones (the rest of the last page).
fn decode_sheets(pdf: &Path, dpi: u32) -> Vec<String> {
    let dir = pdf.with_extension("pages");
    fs::create_dir_all(&dir).expect("pages dir");
    let raster = run(std::process::Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-gray"])
        .arg(pdf)
        .arg(dir.join("page")));
    assert!(raster.status.success(), "pdftoppm: {}", stderr(&raster));
    let mut pages: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("read pages")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "pgm"))
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "pdftoppm made no pages");
    let px = |mm: f64| (mm * f64::from(dpi) / 25.4).round() as usize;
    let mut cells = Vec::new();
    for (page_index, page) in pages.iter().enumerate() {
        let (width, height, pixels) = read_pgm(page);
        for row in 0..ROWS {
            for column in 0..COLUMNS {
                let (x0, y0) = (
                    px(LEFT + PITCH_X * column as f64),
                    px(TOP + PITCH_Y * row as f64),
                );
                let (w, h) = (px(LABEL_W).min(width - x0), px(LABEL_H).min(height - y0));
                let mut cell = format!("P5\n{w} {h}\n255\n").into_bytes();
                for y in y0..y0 + h {
                    cell.extend_from_slice(&pixels[y * width + x0..y * width + x0 + w]);
                }
                let path = dir.join(format!("cell-{page_index:03}-{row}-{column}.pgm"));
                fs::write(&path, cell).expect("write a cell");
                cells.push(path);
            }
        }
    }
    let zbar = run(std::process::Command::new("zbarimg")
        .args(["--quiet", "--xml"])
        .args(&cells));
    let xml = String::from_utf8_lossy(&zbar.stdout).into_owned();
    let mut by_cell: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for source in xml.split("<source href='").skip(1) {
        let (href, rest) = source.split_once('\'').expect("a source name");
        let found = rest
            .split("<![CDATA[")
            .skip(1)
            .filter_map(|data| data.split_once("]]>").map(|(data, _)| data.to_owned()))
            .collect();
        by_cell.insert(href.to_owned(), found);
    }
    let mut decoded = Vec::new();
    let mut empty_seen = false;
    for cell in &cells {
        let found = by_cell
            .get(&cell.display().to_string())
            .cloned()
            .unwrap_or_default();
        assert!(found.len() <= 1, "{}: {found:?}", cell.display());
        match found.into_iter().next() {
            Some(value) => {
                assert!(
                    !empty_seen,
                    "{}: a label after an empty place",
                    cell.display()
                );
                decoded.push(value);
            }
            None => empty_seen = true,
        }
    }
    decoded
}

fn pdf_pages(pdf: &Path) -> usize {
    let info = run(std::process::Command::new("pdfinfo").arg(pdf));
    String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a page count")
}

/// Decoding resolution: 150 dpi gives the 0.42 mm bars 2.5 pixels each, enough for zbar.
const DECODE_DPI: u32 = 150;

fn tools() -> bool {
    ["pdftoppm", "zbarimg", "pdfinfo"]
        .iter()
        .all(|tool| std::process::Command::new(tool).arg("-v").output().is_ok())
}

#[test]
fn a_blocks_600_shelf_labels_print_on_a4_sheets_and_each_decodes_back_in_walking_order() {
    if !prerequisite(
        "a_blocks_600_shelf_labels_print_on_a4_sheets_and_each_decodes_back_in_walking_order",
        "pdftoppm, pdfinfo and zbarimg (Debian packages poppler-utils, zbar-tools)",
        tools(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // 12 racks × 2 sides × 5 sections × 5 shelves of 40 boxes, laid out by the one command
    // (README), with the paths import uses. Racks 07–12 are laid out first, so that the
    // shelves' barcodes are not in walking order; the whole block then adds racks 01–06
    // and leaves what exists as it is.
    let first = lay_out(&data, "2号库房", "7-12", 5, 5);
    assert_eq!(first, ["2号库房", "379", "0", "300", "0", "0"]);
    let whole = lay_out(&data, "2号库房", "1-12", 5, 5);
    assert_eq!(whole, ["2号库房", "378", "379", "600", "0", "0"]);
    let paths = block("2号库房", 12, &["A", "B"], 5, 5);
    assert_eq!(paths.len(), 600);
    let expected = barcodes_of(&data, &paths);
    let mut by_barcode = expected.clone();
    by_barcode.sort();
    assert_ne!(by_barcode, expected, "barcode order is not walking order");
    // A room too big for one request (1,008 shelves).
    let big = lay_out(&data, "9号库房", "1-1", 21, 24);
    assert_eq!(big[3], "1008");

    let daemon = Daemon::start(&data);
    let started = Instant::now();
    let (status, head, pdf) = get_bytes(
        daemon.addr,
        &format!("/api/v1/labels/shelves.pdf?under={}", encode("2号库房")),
        &daemon.token,
    );
    let rendered = started.elapsed();
    assert_eq!(status, 200, "{head} {}", String::from_utf8_lossy(&pdf));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/pdf"),
        "{head}"
    );
    let file = dir.path().join("block.pdf");
    fs::write(&file, &pdf).expect("write the PDF");
    assert_eq!(pdf_pages(&file), 25, "600 labels, 24 to an A4 page");
    let started = Instant::now();
    let decoded = decode_sheets(&file, DECODE_DPI);
    eprintln!(
        "600 labels: rendered in {rendered:?}, rasterised and decoded in {:?}",
        started.elapsed()
    );
    assert_eq!(decoded, expected, "every label, in walking order");

    // Bounded, and an unknown place is named as such.
    let (status, _, body) = get_bytes(
        daemon.addr,
        &format!("/api/v1/labels/shelves.pdf?under={}", encode("9号库房")),
        &daemon.token,
    );
    let body = String::from_utf8_lossy(&body);
    assert_eq!(
        (status, error_code(&body)),
        (422, "label.too_many".to_owned()),
        "{body}"
    );
    let (status, _, body) = get_bytes(
        daemon.addr,
        &format!("/api/v1/labels/shelves.pdf?under={}", encode("7号库房")),
        &daemon.token,
    );
    let body = String::from_utf8_lossy(&body);
    assert_eq!(
        (status, error_code(&body)),
        (404, "label.unknown_location".to_owned()),
        "{body}"
    );

    // The CLI while the daemon runs (control socket): one rack, by path.
    let rack = dir.path().join("rack01.pdf");
    let output = run(station(&data)
        .args([
            "label",
            "shelves",
            "--under",
            "2号库房/01列",
            "--sheet",
            "a4",
            "--out",
        ])
        .arg(&rack));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(pdf_pages(&rack), 3, "50 labels");
    assert_eq!(decode_sheets(&rack, DECODE_DPI), expected[..50].to_vec());
    assert!(daemon.terminate().success());

    // The CLI with the daemon stopped: the whole block, and the refusal of too many.
    let whole = dir.path().join("whole.pdf");
    let output = run(station(&data)
        .args(["label", "shelves", "--under", "2号库房", "--out"])
        .arg(&whole));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(decode_sheets(&whole, DECODE_DPI), expected);
    let too_many = dir.path().join("too-many.pdf");
    let output = run(station(&data)
        .args(["label", "shelves", "--under", "9号库房", "--out"])
        .arg(&too_many));
    assert!(!output.status.success());
    assert!(!too_many.exists(), "nothing written when refused");
}

/// A Zebra on loopback: answers `~HS` (ready) and keeps every job's bytes.
fn zebra(listener: TcpListener) -> Arc<Mutex<Vec<u8>>> {
    let received: Arc<Mutex<Vec<u8>>> = Arc::default();
    let keep = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let mut job = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => job.extend_from_slice(&chunk[..n]),
                }
                if job == b"~HS" {
                    let mut reply = Vec::new();
                    firmware_bridge::zpl::PrinterStatus::default().encode(&mut reply);
                    let _ = stream.write_all(&reply);
                    job.clear();
                }
            }
            keep.lock().unwrap_or_else(|p| p.into_inner()).extend(job);
        }
    });
    received
}

/// The location barcodes of the Code 128 fields the printer received, in order.
fn printed_barcodes(received: &Mutex<Vec<u8>>) -> Vec<String> {
    let text =
        String::from_utf8_lossy(&received.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    text.split("^FD>:L>5")
        .skip(1)
        .map(|rest| format!("L{}", rest.get(..10).unwrap_or_default()))
        .collect()
}

#[test]
fn a_rooms_labels_go_to_a_tcp_printer_in_walking_order_and_only_supervisors_get_a_safes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let shelves = block("3号库房", 2, &["A", "B"], 1, 3);
    let shelf_codes = create(&data, &shelves);
    let (safe, drawer) = add_safe(&data, "3号库房");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let received = zebra(listener);
    let config = dir.path().join("station.toml");
    fs::write(
        &config,
        format!(
            "[[printer]]\nname = \"zebra\"\nlanguage = \"zpl\"\ndpi = 203\nconnect = \"tcp://127.0.0.1:{port}\"\n"
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
    let (_, clerk) = person_with_token(&data, "小李", "clerk");

    // A clerk never gets a safe's label, by any route, nor a hint of it under the room.
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/labels/shelves",
        r#"{"under":"3号库房/保险柜1","printer":"zebra"}"#,
        &clerk,
    );
    assert_eq!(status, 403, "{body}");
    let (status, body) = http_get_as(
        daemon.addr,
        &format!("/api/v1/labels/shelves.pdf?under={drawer}"),
        &clerk,
    );
    assert_eq!(status, 403, "{body}");
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/labels",
        &format!(r#"{{"barcodes":["{safe}"],"printer":"zebra"}}"#),
        &clerk,
    );
    assert_eq!(
        status, 403,
        "the item label route keeps the same rule: {body}"
    );
    let (status, _, pdf) = get_bytes(
        daemon.addr,
        &format!("/api/v1/labels/shelves.pdf?under={}", encode("3号库房")),
        &clerk,
    );
    assert_eq!(status, 200);
    let clerks = dir.path().join("clerk.pdf");
    fs::write(&clerks, pdf).expect("write");
    if tools() {
        assert_eq!(
            decode_sheets(&clerks, DECODE_DPI),
            shelf_codes,
            "shelves only"
        );
    }
    assert!(
        printed_barcodes(&received).is_empty(),
        "nothing printed yet"
    );

    // An administrator prints the room: 12 shelves, then the safe and its drawer.
    let mut room = shelf_codes.clone();
    room.push(safe.clone());
    room.push(drawer.clone());
    let (status, body) = daemon.post(
        "/api/v1/labels/shelves",
        r#"{"under":"3号库房","printer":"zebra"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let jobs: Value = serde_json::from_str(&body).expect("jobs");
    assert_eq!(jobs.as_array().map(Vec::len), Some(14), "one job per label");
    wait_until("the room's 14 labels", || {
        printed_barcodes(&received).len() >= 14
    });
    assert_eq!(printed_barcodes(&received), room, "in walking order");

    // The CLI through the control socket: printed before, so only as a reprint.
    let rack = |extra: &[&str]| {
        run(station(&data)
            .arg("--config")
            .arg(&config)
            .args([
                "label",
                "shelves",
                "--under",
                "3号库房/02列",
                "--printer",
                "zebra",
            ])
            .args(extra))
    };
    let refused = rack(&[]);
    assert!(!refused.status.success(), "printed before");
    let reprinted = rack(&["--reprint", "1", "--reason", "标签破损"]);
    assert!(reprinted.status.success(), "{}", stderr(&reprinted));
    wait_until("the rack's 6 labels", || {
        printed_barcodes(&received).len() >= 20
    });
    assert_eq!(printed_barcodes(&received)[14..], shelf_codes[6..12]);
    assert!(daemon.terminate().success());

    // With the daemon stopped the CLI delivers itself: one side.
    let side = run(station(&data).arg("--config").arg(&config).args([
        "label",
        "shelves",
        "--under",
        "3号库房/01列/A面",
        "--printer",
        "zebra",
        "--reprint",
        "1",
        "--reason",
        "补打",
    ]));
    assert!(side.status.success(), "{}", stderr(&side));
    wait_until("the side's 3 labels", || {
        printed_barcodes(&received).len() >= 23
    });
    assert_eq!(printed_barcodes(&received)[20..], shelf_codes[..3]);
}

#[test]
fn the_desk_page_prints_a_racks_shelf_labels_to_a_printer_or_as_a4_sheets() {
    let name = "the_desk_page_prints_a_racks_shelf_labels_to_a_printer_or_as_a4_sheets";
    if !prerequisite(
        name,
        "Chromium and chromedriver (Debian packages chromium, chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    create(&data, &block("2号库房", 2, &["A", "B"], 2, 3));
    let labels = dir.path().join("labels");
    let config = dir.path().join("station.toml");
    fs::write(
        &config,
        format!(
            "[[workstation]]\nname = \"desk-1\"\nprinter = \"labels\"\n\
             [[printer]]\nname = \"labels\"\nlanguage = \"pdf\"\ndpi = 300\nconnect = \"dir://{}\"\n",
            labels.display()
        ),
    )
    .expect("config");
    let daemon = Daemon::start_with(station(&data).arg("--config").arg(&config).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]));
    let shots = {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
        let dir = target.join("screenshots");
        fs::create_dir_all(&dir).expect("screenshot dir");
        dir
    };
    let browser = Browser::start();
    browser.resize(1280, 1000);
    browser.sign_in(&format!("http://{}/desk", daemon.addr), &daemon);
    browser.wait_text("#shelf-labels-card h2", "层位标签");
    browser.wait_script(
        "the workstation's printer and A4 sheets to choose from",
        "return [...document.getElementById('shelves-to').options].map((o) => o.value).join(',');",
        "",
        &Value::String("ws:desk-1,sheet".to_owned()),
    );

    // To the workstation's printer: 12 labels of rack 01 (a folder printer: one PDF).
    browser
        .send_keys("#shelves-under", "2号库房/01列")
        .expect("type");
    browser.click("#shelves-submit").expect("click");
    browser.wait_text("#shelves-status", "12 张层位标签");
    wait_until("the folder printer's file", || {
        fs::read_dir(&labels).is_ok_and(|dir| dir.flatten().count() == 1)
    });
    browser.screenshot(&shots.join("shelf_labels-desk-printer-zh.png"));

    // As A4 sheets: a PDF download of rack 02, in English.
    browser
        .script(
            "document.getElementById('shelves-under').value = arguments[0];",
            "2号库房/02列",
        )
        .expect("set the place");
    browser
        .script(
            "const s = document.getElementById('shelves-to'); s.value = 'sheet'; \
             s.dispatchEvent(new Event('change'));",
            "",
        )
        .expect("choose sheets");
    browser.click("#lang").expect("English");
    browser.click("#shelves-submit").expect("click");
    browser.wait_text("#shelves-status", "shelf-labels.pdf");
    browser.wait_script(
        "the PDF offered as a download",
        "const a = document.getElementById('shelves-link'); \
         return a.getAttribute('download') + ' ' + a.getAttribute('href').startsWith('blob:');",
        "",
        &Value::String("shelf-labels.pdf true".to_owned()),
    );
    assert_eq!(browser.console_errors(), Vec::<String>::new());
    // An unknown place is refused and named (the browser logs the 404 itself).
    browser
        .script(
            "document.getElementById('shelves-under').value = arguments[0];",
            "8号库房",
        )
        .expect("set the place");
    browser.click("#shelves-submit").expect("click");
    browser.wait_text("#shelves-status", "8号库房");
    browser.screenshot(&shots.join("shelf_labels-desk-sheet-en.png"));
    browser.resize(390, 844);
    browser.screenshot(&shots.join("shelf_labels-phone-en.png"));
    let wide = browser
        .script(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            "",
        )
        .expect("width");
    assert_eq!(wide, Value::Bool(true), "nothing wider than the phone");
}
