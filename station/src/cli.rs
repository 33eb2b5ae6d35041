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
        /// Listen address, overriding the configuration's `listen`.
        #[arg(long)]
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
    /// People and their badges.
    Person {
        /// What to do.
        #[command(subcommand)]
        action: PersonAction,
    },
    /// Write a consistent copy of the store to DIR (online when the daemon runs).
    Backup {
        /// Target directory: must not exist or be empty.
        dir: PathBuf,
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
}

/// What to do with tokens.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token for a person; prints the secret once.
    Create {
        /// The person's badge barcode.
        #[arg(long)]
        person: String,
        /// What the token is for (a workstation, a script).
        #[arg(long, default_value = "")]
        label: String,
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
    },
    /// List everyone with their badge barcode.
    List,
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
    init_logging(cli.log_format);
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("{}: {error:#}", message!(CliError));
            ExitCode::FAILURE
        }
    }
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
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(data) = &cli.data {
        config.data_dir = data.clone();
    }
    Ok(config)
}

fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.data_dir, config.store_options())
        .with_context(|| format!("opening the store in {}", config.data_dir.display()))
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(&cli)?;
    match cli.command {
        Command::Serve { listen } => serve(config, listen),
        Command::Import {
            file,
            encoding,
            without_location,
        } => import(&config, &file, encoding, without_location),
        Command::Export { format, output } => export(&config, format, output.as_deref()),
        Command::Verify => verify(&config),
        Command::Backup { dir } => backup(&config, &dir),
        Command::Person { action } => person(&config, action),
        Command::Init { name } => init(&config, &name),
        Command::Token { action } => token(&config, action),
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
            let store = open_store(&config)?;
            let scheme = match scheme {
                Some(name) => Some(
                    config::effective_schemes(&config, &store)?
                        .into_iter()
                        .find(|s| s.name() == name)
                        .with_context(|| message!(CliSchemeNotAvailable, name = &name))?,
                ),
                None => None,
            };
            let year = year.unwrap_or_else(|| store.this_year());
            let actor = Actor::new("cli");
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
            println!("{}\t{}", registered.barcode, registered.archive_no);
            drop(store);
            if print {
                return label(
                    &config,
                    LabelAction::Print {
                        barcodes: vec![registered.barcode.to_string()],
                        reprint: None,
                        reason: None,
                    },
                    None,
                    None,
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Label {
            action,
            printer,
            workstation,
        } => label(&config, action, printer, workstation.as_deref()),
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
    let store = Arc::new(open_store(&config)?);
    release_startup_memory();
    let addr = listen.unwrap_or(config.listen);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let shutdown_signals = ShutdownSignals::install();
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let local = listener.local_addr().context("reading the bound address")?;
        tracing::info!(listen = %local, data = %config.data_dir.display(), "station serving");
        let control_path = control::socket_path(&config.data_dir);
        let control_listener = control::bind(&control_path);
        // The one line on stdout: scripts and tests read the address from it. A closed
        // stdout (a reader that went away) must not stop the station: `say` only logs.
        say(format_args!("station listening on http://{local}"));
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
        } else {
            say(format_args!("{}", message!(CliCreateTokens)));
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
        let engine = Arc::new(engine);
        let control_task = tokio::spawn(control::serve(
            control_listener,
            control_path,
            crate::archive::Archive::new(engine.clone()).with_printing(printing.clone()),
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
            .with_device_manager(manager.clone());
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
    config: &Config,
    file: &Path,
    encoding: Encoding,
    without_location: bool,
) -> anyhow::Result<ExitCode> {
    let store = open_store(config)?;
    let schemes = config::effective_schemes(config, &store)?;
    let bar =
        indicatif::ProgressBar::with_draw_target(Some(1), indicatif::ProgressDrawTarget::stderr());
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
    let report = ledger::import_file(&store, file, &options, extra)
        .with_context(|| format!("importing {}", file.display()))?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}",
        message!(
            CliImportRead,
            rows = report.rows,
            encoding = report.encoding.to_string(),
            seconds = format!("{:.2}", elapsed.as_secs_f64())
        )
    )?;
    writeln!(
        out,
        "{}",
        message!(
            CliImportCounts,
            created = report.created,
            unchanged = report.unchanged,
            differing = report.differing.len(),
            bad = report.bad_rows.len()
        )
    )?;
    if report.without_location {
        writeln!(out, "{}", message!(LedgerWithoutLocation))?;
    }
    for column in &report.ignored_columns {
        writeln!(out, "{}", message!(CliImportIgnoredColumn, column = column))?;
    }
    for bad in &report.bad_rows {
        tracing::warn!(line = bad.line, reason = %bad.reason, "ledger row rejected");
        writeln!(
            out,
            "{}",
            message!(
                CliImportBadRow,
                line = bad.line,
                reason = bad.reason.clone()
            )
        )?;
    }
    for row in &report.differing {
        writeln!(
            out,
            "{}",
            message!(
                CliImportDiffering,
                line = row.line,
                archive_no = &row.archive_no,
                fields = row.fields.join(", ")
            )
        )?;
    }
    for gap in &report.gaps {
        writeln!(out, "{}", message!(CliImportGap, gap = gap.clone()))?;
    }
    tracing::info!(
        rows = report.rows,
        created = report.created,
        bad = report.bad_rows.len(),
        "ledger imported"
    );
    Ok(if report.bad_rows.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_BAD_ROWS)
    })
}

