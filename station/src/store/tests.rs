//! Store tests on a real sled database in a fresh temp dir.

use super::{Refusal, StorageError};
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::NaiveDate;

use super::*;
use crate::barcode::Barcode;
use crate::event::{ChainError, EventKind, Format};
use crate::message::Code;
use crate::model::{
    CertificateKind, HandoverStage, Item, ItemStatus, Location, LocationKind, Person, Role,
};
use crate::numbering::Scheme;
use crate::store::verify::tamper;

fn open(dir: &Path) -> Store {
    Store::open(dir, StoreOptions::default()).expect("store opens")
}

fn clerk() -> Actor {
    Actor::new("P-test")
}

fn loan_scheme() -> Scheme {
    Scheme::new("loan", "{year}鸿借字第{seq:03}号").expect("valid scheme")
}

fn new_box(customer: &str) -> NewBox {
    NewBox {
        scheme: Some((loan_scheme(), 2012)),
        title: "借款合同".into(),
        customer: customer.into(),
        category: "借款".into(),
        ..NewBox::default()
    }
}

fn shelf(store: &Store, path: &str) -> Location {
    store.ensure_location(&clerk(), path).expect("shelf")
}

/// Gives `barcode` a contents list of `documents` (name, pages), originals with nothing
/// else recorded, as an edit at the page would.
pub(crate) fn give_contents(store: &Store, barcode: Barcode, documents: &[(&str, u32)]) {
    let documents: Vec<crate::contents::Document> = documents
        .iter()
        .map(|(name, pages)| crate::contents::Document {
            name: (*name).into(),
            doc_type: String::new(),
            pages: *pages,
            date: None,
            original: true,
            expiry: None,
            signed: None,
        })
        .collect();
    let checklists = crate::contents::Checklists::builtin().expect("valid");
    store
        .write(&Actor::new("test"), |tx| {
            tx.replace_contents(barcode, &documents, &checklists, EventKind::ContentsChanged)
        })
        .expect("contents");
}

/// A person added by the test clerk (shared by the store modules' tests).
pub(super) fn person(store: &Store, name: &str, role: Role, borrow_directly: bool) -> Person {
    store
        .add_person(
            &clerk(),
            &NewPerson {
                name: name.into(),
                role,
                borrow_directly,
            },
        )
        .expect("person")
}

#[test]
fn registered_boxes_are_found_by_barcode_and_archive_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let first = store
        .register_box(&clerk(), &new_box("鸿达贸易"))
        .expect("registered");
    let second = store
        .register_box(&clerk(), &new_box("华南电力"))
        .expect("registered");
    assert_eq!(first.archive_no, "2012鸿借字第001号");
    assert_eq!(second.archive_no, "2012鸿借字第002号");
    assert_eq!(first.year, Some(2012));
    assert_ne!(first.barcode, second.barcode);
    assert_eq!(
        store.get_item(first.barcode).expect("read"),
        Some(Item::Box(first.clone()))
    );
    assert_eq!(
        store.box_by_archive_no("2012鸿借字第002号").expect("read"),
        Some(second)
    );
    assert_eq!(
        store.box_by_archive_no("2012鸿借字第003号").expect("read"),
        None
    );
}

#[test]
fn a_duplicate_archive_number_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let first = store
        .register_box(&clerk(), &new_box("鸿达"))
        .expect("registered");
    let head = store.head();
    let duplicate = NewBox {
        archive_no: Some(first.archive_no.clone()),
        ..new_box("别的客户")
    };
    let error = store
        .register_box(&clerk(), &duplicate)
        .expect_err("refused");
    assert!(
        matches!(error, StoreError::Refused(Refusal::DuplicateArchiveNo(ref n)) if *n == first.archive_no)
    );
    assert_eq!(store.head(), head, "no event for a refused write");
    assert!(store
        .search_customer("别的", None, 10)
        .expect("search")
        .is_empty());
}

#[test]
fn concurrent_allocation_never_repeats_a_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(open(dir.path()));
    let scheme = loan_scheme();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let scheme = scheme.clone();
            std::thread::spawn(move || {
                (0..50)
                    .map(|_| {
                        store
                            .allocate_archive_no(&clerk(), &scheme, 2013)
                            .expect("allocated")
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all = Vec::new();
    for thread in threads {
        all.extend(thread.join().expect("thread finished"));
    }
    let distinct: HashSet<_> = all.iter().cloned().collect();
    assert_eq!(distinct.len(), 400, "every allocation distinct");
    let expected: HashSet<_> = (1..=400).map(|seq| scheme.format(2013, seq)).collect();
    assert_eq!(distinct, expected, "no gaps and no repeats");
    assert_eq!(store.verify().expect("verify").chain_error, None);
}

#[test]
fn everything_survives_a_reopen_and_numbers_are_not_reused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (first, head) = {
        let store = open(dir.path());
        let first = store
            .register_box(&clerk(), &new_box("鸿达"))
            .expect("registered");
        let target = shelf(&store, "1号库房/05列/A面/3节/4层");
        store
            .move_item(&clerk(), first.barcode, target.barcode)
            .expect("moved");
        (first, store.head())
    };
    let store = open(dir.path());
    assert_eq!(store.head(), head);
    let Some(Item::Box(again)) = store.get_item(first.barcode).expect("read") else {
        panic!("box lost across reopen");
    };
    assert_eq!(again.status, ItemStatus::Stored);
    let second = store
        .register_box(&clerk(), &new_box("华南"))
        .expect("registered");
    assert_eq!(second.archive_no, "2012鸿借字第002号");
    assert!(second.barcode.seq() > first.barcode.seq());
    assert!(store.verify().expect("verify").is_ok());
}

#[test]
fn moving_a_box_updates_the_shelves_and_warns_about_home_and_capacity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let home = shelf(&store, "1号库房/05列/A面/3节/4层");
    let small = shelf(&store, "1号库房/09列/A面/1节/1层");
    let small = store
        .edit_location(
            &clerk(),
            small.barcode,
            &LocationEdit {
                capacity: Some(Some(1)),
                mobile: None,
            },
        )
        .expect("a shelf for one box");
    let a = store
        .register_box(
            &clerk(),
            &NewBox {
                home: Some(home.barcode),
                ..new_box("甲")
            },
        )
        .expect("registered");
    let b = store
        .register_box(&clerk(), &new_box("乙"))
        .expect("registered");

    let moved = store
        .move_item(&clerk(), a.barcode, home.barcode)
        .expect("moved");
    assert!(moved.warnings.is_empty());
    assert_eq!(
        store.barcodes_at(home.barcode, 10).expect("list"),
        vec![a.barcode]
    );

    let moved = store
        .move_item(&clerk(), a.barcode, small.barcode)
        .expect("moved");
    assert_eq!(
        moved.warnings,
        vec![Warning::NotHome {
            home: "1号库房/05列/A面/3节/4层".into()
        }]
    );
    assert!(store
        .barcodes_at(home.barcode, 10)
        .expect("list")
        .is_empty());
    let moved = store
        .move_item(&clerk(), b.barcode, small.barcode)
        .expect("moved");
    assert_eq!(
        moved.warnings,
        vec![Warning::OverCapacity {
            capacity: 1,
            count: 2
        }]
    );
    assert_eq!(store.count_at(small.barcode).expect("count"), 2);
    let history = store.history(a.barcode).expect("history");
    let kinds: Vec<_> = history.iter().map(|e| e.body.kind).collect();
    assert_eq!(
        kinds,
        vec![EventKind::Registered, EventKind::Moved, EventKind::Moved]
    );
    assert!(store.verify().expect("verify").is_ok());
}

#[test]
fn certificates_only_go_into_a_safe_and_a_safe_keeps_no_box() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let project = store.register_box(&clerk(), &new_box("鸿达")).expect("box");
    let certificate = store
        .register_certificate(
            &clerk(),
            &NewCertificate {
                kind: CertificateKind::RealEstate,
                number: "粤(2012)广州市不动产权第0001号".into(),
                archive_no: project.archive_no.clone(),
            },
        )
        .expect("certificate");
    assert_eq!(certificate.box_barcode, Some(project.barcode));
    assert_eq!(
        store.certificates_of(&project.archive_no).expect("list"),
        vec![certificate.clone()]
    );
    let open_shelf = shelf(&store, "1号库房/05列/A面/3节/4层");
    let head = store.head();
    let error = store
        .move_item(&clerk(), certificate.barcode, open_shelf.barcode)
        .expect_err("refused");
    assert!(
        matches!(
            error,
            StoreError::Refused(Refusal::CertificateOutsideSafe { .. })
        ),
        "{error}"
    );
    assert_eq!(store.head(), head);
    let safe = store
        .add_location(
            &clerk(),
            &NewLocation {
                kind: LocationKind::Safe,
                name: "保险柜1".into(),
                parent: None,
                capacity: None,
            },
        )
        .expect("safe");
    store
        .move_item(&clerk(), certificate.barcode, safe.barcode)
        .expect("into the safe");
    assert_eq!(
        store.barcodes_at(safe.barcode, 10).expect("list"),
        vec![certificate.barcode]
    );
    // And the other way round: a safe keeps no box.
    let archive_box = store.register_box(&clerk(), &new_box("鸿达")).expect("box");
    let head = store.head();
    let error = store
        .move_item(&clerk(), archive_box.barcode, safe.barcode)
        .expect_err("refused");
    assert!(
        matches!(error, StoreError::Refused(Refusal::BoxInSafe { .. })),
        "{error}"
    );
    assert_eq!(store.head(), head, "nothing recorded");
    assert_eq!(
        store.barcodes_at(safe.barcode, 10).expect("list"),
        vec![certificate.barcode]
    );
}

