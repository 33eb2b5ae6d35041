//! The scan workflow engine: what a scan means at a workstation in its current mode.
//!
//! Clerks have a scanner in one hand and a box in the other, so everything happens by
//! scanning: command cards switch the mode, badges say who, shelf labels say where, box
//! labels say what. Each workstation (`counter`, `cart-1`, …) has its own mode and
//! context; several scanners may feed one workstation. Every scan gets exactly one
//! [`ScanResult`] (OK, warning or error, in Chinese and English), produced only after its
//! effect is durable, and published on the engine's broadcast stream.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use serde::Serialize;
use tokio::sync::broadcast;

use crate::barcode::{Barcode, Kind};
use crate::calendar::WorkCalendar;
use crate::message;
use crate::message::{Bilingual, Code, Message};
use crate::model::{Item, Location, LocationKind, Millis, Person, Role};
use crate::numbering::Scheme;
use crate::store::{Actor, Store, StoreError};

mod audit;
mod card;
mod checkout;
mod context;
mod handover;
mod intake;
mod lookup;
mod pick;
mod return_box;
mod shelve;
mod undo;

pub use card::{CommandCard, Mode};

use context::{Answer, Workstation};

/// How a scan went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Ok,
    /// Done, but look.
    Warning,
    /// Refused: nothing changed.
    Error,
}

/// The thing a scan was about, as the counter screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ItemSummary {
    /// Its barcode.
    pub barcode: String,
    /// box, certificate, location, person.
    #[schemars(extend("enum" = ["box", "certificate", "location", "person"]))]
    pub kind: &'static str,
    /// Archive number (boxes, certificates).
    pub archive_no: Option<String>,
    /// Title, certificate kind, location path or person's name.
    pub title: Option<String>,
    /// Where it is now (human path).
    pub place: Option<String>,
    /// Where it belongs (human path).
    pub home: Option<String>,
    /// Status (English word): a box's or certificate's, or a location's kind.
    pub status: Option<&'static str>,
    /// Who has it, if lent.
    pub holder: Option<String>,
    /// When it is due back, if lent.
    pub due: Option<NaiveDate>,
}

/// The most lines each of a stock-take's detailed lists ([`AuditDetail`]) holds: a 600-box
/// shelf found empty lists its first 100 missing boxes in full (archive number, title,
/// where each belongs); the barcode lists and the counts still name all 600, and every
/// missing box is flagged missing in the store, where the supervisor page finds it.
pub const AUDIT_DETAIL_MAX: usize = 100;

/// One box (or code) of a stock-take's list, as the counter screen shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AuditLine {
    /// The code as scanned (or the expected box's barcode).
    pub barcode: String,
    /// box or certificate; none for a code that names nothing registered.
    #[schemars(extend("enum" = ["box", "certificate", null]))]
    pub kind: Option<&'static str>,
    /// Archive number.
    pub archive_no: Option<String>,
    /// Title (a box's) or kind (a certificate's).
    pub title: Option<String>,
    /// Where the station records it (path): for a misplaced box, the shelf it should be
    /// on; for a missing one, the shelf checked.
    pub place: Option<String>,
    /// Its home shelf (path), if it has one.
    pub home: Option<String>,
}

/// A stock-take's lists in detail, each at most [`AUDIT_DETAIL_MAX`] lines (the barcode
/// lists of [`AuditReport`] hold them all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AuditDetail {
    /// Expected here and not scanned.
    pub missing: Vec<AuditLine>,
    /// Scanned here but belonging elsewhere.
    pub misplaced: Vec<AuditLine>,
    /// Scanned codes that name no registered box.
    pub unknown: Vec<AuditLine>,
    /// Codes scanned more than once.
    pub duplicates: Vec<AuditLine>,
}

/// A stock-take's reconciliation of one shelf.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AuditReport {
    /// The shelf's path.
    pub shelf: String,
    /// How many boxes the station expected on the shelf.
    pub expected: usize,
    /// Expected here and scanned.
    pub present: Vec<String>,
    /// Expected here and not scanned: flagged missing.
    pub missing: Vec<String>,
    /// Scanned here but belonging elsewhere (not moved).
    pub misplaced: Vec<String>,
    /// Scanned codes that name no registered box.
    pub unknown: Vec<String>,
    /// Codes scanned more than once.
    pub duplicates: Vec<String>,
    /// The missing, misplaced, unknown and duplicate ones with their archive number,
    /// title and where they belong (bounded: [`AUDIT_DETAIL_MAX`] a list).
    pub detail: AuditDetail,
}

