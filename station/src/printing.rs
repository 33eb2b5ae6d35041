//! Printing labels: what each kind of label is filled from, rendering with the read-back
//! check, and queueing in the store. The worker that delivers queued jobs to a printer is
//! a device task (`devices/printer.rs`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use tokio::sync::Notify;

use crate::barcode::{Barcode, Kind};
use crate::label::{self, Fonts, LabelData, Template, Templates};
use crate::message::Message;
use crate::model::{Item, Location, PrintFormat, PrintJob, Role, WalkingOrder};
use crate::printer::{Language, PrinterConfig};
use crate::store::Refusal;
use crate::store::{Actor, NewJob, Store, StoreError};
use crate::workflow::CommandCard;

/// Why a label was not queued.
#[derive(Debug)]
pub enum LabelError {
    /// No printer of that name is configured.
    UnknownPrinter(String),
    /// No template for this kind of label.
    NoTemplate(String),
    /// Rendering failed.
    Render {
        /// What the label is for.
        subject: String,
        /// Why.
        reason: Message,
    },
    /// The rendered label does not read back as what it encodes: it is not printed.
    ReadBack {
        /// What the label is for.
        subject: String,
        /// Why.
        reason: Message,
    },
    /// The store refused or failed.
    Store(StoreError),
    /// Loading templates or the font failed.
    Setup(Message),
    /// The station was started without label printing.
    NotSetUp,
    /// This item's label was printed before, and the request is not a reprint (which
    /// needs the job's number and a reason).
    AlreadyPrinted(String),
    /// No location has this barcode or path.
    UnknownLocation(String),
    /// Nothing under this location takes a label (no shelf, safe or drawer in use).
    NoShelves(String),
    /// More labels than one request may print ([`MAX_LABELS_PER_REQUEST`]).
    TooMany {
        /// The location asked for.
        location: String,
        /// How many labels it would be.
        count: usize,
    },
    /// A safe's (or its drawer's) label, asked for by someone who may not see safes.
    SafeLabel(String),
}

impl LabelError {
    /// What to tell people.
    pub fn message(&self) -> crate::message::Message {
        use crate::message;
        match self {
            LabelError::UnknownPrinter(name) => message!(LabelUnknownPrinter, name = name),
            LabelError::AlreadyPrinted(barcode) => {
                message!(LabelAlreadyPrinted, barcode = barcode)
            }
            LabelError::NoTemplate(kind) => message!(LabelNoTemplate, kind = kind),
            LabelError::Render { subject, reason } => {
                message!(LabelRenderFailed, subject = subject, reason = reason)
            }
            LabelError::ReadBack { subject, reason } => {
                message!(LabelReadBackFailed, subject = subject, reason = reason)
            }
            LabelError::Store(error) => error.message(),
            LabelError::Setup(reason) => message!(LabelSetupFailed, reason = reason),
            LabelError::NotSetUp => message!(PrintingNotSetUp),
            LabelError::UnknownLocation(location) => {
                message!(LabelUnknownLocation, location = location)
            }
            LabelError::NoShelves(location) => message!(LabelNoShelves, location = location),
            LabelError::TooMany { location, count } => message!(
                LabelTooMany,
                location = location,
                count = count,
                max = MAX_LABELS_PER_REQUEST
            ),
            LabelError::SafeLabel(location) => message!(LabelSafeLabel, location = location),
        }
    }
}

impl std::fmt::Display for LabelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message().fmt(f)
    }
}

impl std::error::Error for LabelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LabelError::Store(error) => Some(error),
            _ => None,
        }
    }
}

impl From<StoreError> for LabelError {
    fn from(error: StoreError) -> LabelError {
        LabelError::Store(error)
    }
}

/// Templates and the font, shared by everything that renders labels.
pub struct Labels {
    templates: Templates,
    fonts: FontPool,
}

/// How many copies of the font renders may use at once (each holds its glyph cache).
const MAX_FONTS: usize = 4;

/// Loaded copies of the font, each used by one render at a time. A render takes a copy
/// out and puts it back, so no lock is held while it renders; a copy is loaded when all
/// are busy, up to [`MAX_FONTS`], and beyond that a render waits for one to come back.
struct FontPool {
    path: Option<std::path::PathBuf>,
    idle: Mutex<(Vec<Fonts>, usize)>,
    returned: Condvar,
}

