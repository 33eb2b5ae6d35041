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
    /// Turns true when the server begins to shut down: live streams end at once.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Refused requests: counted, and recorded coalesced ([`denials`]).
    pub(crate) denials: Arc<denials::Denials>,
    /// The pages' sign-ins ([`sessions`]), in memory only.
    pub(crate) sessions: Arc<sessions::Sessions>,
    /// Failed sign-ins, per name or badge and per client address ([`throttle`]).
    pub(crate) throttle: Arc<throttle::Throttle>,
    /// Whether cookies are marked `Secure`: the station is reached over HTTPS, its own
    /// (`[server.tls]`) or a reverse proxy's (`[server] behind_https_proxy`).
    pub(crate) secure_cookies: bool,
    /// The TLS settings every connection is served with, when `[server.tls]` is set.
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
    /// Ledger uploads: the one running and the last few, in memory.
    pub(crate) imports: Arc<handlers::Imports>,
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
        let archive = Archive::new(engine);
        let stopping = Arc::new(tokio::sync::watch::Sender::new(false));
        let denials: Arc<denials::Denials> = Arc::default();
        denials::sweep(denials.clone(), archive.clone(), stopping.subscribe());
        AppState {
            archive,
            devices,
            recent,
            workstations: Arc::new(workstations),
            outcomes,
            config: Arc::default(),
            device_manager: None,
            stopping,
            denials,
            sessions: Arc::new(sessions::Sessions::from_config(
                &crate::config::ServerConfig::default(),
            )),
            throttle: Arc::default(),
            secure_cookies: false,
            tls: None,
            imports: Arc::default(),
        }
    }

    /// Serves HTTPS as `https` says (checked when the station starts), and marks cookies
    /// `Secure` when people reach the station over HTTPS.
    pub(crate) fn with_https(mut self, https: &crate::tls::Https) -> AppState {
        self.secure_cookies = https.secure_cookies();
        self.tls = https.server.clone();
        self
    }

    /// The configuration and printing the API registers and prints with.
    pub fn with_printing(
        mut self,
        config: Arc<crate::config::Config>,
        printing: Arc<crate::printing::Printing>,
    ) -> AppState {
        // The sign-ins last as `[server]` says (none can exist yet).
        self.sessions = Arc::new(sessions::Sessions::from_config(&config.server));
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
        // One rule on every path that prints: badges need an administrator, certificates a
        // supervisor (codes that do not parse are refused by the queue with their fault).
        let parsed: Vec<crate::barcode::Barcode> = barcodes
            .iter()
            .filter_map(|text| crate::barcode::Barcode::parse(text).ok())
            .collect();
        // A safe's or a drawer's label too needs a supervisor (a clerk never sees safes).
        let needed = self
            .archive
            .run(move |store| {
                parsed
                    .into_iter()
                    .map(|barcode| crate::printing::role_to_print_in(store, barcode))
                    .try_fold(Role::Clerk, |most, role| role.map(|role| most.max(role)))
            })
            .await?;
        let action = match needed {
            Role::Admin => ("打印工牌", "print badges"),
            _ => ("打印权证或保险柜标签", "print certificate or safe labels"),
        };
        self.require(principal, needed, action).await?;
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
            .map_err(label_error)
    }
}

/// A label request's failure as the API answers it.
pub(crate) fn label_error(error: crate::printing::LabelError) -> ApiError {
    use crate::printing::LabelError;
    match error {
        LabelError::Store(error) => ApiError::from(error),
        LabelError::UnknownLocation(_) => ApiError::new(StatusCode::NOT_FOUND, error.message()),
        LabelError::NotSetUp => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, error.message()),
        other => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, other.message()),
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

/// Serves `app` on `listener` within the configured bounds (`[server]`, see
/// [`connections`]) until `shutdown` completes; then ends live streams at once, stops
/// accepting and lets open requests finish.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = connections::Limits::new(&state.config.server, connections::fd_limit());
    tracing::info!(
        max_connections = limits.max_connections,
        header_timeout = ?limits.header_timeout,
        idle_timeout = ?limits.idle_timeout,
        "HTTP connection bounds"
    );
    let stopping = state.stopping.clone();
    let shutdown = async move {
        shutdown.await;
        stopping.send_replace(true);
    };
    let (archive, denials) = (state.archive.clone(), state.denials.clone());
    reminders::spawn(
        archive.clone(),
        state.config.reminders.urge(),
        state.stopping.subscribe(),
    );
    let tls = state.tls.clone();
    let served = connections::serve(listener, app(state), limits, tls, shutdown).await;
    // No request is left: the denials still being counted are recorded.
    denials::write(&archive, denials.due(tokio::time::Instant::now(), true)).await;
    served
}

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a request may take (the live stream excepted).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

mod auth;
pub mod connections;
mod denials;
mod error;
mod handlers;
mod metrics;
mod openapi;
mod paging;
mod redact;
mod reminders;
mod reports;
mod routes;
mod sessions;
#[cfg(test)]
mod tests;
mod throttle;
mod views;

pub use auth::Principal;
