//! The print worker: one task per printer that delivers its queued labels, records each
//! outcome in the store, retries with back-off while the printer is unreachable or
//! faulted, and asks an idle printer now and then whether it could print.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::{Devices, StopSignal};
use crate::model::{Millis, PrintFormat};
use crate::printer::{Language, Printer, PrinterConfig};
use crate::store::{Actor, Store};

/// The longest wait between two attempts at a job.
pub(crate) const MAX_RETRY: Duration = Duration::from_secs(60);

/// The wait before the attempt after `attempts` failed ones: 1 s, doubling, at most
/// [`MAX_RETRY`].
pub(crate) fn retry_delay(attempts: u32) -> Duration {
    Duration::from_secs(1u64 << attempts.min(6)).min(MAX_RETRY)
}

/// Delivers due jobs of one printer; returns how many were printed. With a `stop`, it
/// stops between jobs once that is given (a job is never left half-sent, and a printer
/// being disabled or removed does not first print its whole queue).
pub(crate) async fn deliver_due(
    store: &Arc<Store>,
    printer: &Printer,
    devices: &Devices,
    stop: Option<&StopSignal>,
) -> u32 {
    let name = printer.config().name.clone();
    let now = store.now();
    let due = {
        let store = store.clone();
        let name = name.clone();
        tokio::task::spawn_blocking(move || store.due_jobs(Some(&name), now)).await
    };
    let jobs = match due {
        Ok(Ok(jobs)) => jobs,
        Ok(Err(error)) => {
            tracing::error!(printer = %name, %error, "reading the print queue failed");
            return 0;
        }
        Err(_) => return 0,
    };
    let mut printed = 0;
    for job in jobs {
        if stop.is_some_and(StopSignal::is_stopped) {
            break;
        }
        let language = match job.format {
            PrintFormat::Zpl => Language::Zpl,
            PrintFormat::Pdf => Language::Pdf,
        };
        let mut outcome = Ok(());
        if language == Language::Zpl {
            if let Err(error) = printer.ready().await {
                outcome = Err(error.to_string());
            }
        }
        if outcome.is_ok() {
            let job_name = format!("{}-{}", job.id, job.subject);
            outcome = printer
                .send_named(&job_name, &job.payload, language)
                .await
                .map(|_| ())
                .map_err(|error| error.to_string());
        }
        let now = store.now();
        let store_for_write = store.clone();
        let actor = Actor::new(format!("printer:{name}"));
        let id = job.id;
        let write = match &outcome {
            Ok(()) => {
                tokio::task::spawn_blocking(move || {
                    store_for_write.job_printed(&actor, id).map(|_| ())
                })
                .await
            }
            Err(reason) => {
                let retry_at = now + retry_delay(job.attempts).as_millis() as Millis;
                let reason = reason.clone();
                tokio::task::spawn_blocking(move || {
                    store_for_write
                        .job_failed(&actor, id, &reason, retry_at)
                        .map(|_| ())
                })
                .await
            }
        };
        if let Ok(Err(error)) = write {
            tracing::error!(printer = %name, job = id, %error, "recording a print outcome failed");
        }
        devices.set_printer(&name, now, outcome.as_ref().err().cloned());
        match outcome {
            Ok(()) => {
                tracing::info!(printer = %name, job = id, subject = %job.subject, "label printed");
                printed += 1;
            }
            Err(reason) => {
                tracing::warn!(printer = %name, job = id, %reason, "label not printed yet; will retry");
                // The printer is down: the later jobs wait for the next round.
                break;
            }
        }
    }
    printed
}

/// How often an idle printer is asked whether it could print.
const IDLE_PROBE: Duration = Duration::from_secs(30);

/// Whether no label waits for `printer` (its deliveries then say nothing of its state).
async fn idle(store: &Arc<Store>, printer: &str) -> bool {
    let store = store.clone();
    let name = printer.to_owned();
    matches!(
        tokio::task::spawn_blocking(move || store.due_jobs(Some(&name), Millis::MAX - 1)).await,
        Ok(Ok(jobs)) if jobs.is_empty()
    )
}

/// Asks an idle printer whether it could print now, so that its state is true before the
/// next label: a Zebra on TCP or serial answers `~HS` (faults included), a directory must
/// exist or be creatable. Others (CUPS queues, PDF over a port) are known only by their
/// deliveries and keep the state those gave.
async fn probe(printer: &Printer, devices: &Devices, now: Millis) {
    use crate::printer::Connect;
    let config = printer.config();
    let problem = match &config.connect {
        Connect::Dir { path } => {
            let dir = path.clone();
            match tokio::task::spawn_blocking(move || std::fs::create_dir_all(dir)).await {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(format!(
                    "无法使用标签目录 {}：{error} / cannot use the label directory {}: {error}",
                    path.display(),
                    path.display()
                )),
                Err(_) => return,
            }
        }
        Connect::Tcp { .. } | Connect::Serial { .. } if config.language == Language::Zpl => {
            printer.ready().await.err().map(|error| error.to_string())
        }
        _ => return,
    };
    devices.set_printer(printer.name(), now, problem);
}

/// Runs the worker of one printer until `stop`: it delivers the due jobs, then waits for
/// `wake` or a second. A round under way is finished before it stops, so a job is never
/// left half-sent. Its state must be registered in `devices` already.
pub(crate) fn spawn_printer(
    config: &PrinterConfig,
    store: Arc<Store>,
    devices: Arc<Devices>,
    wake: Arc<Notify>,
    mut stop: StopSignal,
) -> tokio::task::JoinHandle<()> {
    let printer = Printer::new(config.clone());
    tokio::spawn(async move {
        let mut last_probe: Option<std::time::Instant> = None;
        loop {
            deliver_due(&store, &printer, &devices, Some(&stop)).await;
            if last_probe.is_none_or(|at| at.elapsed() >= IDLE_PROBE) {
                last_probe = Some(std::time::Instant::now());
                if idle(&store, printer.name()).await {
                    probe(&printer, &devices, store.now()).await;
                }
            }
            tokio::select! {
                () = stop.stopped() => break,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    })
}