impl FontPool {
    fn load(path: Option<&Path>) -> Result<Fonts, LabelError> {
        match path {
            Some(path) => Fonts::load(path, 0),
            None => Fonts::load_default(),
        }
        .map_err(|e| LabelError::Setup(e.message()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<Fonts>, usize)> {
        // A copy is taken or put back whole: a poisoned lock still guards a sound pool.
        self.idle
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// A copy of the font for one render; [`put_back`](FontPool::put_back) returns it.
    fn take(&self) -> Result<Fonts, LabelError> {
        let mut idle = self.lock();
        loop {
            if let Some(fonts) = idle.0.pop() {
                return Ok(fonts);
            }
            if idle.1 < MAX_FONTS {
                idle.1 += 1;
                drop(idle);
                let loaded = FontPool::load(self.path.as_deref());
                if loaded.is_err() {
                    self.lock().1 -= 1;
                }
                return loaded;
            }
            idle = self
                .returned
                .wait(idle)
                .unwrap_or_else(|poison| poison.into_inner());
        }
    }

    fn put_back(&self, fonts: Fonts) {
        self.lock().0.push(fonts);
        self.returned.notify_one();
    }
}

impl Labels {
    /// The shipped templates (or those in `dir`) and the font at `font` (or the default).
    pub fn load(dir: Option<&Path>, font: Option<&Path>) -> Result<Labels, LabelError> {
        let templates = match dir {
            Some(dir) => Templates::load_dir(dir).map_err(|e| LabelError::Setup(e.message()))?,
            None => Templates::builtin().map_err(|e| LabelError::Setup(e.message()))?,
        };
        // Loaded once here so that a missing font is known at start.
        let fonts = FontPool::load(font)?;
        Ok(Labels {
            templates,
            fonts: FontPool {
                path: font.map(Path::to_owned),
                idle: Mutex::new((vec![fonts], 1)),
                returned: Condvar::new(),
            },
        })
    }

    /// One PDF of `labels`, all of template `template` (an A4 sheet such as `pick-line`),
    /// each checked to read back exactly at [`label::PDF_DPI`] first.
    pub fn sheet_pdf(&self, template: &str, labels: &[LabelData]) -> Result<Vec<u8>, LabelError> {
        let template = self.template(template)?;
        for data in labels {
            let subject = data.get("barcode").unwrap_or_default().to_owned();
            label::read_back(template, data, label::PDF_DPI).map_err(|error| {
                LabelError::ReadBack {
                    subject: subject.clone(),
                    reason: error.message(),
                }
            })?;
        }
        let pages: Vec<(&Template, LabelData)> =
            labels.iter().map(|data| (template, data.clone())).collect();
        let fonts = self.fonts.take()?;
        let rendered = label::render_pdf(&pages, &fonts).map_err(|error| LabelError::Render {
            subject: template.name.clone(),
            reason: error.message(),
        });
        self.fonts.put_back(fonts);
        rendered
    }

    /// Renders whole pages laid out as templates (papers such as the handover list, see
    /// `paper.rs`) into one PDF with the station's font.
    pub fn pages_pdf(&self, subject: &str, pages: &[Template]) -> Result<Vec<u8>, LabelError> {
        let pages: Vec<(&Template, LabelData)> =
            pages.iter().map(|page| (page, LabelData::new())).collect();
        let fonts = self.fonts.take()?;
        let rendered = label::render_pdf(&pages, &fonts).map_err(|error| LabelError::Render {
            subject: subject.to_owned(),
            reason: error.message(),
        });
        self.fonts.put_back(fonts);
        rendered
    }

    fn template(&self, name: &str) -> Result<&Template, LabelError> {
        self.templates
            .get(name)
            .ok_or_else(|| LabelError::NoTemplate(name.to_owned()))
    }

    /// Renders the labels for `printer` after checking that each reads back exactly:
    /// one job per label for ZPL, one PDF for all of them otherwise.
    pub fn render(
        &self,
        printer: &PrinterConfig,
        labels: &[(String, LabelData)],
        subject: &str,
    ) -> Result<Vec<(PrintFormat, Vec<u8>, String)>, LabelError> {
        let mut resolved = Vec::with_capacity(labels.len());
        for (template, data) in labels {
            let template = self.template(template)?;
            let label_subject = data.get("barcode").unwrap_or(subject).to_owned();
            label::read_back(template, data, printer.dpi).map_err(|error| {
                LabelError::ReadBack {
                    subject: label_subject.clone(),
                    reason: error.message(),
                }
            })?;
            resolved.push((template, data.clone(), label_subject));
        }
        let mut fonts = self.fonts.take()?;
        let rendered = Labels::render_resolved(printer, resolved, subject, &mut fonts);
        self.fonts.put_back(fonts);
        rendered
    }

    /// Renders `labels` with the A4 sheet template [`SHEET_TEMPLATE`] (whatever their
    /// own template), after checking that each reads back exactly at the PDF's resolution:
    /// one PDF, the labels in the order given, across then down, page after page.
    pub fn render_sheet(&self, labels: &[(String, LabelData)]) -> Result<Vec<u8>, LabelError> {
        let template = self.template(SHEET_TEMPLATE)?;
        for (_, data) in labels {
            label::read_back(template, data, label::PDF_DPI).map_err(|error| {
                LabelError::ReadBack {
                    subject: data.get("barcode").unwrap_or_default().to_owned(),
                    reason: error.message(),
                }
            })?;
        }
        let pages: Vec<(&Template, LabelData)> = labels
            .iter()
            .map(|(_, data)| (template, data.clone()))
            .collect();
        let fonts = self.fonts.take()?;
        let rendered = label::render_pdf(&pages, &fonts).map_err(|error| LabelError::Render {
            subject: SHEET_TEMPLATE.to_owned(),
            reason: error.message(),
        });
        self.fonts.put_back(fonts);
        rendered
    }

    fn render_resolved(
        printer: &PrinterConfig,
        resolved: Vec<(&Template, LabelData, String)>,
        subject: &str,
        fonts: &mut Fonts,
    ) -> Result<Vec<(PrintFormat, Vec<u8>, String)>, LabelError> {
        match printer.language {
            Language::Zpl => resolved
                .into_iter()
                .map(|(template, data, label_subject)| {
                    label::render_zpl(template, &data, printer.dpi, fonts)
                        .map(|bytes| (PrintFormat::Zpl, bytes, label_subject.clone()))
                        .map_err(|error| LabelError::Render {
                            subject: label_subject,
                            reason: error.message(),
                        })
                })
                .collect(),
            Language::Pdf => {
                // Labels of one size share a PDF; each other size is a PDF (a file, a
                // job) of its own, so no page of the wrong size reaches the printer.
                let mut groups: Vec<Vec<(&Template, LabelData, String)>> = Vec::new();
                for label in resolved {
                    let same = groups.iter_mut().find(|group| {
                        group.first().is_some_and(|(first, _, _)| {
                            first.width == label.0.width
                                && first.height == label.0.height
                                && first.sheet == label.0.sheet
                        })
                    });
                    match same {
                        Some(group) => group.push(label),
                        None => groups.push(vec![label]),
                    }
                }
                let several = groups.len() > 1;
                let mut out = Vec::with_capacity(groups.len());
                for group in groups {
                    let group_subject = if several {
                        group
                            .iter()
                            .map(|(_, _, label_subject)| label_subject.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    } else {
                        subject.to_owned()
                    };
                    let pages: Vec<(&Template, LabelData)> = group
                        .iter()
                        .map(|(template, data, _)| (*template, data.clone()))
                        .collect();
                    let bytes =
                        label::render_pdf(&pages, fonts).map_err(|error| LabelError::Render {
                            subject: group_subject.clone(),
                            reason: error.message(),
                        })?;
                    out.push((PrintFormat::Pdf, bytes, group_subject));
                }
                Ok(out)
            }
        }
    }
}

/// Whether a label of `barcode` has been printed (its history has a `Printed` event).
fn was_printed(store: &Store, barcode: Barcode) -> Result<bool, StoreError> {
    Ok(store
        .history(barcode)?
        .iter()
        .any(|event| event.body.kind == crate::event::EventKind::Printed))
}

fn role_text(role: Role) -> &'static str {
    match role {
        Role::Clerk => "档案员 Clerk",
        Role::Supervisor => "主管 Supervisor",
        Role::Admin => "管理员 Admin",
    }
}

/// The template and the fields of `barcode`'s label.
pub fn label_for(store: &Store, barcode: Barcode) -> Result<(String, LabelData), StoreError> {
    let item = store.get_item(barcode)?.ok_or(Refusal::NotFound(barcode))?;
    let path_of = |location: Option<Barcode>| -> Result<String, StoreError> {
        Ok(match location {
            Some(location) => match store.get_item(location)? {
                Some(Item::Location(location)) => location.path,
                _ => String::new(),
            },
            None => String::new(),
        })
    };
    let data = LabelData::new()
        .with("barcode", barcode.to_string())
        .with("date", store.today().to_string());
    Ok(match item {
        Item::Box(archive_box) => (
            "box".to_owned(),
            data.with("archive_no", archive_box.archive_no)
                .with("customer", archive_box.customer)
                .with("title", archive_box.title)
                .with(
                    "year",
                    archive_box.year.map(|y| y.to_string()).unwrap_or_default(),
                )
                .with(
                    "location_path",
                    path_of(archive_box.home.or(archive_box.place))?,
                ),
        ),
        Item::Certificate(certificate) => {
            let customer = match certificate
                .box_barcode
                .map(|b| store.get_item(b))
                .transpose()?
            {
                Some(Some(Item::Box(archive_box))) => archive_box.customer,
                _ => certificate.number.clone(),
            };
            (
                "certificate".to_owned(),
                data.with("archive_no", certificate.archive_no)
                    .with("title", certificate.kind.to_text())
                    .with("customer", customer),
            )
        }
        Item::Location(location) => (
            "shelf".to_owned(),
            data.with("location_path", location.path),
        ),
        Item::Person(person) => (
            "badge".to_owned(),
            // The badge they carry now: a replacement's code once theirs was replaced.
            data.with("barcode", store.current_badge(person.barcode)?.to_string())
                .with("name", person.name)
                .with("department", "档案室")
                .with("role", role_text(person.role)),
        ),
    })
}

/// Most labels one request may print (to a printer or on A4 sheets): a block of 12 racks ×
/// 2 sides × 5 sections × 5 shelves is 600; a bigger room is printed a rack at a time.
pub const MAX_LABELS_PER_REQUEST: usize = 1000;

/// The template of shelf labels on A4 sticker sheets (`label-templates/shelf-a4.toml`).
pub const SHEET_TEMPLATE: &str = "shelf-a4";

/// The location `under` names: its barcode, or its path (`2号库房/01列`, a trailing `/`
/// allowed), found as every other command finds one ([`Store::find_location`]).
pub fn location_named(store: &Store, under: &str) -> Result<Location, LabelError> {
    let under = under.trim().trim_end_matches('/');
    store.find_location(under).map_err(|error| match error {
        StoreError::Refused(Refusal::Layout(crate::store::LayoutRefusal::Unknown { .. })) => {
            LabelError::UnknownLocation(under.to_owned())
        }
        error => LabelError::Store(error),
    })
}

/// The locations under `under` (and itself) that take a label — shelves, and with
/// `include_safes` safes and their drawers; not retired ones — in walking order
/// ([`WalkingOrder`]). Refused: an unknown location, a safe without `include_safes` (one
/// who may not see safes gets neither a safe's label nor a hint of what is in it; under a
/// room the safes are simply left out), nothing to label, more than
/// [`MAX_LABELS_PER_REQUEST`].
pub fn locations_under(
    store: &Store,
    under: &str,
    include_safes: bool,
) -> Result<Vec<Location>, LabelError> {
    let root = location_named(store, under)?;
    if root.kind.keeps_certificates() && !include_safes {
        return Err(LabelError::SafeLabel(root.path));
    }
    let mut found = Vec::new();
    for location in std::iter::once(root.clone()).chain(store.locations_under(&root)?) {
        if location.kind.holds_items()
            && !location.retired
            && (include_safes || !location.kind.keeps_certificates())
        {
            found.push(location);
        }
    }
    if found.is_empty() {
        return Err(LabelError::NoShelves(root.path));
    }
    if found.len() > MAX_LABELS_PER_REQUEST {
        return Err(LabelError::TooMany {
            location: root.path,
            count: found.len(),
        });
    }
    found.sort_by_cached_key(|location| WalkingOrder::of(&location.path));
    Ok(found)
}

/// The least role that may print the label of `barcode`, looked up: [`role_to_print`],
/// and a supervisor for a safe's or a drawer's label (a clerk never sees safes).
pub fn role_to_print_in(store: &Store, barcode: Barcode) -> Result<Role, StoreError> {
    if barcode.kind() == Kind::Location {
        if let Some(Item::Location(location)) = store.get_item(barcode)? {
            if location.kind.keeps_certificates() {
                return Ok(Role::Supervisor);
            }
        }
    }
    Ok(role_to_print(barcode))
}

/// The labels of `barcodes`, refusing one printed before unless this is a reprint.
fn item_labels(
    store: &Store,
    barcodes: impl IntoIterator<Item = Barcode>,
    reprint: &Option<(u64, String)>,
) -> Result<Vec<(String, LabelData)>, LabelError> {
    let mut items = Vec::new();
    for barcode in barcodes {
        // One rule on every path (CLI, control socket, API): a label printed
        // before is printed again only as a reprint, with its reason.
        if reprint.is_none() && was_printed(store, barcode)? {
            return Err(LabelError::AlreadyPrinted(barcode.to_string()));
        }
        items.push(label_for(store, barcode)?);
    }
    Ok(items)
}

/// The labels of the command-card sheet.
pub fn command_cards() -> Vec<(String, LabelData)> {
    CommandCard::ALL
        .iter()
        .map(|card| {
            let (zh, en) = card.label();
            (
                "command-card".to_owned(),
                LabelData::new()
                    .with("barcode", card.barcode().to_string())
                    .with("title", format!("{zh} {en}"))
                    .with("command", en),
            )
        })
        .collect()
}

/// Blank box labels: `count` new box barcodes, reserved so they are never handed out
/// again; INTAKE registers the box when its label is first scanned.
pub fn blank_box_labels(
    store: &Store,
    actor: &Actor,
    count: u32,
) -> Result<Vec<(String, LabelData)>, StoreError> {
    let barcodes = store.write(actor, |tx| tx.reserve_barcodes(Kind::Box, count))?;
    Ok(barcodes
        .into_iter()
        .map(|barcode| {
            (
                "box".to_owned(),
                LabelData::new()
                    .with("barcode", barcode.to_string())
                    .with("archive_no", "")
                    .with("customer", "")
                    .with("title", "")
                    .with("year", "")
                    .with("location_path", ""),
            )
        })
        .collect())
}

/// A request to print labels, from the CLI (directly or through the control socket).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelRequest {
    /// The labels of registered items (boxes, certificates, locations, badges).
    Items {
        /// Their barcodes.
        barcodes: Vec<String>,
        /// For a reprint: the job reprinted and why.
        reprint: Option<(u64, String)>,
    },
    /// A batch of pre-numbered blank box labels.
    Blanks {
        /// How many.
        count: u32,
    },
    /// The command-card sheet.
    Cards,
    /// The labels of every shelf under a location (a room, a rack, a side, a section), in
    /// walking order; see [`locations_under`].
    Under {
        /// The location's barcode or path.
        under: String,
        /// Safes and drawers too (supervisors and administrators; the CLI, which owns
        /// the store).
        include_safes: bool,
        /// For a reprint: the job reprinted and why.
        reprint: Option<(u64, String)>,
    },
}

/// The least role that may print the label of the item `barcode` names: a badge's label
/// is a working badge (a scanner takes whoever shows it for its owner), so only
/// administrators, who hand out badges, print one; a certificate's label describes a
/// certificate, which only supervisors may see; anything else any clerk. The API applies
/// it to every request that prints (labels, reprints, registering with a label); the
/// control socket is reachable only by the data directory's owner, who owns the store.
pub fn role_to_print(barcode: Barcode) -> Role {
    match barcode.kind() {
        Kind::Person => Role::Admin,
        Kind::Certificate => Role::Supervisor,
        _ => Role::Clerk,
    }
}

/// Everything needed to print: templates and font, printers, and the workers' bell.
pub struct Printing {
    labels: Result<Labels, Message>,
    printers: Mutex<Printers>,
    /// Rung when the last label being queued for some printer is committed.
    settled: Notify,
    wake: Arc<Notify>,
}

/// The printers labels may be queued for: station.toml's and those added through the
/// station (disabled ones included: their labels wait); and how many requests are queueing
/// labels for each right now.
#[derive(Default)]
struct Printers {
    list: Vec<PrinterConfig>,
    queueing: HashMap<String, usize>,
}

/// A request queueing labels for one printer: while it lives, removing that printer waits.
struct Queueing<'a> {
    printing: &'a Printing,
    printer: String,
}

impl Drop for Queueing<'_> {
    fn drop(&mut self) {
        let mut printers = self.printing.lock_printers();
        if let Some(count) = printers.queueing.get_mut(&self.printer) {
            *count -= 1;
            if *count == 0 {
                printers.queueing.remove(&self.printer);
                drop(printers);
                self.printing.settled.notify_waiters();
            }
        }
    }
}