#[test]
fn loans_need_approval_refuse_a_box_already_out_and_close_on_return() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let target = shelf(&store, "1号库房/05列/A面/3节/4层");
    let archive_box = store.register_box(&clerk(), &new_box("鸿达")).expect("box");
    store
        .move_item(&clerk(), archive_box.barcode, target.barcode)
        .expect("shelved");
    let staff = person(&store, "张三", Role::Clerk, false);
    let executive = person(&store, "李总", Role::Clerk, true);
    let supervisor = person(&store, "王主管", Role::Supervisor, false);
    let due = NaiveDate::from_ymd_opt(2026, 12, 27).expect("date");

    let error = store
        .open_loan(&clerk(), archive_box.barcode, staff.barcode, None, due)
        .expect_err("needs approval");
    assert!(
        matches!(error, StoreError::Refused(Refusal::NeedsApproval { ref name }) if name == "张三")
    );
    let error = store
        .open_loan(
            &clerk(),
            archive_box.barcode,
            staff.barcode,
            Some(executive.barcode),
            due,
        )
        .expect_err("an executive is no approver");
    assert!(matches!(
        error,
        StoreError::Refused(Refusal::NotApprover { .. })
    ));

    let loan = store
        .open_loan(
            &clerk(),
            archive_box.barcode,
            staff.barcode,
            Some(supervisor.barcode),
            due,
        )
        .expect("approved loan");
    assert!(store
        .barcodes_at(target.barcode, 10)
        .expect("list")
        .is_empty());
    assert_eq!(
        store.open_loans_of(staff.barcode).expect("loans"),
        vec![loan.clone()]
    );
    assert_eq!(
        store.open_loan_of(archive_box.barcode).expect("loan"),
        Some(loan.clone())
    );
    assert_eq!(store.loans_due_by(due).expect("due"), vec![loan.clone()]);
    assert!(store
        .loans_due_by(due.pred_opt().expect("date"))
        .expect("due")
        .is_empty());

    let error = store
        .open_loan(&clerk(), archive_box.barcode, executive.barcode, None, due)
        .expect_err("already out");
    assert!(
        matches!(
            &error,
            StoreError::Refused(Refusal::OnLoan { item, borrower, .. })
                if *item == archive_box.barcode && borrower == "张三"
        ),
        "{error}"
    );
    let said = error.message();
    assert_eq!(said.code, crate::message::Code::LoanOnLoan);
    assert!(
        said.text.zh.contains("张三") && said.text.en.contains("张三"),
        "the borrower in both halves: {said:?}"
    );
    let error = store
        .move_item(&clerk(), archive_box.barcode, target.barcode)
        .expect_err("cannot shelve a box that is out");
    assert!(matches!(error, StoreError::Refused(Refusal::OnLoan { .. })));

    let returned = store
        .return_loan(&clerk(), archive_box.barcode, None)
        .expect("returned");
    assert!(returned.returned_at.is_some());
    assert!(store
        .open_loans_of(staff.barcode)
        .expect("loans")
        .is_empty());
    assert!(store.loans_due_by(due).expect("due").is_empty());
    let Some(Item::Box(back)) = store.get_item(archive_box.barcode).expect("read") else {
        panic!("box gone");
    };
    assert_eq!(back.status, ItemStatus::AtCounter);
    assert!(matches!(
        store.return_loan(&clerk(), archive_box.barcode, None),
        Err(StoreError::Refused(Refusal::NotOnLoan(_)))
    ));
    assert!(store.verify().expect("verify").is_ok());
}

#[test]
fn handovers_are_stored_until_confirmed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let archive_box = store.register_box(&clerk(), &new_box("鸿达")).expect("box");
    let officer_a = person(&store, "A", Role::Clerk, false);
    let officer_b = person(&store, "B", Role::Clerk, false);
    let deadline = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
    let handover = store
        .write(&clerk(), |tx| {
            tx.start_handover(
                HandoverStage::OfficerToOfficer,
                officer_a.barcode,
                officer_b.barcode,
                &[archive_box.barcode],
                &[crate::model::ChecklistEntry {
                    name: "借款合同".into(),
                    pages: 12,
                }],
                deadline,
            )
        })
        .expect("started");
    assert_eq!(
        store.open_handovers().expect("open"),
        vec![handover.clone()]
    );
    let confirmed = store
        .write(&clerk(), |tx| {
            tx.confirm_handover(handover.id, &["担保函".to_owned()])
        })
        .expect("confirmed");
    assert_eq!(confirmed.missing, vec!["担保函".to_owned()]);
    assert!(store.open_handovers().expect("open").is_empty());
    assert!(matches!(
        store.write(&clerk(), |tx| tx.confirm_handover(handover.id, &[])),
        Err(StoreError::Refused(Refusal::HandoverClosed(_)))
    ));
}

#[test]
fn customers_are_found_by_prefix_with_a_cursor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    for customer in ["鸿达贸易", "鸿达电力", "华南电力", "Hong Kong Ltd"] {
        store
            .register_box(&clerk(), &new_box(customer))
            .expect("box");
    }
    let page = store.search_customer("鸿达", None, 1).expect("search");
    assert_eq!(page.len(), 1);
    let next = store
        .search_customer("鸿达", Some(page[0].barcode), 10)
        .expect("search");
    assert_eq!(next.len(), 1);
    assert_ne!(page[0].barcode, next[0].barcode);
    assert_eq!(
        store
            .search_customer("hongkong", None, 10)
            .expect("search")
            .len(),
        1
    );
    assert!(store
        .search_customer("东方", None, 10)
        .expect("search")
        .is_empty());
}

