//! The running devices: the registry of their states ([`Devices`], shown by
//! `GET /api/v1/devices`), the stop signal each device's tasks obey, and the
//! [`DeviceManager`] that starts, stops, adds, removes, enables and disables them while
//! the station runs.
//!
//! Every configured scanner runs on tasks of its own (`scanner.rs`) that read its port
//! through firmware-bridge, hand each scan to the workflow engine, and answer SSI
//! scanners with a good or bad beep and LED; every printer has a worker (`printer.rs`)
//! that delivers its queued labels. A device problem is logged and shown in the device
//! status; it never stops the daemon or the other devices.
//!
//! The [`DeviceManager`] runs one unit per device (a scanner's port and driver tasks, a
//! printer's worker), each with its own stop signal, so that administrators can add,
//! remove, disable and enable devices while the station runs. Devices come from
//! station.toml (origin `config`, read-only here) or from the store (origin `station`);
//! their shapes are in [`definition`].

use crate::store::{Refusal, StorageError};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::archive::Archive;
use crate::config::Config;
use crate::message::Message;
use crate::model::Millis;
use crate::printing::Printing;
use crate::store::{Actor, StoreError};
use crate::workflow::Engine;

pub mod definition;

pub use definition::Origin;
pub(crate) mod printer;
mod scanner;

use definition::DeviceDefinition;
use scanner::spawn_scanner;

/// What the station knows about one device right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct DeviceState {
    /// The configured name.
    pub name: String,
    /// `scanner` (readers and printers later).
    #[schemars(extend("enum" = ["scanner", "printer"]))]
    pub kind: &'static str,
    /// The workstation it feeds.
    pub workstation: String,
    /// Its port.
    pub port: String,
    /// Whether the port is open.
    pub connected: bool,
    /// Since when it is (dis)connected, ms since the epoch.
    pub since: Millis,
    /// When it last delivered a scan.
    pub last_scan: Option<Millis>,
    /// The last problem, if any: its code and text in both languages, when it began and,
    /// once it is over, when it ended (`ended_at` is null while it lasts).
    pub last_problem: Option<Problem>,
    /// When the device last recovered: came back, or answered again, after a problem
    /// that kept it from working. Null if it never had one.
    pub recovered_at: Option<Millis>,
    /// Whether it runs: a disabled device stays defined but is not run (a disabled
    /// printer's labels wait in the queue).
    pub enabled: bool,
    /// Where it is defined: `config` (station.toml; change it there) or `station`
    /// (added by an administrator, kept in the store).
    #[schemars(extend("enum" = ["config", "station"]))]
    pub origin: &'static str,
}

impl DeviceState {
    /// The state of `def` before its port is opened.
    pub fn new(def: &DeviceDefinition, origin: Origin, enabled: bool, now: Millis) -> DeviceState {
        let workstation = match def {
            DeviceDefinition::Scanner(scanner) => scanner.workstation.clone(),
            DeviceDefinition::Printer(_) => String::new(),
        };
        DeviceState {
            name: def.name().to_owned(),
            kind: def.kind(),
            workstation,
            port: def.address(),
            connected: false,
            since: now,
            last_scan: None,
            last_problem: None,
            recovered_at: None,
            enabled,
            origin: origin.as_str(),
        }
    }
}

/// A device's problem: what it is, since when, and until when once it is over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// Its code and text in both languages.
    #[serde(flatten)]
    pub message: Message,
    /// When it began (for one that keeps coming back, such as a port that cannot be
    /// opened, when it first came), ms since the epoch.
    pub at: Millis,
    /// When it ended: the device recovered, or the problem was momentary (bytes skipped
    /// as line noise). Null while it lasts.
    pub ended_at: Option<Millis>,
}

impl DeviceState {
    /// Records a problem that lasts until [`recovered`](Self::recovered). The same
    /// problem reported again (another failed reopen) keeps when it began.
    pub(crate) fn problem(&mut self, message: Message, now: Millis) {
        let at = match &self.last_problem {
            Some(last) if last.ended_at.is_none() && last.message.code == message.code => last.at,
            _ => now,
        };
        self.last_problem = Some(Problem {
            message,
            at,
            ended_at: None,
        });
    }

    /// Records a momentary problem, over as it is reported (line noise). A lasting
    /// problem under way is kept: it says more.
    pub(crate) fn momentary_problem(&mut self, message: Message, now: Millis) {
        if self
            .last_problem
            .as_ref()
            .is_some_and(|last| last.ended_at.is_none())
        {
            return;
        }
        self.last_problem = Some(Problem {
            message,
            at: now,
            ended_at: Some(now),
        });
    }

    /// The device works again: a lasting problem under way ends now.
    pub(crate) fn recovered(&mut self, now: Millis) {
        if let Some(last) = &mut self.last_problem {
            if last.ended_at.is_none() {
                last.ended_at = Some(now);
                self.recovered_at = Some(now);
            }
        }
    }
}

/// The states of all devices, shared with the HTTP API.
#[derive(Debug, Default)]
pub struct Devices {
    states: Mutex<BTreeMap<String, DeviceState>>,
}

impl Devices {
    /// Every device's state, by name.
    pub fn snapshot(&self) -> Vec<DeviceState> {
        let states = self
            .states
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        states.values().cloned().collect()
    }