impl Printing {
    /// Loads templates and font; a missing font does not stop the station, it makes
    /// every print request answer how to install it.
    pub fn new(config: &crate::config::Config) -> Printing {
        let labels = Labels::load(config.label_templates.as_deref(), config.font.as_deref())
            .map_err(|error| error.message());
        if let Err(error) = &labels {
            tracing::warn!(%error, "labels cannot be printed");
        }
        Printing {
            labels,
            printers: Mutex::new(Printers {
                list: config.printer_configs(),
                queueing: HashMap::new(),
            }),
            settled: Notify::new(),
            wake: Arc::new(Notify::new()),
        }
    }

    fn lock_printers(&self) -> std::sync::MutexGuard<'_, Printers> {
        // Every change is one operation on the list or one count that cannot leave them
        // half-changed, so a poisoned lock still guards sound data. The lock is only ever
        // held for that one operation: never across rendering or a store write.
        self.printers
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The labels (templates and font), or why they cannot be printed.
    pub fn labels(&self) -> Result<&Labels, Message> {
        self.labels.as_ref().map_err(Clone::clone)
    }

    /// The printer called `name`, if labels can be queued for it.
    pub fn printer(&self, name: &str) -> Option<PrinterConfig> {
        self.lock_printers()
            .list
            .iter()
            .find(|p| p.name == name)
            .cloned()
    }