/// The barcodes of `boxes`, sorted.
fn barcodes_of(boxes: &[crate::model::ArchiveBox]) -> Vec<Barcode> {
    let mut out: Vec<Barcode> = boxes.iter().map(|b| b.barcode).collect();
    out.sort();
    out
}

#[test]
fn boxes_are_found_by_any_part_of_a_customer_name_or_archive_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let ma = store
        .register_box(&clerk(), &new_box("马丽勇"))
        .expect("box");
    let li = store.register_box(&clerk(), &new_box("李丽")).expect("box");
    let hong = store
        .register_box(&clerk(), &new_box("Hong Da 贸易"))
        .expect("box");
    let search = |query: &str| barcodes_of(&store.search_boxes(query).expect("search"));

    assert_eq!(search("丽勇"), vec![ma.barcode], "the end of a name");
    assert_eq!(search("马丽"), vec![ma.barcode], "its start");
    assert_eq!(
        search("丽"),
        barcodes_of(&[ma.clone(), li.clone()]),
        "one character"
    );
    assert_eq!(search("daMAO"), Vec::<Barcode>::new(), "no such pair");
    assert_eq!(search("gda"), vec![hong.barcode], "case and spaces ignored");
    assert_eq!(search("勇丽"), Vec::<Barcode>::new(), "the order counts");
    // Archive numbers: 2012鸿借字第001号 … by prefix, and by year and word.
    assert_eq!(ma.archive_no, "2012鸿借字第001号");
    assert_eq!(search("2012鸿借字第001"), vec![ma.barcode]);
    assert_eq!(search("2012 第002"), vec![li.barcode], "year and word");
    assert_eq!(search("借字 丽勇"), vec![ma.barcode], "a word of each");
    assert_eq!(search("  "), Vec::<Barcode>::new());

    // An edit moves the box in the index.
    store
        .edit_box(
            &clerk(),
            ma.barcode,
            &BoxEdit {
                customer: Some("赵敏".into()),
                ..BoxEdit::default()
            },
        )
        .expect("edit");
    assert_eq!(search("丽勇"), Vec::<Barcode>::new());
    assert_eq!(search("赵敏"), vec![ma.barcode]);
    assert_eq!(search("丽"), vec![li.barcode]);

    // An imported box is found too.
    let outcomes = store
        .import_rows(
            &Actor::new("import"),
            &[ImportRow {
                archive_no: "2024鸿借字第003号".into(),
                title: "借款合同".into(),
                customer: "马丽勇".into(),
                category: String::new(),
                year: Some(2024),
                retention: None,
                location: None,
                barcode: None,
                series: None,
                expiry: None,
            }],
        )
        .expect("imported");
    let Some(Ok(ImportOutcome::Created(imported))) = outcomes.first() else {
        panic!("not imported: {outcomes:?}");
    };
    let imported = *imported;
    assert_eq!(search("丽勇"), vec![imported]);
    assert_eq!(search("2024 借字"), vec![imported]);
    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[test]
fn a_store_written_before_the_search_index_gets_it_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ma = {
        let store = open(dir.path());
        let ma = store
            .register_box(&clerk(), &new_box("马丽勇"))
            .expect("box");
        store.register_box(&clerk(), &new_box("李丽")).expect("box");
        // As a build before the index left it: no gram entries, no version for them.
        let grams: Vec<Vec<u8>> = store
            .tree
            .scan_prefix([keys::GRAM])
            .keys()
            .map(|key| key.expect("read").to_vec())
            .collect();
        assert!(!grams.is_empty());
        for key in grams {
            tamper::set_raw(&store, &key, None);
        }
        tamper::set_raw(&store, b"m:family:search_grams", None);
        assert!(store.search_boxes("丽勇").expect("search").is_empty());
        ma
    };
    let store = open(dir.path());
    assert_eq!(
        barcodes_of(&store.search_boxes("丽勇").expect("search")),
        vec![ma.barcode]
    );
    assert_eq!(store.search_boxes("丽").expect("search").len(), 2);
    assert_eq!(
        store
            .tree
            .get(b"m:family:search_grams")
            .expect("read")
            .as_deref(),
        Some(&1u32.to_be_bytes()[..])
    );
    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[test]
fn verify_finds_a_missing_and_a_dangling_search_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let ma = store
        .register_box(&clerk(), &new_box("马丽勇"))
        .expect("box");
    let missing = keys::gram("丽勇", ma.barcode);
    tamper::set_raw(&store, &missing, None);
    let report = store.verify().expect("verify");
    let codes: Vec<_> = report.problems.iter().map(|problem| problem.code).collect();
    assert_eq!(
        codes,
        vec![Code::VerifyEntryMissing],
        "{:?}",
        report.problems
    );

    tamper::set_raw(&store, &missing, Some(&[]));
    let dangling = keys::gram("张三", ma.barcode);
    tamper::set_raw(&store, &dangling, Some(&[]));
    let report = store.verify().expect("verify");
    let codes: Vec<_> = report.problems.iter().map(|problem| problem.code).collect();
    assert_eq!(
        codes,
        vec![Code::VerifyEntryDangling],
        "{:?}",
        report.problems
    );
    assert!(
        report.problems[0].text.en.contains("张三"),
        "{:?}",
        report.problems
    );
}

/// The codes of what `store`'s verify finds, and whether it names `key` as dangling.
fn verify_finds(store: &Store, key: &[u8]) -> (Vec<Code>, bool) {
    let report = store.verify().expect("verify");
    let described = keys::describe(key);
    let named = report.problems.iter().any(|problem| {
        problem.code == Code::VerifyEntryDangling && problem.text.en.contains(&described)
    });
    (
        report.problems.iter().map(|problem| problem.code).collect(),
        named,
    )
}

/// A store with two boxes, the first with a contents list lent and returned (its return
/// check waiting under `R`): (dir, store, the check's key, the second box).
fn a_return_awaiting_its_check() -> (tempfile::TempDir, Store, Vec<u8>, Barcode) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let lent = store.register_box(&clerk(), &new_box("鸿达")).expect("box");
    let other = store.register_box(&clerk(), &new_box("华南")).expect("box");
    give_contents(&store, lent.barcode, &[("借款合同", 2), ("担保合同", 5)]);
    let borrower = person(&store, "王五", Role::Clerk, true);
    let due = NaiveDate::from_ymd_opt(2099, 1, 31).expect("date");
    let loan = store
        .open_loan(&clerk(), lent.barcode, borrower.barcode, None, due)
        .expect("loan");
    store
        .return_loan(&clerk(), lent.barcode, None)
        .expect("returned");
    assert!(store.return_check(loan.id).expect("read").is_some());
    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    (dir, store, keys::return_check(loan.id), other.barcode)
}

#[test]
fn verify_finds_a_return_check_without_its_loan() {
    let (_dir, store, check, _) = a_return_awaiting_its_check();
    let loan: crate::store::ReturnCheck =
        decode(&tamper::get_raw(&store, &check).expect("check"), &check).expect("decodes");
    tamper::set_raw(&store, &keys::loan(loan.loan), None);
    let (codes, named) = verify_finds(&store, &check);
    assert!(named, "{codes:?}");
    assert_eq!(codes, vec![Code::VerifyEntryDangling]);
}

