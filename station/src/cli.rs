//! The `station` command: serve, import, export, verify, backup.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, Config};
use crate::devices::Origin;
use crate::devices::{DeviceManager, Devices};
use crate::ledger::{self, Encoding, ImportOptions};
use crate::message;
use crate::message::{Bilingual, Message};
use crate::model::Role;
use crate::printing::{LabelRequest, Printing};
use crate::server::{self, AppState};
use crate::store::StorageError;
use crate::store::{Actor, NewPerson, Store, StoreError};
use crate::workflow::Engine;
use crate::{control, event};

/// Exit status when an import finished but refused some rows.
pub const EXIT_BAD_ROWS: u8 = 3;
/// Exit status when `verify` found the chain or an index broken.
pub const EXIT_VERIFY_FAILED: u8 = 4;

/// Archive station: tracks every archive box and certificate by its barcode.
#[derive(Debug, Parser)]
#[command(name = "station", version, about)]
pub struct Cli {
    /// Configuration file (station.toml); without one the defaults apply.
    #[arg(long, global = true, env = "STATION_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory, overriding the configuration's `data_dir`.
    #[arg(long, global = true)]
    pub data: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Language of errors and hints; by default the locale's (LC_ALL, LC_MESSAGES, LANG:
    /// `zh…` is Chinese, anything else English).
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Readable lines for a terminal.
    Human,
    /// One JSON object per line, for journald and log collectors.
    Json,
}

/// The language errors and hints are printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// 中文.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The locale's language: the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set and
    /// not empty decides (`zh…` is Chinese); English otherwise.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|key| var(key).filter(|value| !value.is_empty()))
            .map_or(Lang::En, |value| {
                if value.starts_with("zh") {
                    Lang::Zh
                } else {
                    Lang::En
                }
            })
    }

    /// This language's half of `text`.
    pub fn pick(self, text: &Bilingual) -> &str {
        match self {
            Lang::Zh => &text.zh,
            Lang::En => &text.en,
        }
    }
}

/// A failure the command line reports: what went wrong and, where one helps, what to do.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What went wrong.
    pub message: Message,
    /// What to do about it.
    pub hint: Option<Message>,
}

impl Failure {
    /// A failure without a hint.
    pub fn new(message: Message) -> Failure {
        Failure {
            message,
            hint: None,
        }
    }

