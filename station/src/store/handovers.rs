//! Handovers: started with their deadline (A → B, B → the archive) and confirmed by the
//! receiver.

use super::Refusal;
use chrono::NaiveDate;

use super::{keys, Result, Tx};
use crate::barcode::Barcode;
use crate::event::{Change, EventKind};
use crate::model::{ChecklistEntry, Handover, HandoverStage};

impl Tx<'_> {
    /// Starts a handover of `items` from `from` to `to`, due by `deadline`.
    pub fn start_handover(
        &mut self,
        stage: HandoverStage,
        from: Barcode,
        to: Barcode,
        items: &[Barcode],
        checklist: &[ChecklistEntry],
        deadline: NaiveDate,
    ) -> Result<Handover> {
        self.require_person(from)?;
        self.require_person(to)?;
        for item in items {
            self.require_item(*item)?;
        }
        let id = self.next_counter(keys::HANDOVER_ID, u64::MAX, "handover")?;
        let handover = Handover {
            id,
            stage,
            items: items.to_vec(),
            from,
            to,
            checklist: checklist.to_vec(),
            created_at: self.now,
            deadline,
            confirmed_at: None,
            missing: Vec::new(),
        };
        self.put(&keys::handover(id), &handover)?;
        self.put_raw(&keys::handover_due(deadline, id), &[])?;
        for item in items {
            self.record(
                Some(*item),
                EventKind::HandoverStarted,
                vec![
                    Change::new("handover", None::<String>, Some(id.to_string())),
                    Change::new("to", Some(from.to_string()), Some(to.to_string())),
                ],
            );
        }
        Ok(handover)
    }

    /// Confirms a handover as its receiver, noting what was missing.
    pub fn confirm_handover(&mut self, id: u64, missing: &[String]) -> Result<Handover> {
        let mut handover: Handover = self
            .get(&keys::handover(id))?
            .ok_or(Refusal::UnknownHandover(id))?;
        if handover.confirmed_at.is_some() {
            return Err(Refusal::HandoverClosed(id).into());
        }
        handover.confirmed_at = Some(self.now);
        handover.missing = missing.to_vec();
        self.put(&keys::handover(id), &handover)?;
        self.remove(&keys::handover_due(handover.deadline, id))?;
        for item in &handover.items {
            self.record(
                Some(*item),
                EventKind::HandoverConfirmed,
                vec![Change::new(
                    "missing",
                    None::<String>,
                    Some(missing.join("; ")),
                )],
            );
        }
        Ok(handover)
    }
}

/// A supervisor's extension of a handover's deadline, with the reason (family
/// `handover_extensions`, every extension of a handover in one record, oldest first).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HandoverExtension {
    /// The deadline before.
    pub from: NaiveDate,
    /// The deadline after.
    pub until: NaiveDate,
    /// The supervisor who approved it.
    pub approver: Barcode,
    /// Why.
    pub reason: String,
    /// When.
    pub at: crate::model::Millis,
}

