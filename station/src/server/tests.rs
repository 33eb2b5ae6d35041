//! Handler tests: the app called as a service (`app(state).oneshot(request)`), on a real
//! sled store in a temp dir with an injected clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use super::*;

mod contents;
mod notifications;
mod returns;
mod tasks;
use crate::barcode::Barcode;
use crate::model::{HandoverStage, Role};
use crate::server::openapi::endpoints;
use crate::store::{Actor, NewBox, NewPerson, Store};
use crate::store::{Refusal, StoreError};
use crate::workflow::WorkflowConfig;

/// 2026-11-27 09:00 UTC.
const START: i64 = 1_795_770_000_000;
const DAY: i64 = 24 * 3600 * 1000;

/// The kinds of the events in `barcode`'s history, oldest first.
fn kinds(fixture: &Fixture, barcode: Barcode) -> Vec<crate::event::EventKind> {
    fixture
        .store
        .history(barcode)
        .expect("history")
        .iter()
        .map(|event| event.body.kind)
        .collect()
}

struct Fixture {
    _dir: tempfile::TempDir,
    clock: Arc<AtomicI64>,
    state: AppState,
    store: Arc<Store>,
    clerk_token: String,
    supervisor_token: String,
    clerk: Barcode,
    boxes: Vec<Barcode>,
    /// Keeps the device units running (they stop when it turns true or is dropped).
    _stop: Option<tokio::sync::watch::Sender<bool>>,
}

impl Fixture {
    /// Registers a real-estate certificate numbered `number` of the box `archive_no`.
    fn certificate(&self, number: &str, archive_no: &str) -> Barcode {
        self.store
            .register_certificate(
                &Actor::new("test"),
                &crate::store::NewCertificate {
                    kind: crate::model::CertificateKind::RealEstate,
                    number: number.into(),
                    archive_no: archive_no.into(),
                },
            )
            .expect("certificate")
            .barcode
    }
}

async fn fixture() -> Fixture {
    fixture_at(START, crate::clock::TimeZone::utc()).await
}

/// A fixture whose clock starts at `start` and whose business dates are in `zone`.
async fn fixture_at(start: i64, zone: crate::clock::TimeZone) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, clock) = crate::store::open_with_clock_in(dir.path(), start, zone);
    let actor = Actor::new("test");
    let person = |name: &str, role| {
        store
            .add_person(
                &actor,
                &NewPerson {
                    name: name.into(),
                    role,
                    borrow_directly: true,
                },
            )
            .expect("person")
    };
    let clerk = person("张三", Role::Clerk);
    let supervisor = person("王主管", Role::Supervisor);
    let clerk_token = store
        .create_token(&actor, clerk.barcode, "")
        .expect("token")
        .secret;
    let supervisor_token = store
        .create_token(&actor, supervisor.barcode, "")
        .expect("token")
        .secret;
    let boxes = (1..=2)
        .map(|n| {
            store
                .register_box(
                    &actor,
                    &NewBox {
                        archive_no: Some(format!("A-{n}")),
                        title: "借款合同".into(),
                        customer: format!("客户{n}"),
                        ..NewBox::default()
                    },
                )
                .expect("box")
                .barcode
        })
        .collect();
    let engine = Arc::new(crate::workflow::Engine::new(
        store.clone(),
        WorkflowConfig::default(),
    ));
    let state = AppState::new(engine, Arc::default(), vec!["counter".into()]);
    Fixture {
        _dir: dir,
        clock,
        state,
        store,
        clerk_token,
        supervisor_token,
        clerk: clerk.barcode,
        boxes,
        _stop: None,
    }
}

/// A new administrator's token.
fn admin_token(fixture: &Fixture) -> String {
    let actor = Actor::new("test");
    let admin = fixture
        .store
        .add_person(
            &actor,
            &NewPerson {
                name: "管理员".into(),
                role: Role::Admin,
                borrow_directly: false,
            },
        )
        .expect("admin");
    fixture
        .store
        .create_token(&actor, admin.barcode, "")
        .expect("token")
        .secret
}

/// Calls the app; answers the status, the headers and the body.
async fn call_raw(
    fixture: &Fixture,
    token: &str,
    method: &str,
    uri: &str,
    body: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if !token.is_empty() {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request.body(Body::from(body.to_owned())).expect("request");
    let response = app(fixture.state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, headers, bytes.to_vec())
}

/// Calls the app; answers the status and the body as JSON (null when it is not JSON).
async fn call(
    fixture: &Fixture,
    token: &str,
    method: &str,
    uri: &str,
    body: &str,
) -> (StatusCode, serde_json::Value) {
    let (status, _, bytes) = call_raw(fixture, token, method, uri, body).await;
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, json)
}

/// The fixture with printing, a numbering scheme and a device manager set up.
fn with_printing(mut fixture: Fixture) -> Fixture {
    let config = crate::config::Config::parse(
        &format!(
            "data_dir = \"{}\"\n[[scheme]]\nname = \"loan\"\ntemplate = \"{{year}}鸿借字第{{seq:03}}号\"\n",
            fixture._dir.path().join("cfg-data").display()
        ),
        "test",
    )
    .expect("config");
    let config = Arc::new(config);
    let printing = Arc::new(crate::printing::Printing::new(&config));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let manager = Arc::new(crate::devices::DeviceManager::new(
        config.clone(),
        fixture.state.archive.engine().clone(),
        fixture.state.devices.clone(),
        printing.clone(),
        stopped,
    ));
    fixture.state = fixture
        .state
        .clone()
        .with_printing(config, printing)
        .with_device_manager(manager);
    fixture._stop = Some(stop);
    fixture
}