    /// Adds a device (or replaces the one of that name).
    pub fn register(&self, state: DeviceState) {
        let mut states = self
            .states
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        states.insert(state.name.clone(), state);
    }

    /// Records the outcome of talking to printer `name`: reachable and ready, or the
    /// problem (a fault, no answer, unreachable).
    pub fn set_printer(&self, name: &str, now: Millis, problem: Option<Message>) {
        self.update(name, |state| {
            let connected = problem.is_none();
            if state.connected != connected {
                state.since = now;
            }
            state.connected = connected;
            match problem {
                Some(problem) => state.problem(problem, now),
                None => state.recovered(now),
            }
        });
    }

    /// Forgets device `name` (it was removed).
    pub fn unregister(&self, name: &str) {
        let mut states = self
            .states
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        states.remove(name);
    }

    /// The state of device `name`.
    pub fn get(&self, name: &str) -> Option<DeviceState> {
        let states = self
            .states
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        states.get(name).cloned()
    }

    /// Marks device `name` stopped: disabled and not connected.
    fn set_stopped(&self, name: &str, now: Millis) {
        self.update(name, |state| {
            if state.connected {
                state.since = now;
            }
            state.connected = false;
            state.enabled = false;
        });
    }

    fn update(&self, name: &str, change: impl FnOnce(&mut DeviceState)) {
        let mut states = self
            .states
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some(state) = states.get_mut(name) {
            change(state);
        }
    }
}

/// When a device's tasks are to end: its own stop (the [`DeviceManager`] stopping that
/// one device) or the daemon-wide stop. A stop whose sender is gone counts as given.
#[derive(Debug, Clone)]
pub struct StopSignal {
    own: Option<watch::Receiver<bool>>,
    daemon: watch::Receiver<bool>,
}

impl StopSignal {
    /// Stops only with the daemon.
    #[cfg(test)]
    pub fn daemon(daemon: watch::Receiver<bool>) -> StopSignal {
        StopSignal { own: None, daemon }
    }

    /// Stops with `own` or with the daemon.
    pub fn either(own: watch::Receiver<bool>, daemon: watch::Receiver<bool>) -> StopSignal {
        StopSignal {
            own: Some(own),
            daemon,
        }
    }

    /// Returns once a stop has been given (at once if it was given already).
    pub async fn stopped(&mut self) {
        let StopSignal { own, daemon } = self;
        let daemon = async {
            let _ = daemon.wait_for(|stop| *stop).await;
        };
        match own {
            Some(own) => {
                tokio::select! {
                    _ = own.wait_for(|stop| *stop) => {}
                    () = daemon => {}
                }
            }
            None => daemon.await,
        }
    }

    /// Whether a stop has been given.
    pub fn is_stopped(&self) -> bool {
        self.own.as_ref().is_some_and(|own| *own.borrow()) || *self.daemon.borrow()
    }

    /// Returns once a stop has been given, owning the signal (for a task's shutdown).
    pub async fn wait(mut self) {
        self.stopped().await
    }
}

/// One running device: its own stop signal and its tasks.
struct Unit {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// What the manager knows: every device it may run, and the running ones.
#[derive(Default)]
struct Units {
    /// Every known device, station.toml's and the station's, with its origin.
    defs: BTreeMap<String, (DeviceDefinition, Origin)>,
    /// The running ones.
    running: BTreeMap<String, Unit>,
}

/// A device as the manager knows it: its definition, where it is defined, and whether
/// it is enabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ManagedDevice {
    /// Its definition.
    pub definition: DeviceDefinition,
    /// station.toml or the station.
    pub origin: Origin,
    /// Whether it runs.
    pub enabled: bool,
}

/// Runs the devices, one unit per device name, and changes them while the station runs.
///
/// Each change through [`add`](DeviceManager::add), [`remove`](DeviceManager::remove) and
/// [`set_enabled`](DeviceManager::set_enabled) is first written to the store (with its
/// event; a refusal changes nothing) and then applied to the running units. One task owns
/// the units and takes the requests one at a time, in the order they come, so the units
/// always follow the store's order; nothing is locked while it waits for a device's tasks
/// to stop. A change, once asked for, is carried through even if the asker goes away.
pub struct DeviceManager {
    requests: mpsc::Sender<Request>,
}

/// How many requests may wait for the manager's task.
const WAITING_REQUESTS: usize = 64;

type Reply<T> = oneshot::Sender<T>;

/// What the manager's task is asked to do.
enum Request {
    Definitions(Reply<Result<Vec<ManagedDevice>, StoreError>>),
    IsRunning(String, Reply<bool>),
    StartAll(Reply<Result<(), StoreError>>),
    Start(DeviceDefinition, Reply<()>),
    Stop(String, Reply<bool>),
    Shutdown(Reply<()>),
    Add(Actor, DeviceDefinition, Reply<Result<(), StoreError>>),
    Remove(Actor, String, Reply<Result<DeviceDefinition, StoreError>>),
    SetEnabled(Actor, String, bool, Reply<Result<(), StoreError>>),
}

/// The manager's task is gone (the station is shutting down).
fn manager_gone() -> StoreError {
    StorageError::Io {
        context: "the device manager".to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "the station is shutting down",
        ),
    }
    .into()
}