    /// The same failure with a hint.
    pub fn hint(mut self, hint: Message) -> Failure {
        self.hint = Some(hint);
        self
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// What `error` says to people: the station's own message when it carries one (a
/// [`Failure`] or an error of the store, the ledger, labels or the configuration), its
/// text otherwise.
pub fn describe(error: &anyhow::Error) -> Failure {
    if let Some(failure) = error.downcast_ref::<Failure>() {
        return failure.clone();
    }
    macro_rules! known {
        ($cause:expr, $($error:ty),*) => {
            $(
                if let Some(known) = $cause.downcast_ref::<$error>() {
                    return Failure::new(known.message());
                }
            )*
        };
    }
    for cause in error.chain() {
        known!(
            cause,
            StoreError,
            crate::store::Refusal,
            StorageError,
            crate::ledger::LedgerError,
            crate::printing::LabelError,
            crate::config::ConfigError,
            crate::barcode::BarcodeError,
            crate::numbering::SchemeError,
            crate::numbering::ArchiveNoError,
            crate::model::FieldError,
            crate::model::PathError,
            crate::event::ChainError
        );
    }
    let text = format!("{error:#}");
    Failure::new(crate::message::Message {
        code: crate::message::Code::CliError,
        text: Bilingual::new(text.clone(), text),
    })
}

/// Prints `error` once on standard error, in `lang`, with its hint.
fn report(lang: Lang, error: &anyhow::Error) {
    let failure = describe(error);
    tracing::debug!(code = %failure.message.code, "{error:#}");
    let mut text = format!(
        "{}: {}",
        lang.pick(&message!(CliError).text),
        lang.pick(&failure.message.text)
    );
    if let Some(hint) = &failure.hint {
        text.push('\n');
        text.push_str(lang.pick(&message!(CliHint, hint = hint).text));
    }
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// CSV with Chinese headers, UTF-8 with BOM.
    Csv,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the station: open the store and serve HTTP until SIGINT or SIGTERM.
    Serve {
        /// Listen address, overriding the configuration's `listen` (`127.0.0.1:8080`,
        /// `localhost:8080`).
        #[arg(long, value_parser = parse_listen)]
        listen: Option<SocketAddr>,
    },
    /// Import a ledger (台帐): a CSV file (UTF-8 or GB18030) or an .xlsx workbook (its first
    /// sheet), recognised by content.
    Import {
        /// The CSV or .xlsx file.
        file: PathBuf,
        /// The CSV file's text encoding.
        #[arg(long, value_enum, default_value_t = Encoding::Auto)]
        encoding: Encoding,
        /// Import a ledger that has no location column (the boxes get no place); without
        /// this such a file is refused.
        #[arg(long)]
        without_location: bool,
    },
    /// Export the ledger.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Output file; standard output when absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Check the event hash chain and every index.
    Verify,
    /// Register a new box (allocating its barcode and, from a scheme, its archive number).
    Register {
        /// Title (题名).
        #[arg(long)]
        title: String,
        /// Customer (客户名称).
        #[arg(long)]
        customer: String,
        /// The archive number; or use --scheme.
        #[arg(long, conflicts_with = "scheme")]
        archive_no: Option<String>,
        /// Allocate the archive number from this numbering scheme.
        #[arg(long)]
        scheme: Option<String>,
        /// Year for the scheme and the box (default: this year).
        #[arg(long)]
        year: Option<u16>,
        /// Category (类别).
        #[arg(long, default_value = "")]
        category: String,
        /// Home shelf, as a path such as 1号库房/05列/A面/3节/4层.
        #[arg(long)]
        home: Option<String>,
        /// Print its label at once on the first configured printer.
        #[arg(long)]
        print: bool,
    },
    /// Print labels: items' labels, blank box labels, the command-card sheet.
    Label {
        /// What to print.
        #[command(subcommand)]
        action: LabelAction,
        /// The printer; the workstation's or the first configured one by default.
        #[arg(long, global = true)]
        printer: Option<String>,
        /// Use this workstation's printer.
        #[arg(long, global = true)]
        workstation: Option<String>,
    },
    /// Create the first administrator and their API token (shown once).
    Init {
        /// The administrator's name.
        #[arg(long, default_value = "管理员")]
        name: String,
    },
    /// API tokens: each belongs to a person and acts with their role.
    Token {
        /// What to do.
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Boxes' contents lists (册内资料清单).
    Contents {
        /// What to do.
        #[command(subcommand)]
        action: ContentsAction,
    },
    /// People and their badges.
    Person {
        /// What to do.
        #[command(subcommand)]
        action: PersonAction,
    },
    /// Loan slips (档案资料出借单): fill in, list, show, approve, refuse.
    Loanslip {
        /// What to do.
        #[command(subcommand)]
        action: LoanSlipAction,
    },
    /// The room itself: rooms, racks, shelves, safes, drawers, counters.
    Location {
        /// What to do.
        #[command(subcommand)]
        action: LocationAction,
    },
    /// Write a consistent copy of the store to DIR (online when the daemon runs).
    Backup {
        /// Target directory: must not exist or be empty.
        dir: PathBuf,
    },
    /// HTTPS for the other PCs in the office: certificates.
    Tls {
        /// What to do.
        #[command(subcommand)]
        action: crate::tls::TlsAction,
    },
}

/// What to do with contents lists.
#[derive(Debug, Subcommand)]
pub enum ContentsAction {
    /// Import contents lists: a CSV (UTF-8 or GB18030) or .xlsx file, one row per document
    /// (档案号 or 条码, 序号, 资料名称, 类型, 页数, 日期, 原件, 到期日, 签字); each box named
    /// gets the rows as its list. All or nothing.
    Import {
        /// The CSV or .xlsx file.
        file: PathBuf,
    },
}

/// What to print.
#[derive(Debug, Subcommand)]
pub enum LabelAction {
    /// The labels of registered items: boxes, certificates, locations, badges.
    Print {
        /// Their barcodes.
        #[arg(required = true)]
        barcodes: Vec<String>,
        /// Reprint of this job number (needs --reason).
        #[arg(long, requires = "reason")]
        reprint: Option<u64>,
        /// Why the label is printed again.
        #[arg(long, requires = "reprint")]
        reason: Option<String>,
    },
    /// Pre-numbered blank box labels (INTAKE registers each box when first scanned).
    Blanks {
        /// How many.
        #[arg(long, default_value_t = 10)]
        count: u32,
    },
    /// The command-card sheet for the counter.
    Cards,
    /// The labels of every shelf under a location (a room, a rack, a side, a section; a
    /// safe with its drawers), in walking order: to the printer, or with `--sheet a4` /
    /// `--out` as one PDF of A4 sticker sheets.
    Shelves {
        /// The location: its path (2号库房/01列) or its barcode.
        #[arg(long)]
        under: String,
        /// Put the labels on sheets of this paper, written to `--out`.
        #[arg(long, value_enum)]
        sheet: Option<SheetPaper>,
        /// The PDF file to write (implies `--sheet a4`; default shelf-labels.pdf).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Reprint of this job number (needs --reason).
        #[arg(long, requires = "reason", conflicts_with_all = ["sheet", "out"])]
        reprint: Option<u64>,
        /// Why the labels are printed again.
        #[arg(long, requires = "reprint")]
        reason: Option<String>,
    },
}

/// Paper for sheets of labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SheetPaper {
    /// A4 sticker sheets, 3 × 8 labels (template shelf-a4).
    A4,
}

/// What to do with tokens.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token for a person; prints the secret once.
    Create {
        /// The person: their badge barcode or their name.
        #[arg(long)]
        person: String,
        /// What the token is for (a workstation, a script).
        #[arg(long, default_value = "")]
        label: String,
        /// `person`: acts with the person's role; `integration`: a business system's, may
        /// post archive tasks and nothing else.
        #[arg(long, default_value = "person", value_parser = ["person", "integration"])]
        kind: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by number.
    Revoke {
        /// The token's number.
        id: u64,
    },
}

/// What to do with people.
#[derive(Debug, Subcommand)]
pub enum PersonAction {
    /// Add a person; prints the new badge barcode.
    Add {
        /// Name.
        #[arg(long)]
        name: String,
        /// Role.
        #[arg(long, value_enum, default_value_t = RoleArg::Clerk)]
        role: RoleArg,
        /// May borrow without a supervisor's approval (executives).
        #[arg(long)]
        borrow_directly: bool,
        /// Add them even though someone of the same name exists.
        #[arg(long)]
        allow_same_name: bool,
    },
    /// List everyone with their badge barcode.
    List,
    /// Reset a person's password (an administrator's reset, also when the station runs): a
    /// new one is generated and printed once, or read from standard input with `--stdin`.
    Password {
        /// The person: their badge barcode or their name.
        person: String,
        /// Read the new password from the first line of standard input.
        #[arg(long)]
        stdin: bool,
    },
    /// Replace a person's lost or damaged badge: prints the new badge code (print its label
    /// with `station label print P…`); their earlier badges stop working.
    Badge {
        /// The person: their badge barcode or their name.
        person: String,
    },
    /// Set a person's badge PIN (4–8 digits) for signing in at the counter: six digits are
    /// generated and printed once, or read from standard input with `--stdin`.
    Pin {
        /// The person: their badge barcode or their name.
        person: String,
        /// Read the PIN from the first line of standard input.
        #[arg(long)]
        stdin: bool,
    },
}

/// What to do with loan slips.
#[derive(Debug, Subcommand)]
pub enum LoanSlipAction {
    /// Fill in a loan slip; prints its number and state. It waits for a supervisor.
    Add {
        /// The borrower: their badge barcode or their name.
        #[arg(long)]
        borrower: String,
        /// What the boxes are borrowed for.
        #[arg(long)]
        purpose: String,
        /// A box: its barcode or archive number, optionally `=` the documents or pages
        /// wanted (`2012鸿借字第001号=第3-5页`). Repeat for more boxes.
        #[arg(long = "box", required = true)]
        boxes: Vec<String>,
        /// Due back on this day (YYYY-MM-DD); today plus the loan period by default.
        #[arg(long)]
        due: Option<chrono::NaiveDate>,
    },
    /// List the loan slips, newest first.
    List,
    /// Show one loan slip with its boxes.
    Show {
        /// Its number.
        id: u64,
    },
    /// Approve a loan slip.
    Approve {
        /// Its number.
        id: u64,
        /// The approving supervisor: their badge barcode or their name.
        #[arg(long)]
        approver: String,
    },
    /// Refuse a loan slip, with a reason.
    Refuse {
        /// Its number.
        id: u64,
        /// The refusing supervisor: their badge barcode or their name.
        #[arg(long)]
        approver: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Print a loan slip (again) on an A4 printer (PDF or CUPS); prints the queued job.
    /// A label printer (ZPL) is refused.
    Print {
        /// Its number.
        id: u64,
        /// The printer's name.
        #[arg(long)]
        printer: String,
    },
}

/// What to do with locations.
#[derive(Debug, Subcommand)]
pub enum LocationAction {
    /// Define one location (a room, a safe in a room, a drawer of a safe, a counter, …);
    /// prints its barcode and path. What exists already is answered, not duplicated.
    Add {
        /// What it is.
        #[arg(long, value_enum)]
        kind: LocationKindArg,
        /// Its own name: 2号库房, 05列, A面, 3节, 4层, 保险柜1, 1号抽屉, 柜台.
        #[arg(long)]
        name: String,
        /// The location it stands in: its barcode or its path (none for the top).
        #[arg(long)]
        parent: Option<String>,
        /// Boxes that fit (shelves, safes, drawers, counters).
        #[arg(long)]
        capacity: Option<u32>,
        /// A rack of mobile dense shelving (密集架).
        #[arg(long)]
        mobile: bool,
    },
    /// Lay out a whole block of racks in one write: every shelf of racks N–M, each side,
    /// each section and shelf.
    Layout {
        /// The room, e.g. 2号库房 (created when missing).
        #[arg(long)]
        room: String,
        /// Racks N-M (or one rack N), e.g. 1-12.
        #[arg(long, value_parser = parse_rack_range)]
        racks: (u32, u32),
        /// Sides, e.g. A,B.
        #[arg(long, default_value = "A,B")]
        sides: String,
        /// Sections per side.
        #[arg(long)]
        sections: u32,
        /// Shelves per section.
        #[arg(long)]
        shelves: u32,
        /// Boxes per shelf (also given to existing shelves that have none).
        #[arg(long)]
        capacity: Option<u32>,
        /// New racks are mobile dense shelving (密集架).
        #[arg(long)]
        mobile: bool,
    },
    /// Change a location's capacity or a rack's mobile flag.
    Edit {
        /// The location: its barcode or path.
        location: String,
        /// Boxes that fit.
        #[arg(long)]
        capacity: Option<u32>,
        /// Whether a rack is mobile dense shelving.
        #[arg(long)]
        mobile: Option<bool>,
    },
    /// Retire an empty location and every location under it.
    Retire {
        /// The location: its barcode or path.
        location: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// List locations in walking order: barcode, kind, path, capacity, items, flags.
    List {
        /// Only this location and those under it (its barcode or path).
        #[arg(long)]
        under: Option<String>,
    },
}

/// Location kinds on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationKindArg {
    /// A store room (库房).
    Room,
    /// A rack (列).
    Rack,
    /// A side of a rack (面).
    Side,
    /// A section of a side (节).
    Section,
    /// A shelf (层).
    Shelf,
    /// A safe (保险柜).
    Safe,
    /// A drawer of a safe.
    Drawer,
    /// A counter (柜台).
    Counter,
}

impl LocationKindArg {
    fn kind(self) -> crate::model::LocationKind {
        use crate::model::LocationKind;
        match self {
            LocationKindArg::Room => LocationKind::Room,
            LocationKindArg::Rack => LocationKind::Rack,
            LocationKindArg::Side => LocationKind::Side,
            LocationKindArg::Section => LocationKind::Section,
            LocationKindArg::Shelf => LocationKind::Shelf,
            LocationKindArg::Safe => LocationKind::Safe,
            LocationKindArg::Drawer => LocationKind::Drawer,
            LocationKindArg::Counter => LocationKind::Counter,
        }
    }
}

/// `N-M` (or `N`, or `N–M`) as the first and last rack.
fn parse_rack_range(text: &str) -> Result<(u32, u32), String> {
    let text = text.trim();
    let (first, last) = text.split_once(['-', '–', '~']).unwrap_or((text, text));
    let number = |part: &str| {
        part.trim()
            .trim_end_matches('列')
            .parse::<u32>()
            .map_err(|_| format!("{text:?}: racks are N-M, such as 1-12"))
    };
    Ok((number(first)?, number(last)?))
}

/// Roles on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Counter clerk or shelver.
    Clerk,
    /// Approves loans, owns the safe.
    Supervisor,
    /// Sets schemes, locations, people, devices.
    Admin,
}

/// Runs the command line; the binary's whole `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = cli
        .lang
        .unwrap_or_else(|| Lang::from_env(|key| std::env::var(key).ok()));
    init_logging(cli.log_format);
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            report(lang, &error);
            ExitCode::FAILURE
        }
    }
}

/// A listen address: `IP:PORT` or `HOST:PORT` (`localhost:8080`), resolved now; an IPv4
/// address is preferred when the name has both.
fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let addrs: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(text)
        .map_err(|error| format!("{text}: {error}"))?
        .collect();
    addrs
        .iter()
        .find(|addr| addr.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| format!("{text}: no address"))
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = Config::load(cli.config.as_deref()).map_err(|error| {
        let failure = Failure::new(error.message());
        match &error {
            config::ConfigError::Read { source, .. }
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                failure.hint(message!(CliConfigMissingHint))
            }
            _ => failure,
        }
    })?;
    if let Some(data) = &cli.data {
        config.data_dir = data.clone();
    }
    if cli.config.is_none() && cli.data.is_none() && !config.data_dir.exists() {
        // No --config, no --data: the default data directory is relative to where the
        // user stands. Creating it is right for a first try, but never silently.
        let path = std::path::absolute(&config.data_dir).unwrap_or(config.data_dir.clone());
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}",
            cli.lang()
                .pick(&message!(CliDataDirCreated, path = path.display().to_string()).text)
        );
    }
    Ok(config)
}

fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.data_dir, config.store_options()).map_err(|error| {
        Failure::new(message!(
            CliOpenStoreFailed,
            path = config.data_dir.display().to_string(),
            reason = error.message()
        ))
        .into()
    })
}

impl Cli {
    /// The language errors, hints and notices are printed in: `--lang`, else the locale's.
    pub fn lang(&self) -> Lang {
        self.lang
            .unwrap_or_else(|| Lang::from_env(|key| std::env::var(key).ok()))
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(&cli)?;
    let on_store = |command: StoreCommand| run_on_store(&config, command, None);
    match cli.command {
        Command::Serve { listen } => serve(config, listen),
        Command::Import {
            file,
            encoding,
            without_location,
        } => on_store(StoreCommand::Import {
            file: std::path::absolute(&file).unwrap_or(file),
            encoding: encoding
                .to_possible_value()
                .map(|value| value.get_name().to_owned())
                .unwrap_or_default(),
            without_location,
        }),
        Command::Export { format, output } => {
            let ExportFormat::Csv = format;
            run_on_store(&config, StoreCommand::Export, output.as_deref())
        }
        Command::Verify => on_store(StoreCommand::Verify),
        Command::Backup { dir } => backup(&config, &dir),
        Command::Tls { action } => crate::tls::command(&config, action),
        Command::Contents {
            action: ContentsAction::Import { file },
        } => on_store(StoreCommand::ContentsImport {
            file: std::path::absolute(&file).unwrap_or(file),
        }),
        Command::Person { action } => on_store(match action {
            PersonAction::Add {
                name,
                role,
                borrow_directly,
                allow_same_name,
            } => StoreCommand::PersonAdd {
                name,
                role: match role {
                    RoleArg::Clerk => Role::Clerk,
                    RoleArg::Supervisor => Role::Supervisor,
                    RoleArg::Admin => Role::Admin,
                },
                borrow_directly,
                allow_same_name,
            },
            PersonAction::List => StoreCommand::PersonList,
            PersonAction::Password { person, stdin } => StoreCommand::PersonSecret {
                person,
                pin: false,
                secret: read_secret(stdin)?,
            },
            PersonAction::Badge { person } => StoreCommand::PersonBadge { person },
            PersonAction::Pin { person, stdin } => StoreCommand::PersonSecret {
                person,
                pin: true,
                secret: read_secret(stdin)?,
            },
        }),
        Command::Loanslip { action } => on_store(StoreCommand::LoanSlip {
            action: match action {
                LoanSlipAction::Add {
                    borrower,
                    purpose,
                    boxes,
                    due,
                } => LoanSlipStep::Add {
                    borrower,
                    purpose,
                    boxes,
                    due,
                },
                LoanSlipAction::List => LoanSlipStep::List,
                LoanSlipAction::Show { id } => LoanSlipStep::Show { id },
                LoanSlipAction::Approve { id, approver } => LoanSlipStep::Approve { id, approver },
                LoanSlipAction::Refuse {
                    id,
                    approver,
                    reason,
                } => LoanSlipStep::Refuse {
                    id,
                    approver,
                    reason,
                },
                LoanSlipAction::Print { id, printer } => LoanSlipStep::Print { id, printer },
            },
        }),
        Command::Location { action } => on_store(match action {
            LocationAction::Add {
                kind,
                name,
                parent,
                capacity,
                mobile,
            } => StoreCommand::LocationAdd {
                kind,
                name,
                parent,
                capacity,
                mobile,
            },
            LocationAction::Layout {
                room,
                racks,
                sides,
                sections,
                shelves,
                capacity,
                mobile,
            } => StoreCommand::LocationLayout {
                room,
                racks,
                sides,
                sections,
                shelves,
                capacity,
                mobile,
            },
            LocationAction::Edit {
                location,
                capacity,
                mobile,
            } => StoreCommand::LocationEdit {
                location,
                capacity,
                mobile,
            },
            LocationAction::Retire { location, reason } => {
                StoreCommand::LocationRetire { location, reason }
            }
            LocationAction::List { under } => StoreCommand::LocationList { under },
        }),
        Command::Init { name } => init(&config, &name),
        Command::Token { action } => on_store(match action {
            TokenAction::Create {
                person,
                label,
                kind,
            } => StoreCommand::TokenCreate {
                person,
                label,
                kind,
            },
            TokenAction::List => StoreCommand::TokenList,
            TokenAction::Revoke { id } => StoreCommand::TokenRevoke { id },
        }),
        Command::Register {
            title,
            customer,
            archive_no,
            scheme,
            year,
            category,
            home,
            print,
        } => {
            let mut registered = Vec::new();
            let code = run_on_store_into(
                &config,
                StoreCommand::Register {
                    title,
                    customer,
                    archive_no,
                    scheme,
                    year,
                    category,
                    home,
                },
                &mut registered,
            )?;
            std::io::stdout().write_all(&registered)?;
            if print && code == ExitCode::SUCCESS {
                let barcode = String::from_utf8_lossy(&registered)
                    .split('\t')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                return label(
                    &config,
                    LabelAction::Print {
                        barcodes: vec![barcode],
                        reprint: None,
                        reason: None,
                    },
                    None,
                    None,
                );
            }
            Ok(code)
        }
        Command::Label {
            action,
            printer,
            workstation,
        } => label(&config, action, printer, workstation.as_deref()),
    }
}

/// A `loanslip` command as it travels to the store (or the daemon).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum LoanSlipStep {
    /// `loanslip add`.
    Add {
        /// The borrower (badge or name).
        borrower: String,
        /// What for.
        purpose: String,
        /// Each box, optionally `=` the documents wanted.
        boxes: Vec<String>,
        /// Due back.
        due: Option<chrono::NaiveDate>,
    },
    /// `loanslip list`.
    List,
    /// `loanslip show`.
    Show {
        /// Its number.
        id: u64,
    },
    /// `loanslip approve`.
    Approve {
        /// Its number.
        id: u64,
        /// The supervisor (badge or name).
        approver: String,
    },
    /// `loanslip refuse`.
    Refuse {
        /// Its number.
        id: u64,
        /// The supervisor (badge or name).
        approver: String,
        /// Why.
        reason: String,
    },
    /// `loanslip print`.
    Print {
        /// Its number.
        id: u64,
        /// The printer's name.
        printer: String,
    },
}

/// A command the CLI runs on the store: directly when no daemon holds it, through the
/// running daemon's control socket otherwise. Both ways run [`execute`], so they say the
/// same.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum StoreCommand {
    /// `person add`.
    PersonAdd {
        /// Name.
        name: String,
        /// Role.
        role: Role,
        /// May borrow without approval.
        borrow_directly: bool,
        /// Even if someone of this name exists.
        allow_same_name: bool,
    },
    /// `loanslip …`.
    LoanSlip {
        /// What to do.
        action: LoanSlipStep,
    },
    /// `person list`.
    PersonList,
    /// `person badge`.
    PersonBadge {
        /// The person, by badge or name.
        person: String,
    },
    /// `person password` and `person pin`.
    PersonSecret {
        /// The person, by badge or name.
        person: String,
        /// The PIN rather than the password.
        pin: bool,
        /// The new secret; generated (and printed once) when none is given.
        secret: Option<Hidden>,
    },
    /// `token create`.
    TokenCreate {
        /// The person, by badge or name.
        person: String,
        /// What the token is for.
        label: String,
        /// `person` (also when empty) or `integration`.
        #[serde(default)]
        kind: String,
    },
    /// `token list`.
    TokenList,
    /// `token revoke`.
    TokenRevoke {
        /// The token's number.
        id: u64,
    },
    /// `location add`.
    LocationAdd {
        /// What it is.
        kind: LocationKindArg,
        /// Its name.
        name: String,
        /// Its parent, by barcode or path.
        parent: Option<String>,
        /// Boxes that fit.
        capacity: Option<u32>,
        /// A mobile rack.
        mobile: bool,
    },
    /// `location layout`.
    LocationLayout {
        /// The room.
        room: String,
        /// First and last rack.
        racks: (u32, u32),
        /// Sides, comma-separated.
        sides: String,
        /// Sections per side.
        sections: u32,
        /// Shelves per section.
        shelves: u32,
        /// Boxes per shelf.
        capacity: Option<u32>,
        /// New racks are mobile.
        mobile: bool,
    },
    /// `location edit`.
    LocationEdit {
        /// Barcode or path.
        location: String,
        /// New capacity.
        capacity: Option<u32>,
        /// New mobile flag.
        mobile: Option<bool>,
    },
    /// `location retire`.
    LocationRetire {
        /// Barcode or path.
        location: String,
        /// Why.
        reason: String,
    },
    /// `location list`.
    LocationList {
        /// Only under this location.
        under: Option<String>,
    },
    /// `import`: the file is read by whoever runs the command (the same user).
    Import {
        /// The ledger file, an absolute path.
        file: PathBuf,
        /// The encoding's name on the command line (`auto`, `utf8`, …).
        encoding: String,
        /// Import a ledger without a location column.
        #[serde(default)]
        without_location: bool,
    },
    /// `contents import`: the file is read by whoever runs the command.
    ContentsImport {
        /// The file, an absolute path.
        file: PathBuf,
    },
    /// `export` (CSV), streamed to the caller.
    Export,
    /// `verify`.
    Verify,
    /// `register` (printing is asked for separately).
    Register {
        /// Title.
        title: String,
        /// Customer.
        customer: String,
        /// The archive number, if given.
        archive_no: Option<String>,
        /// The scheme, if given.
        scheme: Option<String>,
        /// The year.
        year: Option<u16>,
        /// Category.
        category: String,
        /// Home shelf path.
        home: Option<String>,
    },
}

