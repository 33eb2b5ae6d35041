//! Per-workstation state kept between scans (`Workstation`, `Audit`, `Undo`) and the
//! `Answer` to a scan in the making.

use std::collections::{BTreeSet, VecDeque};

use crate::barcode::Barcode;
use crate::message::Message;
use crate::model::{ItemStatus, Location, Millis, Person};
use crate::store::StoreError;

use super::{AuditReport, Mode, Outcome, ScanResult};

/// What UNDO takes back.
#[derive(Debug, Clone)]
pub(super) enum Undo {
    Move {
        item: Barcode,
        place: Option<Barcode>,
        status: ItemStatus,
    },
    Loan {
        item: Barcode,
        place: Option<Barcode>,
        status: ItemStatus,
    },
    Return {
        loan: u64,
    },
}

#[derive(Debug, Default)]
pub(super) struct Audit {
    pub(super) shelf: Option<Location>,
    pub(super) expected: BTreeSet<Barcode>,
    pub(super) scanned: Vec<String>,
}

/// PICK: the pick list chosen and the shelf scanned last.
#[derive(Debug, Clone)]
pub(super) struct PickWork {
    pub(super) list: u64,
    pub(super) total: usize,
    pub(super) picked: usize,
    pub(super) at: Option<Location>,
}

#[derive(Debug)]
pub(super) struct Workstation {
    pub(super) mode: Mode,
    pub(super) operator: Option<Person>,
    pub(super) shelf: Option<Location>,
    pub(super) borrower: Option<Person>,
    pub(super) approver: Option<Person>,
    /// The approved loan slip CHECKOUT lends against (chosen by the borrower's badge).
    pub(super) slip: Option<u64>,
    pub(super) receiver: Option<Person>,
    pub(super) handed: Vec<Barcode>,
    pub(super) audit: Audit,
    pub(super) pick: Option<PickWork>,
    /// RETURN: the loan whose return, scanned last here, waits for COMPLETE.
    pub(super) pending_check: Option<u64>,
    /// The return check this scan's answer shows (taken into its result).
    pub(super) check_shown: Option<crate::store::ReturnCheckView>,
    pub(super) undo: Option<Undo>,
    pub(super) last: Option<(String, Millis, ScanResult)>,
    /// The token's owner while a scan sent through the API runs: it acts as them, and a
    /// badge it scans lends none of its owner's authority (see [`super::Engine::scan_as`]).
    pub(super) caller: Option<Person>,
    /// Whether the borrower may approve their own loan (a supervisor who scanned their own
    /// badge, or whose badge was scanned at a scanner); not when someone else named them
    /// through the API.
    pub(super) borrower_approves_self: bool,
    /// The store's people generation the people held here were last checked against.
    pub(super) people_checked: Option<u64>,
    /// The last scans sent with an id (owner and id) and their results, oldest first.
    pub(super) sent: VecDeque<(String, ScanResult)>,
}

impl Workstation {
    /// The person the current scan acts as: the token's owner for a scan through the API,
    /// else the operator whose badge was scanned here.
    pub(super) fn acting(&self) -> Option<&Person> {
        self.caller.as_ref().or(self.operator.as_ref())
    }

    /// Whether `person`'s badge, scanned now, may lend its owner's authority (sign in as
    /// operator, approve): always at a scanner; through the API only the token owner's own.
    pub(super) fn may_act_as(&self, person: &Person) -> bool {
        self.caller
            .as_ref()
            .is_none_or(|caller| caller.barcode == person.barcode)
    }

    pub(super) fn new() -> Workstation {
        Workstation {
            mode: Mode::Lookup,
            operator: None,
            shelf: None,
            borrower: None,
            approver: None,
            slip: None,
            receiver: None,
            handed: Vec::new(),
            audit: Audit::default(),
            pick: None,
            pending_check: None,
            check_shown: None,
            undo: None,
            last: None,
            caller: None,
            borrower_approves_self: false,
            people_checked: None,
            sent: VecDeque::new(),
        }
    }

    /// Leaves the current mode's context behind (the operator stays).
    pub(super) fn enter(&mut self, mode: Mode) {
        self.mode = mode;
        self.shelf = None;
        self.borrower = None;
        self.borrower_approves_self = false;
        self.approver = None;
        self.slip = None;
        self.receiver = None;
        self.handed.clear();
        self.audit = Audit::default();
        self.pick = None;
        self.pending_check = None;
    }
}

/// An answer in the making: outcome, message and the item it concerns.
pub(super) struct Answer {
    pub(super) outcome: Outcome,
    pub(super) message: Message,
    pub(super) item: Option<Barcode>,
    pub(super) audit: Option<AuditReport>,
}

impl Answer {
    pub(super) fn ok(message: Message, item: Option<Barcode>) -> Answer {
        Answer {
            outcome: Outcome::Ok,
            message,
            item,
            audit: None,
        }
    }

    pub(super) fn error(message: Message) -> Answer {
        Answer {
            outcome: Outcome::Error,
            message,
            item: None,
            audit: None,
        }
    }

    pub(super) fn refused(error: &StoreError, item: Option<Barcode>) -> Answer {
        Answer {
            outcome: Outcome::Error,
            message: error.message(),
            item,
            audit: None,
        }
    }
}
