//! What a principal may see of what the station answers: the one rule every path that
//! shows an item or a person applies (item lookups and histories, scan results posted,
//! recent and live, change events, loans, handovers, people, the print queue).
//!
//! - Certificates (权证) are shown to supervisors and administrators only: a clerk is
//!   refused `GET /api/v1/items/C…` (`visible_item` in `handlers/items.rs`), and every
//!   other answer that would describe one to a clerk names it by its barcode alone (a scan
//!   result's summary keeps only the barcode and the kind; a change event about one is not
//!   sent to them).
//! - A safe's contents and counts (what stands in a safe or its drawers) are shown to
//!   supervisors and administrators only: a clerk is refused its list of items, sees no
//!   counts for it in the location list or on the rack map's room overview (nor in a
//!   room's total there), is refused where a box in it is, and gets no safe's label; the
//!   fill report applies the same rule.
//! - Badge codes (a person's `P…` barcode, which a scanner takes as that person) are shown
//!   to supervisors and administrators only: in people lists a clerk gets no badge, and
//!   wherever a badge would appear inside another answer (an actor, a borrower, a scanned
//!   badge, a label's subject) a clerk sees it masked, `P**********`.

use crate::barcode::{Barcode, Kind, BARCODE_LEN};
use crate::model::Role;
use crate::server::auth::Principal;
use crate::store::ChangeNotice;
use crate::workflow::ScanResult;

/// What one principal may see.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Viewer {
    role: Role,
}

impl Viewer {
    /// What `principal` may see, by their role.
    pub(crate) fn of(principal: &Principal) -> Viewer {
        Viewer {
            role: principal.person.role,
        }
    }

    /// Whether they see certificates' details.
    pub(crate) fn sees_certificates(self) -> bool {
        self.role >= Role::Supervisor
    }

    /// Whether they see what a safe (or a safe's drawer) holds: its contents, its counts
    /// on the rack map and the room overview, and where a box in one is.
    pub(crate) fn sees_safes(self) -> bool {
        self.role >= Role::Supervisor
    }

    /// Whether they see badge codes.
    pub(crate) fn sees_badges(self) -> bool {
        self.role >= Role::Supervisor
    }

    /// `code` as they may see it: a badge code masked for those who may not see badges.
    pub(crate) fn code(self, code: &str) -> String {
        if self.sees_badges() {
            code.to_owned()
        } else {
            mask_badges(code)
        }
    }

    /// A scan result as they may see it: a certificate's summary reduced to its barcode
    /// and kind, badge codes masked.
    pub(crate) fn scan_result(self, mut result: ScanResult) -> ScanResult {
        if let Some(item) = result.item.as_mut() {
            if item.kind == "certificate" && !self.sees_certificates() {
                item.archive_no = None;
                item.title = None;
                item.place = None;
                item.home = None;
                item.status = None;
                item.holder = None;
                item.due = None;
            }
            if !self.sees_badges() {
                item.barcode = mask_badges(&item.barcode);
            }
        }
        if !self.sees_badges() {
            result.input = mask_badges(&result.input);
        }
        // A stock-take's lists: the same for every box or code they name.
        if let Some(report) = result.audit.as_mut() {
            let detail = &mut report.detail;
            for line in detail
                .missing
                .iter_mut()
                .chain(detail.misplaced.iter_mut())
                .chain(detail.unknown.iter_mut())
                .chain(detail.duplicates.iter_mut())
            {
                if line.kind == Some("certificate") && !self.sees_certificates() {
                    line.archive_no = None;
                    line.title = None;
                    line.place = None;
                    line.home = None;
                }
                if !self.sees_badges() {
                    line.barcode = mask_badges(&line.barcode);
                }
            }
            if !self.sees_badges() {
                for code in report
                    .present
                    .iter_mut()
                    .chain(report.missing.iter_mut())
                    .chain(report.misplaced.iter_mut())
                    .chain(report.unknown.iter_mut())
                    .chain(report.duplicates.iter_mut())
                {
                    *code = mask_badges(code);
                }
            }
        }
        result
    }

    /// A change event as they may see it, or `None` when they may not see it at all (a
    /// change to a certificate, for a clerk).
    pub(crate) fn change(self, change: &ChangeNotice) -> Option<ChangeView> {
        if change
            .item
            .is_some_and(|item| item.kind() == Kind::Certificate)
            && !self.sees_certificates()
        {
            return None;
        }
        Some(ChangeView {
            seq: change.seq,
            count: change.count,
            kind: format!("{:?}", change.kind),
            item: change.item.map(|item| self.code(&item.to_string())),
            actor: self.code(&change.actor),
        })
    }
}