#[test]
fn verify_finds_a_return_check_of_another_box() {
    let (_dir, store, check, other) = a_return_awaiting_its_check();
    let mut record: crate::store::ReturnCheck =
        decode(&tamper::get_raw(&store, &check).expect("check"), &check).expect("decodes");
    record.item = other;
    tamper::set_raw(&store, &check, Some(&encode(&record)));
    let (codes, named) = verify_finds(&store, &check);
    assert!(named, "{codes:?}");
    assert_eq!(codes, vec![Code::VerifyEntryDangling]);
}

#[test]
fn verify_finds_a_return_check_of_a_loan_still_open() {
    let (_dir, store, check, _) = a_return_awaiting_its_check();
    let record: crate::store::ReturnCheck =
        decode(&tamper::get_raw(&store, &check).expect("check"), &check).expect("decodes");
    let key = keys::loan(record.loan);
    let mut loan: crate::model::Loan =
        decode(&tamper::get_raw(&store, &key).expect("loan"), &key).expect("loan");
    loan.returned_at = None;
    tamper::set_raw(&store, &key, Some(&encode(&loan)));
    // The loan's own indexes are missing too; the check is named as not belonging.
    let (codes, named) = verify_finds(&store, &check);
    assert!(named, "{codes:?}");
}

/// A store with an open task in its responsible person's inbox naming a box, and a task
/// done: (dir, store, the open task, the done task's number).
fn tasks_open_and_done() -> (tempfile::TempDir, Store, crate::store::Task, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let archive_box = store.register_box(&clerk(), &new_box("鸿达")).expect("box");
    let wang = person(&store, "王客户经理", Role::Clerk, false);
    let boss = person(&store, "李主管", Role::Supervisor, false);
    let rules = crate::tasks::TaskRules::default();
    let checklists = crate::contents::Checklists::builtin().expect("valid");
    let actor = Actor::new("P-test@integration");
    let new_task = |external_id: &str, archive_box: Option<Barcode>| crate::store::NewTask {
        external_id: external_id.to_owned(),
        category: "借款".to_owned(),
        step: "放款完成".to_owned(),
        customer: Some("鸿达贸易".to_owned()),
        archive_no: None,
        archive_box,
        responsible: wang.barcode,
        collector: None,
        documents: None,
        loan_project: false,
        limits: Vec::new(),
        business_deadline: None,
        occurred_at: None,
    };
    let (open_task, _) = store
        .post_task(
            &actor,
            &new_task("CRM-1", Some(archive_box.barcode)),
            &rules,
            &checklists,
        )
        .expect("posted");
    let (done, _) = store
        .post_task(&actor, &new_task("CRM-2", None), &rules, &checklists)
        .expect("posted");
    let by = crate::store::StepBy::Person(boss);
    let mut task = done;
    while task.step.is_some() {
        task = store
            .advance_task(&clerk(), task.id, None, &by, &rules)
            .expect("advanced");
    }
    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    (dir, store, open_task, task.id)
}

#[test]
fn verify_finds_an_open_task_missing_from_each_of_its_indexes() {
    let (_dir, store, task, _) = tasks_open_and_done();
    let owner = task.owner().expect("the responsible person's step");
    let archive_box = task.archive_box.expect("a box");
    for entry in [
        keys::task_due(task.due_at, task.id),
        keys::task_owner(owner, task.id),
        keys::task_box(archive_box, task.id),
        keys::task_external(&task.external_id),
    ] {
        let value = tamper::get_raw(&store, &entry).expect("the entry");
        tamper::set_raw(&store, &entry, None);
        let report = store.verify().expect("verify");
        let codes: Vec<_> = report.problems.iter().map(|problem| problem.code).collect();
        assert_eq!(
            codes,
            vec![Code::VerifyEntryMissing],
            "{}",
            keys::describe(&entry)
        );
        assert!(report.problems[0].text.en.contains(&keys::describe(&entry)));
        tamper::set_raw(&store, &entry, Some(&value));
    }
    assert!(store.verify().expect("verify").is_ok());
}

#[test]
fn verify_finds_an_open_task_in_both_inboxes_or_twice_by_due() {
    let (_dir, store, task, _) = tasks_open_and_done();
    let room = keys::task_room(task.id);
    tamper::set_raw(&store, &room, Some(&[]));
    let (codes, named) = verify_finds(&store, &room);
    assert!(named, "{codes:?}");
    assert_eq!(codes, vec![Code::VerifyEntryDangling]);
    tamper::set_raw(&store, &room, None);

    let step = task.step.expect("open").index();
    let later = keys::task_due(task.due_at + 1, task.id);
    tamper::set_raw(&store, &later, Some(&[step]));
    let (codes, named) = verify_finds(&store, &later);
    assert!(named, "{codes:?}");
    assert_eq!(codes, vec![Code::VerifyEntryDangling]);
}

#[test]
fn verify_finds_a_due_entry_with_another_step_and_an_external_id_of_another_task() {
    let (_dir, store, task, done) = tasks_open_and_done();
    let due = keys::task_due(task.due_at, task.id);
    let step = task.step.expect("open").index();
    tamper::set_raw(&store, &due, Some(&[step + 1]));
    let (codes, named) = verify_finds(&store, &due);
    assert!(named, "{codes:?}");
    assert_eq!(codes, vec![Code::VerifyEntryDangling]);
    tamper::set_raw(&store, &due, Some(&[step]));

    let external = keys::task_external(&task.external_id);
    tamper::set_raw(&store, &external, Some(&done.to_be_bytes()));
    let (codes, named) = verify_finds(&store, &external);
    assert!(named, "{codes:?}");
    assert_eq!(codes, vec![Code::VerifyEntryDangling]);
}

#[test]
fn verify_finds_a_done_task_still_indexed_and_an_entry_of_no_task() {
    let (_dir, store, task, done) = tasks_open_and_done();
    let owner = task.owner().expect("the responsible person's step");
    let stale = keys::task_owner(owner, done);
    tamper::set_raw(&store, &stale, Some(&[]));
    let (codes, named) = verify_finds(&store, &stale);
    assert!(named, "{codes:?}");
    assert_eq!(codes, vec![Code::VerifyEntryDangling]);
    tamper::set_raw(&store, &stale, None);

    let nobody = keys::task_box(task.archive_box.expect("a box"), 999);
    tamper::set_raw(&store, &nobody, Some(&[]));
    let (codes, named) = verify_finds(&store, &nobody);
    assert!(named, "{codes:?}");
    assert_eq!(codes, vec![Code::VerifyEntryDangling]);
}

#[test]
fn edits_are_recorded_with_before_and_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let archive_box = store.register_box(&clerk(), &new_box("鸿达")).expect("box");
    let edited = store
        .edit_box(
            &clerk(),
            archive_box.barcode,
            &BoxEdit {
                customer: Some("鸿达集团".into()),
                ..BoxEdit::default()
            },
        )
        .expect("edited");
    assert_eq!(edited.customer, "鸿达集团");
    assert!(store
        .search_customer("鸿达贸易", None, 10)
        .expect("search")
        .is_empty());
    assert_eq!(
        store
            .search_customer("鸿达集", None, 10)
            .expect("search")
            .len(),
        1
    );
    let last = store.history(archive_box.barcode).expect("history");
    let change = &last.last().expect("edit event").body.changes[0];
    assert_eq!(change.before.as_deref(), Some("鸿达"));
    assert_eq!(change.after.as_deref(), Some("鸿达集团"));
    assert!(store.verify().expect("verify").is_ok());
}

/// A fresh store with one box moved onto a shelf: events 1–5 are the shelf's levels'
/// registrations, then the box's registration and move.
fn box_on_a_shelf() -> (tempfile::TempDir, Store, Location, crate::model::ArchiveBox) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let target = shelf(&store, "1号库房/05列/A面/3节/4层");
    let archive_box = store.register_box(&clerk(), &new_box("鸿达")).expect("box");
    store
        .move_item(&clerk(), archive_box.barcode, target.barcode)
        .expect("moved");
    (dir, store, target, archive_box)
}

