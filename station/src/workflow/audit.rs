//! AUDIT: scan a shelf, then every box on it; DONE reconciles the shelf (present,
//! missing, misplaced, unknown, duplicates) and flags the missing boxes.

use std::collections::BTreeSet;

use crate::barcode::Barcode;
use crate::message;
use crate::message::{Code, IntoArg as _, Message};
use crate::model::Item;

use super::context::{Answer, Audit, Workstation};
use super::{AuditDetail, AuditLine, AuditReport, Engine, Mode, Outcome, AUDIT_DETAIL_MAX};

impl Engine {
    pub(super) fn audit_scan(
        &self,
        station: &mut Workstation,
        barcode: Barcode,
        item: Option<Item>,
    ) -> Answer {
        match item {
            Some(Item::Location(location)) if station.audit.shelf.is_none() => {
                // What a safe (or a drawer) holds, and how much, is for supervisors (the
                // one `sees_safes` rule): its stock-take would tell both.
                if location.kind.keeps_certificates() && !Self::is_supervisor(station) {
                    return Answer::error(message!(
                        AuditSafeNeedsSupervisor,
                        path = &location.path
                    ));
                }
                let expected = match self.store.barcodes_at(location.barcode, usize::MAX) {
                    Ok(expected) => expected,
                    Err(error) => return Answer::refused(&error, Some(barcode)),
                };
                let message = message!(AuditStarted, path = &location.path, count = expected.len());
                station.audit = Audit {
                    shelf: Some(location),
                    expected: expected.into_iter().collect(),
                    scanned: Vec::new(),
                };
                Answer::ok(message, Some(barcode))
            }
            Some(Item::Person(person)) => self.set_operator(station, person),
            _ if station.audit.shelf.is_none() => Answer::error(message!(AuditNeedsShelf)),
            Some(Item::Location(_)) => Answer::error(message!(AuditAnotherShelf)),
            item => {
                let code = barcode.to_string();
                let duplicate = station.audit.scanned.contains(&code);
                // Recorded whatever it is: DONE reconciles from every scan.
                station.audit.scanned.push(code);
                let count = station.audit.scanned.len();
                let recorded = message!(AuditRecorded, count = count);
                // What DONE would report against this scan is said now, as a warning.
                let warning = if duplicate {
                    Some(message!(AuditDuplicate, item = barcode.to_string()))
                } else if station.audit.expected.contains(&barcode) {
                    None
                } else {
                    match item {
                        Some(Item::Box(archive_box)) => {
                            Some(self.misplaced(barcode, archive_box.place))
                        }
                        Some(Item::Certificate(certificate)) => {
                            Some(self.misplaced(barcode, certificate.place))
                        }
                        _ => Some(message!(AuditUnknown, item = barcode.to_string())),
                    }
                };
                match warning {
                    None => Answer::ok(recorded, Some(barcode)),
                    Some(warning) => Answer {
                        outcome: Outcome::Warning,
                        message: recorded.join(&warning).recode(warning.code),
                        item: Some(barcode),
                        audit: None,
                    },
                }
            }
        }
    }

    /// The warning for a registered box or certificate that is not expected on the shelf
    /// being checked, naming where it is recorded (or that it is on no shelf).
    fn misplaced(&self, barcode: Barcode, place: Option<Barcode>) -> Message {
        let place = place.and_then(|place| match self.store.get_item(place) {
            Ok(Some(Item::Location(location))) => Some(location.path),
            _ => None,
        });
        match place {
            Some(path) => message!(AuditMisplaced, item = barcode.to_string(), place = path),
            None => message!(AuditMisplacedNowhere, item = barcode.to_string()),
        }
    }

