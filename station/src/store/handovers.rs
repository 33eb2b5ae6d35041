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