/// Where a store command's output goes: standard output's part and standard error's.
pub trait Sink {
    /// Bytes for standard output (or the `--output` file).
    fn out(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// A line for standard error (without its newline).
    fn err(&mut self, line: &str) -> std::io::Result<()>;
    /// Whether progress bars can be drawn (a terminal at hand).
    fn local(&self) -> bool;
}

/// Writes one line of standard output to `sink`.
fn say_to(sink: &mut dyn Sink, line: impl std::fmt::Display) -> std::io::Result<()> {
    sink.out(format!("{line}\n").as_bytes())
}

/// [`Sink`] as [`Write`], for what writes a file (the export).
struct SinkWriter<'a>(&'a mut dyn Sink);

impl Write for SinkWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.out(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The sink of a command run in this process.
struct LocalSink<'a> {
    out: &'a mut dyn Write,
}

impl Sink for LocalSink<'_> {
    fn out(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)
    }

    fn err(&mut self, line: &str) -> std::io::Result<()> {
        writeln!(std::io::stderr().lock(), "{line}")
    }

    fn local(&self) -> bool {
        true
    }
}

/// Runs `command` on the store, its output to standard output or to the file `output`.
fn run_on_store(
    config: &Config,
    command: StoreCommand,
    output: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            let code = run_on_store_into(config, command, &mut writer)?;
            writer
                .flush()
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(code)
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let code = run_on_store_into(config, command, &mut out)?;
            out.flush()?;
            Ok(code)
        }
    }
}

/// Runs `command` on the store, directly or through the daemon that holds it.
fn run_on_store_into(
    config: &Config,
    command: StoreCommand,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    match Store::open(&config.data_dir, config.store_options()) {
        Ok(store) => {
            let code = execute(&store, config, None, command, &mut LocalSink { out })?;
            Ok(ExitCode::from(code))
        }
        Err(StoreError::Failed(StorageError::Locked { .. })) => {
            let socket = control::socket_path(&config.data_dir);
            let outcome = control::run(&socket, &command, |reply| match reply {
                control::Reply::Out(text) => out.write_all(text.as_bytes()),
                control::Reply::Err(line) => writeln!(std::io::stderr().lock(), "{line}"),
                _ => Ok(()),
            })
            .map_err(|error| {
                Failure::new(message!(
                    CliDaemonUnreachable,
                    path = socket.display().to_string(),
                    reason = error.to_string()
                ))
            })?;
            match outcome {
                control::Reply::Exit(code) => Ok(ExitCode::from(code)),
                control::Reply::Error(failure) => Err(failure.into_failure().into()),
                _ => Ok(ExitCode::FAILURE),
            }
        }
        Err(error) => Err(Failure::new(message!(
            CliOpenStoreFailed,
            path = config.data_dir.display().to_string(),
            reason = error.message()
        ))
        .into()),
    }
}

/// Runs `command` on `store`; its output goes to `sink`; answers the exit status.
/// `printing` is the running daemon's (its printers, its print workers' bell); `None`
/// when the CLI holds the store itself.
pub fn execute(
    store: &Store,
    config: &Config,
    printing: Option<&Printing>,
    command: StoreCommand,
    sink: &mut dyn Sink,
) -> anyhow::Result<u8> {
    let actor = Actor::new("cli");
    match command {
        StoreCommand::PersonAdd {
            name,
            role,
            borrow_directly,
            allow_same_name,
        } => {
            if !allow_same_name {
                let same = people_named(store, &name)?;
                if !same.is_empty() {
                    return Err(Failure::new(message!(
                        CliPersonSameName,
                        name = name.trim(),
                        people = candidates(&same)
                    ))
                    .hint(message!(CliPersonSameNameHint))
                    .into());
                }
            }
            let person = store.add_person(
                &actor,
                &NewPerson {
                    name,
                    role,
                    borrow_directly,
                },
            )?;
            say_to(sink, format_args!("{}\t{}", person.barcode, person.name))?;
        }
        StoreCommand::LoanSlip { action } => {
            loan_slip_command(store, config, printing, &actor, action, sink)?
        }
        StoreCommand::PersonList => {
            for item in store.items_of_kind(crate::barcode::Kind::Person) {
                if let crate::model::Item::Person(person) = item? {
                    let direct = if person.borrow_directly {
                        "\tborrows directly"
                    } else {
                        ""
                    };
                    say_to(
                        sink,
                        format_args!(
                            "{}\t{}\t{:?}{direct}",
                            person.barcode, person.name, person.role
                        ),
                    )?;
                }
            }
        }
        StoreCommand::PersonBadge { person } => {
            let person = find_person(store, &person)?;
            let badge = store.replace_badge(&actor, person.barcode)?;
            sink.err(&format!(
                "{}:",
                message!(CliBadgeReplaced, name = person.name, badge = person.barcode)
            ))?;
            say_to(sink, badge)?;
        }
        StoreCommand::PersonSecret {
            person,
            pin,
            secret,
        } => {
            let person = find_person(store, &person)?;
            let which = if pin {
                crate::store::Secret::Pin
            } else {
                crate::store::Secret::Password
            };
            let generated = secret.is_none();
            let secret = match secret {
                Some(Hidden(secret)) => secret,
                None if pin => crate::store::generate_pin()?,
                None => crate::store::generate_password()?,
            };
            store
                .set_checked_secret(&actor, person.barcode, which, &secret)?
                .map_err(Failure::new)?;
            let done = if pin {
                message!(CliPinSet, name = person.name, badge = person.barcode)
            } else {
                message!(CliPasswordSet, name = person.name, badge = person.barcode)
            };
            if generated {
                // The secret alone on stdout, for scripts; the rest on stderr.
                sink.err(&format!("{done}:"))?;
                say_to(sink, &secret)?;
            } else {
                sink.err(&done.to_string())?;
            }
        }
        StoreCommand::TokenCreate {
            person,
            label,
            kind,
        } => {
            let kind = match kind.trim() {
                "" => crate::store::TokenKind::Person,
                name => crate::store::TokenKind::parse(name).ok_or_else(|| {
                    Failure::new(message!(TokenUnknownKind, kind = format!("{name:?}")))
                })?,
            };
            let person = find_person(store, &person)?;
            let new = store.create_token_of_kind(&actor, person.barcode, &label, kind)?;
            // The secret alone on stdout, for scripts; the rest on stderr.
            sink.err(&format!(
                "{}:",
                message!(CliTokenCreated, id = new.token.id)
            ))?;
            say_to(sink, &new.secret)?;
        }
        StoreCommand::TokenList => {
            for token in store.tokens()? {
                let state = if token.revoked_at.is_some() {
                    "revoked"
                } else {
                    "live"
                };
                say_to(
                    sink,
                    format_args!("{}\t{}\t{}\t{}", token.id, token.person, state, token.label),
                )?;
            }
        }
        StoreCommand::TokenRevoke { id } => {
            store.revoke_token(&actor, id)?;
            say_to(sink, message!(CliTokenRevoked, id = id))?;
        }
        StoreCommand::LocationAdd { .. }
        | StoreCommand::LocationLayout { .. }
        | StoreCommand::LocationEdit { .. }
        | StoreCommand::LocationRetire { .. }
        | StoreCommand::LocationList { .. } => location_command(store, &actor, command, sink)?,
        StoreCommand::Import {
            file,
            encoding,
            without_location,
        } => {
            let encoding = <Encoding as ValueEnum>::from_str(&encoding, true)
                .map_err(|_| Failure::new(message!(ControlMalformedRequest, detail = encoding)))?;
            return import(store, config, &file, (encoding, without_location), sink);
        }
        StoreCommand::ContentsImport { file } => {
            let bytes = std::fs::read(&file)
                .map_err(|error| Failure::new(message!(LedgerReadFailed, reason = error)))?;
            let checklists = match &config.checklists {
                Some(dir) => crate::contents::Checklists::load_dir(dir)
                    .map_err(|error| Failure::new(error.message()))?,
                None => crate::contents::Checklists::builtin()
                    .map_err(|error| Failure::new(error.message()))?,
            };
            let imported = crate::contents_import::read_rows(&bytes)
                .and_then(|rows| {
                    crate::contents_import::import_contents(store, &actor, &checklists, rows)
                })
                .map_err(|error| Failure::new(error.message()))?;
            say_to(
                sink,
                message!(
                    ContentsImportDone,
                    documents = imported.documents,
                    boxes = imported.boxes
                ),
            )?;
        }
        StoreCommand::Export => {
            let rows = ledger::export_csv(store, SinkWriter(sink))?;
            tracing::info!(rows, "ledger exported");
        }
        StoreCommand::Verify => return verify(store, sink),
        StoreCommand::Register {
            title,
            customer,
            archive_no,
            scheme,
            year,
            category,
            home,
        } => {
            let scheme = match scheme {
                Some(name) => Some(
                    config::effective_schemes(config, store)?
                        .into_iter()
                        .find(|s| s.name() == name)
                        .ok_or_else(|| {
                            Failure::new(message!(CliSchemeNotAvailable, name = &name))
                        })?,
                ),
                None => None,
            };
            let year = year.unwrap_or_else(|| store.this_year());
            let home = match home {
                Some(path) => Some(store.ensure_location(&actor, &path)?.barcode),
                None => None,
            };
            let registered = store.register_box(
                &actor,
                &crate::store::NewBox {
                    archive_no,
                    scheme: scheme.map(|scheme| (scheme, year)),
                    title,
                    customer,
                    category,
                    year: Some(year),
                    home,
                    ..crate::store::NewBox::default()
                },
            )?;
            // Barcode, archive number and (with --home) the shelf's barcode, tab-separated
            // for scripts.
            let shelf = home.map(|home| format!("\t{home}")).unwrap_or_default();
            say_to(
                sink,
                format_args!("{}\t{}{shelf}", registered.barcode, registered.archive_no),
            )?;
        }
    }
    Ok(0)
}

