//! The rack map end to end: a store laid out with known fills (through the station's own
//! store library: rooms, racks and shelf capacities; boxes registered, shelved, one lent
//! and one flagged missing), the real daemon on it, its map API as a clerk and as a
//! supervisor, the fill and category reports, and a real headless Chromium over WebDriver
//! drawing the rack (colours and counts per shelf), locating a searched box, at desk and
//! phone width, in Chinese and English (screenshots under `$CARGO_TARGET_DIR/screenshots`).
//!
//! The page test needs Chromium and chromedriver (Debian packages `chromium`,
//! `chromium-driver`); without them it says it is not run, and fails under CI (`CI=true`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::{json, Value};

use station::barcode::Barcode;
use station::model::{CertificateKind, LocationKind, Role};
use station::store::{Actor, NewBox, NewCertificate, NewLocation, NewPerson, Store, StoreOptions};

mod common;

use common::browser::{parse_rgb, Browser, BACKGROUND_OF};
use common::{http_get_as, person_with_token, prerequisite, Daemon};

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

/// What [`lay_out`] made: shelf barcodes by their path under the rack, and the boxes
/// that matter.
struct Laid {
    shelves: BTreeMap<String, String>,
    rack: String,
    safe: String,
    /// A box standing on `A面/2节/1层`, by archive number.
    found: String,
    /// Its barcode.
    found_barcode: String,
    /// A certificate in the safe.
    in_safe: String,
}

/// Room `2号库房`, rack `01列` (mobile shelving is not set here: fixed), sides A and B,
/// sections 1–2, shelves 1–3 of 10 boxes each; safe `保险柜1` in the room; rack `02列`
/// whose shelf has no capacity. Fills on side A: 1节/1层 0 boxes, 1节/2层 3 (one more on
/// loan), 1节/3层 6, 2节/1层 9, 2节/2层 10, 2节/3层 12 (one flagged missing); 02列's
/// shelf 2 boxes.
fn lay_out(data: &Path) -> Laid {
    let store = Store::open(data, StoreOptions::default()).expect("store");
    let actor = Actor::new("setup");
    let add = |kind, name: &str, parent: Option<Barcode>, capacity| {
        store
            .add_location(
                &actor,
                &NewLocation {
                    kind,
                    name: name.to_owned(),
                    parent,
                    capacity,
                },
            )
            .expect("location")
    };
    let room = add(LocationKind::Room, "2号库房", None, None);
    let rack = add(LocationKind::Rack, "01列", Some(room.barcode), None);
    let safe = add(LocationKind::Safe, "保险柜1", Some(room.barcode), None);
    let mut shelves = BTreeMap::new();
    for side in ["A面", "B面"] {
        let side = add(LocationKind::Side, side, Some(rack.barcode), None);
        for section in ["1节", "2节"] {
            let section = add(LocationKind::Section, section, Some(side.barcode), None);
            for shelf in ["1层", "2层", "3层"] {
                let shelf = add(LocationKind::Shelf, shelf, Some(section.barcode), Some(10));
                let short = shelf.path.trim_start_matches("2号库房/01列/").to_owned();
                shelves.insert(short, shelf.barcode.to_string());
            }
        }
    }
    let mut number = 0;
    let mut boxes_on = |path: &str, count: usize, category: &str| -> Vec<Barcode> {
        let shelf = match shelves.get(path) {
            Some(barcode) => Barcode::parse(barcode).expect("barcode"),
            None => store.ensure_location(&actor, path).expect("shelf").barcode,
        };
        (0..count)
            .map(|_| {
                number += 1;
                let archive_box = store
                    .register_box(
                        &actor,
                        &NewBox {
                            archive_no: Some(format!("2024鸿借字第{number:04}号")),
                            title: format!("卷宗{number}"),
                            customer: format!("客户{number}"),
                            category: category.to_owned(),
                            year: Some(2024),
                            home: Some(shelf),
                            ..NewBox::default()
                        },
                    )
                    .expect("box");
                store
                    .move_item(&actor, archive_box.barcode, shelf)
                    .expect("shelved");
                archive_box.barcode
            })
            .collect()
    };
    let lent = boxes_on("A面/1节/2层", 4, "借款");
    boxes_on("A面/1节/3层", 6, "借款");
    let found = boxes_on("A面/2节/1层", 9, "抵押");
    boxes_on("A面/2节/2层", 10, "抵押");
    let missing = boxes_on("A面/2节/3层", 12, "担保");
    boxes_on("2号库房/02列/A面/1节/1层", 2, "担保");
    // A safe keeps certificates (never a box).
    let in_safe = store
        .register_certificate(
            &actor,
            &NewCertificate {
                kind: CertificateKind::RealEstate,
                number: "粤(2024)第0001号".to_owned(),
                archive_no: "2024-担保-0001".to_owned(),
            },
        )
        .expect("certificate")
        .barcode;
    store
        .move_item(&actor, in_safe, safe.barcode)
        .expect("into the safe");
    let borrower = store
        .add_person(
            &actor,
            &NewPerson {
                name: "陈总".to_owned(),
                role: Role::Clerk,
                borrow_directly: true,
            },
        )
        .expect("borrower");
    let due = NaiveDate::from_ymd_opt(2099, 1, 1).expect("date");
    store
        .open_loan(&actor, lent[0], borrower.barcode, None, due)
        .expect("lent");
    store
        .write(&actor, |tx| tx.flag_missing(missing[0]).map(|_| ()))
        .expect("flagged missing");
    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    let found_barcode = found[4];
    let found = match store.get_item(found_barcode).expect("read") {
        Some(station::model::Item::Box(archive_box)) => archive_box.archive_no,
        other => panic!("{other:?}"),
    };
    Laid {
        shelves,
        rack: rack.barcode.to_string(),
        safe: safe.barcode.to_string(),
        found,
        found_barcode: found_barcode.to_string(),
        in_safe: in_safe.to_string(),
    }
}

