//! RETURN checks what was lent: a box with a contents list comes back awaiting its check
//! (the answer lists the documents), COMPLETE confirms the box scanned last, and nothing is
//! closed silently: another box scanned first leaves the earlier check awaiting.

use super::*;
use crate::store::CheckState;

/// Gives box `index` a contents list of three documents (2 + 5 + 12 pages).
fn with_list(fixture: &Fixture, index: usize) -> Barcode {
    let barcode = fixture.boxes[index].barcode;
    crate::store::tests::give_contents(
        fixture.engine.store(),
        barcode,
        &[("借款合同", 2), ("担保合同", 5), ("调查报告", 12)],
    );
    barcode
}

/// Lends `boxes` to the executive, then enters RETURN.
fn lend(fixture: &Fixture, boxes: &[Barcode]) {
    fixture.card(CommandCard::Checkout);
    fixture.scan(fixture.executive.barcode);
    for barcode in boxes {
        assert_outcome(&fixture.scan(barcode), Outcome::Ok, Code::CheckoutLent);
    }
    fixture.card(CommandCard::Return);
}

fn loan_of(fixture: &Fixture, barcode: Barcode) -> u64 {
    fixture
        .engine
        .store()
        .open_loan_of(barcode)
        .expect("read")
        .expect("on loan")
        .id
}

#[test]
fn a_box_with_a_contents_list_comes_back_awaiting_its_check_with_what_was_lent() {
    let fixture = Fixture::new();
    let barcode = with_list(&fixture, 0);
    lend(&fixture, &[barcode]);
    let loan = loan_of(&fixture, barcode);
    let returned = fixture.scan(barcode);
    assert_outcome_with(
        &returned,
        Outcome::Ok,
        Code::ReturnCheck,
        "1号库房/05列/A面/3节/4层",
    );
    // The box is back as before: loan closed, waiting at the counter.
    assert_eq!(fixture.status(barcode), ItemStatus::AtCounter);
    let store = fixture.engine.store();
    assert!(store.open_loan_of(barcode).expect("read").is_none());
    // The answer carries what was lent, for the page.
    let check = returned.check.expect("the lent documents");
    assert_eq!(check.loan, loan);
    assert_eq!(check.state, CheckState::Awaiting);
    let names: Vec<(u16, &str, u32)> = check
        .documents
        .iter()
        .map(|doc| (doc.position, doc.name.as_str(), doc.pages))
        .collect();
    assert_eq!(
        names,
        [(1, "借款合同", 2), (2, "担保合同", 5), (3, "调查报告", 12)]
    );
    assert_eq!(check.pages, 19);
    assert_eq!(check.home.as_deref(), Some("1号库房/05列/A面/3节/4层"));
    // The check waits in the store, listed with the unconfirmed returns.
    let stored = store.return_check(loan).expect("read").expect("awaiting");
    assert_eq!(stored.state, CheckState::Awaiting);
    assert_eq!(stored.lent.len(), 3);
    assert_eq!(store.unchecked_returns().expect("read").len(), 1);
}

#[test]
fn complete_confirms_the_box_scanned_last_and_leaves_an_earlier_one_awaiting() {
    let fixture = Fixture::new();
    let first = with_list(&fixture, 0);
    let second = with_list(&fixture, 1);
    lend(&fixture, &[first, second]);
    let (first_loan, second_loan) = (loan_of(&fixture, first), loan_of(&fixture, second));
    fixture.scan(first);
    fixture.scan(second);
    let complete = fixture.card(CommandCard::Complete);
    assert_outcome_with(
        &complete,
        Outcome::Ok,
        Code::ReturnConfirmed,
        &second_loan.to_string(),
    );
    let store = fixture.engine.store();
    assert!(store.return_check(second_loan).expect("read").is_none());
    // Nothing closed silently: the first box's check still waits.
    let earlier = store.return_check(first_loan).expect("read").expect("kept");
    assert_eq!(earlier.state, CheckState::Awaiting);
    let confirmed = store
        .history(second)
        .expect("history")
        .iter()
        .filter(|event| event.body.kind == EventKind::ReturnConfirmed)
        .count();
    assert_eq!(confirmed, 1);
    // COMPLETE again has nothing left to confirm here.
    let again = fixture.card(CommandCard::Complete);
    assert_outcome(&again, Outcome::Error, Code::ReturnNothingPending);
    assert!(store.return_check(first_loan).expect("read").is_some());
}