/// `location …`: defines, lays out, edits, retires or lists locations.
fn location_command(
    store: &Store,
    actor: &Actor,
    command: StoreCommand,
    sink: &mut dyn Sink,
) -> anyhow::Result<()> {
    use crate::store::{kind_label, Block, LocationEdit, NewLocation};
    match command {
        StoreCommand::LocationAdd {
            kind,
            name,
            parent,
            capacity,
            mobile,
        } => {
            let parent = match parent {
                Some(parent) => Some(store.find_location(&parent)?.barcode),
                None => None,
            };
            let new = NewLocation {
                kind: kind.kind(),
                name,
                parent,
                capacity,
            };
            let defined = store.define_location(actor, &new, mobile)?;
            let location = defined.location;
            let (kind, path, barcode) =
                (kind_label(location.kind), &location.path, location.barcode);
            let said = if defined.created {
                message!(LocationAdded, kind = kind, path = path, barcode = barcode)
            } else {
                message!(
                    LocationAlreadyThere,
                    kind = kind,
                    path = path,
                    barcode = barcode
                )
            };
            sink.err(&said.to_string())?;
            say_to(
                sink,
                format_args!("{}\t{}", location.barcode, location.path),
            )?;
        }
        StoreCommand::LocationLayout {
            room,
            racks,
            sides,
            sections,
            shelves,
            capacity,
            mobile,
        } => {
            let sides = crate::store::parse_sides(
                sides
                    .split([',', '，', ' '])
                    .filter(|side| !side.is_empty()),
            )
            .ok_or_else(|| {
                crate::store::StoreError::from(crate::store::LayoutRefusal::BlockInvalid {
                    detail: ("面是不重复的字母 A–Z", "sides are distinct letters A–Z"),
                })
            })?;
            let block = Block {
                room,
                racks,
                sides,
                sections,
                shelves,
                capacity,
                mobile,
            };
            let outcome = store.lay_out(actor, &block)?;
            let room = outcome
                .room
                .and_then(|room| store.get_item(room).ok().flatten())
                .map(|item| match item {
                    crate::model::Item::Location(location) => location.path,
                    _ => block.room.clone(),
                })
                .unwrap_or(block.room.clone());
            sink.err(
                &message!(
                    LocationLaidOut,
                    room = &room,
                    shelves = outcome.shelves,
                    created = outcome.created,
                    existing = outcome.existing,
                    capacity_set = outcome.capacity_set
                )
                .to_string(),
            )?;
            if !outcome.retired.is_empty() {
                sink.err(
                    &message!(LocationLaidOutRetired, paths = outcome.retired.join(", "))
                        .to_string(),
                )?;
            }
            // For scripts: the room, then created, existing, shelves, capacities given and
            // retired locations met, tab-separated.
            say_to(
                sink,
                format_args!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    room,
                    outcome.created,
                    outcome.existing,
                    outcome.shelves,
                    outcome.capacity_set,
                    outcome.retired.len()
                ),
            )?;
        }
        StoreCommand::LocationEdit {
            location,
            capacity,
            mobile,
        } => {
            let location = store.find_location(&location)?;
            let edit = LocationEdit {
                capacity: capacity.map(Some),
                mobile,
            };
            let location = store.edit_location(actor, location.barcode, &edit)?;
            say_to(sink, location_line(store, &location)?)?;
        }
        StoreCommand::LocationRetire { location, reason } => {
            let location = store.find_location(&location)?;
            let retired = store.retire_location(actor, location.barcode, &reason)?;
            say_to(
                sink,
                message!(
                    LocationRetireDone,
                    path = &retired.location.path,
                    count = retired.count
                ),
            )?;
        }
        StoreCommand::LocationList { under } => {
            let under = match under {
                Some(under) => Some(store.find_location(&under)?.path),
                None => None,
            };
            let mut locations = Vec::new();
            for item in store.items_of_kind(crate::barcode::Kind::Location) {
                if let crate::model::Item::Location(location) = item? {
                    let inside = under.as_ref().is_none_or(|under| {
                        location.path == *under || location.path.starts_with(&format!("{under}/"))
                    });
                    if inside {
                        locations.push(location);
                    }
                }
            }
            locations.sort_by_cached_key(|location| crate::model::WalkingOrder::of(&location.path));
            for location in &locations {
                say_to(sink, location_line(store, location)?)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// One location as `location list` prints it: barcode, kind, path, capacity, items, flags.
fn location_line(store: &Store, location: &crate::model::Location) -> anyhow::Result<String> {
    let mut flags = Vec::new();
    if location.mobile {
        flags.push("mobile");
    }
    if location.retired {
        flags.push("retired");
    }
    Ok(format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        location.barcode,
        format!("{:?}", location.kind).to_lowercase(),
        location.path,
        location.capacity.map(|c| c.to_string()).unwrap_or_default(),
        store.count_at(location.barcode)?,
        flags.join(",")
    ))
}

/// Everyone whose name is `name` (trimmed).
fn people_named(store: &Store, name: &str) -> anyhow::Result<Vec<crate::model::Person>> {
    let name = name.trim();
    let mut out = Vec::new();
    for item in store.items_of_kind(crate::barcode::Kind::Person) {
        if let crate::model::Item::Person(person) = item? {
            if person.name.trim() == name {
                out.push(person);
            }
        }
    }
    Ok(out)
}

/// `name badge role` of each person, for a refusal that lists them.
fn candidates(people: &[crate::model::Person]) -> String {
    people
        .iter()
        .map(|person| format!("{} {} {:?}", person.name, person.barcode, person.role))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The secret `person password|pin --stdin` reads: the first line of standard input,
/// without its line end; `None` without `--stdin` (the station generates one).
fn read_secret(stdin: bool) -> anyhow::Result<Option<Hidden>> {
    if !stdin {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the new secret from standard input")?;
    Ok(Some(Hidden(line.trim_end_matches(['\r', '\n']).to_owned())))
}

/// A secret sent through the control socket: its `Debug` (what the daemon logs of every
/// command) never shows it.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Hidden(pub String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden>")
    }
}

/// One line of a loan slip: number, state, borrower, due date, boxes.
fn loan_slip_line(store: &Store, slip: &crate::store::LoanSlip) -> anyhow::Result<String> {
    let borrower = match store.get_item(slip.borrower)? {
        Some(crate::model::Item::Person(person)) => person.name,
        _ => slip.borrower.to_string(),
    };
    Ok(format!(
        "{}\t{}\t{}\t{}\t{}",
        slip.id,
        slip.state.name(),
        borrower,
        slip.due,
        slip.entries.len()
    ))
}

/// Runs a `loanslip` command.
fn loan_slip_command(
    store: &Store,
    config: &Config,
    printing: Option<&Printing>,
    actor: &Actor,
    action: LoanSlipStep,
    sink: &mut dyn Sink,
) -> anyhow::Result<()> {
    match action {
        LoanSlipStep::Add {
            borrower,
            purpose,
            boxes,
            due,
        } => {
            let borrower = find_person(store, &borrower)?;
            let mut wanted = Vec::with_capacity(boxes.len());
            for (n, text) in boxes.iter().enumerate() {
                let (named, documents) = text.split_once('=').unwrap_or((text.as_str(), ""));
                let (found, problems) =
                    store.resolve_pick_rows(&[(n + 1, vec![named.to_owned()])])?;
                if let Some(problem) = problems.into_iter().next() {
                    return Err(Failure::new(problem.message).into());
                }
                let Some(item) = found.first() else {
                    return Err(Failure::new(message!(LoanSlipEmpty)).into());
                };
                wanted.push((*item, documents.to_owned()));
            }
            let due = due.unwrap_or_else(|| {
                store.today() + chrono::Duration::days(i64::from(config.loan_days))
            });
            let slip = store.create_loan_slip(
                actor,
                &crate::store::NewLoanSlip {
                    borrower: borrower.barcode,
                    purpose,
                    boxes: wanted,
                    due,
                },
            )?;
            say_to(sink, loan_slip_line(store, &slip)?)?;
        }
        LoanSlipStep::List => {
            for slip in store.loan_slips(200)? {
                say_to(sink, loan_slip_line(store, &slip)?)?;
            }
        }
        LoanSlipStep::Show { id } => {
            let slip = store
                .loan_slip(id)?
                .ok_or(crate::store::Refusal::UnknownLoanSlip(id))
                .map_err(crate::store::StoreError::from)?;
            say_to(sink, loan_slip_line(store, &slip)?)?;
            say_to(sink, format_args!("purpose\t{}", slip.purpose))?;
            for entry in &slip.entries {
                let archive_no = match store.get_item(entry.item)? {
                    Some(crate::model::Item::Box(archive_box)) => archive_box.archive_no,
                    _ => String::new(),
                };
                say_to(
                    sink,
                    format_args!("box\t{}\t{archive_no}\t{}", entry.item, entry.documents),
                )?;
            }
            if let Some(reason) = &slip.reason {
                say_to(sink, format_args!("reason\t{reason}"))?;
            }
        }
        LoanSlipStep::Approve { id, approver } => {
            let approver = find_person(store, &approver)?;
            let slip = store.approve_loan_slip(actor, id, approver.barcode)?;
            say_to(sink, loan_slip_line(store, &slip)?)?;
        }
        LoanSlipStep::Refuse {
            id,
            approver,
            reason,
        } => {
            let approver = find_person(store, &approver)?;
            let slip = store.refuse_loan_slip(actor, id, approver.barcode, &reason)?;
            say_to(sink, loan_slip_line(store, &slip)?)?;
        }
        LoanSlipStep::Print { id, printer } => {
            // Without a daemon, the printers are station.toml's and those added through
            // the station; the job waits in the queue until the station runs.
            let here;
            let printing = match printing {
                Some(printing) => printing,
                None => {
                    here = Printing::new(config);
                    for (def, origin) in config::known_devices(config, store)? {
                        if let (
                            crate::devices::definition::DeviceDefinition::Printer(printer),
                            Origin::Station,
                        ) = (def, origin)
                        {
                            here.add_printer(printer);
                        }
                    }
                    &here
                }
            };
            let job = printing
                .queue_loan_slip(store, actor, &printer, id)?
                .ok_or_else(|| Failure::new(message!(LoanSlipPrinterNotA4, printer = &printer)))?;
            say_to(
                sink,
                message!(
                    CliLabelQueued,
                    job = job.id,
                    subject = &job.subject,
                    printer = &job.printer
                ),
            )?;
        }
    }
    Ok(())
}

/// The person `who` names: a badge barcode, or a name that exactly one person has.
pub fn find_person(store: &Store, who: &str) -> anyhow::Result<crate::model::Person> {
    if let Ok(barcode) = crate::barcode::Barcode::parse(who.trim()) {
        if let Some(crate::model::Item::Person(person)) = store.get_item(barcode)? {
            return Ok(person);
        }
        // The code of a replacement badge names its holder.
        if let Ok(Some(person)) = store.badge_holder(barcode) {
            return Ok(person);
        }
    }
    let mut named = people_named(store, who)?;
    match named.len() {
        1 => Ok(named.remove(0)),
        0 => Err(Failure::new(message!(CliPersonUnknown, who = who.trim()))
            .hint(message!(CliPersonListHint))
            .into()),
        _ => Err(Failure::new(message!(
            CliPersonAmbiguous,
            who = who.trim(),
            people = candidates(&named)
        ))
        .into()),
    }
}
fn serve(config: Config, listen: Option<SocketAddr>) -> anyhow::Result<ExitCode> {
    // The daemon serves its owner alone and creates nothing meant for other users, while
    // sled creates files of its own as it runs (snapshots, blobs) whose mode cannot be set
    // at creation: with umask 077 they, like every file the station creates, are
    // owner-only (see `files`).
    // SAFETY: umask only sets the process's file-mode creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    // Every connection is a file descriptor: take all the kernel allows this process.
    match server::connections::raise_fd_limit() {
        Some((before, soft, hard)) => {
            tracing::info!(before, soft, hard, "open-file limit (RLIMIT_NOFILE)");
        }
        None => tracing::warn!("the open-file limit (RLIMIT_NOFILE) cannot be read"),
    }
    // HTTPS is checked before the store is opened: a refused start changes nothing.
    let https = crate::tls::Https::load(&config.server).inspect_err(crate::tls::log_refusal)?;
    let store = Arc::new(open_store(&config)?);
    release_startup_memory();
    let addr = listen.unwrap_or(config.listen);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let shutdown_signals = ShutdownSignals::install();
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => listener,
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
                let addr = addr.to_string();
                let hint = match port_holder(addr_port(&addr)) {
                    Some(process) => message!(CliPortHeldBy, process = process),
                    None => message!(CliPortHolderUnknown),
                };
                return Err(Failure::new(message!(CliPortInUse, addr = addr))
                    .hint(hint)
                    .into());
            }
            Err(error) => return Err(error).with_context(|| format!("binding {addr}")),
        };
        let local = listener.local_addr().context("reading the bound address")?;
        tracing::info!(listen = %local, data = %config.data_dir.display(), "station serving");
        let control_path = control::socket_path(&config.data_dir);
        let control_listener = control::bind(&control_path);
        // The one line on stdout: scripts and tests read the address from it. A closed
        // stdout (a reader that went away) must not stop the station: `say` only logs.
        say(format_args!("{}", https.listening_line(local)));
        if store.tokens()?.is_empty() {
            // First start: the first administrator's token, shown this once.
            let actor = Actor::new("first start");
            let admin = store.add_person(
                &actor,
                &NewPerson {
                    name: "管理员".to_owned(),
                    role: Role::Admin,
                    borrow_directly: false,
                },
            )?;
            let new = store.create_token(&actor, admin.barcode, "first administrator")?;
            if !say(format_args!("{}: {}", message!(CliFirstAdminToken), new.secret)) {
                tracing::warn!(person = %admin.barcode, "the first administrator's token could not be shown (standard output is closed): create another with `station token create --person {}`", admin.barcode);
            }
            // And an initial password, so that they can sign in from a browser at once
            // (the third line: the second stays the token's, which scripts read).
            let password = crate::store::generate_password()?;
            let hash = crate::store::hash_secret(&password)?;
            store.set_secret(&actor, admin.barcode, crate::store::Secret::Password, &hash)?;
            let shown = say(format_args!(
                "{}: {password}",
                message!(
                    CliFirstAdminPassword,
                    name = &admin.name,
                    barcode = admin.barcode,
                    url = format!("http://{local}/")
                )
            ));
            if !shown {
                tracing::warn!(person = %admin.barcode, "the first administrator's initial password could not be shown (standard output is closed): set one with POST /api/v1/people/{}/password", admin.barcode);
            }
        } else {
            say(format_args!("{}", message!(CliCreateTokens)));
        }
        for notice in https.notices(local) {
            say(format_args!("{notice}"));
        }
        for shadowed in config::shadowed_by_config(&config, &store)? {
            tracing::warn!(%shadowed, "station.toml defines this too: its definition there is used, the stored one is ignored (not deleted)");
        }
        let known_schemes = config::known_schemes(&config, &store)?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let printing = Arc::new(Printing::new(&config));
        let engine = {
            let printing = printing.clone();
            let store = store.clone();
            let config = config.clone();
            Engine::new(store.clone(), config.workflow(&known_schemes)?).with_label_printer(Arc::new(
                move |workstation: &str, barcode: crate::barcode::Barcode| {
                    let printer = config
                        .printer_for(Some(workstation))
                        .ok_or_else(|| crate::message!(PrintingNoPrinter))?;
                    let request = LabelRequest::Items {
                        barcodes: vec![barcode.to_string()],
                        reprint: None,
                    };
                    let actor = Actor::new(format!("intake@{workstation}"));
                    printing
                        .queue(&store, &actor, &printer, &request)
                        .map(|_| printer)
                        .map_err(|error| error.message())
                },
            ))
        };
        // At CHECKOUT, a loan slip goes to the workstation's printer when it prints A4.
        let engine = {
            let printing = printing.clone();
            let store = store.clone();
            let config = config.clone();
            engine.with_slip_printer(Arc::new(move |workstation: &str, slip: u64| {
                let Some(printer) = config.printer_for(Some(workstation)) else {
                    return Ok(None);
                };
                let actor = Actor::new(format!("checkout@{workstation}"));
                printing
                    .queue_loan_slip(&store, &actor, &printer, slip)
                    .map(|job| job.map(|_| printer))
                    .map_err(|error| error.message())
            }))
        };
        let engine = Arc::new(engine);
        let control_task = tokio::spawn(control::serve(
            control_listener,
            control_path,
            crate::archive::Archive::new(engine.clone()).with_printing(printing.clone()),
            Arc::new(config.clone()),
            stop_rx.clone(),
            std::time::Duration::from_secs(config.server.header_timeout_secs),
        ));
        let devices = Arc::new(Devices::default());
        // Every device (station.toml's and those added through the station, except the
        // disabled ones) runs as a unit of its own that administrators can change while
        // the station runs; the daemon-wide stop ends them all.
        let manager = Arc::new(DeviceManager::new(
            Arc::new(config.clone()),
            engine.clone(),
            devices.clone(),
            printing.clone(),
            stop_rx.clone(),
        ));
        manager.start_all().await?;
        let state = AppState::new(engine, devices, config.workstation_names())
            .with_printing(Arc::new(config.clone()), printing.clone())
            .with_device_manager(manager.clone())
            .with_https(&https);
        let mut http_stop = stop_rx;
        let http = server::run(listener, state, async move {
            let _ = http_stop.wait_for(|stop| *stop).await;
        });
        let signals = async {
            shutdown_signals.received().await;
            tracing::info!("shutting down");
            let _ = stop_tx.send(true);
        };
        let (served, ()) = tokio::join!(http, signals);
        served.context("serving HTTP")?;
        let _ = control_task.await;
        manager.shutdown().await;
        anyhow::Ok(())
    })?;
    store.flush().context("flushing the store at shutdown")?;
    tracing::info!("station stopped");
    Ok(ExitCode::SUCCESS)
}

