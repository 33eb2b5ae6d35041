//! Workflow tests on a real sled store in a temp dir, with an injected clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use super::*;
use crate::event::EventKind;
use crate::model::{CertificateKind, ItemStatus, LocationKind, Role};
use crate::store::{NewBox, NewCertificate, NewLocation, NewPerson};

mod contents;
mod returns;

/// 2026-11-27 09:00 UTC, a Friday.
const START: Millis = 1_795_770_000_000; // checked: 2026-11-27T09:00:00Z

struct Fixture {
    _dir: tempfile::TempDir,
    clock: Arc<AtomicI64>,
    engine: Engine,
    shelf: Location,
    other_shelf: Location,
    safe: Location,
    clerk: Person,
    executive: Person,
    supervisor: Person,
    boxes: Vec<crate::model::ArchiveBox>,
    certificate: crate::model::Certificate,
}

fn actor() -> Actor {
    Actor::new("setup")
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::at(START, crate::clock::TimeZone::utc())
    }

    /// A fixture whose clock starts at `start` and whose business dates are in `zone`.
    fn at(start: Millis, zone: crate::clock::TimeZone) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, clock) = crate::store::open_with_clock_in(dir.path(), start, zone);
        let shelf = store
            .ensure_location(&actor(), "1号库房/05列/A面/3节/4层")
            .expect("shelf");
        let other_shelf = store
            .ensure_location(&actor(), "1号库房/05列/A面/3节/5层")
            .expect("shelf");
        let safe = store
            .add_location(
                &actor(),
                &NewLocation {
                    kind: LocationKind::Safe,
                    name: "保险柜1".into(),
                    parent: None,
                    capacity: None,
                },
            )
            .expect("safe");
        let person = |name: &str, role: Role, direct: bool| {
            store
                .add_person(
                    &actor(),
                    &NewPerson {
                        name: name.into(),
                        role,
                        borrow_directly: direct,
                    },
                )
                .expect("person")
        };
        let clerk = person("张三", Role::Clerk, false);
        let executive = person("李总", Role::Clerk, true);
        let supervisor = person("王主管", Role::Supervisor, false);
        let scheme = Scheme::new("loan", "{year}鸿借字第{seq:03}号").expect("scheme");
        let boxes = (0..4)
            .map(|n| {
                store
                    .register_box(
                        &actor(),
                        &NewBox {
                            scheme: Some((scheme.clone(), 2026)),
                            title: format!("借款合同{n}"),
                            customer: format!("客户{n}"),
                            home: Some(shelf.barcode),
                            ..NewBox::default()
                        },
                    )
                    .expect("box")
            })
            .collect::<Vec<_>>();
        let certificate = store
            .register_certificate(
                &actor(),
                &NewCertificate {
                    kind: CertificateKind::RealEstate,
                    number: "粤(2026)第0001号".into(),
                    archive_no: boxes[0].archive_no.clone(),
                },
            )
            .expect("certificate");
        let engine = Engine::new(
            store,
            WorkflowConfig {
                intake_scheme: Some(scheme),
                ..WorkflowConfig::default()
            },
        );
        Fixture {
            _dir: dir,
            clock,
            engine,
            shelf,
            other_shelf,
            safe,
            clerk,
            executive,
            supervisor,
            boxes,
            certificate,
        }
    }

    /// Scans at `counter`, then moves the clock past the repeat window.
    fn scan(&self, code: impl ToString) -> ScanResult {
        self.scan_at("counter", code)
    }

    fn scan_at(&self, workstation: &str, code: impl ToString) -> ScanResult {
        let result = self.engine.scan(workstation, &code.to_string());
        self.clock.fetch_add(2_000, Ordering::SeqCst);
        result
    }

    fn card(&self, card: CommandCard) -> ScanResult {
        self.scan(card.barcode())
    }

    fn item(&self, barcode: Barcode) -> Item {
        self.engine
            .store()
            .get_item(barcode)
            .expect("read")
            .expect("exists")
    }

    fn status(&self, barcode: Barcode) -> ItemStatus {
        match self.item(barcode) {
            Item::Box(b) => b.status,
            Item::Certificate(c) => c.status,
            _ => panic!("not a box"),
        }
    }

    fn place(&self, barcode: Barcode) -> Option<Barcode> {
        match self.item(barcode) {
            Item::Box(b) => b.place,
            Item::Certificate(c) => c.place,
            _ => panic!("not a box"),
        }
    }

    fn events(&self) -> u64 {
        self.engine.store().head().0
    }
}

fn assert_outcome(result: &ScanResult, outcome: Outcome, code: Code) {
    assert_eq!(result.outcome, outcome, "{result:?}");
    assert_eq!(result.code, code, "{result:?}");
    assert!(!result.message.zh.is_empty() && !result.message.en.is_empty());
}

/// As [`assert_outcome`], and the message names `data` (a name, a date, a path) in both
/// languages.
fn assert_outcome_with(result: &ScanResult, outcome: Outcome, code: Code, data: &str) {
    assert_outcome(result, outcome, code);
    assert!(
        result.message.zh.contains(data) && result.message.en.contains(data),
        "expected {data:?} in {:?}",
        result.message
    );
}

#[test]
fn command_card_codes_are_the_ones_in_hardware_md() {
    let codes: Vec<String> = CommandCard::ALL
        .iter()
        .map(|c| c.barcode().to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "K0000000014",
            "K0000000023",
            "K0000000038",
            "K0000000046",
            "K0000000051",
            "K0000000067",
            "K0000000072",
            "K0000000080",
            "K0000000095",
            "K0000000102",
            "K0000000115",
            "K0000000128",
        ]
    );
}

