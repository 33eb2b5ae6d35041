//! The print worker: one task per printer that delivers its queued labels, records each
//! outcome in the store, retries with back-off while the printer is unreachable or
//! faulted, and asks an idle printer now and then whether it could print.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::{Devices, StopSignal};
use crate::archive::Archive;
use crate::message;
use crate::message::StoredMessage;
use crate::model::{Millis, PrintFormat};
use crate::printer::{Language, Printer, PrinterConfig};
use crate::schedule::Schedule;
use crate::store::Actor;

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
    archive: &Archive,
    printer: &Printer,
    devices: &Devices,
    stop: Option<&StopSignal>,
) -> u32 {
    let name = printer.config().name.clone();
    let now = archive.now();
    let due = {
        let name = name.clone();
        archive
            .run(move |store| store.due_jobs(Some(&name), now))
            .await
    };
    let jobs = match due {
        Ok(jobs) => jobs,
        Err(error) => {
            tracing::error!(printer = %name, %error, "reading the print queue failed");
            return 0;
        }
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
                outcome = Err(error.message());
            }
        }
        let actor = Actor::new(format!("printer:{name}"));
        let id = job.id;
        if outcome.is_ok() {
            // Recorded before the bytes go out: a delivery cut off by a crash is known,
            // and the next one is shown as a re-delivery.
            let delivering = {
                let actor = actor.clone();
                archive
                    .run(move |store| store.job_delivering(&actor, id))
                    .await
            };
            match delivering {
                Ok(delivering) if delivering.deliveries > delivering.attempts + 1 => {
                    tracing::warn!(printer = %name, job = id, delivery = delivering.deliveries, "an earlier delivery of this label was interrupted: delivering it again");
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(printer = %name, job = id, %error, "recording a delivery failed; the label waits");
                    break;
                }
            }
            // The job's number names it: a directory printer writes the same file for the
            // same job, whatever the number of deliveries.
            let job_name = format!("{}-{}", job.id, job.subject);
            outcome = printer
                .send_named(&job_name, &job.payload, language)
                .await
                .map(|_| ())
                .map_err(|error| error.message());
        }
        let now = archive.now();
        let write = match &outcome {
            Ok(()) => {
                archive
                    .run(move |store| store.job_printed(&actor, id).map(|_| ()))
                    .await
            }
            Err(reason) => {
                let retry_at = now + retry_delay(job.attempts).as_millis() as Millis;
                // The job keeps its last failure as a catalog message.
                let reason = StoredMessage::from(reason);
                archive
                    .run(move |store| store.job_failed(&actor, id, &reason, retry_at).map(|_| ()))
                    .await
            }
        };
        if let Err(error) = write {
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

/// When the first label waiting for `printer` is next to be tried: `Some(None)` when none
/// waits, `None` when the queue could not be read (logged).
async fn next_attempt(archive: &Archive, printer: &str) -> Option<Option<Millis>> {
    let name = printer.to_owned();
    match archive.run(move |store| store.next_attempt(&name)).await {
        Ok(at) => Some(at),
        Err(error) => {
            tracing::error!(printer = %printer, %error, "reading the print queue failed");
            None
        }
    }
}

/// Whether no label waits for `printer` (its deliveries then say nothing of its state).
async fn idle(archive: &Archive, printer: &str) -> bool {
    next_attempt(archive, printer).await == Some(None)
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
            match tokio::task::spawn_blocking(move || crate::files::create_private_dir(&dir)).await
            {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(message!(
                    DeviceLabelDirUnusable,
                    path = path.display().to_string(),
                    reason = error.to_string()
                )),
                Err(_) => return,
            }
        }
        Connect::Tcp { .. } | Connect::Serial { .. } if config.language == Language::Zpl => {
            printer.ready().await.err().map(|error| error.message())
        }
        _ => return,
    };
    devices.set_printer(printer.name(), now, problem);
}

/// A print worker's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    /// The next attempt of the first label waiting for this printer.
    Retry,
    /// Asking the printer, if idle, whether it could print.
    Probe,
}

/// The shortest time from the start of one round to a timer's next: a label that a round
/// left due (its outcome could not be recorded, or the queue could not be read) is tried
/// again after this, never in a spin. A label being queued starts a round at once.
const MIN_ROUND_GAP: Duration = Duration::from_secs(1);

