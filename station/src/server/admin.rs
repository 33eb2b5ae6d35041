//! Administration through the API: numbering schemes and devices, for administrators.
//!
//! What station.toml defines stays defined there (the API answers "change it there");
//! what an administrator adds here is kept in the store, survives restarts, and every
//! change is an event. Devices are started, stopped and removed while the station runs.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::{blocking, json_body, ApiError, AppState, Principal};
use crate::devices::definition::DeviceDefinition;
use crate::devices::{DeviceManager, DeviceState};
use crate::model::Role;
use crate::store::{StationScheme, StoreError};

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

/// A numbering scheme as the API shows it.
#[derive(Serialize, schemars::JsonSchema)]
pub(super) struct SchemeView {
    name: String,
    /// E.g. `{year}鸿借字第{seq:03}号`.
    template: String,
    /// `config` (station.toml: change it there) or `station` (added through the API).
    #[schemars(extend("enum" = ["config", "station"]))]
    origin: &'static str,
    /// A retired scheme keeps its numbers but allocates no new ones.
    retired: bool,
}

impl From<StationScheme> for SchemeView {
    fn from(scheme: StationScheme) -> SchemeView {
        SchemeView {
            name: scheme.name,
            template: scheme.template,
            origin: "station",
            retired: scheme.retired,
        }
    }
}

/// Every numbering scheme: station.toml's, then those added through the station.
pub(super) async fn schemes(
    State(state): State<AppState>,
) -> Result<Json<Vec<SchemeView>>, ApiError> {
    let configured = state.config.scheme_names();
    let mut out: Vec<SchemeView> = state
        .config
        .schemes
        .iter()
        .map(|scheme| SchemeView {
            name: scheme.name.clone(),
            template: scheme.template.clone(),
            origin: "config",
            retired: false,
        })
        .collect();
    out.extend(
        state
            .store
            .station_schemes()?
            .into_iter()
            .filter(|scheme| !configured.contains(&scheme.name))
            .map(SchemeView::from),
    );
    Ok(Json(out))
}

/// A numbering scheme to add.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SchemeRequest {
    /// Letters, digits, `-`, `_`; not used by another scheme.
    name: String,
    /// `{year}`, `{seq}` or `{seq:0N}` around fixed text, e.g. `{year}鸿借字第{seq:03}号`.
    template: String,
}

/// What a refusal of the scheme routes names.
const MANAGE_SCHEMES: &str = "管理编号方案 / manage numbering schemes";
/// What a refusal of the device routes names.
const MANAGE_DEVICES: &str = "管理设备 / manage devices";

/// Adds a numbering scheme (kept in the store).
pub(super) async fn add_scheme(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<SchemeRequest>,
) -> Result<(StatusCode, Json<SchemeView>), ApiError> {
    state
        .require(&principal, Role::Admin, MANAGE_SCHEMES)
        .await?;
    let request = json_body(body)?;
    let taken = state.config.scheme_names();
    let actor = principal.actor();
    let store = state.store.clone();
    let added =
        blocking(move || store.add_scheme(&actor, &request.name, &request.template, &taken))
            .await??;
    Ok((StatusCode::CREATED, Json(added.into())))
}

/// Retires a scheme added through the station: its numbers stay, it allocates no more.
pub(super) async fn retire_scheme(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Result<Json<SchemeView>, ApiError> {
    state
        .require(&principal, Role::Admin, MANAGE_SCHEMES)
        .await?;
    let taken = state.config.scheme_names();
    let actor = principal.actor();
    let store = state.store.clone();
    let retired = blocking(move || store.retire_scheme(&actor, &name, &taken)).await??;
    Ok(Json(retired.into()))
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
            "no_devices",
            "本站未运行设备管理 / device management is not running on this station",
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
        .ok_or_else(|| StoreError::UnknownDevice(name.to_owned()).into())
}

/// Adds a scanner or a printer (kept in the store) and starts it.
pub(super) async fn add_device(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<DeviceDefinition>,
) -> Result<(StatusCode, Json<DeviceState>), ApiError> {
    state
        .require(&principal, Role::Admin, MANAGE_DEVICES)
        .await?;
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
pub(super) async fn remove_device(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .require(&principal, Role::Admin, MANAGE_DEVICES)
        .await?;
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
    state
        .require(&principal, Role::Admin, MANAGE_DEVICES)
        .await?;
    let actor = principal.actor();
    let device = name.clone();
    change_devices(&state, move |manager| async move {
        manager.set_enabled(&actor, &device, enabled).await
    })
    .await?;
    state_of(&state, &name)
}

/// Starts a device again (station.toml's or the station's); the choice is kept.
pub(super) async fn enable_device(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Result<Json<DeviceState>, ApiError> {
    set_enabled(state, principal, name, true).await
}

/// Stops a device (station.toml's or the station's) until it is enabled again; a
/// disabled printer's labels wait in the queue.
pub(super) async fn disable_device(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Result<Json<DeviceState>, ApiError> {
    set_enabled(state, principal, name, false).await
}