#[test]
fn command_cards_round_trip_and_strangers_are_refused() {
    for card in CommandCard::ALL {
        assert_eq!(CommandCard::from_barcode(card.barcode()), Some(card));
    }
    let fixture = Fixture::new();
    let stranger = Barcode::new(Kind::Command, 99).expect("valid");
    assert_outcome(
        &fixture.scan(stranger),
        Outcome::Error,
        Code::ScanUnknownCommandCard,
    );
    assert_outcome(
        &fixture.scan("B12345"),
        Outcome::Error,
        Code::BarcodeBadLength,
    );
    assert_outcome(
        &fixture.scan("B0000000019"),
        Outcome::Error,
        Code::BarcodeBadCheckDigit,
    );
}

#[test]
fn lookup_shows_the_box_and_a_badge_sets_the_operator() {
    let fixture = Fixture::new();
    let unknown = Barcode::new(Kind::Box, 999).expect("valid");
    assert_outcome(
        &fixture.scan(unknown),
        Outcome::Error,
        Code::ItemNotRegistered,
    );
    let result = fixture.scan(fixture.boxes[0].barcode);
    assert_outcome(&result, Outcome::Ok, Code::LookupFound);
    let item = result.item.expect("summary");
    assert_eq!(item.archive_no.as_deref(), Some("2026鸿借字第001号"));
    assert_eq!(item.home.as_deref(), Some("1号库房/05列/A面/3节/4层"));
    assert_outcome_with(
        &fixture.scan(fixture.clerk.barcode),
        Outcome::Ok,
        Code::ScanOperator,
        "张三",
    );
}

#[test]
fn shelving_needs_a_shelf_first_and_warns_about_the_home_shelf() {
    let fixture = Fixture::new();
    fixture.card(CommandCard::Shelve);
    assert_eq!(fixture.engine.mode("counter"), Mode::Shelve);
    let before = fixture.events();
    let refused = fixture.scan(fixture.boxes[0].barcode);
    assert_outcome(&refused, Outcome::Error, Code::ShelveNeedsShelf);
    assert_eq!(fixture.events(), before, "a refused scan changes nothing");
    let shown = refused.item.expect("the refused box is shown");
    assert_eq!(shown.archive_no.as_deref(), Some("2026鸿借字第001号"));

    assert_outcome(
        &fixture.scan(fixture.shelf.barcode),
        Outcome::Ok,
        Code::ShelveShelf,
    );
    assert_outcome(
        &fixture.scan(fixture.boxes[0].barcode),
        Outcome::Ok,
        Code::ShelveDone,
    );
    assert_eq!(
        fixture.place(fixture.boxes[0].barcode),
        Some(fixture.shelf.barcode)
    );

    fixture.scan(fixture.other_shelf.barcode);
    let warned = fixture.scan(fixture.boxes[1].barcode);
    assert_outcome(&warned, Outcome::Warning, Code::ShelveNotHomeShelf);
    assert_eq!(
        fixture.place(fixture.boxes[1].barcode),
        Some(fixture.other_shelf.barcode)
    );
}

#[test]
fn only_a_supervisor_moves_a_certificate_and_only_into_a_safe() {
    let fixture = Fixture::new();
    fixture.card(CommandCard::Shelve);
    fixture.scan(fixture.safe.barcode);
    fixture.scan(fixture.clerk.barcode);
    let refused = fixture.scan(fixture.certificate.barcode);
    assert_outcome(&refused, Outcome::Error, Code::CertificateNeedsSupervisor);
    assert_eq!(fixture.place(fixture.certificate.barcode), None);

    fixture.scan(fixture.supervisor.barcode);
    assert_outcome_with(
        &fixture.scan(fixture.certificate.barcode),
        Outcome::Ok,
        Code::ShelveDone,
        "保险柜1",
    );
    fixture.scan(fixture.shelf.barcode);
    let refused = fixture.scan(fixture.certificate.barcode);
    assert_outcome(&refused, Outcome::Error, Code::CertificateOutsideSafe);
    assert_eq!(
        fixture.place(fixture.certificate.barcode),
        Some(fixture.safe.barcode)
    );
}

#[test]
fn only_a_supervisor_checks_a_safe_in_audit_for_its_count_is_theirs_to_see() {
    let fixture = Fixture::new();
    let in_safe = fixture.certificate.barcode;
    fixture
        .engine
        .store()
        .move_item(&actor(), in_safe, fixture.safe.barcode)
        .expect("into the safe");
    fixture.card(CommandCard::Audit);
    // No one's badge, then a clerk's: refused, and no stock-take begins.
    for badge in [None, Some(fixture.clerk.barcode)] {
        if let Some(badge) = badge {
            fixture.scan(badge);
        }
        let refused = fixture.scan(fixture.safe.barcode);
        assert_outcome_with(
            &refused,
            Outcome::Error,
            Code::AuditSafeNeedsSupervisor,
            "保险柜1",
        );
        assert_outcome(
            &fixture.scan(in_safe),
            Outcome::Error,
            Code::AuditNeedsShelf,
        );
    }
    // A shelf is still the clerk's to check.
    assert_outcome(
        &fixture.scan(fixture.shelf.barcode),
        Outcome::Ok,
        Code::AuditStarted,
    );
    fixture.card(CommandCard::Cancel);
    fixture.card(CommandCard::Audit);
    fixture.scan(fixture.supervisor.barcode);
    let started = fixture.scan(fixture.safe.barcode);
    assert_outcome_with(&started, Outcome::Ok, Code::AuditStarted, "保险柜1");
    assert!(started.message.en.contains("1 expected"), "{started:?}");
}

