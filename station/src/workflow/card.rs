//! Command cards and the modes they select: the card's barcode (`K` + its number), the name
//! printed on it, and the mode it switches a workstation to.

use serde::Serialize;

use crate::barcode::{Barcode, Kind};

/// Command cards, printed on the counter's command sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandCard {
    /// Switch to LOOKUP.
    Lookup,
    /// Switch to SHELVE.
    Shelve,
    /// Switch to CHECKOUT.
    Checkout,
    /// Switch to RETURN.
    Return,
    /// Switch to HANDOVER.
    Handover,
    /// Switch to AUDIT.
    Audit,
    /// Switch to INTAKE.
    Intake,
    /// Finish the current step (audit reconciliation, handover).
    Done,
    /// Leave the mode without finishing.
    Cancel,
    /// Take back this workstation's last effect.
    Undo,
    /// Switch to PICK (card 11: added after the first ten, whose numbers stay).
    Pick,
    /// Confirm that the box just returned came back complete (card 12, 齐全).
    Complete,
}

impl CommandCard {
    /// Every card, in sheet order.
    pub const ALL: [CommandCard; 12] = [
        CommandCard::Lookup,
        CommandCard::Shelve,
        CommandCard::Checkout,
        CommandCard::Return,
        CommandCard::Handover,
        CommandCard::Audit,
        CommandCard::Intake,
        CommandCard::Done,
        CommandCard::Cancel,
        CommandCard::Undo,
        CommandCard::Pick,
        CommandCard::Complete,
    ];

    /// The card's barcode: `K` and the card's number, 1 to 12.
    pub fn barcode(self) -> Barcode {
        let seq = CommandCard::ALL
            .iter()
            .position(|card| *card == self)
            .map_or(1, |idx| idx as u64 + 1);
        match Barcode::new(Kind::Command, seq) {
            Ok(barcode) => barcode,
            Err(_) => unreachable!("card numbers 1..=12 are valid sequences"),
        }
    }

    /// The card a scanned command barcode stands for.
    pub fn from_barcode(barcode: Barcode) -> Option<CommandCard> {
        if barcode.kind() != Kind::Command {
            return None;
        }
        let idx = usize::try_from(barcode.seq()).ok()?.checked_sub(1)?;
        CommandCard::ALL.get(idx).copied()
    }

    /// The name printed on the card.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            CommandCard::Lookup => ("查询", "LOOKUP"),
            CommandCard::Shelve => ("上架", "SHELVE"),
            CommandCard::Checkout => ("借出", "CHECKOUT"),
            CommandCard::Return => ("归还", "RETURN"),
            CommandCard::Handover => ("移交", "HANDOVER"),
            CommandCard::Audit => ("盘点", "AUDIT"),
            CommandCard::Intake => ("登记", "INTAKE"),
            CommandCard::Done => ("完成", "DONE"),
            CommandCard::Cancel => ("取消", "CANCEL"),
            CommandCard::Undo => ("撤销", "UNDO"),
            CommandCard::Pick => ("取件", "PICK"),
            CommandCard::Complete => ("齐全", "COMPLETE"),
        }
    }

    pub(super) fn mode(self) -> Option<Mode> {
        Some(match self {
            CommandCard::Lookup => Mode::Lookup,
            CommandCard::Shelve => Mode::Shelve,
            CommandCard::Checkout => Mode::Checkout,
            CommandCard::Return => Mode::Return,
            CommandCard::Handover => Mode::Handover,
            CommandCard::Audit => Mode::Audit,
            CommandCard::Intake => Mode::Intake,
            CommandCard::Pick => Mode::Pick,
            _ => return None,
        })
    }
}

/// A workstation's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A scan shows what the thing is, where it is, who has it.
    Lookup,
    /// Scan a shelf, then the boxes put on it.
    Shelve,
    /// Scan the borrower's badge (and a supervisor's, if needed), then boxes.
    Checkout,
    /// Scan returned boxes.
    Return,
    /// Scan the receiver's badge, then the items handed over, then DONE.
    Handover,
    /// Scan a shelf, then every box on it, then DONE.
    Audit,
    /// Scan freshly printed labels to register or activate their boxes.
    Intake,
    /// Scan a pick list's barcode, then the boxes taken (a shelf's label says where one
    /// stands), then DONE.
    Pick,
}

impl Mode {
    /// The mode's name: the name of the card that selects it.
    pub(super) fn label(self) -> (&'static str, &'static str) {
        let card = match self {
            Mode::Lookup => CommandCard::Lookup,
            Mode::Shelve => CommandCard::Shelve,
            Mode::Checkout => CommandCard::Checkout,
            Mode::Return => CommandCard::Return,
            Mode::Handover => CommandCard::Handover,
            Mode::Audit => CommandCard::Audit,
            Mode::Intake => CommandCard::Intake,
            Mode::Pick => CommandCard::Pick,
        };
        card.label()
    }
}
