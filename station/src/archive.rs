//! The archive as async code reaches it: the one way from the HTTP server, the devices and
//! the control socket to the store, the workflow engine and the label renderer.
//!
//! Everything below this facade is synchronous and may block: a sled read that misses the
//! page cache waits for the disk, a write waits for its flush (fsync), a label is rendered
//! and read back. [`Archive`] runs each such call on tokio's blocking pool, so the async
//! threads only ever wait on futures; what it answers without blocking (the chain head,
//! the clock, the change stream, latency counters) it answers directly.
//!
//! **Invariant:** async code holds no `Store` of its own; it asks the [`Archive`].

use std::sync::Arc;

use crate::event::Hash;
use crate::model::{Millis, Person, PrintJob};
use crate::printing::{LabelError, LabelRequest, Printing};
use crate::store::{
    Actor, ChangeNotice, LatencySnapshot, StorageError, Store, StoreError, WriteDeadline,
};
use crate::workflow::{Engine, ScanResult};

/// The store, the workflow engine and (when set up) label printing, for async code.
#[derive(Clone)]
pub struct Archive {
    engine: Arc<Engine>,
    printing: Option<Arc<Printing>>,
}

impl Archive {
    /// The archive of `engine` (and its store), without label printing.
    pub fn new(engine: Arc<Engine>) -> Archive {
        Archive {
            engine,
            printing: None,
        }
    }

    /// The same archive, printing labels through `printing`.
    pub fn with_printing(mut self, printing: Arc<Printing>) -> Archive {
        self.printing = Some(printing);
        self
    }

    /// Runs `work` on the store, on the blocking pool. Reads, writes (which return once
    /// durable) and scans of indexes all go through here.
    pub async fn run<T, E>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let store = self.engine.store().clone();
        blocking(move || work(&store)).await.map_err(E::from)?
    }

    /// Handles one scan from `workstation`, on the blocking pool (a scan may write and
    /// wait for its flush).
    pub async fn scan(&self, workstation: String, input: String) -> Result<ScanResult, StoreError> {
        let engine = self.engine.clone();
        blocking(move || engine.scan(&workstation, &input)).await
    }

    /// Handles one scan sent through the API by `owner` (a token's owner), acting as them:
    /// see [`Engine::scan_as`].
    pub async fn scan_as(
        &self,
        workstation: String,
        input: String,
        owner: Person,
    ) -> Result<ScanResult, StoreError> {
        let engine = self.engine.clone();
        blocking(move || engine.scan_as(&workstation, &input, &owner)).await
    }

    /// Like [`scan_as`](Self::scan_as) for a scan its sender named with `id`: run once
    /// however often it is sent (see [`Engine::scan_once_as`]).
    pub async fn scan_once_as(
        &self,
        workstation: String,
        input: String,
        owner: Person,
        id: String,
    ) -> Result<ScanResult, StoreError> {
        let engine = self.engine.clone();
        blocking(move || engine.scan_once_as(&workstation, &input, &owner, &id)).await
    }

    /// Renders, reads back and queues the labels of `request` for `printer`, on the
    /// blocking pool.
    pub async fn queue_labels(
        &self,
        actor: Actor,
        printer: String,
        request: LabelRequest,
    ) -> Result<Vec<PrintJob>, LabelError> {
        let printing = self.printing.clone().ok_or(LabelError::NotSetUp)?;
        let store = self.engine.store().clone();
        blocking(move || printing.queue(&store, &actor, &printer, &request)).await?
    }

    /// The labels of every shelf under `under` on A4 sheets, as one PDF (see
    /// [`Printing::sheet`]): (the PDF, how many labels).
    pub async fn shelf_sheet(
        &self,
        under: String,
        include_safes: bool,
    ) -> Result<(Vec<u8>, usize), LabelError> {
        let printing = self.printing.clone().ok_or(LabelError::NotSetUp)?;
        let store = self.engine.store().clone();
        blocking(move || printing.sheet(&store, &under, include_safes)).await?
    }

    /// Label printing, when set up: its printers and the workers' bell (both in memory).
    pub fn printing(&self) -> Option<&Arc<Printing>> {
        self.printing.as_ref()
    }

    /// The workflow engine, for what it keeps in memory (its result stream).
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The last event's sequence number and hash (kept in memory).
    pub fn head(&self) -> (u64, Hash) {
        self.engine.store().head()
    }

    /// The current time by the store's clock.
    pub fn now(&self) -> Millis {
        self.engine.store().now()
    }

    /// Today in the station's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.engine.store().today()
    }

    /// The year of [`Archive::today`], as archive numbers carry it.
    pub fn this_year(&self) -> u16 {
        self.engine.store().this_year()
    }

    /// A stream of the store's durable changes.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ChangeNotice> {
        self.engine.store().subscribe()
    }

    /// The live token with this secret and its person, if it is known in memory (found
    /// live since the last change to a token or a person); `None`: ask the store.
    pub fn cached_login(&self, secret: &str) -> Option<crate::store::Login> {
        self.engine.store().cached_login(secret)
    }

    /// Why the store's last write failed, if none has been durable since.
    pub fn write_problem(&self) -> Option<crate::message::Message> {
        self.engine.store().write_problem()
    }

    /// The durable-write latency so far.
    pub fn write_latency(&self) -> LatencySnapshot {
        self.engine.store().write_latency()
    }
}

tokio::task_local! {
    /// The write deadline of the request being served (set by the HTTP time limit).
    static DEADLINE: Arc<WriteDeadline>;
}

/// Runs `future` (one request) under `deadline`: the store work it starts through
/// [`blocking`] begins a write only while the deadline has not been given up on
/// ([`WriteDeadline`]).
pub async fn with_deadline<F: std::future::Future>(
    deadline: Arc<WriteDeadline>,
    future: F,
) -> F::Output {
    DEADLINE.scope(deadline, future).await
}

/// Runs `work` on the blocking pool and waits for it. A panic in `work` goes on as a panic
/// here, as if `work` had been called directly; work cancelled because the runtime is
/// shutting down answers a storage failure.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    let deadline = DEADLINE.try_with(Arc::clone).ok();
    match tokio::task::spawn_blocking(move || crate::store::under_deadline(deadline, work)).await {
        Ok(value) => Ok(value),
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => Err(StorageError::Io {
            context: "a blocking task".to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::Interrupted, error.to_string()),
        }
        .into()),
    }
}