/// A committed change as the live stream sends it (event `change`).
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct ChangeView {
    /// The first event of the change.
    pub(crate) seq: u64,
    /// How many events it recorded.
    pub(crate) count: u64,
    /// What happened (the first event's kind).
    pub(crate) kind: String,
    /// The item concerned, by its barcode.
    pub(crate) item: Option<String>,
    /// Who did it.
    pub(crate) actor: String,
}

/// A masked badge code: the kind's letter and a star for each other character.
fn masked() -> String {
    format!("{}{}", Kind::Person.prefix(), "*".repeat(BARCODE_LEN - 1))
}

/// `text` with every badge code in it (a word that parses as a person's barcode) masked.
pub(crate) fn mask_badges(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        match Barcode::parse(word) {
            Ok(barcode) if barcode.kind() == Kind::Person => out.push_str(&masked()),
            _ => out.push_str(word),
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badge_codes_are_masked_wherever_they_stand_and_nothing_else_is() {
        let badge = Barcode::new(Kind::Person, 12).expect("badge").to_string();
        let archive_box = Barcode::new(Kind::Box, 12).expect("box").to_string();
        assert_eq!(mask_badges(&badge), "P**********");
        assert_eq!(
            mask_badges(&format!("{badge}@counter, {archive_box}")),
            format!("P**********@counter, {archive_box}")
        );
        assert_eq!(mask_badges("scanner@cart-1"), "scanner@cart-1");
        // A P word that is not a valid badge (a wrong check digit) is left alone.
        let mut misread = badge.clone();
        let last = misread
            .pop()
            .and_then(|digit| digit.to_digit(10))
            .expect("digit");
        misread.push(char::from_digit((last + 1) % 10, 10).expect("digit"));
        assert_eq!(mask_badges(&misread), misread);
    }

    /// A stock-take's lists follow the same rule as the scanned item: a clerk sees a
    /// certificate by its barcode alone and a badge masked; a supervisor sees all.
    #[test]
    fn a_stock_take_report_hides_certificates_and_badges_from_clerks() {
        use crate::workflow::{AuditLine, AuditReport, Mode, Outcome, WorkstationContext};
        let badge = Barcode::new(Kind::Person, 12).expect("badge").to_string();
        let certificate = AuditLine {
            barcode: Barcode::new(Kind::Certificate, 3)
                .expect("certificate")
                .to_string(),
            kind: Some("certificate"),
            archive_no: Some("A-1".into()),
            title: Some("不动产权证".into()),
            place: Some("保险柜1".into()),
            home: Some("保险柜1".into()),
        };
        let stranger = AuditLine {
            barcode: badge.clone(),
            ..AuditLine::default()
        };
        let mut report = AuditReport {
            shelf: "1号库房".into(),
            unknown: vec![badge.clone()],
            ..AuditReport::default()
        };
        report.detail.misplaced = vec![certificate.clone()];
        report.detail.unknown = vec![stranger];
        let result = ScanResult {
            workstation: "counter".into(),
            input: "K0000000080".into(),
            outcome: Outcome::Warning,
            mode: Mode::Audit,
            code: crate::message::Code::AuditDiscrepancies,
            message: crate::message::Bilingual::new("", ""),
            item: None,
            audit: Some(report),
            check: None,
            context: WorkstationContext {
                mode: Mode::Audit,
                operator: None,
                shelf: None,
                borrower: None,
                approver: None,
                receiver: None,
                handed: 0,
                audit: None,
                pick: None,
            },
            at: 0,
        };
        let clerk = Viewer { role: Role::Clerk }.scan_result(result.clone());
        let report = clerk.audit.expect("report");
        let line = &report.detail.misplaced[0];
        assert_eq!(line.barcode, certificate.barcode);
        assert_eq!(
            (&line.archive_no, &line.title, &line.place, &line.home),
            (&None, &None, &None, &None)
        );
        assert_eq!(report.detail.unknown[0].barcode, "P**********");
        assert_eq!(report.unknown, vec!["P**********".to_owned()]);
        let supervisor = Viewer {
            role: Role::Supervisor,
        }
        .scan_result(result.clone());
        assert_eq!(supervisor.audit, result.audit);
    }
}
