//! Archive tasks from the business systems end to end: the real daemon, tokens made with
//! the real CLI (through the running daemon's control socket) and through the admin API,
//! real HTTP over loopback.

mod common;

use common::{http_get_as, http_post_as, person_with_token, run, station, stderr, stdout, Daemon};

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"))
}

#[test]
fn an_integration_token_posts_a_task_once_and_its_person_sees_it_in_their_inbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let daemon = Daemon::start(&data);
    assert!(
        daemon.token.starts_with("ast_"),
        "the first administrator's token"
    );

    // The responsible account manager and their own token.
    let (manager, manager_token) = person_with_token(&data, "王客户经理", "clerk");
    // The business system: an integration token made by the CLI through the daemon.
    let system =
        run(station(&data).args(["person", "add", "--name", "信贷系统", "--role", "clerk"]));
    assert!(system.status.success(), "{}", stderr(&system));
    let system = stdout(&system)
        .split('\t')
        .next()
        .unwrap_or_default()
        .to_owned();
    let created = run(station(&data).args([
        "token",
        "create",
        "--person",
        &system,
        "--label",
        "CRM",
        "--kind",
        "integration",
    ]));
    assert!(created.status.success(), "{}", stderr(&created));
    let token = stdout(&created).trim().to_owned();
    assert!(token.starts_with("ast_"), "{token}");

    // A box the task names, registered by the administrator.
    let (status, body) = daemon.post(
        "/api/v1/boxes/register",
        r#"{"title": "借款合同", "customer": "鸿达贸易", "category": "借款", "archive_no": "2026借001"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let archive_box = json(&body)["barcode"].as_str().expect("barcode").to_owned();

    let task = serde_json::json!({
        "external_id": "CRM-2026-0001",
        "category": "借款",
        "step": "放款完成",
        "box": archive_box,
        "responsible": manager,
        "loan_project": true,
    })
    .to_string();
    let (status, first) = http_post_as(daemon.addr, "/api/v1/tasks", &task, &token);
    assert_eq!(status, 201, "{first}");
    let (status, again) = http_post_as(daemon.addr, "/api/v1/tasks", &task, &token);
    assert_eq!(status, 200, "the replay: {again}");
    let (first, again) = (json(&first), json(&again));
    assert_eq!(first["id"], again["id"], "one task");
    assert_eq!(
        first["limits"]["handover"],
        serde_json::json!({"working_days": 2})
    );

    // One event, in the box's history.
    let (status, history) = daemon.get(&format!("/api/v1/items/{archive_box}/history"));
    assert_eq!(status, 200, "{history}");
    let created = json(&history)
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["kind"] == "TaskCreated")
        .count();
    assert_eq!(created, 1, "{history}");

    // The integration token does nothing else.
    for path in [
        "/api/v1/tasks",
        "/api/v1/people",
        &format!("/api/v1/items/{archive_box}"),
    ] {
        let (status, body) = http_get_as(daemon.addr, path, &token);
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(json(&body)["error"], "auth.integration_only", "{path}");
    }

    // The responsible person sees it in their inbox, with its state.
    let (status, inbox) = http_get_as(daemon.addr, "/api/v1/tasks", &manager_token);
    assert_eq!(status, 200, "{inbox}");
    let inbox = json(&inbox);
    assert_eq!(inbox.as_array().map(Vec::len), Some(1), "{inbox}");
    assert_eq!(inbox[0]["id"], first["id"]);
    assert_eq!(inbox[0]["step"], "add");
    assert_eq!(inbox[0]["state"], "normal");
}

#[test]
fn the_admin_api_and_the_cli_without_the_daemon_make_integration_tokens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // Without a daemon: the CLI opens the store itself.
    let first = Daemon::start(&data);
    let admin = first.token.clone();
    first.terminate();
    let system =
        run(station(&data).args(["person", "add", "--name", "营销系统", "--role", "clerk"]));
    assert!(system.status.success(), "{}", stderr(&system));
    let system = stdout(&system)
        .split('\t')
        .next()
        .unwrap_or_default()
        .to_owned();
    let offline = run(station(&data).args([
        "token",
        "create",
        "--person",
        &system,
        "--kind",
        "integration",
    ]));
    assert!(offline.status.success(), "{}", stderr(&offline));
    let offline = stdout(&offline).trim().to_owned();
    let refused =
        run(station(&data).args(["token", "create", "--person", &system, "--kind", "robot"]));
    assert!(!refused.status.success(), "an unknown kind is refused");

    let daemon = Daemon::start(&data);
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/tokens/create",
        &format!(r#"{{"person": "{system}", "kind": "integration"}}"#),
        &admin,
    );
    assert_eq!(status, 201, "{body}");
    let online = json(&body)["secret"].as_str().expect("secret").to_owned();
    let (status, body) = http_post_as(
        daemon.addr,
        "/api/v1/tokens/create",
        &format!(r#"{{"person": "{system}", "kind": "robot"}}"#),
        &admin,
    );
    assert_eq!(
        (status, json(&body)["error"].as_str()),
        (400, Some("token.unknown_kind"))
    );
    let (status, tokens) = http_get_as(daemon.addr, "/api/v1/tokens", &admin);
    assert_eq!(status, 200, "{tokens}");
    let kinds: Vec<String> = json(&tokens)
        .as_array()
        .expect("tokens")
        .iter()
        .map(|token| token["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(kinds, ["person", "integration", "integration"]);
    for token in [&offline, &online] {
        let (status, body) = http_get_as(daemon.addr, "/api/v1/session", token);
        assert_eq!(
            (status, json(&body)["error"].as_str()),
            (403, Some("auth.integration_only"))
        );
    }
}
