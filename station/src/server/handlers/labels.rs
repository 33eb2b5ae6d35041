//! Printing labels, the print queue, cancelling a waiting label.

use crate::server::auth::Principal;
use crate::server::error::JsonBody;
use crate::server::error::{json_body, parse_number, ApiError, Path, Query};
use crate::server::redact::Viewer;
use crate::server::views::JobView;
use crate::server::AppState;
use crate::store::Refusal;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use serde::Deserialize;

/// Labels to print.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabelsRequest {
    #[schemars(length(min = 1), inner(pattern(crate::server::error::BARCODE_PATTERN)))]
    barcodes: Vec<String>,
    #[schemars(length(min = 1))]
    printer: Option<String>,
    #[schemars(length(min = 1))]
    workstation: Option<String>,
    /// For a reprint: the job reprinted.
    reprint_of: Option<u64>,
    /// Why it is printed again (required with `reprint_of`).
    #[schemars(length(min = 1))]
    reason: Option<String>,
}

pub(crate) async fn print_labels(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<LabelsRequest>,
) -> Result<(StatusCode, Json<Vec<JobView>>), ApiError> {
    let request = json_body(body)?;
    let reprint = match (request.reprint_of, request.reason) {
        (Some(job), Some(reason)) => Some((job, reason)),
        (Some(_), None) => return Err(Refusal::ReprintReason.into()),
        (None, _) => None,
    };
    let jobs = state
        .print_labels(
            &principal,
            request.barcodes,
            request.printer,
            request.workstation.as_deref(),
            reprint,
        )
        .await?;
    let viewer = Viewer::of(&principal);
    Ok((
        StatusCode::CREATED,
        Json(
            jobs.into_iter()
                .map(|job| JobView::from(job).seen_by(viewer))
                .collect(),
        ),
    ))
}

/// Why a waiting label is cancelled.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CancelRequest {
    /// Recorded with the cancellation, e.g. "printer replaced".
    #[schemars(length(min = 1))]
    reason: String,
}

/// Cancels a waiting label: a person's decision, recorded as an event.
pub(crate) async fn cancel_label(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: JsonBody<CancelRequest>,
) -> Result<StatusCode, ApiError> {
    let id = parse_number(&id, ("打印任务编号", "print job number"))?;
    let request = json_body(body)?;
    let actor = principal.actor();
    state
        .archive
        .run(move |store| store.cancel_print(&actor, id, &request.reason))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Labels waiting for their printer, by job id, a page at a time.
pub(crate) async fn label_queue(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<crate::server::paging::PageQuery>,
) -> Result<crate::server::paging::Page<JobView>, ApiError> {
    use crate::server::paging::{number_key, page_of, page_size};
    let viewer = Viewer::of(&principal);
    let limit = page_size(query.limit, crate::server::MAX_PAGE)?;
    let jobs = state.archive.run(|store| store.pending_jobs()).await?;
    Ok(page_of(
        jobs.into_iter()
            .map(|job| JobView::from(job).seen_by(viewer))
            .collect(),
        |job: &JobView| number_key(job.id),
        query.after.as_deref(),
        limit,
    ))
}