#[test]
fn verify_finds_a_tampered_event_a_removed_event_and_a_broken_index() {
    let (_dir, store, _, _) = box_on_a_shelf();
    assert!(store.verify().expect("verify").is_ok());
    tamper::edit_event(&store, 3, |event| event.body.actor = "someone else".into());
    let report = store.verify().expect("verify");
    assert_eq!(
        report.chain_error,
        Some(ChainError::HashMismatch { seq: 3 })
    );
    let said = report.chain_error.expect("broken").message();
    assert_eq!(said.code, Code::ChainHashMismatch);
    assert!(
        said.text.zh.contains("#3") && said.text.en.contains("#3"),
        "{said:?}"
    );

    let (_dir, store, _, _) = box_on_a_shelf();
    tamper::remove_event(&store, 2);
    let report = store.verify().expect("verify");
    assert_eq!(
        report.chain_error,
        Some(ChainError::Gap {
            expected: 2,
            found: 3
        })
    );
    assert_eq!(
        report.chain_error.expect("broken").message().code,
        Code::ChainGap
    );

    let (_dir, store, target, archive_box) = box_on_a_shelf();
    tamper::remove_at(&store, target.barcode, archive_box.barcode);
    let report = store.verify().expect("verify");
    assert!(report.chain_error.is_none());
    let codes: Vec<Code> = report.problems.iter().map(|problem| problem.code).collect();
    assert_eq!(codes, vec![Code::VerifyMissingFromContents], "{report:?}");
    let problem = &report.problems[0].text;
    for half in [&problem.zh, &problem.en] {
        assert!(
            half.contains(&archive_box.barcode.to_string())
                && half.contains(&target.barcode.to_string()),
            "the box and its shelf in both halves: {problem:?}"
        );
    }
}

#[test]
fn opening_waits_for_a_lingering_sled_lock_of_the_same_process() {
    // sled's background threads (or a child process between fork and exec) can hold
    // sled's own lock on store/db for a moment after the store is dropped; opening again
    // must wait for that moment, not fail. Here the lingering holder is a file of ours.
    let dir = tempfile::tempdir().expect("tempdir");
    drop(open(dir.path()));
    let db = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(dir.path().join("store").join("db"))
        .expect("sled's db file");
    db.try_lock().expect("take sled's lock");
    // The lingering holder lets go only after the opener was refused at least once: so
    // the open below succeeds only by waiting, and nothing sleeps to make it so.
    let mut holder = Some(db);
    let mut refusals = 0;
    let reopened = open_sled_waiting(dir.path(), DEFAULT_CACHE_BYTES, &mut || {
        refusals += 1;
        drop(holder.take());
    })
    .expect("opens once the lingering lock is released");
    assert_eq!(refusals, 1, "refused while the lock was held, then opened");
    drop(reopened);
    let store = Store::open(dir.path(), StoreOptions::default()).expect("opens again");
    store
        .register_box(&clerk(), &new_box("鸿达"))
        .expect("the reopened store works");
}

#[test]
fn opening_waits_for_its_own_lock_file_held_by_a_forked_child_and_refuses_another_process() {
    // A child forked by another thread holds a copy of the lock's descriptor until its
    // exec: the lock outlives the dropped store for a moment, under this process's pid.
    let dir = tempfile::tempdir().expect("tempdir");
    drop(open(dir.path()));
    let path = dir.path().join("LOCK");
    let take = |pid: u32| {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect("the lock file");
        file.try_lock().expect("take the lock");
        std::fs::write(&path, format!("{pid}\n")).expect("write the pid");
        file
    };
    let mut holder = Some(take(std::process::id()));
    let mut refusals = 0;
    let lock = super::lock_dir_waiting(dir.path(), &mut || {
        refusals += 1;
        drop(holder.take());
    })
    .expect("taken once the child lets go");
    assert_eq!(refusals, 1, "refused while held, then taken");
    drop(lock);
    // Held under another pid: a second process; refused at once, no waiting.
    let _other = take(std::process::id() + 1);
    let mut waited = false;
    match super::lock_dir_waiting(dir.path(), &mut || waited = true) {
        Err(StoreError::Failed(StorageError::Locked { holder, .. })) => {
            assert!(
                holder.contains(&(std::process::id() + 1).to_string()),
                "{holder}"
            );
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("took a lock another process holds"),
    }
    assert!(!waited, "another process's lock is not waited for");
}

#[test]
fn a_second_process_cannot_open_a_locked_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _store = open(dir.path());
    match Store::open(dir.path(), StoreOptions::default()) {
        Err(StoreError::Failed(StorageError::Locked { holder, .. })) => {
            assert!(holder.contains(&std::process::id().to_string()), "{holder}");
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("opened a locked store"),
    }
}

#[test]
fn a_newer_or_foreign_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = open(dir.path());
        store
            .tree
            .insert(keys::SCHEMA, &(SCHEMA_VERSION + 1).to_be_bytes())
            .expect("write");
        store.flush().expect("flush");
    }
    match Store::open(dir.path(), StoreOptions::default()) {
        Err(StoreError::Failed(StorageError::SchemaTooNew { found, .. })) => {
            assert_eq!(found, SCHEMA_VERSION + 1)
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("opened a newer schema"),
    }

    let foreign = tempfile::tempdir().expect("tempdir");
    {
        let db = sled::open(foreign.path().join("store")).expect("plain sled");
        db.insert(b"somebody", b"else").expect("write");
        db.flush().expect("flush");
    }
    match Store::open(foreign.path(), StoreOptions::default()) {
        Err(error @ StoreError::Failed(StorageError::SchemaUnknown { .. })) => {
            let said = error.message();
            assert_eq!(said.code, crate::message::Code::StoreSchemaUnknown);
            let StoreError::Failed(StorageError::SchemaUnknown { path }) = &error else {
                unreachable!()
            };
            assert!(
                said.text.zh.contains(path.as_str()) && said.text.en.contains(path.as_str()),
                "the directory in both halves: {said:?}"
            );
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("opened a foreign database"),
    }
}

#[test]
fn an_online_backup_is_a_consistent_store_of_its_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let target = shelf(&store, "1号库房/05列/A面/3节/4层");
    let mut boxes = Vec::new();
    for n in 0..50 {
        let archive_box = store
            .register_box(&clerk(), &new_box(&format!("客户{n}")))
            .expect("box");
        store
            .move_item(&clerk(), archive_box.barcode, target.barcode)
            .expect("moved");
        boxes.push(archive_box.barcode);
    }
    let backup_dir = tempfile::tempdir().expect("tempdir");
    let copy_path = backup_dir.path().join("copy");
    store.backup(&copy_path).expect("backup");
    let head = store.head();
    // The original keeps working after the backup.
    store.register_box(&clerk(), &new_box("之后")).expect("box");
    drop(store);

    let copy = open(&copy_path);
    assert_eq!(copy.head(), head);
    assert_eq!(copy.barcodes_at(target.barcode, 100).expect("list"), boxes);
    assert!(copy.verify().expect("verify").is_ok());
    assert!(copy
        .search_customer("之后", None, 10)
        .expect("search")
        .is_empty());

    let error = copy
        .backup(&copy_path)
        .expect_err("no backup into a non-empty dir");
    assert!(matches!(
        error,
        StoreError::Refused(Refusal::BackupTarget { .. })
    ));
}

