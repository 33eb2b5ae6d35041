//! `GET /healthz`.

use crate::server::AppState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Health {
    status: &'static str,
    events: u64,
}

pub(crate) async fn healthz(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        events: state.archive.head().0,
    })
}
