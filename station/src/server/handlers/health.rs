//! `GET /healthz` (can the station do its work: does the store accept writes, which devices
//! are faulted) and `GET /livez` (is the process serving at all, for load balancers).

use crate::devices::Problem;
use crate::message::Message;
use crate::model::Millis;
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

/// The station's health. Answered 200 when the store accepts writes, 503 when it does not.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Health {
    /// `ok`; `degraded`: the store accepts writes but a device is faulted (answered 200);
    /// `unhealthy`: the store does not accept writes (answered 503).
    #[schemars(extend("enum" = ["ok", "degraded", "unhealthy"]))]
    status: &'static str,
    /// Events in the log.
    events: u64,
    /// Whether the store accepts writes: false from a write that failed in storage (a full
    /// disk, an I/O error) until a later write is durable again.
    store_writable: bool,
    /// Why the store does not accept writes, when it does not.
    store_problem: Option<Message>,
    /// Enabled devices that cannot be reached, with their last problem.
    faulted_devices: Vec<FaultedDevice>,
}

/// A device that is enabled but not connected.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct FaultedDevice {
    /// Its name.
    name: String,
    /// `scanner` or `printer`.
    kind: &'static str,
    /// Since when it is disconnected, ms since the epoch.
    since: Millis,
    /// Its problem (code, text in both languages, since when).
    problem: Option<Problem>,
}

/// Nothing is written to answer: the store's write health is what its last write left
/// behind, the devices' what their tasks last reported.
pub(crate) async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let store_problem = state.archive.write_problem();
    let faulted_devices: Vec<FaultedDevice> = state
        .devices
        .snapshot()
        .into_iter()
        // A device not yet tried has no problem; one that failed to open has.
        .filter(|device| device.enabled && !device.connected && device.last_problem.is_some())
        .map(|device| FaultedDevice {
            name: device.name,
            kind: device.kind,
            since: device.since,
            problem: device.last_problem,
        })
        .collect();
    let (status, code) = if store_problem.is_some() {
        ("unhealthy", StatusCode::SERVICE_UNAVAILABLE)
    } else if !faulted_devices.is_empty() {
        ("degraded", StatusCode::OK)
    } else {
        ("ok", StatusCode::OK)
    };
    (
        code,
        Json(Health {
            status,
            events: state.archive.head().0,
            store_writable: store_problem.is_none(),
            store_problem,
            faulted_devices,
        }),
    )
}

/// The process is up and serving.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Live {
    /// Always `ok`.
    #[schemars(extend("enum" = ["ok"]))]
    status: &'static str,
}

/// Answers at once, touching nothing: for load balancers and supervisors that only ask
/// whether the process serves.
pub(crate) async fn livez() -> Json<Live> {
    Json(Live { status: "ok" })
}
