//! Handler tests: the app called as a service (`app(state).oneshot(request)`), on a real
//! sled store in a temp dir with an injected clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use super::*;
use crate::model::HandoverStage;
use crate::store::{Actor, NewBox, NewPerson, StoreOptions};
use crate::workflow::WorkflowConfig;

/// 2026-11-27 09:00 UTC.
const START: i64 = 1_795_770_000_000;
const DAY: i64 = 24 * 3600 * 1000;

struct Fixture {
    _dir: tempfile::TempDir,
    clock: Arc<AtomicI64>,
    state: AppState,
    store: Arc<Store>,
    clerk_token: String,
    supervisor_token: String,
    clerk: Barcode,
    boxes: Vec<Barcode>,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(AtomicI64::new(START));
    let tick = clock.clone();
    let store = Arc::new(
        Store::open(
            dir.path(),
            StoreOptions {
                clock: Arc::new(move || tick.load(Ordering::SeqCst)),
                ..StoreOptions::default()
            },
        )
        .expect("store"),
    );
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

async fn call(
    fixture: &Fixture,
    token: &str,
    method: &str,
    uri: &str,
    body: &str,
) -> (StatusCode, serde_json::Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request");
    let response = app(fixture.state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, json)
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
    let actor = Actor::new("test");
    let deadline = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    fixture
        .store
        .write(&actor, |tx| {
            tx.start_handover(
                HandoverStage::OfficerToOfficer,
                fixture.clerk,
                fixture.clerk,
                &fixture.boxes,
                &[],
                deadline,
            )
        })
        .expect("handover");
    assert_eq!(handover_state(&fixture).await, "normal");
    fixture.clock.store(START + 3 * DAY, Ordering::SeqCst); // the deadline day
    assert_eq!(handover_state(&fixture).await, "warning");
    fixture.clock.store(START + 4 * DAY, Ordering::SeqCst);
    assert_eq!(handover_state(&fixture).await, "overdue");
}

#[tokio::test]
async fn bad_requests_get_a_clear_4xx_in_one_shape() {
    let fixture = fixture().await;
    let token = fixture.clerk_token.clone();
    let huge = format!(
        r#"{{"workstation":"counter","data":"{}"}}"#,
        "B".repeat(100_000)
    );
    for (method, uri, body, expected) in [
        (
            "POST",
            "/api/v1/scans",
            "{not json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            "/api/v1/scans",
            r#"{"workstation":"counter","data":"x","extra":1}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            "/api/v1/scans",
            r#"{"workstation":"nowhere","data":"x"}"#,
            StatusCode::NOT_FOUND,
        ),
        (
            "GET",
            "/api/v1/boxes?limit=100000&customer=a",
            "",
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            "/api/v1/items/B0000000019",
            "",
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            "/api/v1/items/..%2F..%2Fetc%2Fpasswd",
            "",
            StatusCode::BAD_REQUEST,
        ),
        ("GET", "/../../etc/passwd", "", StatusCode::NOT_FOUND),
        ("GET", "/api/v1/nothing-here", "", StatusCode::NOT_FOUND),
        (
            "POST",
            "/api/v1/scans",
            &huge,
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ] {
        let (status, body) = call(&fixture, &token, method, uri, body).await;
        assert_eq!(status, expected, "{method} {uri}: {body}");
        assert!(body["error"].is_string(), "{method} {uri}: {body}");
        assert!(
            body["message"]["zh"].is_string() && body["message"]["en"].is_string(),
            "{body}"
        );
    }
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
    assert_eq!(document["openapi"], "3.0.3");
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
            .replace("{id}", "999");
        let body = if method == "post" { "{}" } else { "" };
        if path == "/api/v1/live" {
            continue; // a stream that never ends; its route is tested end to end
        }
        let (status, answer) = call(&fixture, &token, &method.to_uppercase(), &uri, body).await;
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_ne!(
            answer["error"], "not_found",
            "{method} {path} is documented but not served"
        );
        // The other method on the same path is not served.
        let other = if method == "get" { "POST" } else { "GET" };
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
    let request = |uri: &str, token: &str| {
        Request::builder()
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request")
    };
    let response = app(fixture.state.clone())
        .oneshot(request(
            "/api/v1/reports/ledger.csv",
            &fixture.supervisor_token,
        ))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.starts_with('\u{feff}') && text.contains("档案号,题名"),
        "{text}"
    );
    assert!(
        text.contains("A-1,借款合同,客户1") && text.contains("A-2,借款合同,客户2"),
        "{text}"
    );

    let response = app(fixture.state.clone())
        .oneshot(request(
            "/api/v1/reports/loans.xlsx",
            &fixture.supervisor_token,
        ))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    assert!(bytes.starts_with(b"PK\x03\x04"), "an XLSX is a zip file");

    let response = app(fixture.state.clone())
        .oneshot(request("/api/v1/reports/ledger.xlsx", &fixture.clerk_token))
        .await
        .expect("infallible");
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "reports are for supervisors"
    );
}

#[tokio::test]
async fn registering_editing_printing_and_people_through_the_api() {
    let mut fixture = fixture().await;
    let config = crate::config::Config::parse(
        &format!(
            "data_dir = \"{}\"\n[[scheme]]\nname = \"loan\"\ntemplate = \"{{year}}鸿借字第{{seq:03}}号\"\n",
            fixture._dir.path().join("cfg-data").display()
        ),
        "test",
    )
    .expect("config");
    let printing = Arc::new(crate::printing::Printing::new(&config));
    fixture.state = fixture
        .state
        .clone()
        .with_printing(Arc::new(config), printing);
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
            .replace("{id}", "1");
        let body = match endpoint.path {
            "/api/v1/loans/approvals" => format!(r#"{{"borrower": "{}"}}"#, fixture.clerk),
            "/api/v1/people/add" => r#"{"name": "新人", "role": "clerk"}"#.to_owned(),
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