impl DeviceManager {
    /// A manager over the daemon's engine (and its store), device states and printing;
    /// every unit also stops when `daemon_stop` turns true. Nothing runs until
    /// [`start_all`](DeviceManager::start_all) or [`start`](DeviceManager::start). Starts
    /// the manager's task: call it within the tokio runtime. When the manager is dropped,
    /// its task stops every device it runs.
    pub fn new(
        config: Arc<Config>,
        engine: Arc<Engine>,
        devices: Arc<Devices>,
        printing: Arc<Printing>,
        daemon_stop: watch::Receiver<bool>,
    ) -> DeviceManager {
        let (requests, mut incoming) = mpsc::channel(WAITING_REQUESTS);
        let mut runner = Runner {
            config,
            archive: Archive::new(engine).with_printing(printing.clone()),
            printing,
            devices,
            daemon_stop,
            units: Units::default(),
        };
        tokio::spawn(async move {
            while let Some(request) = incoming.recv().await {
                runner.handle(request).await;
            }
            runner.shutdown().await;
        });
        DeviceManager { requests }
    }

    /// Asks the manager's task; `None` when it is gone.
    async fn ask<T>(&self, request: impl FnOnce(Reply<T>) -> Request) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(request(reply)).await.ok()?;
        answer.await.ok()
    }

    /// Every known device with its definition, origin and whether it is enabled.
    pub async fn definitions(&self) -> Result<Vec<ManagedDevice>, StoreError> {
        self.ask(Request::Definitions)
            .await
            .unwrap_or_else(|| Err(manager_gone()))
    }

    /// Whether device `name` is running now.
    pub async fn is_running(&self, name: &str) -> bool {
        let name = name.to_owned();
        self.ask(|reply| Request::IsRunning(name, reply))
            .await
            .unwrap_or(false)
    }

    /// Registers station.toml's devices and the station's ([`crate::config::known_devices`]),
    /// and starts those not disabled.
    pub async fn start_all(&self) -> Result<(), StoreError> {
        self.ask(Request::StartAll)
            .await
            .unwrap_or_else(|| Err(manager_gone()))
    }

    /// Starts `def` now (restarting it if a device of that name runs), without writing
    /// anything to the store: its origin is `config` when station.toml defines the name.
    pub async fn start(&self, def: DeviceDefinition) {
        self.ask(|reply| Request::Start(def, reply)).await;
    }

    /// Stops device `name` and waits for its tasks, without writing anything to the
    /// store; its state then shows it disabled. Answers whether it was running.
    pub async fn stop(&self, name: &str) -> bool {
        let name = name.to_owned();
        self.ask(|reply| Request::Stop(name, reply))
            .await
            .unwrap_or(false)
    }

    /// Stops every device and waits for their tasks.
    pub async fn shutdown(&self) {
        self.ask(Request::Shutdown).await;
    }

    /// Adds a station-managed device and starts it. Refused (nothing written or started)
    /// when a field is invalid, a scanner names a workstation that is not configured, or
    /// the name is used by station.toml or by another station device.
    pub async fn add(&self, actor: &Actor, def: DeviceDefinition) -> Result<(), StoreError> {
        let actor = actor.clone();
        self.ask(|reply| Request::Add(actor, def, reply))
            .await
            .unwrap_or_else(|| Err(manager_gone()))
    }

    /// Removes a station-managed device: stops it and forgets it. Refused for a device of
    /// station.toml ("change it there"), an unknown one, and a printer with labels still
    /// waiting (they must be printed or cancelled first); a refusal changes nothing.
    pub async fn remove(&self, actor: &Actor, name: &str) -> Result<DeviceDefinition, StoreError> {
        let (actor, name) = (actor.clone(), name.to_owned());
        self.ask(|reply| Request::Remove(actor, name, reply))
            .await
            .unwrap_or_else(|| Err(manager_gone()))
    }

    /// Enables or disables device `name`, of station.toml or of the station: the choice
    /// is kept in the store, and the device is started or stopped. A disabled printer's
    /// labels wait in the queue, and new ones are still accepted for it.
    pub async fn set_enabled(
        &self,
        actor: &Actor,
        name: &str,
        enabled: bool,
    ) -> Result<(), StoreError> {
        let (actor, name) = (actor.clone(), name.to_owned());
        self.ask(|reply| Request::SetEnabled(actor, name, enabled, reply))
            .await
            .unwrap_or_else(|| Err(manager_gone()))
    }
}

/// The manager's task: the only owner of the units.
struct Runner {
    config: Arc<Config>,
    archive: Archive,
    printing: Arc<Printing>,
    devices: Arc<Devices>,
    daemon_stop: watch::Receiver<bool>,
    units: Units,
}

