//! Handovers with their deadline state (normal, warning, overdue).

use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::server::error::Query;
use crate::server::paging::{number_key, page_of, page_size, Page, PageQuery};
use crate::server::redact::Viewer;
use crate::server::views::HandoverView;
use crate::server::{AppState, MAX_PAGE};
use axum::extract::State;
use axum::Extension;

/// Open handovers, earliest deadline first, each normal / warning / overdue, a page at a
/// time.
pub(crate) async fn handovers(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<PageQuery>,
) -> Result<Page<HandoverView>, ApiError> {
    let viewer = Viewer::of(&principal);
    let limit = page_size(query.limit, MAX_PAGE)?;
    let today = state.archive.today();
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
            state: crate::server::views::deadline_state(handover.deadline, today),
        })
        .collect();
    Ok(page_of(
        views,
        |handover: &HandoverView| format!("{}/{}", handover.deadline, number_key(handover.id)),
        query.after.as_deref(),
        limit,
    ))
}