#[test]
fn checkout_asks_for_the_badge_then_approval_and_refuses_a_box_that_is_out() {
    let fixture = Fixture::new();
    let archive_box = fixture.boxes[0].barcode;
    fixture.card(CommandCard::Checkout);
    assert_outcome(
        &fixture.scan(archive_box),
        Outcome::Error,
        Code::CheckoutNeedsBorrower,
    );
    assert_outcome(
        &fixture.scan(fixture.shelf.barcode),
        Outcome::Error,
        Code::ScanWrongKindForMode,
    );

    assert_outcome(
        &fixture.scan(fixture.clerk.barcode),
        Outcome::Ok,
        Code::CheckoutBorrowerNeedsApproval,
    );
    assert_outcome(
        &fixture.scan(archive_box),
        Outcome::Error,
        Code::CheckoutApprovalBadge,
    );
    assert_eq!(fixture.status(archive_box), ItemStatus::Registered);

    assert_outcome_with(
        &fixture.scan(fixture.supervisor.barcode),
        Outcome::Ok,
        Code::CheckoutApproved,
        "王主管",
    );
    let lent = fixture.scan(archive_box);
    assert_outcome_with(&lent, Outcome::Ok, Code::CheckoutLent, "2026-12-27");
    let item = lent.item.expect("summary");
    assert_eq!(item.holder.as_deref(), Some("张三"));
    assert_eq!(item.status, Some("on loan"));

    fixture.scan(fixture.executive.barcode);
    let refused = fixture.scan(archive_box);
    assert_outcome_with(&refused, Outcome::Error, Code::LoanOnLoan, "2026-11-27");
}

#[test]
fn a_returned_box_waits_at_the_counter_with_its_home_shelf_shown() {
    let fixture = Fixture::new();
    let archive_box = fixture.boxes[0].barcode;
    fixture.card(CommandCard::Checkout);
    fixture.scan(fixture.executive.barcode);
    fixture.scan(archive_box);
    fixture.card(CommandCard::Return);
    let returned = fixture.scan(archive_box);
    assert_outcome_with(
        &returned,
        Outcome::Ok,
        Code::ReturnDone,
        "1号库房/05列/A面/3节/4层",
    );
    assert_eq!(fixture.status(archive_box), ItemStatus::AtCounter);
    assert_eq!(
        returned.item.and_then(|i| i.place).as_deref(),
        Some("柜台-counter")
    );
    let again = fixture.scan(archive_box);
    assert_outcome(&again, Outcome::Error, Code::LoanNotOnLoan);
}

#[test]
fn undo_takes_back_a_shelving_a_loan_and_a_return() {
    let fixture = Fixture::new();
    let archive_box = fixture.boxes[0].barcode;
    fixture.card(CommandCard::Shelve);
    fixture.scan(fixture.shelf.barcode);
    fixture.scan(archive_box);
    assert_outcome(
        &fixture.card(CommandCard::Undo),
        Outcome::Ok,
        Code::UndoDone,
    );
    assert_eq!(fixture.place(archive_box), None);
    assert_eq!(fixture.status(archive_box), ItemStatus::Registered);
    assert_outcome(
        &fixture.card(CommandCard::Undo),
        Outcome::Error,
        Code::UndoNothing,
    );

    fixture.card(CommandCard::Checkout);
    fixture.scan(fixture.executive.barcode);
    fixture.scan(archive_box);
    fixture.card(CommandCard::Undo);
    assert_eq!(fixture.status(archive_box), ItemStatus::Registered);
    assert!(fixture
        .engine
        .store()
        .open_loan_of(archive_box)
        .expect("read")
        .is_none());

    fixture.scan(fixture.executive.barcode);
    fixture.scan(archive_box);
    fixture.card(CommandCard::Return);
    fixture.scan(archive_box);
    fixture.card(CommandCard::Undo);
    assert_eq!(fixture.status(archive_box), ItemStatus::OnLoan);
    assert!(fixture
        .engine
        .store()
        .open_loan_of(archive_box)
        .expect("read")
        .is_some());

    let history = fixture
        .engine
        .store()
        .history(archive_box)
        .expect("history");
    let undone = history
        .iter()
        .filter(|e| e.body.kind == EventKind::Undone)
        .count();
    assert_eq!(undone, 3, "every undo is an event");
    assert!(fixture.engine.store().verify().expect("verify").is_ok());
}

#[test]
fn the_same_code_twice_in_a_short_window_is_applied_once() {
    let fixture = Fixture::new();
    let archive_box = fixture.boxes[0].barcode;
    fixture.card(CommandCard::Checkout);
    fixture.scan(fixture.executive.barcode);
    let first = fixture.engine.scan("counter", &archive_box.to_string());
    let events = fixture.events();
    fixture.clock.fetch_add(500, Ordering::SeqCst);
    let repeat = fixture.engine.scan("counter", &archive_box.to_string());
    assert_eq!(first.outcome, Outcome::Ok);
    assert_eq!(repeat.outcome, Outcome::Ok, "{repeat:?}");
    assert_eq!(repeat.code, Code::ScanRepeated);
    assert_eq!(fixture.events(), events, "not applied twice");
    // After the window the same scan is a new scan (and now refused: the box is out).
    fixture.clock.fetch_add(2_000, Ordering::SeqCst);
    let later = fixture.engine.scan("counter", &archive_box.to_string());
    assert_outcome(&later, Outcome::Error, Code::LoanOnLoan);
}

#[test]
fn a_stock_take_reports_present_missing_misplaced_unknown_and_duplicates() {
    let fixture = Fixture::new();
    fixture.card(CommandCard::Shelve);
    fixture.scan(fixture.shelf.barcode);
    for archive_box in &fixture.boxes[..3] {
        fixture.scan(archive_box.barcode);
    }
    fixture.scan(fixture.other_shelf.barcode);
    fixture.scan(fixture.boxes[3].barcode);

    fixture.card(CommandCard::Audit);
    assert_outcome(
        &fixture.scan(fixture.boxes[0].barcode),
        Outcome::Error,
        Code::AuditNeedsShelf,
    );
    assert_outcome_with(
        &fixture.scan(fixture.shelf.barcode),
        Outcome::Ok,
        Code::AuditStarted,
        "3",
    );
    fixture.scan(fixture.boxes[0].barcode);
    fixture.scan(fixture.boxes[0].barcode);
    fixture.scan(fixture.boxes[1].barcode);
    fixture.scan(fixture.boxes[3].barcode);
    let stranger = Barcode::new(Kind::Box, 777).expect("valid");
    fixture.scan(stranger);
    let done = fixture.card(CommandCard::Done);
    assert_outcome(&done, Outcome::Warning, Code::AuditDiscrepancies);
    let report = done.audit.expect("report");
    assert_eq!(report.missing, vec![fixture.boxes[2].barcode.to_string()]);
    assert_eq!(report.misplaced, vec![fixture.boxes[3].barcode.to_string()]);
    assert_eq!(report.unknown, vec![stranger.to_string()]);
    assert_eq!(
        fixture.status(fixture.boxes[2].barcode),
        ItemStatus::Missing
    );
    assert_eq!(
        fixture.place(fixture.boxes[2].barcode),
        Some(fixture.shelf.barcode),
        "flagged, not moved"
    );
    assert_eq!(
        fixture.place(fixture.boxes[3].barcode),
        Some(fixture.other_shelf.barcode)
    );
}

