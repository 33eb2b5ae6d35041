//! One module per resource: the route handlers and their request types.

mod boxes;
mod contents;
mod devices;
mod handovers;
mod health;
mod imports;
mod items;
mod labels;
mod loans;
mod loanslips;
mod locations;
mod map;
mod people;
mod picklists;
mod scans;
mod schemes;
mod session;
mod tokens;

pub(crate) use boxes::*;
pub(crate) use contents::*;
pub(crate) use devices::*;
pub(crate) use handovers::*;
pub(crate) use health::*;
pub(crate) use imports::*;
pub(crate) use items::*;
pub(crate) use labels::*;
pub(crate) use loans::*;
pub(crate) use loanslips::*;
pub(crate) use locations::*;
pub(crate) use map::*;
pub(crate) use people::*;
pub(crate) use picklists::*;
pub(crate) use scans::*;
pub(crate) use schemes::*;
pub(crate) use session::*;
pub(crate) use tokens::*;
