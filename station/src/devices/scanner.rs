//! Scanner tasks: one scanner's port, read through firmware-bridge, and the driver that
//! hands each scan to the workflow engine and answers SSI scanners with beep and LED.

use std::sync::Arc;
use std::time::Duration;

use firmware_bridge::line::{LineConfig, Terminator};
use firmware_bridge::port::{run_device, DeviceEvent, Parity, PortConfig, Protocol, SerialOpener};
use firmware_bridge::ssi::{Command, Leds};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::definition::{ParitySetting, ScannerConfig, ScannerProtocol, Suffix};
use super::{Devices, StopSignal};
use crate::archive::Archive;
use crate::barcode::{Barcode, BARCODE_LEN};
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
    let mut noise = NoiseLog::new(NOISE_LOG_INTERVAL);
    loop {
        let due = noise.due();
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => break,
            },
            () = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                if let Some(summary) = noise.take(Instant::now()) {
                    report_noise(name, &devices, archive.now(), &summary);
                }
                continue;
            }
        };
        let now = archive.now();
        match event {
            DeviceEvent::Connected => {
                tracing::info!(scanner = name, port = %scanner.port.display(), "scanner connected");
                devices.update(name, |state| {
                    state.connected = true;
                    state.since = now;
                    state.recovered(now);
                });
            }
            DeviceEvent::Disconnected { reason, retry_in } => {
                tracing::warn!(scanner = name, %reason, ?retry_in, "scanner disconnected");
                devices.update(name, |state| {
                    state.connected = false;
                    state.since = now;
                    state.problem(
                        message!(DeviceScannerDisconnected, reason = reason.to_string()),
                        now,
                    );
                });
            }
            DeviceEvent::OpenFailed { reason, retry_in } => {
                tracing::debug!(scanner = name, %reason, ?retry_in, "scanner port not available");
                devices.update(name, |state| {
                    state.problem(
                        message!(DeviceScannerUnavailable, reason = reason.to_string()),
                        now,
                    )
                });
            }
            DeviceEvent::Skipped(skipped) => {
                tracing::debug!(scanner = name, %skipped, "scanner bytes skipped");
                if let Some(summary) =
                    noise.record(skipped.len, skipped.to_string(), Instant::now())
                {
                    report_noise(name, &devices, now, &summary);
                }
            }
            DeviceEvent::Message(message) => {
                tracing::debug!(scanner = name, ?message, "scanner message");
            }
            DeviceEvent::CommandDropped { command, reason } => {
                tracing::debug!(scanner = name, ?command, ?reason, "feedback not sent");
            }
            DeviceEvent::Scan(scan) => {
                let text = String::from_utf8_lossy(&scan.data).into_owned();
                let taken = match sift(&text) {
                    Sifted::Scan => None,
                    Sifted::AfterNoise {
                        code,
                        noise: skipped,
                    } => {
                        tracing::debug!(scanner = name, noise = %excerpt(skipped), %code, "a scan taken from the end of a noisy line");
                        let detail = format!("{:?}", excerpt(skipped));
                        if let Some(summary) = noise.record(skipped.len(), detail, Instant::now()) {
                            report_noise(name, &devices, now, &summary);
                        }
                        Some(code.to_owned())
                    }
                    Sifted::Noise => {
                        tracing::debug!(scanner = name, noise = %excerpt(&text), "a line of noise skipped");
                        let detail = format!("{:?}", excerpt(&text));
                        if let Some(summary) = noise.record(scan.data.len(), detail, Instant::now())
                        {
                            report_noise(name, &devices, now, &summary);
                        }
                        continue;
                    }
                };
                let text = taken.unwrap_or(text);
                devices.update(name, |state| state.last_scan = Some(now));
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
    if let Some(summary) = noise.take(Instant::now()) {
        report_noise(name, &devices, archive.now(), &summary);
    }
}

/// How often at most a scanner's noise is logged: the first noise at once, then one
/// summary per interval with what came meanwhile.
pub(crate) const NOISE_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// The noise one summary covers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NoiseSummary {
    /// Bytes skipped.
    bytes: u64,
    /// Pieces skipped: skipped ranges and lines of noise.
    fragments: u64,
    /// What the last piece was.
    last: String,
}

/// Counts a scanner's noise between two log lines, so that a noisy line costs one log
/// line per [`NOISE_LOG_INTERVAL`], not one per fragment (1 MiB of noise was 98,849
/// lines before).
#[derive(Debug)]
struct NoiseLog {
    interval: Duration,
    /// When the last summary was given.
    logged_at: Option<Instant>,
    bytes: u64,
    fragments: u64,
    last: String,
}

impl NoiseLog {
    fn new(interval: Duration) -> NoiseLog {
        NoiseLog {
            interval,
            logged_at: None,
            bytes: 0,
            fragments: 0,
            last: String::new(),
        }
    }

    /// Counts one piece of noise; answers the summary to give now, if one is due (the
    /// first piece, or the first after a quiet interval).
    fn record(&mut self, bytes: usize, detail: String, now: Instant) -> Option<NoiseSummary> {
        self.bytes = self.bytes.saturating_add(bytes as u64);
        self.fragments = self.fragments.saturating_add(1);
        self.last = detail;
        match self.logged_at {
            Some(at) if now < at + self.interval => None,
            _ => self.take(now),
        }
    }