#[test]
fn a_stock_take_shows_its_progress_and_lists_each_discrepancy_with_number_title_and_place() {
    let fixture = Fixture::new();
    fixture.card(CommandCard::Shelve);
    fixture.scan(fixture.shelf.barcode);
    for archive_box in &fixture.boxes[..3] {
        fixture.scan(archive_box.barcode);
    }
    fixture.scan(fixture.other_shelf.barcode);
    fixture.scan(fixture.boxes[3].barcode);

    fixture.card(CommandCard::Audit);
    let started = fixture.scan(fixture.shelf.barcode);
    let progress = started.context.audit.clone().expect("progress");
    assert_eq!((progress.found, progress.expected), (0, 3), "{progress:?}");
    assert_eq!(progress.shelf, fixture.shelf.path);
    fixture.scan(fixture.boxes[0].barcode);
    let again = fixture.scan(fixture.boxes[0].barcode);
    let progress = again.context.audit.clone().expect("progress");
    assert_eq!(
        (progress.found, progress.expected, progress.scanned),
        (1, 3, 2),
        "a repeat is not found twice"
    );
    fixture.scan(fixture.boxes[1].barcode);
    fixture.scan(fixture.boxes[3].barcode);
    let stranger = Barcode::new(Kind::Box, 777).expect("valid");
    let last = fixture.scan(stranger);
    let progress = last.context.audit.clone().expect("progress");
    assert_eq!((progress.found, progress.expected), (2, 3));
    // The context endpoint's answer is the same as the last scan's.
    assert_eq!(fixture.engine.context("counter"), last.context);

    let done = fixture.card(CommandCard::Done);
    let report = done.audit.expect("report");
    assert_eq!(report.expected, 3);
    let detail = &report.detail;
    let line = |lines: &[AuditLine]| -> (String, Option<String>, Option<String>, Option<String>) {
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        (
            line.barcode.clone(),
            line.archive_no.clone(),
            line.title.clone(),
            line.place.clone(),
        )
    };
    let missing = &fixture.boxes[2];
    assert_eq!(
        line(&detail.missing),
        (
            missing.barcode.to_string(),
            Some(missing.archive_no.clone()),
            Some(missing.title.clone()),
            Some(fixture.shelf.path.clone())
        )
    );
    let misplaced = &fixture.boxes[3];
    assert_eq!(
        line(&detail.misplaced),
        (
            misplaced.barcode.to_string(),
            Some(misplaced.archive_no.clone()),
            Some(misplaced.title.clone()),
            Some(fixture.other_shelf.path.clone())
        ),
        "a misplaced box names the shelf it is recorded on"
    );
    assert_eq!(detail.misplaced[0].home, Some(fixture.shelf.path.clone()));
    assert_eq!(
        line(&detail.unknown),
        (stranger.to_string(), None, None, None)
    );
    let duplicate = &fixture.boxes[0];
    assert_eq!(
        line(&detail.duplicates),
        (
            duplicate.barcode.to_string(),
            Some(duplicate.archive_no.clone()),
            Some(duplicate.title.clone()),
            Some(fixture.shelf.path.clone())
        )
    );
    assert_eq!(done.context.audit, None, "DONE ends the stock-take");
    assert_eq!(done.context.mode, Mode::Audit);
}

#[test]
fn a_stock_take_of_a_large_shelf_details_at_most_the_bound_and_counts_all() {
    let fixture = Fixture::new();
    let shelf = fixture
        .engine
        .store()
        .ensure_location(&actor(), "2号库房/01列/A面/1节/1层")
        .expect("shelf");
    let count = AUDIT_DETAIL_MAX + 20;
    for n in 0..count {
        let store = fixture.engine.store();
        let registered = store
            .register_box(
                &actor(),
                &NewBox {
                    archive_no: Some(format!("L-{n:03}")),
                    title: format!("卷宗{n}"),
                    customer: format!("客户{n}"),
                    ..NewBox::default()
                },
            )
            .expect("box");
        store
            .move_item(&actor(), registered.barcode, shelf.barcode)
            .expect("placed");
    }
    fixture.card(CommandCard::Audit);
    fixture.scan(shelf.barcode);
    let done = fixture.card(CommandCard::Done);
    let report = done.audit.expect("report");
    assert_eq!(report.expected, count);
    assert_eq!(report.missing.len(), count, "the barcodes of all");
    assert_eq!(
        report.detail.missing.len(),
        AUDIT_DETAIL_MAX,
        "details bounded"
    );
}