    /// Accepts labels for `printer` from now on (replacing a printer of the same name).
    pub fn add_printer(&self, printer: PrinterConfig) {
        let mut printers = self.lock_printers();
        match printers.list.iter_mut().find(|p| p.name == printer.name) {
            Some(slot) => *slot = printer,
            None => printers.list.push(printer),
        }
    }

    /// Refuses labels for printer `name` from now on, and returns it. Waits for labels
    /// being queued at this moment, so that once it returns no label for `name` can
    /// still be committed.
    pub async fn remove_printer(&self, name: &str) -> Option<PrinterConfig> {
        let removed = {
            let mut printers = self.lock_printers();
            let index = printers.list.iter().position(|p| p.name == name)?;
            printers.list.remove(index)
        };
        loop {
            let settled = self.settled.notified();
            tokio::pin!(settled);
            // Registered before looking, so a request that finishes in between still
            // wakes this wait.
            settled.as_mut().enable();
            if !self.lock_printers().queueing.contains_key(name) {
                return Some(removed);
            }
            settled.await;
        }
    }

    /// The printer `name`'s settings, counted as queueing until the answer is dropped.
    fn begin_queueing(&self, name: &str) -> Result<(PrinterConfig, Queueing<'_>), LabelError> {
        let mut printers = self.lock_printers();
        let config = printers
            .list
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .ok_or_else(|| LabelError::UnknownPrinter(name.to_owned()))?;
        *printers.queueing.entry(name.to_owned()).or_default() += 1;
        Ok((
            config,
            Queueing {
                printing: self,
                printer: name.to_owned(),
            },
        ))
    }