impl Runner {
    /// Carries out `request` and answers it (an asker that went away is not waited for).
    async fn handle(&mut self, request: Request) {
        match request {
            Request::Definitions(reply) => {
                let _ = reply.send(self.definitions().await);
            }
            Request::IsRunning(name, reply) => {
                let _ = reply.send(self.units.running.contains_key(&name));
            }
            Request::StartAll(reply) => {
                let _ = reply.send(self.start_all().await);
            }
            Request::Start(def, reply) => {
                self.start(def).await;
                let _ = reply.send(());
            }
            Request::Stop(name, reply) => {
                let _ = reply.send(self.stop_unit(&name).await);
            }
            Request::Shutdown(reply) => {
                self.shutdown().await;
                let _ = reply.send(());
            }
            Request::Add(actor, def, reply) => {
                let _ = reply.send(self.add(actor, def).await);
            }
            Request::Remove(actor, name, reply) => {
                let _ = reply.send(self.remove(actor, &name).await);
            }
            Request::SetEnabled(actor, name, enabled, reply) => {
                let _ = reply.send(self.set_enabled(actor, &name, enabled).await);
            }
        }
    }

    async fn definitions(&self) -> Result<Vec<ManagedDevice>, StoreError> {
        let disabled = self.archive.run(|store| store.disabled_devices()).await?;
        Ok(self
            .units
            .defs
            .values()
            .map(|(definition, origin)| ManagedDevice {
                enabled: !disabled.contains(definition.name()),
                definition: definition.clone(),
                origin: *origin,
            })
            .collect())
    }

    async fn start_all(&mut self) -> Result<(), StoreError> {
        let config = self.config.clone();
        let (all, disabled) = self
            .archive
            .run(move |store| {
                // Stored devices whose names station.toml uses are left out (the file
                // wins); the station logs them at start.
                Ok::<_, StoreError>((
                    crate::config::known_devices(&config, store)?,
                    store.disabled_devices()?,
                ))
            })
            .await?;
        for (def, origin) in all {
            let name = def.name().to_owned();
            if let DeviceDefinition::Printer(printer) = &def {
                self.printing.add_printer(printer.clone());
            }
            self.units.defs.insert(name.clone(), (def.clone(), origin));
            if disabled.contains(&name) {
                tracing::info!(device = %name, "device disabled; not started");
                self.devices
                    .register(DeviceState::new(&def, origin, false, self.archive.now()));
            } else {
                self.start_unit(&def, origin).await;
            }
        }
        Ok(())
    }

    async fn start(&mut self, def: DeviceDefinition) {
        let origin = if self
            .config
            .device_names()
            .iter()
            .any(|name| name == def.name())
        {
            Origin::Config
        } else {
            Origin::Station
        };
        if let DeviceDefinition::Printer(printer) = &def {
            self.printing.add_printer(printer.clone());
        }
        self.units
            .defs
            .insert(def.name().to_owned(), (def.clone(), origin));
        self.start_unit(&def, origin).await;
    }

    async fn shutdown(&mut self) {
        let names: Vec<String> = self.units.running.keys().cloned().collect();
        for name in names {
            self.stop_unit(&name).await;
        }
    }

    async fn start_unit(&mut self, def: &DeviceDefinition, origin: Origin) {
        let name = def.name().to_owned();
        self.stop_unit(&name).await;
        self.devices
            .register(DeviceState::new(def, origin, true, self.archive.now()));
        let (stop_tx, stop_rx) = watch::channel(false);
        let stop = StopSignal::either(stop_rx, self.daemon_stop.clone());
        let tasks = match def {
            DeviceDefinition::Scanner(scanner) => {
                spawn_scanner(scanner, self.archive.clone(), self.devices.clone(), stop)
            }
            DeviceDefinition::Printer(printer) => vec![printer::spawn_printer(
                printer,
                self.archive.clone(),
                self.devices.clone(),
                self.printing.wake(),
                stop,
            )],
        };
        tracing::info!(device = %name, kind = def.kind(), origin = origin.as_str(), "device started");
        self.units.running.insert(
            name,
            Unit {
                stop: stop_tx,
                tasks,
            },
        );
    }

    async fn stop_unit(&mut self, name: &str) -> bool {
        let Some(unit) = self.units.running.remove(name) else {
            return false;
        };
        let _ = unit.stop.send(true);
        for task in unit.tasks {
            if let Err(error) = task.await {
                tracing::error!(device = %name, %error, "device task failed");
            }
        }
        self.devices.set_stopped(name, self.archive.now());
        tracing::info!(device = %name, "device stopped");
        true
    }

    async fn add(&mut self, actor: Actor, def: DeviceDefinition) -> Result<(), StoreError> {
        def.validate().map_err(StoreError::from)?;
        if let DeviceDefinition::Scanner(scanner) = &def {
            let workstations = self.config.workstation_names();
            if !workstations.contains(&scanner.workstation) {
                return Err(Refusal::UnknownWorkstation {
                    scanner: scanner.name.clone(),
                    workstation: scanner.workstation.clone(),
                    known: workstations.join(", "),
                }
                .into());
            }
        }
        let taken = self.config.device_names();
        let stored = def.clone();
        self.archive
            .run(move |store| store.add_device(&actor, &stored, &taken))
            .await?;
        if let DeviceDefinition::Printer(printer) = &def {
            self.printing.add_printer(printer.clone());
        }
        self.units
            .defs
            .insert(def.name().to_owned(), (def.clone(), Origin::Station));
        self.start_unit(&def, Origin::Station).await;
        Ok(())
    }