fn get(daemon: &Daemon, path: &str, token: &str) -> Value {
    let (status, body) = http_get_as(daemon.addr, path, token);
    assert_eq!(status, 200, "{path}: {body}");
    json_of(&body)
}

#[test]
fn the_map_api_answers_rack_room_and_where_from_the_tallies_and_hides_safes_from_clerks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let laid = lay_out(&data);
    let (_, clerk) = person_with_token(&data, "柜员甲", "clerk");
    let (_, supervisor) = person_with_token(&data, "主管乙", "supervisor");
    let daemon = Daemon::start(&data);

    // The rack as it stands: sides × sections × shelves, each shelf's figures.
    let rack = get(&daemon, &format!("/api/v1/map/racks/{}", laid.rack), &clerk);
    assert_eq!(rack["path"], "2号库房/01列");
    assert_eq!(rack["fill"]["boxes"], 3 + 6 + 9 + 10 + 12, "{rack}");
    assert_eq!(rack["fill"]["capacity"], 120);
    assert_eq!(rack["fill"]["on_loan"], 1);
    assert_eq!(rack["fill"]["missing"], 1);
    let sides: Vec<&str> = rack["sides"]
        .as_array()
        .expect("sides")
        .iter()
        .map(|side| side["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(sides, ["A面", "B面"]);
    let shelf = &rack["sides"][0]["sections"][0]["shelves"][1];
    assert_eq!(shelf["path"], "2号库房/01列/A面/1节/2层");
    assert_eq!(shelf["barcode"], laid.shelves["A面/1节/2层"].as_str());
    assert_eq!(
        shelf["fill"],
        json!({"boxes": 3, "capacity": 10, "percent": 30, "on_loan": 1, "missing": 0})
    );
    assert_eq!(
        rack["sides"][0]["sections"][1]["shelves"][2]["fill"]["missing"],
        1
    );

    // The room overview: every rack, the safe (its figures for supervisors only).
    let overview = get(&daemon, "/api/v1/map", &clerk);
    let room = &overview["rooms"][0];
    assert_eq!(room["name"], "2号库房");
    let racks: Vec<(&str, u64)> = room["racks"]
        .as_array()
        .expect("racks")
        .iter()
        .map(|rack| {
            (
                rack["name"].as_str().unwrap_or_default(),
                rack["fill"]["boxes"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(racks, [("01列", 40), ("02列", 2)]);
    let safe = &room["places"][0];
    assert_eq!(safe["kind"], "safe");
    assert_eq!(safe["barcode"], laid.safe.as_str());
    assert_eq!(
        safe["items"],
        Value::Null,
        "a clerk sees no safe's count: {safe}"
    );
    assert_eq!(safe["fill"]["boxes"], Value::Null);
    assert_eq!(
        room["fill"]["boxes"], 42,
        "a clerk's room total leaves the safe out"
    );
    let overview = get(&daemon, "/api/v1/map", &supervisor);
    let safe = &overview["rooms"][0]["places"][0];
    assert_eq!(safe["items"], 1, "{safe}");
    assert_eq!(overview["rooms"][0]["fill"]["boxes"], 42);

    // Where a box is, in words, with its rack and shelf for the map.
    let found = get(
        &daemon,
        &format!("/api/v1/map/where/{}", laid.found_barcode),
        &clerk,
    );
    let words: Vec<&str> = found["levels"]
        .as_array()
        .expect("levels")
        .iter()
        .map(|level| level["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(words, ["2号库房", "01列", "A面", "2节", "1层"]);
    assert_eq!(found["rack"], laid.rack.as_str());
    assert_eq!(found["shelf"], laid.shelves["A面/2节/1层"].as_str());
    assert_eq!(found["at"], "place");
    // A certificate in the safe: refused to a clerk (as its list of items is), shown to a
    // supervisor.
    let path = format!("/api/v1/map/where/{}", laid.in_safe);
    let (status, body) = http_get_as(daemon.addr, &path, &clerk);
    assert_eq!(status, 403, "{body}");
    assert_eq!(json_of(&body)["error"], "auth.forbidden", "{body}");
    let (status, body) = http_get_as(
        daemon.addr,
        &format!("/api/v1/locations/{}/items", laid.safe),
        &clerk,
    );
    assert_eq!(status, 403, "the same rule on the safe's list: {body}");
    let in_safe = get(&daemon, &path, &supervisor);
    assert_eq!(in_safe["levels"][1]["kind"], "safe");
    // Not a rack: a clear refusal.
    let (status, body) = http_get_as(
        daemon.addr,
        &format!("/api/v1/map/racks/{}", laid.safe),
        &clerk,
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(json_of(&body)["error"], "location.not_a_rack", "{body}");

    // Boxes by category and year, and both reports.
    let categories = get(&daemon, "/api/v1/map/categories", &clerk);
    assert_eq!(
        categories,
        json!([
            {"category": "借款", "year": 2024, "boxes": 10},
            {"category": "抵押", "year": 2024, "boxes": 19},
            {"category": "担保", "year": 2024, "boxes": 14},
        ])
    );
    let (status, csv) = http_get_as(daemon.addr, "/api/v1/reports/fill.csv", &supervisor);
    assert_eq!(status, 200, "{csv}");
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "库房,列,密集架,盒数,容量,使用率%,借出,缺失,条码");
    assert!(lines[1].starts_with("2号库房,,,42,120,35,1,1,"), "{csv}");
    assert!(
        lines[2].starts_with("2号库房,01列,否,40,120,33,1,1,"),
        "{csv}"
    );
    assert!(lines[3].starts_with("2号库房,02列,否,2,0,,0,0,"), "{csv}");
    let (status, csv) = http_get_as(daemon.addr, "/api/v1/reports/categories.csv", &supervisor);
    assert_eq!(status, 200, "{csv}");
    assert!(csv.contains("借款,2024,10"), "{csv}");
    let (status, _) = http_get_as(daemon.addr, "/api/v1/reports/categories.xlsx", &supervisor);
    assert_eq!(status, 200);
    let (status, _) = http_get_as(daemon.addr, "/api/v1/reports/fill.csv", &clerk);
    assert_eq!(status, 403, "reports are for supervisors");
}

/// Where screenshots go.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

const SCROLL_WIDTH: &str = "return document.documentElement.scrollWidth;";

/// The class list and background colour of the shelf cell of `barcode`.
fn cell(browser: &Browser, barcode: &str) -> (String, (u8, u8, u8)) {
    let css = format!("#map-rack .shelf-cell[data-barcode='{barcode}']");
    let classes = browser
        .script(
            "return document.querySelector(arguments[0]).className;",
            &css,
        )
        .expect("classes");
    let background = browser.script(BACKGROUND_OF, &css).expect("colour");
    let rgb = parse_rgb(background.as_str().unwrap_or_default())
        .unwrap_or_else(|| panic!("a colour: {background}"));
    (classes.as_str().unwrap_or_default().to_owned(), rgb)
}

#[test]
fn the_rack_map_colours_shelves_by_fill_and_marks_a_searched_box_at_desk_and_phone_width() {
    let name =
        "the_rack_map_colours_shelves_by_fill_and_marks_a_searched_box_at_desk_and_phone_width";
    if !prerequisite(
        name,
        "Chromium and chromedriver (Debian packages chromium, chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let laid = lay_out(&data);
    let daemon = Daemon::start(&data);
    let shots = screenshot_dir();
    let browser = Browser::start();
    browser.resize(1280, 1000);
    browser.sign_in(&format!("http://{}/supervisor", daemon.addr), &daemon);

    // The first rack is drawn: 2 sides × 2 sections × 3 shelves.
    browser.wait_script(
        "the rack drawn",
        "return document.querySelectorAll('#map-rack .shelf-cell').length;",
        "",
        &json!(12),
    );
    let expected = [
        ("A面/1节/1层", "fill-empty", (0xf7, 0xf7, 0xf8), "0/10"),
        ("A面/1节/2层", "fill-low", (0xc8, 0xe6, 0xc9), "3/10"),
        ("A面/1节/3层", "fill-mid", (0xff, 0xf5, 0x9d), "6/10"),
        ("A面/2节/1层", "fill-high", (0xff, 0xcc, 0x80), "9/10"),
        ("A面/2节/2层", "fill-full", (0xef, 0x9a, 0x9a), "10/10"),
        ("A面/2节/3层", "fill-full", (0xef, 0x9a, 0x9a), "12/10"),
    ];
    for (path, class, colour, count) in expected {
        let barcode = &laid.shelves[path];
        let (classes, rgb) = cell(&browser, barcode);
        assert!(classes.split(' ').any(|c| c == class), "{path}: {classes}");
        assert_eq!(rgb, colour, "{path}");
        let text = browser
            .text(&format!(
                "#map-rack .shelf-cell[data-barcode='{barcode}'] .shelf-count"
            ))
            .expect("count");
        assert_eq!(
            text, count,
            "{path}: the count is written, not only coloured"
        );
    }
    // On loan and missing are written out on their shelves.
    let marks = |path: &str| {
        browser
            .text(&format!(
                "#map-rack .shelf-cell[data-barcode='{}']",
                laid.shelves[path]
            ))
            .expect("cell")
    };
    assert!(
        marks("A面/1节/2层").contains("借出 1"),
        "{}",
        marks("A面/1节/2层")
    );
    assert!(
        marks("A面/2节/3层").contains("缺失 1"),
        "{}",
        marks("A面/2节/3层")
    );
    // Drawn as the rack stands: the top shelf in the first row.
    let first_row = browser
        .script(
            "return document.querySelector('#map-rack .side-grid .shelf-cell').dataset.path;",
            "",
        )
        .expect("first cell");
    assert_eq!(first_row, "2号库房/01列/A面/1节/3层");
    // The room overview: both racks with their fill in words; the shelf 02列 has no
    // capacity.
    browser.wait_text("#map-overview", "02列");
    let overview = browser.text("#map-overview").expect("overview");
    assert!(overview.contains("40/120 盒 · 33%"), "{overview}");
    browser.wait_text("#stats-categories", "抵押");
    browser.screenshot(&shots.join("web_rackmap-desk-zh.png"));

    // A box searched: its shelf marked on the map, its place in words.
    browser
        .send_keys("#search-text", &laid.found)
        .expect("type");
    browser
        .send_keys("#search-text", "\u{E007}")
        .expect("enter");
    let target = &laid.shelves["A面/2节/1层"];
    browser.wait_script(
        "the searched box's shelf marked",
        "return Array.from(document.querySelectorAll('#map-rack .shelf-cell.located')).map(c => c.dataset.barcode);",
        "",
        &json!([target]),
    );
    browser.wait_text("#map-where", "2号库房 → 01列 → A面 → 2节 → 1层");
    let located = browser
        .text(&format!("#map-rack .shelf-cell[data-barcode='{target}']"))
        .expect("cell");
    assert!(located.contains("在此"), "{located}");
    browser.screenshot(&shots.join("web_rackmap-desk-zh-located.png"));

    // A click on a shelf lists it in the shelf view.
    browser
        .click(&format!(
            "#map-rack .shelf-cell[data-barcode='{}']",
            laid.shelves["A面/1节/3层"]
        ))
        .expect("click a shelf");
    browser.wait_text("#shelf-path", "2号库房/01列/A面/1节/3层");
    browser.wait_script(
        "the shelf listed",
        "return document.querySelectorAll('#shelf-items tbody tr').length;",
        "",
        &json!(6),
    );

    // English.
    browser.click("#lang").expect("English");
    browser.wait_text("#map-legend", "under 50%");
    browser.wait_text("#map-overview", "40/120 boxes · 33%");
    assert!(
        marks("A面/2节/3层").contains("1 missing"),
        "{}",
        marks("A面/2节/3层")
    );
    browser.wait_text("#map-where", "2号库房 → 01列 → A面 → 2节 → 1层");
    browser.screenshot(&shots.join("web_rackmap-desk-en.png"));

    // Phone width: the same map, nothing wider than the screen.
    browser.resize(390, 844);
    browser.wait_script("phone width", "return window.innerWidth;", "", &json!(390));
    let width = browser.script(SCROLL_WIDTH, "").expect("width");
    assert!(
        width.as_u64().is_some_and(|w| w <= 390),
        "page width {width}"
    );
    let (classes, rgb) = cell(&browser, &laid.shelves["A面/2节/1层"]);
    assert!(
        classes.contains("fill-high") && classes.contains("located"),
        "{classes}"
    );
    assert_eq!(rgb, (0xff, 0xcc, 0x80));
    browser
        .script("document.getElementById('rackmap').scrollIntoView();", "")
        .expect("scroll");
    browser.screenshot(&shots.join("web_rackmap-phone-en.png"));
    browser.click("#lang").expect("Chinese");
    browser.wait_text("#map-legend", "低于 50%");
    let width = browser.script(SCROLL_WIDTH, "").expect("width");
    assert!(
        width.as_u64().is_some_and(|w| w <= 390),
        "page width {width}"
    );
    browser
        .script("document.getElementById('rackmap').scrollIntoView();", "")
        .expect("scroll");
    browser.screenshot(&shots.join("web_rackmap-phone-zh.png"));
    let errors = browser.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}
