//! Devices through the API: the list with their states; administrators add, remove,
//! enable and disable scanners and printers while the station runs. station.toml's devices
//! can be disabled, not changed.

use crate::devices::definition::DeviceDefinition;
use crate::devices::{DeviceManager, DeviceState};
use crate::server::auth::Principal;
use crate::server::error::{json_body, ApiError, JsonBody, Path, Query};
use crate::server::AppState;
use crate::store::Refusal;
use crate::store::StoreError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use std::future::Future;
use std::sync::Arc;

/// Scanners and printers by name, a page at a time.
pub(crate) async fn devices(
    State(state): State<AppState>,
    Query(query): Query<crate::server::paging::PageQuery>,
) -> Result<crate::server::paging::Page<DeviceState>, ApiError> {
    use crate::server::paging::{page_of, page_size};
    let limit = page_size(query.limit, crate::server::MAX_PAGE)?;
    Ok(page_of(
        state.devices.snapshot(),
        |device: &DeviceState| device.name.clone(),
        query.after.as_deref(),
        limit,
    ))
}

/// Runs a change of the device manager on a task of its own: it writes the store and
/// then starts or stops the device, and must finish both even when the request is given
/// up (a timeout, a closed connection), or the store and the running devices would part.
async fn change_devices<T, F>(
    state: &AppState,
    change: impl FnOnce(Arc<DeviceManager>) -> F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, StoreError>> + Send + 'static,
{
    let manager = state.device_manager.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            crate::message!(DevicesNotRunning),
        )
    })?;
    tokio::spawn(change(manager))
        .await
        .map_err(|error| {
            tracing::error!(%error, "a device change failed");
            ApiError::internal()
        })?
        .map_err(ApiError::from)
}

/// The state of device `name` after a change.
fn state_of(state: &AppState, name: &str) -> Result<Json<DeviceState>, ApiError> {
    state
        .devices
        .get(name)
        .map(Json)
        .ok_or_else(|| Refusal::UnknownDevice(name.to_owned()).into())
}

/// Adds a scanner or a printer (kept in the store) and starts it.
pub(crate) async fn add_device(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<DeviceDefinition>,
) -> Result<(StatusCode, Json<DeviceState>), ApiError> {
    let definition = json_body(body)?;
    let name = definition.name().to_owned();
    let actor = principal.actor();
    change_devices(&state, move |manager| async move {
        manager.add(&actor, definition).await
    })
    .await?;
    Ok((StatusCode::CREATED, state_of(&state, &name)?))
}

/// Stops and forgets a device added through the station.
pub(crate) async fn remove_device(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = principal.actor();
    change_devices(&state, move |manager| async move {
        manager.remove(&actor, &name).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_enabled(
    state: AppState,
    principal: Principal,
    name: String,
    enabled: bool,
) -> Result<Json<DeviceState>, ApiError> {
    let actor = principal.actor();
    let device = name.clone();
    change_devices(&state, move |manager| async move {
        manager.set_enabled(&actor, &device, enabled).await
    })
    .await?;
    state_of(&state, &name)
}

/// Starts a device again (station.toml's or the station's); the choice is kept.
pub(crate) async fn enable_device(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Result<Json<DeviceState>, ApiError> {
    set_enabled(state, principal, name, true).await
}

/// Stops a device (station.toml's or the station's) until it is enabled again; a
/// disabled printer's labels wait in the queue.
pub(crate) async fn disable_device(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Result<Json<DeviceState>, ApiError> {
    set_enabled(state, principal, name, false).await
}