    async fn remove(&mut self, actor: Actor, name: &str) -> Result<DeviceDefinition, StoreError> {
        match self.units.defs.get(name) {
            Some((_, Origin::Config)) => {
                return Err(Refusal::DeviceInConfig(name.to_owned()).into())
            }
            Some((_, Origin::Station)) => {}
            None => return Err(Refusal::UnknownDevice(name.to_owned()).into()),
        }
        // New labels for the printer are refused from here on, and labels being queued
        // for it now are committed before this returns: so the store's count of waiting
        // labels below cannot miss one.
        let withdrawn = self.printing.remove_printer(name).await;
        let taken = self.config.device_names();
        let owned = name.to_owned();
        let removed = self
            .archive
            .run(move |store| store.remove_device(&actor, &owned, &taken))
            .await;
        let removed = match removed {
            Ok(removed) => removed,
            Err(error) => {
                if let Some(printer) = withdrawn {
                    self.printing.add_printer(printer);
                }
                return Err(error);
            }
        };
        self.stop_unit(name).await;
        self.units.defs.remove(name);
        self.devices.unregister(name);
        Ok(removed)
    }

    async fn set_enabled(
        &mut self,
        actor: Actor,
        name: &str,
        enabled: bool,
    ) -> Result<(), StoreError> {
        let Some((def, origin)) = self.units.defs.get(name).cloned() else {
            return Err(Refusal::UnknownDevice(name.to_owned()).into());
        };
        let taken = self.config.device_names();
        let owned = name.to_owned();
        self.archive
            .run(move |store| store.set_device_enabled(&actor, &owned, enabled, &taken))
            .await?;
        if enabled {
            if !self.units.running.contains_key(name) {
                self.start_unit(&def, origin).await;
            }
        } else if !self.stop_unit(name).await {
            self.devices.set_stopped(name, self.archive.now());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The manager on a real sled store, a real PTY as the scanner and a real directory
    //! as the printer. Waits poll what they wait for; their deadlines only guard against
    //! a hang.

    use std::io::Write as _;
    use std::time::{Duration, Instant};

    use serialport::SerialPort as _;

    use super::*;
    use crate::message::Code;
    use crate::model::PrintState;
    use crate::printing::{LabelError, LabelRequest};
    use crate::store::{Store, StoreOptions};
    use crate::workflow::{CommandCard, ScanResult, WorkflowConfig};

    const DEADLINE: Duration = Duration::from_secs(20);

    struct Station {
        dir: tempfile::TempDir,
        config: Arc<Config>,
        engine: Arc<Engine>,
        devices: Arc<Devices>,
        printing: Arc<Printing>,
        stop: watch::Sender<bool>,
        manager: DeviceManager,
    }

    impl Station {
        /// A station over a fresh store with `toml` (its data directory set to the
        /// temp dir) and a manager that has started everything.
        async fn start(toml: &str) -> Station {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = Arc::new(
                Store::open(&dir.path().join("data"), StoreOptions::default()).expect("store"),
            );
            Station::over(dir, store, toml).await
        }

        async fn over(dir: tempfile::TempDir, store: Arc<Store>, toml: &str) -> Station {
            let text = format!(
                "data_dir = \"{}\"\n{toml}",
                dir.path().join("data").display()
            );
            let config = Arc::new(Config::parse(&text, "station.toml").expect("config"));
            let engine = Arc::new(Engine::new(store, WorkflowConfig::default()));
            let devices = Arc::new(Devices::default());
            let printing = Arc::new(Printing::new(&config));
            let (stop, stop_rx) = watch::channel(false);
            let manager = DeviceManager::new(
                config.clone(),
                engine.clone(),
                devices.clone(),
                printing.clone(),
                stop_rx,
            );
            manager.start_all().await.expect("started");
            Station {
                dir,
                config,
                engine,
                devices,
                printing,
                stop,
                manager,
            }
        }

        fn state(&self, name: &str) -> DeviceState {
            self.devices
                .get(name)
                .unwrap_or_else(|| panic!("{name} has a state"))
        }

        fn store(&self) -> &Arc<Store> {
            self.engine.store()
        }

        fn archive(&self) -> Archive {
            Archive::new(self.engine.clone()).with_printing(self.printing.clone())
        }

        async fn queue_cards(
            &self,
            printer: &str,
        ) -> Result<Vec<crate::model::PrintJob>, LabelError> {
            self.archive()
                .queue_labels(Actor::new("clerk"), printer.to_owned(), LabelRequest::Cards)
                .await
        }
    }

    async fn eventually(what: &str, mut ready: impl FnMut() -> bool) {
        let deadline = Instant::now() + DEADLINE;
        while !ready() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn next_result(results: &mut tokio::sync::broadcast::Receiver<ScanResult>) -> ScanResult {
        tokio::time::timeout(DEADLINE, results.recv())
            .await
            .expect("a scan result in time")
            .expect("the result stream is open")
    }

    /// A simulated scanner: the master side of a PTY whose slave the station opens.
    fn plug_in_scanner() -> (serialport::TTYPort, String) {
        let (master, slave) = serialport::TTYPort::pair().expect("a PTY pair");
        let path = slave.name().expect("the slave has a path");
        drop(slave);
        (master, path)
    }

    /// Whether nobody has the PTY's slave side open: its master then reports a hang-up.
    fn slave_closed(master: &serialport::TTYPort) -> bool {
        use std::os::fd::AsRawFd as _;
        let mut poll = libc::pollfd {
            fd: master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call; a zero timeout.
        let ready = unsafe { libc::poll(&mut poll, 1, 0) };
        ready == 1 && poll.revents & libc::POLLHUP != 0
    }

    fn scan(master: &mut serialport::TTYPort, code: &str) -> std::io::Result<()> {
        master.write_all(format!("{code}\r").as_bytes())?;
        master.flush()
    }

    fn pdfs(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "pdf"))
                    .count()
            })
            .unwrap_or(0)
    }