    /// The labels of every shelf under `under` on A4 sheets ([`SHEET_TEMPLATE`]), in
    /// walking order: (the PDF, how many labels). A document to download and print on
    /// sticker sheets, not a job of the print queue. Blocks (rendering): async code calls
    /// it through `Archive::shelf_sheet`.
    pub fn sheet(
        &self,
        store: &Store,
        under: &str,
        include_safes: bool,
    ) -> Result<(Vec<u8>, usize), LabelError> {
        let labels = self
            .labels
            .as_ref()
            .map_err(|error| LabelError::Setup(error.clone()))?;
        let locations = locations_under(store, under, include_safes)?;
        let items = locations
            .iter()
            .map(|location| label_for(store, location.barcode))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((labels.render_sheet(&items)?, items.len()))
    }

    /// The bell that makes the printer workers look at the queue at once.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Renders, checks and queues the labels of `request` for `printer`; answers with a
    /// line per queued job. Blocks (rendering, the store's flush): async code calls it
    /// through `Archive::queue_labels` (`archive.rs`), which sits above this module.
    pub fn queue(
        &self,
        store: &Store,
        actor: &Actor,
        printer: &str,
        request: &LabelRequest,
    ) -> Result<Vec<PrintJob>, LabelError> {
        let labels = self
            .labels
            .as_ref()
            .map_err(|error| LabelError::Setup(error.clone()))?;
        // Counted until the labels are queued: a printer being removed waits for them.
        let (config, queueing) = self.begin_queueing(printer)?;
        let (items, subject, reprint) = match request {
            LabelRequest::Items { barcodes, reprint } => {
                let parsed = barcodes
                    .iter()
                    .map(|text| Barcode::parse(text).map_err(StoreError::from))
                    .collect::<Result<Vec<_>, _>>()?;
                let items = item_labels(store, parsed, reprint)?;
                (items, barcodes.join(","), reprint.clone())
            }
            LabelRequest::Under {
                under,
                include_safes,
                reprint,
            } => {
                let locations = locations_under(store, under, *include_safes)?;
                let items = item_labels(store, locations.iter().map(|l| l.barcode), reprint)?;
                let subject = locations
                    .iter()
                    .map(|location| location.barcode.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                (items, subject, reprint.clone())
            }
            LabelRequest::Blanks { count } => (
                blank_box_labels(store, actor, *count)?,
                format!("{count} blank box labels"),
                None,
            ),
            LabelRequest::Cards => (command_cards(), "command cards".to_owned(), None),
        };
        let mut jobs = Vec::new();
        for (format, payload, label_subject) in labels.render(&config, &items, &subject)? {
            jobs.push(store.queue_print(
                actor,
                &NewJob {
                    printer: printer.to_owned(),
                    subject: label_subject,
                    format,
                    payload,
                    reprint: reprint.clone(),
                },
            )?);
        }
        drop(queueing);
        self.wake.notify_waiters();
        Ok(jobs)
    }
}

/// The code printed (Code 128) on loan slip `id`'s sheet.
pub fn loan_slip_code(id: u64) -> String {
    format!("LS{id:07}")
}

/// What loan slip `id`'s QR code holds: the slip's address in the station's API.
pub fn loan_slip_link(id: u64) -> String {
    format!("/api/v1/loanslips/{id}")
}

/// Boxes on one page of a loan slip.
const SLIP_LINES: usize = 10;

/// The pages of `slip` to print with the `loan-slip` template (ten boxes a page): who
/// borrows, what for, who approved, when lent and due, and each box (archive number,
/// barcode, the documents or pages wanted).
pub fn loan_slip_pages(
    store: &Store,
    slip: &crate::store::LoanSlip,
) -> Result<Vec<LabelData>, StoreError> {
    let name_of = |barcode: Barcode| -> Result<String, StoreError> {
        Ok(match store.get_item(barcode)? {
            Some(Item::Person(person)) => person.name,
            _ => barcode.to_string(),
        })
    };
    let borrower = name_of(slip.borrower)?;
    let approver = match slip.approver {
        Some(approver) => name_of(approver)?,
        None => String::new(),
    };
    let lent = slip
        .lent_at
        .map(|at| store.time_zone().date_at(at).to_string())
        .unwrap_or_default();
    let mut lines = Vec::with_capacity(slip.entries.len());
    for (n, entry) in slip.entries.iter().enumerate() {
        let archive_no = match store.get_item(entry.item)? {
            Some(Item::Box(archive_box)) => archive_box.archive_no,
            _ => String::new(),
        };
        let wanted = if entry.documents.is_empty() {
            "全盒 whole box".to_owned()
        } else {
            entry.documents.clone()
        };
        lines.push(format!("{}. {archive_no}  {}  {wanted}", n + 1, entry.item));
    }
    let pages = lines.chunks(SLIP_LINES).count().max(1);
    let mut out = Vec::with_capacity(pages);
    for page in 0..pages {
        let mut data = LabelData::new()
            .with("barcode", loan_slip_code(slip.id))
            .with("label", slip.id.to_string())
            .with("page", format!("{}/{pages}", page + 1))
            .with("borrower", borrower.clone())
            .with("purpose", slip.purpose.clone())
            .with("approver", approver.clone())
            .with("lent", lent.clone())
            .with("due", slip.due.to_string())
            .with("link", loan_slip_link(slip.id));
        for n in 0..SLIP_LINES {
            let line = lines
                .get(page * SLIP_LINES + n)
                .cloned()
                .unwrap_or_default();
            data = data.with(&format!("line{}", n + 1), line);
        }
        out.push(data);
    }
    Ok(out)
}

/// The three copies of a handover list, one for each party.
pub const HANDOVER_COPIES: [&str; 3] = ["A角联", "B角联", "档案联"];

/// The code printed (Code 128) on handover `id`'s list.
pub fn handover_code(id: u64) -> String {
    format!("HO{id:07}")
}

/// The pages of handover `handover`'s certificate list (`certificate-handover` template):
/// each certificate's name, number and quantity, ten a page, in three copies (A角联,
/// B角联, 档案联), with the parties and the handover's date. Answers `None` when the
/// handover holds no certificate.
pub fn certificate_handover_pages(
    store: &Store,
    handover: &crate::model::Handover,
) -> Result<Option<Vec<LabelData>>, StoreError> {
    let name_of = |barcode: Barcode| -> Result<String, StoreError> {
        Ok(match store.get_item(barcode)? {
            Some(Item::Person(person)) => person.name,
            _ => barcode.to_string(),
        })
    };
    let mut lines = Vec::new();
    for item in &handover.items {
        if let Some(Item::Certificate(certificate)) = store.get_item(*item)? {
            lines.push(format!(
                "{}. {}  {}  1份  ({}  {})",
                lines.len() + 1,
                certificate.kind.to_text(),
                certificate.number,
                certificate.archive_no,
                certificate.barcode
            ));
        }
    }
    if lines.is_empty() {
        return Ok(None);
    }
    let from = name_of(handover.from)?;
    let to = name_of(handover.to)?;
    let date = store.time_zone().date_at(handover.created_at).to_string();
    let pages = lines.chunks(SLIP_LINES).count();
    let mut out = Vec::with_capacity(pages * HANDOVER_COPIES.len());
    for copy in HANDOVER_COPIES {
        for page in 0..pages {
            let mut data = LabelData::new()
                .with("barcode", handover_code(handover.id))
                .with("label", handover.id.to_string())
                .with("page", format!("{}/{pages}", page + 1))
                .with("copy", copy)
                .with("borrower", from.clone())
                .with("approver", to.clone())
                .with("date", date.clone())
                .with("count", lines.len().to_string())
                .with("link", format!("/api/v1/handovers/{}", handover.id));
            for n in 0..SLIP_LINES {
                let line = lines
                    .get(page * SLIP_LINES + n)
                    .cloned()
                    .unwrap_or_default();
                data = data.with(&format!("line{}", n + 1), line);
            }
            out.push(data);
        }
    }
    Ok(Some(out))
}

impl Printing {
    /// The certificate list of handover `id` in three copies as an A4 PDF; `None` when it
    /// holds no certificate. Blocks (rendering).
    pub fn certificate_handover_pdf(
        &self,
        store: &Store,
        id: u64,
    ) -> Result<Option<Vec<u8>>, LabelError> {
        let labels = self
            .labels
            .as_ref()
            .map_err(|error| LabelError::Setup(error.clone()))?;
        let handover = store
            .handover(id)?
            .ok_or(StoreError::Refused(Refusal::UnknownHandover(id)))?;
        match certificate_handover_pages(store, &handover)? {
            Some(pages) => Ok(Some(labels.sheet_pdf("certificate-handover", &pages)?)),
            None => Ok(None),
        }
    }
}

impl Printing {
    /// Loan slip `id` as an A4 PDF (`loan-slip` template). Blocks (rendering).
    pub fn loan_slip_pdf(&self, store: &Store, id: u64) -> Result<Vec<u8>, LabelError> {
        let labels = self
            .labels
            .as_ref()
            .map_err(|error| LabelError::Setup(error.clone()))?;
        let slip = store
            .loan_slip(id)?
            .ok_or(StoreError::Refused(Refusal::UnknownLoanSlip(id)))?;
        let pages = loan_slip_pages(store, &slip)?;
        labels.sheet_pdf("loan-slip", &pages)
    }

