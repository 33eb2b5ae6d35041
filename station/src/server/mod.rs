//! The HTTP API under `/api/v1`, `/healthz`, `/metrics` and the web pages. This is the only
//! module that knows HTTP and JSON. Here: what every handler can reach ([`AppState`]), the
//! app built from the route table ([`app`]) and the server ([`run`]). By concern:
//! `routes` (the one table), `openapi`, `auth` (tokens, roles from the table), `error` (the
//! one error shape and the extractors that answer in it), `views` (answer types), `metrics`,
//! `reports`, and `handlers/` with one module per resource. Handlers reach the store, the
//! workflow engine and label rendering only through the [`Archive`], which runs every call
//! that may block on the blocking pool.
//!
//! Built as a function ([`app`]) so tests can call it without a server, and run from a
//! function that takes its listener and a shutdown future ([`run`]), so end-to-end tests can
//! start it on port 0.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::middleware;
use axum::Router;

use crate::archive::Archive;
use crate::devices::Devices;
use crate::message;
use crate::model::Role;
use crate::workflow::{Engine, ScanResult};

use auth::{authenticate, guard};
use error::{method_not_allowed, not_found, time_limit, ApiError};
use routes::routes;

/// How many recent scan results the station keeps for `GET /api/v1/scans/recent`.
pub const RECENT_RESULTS: usize = 200;

/// The most items one list request returns.
pub const MAX_PAGE: usize = 500;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store, the workflow engine and label printing.
    pub archive: Archive,
    /// Device states.
    pub devices: Arc<Devices>,
    /// The most recent scan results, newest last.
    pub recent: Arc<Mutex<VecDeque<ScanResult>>>,
    /// The configured workstations.
    pub workstations: Arc<Vec<String>>,
    /// Scan results by outcome since start: ok, warning, error.
    pub outcomes: Arc<[std::sync::atomic::AtomicU64; 3]>,
    /// The configuration (schemes, printers, workstations' printers).
    pub config: Arc<crate::config::Config>,
    /// The running devices, which administrators change through the API.
    pub device_manager: Option<Arc<crate::devices::DeviceManager>>,
}

impl AppState {
    /// State over `engine` with the given workstations, and a task that keeps the recent
    /// results (it ends when the engine is dropped).
    pub fn new(engine: Arc<Engine>, devices: Arc<Devices>, workstations: Vec<String>) -> AppState {
        let recent: Arc<Mutex<VecDeque<ScanResult>>> = Arc::default();
        let outcomes: Arc<[std::sync::atomic::AtomicU64; 3]> = Arc::default();
        let mut results = engine.subscribe();
        let keep = recent.clone();
        let count = outcomes.clone();
        tokio::spawn(async move {
            loop {
                match results.recv().await {
                    Ok(result) => {
                        let slot = match result.outcome {
                            crate::workflow::Outcome::Ok => 0,
                            crate::workflow::Outcome::Warning => 1,
                            crate::workflow::Outcome::Error => 2,
                        };
                        count[slot].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let mut recent = keep.lock().unwrap_or_else(|poison| poison.into_inner());
                        if recent.len() == RECENT_RESULTS {
                            recent.pop_front();
                        }
                        recent.push_back(result);
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        AppState {
            archive: Archive::new(engine),
            devices,
            recent,
            workstations: Arc::new(workstations),
            outcomes,
            config: Arc::default(),
            device_manager: None,
        }
    }

    /// The configuration and printing the API registers and prints with.
    pub fn with_printing(
        mut self,
        config: Arc<crate::config::Config>,
        printing: Arc<crate::printing::Printing>,
    ) -> AppState {
        self.config = config;
        self.archive = self.archive.with_printing(printing);
        self
    }

    /// The device manager administrators add, remove, enable and disable devices through.
    pub fn with_device_manager(mut self, manager: Arc<crate::devices::DeviceManager>) -> AppState {
        self.device_manager = Some(manager);
        self
    }

    /// Queues `barcodes`' labels on `printer` (or `workstation`'s, or the first).
    pub(crate) async fn print_labels(
        &self,
        principal: &Principal,
        barcodes: Vec<String>,
        printer: Option<String>,
        workstation: Option<&str>,
        reprint: Option<(u64, String)>,
    ) -> Result<Vec<crate::model::PrintJob>, ApiError> {
        if self.archive.printing().is_none() {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                message!(PrintingNotSetUp),
            ));
        }
        let printer = printer
            .or_else(|| self.config.printer_for(workstation))
            .ok_or_else(|| {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message!(PrintingNoPrinter))
            })?;
        let actor = principal.actor();
        self.archive
            .queue_labels(
                actor,
                printer,
                crate::printing::LabelRequest::Items { barcodes, reprint },
            )
            .await
            .map_err(|error| match error {
                crate::printing::LabelError::Store(error) => ApiError::from(error),
                other => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, other.message()),
            })
    }
}

/// The HTTP application.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new();
    for (endpoint, handler) in routes() {
        // Every live token acts for at least a clerk (`authenticate`); a higher least role
        // is enforced here, from the route's own row.
        let handler = match endpoint.role {
            Some(role) if role > Role::Clerk => handler.route_layer(
                middleware::from_fn_with_state((state.clone(), role, endpoint.action), guard),
            ),
            _ => handler,
        };
        router = router.route(endpoint.path, handler);
    }
    router
        .merge(crate::web::routes())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn(time_limit))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes open requests.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // Answers are small and latency matters more than packet count: no Nagle delay.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a request may take (the live stream excepted).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

mod auth;
mod error;
mod handlers;
mod metrics;
mod openapi;
mod paging;
mod reports;
mod routes;
#[cfg(test)]
mod tests;
mod views;

pub use auth::Principal;
