//! Notifications through the API and the live stream (issue #14, reminding and urging):
//! each person reaches only their own, on a real store with an injected clock.

use super::*;
use crate::tasks::UrgeRules;

const HOUR: i64 = 3600 * 1000;

/// One scheduler pass at `START + hours`.
fn pass(fixture: &Fixture, hours: i64, urge: &UrgeRules) -> usize {
    let now = START + hours * HOUR;
    fixture.clock.store(now, Ordering::SeqCst);
    let rules = fixture.state.archive.engine().task_rules();
    fixture
        .store
        .remind_pass(&Actor::new("scheduler"), now, &rules, urge)
        .expect("pass")
        .0
        .len()
}

#[tokio::test]
async fn each_person_lists_and_hears_only_their_own_notifications_and_marks_them_read() {
    let fixture = fixture().await;
    let other = new_person(&fixture, "李档案员", Role::Clerk, false);
    let other_token = fixture
        .store
        .create_token(&Actor::new("test"), other.barcode, "")
        .expect("token")
        .secret;
    let body = serde_json::json!({
        "external_id": "CRM-N1",
        "category": "借款",
        "step": "放款完成",
        "customer": "鸿达贸易",
        "responsible": fixture.clerk.to_string(),
    })
    .to_string();
    let (status, posted) = call(
        &fixture,
        &fixture.supervisor_token,
        "POST",
        "/api/v1/tasks",
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    let task = posted["id"].as_u64().expect("id");
    let mut clerk_live = Box::pin(open_live(&fixture, &fixture.clerk_token).await);
    let mut other_live = Box::pin(open_live(&fixture, &other_token).await);

    let urge = UrgeRules {
        repeat_hours: 24,
        escalate_after: 0,
    };
    assert_eq!(pass(&fixture, 24, &urge), 1, "warning: the owner");
    let heard = next_live(&mut clerk_live, "notification", |_| true).await;
    assert_eq!(heard[0]["reminder"], "warning", "{heard}");
    assert_eq!(heard[0]["task"], task);
    assert_eq!(
        pass(&fixture, 72, &urge),
        2,
        "the first repeat is escalated"
    );

    let list = |token: String, query: String| {
        let fixture = &fixture;
        async move {
            call(
                fixture,
                &token,
                "GET",
                &format!("/api/v1/notifications{query}"),
                "",
            )
            .await
        }
    };
    let (status, mine) = list(fixture.clerk_token.clone(), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let reminders: Vec<&str> = mine
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|n| n["reminder"].as_str())
        .collect();
    assert_eq!(reminders, ["repeat", "warning"], "newest first: {mine}");
    assert_eq!(mine[0]["repeat"], 1);
    assert_eq!(mine[0]["escalated"], false);
    let (_, supervisor) = list(fixture.supervisor_token.clone(), String::new()).await;
    assert_eq!(supervisor.as_array().map(Vec::len), Some(1), "{supervisor}");
    assert_eq!(supervisor[0]["escalated"], true);
    let (_, theirs) = list(other_token.clone(), String::new()).await;
    assert_eq!(theirs, serde_json::json!([]), "not theirs");
    let (_, first) = list(fixture.clerk_token.clone(), "?limit=1".to_owned()).await;
    assert_eq!(first.as_array().map(Vec::len), Some(1));
    assert_eq!(first[0]["id"], mine[0]["id"]);

    // Marking read: one's own only; another person's is unknown and stays unread.
    let id = mine[1]["id"].as_u64().expect("id");
    let (status, refused) = call(
        &fixture,
        &other_token,
        "POST",
        &format!("/api/v1/notifications/{id}/read"),
        "",
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("notification.unknown"))
    );
    let (status, read) = call(
        &fixture,
        &fixture.clerk_token,
        "POST",
        &format!("/api/v1/notifications/{id}/read"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["read"], true);
    let (_, older) = list(
        fixture.clerk_token.clone(),
        format!("?before={}", mine[0]["id"]),
    )
    .await;
    assert_eq!(older[0]["id"], id);
    assert_eq!(older[0]["read"], true);

    // The live stream: the owner hears the repeat; the other clerk hears nothing of
    // either (a later change of their own is the first thing they get).
    let heard = next_live(&mut clerk_live, "notification", |list| {
        list[0]["reminder"] == "repeat"
    })
    .await;
    assert_eq!(heard[0]["escalated"], false);
    let (status, _) = call(
        &fixture,
        &fixture.supervisor_token,
        "POST",
        "/api/v1/tasks",
        &body.replace("CRM-N1", "CRM-N2"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let events = live_until(&mut other_live, "TaskCreated").await;
    assert!(
        events.iter().all(|(name, _)| name != "notification"),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .all(|(_, data)| data["kind"] != "TaskReminded"),
        "a reminder's change is its recipients' alone: {events:?}"
    );
}

/// Every live event up to the change of kind `kind`, as (name, data).
async fn live_until(
    stream: &mut (impl futures_util::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin),
    kind: &str,
) -> Vec<(String, serde_json::Value)> {
    use futures_util::StreamExt;
    let mut text = String::new();
    let mut out = Vec::new();
    loop {
        while let Some(end) = text.find("\n\n") {
            let frame: String = text.drain(..end + 2).collect();
            let event = frame.lines().find_map(|line| line.strip_prefix("event: "));
            let data = frame.lines().find_map(|line| line.strip_prefix("data: "));
            if let (Some(event), Some(data)) = (event, data) {
                let json: serde_json::Value = serde_json::from_str(data).expect("json data");
                let done = event == "change" && json["kind"] == kind;
                out.push((event.to_owned(), json));
                if done {
                    return out;
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