#[test]
fn a_scan_sent_again_with_its_id_is_answered_and_not_run_twice() {
    let fixture = Fixture::new();
    let archive_box = fixture.boxes[0].barcode;
    fixture.card(CommandCard::Shelve);
    fixture.scan(fixture.shelf.barcode);
    fixture.scan(archive_box);
    fixture.card(CommandCard::Return);
    fixture.card(CommandCard::Checkout);
    fixture.scan(fixture.executive.barcode);
    let first = fixture.engine.scan_once_as(
        "counter",
        &archive_box.to_string(),
        &fixture.supervisor,
        "q-1",
    );
    assert_outcome(&first, Outcome::Ok, Code::CheckoutLent);
    let events = fixture.events();
    fixture.clock.fetch_add(60_000, Ordering::SeqCst);
    let again = fixture.engine.scan_once_as(
        "counter",
        &archive_box.to_string(),
        &fixture.supervisor,
        "q-1",
    );
    assert_eq!(again, first, "the first answer, not a new scan");
    assert_eq!(fixture.events(), events, "nothing written");
    // Another id is another scan (and here refused: the box is out).
    let other = fixture.engine.scan_once_as(
        "counter",
        &archive_box.to_string(),
        &fixture.supervisor,
        "q-2",
    );
    assert_outcome(&other, Outcome::Error, Code::LoanOnLoan);
}

#[test]
fn undo_says_which_box_it_took_back_and_from_whom() {
    let fixture = Fixture::new();
    let archive_box = &fixture.boxes[0];
    let barcode = archive_box.barcode;
    fixture.card(CommandCard::Shelve);
    fixture.scan(fixture.shelf.barcode);
    fixture.scan(barcode);
    let undone = fixture.card(CommandCard::Undo);
    assert_outcome_with(&undone, Outcome::Ok, Code::UndoDone, &barcode.to_string());
    assert_outcome_with(
        &undone,
        Outcome::Ok,
        Code::UndoDone,
        &archive_box.archive_no,
    );
    assert_outcome_with(&undone, Outcome::Ok, Code::UndoDone, &fixture.shelf.path);

    fixture.card(CommandCard::Checkout);
    fixture.scan(fixture.executive.barcode);
    let lent = fixture.scan(barcode);
    assert_eq!(lent.context.borrower.as_deref(), Some("李总"));
    let undone = fixture.card(CommandCard::Undo);
    assert_outcome_with(&undone, Outcome::Ok, Code::UndoLoan, "李总");
    assert_outcome_with(&undone, Outcome::Ok, Code::UndoLoan, &barcode.to_string());
    assert_outcome_with(
        &undone,
        Outcome::Ok,
        Code::UndoLoan,
        &archive_box.archive_no,
    );

    fixture.scan(barcode);
    fixture.card(CommandCard::Return);
    fixture.scan(barcode);
    let undone = fixture.card(CommandCard::Undo);
    assert_outcome_with(&undone, Outcome::Ok, Code::UndoReturn, "李总");
    assert_outcome_with(&undone, Outcome::Ok, Code::UndoReturn, &barcode.to_string());
}

#[test]
fn a_stock_take_warns_at_scan_time_of_a_misplaced_box_an_unknown_code_and_a_duplicate() {
    let fixture = Fixture::new();
    fixture.card(CommandCard::Shelve);
    fixture.scan(fixture.shelf.barcode);
    fixture.scan(fixture.boxes[0].barcode);
    fixture.scan(fixture.other_shelf.barcode);
    fixture.scan(fixture.boxes[3].barcode);

    fixture.card(CommandCard::Audit);
    fixture.scan(fixture.shelf.barcode);
    assert_outcome(
        &fixture.scan(fixture.boxes[0].barcode),
        Outcome::Ok,
        Code::AuditRecorded,
    );
    assert_outcome_with(
        &fixture.scan(fixture.boxes[3].barcode),
        Outcome::Warning,
        Code::AuditMisplaced,
        &fixture.other_shelf.path,
    );
    let stranger = Barcode::new(Kind::Box, 777).expect("valid");
    assert_outcome_with(
        &fixture.scan(stranger),
        Outcome::Warning,
        Code::AuditUnknown,
        &stranger.to_string(),
    );
    assert_outcome_with(
        &fixture.scan(fixture.boxes[0].barcode),
        Outcome::Warning,
        Code::AuditDuplicate,
        &fixture.boxes[0].barcode.to_string(),
    );
    // DONE still reconciles the whole shelf.
    let done = fixture.card(CommandCard::Done);
    assert_outcome(&done, Outcome::Warning, Code::AuditDiscrepancies);
    let report = done.audit.expect("report");
    assert_eq!(report.present, vec![fixture.boxes[0].barcode.to_string()]);
    assert_eq!(report.misplaced, vec![fixture.boxes[3].barcode.to_string()]);
    assert_eq!(report.unknown, vec![stranger.to_string()]);
    assert_eq!(
        report.duplicates,
        vec![fixture.boxes[0].barcode.to_string()]
    );
}

#[test]
fn intake_registers_a_blank_label_and_activates_a_registered_box() {
    let fixture = Fixture::new();
    fixture.card(CommandCard::Intake);
    let activated = fixture.scan(fixture.boxes[0].barcode);
    assert_outcome(&activated, Outcome::Ok, Code::IntakeActivated);
    assert_eq!(
        fixture.status(fixture.boxes[0].barcode),
        ItemStatus::AtCounter
    );
    assert_outcome(
        &fixture.scan(fixture.boxes[0].barcode),
        Outcome::Error,
        Code::IntakeAlreadyRegistered,
    );

    let blank = Barcode::new(Kind::Box, 5000).expect("valid");
    let registered = fixture.scan(blank);
    assert_outcome_with(
        &registered,
        Outcome::Warning,
        Code::IntakeRegistered,
        "2026鸿借字第005号",
    );
    assert_eq!(fixture.status(blank), ItemStatus::AtCounter);
    assert_outcome(
        &fixture.scan(fixture.shelf.barcode),
        Outcome::Error,
        Code::ScanWrongKindForMode,
    );
}

