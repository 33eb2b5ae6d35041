//! Scanner tasks: one scanner's port, read through firmware-bridge, and the driver that
//! hands each scan to the workflow engine and answers SSI scanners with beep and LED.

use std::sync::Arc;

use firmware_bridge::line::{LineConfig, Terminator};
use firmware_bridge::port::{run_device, DeviceEvent, Parity, PortConfig, Protocol, SerialOpener};
use firmware_bridge::ssi::{Command, Leds};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::definition::{ParitySetting, ScannerConfig, ScannerProtocol, Suffix};
use super::{Devices, StopSignal};
use crate::archive::Archive;
use crate::message;
use crate::workflow::Outcome;

/// SSI beep codes (Zebra SSI programmer's guide, BEEP opcode 0xE6, beep-code table):
/// one short high tone for OK, two short high for a warning, three short low for an error.
const BEEP_OK: u8 = 0x00;
const BEEP_WARNING: u8 = 0x01;
const BEEP_ERROR: u8 = 0x07;

/// The port settings of a configured scanner.
fn port_config(scanner: &ScannerConfig) -> PortConfig {
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

/// Starts one scanner's port task and driver task; they run until `stop`. Its state must
/// be registered in `devices` already.
pub(crate) fn spawn_scanner(
    scanner: &ScannerConfig,
    archive: Archive,
    devices: Arc<Devices>,
    stop: StopSignal,
) -> Vec<JoinHandle<()>> {
    let (events_tx, events_rx) = mpsc::channel(64);
    let (commands_tx, commands_rx) = mpsc::channel(16);
    vec![
        tokio::spawn(run_device(
            port_config(scanner),
            SerialOpener,
            events_tx,
            commands_rx,
            stop.wait(),
        )),
        // The driver ends when the port task has stopped and its events are drained.
        tokio::spawn(drive(
            scanner.clone(),
            archive,
            devices,
            events_rx,
            commands_tx,
        )),
    ]
}

/// Turns one scanner's events into scans and feedback.
async fn drive(
    scanner: ScannerConfig,
    archive: Archive,
    devices: Arc<Devices>,
    mut events: mpsc::Receiver<DeviceEvent>,
    commands: mpsc::Sender<Command>,
) {
    let name = scanner.name.as_str();
    while let Some(event) = events.recv().await {
        let now = archive.now();
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
                    state.last_problem = Some(message!(
                        DeviceScannerDisconnected,
                        reason = reason.to_string()
                    ));
                });
            }
            DeviceEvent::OpenFailed { reason, retry_in } => {
                tracing::debug!(scanner = name, %reason, ?retry_in, "scanner port not available");
                devices.update(name, |state| {
                    state.last_problem = Some(message!(
                        DeviceScannerUnavailable,
                        reason = reason.to_string()
                    ))
                });
            }
            DeviceEvent::Skipped(skipped) => {
                tracing::warn!(scanner = name, %skipped, "scanner bytes skipped");
                devices.update(name, |state| {
                    state.last_problem =
                        Some(message!(DeviceScannerSkipped, detail = skipped.to_string()))
                });
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
                let result = archive.scan(workstation, text).await;
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