    /// The first [`AUDIT_DETAIL_MAX`] of `codes` with their archive number, title, where
    /// they are recorded (else `shelf`, for an expected box) and their home.
    fn audit_lines(&self, codes: &[String], shelf: Option<&str>) -> Vec<AuditLine> {
        codes
            .iter()
            .take(AUDIT_DETAIL_MAX)
            .map(|code| {
                let mut line = AuditLine {
                    barcode: code.clone(),
                    ..AuditLine::default()
                };
                let item = Barcode::parse(code)
                    .ok()
                    .and_then(|barcode| self.store.get_item(barcode).ok().flatten());
                let (home, place) = match item {
                    Some(Item::Box(archive_box)) => {
                        line.kind = Some("box");
                        line.archive_no = Some(archive_box.archive_no);
                        line.title = Some(archive_box.title);
                        (archive_box.home, archive_box.place)
                    }
                    Some(Item::Certificate(certificate)) => {
                        line.kind = Some("certificate");
                        line.archive_no = Some(certificate.archive_no);
                        line.title = Some(certificate.kind.to_text().to_owned());
                        (None, certificate.place)
                    }
                    _ => (None, None),
                };
                line.place = place
                    .and_then(|location| self.path_of(location))
                    .or_else(|| line.kind.and(shelf.map(str::to_owned)));
                line.home = home.and_then(|location| self.path_of(location));
                line
            })
            .collect()
    }

    pub(super) fn audit_done(&self, station: &mut Workstation, workstation: &str) -> Answer {
        let Some(shelf) = station.audit.shelf.clone() else {
            return Answer::error(message!(AuditNotStarted));
        };
        let mut report = AuditReport {
            shelf: shelf.path.clone(),
            expected: station.audit.expected.len(),
            ..AuditReport::default()
        };
        let mut seen = BTreeSet::new();
        let mut found = BTreeSet::new();
        for code in &station.audit.scanned {
            if !seen.insert(code.clone()) {
                if !report.duplicates.contains(code) {
                    report.duplicates.push(code.clone());
                }
                continue;
            }
            let parsed = Barcode::parse(code).ok();
            match parsed.map(|barcode| (barcode, self.store.get_item(barcode))) {
                Some((barcode, _)) if station.audit.expected.contains(&barcode) => {
                    found.insert(barcode);
                    report.present.push(code.clone());
                }
                Some((_, Ok(Some(Item::Box(_) | Item::Certificate(_))))) => {
                    report.misplaced.push(code.clone())
                }
                _ => report.unknown.push(code.clone()),
            }
        }
        let missing: Vec<Barcode> = station.audit.expected.difference(&found).copied().collect();
        report.missing = missing.iter().map(ToString::to_string).collect();
        report.detail = AuditDetail {
            missing: self.audit_lines(&report.missing, Some(&shelf.path)),
            misplaced: self.audit_lines(&report.misplaced, None),
            unknown: self.audit_lines(&report.unknown, None),
            duplicates: self.audit_lines(&report.duplicates, None),
        };
        if !missing.is_empty() {
            let actor = self.actor(station, workstation);
            if let Err(error) = self.store.write(&actor, |tx| {
                for item in &missing {
                    tx.flag_missing(*item)?;
                }
                Ok(())
            }) {
                return Answer::refused(&error, Some(shelf.barcode));
            }
        }
        let clean =
            report.missing.is_empty() && report.misplaced.is_empty() && report.unknown.is_empty();
        let code = if clean {
            Code::AuditDone
        } else {
            Code::AuditDiscrepancies
        };
        let message = Message::fill(
            code,
            &[
                ("present", report.present.len().into_arg()),
                ("missing", report.missing.len().into_arg()),
                ("misplaced", report.misplaced.len().into_arg()),
                ("unknown", report.unknown.len().into_arg()),
                ("duplicates", report.duplicates.len().into_arg()),
            ],
        );
        station.enter(Mode::Audit);
        Answer {
            outcome: if clean { Outcome::Ok } else { Outcome::Warning },
            message,
            item: Some(shelf.barcode),
            audit: Some(report),
        }
    }
}
