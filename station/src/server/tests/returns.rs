//! Return checks through the API: an incomplete return keeps the loan open for what is
//! missing (the borrower's loans, the overdue list, the unconfirmed returns), a position
//! that was not lent is refused and changes nothing, and the missing documents coming back
//! close the check.

use super::*;
use crate::event::EventKind;

/// Gives `barcode` a contents list of three documents, lends it to the clerk until
/// 2026-11-30 and takes it back at the store: its loan number.
fn lend_and_return(fixture: &Fixture, barcode: Barcode) -> u64 {
    let actor = Actor::new("test");
    crate::store::tests::give_contents(
        &fixture.store,
        barcode,
        &[("借款合同", 2), ("担保合同", 5), ("调查报告", 12)],
    );
    let due = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    let loan = fixture
        .store
        .open_loan(&actor, barcode, fixture.clerk, None, due)
        .expect("loan");
    fixture
        .store
        .return_loan(&actor, barcode, None)
        .expect("returned");
    loan.id
}

#[tokio::test]
async fn an_incomplete_return_keeps_the_loan_open_for_what_is_missing_until_it_comes_back() {
    let fixture = fixture().await;
    let barcode = fixture.boxes[0];
    let loan = lend_and_return(&fixture, barcode);
    let token = &fixture.clerk_token;

    // Returned, the box is awaiting its check: listed for the supervisor, no loan open.
    let (status, unchecked) = call(&fixture, token, "GET", "/api/v1/returns/unchecked", "").await;
    assert_eq!(status, StatusCode::OK, "{unchecked}");
    assert_eq!(unchecked.as_array().map(Vec::len), Some(1), "{unchecked}");
    assert_eq!(unchecked[0]["loan"], loan);
    assert_eq!(unchecked[0]["state"], "awaiting");
    assert_eq!(unchecked[0]["pages"], 19);
    assert_eq!(unchecked[0]["documents"][1]["name"], "担保合同");
    let (_, open) = call(&fixture, token, "GET", "/api/v1/loans", "").await;
    assert_eq!(open.as_array().map(Vec::len), Some(0), "{open}");

    // One document is missing: the check is incomplete, the loan open for it.
    let uri = format!("/api/v1/loans/{loan}/check");
    let body = r#"{"missing":[2],"note":"借阅人说下周送回"}"#;
    let (status, answer) = call(&fixture, token, "POST", &uri, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["state"], "incomplete");
    assert_eq!(answer["code"], "return.incomplete");
    assert_eq!(answer["check"]["outstanding"][0]["name"], "担保合同");
    let mine = format!("/api/v1/loans?borrower={}", fixture.clerk);
    let (_, open) = call(&fixture, token, "GET", &mine, "").await;
    assert_eq!(open.as_array().map(Vec::len), Some(1), "{open}");
    assert_eq!(open[0]["id"], loan);
    assert_eq!(open[0]["outstanding"][0]["position"], 2);
    assert_eq!(open[0]["outstanding"].as_array().map(Vec::len), Some(1));
    assert!(open[0]["returned_at"].is_number(), "{open}");
    let (_, unchecked) = call(&fixture, token, "GET", "/api/v1/returns/unchecked", "").await;
    assert_eq!(unchecked[0]["state"], "incomplete");
    assert_eq!(unchecked[0]["note"], "借阅人说下周送回");
    let (_, overdue) = call(&fixture, token, "GET", "/api/v1/loans?overdue=true", "").await;
    assert_eq!(overdue.as_array().map(Vec::len), Some(0), "not due yet");

    // Past its due date it is overdue, like any loan.
    fixture.clock.fetch_add(4 * DAY, Ordering::SeqCst); // 2026-12-01
    let (_, overdue) = call(&fixture, token, "GET", "/api/v1/loans?overdue=true", "").await;
    assert_eq!(overdue.as_array().map(Vec::len), Some(1), "{overdue}");
    assert_eq!(overdue[0]["id"], loan);
    assert_eq!(overdue[0]["days_late"], 1);
    assert_eq!(overdue[0]["outstanding"][0]["name"], "担保合同");

    // The missing document comes back: the check closes, nothing is open.
    let (status, answer) = call(&fixture, token, "POST", &uri, r#"{"missing":[]}"#).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["state"], "complete");
    assert_eq!(answer["code"], "return.complete");
    let (_, open) = call(&fixture, token, "GET", "/api/v1/loans", "").await;
    assert_eq!(open.as_array().map(Vec::len), Some(0), "{open}");
    let (_, unchecked) = call(&fixture, token, "GET", "/api/v1/returns/unchecked", "").await;
    assert_eq!(unchecked.as_array().map(Vec::len), Some(0), "{unchecked}");
    let (status, gone) = call(&fixture, token, "GET", &uri, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
    assert_eq!(gone["error"], "return.no_check");
    let kinds = kinds(&fixture, barcode);
    assert!(kinds.contains(&EventKind::ReturnIncomplete), "{kinds:?}");
    assert!(kinds.contains(&EventKind::ReturnDocumentsBack), "{kinds:?}");
    assert!(fixture.store.verify().expect("verify").problems.is_empty());
}

#[tokio::test]
async fn a_check_naming_a_document_not_lent_or_already_back_is_refused_and_changes_nothing() {
    let fixture = fixture().await;
    let barcode = fixture.boxes[0];
    let loan = lend_and_return(&fixture, barcode);
    let token = &fixture.clerk_token;
    let uri = format!("/api/v1/loans/{loan}/check");
    let before = fixture.store.head().0;
    for body in [r#"{"missing":[4]}"#, r#"{"missing":[1,0]}"#] {
        let (status, refused) = call(&fixture, token, "POST", &uri, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(refused["error"], "return.not_lent", "{refused}");
    }
    assert_eq!(fixture.store.head().0, before, "nothing recorded");
    let check = fixture
        .store
        .return_check(loan)
        .expect("read")
        .expect("kept");
    assert_eq!(check.state, crate::store::CheckState::Awaiting);
    assert!(check.missing.is_empty());

    // Two missing, then one back (a smaller list): the other stays out.
    let (_, answer) = call(&fixture, token, "POST", &uri, r#"{"missing":[1,3]}"#).await;
    assert_eq!(answer["state"], "incomplete", "{answer}");
    let (_, answer) = call(&fixture, token, "POST", &uri, r#"{"missing":[3]}"#).await;
    assert_eq!(answer["state"], "incomplete", "{answer}");
    assert_eq!(answer["check"]["missing"], serde_json::json!([3]));
    let back = kinds(&fixture, barcode)
        .into_iter()
        .filter(|kind| *kind == EventKind::ReturnDocumentsBack)
        .count();
    assert_eq!(back, 1);
    // Document 1 is back already: naming it missing again is refused.
    let before = fixture.store.head().0;
    let (status, refused) = call(&fixture, token, "POST", &uri, r#"{"missing":[1,3]}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"], "return.already_back");
    assert_eq!(fixture.store.head().0, before);
    let check = fixture
        .store
        .return_check(loan)
        .expect("read")
        .expect("kept");
    assert_eq!(check.missing, [3]);
    // A loan with no return to check is named as such.
    let (status, refused) = call(
        &fixture,
        token,
        "POST",
        "/api/v1/loans/999/check",
        r#"{"missing":[]}"#,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
    assert_eq!(refused["error"], "return.no_check");
}
