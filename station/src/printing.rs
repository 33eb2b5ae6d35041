//! Printing labels: what each kind of label is filled from, rendering with the read-back
//! check, and queueing in the store. The worker that delivers queued jobs to a printer is
//! a device task (`devices/printer.rs`).

use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::Notify;

use crate::barcode::{Barcode, Kind};
use crate::label::{self, Fonts, LabelData, Template, Templates};
use crate::model::{Item, PrintFormat, PrintJob, Role};
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
        reason: String,
    },
    /// The rendered label does not read back as what it encodes: it is not printed.
    ReadBack {
        /// What the label is for.
        subject: String,
        /// Why.
        reason: String,
    },
    /// The store refused or failed.
    Store(StoreError),
    /// Loading templates or the font failed.
    Setup(String),
}

impl LabelError {
    /// What to tell people.
    pub fn message(&self) -> crate::message::Message {
        use crate::message;
        match self {
            LabelError::UnknownPrinter(name) => message!(LabelUnknownPrinter, name = name),
            LabelError::NoTemplate(kind) => message!(LabelNoTemplate, kind = kind),
            LabelError::Render { subject, reason } => {
                message!(LabelRenderFailed, subject = subject, reason = reason)
            }
            LabelError::ReadBack { subject, reason } => {
                message!(LabelReadBackFailed, subject = subject, reason = reason)
            }
            LabelError::Store(error) => error.message(),
            LabelError::Setup(reason) => message!(LabelSetupFailed, reason = reason),
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
    fonts: Mutex<Fonts>,
}

impl Labels {
    /// The shipped templates (or those in `dir`) and the font at `font` (or the default).
    pub fn load(dir: Option<&Path>, font: Option<&Path>) -> Result<Labels, LabelError> {
        let templates = match dir {
            Some(dir) => Templates::load_dir(dir).map_err(|e| LabelError::Setup(e.to_string()))?,
            None => Templates::builtin().map_err(|e| LabelError::Setup(e.to_string()))?,
        };
        let fonts = match font {
            Some(path) => Fonts::load(path, 0),
            None => Fonts::load_default(),
        }
        .map_err(|e| LabelError::Setup(e.to_string()))?;
        Ok(Labels {
            templates,
            fonts: Mutex::new(fonts),
        })
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
                    reason: error.to_string(),
                }
            })?;
            resolved.push((template, data.clone(), label_subject));
        }
        let mut fonts = self
            .fonts
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        match printer.language {
            Language::Zpl => resolved
                .into_iter()
                .map(|(template, data, label_subject)| {
                    label::render_zpl(template, &data, printer.dpi, &mut fonts)
                        .map(|bytes| (PrintFormat::Zpl, bytes, label_subject.clone()))
                        .map_err(|error| LabelError::Render {
                            subject: label_subject,
                            reason: error.to_string(),
                        })
                })
                .collect(),
            Language::Pdf => {
                let pages: Vec<(&Template, LabelData)> = resolved
                    .iter()
                    .map(|(template, data, _)| (*template, data.clone()))
                    .collect();
                let bytes =
                    label::render_pdf(&pages, &fonts).map_err(|error| LabelError::Render {
                        subject: subject.to_owned(),
                        reason: error.to_string(),
                    })?;
                Ok(vec![(PrintFormat::Pdf, bytes, subject.to_owned())])
            }
        }
    }
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
    let data = LabelData::new().with("barcode", barcode.to_string());
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
            data.with("name", person.name)
                .with("department", "档案室")
                .with("role", role_text(person.role)),
        ),
    })
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
}

/// Everything needed to print: templates and font, printers, and the workers' bell.
pub struct Printing {
    labels: Result<Labels, String>,
    /// The printers labels may be queued for: station.toml's and those added through the
    /// station (disabled ones included: their labels wait).
    printers: RwLock<Vec<PrinterConfig>>,
    wake: Arc<Notify>,
}

impl Printing {
    /// Loads templates and font; a missing font does not stop the station, it makes
    /// every print request answer how to install it.
    pub fn new(config: &crate::config::Config) -> Printing {
        let labels = Labels::load(config.label_templates.as_deref(), config.font.as_deref())
            .map_err(|error| error.to_string());
        if let Err(error) = &labels {
            tracing::warn!(%error, "labels cannot be printed");
        }
        Printing {
            labels,
            printers: RwLock::new(config.printer_configs()),
            wake: Arc::new(Notify::new()),
        }
    }

    fn read_printers(&self) -> std::sync::RwLockReadGuard<'_, Vec<PrinterConfig>> {
        // Every change is one Vec operation that cannot leave the list half-changed, so
        // a poisoned lock still guards a sound list.
        self.printers
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn write_printers(&self) -> std::sync::RwLockWriteGuard<'_, Vec<PrinterConfig>> {
        self.printers
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The printers labels can be queued for now.
    pub fn printers(&self) -> Vec<PrinterConfig> {
        self.read_printers().clone()
    }

    /// The printer called `name`, if labels can be queued for it.
    pub fn printer(&self, name: &str) -> Option<PrinterConfig> {
        self.read_printers()
            .iter()
            .find(|p| p.name == name)
            .cloned()
    }

    /// Accepts labels for `printer` from now on (replacing a printer of the same name).
    pub fn add_printer(&self, printer: PrinterConfig) {
        let mut printers = self.write_printers();
        match printers.iter_mut().find(|p| p.name == printer.name) {
            Some(slot) => *slot = printer,
            None => printers.push(printer),
        }
    }

    /// Refuses labels for printer `name` from now on, and returns it. Waits for labels
    /// being queued at this moment, so that once it returns no label for `name` can
    /// still be committed.
    pub fn remove_printer(&self, name: &str) -> Option<PrinterConfig> {
        let mut printers = self.write_printers();
        let index = printers.iter().position(|p| p.name == name)?;
        Some(printers.remove(index))
    }

    /// The bell that makes the printer workers look at the queue at once.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Renders, checks and queues the labels of `request` for `printer`; answers with a
    /// line per queued job.
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
        // Held until the labels are queued: a printer being removed waits for them.
        let printers = self.read_printers();
        let config = printers
            .iter()
            .find(|p| p.name == printer)
            .ok_or_else(|| LabelError::UnknownPrinter(printer.to_owned()))?;
        let (items, subject, reprint) = match request {
            LabelRequest::Items { barcodes, reprint } => {
                let mut items = Vec::with_capacity(barcodes.len());
                for text in barcodes {
                    let barcode = Barcode::parse(text).map_err(StoreError::from)?;
                    items.push(label_for(store, barcode)?);
                }
                (items, barcodes.join(","), reprint.clone())
            }
            LabelRequest::Blanks { count } => (
                blank_box_labels(store, actor, *count)?,
                format!("{count} blank box labels"),
                None,
            ),
            LabelRequest::Cards => (command_cards(), "command cards".to_owned(), None),
        };
        let mut jobs = Vec::new();
        for (format, payload, label_subject) in labels.render(config, &items, &subject)? {
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
        drop(printers);
        self.wake.notify_waiters();
        Ok(jobs)
    }
}