fn addr_port(addr: &str) -> u16 {
    addr.rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .unwrap_or(0)
}

/// Which process listens on TCP `port`, as `name (pid N)`: the listening socket's inode
/// from /proc/net/tcp and tcp6, then the process that has it open among those whose file
/// descriptors can be read (our user's). `None` when it cannot be found.
fn port_holder(port: u16) -> Option<String> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let listening = *state == "0A";
            let same_port = local
                .rsplit(':')
                .next()
                .and_then(|hex| u16::from_str_radix(hex, 16).ok())
                == Some(port);
            if listening && same_port && *inode != "0" {
                inodes.push(format!("socket:[{inode}]"));
            }
        }
    }
    if inodes.is_empty() {
        return None;
    }
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            if inodes
                .iter()
                .any(|inode| target.as_os_str() == inode.as_str())
            {
                let name = std::fs::read_to_string(entry.path().join("comm"))
                    .map(|comm| comm.trim().to_owned())
                    .unwrap_or_default();
                return Some(format!("{name} (pid {pid})"));
            }
        }
    }
    None
}

/// Writes one line to standard output and flushes it; answers whether it got there. A
/// failure (a closed pipe) is logged, never a panic as `println!` would make it.
fn say(line: std::fmt::Arguments<'_>) -> bool {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(%error, "cannot write to standard output");
            false
        }
    }
}

