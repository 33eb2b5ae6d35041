//! Contents lists, completeness, handovers with a reason and supplement lists, through the
//! API on a real store.

use super::*;
use crate::event::EventKind;

/// Every required document of the shipped loan-project checklist, signed where needed.
fn complete_loan_documents() -> Vec<serde_json::Value> {
    let checklists = crate::contents::Checklists::builtin().expect("valid");
    let loan = checklists.for_category("借款").expect("loan");
    loan.items
        .iter()
        .filter(|item| item.required)
        .map(|item| {
            let mut document = serde_json::json!({
                "name": item.name,
                "doc_type": item.name,
                "pages": 3,
                "date": "2026-11-20",
            });
            if item.signature.is_some() {
                document["signed"] = serde_json::json!(true);
            }
            document
        })
        .collect()
}

fn make_loan_box(fixture: &Fixture, barcode: Barcode) {
    fixture
        .store
        .edit_box(
            &Actor::new("test"),
            barcode,
            &crate::store::BoxEdit {
                category: Some("借款".into()),
                ..Default::default()
            },
        )
        .expect("category");
}

#[tokio::test]
async fn a_contents_list_is_replaced_edited_and_shown_with_totals_and_completeness() {
    let fixture = fixture().await;
    let clerk = fixture.clerk_token.clone();
    let barcode = fixture.boxes[0];
    make_loan_box(&fixture, barcode);
    let uri = format!("/api/v1/boxes/{barcode}/contents");
    let (status, empty) = call(&fixture, &clerk, "GET", &uri, "").await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty["document_count"], 0);
    assert_eq!(empty["state"], "incomplete");
    assert_eq!(empty["completeness"]["checklist"], "借款担保项目");

    let body = serde_json::json!({
        "documents": [
            {"name": "项目审批表", "doc_type": "项目审批表", "pages": 2, "date": "2026-11-01", "signed": true},
            {"name": "借款合同（2026鸿借字第001号）", "doc_type": "借款合同", "pages": 12,
             "original": false, "expiry": "2029-11-30", "signed": false},
        ],
        "expiry": "2029-11-30",
    });
    let (status, view) = call(&fixture, &clerk, "PUT", &uri, &body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["document_count"], 2);
    assert_eq!(view["pages"], 14);
    assert_eq!(view["expiry"], "2029-11-30");
    assert_eq!(view["documents"][1]["position"], 2);
    assert_eq!(view["documents"][1]["original"], false);
    let unsigned: Vec<&str> = view["completeness"]["unsigned"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|lack| lack["name"].as_str())
        .collect();
    assert_eq!(unsigned, ["借款合同"]);
    let missing = view["completeness"]["missing"].as_array().expect("list");
    assert!(missing.iter().any(|lack| lack["name"] == "保证合同"));
    assert!(!missing.iter().any(|lack| lack["name"] == "借款合同"));

    // One document added at the front: the list shifts, totals follow.
    let add = r#"{"op":"add","position":1,"document":{"name":"放款审批单","pages":1}}"#;
    let (status, view) = call(&fixture, &clerk, "POST", &uri, add).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["documents"][0]["name"], "放款审批单");
    assert_eq!(view["pages"], 15);
    let (status, view) = call(
        &fixture,
        &clerk,
        "POST",
        &uri,
        r#"{"op":"remove","position":1}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["pages"], 14);

    // Each change is an event with before → after.
    let history = fixture.store.history(barcode).expect("history");
    let changed: Vec<_> = history
        .iter()
        .filter(|event| event.body.kind == EventKind::ContentsChanged)
        .collect();
    assert_eq!(changed.len(), 3);
    assert!(kinds(&fixture, barcode).contains(&EventKind::ExpirySet));

    // The box's detail carries the summary.
    let (status, item) = call(
        &fixture,
        &clerk,
        "GET",
        &format!("/api/v1/items/{barcode}"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(item["contents"]["document_count"], 2);
    assert_eq!(item["contents"]["pages"], 14);
    assert_eq!(item["contents"]["state"], "incomplete");
}

#[tokio::test]
async fn a_bad_contents_change_is_refused_by_code_and_changes_nothing() {
    let fixture = fixture().await;
    let clerk = fixture.clerk_token.clone();
    let barcode = fixture.boxes[0];
    let uri = format!("/api/v1/boxes/{barcode}/contents");
    let head = fixture.store.head().0;
    for (body, status, code) in [
        (
            r#"{"documents":[{"name":"借款合同","pages":0}]}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "contents.bad_pages",
        ),
        (
            r#"{"documents":[{"name":" ","pages":3}]}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "contents.no_name",
        ),
        (
            r#"{"documents":[{"name":"甲","pages":3,"colour":"red"}]}"#,
            StatusCode::BAD_REQUEST,
            "request.unknown_field",
        ),
    ] {
        let (got, answer) = call(&fixture, &clerk, "PUT", &uri, body).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{body}: {answer}"
        );
    }
    for (body, code) in [
        (r#"{"op":"remove","position":4}"#, "contents.no_position"),
        (
            r#"{"op":"set","position":0,"document":{"name":"甲","pages":1}}"#,
            "contents.no_position",
        ),
    ] {
        let (got, answer) = call(&fixture, &clerk, "POST", &uri, body).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
            "{body}"
        );
    }
    let (got, answer) = call(&fixture, &clerk, "POST", &uri, r#"{"op":"shuffle"}"#).await;
    assert_eq!(got, StatusCode::BAD_REQUEST, "{answer}");
    // A location is not a box.
    let shelf = fixture
        .store
        .ensure_location(&Actor::new("test"), "1号库房/01列/A面/1节/1层")
        .expect("shelf");
    let (got, answer) = call(
        &fixture,
        &clerk,
        "GET",
        &format!("/api/v1/boxes/{}/contents", shelf.barcode),
        "",
    )
    .await;
    assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let head_after_shelf = fixture.store.head().0;
    assert!(head_after_shelf > head, "the shelf was registered");
    let (_, view) = call(&fixture, &clerk, "GET", &uri, "").await;
    assert_eq!(view["document_count"], 0);
    assert!(!kinds(&fixture, barcode).contains(&EventKind::ContentsChanged));
}

#[tokio::test]
async fn an_incomplete_box_is_handed_over_only_with_a_reason_and_b_asks_for_supplements() {
    let fixture = fixture().await;
    let clerk = fixture.clerk_token.clone();
    let barcode = fixture.boxes[0];
    make_loan_box(&fixture, barcode);
    let officer_b = fixture
        .store
        .add_person(
            &Actor::new("test"),
            &NewPerson {
                name: "李四".into(),
                role: Role::Clerk,
                borrow_directly: false,
            },
        )
        .expect("B");
    let b_token = fixture
        .store
        .create_token(&Actor::new("test"), officer_b.barcode, "")
        .expect("token")
        .secret;
    // Everything but 保证合同 and 财务报表.
    let mut documents = complete_loan_documents();
    documents.retain(|document| document["name"] != "保证合同" && document["name"] != "财务报表");
    let uri = format!("/api/v1/boxes/{barcode}/contents");
    let (status, view) = call(
        &fixture,
        &clerk,
        "PUT",
        &uri,
        &serde_json::json!({"documents": documents}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");

    let start =
        serde_json::json!({"to": officer_b.barcode.to_string(), "items": [barcode.to_string()]});
    let (status, refused) = call(
        &fixture,
        &clerk,
        "POST",
        "/api/v1/handovers",
        &start.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"], "handover.incomplete");
    assert!(
        fixture.store.open_handovers().expect("open").is_empty(),
        "nothing started"
    );

    let mut with_reason = start.clone();
    with_reason["reason"] = serde_json::json!("保证合同在客户处盖章，周五补交");
    let (status, started) = call(
        &fixture,
        &clerk,
        "POST",
        "/api/v1/handovers",
        &with_reason.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    assert_eq!(started["stage"], "officer_to_officer");
    let id = started["id"].as_u64().expect("id");
    let history = fixture.store.history(barcode).expect("history");
    let noted = history
        .iter()
        .find(|event| event.body.kind == EventKind::HandedOverIncomplete)
        .expect("the reason is recorded");
    assert!(noted
        .body
        .changes
        .iter()
        .any(|change| change.field == "reason"
            && change.after.as_deref() == Some("保证合同在客户处盖章，周五补交")));

    // B's review: the supplement list names the two documents.
    let (status, list) = call(
        &fixture,
        &b_token,
        "POST",
        &format!("/api/v1/handovers/{id}/supplement"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    let lacks: Vec<&str> = list["boxes"][0]["lacks"]
        .as_array()
        .expect("lacks")
        .iter()
        .filter_map(|lack| lack["name"].as_str())
        .collect();
    assert_eq!(lacks, ["保证合同", "财务报表"]);
    assert_eq!(
        (list["to_name"].as_str(), list["by_name"].as_str()),
        (Some("张三"), Some("李四"))
    );
    let (_, view) = call(&fixture, &clerk, "GET", &uri, "").await;
    assert_eq!(view["state"], "awaiting_supplement", "{view}");
    assert_eq!(view["supplement"]["handover"], id);

    // A adds one: still waiting; adds the other: complete, and that is recorded.
    let add = |name: &str| {
        serde_json::json!({"op": "add", "document": {"name": name, "doc_type": name, "pages": 4, "signed": true}})
            .to_string()
    };
    let (_, view) = call(&fixture, &clerk, "POST", &uri, &add("保证合同")).await;
    assert_eq!(view["state"], "awaiting_supplement", "{view}");
    let (_, view) = call(&fixture, &clerk, "POST", &uri, &add("财务报表")).await;
    assert_eq!(view["state"], "complete", "{view}");
    assert!(view["supplement"].is_null());
    assert!(kinds(&fixture, barcode).contains(&EventKind::SupplementCompleted));
    let (status, refused) = call(
        &fixture,
        &b_token,
        "POST",
        &format!("/api/v1/handovers/{id}/supplement"),
        "",
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("handover.no_supplement")
        )
    );
    // Complete now: handed on without a reason.
    let (status, started) = call(
        &fixture,
        &b_token,
        "POST",
        "/api/v1/handovers",
        &serde_json::json!({"to": fixture.clerk.to_string(), "items": [barcode.to_string()]})
            .to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
}

#[tokio::test]
async fn the_checklists_are_listed_with_their_items() {
    let fixture = fixture().await;
    let (status, lists) = call(
        &fixture,
        &fixture.clerk_token,
        "GET",
        "/api/v1/checklists",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = lists
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|list| list["name"].as_str())
        .collect();
    assert!(
        names.contains(&"借款担保项目") && names.contains(&"供电客户档案"),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_contents_file_is_imported_through_the_api_all_or_nothing() {
    let fixture = fixture().await;
    let clerk = fixture.clerk_token.clone();
    let barcode = fixture.boxes[0];
    let csv = "档案号,资料名称,页数\nA-1,借款合同,12\nA-1,保证合同,5\n";
    let (status, view) = call(&fixture, &clerk, "POST", "/api/v1/contents/import", csv).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        (view["boxes"].as_u64(), view["documents"].as_u64()),
        (Some(1), Some(2))
    );
    let bad = "档案号,资料名称,页数\nA-2,借款合同,12\nA-9,保证合同,5\n";
    let (status, refused) = call(&fixture, &clerk, "POST", "/api/v1/contents/import", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"], "contents.import_bad_row");
    let uri = format!("/api/v1/boxes/{barcode}/contents");
    let (_, view) = call(&fixture, &clerk, "GET", &uri, "").await;
    assert_eq!(view["pages"], 17);
    let (_, other) = call(
        &fixture,
        &clerk,
        "GET",
        &format!("/api/v1/boxes/{}/contents", fixture.boxes[1]),
        "",
    )
    .await;
    assert_eq!(other["document_count"], 0, "nothing of the refused file");
}
