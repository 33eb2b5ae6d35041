//! Archive tasks through the API: integration tokens, idempotent posts, the inbox and
//! advancing a step, on a real store with an injected clock.

use super::*;
use crate::event::EventKind;

const HOUR: i64 = 3600 * 1000;

/// An integration token created by an administrator through the API.
async fn integration_token(fixture: &Fixture) -> String {
    let admin = admin_token(fixture);
    let system = new_person(fixture, "信贷系统", Role::Clerk, false);
    let (status, answer) = call(
        fixture,
        &admin,
        "POST",
        "/api/v1/tokens/create",
        &format!(
            r#"{{"person": "{}", "label": "CRM", "kind": "integration"}}"#,
            system.barcode
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["kind"], "integration");
    answer["secret"].as_str().expect("secret").to_owned()
}

fn task_body(fixture: &Fixture, external_id: &str, step: &str) -> String {
    serde_json::json!({
        "external_id": external_id,
        "category": "借款",
        "step": step,
        "customer": "鸿达贸易",
        "responsible": fixture.clerk.to_string(),
    })
    .to_string()
}

fn task_events(fixture: &Fixture) -> usize {
    let (head, _) = fixture.store.head();
    fixture
        .store
        .events(1, head as usize)
        .expect("events")
        .into_iter()
        .filter(|event| event.body.kind == EventKind::TaskCreated)
        .count()
}

#[tokio::test]
async fn an_integration_token_posts_a_task_once_and_is_refused_on_every_other_route() {
    let fixture = fixture().await;
    let token = integration_token(&fixture).await;

    let body = task_body(&fixture, "CRM-1", "放款完成");
    let (status, first) = call(&fixture, &token, "POST", "/api/v1/tasks", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["step"], "add");
    assert_eq!(first["state"], "normal");
    let (status, again) = call(&fixture, &token, "POST", "/api/v1/tasks", &body).await;
    assert_eq!(status, StatusCode::OK, "a replay: {again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(task_events(&fixture), 1, "one task, one event");
    let other = task_body(&fixture, "CRM-1", "合同签订");
    let (status, conflict) = call(&fixture, &token, "POST", "/api/v1/tasks", &other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["error"], "task.conflict");
    assert_eq!(task_events(&fixture), 1);

    // Every other route refuses it, whatever it is, before it runs.
    let sample = fixture.boxes[0].to_string();
    let mut refused = 0;
    for endpoint in endpoints() {
        if endpoint.role.is_none() || endpoint.integration {
            continue;
        }
        let uri = endpoint
            .path
            .replace("{barcode}", &sample)
            .replace("{file}", "ledger.csv")
            .replace("{id}", "1")
            .replace("{name}", "nothing");
        let (status, answer) = call(
            &fixture,
            &token,
            &endpoint.method.to_uppercase(),
            &uri,
            "{}",
        )
        .await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (StatusCode::FORBIDDEN, Some("auth.integration_only")),
            "{} {}: {answer}",
            endpoint.method,
            endpoint.path
        );
        refused += 1;
    }
    assert!(refused > 40, "{refused} routes");
    // The live stream with the token in its query, and a scan through the API.
    let (status, answer) = call(
        &fixture,
        "",
        "GET",
        &format!("/api/v1/live?token={token}"),
        "",
    )
    .await;
    assert_eq!(answer["error"], "auth.integration_only", "{status}");
    let (status, answer) = call(
        &fixture,
        &token,
        "POST",
        "/api/v1/scans",
        r#"{"workstation": "counter", "input": "INTAKE"}"#,
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("auth.integration_only"))
    );
}

#[tokio::test]
async fn the_inbox_shows_a_persons_own_work_with_its_state_and_they_advance_it() {
    let fixture = fixture().await;
    let (status, posted) = call(
        &fixture,
        &fixture.supervisor_token,
        "POST",
        "/api/v1/tasks",
        &task_body(&fixture, "CRM-2", "放款完成"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    let id = posted["id"].as_u64().expect("id");
    let due = posted["due_at"].as_i64().expect("due");
    assert_eq!(due - START, 48 * HOUR, "to add: 48 hours");

    let inbox = |token: String, query: &'static str| {
        let fixture = &fixture;
        async move { call(fixture, &token, "GET", &format!("/api/v1/tasks{query}"), "").await }
    };
    let (status, mine) = inbox(fixture.clerk_token.clone(), "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(mine[0]["state"], "normal");
    let (_, theirs) = inbox(fixture.supervisor_token.clone(), "").await;
    assert_eq!(
        theirs,
        serde_json::json!([]),
        "not the supervisor's own step"
    );
    let (_, all) = inbox(fixture.supervisor_token.clone(), "?scope=all").await;
    assert_eq!(all[0]["id"], id);
    let (status, answer) = inbox(fixture.clerk_token.clone(), "?scope=all").await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("auth.forbidden"))
    );

    // 47 hours on: within the (default 24-hour) warning; at 48 hours overdue.
    fixture.clock.store(START + 47 * HOUR, Ordering::SeqCst);
    let (_, mine) = inbox(fixture.clerk_token.clone(), "").await;
    assert_eq!(mine[0]["state"], "warning");
    fixture.clock.store(START + 48 * HOUR, Ordering::SeqCst);
    let (_, mine) = inbox(fixture.clerk_token.clone(), "").await;
    assert_eq!(mine[0]["state"], "overdue");

    // Someone else's step is refused; the owner's click moves it on.
    let other = new_person(&fixture, "李四", Role::Clerk, false);
    let other_token = fixture
        .store
        .create_token(&Actor::new("test"), other.barcode, "")
        .expect("token")
        .secret;
    let advance = format!("/api/v1/tasks/{id}/advance");
    let (status, answer) = call(
        &fixture,
        &other_token,
        "POST",
        &advance,
        r#"{"step": "add"}"#,
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("task.not_yours"))
    );
    let (status, moved) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        &advance,
        r#"{"step": "add"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["step"], "send");
    assert_eq!(moved["history"][0]["on_time"], false);
    let (status, answer) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        &advance,
        r#"{"step": "add"}"#,
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("task.wrong_step"))
    );
    let (status, one) = call(
        &fixture,
        &fixture.clerk_token,
        "GET",
        &format!("/api/v1/tasks/{id}"),
        "",
    )
    .await;
    assert_eq!(
        (status, one["step"].as_str()),
        (StatusCode::OK, Some("send"))
    );
}