#[test]
fn events_carry_the_injected_clock_station_and_actor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(
        dir.path(),
        StoreOptions {
            station: "counter-1".into(),
            clock: Arc::new(|| 1_700_000_000_000),
            ..StoreOptions::default()
        },
    )
    .expect("store");
    let archive_box = store
        .register_box(&Actor::new("P0000000014"), &new_box("鸿达"))
        .expect("box");
    let events = store.history(archive_box.barcode).expect("history");
    let body = &events[0].body;
    assert_eq!(
        (body.at, body.station.as_str(), body.actor.as_str()),
        (1_700_000_000_000, "counter-1", "P0000000014")
    );
}

#[test]
fn an_import_chunk_is_one_event_in_every_imported_box_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let row = |number: &str, customer: &str| ImportRow {
        archive_no: number.into(),
        title: "借款合同".into(),
        customer: customer.into(),
        category: String::new(),
        year: Some(2012),
        retention: None,
        location: Some("1号库房/05列/A面/3节/4层".into()),
        barcode: None,
        series: None,
        expiry: None,
    };
    let outcomes = store
        .import_rows(
            &Actor::new("import"),
            &[row("A-1", "甲"), row("A-2", "乙"), row("A-1", "丙")],
        )
        .expect("imported");
    let created: Vec<Barcode> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Ok(ImportOutcome::Created(barcode)) => Some(*barcode),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 2);
    assert!(matches!(outcomes[2], Ok(ImportOutcome::Differs(..))));
    for barcode in &created {
        let history = store.history(*barcode).expect("history");
        assert_eq!(history.len(), 1, "{history:?}");
        assert_eq!(history[0].body.kind, EventKind::Imported);
        let listed = history[0].body.changes.iter().any(|change| {
            change
                .after
                .as_deref()
                .is_some_and(|a| a.starts_with(&barcode.to_string()))
        });
        assert!(listed, "the import event names {barcode}");
    }
    let shelf = store
        .location_by_path("1号库房/05列/A面/3节/4层")
        .expect("read")
        .expect("shelf created");
    assert_eq!(store.barcodes_at(shelf.barcode, 10).expect("list"), created);
    assert!(store.verify().expect("verify").is_ok());
}

#[test]
fn an_older_schema_is_opened_and_marked_current() {
    let dir = tempfile::tempdir().expect("tempdir");
    let barcode = {
        let store = open(dir.path());
        let barcode = store
            .register_box(
                &Actor::new("test"),
                &NewBox {
                    archive_no: Some("A-1".into()),
                    title: "借款合同".into(),
                    customer: "鸿达贸易".into(),
                    ..NewBox::default()
                },
            )
            .expect("box")
            .barcode;
        store
            .tree
            .insert(keys::SCHEMA, &1u32.to_be_bytes())
            .expect("write");
        store.flush().expect("flush");
        barcode
    };
    let store = Store::open(dir.path(), StoreOptions::default()).expect("a version-1 store opens");
    assert!(store.get_item(barcode).expect("read").is_some());
    let version = store
        .tree
        .get(keys::SCHEMA)
        .expect("read")
        .expect("a version");
    assert_eq!(version.as_ref(), SCHEMA_VERSION.to_be_bytes());
    assert_eq!(SCHEMA_VERSION, 3);
    assert!(store.verify().expect("verify").is_ok());
}

/// The formats of all events, in order.
fn formats(store: &Store) -> Vec<Format> {
    store
        .events(1, usize::MAX)
        .expect("events")
        .iter()
        .map(|event| event.format)
        .collect()
}

#[test]
fn a_schema_2_store_keeps_its_format_0_events_and_chains_new_ones_in_format_1() {
    let (dir, store, target, _) = box_on_a_shelf();
    let (old_head, old_hash) = tamper::as_schema_2(&store);
    drop(store);

    let store = open(dir.path());
    assert_eq!(store.head(), (old_head, old_hash), "nothing rehashed");
    assert_eq!(store.format_from, old_head + 1);
    assert!(store.verify().expect("verify").is_ok());
    let archive_box = store.register_box(&clerk(), &new_box("鸿达")).expect("box");
    store
        .move_item(&clerk(), archive_box.barcode, target.barcode)
        .expect("moved");
    let expected: Vec<Format> = (1..=store.head().0)
        .map(|seq| {
            if seq <= old_head {
                Format::Unversioned
            } else {
                Format::V1
            }
        })
        .collect();
    assert!(expected.len() as u64 > old_head + 1, "new events recorded");
    assert_eq!(formats(&store), expected);
    assert!(store.verify().expect("verify").is_ok());
    assert_eq!(
        store.history(archive_box.barcode).expect("history").len(),
        2
    );
    drop(store);

    // Opened again, the boundary stays where the upgrade put it.
    let store = open(dir.path());
    assert_eq!(store.format_from, old_head + 1);
    assert_eq!(formats(&store), expected);
    assert!(store.verify().expect("verify").is_ok());
}

#[test]
fn a_backup_of_a_chain_in_both_formats_opens_and_verifies() {
    let (dir, store, _, _) = box_on_a_shelf();
    let (old_head, _) = tamper::as_schema_2(&store);
    drop(store);
    let store = open(dir.path());
    store.register_box(&clerk(), &new_box("鸿达")).expect("box");
    let copy_dir = tempfile::tempdir().expect("tempdir");
    store.backup(copy_dir.path()).expect("backup");
    let copy = open(copy_dir.path());
    assert_eq!(
        copy.format_from,
        old_head + 1,
        "the boundary travels with the events"
    );
    assert_eq!(formats(&copy), formats(&store));
    assert_eq!(copy.head(), store.head());
    assert!(copy.verify().expect("verify").is_ok());
}

#[test]
fn a_new_store_writes_every_event_in_the_current_format() {
    let (_dir, store, _, _) = box_on_a_shelf();
    assert_eq!(store.format_from, 1);
    let formats = formats(&store);
    assert!(!formats.is_empty());
    assert!(formats.iter().all(|format| *format == Format::CURRENT));
}

#[test]
fn an_unknown_or_flipped_format_byte_in_the_store_is_a_clear_error() {
    let (_dir, store, _, _) = box_on_a_shelf();
    tamper::edit_event_bytes(&store, 2, |bytes| bytes[0] = 9);
    let report = store.verify().expect("verify");
    assert_eq!(
        report.chain_error,
        Some(ChainError::UnknownFormat { seq: 2, format: 9 })
    );
    match store.events(1, 10) {
        Err(error @ StoreError::Failed(StorageError::EventFormatTooNew { seq: 2, format: 9 })) => {
            assert_eq!(error.message().code, Code::EventFormatTooNew);
        }
        other => panic!("wrong answer: {other:?}"),
    }

    let (_dir, store, _, _) = box_on_a_shelf();
    tamper::edit_event_bytes(&store, 2, |bytes| bytes[0] = 0);
    assert_eq!(
        store.verify().expect("verify").chain_error,
        Some(ChainError::Undecodable { seq: 2 }),
        "format 0 has no byte: a 0 there is damage"
    );

    // Rewritten as format 0 where format 1 stands: the position decides how it is read,
    // so it does not verify (here seq 2's varint reads as a format byte 2).
    let (_dir, store, _, _) = box_on_a_shelf();
    tamper::edit_event(&store, 2, |event| event.format = Format::Unversioned);
    assert!(
        store.verify().expect("verify").chain_error.is_some(),
        "written without its byte where one belongs"
    );
}