    /// Queues loan slip `id` on `printer` if it prints A4 (PDF, to a file or CUPS): answers
    /// the job, or `None` for a label printer (ZPL), which has no A4 paper. Blocks.
    pub fn queue_loan_slip(
        &self,
        store: &Store,
        actor: &Actor,
        printer: &str,
        id: u64,
    ) -> Result<Option<PrintJob>, LabelError> {
        let (config, queueing) = self.begin_queueing(printer)?;
        if config.language != Language::Pdf {
            return Ok(None);
        }
        let payload = self.loan_slip_pdf(store, id)?;
        let job = store.queue_print(
            actor,
            &NewJob {
                printer: printer.to_owned(),
                subject: loan_slip_code(id),
                format: PrintFormat::Pdf,
                payload,
                reprint: None,
            },
        )?;
        drop(queueing);
        self.wake.notify_waiters();
        Ok(Some(job))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn printing() -> Printing {
        let config = crate::config::Config::parse("data_dir = \"/nonexistent\"\n", "station.toml")
            .expect("config");
        Printing::new(&config)
    }

    #[tokio::test]
    async fn removing_a_printer_waits_for_the_labels_being_queued_for_it_and_no_longer() {
        let printing = Arc::new(printing());
        let (config, queueing) = printing.begin_queueing("pdf").expect("the default printer");
        assert_eq!(config.name, "pdf");
        let remover = {
            let printing = printing.clone();
            tokio::spawn(async move { printing.remove_printer("pdf").await })
        };
        // New labels are refused at once, while the one being queued is still counted.
        let refused = loop {
            match printing.begin_queueing("pdf") {
                Err(error) => break error,
                Ok(_) => tokio::task::yield_now().await,
            }
        };
        assert!(matches!(refused, LabelError::UnknownPrinter(name) if name == "pdf"));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !remover.is_finished(),
            "removal waits for the label being queued"
        );
        drop(queueing);
        let removed = tokio::time::timeout(Duration::from_secs(10), remover)
            .await
            .expect("removal ends once the label is queued")
            .expect("the task");
        assert_eq!(removed.map(|printer| printer.name), Some("pdf".to_owned()));
        assert!(printing.printer("pdf").is_none());
        assert!(printing.lock_printers().queueing.is_empty());
    }