#[test]
fn a_handover_is_recorded_with_its_working_day_deadline() {
    let fixture = Fixture::new();
    fixture.scan(fixture.clerk.barcode);
    fixture.card(CommandCard::Handover);
    assert_outcome(
        &fixture.scan(fixture.boxes[0].barcode),
        Outcome::Error,
        Code::HandoverNeedsReceiver,
    );
    fixture.scan(fixture.executive.barcode);
    fixture.scan(fixture.boxes[0].barcode);
    assert_outcome_with(
        &fixture.scan(fixture.boxes[1].barcode),
        Outcome::Ok,
        Code::HandoverAdded,
        "2",
    );
    let done = fixture.card(CommandCard::Done);
    assert_outcome_with(&done, Outcome::Ok, Code::HandoverConfirmed, "李总");
    let store = fixture.engine.store();
    let handover = store.handover(1).expect("read").expect("recorded");
    // Friday 2026-11-27 + 3 working days.
    assert_eq!(
        handover.deadline,
        NaiveDate::from_ymd_opt(2026, 12, 2).expect("date")
    );
    assert_eq!(handover.from, fixture.clerk.barcode);
    assert_eq!(handover.to, fixture.executive.barcode);
    assert!(handover.confirmed_at.is_some());
    let kinds: Vec<_> = store
        .history(fixture.boxes[0].barcode)
        .expect("history")
        .iter()
        .map(|e| e.body.kind)
        .collect();
    assert!(
        kinds.contains(&EventKind::HandoverStarted)
            && kinds.contains(&EventKind::HandoverConfirmed)
    );
}

#[test]
fn two_workstations_keep_their_own_mode_and_context() {
    let fixture = Fixture::new();
    fixture.scan_at("counter", CommandCard::Shelve.barcode());
    fixture.scan_at("cart-1", CommandCard::Checkout.barcode());
    fixture.scan_at("counter", fixture.shelf.barcode);
    fixture.scan_at("cart-1", fixture.executive.barcode);
    let shelved = fixture.scan_at("counter", fixture.boxes[0].barcode);
    let lent = fixture.scan_at("cart-1", fixture.boxes[1].barcode);
    assert_outcome(&shelved, Outcome::Ok, Code::ShelveDone);
    assert_outcome_with(&lent, Outcome::Ok, Code::CheckoutLent, "李总");
    assert_eq!(fixture.engine.mode("counter"), Mode::Shelve);
    assert_eq!(fixture.engine.mode("cart-1"), Mode::Checkout);
}

#[test]
fn every_result_is_published_on_the_stream() {
    let fixture = Fixture::new();
    let mut stream = fixture.engine.subscribe();
    fixture.card(CommandCard::Shelve);
    fixture.scan("garbage");
    let first = stream.try_recv().expect("published");
    let second = stream.try_recv().expect("published");
    assert_eq!(first.mode, Mode::Shelve);
    assert_eq!(second.outcome, Outcome::Error);
    assert!(stream.try_recv().is_err(), "exactly one result per scan");
}

#[test]
fn an_approval_recorded_ahead_lets_the_borrower_check_out_alone() {
    let fixture = Fixture::new();
    let store = fixture.engine.store();
    let error = store
        .approve_borrower(
            &actor(),
            fixture.clerk.barcode,
            fixture.executive.barcode,
            NaiveDate::from_ymd_opt(2026, 11, 27).expect("date"),
        )
        .expect_err("an executive is not a supervisor");
    assert_eq!(error.message().code, Code::CheckoutNotApprover);
    store
        .approve_borrower(
            &actor(),
            fixture.clerk.barcode,
            fixture.supervisor.barcode,
            NaiveDate::from_ymd_opt(2026, 11, 27).expect("date"),
        )
        .expect("approved");
    fixture.card(CommandCard::Checkout);
    assert_outcome_with(
        &fixture.scan(fixture.clerk.barcode),
        Outcome::Ok,
        Code::CheckoutBorrowerApproved,
        "王主管",
    );
    assert_outcome_with(
        &fixture.scan(fixture.boxes[0].barcode),
        Outcome::Ok,
        Code::CheckoutLent,
        "张三",
    );
    let loan = store
        .open_loan_of(fixture.boxes[0].barcode)
        .expect("read")
        .expect("open");
    assert_eq!(loan.approver, Some(fixture.supervisor.barcode));

    // The next day the approval has lapsed.
    fixture.clock.fetch_add(24 * 3600 * 1000, Ordering::SeqCst);
    fixture.card(CommandCard::Checkout);
    assert_outcome(
        &fixture.scan(fixture.clerk.barcode),
        Outcome::Ok,
        Code::CheckoutBorrowerNeedsApproval,
    );
    assert_outcome(
        &fixture.scan(fixture.boxes[1].barcode),
        Outcome::Error,
        Code::CheckoutApprovalBadge,
    );
}

/// Marks `person` as having left, as an administrator would (API or CLI: the store).
fn mark_left(fixture: &Fixture, person: &Person) {
    fixture
        .engine
        .store()
        .edit_person(
            &Actor::new("P-admin@api"),
            person.barcode,
            &crate::store::PersonEdit {
                active: Some(false),
                ..crate::store::PersonEdit::default()
            },
        )
        .expect("marked left");
}

#[test]
fn someone_who_leaves_holds_no_workstation_context_any_more() {
    let fixture = Fixture::new();
    let store = fixture.engine.store().clone();

    // The operator: badge in, leave, and the next scans are no longer in their name.
    assert_outcome(
        &fixture.scan(fixture.clerk.barcode),
        Outcome::Ok,
        Code::ScanOperator,
    );
    mark_left(&fixture, &fixture.clerk);
    fixture.card(CommandCard::Shelve);
    fixture.scan(fixture.shelf.barcode);
    fixture.scan(fixture.boxes[0].barcode);
    let moved = store
        .history(fixture.boxes[0].barcode)
        .expect("history")
        .pop()
        .expect("the move");
    assert_eq!(moved.body.kind, EventKind::Moved);
    assert_eq!(moved.body.actor, "scanner@counter");

    // The borrower: named, leaves, and the next box needs a new badge.
    fixture.scan(fixture.supervisor.barcode);
    fixture.card(CommandCard::Checkout);
    assert_outcome(
        &fixture.scan(fixture.executive.barcode),
        Outcome::Ok,
        Code::CheckoutBorrower,
    );
    mark_left(&fixture, &fixture.executive);
    assert_outcome(
        &fixture.scan(fixture.boxes[1].barcode),
        Outcome::Error,
        Code::CheckoutNeedsBorrower,
    );
    assert!(store
        .open_loan_of(fixture.boxes[1].barcode)
        .expect("read")
        .is_none());

    // The handover's receiver and, at another workstation, its giver.
    let other = Fixture::new();
    other.scan(other.clerk.barcode);
    other.card(CommandCard::Handover);
    other.scan(other.executive.barcode);
    other.scan(other.boxes[0].barcode);
    mark_left(&other, &other.executive);
    assert_outcome(
        &other.scan(other.boxes[1].barcode),
        Outcome::Error,
        Code::HandoverNeedsReceiver,
    );
    other.scan(other.supervisor.barcode);
    other.scan(other.boxes[1].barcode);
    // The giver (the operator) leaves: DONE has no giver any more.
    mark_left(&other, &other.clerk);
    let done = other.card(CommandCard::Done);
    assert_outcome(&done, Outcome::Error, Code::HandoverNeedsParties);
}