    fn job_state(store: &Store, id: u64) -> PrintState {
        store.job(id).expect("read").expect("the job exists").state
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_scanner_added_at_runtime_scans_until_it_is_stopped() {
        let station = Station::start("[[workstation]]\nname = \"counter\"\n").await;
        let admin = Actor::new("P0000000014");
        let (mut master, port) = plug_in_scanner();
        let mut results = station.engine.subscribe();
        let cart: DeviceDefinition = serde_json::from_value(serde_json::json!({
            "kind": "scanner", "name": "cart-scanner", "port": port, "workstation": "counter",
        }))
        .expect("definition");
        station
            .manager
            .add(&admin, cart.clone())
            .await
            .expect("added");
        assert_eq!(
            station.store().station_devices().expect("list"),
            vec![cart.clone()]
        );
        let state = station.state("cart-scanner");
        assert_eq!(
            (state.origin, state.enabled, state.kind),
            ("station", true, "scanner")
        );
        eventually("the scanner's port to open", || {
            station.state("cart-scanner").connected
        })
        .await;

        let lookup = CommandCard::Lookup.barcode().to_string();
        scan(&mut master, &lookup).expect("write to the PTY");
        let result = next_result(&mut results).await;
        assert_eq!(
            (result.workstation.as_str(), result.input.as_str()),
            ("counter", lookup.as_str())
        );
        assert!(station.state("cart-scanner").last_scan.is_some());

        // Disabled: stopped and kept so in the store; enabled: it scans again.
        station
            .manager
            .set_enabled(&admin, "cart-scanner", false)
            .await
            .expect("disabled");
        assert!(!station.manager.is_running("cart-scanner").await);
        let state = station.state("cart-scanner");
        assert!(!state.enabled && !state.connected, "{state:?}");
        assert!(station
            .store()
            .disabled_devices()
            .expect("read")
            .contains("cart-scanner"));
        station
            .manager
            .set_enabled(&admin, "cart-scanner", true)
            .await
            .expect("enabled");
        assert!(station.state("cart-scanner").enabled);
        eventually("the port to open again", || {
            station.state("cart-scanner").connected
        })
        .await;
        let audit = CommandCard::Audit.barcode().to_string();
        scan(&mut master, &audit).expect("write to the PTY");
        assert_eq!(next_result(&mut results).await.input, audit);

        // Stopped: its tasks have ended and closed the port, so nothing reads the line
        // any more (the kernel tells the PTY's master at once: no waiting for a scan that
        // does not come).
        assert!(!slave_closed(&master), "the running scanner holds its port");
        assert!(station.manager.stop("cart-scanner").await);
        assert!(!station.state("cart-scanner").enabled);
        assert!(
            slave_closed(&master),
            "a stopped scanner still holds its port"
        );
        assert!(!station.manager.stop("cart-scanner").await, "stopped once");

        // Removed: forgotten by the store and the status list.
        station
            .manager
            .remove(&admin, "cart-scanner")
            .await
            .expect("removed");
        assert!(station.devices.get("cart-scanner").is_none());
        assert!(station.store().station_devices().expect("list").is_empty());
        let _ = station.stop.send(true);
        station.manager.shutdown().await;
    }

    /// On tokio's paused clock, so that proving a disabled printer's label waits costs no
    /// real time: the clock passes every timer a running worker could have.
    #[tokio::test(start_paused = true)]
    async fn a_printer_added_at_runtime_prints_and_a_disabled_one_keeps_its_labels() {
        let station = Station::start("").await;
        let admin = Actor::new("P0000000014");
        let out = station.dir.path().join("shelf-labels");
        let printer: DeviceDefinition = serde_json::from_value(serde_json::json!({
            "kind": "printer", "name": "shelf-pdf", "language": "pdf", "dpi": 300,
            "connect": format!("dir://{}", out.display()),
        }))
        .expect("definition");
        assert!(
            matches!(
                station.queue_cards("shelf-pdf").await,
                Err(LabelError::UnknownPrinter(_))
            ),
            "not a printer yet"
        );
        station.manager.add(&admin, printer).await.expect("added");
        let state = station.state("shelf-pdf");
        assert_eq!(
            (state.origin, state.enabled, state.kind),
            ("station", true, "printer")
        );
        assert_eq!(station.state("pdf").origin, "config");

        let jobs = station
            .queue_cards("shelf-pdf")
            .await
            .expect("queued for the new printer");
        let first = jobs.first().expect("a job").id;
        eventually("the first label file", || pdfs(&out) == 1).await;
        eventually("the job to be marked printed", || {
            matches!(
                job_state(station.store(), first),
                PrintState::Printed { .. }
            )
        })
        .await;
        assert!(matches!(
            station.queue_cards("no-such-printer").await,
            Err(LabelError::UnknownPrinter(name)) if name == "no-such-printer"
        ));

        // Disabled: new labels are still taken, and they wait.
        station
            .manager
            .set_enabled(&admin, "shelf-pdf", false)
            .await
            .expect("disabled");
        assert!(!station.state("shelf-pdf").enabled);
        let waiting = station
            .queue_cards("shelf-pdf")
            .await
            .expect("a disabled printer still takes labels")
            .first()
            .expect("a job")
            .id;
        // Longer than any retry (at most 60 s) or idle probe (30 s): on the paused clock
        // this passes at once, after whatever a worker still running would have done.
        tokio::time::sleep(Duration::from_secs(120)).await;
        assert!(!station.manager.is_running("shelf-pdf").await);
        assert_eq!(
            job_state(station.store(), waiting),
            PrintState::Pending,
            "it waits"
        );
        assert_eq!(pdfs(&out), 1);

        let refused = station
            .manager
            .remove(&admin, "shelf-pdf")
            .await
            .expect_err("a label waits");
        assert!(
            matches!(
                refused,
                StoreError::Refused(Refusal::PrinterHasJobs { count: 1, .. })
            ),
            "{refused}"
        );
        assert!(
            station.printing.printer("shelf-pdf").is_some(),
            "still takes labels"
        );
        let config_printer = station
            .manager
            .remove(&admin, "pdf")
            .await
            .expect_err("station.toml's");
        assert!(
            matches!(&config_printer, StoreError::Refused(Refusal::DeviceInConfig(name)) if name == "pdf"),
            "{config_printer}"
        );
        assert_eq!(config_printer.message().code, Code::DeviceInConfig);

        // Enabled again: the waiting label prints; then the printer can go.
        station
            .manager
            .set_enabled(&admin, "shelf-pdf", true)
            .await
            .expect("enabled");
        eventually("the waiting label to print", || {
            matches!(
                job_state(station.store(), waiting),
                PrintState::Printed { .. }
            )
        })
        .await;
        assert_eq!(pdfs(&out), 2);
        station
            .manager
            .remove(&admin, "shelf-pdf")
            .await
            .expect("removed");
        assert!(station.devices.get("shelf-pdf").is_none());
        assert!(matches!(
            station.queue_cards("shelf-pdf").await,
            Err(LabelError::UnknownPrinter(_))
        ));
        // The daemon-wide stop ends every unit.
        let _ = station.stop.send(true);
        tokio::time::timeout(DEADLINE, station.manager.shutdown())
            .await
            .expect("every unit stops");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn config_devices_can_be_disabled_but_not_removed_and_stay_disabled_after_a_restart() {
        let toml = "[[workstation]]\nname = \"counter\"\n[[scanner]]\nname = \"counter-scanner\"\nport = \"/dev/serial/by-id/not-plugged-in\"\nworkstation = \"counter\"\n";
        let station = Station::start(toml).await;
        let admin = Actor::new("P0000000014");
        assert!(station.manager.is_running("counter-scanner").await);
        assert!(station.manager.is_running("pdf").await);
        assert_eq!(station.state("counter-scanner").origin, "config");

        let removed = station
            .manager
            .remove(&admin, "counter-scanner")
            .await
            .expect_err("station.toml's");
        assert!(
            matches!(&removed, StoreError::Refused(Refusal::DeviceInConfig(name)) if name == "counter-scanner"),
            "{removed}"
        );
        assert_eq!(removed.message().code, Code::DeviceInConfig);
        let head = station.store().head().0;
        let elsewhere: DeviceDefinition = serde_json::from_value(serde_json::json!({
            "kind": "scanner", "name": "cart-scanner", "port": "/dev/ttyUSB7", "workstation": "cart-9",
        }))
        .expect("definition");
        let refused = station
            .manager
            .add(&admin, elsewhere)
            .await
            .expect_err("no such workstation");
        assert_eq!(refused.message().code, Code::DeviceUnknownWorkstation);
        assert!(
            matches!(
                &refused,
                StoreError::Refused(Refusal::UnknownWorkstation { scanner, workstation, known })
                    if scanner == "cart-scanner" && workstation == "cart-9" && known == "counter"
            ),
            "{refused}"
        );
        let clash: DeviceDefinition = serde_json::from_value(serde_json::json!({
            "kind": "scanner", "name": "counter-scanner", "port": "/dev/ttyUSB7", "workstation": "counter",
        }))
        .expect("definition");
        let refused = station
            .manager
            .add(&admin, clash)
            .await
            .expect_err("the name is station.toml's");
        assert_eq!(refused.message().code, Code::DeviceExists);
        assert!(
            matches!(
                &refused,
                StoreError::Refused(Refusal::DeviceExists { name, place: (zh, en) })
                    if name == "counter-scanner" && zh.contains("station.toml") && en.contains("station.toml")
            ),
            "{refused}"
        );
        assert!(matches!(
            station.manager.set_enabled(&admin, "ghost", false).await,
            Err(StoreError::Refused(Refusal::UnknownDevice(_)))
        ));
        assert_eq!(station.store().head().0, head, "refusals record nothing");
        assert!(station.devices.get("cart-scanner").is_none());

        station
            .manager
            .set_enabled(&admin, "counter-scanner", false)
            .await
            .expect("a config device can be disabled");
        assert!(!station.manager.is_running("counter-scanner").await);
        let listed = station.manager.definitions().await.expect("definitions");
        assert!(listed
            .iter()
            .any(|device| device.definition.name() == "counter-scanner"
                && device.origin == Origin::Config
                && !device.enabled));
        let _ = station.stop.send(true);
        station.manager.shutdown().await;

        // A restart over the same store: the scanner stays disabled.
        let Station {
            dir,
            engine,
            manager,
            ..
        } = station;
        drop(manager);
        let store = engine.store().clone();
        drop(engine);
        let again = Station::over(dir, store, toml).await;
        assert!(!again.manager.is_running("counter-scanner").await);
        assert!(again.manager.is_running("pdf").await);
        let state = again.state("counter-scanner");
        assert!(!state.enabled && state.origin == "config", "{state:?}");
        assert_eq!(
            again.config.device_names(),
            vec!["counter-scanner".to_owned(), "pdf".to_owned()]
        );
        let _ = again.stop.send(true);
        again.manager.shutdown().await;
    }

    /// An idle printer's state tells whether it could print before any label is sent: a
    /// label directory that can be used is ready, one that cannot names the problem, and
    /// a Zebra whose port is closed is not connected.
    #[tokio::test]
    async fn idle_printers_are_probed_so_their_state_is_true_before_the_first_label() {
        let station = Station::start("").await;
        let admin = Actor::new("P0000000014");
        eventually("the default directory printer to be ready", || {
            station.state("pdf").connected
        })
        .await;

        let file = station.dir.path().join("not-a-directory");
        std::fs::write(&file, b"x").expect("a file");
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = closed.local_addr().expect("address").port();
        drop(closed);
        for definition in [
            serde_json::json!({
                "kind": "printer", "name": "blocked", "language": "pdf",
                "connect": format!("dir://{}", file.join("labels").display()),
            }),
            serde_json::json!({
                "kind": "printer", "name": "zebra-off", "language": "zpl",
                "connect": format!("tcp://127.0.0.1:{port}"),
            }),
        ] {
            let definition: DeviceDefinition =
                serde_json::from_value(definition).expect("definition");
            let name = definition.name().to_owned();
            station
                .manager
                .add(&admin, definition)
                .await
                .expect("added");
            eventually(&format!("{name} to name its problem"), || {
                station.state(&name).last_problem.is_some()
            })
            .await;
            assert!(!station.state(&name).connected, "{name}");
        }
        // The problem names the directory (data) in each language.
        let labels = file.join("labels").display().to_string();
        let problem = station
            .state("blocked")
            .last_problem
            .expect("the blocked printer's problem")
            .message;
        assert_eq!(problem.code, Code::DeviceLabelDirUnusable);
        assert!(
            problem.text.zh.contains(&labels) && problem.text.en.contains(&labels),
            "{problem}"
        );
        let _ = station.stop.send(true);
        station.manager.shutdown().await;
    }

    /// A worker that was told to stop sends no further label, however long its queue: a
    /// printer being disabled or removed does not first print everything it holds.
    #[tokio::test]
    async fn a_stopped_printer_worker_sends_no_further_label() {
        let station = Station::start("").await;
        assert!(station.manager.stop("pdf").await, "the default printer ran");
        let jobs = station.queue_cards("pdf").await.expect("queued");
        assert!(!jobs.is_empty());
        let printer =
            crate::printer::Printer::new(station.printing.printer("pdf").expect("the pdf printer"));
        let (_given, stopped) = watch::channel(true);
        let stop = StopSignal::either(stopped, station.stop.subscribe());
        let printed =
            printer::deliver_due(&station.archive(), &printer, &station.devices, Some(&stop)).await;
        assert_eq!(printed, 0, "stopped before the first label");
        let printed =
            printer::deliver_due(&station.archive(), &printer, &station.devices, None).await;
        assert_eq!(printed as usize, jobs.len(), "without a stop, all of them");
        let _ = station.stop.send(true);
        station.manager.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_change_is_carried_through_when_its_asker_goes_away_and_a_dropped_manager_stops_its_devices(
    ) {
        let station = Station::start("[[workstation]]\nname = \"counter\"\n").await;
        let admin = Actor::new("P0000000014");
        let (master, port) = plug_in_scanner();
        let cart: DeviceDefinition = serde_json::from_value(serde_json::json!({
            "kind": "scanner", "name": "cart-scanner", "port": port, "workstation": "counter",
        }))
        .expect("definition");
        // Asked (the request goes out on the first poll), then given up at once, as a
        // request that times out or whose connection closes: polled exactly once.
        use futures_util::FutureExt as _;
        let given_up = station.manager.add(&admin, cart.clone()).now_or_never();
        assert!(given_up.is_none(), "the add had not answered yet");
        eventually("the abandoned add to be carried through", || {
            station
                .devices
                .get("cart-scanner")
                .is_some_and(|state| state.connected)
        })
        .await;
        assert_eq!(station.store().station_devices().expect("list"), vec![cart]);
        assert!(station.manager.is_running("cart-scanner").await);

        let Station { manager, .. } = station;
        drop(manager);
        eventually("the dropped manager's scanner to close its port", || {
            slave_closed(&master)
        })
        .await;
    }
}