    #[tokio::test]
    async fn removing_an_idle_or_unknown_printer_does_not_wait() {
        let printing = printing();
        let removed = tokio::time::timeout(Duration::from_secs(10), printing.remove_printer("pdf"))
            .await
            .expect("nothing to wait for");
        assert!(removed.is_some());
        let unknown = tokio::time::timeout(Duration::from_secs(10), printing.remove_printer("pdf"))
            .await
            .expect("nothing to wait for");
        assert!(unknown.is_none());
    }

    #[test]
    fn renders_share_at_most_four_copies_of_the_font_and_wait_for_one_beyond() {
        let Ok(labels) = Labels::load(None, None) else {
            panic!("the default font is not installed (apt-get install fonts-wqy-microhei)");
        };
        let taken: Vec<Fonts> = (0..MAX_FONTS)
            .map(|_| labels.fonts.take().expect("a copy"))
            .collect();
        assert_eq!(labels.fonts.lock().1, MAX_FONTS);
        std::thread::scope(|scope| {
            let (sender, received) = std::sync::mpsc::channel();
            let pool = &labels.fonts;
            scope.spawn(move || {
                let fonts = pool.take().expect("a copy once one is back");
                let _ = sender.send(());
                pool.put_back(fonts);
            });
            assert!(
                received.recv_timeout(Duration::from_millis(100)).is_err(),
                "a fifth render waits"
            );
            let mut taken = taken;
            if let Some(fonts) = taken.pop() {
                labels.fonts.put_back(fonts);
            }
            received
                .recv_timeout(Duration::from_secs(10))
                .expect("the waiting render gets the copy put back");
            for fonts in taken {
                labels.fonts.put_back(fonts);
            }
        });
        let pool = labels.fonts.lock();
        assert_eq!((pool.0.len(), pool.1), (MAX_FONTS, MAX_FONTS));
    }

