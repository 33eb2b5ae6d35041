//! The devices list.

use crate::devices::DeviceState;
use axum::extract::State;
use axum::Json;

use crate::server::*;

pub(crate) async fn devices(State(state): State<AppState>) -> Json<Vec<DeviceState>> {
    Json(state.devices.snapshot())
}