#[test]
fn a_schema_3_store_without_its_event_format_boundary_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = open(dir.path());
        store.tree.remove(keys::EVENT_FORMAT_FROM).expect("remove");
        store.flush().expect("flush");
    }
    match Store::open(dir.path(), StoreOptions::default()) {
        Err(StoreError::Failed(StorageError::Corrupt { key })) => {
            assert_eq!(key, "m:event_format_from")
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("opened without knowing where formats start"),
    }
}

#[test]
fn concurrent_writers_share_flushes_and_each_returns_only_once_durable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    std::thread::scope(|scope| {
        for writer in 0..8 {
            let store = &store;
            scope.spawn(move || {
                for n in 0..10 {
                    // This write's commit comes after every commit counted now.
                    let before = store.durability.committed.load(Ordering::SeqCst);
                    store
                        .register_box(&clerk(), &new_box(&format!("客户{writer}-{n}")))
                        .expect("registered");
                    let durable = store.durability.durable.load(Ordering::SeqCst);
                    assert!(
                        durable > before,
                        "acknowledged before a flush covered it ({durable} <= {before})"
                    );
                }
            });
        }
    });
    let durability = &store.durability;
    assert_eq!(
        durability.durable.load(Ordering::SeqCst),
        durability.committed.load(Ordering::SeqCst),
        "every commit is covered by a finished flush"
    );
    assert!(
        !*durability.flushing.lock().expect("not poisoned"),
        "no flush left marked as running"
    );
}

#[test]
fn live_subscribers_learn_of_a_change_only_after_the_flush_that_covers_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let mut changes = store.subscribe();
    let durability = &store.durability;
    // Hold the flush back: the test marks a flush as running, so the writer commits and
    // then waits for it.
    *durability.flushing.lock().expect("not poisoned") = true;
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| store.register_box(&clerk(), &new_box("鸿达贸易")));
        while durability.committed.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        let early = changes.try_recv().map(|notice| notice.kind);
        // Let the flush happen: the writer flushes, and only then is the change announced.
        *durability.flushing.lock().expect("not poisoned") = false;
        durability.flushed.notify_all();
        let registered = writer.join().expect("writer").expect("registered");
        assert_eq!(
            early,
            Err(tokio::sync::broadcast::error::TryRecvError::Empty),
            "announced while not yet durable"
        );
        let mut notices = Vec::new();
        while let Ok(notice) = changes.try_recv() {
            notices.push((notice.kind, notice.item));
        }
        assert!(
            notices.contains(&(EventKind::Registered, Some(registered.barcode))),
            "announced once durable: {notices:?}"
        );
        assert!(durability.durable.load(Ordering::SeqCst) >= 1);
    });
}

#[test]
fn writers_go_on_during_an_online_backup_and_the_backup_holds_their_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir.path().join("data"));
    let first = shelf(&store, "1号库房/05列/A面/3节/4层");
    let second = shelf(&store, "1号库房/05列/A面/3节/5层");
    let boxes: Vec<_> = (0..40)
        .map(|n| {
            let archive_box = store
                .register_box(&clerk(), &new_box(&format!("客户{n}")))
                .expect("box");
            store
                .move_item(&clerk(), archive_box.barcode, first.barcode)
                .expect("shelved");
            archive_box
        })
        .collect();
    let target = dir.path().join("backup");
    let mut during = None;
    store
        .backup_with(&target, &mut |copied| {
            if copied != 20 {
                return;
            }
            assert!(
                store.writer.try_lock().is_ok(),
                "the copy is under way while holding the writer lock"
            );
            // Writers on other threads are acknowledged while the copy goes on: a move
            // (records the copy has passed and some it has not) and a new box.
            during = Some(std::thread::scope(|scope| {
                scope
                    .spawn(|| {
                        for archive_box in &boxes {
                            store
                                .move_item(&clerk(), archive_box.barcode, second.barcode)
                                .expect("moved during the backup");
                        }
                        store
                            .register_box(&clerk(), &new_box("备份期间的客户"))
                            .expect("registered during the backup")
                    })
                    .join()
                    .expect("writer")
            }));
        })
        .expect("backup");
    let registered = during.expect("written during the backup");
    let (head, _) = store.head();
    drop(store);

    let copy = open(&target);
    assert_eq!(
        copy.head().0,
        head,
        "every acknowledged change is in the backup"
    );
    let report = copy.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    for archive_box in &boxes {
        match copy.get_item(archive_box.barcode).expect("read") {
            Some(Item::Box(found)) => assert_eq!(found.place, Some(second.barcode)),
            other => panic!("{other:?}"),
        }
    }
    assert!(copy.get_item(registered.barcode).expect("read").is_some());
}

#[test]
fn a_second_backup_while_one_is_under_way_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir.path().join("data"));
    for n in 0..3 {
        store
            .register_box(&clerk(), &new_box(&format!("客户{n}")))
            .expect("box");
    }
    let mut second = None;
    store
        .backup_with(&dir.path().join("one"), &mut |copied| {
            if copied == 1 {
                second = Some(store.backup(&dir.path().join("two")));
            }
        })
        .expect("the first backup");
    match second.expect("tried") {
        Err(StoreError::Refused(Refusal::BackupTarget { .. })) => {}
        other => panic!("{other:?}"),
    }
}

/// A store with records in every family `station verify` checks: boxes on a shelf (one
/// imported), a closed and an open loan, an open and a confirmed handover, a certificate,
/// a token, an approval, a pending and a printed print job. Answers the store and the
/// open loan's box, the borrower and the certificate.
fn every_family(dir: &Path) -> (Store, Barcode, Person, Barcode) {
    let store = open(dir);
    let target = shelf(&store, "1号库房/05列/A面/3节/4层");
    let boxes: Vec<_> = (0..3)
        .map(|n| {
            let archive_box = store
                .register_box(&clerk(), &new_box(&format!("客户{n}")))
                .expect("box");
            store
                .move_item(&clerk(), archive_box.barcode, target.barcode)
                .expect("shelved");
            archive_box
        })
        .collect();
    store
        .import_rows(
            &clerk(),
            &[ImportRow {
                archive_no: "IMP-1".into(),
                title: "借款合同".into(),
                customer: "导入客户".into(),
                category: String::new(),
                year: None,
                retention: None,
                location: None,
                barcode: None,
                series: None,
                expiry: None,
            }],
        )
        .expect("imported");
    let borrower = person(&store, "张三", Role::Clerk, false);
    let supervisor = person(&store, "王主管", Role::Supervisor, false);
    let due = NaiveDate::from_ymd_opt(2026, 12, 20).expect("date");
    store
        .open_loan(
            &clerk(),
            boxes[0].barcode,
            borrower.barcode,
            Some(supervisor.barcode),
            due,
        )
        .expect("lent");
    store
        .return_loan(&clerk(), boxes[0].barcode, None)
        .expect("returned");
    store
        .open_loan(
            &clerk(),
            boxes[1].barcode,
            borrower.barcode,
            Some(supervisor.barcode),
            due,
        )
        .expect("lent");
    let deadline = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
    for confirm in [false, true] {
        store
            .write(&clerk(), |tx| {
                let handover = tx.start_handover(
                    HandoverStage::OfficerToOfficer,
                    borrower.barcode,
                    supervisor.barcode,
                    &[boxes[2].barcode],
                    &[],
                    deadline,
                )?;
                if confirm {
                    tx.confirm_handover(handover.id, &[])?;
                }
                Ok(())
            })
            .expect("handover");
    }
    let certificate = store
        .register_certificate(
            &clerk(),
            &NewCertificate {
                kind: CertificateKind::RealEstate,
                number: "粤(2026)第0001号".into(),
                archive_no: boxes[2].archive_no.clone(),
            },
        )
        .expect("certificate");
    store
        .create_token(&clerk(), borrower.barcode, "")
        .expect("token");
    store
        .approve_borrower(&clerk(), borrower.barcode, supervisor.barcode, due)
        .expect("approved");
    let label = NewJob {
        printer: "zebra-1".into(),
        subject: boxes[0].barcode.to_string(),
        format: crate::model::PrintFormat::Zpl,
        payload: b"^XA^XZ".to_vec(),
        reprint: None,
    };
    let printed = store.queue_print(&clerk(), &label).expect("queued");
    store
        .write(&clerk(), |tx| tx.job_printed(printed.id))
        .expect("printed");
    store.queue_print(&clerk(), &label).expect("queued");
    (store, boxes[1].barcode, borrower, certificate.barcode)
}