fn export(
    config: &Config,
    format: ExportFormat,
    output: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let store = open_store(config)?;
    let ExportFormat::Csv = format;
    let rows = match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            let rows = ledger::export_csv(&store, &mut writer)?;
            writer
                .flush()
                .with_context(|| format!("writing {}", path.display()))?;
            rows
        }
        None => ledger::export_csv(&store, std::io::BufWriter::new(std::io::stdout().lock()))?,
    };
    tracing::info!(rows, "ledger exported");
    Ok(ExitCode::SUCCESS)
}

fn verify(config: &Config) -> anyhow::Result<ExitCode> {
    let store = open_store(config)?;
    let report = store.verify()?;
    let (seq, hash) = store.head();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}",
        message!(
            CliVerifyChecked,
            events = report.events,
            items = report.items,
            entries = report.index_entries
        )
    )?;
    match &report.chain_error {
        None => writeln!(
            out,
            "{}",
            message!(CliVerifyChainIntact, seq = seq, hash = event::hex(&hash))
        )?,
        Some(error) => writeln!(
            out,
            "{}",
            message!(CliVerifyChainBroken, error = error.message())
        )?,
    }
    for problem in &report.problems {
        writeln!(
            out,
            "{}",
            message!(CliVerifyIndexProblem, problem = problem.clone())
        )?;
    }
    if report.is_ok() {
        writeln!(out, "{}", message!(CliVerifyConsistent))?;
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(EXIT_VERIFY_FAILED))
    }
}

fn backup(config: &Config, dir: &Path) -> anyhow::Result<ExitCode> {
    let target =
        std::path::absolute(dir).with_context(|| format!("resolving {}", dir.display()))?;
    match Store::open(&config.data_dir, config.store_options()) {
        Ok(store) => {
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
        Err(StoreError::Failed(StorageError::Locked { .. })) => {
            let socket = control::socket_path(&config.data_dir);
            let reply = control::request(&socket, &format!("backup {}", target.display()))
                .with_context(|| {
                    format!(
                        "the store is in use, and the running station cannot be reached at {}",
                        socket.display()
                    )
                })?;
            match reply.split_once(' ') {
                Some(("ok", keys)) => println!(
                    "{}",
                    message!(
                        CliOnlineBackupWritten,
                        path = target.display().to_string(),
                        keys = keys
                    )
                ),
                _ => bail!("{}", reply.trim_start_matches("error ")),
            }
        }
        Err(error) => {
            return Err(error)
                .with_context(|| format!("opening the store in {}", config.data_dir.display()))
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn person(config: &Config, action: PersonAction) -> anyhow::Result<ExitCode> {
    let store = open_store(config)?;
    match action {
        PersonAction::Add {
            name,
            role,
            borrow_directly,
        } => {
            let role = match role {
                RoleArg::Clerk => Role::Clerk,
                RoleArg::Supervisor => Role::Supervisor,
                RoleArg::Admin => Role::Admin,
            };
            let person = store.add_person(
                &Actor::new("cli"),
                &NewPerson {
                    name,
                    role,
                    borrow_directly,
                },
            )?;
            println!("{}\t{}", person.barcode, person.name);
        }
        PersonAction::List => {
            for item in store.items_of_kind(crate::barcode::Kind::Person) {
                if let crate::model::Item::Person(person) = item? {
                    let direct = if person.borrow_directly {
                        "\tborrows directly"
                    } else {
                        ""
                    };
                    println!(
                        "{}\t{}\t{:?}{direct}",
                        person.barcode, person.name, person.role
                    );
                }
            }
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
    };
    match Store::open(&config.data_dir, config.store_options()) {
        Ok(store) => {
            let store = Arc::new(store);
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
            let device = crate::printer::Printer::new(config_of);
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
            let pending = store.pending_jobs()?.len();
            println!(
                "{}",
                message!(CliPrinted, printed = printed, pending = pending)
            );
        }
        Err(StoreError::Failed(StorageError::Locked { .. })) => {
            let socket = control::socket_path(&config.data_dir);
            let line = serde_json::to_string(&(printer, request))?;
            let reply = control::request(&socket, &format!("label {line}")).with_context(|| {
                format!(
                    "the store is in use, and the running station cannot be reached at {}",
                    socket.display()
                )
            })?;
            match reply.split_once(' ') {
                Some(("ok", jobs)) => {
                    for job in jobs.split(' ') {
                        println!("{}", message!(CliQueuedAtStation, job = job));
                    }
                }
                _ => bail!("{}", reply.trim_start_matches("error ")),
            }
        }
        Err(error) => {
            return Err(error)
                .with_context(|| format!("opening the store in {}", config.data_dir.display()))
        }
    }
    Ok(ExitCode::SUCCESS)
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
    Ok(ExitCode::SUCCESS)
}

fn token(config: &Config, action: TokenAction) -> anyhow::Result<ExitCode> {
    let store = open_store(config)?;
    let actor = Actor::new("cli");
    match action {
        TokenAction::Create { person, label } => {
            let person = crate::barcode::Barcode::parse(&person)?;
            let new = store.create_token(&actor, person, &label)?;
            // The secret alone on stdout, for scripts; the rest on stderr.
            eprintln!("{}:", message!(CliTokenCreated, id = new.token.id));
            println!("{}", new.secret);
        }
        TokenAction::List => {
            for token in store.tokens()? {
                let state = if token.revoked_at.is_some() {
                    "revoked"
                } else {
                    "live"
                };
                println!("{}\t{}\t{}\t{}", token.id, token.person, state, token.label);
            }
        }
        TokenAction::Revoke { id } => {
            store.revoke_token(&actor, id)?;
            println!("{}", message!(CliTokenRevoked, id = id));
        }
    }
    Ok(ExitCode::SUCCESS)
}
