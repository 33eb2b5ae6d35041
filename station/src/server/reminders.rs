//! The daemon's scheduler of reminders (issue #14): one pass of
//! [`Store::remind_pass`](crate::store::Store::remind_pass) at start and every
//! [`PASS_EVERY`] after, at the store's clock; a pass that was full (more reminder steps
//! were due than one pass notifies) is followed by the next at once. Nothing else sends
//! reminders, and a pass holds no lock between its reads and its one write.

use std::time::Duration;

use crate::archive::Archive;
use crate::store::Actor;
use crate::tasks::UrgeRules;

/// How often the scheduler looks for reminder steps due.
pub(crate) const PASS_EVERY: Duration = Duration::from_secs(60);

/// Runs the passes until the server stops (`stopping` turns true or goes away).
pub(crate) fn spawn(
    archive: Archive,
    urge: UrgeRules,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        loop {
            let rules = archive.engine().task_rules();
            let now = archive.now();
            let pass = archive
                .run(move |store| store.remind_pass(&Actor::new("scheduler"), now, &rules, &urge))
                .await;
            let more = match pass {
                Ok((written, more)) => {
                    if !written.is_empty() {
                        tracing::info!(notifications = written.len(), "reminders notified");
                    }
                    more
                }
                Err(error) => {
                    tracing::warn!(%error, "the reminders pass failed; it runs again later");
                    false
                }
            };
            if more {
                continue;
            }
            tokio::select! {
                _ = stopping.wait_for(|stop| *stop) => return,
                () = tokio::time::sleep(PASS_EVERY) => {}
            }
        }
    });
}