#[test]
fn verify_checks_every_key_family_and_names_the_damaged_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("source");
    {
        let (store, _, _, _) = every_family(&source);
        let report = store.verify().expect("verify");
        assert!(report.is_ok(), "a sound store: {:?}", report.problems);
    }
    let first = |store: &Store, tag: u8| -> Vec<u8> {
        tamper::keys_of(store, tag)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no key of family {}", char::from(tag)))
    };
    // Each case damages one key of one family in a fresh copy of the store, and says which
    // finding (code and key) verify must report.
    type Damage = fn(&Store, &dyn Fn(&Store, u8) -> Vec<u8>) -> (Code, Vec<u8>);
    let cases: Vec<(&str, Damage)> = vec![
        ("h missing", |store, first| {
            let key = first(store, keys::HISTORY);
            tamper::set_raw(store, &key, None);
            (Code::VerifyEntryMissing, key)
        }),
        ("h dangling", |store, _| {
            let person = Barcode::new(crate::barcode::Kind::Person, 999).expect("valid");
            let key = keys::history(person, 1);
            tamper::set_raw(store, &key, Some(b""));
            (Code::VerifyEntryDangling, key)
        }),
        ("h of an imported box", |store, _| {
            let imported = store
                .box_by_archive_no("IMP-1")
                .expect("read")
                .expect("imported");
            let key = tamper::keys_of(store, keys::HISTORY)
                .into_iter()
                .find(|key| key.starts_with(&keys::history_prefix(imported.barcode)))
                .expect("in its history");
            tamper::set_raw(store, &key, None);
            (Code::VerifyEntryMissing, key)
        }),
        ("o damaged", |store, first| {
            let key = first(store, keys::LOAN);
            tamper::set_raw(store, &key, Some(b"\xff\xff"));
            (Code::StoreCorrupt, key)
        }),
        ("b missing", |store, first| {
            let key = first(store, keys::BORROWER);
            tamper::set_raw(store, &key, None);
            (Code::VerifyEntryMissing, key)
        }),
        ("b dangling", |store, first| {
            // The closed loan (the first) has no borrower entry: one is added.
            let loan = keys::trailing_u64(&first(store, keys::LOAN)).expect("id");
            let borrower = tamper::keys_of(store, keys::BORROWER)
                .into_iter()
                .next()
                .expect("the open loan's");
            let mut key = borrower[..borrower.len() - 8].to_vec();
            key.extend_from_slice(&loan.to_be_bytes());
            tamper::set_raw(store, &key, Some(b""));
            (Code::VerifyEntryDangling, key)
        }),
        ("d moved", |store, first| {
            let key = first(store, keys::DUE);
            tamper::set_raw(store, &key, None);
            let id = keys::trailing_u64(&key).expect("id");
            let other = keys::due(NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"), id);
            tamper::set_raw(store, &other, Some(b""));
            (Code::VerifyEntryDangling, other)
        }),
        ("g damaged", |store, first| {
            let key = first(store, keys::HANDOVER);
            tamper::set_raw(store, &key, Some(b"\x00"));
            (Code::StoreCorrupt, key)
        }),
        ("G missing", |store, first| {
            let key = first(store, keys::HANDOVER_DUE);
            tamper::set_raw(store, &key, None);
            (Code::VerifyEntryMissing, key)
        }),
        ("G of a confirmed handover", |store, first| {
            let open = first(store, keys::HANDOVER_DUE);
            let mut key = open[..open.len() - 8].to_vec();
            key.extend_from_slice(&2u64.to_be_bytes());
            tamper::set_raw(store, &key, Some(b""));
            (Code::VerifyEntryDangling, key)
        }),
        ("n missing", |store, first| {
            let key = first(store, keys::CERTIFICATES_OF);
            tamper::set_raw(store, &key, None);
            (Code::VerifyEntryMissing, key)
        }),
        ("t damaged", |store, first| {
            let key = first(store, keys::TOKEN);
            tamper::set_raw(store, &key, Some(b"\xff"));
            (Code::StoreCorrupt, key)
        }),
        ("T missing", |store, first| {
            let key = first(store, keys::TOKEN_ID);
            tamper::set_raw(store, &key, None);
            (Code::VerifyEntryMissing, key)
        }),
        ("T dangling", |store, _| {
            let key = keys::token_id(77);
            tamper::set_raw(store, &key, Some(&[7u8; 32]));
            (Code::VerifyEntryDangling, key)
        }),
        ("q under another borrower", |store, first| {
            let key = first(store, keys::APPROVAL);
            let value = tamper::get_raw(store, &key).expect("approval");
            let elsewhere =
                keys::approval(Barcode::new(crate::barcode::Kind::Person, 999).expect("valid"));
            tamper::set_raw(store, &key, None);
            tamper::set_raw(store, &elsewhere, Some(&value));
            (Code::VerifyRecordMisplaced, elsewhere)
        }),
        ("j under another number", |store, first| {
            let key = first(store, keys::JOB);
            let value = tamper::get_raw(store, &key).expect("job");
            tamper::set_raw(store, &keys::job(9), Some(&value));
            (Code::VerifyRecordMisplaced, keys::job(9))
        }),
        ("J missing", |store, first| {
            let key = first(store, keys::JOB_DUE);
            tamper::set_raw(store, &key, None);
            (Code::VerifyEntryMissing, key)
        }),
        ("J of a printed job", |store, _| {
            let key = keys::job_due(0, 1);
            tamper::set_raw(store, &key, Some(b""));
            (Code::VerifyEntryDangling, key)
        }),
    ];
    for (n, (case, damage)) in cases.into_iter().enumerate() {
        let copy_dir = dir.path().join(format!("copy-{n}"));
        {
            let source = open(&source);
            source.backup(&copy_dir).expect("copy");
        }
        let store = open(&copy_dir);
        let (code, key) = damage(&store, &first);
        let named = keys::describe(&key);
        let report = store.verify().expect("verify");
        assert!(
            report
                .problems
                .iter()
                .any(|problem| problem.code == code && problem.text.en.contains(&named)),
            "{case}: expected {code:?} naming {named}, found {:?}",
            report.problems
        );
    }
}

#[test]
fn a_value_sled_keeps_in_a_blob_file_is_synced_by_the_flush() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    // Far above sled's blob threshold (a quarter of its 512 KiB segments).
    tamper::set_raw(&store, b"m:test-blob", Some(&vec![7u8; 400_000]));
    let written: HashSet<std::ffi::OsString> =
        std::fs::read_dir(dir.path().join("store").join("blobs"))
            .expect("blobs directory")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
    assert!(!written.is_empty(), "sled wrote the value as a blob file");
    let synced = store
        .files
        .synced_blobs
        .lock()
        .expect("not poisoned")
        .clone();
    assert!(
        written.is_subset(&synced),
        "every blob file is synced: {written:?} against {synced:?}"
    );
}