#[tokio::test]
async fn a_boxs_labels_are_in_its_history_and_a_failed_label_says_why_by_code() {
    let fixture = with_printing(fixture().await);
    let clerk = fixture.clerk_token.clone();
    let barcode = fixture.boxes[0];
    let label = format!(r#"{{"barcodes":["{barcode}"]}}"#);
    let (status, jobs) = call(&fixture, &clerk, "POST", "/api/v1/labels", &label).await;
    assert_eq!(status, StatusCode::CREATED, "{jobs}");
    let first = jobs[0]["id"].as_u64().expect("job id");
    let reprint =
        format!(r#"{{"barcodes":["{barcode}"],"reprint_of":{first},"reason":"标签破损"}}"#);
    let (status, jobs) = call(&fixture, &clerk, "POST", "/api/v1/labels", &reprint).await;
    assert_eq!(status, StatusCode::CREATED, "{jobs}");
    let second = jobs[0]["id"].as_u64().expect("job id");
    let (status, jobs) = call(&fixture, &clerk, "POST", "/api/v1/labels", &label).await;
    assert_eq!(status, StatusCode::CREATED, "{jobs}");
    let third = jobs[0]["id"].as_u64().expect("job id");

    // The printer's side, as its worker records it: the first label fails once, then is
    // printed; the second is cut off mid-delivery and delivered again; the third is
    // cancelled.
    let printer = Actor::new("printer:pdf");
    let refused: crate::message::StoredMessage = crate::message!(
        PrinterConnectFailed,
        printer = "pdf",
        transport = "tcp://127.0.0.1:9",
        reason = "connection refused"
    )
    .into();
    fixture
        .store
        .job_delivering(&printer, first)
        .expect("delivering");
    fixture
        .store
        .job_failed(&printer, first, &refused, START + 1_000)
        .expect("failed");
    let (_, queue) = call(&fixture, &clerk, "GET", "/api/v1/labels/queue", "").await;
    let waiting = queue
        .as_array()
        .into_iter()
        .flatten()
        .find(|job| job["id"] == first)
        .expect("the failed label waits");
    assert_eq!(
        waiting["last_error"]["code"], "printer.connect_failed",
        "{waiting}"
    );
    assert!(
        waiting["last_error"]["text"]["zh"]
            .as_str()
            .is_some_and(|zh| zh.starts_with("无法连接打印机") && !zh.contains(" / ")),
        "each language on its own: {waiting}"
    );
    assert!(
        waiting["last_error"]["text"]["en"]
            .as_str()
            .is_some_and(|en| en.starts_with("cannot reach") && en.contains("connection refused")),
        "{waiting}"
    );
    fixture
        .store
        .job_delivering(&printer, first)
        .expect("delivering");
    fixture.store.job_printed(&printer, first).expect("printed");
    fixture
        .store
        .job_delivering(&printer, second)
        .expect("delivering");
    fixture
        .store
        .job_delivering(&printer, second)
        .expect("delivering again");
    fixture
        .store
        .job_printed(&printer, second)
        .expect("printed");
    let cancel = format!("/api/v1/labels/{third}/cancel");
    let (status, answer) = call(&fixture, &clerk, "POST", &cancel, r#"{"reason":"打错了"}"#).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");

    let (status, history) = call(
        &fixture,
        &clerk,
        "GET",
        &format!("/api/v1/items/{barcode}/history"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let events: Vec<&serde_json::Value> = history
        .as_array()
        .into_iter()
        .flatten()
        .filter(|event| {
            event["kind"]
                .as_str()
                .is_some_and(|kind| kind.starts_with("Print"))
        })
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|event| event["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "PrintQueued",
            "PrintQueued",
            "PrintQueued",
            "PrintDelayed",
            "Printed",
            "Printed",
            "PrintCancelled"
        ],
        "{history}"
    );
    let change = |event: &serde_json::Value, field: &str| {
        event["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|change| change["field"] == field)
            .map(|change| change["after"].clone())
    };
    assert_eq!(
        change(events[1], "reprint"),
        Some("标签破损".into()),
        "reprinted, with the reason"
    );
    assert_eq!(
        change(events[3], "job"),
        Some("printer.connect_failed".into())
    );
    assert_eq!(
        change(events[4], "redelivery"),
        None,
        "printed at its second attempt, not re-delivered"
    );
    assert_eq!(
        change(events[5], "redelivery"),
        Some("2".into()),
        "re-delivered: {history}"
    );
    assert_eq!(change(events[6], "job"), Some("打错了".into()));
}

#[tokio::test]
async fn overdue_loans_are_listed_once_their_due_date_has_passed() {
    let fixture = fixture().await;
    let actor = Actor::new("test");
    let due = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    fixture
        .store
        .open_loan(&actor, fixture.boxes[0], fixture.clerk, None, due)
        .expect("loan");
    let uri = format!("/api/v1/items/{}", fixture.boxes[0]);
    let (_, item) = call(&fixture, &fixture.clerk_token, "GET", &uri, "").await;
    assert_eq!(
        (item["holder"].as_str(), item["due"].as_str()),
        (Some("张三"), Some("2026-11-30"))
    );
    let (status, all) = call(&fixture, &fixture.clerk_token, "GET", "/api/v1/loans", "").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all.as_array().map(Vec::len), Some(1));
    assert_eq!(all[0]["borrower_name"], "张三");
    assert_eq!(all[0]["archive_no"], "A-1");
    let (_, overdue) = call(
        &fixture,
        &fixture.clerk_token,
        "GET",
        "/api/v1/loans?overdue=true",
        "",
    )
    .await;
    assert_eq!(overdue.as_array().map(Vec::len), Some(0), "not yet overdue");

    fixture.clock.fetch_add(4 * DAY, Ordering::SeqCst); // 2026-12-01
    let (_, overdue) = call(
        &fixture,
        &fixture.clerk_token,
        "GET",
        "/api/v1/loans?overdue=true",
        "",
    )
    .await;
    assert_eq!(overdue.as_array().map(Vec::len), Some(1), "{overdue}");
    assert_eq!(overdue[0]["overdue"], true);
    let uri = format!("/api/v1/loans?borrower={}", fixture.clerk);
    let (_, mine) = call(&fixture, &fixture.clerk_token, "GET", &uri, "").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
}

/// 2026-12-31 23:59 in Beijing (15:59 UTC).
const BEIJING_23_59: i64 = 1_798_732_740_000; // checked: 2026-12-31T15:59:00Z
/// 2027-01-01 00:01 in Beijing (2026-12-31 16:01 UTC).
const BEIJING_00_01: i64 = BEIJING_23_59 + 2 * 60_000;

#[tokio::test]
async fn a_loan_due_on_31_december_is_overdue_from_00_01_local_time() {
    let zone = crate::clock::TimeZone::named("Asia/Shanghai").expect("a known zone");
    let fixture = fixture_at(BEIJING_23_59, zone).await;
    let due = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
    fixture
        .store
        .open_loan(
            &Actor::new("test"),
            fixture.boxes[0],
            fixture.clerk,
            None,
            due,
        )
        .expect("loan");
    start_handover(&fixture, &fixture.boxes[1..], due);
    async fn overdue(fixture: &Fixture) -> (serde_json::Value, Option<usize>) {
        let token = &fixture.clerk_token;
        let (status, all) = call(fixture, token, "GET", "/api/v1/loans", "").await;
        assert_eq!(status, StatusCode::OK, "{all}");
        let (_, only) = call(fixture, token, "GET", "/api/v1/loans?overdue=true", "").await;
        (all[0]["overdue"].clone(), only.as_array().map(Vec::len))
    }
    assert_eq!(overdue(&fixture).await, (serde_json::json!(false), Some(0)));
    assert_eq!(handover_state(&fixture).await, "warning");
    fixture.clock.store(BEIJING_00_01, Ordering::SeqCst);
    assert_eq!(overdue(&fixture).await, (serde_json::json!(true), Some(1)));
    assert_eq!(handover_state(&fixture).await, "overdue");
}

#[tokio::test]
async fn a_600_box_shelf_lists_in_pages_with_no_box_lost_or_repeated() {
    let fixture = fixture().await;
    let actor = Actor::new("test");
    let shelf = fixture
        .store
        .ensure_location(&actor, "2号库房/01列/A面/1节/1层")
        .expect("shelf")
        .barcode;
    let mut expected: Vec<String> = fixture
        .store
        .write(&actor, |tx| {
            let mut placed = Vec::new();
            for n in 0..600 {
                let archive_box = tx.register_box(&NewBox {
                    archive_no: Some(format!("S-{n:03}")),
                    title: "卷宗".into(),
                    customer: format!("客户{n}"),
                    ..NewBox::default()
                })?;
                tx.move_item(archive_box.barcode, shelf)?;
                placed.push(archive_box.barcode.to_string());
            }
            Ok(placed)
        })
        .expect("600 boxes");
    expected.sort();
    let token = fixture.clerk_token.clone();
    let uri = format!("/api/v1/locations/{shelf}/items?limit=600");
    let (status, _, body) = call_raw(&fixture, &token, "GET", &uri, "").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&body)
    );

    let mut seen = Vec::new();
    let mut pages = 0;
    let mut after: Option<String> = None;
    loop {
        let uri = match &after {
            Some(after) => format!("/api/v1/locations/{shelf}/items?after={after}"),
            None => format!("/api/v1/locations/{shelf}/items"),
        };
        let (status, headers, body) = call_raw(&fixture, &token, "GET", &uri, "").await;
        assert_eq!(status, StatusCode::OK);
        let page: serde_json::Value = serde_json::from_slice(&body).expect("json");
        pages += 1;
        seen.extend(
            page.as_array()
                .into_iter()
                .flatten()
                .map(|item| item["barcode"].as_str().unwrap_or_default().to_owned()),
        );
        match headers.get("x-next-after") {
            Some(next) => after = Some(next.to_str().expect("ascii").to_owned()),
            None => break,
        }
        assert!(pages < 10, "no end of pages");
    }
    assert_eq!(pages, 2, "500 and 100");
    assert_eq!(seen, expected, "every box once, in barcode order");
}

/// The location `barcode` in `GET /api/v1/locations` as the owner of `token` sees it.
async fn listed_location(fixture: &Fixture, token: &str, barcode: Barcode) -> serde_json::Value {
    let (status, list) = call(fixture, token, "GET", "/api/v1/locations?limit=500", "").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .into_iter()
        .flatten()
        .find(|location| location["barcode"] == barcode.to_string())
        .cloned()
        .unwrap_or_else(|| panic!("{barcode} listed: {list}"))
}

#[tokio::test]
async fn a_clerk_gets_no_safes_figures_on_any_route_that_gives_them_to_a_supervisor() {
    let fixture = fixture().await;
    let actor = Actor::new("test");
    let shelf = fixture
        .store
        .ensure_location(&actor, "1号库房/05列/A面/3节/4层")
        .expect("shelf");
    let room = fixture
        .store
        .location_by_path("1号库房")
        .expect("read")
        .expect("the room");
    let add = |kind, name: &str, parent: Barcode| {
        fixture
            .store
            .add_location(
                &actor,
                &crate::store::NewLocation {
                    kind,
                    name: name.into(),
                    parent: Some(parent),
                    capacity: Some(5),
                },
            )
            .expect("location")
    };
    let safe = add(crate::model::LocationKind::Safe, "保险柜1", room.barcode);
    let drawer = add(crate::model::LocationKind::Drawer, "1号抽屉", safe.barcode);
    // A certificate in the safe, another in its drawer, one box on the shelf (a safe
    // keeps no box).
    let in_safe = fixture.certificate("粤(2024)第0008号", "A-2");
    fixture
        .store
        .move_item(&actor, in_safe, safe.barcode)
        .expect("into the safe");
    let certificate = fixture.certificate("粤(2024)第0009号", "A-1");
    fixture
        .store
        .move_item(&actor, certificate, drawer.barcode)
        .expect("into the drawer");
    fixture
        .store
        .move_item(&actor, fixture.boxes[1], shelf.barcode)
        .expect("on the shelf");
    let supervisor = fixture.supervisor_token.clone();
    let clerk = fixture.clerk_token.clone();

    // The location list: the counts of the safe and its drawer for the supervisor only;
    // the shelf's for both.
    for (token, sees) in [(&supervisor, true), (&clerk, false)] {
        let listed = listed_location(&fixture, token, safe.barcode).await;
        let expected = if sees {
            serde_json::json!(1)
        } else {
            serde_json::json!(null)
        };
        assert_eq!(listed["items"], expected, "safe, sees {sees}: {listed}");
        let listed = listed_location(&fixture, token, drawer.barcode).await;
        assert_eq!(listed["items"], expected, "drawer, sees {sees}: {listed}");
        let listed = listed_location(&fixture, token, shelf.barcode).await;
        assert_eq!(listed["items"], 1, "shelf: {listed}");
    }

    // The room overview: the safe's figures, and the room's total with the safe in it.
    let safe_in = |overview: &serde_json::Value| {
        overview["rooms"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|room| room["places"].as_array().cloned().unwrap_or_default())
            .find(|place| place["barcode"] == safe.barcode.to_string())
            .unwrap_or_else(|| panic!("the safe on the map: {overview}"))
    };
    let (status, overview) = call(&fixture, &supervisor, "GET", "/api/v1/map", "").await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    let place = safe_in(&overview);
    assert_eq!(place["items"], 1, "{place}");
    assert_eq!(
        place["fill"]["boxes"], 0,
        "boxes (not certificates): {place}"
    );
    assert_eq!(
        place["fill"]["capacity"], 10,
        "the safe's and its drawer's: {place}"
    );
    assert_eq!(overview["rooms"][0]["fill"]["boxes"], 1, "{overview}");
    let (status, overview) = call(&fixture, &clerk, "GET", "/api/v1/map", "").await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    let place = safe_in(&overview);
    assert_eq!(place["items"], serde_json::json!(null), "{place}");
    assert_eq!(
        place["fill"],
        serde_json::json!({"boxes": null, "capacity": 0, "percent": null, "on_loan": null, "missing": null}),
        "{place}"
    );
    assert_eq!(
        overview["rooms"][0]["fill"]["boxes"], 1,
        "the clerk's room total: {overview}"
    );

    // Where a certificate in the safe is, and what stands in the safe and its drawer.
    let where_uri = format!("/api/v1/map/where/{in_safe}");
    let (status, found) = call(&fixture, &supervisor, "GET", &where_uri, "").await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["levels"][1]["kind"], "safe", "{found}");
    let (status, found) = call(&fixture, &clerk, "GET", &where_uri, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{found}");
    assert_eq!(found["error"], "auth.forbidden", "{found}");
    assert!(found.get("levels").is_none(), "{found}");
    for (place, count) in [(safe.barcode, 1), (drawer.barcode, 1)] {
        let uri = format!("/api/v1/locations/{place}/items");
        let (status, items) = call(&fixture, &supervisor, "GET", &uri, "").await;
        assert_eq!(status, StatusCode::OK, "{items}");
        assert_eq!(items.as_array().map(Vec::len), Some(count), "{items}");
        let (status, items) = call(&fixture, &clerk, "GET", &uri, "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{items}");
        assert_eq!(items["error"], "auth.forbidden", "{items}");
    }

    // The fill report (supervisors only).
    let (status, _, csv) =
        call_raw(&fixture, &supervisor, "GET", "/api/v1/reports/fill.csv", "").await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).expect("UTF-8");
    let room_row: Vec<&str> = csv
        .lines()
        .find(|line| line.trim_start_matches('\u{feff}').starts_with("1号库房,,"))
        .unwrap_or_else(|| panic!("the room's row: {csv}"))
        .split(',')
        .collect();
    assert_eq!(room_row.get(3), Some(&"1"), "{csv}");
    let (status, body) = call(&fixture, &clerk, "GET", "/api/v1/reports/fill.csv", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // Defining the room (supervisors): the safe as it is, with its count.
    let (status, defined) = call(
        &fixture,
        &supervisor,
        "POST",
        "/api/v1/locations/add",
        r#"{"kind":"safe","name":"保险柜1","parent":"1号库房"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{defined}");
    assert_eq!(defined["created"], false, "{defined}");
    assert_eq!(defined["location"]["items"], 1, "{defined}");

    // A stock-take of the safe through scans (it would say its count, then its contents):
    // refused to the clerk, begun for the supervisor.
    let audit = crate::workflow::CommandCard::Audit.barcode().to_string();
    let safe_code = safe.barcode.to_string();
    for (token, code) in [
        (&clerk, "audit.safe_needs_supervisor"),
        (&supervisor, "audit.started"),
    ] {
        let mut last = serde_json::Value::Null;
        for data in [&audit, &safe_code] {
            let body = format!(r#"{{"workstation":"counter","data":"{data}"}}"#);
            let (status, result) = call(&fixture, token, "POST", "/api/v1/scans", &body).await;
            assert_eq!(status, StatusCode::OK, "{result}");
            last = result;
        }
        assert_eq!(last["code"], code, "{last}");
        let expected = if code == "audit.started" {
            serde_json::json!(1)
        } else {
            serde_json::json!(null)
        };
        assert_eq!(last["context"]["audit"]["expected"], expected, "{last}");
    }
}

#[tokio::test]
async fn every_list_route_says_when_there_is_more() {
    let fixture = fixture().await;
    let admin = admin_token(&fixture);
    let actor = Actor::new("test");
    let due = chrono::NaiveDate::from_ymd_opt(2026, 12, 30).expect("date");
    for archive_box in &fixture.boxes {
        fixture
            .store
            .open_loan(&actor, *archive_box, fixture.clerk, None, due)
            .expect("loan");
    }
    start_handover(&fixture, &fixture.boxes[..1], due);
    start_handover(&fixture, &fixture.boxes[1..], due);
    fixture
        .store
        .ensure_location(&actor, "1号库房/05列/A面/3节/4层")
        .expect("location");
    let history = format!("/api/v1/items/{}/history", fixture.boxes[0]);
    for list in [
        "/api/v1/loans",
        "/api/v1/handovers",
        "/api/v1/people",
        "/api/v1/locations",
        history.as_str(),
    ] {
        let mut seen = Vec::new();
        let mut uri = format!("{list}?limit=1");
        loop {
            let (status, headers, body) = call_raw(&fixture, &admin, "GET", &uri, "").await;
            let text = String::from_utf8_lossy(&body).into_owned();
            assert_eq!(status, StatusCode::OK, "{uri}: {text}");
            let page: serde_json::Value = serde_json::from_str(&text).expect("json");
            assert_eq!(page.as_array().map(Vec::len), Some(1), "{uri}: {text}");
            seen.push(page[0].to_string());
            match headers.get("x-next-after") {
                Some(next) => {
                    let next = next.to_str().expect("ascii");
                    uri = format!("{list}?limit=1&after={}", encode_query(next));
                }
                None => break,
            }
        }
        let (_, all) = call(&fixture, &admin, "GET", list, "").await;
        let all: Vec<String> = all
            .as_array()
            .into_iter()
            .flatten()
            .map(ToString::to_string)
            .collect();
        assert!(all.len() >= 2, "{list}: more than one to page through");
        assert_eq!(seen, all, "{list}: the pages of one make up the whole list");
    }
}

/// Percent-encodes a query value.
fn encode_query(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_document_lists_what_the_station_answers_and_what_it_refuses() {
    let document = crate::server::openapi::openapi();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let responses = &operation["responses"];
            // A time limit or a busy station can answer any route.
            assert!(responses.get("503").is_some(), "{method} {path}");
            // A rule can refuse any change, a body or not (removing a configured device).
            if method == "post" {
                assert!(responses.get("422").is_some(), "{method} {path}");
            }
        }
    }
    let parameter = |path: &str, name: &str| {
        document["paths"][path]["get"]["parameters"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["name"] == name).cloned())
            .unwrap_or_default()
    };
    let limit = parameter("/api/v1/boxes", "limit");
    assert_eq!(
        (&limit["schema"]["minimum"], &limit["schema"]["maximum"]),
        (&1.into(), &500.into())
    );
    assert_eq!(
        parameter("/api/v1/boxes", "customer")["schema"]["minLength"],
        1
    );
    let barcode = parameter("/api/v1/items/{barcode}", "barcode");
    assert_eq!(
        barcode["schema"]["pattern"],
        crate::server::error::BARCODE_PATTERN
    );
    let register = &document["paths"]["/api/v1/boxes/register"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"]["properties"];
    assert_eq!(register["title"]["minLength"], 1);
    let device = document["paths"]["/api/v1/devices/add"]["post"]["requestBody"].to_string();
    assert!(device.contains("^(tcp|serial|cups|dir)://."), "{device}");

    // JSON Schema's integer: 2012.0 is one, and the station takes it as 2012.
    let fixture = fixture().await;
    let (status, registered) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        "/api/v1/boxes/register",
        r#"{"title":"借款合同","customer":"鸿达贸易","archive_no":"F-1","year":2012.0}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert_eq!(registered["year"], 2012, "{registered}");
    let (status, refused) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        "/api/v1/boxes/register",
        r#"{"title":"借款合同","customer":"鸿达贸易","archive_no":"F-2","year":2012.5}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"], "request.invalid_value", "{refused}");
    let said = refused["message"]["en"].as_str().unwrap_or_default();
    assert!(said.contains("year"), "the field is named: {refused}");
}

/// Starts a handover of `boxes` from the clerk to the clerk, due on `deadline`; answers
/// its number.
fn start_handover(fixture: &Fixture, boxes: &[Barcode], deadline: chrono::NaiveDate) -> u64 {
    fixture
        .store
        .write(&Actor::new("test"), |tx| {
            tx.start_handover(
                HandoverStage::OfficerToOfficer,
                fixture.clerk,
                fixture.clerk,
                boxes,
                &[],
                deadline,
            )
        })
        .expect("handover")
        .id
}

async fn handover_state(fixture: &Fixture) -> String {
    let (_, list) = call(
        fixture,
        &fixture.supervisor_token,
        "GET",
        "/api/v1/handovers",
        "",
    )
    .await;
    list[0]["state"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn handovers_show_normal_warning_and_overdue() {
    let fixture = fixture().await;
    let deadline = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    start_handover(&fixture, &fixture.boxes, deadline);
    assert_eq!(handover_state(&fixture).await, "normal");
    fixture.clock.store(START + 3 * DAY, Ordering::SeqCst); // the deadline day
    assert_eq!(handover_state(&fixture).await, "warning");
    fixture.clock.store(START + 4 * DAY, Ordering::SeqCst);
    assert_eq!(handover_state(&fixture).await, "overdue");
}

#[tokio::test]
async fn a_late_handover_is_extended_only_by_a_supervisor_with_a_reason_and_its_state_follows() {
    let fixture = fixture().await;
    let deadline = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    start_handover(&fixture, &fixture.boxes, deadline);
    fixture.clock.store(START + 4 * DAY, Ordering::SeqCst);
    assert_eq!(handover_state(&fixture).await, "overdue");
    let (_, list) = call(
        &fixture,
        &fixture.supervisor_token,
        "GET",
        "/api/v1/handovers",
        "",
    )
    .await;
    let id = list[0]["id"].as_u64().expect("id");
    let path = format!("/api/v1/handovers/{id}/extend");
    let head = fixture.store.head().0;
    let body = r#"{"until":"2026-12-10","reason":"B 出差，回来后补签"}"#;
    let (status, _) = call(&fixture, &fixture.clerk_token, "POST", &path, body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (body, code) in [
        (
            r#"{"until":"2026-12-10","reason":" "}"#,
            "handover.extension_reason",
        ),
        (
            r#"{"until":"2026-11-30","reason":"补签"}"#,
            "handover.extension_not_later",
        ),
    ] {
        let (status, answer) = call(&fixture, &fixture.supervisor_token, "POST", &path, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"], code);
    }
    assert_eq!(handover_state(&fixture).await, "overdue", "nothing changed");
    let (status, extended) = call(&fixture, &fixture.supervisor_token, "POST", &path, body).await;
    assert_eq!(status, StatusCode::OK, "{extended}");
    assert_eq!(extended["state"], "normal");
    assert_eq!(extended["extensions"][0]["from"], "2026-11-30");
    assert_eq!(extended["extensions"][0]["reason"], "B 出差，回来后补签");
    assert_eq!(handover_state(&fixture).await, "normal");
    // The denied clerk's attempt is recorded in the background: count only our event.
    let events = fixture.store.events(head + 1, 100).expect("events");
    assert_eq!(
        events
            .iter()
            .filter(|event| event.body.kind == crate::event::EventKind::HandoverExtended)
            .count(),
        1
    );
}

/// Whether `text` has a Chinese, Japanese or Korean character or full-width punctuation.
fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
    })
}

#[tokio::test]
async fn bad_requests_get_a_clear_4xx_in_one_shape_with_a_code() {
    let fixture = fixture().await;
    let token = fixture.clerk_token.clone();
    let huge = format!(
        r#"{{"workstation":"counter","data":"{}"}}"#,
        "B".repeat(100_000)
    );
    for (method, uri, body, expected, code) in [
        (
            "POST",
            "/api/v1/scans",
            "{not json",
            StatusCode::BAD_REQUEST,
            "request.malformed_json",
        ),
        (
            "POST",
            "/api/v1/scans",
            r#"{"workstation":"counter","data":"x","extra":1}"#,
            StatusCode::BAD_REQUEST,
            "request.unknown_field",
        ),
        (
            "POST",
            "/api/v1/scans",
            r#"{"workstation":"counter"}"#,
            StatusCode::BAD_REQUEST,
            "request.missing_field",
        ),
        (
            "POST",
            "/api/v1/scans",
            r#"{"workstation":"counter","data":7}"#,
            StatusCode::BAD_REQUEST,
            "request.invalid_value",
        ),
        (
            "POST",
            "/api/v1/scans",
            r#"{"workstation":"nowhere","data":"x"}"#,
            StatusCode::NOT_FOUND,
            "scan.unknown_workstation",
        ),
        (
            "GET",
            "/api/v1/boxes?limit=100000&customer=a",
            "",
            StatusCode::BAD_REQUEST,
            "request.bad_limit",
        ),
        (
            "GET",
            "/api/v1/boxes?limit=99999999999999999999&customer=a",
            "",
            StatusCode::BAD_REQUEST,
            "request.bad_query",
        ),
        (
            "GET",
            "/api/v1/boxes?limit=ten&customer=a",
            "",
            StatusCode::BAD_REQUEST,
            "request.bad_query",
        ),
        (
            "GET",
            "/api/v1/items/B0000000019",
            "",
            StatusCode::BAD_REQUEST,
            "barcode.bad_check_digit",
        ),
        (
            "GET",
            "/api/v1/items/..%2F..%2Fetc%2Fpasswd",
            "",
            StatusCode::BAD_REQUEST,
            "barcode.unknown_prefix",
        ),
        (
            "GET",
            "/api/v1/items/%FF%FE",
            "",
            StatusCode::BAD_REQUEST,
            "request.bad_path",
        ),
        (
            "GET",
            "/api/v1/labels/7/cancel",
            "",
            StatusCode::METHOD_NOT_ALLOWED,
            "request.method_not_allowed",
        ),
        (
            "DELETE",
            "/api/v1/scans",
            "",
            StatusCode::METHOD_NOT_ALLOWED,
            "request.method_not_allowed",
        ),
        (
            "GET",
            "/../../etc/passwd",
            "",
            StatusCode::NOT_FOUND,
            "request.no_route",
        ),
        (
            "GET",
            "/api/v1/nothing-here",
            "",
            StatusCode::NOT_FOUND,
            "request.no_route",
        ),
        (
            "POST",
            "/api/v1/scans",
            &huge,
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.too_large",
        ),
    ] {
        let (status, body) = call(&fixture, &token, method, uri, body).await;
        assert_eq!(status, expected, "{method} {uri}: {body}");
        assert_eq!(body["error"], code, "{method} {uri}: {body}");
        let (Some(zh), Some(en)) = (
            body["message"]["zh"].as_str(),
            body["message"]["en"].as_str(),
        ) else {
            panic!("{method} {uri}: no message in both languages: {body}");
        };
        assert!(
            has_cjk(zh),
            "{method} {uri}: the Chinese half is not Chinese: {body}"
        );
        assert!(
            !has_cjk(en),
            "{method} {uri}: the English half has Chinese: {body}"
        );
    }
}

#[tokio::test]
async fn a_denial_and_a_missing_token_answer_each_language_in_its_own_half() {
    let fixture = fixture().await;
    let (status, body) = call(&fixture, "", "GET", "/api/v1/devices", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "auth.missing_token", "{body}");
    let (status, body) = call(&fixture, "not-a-token", "GET", "/api/v1/devices", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "auth.invalid_token", "{body}");
    let token = fixture.clerk_token.clone();
    let (status, body) = call(&fixture, &token, "GET", "/api/v1/reports/ledger.csv", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "auth.forbidden", "{body}");
    let en = body["message"]["en"].as_str().unwrap_or("");
    let zh = body["message"]["zh"].as_str().unwrap_or("");
    assert!(!has_cjk(en), "no Chinese in the English half: {body}");
    assert!(
        has_cjk(zh) && !zh.chars().any(|c| c.is_ascii_alphabetic()),
        "the Chinese half has the role and action in Chinese only: {body}"
    );
}

#[tokio::test]
async fn metrics_count_scans_by_outcome_and_durable_writes() {
    let fixture = fixture().await;
    let token = fixture.clerk_token.clone();
    call(
        &fixture,
        &token,
        "POST",
        "/api/v1/scans",
        r#"{"workstation":"counter","data":"K0000000023"}"#,
    )
    .await;
    call(
        &fixture,
        &token,
        "POST",
        "/api/v1/scans",
        r#"{"workstation":"counter","data":"garbage"}"#,
    )
    .await;
    let mut text = String::new();
    for _ in 0..100 {
        let response = app(fixture.state.clone())
            .oneshot(
                Request::builder()
                    .uri("/metrics")
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        text = String::from_utf8_lossy(&bytes).into_owned();
        // The counters are fed by the result stream: wait for both results to arrive.
        if text.contains("station_scans_total{outcome=\"error\"} 1") {
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        text.contains("station_scans_total{outcome=\"ok\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("station_scans_total{outcome=\"error\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("station_durable_write_seconds_count"),
        "{text}"
    );
    assert!(text.contains("station_print_jobs_pending 0"), "{text}");
    let unauthenticated = app(fixture.state.clone())
        .oneshot(
            Request::builder()
                .uri("/metrics")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_the_server_answers() {
    let fixture = fixture().await;
    let token = fixture.supervisor_token.clone();
    let (status, document) = call(&fixture, &token, "GET", "/api/v1/openapi.json", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().expect("paths");
    let documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, methods)| {
            methods
                .as_object()
                .into_iter()
                .flatten()
                .map(move |(method, _)| (method.clone(), path.clone()))
        })
        .collect();
    assert_eq!(documented.len(), endpoints().len());
    let sample = fixture.boxes[0].to_string();
    for (method, path) in &documented {
        let uri = path
            .replace("{barcode}", &sample)
            .replace("{file}", "ledger.csv")
            .replace("{id}", "999")
            .replace("{name}", "nothing");
        let body = if method == "post" { "{}" } else { "" };
        if path == "/api/v1/live" {
            continue; // a stream that never ends; its route is tested end to end
        }
        let (status, answer) = call(&fixture, &token, &method.to_uppercase(), &uri, body).await;
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_ne!(
            answer["error"], "request.no_route",
            "{method} {path} is documented but not served"
        );
        // The other method on the same path is not served (unless documented too).
        let other = if method == "get" { "POST" } else { "GET" };
        if documented.contains(&(other.to_lowercase(), path.clone())) {
            continue;
        }
        let (status, _) = call(&fixture, &token, other, &uri, body).await;
        assert_eq!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{other} {path} is served but not documented"
        );
    }
}

#[tokio::test]
async fn reports_export_the_ledger_and_loans_as_csv_and_xlsx_for_supervisors() {
    let fixture = fixture().await;
    let supervisor = fixture.supervisor_token.clone();
    let (status, _, bytes) = call_raw(
        &fixture,
        &supervisor,
        "GET",
        "/api/v1/reports/ledger.csv",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.starts_with('\u{feff}') && text.contains("档案号,题名"),
        "{text}"
    );
    assert!(
        text.contains("A-1,借款合同,客户1") && text.contains("A-2,借款合同,客户2"),
        "{text}"
    );

    let (status, _, bytes) = call_raw(
        &fixture,
        &supervisor,
        "GET",
        "/api/v1/reports/loans.xlsx",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"PK\x03\x04"), "an XLSX is a zip file");

    let clerk = fixture.clerk_token.clone();
    let (status, _, _) = call_raw(&fixture, &clerk, "GET", "/api/v1/reports/ledger.xlsx", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "reports are for supervisors");
}

#[tokio::test]
async fn the_certificate_ledger_is_for_supervisors_and_the_box_ledger_counts_certificates() {
    let fixture = fixture().await;
    let certificate = fixture.certificate("粤(2024)第0001号", "A-1");
    let due = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    start_handover(&fixture, &[certificate], due);
    let supervisor = fixture.supervisor_token.clone();
    let (status, ledger) = call(
        &fixture,
        &supervisor,
        "GET",
        "/api/v1/certificates/ledger",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ledger}");
    let row = &ledger[0];
    assert_eq!(row["name"], "不动产权证");
    assert_eq!(row["number"], "粤(2024)第0001号");
    assert_eq!(row["archive_no"], "A-1");
    assert_eq!(row["holder"], "张三");
    assert_eq!(row["handovers"][0]["started"], "2026-11-27");
    let (status, _, bytes) = call_raw(
        &fixture,
        &supervisor,
        "GET",
        "/api/v1/reports/certificates.csv",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("权证名称,权证号,档案号"), "{text}");
    assert!(text.contains("不动产权证,粤(2024)第0001号,A-1"), "{text}");
    let (status, _, bytes) = call_raw(
        &fixture,
        &supervisor,
        "GET",
        "/api/v1/reports/certificates.xlsx",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"PK\x03\x04"));
    // The box ledger says how many certificates each box's project has.
    let (_, _, bytes) = call_raw(
        &fixture,
        &supervisor,
        "GET",
        "/api/v1/reports/ledger.csv",
        "",
    )
    .await;
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    // Before the barcode, which stays the last column.
    assert!(lines[0].ends_with(",位置,合同到期日,权证数,条码"), "{text}");
    let count_of = |archive_no: &str| {
        lines
            .iter()
            .find(|line| line.starts_with(&format!("{archive_no},")))
            .and_then(|line| line.rsplit(',').nth(1))
            .map(str::to_owned)
    };
    assert_eq!(count_of("A-1").as_deref(), Some("1"), "{text}");
    assert_eq!(count_of("A-2").as_deref(), Some("0"), "{text}");
    // Clerks never see certificate details, on any path.
    let clerk = fixture.clerk_token.clone();
    for path in [
        "/api/v1/certificates/ledger",
        "/api/v1/reports/certificates.csv",
        "/api/v1/reports/certificates.xlsx",
    ] {
        let (status, _, _) = call_raw(&fixture, &clerk, "GET", path, "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn registering_editing_printing_and_people_through_the_api() {
    let fixture = with_printing(fixture().await);
    let clerk = fixture.clerk_token.clone();

    let (status, body) = call(
        &fixture,
        &clerk,
        "POST",
        "/api/v1/boxes/register",
        r#"{"title":"借款合同","customer":"鸿达贸易","scheme":"loan","year":2012,"home":"1号库房/05列/A面/3节/4层","print_at":"counter"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["archive_no"], "2012鸿借字第001号");
    assert_eq!(body["home"]["path"], "1号库房/05列/A面/3节/4层");
    assert_eq!(
        body["label_jobs"].as_array().map(Vec::len),
        Some(1),
        "{body}"
    );
    let barcode = body["barcode"].as_str().expect("barcode").to_owned();

    let (_, queue) = call(&fixture, &clerk, "GET", "/api/v1/labels/queue", "").await;
    assert_eq!(queue[0]["subject"], barcode.as_str(), "{queue}");

    let (status, body) = call(
        &fixture,
        &clerk,
        "POST",
        &format!("/api/v1/boxes/{barcode}/edit"),
        r#"{"customer":"鸿达集团","retention":"永久"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["customer"].as_str(), body["retention"].as_str()),
        (Some("鸿达集团"), Some("永久"))
    );
    let (_, history) = call(
        &fixture,
        &clerk,
        "GET",
        &format!("/api/v1/items/{barcode}/history"),
        "",
    )
    .await;
    assert!(history.to_string().contains("Edited"), "{history}");

    let (status, body) = call(
        &fixture,
        &clerk,
        "POST",
        "/api/v1/labels",
        &format!(r#"{{"barcodes":["{barcode}"],"reprint_of":1}}"#),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reprint needs a reason: {body}"
    );
    let (status, body) = call(
        &fixture,
        &clerk,
        "POST",
        "/api/v1/labels",
        &format!(r#"{{"barcodes":["{barcode}"],"reprint_of":1,"reason":"标签破损"}}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let person = r#"{"name":"新同事","role":"clerk"}"#;
    let (status, body) = call(&fixture, &clerk, "POST", "/api/v1/people/add", person).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only admins manage people: {body}"
    );
    let (status, _) = call(
        &fixture,
        &fixture.supervisor_token,
        "POST",
        "/api/v1/people/add",
        person,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, people) = call(&fixture, &clerk, "GET", "/api/v1/people", "").await;
    assert_eq!(people.as_array().map(Vec::len), Some(2));
    let (_, schemes) = call(&fixture, &clerk, "GET", "/api/v1/schemes", "").await;
    assert_eq!(schemes[0]["name"], "loan");
}

/// Each role against each endpoint: refused (403) exactly when the role is below what the
/// OpenAPI document says the endpoint needs.
#[tokio::test]
async fn authorization_matrix_matches_the_documented_roles() {
    let fixture = fixture().await;
    let admin_token = admin_token(&fixture);
    let tokens = [
        (Role::Clerk, fixture.clerk_token.clone()),
        (Role::Supervisor, fixture.supervisor_token.clone()),
        (Role::Admin, admin_token),
    ];
    let sample = fixture.boxes[0].to_string();
    let mut checked = 0;
    for endpoint in endpoints() {
        let Some(needed) = endpoint.role else {
            continue;
        };
        if endpoint.path == "/api/v1/live" {
            continue; // never ends; its token check is tested end to end
        }
        let uri = endpoint
            .path
            .replace("{barcode}", &sample)
            .replace("{file}", "ledger.csv")
            .replace("{id}", "1")
            .replace("{name}", "nothing");
        let body = match endpoint.path {
            "/api/v1/loans/approvals" => format!(r#"{{"borrower": "{}"}}"#, fixture.clerk),
            "/api/v1/people/add" => r#"{"name": "新人", "role": "clerk"}"#.to_owned(),
            "/api/v1/schemes/add" => r#"{"name": "new", "template": "N{seq}"}"#.to_owned(),
            _ => "{}".to_owned(),
        };
        for (role, token) in &tokens {
            let (status, answer) = call(
                &fixture,
                token,
                &endpoint.method.to_uppercase(),
                &uri,
                &body,
            )
            .await;
            if *role >= needed {
                assert_ne!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role:?} on {} {}: {answer}",
                    endpoint.method,
                    endpoint.path
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role:?} on {} {}: {answer}",
                    endpoint.method,
                    endpoint.path
                );
            }
            checked += 1;
        }
        let (status, _) = call(
            &fixture,
            "ast_nobody",
            &endpoint.method.to_uppercase(),
            &uri,
            &body,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{} without a valid token",
            endpoint.path
        );
    }
    assert!(checked >= 3 * 15, "{checked} checks");
}

#[tokio::test]
async fn admins_manage_tokens_and_supervisors_register_certificates_through_the_api() {
    let fixture = fixture().await;
    let admin_token = admin_token(&fixture);
    let body = format!(
        r#"{{"person": "{}", "label": "counter pc"}}"#,
        fixture.clerk
    );
    let (status, created) = call(
        &fixture,
        &admin_token,
        "POST",
        "/api/v1/tokens/create",
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let (status, _) = call(&fixture, &secret, "GET", "/api/v1/devices", "").await;
    assert_eq!(status, StatusCode::OK, "the new token works");
    let uri = format!("/api/v1/tokens/{}/revoke", created["id"]);
    let (status, _) = call(&fixture, &admin_token, "POST", &uri, "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&fixture, &secret, "GET", "/api/v1/devices", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked");

    let certificate =
        r#"{"kind": "不动产权证", "number": "粤(2026)第0001号", "archive_no": "A-1"}"#;
    let (status, _) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        "/api/v1/certificates/register",
        certificate,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(
        &fixture,
        &fixture.supervisor_token,
        "POST",
        "/api/v1/certificates/register",
        certificate,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind"], "certificate");
    let uri = format!(
        "/api/v1/items/{}",
        body["barcode"].as_str().expect("barcode")
    );
    let (status, _) = call(&fixture, &fixture.clerk_token, "GET", &uri, "").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "clerks do not see certificates"
    );
}

/// What the admin and desk pages read: the token list (never a secret), a scheme
/// template's preview (the first number, or the template's fault by code), and the
/// configured workstations with their printers.
#[tokio::test]
async fn the_pages_list_tokens_without_secrets_preview_schemes_and_list_workstations() {
    let fixture = fixture().await;
    let admin_token = admin_token(&fixture);
    let body = format!(r#"{{"person": "{}", "label": "财务对接"}}"#, fixture.clerk);
    let (status, created) = call(
        &fixture,
        &admin_token,
        "POST",
        "/api/v1/tokens/create",
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let listed = |list: &serde_json::Value| {
        list.as_array()
            .into_iter()
            .flatten()
            .find(|token| token["id"] == created["id"])
            .cloned()
            .unwrap_or_default()
    };
    let (status, list) = call(&fixture, &admin_token, "GET", "/api/v1/tokens", "").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let token = listed(&list);
    assert_eq!(token["label"], "财务对接", "{list}");
    assert_eq!(token["person"], fixture.clerk.to_string());
    assert!(token["revoked_at"].is_null());
    assert!(!list.to_string().contains(&secret), "no secret in the list");
    let uri = format!("/api/v1/tokens/{}/revoke", created["id"]);
    let (status, _) = call(&fixture, &admin_token, "POST", &uri, "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = call(&fixture, &admin_token, "GET", "/api/v1/tokens", "").await;
    assert!(listed(&list)["revoked_at"].is_number(), "{list}");

    let (status, preview) = call(
        &fixture,
        &admin_token,
        "GET",
        "/api/v1/schemes/preview?template=HT-%7Byear%7D-%7Bseq%3A04%7D",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let year = fixture.state.archive.this_year();
    assert_eq!(preview["next"], format!("HT-{year}-0001"));
    assert_eq!(preview["year"], year);
    let (status, refused) = call(
        &fixture,
        &admin_token,
        "GET",
        "/api/v1/schemes/preview?template=HT-%7Bseq%7D%7Byear%7D",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"], "scheme.ambiguous", "{refused}");

    let (status, workstations) = call(
        &fixture,
        &fixture.clerk_token,
        "GET",
        "/api/v1/workstations",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{workstations}");
    let names: Vec<&str> = workstations
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|workstation| workstation["name"].as_str())
        .collect();
    assert_eq!(names, fixture.state.config.workstation_names());
}

#[tokio::test]
async fn searches_filter_and_page_with_a_cursor_and_loans_renew() {
    let fixture = fixture().await;
    let token = fixture.supervisor_token.clone();
    let call_raw = |uri: String| {
        let state = fixture.state.clone();
        let token = token.clone();
        async move {
            app(state)
                .oneshot(
                    Request::builder()
                        .uri(uri)
                        .header("authorization", format!("Bearer {token}"))
                        .body(Body::empty())
                        .expect("request"),
                )
                .await
                .expect("infallible")
        }
    };
    let first = call_raw("/api/v1/boxes?status=registered&limit=1".into()).await;
    let cursor = first
        .headers()
        .get("x-next-after")
        .and_then(|v| v.to_str().ok())
        .expect("a next cursor")
        .to_owned();
    assert_eq!(cursor, fixture.boxes[0].to_string());
    let second = call_raw(format!(
        "/api/v1/boxes?status=registered&limit=1&after={cursor}"
    ))
    .await;
    let bytes = axum::body::to_bytes(second.into_body(), 1 << 20)
        .await
        .expect("body");
    let page: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(page[0]["barcode"], fixture.boxes[1].to_string().as_str());
    let none = call_raw("/api/v1/boxes?status=missing".into()).await;
    let bytes = axum::body::to_bytes(none.into_body(), 1 << 20)
        .await
        .expect("body");
    assert_eq!(&bytes[..], b"[]");
    let bad = call_raw("/api/v1/boxes?status=lost".into()).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let due = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    let loan = fixture
        .store
        .open_loan(
            &Actor::new("test"),
            fixture.boxes[0],
            fixture.clerk,
            None,
            due,
        )
        .expect("loan");
    let uri = format!("/api/v1/loans/{}/renew", loan.id);
    let (status, body) = call(&fixture, &fixture.clerk_token, "POST", &uri, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = call(&fixture, &token, "POST", &uri, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["due"], "2026-12-30", "30 days after the old due date");
    let (_, locations) = call(&fixture, &token, "GET", "/api/v1/locations", "").await;
    assert!(locations.is_array(), "{locations}");
}

/// The boxes of `GET uri` (their barcodes) and the next cursor.
async fn box_page(fixture: &Fixture, token: &str, uri: &str) -> (Vec<String>, Option<String>) {
    let (status, headers, bytes) = call_raw(fixture, token, "GET", uri, "").await;
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    let barcodes = body
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["barcode"].as_str().unwrap_or_default().to_owned())
        .collect();
    let next = headers
        .get("x-next-after")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    (barcodes, next)
}

#[tokio::test]
async fn boxes_are_searched_by_any_part_sorted_and_paged_and_bad_sorts_are_refused() {
    let fixture = fixture().await;
    let actor = Actor::new("test");
    let register = |number: &str, customer: &str, year: u16| {
        fixture
            .store
            .register_box(
                &actor,
                &NewBox {
                    archive_no: Some(number.into()),
                    title: "借款合同".into(),
                    customer: customer.into(),
                    year: Some(year),
                    ..NewBox::default()
                },
            )
            .expect("box")
            .barcode
            .to_string()
    };
    let ma = register("2024鸿借字第003号", "马丽勇", 2024);
    let li = register("2024鸿借字第001号", "李丽勇", 2024);
    let mali = register("2023鸿借字第009号", "马丽", 2023);
    let token = fixture.clerk_token.clone();
    let search = |q: &str, rest: &str| format!("/api/v1/boxes?q={}{rest}", encode_query(q));

    let (found, next) = box_page(&fixture, &token, &search("丽勇", "")).await;
    assert_eq!(found, vec![li.clone(), ma.clone()], "by archive number");
    assert_eq!(next, None);
    let (found, _) = box_page(&fixture, &token, &search("2024 借字", "")).await;
    assert_eq!(found, vec![li.clone(), ma.clone()], "year and word");
    let (found, _) = box_page(&fixture, &token, &search("2024鸿借字第00", "")).await;
    assert_eq!(found, vec![li.clone(), ma.clone()], "a prefix");
    let (found, _) = box_page(&fixture, &token, &search("丽", "&sort=year")).await;
    assert_eq!(found, vec![mali.clone(), li.clone(), ma.clone()]);
    let (found, _) = box_page(&fixture, &token, &search("丽", "&sort=customer")).await;
    assert_eq!(
        found,
        vec![li.clone(), mali.clone(), ma.clone()],
        "李 < 马丽 < 马丽勇"
    );
    let (found, _) = box_page(&fixture, &token, &search("丽", "&year=2024")).await;
    assert_eq!(
        found,
        vec![li.clone(), ma.clone()],
        "filters narrow a search"
    );
    let (found, _) = box_page(&fixture, &token, &search(&ma, "")).await;
    assert_eq!(found, vec![ma.clone()], "a barcode finds its box");

    // Page by page, one at a time, in year order: every match once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let cursor = after
            .as_ref()
            .map(|after| format!("&after={after}"))
            .unwrap_or_default();
        let uri = search("丽", &format!("&sort=year&limit=1{cursor}"));
        let (page, next) = box_page(&fixture, &token, &uri).await;
        seen.extend(page);
        match next {
            Some(next) => after = Some(next),
            None => break,
        }
        assert!(seen.len() <= 3, "{seen:?}");
    }
    assert_eq!(seen, vec![mali, li, ma]);

    for (uri, code) in [
        (search("丽", "&sort=title"), "request.bad_sort"),
        (search(&"丽".repeat(201), ""), "request.bad_query"),
        (
            format!("/api/v1/boxes?customer={}&sort=year", encode_query("马")),
            "request.sort_needs_query",
        ),
    ] {
        let (status, body) = call(&fixture, &token, "GET", &uri, "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["error"], code, "{uri}: {body}");
    }
    let (found, _) = box_page(
        &fixture,
        &token,
        "/api/v1/boxes?customer=%E9%A9%AC&sort=barcode",
    )
    .await;
    assert_eq!(found.len(), 2, "the filter's own order is accepted");
}

#[tokio::test]
async fn a_certificate_is_found_by_its_barcode_by_supervisors_only() {
    let fixture = fixture().await;
    let certificate = fixture.certificate("京(2024)第001号", "A-1").to_string();
    let uri = format!("/api/v1/boxes?q={certificate}");
    let (found, _) = box_page(&fixture, &fixture.clerk_token, &uri).await;
    assert!(found.is_empty(), "a clerk finds no certificate: {found:?}");
    let (found, _) = box_page(&fixture, &fixture.supervisor_token, &uri).await;
    assert_eq!(found, vec![certificate]);
}

#[tokio::test]
async fn a_boxs_history_names_people_and_places_and_lists_only_its_own_import_row() {
    let fixture = fixture().await;
    let clerk = Actor::new(format!("{}@api", fixture.clerk));
    let row = |n: usize| crate::store::ImportRow {
        archive_no: format!("2024鸿借字第{n:03}号"),
        title: "借款合同".into(),
        customer: format!("客户{n}"),
        category: String::new(),
        year: Some(2024),
        retention: None,
        location: Some("1号库房/05列/A面/3节/4层".into()),
        barcode: None,
        series: None,
        expiry: None,
    };
    let rows: Vec<_> = (1..=30).map(row).collect();
    let outcomes = fixture.store.import_rows(&clerk, &rows).expect("imported");
    let Some(Ok(crate::store::ImportOutcome::Created(imported))) = outcomes.get(7) else {
        panic!("not imported: {outcomes:?}");
    };
    let shelf = fixture
        .store
        .ensure_location(&clerk, "1号库房/05列/A面/3节/5层")
        .expect("shelf");
    fixture
        .store
        .move_item(&clerk, *imported, shelf.barcode)
        .expect("moved");

    let uri = format!("/api/v1/items/{imported}/history");
    let (status, history) = call(&fixture, &fixture.supervisor_token, "GET", &uri, "").await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let events = history.as_array().expect("events");
    assert_eq!(events.len(), 2, "{history}");
    let import = &events[0];
    assert_eq!(import["kind"], "Imported");
    let changes = import["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "only its own row: {import}");
    assert_eq!(
        changes[0]["after"],
        format!("{imported} 2024鸿借字第008号").as_str()
    );
    assert_eq!(import["actor"], format!("{}@api", fixture.clerk).as_str());
    assert_eq!(import["actor_name"], "张三");
    let moved = &events[1];
    let place = moved["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|change| change["field"] == "place")
        .expect("a place change");
    assert_eq!(place["before_name"], "1号库房/05列/A面/3节/4层");
    assert_eq!(place["after_name"], "1号库房/05列/A面/3节/5层");
    assert_eq!(place["after"], shelf.barcode.to_string().as_str());

    // A clerk sees the name, not the badge.
    let (_, history) = call(&fixture, &fixture.clerk_token, "GET", &uri, "").await;
    assert_eq!(history[0]["actor"], "P**********@api", "{history}");
    assert_eq!(history[0]["actor_name"], "张三");
}

#[tokio::test]
async fn overdue_loans_say_how_many_local_days_late_and_export_for_supervisors() {
    let zone = crate::clock::TimeZone::named("Asia/Shanghai").expect("a known zone");
    let fixture = fixture_at(BEIJING_23_59 - 5 * DAY, zone).await;
    let due = chrono::NaiveDate::from_ymd_opt(2026, 12, 29).expect("date");
    fixture
        .store
        .open_loan(
            &Actor::new("test"),
            fixture.boxes[0],
            fixture.clerk,
            None,
            due,
        )
        .expect("loan");
    fixture.clock.store(BEIJING_00_01, Ordering::SeqCst);
    // 2027-01-01 00:01 in Beijing (still 2026-12-31 in UTC): three days late, not two.
    let (_, overdue) = call(
        &fixture,
        &fixture.clerk_token,
        "GET",
        "/api/v1/loans?overdue=true",
        "",
    )
    .await;
    assert_eq!(overdue[0]["days_late"], 3, "{overdue}");
    assert_eq!(overdue[0]["borrower_name"], "张三");

    let (status, _, csv) = call_raw(
        &fixture,
        &fixture.supervisor_token,
        "GET",
        "/api/v1/reports/overdue.csv",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).expect("utf-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].contains("逾期天数"), "{csv}");
    assert!(
        lines[1].starts_with("A-1,") && lines[1].contains(",张三,") && lines[1].ends_with(",3"),
        "{csv}"
    );
    let (status, _, xlsx) = call_raw(
        &fixture,
        &fixture.supervisor_token,
        "GET",
        "/api/v1/reports/overdue.xlsx",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"), "a zip");
    let (status, _) = call(
        &fixture,
        &fixture.clerk_token,
        "GET",
        "/api/v1/reports/overdue.csv",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Checks `instance` against the OpenAPI document's `schema` (whose `$ref`s point into
/// the document's components), with a real JSON Schema 2020-12 validator.
fn assert_matches(
    document: &serde_json::Value,
    schema: &serde_json::Value,
    instance: &serde_json::Value,
    what: &str,
) {
    let errors = schema_errors(document, schema, instance);
    assert!(errors.is_empty(), "{what}: {errors:?}\n{instance}");
}

/// What `instance` breaks of the OpenAPI document's `schema`.
fn schema_errors(
    document: &serde_json::Value,
    schema: &serde_json::Value,
    instance: &serde_json::Value,
) -> Vec<String> {
    let root = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::validator_for(&root).expect("the documented schema compiles");
    validator
        .iter_errors(instance)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect()
}

/// Every documented route (but the endless live stream), called as the documentation says,
/// answers the documented status with a body the documented schema accepts; error answers
/// match the one documented error shape.
#[tokio::test]
async fn every_answer_matches_its_documented_schema() {
    let fixture = with_printing(fixture().await);
    let admin = admin_token(&fixture);
    let actor = Actor::new("test");
    let due = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    let [first, second] = [fixture.boxes[0], fixture.boxes[1]];
    let loan = fixture
        .store
        .open_loan(&actor, second, fixture.clerk, None, due)
        .expect("loan");
    start_handover(&fixture, &[second], due);
    let (_, document) = call(&fixture, &admin, "GET", "/api/v1/openapi.json", "").await;
    let (_, me) = call(&fixture, &admin, "GET", "/api/v1/session", "").await;
    let admin_badge = me["person"]["barcode"].as_str().expect("badge").to_owned();
    // An overdue task of the administrator's own, urged: their notification number 1.
    {
        let rules = fixture.state.archive.engine().task_rules();
        let new = crate::store::NewTask {
            external_id: "CRM-ADMIN".into(),
            category: "借款".into(),
            step: "放款完成".into(),
            customer: Some("鸿达贸易".into()),
            archive_no: None,
            archive_box: None,
            responsible: Barcode::parse(&admin_badge).expect("badge"),
            collector: None,
            documents: None,
            loan_project: false,
            limits: Vec::new(),
            business_deadline: chrono::NaiveDate::from_ymd_opt(2026, 12, 31),
            occurred_at: None,
        };
        let checklists = crate::contents::Checklists::builtin().expect("checklists");
        fixture
            .store
            .post_task(&actor, &new, &rules, &checklists)
            .expect("task");
        let later = fixture.store.now() + 49 * 3600 * 1000;
        let (written, _) = fixture
            .store
            .remind_pass(&actor, later, &rules, &crate::tasks::UrgeRules::default())
            .expect("pass");
        assert_eq!(written.first().map(|n| n.id), Some(1));
    }
    // A power customer's box lacking its documents, in a handover of its own, for the
    // contents, supplement and handover-list routes.
    let paper_box = fixture
        .store
        .register_box(
            &actor,
            &NewBox {
                archive_no: Some("G-1".into()),
                title: "供电客户档案".into(),
                customer: "华南电力".into(),
                category: "供电".into(),
                ..NewBox::default()
            },
        )
        .expect("box")
        .barcode;
    let paper_handover = fixture
        .store
        .write(&actor, |tx| {
            tx.start_handover(
                HandoverStage::OfficerToOfficer,
                fixture.clerk,
                fixture.clerk,
                &[paper_box],
                &[],
                due,
            )
        })
        .expect("handover")
        .id;

    // A box with a contents list, lent and returned: its return awaits its check.
    let checked_box = fixture
        .store
        .register_box(
            &actor,
            &NewBox {
                archive_no: Some("RC-1".into()),
                title: "借款合同".into(),
                customer: "鸿达贸易".into(),
                ..NewBox::default()
            },
        )
        .expect("box")
        .barcode;
    let lent = vec![crate::contents::Document {
        name: "借款合同".into(),
        doc_type: String::new(),
        pages: 4,
        date: None,
        original: true,
        expiry: None,
        signed: None,
    }];
    let checklists = crate::contents::Checklists::builtin().expect("valid");
    fixture
        .store
        .write(&actor, |tx| {
            tx.replace_contents(
                checked_box,
                &lent,
                &checklists,
                crate::event::EventKind::ContentsChanged,
            )
        })
        .expect("contents");
    let checked_loan = fixture
        .store
        .open_loan(&actor, checked_box, fixture.clerk, None, due)
        .expect("loan")
        .id;
    fixture
        .store
        .return_loan(&actor, checked_box, None)
        .expect("returned");

    // Things made on the way that later calls name.
    let (status, registered) = call(
        &fixture,
        &admin,
        "POST",
        "/api/v1/boxes/register",
        r#"{"title":"借款合同","customer":"鸿达贸易","scheme":"loan","home":"1号库房/05列/A面/3节/4层","print_at":"counter"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let registered_job = registered["label_jobs"][0].as_u64().expect("a label job");
    let shelf = registered["home"]["barcode"]
        .as_str()
        .expect("home")
        .to_owned();
    let registered_box = registered["barcode"].as_str().expect("barcode").to_owned();
    // The shelf's rack: three levels up (section, side, rack).
    let mut rack = Barcode::parse(&shelf).expect("a barcode");
    for _ in 0..3 {
        match fixture.store.get_item(rack).expect("read") {
            Some(crate::model::Item::Location(location)) => {
                rack = location.parent.expect("a parent")
            }
            other => panic!("not a location: {other:?}"),
        }
    }
    let (status, certificate) = call(
        &fixture,
        &admin,
        "POST",
        "/api/v1/certificates/register",
        r#"{"kind":"不动产权证","number":"粤(2024)第0001号","archive_no":"A-1"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{certificate}");
    let certificate = certificate["barcode"].as_str().expect("barcode").to_owned();
    // The certificate's handover, for its certificate handover list.
    let certificate_handover = start_handover(
        &fixture,
        &[Barcode::parse(&certificate).expect("a barcode")],
        due,
    );
    let shelve = crate::workflow::CommandCard::Shelve.barcode();
    for data in [shelve.to_string(), shelf.clone()] {
        let body = format!(r#"{{"workstation":"counter","data":"{data}"}}"#);
        let (status, result) = call(&fixture, &admin, "POST", "/api/v1/scans", &body).await;
        assert_eq!(result["outcome"], "ok", "{status} {result}");
    }
    let (_, token) = call(
        &fixture,
        &admin,
        "POST",
        "/api/v1/tokens/create",
        &format!(r#"{{"person":"{}","label":"scanner pc"}}"#, fixture.clerk),
    )
    .await;
    let token_id = token["id"].as_u64().expect("token id");

    let printer = format!(
        r#"{{"kind":"printer","name":"zebra-2","language":"zpl","dpi":300,"connect":"dir://{}"}}"#,
        fixture._dir.path().join("zebra-2").display()
    );
    // A rack to edit and retire (empty, so retiring it succeeds).
    let (_, rack) = call(
        &fixture,
        &admin,
        "POST",
        "/api/v1/locations/add",
        r#"{"kind":"room","name":"9号库房"}"#,
    )
    .await;
    assert!(rack["location"]["barcode"].is_string(), "{rack}");
    let (_, rack) = call(
        &fixture,
        &admin,
        "POST",
        "/api/v1/locations/add",
        r#"{"kind":"rack","name":"1","parent":"9号库房","mobile":true}"#,
    )
    .await;
    let rack = rack["location"]["barcode"]
        .as_str()
        .expect("rack barcode")
        .to_owned();
    let calls: Vec<(&str, &str, String, String)> = vec![
        (
            "post",
            "/api/v1/locations/add",
            "/api/v1/locations/add".into(),
            r#"{"kind":"safe","name":"保险柜9","parent":"9号库房"}"#.into(),
        ),
        (
            "post",
            "/api/v1/locations/layout",
            "/api/v1/locations/layout".into(),
            r#"{"room":"9号库房","first_rack":2,"last_rack":3,"sides":["A"],"sections":1,"shelves":2,"capacity":10}"#.into(),
        ),
        (
            "post",
            "/api/v1/locations/{barcode}/edit",
            format!("/api/v1/locations/{rack}/edit"),
            r#"{"mobile":false}"#.into(),
        ),
        (
            "post",
            "/api/v1/locations/{barcode}/retire",
            format!("/api/v1/locations/{rack}/retire"),
            r#"{"reason":"拆除"}"#.into(),
        ),
        ("get", "/healthz", "/healthz".into(), String::new()),
        ("get", "/livez", "/livez".into(), String::new()),
        (
            "get",
            "/api/v1/items/{barcode}",
            format!("/api/v1/items/{first}"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/items/{barcode}",
            format!("/api/v1/items/{second}"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/items/{barcode}",
            format!("/api/v1/items/{certificate}"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/items/{barcode}",
            format!("/api/v1/items/{shelf}"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/items/{barcode}",
            format!("/api/v1/items/{}", fixture.clerk),
            String::new(),
        ),
        (
            "get",
            "/api/v1/items/{barcode}/history",
            format!("/api/v1/items/{first}/history"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/boxes",
            "/api/v1/boxes?status=registered&limit=1".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/boxes",
            "/api/v1/boxes?archive_no=A-2".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/scans",
            "/api/v1/scans".into(),
            format!(r#"{{"workstation":"counter","data":"{first}"}}"#),
        ),
        (
            "post",
            "/api/v1/scans",
            "/api/v1/scans".into(),
            r#"{"workstation":"counter","data":"nonsense"}"#.into(),
        ),
        (
            "get",
            "/api/v1/locations/{barcode}/items",
            format!("/api/v1/locations/{shelf}/items?limit=10"),
            String::new(),
        ),
        ("get", "/api/v1/map", "/api/v1/map".into(), String::new()),
        (
            "get",
            "/api/v1/map/racks/{barcode}",
            format!("/api/v1/map/racks/{rack}"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/map/where/{barcode}",
            format!("/api/v1/map/where/{registered_box}"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/map/categories",
            "/api/v1/map/categories".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/picklists",
            "/api/v1/picklists".into(),
            r#"{"lines":["A-1"]}"#.into(),
        ),
        (
            "get",
            "/api/v1/picklists",
            "/api/v1/picklists".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/picklists/{id}",
            "/api/v1/picklists/1".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/picklists/{id}/pdf",
            "/api/v1/picklists/1/pdf".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/certificates/ledger",
            "/api/v1/certificates/ledger".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/loanslips",
            "/api/v1/loanslips".into(),
            format!(
                r#"{{"borrower":"{}","purpose":"审计","boxes":[{{"box":"A-1","documents":"第1页"}}],"due":"2026-12-31"}}"#,
                fixture.clerk
            ),
        ),
        (
            "post",
            "/api/v1/loanslips",
            "/api/v1/loanslips".into(),
            format!(
                r#"{{"borrower":"{}","purpose":"复印","boxes":[{{"box":"A-1"}}]}}"#,
                fixture.clerk
            ),
        ),
        (
            "get",
            "/api/v1/loanslips",
            "/api/v1/loanslips".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/loanslips/{id}/approve",
            "/api/v1/loanslips/1/approve".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/loanslips/{id}/refuse",
            "/api/v1/loanslips/2/refuse".into(),
            r#"{"reason":"不需要"}"#.into(),
        ),
        (
            "get",
            "/api/v1/loanslips/{id}",
            "/api/v1/loanslips/1".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/loanslips/{id}/pdf",
            "/api/v1/loanslips/1/pdf".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/loanslips/{id}/print",
            "/api/v1/loanslips/1/print".into(),
            r#"{"printer":"pdf"}"#.into(),
        ),
        (
            "get",
            "/api/v1/handovers/{id}/certificates.pdf",
            format!("/api/v1/handovers/{certificate_handover}/certificates.pdf"),
            String::new(),
        ),
        (
            "post",
            "/api/v1/handovers/{id}/extend",
            "/api/v1/handovers/1/extend".into(),
            r#"{"until":"2026-12-05","reason":"补签"}"#.into(),
        ),
        (
            "get",
            "/api/v1/scans/recent",
            "/api/v1/scans/recent?workstation=counter&limit=5".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/workstations",
            "/api/v1/workstations".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/devices/add",
            "/api/v1/devices/add".into(),
            printer,
        ),
        (
            "post",
            "/api/v1/devices/{name}/disable",
            "/api/v1/devices/zebra-2/disable".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/devices",
            "/api/v1/devices".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/devices/{name}/enable",
            "/api/v1/devices/zebra-2/enable".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/devices/{name}/remove",
            "/api/v1/devices/zebra-2/remove".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/schemes/add",
            "/api/v1/schemes/add".into(),
            r#"{"name":"guarantee","template":"{year}担字第{seq:03}号"}"#.into(),
        ),
        (
            "post",
            "/api/v1/schemes/{name}/retire",
            "/api/v1/schemes/guarantee/retire".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/loans/approvals",
            "/api/v1/loans/approvals".into(),
            format!(
                r#"{{"borrower":"{}","valid_until":"2026-12-31"}}"#,
                fixture.clerk
            ),
        ),
        (
            "get",
            "/api/v1/loans",
            "/api/v1/loans".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/loans",
            format!("/api/v1/loans?overdue=false&borrower={}", fixture.clerk),
            String::new(),
        ),
        (
            "get",
            "/api/v1/handovers",
            "/api/v1/handovers".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/reports/{file}",
            "/api/v1/reports/ledger.csv".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/reports/{file}",
            "/api/v1/reports/loans.xlsx".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/boxes/register",
            "/api/v1/boxes/register".into(),
            r#"{"title":"担保合同","customer":"远景","archive_no":"B-9","retention":"永久"}"#
                .into(),
        ),
        (
            "post",
            "/api/v1/boxes/{barcode}/edit",
            format!("/api/v1/boxes/{first}/edit"),
            r#"{"title":"借款合同（补）","year":2020}"#.into(),
        ),
        (
            "post",
            "/api/v1/labels",
            "/api/v1/labels".into(),
            format!(r#"{{"barcodes":["{first}"]}}"#),
        ),
        (
            "post",
            "/api/v1/labels/shelves",
            "/api/v1/labels/shelves".into(),
            r#"{"under":"1号库房/05列","workstation":"counter"}"#.into(),
        ),
        (
            "get",
            "/api/v1/labels/shelves.pdf",
            format!("/api/v1/labels/shelves.pdf?under={shelf}"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/labels/queue",
            "/api/v1/labels/queue".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/people",
            "/api/v1/people".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/people/add",
            "/api/v1/people/add".into(),
            r#"{"name":"李四","role":"supervisor","borrow_directly":true}"#.into(),
        ),
        (
            "post",
            "/api/v1/people/{barcode}/edit",
            format!("/api/v1/people/{}/edit", fixture.clerk),
            r#"{"name":"张三丰","borrow_directly":false}"#.into(),
        ),
        (
            "post",
            "/api/v1/labels/{id}/cancel",
            format!("/api/v1/labels/{registered_job}/cancel"),
            r#"{"reason":"registered twice"}"#.into(),
        ),
        (
            "get",
            "/api/v1/schemes",
            "/api/v1/schemes".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/locations",
            "/api/v1/locations".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/loans/{id}/renew",
            format!("/api/v1/loans/{}/renew", loan.id),
            String::new(),
        ),
        (
            "get",
            "/api/v1/returns/unchecked",
            "/api/v1/returns/unchecked".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/loans/{id}/check",
            format!("/api/v1/loans/{checked_loan}/check"),
            String::new(),
        ),
        (
            "post",
            "/api/v1/loans/{id}/check",
            format!("/api/v1/loans/{checked_loan}/check"),
            r#"{"missing":[1],"note":"下周送回"}"#.into(),
        ),
        (
            "post",
            "/api/v1/certificates/register",
            "/api/v1/certificates/register".into(),
            r#"{"kind":"他项权证","number":"粤(2024)第0002号","archive_no":"A-2"}"#.into(),
        ),
        (
            "post",
            "/api/v1/tokens/create",
            "/api/v1/tokens/create".into(),
            format!(r#"{{"person":"{}"}}"#, fixture.clerk),
        ),
        (
            "get",
            "/api/v1/tokens",
            "/api/v1/tokens".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/schemes/preview",
            "/api/v1/schemes/preview?template=HT-%7Byear%7D-%7Bseq%3A04%7D".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/workstations",
            "/api/v1/workstations".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/tokens/{id}/revoke",
            format!("/api/v1/tokens/{token_id}/revoke"),
            String::new(),
        ),
        (
            "post",
            "/api/v1/people/{barcode}/password",
            format!("/api/v1/people/{admin_badge}/password"),
            r#"{"password":"档案室的春天2026"}"#.into(),
        ),
        (
            "post",
            "/api/v1/session/password",
            "/api/v1/session/password".into(),
            r#"{"old":"档案室的春天2026","new":"档案室的夏天2027"}"#.into(),
        ),
        (
            "post",
            "/api/v1/people/{barcode}/pin",
            format!("/api/v1/people/{}/pin", fixture.clerk),
            r#"{"pin":"2468"}"#.into(),
        ),
        (
            "post",
            "/api/v1/session",
            "/api/v1/session".into(),
            format!(r#"{{"badge":"{}","pin":"2468"}}"#, fixture.clerk),
        ),
        (
            "get",
            "/api/v1/session",
            "/api/v1/session".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/session/end",
            "/api/v1/session/end".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/imports",
            "/api/v1/imports?name=ledger.csv".into(),
            "档案号,题名,客户名称,位置\nT-1,借款合同,鸿达贸易,1号库房/05列/A面/3节/4层\n".into(),
        ),
        (
            "get",
            "/api/v1/imports/{id}",
            "/api/v1/imports/1".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/openapi.json",
            "/api/v1/openapi.json".into(),
            String::new(),
        ),
        ("get", "/metrics", "/metrics".into(), String::new()),
        (
            "post",
            "/api/v1/people/{barcode}/badge",
            format!("/api/v1/people/{admin_badge}/badge"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/boxes/{barcode}/contents",
            format!("/api/v1/boxes/{paper_box}/contents"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/checklists",
            "/api/v1/checklists".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/handovers/{id}/supplement",
            format!("/api/v1/handovers/{paper_handover}/supplement"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/handovers/{id}/supplement",
            format!("/api/v1/handovers/{paper_handover}/supplement"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/handovers/{id}/supplement.pdf",
            format!("/api/v1/handovers/{paper_handover}/supplement.pdf"),
            String::new(),
        ),
        (
            "get",
            "/api/v1/handovers/{id}/list.pdf",
            format!("/api/v1/handovers/{paper_handover}/list.pdf"),
            String::new(),
        ),
        (
            "put",
            "/api/v1/boxes/{barcode}/contents",
            format!("/api/v1/boxes/{paper_box}/contents"),
            r#"{"documents":[{"name":"报装申请","pages":2,"signed":true}],"expiry":"2030-01-31"}"#
                .into(),
        ),
        (
            "post",
            "/api/v1/boxes/{barcode}/contents",
            format!("/api/v1/boxes/{paper_box}/contents"),
            r#"{"op":"add","document":{"name":"用电检查单","pages":1,"signed":true}}"#.into(),
        ),
        (
            "post",
            "/api/v1/contents/import",
            "/api/v1/contents/import".into(),
            "档案号,资料名称,页数\nG-1,供电方案答复单,3\n".into(),
        ),
        (
            "post",
            "/api/v1/handovers",
            "/api/v1/handovers".into(),
            format!(r#"{{"to":"{}","items":["{first}"]}}"#, fixture.clerk),
        ),
        (
            "post",
            "/api/v1/tasks",
            "/api/v1/tasks".into(),
            format!(
                r#"{{"external_id":"CRM-1","category":"借款","step":"放款完成","box":"{first}","responsible":"{}","limits":{{"send":{{"working_days":2}}}},"business_deadline":"2026-12-31"}}"#,
                fixture.clerk
            ),
        ),
        (
            "get",
            "/api/v1/tasks",
            "/api/v1/tasks?scope=all".into(),
            String::new(),
        ),
        (
            "get",
            "/api/v1/tasks/{id}",
            "/api/v1/tasks/1".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/tasks/{id}/advance",
            "/api/v1/tasks/1/advance".into(),
            r#"{"step":"add"}"#.into(),
        ),
        (
            "get",
            "/api/v1/notifications",
            "/api/v1/notifications".into(),
            String::new(),
        ),
        (
            "post",
            "/api/v1/notifications/{id}/read",
            "/api/v1/notifications/1/read".into(),
            String::new(),
        ),
    ];
    // The check has teeth: an item without its barcode, or with a number for a title, is
    // not what the document promises.
    let item_schema = &document["paths"]["/api/v1/items/{barcode}"]["get"]["responses"]["200"]
        ["content"]["application/json"]["schema"];
    let (_, mut item) = call(
        &fixture,
        &admin,
        "GET",
        &format!("/api/v1/items/{first}"),
        "",
    )
    .await;
    assert_matches(&document, item_schema, &item, "an item");
    item["title"] = serde_json::json!(7);
    assert!(!schema_errors(&document, item_schema, &item).is_empty());
    if let Some(fields) = item.as_object_mut() {
        fields.remove("barcode");
        fields.remove("title");
    }
    assert!(!schema_errors(&document, item_schema, &item).is_empty());

    let mut covered = std::collections::BTreeSet::new();
    for (method, path, uri, body) in &calls {
        let operation = &document["paths"][*path][*method];
        let (status, headers, bytes) =
            call_raw(&fixture, &admin, &method.to_uppercase(), uri, body).await;
        let responses = operation["responses"].as_object().expect("responses");
        let (documented, answer) = responses
            .iter()
            .find(|(code, _)| code.starts_with('2'))
            .expect("a documented success");
        assert_eq!(
            status.as_str(),
            documented,
            "{method} {uri}: {}",
            String::from_utf8_lossy(&bytes)
        );
        let content_type = headers
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        match answer["content"].as_object() {
            Some(content) if content.contains_key("application/json") => {
                assert!(
                    content_type.starts_with("application/json"),
                    "{uri}: {content_type}"
                );
                let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
                let schema = &content["application/json"]["schema"];
                assert_matches(&document, schema, &json, &format!("{method} {uri}"));
            }
            Some(content) => assert!(
                content
                    .keys()
                    .any(|media| content_type.starts_with(media.as_str())),
                "{uri}: {content_type} is not one of {content:?}"
            ),
            None => assert!(
                bytes.is_empty(),
                "{uri} answers a body it does not document"
            ),
        }
        if *path == "/api/v1/boxes" && uri.contains("limit=1") {
            assert!(
                headers.contains_key("x-next-after"),
                "the documented cursor header"
            );
            assert!(answer["headers"]["x-next-after"].is_object());
        }
        covered.insert((*method, *path));
    }
    for endpoint in endpoints() {
        if endpoint.path != "/api/v1/live" {
            assert!(
                covered.contains(&(endpoint.method, endpoint.path)),
                "{} {} is not checked against its schema",
                endpoint.method,
                endpoint.path
            );
        }
    }

    // Errors: the documented shape, for every kind of refusal.
    let error_schema = serde_json::json!({"$ref": "#/components/schemas/Error"});
    let refusals = [
        (
            admin.as_str(),
            "GET",
            "/api/v1/items/B0000000000",
            "",
            "400",
        ),
        (admin.as_str(), "GET", "/api/v1/nothing/here", "", "404"),
        (
            admin.as_str(),
            "POST",
            "/api/v1/boxes/register",
            r#"{"title":"x"}"#,
            "400",
        ),
        (
            admin.as_str(),
            "POST",
            "/api/v1/boxes/register",
            r#"{"title":"x","customer":"y","scheme":"none"}"#,
            "422",
        ),
        (
            fixture.clerk_token.as_str(),
            "POST",
            "/api/v1/people/add",
            r#"{"name":"x","role":"clerk"}"#,
            "403",
        ),
        ("ast_nobody", "GET", "/api/v1/people", "", "401"),
    ];
    for (token, method, uri, body, expected) in refusals {
        let (status, answer) = call(&fixture, token, method, uri, body).await;
        assert_eq!(status.as_str(), expected, "{method} {uri}: {answer}");
        assert_matches(&document, &error_schema, &answer, uri);
    }
}

/// Administrators add and retire schemes and add, disable, enable and remove devices; what
/// station.toml defines is changed there (the API says so), any device can be disabled;
/// every change is an event of the administrator; bad definitions are refused.
#[tokio::test]
async fn administrators_manage_schemes_and_devices_and_the_files_own_stay_in_the_file() {
    let fixture = with_printing(fixture().await);
    let admin = admin_token(&fixture);
    let post = |uri: &'static str, body: &'static str| {
        let (fixture, admin) = (&fixture, admin.clone());
        async move { call(fixture, &admin, "POST", uri, body).await }
    };
    // Data (a name, a count) is in both halves of a message.
    let in_both = |answer: &serde_json::Value, data: &str| {
        ["zh", "en"].iter().all(|half| {
            answer["message"][half]
                .as_str()
                .is_some_and(|text| text.contains(data))
        })
    };

    // station.toml's scheme "loan": listed, not retired or shadowed through the API.
    let (status, answer) = post("/api/v1/schemes/loan/retire", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"], "scheme.in_config", "{answer}");
    assert!(in_both(&answer, "loan"), "{answer}");
    let (status, answer) = post(
        "/api/v1/schemes/add",
        r#"{"name":"loan","template":"L{seq}"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) = post(
        "/api/v1/schemes/add",
        r#"{"name":"broken","template":"{seq"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) = post(
        "/api/v1/schemes/add",
        r#"{"name":"g","template":"G{seq:04}","extra":1}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, answer) = post(
        "/api/v1/schemes/add",
        r#"{"name":"g","template":"G{seq:04}"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (_, schemes) = call(&fixture, &fixture.clerk_token, "GET", "/api/v1/schemes", "").await;
    let listed: Vec<(String, String)> = schemes
        .as_array()
        .into_iter()
        .flatten()
        .map(|scheme| {
            (
                scheme["name"].as_str().unwrap_or_default().to_owned(),
                scheme["origin"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("loan".to_owned(), "config".to_owned()),
            ("g".to_owned(), "station".to_owned())
        ]
    );

    // The configured default printer: not removable here, but it can be disabled.
    fixture
        .state
        .device_manager
        .as_ref()
        .expect("manager")
        .start_all()
        .await
        .expect("start");
    let (status, answer) = post("/api/v1/devices/pdf/remove", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"], "device.in_config", "{answer}");
    assert!(in_both(&answer, "pdf"), "{answer}");
    let (status, answer) = post("/api/v1/devices/pdf/disable", "").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (answer["enabled"].as_bool(), answer["origin"].as_str()),
        (Some(false), Some("config")),
        "{answer}"
    );
    let (status, answer) = post("/api/v1/devices/add", r#"{"kind":"printer","name":"zebra-9","language":"zpl","dpi":250,"connect":"tcp://127.0.0.1:9100"}"#).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a resolution no printer has: {answer}"
    );
    let (status, answer) = post("/api/v1/devices/add", r#"{"kind":"camera","name":"cam"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, answer) = post("/api/v1/devices/nothing/enable", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(answer["error"], "device.unknown", "{answer}");
    assert!(in_both(&answer, "nothing"), "{answer}");
    let (_, devices) = call(&fixture, &admin, "GET", "/api/v1/devices", "").await;
    assert_eq!(
        devices.as_array().map(Vec::len),
        Some(1),
        "refusals added nothing: {devices}"
    );

    // A printer with a label waiting stays until the label is printed or cancelled.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    let zebra = format!(
        r#"{{"kind":"printer","name":"zebra-off","language":"zpl","connect":"tcp://127.0.0.1:{port}"}}"#
    );
    let (status, answer) = call(&fixture, &admin, "POST", "/api/v1/devices/add", &zebra).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let label = format!(
        r#"{{"barcodes":["{}"],"printer":"zebra-off"}}"#,
        fixture.boxes[0]
    );
    let (status, jobs) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        "/api/v1/labels",
        &label,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{jobs}");
    let job = jobs[0]["id"].as_u64().expect("job id");
    let (status, answer) = post("/api/v1/devices/zebra-off/remove", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"], "device.printer_has_jobs", "{answer}");
    assert!(in_both(&answer, "zebra-off"), "{answer}");
    assert!(in_both(&answer, " 1 "), "one label waits: {answer}");
    let cancel = format!("/api/v1/labels/{job}/cancel");
    let (status, answer) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        &cancel,
        r#"{"reason":" "}"#,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is needed: {answer}"
    );
    let (status, answer) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        &cancel,
        r#"{"reason":"wrong printer"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let (status, answer) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        &cancel,
        r#"{"reason":"again"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"], "label.job_done", "{answer}");
    assert!(in_both(&answer, &job.to_string()), "{answer}");
    let (status, answer) = post("/api/v1/devices/zebra-off/remove", "").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");

    // Each accepted change is an event of the administrator who made it.
    let events = fixture.store.events(0, usize::MAX).expect("events");
    let kinds: Vec<(crate::event::EventKind, bool)> = events
        .iter()
        .filter(|event| {
            matches!(
                event.body.kind,
                crate::event::EventKind::SchemeAdded | crate::event::EventKind::DeviceDisabled
            )
        })
        .map(|event| (event.body.kind, event.body.actor.ends_with("@api")))
        .collect();
    assert_eq!(
        kinds,
        [
            (crate::event::EventKind::SchemeAdded, true),
            (crate::event::EventKind::DeviceDisabled, true)
        ]
    );
}

/// Administrators change people: a promotion takes effect at once, someone who has left
/// can no longer use a token or a badge (and comes back with everything as it was), and
/// the last active administrator cannot be demoted or marked left.
#[tokio::test]
async fn administrators_promote_people_and_mark_them_left() {
    let fixture = fixture().await;
    let admin = admin_token(&fixture);
    let clerk = fixture.clerk;
    let edit = format!("/api/v1/people/{clerk}/edit");
    let approve = format!(r#"{{"borrower":"{clerk}"}}"#);

    let (status, _) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        "/api/v1/loans/approvals",
        &approve,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a clerk may not approve");
    let (status, answer) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        &edit,
        r#"{"role":"admin"}"#,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "nor promote themselves: {answer}"
    );
    // The first denial is recorded in the background: wait for it, so that the count of
    // events below sees only what this test's requests change.
    denial_recorded(&fixture, clerk).await;
    let (status, answer) = call(&fixture, &admin, "POST", &edit, r#"{"role":"supervisor"}"#).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (answer["role"].as_str(), answer["active"].as_bool()),
        (Some("supervisor"), Some(true))
    );
    let (status, answer) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        "/api/v1/loans/approvals",
        &approve,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the same token now acts as a supervisor: {answer}"
    );

    // Left: the token stops, the badge does nothing at a scanner, loans to them are refused.
    let (status, answer) = call(&fixture, &admin, "POST", &edit, r#"{"active":false}"#).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["active"], false);
    let (status, _) = call(&fixture, &fixture.clerk_token, "GET", "/api/v1/people", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let checkout = crate::workflow::CommandCard::Checkout.barcode();
    let body = format!(r#"{{"workstation":"counter","data":"{checkout}"}}"#);
    let (_, result) = call(&fixture, &admin, "POST", "/api/v1/scans", &body).await;
    assert_eq!(result["outcome"], "ok", "{result}");
    let body = format!(r#"{{"workstation":"counter","data":"{clerk}"}}"#);
    let (_, result) = call(&fixture, &admin, "POST", "/api/v1/scans", &body).await;
    assert_eq!(result["outcome"], "error", "{result}");
    assert_eq!(result["code"], "person.left", "{result}");
    assert!(
        ["zh", "en"].iter().all(|half| result["message"][half]
            .as_str()
            .is_some_and(|text| text.contains(&clerk.to_string()))),
        "the badge in both halves: {result}"
    );
    let due = chrono::NaiveDate::from_ymd_opt(2026, 12, 30).expect("date");
    assert!(matches!(
        fixture
            .store
            .open_loan(&Actor::new("test"), fixture.boxes[0], clerk, None, due),
        Err(StoreError::Refused(Refusal::PersonLeft { .. }))
    ));
    let (_, people) = call(&fixture, &admin, "GET", "/api/v1/people", "").await;
    let listed = people
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["barcode"] == clerk.to_string())
        .cloned();
    assert_eq!(
        listed.map(|p| p["active"].clone()),
        Some(serde_json::json!(false))
    );

    // Back: everything works again.
    let (status, _) = call(&fixture, &admin, "POST", &edit, r#"{"active":true}"#).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&fixture, &fixture.clerk_token, "GET", "/api/v1/people", "").await;
    assert_eq!(status, StatusCode::OK);

    // The one administrator stays one; bad edits are refused and change nothing.
    let (_, everyone) = call(&fixture, &admin, "GET", "/api/v1/people", "").await;
    let admin_badge = everyone
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["role"] == "admin")
        .and_then(|p| p["barcode"].as_str())
        .expect("the admin")
        .to_owned();
    let mine = format!("/api/v1/people/{admin_badge}/edit");
    let head = fixture.store.head().0;
    for (body, expected) in [
        (r#"{"role":"clerk"}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"active":false}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"role":"boss"}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"name":""}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"rank":"high"}"#, StatusCode::BAD_REQUEST),
    ] {
        let (status, answer) = call(&fixture, &admin, "POST", &mine, body).await;
        assert_eq!(status, expected, "{body}: {answer}");
    }
    let (status, answer) = call(&fixture, &admin, "POST", &mine, r#"{"active":false}"#).await;
    assert_eq!(
        (status, &answer["error"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &serde_json::json!("person.last_admin")
        ),
        "{answer}"
    );
    let not_a_person = format!("/api/v1/people/{}/edit", fixture.boxes[0]);
    let (status, answer) = call(&fixture, &admin, "POST", &not_a_person, "{}").await;
    assert!(status.is_client_error(), "a box is not a person: {answer}");
    let (status, answer) = call(&fixture, &admin, "POST", &mine, r#"{"role":"admin"}"#).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        fixture.store.head().0,
        head,
        "refusals and a change to nothing recorded nothing"
    );
}

/// Waits (up to 30 s) until a denial of `person` is in their history: denials are recorded
/// off the answer's path ([`super::denials`]).
async fn denial_recorded(fixture: &Fixture, person: Barcode) {
    for _ in 0..300 {
        let history = fixture.store.history(person).expect("history");
        if history
            .iter()
            .any(|event| event.body.kind == crate::event::EventKind::AccessDenied)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the denial of {person} was not recorded within 30 s");
}

/// A person added by `test`, borrowing directly or not.
fn new_person(
    fixture: &Fixture,
    name: &str,
    role: Role,
    borrow_directly: bool,
) -> crate::model::Person {
    fixture
        .store
        .add_person(
            &Actor::new("test"),
            &NewPerson {
                name: name.into(),
                role,
                borrow_directly,
            },
        )
        .expect("person")
}

/// Posts one scan at the counter with `token`; answers the result.
async fn scan_at_counter(fixture: &Fixture, token: &str, code: &str) -> serde_json::Value {
    let body = serde_json::json!({ "workstation": "counter", "data": code }).to_string();
    let (status, result) = call(fixture, token, "POST", "/api/v1/scans", &body).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    result
}

#[tokio::test]
async fn a_badge_scanned_through_the_api_names_a_borrower_but_never_approves_or_signs_in() {
    let fixture = fixture().await;
    let borrower = new_person(&fixture, "李四", Role::Clerk, false);
    let supervisor = new_person(&fixture, "赵主管", Role::Supervisor, false);
    let supervisor_token = fixture
        .store
        .create_token(&Actor::new("test"), supervisor.barcode, "")
        .expect("token")
        .secret;
    let checkout = crate::workflow::CommandCard::Checkout.barcode().to_string();
    let token = fixture.clerk_token.clone();

    // The attack of issue #10: CHECKOUT, a staff badge, then a supervisor's badge code.
    scan_at_counter(&fixture, &token, &checkout).await;
    let named = scan_at_counter(&fixture, &token, &borrower.barcode.to_string()).await;
    assert_eq!(named["code"], "checkout.borrower_needs_approval", "{named}");
    let approve = scan_at_counter(&fixture, &token, &supervisor.barcode.to_string()).await;
    assert_eq!(approve["code"], "scan.badge_not_own", "{approve}");
    let lend = scan_at_counter(&fixture, &token, &fixture.boxes[0].to_string()).await;
    assert_eq!(lend["code"], "checkout.approval_badge_needed", "{lend}");
    assert!(fixture
        .store
        .open_loan_of(fixture.boxes[0])
        .expect("read")
        .is_none());

    // A supervisor named as borrower by a clerk does not approve their own loan.
    scan_at_counter(&fixture, &token, &checkout).await;
    fixture.clock.fetch_add(2000, Ordering::SeqCst);
    let named = scan_at_counter(&fixture, &token, &supervisor.barcode.to_string()).await;
    assert_eq!(named["code"], "checkout.borrower_needs_approval", "{named}");
    let lend = scan_at_counter(&fixture, &token, &fixture.boxes[0].to_string()).await;
    assert_eq!(lend["code"], "checkout.approval_badge_needed", "{lend}");
    assert!(fixture
        .store
        .open_loan_of(fixture.boxes[0])
        .expect("read")
        .is_none());

    // Nor does a badge sign anyone in through the API: the scan acts as the token's owner.
    let lookup = crate::workflow::CommandCard::Lookup.barcode().to_string();
    scan_at_counter(&fixture, &token, &lookup).await;
    let sign_in = scan_at_counter(&fixture, &token, &supervisor.barcode.to_string()).await;
    assert_eq!(sign_in["code"], "scan.badge_not_own", "{sign_in}");

    // The supervisor's own token, with their own badge, approves; the events name the
    // token's owner, never `scanner@…`.
    fixture.clock.fetch_add(2000, Ordering::SeqCst);
    scan_at_counter(&fixture, &token, &checkout).await;
    scan_at_counter(&fixture, &token, &borrower.barcode.to_string()).await;
    let approve =
        scan_at_counter(&fixture, &supervisor_token, &supervisor.barcode.to_string()).await;
    assert_eq!(approve["code"], "checkout.approved", "{approve}");
    let lend = scan_at_counter(&fixture, &token, &fixture.boxes[0].to_string()).await;
    assert_eq!(lend["code"], "checkout.lent", "{lend}");
    let loan = fixture
        .store
        .open_loan_of(fixture.boxes[0])
        .expect("read")
        .expect("lent");
    assert_eq!(loan.approver, Some(supervisor.barcode));
    let history = fixture.store.history(fixture.boxes[0]).expect("history");
    let last = history.last().expect("an event");
    assert_eq!(last.body.actor, format!("{}@counter", fixture.clerk));
}

/// A lost badge is replaced: the new code works at a scanner and for signing in by badge,
/// every earlier one is refused with its code and changes nothing, the person keeps their
/// identity in loans and approvals, the badge label carries the new code, the people list
/// shows it to administrators only, and `verify` finds the store consistent.
#[tokio::test]
async fn a_replaced_badge_stops_working_and_its_replacement_stands_for_the_same_person() {
    let fixture = fixture().await;
    let admin = admin_token(&fixture);
    let borrower = new_person(&fixture, "李四", Role::Clerk, false);
    let supervisor = new_person(&fixture, "赵主管", Role::Supervisor, false);
    let supervisor_token = fixture
        .store
        .create_token(&Actor::new("test"), supervisor.barcode, "")
        .expect("token")
        .secret;
    let token = fixture.clerk_token.clone();
    let replace = |who: Barcode, token: String| {
        let fixture = &fixture;
        async move {
            call(
                fixture,
                &token,
                "POST",
                &format!("/api/v1/people/{who}/badge"),
                "",
            )
            .await
        }
    };
    let (status, _) = replace(borrower.barcode, token.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "clerks replace no badge");
    let (status, first) = replace(borrower.barcode, admin.clone()).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, answer) = replace(borrower.barcode, admin.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["barcode"], borrower.barcode.to_string());
    let new_badge = answer["badge"].as_str().expect("the new code").to_owned();
    let first_badge = first["badge"].as_str().expect("the first code").to_owned();
    assert_ne!(new_badge, first_badge);
    let (_, answer) = replace(supervisor.barcode, admin.clone()).await;
    let supervisor_badge = answer["badge"].as_str().expect("the new code").to_owned();

    // At the scanner: the old badges are refused and start nothing; the new one names them.
    let checkout = crate::workflow::CommandCard::Checkout.barcode().to_string();
    scan_at_counter(&fixture, &token, &checkout).await;
    for old in [borrower.barcode.to_string(), first_badge] {
        let refused = scan_at_counter(&fixture, &token, &old).await;
        assert_eq!(refused["code"], "person.badge_replaced", "{refused}");
        let lend = scan_at_counter(&fixture, &token, &fixture.boxes[0].to_string()).await;
        assert_ne!(
            lend["code"], "checkout.lent",
            "no borrower was named: {lend}"
        );
    }
    let named = scan_at_counter(&fixture, &token, &new_badge).await;
    assert_eq!(named["code"], "checkout.borrower_needs_approval", "{named}");
    let refused =
        scan_at_counter(&fixture, &supervisor_token, &supervisor.barcode.to_string()).await;
    assert_eq!(refused["code"], "person.badge_replaced", "{refused}");
    let approve = scan_at_counter(&fixture, &supervisor_token, &supervisor_badge).await;
    assert_eq!(approve["code"], "checkout.approved", "{approve}");
    let lend = scan_at_counter(&fixture, &token, &fixture.boxes[0].to_string()).await;
    assert_eq!(lend["code"], "checkout.lent", "{lend}");
    let loan = fixture
        .store
        .open_loan_of(fixture.boxes[0])
        .expect("read")
        .expect("lent");
    assert_eq!(
        (loan.borrower, loan.approver),
        (borrower.barcode, Some(supervisor.barcode)),
        "the records keep the people's own codes"
    );

    // Signing in by badge and PIN: only the new badge.
    fixture
        .store
        .set_checked_secret(
            &Actor::new("test"),
            borrower.barcode,
            crate::store::Secret::Pin,
            "2468",
        )
        .expect("write")
        .expect("a valid PIN");
    for (badge, expected) in [
        (borrower.barcode.to_string(), StatusCode::UNAUTHORIZED),
        (new_badge.clone(), StatusCode::OK),
    ] {
        let body = serde_json::json!({ "badge": badge, "pin": "2468" }).to_string();
        let (status, _) = call(&fixture, "", "POST", "/api/v1/session", &body).await;
        assert_eq!(status, expected, "{badge}");
    }

    // The badge label and the people list carry the new code (administrators only).
    let (template, data) =
        crate::printing::label_for(&fixture.store, borrower.barcode).expect("a label");
    assert_eq!(
        (template.as_str(), data.get("barcode")),
        ("badge", Some(new_badge.as_str()))
    );
    let listed = |token: String| {
        let fixture = &fixture;
        async move {
            let (status, page) = call(fixture, &token, "GET", "/api/v1/people", "").await;
            assert_eq!(status, StatusCode::OK, "{page}");
            page.as_array()
                .into_iter()
                .flatten()
                .find(|person| person["name"] == "李四")
                .cloned()
                .expect("listed")
        }
    };
    assert_eq!(listed(admin.clone()).await["badge"], new_badge);
    assert!(listed(token.clone()).await.get("badge").is_none());
    assert!(fixture.store.verify().expect("verify").is_ok());
}

/// `GET /api/v1/scans/recent` with `token` once its newest result's input is `input` (the
/// recent results are kept by a task of their own, a moment after the scan answered).
async fn recent_after(fixture: &Fixture, token: &str, input: &str) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, recent) = call(fixture, token, "GET", "/api/v1/scans/recent", "").await;
        assert_eq!(status, StatusCode::OK, "{recent}");
        let newest = recent.as_array().and_then(|all| all.last()).cloned();
        if newest.is_some_and(|newest| newest["input"] == input) {
            return recent;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no recent {input}: {recent}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Opens the live stream with `token`; answers its data stream.
async fn open_live(
    fixture: &Fixture,
    token: &str,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, axum::Error>> {
    let request = Request::builder()
        .uri(format!("/api/v1/live?token={token}"))
        .body(Body::empty())
        .expect("request");
    let response = app(fixture.state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    response.into_body().into_data_stream()
}

/// The next live event named `name` whose data satisfies `wanted`, as JSON.
async fn next_live(
    stream: &mut (impl futures_util::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin),
    name: &str,
    wanted: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    use futures_util::StreamExt;
    let mut text = String::new();
    loop {
        while let Some(end) = text.find("\n\n") {
            let frame: String = text.drain(..end + 2).collect();
            let event = frame.lines().find_map(|line| line.strip_prefix("event: "));
            let data = frame.lines().find_map(|line| line.strip_prefix("data: "));
            if let (Some(event), Some(data)) = (event, data) {
                let json: serde_json::Value = serde_json::from_str(data).expect("json data");
                if event == name && wanted(&json) {
                    return json;
                }
            }
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
            .await
            .expect("a live event within 10 s")
            .expect("the stream goes on")
            .expect("a chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn certificate_details_reach_no_clerk_by_a_scan_recent_results_or_the_live_stream() {
    let fixture = fixture().await;
    let certificate = fixture.certificate("粤(2026)第0001号", "A-1");
    let code = certificate.to_string();
    let mut clerk_live = Box::pin(open_live(&fixture, &fixture.clerk_token).await);
    let mut supervisor_live = Box::pin(open_live(&fixture, &fixture.supervisor_token).await);

    // The item route refuses a clerk; so does every other way to the same certificate.
    let (status, _) = call(
        &fixture,
        &fixture.clerk_token,
        "GET",
        &format!("/api/v1/items/{code}"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let lookup = crate::workflow::CommandCard::Lookup.barcode().to_string();
    scan_at_counter(&fixture, &fixture.clerk_token, &lookup).await;
    let scanned = scan_at_counter(&fixture, &fixture.clerk_token, &code).await;
    assert_eq!(scanned["item"]["barcode"], code.as_str(), "{scanned}");
    assert_eq!(scanned["item"]["kind"], "certificate");
    for field in ["archive_no", "title", "place", "status"] {
        assert!(scanned["item"][field].is_null(), "{field}: {scanned}");
    }
    let recent = recent_after(&fixture, &fixture.clerk_token, &code).await;
    let seen = recent
        .as_array()
        .and_then(|all| all.last())
        .expect("a result");
    assert!(seen["item"]["archive_no"].is_null(), "{recent}");
    assert!(!recent.to_string().contains("A-1"), "{recent}");
    let live = next_live(&mut clerk_live, "scan", |result| {
        result["input"] == code.as_str()
    })
    .await;
    assert!(live["item"]["archive_no"].is_null(), "{live}");
    assert!(live["item"]["title"].is_null(), "{live}");

    // Supervisors see it all.
    let recent = recent_after(&fixture, &fixture.supervisor_token, &code).await;
    let seen = recent
        .as_array()
        .and_then(|all| all.last())
        .expect("a result");
    assert_eq!(seen["item"]["archive_no"], "A-1", "{recent}");
    let live = next_live(&mut supervisor_live, "scan", |result| {
        result["input"] == code.as_str()
    })
    .await;
    assert_eq!(live["item"]["archive_no"], "A-1", "{live}");

    // Change events name items by their barcode; a clerk gets none about a certificate.
    let actor = Actor::new("test");
    let second = fixture.certificate("粤(2026)第0003号", "A-2");
    fixture
        .store
        .edit_box(
            &actor,
            fixture.boxes[1],
            &crate::store::BoxEdit {
                title: Some("担保合同".into()),
                ..crate::store::BoxEdit::default()
            },
        )
        .expect("edit");
    let registered_or_edited =
        |change: &serde_json::Value| change["kind"] == "Registered" || change["kind"] == "Edited";
    let changed = next_live(&mut clerk_live, "change", registered_or_edited).await;
    assert_eq!(
        changed["item"],
        fixture.boxes[1].to_string().as_str(),
        "{changed}"
    );
    let changed = next_live(&mut supervisor_live, "change", registered_or_edited).await;
    assert_eq!(changed["item"], second.to_string().as_str(), "{changed}");
    let changed = next_live(&mut supervisor_live, "change", registered_or_edited).await;
    assert_eq!(
        changed["item"],
        fixture.boxes[1].to_string().as_str(),
        "{changed}"
    );
}

#[tokio::test]
async fn badges_are_printed_by_administrators_and_certificate_labels_by_supervisors() {
    let fixture = with_printing(fixture().await);
    let admin = admin_token(&fixture);
    let supervisor = new_person(&fixture, "赵主管", Role::Supervisor, false);
    let certificate = fixture.certificate("粤(2026)第0002号", "A-1");
    let print = |barcode: Barcode| format!(r#"{{"barcodes":["{barcode}"]}}"#);
    let cases = [
        (
            &fixture.clerk_token,
            supervisor.barcode,
            StatusCode::FORBIDDEN,
        ),
        (&fixture.clerk_token, certificate, StatusCode::FORBIDDEN),
        (&fixture.clerk_token, fixture.boxes[0], StatusCode::CREATED),
        (
            &fixture.supervisor_token,
            supervisor.barcode,
            StatusCode::FORBIDDEN,
        ),
        (&fixture.supervisor_token, certificate, StatusCode::CREATED),
        (&admin, supervisor.barcode, StatusCode::CREATED),
    ];
    for (token, barcode, expected) in cases {
        let (status, body) = call(&fixture, token, "POST", "/api/v1/labels", &print(barcode)).await;
        assert_eq!(status, expected, "{barcode}: {body}");
        if expected == StatusCode::FORBIDDEN {
            assert_eq!(body["error"], "auth.forbidden", "{body}");
        }
    }
    // A reprint is printing too, and a badge hidden among boxes is still a badge.
    let reprint = format!(
        r#"{{"barcodes":["{}","{}"],"reprint_of":1,"reason":"标签破损"}}"#,
        fixture.boxes[0], supervisor.barcode
    );
    let (status, body) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        "/api/v1/labels",
        &reprint,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn a_loan_slip_is_printed_again_on_an_a4_printer_and_a_label_printer_is_refused() {
    let fixture = with_printing(fixture().await);
    let clerk = fixture.clerk_token.clone();
    let printing = fixture.state.archive.printing().expect("printing").clone();
    printing.add_printer(crate::printer::PrinterConfig {
        name: "zebra".into(),
        language: crate::printer::Language::Zpl,
        dpi: 203,
        connect: crate::printer::Connect::Dir {
            path: fixture._dir.path().join("zebra"),
        },
    });
    let slip = format!(
        r#"{{"borrower":"{}","purpose":"审计","boxes":[{{"box":"A-1"}}],"due":"2026-12-31"}}"#,
        fixture.clerk
    );
    let (status, slip) = call(&fixture, &clerk, "POST", "/api/v1/loanslips", &slip).await;
    assert_eq!(status, StatusCode::CREATED, "{slip}");
    let id = slip["id"].as_u64().expect("slip number");
    let uri = format!("/api/v1/loanslips/{id}/print");

    // A label printer has no A4 paper: refused by code, nothing queued.
    let (status, refused) = call(&fixture, &clerk, "POST", &uri, r#"{"printer":"zebra"}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"], "loanslip.printer_not_a4", "{refused}");
    let (status, refused) = call(&fixture, &clerk, "POST", &uri, r#"{"printer":"nowhere"}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"], "label.unknown_printer", "{refused}");
    let (status, refused) = call(
        &fixture,
        &clerk,
        "POST",
        "/api/v1/loanslips/999/print",
        r#"{"printer":"pdf"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
    assert_eq!(refused["error"], "loanslip.unknown", "{refused}");
    assert!(fixture.store.pending_jobs().expect("queue").is_empty());

    // The PDF printer takes it: one job with the slip's code, its payload the slip's PDF.
    let (status, job) = call(&fixture, &clerk, "POST", &uri, r#"{"printer":"pdf"}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert_eq!(job["printer"], "pdf", "{job}");
    assert_eq!(job["subject"], crate::printing::loan_slip_code(id).as_str());
    let queued = fixture.store.pending_jobs().expect("queue");
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].id, job["id"].as_u64().expect("job id"));
    assert_eq!(queued[0].format, crate::model::PrintFormat::Pdf);
    assert!(queued[0].payload.starts_with(b"%PDF"));
}

#[tokio::test]
async fn badge_codes_are_shown_to_supervisors_and_administrators_only() {
    let fixture = with_printing(fixture().await);
    let admin = admin_token(&fixture);
    let badge = fixture.clerk.to_string();
    let due = chrono::NaiveDate::from_ymd_opt(2026, 12, 30).expect("date");
    fixture
        .store
        .open_loan(
            &Actor::new(format!("{badge}@counter")),
            fixture.boxes[0],
            fixture.clerk,
            None,
            due,
        )
        .expect("loan");
    start_handover(&fixture, &[fixture.boxes[1]], due);
    let (status, _) = call(
        &fixture,
        &admin,
        "POST",
        "/api/v1/labels",
        &format!(r#"{{"barcodes":["{badge}"]}}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let clerk_paths = [
        "/api/v1/people".to_owned(),
        "/api/v1/loans".to_owned(),
        "/api/v1/handovers".to_owned(),
        "/api/v1/labels/queue".to_owned(),
        format!("/api/v1/items/{}/history", fixture.boxes[0]),
    ];
    for path in &clerk_paths {
        let (status, seen) = call(&fixture, &fixture.clerk_token, "GET", path, "").await;
        assert_eq!(status, StatusCode::OK, "{path}: {seen}");
        assert!(
            !seen.to_string().contains(&badge),
            "{path} shows a badge to a clerk: {seen}"
        );
    }
    let (_, people) = call(&fixture, &fixture.clerk_token, "GET", "/api/v1/people", "").await;
    assert!(
        people
            .as_array()
            .expect("a list")
            .iter()
            .all(|person| person.get("barcode").is_none()),
        "{people}"
    );
    let (_, loans) = call(&fixture, &fixture.clerk_token, "GET", "/api/v1/loans", "").await;
    assert_eq!(loans[0]["borrower"], "P**********", "{loans}");
    assert_eq!(loans[0]["borrower_name"], "张三");

    for token in [&fixture.supervisor_token, &admin] {
        let (_, people) = call(&fixture, token, "GET", "/api/v1/people", "").await;
        assert!(people.to_string().contains(&badge), "{people}");
        let (_, loans) = call(&fixture, token, "GET", "/api/v1/loans", "").await;
        assert_eq!(loans[0]["borrower"], badge.as_str(), "{loans}");
    }

    // A badge scanned through the API by a clerk comes back masked, in the answer and in
    // the recent results; a supervisor sees the code.
    let answer = scan_at_counter(&fixture, &fixture.clerk_token, &badge).await;
    assert_eq!(answer["input"], "P**********", "{answer}");
    assert_eq!(answer["item"]["barcode"], "P**********", "{answer}");
    assert_eq!(answer["item"]["title"], "张三", "{answer}");
    let recent = recent_after(&fixture, &fixture.supervisor_token, &badge).await;
    assert_eq!(
        recent.as_array().and_then(|all| all.last()).expect("one")["item"]["barcode"],
        badge.as_str()
    );
    let (_, recent) = call(
        &fixture,
        &fixture.clerk_token,
        "GET",
        "/api/v1/scans/recent",
        "",
    )
    .await;
    assert!(!recent.to_string().contains(&badge), "{recent}");
    assert!(recent.to_string().contains("P**********"), "{recent}");
}

#[tokio::test]
async fn an_approval_recorded_by_an_admin_names_the_admin_as_actor_and_the_supervisor_as_approver()
{
    let fixture = fixture().await;
    let admin = admin_token(&fixture);
    let admin_badge = fixture
        .store
        .authenticate(&admin)
        .expect("read")
        .expect("live token")
        .1
        .barcode;
    let supervisor = new_person(&fixture, "赵主管", Role::Supervisor, false);
    let borrower = new_person(&fixture, "李四", Role::Clerk, false);
    let body = format!(
        r#"{{"borrower":"{}","approver":"{}"}}"#,
        borrower.barcode, supervisor.barcode
    );
    let (status, answer) = call(&fixture, &admin, "POST", "/api/v1/loans/approvals", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let history = fixture.store.history(borrower.barcode).expect("history");
    let approved = history
        .iter()
        .find(|event| event.body.kind == crate::event::EventKind::LoanApproved)
        .expect("the approval's event");
    assert_eq!(approved.body.actor, format!("{admin_badge}@api"));
    let approver = approved
        .body
        .changes
        .iter()
        .find(|change| change.field == "approver")
        .expect("the approver");
    assert_eq!(approver.after.as_deref(), Some("赵主管"));
    let recorded = fixture
        .store
        .approval_for(
            borrower.barcode,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("date"),
        )
        .expect("read")
        .expect("recorded");
    assert_eq!(recorded.approver, supervisor.barcode);
}

/// Waits (in real time: the store works on the blocking pool) until `ready` holds, letting
/// the other futures of the test go on meanwhile (and paused time stand still); the
/// deadline only guards against a hang.
async fn wait_for(what: &str, ready: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !ready() {
        assert!(std::time::Instant::now() < deadline, "never {what}");
        std::thread::sleep(std::time::Duration::from_millis(1));
        tokio::task::yield_now().await;
    }
}

/// Moves the paused clock past the request time limit (a blocking task under way keeps
/// tokio from advancing it by itself), and lets the request see it.
async fn time_limit_passes() {
    tokio::time::advance(REQUEST_TIMEOUT + std::time::Duration::from_secs(1)).await;
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_write_committed_before_the_time_limit_is_answered_with_its_change() {
    use crate::store::tamper;
    let fixture = fixture().await;
    let committed = tamper::committed(&fixture.store);
    // The flush is held back: the write commits, then waits past the time limit.
    tamper::hold_flushes(&fixture.store);
    let register = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        "/api/v1/boxes/register",
        r#"{"title":"借款合同","customer":"鸿达贸易","archive_no":"T-1"}"#,
    );
    let ((status, body), ()) = tokio::join!(register, async {
        wait_for("committed", || {
            tamper::committed(&fixture.store) > committed
        })
        .await;
        time_limit_passes().await;
        tamper::release_flushes(&fixture.store);
    });
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["archive_no"], "T-1");
    assert!(fixture
        .store
        .box_by_archive_no("T-1")
        .expect("read")
        .is_some());
}

#[tokio::test(start_paused = true)]
async fn a_request_that_timed_out_waiting_for_the_writer_lock_changes_nothing() {
    use crate::store::tamper;
    let fixture = fixture().await;
    let (head, _) = fixture.store.head();
    let held = tamper::hold_writer(fixture.store.clone());
    let register = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        "/api/v1/boxes/register",
        r#"{"title":"借款合同","customer":"鸿达贸易","archive_no":"T-2"}"#,
    );
    let ((status, body), ()) = tokio::join!(register, async {
        wait_for("waiting for the writer lock", || {
            tamper::pending_writers(&fixture.store) > 0
        })
        .await;
        time_limit_passes().await;
        drop(held);
        // The writer gets the lock after its request was answered, and gives up.
        wait_for("the writer done", || {
            tamper::pending_writers(&fixture.store) == 0
        })
        .await;
    });
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"], "request.timeout");
    assert_eq!(fixture.store.head().0, head, "nothing was recorded");
    assert!(fixture
        .store
        .box_by_archive_no("T-2")
        .expect("read")
        .is_none());
}
