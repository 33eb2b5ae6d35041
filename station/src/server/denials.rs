//! Refused requests (403 for lack of a role) stay visible without costing a durable write
//! each: every denial counts in `/metrics` (`station_access_denied_total`); the first
//! denial of a person in a window of [`WINDOW`] is recorded as an `AccessDenied` event and
//! logged; further denials of that person in the window are only counted, and recorded
//! together as one event with their `count` when the window has passed (at the next denial
//! after it, by the sweep that runs every quarter window, or when the server stops). The
//! map of open windows holds at most [`MAX_PEOPLE`] people: when it is full, every pending
//! count is recorded and the map starts empty. Recording never holds up the answer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::archive::Archive;
use crate::barcode::Barcode;
use crate::message::Bilingual;
use crate::store::Actor;

/// How long repeated denials of one person are counted before they are recorded together.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

/// The most people whose denials are being counted at once.
pub(crate) const MAX_PEOPLE: usize = 1024;

/// The denials since start and the open windows.
#[derive(Default)]
pub(crate) struct Denials {
    total: AtomicU64,
    windows: Mutex<HashMap<Barcode, Window>>,
}

/// One person's denials since their last recorded one.
struct Window {
    opened: Instant,
    actor: String,
    /// The last action refused.
    action: (&'static str, &'static str),
    /// Denials counted but not yet recorded.
    repeats: u64,
}

/// An `AccessDenied` event to write.
pub(crate) struct Record {
    person: Barcode,
    actor: String,
    action: (&'static str, &'static str),
    count: u64,
}

impl Denials {
    /// Denials since start.
    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Counts a denial of `person` (acting as `actor`) doing `action`; returns what is to
    /// be recorded now.
    pub(crate) fn note(
        &self,
        person: Barcode,
        actor: String,
        action: (&'static str, &'static str),
        now: Instant,
    ) -> Vec<Record> {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut windows = self.lock();
        let mut out = Vec::new();
        if let Some(window) = windows.get_mut(&person) {
            if now.duration_since(window.opened) < WINDOW {
                window.repeats += 1;
                window.action = action;
                tracing::debug!(person = %person, action = action.1, "request denied (counted)");
                return out;
            }
            if window.repeats > 0 {
                out.push(window.summary(person));
            }
            windows.remove(&person);
        } else if windows.len() >= MAX_PEOPLE {
            out.extend(windows.drain().filter_map(|(person, window)| {
                (window.repeats > 0).then(|| window.summary(person))
            }));
        }
        tracing::warn!(person = %person, action = action.1, "request denied");
        windows.insert(
            person,
            Window {
                opened: now,
                actor: actor.clone(),
                action,
                repeats: 0,
            },
        );
        out.push(Record {
            person,
            actor,
            action,
            count: 1,
        });
        out
    }

    /// The counts of windows that have passed (or of every window, with `all`), which are
    /// forgotten.
    pub(crate) fn due(&self, now: Instant, all: bool) -> Vec<Record> {
        let mut windows = self.lock();
        let mut out = Vec::new();
        windows.retain(|person, window| {
            if !all && now.duration_since(window.opened) < WINDOW {
                return true;
            }
            if window.repeats > 0 {
                out.push(window.summary(*person));
            }
            false
        });
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Barcode, Window>> {
        self.windows
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl Window {
    fn summary(&self, person: Barcode) -> Record {
        tracing::warn!(person = %person, action = self.action.1, count = self.repeats, "requests denied again");
        Record {
            person,
            actor: self.actor.clone(),
            action: self.action,
            count: self.repeats,
        }
    }
}

/// Writes `records` as events (each commit is durable in the store's group commit).
pub(crate) async fn write(archive: &Archive, records: Vec<Record>) {
    if records.is_empty() {
        return;
    }
    let written = archive
        .run(move |store| {
            for record in &records {
                let denied = Bilingual::new(record.action.0, record.action.1).joined();
                store.record_denial(
                    &Actor::new(record.actor.clone()),
                    record.person,
                    &denied,
                    record.count,
                )?;
            }
            Ok::<_, crate::store::StoreError>(())
        })
        .await;
    if let Err(error) = written {
        tracing::error!(%error, "recording a denial failed");
    }
}

/// Records what `note` returned without holding up the caller.
pub(crate) fn spawn_write(archive: &Archive, records: Vec<Record>) {
    if records.is_empty() {
        return;
    }
    let archive = archive.clone();
    tokio::spawn(async move { write(&archive, records).await });
}

/// Records the counts of windows that have passed, every quarter window, until the server
/// stops (`stopping` turns true or goes away; [`super::run`] records the rest).
pub(crate) fn sweep(
    denials: Arc<Denials>,
    archive: Archive,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stopped(&mut stopping) => return,
                () = tokio::time::sleep(WINDOW / 4) => {
                    let due = denials.due(Instant::now(), false);
                    write(&archive, due).await;
                }
            }
        }
    });
}

/// Completes once `stopping` turns true (or its sender is gone).
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::barcode::Kind;

    fn person(seq: u64) -> Barcode {
        Barcode::new(Kind::Person, seq).expect("a badge")
    }

    const ACTION: (&str, &str) = ("批准借阅", "approve loans");

    #[tokio::test(start_paused = true)]
    async fn repeated_denials_are_counted_and_summarised_once_the_window_has_passed() {
        let denials = Denials::default();
        let start = Instant::now();
        let mut records = Vec::new();
        for _ in 0..100 {
            records.extend(denials.note(person(1), "P1@api".into(), ACTION, start));
        }
        assert_eq!(denials.total(), 100);
        assert_eq!(records.len(), 1, "only the first is recorded at once");
        assert_eq!(records[0].count, 1);
        assert!(denials.due(start + WINDOW / 2, false).is_empty());

        let due = denials.due(start + WINDOW, false);
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].person, due[0].count), (person(1), 99));
        // The next denial opens a new window and is recorded at once.
        let next = denials.note(person(1), "P1@api".into(), ACTION, start + WINDOW);
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].count, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_denial_after_the_window_records_the_count_before_it() {
        let denials = Denials::default();
        let start = Instant::now();
        for _ in 0..5 {
            denials.note(person(1), "P1@api".into(), ACTION, start);
        }
        let records = denials.note(person(1), "P1@api".into(), ACTION, start + WINDOW * 2);
        let counts: Vec<u64> = records.iter().map(|record| record.count).collect();
        assert_eq!(
            counts,
            [4, 1],
            "the summary of the last window, then this one"
        );
        assert_eq!(denials.total(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn the_map_of_people_is_bounded_and_no_count_is_lost() {
        let denials = Denials::default();
        let start = Instant::now();
        let mut counted = 0;
        for seq in 1..=(MAX_PEOPLE as u64 + 10) {
            for _ in 0..3 {
                for record in denials.note(person(seq), format!("P{seq}@api"), ACTION, start) {
                    counted += record.count;
                }
            }
            assert!(denials.lock().len() <= MAX_PEOPLE);
        }
        for record in denials.due(start, true) {
            counted += record.count;
        }
        assert_eq!(counted, denials.total());
        assert_eq!(denials.total(), 3 * (MAX_PEOPLE as u64 + 10));
    }
}