/// A stock-take in progress, as the counter screen shows it ("17 / 21").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AuditProgress {
    /// The shelf being checked (path).
    pub shelf: String,
    /// Expected boxes scanned so far (each counted once).
    pub found: usize,
    /// Boxes the station expects on the shelf.
    pub expected: usize,
    /// Every code scanned so far (strangers and repeats included).
    pub scanned: usize,
}

/// What a workstation holds between scans, as the counter screen shows it: its mode and
/// the people and places its next scans act on (names and shelf paths, no badges).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct WorkstationContext {
    /// The current mode.
    pub mode: Mode,
    /// Whose badge was scanned here as operator (name).
    pub operator: Option<String>,
    /// SHELVE: the shelf boxes go onto (path).
    pub shelf: Option<String>,
    /// CHECKOUT: who borrows (name).
    pub borrower: Option<String>,
    /// CHECKOUT: who approved (name).
    pub approver: Option<String>,
    /// HANDOVER: who receives (name).
    pub receiver: Option<String>,
    /// HANDOVER: how many boxes are on the list so far.
    pub handed: usize,
    /// AUDIT: the stock-take in progress.
    pub audit: Option<AuditProgress>,
    /// PICK: the pick list being fetched.
    pub pick: Option<PickProgress>,
}

/// A pick list being fetched at a workstation ("12 / 40").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PickProgress {
    /// The pick list's number.
    pub list: u64,
    /// Boxes ticked off.
    pub picked: usize,
    /// Boxes on the list.
    pub total: usize,
    /// The shelf scanned last (path).
    pub at: Option<String>,
}

/// The one answer to one scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ScanResult {
    /// The workstation scanned at.
    pub workstation: String,
    /// What was scanned, as received.
    pub input: String,
    /// OK, warning or error.
    pub outcome: Outcome,
    /// The workstation's mode after the scan.
    pub mode: Mode,
    /// What happened or what is wrong, as a stable code.
    pub code: Code,
    /// What happened or what is wrong, for people.
    pub message: Bilingual,
    /// The thing scanned, after the scan.
    pub item: Option<ItemSummary>,
    /// The reconciliation, for DONE in AUDIT.
    pub audit: Option<AuditReport>,
    /// RETURN: what was lent of the box returned (or checked by COMPLETE), for the clerk
    /// to check.
    pub check: Option<crate::store::ReturnCheckView>,
    /// The workstation's context after the scan.
    pub context: WorkstationContext,
    /// When (ms since the epoch).
    pub at: Millis,
}

/// How many ids of scans sent with one ([`Engine::scan_once_as`]) each workstation
/// remembers, with their results.
pub const SENT_IDS_KEPT: usize = 256;

/// The most characters of a scan's input written to the log.
pub(crate) const LOG_EXCERPT_CHARS: usize = 64;

