//! Device tasks: every configured scanner runs on a task of its own that reads its port
//! through firmware-bridge, hands each scan to the workflow engine, and answers SSI
//! scanners with a good or bad beep and LED. A device problem is logged and shown in the
//! device status; it never stops the daemon or the other devices.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use firmware_bridge::line::{LineConfig, Terminator};
use firmware_bridge::port::{run_device, DeviceEvent, Parity, PortConfig, Protocol, SerialOpener};
use firmware_bridge::ssi::{Command, Leds};
use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::{ParitySetting, ScannerConfig, ScannerProtocol, Suffix};
use crate::model::Millis;
use crate::workflow::{Engine, Outcome};

/// SSI beep codes (Zebra SSI programmer's guide, BEEP opcode 0xE6, beep-code table):
/// one short high tone for OK, two short high for a warning, three short low for an error.
const BEEP_OK: u8 = 0x00;
const BEEP_WARNING: u8 = 0x01;
const BEEP_ERROR: u8 = 0x07;

/// What the station knows about one device right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceState {
    /// The configured name.
    pub name: String,
    /// `scanner` (readers and printers later).
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
    /// The last problem, if any (bilingual where it is ours).
    pub last_problem: Option<String>,
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
    pub fn set_printer(&self, name: &str, now: Millis, problem: Option<String>) {
        self.update(name, |state| {
            let connected = problem.is_none();
            if state.connected != connected {
                state.since = now;
            }
            state.connected = connected;
            if problem.is_some() {
                state.last_problem = problem;
            }
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

/// The port settings of a configured scanner.
pub fn port_config(scanner: &ScannerConfig) -> PortConfig {
    let protocol = match scanner.protocol {
        ScannerProtocol::Ssi => Protocol::Ssi,
        ScannerProtocol::Line => Protocol::Line(LineConfig {
            terminator: match scanner.suffix {
                Suffix::Cr => Terminator::Cr,
                Suffix::Lf => Terminator::Lf,
                Suffix::Crlf => Terminator::CrLf,
                Suffix::Tab => Terminator::Tab,
            },
            prefix: scanner.prefix.as_bytes().to_vec(),
            ..LineConfig::default()
        }),
    };
    PortConfig {
        baud: scanner.baud,
        parity: match scanner.parity {
            ParitySetting::None => Parity::None,
            ParitySetting::Even => Parity::Even,
            ParitySetting::Odd => Parity::Odd,
        },
        ..PortConfig::new(scanner.port.clone(), protocol)
    }
}

/// Starts a task for every scanner; they run until `stop` turns true.
pub fn spawn_scanners(
    scanners: &[ScannerConfig],
    engine: Arc<Engine>,
    devices: Arc<Devices>,
    stop: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let now = engine.store().now();
    let mut tasks = Vec::new();
    for scanner in scanners {
        {
            let mut states = devices
                .states
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            states.insert(
                scanner.name.clone(),
                DeviceState {
                    name: scanner.name.clone(),
                    kind: "scanner",
                    workstation: scanner.workstation.clone(),
                    port: scanner.port.display().to_string(),
                    connected: false,
                    since: now,
                    last_scan: None,
                    last_problem: None,
                },
            );
        }
        let (events_tx, events_rx) = mpsc::channel(64);
        let (commands_tx, commands_rx) = mpsc::channel(16);
        let mut port_stop = stop.clone();
        tasks.push(tokio::spawn(run_device(
            port_config(scanner),
            SerialOpener,
            events_tx,
            commands_rx,
            async move {
                let _ = port_stop.wait_for(|stop| *stop).await;
            },
        )));
        tasks.push(tokio::spawn(drive(
            scanner.clone(),
            engine.clone(),
            devices.clone(),
            events_rx,
            commands_tx,
        )));
    }
    tasks
}

/// Turns one scanner's events into scans and feedback.
async fn drive(
    scanner: ScannerConfig,
    engine: Arc<Engine>,
    devices: Arc<Devices>,
    mut events: mpsc::Receiver<DeviceEvent>,
    commands: mpsc::Sender<Command>,
) {
    let name = scanner.name.as_str();
    while let Some(event) = events.recv().await {
        let now = engine.store().now();
        match event {
            DeviceEvent::Connected => {
                tracing::info!(scanner = name, port = %scanner.port.display(), "scanner connected");
                devices.update(name, |state| {
                    state.connected = true;
                    state.since = now;
                });
            }
            DeviceEvent::Disconnected { reason, retry_in } => {
                tracing::warn!(scanner = name, %reason, ?retry_in, "scanner disconnected");
                devices.update(name, |state| {
                    state.connected = false;
                    state.since = now;
                    state.last_problem = Some(reason.to_string());
                });
            }
            DeviceEvent::OpenFailed { reason, retry_in } => {
                tracing::debug!(scanner = name, %reason, ?retry_in, "scanner port not available");
                devices.update(name, |state| state.last_problem = Some(reason.to_string()));
            }
            DeviceEvent::Skipped(skipped) => {
                tracing::warn!(scanner = name, %skipped, "scanner bytes skipped");
                devices.update(name, |state| state.last_problem = Some(skipped.to_string()));
            }
            DeviceEvent::Message(message) => {
                tracing::debug!(scanner = name, ?message, "scanner message");
            }
            DeviceEvent::CommandDropped { command, reason } => {
                tracing::debug!(scanner = name, ?command, ?reason, "feedback not sent");
            }
            DeviceEvent::Scan(scan) => {
                devices.update(name, |state| state.last_scan = Some(now));
                let text = String::from_utf8_lossy(&scan.data).into_owned();
                let workstation = scanner.workstation.clone();
                let scan_engine = engine.clone();
                let result =
                    tokio::task::spawn_blocking(move || scan_engine.scan(&workstation, &text))
                        .await;
                let outcome = match result {
                    Ok(result) => result.outcome,
                    Err(error) => {
                        tracing::error!(scanner = name, %error, "scan task failed");
                        Outcome::Error
                    }
                };
                if scanner.protocol == ScannerProtocol::Ssi {
                    let (beep, leds) = match outcome {
                        Outcome::Ok => (BEEP_OK, Leds::GREEN),
                        Outcome::Warning => (BEEP_WARNING, Leds::GREEN),
                        Outcome::Error => (BEEP_ERROR, Leds::RED),
                    };
                    // Feedback is best effort: a full queue means the scanner is not
                    // taking bytes, which the port task reports itself.
                    let _ = commands.try_send(Command::Beep(beep));
                    let _ = commands.try_send(Command::LedOn(leds));
                }
            }
        }
    }
}
