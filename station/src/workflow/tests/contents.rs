//! HANDOVER by scan checks the boxes' contents against their category's checklist: a scan
//! gives no reason, so a box lacking required documents is refused (the page or the API
//! hands it over with one).

use super::*;

#[test]
fn a_handover_scan_of_a_box_lacking_required_documents_is_refused_and_records_nothing() {
    let fixture = Fixture::new();
    let store = fixture.engine.store().clone();
    let barcode = fixture.boxes[0].barcode;
    store
        .edit_box(
            &actor(),
            barcode,
            &crate::store::BoxEdit {
                category: Some("供电".into()),
                ..Default::default()
            },
        )
        .expect("category");
    fixture.scan(fixture.clerk.barcode);
    fixture.card(CommandCard::Handover);
    fixture.scan(fixture.executive.barcode);
    fixture.scan(barcode);
    let done = fixture.card(CommandCard::Done);
    assert_outcome(&done, Outcome::Error, Code::HandoverIncomplete);
    assert!(
        store.handover(1).expect("read").is_none(),
        "nothing started"
    );

    // With every required document (signed where needed) it goes.
    let checklists = crate::contents::Checklists::builtin().expect("valid");
    let documents: Vec<crate::contents::Document> = checklists
        .for_category("供电")
        .expect("power")
        .items
        .iter()
        .filter(|item| item.required)
        .map(|item| crate::contents::Document {
            name: item.name.clone(),
            doc_type: item.name.clone(),
            pages: 2,
            date: None,
            original: true,
            expiry: None,
            signed: item.signature.as_ref().map(|_| true),
        })
        .collect();
    store
        .write(&actor(), |tx| {
            tx.replace_contents(barcode, &documents, &checklists, EventKind::ContentsChanged)
        })
        .expect("contents");
    fixture.scan(fixture.executive.barcode);
    fixture.scan(barcode);
    let done = fixture.card(CommandCard::Done);
    assert_outcome(&done, Outcome::Ok, Code::HandoverConfirmed);
}