/// The first [`LOG_EXCERPT_CHARS`] characters of `input` (control characters escaped), with
/// `…` when there is more.
pub(crate) fn log_excerpt(input: &str) -> String {
    let mut out: String = input
        .chars()
        .take(LOG_EXCERPT_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if input.chars().nth(LOG_EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct WorkflowConfig {
    /// Loan period in days.
    pub loan_days: u32,
    /// The same code at the same workstation within this many ms is applied once.
    pub repeat_window_ms: Millis,
    /// Working days for handover deadlines.
    pub calendar: WorkCalendar,
    /// The scheme INTAKE allocates archive numbers from for blank labels.
    pub intake_scheme: Option<Scheme>,
    /// The category checklists (典型资料清单) boxes are checked against at a handover.
    pub checklists: Arc<crate::contents::Checklists>,
    /// Hours before its due moment each kind of task step turns to warning (`[reminders]`;
    /// see [`crate::tasks::TaskRules::warning_hours`]).
    pub task_warning_hours: [u32; 6],
}

impl Default for WorkflowConfig {
    fn default() -> Self {
        WorkflowConfig {
            loan_days: 30,
            repeat_window_ms: 1500,
            calendar: WorkCalendar::default(),
            intake_scheme: None,
            // The shipped checklists are checked by a test; an empty set requires nothing.
            checklists: Arc::new(crate::contents::Checklists::builtin().unwrap_or_default()),
            task_warning_hours: [crate::tasks::DEFAULT_WARNING_HOURS; 6],
        }
    }
}

/// Runs scans against the store; one per station process, shared by all device tasks
/// and the HTTP API.
pub struct Engine {
    store: Arc<Store>,
    config: WorkflowConfig,
    workstations: Mutex<HashMap<String, Arc<Mutex<Workstation>>>>,
    results: broadcast::Sender<ScanResult>,
    label_printer: Option<LabelPrinter>,
    slip_printer: Option<SlipPrinter>,
}

/// Queues the label of a box registered at a workstation on that workstation's printer;
/// answers the printer's name, or why it could not.
pub type LabelPrinter = Arc<dyn Fn(&str, Barcode) -> Result<String, Message> + Send + Sync>;

/// Prints loan slip `id` on a workstation's printer when it prints A4 (PDF or CUPS);
/// answers the printer's name, `None` when the workstation has no such printer, or why it
/// could not.
pub type SlipPrinter = Arc<dyn Fn(&str, u64) -> Result<Option<String>, Message> + Send + Sync>;

impl Engine {
    /// An engine over `store`.
    pub fn new(store: Arc<Store>, config: WorkflowConfig) -> Engine {
        let (results, _) = broadcast::channel(1024);
        Engine {
            store,
            config,
            workstations: Mutex::new(HashMap::new()),
            results,
            label_printer: None,
            slip_printer: None,
        }
    }

    /// Prints the label of every box registered by INTAKE at once, through `printer`.
    pub fn with_label_printer(mut self, printer: LabelPrinter) -> Engine {
        self.label_printer = Some(printer);
        self
    }

    /// Prints a loan slip at CHECKOUT when its first box is lent, through `printer`.
    pub fn with_slip_printer(mut self, printer: SlipPrinter) -> Engine {
        self.slip_printer = Some(printer);
        self
    }

    /// Subscribes to every scan result from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ScanResult> {
        self.results.subscribe()
    }

    /// The category checklists boxes are checked against.
    pub fn checklists(&self) -> &Arc<crate::contents::Checklists> {
        &self.config.checklists
    }

    /// The working-day calendar handover deadlines are counted in.
    pub fn calendar(&self) -> &crate::calendar::WorkCalendar {
        &self.config.calendar
    }

    /// The rules archive tasks' steps are timed by: the calendar and the warning
    /// thresholds.
    pub fn task_rules(&self) -> crate::tasks::TaskRules {
        crate::tasks::TaskRules {
            calendar: self.config.calendar.clone(),
            warning_hours: self.config.task_warning_hours,
        }
    }

    /// The store the engine works on.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    fn workstation(&self, name: &str) -> Arc<Mutex<Workstation>> {
        let mut all = self
            .workstations
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        all.entry(name.to_owned())
            .or_insert_with(|| Arc::new(Mutex::new(Workstation::new())))
            .clone()
    }

    /// The current mode of `workstation`.
    #[cfg(test)]
    pub(crate) fn mode(&self, workstation: &str) -> Mode {
        let station = self.workstation(workstation);
        let station = station.lock().unwrap_or_else(|poison| poison.into_inner());
        station.mode
    }

    /// Runs one scan at `workstation` and publishes its result. Blocks until the effect
    /// is durable; scans at one workstation run one after another, different
    /// workstations in parallel.
    pub fn scan(&self, workstation: &str, input: &str) -> ScanResult {
        self.scan_from(workstation, input, None, None)
    }

    /// Runs one scan sent through the API by the owner of a token, `owner`: it acts as
    /// them (its events name them, their role decides what they may do), and a badge it
    /// scans may name a borrower or a receiver but lends none of its owner's authority
    /// (operator, approver, supervisor rights) unless it is `owner`'s own. The
    /// workstation's operator, set by a badge at a scanner, stays as it was.
    pub fn scan_as(&self, workstation: &str, input: &str, owner: &Person) -> ScanResult {
        self.scan_from(workstation, input, Some(owner), None)
    }

    /// Like [`scan_as`](Self::scan_as), for a scan the sender names with `id` (a page
    /// that queued it while the station could not be reached, and sends it again when it
    /// does not know whether it arrived): a scan whose id this workstation has already
    /// run for the same owner is not run again; its first result is answered (and not
    /// published again). The last [`SENT_IDS_KEPT`] ids of each workstation are kept, in
    /// memory: a restart forgets them along with the workstation's mode and context.
    pub fn scan_once_as(
        &self,
        workstation: &str,
        input: &str,
        owner: &Person,
        id: &str,
    ) -> ScanResult {
        self.scan_from(workstation, input, Some(owner), Some(id))
    }

    /// What `workstation` holds now: its mode, operator, shelf, borrower, receiver and
    /// stock-take progress (people who have left are dropped first, as before a scan).
    pub fn context(&self, workstation: &str) -> WorkstationContext {
        let station = self.workstation(workstation);
        let mut station = station.lock().unwrap_or_else(|poison| poison.into_inner());
        self.recheck_people(&mut station);
        Self::context_of(&station)
    }

    fn context_of(station: &Workstation) -> WorkstationContext {
        let name = |person: &Option<Person>| person.as_ref().map(|person| person.name.clone());
        let audit = station.audit.shelf.as_ref().map(|shelf| {
            let found: BTreeSet<Barcode> = station
                .audit
                .scanned
                .iter()
                .filter_map(|code| Barcode::parse(code).ok())
                .filter(|barcode| station.audit.expected.contains(barcode))
                .collect();
            AuditProgress {
                shelf: shelf.path.clone(),
                found: found.len(),
                expected: station.audit.expected.len(),
                scanned: station.audit.scanned.len(),
            }
        });
        WorkstationContext {
            mode: station.mode,
            operator: name(&station.operator),
            shelf: station.shelf.as_ref().map(|shelf| shelf.path.clone()),
            borrower: name(&station.borrower),
            approver: name(&station.approver),
            receiver: name(&station.receiver),
            handed: station.handed.len(),
            audit,
            pick: station.pick.as_ref().map(|work| PickProgress {
                list: work.list,
                picked: work.picked,
                total: work.total,
                at: work.at.as_ref().map(|at| at.path.clone()),
            }),
        }
    }

    fn scan_from(
        &self,
        workstation: &str,
        input: &str,
        owner: Option<&Person>,
        id: Option<&str>,
    ) -> ScanResult {
        let station = self.workstation(workstation);
        let mut station = station.lock().unwrap_or_else(|poison| poison.into_inner());
        let id = id.map(|id| {
            let owner = owner
                .map(|owner| owner.barcode.to_string())
                .unwrap_or_default();
            format!("{owner}\u{1}{id}")
        });
        if let Some(id) = &id {
            if let Some((_, result)) = station.sent.iter().find(|(sent, _)| sent == id) {
                return result.clone();
            }
        }
        self.recheck_people(&mut station);
        let now = self.store.now();
        let code = input.trim().to_ascii_uppercase();
        if let Some((last_code, at, result)) = &station.last {
            if *last_code == code && now - at <= self.config.repeat_window_ms && !code.is_empty() {
                let mut repeat = result.clone();
                repeat.input = input.to_owned();
                repeat.at = now;
                repeat.code = Code::ScanRepeated;
                repeat.message = message!(ScanRepeated).text.join(&result.message);
                let _ = self.results.send(repeat.clone());
                return repeat;
            }
        }
        station.caller = owner.cloned();
        station.check_shown = None;
        let answer = self.answer(&mut station, workstation, input);
        station.caller = None;
        let check = station.check_shown.take();
        let item = answer.item.and_then(|barcode| self.summary(barcode));
        let result = ScanResult {
            workstation: workstation.to_owned(),
            input: input.to_owned(),
            outcome: answer.outcome,
            mode: station.mode,
            code: answer.message.code,
            message: answer.message.text,
            item,
            audit: answer.audit,
            check,
            context: Self::context_of(&station),
            at: now,
        };
        // A scan can be any text up to 4 KB (through the API): the log keeps a bounded
        // excerpt and the length, never the whole input.
        let excerpt = log_excerpt(input);
        let input_bytes = input.len();
        match result.outcome {
            Outcome::Error => {
                tracing::warn!(workstation, input = %excerpt, input_bytes, code = %result.code, message = %result.message.en, "scan refused")
            }
            _ => {
                tracing::info!(workstation, input = %excerpt, input_bytes, code = %result.code, message = %result.message.en, "scan")
            }
        }
        station.last = Some((code, now, result.clone()));
        if let Some(id) = id {
            if station.sent.len() >= SENT_IDS_KEPT {
                station.sent.pop_front();
            }
            station.sent.push_back((id, result.clone()));
        }
        let _ = self.results.send(result.clone());
        result
    }

    /// Brings the people a workstation holds (operator, borrower, approver, receiver) up
    /// to date when a person changed since they were last checked: someone who has left
    /// holds nothing any more (their part of the context ends), the others get their
    /// current record (a new role counts at once). The store's people generation moves
    /// with every committed change to a person, on whatever path, before it is answered.
    fn recheck_people(&self, station: &mut Workstation) {
        let generation = self.store.people_generation();
        if station.people_checked == Some(generation) {
            return;
        }
        let current = |person: &Option<Person>| -> Option<Person> {
            let person = person.as_ref()?;
            match self.store.get_item(person.barcode) {
                Ok(Some(Item::Person(now))) => match self.store.has_left(now.barcode) {
                    Ok(false) => Some(now),
                    Ok(true) => None,
                    Err(error) => {
                        tracing::error!(%error, person = %person.barcode, "checking whether someone has left failed; their part of the workstation's context ends");
                        None
                    }
                },
                Ok(_) => None,
                Err(error) => {
                    tracing::error!(%error, person = %person.barcode, "rereading a person failed; their part of the workstation's context ends");
                    None
                }
            }
        };
        station.operator = current(&station.operator);
        let borrower = current(&station.borrower);
        if borrower.is_none() {
            station.borrower_approves_self = false;
            station.approver = None;
        }
        station.borrower = borrower;
        station.approver = current(&station.approver);
        let receiver = current(&station.receiver);
        if receiver.is_none() {
            station.handed.clear();
        }
        station.receiver = receiver;
        station.people_checked = Some(generation);
    }

    fn actor(&self, station: &Workstation, workstation: &str) -> Actor {
        match station.acting() {
            Some(person) => Actor::new(format!("{}@{workstation}", person.barcode)),
            None => Actor::new(format!("scanner@{workstation}")),
        }
    }

    fn answer(&self, station: &mut Workstation, workstation: &str, input: &str) -> Answer {
        let barcode = match Barcode::parse(input) {
            Ok(barcode) => barcode,
            Err(error) => {
                if station.mode == Mode::Audit && station.audit.shelf.is_some() {
                    station.audit.scanned.push(input.trim().to_owned());
                }
                let reason = error.message();
                return Answer {
                    outcome: Outcome::Error,
                    message: message!(ScanUnreadable).join(&reason).recode(reason.code),
                    item: None,
                    audit: None,
                };
            }
        };
        if let Some(card) = CommandCard::from_barcode(barcode) {
            return self.command(station, workstation, card);
        }
        if let Some(list) = crate::store::pick_list_of(barcode) {
            return self.pick_choose(station, list);
        }
        if barcode.kind() == Kind::Command {
            return Answer::error(message!(ScanUnknownCommandCard));
        }
        // A badge stands for its holder: a replacement badge for the person it was issued
        // to (from here on the scan is theirs), a replaced one for nobody.
        let (barcode, item) = if barcode.kind() == Kind::Person {
            match self.store.badge_holder(barcode) {
                Ok(Some(person)) => (person.barcode, Some(Item::Person(person))),
                Ok(None) => (barcode, None),
                Err(error) => return Answer::refused(&error, None),
            }
        } else {
            match self.store.get_item(barcode) {
                Ok(item) => (barcode, item),
                Err(error) => return Answer::refused(&error, Some(barcode)),
            }
        };
        // The badge of someone who has left does nothing, in any mode.
        if let Some(Item::Person(person)) = &item {
            if let Err(error) = self.store.require_active(person) {
                return Answer::refused(&error, Some(barcode));
            }
        }
        let registered = item.is_some();
        let mut answer = match station.mode {
            Mode::Lookup => self.lookup(station, barcode, item),
            Mode::Shelve => self.shelve(station, workstation, barcode, item),
            Mode::Checkout => self.checkout(station, workstation, barcode, item),
            Mode::Return => self.return_box(station, workstation, barcode, item),
            Mode::Handover => self.handover_scan(station, barcode, item),
            Mode::Audit => self.audit_scan(station, barcode, item),
            Mode::Intake => self.intake(station, workstation, barcode, item),
            Mode::Pick => self.pick_scan(station, workstation, barcode, item),
        };
        // The counter screen shows what was scanned, refused or not.
        if answer.item.is_none() && registered && answer.audit.is_none() {
            answer.item = Some(barcode);
        }
        answer
    }

    fn command(&self, station: &mut Workstation, workstation: &str, card: CommandCard) -> Answer {
        if let Some(mode) = card.mode() {
            station.enter(mode);
            let next = match mode {
                Mode::Lookup => ("扫描任意条码查询", "scan any code to look it up"),
                Mode::Shelve => ("请扫描层位条码", "scan the shelf"),
                Mode::Checkout => ("请扫描借阅人工牌", "scan the borrower's badge"),
                Mode::Return => ("请扫描归还的档案盒", "scan the returned boxes"),
                Mode::Handover => ("请扫描接收人工牌", "scan the receiver's badge"),
                Mode::Audit => ("请扫描要盘点的层位", "scan the shelf to check"),
                Mode::Intake => ("请扫描新标签", "scan the new labels"),
                Mode::Pick => ("请扫描取件单条码", "scan the pick list's barcode"),
            };
            return Answer::ok(
                message!(ModeEntered, mode = mode.label(), next = next),
                None,
            );
        }
        match card {
            CommandCard::Cancel => {
                let cancelled = station.mode.label();
                station.enter(Mode::Lookup);
                Answer::ok(message!(ModeCancelled, mode = cancelled), None)
            }
            CommandCard::Done => match station.mode {
                Mode::Audit => self.audit_done(station, workstation),
                Mode::Handover => self.handover_done(station, workstation),
                Mode::Pick => self.pick_done(station, workstation),
                mode => {
                    station.enter(Mode::Lookup);
                    Answer::ok(message!(ModeDone, mode = mode.label()), None)
                }
            },
            CommandCard::Undo => self.undo(station, workstation),
            CommandCard::Complete => self.return_complete(station, workstation),
            _ => Answer::error(message!(ScanUnknownCommandCard)),
        }
    }

    fn set_operator(&self, station: &mut Workstation, person: Person) -> Answer {
        let barcode = person.barcode;
        if !station.may_act_as(&person) {
            let mut answer = Answer::error(message!(ScanBadgeNotOwn, name = &person.name));
            answer.item = Some(barcode);
            return answer;
        }
        let message = message!(ScanOperator, name = &person.name);
        // Through the API the scan already acts as the token's owner: the workstation's
        // operator (set at a scanner) stays.
        if station.caller.is_none() {
            station.operator = Some(person);
        }
        Answer::ok(message, Some(barcode))
    }

    fn is_supervisor(station: &Workstation) -> bool {
        station
            .acting()
            .is_some_and(|person| person.role >= Role::Supervisor)
    }

    fn counter(&self, station: &Workstation, workstation: &str) -> Result<Location, StoreError> {
        let name = format!("柜台-{workstation}");
        let actor = self.actor(station, workstation);
        self.store.write(&actor, |tx| tx.ensure_counter(&name))
    }

    /// Today in the station's time zone.
    fn today(&self) -> NaiveDate {
        self.store.today()
    }

    fn year(&self) -> u16 {
        self.store.this_year()
    }

    fn path_of(&self, location: Barcode) -> Option<String> {
        match self.store.get_item(location) {
            Ok(Some(Item::Location(location))) => Some(location.path),
            _ => None,
        }
    }

    fn summary(&self, barcode: Barcode) -> Option<ItemSummary> {
        let item = self.store.get_item(barcode).ok()??;
        let mut summary = ItemSummary {
            barcode: barcode.to_string(),
            kind: "",
            archive_no: None,
            title: None,
            place: None,
            home: None,
            status: None,
            holder: None,
            due: None,
        };
        match item {
            Item::Box(archive_box) => {
                summary.kind = "box";
                summary.archive_no = Some(archive_box.archive_no);
                summary.title = Some(archive_box.title);
                summary.place = archive_box.place.and_then(|place| self.path_of(place));
                summary.home = archive_box.home.and_then(|home| self.path_of(home));
                summary.status = Some(archive_box.status.label().1);
                if let Ok(Some(loan)) = self.store.open_loan_of(barcode) {
                    summary.holder = match self.store.get_item(loan.borrower) {
                        Ok(Some(Item::Person(person))) => Some(person.name),
                        _ => Some(loan.borrower.to_string()),
                    };
                    summary.due = Some(loan.due);
                }
            }
            Item::Certificate(certificate) => {
                summary.kind = "certificate";
                summary.archive_no = Some(certificate.archive_no);
                summary.title = Some(certificate.kind.to_text().to_owned());
                summary.place = certificate.place.and_then(|place| self.path_of(place));
                summary.status = Some(certificate.status.label().1);
            }
            Item::Location(location) => {
                summary.kind = "location";
                summary.title = Some(location.path);
                summary.status = Some(match location.kind {
                    LocationKind::Safe | LocationKind::Drawer => "safe",
                    LocationKind::Counter => "counter",
                    _ => "shelf",
                });
            }
            Item::Person(person) => {
                summary.kind = "person";
                summary.title = Some(person.name);
            }
        }
        Some(summary)
    }
}

#[cfg(test)]
mod tests;