    /// When the noise counted since the last summary is to be summarised.
    fn due(&self) -> Option<Instant> {
        match self.logged_at {
            Some(at) if self.fragments > 0 => Some(at + self.interval),
            _ => None,
        }
    }

    /// The summary of what was counted since the last one, if anything was.
    fn take(&mut self, now: Instant) -> Option<NoiseSummary> {
        if self.fragments == 0 {
            return None;
        }
        self.logged_at = Some(now);
        let summary = NoiseSummary {
            bytes: self.bytes,
            fragments: self.fragments,
            last: std::mem::take(&mut self.last),
        };
        self.bytes = 0;
        self.fragments = 0;
        Some(summary)
    }
}

/// Logs a noise summary (one line) and shows it as the scanner's last, momentary, problem.
fn report_noise(name: &str, devices: &Devices, now: crate::model::Millis, summary: &NoiseSummary) {
    tracing::warn!(
        scanner = name,
        bytes = summary.bytes,
        fragments = summary.fragments,
        last = %summary.last,
        "scanner noise skipped"
    );
    let problem = message!(
        DeviceScannerSkipped,
        bytes = summary.bytes,
        fragments = summary.fragments,
        detail = summary.last.as_str()
    );
    devices.update(name, |state| state.momentary_problem(problem, now));
}

/// What a line from a scanner is.
#[derive(Debug, PartialEq, Eq)]
enum Sifted<'a> {
    /// A scan, to be answered whatever it is (an unreadable label is answered as such).
    Scan,
    /// Noise glued in front of a valid system barcode (a scan sent right after noise that
    /// had no terminator): the barcode is the scan, the rest is noise.
    AfterNoise {
        /// The barcode at the end of the line.
        code: &'a str,
        /// What came before it.
        noise: &'a str,
    },
    /// No letter or digit at all: noise, not a scan (a label always has some).
    Noise,
}

/// Sorts a line from a scanner: a line that is not a system barcode but ends with one
/// (correct check digit) is that barcode after noise; a line without a letter or digit is
/// noise; anything else is a scan.
fn sift(text: &str) -> Sifted<'_> {
    let trimmed = text.trim();
    if !trimmed.chars().any(char::is_alphanumeric) {
        return Sifted::Noise;
    }
    if Barcode::parse(trimmed).is_ok() {
        return Sifted::Scan;
    }
    let Some((at, _)) = trimmed.char_indices().rev().nth(BARCODE_LEN - 1) else {
        return Sifted::Scan;
    };
    match (trimmed.get(..at), trimmed.get(at..)) {
        (Some(noise), Some(code)) if !noise.is_empty() && Barcode::parse(code).is_ok() => {
            Sifted::AfterNoise { code, noise }
        }
        _ => Sifted::Scan,
    }
}

/// The start of a text, for a log line: at most 32 characters.
fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 32;
    let mut out: String = text.chars().take(MAX_CHARS).collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_system_barcode_at_the_end_of_a_noisy_line_is_taken_and_the_rest_is_noise() {
        assert_eq!(sift("B0000000016"), Sifted::Scan);
        assert_eq!(sift(" B0000000016 "), Sifted::Scan);
        assert_eq!(
            sift("x7#q!B0000000016"),
            Sifted::AfterNoise {
                code: "B0000000016",
                noise: "x7#q!"
            }
        );
        assert_eq!(
            sift("噪声B0000000016"),
            Sifted::AfterNoise {
                code: "B0000000016",
                noise: "噪声"
            }
        );
        // A wrong check digit at the end is no barcode: the line is answered as it is.
        assert_eq!(sift("x7#q!B0000000019"), Sifted::Scan);
        assert_eq!(sift("B0000000019"), Sifted::Scan);
        assert_eq!(sift("2012鸿借字第001号"), Sifted::Scan);
        assert_eq!(sift("#!*  ~"), Sifted::Noise);
        assert_eq!(sift("\u{1d}\u{1e}"), Sifted::Noise);
        assert_eq!(sift(""), Sifted::Noise);
    }

    #[test]
    fn noise_is_logged_at_once_then_at_most_once_per_interval_with_its_counts() {
        let interval = Duration::from_secs(10);
        let start = Instant::now();
        let mut log = NoiseLog::new(interval);
        assert_eq!(log.due(), None);
        let first = log
            .record(3, "first".into(), start)
            .expect("the first at once");
        assert_eq!((first.bytes, first.fragments), (3, 1));
        let mut summaries = 0;
        for n in 1..=100_000u64 {
            // 100,000 pieces over 25 s.
            let now = start + Duration::from_micros(n * 250);
            if let Some(due) = log.due() {
                if now >= due {
                    let summary = log.take(now).expect("counted noise");
                    assert!(summary.fragments > 0);
                    summaries += 1;
                }
            }
            if let Some(summary) = log.record(2, format!("piece {n}"), now) {
                assert_eq!(summary.last, format!("piece {n}"));
                summaries += 1;
            }
        }
        assert!(summaries <= 3, "{summaries} summaries in 25 s");
        let end = start + Duration::from_secs(25);
        let rest = log.take(end).expect("the rest");
        assert_eq!(rest.last, "piece 100000");
        assert_eq!(log.take(end), None, "nothing counted twice");
        assert_eq!(log.due(), None);
    }
}