#[test]
fn complete_after_the_page_marked_the_return_incomplete_is_refused_and_closes_nothing() {
    let fixture = Fixture::new();
    let barcode = with_list(&fixture, 0);
    lend(&fixture, &[barcode]);
    let loan = loan_of(&fixture, barcode);
    assert_outcome(&fixture.scan(barcode), Outcome::Ok, Code::ReturnCheck);
    // The clerk marks the second document missing at the page, then scans COMPLETE by habit.
    let store = fixture.engine.store();
    store
        .check_return(&actor(), loan, &[2], "借阅人说下周送回")
        .expect("marked incomplete");
    let before = fixture.events();
    let refused = fixture.card(CommandCard::Complete);
    assert_outcome_with(
        &refused,
        Outcome::Error,
        Code::ReturnMarkedIncomplete,
        &loan.to_string(),
    );
    assert_eq!(fixture.events(), before, "nothing recorded");
    let check = store.return_check(loan).expect("read").expect("kept");
    assert_eq!(check.state, CheckState::Incomplete);
    assert_eq!(check.missing, vec![2]);
}

#[test]
fn complete_with_no_return_pending_is_refused_and_changes_nothing() {
    let fixture = Fixture::new();
    let before = fixture.events();
    fixture.card(CommandCard::Return);
    let refused = fixture.card(CommandCard::Complete);
    assert_outcome(&refused, Outcome::Error, Code::ReturnNothingPending);
    assert_eq!(fixture.events(), before, "nothing recorded");
    // A box without a list leaves nothing pending either.
    let plain = fixture.boxes[2].barcode;
    lend(&fixture, &[plain]);
    assert_outcome(&fixture.scan(plain), Outcome::Ok, Code::ReturnDone);
    let refused = fixture.card(CommandCard::Complete);
    assert_outcome(&refused, Outcome::Error, Code::ReturnNothingPending);
}

#[test]
fn undo_of_a_checked_return_drops_its_check_and_the_loan_is_open_again() {
    let fixture = Fixture::new();
    let barcode = with_list(&fixture, 0);
    lend(&fixture, &[barcode]);
    let loan = loan_of(&fixture, barcode);
    assert_outcome(&fixture.scan(barcode), Outcome::Ok, Code::ReturnCheck);
    let store = fixture.engine.store();
    assert!(store.return_check(loan).expect("read").is_some());
    assert_outcome(
        &fixture.card(CommandCard::Undo),
        Outcome::Ok,
        Code::UndoReturn,
    );
    assert_eq!(fixture.status(barcode), ItemStatus::OnLoan);
    assert_eq!(loan_of(&fixture, barcode), loan);
    assert!(store.return_check(loan).expect("read").is_none());
    assert!(store.unchecked_returns().expect("read").is_empty());
    let refused = fixture.card(CommandCard::Complete);
    assert_outcome(&refused, Outcome::Error, Code::ReturnNothingPending);
    // Returned again, it is checked again.
    assert_outcome(&fixture.scan(barcode), Outcome::Ok, Code::ReturnCheck);
    assert!(store.return_check(loan).expect("read").is_some());
    assert!(store.verify().expect("verify").problems.is_empty());
}

#[test]
fn a_box_without_a_contents_list_returns_as_before_with_nothing_to_check() {
    let fixture = Fixture::new();
    let barcode = fixture.boxes[0].barcode;
    lend(&fixture, &[barcode]);
    let returned = fixture.scan(barcode);
    assert_outcome_with(
        &returned,
        Outcome::Ok,
        Code::ReturnDone,
        "1号库房/05列/A面/3节/4层",
    );
    assert!(returned.check.is_none());
    assert_eq!(fixture.status(barcode), ItemStatus::AtCounter);
    let store = fixture.engine.store();
    assert!(store.open_loan_of(barcode).expect("read").is_none());
    assert!(store.unchecked_returns().expect("read").is_empty());
}
