//! A store written by an earlier build opens, verifies and reads in this one.
//!
//! `fixtures/store-14f809f.tar.gz` is the data directory the release build of commit
//! 14f809f (before the middle layer was reshaped) wrote with:
//!
//! ```sh
//! station --data ./store-prev import fixtures/store-14f809f.ledger.csv
//! station --data ./store-prev person add --name 张三 --role clerk
//! station --data ./store-prev init --name 管理员
//! ```
//!
//! Every later change of the stored layout must keep this test green (with a migration at
//! open where a record family changes, see `store/migrate.rs`, and a new event format where
//! events change, see `event.rs`).

use std::path::Path;
use std::process::Command;

use station::barcode::Kind;
use station::event::Format;
use station::model::{Item, ItemStatus, Role};
use station::store::{Actor, Store, StoreOptions};

/// Unpacks the fixture into `dir`; answers the data directory.
fn unpack(dir: &Path) -> std::path::PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-14f809f.tar.gz");
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&fixture)
        .arg("-C")
        .arg(dir)
        .status()
        .expect("run tar (it is part of every Debian system)");
    assert!(status.success(), "unpacking {}", fixture.display());
    dir.join("store-prev")
}

#[test]
fn a_store_written_by_the_previous_layout_opens_verifies_and_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = unpack(dir.path());
    let store = Store::open(&data, StoreOptions::default()).expect("opens");

    // It had no record family versions: each counted as version 1, was migrated to this
    // build's version (print jobs and locations are at 2), and is now recorded.
    let versions = store.record_versions().expect("versions");
    assert!(versions.len() >= 11, "{versions:?}");
    for family in [
        "boxes",
        "locations",
        "people",
        "tokens",
        "loans",
        "print_jobs",
    ] {
        assert!(
            versions.iter().any(|(name, _)| *name == family),
            "{family} in {versions:?}"
        );
    }
    for (family, version) in &versions {
        // Print jobs and locations are at 2, everything else at 1.
        let current = if matches!(*family, "print_jobs" | "locations") {
            2
        } else {
            1
        };
        assert_eq!(*version, Some(current), "{family}");
    }

    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{report:?}");
    let (head, head_hash) = store.head();
    assert_eq!(head, 12, "the twelve events it was written with");
    let old_events = store.events(1, 100).expect("events");
    assert_eq!(old_events.len(), 12);
    assert!(
        old_events
            .iter()
            .all(|event| event.format == Format::Unversioned),
        "its events stay in format 0, hashed as they were written"
    );

    let archive_box = store
        .box_by_archive_no("2012鸿借字第002号")
        .expect("read")
        .expect("imported box");
    assert_eq!(archive_box.title, "担保合同");
    assert_eq!(archive_box.customer, "华南电力");
    assert_eq!(archive_box.status, ItemStatus::Stored);
    let place = archive_box.place.expect("on its shelf");
    match store.get_item(place).expect("read") {
        Some(Item::Location(location)) => {
            assert_eq!(location.path, "1号库房/05列/A面/3节/4层");
            assert_eq!(store.count_at(place).expect("count"), 2);
        }
        other => panic!("the box's place is not a location: {other:?}"),
    }
    assert_eq!(
        store.history(archive_box.barcode).expect("history").len(),
        1
    );

    let people: Vec<_> = store
        .items_of_kind(Kind::Person)
        .collect::<Result<_, _>>()
        .expect("people");
    let roles: Vec<(String, Role)> = people
        .into_iter()
        .filter_map(|item| match item {
            Item::Person(person) => Some((person.name, person.role)),
            _ => None,
        })
        .collect();
    assert_eq!(
        roles,
        vec![
            ("张三".to_owned(), Role::Clerk),
            ("管理员".to_owned(), Role::Admin)
        ]
    );
    assert_eq!(store.tokens().expect("tokens").len(), 1);

    // And it goes on working: a new box is registered and chained after the old events.
    let registered = store
        .register_box(
            &Actor::new("test"),
            &station::store::NewBox {
                title: "新合同".into(),
                customer: "新客户".into(),
                archive_no: Some("2014鸿借字第001号".into()),
                ..Default::default()
            },
        )
        .expect("registers");
    assert!(registered.barcode.seq() > archive_box.barcode.seq());
    assert!(store.verify().expect("verify").is_ok());
    let events = store.events(1, 100).expect("events");
    assert_eq!(
        events.get(..12),
        Some(old_events.as_slice()),
        "old events untouched"
    );
    assert_eq!(events.get(11).map(|event| event.hash), Some(head_hash));
    let new_events = events.get(12..).unwrap_or_default();
    assert!(!new_events.is_empty());
    assert!(
        new_events
            .iter()
            .all(|event| event.format == Format::CURRENT),
        "new events chain on in the current format"
    );
    drop(store);

    // Opened again: the old and the new events still verify, each in its format.
    let store = Store::open(&data, StoreOptions::default()).expect("opens again");
    assert!(store.verify().expect("verify").is_ok());
    assert_eq!(store.events(1, 100).expect("events"), events);
}
