//! CHECKOUT: scan the borrower's badge (and a supervisor's where approval is needed),
//! then the boxes to lend.

use chrono::Duration as Days;

use crate::barcode::Barcode;
use crate::message;
use crate::model::{Item, Person, Role};
use crate::store::StoreError;

use super::context::{Answer, Undo, Workstation};
use super::{Engine, Mode};

impl Engine {
    pub(super) fn checkout(
        &self,
        station: &mut Workstation,
        workstation: &str,
        barcode: Barcode,
        item: Option<Item>,
    ) -> Answer {
        match item {
            None => Answer::error(message!(ItemNotRegistered, barcode = barcode)),
            Some(Item::Person(person)) => {
                let needs_approval = station
                    .borrower
                    .as_ref()
                    .is_some_and(|borrower| !borrower.borrow_directly)
                    && station.approver.is_none()
                    && station.slip.is_none();
                // Through the API only the token owner's own badge approves (and a
                // supervisor named by someone else does not approve their own loan).
                let own = station.may_act_as(&person);
                if needs_approval && person.role >= Role::Supervisor {
                    if !own {
                        let mut answer =
                            Answer::error(message!(ScanBadgeNotOwn, name = &person.name));
                        answer.item = Some(barcode);
                        return answer;
                    }
                    let message = message!(CheckoutApproved, name = &person.name);
                    station.approver = Some(person);
                    return Answer::ok(message, Some(barcode));
                }
                let approves_self = own && person.role >= Role::Supervisor;
                // An approved loan slip of the borrower's is lent against: its approver
                // and due date count, and only its boxes are lent.
                match self.store.slip_to_lend(person.barcode) {
                    Ok(Some(slip)) => {
                        let approver = match slip.approver.map(|a| self.store.get_item(a)) {
                            Some(Ok(Some(Item::Person(approver)))) => approver.name,
                            Some(Err(error)) => return Answer::refused(&error, Some(barcode)),
                            _ => "?".to_owned(),
                        };
                        let message = message!(
                            CheckoutSlip,
                            name = &person.name,
                            id = slip.id,
                            approver = approver,
                            due = slip.due
                        );
                        station.borrower = Some(person);
                        station.borrower_approves_self = false;
                        station.approver = None;
                        station.slip = Some(slip.id);
                        return Answer::ok(message, Some(barcode));
                    }
                    Ok(None) => station.slip = None,
                    Err(error) => return Answer::refused(&error, Some(barcode)),
                }
                let recorded = if person.borrow_directly || approves_self {
                    None
                } else {
                    // A storage failure is told as one, never taken for "no approval".
                    match self.recorded_approver(person.barcode) {
                        Ok(recorded) => recorded,
                        Err(error) => return Answer::refused(&error, Some(barcode)),
                    }
                };
                if let Some(approver) = recorded {
                    let message = message!(
                        CheckoutBorrowerApproved,
                        name = &person.name,
                        approver = &approver.name
                    );
                    station.borrower = Some(person);
                    station.borrower_approves_self = approves_self;
                    station.approver = Some(approver);
                    return Answer::ok(message, Some(barcode));
                }
                let message = if person.borrow_directly || approves_self {
                    message!(CheckoutBorrower, name = &person.name)
                } else {
                    message!(CheckoutBorrowerNeedsApproval, name = &person.name)
                };
                station.borrower = Some(person);
                station.borrower_approves_self = approves_self;
                station.approver = None;
                Answer::ok(message, Some(barcode))
            }
            Some(Item::Box(archive_box)) => {
                let Some(borrower) = station.borrower.clone() else {
                    return Answer::error(message!(CheckoutNeedsBorrower));
                };
                if let Some(slip) = station.slip {
                    return self.lend_on_slip(station, workstation, slip, &borrower, archive_box);
                }
                let approver = station.approver.as_ref().map(|person| person.barcode);
                let approves_self =
                    station.borrower_approves_self && borrower.role >= Role::Supervisor;
                if approver.is_none() && !borrower.borrow_directly && !approves_self {
                    return Answer::error(message!(CheckoutApprovalBadge, name = &borrower.name));
                }
                // Supervisors approve their own loans.
                let approver = approver.or(approves_self.then_some(borrower.barcode));
                let today = self.today();
                let due = today + Days::days(i64::from(self.config.loan_days));
                let actor = self.actor(station, workstation);
                match self
                    .store
                    .open_loan(&actor, barcode, borrower.barcode, approver, due)
                {
                    Ok(loan) => {
                        station.undo = Some(Undo::Loan {
                            item: barcode,
                            place: archive_box.place,
                            status: archive_box.status,
                        });
                        Answer::ok(
                            message!(CheckoutLent, name = name_of(&borrower), due = loan.due),
                            Some(barcode),
                        )
                    }
                    Err(error) => Answer::refused(&error, Some(barcode)),
                }
            }
            Some(Item::Certificate(_)) => Answer::error(message!(CheckoutCertificate)),
            Some(Item::Location(_)) => Answer::error(message!(
                ScanWrongKindForMode,
                mode = Mode::Checkout.label(),
                what = ("工牌或档案盒", "a badge or a box")
            )),
        }
    }
}

impl Engine {
    /// Lends `archive_box` against approved loan slip `slip`; prints the slip on the
    /// workstation's A4 printer when its first box goes out.
    fn lend_on_slip(
        &self,
        station: &mut Workstation,
        workstation: &str,
        slip: u64,
        borrower: &Person,
        archive_box: crate::model::ArchiveBox,
    ) -> Answer {
        let barcode = archive_box.barcode;
        let actor = self.actor(station, workstation);
        match self.store.lend_on_slip(&actor, slip, barcode) {
            Ok((slip, loan)) => {
                station.undo = Some(Undo::Loan {
                    item: barcode,
                    place: archive_box.place,
                    status: archive_box.status,
                });
                let mut message = message!(CheckoutLent, name = name_of(borrower), due = loan.due);
                let first = slip.lent_at == Some(loan.out_at)
                    && slip
                        .entries
                        .iter()
                        .filter(|entry| entry.loan.is_some())
                        .count()
                        == 1;
                if first {
                    if let Some(print) = &self.slip_printer {
                        match print(workstation, slip.id) {
                            Ok(Some(printer)) => {
                                message =
                                    message.join(&message!(CheckoutSlipPrinted, printer = printer))
                            }
                            Ok(None) => {}
                            Err(error) => message = message.join(&error),
                        }
                    }
                }
                Answer::ok(message, Some(barcode))
            }
            Err(error) => Answer::refused(&error, Some(barcode)),
        }
    }

    /// The supervisor whose approval recorded for `borrower` is valid today, if any (an
    /// approval by someone who has left no longer counts).
    fn recorded_approver(&self, borrower: Barcode) -> Result<Option<Person>, StoreError> {
        let Some(approval) = self.store.approval_for(borrower, self.today())? else {
            return Ok(None);
        };
        match self.store.get_item(approval.approver)? {
            Some(Item::Person(approver)) => match self.store.require_active(&approver) {
                Ok(()) => Ok(Some(approver)),
                Err(error) if error.is_rejection() => Ok(None),
                Err(error) => Err(error),
            },
            _ => Ok(None),
        }
    }
}

fn name_of(person: &Person) -> String {
    person.name.clone()
}