/// Opening a large store (sled's recovery) leaves tens of MiB of freed heap that glibc
/// keeps; handing it back keeps a long-running `serve` small (measured in BENCHMARKS.md).
fn release_startup_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the kernel; it is thread-safe
    // and touches no memory that is in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// SIGINT and SIGTERM, listened for from the moment the runtime starts: a signal that
/// comes while the station is still starting (its address already printed, its devices
/// not yet all up) stops it cleanly instead of killing it with the default action.
struct ShutdownSignals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignals {
    /// Installs the handlers; must run inside the runtime.
    fn install() -> ShutdownSignals {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(stream) => Some(stream),
            Err(error) => {
                tracing::warn!(%error, signal = name, "cannot listen for this signal");
                None
            }
        };
        ShutdownSignals {
            interrupt: listen(SignalKind::interrupt(), "SIGINT"),
            terminate: listen(SignalKind::terminate(), "SIGTERM"),
        }
    }

    /// Completes at the first SIGINT or SIGTERM (never, for one that cannot be heard).
    async fn received(mut self) {
        async fn next(signal: &mut Option<tokio::signal::unix::Signal>) {
            match signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        tokio::select! {
            () = next(&mut self.interrupt) => {}
            () = next(&mut self.terminate) => {}
        }
    }
}