/// `items` as an event lists them: barcodes separated by spaces.
pub(super) fn listed(items: &[Barcode]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The longest reason for an extension, in characters.
pub const MAX_EXTENSION_REASON: usize = 500;

impl Tx<'_> {
    /// Extends open handover `id` to `until`, approved by supervisor `approver` for
    /// `reason`: its deadline state (normal, warning, overdue) follows the new deadline.
    pub fn extend_handover(
        &mut self,
        id: u64,
        approver: Barcode,
        until: NaiveDate,
        reason: &str,
    ) -> Result<(Handover, Vec<HandoverExtension>)> {
        let mut handover: Handover = self
            .get(&keys::handover(id))?
            .ok_or(Refusal::UnknownHandover(id))?;
        let supervisor = self.require_person(approver)?;
        if supervisor.role < crate::model::Role::Supervisor {
            return Err(Refusal::NotApprover {
                name: supervisor.name,
            }
            .into());
        }
        if handover.confirmed_at.is_some() {
            return Err(Refusal::HandoverClosed(id).into());
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_EXTENSION_REASON {
            return Err(Refusal::HandoverExtensionReason.into());
        }
        if until <= handover.deadline {
            return Err(Refusal::HandoverExtensionNotLater {
                until,
                deadline: handover.deadline,
            }
            .into());
        }
        let mut extensions: Vec<HandoverExtension> = self
            .get(&keys::handover_extensions(id))?
            .unwrap_or_default();
        let from = handover.deadline;
        extensions.push(HandoverExtension {
            from,
            until,
            approver,
            reason: reason.to_owned(),
            at: self.now,
        });
        self.remove(&keys::handover_due(from, id))?;
        self.put_raw(&keys::handover_due(until, id), &[])?;
        handover.deadline = until;
        self.put(&keys::handover(id), &handover)?;
        self.put(&keys::handover_extensions(id), &extensions)?;
        self.record_many(
            None,
            handover.items.clone(),
            EventKind::HandoverExtended,
            vec![
                Change::new("handover", None::<String>, Some(id.to_string())),
                Change::new("deadline", Some(from.to_string()), Some(until.to_string())),
                Change::new("approver", None::<String>, Some(supervisor.name)),
                Change::new("reason", None::<String>, Some(reason.to_owned())),
                Change::new("boxes", None::<String>, Some(listed(&handover.items))),
            ],
        );
        Ok((handover, extensions))
    }
}

impl super::Store {
    /// Extends open handover `id` to `until` (see [`Tx::extend_handover`]).
    pub fn extend_handover(
        &self,
        actor: &super::Actor,
        id: u64,
        approver: Barcode,
        until: NaiveDate,
        reason: &str,
    ) -> Result<(Handover, Vec<HandoverExtension>)> {
        self.write(actor, |tx| tx.extend_handover(id, approver, until, reason))
    }

    /// Every handover, open or confirmed, oldest first.
    pub fn all_handovers(&self) -> Result<Vec<Handover>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix([keys::HANDOVER]) {
            let (key, value) = entry.map_err(super::StoreError::storage("reading handovers"))?;
            out.push(super::decode(&value, &key)?);
        }
        Ok(out)
    }

    /// The extensions of handover `id`'s deadline, oldest first.
    pub fn handover_extensions(&self, id: u64) -> Result<Vec<HandoverExtension>> {
        Ok(self
            .get(&keys::handover_extensions(id))?
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Code;
    use crate::model::{ChecklistEntry, Person, Role};
    use crate::store::{Actor, NewBox, Store, StoreOptions};

    fn actor() -> Actor {
        Actor::new("P-test")
    }

    fn person(store: &Store, name: &str, role: Role) -> Person {
        crate::store::tests::person(store, name, role, false)
    }

    #[test]
    fn a_late_handover_is_extended_only_by_a_supervisor_with_a_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), StoreOptions::default()).expect("open");
        let archive_box = store
            .register_box(
                &actor(),
                &NewBox {
                    scheme: Some((
                        crate::numbering::Scheme::new("loan", "{year}鸿借字第{seq:03}号")
                            .expect("scheme"),
                        2024,
                    )),
                    title: "借款合同".into(),
                    customer: "鸿达".into(),
                    ..NewBox::default()
                },
            )
            .expect("box");
        let officer_a = person(&store, "A", Role::Clerk);
        let officer_b = person(&store, "B", Role::Clerk);
        let supervisor = person(&store, "李主管", Role::Supervisor);
        let late = store.today() - chrono::Duration::days(2);
        let handover = store
            .write(&actor(), |tx| {
                tx.start_handover(
                    HandoverStage::OfficerToOfficer,
                    officer_a.barcode,
                    officer_b.barcode,
                    &[archive_box.barcode],
                    &[ChecklistEntry {
                        name: "借款合同".into(),
                        pages: 12,
                    }],
                    late,
                )
            })
            .expect("started");
        let until = store.today() + chrono::Duration::days(3);

        let head = store.head().0;
        let refusals = [
            (
                officer_b.barcode,
                until,
                "补签字",
                Code::CheckoutNotApprover,
            ),
            (
                supervisor.barcode,
                until,
                "  ",
                Code::HandoverExtensionReason,
            ),
            (
                supervisor.barcode,
                late,
                "补签字",
                Code::HandoverExtensionNotLater,
            ),
        ];
        for (approver, until, reason, expected) in refusals {
            let error = store
                .extend_handover(&actor(), handover.id, approver, until, reason)
                .expect_err("refused");
            assert_eq!(error.message().code, expected);
        }
        assert_eq!(store.head().0, head, "a refusal records nothing");
        assert_eq!(
            store
                .handover(handover.id)
                .expect("read")
                .map(|h| h.deadline),
            Some(late)
        );
        assert!(store
            .handover_extensions(handover.id)
            .expect("read")
            .is_empty());

        let (extended, extensions) = store
            .extend_handover(
                &actor(),
                handover.id,
                supervisor.barcode,
                until,
                "B 出差，补签字",
            )
            .expect("extended");
        assert_eq!(extended.deadline, until);
        assert_eq!(extensions.len(), 1);
        assert_eq!(extensions[0].from, late);
        assert_eq!(extensions[0].approver, supervisor.barcode);
        assert_eq!(extensions[0].reason, "B 出差，补签字");
        // The deadline index follows: the open handovers list it by its new deadline.
        assert_eq!(
            store.open_handovers().expect("open"),
            vec![extended.clone()]
        );
        let history = store.history(archive_box.barcode).expect("history");
        assert!(history
            .iter()
            .any(|event| event.body.kind == EventKind::HandoverExtended));

        // A confirmed handover is not extended.
        store
            .write(&actor(), |tx| tx.confirm_handover(handover.id, &[]))
            .expect("confirmed");
        let error = store
            .extend_handover(
                &actor(),
                handover.id,
                supervisor.barcode,
                until + chrono::Duration::days(1),
                "再延",
            )
            .expect_err("closed");
        assert_eq!(error.message().code, Code::HandoverClosed);
        let report = store.verify().expect("verify");
        assert!(report.is_ok(), "{:?}", report.problems);
    }
}