#[test]
fn a_storage_failure_while_looking_up_an_approval_is_reported_as_one() {
    let fixture = Fixture::new();
    let store = fixture.engine.store();
    store
        .approve_borrower(
            &actor(),
            fixture.clerk.barcode,
            fixture.supervisor.barcode,
            NaiveDate::from_ymd_opt(2026, 11, 27).expect("date"),
        )
        .expect("approved");
    // The approval's record is damaged: reading it fails.
    crate::store::tamper::set_raw(
        store,
        &crate::store::tamper::approval_key(fixture.clerk.barcode),
        Some(b"\xff\xff\xff"),
    );
    fixture.card(CommandCard::Checkout);
    assert_outcome(
        &fixture.scan(fixture.clerk.barcode),
        Outcome::Error,
        Code::StoreCorrupt,
    );
    // Nothing was taken as the borrower: a box cannot be lent now.
    assert_outcome(
        &fixture.scan(fixture.boxes[0].barcode),
        Outcome::Error,
        Code::CheckoutNeedsBorrower,
    );
}

/// 2026-12-31 23:59 in Beijing (15:59 UTC), a Thursday: one minute before the local new
/// year, while UTC is 8 hours behind.
const BEIJING_23_59: Millis = 1_798_732_740_000; // checked: 2026-12-31T15:59:00Z
/// Two minutes later: 2027-01-01 00:01 in Beijing, still 2026-12-31 in UTC.
const BEIJING_00_01: Millis = BEIJING_23_59 + 2 * 60_000;

fn in_beijing(start: Millis) -> Fixture {
    Fixture::at(
        start,
        crate::clock::TimeZone::named("Asia/Shanghai").expect("a known zone"),
    )
}

#[test]
fn a_loan_is_due_thirty_days_after_the_local_date_at_23_59_and_00_01() {
    for (start, due) in [(BEIJING_23_59, "2027-01-30"), (BEIJING_00_01, "2027-01-31")] {
        let fixture = in_beijing(start);
        fixture.card(CommandCard::Checkout);
        fixture.scan(fixture.executive.barcode);
        let lent = fixture.scan(fixture.boxes[0].barcode);
        assert_outcome_with(&lent, Outcome::Ok, Code::CheckoutLent, due);
        let loan = fixture
            .engine
            .store()
            .loans_due_by(NaiveDate::MAX)
            .expect("loans");
        assert_eq!(
            loan.iter()
                .map(|loan| loan.due.to_string())
                .collect::<Vec<_>>(),
            [due]
        );
    }
}

#[test]
fn a_handover_deadline_counts_from_the_local_date_at_23_59_and_00_01() {
    // Thursday 31 December + 3 working days is Tuesday 5 January; Friday 1 January + 3 is
    // Wednesday 6 January (no holidays configured).
    for (start, deadline) in [(BEIJING_23_59, (2027, 1, 5)), (BEIJING_00_01, (2027, 1, 6))] {
        let fixture = in_beijing(start);
        fixture.scan(fixture.clerk.barcode);
        fixture.card(CommandCard::Handover);
        fixture.scan(fixture.executive.barcode);
        fixture.scan(fixture.boxes[0].barcode);
        let done = fixture.card(CommandCard::Done);
        assert_outcome(&done, Outcome::Ok, Code::HandoverConfirmed);
        let handover = fixture
            .engine
            .store()
            .handover(1)
            .expect("read")
            .expect("recorded");
        let (y, m, d) = deadline;
        assert_eq!(
            handover.deadline,
            NaiveDate::from_ymd_opt(y, m, d).expect("date")
        );
    }
}

#[test]
fn intake_numbers_a_blank_label_with_the_local_year_at_23_59_and_00_01() {
    let fixture = in_beijing(BEIJING_23_59);
    fixture.card(CommandCard::Intake);
    let last_year = fixture.scan(Barcode::new(Kind::Box, 5000).expect("valid"));
    assert_outcome_with(
        &last_year,
        Outcome::Warning,
        Code::IntakeRegistered,
        "2026鸿借字第005号",
    );
    fixture.clock.store(BEIJING_00_01, Ordering::SeqCst);
    let new_year = fixture.scan(Barcode::new(Kind::Box, 5001).expect("valid"));
    assert_outcome_with(
        &new_year,
        Outcome::Warning,
        Code::IntakeRegistered,
        "2027鸿借字第001号",
    );
}