fn import(
    store: &Store,
    config: &Config,
    file: &Path,
    (encoding, without_location): (Encoding, bool),
    sink: &mut dyn Sink,
) -> anyhow::Result<u8> {
    let schemes = config::effective_schemes(config, store)?;
    let target = if sink.local() {
        indicatif::ProgressDrawTarget::stderr()
    } else {
        indicatif::ProgressDrawTarget::hidden()
    };
    let bar = indicatif::ProgressBar::with_draw_target(Some(1), target);
    let template = format!(
        "{{spinner}} {} [{{bar:40}}] {{pos}}/{{len}} ({{per_sec}}, {{eta}})",
        message!(CliImporting)
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    let progress = |rows: u64| bar.set_position(rows);
    let total = |rows: u64| bar.set_length(rows.max(1));
    let options = ImportOptions {
        encoding,
        schemes: &schemes,
        actor: Actor::new("import"),
        progress: &progress,
    };
    let extra = ledger::ImportExtra {
        without_location,
        total: Some(&total),
    };
    let started = std::time::Instant::now();
    let report = match ledger::import_file(store, file, &options, extra) {
        Ok(report) => report,
        Err(error) => {
            let failure = Failure::new(message!(
                CliImportFailed,
                path = file.display().to_string(),
                reason = error.message()
            ));
            // A workbook that could not be read: say what to do with it.
            let mut magic = [0u8; 4];
            let zip = std::fs::File::open(file)
                .and_then(|mut opened| std::io::Read::read_exact(&mut opened, &mut magic))
                .is_ok_and(|()| ledger::is_xlsx(&magic));
            return Err(if zip {
                failure.hint(message!(CliXlsxHint))
            } else {
                failure
            }
            .into());
        }
    };
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    say_to(
        sink,
        message!(
            CliImportRead,
            rows = report.rows,
            encoding = report.encoding.to_string(),
            seconds = format!("{:.2}", elapsed.as_secs_f64())
        ),
    )?;
    say_to(
        sink,
        message!(
            CliImportCounts,
            created = report.created,
            unchanged = report.unchanged,
            differing = report.differing.len(),
            bad = report.bad_rows.len()
        ),
    )?;
    if report.without_location {
        say_to(sink, message!(LedgerWithoutLocation))?;
    }
    for column in &report.ignored_columns {
        say_to(sink, message!(CliImportIgnoredColumn, column = column))?;
    }
    for bad in &report.bad_rows {
        tracing::warn!(line = bad.line, reason = %bad.reason, "ledger row rejected");
        say_to(
            sink,
            message!(
                CliImportBadRow,
                line = bad.line,
                reason = bad.reason.clone()
            ),
        )?;
    }
    for row in &report.differing {
        say_to(
            sink,
            message!(
                CliImportDiffering,
                line = row.line,
                archive_no = &row.archive_no,
                fields = row.fields.join(", ")
            ),
        )?;
    }
    for gap in &report.gaps {
        say_to(sink, message!(CliImportGap, gap = gap.clone()))?;
    }
    tracing::info!(
        rows = report.rows,
        created = report.created,
        bad = report.bad_rows.len(),
        "ledger imported"
    );
    Ok(if report.bad_rows.is_empty() {
        0
    } else {
        EXIT_BAD_ROWS
    })
}

fn verify(store: &Store, sink: &mut dyn Sink) -> anyhow::Result<u8> {
    let report = store.verify()?;
    let (seq, hash) = store.head();
    say_to(
        sink,
        message!(
            CliVerifyChecked,
            events = report.events,
            items = report.items,
            entries = report.index_entries
        ),
    )?;
    match &report.chain_error {
        None => say_to(
            sink,
            message!(CliVerifyChainIntact, seq = seq, hash = event::hex(&hash)),
        )?,
        Some(error) => say_to(
            sink,
            message!(CliVerifyChainBroken, error = error.message()),
        )?,
    }
    for problem in &report.problems {
        say_to(
            sink,
            message!(CliVerifyIndexProblem, problem = problem.clone()),
        )?;
    }
    if report.is_ok() {
        say_to(sink, message!(CliVerifyConsistent))?;
        Ok(0)
    } else {
        Ok(EXIT_VERIFY_FAILED)
    }
}

fn backup(config: &Config, dir: &Path) -> anyhow::Result<ExitCode> {
    let target =
        std::path::absolute(dir).with_context(|| format!("resolving {}", dir.display()))?;
    match StoreAt::open(config)? {
        StoreAt::Here(store) => {
            let keys = store.backup(&target)?;
            println!(
                "{}",
                message!(
                    CliBackupWritten,
                    path = target.display().to_string(),
                    keys = keys
                )
            );
        }
        StoreAt::Daemon(socket) => {
            let reply = control::request(&socket, &format!("backup {}", target.display()))
                .with_context(|| {
                    format!(
                        "the store is in use, and the running station cannot be reached at {}",
                        socket.display()
                    )
                })?;
            let keys = daemon_ok(&reply)?;
            println!(
                "{}",
                message!(
                    CliOnlineBackupWritten,
                    path = target.display().to_string(),
                    keys = keys
                )
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn label(
    config: &Config,
    action: LabelAction,
    printer: Option<String>,
    workstation: Option<&str>,
) -> anyhow::Result<ExitCode> {
    if let LabelAction::Shelves {
        under, sheet, out, ..
    } = &action
    {
        if sheet.is_some() || out.is_some() {
            let out = out
                .clone()
                .unwrap_or_else(|| PathBuf::from("shelf-labels.pdf"));
            return shelf_sheet(config, under, &out);
        }
    }
    let printer = printer
        .or_else(|| config.printer_for(workstation))
        .context("no printer is configured")?;
    let request = match action {
        LabelAction::Print {
            barcodes,
            reprint,
            reason,
        } => LabelRequest::Items {
            barcodes,
            reprint: reprint.zip(reason),
        },
        LabelAction::Blanks { count } => LabelRequest::Blanks { count },
        LabelAction::Cards => LabelRequest::Cards,
        LabelAction::Shelves {
            under,
            reprint,
            reason,
            ..
        } => LabelRequest::Under {
            under,
            // The CLI acts for the store's owner, who sees safes.
            include_safes: true,
            reprint: reprint.zip(reason),
        },
    };
    match StoreAt::open(config)? {
        StoreAt::Here(store) => {
            let store = Arc::new(*store);
            let printing = Printing::new(config);
            // Printers added through the station take labels too (station.toml's win).
            for (def, origin) in config::known_devices(config, &store)? {
                if let (
                    crate::devices::definition::DeviceDefinition::Printer(printer),
                    Origin::Station,
                ) = (def, origin)
                {
                    printing.add_printer(printer);
                }
            }
            let jobs = printing.queue(&store, &Actor::new("cli"), &printer, &request)?;
            for job in &jobs {
                println!(
                    "{}",
                    message!(
                        CliLabelQueued,
                        job = job.id,
                        subject = &job.subject,
                        printer = &job.printer
                    )
                );
            }
            // No daemon runs: deliver now; what cannot be delivered waits in the queue.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            let devices = Devices::default();
            let config_of = printing.printer(&printer).context("the printer vanished")?;
            let device = crate::printer::Printer::new(config_of.clone());
            let printed = if store.disabled_devices()?.contains(&printer) {
                println!("{}", message!(CliPrinterDisabled, printer = &printer));
                0
            } else {
                let archive = crate::archive::Archive::new(Arc::new(Engine::new(
                    store.clone(),
                    crate::workflow::WorkflowConfig::default(),
                )));
                runtime.block_on(crate::devices::printer::deliver_due(
                    &archive, &device, &devices, None,
                ))
            };
            // Where each printed label went: the printer, and a folder printer's file.
            for job in &jobs {
                let printed_now = store.job(job.id)?.is_some_and(|job| {
                    matches!(job.state, crate::model::PrintState::Printed { .. })
                });
                if !printed_now {
                    continue;
                }
                let file = match &config_of.connect {
                    crate::printer::Connect::Dir { path } => label_file(path, job.id),
                    _ => None,
                };
                let line = match file {
                    Some(file) => message!(
                        CliLabelFile,
                        job = job.id,
                        printer = &job.printer,
                        path = file.display().to_string()
                    ),
                    None => message!(CliLabelPrinter, job = job.id, printer = &job.printer),
                };
                println!("{line}");
            }
            let pending = store.pending_jobs()?.len();
            println!(
                "{}",
                message!(CliPrinted, printed = printed, pending = pending)
            );
        }
        StoreAt::Daemon(socket) => {
            let line = serde_json::to_string(&(&printer, request))?;
            let reply = ask_daemon(&socket, &format!("label {line}"))?;
            let jobs = daemon_ok(&reply)?;
            // `<job>:<subject> …`, a subject possibly with spaces: a word that starts with
            // digits and a colon starts the next job.
            let mut queued: Vec<(String, String)> = Vec::new();
            for word in jobs.split(' ') {
                match word.split_once(':') {
                    Some((job, subject))
                        if !job.is_empty() && job.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        queued.push((job.to_owned(), subject.to_owned()));
                    }
                    _ => {
                        if let Some((_, subject)) = queued.last_mut() {
                            subject.push(' ');
                            subject.push_str(word);
                        }
                    }
                }
            }
            for (job, subject) in queued {
                println!(
                    "{}",
                    message!(
                        CliQueuedAtStation,
                        job = job,
                        subject = subject,
                        printer = &printer
                    )
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the shelf labels under `under` on A4 sheets to `out`: rendered here when no
/// daemon runs, by the running daemon (through the control socket) otherwise.
fn shelf_sheet(config: &Config, under: &str, out: &Path) -> anyhow::Result<ExitCode> {
    let out = std::path::absolute(out).with_context(|| format!("resolving {}", out.display()))?;
    let count = match StoreAt::open(config)? {
        StoreAt::Here(store) => {
            let (pdf, count) = Printing::new(config).sheet(&store, under, true)?;
            std::fs::write(&out, pdf).with_context(|| format!("writing {}", out.display()))?;
            count
        }
        StoreAt::Daemon(socket) => {
            let line = serde_json::to_string(&control::SheetRequest {
                under: under.to_owned(),
                out: out.clone(),
            })?;
            let reply = ask_daemon(&socket, &format!("sheet {line}"))?;
            daemon_ok(&reply)?
                .trim()
                .parse::<usize>()
                .unwrap_or_default()
        }
    };
    println!(
        "{}",
        message!(
            CliSheetWritten,
            count = count,
            path = out.display().to_string()
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// Where the store is for a command that works on it directly: opened here when no daemon
/// runs, or held by the running daemon, reached through its control socket.
enum StoreAt {
    /// Opened by this process.
    Here(Box<Store>),
    /// Locked by the running daemon: its control socket.
    Daemon(PathBuf),
}

impl StoreAt {
    /// Opens the store of `config`, or finds that the daemon holds it.
    fn open(config: &Config) -> anyhow::Result<StoreAt> {
        match Store::open(&config.data_dir, config.store_options()) {
            Ok(store) => Ok(StoreAt::Here(Box::new(store))),
            Err(StoreError::Failed(StorageError::Locked { .. })) => {
                Ok(StoreAt::Daemon(control::socket_path(&config.data_dir)))
            }
            Err(error) => Err(error)
                .with_context(|| format!("opening the store in {}", config.data_dir.display())),
        }
    }
}

/// Sends one control line to the daemon at `socket`; answers its one-line reply, or that
/// it cannot be reached.
fn ask_daemon(socket: &Path, line: &str) -> anyhow::Result<String> {
    control::request(socket, line).map_err(|error| {
        Failure::new(message!(
            CliDaemonUnreachable,
            path = socket.display().to_string(),
            reason = error.to_string()
        ))
        .into()
    })
}

/// What follows the daemon's `ok ` in `reply`, or its refusal.
fn daemon_ok(reply: &str) -> Result<&str, Failure> {
    match reply.split_once(' ') {
        Some(("ok", rest)) => Ok(rest),
        _ => Err(daemon_refusal(reply)),
    }
}

/// The daemon's one-line refusal (`error 中文 / English`) as a failure, each language
/// on its own.
fn daemon_refusal(reply: &str) -> Failure {
    let text = reply.trim_start_matches("error ");
    let (zh, en) = text.split_once(" / ").unwrap_or((text, text));
    Failure::new(Message {
        code: crate::message::Code::CliError,
        text: Bilingual::new(zh, en),
    })
}

/// The file a folder printer wrote for job `id` (named `ID-…`), as an absolute path.
fn label_file(dir: &Path, id: u64) -> Option<PathBuf> {
    let prefix = format!("{id}-");
    let name = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with(&prefix))?;
    std::path::absolute(dir.join(name)).ok()
}

fn init(config: &Config, name: &str) -> anyhow::Result<ExitCode> {
    let store = open_store(config)?;
    if !store.tokens()?.is_empty() {
        bail!("{}", message!(CliTokensExist));
    }
    let actor = Actor::new("init");
    let admin = store.add_person(
        &actor,
        &NewPerson {
            name: name.to_owned(),
            role: Role::Admin,
            borrow_directly: false,
        },
    )?;
    let new = store.create_token(&actor, admin.barcode, "first administrator")?;
    println!(
        "{}",
        message!(
            CliAdministrator,
            barcode = admin.barcode,
            name = &admin.name
        )
    );
    println!("{}:", message!(CliTokenShownOnce));
    println!("{}", new.secret);
    // And an initial password, to sign in from a browser at once (shown this once too).
    let password = crate::store::generate_password()?;
    let hash = crate::store::hash_secret(&password)?;
    store.set_secret(&actor, admin.barcode, crate::store::Secret::Password, &hash)?;
    println!(
        "{}: {password}",
        message!(
            CliFirstAdminPassword,
            name = &admin.name,
            barcode = admin.barcode,
            url = format!("http://{}/", config.listen)
        )
    );
    Ok(ExitCode::SUCCESS)
}