    #[test]
    fn a_label_is_dated_with_the_local_date() {
        let dir = tempfile::tempdir().expect("tempdir");
        // 2027-01-01 00:01 in Beijing, still 2026-12-31 in UTC.
        let (store, _) = crate::store::open_with_clock_in(
            dir.path(),
            1_798_732_860_000,
            crate::clock::TimeZone::named("Asia/Shanghai").expect("a known zone"),
        );
        let shelf = store
            .ensure_location(
                &crate::store::Actor::new("test"),
                "1号库房/05列/A面/3节/4层",
            )
            .expect("shelf");
        let (_, data) = label_for(&store, shelf.barcode).expect("label");
        assert_eq!(data.get("date"), Some("2027-01-01"));
    }

    #[test]
    fn labels_find_a_location_as_every_other_command_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, _) = crate::store::open_with_clock(dir.path(), 1_798_732_860_000);
        let shelf = store
            .ensure_location(
                &crate::store::Actor::new("test"),
                "1号库房/05列/A面/3节/4层",
            )
            .expect("shelf");
        let barcode = shelf.barcode.to_string();
        // Its barcode, its canonical path, and the other spellings import accepts (which
        // `station location edit` and the API accept too).
        for named in [
            barcode.as_str(),
            "1号库房/05列/A面/3节/4层",
            " 1号库房/05列/A面/3节/4层/ ",
            "1号库房/5列/a面/3节/4层",
            "一号库房 / 〇五列 / a面 / 三节 / 四层",
        ] {
            let found = location_named(&store, named).map(|location| location.barcode);
            assert_eq!(found.ok(), Some(shelf.barcode), "{named:?}");
        }
        let rack = location_named(&store, "1号库房/05列/").expect("the rack");
        assert_eq!(rack.path, "1号库房/05列");
        for unknown in ["7号库房", "1号库房/06列/A面/3节/4层"] {
            assert!(
                matches!(
                    location_named(&store, unknown),
                    Err(LabelError::UnknownLocation(what)) if what == unknown
                ),
                "{unknown}"
            );
        }
    }
}