/// The instant at which the store's time `at` comes, seen from the store's time `now`:
/// never further ahead than [`MAX_RETRY`], the longest wait between two attempts (should
/// the wall clock jump, the worker looks again by then).
fn instant_of(at: Millis, now: Millis) -> Instant {
    let ahead = u64::try_from(at.saturating_sub(now)).unwrap_or(0);
    Instant::now() + Duration::from_millis(ahead).min(MAX_RETRY)
}

/// Runs the worker of one printer until `stop`: it delivers the due jobs, then waits on
/// its [`Schedule`] for the next job's retry time or the idle probe, or for `wake` (a
/// label was queued), or for the stop. A round under way is finished before it stops, so
/// a job is never left half-sent. Its state must be registered in `devices` already.
pub(crate) fn spawn_printer(
    config: &PrinterConfig,
    archive: Archive,
    devices: Arc<Devices>,
    wake: Arc<Notify>,
    mut stop: StopSignal,
) -> tokio::task::JoinHandle<()> {
    let printer = Printer::new(config.clone());
    tokio::spawn(async move {
        let timers = Schedule::new();
        timers.set(Timer::Probe, Instant::now());
        loop {
            let round = Instant::now();
            // Registered before the queue is read: a label queued after the read wakes it.
            let woken = wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            deliver_due(&archive, &printer, &devices, Some(&stop)).await;
            match next_attempt(&archive, printer.name()).await {
                Some(Some(at)) => {
                    let at = instant_of(at, archive.now()).max(round + MIN_ROUND_GAP);
                    timers.set(Timer::Retry, at);
                }
                Some(None) => {
                    timers.cancel(&Timer::Retry);
                }
                None => timers.set(Timer::Retry, round + MIN_ROUND_GAP),
            }
            tokio::select! {
                () = stop.stopped() => break,
                () = &mut woken => {}
                timer = timers.next() => {
                    if timer == Timer::Probe {
                        if idle(&archive, printer.name()).await {
                            probe(&printer, &devices, archive.now()).await;
                        }
                        timers.set(Timer::Probe, Instant::now() + IDLE_PROBE);
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    //! The worker on tokio's paused clock, with the store's clock following it: the
    //! waits below are virtual, so the instants asserted are exact and nothing sleeps.
    //! The printers are real label directories (one that cannot be created).

    use std::path::Path;

    use tokio::sync::watch;

    use super::*;
    use crate::model::PrintState;
    use crate::printer::Connect;
    use crate::store::{NewJob, Store, StoreOptions};
    use crate::workflow::{Engine, WorkflowConfig};

    fn archive_of(store: &Arc<Store>) -> Archive {
        Archive::new(Arc::new(Engine::new(
            store.clone(),
            WorkflowConfig::default(),
        )))
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A store in `dir` whose clock is tokio's (paused) clock.
    fn store_on_tokio_clock(dir: &Path) -> Arc<Store> {
        let origin = Instant::now();
        let options = StoreOptions {
            clock: Arc::new(move || 1_000_000 + origin.elapsed().as_millis() as Millis),
            ..StoreOptions::default()
        };
        Arc::new(Store::open(dir, options).expect("store"))
    }

    fn pdf_printer(name: &str, dir: &Path) -> PrinterConfig {
        PrinterConfig {
            name: name.to_owned(),
            language: Language::Pdf,
            dpi: 300,
            connect: Connect::Dir {
                path: dir.to_path_buf(),
            },
        }
    }

    fn queue(store: &Store, printer: &str) -> u64 {
        let job = NewJob {
            printer: printer.to_owned(),
            subject: "B0000000016".to_owned(),
            format: PrintFormat::Pdf,
            payload: b"%PDF-1.4 label".to_vec(),
            reprint: None,
        };
        store
            .queue_print(&Actor::new("clerk"), &job)
            .expect("queued")
            .id
    }

    /// Waits on the paused clock, 1 ms at a time, until `ready` or `limit` has passed.
    async fn within(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while !ready() {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(ms(1)).await;
        }
        true
    }

    #[tokio::test(start_paused = true)]
    async fn a_label_that_cannot_be_delivered_is_tried_again_at_its_retry_time_and_not_before() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_on_tokio_clock(&dir.path().join("data"));
        let file = dir.path().join("not-a-directory");
        std::fs::write(&file, b"x").expect("a file");
        let config = pdf_printer("blocked", &file.join("labels"));
        let id = queue(&store, "blocked");
        let attempts = || store.job(id).expect("read").expect("the job").attempts;
        let (stop, stop_rx) = watch::channel(false);
        let worker = spawn_printer(
            &config,
            archive_of(&store),
            Arc::new(Devices::default()),
            Arc::new(Notify::new()),
            StopSignal::daemon(stop_rx),
        );
        assert!(within(ms(50), || attempts() == 1).await, "tried at once");
        for (n_attempts, retry) in [
            (2, retry_delay(0)),
            (3, retry_delay(1)),
            (4, retry_delay(2)),
        ] {
            let failed = Instant::now();
            tokio::time::sleep(retry - ms(50)).await;
            assert_eq!(
                attempts(),
                n_attempts - 1,
                "not tried again before {retry:?}"
            );
            assert!(
                within(ms(100), || attempts() == n_attempts).await,
                "tried again at {retry:?}"
            );
            let waited = Instant::now() - failed;
            assert!(
                waited >= retry - ms(50) && waited <= retry + ms(50),
                "attempt {n_attempts} after {waited:?}, not {retry:?}"
            );
        }
        let job = store.job(id).expect("read").expect("the job");
        assert_eq!(job.state, PrintState::Pending, "never dropped");
        assert!(job.last_error.is_some());
        let _ = stop.send(true);
        worker.await.expect("the worker stops");
    }

    #[tokio::test]
    async fn a_label_whose_delivery_was_cut_off_is_delivered_again_to_the_same_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(
            Store::open(&dir.path().join("data"), StoreOptions::default()).expect("store"),
        );
        let labels = dir.path().join("labels");
        let printer = Printer::new(pdf_printer("pdf", &labels));
        let id = queue(&store, "pdf");
        // What a station killed in the middle of the delivery left: the delivery begun and
        // the file written, the outcome not recorded.
        store
            .job_delivering(&Actor::new("printer:pdf"), id)
            .expect("begun");
        printer
            .send_named(
                &format!("{id}-B0000000016"),
                b"%PDF-1.4 label",
                Language::Pdf,
            )
            .await
            .expect("written");

        // The station again: the label is still waiting and goes again.
        let printed = deliver_due(&archive_of(&store), &printer, &Devices::default(), None).await;
        assert_eq!(printed, 1);
        let files = crate::printer::file_names(&labels);
        assert_eq!(
            files,
            [format!("{id}-B0000000016.pdf")],
            "one file for one label"
        );
        let job = store.job(id).expect("read").expect("the job");
        assert!(matches!(job.state, PrintState::Printed { .. }));
        assert_eq!((job.deliveries, job.attempts), (2, 1));
        let barcode = crate::barcode::Barcode::parse("B0000000016").expect("barcode");
        let history = store.history(barcode).expect("history");
        let printed = history.last().expect("the printed event");
        assert_eq!(printed.body.kind, crate::event::EventKind::Printed);
        assert!(
            printed
                .body
                .changes
                .iter()
                .any(|change| change.field == "redelivery" && change.after.as_deref() == Some("2")),
            "shown as a re-delivery: {:?}",
            printed.body.changes
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_label_queued_while_the_worker_waits_is_delivered_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_on_tokio_clock(&dir.path().join("data"));
        let labels = dir.path().join("labels");
        let wake = Arc::new(Notify::new());
        let (stop, stop_rx) = watch::channel(false);
        let worker = spawn_printer(
            &pdf_printer("pdf", &labels),
            archive_of(&store),
            Arc::new(Devices::default()),
            wake.clone(),
            StopSignal::daemon(stop_rx),
        );
        // Idle for a while: the worker now waits for its next probe, 30 s away.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let id = queue(&store, "pdf");
        wake.notify_waiters();
        let queued = Instant::now();
        assert!(
            within(ms(10), || matches!(
                store.job(id).expect("read").map(|job| job.state),
                Some(PrintState::Printed { .. })
            ))
            .await,
            "printed when queued, not at the next timer"
        );
        assert!(Instant::now() - queued < ms(10));
        let _ = stop.send(true);
        worker.await.expect("the worker stops");
    }
}
