//! Archive station: the daemon that turns barcode scanners and label printers into a
//! tracking system for a physical archive room.
//!
//! Every archive box (档案盒) and ownership certificate (权证) carries a system barcode
//! ([`barcode`]) and boxes carry a human archive number (档案号) from a numbering scheme
//! ([`numbering`]). The [`model`] names the archive's things; the [`store`] keeps them in an
//! embedded sled database, with indexes for the supervisors' questions and a hash-chained
//! [`event`] log of every change. [`ledger`] brings an existing spreadsheet ledger (台帐) in
//! and out; `server` serves the HTTP API; [`cli`] is the `station` command.
//!
//! ```
//! use station::barcode::{Barcode, Kind};
//! use station::store::{Actor, NewLocation, NewPerson, Store, StoreOptions};
//! use station::model::{LocationKind, Role};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path(), StoreOptions::default())?;
//! let clerk = Actor::new("cli");
//! let shelf = store.ensure_location(&clerk, "1号库房/05列/A面/3节/4层")?;
//! assert_eq!(shelf.barcode.kind(), Kind::Location);
//! let again = Barcode::parse(&shelf.barcode.to_string())?;
//! assert_eq!(again, shelf.barcode);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod archive;
pub mod barcode;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contents;
pub mod contents_import;
mod control;
pub mod devices;
pub mod event;
mod files;
pub mod label;
pub mod ledger;
pub mod message;
pub mod model;
pub mod numbering;
pub mod paper;
pub mod picking;
pub mod printer;
pub mod printing;
mod schedule;
mod server;
pub mod store;
pub mod tasks;
mod tls;
mod web;
pub mod workflow;
