//! Handovers with their deadline state (normal, warning, overdue).

use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::server::redact::Viewer;
use crate::server::views::{today, HandoverView};
use crate::server::AppState;
use axum::extract::State;
use axum::Extension;
use axum::Json;

/// Open handovers, earliest deadline first, each normal / warning / overdue.
pub(crate) async fn handovers(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Json<Vec<HandoverView>>, ApiError> {
    let viewer = Viewer::of(&principal);
    let today = today(state.archive.now());
    let handovers = state.archive.run(|store| store.open_handovers()).await?;
    let views = handovers
        .into_iter()
        .map(|handover| HandoverView {
            id: handover.id,
            stage: match handover.stage {
                crate::model::HandoverStage::OfficerToOfficer => "officer_to_officer",
                crate::model::HandoverStage::OfficerToArchivist => "officer_to_archivist",
            },
            from: viewer.code(&handover.from.to_string()),
            to: viewer.code(&handover.to.to_string()),
            items: handover.items.iter().map(ToString::to_string).collect(),
            deadline: handover.deadline,
            state: match handover.deadline.cmp(&today) {
                std::cmp::Ordering::Less => "overdue",
                std::cmp::Ordering::Equal => "warning",
                std::cmp::Ordering::Greater => "normal",
            },
        })
        .collect();
    Ok(Json(views))
}