/// PICK: the list is chosen by its sheet's barcode; boxes are ticked off; a box not on
/// the list and a box taken after scanning a shelf it is not recorded at are warnings;
/// DONE reports what was not found and the store flags it missing; CANCEL flags nothing.
#[test]
fn pick_mode_ticks_boxes_warns_and_done_flags_what_was_not_found() {
    let fixture = Fixture::new();
    let store = fixture.engine.store().clone();
    for archive_box in &fixture.boxes {
        store
            .move_item(&actor(), archive_box.barcode, fixture.shelf.barcode)
            .expect("shelved");
    }
    let [first, second, third, stranger] = [0, 1, 2, 3].map(|n| fixture.boxes[n].barcode);
    let list = store
        .create_pick_list(&actor(), &[first, second, third], "test")
        .expect("pick list");
    let list_code = crate::store::pick_list_barcode(list.id).expect("barcode");
    assert!(CommandCard::from_barcode(list_code).is_none());

    // A box before a list is chosen: refused.
    assert_outcome(
        &fixture.card(CommandCard::Pick),
        Outcome::Ok,
        Code::ModeEntered,
    );
    assert_outcome(&fixture.scan(first), Outcome::Error, Code::PickNeedsList);
    // The list's barcode chooses it (from any mode).
    assert_outcome(
        &fixture.card(CommandCard::Lookup),
        Outcome::Ok,
        Code::ModeEntered,
    );
    let chosen = fixture.scan(list_code);
    assert_outcome(&chosen, Outcome::Ok, Code::PickChosen);
    assert_eq!(chosen.mode, Mode::Pick);

    let ticked = fixture.scan(first);
    assert_outcome(&ticked, Outcome::Ok, Code::PickTicked);
    assert_eq!(
        ticked.context.pick.as_ref().map(|p| (p.picked, p.total)),
        Some((1, 3))
    );
    assert_outcome(
        &fixture.scan(stranger),
        Outcome::Warning,
        Code::PickNotOnList,
    );
    // A shelf scanned, then a box recorded at another one: ticked, with a warning.
    assert_outcome(
        &fixture.scan(fixture.other_shelf.barcode),
        Outcome::Ok,
        Code::PickAt,
    );
    assert_outcome(
        &fixture.scan(second),
        Outcome::Warning,
        Code::PickWrongPlace,
    );
    assert_outcome(&fixture.scan(first), Outcome::Warning, Code::PickAgain);

    // CANCEL leaves without flagging; the list stays open with its progress.
    assert_outcome(
        &fixture.card(CommandCard::Cancel),
        Outcome::Ok,
        Code::ModeCancelled,
    );
    assert_eq!(fixture.status(third), ItemStatus::Stored);
    let chosen = fixture.scan(list_code);
    assert_outcome(&chosen, Outcome::Ok, Code::PickChosen);
    assert_eq!(chosen.context.pick.map(|p| p.picked), Some(2));

    let done = fixture.card(CommandCard::Done);
    assert_outcome(&done, Outcome::Warning, Code::PickNotFound);
    assert!(done.message.en.contains(&fixture.boxes[2].archive_no));
    assert_eq!(fixture.status(third), ItemStatus::Missing);
    assert_eq!(fixture.status(first), ItemStatus::Stored);
    assert_eq!(fixture.status(stranger), ItemStatus::Stored);
    // A done list is chosen no more.
    assert_outcome(
        &fixture.scan(list_code),
        Outcome::Error,
        Code::PickListClosed,
    );
}

#[test]
fn the_archivists_handover_and_shelving_scans_complete_the_steps_of_the_boxs_task() {
    use crate::store::{NewTask, StepBy};
    use crate::tasks::TaskStep;
    let fixture = Fixture::new();
    let store = fixture.engine.store().clone();
    let rules = fixture.engine.task_rules();
    let archive_box = fixture.boxes[0].barcode;
    let new = NewTask {
        external_id: "CRM-9".into(),
        category: "借款".into(),
        step: "放款完成".into(),
        customer: None,
        archive_no: None,
        archive_box: Some(archive_box),
        responsible: fixture.clerk.barcode,
        collector: None,
        documents: None,
        loan_project: true,
        limits: Vec::new(),
        business_deadline: None,
        occurred_at: None,
    };
    let checklists = fixture.engine.checklists().clone();
    let (task, _) = store
        .post_task(&actor(), &new, &rules, &checklists)
        .expect("posted");
    let step = |step: &str| {
        store
            .task(task.id)
            .expect("read")
            .expect("task")
            .step
            .map_or("done".to_owned(), |step| step.name().to_owned())
            == step
    };
    // Shelving before the handover leaves the task where it is.
    fixture.card(CommandCard::Shelve);
    fixture.scan(fixture.shelf.barcode);
    fixture.scan(archive_box);
    assert!(step("add"));
    for (at, by) in [
        (TaskStep::Add, &fixture.clerk),
        (TaskStep::Send, &fixture.clerk),
        (TaskStep::Review, &fixture.supervisor),
    ] {
        store
            .advance_task(
                &actor(),
                task.id,
                Some(at),
                &StepBy::Person(by.clone()),
                &rules,
            )
            .expect("advanced");
    }
    assert!(step("handover"));

    // The clerk hands the box over to the archive (the supervisor receives it): done.
    fixture.scan(fixture.clerk.barcode);
    fixture.card(CommandCard::Handover);
    fixture.scan(fixture.supervisor.barcode);
    fixture.scan(archive_box);
    let done = fixture.card(CommandCard::Done);
    assert_outcome_with(&done, Outcome::Ok, Code::HandoverConfirmed, "王主管");
    assert!(step("shelve"));
    // Shelved: the task is done, every step an event in the box's history.
    fixture.card(CommandCard::Shelve);
    fixture.scan(fixture.other_shelf.barcode);
    fixture.scan(archive_box);
    assert!(step("done"));
    let steps = store
        .history(archive_box)
        .expect("history")
        .into_iter()
        .filter(|event| event.body.kind == crate::event::EventKind::TaskStepDone)
        .count();
    assert_eq!(steps, 5);
    let task = store.task(task.id).expect("read").expect("task");
    assert_eq!(
        task.history
            .iter()
            .map(|done| done.person)
            .collect::<Vec<_>>()[3..],
        [
            Some(fixture.supervisor.barcode),
            Some(fixture.clerk.barcode)
        ]
    );
}
